// SPDX-License-Identifier: BSD-2-Clause
/* Sealing and parsing one receipt line (receipt_line.h, docs/receipts.md). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include "receipts/canon_scan.h"
#include "receipts/receipt_line.h"

#define HEAD_OPEN "{\"hash\":\""

int kv_receipt_buf_init(struct kv_receipt_buf *b)
{
	memset(b, 0, sizeof(*b));
	b->md = EVP_MD_fetch(NULL, "SHA256", NULL);
	b->md_ctx = EVP_MD_CTX_new();
	if (!b->md || !b->md_ctx) {
		kv_receipt_buf_free(b);
		return -ENOMEM;
	}
	return 0;
}

void kv_receipt_buf_free(struct kv_receipt_buf *b)
{
	EVP_MD_CTX_free(b->md_ctx);
	EVP_MD_free(b->md);
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* SHA-256 of "{" + body, the canonical form of a receipt without its "hash". */
static int digest_body(struct kv_receipt_buf *b, const char *body, size_t len,
		       char hex[KV_SHA256_HEX])
{
	uint8_t md[KV_SHA256_LEN];
	unsigned int n = 0;

	if (!EVP_DigestInit_ex2(b->md_ctx, b->md, NULL) || !EVP_DigestUpdate(b->md_ctx, "{", 1) ||
	    !EVP_DigestUpdate(b->md_ctx, body, len) || !EVP_DigestFinal_ex(b->md_ctx, md, &n) ||
	    n != KV_SHA256_LEN)
		return -EIO;
	kv_hex(md, sizeof(md), hex);
	return 0;
}

int kv_receipt_digest(struct kv_receipt_buf *b, const char *line, size_t len,
		      char hash_hex[KV_SHA256_HEX])
{
	if (len < KV_RECEIPT_HEAD_LEN + 1)
		return -EINVAL;
	return digest_body(b, line + KV_RECEIPT_HEAD_LEN, len - KV_RECEIPT_HEAD_LEN, hash_hex);
}

static bool is_hex64(const char *s, size_t n)
{
	return n == 64 && kv_is_hex(s, 64);
}

static bool id_char(unsigned char c)
{
	return kv_byte_class[c] & KV_CH_ID;
}

static bool type_char(unsigned char c)
{
	return kv_byte_class[c] & KV_CH_TYPE;
}

static bool id_valid(const char *s, size_t n)
{
	size_t i;

	if (!n || n > KV_SESSION_ID_MAX || s[0] == '.')
		return false;
	for (i = 0; i < n; i++)
		if (!id_char((unsigned char)s[i]))
			return false;
	return true;
}

static bool type_valid(const char *s, size_t n)
{
	size_t i;

	if (!n || n > KV_RECEIPT_TYPE_MAX || s[0] < 'A' || s[0] > 'Z')
		return false;
	for (i = 1; i < n; i++)
		if (!type_char((unsigned char)s[i]))
			return false;
	return true;
}

bool kv_session_id_valid(const char *id)
{
	return id && id_valid(id, strnlen(id, KV_SESSION_ID_MAX + 1));
}

bool kv_receipt_type_valid(const char *type)
{
	return type && type_valid(type, strnlen(type, KV_RECEIPT_TYPE_MAX + 1));
}

int kv_receipt_genesis_prev(const char *session, char hex[KV_SHA256_HEX])
{
	char buf[sizeof(KV_GENESIS_DOMAIN) + KV_SESSION_ID_MAX];
	size_t n = strlen(session);

	if (!kv_session_id_valid(session))
		return -EINVAL;
	memcpy(buf, KV_GENESIS_DOMAIN, sizeof(KV_GENESIS_DOMAIN)); /* with its NUL */
	memcpy(buf + sizeof(KV_GENESIS_DOMAIN), session, n);
	return kv_sha256_hex(buf, sizeof(KV_GENESIS_DOMAIN) + n, hex);
}

int kv_checkpoint_message(char *buf, size_t len, const char *session, uint64_t seq,
			  const char *hash, const char *key_id)
{
	int n = snprintf(buf, len,
			 "{\"count\":%llu,\"domain\":\"" KV_CHECKPOINT_DOMAIN
			 "\",\"hash\":\"%.64s\",\"key_id\":\"%.64s\",\"seq\":%llu,"
			 "\"session\":\"%s\",\"v\":%d}",
			 (unsigned long long)seq + 1, hash, key_id, (unsigned long long)seq,
			 session, KV_RECEIPT_VERSION);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : n;
}

static char *put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define PUT_LIT(p, lit) put(p, lit, sizeof(lit) - 1)

static char *put_u64(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

int kv_receipt_seal(struct kv_receipt_buf *b, const struct kv_receipt_in *in,
		    char hash_hex[KV_SHA256_HEX])
{
	size_t slen, tlen, need;
	char *p, *body;
	int err;

	if (!kv_session_id_valid(in->session) || !kv_receipt_type_valid(in->type) || !in->prev ||
	    !is_hex64(in->prev, strnlen(in->prev, 65)) || !in->payload)
		return -EINVAL;
	slen = strlen(in->session);
	tlen = strlen(in->type);
	/* head + the fixed keys + three u64 + prev + session + type + payload + "}\n" */
	need = KV_RECEIPT_HEAD_LEN + 96 + 3 * 20 + 64 + slen + tlen + in->payload_len + 2;
	if (need > KV_RECEIPT_LINE_MAX + 1)
		return -E2BIG;
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 512;
		char *np;

		while (cap < need)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np)
			return -ENOMEM;
		b->p = np;
		b->cap = cap;
	}
	body = p = b->p + KV_RECEIPT_HEAD_LEN;
	p = PUT_LIT(p, "\"ktime_ns\":");
	p = put_u64(p, in->ktime_ns);
	p = PUT_LIT(p, ",\"payload\":");
	p = put(p, in->payload, in->payload_len);
	p = PUT_LIT(p, ",\"prev\":\"");
	p = put(p, in->prev, 64);
	p = PUT_LIT(p, "\",\"seq\":");
	p = put_u64(p, in->seq);
	p = PUT_LIT(p, ",\"session\":\"");
	p = put(p, in->session, slen);
	p = PUT_LIT(p, "\",\"type\":\"");
	p = put(p, in->type, tlen);
	p = PUT_LIT(p, "\",\"v\":");
	p = put_u64(p, KV_RECEIPT_VERSION);
	p = PUT_LIT(p, ",\"wall_ns\":");
	p = put_u64(p, in->wall_ns);
	*p++ = '}';
	if ((size_t)(p - b->p) > KV_RECEIPT_LINE_MAX)
		return -E2BIG;
	err = digest_body(b, body, (size_t)(p - body), hash_hex);
	if (err)
		return err;
	put(put(PUT_LIT(b->p, HEAD_OPEN), hash_hex, 64), "\",", 2);
	*p++ = '\n';
	b->len = (size_t)(p - b->p);
	return 0;
}

static bool scan_hex64(struct kv_scan *s, const char **out)
{
	if ((size_t)(s->end - s->p) < 64 || !is_hex64((const char *)s->p, 64))
		return kv_scan_fail(s, -EINVAL, "expected 64 lower-case hex digits");
	*out = (const char *)s->p;
	s->p += 64;
	return true;
}

/* session id or type: a plain string of restricted characters, up to its '"' */
static bool scan_name(struct kv_scan *s, bool session, const char **out, size_t *n)
{
	const unsigned char *q = s->p;

	while (q < s->end && *q != '"')
		q++;
	if (session ? !id_valid((const char *)s->p, (size_t)(q - s->p))
		    : !type_valid((const char *)s->p, (size_t)(q - s->p)))
		return kv_scan_fail(s, -EINVAL,
				    session ? "invalid session id ([A-Za-z0-9._-], 1-128)"
					    : "invalid receipt type ([A-Z][A-Z0-9_]*, 1-31)");
	*out = (const char *)s->p;
	*n = (size_t)(q - s->p);
	s->p = q;
	return true;
}

#define LIT(s, lit) kv_scan_lit(s, lit, sizeof(lit) - 1)

/* The "v" of a line that is JSON but not a version-1 receipt, if any. */
static bool other_version(const char *line, size_t len, int64_t *ver)
{
	struct json_tokener *tok;
	struct json_object *o, *v;
	bool found = false;

	if (len > INT_MAX)
		return false;
	tok = json_tokener_new_ex(KV_CANON_MAX_DEPTH);
	if (!tok)
		return false;
	o = json_tokener_parse_ex(tok, line, (int)len);
	if (o && json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, "v", &v) && json_object_is_type(v, json_type_int)) {
		*ver = json_object_get_int64(v);
		found = *ver != KV_RECEIPT_VERSION;
	}
	json_object_put(o);
	json_tokener_free(tok);
	return found;
}

int kv_receipt_parse(const char *line, size_t len, struct kv_receipt_view *v, char *err,
		     size_t errlen)
{
	struct kv_scan s;
	int64_t ver;

	kv_scan_init(&s, line, len, err, errlen);
	if (len > KV_RECEIPT_LINE_MAX) {
		kv_scan_fail(&s, -EINVAL, "line longer than the 1 MiB limit");
		return s.code;
	}
	if (!LIT(&s, HEAD_OPEN) || !scan_hex64(&s, &v->hash) || !LIT(&s, "\",\"ktime_ns\":") ||
	    !kv_scan_u64(&s, &v->ktime_ns) || !LIT(&s, ",\"payload\":"))
		goto bad;
	v->payload = (const char *)s.p;
	s.depth = 1; /* inside the envelope */
	if (!kv_scan_object(&s))
		goto bad;
	v->payload_len = (size_t)((const char *)s.p - v->payload);
	if (!LIT(&s, ",\"prev\":\"") || !scan_hex64(&s, &v->prev) || !LIT(&s, "\",\"seq\":") ||
	    !kv_scan_u64(&s, &v->seq) || !LIT(&s, ",\"session\":\"") ||
	    !scan_name(&s, true, &v->session, &v->session_len) || !LIT(&s, "\",\"type\":\"") ||
	    !scan_name(&s, false, &v->type, &v->type_len) || !LIT(&s, "\",\"v\":") ||
	    !kv_scan_u64(&s, &v->v) || !LIT(&s, ",\"wall_ns\":") || !kv_scan_u64(&s, &v->wall_ns) ||
	    !LIT(&s, "}"))
		goto bad;
	if (s.p != s.end) {
		kv_scan_fail(&s, -EINVAL, "bytes after the receipt");
		goto bad;
	}
	if (v->v != KV_RECEIPT_VERSION) {
		if (err && errlen)
			snprintf(err, errlen,
				 "unsupported receipt format version %llu (this kavachos reads "
				 "version %d)",
				 (unsigned long long)v->v, KV_RECEIPT_VERSION);
		return -EPROTONOSUPPORT;
	}
	return 0;
bad:
	if (other_version(line, len, &ver)) {
		if (err && errlen)
			snprintf(err, errlen,
				 "unsupported receipt format version %lld (this kavachos reads "
				 "version %d)",
				 (long long)ver, KV_RECEIPT_VERSION);
		return -EPROTONOSUPPORT;
	}
	return s.code ? s.code : -EINVAL;
}
