/*
 * rt_proc.h — supervision of child processes: start, watch, restart, stop.
 *
 * The supervisor keeps a table of children (struct rt_proc, caller-owned). Each is
 * started with fork+execv, dies with its parent (PR_SET_PDEATHSIG), is restarted
 * after an unexpected exit with an exponential back-off (restart_min_ns doubling up
 * to restart_max_ns, reset after it has run for a while), and is stopped with
 * SIGTERM then SIGKILL after a grace period. Cold path only.
 */
#ifndef RT_PROC_H
#define RT_PROC_H

#include "rt/rt_err.h"

#include <stdint.h>
#include <sys/types.h>

#define RT_PROC_ARGV_MAX 24
#define RT_PROC_ARG_LEN 256

struct rt_proc {
	char name[32];
	char argv_buf[RT_PROC_ARGV_MAX][RT_PROC_ARG_LEN];
	int argc;
	pid_t pid; /* 0 when not running */
	int restart; /* restart after an unexpected exit */
	uint32_t restarts; /* how many times it was restarted */
	int last_status; /* wait status of the last exit */
	uint64_t started_ns; /* monotonic */
	uint64_t next_start_ns;
	uint64_t backoff_ns;
};

/* Describe a child: argv[0] is the program path. -E2BIG if too many/long args. */
int rt_proc_init(struct rt_proc *p, const char *name, const char *const argv[], int restart,
		 struct rt_err *err);
/* fork + exec. 0 or -errno (exec failure shows as an exit status 127). */
int rt_proc_start(struct rt_proc *p, struct rt_err *err);

/* Reap exited children of the table (non-blocking). For each one that exited, logs
 * how, and schedules a restart if it should. Returns how many exited. */
int rt_proc_reap(struct rt_proc *procs, int n, int stopping);
/* Start every child whose restart time has come. */
void rt_proc_restart_due(struct rt_proc *procs, int n, uint64_t now_ns);
/* SIGTERM everyone, wait up to grace_ms, then SIGKILL the rest and reap them. */
void rt_proc_stop_all(struct rt_proc *procs, int n, uint32_t grace_ms);
/* Describe a wait status: "exited with 0", "killed by SIGKILL" (static buffer). */
const char *rt_proc_status_str(int status);

#endif
