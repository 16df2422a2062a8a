// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bpf/loader.h"
#include "common/log.h"
#include "common/timing.h"
#include "events/events.h"
#include "features/features.h"
#include "receipts/receipts.h"
#include "run/files_glue.h"
#include "run/genesis.h"
#include "run/inputs.h"
#include "run/live.h"
#include "run/runtime.h"
#include "session/cgroup.h"

void kv_live_kill_rest(const char *cgroup)
{
	int i;

	if (kv_cgroup_populated(cgroup) <= 0)
		return;
	kv_cgroup_freeze(cgroup, 0); /* a frozen task cannot die */
	kv_cgroup_kill(cgroup);
	for (i = 0; i < 400 && kv_cgroup_populated(cgroup) > 0; i++)
		usleep(5000);
}

int kv_live_genesis_sync(struct kv_live *lv)
{
	int e = kv_chain_genesis_sync(lv->chain);

	kv_timing_mark("live: genesis durable");
	if (!e && lv->genesis_frozen) {
		e = kv_cgroup_freeze(lv->s.cgroup, 0);
		lv->genesis_frozen = e != 0;
		kv_timing_mark("live: cgroup thawed");
	}
	return e;
}

int kv_live_start(struct kv_runtime *rt, const char *agents_root, const char *want_id,
		  const struct kv_live_hooks *hooks, const struct kv_run_inputs *in,
		  const struct kv_launch *l, char *const *argv, struct kv_live **out, char *err,
		  size_t errlen)
{
	struct kv_bpf *b = kv_runtime_bpf(rt);
	struct kv_chain_opts co = in->chain;
	struct kv_syscall_policy sp;
	struct kv_session pol;
	struct kv_live *lv;
	char id[KV_SESSION_ID_LEN], eerr[512];
	int e = 0;

	lv = calloc(1, sizeof(*lv));
	if (!lv)
		return -ENOMEM;
	if (want_id && kv_session_cgroup_name_valid(want_id))
		snprintf(id, sizeof(id), "%s", want_id);
	else
		e = kv_session_new_id(id);
	e = e ?: kv_session_cgroup_create(agents_root, id, &lv->s);
	if (e) {
		snprintf(err, errlen, "cannot create the session cgroup under %s: %s", agents_root,
			 strerror(-e));
		free(lv);
		return e;
	}
	kv_timing_mark("live: cgroup created");
	/* a genesis synced after return: the cgroup is frozen first, so what
	 * is spawned or moved into it waits for the disk (the kernel's word,
	 * not its client's); unfrozen by kv_live_genesis_sync */
	lv->genesis_frozen = hooks && hooks->defer_genesis_sync &&
			     !kv_cgroup_freeze(lv->s.cgroup, 1);
	if (lv->genesis_frozen)
		kv_timing_mark("live: cgroup frozen");
	kv_session_policy_defaults(&pol, in->profile_in.trust_mask, in->profile_in.depth);
	kv_run_inputs_gate(in, &pol);
	if (in->profile_in.strict_exec)
		pol.flags |= KV_SF_STRICT_EXEC;
	/* the valve acts, not only counts; by BPF-LSM where it loaded */
	pol.flags |= KV_SF_ENFORCE_GATE;
	if (kv_bpf_has_lsm(b))
		pol.flags |= KV_SF_GATE_LSM;
	kv_profile_syscall_policy(in->profile, &sp);
	lv->em.lpm_fd = kv_bpf_map_fd(b, "kv_egress_lpm");
	lv->em.unix_fd = kv_bpf_map_fd(b, "kv_egress_unix");
	lv->em.stat_fd = kv_bpf_map_fd(b, "kv_egress_stat");
	/* host names resolved where the policy is enforced (here, not in a
	 * daemon's client too), addresses admitted before the agent starts */
	e = kv_egress_policy_resolve(in->egress, hooks ? hooks->resolve : NULL,
				     hooks ? hooks->resolve_arg : NULL);
	if (e) {
		snprintf(err, errlen, "resolving egress host names: %s", strerror(-e));
		goto fail;
	}
	kv_timing_mark("live: egress names resolved");
	if (hooks && hooks->before_egress) {
		e = hooks->before_egress(hooks->ctx, lv, err, errlen);
		if (e)
			goto fail;
	}
	/* egress first: the session entry is what switches the hooks on */
	e = kv_egress_policy_apply(&lv->em, lv->s.cgid, in->egress, eerr, sizeof(eerr));
	if (e) {
		snprintf(err, errlen, "egress policy: %s", eerr);
		goto fail;
	}
	if (hooks && hooks->before_files && (e = hooks->before_files(hooks->files_ctx, err, errlen)))
		goto fail;
	/* where Landlock holds the file rules, its refusals are recorded */
	if (kv_files_glue_landlock(in->files))
		pol.flags |= KV_SF_FILES_LANDLOCK;
	e = kv_session_maps_register(b, lv->s.cgid, &pol, &sp);
	if (e) {
		snprintf(err, errlen, "registering the session in the kernel maps: %s", strerror(-e));
		goto fail;
	}
	lv->registered = true;
	/* file and exec rules: BPF-LSM maps (a Landlock plan needs nothing here) */
	if (in->files && (e = kv_files_glue_apply(in->files, b, lv->s.cgid))) {
		snprintf(err, errlen, "file rules into the BPF-LSM maps: %s", strerror(-e));
		goto fail;
	}
	kv_timing_mark("live: maps written");
	co.state_dir = in->state_dir;
	co.session_id = lv->s.id;
	co.defer_genesis_sync = lv->genesis_frozen;
	{
		struct json_object *g = kv_run_genesis(in, &lv->s, l, argv, kv_features_get());

		kv_timing_mark("live: genesis built");
		e = kv_chain_create(&co, g, &lv->chain);
	}
	if (e) {
		snprintf(err, errlen, "cannot create the receipt chain in %s/sessions: %s",
			 in->state_dir, strerror(-e));
		goto fail;
	}
	kv_timing_mark("live: genesis sealed");
	e = kv_runtime_add_session(rt, lv->s.cgid, lv->chain, lv->s.cgroup);
	if (e) {
		snprintf(err, errlen, "runtime: %s", strerror(-e));
		goto fail;
	}
	lv->files = in->files;
	*out = lv;
	return 0;
fail:
	if (lv->chain)
		kv_chain_close(lv->chain, NULL);
	kv_files_glue_remove(in->files, b, lv->s.cgid);
	if (lv->registered)
		kv_session_maps_unregister(b, lv->s.cgid);
	kv_egress_remove(&lv->em, lv->s.cgid);
	kv_cgroup_remove(lv->s.cgroup);
	free(lv);
	return e;
}

static struct json_object *end_fields(int status, const struct kv_session_state *st, bool have_st)
{
	struct json_object *o = json_object_new_object(), *k = json_object_new_object();
	int i;

	if (status < 0) {
		json_object_object_add(o, "exit_status", NULL);
		json_object_object_add(o, "reason", json_object_new_string("agent never started"));
	} else if (WIFSIGNALED(status)) {
		json_object_object_add(o, "exit_status", json_object_new_int(128 + WTERMSIG(status)));
		json_object_object_add(o, "signal", json_object_new_int(WTERMSIG(status)));
	} else {
		json_object_object_add(o, "exit_status", json_object_new_int(WEXITSTATUS(status)));
	}
	/* the kernel's own counters: audit checks the receipts account for them */
	for (i = 0; i < KV_CLASS_MAX; i++)
		json_object_object_add(k, kv_class_name(i), json_object_new_uint64(st->counts[i]));
	json_object_object_add(o, "kernel_counts", k);
	json_object_object_add(o, "kernel_counts_read", json_object_new_boolean(have_st));
	json_object_object_add(o, "events_lost", json_object_new_uint64(st->events_lost));
	json_object_object_add(o, "events_suppressed", json_object_new_uint64(st->events_suppressed));
	json_object_object_add(o, "process_events_dropped", json_object_new_uint64(st->audit_dropped));
	json_object_object_add(o, "gate", json_object_new_string(kv_gate_name(st->gate)));
	return o;
}

/* cls: the events were violations of any class (NULL), or none at all */
static void seal_lost(struct kv_chain *c, uint64_t n, const char *reason, const char *cls)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "count", json_object_new_uint64(n));
	if (cls)
		json_object_object_add(o, "class", json_object_new_string(cls));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	if (kv_chain_append(c, "EVENTS_LOST", o, 0))
		kv_warn("receipts", "could not seal EVENTS_LOST (%s)", reason);
}

void kv_live_end(struct kv_runtime *rt, struct kv_live *lv, int status,
		 struct kv_session_state *st_out)
{
	kv_live_seal_end(rt, lv, status, st_out, NULL);
	kv_live_release(rt, lv);
}

void kv_live_seal_end(struct kv_runtime *rt, struct kv_live *lv, int status,
		      struct kv_session_state *st_out, bool *durable)
{
	struct kv_bpf *b = kv_runtime_bpf(rt);
	struct kv_session_state st;
	bool have_st;
	int e;

	kv_timing_mark("end: start");
	kv_live_kill_rest(lv->s.cgroup);
	/* drain what the kernel wrote, then read its counters */
	kv_runtime_remove_session(rt, lv->s.cgid);
	have_st = !kv_session_state_read(b, lv->s.cgid, &st);
	if (!have_st)
		memset(&st, 0, sizeof(st));
	/* what the kernel counted but could not stream is sealed as lost,
	 * so audit can tell loss from tampering */
	if (st.events_lost)
		seal_lost(lv->chain, st.events_lost, "ringbuf_full", NULL);
	if (st.events_suppressed)
		seal_lost(lv->chain, st.events_suppressed, "rate_limited", NULL);
	if (st.audit_dropped)
		seal_lost(lv->chain, st.audit_dropped, "process_events", "none");
	kv_timing_mark("end: drained, counters read");
	if (durable)
		e = kv_chain_close_async(lv->chain, end_fields(status, &st, have_st), durable);
	else
		e = kv_chain_close(lv->chain, end_fields(status, &st, have_st));
	lv->chain = NULL;
	if (e)
		kv_warn("receipts", "sealing the end of session %s failed: %s", lv->s.id,
			strerror(-e));
	kv_timing_mark("end: SESSION_END sealed");
	if (st_out)
		*st_out = st;
}

void kv_live_release(struct kv_runtime *rt, struct kv_live *lv)
{
	struct kv_bpf *b = kv_runtime_bpf(rt);

	kv_session_maps_unregister(b, lv->s.cgid);
	kv_egress_remove(&lv->em, lv->s.cgid);
	kv_files_glue_remove(lv->files, b, lv->s.cgid);
	if (kv_cgroup_remove(lv->s.cgroup))
		kv_warn("session", "could not remove %s", lv->s.cgroup);
	kv_timing_mark("end: maps and cgroup removed");
	free(lv);
}
