/*
 * rt_parse.h — strict parsing of operator- and file-supplied numbers (cold path).
 */
#ifndef RT_PARSE_H
#define RT_PARSE_H

#include <stdint.h>

/* s is exactly a decimal whole number (digits only: no sign, space or suffix) not
 * above max. 0 and *out, or -EINVAL (not a number) / -ERANGE (above max). */
int rt_parse_u64(const char *s, uint64_t max, uint64_t *out);

#endif
