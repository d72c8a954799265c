#include "rt/rt_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char g_proc[32] = "alluse";
static enum rt_log_level g_min = RT_LOG_INFO;
static int g_fd = 2;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void rt_log_init(const char *proc, enum rt_log_level min_level)
{
	if (proc)
		snprintf(g_proc, sizeof(g_proc), "%s", proc);
	g_min = min_level;
}

void rt_log_set_fd(int fd)
{
	g_fd = fd;
}

void rt_log(enum rt_log_level level, const char *msg, const char *fmt, ...)
{
	if (level < g_min)
		return;
	char line[2048];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(
		line, sizeof(line),
		"ts=%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ level=%s proc=%s pid=%d msg=\"%s\"",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		ts.tv_nsec / 1000, level_names[level], g_proc, (int)getpid(), msg);
	if (fmt && *fmt && n > 0 && (size_t)n < sizeof(line) - 2) {
		line[n++] = ' ';
		va_list ap;
		va_start(ap, fmt);
		int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
		va_end(ap);
		n = m < 0 ? n : n + m;
	}
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	ssize_t w = write(g_fd, line, (size_t)n);
	(void)w;
}
