/* rt_config: the environments (embedded overlays development, staging, production),
 * the order defaults -> environment -> -c FILE -> -n INSTANCE, -e vs ALLUSE_ENV, and
 * the programs' -e/--env (alluse config show/check, the supervisor's children). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "rt/rt_config.h"
#include "tests/support/test_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *write_tmp(const char *text)
{
	static char path[64];
	strcpy(path, "/tmp/alluse-env-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void load_env_ok(struct rt_config *c, const char *env)
{
	struct rt_err err = {0};
	rt_config_defaults(c);
	assert_int_equal(rt_config_load_default(c, &err), 0);
	int rc = rt_config_load_env(c, env, &err);
	if (rc)
		print_error("%s: %s\n", env, err.msg);
	assert_int_equal(rc, 0);
	/* and the result passes the rules' own checks */
	assert_int_equal(core_rules_cfg_check(&c->rules, &err), 0);
	assert_int_equal(
		core_rules_cfg_check_known(&c->rules, c->instruments, c->ninstruments, &err), 0);
}

static void test_every_environment_loads_and_passes_the_checks(void **state)
{
	(void)state;
	struct rt_config def, c;
	struct core_rules_cfg rules;
	core_rules_cfg_defaults(&rules);
	rt_config_defaults(&def);
	int n = 0;
	for (const char *const *e = rt_config_envs; *e; e++, n++) {
		load_env_ok(&c, *e);
		/* an environment changes the plumbing, never the trading rules */
		assert_memory_equal(&c.rules, &rules, sizeof(rules));
		assert_int_not_equal(memcmp(&c, &def, sizeof(c)), 0);
	}
	assert_int_equal(n, 3);

	load_env_ok(&c, "development");
	assert_string_equal(c.instance, "dev");
	assert_int_equal(c.log_level, RT_LOG_DEBUG);
	assert_int_equal(c.feeder.source, RT_FEED_SYNTHETIC);
	assert_int_equal(c.workers.idle, RT_IDLE_BLOCK);
	assert_true(c.shm.quote_ring_capacity < def.shm.quote_ring_capacity);
	assert_string_equal(c.audit.pg_dsn, "");

	load_env_ok(&c, "staging");
	assert_string_equal(c.instance, "staging");
	assert_int_equal(c.feeder.source, RT_FEED_UDP);
	assert_int_equal(c.log_level, RT_LOG_INFO);
	assert_int_equal(c.workers.ncpus, 0);
	assert_true(c.audit.pg_dsn[0] != '\0');

	load_env_ok(&c, "production");
	assert_string_equal(c.instance, "prod");
	assert_int_equal(c.log_level, RT_LOG_INFO);
	assert_int_equal(c.feeder.source, RT_FEED_UDP);
	assert_int_equal(c.feeder.idle, RT_IDLE_SPIN);
	assert_int_equal(c.workers.idle, RT_IDLE_SPIN);
	assert_true(c.feeder.cpu >= 0);
	assert_int_equal(c.workers.ncpus, c.workers.count);
	assert_true(c.audit.pg_dsn[0] != '\0');
}

static void test_environment_files_on_disk_match_the_embedded_copies(void **state)
{
	(void)state;
	if (access("config/production.yaml", R_OK) != 0) {
		print_message("skipped: run from the repository root to find config/\n");
		skip();
	}
	for (const char *const *e = rt_config_envs; *e; e++) {
		struct rt_config a, b;
		struct rt_err err = {0};
		char path[64];
		snprintf(path, sizeof(path), "config/%s.yaml", *e);
		load_env_ok(&a, *e);
		rt_config_defaults(&b);
		assert_int_equal(rt_config_load_default(&b, &err), 0);
		assert_int_equal(rt_config_load_file(&b, path, &err), 0);
		assert_memory_equal(&a, &b, sizeof(a));
	}
}

static void test_unknown_environment_lists_the_known_ones(void **state)
{
	(void)state;
	struct rt_config c, before;
	struct rt_err err = {0};
	rt_config_defaults(&c);
	before = c;
	assert_int_equal(rt_config_load_env(&c, "prod", &err), -EINVAL);
	assert_string_equal(err.msg,
			    "unknown environment 'prod' (known: development, staging, production)");
	assert_memory_equal(&c, &before, sizeof(c));
	unsetenv("ALLUSE_ENV");
	assert_int_equal(rt_config_load_cli_env(&c, "Production", NULL, NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "-e 'Production': unknown environment (known: development, "
				     "staging, production)");
	setenv("ALLUSE_ENV", "qa", 1);
	assert_int_equal(rt_config_load_cli(&c, NULL, NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "ALLUSE_ENV 'qa': unknown environment (known: development, "
				     "staging, production)");
	unsetenv("ALLUSE_ENV");
}

static void test_precedence_defaults_env_file_instance(void **state)
{
	(void)state;
	struct rt_config c, prod;
	struct rt_err err = {0};
	unsetenv("ALLUSE_ENV");
	load_env_ok(&prod, "production");
	/* the file overrides the environment, which overrides the defaults; -n wins */
	char *p = write_tmp("instance: hostA\nlog_level: warn\nfeeder:\n  cpu: 5\n"
			    "sizing:\n  deploy_target: 96%\n");
	int rc = rt_config_load_cli_env(&c, "production", p, "inst9", &err);
	if (rc)
		print_error("%s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_string_equal(c.instance, "inst9"); /* -n */
	assert_int_equal(c.log_level, RT_LOG_WARN); /* file */
	assert_int_equal(c.feeder.cpu, 5); /* file */
	assert_int_equal(c.rules.deploy_target_bp, 9600); /* file */
	assert_int_equal(c.feeder.idle, RT_IDLE_SPIN); /* environment */
	assert_string_equal(c.audit.pg_dsn, prod.audit.pg_dsn); /* environment */
	assert_int_equal(c.workers.max_positions, 16384); /* defaults */
	/* same without -n: the file's instance */
	assert_int_equal(rt_config_load_cli_env(&c, "production", p, NULL, &err), 0);
	assert_string_equal(c.instance, "hostA");
	/* a file error names the file and its line, after the environment loaded fine */
	unlink(p);
	p = write_tmp("feeder:\n  idle: spin\nsizing:\n  deploy_min: 0.99\n");
	assert_int_equal(rt_config_load_cli_env(&c, "staging", p, NULL, &err), -EINVAL);
	char want[128];
	snprintf(want, sizeof(want), "%s:4: key 'sizing.deploy_min': deploy_min 0.99", p);
	assert_non_null(strstr(err.msg, want));
	unlink(p);
	/* no environment: the embedded defaults alone */
	struct rt_config def;
	rt_config_defaults(&def);
	assert_int_equal(rt_config_load_default(&def, &err), 0);
	assert_int_equal(rt_config_load_cli_env(&c, NULL, NULL, NULL, &err), 0);
	assert_memory_equal(&c, &def, sizeof(c));
}

static void test_alluse_env_variable_unless_a_flag_is_given(void **state)
{
	(void)state;
	struct rt_config c, staging, dev, def;
	struct rt_err err = {0};
	load_env_ok(&staging, "staging");
	load_env_ok(&dev, "development");
	rt_config_defaults(&def);
	assert_int_equal(rt_config_load_default(&def, &err), 0);

	setenv("ALLUSE_ENV", "staging", 1);
	assert_string_equal(rt_config_env_pick(NULL), "staging");
	assert_string_equal(rt_config_env_pick("development"), "development");
	assert_int_equal(rt_config_load_cli(&c, NULL, NULL, &err), 0);
	assert_memory_equal(&c, &staging, sizeof(c));
	assert_int_equal(rt_config_load_cli_env(&c, "development", NULL, NULL, &err), 0);
	assert_memory_equal(&c, &dev, sizeof(c)); /* the flag wins */
	setenv("ALLUSE_ENV", "", 1); /* empty = none */
	assert_null(rt_config_env_pick(NULL));
	assert_int_equal(rt_config_load_cli(&c, NULL, NULL, &err), 0);
	assert_memory_equal(&c, &def, sizeof(c));
	unsetenv("ALLUSE_ENV");
	assert_null(rt_config_env_pick(NULL));
}

static void test_alluse_config_show_and_check_take_the_environment(void **state)
{
	(void)state;
	struct run_result r;
	unsetenv("ALLUSE_ENV");
	const char *show[] = {test_bin("alluse"), "config", "show", "-e", "production", NULL};
	assert_int_equal(run_capture(show, 5000, &r), 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "environment production"));
	assert_non_null(strstr(r.out, "instance: prod\n"));
	assert_non_null(strstr(r.out, "  source: udp\n"));
	assert_non_null(strstr(r.out, "  idle: spin\n"));
	assert_non_null(strstr(r.out, "  deploy_target: 0.975\n"));
	/* the merged result loads back as one file */
	char *p = write_tmp(r.out);
	struct rt_config c, want;
	struct rt_err err = {0};
	load_env_ok(&want, "production");
	rt_config_defaults(&c);
	assert_int_equal(rt_config_load_file(&c, p, &err), 0);
	assert_memory_equal(&c, &want, sizeof(c));
	unlink(p);
	run_result_free(&r);

	setenv("ALLUSE_ENV", "staging", 1);
	const char *show_env[] = {test_bin("alluse"), "config", "show", NULL};
	assert_int_equal(run_capture(show_env, 5000, &r), 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "instance: staging\n"));
	run_result_free(&r);
	const char *show_flag[] = {test_bin("alluse"), "config", "show", "--env",
				   "development",      NULL};
	assert_int_equal(run_capture(show_flag, 5000, &r), 0);
	assert_non_null(strstr(r.out, "log_level: debug\n"));
	run_result_free(&r);
	unsetenv("ALLUSE_ENV");

	p = write_tmp("workers:\n  idle: spin\nrules:\n  gen_csp:\n    delta_min: 0.5\n");
	const char *check[] = {test_bin("alluse"), "config", "check", "-e",
			       "staging",          "-c",     p,       NULL};
	assert_int_equal(run_capture(check, 5000, &r), 0);
	assert_int_equal(r.status, 1);
	char want_msg[128];
	snprintf(want_msg, sizeof(want_msg), "%s:5: key 'rules.gen_csp.delta_min'", p);
	assert_non_null(strstr(r.err, want_msg));
	run_result_free(&r);
	unlink(p);
	p = write_tmp("workers:\n  idle: spin\n");
	assert_int_equal(run_capture(check, 5000, &r), 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "ok (environment staging)"));
	run_result_free(&r);
	unlink(p);
	const char *bad[] = {test_bin("alluse"), "config", "check", "-e", "qa", NULL};
	assert_int_equal(run_capture(bad, 5000, &r), 0);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "-e 'qa': unknown environment (known: development, "
				      "staging, production)"));
	run_result_free(&r);
}

static void test_every_program_with_c_takes_e(void **state)
{
	(void)state;
	struct run_result r;
	unsetenv("ALLUSE_ENV");
	/* an unknown environment is refused before anything else happens: proof that the
	 * flag reached the loader */
	const char *worker[] = {test_bin("alluse-worker"), "--id", "0", "-e", "qa", NULL};
	const char *rules[] = {test_bin("alluse-rules"), "run", "--env", "qa", NULL};
	const char *audit[] = {test_bin("alluse-audit"), "tail", "-e", "qa", NULL};
	const char *feeder[] = {test_bin("alluse-feed"), "-n", "nonexistent", "-e", "qa", NULL};
	const char *const *progs[] = {worker, rules, audit, feeder};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(run_capture(progs[i], 5000, &r), 0);
		if (!strstr(r.err, "'qa': unknown environment")) {
			print_error("%s: status %d, stderr: %s\n", progs[i][0], r.status, r.err);
			fail();
		}
		assert_int_equal(r.status, 2);
		run_result_free(&r);
	}
	/* and from ALLUSE_ENV when no flag is given */
	setenv("ALLUSE_ENV", "qa", 1);
	const char *feed[] = {test_bin("alluse-feed"), "-n", "nonexistent", NULL};
	assert_int_equal(run_capture(feed, 5000, &r), 0);
	assert_non_null(strstr(r.err, "ALLUSE_ENV 'qa': unknown environment"));
	run_result_free(&r);
	unsetenv("ALLUSE_ENV");
}

/* The children of a supervisor: their command lines and whether their environment
 * holds ALLUSE_ENV=want. */
static int children_with_env(pid_t sup, const char *want, int *with_flag)
{
	int n = 0;
	*with_flag = 0;
	DIR *d = opendir("/proc");
	struct dirent *de;
	char path[64], buf[8192], envvar[64];
	snprintf(envvar, sizeof(envvar), "ALLUSE_ENV=%s", want);
	while (d && (de = readdir(d))) {
		pid_t pid = (pid_t)atoi(de->d_name);
		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		int ppid = 0;
		if (fscanf(f, "%*d (%*[^)]) %*c %d", &ppid) != 1)
			ppid = 0;
		fclose(f);
		if (ppid != sup)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
		int fd = open(path, O_RDONLY);
		ssize_t len = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		bool env_ok = false;
		for (ssize_t o = 0; len > 0 && o < len; o += (ssize_t)strlen(buf + o) + 1) {
			buf[len] = '\0';
			env_ok = env_ok || !strcmp(buf + o, envvar);
		}
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
		fd = open(path, O_RDONLY);
		len = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		for (ssize_t o = 0; len > 0 && o + 1 < len; o += (ssize_t)strlen(buf + o) + 1) {
			buf[len] = '\0';
			if (!strcmp(buf + o, "-e") && !strcmp(buf + o + 3, want))
				(*with_flag)++;
		}
		n += env_ok;
	}
	if (d)
		closedir(d);
	return n;
}

static void test_supervisor_passes_the_environment_on(void **state)
{
	(void)state;
	unsetenv("ALLUSE_ENV");
	const char *inst = test_instance_name("env");
	char yaml[256];
	snprintf(yaml, sizeof(yaml),
		 "instance: %s\nlog_level: warn\nfeeder:\n  source: synthetic\n  idle: block\n"
		 "workers:\n  count: 1\n  idle: block\nshm:\n  mode: 0600\n",
		 inst);
	char *p = write_tmp(yaml);
	pid_t sup = fork();
	if (sup == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 2);
		execl(test_bin("alluse"), "alluse", "run", "-e", "development", "-c", p,
		      (char *)NULL);
		_exit(127);
	}
	/* feeder, audit, rules, one worker: each with ALLUSE_ENV=development and
	 * -e development */
	int n = 0, flags = 0;
	for (int i = 0; i < 250 && (n < 4 || flags < 4); i++) {
		usleep(20000);
		n = children_with_env(sup, "development", &flags);
	}
	kill(sup, SIGINT);
	int status;
	waitpid(sup, &status, 0);
	unlink(p);
	assert_int_equal(n, 4);
	assert_int_equal(flags, 4);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_environment_loads_and_passes_the_checks),
		cmocka_unit_test(test_environment_files_on_disk_match_the_embedded_copies),
		cmocka_unit_test(test_unknown_environment_lists_the_known_ones),
		cmocka_unit_test(test_precedence_defaults_env_file_instance),
		cmocka_unit_test(test_alluse_env_variable_unless_a_flag_is_given),
		cmocka_unit_test(test_alluse_config_show_and_check_take_the_environment),
		cmocka_unit_test(test_every_program_with_c_takes_e),
		cmocka_unit_test(test_supervisor_passes_the_environment_on),
	};
	return cmocka_run_group_tests_name("rt_config_env", tests, NULL, NULL);
}
