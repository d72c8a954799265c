#include "rt/rt_err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int rt_err_set(struct rt_err *err, int code, const char *fmt, ...)
{
	if (!err)
		return code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->code = code;
	return code;
}

int rt_err_wrap(struct rt_err *err, const char *fmt, ...)
{
	if (!err)
		return -EIO;
	char ctx[RT_ERR_MSG_MAX];
	char old[RT_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	/* truncation keeps the outer context and cuts the innermost detail */
	size_t n = strnlen(ctx, sizeof(err->msg) - 3);
	memcpy(err->msg, ctx, n);
	memcpy(err->msg + n, ": ", 2);
	size_t room = sizeof(err->msg) - n - 3;
	size_t m = strnlen(old, room);
	memcpy(err->msg + n + 2, old, m);
	err->msg[n + 2 + m] = '\0';
	if (err->code == 0)
		err->code = -EIO;
	return err->code;
}

void rt_err_clear(struct rt_err *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}
