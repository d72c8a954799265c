#include "workers/audit/audit_journal.h"

#include "rt/rt_clock.h"
#include "workers/audit/audit_chain.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define TAG_WRITE 1u
#define TAG_FSYNC 2u
#define NSRC (SHM_AUDIT_SRC_MAX + 1u)

struct jbuf {
	uint8_t *data;
	uint32_t cap;
	uint32_t len;
	uint32_t nrec;
	uint32_t rec_start; /* offset of the first record (after a file header) */
	uint32_t done; /* bytes written so far (short writes resume here) */
	int sealed; /* commit now; no more appends */
	int short_write;
	int fd;
	uint64_t file_off; /* where data[0] goes in the file */
	char file[AUDIT_FILE_NAME_MAX];
	uint64_t first_jseq, last_jseq;
	uint64_t first_ns;
	uint64_t submit_ns;
	uint64_t pos[NSRC];
	uint8_t set[NSRC];
	uint16_t touched[NSRC];
	uint32_t ntouched;
};

struct audit_journal {
	char dir[512];
	char instance[AUDIT_INSTANCE_MAX];
	uint64_t rotate_bytes;
	uint64_t commit_ns;
	uint32_t commit_records;
	audit_io_hook_fn io_hook;
	void *io_hook_arg;
	audit_durable_fn on_durable;
	void *durable_arg;
	struct rt_hist *commit_hist;
	struct rt_hist *record_hist;

	int dirfd;
	struct io_uring ring;
	int ring_ok;
	struct jbuf buf[2];
	int active;
	int inflight; /* index of the buffer being committed, -1 none */

	int cur_fd;
	char cur_name[AUDIT_FILE_NAME_MAX];
	uint64_t cur_size; /* bytes of the current file, pending ones included */
	uint64_t cur_records; /* records in it, pending ones included */
	uint64_t cur_first;

	uint64_t next_jseq;
	uint8_t head[AUDIT_HASH_SIZE];
	uint64_t nth_write, nth_fsync;
	struct audit_journal_stats st;

	int failed; /* negative errno once the writer has failed */
	struct rt_err fail;
};

/* ---- directory listing (writer and reader) ------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorted first_jseq of every segment file in dirfd. *out is malloc'd (or NULL). */
static int list_files(int dirfd, uint64_t **out, uint32_t *n, struct rt_err *err)
{
	*out = NULL;
	*n = 0;
	int fd = dup(dirfd);
	if (fd < 0)
		return rt_err_set(err, -errno, "dup: %s", strerror(errno));
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = -errno;
		close(fd);
		return rt_err_set(err, e, "opendir: %s", strerror(-e));
	}
	rewinddir(d);
	uint64_t *v = NULL;
	uint32_t cap = 0, cnt = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		uint64_t first = audit_file_name_parse(de->d_name);
		if (!first)
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			uint64_t *nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return rt_err_set(err, -ENOMEM,
						  "out of memory listing the journal");
			}
			v = nv;
		}
		v[cnt++] = first;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_u64);
	*out = v;
	*n = cnt;
	return 0;
}

/* ---- writer -------------------------------------------------------------------- */

static void buf_reset(struct jbuf *b)
{
	for (uint32_t i = 0; i < b->ntouched; i++)
		b->set[b->touched[i]] = 0;
	b->ntouched = 0;
	b->len = b->nrec = b->rec_start = b->done = 0;
	b->sealed = b->short_write = 0;
	b->fd = -1;
	b->first_jseq = b->last_jseq = 0;
}

static int fail(struct audit_journal *j, struct jbuf *b, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The writer stops for good: cut the file back to its last durable byte so nothing
 * undurable can later pass for journaled (the rings still hold those records). */
static int fail(struct audit_journal *j, struct jbuf *b, int code, const char *fmt, ...)
{
	if (j->failed)
		return j->failed;
	char what[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	char cut[160] = "";
	if (b && b->fd >= 0) {
		if (ftruncate(b->fd, (off_t)b->file_off) == 0)
			snprintf(cut, sizeof(cut), "; %s cut back to its durable %llu bytes",
				 b->file, (unsigned long long)b->file_off);
		else
			snprintf(cut, sizeof(cut), "; cutting %s back to %llu bytes failed too: %s",
				 b->file, (unsigned long long)b->file_off, strerror(errno));
	}
	j->failed = code;
	rt_err_clear(&j->fail);
	rt_err_set(&j->fail, code, "%s%s; the journal writer stops", what, cut);
	return code;
}

static int fail_result(struct audit_journal *j, struct rt_err *err)
{
	if (err)
		rt_err_set(err, j->failed, "%s", j->fail.msg);
	return j->failed;
}

static int open_new_file(struct audit_journal *j, struct jbuf *b)
{
	char name[AUDIT_FILE_NAME_MAX];
	audit_file_name(j->next_jseq, name);
	int fd = openat(j->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0)
		return fail(j, NULL, -errno, "creating journal file %s/%s: %s", j->dir, name,
			    strerror(errno));
	/* the new name must be durable before anything in the file is called durable */
	if (fsync(j->dirfd) != 0) {
		int e = -errno;
		close(fd);
		return fail(j, NULL, e, "fsync of directory %s failed: %s", j->dir, strerror(-e));
	}
	if (j->cur_fd >= 0 && (j->inflight < 0 || j->buf[j->inflight].fd != j->cur_fd))
		close(j->cur_fd);
	j->cur_fd = fd;
	snprintf(j->cur_name, sizeof(j->cur_name), "%s", name);
	j->cur_size = AUDIT_FILE_HDR_SIZE;
	j->cur_records = 0;
	j->cur_first = j->next_jseq;
	struct audit_file_hdr fh;
	audit_file_hdr_build(&fh, j->next_jseq, rt_clock_wall_ns(), j->instance, j->head);
	memcpy(b->data, &fh, sizeof(fh));
	b->len = AUDIT_FILE_HDR_SIZE;
	b->rec_start = AUDIT_FILE_HDR_SIZE;
	b->fd = fd;
	b->file_off = 0;
	snprintf(b->file, sizeof(b->file), "%s", name);
	j->st.files_created++;
	j->st.file_first_jseq = j->cur_first;
	return 0;
}

int audit_journal_append(struct audit_journal *j, const struct audit_rec_in *in, uint64_t *jseq)
{
	if (j->failed)
		return j->failed;
	if (in->nlat > SHM_AUDIT_LAT_MAX || in->plen > SHM_AUDIT_PAYLOAD_MAX)
		return -EMSGSIZE;
	struct jbuf *b = &j->buf[j->active];
	if (b->sealed)
		return -ENOBUFS;
	uint32_t size = audit_rec_size(in->nlat, in->plen);
	if (j->cur_fd < 0 || (j->cur_records > 0 && j->cur_size + size > j->rotate_bytes)) {
		if (b->len > 0) {
			b->sealed = 1;
			return -ENOBUFS;
		}
		int rc = open_new_file(j, b);
		if (rc)
			return rc;
	}
	if (b->len + size > b->cap) {
		b->sealed = 1;
		return -ENOBUFS;
	}
	if (b->len == 0) {
		b->fd = j->cur_fd;
		b->file_off = j->cur_size;
		snprintf(b->file, sizeof(b->file), "%s", j->cur_name);
	}
	if (b->nrec == 0) {
		b->first_jseq = j->next_jseq;
		b->first_ns = in->recv_ns ? in->recv_ns : rt_clock_now_ns();
		b->rec_start = b->len;
	}
	uint8_t *rec = b->data + b->len;
	struct audit_rec_hdr *h = (struct audit_rec_hdr *)rec;
	memset(h, 0, sizeof(*h));
	h->jseq = j->next_jseq;
	h->src_seq = in->src_seq;
	h->event_ns = in->event_ns;
	h->recv_ns = in->recv_ns;
	h->emit_ns = in->emit_ns;
	h->src_pos = in->src_pos;
	h->source = (uint16_t)in->source;
	h->kind = (uint16_t)in->kind;
	h->plen = (uint16_t)in->plen;
	h->nlat = (uint8_t)in->nlat;
	if (in->nlat)
		memcpy(rec + AUDIT_REC_HDR_SIZE, in->lat, in->nlat * 8u);
	uint8_t *payload = rec + AUDIT_REC_HDR_SIZE + in->nlat * 8u;
	if (in->plen)
		memcpy(payload, in->payload, in->plen);
	audit_chain_hash(j->head, h, payload, h->hash);
	audit_rec_seal(rec, size);
	memcpy(j->head, h->hash, AUDIT_HASH_SIZE);
	if (jseq)
		*jseq = j->next_jseq;
	b->last_jseq = j->next_jseq;
	j->st.appended_seq = j->next_jseq;
	j->next_jseq++;
	b->len += size;
	b->nrec++;
	j->cur_size += size;
	j->cur_records++;
	uint32_t s = in->source;
	if (s < NSRC && s != SHM_AUDIT_SRC_AUDIT && in->src_pos) {
		if (!b->set[s]) {
			b->set[s] = 1;
			b->touched[b->ntouched++] = (uint16_t)s;
		}
		b->pos[s] = in->src_pos;
	}
	if (b->nrec >= j->commit_records)
		b->sealed = 1;
	return 0;
}

static int submit(struct audit_journal *j, int idx)
{
	struct jbuf *b = &j->buf[idx];
	struct io_uring_sqe *w = io_uring_get_sqe(&j->ring);
	struct io_uring_sqe *f = w ? io_uring_get_sqe(&j->ring) : NULL;
	if (!w || !f)
		return fail(j, b, -EBUSY, "io_uring submission queue full");
	io_uring_prep_write(w, b->fd, b->data + b->done, b->len - b->done, b->file_off + b->done);
	w->flags |= IOSQE_IO_LINK; /* the fdatasync runs only after the whole write */
	io_uring_sqe_set_data64(w, TAG_WRITE);
	io_uring_prep_fsync(f, b->fd, IORING_FSYNC_DATASYNC);
	io_uring_sqe_set_data64(f, TAG_FSYNC);
	int rc = io_uring_submit(&j->ring);
	if (rc < 0)
		return fail(j, b, rc, "io_uring_submit: %s", strerror(-rc));
	j->inflight = idx;
	return 0;
}

static void complete(struct audit_journal *j, struct jbuf *b)
{
	uint64_t now = rt_clock_now_ns();
	j->st.commits++;
	j->st.bytes += b->len;
	if (j->commit_hist)
		rt_hist_record(j->commit_hist, now - b->submit_ns);
	if (j->record_hist) {
		for (uint32_t off = b->rec_start; off < b->len;) {
			const struct audit_rec_hdr *h =
				(const struct audit_rec_hdr *)(b->data + off);
			rt_hist_record(j->record_hist, now > h->recv_ns ? now - h->recv_ns : 0);
			off += h->len;
		}
	}
	if (j->on_durable)
		for (uint32_t i = 0; i < b->ntouched; i++)
			j->on_durable(j->durable_arg, b->touched[i], b->pos[b->touched[i]]);
	if (b->nrec)
		j->st.durable_seq = b->last_jseq;
	if (b->fd >= 0 && b->fd != j->cur_fd)
		close(b->fd);
	buf_reset(b);
	j->inflight = -1;
}

static int reap(struct audit_journal *j)
{
	int n = 0;
	struct io_uring_cqe *cqe;
	while (io_uring_peek_cqe(&j->ring, &cqe) == 0) {
		uint64_t tag = io_uring_cqe_get_data64(cqe);
		int res = cqe->res;
		io_uring_cqe_seen(&j->ring, cqe);
		n++;
		if (j->failed || j->inflight < 0)
			continue;
		struct jbuf *b = &j->buf[j->inflight];
		if (tag == TAG_WRITE) {
			j->nth_write++;
			if (j->io_hook) {
				int f = j->io_hook(j->io_hook_arg, AUDIT_IO_WRITE, j->nth_write,
						   res);
				if (f)
					res = f;
			}
			if (res < 0) {
				fail(j, b, res,
				     "write of %u bytes at offset %llu of %s/%s failed: %s",
				     b->len - b->done, (unsigned long long)(b->file_off + b->done),
				     j->dir, b->file, strerror(-res));
				continue;
			}
			b->done += (uint32_t)res;
			b->short_write = b->done < b->len;
			continue;
		}
		if (res == -ECANCELED && b->short_write) {
			/* a short write broke the link: write the rest, then sync */
			b->short_write = 0;
			if (submit(j, j->inflight))
				return n;
			continue;
		}
		j->nth_fsync++;
		if (j->io_hook) {
			int f = j->io_hook(j->io_hook_arg, AUDIT_IO_FSYNC, j->nth_fsync, res);
			if (f)
				res = f;
		}
		if (res < 0) {
			fail(j, b, res,
			     "fdatasync of %s/%s failed: %s: the page cache can no longer be "
			     "trusted, "
			     "records %llu..%llu are not durable and the sync is not retried",
			     j->dir, b->file, strerror(-res), (unsigned long long)b->first_jseq,
			     (unsigned long long)b->last_jseq);
			continue;
		}
		complete(j, b);
	}
	return n;
}

int audit_journal_poll(struct audit_journal *j, uint64_t now_ns, struct rt_err *err)
{
	if (j->failed)
		return fail_result(j, err);
	int n = reap(j);
	if (j->failed)
		return fail_result(j, err);
	if (j->inflight < 0) {
		struct jbuf *b = &j->buf[j->active];
		if (b->nrec > 0 && (b->sealed || b->nrec >= j->commit_records ||
				    now_ns >= b->first_ns + j->commit_ns)) {
			b->submit_ns = rt_clock_now_ns();
			if (submit(j, j->active))
				return fail_result(j, err);
			j->active ^= 1;
			n++;
		}
	}
	return n;
}

int audit_journal_flush(struct audit_journal *j, struct rt_err *err)
{
	for (;;) {
		if (j->failed)
			return fail_result(j, err);
		struct jbuf *b = &j->buf[j->active];
		if (b->nrec > 0)
			b->sealed = 1;
		int rc = audit_journal_poll(j, rt_clock_now_ns(), err);
		if (rc < 0)
			return rc;
		if (j->inflight < 0 && j->buf[j->active].nrec == 0)
			return 0;
		if (j->inflight >= 0) {
			struct io_uring_cqe *cqe;
			int w = io_uring_wait_cqe(&j->ring, &cqe);
			if (w < 0 && w != -EINTR)
				return rt_err_set(err, w, "waiting for the journal commit: %s",
						  strerror(-w));
		}
	}
}

int audit_journal_fd(const struct audit_journal *j)
{
	return j->ring.ring_fd;
}

uint64_t audit_journal_deadline(const struct audit_journal *j)
{
	const struct jbuf *b = &j->buf[j->active];
	if (j->inflight >= 0 || b->nrec == 0 || j->failed)
		return UINT64_MAX;
	if (b->sealed || b->nrec >= j->commit_records)
		return 0;
	return b->first_ns + j->commit_ns;
}

void audit_journal_stats(const struct audit_journal *j, struct audit_journal_stats *st)
{
	*st = j->st;
}

void audit_journal_head(const struct audit_journal *j, uint8_t out[AUDIT_HASH_SIZE])
{
	memcpy(out, j->head, AUDIT_HASH_SIZE);
}

/* Map a whole file read-only (NULL with *len = 0 for an empty file). */
static int map_file(int fd, const uint8_t **img, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return -errno;
	*len = (size_t)st.st_size;
	*img = NULL;
	if (!*len)
		return 0;
	void *p = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	*img = p;
	return 0;
}

/* Does img hold any valid record after its (invalid) header? */
static int holds_records(const uint8_t *img, size_t len)
{
	struct audit_rec_view v;
	for (size_t o = AUDIT_FILE_HDR_SIZE; o + AUDIT_REC_HDR_SIZE <= len; o += 8)
		if (audit_rec_decode(img + o, len - o, &v, NULL) == 0)
			return 1;
	return 0;
}

/* Check and repair the tail of the journal; leaves the last file open for append. */
static int open_tail(struct audit_journal *j, struct audit_journal_report *rep, struct rt_err *err)
{
	uint64_t *files;
	uint32_t n;
	int rc = list_files(j->dirfd, &files, &n, err);
	if (rc)
		return rt_err_wrap(err, "journal %s", j->dir);
	rep->files = n;
	while (n > 0) {
		char name[AUDIT_FILE_NAME_MAX];
		audit_file_name(files[n - 1], name);
		int fd = openat(j->dirfd, name, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			rc = rt_err_set(err, -errno, "journal %s/%s: %s", j->dir, name,
					strerror(errno));
			goto out;
		}
		const uint8_t *img = NULL;
		size_t len = 0;
		rc = map_file(fd, &img, &len);
		if (rc) {
			close(fd);
			rt_err_set(err, rc, "journal %s/%s: cannot map: %s", j->dir, name,
				   strerror(-rc));
			goto out;
		}
		struct audit_scan s;
		struct rt_err e = {0};
		rc = audit_scan_image(img, len, &s, &e);
		if (rc) {
			int has = img && holds_records(img, len);
			if (img)
				munmap((void *)img, len);
			close(fd);
			if (has) {
				rc = rt_err_set(err, -EBADMSG,
						"journal %s/%s: %s, yet the file holds records: "
						"refusing to "
						"write after it (run alluse-audit verify)",
						j->dir, name, e.msg);
				goto out;
			}
			/* a crash while a new file was created: nothing in it was durable */
			if (unlinkat(j->dirfd, name, 0) != 0 || fsync(j->dirfd) != 0) {
				rc = rt_err_set(err, -errno,
						"journal %s/%s: removing the incomplete file: %s",
						j->dir, name, strerror(errno));
				goto out;
			}
			rep->header_removed = 1;
			snprintf(rep->removed_file, sizeof(rep->removed_file), "%s", name);
			n--;
			rep->files = n;
			continue;
		}
		if (strcmp(s.fh.instance, j->instance) != 0) {
			munmap((void *)img, len);
			close(fd);
			rc = rt_err_set(err, -EINVAL,
					"journal %s/%s belongs to instance '%s', not '%s'", j->dir,
					name, s.fh.instance, j->instance);
			goto out;
		}
		if (s.tail == AUDIT_SCAN_CORRUPT) {
			rep->corrupt = 1;
			rep->corrupt_jseq = s.bad_jseq;
			rep->corrupt_off = s.bad_off;
			snprintf(rep->corrupt_file, sizeof(rep->corrupt_file), "%s", name);
			snprintf(rep->corrupt_why, sizeof(rep->corrupt_why), "%s", s.why);
		}
		if (s.end_off < len) {
			rep->torn_cut = 1;
			rep->torn_off = s.end_off;
			rep->torn_bytes = len - s.end_off;
			rep->torn_jseq = s.last_jseq + 1;
			snprintf(rep->torn_file, sizeof(rep->torn_file), "%s", name);
			if (s.tail == AUDIT_SCAN_TORN)
				snprintf(rep->torn_why, sizeof(rep->torn_why), "%s", s.why);
			else
				snprintf(rep->torn_why, sizeof(rep->torn_why),
					 "trailing bytes hold no valid record");
		}
		if (img)
			munmap((void *)img, len);
		if (rep->torn_cut && (ftruncate(fd, (off_t)s.end_off) != 0 || fdatasync(fd) != 0)) {
			rc = rt_err_set(err, -errno,
					"journal %s/%s: cutting the torn tail at %llu: %s", j->dir,
					name, (unsigned long long)s.end_off, strerror(errno));
			close(fd);
			goto out;
		}
		/* what we found is what we build on: make sure it is on disk */
		if (fdatasync(fd) != 0) {
			rc = rt_err_set(err, -errno, "journal %s/%s: fdatasync: %s", j->dir, name,
					strerror(errno));
			close(fd);
			goto out;
		}
		/* a crash may have come while the previous file's last commit was syncing */
		if (n > 1) {
			char prev[AUDIT_FILE_NAME_MAX];
			audit_file_name(files[n - 2], prev);
			int pfd = openat(j->dirfd, prev, O_RDONLY | O_CLOEXEC);
			if (pfd >= 0) {
				int bad = fdatasync(pfd) != 0 ? -errno : 0;
				close(pfd);
				if (bad) {
					rc = rt_err_set(err, bad, "journal %s/%s: fdatasync: %s",
							j->dir, prev, strerror(-bad));
					close(fd);
					goto out;
				}
			}
		}
		j->cur_fd = fd;
		snprintf(j->cur_name, sizeof(j->cur_name), "%s", name);
		j->cur_size = s.end_off;
		j->cur_records = s.records;
		j->cur_first = s.fh.first_jseq;
		j->next_jseq = s.last_jseq + 1;
		memcpy(j->head, s.last_hash, AUDIT_HASH_SIZE);
		j->st.file_first_jseq = j->cur_first;
		break;
	}
	rc = 0;
out:
	free(files);
	return rc;
}

int audit_journal_open(struct audit_journal **out, const struct audit_journal_cfg *cfg,
		       struct audit_journal_report *rep, struct rt_err *err)
{
	struct audit_journal_report local;
	if (!rep)
		rep = &local;
	memset(rep, 0, sizeof(*rep));
	*out = NULL;
	if (!cfg->dir || !*cfg->dir || strlen(cfg->dir) >= sizeof(((struct audit_journal *)0)->dir))
		return rt_err_set(err, -EINVAL, "journal directory name is empty or too long");
	struct audit_journal *j = calloc(1, sizeof(*j));
	if (!j)
		return rt_err_set(err, -ENOMEM, "out of memory");
	int rc;
	snprintf(j->dir, sizeof(j->dir), "%s", cfg->dir);
	snprintf(j->instance, sizeof(j->instance), "%s", cfg->instance ? cfg->instance : "");
	j->rotate_bytes = cfg->rotate_bytes ? cfg->rotate_bytes : AUDIT_ROTATE_DEFAULT;
	j->commit_ns = (uint64_t)cfg->commit_ms * 1000000ull;
	j->commit_records =
		cfg->commit_records ? cfg->commit_records : AUDIT_COMMIT_RECORDS_DEFAULT;
	j->io_hook = cfg->io_hook;
	j->io_hook_arg = cfg->io_hook_arg;
	j->on_durable = cfg->on_durable;
	j->durable_arg = cfg->durable_arg;
	j->commit_hist = cfg->commit_hist;
	j->record_hist = cfg->record_hist;
	j->dirfd = -1;
	j->cur_fd = -1;
	j->inflight = -1;
	j->next_jseq = 1;
	uint32_t cap = cfg->buf_bytes ? cfg->buf_bytes : AUDIT_BUF_DEFAULT;
	if (cap < (64u << 10))
		cap = 64u << 10;
	cap = (cap + 4095u) & ~4095u;
	for (int i = 0; i < 2; i++) {
		j->buf[i].data = aligned_alloc(4096, cap);
		if (!j->buf[i].data) {
			rc = rt_err_set(err, -ENOMEM, "out of memory for journal buffers");
			goto fail;
		}
		j->buf[i].cap = cap;
		buf_reset(&j->buf[i]);
	}
	if (mkdir(j->dir, 0750) != 0 && errno != EEXIST) {
		rc = rt_err_set(err, -errno, "journal directory %s: %s", j->dir, strerror(errno));
		goto fail;
	}
	j->dirfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->dirfd < 0) {
		rc = rt_err_set(err, -errno, "journal directory %s: %s", j->dir, strerror(errno));
		goto fail;
	}
	rc = open_tail(j, rep, err);
	if (rc)
		goto fail;
	rep->last_jseq = j->next_jseq - 1;
	j->st.appended_seq = j->st.durable_seq = j->next_jseq - 1;
	rc = io_uring_queue_init(8, &j->ring, 0);
	if (rc < 0) {
		rt_err_set(err, rc, "io_uring_queue_init: %s", strerror(-rc));
		goto fail;
	}
	j->ring_ok = 1;
	*out = j;
	return 0;
fail:
	audit_journal_close(j);
	return rc;
}

void audit_journal_close(struct audit_journal *j)
{
	if (!j)
		return;
	if (j->ring_ok) {
		while (j->inflight >= 0 && !j->failed) {
			struct io_uring_cqe *cqe;
			int w = io_uring_wait_cqe(&j->ring, &cqe);
			if (w < 0 && w != -EINTR)
				break;
			reap(j);
		}
		io_uring_queue_exit(&j->ring);
	}
	for (int i = 0; i < 2; i++) {
		if (j->buf[i].fd >= 0 && j->buf[i].fd != j->cur_fd)
			close(j->buf[i].fd);
		free(j->buf[i].data);
	}
	if (j->cur_fd >= 0)
		close(j->cur_fd);
	if (j->dirfd >= 0)
		close(j->dirfd);
	free(j);
}

/* ---- reader -------------------------------------------------------------------- */

#define RBUF (1u << 20)

struct audit_jreader {
	char dir[512];
	int dirfd;
	uint64_t *files;
	uint32_t nfiles;
	int fi; /* current file index, -1 none */
	int fd;
	struct audit_file_hdr fh;
	uint64_t off; /* next record's offset in the file */
	uint8_t *buf;
	uint64_t buf_off; /* file offset of buf[0] */
	size_t buf_len;
	uint64_t expect; /* next jseq (0: take the file's) */
	uint64_t skip_below;
	uint64_t trailing;
	struct audit_jloc trail_loc;
	int bad;
	struct rt_err bad_err;
	struct audit_jloc bad_loc;
};

int audit_jreader_open(struct audit_jreader **out, const char *dir, struct rt_err *err)
{
	*out = NULL;
	struct audit_jreader *r = calloc(1, sizeof(*r));
	if (!r)
		return rt_err_set(err, -ENOMEM, "out of memory");
	r->buf = malloc(RBUF);
	r->fi = -1;
	r->fd = -1;
	snprintf(r->dir, sizeof(r->dir), "%s", dir);
	r->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!r->buf || r->dirfd < 0) {
		int e = r->buf ? -errno : -ENOMEM;
		audit_jreader_close(r);
		return rt_err_set(err, e, "journal %s: %s", dir, strerror(-e));
	}
	int rc = list_files(r->dirfd, &r->files, &r->nfiles, err);
	if (rc) {
		audit_jreader_close(r);
		return rt_err_wrap(err, "journal %s", dir);
	}
	*out = r;
	return 0;
}

void audit_jreader_close(struct audit_jreader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->dirfd >= 0)
		close(r->dirfd);
	free(r->files);
	free(r->buf);
	free(r);
}

static int refresh(struct audit_jreader *r, struct rt_err *err)
{
	uint64_t *files;
	uint32_t n;
	int rc = list_files(r->dirfd, &files, &n, err);
	if (rc)
		return rc;
	/* keep the current file's index meaningful */
	if (r->fi >= 0) {
		uint64_t cur = r->files[r->fi];
		r->fi = -1;
		for (uint32_t i = 0; i < n; i++)
			if (files[i] == cur)
				r->fi = (int)i;
		if (r->fi < 0) {
			free(files);
			return rt_err_set(err, -ENOENT,
					  "journal %s: the file being read disappeared", r->dir);
		}
	}
	free(r->files);
	r->files = files;
	r->nfiles = n;
	return 0;
}

static int set_bad(struct audit_jreader *r, struct audit_jloc *loc, struct rt_err *err,
		   const char *file, uint64_t off, uint64_t jseq, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

static int set_bad(struct audit_jreader *r, struct audit_jloc *loc, struct rt_err *err,
		   const char *file, uint64_t off, uint64_t jseq, const char *fmt, ...)
{
	char why[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	r->bad = 1;
	snprintf(r->bad_loc.file, sizeof(r->bad_loc.file), "%s", file);
	r->bad_loc.off = off;
	r->bad_loc.jseq = jseq;
	rt_err_clear(&r->bad_err);
	rt_err_set(&r->bad_err, -EBADMSG, "record %llu (file %s/%s, offset %llu): %s",
		   (unsigned long long)jseq, r->dir, file, (unsigned long long)off, why);
	if (loc)
		*loc = r->bad_loc;
	return rt_err_set(err, -EBADMSG, "%s", r->bad_err.msg);
}

static int open_file(struct audit_jreader *r, int idx, struct audit_jloc *loc, struct rt_err *err)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	r->fi = idx;
	r->buf_len = 0;
	char name[AUDIT_FILE_NAME_MAX];
	audit_file_name(r->files[idx], name);
	r->fd = openat(r->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0)
		return rt_err_set(err, -errno, "journal %s/%s: %s", r->dir, name, strerror(errno));
	uint8_t hb[AUDIT_FILE_HDR_SIZE];
	ssize_t n = pread(r->fd, hb, sizeof(hb), 0);
	struct rt_err e = {0};
	uint64_t expect = r->expect ? r->expect : r->files[idx];
	if (n < 0)
		return rt_err_set(err, -errno, "journal %s/%s: %s", r->dir, name, strerror(errno));
	if (audit_file_hdr_check(hb, (size_t)n, &r->fh, &e) != 0)
		return set_bad(r, loc, err, name, 0, expect, "%s", e.msg);
	if (r->fh.first_jseq != r->files[idx])
		return set_bad(r, loc, err, name, 0, expect,
			       "file header says it starts at record %llu, its name says %llu",
			       (unsigned long long)r->fh.first_jseq,
			       (unsigned long long)r->files[idx]);
	if (r->expect && r->fh.first_jseq != r->expect)
		return set_bad(r, loc, err, name, 0, expect,
			       "file starts at record %llu: records %llu..%llu are missing",
			       (unsigned long long)r->fh.first_jseq, (unsigned long long)r->expect,
			       (unsigned long long)r->fh.first_jseq - 1);
	r->expect = r->fh.first_jseq;
	r->off = AUDIT_FILE_HDR_SIZE;
	return 0;
}

int audit_jreader_seek(struct audit_jreader *r, uint64_t jseq, struct rt_err *err)
{
	int rc = refresh(r, err);
	if (rc)
		return rc;
	r->bad = 0;
	r->trailing = 0;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	r->fi = -1;
	r->expect = 0;
	r->skip_below = jseq;
	if (r->nfiles == 0)
		return -ENOENT;
	int idx = 0;
	for (uint32_t i = 0; i < r->nfiles; i++)
		if (r->files[i] <= jseq)
			idx = (int)i;
	return open_file(r, idx, NULL, err);
}

int audit_jreader_next(struct audit_jreader *r, struct audit_rec_view *v, struct audit_jloc *loc,
		       struct rt_err *err)
{
	if (r->bad) {
		if (loc)
			*loc = r->bad_loc;
		return rt_err_set(err, -EBADMSG, "%s", r->bad_err.msg);
	}
	for (;;) {
		int rc;
		if (r->fi < 0) {
			if (r->nfiles == 0 && (rc = refresh(r, err)) != 0)
				return rc;
			if (r->nfiles == 0)
				return 0;
			if ((rc = open_file(r, 0, loc, err)) != 0)
				return rc;
		}
		char name[AUDIT_FILE_NAME_MAX];
		audit_file_name(r->files[r->fi], name);
		size_t avail = 0;
		if (r->off >= r->buf_off && r->off < r->buf_off + r->buf_len)
			avail = r->buf_off + r->buf_len - r->off;
		struct audit_rec_view tmp;
		struct rt_err e = {0};
		rc = avail ? audit_rec_decode(r->buf + (r->off - r->buf_off), avail, &tmp, &e)
			   : -EAGAIN;
		if (rc == -EAGAIN) {
			ssize_t n = pread(r->fd, r->buf, RBUF, (off_t)r->off);
			if (n < 0)
				return rt_err_set(err, -errno, "journal %s/%s: read at %llu: %s",
						  r->dir, name, (unsigned long long)r->off,
						  strerror(errno));
			r->buf_off = r->off;
			r->buf_len = (size_t)n;
			avail = (size_t)n;
			rc = avail ? audit_rec_decode(r->buf, avail, &tmp, &e) : -EAGAIN;
		}
		if (rc == -EAGAIN) {
			/* end of this file: is there a next one? */
			if ((uint32_t)r->fi + 1 >= r->nfiles && (rc = refresh(r, err)) != 0)
				return rc;
			if ((uint32_t)r->fi + 1 < r->nfiles) {
				if (avail)
					return set_bad(
						r, loc, err, name, r->off, r->expect,
						"the file ends with %zu bytes that are not a whole "
						"record, yet a later file exists",
						avail);
				if ((rc = open_file(r, r->fi + 1, loc, err)) != 0)
					return rc;
				continue;
			}
			r->trailing = avail;
			snprintf(r->trail_loc.file, sizeof(r->trail_loc.file), "%s", name);
			r->trail_loc.off = r->off;
			r->trail_loc.jseq = r->expect;
			return 0;
		}
		if (rc)
			return set_bad(r, loc, err, name, r->off, r->expect, "%s", e.msg);
		if (tmp.h.jseq != r->expect)
			return set_bad(r, loc, err, name, r->off, r->expect,
				       "holds sequence %llu: the chain of sequences is broken",
				       (unsigned long long)tmp.h.jseq);
		uint64_t off = r->off;
		r->off += tmp.h.len;
		r->expect = tmp.h.jseq + 1;
		r->trailing = 0;
		if (tmp.h.jseq < r->skip_below)
			continue;
		*v = tmp;
		if (loc) {
			snprintf(loc->file, sizeof(loc->file), "%s", name);
			loc->off = off;
			loc->jseq = tmp.h.jseq;
		}
		return 1;
	}
}

uint64_t audit_jreader_trailing(const struct audit_jreader *r, struct audit_jloc *loc)
{
	if (loc)
		*loc = r->trail_loc;
	return r->trailing;
}

const struct audit_file_hdr *audit_jreader_file_hdr(const struct audit_jreader *r)
{
	return &r->fh;
}
