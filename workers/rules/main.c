/*
 * alluse-rules — the rules process and the operator's checks of its numbers.
 *
 *   alluse-rules run [-e ENV] [-c FILE] [-n INSTANCE]  the rules process (started by alluse run)
 *   alluse-rules atr --bars FILE [--period N]
 *   alluse-rules bs --spot S --strike K --rate R --div Q --vol V --years T --right P|C [--json]
 */
#include "workers/rules/rules_cli.h"
#include "workers/rules/rules_run.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: alluse-rules run [-e ENV] [-c FILE] [-n INSTANCE]\n"
		   "       alluse-rules atr --bars FILE [--period N]\n"
		   "       alluse-rules bs --spot S --strike K --rate R --div Q --vol V --years T "
		   "--right P|C [--json]\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return rules_run(argc - 2, argv + 2);
	if (!strcmp(argv[1], "atr"))
		return rules_cli_atr(argc - 2, argv + 2);
	if (!strcmp(argv[1], "bs"))
		return rules_cli_bs(argc - 2, argv + 2);
	fprintf(stderr, "alluse-rules: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
