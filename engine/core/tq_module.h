/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_MODULE_H
#define TQ_MODULE_H

/*
 * Protocol modules: what a protocol above the network layer (UDP, TCP,
 * QUIC) adds to the engine lives in its own directory and reaches
 * the engine through one struct tq_module, listed once in
 * core/tq_modules.def.  The engine walks that list to add the module's
 * option rows (command line and config file), give it a state block of
 * its own, let it finish its configuration, attach it to each worker's
 * shard, stop and detach it, and register its telemetry commands.
 * tq_engine.c names no protocol's options, tables or telemetry.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tachyon/tachyon.h>

struct tq_shard;
struct tq_prom;

/* What the engine knows once the options are parsed and the port is up. */
struct tq_module_env {
	unsigned int nb_workers;
	uint32_t nb_mbufs;	/* per socket pool */
	uint16_t nb_rxd, nb_txd;
	const uint8_t *secret;	/* 16 bytes for the run, RFC 6528 */
};

/*
 * A setting changed while the workers run (tq-ctl set KEY VALUE): set
 * and get work on a copy of the module's state, never on what a worker
 * reads.
 */
struct tq_live_opt {
	const char *key;	/* "tcp.cc": module, a dot, the setting */
	const char *metavar;
	const char *help;
	int (*set)(void *state, const char *val);	/* 0 or -EINVAL */
	/* The value as set would take it; 0 or -ENOSPC. */
	int (*get)(const void *state, char *buf, size_t len);
};

struct tq_module {
	const char *name;
	/*
	 * Option rows, appended after the engine's own in this order; the
	 * setters get the module's state as their argument (.arg is not
	 * used).  The section is the config file's [section].
	 */
	const struct tq_app_opt *opts;
	unsigned int nb_opts;
	/* The engine allocates this much, zeroed, per engine. */
	size_t state_size;
	/* Defaults, before any option; may be NULL. */
	void (*init)(void *state);
	/* Options parsed, port up, no shard yet: settle what the options
	 * left open.  0 or a negative errno. */
	int (*finish)(void *state, const struct tq_module_env *env);
	/* Each shard, after the network layer and the modules before it in
	 * the list, on the control thread before the workers run. */
	int (*attach)(struct tq_shard *s, void *state,
			const struct tq_module_env *env);
	/* On each worker when the engine stops, while the workers still
	 * poll (a command): close what is open in order.  May be NULL. */
	void (*stop)(struct tq_shard *s);
	/* Each shard, in reverse list order, after the workers ended. */
	void (*detach)(struct tq_shard *s);
	/* Free what the state holds (not the state itself); may be NULL. */
	void (*fini)(void *state);
	/* Register telemetry commands (they find the engine with
	 * tq_engine_current()); may be NULL. */
	void (*telemetry)(void);
	/*
	 * Add its families to the Prometheus page, reading the shards'
	 * figures without a lock (control thread, workers running); may
	 * be NULL.  Each family once, with a worker label.
	 */
	void (*metrics)(struct tq_shard *const *shards, unsigned int n,
			struct tq_prom *p);
	/*
	 * Settings that change while the workers run (may be none).  The
	 * engine applies one to a fresh copy of the state, then has every
	 * worker call publish() with that copy through its command ring:
	 * from then on the worker's new work (new connections) reads it.
	 * The copy lives until the engine ends, so a worker never reads
	 * freed or half-written settings.
	 */
	const struct tq_live_opt *live;
	unsigned int nb_live;
	void (*publish)(struct tq_shard *s, const void *state);
};

/* The modules in attach order, NULL-terminated (core/tq_modules.def). */
extern const struct tq_module *const tq_modules[];

struct tq_opts;

/*
 * Add the engine's option rows and every module's to o, applying to e
 * (e NULL: rows to list only, such as the check that each one is
 * documented, never to parse with).  0 or tq_opts_add()'s error.
 */
int tq_engine_add_opts(struct tq_opts *o, struct tq_engine *e);

/* m's state in e; NULL if m is not in the list. */
void *tq_engine_module_state(struct tq_engine *e, const struct tq_module *m);

/* The engine telemetry answers for; NULL when none. */
struct tq_engine *tq_engine_current(void);

/* True once the workers take commands (tq_worker_run() works). */
bool tq_engine_running(const struct tq_engine *e);

/* True on one of e's worker lcores, where waiting on a worker could
 * deadlock. */
bool tq_engine_on_worker(const struct tq_engine *e);

/*
 * The control lock: serializes run-time changes that go to every worker
 * (listeners, UDP binds) with each other and with the workers' start, so
 * a change is either in the table the shards copy when they attach or
 * sent to running workers, never neither.  The control path only:
 * workers never take it.
 */
void tq_engine_ctl_lock(struct tq_engine *e);
void tq_engine_ctl_unlock(struct tq_engine *e);

/*
 * An engine around shards someone else creates and polls, with no EAL
 * setup and no port: it runs at once (commands go to the shards' rings),
 * and destroying it leaves the shards alone.  For tests of the control
 * path, whose workers are threads polling the shards.
 */
int tq_engine_adopt(struct tq_shard *const *shards, unsigned int n,
		struct tq_engine **out);

#endif
