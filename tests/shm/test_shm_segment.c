/* Segment create/attach/validate: every header field, truncated files, bad
 * directories, stale owners, region lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "shm/shm_segment.h"
#include "shm/shm_board.h"
#include "shm/shm_counters.h"
#include "shm/shm_instr.h"
#include "shm/shm_ring.h"
#include "tests/support/test_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct shm_create_opts OPTS = {.mode = 0600};

static void small_plan(struct shm_plan *p)
{
	memset(p, 0, sizeof(*p));
	assert_int_equal(
		shm_plan_add(p, SHM_KIND_INSTRUMENTS, SHM_ROLE_NONE, 0, "instruments", 16, NULL),
		0);
	assert_int_equal(shm_plan_add(p, SHM_KIND_BOARD, SHM_ROLE_NONE, 0, "board", 16, NULL), 0);
	assert_int_equal(shm_plan_add(p, SHM_KIND_RING, SHM_ROLE_QUOTES, 0, "quotes.0", 64, NULL),
			 0);
	assert_int_equal(shm_plan_add(p, SHM_KIND_COUNTERS, SHM_ROLE_NONE, 0, "feeder", 8, NULL),
			 0);
}

/* Create + publish a segment, copy its bytes to a private file we can corrupt. */
static char *make_copy(const char *inst, uint8_t **map, uint64_t *size)
{
	static struct shm_plan plan;
	small_plan(&plan);
	struct shm_segment seg;
	struct rt_err err = {0};
	assert_int_equal(shm_segment_create(&seg, inst, &plan, &OPTS, &err), 0);
	shm_segment_publish(&seg);
	static char path[128];
	snprintf(path, sizeof(path), "/tmp/alluse-test-%d-%s.seg", (int)getpid(), inst);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, seg.base, seg.size), (ssize_t)seg.size);
	*size = seg.size;
	shm_segment_detach(&seg);
	shm_segment_unlink(inst, NULL);
	*map = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(*map != MAP_FAILED);
	return path;
}

static int attach_copy(const char *path, struct rt_err *err)
{
	struct shm_segment s;
	int rc = shm_segment_attach_path(&s, path, 1, 0, err);
	if (rc == 0)
		shm_segment_detach(&s);
	return rc;
}

static void test_segment_create_attach_roundtrip(void **state)
{
	(void)state;
	const char *inst = test_instance_name("seg");
	struct shm_plan plan;
	small_plan(&plan);
	struct shm_segment seg, ro;
	struct rt_err err = {0};
	assert_int_equal(shm_segment_create(&seg, inst, &plan, &OPTS, &err), 0);
	/* not ready yet: attach waits, then times out with the reason */
	assert_int_equal(shm_segment_attach_readonly(&ro, inst, 20, &err), -ETIMEDOUT);
	assert_non_null(strstr(err.msg, "not ready after 20 ms"));
	shm_segment_publish(&seg);
	assert_int_equal(shm_segment_attach_readonly(&ro, inst, 0, &err), 0);
	assert_int_equal(ro.hdr->layout_version, SHM_LAYOUT_VERSION);
	assert_int_equal(ro.hdr->creator_pid, (uint32_t)getpid());
	assert_string_equal(ro.hdr->instance, inst);
	assert_int_equal(ro.hdr->region_count, 4);
	assert_int_equal(ro.size % 4096, 0);
	const struct shm_dir_entry *e = shm_segment_find(&ro, SHM_KIND_RING, SHM_ROLE_QUOTES, 0);
	assert_non_null(e);
	assert_string_equal(e->name, "quotes.0");
	assert_int_equal(e->offset % SHM_ALIGN, 0);
	assert_ptr_equal(shm_segment_find_name(&ro, "board"),
			 shm_segment_find(&ro, SHM_KIND_BOARD, SHM_ROLE_NONE, 0));
	assert_null(shm_segment_find(&ro, SHM_KIND_RING, SHM_ROLE_EVENTS, 0));
	assert_null(shm_segment_find_name(&ro, "nope"));
	/* file mode is what was asked for */
	struct stat st;
	assert_int_equal(stat(seg.path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* the read-only mapping really is read-only: a write would fault, so just check
	 * the flag, and that the creator's writes show through */
	assert_int_equal(ro.readonly, 1);
	struct shm_counters cs;
	shm_counters_attach(&cs, shm_segment_region(&seg, shm_segment_find_name(&seg, "feeder")));
	uint64_t *v = shm_counters_get_or_add(&cs, "drops");
	rt_counter_add(v, 3);
	struct shm_counters rcs;
	shm_counters_attach(&rcs, shm_segment_region(&ro, shm_segment_find_name(&ro, "feeder")));
	assert_int_equal(shm_counters_at(&rcs, 0)->value, 3);
	shm_segment_detach(&ro);
	shm_segment_detach(&ro); /* safe twice */
	shm_segment_detach(&seg);
	assert_int_equal(shm_segment_unlink(inst, &err), 0);
	assert_int_equal(shm_segment_attach_readonly(&ro, inst, 0, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "No such file"));
}

static void test_segment_create_refuses_bad_instance_and_plan(void **state)
{
	(void)state;
	struct shm_plan plan;
	struct shm_segment seg;
	struct rt_err err = {0};
	small_plan(&plan);
	assert_int_equal(shm_segment_create(&seg, "bad/name", &plan, &OPTS, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "character '/'"));
	assert_int_equal(shm_segment_create(&seg, "", &plan, &OPTS, &err), -EINVAL);
	assert_int_equal(shm_plan_add(&plan, SHM_KIND_RING, 0, 0, "r", 100, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "capacity 100"));
	assert_int_equal(shm_plan_add(&plan, 99, 0, 0, "r", 8, &err), -EINVAL);
	struct shm_plan empty = {0};
	assert_int_equal(shm_segment_create(&seg, test_instance_name("empty"), &empty, &OPTS, &err),
			 -EINVAL);
}

static void test_segment_create_refuses_a_live_instance(void **state)
{
	(void)state;
	const char *inst = test_instance_name("live");
	struct shm_plan plan;
	small_plan(&plan);
	struct shm_segment a, b;
	struct rt_err err = {0};
	assert_int_equal(shm_segment_create(&a, inst, &plan, &OPTS, &err), 0);
	shm_segment_publish(&a);
	struct shm_create_opts take = OPTS;
	take.takeover_stale = 1; /* never applies to a live owner */
	assert_int_equal(shm_segment_create(&b, inst, &plan, &take, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "already running"));
	shm_segment_detach(&a);
	shm_segment_unlink(inst, NULL);
}

static void test_segment_left_by_dead_owner_is_reported_then_taken_over(void **state)
{
	(void)state;
	const char *inst = test_instance_name("stale");
	struct shm_plan plan;
	small_plan(&plan);
	pid_t child = fork();
	if (child == 0) {
		struct shm_segment s;
		_exit(shm_segment_create(&s, inst, &plan, &OPTS, NULL) == 0 ? 0 : 1);
	}
	int status;
	waitpid(child, &status, 0);
	assert_int_equal(WEXITSTATUS(status), 0);
	struct shm_segment seg;
	struct rt_err err = {0};
	assert_int_equal(shm_segment_create(&seg, inst, &plan, &OPTS, &err), -EOWNERDEAD);
	assert_non_null(strstr(err.msg, "left behind by pid"));
	assert_non_null(strstr(err.msg, "--takeover"));
	assert_false(shm_owner_alive((uint32_t)child, 0));
	struct shm_create_opts take = OPTS;
	take.takeover_stale = 1;
	assert_int_equal(shm_segment_create(&seg, inst, &plan, &take, &err), 0);
	assert_int_equal(seg.hdr->creator_pid, (uint32_t)getpid());
	shm_segment_detach(&seg);
	shm_segment_unlink(inst, NULL);
}

static void test_owner_alive_tells_a_reused_pid_apart(void **state)
{
	(void)state;
	uint32_t me = (uint32_t)getpid();
	uint64_t t = shm_pid_start_ticks(me);
	assert_true(t > 0);
	assert_true(shm_owner_alive(me, t));
	assert_false(shm_owner_alive(me, t + 1)); /* same pid, other start time */
	assert_false(shm_owner_alive(0, 0));
}

static void test_attach_reports_wrong_magic(void **state)
{
	(void)state;
	uint8_t *m;
	uint64_t size;
	char *path = make_copy(test_instance_name("magic"), &m, &size);
	((struct shm_header *)m)->magic = 0x1122334455667788ull;
	struct rt_err err = {0};
	assert_int_equal(attach_copy(path, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "wrong magic 0x1122334455667788"));
	munmap(m, size);
	unlink(path);
}

static void test_attach_reports_layout_version_mismatch(void **state)
{
	(void)state;
	uint8_t *m;
	uint64_t size;
	char *path = make_copy(test_instance_name("ver"), &m, &size);
	((struct shm_header *)m)->layout_version = SHM_LAYOUT_VERSION + 2;
	struct rt_err err = {0};
	assert_int_equal(attach_copy(path, &err), -EPROTO);
	char want[80];
	snprintf(want, sizeof(want), "layout version %u, but this build reads %u",
		 SHM_LAYOUT_VERSION + 2, SHM_LAYOUT_VERSION);
	assert_non_null(strstr(err.msg, want));
	munmap(m, size);
	unlink(path);
}

static void test_attach_reports_truncated_file(void **state)
{
	(void)state;
	uint8_t *m;
	uint64_t size;
	char *path = make_copy(test_instance_name("trunc"), &m, &size);
	munmap(m, size);
	assert_int_equal(truncate(path, (off_t)(size - 4096)), 0);
	struct rt_err err = {0};
	assert_int_equal(attach_copy(path, &err), -EMSGSIZE);
	assert_non_null(strstr(err.msg, "(truncated)"));
	assert_int_equal(truncate(path, 100), 0);
	assert_int_equal(attach_copy(path, &err), -EMSGSIZE);
	assert_non_null(strstr(err.msg, "truncated to 100 bytes"));
	unlink(path);
}

static void test_attach_reports_grown_file(void **state)
{
	(void)state;
	uint8_t *m;
	uint64_t size;
	char *path = make_copy(test_instance_name("grow"), &m, &size);
	munmap(m, size);
	assert_int_equal(truncate(path, (off_t)(size + 4096)), 0);
	struct rt_err err = {0};
	assert_int_equal(attach_copy(path, &err), -EFBIG);
	assert_non_null(strstr(err.msg, "but the file has"));
	unlink(path);
}

static void test_attach_reports_not_ready(void **state)
{
	(void)state;
	uint8_t *m;
	uint64_t size;
	char *path = make_copy(test_instance_name("ready"), &m, &size);
	((struct shm_header *)m)->ready = 0;
	struct rt_err err = {0};
	struct shm_segment s;
	assert_int_equal(shm_segment_attach_path(&s, path, 1, 30, &err), -ETIMEDOUT);
	assert_non_null(strstr(err.msg, "not ready after 30 ms"));
	munmap(m, size);
	unlink(path);
}

static void test_attach_reports_each_bad_directory_entry(void **state)
{
	(void)state;
	uint8_t *m;
	uint64_t size;
	char *path = make_copy(test_instance_name("dir"), &m, &size);
	struct shm_header *h = (struct shm_header *)m;
	struct shm_dir_entry *d = (struct shm_dir_entry *)(m + h->dir_offset);
	struct rt_err err = {0};
	struct shm_dir_entry saved = d[2];

	d[2].offset = size - 64; /* region 2 runs off the end */
	assert_int_equal(attach_copy(path, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "region 2 'quotes.0' out of bounds"));
	d[2] = saved;

	d[2].offset = UINT64_MAX - 10; /* offset + size overflows */
	assert_int_equal(attach_copy(path, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "out of bounds"));
	d[2] = saved;

	d[2].offset = saved.offset + 8; /* misaligned */
	assert_int_equal(attach_copy(path, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "out of bounds"));
	d[2] = saved;

	d[2].kind = 42;
	assert_int_equal(attach_copy(path, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "region 2 'quotes.0': unknown kind 42"));
	d[2] = saved;

	d[2].offset = d[1].offset; /* overlaps the board */
	assert_int_equal(attach_copy(path, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "overlaps region 1 'board'"));
	d[2] = saved;

	memset(d[2].name, 'x', sizeof(d[2].name));
	assert_int_equal(attach_copy(path, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "region 2: name is not terminated"));
	d[2] = saved;

	d[2].offset = 64; /* inside the header/directory */
	assert_int_equal(attach_copy(path, &err), -EBADMSG);
	d[2] = saved;

	h->region_count = 0;
	assert_int_equal(attach_copy(path, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "region count 0"));
	h->region_count = 4;

	h->dir_capacity = 100000;
	assert_int_equal(attach_copy(path, &err), -EBADMSG);
	h->dir_capacity = 4;

	assert_int_equal(attach_copy(path, &err), 0); /* all restored */
	munmap(m, size);
	unlink(path);
}

static void test_attach_reports_corrupt_region_contents(void **state)
{
	(void)state;
	uint8_t *m;
	uint64_t size;
	char *path = make_copy(test_instance_name("corrupt"), &m, &size);
	struct shm_header *h = (struct shm_header *)m;
	struct shm_dir_entry *d = (struct shm_dir_entry *)(m + h->dir_offset);
	struct rt_err err = {0};

	struct shm_ring_hdr *r = (struct shm_ring_hdr *)(m + d[2].offset);
	r->read_pos = 10;
	assert_int_equal(attach_copy(path, &err), -EBADMSG);
	assert_non_null(
		strstr(err.msg, "region 2 'quotes.0' (ring): ring read position 10 is ahead"));
	r->read_pos = 0;

	struct shm_board_hdr *b = (struct shm_board_hdr *)(m + d[1].offset);
	b->capacity = 1u << 30;
	assert_int_equal(attach_copy(path, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "board capacity"));
	b->capacity = 16;

	struct shm_instr_hdr *ih = (struct shm_instr_hdr *)(m + d[0].offset);
	ih->count = 17;
	assert_int_equal(attach_copy(path, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "instrument count 17 exceeds capacity 16"));
	ih->count = 0;

	struct shm_counters_hdr *ch = (struct shm_counters_hdr *)(m + d[3].offset);
	ch->magic = 0;
	assert_int_equal(attach_copy(path, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "counters magic"));
	ch->magic = SHM_COUNTERS_MAGIC;

	assert_int_equal(attach_copy(path, &err), 0);
	munmap(m, size);
	unlink(path);
}

static void test_attach_of_garbage_file_fails_cleanly(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "/tmp/alluse-test-%d-garbage.seg", (int)getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	uint8_t buf[8192];
	unsigned s = 12345;
	for (size_t i = 0; i < sizeof(buf); i++) {
		s = s * 1103515245u + 12345u;
		buf[i] = (uint8_t)(s >> 16);
	}
	assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	close(fd);
	struct rt_err err = {0};
	assert_int_equal(attach_copy(path, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, path));
	/* empty file */
	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(attach_copy(path, &err), -EMSGSIZE);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segment_create_attach_roundtrip),
		cmocka_unit_test(test_segment_create_refuses_bad_instance_and_plan),
		cmocka_unit_test(test_segment_create_refuses_a_live_instance),
		cmocka_unit_test(test_segment_left_by_dead_owner_is_reported_then_taken_over),
		cmocka_unit_test(test_owner_alive_tells_a_reused_pid_apart),
		cmocka_unit_test(test_attach_reports_wrong_magic),
		cmocka_unit_test(test_attach_reports_layout_version_mismatch),
		cmocka_unit_test(test_attach_reports_truncated_file),
		cmocka_unit_test(test_attach_reports_grown_file),
		cmocka_unit_test(test_attach_reports_not_ready),
		cmocka_unit_test(test_attach_reports_each_bad_directory_entry),
		cmocka_unit_test(test_attach_reports_corrupt_region_contents),
		cmocka_unit_test(test_attach_of_garbage_file_fails_cleanly),
	};
	return cmocka_run_group_tests_name("shm_segment", tests, NULL, NULL);
}
