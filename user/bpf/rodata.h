/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef KV_RODATA_H
#define KV_RODATA_H
#include <stddef.h>
struct bpf_object;
/* 0, -ENOENT (no such variable), -EINVAL (size mismatch), or libbpf's error. */
int kv_rodata_set(struct bpf_object *obj, const char *var, const void *val, size_t len);
#endif
