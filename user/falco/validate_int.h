/* SPDX-License-Identifier: BSD-2-Clause */
/* Validator internals shared by rulefile.c (YAML -> items) and validate.c
 * (conditions, outputs, fields). Not a public API. */
#ifndef KV_FALCO_VALIDATE_INT_H
#define KV_FALCO_VALIDATE_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>
#include "falco/fields.h"
#include "falco/validate.h"

struct vfile {
	char *path;
	char *buf; /* NUL-terminated copy of the file */
	size_t len;
	size_t *line_start; /* byte offset of each line */
	size_t nlines;
};

struct vpos {
	const struct vfile *f;
	unsigned line, col; /* 1-based */
};

/* One YAML scalar that contributes to a condition or an output (append adds more). */
struct vseg {
	const struct vfile *f;
	char *text;
	size_t len;
	yaml_mark_t start;
	yaml_scalar_style_t style;
	size_t at; /* offset in the joined text */
};

struct vtext {
	struct vseg *v;
	size_t n;
	char *joined; /* the segments joined with ' ', built by vtext_join() */
	size_t joined_len;
};

struct vlist {
	char *name;
	struct vpos at;
	size_t nitems;
	bool used;
};

struct vmacro {
	char *name;
	struct vpos at;
	struct vtext cond;
	char **deps; /* macros this one references */
	size_t ndeps;
	int state; /* cycle search: 0 new, 1 on stack, 2 done */
	bool broken;
};

struct vexcfield {
	char *field;
	struct vpos at;
};

struct vrule {
	char *name;
	struct vpos at;
	struct vtext cond, output;
	char *source;
	bool enabled;
	struct vexcfield *excf;
	size_t nexcf;
};

struct kv_falco_validator {
	char *datadir;
	struct kv_falco_fields *fields;
	struct vfile **files;
	size_t nfiles;
	struct vlist *lists;
	size_t nlists;
	struct vmacro *macros;
	size_t nmacros;
	struct vrule *rules;
	size_t nrules;
	struct kv_falco_diag *diags;
	size_t ndiags, nerrors;
	char **unknown_plugins;
	size_t nunknown_plugins;
};

__attribute__((format(printf, 6, 7))) void vdiag(struct kv_falco_validator *v,
						 const struct vpos *at, const char *kind,
						 const char *name, bool warning, const char *fmt,
						 ...);
void vpos_from_mark(const struct vfile *f, yaml_mark_t m, struct vpos *out);
/* Position of byte k of a segment's (parsed) text in its file. */
void vseg_pos(const struct vseg *s, size_t k, struct vpos *out);
/* Position of byte off of a joined text. */
void vtext_pos(const struct vtext *t, size_t off, struct vpos *out);
int vtext_join(struct vtext *t);
void vtext_free(struct vtext *t);

struct vlist *vfind_list(struct kv_falco_validator *v, const char *name, size_t len);
struct vmacro *vfind_macro(struct kv_falco_validator *v, const char *name, size_t len);
struct vrule *vfind_rule(struct kv_falco_validator *v, const char *name);
#endif
