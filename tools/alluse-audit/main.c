/*
 * alluse-audit — the audit process and the tools over its journal (docs/audit.md).
 *
 *   alluse-audit run    [-n INSTANCE] [-e ENV] [-c FILE] [--journal DIR] [--pg DSN] [tuning...]
 *   alluse-audit verify [-n INSTANCE | --journal DIR] [--pg DSN]
 *   alluse-audit tail   [-n INSTANCE | --journal DIR] [--count N] [-f] [--json]
 *   alluse-audit show   [-n INSTANCE | --journal DIR] [--kind K] [--source S] [--since T]
 *                       [--until T] [--from SEQ] [--to SEQ] [--limit N] [--json]
 *   alluse-audit digest [-n INSTANCE | --journal DIR]
 *
 * Exit codes: 0 ok, 1 a check failed / cannot start, 2 bad arguments, 3 the journal
 * writer failed (write or fdatasync error: the process stops, never retries).
 */
#include "rt/rt_clock.h"
#include "rt/rt_config.h"
#include "rt/rt_log.h"
#include "rt/rt_signal.h"
#include "shm/shm_audit.h"
#include "shm/shm_segment.h"
#include "tools/alluse-audit/audit_fmt.h"
#include "workers/audit/audit_chain.h"
#include "workers/audit/audit_proc.h"
#include "workers/audit/audit_verify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: alluse-audit COMMAND [options]\n\n"
		"commands:\n"
		"  run      the audit process: audit rings -> journal (-> PostgreSQL)\n"
		"  verify   check every CRC, the hash chain, and PostgreSQL against the journal\n"
		"  tail     the last records (-f: keep following)\n"
		"  show     records filtered by kind, source, event time or sequence\n"
		"  digest   the decision digest (equal for two replays of the same input)\n\n"
		"common options:\n"
		"  -n INSTANCE      instance (default: from -c or the embedded config, 'dev')\n"
		"  -e ENV           environment (development, staging, production; default\n"
		"                   $ALLUSE_ENV)\n"
		"  -c FILE          configuration file (for the instance name)\n"
		"  --journal DIR    journal directory (default var/audit/<instance>)\n"
		"  --json           one JSON object per record (tail, show)\n\n"
		"run:     --pg DSN  --rotate-mb N (64)  --commit-ms N (2)  --commit-records N "
		"(8192)\n"
		"         --idle-max-us N (1000)  --pg-batch N (10000)  --pg-retry-max-ms N "
		"(5000)\n"
		"         --drain-ms N (2000)\n"
		"verify:  --pg DSN\n"
		"tail:    --count N (20)  -f|--follow\n"
		"show:    --kind K  --source S  --since T  --until T  --from SEQ  --to SEQ  "
		"--limit N\n"
		"         (K: level state intent order fill fork merge config command fault;\n"
		"          S: supervisor feeder rules router audit ctl worker.N;\n"
		"          T: ns since the epoch, or YYYY-MM-DD[THH:MM:SS[.f]][Z] in UTC)\n\n"
		"exit: 0 ok, 1 failed check or cannot start, 2 bad arguments, 3 journal "
		"write/fsync\n"
		"failure (the writer stops; see docs/audit.md)\n");
}

struct opts {
	const char *cmd;
	const char *env;
	const char *config;
	const char *instance;
	const char *journal;
	const char *pg;
	int json, follow;
	uint64_t count, limit;
	uint32_t kind;
	int source;
	uint64_t since, until, from, to;
	uint64_t rotate_mb, commit_ms, commit_records, idle_max_us, pg_batch, pg_retry_max_ms,
		drain_ms;
	int have_rotate, have_commit_ms, have_commit_records, have_idle, have_batch, have_retry,
		have_drain;
};

static int bad(const char *fmt, const char *a)
{
	fprintf(stderr, "alluse-audit: ");
	fprintf(stderr, fmt, a);
	fprintf(stderr, " (see alluse-audit --help)\n");
	return 2;
}

static int parse_u64(const char *s, uint64_t *v)
{
	if (!s || !*s || *s == '-')
		return -1;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->count = 20;
	o->until = UINT64_MAX;
	o->to = UINT64_MAX;
	o->source = -1;
	if (argc < 2)
		return bad("%s", "a command is required");
	o->cmd = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--json")) {
			o->json = 1;
			continue;
		}
		if (!strcmp(a, "-f") || !strcmp(a, "--follow")) {
			o->follow = 1;
			continue;
		}
		if (!v)
			return bad("'%s' needs a value or is unknown", a);
		i++;
		uint64_t *num = NULL;
		int *have = NULL;
		if (!strcmp(a, "-n"))
			o->instance = v;
		else if (!strcmp(a, "-c"))
			o->config = v;
		else if (!strcmp(a, "-e") || !strcmp(a, "--env"))
			o->env = v;
		else if (!strcmp(a, "--journal"))
			o->journal = v;
		else if (!strcmp(a, "--pg"))
			o->pg = v;
		else if (!strcmp(a, "--kind")) {
			uint64_t k;
			o->kind = shm_audit_kind_parse(v);
			if (!o->kind && parse_u64(v, &k) == 0 && k >= 1 && k <= SHM_AUDIT_KIND_MAX)
				o->kind = (uint32_t)k;
			if (!o->kind)
				return bad("--kind '%s' is not a record kind", v);
		} else if (!strcmp(a, "--source")) {
			o->source = shm_audit_source_id(v);
			if (o->source < 0)
				return bad("--source '%s' is not a process name", v);
		} else if (!strcmp(a, "--since")) {
			if (audit_parse_time(v, &o->since))
				return bad("--since '%s' is not a time", v);
		} else if (!strcmp(a, "--until")) {
			if (audit_parse_time(v, &o->until))
				return bad("--until '%s' is not a time", v);
		} else if (!strcmp(a, "--from"))
			num = &o->from;
		else if (!strcmp(a, "--to"))
			num = &o->to;
		else if (!strcmp(a, "--count"))
			num = &o->count;
		else if (!strcmp(a, "--limit"))
			num = &o->limit;
		else if (!strcmp(a, "--rotate-mb"))
			num = &o->rotate_mb, have = &o->have_rotate;
		else if (!strcmp(a, "--commit-ms"))
			num = &o->commit_ms, have = &o->have_commit_ms;
		else if (!strcmp(a, "--commit-records"))
			num = &o->commit_records, have = &o->have_commit_records;
		else if (!strcmp(a, "--idle-max-us"))
			num = &o->idle_max_us, have = &o->have_idle;
		else if (!strcmp(a, "--pg-batch"))
			num = &o->pg_batch, have = &o->have_batch;
		else if (!strcmp(a, "--pg-retry-max-ms"))
			num = &o->pg_retry_max_ms, have = &o->have_retry;
		else if (!strcmp(a, "--drain-ms"))
			num = &o->drain_ms, have = &o->have_drain;
		else
			return bad("unknown option '%s'", a);
		if (num && parse_u64(v, num))
			return bad("'%s' is not a non-negative integer", v);
		if (have)
			*have = 1;
	}
	return 0;
}

/* instance and journal directory from -n / -c / the embedded config */
static int resolve(struct opts *o, struct audit_cfg *ac)
{
	static struct rt_config cfg;
	struct rt_err err = {0};
	if (rt_config_load_cli_env(&cfg, o->env, o->config, NULL, &err)) {
		fprintf(stderr, "alluse-audit: %s\n", err.msg);
		return 2;
	}
	const char *inst = o->instance ? o->instance : cfg.instance;
	if (shm_instance_check(inst, &err)) {
		fprintf(stderr, "alluse-audit: instance: %s\n", err.msg);
		return 2;
	}
	audit_cfg_defaults(ac, inst);
	if (o->journal) {
		if (strlen(o->journal) >= sizeof(ac->journal_dir))
			return bad("--journal '%s' is too long", o->journal);
		snprintf(ac->journal_dir, sizeof(ac->journal_dir), "%s", o->journal);
	}
	if (o->pg) {
		if (strlen(o->pg) >= sizeof(ac->pg_dsn))
			return bad("--pg '%s' is too long", o->pg);
		snprintf(ac->pg_dsn, sizeof(ac->pg_dsn), "%s", o->pg);
	}
	rt_log_init("audit", cfg.log_level);
	return 0;
}

/* Test hook (docs/audit.md): ALLUSE_AUDIT_FAIL_FSYNC=N fails the Nth fdatasync with
 * EIO, to exercise the writer's fatal path in a real process. */
static int fail_fsync_hook(void *arg, enum audit_io_op op, uint64_t nth, int res)
{
	uint64_t want = *(const uint64_t *)arg;
	if (op == AUDIT_IO_FSYNC && nth == want)
		return -EIO;
	return res < 0 ? res : 0;
}

static int cmd_run(struct opts *o, struct audit_cfg *ac)
{
	if (o->have_rotate) {
		if (o->rotate_mb < 1 || o->rotate_mb > 65536)
			return bad("--rotate-mb %s must be in 1..65536", "");
		ac->rotate_bytes = o->rotate_mb << 20;
	}
	if (o->have_commit_ms)
		ac->commit_ms = (uint32_t)(o->commit_ms > 10000 ? 10000 : o->commit_ms);
	if (o->have_commit_records)
		ac->commit_records = (uint32_t)(o->commit_records < 1         ? 1
						: o->commit_records > 1000000 ? 1000000
									      : o->commit_records);
	if (o->have_idle)
		ac->idle_max_us = (uint32_t)(o->idle_max_us < 20        ? 20
					     : o->idle_max_us > 1000000 ? 1000000
									: o->idle_max_us);
	if (o->have_batch)
		ac->pg_batch_rows = (uint32_t)(o->pg_batch < 1         ? 1
					       : o->pg_batch > 1000000 ? 1000000
								       : o->pg_batch);
	if (o->have_retry)
		ac->pg_retry_max_ms =
			(uint32_t)(o->pg_retry_max_ms < 100 ? 100 : o->pg_retry_max_ms);
	if (o->have_drain)
		ac->drain_ms = (uint32_t)o->drain_ms;
	static uint64_t fail_nth;
	const char *inj = getenv("ALLUSE_AUDIT_FAIL_FSYNC");
	if (inj && *inj && parse_u64(inj, &fail_nth) == 0 && fail_nth > 0) {
		ac->io_hook = fail_fsync_hook;
		ac->io_hook_arg = &fail_nth;
		rt_log_warn("test hook: fdatasync will fail", "nth=%llu",
			    (unsigned long long)fail_nth);
	}
	rt_signal_install();
	struct rt_err err = {0};
	struct shm_segment seg;
	if (shm_segment_attach(&seg, ac->instance, 5000, &err) != 0) {
		rt_log_error("cannot attach", "instance=%s reason=\"%s\"", ac->instance, err.msg);
		return 1;
	}
	struct audit_proc *p;
	if (audit_proc_open(&p, &seg, ac, &err) != 0) {
		rt_log_error("cannot start the audit process", "reason=\"%s\"", err.msg);
		shm_segment_detach(&seg);
		return 1;
	}
	rt_log_info("audit running", "instance=%s journal=%s pg=%s commit_ms=%u commit_records=%u",
		    ac->instance, ac->journal_dir, ac->pg_dsn[0] ? "on" : "off", ac->commit_ms,
		    ac->commit_records);
	int rc = audit_proc_run(p, rt_signal_stop_requested, &err);
	struct audit_proc_stats st;
	audit_proc_stats(p, &st);
	audit_proc_close(p);
	shm_segment_detach(&seg);
	if (rc) {
		rt_log_error("journal writer failed: stopping", "reason=\"%s\"", err.msg);
		return 3;
	}
	rt_log_info("audit stopping", "records=%llu durable_seq=%llu pg_shipped_seq=%llu",
		    (unsigned long long)st.records, (unsigned long long)st.durable_seq,
		    (unsigned long long)st.pg_shipped_seq);
	return 0;
}

static int open_reader(const struct audit_cfg *ac, struct audit_jreader **r)
{
	struct rt_err err = {0};
	if (audit_jreader_open(r, ac->journal_dir, &err) != 0) {
		fprintf(stderr, "alluse-audit: %s\n", err.msg);
		return 1;
	}
	return 0;
}

/* Iterate records; cb returns non-zero to stop. Reports a bad record on stderr. */
static int each(struct audit_jreader *r, uint64_t from,
		int (*cb)(void *, const struct audit_rec_view *), void *arg)
{
	struct rt_err err = {0};
	if (from > 1 && audit_jreader_seek(r, from, &err) != 0 && err.code != -ENOENT) {
		fprintf(stderr, "alluse-audit: %s\n", err.msg);
		return 1;
	}
	for (;;) {
		struct audit_rec_view v;
		int n = audit_jreader_next(r, &v, NULL, &err);
		if (n < 0) {
			fprintf(stderr, "alluse-audit: %s\n", err.msg);
			return 1;
		}
		if (n == 0 || cb(arg, &v))
			return 0;
	}
}

struct show_ctx {
	const struct opts *o;
	uint64_t printed;
};

static int show_cb(void *arg, const struct audit_rec_view *v)
{
	struct show_ctx *c = arg;
	const struct opts *o = c->o;
	if (v->h.jseq > o->to)
		return 1;
	if ((o->kind && v->h.kind != o->kind) ||
	    (o->source >= 0 && v->h.source != (uint32_t)o->source) || v->h.event_ns < o->since ||
	    v->h.event_ns > o->until)
		return 0;
	audit_fmt_record(stdout, v, o->json);
	c->printed++;
	return o->limit && c->printed >= o->limit;
}

static int cmd_show(struct opts *o, const struct audit_cfg *ac)
{
	struct audit_jreader *r;
	if (open_reader(ac, &r))
		return 1;
	struct show_ctx c = {.o = o};
	int rc = each(r, o->from, show_cb, &c);
	audit_jreader_close(r);
	return rc;
}

static int count_cb(void *arg, const struct audit_rec_view *v)
{
	*(uint64_t *)arg = v->h.jseq;
	return 0;
}

static int print_cb(void *arg, const struct audit_rec_view *v)
{
	audit_fmt_record(stdout, v, *(const int *)arg);
	return 0;
}

static int cmd_tail(struct opts *o, const struct audit_cfg *ac)
{
	struct audit_jreader *r;
	if (open_reader(ac, &r))
		return 1;
	uint64_t last = 0;
	int rc = each(r, 0, count_cb, &last);
	audit_jreader_close(r);
	if (rc || open_reader(ac, &r))
		return 1;
	uint64_t from = last >= o->count ? last - o->count + 1 : 1;
	rc = o->count ? each(r, from, print_cb, &o->json) : 0;
	fflush(stdout);
	if (!o->count && !rc)
		rc = each(r, last + 1, count_cb, &last); /* position after the last */
	rt_signal_install();
	while (!rc && o->follow && !rt_signal_stop_requested()) {
		rt_clock_sleep_ns(200000000ull);
		struct rt_err err = {0};
		for (;;) {
			struct audit_rec_view v;
			int n = audit_jreader_next(r, &v, NULL, &err);
			if (n < 0) {
				fprintf(stderr, "alluse-audit: %s\n", err.msg);
				rc = 1;
				break;
			}
			if (n == 0)
				break;
			audit_fmt_record(stdout, &v, o->json);
		}
		fflush(stdout);
	}
	audit_jreader_close(r);
	return rc;
}

static int digest_cb(void *arg, const struct audit_rec_view *v)
{
	audit_digest_add(arg, v);
	return 0;
}

static int cmd_digest(const struct audit_cfg *ac)
{
	struct audit_jreader *r;
	if (open_reader(ac, &r))
		return 1;
	struct audit_digest *d;
	if (audit_digest_open(&d)) {
		audit_jreader_close(r);
		return 1;
	}
	int rc = each(r, 0, digest_cb, d);
	audit_jreader_close(r);
	if (!rc) {
		uint8_t h[AUDIT_HASH_SIZE];
		uint64_t n;
		uint32_t ns;
		char hx[65];
		audit_digest_final(d, h, &n, &ns);
		printf("%s  decisions=%llu sources=%u\n", audit_hash_hex(h, hx),
		       (unsigned long long)n, ns);
	}
	audit_digest_close(d);
	return rc;
}

static int cmd_verify(const struct audit_cfg *ac)
{
	struct audit_verify_result res;
	struct rt_err err = {0};
	int rc = audit_verify(ac->journal_dir, ac->pg_dsn[0] ? ac->pg_dsn : NULL, stdout, &res,
			      &err);
	if (rc < 0) {
		fprintf(stderr, "alluse-audit verify: %s\n", err.msg);
		return 1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	if (argc >= 2 &&
	    (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
		usage(stdout);
		return 0;
	}
	struct opts o;
	int rc = parse(argc, argv, &o);
	if (rc)
		return rc;
	struct audit_cfg ac;
	if ((rc = resolve(&o, &ac)) != 0)
		return rc;
	if (!strcmp(o.cmd, "run"))
		return cmd_run(&o, &ac);
	if (!strcmp(o.cmd, "verify"))
		return cmd_verify(&ac);
	if (!strcmp(o.cmd, "show"))
		return cmd_show(&o, &ac);
	if (!strcmp(o.cmd, "tail"))
		return cmd_tail(&o, &ac);
	if (!strcmp(o.cmd, "digest"))
		return cmd_digest(&ac);
	return bad("unknown command '%s'", o.cmd);
}
