// SPDX-License-Identifier: BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kv_events.h"
#include "test_lsm_tree.h"

#define E_ACC EACCES

/* name, op, a, b, BPF-LSM, Landlock, hook, event path tail */
const struct lt_probe lt_file_probes[] = {
	{ "read_secret", LT_READ, "home/.ssh/id_rsa", NULL, E_ACC, E_ACC,
	  KV_LSM_FILE_OPEN, "/home/.ssh/id_rsa" },
	{ "read_secret_via_symlink", LT_READ, "links/sym", NULL, E_ACC, E_ACC,
	  KV_LSM_FILE_OPEN, "/home/.ssh/id_rsa" },
	/* Landlock judges the path used: its limits say so */
	{ "read_secret_via_hardlink", LT_READ, "links/hard", NULL, E_ACC, LT_UNCHECKED,
	  KV_LSM_FILE_OPEN, "/links/hard" },
	{ "read_secret_via_dotdot", LT_READ, "ws/src/../../home/.ssh/config", NULL, E_ACC, E_ACC,
	  KV_LSM_FILE_OPEN, "/home/.ssh/config" },
	/* Landlock: READ_DIR of the opened-up parent is inherited (limits) */
	{ "list_secret_dir", LT_LIST, "home/.ssh", NULL, E_ACC, LT_UNCHECKED, KV_LSM_FILE_OPEN,
	  "/home/.ssh" },
	{ "read_home_file", LT_READ, "home/notes.txt", NULL, 0, 0, 0, NULL },
	{ "list_home", LT_LIST, "home", NULL, 0, 0, 0, NULL },
	{ "read_workspace_file", LT_READ, "ws/src/main.c", NULL, 0, 0, 0, NULL },
	/* name patterns: BPF-LSM only (Landlock has no names) */
	{ "read_dotenv", LT_READ, "ws/.env", NULL, E_ACC, LT_UNCHECKED, KV_LSM_FILE_OPEN,
	  "/ws/.env" },
	{ "read_dotenv_local", LT_READ, "ws/.env.local", NULL, E_ACC, LT_UNCHECKED,
	  KV_LSM_FILE_OPEN, "/ws/.env.local" },
	{ "read_pem", LT_READ, "ws/server.pem", NULL, E_ACC, LT_UNCHECKED, KV_LSM_FILE_OPEN,
	  "/ws/server.pem" },
	{ "read_pem_upper_case", LT_READ, "ws/Deploy.KEY", NULL, E_ACC, LT_UNCHECKED,
	  KV_LSM_FILE_OPEN, "/ws/Deploy.KEY" },
	{ "read_dotenv_upper_case", LT_READ, "ws/.ENV", NULL, E_ACC, LT_UNCHECKED,
	  KV_LSM_FILE_OPEN, "/ws/.ENV" },
	{ "read_pem_long_name", LT_READ, "ws/a-file-name-longer-than-the-head.pem", NULL, E_ACC,
	  LT_UNCHECKED, KV_LSM_FILE_OPEN, "/ws/a-file-name-longer-than-the-head.pem" },
	{ "read_pem_backup", LT_READ, "ws/notes.pem.bak", NULL, 0, 0, 0, NULL },
	{ "read_public_cacert", LT_READ, "ws/cacert.pem", NULL, 0, 0, 0, NULL },
	{ "create_in_workspace", LT_CREATE, "ws/new.txt", NULL, 0, 0, 0, NULL },
	{ "create_in_session_tmp", LT_CREATE, "tmp/scratch", NULL, 0, 0, 0, NULL },
	{ "write_dev_null", LT_WRITE, "/dev/null", NULL, 0, 0, 0, NULL },
	/* writes outside the write roots; the destructive ones last, so that
	 * the same table run outside every session (all allowed) still finds
	 * what each probe needs */
	{ "write_outside", LT_WRITE, "out/file.txt", NULL, E_ACC, E_ACC, KV_LSM_FILE_OPEN,
	  "/out/file.txt" },
	{ "truncate_outside", LT_TRUNCATE, "out/file.txt", NULL, E_ACC, E_ACC,
	  KV_LSM_PATH_TRUNCATE, "/out/file.txt" },
	/* Landlock has no right for chmod/chown: its limits say so */
	{ "chmod_outside", LT_CHMOD, "out/file.txt", NULL, E_ACC, LT_UNCHECKED,
	  KV_LSM_HOOK_SETATTR, "/out/file.txt" },
	{ "create_outside", LT_CREATE, "out/new.txt", NULL, E_ACC, E_ACC, KV_LSM_INODE_CREATE,
	  "/out/new.txt" },
	{ "mkdir_outside", LT_MKDIR, "out/dir", NULL, E_ACC, E_ACC, KV_LSM_INODE_CREATE,
	  "/out/dir" },
	{ "symlink_outside", LT_SYMLINK, "ws/src/main.c", "out/sl", E_ACC, E_ACC,
	  KV_LSM_INODE_CREATE, "/out/sl" },
	{ "unlink_outside", LT_UNLINK, "out/old.txt", NULL, E_ACC, E_ACC, KV_LSM_INODE_UNLINK,
	  "/out/old.txt" },
	{ "link_secret_into_workspace", LT_LINK, "home/.ssh/id_rsa", "ws/linked", E_ACC, EXDEV,
	  KV_LSM_INODE_LINK, "/home/.ssh/id_rsa" },
	{ "rename_outside_into_workspace", LT_RENAME, "out/file.txt", "ws/moved.txt", E_ACC,
	  E_ACC, KV_LSM_INODE_RENAME, "/out/file.txt" },
	{ "rename_secret_into_workspace", LT_RENAME, "home/.ssh/id_rsa", "ws/stolen", E_ACC,
	  E_ACC, KV_LSM_INODE_RENAME, "/home/.ssh/id_rsa" },
};
const size_t lt_n_file_probes = sizeof(lt_file_probes) / sizeof(lt_file_probes[0]);

static int put(const char *dir, const char *rel, const char *text)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0) {
		close(fd);
		return -errno;
	}
	close(fd);
	return 0;
}

static int mk(const char *dir, const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return mkdir(p, 0755) && errno != EEXIST ? -errno : 0;
}

int lt_tree_make(struct lt_tree *t, const char *dir)
{
	static const char *const dirs[] = { "home", "home/.ssh", "ws", "ws/src", "out", "links",
					    "tmp" };
	static const char *const files[][2] = {
		{ "home/.ssh/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\n" },
		{ "home/.ssh/config", "Host *\n" },
		{ "home/notes.txt", "notes\n" },
		{ "ws/src/main.c", "int main(void) { return 0; }\n" },
		{ "ws/.env", "TOKEN=1\n" },
		{ "ws/.env.local", "TOKEN=2\n" },
		{ "ws/server.pem", "-----BEGIN PRIVATE KEY-----\n" },
		{ "ws/cacert.pem", "-----BEGIN CERTIFICATE-----\n" },
		{ "ws/Deploy.KEY", "key\n" },
		{ "ws/.ENV", "TOKEN=3\n" },
		{ "ws/a-file-name-longer-than-the-head.pem", "key\n" },
		{ "ws/notes.pem.bak", "backup\n" },
		{ "out/file.txt", "outside\n" },
		{ "out/old.txt", "old\n" },
	};
	char a[PATH_MAX], b[PATH_MAX];
	size_t i;
	int err = 0;

	snprintf(t->root, sizeof(t->root), "%s", dir);
	snprintf(t->home, sizeof(t->home), "%s/home", dir);
	snprintf(t->ws, sizeof(t->ws), "%s/ws", dir);
	snprintf(t->tmp, sizeof(t->tmp), "%s/tmp", dir);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !err; i++)
		err = mk(dir, dirs[i]);
	for (i = 0; i < sizeof(files) / sizeof(files[0]) && !err; i++)
		err = put(dir, files[i][0], files[i][1]);
	if (err)
		return err;
	snprintf(a, sizeof(a), "%s/home/.ssh/id_rsa", dir);
	snprintf(b, sizeof(b), "%s/links/sym", dir);
	if (symlink(a, b) && errno != EEXIST)
		return -errno;
	snprintf(b, sizeof(b), "%s/links/hard", dir);
	return link(a, b) && errno != EEXIST ? -errno : 0;
}

void lt_tree_input(const struct lt_tree *t, struct kv_files_input *in)
{
	memset(in, 0, sizeof(*in));
	in->trust_mask = 0xFF;
	in->workspace = t->ws;
	in->home = t->home;
	in->tmp_dir = t->tmp;
}

static void abs_path(const struct lt_tree *t, const char *rel, char out[PATH_MAX])
{
	if (rel[0] == '/')
		snprintf(out, PATH_MAX, "%s", rel);
	else
		snprintf(out, PATH_MAX, "%s/%s", t->root, rel);
}

static int probe(const struct lt_tree *t, const struct lt_probe *p)
{
	char a[PATH_MAX], b[PATH_MAX], buf[64];
	DIR *d;
	int fd, r = 0;

	abs_path(t, p->a, a);
	if (p->b)
		abs_path(t, p->b, b);
	switch (p->op) {
	case LT_READ:
		fd = open(a, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return errno;
		if (read(fd, buf, sizeof(buf)) < 0)
			r = errno;
		close(fd);
		return r;
	case LT_LIST:
		d = opendir(a);
		if (!d)
			return errno;
		errno = 0;
		while (readdir(d))
			;
		r = errno;
		closedir(d);
		return r;
	case LT_WRITE:
	case LT_CREATE:
		fd = open(a, O_WRONLY | O_CLOEXEC | (p->op == LT_CREATE ? O_CREAT | O_EXCL : 0), 0644);
		if (fd < 0)
			return errno;
		if (write(fd, "x", 1) < 0)
			r = errno;
		close(fd);
		return r;
	case LT_UNLINK:
		return unlink(a) ? errno : 0;
	case LT_RENAME:
		return rename(a, b) ? errno : 0;
	case LT_LINK:
		return link(a, b) ? errno : 0;
	case LT_SYMLINK:
		return symlink(a, b) ? errno : 0;
	case LT_TRUNCATE:
		return truncate(a, 0) ? errno : 0;
	case LT_CHMOD:
		return chmod(a, 0600) ? errno : 0;
	case LT_MKDIR:
		return mkdir(a, 0755) ? errno : 0;
	}
	return EINVAL;
}

void lt_run_probes(const struct lt_tree *t, const struct lt_probe *p, size_t n, int *res)
{
	size_t i;

	for (i = 0; i < n; i++)
		res[i] = probe(t, &p[i]);
}

int *lt_results(size_t n)
{
	void *m = mmap(NULL, (n + 1) * sizeof(int), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return m == MAP_FAILED ? NULL : m;
}
