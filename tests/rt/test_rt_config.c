/* rt_config: defaults, the embedded file, overlays, dump round trip, and one test
 * per class of error, each checking the message names file, line, key and what is
 * allowed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "rt/rt_config.h"
#include "tests/support/test_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define expect_error test_expect_config_error

static void load_ok(struct rt_config *c, const char *yaml)
{
	struct rt_err err = {0};
	int ret = rt_config_load_string(c, yaml, strlen(yaml), "t.yaml", &err);
	if (ret) {
		print_error("load failed (%d): %s\nfor:\n%s\n", ret, err.msg, yaml);
		fail();
	}
}

/* Every field set to something the defaults do not have. */
static void scramble(struct rt_config *c)
{
	strcpy(c->instance, "scrambled");
	c->log_level = RT_LOG_ERROR;
	c->shm.mode = 0777;
	c->shm.max_instruments = 7;
	c->shm.quote_ring_capacity = 64;
	c->shm.event_ring_capacity = 128;
	c->shm.huge_pages = true;
	c->shm.mlock = true;
	c->feeder.cpu = 5;
	c->workers.count = 1;
	c->workers.ncpus = 1;
	c->workers.cpus[0] = 3;
	c->workers.idle = RT_IDLE_SPIN;
	c->workers.fifo_priority = 9;
	memset(c->instruments, 0, sizeof(c->instruments));
	strcpy(c->instruments[0], "ZZZ");
	c->ninstruments = 1;
	/* the rules: every field off its default, still a valid configuration */
	struct core_rules_cfg *r = &c->rules;
	for (int i = 0; i < CORE_RULE_COUNT; i++) {
		struct core_rules_entry_rule *e = &r->rule[i];
		e->delta_min = 0.1;
		e->delta_max = 0.9 - 0.01 * i;
		e->dte_min = 2;
		e->dte_max = 9 + i;
		e->weekdays = 0x3e; /* Monday..Friday */
		e->window_start_s = 9 * 3600 + 1;
		e->window_end_s = 86400;
		memset(e->symbols, 0, sizeof(e->symbols));
		strcpy(e->symbols[0], "ZZZ");
		e->nsymbols = 1;
	}
	r->deploy_min_bp = 1;
	r->deploy_target_bp = 2;
	r->deploy_max_bp = 3;
	r->symbol_cap_bp = 9999;
	r->mini_csp_bp = 1;
	r->split_gen_bp = 1;
	r->split_rev_bp = 2;
	r->split_com_bp = 9997;
	r->gen_fork_step = 123456789012345678;
	r->mini_capital = 1;
	r->rev_fork_step = 7;
	r->rev_fork_capital = 7;
	r->mini_merge_years = 100;
	r->mini_merge_multiple_bp = 1000000;
	r->mini_merge_balance = CORE_RULES_MONEY_MAX;
	r->rate = -0.5;
	r->div_yield = 0.123456789;
	r->roll_dte_max = 3650;
	r->roll_min_credit = 0;
	r->hedge_atr_mult = 100000;
	r->entry_states = 1u << 5 | 1u << 9; /* CLOSING, AUDIT */
}

static void test_config_defaults_have_the_documented_values(void **state)
{
	(void)state;
	struct rt_config c;
	rt_config_defaults(&c);
	assert_string_equal(c.instance, "dev");
	assert_int_equal(c.log_level, RT_LOG_INFO);
	assert_int_equal(c.shm.mode, 0600);
	assert_int_equal(c.shm.max_instruments, 4096);
	assert_int_equal(c.shm.quote_ring_capacity, 65536);
	assert_int_equal(c.shm.event_ring_capacity, 16384);
	assert_false(c.shm.huge_pages);
	assert_false(c.shm.mlock);
	assert_int_equal(c.feeder.cpu, -1);
	assert_int_equal(c.workers.count, 2);
	assert_int_equal(c.workers.ncpus, 0);
	assert_int_equal(c.workers.idle, RT_IDLE_BACKOFF);
	assert_int_equal(c.workers.fifo_priority, 0);
	static const char *const syms[] = {"AAPL", "MSFT", "AMZN", "GOOG", "GOOGL", "META",
					   "NVDA", "TSLA", "SPY",  "QQQ",  "IWM"};
	assert_int_equal(c.ninstruments, 11);
	for (int i = 0; i < 11; i++)
		assert_string_equal(c.instruments[i], syms[i]);
}

static void test_config_embedded_default_sets_every_key_to_the_defaults(void **state)
{
	(void)state;
	struct rt_config want, got;
	struct rt_err err = {0};
	rt_config_defaults(&want);
	rt_config_defaults(&got);
	scramble(&got);
	assert_int_equal(rt_config_load_default(&got, &err), 0);
	assert_memory_equal(&got, &want, sizeof(got));
}

static void test_config_file_on_disk_matches_the_embedded_copy(void **state)
{
	(void)state;
	struct rt_config want, got;
	struct rt_err err = {0};
	if (access("config/alluse.yaml", R_OK) != 0) {
		print_message("skipped: run from the repository root to find config/alluse.yaml\n");
		skip();
	}
	rt_config_defaults(&want);
	rt_config_defaults(&got);
	scramble(&got);
	assert_int_equal(rt_config_load_file(&got, "config/alluse.yaml", &err), 0);
	assert_memory_equal(&got, &want, sizeof(got));
}

static void test_config_overlay_changes_only_the_keys_it_names(void **state)
{
	(void)state;
	struct rt_config c, want;
	rt_config_defaults(&c);
	load_ok(&c, "instance: prod\nworkers:\n  count: 2\n  cpus: [0, 1]\n");
	load_ok(&c, "workers:\n  idle: spin\nshm:\n  huge_pages: yes\n");
	rt_config_defaults(&want);
	strcpy(want.instance, "prod");
	want.workers.ncpus = 2;
	want.workers.cpus[0] = 0;
	want.workers.cpus[1] = 1;
	want.workers.idle = RT_IDLE_SPIN;
	want.shm.huge_pages = true;
	assert_memory_equal(&c, &want, sizeof(c));
}

static void test_config_overlay_list_replaces_the_whole_list(void **state)
{
	(void)state;
	struct rt_config c;
	rt_config_defaults(&c);
	/* every rule's symbols stay among the instruments (core_rules_cfg_check_known) */
	load_ok(&c, "instruments: [SPY, BRK.B, AAPL, MSFT, AMZN, GOOG, GOOGL, META, NVDA, "
		    "TSLA, QQQ, IWM, XLF]\n");
	assert_int_equal(c.ninstruments, 13);
	assert_string_equal(c.instruments[0], "SPY");
	assert_string_equal(c.instruments[1], "BRK.B");
	load_ok(&c, "instruments: [AAPL, MSFT, AMZN, GOOG, GOOGL, META, NVDA, TSLA, SPY, QQQ, "
		    "IWM]\n");
	assert_int_equal(c.ninstruments, 11);
	assert_string_equal(c.instruments[10], "IWM");
	assert_string_equal(c.instruments[11], ""); /* the old tail is cleared */
	load_ok(&c, "instruments: [SPY]\nrules:\n"
		    "  gen_csp: {symbols: [SPY]}\n  rev_csp: {symbols: [SPY]}\n"
		    "  com_cc: {symbols: [SPY]}\n  mini_csp: {symbols: [SPY]}\n"
		    "  mini_cc: {symbols: [SPY]}\n");
	assert_int_equal(c.ninstruments, 1);
	assert_int_equal(c.rules.rule[CORE_RULE_MINI_CC].nsymbols, 1);
	assert_string_equal(c.rules.rule[CORE_RULE_MINI_CC].symbols[1], "");
	load_ok(&c, "workers: {count: 1, cpus: [3]}\n");
	load_ok(&c, "workers:\n  cpus: ~\n");
	assert_int_equal(c.workers.ncpus, 0);
}

static void test_config_accepts_common_yaml_spellings(void **state)
{
	(void)state;
	struct rt_config c;
	rt_config_defaults(&c);
	load_ok(&c, "---\nshm: {mode: 0o640, max_instruments: \"100\", mlock: on}\n"
		    "feeder:\n  cpu: +3\nworkers:\n  cpus:\n    - -1\n    - 0\n"
		    "instance: 'a-b_C9'\nlog_level: debug # trailing comment\n...\n");
	assert_int_equal(c.shm.mode, 0640);
	assert_int_equal(c.shm.max_instruments, 100);
	assert_true(c.shm.mlock);
	assert_int_equal(c.feeder.cpu, 3);
	assert_int_equal(c.workers.ncpus, 2);
	assert_int_equal(c.workers.cpus[0], -1);
	assert_string_equal(c.instance, "a-b_C9");
	assert_int_equal(c.log_level, RT_LOG_DEBUG);
	/* a section with every key commented out is fine */
	load_ok(&c, "shm:\n  # mode: 0600\nfeeder:\n");
}

static void test_config_dump_loads_back_to_the_same_struct(void **state)
{
	(void)state;
	struct rt_config c, back;
	struct rt_err err = {0};
	char *buf = NULL;
	size_t len = 0;
	for (int round = 0; round < 2; round++) {
		rt_config_defaults(&c);
		if (round)
			scramble(&c);
		FILE *f = open_memstream(&buf, &len);
		assert_non_null(f);
		assert_int_equal(rt_config_dump(&c, f), 0);
		fclose(f);
		assert_non_null(strstr(buf, "shm:\n  mode: 0"));
		rt_config_defaults(&back);
		int ret = rt_config_load_string(&back, buf, len, "dump", &err);
		if (ret)
			print_error("%s\n%s\n", err.msg, buf);
		assert_int_equal(ret, 0);
		assert_memory_equal(&back, &c, sizeof(c));
		free(buf);
		buf = NULL;
	}
}

static void test_config_rejects_ring_capacity_not_power_of_two(void **state)
{
	(void)state;
	expect_error("instance: dev\nshm:\n  mode: 0600\n  quote_ring_capacity: 1000\n",
		     "t.yaml:4: key 'shm.quote_ring_capacity': 1000 is not a power of two "
		     "(allowed: power of two in 64..16777216)",
		     NULL);
	expect_error("shm:\n  event_ring_capacity: 32\n",
		     "t.yaml:2:", "'shm.event_ring_capacity': 32 is out of range",
		     "allowed: power of two in 64..16777216", NULL);
}

static void test_config_rejects_integer_out_of_range_or_not_decimal(void **state)
{
	(void)state;
	expect_error("shm:\n  max_instruments: 0\n", "t.yaml:2:", "'shm.max_instruments'",
		     "0 is out of range", "allowed: integer in 1..1048576", NULL);
	expect_error("shm:\n  max_instruments: 99999999999999999999999\n",
		     "t.yaml:2:", "out of range", NULL);
	expect_error("feeder:\n  cpu: -2\n", "t.yaml:2:", "'feeder.cpu'",
		     "allowed: integer in -1..1023; -1 = not pinned", NULL);
	expect_error("workers:\n  count: 0x10\n", "t.yaml:2:", "'workers.count'",
		     "'0x10' is not a decimal integer", "allowed: integer in 1..64", NULL);
	expect_error("workers:\n  fifo_priority: 010\n", "t.yaml:2:", "'workers.fifo_priority'",
		     "not a decimal integer", "0..99", NULL);
	expect_error("workers:\n  count: -1\n", "t.yaml:2:", "-1 is out of range", NULL);
}

static void test_config_rejects_unknown_key_listing_the_known_ones(void **state)
{
	(void)state;
	expect_error(
		"instance: dev\nshm:\n  instrumentz: 5\n",
		"t.yaml:3: unknown key 'shm.instrumentz' (known keys in 'shm': mode, "
		"max_instruments, quote_ring_capacity, event_ring_capacity, huge_pages, mlock)",
		NULL);
	expect_error("\ninstrumentz: [AAPL]\n", "t.yaml:2: unknown key 'instrumentz'",
		     "known keys: instance, log_level, shm, feeder, workers, protocol, audit, "
		     "instruments, rules, sizing, accounts, scanner, gate",
		     "did you mean 'instruments'?", NULL);
	expect_error("shm.mode: 0640\n", "t.yaml:1: unknown key 'shm.mode'",
		     "'mode:' nested under it", NULL);
}

static void test_config_rejects_enum_value_not_in_the_list(void **state)
{
	(void)state;
	expect_error("workers:\n  count: 2\n  idle: spinn\n",
		     "t.yaml:3: key 'workers.idle': 'spinn' is not one of spin, backoff, block",
		     NULL);
	expect_error("log_level: INFO\n", "t.yaml:1: key 'log_level': 'INFO'",
		     "one of debug, info, warn, error", NULL);
}

static void test_config_rejects_bad_bool_mode_and_strings(void **state)
{
	(void)state;
	expect_error("shm:\n  huge_pages: maybe\n", "t.yaml:2: key 'shm.huge_pages'",
		     "'maybe' is not a boolean", "allowed: true or false", NULL);
	expect_error("shm:\n  mode: 640\n", "t.yaml:2: key 'shm.mode'",
		     "'640' is not an octal file mode", "with a leading 0", NULL);
	expect_error("shm:\n  mode: 0680\n", "t.yaml:2:", "not an octal file mode", NULL);
	expect_error("shm:\n  mode: 0400\n", "t.yaml:2: key 'shm.mode': 0400 is out of range",
		     "owner read and write", NULL);
	expect_error("instance: my dev\n", "t.yaml:1: key 'instance'", "contains ' '",
		     "allowed: 1..31 characters from A-Z a-z 0-9 _ -", NULL);
	expect_error("instance: abcdefghijklmnopqrstuvwxyzabcdef\n", "t.yaml:1: key 'instance'",
		     "is 32 characters", "1..31 characters", NULL);
	expect_error("instance: \"\"\n", "t.yaml:1: key 'instance'", "is 0 characters", NULL);
	expect_error("log_level: \"in\\0fo\"\n", "t.yaml:1:", "'in\\x00fo'", NULL);
}

static void test_config_rejects_wrong_node_types(void **state)
{
	(void)state;
	expect_error("shm:\n  mode:\n    octal: 0600\n",
		     "t.yaml:2: key 'shm.mode': expected a single value, found a mapping",
		     "allowed: octal file mode", NULL);
	expect_error("shm: 5\n",
		     "t.yaml:1: key 'shm': expected a mapping of keys (mode, max_instruments",
		     "found a single value", NULL);
	expect_error("instruments: AAPL\n",
		     "t.yaml:1: key 'instruments': expected a list, found a single value",
		     "allowed: a list of at most 256 different entries, each 1..15 characters "
		     "from A-Z 0-9 .",
		     NULL);
	expect_error(
		"instruments:\n  - AAPL\n  - {MSFT: 1}\n",
		"t.yaml:3: key 'instruments' entry 2: expected a single value, found a mapping",
		NULL);
	expect_error("- a\n- b\n", "t.yaml:1: the top level must be a mapping of keys",
		     "found a list", NULL);
	expect_error("shm:\n  mode:\n", "t.yaml:2: key 'shm.mode': no value", NULL);
	expect_error("? [a, b]\n: 1\n", "t.yaml:1:", "a key must be a plain name", NULL);
}

static void test_config_rejects_duplicate_keys(void **state)
{
	(void)state;
	expect_error("shm:\n  mode: 0600\n  mlock: true\n  mode: 0640\n",
		     "t.yaml:4: key 'shm.mode' is given twice (first at line 2)", NULL);
	expect_error("shm:\n  mode: 0600\nfeeder:\n  cpu: 1\nshm:\n  mlock: true\n",
		     "t.yaml:5: key 'shm' is given twice (first at line 1)", NULL);
}

static void test_config_reports_yaml_syntax_errors_with_line_and_column(void **state)
{
	(void)state;
	expect_error("shm:\n  mode: 0600\n bad: : x\n",
		     "t.yaml:3:2: YAML syntax error:", "did not find expected key", NULL);
	expect_error("instruments: [AAPL, MSFT\n", "t.yaml:", "YAML syntax error", NULL);
	expect_error("instance: 'dev\n", "t.yaml:", "YAML syntax error",
		     "found unexpected end of stream", NULL);
	expect_error("instance: abc\xff\n", "t.yaml:1:", "invalid leading UTF-8 octet", NULL);
	expect_error("a: &x 1\nb: *x\n", "t.yaml:2:", "aliases", NULL);
	expect_error("instance: a\n---\ninstance: b\n", "t.yaml:2:", "second YAML document", NULL);
}

static void test_config_rejects_empty_text(void **state)
{
	(void)state;
	expect_error("", "t.yaml: empty configuration", "instance, log_level, shm", NULL);
	expect_error("# nothing but a comment\n\n", "t.yaml: empty configuration", NULL);
	expect_error("---\n", "t.yaml: empty configuration", NULL);
}

static void test_config_rejects_bad_list_entries(void **state)
{
	(void)state;
	expect_error("instruments:\n  - AAPL\n  - aapl\n",
		     "t.yaml:3: key 'instruments' entry 2: 'aapl' contains 'a'",
		     "allowed: 1..15 characters from A-Z 0-9 .", NULL);
	expect_error("instruments: [AAPL, MSFT, AAPL]\n",
		     "t.yaml:1: key 'instruments' entry 3: 'AAPL' is already entry 1", NULL);
	expect_error("instruments: [VERYLONGTICKER12]\n", "is 16 characters", NULL);
	expect_error("instruments: [AAPL, ~]\n", "entry 2: no value", NULL);
	expect_error("workers:\n  cpus: [0, -2]\n",
		     "t.yaml:2: key 'workers.cpus' entry 2: -2 is out "
		     "of range (allowed: integer in -1..1023",
		     NULL);
	/* 257 tickers */
	char big[257 * 8 + 32];
	size_t o = (size_t)snprintf(big, sizeof(big), "instruments:\n");
	for (int i = 0; i < 257; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "- T%d\n", i);
	expect_error(big, "t.yaml:1: key 'instruments': 257 entries", "at most 256", NULL);
}

static void test_config_rejects_worker_cpus_not_matching_count(void **state)
{
	(void)state;
	expect_error("workers:\n  count: 3\n  cpus: [0, 1]\n",
		     "t.yaml:3: key 'workers.cpus': 2 entries but workers.count is 3",
		     "allowed: exactly workers.count entries, each in -1..1023", NULL);
	/* an overlay that changes only the count is checked against the earlier cpus */
	struct rt_config c;
	struct rt_err err = {0};
	rt_config_defaults(&c);
	load_ok(&c, "workers:\n  cpus: [0, 1]\n");
	struct rt_config before = c;
	const char *overlay = "log_level: warn\nworkers:\n  count: 4\n";
	assert_int_equal(rt_config_load_string(&c, overlay, strlen(overlay), "o.yaml", &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "o.yaml:3: key 'workers.cpus': 2 entries but "
					"workers.count is 4"));
	assert_memory_equal(&c, &before, sizeof(c));
}

static void test_config_invalid_file_leaves_config_unchanged(void **state)
{
	(void)state;
	/* every key before the bad one is valid: none of them may stick */
	expect_error("instance: other\nlog_level: debug\nshm:\n  mode: 0640\n  mlock: true\n"
		     "  quote_ring_capacity: 100\n",
		     "t.yaml:6:", NULL);
}

static char *write_tmp(const char *text)
{
	static char path[64];
	strcpy(path, "/tmp/alluse-cfg-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_config_file_errors_name_the_path(void **state)
{
	(void)state;
	struct rt_config c;
	struct rt_err err = {0};
	rt_config_defaults(&c);
	assert_int_equal(rt_config_load_file(&c, "/nonexistent/x.yaml", &err), -ENOENT);
	assert_string_equal(err.msg,
			    "cannot open '/nonexistent/x.yaml': No such file or directory");
	assert_int_equal(rt_config_load_file(&c, "/", &err), -EISDIR);

	char *p = write_tmp("");
	assert_int_equal(rt_config_load_file(&c, p, &err), -EINVAL);
	assert_non_null(strstr(err.msg, p));
	assert_non_null(strstr(err.msg, "empty configuration"));
	unlink(p);

	p = write_tmp("shm:\n  mlock: true\nworkers:\n  idle: blocking\n");
	assert_int_equal(rt_config_load_file(&c, p, &err), -EINVAL);
	char want[128];
	snprintf(want, sizeof(want), "%s:4: key 'workers.idle': 'blocking' is not one of", p);
	assert_non_null(strstr(err.msg, want));
	assert_false(c.shm.mlock);
	unlink(p);

	p = write_tmp("workers:\n  idle: block\n");
	assert_int_equal(rt_config_load_file(&c, p, &err), 0);
	assert_int_equal(c.workers.idle, RT_IDLE_BLOCK);
	unlink(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_defaults_have_the_documented_values),
		cmocka_unit_test(test_config_embedded_default_sets_every_key_to_the_defaults),
		cmocka_unit_test(test_config_file_on_disk_matches_the_embedded_copy),
		cmocka_unit_test(test_config_overlay_changes_only_the_keys_it_names),
		cmocka_unit_test(test_config_overlay_list_replaces_the_whole_list),
		cmocka_unit_test(test_config_accepts_common_yaml_spellings),
		cmocka_unit_test(test_config_dump_loads_back_to_the_same_struct),
		cmocka_unit_test(test_config_rejects_ring_capacity_not_power_of_two),
		cmocka_unit_test(test_config_rejects_integer_out_of_range_or_not_decimal),
		cmocka_unit_test(test_config_rejects_unknown_key_listing_the_known_ones),
		cmocka_unit_test(test_config_rejects_enum_value_not_in_the_list),
		cmocka_unit_test(test_config_rejects_bad_bool_mode_and_strings),
		cmocka_unit_test(test_config_rejects_wrong_node_types),
		cmocka_unit_test(test_config_rejects_duplicate_keys),
		cmocka_unit_test(test_config_reports_yaml_syntax_errors_with_line_and_column),
		cmocka_unit_test(test_config_rejects_empty_text),
		cmocka_unit_test(test_config_rejects_bad_list_entries),
		cmocka_unit_test(test_config_rejects_worker_cpus_not_matching_count),
		cmocka_unit_test(test_config_invalid_file_leaves_config_unchanged),
		cmocka_unit_test(test_config_file_errors_name_the_path),
	};
	return cmocka_run_group_tests_name("rt_config", tests, NULL, NULL);
}
