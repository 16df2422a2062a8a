/* SPDX-License-Identifier: BSD-2-Clause */
/* A real receipt chain for the receipt and audit tests: written by the
 * production writer (kv_chain_*) into the test's tmpdir, then read back as
 * bytes that the tests tamper with on copies. */
#ifndef TEST_RECEIPT_UTIL_H
#define TEST_RECEIPT_UTIL_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include "events/events.h" /* kv_class_name */
#include "receipts/receipt_keys.h"
#include "receipts/receipts.h"

#define RC_SESSION "ks-test-0001"

struct rc_chain {
	char state_dir[PATH_MAX];
	char path[PATH_MAX];
	char *data; /* the session file */
	size_t len;
	size_t n;		       /* lines */
	size_t *off;		       /* off[i]: start of line i; off[n] == len */
	struct kv_receipt_key *key;    /* the state dir's public key */
	uint64_t kernel[KV_CLASS_MAX]; /* what SESSION_END says the kernel counted */
};

struct rc_spec {
	unsigned checkpoint_every;  /* 0: 4 */
	unsigned rounds;	    /* of the violation mix; 0: 3 */
	bool profile;		    /* genesis with profile_sha256 (needs the profile builder) */
	const char *profile_sha256; /* override: a wrong hash for PROFILE_DRIFT */
	int kernel_extra[KV_CLASS_MAX]; /* added to the true counts in SESSION_END */
	unsigned events_lost_any;	/* EVENTS_LOST receipts (no class) of this count */
	int events_lost_class;		/* ... and one naming this class (-1 none) */
	unsigned events_lost_class_count;
};

/* Writes and closes session RC_SESSION under <tmpdir>/<sub>; loads the file. */
int rc_make(struct rc_chain *c, const char *sub, const struct rc_spec *spec);
/* (Re)reads the session file and its line offsets. */
int rc_load(struct rc_chain *c);
void rc_free(struct rc_chain *c);
/* Audits bytes as session RC_SESSION with the chain's key. */
enum kv_verdict rc_audit(const struct rc_chain *c, const char *data, size_t len,
			 struct kv_audit_result *r);
/* The view of line i (which must parse). */
int rc_view(const struct rc_chain *c, size_t i, struct kv_receipt_view *v);
/* Line i's type equals `type`. */
bool rc_is(const struct rc_chain *c, size_t i, const char *type);

/* What a forger without the key can do: a line sealed again with (possibly)
 * another seq, prev and payload; correct hash. Appends "<line>\n" to *out. */
struct rc_buf {
	char *p;
	size_t len, cap;
};
void rc_buf_put(struct rc_buf *b, const void *p, size_t n);
int rc_reseal(const struct kv_receipt_view *v, uint64_t seq, const char *prev, const char *payload,
	      size_t plen, struct rc_buf *out, char hash[KV_SHA256_HEX]);
/* Writes bytes to a file. */
int rc_write_file(const char *path, const void *p, size_t n);
#endif
