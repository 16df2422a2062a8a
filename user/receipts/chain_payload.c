// SPDX-License-Identifier: BSD-2-Clause
/* Fields -> the canonical payload of a receipt. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/canon_json.h"
#include "common/log.h"
#include "receipts/chain_internal.h"
#include "receipts/receipt_line.h"

/* Invalid UTF-8 in a string or key becomes "\xNN" per byte (Python's
 * "backslashreplace"), so every receipt is valid UTF-8 and nothing is dropped. */
static char *utf8_repair(const char *s, size_t n, size_t *out_len)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = malloc(4 * n + 1), *o = out;
	size_t i = 0, k;

	if (!out)
		return NULL;
	while (i < n) {
		k = p[i] < 0x80 ? 1 : kv_utf8_seq_len(p + i, n - i);
		if (k) {
			memcpy(o, p + i, k);
			o += k;
			i += k;
		} else {
			o += sprintf(o, "\\x%02x", p[i++]);
		}
	}
	*o = 0;
	*out_len = (size_t)(o - out);
	return out;
}

static struct json_object *utf8_repaired_copy(struct json_object *o)
{
	struct json_object *r;
	size_t i, n, len;
	char *s;

	switch (json_object_get_type(o)) {
	case json_type_string:
		s = utf8_repair(json_object_get_string(o), (size_t)json_object_get_string_len(o),
				&len);
		r = s ? json_object_new_string_len(s, (int)len) : NULL;
		free(s);
		return r;
	case json_type_array:
		n = json_object_array_length(o);
		r = json_object_new_array_ext((int)n);
		for (i = 0; r && i < n; i++)
			json_object_array_add(r,
					      utf8_repaired_copy(json_object_array_get_idx(o, i)));
		return r;
	case json_type_object:
		r = json_object_new_object();
		json_object_object_foreach(o, k, v)
		{
			s = utf8_repair(k, strlen(k), &len);
			if (!r || !s) {
				free(s);
				break;
			}
			json_object_object_add(r, s, utf8_repaired_copy(v));
			free(s);
		}
		return r;
	default:
		return json_object_get(o);
	}
}

/* fields -> canonical payload, checked with the reader's own parser. */
int kv_chain_payload(struct json_object *fields, char **out, size_t *len)
{
	struct json_object *fixed;
	char err[128];
	int ret;
	char *p;

	if (!fields) {
		*out = strdup("{}");
		*len = 2;
		return *out ? 0 : -ENOMEM;
	}
	if (!json_object_is_type(fields, json_type_object))
		return -EINVAL;
	p = kv_json_canonical(fields, len);
	if (!p)
		return errno == EINVAL ? -EINVAL : -ENOMEM;
	ret = kv_canon_check(p, *len, err, sizeof(err));
	if (ret == -EILSEQ) {
		free(p);
		fixed = utf8_repaired_copy(fields);
		p = fixed ? kv_json_canonical(fixed, len) : NULL;
		json_object_put(fixed);
		if (!p)
			return -ENOMEM;
		ret = kv_canon_check(p, *len, err, sizeof(err));
	}
	if (ret) {
		kv_warn("receipts", "fields cannot be sealed: %s", err);
		free(p);
		return ret;
	}
	*out = p;
	return 0;
}
