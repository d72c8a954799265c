/*
 * test_util.h — helpers shared by the test programs (linked into every test).
 */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <stddef.h>

/* A unique instance name for this process and call: "t<pid>-<tag>-<n>". Static
 * storage, rotated over 8 buffers so a few can be alive at once. */
const char *test_instance_name(const char *tag);

/* Path of a built program: "$BUILD/bin/<name>" (BUILD defaults to "build"). */
const char *test_bin(const char *name);

/* The real market data (../shared/data/market/ from the repository root — the
 * working directory under `make test`, else found above the executable — or
 * $ALLUSE_MARKET_DATA), or NULL when there is none (tests then skip with 77). */
const char *test_market_dir(void);

struct run_result {
	int status; /* exit code, or 128 + signal */
	char *out; /* captured stdout, NUL-terminated (free with run_result_free) */
	char *err; /* captured stderr */
	size_t out_len;
	size_t err_len;
};

/* fork/exec argv (argv[0] a path), capture stdout and stderr, wait at most
 * timeout_ms (then SIGKILL; status = 128 + 9). Returns 0 or -errno. */
int run_capture(const char *const argv[], unsigned timeout_ms, struct run_result *r);
void run_result_free(struct run_result *r);

/* pid of a process whose command line contains `prog` and has an argument equal to
 * `word` (e.g. the instance name), or 0. */
#include <sys/types.h>
pid_t test_find_proc(const char *prog, const char *word);

#endif
