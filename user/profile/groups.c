// SPDX-License-Identifier: BSD-2-Clause
/* The syscall groups, as data. The builder (build.c) applies them in layers:
 *
 *   base (read-only, or baseline for any non-zero mask) -> no-freeze set ->
 *   NOTIFY tier -> one group per set bit (16-23: the domain's groups) ->
 *   depth -> launch-exec supervision -> .kavachos.json additions -> hard rules
 *
 * Every name is an x86_64 syscall (a unit test checks them all). Argument
 * conditions compare the 32-bit value the kernel actually uses where the
 * syscall takes an int: SCMP_CMP_MASKED_EQ with mask 0xffffffff, so garbage in
 * the upper half of the register cannot slip past an equality test. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include "profile/profile_int.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define GROUP(nm, txt, arr) { .name = nm, .what = txt, .e = arr, .n = COUNT(arr) }
#define EMPTY(nm, txt) { .name = nm, .what = txt }

#define A(nm) { .name = nm, .op = KV_OP_ALLOW }
#define N(nm) { .name = nm, .op = KV_OP_NOTIFY }
#define RM(nm) { .name = nm, .op = KV_OP_REMOVE }
#define ERR(nm, e) { .name = nm, .op = KV_OP_ERRNO, .err = e }
#define IF(nm, o, cond) { .name = nm, .op = o, .r = { .n = 1, .c = { cond } } }

/* 32-bit argument equal to v; 64-bit argument with mask m equal to v */
#define EQ32(i, v) { .arg = i, .op = SCMP_CMP_MASKED_EQ, .a = 0xffffffffu, .b = (v) }
#define MASK(i, m, v) { .arg = i, .op = SCMP_CMP_MASKED_EQ, .a = (m), .b = (v) }

/* Namespace-creating clone flags (clone() also uses 0x80 for CSIGNAL, so
 * CLONE_NEWTIME only counts for unshare). Same value as Docker's profile. */
#define KV_NS_FLAGS                                                                        \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |   \
	 CLONE_NEWPID | CLONE_NEWNET)
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
/* open flags that write, create, truncate or append */
#define KV_O_WRITE (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)

/* ioctl request numbers not in every libc header */
#ifndef TIOCGRS485
#define TIOCGRS485 0x542E
#endif
#ifndef TIOCSRS485
#define TIOCSRS485 0x542F
#endif

/* ---- no-freeze: every profile, so a blocked agent can always finish ---- */
static const struct kv_entry nofreeze[] = {
	A("exit"), A("exit_group"), A("rt_sigreturn"), A("restart_syscall"),
	A("futex"), A("futex_waitv"), A("futex_wake"), A("futex_wait"), A("futex_requeue"),
	A("rt_sigprocmask"), A("rt_sigaction"), A("sigaltstack"),
	A("set_robust_list"), A("get_robust_list"), A("rseq"), A("set_tid_address"),
	A("sched_yield"), A("gettid"), A("getpid"), A("nanosleep"), A("clock_nanosleep"),
	A("clock_gettime"), A("munmap"), A("mprotect"), A("madvise"), A("brk"),
	A("map_shadow_stack"), A("membarrier"), A("close"),
};

/* personality() values a runtime uses: the query, PER_LINUX, PER_LINUX32 and
 * UNAME26 (what Docker allows); not ADDR_NO_RANDOMIZE or READ_IMPLIES_EXEC */
#define PERSONALITY_RULES                                                   \
	IF("personality", KV_OP_ALLOW_IF, EQ32(0, PER_LINUX)),              \
	IF("personality", KV_OP_ALLOW_IF, EQ32(0, PER_LINUX32)),            \
	IF("personality", KV_OP_ALLOW_IF, EQ32(0, UNAME26)),                \
	IF("personality", KV_OP_ALLOW_IF, EQ32(0, UNAME26 | PER_LINUX32)), \
	IF("personality", KV_OP_ALLOW_IF, EQ32(0, 0xffffffffu))

/* ---- mask 0: read, list, stat; write only to descriptors already open ---- */
static const struct kv_entry readonly[] = {
	A("read"), A("readv"), A("pread64"), A("preadv"), A("preadv2"),
	A("write"), A("writev"), A("pwrite64"), A("pwritev"), A("pwritev2"),
	A("lseek"), A("dup"), A("dup2"), A("dup3"), A("fcntl"), A("close_range"),
	IF("open", KV_OP_ALLOW_IF, MASK(1, KV_O_WRITE, 0)),
	IF("openat", KV_OP_ALLOW_IF, MASK(2, KV_O_WRITE, 0)),
	A("stat"), A("fstat"), A("lstat"), A("newfstatat"), A("statx"), A("statfs"),
	A("fstatfs"), A("access"), A("faccessat"), A("faccessat2"), A("getdents"),
	A("getdents64"), A("readlink"), A("readlinkat"), A("getcwd"), A("chdir"), A("fchdir"),
	A("getxattr"), A("lgetxattr"), A("fgetxattr"), A("listxattr"), A("llistxattr"),
	A("flistxattr"), A("getxattrat"), A("listxattrat"), A("file_getattr"),
	A("fadvise64"), A("readahead"),
	/* a copy into a descriptor already open, like read + write (cat uses it) */
	A("copy_file_range"),
	IF("mmap", KV_OP_ALLOW_IF, MASK(3, MAP_HUGETLB, 0)),
	/* capget only reads the caller's own state (Node asks at startup) */
	A("capget"),
	A("getppid"), A("getuid"), A("geteuid"), A("getgid"), A("getegid"), A("getgroups"),
	A("getresuid"), A("getresgid"), A("getpgrp"), A("uname"), A("sysinfo"),
	A("getrandom"), A("getrlimit"), IF("prlimit64", KV_OP_ALLOW_IF, EQ32(0, 0)),
	A("getrusage"), A("times"), A("sched_getaffinity"), A("getcpu"), A("arch_prctl"),
	A("prctl"), A("clock_getres"), A("gettimeofday"), A("time"), A("alarm"),
	A("getitimer"), A("setitimer"),
	A("rt_sigpending"), A("rt_sigtimedwait"), A("rt_sigsuspend"), A("pause"),
	A("poll"), A("ppoll"), A("select"), A("pselect6"), A("epoll_create1"),
	A("epoll_ctl"), A("epoll_wait"), A("epoll_pwait"), A("epoll_pwait2"),
	/* threads yes (runtimes need them), new processes no */
	IF("clone", KV_OP_ALLOW_IF, MASK(0, KV_NS_FLAGS | CLONE_THREAD, CLONE_THREAD)),
	/* terminal queries only */
	IF("ioctl", KV_OP_ALLOW_IF, EQ32(1, TCGETS)),
	IF("ioctl", KV_OP_ALLOW_IF, EQ32(1, TIOCGWINSZ)),
	IF("ioctl", KV_OP_ALLOW_IF, EQ32(1, TIOCGPGRP)),
	IF("ioctl", KV_OP_ALLOW_IF, EQ32(1, FIONREAD)),
	IF("ioctl", KV_OP_ALLOW_IF, EQ32(1, FIONBIO)),
	IF("ioctl", KV_OP_ALLOW_IF, EQ32(1, FIOCLEX)),
	IF("ioctl", KV_OP_ALLOW_IF, EQ32(1, FIONCLEX)),
	PERSONALITY_RULES,
};

/* Device-control ioctls a domain bit unlocks: serial lines (modem control,
 * breaks, RS-485, exclusive mode), and the 'U' (usbdevfs, ALSA control) and
 * 'H' (hidraw, hiddev) families that reach USB devices such as HSMs and SDR
 * receivers. Terminal ioctls (TCGETS, TCSETS*, TIOCGWINSZ...) stay baseline. */
#define SERIAL_IOCTLS(X)                                                          \
	X(TIOCMGET) X(TIOCMSET) X(TIOCMBIS) X(TIOCMBIC) X(TIOCMIWAIT) X(TIOCGICOUNT) \
	X(TIOCGSERIAL) X(TIOCSSERIAL) X(TIOCSBRK) X(TIOCCBRK) X(TCSBRKP)          \
	X(TIOCGRS485) X(TIOCSRS485) X(TIOCEXCL) X(TIOCNXCL)
#define DENY_IOCTL(req) IF("ioctl", KV_OP_DENY_IF, EQ32(1, req)),
#define LIFT_IOCTL(req) IF("ioctl", KV_OP_LIFT_IF, EQ32(1, req)),
#define USB_IOCTLS(op) IF("ioctl", op, MASK(1, 0xff00, 'U' << 8))
#define HID_IOCTLS(op) IF("ioctl", op, MASK(1, 0xff00, 'H' << 8))

/* ---- baseline: every non-zero mask ---- */
static const struct kv_entry baseline[] = {
	/* file I/O */
	A("read"), A("write"), A("readv"), A("writev"), A("pread64"), A("pwrite64"),
	A("preadv"), A("pwritev"), A("preadv2"), A("pwritev2"), A("open"), A("openat"),
	A("openat2"), A("creat"), A("close_range"), A("lseek"), A("stat"), A("fstat"),
	A("lstat"), A("newfstatat"), A("statx"), A("statfs"), A("fstatfs"), A("access"),
	A("faccessat"), A("faccessat2"), A("getdents"), A("getdents64"), A("readlink"),
	A("readlinkat"), A("getcwd"), A("chdir"), A("fchdir"), A("mkdir"), A("mkdirat"),
	A("rmdir"), A("unlink"), A("unlinkat"), A("rename"), A("renameat"), A("renameat2"),
	A("truncate"), A("ftruncate"), A("fallocate"), A("fsync"), A("fdatasync"),
	A("sync_file_range"), A("syncfs"), A("chmod"), A("fchmod"), A("fchmodat"),
	A("fchmodat2"), A("chown"), A("fchown"), A("lchown"), A("fchownat"), A("utime"),
	A("utimes"), A("utimensat"), A("futimesat"), A("umask"), A("dup"), A("dup2"),
	A("dup3"), A("fcntl"), A("pipe"), A("pipe2"), A("mknod"), A("mknodat"),
	A("copy_file_range"), A("fadvise64"), A("readahead"), A("getxattr"), A("lgetxattr"),
	A("fgetxattr"), A("listxattr"), A("llistxattr"), A("flistxattr"), A("setxattr"),
	A("lsetxattr"), A("fsetxattr"), A("removexattr"), A("lremovexattr"),
	A("fremovexattr"), A("getxattrat"), A("setxattrat"), A("listxattrat"),
	A("removexattrat"), A("file_getattr"), A("file_setattr"), A("cachestat"),
	A("statmount"), A("listmount"),
	/* ioctl, minus the device families a domain bit unlocks */
	A("ioctl"), SERIAL_IOCTLS(DENY_IOCTL) USB_IOCTLS(KV_OP_DENY_IF),
	HID_IOCTLS(KV_OP_DENY_IF),
	/* memory: huge pages are the llm bit's */
	IF("mmap", KV_OP_ALLOW_IF, MASK(3, MAP_HUGETLB, 0)), A("msync"), A("mincore"),
	A("pkey_mprotect"), A("pkey_alloc"), A("pkey_free"), A("mseal"),
	/* processes: no namespaces (the swarm bit's), clone3 is a hard ENOSYS */
	IF("clone", KV_OP_ALLOW_IF, MASK(0, KV_NS_FLAGS, 0)),
	IF("unshare", KV_OP_ALLOW_IF, MASK(0, KV_NS_FLAGS | CLONE_NEWTIME, 0)),
	A("fork"), A("vfork"), A("execve"), A("wait4"), A("waitid"), A("getppid"),
	A("getuid"), A("geteuid"), A("getgid"), A("getegid"), A("getgroups"),
	A("getresuid"), A("getresgid"), A("getpgrp"), A("prctl"), A("arch_prctl"),
	A("getrlimit"), A("setrlimit"), A("prlimit64"), A("getrusage"), A("times"),
	A("sysinfo"), A("uname"), A("getrandom"), A("getpriority"), A("setpriority"),
	A("ioprio_get"), A("ioprio_set"), A("sched_getaffinity"), A("sched_getparam"),
	A("sched_getscheduler"), A("sched_getattr"), A("sched_get_priority_max"),
	A("sched_get_priority_min"), A("sched_rr_get_interval"), A("getcpu"),
	A("capget"), A("seccomp"), A("landlock_create_ruleset"), A("landlock_add_rule"),
	A("landlock_restrict_self"), A("lsm_get_self_attr"), A("lsm_list_modules"),
	PERSONALITY_RULES,
	/* time */
	A("clock_getres"), A("gettimeofday"), A("time"), A("alarm"), A("getitimer"),
	A("setitimer"), A("timer_create"), A("timer_settime"), A("timer_gettime"),
	A("timer_getoverrun"), A("timer_delete"),
	/* signals to itself, waiting */
	A("rt_sigpending"), A("rt_sigtimedwait"), A("rt_sigsuspend"), A("pause"),
	/* poll */
	A("poll"), A("ppoll"), A("select"), A("pselect6"), A("epoll_create"),
	A("epoll_create1"), A("epoll_ctl"), A("epoll_wait"), A("epoll_pwait"),
	A("epoll_pwait2"),
	/* sockets: Unix and IP only (no packet, raw netlink, vsock, ...) */
	IF("socket", KV_OP_ALLOW_IF, EQ32(0, AF_UNIX)),
	IF("socket", KV_OP_ALLOW_IF, EQ32(0, AF_INET)),
	IF("socket", KV_OP_ALLOW_IF, EQ32(0, AF_INET6)),
	IF("socketpair", KV_OP_ALLOW_IF, EQ32(0, AF_UNIX)),
	A("connect"), A("bind"), A("listen"), A("accept"), A("accept4"), A("getsockname"),
	A("getpeername"), A("sendto"), A("recvfrom"), A("sendmsg"), A("recvmsg"),
	A("sendmmsg"), A("recvmmsg"), A("shutdown"), A("setsockopt"), A("getsockopt"),
};

/* ---- NOTIFY tier (non-zero masks): held for the supervisor ---- */
static const struct kv_entry notify_tier[] = {
	N("ptrace"), N("bpf"), N("mount"), N("umount2"), N("userfaultfd"),
	N("perf_event_open"), N("setns"), N("capset"),
};

/* ---- bits 0-15 ---- */
static const struct kv_entry g_auth[] = { A("keyctl"), A("add_key"), A("request_key") };
/* capget is baseline: it only reads the caller's own state */
static const struct kv_entry g_rbac[] = { A("capset") };
static const struct kv_entry g_events[] = {
	A("eventfd"), A("eventfd2"), A("signalfd"), A("signalfd4"), A("timerfd_create"),
	A("timerfd_settime"), A("timerfd_gettime"),
};
static const struct kv_entry g_db[] = {
	A("flock"), A("shmget"), A("shmat"), A("shmdt"), A("shmctl"), A("semget"), A("semop"),
	A("semtimedop"), A("semctl"), A("msgget"), A("msgsnd"), A("msgrcv"), A("msgctl"),
	A("mq_open"), A("mq_unlink"), A("mq_timedsend"), A("mq_timedreceive"),
	A("mq_notify"), A("mq_getsetattr"),
};
static const struct kv_entry g_notification[] = {
	A("sendfile"), A("splice"), A("tee"), A("vmsplice"),
};
static const struct kv_entry g_cache[] = {
	A("mlock"), A("mlock2"), A("mlockall"), A("munlock"), A("munlockall"), A("mremap"),
};
static const struct kv_entry g_forja[] = { A("memfd_create") };
static const struct kv_entry g_llm[] = { A("mmap") }; /* with MAP_HUGETLB too */
static const struct kv_entry g_knowledge[] = {
	A("inotify_init"), A("inotify_init1"), A("inotify_add_watch"), A("inotify_rm_watch"),
};
static const struct kv_entry g_memory[] = {
	A("mbind"), A("get_mempolicy"), A("set_mempolicy"), A("set_mempolicy_home_node"),
};
static const struct kv_entry g_packages[] = {
	A("symlink"), A("symlinkat"), A("link"), A("linkat"),
};
static const struct kv_entry g_swarm[] = {
	A("kill"), A("tgkill"), A("tkill"), A("rt_sigqueueinfo"), A("rt_tgsigqueueinfo"),
	A("pidfd_open"), A("pidfd_send_signal"), A("setpgid"), A("setsid"), A("getpgid"),
	A("getsid"),
	/* sandboxing its workers: namespaces */
	A("clone"), A("unshare"),
};
static const struct kv_entry g_codegen[] = { A("execveat") };

const struct kv_group kv_grp_bits[16] = {
	GROUP("auth", "kernel keyrings", g_auth),
	GROUP("rbac", "capset without the supervisor", g_rbac),
	GROUP("events", "eventfd, signalfd, timerfd", g_events),
	GROUP("db", "flock, System V and POSIX IPC (shared memory, semaphores, queues)", g_db),
	GROUP("notification", "zero-copy transfer: sendfile, splice, tee", g_notification),
	GROUP("cache", "locked memory and mremap", g_cache),
	EMPTY("registered", "no syscalls: unlocks loopback services for egress"),
	GROUP("forja", "memfd_create", g_forja),
	GROUP("llm", "large-memory ops: huge-page mmap", g_llm),
	GROUP("knowledge", "inotify", g_knowledge),
	EMPTY("domain_rules", "no syscalls"),
	GROUP("memory", "NUMA memory policy", g_memory),
	EMPTY("search", "no syscalls"),
	GROUP("packages", "symbolic and hard links", g_packages),
	GROUP("swarm", "signals to other processes, sessions, namespaces", g_swarm),
	GROUP("codegen", "execveat", g_codegen),
};

/* ---- bits 16-23, per domain ---- */
static const struct kv_entry d_serial[] = { SERIAL_IOCTLS(LIFT_IOCTL) };
static const struct kv_entry d_usb[] = { USB_IOCTLS(KV_OP_LIFT_IF) };
static const struct kv_entry d_hsm[] = { USB_IOCTLS(KV_OP_LIFT_IF), HID_IOCTLS(KV_OP_LIFT_IF) };
static const struct kv_entry d_inotify[] = {
	A("inotify_init"), A("inotify_init1"), A("inotify_add_watch"), A("inotify_rm_watch"),
};
static const struct kv_entry d_flock[] = { A("flock") };
static const struct kv_entry d_transfer[] = { A("sendfile"), A("splice"), A("tee") };
static const struct kv_entry d_rtsched[] = {
	A("sched_setscheduler"), A("sched_setparam"), A("sched_setattr"),
	A("sched_setaffinity"),
};
static const struct kv_entry d_memlock[] = {
	A("mlock"), A("mlock2"), A("mlockall"), A("munlock"), A("munlockall"),
};
static const struct kv_entry d_keyring[] = { A("keyctl"), A("add_key"), A("request_key") };
static const struct kv_entry d_secretmem[] = { A("memfd_secret") };

const struct kv_group kv_grp_domain[KV_DOMAIN_COUNT][8] = {
	[KV_DOMAIN_MARITIME] = {
		GROUP("serial_nmea", "NMEA serial ports: modem lines, breaks, RS-485", d_serial),
		GROUP("ais_sdr", "AIS receivers on USB (usbdevfs ioctls)", d_usb),
	},
	[KV_DOMAIN_LOGISTICS] = {
		GROUP("edi_watch", "watch EDI drop directories (inotify)", d_inotify),
		GROUP("edi_locking", "flock on exchange files", d_flock),
		GROUP("edi_transfer", "sendfile, splice, tee", d_transfer),
	},
	[KV_DOMAIN_OT] = {
		GROUP("rt_sched", "realtime scheduling: sched_set*", d_rtsched),
		GROUP("rt_memlock", "locked memory for realtime loops", d_memlock),
		GROUP("modbus_rtu", "Modbus RTU serial lines (RS-485, modem lines)", d_serial),
	},
	[KV_DOMAIN_FINANCE] = {
		GROUP("hsm_usb", "HSMs and key tokens on USB (usbdevfs, hidraw ioctls)", d_hsm),
		GROUP("keyring", "kernel keyrings for key material", d_keyring),
		GROUP("key_memlock", "locked memory (keys never swapped)", d_memlock),
		GROUP("secret_mem", "memfd_secret", d_secretmem),
	},
};

/* ---- depth ---- */
static const struct kv_entry depth2[] = { RM("ptrace"), RM("mknod"), RM("mknodat") };
static const struct kv_entry depth3[] = {
	RM("fork"), RM("vfork"), RM("clone"),
	IF("clone", KV_OP_ALLOW_IF, MASK(0, KV_NS_FLAGS | CLONE_THREAD, CLONE_THREAD)),
};
/* depth >= 4 (non-zero mask): the read-only profile, file writes supervised */
static const struct kv_entry supervised_writes[] = {
	IF("open", KV_OP_NOTIFY_IF, MASK(1, O_WRONLY, O_WRONLY)),
	IF("open", KV_OP_NOTIFY_IF, MASK(1, O_RDWR, O_RDWR)),
	IF("open", KV_OP_NOTIFY_IF, MASK(1, O_CREAT, O_CREAT)),
	IF("open", KV_OP_NOTIFY_IF, MASK(1, O_TRUNC, O_TRUNC)),
	IF("open", KV_OP_NOTIFY_IF, MASK(1, O_APPEND, O_APPEND)),
	IF("openat", KV_OP_NOTIFY_IF, MASK(2, O_WRONLY, O_WRONLY)),
	IF("openat", KV_OP_NOTIFY_IF, MASK(2, O_RDWR, O_RDWR)),
	IF("openat", KV_OP_NOTIFY_IF, MASK(2, O_CREAT, O_CREAT)),
	IF("openat", KV_OP_NOTIFY_IF, MASK(2, O_TRUNC, O_TRUNC)),
	IF("openat", KV_OP_NOTIFY_IF, MASK(2, O_APPEND, O_APPEND)),
	N("creat"), N("mkdir"), N("mkdirat"), N("rmdir"), N("unlink"), N("unlinkat"),
	N("rename"), N("renameat"), N("renameat2"), N("truncate"), N("ftruncate"),
	N("fallocate"), N("link"), N("linkat"), N("symlink"), N("symlinkat"), N("chmod"),
	N("fchmod"), N("fchmodat"), N("fchmodat2"), N("chown"), N("fchown"), N("lchown"),
	N("fchownat"), N("utime"), N("utimes"), N("utimensat"), N("futimesat"),
	N("setxattr"), N("lsetxattr"), N("fsetxattr"), N("removexattr"),
	N("lremovexattr"), N("fremovexattr"),
};
/* read-only and --strict-exec: the supervisor approves the launch exec only */
static const struct kv_entry launch_exec[] = { RM("execve"), N("execve"), RM("execveat") };

/* ---- hard rules, last: nothing above can undo them ---- */
static const struct kv_entry hard[] = {
	/* clone3 takes its flags in memory seccomp cannot read: ENOSYS makes
	 * glibc fall back to clone(), whose flags the filter does see */
	ERR("clone3", ENOSYS),
	/* terminal input injection, and TIOCLINUX's selection paste */
	IF("ioctl", KV_OP_DENY_IF, EQ32(1, TIOCSTI)),
	IF("ioctl", KV_OP_DENY_IF, EQ32(1, TIOCLINUX)),
	/* io_uring runs operations no seccomp filter sees */
	RM("io_uring_setup"), RM("io_uring_enter"), RM("io_uring_register"),
};
/* openat2 takes its flags in memory: ENOSYS so libc falls back to openat */
static const struct kv_entry hard_readonly[] = { ERR("openat2", ENOSYS) };

const struct kv_group kv_grp_nofreeze =
	GROUP("no-freeze", "always allowed so an agent can exit, wait and handle signals",
	      nofreeze);
const struct kv_group kv_grp_readonly =
	GROUP("read-only", "trust mask 0: read, list, stat, write to open descriptors", readonly);
const struct kv_group kv_grp_baseline =
	GROUP("baseline", "every non-zero mask: files, memory, processes, sockets", baseline);
const struct kv_group kv_grp_notify_tier =
	GROUP("notify", "held for the supervisor (non-zero masks)", notify_tier);
const struct kv_group kv_grp_depth2 = GROUP("depth2", "no ptrace, no mknod", depth2);
const struct kv_group kv_grp_depth3 = GROUP("depth3", "no new processes", depth3);
const struct kv_group kv_grp_supervised_writes =
	GROUP("supervised-writes", "depth >= 4: file writes held for the supervisor",
	      supervised_writes);
const struct kv_group kv_grp_launch_exec =
	GROUP("launch-exec", "only the launch exec, approved by the supervisor", launch_exec);
const struct kv_group kv_grp_hard = GROUP("hard", "in every profile", hard);
const struct kv_group kv_grp_hard_readonly =
	GROUP("hard-readonly", "in read-only profiles", hard_readonly);

static const struct {
	const char *name;
	const char *why;
	bool readonly_only;
} never[] = {
	{ "clone3", "its flags live in memory seccomp cannot read, so namespace creation "
		    "could not be filtered (libc falls back to clone)" },
	{ "io_uring_setup", "io_uring runs operations that bypass the seccomp filter" },
	{ "io_uring_enter", "io_uring runs operations that bypass the seccomp filter" },
	{ "io_uring_register", "io_uring runs operations that bypass the seccomp filter" },
	{ "openat2", "its flags live in memory seccomp cannot read, so the read-only "
		     "profile could not tell reads from writes", true },
	{ "creat", "it always opens for writing", true },
};

const char *kv_never_allow_reason(const char *name, bool ro)
{
	size_t i;

	for (i = 0; i < COUNT(never); i++)
		if (!strcmp(name, never[i].name) && (ro || !never[i].readonly_only))
			return never[i].why;
	return NULL;
}
