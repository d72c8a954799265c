#include "workers/core/core_bars.h"
#include "workers/core/core_calendar.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PRICE_DIGITS 8 /* PRICE_SCALE = 10^8 */
#define MAX_FILE (1u << 30) /* bar files are kilobytes; anything this big is a mistake */
#define SHOW "%.*s" /* a field in a message, cut at SHOW_MAX bytes */
#define SHOW_MAX 40

enum col { COL_DATE, COL_OPEN, COL_HIGH, COL_LOW, COL_CLOSE, COL_VOLUME, COL_N };

static const char *const col_names[COL_N] = {"date", "open", "high", "low", "close", "volume"};
static const bool col_required[COL_N] = {true, true, true, true, true, false};

struct field {
	const char *p;
	size_t n;
};

static int show_len(struct field f)
{
	return (int)(f.n < SHOW_MAX ? f.n : SHOW_MAX);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool same_word(const char *s, size_t n, const char *word)
{
	size_t i = 0;
	for (; i < n && word[i]; i++)
		if (lower(s[i]) != word[i])
			return false;
	return i == n && word[i] == '\0';
}

/*
 * Exact decimal -> fixed point. The value is 0.d0 d1 d2 … × 10^point; scaled by
 * 10^scale the first k = point + scale digits are the integer part and d[k] decides
 * the rounding (≥ 5: away from zero, exact for a tie because the rest only adds).
 * `inexact` says whether a non-zero digit was dropped.
 */
static int parse_fixed(const char *s, size_t len, unsigned scale, int64_t *out, bool *inexact)
{
	size_t i = 0;
	bool neg = false;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	const char *rest = s + i;
	size_t rn = len - i;
	if (same_word(rest, rn, "nan") || same_word(rest, rn, "inf") ||
	    same_word(rest, rn, "infinity"))
		return -EDOM;

	size_t int_start = i;
	while (i < len && is_digit(s[i]))
		i++;
	size_t int_end = i, frac_start = i, frac_end = i;
	if (i < len && s[i] == '.') {
		frac_start = ++i;
		while (i < len && is_digit(s[i]))
			i++;
		frac_end = i;
	}
	if (int_end == int_start && frac_end == frac_start)
		return -EINVAL;
	int64_t exp10 = 0;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		bool eneg = false;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		if (i == len || !is_digit(s[i]))
			return -EINVAL;
		for (; i < len && is_digit(s[i]); i++)
			if (exp10 < 100000) /* saturate: anything beyond is 0 or out of range */
				exp10 = exp10 * 10 + (s[i] - '0');
		if (eneg)
			exp10 = -exp10;
	}
	if (i != len)
		return -EINVAL;

	size_t nint = int_end - int_start, nfrac = frac_end - frac_start;
	size_t ndig = nint + nfrac;
	int64_t k = (int64_t)nint + exp10 + (int64_t)scale;
	uint64_t acc = 0;
	*inexact = false;
	for (size_t j = 0; j < ndig; j++) {
		char c = j < nint ? s[int_start + j] : s[frac_start + j - nint];
		unsigned d = (unsigned)(c - '0');
		if ((int64_t)j < k) {
			if (acc > ((uint64_t)INT64_MAX - d) / 10)
				return -ERANGE;
			acc = acc * 10 + d;
		} else if ((int64_t)j == k) {
			if (d >= 5)
				acc++; /* at most INT64_MAX + 1: caught below */
			if (d)
				*inexact = true;
		} else if (d) {
			*inexact = true;
		}
	}
	if (acc && k > (int64_t)ndig) {
		for (int64_t j = (int64_t)ndig; j < k; j++) {
			if (acc > (uint64_t)INT64_MAX / 10)
				return -ERANGE;
			acc *= 10;
		}
	}
	if (acc > (uint64_t)INT64_MAX)
		return -ERANGE;
	*out = neg ? -(int64_t)acc : (int64_t)acc;
	return 0;
}

int core_bars_parse_fixed(const char *s, size_t len, unsigned scale_digits, int64_t *out)
{
	bool inexact;
	if (scale_digits > 18)
		return -EINVAL;
	return parse_fixed(s, len, scale_digits, out, &inexact);
}

/* "YYYY-MM-DD" -> YYYYMMDD, 0 when it is not a real day. */
static int32_t parse_date(struct field f)
{
	if (f.n != 10 || f.p[4] != '-' || f.p[7] != '-')
		return 0;
	int32_t v = 0;
	for (size_t i = 0; i < 10; i++) {
		if (i == 4 || i == 7)
			continue;
		if (!is_digit(f.p[i]))
			return 0;
		v = v * 10 + (f.p[i] - '0');
	}
	return core_calendar_date_valid(v) ? v : 0;
}

/* Split one line (no newline) into fields, trimmed. Returns the field count, which
 * may exceed max (only the first max are stored). */
static size_t split(const char *p, size_t n, struct field *f, size_t max)
{
	size_t count = 0, start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && p[i] != ',')
			continue;
		size_t a = start, b = i;
		while (a < b && is_blank(p[a]))
			a++;
		while (b > a && is_blank(p[b - 1]))
			b--;
		if (count < max)
			f[count] = (struct field){p + a, b - a};
		count++;
		start = i + 1;
	}
	return count;
}

/* The next line of text from *pos: strips LF / CRLF; returns false at the end. */
static bool next_line(const char *text, size_t len, size_t *pos, struct field *line)
{
	if (*pos >= len)
		return false;
	const char *s = text + *pos;
	const char *nl = memchr(s, '\n', len - *pos);
	size_t n = nl ? (size_t)(nl - s) : len - *pos;
	*pos += n + (nl ? 1 : 0);
	if (n && s[n - 1] == '\r')
		n--;
	*line = (struct field){s, n};
	return true;
}

static bool line_blank(struct field l)
{
	for (size_t i = 0; i < l.n; i++)
		if (!is_blank(l.p[i]))
			return false;
	return true;
}

#define MAX_COLS 64

struct header {
	size_t ncols;
	size_t idx[COL_N]; /* column index of each known column, SIZE_MAX = absent */
	struct field name[COL_N]; /* its spelling in the file, for messages */
};

static int parse_header(const char *name, size_t lineno, struct field line, struct header *h,
			struct rt_err *err)
{
	struct field f[MAX_COLS];
	size_t n = split(line.p, line.n, f, MAX_COLS);
	if (n > MAX_COLS)
		return rt_err_set(err, -EINVAL, "%s:%zu: %zu columns, at most %d are read", name,
				  lineno, n, MAX_COLS);
	h->ncols = n;
	for (int c = 0; c < COL_N; c++)
		h->idx[c] = SIZE_MAX;
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < COL_N; c++) {
			if (!same_word(f[i].p, f[i].n, col_names[c]))
				continue;
			if (h->idx[c] != SIZE_MAX)
				return rt_err_set(
					err, -EINVAL,
					"%s:%zu: column '" SHOW "' appears twice (columns "
					"%zu and %zu)",
					name, lineno, show_len(f[i]), f[i].p, h->idx[c] + 1, i + 1);
			h->idx[c] = i;
			h->name[c] = f[i];
		}
	for (int c = 0; c < COL_N; c++)
		if (col_required[c] && h->idx[c] == SIZE_MAX)
			return rt_err_set(err, -EINVAL,
					  "%s:%zu: no '%c%s' column in the header '%.*s' (need "
					  "Date, Open, High, Low, Close)",
					  name, lineno, col_names[c][0] - 'a' + 'A',
					  col_names[c] + 1, (int)(line.n < 200 ? line.n : 200),
					  line.p);
	return 0;
}

static int bad_number(const char *name, size_t lineno, struct field col, struct field v, int rc,
		      const char *what, struct rt_err *err)
{
	const char *why = rc == -EDOM     ? "is not finite"
			  : rc == -ERANGE ? "is out of range"
			  : rc == -EINVAL ? "is not a number"
					  : what;
	return rt_err_set(err, -EBADMSG, "%s:%zu: column '" SHOW "': '" SHOW "' %s", name, lineno,
			  show_len(col), col.p, show_len(v), v.p, why);
}

static int parse_row(const char *name, size_t lineno, struct field line, const struct header *h,
		     int32_t prev_date, size_t prev_line, struct core_bar *b, struct rt_err *err)
{
	struct field f[MAX_COLS];
	size_t n = split(line.p, line.n, f, MAX_COLS);
	if (n != h->ncols)
		return rt_err_set(err, -EBADMSG, "%s:%zu: %zu fields, the header has %zu", name,
				  lineno, n, h->ncols);

	memset(b, 0, sizeof(*b)); /* padding too: copies of bars compare with memcmp */
	struct field dcol = h->name[COL_DATE], dv = f[h->idx[COL_DATE]];
	b->date = parse_date(dv);
	if (!b->date)
		return rt_err_set(err, -EBADMSG,
				  "%s:%zu: column '" SHOW "': '" SHOW "' is not a "
				  "YYYY-MM-DD date",
				  name, lineno, show_len(dcol), dcol.p, show_len(dv), dv.p);
	if (prev_date && b->date <= prev_date)
		return rt_err_set(err, -EBADMSG,
				  "%s:%zu: column '" SHOW "': " SHOW " is not after %04d-%02d-%02d "
				  "(line %zu): dates must increase",
				  name, lineno, show_len(dcol), dcol.p, show_len(dv), dv.p,
				  prev_date / 10000, prev_date / 100 % 100, prev_date % 100,
				  prev_line);

	int64_t *dst[COL_N] = {NULL, &b->open, &b->high, &b->low, &b->close, &b->volume};
	for (int c = COL_OPEN; c <= COL_CLOSE; c++) {
		struct field v = f[h->idx[c]];
		bool inexact;
		int rc = parse_fixed(v.p, v.n, PRICE_DIGITS, dst[c], &inexact);
		if (rc == 0 && *dst[c] <= 0)
			rc = 1;
		if (rc)
			return bad_number(name, lineno, h->name[c], v, rc,
					  "is not a positive price", err);
	}
	b->volume = 0;
	if (h->idx[COL_VOLUME] != SIZE_MAX) {
		struct field v = f[h->idx[COL_VOLUME]];
		bool inexact;
		int rc = parse_fixed(v.p, v.n, 0, &b->volume, &inexact);
		if (rc == 0 && (inexact || b->volume < 0))
			rc = 1;
		if (rc)
			return bad_number(name, lineno, h->name[COL_VOLUME], v, rc,
					  "is not a whole number >= 0", err);
	}
	if (b->high < b->low) {
		struct field hc = h->name[COL_HIGH], hv = f[h->idx[COL_HIGH]];
		struct field lv = f[h->idx[COL_LOW]];
		return rt_err_set(err, -EBADMSG,
				  "%s:%zu: column '" SHOW "': '" SHOW "' is below low '" SHOW "'",
				  name, lineno, show_len(hc), hc.p, show_len(hv), hv.p,
				  show_len(lv), lv.p);
	}
	return 0;
}

int core_bars_parse(const char *name, const char *text, size_t len, struct core_bar *out,
		    size_t cap, struct rt_err *err)
{
	size_t pos = 0, lineno = 0;
	struct field line;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;
	bool have_header = false;
	while (!have_header && next_line(text, len, &pos, &line)) {
		lineno++;
		have_header = !line_blank(line);
	}
	if (!have_header)
		return rt_err_set(err, -ENODATA, "%s: empty file", name);
	struct header h = {0};
	int rc = parse_header(name, lineno, line, &h, err);
	if (rc)
		return rc;

	size_t count = 0, prev_line = 0;
	int32_t prev_date = 0;
	while (next_line(text, len, &pos, &line)) {
		lineno++;
		if (line_blank(line))
			continue;
		struct core_bar b;
		rc = parse_row(name, lineno, line, &h, prev_date, prev_line, &b, err);
		if (rc)
			return rc;
		if (count == (size_t)INT_MAX)
			return rt_err_set(err, -EOVERFLOW, "%s:%zu: more than %d rows", name,
					  lineno, INT_MAX);
		if (cap) {
			if (count >= cap)
				return rt_err_set(err, -ENOSPC, "%s:%zu: more than %zu rows fit",
						  name, lineno, cap);
			out[count] = b;
		}
		count++;
		prev_date = b.date;
		prev_line = lineno;
	}
	if (count == 0)
		return rt_err_set(err, -ENODATA, "%s: no rows after the header", name);
	return (int)count;
}

static int read_file(const char *path, char **text, size_t *len, struct rt_err *err)
{
	*text = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rt_err_set(err, -errno, "%s: cannot open: %s", path, strerror(errno));
	int rc = 0;
	char *buf = NULL;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		rc = rt_err_set(err, -errno, "%s: cannot stat: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = rt_err_set(err, -EINVAL, "%s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > MAX_FILE) {
		rc = rt_err_set(err, -EFBIG, "%s: %lld bytes, more than a bar file can be", path,
				(long long)st.st_size);
		goto out;
	}
	size_t size = (size_t)st.st_size, got = 0;
	buf = malloc(size + 1);
	if (!buf) {
		rc = rt_err_set(err, -ENOMEM, "%s: no memory for %zu bytes", path, size);
		goto out;
	}
	while (got < size) {
		ssize_t r = read(fd, buf + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = rt_err_set(err, -errno, "%s: read: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break; /* truncated under us: parse what is there */
		got += (size_t)r;
	}
	buf[got] = '\0';
	*text = buf;
	*len = got;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

int core_bars_load_into(const char *path, struct core_bar *out, size_t cap, struct rt_err *err)
{
	char *text;
	size_t len;
	int rc = read_file(path, &text, &len, err);
	if (rc)
		return rc;
	rc = core_bars_parse(path, text, len, out, cap, err);
	free(text);
	return rc;
}

int core_bars_load(const char *path, struct core_bar **bars, size_t *count, struct rt_err *err)
{
	*bars = NULL;
	*count = 0;
	char *text;
	size_t len;
	int rc = read_file(path, &text, &len, err);
	if (rc)
		return rc;
	struct core_bar *b = NULL;
	int n = core_bars_parse(path, text, len, NULL, 0, err);
	if (n < 0) {
		rc = n;
		goto out;
	}
	b = malloc((size_t)n * sizeof(*b));
	if (!b) {
		rc = rt_err_set(err, -ENOMEM, "%s: no memory for %d bars", path, n);
		goto out;
	}
	rc = core_bars_parse(path, text, len, b, (size_t)n, err);
	if (rc < 0)
		goto out;
	*bars = b;
	*count = (size_t)n;
	b = NULL;
	rc = 0;
out:
	free(b);
	free(text);
	return rc;
}

void core_bars_free(struct core_bar *bars)
{
	free(bars);
}
