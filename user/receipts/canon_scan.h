/* SPDX-License-Identifier: BSD-2-Clause */
/* A strict scanner for canonical JSON (receipts' internal piece of receipt_line.h):
 * it validates without building a tree, so audit checks a receipt at the speed of
 * a byte loop. Accepts only what kv_json_canonical() emits. */
#ifndef KV_CANON_SCAN_H
#define KV_CANON_SCAN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
/* Consumes the literal `lit` or fails with "expected `lit`". */
bool kv_scan_lit(struct kv_scan *s, const char *lit, size_t n);
bool kv_scan_value(struct kv_scan *s);
bool kv_scan_object(struct kv_scan *s);
/* A canonical non-negative integer (no sign, no leading zero, <= UINT64_MAX). */
bool kv_scan_u64(struct kv_scan *s, uint64_t *out);
#endif
