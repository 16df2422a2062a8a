// SPDX-License-Identifier: BSD-2-Clause
/* docs/receipts.md is right when a verifier written from it alone agrees with
 * kavachos: scripts/verify-receipts.py (Python 3 + openssl) on chains written
 * by the C writer, intact and tampered with. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "kvtest.h"
#include "receipts/store.h"
#include "test_receipt_util.h"

static int script_path(char *buf, size_t len)
{
	/* <repo>/build/ -> <repo>/scripts/ */
	return kv_store_path(buf, len, "%s/../scripts/verify-receipts.py", kvtest_build_dir());
}

/* Runs the verifier on bytes; returns its exit status, output in out. */
static int run_verifier(const struct rc_chain *c, const char *data, size_t len, char *out,
			size_t outlen)
{
	char script[PATH_MAX], file[PATH_MAX], key[PATH_MAX], cmd[3 * PATH_MAX + 32];
	size_t n;
	FILE *p;
	int st;

	if (script_path(script, sizeof(script)) ||
	    kv_store_path(file, sizeof(file), "%s/copy.jsonl", kvtest_tmpdir()) ||
	    kv_receipt_pubkey_path(c->state_dir, key, sizeof(key)) ||
	    rc_write_file(file, data, len) ||
	    kv_store_path(cmd, sizeof(cmd), "python3 '%s' '%s' '%s' 2>&1", script, file, key))
		return -1;
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(out, 1, outlen - 1, p);
	out[n] = 0;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

KV_TEST(script_is_bundled)
{
	char path[PATH_MAX], *data;
	size_t len;

	if (!ASSERT_OK(script_path(path, sizeof(path)), "path") ||
	    !ASSERT_OK(kv_store_read(path, &data, &len), path))
		return;
	ASSERT_EQ(len, strlen(kv_verifier_py), "same length as the bundled copy");
	ASSERT_TRUE(!memcmp(data, kv_verifier_py, len), "byte-identical to the bundled copy");
	free(data);
}

KV_TEST(python_agrees)
{
	struct rc_buf b = {0};
	struct rc_chain c;
	char out[512];
	size_t i, mid;

	if (!ASSERT_OK(rc_make(&c, "s", &(struct rc_spec){.rounds = 2}), "make"))
		return;
	ASSERT_EQ(run_verifier(&c, c.data, c.len, out, sizeof(out)), 0, "intact chain");
	ASSERT_HAS_SUBSTR(out, "CLEAN", out);
	/* one flipped byte in a payload */
	mid = c.n / 2;
	rc_buf_put(&b, c.data, c.len);
	b.p[c.off[mid] + 100] ^= 1;
	ASSERT_EQ(run_verifier(&c, b.p, b.len, out, sizeof(out)), 1, "flipped");
	ASSERT_HAS_SUBSTR(out, "CHAIN_BROKEN", out);
	/* a receipt deleted */
	b.len = 0;
	rc_buf_put(&b, c.data, c.off[mid]);
	rc_buf_put(&b, c.data + c.off[mid + 1], c.len - c.off[mid + 1]);
	ASSERT_EQ(run_verifier(&c, b.p, b.len, out, sizeof(out)), 1, "deleted");
	/* the tail cut after a checkpoint, or torn */
	for (i = c.n - 2; i > 0 && !rc_is(&c, i - 1, "CHECKPOINT"); i--)
		;
	ASSERT_EQ(run_verifier(&c, c.data, c.off[i], out, sizeof(out)), 1, "truncated");
	ASSERT_HAS_SUBSTR(out, "INCOMPLETE", out);
	ASSERT_EQ(run_verifier(&c, c.data, c.len - 3, out, sizeof(out)), 1, "torn");
	ASSERT_HAS_SUBSTR(out, "TRUNCATED", out);
	/* a checkpoint's signature altered (still valid hex, hash recomputed) */
	for (i = 1; i < c.n && !rc_is(&c, i, "CHECKPOINT"); i++)
		;
	if (ASSERT_TRUE(i < c.n, "a checkpoint")) {
		struct kv_receipt_view v;
		char payload[512], hash[KV_SHA256_HEX], *sig;
		struct kv_audit_result r;

		rc_view(&c, i, &v);
		snprintf(payload, sizeof(payload), "%.*s", (int)v.payload_len, v.payload);
		sig = strstr(payload, "\"sig\":\"") + 7;
		*sig = *sig == 'a' ? 'b' : 'a';
		b.len = 0;
		rc_buf_put(&b, c.data, c.off[i]);
		rc_reseal(&v, v.seq, NULL, payload, v.payload_len, &b, hash);
		/* the next receipt links to the new hash: re-linking the rest is the forger's
		 * job; the verdicts must already agree at the checkpoint */
		rc_buf_put(&b, c.data + c.off[i + 1], c.len - c.off[i + 1]);
		ASSERT_EQ(rc_audit(&c, b.p, b.len, &r), KV_CHAIN_BROKEN, "kavachos");
		ASSERT_EQ(r.bad_seq, i, "kavachos: at the checkpoint");
		snprintf(payload, sizeof(payload), "CHAIN_BROKEN at seq %zu", i);
		ASSERT_EQ(run_verifier(&c, b.p, b.len, out, sizeof(out)), 1, "bad signature");
		ASSERT_HAS_SUBSTR(out, payload, "python: at the checkpoint");
	}
	free(b.p);
	rc_free(&c);
}
