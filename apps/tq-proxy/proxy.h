/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_PROXY_H
#define TQ_PROXY_H

/* State the modules of tq-proxy share (docs/tq-proxy.md, Module map). */
#include <pthread.h>
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
	PC_RELOADS,
	PC_RELOAD_FAILS,
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

/*
 * Backends and listeners have a slot each that outlives a reload while
 * it names the same backend (address, port, pool) or port: their stats,
 * health and load are kept per slot.  A slot is free again once no live
 * generation names it.
 */
#define PROXY_MAX_SLOTS (2 * PROXY_MAX_BACKENDS)
#define PROXY_MAX_LSLOTS (2 * PROXY_MAX_LISTEN)

/*
 * One configuration generation (docs/tq-proxy.md, Reload): read-only
 * once published.  Each worker holds the newest in pworker.g, and every
 * connection the one it started with; refs[] counts those per worker
 * (only that worker touches its count) and holders the workers whose
 * count is not 0: the last worker to let go frees it.
 */
struct pgen {
	uint64_t id;
	struct proxy_conf conf;
	uint64_t pool_mask[PROXY_MAX_POOLS];	/* proxy_conf_pool_mask() */
	struct tq_http_limits qlim;		/* http: requests' */
	uint16_t slot[PROXY_MAX_BACKENDS];	/* backend -> its slot */
	int16_t bidx[PROXY_MAX_SLOTS];		/* slot -> backend, -1 */
	uint8_t lslot[PROXY_MAX_LISTEN];	/* listener -> its slot */
	int8_t lidx[PROXY_MAX_LSLOTS];		/* slot -> listener, -1 */
	uint32_t holders;			/* atomic */
	uint32_t refs[];			/* per worker */
};

struct health;
struct proxy;
struct bpool;

struct pworker {
	struct proxy *p;
	struct tq_shard *s;
	struct pgen *g;			/* the newest generation */
	uint32_t rr[PROXY_MAX_POOLS];	/* balance cursor of each pool */
	uint32_t nconns;		/* relayed connections now */
	uint32_t active[PROXY_MAX_SLOTS]; /* for leastconn */
	struct pstat_be be[PROXY_MAX_SLOTS];
	struct pstat_listen l[PROXY_MAX_LSLOTS];
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
	unsigned int slot;
};

struct proxy {
	struct proxy_conf conf;		/* the options at start */
	struct proxy_conf *parse_into;	/* where the setters write */
	struct tq_engine *e;
	unsigned int nb_workers;
	struct pworker *w;		/* nb_workers of them */
	/* The control side (reloads, telemetry) under lock; never taken
	 * by a worker. */
	pthread_mutex_t lock;
	uint32_t started;		/* workers started, atomic */
	struct pgen *cur;		/* the newest, published */
	uint64_t reloads, reload_fails;
	char reload_err[256];		/* the last failure's reason */
	struct proxy_backend sbe[PROXY_MAX_SLOTS];	/* each slot's key */
	char spool[PROXY_MAX_SLOTS][PROXY_POOL_NAME_MAX + 1];
	uint32_t sgens[PROXY_MAX_SLOTS];	/* live gens naming it */
	uint16_t lport[PROXY_MAX_LSLOTS];
	uint32_t lgens[PROXY_MAX_LSLOTS];	/* atomic */
	bool llistening[PROXY_MAX_LSLOTS];
	struct backend_state bst[PROXY_MAX_SLOTS];
	struct plisten lis[PROXY_MAX_LSLOTS];
	int ctr[PC_MAX];
};

static inline void
pctr(struct pworker *w, enum proxy_ctr c, uint64_t n)
{
	tq_app_counter_add(w->s, (unsigned int)w->p->ctr[c], n);
}

/* slot: a backend's slot (pgen.slot[]) */
static inline bool
backend_up(const struct proxy *p, unsigned int slot)
{
	return __atomic_load_n(&p->bst[slot].up, __ATOMIC_RELAXED) != 0;
}

/* reload.c: generations */
struct pgen *gen_build(struct proxy *p, const struct proxy_conf *c,
		char *err, size_t len);
/* A connection (or the worker itself) holds g / lets it go. */
static inline void
gen_hold(struct pworker *w, struct pgen *g)
{
	g->refs[tq_shard_id(w->s)]++;
}
void gen_release(struct pworker *w, struct pgen *g);
/* Run a reload now (the control side, not a worker): 0, or a negative
 * errno with the reason in err. */
int proxy_reload(struct proxy *p, char *err, size_t len);
/* SIGHUP and /tqproxy/reload; before tq_engine_run(). */
int reload_register(struct proxy *p);
/* Listen for g's listener i (at start and by a reload). */
int proxy_listen(struct proxy *p, const struct pgen *g, unsigned int i);

/* relay.c */
void relay_accept(struct tq_shard *s, struct tq_listener *l, void *arg);

/* hrelay.c: --mode http */
void http_accept(struct tq_shard *s, struct tq_listener *l, void *arg);

/* bpool.c: idle backend connections of a worker (http) */
int bpool_start(struct pworker *w);
void bpool_stop(struct pworker *w);
/* An idle connection to the backend of slot, taken out of the pool, or
 * NULL. */
struct tq_stream *bpool_take(struct pworker *w, unsigned int slot);
/* Keep st (up, between answers) for reuse; false: no room, or the
 * backend is gone from the newest generation: the caller closes it. */
bool bpool_put(struct pworker *w, unsigned int slot, struct tq_stream *st);
/* The worker took generation w->g after old: keep the idle connections
 * of the backends it still has, close the others'. */
void bpool_reload(struct pworker *w, struct pgen *old);

/* health.c */
int health_start(struct pworker *w);
void health_stop(struct pworker *w);
/* A live open to the backend of slot succeeded or failed (passive
 * checks). */
void health_passive(struct pworker *w, unsigned int slot, bool ok);
/* Worker 0 took a new generation: checks start over with its backends
 * and settings. */
void health_reload(struct pworker *w);

/* stats.c */
int stats_register(struct proxy *p);

#endif
