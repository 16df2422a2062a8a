// SPDX-License-Identifier: BSD-2-Clause
/* The receipt writer: one chain per session, one writer per chain, many
 * producer threads.
 *
 * Receipts are sealed under the chain's lock into a pending buffer. With group
 * commit (and without sync) a flusher thread writes the buffer with one write()
 * and one fdatasync() when batch_max receipts are pending or the oldest has
 * waited batch_delay_ms — bounded even when nothing else arrives; producers go
 * on sealing into a fresh buffer meanwhile. KV_SYNC_EACH writes and syncs in
 * the producer's call. The flusher also seals the timed checkpoints.
 *
 * A batch that cannot be written is cut off the file again (the file always
 * ends on a complete receipt), the chain rolls back to the last receipt on
 * disk, and every receipt lost is counted by class and sealed as EVENTS_LOST
 * in front of the next receipt that can be written. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "common/log.h"
#include "common/timing.h"
#include "events/events.h"
#include "receipts/chain_internal.h"
#include "receipts/receipt_keys.h"
#include "receipts/receipts.h"
#include "receipts/store.h"

#define NSEC	    1000000000ull
#define PENDING_MAX (8u << 20)	       /* producers flush themselves beyond this */
#define LOST_NONE   KV_CLASS_MAX       /* lost receipts that were not violations */
#define LOST_ANY    (KV_CLASS_MAX + 1) /* lost loss coverage that named no class */
#define LOST_SLOTS  (KV_CLASS_MAX + 2)
#define LOST_REASON "receipt_write_failed"

/* Where the chain stands after some receipt. */
struct chain_state {
	uint64_t seq; /* of the next receipt */
	char prev[KV_SHA256_HEX];
	uint64_t since_ckpt; /* receipts (not checkpoints) since the last checkpoint */
};

struct pending {
	char *p;
	size_t len, cap;
	uint64_t n;
};

struct kv_chain {
	pthread_mutex_t lock;
	pthread_cond_t wake; /* the flusher's: work, or stop */
	pthread_cond_t idle; /* a write finished */
	pthread_t flusher;
	bool flusher_running, stop, closed, flushing, poisoned;
	bool genesis_unsynced; /* defer_genesis_sync: kv_chain_genesis_sync() still to come */

	char state_dir[PATH_MAX];
	char path[PATH_MAX];
	char session[KV_SESSION_ID_MAX + 1];
	int fd;
	enum kv_sync_mode sync;
	uint64_t batch_max, batch_delay_ns, ckpt_every, ckpt_ns;

	struct kv_receipt_key *key;
	struct kv_receipt_buf rb;
	struct chain_state now;	    /* after the last receipt sealed */
	struct chain_state durable; /* after the last receipt in the file */
	off_t size;		    /* of the file: complete receipts only */
	struct pending pend, spare;
	uint64_t first_pending_ns, last_ckpt_ns;
	uint64_t sealed, synced; /* receipts */
	int async_err;		 /* a failed write or fdatasync, for the next caller */
	uint64_t failures;
	uint64_t lost[LOST_SLOTS];
	int lost_errno;
};

static uint64_t all_failures;

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

uint64_t kv_chain_failures(void)
{
	return __atomic_load_n(&all_failures, __ATOMIC_RELAXED);
}

uint64_t kv_chain_failed(const struct kv_chain *c)
{
	return __atomic_load_n(&c->failures, __ATOMIC_RELAXED);
}

uint64_t kv_chain_seq(const struct kv_chain *c)
{
	return __atomic_load_n(&c->now.seq, __ATOMIC_RELAXED);
}

uint64_t kv_chain_unsynced(struct kv_chain *c)
{
	uint64_t n;

	pthread_mutex_lock(&c->lock);
	n = c->sealed - c->synced;
	pthread_mutex_unlock(&c->lock);
	return n;
}

static void set_state(struct chain_state *to, const struct chain_state *from)
{
	__atomic_store_n(&to->seq, from->seq, __ATOMIC_RELAXED);
	memcpy(to->prev, from->prev, sizeof(to->prev));
	to->since_ckpt = from->since_ckpt;
}

static void count_failures(struct kv_chain *c, uint64_t n)
{
	__atomic_add_fetch(&c->failures, n, __ATOMIC_RELAXED);
	__atomic_add_fetch(&all_failures, n, __ATOMIC_RELAXED);
}

static void warn_lost(struct kv_chain *c, int err, const char *what)
{
	kv_warn(
	    "receipts",
	    "session %s: cannot %s %s: %s -- evidence is at risk, treat the session as an incident",
	    c->session, what, c->path, strerror(-err));
}

static bool type_is(const struct kv_receipt_view *v, const char *type)
{
	return v->type_len == strlen(type) && !memcmp(v->type, type, v->type_len);
}

/* Receipts of a batch that will never reach the file: their classes go into
 * lost[] (an EVENTS_LOST among them gives its coverage back); returns how
 * many of them were the callers' receipts. */
static uint64_t tally_lost(struct kv_chain *c, const char *buf, size_t len)
{
	const char *line = buf, *nl, *cv;
	struct kv_receipt_view v;
	uint64_t n = 0, count;
	size_t cn;
	int cls;

	for (; line < buf + len && (nl = memchr(line, '\n', (size_t)(buf + len - line)));
	     line = nl + 1) {
		if (kv_receipt_parse(line, (size_t)(nl - line), &v, NULL, 0) ||
		    type_is(&v, "CHECKPOINT"))
			continue;
		if (type_is(&v, "EVENTS_LOST") &&
		    kv_canon_member_u64(v.payload, v.payload_len, "count", &count)) {
			if (!kv_canon_member(v.payload, v.payload_len, "class", &cv, &cn))
				cls = LOST_ANY;
			else if (cn < 2 || (cls = kv_receipt_class_parse(cv + 1, cn - 2)) < 0)
				cls = LOST_NONE;
			c->lost[cls] += count;
			if (kv_canon_member_is(v.payload, v.payload_len, "reason", LOST_REASON))
				continue; /* our own notice: nothing new was lost */
		} else {
			cls = kv_receipt_class(v.type, v.type_len, v.payload, v.payload_len);
			c->lost[cls < 0 ? LOST_NONE : cls]++;
		}
		n++;
	}
	return n;
}

/* Writes the pending receipts (and fdatasyncs when do_sync), without holding
 * the lock while the disk works. Called and returns with the lock held. */
static int flush_locked(struct kv_chain *c, bool do_sync)
{
	struct chain_state after;
	struct pending batch;
	size_t done = 0;
	uint64_t lost;
	int err = 0, serr = 0;

	while (c->flushing)
		pthread_cond_wait(&c->idle, &c->lock);
	if (c->poisoned)
		return -EIO;
	if (!c->pend.n && (!do_sync || c->synced == c->sealed))
		return 0;
	batch = c->pend;
	c->pend = c->spare;
	c->pend.len = c->pend.n = 0;
	set_state(&after, &c->now);
	c->flushing = true;
	pthread_mutex_unlock(&c->lock);
	if (batch.len)
		err = kv_store_write_all(c->fd, batch.p, batch.len, &done);
	if (!err && do_sync && fdatasync(c->fd))
		serr = -errno;
	pthread_mutex_lock(&c->lock);
	c->flushing = false;
	pthread_cond_broadcast(&c->idle);
	if (err) {
		if (done && ftruncate(c->fd, c->size)) {
			c->poisoned = true;
			kv_warn("receipts",
				"session %s: cannot cut a partial receipt off %s: %s -- refusing "
				"further receipts",
				c->session, c->path, strerror(errno));
		}
		/* what was sealed since chains on the lost batch: lost too */
		lost = tally_lost(c, batch.p, batch.len) + tally_lost(c, c->pend.p, c->pend.len);
		c->sealed -= batch.n + c->pend.n;
		c->pend.len = c->pend.n = 0;
		set_state(&c->now, &c->durable);
		c->lost_errno = -err;
		count_failures(c, lost);
		warn_lost(c, err, "write receipts to");
		c->async_err = err;
	} else {
		c->size += (off_t)batch.len;
		set_state(&c->durable, &after);
		if (do_sync && !serr)
			c->synced = c->sealed - c->pend.n;
		if (serr) {
			count_failures(c, 1);
			warn_lost(c, serr, "fdatasync");
			c->async_err = err = serr;
		}
	}
	batch.len = batch.n = 0;
	c->spare = batch;
	if (c->pend.n)
		c->first_pending_ns = clock_ns(CLOCK_MONOTONIC);
	return err;
}

/* One receipt into the pending buffer. */
static int seal_one(struct kv_chain *c, const char *type, const char *payload, size_t plen,
		    uint64_t ktime_ns)
{
	struct kv_receipt_in in = {
	    .session = c->session,
	    .seq = c->now.seq,
	    .ktime_ns = ktime_ns ? ktime_ns : clock_ns(CLOCK_BOOTTIME),
	    .wall_ns = clock_ns(CLOCK_REALTIME),
	    .prev = c->now.prev,
	    .type = type,
	    .payload = payload,
	    .payload_len = plen,
	};
	struct pending *p = &c->pend;
	struct chain_state next;
	int err;

	err = kv_receipt_seal(&c->rb, &in, next.prev);
	if (err)
		return err;
	if (p->len + c->rb.len > p->cap) {
		size_t cap = p->cap ? p->cap : 64 * 1024;
		char *np;

		while (cap < p->len + c->rb.len)
			cap *= 2;
		np = realloc(p->p, cap);
		if (!np)
			return -ENOMEM;
		p->p = np;
		p->cap = cap;
	}
	memcpy(p->p + p->len, c->rb.p, c->rb.len);
	p->len += c->rb.len;
	if (!p->n++)
		c->first_pending_ns = clock_ns(CLOCK_MONOTONIC);
	next.seq = c->now.seq + 1;
	next.since_ckpt = c->now.since_ckpt + (strcmp(type, "CHECKPOINT") != 0);
	set_state(&c->now, &next);
	c->sealed++;
	if (p->n == c->batch_max)
		pthread_cond_signal(&c->wake);
	return 0;
}

static int checkpoint_locked(struct kv_chain *c)
{
	char msg[KV_CHECKPOINT_MSG_MAX], payload[KV_CHECKPOINT_MSG_MAX];
	char sig_hex[2 * KV_ED25519_SIG_LEN + 1];
	uint8_t sig[KV_ED25519_SIG_LEN];
	int n, err;

	n = kv_checkpoint_message(msg, sizeof(msg), c->session, c->now.seq - 1, c->now.prev,
				  kv_receipt_key_id(c->key));
	if (n < 0)
		return n;
	err = kv_receipt_key_sign(c->key, msg, (size_t)n, sig);
	if (err)
		return err;
	kv_hex(sig, sizeof(sig), sig_hex);
	n = snprintf(
	    payload, sizeof(payload),
	    "{\"count\":%llu,\"hash\":\"%s\",\"key_id\":\"%s\",\"seq\":%llu,\"sig\":\"%s\"}",
	    (unsigned long long)c->now.seq, c->now.prev, kv_receipt_key_id(c->key),
	    (unsigned long long)c->now.seq - 1, sig_hex);
	err = seal_one(c, "CHECKPOINT", payload, (size_t)n, 0);
	if (err)
		return err;
	c->now.since_ckpt = 0;
	c->last_ckpt_ns = clock_ns(CLOCK_MONOTONIC);
	return 0;
}

/* A receipt, keeping "at most checkpoint_every receipts between checkpoints". */
static int seal_locked(struct kv_chain *c, const char *type, const char *payload, size_t plen,
		       uint64_t ktime_ns)
{
	int err;

	if (c->now.since_ckpt >= c->ckpt_every) { /* one that could not be sealed before */
		err = checkpoint_locked(c);
		if (err)
			return err;
	}
	err = seal_one(c, type, payload, plen, ktime_ns);
	if (!err && c->now.since_ckpt >= c->ckpt_every)
		checkpoint_locked(c); /* on failure: retried before the next receipt */
	return err;
}

/* EVENTS_LOST receipts for receipts that never reached the file. */
static int seal_lost_locked(struct kv_chain *c)
{
	char payload[192], cls[32] = "";
	unsigned i;
	int n, err;

	for (i = 0; i < LOST_SLOTS; i++) {
		if (!c->lost[i])
			continue;
		if (i != LOST_ANY)
			snprintf(cls, sizeof(cls), "\"class\":\"%s\",", kv_class_name(i));
		n = snprintf(payload, sizeof(payload),
			     "{%s\"count\":%llu,\"errno\":%d,\"reason\":\"" LOST_REASON "\"}",
			     i != LOST_ANY ? cls : "", (unsigned long long)c->lost[i],
			     c->lost_errno);
		err = seal_locked(c, "EVENTS_LOST", payload, (size_t)n, 0);
		if (err)
			return err;
		c->lost[i] = 0;
	}
	return 0;
}

static bool any_lost(const struct kv_chain *c)
{
	unsigned i;

	for (i = 0; i < LOST_SLOTS; i++)
		if (c->lost[i])
			return true;
	return false;
}

static int append_locked(struct kv_chain *c, const char *type, const char *payload, size_t plen,
			 uint64_t ktime_ns)
{
	int cls, err;

	err = c->poisoned ? -EIO : any_lost(c) ? seal_lost_locked(c) : 0;
	if (!err)
		err = seal_locked(c, type, payload, plen, ktime_ns);
	if (err) {
		cls = kv_receipt_class(type, strlen(type), payload, plen);
		c->lost[cls < 0 ? LOST_NONE : cls]++;
		c->lost_errno = -err;
		count_failures(c, 1);
		kv_warn("receipts",
			"session %s: cannot seal a %s receipt: %s -- evidence is at risk, treat "
			"the session as an incident",
			c->session, type, strerror(-err));
		return err;
	}
	if (c->sync == KV_SYNC_EACH || c->pend.len >= PENDING_MAX)
		err = flush_locked(c, c->sync != KV_SYNC_NONE);
	/* this call's failure, or one the flusher met since the last call */
	err = err ? err : c->async_err;
	c->async_err = 0;
	return err;
}

static bool type_reserved(const char *type)
{
	return !strcmp(type, "SESSION_START") || !strcmp(type, "SESSION_END") ||
	       !strcmp(type, "CHECKPOINT");
}

int kv_chain_append_canonical(struct kv_chain *c, const char *type, const char *payload, size_t len,
			      uint64_t ktime_ns)
{
	char err[128];
	int ret;

	if (!c || !kv_receipt_type_valid(type) || type_reserved(type) || !payload)
		return -EINVAL;
	ret = kv_canon_check(payload, len, err, sizeof(err));
	if (ret)
		kv_warn("receipts",
			"session %s: a %s payload is not canonical JSON: %s -- evidence is at risk",
			c->session, type, err);
	pthread_mutex_lock(&c->lock);
	if (ret) { /* lost, and said so */
		c->lost[LOST_NONE]++;
		c->lost_errno = -ret;
		count_failures(c, 1);
	} else {
		ret = c->closed ? -EBADF : append_locked(c, type, payload, len, ktime_ns);
	}
	pthread_mutex_unlock(&c->lock);
	return ret;
}

int kv_chain_append(struct kv_chain *c, const char *type, struct json_object *fields,
		    uint64_t ktime_ns)
{
	char *payload = NULL;
	size_t len = 0;
	int err;

	if (!c || !kv_receipt_type_valid(type) || type_reserved(type)) {
		json_object_put(fields);
		return -EINVAL;
	}
	/* Serialised outside the lock: producers run in parallel up to the seal. */
	err = kv_chain_payload(fields, &payload, &len);
	json_object_put(fields);
	if (err) {
		pthread_mutex_lock(&c->lock);
		c->lost[LOST_NONE]++; /* unreadable fields: class unknown */
		c->lost_errno = -err;
		count_failures(c, 1);
		pthread_mutex_unlock(&c->lock);
		kv_warn("receipts",
			"session %s: cannot serialise a %s receipt: %s -- evidence is at risk",
			c->session, type, strerror(-err));
		return err;
	}
	pthread_mutex_lock(&c->lock);
	err = c->closed ? -EBADF : append_locked(c, type, payload, len, ktime_ns);
	pthread_mutex_unlock(&c->lock);
	free(payload);
	return err;
}

static void *flusher_main(void *arg)
{
	struct kv_chain *c = arg;
	struct timespec ts;
	uint64_t now, wake, due;

	pthread_mutex_lock(&c->lock);
	while (!c->stop) {
		now = clock_ns(CLOCK_MONOTONIC);
		wake = now + NSEC;
		if (c->sync != KV_SYNC_EACH && c->pend.n && !c->poisoned) {
			due = c->first_pending_ns + c->batch_delay_ns;
			if (c->pend.n >= c->batch_max || now >= due) {
				flush_locked(c, c->sync == KV_SYNC_GROUP);
				continue;
			}
			wake = due < wake ? due : wake;
		}
		if (c->now.since_ckpt && !c->poisoned) {
			due = c->last_ckpt_ns + c->ckpt_ns;
			if (now >= due) {
				if (checkpoint_locked(c) ||
				    (c->sync == KV_SYNC_EACH && flush_locked(c, true)))
					c->last_ckpt_ns = now; /* retried a period later */
				continue;
			}
			wake = due < wake ? due : wake;
		}
		ts.tv_sec = (time_t)(wake / NSEC);
		ts.tv_nsec = (long)(wake % NSEC);
		pthread_cond_timedwait(&c->wake, &c->lock, &ts);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int kv_chain_flush(struct kv_chain *c)
{
	int err;

	if (!c)
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	err = flush_locked(c, true);
	if (!err)
		err = c->async_err;
	c->async_err = 0;
	pthread_mutex_unlock(&c->lock);
	return err;
}

int kv_chain_checkpoint(struct kv_chain *c)
{
	int err;

	if (!c)
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	err = c->closed ? -EBADF : c->poisoned ? -EIO : checkpoint_locked(c);
	if (!err && c->sync == KV_SYNC_EACH)
		err = flush_locked(c, true);
	pthread_mutex_unlock(&c->lock);
	return err;
}

/* The index line for event, where the chain stands at st. */
static void index_record(struct kv_chain *c, const char *event, const struct chain_state *st,
			 bool sync)
{
	struct json_object *o = json_object_new_object();
	int err;

	json_object_object_add(o, "event", json_object_new_string(event));
	json_object_object_add(o, "session", json_object_new_string(c->session));
	json_object_object_add(o, "wall_ns", json_object_new_uint64(clock_ns(CLOCK_REALTIME)));
	json_object_object_add(o, "receipts", json_object_new_uint64(st->seq));
	json_object_object_add(o, "hash", json_object_new_string(st->prev));
	err = kv_store_index_append(c->state_dir, o, sync);
	if (err)
		kv_warn("receipts", "session %s: cannot record %s in the index: %s", c->session,
			event, strerror(-err));
	json_object_put(o);
}

static void chain_free(struct kv_chain *c)
{
	if (c->fd >= 0)
		close(c->fd); /* releases the flock */
	kv_receipt_buf_free(&c->rb);
	kv_receipt_key_free(c->key);
	free(c->pend.p);
	free(c->spare.p);
	pthread_cond_destroy(&c->wake);
	pthread_cond_destroy(&c->idle);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static int chain_init(struct kv_chain *c, const struct kv_chain_opts *o)
{
	pthread_condattr_t ca;
	int err;

	c->fd = -1;
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&c->idle, NULL);
	snprintf(c->session, sizeof(c->session), "%s", o->session_id);
	if (snprintf(c->state_dir, sizeof(c->state_dir), "%s", o->state_dir) >=
	    (int)sizeof(c->state_dir))
		return -ENAMETOOLONG;
	err = kv_store_session_path(c->path, sizeof(c->path), o->state_dir, o->session_id);
	if (err)
		return err;
	c->sync = o->sync;
	if (c->sync != KV_SYNC_GROUP && c->sync != KV_SYNC_NONE && c->sync != KV_SYNC_EACH)
		return -EINVAL;
	c->batch_max = o->batch_max ? o->batch_max : KV_CHAIN_BATCH_MAX_DEFAULT;
	c->batch_delay_ns =
	    (uint64_t)(o->batch_delay_ms ? o->batch_delay_ms : KV_CHAIN_BATCH_DELAY_MS_DEFAULT) *
	    1000000ull;
	c->ckpt_every =
	    o->checkpoint_every ? o->checkpoint_every : KV_CHAIN_CHECKPOINT_EVERY_DEFAULT;
	c->ckpt_ns =
	    (uint64_t)(o->checkpoint_secs ? o->checkpoint_secs : KV_CHAIN_CHECKPOINT_SECS_DEFAULT) *
	    NSEC;
	return kv_receipt_buf_init(&c->rb);
}

static const char *sync_name(enum kv_sync_mode m)
{
	return m == KV_SYNC_EACH ? "each" : m == KV_SYNC_NONE ? "none" : "group";
}

/* The writer's own genesis member: how the chain is kept, and by which key. */
static int add_chain_meta(struct kv_chain *c, struct json_object *genesis)
{
	struct json_object *m = json_object_new_object();

	if (!m)
		return -ENOMEM;
	json_object_object_add(m, "batch_delay_ms",
			       json_object_new_uint64(c->batch_delay_ns / 1000000));
	json_object_object_add(m, "batch_max", json_object_new_uint64(c->batch_max));
	json_object_object_add(m, "checkpoint_every", json_object_new_uint64(c->ckpt_every));
	json_object_object_add(m, "checkpoint_secs", json_object_new_uint64(c->ckpt_ns / NSEC));
	json_object_object_add(m, "key_id", json_object_new_string(kv_receipt_key_id(c->key)));
	json_object_object_add(m, "sync", json_object_new_string(sync_name(c->sync)));
	json_object_object_add(genesis, "chain", m);
	return 0;
}

/* The genesis durable: the session file's name (dir), its first receipt
 * (file) and the index's "start" line. The writes came before any fsync, so
 * a journaling file system commits all three in one go (one disk flush
 * instead of three); each fsync is still made, whatever the file system. */
static int sync_genesis(struct kv_chain *c, const char *dir)
{
	int err = 0;

	pthread_mutex_lock(&c->lock);
	if (fdatasync(c->fd))
		err = -errno;
	else
		c->synced = c->sealed > c->synced ? c->sealed : c->synced;
	pthread_mutex_unlock(&c->lock);
	if (!err) {
		int e = kv_store_index_sync(c->state_dir);

		if (e)
			kv_warn("receipts", "session %s: cannot sync the index: %s", c->session,
				strerror(-e));
		err = kv_store_fsync_dir(dir);
	}
	return err;
}

static void sessions_dir(const struct kv_chain *c, char *dir, size_t len)
{
	if (kv_store_path(dir, len, "%s/" KV_SESSIONS_SUBDIR, c->state_dir))
		dir[0] = 0;
}

/* The genesis receipt, written before anything else can happen and, unless
 * the caller defers it (kv_chain_genesis_sync), durable before
 * kv_chain_create returns, whatever the sync mode. */
static int seal_genesis(struct kv_chain *c, const char *dir, const char *payload, size_t plen,
			bool defer)
{
	int err;

	pthread_mutex_lock(&c->lock);
	err = kv_receipt_genesis_prev(c->session, c->now.prev);
	if (!err)
		err = seal_locked(c, "SESSION_START", payload, plen, 0);
	if (!err)
		err = flush_locked(c, false);
	if (!err)
		index_record(c, "start", &c->durable, false);
	kv_timing_mark("chain: written");
	c->genesis_unsynced = !err && defer;
	pthread_mutex_unlock(&c->lock);
	return err || defer ? err : sync_genesis(c, dir);
}

int kv_chain_genesis_sync(struct kv_chain *c)
{
	char dir[PATH_MAX];
	bool unsynced;

	pthread_mutex_lock(&c->lock);
	unsynced = c->genesis_unsynced;
	c->genesis_unsynced = false;
	pthread_mutex_unlock(&c->lock);
	if (!unsynced)
		return 0;
	sessions_dir(c, dir, sizeof(dir));
	return sync_genesis(c, dir);
}

int kv_chain_create(const struct kv_chain_opts *o, struct json_object *genesis,
		    struct kv_chain **out)
{
	char dir[PATH_MAX], *payload = NULL;
	struct kv_chain *c = NULL;
	bool created = false;
	size_t plen;
	int err;

	if (!o || !o->state_dir || !*o->state_dir || !kv_session_id_valid(o->session_id) ||
	    !strcmp(o->session_id, "index") || !out) {
		err = -EINVAL;
		goto fail;
	}
	if (!genesis)
		genesis = json_object_new_object();
	if (!json_object_is_type(genesis, json_type_object) ||
	    json_object_object_get_ex(genesis, "chain", NULL)) {
		err = -EINVAL;
		goto fail;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		err = -ENOMEM;
		goto fail;
	}
	err = chain_init(c, o);
	if (!err)
		err = kv_store_path(dir, sizeof(dir), "%s/" KV_SESSIONS_SUBDIR, o->state_dir);
	if (!err)
		err = kv_store_mkdirs(o->state_dir, 0755);
	if (!err && mkdir(dir, 0750) && errno != EEXIST)
		err = -errno;
	if (!err)
		err = kv_receipt_key_load_or_create(o->state_dir, &c->key);
	if (!err)
		err = add_chain_meta(c, genesis);
	if (!err)
		err = kv_chain_payload(genesis, &payload, &plen);
	if (err)
		goto fail;
	c->fd = open(c->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0640);
	if (c->fd < 0) {
		err = -errno;
		kv_warn("receipts", "cannot create %s: %s", c->path, strerror(errno));
		goto fail;
	}
	created = true;
	/* Audit sees a held lock as "session still being written". */
	if (flock(c->fd, LOCK_EX | LOCK_NB)) {
		err = -errno;
		goto fail;
	}
	c->last_ckpt_ns = clock_ns(CLOCK_MONOTONIC);
	kv_timing_mark("chain: key, payload, file");
	err = seal_genesis(c, dir, payload, plen, o->defer_genesis_sync);
	if (err) {
		warn_lost(c, err, "write the genesis receipt to");
		goto fail;
	}
	err = -pthread_create(&c->flusher, NULL, flusher_main, c);
	if (err)
		goto fail;
	c->flusher_running = true;
	free(payload);
	json_object_put(genesis);
	*out = c;
	return 0;
fail:
	if (created)
		unlink(c->path); /* holds no sealed evidence: creation failed */
	if (c)
		chain_free(c);
	free(payload);
	json_object_put(genesis);
	return err;
}

/* SESSION_END and the final checkpoint sealed, the flusher stopped. */
static int seal_end(struct kv_chain *c, struct json_object *end_fields)
{
	char *payload = NULL;
	size_t plen = 0;
	int err = 0, e;

	if (!end_fields || !json_object_is_type(end_fields, json_type_object)) {
		err = end_fields ? -EINVAL : 0; /* sealed without them, and said so */
		json_object_put(end_fields);
		end_fields = json_object_new_object();
	}
	pthread_mutex_lock(&c->lock);
	json_object_object_add(end_fields, "receipt_write_failures",
			       json_object_new_uint64(c->failures));
	pthread_mutex_unlock(&c->lock);
	e = kv_chain_payload(end_fields, &payload, &plen);
	json_object_put(end_fields);
	if (e) {
		kv_warn("receipts", "session %s: SESSION_END fields cannot be sealed: %s",
			c->session, strerror(-e));
		free(payload);
		payload = strdup("{\"invalid_end_fields\":true}");
		plen = payload ? strlen(payload) : 0;
		err = err ? err : e;
	}
	pthread_mutex_lock(&c->lock);
	e = payload ? append_locked(c, "SESSION_END", payload, plen, 0) : -ENOMEM;
	/* the final checkpoint, unless SESSION_END's own spacing just sealed it */
	if (!c->poisoned && c->now.since_ckpt) {
		int ce = checkpoint_locked(c);

		e = e ? e : ce;
	}
	c->closed = true;
	c->stop = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	free(payload);
	if (c->flusher_running)
		pthread_join(c->flusher, NULL);
	c->flusher_running = false;
	return err ? err : e;
}

/* The end written to the file, then the index's "end" line (both in the
 * page cache: a reader sees the whole chain from here on). */
static int write_end(struct kv_chain *c)
{
	int e;

	pthread_mutex_lock(&c->lock);
	e = flush_locked(c, false);
	index_record(c, "end", &c->durable, false);
	pthread_mutex_unlock(&c->lock);
	return e;
}

/* Both synced (one journal commit on a journaling file system, as for the
 * genesis); freed. */
static int sync_end(struct kv_chain *c)
{
	int e;

	pthread_mutex_lock(&c->lock);
	e = flush_locked(c, true);
	e = e ?: c->async_err;
	pthread_mutex_unlock(&c->lock);
	if (kv_store_index_sync(c->state_dir))
		kv_warn("receipts", "session %s: cannot sync the index", c->session);
	chain_free(c);
	return e;
}

static int finish_close(struct kv_chain *c)
{
	int e = write_end(c);

	return sync_end(c) ?: e;
}

int kv_chain_close(struct kv_chain *c, struct json_object *end_fields)
{
	int err, e;

	if (!c) {
		json_object_put(end_fields);
		return -EINVAL;
	}
	err = seal_end(c, end_fields);
	e = finish_close(c);
	return err ? err : e;
}

/* Closes finishing on their own threads, so the daemon can wait for them. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t done;
	unsigned n;
} closing = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };

static void *finish_thread(void *arg)
{
	struct kv_chain *c = arg;
	char session[KV_SESSION_ID_MAX + 1];
	int e;

	snprintf(session, sizeof(session), "%s", c->session);
	e = sync_end(c);
	if (e)
		kv_warn("receipts", "session %s: the end did not reach the disk: %s -- evidence is "
				    "at risk, treat the session as an incident", session, strerror(-e));
	pthread_mutex_lock(&closing.lock);
	closing.n--;
	pthread_cond_broadcast(&closing.done);
	pthread_mutex_unlock(&closing.lock);
	return NULL;
}

int kv_chain_close_async(struct kv_chain *c, struct json_object *end_fields, bool *durable)
{
	pthread_attr_t at;
	pthread_t t;
	int err, e;

	*durable = false;
	if (!c) {
		json_object_put(end_fields);
		return -EINVAL;
	}
	err = seal_end(c, end_fields);
	if (c->sync != KV_SYNC_EACH) {
		/* written now, so the file holds the whole chain when the caller
		 * answers; only the fdatasync goes to the thread */
		e = write_end(c);
		err = err ? err : e;
		pthread_mutex_lock(&closing.lock);
		closing.n++;
		pthread_mutex_unlock(&closing.lock);
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		e = pthread_create(&t, &at, finish_thread, c);
		pthread_attr_destroy(&at);
		if (!e)
			return err;
		pthread_mutex_lock(&closing.lock);
		closing.n--;
		pthread_mutex_unlock(&closing.lock);
		e = sync_end(c); /* no thread: durable before the answer */
		*durable = !e;
		return err ? err : e;
	}
	e = finish_close(c); /* KV_SYNC_EACH: durable before the answer */
	*durable = !e;
	return err ? err : e;
}

void kv_chain_wait_closes(void)
{
	pthread_mutex_lock(&closing.lock);
	while (closing.n)
		pthread_cond_wait(&closing.done, &closing.lock);
	pthread_mutex_unlock(&closing.lock);
}
