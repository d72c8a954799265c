/* The journal (workers/audit/audit_journal.h): append, group commit by count and by
 * time, rotation, the durable callback, reopening, the torn-tail repair, a flipped
 * byte and a rewritten record found by verify with their sequence, file and offset,
 * write and fdatasync failures that stop the writer, and the decision digest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "rt/rt_fs.h"
#include "rt/rt_clock.h"
#include "workers/audit/audit_chain.h"
#include "workers/audit/audit_crc32c.h"
#include "workers/audit/audit_journal.h"
#include "workers/audit/audit_verify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(g_dir, sizeof(g_dir), "/tmp/alluse-tj.XXXXXX");
	return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	rt_rmtree(g_dir);
	return 0;
}

static struct audit_journal *open_j(struct audit_journal_cfg *c, struct audit_journal_report *rep)
{
	struct audit_journal *j = NULL;
	struct rt_err err = {0};
	if (!c->dir)
		c->dir = g_dir;
	if (!c->instance)
		c->instance = "test";
	int rc = audit_journal_open(&j, c, rep, &err);
	if (rc)
		fprintf(stderr, "open: %s\n", err.msg);
	assert_int_equal(rc, 0);
	return j;
}

/* record i of source s: payload derived from (s, i) */
static void rec(struct audit_rec_in *in, uint8_t *pl, uint32_t s, uint64_t i)
{
	uint32_t len = (uint32_t)((i * 13u + s) % 200u);
	for (uint32_t k = 0; k < len; k++)
		pl[k] = (uint8_t)(i + k * 3u + s);
	memset(in, 0, sizeof(*in));
	in->source = s;
	in->kind = 1 + (uint32_t)(i % SHM_AUDIT_KIND_MAX);
	in->src_seq = i;
	in->event_ns = 1700000000000000000ull + i * 1000u;
	in->recv_ns = rt_clock_now_ns();
	in->emit_ns = in->recv_ns - 100;
	in->src_pos = i * 2;
	in->plen = len;
	in->payload = pl;
}

static void append_n(struct audit_journal *j, uint32_t source, uint64_t from, uint64_t n)
{
	uint8_t pl[256];
	struct rt_err err = {0};
	for (uint64_t i = from; i < from + n; i++) {
		struct audit_rec_in in;
		rec(&in, pl, source, i);
		int rc;
		while ((rc = audit_journal_append(j, &in, NULL)) == -ENOBUFS) {
			assert_true(audit_journal_poll(j, rt_clock_now_ns(), &err) >= 0);
			struct pollfd p = {.fd = audit_journal_fd(j), .events = POLLIN};
			poll(&p, 1, 10);
		}
		assert_int_equal(rc, 0);
	}
}

static void flush(struct audit_journal *j)
{
	struct rt_err err = {0};
	int rc = audit_journal_flush(j, &err);
	if (rc)
		fprintf(stderr, "flush: %s\n", err.msg);
	assert_int_equal(rc, 0);
}

static int verify(struct audit_verify_result *res)
{
	struct rt_err err = {0};
	int rc = audit_verify(g_dir, NULL, NULL, res, &err);
	assert_true(rc >= 0);
	return rc;
}

static uint64_t durable(struct audit_journal *j)
{
	struct audit_journal_stats st;
	audit_journal_stats(j, &st);
	return st.durable_seq;
}

static void path_of(const char *file, char *out, size_t n)
{
	snprintf(out, n, "%s/%.40s", g_dir, file);
}

static off_t size_of(const char *file)
{
	char p[128];
	path_of(file, p, sizeof(p));
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	return st.st_size;
}

static void test_append_flush_reopen_and_the_chain_continues(void **state)
{
	(void)state;
	struct audit_journal_cfg c = {0};
	struct audit_journal_report rep;
	struct audit_journal *j = open_j(&c, &rep);
	assert_int_equal(rep.files, 0);
	assert_int_equal(rep.last_jseq, 0);
	append_n(j, SHM_AUDIT_SRC_FEEDER, 1, 1000);
	flush(j);
	assert_int_equal(durable(j), 1000);
	uint8_t head[32];
	audit_journal_head(j, head);
	audit_journal_close(j);

	j = open_j(&c, &rep);
	assert_int_equal(rep.files, 1);
	assert_int_equal(rep.last_jseq, 1000);
	assert_false(rep.torn_cut || rep.corrupt || rep.header_removed);
	uint8_t head2[32];
	audit_journal_head(j, head2);
	assert_memory_equal(head, head2, 32);
	append_n(j, SHM_AUDIT_SRC_RULES, 1, 500);
	flush(j);
	audit_journal_close(j);

	struct audit_verify_result res;
	assert_int_equal(verify(&res), 0);
	assert_int_equal(res.records, 1500);
	assert_int_equal(res.first_jseq, 1);
	assert_int_equal(res.last_jseq, 1500);
	assert_string_equal(res.instance, "test");
}

static void test_group_commit_waits_for_count_or_time(void **state)
{
	(void)state;
	struct audit_journal_cfg c = {.commit_ms = 80, .commit_records = 10};
	struct audit_journal *j = open_j(&c, NULL);
	struct rt_err err = {0};
	append_n(j, SHM_AUDIT_SRC_FEEDER, 1, 3);
	assert_true(audit_journal_poll(j, rt_clock_now_ns(), &err) >= 0);
	uint64_t dl = audit_journal_deadline(j);
	assert_true(dl != UINT64_MAX && dl > rt_clock_now_ns()); /* waiting for time */
	rt_clock_sleep_ns(20000000);
	assert_true(audit_journal_poll(j, rt_clock_now_ns(), &err) >= 0);
	assert_int_equal(durable(j), 0);
	/* the count reaches 10: due now */
	append_n(j, SHM_AUDIT_SRC_FEEDER, 4, 7);
	assert_int_equal(audit_journal_deadline(j), 0);
	for (int i = 0; i < 200 && durable(j) < 10; i++) {
		audit_journal_poll(j, rt_clock_now_ns(), &err);
		struct pollfd p = {.fd = audit_journal_fd(j), .events = POLLIN};
		poll(&p, 1, 10);
	}
	assert_int_equal(durable(j), 10);
	/* one record; nothing happens before commit_ms, then it commits */
	append_n(j, SHM_AUDIT_SRC_FEEDER, 11, 1);
	uint64_t t0 = rt_clock_now_ns();
	while (durable(j) < 11) {
		audit_journal_poll(j, rt_clock_now_ns(), &err);
		struct pollfd p = {.fd = audit_journal_fd(j), .events = POLLIN};
		poll(&p, 1, 5);
		assert_true(rt_clock_now_ns() - t0 < 2000000000ull);
	}
	assert_true(rt_clock_now_ns() - t0 >= 70000000ull);
	audit_journal_close(j);
}

struct marks {
	uint64_t pos[SHM_AUDIT_SRC_MAX + 1];
	int calls;
};

static void on_durable(void *arg, uint32_t source, uint64_t pos)
{
	struct marks *m = arg;
	assert_true(pos >= m->pos[source]);
	m->pos[source] = pos;
	m->calls++;
}

static void test_rotation_spreads_files_and_verify_follows_the_chain_across_them(void **state)
{
	(void)state;
	struct marks m = {0};
	struct audit_journal_cfg c = {.rotate_bytes = 16384,
				      .commit_records = 37,
				      .on_durable = on_durable,
				      .durable_arg = &m};
	struct audit_journal *j = open_j(&c, NULL);
	append_n(j, SHM_AUDIT_SRC_FEEDER, 1, 400);
	append_n(j, SHM_AUDIT_SRC_WORKER + 2, 1, 300);
	flush(j);
	struct audit_journal_stats st;
	audit_journal_stats(j, &st);
	assert_true(st.files_created > 5);
	assert_int_equal(st.durable_seq, 700);
	assert_int_equal(m.pos[SHM_AUDIT_SRC_FEEDER], 800); /* src_pos of record 400 */
	assert_int_equal(m.pos[SHM_AUDIT_SRC_WORKER + 2], 600);
	assert_true(m.calls > 10);
	audit_journal_close(j);
	/* reopen appends to the last file and rotates on */
	struct audit_journal_report rep;
	j = open_j(&c, &rep);
	assert_int_equal(rep.files, st.files_created);
	append_n(j, SHM_AUDIT_SRC_FEEDER, 401, 100);
	flush(j);
	audit_journal_close(j);
	struct audit_verify_result res;
	assert_int_equal(verify(&res), 0);
	assert_int_equal(res.records, 800);
	assert_true(res.files > 5);
	/* every file is within the rotation size (one record of slack) */
	DIR *d = opendir(g_dir);
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] == 'j')
			assert_true(size_of(de->d_name) <= 16384 + 1024);
	closedir(d);
}

/* the location (file, offset) of record jseq */
static struct audit_jloc locate(uint64_t jseq)
{
	struct audit_jreader *r;
	struct rt_err err = {0};
	assert_int_equal(audit_jreader_open(&r, g_dir, &err), 0);
	assert_int_equal(audit_jreader_seek(r, jseq, &err), 0);
	struct audit_rec_view v;
	struct audit_jloc loc;
	assert_int_equal(audit_jreader_next(r, &v, &loc, &err), 1);
	assert_int_equal(v.h.jseq, jseq);
	audit_jreader_close(r);
	return loc;
}

static void test_torn_last_record_is_cut_on_open_and_everything_before_kept(void **state)
{
	(void)state;
	struct audit_journal_cfg c = {0};
	struct audit_journal *j = open_j(&c, NULL);
	append_n(j, SHM_AUDIT_SRC_FEEDER, 1, 200);
	flush(j);
	audit_journal_close(j);
	struct audit_jloc last = locate(200);
	char p[128];
	path_of(last.file, p, sizeof(p));
	off_t full = size_of(last.file);
	/* a crash in the middle of writing record 200 */
	assert_int_equal(truncate(p, (off_t)last.off + 50), 0);
	struct audit_verify_result res;
	assert_int_equal(verify(&res), 0); /* a torn tail is a warning, not corruption */
	assert_int_equal(res.records, 199);
	assert_int_equal(res.torn_bytes, 50);
	assert_int_equal(res.torn.off, last.off);

	struct audit_journal_report rep;
	j = open_j(&c, &rep);
	assert_true(rep.torn_cut);
	assert_false(rep.corrupt);
	assert_int_equal(rep.torn_jseq, 200);
	assert_int_equal(rep.torn_off, last.off);
	assert_int_equal(rep.torn_bytes, 50);
	assert_string_equal(rep.torn_file, last.file);
	assert_int_equal(rep.last_jseq, 199);
	assert_int_equal(size_of(last.file), (off_t)last.off);
	append_n(j, SHM_AUDIT_SRC_FEEDER, 200, 10);
	flush(j);
	audit_journal_close(j);
	assert_int_equal(verify(&res), 0);
	assert_int_equal(res.records, 209);
	assert_int_equal(res.torn_bytes, 0);
	assert_true(size_of(last.file) > full);
}

static void test_file_with_a_torn_header_is_removed_on_open(void **state)
{
	(void)state;
	struct audit_journal_cfg c = {.rotate_bytes = 8192};
	struct audit_journal *j = open_j(&c, NULL);
	append_n(j, SHM_AUDIT_SRC_FEEDER, 1, 50);
	flush(j);
	struct audit_journal_stats st;
	audit_journal_stats(j, &st);
	audit_journal_close(j);
	/* the crash came while the next file's first write was half done */
	char name[AUDIT_FILE_NAME_MAX], p[128];
	audit_file_name(51, name);
	path_of(name, p, sizeof(p));
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0640);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "ALJRNL", 6), 6);
	close(fd);
	struct audit_journal_report rep;
	j = open_j(&c, &rep);
	assert_true(rep.header_removed);
	assert_string_equal(rep.removed_file, name);
	assert_int_equal(rep.last_jseq, 50);
	assert_int_not_equal(access(p, F_OK), 0);
	append_n(j, SHM_AUDIT_SRC_FEEDER, 51, 5);
	flush(j);
	audit_journal_close(j);
	struct audit_verify_result res;
	assert_int_equal(verify(&res), 0);
	assert_int_equal(res.records, 55);
}

static void flip(const struct audit_jloc *l, uint64_t at)
{
	char p[128];
	path_of(l->file, p, sizeof(p));
	int fd = open(p, O_RDWR);
	assert_true(fd >= 0);
	uint8_t b;
	assert_int_equal(pread(fd, &b, 1, (off_t)(l->off + at)), 1);
	b ^= 0x10;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)(l->off + at)), 1);
	close(fd);
}

static void test_flipped_byte_in_the_middle_is_named_by_verify_and_never_cut(void **state)
{
	(void)state;
	struct audit_journal_cfg c = {0};
	struct audit_journal *j = open_j(&c, NULL);
	append_n(j, SHM_AUDIT_SRC_FEEDER, 1, 120);
	flush(j);
	audit_journal_close(j);
	struct audit_jloc l = locate(57);
	flip(&l, 100); /* in the payload */
	off_t before = size_of(l.file);
	struct audit_verify_result res;
	assert_int_equal(verify(&res), 1);
	assert_false(res.journal_ok);
	assert_int_equal(res.bad.jseq, 57);
	assert_int_equal(res.bad.off, l.off);
	assert_string_equal(res.bad.file, l.file);
	assert_non_null(strstr(res.why, "record 57"));
	assert_non_null(strstr(res.why, "CRC32C"));
	assert_int_equal(res.records, 56);
	char out[2048];
	FILE *f = fmemopen(out, sizeof(out), "w");
	struct rt_err err = {0};
	assert_int_equal(audit_verify(g_dir, NULL, f, &res, &err), 1);
	fclose(f);
	assert_non_null(strstr(out, "BAD: record 57 (file"));

	/* the writer reports it, keeps every byte, and appends after the real end */
	struct audit_journal_report rep;
	j = open_j(&c, &rep);
	assert_true(rep.corrupt);
	assert_int_equal(rep.corrupt_jseq, 57);
	assert_int_equal(rep.corrupt_off, l.off);
	assert_false(rep.torn_cut);
	assert_int_equal(rep.last_jseq, 120);
	assert_int_equal(size_of(l.file), before);
	audit_journal_close(j);

	/* the length word itself flipped: verify still names record 57 */
	flip(&l, 100);
	flip(&l, 1);
	assert_int_equal(verify(&res), 1);
	assert_int_equal(res.bad.jseq, 57);
	assert_int_equal(res.bad.off, l.off);
	j = open_j(&c, &rep);
	assert_true(rep.corrupt);
	assert_int_equal(rep.corrupt_jseq, 57);
	assert_int_equal(rep.last_jseq, 120);
	audit_journal_close(j);
}

static void test_rewritten_record_with_a_valid_crc_breaks_the_hash_chain(void **state)
{
	(void)state;
	struct audit_journal_cfg c = {0};
	struct audit_journal *j = open_j(&c, NULL);
	append_n(j, SHM_AUDIT_SRC_FEEDER, 1, 60);
	flush(j);
	audit_journal_close(j);
	/* a forger changes record 30's event time and fixes up its CRC */
	struct audit_jloc l = locate(30);
	char p[128];
	path_of(l.file, p, sizeof(p));
	int fd = open(p, O_RDWR);
	uint8_t rec[AUDIT_REC_MAX];
	assert_true(pread(fd, rec, sizeof(rec), (off_t)l.off) > 0);
	struct audit_rec_hdr h;
	memcpy(&h, rec, sizeof(h));
	h.event_ns += 1;
	memcpy(rec, &h, sizeof(h));
	h.crc = audit_crc32c(0, rec + 8, h.len - 8);
	memcpy(rec, &h, sizeof(h));
	assert_int_equal(pwrite(fd, rec, h.len, (off_t)l.off), (ssize_t)h.len);
	close(fd);
	struct audit_verify_result res;
	assert_int_equal(verify(&res), 1);
	assert_int_equal(res.bad.jseq, 30);
	assert_non_null(strstr(res.why, "hash chain broken"));
	/* changing a latency field (outside the chain) with a fixed CRC is not a decision change */
	teardown(NULL);
	setup(NULL);
	j = open_j(&c, NULL);
	append_n(j, SHM_AUDIT_SRC_FEEDER, 1, 5);
	flush(j);
	audit_journal_close(j);
	l = locate(3);
	path_of(l.file, p, sizeof(p));
	fd = open(p, O_RDWR);
	assert_true(pread(fd, rec, sizeof(rec), (off_t)l.off) > 0);
	memcpy(&h, rec, sizeof(h));
	h.recv_ns += 12345;
	memcpy(rec, &h, sizeof(h));
	h.crc = audit_crc32c(0, rec + 8, h.len - 8);
	memcpy(rec, &h, sizeof(h));
	assert_int_equal(pwrite(fd, rec, h.len, (off_t)l.off), (ssize_t)h.len);
	close(fd);
	assert_int_equal(verify(&res), 0);
}

struct inject {
	enum audit_io_op op;
	uint64_t nth;
	int err;
	int fired;
};

static int inject_hook(void *arg, enum audit_io_op op, uint64_t nth, int res)
{
	struct inject *in = arg;
	if (op == in->op && nth == in->nth) {
		in->fired++;
		return in->err;
	}
	(void)res;
	return 0;
}

static void check_failure_stops_the_writer(enum audit_io_op op, int code, const char *word)
{
	struct inject inj = {.op = op, .nth = 2, .err = code};
	struct audit_journal_cfg c = {
		.commit_records = 100, .io_hook = inject_hook, .io_hook_arg = &inj};
	struct audit_journal *j = open_j(&c, NULL);
	append_n(j, SHM_AUDIT_SRC_FEEDER, 1, 100);
	flush(j); /* commit 1: fine */
	assert_int_equal(durable(j), 100);
	struct audit_jloc l = locate(100);
	off_t durable_size = size_of(l.file);
	append_n(j, SHM_AUDIT_SRC_FEEDER, 101, 50);
	struct rt_err err = {0};
	int rc = audit_journal_flush(j, &err);
	assert_int_equal(rc, code);
	assert_int_equal(inj.fired, 1);
	assert_non_null(strstr(err.msg, word));
	assert_non_null(strstr(err.msg, "stops"));
	if (op == AUDIT_IO_FSYNC) {
		assert_non_null(strstr(err.msg, "records 101..150 are not durable"));
		assert_non_null(strstr(err.msg, "not retried"));
	}
	assert_int_equal(durable(j), 100);
	/* never retried as if nothing happened: every later call fails the same way */
	struct audit_rec_in in;
	uint8_t pl[256];
	rec(&in, pl, SHM_AUDIT_SRC_FEEDER, 151);
	assert_int_equal(audit_journal_append(j, &in, NULL), code);
	assert_int_equal(audit_journal_poll(j, rt_clock_now_ns(), &err), code);
	assert_int_equal(audit_journal_flush(j, &err), code);
	/* what was not durable was cut off the file */
	assert_int_equal(size_of(l.file), durable_size);
	audit_journal_close(j);
	/* the next writer starts from the durable records only */
	struct audit_journal_cfg c2 = {0};
	struct audit_journal_report rep;
	j = open_j(&c2, &rep);
	assert_int_equal(rep.last_jseq, 100);
	assert_false(rep.torn_cut);
	append_n(j, SHM_AUDIT_SRC_FEEDER, 101, 50);
	flush(j);
	audit_journal_close(j);
	struct audit_verify_result res;
	assert_int_equal(verify(&res), 0);
	assert_int_equal(res.records, 150);
}

static void test_fsync_failure_stops_the_writer_with_a_clear_error(void **state)
{
	(void)state;
	check_failure_stops_the_writer(AUDIT_IO_FSYNC, -EIO, "fdatasync of");
}

static void test_write_failure_stops_the_writer_with_a_clear_error(void **state)
{
	(void)state;
	check_failure_stops_the_writer(AUDIT_IO_WRITE, -ENOSPC, "write of");
}

static void test_journal_of_another_instance_is_refused(void **state)
{
	(void)state;
	struct audit_journal_cfg c = {0};
	struct audit_journal *j = open_j(&c, NULL);
	append_n(j, SHM_AUDIT_SRC_FEEDER, 1, 3);
	flush(j);
	audit_journal_close(j);
	struct audit_journal_cfg c2 = {.dir = g_dir, .instance = "other"};
	struct rt_err err = {0};
	assert_int_equal(audit_journal_open(&j, &c2, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "belongs to instance 'test'"));
}

/* digest over a journal built from the given order of (source, i) records */
static void digest_of(const uint32_t *order, size_t n, uint64_t recv_jitter, uint8_t tweak,
		      uint8_t out[32])
{
	teardown(NULL);
	setup(NULL);
	struct audit_journal_cfg c = {0};
	struct audit_journal *j = open_j(&c, NULL);
	uint64_t next[3] = {1, 1, 1};
	uint8_t pl[256];
	for (size_t k = 0; k < n; k++) {
		uint32_t s = order[k] ? SHM_AUDIT_SRC_WORKER + order[k] : SHM_AUDIT_SRC_FEEDER;
		struct audit_rec_in in;
		rec(&in, pl, s, next[order[k]]++);
		in.recv_ns += recv_jitter * k;
		in.emit_ns += recv_jitter;
		if (tweak && k == n / 2 && in.plen)
			pl[0] ^= tweak;
		assert_int_equal(audit_journal_append(j, &in, NULL), 0);
		if (k == 7) {
			/* the audit process's own records are outside the digest */
			struct shm_audit_fault f = {.code = 1};
			struct audit_rec_in a = {.source = SHM_AUDIT_SRC_AUDIT,
						 .kind = SHM_AUDIT_FAULT,
						 .src_seq = k,
						 .event_ns = recv_jitter,
						 .plen = sizeof(f),
						 .payload = &f};
			if (recv_jitter)
				assert_int_equal(audit_journal_append(j, &a, NULL), 0);
		}
	}
	flush(j);
	audit_journal_close(j);
	struct audit_jreader *r;
	struct rt_err err = {0};
	assert_int_equal(audit_jreader_open(&r, g_dir, &err), 0);
	struct audit_digest *d;
	assert_int_equal(audit_digest_open(&d), 0);
	struct audit_rec_view v;
	while (audit_jreader_next(r, &v, NULL, &err) == 1)
		audit_digest_add(d, &v);
	uint64_t recs;
	uint32_t srcs;
	audit_digest_final(d, out, &recs, &srcs);
	assert_int_equal(recs, n);
	assert_int_equal(srcs, 3);
	audit_digest_close(d);
	audit_jreader_close(r);
}

static void test_digest_ignores_interleaving_and_latency_but_not_decisions(void **state)
{
	(void)state;
	static const uint32_t A[] = {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 0, 1, 1, 2, 2, 0};
	static const uint32_t B[] = {2, 2, 1, 0, 0, 1, 0, 2, 1, 0, 1, 2, 0, 1, 2, 0};
	uint8_t a[32], b[32], c[32];
	digest_of(A, 16, 0, 0, a);
	digest_of(B, 16, 777, 0, b); /* other interleaving, other timings, an own fault */
	assert_memory_equal(a, b, 32);
	digest_of(A, 16, 0, 1, c); /* one decision byte differs */
	assert_memory_not_equal(a, c, 32);
}

static void test_scan_image_survives_garbage(void **state)
{
	(void)state;
	uint8_t img[4096];
	uint64_t x = 12345;
	struct audit_scan s;
	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)(x % sizeof(img));
		for (size_t i = 0; i < len; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			img[i] = (uint8_t)x;
		}
		if (round & 1) { /* a valid header followed by garbage */
			struct audit_file_hdr fh;
			uint8_t zero[32] = {0};
			audit_file_hdr_build(&fh, 1, 0, "x", zero);
			if (len >= sizeof(fh))
				memcpy(img, &fh, sizeof(fh));
		}
		if (audit_scan_image(img, len, &s, NULL) == 0) {
			assert_true(s.end_off <= len);
			assert_true(s.tail != AUDIT_SCAN_CLEAN || s.end_off == len);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_flush_reopen_and_the_chain_continues,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_commit_waits_for_count_or_time, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_rotation_spreads_files_and_verify_follows_the_chain_across_them, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_torn_last_record_is_cut_on_open_and_everything_before_kept, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_file_with_a_torn_header_is_removed_on_open,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_flipped_byte_in_the_middle_is_named_by_verify_and_never_cut, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_rewritten_record_with_a_valid_crc_breaks_the_hash_chain, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_fsync_failure_stops_the_writer_with_a_clear_error, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_write_failure_stops_the_writer_with_a_clear_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_of_another_instance_is_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_digest_ignores_interleaving_and_latency_but_not_decisions, setup,
			teardown),
		cmocka_unit_test(test_scan_image_survives_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
