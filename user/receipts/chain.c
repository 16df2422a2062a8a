// SPDX-License-Identifier: BSD-2-Clause
/* The receipt writer: one chain per session, one writer per chain, many
 * producer threads. Each receipt is one write() (so a crash of the process
 * loses nothing that kv_chain_append returned 0 for); durability against
 * power loss comes from fdatasync, per batch (group commit: a flusher thread
 * bounds the delay even when no further receipt arrives), per receipt, or
 * only at close. The same thread seals checkpoints every checkpoint_secs. */
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
#include "common/canon_json.h"
#include "common/log.h"
#include "receipts/receipt_keys.h"
#include "events/events.h"
#include "receipts/receipts.h"
#include "receipts/store.h"

#define NSEC 1000000000ull

struct kv_chain {
	pthread_mutex_t lock;
	pthread_cond_t wake; /* the flusher's: a batch to sync, or stop */
	pthread_t flusher;
	bool flusher_running, stop, closed;

	char state_dir[PATH_MAX];
	char path[PATH_MAX];
	char session[KV_SESSION_ID_MAX + 1];
	int fd;
	enum kv_sync_mode sync;
	uint64_t batch_max, batch_delay_ns, ckpt_every, ckpt_ns;

	struct kv_receipt_key *key;
	struct kv_receipt_buf rb;
	uint64_t seq; /* of the next receipt */
	char prev[KV_SHA256_HEX];
	off_t size;   /* end of the last complete receipt */
	uint64_t since_ckpt; /* receipts (not checkpoints) since the last checkpoint */
	uint64_t last_ckpt_ns;
	uint64_t written, synced, first_unsynced_ns;
	int sync_err;  /* a failed fdatasync not yet returned to a caller */
	bool poisoned; /* a partial receipt could not be cut off: refuse to go on */
	uint64_t failures;
	uint64_t lost[KV_CLASS_MAX + 1]; /* receipts not written, by class; last: none */
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
	return __atomic_load_n(&c->seq, __ATOMIC_RELAXED);
}

uint64_t kv_chain_unsynced(struct kv_chain *c)
{
	uint64_t n;

	pthread_mutex_lock(&c->lock);
	n = c->written - c->synced;
	pthread_mutex_unlock(&c->lock);
	return n;
}

static void count_failure(struct kv_chain *c, int err, const char *what, const char *type)
{
	__atomic_add_fetch(&c->failures, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&all_failures, 1, __ATOMIC_RELAXED);
	kv_warn("receipts", "session %s: cannot %s %s receipt (seq %llu) in %s: %s -- evidence is at risk, treat the session as an incident",
		c->session, what, type, (unsigned long long)c->seq, c->path, strerror(-err));
}

/* Invalid UTF-8 in a string or key becomes "\xNN" per byte (Python's
 * "backslashreplace"), so every receipt is valid UTF-8 and nothing is dropped. */
static char *utf8_repair(const char *s, size_t n, size_t *out_len)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = malloc(4 * n + 1), *o = out;
	size_t i = 0, k;

	if (!out)
		return NULL;
	while (i < n) {
		k = p[i] < 0x80 ? 1 : kv_utf8_seq_len(p + i, n - i);
		if (k) {
			memcpy(o, p + i, k);
			o += k;
			i += k;
		} else {
			o += sprintf(o, "\\x%02x", p[i++]);
		}
	}
	*o = 0;
	*out_len = (size_t)(o - out);
	return out;
}

static struct json_object *utf8_repaired_copy(struct json_object *o)
{
	struct json_object *r;
	size_t i, n, len;
	char *s;

	switch (json_object_get_type(o)) {
	case json_type_string:
		s = utf8_repair(json_object_get_string(o), (size_t)json_object_get_string_len(o), &len);
		r = s ? json_object_new_string_len(s, (int)len) : NULL;
		free(s);
		return r;
	case json_type_array:
		n = json_object_array_length(o);
		r = json_object_new_array_ext((int)n);
		for (i = 0; r && i < n; i++)
			json_object_array_add(r, utf8_repaired_copy(json_object_array_get_idx(o, i)));
		return r;
	case json_type_object:
		r = json_object_new_object();
		json_object_object_foreach(o, k, v) {
			s = utf8_repair(k, strlen(k), &len);
			if (!r || !s) {
				free(s);
				break;
			}
			json_object_object_add(r, s, utf8_repaired_copy(v));
			free(s);
		}
		return r;
	default:
		return json_object_get(o);
	}
}

/* fields -> canonical payload, checked with the reader's own parser. */
static int payload_canonical(struct json_object *fields, char **out, size_t *len)
{
	struct json_object *fixed;
	char err[128];
	int ret;
	char *p;

	if (!fields) {
		*out = strdup("{}");
		*len = 2;
		return *out ? 0 : -ENOMEM;
	}
	if (!json_object_is_type(fields, json_type_object))
		return -EINVAL;
	p = kv_json_canonical(fields, len);
	if (!p)
		return errno == EINVAL ? -EINVAL : -ENOMEM;
	ret = kv_canon_check(p, *len, err, sizeof(err));
	if (ret == -EILSEQ) {
		free(p);
		fixed = utf8_repaired_copy(fields);
		p = fixed ? kv_json_canonical(fixed, len) : NULL;
		json_object_put(fixed);
		if (!p)
			return -ENOMEM;
		ret = kv_canon_check(p, *len, err, sizeof(err));
	}
	if (ret) {
		kv_warn("receipts", "fields cannot be sealed: %s", err);
		free(p);
		return ret;
	}
	*out = p;
	return 0;
}

/* One receipt to the file. A partial write is cut off again so the file keeps
 * ending on a complete receipt; if even that fails the chain refuses to go on. */
static int write_receipt_locked(struct kv_chain *c, const char *type, const char *payload,
				size_t plen, uint64_t ktime_ns)
{
	struct kv_receipt_in in = {
		.session = c->session,
		.seq = c->seq,
		.ktime_ns = ktime_ns ? ktime_ns : clock_ns(CLOCK_BOOTTIME),
		.wall_ns = clock_ns(CLOCK_REALTIME),
		.prev = c->prev,
		.type = type,
		.payload = payload,
		.payload_len = plen,
	};
	char hash[KV_SHA256_HEX];
	size_t done = 0;
	int err;

	err = kv_receipt_seal(&c->rb, &in, hash);
	if (!err)
		err = kv_store_write_all(c->fd, c->rb.p, c->rb.len, &done);
	if (err) {
		if (done && ftruncate(c->fd, c->size)) {
			c->poisoned = true;
			kv_warn("receipts", "session %s: cannot cut a partial receipt off %s: %s -- refusing further receipts",
				c->session, c->path, strerror(errno));
		}
		return err;
	}
	c->size += (off_t)c->rb.len;
	__atomic_store_n(&c->seq, c->seq + 1, __ATOMIC_RELAXED);
	memcpy(c->prev, hash, sizeof(hash));
	if (strcmp(type, "CHECKPOINT"))
		c->since_ckpt++;
	c->written++;
	switch (c->sync) {
	case KV_SYNC_EACH:
		if (fdatasync(c->fd)) {
			c->sync_err = -errno;
			count_failure(c, c->sync_err, "fdatasync", type);
		} else {
			c->synced = c->written;
		}
		break;
	case KV_SYNC_GROUP:
		if (c->written - c->synced == 1) {
			c->first_unsynced_ns = clock_ns(CLOCK_MONOTONIC);
			pthread_cond_signal(&c->wake);
		} else if (c->written - c->synced >= c->batch_max) {
			pthread_cond_signal(&c->wake);
		}
		break;
	case KV_SYNC_NONE:
		break;
	}
	return 0;
}

static int checkpoint_locked(struct kv_chain *c)
{
	char msg[KV_CHECKPOINT_MSG_MAX], payload[KV_CHECKPOINT_MSG_MAX];
	char sig_hex[2 * KV_ED25519_SIG_LEN + 1];
	uint8_t sig[KV_ED25519_SIG_LEN];
	int n, err;

	n = kv_checkpoint_message(msg, sizeof(msg), c->session, c->seq - 1, c->prev,
				  kv_receipt_key_id(c->key));
	if (n < 0)
		return n;
	err = kv_receipt_key_sign(c->key, msg, (size_t)n, sig);
	if (err)
		goto fail;
	kv_hex(sig, sizeof(sig), sig_hex);
	n = snprintf(payload, sizeof(payload),
		     "{\"count\":%llu,\"hash\":\"%s\",\"key_id\":\"%s\",\"seq\":%llu,\"sig\":\"%s\"}",
		     (unsigned long long)c->seq, c->prev, kv_receipt_key_id(c->key),
		     (unsigned long long)c->seq - 1, sig_hex);
	err = write_receipt_locked(c, "CHECKPOINT", payload, (size_t)n, 0);
	if (err)
		goto fail;
	c->since_ckpt = 0;
	c->last_ckpt_ns = clock_ns(CLOCK_MONOTONIC);
	return 0;
fail:
	count_failure(c, err, "seal", "CHECKPOINT");
	return err;
}

/* A receipt, keeping "at most checkpoint_every receipts between checkpoints":
 * an overdue checkpoint (its write failed before) goes first. */
static int seal_locked(struct kv_chain *c, const char *type, const char *payload, size_t plen,
		       uint64_t ktime_ns)
{
	int err;

	if (c->since_ckpt >= c->ckpt_every) {
		err = checkpoint_locked(c);
		if (err)
			return err;
	}
	err = write_receipt_locked(c, type, payload, plen, ktime_ns);
	if (err)
		return err;
	if (c->since_ckpt >= c->ckpt_every)
		checkpoint_locked(c); /* on failure: retried before the next receipt */
	return 0;
}

/* EVENTS_LOST receipts for receipts that could not be written, per class. */
static int seal_lost_locked(struct kv_chain *c)
{
	char payload[192];
	unsigned i;
	int n, err;

	for (i = 0; i <= KV_CLASS_MAX; i++) {
		if (!c->lost[i])
			continue;
		n = snprintf(payload, sizeof(payload),
			     "{\"class\":\"%s\",\"count\":%llu,\"errno\":%d,\"reason\":\"receipt_write_failed\"}",
			     kv_class_name(i), (unsigned long long)c->lost[i], c->lost_errno);
		err = seal_locked(c, "EVENTS_LOST", payload, (size_t)n, 0);
		if (err)
			return err;
		c->lost[i] = 0;
	}
	return 0;
}

static int append_locked(struct kv_chain *c, const char *type, const char *payload, size_t plen,
			 uint64_t ktime_ns)
{
	int cls, err = 0;
	unsigned i;

	if (c->poisoned) {
		err = -EIO;
	} else {
		for (i = 0; i <= KV_CLASS_MAX && !err; i++)
			if (c->lost[i])
				err = seal_lost_locked(c);
		if (!err)
			err = seal_locked(c, type, payload, plen, ktime_ns);
	}
	if (err) {
		cls = kv_receipt_class(type, strlen(type), payload, plen);
		c->lost[cls < 0 ? KV_CLASS_MAX : cls]++;
		c->lost_errno = -err;
		count_failure(c, err, "write", type);
		return err;
	}
	err = c->sync_err;
	c->sync_err = 0;
	return err;
}

static bool type_reserved(const char *type)
{
	return !strcmp(type, "SESSION_START") || !strcmp(type, "SESSION_END") ||
	       !strcmp(type, "CHECKPOINT");
}

int kv_chain_append_canonical(struct kv_chain *c, const char *type, const char *payload,
			      size_t len, uint64_t ktime_ns)
{
	int err;

	if (!c || !kv_receipt_type_valid(type) || type_reserved(type) || !payload)
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	err = c->closed ? -EBADF : append_locked(c, type, payload, len, ktime_ns);
	pthread_mutex_unlock(&c->lock);
	return err;
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
	/* Serialised outside the lock: producers run in parallel up to the write. */
	err = payload_canonical(fields, &payload, &len);
	json_object_put(fields);
	if (err) {
		pthread_mutex_lock(&c->lock);
		c->lost[KV_CLASS_MAX]++; /* unreadable fields: class unknown */
		c->lost_errno = -err;
		count_failure(c, err, "serialise", type);
		pthread_mutex_unlock(&c->lock);
		return err;
	}
	err = kv_chain_append_canonical(c, type, payload, len, ktime_ns);
	free(payload);
	return err;
}

/* fdatasync without holding the lock; receipts written meanwhile stay pending. */
static int sync_unlocked(struct kv_chain *c)
{
	uint64_t target = c->written;
	int err = 0;

	pthread_mutex_unlock(&c->lock);
	if (fdatasync(c->fd))
		err = -errno;
	pthread_mutex_lock(&c->lock);
	if (err) {
		c->sync_err = err;
		count_failure(c, err, "fdatasync", "pending");
		return err;
	}
	if (target > c->synced)
		c->synced = target;
	if (c->written > c->synced)
		c->first_unsynced_ns = clock_ns(CLOCK_MONOTONIC);
	return 0;
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
		if (c->sync == KV_SYNC_GROUP && c->written > c->synced) {
			due = c->first_unsynced_ns + c->batch_delay_ns;
			if (c->written - c->synced >= c->batch_max || now >= due) {
				sync_unlocked(c);
				continue;
			}
			wake = due < wake ? due : wake;
		}
		if (c->since_ckpt && !c->poisoned) {
			due = c->last_ckpt_ns + c->ckpt_ns;
			if (now >= due) {
				if (checkpoint_locked(c))
					c->last_ckpt_ns = now; /* retry a period later */
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
	err = sync_unlocked(c);
	if (!err) {
		err = c->sync_err;
		c->sync_err = 0;
	}
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
	pthread_mutex_unlock(&c->lock);
	return err;
}

static void index_record(struct kv_chain *c, const char *event)
{
	struct json_object *o = json_object_new_object();
	int err;

	json_object_object_add(o, "event", json_object_new_string(event));
	json_object_object_add(o, "session", json_object_new_string(c->session));
	json_object_object_add(o, "wall_ns", json_object_new_uint64(clock_ns(CLOCK_REALTIME)));
	json_object_object_add(o, "receipts", json_object_new_uint64(c->seq));
	json_object_object_add(o, "hash", json_object_new_string(c->prev));
	err = kv_store_index_append(c->state_dir, o);
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
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static int chain_init(struct kv_chain *c, const struct kv_chain_opts *o)
{
	pthread_condattr_t ca;
	int err;

	c->fd = -1;
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
	c->batch_delay_ns = (uint64_t)(o->batch_delay_ms ? o->batch_delay_ms
							 : KV_CHAIN_BATCH_DELAY_MS_DEFAULT) * 1000000ull;
	c->ckpt_every = o->checkpoint_every ? o->checkpoint_every : KV_CHAIN_CHECKPOINT_EVERY_DEFAULT;
	c->ckpt_ns = (uint64_t)(o->checkpoint_secs ? o->checkpoint_secs
						     : KV_CHAIN_CHECKPOINT_SECS_DEFAULT) * NSEC;
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->wake, &ca);
	pthread_condattr_destroy(&ca);
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
	json_object_object_add(m, "batch_delay_ms", json_object_new_uint64(c->batch_delay_ns / 1000000));
	json_object_object_add(m, "batch_max", json_object_new_uint64(c->batch_max));
	json_object_object_add(m, "checkpoint_every", json_object_new_uint64(c->ckpt_every));
	json_object_object_add(m, "checkpoint_secs", json_object_new_uint64(c->ckpt_ns / NSEC));
	json_object_object_add(m, "key_id", json_object_new_string(kv_receipt_key_id(c->key)));
	json_object_object_add(m, "sync", json_object_new_string(sync_name(c->sync)));
	json_object_object_add(genesis, "chain", m);
	return 0;
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
		err = payload_canonical(genesis, &payload, &plen);
	if (!err)
		err = kv_receipt_genesis_prev(c->session, c->prev);
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
	kv_store_fsync_dir(dir);
	c->last_ckpt_ns = clock_ns(CLOCK_MONOTONIC);
	err = write_receipt_locked(c, "SESSION_START", payload, plen, 0);
	if (!err && fdatasync(c->fd))
		err = -errno;
	if (err) {
		count_failure(c, err, "write", "SESSION_START");
		goto fail;
	}
	c->synced = c->written;
	if (c->since_ckpt >= c->ckpt_every && (err = checkpoint_locked(c)))
		goto fail;
	index_record(c, "start");
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

int kv_chain_close(struct kv_chain *c, struct json_object *end_fields)
{
	char *payload = NULL;
	size_t plen;
	int err, e;

	if (!c) {
		json_object_put(end_fields);
		return -EINVAL;
	}
	if (!end_fields || !json_object_is_type(end_fields, json_type_object)) {
		err = end_fields ? -EINVAL : 0; /* sealed without them, and said so */
		json_object_put(end_fields);
		end_fields = json_object_new_object();
	} else {
		err = 0;
	}
	pthread_mutex_lock(&c->lock);
	json_object_object_add(end_fields, "receipt_write_failures",
			       json_object_new_uint64(c->failures));
	pthread_mutex_unlock(&c->lock);
	e = payload_canonical(end_fields, &payload, &plen);
	json_object_put(end_fields);
	pthread_mutex_lock(&c->lock);
	if (e) {
		count_failure(c, e, "serialise", "SESSION_END");
		payload = strdup("{\"invalid_end_fields\":true}");
		plen = payload ? strlen(payload) : 0;
		err = err ? err : e;
	}
	if (!c->closed && payload) {
		e = c->poisoned ? -EIO : append_locked(c, "SESSION_END", payload, plen, 0);
		/* the final checkpoint, unless SESSION_END's own spacing just sealed it */
		if (!c->poisoned && c->since_ckpt) {
			int ce = checkpoint_locked(c);

			e = e ? e : ce;
		}
		err = err ? err : e;
	}
	c->closed = true;
	c->stop = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	free(payload);
	if (c->flusher_running)
		pthread_join(c->flusher, NULL);
	if (fdatasync(c->fd)) {
		e = -errno;
		count_failure(c, e, "fdatasync", "final");
		err = err ? err : e;
	}
	index_record(c, "end");
	chain_free(c);
	return err;
}
