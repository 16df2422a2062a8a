// SPDX-License-Identifier: BSD-2-Clause
/* Profile -> libseccomp contexts -> BPF -> kernel. Compiling (libseccomp,
 * ~2 ms for a full profile) is kv_seccomp_prepare, loading two seccomp(2)
 * calls, so kavachos can compile before it forks the agent. Two filters at
 * most: the guard (carve-outs, default allow) is loaded first, the main
 * filter last, so the main filter's own seccomp() call is still allowed.
 * We load with seccomp(2) rather than seccomp_load() so the listener fd is
 * exactly this filter's (libseccomp keeps one per process and would hand
 * out a stale one). Both filters are for
 * x86_64 only: i386 (int 0x80) and x32 (nr | 0x40000000) calls do not match
 * the architecture check libseccomp emits and take the bad-arch action,
 * which we set to ERRNO(EPERM) like every other refusal. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "common/log.h"
#include "seccomp/seccomp.h"
#include "seccomp/seccomp_int.h"

#define BPF_INSN_SIZE 8
/* above this many syscalls a binary tree beats libseccomp's linear list */
#define TREE_THRESHOLD 32

struct filters {
	scmp_filter_ctx main, guard;
	bool notify; /* main has NOTIFY rules */
};

/* Exactly what goes into libseccomp for one profile: plan (with the handoff
 * rule), default action, flags. kv_seccomp_key hashes it. */
struct compile_input {
	struct kv_plan plan;
	uint32_t def, flags;
	bool tree, notify;
};

static int add_rules(scmp_filter_ctx ctx, const struct kv_rule *r, size_t n)
{
	struct scmp_arg_cmp a[KV_RULE_MAX_ARGS];
	size_t i;
	int k, rc;

	for (i = 0; i < n; i++) {
		for (k = 0; k < r[i].n_args; k++) {
			a[k].arg = r[i].args[k].arg;
			a[k].op = (enum scmp_compare)r[i].args[k].op;
			a[k].datum_a = r[i].args[k].a;
			a[k].datum_b = r[i].args[k].b;
		}
		rc = seccomp_rule_add_exact_array(ctx, r[i].action, r[i].nr, r[i].n_args, a);
		if (rc) {
			char txt[256];

			kv_rule_format(&r[i], txt, sizeof(txt));
			kv_debug("seccomp", "libseccomp refused rule '%s': %s", txt, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static scmp_filter_ctx new_ctx(uint32_t def, uint32_t flags, bool tree)
{
	scmp_filter_ctx ctx = seccomp_init(def);

	if (!ctx)
		return NULL;
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(EPERM)) ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1) ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1) ||
	    (tree && seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) ||
	    ((flags & (1u << 1)) && seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1)) ||
	    ((flags & (1u << 2)) && seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1))) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

static void filters_release(struct filters *f)
{
	if (f->main)
		seccomp_release(f->main);
	if (f->guard)
		seccomp_release(f->guard);
	f->main = f->guard = NULL;
}

static bool allows_sendmsg(const struct kv_plan *plan, uint32_t def)
{
	int nr = kv_syscall_nr("sendmsg");
	size_t i;

	if (def == SCMP_ACT_ALLOW)
		return true;
	for (i = 0; i < plan->n_main; i++)
		if (plan->main[i].nr == nr && !plan->main[i].n_args)
			return plan->main[i].action == SCMP_ACT_ALLOW;
	return false;
}

/* handoff_sock >= 0: let sendmsg through on that fd (see the header).
 * no_listener: NOTIFY rules become ERRNO(EPERM), what the supervisor's
 * default decision would have been. */
static int input_make(const struct kv_profile *p, int handoff_sock, bool no_listener,
		      struct compile_input *ci)
{
	struct kv_plan *plan = &ci->plan;
	char err[256];
	size_t i;
	int rc;

	memset(ci, 0, sizeof(*ci));
	ci->def = kv_profile_default_action(p);
	ci->flags = kv_profile_filter_flags(p);
	rc = kv_profile_plan(p, plan, err, sizeof(err));
	if (rc) {
		kv_debug("seccomp", "%s", err);
		return rc;
	}
	if (no_listener) {
		size_t j = 0;

		for (i = 0; i < plan->n_main; i++) {
			if ((plan->main[i].action & 0xffff0000u) == SCMP_ACT_NOTIFY)
				plan->main[i].action = SCMP_ACT_ERRNO(EPERM);
			/* now the same as the default: libseccomp refuses such rules */
			if (plan->main[i].action != ci->def)
				plan->main[j++] = plan->main[i];
		}
		plan->n_main = j;
	}
	ci->tree = plan->n_main_syscalls > TREE_THRESHOLD;
	if (handoff_sock >= 0 && !allows_sendmsg(plan, ci->def)) {
		struct kv_rule r = { .nr = kv_syscall_nr("sendmsg"), .action = SCMP_ACT_ALLOW,
				     .n_args = 1 }, *nv;

		r.args[0].op = SCMP_CMP_MASKED_EQ;
		r.args[0].a = 0xffffffffu; /* the fd is an int */
		r.args[0].b = (uint32_t)handoff_sock;
		nv = realloc(plan->main, (plan->n_main + 1) * sizeof(*nv));
		if (!nv) {
			kv_plan_free(plan);
			return -ENOMEM;
		}
		nv[plan->n_main++] = r;
		plan->main = nv;
	}
	for (i = 0; i < plan->n_main; i++)
		if ((plan->main[i].action & 0xffff0000u) == SCMP_ACT_NOTIFY)
			ci->notify = true;
	return 0;
}

static int compile_input(const struct compile_input *ci, struct filters *f)
{
	int rc = -ENOMEM;

	memset(f, 0, sizeof(*f));
	f->notify = ci->notify;
	f->main = new_ctx(ci->def, ci->flags, ci->tree);
	if (!f->main)
		goto out;
	if ((rc = add_rules(f->main, ci->plan.main, ci->plan.n_main)))
		goto out;
	if (ci->plan.n_guard) {
		rc = -ENOMEM;
		f->guard = new_ctx(SCMP_ACT_ALLOW, 0, false);
		if (!f->guard)
			goto out;
		if ((rc = add_rules(f->guard, ci->plan.guard, ci->plan.n_guard)))
			goto out;
	}
	rc = 0;
out:
	if (rc)
		filters_release(f);
	return rc;
}

static int compile(const struct kv_profile *p, int handoff_sock, bool no_listener,
		   struct filters *f)
{
	struct compile_input ci;
	int rc = input_make(p, handoff_sock, no_listener, &ci);

	if (rc)
		return rc;
	rc = compile_input(&ci, f);
	kv_plan_free(&ci.plan);
	return rc;
}

/* Bump when new_ctx or compile_input change what the same input compiles to. */
#define KEY_FORMAT "kavachos-seccomp-compile-1"

struct keybuf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

static void key_u64(struct keybuf *k, uint64_t v)
{
	int i;

	if (k->len + 8 > k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 4096;
		uint8_t *np = realloc(k->p, cap);

		if (!np) {
			k->oom = true;
			return;
		}
		k->p = np;
		k->cap = cap;
	}
	for (i = 0; i < 8; i++)
		k->p[k->len++] = (uint8_t)(v >> (8 * i));
}

static void key_rules(struct keybuf *k, const struct kv_rule *r, size_t n)
{
	size_t i;
	int a;

	key_u64(k, n);
	for (i = 0; i < n; i++) {
		key_u64(k, (uint64_t)(int64_t)r[i].nr);
		key_u64(k, r[i].action);
		key_u64(k, r[i].n_args);
		for (a = 0; a < r[i].n_args; a++) {
			key_u64(k, r[i].args[a].arg);
			key_u64(k, r[i].args[a].op);
			key_u64(k, r[i].args[a].a);
			key_u64(k, r[i].args[a].b);
		}
	}
}

/* Field by field (no struct padding), then the digest. */
static int input_key(const struct compile_input *ci, char hex[KV_SHA256_HEX])
{
	const struct scmp_version *v = seccomp_version();
	struct keybuf k = { 0 };
	size_t i;
	int rc;

	for (i = 0; i < sizeof(KEY_FORMAT); i++)
		key_u64(&k, (uint8_t)KEY_FORMAT[i]);
	key_u64(&k, v ? v->major : 0);
	key_u64(&k, v ? v->minor : 0);
	key_u64(&k, v ? v->micro : 0);
	key_u64(&k, ci->def);
	key_u64(&k, ci->flags);
	key_u64(&k, ci->tree);
	key_rules(&k, ci->plan.main, ci->plan.n_main);
	key_rules(&k, ci->plan.guard, ci->plan.n_guard);
	rc = k.oom ? -ENOMEM : kv_sha256_hex(k.p, k.len, hex);
	free(k.p);
	return rc;
}

int kv_seccomp_key(const struct kv_profile *p, int handoff_sock, char hex[KV_SHA256_HEX])
{
	struct compile_input ci;
	int rc = input_make(p, handoff_sock, false, &ci);

	if (rc)
		return rc;
	rc = input_key(&ci, hex);
	kv_plan_free(&ci.plan);
	return rc;
}

/* libseccomp's BPF for ctx, through a memfd (2.5 has no in-memory export). */
static int export_bpf(scmp_filter_ctx ctx, struct sock_filter **out, size_t *n)
{
	int fd = memfd_create("kv-bpf", MFD_CLOEXEC), rc;
	off_t end;

	*out = NULL;
	*n = 0;
	if (fd < 0)
		return -errno;
	rc = seccomp_export_bpf(ctx, fd);
	if (!rc && (end = lseek(fd, 0, SEEK_END)) < 0)
		rc = -errno;
	if (!rc && (!end || end % BPF_INSN_SIZE || end / BPF_INSN_SIZE > BPF_MAXINSNS))
		rc = -E2BIG;
	if (!rc && !(*out = malloc((size_t)end)))
		rc = -ENOMEM;
	if (!rc && pread(fd, *out, (size_t)end, 0) != end)
		rc = -EIO;
	if (!rc)
		*n = (size_t)end / BPF_INSN_SIZE;
	close(fd);
	if (rc) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

void kv_seccomp_prog_free(struct kv_seccomp_prog *prog)
{
	if (!prog)
		return;
	free(prog->main);
	free(prog->guard);
	free(prog);
}

static int prepare(const struct kv_profile *p, int handoff_sock, bool no_listener,
		   struct kv_seccomp_prog **out)
{
	struct kv_seccomp_prog *prog;
	struct compile_input ci;
	struct filters f;
	int rc;

	*out = NULL;
	prog = calloc(1, sizeof(*prog));
	if (!prog)
		return -ENOMEM;
	rc = input_make(p, handoff_sock, no_listener, &ci);
	if (rc) {
		free(prog);
		return rc;
	}
	rc = input_key(&ci, prog->key);
	rc = rc ?: compile_input(&ci, &f);
	kv_plan_free(&ci.plan);
	if (rc) {
		free(prog);
		return rc;
	}
	prog->profile = p;
	prog->handoff_sock = handoff_sock;
	prog->flags = kv_profile_filter_flags(p) &
		      (SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW);
	prog->notify = f.notify;
	rc = export_bpf(f.main, &prog->main, &prog->n_main);
	if (!rc && f.guard)
		rc = export_bpf(f.guard, &prog->guard, &prog->n_guard);
	filters_release(&f);
	if (rc) {
		kv_seccomp_prog_free(prog);
		return rc;
	}
	*out = prog;
	return 0;
}

int kv_seccomp_prepare(const struct kv_profile *p, int handoff_sock,
		       struct kv_seccomp_prog **out)
{
	return prepare(p, handoff_sock, false, out);
}

/* seccomp(2) itself, so the listener is exactly this filter's: 0, the
 * listener fd, or -errno. All threads (TSYNC, failing with ESRCH rather
 * than a thread id); without TSYNC_ESRCH (kernels < 5.7) the calling thread,
 * which in the child about to exec is the only one. */
static int load_bpf(const struct sock_filter *insns, size_t n, unsigned int flags)
{
	struct sock_fprog fp = { .len = (unsigned short)n, .filter = (struct sock_filter *)insns };
	unsigned int sync = SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags | sync, &fp);

	if (rc < 0 && errno == EINVAL)
		rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fp);
	return rc < 0 ? -errno : (int)rc;
}

int kv_seccomp_load(const struct kv_seccomp_prog *prog, int *notify_fd)
{
	struct kv_seccomp_prog *fallback = NULL;
	int rc;

	*notify_fd = -1;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 &&
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	/* the guard first: the main filter may not allow seccomp() itself */
	if (prog->guard && (rc = load_bpf(prog->guard, prog->n_guard, prog->flags)) < 0)
		return rc;
	rc = load_bpf(prog->main, prog->n_main,
		      prog->flags | (prog->notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0));
	if (rc == -EBUSY && prog->notify) {
		/* The kernel allows one listener per task and an outer filter (an
		 * outer kavachos) has it. The launch exec cannot be approved then;
		 * otherwise the NOTIFY tier is denied outright, as the supervisor's
		 * default would. */
		if (kv_profile_launch_exec_supervised(prog->profile))
			return -EBUSY;
		kv_warn("seccomp", "a seccomp listener exists already (nested run?): "
				   "NOTIFY-tier syscalls are denied without asking");
		if ((rc = prepare(prog->profile, prog->handoff_sock, true, &fallback)))
			return rc;
		rc = load_bpf(fallback->main, fallback->n_main, fallback->flags);
		kv_seccomp_prog_free(fallback);
		return rc < 0 ? rc : 0;
	}
	if (rc < 0)
		return rc;
	if (prog->notify)
		*notify_fd = rc;
	return 0;
}

int kv_seccomp_load_handoff(const struct kv_seccomp_prog *prog, int sock)
{
	int nfd = -1, rc;

	if (sock < 0 || sock != prog->handoff_sock)
		return -EBADF;
	rc = kv_seccomp_load(prog, &nfd);
	if (!rc)
		rc = kv_fd_send(sock, nfd);
	if (nfd >= 0)
		close(nfd);
	close(sock);
	return rc;
}

int kv_seccomp_install(const struct kv_profile *p, int *notify_fd)
{
	struct kv_seccomp_prog *prog;
	int rc;

	*notify_fd = -1;
	if ((rc = kv_seccomp_prepare(p, -1, &prog)))
		return rc;
	rc = kv_seccomp_load(prog, notify_fd);
	kv_seccomp_prog_free(prog);
	return rc;
}

int kv_seccomp_install_handoff(const struct kv_profile *p, int sock)
{
	struct kv_seccomp_prog *prog;
	int rc;

	if (sock < 0)
		return -EBADF;
	if ((rc = kv_seccomp_prepare(p, sock, &prog))) {
		close(sock);
		return rc;
	}
	rc = kv_seccomp_load_handoff(prog, sock);
	kv_seccomp_prog_free(prog);
	return rc;
}

int kv_seccomp_export_pfc(const struct kv_profile *p, int fd)
{
	struct filters f;
	char def[48];
	int rc;

	if ((rc = compile(p, -1, false, &f)))
		return rc;
	kv_action_format(kv_profile_default_action(p), def, sizeof(def));
	dprintf(fd, "#\n# kavachos main filter (default %s)\n", def);
	rc = seccomp_export_pfc(f.main, fd);
	if (!rc && f.guard) {
		dprintf(fd, "#\n# kavachos guard filter: carve-outs from allowed syscalls "
			    "(default allow; the kernel applies the stricter result)\n");
		rc = seccomp_export_pfc(f.guard, fd);
	}
	filters_release(&f);
	return rc;
}

int kv_seccomp_filter_size(const struct kv_profile *p, size_t *main_insns, size_t *guard_insns)
{
	struct sock_filter *insns = NULL;
	struct filters f;
	int rc;

	*main_insns = *guard_insns = 0;
	if ((rc = compile(p, -1, false, &f)))
		return rc;
	rc = export_bpf(f.main, &insns, main_insns);
	free(insns);
	if (!rc && f.guard) {
		rc = export_bpf(f.guard, &insns, guard_insns);
		free(insns);
	}
	filters_release(&f);
	return rc;
}
