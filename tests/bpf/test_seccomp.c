// SPDX-License-Identifier: BSD-2-Clause
/* Profiles on the real kernel: fork, install the filters, exec real
 * programs or issue syscalls, and assert the kernel's answers (errno).
 * Each agent runs like `kavachos run` runs it: the child installs the
 * profile last and hands its listener to the parent, whose supervisor
 * thread approves the launch exec and decides the NOTIFY tier. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kvtest.h"
#include "seccomp/seccomp.h"

#define X32_SYSCALL_BIT 0x40000000
#define MAX_DECISIONS 32

struct decisions {
	pthread_mutex_t mu;
	int n;
	struct {
		pid_t pid;
		char name[32];
		bool allowed;
		char reason[64];
		char path[256];
	} d[MAX_DECISIONS];
};

static void record(void *ctx, const struct kv_notify_decision *d)
{
	struct decisions *r = ctx;

	pthread_mutex_lock(&r->mu);
	if (r->n < MAX_DECISIONS) {
		r->d[r->n].pid = d->pid;
		snprintf(r->d[r->n].name, sizeof(r->d[0].name), "%s", d->name);
		r->d[r->n].allowed = d->allowed;
		snprintf(r->d[r->n].reason, sizeof(r->d[0].reason), "%s", d->reason);
		snprintf(r->d[r->n].path, sizeof(r->d[0].path), "%s", d->path ? d->path : "");
		r->n++;
	}
	pthread_mutex_unlock(&r->mu);
}

struct agent_run {
	int status;
	char out[16384];
	size_t outlen;
	struct decisions dec;
	bool had_listener;
};

static struct kv_profile *build(uint32_t mask, enum kv_domain d, uint32_t depth, bool strict)
{
	struct kv_profile_input in = { .trust_mask = mask, .domain = d, .depth = depth,
				       .strict_exec = strict };
	struct kv_profile *p = NULL;
	char err[256];

	if (!ASSERT_OK(kv_profile_build(&in, &p, err, sizeof(err)), err))
		return NULL;
	return p;
}

/* Runs argv under p in tmpdir (cwd), like `kavachos run` would: filters
 * compiled here before the fork, loaded in the child, the supervisor in this
 * process. ask_tty: ask on that terminal. */
static int run_agent(const struct kv_profile *p, char *const argv[], struct agent_run *r,
		     const char *ask_tty, unsigned ask_ms)
{
	char home[512], tmp[512];
	char *envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin", home, tmp, "LANG=C",
			 "GIT_CONFIG_NOSYSTEM=1", NULL };
	struct kv_seccomp_prog *prog = NULL;
	struct kv_notify *sup = NULL;
	int out[2], sv[2], lfd = -1, rc;
	pid_t pid;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->dec.mu, NULL);
	snprintf(home, sizeof(home), "HOME=%s", kvtest_tmpdir());
	snprintf(tmp, sizeof(tmp), "TMPDIR=%s", kvtest_tmpdir());
	if (pipe2(out, O_CLOEXEC) || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	if ((rc = kv_seccomp_prepare(p, sv[1], &prog)))
		return rc;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(out[1], 2);
		close(sv[0]);
		if (chdir(kvtest_tmpdir()))
			_exit(121);
		if (kv_seccomp_load_handoff(prog, sv[1]))
			_exit(120);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	kv_seccomp_prog_free(prog);
	close(out[1]);
	close(sv[1]);
	rc = kv_fd_recv(sv[0], &lfd);
	close(sv[0]);
	if (rc == 0 && lfd >= 0) {
		struct kv_notify_cfg cfg = { .listener_fd = lfd, .launch_pid = pid,
					     .launch_path = argv[0], .on_decision = record,
					     .ctx = &r->dec, .ask = ask_tty != NULL,
					     .tty_path = ask_tty, .ask_timeout_ms = ask_ms };

		r->had_listener = true;
		rc = kv_notify_start(&cfg, &sup);
	}
	while ((n = read(out[0], r->out + r->outlen, sizeof(r->out) - 1 - r->outlen)) > 0)
		r->outlen += (size_t)n;
	r->out[r->outlen] = 0;
	close(out[0]);
	waitpid(pid, &r->status, 0);
	kv_notify_stop(sup);
	return rc;
}

static bool exited_ok(const struct agent_run *r, const char *tag)
{
	if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0)
		return true;
	fprintf(stderr, "  %s: status %#x, output:\n%s\n", tag, r->status, r->out);
	return ASSERT_TRUE(false, tag);
}

static int write_file(const char *name, const char *text)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", kvtest_tmpdir(), name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	return close(fd);
}

static bool program(const char *path)
{
	return access(path, X_OK) == 0;
}

/* ---- real programs under the 0xFFFF baseline ---- */

static void run_ok(char *const argv[], const char *expect, const char *tag)
{
	struct kv_profile *p = build(0xFFFF, KV_DOMAIN_GENERAL, 1, false);
	struct agent_run r;

	if (!p)
		return;
	if (ASSERT_OK(run_agent(p, argv, &r, NULL, 0), tag) && exited_ok(&r, tag))
		ASSERT_HAS_SUBSTR(r.out, expect, tag);
	kv_profile_free(p);
}

KV_TEST(ffff_sh_pipeline)
{
	char *argv[] = { "/bin/sh", "-c",
			 "echo hello world | tr a-z A-Z | sed s/WORLD/KAVACH/ | wc -c; "
			 "echo hello world | tr a-z A-Z", NULL };

	run_ok(argv, "HELLO WORLD", "sh");
}

KV_TEST(ffff_python3)
{
	char *argv[] = { "/usr/bin/python3", "-c",
			 "import json, threading, subprocess, tempfile, os\n"
			 "out = []\n"
			 "t = threading.Thread(target=lambda: out.append(sum(range(1000))))\n"
			 "t.start(); t.join()\n"
			 "with tempfile.NamedTemporaryFile('w', delete=False) as f: f.write('x')\n"
			 "os.unlink(f.name)\n"
			 "r = subprocess.run(['/bin/echo', 'child'], capture_output=True,\n"
			 "                   text=True)\n"
			 "print(json.dumps({'sum': out[0], 'child': r.stdout.strip()}))\n",
			 NULL };

	if (!program(argv[0])) {
		test__skip("%s not installed", argv[0]);
		return;
	}
	run_ok(argv, "{\"sum\": 499500, \"child\": \"child\"}", "python3");
}

KV_TEST(ffff_git_commit)
{
	char *argv[] = { "/bin/sh", "-c",
			 "git init -q repo && cd repo && echo hi > f && git add f && "
			 "git -c user.name=kv -c user.email=kv@example.invalid commit -qm first && "
			 "git log --oneline | wc -l && git status --porcelain | wc -l",
			 NULL };

	if (!program("/usr/bin/git")) {
		test__skip("git not installed");
		return;
	}
	run_ok(argv, "1\n0\n", "git");
}

KV_TEST(ffff_gcc_compile_run)
{
	static const char src[] = "#include <stdio.h>\n"
				  "int main(void) { puts(\"hello from gcc\"); return 0; }\n";
	char *argv[] = { "/bin/sh", "-c", "gcc -O0 -o hello hello.c && ./hello", NULL };

	if (!program("/usr/bin/gcc")) {
		test__skip("gcc not installed");
		return;
	}
	if (!ASSERT_OK(write_file("hello.c", src), "write hello.c"))
		return;
	run_ok(argv, "hello from gcc", "gcc");
}

KV_TEST(ffff_node_eval)
{
	char *argv[] = { "/usr/bin/node", "-e",
			 "const fs = require('fs');"
			 "fs.writeFileSync('n.txt', [1,2,3].map(x => x * 2).join(','));"
			 "setTimeout(() => console.log('node:' + fs.readFileSync('n.txt')), 10);",
			 NULL };

	if (!program(argv[0])) {
		test__skip("node is not installed on this machine");
		return;
	}
	run_ok(argv, "node:2,4,6", "node");
}

/* ---- mask 0: read-only ---- */

KV_TEST(readonly_cat_ls_stat)
{
	struct kv_profile *p = build(0, KV_DOMAIN_GENERAL, 1, false);
	char file[512], *cat[] = { "/bin/cat", file, NULL };
	char *ls[] = { "/bin/ls", (char *)kvtest_tmpdir(), NULL };
	char *st[] = { "/usr/bin/stat", "-c", "size=%s", file, NULL };
	struct agent_run r;

	if (!p || !ASSERT_OK(write_file("data.txt", "read-only agent\n"), "write"))
		goto out;
	snprintf(file, sizeof(file), "%s/data.txt", kvtest_tmpdir());
	if (ASSERT_OK(run_agent(p, cat, &r, NULL, 0), "cat") && exited_ok(&r, "cat"))
		ASSERT_HAS_SUBSTR(r.out, "read-only agent", "cat output");
	ASSERT_TRUE(r.had_listener, "listener handed over");
	if (ASSERT_EQ(r.dec.n, 1, "one decision") && ASSERT_TRUE(r.dec.d[0].allowed, "launch"))
		ASSERT_STREQ(r.dec.d[0].reason, "launch exec", "reason");
	if (ASSERT_OK(run_agent(p, ls, &r, NULL, 0), "ls") && exited_ok(&r, "ls"))
		ASSERT_HAS_SUBSTR(r.out, "data.txt", "ls output");
	if (ASSERT_OK(run_agent(p, st, &r, NULL, 0), "stat") && exited_ok(&r, "stat"))
		ASSERT_HAS_SUBSTR(r.out, "size=16", "stat output");
out:
	kv_profile_free(p);
}

KV_TEST(readonly_write_socket_exec_denied)
{
	struct kv_profile *p = build(0, KV_DOMAIN_GENERAL, 1, false);
	char probe[512], rd[600], wr[600], *argv[8];
	struct agent_run r;
	struct stat st;

	if (!p || !ASSERT_OK(write_file("in.txt", "x"), "write"))
		goto out;
	snprintf(probe, sizeof(probe), "%s/tests/helpers/sc_probe", kvtest_build_dir());
	snprintf(rd, sizeof(rd), "read:%s/in.txt", kvtest_tmpdir());
	snprintf(wr, sizeof(wr), "write:%s/out.txt", kvtest_tmpdir());
	argv[0] = probe;
	argv[1] = rd;
	argv[2] = wr;
	argv[3] = "socket";
	argv[4] = "fork";
	argv[5] = "thread";
	argv[6] = "exec:/bin/true";
	argv[7] = NULL;
	if (!ASSERT_OK(run_agent(p, argv, &r, NULL, 0), "run") || !exited_ok(&r, "probe"))
		goto out;
	ASSERT_HAS_SUBSTR(r.out, "read=OK", "read");
	ASSERT_HAS_SUBSTR(r.out, "write=EPERM", "write");
	ASSERT_HAS_SUBSTR(r.out, "socket=EPERM", "socket");
	ASSERT_HAS_SUBSTR(r.out, "fork=EPERM", "fork");
	ASSERT_HAS_SUBSTR(r.out, "thread=OK", "thread");
	ASSERT_HAS_SUBSTR(r.out, "exec=EPERM", "second exec");
	ASSERT_ERR(stat(wr + 6, &st), "no file written");
	/* the launch was approved, the second exec denied by the supervisor */
	if (ASSERT_EQ(r.dec.n, 2, "two exec decisions")) {
		ASSERT_TRUE(r.dec.d[0].allowed, "launch allowed");
		ASSERT_STREQ(r.dec.d[0].path, probe, "launch path");
		ASSERT_FALSE(r.dec.d[1].allowed, "second exec denied");
		ASSERT_STREQ(r.dec.d[1].path, "/bin/true", "second path");
		ASSERT_STREQ(r.dec.d[1].reason, "exec after the launch", "reason");
	}
out:
	kv_profile_free(p);
}

KV_TEST(readonly_shell_redirect_fails_cleanly)
{
	struct kv_profile *p = build(0, KV_DOMAIN_GENERAL, 1, false);
	char *argv[] = { "/bin/sh", "-c", "echo x > made.txt", NULL };
	char path[512];
	struct agent_run r;
	struct stat st;

	if (!p)
		return;
	if (ASSERT_OK(run_agent(p, argv, &r, NULL, 0), "run")) {
		ASSERT_TRUE(WIFEXITED(r.status), "exited, no crash");
		ASSERT_NEQ(WEXITSTATUS(r.status), 0, "sh reports the failure");
		ASSERT_HAS_SUBSTR(r.out, "not permitted", "EPERM message");
	}
	snprintf(path, sizeof(path), "%s/made.txt", kvtest_tmpdir());
	ASSERT_ERR(stat(path, &st), "file not created");
	kv_profile_free(p);
}

/* ---- in-process checks: install in a fork, call, compare errno ---- */

/* Installs p in this (forked test) process; the listener is closed, so any
 * NOTIFY call fails with ENOSYS instead of waiting. */
static bool install_here(const struct kv_profile *p)
{
	int nfd = -1;

	if (!ASSERT_OK(kv_seccomp_install(p, &nfd), "install"))
		return false;
	if (nfd >= 0)
		close(nfd);
	return true;
}

/* Runs fn in a child with p installed; fn returns its verdict as exit 0/1. */
static void in_child(const struct kv_profile *p, bool (*fn)(void), const char *tag)
{
	int status = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(install_here(p) && fn() ? 0 : 1);
	waitpid(pid, &status, 0);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0, tag);
}

static long ret_errno(long rc)
{
	return rc < 0 ? errno : 0;
}

static bool check_tiocsti(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	char c = 'x';

	return ASSERT_EQ(ret_errno(ioctl(fd, TIOCSTI, &c)), EPERM, "TIOCSTI") &
	       /* the kernel only looks at the low 32 bits of the request */
	       ASSERT_EQ(ret_errno(syscall(SYS_ioctl, fd, 0x100000000ul | TIOCSTI, &c)), EPERM,
			 "TIOCSTI high bits") &
	       ASSERT_EQ(ret_errno(ioctl(fd, TIOCLINUX, &c)), EPERM, "TIOCLINUX");
}

KV_TEST(tiocsti_refused)
{
	struct kv_profile *ffff = build(0xFFFF, KV_DOMAIN_GENERAL, 1, false);
	struct kv_profile *ro = build(0, KV_DOMAIN_GENERAL, 1, false);
	struct winsize ws;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	char c = 'x';

	/* without a filter /dev/null answers ENOTTY: an EPERM below is seccomp */
	ASSERT_EQ(ret_errno(ioctl(fd, TIOCSTI, &c)), ENOTTY, "unfiltered TIOCSTI");
	ASSERT_EQ(ret_errno(ioctl(fd, TIOCGWINSZ, &ws)), ENOTTY, "unfiltered TIOCGWINSZ");
	if (ffff && ro) {
		in_child(ffff, check_tiocsti, "0xFFFF");
		in_child(ro, check_tiocsti, "mask 0");
	}
	kv_profile_free(ffff);
	kv_profile_free(ro);
}

static bool check_other_ioctls_pass(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct winsize ws;

	/* allowed through the filter: the driver answers */
	return ASSERT_EQ(ret_errno(ioctl(fd, TIOCGWINSZ, &ws)), ENOTTY, "TIOCGWINSZ");
}

KV_TEST(ioctl_others_reach_the_kernel)
{
	struct kv_profile *p = build(0xFF, KV_DOMAIN_GENERAL, 1, false);

	if (p)
		in_child(p, check_other_ioctls_pass, "0xFF");
	kv_profile_free(p);
}

static bool tiocmget_denied(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), v;

	return ASSERT_EQ(ret_errno(ioctl(fd, TIOCMGET, &v)), EPERM, "TIOCMGET");
}

static bool tiocmget_reaches_driver(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), v;

	return ASSERT_EQ(ret_errno(ioctl(fd, TIOCMGET, &v)), ENOTTY, "TIOCMGET");
}

/* Serial-line ioctls are maritime's bit 16; in general that bit is empty. */
KV_TEST(domain_bit_unlocks_serial_ioctls)
{
	struct kv_profile *gen = build(0x1FFFF, KV_DOMAIN_GENERAL, 1, false);
	struct kv_profile *mar = build(0x1FFFF, KV_DOMAIN_MARITIME, 1, false);

	if (gen && mar) {
		in_child(gen, tiocmget_denied, "general");
		in_child(mar, tiocmget_reaches_driver, "maritime");
	}
	kv_profile_free(gen);
	kv_profile_free(mar);
}

static bool check_x32(void)
{
	/* getppid is allowed as x86_64 #110; the same number with the x32 bit
	 * must not get through */
	return ASSERT_GE(syscall(SYS_getppid), 1, "x86_64 getppid") &
	       ASSERT_EQ(ret_errno(syscall(X32_SYSCALL_BIT | SYS_getppid)), EPERM, "x32 getppid") &
	       ASSERT_EQ(ret_errno(syscall(X32_SYSCALL_BIT | SYS_getpid)), EPERM, "x32 getpid");
}

KV_TEST(x32_refused)
{
	struct kv_profile *ffff = build(0xFFFF, KV_DOMAIN_GENERAL, 1, false);
	struct kv_profile *ro = build(0, KV_DOMAIN_GENERAL, 1, false);
	long unfiltered = syscall(X32_SYSCALL_BIT | SYS_getppid);

	/* ENOSYS without x32 support in the kernel, a pid with it */
	fprintf(stderr, "  unfiltered x32 getppid: %s\n",
		unfiltered < 0 ? strerror(errno) : "works (kernel has x32)");
	if (ffff && ro) {
		in_child(ffff, check_x32, "0xFFFF");
		in_child(ro, check_x32, "mask 0");
	}
	kv_profile_free(ffff);
	kv_profile_free(ro);
}

/* i386 getpid (#20) through int 0x80: returns the pid, or -errno in eax. */
static long int80_getpid(void)
{
	long ret = 20;

	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

static bool check_i386(void)
{
	return ASSERT_EQ(int80_getpid(), -EPERM, "int 0x80 getpid");
}

KV_TEST(i386_refused)
{
	struct kv_profile *p = build(0xFFFF, KV_DOMAIN_GENERAL, 1, false);
	int status = 0;
	pid_t pid;

	if (!p)
		return;
	/* does this kernel run int 0x80 at all? (the host's faults first) */
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(int80_getpid() == getpid() ? 0 : 1);
	waitpid(pid, &status, 0);
	if (WIFSIGNALED(status)) {
		kv_profile_free(p);
		test__skip("this kernel faults on int 0x80 (signal %d) before seccomp sees it; "
			   "the VM's 6.1 kernel runs it",
			   WTERMSIG(status));
		return;
	}
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "unfiltered int 0x80 getpid");
	in_child(p, check_i386, "i386 under 0xFFFF");
	kv_profile_free(p);
}

static bool check_sockets(void)
{
	int ok = socket(AF_INET, SOCK_STREAM, 0), ok6 = socket(AF_INET6, SOCK_DGRAM, 0);
	int un = socket(AF_UNIX, SOCK_STREAM, 0), sp[2];

	return ASSERT_GE(ok, 0, "AF_INET") & ASSERT_GE(ok6, 0, "AF_INET6") &
	       ASSERT_GE(un, 0, "AF_UNIX") &
	       ASSERT_EQ(ret_errno(socket(AF_PACKET, SOCK_RAW, 0)), EPERM, "AF_PACKET") &
	       ASSERT_EQ(ret_errno(socket(AF_NETLINK, SOCK_RAW, 0)), EPERM, "AF_NETLINK") &
	       ASSERT_EQ(ret_errno(socket(AF_VSOCK, SOCK_STREAM, 0)), EPERM, "AF_VSOCK") &
	       /* upper bits are ignored by the kernel: AF_PACKET in disguise */
	       ASSERT_EQ(ret_errno(syscall(SYS_socket, (1ul << 32) | AF_PACKET, SOCK_RAW, 0)),
			 EPERM, "AF_PACKET high bits") &
	       ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), "socketpair AF_UNIX");
}

KV_TEST(socket_families)
{
	struct kv_profile *p = build(0xFF, KV_DOMAIN_GENERAL, 1, false);
	int fd = socket(AF_PACKET, SOCK_RAW, 0);

	/* as root this works without a filter */
	ASSERT_GE(fd, 0, "unfiltered AF_PACKET");
	if (fd >= 0)
		close(fd);
	if (p)
		in_child(p, check_sockets, "0xFF");
	kv_profile_free(p);
}

/* CLONE_NEWUTS: root may create it anywhere (a user namespace is refused
 * inside a chroot, as in the VM, whatever the filter says) */
static bool check_ns_denied(void)
{
	struct clone_args ca = { .flags = CLONE_NEWUTS, .exit_signal = SIGCHLD };

	return ASSERT_EQ(ret_errno(unshare(CLONE_NEWUTS)), EPERM, "unshare NEWUTS") &
	       ASSERT_EQ(ret_errno(unshare(CLONE_NEWUSER)), EPERM, "unshare NEWUSER") &
	       ASSERT_EQ(ret_errno(unshare(CLONE_NEWNET)), EPERM, "unshare NEWNET") &
	       ASSERT_OK(unshare(CLONE_FS), "unshare FS") &
	       ASSERT_EQ(ret_errno(syscall(SYS_clone3, &ca, sizeof(ca))), ENOSYS, "clone3");
}

static bool check_ns_swarm(void)
{
	struct clone_args ca = { .flags = CLONE_NEWUTS, .exit_signal = SIGCHLD };

	return ASSERT_OK(unshare(CLONE_NEWUTS), "unshare NEWUTS") &
	       ASSERT_EQ(ret_errno(syscall(SYS_clone3, &ca, sizeof(ca))), ENOSYS, "clone3");
}

KV_TEST(namespaces_need_swarm)
{
	struct kv_profile *no = build(0xBFFF, KV_DOMAIN_GENERAL, 1, false);
	struct kv_profile *yes = build(0xFFFF, KV_DOMAIN_GENERAL, 1, false);

	if (no && yes) {
		in_child(no, check_ns_denied, "without swarm");
		in_child(yes, check_ns_swarm, "with swarm");
	}
	kv_profile_free(no);
	kv_profile_free(yes);
}

static bool check_personality(void)
{
	return ASSERT_GE(personality(0xffffffff), 0, "query") &
	       ASSERT_GE(personality(PER_LINUX), 0, "PER_LINUX") &
	       ASSERT_EQ(ret_errno(personality(ADDR_NO_RANDOMIZE)), EPERM, "ADDR_NO_RANDOMIZE") &
	       ASSERT_EQ(ret_errno(personality(READ_IMPLIES_EXEC)), EPERM, "READ_IMPLIES_EXEC");
}

KV_TEST(personality_values)
{
	struct kv_profile *p = build(0xFFFF, KV_DOMAIN_GENERAL, 1, false);

	if (p)
		in_child(p, check_personality, "0xFFFF");
	kv_profile_free(p);
}

static void *nop(void *a)
{
	return a;
}

static bool check_depth3(void)
{
	pthread_t t;
	int e = pthread_create(&t, NULL, nop, NULL);

	if (!e)
		pthread_join(t, NULL);
	return ASSERT_EQ(e, 0, "thread") & ASSERT_EQ(ret_errno(fork()), EPERM, "fork");
}

KV_TEST(depth3_threads_not_processes)
{
	struct kv_profile *p = build(0xFFFF, KV_DOMAIN_GENERAL, 3, false);

	if (p)
		in_child(p, check_depth3, "depth 3");
	kv_profile_free(p);
}

static bool check_hugetlb_denied(void)
{
	void *m = mmap(NULL, 2 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

	return ASSERT_TRUE(m == MAP_FAILED && errno == EPERM, "hugetlb mmap EPERM");
}

static bool check_hugetlb_reaches_kernel(void)
{
	void *m = mmap(NULL, 2 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

	/* works with reserved huge pages, ENOMEM without: either way not EPERM */
	return ASSERT_TRUE(m != MAP_FAILED || errno != EPERM, "hugetlb mmap not EPERM");
}

KV_TEST(llm_bit_unlocks_hugetlb)
{
	struct kv_profile *without = build(0xFEFF, KV_DOMAIN_GENERAL, 1, false);
	struct kv_profile *with = build(0xFFFF, KV_DOMAIN_GENERAL, 1, false);

	if (without && with) {
		in_child(without, check_hugetlb_denied, "without llm");
		in_child(with, check_hugetlb_reaches_kernel, "with llm");
	}
	kv_profile_free(without);
	kv_profile_free(with);
}

/* ---- the Docker default profile ---- */

static const char *docker_profile(void)
{
	static char path[512];
	const char *env = getenv("KV_DOCKER_SECCOMP");

	if (env)
		return env;
	snprintf(path, sizeof(path), "%s/../tests/data/docker-default-seccomp.json",
		 kvtest_build_dir());
	if (!access(path, R_OK))
		return path;
	return "/work/shared/peers/docker-default-seccomp.json";
}

static bool check_docker(void)
{
	struct clone_args ca = { .exit_signal = SIGCHLD };

	return ASSERT_EQ(ret_errno(syscall(SYS_clone3, &ca, sizeof(ca))), ENOSYS, "clone3") &
	       ASSERT_EQ(ret_errno(unshare(CLONE_NEWUSER)), EPERM, "unshare") &
	       ASSERT_GE(syscall(SYS_getppid), 1, "getppid");
}

KV_TEST(docker_default_profile)
{
	char *argv[] = { "/bin/sh", "-c", "echo docker | tr a-z A-Z", NULL };
	struct kv_profile *p = NULL;
	struct agent_run r;
	char err[512];

	if (!ASSERT_OK(kv_profile_from_oci_file(docker_profile(), &p, err, sizeof(err)), err))
		return;
	if (ASSERT_OK(run_agent(p, argv, &r, NULL, 0), "run") && exited_ok(&r, "sh")) {
		ASSERT_HAS_SUBSTR(r.out, "DOCKER", "output");
		ASSERT_FALSE(r.had_listener, "no NOTIFY, no listener");
	}
	in_child(p, check_docker, "docker");
	kv_profile_free(p);
}

/* ---- the NOTIFY tier and its supervisor ---- */

static int find(const struct decisions *d, const char *name)
{
	int i;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->d[i].name, name))
			return i;
	return -1;
}

KV_TEST(notify_reaches_supervisor)
{
	struct kv_profile *p = build(0xFF, KV_DOMAIN_GENERAL, 1, false);
	char probe[512], *argv[] = { probe, "ptrace", "perf", "setns", "getppid", NULL };
	struct agent_run r;
	int i;

	if (!p)
		return;
	snprintf(probe, sizeof(probe), "%s/tests/helpers/sc_probe", kvtest_build_dir());
	if (!ASSERT_OK(run_agent(p, argv, &r, NULL, 0), "run") || !exited_ok(&r, "probe"))
		goto out;
	ASSERT_HAS_SUBSTR(r.out, "ptrace=EPERM", "ptrace");
	ASSERT_HAS_SUBSTR(r.out, "perf=EPERM", "perf_event_open");
	ASSERT_HAS_SUBSTR(r.out, "setns=EPERM", "setns");
	ASSERT_HAS_SUBSTR(r.out, "getppid=OK", "getppid");
	ASSERT_EQ(r.dec.n, 3, "three decisions");
	for (i = 0; i < r.dec.n; i++) {
		ASSERT_FALSE(r.dec.d[i].allowed, r.dec.d[i].name);
		ASSERT_STREQ(r.dec.d[i].reason, "default deny", "reason");
		ASSERT_GE(r.dec.d[i].pid, 1, "pid");
	}
	ASSERT_GE(find(&r.dec, "ptrace"), 0, "saw ptrace");
	ASSERT_GE(find(&r.dec, "perf_event_open"), 0, "saw perf_event_open");
	ASSERT_GE(find(&r.dec, "setns"), 0, "saw setns");
out:
	kv_profile_free(p);
}

/* Answers questions on a pty's master: "y" then "n", then stays silent. */
struct answerer {
	int master;
	int answered;
};

static void *answer(void *arg)
{
	struct answerer *a = arg;
	const char *replies[] = { "y\n", "n\n" };
	char buf[512];
	size_t got = 0;

	while (a->answered < 2) {
		struct pollfd pfd = { a->master, POLLIN, 0 };
		ssize_t n;

		if (poll(&pfd, 1, 10000) <= 0)
			break;
		n = read(a->master, buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = 0;
		if (strstr(buf, "Allow? [y/N]")) {
			if (write(a->master, replies[a->answered], 2) != 2)
				break;
			a->answered++;
			got = 0;
		}
		if (got > sizeof(buf) / 2)
			got = 0;
	}
	return NULL;
}

KV_TEST(notify_ask_on_terminal)
{
	struct kv_profile *p = build(0xFF, KV_DOMAIN_GENERAL, 1, false);
	char probe[512], *argv[] = { probe, "setns", "setns2", "ptrace", NULL };
	struct answerer a = { .master = -1 };
	struct agent_run r;
	pthread_t t;
	int master, slave;

	if (!p)
		return;
	snprintf(probe, sizeof(probe), "%s/tests/helpers/sc_probe", kvtest_build_dir());
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (!ASSERT_GE(master, 0, "posix_openpt") || !ASSERT_OK(grantpt(master), "grantpt") ||
	    !ASSERT_OK(unlockpt(master), "unlockpt"))
		goto out;
	/* hold the slave open: its last close would hang up the master */
	slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (!ASSERT_GE(slave, 0, "open slave"))
		goto out;
	a.master = master;
	pthread_create(&t, NULL, answer, &a);
	/* approved setns runs in the kernel (EBADF for fd -1); refused: EPERM;
	 * no answer within 300 ms: EPERM */
	if (ASSERT_OK(run_agent(p, argv, &r, ptsname(master), 300), "run") &&
	    exited_ok(&r, "probe")) {
		ASSERT_HAS_SUBSTR(r.out, "setns=EBADF", "approved: the kernel ran it");
		ASSERT_HAS_SUBSTR(r.out, "setns2=EPERM", "refused");
		ASSERT_HAS_SUBSTR(r.out, "ptrace=EPERM", "timed out");
		if (ASSERT_EQ(r.dec.n, 3, "three decisions")) {
			ASSERT_STREQ(r.dec.d[0].reason, "approved on the terminal", "first");
			ASSERT_TRUE(r.dec.d[0].allowed, "first allowed");
			ASSERT_STREQ(r.dec.d[1].reason, "denied on the terminal", "second");
			ASSERT_STREQ(r.dec.d[2].reason, "no answer in time", "third");
		}
	}
	pthread_join(t, NULL);
	close(slave);
out:
	if (master >= 0)
		close(master);
	kv_profile_free(p);
}

/* The supervisor dies while the agent waits on it: the kernel must fail the
 * call (ENOSYS), and later NOTIFY calls too, instead of hanging. */
KV_TEST(supervisor_death_no_hang)
{
	struct kv_profile *p = build(0xFF, KV_DOMAIN_GENERAL, 1, false);
	int sv[2], ready[2], res[2], status = 0, lfd = -1;
	pid_t agent, sup;
	long rcs[2] = { 0 };

	if (!p)
		return;
	alarm(30); /* a hang fails the test instead of stalling the run */
	if (!ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), "socketpair") ||
	    !ASSERT_OK(pipe2(ready, O_CLOEXEC), "pipe") || !ASSERT_OK(pipe2(res, O_CLOEXEC),
		"pipe"))
		goto out;
	fflush(NULL);
	agent = fork();
	if (agent == 0) {
		close(sv[0]);
		if (kv_seccomp_install_handoff(p, sv[1]))
			_exit(120);
		rcs[0] = ret_errno(syscall(SYS_setns, -1, 0));
		rcs[1] = ret_errno(syscall(SYS_setns, -1, 0));
		_exit(write(res[1], rcs, sizeof(rcs)) == sizeof(rcs) ? 0 : 1);
	}
	close(sv[1]);
	close(res[1]);
	/* the supervisor: takes the listener, receives the call, never answers */
	sup = fork();
	if (sup == 0) {
		struct seccomp_notif req;

		if (kv_fd_recv(sv[0], &lfd) || lfd < 0)
			_exit(1);
		memset(&req, 0, sizeof(req));
		if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &req))
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(sv[0]);
	close(ready[1]);
	{
		char c;

		if (!ASSERT_EQ(read(ready[0], &c, 1), 1, "supervisor received the call"))
			goto reap;
	}
	kill(sup, SIGKILL);
	if (ASSERT_EQ(read(res[0], rcs, sizeof(rcs)), sizeof(rcs), "agent reported")) {
		ASSERT_EQ(rcs[0], ENOSYS, "pending call fails");
		ASSERT_EQ(rcs[1], ENOSYS, "later call fails at once");
	}
reap:
	kill(sup, SIGKILL);
	waitpid(sup, NULL, 0);
	waitpid(agent, &status, 0);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "agent exited normally");
out:
	kv_profile_free(p);
}

KV_TEST(strict_exec_launch_only)
{
	struct kv_profile *p = build(0xFFFF, KV_DOMAIN_GENERAL, 1, true);
	char probe[512], *argv[] = { probe, "exec:/bin/true", "fork", NULL };
	struct agent_run r;

	if (!p)
		return;
	snprintf(probe, sizeof(probe), "%s/tests/helpers/sc_probe", kvtest_build_dir());
	if (ASSERT_OK(run_agent(p, argv, &r, NULL, 0), "run") && exited_ok(&r, "probe")) {
		ASSERT_HAS_SUBSTR(r.out, "exec=EPERM", "second exec");
		ASSERT_HAS_SUBSTR(r.out, "fork=OK", "fork still allowed");
		if (ASSERT_EQ(r.dec.n, 2, "two decisions")) {
			ASSERT_TRUE(r.dec.d[0].allowed, "launch");
			ASSERT_FALSE(r.dec.d[1].allowed, "second");
		}
	}
	kv_profile_free(p);
}

/* An agent that runs kavachos again: the kernel allows one listener per
 * task, so the inner filter denies its NOTIFY tier outright instead. */
static bool check_nested(void)
{
	struct kv_profile *inner = NULL, *ro = NULL;
	struct kv_profile_input in = { .trust_mask = 0xFF, .depth = 2 };
	struct kv_profile_input rin = { .trust_mask = 0, .depth = 2 };
	char err[256];
	int nfd = 0;
	bool ok;

	if (kv_profile_build(&in, &inner, err, sizeof(err)) ||
	    kv_profile_build(&rin, &ro, err, sizeof(err)))
		return false;
	ok = ASSERT_OK(kv_seccomp_install(inner, &nfd), "inner install") &
	     ASSERT_EQ(nfd, -1, "no second listener") &
	     ASSERT_EQ(ret_errno(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0)), EPERM,
		       "NOTIFY tier denied") &
	     /* a read-only inner profile needs the launch approval: refused */
	     ASSERT_EQ(kv_seccomp_install(ro, &nfd), -EBUSY, "read-only inner");
	kv_profile_free(inner);
	kv_profile_free(ro);
	return ok;
}

KV_TEST(nested_install_denies_notify)
{
	struct kv_profile *outer = build(0xFF, KV_DOMAIN_GENERAL, 1, false);
	int status = 0, nfd = -1;
	pid_t pid;

	if (!outer)
		return;
	alarm(30); /* a call waiting on a listener nobody reads would hang */
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* the outer kavachos's listener stays open, as it would */
		if (kv_seccomp_install(outer, &nfd) || nfd < 0)
			_exit(1);
		_exit(check_nested() ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "nested");
	kv_profile_free(outer);
}

KV_TEST(prepared_program_checks_its_socket)
{
	struct kv_profile *p = build(0, KV_DOMAIN_GENERAL, 1, false);
	struct kv_seccomp_prog *prog = NULL;
	int sv[2];

	if (!p || !ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair"))
		goto out;
	if (ASSERT_OK(kv_seccomp_prepare(p, sv[1], &prog), "prepare")) {
		/* the sendmsg exception was compiled for sv[1], not for another fd */
		ASSERT_EQ(kv_seccomp_load_handoff(prog, sv[0]), -EBADF, "wrong socket");
		kv_seccomp_prog_free(prog);
	}
	close(sv[1]);
out:
	kv_profile_free(p);
}
