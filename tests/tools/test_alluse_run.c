/* `alluse run` end to end: real processes (supervisor, feeder, workers) over a real
 * segment; a worker killed with SIGKILL is restarted and carries on where it was;
 * Ctrl-C stops everything and removes the segment; bad configurations are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "shm/shm_counters.h"
#include "shm/shm_pos.h"
#include "shm/shm_segment.h"
#include "tests/support/test_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char g_dir[128], g_cfg[160], g_pos[160];
static const char *g_inst;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static pid_t start_run(void)
{
	pid_t p = fork();
	if (p == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(test_bin("alluse"), "alluse", "run", "-c", g_cfg, (char *)NULL);
		_exit(127);
	}
	return p;
}

static uint64_t counter(struct shm_segment *s, const char *owner, const char *label)
{
	const struct shm_dir_entry *e = shm_segment_find_kind_name(s, SHM_KIND_COUNTERS, owner);
	if (!e)
		return 0;
	struct shm_counters cs;
	shm_counters_attach(&cs, shm_segment_region(s, e));
	for (uint32_t i = 0; i < shm_counters_count(&cs); i++)
		if (!strcmp(shm_counters_at(&cs, i)->label, label))
			return __atomic_load_n(&shm_counters_at(&cs, i)->value, __ATOMIC_RELAXED);
	return 0;
}

static int wait_for(int (*cond)(struct shm_segment *), struct shm_segment *s, unsigned ms)
{
	for (unsigned i = 0; i < ms / 20; i++) {
		if (cond(s))
			return 1;
		usleep(20000);
	}
	return 0;
}

static int positions_active(struct shm_segment *s)
{
	return counter(s, "worker.0", "positions") + counter(s, "worker.1", "positions") == 3;
}

static int restarted(struct shm_segment *s)
{
	return counter(s, "supervisor", "process.restarts") >= 1;
}

static void levels(struct shm_segment *s, uint8_t out[4], uint32_t *n)
{
	*n = 0;
	for (uint32_t w = 0; w < 2; w++) {
		const struct shm_dir_entry *e =
			shm_segment_find(s, SHM_KIND_POSITIONS, SHM_ROLE_NONE, w);
		struct shm_pos_table pt;
		shm_pos_attach(&pt, shm_segment_region(s, e));
		for (uint32_t i = 0; i < pt.hdr->high; i++) {
			struct shm_pos p;
			shm_pos_read(&pt, i, &p);
			if (p.state == SHM_POS_ACTIVE && p.pos_id < 4)
				out[p.pos_id] = p.level;
			*n += p.state == SHM_POS_ACTIVE;
		}
	}
}

static void setup_files(void)
{
	snprintf(g_dir, sizeof(g_dir), "/tmp/alluse-run-%d", (int)getpid());
	mkdir(g_dir, 0700);
	g_inst = test_instance_name("run");
	snprintf(g_pos, sizeof(g_pos), "%s/positions.csv", g_dir);
	/* AAPL starts at 192.53 with ATR(5) 2.018 (config/bars): 1 at level 1, 2 at 0 */
	write_file(g_pos, "1,gen,AAPL,P,194.60,2026-11-27,5\n"
			  "2,gen,MSFT,P,300.00,2026-11-27,1\n"
			  "3,com,SPY,C,900.00,2026-11-27,1\n");
	snprintf(g_cfg, sizeof(g_cfg), "%s/alluse.yaml", g_dir);
	char text[1024];
	snprintf(text, sizeof(text),
		 "instance: %s\nlog_level: warn\nfeeder:\n  speed: 5.0\nworkers:\n  count: 2\n"
		 "protocol:\n  positions_file: %s\n  bars_dir: config/bars\n",
		 g_inst, g_pos);
	write_file(g_cfg, text);
}

static void test_killed_worker_is_restarted_and_resumes_its_positions(void **state)
{
	(void)state;
	setup_files();
	pid_t sup = start_run();
	struct shm_segment s;
	struct rt_err err = {0};
	int attached = 0;
	for (int i = 0; i < 250 && !attached; i++) {
		attached = shm_segment_attach_readonly(&s, g_inst, 0, &err) == 0;
		if (!attached)
			usleep(20000);
	}
	assert_true(attached);
	assert_true(wait_for(positions_active, &s, 5000));
	usleep(300000);
	uint8_t before[4] = {9, 9, 9, 9};
	uint32_t n;
	levels(&s, before, &n);
	assert_int_equal(n, 3);
	assert_int_equal(before[1], 1); /* AAPL put at level 1 from the start */
	pid_t w = test_find_proc("alluse-worker", g_inst);
	assert_true(w > 0);
	kill(w, SIGKILL);
	assert_true(wait_for(restarted, &s, 5000));
	pid_t w2 = 0;
	for (int i = 0; i < 100 && !(w2 = test_find_proc("alluse-worker", g_inst)); i++)
		usleep(20000);
	usleep(300000);
	uint8_t after[4] = {9, 9, 9, 9};
	levels(&s, after, &n);
	assert_int_equal(n, 3); /* every position survived the crash */
	assert_memory_equal(before, after, sizeof(before));
	/* the restarted worker is alive and consuming: its heartbeat moves */
	uint64_t hb0 =
		counter(&s, "worker.0", "heartbeat.ns") + counter(&s, "worker.1", "heartbeat.ns");
	usleep(200000);
	uint64_t hb1 =
		counter(&s, "worker.0", "heartbeat.ns") + counter(&s, "worker.1", "heartbeat.ns");
	assert_true(hb1 > hb0);
	assert_true(counter(&s, "feeder", "quotes.published") > 0);
	shm_segment_detach(&s);
	/* Ctrl-C: clean stop, segment removed */
	kill(sup, SIGINT);
	int status;
	waitpid(sup, &status, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(shm_segment_attach_readonly(&s, g_inst, 0, &err), -ENOENT);
	unlink(g_pos);
	unlink(g_cfg);
	rmdir(g_dir);
}

static void test_run_refuses_a_bad_configuration_with_its_line(void **state)
{
	(void)state;
	char dir[128], path[160];
	snprintf(dir, sizeof(dir), "/tmp/alluse-badcfg-%d", (int)getpid());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/bad.yaml", dir);
	write_file(path, "instance: x\nworkers:\n  count: 2\n  idle: spinn\n");
	const char *argv[] = {test_bin("alluse"), "run", "-c", path, NULL};
	struct run_result r;
	assert_int_equal(run_capture(argv, 5000, &r), 0);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "bad.yaml:4"));
	assert_non_null(strstr(r.err, "workers.idle"));
	assert_non_null(strstr(r.err, "spin, backoff, block"));
	run_result_free(&r);
	write_file(path, "protocol:\n  level1_atr: 2.0\n  level2_atr: 1.5\n");
	const char *check[] = {test_bin("alluse"), "config", "check", "-c", path, NULL};
	assert_int_equal(run_capture(check, 5000, &r), 0);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "levels must widen"));
	run_result_free(&r);
	const char *usage[] = {test_bin("alluse"), "fly", NULL};
	assert_int_equal(run_capture(usage, 5000, &r), 0);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "unknown command 'fly'"));
	run_result_free(&r);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_killed_worker_is_restarted_and_resumes_its_positions),
		cmocka_unit_test(test_run_refuses_a_bad_configuration_with_its_line),
	};
	return cmocka_run_group_tests_name("alluse_run", tests, NULL, NULL);
}
