// SPDX-License-Identifier: BSD-2-Clause
/* Canonical JSON validation (see canon_scan.h, docs/receipts.md "Canonical JSON").
 * The grammar is RFC 8259 narrowed to one spelling per value: no white space,
 * object keys strictly increasing bytewise (so no duplicates), integers only,
 * strings in valid UTF-8 with exactly the escapes kv_json_canonical() writes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "receipts/canon_scan.h"
#include "receipts/receipt_line.h"

#define CH_IN(c, lo, hi) ((c) >= (lo) && (c) <= (hi))
#define CH(c)                                                                                      \
	((CH_IN(c, 0x20, 0x7f) && (c) != '"' && (c) != '\\' ? KV_CH_PLAIN : 0) |                   \
	 (CH_IN(c, '0', '9') || CH_IN(c, 'a', 'f') ? KV_CH_HEX : 0) |                              \
	 (CH_IN(c, '0', '9') ? KV_CH_DIGIT : 0) |                                                  \
	 (CH_IN(c, 'a', 'z') || CH_IN(c, 'A', 'Z') || CH_IN(c, '0', '9') || (c) == '.' ||          \
		  (c) == '_' || (c) == '-'                                                         \
	      ? KV_CH_ID                                                                           \
	      : 0) |                                                                               \
	 (CH_IN(c, 'A', 'Z') || CH_IN(c, '0', '9') || (c) == '_' ? KV_CH_TYPE : 0))
#define CH4(c)	CH(c), CH((c) + 1), CH((c) + 2), CH((c) + 3)
#define CH16(c) CH4(c), CH4((c) + 4), CH4((c) + 8), CH4((c) + 12)
#define CH64(c) CH16(c), CH16((c) + 16), CH16((c) + 32), CH16((c) + 48)

const unsigned char kv_byte_class[256] = {CH64(0), CH64(64), CH64(128), CH64(192)};

static inline bool plain(unsigned char c)
{
	return kv_byte_class[c] & KV_CH_PLAIN;
}

void kv_scan_init(struct kv_scan *s, const char *p, size_t len, char *err, size_t errlen)
{
	s->start = s->p = (const unsigned char *)p;
	s->end = s->p + len;
	s->depth = 0;
	s->code = 0;
	s->err = err;
	s->errlen = errlen;
	if (err && errlen)
		err[0] = 0;
}

bool kv_scan_fail(struct kv_scan *s, int code, const char *what)
{
	if (s->code)
		return false;
	s->code = code;
	if (s->err && s->errlen)
		snprintf(s->err, s->errlen, "byte %zu: %s", (size_t)(s->p - s->start), what);
	return false;
}

bool kv_scan_lit_fail(struct kv_scan *s, const char *lit)
{
	char what[96];

	snprintf(what, sizeof(what), "expected '%s'", lit);
	return kv_scan_fail(s, -EINVAL, what);
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1; /* upper case is not canonical */
}

bool kv_is_hex(const char *p, size_t n)
{
	const unsigned char *q = (const unsigned char *)p;
	unsigned char all = KV_CH_HEX;
	size_t i;

	for (i = 0; i < n; i++) /* no early exit: a loop the compiler unrolls */
		all &= kv_byte_class[q[i]];
	return all;
}

size_t kv_utf8_seq_len(const unsigned char *p, size_t left)
{
	size_t n, i;
	unsigned cp, min;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f, min = 0x80;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f, min = 0x800;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static bool scan_utf8(struct kv_scan *s)
{
	size_t n = kv_utf8_seq_len(s->p, (size_t)(s->end - s->p));

	if (!n)
		return kv_scan_fail(s, -EILSEQ, "invalid UTF-8");
	s->p += n;
	return true;
}

/* A string at s->p (on its '"'); a key may not contain NUL (json-c keys are C
 * strings). *esc (when given) says whether it holds an escape. */
static bool scan_string(struct kv_scan *s, bool key, bool *esc)
{
	const unsigned char *p;
	int v;

	s->p++;
	for (;;) {
		const unsigned char *q = s->p, *end = s->end;

		while (q < end && plain(*q))
			q++;
		s->p = q;
		if (s->p >= s->end)
			return kv_scan_fail(s, -EINVAL, "unterminated string");
		p = s->p;
		if (*p == '"') {
			s->p++;
			return true;
		}
		if (*p >= 0x80) {
			if (!scan_utf8(s))
				return false;
			continue;
		}
		if (*p < 0x20)
			return kv_scan_fail(s, -EINVAL, "raw control byte in a string");
		/* backslash */
		if (esc)
			*esc = true;
		if (s->end - p < 2)
			return kv_scan_fail(s, -EINVAL, "unterminated escape");
		switch (p[1]) {
		case '"':
		case '\\':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			s->p += 2;
			continue;
		case 'u':
			if (s->end - p < 6 || p[2] != '0' || p[3] != '0' || hexval(p[4]) < 0 ||
			    hexval(p[5]) < 0)
				return kv_scan_fail(s, -EINVAL,
						    "\\u escape other than \\u00xx (lower-case)");
			v = hexval(p[4]) * 16 + hexval(p[5]);
			if (v >= 0x20)
				return kv_scan_fail(s, -EINVAL,
						    "\\u escape of a character that needs none");
			if (v == '\b' || v == '\f' || v == '\n' || v == '\r' || v == '\t')
				return kv_scan_fail(s, -EINVAL,
						    "\\u escape where a short escape exists");
			if (key && v == 0)
				return kv_scan_fail(s, -EINVAL, "NUL in an object key");
			s->p += 6;
			continue;
		default:
			return kv_scan_fail(s, -EINVAL, "escape that canonical JSON does not use");
		}
	}
}

/* Next byte of a key's decoded content; p is inside a validated string. */
static unsigned char key_byte(const unsigned char **pp)
{
	const unsigned char *p = *pp;

	if (*p != '\\') {
		*pp = p + 1;
		return *p;
	}
	*pp = p + 2;
	switch (p[1]) {
	case 'b':
		return '\b';
	case 'f':
		return '\f';
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	case 'u':
		*pp = p + 6;
		return (unsigned char)(hexval(p[4]) * 16 + hexval(p[5]));
	default:
		return p[1]; /* '"' or '\\' */
	}
}

/* Bytewise order of the decoded keys [a, ae) and [b, be) (strcmp's order);
 * esc: either holds an escape. */
static int key_cmp(const unsigned char *a, const unsigned char *ae, const unsigned char *b,
		   const unsigned char *be, bool esc)
{
	size_t an = (size_t)(ae - a), bn = (size_t)(be - b);
	int c;

	if (!esc) {
		c = memcmp(a, b, an < bn ? an : bn);
		return c ? c : (an > bn) - (an < bn);
	}
	while (a < ae && b < be) {
		unsigned char ca = key_byte(&a), cb = key_byte(&b);

		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return (a < ae) - (b < be);
}

/* An integer; *out gets its value when it is non-negative. */
static bool scan_number(struct kv_scan *s, uint64_t *out)
{
	static const char max_pos[] = "18446744073709551615", max_neg[] = "9223372036854775808";
	const unsigned char *d, *q, *end = s->end;
	bool neg = *s->p == '-';
	size_t n, lim_len;
	const char *lim;
	uint64_t v = 0;

	s->p += neg;
	d = q = s->p;
	while (q < end && (kv_byte_class[*q] & KV_CH_DIGIT))
		v = v * 10 + (uint64_t)(*q++ - '0');
	s->p = q;
	n = (size_t)(q - d);
	if (!n)
		return kv_scan_fail(s, -EINVAL, "expected a digit");
	if (s->p < s->end && (*s->p == '.' || *s->p == 'e' || *s->p == 'E'))
		return kv_scan_fail(s, -EINVAL,
				    "a fraction or exponent (canonical JSON has integers only)");
	if (d[0] == '0' && (n > 1 || neg)) {
		s->p = d;
		return kv_scan_fail(s, -EINVAL, n > 1 ? "leading zero" : "-0");
	}
	lim = neg ? max_neg : max_pos;
	lim_len = (neg ? sizeof(max_neg) : sizeof(max_pos)) - 1;
	if (n > lim_len || (n == lim_len && memcmp(d, lim, n) > 0)) {
		s->p = d;
		return kv_scan_fail(s, -EINVAL, "integer out of the 64-bit range");
	}
	if (out)
		*out = v;
	return true;
}

bool kv_scan_u64(struct kv_scan *s, uint64_t *out)
{
	if (s->p >= s->end || *s->p < '0' || *s->p > '9')
		return kv_scan_fail(s, -EINVAL, "expected a non-negative integer");
	return scan_number(s, out);
}

static bool scan_array(struct kv_scan *s)
{
	if (++s->depth > KV_CANON_MAX_DEPTH)
		return kv_scan_fail(s, -E2BIG, "nested too deeply");
	s->p++;
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		s->depth--;
		return true;
	}
	for (;;) {
		if (!kv_scan_value(s))
			return false;
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			s->depth--;
			return true;
		}
		return kv_scan_fail(s, -EINVAL, "expected ',' or ']'");
	}
}

bool kv_scan_object(struct kv_scan *s)
{
	const unsigned char *prev = NULL, *prev_end = NULL, *key;
	bool prev_esc = false, esc;

	if (s->p >= s->end || *s->p != '{')
		return kv_scan_fail(s, -EINVAL, "expected '{'");
	if (++s->depth > KV_CANON_MAX_DEPTH)
		return kv_scan_fail(s, -E2BIG, "nested too deeply");
	s->p++;
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		s->depth--;
		return true;
	}
	for (;;) {
		if (s->p >= s->end || *s->p != '"')
			return kv_scan_fail(s, -EINVAL, "expected a key string");
		key = s->p;
		esc = false;
		if (!scan_string(s, true, &esc))
			return false;
		if (prev) {
			int c = key_cmp(prev + 1, prev_end - 1, key + 1, s->p - 1, prev_esc || esc);

			if (c >= 0) {
				s->p = key;
				return kv_scan_fail(
				    s, -EINVAL, c ? "keys out of sorted order" : "duplicate key");
			}
		}
		prev = key;
		prev_end = s->p;
		prev_esc = esc;
		if (!kv_scan_lit(s, ":", 1) || !kv_scan_value(s))
			return false;
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			s->depth--;
			return true;
		}
		return kv_scan_fail(s, -EINVAL, "expected ',' or '}'");
	}
}

bool kv_scan_value(struct kv_scan *s)
{
	if (s->p >= s->end)
		return kv_scan_fail(s, -EINVAL, "expected a value");
	switch (*s->p) {
	case '{':
		return kv_scan_object(s);
	case '[':
		return scan_array(s);
	case '"':
		return scan_string(s, false, NULL);
	case 't':
		return kv_scan_lit(s, "true", 4);
	case 'f':
		return kv_scan_lit(s, "false", 5);
	case 'n':
		return kv_scan_lit(s, "null", 4);
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
			return scan_number(s, NULL);
		return kv_scan_fail(s, -EINVAL, "expected a value");
	}
}

int kv_canon_check(const char *p, size_t len, char *err, size_t errlen)
{
	struct kv_scan s;

	kv_scan_init(&s, p, len, err, errlen);
	if (!kv_scan_object(&s))
		return s.code;
	if (s.p != s.end) {
		kv_scan_fail(&s, -EINVAL, "bytes after the object");
		return s.code;
	}
	return 0;
}

/* The end of the value at p, in text already checked canonical. */
static const char *skip_checked(const char *p, const char *end)
{
	int depth = 0;

	do {
		switch (*p) {
		case '"':
			for (p++; p < end && *p != '"'; p++)
				p += *p == '\\';
			p++;
			break;
		case '{':
		case '[':
			depth++;
			p++;
			break;
		case '}':
		case ']':
			depth--;
			p++;
			break;
		default:
			p++;
		}
	} while (p < end && (depth > 0 || (*p != ',' && *p != '}' && *p != ']')));
	return p;
}

bool kv_canon_member(const char *obj, size_t len, const char *key, const char **val, size_t *vlen)
{
	const char *p = obj + 1, *end = obj + len, *k;
	size_t klen = strlen(key);

	if (len < 2 || obj[0] != '{')
		return false;
	while (p < end && *p == '"') {
		k = ++p;
		while (p < end && *p != '"')
			p += (*p == '\\') + 1;
		if (p + 1 >= end || p[1] != ':')
			return false;
		*val = p + 2;
		p = skip_checked(p + 2, end);
		if ((size_t)(*val - 2 - k) == klen && !memcmp(k, key, klen)) {
			*vlen = (size_t)(p - *val);
			return true;
		}
		p += p < end && *p == ',';
	}
	return false;
}

bool kv_canon_member_u64(const char *obj, size_t len, const char *key, uint64_t *out)
{
	const char *v;
	size_t n;
	struct kv_scan s;

	if (!kv_canon_member(obj, len, key, &v, &n))
		return false;
	kv_scan_init(&s, v, n, NULL, 0);
	return kv_scan_u64(&s, out) && s.p == s.end;
}

bool kv_canon_member_is(const char *obj, size_t len, const char *key, const char *str)
{
	size_t n, sl = strlen(str);
	const char *v;

	return kv_canon_member(obj, len, key, &v, &n) && n == sl + 2 && v[0] == '"' &&
	       !memcmp(v + 1, str, sl);
}
