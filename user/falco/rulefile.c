// SPDX-License-Identifier: BSD-2-Clause
/* Rule files -> validator items: the YAML structure Falco's rule loader expects
 * (a sequence of list/macro/rule/required_* items), with append: and override:
 * applied in load order the way Falco applies them. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>
#include "falco/condition.h"
#include "falco/validate_int.h"

#define MAX_KEYS 24

struct item {
	struct kv_falco_validator *v;
	const struct vfile *f;
	yaml_document_t *doc;
	yaml_node_t *node;
	const char *kind; /* "rule", "macro", "list" */
	const char *name;
	struct {
		const char *k;
		yaml_node_t *key, *val;
	} kv[MAX_KEYS];
	size_t nkv;
};

static const char *const priorities[] = {"emergency", "alert",	"critical",	 "error",
					 "warning",   "notice", "informational", "info",
					 "debug",     NULL};

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static void at_node(const struct item *it, const yaml_node_t *n, struct vpos *p)
{
	vpos_from_mark(it->f, n->start_mark, p);
}

__attribute__((format(printf, 3, 4))) static void ierr(struct item *it, const yaml_node_t *n,
						       const char *fmt, ...)
{
	char msg[512];
	struct vpos p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	at_node(it, n ? n : it->node, &p);
	vdiag(it->v, &p, it->kind, it->name, false, "%s", msg);
}

static yaml_node_t *get(const struct item *it, const char *key)
{
	size_t i;

	for (i = 0; i < it->nkv; i++)
		if (!strcmp(it->kv[i].k, key))
			return it->kv[i].val;
	return NULL;
}

static yaml_node_t *get_key(const struct item *it, const char *key)
{
	size_t i;

	for (i = 0; i < it->nkv; i++)
		if (!strcmp(it->kv[i].k, key))
			return it->kv[i].key;
	return NULL;
}

/* YAML 1.1 booleans, as yaml-cpp (Falco's parser) reads them. -1: not a bool. */
static int yaml_bool(const yaml_node_t *n)
{
	static const char *const t[] = {"true", "yes", "on", "y"};
	static const char *const f[] = {"false", "no", "off", "n"};
	const char *s = scalar(n);
	size_t i;

	if (!s)
		return -1;
	for (i = 0; i < 4; i++) {
		if (!strcasecmp(s, t[i]))
			return 1;
		if (!strcasecmp(s, f[i]))
			return 0;
	}
	return -1;
}

static bool get_bool(struct item *it, const char *key, bool dflt)
{
	yaml_node_t *n = get(it, key);
	int b;

	if (!n)
		return dflt;
	b = yaml_bool(n);
	if (b < 0) {
		ierr(it, n, "'%s' must be true or false", key);
		return dflt;
	}
	return b;
}

static bool nonempty_scalar(struct item *it, const char *key, bool required)
{
	yaml_node_t *n = get(it, key);
	const char *s = scalar(n);

	if (!n) {
		if (required)
			ierr(it, NULL, "missing required key '%s'", key);
		return false;
	}
	if (!s || !*s) {
		ierr(it, n, "'%s' must be a non-empty string", key);
		return false;
	}
	return true;
}

static bool valid_priority(const char *s)
{
	size_t i;

	for (i = 0; priorities[i]; i++)
		if (!strcasecmp(s, priorities[i]))
			return true;
	return false;
}

static int seg_add(struct vtext *t, const struct vfile *f, const yaml_node_t *n)
{
	struct vseg *v = realloc(t->v, (t->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	t->v = v;
	v = &t->v[t->n];
	memset(v, 0, sizeof(*v));
	v->f = f;
	v->len = n->data.scalar.length;
	v->text = malloc(v->len + 1);
	if (!v->text)
		return -ENOMEM;
	memcpy(v->text, n->data.scalar.value, v->len);
	v->text[v->len] = '\0';
	v->start = n->start_mark;
	v->style = n->data.scalar.style;
	t->n++;
	return 0;
}

static void text_replace(struct vtext *t, const struct vfile *f, const yaml_node_t *n)
{
	vtext_free(t);
	seg_add(t, f, n);
}

/* Collects the item's keys, refusing non-scalar and duplicate keys and keys not
 * in allowed. */
static bool collect_keys(struct item *it, const char *const *allowed)
{
	yaml_node_pair_t *pr;
	bool ok = true;

	it->nkv = 0;
	for (pr = it->node->data.mapping.pairs.start; pr < it->node->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(it->doc, pr->key);
		yaml_node_t *val = yaml_document_get_node(it->doc, pr->value);
		const char *ks = scalar(k);
		size_t i;

		if (!ks) {
			ierr(it, k, "keys must be strings");
			ok = false;
			continue;
		}
		for (i = 0; allowed[i]; i++)
			if (!strcmp(allowed[i], ks))
				break;
		if (!allowed[i]) {
			ierr(it, k, "unknown key '%s' in %s", ks, it->kind ? it->kind : "item");
			ok = false;
			continue;
		}
		if (get(it, ks)) {
			ierr(it, k, "duplicate key '%s'", ks);
			ok = false;
			continue;
		}
		if (it->nkv == MAX_KEYS)
			continue;
		it->kv[it->nkv].k = ks;
		it->kv[it->nkv].key = k;
		it->kv[it->nkv].val = val;
		it->nkv++;
	}
	return ok;
}

struct override_rule {
	const char *key;
	bool can_append, can_replace;
};

/* Falco's override: semantics: which keys may be appended to or replaced. */
static const struct override_rule list_ovr[] = {{"items", true, true}, {0}};
static const struct override_rule macro_ovr[] = {{"condition", true, true}, {0}};
static const struct override_rule rule_ovr[] = {
    {"condition", true, true},
    {"output", true, true},
    {"desc", true, true},
    {"tags", true, true},
    {"exceptions", true, true},
    {"priority", false, true},
    {"enabled", false, true},
    {"warn_evttypes", false, true},
    {"capture", false, true},
    {"capture_duration", false, true},
    {"skip-if-unknown-filter", false, true},
    {0},
};

/* Checks override:; fills mode[i] ('a'ppend / 'r'eplace) per item key. */
static bool check_override(struct item *it, const struct override_rule *rules, char *mode)
{
	yaml_node_t *ov = get(it, "override");
	yaml_node_pair_t *pr;
	bool ok = true;
	size_t i;

	if (ov->type != YAML_MAPPING_NODE) {
		ierr(it, ov, "'override' must be a mapping of key: append|replace");
		return false;
	}
	for (pr = ov->data.mapping.pairs.start; pr < ov->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(it->doc, pr->key);
		yaml_node_t *val = yaml_document_get_node(it->doc, pr->value);
		const char *ks = scalar(k), *vs = scalar(val);
		const struct override_rule *r;

		for (r = rules; ks && r->key; r++)
			if (!strcmp(r->key, ks))
				break;
		if (!ks || !r->key) {
			ierr(it, k, "key '%s' cannot be overridden in a %s", ks ? ks : "?",
			     it->kind);
			ok = false;
			continue;
		}
		if (!vs || (strcmp(vs, "append") && strcmp(vs, "replace"))) {
			ierr(it, val, "override of '%s' must be 'append' or 'replace'", ks);
			ok = false;
			continue;
		}
		if ((!strcmp(vs, "append") && !r->can_append) ||
		    (!strcmp(vs, "replace") && !r->can_replace)) {
			ierr(it, val, "key '%s' cannot be overridden with '%s'", ks, vs);
			ok = false;
			continue;
		}
		if (!get(it, ks)) {
			ierr(it, k, "override of '%s' but the item has no '%s'", ks, ks);
			ok = false;
			continue;
		}
		for (i = 0; i < it->nkv; i++)
			if (!strcmp(it->kv[i].k, ks))
				mode[i] = vs[0];
	}
	for (i = 0; i < it->nkv; i++) {
		const char *k = it->kv[i].k;

		if (!strcmp(k, it->kind) || !strcmp(k, "override") || mode[i])
			continue;
		ierr(it, it->kv[i].key, "key '%s' must be listed under 'override'", k);
		ok = false;
	}
	return ok;
}

static char mode_of(const struct item *it, const char *mode, const char *key)
{
	size_t i;

	for (i = 0; i < it->nkv; i++)
		if (!strcmp(it->kv[i].k, key))
			return mode[i];
	return 0;
}

static bool check_tags(struct item *it)
{
	yaml_node_t *n = get(it, "tags");
	yaml_node_item_t *e;

	if (!n)
		return true;
	if (n->type != YAML_SEQUENCE_NODE) {
		ierr(it, n, "'tags' must be a list of strings");
		return false;
	}
	for (e = n->data.sequence.items.start; e < n->data.sequence.items.top; e++)
		if (!scalar(yaml_document_get_node(it->doc, *e))) {
			ierr(it, yaml_document_get_node(it->doc, *e), "tags must be strings");
			return false;
		}
	return true;
}

static bool check_condition(struct item *it, const char *key)
{
	yaml_node_t *n = get(it, key);

	if (n && !scalar(n)) {
		ierr(it, n, "'%s' must be a string", key);
		return false;
	}
	return true;
}

static int add_excfield(struct item *it, struct vrule *r, yaml_node_t *n)
{
	struct vexcfield *e = realloc(r->excf, (r->nexcf + 1) * sizeof(*e));

	if (!e)
		return -ENOMEM;
	r->excf = e;
	e = &r->excf[r->nexcf];
	e->field = strdup(scalar(n));
	if (!e->field)
		return -ENOMEM;
	at_node(it, n, &e->at);
	r->nexcf++;
	return 0;
}

static const char *const exc_keys[] = {"name", "fields", "comps", "values", NULL};

/* exceptions: [{name, fields, comps, values}]: structure here, fields later. */
static void load_exceptions(struct item *it, struct vrule *r, yaml_node_t *n)
{
	yaml_node_item_t *e;

	if (n->type != YAML_SEQUENCE_NODE) {
		ierr(it, n, "'exceptions' must be a list");
		return;
	}
	for (e = n->data.sequence.items.start; e < n->data.sequence.items.top; e++) {
		yaml_node_t *x = yaml_document_get_node(it->doc, *e), *fields = NULL, *comps = NULL,
			    *values = NULL, *name = NULL;
		yaml_node_pair_t *pr;
		size_t nfields = 1;

		if (x->type != YAML_MAPPING_NODE) {
			ierr(it, x, "an exception must be a mapping (name, fields, comps, values)");
			continue;
		}
		for (pr = x->data.mapping.pairs.start; pr < x->data.mapping.pairs.top; pr++) {
			yaml_node_t *k = yaml_document_get_node(it->doc, pr->key);
			yaml_node_t *val = yaml_document_get_node(it->doc, pr->value);
			const char *ks = scalar(k);
			size_t i;

			for (i = 0; ks && exc_keys[i]; i++)
				if (!strcmp(ks, exc_keys[i]))
					break;
			if (!ks || !exc_keys[i]) {
				ierr(it, k, "unknown key '%s' in exception", ks ? ks : "?");
				continue;
			}
			if (i == 0)
				name = val;
			else if (i == 1)
				fields = val;
			else if (i == 2)
				comps = val;
			else
				values = val;
		}
		if (!name || !scalar(name) || !*scalar(name)) {
			ierr(it, x, "exception without a 'name'");
			continue;
		}
		if (fields && scalar(fields)) {
			add_excfield(it, r, fields);
		} else if (fields && fields->type == YAML_SEQUENCE_NODE) {
			yaml_node_item_t *fi;

			nfields = 0;
			for (fi = fields->data.sequence.items.start;
			     fi < fields->data.sequence.items.top; fi++) {
				yaml_node_t *fn = yaml_document_get_node(it->doc, *fi);

				if (!scalar(fn)) {
					ierr(it, fn, "exception fields must be field names");
					continue;
				}
				add_excfield(it, r, fn);
				nfields++;
			}
		} else if (fields) {
			ierr(it, fields, "exception 'fields' must be a field or a list of fields");
		}
		if (comps) {
			yaml_node_item_t *ci;

			if (scalar(comps)) {
				if (!kv_falco_is_operator(scalar(comps)))
					ierr(it, comps, "unknown comparison operator '%s'",
					     scalar(comps));
			} else if (comps->type == YAML_SEQUENCE_NODE) {
				if (fields && fields->type == YAML_SEQUENCE_NODE &&
				    (size_t)(comps->data.sequence.items.top -
					     comps->data.sequence.items.start) != nfields)
					ierr(it, comps, "exception has %zu fields but %zu comps",
					     nfields,
					     (size_t)(comps->data.sequence.items.top -
						      comps->data.sequence.items.start));
				for (ci = comps->data.sequence.items.start;
				     ci < comps->data.sequence.items.top; ci++) {
					yaml_node_t *cn = yaml_document_get_node(it->doc, *ci);

					if (!scalar(cn) || !kv_falco_is_operator(scalar(cn)))
						ierr(it, cn, "unknown comparison operator '%s'",
						     scalar(cn) ? scalar(cn) : "?");
				}
			} else {
				ierr(it, comps, "exception 'comps' must be an operator or a list");
			}
		}
		if (values) {
			yaml_node_item_t *vi;

			if (values->type != YAML_SEQUENCE_NODE) {
				ierr(it, values, "exception 'values' must be a list");
				continue;
			}
			for (vi = values->data.sequence.items.start;
			     fields && fields->type == YAML_SEQUENCE_NODE &&
			     vi < values->data.sequence.items.top;
			     vi++) {
				yaml_node_t *vn = yaml_document_get_node(it->doc, *vi);

				if (vn->type != YAML_SEQUENCE_NODE ||
				    (size_t)(vn->data.sequence.items.top -
					     vn->data.sequence.items.start) != nfields)
					ierr(it, vn,
					     "each exception value must be a list of %zu values",
					     nfields);
			}
		}
	}
}

static struct vrule *new_rule(struct kv_falco_validator *v, const char *name)
{
	struct vrule *r = vfind_rule(v, name);

	if (r) { /* a redefinition replaces the rule, as in Falco */
		vtext_free(&r->cond);
		vtext_free(&r->output);
		free(r->source);
		r->source = NULL;
		while (r->nexcf)
			free(r->excf[--r->nexcf].field);
		return r;
	}
	r = realloc(v->rules, (v->nrules + 1) * sizeof(*r));
	if (!r)
		return NULL;
	v->rules = r;
	r = &v->rules[v->nrules++];
	memset(r, 0, sizeof(*r));
	r->name = strdup(name);
	return r;
}

static const char *const rule_keys[] = {
    "rule",
    "desc",
    "condition",
    "output",
    "priority",
    "tags",
    "enabled",
    "exceptions",
    "source",
    "append",
    "override",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "capture",
    "capture_duration",
    NULL,
};

static void load_rule(struct item *it)
{
	static const char *const append_ok[] = {"condition", "exceptions", "output", "desc",
						"tags"};
	char mode[MAX_KEYS] = {0};
	bool append, ok, replace_all = false;
	yaml_node_t *n;
	struct vrule *r;
	size_t i;

	/* unknown keys are reported but do not hide the rest of the item */
	collect_keys(it, rule_keys);
	ok = true;
	append = get_bool(it, "append", false);
	ok &= check_condition(it, "condition");
	ok &= check_condition(it, "output");
	ok &= check_tags(it);
	n = get(it, "priority");
	if (n && (!scalar(n) || !valid_priority(scalar(n)))) {
		ierr(it, n,
		     "invalid priority '%s' (one of emergency, alert, critical, error, "
		     "warning, notice, informational, debug)",
		     scalar(n) ? scalar(n) : "?");
		ok = false;
	}
	if (get(it, "enabled"))
		get_bool(it, "enabled", true);
	n = get(it, "source");
	if (n && (!scalar(n) || !*scalar(n))) {
		ierr(it, n, "'source' must be a string");
		ok = false;
	}
	r = vfind_rule(it->v, it->name);
	if (get(it, "override")) {
		if (append) {
			ierr(it, get_key(it, "append"),
			     "'append' and 'override' cannot be used together");
			return;
		}
		if (!check_override(it, rule_ovr, mode) || !ok)
			return;
		if (!r) {
			ierr(it, NULL, "override of rule '%s', which is not defined before",
			     it->name);
			return;
		}
	} else if (append) {
		for (i = 0; i < it->nkv; i++) {
			size_t k;

			if (!strcmp(it->kv[i].k, "rule") || !strcmp(it->kv[i].k, "append"))
				continue;
			for (k = 0; k < sizeof(append_ok) / sizeof(append_ok[0]); k++)
				if (!strcmp(it->kv[i].k, append_ok[k]))
					break;
			if (k == sizeof(append_ok) / sizeof(append_ok[0])) {
				ierr(it, it->kv[i].key, "key '%s' cannot be used with append: true",
				     it->kv[i].k);
				ok = false;
			}
			mode[i] = 'a';
		}
		if (!ok)
			return;
		if (!r) {
			ierr(it, NULL, "append to rule '%s', which is not defined before",
			     it->name);
			return;
		}
	} else if (it->nkv == 2 && get(it, "enabled")) {
		/* "- rule: X / enabled: false" toggles an existing rule */
		if (!r)
			ierr(it, NULL, "rule '%s' sets only 'enabled' but is not defined before",
			     it->name);
		else
			r->enabled = get_bool(it, "enabled", true);
		return;
	} else {
		static const char *const required[] = {"condition", "output", "desc", "priority"};

		for (i = 0; i < 4; i++)
			if (!get(it, required[i])) {
				ierr(it, NULL, "missing required key '%s'", required[i]);
				ok = false;
			}
		if (!ok || !nonempty_scalar(it, "condition", true))
			return;
		r = new_rule(it->v, it->name);
		if (!r)
			return;
		r->at = (struct vpos){0};
		at_node(it, get(it, "rule"), &r->at);
		r->enabled = true;
		replace_all = true;
	}
	/* apply keys in mode: append or replace */
	for (i = 0; i < it->nkv; i++) {
		const char *k = it->kv[i].k;
		bool add = mode[i] == 'a' && !replace_all;

		n = it->kv[i].val;
		if (!strcmp(k, "condition")) {
			if (add)
				seg_add(&r->cond, it->f, n);
			else
				text_replace(&r->cond, it->f, n);
		} else if (!strcmp(k, "output")) {
			if (add)
				seg_add(&r->output, it->f, n);
			else
				text_replace(&r->output, it->f, n);
		} else if (!strcmp(k, "source")) {
			free(r->source);
			r->source = strdup(scalar(n));
		} else if (!strcmp(k, "enabled")) {
			r->enabled = get_bool(it, "enabled", true);
		} else if (!strcmp(k, "exceptions")) {
			load_exceptions(it, r, n);
		}
	}
}

static struct vmacro *new_macro(struct kv_falco_validator *v, const char *name)
{
	struct vmacro *m = vfind_macro(v, name, strlen(name));

	if (m) {
		vtext_free(&m->cond);
		return m;
	}
	m = realloc(v->macros, (v->nmacros + 1) * sizeof(*m));
	if (!m)
		return NULL;
	v->macros = m;
	m = &v->macros[v->nmacros++];
	memset(m, 0, sizeof(*m));
	m->name = strdup(name);
	return m;
}

static void load_macro(struct item *it)
{
	static const char *const keys[] = {"macro", "condition", "append", "override", NULL};
	char mode[MAX_KEYS] = {0};
	struct vmacro *m;
	bool append, ok;
	yaml_node_t *cond;

	collect_keys(it, keys);
	append = get_bool(it, "append", false);
	ok = check_condition(it, "condition");
	if (!get(it, "condition")) {
		ierr(it, NULL, "missing required key 'condition'");
		return;
	}
	if (!ok || !nonempty_scalar(it, "condition", true))
		return;
	cond = get(it, "condition");
	m = vfind_macro(it->v, it->name, strlen(it->name));
	if (get(it, "override")) {
		if (append) {
			ierr(it, get_key(it, "append"),
			     "'append' and 'override' cannot be used together");
			return;
		}
		if (!check_override(it, macro_ovr, mode))
			return;
		if (!m) {
			ierr(it, NULL, "override of macro '%s', which is not defined before",
			     it->name);
			return;
		}
		append = mode_of(it, mode, "condition") == 'a';
	} else if (append && !m) {
		ierr(it, NULL, "append to macro '%s', which is not defined before", it->name);
		return;
	}
	if (append) {
		seg_add(&m->cond, it->f, cond);
		return;
	}
	m = new_macro(it->v, it->name);
	if (!m)
		return;
	at_node(it, get(it, "macro"), &m->at);
	seg_add(&m->cond, it->f, cond);
}

static void load_list(struct item *it)
{
	static const char *const keys[] = {"list", "items", "append", "override", NULL};
	char mode[MAX_KEYS] = {0};
	yaml_node_t *items = get(it, "items");
	yaml_node_item_t *e;
	struct vlist *l;
	bool append, ok;
	size_t n = 0;

	collect_keys(it, keys);
	ok = true;
	items = get(it, "items");
	append = get_bool(it, "append", false);
	if (!items) {
		ierr(it, NULL, "missing required key 'items'");
		return;
	}
	if (items->type != YAML_SEQUENCE_NODE) {
		ierr(it, items, "'items' must be a list");
		return;
	}
	for (e = items->data.sequence.items.start; e < items->data.sequence.items.top; e++, n++)
		if (!scalar(yaml_document_get_node(it->doc, *e))) {
			ierr(it, yaml_document_get_node(it->doc, *e), "list items must be strings");
			ok = false;
		}
	if (!ok)
		return;
	l = vfind_list(it->v, it->name, strlen(it->name));
	if (get(it, "override")) {
		if (append) {
			ierr(it, get_key(it, "append"),
			     "'append' and 'override' cannot be used together");
			return;
		}
		if (!check_override(it, list_ovr, mode))
			return;
		append = mode_of(it, mode, "items") == 'a';
		if (!l) {
			ierr(it, NULL, "override of list '%s', which is not defined before",
			     it->name);
			return;
		}
	} else if (append && !l) {
		ierr(it, NULL, "append to list '%s', which is not defined before", it->name);
		return;
	}
	if (l) {
		l->nitems = append ? l->nitems + n : n;
		if (!append)
			at_node(it, get(it, "list"), &l->at);
		return;
	}
	l = realloc(it->v->lists, (it->v->nlists + 1) * sizeof(*l));
	if (!l)
		return;
	it->v->lists = l;
	l = &l[it->v->nlists++];
	memset(l, 0, sizeof(*l));
	l->name = strdup(it->name);
	l->nitems = n;
	at_node(it, get(it, "list"), &l->at);
}

static bool semver_or_int(const char *s)
{
	int dots = 0;
	bool digit = false;

	for (; *s; s++) {
		if (*s >= '0' && *s <= '9') {
			digit = true;
		} else if (*s == '.' && digit && dots < 2) {
			dots++;
			digit = false;
		} else {
			return false;
		}
	}
	return digit && (dots == 0 || dots == 2);
}

static void load_plugins(struct item *it, yaml_node_t *seq)
{
	yaml_node_item_t *e;

	if (seq->type != YAML_SEQUENCE_NODE) {
		ierr(it, seq, "'required_plugin_versions' must be a list of {name, version}");
		return;
	}
	for (e = seq->data.sequence.items.start; e < seq->data.sequence.items.top; e++) {
		yaml_node_t *p = yaml_document_get_node(it->doc, *e);
		const char *name = NULL, *version = NULL;
		yaml_node_pair_t *pr;
		char err[512];
		int ret;

		if (p->type != YAML_MAPPING_NODE) {
			ierr(it, p, "a required plugin must be a mapping with name and version");
			continue;
		}
		for (pr = p->data.mapping.pairs.start; pr < p->data.mapping.pairs.top; pr++) {
			const char *ks = scalar(yaml_document_get_node(it->doc, pr->key));
			yaml_node_t *val = yaml_document_get_node(it->doc, pr->value);

			if (ks && !strcmp(ks, "name"))
				name = scalar(val);
			else if (ks && !strcmp(ks, "version"))
				version = scalar(val);
			else if (!ks || strcmp(ks, "alternatives"))
				ierr(it, val, "unknown key '%s' in required plugin", ks ? ks : "?");
		}
		if (!name || !version) {
			ierr(it, p, "a required plugin needs 'name' and 'version'");
			continue;
		}
		if (!semver_or_int(version))
			ierr(it, p, "plugin version '%s' is not a version number", version);
		ret = kv_falco_fields_add_plugin(it->v->fields, it->v->datadir, name, err,
						 sizeof(err));
		if (ret == -ENOENT) {
			struct vpos at;

			at_node(it, p, &at);
			vdiag(it->v, &at, NULL, NULL, true,
			      "no field list for plugin '%s': its fields cannot be checked", name);
		} else if (ret) {
			ierr(it, p, "plugin '%s': %s", name, err);
		}
	}
}

static void load_item(struct kv_falco_validator *v, const struct vfile *f, yaml_document_t *doc,
		      yaml_node_t *node)
{
	static const char *const kinds[] = {"rule", "macro", "list", NULL};
	struct item it = {.v = v, .f = f, .doc = doc, .node = node};
	yaml_node_pair_t *pr;
	size_t i;

	if (node->type != YAML_MAPPING_NODE) {
		ierr(&it, node, "each item of a rules file must be a mapping");
		return;
	}
	for (pr = node->data.mapping.pairs.start; pr < node->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(doc, pr->key);
		yaml_node_t *val = yaml_document_get_node(doc, pr->value);
		const char *ks = scalar(k);

		if (!ks)
			continue;
		if (!strcmp(ks, "required_engine_version")) {
			if (!scalar(val) || !semver_or_int(scalar(val)))
				ierr(&it, val,
				     "required_engine_version '%s' is not a version number",
				     scalar(val) ? scalar(val) : "?");
			return;
		}
		if (!strcmp(ks, "required_plugin_versions")) {
			load_plugins(&it, val);
			return;
		}
		for (i = 0; kinds[i]; i++)
			if (!strcmp(ks, kinds[i]))
				break;
		if (!kinds[i])
			continue;
		if (it.kind) {
			ierr(&it, k, "item is both a %s and a %s", it.kind, kinds[i]);
			return;
		}
		it.kind = kinds[i];
		it.name = scalar(val);
		if (!it.name || !*it.name) {
			it.name = NULL;
			ierr(&it, val, "%s name must be a non-empty string", kinds[i]);
			return;
		}
	}
	if (!it.kind) {
		ierr(&it, node,
		     "unknown item: expected one of rule, macro, list, "
		     "required_engine_version, required_plugin_versions");
		return;
	}
	if (!strcmp(it.kind, "rule"))
		load_rule(&it);
	else if (!strcmp(it.kind, "macro"))
		load_macro(&it);
	else
		load_list(&it);
}

static void index_lines(struct vfile *f)
{
	size_t i, n = 1;

	for (i = 0; i < f->len; i++)
		n += f->buf[i] == '\n';
	f->line_start = calloc(n, sizeof(*f->line_start));
	if (!f->line_start)
		return;
	f->nlines = 1;
	for (i = 0; i < f->len; i++)
		if (f->buf[i] == '\n')
			f->line_start[f->nlines++] = i + 1;
}

int kv_falco_validator_add_buffer(struct kv_falco_validator *v, const char *name, const char *buf,
				  size_t len)
{
	struct vfile *f = calloc(1, sizeof(*f)), **files;
	yaml_parser_t parser;
	yaml_document_t doc;

	files = realloc(v->files, (v->nfiles + 1) * sizeof(*files));
	if (!f || !files) {
		free(f);
		if (files)
			v->files = files;
		return -ENOMEM;
	}
	v->files = files;
	f->path = strdup(name);
	f->buf = malloc(len + 1);
	if (!f->path || !f->buf) {
		free(f->path);
		free(f->buf);
		free(f);
		return -ENOMEM;
	}
	memcpy(f->buf, buf, len);
	f->buf[len] = '\0';
	f->len = len;
	index_lines(f);
	v->files[v->nfiles++] = f;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)f->buf, f->len);
	for (;;) {
		yaml_node_t *root;

		if (!yaml_parser_load(&parser, &doc)) {
			struct vpos at;

			vpos_from_mark(f, parser.problem_mark, &at);
			vdiag(v, &at, NULL, NULL, false, "invalid YAML: %s%s%s",
			      parser.problem ? parser.problem : "parse error",
			      parser.context ? " " : "", parser.context ? parser.context : "");
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (!root) {
			yaml_document_delete(&doc);
			break;
		}
		if (root->type == YAML_SEQUENCE_NODE) {
			yaml_node_item_t *e;

			for (e = root->data.sequence.items.start; e < root->data.sequence.items.top;
			     e++)
				load_item(v, f, &doc, yaml_document_get_node(&doc, *e));
		} else if (!(root->type == YAML_SCALAR_NODE && !root->data.scalar.length)) {
			struct vpos at;

			vpos_from_mark(f, root->start_mark, &at);
			vdiag(v, &at, NULL, NULL, false,
			      "a rules file must be a YAML list of rule, macro and list items");
		}
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	return 0;
}

int kv_falco_validator_add_file(struct kv_falco_validator *v, const char *path)
{
	FILE *fp = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	int ret;

	if (!fp) {
		struct vpos at = {0};
		struct vfile f = {.path = (char *)path};

		ret = -errno;
		at.f = &f;
		vdiag(v, &at, NULL, NULL, false, "cannot read: %s", strerror(-ret));
		return ret;
	}
	errno = 0;
	for (;;) {
		if (len == cap) {
			char *nb = realloc(buf, cap ? cap * 2 : 65536);

			if (!nb) {
				free(buf);
				fclose(fp);
				return -ENOMEM;
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		n = fread(buf + len, 1, cap - len, fp);
		if (!n)
			break;
		len += n;
	}
	ret = ferror(fp) ? -(errno ? errno : EIO) : 0;
	fclose(fp);
	if (!ret) {
		ret = kv_falco_validator_add_buffer(v, path, buf, len);
	} else {
		struct vfile f = {.path = (char *)path};
		struct vpos at = {.f = &f};

		vdiag(v, &at, NULL, NULL, false, "cannot read: %s", strerror(-ret));
	}
	free(buf);
	return ret;
}

static int rules_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	if (d->d_name[0] == '.')
		return 0;
	return (n > 5 && !strcmp(d->d_name + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(d->d_name + n - 4, ".yml"));
}

int kv_falco_validator_add_path(struct kv_falco_validator *v, const char *path)
{
	struct dirent **names;
	struct stat st;
	int n, i, ret = 0;

	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return kv_falco_validator_add_file(v, path);
	n = scandir(path, &names, rules_file, alphasort);
	if (n < 0) {
		struct vfile f = {.path = (char *)path};
		struct vpos at = {.f = &f};

		ret = -errno;
		vdiag(v, &at, NULL, NULL, false, "cannot read directory: %s", strerror(-ret));
		return ret;
	}
	for (i = 0; i < n; i++) {
		char file[4096];
		int r;

		snprintf(file, sizeof(file), "%s/%s", path, names[i]->d_name);
		r = kv_falco_validator_add_file(v, file);
		if (r && !ret)
			ret = r;
		free(names[i]);
	}
	free(names);
	return ret;
}
