/*
 * rt_idle.h — pluggable idle strategies for agent loops (Aeron's IdleStrategy).
 *
 * An agent's loop calls do_work(), which returns how much it did, then
 * rt_idle(&idle, work_count): zero work idles according to the strategy, any work
 * resets the back-off.
 *   spin:    PAUSE and return (production, pinned CPU; burns the core)
 *   backoff: spin a little, then sched_yield, then sleep growing from min to max
 *            (dev, CI, small machines; wakes within max_sleep_ns of new work)
 *   block:   like backoff with a long ceiling, for processes that are woken by I/O
 */
#ifndef RT_IDLE_H
#define RT_IDLE_H

#include "rt/rt_atomic.h"
#include "rt/rt_clock.h"

#include <sched.h>
#include <stdint.h>

enum rt_idle_kind { RT_IDLE_SPIN = 0, RT_IDLE_BACKOFF = 1, RT_IDLE_BLOCK = 2 };

struct rt_idle {
	enum rt_idle_kind kind;
	uint32_t spins; /* PAUSEs before yielding */
	uint32_t yields; /* yields before sleeping */
	uint64_t min_sleep_ns;
	uint64_t max_sleep_ns;
	/* state */
	uint32_t n;
	uint64_t sleep_ns;
};

/* Defaults per kind: backoff 100 spins, 10 yields, 1 µs..1 ms; block 1 µs..20 ms. */
void rt_idle_init(struct rt_idle *idle, enum rt_idle_kind kind);
/* "spin", "backoff", "block" -> kind; -1 for anything else. */
int rt_idle_parse(const char *name);
const char *rt_idle_name(enum rt_idle_kind kind);

static inline void rt_idle_reset(struct rt_idle *idle)
{
	idle->n = 0;
	idle->sleep_ns = idle->min_sleep_ns;
}

static inline void rt_idle(struct rt_idle *idle, uint64_t work)
{
	if (work) {
		if (idle->n)
			rt_idle_reset(idle);
		return;
	}
	if (idle->kind == RT_IDLE_SPIN) {
		rt_cpu_relax();
		return;
	}
	uint32_t n = idle->n++;
	if (n < idle->spins) {
		rt_cpu_relax();
	} else if (n < idle->spins + idle->yields) {
		sched_yield();
	} else {
		rt_clock_sleep_ns(idle->sleep_ns);
		idle->sleep_ns *= 2;
		if (idle->sleep_ns > idle->max_sleep_ns)
			idle->sleep_ns = idle->max_sleep_ns;
	}
}

#endif
