/*
 * insp_out.h — output for alluse-shm: a growable text buffer, a minimal JSON writer,
 * tables that print either aligned for people or as a JSON array of objects, and the
 * value formats the inspector uses (prices, durations, UTC times).
 *
 * Cold path only. A frame is built completely in memory and written with one
 * write(2), so `--watch` never shows a half-drawn screen. Allocation failure is
 * sticky (insp_buf.oom) and checked once by the caller; nothing here aborts.
 * Every _fini frees what its object allocated and is safe twice.
 */
#ifndef INSP_OUT_H
#define INSP_OUT_H

#include <stddef.h>
#include <stdint.h>

/* ---- text buffer ---------------------------------------------------------------- */

struct insp_buf {
	char *p; /* NUL-terminated when len > 0 */
	size_t len;
	size_t cap;
	int oom; /* an append failed: the content is incomplete */
};

void insp_buf_put(struct insp_buf *b, const char *s, size_t n);
void insp_buf_puts(struct insp_buf *b, const char *s);
void insp_buf_printf(struct insp_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A JSON string literal of s, quoted and escaped. Control characters and bytes
 * >= 0x80 are written as \u00XX, so the document is ASCII and always valid. */
void insp_buf_json_str(struct insp_buf *b, const char *s);
void insp_buf_reset(struct insp_buf *b);
void insp_buf_fini(struct insp_buf *b);

/* ---- JSON object writer --------------------------------------------------------- */

#define INSP_JSON_DEPTH 8

struct insp_json {
	struct insp_buf *b;
	int depth;
	int has_member[INSP_JSON_DEPTH]; /* a comma is due before the next member */
};

/* Open the top-level object '{'. */
void insp_json_begin(struct insp_json *j, struct insp_buf *b);
/* Emit `"key":` (with the comma if needed); the caller writes the value next. */
void insp_json_key(struct insp_json *j, const char *key);
void insp_json_str(struct insp_json *j, const char *key, const char *s);
void insp_json_u64(struct insp_json *j, const char *key, uint64_t v);
void insp_json_i64(struct insp_json *j, const char *key, int64_t v);
void insp_json_bool(struct insp_json *j, const char *key, int v);
void insp_json_null(struct insp_json *j, const char *key);
void insp_json_raw(struct insp_json *j, const char *key, const char *literal);
/* Open a nested object as the value of key (key NULL: an array element). */
void insp_json_obj(struct insp_json *j, const char *key);
/* Open an array value; elements are added with insp_json_obj(j, NULL) or raw text. */
void insp_json_arr(struct insp_json *j, const char *key);
/* Close the innermost object/array (obj: 1 for '}', 0 for ']'). */
void insp_json_close(struct insp_json *j, int obj);

/* ---- tables --------------------------------------------------------------------- */

struct insp_col {
	const char *title; /* human header, e.g. "BID" */
	const char *key; /* JSON member name, e.g. "bid" */
	int right; /* right-align in the human table (numbers) */
	int json_only; /* left out of the human table */
};

struct insp_cell {
	char *text; /* human text */
	char *json; /* JSON literal (number, quoted string, null, true...) */
};

struct insp_table {
	const struct insp_col *cols;
	unsigned ncols;
	struct insp_cell *cells; /* row-major */
	size_t ncells;
	size_t cap;
	int oom;
};

void insp_table_init(struct insp_table *t, const struct insp_col *cols, unsigned ncols);
void insp_table_fini(struct insp_table *t);
size_t insp_table_rows(const struct insp_table *t);

/* Append the next cell of the current row (rows fill left to right). */
void insp_cell(struct insp_table *t, const char *text, const char *json);
void insp_cell_str(struct insp_table *t, const char *s); /* text s, JSON "s" */
void insp_cell_u64(struct insp_table *t, uint64_t v);
void insp_cell_price(struct insp_table *t,
		     int64_t p); /* "612.84" for both; INT64_MIN (absent): null */
void insp_cell_null(struct insp_table *t); /* "-" / null */

/* Aligned columns separated by two spaces, a header line first, `indent` spaces
 * before each line (at most 32 columns). An empty table prints its header and "  (none)". */
void insp_table_print(const struct insp_table *t, struct insp_buf *b, unsigned indent);
/* As the value of the current JSON key: [{"key":literal,...},...]. */
void insp_table_json(const struct insp_table *t, struct insp_buf *b);

/* ---- value formats -------------------------------------------------------------- */

#define INSP_FMT_MAX 48

/* Price × 10^8 as a decimal with at least two and at most eight fraction digits,
 * formatted from the integer (612.84, 0.0001, -1.50), never through a double. */
void insp_fmt_price(char out[INSP_FMT_MAX], int64_t p);
/* Human duration: "850 ns", "12.3 us", "4.56 ms", "1.23 s", "5m03s", "2h07m". */
void insp_fmt_duration(char out[INSP_FMT_MAX], uint64_t ns);
/* ISO-8601 UTC with milliseconds: "2026-11-25T21:30:00.123Z". */
void insp_fmt_utc(char out[INSP_FMT_MAX], uint64_t wall_ns);

/* Copy a string field of the segment: reads at most `max` bytes of src (it may
 * lack its NUL if a writer is mid-update), always terminates dst, and replaces
 * control characters with '?' so nothing can drive the terminal. */
void insp_copy_str(char *dst, size_t dst_size, const char *src, size_t max);

#endif
