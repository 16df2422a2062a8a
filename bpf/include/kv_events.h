/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Events streamed through the one ring buffer (kv_events). Every event
 * starts with struct kv_event_hdr; hdr.type says which struct follows. */
#ifndef KV_EVENTS_H
#define KV_EVENTS_H
#include "kv_types.h"

#define KV_COMM_LEN 16
#define KV_PATH_LEN 256
#define KV_ARGS_LEN 128 /* head of an exec's argv, NUL-separated */

enum kv_event_type {
	KV_EV_SYSCALL_DENY = 1, /* struct kv_ev_syscall */
	KV_EV_EGRESS_DENY = 2,  /* struct kv_ev_egress */
	KV_EV_LSM_DENY = 3,     /* struct kv_ev_lsm */
	KV_EV_EXEC = 4,         /* struct kv_ev_proc: exec audit */
	KV_EV_FORK = 5,         /* struct kv_ev_proc */
	KV_EV_EXIT = 6,         /* struct kv_ev_proc */
	KV_EV_GATE = 7,         /* struct kv_ev_gate */
	KV_EV_EXEC_DENY = 8,    /* struct kv_ev_proc: killed / refused exec */
	KV_EV_PROC_DENY = 9,    /* struct kv_ev_proc: new process killed / refused (gate) */
	KV_EV_FILE_REFUSED = 10, /* struct kv_ev_file: a file call refused with EACCES/EXDEV */
	KV_EV_MAX,
};

struct kv_event_hdr {
	__u32 type;
	__u32 size; /* bytes of the whole event */
	__u64 session; /* session cgroup id */
	__u64 ktime_ns; /* bpf_ktime_get_boot_ns() */
	__u32 pid;     /* tgid */
	__u32 tid;
	__u32 uid;
	__u32 class; /* enum kv_class of a violation, else KV_CLASS_MAX */
	char comm[KV_COMM_LEN];
};

struct kv_ev_syscall {
	struct kv_event_hdr hdr;
	__s64 nr;
	__s64 ret;
	__u64 args[6];
};

enum kv_egress_hook {
	KV_HOOK_CONNECT4 = 1,
	KV_HOOK_CONNECT6 = 2,
	KV_HOOK_SENDMSG4 = 3,
	KV_HOOK_SENDMSG6 = 4,
	KV_HOOK_SOCK_CREATE = 5,
	KV_HOOK_CONNECT_UNIX = 6,
	KV_HOOK_SENDMSG_UNIX = 7,
};

struct kv_ev_egress {
	struct kv_event_hdr hdr;
	__u8 addr[16]; /* IPv6, or IPv4-mapped IPv6 (::ffff:a.b.c.d) */
	__u16 port;    /* host byte order */
	__u8 family;   /* AF_INET / AF_INET6 / AF_UNIX of the socket */
	__u8 proto;    /* IPPROTO_TCP / IPPROTO_UDP / other */
	__u8 hook;     /* enum kv_egress_hook */
	__u8 _pad[3];
	__u32 sock_type; /* for sock_create: SOCK_RAW etc. */
	char path[108]; /* AF_UNIX path (connect_unix) */
};

enum kv_lsm_hook {
	KV_LSM_FILE_OPEN = 1,
	KV_LSM_INODE_CREATE = 2,
	KV_LSM_INODE_UNLINK = 3,
	KV_LSM_INODE_RENAME = 4,
	KV_LSM_INODE_LINK = 5,
	KV_LSM_PATH_TRUNCATE = 6,
	KV_LSM_BPRM_CHECK = 7,
	KV_LSM_PTRACE = 8,
	KV_LSM_TASK_KILL = 9,
	KV_LSM_SB_MOUNT = 10,
	KV_LSM_SB_UMOUNT = 11,
	KV_LSM_MOVE_MOUNT = 12,
	KV_LSM_BPF = 13,
	KV_LSM_KMOD = 14,
	KV_LSM_UNIX_CONNECT = 15,
	KV_LSM_TASK_ALLOC = 16,
};

struct kv_ev_lsm {
	struct kv_event_hdr hdr;
	__u32 hook;   /* enum kv_lsm_hook */
	__s32 err;    /* errno returned to the agent (positive) */
	__u64 target; /* pid for ptrace/kill, inode for files */
	char path[KV_PATH_LEN];
};

struct kv_ev_proc {
	struct kv_event_hdr hdr;
	__u32 ppid;
	__s32 exit_code; /* EXIT: the wait status; *_DENY: -errno */
	__u32 child_pid; /* FORK: the new process */
	__u32 args_len;  /* EXEC: bytes of args used */
	char filename[KV_PATH_LEN];
	char args[KV_ARGS_LEN];
};

/* A file call of a Landlock session that returned EACCES or EXDEV: Landlock
 * refused it, or the file's own permissions did (at the call's return the
 * two look the same). Paths as the agent passed them, read at the return. */
struct kv_ev_file {
	struct kv_event_hdr hdr;
	__s64 nr;    /* x86_64 syscall number */
	__s32 err;   /* errno returned (positive) */
	__s32 dirfd; /* of an *at call (renameat/linkat: the source's), else AT_FDCWD (-100) */
	char path[KV_PATH_LEN];  /* the path judged (rename/link: the source) */
	char path2[KV_PATH_LEN]; /* rename/link: the destination; symlink: its target */
};

struct kv_ev_gate {
	struct kv_event_hdr hdr;
	__u32 from;  /* enum kv_gate */
	__u32 to;
	__u32 trigger_class; /* enum kv_class that crossed the threshold */
	__u32 _pad;
	__u64 counts[8]; /* KV_CLASS_MAX counters, then total */
};

_Static_assert(sizeof(struct kv_event_hdr) == 56, "kv_event_hdr layout");
_Static_assert(sizeof(struct kv_ev_syscall) == 120, "kv_ev_syscall layout");
_Static_assert(sizeof(struct kv_ev_egress) == 192, "kv_ev_egress layout");
_Static_assert(sizeof(struct kv_ev_lsm) == 328, "kv_ev_lsm layout");
_Static_assert(sizeof(struct kv_ev_proc) == 456, "kv_ev_proc layout");
_Static_assert(sizeof(struct kv_ev_gate) == 136, "kv_ev_gate layout");
_Static_assert(sizeof(struct kv_ev_file) == 584, "kv_ev_file layout");
#endif
