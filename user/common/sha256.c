// SPDX-License-Identifier: BSD-2-Clause
/* SHA-256 through OpenSSL's SHA256_Init/Update/Final. Those are deprecated
 * in OpenSSL 3 in favour of EVP, but EVP's first digest initialises the
 * library context and fetches the algorithm from the default provider,
 * ~1.2 ms of every short-lived kavachos process (a `run` through the daemon
 * hashes only its file policy and its filter's key); the low-level calls
 * are the same SHA-NI code without that. The receipt writer, which hashes
 * millions of lines in a long-lived process, keeps its fetched EVP digest
 * (receipt_line.c). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <errno.h>
#include <openssl/sha.h>
#include "common/sha256.h"

int kv_sha256(const void *data, size_t len, uint8_t out[KV_SHA256_LEN])
{
	SHA256_CTX c;

	if (!SHA256_Init(&c) || !SHA256_Update(&c, data, len) || !SHA256_Final(out, &c))
		return -EIO;
	return 0;
}

void kv_hex(const uint8_t *in, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * n] = 0;
}

int kv_sha256_hex(const void *data, size_t len, char out[KV_SHA256_HEX])
{
	uint8_t md[KV_SHA256_LEN];
	int err = kv_sha256(data, len, md);

	if (err)
		return err;
	kv_hex(md, sizeof(md), out);
	return 0;
}
