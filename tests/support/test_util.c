#include "tests/support/test_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Every name handed out, so a test that fails half-way (the runner jumps out of it,
 * past its cleanup) still leaves no segment behind: removed at exit by the process
 * that made the names (not by forked children). */
static char made[256][32];
static unsigned nmade;
static pid_t made_by;

static void remove_made(void)
{
	if (getpid() != made_by)
		return;
	for (unsigned i = 0; i < nmade && i < 256; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/alluse.%.31s", made[i]);
		shm_unlink(path);
	}
}

const char *test_instance_name(const char *tag)
{
	static char bufs[8][32];
	static unsigned n;
	char *b = bufs[n % 8];
	snprintf(b, sizeof(bufs[0]), "t%d-%.8s-%u", (int)getpid(), tag, n);
	n++;
	if (made_by != getpid()) {
		made_by = getpid();
		nmade = 0;
		atexit(remove_made);
	}
	if (nmade < 256)
		memcpy(made[nmade++], b, sizeof(made[0]));
	return b;
}

const char *test_bin(const char *name)
{
	static char bufs[4][256];
	static unsigned n;
	char *b = bufs[n++ % 4];
	const char *build = getenv("BUILD");
	snprintf(b, sizeof(bufs[0]), "%s/bin/%s", build && *build ? build : "build", name);
	return b;
}

static int append(char **buf, size_t *len, size_t *cap, const char *src, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t nc = (*cap ? *cap * 2 : 4096);
		while (nc < *len + n + 1)
			nc *= 2;
		char *nb = realloc(*buf, nc);
		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = nc;
	}
	memcpy(*buf + *len, src, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int run_capture(const char *const argv[], unsigned timeout_ms, struct run_result *r)
{
	memset(r, 0, sizeof(*r));
	int po[2], pe[2];
	if (pipe(po) || pipe(pe))
		return -errno;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		close(po[1]);
		close(pe[1]);
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	size_t ocap = 0, ecap = 0;
	append(&r->out, &r->out_len, &ocap, "", 0);
	append(&r->err, &r->err_len, &ecap, "", 0);
	struct pollfd fds[2] = {{.fd = po[0], .events = POLLIN}, {.fd = pe[0], .events = POLLIN}};
	int open_fds = 2;
	long long deadline = now_ms() + timeout_ms;
	int killed = 0;
	while (open_fds > 0) {
		long long left = deadline - now_ms();
		if (left <= 0 && !killed) {
			kill(pid, SIGKILL);
			killed = 1;
		}
		int rc = poll(fds, 2, left > 0 ? (int)left : 100);
		if (rc < 0 && errno == EINTR)
			continue;
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char buf[4096];
			ssize_t n = read(fds[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
				continue;
			}
			if (i == 0)
				append(&r->out, &r->out_len, &ocap, buf, (size_t)n);
			else
				append(&r->err, &r->err_len, &ecap, buf, (size_t)n);
		}
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return 0;
}

void run_result_free(struct run_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *test_market_dir(void)
{
	static char market[PATH_MAX + 64];
	if (is_dir("../shared/data/market"))
		return "../shared/data/market";
	char exe[PATH_MAX - 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash;
		while ((slash = strrchr(exe, '/')) && slash != exe) {
			*slash = '\0';
			char probe[PATH_MAX];
			snprintf(probe, sizeof(probe), "%s/workers/core/core_atr.h", exe);
			if (access(probe, F_OK) == 0) {
				snprintf(probe, sizeof(probe), "%s/../shared/data/market", exe);
				if (is_dir(probe)) {
					snprintf(market, sizeof(market), "%s", probe);
					return market;
				}
				break;
			}
		}
	}
	const char *env = getenv("ALLUSE_MARKET_DATA");
	if (env && is_dir(env)) {
		snprintf(market, sizeof(market), "%s", env);
		return market;
	}
	return NULL;
}

pid_t test_find_proc(const char *prog, const char *word)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t found = 0;
	while (d && (de = readdir(d))) {
		char path[300], buf[1024];
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		int has_prog = strstr(buf, prog) != NULL, has_word = 0;
		for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
			has_word |= !strcmp(buf + i, word);
		if (has_prog && has_word) {
			found = (pid_t)atoi(de->d_name);
			break;
		}
	}
	if (d)
		closedir(d);
	return found;
}
