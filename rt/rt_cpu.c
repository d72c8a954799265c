#include "rt/rt_cpu.h"

#include "rt/rt_log.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>

int rt_cpu_count(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 1;
	return CPU_COUNT(&set);
}

int rt_cpu_pin(int cpu, struct rt_err *err)
{
	if (cpu < 0 || cpu >= CPU_SETSIZE)
		return rt_err_set(err, -EINVAL, "cpu %d out of range 0..%d", cpu, CPU_SETSIZE - 1);
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0) {
		int e = errno;
		return rt_err_set(err, -e, "pin to cpu %d: %s (this host has %d usable cpus)", cpu,
				  strerror(e), rt_cpu_count());
	}
	return 0;
}

int rt_cpu_sched_fifo(int prio, struct rt_err *err)
{
	if (prio < 1 || prio > 99)
		return rt_err_set(err, -EINVAL, "SCHED_FIFO priority %d not in 1..99", prio);
	struct sched_param sp = {.sched_priority = prio};
	if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0) {
		int e = errno;
		return rt_err_set(err, -e, "SCHED_FIFO priority %d: %s", prio, strerror(e));
	}
	return 0;
}

int rt_cpu_mlockall(struct rt_err *err)
{
	if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
		int e = errno;
		return rt_err_set(err, -e, "mlockall: %s", strerror(e));
	}
	return 0;
}

int rt_cpu_apply(int cpu, int fifo_prio, int mlock, struct rt_err *err)
{
	struct rt_err e = {0};
	if (cpu >= 0) {
		int rc = rt_cpu_pin(cpu, err);
		if (rc)
			return rc;
	}
	if (fifo_prio > 0 && rt_cpu_sched_fifo(fifo_prio, &e) != 0)
		rt_log_warn("real-time scheduling refused; running SCHED_OTHER", "reason=\"%s\"",
			    e.msg);
	if (mlock && rt_cpu_mlockall(&e) != 0)
		rt_log_warn("memory locking refused; pages may fault", "reason=\"%s\"", e.msg);
	return 0;
}
