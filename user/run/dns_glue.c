// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/log.h"
#include "egress/dns_stub.h"
#include "run/dns_glue.h"
#include "run/runtime.h"

#define FEAT "dns"

struct kv_dns_glue {
	struct kv_runtime *rt;
	struct kv_dns_stub *stub;
	uint64_t cgid;
	pthread_t thread;
	bool started;
	volatile int stop;
	char resolv[PATH_MAX];
};

static void on_event(void *ctx, uint64_t session, const char *type, struct json_object *fields)
{
	struct kv_dns_glue *g = ctx;

	(void)session;
	kv_runtime_seal(g->rt, g->cgid, type, fields, 0);
}

int kv_dns_glue_open(struct kv_runtime *rt, uint64_t cgid, struct kv_egress_policy *pol,
		     const struct kv_egress_maps *maps, const char *state_dir, const char *id,
		     struct kv_dns_glue **out)
{
	struct kv_dns_stub_opts o = { .maps = maps, .session = cgid, .policy = pol,
				      .on_event = on_event };
	struct kv_dns_glue *g = calloc(1, sizeof(*g));
	struct sockaddr_storage a;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&a;
	char ip[INET_ADDRSTRLEN], dir[PATH_MAX];
	unsigned salt;
	FILE *f;
	int e = -EADDRINUSE;

	if (!g)
		return -ENOMEM;
	g->rt = rt;
	g->cgid = cgid;
	o.ctx = g;
	/* 127.77.X.Y:53 from the session id; another salt if it is taken */
	for (salt = 0; salt < 8 && e == -EADDRINUSE; salt++) {
		kv_dns_stub_pick_addr(cgid, salt, &o.listen);
		e = kv_dns_stub_open(&o, &g->stub);
	}
	if (e)
		goto fail;
	kv_dns_stub_addr(g->stub, &a);
	if (a.ss_family != AF_INET) {
		e = -EAFNOSUPPORT;
		goto fail;
	}
	inet_ntop(AF_INET, &a4->sin_addr, ip, sizeof(ip));
	memset(pol->stub_addr, 0, sizeof(pol->stub_addr));
	pol->stub_addr[10] = pol->stub_addr[11] = 0xff; /* ::ffff:a.b.c.d */
	memcpy(pol->stub_addr + 12, &a4->sin_addr, 4);
	pol->stub_port = ntohs(a4->sin_port);
	snprintf(dir, sizeof(dir), "%s/run", state_dir);
	mkdir(state_dir, 0700);
	mkdir(dir, 0755);
	snprintf(g->resolv, sizeof(g->resolv), "%s/%s.resolv.conf", dir, id);
	f = fopen(g->resolv, "we");
	if (!f) {
		e = -errno;
		goto fail;
	}
	fprintf(f, "# KavachOS session %s: DNS goes through the session's stub resolver\n"
		   "nameserver %s\noptions attempts:2 timeout:2\n", id, ip);
	if (fclose(f)) {
		e = -errno;
		goto fail;
	}
	chmod(g->resolv, 0644);
	*out = g;
	return 0;
fail:
	if (g->stub)
		kv_dns_stub_close(g->stub);
	free(g);
	return e;
}

static void *serve(void *arg)
{
	struct kv_dns_glue *g = arg;

	kv_dns_stub_serve(g->stub, &g->stop);
	return NULL;
}

int kv_dns_glue_start(struct kv_dns_glue *g)
{
	int n = kv_dns_stub_prefetch(g->stub); /* single-threaded: before serving */

	kv_debug(FEAT, "%d name(s) resolved at session start", n);
	if (pthread_create(&g->thread, NULL, serve, g))
		return -EAGAIN;
	g->started = true;
	return 0;
}

const char *kv_dns_glue_resolv(const struct kv_dns_glue *g)
{
	return g->resolv;
}

void kv_dns_glue_stop(struct kv_dns_glue *g)
{
	if (!g)
		return;
	g->stop = 1;
	/* wake the serving loop's poll now instead of at its timeout */
	shutdown(kv_dns_stub_fd(g->stub), SHUT_RDWR);
	if (g->started)
		pthread_join(g->thread, NULL);
	kv_dns_stub_close(g->stub);
	unlink(g->resolv);
	free(g);
}
