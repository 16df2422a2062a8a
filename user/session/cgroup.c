// SPDX-License-Identifier: BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include "common/mount_watch.h"
#include "session/cgroup.h"
#include <pthread.h>

static int read_cgroup2_root(char *buf, size_t len)
{
	char line[4096];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* id parent maj:min root mountpoint opts... - fstype src superopts */
		char *sep = strstr(line, " - "), mnt[PATH_MAX], fstype[64];

		if (!sep || sscanf(sep + 3, "%63s", fstype) != 1 || strcmp(fstype, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		if ((size_t)snprintf(buf, len, "%s", mnt) >= len) {
			err = -ENAMETOOLONG;
			break;
		}
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

/* The answer is kept until the mount table changes (mount_watch.h). */
int kv_cgroup2_root(char *buf, size_t len)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct kv_mount_watch watch;
	static char root[PATH_MAX];
	static int err = -ENOENT;
	int e;

	pthread_mutex_lock(&lock);
	if (kv_mount_watch_changed(&watch))
		err = read_cgroup2_root(root, sizeof(root));
	e = err;
	if (!e && (size_t)snprintf(buf, len, "%s", root) >= len)
		e = -ENAMETOOLONG;
	pthread_mutex_unlock(&lock);
	return e;
}

int kv_cgroup_is_v2(const char *path)
{
	struct statfs sfs;
	struct stat st;

	if (stat(path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (statfs(path, &sfs))
		return -errno;
	return sfs.f_type == CGROUP2_SUPER_MAGIC ? 0 : -EMEDIUMTYPE;
}

int kv_cgroup_level(const char *path)
{
	char root[PATH_MAX], real[PATH_MAX];
	const char *p;
	int err, level = 0;

	err = kv_cgroup2_root(root, sizeof(root));
	if (err)
		return err;
	if (!realpath(path, real))
		return -errno;
	if (strncmp(real, root, strlen(root)))
		return -EXDEV;
	p = real + strlen(root);
	if (*p && *p != '/')
		return -EXDEV;
	for (; *p; p++)
		if (*p == '/' && p[1])
			level++;
	return level;
}

uint64_t kv_cgroup_id(const char *path)
{
	/* cgroup2 file handles are the 64-bit cgroup id (kernfs node id). */
	struct {
		struct file_handle fh;
		uint64_t id;
	} h;
	int mount_id;

	h.fh.handle_bytes = sizeof(uint64_t);
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0))
		return 0;
	return h.id;
}

int kv_cgroup_mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	char *p;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static int write_file(const char *dir, const char *name, const char *val)
{
	char path[PATH_MAX];
	int fd, err = 0;
	size_t n = strlen(val);

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, n) != (ssize_t)n)
		err = -errno;
	close(fd);
	return err;
}

int kv_cgroup_move(const char *path, pid_t pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	return write_file(path, "cgroup.procs", buf);
}

int kv_cgroup_freeze(const char *path, int frozen)
{
	return write_file(path, "cgroup.freeze", frozen ? "1" : "0");
}

int kv_cgroup_kill(const char *path)
{
	return write_file(path, "cgroup.kill", "1");
}

static int events_key(const char *path, const char *key)
{
	char file[PATH_MAX], line[256];
	size_t klen = strlen(key);
	int val = -ENOENT;
	FILE *f;

	snprintf(file, sizeof(file), "%s/cgroup.events", path);
	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ' ')
			val = atoi(line + klen + 1);
	fclose(f);
	return val;
}

int kv_cgroup_populated(const char *path)
{
	return events_key(path, "populated");
}

int kv_cgroup_frozen(const char *path)
{
	return events_key(path, "frozen");
}

int kv_cgroup_remove(const char *path)
{
	char child[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(path);

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
		kv_cgroup_remove(child);
	}
	closedir(d);
	return rmdir(path) ? -errno : 0;
}

int kv_cgroup_resolve(const char *arg, char *out, size_t len, char *err, size_t errlen)
{
	char root[PATH_MAX];
	int rc = kv_cgroup2_root(root, sizeof(root));

	if (rc) {
		snprintf(err, errlen, "no cgroup2 hierarchy is mounted (mount -t cgroup2 none /sys/fs/cgroup)");
		return rc;
	}
	if (arg[0] != '/') {
		if ((size_t)snprintf(out, len, "%s/%s", root, arg) >= len)
			return -ENAMETOOLONG;
		return 0;
	}
	if (strncmp(arg, root, strlen(root)) ||
	    (arg[strlen(root)] && arg[strlen(root)] != '/')) {
		snprintf(err, errlen,
			 "'%s' is not on the cgroup2 hierarchy, which is mounted at %s on this host "
			 "(try %s%s, or a path relative to it)",
			 arg, root, root,
			 !strncmp(arg, "/sys/fs/cgroup/", 15) ? arg + 14 : "/kavachos");
		return -EXDEV;
	}
	if ((size_t)snprintf(out, len, "%s", arg) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int kv_cgroup_signal(const char *path, int sig)
{
	char file[PATH_MAX], child[PATH_MAX];
	struct dirent *de;
	DIR *d;
	FILE *f;
	int pid;

	snprintf(file, sizeof(file), "%s/cgroup.procs", path);
	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (fscanf(f, "%d", &pid) == 1)
		kill(pid, sig);
	fclose(f);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
		kv_cgroup_signal(child, sig);
	}
	if (d)
		closedir(d);
	return 0;
}
