/*
 * rt_config.h — the configuration: a YAML file bound to struct rt_config.
 *
 * Start-up sequence of every program:
 *
 *	struct rt_config c;
 *	struct rt_err err = {0};
 *	// compiled-in values, the embedded config/alluse.yaml, the environment's
 *	// overlay (-e ENV or $ALLUSE_ENV), FILE (-c), the instance name (-n)
 *	if (rt_config_load_cli_env(&c, env, path, instance, &err)) {
 *		fprintf(stderr, "alluse: %s\n", err.msg);   // and refuse to start
 *		exit(2);
 *	}
 *
 * A file is applied ON TOP of what is already in the struct: keys it names replace
 * their values (a list replaces the whole list), every other key keeps its value,
 * so an overlay is just a second load. A load is all or nothing: on error the
 * struct is left exactly as it was.
 *
 * The schema (key paths, types, ranges, defaults' help) is a table in rt_config.c;
 * adding a key is adding a row there plus a field here. docs/config.md lists every
 * key. Errors name the file, the line, the key and what is allowed, e.g.
 *   config/alluse.yaml:7: key 'shm.quote_ring_capacity': 1000 is not a power of two
 *   (allowed: power of two in 64..16777216)
 *
 * Cold path only; the loader allocates while parsing and frees before returning.
 * Not thread-safe per struct (one loader at a time); no global state.
 */
#ifndef RT_CONFIG_H
#define RT_CONFIG_H

#include "rt/rt_err.h"
#include "rt/rt_idle.h"
#include "rt/rt_log.h"
#include "workers/core/core_rules_cfg.h" /* struct core_rules_cfg (light headers only) */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RT_CONFIG_INSTANCE_MAX 32u /* bytes with the NUL: 1..31 characters */
#define RT_CONFIG_TICKER_MAX 16u /* bytes with the NUL: 1..15 characters */
#define RT_CONFIG_INSTRUMENTS_MAX 256u
#define RT_CONFIG_WORKERS_MAX 64u
#define RT_CONFIG_FILE_MAX (1u << 20) /* larger files are refused (-EFBIG) */

/* Plain process memory (not shared): bool and enum are fine here. */
struct rt_config_shm {
	uint32_t mode; /* segment file mode, e.g. 0600 */
	uint32_t max_instruments; /* 1..1048576 */
	uint32_t quote_ring_capacity; /* power of two in 64..16777216 */
	uint32_t event_ring_capacity; /* power of two in 64..16777216 */
	bool huge_pages;
	bool mlock;
};

enum rt_feed_source {
	RT_FEED_SYNTHETIC = 0,
	RT_FEED_REPLAY = 1,
	RT_FEED_UDP = 2,
	RT_FEED_NONE = 3
};

#define RT_CONFIG_PATH_MAX 256u
#define RT_CONFIG_ADDR_MAX 64u

struct rt_config_feeder {
	int32_t cpu; /* -1..1023, -1 = not pinned */
	enum rt_feed_source source; /* synthetic | replay | udp | none */
	enum rt_idle_kind idle; /* spin | backoff | block */
	double speed; /* replay/synthetic pacing: 1 = real time, N = N×, 0 = flat out */
	char replay_file[RT_CONFIG_PATH_MAX];
	bool auto_define_options; /* an unknown OCC option symbol defines itself */
	/* synthetic */
	uint64_t synthetic_seed;
	uint32_t synthetic_dt_us; /* virtual time per step */
	uint32_t synthetic_strikes_per_side;
	uint32_t synthetic_expiries;
	uint32_t synthetic_options_per_tick;
	/* udp */
	char udp_bind[RT_CONFIG_ADDR_MAX];
	uint32_t udp_port;
	char udp_group[RT_CONFIG_ADDR_MAX]; /* "" = unicast */
	char udp_iface[RT_CONFIG_ADDR_MAX]; /* interface address for the join, "" = any */
	/* validation */
	uint32_t max_age_ms; /* stale when older; 0 = off */
	double jump_atr_k; /* reject a move of more than k × ATR; 0 = off */
	uint32_t jump_confirm; /* accept after this many consecutive jumps; 0 = never */
};

struct rt_config_protocol {
	double level_atr[3]; /* levels 1..3 trip at strike ∓ level_atr[i] × ATR (puts −, calls +) */
	uint32_t cadence_s[3]; /* re-evaluation period at levels 0, 1, 2 (level 3: every quote) */
	char positions_file[RT_CONFIG_PATH_MAX]; /* short options to watch ("" = none) */
	char bars_dir[RT_CONFIG_PATH_MAX]; /* daily bars for ATR(5): <dir>/<SYMBOL>_*.csv */
};

struct rt_config_audit {
	char dir[RT_CONFIG_PATH_MAX]; /* journal directory; the instance name is appended */
	char pg_dsn[RT_CONFIG_PATH_MAX]; /* PostgreSQL connection string, "" = journal only */
	uint32_t commit_ms; /* group commit: fdatasync at most every N ms */
	uint32_t rotate_mb; /* journal file size before rotation */
};

struct rt_config_workers {
	uint32_t count; /* 1..64 */
	uint32_t ncpus; /* 0 (no pinning) or == count */
	int32_t cpus[RT_CONFIG_WORKERS_MAX]; /* -1..1023 each, -1 = that worker not pinned */
	enum rt_idle_kind idle;
	int32_t fifo_priority; /* 0 = SCHED_OTHER, 1..99 = SCHED_FIFO */
	uint32_t max_positions; /* positions per worker */
};

struct rt_config {
	char instance[RT_CONFIG_INSTANCE_MAX]; /* [A-Za-z0-9_-]+ */
	enum rt_log_level log_level;
	struct rt_config_shm shm;
	struct rt_config_feeder feeder;
	struct rt_config_workers workers;
	struct rt_config_protocol protocol;
	struct rt_config_audit audit;
	uint32_t ninstruments;
	char instruments[RT_CONFIG_INSTRUMENTS_MAX][RT_CONFIG_TICKER_MAX]; /* [A-Z0-9.]+ */
	/* every number of RULES.md: rules.*, sizing.*, accounts.*, scanner.*,
	 * protocol.roll_*|hedge_atr, gate.* (docs/config.md); checked with
	 * core_rules_cfg_check and core_rules_cfg_check_known against instruments */
	struct core_rules_cfg rules;
};

/* The compiled-in defaults (the same values as config/alluse.yaml). Zeroes the
 * whole struct first, so two configs with equal settings compare equal with memcmp. */
void rt_config_defaults(struct rt_config *c);

/* Apply YAML text of len bytes (need not be NUL-terminated) on top of c. name is
 * what errors call the source ("config/alluse.yaml"). Returns 0; -EINVAL for
 * anything wrong with the text (syntax, unknown or repeated key, wrong type, value
 * out of range, inconsistent keys, empty text), -ENOMEM. On error c is unchanged
 * and err says "name:line: key 'k': what is wrong (allowed: ...)". */
int rt_config_load_string(struct rt_config *c, const char *text, size_t len, const char *name,
			  struct rt_err *err);

/* Read path (at most RT_CONFIG_FILE_MAX bytes) and apply it like load_string.
 * Also -errno when it cannot be opened or read ("cannot open 'x.yaml': No such file
 * or directory"), -EISDIR, -EFBIG. */
int rt_config_load_file(struct rt_config *c, const char *path, struct rt_err *err);

/* Apply the embedded copy of config/alluse.yaml (linked in as alluse_default_config);
 * errors call it "<embedded config/alluse.yaml>". */
int rt_config_load_default(struct rt_config *c, struct rt_err *err);

/* The environments: overlays embedded like config/alluse.yaml (config/<name>.yaml),
 * applied between the embedded defaults and -c FILE. NULL-terminated, in the order
 * they are documented: "development", "staging", "production". */
extern const char *const rt_config_envs[];

/* Apply the embedded overlay of environment env on top of c; errors call it
 * "<embedded config/<env>.yaml>". -EINVAL for an unknown name ("unknown environment
 * 'x' (known: development, staging, production)"), else as rt_config_load_string. */
int rt_config_load_env(struct rt_config *c, const char *env, struct rt_err *err);

/* The environment a program runs in: flag (its -e/--env) when not NULL, else the
 * environment variable ALLUSE_ENV when set and not empty, else NULL (no overlay). */
const char *rt_config_env_pick(const char *flag);

/* What every program does with its -e, -c and -n: the defaults, the embedded
 * config/alluse.yaml, the environment's overlay (env, else $ALLUSE_ENV, see
 * rt_config_env_pick; none when neither), then `path` on top (NULL: none), then
 * `instance` (NULL: keep) checked like the key. 0 or the error of the step that
 * failed (err names the file, line and key; "-e 'x'" / "ALLUSE_ENV 'x'" for an
 * unknown environment). */
int rt_config_load_cli_env(struct rt_config *c, const char *env, const char *path,
			   const char *instance, struct rt_err *err);

/* rt_config_load_cli_env without a flag: the environment comes from ALLUSE_ENV. */
int rt_config_load_cli(struct rt_config *c, const char *path, const char *instance,
		       struct rt_err *err);

/* Print the effective configuration as YAML that loads back to the same struct
 * (`alluse config show`), every key in the syntax it is read in. Returns 0 or -EIO
 * if the stream failed. */
int rt_config_dump(const struct rt_config *c, FILE *out);

#endif
