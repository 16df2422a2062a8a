// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/log.h"
#include "falco/alert.h"
#include "kv_session.h"
#include "run/falco_ingest.h"
#include "run/runtime.h"

#define FEAT "falco"
#define KV_INGEST_RATES 256

struct rate_slot {
	uint64_t cgid;
	struct kv_falco_rate r;
};

struct kv_falco_ingest {
	struct kv_runtime *rt;
	struct kv_falco_reader *rd;
	int fd;
	char path[4096];
	pthread_t thread;
	atomic_bool stop;
	struct kv_falco_ingest_stats st;
	struct rate_slot rates[KV_INGEST_RATES];
	int nrates;
};

static struct kv_falco_rate *rate_for(struct kv_falco_ingest *fi, uint64_t cgid)
{
	int i;

	for (i = 0; i < fi->nrates; i++)
		if (fi->rates[i].cgid == cgid)
			return &fi->rates[i].r;
	i = fi->nrates < KV_INGEST_RATES ? fi->nrates++ : (int)(cgid % KV_INGEST_RATES);
	fi->rates[i].cgid = cgid;
	kv_falco_rate_init(&fi->rates[i].r, 0, 0);
	return &fi->rates[i].r;
}

/* An alert without a session id: the kernel knows the pid's cgroup. */
static void session_of_pid(int64_t pid, char *id, size_t len)
{
	char path[64], line[4096], *slash;
	FILE *f;

	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%lld/cgroup", (long long)pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue; /* the cgroup2 line */
		line[strcspn(line, "\n")] = 0;
		for (slash = strstr(line, "/ks-"); slash; slash = strstr(slash + 1, "/ks-")) {
			size_t n = strcspn(slash + 1, "/");

			if (n < len) {
				memcpy(id, slash + 1, n);
				id[n] = 0;
			}
			break;
		}
	}
	if (f)
		fclose(f);
}

static void on_alert(const struct kv_falco_alert *a, void *ctx)
{
	struct kv_falco_ingest *fi = ctx;
	char id[KV_FALCO_SESSION_ID_MAX + 1];
	uint64_t cgid;

	fi->st.alerts++;
	snprintf(id, sizeof(id), "%s", a->session_id);
	if (!id[0])
		session_of_pid(a->pid, id, sizeof(id));
	if (!id[0] || kv_runtime_find(fi->rt, id, &cgid)) {
		fi->st.unknown_session++;
		kv_warn(FEAT, "alert '%s' for %s%s: logged, not sealed", a->rule,
			id[0] ? "unknown session " : "no session", id);
		return;
	}
	if (kv_runtime_user_violation(fi->rt, cgid, KV_CLASS_FALCO, "FALCO_ALERT",
				      kv_falco_alert_receipt_fields(a)) == 0)
		fi->st.sealed++;
	if (kv_falco_rate_hit(rate_for(fi, cgid), a->time_ns) == KV_FALCO_RATE_EXCEEDED) {
		fi->st.rate_exceeded++;
		kv_runtime_seal(fi->rt, cgid, "RATE_EXCEEDED",
				kv_falco_rate_receipt_fields(rate_for(fi, cgid), a->time_ns), 0);
	}
}

static void on_bad(unsigned long lineno, const char *why, void *ctx)
{
	struct kv_falco_ingest *fi = ctx;

	fi->st.bad_lines++;
	kv_warn(FEAT, "%s:%lu: skipped: %s", fi->path, lineno, why);
}

static void *follow(void *arg)
{
	struct kv_falco_ingest *fi = arg;

	/* follow the file like tail -f: at its end, wait and read again */
	for (;;) {
		ssize_t n = kv_falco_reader_read_fd(fi->rd, fi->fd);

		if (n > 0)
			continue;
		if (atomic_load(&fi->stop))
			break;
		usleep(50000);
	}
	return NULL;
}

int kv_falco_ingest_start(struct kv_runtime *rt, const char *path, struct kv_falco_ingest **out)
{
	static const struct kv_falco_reader_ops ops = { .alert = on_alert, .bad_line = on_bad };
	struct kv_falco_ingest *fi = calloc(1, sizeof(*fi));
	struct stat sb;
	int e;

	if (!fi)
		return -ENOMEM;
	fi->rt = rt;
	snprintf(fi->path, sizeof(fi->path), "%s", path);
	/* a FIFO is opened read-write so it never reads EOF between writers */
	fi->fd = open(path, (!stat(path, &sb) && S_ISFIFO(sb.st_mode) ? O_RDWR : O_RDONLY) |
				    O_NONBLOCK | O_CLOEXEC);
	if (fi->fd < 0) {
		e = -errno;
		free(fi);
		return e;
	}
	fi->rd = kv_falco_reader_new(0, &ops, fi);
	if (!fi->rd || (e = -pthread_create(&fi->thread, NULL, follow, fi))) {
		kv_falco_reader_free(fi->rd);
		close(fi->fd);
		free(fi);
		return -ENOMEM;
	}
	*out = fi;
	return 0;
}

void kv_falco_ingest_stop(struct kv_falco_ingest *fi, struct kv_falco_ingest_stats *st)
{
	struct kv_falco_reader_stats rs;

	if (!fi)
		return;
	atomic_store(&fi->stop, true);
	pthread_join(fi->thread, NULL);
	kv_falco_reader_finish(fi->rd);
	kv_falco_reader_stats(fi->rd, &rs);
	fi->st.lines = rs.lines;
	if (st)
		*st = fi->st;
	kv_falco_reader_free(fi->rd);
	close(fi->fd);
	free(fi);
}
