// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "common/mount_watch.h"
#include "lsm/resolve.h"
#include <pthread.h>

uint32_t kv_kdev(unsigned int major, unsigned int minor)
{
	return (uint32_t)major << 20 | (minor & 0xfffff);
}

static int read_mounts(struct kv_mounts *ms)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	size_t cap = 0;

	ms->m = NULL;
	ms->n = 0;
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long id, parent;
		unsigned int maj, min;

		/* "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw" */
		if (sscanf(line, "%llu %llu %u:%u", &id, &parent, &maj, &min) != 4)
			continue;
		if (ms->n == cap) {
			struct kv_mount_dev *nm;

			cap = cap ? cap * 2 : 64;
			nm = realloc(ms->m, cap * sizeof(*nm));
			if (!nm) {
				fclose(f);
				kv_mounts_free(ms);
				return -ENOMEM;
			}
			ms->m = nm;
		}
		ms->m[ms->n].mnt_id = id;
		ms->m[ms->n].dev = kv_kdev(maj, min);
		ms->n++;
	}
	fclose(f);
	return 0;
}

/* A copy of the table as last read, read again only after it changed
 * (mount_watch.h): the daemon plans file rules for every session. */
int kv_mounts_load(struct kv_mounts *ms)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct kv_mount_watch watch;
	static struct kv_mounts last;
	static bool have;
	int e = 0;

	ms->m = NULL;
	ms->n = 0;
	pthread_mutex_lock(&lock);
	if (kv_mount_watch_changed(&watch) || !have) {
		kv_mounts_free(&last);
		e = read_mounts(&last);
		have = !e;
	}
	if (!e && last.n) {
		ms->m = malloc(last.n * sizeof(*ms->m));
		if (ms->m) {
			memcpy(ms->m, last.m, last.n * sizeof(*ms->m));
			ms->n = last.n;
		} else {
			e = -ENOMEM;
		}
	}
	pthread_mutex_unlock(&lock);
	return e;
}

void kv_mounts_free(struct kv_mounts *ms)
{
	free(ms->m);
	ms->m = NULL;
	ms->n = 0;
}

int kv_fid_of(const struct kv_mounts *ms, const char *path, struct kv_fid *out)
{
	struct statx sx;
	size_t i;

	if (statx(AT_FDCWD, path, 0, STATX_TYPE | STATX_INO | STATX_NLINK | STATX_MNT_ID, &sx))
		return -errno;
	out->ino = sx.stx_ino;
	out->mode = sx.stx_mode;
	out->nlink = sx.stx_nlink;
	out->dev = kv_kdev(sx.stx_dev_major, sx.stx_dev_minor);
	if (!(sx.stx_mask & STATX_MNT_ID))
		return 0; /* < 5.8: st_dev is all there is */
	for (i = 0; i < ms->n; i++) {
		if (ms->m[i].mnt_id == sx.stx_mnt_id) {
			out->dev = ms->m[i].dev;
			break;
		}
	}
	return 0;
}
