// SPDX-License-Identifier: BSD-2-Clause
/* The file policy as a Landlock ruleset, for kernels without BPF-LSM.
 *
 * Landlock only grants: a rule gives rights on a directory and everything
 * beneath it. To keep ~/.ssh unreadable under a readable /, the plan
 * "opens up" each directory on the way from / to the secret: that
 * directory itself gets READ_DIR only, and each of its other entries gets
 * the read rights individually; the secret gets nothing. What such an
 * opened-up directory gains after the plan (a new file in ~) has no rule
 * and stays unreadable: said in the limits. A secret beneath a write root
 * cannot be carved out at all: said too. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/landlock.h>
#include "lsm/lsm.h"

/* Rights and flags newer than the system's uapi header (6.1). */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif
#ifndef LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON
#define LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON (1U << 1) /* ABI 7 */
#endif

#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_X LANDLOCK_ACCESS_FS_EXECUTE
/* the rights that mean something on a non-directory */
#define FS_FILE (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
		 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |   \
		 LANDLOCK_ACCESS_FS_IOCTL_DEV)
#define FS_DEVICE (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
		   LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)
#define MAX_RULES 16384
#define MAX_LIMITS 64

/* struct landlock_ruleset_attr as of ABI 6; its size tells the kernel
 * which fields we know. */
struct kv_ll_ruleset_attr {
	__u64 handled_access_fs;
	__u64 handled_access_net;
	__u64 scoped;
};

struct kv_ll_rule {
	char *path;
	__u64 access; /* directory rights included only where the plan saw a directory */
};

struct kv_landlock_plan {
	int abi;
	__u64 handled_fs;
	__u64 scoped;
	__u32 restrict_flags;
	struct kv_ll_rule *r;
	size_t n, cap;
	char *limits[MAX_LIMITS];
	size_t n_limits;
	char **opened; /* directories opened up around secrets */
	size_t n_opened, cap_opened;
};

static __u64 fs_all(int abi)
{
	__u64 a = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0..12 */

	if (abi >= 2)
		a |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		a |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		a |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return a;
}

static void limit(struct kv_landlock_plan *pl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void limit(struct kv_landlock_plan *pl, const char *fmt, ...)
{
	va_list ap;

	if (pl->n_limits >= MAX_LIMITS)
		return;
	va_start(ap, fmt);
	if (vasprintf(&pl->limits[pl->n_limits], fmt, ap) >= 0)
		pl->n_limits++;
	va_end(ap);
}

static int add_rule(struct kv_landlock_plan *pl, const char *path, __u64 access)
{
	struct kv_ll_rule *nr;

	access &= pl->handled_fs;
	if (!access)
		return 0;
	if (pl->n >= MAX_RULES)
		return -E2BIG;
	if (pl->n == pl->cap) {
		pl->cap = pl->cap ? pl->cap * 2 : 64;
		nr = realloc(pl->r, pl->cap * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		pl->r = nr;
	}
	pl->r[pl->n].path = strdup(path);
	if (!pl->r[pl->n].path)
		return -ENOMEM;
	pl->r[pl->n++].access = access;
	return 0;
}

static bool beneath(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (!strcmp(dir, "/"))
		return true;
	return !strncmp(path, dir, n) && (path[n] == 0 || path[n] == '/');
}

static int note_opened(struct kv_landlock_plan *pl, const char *dir)
{
	char **no;

	if (pl->n_opened == pl->cap_opened) {
		pl->cap_opened = pl->cap_opened ? pl->cap_opened * 2 : 8;
		no = realloc(pl->opened, pl->cap_opened * sizeof(*no));
		if (!no)
			return -ENOMEM;
		pl->opened = no;
	}
	pl->opened[pl->n_opened] = strdup(dir);
	return pl->opened[pl->n_opened++] ? 0 : -ENOMEM;
}

static bool listed(const char *const *v, size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i], path))
			return true;
	return false;
}

/* Read rights on dir minus the secrets in it (see the header comment). */
static int grant_read(struct kv_landlock_plan *pl, const char *dir, const char *const *sec,
		      size_t ns, __u64 read, int depth)
{
	char child[PATH_MAX];
	struct dirent *de;
	struct stat st;
	bool inside = false, is_dir, is_lnk;
	size_t i;
	DIR *d;
	int err;

	for (i = 0; i < ns; i++) {
		if (!strcmp(sec[i], dir))
			return 0; /* the secret itself: no rule at all */
		if (beneath(sec[i], dir))
			inside = true;
	}
	if (!inside || depth > 64)
		return add_rule(pl, dir, read);
	err = add_rule(pl, dir, LANDLOCK_ACCESS_FS_READ_DIR);
	err = err ?: note_opened(pl, dir);
	d = err ? NULL : opendir(dir);
	while (d && !err && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(child, sizeof(child), "%s%s%s", dir, strcmp(dir, "/") ? "/" : "",
			     de->d_name) >= (int)sizeof(child))
			continue;
		/* the entry's type from readdir where the file system gives it
		 * (ext4, xfs, tmpfs...): one lstat per entry of /etc saved */
		if (de->d_type == DT_UNKNOWN) {
			if (lstat(child, &st))
				continue;
			is_dir = S_ISDIR(st.st_mode);
			is_lnk = S_ISLNK(st.st_mode);
		} else {
			is_dir = de->d_type == DT_DIR;
			is_lnk = de->d_type == DT_LNK;
		}
		/* a symlink's own inode is never an ancestor of what it reaches */
		if (is_lnk)
			continue;
		if (is_dir)
			err = grant_read(pl, child, sec, ns, read, depth + 1);
		else if (!listed(sec, ns, child))
			err = add_rule(pl, child, read & FS_FILE);
	}
	if (d)
		closedir(d);
	return err;
}

/* Which secrets a rule with read rights exposes (write roots, exec trees,
 * devices): Landlock cannot carve them out. */
static void exposed(struct kv_landlock_plan *pl, const struct kv_files_policy *p,
		    const struct kv_fentry *allow, const char *why)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		const struct kv_fentry *s = &p->e[i];

		if (s->present && (s->flags & KV_LSM_I_SECRET) && beneath(s->path, allow->path))
			limit(pl, "%s lies beneath %s %s: Landlock cannot deny it there", s->path,
			      why, allow->path);
	}
}

static int plan(struct kv_landlock_plan *pl, const struct kv_files_policy *p)
{
	bool x_everywhere = !(p->conf_flags & KV_LSM_C_EXEC_ALLOW) && !p->strict_exec;
	__u64 read = FS_READ | (x_everywhere ? FS_X : 0), wr, acc;
	const char **sec;
	size_t i, ns = 0;
	int err = 0;

	sec = calloc(p->n + 1, sizeof(*sec));
	if (!sec)
		return -ENOMEM;
	/* carved out of the read tree; those beneath a write root, exec tree
	 * or device entry are reached by that rule anyway (exposed()) */
	for (i = 0; i < p->n; i++) {
		const struct kv_fentry *e = &p->e[i];

		if (e->present && (e->flags & KV_LSM_I_SECRET))
			sec[ns++] = e->path;
	}
	err = grant_read(pl, "/", sec, ns, read, 0);

	wr = pl->handled_fs & ~(LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_BLOCK);
	if (!x_everywhere)
		wr &= ~FS_X;
	for (i = 0; i < p->n && !err; i++) {
		const struct kv_fentry *e = &p->e[i];

		if (!e->present || !e->flags || (e->flags & KV_LSM_I_SECRET))
			continue;
		if ((e->flags & KV_LSM_I_WRITE) && !p->readonly) {
			err = add_rule(pl, e->path, e->is_dir ? wr : wr & FS_FILE);
			exposed(pl, p, e, "the write root");
		}
		if (!err && (e->flags & KV_LSM_I_DEVICE)) {
			acc = FS_DEVICE | (e->is_dir ? LANDLOCK_ACCESS_FS_READ_DIR : 0);
			err = add_rule(pl, e->path, acc);
			exposed(pl, p, e, "the device entry");
		}
		if (!err && (e->flags & KV_LSM_I_EXEC) && !x_everywhere) {
			acc = FS_X | LANDLOCK_ACCESS_FS_READ_FILE |
			      (e->is_dir ? LANDLOCK_ACCESS_FS_READ_DIR : 0);
			err = add_rule(pl, e->path, acc);
			exposed(pl, p, e, "the exec entry");
		}
	}
	free(sec);
	return err;
}

static void plan_limits(struct kv_landlock_plan *pl, const struct kv_files_policy *p)
{
	size_t i, linked = 0;

	if (p->n_names)
		limit(pl, "secret name patterns (.env, *.pem, ...) are not enforced: Landlock "
			  "rules are paths, not names");
	for (i = 0; i < pl->n_opened; i++)
		limit(pl, "%s was opened up around a secret: entries created in it after the "
			  "session started are not readable", pl->opened[i]);
	for (i = 0; i < p->n; i++)
		if (p->e[i].flags & KV_LSM_I_SECRET)
			linked += p->e[i].linked;
	if (linked)
		limit(pl, "%zu secret file(s) have other hard links: those other paths are "
			  "readable under Landlock", linked);
	limit(pl, "a secret bind-mounted or hard-linked elsewhere before the session is "
		  "readable there (Landlock judges the path used)");
	if (pl->n_opened)
		limit(pl, "names inside a secret directory stay listable (READ_DIR is inherited "
			  "from the directory opened up above it); their contents are not readable");
	limit(pl, "chmod, chown, utimes and extended attributes outside the write roots are "
		  "not refused (Landlock has no right for them)");
	limit(pl, "exec of a memfd is not refused (it has no path to judge): only the "
		  "syscall profile's memfd_create rule stops fileless exec");
	limit(pl, "reading /proc/<pid>/environ of processes outside the session is not "
		  "refused by Landlock (ptrace scoping covers attach only), and the session has "
		  "no PID namespace yet: DAC permissions are what protect them");
	if (pl->abi < 3)
		limit(pl, "truncate(2) outside the write roots is not refused (Landlock ABI %d < 3)",
		      pl->abi);
	if (pl->abi < 5)
		limit(pl, "ioctl on device files is not restricted (Landlock ABI %d < 5)", pl->abi);
	if (pl->abi < 6)
		limit(pl, "signals to processes outside the session are not refused by Landlock "
			  "(ABI %d < 6): only the syscall profile (kill needs the swarm bit) stops them",
		      pl->abi);
	if (p->strict_exec)
		limit(pl, "strict exec: the agent binary (and its loader) stay executable; other "
			  "execs are refused");
	if (p->strict_exec || (p->conf_flags & KV_LSM_C_EXEC_ALLOW))
		limit(pl, "the ELF loader of each allowed binary must be executable: running it "
			  "directly (ld.so PROGRAM) starts a program off the allowlist");
	limit(pl, "denials are recorded (FILE_REFUSED: the refused file call at its return, "
		  "EACCES/EXDEV, the path as passed) but not counted as violations: there Landlock's "
		  "refusal and the file's own permissions look the same, so they do not move the gate");
}

int kv_landlock_plan_build(const struct kv_files_policy *p, int abi, struct kv_landlock_plan **out,
			   char *err, size_t errlen)
{
	struct kv_landlock_plan *pl;
	int e;

	*out = NULL;
	if (abi < 1) {
		snprintf(err, errlen, "Landlock is not available on this kernel");
		return -EOPNOTSUPP;
	}
	pl = calloc(1, sizeof(*pl));
	if (!pl) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pl->abi = abi;
	pl->handled_fs = fs_all(abi);
	if (abi >= 6)
		pl->scoped = LANDLOCK_SCOPE_SIGNAL |
			     (p->allow_abstract_unix ? 0 : LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET);
	if (abi >= 7)
		pl->restrict_flags = LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON;
	e = plan(pl, p);
	if (e) {
		snprintf(err, errlen, "%s", e == -E2BIG ? "the Landlock ruleset would need more "
							  "than 16384 rules (directories around "
							  "secrets are too large)"
							: strerror(-e));
		kv_landlock_plan_free(pl);
		return e;
	}
	plan_limits(pl, p);
	*out = pl;
	return 0;
}

size_t kv_landlock_plan_rules(const struct kv_landlock_plan *pl)
{
	return pl ? pl->n : 0;
}

static long add_path_rule(int rfd, int fd, __u64 access)
{
	struct landlock_path_beneath_attr pb = { .allowed_access = access, .parent_fd = fd };

	return access ? syscall(SYS_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) : 0;
}

int kv_landlock_ruleset_create(const struct kv_landlock_plan *pl, char *err, size_t errlen)
{
	struct kv_ll_ruleset_attr attr = {
		.handled_access_fs = pl->handled_fs,
		.scoped = pl->scoped,
	};
	size_t asz = pl->abi >= 6 ? 24 : pl->abi >= 4 ? 16 : 8, i;
	int rfd, fd, e;

	rfd = (int)syscall(SYS_landlock_create_ruleset, &attr, asz, 0);
	if (rfd < 0) {
		e = -errno;
		snprintf(err, errlen, "landlock_create_ruleset: %s", strerror(-e));
		return e;
	}
	for (i = 0; i < pl->n; i++) {
		__u64 acc = pl->r[i].access;
		long r;

		fd = open(pl->r[i].path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue; /* gone since the plan: less access, never more */
		/* the plan's type, not an fstat per rule: directory rights on what
		 * became a file since are refused (EINVAL), the file rights stay */
		r = add_path_rule(rfd, fd, acc);
		if (r && errno == EINVAL && (acc & ~FS_FILE))
			r = add_path_rule(rfd, fd, acc & FS_FILE);
		e = r ? -errno : 0;
		close(fd);
		/* EINVAL/ENOMSG: a symlink or special file, no rule, no access */
		if (e && e != -EINVAL && e != -ENOMSG) {
			close(rfd);
			snprintf(err, errlen, "landlock_add_rule %s: %s", pl->r[i].path, strerror(-e));
			return e;
		}
	}
	return rfd;
}

unsigned kv_landlock_plan_restrict_flags(const struct kv_landlock_plan *pl)
{
	return pl->restrict_flags;
}

int kv_landlock_ruleset_enforce(unsigned restrict_flags, int rfd, char *err, size_t errlen)
{
	int e;

	/* restrict_self needs no_new_privs (or CAP_SYS_ADMIN); the launch sets it */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_landlock_restrict_self, rfd, restrict_flags)) {
		e = -errno;
		close(rfd);
		snprintf(err, errlen, "landlock_restrict_self: %s", strerror(-e));
		return e;
	}
	close(rfd);
	return 0;
}

int kv_landlock_plan_apply(const struct kv_landlock_plan *pl, char *err, size_t errlen)
{
	int rfd = kv_landlock_ruleset_create(pl, err, errlen);

	return rfd < 0 ? rfd : kv_landlock_ruleset_enforce(pl->restrict_flags, rfd, err, errlen);
}

void kv_landlock_plan_free(struct kv_landlock_plan *pl)
{
	size_t i;

	if (!pl)
		return;
	for (i = 0; i < pl->n; i++)
		free(pl->r[i].path);
	for (i = 0; i < pl->n_limits; i++)
		free(pl->limits[i]);
	for (i = 0; i < pl->n_opened; i++)
		free(pl->opened[i]);
	free(pl->opened);
	free(pl->r);
	free(pl);
}

int kv_landlock_apply(const struct kv_files_policy *p, int abi, char *err, size_t errlen)
{
	struct kv_landlock_plan *pl;
	int e = kv_landlock_plan_build(p, abi, &pl, err, errlen);

	if (e)
		return e;
	e = kv_landlock_plan_apply(pl, err, errlen);
	kv_landlock_plan_free(pl);
	return e;
}

struct json_object *kv_landlock_plan_json(const struct kv_landlock_plan *pl)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	struct json_object *lim = json_object_new_array();
	size_t i;

	json_object_object_add(o, "abi", json_object_new_int(pl->abi));
	json_object_object_add(o, "rules", json_object_new_int64((int64_t)pl->n));
	json_object_object_add(o, "handled_access_fs", json_object_new_int64((int64_t)pl->handled_fs));
	json_object_object_add(o, "scope_signal",
			       json_object_new_boolean(pl->scoped & LANDLOCK_SCOPE_SIGNAL));
	json_object_object_add(o, "scope_abstract_unix",
			       json_object_new_boolean(pl->scoped & LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET));
	json_object_object_add(o, "audit_log", json_object_new_boolean(pl->restrict_flags != 0));
	for (i = 0; i < pl->n_opened; i++)
		json_object_array_add(a, json_object_new_string(pl->opened[i]));
	json_object_object_add(o, "opened_dirs", a);
	for (i = 0; i < pl->n_limits; i++)
		json_object_array_add(lim, json_object_new_string(pl->limits[i]));
	json_object_object_add(o, "limits", lim);
	return o;
}
