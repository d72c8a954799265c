/*
 * alluse-ctl — operator commands to the rules process of a running instance.
 *
 *   alluse-ctl [-n INSTANCE] status [--json]
 *   alluse-ctl [-n INSTANCE] safe|maintenance|audit|resume|emergency [--confirm]
 *   alluse-ctl [-n INSTANCE] reset --confirm
 *
 * A command travels on the segment's "ctl" ring (alluse-ctl is its producer; a lock
 * file makes concurrent invocations take turns, so the ring keeps one producer at a
 * time) and is answered through the "rules" counters. Every command is logged by the
 * rules process with who ran it (user, uid, pid). Exit: 0 applied, 1 refused or no
 * answer, 2 usage. docs/operations.md.
 */
#include "rt/rt_atomic.h"
#include "rt/rt_clock.h"
#include "shm/shm_counters.h"
#include "shm/shm_layout.h"
#include "shm/shm_pos.h"
#include "shm/shm_ring.h"
#include "shm/shm_segment.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: alluse-ctl [-n INSTANCE] status [--json]\n"
		   "       alluse-ctl [-n INSTANCE] safe|maintenance|audit|resume|emergency "
		   "[--confirm]\n"
		   "       alluse-ctl [-n INSTANCE] reset --confirm\n"
		   "INSTANCE defaults to $ALLUSE_INSTANCE, else \"dev\".\n");
}

static uint64_t *counter_of(struct shm_segment *s, const char *owner, const char *label)
{
	const struct shm_dir_entry *e = shm_segment_find_kind_name(s, SHM_KIND_COUNTERS, owner);
	if (!e)
		return NULL;
	struct shm_counters cs;
	shm_counters_attach(&cs, shm_segment_region(s, e));
	for (uint32_t i = 0; i < shm_counters_count(&cs); i++)
		if (!strcmp(cs.c[i].label, label))
			return &cs.c[i].value;
	return NULL;
}

static uint64_t *counter(struct shm_segment *s, const char *label)
{
	return counter_of(s, "rules", label);
}

static uint64_t value(struct shm_segment *s, const char *label)
{
	uint64_t *p = counter(s, label);
	return p ? rt_load_rlx_u64(p) : 0;
}

static uint64_t desk(struct shm_segment *s, const char *label)
{
	uint64_t *p = counter_of(s, "desk", label);
	return p ? rt_load_rlx_u64(p) : 0;
}

static int status(struct shm_segment *s, int json)
{
	uint32_t state = rt_load_acq_u32(&s->hdr->system_state);
	uint64_t hb = value(s, "heartbeat.ns");
	uint64_t now = rt_clock_now_ns();
	int alive = hb && now - hb < 2000000000ull;
	if (json)
		printf("{\"instance\":\"%s\",\"state\":\"%s\",\"state_number\":%u,\"level3_latch\":"
		       "%s,"
		       "\"rules_alive\":%s,\"commands\":%llu,\"transitions\":%llu,"
		       "\"accounts\":%llu,\"short_options\":%llu,\"intents\":%llu}\n",
		       s->hdr->instance, shm_state_name(state), state,
		       value(s, "level3.latch") ? "true" : "false", alive ? "true" : "false",
		       (unsigned long long)value(s, "ctl.commands"),
		       (unsigned long long)value(s, "state.transitions"),
		       (unsigned long long)desk(s, "accounts"),
		       (unsigned long long)desk(s, "positions.short_options"),
		       (unsigned long long)desk(s, "intents"));
	else
		printf("instance      %s\nstate         %s\nlevel-3 latch %s\nrules process %s\n"
		       "commands      %llu\ntransitions   %llu\naccounts      %llu\n"
		       "short options %llu\nintents       %llu (since the rules process started)\n",
		       s->hdr->instance, shm_state_name(state),
		       value(s, "level3.latch")
			       ? "set (leaving SAFE needs: alluse-ctl reset --confirm)"
			       : "clear",
		       alive ? "alive" : "not answering (no heartbeat in 2 s)",
		       (unsigned long long)value(s, "ctl.commands"),
		       (unsigned long long)value(s, "state.transitions"),
		       (unsigned long long)desk(s, "accounts"),
		       (unsigned long long)desk(s, "positions.short_options"),
		       (unsigned long long)desk(s, "intents"));
	return 0;
}

int main(int argc, char **argv)
{
	const char *inst = getenv("ALLUSE_INSTANCE");
	const char *cmd = NULL;
	int confirm = 0, json = 0;
	if (!inst || !*inst)
		inst = "dev";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			inst = argv[++i];
		else if (!strcmp(argv[i], "--confirm"))
			confirm = 1;
		else if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!cmd && argv[i][0] != '-')
			cmd = argv[i];
		else {
			fprintf(stderr, "alluse-ctl: unknown or incomplete argument '%s'\n",
				argv[i]);
			usage(stderr);
			return 2;
		}
	}
	static const struct {
		const char *name;
		uint32_t op;
	} ops[] = {{"safe", SHM_CTL_SAFE},
		   {"reset", SHM_CTL_RESET},
		   {"maintenance", SHM_CTL_MAINTENANCE},
		   {"audit", SHM_CTL_AUDIT},
		   {"resume", SHM_CTL_RESUME},
		   {"emergency", SHM_CTL_EMERGENCY}};
	uint32_t op = 0;
	if (!cmd) {
		usage(stderr);
		return 2;
	}
	for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
		if (!strcmp(cmd, ops[k].name))
			op = ops[k].op;
	if (!op && strcmp(cmd, "status")) {
		fprintf(stderr, "alluse-ctl: unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}
	if (op == SHM_CTL_RESET && !confirm) {
		fprintf(stderr,
			"alluse-ctl: reset leaves a level-3 SAFE: repeat with --confirm once the "
			"position is handled\n");
		return 2;
	}
	struct shm_segment s;
	struct rt_err err = {0};
	if (shm_segment_attach(&s, inst, 500, &err) != 0) {
		fprintf(stderr, "alluse-ctl: %s\n", err.msg);
		return 1;
	}
	if (!op) {
		int rc = status(&s, json);
		shm_segment_detach(&s);
		return rc;
	}
	const struct shm_dir_entry *ce = shm_segment_find(&s, SHM_KIND_RING, SHM_ROLE_CTL, 0);
	uint64_t *last = counter(&s, "ctl.last_seq");
	if (!ce || !last) {
		fprintf(stderr,
			"alluse-ctl: instance '%s' has no rules process answering commands\n",
			inst);
		return 1;
	}
	/* one producer at a time on the ctl ring */
	char lock[96];
	snprintf(lock, sizeof(lock), "%s.ctl.lock", s.path);
	int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lfd < 0 || flock(lfd, LOCK_EX) != 0) {
		fprintf(stderr, "alluse-ctl: lock %s: %s\n", lock, strerror(errno));
		return 1;
	}
	struct shm_ring r;
	shm_ring_producer_attach(&r, shm_segment_region(&s, ce));
	struct shm_ctl_cmd c;
	memset(&c, 0, sizeof(c));
	c.op = op;
	c.confirm = (uint32_t)confirm;
	c.seq = r.pos + 1 + ((uint64_t)getpid() << 32);
	c.uid = (uint32_t)getuid();
	c.pid = (uint32_t)getpid();
	struct passwd *pw = getpwuid(getuid());
	const char *user = pw ? pw->pw_name : getenv("USER");
	snprintf(c.user, sizeof(c.user), "%s", user ? user : "?");
	if (shm_ring_push_spsc(&r, &c) != 0) {
		fprintf(stderr,
			"alluse-ctl: the command ring is full: is the rules process running?\n");
		return 1;
	}
	uint64_t deadline = rt_clock_now_ns() + 3000000000ull;
	while (__atomic_load_n(last, __ATOMIC_ACQUIRE) != c.seq) {
		if (rt_clock_now_ns() > deadline) {
			fprintf(stderr,
				"alluse-ctl: no answer from the rules process in 3 s (the command "
				"stays queued)\n");
			return 1;
		}
		rt_clock_sleep_ns(2000000);
	}
	flock(lfd, LOCK_UN);
	close(lfd);
	uint64_t result = value(&s, "ctl.last_result");
	uint32_t state = rt_load_acq_u32(&s.hdr->system_state);
	if (result) {
		fprintf(stderr,
			"alluse-ctl: %s refused (%s); the system stays %s — see the rules log "
			"for the reason%s\n",
			cmd, strerror((int)result), shm_state_name(state),
			value(&s, "level3.latch") ? "; a level-3 latch needs --confirm" : "");
		return 1;
	}
	printf("%s: ok, system %s\n", cmd, shm_state_name(state));
	shm_segment_detach(&s);
	return 0;
}
