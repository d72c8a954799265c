/*
 * The rules process end to end: `alluse run` on a replayed Thursday morning (QQQ and
 * its put chain, 09:29 -> 09:46 New York). The rules process opens the day, scans the
 * Gen-Acc window, audits one entry intent and its paper fill into the journal, and
 * hands the position to the worker; alluse-ctl commands are applied and audited with
 * who ran them; a SIGKILLed rules process restarts from its snapshot without repeating
 * the day's scan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "rt/rt_fs.h"
#include "shm/shm_counters.h"
#include "shm/shm_layout.h"
#include "shm/shm_segment.h"
#include "tests/support/test_util.h"
#include "workers/core/core_bs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char g_dir[128], g_cfg[160], g_csv[160], g_journal[200];
static const char *g_inst;

static pid_t start_run(void)
{
	pid_t p = fork();
	if (p == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		char log[200];
		snprintf(log, sizeof(log), "%s/run.log", g_dir);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(test_bin("alluse"), "alluse", "run", "-c", g_cfg, (char *)NULL);
		_exit(127);
	}
	return p;
}

static void stop_run(pid_t p)
{
	kill(p, SIGTERM);
	int st;
	waitpid(p, &st, 0);
}

/* The replay: QQQ at 600, its puts expiring Friday 2026-01-16 at strikes 590..605
 * priced by Black-Scholes (σ 0.20) from 09:40, quoted mid ± $0.05. */
static void write_replay(void)
{
	FILE *f = fopen(g_csv, "w");
	assert_non_null(f);
	fprintf(f, "time,symbol,bid,ask,last,bid_size,ask_size,last_size\n");
	fprintf(f, "2026-01-15T14:29:00Z,QQQ,599.99,600.01,600.00,100,100,100\n");
	double t = (6.0 * 3600 + 20 * 60 + 24 * 3600) / (365.0 * 86400); /* 09:40 -> Fri 16:00 */
	for (int k = 590; k <= 605; k++) {
		struct core_bs_input in = {CORE_RIGHT_PUT, 600.0, k, t, 0.04, 0.0, 0.20};
		double mid = round(core_bs_price(&in) * 100) / 100;
		fprintf(f, "2026-01-15T14:40:00Z,QQQ   260116P%08d,%.2f,%.2f,,10,10,\n", k * 1000,
			mid - 0.05, mid + 0.05);
	}
	fprintf(f, "2026-01-15T14:46:00Z,QQQ,599.99,600.01,600.00,100,100,100\n");
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	g_inst = test_instance_name("rules");
	snprintf(g_dir, sizeof(g_dir), "/tmp/%s", g_inst);
	assert_int_equal(mkdir(g_dir, 0700), 0);
	snprintf(g_cfg, sizeof(g_cfg), "%s/alluse.yaml", g_dir);
	snprintf(g_csv, sizeof(g_csv), "%s/thursday.csv", g_dir);
	snprintf(g_journal, sizeof(g_journal), "%s/audit/%s", g_dir, g_inst);
	write_replay();
	FILE *f = fopen(g_cfg, "w");
	assert_non_null(f);
	fprintf(f,
		"instance: %s\n"
		"feeder:\n  source: replay\n  replay_file: %s\n  speed: 0\n  max_age_ms: 0\n"
		"workers:\n  count: 1\n  idle: block\n"
		"protocol:\n  positions_file: \"\"\n"
		"audit:\n  dir: %s/audit\n",
		g_inst, g_csv, g_dir);
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(rt_rmtree(g_dir), 0);
	shm_segment_unlink(g_inst, NULL);
	return 0;
}

/* Run a tool, return its stdout (static, valid until the next call) and status. */
static const char *tool(int *status, const char *const argv[])
{
	static struct run_result r;
	run_result_free(&r);
	memset(&r, 0, sizeof(r));
	assert_int_equal(run_capture(argv, 20000, &r), 0);
	*status = r.status;
	return r.out ? r.out : "";
}

static int count_of(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* `alluse-audit show --kind K` lines containing `needle`, after the journal caught up */
static int audited(const char *kind, const char *needle)
{
	int st;
	const char *argv[] = {
		test_bin("alluse-audit"), "show", "--journal", g_journal, "--kind", kind, NULL};
	const char *out = tool(&st, argv);
	return st == 0 ? count_of(out, needle) : -1;
}

static int wait_audited(const char *kind, const char *needle, int want, unsigned ms)
{
	int n = 0;
	for (unsigned i = 0; i < ms / 100; i++) {
		if ((n = audited(kind, needle)) >= want)
			return n;
		usleep(100000);
	}
	return n;
}

static uint64_t counter(const char *owner, const char *label)
{
	struct shm_segment s;
	struct rt_err err = {0};
	if (shm_segment_attach_readonly(&s, g_inst, 0, &err) != 0)
		return 0;
	uint64_t v = 0;
	const struct shm_dir_entry *e = shm_segment_find_kind_name(&s, SHM_KIND_COUNTERS, owner);
	if (e) {
		struct shm_counters cs;
		shm_counters_attach(&cs, shm_segment_region(&s, e));
		for (uint32_t i = 0; i < shm_counters_count(&cs); i++)
			if (!strcmp(shm_counters_at(&cs, i)->label, label))
				v = __atomic_load_n(&shm_counters_at(&cs, i)->value,
						    __ATOMIC_RELAXED);
	}
	shm_segment_detach(&s);
	return v;
}

static pid_t rules_pid(void)
{
	return test_find_proc("alluse-rules", g_inst);
}

static void test_a_replayed_thursday_enters_one_gen_put_audited_and_watched(void **state)
{
	(void)state;
	pid_t run = start_run();
	/* the entry intent and its paper fill reach the journal */
	assert_int_equal(wait_audited("intent", "gen1", 1, 30000), 1);
	assert_int_equal(wait_audited("fill", "paper", 1, 10000), 1);
	assert_int_equal(audited("intent", "QQQ   260116P"), 1);
	/* the state walked the day: SAFE -> SCANNING -> ANALYZING -> ORDERING -> MONITORING */
	assert_true(wait_audited("state", "MONITORING", 1, 10000) >= 1);
	/* the worker watches the new short */
	for (int i = 0; i < 100 && counter("worker.0", "positions") != 1; i++)
		usleep(100000);
	assert_int_equal(counter("worker.0", "positions"), 1);

	/* alluse-ctl status shows the desk */
	int st;
	const char *status[] = {test_bin("alluse-ctl"), "-n", g_inst, "status", NULL};
	const char *out = tool(&st, status);
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "state         MONITORING"));
	assert_non_null(strstr(out, "accounts      3"));
	assert_non_null(strstr(out, "short options 1"));
	/* operator commands: applied, audited with who ran them */
	const char *safe[] = {test_bin("alluse-ctl"), "-n", g_inst, "safe", NULL};
	tool(&st, safe);
	assert_int_equal(st, 0);
	assert_int_equal(counter("rules", "state"), SHM_STATE_SAFE);
	assert_true(wait_audited("command", "uid=", 1, 10000) >= 1);
	const char *reset[] = {test_bin("alluse-ctl"), "-n", g_inst, "reset", NULL};
	tool(&st, reset);
	assert_int_not_equal(st, 0); /* reset needs --confirm */
	const char *resume[] = {test_bin("alluse-ctl"), "-n", g_inst, "resume", NULL};
	tool(&st, resume);
	assert_int_equal(st, 0);
	assert_int_equal(counter("rules", "state"), SHM_STATE_SCANNING);

	/* SIGKILL the rules process: restarted from its snapshot, the scan not repeated,
	 * the position still watched */
	pid_t rp = rules_pid();
	assert_true(rp > 0);
	kill(rp, SIGKILL);
	for (int i = 0; i < 100 && (rules_pid() == rp || rules_pid() == 0); i++)
		usleep(100000);
	assert_true(rules_pid() > 0 && rules_pid() != rp);
	sleep(2);
	assert_int_equal(audited("intent", "gen1"), 1);
	assert_int_equal(counter("worker.0", "positions"), 1);
	stop_run(run);
}

/* `alluse-audit show --kind K` without each line's journal sequence number */
static char *decisions(const char *kind)
{
	int st;
	const char *argv[] = {
		test_bin("alluse-audit"), "show", "--journal", g_journal, "--kind", kind, NULL};
	const char *out = tool(&st, argv);
	assert_int_equal(st, 0);
	char *res = calloc(1, strlen(out) + 1);
	assert_non_null(res);
	for (const char *l = out; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		const char *sp = memchr(l, ' ', n);
		if (sp)
			strncat(res, sp, n - (size_t)(sp - l) + (e ? 1 : 0));
		l += n + (e ? 1 : 0);
	}
	return res;
}

static void test_the_same_replay_twice_gives_the_same_intents_and_fills(void **state)
{
	(void)state;
	char *intents[2], *fills[2];
	for (int run = 0; run < 2; run++) {
		if (run) { /* a second instance on the same replay */
			teardown(NULL);
			setup(NULL);
		}
		pid_t p = start_run();
		assert_int_equal(wait_audited("fill", "paper", 1, 30000), 1);
		stop_run(p);
		intents[run] = decisions("intent");
		fills[run] = decisions("fill");
		assert_non_null(strstr(intents[run], "2026-01-15T14:46:00.000000000Z"));
	}
	assert_string_equal(intents[0], intents[1]);
	assert_string_equal(fills[0], fills[1]);
	for (int run = 0; run < 2; run++) {
		free(intents[run]);
		free(fills[run]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_a_replayed_thursday_enters_one_gen_put_audited_and_watched, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_the_same_replay_twice_gives_the_same_intents_and_fills, setup,
			teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
