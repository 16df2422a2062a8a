// SPDX-License-Identifier: BSD-2-Clause
/* Template -> rules. Templates are read at run time from the data directory
 * (see datadir.h and docs/falco.md for why they are files and not C tables). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>
#include "common/sha256.h"
#include "falco/datadir.h"
#include "falco/render.h"

#define MAX_KV	    16
#define DOMAIN_BITS 0x00FF0000u

/* Appended to every rule's output: how an alert finds its session. */
static const char output_suffix[] =
    " | session=%" KV_FALCO_SESSION_FIELD " ancestor_session=%" KV_FALCO_ANCESTOR_SESSION_FIELD
    " cgroups=%" KV_FALCO_CGROUPS_FIELD " domain=${domain} trust_mask=${trust_mask}"
    " process=%proc.name pid=%" KV_FALCO_PID_FIELD " ppid=%proc.ppid exepath=%proc.exepath"
    " cmdline=%proc.cmdline user=%user.name uid=%user.uid evt_type=%evt.type";

static const char *const priorities[] = {"EMERGENCY", "ALERT",	"CRITICAL",	 "ERROR",
					 "WARNING",   "NOTICE", "INFORMATIONAL", "INFO",
					 "DEBUG",     NULL};

struct rval {
	char *s; /* scalar, or NULL for a sequence */
	char **seq;
	size_t n;
};

struct ritem {
	char kind[8]; /* "engine", "list", "macro", "rule" */
	char *name;
	char *keys[MAX_KV];
	struct rval vals[MAX_KV];
	size_t nkv;
};

struct kv_falco_ruleset {
	enum kv_domain domain;
	uint32_t mask;
	struct ritem *items;
	size_t n;
};

struct tctx {
	const char *path;
	yaml_document_t *doc;
	struct kv_falco_ruleset *rs;
	char *err;
	size_t errlen;
};

static int terr(struct tctx *t, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int terr(struct tctx *t, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(t->err, t->errlen, "%s:%zu: %s", t->path, n ? n->start_mark.line + 1 : 0, msg);
	return -EINVAL;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static void rval_free(struct rval *v)
{
	size_t i;

	free(v->s);
	for (i = 0; i < v->n; i++)
		free(v->seq[i]);
	free(v->seq);
}

static void item_free(struct ritem *it)
{
	size_t i;

	free(it->name);
	for (i = 0; i < it->nkv; i++) {
		free(it->keys[i]);
		rval_free(&it->vals[i]);
	}
}

void kv_falco_ruleset_free(struct kv_falco_ruleset *rs)
{
	size_t i;

	if (!rs)
		return;
	for (i = 0; i < rs->n; i++)
		item_free(&rs->items[i]);
	free(rs->items);
	free(rs);
}

/* Bits a template name stands for in domain d; 0 when unknown. */
static uint32_t bit_by_name(enum kv_domain d, const char *name)
{
	unsigned b;

	if (!strcmp(name, "domain"))
		return DOMAIN_BITS;
	for (b = 0; b < 24; b++) {
		const char *n = kv_trust_bit_name(b);
		const char *g = b >= 16 ? kv_domain_bit_name(d, b) : NULL;

		if ((n && !strcmp(n, name)) || (g && !strcmp(g, name)))
			return 1u << b;
	}
	return 0;
}

static int bits_of(struct tctx *t, const yaml_node_t *seq, uint32_t *out)
{
	yaml_node_item_t *e;

	*out = 0;
	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return terr(t, seq, "expected a list of trust bit names");
	for (e = seq->data.sequence.items.start; e < seq->data.sequence.items.top; e++) {
		yaml_node_t *n = yaml_document_get_node(t->doc, *e);
		const char *s = scalar(n);
		uint32_t b = s ? bit_by_name(t->rs->domain, s) : 0;

		if (!b)
			return terr(t, n, "unknown trust bit '%s' for domain %s", s ? s : "?",
				    kv_domain_name(t->rs->domain));
		*out |= b;
	}
	return 0;
}

static bool valid_priority(const char *p)
{
	size_t i;

	for (i = 0; priorities[i]; i++)
		if (!strcasecmp(p, priorities[i]))
			return true;
	return false;
}

/* The `kavachos:` selector of an item: keep it (1), drop it (0), error (<0);
 * *prio is set when it picks a priority. */
static int selector(struct tctx *t, const yaml_node_t *sel, const char **prio)
{
	uint32_t mask = t->rs->mask, bits;
	yaml_node_pair_t *pr;
	int keep = 1, ret;

	if (sel->type != YAML_MAPPING_NODE)
		return terr(t, sel, "'kavachos' must be a mapping");
	for (pr = sel->data.mapping.pairs.start; pr < sel->data.mapping.pairs.top; pr++) {
		yaml_node_t *kn = yaml_document_get_node(t->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(t->doc, pr->value);
		const char *k = scalar(kn);

		if (!k)
			return terr(t, kn, "selector keys must be strings");
		if (!strcmp(k, "mask")) {
			const char *s = scalar(v);

			if (!s || (strcmp(s, "zero") && strcmp(s, "nonzero")))
				return terr(t, v, "mask: must be 'zero' or 'nonzero'");
			if ((mask == 0) != !strcmp(s, "zero"))
				keep = 0;
		} else if (!strcmp(k, "if_any") || !strcmp(k, "unless_any")) {
			ret = bits_of(t, v, &bits);
			if (ret)
				return ret;
			if (!!(mask & bits) != !strcmp(k, "if_any"))
				keep = 0;
		} else if (!strcmp(k, "priority_if_zero")) {
			if (!scalar(v) || !valid_priority(scalar(v)))
				return terr(t, v, "invalid priority");
			if (!mask)
				*prio = scalar(v);
		} else if (!strcmp(k, "priority_if_any")) {
			yaml_node_item_t *e;

			if (v->type != YAML_SEQUENCE_NODE)
				return terr(t, v, "priority_if_any: expected a list");
			for (e = v->data.sequence.items.start; e < v->data.sequence.items.top;
			     e++) {
				yaml_node_t *m = yaml_document_get_node(t->doc, *e), *bn = NULL,
					    *pn = NULL;
				yaml_node_pair_t *q;

				if (m->type != YAML_MAPPING_NODE)
					return terr(t, m, "expected {bits: [...], priority: P}");
				for (q = m->data.mapping.pairs.start; q < m->data.mapping.pairs.top;
				     q++) {
					const char *qk =
					    scalar(yaml_document_get_node(t->doc, q->key));
					yaml_node_t *qv = yaml_document_get_node(t->doc, q->value);

					if (qk && !strcmp(qk, "bits"))
						bn = qv;
					else if (qk && !strcmp(qk, "priority"))
						pn = qv;
					else
						return terr(t, m, "unknown key '%s'",
							    qk ? qk : "?");
				}
				if (!pn || !scalar(pn) || !valid_priority(scalar(pn)))
					return terr(t, m,
						    "priority_if_any entry needs a valid priority");
				ret = bits_of(t, bn, &bits);
				if (ret)
					return ret;
				if ((mask & bits) && !*prio) {
					*prio = scalar(pn);
					break;
				}
			}
		} else {
			return terr(t, kn, "unknown selector key '%s'", k);
		}
	}
	return keep;
}

/* ${domain} and ${trust_mask}; whitespace collapsed to one space (in conditions
 * only outside quoted strings; prose has apostrophes) so that every rendered
 * value is one logical line. */
static int expand(struct tctx *t, const yaml_node_t *n, const char *in, bool code, char **out)
{
	size_t cap = strlen(in) + 64, len = 0;
	char *s = malloc(cap), quote = 0, mask[16];
	const char *p;

	if (!s)
		return -ENOMEM;
	snprintf(mask, sizeof(mask), "0x%08x", t->rs->mask);
	for (p = in; *p; p++) {
		const char *rep = NULL;
		size_t skip = 0;

		if (!quote && isspace((unsigned char)*p)) {
			if (len && s[len - 1] != ' ')
				s[len++] = ' ';
			continue;
		}
		if (*p == '$' && p[1] == '{') {
			if (!strncmp(p, "${domain}", 9)) {
				rep = kv_domain_name(t->rs->domain);
				skip = 9;
			} else if (!strncmp(p, "${trust_mask}", 13)) {
				rep = mask;
				skip = 13;
			} else {
				free(s);
				return terr(t, n, "unknown placeholder '%.20s'", p);
			}
		}
		if (len + (rep ? strlen(rep) : 1) + 2 >= cap) {
			char *ns;

			cap = cap * 2 + (rep ? strlen(rep) : 0);
			ns = realloc(s, cap);
			if (!ns) {
				free(s);
				return -ENOMEM;
			}
			s = ns;
		}
		if (rep) {
			memcpy(s + len, rep, strlen(rep));
			len += strlen(rep);
			p += skip - 1;
			continue;
		}
		if (code && (*p == '"' || *p == '\''))
			quote = quote == *p ? 0 : (quote ? quote : *p);
		s[len++] = *p;
	}
	while (len && s[len - 1] == ' ')
		len--;
	s[len] = '\0';
	*out = s;
	return 0;
}

static int add_kv(struct tctx *t, struct ritem *it, const char *key, const yaml_node_t *v)
{
	struct rval *rv;
	int ret;

	if (it->nkv == MAX_KV)
		return terr(t, v, "too many keys");
	rv = &it->vals[it->nkv];
	memset(rv, 0, sizeof(*rv));
	it->keys[it->nkv] = strdup(key);
	if (!it->keys[it->nkv])
		return -ENOMEM;
	it->nkv++;
	if (v->type == YAML_SCALAR_NODE)
		return expand(t, v, scalar(v), !strcmp(key, "condition"), &rv->s);
	if (v->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *e;
		size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);

		rv->seq = calloc(n ? n : 1, sizeof(*rv->seq));
		if (!rv->seq)
			return -ENOMEM;
		for (e = v->data.sequence.items.start; e < v->data.sequence.items.top; e++) {
			yaml_node_t *x = yaml_document_get_node(t->doc, *e);

			if (!scalar(x))
				return terr(t, x, "'%s': only lists of strings are supported", key);
			ret = expand(t, x, scalar(x), false, &rv->seq[rv->n]);
			if (ret)
				return ret;
			rv->n++;
		}
		return 0;
	}
	return terr(t, v, "'%s': unsupported value in a template", key);
}

static struct rval *item_get(struct ritem *it, const char *key)
{
	size_t i;

	for (i = 0; i < it->nkv; i++)
		if (!strcmp(it->keys[i], key))
			return &it->vals[i];
	return NULL;
}

static int set_scalar(struct ritem *it, const char *key, const char *val)
{
	struct rval *v = item_get(it, key);
	char *s = strdup(val);

	if (!s)
		return -ENOMEM;
	if (v) {
		rval_free(v);
		memset(v, 0, sizeof(*v));
	} else {
		if (it->nkv == MAX_KV) {
			free(s);
			return -E2BIG;
		}
		it->keys[it->nkv] = strdup(key);
		v = &it->vals[it->nkv++];
		memset(v, 0, sizeof(*v));
	}
	v->s = s;
	return 0;
}

static int template_item(struct tctx *t, yaml_node_t *node)
{
	struct kv_falco_ruleset *rs = t->rs;
	struct ritem it = {0}, *items;
	const char *prio = NULL;
	yaml_node_t *sel = NULL;
	yaml_node_pair_t *pr;
	int ret = 0, keep = 1;

	if (node->type != YAML_MAPPING_NODE)
		return terr(t, node, "template items must be mappings");
	for (pr = node->data.mapping.pairs.start; pr < node->data.mapping.pairs.top; pr++) {
		yaml_node_t *kn = yaml_document_get_node(t->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(t->doc, pr->value);
		const char *k = scalar(kn);

		if (!k) {
			ret = terr(t, kn, "keys must be strings");
			goto out;
		}
		if (!strcmp(k, "kavachos")) {
			sel = v;
			continue;
		}
		if (!it.kind[0]) {
			if (!strcmp(k, "required_engine_version"))
				strcpy(it.kind, "engine");
			else if (!strcmp(k, "rule") || !strcmp(k, "macro") || !strcmp(k, "list"))
				snprintf(it.kind, sizeof(it.kind), "%s", k);
			else {
				ret = terr(t, kn,
					   "an item starts with rule, macro, list or "
					   "required_engine_version, not '%s'",
					   k);
				goto out;
			}
		}
		ret = add_kv(t, &it, k, v);
		if (ret)
			goto out;
	}
	if (!it.nkv || !it.vals[0].s) {
		ret = terr(t, node, "item without a name");
		goto out;
	}
	it.name = strdup(it.vals[0].s);
	if (sel) {
		keep = selector(t, sel, &prio);
		if (keep < 0) {
			ret = keep;
			goto out;
		}
	}
	if (!keep)
		goto out;
	if (!strcmp(it.kind, "rule")) {
		struct rval *o = item_get(&it, "output"), *p = item_get(&it, "priority");
		char *suffix, *full;

		if (!o || !o->s || !p || !p->s) {
			ret = terr(t, node, "rule '%s' needs output and priority", it.name);
			goto out;
		}
		ret = expand(t, node, output_suffix, false, &suffix);
		if (ret)
			goto out;
		/* rule text | its fields | the session fields */
		ret = asprintf(&full, "%s %s", o->s, suffix) < 0 ? -ENOMEM : 0;
		free(suffix);
		if (ret)
			goto out;
		ret = set_scalar(&it, "output", full);
		free(full);
		if (!ret && prio)
			ret = set_scalar(&it, "priority", prio);
		if (ret)
			goto out;
		p = item_get(&it, "priority");
		for (char *c = p->s; *c; c++)
			*c = (char)toupper((unsigned char)*c);
	}
	items = realloc(rs->items, (rs->n + 1) * sizeof(*items));
	if (!items) {
		ret = -ENOMEM;
		goto out;
	}
	rs->items = items;
	rs->items[rs->n++] = it;
	return 0;
out:
	item_free(&it);
	return ret;
}

static int load_template(struct kv_falco_ruleset *rs, const char *datadir, const char *name,
			 char *err, size_t errlen)
{
	char path[PATH_MAX];
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	FILE *fp;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/%s.yaml", datadir, name);
	fp = fopen(path, "re");
	if (!fp) {
		ret = -errno;
		snprintf(err, errlen, "template %s: %s", path, strerror(errno));
		return ret;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(fp);
		return -ENOMEM;
	}
	yaml_parser_set_input_file(&parser, fp);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%zu: invalid YAML: %s", path,
			 parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "parse error");
		yaml_parser_delete(&parser);
		fclose(fp);
		return -EINVAL;
	}
	root = yaml_document_get_root_node(&doc);
	if (root && root->type == YAML_SEQUENCE_NODE) {
		struct tctx t = {.path = path, .doc = &doc, .rs = rs, .err = err, .errlen = errlen};
		yaml_node_item_t *e;

		for (e = root->data.sequence.items.start; !ret && e < root->data.sequence.items.top;
		     e++)
			ret = template_item(&t, yaml_document_get_node(&doc, *e));
	} else {
		snprintf(err, errlen, "%s: a template must be a YAML list", path);
		ret = -EINVAL;
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(fp);
	return ret;
}

int kv_falco_ruleset_build(const char *datadir, enum kv_domain d, uint32_t trust_mask,
			   struct kv_falco_ruleset **out, char *err, size_t errlen)
{
	struct kv_falco_ruleset *rs;
	int ret;

	if (!kv_domain_name(d)) {
		snprintf(err, errlen, "invalid domain %d (one of %s)", (int)d, kv_domain_list());
		return -EINVAL;
	}
	if (trust_mask & KV_TRUST_MASK_RESERVED) {
		snprintf(err, errlen, "invalid trust mask '0x%08x': bits 24-31 are reserved",
			 trust_mask);
		return -EINVAL;
	}
	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return -ENOMEM;
	rs->domain = d;
	rs->mask = trust_mask;
	ret = load_template(rs, datadir, "general", err, errlen);
	if (!ret && d != KV_DOMAIN_GENERAL)
		ret = load_template(rs, datadir, kv_domain_name(d), err, errlen);
	if (ret) {
		kv_falco_ruleset_free(rs);
		return ret;
	}
	*out = rs;
	return 0;
}

size_t kv_falco_ruleset_count(const struct kv_falco_ruleset *rs, const char *kind)
{
	size_t i, n = 0;

	for (i = 0; i < rs->n; i++)
		n += !strcmp(rs->items[i].kind, kind);
	return n;
}

/* ---- YAML ---- */

struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static int sbuf_write(void *data, unsigned char *buf, size_t size)
{
	struct sbuf *b = data;

	if (b->len + size + 1 > b->cap) {
		size_t cap = (b->cap + size) * 2;
		char *s = realloc(b->s, cap);

		if (!s) {
			b->oom = true;
			return 0;
		}
		b->s = s;
		b->cap = cap;
	}
	memcpy(b->s + b->len, buf, size);
	b->len += size;
	b->s[b->len] = '\0';
	return 1;
}

static int emit_scalar(yaml_emitter_t *e, const char *s, bool prose)
{
	yaml_event_t ev;
	/* long conditions, outputs and descriptions as folded blocks, like the
	 * official rules; everything else in whatever style is valid */
	yaml_scalar_style_t style =
	    prose && strlen(s) > 70 ? YAML_FOLDED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
				     style);
	return yaml_emitter_emit(e, &ev);
}

static int emit_items(yaml_emitter_t *e, const struct kv_falco_ruleset *rs)
{
	yaml_event_t ev;
	size_t i, k, j;

#define EMIT(init)                                                                                 \
	do {                                                                                       \
		init;                                                                              \
		if (!yaml_emitter_emit(e, &ev))                                                    \
			return -EIO;                                                               \
	} while (0)

	EMIT(yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	EMIT(yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	EMIT(yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE));
	for (i = 0; i < rs->n; i++) {
		const struct ritem *it = &rs->items[i];

		EMIT(yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
							 YAML_BLOCK_MAPPING_STYLE));
		for (k = 0; k < it->nkv; k++) {
			const char *key = it->keys[k];
			const struct rval *v = &it->vals[k];

			if (!emit_scalar(e, key, false))
				return -EIO;
			if (v->s) {
				bool prose = !strcmp(key, "condition") || !strcmp(key, "output") ||
					     !strcmp(key, "desc");

				if (!emit_scalar(e, v->s, prose))
					return -EIO;
				continue;
			}
			EMIT(yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
								  YAML_FLOW_SEQUENCE_STYLE));
			for (j = 0; j < v->n; j++)
				if (!emit_scalar(e, v->seq[j], false))
					return -EIO;
			EMIT(yaml_sequence_end_event_initialize(&ev));
		}
		EMIT(yaml_mapping_end_event_initialize(&ev));
	}
	EMIT(yaml_sequence_end_event_initialize(&ev));
	EMIT(yaml_document_end_event_initialize(&ev, 1));
	EMIT(yaml_stream_end_event_initialize(&ev));
#undef EMIT
	return 0;
}

int kv_falco_ruleset_yaml(const struct kv_falco_ruleset *rs, char **out)
{
	struct sbuf body = {0}, full = {0};
	yaml_emitter_t e;
	char header[512];
	size_t i;
	int ret;

	if (!yaml_emitter_initialize(&e))
		return -ENOMEM;
	yaml_emitter_set_output(&e, sbuf_write, &body);
	yaml_emitter_set_width(&e, 96);
	yaml_emitter_set_unicode(&e, 1);
	ret = emit_items(&e, rs);
	yaml_emitter_delete(&e);
	if (ret || body.oom || !body.s) {
		free(body.s);
		return ret ? ret : -ENOMEM;
	}
	snprintf(header, sizeof(header),
		 "# KavachOS Falco rules: domain %s, trust mask 0x%08x.\n"
		 "# Generated by `kavachos rules`; regenerate rather than edit. Every rule is\n"
		 "# scoped to KavachOS sessions and carries the session id in its output.\n",
		 kv_domain_name(rs->domain), rs->mask);
	sbuf_write(&full, (unsigned char *)header, strlen(header));
	/* a blank line before each top-level item, as in the official files */
	for (i = 0; i < body.len; i++) {
		if (body.s[i] == '-' && (i == 0 || body.s[i - 1] == '\n'))
			sbuf_write(&full, (unsigned char *)"\n", 1);
		sbuf_write(&full, (unsigned char *)&body.s[i], 1);
	}
	free(body.s);
	if (full.oom) {
		free(full.s);
		return -ENOMEM;
	}
	*out = full.s;
	return 0;
}

/* ---- JSON ---- */

static struct json_object *rval_json(const struct rval *v)
{
	struct json_object *a;
	size_t i;

	if (v->s)
		return json_object_new_string(v->s);
	a = json_object_new_array();
	for (i = 0; i < v->n; i++)
		json_object_array_add(a, json_object_new_string(v->seq[i]));
	return a;
}

struct json_object *kv_falco_ruleset_json(const struct kv_falco_ruleset *rs)
{
	struct json_object *o = json_object_new_object(), *rules = json_object_new_array(),
			   *macros = json_object_new_array(), *lists = json_object_new_array(),
			   *counts = json_object_new_object();
	char mask[16], hex[KV_SHA256_HEX] = "";
	char *yaml = NULL;
	size_t i, k;

	snprintf(mask, sizeof(mask), "0x%08x", rs->mask);
	json_object_object_add(o, "domain", json_object_new_string(kv_domain_name(rs->domain)));
	json_object_object_add(o, "trust_mask", json_object_new_string(mask));
	for (i = 0; i < rs->n; i++) {
		const struct ritem *it = &rs->items[i];
		struct json_object *x, *dst;

		if (!strcmp(it->kind, "engine")) {
			json_object_object_add(o, "required_engine_version",
					       json_object_new_string(it->vals[0].s));
			continue;
		}
		dst = !strcmp(it->kind, "rule")	   ? rules
		      : !strcmp(it->kind, "macro") ? macros
						   : lists;
		x = json_object_new_object();
		json_object_object_add(x, "name", json_object_new_string(it->name));
		for (k = 1; k < it->nkv; k++)
			json_object_object_add(x, it->keys[k], rval_json(&it->vals[k]));
		json_object_array_add(dst, x);
	}
	json_object_object_add(o, "session_field", json_object_new_string(KV_FALCO_SESSION_FIELD));
	json_object_object_add(counts, "rules",
			       json_object_new_int((int)json_object_array_length(rules)));
	json_object_object_add(counts, "macros",
			       json_object_new_int((int)json_object_array_length(macros)));
	json_object_object_add(counts, "lists",
			       json_object_new_int((int)json_object_array_length(lists)));
	json_object_object_add(o, "counts", counts);
	json_object_object_add(o, "rules", rules);
	json_object_object_add(o, "macros", macros);
	json_object_object_add(o, "lists", lists);
	if (!kv_falco_ruleset_yaml(rs, &yaml)) {
		kv_sha256_hex(yaml, strlen(yaml), hex);
		json_object_object_add(o, "sha256", json_object_new_string(hex));
		json_object_object_add(o, "yaml", json_object_new_string(yaml));
		free(yaml);
	}
	return o;
}

/* ---- convenience ---- */

static int build_default(enum kv_domain d, uint32_t trust_mask, struct kv_falco_ruleset **rs,
			 char *err, size_t errlen)
{
	char dir[PATH_MAX];
	int ret = kv_falco_data_dir(dir, sizeof(dir), err, errlen);

	return ret ? ret : kv_falco_ruleset_build(dir, d, trust_mask, rs, err, errlen);
}

int kv_falco_render(enum kv_domain d, uint32_t trust_mask, char **yaml_out, char *err,
		    size_t errlen)
{
	struct kv_falco_ruleset *rs;
	int ret = build_default(d, trust_mask, &rs, err, errlen);

	if (ret)
		return ret;
	ret = kv_falco_ruleset_yaml(rs, yaml_out);
	if (ret)
		snprintf(err, errlen, "rendering YAML: %s", strerror(-ret));
	kv_falco_ruleset_free(rs);
	return ret;
}

int kv_falco_render_json(enum kv_domain d, uint32_t trust_mask, struct json_object **out, char *err,
			 size_t errlen)
{
	struct kv_falco_ruleset *rs;
	int ret = build_default(d, trust_mask, &rs, err, errlen);

	if (ret)
		return ret;
	*out = kv_falco_ruleset_json(rs);
	kv_falco_ruleset_free(rs);
	return 0;
}
