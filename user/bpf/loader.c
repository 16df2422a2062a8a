// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/loader.h"
#include "bpf/rodata.h"
#include "common/log.h"
#include "common/timing.h"
#include "features/features.h"

#define FEAT "bpf"

struct kv_obj_desc {
	const char *name;
	const void *(*elf_bytes)(size_t *sz);
};
#include "kv_objects.h"

#define KV_NOBJ (sizeof(kv_objects) / sizeof(kv_objects[0]))
#define KV_MAX_LINKS 64

struct kv_bpf {
	struct bpf_object *objs[KV_NOBJ];
	struct bpf_link *links[KV_MAX_LINKS];
	char link_names[KV_MAX_LINKS][32];
	int nlinks;
	bool on_demand; /* hot programs wait for kv_bpf_demand() */
};

/* Programs that run on every syscall of every task on the host. Having any
 * raw_syscalls program attached puts every syscall on the kernel's slow
 * path (measured: an empty one costs getppid 1.5x), so with on_demand they
 * are attached only while a session lives. */
static bool is_hot(const char *prog)
{
	return !strcmp(prog, "kv_sys_exit");
}

/* Objects that need BPF-LSM are named lsm*; they load only where it works. */
static bool needs_lsm(const char *name)
{
	return !strncmp(name, "lsm", 3);
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && kv_verbose < 2)
		return 0;
	if (level == LIBBPF_INFO && kv_verbose < 1)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static struct bpf_map *find_map(struct kv_bpf *b, const char *name, size_t upto)
{
	struct bpf_map *m;
	size_t i;

	for (i = 0; i < upto; i++) {
		if (!b->objs[i])
			continue;
		m = bpf_object__find_map_by_name(b->objs[i], name);
		if (m && bpf_map__fd(m) >= 0)
			return m;
	}
	return NULL;
}

static bool is_internal_map(const char *name)
{
	return strchr(name, '.') != NULL; /* .rodata, .bss, obj.rodata ... */
}

/* A pinned map from another build must have the layout this build's
 * programs expect; reusing it blindly would let them misread every value. */
static int check_compat(const struct bpf_map *m, int fd, const char *path)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != bpf_map__type(m) || info.key_size != bpf_map__key_size(m) ||
	    info.value_size != bpf_map__value_size(m)) {
		kv_warn(FEAT, "pinned map %s does not match this build (type %u/%u, key %u/%u, "
			"value %u/%u bytes): end the running sessions and start with --replace-pins",
			path, info.type, bpf_map__type(m), info.key_size, bpf_map__key_size(m),
			info.value_size, bpf_map__value_size(m));
		return -EPROTO;
	}
	return 0;
}

/* Before load: shared maps reuse the fds of earlier objects or of pins. */
static int share_maps(struct kv_bpf *b, size_t idx, const struct kv_bpf_opts *o)
{
	struct bpf_map *m, *prev;
	char path[PATH_MAX];
	int err, fd;

	bpf_object__for_each_map(m, b->objs[idx]) {
		const char *name = bpf_map__name(m);
		const struct kv_map_size *sz;

		if (is_internal_map(name))
			continue;
		for (sz = o->map_sizes; sz && sz->name; sz++)
			if (!strcmp(sz->name, name))
				bpf_map__set_max_entries(m, sz->max_entries);
		if (!strcmp(name, "kv_events") && o->ringbuf_bytes)
			bpf_map__set_max_entries(m, o->ringbuf_bytes);
		if (o->adopt_dir) {
			snprintf(path, sizeof(path), "%s/%s", o->adopt_dir, name);
			fd = bpf_obj_get(path);
			if (fd >= 0) {
				err = check_compat(m, fd, path);
				err = err ?: bpf_map__reuse_fd(m, fd);
				close(fd);
				if (err)
					return err;
				continue;
			}
		}
		prev = find_map(b, name, idx);
		if (!prev)
			continue;
		err = bpf_map__reuse_fd(m, bpf_map__fd(prev));
		if (err)
			return err;
	}
	return 0;
}

/* libbpf 1.1 has no section names for the AF_UNIX hooks (kernel >= 6.7):
 * such programs are declared "?cgroup/connect4" / "?cgroup/sendmsg4" and
 * retargeted here where the kernel's BTF names the attach type. */
static void setup_programs(struct bpf_object *obj, const struct kv_features *f, bool lsm_loaded)
{
	/* seccomp refusals: at seccomp's verdict where that works and BPF-LSM
	 * (loaded) does the fork check, else at sys_exit */
	bool at_seccomp = kv_count_at_seccomp(f) && lsm_loaded;
	const struct {
		const char *prog;
		int attach_type;
	} retarget[] = {
		{ "kv_connect_unix", f->connect_unix.ok ? f->connect_unix_attach_type : -1 },
		{ "kv_sendmsg_unix", f->connect_unix.ok ? f->sendmsg_unix_attach_type : -1 },
	};
	struct bpf_program *p;
	size_t i;

	bpf_object__for_each_program(p, obj) {
		if (!strcmp(bpf_program__name(p), "kv_seccomp_exit"))
			bpf_program__set_autoload(p, at_seccomp);
		if (!strcmp(bpf_program__name(p), "kv_sys_exit"))
			bpf_program__set_autoload(p, !at_seccomp);
		for (i = 0; i < sizeof(retarget) / sizeof(retarget[0]); i++) {
			if (strcmp(bpf_program__name(p), retarget[i].prog))
				continue;
			bpf_program__set_autoload(p, retarget[i].attach_type >= 0);
			if (retarget[i].attach_type >= 0)
				bpf_program__set_expected_attach_type(
					p, (enum bpf_attach_type)retarget[i].attach_type);
		}
	}
}

int kv_bpf_open_load(const struct kv_bpf_opts *o, struct kv_bpf **out)
{
	const struct kv_features *f = kv_features_get();
	struct kv_bpf *b;
	size_t i;
	int err = 0;

	libbpf_set_print(libbpf_log);
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->on_demand = o->on_demand;
	for (i = 0; i < KV_NOBJ; i++) {
		LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = kv_objects[i].name);
		const void *bytes;
		size_t sz;

		if (needs_lsm(kv_objects[i].name) && !o->lsm)
			continue;
		/* open */
		bytes = kv_objects[i].elf_bytes(&sz);
		b->objs[i] = bpf_object__open_mem(bytes, sz, &oo);
		kv_timing_markf("bpf: %s opened", kv_objects[i].name);
		if (!b->objs[i]) {
			err = -errno;
			kv_warn(FEAT, "open %s: %s", kv_objects[i].name, strerror(-err));
			goto fail;
		}
		/* set rodata: which cgroup level is a session */
		err = kv_rodata_set(b->objs[i], "kv_session_level", &o->session_level,
				    sizeof(o->session_level));
		if (err && err != -ENOENT)
			goto fail;
		setup_programs(b->objs[i], f, kv_bpf_has_lsm(b));
		err = share_maps(b, i, o);
		if (err)
			goto fail;
		/* load */
		err = bpf_object__load(b->objs[i]);
		kv_timing_markf("bpf: %s loaded (verified)", kv_objects[i].name);
		if (err && needs_lsm(kv_objects[i].name)) {
			/* BPF-LSM probed fine but this object did not load: run
			 * with the fallbacks rather than not at all, and say so */
			kv_warn(FEAT, "load %s: %s: continuing without BPF-LSM (Landlock and "
				"tracepoints enforce instead; run with -vv for the verifier log)",
				kv_objects[i].name, strerror(-err));
			bpf_object__close(b->objs[i]);
			b->objs[i] = NULL;
			err = 0;
			continue;
		}
		if (err) {
			kv_warn(FEAT, "load %s: %s", kv_objects[i].name, strerror(-err));
			goto fail;
		}
		kv_debug(FEAT, "loaded %s", kv_objects[i].name);
	}
	*out = b;
	return 0;
fail:
	kv_bpf_destroy(b);
	return err ? err : -EINVAL;
}

static bool is_cgroup_prog(enum bpf_prog_type t)
{
	switch (t) {
	case BPF_PROG_TYPE_CGROUP_SKB:
	case BPF_PROG_TYPE_CGROUP_SOCK:
	case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
	case BPF_PROG_TYPE_CGROUP_DEVICE:
	case BPF_PROG_TYPE_CGROUP_SYSCTL:
	case BPF_PROG_TYPE_CGROUP_SOCKOPT:
		return true;
	default:
		return false;
	}
}

/* A link pinned by an earlier daemon: swap in our program atomically
 * (BPF_LINK_UPDATE), so a restart or upgrade never leaves a window. */
static struct bpf_link *adopt_link(struct bpf_program *p, const char *pin_dir)
{
	char path[PATH_MAX];
	struct bpf_link *l;

	if (!pin_dir)
		return NULL;
	snprintf(path, sizeof(path), "%s/link_%s", pin_dir, bpf_program__name(p));
	l = bpf_link__open(path);
	if (!l)
		return NULL;
	if (bpf_link__update_program(l, p)) {
		/* tracing links cannot be updated in place (EINVAL): keep the
		 * pinned program, it already uses these very maps; attaching
		 * ours too would count every event twice */
		kv_debug(FEAT, "adopted %s as it is (%s)", path, strerror(errno));
		return l;
	}
	kv_debug(FEAT, "adopted %s with this build's program", path);
	return l;
}

int kv_bpf_attach_pinned(struct kv_bpf *b, int cgroup_fd, const char *pin_dir)
{
	struct bpf_program *p;
	size_t i;
	int err;

	for (i = 0; i < KV_NOBJ; i++) {
		if (!b->objs[i])
			continue;
		bpf_object__for_each_program(p, b->objs[i]) {
			struct bpf_link *l;

			if (!bpf_program__autoload(p))
				continue;
			if (b->nlinks >= KV_MAX_LINKS)
				return -E2BIG;
			/* attach: cgroup programs to the cgroup (multi-attach links
			 * leave other owners' programs in place), the rest globally */
			l = adopt_link(p, pin_dir);
			if (l)
				; /* the pinned link now runs this build's program: no gap */
			else if (b->on_demand && is_hot(bpf_program__name(p)))
				continue; /* kv_bpf_demand() attaches it */
			else if (is_cgroup_prog(bpf_program__type(p)))
				l = bpf_program__attach_cgroup(p, cgroup_fd);
			else
				l = bpf_program__attach(p);
			if (!l) {
				err = -errno;
				kv_warn(FEAT, "attach %s: %s", bpf_program__name(p), strerror(-err));
				return err;
			}
			snprintf(b->link_names[b->nlinks], sizeof(b->link_names[0]), "%s",
				 bpf_program__name(p));
			b->links[b->nlinks++] = l;
		}
	}
	return 0;
}

static int link_index(const struct kv_bpf *b, const char *name)
{
	int j;

	for (j = 0; j < b->nlinks; j++)
		if (!strcmp(b->link_names[j], name))
			return j;
	return -1;
}

static int demand_one(struct kv_bpf *b, struct bpf_program *p, bool on, const char *pin_dir)
{
	const char *name = bpf_program__name(p);
	int j = link_index(b, name), err;
	char path[PATH_MAX];
	struct bpf_link *l;

	if (on == (j >= 0))
		return 0;
	if (pin_dir)
		snprintf(path, sizeof(path), "%s/link_%s", pin_dir, name);
	if (!on) {
		/* unpin first: the pin, not our fd, is what keeps it attached */
		if (bpf_link__pin_path(b->links[j]))
			bpf_link__unpin(b->links[j]);
		else if (pin_dir)
			unlink(path);
		bpf_link__destroy(b->links[j]);
		b->links[j] = b->links[b->nlinks - 1];
		memcpy(b->link_names[j], b->link_names[b->nlinks - 1], sizeof(b->link_names[0]));
		b->nlinks--;
		return 1;
	}
	if (b->nlinks >= KV_MAX_LINKS)
		return -E2BIG;
	l = bpf_program__attach(p);
	if (!l)
		return -errno;
	if (pin_dir && bpf_link__pin(l, path)) {
		err = -errno;
		bpf_link__destroy(l);
		return err;
	}
	snprintf(b->link_names[b->nlinks], sizeof(b->link_names[0]), "%s", name);
	b->links[b->nlinks++] = l;
	return 1;
}

int kv_bpf_demand(struct kv_bpf *b, bool on, const char *pin_dir)
{
	struct bpf_program *p;
	int err, changed = 0;
	size_t i;

	for (i = 0; i < KV_NOBJ; i++) {
		if (!b->objs[i])
			continue;
		bpf_object__for_each_program(p, b->objs[i]) {
			if (!bpf_program__autoload(p) || !is_hot(bpf_program__name(p)))
				continue;
			err = demand_one(b, p, on, pin_dir);
			if (err < 0) {
				kv_warn(FEAT, "%s %s: %s", on ? "attach" : "detach",
					bpf_program__name(p), strerror(-err));
				return err;
			}
			changed |= err;
		}
	}
	return changed;
}

bool kv_bpf_demand_attached(const struct kv_bpf *b)
{
	int j;

	for (j = 0; j < b->nlinks; j++)
		if (is_hot(b->link_names[j]))
			return true;
	return false;
}

int kv_bpf_attach(struct kv_bpf *b, int cgroup_fd)
{
	return kv_bpf_attach_pinned(b, cgroup_fd, NULL);
}

int kv_bpf_map_fd(const struct kv_bpf *b, const char *name)
{
	struct bpf_map *m = find_map((struct kv_bpf *)b, name, KV_NOBJ);

	return m ? bpf_map__fd(m) : -ENOENT;
}

int kv_bpf_prog_fd(const struct kv_bpf *b, const char *name)
{
	struct bpf_program *p;
	size_t i;

	for (i = 0; i < KV_NOBJ; i++) {
		if (!b->objs[i])
			continue;
		p = bpf_object__find_program_by_name(b->objs[i], name);
		if (p && bpf_program__fd(p) >= 0)
			return bpf_program__fd(p);
	}
	return -ENOENT;
}

int kv_bpf_link_count(const struct kv_bpf *b)
{
	return b->nlinks;
}

int kv_bpf_pin_maps(struct kv_bpf *b, const char *dir)
{
	char path[PATH_MAX];
	struct bpf_map *m;
	size_t i;
	int err;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	for (i = 0; i < KV_NOBJ; i++) {
		if (!b->objs[i])
			continue;
		bpf_object__for_each_map(m, b->objs[i]) {
			const char *name = bpf_map__name(m);

			if (is_internal_map(name))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			if (!access(path, F_OK))
				continue; /* shared map pinned by an earlier object, or adopted */
			err = bpf_map__pin(m, path);
			if (err)
				return err;
		}
	}
	return 0;
}

void kv_bpf_unpin_maps(struct kv_bpf *b, const char *dir)
{
	char path[PATH_MAX];
	struct bpf_map *m;
	size_t i;

	for (i = 0; i < KV_NOBJ; i++) {
		if (!b->objs[i])
			continue;
		bpf_object__for_each_map(m, b->objs[i]) {
			if (is_internal_map(bpf_map__name(m)))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(m));
			unlink(path);
		}
	}
	rmdir(dir);
}

int kv_bpf_pin(struct kv_bpf *b, const char *dir)
{
	char path[PATH_MAX];
	int j, err = kv_bpf_pin_maps(b, dir);

	if (err)
		return err;
	for (j = 0; j < b->nlinks; j++) {
		if (bpf_link__pin_path(b->links[j]))
			continue; /* adopted: pinned already */
		snprintf(path, sizeof(path), "%s/link_%s", dir, b->link_names[j]);
		if (!access(path, F_OK))
			unlink(path);
		err = bpf_link__pin(b->links[j], path);
		if (err)
			return err;
	}
	return 0;
}

bool kv_bpf_has_lsm(const struct kv_bpf *b)
{
	size_t i;

	for (i = 0; i < KV_NOBJ; i++)
		if (b->objs[i] && needs_lsm(kv_objects[i].name))
			return true;
	return false;
}

void kv_bpf_destroy(struct kv_bpf *b)
{
	size_t i;
	int j;

	if (!b)
		return;
	for (j = 0; j < b->nlinks; j++)
		bpf_link__destroy(b->links[j]); /* pinned links stay attached */
	for (i = 0; i < KV_NOBJ; i++)
		bpf_object__close(b->objs[i]);
	free(b);
}
