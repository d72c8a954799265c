#include "feeders/feed_replay.h"

#include "rt/rt_parse.h"
#include "shm/shm_price.h"
#include "workers/core/core_bars.h"
#include "workers/core/core_calendar.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define CSV_HEADER "time,symbol,bid,ask,last,bid_size,ask_size,last_size"

int feed_replay_open(struct feed_replay *r, const char *path, struct rt_err *err)
{
	memset(r, 0, offsetof(struct feed_replay, buf));
	snprintf(r->path, sizeof(r->path), "%s", path);
	r->f = fopen(path, "rb");
	if (!r->f)
		return rt_err_set(err, -errno, "replay file '%s': %s", path, strerror(errno));
	char magic[8];
	size_t n = fread(magic, 1, sizeof(magic), r->f);
	if (n == sizeof(magic) && memcmp(magic, FEED_REC_MAGIC, 8) == 0) {
		r->kind = FEED_REPLAY_BINARY;
		r->offset = 8;
		return 0;
	}
	rewind(r->f);
	r->kind = FEED_REPLAY_CSV;
	/* the header: first line that is not a comment */
	while (fgets(r->buf, sizeof(r->buf), r->f)) {
		r->line++;
		if (r->buf[0] == '#')
			continue;
		size_t len = strcspn(r->buf, "\r\n");
		r->buf[len] = '\0';
		if (strcmp(r->buf, CSV_HEADER) != 0) {
			int rc = rt_err_set(err, -EBADMSG,
					    "%s:%llu: header is '%.80s', expected '" CSV_HEADER
					    "' (or a binary recording starting with " FEED_REC_MAGIC
					    ")",
					    path, (unsigned long long)r->line, r->buf);
			feed_replay_close(r);
			return rc;
		}
		return 0;
	}
	int rc = rt_err_set(err, -EBADMSG,
			    "%s: empty file: expected the CSV header '" CSV_HEADER "'", path);
	feed_replay_close(r);
	return rc;
}

void feed_replay_close(struct feed_replay *r)
{
	if (r && r->f) {
		fclose(r->f);
		r->f = NULL;
	}
}

/* ns since epoch, or YYYY-MM-DDTHH:MM:SS[.fraction]Z */
static int parse_time(const char *s, uint64_t *out)
{
	if (rt_parse_u64(s, UINT64_MAX, out) == 0)
		return 0;
	int y, mo, d, h, mi, sec, n = 0;
	/* exactly YYYY-MM-DDTHH:MM:SS: sscanf alone would accept spaces and signs */
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	for (int i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return -EINVAL;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
		return -EINVAL;
	/* u64 ns since 1970 reaches 2554; refuse anything outside 1970..2262 */
	if (y < 1970 || y > 2262 || !core_calendar_date_valid(y * 10000 + mo * 100 + d) || h > 23 ||
	    mi > 59 || sec > 60)
		return -EINVAL;
	uint64_t frac = 0;
	const char *p = s + n;
	if (*p == '.') {
		int digits = 0;
		for (p++; isdigit((unsigned char)*p); p++, digits++)
			if (digits < 9)
				frac = frac * 10 + (uint64_t)(*p - '0');
		if (digits == 0)
			return -EINVAL;
		for (; digits < 9; digits++)
			frac *= 10;
	}
	if (strcmp(p, "Z") != 0)
		return -EINVAL;
	int64_t days = core_calendar_days_from_civil(y, (uint32_t)mo, (uint32_t)d);
	if (days < 0)
		return -EINVAL;
	*out = ((uint64_t)days * 86400 + (uint64_t)h * 3600 + (uint64_t)mi * 60 + (uint64_t)sec) *
		       1000000000ull +
	       frac;
	return 0;
}

/* price column: empty = absent, nan/inf = non-finite (flagged), else decimal */
static int parse_price(const char *s, int64_t *out, uint8_t *nonfinite)
{
	if (*s == '\0') {
		*out = INT64_MIN;
		return 0;
	}
	int rc = core_bars_parse_fixed(s, strlen(s), 8, out);
	if (rc == -EDOM || !strcasecmp(s, "nan") || !strcasecmp(s, "inf") ||
	    !strcasecmp(s, "-inf") || !strcasecmp(s, "+inf") || !strcasecmp(s, "infinity")) {
		*nonfinite = 1;
		*out = INT64_MIN;
		return 0;
	}
	return rc;
}

static int parse_size(const char *s, uint32_t *out)
{
	uint64_t v;
	if (*s == '\0') {
		*out = 0;
		return 0;
	}
	if (rt_parse_u64(s, UINT64_MAX, &v) || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static const char *const columns[8] = {"time", "symbol",   "bid",      "ask",
				       "last", "bid_size", "ask_size", "last_size"};

int feed_replay_next(struct feed_replay *r, struct feed_event *ev, struct rt_err *err)
{
	if (r->kind != FEED_REPLAY_CSV)
		return rt_err_set(err, -EINVAL, "%s: a binary recording has packets, not CSV lines",
				  r->path);
	for (;;) {
		if (!fgets(r->buf, sizeof(r->buf), r->f))
			return 0;
		r->line++;
		size_t len = strlen(r->buf);
		if (len == sizeof(r->buf) - 1 && r->buf[len - 1] != '\n') {
			int c;
			while ((c = fgetc(r->f)) != EOF && c != '\n')
				;
			return rt_err_set(err, -EBADMSG, "%s:%llu: line longer than %u bytes",
					  r->path, (unsigned long long)r->line,
					  FEED_REPLAY_LINE_MAX - 2);
		}
		r->buf[strcspn(r->buf, "\r\n")] = '\0';
		if (r->buf[0] == '#' || r->buf[0] == '\0')
			continue;
		break;
	}
	char *field[8];
	int nf = 0;
	char *p = r->buf;
	for (;;) {
		if (nf == 8)
			return rt_err_set(err, -EBADMSG, "%s:%llu: more than 8 columns", r->path,
					  (unsigned long long)r->line);
		field[nf++] = p;
		char *comma = strchr(p, ',');
		if (!comma)
			break;
		*comma = '\0';
		p = comma + 1;
	}
	if (nf != 8)
		return rt_err_set(err, -EBADMSG, "%s:%llu: %d columns, expected 8 (" CSV_HEADER ")",
				  r->path, (unsigned long long)r->line, nf);
	memset(ev, 0, sizeof(*ev));
	ev->src_key = FEED_SRC_KEY_NONE;
	struct feed_wire_msg *m = &ev->msg;
	m->type = FEED_WIRE_MSG_QUOTE;
	int bad = -1;
	if (parse_time(field[0], &ev->ts_ns))
		bad = 0;
	size_t sl = strlen(field[1]);
	if (bad < 0 && (sl == 0 || sl > FEED_WIRE_SYMBOL_MAX))
		bad = 1;
	for (size_t i = 0; bad < 0 && i < sl; i++)
		if (field[1][i] < 0x20 || field[1][i] > 0x7e)
			bad = 1;
	if (bad < 0)
		memcpy(m->symbol, field[1], sl + 1);
	if (bad < 0 && parse_price(field[2], &m->quote.bid, &ev->nonfinite))
		bad = 2;
	if (bad < 0 && parse_price(field[3], &m->quote.ask, &ev->nonfinite))
		bad = 3;
	if (bad < 0 && parse_price(field[4], &m->quote.last, &ev->nonfinite))
		bad = 4;
	if (bad < 0 && parse_size(field[5], &m->quote.bid_size))
		bad = 5;
	if (bad < 0 && parse_size(field[6], &m->quote.ask_size))
		bad = 6;
	if (bad < 0 && parse_size(field[7], &m->quote.last_size))
		bad = 7;
	if (bad >= 0)
		return rt_err_set(err, -EBADMSG, "%s:%llu: column '%s': '%.40s' is not valid%s",
				  r->path, (unsigned long long)r->line, columns[bad], field[bad],
				  bad == 0   ? " (ns since epoch or YYYY-MM-DDTHH:MM:SS[.f]Z)"
				  : bad == 1 ? " (1..31 printable characters)"
				  : bad <= 4 ? " (a decimal price, empty, nan or inf)"
					     : " (a whole number 0..4294967295)");
	m->quote.exch_ts_ns = ev->ts_ns;
	return 1;
}

int feed_replay_next_packet(struct feed_replay *r, const uint8_t **pkt, uint32_t *len,
			    uint64_t *recv_wall_ns, struct rt_err *err)
{
	if (r->kind != FEED_REPLAY_BINARY)
		return rt_err_set(err, -EINVAL, "%s: a CSV replay has lines, not packets", r->path);
	uint8_t hdr[12];
	size_t n = fread(hdr, 1, sizeof(hdr), r->f);
	if (n == 0)
		return 0;
	if (n != sizeof(hdr))
		return rt_err_set(
			err, -EBADMSG,
			"%s: record %llu at offset %llu is truncated (%zu of 12 header bytes)",
			r->path, (unsigned long long)r->line, (unsigned long long)r->offset, n);
	uint64_t ts = 0;
	uint32_t l = 0;
	for (int i = 7; i >= 0; i--)
		ts = ts << 8 | hdr[i];
	for (int i = 11; i >= 8; i--)
		l = l << 8 | hdr[i];
	if (l > sizeof(r->pkt))
		return rt_err_set(err, -EBADMSG,
				  "%s: record %llu at offset %llu claims %u bytes (max %zu)",
				  r->path, (unsigned long long)r->line,
				  (unsigned long long)r->offset, l, sizeof(r->pkt));
	if (fread(r->pkt, 1, l, r->f) != l)
		return rt_err_set(
			err, -EBADMSG,
			"%s: record %llu at offset %llu is truncated (packet of %u bytes)", r->path,
			(unsigned long long)r->line, (unsigned long long)r->offset, l);
	r->line++;
	r->offset += 12 + l;
	*pkt = r->pkt;
	*len = l;
	*recv_wall_ns = ts;
	return 1;
}

static void fmt_price(char *out, size_t n, int64_t p)
{
	if (p == INT64_MIN) {
		out[0] = '\0';
		return;
	}
	uint64_t a = p < 0 ? (uint64_t)(-(p + 1)) + 1 : (uint64_t)p;
	uint64_t whole = a / PRICE_SCALE, frac = a % PRICE_SCALE;
	int digits = 8;
	while (digits > 2 && frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(out, n, "%s%" PRIu64 ".%0*" PRIu64, p < 0 ? "-" : "", whole, digits, frac);
}

int feed_replay_write_csv_header(FILE *f)
{
	return fputs(CSV_HEADER "\n", f) < 0 ? -EIO : 0;
}

int feed_replay_write_csv(FILE *f, const struct feed_event *ev)
{
	if (ev->msg.type != FEED_WIRE_MSG_QUOTE)
		return 0;
	char b[32], a[32], l[32];
	fmt_price(b, sizeof(b), ev->msg.quote.bid);
	fmt_price(a, sizeof(a), ev->msg.quote.ask);
	fmt_price(l, sizeof(l), ev->msg.quote.last);
	return fprintf(f, "%" PRIu64 ",%s,%s,%s,%s,%u,%u,%u\n", ev->ts_ns, ev->msg.symbol, b, a, l,
		       ev->msg.quote.bid_size, ev->msg.quote.ask_size, ev->msg.quote.last_size) < 0
		       ? -EIO
		       : 0;
}

int feed_rec_open(FILE **f, const char *path, struct rt_err *err)
{
	*f = fopen(path, "wb");
	if (!*f)
		return rt_err_set(err, -errno, "recording '%s': %s", path, strerror(errno));
	if (fwrite(FEED_REC_MAGIC, 1, 8, *f) != 8) {
		fclose(*f);
		*f = NULL;
		return rt_err_set(err, -EIO, "recording '%s': cannot write the header", path);
	}
	return 0;
}

int feed_rec_append(FILE *f, const uint8_t *pkt, uint32_t len, uint64_t recv_wall_ns)
{
	uint8_t hdr[12];
	for (int i = 0; i < 8; i++)
		hdr[i] = (uint8_t)(recv_wall_ns >> (8 * i));
	for (int i = 0; i < 4; i++)
		hdr[8 + i] = (uint8_t)(len >> (8 * i));
	if (fwrite(hdr, 1, 12, f) != 12 || fwrite(pkt, 1, len, f) != len)
		return -EIO;
	return 0;
}

int feed_occ_parse(const char *symbol, struct feed_wire_msg *def)
{
	/* root (1..6, space padded to 6) + YYMMDD + P/C + 8 digits (strike × 1000) */
	if (strlen(symbol) != 21)
		return -EINVAL;
	char root[8];
	int rl = 0;
	for (int i = 0; i < 6; i++) {
		char c = symbol[i];
		if (c == ' ')
			break;
		if (!(isupper((unsigned char)c) || isdigit((unsigned char)c) || c == '.'))
			return -EINVAL;
		root[rl++] = c;
	}
	if (rl == 0)
		return -EINVAL;
	for (int i = rl; i < 6; i++)
		if (symbol[i] != ' ')
			return -EINVAL;
	root[rl] = '\0';
	for (int i = 6; i < 12; i++)
		if (!isdigit((unsigned char)symbol[i]))
			return -EINVAL;
	char right = symbol[12];
	if (right != 'P' && right != 'C')
		return -EINVAL;
	uint64_t milli = 0;
	for (int i = 13; i < 21; i++) {
		if (!isdigit((unsigned char)symbol[i]))
			return -EINVAL;
		milli = milli * 10 + (uint64_t)(symbol[i] - '0');
	}
	int yy = (symbol[6] - '0') * 10 + (symbol[7] - '0');
	int mm = (symbol[8] - '0') * 10 + (symbol[9] - '0');
	int dd = (symbol[10] - '0') * 10 + (symbol[11] - '0');
	int32_t ymd = (2000 + yy) * 10000 + mm * 100 + dd;
	if (!core_calendar_date_valid(ymd) || milli == 0)
		return -EINVAL;
	memset(def, 0, sizeof(*def));
	def->type = FEED_WIRE_MSG_DEF;
	memcpy(def->symbol, symbol, 22);
	memcpy(def->def.underlying, root, (size_t)rl + 1);
	def->def.kind = FEED_WIRE_OPTION;
	def->def.expiry = (uint32_t)ymd;
	def->def.right = (uint8_t)right;
	def->def.strike = (int64_t)milli * (PRICE_SCALE / 1000);
	return 0;
}
