/* SPDX-License-Identifier: BSD-2-Clause */
/* Loads every BPF object of bpf/progs (the generated skel/kv_objects.h),
 * libbpf-bootstrap style: open -> set rodata -> load -> attach. The objects
 * share the maps of kv_common.bpf.h: the first object creates them, the
 * others reuse their fds by name, so there is one session table, one set of
 * counters and one ring buffer for all hook groups. */
#ifndef KV_LOADER_H
#define KV_LOADER_H
#include <stdbool.h>
#include <stdint.h>

struct kv_bpf;

struct kv_map_size {
	const char *name;
	uint32_t max_entries;
};

struct kv_bpf_opts {
	uint32_t session_level;   /* cgroup level of session cgroups */
	uint32_t ringbuf_bytes;   /* power of two, >= 4096; 0 = default 4 MiB */
	bool lsm;                 /* load the BPF-LSM objects (kernel supports them) */
	const struct kv_map_size *map_sizes; /* optional, NULL-name terminated */
	const char *adopt_dir;    /* reuse maps pinned here (daemon restart), or NULL */
	bool on_demand;           /* the every-syscall tracepoint only via kv_bpf_demand() */
};

int kv_bpf_open_load(const struct kv_bpf_opts *o, struct kv_bpf **out);
/* Attach every loaded program: cgroup programs to cgroup_fd (BPF links,
 * multi-attach), tracing/LSM programs globally. 0 or negative errno. */
int kv_bpf_attach(struct kv_bpf *b, int cgroup_fd);
/* The same, but programs whose link is pinned under pin_dir (link_<prog>)
 * replace the pinned link's program atomically instead of attaching again. */
int kv_bpf_attach_pinned(struct kv_bpf *b, int cgroup_fd, const char *pin_dir);
/* on_demand objects: attach (and pin under pin_dir, if not NULL) or detach
 * (and unpin) the programs that run on every syscall of the host. 1 when
 * something changed, 0 when it already was so, or negative errno. */
int kv_bpf_demand(struct kv_bpf *b, bool on, const char *pin_dir);
bool kv_bpf_demand_attached(const struct kv_bpf *b);
/* fd of a map of any object, by name; negative errno if none. */
int kv_bpf_map_fd(const struct kv_bpf *b, const char *map_name);
/* Pin shared maps and links under dir (created). 0 or negative errno. */
int kv_bpf_pin(struct kv_bpf *b, const char *dir);
/* Maps only (embedded `run`: inspectable, but detached when run ends). */
int kv_bpf_pin_maps(struct kv_bpf *b, const char *dir);
void kv_bpf_unpin_maps(struct kv_bpf *b, const char *dir);
/* Removes the directories under parent whose pinned maps no loaded program
 * uses any more (runs killed before they could unpin; user/bpf/sweep.c).
 * How many were removed, or negative errno (then none is). */
int kv_bpf_sweep_orphan_pins(const char *parent);
/* Removes what kavachos pins in dir (kv_* maps, link_* links), then dir
 * if that left it empty. 0, or the first failure's negative errno. */
int kv_bpf_remove_pins(const char *dir);
/* Attached links, for the daemon's log. */
int kv_bpf_link_count(const struct kv_bpf *b);
/* prog fd by program name, or negative errno. */
int kv_bpf_prog_fd(const struct kv_bpf *b, const char *prog_name);
/* True when a BPF-LSM object (lsm*) is loaded. */
bool kv_bpf_has_lsm(const struct kv_bpf *b);
void kv_bpf_destroy(struct kv_bpf *b);
#endif
