/*
 * alluse-shm — the operator's read-only inspector of an instance's segment.
 *
 * Maps /dev/shm/alluse.<instance> (or any copy with -f) with PROT_READ through the
 * validating attach, renders one view (insp_cmd.h), and writes it with one write(2)
 * per frame. `remove` is the only verb that changes anything, and it changes the
 * file system, never the segment's bytes. Exit codes: 0 ok, 1 segment problem or
 * refused removal, 2 bad usage.
 */
#include "rt/rt_clock.h"
#include "rt/rt_err.h"
#include "rt/rt_signal.h"
#include "shm/shm_segment.h"
#include "tools/alluse-shm/insp_cmd.h"
#include "tools/alluse-shm/insp_out.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROG "alluse-shm"
#define READY_WAIT_MS 200u
#define WATCH_MIN_S 0.01
#define WATCH_MAX_S 86400.0
#define CLEAR_SCREEN "\033[H\033[2J"

enum { EXIT_OK = 0, EXIT_SEGMENT = 1, EXIT_USAGE = 2 };

struct opts {
	const char *instance; /* -n, else $ALLUSE_INSTANCE, else "dev" */
	const char *path; /* -f: explicit file instead of an instance */
	const char *command;
	const struct insp_cmd *view; /* NULL for remove */
	int json;
	int force;
	uint64_t watch_ns; /* 0: render once */
	const char *watch_arg;
	char shown_path[256]; /* the file the frames come from */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [-n INSTANCE | -f PATH] COMMAND [--json] [--watch SECS]\n"
		"       " PROG " [-n INSTANCE | -f PATH] remove [--force] [--json]\n"
		"\n"
		"Read-only inspector of an alluse shared-memory segment\n"
		"(/dev/shm/alluse.INSTANCE; INSTANCE defaults to $ALLUSE_INSTANCE, else \"dev\").\n"
		"\n"
		"commands:\n"
		"  info         header: instance, version, size, owner pid, created, state, "
		"heartbeat\n"
		"  regions      the region directory: name, kind, role, index, offset, size\n"
		"  rings        every ring: capacity, pushed, popped, depth, full, high water, "
		"batches\n"
		"  board        latest quote of every written board slot (seqlock reads)\n"
		"  instruments  the instrument directory: id, symbol, kind, underlying, expiry, "
		"strike\n"
		"  counters     every owner's counters: owner, label, value\n"
		"  hist         every owner's latency histograms: count and percentiles in ns\n"
		"  positions    every worker's short options: level, price, ATR, trips, next "
		"evaluation\n"
		"  remove       delete a segment left behind by a dead owner (refused while it "
		"lives;\n"
		"               a file that is not an alluse segment needs --force)\n"
		"\n"
		"options:\n"
		"  -n, --instance INSTANCE  inspect /dev/shm/alluse.INSTANCE\n"
		"  -f, --file PATH          inspect any file holding a segment (post-mortem "
		"copies)\n"
		"  --json                   one JSON document (one line) instead of tables\n"
		"  --watch SECS             refresh every SECS seconds (%.2g..%g, decimals "
		"allowed)\n"
		"                           until Ctrl-C; with --json, one document per line\n"
		"  --force                  remove: also remove a file that is not an alluse "
		"segment\n"
		"  -h, --help               this text\n"
		"\n"
		"exit status: 0 ok, 1 segment missing/invalid or removal refused, 2 bad usage\n",
		WATCH_MIN_S, WATCH_MAX_S);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	usage(stderr);
	return EXIT_USAGE;
}

/* "--name VALUE" or "--name=VALUE" (long), "-n VALUE" or "-nVALUE" (short). */
static const char *opt_value(int argc, char **argv, int *i, const char *shrt, const char *lng,
			     int *matched)
{
	const char *a = argv[*i];
	size_t ll = strlen(lng);
	*matched = 1;
	if (strcmp(a, lng) == 0 || (shrt && strcmp(a, shrt) == 0))
		return *i + 1 < argc ? argv[++*i] : NULL;
	if (strncmp(a, lng, ll) == 0 && a[ll] == '=')
		return a + ll + 1;
	if (shrt && strncmp(a, shrt, 2) == 0 && a[2] != '\0')
		return a + 2;
	*matched = 0;
	return NULL;
}

static int parse_watch(const char *s, uint64_t *ns)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !isfinite(v) || v < WATCH_MIN_S || v > WATCH_MAX_S)
		return -EINVAL;
	*ns = (uint64_t)(v * 1e9 + 0.5);
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	int only_positional = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!only_positional && a[0] == '-' && a[1] != '\0') {
			int m;
			const char *v;
			if (strcmp(a, "--") == 0) {
				only_positional = 1;
			} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
				usage(stdout);
				exit(EXIT_OK);
			} else if (strcmp(a, "--json") == 0) {
				o->json = 1;
			} else if (strcmp(a, "--force") == 0) {
				o->force = 1;
			} else if ((v = opt_value(argc, argv, &i, "-n", "--instance", &m)), m) {
				if (!v)
					return usage_error("%s needs an instance name", a);
				o->instance = v;
			} else if ((v = opt_value(argc, argv, &i, "-f", "--file", &m)), m) {
				if (!v || !*v)
					return usage_error("%s needs a file path", a);
				o->path = v;
			} else if ((v = opt_value(argc, argv, &i, NULL, "--watch", &m)), m) {
				if (!v)
					return usage_error("%s needs a number of seconds", a);
				o->watch_arg = v;
			} else {
				return usage_error("unknown option '%s'", a);
			}
			continue;
		}
		if (o->command)
			return usage_error("unexpected argument '%s' (one command at a time)", a);
		o->command = a;
	}
	if (!o->command)
		return usage_error("%s", "no command given");
	if (strcmp(o->command, "remove") != 0) {
		o->view = insp_cmd_find(o->command);
		if (!o->view)
			return usage_error("unknown command '%s'", o->command);
		if (o->force)
			return usage_error("%s", "--force only applies to remove");
	} else if (o->watch_arg) {
		return usage_error("%s", "--watch does not apply to remove");
	}
	if (o->watch_arg && parse_watch(o->watch_arg, &o->watch_ns))
		return usage_error("--watch: '%s' is not a number of seconds in 0.01..86400",
				   o->watch_arg);
	if (o->path && o->instance)
		return usage_error("%s", "-n and -f are exclusive: name an instance or a file");
	if (!o->path) {
		if (!o->instance) {
			const char *env = getenv("ALLUSE_INSTANCE");
			o->instance = env && *env ? env : "dev";
		}
		struct rt_err err = {0};
		if (shm_instance_check(o->instance, &err))
			return usage_error("%s", err.msg);
		snprintf(o->shown_path, sizeof(o->shown_path), "/dev/shm/alluse.%s", o->instance);
	} else {
		snprintf(o->shown_path, sizeof(o->shown_path), "%s", o->path);
	}
	return EXIT_OK;
}

/* Write all of buf to fd 1. -EPIPE when the reader went away (SIGPIPE is ignored
 * once rt_signal_install ran). */
static int write_out(const struct insp_buf *b)
{
	size_t off = 0;
	while (off < b->len) {
		ssize_t n = write(STDOUT_FILENO, b->p + off, b->len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (size_t)n;
	}
	return 0;
}

static int attach(const struct opts *o, struct shm_segment *seg, struct rt_err *err)
{
	rt_err_clear(err);
	if (o->path)
		return shm_segment_attach_path(seg, o->path, 1, READY_WAIT_MS, err);
	int rc = shm_segment_attach_readonly(seg, o->instance, READY_WAIT_MS, err);
	if (rc == -ENOENT)
		rt_err_set(err, rc,
			   "no segment for instance '%s': /dev/shm/alluse.%s does not exist "
			   "(is it running? start it with 'alluse run -n %s')",
			   o->instance, o->instance, o->instance);
	return rc;
}

static void render(const struct opts *o, const struct shm_segment *seg, struct insp_buf *out)
{
	struct insp_ctx c = {
		.seg = seg,
		.json = o->json,
		.now_ns = rt_clock_now_ns(),
		.now_wall_ns = rt_clock_wall_ns(),
	};
	o->view->render(&c, out);
}

static int run_once(const struct opts *o)
{
	struct shm_segment seg;
	struct rt_err err = {0};
	if (attach(o, &seg, &err)) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		return EXIT_SEGMENT;
	}
	struct insp_buf out = {0};
	render(o, &seg, &out);
	shm_segment_detach(&seg);
	int rc = EXIT_OK;
	if (out.oom) {
		fprintf(stderr, PROG ": out of memory while rendering '%s'\n", o->command);
		rc = EXIT_SEGMENT;
	} else if (write_out(&out) != 0) {
		rc = EXIT_SEGMENT;
	}
	insp_buf_fini(&out);
	return rc;
}

/* Sleep ns in short slices so Ctrl-C ends the watch promptly. */
static void watch_sleep(uint64_t ns)
{
	uint64_t end = rt_clock_now_ns() + ns;
	for (;;) {
		if (rt_signal_stop_requested())
			return;
		uint64_t now = rt_clock_now_ns();
		if (now >= end)
			return;
		uint64_t left = end - now;
		struct timespec ts = {0, (long)(left < 50000000u ? left : 50000000u)};
		nanosleep(&ts, NULL); /* EINTR: the loop re-checks the stop flag */
	}
}

/* Re-attach on every refresh, so the watch follows a restarted instance and shows
 * (then survives) a segment that disappears or stops validating. Only a failure
 * on the first frame ends it, as the one-shot run would. */
static int run_watch(const struct opts *o)
{
	rt_signal_install();
	struct insp_buf out = {0};
	int rc = EXIT_OK;
	char when[INSP_FMT_MAX];
	for (uint64_t frame = 0; !rt_signal_stop_requested(); frame++) {
		struct shm_segment seg;
		struct rt_err err = {0};
		int arc = attach(o, &seg, &err);
		if (arc && frame == 0) {
			fprintf(stderr, PROG ": %s\n", err.msg);
			rc = EXIT_SEGMENT;
			break;
		}
		insp_buf_reset(&out);
		if (!o->json) {
			insp_fmt_utc(when, rt_clock_wall_ns());
			insp_buf_printf(&out,
					CLEAR_SCREEN PROG
					" %s  %s  every %s s  %s  (Ctrl-C to stop)\n\n",
					o->command, o->shown_path, o->watch_arg, when);
		}
		if (arc == 0) {
			render(o, &seg, &out);
			shm_segment_detach(&seg);
		} else if (o->json) {
			struct insp_json j;
			insp_json_begin(&j, &out);
			insp_json_str(&j, "command", o->command);
			insp_json_u64(&j, "now_wall_ns", rt_clock_wall_ns());
			insp_json_str(&j, "error", err.msg);
			insp_json_close(&j, 1);
			insp_buf_puts(&out, "\n");
		} else {
			insp_buf_printf(&out, PROG ": %s\n(retrying every %s s)\n", err.msg,
					o->watch_arg);
		}
		if (out.oom) {
			fprintf(stderr, PROG ": out of memory while rendering '%s'\n", o->command);
			rc = EXIT_SEGMENT;
			break;
		}
		if (write_out(&out) != 0)
			break; /* the reader went away (a closed pipe): nothing left to show */
		watch_sleep(o->watch_ns);
	}
	insp_buf_fini(&out);
	return rc;
}

/* ---- remove --------------------------------------------------------------------- */

/* Why the file at path does not validate ("" if it does). Maps it read-only. */
static void validation_reason(int fd, uint64_t size, char *out, size_t n)
{
	struct rt_err err = {0};
	out[0] = '\0';
	if (size < SHM_HEADER_SIZE) {
		uint8_t hdr[SHM_HEADER_SIZE] = {0};
		shm_segment_validate(hdr, size, &err); /* stops at the size check */
	} else {
		void *base = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
		if (base == MAP_FAILED) {
			snprintf(out, n, "cannot map it: %s", strerror(errno));
			return;
		}
		shm_segment_validate(base, size, &err);
		munmap(base, size);
	}
	if (err.code)
		snprintf(out, n, "%s", err.msg);
}

static int do_remove(const struct opts *o)
{
	const char *path = o->shown_path;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			fprintf(stderr, PROG ": %s: no such segment, nothing to remove\n", path);
		else
			fprintf(stderr, PROG ": %s: cannot open it: %s\n", path, strerror(errno));
		return EXIT_SEGMENT;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, PROG ": %s: not a regular file, not removing it\n", path);
		close(fd);
		return EXIT_SEGMENT;
	}
	uint64_t size = (uint64_t)st.st_size;
	/* The raw header, trusted only for the owner's identity: remove must work on a
	 * segment that no longer validates. */
	struct shm_header h;
	memset(&h, 0, sizeof(h));
	ssize_t got = pread(fd, &h, sizeof(h), 0);
	int owner_known =
		got >= (ssize_t)offsetof(struct shm_header, dir_offset) && h.magic == SHM_MAGIC;
	char reason[RT_ERR_MSG_MAX];
	validation_reason(fd, size, reason, sizeof(reason));
	close(fd);

	if (owner_known && shm_owner_alive(h.creator_pid, h.creator_start_ticks)) {
		fprintf(stderr,
			PROG ": %s: owner pid %u is alive; refusing to remove a segment in use "
			     "(stop the instance first)\n",
			path, h.creator_pid);
		return EXIT_SEGMENT;
	}
	if (!owner_known && !o->force) {
		fprintf(stderr,
			PROG ": %s: %s; its owner cannot be read, so it is not removed "
			     "(use 'remove --force' if nothing uses it)\n",
			path, reason[0] ? reason : "not an alluse segment");
		return EXIT_SEGMENT;
	}

	struct rt_err err = {0};
	int rc = o->path ? (unlink(path) ? rt_err_set(&err, -errno, "remove %s: %s", path,
						      strerror(errno))
					 : 0)
			 : shm_segment_unlink(o->instance, &err);
	if (rc) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		return EXIT_SEGMENT;
	}

	if (o->json) {
		struct insp_buf out = {0};
		struct insp_json j;
		insp_json_begin(&j, &out);
		insp_json_str(&j, "command", "remove");
		insp_json_str(&j, "path", path);
		insp_json_bool(&j, "removed", 1);
		if (owner_known)
			insp_json_u64(&j, "owner_pid", h.creator_pid);
		else
			insp_json_null(&j, "owner_pid");
		insp_json_bool(&j, "forced", !owner_known);
		if (reason[0])
			insp_json_str(&j, "invalid", reason);
		else
			insp_json_null(&j, "invalid");
		insp_json_close(&j, 1);
		insp_buf_puts(&out, "\n");
		write_out(&out);
		insp_buf_fini(&out);
	} else if (owner_known) {
		printf("removed %s (left behind by pid %u, which is gone%s%s)\n", path,
		       h.creator_pid, reason[0] ? "; it did not validate: " : "", reason);
	} else {
		printf("removed %s (--force: %s)\n", path,
		       reason[0] ? reason : "not an alluse segment");
	}
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct opts o;
	memset(&o, 0, sizeof(o));
	int rc = parse_args(argc, argv, &o);
	if (rc)
		return rc;
	if (!o.view)
		return do_remove(&o);
	return o.watch_ns ? run_watch(&o) : run_once(&o);
}
