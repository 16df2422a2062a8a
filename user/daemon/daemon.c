// SPDX-License-Identifier: BSD-2-Clause
/* The daemon's life: load once (adopting pins), serve the control socket,
 * end sessions when their cgroup empties, leave enforcement in place on exit. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bpf/loader.h"
#include "cli/cli.h"
#include "common/log.h"
#include "daemon/control.h"
#include "daemon/daemon.h"
#include "daemon/dsession.h"
#include "features/features.h"
#include "kv_egress.h"
#include "receipts/receipts.h"
#include "run/runtime.h"
#include "run/falco_ingest.h"
#include "session/cgroup.h"

#define FEAT "daemon"
#define KV_MAX_CLIENTS 64

static volatile sig_atomic_t got_term, got_hup;

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	got_hup = 1;
}

static bool has_pins(const char *dir)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/kv_sessions", dir);
	return !access(p, F_OK);
}

static void remove_pins(const char *dir)
{
	int e = kv_bpf_remove_pins(dir);

	if (e)
		kv_warn(FEAT, "could not remove all pins in %s: %s", dir, strerror(-e));
}

static int load_runtime(struct kv_daemon_opts *o, const char *agents, struct kv_runtime **rt)
{
	const struct kv_features *f = kv_features_get();
	const struct kv_map_size sizes[] = {
		{ "kv_egress_lpm", o->conf.egress_max_entries },
		{ NULL, 0 },
	};
	struct kv_bpf_opts bo = {
		.ringbuf_bytes = o->conf.ringbuf_bytes,
		.lsm = f->bpf_lsm.ok,
		.map_sizes = sizes,
		.on_demand = true,
	};
	struct kv_bpf *b = NULL;
	bool adopt = has_pins(o->conf.pin_dir);
	int level = kv_cgroup_level(agents), cgfd, e;

	if (level < 0)
		return level;
	bo.session_level = (uint32_t)level + 1;
	bo.adopt_dir = adopt ? o->conf.pin_dir : NULL;
	e = kv_bpf_open_load(&bo, &b);
	if (e == -EPROTO && o->replace_pins) {
		kv_warn(FEAT, "removing incompatible pins in %s (--replace-pins)", o->conf.pin_dir);
		remove_pins(o->conf.pin_dir);
		adopt = false;
		bo.adopt_dir = NULL;
		e = kv_bpf_open_load(&bo, &b);
	}
	if (e)
		return e;
	cgfd = open(agents, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0) {
		e = -errno;
		goto fail;
	}
	e = kv_bpf_attach_pinned(b, cgfd, adopt ? o->conf.pin_dir : NULL);
	close(cgfd);
	e = e ?: kv_bpf_pin(b, o->conf.pin_dir);
	if (e)
		goto fail;
	kv_info(FEAT, "%s %d programs on %s (session level %u), pinned in %s",
		adopt ? "adopted" : "attached", kv_bpf_link_count(b), agents, bo.session_level,
		o->conf.pin_dir);
	e = kv_runtime_start(b, rt);
	if (!e)
		return 0;
fail:
	kv_bpf_destroy(b);
	return e;
}

int kv_daemon_main(struct kv_daemon_opts *o)
{
	struct pollfd pfd[1 + KV_MAX_CLIENTS];
	struct kv_dsessions *ds = NULL;
	struct kv_falco_ingest *fi = NULL;
	struct kv_runtime *rt = NULL;
	char agents[PATH_MAX], err[PATH_MAX + 256];
	int lfd = -1, nclients = 0, e, i, rc = KV_EXIT_FAIL;
	struct sigaction st = { .sa_handler = on_term }, sh = { .sa_handler = on_hup };

	if (geteuid() != 0) {
		kv_err("kavachos-load must run as root (it loads BPF programs and manages cgroups)");
		return KV_EXIT_ENV;
	}
	e = kv_cgroup_resolve(o->conf.cgroup, agents, sizeof(agents), err, sizeof(err));
	if (e) {
		kv_err("--cgroup: %s", err);
		return KV_EXIT_USAGE;
	}
	e = kv_cgroup_mkdir_p(agents);
	e = e ?: kv_cgroup_is_v2(agents);
	if (e) {
		kv_err("--cgroup %s: %s", agents, e == -EMEDIUMTYPE ? "not a cgroup2 directory" : strerror(-e));
		return KV_EXIT_USAGE;
	}
	{
		unsigned found = 0;

		/* a previous writer that died left sessions without an end: say so */
		kv_chain_check_unfinished(o->conf.state_dir, NULL, &found);
		if (found)
			kv_warn(FEAT, "%u unfinished session(s) in %s (see kavachos audit --all)", found,
				o->conf.state_dir);
	}
	e = load_runtime(o, agents, &rt);
	if (e) {
		kv_err("loading the BPF programs failed: %s", strerror(-e));
		return e == -EPROTO ? KV_EXIT_FAIL : KV_EXIT_ENV;
	}
	lfd = kv_control_listen(o->conf.control_socket, o->conf.control_group, err, sizeof(err));
	if (lfd < 0) {
		kv_err("control socket: %s", err);
		goto out;
	}
	e = kv_dsessions_new(rt, &o->conf, agents, &ds);
	if (e) {
		kv_err("sessions: %s", strerror(-e));
		goto out;
	}
	if (o->falco_alerts && (e = kv_falco_ingest_start(rt, o->falco_alerts, &fi)))
		kv_warn("falco", "cannot read alerts from %s: %s", o->falco_alerts, strerror(-e));
	sigaction(SIGTERM, &st, NULL);
	sigaction(SIGINT, &st, NULL);
	sigaction(SIGHUP, &sh, NULL);
	signal(SIGPIPE, SIG_IGN);
	kv_info(FEAT, "ready: control socket %s, state in %s", o->conf.control_socket,
		o->conf.state_dir);
	pfd[0].fd = lfd;
	pfd[0].events = POLLIN;
	while (!got_term) {
		if (got_hup) {
			struct kv_daemon_conf c;

			got_hup = 0;
			kv_daemon_conf_defaults(&c);
			if (kv_daemon_conf_load(o->conf_path, !o->conf_explicit, &c, err, sizeof(err)))
				kv_warn(FEAT, "reload refused, keeping the old configuration: %s", err);
			else
				kv_dsessions_reconfigure(ds, &c);
		}
		e = poll(pfd, 1 + nclients, 200);
		if (e < 0 && errno != EINTR)
			break;
		if (e > 0 && (pfd[0].revents & POLLIN)) {
			int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (cfd >= 0 && nclients < KV_MAX_CLIENTS) {
				pfd[1 + nclients].fd = cfd;
				pfd[1 + nclients].events = POLLIN;
				nclients++;
			} else if (cfd >= 0) {
				close(cfd);
			}
		}
		for (i = 1; e > 0 && i <= nclients; i++) {
			if (!pfd[i].revents)
				continue;
			if (kv_dsessions_serve(ds, pfd[i].fd) < 0) {
				kv_dsessions_client_gone(ds, pfd[i].fd);
				close(pfd[i].fd);
				pfd[i] = pfd[nclients--];
				i--;
			}
		}
		kv_dsessions_reap(ds);
	}
	rc = KV_EXIT_OK;
	kv_info(FEAT, "stopping: receipts flushed, %s", o->detach_on_exit ?
		"programs detached (--detach)" : "programs stay attached through the pins");
out:
	kv_falco_ingest_stop(fi, NULL);
	for (i = 1; i <= nclients; i++)
		close(pfd[i].fd);
	kv_dsessions_free(ds, o->detach_on_exit);
	if (lfd >= 0) {
		close(lfd);
		unlink(o->conf.control_socket);
	}
	kv_runtime_stop(rt);
	if (o->detach_on_exit)
		remove_pins(o->conf.pin_dir);
	return rc;
}
