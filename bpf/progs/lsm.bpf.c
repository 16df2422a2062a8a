// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* BPF-LSM enforcement of files, exec and process operations, per session.
 *
 * Loaded only where the feature probe found BPF-LSM working (the loader
 * skips objects named lsm* elsewhere). Every hook starts with the same
 * one ancestor-cgroup lookup as the other hook groups: a task outside the
 * sessions is allowed at once and pays nothing else.
 *
 * Files: decisions use inode identity (kv_lsm.h): the object's dentry
 * chain is walked up to its filesystem's root and the flags of every
 * ancestor listed in kv_lsm_inodes are OR'ed. Secrets (and anything
 * beneath them, whatever it is called later) cannot be opened, linked,
 * renamed, removed or changed; writes need a write root above the object.
 * Secret name patterns (".env", "*.pem") are matched on the final name.
 *
 * Process: ptrace, signals, mount, bpf(), module loading, AF_UNIX connects
 * (where the kernel has no cgroup/connect_unix) and, with the gate valve,
 * fork. Every denial returns EACCES (files) or EPERM, is counted in the
 * session's violation class and streamed as a KV_EV_LSM_DENY event.
 *
 * The denial event (the cold path) is a global subprogram: verified once
 * per program, not once per call site. It takes a struct lsm_req on the
 * caller's stack whose kernel pointers are plain numbers to it: every
 * dereference there is a probe read. The hot path (the judgment) reads
 * BTF-typed pointers directly. */
#include "kv_common.bpf.h"
#include "kv_egress.h"
#include "kv_lsm.h"

#define EACCES 13
#define AF_UNIX 1
#define FMODE_WRITE 0x2
#define CLONE_THREAD 0x00010000
#define PTRACE_MODE_ATTACH 0x02
#define PROC_SUPER_MAGIC 0x9fa0
#define PIPEFS_MAGIC 0x50495045
#define SOCKFS_MAGIC 0x534F434B
#define ANON_INODE_FS_MAGIC 0x09041934
#define UNIX_PATH_MAX 108
#define SUN_PATH_OFF 2

/* internal: the walk reached the filesystem's root (not too deep) */
#define WALK_ROOT (1u << 31)

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KV_MAX_SESSIONS);
	__type(key, __u64);
	__type(value, struct kv_lsm_conf);
} kv_lsm_conf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KV_LSM_DEF_INODES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct kv_lsm_ikey);
	__type(value, struct kv_lsm_ival);
} kv_lsm_inodes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KV_LSM_DEF_NAMES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct kv_lsm_nkey);
	__type(value, struct kv_lsm_ival);
} kv_lsm_names SEC(".maps");

/* The egress object's AF_UNIX allowlist (kv_egress.h), shared by name: on
 * kernels without cgroup/connect_unix this object judges Unix connects. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, KV_EGRESS_DEF_UNIX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct kv_egress_ukey);
	__type(value, struct kv_egress_uval);
} kv_egress_unix SEC(".maps");

/* Kernels before 6.1 kept the ancestors' ids instead of pointers. */
struct cgroup___old {
	int level;
	__u64 ancestor_ids[];
} __attribute__((preserve_access_index));

/* A denial, as a hook hands it to lsm_emit(). */
struct lsm_req {
	__u64 session;
	__u64 target;  /* the event's target (with target_ino: the inode number) */
	/* the event's path: the first of these that is set */
	__u64 mnt;     /* struct vfsmount *, with dentry: full path (else within its fs) */
	__u64 dentry;  /* struct dentry * */
	__u64 kstr;    /* const char *: a kernel string */
	__u64 upath;   /* a kv_egress_ukey path on the stack (abstract: 0, len, name) */
	__u64 task;    /* struct task_struct *: its comm */
	__u32 cls;     /* enum kv_class */
	__u32 hook;    /* enum kv_lsm_hook */
	__s32 err;
	__u8 quiet;    /* refuse without counting: probes, not attempts */
	__u8 target_ino; /* target = the inode of dentry */
	__u8 _pad[2];
};

/* ---- sessions of other tasks ---------------------------------------- */

/* The session id of any task: its default-hierarchy cgroup's ancestor at
 * kv_session_level, as bpf_get_current_ancestor_cgroup_id gives for the
 * current one. 0 when the task sits above that level. */
static __always_inline __u64 task_session(struct task_struct *t)
{
	struct cgroup *cg = BPF_CORE_READ(t, cgroups, dfl_cgrp);
	__u32 lvl = kv_session_level;
	struct cgroup *anc = 0;
	__u64 id = 0, off;
	int level;

	if (!cg || lvl > 4096)
		return 0;
	level = BPF_CORE_READ(cg, level);
	if (level < (int)lvl)
		return 0;
	if (bpf_core_field_exists(cg->ancestors)) {
		off = bpf_core_field_offset(struct cgroup, ancestors);
		if (bpf_probe_read_kernel(&anc, sizeof(anc), (void *)cg + off + lvl * sizeof(anc)))
			return 0;
		return BPF_CORE_READ(anc, kn, id);
	}
	off = bpf_core_field_offset(struct cgroup___old, ancestor_ids);
	if (bpf_probe_read_kernel(&id, sizeof(id), (void *)cg + off + lvl * sizeof(id)))
		return 0;
	return id;
}

/* The task a /proc inode belongs to (its struct pid's first task). */
static __always_inline struct task_struct *proc_task(struct inode *inode)
{
	struct proc_inode *pi =
		(void *)inode - bpf_core_field_offset(struct proc_inode, vfs_inode);
	struct hlist_node *first;
	struct pid *pid;

	pid = BPF_CORE_READ(pi, pid);
	if (!pid)
		return 0;
	first = BPF_CORE_READ(pid, tasks[0].first); /* PIDTYPE_PID */
	if (!first)
		return 0;
	return (void *)first - bpf_core_field_offset(struct task_struct, pid_links);
}

static __always_inline __u32 lsm_gate(__u64 session, struct kv_session *s)
{
	if (!(s->flags & KV_SF_ENFORCE_GATE))
		return KV_GATE_OPEN;
	return kv_gate_state(session);
}

/* ---- denial events --------------------------------------------------- */

/* The event is reserved with 2 * KV_PATH_LEN bytes of scratch behind it:
 * the path is assembled there right to left, then copied into e->path.
 * (Event-private scratch: no per-CPU buffer another program could share.) */
#define EV_SCRATCH (2 * KV_PATH_LEN)
#define PMASK (KV_PATH_LEN - 1)

struct path_ctx {
	char *scratch;
	struct dentry *d;
	struct mount *mnt; /* NULL: stop at the filesystem's root */
	struct dentry *mroot;
	__u32 r; /* the path starts at scratch[r] */
};

/* Prepends "/name"; false when it does not fit (the path starts mid-way). */
static __always_inline bool put_name(struct path_ctx *p, struct dentry *d)
{
	const unsigned char *name = BPF_CORE_READ(d, d_name.name);
	__u32 len = BPF_CORE_READ(d, d_name.len), r = p->r;

	if (len + 1 > r)
		return false;
	r -= len;
	bpf_probe_read_kernel(&p->scratch[r & PMASK], len & PMASK, name);
	r -= 1;
	p->scratch[r & PMASK] = '/';
	p->r = r;
	return true;
}

/* One component per call (bpf_loop: verified once, whatever the depth). */
static long path_step(__u32 i, struct path_ctx *p)
{
	struct dentry *d = p->d, *parent = BPF_CORE_READ(d, d_parent);
	struct mount *mnt = p->mnt, *mp;

	if (d == parent && d != p->mroot) {
		/* a pseudo file's lone dentry ("memfd:x"), or disconnected */
		put_name(p, d);
		return 1;
	}
	if (d == p->mroot || d == parent) {
		/* at the root of a mount: continue at its mountpoint */
		if (!mnt)
			return 1;
		mp = BPF_CORE_READ(mnt, mnt_parent);
		if (!mp || mp == mnt)
			return 1;
		p->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		p->mnt = mp;
		p->mroot = BPF_CORE_READ(mp, mnt.mnt_root);
		return 0;
	}
	if (!put_name(p, d))
		return 1;
	p->d = parent;
	return 0;
}

static __always_inline void path_fill(char *out, char *scratch, struct vfsmount *vmnt,
				      struct dentry *d)
{
	struct path_ctx p = { .scratch = scratch, .d = d, .r = KV_PATH_LEN - 1 };

	if (vmnt) {
		p.mnt = (void *)vmnt - bpf_core_field_offset(struct mount, mnt);
		p.mroot = BPF_CORE_READ(vmnt, mnt_root);
	}
	scratch[PMASK] = 0;
	bpf_loop(KV_LSM_PATH_DEPTH, path_step, &p, 0);
	if (p.r == KV_PATH_LEN - 1) {
		p.r -= 1;
		scratch[PMASK - 1] = '/';
	}
	bpf_probe_read_kernel_str(out, KV_PATH_LEN, &scratch[p.r & PMASK]);
}

static __always_inline void unix_path_fill(char *out, const __u8 *p)
{
	__u8 c0 = 0;

	bpf_probe_read_kernel(&c0, 1, p);
	if (c0) {
		bpf_probe_read_kernel_str(out, KV_PATH_LEN, p);
		return;
	}
	/* abstract: 0, length, name -> "@name" */
	out[0] = '@';
	bpf_probe_read_kernel(out + 1, KV_EGRESS_UNIX_PATH - 2, p + 2);
	out[KV_EGRESS_UNIX_PATH - 1] = 0;
}

/* Count the violation (moves the gate valve), stream the event unless
 * rate limited; returns the negative errno for the hook. */
__noinline int lsm_emit(struct lsm_req *r)
{
	struct kv_session_state *st;
	struct kv_session *s;
	struct kv_ev_lsm *e;
	__u64 session;
	char *scratch;
	__s32 err;

	if (!r)
		return -EPERM;
	err = r->err;
	session = r->session;
	s = bpf_map_lookup_elem(&kv_sessions, &session);
	if (!s || r->quiet)
		return -err;
	st = kv_violation(session, s, r->cls);
	if (!st || !kv_rate_allow(s, st, bpf_ktime_get_boot_ns()))
		return -err;
	e = kv_event_reserve(st, sizeof(*e) + EV_SCRATCH);
	if (!e)
		return -err;
	kv_fill_hdr(&e->hdr, KV_EV_LSM_DENY, sizeof(*e), session, r->cls);
	e->hook = r->hook;
	e->err = err;
	e->target = r->target;
	if (r->target_ino && r->dentry) {
		struct dentry *d = (struct dentry *)r->dentry;

		e->target = BPF_CORE_READ(d, d_inode, i_ino);
	}
	__builtin_memset(e->path, 0, sizeof(e->path));
	scratch = (char *)(e + 1);
	if (r->dentry)
		path_fill(e->path, scratch, (struct vfsmount *)r->mnt, (struct dentry *)r->dentry);
	else if (r->kstr)
		bpf_probe_read_kernel_str(e->path, sizeof(e->path), (const char *)r->kstr);
	else if (r->upath)
		unix_path_fill(e->path, (const __u8 *)r->upath);
	else if (r->task)
		bpf_probe_read_kernel_str(e->path, KV_COMM_LEN,
					  (char *)r->task + bpf_core_field_offset(struct task_struct, comm));
	bpf_ringbuf_submit(e, 0);
	return -err;
}

/* ---- inode identity -------------------------------------------------- */

/* The walk reads kernel pointers directly (BTF-typed loads the JIT turns
 * into fault-safe moves), not through bpf_probe_read: it runs on every
 * open of a session task. */
struct walk_ctx {
	struct kv_lsm_ikey k;
	struct dentry *d;
	const struct kv_lsm_conf *c;
	__u32 acc;
};

/* The session's Bloom filter may hold (dev, ino): only then a lookup. */
static __always_inline bool may_inode(const struct kv_lsm_conf *c, __u32 dev, __u64 ino)
{
	__u64 h = kv_lsm_ihash(dev, ino);
	__u32 b1 = KV_LSM_IBIT1(h), b2 = KV_LSM_IBIT2(h);

	return (c->inodes[b1 / 64] >> (b1 % 64)) & (c->inodes[b2 / 64] >> (b2 % 64)) & 1;
}

/* One level: d's flags, then up to its parent. 1 when the walk is over. */
static __always_inline long walk_one(struct walk_ctx *w)
{
	struct dentry *d = w->d, *p;
	struct kv_lsm_ival *v;
	struct inode *ino;

	ino = d->d_inode;
	if (ino && may_inode(w->c, w->k.dev, ino->i_ino)) {
		w->k.ino = ino->i_ino;
		v = bpf_map_lookup_elem(&kv_lsm_inodes, &w->k);
		if (v) {
			w->acc |= v->flags;
			if (w->acc & KV_LSM_I_SECRET) {
				w->acc |= WALK_ROOT;
				return 1;
			}
		}
	}
	p = d->d_parent;
	if (!p || p == d) {
		w->acc |= WALK_ROOT;
		return 1;
	}
	w->d = p;
	return 0;
}

static long walk_step(__u32 i, struct walk_ctx *w)
{
	return walk_one(w);
}

/* Most paths are shallow: their first levels are walked inline, without
 * bpf_loop's call per level; deeper ones go on in bpf_loop. */
#define WALK_INLINE 6

/* OR of the kv_lsm_inodes flags of d and its ancestors, plus WALK_ROOT when
 * the walk reached the filesystem's root (a deeper tree is judged as
 * unknown: refused). Stops early at a secret. */
static __always_inline __u32 chain_flags(__u64 session, const struct kv_lsm_conf *c,
					 struct dentry *d)
{
	struct walk_ctx w = { .d = d, .c = c };
	int i;

	w.k.session = session;
	w.k.dev = d->d_sb->s_dev;
#pragma unroll
	for (i = 0; i < WALK_INLINE; i++)
		if (walk_one(&w))
			return w.acc;
	bpf_loop(KV_LSM_MAX_DEPTH - WALK_INLINE, walk_step, &w, 0);
	return w.acc;
}

/* Names are handled eight bytes at a time (SWAR): no per-byte loop, no
 * callback, on the path every open of a session task takes. */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
#define BYTE_INDEX 0x0001020304050607ULL /* (1 << 8k) * this >> 56 == k */
#define NAME_WORDS (KV_LSM_NAME_LEN / 8)

/* ASCII 'A'..'Z' -> 'a'..'z' in each byte; other bytes unchanged */
static __always_inline __u64 fold_word(__u64 x)
{
	__u64 t = x & ~HIGHS;
	__u64 ge_a = t + (0x80 - 'A') * ONES, gt_z = t + (0x80 - 'Z' - 1) * ONES;

	return x | ((ge_a & ~gt_z & ~x & HIGHS) >> 2);
}

/* bit 7 set in each byte of x that is a '.', nothing else */
static __always_inline __u64 dots(__u64 x)
{
	__u64 y = x ^ ('.' * ONES);

	return ~(((y & ~HIGHS) + ~HIGHS) | y | ~HIGHS);
}

static __always_inline int low_byte(__u64 m) /* m != 0 */
{
	return (int)((((m & -m) >> 7) * BYTE_INDEX) >> 56);
}

static __always_inline int high_byte(__u64 m) /* m != 0 */
{
	m |= m >> 8;
	m |= m >> 16;
	m |= m >> 32;
	return (int)((((m & ~(m >> 8)) >> 7) * BYTE_INDEX) >> 56);
}

/* The session's names of one kind may include this one (its key words):
 * only then a lookup. */
static __always_inline bool may_name(const struct kv_lsm_nfilter *f, const __u64 *w)
{
	__u64 h = kv_lsm_nhash(w[0], w[1], w[2], w[3]);
	__u32 b1 = KV_LSM_NBIT1(h), b2 = KV_LSM_NBIT2(h);

	return (f->bits[b1 / 64] >> (b1 % 64)) & (f->bits[b2 / 64] >> (b2 % 64)) & 1;
}

/* The final name against the session's patterns, ASCII case folded:
 * exact (which may also exempt a name: "cacert.pem" is public); "NAME.*"
 * with NAME the name up to its first dot (a leading dot belongs to NAME);
 * "*.EXT" with EXT what follows its last dot. The hooks see the first and
 * the last KV_LSM_NAME_LEN - 1 bytes of a name: patterns fit in those. */
static __always_inline bool name_secret(__u64 session, const struct kv_lsm_conf *c,
					struct dentry *d)
{
	__u64 head[NAME_WORDS] = {}, tail[2 * NAME_WORDS] = {}, w[NAME_WORDS], m;
	struct kv_lsm_nkey k = { .session = session };
	const unsigned char *name = d->d_name.name;
	__u32 len = d->d_name.len, t, q, r;
	struct kv_lsm_ival *v;
	int i, first = -1, last = -1;

	if (!len || !name)
		return false;
	t = len < KV_LSM_NAME_LEN - 1 ? len : KV_LSM_NAME_LEN - 1;
	if (bpf_probe_read_kernel_str(head, sizeof(head), name) < 0)
		return false;
	if (len > t && bpf_probe_read_kernel_str(tail, sizeof(head), name + (len - t)) < 0)
		return false;
	for (i = 0; i < NAME_WORDS; i++) {
		head[i] = fold_word(head[i]);
		tail[i] = len > t ? fold_word(tail[i]) : head[i];
		m = dots(head[i]) & (i ? ~0ULL : ~0x80ULL); /* a leading dot belongs to NAME */
		if (first < 0 && m)
			first = 8 * i + low_byte(m);
		m = dots(tail[i]);
		if (m)
			last = 8 * i + high_byte(m);
	}
	if (len < KV_LSM_NAME_LEN && may_name(&c->names[0], head)) {
		k.kind = KV_LSM_N_EXACT;
		__builtin_memcpy(k.name, head, sizeof(k.name));
		v = bpf_map_lookup_elem(&kv_lsm_names, &k);
		if (v) /* an exact entry decides: secret, or a public exception */
			return !(v->flags & KV_LSM_I_PUBLIC);
	}
	if (first > 0) {
		for (i = 0; i < NAME_WORDS; i++) {
			w[i] = head[i];
			if (8 * i >= first)
				w[i] = 0;
			else if (8 * i + 8 > first)
				w[i] &= (1ULL << (8 * (first - 8 * i))) - 1;
		}
		if (may_name(&c->names[1], w)) {
			k.kind = KV_LSM_N_PREFIX;
			__builtin_memcpy(k.name, w, sizeof(k.name));
			if (bpf_map_lookup_elem(&kv_lsm_names, &k))
				return true;
		}
	}
	/* EXT: the bytes after the last dot, up to the NUL (zeros follow it) */
	if (last < 0 || last + 1 >= (int)t)
		return false;
	q = (__u32)(last + 1) >> 3;
	r = (__u32)(last + 1) & 7;
	for (i = 0; i < NAME_WORDS; i++) {
		__u64 lo = tail[(q + i) & (2 * NAME_WORDS - 1)];
		__u64 hi = tail[(q + i + 1) & (2 * NAME_WORDS - 1)];

		w[i] = r ? (lo >> (8 * r)) | (hi << (64 - 8 * r)) : lo;
	}
	if (!may_name(&c->names[2], w))
		return false;
	k.kind = KV_LSM_N_SUFFIX;
	__builtin_memcpy(k.name, w, sizeof(k.name));
	return bpf_map_lookup_elem(&kv_lsm_names, &k) != 0;
}

static __always_inline bool readonly(struct kv_session *s, struct kv_lsm_conf *c)
{
	return (s->flags & KV_SF_READONLY) || (c && (c->flags & KV_LSM_C_NO_WRITE));
}

/* The file rules for d (for a creation: the new parent): true when allowed. */
static __always_inline bool file_allowed(__u64 session, struct kv_session *s, struct dentry *d,
					 bool write, bool check_name)
{
	struct kv_lsm_conf *c;
	__u32 acc;

	if (lsm_gate(session, s) >= KV_GATE_LOCKED)
		return false;
	c = bpf_map_lookup_elem(&kv_lsm_conf, &session);
	if (!c)
		return !(write && readonly(s, c));
	acc = chain_flags(session, c, d);
	if (!(acc & WALK_ROOT) || (acc & KV_LSM_I_SECRET))
		return false;
	if (check_name && (c->flags & KV_LSM_C_NAMES) && name_secret(session, c, d))
		return false;
	if (!write)
		return true;
	if (readonly(s, c))
		return acc & KV_LSM_I_DEVICE;
	if (c->flags & KV_LSM_C_WRITE_ROOTS)
		return acc & (KV_LSM_I_WRITE | KV_LSM_I_DEVICE);
	return true;
}

/* ---- file hooks ------------------------------------------------------ */

static __always_inline int file_deny(__u64 session, struct vfsmount *mnt, struct dentry *d,
				     __u32 hook)
{
	struct lsm_req r = {
		.session = session,
		.mnt = (__u64)mnt,
		.dentry = (__u64)d,
		.cls = KV_CLASS_FILE,
		.hook = hook,
		.err = EACCES,
		.target_ino = 1,
	};

	return lsm_emit(&r);
}

static __always_inline int file_judge(__u64 session, struct kv_session *s, struct vfsmount *mnt,
				      struct dentry *d, __u32 hook, bool write, bool check_name)
{
	if (file_allowed(session, s, d, write, check_name))
		return 0;
	return file_deny(session, mnt, d, hook);
}

/* /proc/<pid>/environ and mem of a task outside the session are secrets;
 * /proc writes go only to the session's own tasks. 1 = allow, 0 = deny,
 * -1 = judge as any other file. */
static __always_inline int proc_rule(__u64 session, struct kv_session *s, struct inode *inode,
				     struct dentry *d, bool write)
{
	struct task_struct *t = proc_task(inode);
	struct kv_lsm_conf *c;
	char name[8] = {};
	__u32 len;
	bool own;

	if (!t)
		return -1; /* /proc/sys & co: not a task's file */
	if (lsm_gate(session, s) >= KV_GATE_LOCKED)
		return 0;
	own = task_session(t) == session;
	len = BPF_CORE_READ(d, d_name.len);
	if (!own && (len == 7 || len == 3)) {
		bpf_probe_read_kernel(name, len & 7, BPF_CORE_READ(d, d_name.name));
		if ((len == 7 && name[0] == 'e' && name[1] == 'n' && name[2] == 'v' &&
		     name[3] == 'i' && name[4] == 'r' && name[5] == 'o' && name[6] == 'n') ||
		    (len == 3 && name[0] == 'm' && name[1] == 'e' && name[2] == 'm'))
			return 0;
	}
	if (!write)
		return 1;
	c = bpf_map_lookup_elem(&kv_lsm_conf, &session);
	return own && !readonly(s, c);
}

SEC("lsm/file_open")
int BPF_PROG(kv_file_open, struct file *file)
{
	struct kv_session *s = 0;
	__u64 session = kv_current_session(&s);
	struct vfsmount *mnt;
	struct inode *inode;
	struct dentry *d;
	unsigned long magic;
	bool write;
	int r;

	if (!session || !s)
		return 0;
	inode = file->f_inode;
	magic = inode->i_sb->s_magic;
	/* reopened pipes and sockets (/proc/self/fd/N, /dev/stdout): no path */
	if (magic == PIPEFS_MAGIC || magic == SOCKFS_MAGIC || magic == ANON_INODE_FS_MAGIC)
		return 0;
	d = file->f_path.dentry;
	mnt = file->f_path.mnt;
	write = file->f_mode & FMODE_WRITE;
	if (magic == PROC_SUPER_MAGIC) {
		r = proc_rule(session, s, inode, d, write);
		if (r >= 0)
			return r ? 0 : file_deny(session, mnt, d, KV_LSM_FILE_OPEN);
	}
	return file_judge(session, s, mnt, d, KV_LSM_FILE_OPEN, write, true);
}

/* Creation (open O_CREAT, mknod, mkdir, symlink): judged on the parent;
 * the event names the new entry. */
static __always_inline int judge_create(const struct path *dir, struct dentry *dentry)
{
	struct kv_session *s = 0;
	__u64 session = kv_current_session(&s);

	if (!session || !s || file_allowed(session, s, dir->dentry, true, false))
		return 0;
	return file_deny(session, dir->mnt, dentry, KV_LSM_INODE_CREATE);
}

SEC("lsm/path_mknod")
int BPF_PROG(kv_path_mknod, const struct path *dir, struct dentry *dentry)
{
	return judge_create(dir, dentry);
}

SEC("lsm/path_mkdir")
int BPF_PROG(kv_path_mkdir, const struct path *dir, struct dentry *dentry)
{
	return judge_create(dir, dentry);
}

SEC("lsm/path_symlink")
int BPF_PROG(kv_path_symlink, const struct path *dir, struct dentry *dentry)
{
	return judge_create(dir, dentry);
}

/* A change to an existing object: unlink, rmdir, truncate, chmod, chown. */
static __always_inline int judge_change(struct vfsmount *mnt, struct dentry *d, __u32 hook)
{
	struct kv_session *s = 0;
	__u64 session = kv_current_session(&s);

	if (!session || !s)
		return 0;
	return file_judge(session, s, mnt, d, hook, true, true);
}

SEC("lsm/path_unlink")
int BPF_PROG(kv_path_unlink, const struct path *dir, struct dentry *dentry)
{
	return judge_change(dir->mnt, dentry, KV_LSM_INODE_UNLINK);
}

SEC("lsm/path_rmdir")
int BPF_PROG(kv_path_rmdir, const struct path *dir, struct dentry *dentry)
{
	return judge_change(dir->mnt, dentry, KV_LSM_INODE_UNLINK);
}

SEC("lsm/path_truncate")
int BPF_PROG(kv_path_trunc, const struct path *path)
{
	return judge_change(path->mnt, path->dentry, KV_LSM_PATH_TRUNCATE);
}

SEC("lsm/path_chmod")
int BPF_PROG(kv_path_chmod, const struct path *path)
{
	return judge_change(path->mnt, path->dentry, KV_LSM_HOOK_SETATTR);
}

SEC("lsm/path_chown")
int BPF_PROG(kv_path_chown, const struct path *path)
{
	return judge_change(path->mnt, path->dentry, KV_LSM_HOOK_SETATTR);
}

/* The dentry is the second argument both before 6.3 (user_namespace *)
 * and after (mnt_idmap *); there is no vfsmount: the event path is
 * relative to the object's filesystem. */
SEC("lsm/inode_setxattr")
int BPF_PROG(kv_setxattr, void *idmap, struct dentry *dentry)
{
	return judge_change(0, dentry, KV_LSM_HOOK_XATTR);
}

SEC("lsm/inode_removexattr")
int BPF_PROG(kv_rmxattr, void *idmap, struct dentry *dentry)
{
	return judge_change(0, dentry, KV_LSM_HOOK_XATTR);
}

/* Two judgments: the object moved or linked (a change to it, unless only
 * a new name for it: read rules) and the new parent (a creation there). */
static __always_inline int judge_move(struct vfsmount *mnt, struct dentry *old,
				      struct dentry *new_parent, struct dentry *new_dentry,
				      __u32 hook, bool old_write)
{
	struct kv_session *s = 0;
	__u64 session = kv_current_session(&s);

	if (!session || !s)
		return 0;
	if (!file_allowed(session, s, old, old_write, true))
		return file_deny(session, mnt, old, hook);
	if (!file_allowed(session, s, new_parent, true, false))
		return file_deny(session, mnt, new_dentry ? new_dentry : new_parent, hook);
	/* an overwritten (or exchanged) target is changed too */
	if (new_dentry && new_dentry->d_inode && !file_allowed(session, s, new_dentry, true, true))
		return file_deny(session, mnt, new_dentry, hook);
	return 0;
}

/* A hard link must not carry a secret out under another name. */
SEC("lsm/path_link")
int BPF_PROG(kv_path_link, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry)
{
	return judge_move(new_dir->mnt, old_dentry, new_dir->dentry, 0, KV_LSM_INODE_LINK, false);
}

SEC("lsm/path_rename")
int BPF_PROG(kv_path_rename, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry)
{
	return judge_move(old_dir->mnt, old_dentry, new_dir->dentry, new_dentry, KV_LSM_INODE_RENAME,
			  true);
}

/* ---- exec ------------------------------------------------------------ */

/* Runs for every file the kernel is about to execute: the binary, and
 * again for a script's interpreter (binfmt_script/binfmt_misc swap it
 * into bprm->file and search the handlers again), so both must pass. The
 * file judged is the one opened, whatever name led to it: memfd,
 * execveat(fd), /proc/self/fd/N and symlinks all land here. */
SEC("lsm/bprm_check_security")
int BPF_PROG(kv_bprm_check, struct linux_binprm *bprm)
{
	struct kv_session *s = 0;
	__u64 session = kv_current_session(&s);
	struct kv_lsm_conf *c;
	struct lsm_req r = {
		.session = session,
		.cls = KV_CLASS_EXEC,
		.hook = KV_LSM_BPRM_CHECK,
		.err = EPERM,
		.target_ino = 1,
	};
	struct file *f;
	__u32 tgid;

	if (!session || !s)
		return 0;
	c = bpf_map_lookup_elem(&kv_lsm_conf, &session);
	f = bprm->file;
	r.dentry = (__u64)f->f_path.dentry;
	r.mnt = (__u64)f->f_path.mnt;
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (lsm_gate(session, s) >= KV_GATE_CRACKED)
		return lsm_emit(&r);
	/* strict exec: only the launch itself (before it has committed). A
	 * session nobody named a launcher for (the daemon's: its client spawns
	 * the agent) takes its first exec as the launch: until then only
	 * kavachos's own code runs in it. */
	if ((s->flags & KV_SF_STRICT_EXEC) && c && !c->launch_tgid && !c->launched)
		__sync_val_compare_and_swap(&c->launch_tgid, 0, tgid);
	if ((s->flags & KV_SF_STRICT_EXEC) && (!c || c->launch_tgid != tgid || c->launched))
		return lsm_emit(&r);
	/* fileless: memfd, O_TMPFILE, deleted files have no name to judge */
	if (!f->f_inode->i_nlink && !(c && (c->flags & KV_LSM_C_FILELESS_EXEC)))
		return lsm_emit(&r);
	if (c && (c->flags & KV_LSM_C_EXEC_ALLOW)) {
		__u32 acc = chain_flags(session, c, f->f_path.dentry);

		if (!(acc & WALK_ROOT) || !(acc & KV_LSM_I_EXEC) || (acc & KV_LSM_I_SECRET))
			return lsm_emit(&r);
	}
	return 0;
}

/* The launch exec has passed the point of no return: from now on strict
 * exec refuses every exec of the session. */
SEC("lsm/bprm_committed_creds")
int BPF_PROG(kv_bprm_commit, struct linux_binprm *bprm)
{
	struct kv_session *s = 0;
	__u64 session = kv_current_session(&s);
	struct kv_lsm_conf *c;

	if (!session || !s)
		return 0;
	c = bpf_map_lookup_elem(&kv_lsm_conf, &session);
	if (c && c->launch_tgid == (__u32)(bpf_get_current_pid_tgid() >> 32))
		c->launched = 1;
	return 0;
}

/* ---- processes ------------------------------------------------------- */

static __always_inline int proc_deny(__u64 session, __u32 hook, __u64 target,
				     struct task_struct *t, bool quiet)
{
	struct lsm_req r = {
		.session = session,
		.target = target,
		.task = (__u64)t,
		.cls = KV_CLASS_PROCESS,
		.hook = hook,
		.err = EPERM,
		.quiet = quiet,
	};

	return lsm_emit(&r);
}

/* Attach (ptrace, process_vm_*, pidfd_getfd) to a task outside the session
 * is a violation; read-mode checks (/proc/<pid>/fd, exe, maps of others,
 * which ps and top make in passing) are refused without counting. */
SEC("lsm/ptrace_access_check")
int BPF_PROG(kv_ptrace, struct task_struct *child, unsigned int mode)
{
	struct kv_session *s = 0;
	__u64 session = kv_current_session(&s);

	if (!session || !s || task_session(child) == session)
		return 0;
	return proc_deny(session, KV_LSM_PTRACE, BPF_CORE_READ(child, tgid), child,
			 !(mode & PTRACE_MODE_ATTACH));
}

/* target = pid | signal << 32. Signal 0 (an existence probe) is refused
 * without counting. */
SEC("lsm/task_kill")
int BPF_PROG(kv_task_kill, struct task_struct *p, struct kernel_siginfo *info, int sig,
	     const struct cred *cred)
{
	struct kv_session *s = 0;
	__u64 session;

	if (cred)
		return 0; /* USB async I/O completion: not sent by current */
	session = kv_current_session(&s);
	if (!session || !s || task_session(p) == session)
		return 0;
	return proc_deny(session, KV_LSM_TASK_KILL,
			 (__u32)BPF_CORE_READ(p, tgid) | ((__u64)(__u32)sig << 32), p, sig == 0);
}

/* The gate valve's THROTTLED step: no new processes; threads still start
 * (a runtime must not hang on a refused thread). */
SEC("lsm/task_alloc")
int BPF_PROG(kv_task_alloc, struct task_struct *task, unsigned long clone_flags)
{
	struct kv_session *s = 0;
	__u64 session;

	if (clone_flags & CLONE_THREAD)
		return 0;
	session = kv_current_session(&s);
	if (!session || !s || lsm_gate(session, s) < KV_GATE_THROTTLED)
		return 0;
	return proc_deny(session, KV_LSM_TASK_ALLOC, clone_flags, 0, false);
}

static __always_inline int path_deny(__u64 session, __u32 hook, __u64 target,
				     struct vfsmount *mnt, struct dentry *d)
{
	struct lsm_req r = {
		.session = session,
		.target = target,
		.mnt = (__u64)mnt,
		.dentry = (__u64)d,
		.cls = KV_CLASS_PROCESS,
		.hook = hook,
		.err = EPERM,
	};

	return lsm_emit(&r);
}

SEC("lsm/sb_mount")
int BPF_PROG(kv_sb_mount, const char *dev_name, const struct path *path, const char *type,
	     unsigned long flags)
{
	struct kv_session *s = 0;
	__u64 session = kv_current_session(&s);

	if (!session || !s)
		return 0;
	return path_deny(session, KV_LSM_SB_MOUNT, flags, BPF_CORE_READ(path, mnt),
			 BPF_CORE_READ(path, dentry));
}

SEC("lsm/move_mount")
int BPF_PROG(kv_move_mount, const struct path *from_path, const struct path *to_path)
{
	struct kv_session *s = 0;
	__u64 session = kv_current_session(&s);

	if (!session || !s)
		return 0;
	return path_deny(session, KV_LSM_MOVE_MOUNT, 0, BPF_CORE_READ(to_path, mnt),
			 BPF_CORE_READ(to_path, dentry));
}

SEC("lsm/sb_umount")
int BPF_PROG(kv_sb_umount, struct vfsmount *mnt, int flags)
{
	struct kv_session *s = 0;
	__u64 session = kv_current_session(&s);

	if (!session || !s)
		return 0;
	return path_deny(session, KV_LSM_SB_UMOUNT, flags, mnt, BPF_CORE_READ(mnt, mnt_root));
}

/* Every bpf() command: maps and programs are the enforcement itself. */
SEC("lsm/bpf")
int BPF_PROG(kv_bpf, int cmd)
{
	struct kv_session *s = 0;
	__u64 session = kv_current_session(&s);

	if (!session || !s)
		return 0;
	return proc_deny(session, KV_LSM_BPF, (__u32)cmd, 0, false);
}

SEC("lsm/kernel_module_request")
int BPF_PROG(kv_kmod_req, char *kmod_name)
{
	struct kv_session *s = 0;
	__u64 session = kv_current_session(&s);
	struct lsm_req r = {
		.session = session,
		.kstr = (__u64)kmod_name,
		.cls = KV_CLASS_PROCESS,
		.hook = KV_LSM_KMOD,
		.err = EPERM,
	};

	if (!session || !s)
		return 0;
	return lsm_emit(&r);
}

/* Kernel code and policy from a file (finit_module, kexec, IMA policy);
 * firmware a driver loads on the agent's behalf stays allowed. */
SEC("lsm/kernel_read_file")
int BPF_PROG(kv_kread_file, struct file *file, enum kernel_read_file_id id)
{
	struct kv_session *s = 0;
	__u64 session = kv_current_session(&s);

	if (!session || !s || id == bpf_core_enum_value(enum kernel_read_file_id, READING_FIRMWARE))
		return 0;
	return path_deny(session, KV_LSM_KMOD, id, BPF_CORE_READ(file, f_path.mnt),
			 BPF_CORE_READ(file, f_path.dentry));
}

/* The same from memory (init_module, kexec_load). */
SEC("lsm/kernel_load_data")
int BPF_PROG(kv_kload_data, enum kernel_load_data_id id)
{
	struct kv_session *s = 0;
	__u64 session = kv_current_session(&s);

	if (!session || !s || id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_FIRMWARE))
		return 0;
	return proc_deny(session, KV_LSM_KMOD, id, 0, false);
}

/* ---- AF_UNIX, where the kernel has no cgroup/connect_unix --------------- */

struct dotdot_ctx {
	const __u8 *p; /* KV_EGRESS_UNIX_PATH bytes */
	__u8 prev;     /* the byte before p[i] ('/' before the first) */
	int found;
};

static long dotdot_step(__u32 i, struct dotdot_ctx *c)
{
	const __u8 *p = c->p;
	__u32 j = i;
	__u8 prev = c->prev;

	if (j >= KV_EGRESS_UNIX_PATH - 2)
		return 1;
	barrier_var(j);
	if (j >= KV_EGRESS_UNIX_PATH - 2 || !p[j])
		return 1;
	c->prev = p[j];
	if (prev == '/' && p[j] == '.' && p[j + 1] == '.' && (p[j + 2] == '/' || p[j + 2] == 0)) {
		c->found = 1;
		return 1;
	}
	return 0;
}

/* 1 if the kernel-form path has a ".." component (a prefix entry must not
 * be escaped with /allowed/dir/../../elsewhere), as in egress.bpf.c. */
static __always_inline int has_dotdot(const __u8 *p)
{
	struct dotdot_ctx c = { .p = p, .prev = '/' };

	bpf_loop(UNIX_PATH_MAX - 1, dotdot_step, &c, 0);
	return c.found;
}

/* The egress allowlist (kv_egress_unix) for a sockaddr_un in kernel memory;
 * the same key and gate rules as egress.bpf.c's judge_unix. */
static __always_inline int judge_unix(__u64 session, struct kv_session *s, const void *addr,
				      int addrlen, __u32 hook)
{
	struct kv_egress_ukey key = {};
	struct kv_egress_uval *v;
	const char *src;
	__u32 n, gate;
	char c0 = 0;

	if (addrlen <= SUN_PATH_OFF)
		goto deny;
	n = addrlen - SUN_PATH_OFF;
	if (n > UNIX_PATH_MAX)
		n = UNIX_PATH_MAX;
	src = (const char *)addr + SUN_PATH_OFF;
	if (bpf_probe_read_kernel(&c0, 1, src))
		goto deny;
	if (c0) {
		if (bpf_probe_read_kernel_str(key.path, n + 1, src) < 0)
			goto deny;
	} else {
		n -= 1; /* name after the leading NUL, up to 107 bytes */
		key.path[1] = n;
		if (n && bpf_probe_read_kernel(&key.path[2], n & 127, src + 1))
			goto deny;
	}
	key.prefixlen = KV_EGRESS_SESSION_BITS + 8 * KV_EGRESS_UNIX_PATH;
	key.session_lo = (__u32)session;
	key.session_hi = (__u32)(session >> 32);
	gate = lsm_gate(session, s);
	v = bpf_map_lookup_elem(&kv_egress_unix, &key);
	if (v && gate < KV_GATE_LOCKED &&
	    (gate < KV_GATE_CRACKED || (v->flags & KV_EGRESS_F_ESSENTIAL)) &&
	    !((v->flags & KV_EGRESS_F_PREFIX) && has_dotdot(key.path)))
		return 0;
deny: {
	struct lsm_req r = {
		.session = session,
		.upath = (__u64)key.path,
		.cls = KV_CLASS_EGRESS,
		.hook = hook,
		.err = EPERM,
	};

	return lsm_emit(&r);
}
}

SEC("lsm/socket_connect")
int BPF_PROG(kv_unix_connect, struct socket *sock, struct sockaddr *address, int addrlen)
{
	struct kv_session *s = 0;
	__u64 session;

	if (bpf_core_enum_value_exists(enum bpf_attach_type, BPF_CGROUP_UNIX_CONNECT))
		return 0; /* egress.bpf.c's cgroup/connect_unix judges it */
	session = kv_current_session(&s);
	if (!session || !s || BPF_CORE_READ(address, sa_family) != AF_UNIX ||
	    BPF_CORE_READ(sock, sk, __sk_common.skc_family) != AF_UNIX)
		return 0;
	return judge_unix(session, s, address, addrlen, KV_LSM_UNIX_CONNECT);
}

/* sendto() with an address on an unconnected AF_UNIX datagram socket. */
SEC("lsm/socket_sendmsg")
int BPF_PROG(kv_unix_sendmsg, struct socket *sock, struct msghdr *msg)
{
	struct kv_session *s = 0;
	__u64 session;
	void *name;

	if (bpf_core_enum_value_exists(enum bpf_attach_type, BPF_CGROUP_UNIX_SENDMSG))
		return 0;
	session = kv_current_session(&s);
	if (!session || !s)
		return 0;
	name = BPF_CORE_READ(msg, msg_name);
	if (!name || BPF_CORE_READ(sock, sk, __sk_common.skc_family) != AF_UNIX)
		return 0;
	return judge_unix(session, s, name, BPF_CORE_READ(msg, msg_namelen),
			  KV_LSM_HOOK_UNIX_SENDMSG);
}
