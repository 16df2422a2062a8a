/* SPDX-License-Identifier: BSD-2-Clause */
/* A strict scanner for canonical JSON (receipts' internal piece of receipt_line.h):
 * it validates without building a tree, so audit checks a receipt at the speed of
 * a byte loop. Accepts only what kv_json_canonical() emits. */
#ifndef KV_CANON_SCAN_H
#define KV_CANON_SCAN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Byte classes (kv_byte_class[c] bits), one table lookup per byte. */
#define KV_CH_PLAIN 0x01 /* ASCII a string holds unescaped */
#define KV_CH_HEX   0x02 /* 0-9 a-f */
#define KV_CH_DIGIT 0x04 /* 0-9 */
#define KV_CH_ID    0x08 /* A-Z a-z 0-9 . _ - (session ids) */
#define KV_CH_TYPE  0x10 /* A-Z 0-9 _ (receipt types) */
extern const unsigned char kv_byte_class[256];

struct kv_scan {
	const unsigned char *start, *p, *end;
	unsigned depth;
	int code; /* first failure: negative errno */
	char *err;
	size_t errlen;
};

void kv_scan_init(struct kv_scan *s, const char *p, size_t len, char *err, size_t errlen);
/* Records the first failure at the current byte; always returns false. */
bool kv_scan_fail(struct kv_scan *s, int code, const char *what);
/* Consumes the literal `lit` or fails with "expected `lit`". Inline: with a
 * constant literal the compare compiles to a few instructions. */
bool kv_scan_lit_fail(struct kv_scan *s, const char *lit);
static inline bool kv_scan_lit(struct kv_scan *s, const char *lit, size_t n)
{
	if ((size_t)(s->end - s->p) >= n && !__builtin_memcmp(s->p, lit, n)) {
		s->p += n;
		return true;
	}
	return kv_scan_lit_fail(s, lit);
}
bool kv_scan_value(struct kv_scan *s);
bool kv_scan_object(struct kv_scan *s);
/* A canonical non-negative integer (no sign, no leading zero, <= UINT64_MAX). */
bool kv_scan_u64(struct kv_scan *s, uint64_t *out);
#endif
