/*
 * sup.h — the supervisor loop of `alluse run`.
 */
#ifndef ALLUSE_SUP_H
#define ALLUSE_SUP_H

#include "rt/rt_config.h"

/* Create the instance's segment, start the configured children (programs found
 * next to argv0), supervise until SIGINT/SIGTERM, stop them, remove the segment
 * unless keep. Returns 0 on a clean shutdown, -errno on a start-up failure. */
/* env: the environment the configuration was loaded with (NULL: none); every child
 * loads the same one (-e where the program takes it, ALLUSE_ENV for all). */
int sup_run(const struct rt_config *cfg, const char *env, const char *config_path,
	    const char *argv0, int keep, int takeover);

#endif
