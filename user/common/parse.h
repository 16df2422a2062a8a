/* SPDX-License-Identifier: BSD-2-Clause */
/* Strict number parsing: the whole string must be a number in range. */
#ifndef KV_PARSE_H
#define KV_PARSE_H
#include <stdint.h>

/* Decimal or 0x-hex. Returns 0, -EINVAL (not a number), -ERANGE. */
int kv_parse_u64(const char *s, uint64_t *out);
int kv_parse_u32(const char *s, uint32_t *out);
#endif
