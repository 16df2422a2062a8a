// SPDX-License-Identifier: BSD-2-Clause
/* Kernel event structs -> receipt fields. Every field of the event is
 * sealed: the receipt must hold everything the kernel said. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <seccomp.h>
#include "events/events.h"
#include "lsm/lsm.h"
#include "kv_events.h"
#include "kv_session.h"

static const char *const class_names[KV_CLASS_MAX] = {
	[KV_CLASS_SYSCALL] = "syscall", [KV_CLASS_NOTIFY] = "notify",
	[KV_CLASS_EGRESS] = "egress",   [KV_CLASS_FILE] = "file",
	[KV_CLASS_EXEC] = "exec",       [KV_CLASS_PROCESS] = "process",
	[KV_CLASS_FALCO] = "falco",
};

static const char *const gate_names[] = { "OPEN", "THROTTLED", "CRACKED", "LOCKED" };

const char *kv_class_name(uint32_t cls)
{
	return cls < KV_CLASS_MAX ? class_names[cls] : "none";
}

const char *kv_gate_name(uint32_t gate)
{
	return gate < 4 ? gate_names[gate] : "UNKNOWN";
}

static void add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void add_int(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void add_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

/* Bounded copy of a kernel char array (may lack a NUL). */
static void add_kstr(struct json_object *o, const char *k, const char *v, size_t max)
{
	json_object_object_add(o, k, json_object_new_string_len(v, (int)strnlen(v, max)));
}

/* The head of an exec's argv: NUL-separated, the last one possibly cut. */
static struct json_object *argv_head(const struct kv_ev_proc *e)
{
	struct json_object *a = json_object_new_array();
	size_t len = e->args_len < sizeof(e->args) ? e->args_len : sizeof(e->args), i = 0;

	while (i < len) {
		size_t n = strnlen(e->args + i, len - i);

		json_object_array_add(a, json_object_new_string_len(e->args + i, (int)n));
		i += n + 1;
	}
	return a;
}

/* nr and its x86_64 name ("unknown" for x32 and out-of-table numbers) */
static void add_syscall(struct json_object *o, int64_t nr)
{
	char *name = nr >= 0 && nr < 0x40000000 ?
		seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, (int)nr) : NULL;

	add_int(o, "nr", nr);
	add_str(o, "syscall", name ? name : "unknown");
	free(name);
}

static struct json_object *hdr_fields(const struct kv_event_hdr *h)
{
	struct json_object *o = json_object_new_object();

	add_int(o, "pid", h->pid);
	add_int(o, "tid", h->tid);
	add_int(o, "uid", h->uid);
	add_kstr(o, "comm", h->comm, sizeof(h->comm));
	add_str(o, "class", kv_class_name(h->class));
	return o;
}

static const char *hook_name(uint8_t hook)
{
	switch (hook) {
	case KV_HOOK_CONNECT4: return "connect4";
	case KV_HOOK_CONNECT6: return "connect6";
	case KV_HOOK_SENDMSG4: return "sendmsg4";
	case KV_HOOK_SENDMSG6: return "sendmsg6";
	case KV_HOOK_SOCK_CREATE: return "sock_create";
	case KV_HOOK_CONNECT_UNIX: return "connect_unix";
	case KV_HOOK_SENDMSG_UNIX: return "sendmsg_unix";
	default: return "unknown";
	}
}

static void egress_fields(struct json_object *o, const struct kv_ev_egress *e)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	char addr[INET6_ADDRSTRLEN] = "";

	if (!memcmp(e->addr, v4mapped, sizeof(v4mapped)))
		inet_ntop(AF_INET, e->addr + 12, addr, sizeof(addr));
	else
		inet_ntop(AF_INET6, e->addr, addr, sizeof(addr));
	add_str(o, "hook", hook_name(e->hook));
	add_int(o, "family", e->family);
	add_str(o, "family_name", e->family == AF_INET ? "inet" : e->family == AF_INET6 ? "inet6"
				  : e->family == AF_UNIX ? "unix" : "other");
	add_int(o, "protocol", e->proto);
	add_str(o, "protocol_name", e->proto == 6 ? "tcp" : e->proto == 17 ? "udp" : "other");
	if (e->hook == KV_HOOK_CONNECT_UNIX || e->hook == KV_HOOK_SENDMSG_UNIX) {
		add_kstr(o, "path", e->path, sizeof(e->path));
	} else if (e->hook == KV_HOOK_SOCK_CREATE) {
		add_int(o, "sock_type", e->sock_type);
	} else {
		add_str(o, "address", addr);
		add_int(o, "port", e->port);
	}
}

int kv_event_decode(const void *data, size_t size, uint64_t *session, const char **type,
		    struct json_object **fields, uint64_t *ktime_ns)
{
	const struct kv_event_hdr *h = data;
	struct json_object *o;

	if (size < sizeof(*h) || h->size > size)
		return -EINVAL;
	*session = h->session;
	*ktime_ns = h->ktime_ns;
	switch (h->type) {
	case KV_EV_SYSCALL_DENY: {
		const struct kv_ev_syscall *e = data;
		struct json_object *args;
		int i;

		if (size < sizeof(*e))
			return -EINVAL;
		/* A NOTIFY-tier call is sealed by the supervisor as NOTIFY_DECISION
		 * with its reason; the kernel still counts it in class "notify". */
		if (h->class == KV_CLASS_NOTIFY)
			return 1;
		o = hdr_fields(h);
		add_syscall(o, e->nr);
		add_int(o, "ret", e->ret);
		args = json_object_new_array();
		for (i = 0; i < 6; i++)
			json_object_array_add(args, json_object_new_uint64(e->args[i]));
		json_object_object_add(o, "args", args);
		*type = "SECCOMP_BLOCK";
		break;
	}
	case KV_EV_EGRESS_DENY:
		if (size < sizeof(struct kv_ev_egress))
			return -EINVAL;
		o = hdr_fields(h);
		egress_fields(o, data);
		*type = "EGRESS_DENY";
		break;
	case KV_EV_LSM_DENY: {
		const struct kv_ev_lsm *e = data;

		if (size < sizeof(*e))
			return -EINVAL;
		o = hdr_fields(h);
		add_int(o, "hook", e->hook);
		add_str(o, "hook_name", kv_lsm_hook_name(e->hook));
		add_int(o, "errno", e->err);
		if (e->hook == KV_LSM_TASK_KILL) {
			/* the kernel packs pid | signal << 32 */
			add_int(o, "target_pid", (int64_t)(uint32_t)e->target);
			add_int(o, "signal", (int64_t)(e->target >> 32));
		} else {
			add_u64(o, "target", e->target);
		}
		add_kstr(o, "path", e->path, sizeof(e->path));
		*type = "LSM_DENY";
		break;
	}
	case KV_EV_FORK:
	case KV_EV_EXIT: {
		const struct kv_ev_proc *e = data;

		if (size < sizeof(*e))
			return -EINVAL;
		o = hdr_fields(h);
		add_int(o, "ppid", e->ppid);
		if (h->type == KV_EV_FORK) {
			add_int(o, "child_pid", e->child_pid);
			*type = "PROCESS_FORK";
		} else {
			/* a wait status: exited with a code, or killed by a signal */
			if (WIFSIGNALED(e->exit_code))
				add_int(o, "signal", WTERMSIG(e->exit_code));
			else
				add_int(o, "exit_code", WEXITSTATUS(e->exit_code));
			*type = "PROCESS_EXIT";
		}
		break;
	}
	case KV_EV_EXEC:
	case KV_EV_EXEC_DENY:
	case KV_EV_PROC_DENY: {
		const struct kv_ev_proc *e = data;

		if (size < sizeof(*e))
			return -EINVAL;
		o = hdr_fields(h);
		add_int(o, "ppid", e->ppid);
		add_kstr(o, "filename", e->filename, sizeof(e->filename));
		if (h->type == KV_EV_EXEC)
			json_object_object_add(o, "argv", argv_head(e));
		if (h->type != KV_EV_EXEC) {
			add_int(o, "errno", -e->exit_code);
			add_str(o, "by", "gate");
		}
		*type = h->type == KV_EV_EXEC ? "EXEC" : h->type == KV_EV_EXEC_DENY ? "EXEC_DENY"
									 : "PROCESS_DENY";
		break;
	}
	case KV_EV_FILE_REFUSED: {
		const struct kv_ev_file *e = data;

		if (size < sizeof(*e))
			return -EINVAL;
		o = hdr_fields(h);
		add_syscall(o, e->nr);
		add_int(o, "errno", e->err);
		add_str(o, "errno_name", e->err == EACCES ? "EACCES" : e->err == EXDEV ? "EXDEV" : "other");
		add_kstr(o, "path", e->path, sizeof(e->path));
		if (e->path2[0])
			add_kstr(o, "path2", e->path2, sizeof(e->path2));
		if (e->dirfd != -100) /* AT_FDCWD */
			add_int(o, "dirfd", e->dirfd);
		/* at a call's return the kernel does not say which check refused */
		add_str(o, "refused_by", "landlock or the file's permissions");
		*type = "FILE_REFUSED";
		break;
	}
	case KV_EV_GATE: {
		const struct kv_ev_gate *e = data;
		struct json_object *c;
		int i;

		if (size < sizeof(*e))
			return -EINVAL;
		o = hdr_fields(h);
		add_str(o, "from", kv_gate_name(e->from));
		add_str(o, "to", kv_gate_name(e->to));
		add_str(o, "trigger", kv_class_name(e->trigger_class));
		c = json_object_new_object();
		for (i = 0; i < KV_CLASS_MAX; i++)
			add_u64(c, kv_class_name(i), e->counts[i]);
		add_u64(c, "total", e->counts[KV_CLASS_MAX]);
		json_object_object_add(o, "counters", c);
		*type = "GATE_TRANSITION";
		break;
	}
	default:
		return -EINVAL;
	}
	*fields = o;
	return 0;
}
