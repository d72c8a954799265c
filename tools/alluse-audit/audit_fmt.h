/*
 * audit_fmt.h — how alluse-audit prints a journal record: one line of text
 * (`key=value` pairs after a fixed prefix) or one JSON object per line, with the
 * typed payload decoded by kind (docs/audit-format.md). Cold path.
 */
#ifndef AUDIT_FMT_H
#define AUDIT_FMT_H

#include "workers/audit/audit_rec.h"

#include <stdint.h>
#include <stdio.h>

/* Print v (found at file/off) as text or JSON, followed by a newline. */
void audit_fmt_record(FILE *out, const struct audit_rec_view *v, int json);

/* "2026-01-02T14:30:00.123456789Z" (UTC) into out (40 bytes). */
const char *audit_fmt_time(uint64_t ns, char out[40]);
/* ns since the epoch from "123456789" (ns) or "YYYY-MM-DDTHH:MM:SS[.fraction][Z]"
 * (UTC) or "YYYY-MM-DD". 0 on success, -EINVAL otherwise. */
int audit_parse_time(const char *s, uint64_t *ns);

#endif
