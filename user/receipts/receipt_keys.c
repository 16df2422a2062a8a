// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include "common/log.h"
#include "receipts/receipt_keys.h"
#include "receipts/store.h"

struct kv_receipt_key {
	EVP_PKEY *pkey;
	char id[KV_SHA256_HEX];
};

static int key_wrap(EVP_PKEY *pkey, struct kv_receipt_key **out)
{
	struct kv_receipt_key *k;
	uint8_t raw[32];
	size_t n = sizeof(raw);
	int err;

	if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pkey);
		return -EINVAL;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		EVP_PKEY_free(pkey);
		return -ENOMEM;
	}
	k->pkey = pkey;
	if (EVP_PKEY_get_raw_public_key(pkey, raw, &n) != 1 || n != sizeof(raw)) {
		kv_receipt_key_free(k);
		return -EINVAL;
	}
	err = kv_sha256_hex(raw, n, k->id);
	if (err) {
		kv_receipt_key_free(k);
		return err;
	}
	*out = k;
	return 0;
}

void kv_receipt_key_free(struct kv_receipt_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

const char *kv_receipt_key_id(const struct kv_receipt_key *k)
{
	return k->id;
}

int kv_receipt_key_generate(struct kv_receipt_key **out)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	if (!pkey)
		return -EIO;
	return key_wrap(pkey, out);
}

int kv_receipt_pubkey_path(const char *state_dir, char *buf, size_t len)
{
	return kv_store_path(buf, len, "%s/" KV_KEYS_SUBDIR "/" KV_RECEIPT_KEY_NAME ".pub",
			     state_dir);
}

static int load_private(const char *path, struct kv_receipt_key **out)
{
	struct stat st;
	EVP_PKEY *pkey;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fstat(fileno(f), &st) && (st.st_mode & 077))
		kv_warn("receipts", "signing key %s is accessible to group/others (mode %04o)",
			path, (unsigned)(st.st_mode & 07777));
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!pkey) {
		ERR_clear_error();
		kv_warn("receipts", "signing key %s is not a PEM private key", path);
		return -EINVAL;
	}
	return key_wrap(pkey, out);
}

/* Writes the private key to a fresh temporary file and links it into place:
 * the first of several concurrent creators wins, the others load its key. */
static int create_private(const char *dir, const char *path, struct kv_receipt_key **out)
{
	char tmp[PATH_MAX];
	struct kv_receipt_key *k;
	int fd, err;
	FILE *f;

	err = kv_receipt_key_generate(&k);
	if (err)
		return err;
	err = kv_store_path(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	if (err)
		goto fail;
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto fail_unlink;
	}
	if (!PEM_write_PrivateKey(f, k->pkey, NULL, NULL, 0, NULL, NULL) || fflush(f) ||
	    fsync(fileno(f))) {
		err = -EIO;
		fclose(f);
		goto fail_unlink;
	}
	fclose(f);
	if (link(tmp, path)) {
		err = -errno;
		unlink(tmp);
		kv_receipt_key_free(k);
		return err == -EEXIST ? load_private(path, out) : err;
	}
	unlink(tmp);
	kv_store_fsync_dir(dir);
	kv_info("receipts", "created checkpoint signing key %s (id %.16s...)", path, k->id);
	*out = k;
	return 0;
fail_unlink:
	unlink(tmp);
fail:
	kv_receipt_key_free(k);
	return err;
}

int kv_receipt_pubkey_write(const struct kv_receipt_key *k, const char *path)
{
	char tmp[PATH_MAX];
	int fd, err;
	FILE *f;

	err = kv_store_path(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	if (err)
		return err;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		unlink(tmp);
		return err;
	}
	if (!PEM_write_PUBKEY(f, k->pkey) || fflush(f) || fsync(fileno(f))) {
		fclose(f);
		unlink(tmp);
		return -EIO;
	}
	fclose(f);
	if (rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
		return err;
	}
	return 0;
}

/* The last key this process loaded, reused while both files are the ones it
 * read: the daemon creates a chain per session, and PEM-decoding the two
 * files through OpenSSL cost ~2 ms of every session start. A file that was
 * replaced, rewritten or chmod-ed (inode, size, mtime or ctime differ) is
 * read again, exactly as before. */
static struct {
	pthread_mutex_t lock;
	char state_dir[PATH_MAX];
	struct stat priv, pub;
	EVP_PKEY *pkey;
	char id[KV_SHA256_HEX];
} last = { .lock = PTHREAD_MUTEX_INITIALIZER };

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec &&
	       a->st_mode == b->st_mode;
}

static int last_get(const char *state_dir, const char *path, const char *pub,
		    struct kv_receipt_key **out)
{
	struct kv_receipt_key *k = NULL;
	struct stat a, b;

	if (stat(path, &a) || stat(pub, &b))
		return -ENOENT;
	pthread_mutex_lock(&last.lock);
	if (last.pkey && !strcmp(last.state_dir, state_dir) && same_file(&a, &last.priv) &&
	    same_file(&b, &last.pub) && (k = calloc(1, sizeof(*k)))) {
		EVP_PKEY_up_ref(last.pkey);
		k->pkey = last.pkey;
		memcpy(k->id, last.id, sizeof(k->id));
	}
	pthread_mutex_unlock(&last.lock);
	*out = k;
	return k ? 0 : -ENOENT;
}

/* before: the private key file as it was before k was read from it; a file
 * replaced meanwhile is not remembered as k's. */
static void last_set(const char *state_dir, const char *path, const char *pub,
		     const struct stat *before, const struct kv_receipt_key *k)
{
	struct stat a, b;

	if (stat(path, &a) || stat(pub, &b) || !same_file(&a, before))
		return;
	pthread_mutex_lock(&last.lock);
	EVP_PKEY_free(last.pkey);
	last.pkey = NULL;
	if (snprintf(last.state_dir, sizeof(last.state_dir), "%s", state_dir) <
	    (int)sizeof(last.state_dir)) {
		EVP_PKEY_up_ref(k->pkey);
		last.pkey = k->pkey;
		last.priv = a;
		last.pub = b;
		memcpy(last.id, k->id, sizeof(last.id));
	}
	pthread_mutex_unlock(&last.lock);
}

int kv_receipt_key_load_or_create(const char *state_dir, struct kv_receipt_key **out)
{
	char dir[PATH_MAX], path[PATH_MAX], pub[PATH_MAX];
	struct kv_receipt_key *have = NULL;
	struct stat before;
	int err;

	err = kv_store_path(dir, sizeof(dir), "%s/" KV_KEYS_SUBDIR, state_dir);
	if (!err)
		err = kv_store_path(path, sizeof(path), "%s/" KV_RECEIPT_KEY_NAME, dir);
	if (!err)
		err = kv_receipt_pubkey_path(state_dir, pub, sizeof(pub));
	if (!err)
		err = kv_store_mkdirs(state_dir, 0755);
	if (err)
		return err;
	if (!last_get(state_dir, path, pub, out))
		return 0;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	memset(&before, 0, sizeof(before));
	stat(path, &before);
	err = load_private(path, out);
	if (err == -ENOENT)
		err = create_private(dir, path, out);
	if (err)
		return err;
	/* The public half next to it, for audit: (re)written when missing or another key's. */
	if (kv_receipt_pubkey_load(pub, &have, NULL, 0) || strcmp(have->id, (*out)->id)) {
		if (have)
			kv_warn("receipts",
				"%s holds key %.16s..., not the signing key %.16s...: rewriting it",
				pub, have->id, (*out)->id);
		err = kv_receipt_pubkey_write(*out, pub);
		if (err)
			kv_warn("receipts", "cannot write public key %s: %s", pub, strerror(-err));
	}
	kv_receipt_key_free(have);
	last_set(state_dir, path, pub, &before, *out);
	return 0;
}

int kv_receipt_pubkey_load(const char *path, struct kv_receipt_key **out, char *err, size_t errlen)
{
	EVP_PKEY *pkey;
	FILE *f;
	int ret;

	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		if (err)
			snprintf(err, errlen, "cannot open public key %s: %s", path,
				 strerror(-ret));
		return ret;
	}
	pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	if (!pkey) {
		rewind(f);
		pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	}
	fclose(f);
	ERR_clear_error();
	if (!pkey) {
		if (err)
			snprintf(err, errlen, "%s is not a PEM public key", path);
		return -EINVAL;
	}
	ret = key_wrap(pkey, out);
	if (ret && err)
		snprintf(err, errlen, "%s is not an Ed25519 key", path);
	return ret;
}

int kv_receipt_key_sign(const struct kv_receipt_key *k, const void *msg, size_t len,
			uint8_t sig[KV_ED25519_SIG_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t n = KV_ED25519_SIG_LEN;
	int err = 0;

	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) != 1 ||
	    EVP_DigestSign(ctx, sig, &n, msg, len) != 1 || n != KV_ED25519_SIG_LEN) {
		ERR_clear_error();
		err = -EINVAL; /* a public-only key, or OpenSSL without Ed25519 */
	}
	EVP_MD_CTX_free(ctx);
	return err;
}

int kv_receipt_key_verify(const struct kv_receipt_key *k, const void *msg, size_t len,
			  const uint8_t sig[KV_ED25519_SIG_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int r, err;

	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k->pkey) != 1) {
		err = -EINVAL;
		goto out;
	}
	r = EVP_DigestVerify(ctx, sig, KV_ED25519_SIG_LEN, msg, len);
	err = r == 1 ? 0 : r == 0 ? -EBADMSG : -EINVAL;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return err;
}
