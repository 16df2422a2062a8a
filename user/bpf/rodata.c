// SPDX-License-Identifier: BSD-2-Clause
/* Set a `const volatile` global of an opened (not yet loaded) object by
 * name, through the BTF of its .rodata section: what a typed skeleton's
 * skel->rodata->x = v does, for objects we handle generically. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "bpf/rodata.h"

int kv_rodata_set(struct bpf_object *obj, const char *var, const void *val, size_t len)
{
	const struct btf_var_secinfo *vs;
	struct bpf_map *map = NULL, *m;
	const struct btf_type *sec;
	const struct btf *btf;
	const void *init;
	size_t size;
	int id, i, err = -ENOENT;
	void *copy;

	bpf_object__for_each_map(m, obj) {
		const char *n = bpf_map__name(m);
		size_t nl = strlen(n);

		if (nl >= 7 && !strcmp(n + nl - 7, ".rodata"))
			map = m;
	}
	btf = bpf_object__btf(obj);
	if (!map || !btf)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (id < 0)
		return -ENOENT;
	sec = btf__type_by_id(btf, id);
	init = bpf_map__initial_value(map, &size);
	if (!init)
		return -ENOENT;
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *t = btf__type_by_id(btf, vs->type);

		if (strcmp(btf__name_by_offset(btf, t->name_off), var))
			continue;
		if (vs->size != len || vs->offset + len > size)
			return -EINVAL;
		copy = malloc(size);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, init, size);
		memcpy((char *)copy + vs->offset, val, len);
		err = bpf_map__set_initial_value(map, copy, size);
		free(copy);
		return err;
	}
	return err;
}
