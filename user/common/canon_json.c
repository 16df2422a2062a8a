// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/canon_json.h"

struct buf {
	char *p;
	size_t len, cap;
	int err;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np) {
			b->err = ENOMEM;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void put_str(struct buf *b, const char *s, size_t n)
{
	char esc[8];
	size_t i;

	put(b, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"': put(b, "\\\"", 2); break;
		case '\\': put(b, "\\\\", 2); break;
		case '\b': put(b, "\\b", 2); break;
		case '\f': put(b, "\\f", 2); break;
		case '\n': put(b, "\\n", 2); break;
		case '\r': put(b, "\\r", 2); break;
		case '\t': put(b, "\\t", 2); break;
		default:
			if (c < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				put(b, esc, 6);
			} else {
				put(b, (const char *)&s[i], 1);
			}
		}
	}
	put(b, "\"", 1);
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void emit(struct buf *b, struct json_object *o)
{
	char num[32];

	if (b->err)
		return;
	switch (json_object_get_type(o)) {
	case json_type_null:
		put(b, "null", 4);
		break;
	case json_type_boolean:
		if (json_object_get_boolean(o))
			put(b, "true", 4);
		else
			put(b, "false", 5);
		break;
	case json_type_int: {
		/* json-c keeps u64 values above INT64_MAX as unsigned */
		int64_t v = json_object_get_int64(o);

		if (v == INT64_MAX && json_object_get_uint64(o) > (uint64_t)INT64_MAX)
			snprintf(num, sizeof(num), "%llu",
				 (unsigned long long)json_object_get_uint64(o));
		else
			snprintf(num, sizeof(num), "%lld", (long long)v);
		put(b, num, strlen(num));
		break;
	}
	case json_type_double:
		b->err = EINVAL; /* floats have no canonical form here */
		break;
	case json_type_string:
		put_str(b, json_object_get_string(o), (size_t)json_object_get_string_len(o));
		break;
	case json_type_array: {
		size_t i, n = json_object_array_length(o);

		put(b, "[", 1);
		for (i = 0; i < n; i++) {
			if (i)
				put(b, ",", 1);
			emit(b, json_object_array_get_idx(o, i));
		}
		put(b, "]", 1);
		break;
	}
	case json_type_object: {
		size_t n = (size_t)json_object_object_length(o), i = 0;
		const char **keys = calloc(n ? n : 1, sizeof(*keys));

		if (!keys) {
			b->err = ENOMEM;
			return;
		}
		json_object_object_foreach(o, k, v) {
			(void)v;
			keys[i++] = k;
		}
		qsort(keys, n, sizeof(*keys), key_cmp);
		put(b, "{", 1);
		for (i = 0; i < n; i++) {
			if (i)
				put(b, ",", 1);
			put_str(b, keys[i], strlen(keys[i]));
			put(b, ":", 1);
			emit(b, json_object_object_get(o, keys[i]));
		}
		put(b, "}", 1);
		free(keys);
		break;
	}
	}
}

char *kv_json_canonical(struct json_object *o, size_t *len)
{
	struct buf b = { 0 };

	emit(&b, o);
	if (!b.err && !b.p)
		put(&b, "", 0);
	if (b.err) {
		free(b.p);
		errno = b.err;
		return NULL;
	}
	if (len)
		*len = b.len;
	return b.p;
}
