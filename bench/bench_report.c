#include "bench/bench_report.h"

#include "rt/rt_clock.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void read_cpu_model(char *out, size_t n)
{
	snprintf(out, n, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10) != 0)
			continue;
		char *v = strchr(line, ':');
		if (!v)
			continue;
		v++;
		while (*v == ' ' || *v == '\t')
			v++;
		v[strcspn(v, "\n")] = '\0';
		snprintf(out, n, "%s", v);
		break;
	}
	fclose(f);
}

void bench_report_init(struct bench_report *r, const char *bench, const char *baseline,
		       const int cpus[2], const char *idle)
{
	memset(r, 0, sizeof(*r));
	r->bench = bench;
	r->baseline = baseline;
	r->wall_ns = rt_clock_wall_ns();
	read_cpu_model(r->host.cpu, sizeof(r->host.cpu));
	r->host.cpus_used[0] = cpus[0];
	r->host.cpus_used[1] = cpus[1];
	r->host.idle = idle;
}

static struct bench_row *add_row(struct bench_report *r, const char *label)
{
	if (r->nrows >= BENCH_MAX_ROWS)
		return NULL;
	struct bench_row *row = &r->rows[r->nrows++];
	memset(row, 0, sizeof(*row));
	row->preempted = -1;
	row->steal_ms = -1;
	row->cpu_share = -1;
	snprintf(row->label, sizeof(row->label), "%s", label);
	return row;
}

struct bench_row *bench_report_add_latency(struct bench_report *r, const char *label,
					   const struct rt_hist *h)
{
	struct bench_row *row = add_row(r, label);
	if (!row)
		return NULL;
	struct rt_hist_summary s;
	rt_hist_summarize(h, &s);
	row->latency = 1;
	row->samples = s.count;
	row->p50_ns = s.p50;
	row->p99_ns = s.p99;
	row->p999_ns = s.p999;
	row->p9999_ns = s.p9999;
	row->max_ns = s.max;
	row->mean_ns = s.mean;
	return row;
}

struct bench_row *bench_report_add_rate(struct bench_report *r, const char *label, uint64_t count,
					double secs, const char *ratio_vs)
{
	struct bench_row *row = add_row(r, label);
	if (!row)
		return NULL;
	row->throughput = 1;
	row->samples = count;
	row->per_s = secs > 0 ? (double)count / secs : 0;
	snprintf(row->ratio_vs, sizeof(row->ratio_vs), "%s", ratio_vs ? ratio_vs : "");
	return row;
}

const struct bench_row *bench_report_find(const struct bench_report *r, const char *label)
{
	for (uint32_t i = 0; i < r->nrows; i++)
		if (strcmp(r->rows[i].label, label) == 0)
			return &r->rows[i];
	return NULL;
}

double bench_report_ratio_p50(const struct bench_report *r, const char *label)
{
	const struct bench_row *a = bench_report_find(r, label);
	const struct bench_row *b = r->baseline ? bench_report_find(r, r->baseline) : NULL;
	if (!a || !b || !a->latency || !b->latency || b->p50_ns == 0)
		return 0;
	return (double)a->p50_ns / (double)b->p50_ns;
}

double bench_report_ratio_rate(const struct bench_report *r, const char *label, const char *other)
{
	const struct bench_row *a = bench_report_find(r, label);
	const struct bench_row *b = bench_report_find(r, other);
	if (a && a->ratio > 0 && strcmp(a->ratio_vs, other) == 0)
		return a->ratio;
	if (!a || !b || !a->throughput || !b->throughput || b->per_s <= 0)
		return 0;
	return a->per_s / b->per_s;
}

int bench_row_disturbed(const struct bench_row *row)
{
	return row && row->spin && row->cpu_share >= 0 && row->cpu_share < BENCH_MIN_CPU_SHARE;
}

int bench_report_check(struct bench_report *r, const char *what, double value, double limit,
		       int higher_is_better, int stretch, const struct bench_row *a,
		       const struct bench_row *b)
{
	int met = higher_is_better ? value >= limit : value <= limit;
	if (r->nchecks >= BENCH_MAX_CHECKS)
		return met;
	struct bench_check *c = &r->checks[r->nchecks++];
	snprintf(c->what, sizeof(c->what), "%s", what);
	c->value = value;
	c->limit = limit;
	c->higher_is_better = higher_is_better;
	c->stretch = stretch;
	c->disturbed = bench_row_disturbed(a) || bench_row_disturbed(b);
	return met;
}

static int check_met(const struct bench_check *c)
{
	return c->higher_is_better ? c->value >= c->limit : c->value <= c->limit;
}

static void format_date(uint64_t wall_ns, char *out, size_t n)
{
	time_t t = (time_t)(wall_ns / 1000000000ull);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* 61234567.8 -> "61.2 M" */
static void format_rate(double v, char *out, size_t n)
{
	if (v >= 1e9)
		snprintf(out, n, "%.2f G", v / 1e9);
	else if (v >= 1e6)
		snprintf(out, n, "%.1f M", v / 1e6);
	else if (v >= 1e3)
		snprintf(out, n, "%.1f k", v / 1e3);
	else
		snprintf(out, n, "%.0f", v);
}

static const char *verdict_of(const struct bench_check *c)
{
	if (check_met(c))
		return "met";
	return c->stretch ? "not met (stretch)" : "MISSED";
}

static void format_check_value(const struct bench_check *c, double v, char *out, size_t n)
{
	if (c->limit >= 1e5) {
		format_rate(v, out, n);
		strncat(out, "/s", n - strlen(out) - 1);
	} else {
		snprintf(out, n, "%.2f", v);
	}
}

void bench_report_print(const struct bench_report *r, FILE *out)
{
	char date[32];
	format_date(r->wall_ns, date, sizeof(date));
	fprintf(out, "\nalluse-bench %s  %s\nhost: %s, cpus %d,%d, idle %s", r->bench, date,
		r->host.cpu, r->host.cpus_used[0], r->host.cpus_used[1], r->host.idle);
	if (r->host.tsc_step_ns > 0)
		fprintf(out, ", TSC step %.1f ns (one-way resolution %.1f ns)", r->host.tsc_step_ns,
			r->host.tsc_step_ns / 2);
	fprintf(out, "\nlatency: one-way = round trip / 2, ns; preempt = involuntary context "
		     "switches, steal = hypervisor steal on the two CPUs\n\n");
	fprintf(out, "%-32s %9s %6s %6s %6s %6s %8s %6s %6s %11s %6s %5s %7s %6s\n", "label",
		"samples", "p50", "p99", "p99.9", "p99.99", "max", "mean", "ratio", "per_s",
		"ratio", "cpu%", "preempt", "steal");
	int disturbed = 0;
	for (uint32_t i = 0; i < r->nrows; i++) {
		const struct bench_row *row = &r->rows[i];
		fprintf(out, "%-32s %9llu", row->label, (unsigned long long)row->samples);
		if (row->latency) {
			fprintf(out, " %6llu %6llu %6llu %6llu %8llu %6.1f",
				(unsigned long long)row->p50_ns, (unsigned long long)row->p99_ns,
				(unsigned long long)row->p999_ns, (unsigned long long)row->p9999_ns,
				(unsigned long long)row->max_ns, row->mean_ns);
			double q = bench_report_ratio_p50(r, row->label);
			if (q > 0)
				fprintf(out, " %6.2f", q);
			else
				fprintf(out, " %6s", "-");
		} else {
			fprintf(out, " %6s %6s %6s %6s %8s %6s %6s", "", "", "", "", "", "", "");
		}
		if (row->throughput) {
			char rate[32];
			format_rate(row->per_s, rate, sizeof(rate));
			strncat(rate, "/s", sizeof(rate) - strlen(rate) - 1);
			double q = row->ratio_vs[0]
					   ? bench_report_ratio_rate(r, row->label, row->ratio_vs)
					   : 0;
			fprintf(out, " %11s", rate);
			if (q > 0)
				fprintf(out, " %6.3f", q);
			else
				fprintf(out, " %6s", "");
		} else {
			fprintf(out, " %11s %6s", "", "");
		}
		if (row->cpu_share >= 0)
			fprintf(out, " %5.1f", row->cpu_share * 100);
		else
			fprintf(out, " %5s", "-");
		if (row->preempted >= 0)
			fprintf(out, " %7lld", (long long)row->preempted);
		else
			fprintf(out, " %7s", "-");
		if (row->steal_ms >= 0)
			fprintf(out, " %4.0fms", row->steal_ms);
		else
			fprintf(out, " %6s", "-");
		if (row->note)
			fprintf(out, "  %s", row->note);
		if (bench_row_disturbed(row)) {
			fprintf(out, "  DISTURBED");
			disturbed++;
		}
		fputc('\n', out);
	}
	fprintf(out,
		"ratio: latency rows p50 / p50 of %s; throughput rows against the row named "
		"below\n(per_s / per_s, or the median of per-round ratios when measured in "
		"rounds)\n",
		r->baseline ? r->baseline : "-");
	for (uint32_t i = 0; i < r->nrows; i++)
		if (r->rows[i].throughput && r->rows[i].ratio_vs[0])
			fprintf(out, "  %s: / %s\n", r->rows[i].label, r->rows[i].ratio_vs);
	fprintf(out,
		"cpu%%: the lower of the two processes' CPU time over wall time (busy-spin rows "
		"should be ~100)\n");
	if (disturbed)
		fprintf(out,
			"WARNING: %d busy-spin row(s) held their CPUs < %.0f%% of the time: other "
			"tasks ran on these CPUs; rerun on a quiet machine before quoting them\n",
			disturbed, BENCH_MIN_CPU_SHARE * 100);
	if (!r->nchecks)
		return;
	fprintf(out, "\ntargets, computed from this run:\n");
	for (uint32_t i = 0; i < r->nchecks; i++) {
		const struct bench_check *c = &r->checks[i];
		char v[32], l[32];
		format_check_value(c, c->value, v, sizeof(v));
		format_check_value(c, c->limit, l, sizeof(l));
		fprintf(out, "  %-58s %11s %s %-11s %s%s\n", c->what, v,
			c->higher_is_better ? ">=" : "<=", l, verdict_of(c),
			c->disturbed ? " (from a disturbed row)" : "");
	}
}

/* JSON string body: labels and the CPU model are plain text, but escape anyway. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, double v)
{
	if (!isfinite(v))
		fputs("null", f);
	else if ((v == floor(v) || fabs(v) >= 1e6) && fabs(v) < 9e15)
		fprintf(f, "%.0f", v);
	else
		fprintf(f, "%.4g", v);
}

static void json_ratio(FILE *f, double v)
{
	if (v > 0)
		fprintf(f, "%.3f", v);
	else
		fputs("null", f);
}

static void write_json(const struct bench_report *r, FILE *f)
{
	char date[32];
	format_date(r->wall_ns, date, sizeof(date));
	fprintf(f, "{\n  \"bench\": ");
	json_str(f, r->bench);
	fprintf(f, ",\n  \"date\": \"%s\",\n  \"host\": {\"cpu\": ", date);
	json_str(f, r->host.cpu);
	fprintf(f, ", \"cpus_used\": [%d, %d], \"idle\": ", r->host.cpus_used[0],
		r->host.cpus_used[1]);
	json_str(f, r->host.idle);
	if (r->host.tsc_step_ns > 0)
		fprintf(f, ", \"tsc_step_ns\": %.1f", r->host.tsc_step_ns);
	fprintf(f, "},\n  \"baseline\": ");
	json_str(f, r->baseline ? r->baseline : "");
	fprintf(f, ",\n  \"rows\": [");
	for (uint32_t i = 0; i < r->nrows; i++) {
		const struct bench_row *row = &r->rows[i];
		fprintf(f, "%s\n    {\"label\": ", i ? "," : "");
		json_str(f, row->label);
		fprintf(f, ", \"samples\": %llu", (unsigned long long)row->samples);
		if (row->latency) {
			fprintf(f,
				", \"p50_ns\": %llu, \"p99_ns\": %llu, \"p999_ns\": %llu, "
				"\"p9999_ns\": %llu, \"max_ns\": %llu, \"per_s\": null, "
				"\"ratio_p50\": ",
				(unsigned long long)row->p50_ns, (unsigned long long)row->p99_ns,
				(unsigned long long)row->p999_ns, (unsigned long long)row->p9999_ns,
				(unsigned long long)row->max_ns);
			json_ratio(f, bench_report_ratio_p50(r, row->label));
			fprintf(f, ", \"mean_ns\": %.1f", row->mean_ns);
		}
		if (row->throughput) {
			fprintf(f, ", \"per_s\": ");
			json_num(f, floor(row->per_s + 0.5));
			if (row->nrounds) {
				fprintf(f, ", \"per_s_rounds\": [");
				for (uint32_t k = 0; k < row->nrounds; k++) {
					fprintf(f, "%s", k ? ", " : "");
					json_num(f, floor(row->round_per_s[k] + 0.5));
				}
				fputc(']', f);
			}
			if (row->ratio_vs[0]) {
				fprintf(f, ", \"ratio_per_s\": ");
				json_ratio(f,
					   bench_report_ratio_rate(r, row->label, row->ratio_vs));
				fprintf(f, ", \"ratio_vs\": ");
				json_str(f, row->ratio_vs);
			}
		}
		if (row->preempted >= 0)
			fprintf(f, ", \"preempted\": %lld", (long long)row->preempted);
		if (row->steal_ms >= 0)
			fprintf(f, ", \"steal_ms\": %.1f", row->steal_ms);
		if (row->cpu_share >= 0)
			fprintf(f, ", \"cpu_share\": %.3f", row->cpu_share);
		if (bench_row_disturbed(row))
			fprintf(f, ", \"disturbed\": true");
		fputc('}', f);
	}
	fprintf(f, "\n  ],\n  \"checks\": [");
	for (uint32_t i = 0; i < r->nchecks; i++) {
		const struct bench_check *c = &r->checks[i];
		fprintf(f, "%s\n    {\"what\": ", i ? "," : "");
		json_str(f, c->what);
		fprintf(f, ", \"value\": ");
		json_num(f, c->value);
		fprintf(f, ", \"limit\": ");
		json_num(f, c->limit);
		fprintf(f, ", \"stretch\": %s, \"met\": %s, \"disturbed\": %s}",
			c->stretch ? "true" : "false", check_met(c) ? "true" : "false",
			c->disturbed ? "true" : "false");
	}
	fprintf(f, "\n  ]\n}\n");
}

int bench_report_write_json(const struct bench_report *r, const char *path, struct rt_err *err)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return rt_err_set(err, -ENAMETOOLONG, "json path '%s' is too long", path);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		int e = errno;
		return rt_err_set(err, -e, "write %s: %s", tmp, strerror(e));
	}
	write_json(r, f);
	int bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		int e = errno ? errno : EIO;
		unlink(tmp);
		return rt_err_set(err, -e, "write %s: %s", tmp, strerror(e));
	}
	if (rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		return rt_err_set(err, -e, "rename %s to %s: %s", tmp, path, strerror(e));
	}
	return 0;
}
