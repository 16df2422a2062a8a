// SPDX-License-Identifier: BSD-2-Clause
/* Audit on what lies in a state dir: garbage, empty and foreign files, missing
 * sessions and keys, the session list, profile drift, the evidence bundle. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kvtest.h"
#include "receipts/store.h"
#include "test_receipt_util.h"

static enum kv_verdict audit_bytes(const struct rc_chain *c, const char *id, const void *data,
				   size_t len, struct kv_audit_result *r)
{
	char path[PATH_MAX];

	if (kv_store_session_path(path, sizeof(path), c->state_dir, id) ||
	    rc_write_file(path, data, len) || kv_audit_session(c->state_dir, id, NULL, r))
		return KV_VERDICT_MAX;
	return r->verdict;
}

KV_TEST(garbage_files)
{
	static const struct {
		const char *id;
		const char *data;
		size_t len;
		enum kv_verdict want;
		const char *reason;
	} cases[] = {
	    {"ks-empty", "", 0, KV_MALFORMED, "empty file"},
	    {"ks-text", "hello world\nsecond line\n", 24, KV_MALFORMED, "not a receipt chain"},
	    {"ks-noeol", "hello", 5, KV_MALFORMED, "no complete line"},
	    {"ks-json", "{\"a\":1}\n", 8, KV_MALFORMED, "expected '{\"hash\":\"'"},
	    {"ks-nul", "\0\0\0\0", 4, KV_TRUNCATED, "torn last line"},
	    {"ks-v2", "{\"v\":2,\"receipt\":{}}\n{\"v\":2}\n", 29, KV_UNSUPPORTED_VERSION,
	     "version 2"},
	    {"ks-binary", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, KV_MALFORMED, "line 1"},
	};
	struct kv_audit_result r;
	struct rc_chain c;
	size_t i, cap;
	unsigned seed = 7;
	char *buf;

	if (!ASSERT_OK(rc_make(&c, "s", NULL), "make"))
		return;
	cap = c.len + 8192;
	buf = malloc(cap);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!ASSERT_EQ(audit_bytes(&c, cases[i].id, cases[i].data, cases[i].len, &r),
			       cases[i].want, cases[i].id))
			fprintf(stderr, "  %s\n", r.reason);
		ASSERT_HAS_SUBSTR(r.reason, cases[i].reason, cases[i].id);
	}
	/* random bytes, with and without newlines: a verdict, never a crash */
	for (i = 0; i < 200; i++) {
		size_t n = (size_t)rand_r(&seed) % 8192, k;

		for (k = 0; k < n; k++)
			buf[k] = (char)(rand_r(&seed) % (i % 2 ? 256 : 128));
		ASSERT_NEQ(audit_bytes(&c, "ks-random", buf, n, &r), KV_CLEAN, "random");
	}
	/* a chain followed by a garbage line */
	memcpy(buf, c.data, c.len);
	memcpy(buf + c.len, "garbage\n", 8);
	ASSERT_EQ(audit_bytes(&c, RC_SESSION, buf, c.len + 8, &r), KV_CHAIN_BROKEN, "garbage tail");
	ASSERT_EQ(r.bad_seq, c.n, "after the last receipt");
	/* the chain under another session's name */
	ASSERT_EQ(audit_bytes(&c, "ks-renamed", c.data, c.len, &r), KV_CHAIN_BROKEN, "renamed");
	ASSERT_HAS_SUBSTR(r.reason, "belongs to session " RC_SESSION, "renamed");
	free(buf);
	rc_free(&c);
}

KV_TEST(missing_things)
{
	char path[PATH_MAX], other[PATH_MAX];
	struct kv_receipt_key *k;
	struct kv_audit_result r;
	struct rc_chain c;

	if (!ASSERT_OK(rc_make(&c, "s", NULL), "make"))
		return;
	ASSERT_OK(kv_audit_session(c.state_dir, "ks-nope", NULL, &r), "audit");
	ASSERT_EQ(r.verdict, KV_NO_SESSION, "no such session");
	ASSERT_OK(kv_audit_session(c.state_dir, "../../etc/passwd", NULL, &r), "audit");
	ASSERT_EQ(r.verdict, KV_MALFORMED, "not a session id");
	kv_store_session_path(path, sizeof(path), c.state_dir, "ks-dir");
	mkdir(path, 0755);
	ASSERT_OK(kv_audit_session(c.state_dir, "ks-dir", NULL, &r), "audit");
	ASSERT_EQ(r.verdict, KV_MALFORMED, "a directory");
	/* keys: a pinned other key, garbage, none */
	ASSERT_OK(kv_receipt_key_generate(&k), "other key");
	kv_store_path(other, sizeof(other), "%s/other.pem", kvtest_tmpdir());
	ASSERT_OK(kv_receipt_pubkey_write(k, other), "write other");
	kv_receipt_key_free(k);
	ASSERT_OK(kv_audit_session(c.state_dir, RC_SESSION, other, &r), "audit");
	ASSERT_EQ(r.verdict, KV_KEY_MISMATCH, "other key");
	ASSERT_OK(rc_write_file(other, "not a key\n", 10), "garbage key");
	ASSERT_OK(kv_audit_session(c.state_dir, RC_SESSION, other, &r), "audit");
	ASSERT_EQ(r.verdict, KV_NO_KEY, "garbage key");
	ASSERT_HAS_SUBSTR(r.reason, "not a PEM public key", "says why");
	kv_receipt_pubkey_path(c.state_dir, path, sizeof(path));
	ASSERT_OK(unlink(path), "remove the public key");
	ASSERT_OK(kv_audit_session(c.state_dir, RC_SESSION, NULL, &r), "audit");
	ASSERT_EQ(r.verdict, KV_NO_KEY, "no key");
	/* the private key file also serves as the public key */
	kv_store_path(path, sizeof(path), "%s/keys/receipts.ed25519", c.state_dir);
	ASSERT_OK(kv_audit_session(c.state_dir, RC_SESSION, path, &r), "audit");
	ASSERT_EQ(r.verdict, KV_CLEAN, "private key file");
	rc_free(&c);
}

KV_TEST(session_list)
{
	char path[PATH_MAX], **ids;
	struct kv_audit_result r;
	struct rc_chain c;
	struct json_object *o;
	size_t n;

	ASSERT_EQ(kv_audit_list_sessions("/nonexistent", &ids, &n), -ENOENT, "no store");
	if (!ASSERT_OK(rc_make(&c, "s", NULL), "make"))
		return;
	/* a file the index lacks, an index entry without a file, a foreign file */
	kv_store_session_path(path, sizeof(path), c.state_dir, "ks-aaa-unindexed");
	ASSERT_OK(rc_write_file(path, c.data, c.len), "copy");
	o = json_tokener_parse("{\"event\":\"start\",\"session\":\"ks-gone\"}");
	ASSERT_OK(kv_store_index_append(c.state_dir, o, true), "index");
	json_object_put(o);
	kv_store_path(path, sizeof(path), "%s/sessions/README.txt", c.state_dir);
	ASSERT_OK(rc_write_file(path, "x", 1), "foreign file");
	if (!ASSERT_OK(kv_audit_list_sessions(c.state_dir, &ids, &n), "list"))
		return;
	if (ASSERT_EQ(n, 3, "sessions")) {
		ASSERT_STREQ(ids[0], RC_SESSION, "index order first");
		ASSERT_STREQ(ids[1], "ks-gone", "index order");
		ASSERT_STREQ(ids[2], "ks-aaa-unindexed", "then files");
		ASSERT_OK(kv_audit_session(c.state_dir, ids[1], NULL, &r), "audit");
		ASSERT_EQ(r.verdict, KV_NO_SESSION, "deleted session file");
	}
	kv_audit_ids_free(ids, n);
	rc_free(&c);
}

KV_TEST(profile_drift)
{
	struct kv_audit_result r;
	struct rc_chain c;

	if (!ASSERT_OK(rc_make(&c, "a", &(struct rc_spec){.profile = true}), "make"))
		return;
	ASSERT_EQ(rc_audit(&c, c.data, c.len, &r), KV_CLEAN, "regenerates");
	ASSERT_TRUE(r.profile_checked, "checked");
	ASSERT_STREQ(r.profile_sha256, r.profile_regenerated, "same hash");
	rc_free(&c);
	if (!ASSERT_OK(
		rc_make(
		    &c, "b",
		    &(struct rc_spec){
			.profile_sha256 =
			    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}),
		"make"))
		return;
	ASSERT_EQ(rc_audit(&c, c.data, c.len, &r), KV_PROFILE_DRIFT, "drift");
	ASSERT_EQ(r.bad_seq, 0, "the genesis");
	ASSERT_HAS_SUBSTR(r.reason, "trust_mask 0x000000ff", "names the inputs");
	rc_free(&c);
}

static int sha256sum_check(const char *dir)
{
	char cmd[PATH_MAX + 64];
	int st;

	snprintf(cmd, sizeof(cmd), "cd '%.4000s' && sha256sum --quiet -c SHA256SUMS", dir);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

KV_TEST(export_bundle)
{
	static const char *const files[] = {RC_SESSION ".jsonl", "checkpoints.jsonl",  "pubkey.pem",
					    "audit.json",	 "verify-receipts.py", "VERIFY.md",
					    "SHA256SUMS"};
	char out[PATH_MAX], path[PATH_MAX], err[PATH_MAX + 64], cmd[3 * PATH_MAX], *data;
	struct kv_audit_result r;
	struct rc_chain c;
	size_t i, len;
	FILE *p;

	if (!ASSERT_OK(rc_make(&c, "s", NULL), "make"))
		return;
	kv_store_path(out, sizeof(out), "%s/bundle", kvtest_tmpdir());
	if (!ASSERT_OK(kv_audit_export(c.state_dir, RC_SESSION, NULL, out, &r, err, sizeof(err)),
		       err))
		return;
	ASSERT_EQ(r.verdict, KV_CLEAN, "audited");
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		kv_store_path(path, sizeof(path), "%s/%s", out, files[i]);
		ASSERT_OK(access(path, R_OK), files[i]);
	}
	kv_store_path(path, sizeof(path), "%s/" RC_SESSION ".jsonl", out);
	if (ASSERT_OK(kv_store_read(path, &data, &len), "receipts")) {
		ASSERT_TRUE(len == c.len && !memcmp(data, c.data, len), "byte copy");
		free(data);
	}
	kv_store_path(path, sizeof(path), "%s/checkpoints.jsonl", out);
	if (ASSERT_OK(kv_store_read(path, &data, &len), "checkpoints")) {
		ASSERT_HAS_SUBSTR(data, "\"type\":\"CHECKPOINT\"", "checkpoint lines");
		ASSERT_TRUE(!strstr(data, "SESSION_START"), "only checkpoints");
		free(data);
	}
	kv_store_path(path, sizeof(path), "%s/VERIFY.md", out);
	if (ASSERT_OK(kv_store_read(path, &data, &len), "VERIFY.md")) {
		ASSERT_HAS_SUBSTR(data,
				  "python3 verify-receipts.py " RC_SESSION ".jsonl pubkey.pem",
				  "instructions");
		ASSERT_HAS_SUBSTR(data, kv_receipt_key_id(c.key), "key id");
		free(data);
	}
	ASSERT_EQ(sha256sum_check(out), 0, "SHA256SUMS");
	/* the bundle verifies on its own */
	snprintf(cmd, sizeof(cmd),
		 "cd '%.4000s' && python3 verify-receipts.py " RC_SESSION ".jsonl pubkey.pem", out);
	p = popen(cmd, "r");
	if (ASSERT_OK_PTR(p, "popen")) {
		len = fread(err, 1, sizeof(err) - 1, p);
		err[len] = 0;
		ASSERT_EQ(pclose(p), 0, "verifier exit");
		ASSERT_HAS_SUBSTR(err, "CLEAN", "verifier output");
	}
	/* never into a directory with something in it */
	ASSERT_EQ(kv_audit_export(c.state_dir, RC_SESSION, NULL, out, &r, err, sizeof(err)),
		  -EEXIST, "not empty");
	ASSERT_HAS_SUBSTR(err, "not empty", "says so");
	kv_store_path(out, sizeof(out), "%s/bundle2", kvtest_tmpdir());
	ASSERT_EQ(kv_audit_export(c.state_dir, "ks-none", NULL, out, &r, err, sizeof(err)), -ENOENT,
		  "no session");
	rc_free(&c);
}

/* Chains larger than the audit's read buffer (1 MiB): lines straddle reads, a
 * big receipt needs the buffer to grow, a line over the limit is refused. */
KV_TEST(large_chain_streamed)
{
	char dir[PATH_MAX], *big, *copy;
	struct kv_chain_opts o = {.session_id = RC_SESSION, .checkpoint_every = 500};
	struct kv_audit_result r;
	struct rc_chain c = {0};
	struct json_object *f;
	struct kv_chain *ch;
	size_t i, mid;

	kv_store_path(dir, sizeof(dir), "%s/s", kvtest_tmpdir());
	o.state_dir = dir;
	if (!ASSERT_OK(kv_chain_create(&o, NULL, &ch), "create"))
		return;
	big = malloc(900 * 1024);
	memset(big, 'x', 900 * 1024 - 1);
	big[900 * 1024 - 1] = 0;
	f = json_object_new_object();
	json_object_object_add(f, "blob", json_object_new_string(big)); /* line 1 + 2 > 1 MiB */
	ASSERT_OK(kv_chain_append(ch, "FALCO_ALERT", f, 0), "big receipt");
	for (i = 0; i < 8000; i++) {
		f = json_object_new_object();
		json_object_object_add(f, "port", json_object_new_int((int)i));
		ASSERT_OK(kv_chain_append(ch, "EGRESS_DENY", f, 0), "append");
	}
	ASSERT_OK(kv_chain_close(ch, NULL), "close");
	ASSERT_OK(kv_audit_session(dir, RC_SESSION, NULL, &r), "audit");
	ASSERT_EQ(r.verdict, KV_CLEAN, "clean");
	kv_store_session_path(c.path, sizeof(c.path), dir, RC_SESSION);
	if (!ASSERT_OK(rc_load(&c), "load") || !ASSERT_GE(c.len, 3u << 20, "several MiB"))
		goto out;
	ASSERT_EQ(r.receipts, c.n, "every receipt");
	copy = malloc(c.len);
	/* a flip in every 1 MiB window is found at its receipt */
	for (mid = 1; mid < c.n; mid += c.n / 7) {
		memcpy(copy, c.data, c.len);
		copy[c.off[mid] + 20] ^= 1;
		ASSERT_OK(rc_write_file(c.path, copy, c.len), "write");
		ASSERT_OK(kv_audit_session(dir, RC_SESSION, NULL, &r), "audit");
		ASSERT_EQ(r.verdict, KV_CHAIN_BROKEN, "flip");
		ASSERT_EQ(r.bad_seq, mid, "at its receipt");
	}
	/* torn at the end of a big file */
	ASSERT_OK(rc_write_file(c.path, c.data, c.len - 10), "torn");
	ASSERT_OK(kv_audit_session(dir, RC_SESSION, NULL, &r), "audit");
	ASSERT_EQ(r.verdict, KV_TRUNCATED, "torn");
	ASSERT_EQ(r.bad_seq, c.n - 1, "last receipt");
	/* a line over the 1 MiB limit after the genesis */
	free(copy);
	copy = malloc(c.off[1] + (3u << 20));
	memcpy(copy, c.data, c.off[1]);
	memset(copy + c.off[1], 'y', 3u << 20);
	copy[c.off[1] + (3u << 20) - 1] = '\n';
	ASSERT_OK(rc_write_file(c.path, copy, c.off[1] + (3u << 20)), "long line");
	ASSERT_OK(kv_audit_session(dir, RC_SESSION, NULL, &r), "audit");
	ASSERT_EQ(r.verdict, KV_CHAIN_BROKEN, "long line");
	ASSERT_EQ(r.bad_seq, 1, "after the genesis");
	free(copy);
out:
	free(big);
	rc_free(&c);
}
