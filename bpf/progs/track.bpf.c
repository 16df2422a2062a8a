// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tracepoints that see what every session does: syscalls refused by its
 * seccomp filter (counted at sys_exit, because a call seccomp refuses never
 * reaches sys_enter), its process tree (fork, exec with the file executed
 * and the head of argv, exit), and the gate valve's fork/exec effects
 * where BPF-LSM cannot load (the new process is killed before it runs a
 * single instruction of its own). */
#include "kv_common.bpf.h"

#define KV_SIGKILL 9
#define KV_SIGSTOP 19
/* x86_64 numbers of the calls that return 0 in a new child */
#define KV_NR_CLONE 56
#define KV_NR_FORK 57
#define KV_NR_VFORK 58
#define KV_NR_CLONE3 435
#define EACCES 13
#define EXDEV 18
#define KV_AT_FDCWD -100

/* Gate effects by tracepoint: only when the session enforces its valve and
 * BPF-LSM is not doing it already. */
static __always_inline bool gate_by_tracepoint(const struct kv_session *s)
{
	return (s->flags & KV_SF_ENFORCE_GATE) && !(s->flags & KV_SF_GATE_LSM);
}

/* A process the valve does not allow any more: kill it, count it, say so. */
static __always_inline void gate_kill(__u64 session, struct kv_session *s, __u32 cls,
				      __u32 type, const char *filename)
{
	struct kv_session_state *st;
	struct kv_ev_proc *e;

	bpf_send_signal(KV_SIGKILL);
	st = kv_violation(session, s, cls);
	if (!st || !kv_rate_allow(s, st, bpf_ktime_get_boot_ns()))
		return;
	e = kv_event_reserve(st, sizeof(*e));
	if (!e)
		return;
	kv_fill_hdr(&e->hdr, type, sizeof(*e), session, cls);
	e->ppid = 0;
	e->exit_code = -EPERM;
	e->child_pid = e->hdr.pid;
	e->args_len = 0;
	e->args[0] = 0;
	if (filename)
		bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), filename);
	else
		e->filename[0] = 0;
	bpf_ringbuf_submit(e, 0);
}

/* The first thing a new child does is return 0 from clone/fork: if its
 * session is THROTTLED or worse, it dies there. Threads are left alone. */
static __always_inline int fork_child_check(struct pt_regs *regs)
{
	__u64 pid_tgid, session;
	struct kv_session *s = 0;
	long nr = regs->orig_ax; /* direct BTF read: no helper call on this hot path */

	if (nr != KV_NR_CLONE && nr != KV_NR_CLONE3 && nr != KV_NR_FORK && nr != KV_NR_VFORK)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	if ((__u32)pid_tgid != pid_tgid >> 32)
		return 0; /* a new thread, not a new process */
	session = kv_current_session(&s);
	if (!session || !gate_by_tracepoint(s) || kv_gate_state(session) < KV_GATE_THROTTLED)
		return 0;
	gate_kill(session, s, KV_CLASS_PROCESS, KV_EV_PROC_DENY, 0);
	return 0;
}

static __always_inline bool bit_set(const __u64 *map, __u64 nr)
{
	return map[(nr / 64) & (KV_MAX_SYSCALLS / 64 - 1)] & (1ULL << (nr % 64));
}

/* A call the session's seccomp filter refused: count it (the gate moves),
 * stop the violator at LOCKED, stream the event. */
static __always_inline int count_refusal(__u64 session, struct kv_session *s, struct pt_regs *regs,
					 long nr, long ret)
{
	struct kv_syscall_policy *sp;
	struct kv_session_state *st;
	struct kv_ev_syscall *e;
	__u32 cls = KV_CLASS_SYSCALL;

	sp = bpf_map_lookup_elem(&kv_syscalls, &session);
	if (!sp)
		return 0;
	if (nr >= 0 && nr < KV_MAX_SYSCALLS) {
		/* unconditionally allowed: the refusal came from the kernel or
		 * from a filter the agent stacked itself, not from ours */
		if (bit_set(sp->allow, nr))
			return 0;
		if (bit_set(sp->notify, nr))
			cls = KV_CLASS_NOTIFY;
	}
	/* out of table (x32 bit, garbage): refused by the filter too */
	st = kv_violation(session, s, cls);
	/* LOCKED: the violator stops before it returns to user space; the
	 * cgroup freeze (user space, on the event) then stops the rest */
	if (st && st->gate == KV_GATE_LOCKED && gate_by_tracepoint(s))
		bpf_send_signal(KV_SIGSTOP);
	if (!st || !kv_rate_allow(s, st, bpf_ktime_get_boot_ns()))
		return 0;
	e = kv_event_reserve(st, sizeof(*e));
	if (!e)
		return 0;
	kv_fill_hdr(&e->hdr, KV_EV_SYSCALL_DENY, sizeof(*e), session, cls);
	e->nr = nr;
	e->ret = ret;
	e->args[0] = BPF_CORE_READ(regs, di);
	e->args[1] = BPF_CORE_READ(regs, si);
	e->args[2] = BPF_CORE_READ(regs, dx);
	e->args[3] = BPF_CORE_READ(regs, r10);
	e->args[4] = BPF_CORE_READ(regs, r8);
	e->args[5] = BPF_CORE_READ(regs, r9);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* Where a file call keeps its paths: the first (judged; rename/link: the
 * source) and second (rename/link: destination; symlink: its target)
 * argument index, and the dirfd's (-1: none, AT_FDCWD reported). x86_64. */
static __always_inline bool file_call(long nr, int *p1, int *p2, int *dirfd)
{
	*p2 = -1;
	*dirfd = -1;
	switch (nr) {
	case 2: /* open */
	case 85: /* creat */
	case 76: /* truncate */
	case 83: /* mkdir */
	case 133: /* mknod */
	case 87: /* unlink */
	case 84: /* rmdir */
	case 59: /* execve */
		*p1 = 0;
		return true;
	case 82: /* rename */
	case 86: /* link */
		*p1 = 0;
		*p2 = 1;
		return true;
	case 88: /* symlink(target, linkpath) */
		*p1 = 1;
		*p2 = 0;
		return true;
	case 257: /* openat */
	case 437: /* openat2 */
	case 258: /* mkdirat */
	case 259: /* mknodat */
	case 263: /* unlinkat */
	case 322: /* execveat */
		*p1 = 1;
		*dirfd = 0;
		return true;
	case 264: /* renameat(olddirfd, old, newdirfd, new) */
	case 316: /* renameat2 */
	case 265: /* linkat */
		*p1 = 1;
		*p2 = 3;
		*dirfd = 0;
		return true;
	case 266: /* symlinkat(target, newdirfd, linkpath) */
		*p1 = 2;
		*p2 = 0;
		*dirfd = 1;
		return true;
	}
	return false;
}

static __always_inline __u64 arg_of(struct pt_regs *regs, int i)
{
	switch (i) {
	case 0: return BPF_CORE_READ(regs, di);
	case 1: return BPF_CORE_READ(regs, si);
	case 2: return BPF_CORE_READ(regs, dx);
	case 3: return BPF_CORE_READ(regs, r10);
	}
	return 0;
}

/* A file call of a session whose file rules Landlock enforces came back
 * EACCES/EXDEV: Landlock's refusal (or the file's permissions: nothing
 * here tells them apart), so it is recorded, not counted as a violation. */
static __always_inline int file_refusal(struct pt_regs *regs, long ret)
{
	struct kv_session_state *st;
	struct kv_session *s = 0;
	struct kv_ev_file *e;
	__u64 session;
	int p1, p2, dfd;
	long nr;

	session = kv_current_session(&s);
	if (!session || !s || !(s->flags & KV_SF_FILES_LANDLOCK))
		return 0;
	nr = BPF_CORE_READ(regs, orig_ax);
	if (!file_call(nr, &p1, &p2, &dfd))
		return 0;
	st = bpf_map_lookup_elem(&kv_state, &session);
	if (!st)
		return 0;
	e = kv_audit_reserve(s, st, sizeof(*e));
	if (!e)
		return 0;
	kv_fill_hdr(&e->hdr, KV_EV_FILE_REFUSED, sizeof(*e), session, KV_CLASS_MAX);
	e->nr = nr;
	e->err = (__s32)-ret;
	e->dirfd = dfd >= 0 ? (__s32)arg_of(regs, dfd) : KV_AT_FDCWD;
	e->path[0] = 0;
	e->path2[0] = 0;
	bpf_probe_read_user_str(e->path, sizeof(e->path), (void *)arg_of(regs, p1));
	if (p2 >= 0)
		bpf_probe_read_user_str(e->path2, sizeof(e->path2), (void *)arg_of(regs, p2));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* raw_syscalls:sys_exit(regs, ret). Foreign tasks leave after a few
 * compares: EPERM (a refusal to count), 0 from a clone-family call (a new
 * child the gate may forbid), EACCES/EXDEV (a Landlock session's file
 * refusal); everything else before any map lookup. Any
 * program here puts every syscall of the host on the slow path, so the
 * daemon attaches it only while a session lives, and kv_seccomp_exit
 * replaces it where tracing trampolines and BPF-LSM work. */
SEC("tp_btf/sys_exit")
int BPF_PROG(kv_sys_exit, struct pt_regs *regs, long ret)
{
	struct kv_session *s = 0;
	__u64 session;

	if (ret == 0)
		return fork_child_check(regs);
	if (ret == -EACCES || ret == -EXDEV)
		return file_refusal(regs, ret);
	if (ret != -EPERM)
		return 0;
	session = kv_current_session(&s);
	if (!session)
		return 0;
	return count_refusal(session, s, regs, BPF_CORE_READ(regs, orig_ax), ret);
}

/* seccomp's own verdict: __secure_computing() returns non-zero when the
 * filter refused the call. Only tasks with a seccomp filter get here, so
 * the rest of the host pays nothing. bpf_get_func_ret reads the return
 * value whatever the function's argument count (it changed across kernels).
 * Loaded instead of kv_sys_exit where it attaches and BPF-LSM does the
 * gate's fork check (task_alloc). */
SEC("?fexit/__secure_computing")
int kv_seccomp_exit(__u64 *ctx)
{
	struct kv_session *s = 0;
	struct pt_regs *regs;
	__u64 session, ret = 0;

	if (bpf_get_func_ret(ctx, &ret) || (int)ret == 0)
		return 0;
	session = kv_current_session(&s);
	if (!session)
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	/* the filter's errno is already in the return register */
	return count_refusal(session, s, regs, BPF_CORE_READ(regs, orig_ax),
			     BPF_CORE_READ(regs, ax));
}

/* A process event of a live session, rate-limited like every event; what
 * is not sent is counted in audit_dropped. NULL when nothing is to send. */
static __always_inline struct kv_ev_proc *proc_event(__u64 session, struct kv_session *s, __u32 type)
{
	struct kv_session_state *st = bpf_map_lookup_elem(&kv_state, &session);
	struct kv_ev_proc *e;

	if (!st)
		return 0;
	e = kv_audit_reserve(s, st, sizeof(*e));
	if (!e)
		return 0;
	kv_fill_hdr(&e->hdr, type, sizeof(*e), session, KV_CLASS_MAX);
	e->ppid = 0;
	e->exit_code = 0;
	e->child_pid = 0;
	e->args_len = 0;
	e->filename[0] = 0;
	e->args[0] = 0;
	return e;
}

/* Exec audit: what the session ran, the file actually executed, argv's head. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(kv_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct kv_session *s = 0;
	struct kv_ev_proc *e;
	__u64 session = kv_current_session(&s), start, end, len;

	if (!session)
		return 0;
	/* CRACKED: no exec. The new image is killed before it runs. */
	if (gate_by_tracepoint(s) && kv_gate_state(session) >= KV_GATE_CRACKED) {
		gate_kill(session, s, KV_CLASS_EXEC, KV_EV_EXEC_DENY, BPF_CORE_READ(bprm, filename));
		return 0;
	}
	e = proc_event(session, s, KV_EV_EXEC);
	if (!e)
		return 0;
	e->ppid = BPF_CORE_READ(p, real_parent, tgid);
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), BPF_CORE_READ(bprm, filename));
	/* the new image's argv is in place on its stack by now */
	start = BPF_CORE_READ(p, mm, arg_start);
	end = BPF_CORE_READ(p, mm, arg_end);
	len = end > start ? end - start : 0;
	if (len > sizeof(e->args))
		len = sizeof(e->args);
	if (len && !bpf_probe_read_user(e->args, len, (void *)start))
		e->args_len = len;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* The session's process tree: a new process (threads are not). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(kv_fork, struct task_struct *parent, struct task_struct *child)
{
	struct kv_session *s = 0;
	struct kv_ev_proc *e;
	__u64 session;

	if (BPF_CORE_READ(child, tgid) == BPF_CORE_READ(parent, tgid))
		return 0; /* a new thread */
	session = kv_current_session(&s);
	if (!session)
		return 0;
	e = proc_event(session, s, KV_EV_FORK);
	if (!e)
		return 0;
	e->ppid = BPF_CORE_READ(parent, tgid);
	e->child_pid = BPF_CORE_READ(child, tgid);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* A process of the session is gone (its last thread): how it ended. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(kv_exit, struct task_struct *p)
{
	struct kv_session *s = 0;
	struct kv_ev_proc *e;
	__u64 session;

	/* do_exit drops signal->live before this tracepoint: 0 = group dead */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	session = kv_current_session(&s);
	if (!session)
		return 0;
	e = proc_event(session, s, KV_EV_EXIT);
	if (!e)
		return 0;
	e->ppid = BPF_CORE_READ(p, real_parent, tgid);
	e->exit_code = BPF_CORE_READ(p, exit_code);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
