/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_PROXY_H
#define TQ_PROXY_H

/* State the modules of tq-proxy share (docs/tq-proxy.md, Module map). */
#include <stdbool.h>
#include <stdint.h>

#include <tachyon/tachyon.h>
#include <tachyon/tq_http.h>
#include <tachyon/tq_tcp.h>
#include <tachyon/tq_worker.h>

#include "conf.h"

/* App counters (stats.c has their names and help). */
enum proxy_ctr {
	PC_ACCEPTED,
	PC_REJECTED,
	PC_BACKEND_CONNECTS,
	PC_CONNECT_FAILS,
	PC_CONNECT_TIMEOUTS,
	PC_RETRIES,
	PC_NO_BACKEND,
	PC_IDLE_TIMEOUTS,
	PC_RESETS_CARRIED,
	PC_BYTES_UP,
	PC_BYTES_DOWN,
	PC_HEALTH_CHECKS,
	PC_HEALTH_FAILS,
	PC_EJECTS,
	PC_RESTORES,
	PC_HTTP_REQUESTS,
	PC_HTTP_1XX,		/* the five in order: PC_HTTP_1XX + class - 1 */
	PC_HTTP_2XX,
	PC_HTTP_3XX,
	PC_HTTP_4XX,
	PC_HTTP_5XX,
	PC_HTTP_LOCAL,
	PC_HTTP_BACKEND_TIMEOUTS,
	PC_HTTP_BACKEND_REUSED,
	PC_HTTP_BACKEND_PARKED,
	PC_HTTP_BACKEND_STALE,
	PC_MAX,
};

/* Per worker, written only there, summed by telemetry. */
struct pstat_be {
	uint64_t active, total, bytes_up, bytes_down, connect_fails;
	uint64_t requests;		/* http: requests sent to it */
	uint64_t resp[5];		/* http: its answers, by class */
};

struct pstat_listen {
	uint64_t active, total, bytes_up, bytes_down;
	uint64_t requests;		/* http: requests parsed */
	uint64_t resp[5];		/* http: answers, by class */
	uint64_t errors;		/* http: answered by the proxy itself */
};

struct health;
struct proxy;
struct bpool;

struct pworker {
	struct proxy *p;
	struct tq_shard *s;
	uint32_t rr[PROXY_MAX_POOLS];	/* balance cursor of each pool */
	uint32_t nconns;		/* relayed connections now */
	uint32_t active[PROXY_MAX_BACKENDS]; /* for leastconn */
	struct pstat_be be[PROXY_MAX_BACKENDS];
	struct pstat_listen l[PROXY_MAX_LISTEN];
	struct health *h;		/* worker 0 with active checks */
	struct bpool *bp;		/* http: idle backend connections */
};

/* Shared by all workers: relaxed atomics, touched per connection
 * setup and per check, never per packet. */
struct backend_state {
	uint32_t up;
	uint32_t fails;			/* consecutive */
};

struct plisten {
	struct proxy *p;
	unsigned int idx;
};

struct proxy {
	struct proxy_conf conf;
	uint64_t pool_mask[PROXY_MAX_POOLS];	/* proxy_conf_pool_mask() */
	struct tq_engine *e;
	unsigned int nb_workers;
	struct pworker *w;		/* nb_workers of them */
	struct backend_state bst[PROXY_MAX_BACKENDS];
	struct plisten lis[PROXY_MAX_LISTEN];
	struct tq_http_limits qlim;		/* http: requests' */
	int ctr[PC_MAX];
};

static inline void
pctr(struct pworker *w, enum proxy_ctr c, uint64_t n)
{
	tq_app_counter_add(w->s, (unsigned int)w->p->ctr[c], n);
}

static inline bool
backend_up(const struct proxy *p, unsigned int b)
{
	return __atomic_load_n(&p->bst[b].up, __ATOMIC_RELAXED) != 0;
}

/* relay.c */
void relay_accept(struct tq_shard *s, struct tq_listener *l, void *arg);

/* hrelay.c: --mode http */
void http_accept(struct tq_shard *s, struct tq_listener *l, void *arg);

/* bpool.c: idle backend connections of a worker (http) */
int bpool_start(struct pworker *w);
void bpool_stop(struct pworker *w);
/* An idle connection to backend b, taken out of the pool, or NULL. */
struct tq_stream *bpool_take(struct pworker *w, unsigned int b);
/* Keep st (up, between answers) for reuse; false: no room, the caller
 * closes it. */
bool bpool_put(struct pworker *w, unsigned int b, struct tq_stream *st);

/* health.c */
void health_init(struct proxy *p);
int health_start(struct pworker *w);
void health_stop(struct pworker *w);
/* A live open to backend b succeeded or failed (passive checks). */
void health_passive(struct pworker *w, unsigned int b, bool ok);

/* stats.c */
int stats_register(struct proxy *p);

#endif
