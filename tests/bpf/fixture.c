// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bpf/loader.h"
#include "events/events.h"
#include "features/features.h"
#include "fixture.h"
#include "kvtest.h"
#include "session/cgroup.h"

static void collect_sink(void *ctx, uint64_t session, const char *type, struct json_object *fields,
			 uint64_t ktime_ns)
{
	struct kv_fixture *f = ctx;
	struct json_object *e = json_object_new_object();

	(void)ktime_ns;
	json_object_object_add(e, "type", json_object_new_string(type));
	json_object_object_add(e, "session", json_object_new_uint64(session));
	json_object_object_add(e, "fields", fields);
	json_object_array_add(f->events, e);
}

int kv_sh(char *out, size_t len, const char *fmt, ...)
{
	char cmd[8192], sink[4096];
	size_t n = 0, k;
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	/* drain all of it: a writer must never die of SIGPIPE because we stopped */
	for (;;) {
		if (out && n < len - 1)
			k = fread(out + n, 1, len - 1 - n, p);
		else
			k = fread(sink, 1, sizeof(sink), p);
		if (!k)
			break;
		if (out && n < len - 1)
			n += k;
	}
	if (out)
		out[n] = 0;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void kv_policy_allow_all_but(struct kv_syscall_policy *sp, const int *denied)
{
	memset(sp, 0, sizeof(*sp));
	memset(sp->allow, 0xff, sizeof(sp->allow));
	for (; denied && *denied >= 0; denied++)
		sp->allow[*denied / 64] &= ~(1ULL << (*denied % 64));
}

bool kv_fixture_setup(struct kv_fixture *f, const struct kv_session *pol,
		      const struct kv_syscall_policy *sp)
{
	const struct kv_features *feat;
	struct kv_syscall_policy all;
	struct kv_bpf_opts o = { 0 };
	char root[PATH_MAX], id[KV_SESSION_ID_LEN];
	int err;

	memset(f, 0, sizeof(*f));
	f->cgfd = -1;
	f->events = json_object_new_array();
	if (geteuid() != 0) {
		test__skip("BPF tests need root");
		return false;
	}
	feat = kv_features_get();
	if (!ASSERT_OK(kv_cgroup2_root(root, sizeof(root)), "cgroup2_root"))
		return false;
	snprintf(f->agents_root, sizeof(f->agents_root), "%s/kavachos-test-%d", root, (int)getpid());
	if (!ASSERT_OK(kv_session_new_id(id), "session_id"))
		return false;
	err = kv_session_cgroup_create(f->agents_root, id, &f->s);
	if (!ASSERT_OK(err, "session_cgroup"))
		return false;
	f->cgfd = open(f->s.cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!ASSERT_GE(f->cgfd, 0, "open_cgroup"))
		return false;
	o.session_level = (uint32_t)f->s.level;
	o.lsm = feat->bpf_lsm.ok;
	err = kv_bpf_open_load(&o, &f->bpf);
	if (!ASSERT_OK(err, "bpf_open_load"))
		return false;
	err = kv_bpf_attach(f->bpf, f->cgfd);
	if (!ASSERT_OK(err, "bpf_attach"))
		return false;
	if (pol)
		f->policy = *pol;
	else
		kv_session_policy_defaults(&f->policy, 0xFFFF, 1);
	if (!sp) {
		kv_policy_allow_all_but(&all, NULL);
		sp = &all;
	}
	err = kv_session_maps_register(f->bpf, f->s.cgid, &f->policy, sp);
	if (!ASSERT_OK(err, "session_register"))
		return false;
	err = kv_events_open(f->bpf, collect_sink, f, &f->ev);
	return ASSERT_OK(err, "events_open");
}

void kv_fixture_teardown(struct kv_fixture *f)
{
	if (f->s.cgroup[0]) {
		kv_cgroup_kill(f->s.cgroup);
		usleep(10000);
	}
	kv_events_close(f->ev);
	if (f->bpf)
		kv_session_maps_unregister(f->bpf, f->s.cgid);
	kv_bpf_destroy(f->bpf);
	if (f->cgfd >= 0)
		close(f->cgfd);
	if (f->agents_root[0])
		kv_cgroup_remove(f->agents_root);
	json_object_put(f->events);
	memset(f, 0, sizeof(*f));
	f->cgfd = -1;
}

static int wait_child(pid_t pid)
{
	int status;

	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int kv_fixture_run(struct kv_fixture *f, const char *sub, int (*fn)(void *), void *arg)
{
	char path[PATH_MAX];
	pid_t pid;

	if (sub) {
		snprintf(path, sizeof(path), "%s/%s", f->s.cgroup, sub);
		if (kv_cgroup_mkdir_p(path))
			return -1;
	} else {
		snprintf(path, sizeof(path), "%s", f->s.cgroup);
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (kv_cgroup_move(path, getpid()))
			_exit(99);
		_exit(fn(arg));
	}
	return wait_child(pid);
}

int kv_run_outside(int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(fn(arg));
	return wait_child(pid);
}

int kv_fixture_collect(struct kv_fixture *f)
{
	kv_events_drain(f->ev);
	return (int)json_object_array_length(f->events);
}

struct json_object *kv_fixture_event(struct kv_fixture *f, const char *type, int nth)
{
	size_t i, n = json_object_array_length(f->events);

	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(f->events, i);

		if (!strcmp(json_object_get_string(json_object_object_get(e, "type")), type) && nth-- == 0)
			return json_object_object_get(e, "fields");
	}
	return NULL;
}

int kv_fixture_count(struct kv_fixture *f, const char *type)
{
	int n = 0;

	while (kv_fixture_event(f, type, n))
		n++;
	return n;
}

const char *kv_ev_str(struct json_object *ev, const char *field)
{
	struct json_object *v = ev ? json_object_object_get(ev, field) : NULL;

	return v ? json_object_get_string(v) : NULL;
}

long long kv_ev_int(struct json_object *ev, const char *field)
{
	struct json_object *v = ev ? json_object_object_get(ev, field) : NULL;

	return v ? json_object_get_int64(v) : -1;
}

/* Probe the kernel once, in the runner, before it forks the tests: every
 * test inherits the cached answer instead of loading the probes again
 * (which costs seconds under the VM's software emulation). */
__attribute__((constructor)) static void kv_fixture_probe_once(void)
{
	if (geteuid() == 0)
		kv_features_get();
}
