/* SPDX-License-Identifier: BSD-2-Clause */
/* Falco's field list (falco/fields.txt + falco/field_args.txt, plugin fields under
 * falco/plugins/NAME.fields): which names exist and which arguments they take, so
 * a rule's condition and output can be checked the way Falco's loader checks them. */
#ifndef KV_FALCO_FIELDS_H
#define KV_FALCO_FIELDS_H
#include <stdbool.h>
#include <stddef.h>

struct kv_falco_fields;

enum kv_falco_field_use {
	KV_FALCO_USE_FILTER, /* in a condition */
	KV_FALCO_USE_OUTPUT, /* in an output format */
};

/* Loads DIR/fields.txt and DIR/field_args.txt. 0, -ENOENT/-errno (file), -EINVAL
 * (malformed line, named in err). */
int kv_falco_fields_load(const char *dir, struct kv_falco_fields **out, char *err, size_t errlen);
/* Adds DIR/plugins/PLUGIN.fields. -ENOENT when there is no list for that plugin;
 * adding the same plugin twice is a no-op. */
int kv_falco_fields_add_plugin(struct kv_falco_fields *f, const char *dir, const char *plugin,
			       char *err, size_t errlen);
size_t kv_falco_fields_count(const struct kv_falco_fields *f);
void kv_falco_fields_free(struct kv_falco_fields *f);

/* Checks a field reference as Falco's parser splits it: NAME (which may carry a
 * ".ARG" suffix, e.g. evt.arg.flags, thread.cgroup.cpu) and, when has_arg, the
 * bracket argument ARG (proc.aname[2], proc.env[HOME]). 0 or -EINVAL with the
 * reason in why ("unknown field 'proc.nmae'"). */
int kv_falco_field_check(const struct kv_falco_fields *f, const char *name, size_t name_len,
			 bool has_arg, const char *arg, size_t arg_len, enum kv_falco_field_use use,
			 char *why, size_t whylen);

/* Length of the longest prefix of s (at most len bytes, field-name characters only)
 * that names a field or a field with a ".ARG" suffix; 0 when none. Output formats
 * end a field where the name ends: "%fd.name." is fd.name then ".". */
size_t kv_falco_field_prefix(const struct kv_falco_fields *f, const char *s, size_t len);
#endif
