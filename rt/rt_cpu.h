/*
 * rt_cpu.h — CPU pinning, real-time scheduling and memory locking for a process.
 *
 * Each returns 0 or a negative errno and fills err; callers treat -EPERM from
 * SCHED_FIFO/mlockall as a warning (the host does not allow it), not a failure.
 */
#ifndef RT_CPU_H
#define RT_CPU_H

#include "rt/rt_err.h"

/* Pin the calling thread (and so a single-threaded process) to one CPU.
 * -EINVAL: cpu out of range or not in the allowed set. */
int rt_cpu_pin(int cpu, struct rt_err *err);

/* SCHED_FIFO at priority prio (1..99). -EPERM when not allowed. */
int rt_cpu_sched_fifo(int prio, struct rt_err *err);

/* mlockall(MCL_CURRENT|MCL_FUTURE). -EPERM/-ENOMEM when refused. */
int rt_cpu_mlockall(struct rt_err *err);

/* Number of CPUs this process may run on. */
int rt_cpu_count(void);

/* Apply pin/fifo/mlock as configured (cpu < 0: no pin, prio 0: no FIFO); logs a
 * warning for each refusal and returns 0 unless pinning to a bad CPU failed. */
int rt_cpu_apply(int cpu, int fifo_prio, int mlock, struct rt_err *err);

#endif
