/*
 * rt_err.h — error context for cold paths (Aeron's set/append pair).
 *
 * The first failure records an errno-style code and what went wrong; each caller on
 * the way up prepends what it was doing, so the top prints one line such as
 *   "attaching worker 2: shm alluse.dev: layout version 3, this build reads 4".
 * The struct is caller-owned storage (init by zeroing); nothing allocates.
 */
#ifndef RT_ERR_H
#define RT_ERR_H

#include <stddef.h>

#define RT_ERR_MSG_MAX 1024

struct rt_err {
	int code; /* negative errno of the first cause, 0 = none */
	char msg[RT_ERR_MSG_MAX]; /* "outer: inner: first cause" */
};

/* Record the first cause. Returns `code` (a negative errno) so callers can
 * `return rt_err_set(err, -EINVAL, "...")`. err may be NULL. */
int rt_err_set(struct rt_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepend "<context>: " to the message. Returns err->code (or -EIO if unset). */
int rt_err_wrap(struct rt_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void rt_err_clear(struct rt_err *err);

#endif
