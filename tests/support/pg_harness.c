#include "tests/support/pg_harness.h"

#include <stdio.h>
#include <stdlib.h>

static struct audit_pgctl g_pg;

void pg_harness_require(void)
{
	char why[256];
	if (audit_pgctl_available(why, sizeof(why)) != 0) {
		printf("skip: %s\n", why);
		exit(77);
	}
}

int pg_harness_setup(void **state)
{
	(void)state;
	struct rt_err err = {0};
	struct audit_pgctl_opts o = {.fsync_off = 1};
	if (audit_pgctl_start(&g_pg, &o, &err) != 0) {
		fprintf(stderr, "pg_harness: %s\n", err.msg);
		return -1;
	}
	return 0;
}

int pg_harness_teardown(void **state)
{
	(void)state;
	audit_pgctl_destroy(&g_pg);
	return 0;
}

struct audit_pgctl *pg_harness(void)
{
	return &g_pg;
}
