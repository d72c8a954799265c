/*
 * rt_log.h — structured log lines: `ts=... level=info proc=feeder msg="..." k=v ...`.
 *
 * Cold path only (never from a hot loop). One write(2) per line so lines from
 * several processes sharing stderr do not interleave. The key=value tail is
 * free-form printf text supplied by the caller.
 */
#ifndef RT_LOG_H
#define RT_LOG_H

enum rt_log_level { RT_LOG_DEBUG = 0, RT_LOG_INFO, RT_LOG_WARN, RT_LOG_ERROR };

/* Process name shown as proc=NAME (copied; default "alluse"). */
void rt_log_init(const char *proc, enum rt_log_level min_level);
/* Send log lines to fd (default 2). */
void rt_log_set_fd(int fd);

/* msg is quoted; fmt (may be NULL) is appended as the key=value tail. */
void rt_log(enum rt_log_level level, const char *msg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define rt_log_info(msg, ...) rt_log(RT_LOG_INFO, msg, __VA_ARGS__)
#define rt_log_warn(msg, ...) rt_log(RT_LOG_WARN, msg, __VA_ARGS__)
#define rt_log_error(msg, ...) rt_log(RT_LOG_ERROR, msg, __VA_ARGS__)
#define rt_log_debug(msg, ...) rt_log(RT_LOG_DEBUG, msg, __VA_ARGS__)

#endif
