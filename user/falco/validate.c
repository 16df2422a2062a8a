// SPDX-License-Identifier: BSD-2-Clause
/* The check phase of the validator: with every file loaded (rulefile.c), parse
 * each macro's and rule's condition, resolve macro and list references across
 * all files, find macro cycles, and check every field of conditions, outputs and
 * exceptions against the field list. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "falco/condition.h"
#include "falco/validate_int.h"

/* ---- diagnostics and positions ---- */

void vdiag(struct kv_falco_validator *v, const struct vpos *at, const char *kind, const char *name,
	   bool warning, const char *fmt, ...)
{
	struct kv_falco_diag *d;
	char msg[1024];
	va_list ap;

	d = realloc(v->diags, (v->ndiags + 1) * sizeof(*d));
	if (!d)
		return;
	v->diags = d;
	d = &v->diags[v->ndiags];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->file = strdup(at && at->f ? at->f->path : "");
	d->line = at ? at->line : 0;
	d->col = at ? at->col : 0;
	d->kind = kind; /* static strings */
	d->name = name ? strdup(name) : NULL;
	d->msg = strdup(msg);
	d->warning = warning;
	v->ndiags++;
	if (!warning)
		v->nerrors++;
}

static size_t utf8_advance(const char *s, size_t n, size_t chars)
{
	size_t i = 0;

	while (chars && i < n && s[i] != '\n') {
		i++;
		while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
		chars--;
	}
	return i;
}

static void pos_from_byte(const struct vfile *f, size_t off, struct vpos *out)
{
	size_t lo = 0, hi = f->nlines, i, col = 1;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (f->line_start[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	for (i = f->line_start[lo]; i < off && i < f->len; i++)
		if (((unsigned char)f->buf[i] & 0xC0) != 0x80)
			col++;
	out->f = f;
	out->line = (unsigned)lo + 1;
	out->col = (unsigned)col;
}

static size_t mark_byte(const struct vfile *f, yaml_mark_t m)
{
	size_t ls;

	if (!f->line_start || m.line >= f->nlines)
		return f->len;
	ls = f->line_start[m.line];
	return ls + utf8_advance(f->buf + ls, f->len - ls, m.column);
}

void vpos_from_mark(const struct vfile *f, yaml_mark_t m, struct vpos *out)
{
	out->f = f;
	out->line = (unsigned)m.line + 1;
	out->col = (unsigned)m.column + 1;
}

/* Maps byte k of the parsed scalar back to the file: walk the raw text along the
 * value, letting a folded line break (raw "\n" + indentation) stand for one
 * space and skipping quoting and block indicators. */
void vseg_pos(const struct vseg *s, size_t k, struct vpos *out)
{
	const struct vfile *f = s->f;
	const char *raw = f->buf;
	size_t r = mark_byte(f, s->start), i;

	if (!f->line_start) {
		vpos_from_mark(f, s->start, out);
		return;
	}
	if (s->style == YAML_LITERAL_SCALAR_STYLE || s->style == YAML_FOLDED_SCALAR_STYLE) {
		while (r < f->len && raw[r] != '\n')
			r++;
	} else if (s->style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
		   s->style == YAML_DOUBLE_QUOTED_SCALAR_STYLE) {
		r++;
	}
	for (i = 0; i <= k && i < s->len && r < f->len; i++) {
		char c = s->text[i];

		while (r < f->len && raw[r] != c && !(c == ' ' && raw[r] == '\n'))
			r++;
		if (i == k || r >= f->len)
			break;
		if (raw[r] == '\n' && c != '\n') { /* a folded line break */
			r++;
			while (r < f->len && (raw[r] == ' ' || raw[r] == '\t'))
				r++;
			continue;
		}
		r++;
	}
	pos_from_byte(f, r, out);
}

void vtext_pos(const struct vtext *t, size_t off, struct vpos *out)
{
	size_t i;

	for (i = 0; i + 1 < t->n && off >= t->v[i + 1].at; i++)
		;
	if (!t->n) {
		memset(out, 0, sizeof(*out));
		return;
	}
	if (off - t->v[i].at >= t->v[i].len && t->v[i].len) {
		/* the end of a segment: just after its last visible character */
		size_t k = t->v[i].len - 1;

		while (k && (t->v[i].text[k] == ' ' || t->v[i].text[k] == '\n' ||
			     t->v[i].text[k] == '\t'))
			k--;
		vseg_pos(&t->v[i], k, out);
		out->col++;
	} else {
		vseg_pos(&t->v[i], off - t->v[i].at, out);
	}
}

int vtext_join(struct vtext *t)
{
	size_t i, len = 0;

	free(t->joined);
	for (i = 0; i < t->n; i++)
		len += t->v[i].len + 1;
	t->joined = malloc(len + 1);
	if (!t->joined)
		return -ENOMEM;
	len = 0;
	for (i = 0; i < t->n; i++) {
		if (i)
			t->joined[len++] = ' ';
		t->v[i].at = len;
		memcpy(t->joined + len, t->v[i].text, t->v[i].len);
		len += t->v[i].len;
	}
	t->joined[len] = '\0';
	t->joined_len = len;
	return 0;
}

void vtext_free(struct vtext *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i].text);
	free(t->v);
	free(t->joined);
	memset(t, 0, sizeof(*t));
}

/* ---- lookups ---- */

struct vlist *vfind_list(struct kv_falco_validator *v, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < v->nlists; i++)
		if (!strncmp(v->lists[i].name, name, len) && !v->lists[i].name[len])
			return &v->lists[i];
	return NULL;
}

struct vmacro *vfind_macro(struct kv_falco_validator *v, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < v->nmacros; i++)
		if (!strncmp(v->macros[i].name, name, len) && !v->macros[i].name[len])
			return &v->macros[i];
	return NULL;
}

struct vrule *vfind_rule(struct kv_falco_validator *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->nrules; i++)
		if (!strcmp(v->rules[i].name, name))
			return &v->rules[i];
	return NULL;
}

/* ---- lifecycle ---- */

int kv_falco_validator_new(const char *datadir, struct kv_falco_validator **out, char *err,
			   size_t errlen)
{
	struct kv_falco_validator *v = calloc(1, sizeof(*v));
	int ret;

	if (!v)
		return -ENOMEM;
	v->datadir = strdup(datadir);
	if (!v->datadir) {
		free(v);
		return -ENOMEM;
	}
	ret = kv_falco_fields_load(datadir, &v->fields, err, errlen);
	if (ret) {
		free(v->datadir);
		free(v);
		return ret;
	}
	*out = v;
	return 0;
}

void kv_falco_validator_free(struct kv_falco_validator *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->nfiles; i++) {
		free(v->files[i]->path);
		free(v->files[i]->buf);
		free(v->files[i]->line_start);
		free(v->files[i]);
	}
	for (i = 0; i < v->nlists; i++)
		free(v->lists[i].name);
	for (i = 0; i < v->nmacros; i++) {
		size_t k;

		free(v->macros[i].name);
		vtext_free(&v->macros[i].cond);
		for (k = 0; k < v->macros[i].ndeps; k++)
			free(v->macros[i].deps[k]);
		free(v->macros[i].deps);
	}
	for (i = 0; i < v->nrules; i++) {
		struct vrule *r = &v->rules[i];

		free(r->name);
		vtext_free(&r->cond);
		vtext_free(&r->output);
		free(r->source);
		while (r->nexcf)
			free(r->excf[--r->nexcf].field);
		free(r->excf);
	}
	for (i = 0; i < v->ndiags; i++) {
		free((char *)v->diags[i].file);
		free((char *)v->diags[i].name);
		free((char *)v->diags[i].msg);
	}
	free(v->files);
	free(v->lists);
	free(v->macros);
	free(v->rules);
	free(v->diags);
	kv_falco_fields_free(v->fields);
	free(v->datadir);
	free(v);
}

size_t kv_falco_validator_ndiags(const struct kv_falco_validator *v)
{
	return v->ndiags;
}

const struct kv_falco_diag *kv_falco_validator_diag(const struct kv_falco_validator *v, size_t i)
{
	return i < v->ndiags ? &v->diags[i] : NULL;
}

size_t kv_falco_validator_nerrors(const struct kv_falco_validator *v)
{
	return v->nerrors;
}

void kv_falco_validator_stats(const struct kv_falco_validator *v, struct kv_falco_stats *st)
{
	st->files = v->nfiles;
	st->rules = v->nrules;
	st->macros = v->nmacros;
	st->lists = v->nlists;
}

void kv_falco_diag_format(const struct kv_falco_diag *d, char *buf, size_t len)
{
	char where[64] = "";

	if (d->line)
		snprintf(where, sizeof(where), ":%u:%u", d->line, d->col);
	if (d->kind && d->name)
		snprintf(buf, len, "%s%s: %s: %s '%s': %s", d->file, where,
			 d->warning ? "warning" : "error", d->kind, d->name, d->msg);
	else
		snprintf(buf, len, "%s%s: %s: %s", d->file, where, d->warning ? "warning" : "error",
			 d->msg);
}

/* ---- checks ---- */

struct check {
	struct kv_falco_validator *v;
	const char *kind, *name;
	const struct vtext *text;
	bool check_fields;
	struct vmacro *self; /* when checking a macro: collects its dependencies */
};

static void cdiag(struct check *c, size_t off, const char *msg)
{
	struct vpos at;

	vtext_pos(c->text, off, &at);
	vdiag(c->v, &at, c->kind, c->name, false, "%s", msg);
}

static int add_dep(struct vmacro *m, const char *name, size_t len)
{
	char **d = realloc(m->deps, (m->ndeps + 1) * sizeof(*d));

	if (!d)
		return -ENOMEM;
	m->deps = d;
	m->deps[m->ndeps] = strndup(name, len);
	if (!m->deps[m->ndeps])
		return -ENOMEM;
	m->ndeps++;
	return 0;
}

static int on_ref(const struct kv_falco_ref *r, void *ctx)
{
	struct check *c = ctx;
	char why[512];
	struct vlist *l;

	switch (r->kind) {
	case KV_FALCO_REF_FIELD:
		if (c->check_fields &&
		    kv_falco_field_check(c->v->fields, r->name, r->name_len, r->has_arg, r->arg,
					 r->arg_len, KV_FALCO_USE_FILTER, why, sizeof(why)))
			cdiag(c, r->off, why);
		break;
	case KV_FALCO_REF_MACRO:
		if (vfind_macro(c->v, r->name, r->name_len)) {
			if (c->self)
				add_dep(c->self, r->name, r->name_len);
			break;
		}
		if (vfind_list(c->v, r->name, r->name_len))
			snprintf(why, sizeof(why),
				 "'%.*s' is a list, not a macro: use it after "
				 "'in', 'intersects' or 'pmatch'",
				 (int)r->name_len, r->name);
		else
			snprintf(why, sizeof(why), "undefined macro '%.*s'", (int)r->name_len,
				 r->name);
		cdiag(c, r->off, why);
		break;
	case KV_FALCO_REF_LIST:
		l = vfind_list(c->v, r->name, r->name_len);
		if (l) {
			l->used = true;
		} else {
			snprintf(why, sizeof(why), "undefined list '%.*s'", (int)r->name_len,
				 r->name);
			cdiag(c, r->off, why);
		}
		break;
	case KV_FALCO_REF_LIST_ITEM:
		l = vfind_list(c->v, r->name, r->name_len);
		if (l)
			l->used = true;
		break;
	}
	return 0;
}

static bool parse_text(struct check *c)
{
	struct kv_falco_parse_error perr;
	const struct vtext *t = c->text;

	if (kv_falco_condition_parse(t->joined, t->joined_len, on_ref, c, &perr) == -EINVAL) {
		cdiag(c, perr.off, perr.msg);
		return false;
	}
	return true;
}

/* %field, %field[arg] and %transformer(field) tokens of an output format. */
static void check_output(struct check *c)
{
	const struct vtext *t = c->text;
	const char *s = t->joined;
	size_t i, n = t->joined_len;
	char why[512];

	for (i = 0; i < n; i++) {
		size_t start, len, name_at, arg_at = 0, arg_len = 0;
		bool has_arg = false, wrapped = false;

		if (s[i] != '%')
			continue;
		start = i++;
		if (i < n && s[i] == '%')
			continue;	    /* "%%" is a literal percent sign */
		if (i < n && s[i] == '(') { /* %(field) */
			wrapped = true;
			i++;
		}
		name_at = i;
		len = kv_falco_field_prefix(c->v->fields, s + i, n - i);
		if (!len) {
			size_t run = 0;

			while (i + run < n && (s[i + run] == '_' || s[i + run] == '.' ||
					       (s[i + run] >= 'a' && s[i + run] <= 'z') ||
					       (s[i + run] >= 'A' && s[i + run] <= 'Z') ||
					       (s[i + run] >= '0' && s[i + run] <= '9')))
				run++;
			if (!run) {
				cdiag(c, start,
				      "'%' in an output must be followed by a field name");
			} else if (c->check_fields) {
				kv_falco_field_check(c->v->fields, s + i, run, false, NULL, 0,
						     KV_FALCO_USE_OUTPUT, why, sizeof(why));
				cdiag(c, i, why);
			}
			i += run;
			continue;
		}
		i += len;
		if (i < n && s[i] == '[') {
			arg_at = i + 1;
			while (i < n && s[i] != ']')
				i++;
			if (i == n) {
				cdiag(c, arg_at - 1, "output field argument without a closing ']'");
				return;
			}
			arg_len = i - arg_at;
			has_arg = true;
			i++;
		}
		if (wrapped) {
			if (i >= n || s[i] != ')') {
				cdiag(c, start, "output field '%(' without a closing ')'");
				return;
			}
			i++;
		}
		if (c->check_fields &&
		    kv_falco_field_check(c->v->fields, s + name_at, len, has_arg, s + arg_at,
					 arg_len, KV_FALCO_USE_OUTPUT, why, sizeof(why)))
			cdiag(c, name_at, why);
		i--; /* the loop's i++ */
	}
}

/* An exception field is written like a condition field: name or name[arg]. */
static void check_exception_field(struct check *c, const struct vexcfield *e)
{
	const char *s = e->field, *br = strchr(s, '[');
	size_t len = br ? (size_t)(br - s) : strlen(s);
	char why[512];

	if (br && s[strlen(s) - 1] != ']') {
		vdiag(c->v, &e->at, c->kind, c->name, false,
		      "exception field '%s': argument without a closing ']'", s);
		return;
	}
	if (kv_falco_field_check(c->v->fields, s, len, br != NULL, br ? br + 1 : NULL,
				 br ? strlen(br + 1) - 1 : 0, KV_FALCO_USE_FILTER, why,
				 sizeof(why)))
		vdiag(c->v, &e->at, c->kind, c->name, false, "exception: %s", why);
}

static void find_cycles(struct kv_falco_validator *v, struct vmacro *m, struct vmacro **stack,
			size_t depth)
{
	size_t i;

	if (m->state == 2)
		return;
	if (m->state == 1) {
		char path[1024] = "";
		size_t k, start = 0;

		for (k = 0; k < depth; k++)
			if (stack[k] == m)
				start = k;
		for (k = start; k < depth; k++) {
			strncat(path, stack[k]->name, sizeof(path) - strlen(path) - 1);
			strncat(path, " -> ", sizeof(path) - strlen(path) - 1);
		}
		strncat(path, m->name, sizeof(path) - strlen(path) - 1);
		vdiag(v, &m->at, "macro", m->name, false, "macro references itself: %s", path);
		m->broken = true;
		return;
	}
	if (depth >= v->nmacros)
		return;
	m->state = 1;
	stack[depth] = m;
	for (i = 0; i < m->ndeps; i++) {
		struct vmacro *d = vfind_macro(v, m->deps[i], strlen(m->deps[i]));

		if (d)
			find_cycles(v, d, stack, depth + 1);
	}
	m->state = 2;
}

static const struct kv_falco_validator *sort_v;

static size_t file_order(const char *path)
{
	size_t i;

	for (i = 0; i < sort_v->nfiles; i++)
		if (!strcmp(sort_v->files[i]->path, path))
			return i;
	return 0;
}

static int cmp_diag(const void *a, const void *b)
{
	const struct kv_falco_diag *x = a, *y = b;
	size_t fx = file_order(x->file), fy = file_order(y->file);

	if (fx != fy)
		return fx < fy ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return 0;
}

/* Insertion sort: stable, so equal positions keep the order they were found in. */
static void sort_diags(struct kv_falco_validator *v)
{
	size_t i, j;

	sort_v = v;
	for (i = 1; i < v->ndiags; i++) {
		struct kv_falco_diag d = v->diags[i];

		for (j = i; j > 0 && cmp_diag(&v->diags[j - 1], &d) > 0; j--)
			v->diags[j] = v->diags[j - 1];
		v->diags[j] = d;
	}
	sort_v = NULL;
}

size_t kv_falco_validator_check(struct kv_falco_validator *v)
{
	struct vmacro **stack;
	size_t i;

	for (i = 0; i < v->nmacros; i++) {
		struct vmacro *m = &v->macros[i];
		struct check c = {.v = v,
				  .kind = "macro",
				  .name = m->name,
				  .text = &m->cond,
				  .check_fields = true,
				  .self = m};

		if (vtext_join(&m->cond))
			continue;
		m->broken = !parse_text(&c);
	}
	stack = calloc(v->nmacros + 1, sizeof(*stack));
	for (i = 0; stack && i < v->nmacros; i++)
		find_cycles(v, &v->macros[i], stack, 0);
	free(stack);

	for (i = 0; i < v->nrules; i++) {
		struct vrule *r = &v->rules[i];
		bool syscall = !r->source || !strcmp(r->source, "syscall");
		struct check c = {.v = v, .kind = "rule", .name = r->name, .check_fields = syscall};
		size_t k;

		if (!syscall)
			vdiag(v, &r->at, "rule", r->name, true,
			      "source '%s': fields are checked for the syscall source only",
			      r->source);
		if (vtext_join(&r->cond) || vtext_join(&r->output))
			continue;
		c.text = &r->cond;
		parse_text(&c);
		c.text = &r->output;
		check_output(&c);
		for (k = 0; syscall && k < r->nexcf; k++)
			check_exception_field(&c, &r->excf[k]);
	}
	/* report in file order, then line and column */
	sort_diags(v);
	return v->nerrors;
}
