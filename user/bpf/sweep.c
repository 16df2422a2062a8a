// SPDX-License-Identifier: BSD-2-Clause
/* Pin directories of embedded runs that died without unpinning.
 *
 * An embedded `kavachos run` pins its maps for inspection and unpins them
 * when it ends; one killed with SIGKILL cannot, and its maps (the ring
 * buffer, preallocated hash maps) would stay in kernel memory until the
 * next boot. Whether a run still lives is the kernel's answer, not a pid
 * file's: a live run keeps its programs loaded, and every program
 * references its maps, so a directory none of whose maps any loaded
 * program uses belongs to a run that is gone. A run pins only after its
 * programs are loaded, so one still starting is never taken for dead. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "bpf/loader.h"

struct idset {
	__u32 *ids;
	size_t n, cap;
};

static int idset_reserve(struct idset *s, size_t more)
{
	__u32 *p;

	if (s->n + more <= s->cap)
		return 0;
	s->cap = (s->n + more) * 2;
	p = realloc(s->ids, s->cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	s->ids = p;
	return 0;
}

/* Appends the map ids one program uses. A program unloaded meanwhile is
 * skipped; any other error ends the sweep (it must not guess). */
static int prog_maps(__u32 prog_id, struct idset *s)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info), nr;
	int fd, e = 0;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		e = -errno;
		goto out;
	}
	nr = info.nr_map_ids;
	if (!nr || (e = idset_reserve(s, nr)))
		goto out;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = nr;
	info.map_ids = (__u64)(unsigned long)(s->ids + s->n);
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		e = -errno;
		goto out;
	}
	s->n += info.nr_map_ids < nr ? info.nr_map_ids : nr;
out:
	close(fd);
	return e;
}

static int used_map_ids(struct idset *s)
{
	__u32 id = 0;
	int e;

	while (!bpf_prog_get_next_id(id, &id))
		if ((e = prog_maps(id, s)))
			return e;
	return errno == ENOENT ? 0 : -errno;
}

static bool used(const struct idset *s, __u32 id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->ids[i] == id)
			return true;
	return false;
}

/* This libbpf has no bpf_map_get_info_by_fd: a pinned object is a map
 * when its fd says so. */
static bool is_map(int fd)
{
	char link[64], target[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = 0;
	return !strcmp(target, "anon_inode:bpf-map");
}

/* 1: dir holds pinned maps, and only maps no program uses; 0: not so
 * (an empty one may be a run's that is about to pin). */
static int orphaned(const char *dir, const struct idset *s)
{
	char path[PATH_MAX];
	struct dirent *de;
	int fd, r = 1, maps = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while (r && (de = readdir(d))) {
		struct bpf_map_info info = { 0 };
		__u32 len = sizeof(info);

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fd = bpf_obj_get(path);
		/* not a map (a link, a program, a directory): not ours to judge */
		if (fd < 0 || !is_map(fd) || bpf_obj_get_info_by_fd(fd, &info, &len) ||
		    used(s, info.id))
			r = 0;
		maps++;
		if (fd >= 0)
			close(fd);
	}
	closedir(d);
	return r && maps;
}

int kv_bpf_remove_pins(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);
	int e = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		/* only what kavachos pins: kv_* maps and link_* links */
		if (strncmp(de->d_name, "kv_", 3) && strncmp(de->d_name, "link_", 5))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) && errno != ENOENT && !e)
			e = -errno;
	}
	closedir(d);
	rmdir(dir);
	return e;
}

int kv_bpf_sweep_orphan_pins(const char *parent)
{
	struct idset s = { 0 };
	char dir[PATH_MAX];
	struct dirent *de;
	int e, n = 0;
	DIR *d;

	d = opendir(parent);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	e = used_map_ids(&s);
	while (!e && (de = readdir(d))) {
		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", parent, de->d_name);
		if (orphaned(dir, &s) == 1) {
			kv_bpf_remove_pins(dir);
			n++;
		}
	}
	closedir(d);
	free(s.ids);
	return e ? e : n;
}
