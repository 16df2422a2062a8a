// SPDX-License-Identifier: BSD-2-Clause
/* `kavachos audit`'s engine: re-walks a chain line by line — canonical form,
 * hash, link, sequence, checkpoint signatures and spacing — then, for a closed
 * session, the profile hash and the kernel's violation counters.
 * Verdicts and their precedence: docs/receipts.md, "Audit verdicts". */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "events/events.h"
#include "receipts/audit_internal.h"
#include "receipts/receipt_keys.h"
#include "receipts/receipts.h"
#include "receipts/store.h"

static const char *const verdict_names[KV_VERDICT_MAX] = {
    [KV_CLEAN] = "CLEAN",
    [KV_CHAIN_BROKEN] = "CHAIN_BROKEN",
    [KV_TRUNCATED] = "TRUNCATED",
    [KV_UNSIGNED_TAIL] = "UNSIGNED_TAIL",
    [KV_PROFILE_DRIFT] = "PROFILE_DRIFT",
    [KV_NO_SESSION] = "NO_SESSION",
    [KV_MALFORMED] = "MALFORMED",
    [KV_UNSUPPORTED_VERSION] = "UNSUPPORTED_VERSION",
    [KV_EVIDENCE_MISSING] = "EVIDENCE_MISSING",
    [KV_COUNTS_MISMATCH] = "COUNTS_MISMATCH",
    [KV_KEY_MISMATCH] = "KEY_MISMATCH",
    [KV_NO_KEY] = "NO_KEY",
    [KV_ACTIVE] = "ACTIVE",
};

const char *kv_verdict_name(enum kv_verdict v)
{
	return (unsigned)v < KV_VERDICT_MAX ? verdict_names[v] : "UNKNOWN";
}

struct walk {
	const struct kv_audit_opts *o;
	struct kv_audit_result *res;
	struct kv_receipt_buf rb;
	uint64_t seq; /* the next receipt's */
	char prev[KV_SHA256_HEX];
	uint64_t every;	 /* the genesis's checkpoint_every */
	uint64_t since;	 /* receipts since the last checkpoint */
	bool closed;	 /* SESSION_END and its checkpoint seen */
	bool unverified; /* a checkpoint whose signature could not be checked */
	bool decided;
	bool chain_follows; /* line 2 is a receipt: a bad line 1 is damage, not garbage */
	uint64_t end_seq;
	size_t last_type;		   /* index in res->types of the last receipt's type */
	struct json_object *genesis, *end; /* payloads */
};

/* The first verdict reached stands. Returns false (stop walking). */
static bool __attribute__((format(printf, 5, 6)))
decide(struct walk *w, enum kv_verdict v, bool has_seq, uint64_t seq, const char *fmt, ...)
{
	va_list ap;

	if (w->decided)
		return false;
	w->decided = true;
	w->res->verdict = v;
	w->res->has_bad_seq = has_seq;
	w->res->bad_seq = seq;
	va_start(ap, fmt);
	vsnprintf(w->res->reason, sizeof(w->res->reason), fmt, ap);
	va_end(ap);
	return false;
}

static bool name_is(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && !memcmp(p, s, n);
}

static void count_type(struct walk *w, const char *type, size_t n)
{
	struct kv_audit_result *r = w->res;
	size_t i;

	if (w->last_type < r->n_types && name_is(type, n, r->types[w->last_type].type)) {
		r->types[w->last_type].n++; /* runs of one type are the common case */
		return;
	}
	for (i = 0; i < r->n_types; i++) {
		if (name_is(type, n, r->types[i].type)) {
			r->types[i].n++;
			w->last_type = i;
			return;
		}
	}
	if (r->n_types == KV_AUDIT_MAX_TYPES) {
		r->types_other++;
		return;
	}
	memcpy(r->types[r->n_types].type, type, n);
	r->types[r->n_types].type[n] = 0;
	r->types[r->n_types++].n = 1;
}

struct json_object *kv_audit_parse_payload(const char *p, size_t n)
{
	struct json_tokener *tok = json_tokener_new_ex(KV_CANON_MAX_DEPTH + 1);
	struct json_object *o;

	if (!tok)
		return NULL;
	o = json_tokener_parse_ex(tok, p, (int)n);
	json_tokener_free(tok);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

static bool hex_member(const char *obj, size_t len, const char *key, size_t digits, char *out)
{
	const char *v;
	size_t n;

	if (!kv_canon_member(obj, len, key, &v, &n) || n != digits + 2 || v[0] != '"' ||
	    !kv_is_hex(v + 1, digits))
		return false;
	memcpy(out, v + 1, digits);
	out[digits] = 0;
	return true;
}

static bool check_genesis(struct walk *w, const struct kv_receipt_view *v)
{
	struct json_object *chain, *o;
	const char *key_id;

	if (!name_is(v->type, v->type_len, "SESSION_START"))
		return decide(w, KV_CHAIN_BROKEN, true, 0,
			      "the first receipt is %.*s, not SESSION_START", (int)v->type_len,
			      v->type);
	w->genesis = kv_audit_parse_payload(v->payload, v->payload_len);
	if (!w->genesis || !json_object_object_get_ex(w->genesis, "chain", &chain) ||
	    !json_object_object_get_ex(chain, "checkpoint_every", &o) ||
	    !json_object_is_type(o, json_type_int) || json_object_get_int64(o) < 1)
		return decide(w, KV_CHAIN_BROKEN, true, 0,
			      "the genesis lacks chain.checkpoint_every (not written by kavachos)");
	w->every = json_object_get_uint64(o);
	if (!json_object_object_get_ex(chain, "key_id", &o) || json_object_get_string_len(o) != 64)
		return decide(w, KV_CHAIN_BROKEN, true, 0, "the genesis lacks chain.key_id");
	key_id = json_object_get_string(o);
	snprintf(w->res->key_id, sizeof(w->res->key_id), "%s", key_id);
	w->res->wall_start_ns = v->wall_ns;
	if (w->o->key && strcmp(key_id, kv_receipt_key_id(w->o->key)))
		return decide(w, KV_KEY_MISMATCH, true, 0,
			      "the session was sealed with key %.16s..., the audit key is %.16s...",
			      key_id, kv_receipt_key_id(w->o->key));
	return true;
}

static int unhex(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

static bool check_checkpoint(struct walk *w, const struct kv_receipt_view *v)
{
	char hash[KV_SHA256_HEX], key_id[KV_SHA256_HEX], sig_hex[2 * KV_ED25519_SIG_LEN + 1];
	char msg[KV_CHECKPOINT_MSG_MAX];
	uint8_t sig[KV_ED25519_SIG_LEN];
	uint64_t seq, count;
	int i, n;

	if (!kv_canon_member_u64(v->payload, v->payload_len, "seq", &seq) ||
	    !kv_canon_member_u64(v->payload, v->payload_len, "count", &count) ||
	    !hex_member(v->payload, v->payload_len, "hash", 64, hash) ||
	    !hex_member(v->payload, v->payload_len, "key_id", 64, key_id) ||
	    !hex_member(v->payload, v->payload_len, "sig", 2 * KV_ED25519_SIG_LEN, sig_hex))
		return decide(w, KV_CHAIN_BROKEN, true, v->seq,
			      "checkpoint %llu lacks seq, count, hash, key_id or sig",
			      (unsigned long long)v->seq);
	if (seq + 1 != v->seq || count != v->seq || memcmp(hash, w->prev, 64))
		return decide(w, KV_CHAIN_BROKEN, true, v->seq,
			      "checkpoint %llu signs seq %llu (count %llu, hash %.16s...), not the "
			      "receipt before it",
			      (unsigned long long)v->seq, (unsigned long long)seq,
			      (unsigned long long)count, hash);
	if (strcmp(key_id, w->res->key_id))
		return decide(
		    w, KV_CHAIN_BROKEN, true, v->seq,
		    "checkpoint %llu is signed by key %.16s..., the genesis names %.16s...",
		    (unsigned long long)v->seq, key_id, w->res->key_id);
	w->since = 0;
	if (w->res->ended)
		w->closed = true;
	if (!w->o->key) {
		w->unverified = true;
		return true;
	}
	for (i = 0; i < KV_ED25519_SIG_LEN; i++)
		sig[i] = (uint8_t)(unhex(sig_hex[2 * i]) << 4 | unhex(sig_hex[2 * i + 1]));
	n = kv_checkpoint_message(msg, sizeof(msg), w->res->session, seq, hash, key_id);
	if (n < 0 || kv_receipt_key_verify(w->o->key, msg, (size_t)n, sig))
		return decide(w, KV_CHAIN_BROKEN, true, v->seq,
			      "checkpoint %llu: the signature does not verify (receipts up to %llu "
			      "were rewritten, or the checkpoint was forged)",
			      (unsigned long long)v->seq, (unsigned long long)seq);
	w->res->checkpoints++;
	w->res->signed_any = true;
	w->res->signed_through = seq;
	return true;
}

static void count_evidence(struct walk *w, const struct kv_receipt_view *v)
{
	struct kv_audit_result *r = w->res;
	uint64_t count;
	const char *cv;
	size_t cn;
	int cls = kv_receipt_class(v->type, v->type_len, v->payload, v->payload_len);

	if (cls >= 0) {
		r->sealed_counts[cls]++;
		return;
	}
	if (!name_is(v->type, v->type_len, "EVENTS_LOST") ||
	    !kv_canon_member_u64(v->payload, v->payload_len, "count", &count))
		return;
	if (kv_canon_member(v->payload, v->payload_len, "class", &cv, &cn) && cn >= 2) {
		cls = kv_receipt_class_parse(cv + 1, cn - 2);
		if (cls >= 0)
			r->lost_class[cls] += count;
		return; /* "none": lost receipts that were not violations */
	}
	r->lost_any += count;
}

static bool check_line(struct walk *w, const char *line, size_t n)
{
	struct kv_audit_result *r = w->res;
	char err[160], hash[KV_SHA256_HEX];
	struct kv_receipt_view v;
	bool ckpt;
	int ret;

	ret = kv_receipt_parse(line, n, &v, err, sizeof(err));
	if (ret && !w->seq && !w->chain_follows)
		return decide(w, ret == -EPROTONOSUPPORT ? KV_UNSUPPORTED_VERSION : KV_MALFORMED,
			      false, 0, "not a receipt chain: line 1: %s", err);
	if (ret)
		return decide(w, KV_CHAIN_BROKEN, true, w->seq, "receipt %llu (line %llu): %s",
			      (unsigned long long)w->seq, (unsigned long long)w->seq + 1, err);
	/* An altered receipt's own seq cannot be trusted: name its position. */
	if (kv_receipt_digest(&w->rb, line, n, hash))
		return decide(w, KV_CHAIN_BROKEN, true, w->seq, "cannot hash receipt %llu",
			      (unsigned long long)w->seq);
	if (memcmp(hash, v.hash, 64))
		return decide(w, KV_CHAIN_BROKEN, true, w->seq,
			      "receipt %llu (line %llu): hash mismatch (its content was altered)",
			      (unsigned long long)w->seq, (unsigned long long)w->seq + 1);
	if (!r->session[0])
		snprintf(r->session, sizeof(r->session), "%.*s", (int)v.session_len, v.session);
	if (!name_is(v.session, v.session_len, r->session))
		return decide(w, KV_CHAIN_BROKEN, true, w->seq,
			      "receipt %llu belongs to session %.*s, not %s",
			      (unsigned long long)w->seq, (int)v.session_len, v.session,
			      r->session);
	if (v.seq < w->seq)
		return decide(w, KV_CHAIN_BROKEN, true, v.seq,
			      "seq %llu appears again at line %llu: a receipt was inserted, "
			      "duplicated or moved",
			      (unsigned long long)v.seq, (unsigned long long)w->seq + 1);
	if (v.seq > w->seq)
		return decide(
		    w, KV_CHAIN_BROKEN, true, w->seq,
		    "receipt %llu is missing (line %llu holds seq %llu): deleted or reordered",
		    (unsigned long long)w->seq, (unsigned long long)w->seq + 1,
		    (unsigned long long)v.seq);
	if (memcmp(v.prev, w->prev, 64))
		return decide(w, KV_CHAIN_BROKEN, true, v.seq,
			      "receipt %llu: prev does not link to %s", (unsigned long long)v.seq,
			      v.seq ? "the receipt before it" : "this session's genesis value");
	if (!v.seq && !check_genesis(w, &v))
		return false;
	if (v.seq && name_is(v.type, v.type_len, "SESSION_START"))
		return decide(w, KV_CHAIN_BROKEN, true, v.seq, "a second SESSION_START at %llu",
			      (unsigned long long)v.seq);
	if (w->closed)
		return decide(w, KV_CHAIN_BROKEN, true, v.seq,
			      "receipt %llu follows the session's final checkpoint",
			      (unsigned long long)v.seq);
	ckpt = name_is(v.type, v.type_len, "CHECKPOINT");
	if (r->ended && !ckpt)
		return decide(w, KV_CHAIN_BROKEN, true, v.seq, "receipt %llu follows SESSION_END",
			      (unsigned long long)v.seq);
	if (ckpt) {
		if (!check_checkpoint(w, &v))
			return false;
	} else {
		if (++w->since > w->every)
			return decide(w, KV_CHAIN_BROKEN, true, v.seq,
				      "%llu receipts without a checkpoint at %llu; the session "
				      "signs every %llu (a checkpoint was removed)",
				      (unsigned long long)w->since, (unsigned long long)v.seq,
				      (unsigned long long)w->every);
		if (name_is(v.type, v.type_len, "SESSION_END")) {
			r->ended = true;
			r->wall_end_ns = v.wall_ns;
			w->end_seq = v.seq;
			w->end = kv_audit_parse_payload(v.payload, v.payload_len);
		}
		count_evidence(w, &v);
	}
	count_type(w, v.type, v.type_len);
	memcpy(w->prev, v.hash, 64);
	w->seq++;
	r->receipts++;
	return true;
}

static uint64_t member_u64(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return 0;
	return json_object_get_uint64(v);
}

/* SESSION_END's kernel counters against the sealed violations (docs: "Reconciliation"). */
static void reconcile(struct walk *w)
{
	struct kv_audit_result *r = w->res;
	uint64_t uncovered = 0, d;
	struct json_object *kc;
	char detail[320] = "";
	size_t off = 0;
	unsigned c;

	if (!w->end || !json_object_object_get_ex(w->end, "kernel_counts", &kc) ||
	    !json_object_is_type(kc, json_type_object))
		return;
	r->reconciled = true;
	r->events_lost = member_u64(w->end, "events_lost");
	r->events_suppressed = member_u64(w->end, "events_suppressed");
	for (c = 0; c < KV_CLASS_MAX; c++)
		r->kernel_counts[c] = member_u64(kc, kv_class_name(c));
	for (c = 0; c < KV_CLASS_MAX; c++) {
		if (r->sealed_counts[c] > r->kernel_counts[c]) {
			decide(w, KV_COUNTS_MISMATCH, true, w->end_seq,
			       "%llu %s violations sealed, the kernel counted %llu",
			       (unsigned long long)r->sealed_counts[c], kv_class_name(c),
			       (unsigned long long)r->kernel_counts[c]);
			return;
		}
	}
	for (c = 0; c < KV_CLASS_MAX; c++) {
		d = r->kernel_counts[c] - r->sealed_counts[c];
		if (!d)
			continue;
		if (off < sizeof(detail))
			off += (size_t)snprintf(detail + off, sizeof(detail) - off,
						"%s%s: kernel %llu, sealed %llu", off ? "; " : "",
						kv_class_name(c),
						(unsigned long long)r->kernel_counts[c],
						(unsigned long long)r->sealed_counts[c]);
		uncovered += d - (d < r->lost_class[c] ? d : r->lost_class[c]);
	}
	if (uncovered > r->lost_any)
		decide(
		    w, KV_EVIDENCE_MISSING, true, w->end_seq,
		    "%llu counted violations have no receipt and no EVENTS_LOST covers them (%s)",
		    (unsigned long long)(uncovered - r->lost_any), detail);
}

static bool receipt_prefix(const char *p, size_t n)
{
	static const char head[] = "{\"hash\":\"";
	size_t i;

	if (!memcmp(p, head, n < sizeof(head) - 1 ? n : sizeof(head) - 1))
		return true;
	for (i = 0; i < n && !p[i]; i++)
		;
	return i == n; /* zeros: blocks allocated but never written before the crash */
}

static void finish(struct walk *w, const char *tail, size_t tail_len, size_t tail_off)
{
	struct kv_audit_result *r = w->res;
	char why[256];
	bool drift;

	if (tail_len && !w->o->active) {
		if (!w->seq && !receipt_prefix(tail, tail_len))
			decide(w, KV_MALFORMED, false, 0,
			       "not a receipt chain: %zu bytes and no complete line", tail_len);
		else
			decide(w, KV_TRUNCATED, true, w->seq,
			       "torn last line: %zu bytes at offset %zu without a newline (the "
			       "writer stopped mid-receipt)",
			       tail_len, tail_off);
	}
	if (!w->seq)
		decide(w, KV_MALFORMED, false, 0, "empty file: no genesis receipt");
	drift = w->genesis && kv_audit_profile(w->genesis, r, why, sizeof(why));
	/* a writer still holding a chain that already ends with SESSION_END and
	 * its checkpoint is only syncing it (the daemon answers its client
	 * first): nothing can follow, so the chain is judged as it stands */
	if (w->o->active && !w->closed)
		decide(w, KV_ACTIVE, false, 0, "still being written: %llu receipts verified so far",
		       (unsigned long long)r->receipts);
	if (!w->closed && w->since)
		decide(w, KV_UNSIGNED_TAIL, true, w->seq - w->since,
		       "receipts %llu-%llu are not covered by a signed checkpoint%s",
		       (unsigned long long)(w->seq - w->since), (unsigned long long)w->seq - 1,
		       r->ended ? " (SESSION_END lacks its final checkpoint)"
				: " and there is no SESSION_END (the writer died, or the tail was "
				  "removed)");
	if (!w->closed)
		decide(w, KV_TRUNCATED, true, w->seq,
		       "the chain ends at checkpoint %llu without SESSION_END: the writer died, or "
		       "the tail was removed",
		       (unsigned long long)w->seq - 1);
	if (w->unverified)
		decide(w, KV_NO_KEY, false, 0, "signatures not checked: %s",
		       w->o->no_key_reason ? w->o->no_key_reason : "no public key");
	if (drift)
		decide(w, KV_PROFILE_DRIFT, true, 0, "%s", why);
	reconcile(w);
}

/* Before line 1 is judged: does a receipt follow it, and (when the caller did
 * not say) which session is this? nl: offset of line 1's newline. */
static void first_line(struct walk *w, const char *data, size_t len, size_t nl)
{
	const char *next = data + nl + 1, *end = memchr(next, '\n', len - nl - 1);
	struct kv_receipt_view v;

	if (end && !kv_receipt_parse(next, (size_t)(end - next), &v, NULL, 0))
		w->chain_follows = true;
	if (!w->o->session_id && !kv_receipt_parse(data, nl, &v, NULL, 0)) {
		snprintf(w->res->session, sizeof(w->res->session), "%.*s", (int)v.session_len,
			 v.session);
		kv_receipt_genesis_prev(w->res->session, w->prev);
	}
}

static int walk_begin(struct walk *w, const struct kv_audit_opts *o, struct kv_audit_result *res)
{
	memset(w, 0, sizeof(*w));
	memset(res, 0, sizeof(*res));
	w->o = o;
	w->res = res;
	if (o->session_id)
		snprintf(res->session, sizeof(res->session), "%s", o->session_id);
	kv_receipt_genesis_prev(o->session_id ? o->session_id : "x", w->prev);
	return kv_receipt_buf_init(&w->rb);
}

/* The complete lines of data[0..len); returns the bytes consumed. Without eof,
 * line 1 waits until line 2 is complete too (see first_line). */
static size_t walk_lines(struct walk *w, const char *data, size_t len, bool eof)
{
	const char *nl;
	size_t pos = 0;

	while (!w->decided && pos < len) {
		nl = memchr(data + pos, '\n', len - pos);
		if (!nl)
			break;
		if (!w->seq) {
			if (!eof && !memchr(nl + 1, '\n', (size_t)(data + len - nl - 1)))
				break;
			first_line(w, data, len, (size_t)(nl - data));
		}
		if (!check_line(w, data + pos, (size_t)(nl - data - pos)))
			break;
		pos = (size_t)(nl - data) + 1;
	}
	return pos;
}

/* tail: the bytes after the last newline (tail_off: where they start). */
static void walk_end(struct walk *w, const char *tail, size_t tail_len, size_t tail_off)
{
	if (!w->decided)
		finish(w, tail, tail_len, tail_off);
	if (!w->decided)
		decide(w, KV_CLEAN, false, 0, "closed, every hash, link and signature verifies%s",
		       w->res->reconciled ? ", the kernel's counters reconcile" : "");
	json_object_put(w->genesis);
	json_object_put(w->end);
	kv_receipt_buf_free(&w->rb);
}

int kv_audit_buffer(const char *data, size_t len, const struct kv_audit_opts *o,
		    struct kv_audit_result *res)
{
	struct walk w;
	size_t pos;
	int err;

	err = walk_begin(&w, o, res);
	if (err)
		return err;
	pos = walk_lines(&w, data, len, true);
	walk_end(&w, data + pos, len - pos, pos);
	return 0;
}

/* Streams the file through a buffer that is reused: no copy of a large chain
 * in memory, and no mmap that a writer cutting a failed batch off could turn
 * into SIGBUS. */
static int audit_fd(int fd, const struct kv_audit_opts *o, struct kv_audit_result *res)
{
	size_t cap = 1u << 20, have = 0, used, base = 0;
	bool eof = false;
	struct walk w;
	char *buf, *nb;
	ssize_t r;
	int err;

	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	err = walk_begin(&w, o, res);
	used = 0;
	while (!err) {
		while (!eof && have < cap) {
			r = read(fd, buf + have, cap - have);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				err = -errno;
				break;
			}
			eof = !r;
			have += (size_t)r;
		}
		if (err)
			break;
		used = walk_lines(&w, buf, have, eof);
		if (eof || w.decided)
			break;
		if (!used && have == cap) {
			if (cap > 2 * (size_t)KV_RECEIPT_LINE_MAX) { /* two lines, each too long */
				decide(&w, KV_CHAIN_BROKEN, true, w.seq,
				       "receipt %llu: a line longer than the 1 MiB limit",
				       (unsigned long long)w.seq);
				break;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
			continue;
		}
		memmove(buf, buf + used, have - used);
		have -= used;
		base += used;
	}
	if (!err) {
		walk_end(&w, buf + used, have - used, base + used);
	} else {
		json_object_put(w.genesis);
		json_object_put(w.end);
		kv_receipt_buf_free(&w.rb);
	}
	free(buf);
	return err;
}

int kv_audit_session(const char *state_dir, const char *session_id, const char *pubkey_path,
		     struct kv_audit_result *res)
{
	char path[PATH_MAX], keypath[PATH_MAX], keyerr[PATH_MAX + 64];
	struct kv_audit_opts o = {.session_id = session_id};
	struct kv_receipt_key *key = NULL;
	struct stat st;
	int fd, err;

	memset(res, 0, sizeof(*res));
	if (!kv_session_id_valid(session_id) || !strcmp(session_id, "index")) {
		res->verdict = KV_MALFORMED;
		snprintf(res->reason, sizeof(res->reason),
			 "'%.200s' is not a session id ([A-Za-z0-9._-], 1-128 characters)",
			 session_id ? session_id : "");
		return 0;
	}
	snprintf(res->session, sizeof(res->session), "%s", session_id);
	err = kv_store_session_path(path, sizeof(path), state_dir, session_id);
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		res->verdict = KV_NO_SESSION;
		snprintf(res->reason, sizeof(res->reason), "no receipt chain %.400s", path);
		return 0;
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		res->verdict = KV_MALFORMED;
		snprintf(res->reason, sizeof(res->reason), "%.400s is not a regular file", path);
		goto out;
	}
	/* a live writer holds an exclusive lock */
	o.active = flock(fd, LOCK_SH | LOCK_NB) && errno == EWOULDBLOCK;
	if (!pubkey_path) {
		err = kv_receipt_pubkey_path(state_dir, keypath, sizeof(keypath));
		if (err)
			goto out;
		pubkey_path = keypath;
	}
	if (kv_receipt_pubkey_load(pubkey_path, &key, keyerr, sizeof(keyerr)))
		o.no_key_reason = keyerr;
	o.key = key;
	err = audit_fd(fd, &o, res);
out:
	kv_receipt_key_free(key);
	close(fd);
	return err;
}
