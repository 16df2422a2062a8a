// SPDX-License-Identifier: BSD-2-Clause
/* `kavachos audit --export`: one session's evidence as a directory a third
 * party can verify with nothing but Python 3 and openssl(1). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "receipts/receipt_keys.h"
#include "receipts/receipts.h"
#include "receipts/store.h"

struct bundle {
	const char *dir;
	char sums[1024];
	size_t sums_len;
	char *err;
	size_t errlen;
};

static int put_file(struct bundle *b, const char *name, const void *data, size_t len, mode_t mode)
{
	char path[PATH_MAX], hex[KV_SHA256_HEX];
	int fd, err;

	err = kv_store_path(path, sizeof(path), "%s/%s", b->dir, name);
	if (err)
		return err;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	err = kv_store_write_all(fd, data, len, NULL);
	if (!err && fsync(fd))
		err = -errno;
	close(fd);
	if (err)
		goto fail;
	err = kv_sha256_hex(data, len, hex);
	if (err)
		return err;
	b->sums_len += (size_t)snprintf(b->sums + b->sums_len, sizeof(b->sums) - b->sums_len,
					"%s  %s\n", hex, name);
	return 0;
fail:
	snprintf(b->err, b->errlen, "cannot write %s: %s", path, strerror(-err));
	return err;
}

static int out_dir_ready(const char *dir, char *err, size_t errlen)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if (!kv_store_mkdirs(dir, 0755) && (d = opendir(dir))) {
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				n++;
		closedir(d);
		if (!n)
			return 0;
		snprintf(err, errlen, "%s is not empty: the bundle goes into a new directory", dir);
		return -EEXIST;
	}
	snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
	return -errno;
}

/* The CHECKPOINT lines, for a reader who wants just the signed states. */
static char *checkpoint_lines(const char *data, size_t len, size_t *out_len)
{
	char *out = malloc(len + 1), *o = out;
	const char *line = data, *nl;
	struct kv_receipt_view v;

	if (!out)
		return NULL;
	for (; line < data + len && (nl = memchr(line, '\n', (size_t)(data + len - line)));
	     line = nl + 1) {
		if (kv_receipt_parse(line, (size_t)(nl - line), &v, NULL, 0) || v.type_len != 10 ||
		    memcmp(v.type, "CHECKPOINT", 10))
			continue;
		memcpy(o, line, (size_t)(nl - line) + 1);
		o += nl - line + 1;
	}
	*out_len = (size_t)(o - out);
	return out;
}

static char *verify_md(const struct kv_audit_result *r, const char *session)
{
	char *md = NULL;

	if (asprintf(
		&md,
		"# Evidence bundle: PRAMANA receipts of session %s\n\n"
		"Exported by `kavachos audit --export`; verdict at export: **%s**%s%s.\n\n"
		"| file | what |\n| --- | --- |\n"
		"| `%s.jsonl` | the receipt chain, one canonical JSON receipt per line |\n"
		"| `checkpoints.jsonl` | its CHECKPOINT receipts (also in the chain) |\n"
		"| `pubkey.pem` | Ed25519 public key the checkpoints verify with (key id %s) |\n"
		"| `audit.json` | `kavachos audit --json` of the session at export |\n"
		"| `verify-receipts.py` | an independent verifier (Python 3 + openssl >= 3.0) |\n"
		"| `SHA256SUMS` | SHA-256 of the files above |\n\n"
		"## Verify\n\n"
		"1. Check the key: compare `pubkey.pem` with the operator's published key\n"
		"   (its id is the SHA-256 of the 32 raw key bytes:\n"
		"   `openssl pkey -pubin -in pubkey.pem -outform DER | tail -c 32 | sha256sum`).\n"
		"   A bundle signed by a key you have not pinned proves nothing.\n"
		"2. `sha256sum -c SHA256SUMS`\n"
		"3. `python3 verify-receipts.py %s.jsonl pubkey.pem` prints `CLEAN` when every\n"
		"   receipt is canonical, hashes and links to its predecessor, sequence numbers\n"
		"   are contiguous, every checkpoint's Ed25519 signature verifies, and the chain\n"
		"   ends with SESSION_END followed by its final checkpoint.\n"
		"4. With kavachos: `KAVACHOS_STATE_DIR=<dir with sessions/%s.jsonl> kavachos\n"
		"   audit %s --pubkey pubkey.pem` also reconciles the kernel's violation\n"
		"   counters (SESSION_END kernel_counts) and regenerates the profile hash.\n\n"
		"Format and algorithms: docs/receipts.md in the kavachos sources.\n",
		session, kv_verdict_name(r->verdict), r->reason[0] ? " — " : "", r->reason, session,
		r->key_id[0] ? r->key_id : "unknown", session, session, session) < 0)
		return NULL;
	return md;
}

int kv_audit_export(const char *state_dir, const char *session_id, const char *pubkey_path,
		    const char *out_dir, struct kv_audit_result *res, char *err, size_t errlen)
{
	char src[PATH_MAX], keypath[PATH_MAX], name[KV_SESSION_ID_MAX + 8];
	struct bundle b = {.dir = out_dir, .err = err, .errlen = errlen};
	char *data = NULL, *key = NULL, *ckpt = NULL, *md = NULL;
	const char *json;
	struct json_object *aj = NULL;
	size_t len = 0, key_len = 0, ckpt_len = 0;
	int ret;

	ret = kv_audit_session(state_dir, session_id, pubkey_path, res);
	if (ret) {
		snprintf(err, errlen, "cannot audit %s: %s", session_id, strerror(-ret));
		return ret;
	}
	if (res->verdict == KV_NO_SESSION || res->verdict == KV_MALFORMED) {
		snprintf(err, errlen, "%s: %s", session_id, res->reason);
		return -ENOENT;
	}
	if (!pubkey_path) {
		ret = kv_receipt_pubkey_path(state_dir, keypath, sizeof(keypath));
		if (ret)
			return ret;
		pubkey_path = keypath;
	}
	ret = kv_store_session_path(src, sizeof(src), state_dir, session_id);
	if (!ret && (ret = kv_store_read(src, &data, &len)))
		snprintf(err, errlen, "cannot read %s: %s", src, strerror(-ret));
	if (!ret && (ret = kv_store_read(pubkey_path, &key, &key_len)))
		snprintf(err, errlen, "cannot read public key %s: %s", pubkey_path, strerror(-ret));
	if (!ret)
		ret = out_dir_ready(out_dir, err, errlen);
	if (ret)
		goto out;
	ckpt = checkpoint_lines(data, len, &ckpt_len);
	aj = kv_audit_result_json(res);
	json = json_object_to_json_string_ext(aj, JSON_C_TO_STRING_PRETTY |
						      JSON_C_TO_STRING_NOSLASHESCAPE);
	md = verify_md(res, session_id);
	if (!ckpt || !aj || !md) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	snprintf(name, sizeof(name), "%s.jsonl", session_id);
	ret = put_file(&b, name, data, len, 0644);
	if (!ret)
		ret = put_file(&b, "checkpoints.jsonl", ckpt, ckpt_len, 0644);
	if (!ret)
		ret = put_file(&b, "pubkey.pem", key, key_len, 0644);
	if (!ret)
		ret = put_file(&b, "audit.json", json, strlen(json), 0644);
	if (!ret)
		ret = put_file(&b, "verify-receipts.py", kv_verifier_py, strlen(kv_verifier_py),
			       0755);
	if (!ret)
		ret = put_file(&b, "VERIFY.md", md, strlen(md), 0644);
	if (!ret) {
		char sums[sizeof(b.sums)];

		memcpy(sums, b.sums, b.sums_len + 1);
		ret = put_file(&b, "SHA256SUMS", sums, b.sums_len, 0644);
	}
out:
	json_object_put(aj);
	free(md);
	free(ckpt);
	free(key);
	free(data);
	return ret;
}
