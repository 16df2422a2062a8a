/* SPDX-License-Identifier: BSD-2-Clause */
/* The file tree both file-rule suites attack (BPF-LSM in the VM, Landlock
 * on any kernel), and the probes an agent runs against it, as data:
 *
 *   T/home/.ssh/{id_rsa,config}   secrets (the agent's ~/.ssh)
 *   T/home/notes.txt              readable
 *   T/ws/src/main.c, T/ws/.env, T/ws/.env.local, T/ws/server.pem,
 *   T/ws/cacert.pem               the workspace (write root)
 *   T/out/{file,old}.txt          outside every write root
 *   T/links/sym -> id_rsa, T/links/hard = id_rsa (hard link, made before)
 *   T/tmp/                        the session's own tmp */
#ifndef TEST_LSM_TREE_H
#define TEST_LSM_TREE_H
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include "lsm/lsm.h"

#define LT_UNCHECKED (-1000) /* this mechanism's answer is not asserted */

enum lt_op {
	LT_READ,     /* open O_RDONLY + read */
	LT_LIST,     /* opendir + readdir */
	LT_WRITE,    /* open O_WRONLY an existing file */
	LT_CREATE,   /* open O_CREAT|O_WRONLY a new file */
	LT_UNLINK,
	LT_RENAME,   /* a -> b */
	LT_LINK,     /* a -> b */
	LT_SYMLINK,  /* b -> a */
	LT_TRUNCATE, /* truncate(2) */
	LT_CHMOD,
	LT_MKDIR,
};

struct lt_probe {
	const char *name;
	enum lt_op op;
	const char *a, *b;  /* relative to T, or absolute */
	int lsm_errno;      /* expected under BPF-LSM: 0 or an errno */
	int ll_errno;       /* expected under Landlock (LT_UNCHECKED: see limits) */
	uint32_t hook;      /* BPF-LSM event hook of a denial */
	const char *ev_tail; /* the denial event's path ends with this */
};

struct lt_tree {
	char root[PATH_MAX];
	char home[PATH_MAX], ws[PATH_MAX], tmp[PATH_MAX];
};

/* Builds the tree under dir. 0 or -errno. */
int lt_tree_make(struct lt_tree *t, const char *dir);
/* The session inputs for the tree (defaults on, home = T/home). */
void lt_tree_input(const struct lt_tree *t, struct kv_files_input *in);
/* Runs the probes in this process; res[i] = 0 or the errno. */
void lt_run_probes(const struct lt_tree *t, const struct lt_probe *p, size_t n, int *res);
/* The shared results page for a forked agent. */
int *lt_results(size_t n);

extern const struct lt_probe lt_file_probes[];
extern const size_t lt_n_file_probes;
#endif
