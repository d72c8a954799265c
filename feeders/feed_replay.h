/*
 * feed_replay.h — recorded quote files (docs/replay-format.md).
 *
 * Two forms, told apart by their first bytes:
 *  - CSV (text): a header line
 *      time,symbol,bid,ask,last,bid_size,ask_size,last_size
 *    then one quote per line; `time` is ns since the Unix epoch or ISO-8601 UTC
 *    (2026-11-23T14:30:00.000123456Z); prices are decimals (empty = absent; nan/inf
 *    are read and flagged non-finite, so the feeder rejects and counts them). An OCC
 *    option symbol ("AAPL  201211C00060000") that the directory does not know is
 *    defined from the symbol itself. Lines starting with '#' are comments.
 *  - binary: the packets a feeder received, as alluse-record writes them: the magic
 *    "ALUREC01" (8 bytes), then records of { recv_wall_ns u64 LE, len u32 LE,
 *    packet bytes[len] } — replayed through the wire decoder.
 *
 * Reading never allocates per record; a bad CSV line is reported with file:line and
 * skipped (the caller counts it as malformed), a truncated binary record ends the file
 * with an error naming its offset.
 */
#ifndef FEED_REPLAY_H
#define FEED_REPLAY_H

#include "feeders/feed_event.h"
#include "rt/rt_err.h"

#include <stdint.h>
#include <stdio.h>

#define FEED_REC_MAGIC "ALUREC01"
#define FEED_REPLAY_LINE_MAX 512u

enum feed_replay_kind { FEED_REPLAY_CSV = 1, FEED_REPLAY_BINARY = 2 };

struct feed_replay {
	FILE *f;
	char path[256];
	int kind; /* enum feed_replay_kind */
	uint64_t line; /* CSV: current line number; binary: record number */
	uint64_t offset; /* binary: byte offset of the next record */
	char buf[FEED_REPLAY_LINE_MAX];
	uint8_t pkt[65536];
};

/* Open and detect the form. -ENOENT/-EACCES..., -EBADMSG for a CSV with a wrong
 * header (naming the expected columns). */
int feed_replay_open(struct feed_replay *r, const char *path, struct rt_err *err);
void feed_replay_close(struct feed_replay *r);

/* CSV: the next event. 1 = got one, 0 = end of file, -EBADMSG = this line is bad
 * (err names file:line and the column; call again for the next line). */
int feed_replay_next(struct feed_replay *r, struct feed_event *ev, struct rt_err *err);

/* Binary: the next recorded packet. 1 = got one (*pkt points into r, valid until the
 * next call), 0 = end, -EBADMSG = truncated record (err names the offset). */
int feed_replay_next_packet(struct feed_replay *r, const uint8_t **pkt, uint32_t *len,
			    uint64_t *recv_wall_ns, struct rt_err *err);

/* Write one CSV line for a quote event (the inverse of feed_replay_next). */
int feed_replay_write_csv(FILE *f, const struct feed_event *ev);
/* Write the CSV header line. */
int feed_replay_write_csv_header(FILE *f);

/* Recorder: open a binary file (writes the magic), append one packet. */
int feed_rec_open(FILE **f, const char *path, struct rt_err *err);
int feed_rec_append(FILE *f, const uint8_t *pkt, uint32_t len, uint64_t recv_wall_ns);

/* Parse an OCC option symbol into a definition message. -EINVAL if it is not one. */
int feed_occ_parse(const char *symbol, struct feed_wire_msg *def);

#endif
