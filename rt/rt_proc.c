#include "rt/rt_proc.h"

#include "rt/rt_clock.h"
#include "rt/rt_log.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define BACKOFF_MIN_NS 100000000ull /* 100 ms */
#define BACKOFF_MAX_NS 5000000000ull /* 5 s */
#define STABLE_NS 10000000000ull /* running 10 s resets the back-off */

int rt_proc_init(struct rt_proc *p, const char *name, const char *const argv[], int restart,
		 struct rt_err *err)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	for (int i = 0; argv[i]; i++) {
		if (i >= RT_PROC_ARGV_MAX - 1 || strlen(argv[i]) >= RT_PROC_ARG_LEN)
			return rt_err_set(err, -E2BIG,
					  "process '%s': too many or too long arguments", name);
		snprintf(p->argv_buf[i], RT_PROC_ARG_LEN, "%s", argv[i]);
		p->argc = i + 1;
	}
	if (p->argc == 0)
		return rt_err_set(err, -EINVAL, "process '%s': empty command", name);
	p->restart = restart;
	p->backoff_ns = BACKOFF_MIN_NS;
	return 0;
}

int rt_proc_start(struct rt_proc *p, struct rt_err *err)
{
	char *argv[RT_PROC_ARGV_MAX];
	for (int i = 0; i < p->argc; i++)
		argv[i] = p->argv_buf[i];
	argv[p->argc] = NULL;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return rt_err_set(err, -errno, "start '%s': fork: %s", p->name, strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent) /* the parent died before prctl */
			_exit(1);
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], argv);
		fprintf(stderr, "alluse: start '%s': exec %s: %s\n", p->name, argv[0],
			strerror(errno));
		_exit(127);
	}
	p->pid = pid;
	p->started_ns = rt_clock_now_ns();
	rt_log_info("process started", "name=%s pid=%d cmd=%s", p->name, (int)pid, argv[0]);
	return 0;
}

const char *rt_proc_status_str(int status)
{
	static char buf[64];
	if (WIFEXITED(status))
		snprintf(buf, sizeof(buf), "exited with %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, sizeof(buf), "killed by %s",
			 sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status))
							: "signal");
	else
		snprintf(buf, sizeof(buf), "status 0x%x", status);
	return buf;
}

int rt_proc_reap(struct rt_proc *procs, int n, int stopping)
{
	int reaped = 0;
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0)
			break;
		for (int i = 0; i < n; i++) {
			struct rt_proc *p = &procs[i];
			if (p->pid != pid)
				continue;
			reaped++;
			p->pid = 0;
			p->last_status = status;
			uint64_t now = rt_clock_now_ns();
			int clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
			if (stopping || !p->restart) {
				rt_log_info("process ended", "name=%s pid=%d how=\"%s\"", p->name,
					    (int)pid, rt_proc_status_str(status));
				break;
			}
			if (now - p->started_ns > STABLE_NS)
				p->backoff_ns = BACKOFF_MIN_NS;
			p->next_start_ns = now + p->backoff_ns;
			rt_log_warn(clean ? "process exited; restarting"
					  : "process died; restarting",
				    "name=%s pid=%d how=\"%s\" restart_in_ms=%llu", p->name,
				    (int)pid, rt_proc_status_str(status),
				    (unsigned long long)(p->backoff_ns / 1000000));
			p->backoff_ns *= 2;
			if (p->backoff_ns > BACKOFF_MAX_NS)
				p->backoff_ns = BACKOFF_MAX_NS;
			break;
		}
	}
	return reaped;
}

void rt_proc_restart_due(struct rt_proc *procs, int n, uint64_t now_ns)
{
	for (int i = 0; i < n; i++) {
		struct rt_proc *p = &procs[i];
		if (p->pid == 0 && p->restart && p->next_start_ns && now_ns >= p->next_start_ns) {
			struct rt_err err = {0};
			p->next_start_ns = 0;
			if (rt_proc_start(p, &err) == 0)
				p->restarts++;
			else
				rt_log_error("restart failed", "name=%s reason=\"%s\"", p->name,
					     err.msg);
		}
	}
}

static int any_running(const struct rt_proc *procs, int n)
{
	for (int i = 0; i < n; i++)
		if (procs[i].pid > 0)
			return 1;
	return 0;
}

void rt_proc_stop_all(struct rt_proc *procs, int n, uint32_t grace_ms)
{
	for (int i = 0; i < n; i++) {
		procs[i].next_start_ns = 0;
		if (procs[i].pid > 0)
			kill(procs[i].pid, SIGTERM);
	}
	uint64_t deadline = rt_clock_now_ns() + (uint64_t)grace_ms * 1000000ull;
	while (any_running(procs, n) && rt_clock_now_ns() < deadline) {
		rt_proc_reap(procs, n, 1);
		rt_clock_sleep_ns(5000000);
	}
	for (int i = 0; i < n; i++)
		if (procs[i].pid > 0) {
			rt_log_warn("process ignored SIGTERM; killing", "name=%s pid=%d",
				    procs[i].name, (int)procs[i].pid);
			kill(procs[i].pid, SIGKILL);
		}
	while (any_running(procs, n)) {
		rt_proc_reap(procs, n, 1);
		rt_clock_sleep_ns(1000000);
	}
}
