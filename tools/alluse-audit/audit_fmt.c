#include "tools/alluse-audit/audit_fmt.h"

#include "shm/shm_audit.h"
#include "shm/shm_layout.h"
#include "shm/shm_pos.h"
#include "workers/audit/audit_chain.h"
#include "workers/audit/audit_proc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *audit_fmt_time(uint64_t ns, char out[40])
{
	time_t s = (time_t)(ns / 1000000000ull);
	struct tm tm;
	gmtime_r(&s, &tm);
	size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 40 - n, ".%09lluZ", (unsigned long long)(ns % 1000000000ull));
	return out;
}

int audit_parse_time(const char *s, uint64_t *ns)
{
	char *end;
	if (*s >= '0' && *s <= '9' && !strchr(s, '-')) {
		errno = 0;
		unsigned long long v = strtoull(s, &end, 10);
		if (errno || *end)
			return -EINVAL;
		*ns = v;
		return 0;
	}
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *p = strptime(s, "%Y-%m-%d", &tm);
	if (!p)
		return -EINVAL;
	uint64_t frac = 0;
	if (*p == 'T' || *p == ' ') {
		p = strptime(p + 1, "%H:%M:%S", &tm);
		if (!p)
			return -EINVAL;
		if (*p == '.') {
			uint64_t scale = 100000000ull;
			for (p++; *p >= '0' && *p <= '9'; p++) {
				frac += (uint64_t)(*p - '0') * scale;
				scale /= 10;
			}
		}
	}
	if (*p == 'Z')
		p++;
	if (*p)
		return -EINVAL;
	time_t t = timegm(&tm);
	if (t < 0)
		return -EINVAL;
	*ns = (uint64_t)t * 1000000000ull + frac;
	return 0;
}

/* A fixed char array that may lack its NUL, as a JSON or quoted text string. */
static void str_out(FILE *out, const char *s, size_t max, int json)
{
	size_t n = strnlen(s, max);
	fputc('"', out);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, json ? "\\u%04x" : "\\x%02x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void price_out(FILE *out, const char *key, int64_t v, int json, int first)
{
	if (json) {
		fprintf(out, "%s\"%s\":%lld", first ? "" : ",", key, (long long)v);
		return;
	}
	const char *sign = v < 0 ? "-" : "";
	uint64_t a = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
	fprintf(out, " %s=%s%llu.%08llu", key, sign, (unsigned long long)(a / 100000000ull),
		(unsigned long long)(a % 100000000ull));
}

static void u64_out(FILE *out, const char *key, uint64_t v, int json, int first)
{
	if (json)
		fprintf(out, "%s\"%s\":%llu", first ? "" : ",", key, (unsigned long long)v);
	else
		fprintf(out, " %s=%llu", key, (unsigned long long)v);
}

static void s_out(FILE *out, const char *key, const char *s, size_t max, int json, int first)
{
	if (json)
		fprintf(out, "%s\"%s\":", first ? "" : ",", key);
	else
		fprintf(out, " %s=", key);
	str_out(out, s, max, json);
}

static void c_out(FILE *out, const char *key, uint8_t c, int json)
{
	char s[2] = {(char)c, 0};
	s_out(out, key, c ? s : "", 1, json, 0);
}

static const char *order_event_name(uint8_t e)
{
	static const char *const N[] = {"?",         "submitted", "acked",  "replaced",
					"cancelled", "rejected",  "expired"};
	return e < sizeof(N) / sizeof(N[0]) ? N[e] : "?";
}

static const char *own_fault_name(uint32_t code)
{
	switch (code) {
	case AUDIT_FAULT_TORN_CUT:
		return "journal-torn-tail-cut";
	case AUDIT_FAULT_CORRUPT:
		return "journal-corrupt-record";
	case AUDIT_FAULT_FILE_REMOVED:
		return "journal-incomplete-file-removed";
	case AUDIT_FAULT_RING_BAD:
		return "ring-invalid-record";
	case AUDIT_FAULT_RING_GAP:
		return "ring-sequence-gap";
	case AUDIT_FAULT_RING_FULL:
		return "ring-full";
	default:
		return "?";
	}
}

static void payload_out(FILE *out, const struct audit_rec_view *v, int json)
{
	const uint8_t *p = v->payload;
	uint32_t n = v->h.plen;
	if (json)
		fprintf(out, "\"payload\":{");
	switch (v->h.kind) {
	case SHM_AUDIT_LEVEL:
		if (n == sizeof(struct shm_audit_level)) {
			struct shm_audit_level l;
			memcpy(&l, p, sizeof(l));
			u64_out(out, "pos_id", l.pos_id, json, 1);
			u64_out(out, "from", l.from, json, 0);
			u64_out(out, "to", l.to, json, 0);
			s_out(out, "cause", shm_event_cause_name(l.cause), 32, json, 0);
			u64_out(out, "under_id", l.under_id, json, 0);
			u64_out(out, "option_id", l.option_id, json, 0);
			c_out(out, "right", l.right, json);
			price_out(out, "strike", l.strike, json, 0);
			price_out(out, "price", l.price, json, 0);
			price_out(out, "atr", l.atr, json, 0);
			price_out(out, "thr1", l.thr[0], json, 0);
			price_out(out, "thr2", l.thr[1], json, 0);
			price_out(out, "thr3", l.thr[2], json, 0);
			u64_out(out, "quote_seq", l.quote_seq, json, 0);
			goto done;
		}
		break;
	case SHM_AUDIT_STATE:
		if (n == sizeof(struct shm_audit_state)) {
			struct shm_audit_state s;
			memcpy(&s, p, sizeof(s));
			s_out(out, "from", shm_state_name(s.from), 32, json, 1);
			s_out(out, "to", shm_state_name(s.to), 32, json, 0);
			s_out(out, "reason", s.reason, sizeof(s.reason), json, 0);
			goto done;
		}
		break;
	case SHM_AUDIT_ORDER_INTENT:
		if (n == sizeof(struct shm_audit_intent)) {
			struct shm_audit_intent s;
			memcpy(&s, p, sizeof(s));
			u64_out(out, "intent_id", s.intent_id, json, 1);
			s_out(out, "account", s.account, sizeof(s.account), json, 0);
			c_out(out, "side", s.side, json);
			c_out(out, "effect", s.effect, json);
			u64_out(out, "qty", s.qty, json, 0);
			s_out(out, "symbol", s.symbol, sizeof(s.symbol), json, 0);
			price_out(out, "limit", s.limit, json, 0);
			s_out(out, "reason", s.reason, sizeof(s.reason), json, 0);
			goto done;
		}
		break;
	case SHM_AUDIT_ORDER_EVENT:
		if (n == sizeof(struct shm_audit_order)) {
			struct shm_audit_order s;
			memcpy(&s, p, sizeof(s));
			u64_out(out, "intent_id", s.intent_id, json, 1);
			u64_out(out, "order_id", s.order_id, json, 0);
			s_out(out, "event", order_event_name(s.event), 16, json, 0);
			u64_out(out, "qty", s.qty, json, 0);
			price_out(out, "price", s.price, json, 0);
			s_out(out, "broker_ref", s.broker_ref, sizeof(s.broker_ref), json, 0);
			s_out(out, "reason", s.reason, sizeof(s.reason), json, 0);
			goto done;
		}
		break;
	case SHM_AUDIT_FILL:
		if (n == sizeof(struct shm_audit_fill)) {
			struct shm_audit_fill s;
			memcpy(&s, p, sizeof(s));
			u64_out(out, "order_id", s.order_id, json, 1);
			u64_out(out, "intent_id", s.intent_id, json, 0);
			c_out(out, "side", s.side, json);
			u64_out(out, "qty", s.qty, json, 0);
			price_out(out, "price", s.price, json, 0);
			price_out(out, "fees", s.fees, json, 0);
			s_out(out, "symbol", s.symbol, sizeof(s.symbol), json, 0);
			s_out(out, "account", s.account, sizeof(s.account), json, 0);
			s_out(out, "fill_ref", s.fill_ref, sizeof(s.fill_ref), json, 0);
			goto done;
		}
		break;
	case SHM_AUDIT_FORK:
	case SHM_AUDIT_MERGE:
		if (n == sizeof(struct shm_audit_fork)) {
			struct shm_audit_fork s;
			memcpy(&s, p, sizeof(s));
			s_out(out, "from", s.from, sizeof(s.from), json, 1);
			s_out(out, "to", s.to, sizeof(s.to), json, 0);
			price_out(out, "amount", s.amount, json, 0);
			s_out(out, "reason", s.reason, sizeof(s.reason), json, 0);
			goto done;
		}
		break;
	case SHM_AUDIT_CONFIG:
	case SHM_AUDIT_COMMAND:
		s_out(out, "text", (const char *)p, n, json, 1);
		goto done;
	case SHM_AUDIT_FAULT:
		if (n == sizeof(struct shm_audit_fault)) {
			struct shm_audit_fault s;
			memcpy(&s, p, sizeof(s));
			u64_out(out, "code", s.code, json, 1);
			if (v->h.source == SHM_AUDIT_SRC_AUDIT)
				s_out(out, "what", own_fault_name(s.code), 40, json, 0);
			u64_out(out, "arg", s.arg, json, 0);
			u64_out(out, "value", s.value, json, 0);
			s_out(out, "text", s.text, sizeof(s.text), json, 0);
			goto done;
		}
		break;
	}
	/* unknown layout: hex */
	if (json)
		fprintf(out, "\"hex\":\"");
	else
		fprintf(out, " hex=");
	for (uint32_t i = 0; i < n; i++)
		fprintf(out, "%02x", p[i]);
	if (json)
		fputc('"', out);
done:
	if (json)
		fputc('}', out);
}

void audit_fmt_record(FILE *out, const struct audit_rec_view *v, int json)
{
	char src[32], t[40], hx[65];
	shm_audit_source_name(v->h.source, src, sizeof(src));
	const char *kind = shm_audit_kind_name(v->h.kind);
	audit_fmt_time(v->h.event_ns, t);
	if (json) {
		fprintf(out,
			"{\"seq\":%llu,\"source\":\"%s\",\"src_seq\":%llu,\"kind\":\"%s\",\"event_"
			"ns\":%llu,"
			"\"event_time\":\"%s\",\"recv_ns\":%llu,\"emit_ns\":%llu,\"lat_ns\":[",
			(unsigned long long)v->h.jseq, src, (unsigned long long)v->h.src_seq,
			kind ? kind : "?", (unsigned long long)v->h.event_ns, t,
			(unsigned long long)v->h.recv_ns, (unsigned long long)v->h.emit_ns);
		for (unsigned i = 0; i < v->h.nlat; i++)
			fprintf(out, "%s%llu", i ? "," : "", (unsigned long long)v->lat[i]);
		fprintf(out, "],\"hash\":\"%s\",\"crc\":%u,", audit_hash_hex(v->h.hash, hx),
			v->h.crc);
		payload_out(out, v, 1);
		fprintf(out, "}\n");
		return;
	}
	fprintf(out, "%llu %s %s#%llu %s", (unsigned long long)v->h.jseq, t, src,
		(unsigned long long)v->h.src_seq, kind ? kind : "?");
	payload_out(out, v, 0);
	fputc('\n', out);
}
