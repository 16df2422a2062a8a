// SPDX-License-Identifier: BSD-2-Clause
/* Session inputs -> the file policy: every path resolved to the inode the
 * kernel will meet, name patterns parsed, conflicts settled (a secret wins
 * over a write root or an exec entry beneath it). */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lsm/defaults.h"
#include "lsm/lsm.h"
#include "lsm/resolve.h"

#define MAX_WALK_DEPTH 32

struct builder {
	struct kv_files_policy *p;
	const struct kv_files_input *in;
	struct kv_mounts ms;
	size_t cap_e, cap_names, cap_inodes;
	size_t inside; /* inodes keyed beneath secret directories */
	char *err;
	size_t errlen;
};

static int fail(struct builder *b, int e, const char *fmt, const char *what, const char *why)
{
	snprintf(b->err, b->errlen, fmt, what, why);
	return e;
}

static int grow(void **v, size_t *cap, size_t n, size_t elem)
{
	void *nv;

	if (n < *cap)
		return 0;
	*cap = *cap ? *cap * 2 : 32;
	nv = realloc(*v, *cap * elem);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	return 0;
}

static int add_inode(struct builder *b, uint32_t dev, uint64_t ino, uint32_t flags)
{
	struct kv_files_policy *p = b->p;

	if (grow((void **)&p->inodes, &b->cap_inodes, p->n_inodes, sizeof(*p->inodes)))
		return -ENOMEM;
	p->inodes[p->n_inodes++] = (struct kv_finode){ .dev = dev, .ino = ino, .flags = flags };
	return 0;
}

/* "~", "~/x", "/abs", "rel" (to the workspace) -> an absolute path. */
static int absolute(struct builder *b, const char *given, char out[PATH_MAX])
{
	const char *home = b->in->home;
	int n;

	if (!strcmp(given, "~") || !strncmp(given, "~/", 2)) {
		if (!home || home[0] != '/')
			return fail(b, -EINVAL, "'%s': %s", given,
				    "'~' needs the agent user's home directory");
		n = snprintf(out, PATH_MAX, "%s%s", home, given + 1);
	} else if (given[0] == '/') {
		n = snprintf(out, PATH_MAX, "%s", given);
	} else {
		n = snprintf(out, PATH_MAX, "%s/%s", b->p->workspace, given);
	}
	if (n < 0 || n >= PATH_MAX)
		return fail(b, -EINVAL, "'%s': %s", given, "path too long");
	return 0;
}

/* Resolves and appends one path entry. A missing path is kept (sealed in
 * the policy as not enforced), never an error: .kavachos.json travels
 * between machines. */
static int add_path(struct builder *b, const char *given, uint32_t flags,
		    enum kv_fentry_origin origin)
{
	struct kv_files_policy *p = b->p;
	char abs[PATH_MAX], real[PATH_MAX];
	struct kv_fentry *e;
	struct kv_fid id;
	int err;

	if (p->n >= KV_FILES_MAX_ENTRIES)
		return fail(b, -EINVAL, "'%s': %s", given, "too many file entries");
	err = absolute(b, given, abs);
	if (err)
		return err;
	if (grow((void **)&p->e, &b->cap_e, p->n, sizeof(*p->e)))
		return -ENOMEM;
	e = &p->e[p->n];
	memset(e, 0, sizeof(*e));
	e->flags = flags;
	e->origin = origin;
	e->given = strdup(given);
	if (realpath(abs, real) && !kv_fid_of(&b->ms, real, &id)) {
		e->path = strdup(real);
		e->present = true;
		e->is_dir = S_ISDIR(id.mode);
		e->dev = id.dev;
		e->ino = id.ino;
	} else {
		e->path = strdup(abs);
		e->note = "not present when the session started: not enforced";
	}
	if (!e->given || !e->path) {
		free(e->given);
		free(e->path);
		return -ENOMEM;
	}
	p->n++;
	return 0;
}

/* Built-in entries may be globs ("/etc/ssh/ssh_host_*_key"). */
static int add_default(struct builder *b, const char *pat, uint32_t flags,
		       enum kv_fentry_origin origin)
{
	char abs[PATH_MAX];
	glob_t g;
	size_t i;
	int err = 0;

	if (pat[0] == '~' && !b->in->home)
		return 0; /* no home: nothing of the agent user's to protect there */
	if (!strpbrk(pat, "*?["))
		return add_path(b, pat, flags, origin);
	if (absolute(b, pat, abs))
		return -EINVAL;
	if (glob(abs, GLOB_NOSORT, NULL, &g))
		return 0; /* no match: nothing exists to protect */
	qsort(g.gl_pathv, g.gl_pathc, sizeof(char *), (int (*)(const void *, const void *))strcmp);
	for (i = 0; i < g.gl_pathc && !err; i++)
		err = add_path(b, g.gl_pathv[i], flags, origin);
	globfree(&g);
	return err;
}

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[]") != NULL;
}

static int add_name(struct builder *b, const char *given, uint32_t kind, const char *name,
		    size_t len, uint32_t flags, enum kv_fentry_origin origin)
{
	struct kv_files_policy *p = b->p;
	struct kv_fname *n;
	size_t i;

	/* the hooks see at most the first and the last KV_LSM_NAME_LEN - 1
	 * bytes of a name: NAME. and .EXT must fit in them */
	if (!len || len > KV_LSM_NAME_LEN - (kind == KV_LSM_N_EXACT ? 1 : 2))
		return fail(b, -EINVAL, "'%s': %s", given,
			    kind == KV_LSM_N_EXACT ? "a name pattern needs 1 to 31 bytes of name"
						   : "NAME.* and *.EXT take 1 to 30 bytes");
	if (grow((void **)&p->names, &b->cap_names, p->n_names, sizeof(*p->names)))
		return -ENOMEM;
	n = &p->names[p->n_names++];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->flags = flags;
	n->origin = origin;
	for (i = 0; i < len; i++) /* the hooks fold ASCII case the same way */
		n->name[i] = name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i];
	return 0;
}

/* NAME | NAME.* | *.EXT */
static int add_pattern(struct builder *b, const char *given, uint32_t flags,
		       enum kv_fentry_origin origin)
{
	size_t len = strlen(given);

	if (!strcmp(given, ".") || !strcmp(given, ".."))
		return fail(b, -EINVAL, "'%s': %s", given, "not a name");
	if (!strncmp(given, "*.", 2)) {
		if (has_glob(given + 2) || strchr(given + 2, '.'))
			return fail(b, -EINVAL, "'%s': %s", given,
				    "*.EXT takes one extension without dots or wildcards");
		return add_name(b, given, KV_LSM_N_SUFFIX, given + 2, len - 2, flags, origin);
	}
	if (len > 2 && !strcmp(given + len - 2, ".*")) {
		size_t i;

		for (i = 0; i < len - 2; i++)
			if (strchr("*?[]", given[i]) || (i > 0 && given[i] == '.'))
				return fail(b, -EINVAL, "'%s': %s", given,
					    "NAME.* takes a name without wildcards or dots (but a leading one)");
		return add_name(b, given, KV_LSM_N_PREFIX, given, len - 2, flags, origin);
	}
	if (has_glob(given))
		return fail(b, -EINVAL, "'%s': %s", given,
			    "supported patterns are NAME, NAME.* and *.EXT (no other wildcards)");
	return add_name(b, given, KV_LSM_N_EXACT, given, len, flags, origin);
}

/* files.deny: a path if it has a '/' or starts with '~', else a name pattern. */
static int add_deny(struct builder *b, const char *given, enum kv_fentry_origin origin)
{
	if (!*given)
		return fail(b, -EINVAL, "'%s': %s", given, "empty entry");
	if (strchr(given, '/') || given[0] == '~')
		return add_path(b, given, KV_LSM_I_SECRET, origin);
	return add_pattern(b, given, KV_LSM_I_SECRET, origin);
}

/* Is path equal to, or beneath, dir? (both absolute and resolved) */
static bool beneath(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (!strcmp(dir, "/"))
		return true;
	return !strncmp(path, dir, n) && (path[n] == 0 || path[n] == '/');
}

/* Every file beneath a secret directory is keyed too: a hard link to it
 * made before the session, elsewhere, then meets the same inode. */
static int walk_inside(struct builder *b, struct kv_fentry *e, int dirfd, int depth)
{
	struct kv_files_policy *p = b->p;
	struct dirent *de;
	struct stat st, dst;
	DIR *d;
	int err = 0, fd;

	if (depth > MAX_WALK_DEPTH || fstat(dirfd, &dst))
		return 0;
	d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return 0;
	}
	while (!err && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) || st.st_dev != dst.st_dev)
			continue; /* a mount beneath: its own filesystem, its own walk */
		if (S_ISLNK(st.st_mode))
			continue; /* what open() reaches through it is judged where it lives */
		if (b->inside >= KV_FILES_MAX_INSIDE) {
			p->inside_truncated = true;
			break;
		}
		err = add_inode(b, e->dev, st.st_ino, KV_LSM_I_SECRET);
		if (err)
			break;
		e->inside++;
		b->inside++;
		if (!S_ISDIR(st.st_mode)) {
			if (st.st_nlink > 1)
				e->linked++;
			continue;
		}
		fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			err = walk_inside(b, e, fd, depth + 1);
	}
	closedir(d);
	return err;
}

/* PT_INTERP of an ELF executable, or "" (static, script, unreadable). */
static void elf_interp(const char *path, char out[PATH_MAX])
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd = open(path, O_RDONLY | O_CLOEXEC), i;

	out[0] = 0;
	if (fd < 0)
		return;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(ph))
		goto out;
	for (i = 0; i < eh.e_phnum && i < 64; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + (off_t)i * sizeof(ph)) != sizeof(ph))
			break;
		if (ph.p_type == PT_INTERP && ph.p_filesz > 1 && ph.p_filesz < PATH_MAX) {
			if (pread(fd, out, ph.p_filesz, ph.p_offset) != (ssize_t)ph.p_filesz)
				out[0] = 0;
			else
				out[ph.p_filesz - 1] = 0;
			break;
		}
	}
out:
	close(fd);
}

static bool known_path(const struct kv_files_policy *p, const char *path, uint32_t flags)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->e[i].present && (p->e[i].flags & flags) && !strcmp(p->e[i].path, path))
			return true;
	return false;
}

static int add_exec(struct builder *b)
{
	const struct kv_files_input *in = b->in;
	size_t i, n0 = b->p->n;
	int err = 0;

	if (in->agent_binary)
		err = add_path(b, in->agent_binary, KV_LSM_I_EXEC, KV_FO_AGENT);
	for (i = 0; !err && i < in->n_exec_allow; i++)
		err = add_path(b, in->exec_allow[i], KV_LSM_I_EXEC, KV_FO_EXEC);
	/* the dynamic loaders of the allowed binaries, for Landlock's sake */
	for (i = n0; !err && i < b->p->n; i++) {
		char interp[PATH_MAX], real[PATH_MAX];

		if (!b->p->e[i].present || b->p->e[i].is_dir)
			continue;
		elf_interp(b->p->e[i].path, interp);
		if (interp[0] == '/' && realpath(interp, real) &&
		    !known_path(b->p, real, KV_LSM_I_EXEC))
			err = add_path(b, interp, KV_LSM_I_EXEC, KV_FO_INTERP);
	}
	return err;
}

/* A secret wins: a write root or exec entry at or beneath one is void. */
static void settle_conflicts(struct kv_files_policy *p)
{
	size_t i, j;

	for (i = 0; i < p->n; i++) {
		struct kv_fentry *e = &p->e[i];

		if (!e->present || (e->flags & KV_LSM_I_SECRET))
			continue;
		for (j = 0; j < p->n; j++) {
			const struct kv_fentry *s = &p->e[j];

			if (!s->present || !(s->flags & KV_LSM_I_SECRET) || !beneath(e->path, s->path))
				continue;
			e->flags = 0;
			e->note = "at or beneath a secret: ignored";
			break;
		}
	}
}

static int cmp_inode(const void *a, const void *b)
{
	const struct kv_finode *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

/* One map entry per inode, flags merged (the workspace may also be where
 * an exec tree starts, a secret's file may be hard-linked twice...). */
static void merge_inodes(struct kv_files_policy *p)
{
	size_t i, n = 0;

	qsort(p->inodes, p->n_inodes, sizeof(*p->inodes), cmp_inode);
	for (i = 0; i < p->n_inodes; i++) {
		if (n && !cmp_inode(&p->inodes[n - 1], &p->inodes[i]))
			p->inodes[n - 1].flags |= p->inodes[i].flags;
		else
			p->inodes[n++] = p->inodes[i];
	}
	p->n_inodes = n;
}

static int build(struct builder *b)
{
	const struct kv_files_input *in = b->in;
	struct kv_files_policy *p = b->p;
	const char *const *t;
	size_t i;
	int err = 0, fd;

	/* secrets */
	for (t = kv_files_default_secrets; !in->no_defaults && *t && !err; t++)
		err = add_default(b, *t, KV_LSM_I_SECRET, KV_FO_DEFAULT);
	for (t = kv_files_default_names; !in->no_defaults && *t && !err; t++)
		err = add_pattern(b, *t, KV_LSM_I_SECRET, KV_FO_DEFAULT);
	for (t = kv_files_default_public; !in->no_defaults && *t && !err; t++)
		err = add_pattern(b, *t, KV_LSM_I_PUBLIC, KV_FO_DEFAULT);
	for (i = 0; i < in->n_deny && !err; i++)
		err = add_deny(b, in->deny[i], KV_FO_DENY);
	/* write roots and devices */
	if (!err)
		err = add_path(b, ".", KV_LSM_I_WRITE, KV_FO_WORKSPACE);
	if (!err && in->tmp_dir)
		err = add_path(b, in->tmp_dir, KV_LSM_I_WRITE, KV_FO_TMP);
	for (t = kv_files_default_write; *t && !err; t++)
		err = add_path(b, *t, KV_LSM_I_WRITE, KV_FO_SYSTEM);
	for (i = 0; i < in->n_write && !err; i++) {
		if (!*in->write[i])
			return fail(b, -EINVAL, "'%s': %s", in->write[i], "empty entry");
		err = add_path(b, in->write[i], KV_LSM_I_WRITE, KV_FO_WRITE);
	}
	for (t = kv_files_default_devices; *t && !err; t++)
		err = add_path(b, *t, KV_LSM_I_DEVICE, KV_FO_SYSTEM);
	if (!err && (in->exec_allowlist || in->strict_exec))
		err = add_exec(b);
	if (err)
		return err;

	settle_conflicts(p);
	for (i = 0; i < p->n && !err; i++) {
		struct kv_fentry *e = &p->e[i];

		/* the loader is Landlock's need only: bprm_check never judges the
		 * PT_INTERP open, and listing it would let "ld.so PROGRAM" run a
		 * program off the list */
		if (!e->present || !e->flags || e->origin == KV_FO_INTERP)
			continue;
		err = add_inode(b, e->dev, e->ino, e->flags);
		if (err || !(e->flags & KV_LSM_I_SECRET) || !e->is_dir)
			continue;
		fd = open(e->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			err = walk_inside(b, e, fd, 0);
	}
	if (err)
		return err;
	merge_inodes(p);

	p->readonly = in->trust_mask == 0;
	p->strict_exec = in->strict_exec;
	p->allow_abstract_unix = in->allow_abstract_unix;
	p->conf_flags = KV_LSM_C_WRITE_ROOTS;
	if (p->readonly)
		p->conf_flags |= KV_LSM_C_NO_WRITE;
	if (in->exec_allowlist)
		p->conf_flags |= KV_LSM_C_EXEC_ALLOW;
	if (p->n_names)
		p->conf_flags |= KV_LSM_C_NAMES;
	if (in->fileless_exec)
		p->conf_flags |= KV_LSM_C_FILELESS_EXEC;
	return 0;
}

int kv_files_policy_build(const struct kv_files_input *in, struct kv_files_policy **out,
			  char *err, size_t errlen)
{
	struct builder b = { .in = in, .err = err, .errlen = errlen };
	char cwd[PATH_MAX], real[PATH_MAX];
	const char *ws = in->workspace;
	int e;

	*out = NULL;
	if (!ws) {
		if (!getcwd(cwd, sizeof(cwd))) {
			snprintf(err, errlen, "cannot read the current directory: %s", strerror(errno));
			return -errno;
		}
		ws = cwd;
	}
	if (!realpath(ws, real)) {
		e = -errno;
		snprintf(err, errlen, "workspace '%s': %s", ws, strerror(-e));
		return e == -ENOMEM ? e : -EINVAL;
	}
	b.p = calloc(1, sizeof(*b.p));
	if (!b.p || !(b.p->workspace = strdup(real))) {
		free(b.p);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	e = kv_mounts_load(&b.ms);
	e = e ?: build(&b);
	kv_mounts_free(&b.ms);
	if (e) {
		if (e == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		kv_files_policy_free(b.p);
		return e;
	}
	*out = b.p;
	return 0;
}

void kv_files_policy_free(struct kv_files_policy *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++) {
		free(p->e[i].given);
		free(p->e[i].path);
	}
	free(p->e);
	free(p->names);
	free(p->inodes);
	free(p->workspace);
	free(p);
}
