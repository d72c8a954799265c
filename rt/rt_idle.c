#include "rt/rt_idle.h"

#include <string.h>

void rt_idle_init(struct rt_idle *idle, enum rt_idle_kind kind)
{
	memset(idle, 0, sizeof(*idle));
	idle->kind = kind;
	idle->spins = kind == RT_IDLE_SPIN ? 0 : 100;
	idle->yields = 10;
	idle->min_sleep_ns = 1000;
	idle->max_sleep_ns = kind == RT_IDLE_BLOCK ? 20000000 : 1000000;
	rt_idle_reset(idle);
}

int rt_idle_parse(const char *name)
{
	if (strcmp(name, "spin") == 0)
		return RT_IDLE_SPIN;
	if (strcmp(name, "backoff") == 0)
		return RT_IDLE_BACKOFF;
	if (strcmp(name, "block") == 0)
		return RT_IDLE_BLOCK;
	return -1;
}

const char *rt_idle_name(enum rt_idle_kind kind)
{
	switch (kind) {
	case RT_IDLE_SPIN:
		return "spin";
	case RT_IDLE_BACKOFF:
		return "backoff";
	case RT_IDLE_BLOCK:
		return "block";
	}
	return "?";
}
