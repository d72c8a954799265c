/*
 * The operator's checks of the numbers the system acts on:
 *   alluse-rules atr --bars FILE [--period N]     daily bars CSV in, date,tr,atr CSV out
 *   alluse-rules bs --spot S --strike K --rate R --div Q --vol V --years T --right P|C
 *                                                 Black-Scholes price and greeks
 */
#include "workers/rules/rules_cli.h"

#include "shm/shm_price.h"
#include "workers/core/core_atr.h"
#include "workers/core/core_bars.h"
#include "workers/core/core_bs.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fmt_fixed(char *out, size_t n, int64_t v)
{
	uint64_t a = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
	snprintf(out, n, "%s%" PRIu64 ".%08" PRIu64, v < 0 ? "-" : "", a / (uint64_t)PRICE_SCALE,
		 a % (uint64_t)PRICE_SCALE);
}

int rules_cli_atr(int argc, char **argv)
{
	const char *bars_path = NULL;
	uint32_t period = 0;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--bars") && i + 1 < argc) {
			bars_path = argv[++i];
		} else if (!strcmp(argv[i], "--period") && i + 1 < argc) {
			char *end;
			unsigned long p = strtoul(argv[++i], &end, 10);
			if (*end || p == 0 || p > 1000) {
				fprintf(stderr,
					"alluse-rules atr: --period '%s' is not a whole number "
					"1..1000\n",
					argv[i]);
				return 2;
			}
			period = (uint32_t)p;
		} else {
			fprintf(stderr,
				"alluse-rules atr: unknown or incomplete argument '%s'\n"
				"usage: alluse-rules atr --bars FILE [--period N]\n",
				argv[i]);
			return 2;
		}
	}
	if (!bars_path) {
		fprintf(stderr, "alluse-rules atr: --bars FILE is required\n");
		return 2;
	}
	struct core_bar *bars;
	size_t n;
	struct rt_err err = {0};
	if (core_bars_load(bars_path, &bars, &n, &err) != 0) {
		fprintf(stderr, "alluse-rules atr: %s\n", err.msg);
		return 1;
	}
	struct core_atr_point *pts = calloc(n, sizeof(*pts));
	if (!pts || core_atr_series(bars, n, period, pts, &err) != 0) {
		fprintf(stderr, "alluse-rules atr: %s\n", pts ? err.msg : "out of memory");
		free(pts);
		core_bars_free(bars);
		return 1;
	}
	printf("date,tr,atr\n");
	for (size_t i = 0; i < n; i++) {
		char tr[40], atr[40];
		fmt_fixed(tr, sizeof(tr), pts[i].tr);
		fmt_fixed(atr, sizeof(atr), pts[i].atr);
		printf("%04d-%02d-%02d,%s,%s\n", pts[i].date / 10000, pts[i].date / 100 % 100,
		       pts[i].date % 100, tr, pts[i].valid ? atr : "");
	}
	free(pts);
	core_bars_free(bars);
	return 0;
}

static int num_arg(const char *name, const char *v, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (*end || end == v || errno || !isfinite(d)) {
		fprintf(stderr, "alluse-rules bs: %s '%s' is not a number\n", name, v);
		return -EINVAL;
	}
	*out = d;
	return 0;
}

int rules_cli_bs(int argc, char **argv)
{
	struct core_bs_input in = {.right = CORE_RIGHT_CALL};
	int have = 0, json = 0;
	static const char *const names[] = {"--spot", "--strike", "--rate",
					    "--div",  "--vol",    "--years"};
	double *fields[] = {&in.spot, &in.strike, &in.rate, &in.div, &in.vol, &in.t};
	for (int i = 0; i < argc; i++) {
		int matched = 0;
		if (!strcmp(argv[i], "--json")) {
			json = 1;
			continue;
		}
		for (int k = 0; k < 6 && !matched; k++)
			if (!strcmp(argv[i], names[k]) && i + 1 < argc) {
				if (num_arg(names[k], argv[++i], fields[k]))
					return 2;
				have |= 1 << k;
				matched = 1;
			}
		if (matched)
			continue;
		if (!strcmp(argv[i], "--right") && i + 1 < argc) {
			const char *r = argv[++i];
			if (!strcmp(r, "P") || !strcmp(r, "put"))
				in.right = CORE_RIGHT_PUT;
			else if (!strcmp(r, "C") || !strcmp(r, "call"))
				in.right = CORE_RIGHT_CALL;
			else {
				fprintf(stderr,
					"alluse-rules bs: --right '%s' is not P, C, put or call\n",
					r);
				return 2;
			}
			have |= 1 << 6;
			continue;
		}
		fprintf(stderr, "alluse-rules bs: unknown or incomplete argument '%s'\n", argv[i]);
		return 2;
	}
	if (have != 0x7f) {
		fprintf(stderr,
			"usage: alluse-rules bs --spot S --strike K --rate R --div Q --vol V "
			"--years T --right P|C [--json]\n");
		for (int k = 0; k < 7; k++)
			if (!(have & (1 << k)))
				fprintf(stderr, "alluse-rules bs: %s is required\n",
					k < 6 ? names[k] : "--right");
		return 2;
	}
	struct core_bs_greeks g;
	struct rt_err err = {0};
	if (core_bs_greeks(&in, &g, &err) != 0) {
		fprintf(stderr, "alluse-rules bs: %s\n", err.msg);
		return 1;
	}
	if (json)
		printf("{\"right\":\"%c\",\"price\":%.10g,\"delta\":%.10g,\"gamma\":%.10g,"
		       "\"vega\":%.10g,\"theta\":%.10g,\"theta_day\":%.10g,\"rho\":%.10g}\n",
		       (char)in.right, g.price, g.delta, g.gamma, g.vega, g.theta, g.theta_day,
		       g.rho);
	else
		printf("price      %.6f\ndelta      %.6f\ngamma      %.6f\nvega       %.6f  (per "
		       "1.00 of vol)\n"
		       "theta      %.6f  (per year)\ntheta/day  %.6f\nrho        %.6f  (per 1.00 "
		       "of rate)\n",
		       g.price, g.delta, g.gamma, g.vega, g.theta, g.theta_day, g.rho);
	return 0;
}
