/* SPDX-License-Identifier: BSD-2-Clause */
/* /etc/kavachos/kavachos.conf: "key = value" lines, '#' comments. Every
 * key is documented in docs/daemon.md; an unknown key or a bad value is an
 * error naming the file, line and key (no silent defaults). */
#ifndef KV_DAEMON_CONF_H
#define KV_DAEMON_CONF_H
#include <limits.h>
#include <stdint.h>

#define KV_CONF_DEFAULT_PATH "/etc/kavachos/kavachos.conf"

struct kv_daemon_conf {
	char cgroup[PATH_MAX];         /* agents' root (cgroup2 path, or relative) */
	char pin_dir[PATH_MAX];        /* /sys/fs/bpf/kavachos */
	char state_dir[PATH_MAX];      /* /var/lib/kavachos */
	char control_socket[PATH_MAX]; /* /run/kavachos/control.sock */
	char control_group[64];        /* group allowed on the socket besides root ("" = root only) */
	uint32_t ringbuf_bytes;        /* power of two >= 4096 */
	uint32_t event_rate;           /* events/s per session to the ring buffer */
	uint32_t tracepoint_linger_s;  /* keep the syscall tracepoint this long after the last session */
	uint32_t gate_throttle, gate_crack, gate_lock, gate_burst, gate_burst_window_s;
	char receipts_sync[8];         /* group | none | each */
	uint32_t receipts_batch_max, receipts_batch_delay_ms;
	uint32_t checkpoint_every, checkpoint_secs;
	uint32_t egress_max_entries;   /* kv_egress_lpm size */
	uint32_t egress_resolve_cache_secs; /* reuse of host-name answers across sessions */
};

void kv_daemon_conf_defaults(struct kv_daemon_conf *c);
/* Parses path over the defaults already in c. missing_ok: a missing file is
 * not an error (the default path). 0 or negative errno; err names the problem. */
int kv_daemon_conf_load(const char *path, int missing_ok, struct kv_daemon_conf *c, char *err,
			size_t errlen);
#endif
