#include "bench/bench_util.h"

#include "rt/rt_config.h"
#include "shm/shm_segment.h"

#include "rt/rt_atomic.h"
#include "rt/rt_cpu.h"
#include "rt/rt_err.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- c2c ---------------------------------------------------------------------------- */

uint64_t bench_c2c_ping(uint64_t *out, const uint64_t *in, uint64_t first, uint64_t warm,
			uint64_t n, struct rt_hist *h, const struct rt_tsc *tsc)
{
	uint64_t i = first;
	for (uint64_t k = 0; k < warm; k++, i++) {
		/* release/acquire: the same pair a ring publish and refresh use */
		rt_store_rel_u64(out, i);
		while (rt_load_acq_u64(in) != i)
			rt_cpu_relax();
	}
	for (uint64_t k = 0; k < n; k++, i++) {
		uint64_t t0 = rt_tsc_read();
		rt_store_rel_u64(out, i);
		while (rt_load_acq_u64(in) != i)
			rt_cpu_relax();
		uint64_t t1 = rt_tsc_read();
		rt_hist_record(h, bench_one_way_ns(tsc, t1 - t0));
	}
	return i;
}

uint64_t bench_c2c_pong(const uint64_t *in, uint64_t *out, uint64_t first, uint64_t total)
{
	uint64_t i = first;
	for (uint64_t k = 0; k < total; k++, i++) {
		while (rt_load_acq_u64(in) != i)
			rt_cpu_relax();
		rt_store_rel_u64(out, i);
	}
	return i;
}

void bench_barrier(uint32_t *mine, const uint32_t *theirs)
{
	/* release: this side's set-up happens-before the other side starts */
	rt_store_rel_u32(mine, 1);
	while (rt_load_acq_u32(theirs) != 1)
		rt_cpu_relax();
}

/* ---- disturbance ------------------------------------------------------------------------ */

int64_t bench_steal_ticks(int cpu)
{
	FILE *f = fopen("/proc/stat", "r");
	if (!f)
		return -1;
	char line[512], want[16];
	int n = snprintf(want, sizeof(want), "cpu%d ", cpu);
	int64_t v = -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long x[8];
		if (strncmp(line, want, (size_t)n) != 0)
			continue;
		if (sscanf(line + n, "%llu %llu %llu %llu %llu %llu %llu %llu", &x[0], &x[1], &x[2],
			   &x[3], &x[4], &x[5], &x[6], &x[7]) == 8)
			v = (int64_t)x[7];
		break;
	}
	fclose(f);
	return v;
}

double bench_steal_ms(const int64_t before[2], const int64_t after[2])
{
	if (before[0] < 0 || before[1] < 0 || after[0] < before[0] || after[1] < before[1])
		return -1;
	return (double)((after[0] - before[0]) + (after[1] - before[1])) * 1000.0 /
	       (double)sysconf(_SC_CLK_TCK);
}

void bench_usage_begin(struct bench_usage *u)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	u->nivcsw0 = ru.ru_nivcsw;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &u->cpu0);
	u->wall0 = rt_clock_now_ns();
}

void bench_usage_end(const struct bench_usage *u, struct bench_side *acc)
{
	struct rusage ru;
	struct timespec cpu1;
	uint64_t wall = rt_clock_now_ns() - u->wall0;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu1);
	getrusage(RUSAGE_SELF, &ru);
	acc->nivcsw += ru.ru_nivcsw - u->nivcsw0;
	acc->cpu_ns += (uint64_t)((cpu1.tv_sec - u->cpu0.tv_sec) * 1000000000ll +
				  (cpu1.tv_nsec - u->cpu0.tv_nsec));
	acc->wall_ns += wall;
}

double bench_side_share(const struct bench_side *s)
{
	return s->wall_ns ? (double)s->cpu_ns / (double)s->wall_ns : 0;
}

double bench_tsc_step_ns(const struct rt_tsc *tsc)
{
	uint64_t best = UINT64_MAX, prev = rt_tsc_read();
	for (int i = 0; i < 10000; i++) {
		uint64_t t = rt_tsc_read();
		if (t > prev && t - prev < best)
			best = t - prev;
		prev = t;
	}
	return best == UINT64_MAX ? 0 : (double)best * tsc->ns_per_tick;
}

/* ---- processes ------------------------------------------------------------------------- */

#define MAX_PROCS 8
#define MAX_CLEANUP 4

static struct {
	const char *bench, *what, *role; /* context of bench_fail in a child */
	pid_t parent;
	char cleanup[MAX_CLEANUP][256];
	int handlers;
} U;

static const int FATAL_SIGNALS[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define NFATAL (sizeof(FATAL_SIGNALS) / sizeof(FATAL_SIGNALS[0]))

static void on_fatal_signal(int sig)
{
	/* unlink(2) and raise(3) are async-signal-safe: remove the scratch files, then
	 * die of the same signal so the shell sees it */
	for (int i = 0; i < MAX_CLEANUP; i++)
		if (U.cleanup[i][0])
			unlink(U.cleanup[i]);
	signal(sig, SIG_DFL);
	raise(sig);
}

void bench_cleanup_add(const char *path)
{
	for (int i = 0; i < MAX_CLEANUP; i++) {
		if (U.cleanup[i][0])
			continue;
		snprintf(U.cleanup[i], sizeof(U.cleanup[i]), "%s", path);
		break;
	}
	if (U.handlers)
		return;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NFATAL; i++)
		sigaction(FATAL_SIGNALS[i], &sa, NULL);
	U.handlers = 1;
}

void bench_cleanup_forget(const char *path)
{
	for (int i = 0; i < MAX_CLEANUP; i++)
		if (strcmp(U.cleanup[i], path) == 0)
			U.cleanup[i][0] = '\0';
}

int bench_fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nalluse-bench %s: %s: %s: %s\n", U.bench ? U.bench : "?",
		U.what ? U.what : "?", U.role ? U.role : "?", msg);
	return 1;
}

static void __attribute__((noreturn)) child_main(const struct bench_proc *p, unsigned watchdog_s)
{
	/* die with the parent: nothing may be left spinning on a CPU */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != U.parent)
		_exit(1);
	for (size_t i = 0; i < NFATAL; i++)
		signal(FATAL_SIGNALS[i], SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	alarm(watchdog_s);
	U.role = p->role;
	struct rt_err err = {0};
	if (p->cpu >= 0 && rt_cpu_pin(p->cpu, &err) != 0)
		_exit(bench_fail("%s", err.msg));
	int rc = p->fn(p->arg);
	fflush(stdout);
	fflush(stderr);
	_exit(rc);
}

int bench_procs_run(const char *bench, const char *what, struct bench_proc *procs, int n,
		    unsigned watchdog_s)
{
	pid_t pid[MAX_PROCS];
	if (n > MAX_PROCS)
		n = MAX_PROCS;
	U.bench = bench;
	U.what = what;
	U.role = NULL;
	U.parent = getpid();
	fflush(stdout);
	fflush(stderr);
	int failed = 0, running = 0;
	for (int i = 0; i < n; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			child_main(&procs[i], watchdog_s);
		if (pid[i] < 0) {
			fprintf(stderr, "\nalluse-bench %s: %s: fork %s: %s\n", bench, what,
				procs[i].role, strerror(errno));
			for (int j = 0; j < i; j++)
				kill(pid[j], SIGKILL);
			n = i;
			failed = 1;
			break;
		}
	}
	running = n;
	while (running) {
		int st;
		pid_t p = waitpid(-1, &st, 0);
		if (p < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		int i = -1;
		for (int j = 0; j < n; j++)
			if (pid[j] == p)
				i = j;
		if (i < 0)
			continue;
		pid[i] = -1;
		running--;
		int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
		if (ok || failed)
			continue;
		failed = 1;
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
			fprintf(stderr,
				"\nalluse-bench %s: %s: %s: watchdog fired: not done after %u s\n",
				bench, what, procs[i].role, watchdog_s);
		else if (WIFSIGNALED(st))
			fprintf(stderr, "\nalluse-bench %s: %s: %s: killed by signal %d (%s)\n",
				bench, what, procs[i].role, WTERMSIG(st), strsignal(WTERMSIG(st)));
		else if (WEXITSTATUS(st) != 1)
			fprintf(stderr, "\nalluse-bench %s: %s: %s: exit status %d\n", bench, what,
				procs[i].role, WEXITSTATUS(st));
		for (int j = 0; j < n; j++)
			if (pid[j] > 0)
				kill(pid[j], SIGKILL);
	}
	return failed;
}

int bench_require(const char *bench, const char *need, const struct bench_opts *o,
		  struct rt_tsc *tsc)
{
	if (rt_cpu_count() < 2 || o->cpus[0] < 0 || o->cpus[1] < 0) {
		fprintf(stderr,
			"alluse-bench %s: needs 2 CPUs for %s, this process may use %d: skipped\n",
			bench, need, rt_cpu_count());
		return 77;
	}
	if (rt_tsc_calibrate(tsc, 100) != 0) {
		fprintf(stderr, "alluse-bench %s: this CPU has no invariant TSC: skipped\n", bench);
		return 77;
	}
	return 0;
}

int bench_config(const char *bench, struct rt_config *cfg, char *instance, size_t n)
{
	struct rt_err err = {0};
	rt_config_defaults(cfg);
	if (rt_config_load_default(cfg, &err) != 0) {
		fprintf(stderr, "alluse-bench %s: %s\n", bench, err.msg);
		return 1;
	}
	snprintf(instance, n, "bench-%s-%d", bench, (int)getpid());
	snprintf(cfg->instance, sizeof(cfg->instance), "%s", instance);
	return 0;
}

void bench_segment_remove(const char *bench, struct shm_segment *seg, const char *instance,
			  char *seg_path)
{
	if (!seg_path[0])
		return;
	struct rt_err err = {0};
	shm_segment_detach(seg);
	if (shm_segment_unlink(instance, &err) != 0)
		fprintf(stderr, "alluse-bench %s: remove %s: %s\n", bench, seg_path, err.msg);
	bench_cleanup_forget(seg_path);
	seg_path[0] = '\0';
}
