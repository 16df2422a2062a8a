/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* BPF-LSM policy maps, shared by lsm.bpf.c and user/lsm/.
 *
 * kv_lsm_conf   (HASH u64 session -> struct kv_lsm_conf)     what is restricted
 * kv_lsm_inodes (HASH struct kv_lsm_ikey -> struct kv_lsm_ival) protected objects
 * kv_lsm_names  (HASH struct kv_lsm_nkey -> struct kv_lsm_ival) secret name patterns
 *
 * Decisions are keyed on inode identity, never on path strings: user space
 * resolves each protected path once at session start to (dev, ino), and
 * the hooks walk the dentry chain of the object touched (d_parent, within
 * its superblock, at most KV_LSM_MAX_DEPTH levels) and OR together the
 * flags of every ancestor found. So a symlink (resolved before the hook),
 * "..", a bind mount (same dentries), a hard link (same inode) and a
 * renamed parent (same inode) all meet the same entries.
 *
 * dev is the kernel's encoding of the superblock's s_dev (major << 20 |
 * minor), as /proc/self/mountinfo prints it; user space takes it from the
 * mount (statx mnt_id -> mountinfo), not from st_dev, which btrfs reports
 * per subvolume. */
#ifndef KV_LSM_H
#define KV_LSM_H
#include "kv_types.h"

#define KV_LSM_MAX_DEPTH 64      /* dentry levels a decision walks */
#define KV_LSM_PATH_DEPTH 32     /* components an event path shows */
#define KV_LSM_NAME_LEN 32       /* name pattern bytes (NUL padded) */
#define KV_LSM_DEF_INODES 65536  /* kv_lsm_inodes default max_entries */
#define KV_LSM_DEF_NAMES 1024    /* kv_lsm_names default max_entries */

/* kv_lsm_conf.flags */
#define KV_LSM_C_WRITE_ROOTS (1u << 0) /* writes only beneath KV_LSM_I_WRITE */
#define KV_LSM_C_NO_WRITE (1u << 1)    /* no writes at all except KV_LSM_I_DEVICE */
#define KV_LSM_C_EXEC_ALLOW (1u << 2)  /* exec only of KV_LSM_I_EXEC files/trees */
#define KV_LSM_C_NAMES (1u << 3)       /* kv_lsm_names has entries for the session */
#define KV_LSM_C_FILELESS_EXEC (1u << 4) /* allow exec of unlinked files (memfd, O_TMPFILE) */

/* kv_lsm_ival.flags: what an inode, and everything beneath it, is */
#define KV_LSM_I_SECRET (1u << 0) /* not opened, linked, renamed, changed */
#define KV_LSM_I_WRITE (1u << 1)  /* write root */
#define KV_LSM_I_EXEC (1u << 2)   /* exec allowed (file, or a directory tree) */
#define KV_LSM_I_DEVICE (1u << 3) /* writable even with no writes (/dev/null, ttys) */
#define KV_LSM_I_PUBLIC (1u << 4) /* names: an exact name exempt from the patterns */

/* kv_lsm_nkey.kind: patterns on the final name of the object */
enum kv_lsm_name_kind {
	KV_LSM_N_EXACT = 1,  /* "id_rsa", ".env" */
	KV_LSM_N_PREFIX = 2, /* ".env.*": the name up to its first dot (a leading one kept) */
	KV_LSM_N_SUFFIX = 3, /* "*.pem": what follows the last dot */
};

/* Event hook numbers beyond enum kv_lsm_hook (kv_events.h). */
#define KV_LSM_HOOK_SETATTR 17      /* chmod, chown, utimes */
#define KV_LSM_HOOK_XATTR 18        /* setxattr, removexattr */
#define KV_LSM_HOOK_UNIX_SENDMSG 19 /* sendto() on an unconnected AF_UNIX socket */
#define KV_LSM_HOOK_MAX 20

/* Pre-filters in kv_lsm_conf, written with the session's entries: a hook
 * looks an ancestor or a name up only when its filter says an entry may
 * exist. A false positive costs one lookup; there are no false negatives,
 * so no decision depends on them. */
#define KV_LSM_BLOOM_BITS 4096 /* inodes */
#define KV_LSM_NBLOOM_BITS 512 /* names, per kind */

/* Bloom filter of the names of one enum kv_lsm_name_kind: the four words
 * of kv_lsm_nkey.name (folded, NUL padded), two bits each */
struct kv_lsm_nfilter {
	__u64 bits[KV_LSM_NBLOOM_BITS / 64];
};

struct kv_lsm_conf {
	__u32 flags;       /* KV_LSM_C_* */
	__u32 launch_tgid; /* strict exec: this process's launch exec passes */
	__u32 launched;    /* set by BPF when that exec has committed */
	__u32 _pad;
	struct kv_lsm_nfilter names[3]; /* by kind - 1 */
	/* Bloom filter of the session's kv_lsm_inodes keys, two bits each */
	__u64 inodes[KV_LSM_BLOOM_BITS / 64];
};

/* The two filter bits of (dev, ino): high bits of a multiplicative hash. */
static inline __u64 kv_lsm_ihash(__u32 dev, __u64 ino)
{
	return (ino + dev * 0xff51afd7ed558ccdULL) * 0x9e3779b97f4a7c15ULL;
}
#define KV_LSM_IBIT1(h) ((__u32)((h) >> 52))
#define KV_LSM_IBIT2(h) ((__u32)((h) >> 38) & (KV_LSM_BLOOM_BITS - 1))

/* The same for a name's four words (little-endian, as the hooks load them). */
static inline __u64 kv_lsm_nhash(__u64 w0, __u64 w1, __u64 w2, __u64 w3)
{
	__u64 h = w0 * 0x9e3779b97f4a7c15ULL + w1 * 0xc2b2ae3d27d4eb4fULL +
		  w2 * 0x165667b19e3779f9ULL + w3 * 0xff51afd7ed558ccdULL;

	return (h ^ (h >> 29)) * 0x94d049bb133111ebULL;
}
#define KV_LSM_NBIT1(h) ((__u32)((h) >> 55))
#define KV_LSM_NBIT2(h) ((__u32)((h) >> 40) & (KV_LSM_NBLOOM_BITS - 1))

struct kv_lsm_ikey {
	__u64 session;
	__u64 ino;
	__u32 dev; /* kernel s_dev: major << 20 | minor */
	__u32 _pad;
};

struct kv_lsm_ival {
	__u32 flags; /* KV_LSM_I_* */
	__u32 _pad;
};

struct kv_lsm_nkey {
	__u64 session;
	__u32 kind; /* enum kv_lsm_name_kind */
	char name[KV_LSM_NAME_LEN];
	__u32 _pad;
};

_Static_assert(sizeof(struct kv_lsm_conf) == 16 + 3 * KV_LSM_NBLOOM_BITS / 8 + KV_LSM_BLOOM_BITS / 8,
	       "kv_lsm_conf layout");
_Static_assert(sizeof(struct kv_lsm_ikey) == 24, "kv_lsm_ikey layout");
_Static_assert(sizeof(struct kv_lsm_ival) == 8, "kv_lsm_ival layout");
_Static_assert(sizeof(struct kv_lsm_nkey) == 48, "kv_lsm_nkey layout");
#endif
