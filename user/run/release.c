// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "bpf/loader.h"
#include "common/log.h"
#include "daemon/control.h"
#include "events/events.h"
#include "run/live.h"
#include "run/release.h"
#include "run/runtime.h"
#include "session/cgroup.h"

static struct json_object *fail(const char *fmt, const char *arg)
{
	struct json_object *r = json_object_new_object();
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, arg);
	json_object_object_add(r, "ok", json_object_new_boolean(false));
	json_object_object_add(r, "error", json_object_new_string(msg));
	return r;
}

struct json_object *kv_release_apply(struct kv_runtime *rt, struct kv_live *lv,
				     struct json_object *req, uid_t uid)
{
	struct kv_bpf *b = kv_runtime_bpf(rt);
	int fd_state = kv_bpf_map_fd(b, "kv_state"), fd_pol = kv_bpf_map_fd(b, "kv_sessions");
	struct json_object *v, *rec, *r;
	struct kv_session_state st;
	struct kv_session pol;
	const char *to_s = "open", *reason = "", *sudo_user = "";
	uint32_t from, to;
	bool kill = false;

	if (uid != 0)
		return fail("release is for root only (uid %s)", "!= 0");
	if (json_object_object_get_ex(req, "to", &v))
		to_s = json_object_get_string(v);
	if (json_object_object_get_ex(req, "kill", &v))
		kill = json_object_get_boolean(v);
	if (json_object_object_get_ex(req, "reason", &v))
		reason = json_object_get_string(v);
	if (json_object_object_get_ex(req, "sudo_user", &v))
		sudo_user = json_object_get_string(v);
	if (!strcmp(to_s, "open"))
		to = KV_GATE_OPEN;
	else if (!strcmp(to_s, "throttled"))
		to = KV_GATE_THROTTLED;
	else if (!strcmp(to_s, "cracked"))
		to = KV_GATE_CRACKED;
	else
		return fail("--to=%s: expected open, throttled or cracked", to_s);
	if (bpf_map_lookup_elem(fd_state, &lv->s.cgid, &st) ||
	    bpf_map_lookup_elem(fd_pol, &lv->s.cgid, &pol))
		return fail("session %s is not in the kernel maps", lv->s.id);
	from = st.gate;
	/* the thresholds count from the released level again; the per-class
	 * counters stay: they are evidence, and SESSION_END reports them */
	st.gate = to;
	st.total = to == KV_GATE_OPEN ? 0 : to == KV_GATE_THROTTLED ? pol.thr_throttle : pol.thr_crack;
	st.window_count = 0;
	if (bpf_map_update_elem(fd_state, &lv->s.cgid, &st, BPF_EXIST))
		return fail("updating the gate of %s failed", lv->s.id);
	if (kill)
		kv_cgroup_kill(lv->s.cgroup);
	kv_cgroup_freeze(lv->s.cgroup, 0);
	/* the kernel SIGSTOPs the violator at LOCK (track.bpf.c): resume it */
	if (!kill)
		kv_cgroup_signal(lv->s.cgroup, SIGCONT);
	rec = json_object_new_object();
	json_object_object_add(rec, "from", json_object_new_string(kv_gate_name(from)));
	json_object_object_add(rec, "to", json_object_new_string(kill ? "KILLED" : kv_gate_name(to)));
	json_object_object_add(rec, "uid", json_object_new_int64(uid));
	json_object_object_add(rec, "sudo_user", json_object_new_string(sudo_user));
	json_object_object_add(rec, "reason", json_object_new_string(reason));
	json_object_object_add(rec, "killed", json_object_new_boolean(kill));
	kv_runtime_seal(rt, lv->s.cgid, "RELEASE", rec, 0);
	kv_info("gate", "session %s released %s -> %s by uid %u%s%s (%s)", lv->s.id,
		kv_gate_name(from), kill ? "KILLED" : kv_gate_name(to), (unsigned)uid,
		*sudo_user ? " sudo " : "", sudo_user, reason);
	r = json_object_new_object();
	json_object_object_add(r, "ok", json_object_new_boolean(true));
	json_object_object_add(r, "from", json_object_new_string(kv_gate_name(from)));
	json_object_object_add(r, "to", json_object_new_string(kill ? "KILLED" : kv_gate_name(to)));
	return r;
}

struct kv_session_server {
	struct kv_runtime *rt;
	struct kv_live *lv;
	int lfd;
	int wake_fd; /* eventfd: stop without waiting for a poll timeout */
	char path[128];
	pthread_t thread;
	atomic_bool stop;
};

static void *serve(void *arg)
{
	struct kv_session_server *srv = arg;
	struct pollfd p[2] = { { .fd = srv->lfd, .events = POLLIN },
			       { .fd = srv->wake_fd, .events = POLLIN } };

	while (!atomic_load(&srv->stop)) {
		struct json_object *m = NULL, *op, *r;
		struct ucred cr;
		char err[128];
		int fd;

		if (poll(p, 2, 1000) <= 0 || !(p[0].revents & POLLIN))
			continue;
		fd = accept4(srv->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (!kv_control_recv(fd, &m, err, sizeof(err)) && !kv_control_peer(fd, &cr)) {
			if (json_object_object_get_ex(m, "op", &op) &&
			    !strcmp(json_object_get_string(op), "release"))
				r = kv_release_apply(srv->rt, srv->lv, m, cr.uid);
			else
				r = fail("unknown op (this socket serves %s)", "release");
			kv_control_send(fd, r);
			json_object_put(r);
		}
		json_object_put(m);
		close(fd);
	}
	return NULL;
}

int kv_session_server_start(struct kv_runtime *rt, struct kv_live *lv,
			    struct kv_session_server **out)
{
	struct kv_session_server *srv = calloc(1, sizeof(*srv));
	char err[256];
	int e;

	if (!srv)
		return -ENOMEM;
	srv->rt = rt;
	srv->lv = lv;
	snprintf(srv->path, sizeof(srv->path), "%s/%s.sock", KV_SESSION_SOCK_DIR, lv->s.id);
	kv_cgroup_mkdir_p("/run/kavachos"); /* plain mkdir -p; not a cgroup here */
	srv->lfd = kv_control_listen(srv->path, "", err, sizeof(err));
	if (srv->lfd < 0) {
		e = srv->lfd;
		kv_warn("gate", "release socket: %s", err);
		free(srv);
		return e;
	}
	srv->wake_fd = eventfd(0, EFD_CLOEXEC);
	e = srv->wake_fd < 0 ? -errno : -pthread_create(&srv->thread, NULL, serve, srv);
	if (e) {
		if (srv->wake_fd >= 0)
			close(srv->wake_fd);
		close(srv->lfd);
		unlink(srv->path);
		free(srv);
		return e;
	}
	*out = srv;
	return 0;
}

void kv_session_server_stop(struct kv_session_server *srv)
{
	if (!srv)
		return;
	atomic_store(&srv->stop, true);
	if (eventfd_write(srv->wake_fd, 1))
		kv_warn("gate", "waking the release server: %s", strerror(errno));
	pthread_join(srv->thread, NULL);
	close(srv->wake_fd);
	close(srv->lfd);
	unlink(srv->path);
	free(srv);
}
