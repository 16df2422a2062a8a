// SPDX-License-Identifier: BSD-2-Clause
/* The writer: group commit, timed checkpoints, concurrent producers, write
 * failures (disk full), crashes, the key file, what it refuses. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "kvtest.h"
#include "receipts/store.h"
#include "test_receipt_util.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct kv_chain_opts opts(const char *sub, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", kvtest_tmpdir(), sub);
	return (struct kv_chain_opts){.state_dir = buf, .session_id = RC_SESSION};
}

static struct json_object *field(const char *k, int64_t v)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, k, json_object_new_int64(v));
	return o;
}

static enum kv_verdict audit(const char *state_dir, struct kv_audit_result *r)
{
	if (kv_audit_session(state_dir, RC_SESSION, NULL, r))
		return KV_VERDICT_MAX;
	if (r->verdict != KV_CLEAN)
		fprintf(stderr, "  %s at %llu: %s\n", kv_verdict_name(r->verdict),
			(unsigned long long)r->bad_seq, r->reason);
	return r->verdict;
}

KV_TEST(key_created_private)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct kv_chain_opts o = opts("s", dir, sizeof(dir));
	struct kv_receipt_key *k1, *k2;
	struct kv_chain *c;
	struct stat st;

	if (!ASSERT_OK(kv_chain_create(&o, NULL, &c), "create"))
		return;
	ASSERT_OK(kv_chain_close(c, NULL), "close");
	kv_store_path(path, sizeof(path), "%s/keys/receipts.ed25519", dir);
	ASSERT_OK(stat(path, &st), "private key");
	ASSERT_EQ(st.st_mode & 0777, 0600, "private key 0600");
	kv_store_path(path, sizeof(path), "%s/keys", dir);
	ASSERT_OK(stat(path, &st), "keys dir");
	ASSERT_EQ(st.st_mode & 0777, 0700, "keys dir 0700");
	/* the same key on the next use */
	ASSERT_OK(kv_receipt_key_load_or_create(dir, &k1), "load");
	ASSERT_OK(kv_receipt_key_load_or_create(dir, &k2), "load again");
	ASSERT_STREQ(kv_receipt_key_id(k1), kv_receipt_key_id(k2), "stable key");
	kv_receipt_key_free(k1);
	kv_receipt_key_free(k2);
}

/* The key is remembered between chains (the daemon makes one per session),
 * but a key file replaced under it is read again: a chain then signs with
 * the key on disk, never a stale one. */
KV_TEST(key_file_replaced_is_reread)
{
	char dir[PATH_MAX], path[PATH_MAX], other[PATH_MAX];
	struct kv_chain_opts o = opts("s", dir, sizeof(dir));
	struct kv_chain_opts o2 = opts("t", other, sizeof(other));
	struct kv_receipt_key *k1 = NULL, *k2 = NULL, *k3 = NULL;
	struct kv_chain *c;
	char id1[KV_SHA256_HEX];

	/* two state dirs, two keys */
	if (!ASSERT_OK(kv_chain_create(&o, NULL, &c), "create s") ||
	    !ASSERT_OK(kv_chain_close(c, NULL), "close s") ||
	    !ASSERT_OK(kv_chain_create(&o2, NULL, &c), "create t") ||
	    !ASSERT_OK(kv_chain_close(c, NULL), "close t"))
		return;
	if (!ASSERT_OK(kv_receipt_key_load_or_create(other, &k3), "load t") ||
	    !ASSERT_OK(kv_receipt_key_load_or_create(dir, &k1), "load s"))
		return;
	snprintf(id1, sizeof(id1), "%s", kv_receipt_key_id(k1));
	ASSERT_OK(kv_receipt_key_load_or_create(dir, &k2), "load s again");
	ASSERT_STREQ(kv_receipt_key_id(k2), id1, "remembered");
	kv_receipt_key_free(k2);
	k2 = NULL;
	/* t's key copied over s's: s now signs with t's key */
	kv_store_path(path, sizeof(path), "cp -p %s/keys/receipts.ed25519 %s/keys/receipts.ed25519",
		      other, dir);
	ASSERT_OK(system(path), "replace the key");
	ASSERT_OK(kv_receipt_key_load_or_create(dir, &k2), "load s after the swap");
	if (k2 && k3) {
		ASSERT_STREQ(kv_receipt_key_id(k2), kv_receipt_key_id(k3), "the key on disk");
		ASSERT_FALSE(!strcmp(kv_receipt_key_id(k2), id1), "not the stale one");
	}
	kv_receipt_key_free(k1);
	kv_receipt_key_free(k2);
	kv_receipt_key_free(k3);
}

KV_TEST(refuses_bad_input)
{
	char dir[PATH_MAX];
	struct kv_chain_opts o = opts("s", dir, sizeof(dir));
	struct kv_audit_result r;
	struct kv_chain *c;
	uint64_t seq;

	o.session_id = "../escape";
	ASSERT_EQ(kv_chain_create(&o, NULL, &c), -EINVAL, "path in session id");
	o.session_id = "index";
	ASSERT_EQ(kv_chain_create(&o, NULL, &c), -EINVAL, "the index's name");
	o.session_id = RC_SESSION;
	ASSERT_EQ(kv_chain_create(&o, json_object_new_array(), &c), -EINVAL, "genesis not object");
	ASSERT_EQ(kv_chain_create(&o, field("chain", 1), &c), -EINVAL, "reserved genesis key");
	if (!ASSERT_OK(kv_chain_create(&o, NULL, &c), "create"))
		return;
	ASSERT_EQ(kv_chain_create(&o, NULL, &(struct kv_chain *){0}), -EEXIST,
		  "never reopens a session");
	seq = kv_chain_seq(c);
	ASSERT_EQ(kv_chain_append(c, "CHECKPOINT", NULL, 0), -EINVAL, "writer-only type");
	ASSERT_EQ(kv_chain_append(c, "SESSION_END", NULL, 0), -EINVAL, "writer-only type");
	ASSERT_EQ(kv_chain_append(c, "lower", NULL, 0), -EINVAL, "type syntax");
	ASSERT_EQ(kv_chain_append(c, "X", json_object_new_string("s"), 0), -EINVAL, "not object");
	ASSERT_EQ(kv_chain_seq(c), seq, "nothing sealed");
	/* a float has no canonical form: the receipt is lost, and says so */
	ASSERT_OK(kv_chain_append(c, "SECCOMP_BLOCK", field("nr", 1), 0), "int ok");
	{
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "x", json_object_new_double(0.5));
		ASSERT_EQ(kv_chain_append(c, "FLOATY", f, 0), -EINVAL, "float refused");
	}
	ASSERT_EQ(kv_chain_failed(c), 2, "both losses counted");
	ASSERT_OK(kv_chain_append(c, "NEXT", NULL, 0), "next");
	ASSERT_OK(kv_chain_close(c, NULL), "close");
	ASSERT_EQ(audit(dir, &r), KV_CLEAN, "audit");
	ASSERT_TRUE(r.n_types > 0, "types");
}

/* Strings that are not UTF-8 are sealed losslessly as \xNN, not dropped. */
KV_TEST(invalid_utf8_sealed)
{
	char dir[PATH_MAX];
	struct kv_chain_opts o = opts("s", dir, sizeof(dir));
	struct kv_audit_result r;
	struct rc_chain rc = {0};
	struct json_object *f = json_object_new_object();
	struct kv_chain *c;

	json_object_object_add(f, "path",
			       json_object_new_string_len("/tmp/\xff\xfe\xc3(x\xe2\x82", 12));
	json_object_object_add(f, "k\x80", json_object_new_int(1));
	if (!ASSERT_OK(kv_chain_create(&o, NULL, &c), "create"))
		return;
	ASSERT_OK(kv_chain_append(c, "LSM_DENY", f, 0), "append");
	ASSERT_OK(kv_chain_close(c, NULL), "close");
	ASSERT_EQ(audit(dir, &r), KV_CLEAN, "audit");
	kv_store_session_path(rc.path, sizeof(rc.path), dir, RC_SESSION);
	ASSERT_OK(rc_load(&rc), "load");
	ASSERT_HAS_SUBSTR(rc.data, "\"path\":\"/tmp/\\\\xff\\\\xfe\\\\xc3(x\\\\xe2\\\\x82\"",
			  "repaired");
	ASSERT_HAS_SUBSTR(rc.data, "\"k\\\\x80\":1", "key repaired");
	rc_free(&rc);
}

/* Group commit: fdatasync after batch_delay even when nothing else arrives,
 * at once when batch_max receipts are pending. */
KV_TEST(group_commit_bounded_delay)
{
	char dir[PATH_MAX];
	struct kv_chain_opts o = opts("s", dir, sizeof(dir));
	struct kv_chain *c;
	double t0, waited;
	int i;

	o.batch_delay_ms = 300;
	o.batch_max = 4;
	if (!ASSERT_OK(kv_chain_create(&o, NULL, &c), "create"))
		return;
	t0 = now_s();
	ASSERT_OK(kv_chain_append(c, "A", NULL, 0), "append");
	ASSERT_EQ(kv_chain_unsynced(c), 1, "pending");
	while (kv_chain_unsynced(c) && now_s() - t0 < 5)
		usleep(2000);
	waited = now_s() - t0;
	ASSERT_EQ(kv_chain_unsynced(c), 0, "synced without further receipts");
	ASSERT_GE(waited * 1000, 250, "not before the delay");
	ASSERT_LE(waited * 1000, 2000, "soon after the delay");
	/* a full batch goes at once */
	t0 = now_s();
	for (i = 0; i < 4; i++)
		ASSERT_OK(kv_chain_append(c, "B", NULL, 0), "append");
	while (kv_chain_unsynced(c) && now_s() - t0 < 5)
		usleep(1000);
	ASSERT_EQ(kv_chain_unsynced(c), 0, "batch synced");
	ASSERT_LE((now_s() - t0) * 1000, 250, "before the delay");
	ASSERT_OK(kv_chain_close(c, NULL), "close");
}

KV_TEST(sync_modes)
{
	static const enum kv_sync_mode modes[] = {KV_SYNC_NONE, KV_SYNC_EACH, KV_SYNC_GROUP};
	struct kv_audit_result r;
	char dir[PATH_MAX], sub[8];
	struct kv_chain_opts o;
	struct kv_chain *c;
	unsigned m, i;

	for (m = 0; m < 3; m++) {
		snprintf(sub, sizeof(sub), "m%u", m);
		o = opts(sub, dir, sizeof(dir));
		o.sync = modes[m];
		if (!ASSERT_OK(kv_chain_create(&o, NULL, &c), "create"))
			return;
		for (i = 0; i < 20; i++)
			ASSERT_OK(kv_chain_append(c, "EGRESS_DENY", field("port", i), 0), "append");
		if (modes[m] == KV_SYNC_EACH)
			ASSERT_EQ(kv_chain_unsynced(c), 0, "each: synced at once");
		if (modes[m] == KV_SYNC_NONE)
			ASSERT_EQ(kv_chain_unsynced(c), 20, "none: nothing synced");
		ASSERT_OK(kv_chain_flush(c), "flush");
		ASSERT_EQ(kv_chain_unsynced(c), 0, "flushed");
		ASSERT_OK(kv_chain_close(c, NULL), "close");
		ASSERT_EQ(audit(dir, &r), KV_CLEAN, "audit");
	}
}

KV_TEST(timed_checkpoint)
{
	char dir[PATH_MAX];
	struct kv_chain_opts o = opts("s", dir, sizeof(dir));
	struct kv_audit_result r;
	struct kv_chain *c;
	uint64_t seq;
	double t0;

	o.checkpoint_secs = 1;
	if (!ASSERT_OK(kv_chain_create(&o, NULL, &c), "create"))
		return;
	ASSERT_OK(kv_chain_append(c, "A", NULL, 0), "append");
	seq = kv_chain_seq(c);
	t0 = now_s();
	while (kv_chain_seq(c) == seq && now_s() - t0 < 5)
		usleep(10000);
	ASSERT_EQ(kv_chain_seq(c), seq + 1, "a checkpoint sealed by the clock");
	ASSERT_GE(now_s() - t0, 0.5, "not before its time");
	/* nothing new: no further checkpoint */
	usleep(1300000);
	ASSERT_EQ(kv_chain_seq(c), seq + 1, "idle chain stays quiet");
	ASSERT_OK(kv_chain_checkpoint(c), "explicit checkpoint");
	ASSERT_OK(kv_chain_close(c, NULL), "close");
	ASSERT_EQ(audit(dir, &r), KV_CLEAN, "audit");
	ASSERT_EQ(r.checkpoints, 3, "timed, explicit, final");
}

struct producer {
	struct kv_chain *c;
	int id, n, err;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	int i;

	for (i = 0; i < p->n && !p->err; i++) {
		struct json_object *f = field("producer", p->id);

		json_object_object_add(f, "i", json_object_new_int(i));
		p->err = kv_chain_append(p->c, p->id & 1 ? "EGRESS_DENY" : "SECCOMP_BLOCK", f, 0);
	}
	return NULL;
}

KV_TEST(concurrent_producers)
{
	char dir[PATH_MAX];
	struct kv_chain_opts o = opts("s", dir, sizeof(dir));
	struct producer p[4];
	struct kv_audit_result r;
	pthread_t t[4];
	struct kv_chain *c;
	int i;

	o.checkpoint_every = 50;
	o.batch_max = 16;
	if (!ASSERT_OK(kv_chain_create(&o, NULL, &c), "create"))
		return;
	for (i = 0; i < 4; i++) {
		p[i] = (struct producer){.c = c, .id = i, .n = 500};
		pthread_create(&t[i], NULL, produce, &p[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ASSERT_OK(p[i].err, "producer");
	}
	ASSERT_OK(kv_chain_close(c, NULL), "close");
	ASSERT_EQ(audit(dir, &r), KV_CLEAN, "audit");
	ASSERT_EQ(r.sealed_counts[KV_CLASS_SYSCALL] + r.sealed_counts[KV_CLASS_EGRESS], 2000,
		  "every receipt");
	ASSERT_GE(r.checkpoints, 2000 / 50, "checkpoints");
}

/* Disk full (here: RLIMIT_FSIZE): the append fails loudly, the partial line is
 * cut off, the loss is sealed as EVENTS_LOST once writing works again. */
KV_TEST(write_failure_counted_and_sealed)
{
	char dir[PATH_MAX];
	struct kv_chain_opts o = opts("s", dir, sizeof(dir));
	struct kv_audit_result r;
	struct rc_chain rc = {0};
	struct json_object *end, *kc;
	struct rlimit lim;
	struct kv_chain *c;
	uint64_t before = kv_chain_failures(), seq;
	struct stat st;
	int i, err;

	signal(SIGXFSZ, SIG_IGN);
	o.checkpoint_every = 1000;
	o.sync = KV_SYNC_EACH; /* the failure comes back from the append itself */
	if (!ASSERT_OK(kv_chain_create(&o, NULL, &c), "create"))
		return;
	kv_store_session_path(rc.path, sizeof(rc.path), dir, RC_SESSION);
	ASSERT_OK(stat(rc.path, &st), "stat");
	/* room for a little more than one receipt (the soft limit: it can be raised again) */
	getrlimit(RLIMIT_FSIZE, &lim);
	lim.rlim_cur = (rlim_t)st.st_size + 300;
	ASSERT_OK(setrlimit(RLIMIT_FSIZE, &lim), "limit");
	seq = kv_chain_seq(c);
	for (i = 0, err = 0; i < 5 && !err; i++)
		err = kv_chain_append(c, "EGRESS_DENY", field("port", 443), 0);
	ASSERT_EQ(err, -EFBIG, "write failure returned");
	ASSERT_EQ(kv_chain_seq(c), seq + (uint64_t)i - 1, "failed receipt not in the chain");
	ASSERT_EQ(kv_chain_failures(), before + 1, "counted (process)");
	ASSERT_EQ(kv_chain_failed(c), 1, "counted (chain)");
	ASSERT_EQ(kv_chain_append(c, "SECCOMP_BLOCK", field("nr", 2), 0), -EFBIG, "still full");
	ASSERT_OK(rc_load(&rc), "load");
	ASSERT_EQ(rc.data[rc.len - 1], '\n', "no partial line left behind");
	/* space again */
	lim.rlim_cur = lim.rlim_max;
	ASSERT_OK(setrlimit(RLIMIT_FSIZE, &lim), "unlimit");
	ASSERT_OK(kv_chain_append(c, "EGRESS_DENY", field("port", 80), 0), "append again");
	end = json_object_new_object();
	kc = json_object_new_object();
	json_object_object_add(kc, "egress", json_object_new_int(i + 1));
	json_object_object_add(kc, "syscall", json_object_new_int(1));
	json_object_object_add(end, "kernel_counts", kc);
	ASSERT_OK(kv_chain_close(c, end), "close");
	ASSERT_OK(rc_load(&rc), "load");
	ASSERT_HAS_SUBSTR(
	    rc.data,
	    "{\"class\":\"egress\",\"count\":1,\"errno\":27,\"reason\":\"receipt_write_failed\"}",
	    "egress loss sealed");
	ASSERT_HAS_SUBSTR(rc.data, "{\"class\":\"syscall\",\"count\":1,\"errno\":27,",
			  "syscall loss sealed");
	ASSERT_HAS_SUBSTR(rc.data, "\"receipt_write_failures\":2", "SESSION_END says so");
	/* the lost receipts are accounted for: the chain reconciles */
	ASSERT_EQ(audit(dir, &r), KV_CLEAN, "audit");
	ASSERT_TRUE(r.reconciled, "reconciled");
	ASSERT_EQ(r.lost_class[KV_CLASS_EGRESS], 1, "egress loss");
	rc_free(&rc);
}

/* Group commit: the batch's write fails later, in the flusher; the loss is
 * returned by the next call, counted and sealed all the same. */
KV_TEST(group_write_failure_rolls_back)
{
	char dir[PATH_MAX];
	struct kv_chain_opts o = opts("s", dir, sizeof(dir));
	struct kv_audit_result r;
	struct rc_chain rc = {0};
	struct rlimit lim;
	struct kv_chain *c;
	uint64_t seq;
	struct stat st;
	int i;

	signal(SIGXFSZ, SIG_IGN);
	o.batch_delay_ms = 1000; /* the test flushes */
	if (!ASSERT_OK(kv_chain_create(&o, NULL, &c), "create"))
		return;
	for (i = 0; i < 3; i++)
		ASSERT_OK(kv_chain_append(c, "EGRESS_DENY", field("port", i), 0), "append");
	ASSERT_OK(kv_chain_flush(c), "flush");
	seq = kv_chain_seq(c);
	kv_store_session_path(rc.path, sizeof(rc.path), dir, RC_SESSION);
	ASSERT_OK(stat(rc.path, &st), "stat");
	getrlimit(RLIMIT_FSIZE, &lim);
	lim.rlim_cur = (rlim_t)st.st_size + 500; /* part of the next batch */
	ASSERT_OK(setrlimit(RLIMIT_FSIZE, &lim), "limit");
	for (i = 0; i < 4; i++)
		ASSERT_OK(
		    kv_chain_append(c, i % 2 ? "SECCOMP_BLOCK" : "EGRESS_DENY", field("x", i), 0),
		    "sealed in memory");
	ASSERT_EQ(kv_chain_seq(c), seq + 4, "sealed");
	ASSERT_EQ(kv_chain_flush(c), -EFBIG, "the batch write fails");
	ASSERT_EQ(kv_chain_seq(c), seq, "rolled back to the file's end");
	ASSERT_EQ(kv_chain_failed(c), 4, "four receipts lost");
	ASSERT_OK(rc_load(&rc), "load");
	ASSERT_EQ((off_t)rc.len, st.st_size, "partial batch cut off");
	lim.rlim_cur = lim.rlim_max;
	ASSERT_OK(setrlimit(RLIMIT_FSIZE, &lim), "unlimit");
	ASSERT_OK(kv_chain_append(c, "EXEC_DENY", NULL, 0), "append again");
	ASSERT_OK(kv_chain_close(c, NULL), "close");
	ASSERT_OK(rc_load(&rc), "load");
	ASSERT_HAS_SUBSTR(rc.data, "{\"class\":\"egress\",\"count\":2,\"errno\":27,",
			  "egress loss");
	ASSERT_HAS_SUBSTR(rc.data, "{\"class\":\"syscall\",\"count\":2,\"errno\":27,",
			  "syscall loss");
	ASSERT_EQ(audit(dir, &r), KV_CLEAN, "audit");
	rc_free(&rc);
}

/* A writer that dies: audit says what is missing; the next start reports it
 * once; the file is left exactly as it was. */
KV_TEST(writer_crash_reported)
{
	char dir[PATH_MAX];
	struct kv_chain_opts o = opts("s", dir, sizeof(dir));
	struct kv_audit_result r;
	struct rc_chain rc = {0};
	struct kv_chain *c;
	unsigned found;
	size_t len;
	pid_t pid;
	int i, status;

	o.checkpoint_every = 4;
	o.batch_delay_ms = 60000; /* only the explicit flush writes */
	pid = fork();
	if (pid == 0) {
		if (kv_chain_create(&o, NULL, &c))
			_exit(1);
		for (i = 0; i < 6; i++)
			kv_chain_append(c, "EGRESS_DENY", field("port", i), 0);
		if (kv_chain_flush(c))
			_exit(1);
		kv_chain_append(c, "EGRESS_DENY", field("port", i), 0);
		_exit(0); /* no close: the last receipt dies with the writer's pending batch */
	}
	waitpid(pid, &status, 0);
	if (!ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status), "writer"))
		return;
	/* genesis, 3 receipts, checkpoint 4, receipts 5-7 */
	ASSERT_EQ(audit(dir, &r), KV_UNSIGNED_TAIL, "died after unsigned receipts");
	ASSERT_EQ(r.bad_seq, 5, "receipts after the checkpoint at 4");
	/* a torn write on top */
	kv_store_session_path(rc.path, sizeof(rc.path), dir, RC_SESSION);
	ASSERT_OK(rc_load(&rc), "load");
	len = rc.len;
	{
		FILE *f = fopen(rc.path, "a");

		fputs("{\"hash\":\"00", f);
		fclose(f);
	}
	ASSERT_EQ(audit(dir, &r), KV_TRUNCATED, "torn");
	ASSERT_EQ(r.bad_seq, 8, "the torn receipt's seq");
	ASSERT_OK(kv_chain_check_unfinished(dir, NULL, &found), "check");
	ASSERT_EQ(found, 1, "reported");
	ASSERT_OK(kv_chain_check_unfinished(dir, NULL, &found), "check again");
	ASSERT_EQ(found, 0, "reported once");
	ASSERT_OK(rc_load(&rc), "reload");
	ASSERT_EQ(rc.len, len + 11, "file untouched");
	rc_free(&rc);
}

KV_TEST(active_session)
{
	char dir[PATH_MAX];
	struct kv_chain_opts o = opts("s", dir, sizeof(dir));
	struct kv_audit_result r;
	struct kv_chain *c;
	unsigned found;

	if (!ASSERT_OK(kv_chain_create(&o, NULL, &c), "create"))
		return;
	ASSERT_OK(kv_chain_append(c, "EGRESS_DENY", field("port", 1), 0), "append");
	ASSERT_EQ(audit(dir, &r), KV_ACTIVE, "writer holds it");
	ASSERT_OK(kv_chain_check_unfinished(dir, NULL, &found), "check");
	ASSERT_EQ(found, 0, "a live session is not unfinished");
	ASSERT_OK(kv_chain_close(c, NULL), "close");
	ASSERT_EQ(audit(dir, &r), KV_CLEAN, "closed");
}

/* The daemon answers its client once SESSION_END is sealed and lets the
 * sync finish on its own thread (group commit): the end is reported not
 * durable, the close still completes and syncs, and a chain that already
 * ends with SESSION_END and its checkpoint audits clean even while its
 * writer holds it. With KV_SYNC_EACH the end is durable on return. */
KV_TEST(close_async)
{
	static const enum kv_sync_mode modes[] = { KV_SYNC_GROUP, KV_SYNC_NONE, KV_SYNC_EACH };
	char dir[PATH_MAX], sub[8], path[PATH_MAX + 64];
	struct kv_audit_result r;
	struct kv_chain_opts o;
	struct kv_chain *c;
	bool durable;
	unsigned m;
	int fd;

	for (m = 0; m < 3; m++) {
		snprintf(sub, sizeof(sub), "a%u", m);
		o = opts(sub, dir, sizeof(dir));
		o.sync = modes[m];
		if (!ASSERT_OK(kv_chain_create(&o, NULL, &c), "create"))
			return;
		ASSERT_OK(kv_chain_append(c, "EGRESS_DENY", field("port", 1), 0), "append");
		ASSERT_OK(kv_chain_close_async(c, field("exit_status", 0), &durable), "close");
		ASSERT_EQ(durable, modes[m] == KV_SYNC_EACH, "durable only when synced");
		kv_chain_wait_closes();
		ASSERT_EQ(audit(dir, &r), KV_CLEAN, "complete");
		ASSERT_TRUE(r.ended, "ended");
	}
	/* a complete chain whose writer still holds the lock */
	snprintf(path, sizeof(path), "%s/sessions/%s.jsonl", dir, RC_SESSION);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (!ASSERT_GE(fd, 0, "open") || !ASSERT_OK(flock(fd, LOCK_EX | LOCK_NB), "hold"))
		return;
	ASSERT_EQ(audit(dir, &r), KV_CLEAN, "ended chain judged as it stands");
	close(fd);
}

/* defer_genesis_sync: the genesis is in the file at once, durable after
 * kv_chain_genesis_sync (once; a second call has nothing to do). */
KV_TEST(genesis_sync_deferred)
{
	char dir[PATH_MAX];
	struct kv_audit_result r;
	struct kv_chain_opts o = opts("gd", dir, sizeof(dir));
	struct kv_chain *c;

	o.defer_genesis_sync = true;
	if (!ASSERT_OK(kv_chain_create(&o, NULL, &c), "create"))
		return;
	ASSERT_EQ(kv_chain_unsynced(c), 1, "written, not yet synced");
	ASSERT_EQ(audit(dir, &r), KV_ACTIVE, "in the file already");
	ASSERT_OK(kv_chain_genesis_sync(c), "sync");
	ASSERT_EQ(kv_chain_unsynced(c), 0, "synced");
	ASSERT_OK(kv_chain_genesis_sync(c), "again: nothing to do");
	ASSERT_OK(kv_chain_close(c, field("exit_status", 0)), "close");
	ASSERT_EQ(audit(dir, &r), KV_CLEAN, "complete");
	o = opts("gn", dir, sizeof(dir));
	if (!ASSERT_OK(kv_chain_create(&o, NULL, &c), "create, not deferred"))
		return;
	ASSERT_EQ(kv_chain_unsynced(c), 0, "durable on return");
	ASSERT_OK(kv_chain_close(c, NULL), "close");
}
