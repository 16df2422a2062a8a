// SPDX-License-Identifier: BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "bpf/loader.h"
#include "session/cgroup.h"
#include "session/session.h"

int kv_session_new_id(char id[KV_SESSION_ID_LEN])
{
	unsigned char rnd[4];
	struct tm tm;
	time_t now = time(NULL);

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return -EIO;
	gmtime_r(&now, &tm);
	snprintf(id, KV_SESSION_ID_LEN, "ks-%04d%02d%02dT%02d%02d%02dZ-%02x%02x%02x%02x",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 rnd[0], rnd[1], rnd[2], rnd[3]);
	return 0;
}

bool kv_session_cgroup_name_valid(const char *id)
{
	size_t i, n = strlen(id);

	if (n < 4 || n >= KV_SESSION_ID_LEN || strncmp(id, "ks-", 3))
		return false;
	for (i = 3; i < n; i++)
		if (!(id[i] == '-' || (id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'z') ||
		      (id[i] >= 'A' && id[i] <= 'Z')))
			return false;
	return true;
}

int kv_session_cgroup_create(const char *agents_root, const char *id, struct kv_session_info *s)
{
	int err;

	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", id);
	err = kv_cgroup_mkdir_p(agents_root);
	if (err)
		return err;
	if ((size_t)snprintf(s->cgroup, sizeof(s->cgroup), "%s/%s", agents_root, id) >= sizeof(s->cgroup))
		return -ENAMETOOLONG;
	if (mkdir(s->cgroup, 0755))
		return -errno;
	s->level = kv_cgroup_level(s->cgroup);
	s->cgid = kv_cgroup_id(s->cgroup);
	if (s->level < 0 || !s->cgid) {
		err = s->level < 0 ? s->level : -EIO;
		rmdir(s->cgroup);
		return err;
	}
	return 0;
}

void kv_session_policy_defaults(struct kv_session *p, uint32_t trust_mask, uint32_t depth)
{
	memset(p, 0, sizeof(*p));
	p->abi_version = KV_ABI_VERSION;
	p->trust_mask = trust_mask;
	p->depth = depth;
	p->flags = trust_mask == 0 ? KV_SF_READONLY : 0;
	p->thr_throttle = 1;
	p->thr_crack = 3;
	p->thr_lock = 10;
	p->burst_count = 5;
	p->burst_window_ns = 60ULL * 1000000000ULL;
	p->event_rate = 2000; /* events/s per session to the ring buffer */
}

int kv_session_maps_register(const struct kv_bpf *b, uint64_t cgid, const struct kv_session *pol,
			     const struct kv_syscall_policy *sp)
{
	int fd_sess = kv_bpf_map_fd(b, "kv_sessions"), fd_state = kv_bpf_map_fd(b, "kv_state");
	int fd_sc = kv_bpf_map_fd(b, "kv_syscalls");
	struct kv_session_state st = { 0 };

	if (fd_sess < 0 || fd_state < 0 || fd_sc < 0)
		return -ENOENT;
	if (bpf_map_update_elem(fd_state, &cgid, &st, BPF_ANY))
		goto fail;
	if (sp && bpf_map_update_elem(fd_sc, &cgid, sp, BPF_ANY))
		goto fail;
	if (bpf_map_update_elem(fd_sess, &cgid, pol, BPF_ANY))
		goto fail;
	return 0;
fail:
	kv_session_maps_unregister(b, cgid);
	return -errno;
}

void kv_session_maps_unregister(const struct kv_bpf *b, uint64_t cgid)
{
	/* session entry first: from then on no hook judges the cgroup */
	bpf_map_delete_elem(kv_bpf_map_fd(b, "kv_sessions"), &cgid);
	bpf_map_delete_elem(kv_bpf_map_fd(b, "kv_syscalls"), &cgid);
	bpf_map_delete_elem(kv_bpf_map_fd(b, "kv_state"), &cgid);
}

int kv_session_state_read(const struct kv_bpf *b, uint64_t cgid, struct kv_session_state *out)
{
	int fd = kv_bpf_map_fd(b, "kv_state");

	if (fd < 0)
		return fd;
	return bpf_map_lookup_elem(fd, &cgid, out) ? -errno : 0;
}

static int lookup_in(const char *dir, uint64_t cgid, struct kv_session *pol,
		     struct kv_session_state *st)
{
	char path[PATH_MAX];
	int fs, fp, e = -ENOENT;

	snprintf(path, sizeof(path), "%s/kv_state", dir);
	fs = bpf_obj_get(path);
	snprintf(path, sizeof(path), "%s/kv_sessions", dir);
	fp = bpf_obj_get(path);
	if (fs >= 0 && fp >= 0 && !bpf_map_lookup_elem(fs, &cgid, st) &&
	    !bpf_map_lookup_elem(fp, &cgid, pol))
		e = 0;
	if (fs >= 0)
		close(fs);
	if (fp >= 0)
		close(fp);
	return e;
}

int kv_session_live_lookup(uint64_t cgid, struct kv_session *pol, struct kv_session_state *st)
{
	struct dirent *de;
	char dir[PATH_MAX];
	DIR *d;
	int e = lookup_in(KV_PIN_DIR, cgid, pol, st);

	if (!e)
		return 0;
	d = opendir(KV_PIN_DIR_RUNS);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", KV_PIN_DIR_RUNS, de->d_name);
		if (!lookup_in(dir, cgid, pol, st)) {
			e = 0;
			break;
		}
	}
	if (d)
		closedir(d);
	return e;
}
