/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef KV_SHA256_H
#define KV_SHA256_H
#include <stddef.h>
#include <stdint.h>

#define KV_SHA256_LEN 32
#define KV_SHA256_HEX 65 /* 64 hex digits + NUL */

/* SHA-256 through OpenSSL EVP. Returns 0 or -EIO. */
int kv_sha256(const void *data, size_t len, uint8_t out[KV_SHA256_LEN]);
/* Lower-case hex of the digest of data. Returns 0 or -EIO. */
int kv_sha256_hex(const void *data, size_t len, char out[KV_SHA256_HEX]);
void kv_hex(const uint8_t *in, size_t n, char *out /* 2n+1 */);
#endif
