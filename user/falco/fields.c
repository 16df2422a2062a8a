// SPDX-License-Identifier: BSD-2-Clause
/* Falco field table: a sorted array of names with their argument forms. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "falco/fields.h"

#define FF_REQUIRED    (1u << 0)
#define FF_INDEX       (1u << 1)
#define FF_KEY	       (1u << 2)
#define FF_DOT	       (1u << 3)
#define FF_FILTER_ONLY (1u << 4)
#define FF_PRINT_ONLY  (1u << 5)

struct field {
	char *name;
	unsigned flags;
};

struct kv_falco_fields {
	struct field *v;
	size_t n, cap;
	bool sorted;
	char **plugins;
	size_t nplugins;
};

static const struct {
	const char *tok;
	unsigned flag;
} field_tokens[] = {
    {"required", FF_REQUIRED},
    {"index", FF_INDEX},
    {"key", FF_KEY},
    {"dot", FF_DOT},
    {"filter_only", FF_FILTER_ONLY},
    {"print_only", FF_PRINT_ONLY},
};

static int cmp_field(const void *a, const void *b)
{
	return strcmp(((const struct field *)a)->name, ((const struct field *)b)->name);
}

static void sort_fields(struct kv_falco_fields *f)
{
	if (!f->sorted) {
		qsort(f->v, f->n, sizeof(*f->v), cmp_field);
		f->sorted = true;
	}
}

/* Exact lookup of name[0..len). */
static struct field *find(const struct kv_falco_fields *f, const char *name, size_t len)
{
	size_t lo = 0, hi = f->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strncmp(f->v[mid].name, name, len);

		if (c == 0)
			c = f->v[mid].name[len] ? 1 : 0;
		if (c == 0)
			return &f->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static bool valid_name(const char *s)
{
	if (!isalpha((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.')
			return false;
	return true;
}

static int add_field(struct kv_falco_fields *f, const char *name, unsigned flags)
{
	struct field *e;

	sort_fields(f);
	e = find(f, name, strlen(name));
	if (e) {
		e->flags |= flags;
		return 0;
	}
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 256;
		struct field *v = realloc(f->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n].name = strdup(name);
	if (!f->v[f->n].name)
		return -ENOMEM;
	f->v[f->n].flags = flags;
	f->n++;
	f->sorted = false;
	return 0;
}

/* Reads PATH: "NAME [TOKEN...]" lines. must_exist: NAME must already be known
 * (field_args.txt annotates fields.txt, it does not add to it). */
static int load_list(struct kv_falco_fields *f, const char *path, bool must_exist, char *err,
		     size_t errlen)
{
	char line[512];
	unsigned lineno = 0;
	FILE *fp = fopen(path, "re");
	int ret = 0;

	if (!fp) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	while (fgets(line, sizeof(line), fp)) {
		char *save = NULL, *name, *tok;
		unsigned flags = 0;
		size_t n;

		lineno++;
		n = strcspn(line, "#\r\n");
		line[n] = '\0';
		name = strtok_r(line, " \t", &save);
		if (!name)
			continue;
		/* A scraped description fragment ("evt.arg.filename."), not a field. */
		if (name[strlen(name) - 1] == '.')
			continue;
		if (!valid_name(name)) {
			snprintf(err, errlen, "%s:%u: invalid field name '%s'", path, lineno, name);
			ret = -EINVAL;
			break;
		}
		while ((tok = strtok_r(NULL, " \t", &save))) {
			size_t i;

			for (i = 0; i < sizeof(field_tokens) / sizeof(field_tokens[0]); i++)
				if (!strcmp(tok, field_tokens[i].tok))
					break;
			if (i == sizeof(field_tokens) / sizeof(field_tokens[0])) {
				snprintf(err, errlen, "%s:%u: unknown token '%s'", path, lineno,
					 tok);
				ret = -EINVAL;
				goto out;
			}
			flags |= field_tokens[i].flag;
		}
		sort_fields(f);
		if (must_exist && !find(f, name, strlen(name))) {
			snprintf(err, errlen, "%s:%u: '%s' is not in fields.txt", path, lineno,
				 name);
			ret = -EINVAL;
			break;
		}
		ret = add_field(f, name, flags);
		if (ret) {
			snprintf(err, errlen, "%s: %s", path, strerror(-ret));
			break;
		}
	}
out:
	fclose(fp);
	sort_fields(f);
	return ret;
}

int kv_falco_fields_load(const char *dir, struct kv_falco_fields **out, char *err, size_t errlen)
{
	struct kv_falco_fields *f = calloc(1, sizeof(*f));
	char path[4096];
	int ret;

	if (!f)
		return -ENOMEM;
	f->sorted = true;
	snprintf(path, sizeof(path), "%s/fields.txt", dir);
	ret = load_list(f, path, false, err, errlen);
	if (!ret) {
		snprintf(path, sizeof(path), "%s/field_args.txt", dir);
		ret = load_list(f, path, true, err, errlen);
	}
	if (ret) {
		kv_falco_fields_free(f);
		return ret;
	}
	*out = f;
	return 0;
}

int kv_falco_fields_add_plugin(struct kv_falco_fields *f, const char *dir, const char *plugin,
			       char *err, size_t errlen)
{
	char path[4096], **v;
	size_t i;
	int ret;

	for (i = 0; i < f->nplugins; i++)
		if (!strcmp(f->plugins[i], plugin))
			return 0;
	for (i = 0; plugin[i]; i++)
		if (!isalnum((unsigned char)plugin[i]) && plugin[i] != '_' && plugin[i] != '-') {
			snprintf(err, errlen, "invalid plugin name '%s'", plugin);
			return -EINVAL;
		}
	snprintf(path, sizeof(path), "%s/plugins/%s.fields", dir, plugin);
	ret = load_list(f, path, false, err, errlen);
	if (ret)
		return ret;
	v = realloc(f->plugins, (f->nplugins + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	f->plugins = v;
	f->plugins[f->nplugins] = strdup(plugin);
	if (!f->plugins[f->nplugins])
		return -ENOMEM;
	f->nplugins++;
	return 0;
}

size_t kv_falco_fields_count(const struct kv_falco_fields *f)
{
	return f->n;
}

void kv_falco_fields_free(struct kv_falco_fields *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->n; i++)
		free(f->v[i].name);
	for (i = 0; i < f->nplugins; i++)
		free(f->plugins[i]);
	free(f->plugins);
	free(f->v);
	free(f);
}

/* Levenshtein distance, capped: only small distances matter for a suggestion. */
static unsigned edit_distance(const char *a, size_t la, const char *b)
{
	unsigned row[128], prev, tmp;
	size_t lb = strlen(b), i, j;

	if (la >= 127 || lb >= 127)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			unsigned best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

static void unknown_field(const struct kv_falco_fields *f, const char *name, size_t len, char *why,
			  size_t whylen)
{
	const char *best = NULL;
	unsigned bestd = 3;
	size_t i;

	for (i = 0; i < f->n; i++) {
		unsigned d = edit_distance(name, len, f->v[i].name);

		if (d < bestd) {
			bestd = d;
			best = f->v[i].name;
		}
	}
	if (best)
		snprintf(why, whylen, "unknown field '%.*s' (did you mean '%s'?)", (int)len, name,
			 best);
	else
		snprintf(why, whylen, "unknown field '%.*s'", (int)len, name);
}

static bool all_digits(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return false;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int check_use(const struct field *e, enum kv_falco_field_use use, char *why, size_t whylen)
{
	if (use == KV_FALCO_USE_OUTPUT && (e->flags & FF_FILTER_ONLY)) {
		snprintf(why, whylen, "field '%s' can be used in conditions only, not in outputs",
			 e->name);
		return -EINVAL;
	}
	if (use == KV_FALCO_USE_FILTER && (e->flags & FF_PRINT_ONLY)) {
		snprintf(why, whylen, "field '%s' can be used in outputs only, not in conditions",
			 e->name);
		return -EINVAL;
	}
	return 0;
}

int kv_falco_field_check(const struct kv_falco_fields *f, const char *name, size_t name_len,
			 bool has_arg, const char *arg, size_t arg_len, enum kv_falco_field_use use,
			 char *why, size_t whylen)
{
	const struct field *e = find(f, name, name_len);
	size_t p;

	if (e) {
		if (has_arg) {
			if (!(e->flags & (FF_INDEX | FF_KEY))) {
				snprintf(why, whylen, "field '%s' takes no argument ('[%.*s]')",
					 e->name, (int)arg_len, arg);
				return -EINVAL;
			}
			if (!(e->flags & FF_KEY) && !all_digits(arg, arg_len)) {
				snprintf(why, whylen,
					 "field '%s' takes a numeric index, not '[%.*s]'", e->name,
					 (int)arg_len, arg);
				return -EINVAL;
			}
		} else if (e->flags & FF_REQUIRED) {
			snprintf(why, whylen, "field '%s' requires an argument (%s%s)", e->name,
				 e->name, (e->flags & FF_DOT) ? ".NAME" : "[...]");
			return -EINVAL;
		}
		return check_use(e, use, why, whylen);
	}
	/* NAME.ARG: the longest known base that accepts a dot argument. */
	for (p = name_len; p > 0; p--) {
		if (name[p - 1] != '.')
			continue;
		e = find(f, name, p - 1);
		if (!e)
			continue;
		if (!(e->flags & FF_DOT) || p == name_len)
			break;
		if (has_arg) {
			snprintf(why, whylen, "field '%.*s' has two arguments", (int)name_len,
				 name);
			return -EINVAL;
		}
		return check_use(e, use, why, whylen);
	}
	unknown_field(f, name, name_len, why, whylen);
	return -EINVAL;
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.';
}

/* The entry name[0..len) refers to: the field itself, or a base taking ".ARG". */
static const struct field *resolve(const struct kv_falco_fields *f, const char *name, size_t len)
{
	const struct field *e = find(f, name, len);
	size_t p;

	if (e)
		return e;
	for (p = len; p > 0; p--) {
		if (name[p - 1] != '.')
			continue;
		e = find(f, name, p - 1);
		if (e)
			return (e->flags & FF_DOT) && p < len ? e : NULL;
	}
	return NULL;
}

size_t kv_falco_field_prefix(const struct kv_falco_fields *f, const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && name_char(s[n]))
		n++;
	while (n > 0) {
		if (s[n - 1] != '.' && resolve(f, s, n))
			return n;
		/* cut back to the previous '.' */
		n--;
		while (n > 0 && s[n] != '.')
			n--;
	}
	return 0;
}
