/*
 * sup.h — the supervisor loop of `alluse run`.
 */
#ifndef ALLUSE_SUP_H
#define ALLUSE_SUP_H

#include "rt/rt_config.h"

/* Create the instance's segment, start the configured children (programs found
 * next to argv0), supervise until SIGINT/SIGTERM, stop them, remove the segment
 * unless keep. Returns 0 on a clean shutdown, -errno on a start-up failure. */
int sup_run(const struct rt_config *cfg, const char *config_path, const char *argv0, int keep,
	    int takeover);

#endif
