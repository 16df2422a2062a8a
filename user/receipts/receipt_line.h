/* SPDX-License-Identifier: BSD-2-Clause */
/* One PRAMANA receipt as a line of text (docs/receipts.md, "Line format").
 *
 * A receipt line is the canonical JSON (common/canon_json.h) of
 *   {"hash", "ktime_ns", "payload", "prev", "seq", "session", "type", "v", "wall_ns"}
 * followed by '\n'. "hash" sorts first, so the line is `{"hash":"<64 hex>",` + BODY
 * and the hashed bytes (the canonical form of everything but "hash") are "{" + BODY:
 * sealing and verifying never build or parse a JSON tree on the hot path.
 *
 * kv_receipt_parse() is the strict reader audit uses (and the fuzz target drives):
 * it accepts exactly the bytes kv_receipt_seal() can produce — canonical JSON,
 * the version-1 envelope, valid UTF-8 — and names the first offending byte. */
#ifndef KV_RECEIPT_LINE_H
#define KV_RECEIPT_LINE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/sha256.h"

#define KV_RECEIPT_VERSION  1
#define KV_SESSION_ID_MAX   128 /* [A-Za-z0-9._-], not starting with '.' */
#define KV_RECEIPT_TYPE_MAX 31	/* [A-Z][A-Z0-9_]* */
#define KV_RECEIPT_LINE_MAX (1u << 20)
#define KV_CANON_MAX_DEPTH  64 /* nesting of objects/arrays, envelope included */
#define KV_RECEIPT_HEAD_LEN 75 /* strlen("{\"hash\":\"") + 64 + strlen("\",") */
#define KV_GENESIS_DOMAIN   "PRAMANA-GENESIS"

/* What one receipt says, before it is sealed. */
struct kv_receipt_in {
	const char *session;
	uint64_t seq;
	uint64_t ktime_ns; /* CLOCK_BOOTTIME of the event (BPF: bpf_ktime_get_boot_ns) */
	uint64_t wall_ns;  /* CLOCK_REALTIME when sealed */
	const char *prev;  /* 64 lower-case hex digits */
	const char *type;
	const char *payload; /* canonical JSON object (kv_canon_check() clean) */
	size_t payload_len;
};

/* A parsed line: pointers into the caller's buffer, nothing copied. */
struct kv_receipt_view {
	const char *hash; /* 64 hex digits, not NUL-terminated */
	const char *prev;
	uint64_t ktime_ns, seq, v, wall_ns;
	const char *session;
	size_t session_len;
	const char *type;
	size_t type_len;
	const char *payload; /* canonical JSON object text */
	size_t payload_len;
};

/* Reusable sealing/verifying state: an output buffer and a SHA-256 context
 * (fetching the digest once: EVP_Digest() per call costs ~2x on short records). */
struct kv_receipt_buf {
	char *p; /* the sealed line, '\n'-terminated */
	size_t len, cap;
	void *md_ctx; /* EVP_MD_CTX */
	void *md;     /* EVP_MD */
};

int kv_receipt_buf_init(struct kv_receipt_buf *b);
void kv_receipt_buf_free(struct kv_receipt_buf *b);

/* Serialises and hashes `in` into b->p (with its '\n'); hash_hex gets the hash.
 * Returns 0, -EINVAL (bad session/type/prev), -E2BIG (line too long), -ENOMEM, -EIO. */
int kv_receipt_seal(struct kv_receipt_buf *b, const struct kv_receipt_in *in,
		    char hash_hex[KV_SHA256_HEX]);
/* Hash of a parsed line as the writer computed it: SHA-256("{" + line[75:]). */
int kv_receipt_digest(struct kv_receipt_buf *b, const char *line, size_t len,
		      char hash_hex[KV_SHA256_HEX]);

/* Parses one line (without its '\n'). Returns 0, -EINVAL (err names the byte
 * and what was expected) or -EPROTONOSUPPORT (a receipt of another format version). */
int kv_receipt_parse(const char *line, size_t len, struct kv_receipt_view *v, char *err,
		     size_t errlen);

/* Checks that p[0..len) is one canonical JSON object as kv_json_canonical() writes
 * it. Returns 0, -EILSEQ (invalid UTF-8), -E2BIG (nested too deeply), -EINVAL. */
int kv_canon_check(const char *p, size_t len, char *err, size_t errlen);

/* Top-level member `key` of an object that kv_canon_check() (or kv_receipt_parse())
 * accepted: its value's text. Relies on that check: it does not validate again. */
bool kv_canon_member(const char *obj, size_t len, const char *key, const char **val, size_t *vlen);
/* A member that is a non-negative integer / the plain string `s`. */
bool kv_canon_member_u64(const char *obj, size_t len, const char *key, uint64_t *out);
bool kv_canon_member_is(const char *obj, size_t len, const char *key, const char *s);

/* Length of the valid UTF-8 sequence at p (lead byte >= 0x80; shortest form,
 * no surrogates, <= U+10FFFF), or 0 when it is not one. */
size_t kv_utf8_seq_len(const unsigned char *p, size_t left);

/* What a checkpoint signs (Ed25519): the canonical JSON
 * {"count":N,"domain":"PRAMANA-CHECKPOINT","hash":H,"key_id":K,"seq":S,"session":ID,"v":1}
 * where S/H are the seq/hash of the last receipt covered and N = S + 1.
 * Returns the length, or -ENAMETOOLONG when buf is too small. */
#define KV_CHECKPOINT_DOMAIN  "PRAMANA-CHECKPOINT"
#define KV_CHECKPOINT_MSG_MAX 512
int kv_checkpoint_message(char *buf, size_t len, const char *session, uint64_t seq,
			  const char *hash, const char *key_id);

/* n lower-case hex digits. */
bool kv_is_hex(const char *p, size_t n);

bool kv_session_id_valid(const char *id);
bool kv_receipt_type_valid(const char *type);
/* prev of the genesis receipt: hex SHA-256 of "PRAMANA-GENESIS\0" + session id. */
int kv_receipt_genesis_prev(const char *session, char hex[KV_SHA256_HEX]);
#endif
