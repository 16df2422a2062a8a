// SPDX-License-Identifier: BSD-2-Clause
/* Kernel feature probes: each one really loads (and where it matters,
 * attaches) a minimal program, as systemd's bpf probes do. "features: "
 * prefixes every log line. */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/landlock.h>
#include <linux/magic.h>
#include <linux/seccomp.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "common/log.h"
#include "features/features.h"
#include "lsm/lsm.h"
#include "run/pidns.h"
#include "session/cgroup.h"

#define FEAT "features"

#define INSN_MOV_R0(v) { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = (v) }
#define INSN_MOV_R1(v) { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = (v) }
#define INSN_CALL(f) { .code = BPF_JMP | BPF_CALL, .imm = (f) }
#define INSN_EXIT { .code = BPF_JMP | BPF_EXIT }

static const struct bpf_insn prog_ret1[] = { INSN_MOV_R0(1), INSN_EXIT };
static const struct bpf_insn prog_ret0[] = { INSN_MOV_R0(0), INSN_EXIT };
static const struct bpf_insn prog_signal[] = {
	INSN_MOV_R1(0), INSN_CALL(BPF_FUNC_send_signal), INSN_MOV_R0(0), INSN_EXIT,
};

static void set(struct kv_feat *f, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set(struct kv_feat *f, bool ok, const char *fmt, ...)
{
	va_list ap;

	f->ok = ok;
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
}

static bool fs_is(const char *path, long magic)
{
	struct statfs s;

	return !statfs(path, &s) && s.f_type == magic;
}

static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	buf[0] = 0;
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

/* Mount bpffs and securityfs where the host left them out (root only). */
static void mount_pseudo_fs(struct kv_features *f)
{
	f->bpffs_mounted = fs_is("/sys/fs/bpf", BPF_FS_MAGIC);
	if (!f->bpffs_mounted && geteuid() == 0) {
		mkdir("/sys/fs/bpf", 0700);
		if (!mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
			kv_debug(FEAT, "mounted bpffs at /sys/fs/bpf");
		f->bpffs_mounted = fs_is("/sys/fs/bpf", BPF_FS_MAGIC);
	}
	f->securityfs_mounted = fs_is("/sys/kernel/security", SECURITYFS_MAGIC);
	if (!f->securityfs_mounted && geteuid() == 0) {
		if (!mount("securityfs", "/sys/kernel/security", "securityfs", 0, NULL))
			kv_debug(FEAT, "mounted securityfs at /sys/kernel/security");
		f->securityfs_mounted = fs_is("/sys/kernel/security", SECURITYFS_MAGIC);
	}
	if (f->securityfs_mounted) {
		read_line("/sys/kernel/security/lsm", f->lsm_list, sizeof(f->lsm_list));
		char lock[128], *a, *z;

		read_line("/sys/kernel/security/lockdown", lock, sizeof(lock));
		/* "none [integrity] confidentiality": the bracketed one is active */
		a = strchr(lock, '[');
		z = a ? strchr(a, ']') : NULL;
		if (a && z) {
			*z = 0;
			snprintf(f->lockdown, sizeof(f->lockdown), "%s", a + 1);
		}
	}
}

static int load(enum bpf_prog_type type, enum bpf_attach_type eat, __u32 btf_id,
		const struct bpf_insn *insns, size_t n)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = eat, .attach_btf_id = btf_id);

	return bpf_prog_load(type, "kv_probe", "GPL", insns, n, &o);
}

static void probe_cgroup(struct kv_features *f)
{
	static const struct {
		enum bpf_attach_type at;
		enum bpf_prog_type pt;
	} sock_addr[] = {
		{ BPF_CGROUP_INET4_CONNECT, BPF_PROG_TYPE_CGROUP_SOCK_ADDR },
		{ BPF_CGROUP_INET6_CONNECT, BPF_PROG_TYPE_CGROUP_SOCK_ADDR },
		{ BPF_CGROUP_UDP4_SENDMSG, BPF_PROG_TYPE_CGROUP_SOCK_ADDR },
		{ BPF_CGROUP_UDP6_SENDMSG, BPF_PROG_TYPE_CGROUP_SOCK_ADDR },
	};
	char dir[PATH_MAX], file[PATH_MAX + 32];
	int cg, fd, link, err = 0;
	size_t i;

	if (!f->cgroup2_root[0]) {
		set(&f->cgroup_sock_addr, false, "no cgroup2 hierarchy mounted");
		set(&f->cgroup_sock_create, false, "no cgroup2 hierarchy mounted");
		set(&f->connect_unix, false, "no cgroup2 hierarchy mounted");
		set(&f->cgroup_freeze, false, "no cgroup2 hierarchy mounted");
		set(&f->cgroup_kill, false, "no cgroup2 hierarchy mounted");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/kavachos-probe-%d", f->cgroup2_root, (int)getpid());
	if (mkdir(dir, 0755) && errno != EEXIST) {
		err = -errno;
		set(&f->cgroup_sock_addr, false, "cannot create a probe cgroup: %s", strerror(-err));
		f->cgroup_sock_create = f->connect_unix = f->cgroup_freeze = f->cgroup_kill =
			f->cgroup_sock_addr;
		return;
	}
	cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (i = 0; i < sizeof(sock_addr) / sizeof(sock_addr[0]) && !err; i++) {
		fd = load(sock_addr[i].pt, sock_addr[i].at, 0, prog_ret1, 2);
		if (fd < 0) {
			err = -errno;
			break;
		}
		link = bpf_link_create(fd, cg, sock_addr[i].at, NULL);
		if (link < 0)
			err = -errno;
		else
			close(link);
		close(fd);
	}
	if (err)
		set(&f->cgroup_sock_addr, false, "load/attach refused: %s", strerror(-err));
	else
		set(&f->cgroup_sock_addr, true, "connect4/6, sendmsg4/6 load and attach");

	fd = load(BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE, 0, prog_ret1, 2);
	link = fd >= 0 ? bpf_link_create(fd, cg, BPF_CGROUP_INET_SOCK_CREATE, NULL) : -1;
	if (link >= 0)
		set(&f->cgroup_sock_create, true, "sock_create loads and attaches");
	else
		set(&f->cgroup_sock_create, false, "refused: %s", strerror(errno));
	if (link >= 0)
		close(link);
	if (fd >= 0)
		close(fd);

	if (f->connect_unix_attach_type < 0) {
		set(&f->connect_unix, false, "kernel has no BPF_CGROUP_UNIX_CONNECT (< 6.7)");
	} else {
		enum bpf_attach_type at = (enum bpf_attach_type)f->connect_unix_attach_type;

		fd = load(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, at, 0, prog_ret1, 2);
		link = fd >= 0 ? bpf_link_create(fd, cg, at, NULL) : -1;
		if (link >= 0)
			set(&f->connect_unix, true, "attach type %d loads and attaches", (int)at);
		else
			set(&f->connect_unix, false, "refused: %s", strerror(errno));
		if (link >= 0)
			close(link);
		if (fd >= 0)
			close(fd);
	}
	snprintf(file, sizeof(file), "%s/cgroup.freeze", dir);
	set(&f->cgroup_freeze, !access(file, W_OK), "%s", !access(file, W_OK) ? "cgroup.freeze present" : "no cgroup.freeze (< 5.2)");
	snprintf(file, sizeof(file), "%s/cgroup.kill", dir);
	set(&f->cgroup_kill, !access(file, W_OK), "%s", !access(file, W_OK) ? "cgroup.kill present" : "no cgroup.kill (< 5.14)");
	if (cg >= 0)
		close(cg);
	rmdir(dir);
}

/* The kernel's BTF is parsed once per probe run (5 MB: tens of ms each). */
static struct btf *vmlinux_btf;

/* Load prog as a tracing program at the BTF id and attach it, then let go:
 * 0, or -errno of the step that was refused. */
static int load_attach(int id, enum bpf_attach_type eat, const struct bpf_insn *insns, size_t n)
{
	int fd = load(BPF_PROG_TYPE_TRACING, eat, id, insns, n), link, e;

	if (fd < 0)
		return -errno;
	link = bpf_raw_tracepoint_open(NULL, fd);
	e = link < 0 ? -errno : 0;
	if (link >= 0)
		close(link);
	close(fd);
	return e;
}

static void probe_tracing(struct kv_features *f)
{
	int id, fd, e;

	id = vmlinux_btf ? btf__find_by_name_kind(vmlinux_btf, "btf_trace_sys_exit", BTF_KIND_TYPEDEF)
			 : -ENOENT;
	e = id > 0 ? load_attach(id, BPF_TRACE_RAW_TP, prog_ret0, 2) : -ENOENT;
	if (!e)
		set(&f->tp_btf, true, "tp_btf/sys_exit loads and attaches");
	else
		set(&f->tp_btf, false, "refused: %s", id > 0 ? strerror(-e) : "no BTF for sys_exit");

	fd = id > 0 ? load(BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, id, prog_signal, 4) : -1;
	set(&f->send_signal, fd >= 0, "%s", fd >= 0 ? "bpf_send_signal loads from tp_btf" : strerror(errno));
	if (fd >= 0)
		close(fd);

	/* trampolines: seccomp's verdict without hooking every syscall */
	id = vmlinux_btf ? btf__find_by_name_kind(vmlinux_btf, "__secure_computing", BTF_KIND_FUNC)
			 : -ENOENT;
	e = id > 0 ? load_attach(id, BPF_TRACE_FEXIT, prog_ret0, 2) : -ENOENT;
	if (!e)
		set(&f->fexit_seccomp, true, "fexit/__secure_computing loads and attaches");
	else
		set(&f->fexit_seccomp, false, "refused: %s",
		    id > 0 ? strerror(-e) : "no BTF for __secure_computing");
}

static void probe_lsm(struct kv_features *f)
{
	int id, fd, link;

	if (!f->securityfs_mounted) {
		set(&f->bpf_lsm, false, "securityfs not mounted: cannot read the active LSMs");
		return;
	}
	if (!strstr(f->lsm_list, "bpf")) {
		set(&f->bpf_lsm, false, "BPF-LSM not enabled (active: %s; boot with lsm=...,bpf)", f->lsm_list);
		return;
	}
	id = vmlinux_btf ? btf__find_by_name_kind(vmlinux_btf, "bpf_lsm_file_open", BTF_KIND_FUNC)
			 : -ENOENT;
	if (id <= 0) {
		set(&f->bpf_lsm, false, "no BTF for bpf_lsm_file_open");
		return;
	}
	fd = load(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, id, prog_ret0, 2);
	if (fd < 0) {
		set(&f->bpf_lsm, false, "bpf is active but lsm/ programs are refused at load: %s%s%s",
		    strerror(errno), f->lockdown[0] ? " (lockdown=" : "", f->lockdown[0] ? f->lockdown : "");
		if (f->lockdown[0])
			strncat(f->bpf_lsm.detail, ")", sizeof(f->bpf_lsm.detail) - strlen(f->bpf_lsm.detail) - 1);
		return;
	}
	link = bpf_raw_tracepoint_open(NULL, fd);
	if (link < 0) {
		set(&f->bpf_lsm, false, "lsm/file_open loads but attach refused: %s", strerror(errno));
	} else {
		char missing[128];

		/* every hook lsm.bpf.c attaches must exist (CONFIG_SECURITY_PATH...) */
		if (kv_lsm_hooks_check(missing, sizeof(missing)))
			set(&f->bpf_lsm, false, "BPF-LSM works but this kernel lacks hooks: %s",
			    missing);
		else
			set(&f->bpf_lsm, true, "lsm/file_open loads and attaches; all hooks present");
	}
	if (link >= 0)
		close(link);
	close(fd);
}

static void probe_other(struct kv_features *f)
{
	__u32 action;
	int abi, fd, status;
	pid_t pid;

	fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "kv_probe", 0, 0, 4096, NULL);
	set(&f->ringbuf, fd >= 0, "%s", fd >= 0 ? "BPF_MAP_TYPE_RINGBUF created" : strerror(errno));
	if (fd >= 0)
		close(fd);

	action = SECCOMP_RET_ERRNO;
	f->seccomp_filter.ok = !syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action);
	snprintf(f->seccomp_filter.detail, sizeof(f->seccomp_filter.detail), "%s",
		 f->seccomp_filter.ok ? "SECCOMP_RET_ERRNO available" : strerror(errno));
	action = SECCOMP_RET_USER_NOTIF;
	f->seccomp_notify.ok = !syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action);
	snprintf(f->seccomp_notify.detail, sizeof(f->seccomp_notify.detail), "%s",
		 f->seccomp_notify.ok ? "SECCOMP_RET_USER_NOTIF available" : strerror(errno));

	abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	f->landlock_abi = abi > 0 ? abi : 0;
	if (abi > 0)
		set(&f->landlock, true, "ABI version %d", abi);
	else
		set(&f->landlock, false, "%s", errno == EOPNOTSUPP ? "disabled at boot (not in lsm=)" : strerror(errno));

	/* A PID namespace needs a fork to test: unshare applies to children. */
	pid = fork();
	if (pid == 0)
		_exit(unshare(CLONE_NEWPID) ? 1 : 0);
	status = -1;
	if (pid > 0)
		waitpid(pid, &status, 0);
	set(&f->pidns, pid > 0 && WIFEXITED(status) && !WEXITSTATUS(status), "%s",
	    pid > 0 && WIFEXITED(status) && !WEXITSTATUS(status) ? "unshare(CLONE_NEWPID) works"
								  : "unshare(CLONE_NEWPID) refused");
}

/* In a forked child: what an unprivileged client of kavachos-load does for
 * its session, with the code its init runs (kv_pidns_init_mounts): a user
 * namespace with a PID namespace, our own ids mapped, a procfs of the new
 * namespace in a mount namespace of its own. As nobody when we are root.
 * The exit code names the step. */
static int try_unprivileged_pidns(void)
{
	uid_t euid;
	gid_t egid;
	int st;
	pid_t pid;

	if (geteuid() == 0 && (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
			       setresuid(65534, 65534, 65534)))
		return 9;
	/* the uid change made us non-dumpable: /proc/self would be root's */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	euid = geteuid();
	egid = getegid();
	if (unshare(CLONE_NEWUSER | CLONE_NEWPID))
		return 1;
	/* the first child is the new namespace's init, as a session's is */
	pid = fork();
	if (pid == 0)
		_exit(kv_pidns_init_mounts(KV_PIDNS_USERNS, euid, egid) ? 2 : 0);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		return 2;
	return 0;
}

static void probe_pidns_userns(struct kv_features *f)
{
	static const char *const why[] = {
		[0] = "a user namespace with a PID namespace and its own /proc works",
		[1] = "unprivileged user namespaces refused (sysctl, or a chroot)",
		[2] = "the new namespace's id maps or its own /proc refused",
	};
	int status = -1;
	pid_t pid = fork();

	if (pid == 0)
		_exit(try_unprivileged_pidns());
	if (pid > 0)
		waitpid(pid, &status, 0);
	status = pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	set(&f->pidns_userns, status == 0, "%s",
	    status >= 0 && status <= 2 ? why[status] : "probe failed");
}

static void probe_btf_enums(struct kv_features *f)
{
	struct btf *btf = vmlinux_btf;
	const struct btf_type *t;
	const struct btf_enum *e;
	int id, i;

	f->connect_unix_attach_type = -1;
	f->sendmsg_unix_attach_type = -1;
	if (!btf) {
		set(&f->btf, false, "/sys/kernel/btf/vmlinux missing: CO-RE programs cannot load");
		return;
	}
	set(&f->btf, true, "/sys/kernel/btf/vmlinux present");
	id = btf__find_by_name_kind(btf, "bpf_attach_type", BTF_KIND_ENUM);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	for (i = 0; t && i < btf_vlen(t); i++) {
		e = btf_enum(t) + i;
		if (!strcmp(btf__name_by_offset(btf, e->name_off), "BPF_CGROUP_UNIX_CONNECT"))
			f->connect_unix_attach_type = e->val;
		else if (!strcmp(btf__name_by_offset(btf, e->name_off), "BPF_CGROUP_UNIX_SENDMSG"))
			f->sendmsg_unix_attach_type = e->val;
	}
}

static bool has_v1_mounts(void)
{
	char line[1024];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	bool v1 = false;

	if (!f)
		return false;
	while (!v1 && fgets(line, sizeof(line), f))
		v1 = strstr(line, " - cgroup ") != NULL;
	fclose(f);
	return v1;
}

static int silent_print(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	if (l == LIBBPF_DEBUG || kv_verbose < 2)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

const struct kv_features *kv_features_get(void)
{
	static struct kv_features f;
	static bool done;
	libbpf_print_fn_t old;
	struct utsname u;

	if (done)
		return &f;
	done = true;
	old = libbpf_set_print(silent_print);
	if (!uname(&u))
		snprintf(f.kernel, sizeof(f.kernel), "%s", u.release);
	if (kv_cgroup2_root(f.cgroup2_root, sizeof(f.cgroup2_root)))
		f.cgroup2_root[0] = 0;
	f.cgroup_hybrid = f.cgroup2_root[0] && has_v1_mounts();
	mount_pseudo_fs(&f);
	vmlinux_btf = btf__load_vmlinux_btf();
	probe_btf_enums(&f);
	probe_cgroup(&f);
	probe_tracing(&f);
	probe_lsm(&f);
	probe_other(&f);
	probe_pidns_userns(&f);
	btf__free(vmlinux_btf);
	vmlinux_btf = NULL;
	libbpf_set_print(old);
	return &f;
}
