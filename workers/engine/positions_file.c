#include "workers/engine/positions_file.h"

#include "rt/rt_parse.h"
#include "workers/core/core_bars.h"
#include "workers/core/core_calendar.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER "id,account,underlying,right,strike,expiry,contracts"

static const char *const cols[7] = {"id",     "account", "underlying", "right",
				    "strike", "expiry",  "contracts"};

static int parse_line(char *line, struct shm_posctl *c, int *bad_col, const char **why)
{
	char *f[8];
	int n = 0;
	for (char *p = line;; n++) {
		if (n == 7) {
			*bad_col = -1;
			*why = "more than 7 columns (" HEADER ")";
			return -EBADMSG;
		}
		f[n] = p;
		char *comma = strchr(p, ',');
		if (!comma) {
			n++;
			break;
		}
		*comma = '\0';
		p = comma + 1;
	}
	if (n != 7) {
		*bad_col = -1;
		*why = "fewer than 7 columns (" HEADER ")";
		return -EBADMSG;
	}
	for (int i = 0; i < 7; i++) { /* trim spaces */
		while (*f[i] == ' ')
			f[i]++;
		size_t l = strlen(f[i]);
		while (l && f[i][l - 1] == ' ')
			f[i][--l] = '\0';
	}
	memset(c, 0, sizeof(*c));
	c->op = SHM_POSCTL_ADD;
	uint64_t v;
	if (rt_parse_u64(f[0], UINT32_MAX, &v) || v == 0) {
		*bad_col = 0;
		*why = "a whole number 1..4294967295";
		return -EBADMSG;
	}
	c->pos_id = (uint32_t)v;
	size_t al = strlen(f[1]);
	int ok = al >= 1 && al < sizeof(c->account);
	for (size_t i = 0; ok && i < al; i++)
		ok = islower((unsigned char)f[1][i]) || isdigit((unsigned char)f[1][i]) ||
		     f[1][i] == '-';
	if (!ok) {
		*bad_col = 1;
		*why = "1..11 characters from a-z 0-9 -";
		return -EBADMSG;
	}
	memcpy(c->account, f[1], al + 1);
	size_t ul = strlen(f[2]);
	ok = ul >= 1 && ul <= 6;
	for (size_t i = 0; ok && i < ul; i++)
		ok = isupper((unsigned char)f[2][i]) || isdigit((unsigned char)f[2][i]) ||
		     f[2][i] == '.';
	if (!ok) {
		*bad_col = 2;
		*why = "a ticker of 1..6 characters from A-Z 0-9 .";
		return -EBADMSG;
	}
	memcpy(c->underlying, f[2], ul + 1);
	if (strcmp(f[3], "P") && strcmp(f[3], "C")) {
		*bad_col = 3;
		*why = "P or C";
		return -EBADMSG;
	}
	c->right = (uint8_t)f[3][0];
	int64_t strike;
	const char *dot = strchr(f[4], '.');
	if (core_bars_parse_fixed(f[4], strlen(f[4]), 8, &strike) || strike <= 0 ||
	    strike % 100000 != 0 || strike > 99999999ll * 100000 || (dot && strlen(dot + 1) > 3) ||
	    strpbrk(f[4], "eE+-")) {
		*bad_col = 4;
		*why = "a price > 0 with at most 3 decimals, e.g. 180.00";
		return -EBADMSG;
	}
	c->strike = strike;
	int y, m, d, consumed = 0;
	if (strlen(f[5]) != 10 || sscanf(f[5], "%4d-%2d-%2d%n", &y, &m, &d, &consumed) != 3 ||
	    consumed != 10 || !core_calendar_date_valid(y * 10000 + m * 100 + d) || y < 2000 ||
	    y > 2099) {
		*bad_col = 5;
		*why = "a date YYYY-MM-DD in 2000..2099";
		return -EBADMSG;
	}
	c->expiry = (uint32_t)(y * 10000 + m * 100 + d);
	if (rt_parse_u64(f[6], 1000000, &v) || v == 0) {
		*bad_col = 6;
		*why = "a whole number of short contracts 1..1000000";
		return -EBADMSG;
	}
	c->contracts = (uint32_t)v;
	return 0;
}

int posfile_parse(const char *name, const char *text, size_t len, struct shm_posctl *out,
		  size_t cap, struct rt_err *err)
{
	size_t n = 0;
	uint32_t lineno = 0;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		lineno++;
		char line[512];
		if (l >= sizeof(line))
			return rt_err_set(err, -EBADMSG, "%s:%u: line longer than %zu bytes", name,
					  lineno, sizeof(line) - 1);
		memcpy(line, p, l);
		line[l] = '\0';
		if (l && line[l - 1] == '\r')
			line[--l] = '\0';
		p = nl ? nl + 1 : end;
		const char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#' || strcmp(s, HEADER) == 0)
			continue;
		if (memchr(line, '\0', l))
			return rt_err_set(err, -EBADMSG, "%s:%u: NUL byte in the line", name,
					  lineno);
		struct shm_posctl c;
		int col = -1;
		const char *why = "";
		char copy[512];
		memcpy(copy, line, l + 1);
		if (parse_line(line, &c, &col, &why)) {
			if (col < 0)
				return rt_err_set(err, -EBADMSG, "%s:%u: %s", name, lineno, why);
			/* re-split the copy to quote the bad field */
			char *fld = copy;
			for (int i = 0; i < col; i++)
				fld = strchr(fld, ',') + 1;
			char *comma = strchr(fld, ',');
			if (comma)
				*comma = '\0';
			return rt_err_set(err, -EBADMSG,
					  "%s:%u: column '%s': '%.40s' is not valid (allowed: %s)",
					  name, lineno, cols[col], fld, why);
		}
		for (size_t i = 0; i < n; i++)
			if (out[i].pos_id == c.pos_id)
				return rt_err_set(
					err, -EEXIST,
					"%s:%u: column 'id': position %u is already defined", name,
					lineno, c.pos_id);
		if (n >= cap)
			return rt_err_set(err, -ENOSPC, "%s:%u: more than %zu positions", name,
					  lineno, cap);
		out[n++] = c;
	}
	return (int)n;
}

int posfile_load(const char *path, struct shm_posctl *out, size_t cap, struct rt_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return rt_err_set(err, -errno, "positions file '%s': %s", path, strerror(errno));
	size_t size = 0, capb = 65536;
	char *buf = malloc(capb);
	if (!buf) {
		fclose(f);
		return rt_err_set(err, -ENOMEM, "positions file '%s': out of memory", path);
	}
	size_t r;
	while ((r = fread(buf + size, 1, capb - size, f)) > 0) {
		size += r;
		if (size == capb) {
			if (capb >= (64u << 20)) {
				free(buf);
				fclose(f);
				return rt_err_set(err, -EFBIG,
						  "positions file '%s' is larger than 64 MiB",
						  path);
			}
			char *nb = realloc(buf, capb * 2);
			if (!nb) {
				free(buf);
				fclose(f);
				return rt_err_set(err, -ENOMEM,
						  "positions file '%s': out of memory", path);
			}
			buf = nb;
			capb *= 2;
		}
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		return rt_err_set(err, -EIO, "positions file '%s': read error", path);
	}
	int rc = posfile_parse(path, buf, size, out, cap, err);
	free(buf);
	return rc;
}
