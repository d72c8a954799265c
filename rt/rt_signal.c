#include "rt/rt_signal.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t g_stop; /* written only by the handler: a sig_atomic_t flag */

static void on_stop(int sig)
{
	g_stop = sig;
}

int rt_signal_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGHUP, &sa, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int rt_signal_stop_requested(void)
{
	return g_stop;
}

void rt_signal_reset(void)
{
	g_stop = 0;
}
