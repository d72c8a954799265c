/*
 * The loader in two steps: libyaml's event parser builds a small tree that keeps
 * every node's line (so errors can point at it), then a table-driven binder walks
 * the tree against the schema below and writes into a copy of the struct, which
 * replaces the caller's only when the whole file and the cross-key checks passed.
 *
 * Values are taken from the scalar's text, whatever its YAML style: `mode: 0600`
 * and `mode: "0600"` are the same, and nothing depends on YAML 1.1 vs 1.2 typing
 * (0600 is octal only because the key is a file mode).
 */
#include "rt/rt_config.h"
#include "workers/core/core_calendar.h"
#include "workers/core/core_rules_state.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* config/default_config.S: config/alluse.yaml and the environments' overlays, each
 * followed by a NUL */
extern const char alluse_default_config[];
extern const char alluse_env_development[];
extern const char alluse_env_staging[];
extern const char alluse_env_production[];

#define EMBEDDED_NAME "<embedded config/alluse.yaml>"
#define YAML_NODES_MAX 100000u /* a real configuration has a few hundred */
#define YAML_DEPTH_MAX 32u
#define KEY_PATH_MAX 128u
#define SHOW_MAX 48u /* bytes of a bad value or key echoed in a message */

_Static_assert(sizeof(enum rt_idle_kind) == sizeof(int), "enum fields are stored as int");
_Static_assert(sizeof(enum rt_log_level) == sizeof(int), "enum fields are stored as int");
_Static_assert(sizeof(enum core_right) == sizeof(int), "enum fields are stored as int");
_Static_assert(RT_CONFIG_TICKER_MAX == CORE_RULES_SYMBOL_MAX,
	       "instruments are passed to core_rules_cfg_check_known as they are");

/* ------------------------------------------------------------------ schema */

enum cfg_type {
	CFG_BOOL,
	CFG_INT, /* signed, 1/2/4/8 bytes, smin..smax */
	CFG_UINT, /* unsigned, 1/2/4/8 bytes, umin..umax */
	CFG_STR, /* char[size], umin..umax characters from charset */
	CFG_ENUM, /* int: index into names */
	CFG_MODE, /* uint32_t file mode, written in octal */
	CFG_STR_LIST, /* char[max_items][size] + uint32_t count */
	CFG_INT_LIST, /* intN_t[max_items] + uint32_t count, each smin..smax */
	CFG_DOUBLE, /* double, finite, dmin..dmax */
	/* exact decimal text scaled by 10^scale into int64_t (size 8) or uint32_t (size
	 * 4), smin..smax in scaled units: money (scale 8), fractions (scale 4: bp) */
	CFG_FIXED,
	CFG_TOD, /* int32_t New York seconds of day from "HH:MM[:SS]", smin..smax */
	CFG_WEEKDAYS, /* uint32_t bit set (bit 0 = Sunday) from a list of day names */
	CFG_STATES, /* uint32_t bit set of enum core_rules_sys from a list of names */
	CFG_RIGHT, /* enum core_right that must be smin (the rule's own right) */
};

#define CFG_POW2 0x1u /* integers: must be a power of two */
#define CFG_UNIQUE 0x2u /* lists: no entry twice */
#define CFG_PERCENT 0x4u /* CFG_FIXED with scale >= 2: "97.5%" is accepted too */

struct cfg_key {
	const char *path; /* dotted: "shm.mode" */
	enum cfg_type type;
	uint32_t flags;
	int64_t smin, smax; /* CFG_INT, CFG_INT_LIST items */
	double dmin, dmax; /* CFG_DOUBLE */
	uint64_t umin, umax; /* CFG_UINT; CFG_STR and CFG_STR_LIST items: length */
	const char *const *names; /* CFG_ENUM, value order, NULL-terminated */
	const char *charset; /* CFG_STR*: every allowed byte */
	const char *charset_desc; /* how errors and docs spell the charset */
	const char *note; /* appended to the allowed text: "-1 = not pinned" */
	const char *unit; /* CFG_FIXED: "an amount in USD", "a fraction", ... */
	uint32_t scale; /* CFG_FIXED: decimals */
	size_t off; /* offsetof(struct rt_config, field) */
	size_t size; /* field size; lists: one element */
	uint32_t max_items; /* lists */
	size_t count_off; /* lists: offsetof the uint32_t count */
};

#define FSIZE(f) sizeof(((struct rt_config *)0)->f)
#define FIELD(f) .off = offsetof(struct rt_config, f), .size = FSIZE(f)
#define LIST(f, n)                                                                                 \
	.off = offsetof(struct rt_config, f), .size = FSIZE(f[0]),                                 \
	.max_items = (uint32_t)(FSIZE(f) / FSIZE(f[0])),                                           \
	.count_off = offsetof(struct rt_config, n)

#define KEY_BOOL(p, f)                                                                             \
	{                                                                                          \
		.path = p, .type = CFG_BOOL, FIELD(f)                                              \
	}
#define KEY_INT(p, f, lo, hi, nt)                                                                  \
	{                                                                                          \
		.path = p, .type = CFG_INT, .smin = lo, .smax = hi, .note = nt, FIELD(f)           \
	}
#define KEY_UINT(p, f, lo, hi, fl)                                                                 \
	{                                                                                          \
		.path = p, .type = CFG_UINT, .flags = fl, .umin = lo, .umax = hi, FIELD(f)         \
	}
#define KEY_STR(p, f, lo, cs, csd)                                                                 \
	{                                                                                          \
		.path = p, .type = CFG_STR, .umin = lo, .umax = FSIZE(f) - 1, .charset = cs,       \
		.charset_desc = csd, FIELD(f)                                                      \
	}
/* a file or directory path, may be empty */
#define KEY_PATH(p, f) KEY_STR(p, f, 0, PATHCHARS, PATHCHARS_DESC)
#define KEY_DOUBLE(p, f, lo, hi, nt)                                                               \
	{                                                                                          \
		.path = p, .type = CFG_DOUBLE, .dmin = lo, .dmax = hi, .note = nt, FIELD(f)        \
	}
#define KEY_ENUM(p, f, nm)                                                                         \
	{                                                                                          \
		.path = p, .type = CFG_ENUM, .names = nm, FIELD(f)                                 \
	}
#define KEY_MODE(p, f)                                                                             \
	{                                                                                          \
		.path = p, .type = CFG_MODE, FIELD(f)                                              \
	}
#define KEY_STR_LIST(p, f, n, lo, cs, csd)                                                         \
	{                                                                                          \
		.path = p, .type = CFG_STR_LIST, .flags = CFG_UNIQUE, .umin = lo,                  \
		.umax = FSIZE(f[0]) - 1, .charset = cs, .charset_desc = csd, LIST(f, n)            \
	}
#define KEY_INT_LIST(p, f, n, lo, hi, nt)                                                          \
	{                                                                                          \
		.path = p, .type = CFG_INT_LIST, .smin = lo, .smax = hi, .note = nt, LIST(f, n)    \
	}

#define KEY_FIXED(p, f, sc, lo, hi, fl, un, nt)                                                    \
	{                                                                                          \
		.path = p, .type = CFG_FIXED, .scale = sc, .smin = lo, .smax = hi, .flags = fl,    \
		.unit = un, .note = nt, FIELD(f)                                                   \
	}
/* USD as decimal text into 10^-8 USD (PRICE_SCALE) */
#define KEY_MONEY(p, f, lo, nt)                                                                    \
	KEY_FIXED(p, f, 8, lo, CORE_RULES_MONEY_MAX, 0, "an amount in USD", nt)
/* a fraction 0..1 (or a percentage) into basis points */
#define KEY_FRACTION(p, f, lo, nt)                                                                 \
	KEY_FIXED(p, f, 4, lo, CORE_RULES_BP, CFG_PERCENT, "a fraction", nt)
#define KEY_TOD(p, f, lo, hi, nt)                                                                  \
	{                                                                                          \
		.path = p, .type = CFG_TOD, .smin = lo, .smax = hi, .note = nt, FIELD(f)           \
	}

#define DIGITS "0123456789"
#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define LOWER "abcdefghijklmnopqrstuvwxyz"

static const char *const log_level_names[] = {"debug", "info", "warn", "error", NULL};
static const char *const idle_names[] = {"spin", "backoff", "block", NULL};
static const char *const source_names[] = {"synthetic", "replay", "udp", "none", NULL};
_Static_assert(RT_FEED_SYNTHETIC == 0 && RT_FEED_REPLAY == 1 && RT_FEED_UDP == 2 &&
		       RT_FEED_NONE == 3,
	       "source_names in enum order");
#define PATHCHARS UPPER LOWER DIGITS "/._-+@:~ "
#define PATHCHARS_DESC "A-Z a-z 0-9 / . _ - + @ : ~ space"
_Static_assert(RT_LOG_DEBUG == 0 && RT_LOG_INFO == 1 && RT_LOG_WARN == 2 && RT_LOG_ERROR == 3,
	       "log_level_names in enum order");
_Static_assert(RT_IDLE_SPIN == 0 && RT_IDLE_BACKOFF == 1 && RT_IDLE_BLOCK == 2,
	       "idle_names in enum order");

/* The keys of one entry rule, rules.<nm>.* -> rules.rule[i] */
#define RULE_KEYS(nm, i, rt)                                                                       \
	{.path = "rules." nm ".right", .type = CFG_RIGHT, .smin = rt, FIELD(rules.rule[i].right)}, \
		KEY_DOUBLE("rules." nm ".delta_min", rules.rule[i].delta_min, 0.0, 1.0,            \
			   "|delta|, at most delta_max"),                                          \
		KEY_DOUBLE("rules." nm ".delta_max", rules.rule[i].delta_max, 0.0, 1.0,            \
			   "|delta|, inclusive"),                                                  \
		KEY_INT("rules." nm ".dte_min", rules.rule[i].dte_min, 0, CORE_RULES_DTE_MAX,      \
			"calendar days, at most dte_max"),                                         \
		KEY_INT("rules." nm ".dte_max", rules.rule[i].dte_max, 0, CORE_RULES_DTE_MAX,      \
			"calendar days, inclusive"),                                               \
		{.path = "rules." nm ".weekdays",                                                  \
		 .type = CFG_WEEKDAYS,                                                             \
		 FIELD(rules.rule[i].weekdays)},                                                   \
		KEY_TOD("rules." nm ".window_start", rules.rule[i].window_start_s, 0,              \
			CORE_CALENDAR_SEC_PER_DAY - 1, "before window_end"),                       \
		KEY_TOD("rules." nm ".window_end", rules.rule[i].window_end_s, 1,                  \
			CORE_CALENDAR_SEC_PER_DAY, "exclusive; after window_start"),               \
		KEY_STR_LIST("rules." nm ".symbols", rules.rule[i].symbols,                        \
			     rules.rule[i].nsymbols, 1, UPPER DIGITS ".", "A-Z 0-9 .")

/* Rows of one section are contiguous (rt_config_dump relies on it). */
static const struct cfg_key keys[] = {
	KEY_STR("instance", instance, 1, UPPER LOWER DIGITS "_-", "A-Z a-z 0-9 _ -"),
	KEY_ENUM("log_level", log_level, log_level_names),
	KEY_MODE("shm.mode", shm.mode),
	KEY_UINT("shm.max_instruments", shm.max_instruments, 1, 1048576, 0),
	KEY_UINT("shm.quote_ring_capacity", shm.quote_ring_capacity, 64, 16777216, CFG_POW2),
	KEY_UINT("shm.event_ring_capacity", shm.event_ring_capacity, 64, 16777216, CFG_POW2),
	KEY_BOOL("shm.huge_pages", shm.huge_pages),
	KEY_BOOL("shm.mlock", shm.mlock),
	KEY_INT("feeder.cpu", feeder.cpu, -1, 1023, "-1 = not pinned"),
	KEY_ENUM("feeder.source", feeder.source, source_names),
	KEY_ENUM("feeder.idle", feeder.idle, idle_names),
	KEY_DOUBLE("feeder.speed", feeder.speed, 0.0, 1e6,
		   "1 = real time, 0 = as fast as possible"),
	KEY_PATH("feeder.replay_file", feeder.replay_file),
	KEY_BOOL("feeder.auto_define_options", feeder.auto_define_options),
	KEY_UINT("feeder.synthetic_seed", feeder.synthetic_seed, 0, INT64_MAX, 0),
	KEY_UINT("feeder.synthetic_dt_us", feeder.synthetic_dt_us, 1, 3600000000u, 0),
	KEY_UINT("feeder.synthetic_strikes_per_side", feeder.synthetic_strikes_per_side, 0, 100, 0),
	KEY_UINT("feeder.synthetic_expiries", feeder.synthetic_expiries, 1, 16, 0),
	KEY_UINT("feeder.synthetic_options_per_tick", feeder.synthetic_options_per_tick, 0, 1000,
		 0),
	KEY_STR("feeder.udp_bind", feeder.udp_bind, 1, DIGITS ".", "an IPv4 address"),
	KEY_UINT("feeder.udp_port", feeder.udp_port, 1, 65535, 0),
	KEY_STR("feeder.udp_group", feeder.udp_group, 0, DIGITS ".",
		"an IPv4 multicast address or empty"),
	KEY_STR("feeder.udp_iface", feeder.udp_iface, 0, DIGITS ".",
		"an IPv4 interface address or empty"),
	KEY_UINT("feeder.max_age_ms", feeder.max_age_ms, 0, 86400000, 0),
	KEY_DOUBLE("feeder.jump_atr_k", feeder.jump_atr_k, 0.0, 100.0,
		   "0 = off; else at least 0.01"),
	KEY_UINT("feeder.jump_confirm", feeder.jump_confirm, 0, 1000000, 0),
	KEY_UINT("workers.count", workers.count, 1, RT_CONFIG_WORKERS_MAX, 0),
	KEY_INT_LIST("workers.cpus", workers.cpus, workers.ncpus, -1, 1023,
		     "one per worker, -1 = not pinned"),
	KEY_ENUM("workers.idle", workers.idle, idle_names),
	KEY_INT("workers.fifo_priority", workers.fifo_priority, 0, 99, "0 = off"),
	KEY_UINT("workers.max_positions", workers.max_positions, 1, 1048576, 0),
	KEY_DOUBLE("protocol.level1_atr", protocol.level_atr[0], 0.01, 100.0,
		   "level 1 trip: strike -/+ this × ATR"),
	KEY_DOUBLE("protocol.level2_atr", protocol.level_atr[1], 0.01, 100.0,
		   "level 2 trip; > level1_atr"),
	KEY_DOUBLE("protocol.level3_atr", protocol.level_atr[2], 0.01, 100.0,
		   "level 3 trip; > level2_atr"),
	KEY_UINT("protocol.level0_cadence_s", protocol.cadence_s[0], 1, 86400, 0),
	KEY_UINT("protocol.level1_cadence_s", protocol.cadence_s[1], 1, 86400, 0),
	KEY_UINT("protocol.level2_cadence_s", protocol.cadence_s[2], 1, 86400, 0),
	KEY_PATH("protocol.positions_file", protocol.positions_file),
	KEY_PATH("protocol.bars_dir", protocol.bars_dir),
	/* RULES §4 protocol actions (struct core_rules_cfg) */
	KEY_INT("protocol.roll_dte_max", rules.roll_dte_max, 1, CORE_RULES_DTE_MAX,
		"calendar days from the trade date to a roll's new expiry"),
	KEY_MONEY("protocol.roll_min_credit", rules.roll_min_credit, 0,
		  "least net credit of a roll, per share"),
	KEY_FIXED("protocol.hedge_atr", rules.hedge_atr_mult, 2, 1, 100000, 0,
		  "a multiple of ATR(5)", "hedge strike this far beyond the price"),
	{.path = "audit.dir",
	 .type = CFG_STR,
	 .umin = 1,
	 .umax = RT_CONFIG_PATH_MAX - 33, /* room for "/<instance>" */
	 .charset = PATHCHARS,
	 .charset_desc = PATHCHARS_DESC,
	 FIELD(audit.dir)},
	KEY_STR("audit.pg_dsn", audit.pg_dsn, 0, PATHCHARS "=,'",
		"a libpq connection string (key=value ...) or empty"),
	KEY_UINT("audit.commit_ms", audit.commit_ms, 1, 10000, 0),
	KEY_UINT("audit.rotate_mb", audit.rotate_mb, 1, 65536, 0),
	KEY_STR_LIST("instruments", instruments, ninstruments, 1, UPPER DIGITS ".", "A-Z 0-9 ."),
	/* RULES §1 eligibility, one section per entry rule */
	RULE_KEYS("gen_csp", CORE_RULE_GEN_CSP, CORE_RIGHT_PUT),
	RULE_KEYS("rev_csp", CORE_RULE_REV_CSP, CORE_RIGHT_PUT),
	RULE_KEYS("com_cc", CORE_RULE_COM_CC, CORE_RIGHT_CALL),
	RULE_KEYS("mini_csp", CORE_RULE_MINI_CSP, CORE_RIGHT_PUT),
	RULE_KEYS("mini_cc", CORE_RULE_MINI_CC, CORE_RIGHT_CALL),
	/* RULES §2 sizing */
	KEY_FRACTION("sizing.deploy_min", rules.deploy_min_bp, 0, "a share of the available cash"),
	KEY_FRACTION("sizing.deploy_target", rules.deploy_target_bp, 0,
		     "a share of the available cash"),
	KEY_FRACTION("sizing.deploy_max", rules.deploy_max_bp, 1, "a share of the available cash"),
	KEY_FRACTION("sizing.symbol_cap", rules.symbol_cap_bp, 1,
		     "most of an account's capital on one symbol"),
	KEY_FRACTION("sizing.mini_csp", rules.mini_csp_bp, 0, "a Mini's capital for its CSP half"),
	/* RULES §1, §6 accounts */
	KEY_FRACTION("accounts.split_gen", rules.split_gen_bp, 0,
		     "split_gen + split_rev + split_com = 1"),
	KEY_FRACTION("accounts.split_rev", rules.split_rev_bp, 0,
		     "split_gen + split_rev + split_com = 1"),
	KEY_FRACTION("accounts.split_com", rules.split_com_bp, 0,
		     "split_gen + split_rev + split_com = 1"),
	KEY_MONEY("accounts.gen_fork_step", rules.gen_fork_step, 1, NULL),
	KEY_MONEY("accounts.mini_capital", rules.mini_capital, 1, "at most gen_fork_step"),
	KEY_MONEY("accounts.rev_fork_step", rules.rev_fork_step, 1, NULL),
	KEY_MONEY("accounts.rev_fork_capital", rules.rev_fork_capital, 1, "at most rev_fork_step"),
	KEY_UINT("accounts.mini_merge_years", rules.mini_merge_years, 1, 100, 0),
	KEY_FIXED("accounts.mini_merge_multiple", rules.mini_merge_multiple_bp, 4,
		  CORE_RULES_BP + 1, 1000000, 0, "a multiple of a Mini's initial capital", NULL),
	KEY_MONEY("accounts.mini_merge_balance", rules.mini_merge_balance, 1,
		  "more than mini_capital"),
	KEY_MONEY("accounts.initial_capital", rules.initial_capital, 1,
		  "the first ALL-USE account, opened when the desk has no snapshot"),
	/* scanner: Black-Scholes delta when the chain has none */
	KEY_DOUBLE("scanner.rate", rules.rate, -1.0, 1.0, "per year, continuously compounded"),
	KEY_DOUBLE("scanner.div_yield", rules.div_yield, -1.0, 1.0,
		   "per year, continuously compounded"),
	/* RULES §8 the gate */
	{.path = "gate.entry_states", .type = CFG_STATES, FIELD(rules.entry_states)},
	/* the rules process's day (core_rules_sched) */
	KEY_TOD("schedule.atr_time", rules.atr_time_s, 0, CORE_CALENDAR_SEC_PER_DAY - 1,
		"New York time of the daily ATR job and the day's open"),
	KEY_INT("schedule.after_close", rules.after_close_s, 0, 7200,
		"seconds after the NYSE close for expiries, forks and merges"),
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const default_instruments[] = {"AAPL", "MSFT", "AMZN", "GOOG", "GOOGL", "META",
						  "NVDA", "TSLA", "SPY",  "QQQ",  "IWM"};

void rt_config_defaults(struct rt_config *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->instance, "dev", 4);
	c->log_level = RT_LOG_INFO;
	c->shm.mode = 0600;
	c->shm.max_instruments = 4096;
	c->shm.quote_ring_capacity = 65536;
	c->shm.event_ring_capacity = 16384;
	c->shm.huge_pages = false;
	c->shm.mlock = false;
	c->feeder.cpu = -1;
	c->feeder.source = RT_FEED_SYNTHETIC;
	c->feeder.idle = RT_IDLE_BACKOFF;
	c->feeder.speed = 1.0;
	c->feeder.auto_define_options = true;
	c->feeder.synthetic_seed = 1;
	c->feeder.synthetic_dt_us = 1000;
	c->feeder.synthetic_strikes_per_side = 10;
	c->feeder.synthetic_expiries = 3;
	c->feeder.synthetic_options_per_tick = 1;
	strcpy(c->feeder.udp_bind, "0.0.0.0");
	c->feeder.udp_port = 31337;
	c->feeder.max_age_ms = 5000;
	c->feeder.jump_atr_k = 3.0;
	c->feeder.jump_confirm = 5;
	c->workers.count = 2;
	c->workers.ncpus = 0;
	c->workers.idle = RT_IDLE_BACKOFF;
	c->workers.fifo_priority = 0;
	c->workers.max_positions = 16384;
	c->protocol.level_atr[0] = 1.0;
	c->protocol.level_atr[1] = 2.0;
	c->protocol.level_atr[2] = 3.0;
	c->protocol.cadence_s[0] = 300;
	c->protocol.cadence_s[1] = 60;
	c->protocol.cadence_s[2] = 30;
	strcpy(c->protocol.positions_file, "config/positions.csv");
	strcpy(c->protocol.bars_dir, "config/bars");
	strcpy(c->audit.dir, "var/audit");
	c->audit.commit_ms = 2;
	c->audit.rotate_mb = 64;
	c->ninstruments = sizeof(default_instruments) / sizeof(default_instruments[0]);
	for (uint32_t i = 0; i < c->ninstruments; i++)
		strcpy(c->instruments[i], default_instruments[i]);
	core_rules_cfg_defaults(&c->rules);
}

/* ------------------------------------------------------------- YAML tree */

enum ynode_kind { Y_SCALAR, Y_MAP, Y_SEQ };
static const char *const kind_names[] = {"a single value", "a mapping", "a list"};

struct ynode {
	enum ynode_kind kind;
	uint32_t line; /* 1-based */
	bool plain; /* scalar written without quotes */
	char *text; /* scalar bytes + NUL (may also contain NULs: use len) */
	size_t len;
	struct ynode *value; /* a mapping's key: its value */
	struct ynode *first; /* children: a mapping's keys, a list's items */
	struct ynode *last;
	struct ynode *next;
	uint32_t n; /* children */
};

/* Everything the tree needs comes from one arena, freed in one go. */
struct arena_chunk {
	struct arena_chunk *next;
	size_t cap;
	size_t used;
	max_align_t data[];
};

struct arena {
	struct arena_chunk *head;
};

static void *arena_alloc(struct arena *a, size_t n)
{
	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	struct arena_chunk *c = a->head;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > 65536 ? n : 65536;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = a->head;
		c->cap = cap;
		c->used = 0;
		a->head = c;
	}
	void *p = (unsigned char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

static void arena_free(struct arena *a)
{
	while (a->head) {
		struct arena_chunk *c = a->head;
		a->head = c->next;
		free(c);
	}
}

struct tree {
	struct arena arena;
	struct ynode *root;
	struct ynode *stack[YAML_DEPTH_MAX];
	struct ynode *pending_key[YAML_DEPTH_MAX]; /* a mapping's key awaiting its value */
	uint32_t depth;
	uint32_t nodes;
	uint32_t docs;
};

static void tree_attach(struct tree *t, struct ynode *n)
{
	if (t->depth == 0) {
		t->root = n;
		return;
	}
	struct ynode *parent = t->stack[t->depth - 1];
	struct ynode **pending = &t->pending_key[t->depth - 1];
	if (parent->kind == Y_MAP && *pending) {
		(*pending)->value = n;
		*pending = NULL;
		return;
	}
	if (parent->kind == Y_MAP)
		*pending = n;
	if (parent->last)
		parent->last->next = n;
	else
		parent->first = n;
	parent->last = n;
	parent->n++;
}

static uint32_t line_at(const char *text, size_t len, size_t off)
{
	uint32_t line = 1;
	for (size_t i = 0; i < off && i < len; i++)
		line += text[i] == '\n';
	return line;
}

static int syntax_error(const yaml_parser_t *p, const char *text, size_t len, const char *name,
			struct rt_err *err)
{
	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return rt_err_set(err, -ENOMEM, "%s: out of memory while parsing", name);
	case YAML_READER_ERROR:
		if (p->problem_value != -1)
			return rt_err_set(
				err, -EINVAL,
				"%s:%u: not valid YAML text: %s (byte 0x%02X at offset %zu)", name,
				line_at(text, len, p->problem_offset), p->problem,
				(unsigned)p->problem_value & 0xffu, p->problem_offset);
		return rt_err_set(err, -EINVAL, "%s:%u: not valid YAML text: %s", name,
				  line_at(text, len, p->problem_offset), p->problem);
	default:
		if (p->context)
			return rt_err_set(
				err, -EINVAL, "%s:%zu:%zu: YAML syntax error: %s (%s at line %zu)",
				name, p->problem_mark.line + 1, p->problem_mark.column + 1,
				p->problem ? p->problem : "unknown problem", p->context,
				p->context_mark.line + 1);
		return rt_err_set(err, -EINVAL, "%s:%zu:%zu: YAML syntax error: %s", name,
				  p->problem_mark.line + 1, p->problem_mark.column + 1,
				  p->problem ? p->problem : "unknown problem");
	}
}

static struct ynode *new_node(struct tree *t, enum ynode_kind kind, const yaml_mark_t *m)
{
	struct ynode *n = arena_alloc(&t->arena, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	n->line = (uint32_t)m->line + 1;
	t->nodes++;
	return n;
}

/* Parse text into t->root (NULL for a stream without a document). */
static int tree_parse(struct tree *t, const char *text, size_t len, const char *name,
		      struct rt_err *err)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int ret = 0;

	if (!yaml_parser_initialize(&p))
		return rt_err_set(err, -ENOMEM, "%s: cannot initialise the YAML parser", name);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	for (;;) {
		if (!yaml_parser_parse(&p, &ev)) {
			ret = syntax_error(&p, text, len, name, err);
			break;
		}
		struct ynode *n = NULL;
		yaml_event_type_t type = ev.type;
		switch (type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++t->docs > 1)
				ret = rt_err_set(err, -EINVAL,
						 "%s:%zu: a second YAML document ('---'); a "
						 "configuration file holds one",
						 name, ev.start_mark.line + 1);
			break;
		case YAML_ALIAS_EVENT:
			ret = rt_err_set(
				err, -EINVAL,
				"%s:%zu: YAML aliases ('*%s') are not supported in a configuration",
				name, ev.start_mark.line + 1, (const char *)ev.data.alias.anchor);
			break;
		case YAML_SCALAR_EVENT:
			n = new_node(t, Y_SCALAR, &ev.start_mark);
			if (!n)
				break;
			n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			n->len = ev.data.scalar.length;
			n->text = arena_alloc(&t->arena, n->len + 1);
			if (!n->text) {
				n = NULL;
				break;
			}
			memcpy(n->text, ev.data.scalar.value, n->len);
			tree_attach(t, n);
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (t->depth == YAML_DEPTH_MAX) {
				ret = rt_err_set(err, -EINVAL,
						 "%s:%zu: nested deeper than %u levels", name,
						 ev.start_mark.line + 1, YAML_DEPTH_MAX);
				break;
			}
			n = new_node(t, type == YAML_MAPPING_START_EVENT ? Y_MAP : Y_SEQ,
				     &ev.start_mark);
			if (!n)
				break;
			tree_attach(t, n);
			t->pending_key[t->depth] = NULL;
			t->stack[t->depth++] = n;
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			t->depth--;
			break;
		default:
			break;
		}
		if (!ret && !n &&
		    (type == YAML_SCALAR_EVENT || type == YAML_MAPPING_START_EVENT ||
		     type == YAML_SEQUENCE_START_EVENT))
			ret = rt_err_set(err, -ENOMEM, "%s: out of memory while parsing", name);
		if (!ret && t->nodes > YAML_NODES_MAX)
			ret = rt_err_set(err, -EINVAL, "%s:%zu: more than %u YAML nodes", name,
					 ev.start_mark.line + 1, YAML_NODES_MAX);
		yaml_event_delete(&ev);
		if (ret || type == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&p);
	return ret;
}

/* ----------------------------------------------------------------- binder */

struct bind {
	const char *name;
	struct rt_config *c;
	struct rt_err *err;
	uint32_t line_of[NKEYS]; /* where this file set each key, 0 = not set */
	const struct ynode *node_of[NKEYS]; /* its value (lists: their entries' lines) */
};

static int fail(struct bind *b, uint32_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct bind *b, uint32_t line, const char *fmt, ...)
{
	char msg[RT_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		return rt_err_set(b->err, -EINVAL, "%s:%u: %s", b->name, line, msg);
	return rt_err_set(b->err, -EINVAL, "%s: %s", b->name, msg);
}

/* Echo user text in a message: printable ASCII as is, the rest as \xNN, cut long. */
static const char *show(const char *s, size_t len, char *buf, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (o + 8 >= size || i >= SHOW_MAX) {
			memcpy(buf + o, "...", 4);
			return buf;
		}
		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			buf[o++] = (char)ch;
		else
			o += (size_t)snprintf(buf + o, size - o, "\\x%02X", ch);
	}
	buf[o] = '\0';
	return buf;
}

static bool is_null(const struct ynode *n)
{
	if (!n)
		return true;
	if (n->kind != Y_SCALAR || !n->plain)
		return false;
	return n->len == 0 || (n->len == 1 && n->text[0] == '~') ||
	       (n->len == 4 && (!memcmp(n->text, "null", 4) || !memcmp(n->text, "Null", 4) ||
				!memcmp(n->text, "NULL", 4)));
}

static enum cfg_type item_type(const struct cfg_key *k)
{
	if (k->type == CFG_STR_LIST)
		return CFG_STR;
	if (k->type == CFG_INT_LIST)
		return CFG_INT;
	return k->type;
}

static void addf(char *buf, size_t size, size_t *o, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* snprintf at *o that never runs past size (a long text is cut, not overflowed) */
static void addf(char *buf, size_t size, size_t *o, const char *fmt, ...)
{
	if (*o >= size)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *o, size - *o, fmt, ap);
	va_end(ap);
	*o = n < 0 ? size : *o + (size_t)n;
}

/* v / 10^scale as the shortest exact decimal text: 100000, 0.01, 0.975, -0.5 */
static const char *fixed_text(int64_t v, uint32_t scale, char *buf, size_t size)
{
	uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v, p = 1;
	for (uint32_t i = 0; i < scale; i++)
		p *= 10;
	int n = snprintf(buf, size, "%s%llu", v < 0 ? "-" : "", (unsigned long long)(mag / p));
	uint64_t frac = mag % p;
	if (frac && n > 0 && (size_t)n < size) {
		char f[24];
		snprintf(f, sizeof(f), "%0*llu", (int)scale, (unsigned long long)frac);
		size_t fl = strlen(f);
		while (fl && f[fl - 1] == '0')
			f[--fl] = '\0';
		snprintf(buf + n, size - (size_t)n, ".%s", f);
	}
	return buf;
}

/* "09:45:00" */
static const char *tod_text(int32_t s, char *buf, size_t size)
{
	snprintf(buf, size, "%02d:%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
	return buf;
}

static const char *const day_short[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
static const char *const day_long[7] = {"sunday",   "monday", "tuesday", "wednesday",
					"thursday", "friday", "saturday"};

/* What a value of key k (or one entry of list k) may be, for "(allowed: ...)". */
static const char *allowed(const struct cfg_key *k, bool item, char *buf, size_t size)
{
	size_t o = 0;
	enum cfg_type t = item_type(k);
	buf[0] = '\0';
	if (!item && t != k->type)
		addf(buf, size, &o, "a list of at most %u%s entries, each ", k->max_items,
		     k->flags & CFG_UNIQUE ? " different" : "");
	switch (t) {
	case CFG_BOOL:
		addf(buf, size, &o, "true or false");
		break;
	case CFG_INT:
		addf(buf, size, &o, "%s in %lld..%lld",
		     k->flags & CFG_POW2 ? "power of two" : "integer", (long long)k->smin,
		     (long long)k->smax);
		break;
	case CFG_UINT:
		addf(buf, size, &o, "%s in %llu..%llu",
		     k->flags & CFG_POW2 ? "power of two" : "integer", (unsigned long long)k->umin,
		     (unsigned long long)k->umax);
		break;
	case CFG_STR:
		addf(buf, size, &o, "%llu..%llu characters from %s", (unsigned long long)k->umin,
		     (unsigned long long)k->umax, k->charset_desc);
		break;
	case CFG_ENUM:
		addf(buf, size, &o, "one of ");
		for (const char *const *n = k->names; *n; n++)
			addf(buf, size, &o, "%s%s", *n, n[1] ? ", " : "");
		break;
	case CFG_DOUBLE:
		addf(buf, size, &o, "number in %g..%g", k->dmin, k->dmax);
		break;
	case CFG_MODE:
		addf(buf, size, &o,
		     "octal file mode 0600..0777 with a leading 0, owner read and "
		     "write, e.g. 0640");
		break;
	case CFG_FIXED: {
		char lo[40], hi[40];
		addf(buf, size, &o, "%s in %s..%s with at most %u decimals", k->unit,
		     fixed_text(k->smin, k->scale, lo, sizeof(lo)),
		     fixed_text(k->smax, k->scale, hi, sizeof(hi)), k->scale);
		if (k->flags & CFG_PERCENT)
			addf(buf, size, &o,
			     " (e.g. 0.975), or a percentage with at most %u decimals (97.5%%)",
			     k->scale - 2);
		break;
	}
	case CFG_TOD: {
		char lo[16], hi[16];
		addf(buf, size, &o, "a New York time of day HH:MM or HH:MM:SS in %s..%s",
		     tod_text((int32_t)k->smin, lo, sizeof(lo)),
		     tod_text((int32_t)k->smax, hi, sizeof(hi)));
		break;
	}
	case CFG_WEEKDAYS:
		addf(buf, size, &o,
		     "a list of 1..5 different days from mon, tue, wed, thu, fri (or monday.."
		     "friday, any case)");
		break;
	case CFG_STATES:
		addf(buf, size, &o, "a list of different states from ");
		for (int i = 0; i < CORE_SYS_COUNT; i++)
			if (i != CORE_SYS_SAFE && i != CORE_SYS_EMERGENCY &&
			    i != CORE_SYS_MAINTENANCE)
				addf(buf, size, &o, "%s%s", o && buf[o - 1] != ' ' ? ", " : "",
				     core_rules_sys_name((enum core_rules_sys)i));
		addf(buf, size, &o,
		     " (any case; never SAFE, EMERGENCY or MAINTENANCE; [] = no entries)");
		break;
	case CFG_RIGHT:
		addf(buf, size, &o, "%s (fixed by the rule)",
		     k->smin == CORE_RIGHT_PUT ? "put" : "call");
		break;
	default:
		break;
	}
	if (k->note)
		addf(buf, size, &o, "; %s", k->note);
	return buf;
}

/* [+-]?(0|[1-9][0-9]*): 0, -ERANGE past 2^64 - 1, -EINVAL for anything else */
static int parse_dec(const char *s, size_t len, bool *neg, uint64_t *mag)
{
	size_t i = 0;
	*neg = false;
	*mag = 0;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		*neg = s[i++] == '-';
	if (i == len || (s[i] == '0' && len - i > 1))
		return -EINVAL;
	int ret = 0;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		unsigned d = (unsigned)(s[i] - '0');
		if (*mag > (UINT64_MAX - d) / 10)
			ret = -ERANGE;
		else
			*mag = *mag * 10 + d;
	}
	return ret;
}

static void store_uint(void *field, size_t size, uint64_t v)
{
	switch (size) {
	case 1:
		*(uint8_t *)field = (uint8_t)v;
		break;
	case 2:
		*(uint16_t *)field = (uint16_t)v;
		break;
	case 4:
		*(uint32_t *)field = (uint32_t)v;
		break;
	default:
		*(uint64_t *)field = v;
		break;
	}
}

static void store_int(void *field, size_t size, int64_t v)
{
	switch (size) {
	case 1:
		*(int8_t *)field = (int8_t)v;
		break;
	case 2:
		*(int16_t *)field = (int16_t)v;
		break;
	case 4:
		*(int32_t *)field = (int32_t)v;
		break;
	default:
		*(int64_t *)field = v;
		break;
	}
}

static int64_t load_int(const void *field, size_t size)
{
	switch (size) {
	case 1:
		return *(const int8_t *)field;
	case 2:
		return *(const int16_t *)field;
	case 4:
		return *(const int32_t *)field;
	default:
		return *(const int64_t *)field;
	}
}

static uint64_t load_uint(const void *field, size_t size)
{
	switch (size) {
	case 1:
		return *(const uint8_t *)field;
	case 2:
		return *(const uint16_t *)field;
	case 4:
		return *(const uint32_t *)field;
	default:
		return *(const uint64_t *)field;
	}
}

static bool match(const struct ynode *v, const char *word)
{
	size_t n = strlen(word);
	return v->len == n && memcmp(v->text, word, n) == 0;
}

static bool match_ci(const struct ynode *v, const char *word)
{
	size_t n = strlen(word);
	return v->len == n && strncasecmp(v->text, word, n) == 0;
}

/* [+-]?(0|[1-9][0-9]*)(\.[0-9]+)? scaled by 10^scale, exactly (no binary floating
 * point): 0; -EINVAL not such a decimal; -EDOM more than scale decimals; -ERANGE
 * beyond the int64_t range. */
static int parse_fixed(const char *s, size_t len, uint32_t scale, int64_t *out)
{
	size_t i = 0, ni, nf = 0, fi = 0;
	bool neg = false;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	for (ni = i; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		;
	size_t nint = i - ni;
	if (nint == 0 || (nint > 1 && s[ni] == '0'))
		return -EINVAL;
	if (i < len && s[i] == '.') {
		for (fi = ++i; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		nf = i - fi;
		if (nf == 0)
			return -EINVAL;
	}
	if (i != len)
		return -EINVAL;
	if (nf > scale)
		return -EDOM;
	uint64_t mag = 0;
	bool over = false;
	for (size_t d = 0; d < nint + scale; d++) {
		unsigned digit = d < nint        ? (unsigned)(s[ni + d] - '0')
				 : d - nint < nf ? (unsigned)(s[fi + d - nint] - '0')
						 : 0u;
		if (mag > (UINT64_MAX - digit) / 10)
			over = true;
		else
			mag = mag * 10 + digit;
	}
	if (over || mag > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
		return -ERANGE;
	*out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return 0;
}

/* H:MM, HH:MM, H:MM:SS or HH:MM:SS, at most 24:00:00: seconds of day, or -1 */
static int32_t parse_tod(const char *s, size_t len)
{
	int f[3] = {0, 0, 0}, nf = 0;
	size_t i = 0;
	while (nf < 3) {
		size_t st = i;
		int x = 0;
		for (; i < len && s[i] >= '0' && s[i] <= '9' && i - st < 2; i++)
			x = x * 10 + (s[i] - '0');
		size_t nd = i - st;
		if (nd == 0 || (nf > 0 && nd != 2))
			return -1;
		f[nf++] = x;
		if (i == len)
			break;
		if (s[i++] != ':')
			return -1;
	}
	if (i != len || nf < 2 || f[1] > 59 || f[2] > 59 || f[0] > 24 ||
	    (f[0] == 24 && (f[1] || f[2])))
		return -1;
	return f[0] * 3600 + f[1] * 60 + f[2];
}

/* One scalar value (a key's, or a list entry's) into field. what = "key 'x'" or
 * "key 'x' entry 3", for messages. */
static int set_scalar(struct bind *b, const struct cfg_key *k, bool item, const char *what,
		      const struct ynode *v, void *field)
{
	char al[512], sh[SHOW_MAX * 4 + 8];
	uint32_t line = v->line;
	const char *text = show(v->text, v->len, sh, sizeof(sh));

	switch (item ? item_type(k) : k->type) {
	case CFG_BOOL: {
		static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
						  "YES",  "on",   "On",   "ON",  NULL};
		static const char *const no[] = {"false", "False", "FALSE", "no",  "No",
						 "NO",    "off",   "Off",   "OFF", NULL};
		for (const char *const *w = yes; *w; w++)
			if (match(v, *w)) {
				*(bool *)field = true;
				return 0;
			}
		for (const char *const *w = no; *w; w++)
			if (match(v, *w)) {
				*(bool *)field = false;
				return 0;
			}
		return fail(b, line, "%s: '%s' is not a boolean (allowed: %s)", what, text,
			    allowed(k, item, al, sizeof(al)));
	}
	case CFG_INT: {
		bool neg;
		uint64_t mag;
		int r = parse_dec(v->text, v->len, &neg, &mag);
		if (r == -EINVAL)
			return fail(b, line, "%s: '%s' is not a decimal integer (allowed: %s)",
				    what, text, allowed(k, item, al, sizeof(al)));
		if (r || mag > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
			return fail(b, line, "%s: %s is out of range (allowed: %s)", what, text,
				    allowed(k, item, al, sizeof(al)));
		int64_t x = neg ? (int64_t)(0 - mag) : (int64_t)mag;
		if (x < k->smin || x > k->smax)
			return fail(b, line, "%s: %s is out of range (allowed: %s)", what, text,
				    allowed(k, item, al, sizeof(al)));
		if ((k->flags & CFG_POW2) && (x <= 0 || (x & (x - 1))))
			return fail(b, line, "%s: %s is not a power of two (allowed: %s)", what,
				    text, allowed(k, item, al, sizeof(al)));
		store_int(field, k->size, x);
		return 0;
	}
	case CFG_UINT: {
		bool neg;
		uint64_t x;
		int r = parse_dec(v->text, v->len, &neg, &x);
		if (r == -EINVAL)
			return fail(b, line, "%s: '%s' is not a decimal integer (allowed: %s)",
				    what, text, allowed(k, item, al, sizeof(al)));
		if (r || (neg && x) || x < k->umin || x > k->umax)
			return fail(b, line, "%s: %s is out of range (allowed: %s)", what, text,
				    allowed(k, item, al, sizeof(al)));
		if ((k->flags & CFG_POW2) && (x == 0 || (x & (x - 1))))
			return fail(b, line, "%s: %s is not a power of two (allowed: %s)", what,
				    text, allowed(k, item, al, sizeof(al)));
		store_uint(field, k->size, x);
		return 0;
	}
	case CFG_STR: {
		if (v->len < k->umin || v->len > k->umax)
			return fail(b, line, "%s: '%s' is %zu characters (allowed: %s)", what, text,
				    v->len, allowed(k, item, al, sizeof(al)));
		for (size_t i = 0; i < v->len; i++)
			if (!v->text[i] || !strchr(k->charset, v->text[i])) {
				char bad[16];
				return fail(b, line, "%s: '%s' contains '%s' (allowed: %s)", what,
					    text, show(v->text + i, 1, bad, sizeof(bad)),
					    allowed(k, item, al, sizeof(al)));
			}
		memset(field, 0, k->size);
		memcpy(field, v->text, v->len);
		return 0;
	}
	case CFG_ENUM:
		for (int i = 0; k->names[i]; i++)
			if (match(v, k->names[i])) {
				*(int *)field = i;
				return 0;
			}
		/* "is not one of ..." already says what is allowed */
		return fail(b, line, "%s: '%s' is not %s", what, text,
			    allowed(k, item, al, sizeof(al)));
	case CFG_DOUBLE: {
		char num[64];
		if (v->len == 0 || v->len >= sizeof(num))
			return fail(b, line, "%s: '%s' is not a number (allowed: %s)", what, text,
				    allowed(k, item, al, sizeof(al)));
		memcpy(num, v->text, v->len);
		num[v->len] = '\0';
		char *end;
		errno = 0;
		double x = strtod(num, &end);
		if (*end || end == num || errno || !isfinite(x) || strpbrk(num, "xXnNiI"))
			return fail(b, line, "%s: '%s' is not a number (allowed: %s)", what, text,
				    allowed(k, item, al, sizeof(al)));
		if (x < k->dmin || x > k->dmax)
			return fail(b, line, "%s: %s is out of range (allowed: %s)", what, text,
				    allowed(k, item, al, sizeof(al)));
		*(double *)field = x;
		return 0;
	}
	case CFG_MODE: {
		size_t i = 1;
		uint32_t m = 0;
		bool ok = v->len >= 2 && v->text[0] == '0';
		if (ok && (v->text[1] == 'o' || v->text[1] == 'O'))
			i = 2;
		ok = ok && i < v->len && v->len - i <= 4;
		for (; ok && i < v->len; i++) {
			ok = v->text[i] >= '0' && v->text[i] <= '7';
			m = m * 8 + (uint32_t)(v->text[i] - '0');
		}
		if (!ok)
			return fail(b, line, "%s: '%s' is not an octal file mode (allowed: %s)",
				    what, text, allowed(k, item, al, sizeof(al)));
		if (m > 0777 || (m & 0600) != 0600)
			return fail(b, line, "%s: %s is out of range (allowed: %s)", what, text,
				    allowed(k, item, al, sizeof(al)));
		*(uint32_t *)field = m;
		return 0;
	}
	case CFG_FIXED: {
		int64_t x;
		uint32_t scale = k->scale;
		size_t len = v->len;
		bool pct = (k->flags & CFG_PERCENT) && len > 1 && v->text[len - 1] == '%';
		if (pct)
			scale -= 2, len--;
		int r = parse_fixed(v->text, len, scale, &x);
		if (r == -EINVAL)
			return fail(b, line,
				    "%s: '%s' is not a decimal number (digits, one optional '.', "
				    "no exponent; allowed: %s)",
				    what, text, allowed(k, item, al, sizeof(al)));
		if (r == -EDOM)
			return fail(b, line, "%s: %s has more than %u decimals (allowed: %s)", what,
				    text, scale, allowed(k, item, al, sizeof(al)));
		if (r || x < k->smin || x > k->smax)
			return fail(b, line, "%s: %s is %s (allowed: %s)", what, text,
				    v->text[0] == '-' && k->smin >= 0 ? "negative"
				    : r == 0 && x < k->smin           ? "too small"
								      : "too large",
				    allowed(k, item, al, sizeof(al)));
		if (k->size == sizeof(int64_t))
			*(int64_t *)field = x;
		else
			*(uint32_t *)field = (uint32_t)x;
		return 0;
	}
	case CFG_TOD: {
		int32_t x = parse_tod(v->text, v->len);
		if (x < 0)
			return fail(b, line, "%s: '%s' is not a time of day (allowed: %s)", what,
				    text, allowed(k, item, al, sizeof(al)));
		if (x < k->smin || x > k->smax)
			return fail(b, line, "%s: %s is out of range (allowed: %s)", what, text,
				    allowed(k, item, al, sizeof(al)));
		*(int32_t *)field = x;
		return 0;
	}
	case CFG_RIGHT: {
		enum core_right want = (enum core_right)k->smin;
		enum core_right got = match_ci(v, "put")    ? CORE_RIGHT_PUT
				      : match_ci(v, "call") ? CORE_RIGHT_CALL
							    : (enum core_right)0;
		if (got != want)
			return fail(b, line, "%s: '%s' is not this rule's right (allowed: %s)",
				    what, text, allowed(k, item, al, sizeof(al)));
		*(enum core_right *)field = got;
		return 0;
	}
	default:
		return fail(b, line, "%s: internal error: bad schema type", what);
	}
}

/* The entry of list node v that names day d (0..6) or state, for CFG_WEEKDAYS and
 * CFG_STATES: its bit, or -1 when it names none. */
static int bit_named(const struct cfg_key *k, const struct ynode *v)
{
	if (k->type == CFG_WEEKDAYS) {
		for (int d = 0; d < 7; d++)
			if (match_ci(v, day_short[d]) || match_ci(v, day_long[d]))
				return d;
		return -1;
	}
	for (int st = 0; st < CORE_SYS_COUNT; st++)
		if (match_ci(v, core_rules_sys_name((enum core_rules_sys)st)))
			return st;
	return -1;
}

/* A list of names into a uint32_t bit set (CFG_WEEKDAYS, CFG_STATES). */
static int set_bits(struct bind *b, const struct cfg_key *k, const struct ynode *key,
		    const struct ynode *v, uint32_t *field)
{
	char al[512], sh[SHOW_MAX * 4 + 8];
	bool days = k->type == CFG_WEEKDAYS;
	if (is_null(v) && !days) {
		*field = 0;
		return 0;
	}
	if (is_null(v) || v->kind != Y_SEQ)
		return fail(b, is_null(v) || v->kind != Y_SCALAR ? key->line : v->line,
			    "key '%s': expected a list, found %s (allowed: %s)", k->path,
			    is_null(v) ? "no value" : kind_names[v->kind],
			    allowed(k, false, al, sizeof(al)));
	if (days && v->n == 0)
		return fail(b, key->line, "key '%s': empty list (allowed: %s)", k->path,
			    allowed(k, false, al, sizeof(al)));
	uint32_t bits = 0, i = 0;
	const struct ynode *first[32] = {0};
	for (const struct ynode *it = v->first; it; it = it->next, i++) {
		if (it->kind != Y_SCALAR || is_null(it))
			return fail(b, it->line,
				    "key '%s' entry %u: expected %s, found %s (allowed: %s)",
				    k->path, i + 1, days ? "a day" : "a state",
				    it->kind != Y_SCALAR ? kind_names[it->kind] : "no value",
				    allowed(k, false, al, sizeof(al)));
		int bit = bit_named(k, it);
		show(it->text, it->len, sh, sizeof(sh));
		if (bit < 0)
			return fail(b, it->line, "key '%s' entry %u: '%s' is not %s (allowed: %s)",
				    k->path, i + 1, sh,
				    days ? "a day of the week" : "a system state",
				    allowed(k, false, al, sizeof(al)));
		if (days && (bit == CORE_SUNDAY || bit == CORE_SATURDAY))
			return fail(
				b, it->line,
				"key '%s' entry %u: '%s': %c%s has no NYSE session (allowed: %s)",
				k->path, i + 1, sh, day_long[bit][0] - 'a' + 'A', day_long[bit] + 1,
				allowed(k, false, al, sizeof(al)));
		if (bits & (1u << bit)) {
			uint32_t j = 0;
			for (const struct ynode *p = v->first; p != first[bit]; p = p->next)
				j++;
			return fail(b, it->line,
				    "key '%s' entry %u: '%s' is already entry %u (allowed: %s)",
				    k->path, i + 1, sh, j + 1, allowed(k, false, al, sizeof(al)));
		}
		bits |= 1u << bit;
		first[bit] = it;
	}
	*field = bits;
	return 0;
}

static int set_list(struct bind *b, const struct cfg_key *k, const struct ynode *key,
		    const struct ynode *v, void *field)
{
	char al[512], what[KEY_PATH_MAX + 32];
	uint32_t *count = (uint32_t *)((char *)b->c + k->count_off);

	if (is_null(v)) {
		memset(field, 0, k->size * k->max_items);
		*count = 0;
		return 0;
	}
	if (v->kind != Y_SEQ)
		return fail(b, v->kind == Y_SCALAR ? v->line : key->line,
			    "key '%s': expected a list, found %s (allowed: %s)", k->path,
			    kind_names[v->kind], allowed(k, false, al, sizeof(al)));
	if (v->n > k->max_items)
		return fail(b, key->line, "key '%s': %u entries (allowed: %s)", k->path, v->n,
			    allowed(k, false, al, sizeof(al)));
	memset(field, 0, k->size * k->max_items);
	uint32_t i = 0;
	for (const struct ynode *it = v->first; it; it = it->next, i++) {
		snprintf(what, sizeof(what), "key '%s' entry %u", k->path, i + 1);
		if (it->kind != Y_SCALAR)
			return fail(b, it->line, "%s: expected %s, found %s (allowed: %s)", what,
				    kind_names[Y_SCALAR], kind_names[it->kind],
				    allowed(k, true, al, sizeof(al)));
		if (is_null(it))
			return fail(b, it->line, "%s: no value (allowed: %s)", what,
				    allowed(k, true, al, sizeof(al)));
		char *slot = (char *)field + (size_t)i * k->size;
		int ret = set_scalar(b, k, true, what, it, slot);
		if (ret)
			return ret;
		if (!(k->flags & CFG_UNIQUE))
			continue;
		for (uint32_t j = 0; j < i; j++)
			if (!memcmp((char *)field + (size_t)j * k->size, slot, k->size)) {
				char sh[SHOW_MAX * 4 + 8];
				return fail(b, it->line,
					    "%s: '%s' is already entry %u (allowed: %s)", what,
					    show(it->text, it->len, sh, sizeof(sh)), j + 1,
					    allowed(k, false, al, sizeof(al)));
			}
	}
	*count = i;
	return 0;
}

static int set_key(struct bind *b, const struct cfg_key *k, const struct ynode *key)
{
	char al[512], what[KEY_PATH_MAX + 16];
	const struct ynode *v = key->value;
	void *field = (char *)b->c + k->off;
	int ret;

	if (k->type == CFG_STR_LIST || k->type == CFG_INT_LIST) {
		ret = set_list(b, k, key, v, field);
	} else if (k->type == CFG_WEEKDAYS || k->type == CFG_STATES) {
		ret = set_bits(b, k, key, v, field);
	} else if (is_null(v)) {
		return fail(b, key->line, "key '%s': no value (allowed: %s)", k->path,
			    allowed(k, false, al, sizeof(al)));
	} else if (v->kind != Y_SCALAR) {
		return fail(b, key->line, "key '%s': expected %s, found %s (allowed: %s)", k->path,
			    kind_names[Y_SCALAR], kind_names[v->kind],
			    allowed(k, false, al, sizeof(al)));
	} else {
		snprintf(what, sizeof(what), "key '%s'", k->path);
		ret = set_scalar(b, k, false, what, v, field);
	}
	if (!ret) {
		b->line_of[k - keys] = key->line;
		b->node_of[k - keys] = v;
	}
	return ret;
}

/* Does full (of flen bytes) name key path p, or a section that holds it? */
static bool path_is(const char *p, const char *full, size_t flen)
{
	return strlen(p) == flen && !memcmp(p, full, flen);
}

static bool path_under(const char *p, const char *full, size_t flen)
{
	return strlen(p) > flen && !memcmp(p, full, flen) && p[flen] == '.';
}

/* "mode, max_instruments, ..." — the distinct next components under prefix. */
static void known_keys(const char *prefix, char *buf, size_t size)
{
	size_t plen = strlen(prefix), o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < NKEYS; i++) {
		const char *p = keys[i].path;
		if (plen && !path_under(p, prefix, plen))
			continue;
		const char *c = plen ? p + plen + 1 : p;
		size_t clen = strcspn(c, ".");
		bool dup = false;
		for (size_t j = 0; j < i && !dup; j++) {
			const char *q = keys[j].path;
			if (plen && !path_under(q, prefix, plen))
				continue;
			const char *d = plen ? q + plen + 1 : q;
			dup = strcspn(d, ".") == clen && !memcmp(c, d, clen);
		}
		if (!dup && o + clen + 3 < size) {
			o += (size_t)snprintf(buf + o, size - o, "%s%.*s", o ? ", " : "", (int)clen,
					      c);
		}
	}
}

/* Edit distance, for "did you mean"; capped inputs keep it cheap. */
static size_t distance(const char *a, size_t la, const char *b, size_t lb)
{
	size_t row[KEY_PATH_MAX + 1];
	if (la > KEY_PATH_MAX || lb > KEY_PATH_MAX)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static const struct cfg_key *key_named(const char *path)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].path, path))
			return &keys[i];
	return NULL;
}

static int unknown_key(struct bind *b, const struct ynode *key, const char *prefix)
{
	char known[512], sh[SHOW_MAX * 4 + 8], hint[3 * KEY_PATH_MAX + 64] = "";
	size_t plen = strlen(prefix);
	known_keys(prefix, known, sizeof(known));
	/* the closest known name at this level, if it is only a typo away */
	size_t best = 3;
	for (size_t i = 0; i < NKEYS; i++) {
		const char *p = keys[i].path;
		if (plen && !path_under(p, prefix, plen))
			continue;
		const char *c = plen ? p + plen + 1 : p;
		size_t clen = strcspn(c, ".");
		size_t d = distance(key->text, key->len, c, clen);
		if (d < best && d * 3 <= clen) {
			best = d;
			snprintf(hint, sizeof(hint), "; did you mean '%.*s'?", (int)clen, c);
		}
	}
	show(key->text, key->len, sh, sizeof(sh));
	if (!hint[0] && memchr(key->text, '.', key->len) && strlen(key->text) == key->len) {
		char full[KEY_PATH_MAX];
		snprintf(full, sizeof(full), "%s%s%s", prefix, plen ? "." : "", key->text);
		const char *dot = strrchr(full, '.');
		if (key_named(full))
			snprintf(hint, sizeof(hint),
				 "; write '%s' as '%.*s:' with '%s:' nested under it", full,
				 (int)(dot - full), full, dot + 1);
	}
	if (plen)
		return fail(b, key->line, "unknown key '%s.%s' (known keys in '%s': %s)%s", prefix,
			    sh, prefix, known, hint);
	return fail(b, key->line, "unknown key '%s' (known keys: %s)%s", sh, known, hint);
}

static int bind_map(struct bind *b, const struct ynode *map, const char *prefix)
{
	char full[KEY_PATH_MAX], known[512];
	size_t plen = strlen(prefix);

	for (const struct ynode *key = map->first; key; key = key->next) {
		if (key->kind != Y_SCALAR)
			return fail(b, key->line, "%s%s%s: a key must be a plain name, found %s",
				    plen ? "in '" : "at the top level", prefix, plen ? "'" : "",
				    kind_names[key->kind]);
		const struct cfg_key *k = NULL;
		bool section = false;
		size_t flen = plen + (plen ? 1 : 0) + key->len;
		if (flen < sizeof(full) && !memchr(key->text, '.', key->len) &&
		    strlen(key->text) == key->len) {
			snprintf(full, sizeof(full), "%s%s%s", prefix, plen ? "." : "", key->text);
			for (size_t i = 0; i < NKEYS && !k; i++) {
				if (path_is(keys[i].path, full, flen))
					k = &keys[i];
				else if (path_under(keys[i].path, full, flen))
					section = true;
			}
		}
		if (!k && !section)
			return unknown_key(b, key, prefix);
		/* earlier keys of this mapping are all known names, so this stays short */
		for (const struct ynode *prev = map->first; prev != key; prev = prev->next)
			if (prev->len == key->len && !memcmp(prev->text, key->text, key->len))
				return fail(b, key->line,
					    "key '%s' is given twice (first at line %u)", full,
					    prev->line);
		if (k) {
			int ret = set_key(b, k, key);
			if (ret)
				return ret;
			continue;
		}
		if (is_null(key->value))
			continue; /* "shm:" with every key commented out */
		if (key->value->kind != Y_MAP) {
			known_keys(full, known, sizeof(known));
			return fail(b, key->line,
				    "key '%s': expected a mapping of keys (%s), found %s", full,
				    known, kind_names[key->value->kind]);
		}
		int ret = bind_map(b, key->value, full);
		if (ret)
			return ret;
	}
	return 0;
}

static uint32_t line_of(const struct bind *b, const char *path)
{
	const struct cfg_key *k = key_named(path);
	return k ? b->line_of[k - keys] : 0;
}

/* The line where this file set primary, else secondary; *which names the one
 * reported (primary when neither was set here: the file is named without a line). */
static uint32_t pick_line(const struct bind *b, const char *primary, const char *secondary,
			  const char **which)
{
	uint32_t line = line_of(b, primary);
	*which = primary;
	if (!line && secondary && (line = line_of(b, secondary)))
		*which = secondary;
	return line;
}

static bool has_word(const char *text, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = strstr(text, word); p; p = strstr(p + 1, word)) {
		bool left = p == text || !strchr(LOWER DIGITS "_", p[-1]);
		bool right = !p[n] || !strchr(LOWER DIGITS "_", p[n]);
		if (left && right)
			return true;
	}
	return false;
}

/*
 * Report a message of core_rules_cfg_check / _check_known, "key: what", "key[i]:
 * what" or "sec.a/b/c: what", as "file:line: key 'key' [entry i+1]: what" with the
 * line where this file set that key (a list: the line of the entry the message is
 * about). Not set here: the line of another key of its section that the message
 * names ("delta_min: 0.4 is above delta_max 0.35" when this file set delta_max),
 * else the file without a line. suffix is appended ("" for none).
 */
static int core_fail(struct bind *b, const char *msg, const char *suffix)
{
	char key[KEY_PATH_MAX], sec[KEY_PATH_MAX], alt[KEY_PATH_MAX], entry[32] = "";
	size_t n = strspn(msg, LOWER DIGITS "_.");
	if (n == 0 || n >= sizeof(key))
		return fail(b, 0, "%s%s", msg, suffix);
	memcpy(key, msg, n);
	key[n] = '\0';
	memcpy(sec, key, n + 1);
	char *dot = strrchr(sec, '.');
	if (dot)
		*dot = '\0';
	else
		sec[0] = '\0';
	const char *p = msg + n;
	long idx = -1;
	if (*p == '[') {
		char *end;
		idx = strtol(p + 1, &end, 10);
		p = *end == ']' ? end + 1 : end;
		snprintf(entry, sizeof(entry), " entry %ld", idx + 1);
	}
	const struct cfg_key *k = key_named(key);
	uint32_t line = k ? b->line_of[k - keys] : 0;
	const char *label = key;
	/* "accounts.split_gen/split_rev/split_com": the first of them set here */
	while (*p == '/') {
		size_t m = strspn(p + 1, LOWER DIGITS "_");
		snprintf(alt, sizeof(alt), "%s.%.*s", sec, (int)m, p + 1);
		if (!line && (line = line_of(b, alt)))
			label = alt;
		p += 1 + m;
	}
	if (p[0] == ':' && p[1] == ' ')
		p += 2;
	const struct ynode *node = k && line ? b->node_of[k - keys] : NULL;
	if (node && node->kind == Y_SEQ) {
		const char *w = p + strspn(p, "'");
		size_t wl = strcspn(w, " :)'");
		uint32_t i = 0;
		for (const struct ynode *it = node->first; it; it = it->next, i++)
			if ((idx >= 0 && i == (uint32_t)idx) ||
			    (idx < 0 && it->len == wl && !strncasecmp(it->text, w, wl))) {
				line = it->line;
				break;
			}
	}
	if (!line && sec[0]) {
		size_t sl = strlen(sec);
		for (size_t i = 0; i < NKEYS && !line; i++)
			if (b->line_of[i] && path_under(keys[i].path, sec, sl) &&
			    has_word(p, keys[i].path + sl + 1))
				line = b->line_of[i];
	}
	char al[512] = "";
	if (!suffix[0] && k && !strstr(p, "(allowed")) {
		al[0] = ' ';
		al[1] = '(';
		allowed(k, false, al + 2, sizeof(al) - 3);
		strcat(al, ")");
		suffix = al;
	}
	return fail(b, line, "key '%s'%s: %s%s", label, entry, p, suffix);
}

/* The rules' numbers (struct core_rules_cfg): the cross-key rules whose message reads
 * best in the file's own syntax here, then core_rules_cfg_check for everything, then
 * every rule's symbols against the instruments. */
static int rules_cross_check(struct bind *b)
{
	const struct core_rules_cfg *r = &b->c->rules;
	char x[4][48];
	const char *which;
	uint32_t line;
#define FRAC(v, i) fixed_text((int64_t)(v), 4, x[i], sizeof(x[i]))
#define USD(v, i) fixed_text((v), 8, x[i], sizeof(x[i]))
	if (r->deploy_min_bp > r->deploy_target_bp || r->deploy_target_bp > r->deploy_max_bp) {
		bool low = r->deploy_min_bp > r->deploy_target_bp;
		line = pick_line(b, low ? "sizing.deploy_min" : "sizing.deploy_target",
				 low ? "sizing.deploy_target" : "sizing.deploy_max", &which);
		return fail(b, line,
			    "key '%s': deploy_min %s <= deploy_target %s <= deploy_max %s does "
			    "not hold (allowed: fractions with deploy_min <= deploy_target <= "
			    "deploy_max <= 1)",
			    which, FRAC(r->deploy_min_bp, 0), FRAC(r->deploy_target_bp, 1),
			    FRAC(r->deploy_max_bp, 2));
	}
	uint32_t sum = r->split_gen_bp + r->split_rev_bp + r->split_com_bp;
	if (sum != CORE_RULES_BP) {
		static const char *const split[] = {"accounts.split_gen", "accounts.split_rev",
						    "accounts.split_com"};
		which = split[0];
		line = 0;
		for (int i = 0; i < 3; i++) /* the last of them in the file */
			if (line_of(b, split[i]) > line)
				line = line_of(b, split[i]), which = split[i];
		return fail(b, line,
			    "key '%s': split_gen %s + split_rev %s + split_com %s = %s (allowed: "
			    "three fractions summing to exactly 1, e.g. 0.4 + 0.3 + 0.3)",
			    which, FRAC(r->split_gen_bp, 0), FRAC(r->split_rev_bp, 1),
			    FRAC(r->split_com_bp, 2), FRAC(sum, 3));
	}
	if (r->mini_capital > r->gen_fork_step) {
		line = pick_line(b, "accounts.mini_capital", "accounts.gen_fork_step", &which);
		return fail(b, line,
			    "key '%s': mini_capital %s is above gen_fork_step %s (allowed: "
			    "mini_capital <= gen_fork_step, USD: a Mini is funded out of one step)",
			    which, USD(r->mini_capital, 0), USD(r->gen_fork_step, 1));
	}
	if (r->rev_fork_capital > r->rev_fork_step) {
		line = pick_line(b, "accounts.rev_fork_capital", "accounts.rev_fork_step", &which);
		return fail(b, line,
			    "key '%s': rev_fork_capital %s is above rev_fork_step %s (allowed: "
			    "rev_fork_capital <= rev_fork_step, USD: a new account is funded out "
			    "of one step)",
			    which, USD(r->rev_fork_capital, 0), USD(r->rev_fork_step, 1));
	}
	if (r->mini_merge_balance <= r->mini_capital) {
		line = pick_line(b, "accounts.mini_merge_balance", "accounts.mini_capital", &which);
		return fail(b, line,
			    "key '%s': mini_merge_balance %s is not above mini_capital %s "
			    "(allowed: mini_merge_balance > mini_capital, USD)",
			    which, USD(r->mini_merge_balance, 0), USD(r->mini_capital, 1));
	}
#undef FRAC
#undef USD

	struct rt_err e = {0};
	if (core_rules_cfg_check(r, &e))
		return core_fail(b, e.msg, "");
	const struct rt_config *c = b->c;
	if (!core_rules_cfg_check_known(r, c->instruments, c->ninstruments, &e))
		return 0;
	/* which rule and symbol (the first, as the core reports it) */
	for (int ri = 0; ri < CORE_RULE_COUNT; ri++) {
		const struct core_rules_entry_rule *rule = &r->rule[ri];
		for (uint32_t i = 0; i < rule->nsymbols; i++) {
			bool found = false;
			for (uint32_t k = 0; k < c->ninstruments && !found; k++)
				found = !strcmp(rule->symbols[i], c->instruments[k]);
			if (found)
				continue;
			char path[KEY_PATH_MAX], list[400];
			size_t o = 0;
			const char *name = core_rules_rule_name((enum core_rules_rule_id)ri);
			snprintf(path, sizeof(path), "rules.%s.symbols", name);
			uint32_t iline = line_of(b, "instruments");
			if (!line_of(b, path) && iline)
				return fail(
					b, iline,
					"key 'instruments': '%s' is missing, but rules.%s.symbols "
					"entry %u trades it (allowed: every symbol of every rule "
					"listed among the instruments)",
					rule->symbols[i], name, i + 1);
			addf(list, sizeof(list), &o, " (allowed: one of the instruments:");
			for (uint32_t k = 0; k < c->ninstruments && o < sizeof(list) - 24; k++)
				addf(list, sizeof(list), &o, " %s", c->instruments[k]);
			if (o >= sizeof(list) - 24)
				addf(list, sizeof(list), &o, " ...");
			addf(list, sizeof(list), &o, ")");
			if (!c->ninstruments)
				snprintf(list, sizeof(list),
					 " (allowed: a ticker listed under "
					 "'instruments', which is empty)");
			return core_fail(b, e.msg, list);
		}
	}
	return core_fail(b, e.msg, "");
}

/* Rules between keys, checked on the merged result (an overlay may change one). */
static int cross_check(struct bind *b)
{
	const struct rt_config *c = b->c;
	if (c->workers.ncpus && c->workers.ncpus != c->workers.count) {
		uint32_t line = line_of(b, "workers.cpus");
		if (!line)
			line = line_of(b, "workers.count");
		return fail(b, line,
			    "key 'workers.cpus': %u entries but workers.count is %u (allowed: "
			    "exactly workers.count entries, each in -1..1023, or none)",
			    c->workers.ncpus, c->workers.count);
	}
	if (c->feeder.jump_atr_k > 0 && c->feeder.jump_atr_k < 0.01) {
		uint32_t line = line_of(b, "feeder.jump_atr_k");
		return fail(
			b, line,
			"key 'feeder.jump_atr_k': %g is below the 0.01 resolution (allowed: 0 = "
			"off, or a number in 0.01..100)",
			c->feeder.jump_atr_k);
	}
	const double *m = c->protocol.level_atr;
	if (!(m[0] < m[1] && m[1] < m[2])) {
		const char *key = m[1] <= m[0] ? "protocol.level2_atr" : "protocol.level3_atr";
		uint32_t line = line_of(b, key);
		if (!line)
			line = line_of(b, m[1] <= m[0] ? "protocol.level1_atr"
						       : "protocol.level2_atr");
		return fail(b, line,
			    "key '%s': levels must widen: level1_atr %g < level2_atr %g < "
			    "level3_atr %g (allowed: strictly increasing multipliers)",
			    key, m[0], m[1], m[2]);
	}
	return rules_cross_check(b);
}

int rt_config_load_string(struct rt_config *c, const char *text, size_t len, const char *name,
			  struct rt_err *err)
{
	struct tree t;
	char known[512];
	int ret;

	if (!name)
		name = "<string>";
	if (len > RT_CONFIG_FILE_MAX)
		return rt_err_set(err, -EFBIG,
				  "%s: %zu bytes, more than the %u a configuration may have", name,
				  len, RT_CONFIG_FILE_MAX);
	memset(&t, 0, sizeof(t));
	struct bind *b = calloc(1, sizeof(*b) + sizeof(*c));
	if (!b)
		return rt_err_set(err, -ENOMEM, "%s: out of memory", name);
	struct rt_config *tmp = (struct rt_config *)(b + 1);
	memcpy(tmp, c, sizeof(*c));
	b->name = name;
	b->c = tmp;
	b->err = err;

	ret = tree_parse(&t, text ? text : "", text ? len : 0, name, err);
	if (ret)
		goto out;
	if (is_null(t.root)) {
		known_keys("", known, sizeof(known));
		ret = rt_err_set(err, -EINVAL,
				 "%s: empty configuration (expected a mapping of keys: %s)", name,
				 known);
		goto out;
	}
	if (t.root->kind != Y_MAP) {
		known_keys("", known, sizeof(known));
		ret = fail(b, t.root->line,
			   "the top level must be a mapping of keys (%s), found %s", known,
			   kind_names[t.root->kind]);
		goto out;
	}
	ret = bind_map(b, t.root, "");
	if (!ret)
		ret = cross_check(b);
	if (!ret)
		memcpy(c, tmp, sizeof(*c));
out:
	free(b);
	arena_free(&t.arena);
	return ret;
}

int rt_config_load_file(struct rt_config *c, const char *path, struct rt_err *err)
{
	struct stat st;
	char *buf = NULL;
	int ret = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;
		return rt_err_set(err, -e, "cannot open '%s': %s", path, strerror(e));
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;
		ret = rt_err_set(err, -e, "cannot stat '%s': %s", path, strerror(e));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = rt_err_set(err, -EISDIR, "cannot read '%s': it is a directory", path);
		goto out;
	}
	if (st.st_size > (off_t)RT_CONFIG_FILE_MAX) {
		ret = rt_err_set(err, -EFBIG,
				 "'%s' is %lld bytes, more than the %u a configuration may have",
				 path, (long long)st.st_size, RT_CONFIG_FILE_MAX);
		goto out;
	}
	/* read to EOF rather than trust st_size: pipes and /proc files report 0 */
	size_t cap = RT_CONFIG_FILE_MAX + 1, len = 0;
	buf = malloc(cap);
	if (!buf) {
		ret = rt_err_set(err, -ENOMEM, "reading '%s': out of memory", path);
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			ret = rt_err_set(err, -e, "cannot read '%s': %s", path, strerror(e));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == cap) {
			ret = rt_err_set(err, -EFBIG,
					 "'%s' is more than the %u bytes a configuration may have",
					 path, RT_CONFIG_FILE_MAX);
			goto out;
		}
	}
	ret = rt_config_load_string(c, buf, len, path, err);
out:
	free(buf);
	close(fd);
	return ret;
}

int rt_config_load_default(struct rt_config *c, struct rt_err *err)
{
	return rt_config_load_string(c, alluse_default_config, strlen(alluse_default_config),
				     EMBEDDED_NAME, err);
}

/* ------------------------------------------------------------------ dump */

/* Plain when it cannot be mistaken for YAML syntax, else double-quoted. */
static void put_str(FILE *out, const char *s)
{
	bool plain = (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') ||
		     (s[0] >= '0' && s[0] <= '9');
	for (const char *p = s; *p && plain; p++)
		plain = strchr(UPPER LOWER DIGITS "._-", *p) != NULL;
	if (plain) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(out, "\\x%02X", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void put_value(FILE *out, const struct cfg_key *k, const struct rt_config *c, int indent)
{
	const char *field = (const char *)c + k->off;
	switch (k->type) {
	case CFG_BOOL:
		fputs(*(const bool *)field ? "true" : "false", out);
		break;
	case CFG_INT:
		fprintf(out, "%lld", (long long)load_int(field, k->size));
		break;
	case CFG_UINT:
		fprintf(out, "%llu", (unsigned long long)load_uint(field, k->size));
		break;
	case CFG_STR:
		put_str(out, field);
		break;
	case CFG_ENUM: {
		int v = *(const int *)field, n = 0;
		while (k->names[n])
			n++;
		fputs(v >= 0 && v < n ? k->names[v] : "?", out);
		break;
	}
	case CFG_MODE:
		fprintf(out, "0%03o", *(const uint32_t *)field);
		break;
	case CFG_DOUBLE: {
		/* shortest text that reads back to the same double */
		double d = *(const double *)field;
		char t[40];
		snprintf(t, sizeof(t), "%.15g", d);
		if (strtod(t, NULL) != d)
			snprintf(t, sizeof(t), "%.17g", d);
		if (!strpbrk(t, ".e"))
			strcat(t, ".0");
		fputs(t, out);
		break;
	}
	case CFG_INT_LIST: {
		uint32_t n = *(const uint32_t *)((const char *)c + k->count_off);
		fputc('[', out);
		for (uint32_t i = 0; i < n; i++)
			fprintf(out, "%s%lld", i ? ", " : "",
				(long long)load_int(field + (size_t)i * k->size, k->size));
		fputc(']', out);
		break;
	}
	case CFG_FIXED: {
		char t[48];
		int64_t v = k->size == sizeof(int64_t) ? *(const int64_t *)field
						       : (int64_t) * (const uint32_t *)field;
		fputs(fixed_text(v, k->scale, t, sizeof(t)), out);
		break;
	}
	case CFG_TOD: {
		char t[16];
		fprintf(out, "\"%s\"", tod_text(*(const int32_t *)field, t, sizeof(t)));
		break;
	}
	case CFG_RIGHT:
		fputs(*(const int *)field == CORE_RIGHT_PUT ? "put" : "call", out);
		break;
	case CFG_WEEKDAYS:
	case CFG_STATES: {
		uint32_t bits = *(const uint32_t *)field;
		int n = 0;
		fputc('[', out);
		for (int i = 0; i < 32; i++)
			if (bits & (1u << i))
				fprintf(out, "%s%s", n++ ? ", " : "",
					k->type == CFG_WEEKDAYS
						? (i < 7 ? day_short[i] : "?")
						: core_rules_sys_name((enum core_rules_sys)i));
		fputc(']', out);
		break;
	}
	case CFG_STR_LIST: {
		uint32_t n = *(const uint32_t *)((const char *)c + k->count_off);
		if (!n)
			fputs(" []", out);
		for (uint32_t i = 0; i < n; i++) {
			fprintf(out, "\n%*s- ", indent + 2, "");
			put_str(out, field + (size_t)i * k->size);
		}
		break;
	}
	}
}

/* How many leading components the section paths a and b (dotted, "" = top) share. */
static size_t shared_sections(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = 0, i = 0;
	while (i < alen && i < blen) {
		size_t ea = i + strcspn(a + i, "."), eb = i + strcspn(b + i, ".");
		ea = ea < alen ? ea : alen;
		eb = eb < blen ? eb : blen;
		if (ea != eb || memcmp(a + i, b + i, ea - i))
			break;
		n++;
		i = ea + 1;
	}
	return n;
}

const char *const rt_config_envs[] = {"development", "staging", "production", NULL};

static const char *env_text(const char *env)
{
	static const char *const text[] = {alluse_env_development, alluse_env_staging,
					   alluse_env_production};
	_Static_assert(sizeof(text) / sizeof(text[0]) + 1 ==
			       sizeof(rt_config_envs) / sizeof(rt_config_envs[0]),
		       "one embedded text per environment");
	for (size_t i = 0; rt_config_envs[i]; i++)
		if (!strcmp(env, rt_config_envs[i]))
			return text[i];
	return NULL;
}

static void env_list(char *buf, size_t size)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; rt_config_envs[i]; i++)
		addf(buf, size, &o, "%s%s", i ? ", " : "", rt_config_envs[i]);
}

int rt_config_load_env(struct rt_config *c, const char *env, struct rt_err *err)
{
	char known[128], name[64];
	const char *text = env ? env_text(env) : NULL;
	if (!text) {
		env_list(known, sizeof(known));
		return rt_err_set(err, -EINVAL, "unknown environment '%s' (known: %s)",
				  env ? env : "(null)", known);
	}
	snprintf(name, sizeof(name), "<embedded config/%s.yaml>", env);
	return rt_config_load_string(c, text, strlen(text), name, err);
}

const char *rt_config_env_pick(const char *flag)
{
	if (flag)
		return flag;
	const char *e = getenv("ALLUSE_ENV");
	return e && e[0] ? e : NULL;
}

int rt_config_load_cli_env(struct rt_config *c, const char *env, const char *path,
			   const char *instance, struct rt_err *err)
{
	const char *picked = rt_config_env_pick(env);
	rt_config_defaults(c);
	if (picked && !env_text(picked)) {
		char known[128];
		env_list(known, sizeof(known));
		return rt_err_set(err, -EINVAL, "%s '%s': unknown environment (known: %s)",
				  env ? "-e" : "ALLUSE_ENV", picked, known);
	}
	int rc = rt_config_load_default(c, err);
	if (!rc && picked)
		rc = rt_config_load_env(c, picked, err);
	if (!rc && path)
		rc = rt_config_load_file(c, path, err);
	if (rc || !instance)
		return rc;
	size_t n = strlen(instance);
	if (n == 0 || n >= sizeof(c->instance) || strspn(instance, UPPER LOWER DIGITS "_-") != n)
		return rt_err_set(
			err, -EINVAL,
			"-n '%s': instance name must be 1..%zu characters from A-Z a-z 0-9 _ -",
			instance, sizeof(c->instance) - 1);
	memcpy(c->instance, instance, n + 1);
	return 0;
}

int rt_config_load_cli(struct rt_config *c, const char *path, const char *instance,
		       struct rt_err *err)
{
	return rt_config_load_cli_env(c, NULL, path, instance, err);
}

int rt_config_dump(const struct rt_config *c, FILE *out)
{
	const char *cur = ""; /* section of the row printed last, "" = top level */
	size_t curlen = 0;

	for (size_t i = 0; i < NKEYS; i++) {
		const char *p = keys[i].path;
		const char *dot = strrchr(p, '.');
		size_t seclen = dot ? (size_t)(dot - p) : 0;
		size_t common = shared_sections(cur, curlen, p, seclen);
		/* open the sections of this row that the previous row was not in */
		int depth = 0;
		for (size_t s = 0; s < seclen; depth++) {
			size_t e = s + strcspn(p + s, ".");
			if ((size_t)depth >= common)
				fprintf(out, "%s%*s%.*s:\n", depth ? "" : "\n", depth * 2, "",
					(int)(e - s), p + s);
			s = e + 1;
		}
		if (!seclen && curlen)
			fputc('\n', out); /* back at the top level after a section */
		cur = p;
		curlen = seclen;
		fprintf(out, "%*s%s:", depth * 2, "", dot ? dot + 1 : p);
		if (keys[i].type != CFG_STR_LIST)
			fputc(' ', out);
		put_value(out, &keys[i], c, depth * 2);
		fputc('\n', out);
	}
	return ferror(out) ? -EIO : 0;
}
