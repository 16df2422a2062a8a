// SPDX-License-Identifier: BSD-2-Clause
/* Hook names for events, and whether this kernel has every hook lsm.bpf.c
 * attaches to (the feature probe only tries file_open). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "kv_events.h"
#include "lsm/lsm.h"
#include "lsm.skel.h"

static const char *const hook_names[KV_LSM_HOOK_MAX] = {
	[KV_LSM_FILE_OPEN] = "file_open",
	[KV_LSM_INODE_CREATE] = "create",
	[KV_LSM_INODE_UNLINK] = "unlink",
	[KV_LSM_INODE_RENAME] = "rename",
	[KV_LSM_INODE_LINK] = "link",
	[KV_LSM_PATH_TRUNCATE] = "truncate",
	[KV_LSM_BPRM_CHECK] = "bprm_check_security",
	[KV_LSM_PTRACE] = "ptrace_access_check",
	[KV_LSM_TASK_KILL] = "task_kill",
	[KV_LSM_SB_MOUNT] = "sb_mount",
	[KV_LSM_SB_UMOUNT] = "sb_umount",
	[KV_LSM_MOVE_MOUNT] = "move_mount",
	[KV_LSM_BPF] = "bpf",
	[KV_LSM_KMOD] = "kernel_module",
	[KV_LSM_UNIX_CONNECT] = "unix_connect",
	[KV_LSM_TASK_ALLOC] = "task_alloc",
	[KV_LSM_HOOK_SETATTR] = "setattr",
	[KV_LSM_HOOK_XATTR] = "xattr",
	[KV_LSM_HOOK_UNIX_SENDMSG] = "unix_sendmsg",
};

const char *kv_lsm_hook_name(uint32_t hook)
{
	return hook < KV_LSM_HOOK_MAX && hook_names[hook] ? hook_names[hook] : "unknown";
}

static int quiet(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	(void)l;
	(void)fmt;
	(void)ap;
	return 0;
}

int kv_lsm_hooks_check(char *missing, size_t len)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "lsm");
	libbpf_print_fn_t old = libbpf_set_print(quiet);
	struct bpf_object *obj;
	struct bpf_program *p;
	struct btf *btf;
	const void *bytes;
	size_t sz, used = 0;
	int err = 0;

	missing[0] = 0;
	bytes = lsm_bpf__elf_bytes(&sz);
	obj = bpf_object__open_mem(bytes, sz, &oo);
	btf = btf__load_vmlinux_btf();
	libbpf_set_print(old);
	if (!obj || !btf) {
		snprintf(missing, len, "%s", !obj ? "lsm object does not open" : "no kernel BTF");
		bpf_object__close(obj);
		btf__free(btf);
		return -ENOENT;
	}
	bpf_object__for_each_program(p, obj) {
		const char *sec = bpf_program__section_name(p);
		char fn[128];

		if (strncmp(sec, "lsm/", 4))
			continue;
		snprintf(fn, sizeof(fn), "bpf_lsm_%s", sec + 4);
		if (btf__find_by_name_kind(btf, fn, BTF_KIND_FUNC) > 0)
			continue;
		err = -ENOENT;
		used += snprintf(missing + used, used < len ? len - used : 0, "%s%s",
				 used ? ", " : "", sec + 4);
		if (used >= len)
			used = len - 1;
	}
	bpf_object__close(obj);
	btf__free(btf);
	return err;
}
