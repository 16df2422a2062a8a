/* SPDX-License-Identifier: BSD-2-Clause */
/* The Ed25519 key that signs checkpoints (OpenSSL EVP_PKEY_ED25519).
 * <state_dir>/keys/receipts.ed25519      private key, PKCS#8 PEM, 0600
 * <state_dir>/keys/receipts.ed25519.pub  public key, SubjectPublicKeyInfo PEM, 0644
 * A key's id is the hex SHA-256 of its 32 raw public-key bytes. */
#ifndef KV_RECEIPT_KEYS_H
#define KV_RECEIPT_KEYS_H
#include <stddef.h>
#include <stdint.h>
#include "common/sha256.h"

#define KV_ED25519_SIG_LEN  64
#define KV_RECEIPT_KEY_NAME "receipts.ed25519"

struct kv_receipt_key; /* opaque: a private or a public key */

/* Loads the state dir's private key, creating the pair (keys/ 0700, key 0600) on
 * first use; concurrent first uses agree on one key. Returns 0 or negative errno. */
int kv_receipt_key_load_or_create(const char *state_dir, struct kv_receipt_key **out);
/* A fresh key pair in memory (tests, and a forger's key in them). */
int kv_receipt_key_generate(struct kv_receipt_key **out);
/* A public key from a PEM file (public or private). err names the problem. */
int kv_receipt_pubkey_load(const char *path, struct kv_receipt_key **out, char *err, size_t errlen);
/* Writes the public half as PEM to path (0644, created or replaced). */
int kv_receipt_pubkey_write(const struct kv_receipt_key *k, const char *path);
/* <state_dir>/keys/receipts.ed25519.pub into buf. */
int kv_receipt_pubkey_path(const char *state_dir, char *buf, size_t len);
void kv_receipt_key_free(struct kv_receipt_key *k);

const char *kv_receipt_key_id(const struct kv_receipt_key *k); /* 64 hex */
int kv_receipt_key_sign(const struct kv_receipt_key *k, const void *msg, size_t len,
			uint8_t sig[KV_ED25519_SIG_LEN]);
/* 0 when sig is k's signature of msg, -EBADMSG when not, other negative errno on error. */
int kv_receipt_key_verify(const struct kv_receipt_key *k, const void *msg, size_t len,
			  const uint8_t sig[KV_ED25519_SIG_LEN]);
#endif
