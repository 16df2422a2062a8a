// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <openssl/evp.h>
#include "common/sha256.h"

int kv_sha256(const void *data, size_t len, uint8_t out[KV_SHA256_LEN])
{
	unsigned int n = 0;

	if (!EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) || n != KV_SHA256_LEN)
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
