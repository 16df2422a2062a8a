/* SPDX-License-Identifier: BSD-2-Clause */
/* PRAMANA: every event of a session sealed into a hash chain, signed at
 * checkpoints, verified by `kavachos audit`. Format: docs/receipts.md.
 *
 * Writer: kv_chain_create() .. kv_chain_append()* .. kv_chain_close().
 * Reader: kv_audit_session() (or kv_audit_buffer() on bytes in memory). */
#ifndef KV_RECEIPTS_H
#define KV_RECEIPTS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "kv_session.h" /* enum kv_class */
#include "receipts/receipt_line.h"

struct kv_chain;
struct kv_receipt_key;

/* KV_SYNC_GROUP is the zero value: options left unset mean group commit. */
enum kv_sync_mode {
	KV_SYNC_GROUP = 0, /* fdatasync per batch (batch_max receipts or batch_delay_ms) */
	KV_SYNC_NONE,	   /* page cache only (fdatasync at close and on kv_chain_flush) */
	KV_SYNC_EACH,	   /* fdatasync after every receipt */
};

#define KV_CHAIN_BATCH_MAX_DEFAULT	  256
#define KV_CHAIN_BATCH_DELAY_MS_DEFAULT	  10
#define KV_CHAIN_CHECKPOINT_EVERY_DEFAULT 1000
#define KV_CHAIN_CHECKPOINT_SECS_DEFAULT  10

struct kv_chain_opts {
	const char *state_dir;	 /* e.g. /var/lib/kavachos; sessions under <state_dir>/sessions/ */
	const char *session_id;	 /* "ks-..." ([A-Za-z0-9._-], 1-128), also the file name */
	unsigned batch_max;	 /* group commit: fdatasync at most every batch_max receipts ... */
	unsigned batch_delay_ms; /* ... or after this delay (0 = 10 ms) */
	unsigned checkpoint_every; /* signed checkpoint every N receipts (0 = 1000) */
	unsigned checkpoint_secs;  /* and every T seconds (0 = 10) */
	enum kv_sync_mode sync;
	/* the genesis is written when kv_chain_create returns, durable only
	 * after kv_chain_genesis_sync(): for a caller with work to overlap with
	 * the disk flush before the agent may run */
	bool defer_genesis_sync;
};

/* Creates <state_dir>/sessions/<id>.jsonl (never an existing one: -EEXIST) and seals
 * the genesis SESSION_START receipt with `genesis` (JSON object, consumed; may be
 * NULL). The writer adds a "chain" member (its options and key id). Creates the
 * Ed25519 key pair under <state_dir>/keys/ (0600) on first use. */
int kv_chain_create(const struct kv_chain_opts *o, struct json_object *genesis,
		    struct kv_chain **out);
/* With defer_genesis_sync: makes the genesis durable (file, index line,
 * directory entry). Idempotent; 0 or negative errno (then the session must
 * not go on: its start is not on disk). */
int kv_chain_genesis_sync(struct kv_chain *c);
/* Seals one receipt of `type` ("SECCOMP_BLOCK", "EGRESS_DENY", ...: [A-Z][A-Z0-9_]*,
 * not SESSION_START/SESSION_END/CHECKPOINT) with `fields` (JSON object of integers,
 * strings, booleans, null, arrays, objects — no floats; consumed; may be NULL).
 * ktime_ns: CLOCK_BOOTTIME of the event, 0 = now. Thread-safe.
 * Returns 0 or negative errno. On failure the receipt is not in the chain: the
 * failure is logged (kv_warn "receipts"), counted (kv_chain_failures()), and the
 * next receipt that can be written is preceded by an EVENTS_LOST receipt saying
 * how many were lost and of which class. -EIO etc. after a successful write means
 * fdatasync failed: earlier receipts may not be durable. Either way the caller
 * should treat the session as an incident. */
int kv_chain_append(struct kv_chain *c, const char *type, struct json_object *fields,
		    uint64_t ktime_ns);
/* The same with a payload already in canonical JSON (kv_canon_check() clean): the
 * producer that formats its fields directly skips building a json-c tree. */
int kv_chain_append_canonical(struct kv_chain *c, const char *type, const char *payload, size_t len,
			      uint64_t ktime_ns);
int kv_chain_flush(struct kv_chain *c);	     /* fdatasync now */
int kv_chain_checkpoint(struct kv_chain *c); /* signed checkpoint receipt now */
/* Seals SESSION_END with `end_fields` (consumed; exit status, "kernel_counts",
 * "events_lost", "events_suppressed"...; the writer adds "receipt_write_failures"),
 * a final checkpoint, fdatasync, records the end in the index, closes and frees.
 * Returns the first error; the chain is freed either way. */
int kv_chain_close(struct kv_chain *c, struct json_object *end_fields);
/* The same for a caller that answers someone once SESSION_END is sealed:
 * with KV_SYNC_EACH it is durable on return (*durable true); with group
 * commit or none it is written (file and index) on return and the fdatasync
 * finishes on a thread of its own, as group commit's flusher would
 * (*durable false: the caller must not report the end durable). The return value covers the
 * sealing; a later write or sync failure is logged as evidence at risk.
 * kv_chain_wait_closes() waits for every such close (before exit). */
int kv_chain_close_async(struct kv_chain *c, struct json_object *end_fields, bool *durable);
void kv_chain_wait_closes(void);
uint64_t kv_chain_seq(const struct kv_chain *c); /* seq the next receipt gets */
/* Receipts written but not yet covered by an fdatasync. */
uint64_t kv_chain_unsynced(struct kv_chain *c);
/* Receipts that could not be written, all chains of this process / this chain. */
uint64_t kv_chain_failures(void);
uint64_t kv_chain_failed(const struct kv_chain *c);

/* Sessions the index says started but never ended (their writer died): each is
 * audited, reported with kv_warn, and marked "unfinished" in the index so it is
 * reported once. Sessions whose writer still holds the lock are left alone.
 * *found: how many were reported. */
int kv_chain_check_unfinished(const char *state_dir, const char *pubkey_path, unsigned *found);

/* A class name as kv_class_name() spells it ("syscall", "notify", "egress",
 * "file", "exec", "process", "falco") -> enum kv_class; -1 when unknown. */
int kv_receipt_class_parse(const char *s, size_t n);
/* The class a receipt counts under in reconciliation, or -1 (not a violation). */
int kv_receipt_class(const char *type, size_t tlen, const char *payload, size_t plen);

/* --- audit --- */
enum kv_verdict {
	KV_CLEAN = 0,		/* complete, every hash/link/signature verifies, counts reconcile */
	KV_CHAIN_BROKEN,	/* altered, missing, reordered, inserted receipt; bad signature */
	KV_TRUNCATED,		/* torn last line, or no SESSION_END after the last checkpoint */
	KV_UNSIGNED_TAIL,	/* receipts after the last valid checkpoint */
	KV_PROFILE_DRIFT,	/* genesis profile_sha256 != a fresh build from its inputs */
	KV_NO_SESSION,		/* no such session file (or the index names a missing one) */
	KV_MALFORMED,		/* not a receipt chain at all: empty, garbage first line */
	KV_UNSUPPORTED_VERSION, /* a receipt format this kavachos does not read */
	KV_EVIDENCE_MISSING,	/* the kernel counted violations no receipt accounts for */
	KV_COUNTS_MISMATCH,	/* more violation receipts than the kernel counted */
	KV_KEY_MISMATCH,	/* signed with another key than the audit key */
	KV_NO_KEY,		/* no public key: signatures cannot be checked */
	KV_ACTIVE,		/* the writer still holds the session: verified so far */
	KV_VERDICT_MAX,
};

const char *kv_verdict_name(enum kv_verdict v);

#define KV_AUDIT_MAX_TYPES 32

struct kv_audit_type_count {
	char type[KV_RECEIPT_TYPE_MAX + 1];
	uint64_t n;
};

struct kv_audit_result {
	char session[KV_SESSION_ID_MAX + 1];
	enum kv_verdict verdict;
	bool has_bad_seq;
	uint64_t bad_seq; /* the first receipt at fault (missing, altered, unsigned...) */
	char reason[512];
	uint64_t receipts;    /* complete receipts that verified */
	uint64_t checkpoints; /* checkpoints whose signature verified */
	bool signed_any;
	uint64_t signed_through;    /* highest seq covered by a verified checkpoint */
	bool ended;		    /* SESSION_END sealed */
	char key_id[KV_SHA256_HEX]; /* the genesis's signing key */
	uint64_t wall_start_ns, wall_end_ns;
	size_t n_types;
	struct kv_audit_type_count types[KV_AUDIT_MAX_TYPES];
	uint64_t types_other; /* receipts of types beyond the table */
	/* Kernel reconciliation (SESSION_END "kernel_counts"). */
	bool reconciled;
	uint64_t kernel_counts[KV_CLASS_MAX];
	uint64_t sealed_counts[KV_CLASS_MAX];
	uint64_t lost_class[KV_CLASS_MAX]; /* EVENTS_LOST receipts naming a class */
	uint64_t lost_any;		   /* EVENTS_LOST receipts naming none */
	uint64_t events_lost, events_suppressed;
	/* Profile (genesis profile_sha256 vs kv_profile_build of its inputs). */
	bool profile_checked;
	char profile_sha256[KV_SHA256_HEX];
	char profile_regenerated[KV_SHA256_HEX];
};

struct kv_audit_opts {
	const char *session_id;		  /* expected; NULL = the genesis's */
	const struct kv_receipt_key *key; /* NULL: signatures cannot be checked */
	const char *no_key_reason;	  /* why key is NULL, for the verdict's reason */
	bool active;			  /* a writer holds the file */
};

/* Verifies a session's chain. pubkey_path NULL = <state_dir>/keys/receipts.ed25519.pub.
 * Returns 0 when a verdict was reached (res->verdict says which), negative errno
 * when the audit itself could not run (out of memory). */
int kv_audit_session(const char *state_dir, const char *session_id, const char *pubkey_path,
		     struct kv_audit_result *res);
/* The same on a chain's bytes. */
int kv_audit_buffer(const char *data, size_t len, const struct kv_audit_opts *o,
		    struct kv_audit_result *res);
/* Session ids under <state_dir>/sessions (the index's order, then files it lacks).
 * Free with kv_audit_ids_free. -ENOENT when there is no receipt store. */
int kv_audit_list_sessions(const char *state_dir, char ***ids, size_t *n);
void kv_audit_ids_free(char **ids, size_t n);
struct json_object *kv_audit_result_json(const struct kv_audit_result *r);
/* Writes a self-contained evidence bundle for one session into out_dir (created;
 * must not exist or be empty): the receipts, their checkpoints, the public key,
 * the audit result, verify-receipts.py, VERIFY.md, SHA256SUMS. res gets the audit. */
int kv_audit_export(const char *state_dir, const char *session_id, const char *pubkey_path,
		    const char *out_dir, struct kv_audit_result *res, char *err, size_t errlen);
/* The third-party verifier (scripts/verify-receipts.py), as the bundle carries it. */
extern const char kv_verifier_py[];
#endif
