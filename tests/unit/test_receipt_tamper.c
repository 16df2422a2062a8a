// SPDX-License-Identifier: BSD-2-Clause
/* A real chain audits CLEAN; every kind of tampering, on copies, is detected
 * with the right verdict at the right sequence number. */
#include <stdlib.h>
#include <string.h>
#include "kvtest.h"
#include "test_receipt_util.h"

KV_TEST(clean_chain)
{
	struct kv_audit_result r;
	struct rc_chain c;
	size_t i;
	unsigned cl;

	if (!ASSERT_OK(rc_make(&c, "s", NULL), "make"))
		return;
	ASSERT_EQ(kv_audit_session(c.state_dir, RC_SESSION, NULL, &r), 0, "audit");
	if (!ASSERT_EQ(r.verdict, KV_CLEAN, "verdict"))
		fprintf(stderr, "  reason: %s\n", r.reason);
	ASSERT_STREQ(r.session, RC_SESSION, "session");
	ASSERT_EQ(r.receipts, c.n, "every line verified");
	ASSERT_TRUE(r.ended && r.reconciled && r.signed_any, "closed, reconciled, signed");
	ASSERT_EQ(r.signed_through, c.n - 2, "final checkpoint covers SESSION_END");
	for (cl = 0; cl < KV_CLASS_MAX; cl++)
		ASSERT_EQ(r.sealed_counts[cl], c.kernel[cl], kv_class_name(cl));
	ASSERT_EQ(r.sealed_counts[KV_CLASS_NOTIFY], 3, "allowed NOTIFY not a violation");
	for (i = 0; i < r.n_types; i++) {
		if (!strcmp(r.types[i].type, "LSM_DENY"))
			ASSERT_EQ(r.types[i].n, 6, "LSM_DENY count");
		if (!strcmp(r.types[i].type, "SESSION_START"))
			ASSERT_EQ(r.types[i].n, 1, "one genesis");
	}
	/* spacing: never more than checkpoint_every receipts between checkpoints */
	ASSERT_TRUE(rc_is(&c, 0, "SESSION_START") && rc_is(&c, c.n - 2, "SESSION_END") &&
			rc_is(&c, c.n - 1, "CHECKPOINT"),
		    "layout");
	ASSERT_GE(r.checkpoints, (c.n - 2) / 5, "checkpoints every 4");
	rc_free(&c);
}

/* However the last receipts fall against the checkpoint spacing, a closed
 * session ends with exactly one checkpoint after SESSION_END. */
KV_TEST(clean_at_every_spacing)
{
	struct kv_audit_result r;
	struct rc_chain c;
	char sub[16];
	unsigned every;

	for (every = 1; every <= 12; every++) {
		snprintf(sub, sizeof(sub), "e%u", every);
		if (!ASSERT_OK(
			rc_make(&c, sub, &(struct rc_spec){.checkpoint_every = every, .rounds = 1}),
			"make"))
			return;
		if (!ASSERT_EQ(rc_audit(&c, c.data, c.len, &r), KV_CLEAN, sub))
			fprintf(stderr, "  %s\n", r.reason);
		ASSERT_TRUE(rc_is(&c, c.n - 2, "SESSION_END") && rc_is(&c, c.n - 1, "CHECKPOINT"),
			    "one final checkpoint");
		rc_free(&c);
	}
}

/* Every byte of every receipt, flipped: the receipt holding it is named. */
KV_TEST(flip_every_byte)
{
	static const unsigned char masks[] = {0x01, 0x20, 0x80};
	struct kv_audit_result r;
	struct rc_chain c;
	size_t pos, line = 0, m, checked = 0;
	char *copy;

	/* one round of every receipt type; checkpoint signatures cost ~0.2 ms each */
	if (!ASSERT_OK(rc_make(&c, "s", &(struct rc_spec){.rounds = 1, .checkpoint_every = 4}),
		       "make"))
		return;
	copy = malloc(c.len);
	for (pos = 0; pos < c.len; pos++) {
		while (pos >= c.off[line + 1])
			line++;
		for (m = 0; m < sizeof(masks); m++) {
			enum kv_verdict want = KV_CHAIN_BROKEN;

			memcpy(copy, c.data, c.len);
			copy[pos] ^= (char)masks[m];
			if (pos == c.len - 1)
				want = KV_TRUNCATED; /* the last newline: indistinguishable from a
							torn write */
			if (rc_audit(&c, copy, c.len, &r) != want || !r.has_bad_seq ||
			    r.bad_seq != line) {
				fprintf(stderr, "  byte %zu (line %zu) ^0x%02x: %s at %llu: %s\n",
					pos, line, masks[m], kv_verdict_name(r.verdict),
					(unsigned long long)r.bad_seq, r.reason);
				kvtest_fail();
				goto out;
			}
			checked++;
		}
	}
	ASSERT_EQ(checked, c.len * sizeof(masks), "all positions");
out:
	free(copy);
	rc_free(&c);
}

KV_TEST(delete_each_receipt)
{
	struct kv_audit_result r;
	struct rc_chain c;
	size_t i, len;
	char *copy;

	if (!ASSERT_OK(rc_make(&c, "s", NULL), "make"))
		return;
	copy = malloc(c.len);
	for (i = 0; i < c.n; i++) {
		memcpy(copy, c.data, c.off[i]);
		memcpy(copy + c.off[i], c.data + c.off[i + 1], c.len - c.off[i + 1]);
		len = c.len - (c.off[i + 1] - c.off[i]);
		if (i == c.n - 1) {
			/* the final checkpoint gone: SESSION_END is unsigned */
			ASSERT_EQ(rc_audit(&c, copy, len, &r), KV_UNSIGNED_TAIL, "last deleted");
			ASSERT_EQ(r.bad_seq, i - 1, "SESSION_END unsigned");
		} else if (!ASSERT_EQ(rc_audit(&c, copy, len, &r), KV_CHAIN_BROKEN, "deleted") ||
			   !ASSERT_EQ(r.bad_seq, i, "missing seq")) {
			fprintf(stderr, "  deleted %zu: %s\n", i, r.reason);
			break;
		}
	}
	free(copy);
	rc_free(&c);
}

static void swap_lines(const struct rc_chain *c, size_t i, size_t j, char *out)
{
	size_t o = 0, k, n;

	for (k = 0; k < c->n; k++) {
		size_t src = k == i ? j : k == j ? i : k;

		n = c->off[src + 1] - c->off[src];
		memcpy(out + o, c->data + c->off[src], n);
		o += n;
	}
}

KV_TEST(swap_receipts)
{
	struct kv_audit_result r;
	struct rc_chain c;
	size_t i, j;
	char *copy;

	if (!ASSERT_OK(rc_make(&c, "s", NULL), "make"))
		return;
	copy = malloc(c.len);
	for (i = 1; i < c.n; i++) {
		for (j = i + 1; j < c.n; j += (j - i) + 1) { /* neighbours and far pairs */
			swap_lines(&c, i, j, copy);
			if (!ASSERT_EQ(rc_audit(&c, copy, c.len, &r), KV_CHAIN_BROKEN, "swapped") ||
			    !ASSERT_EQ(r.bad_seq, i, "first swapped seq")) {
				fprintf(stderr, "  swap %zu,%zu: %s\n", i, j, r.reason);
				goto out;
			}
		}
	}
out:
	free(copy);
	rc_free(&c);
}

/* A forged receipt with a correct hash and link, inserted before receipt i. */
KV_TEST(insert_forged_receipt)
{
	static const char payload[] = "{\"class\":\"egress\",\"port\":80}";
	struct kv_receipt_view v, prev;
	struct kv_audit_result r;
	char hash[KV_SHA256_HEX];
	struct rc_chain c;
	struct rc_buf b = {0};
	size_t i;

	if (!ASSERT_OK(rc_make(&c, "s", NULL), "make"))
		return;
	for (i = 1; i <= c.n; i++) {
		b.len = 0;
		rc_buf_put(&b, c.data, c.off[i]);
		rc_view(&c, i - 1, &prev);
		rc_view(&c, i < c.n ? i : i - 1, &v);
		v.type = "EGRESS_DENY";
		v.type_len = 11;
		if (!ASSERT_OK(rc_reseal(&v, i, prev.hash, payload, sizeof(payload) - 1, &b, hash),
			       "forge"))
			break;
		rc_buf_put(&b, c.data + c.off[i], c.len - c.off[i]);
		if (!ASSERT_EQ(rc_audit(&c, b.p, b.len, &r), KV_CHAIN_BROKEN, "inserted") ||
		    !ASSERT_EQ(r.bad_seq, i, "the forged seq")) {
			fprintf(stderr, "  insert at %zu: %s\n", i, r.reason);
			break;
		}
		/* seen as a duplicate seq, a missing checkpoint or a receipt after the end */
		if (i == c.n)
			ASSERT_HAS_SUBSTR(r.reason, "final checkpoint", "appended after the end");
	}
	free(b.p);
	rc_free(&c);
}

/* The first k lines only: signed through the last checkpoint, or not. */
KV_TEST(truncate_tail)
{
	struct kv_audit_result r;
	struct rc_chain c;
	size_t k, last_ckpt;

	if (!ASSERT_OK(rc_make(&c, "s", NULL), "make"))
		return;
	for (k = 1; k < c.n; k++) {
		enum kv_verdict got = rc_audit(&c, c.data, c.off[k], &r);

		for (last_ckpt = k; last_ckpt > 0 && !rc_is(&c, last_ckpt - 1, "CHECKPOINT");)
			last_ckpt--;
		if (last_ckpt == k) { /* ends on a checkpoint */
			if (!ASSERT_EQ(got, KV_TRUNCATED, "ends at checkpoint") ||
			    !ASSERT_EQ(r.bad_seq, k, "first missing seq"))
				break;
		} else if (!ASSERT_EQ(got, KV_UNSIGNED_TAIL, "unsigned tail") ||
			   !ASSERT_EQ(r.bad_seq, last_ckpt, "first unsigned seq")) {
			break;
		}
	}
	rc_free(&c);
}

/* Receipt i altered and everything after it re-hashed and re-linked: without
 * the key the checkpoints cannot follow. */
static size_t rehash_from(const struct rc_chain *c, size_t i, bool fix_checkpoints,
			  bool drop_checkpoints, struct rc_buf *out)
{
	char prev[KV_SHA256_HEX], hash[KV_SHA256_HEX], payload[512];
	struct kv_receipt_view v;
	size_t k, first_ckpt = 0;
	uint64_t seq = i;

	rc_buf_put(out, c->data, c->off[i]);
	rc_view(c, i - 1, &v);
	snprintf(prev, sizeof(prev), "%.64s", v.hash);
	for (k = i; k < c->n; k++) {
		const char *p = NULL;
		size_t plen = 0;

		rc_view(c, k, &v);
		if (v.type_len == 10 && !memcmp(v.type, "CHECKPOINT", 10)) {
			if (drop_checkpoints)
				continue;
			if (!first_ckpt)
				first_ckpt = seq;
			if (fix_checkpoints) {
				/* same signature, new covered state */
				const char *sig = strstr(v.payload, "\"sig\":\"");

				plen = (size_t)snprintf(payload, sizeof(payload),
							"{\"count\":%llu,\"hash\":\"%s\",\"key_"
							"id\":\"%.64s\",\"seq\":%llu,%.136s}",
							(unsigned long long)seq, prev,
							strstr(v.payload, "\"key_id\":\"") + 10,
							(unsigned long long)seq - 1, sig);
				p = payload;
			}
		} else if (k == i) {
			static const char altered[] = "{\"class\":\"syscall\",\"nr\":1}";

			p = altered;
			plen = sizeof(altered) - 1;
		}
		rc_reseal(&v, seq++, prev, p, plen, out, hash);
		memcpy(prev, hash, sizeof(hash));
	}
	return first_ckpt;
}

KV_TEST(rehash_without_key)
{
	struct kv_audit_result r;
	struct rc_chain c;
	struct rc_buf b = {0};
	size_t i, ckpt;

	if (!ASSERT_OK(rc_make(&c, "s", NULL), "make"))
		return;
	for (i = 1; i < c.n - 1; i++) {
		if (rc_is(&c, i, "CHECKPOINT"))
			continue;
		/* checkpoints left as they were: they no longer match the chain */
		b.len = 0;
		ckpt = rehash_from(&c, i, false, false, &b);
		if (!ASSERT_EQ(rc_audit(&c, b.p, b.len, &r), KV_CHAIN_BROKEN, "stale checkpoint") ||
		    !ASSERT_EQ(r.bad_seq, ckpt, "at the next checkpoint"))
			break;
		ASSERT_HAS_SUBSTR(r.reason, "not the receipt before it", "stale");
		/* checkpoints updated to the forged chain: signatures fail */
		b.len = 0;
		ckpt = rehash_from(&c, i, true, false, &b);
		if (!ASSERT_EQ(rc_audit(&c, b.p, b.len, &r), KV_CHAIN_BROKEN, "bad signature") ||
		    !ASSERT_EQ(r.bad_seq, ckpt, "at the next checkpoint"))
			break;
		ASSERT_HAS_SUBSTR(r.reason, "signature does not verify", "sig");
	}
	/* all checkpoints removed and the chain renumbered: too long unsigned */
	b.len = 0;
	rehash_from(&c, 1, false, true, &b);
	ASSERT_EQ(rc_audit(&c, b.p, b.len, &r), KV_CHAIN_BROKEN, "checkpoints removed");
	ASSERT_EQ(r.bad_seq, 4, "the fifth unsigned receipt (every 4)");
	ASSERT_HAS_SUBSTR(r.reason, "checkpoint was removed", "reason");
	free(b.p);
	rc_free(&c);
}

/* Re-signed with the forger's own key: only a pinned key catches it. */
KV_TEST(resigned_with_other_key)
{
	struct kv_receipt_key *forger;
	struct kv_audit_opts o = {.session_id = RC_SESSION};
	struct kv_audit_result r;
	struct rc_chain c, f;

	if (!ASSERT_OK(rc_make(&c, "real", NULL), "make") ||
	    !ASSERT_OK(rc_make(&f, "forged", NULL), "forger's chain"))
		return;
	/* the forger's state dir has its own key: same session id, different story */
	forger = f.key;
	o.key = c.key; /* pinned */
	ASSERT_OK(kv_audit_buffer(f.data, f.len, &o, &r), "audit");
	ASSERT_EQ(r.verdict, KV_KEY_MISMATCH, "pinned key");
	ASSERT_EQ(r.bad_seq, 0, "genesis names the forger's key");
	o.key = forger;
	ASSERT_OK(kv_audit_buffer(f.data, f.len, &o, &r), "audit");
	ASSERT_EQ(r.verdict, KV_CLEAN, "forger's key vouches for itself");
	o.key = NULL;
	o.no_key_reason = "test";
	ASSERT_OK(kv_audit_buffer(c.data, c.len, &o, &r), "audit");
	ASSERT_EQ(r.verdict, KV_NO_KEY, "no key: not clean");
	rc_free(&c);
	rc_free(&f);
}

/* A crash mid-write leaves a prefix of the last receipt. */
KV_TEST(torn_last_line)
{
	struct kv_audit_result r;
	struct rc_chain c;
	size_t cut, last;
	char *zeros;

	if (!ASSERT_OK(rc_make(&c, "s", NULL), "make"))
		return;
	last = c.off[c.n - 1];
	for (cut = last + 1; cut < c.len; cut += 7) {
		if (!ASSERT_EQ(rc_audit(&c, c.data, cut, &r), KV_TRUNCATED, "torn") ||
		    !ASSERT_EQ(r.bad_seq, c.n - 1, "the torn receipt"))
			break;
		ASSERT_HAS_SUBSTR(r.reason, "torn last line", "reason");
	}
	/* blocks allocated but never written: zeros after the last newline */
	zeros = calloc(1, c.len + 64);
	memcpy(zeros, c.data, c.len);
	ASSERT_EQ(rc_audit(&c, zeros, c.len + 64, &r), KV_TRUNCATED, "zero tail");
	ASSERT_EQ(r.bad_seq, c.n, "after the last receipt");
	/* and on disk, through the file API */
	ASSERT_OK(rc_write_file(c.path, c.data, c.len - 5), "cut file");
	ASSERT_OK(kv_audit_session(c.state_dir, RC_SESSION, NULL, &r), "audit file");
	ASSERT_EQ(r.verdict, KV_TRUNCATED, "file torn");
	free(zeros);
	rc_free(&c);
}

KV_TEST(reconciliation)
{
	struct kv_audit_result r;
	struct rc_chain c;

	/* the kernel counted two egress denials no receipt records */
	if (!ASSERT_OK(rc_make(&c, "a", &(struct rc_spec){.kernel_extra[KV_CLASS_EGRESS] = 2}),
		       "make"))
		return;
	ASSERT_EQ(rc_audit(&c, c.data, c.len, &r), KV_EVIDENCE_MISSING, "missing");
	ASSERT_EQ(r.bad_seq, c.n - 2, "at SESSION_END");
	ASSERT_HAS_SUBSTR(r.reason, "egress: kernel", "names the class");
	ASSERT_EQ(r.kernel_counts[KV_CLASS_EGRESS], r.sealed_counts[KV_CLASS_EGRESS] + 2, "counts");
	rc_free(&c);
	/* ... covered by an EVENTS_LOST naming the class */
	ASSERT_OK(rc_make(&c, "b",
			  &(struct rc_spec){.kernel_extra[KV_CLASS_EGRESS] = 2,
					    .events_lost_class = KV_CLASS_EGRESS,
					    .events_lost_class_count = 2}),
		  "make");
	ASSERT_EQ(rc_audit(&c, c.data, c.len, &r), KV_CLEAN, "covered by class");
	rc_free(&c);
	/* ... a class-specific loss does not cover another class */
	ASSERT_OK(rc_make(&c, "c",
			  &(struct rc_spec){.kernel_extra[KV_CLASS_FILE] = 1,
					    .events_lost_class = KV_CLASS_EGRESS,
					    .events_lost_class_count = 5}),
		  "make");
	ASSERT_EQ(rc_audit(&c, c.data, c.len, &r), KV_EVIDENCE_MISSING, "wrong class");
	rc_free(&c);
	/* ... an unclassified loss (ring buffer full) covers any class */
	ASSERT_OK(rc_make(&c, "d",
			  &(struct rc_spec){.kernel_extra[KV_CLASS_FILE] = 1,
					    .kernel_extra[KV_CLASS_SYSCALL] = 2,
					    .events_lost_any = 3}),
		  "make");
	ASSERT_EQ(rc_audit(&c, c.data, c.len, &r), KV_CLEAN, "covered");
	rc_free(&c);
	ASSERT_OK(rc_make(&c, "e",
			  &(struct rc_spec){.kernel_extra[KV_CLASS_FILE] = 1,
					    .kernel_extra[KV_CLASS_SYSCALL] = 2,
					    .events_lost_any = 2}),
		  "make");
	ASSERT_EQ(rc_audit(&c, c.data, c.len, &r), KV_EVIDENCE_MISSING, "one short");
	ASSERT_HAS_SUBSTR(r.reason, "1 counted violations", "how many");
	rc_free(&c);
	/* more receipts than the kernel counted */
	ASSERT_OK(rc_make(&c, "f", &(struct rc_spec){.kernel_extra[KV_CLASS_FALCO] = -1}), "make");
	ASSERT_EQ(rc_audit(&c, c.data, c.len, &r), KV_COUNTS_MISMATCH, "excess");
	ASSERT_HAS_SUBSTR(r.reason, "falco", "names the class");
	rc_free(&c);
}
