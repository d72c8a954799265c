/*
 * alluse-bench — every benchmark of the project, one subcommand each (BENCH.md).
 * Exit codes: 0 ran, 1 a measurement failed, 2 bad arguments, 77 this machine cannot
 * run it (fewer than 2 CPUs).
 */
#include "bench/bench_report.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct bench_def {
	const char *name;
	const char *summary;
	int (*run)(const struct bench_opts *opts);
};

#define BENCH_ENTRY_(name, summary) {#name, summary, bench_##name##_run},
static const struct bench_def BENCHES[] = {BENCH_LIST(BENCH_ENTRY_)};
#define NBENCHES (sizeof(BENCHES) / sizeof(BENCHES[0]))

static void usage(FILE *out)
{
	fprintf(out,
		"usage: alluse-bench BENCH [--json FILE] [--cpus A,B] [--samples N] [--quick]\n"
		"       alluse-bench all [--json-dir DIR] [--cpus A,B] [--samples N] [--quick]\n"
		"       alluse-bench --help\n\n"
		"benchmarks:\n");
	for (size_t i = 0; i < NBENCHES; i++)
		fprintf(out, "  %-8s %s\n", BENCHES[i].name, BENCHES[i].summary);
	fprintf(out,
		"  %-8s every benchmark above, in order\n\n"
		"options:\n"
		"  --json FILE     also write the results as JSON to FILE\n"
		"  --json-dir DIR  (all) write DIR/<bench>.json for each benchmark\n"
		"  --cpus A,B      pin the two measuring processes to CPUs A and B\n"
		"                  (default: the first two CPUs this process may use)\n"
		"  --samples N     latency samples per busy-spin row (k/M suffixes; default 1M)\n"
		"  --quick         smoke-test sizes (100k samples, 5M messages)\n\n"
		"Method and labels: docs/bench.md. Exit 0 ran, 1 failed, 2 bad arguments,\n"
		"77 this machine cannot run it (fewer than 2 CPUs).\n",
		"all");
}

static int bad_arg(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print "alluse-bench CMD: <what is wrong>" and return exit code 2. */
static int bad_arg(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "alluse-bench %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n(see alluse-bench --help)\n");
	va_end(ap);
	return 2;
}

/* "1000000", "100k", "1M" -> value; 0 on anything else. */
static uint64_t parse_count(const char *s)
{
	if (!s || !*s || *s == '-' || *s == '+')
		return 0;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return 0;
	uint64_t mul = 1;
	if (*end == 'k' || *end == 'K')
		mul = 1000, end++;
	else if (*end == 'm' || *end == 'M')
		mul = 1000000, end++;
	if (*end || v > UINT64_MAX / mul)
		return 0;
	return (uint64_t)v * mul;
}

/* "A,B" -> two distinct CPUs. 0 or -1. */
static int parse_cpus(const char *s, int cpus[2])
{
	char *end;
	errno = 0;
	long a = strtol(s, &end, 10);
	if (errno || end == s || *end != ',' || a < 0 || a >= CPU_SETSIZE)
		return -1;
	const char *p = end + 1;
	long b = strtol(p, &end, 10);
	if (errno || end == p || *end || b < 0 || b >= CPU_SETSIZE || a == b)
		return -1;
	cpus[0] = (int)a;
	cpus[1] = (int)b;
	return 0;
}

/* Default CPUs: the first two this process may run on (-1 when there are fewer). */
static void default_cpus(int cpus[2])
{
	cpus[0] = cpus[1] = -1;
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return;
	int n = 0;
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
}

static int cpu_allowed(int cpu)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 1; /* cannot tell: let pinning report it */
	return CPU_ISSET(cpu, &set);
}

/* Option value from "--opt VALUE" or "--opt=VALUE"; advances *i. NULL if missing. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt)
{
	size_t n = strlen(opt);
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

static int is_opt(const char *arg, const char *opt)
{
	size_t n = strlen(opt);
	return strncmp(arg, opt, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

static int run_all(const struct bench_opts *base, const char *json_dir)
{
	if (json_dir && mkdir(json_dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "alluse-bench all: --json-dir: cannot create '%s': %s\n", json_dir,
			strerror(errno));
		return 1;
	}
	int failed = 0, ran = 0;
	for (size_t i = 0; i < NBENCHES; i++) {
		struct bench_opts o = *base;
		char path[4096];
		if (json_dir) {
			snprintf(path, sizeof(path), "%s/%s.json", json_dir, BENCHES[i].name);
			o.json_path = path;
		}
		int rc = BENCHES[i].run(&o);
		if (rc == 0)
			ran++;
		else if (rc != 77)
			failed++;
	}
	if (failed)
		return 1;
	return ran ? 0 : 77;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	const struct bench_def *def = NULL;
	for (size_t i = 0; i < NBENCHES; i++)
		if (strcmp(cmd, BENCHES[i].name) == 0)
			def = &BENCHES[i];
	int all = strcmp(cmd, "all") == 0;
	if (!def && !all) {
		char known[256] = "";
		for (size_t i = 0; i < NBENCHES; i++) {
			strncat(known, BENCHES[i].name, sizeof(known) - strlen(known) - 1);
			strncat(known, ", ", sizeof(known) - strlen(known) - 1);
		}
		fprintf(stderr, "alluse-bench: unknown benchmark '%s' (known: %sall)\n", cmd,
			known);
		return 2;
	}

	struct bench_opts o = {0};
	default_cpus(o.cpus);
	const char *json_dir = NULL;
	int cpus_given = 0;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--quick") == 0) {
			o.quick = 1;
		} else if (is_opt(a, "--json") && !is_opt(a, "--json-dir")) {
			if (all)
				return bad_arg(cmd,
					       "%s: 'all' writes one file per benchmark; use "
					       "--json-dir DIR",
					       a);
			o.json_path = opt_value(argc, argv, &i, "--json");
			if (!o.json_path || !*o.json_path)
				return bad_arg(cmd, "--json needs a file name");
		} else if (is_opt(a, "--json-dir")) {
			if (!all)
				return bad_arg(cmd, "--json-dir is for 'all'; use --json FILE");
			json_dir = opt_value(argc, argv, &i, "--json-dir");
			if (!json_dir || !*json_dir)
				return bad_arg(cmd, "--json-dir needs a directory");
		} else if (is_opt(a, "--cpus")) {
			const char *v = opt_value(argc, argv, &i, "--cpus");
			if (!v || parse_cpus(v, o.cpus) != 0)
				return bad_arg(cmd,
					       "--cpus: '%s' is not two different CPU numbers A,B "
					       "(e.g. 0,1)",
					       v ? v : "");
			cpus_given = 1;
		} else if (is_opt(a, "--samples")) {
			const char *v = opt_value(argc, argv, &i, "--samples");
			o.samples = parse_count(v);
			if (o.samples < 1000 || o.samples > 1000000000ull)
				return bad_arg(cmd,
					       "--samples: '%s' is not a count in 1000..1000M "
					       "(e.g. 1000000, 500k, 2M)",
					       v ? v : "");
		} else {
			return bad_arg(cmd, "unknown argument '%s'", a);
		}
	}
	if (cpus_given) {
		for (int k = 0; k < 2; k++) {
			if (!cpu_allowed(o.cpus[k])) {
				return bad_arg(cmd,
					       "--cpus: CPU %d is not available to this process "
					       "(see nproc, taskset -p $$)",
					       o.cpus[k]);
			}
		}
	}
	if (all)
		return run_all(&o, json_dir);
	return def->run(&o);
}
