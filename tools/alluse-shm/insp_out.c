#include "tools/alluse-shm/insp_out.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- text buffer ---------------------------------------------------------------- */

static int buf_reserve(struct insp_buf *b, size_t more)
{
	if (b->oom)
		return -1;
	if (b->len + more + 1 <= b->cap)
		return 0;
	size_t nc = b->cap ? b->cap : 4096;
	while (nc < b->len + more + 1)
		nc *= 2;
	char *np = realloc(b->p, nc);
	if (!np) {
		b->oom = 1;
		return -1;
	}
	b->p = np;
	b->cap = nc;
	return 0;
}

void insp_buf_put(struct insp_buf *b, const char *s, size_t n)
{
	if (buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void insp_buf_puts(struct insp_buf *b, const char *s)
{
	insp_buf_put(b, s, strlen(s));
}

void insp_buf_printf(struct insp_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		insp_buf_put(b, small, (size_t)n);
		return;
	}
	if (buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Length of the well-formed UTF-8 sequence at s (1..4), or 0 if it is not one:
 * JSON text must be valid Unicode, and a label may hold anything. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void insp_buf_json_str(struct insp_buf *b, const char *s)
{
	insp_buf_put(b, "\"", 1);
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned char c = *p;
		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};
			insp_buf_put(b, esc, 2);
			p++;
		} else if (c == '\n') {
			insp_buf_puts(b, "\\n");
			p++;
		} else if (c == '\t') {
			insp_buf_puts(b, "\\t");
			p++;
		} else if (c < 0x20 || c == 0x7f) {
			insp_buf_printf(b, "\\u%04x", c);
			p++;
		} else if (c < 0x80) {
			insp_buf_put(b, (const char *)p, 1);
			p++;
		} else {
			size_t n = utf8_len(p);
			if (n) {
				insp_buf_put(b, (const char *)p, n);
				p += n;
			} else {
				insp_buf_puts(b, "\\ufffd");
				p++;
			}
		}
	}
	insp_buf_put(b, "\"", 1);
}

void insp_buf_reset(struct insp_buf *b)
{
	b->len = 0;
	b->oom = 0;
	if (b->p)
		b->p[0] = '\0';
}

void insp_buf_fini(struct insp_buf *b)
{
	if (!b)
		return;
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ---- JSON object writer --------------------------------------------------------- */

void insp_json_begin(struct insp_json *j, struct insp_buf *b)
{
	memset(j, 0, sizeof(*j));
	j->b = b;
	insp_buf_puts(b, "{");
}

static void json_sep(struct insp_json *j)
{
	if (j->has_member[j->depth])
		insp_buf_puts(j->b, ",");
	j->has_member[j->depth] = 1;
}

void insp_json_key(struct insp_json *j, const char *key)
{
	json_sep(j);
	if (key) {
		insp_buf_json_str(j->b, key);
		insp_buf_puts(j->b, ":");
	}
}

void insp_json_str(struct insp_json *j, const char *key, const char *s)
{
	insp_json_key(j, key);
	insp_buf_json_str(j->b, s);
}

void insp_json_u64(struct insp_json *j, const char *key, uint64_t v)
{
	insp_json_key(j, key);
	insp_buf_printf(j->b, "%" PRIu64, v);
}

void insp_json_i64(struct insp_json *j, const char *key, int64_t v)
{
	insp_json_key(j, key);
	insp_buf_printf(j->b, "%" PRId64, v);
}

void insp_json_bool(struct insp_json *j, const char *key, int v)
{
	insp_json_raw(j, key, v ? "true" : "false");
}

void insp_json_null(struct insp_json *j, const char *key)
{
	insp_json_raw(j, key, "null");
}

void insp_json_raw(struct insp_json *j, const char *key, const char *literal)
{
	insp_json_key(j, key);
	insp_buf_puts(j->b, literal);
}

static void json_open(struct insp_json *j, const char *key, const char *bracket)
{
	insp_json_key(j, key);
	insp_buf_puts(j->b, bracket);
	if (j->depth + 1 < INSP_JSON_DEPTH) {
		j->depth++;
		j->has_member[j->depth] = 0;
	}
}

void insp_json_obj(struct insp_json *j, const char *key)
{
	json_open(j, key, "{");
}

void insp_json_arr(struct insp_json *j, const char *key)
{
	json_open(j, key, "[");
}

void insp_json_close(struct insp_json *j, int obj)
{
	insp_buf_puts(j->b, obj ? "}" : "]");
	if (j->depth > 0)
		j->depth--;
}

/* ---- tables --------------------------------------------------------------------- */

void insp_table_init(struct insp_table *t, const struct insp_col *cols, unsigned ncols)
{
	memset(t, 0, sizeof(*t));
	t->cols = cols;
	t->ncols = ncols;
}

void insp_table_fini(struct insp_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ncells; i++) {
		free(t->cells[i].text);
		free(t->cells[i].json);
	}
	free(t->cells);
	t->cells = NULL;
	t->ncells = t->cap = 0;
}

size_t insp_table_rows(const struct insp_table *t)
{
	return t->ncols ? t->ncells / t->ncols : 0;
}

void insp_cell(struct insp_table *t, const char *text, const char *json)
{
	if (t->oom)
		return;
	if (t->ncells == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 64;
		struct insp_cell *n = realloc(t->cells, nc * sizeof(*n));
		if (!n) {
			t->oom = 1;
			return;
		}
		t->cells = n;
		t->cap = nc;
	}
	char *tx = strdup(text);
	char *js = strdup(json);
	if (!tx || !js) {
		free(tx);
		free(js);
		t->oom = 1;
		return;
	}
	t->cells[t->ncells].text = tx;
	t->cells[t->ncells].json = js;
	t->ncells++;
}

void insp_cell_str(struct insp_table *t, const char *s)
{
	struct insp_buf js = {0};
	insp_buf_json_str(&js, s);
	if (js.oom)
		t->oom = 1;
	else
		insp_cell(t, s, js.p);
	insp_buf_fini(&js);
}

void insp_cell_u64(struct insp_table *t, uint64_t v)
{
	char s[24];
	snprintf(s, sizeof(s), "%" PRIu64, v);
	insp_cell(t, s, s);
}

void insp_cell_price(struct insp_table *t, int64_t p)
{
	if (p == INT64_MIN) { /* the feed's "absent" price */
		insp_cell_null(t);
		return;
	}
	char s[INSP_FMT_MAX];
	insp_fmt_price(s, p);
	insp_cell(t, s, s);
}

void insp_cell_null(struct insp_table *t)
{
	insp_cell(t, "-", "null");
}

static void pad(struct insp_buf *b, size_t n)
{
	static const char spaces[] = "                                ";
	while (n > 0) {
		size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
		insp_buf_put(b, spaces, k);
		n -= k;
	}
}

static void print_row(struct insp_buf *b, const struct insp_table *t, const size_t *w,
		      const char *const *texts, unsigned indent)
{
	unsigned last = 0;
	for (unsigned c = 0; c < t->ncols; c++)
		if (!t->cols[c].json_only)
			last = c;
	pad(b, indent);
	for (unsigned c = 0; c < t->ncols; c++) {
		if (t->cols[c].json_only)
			continue;
		size_t len = strlen(texts[c]);
		if (t->cols[c].right)
			pad(b, w[c] - len);
		insp_buf_puts(b, texts[c]);
		if (c != last) {
			if (!t->cols[c].right)
				pad(b, w[c] - len);
			insp_buf_puts(b, "  ");
		}
	}
	insp_buf_puts(b, "\n");
}

void insp_table_print(const struct insp_table *t, struct insp_buf *b, unsigned indent)
{
	enum { MAX_COLS = 32 };
	size_t w[MAX_COLS] = {0};
	const char *texts[MAX_COLS];
	if (t->ncols == 0 || t->ncols > MAX_COLS)
		return;
	for (unsigned c = 0; c < t->ncols; c++)
		w[c] = strlen(t->cols[c].title);
	for (size_t i = 0; i < t->ncells; i++) {
		size_t len = strlen(t->cells[i].text);
		unsigned c = (unsigned)(i % t->ncols);
		if (len > w[c])
			w[c] = len;
	}
	for (unsigned c = 0; c < t->ncols; c++)
		texts[c] = t->cols[c].title;
	print_row(b, t, w, texts, indent);
	size_t rows = insp_table_rows(t);
	for (size_t r = 0; r < rows; r++) {
		for (unsigned c = 0; c < t->ncols; c++)
			texts[c] = t->cells[r * t->ncols + c].text;
		print_row(b, t, w, texts, indent);
	}
	if (rows == 0) {
		pad(b, indent);
		insp_buf_puts(b, "(none)\n");
	}
}

void insp_table_json(const struct insp_table *t, struct insp_buf *b)
{
	insp_buf_puts(b, "[");
	size_t rows = insp_table_rows(t);
	for (size_t r = 0; r < rows; r++) {
		insp_buf_puts(b, r ? ",{" : "{");
		for (unsigned c = 0; c < t->ncols; c++) {
			if (c)
				insp_buf_puts(b, ",");
			insp_buf_json_str(b, t->cols[c].key);
			insp_buf_puts(b, ":");
			insp_buf_puts(b, t->cells[r * t->ncols + c].json);
		}
		insp_buf_puts(b, "}");
	}
	insp_buf_puts(b, "]");
}

/* ---- value formats -------------------------------------------------------------- */

void insp_fmt_price(char out[INSP_FMT_MAX], int64_t p)
{
	/* magnitude in unsigned arithmetic: -INT64_MIN does not fit an int64_t */
	uint64_t a = p < 0 ? (uint64_t)0 - (uint64_t)p : (uint64_t)p;
	uint64_t whole = a / 100000000u, frac = a % 100000000u;
	char f[16];
	snprintf(f, sizeof(f), "%08" PRIu64, frac);
	size_t n = 8;
	while (n > 2 && f[n - 1] == '0')
		n--;
	f[n] = '\0';
	snprintf(out, INSP_FMT_MAX, "%s%" PRIu64 ".%s", p < 0 ? "-" : "", whole, f);
}

void insp_fmt_duration(char out[INSP_FMT_MAX], uint64_t ns)
{
	if (ns < 1000u)
		snprintf(out, INSP_FMT_MAX, "%" PRIu64 " ns", ns);
	else if (ns < 1000000u)
		snprintf(out, INSP_FMT_MAX, "%.1f us", (double)ns / 1e3);
	else if (ns < 1000000000u)
		snprintf(out, INSP_FMT_MAX, "%.2f ms", (double)ns / 1e6);
	else if (ns < 60000000000u)
		snprintf(out, INSP_FMT_MAX, "%.2f s", (double)ns / 1e9);
	else if (ns < 3600000000000u)
		snprintf(out, INSP_FMT_MAX, "%" PRIu64 "m%02" PRIu64 "s", ns / 60000000000u,
			 ns / 1000000000u % 60);
	else
		snprintf(out, INSP_FMT_MAX, "%" PRIu64 "h%02" PRIu64 "m", ns / 3600000000000u,
			 ns / 60000000000u % 60);
}

void insp_fmt_utc(char out[INSP_FMT_MAX], uint64_t wall_ns)
{
	time_t secs = (time_t)(wall_ns / 1000000000u);
	struct tm tm;
	if (!gmtime_r(&secs, &tm)) {
		snprintf(out, INSP_FMT_MAX, "@%" PRIu64 "ns", wall_ns);
		return;
	}
	char date[32];
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, INSP_FMT_MAX, "%s.%03uZ", date, (unsigned)(wall_ns / 1000000u % 1000u));
}

void insp_copy_str(char *dst, size_t dst_size, const char *src, size_t max)
{
	if (dst_size == 0)
		return;
	size_t n = 0;
	while (n < max && n + 1 < dst_size) {
		/* plain loads: strings are published before the count that covers them
		 * (acquired by the caller), so the bound only guards a corrupt copy */
		char c = src[n];
		if (c == '\0')
			break;
		dst[n++] = ((unsigned char)c < 0x20 || c == 0x7f) ? '?' : c;
	}
	dst[n] = '\0';
}
