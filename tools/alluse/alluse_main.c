/*
 * alluse — the supervisor and configuration front end.
 *
 *   alluse run [-e ENV] [-c FILE] [-n INSTANCE] [--keep] [--takeover]
 *   alluse config show [-e ENV] [-c FILE] [-n INSTANCE]
 *   alluse config check [-e ENV] [-c FILE]
 *
 * `run` loads the embedded configuration, the environment's overlay (-e, else
 * $ALLUSE_ENV), applies FILE on top, creates the segment
 * /dev/shm/alluse.<instance>, starts the processes the configuration asks for as
 * children, restarts a child that dies, and on SIGINT/SIGTERM stops them and
 * removes the segment (unless --keep). See docs/operations.md.
 */
#include "rt/rt_clock.h"
#include "rt/rt_config.h"
#include "rt/rt_log.h"
#include "rt/rt_signal.h"
#include "tools/alluse/sup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: alluse run [-e ENV] [-c FILE] [-n INSTANCE] [--keep] [--takeover]\n"
		   "       alluse config show [-e ENV] [-c FILE] [-n INSTANCE]\n"
		   "       alluse config check [-e ENV] [-c FILE]\n"
		   "\n"
		   "  -e ENV       environment overlay: development, staging or production\n"
		   "               (default: $ALLUSE_ENV; none when unset)\n"
		   "  -c FILE      configuration applied on top of the embedded defaults and\n"
		   "               the environment\n"
		   "  -n INSTANCE  instance name (segment /dev/shm/alluse.INSTANCE)\n"
		   "  --keep       leave the segment in place after shutdown (post-mortem)\n"
		   "  --takeover   replace a segment left behind by a dead owner\n");
}

struct args {
	const char *env;
	const char *config;
	const char *instance;
	int keep;
	int takeover;
};

static int parse(int argc, char **argv, int first, struct args *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = first; i < argc; i++) {
		const char *s = argv[i];
		if ((!strcmp(s, "-c") || !strcmp(s, "--config")) && i + 1 < argc)
			a->config = argv[++i];
		else if ((!strcmp(s, "-e") || !strcmp(s, "--env")) && i + 1 < argc)
			a->env = argv[++i];
		else if ((!strcmp(s, "-n") || !strcmp(s, "--instance")) && i + 1 < argc)
			a->instance = argv[++i];
		else if (!strcmp(s, "--keep"))
			a->keep = 1;
		else if (!strcmp(s, "--takeover"))
			a->takeover = 1;
		else {
			fprintf(stderr, "alluse: unknown or incomplete argument '%s'\n", s);
			usage(stderr);
			return -EINVAL;
		}
	}
	return 0;
}

static int load_config(const struct args *a, struct rt_config *cfg)
{
	struct rt_err err = {0};
	if (rt_config_load_cli_env(cfg, a->env, a->config, a->instance, &err)) {
		fprintf(stderr, "alluse: %s\n", err.msg);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	struct args a;
	static struct rt_config cfg;
	if (!strcmp(argv[1], "run")) {
		if (parse(argc, argv, 2, &a) || load_config(&a, &cfg))
			return 2;
		return sup_run(&cfg, rt_config_env_pick(a.env), a.config, argv[0], a.keep,
			       a.takeover)
			       ? 1
			       : 0;
	}
	if (!strcmp(argv[1], "config") && argc >= 3) {
		int check = !strcmp(argv[2], "check");
		if (!check && strcmp(argv[2], "show")) {
			fprintf(stderr, "alluse: unknown config command '%s' (show, check)\n",
				argv[2]);
			return 2;
		}
		if (parse(argc, argv, 3, &a))
			return 2;
		const char *env = rt_config_env_pick(a.env);
		if (check && !a.config && !env) {
			fprintf(stderr, "alluse: config check needs -c FILE or -e ENV\n");
			return 2;
		}
		if (load_config(&a, &cfg))
			return 1;
		if (check) {
			if (a.config && env)
				printf("%s: ok (environment %s)\n", a.config, env);
			else if (a.config)
				printf("%s: ok\n", a.config);
			else
				printf("environment %s: ok\n", env);
			return 0;
		}
		/* comments: the merged result still loads back as one file */
		printf("# alluse config show: embedded defaults");
		if (env)
			printf(", environment %s", env);
		if (a.config)
			printf(", %s", a.config);
		if (a.instance)
			printf(", -n %s", a.instance);
		printf("\n");
		return rt_config_dump(&cfg, stdout) ? 1 : 0;
	}
	fprintf(stderr, "alluse: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
