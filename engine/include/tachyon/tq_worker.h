/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TACHYON_TQ_WORKER_H
#define TACHYON_TQ_WORKER_H

/**
 * @file
 * Apps on the engine's workers: run a function on a worker, per-worker
 * app state, start and stop hooks, timers on the worker's timer wheel,
 * and app counters that show next to the engine's own.
 *
 * Each worker owns a shard (struct tq_shard) and everything on it: its
 * flows, its timers, its counters.  Nothing here takes a lock on the data
 * path.  Functions taking a struct tq_shard * must be called on that
 * shard's worker (from a callback, a timer, a hook or a function run with
 * tq_worker_run()); functions taking a struct tq_engine * may be called
 * from any thread unless said otherwise.
 *
 * Active opens from a worker: tq_tcp_connect(s, ...) with sport 0 picks an
 * ephemeral port whose flow hashes (RSS, or the engine's own hash where the
 * port has none) back to the worker s belongs to, so the connection lives
 * and is called back on the worker that opened it.
 */

#include <stdbool.h>
#include <stdint.h>

#include <tachyon/tachyon.h>

/** A function run on a worker, with that worker's shard. */
typedef void (*tq_worker_fn)(struct tq_shard *s, void *arg);

/**
 * Run fn(s, arg) on the given worker at its next poll, through the
 * worker's command ring (multi-producer: the main thread, DPDK telemetry
 * threads, app threads and workers, a worker to itself included, may all
 * call it at once).  It does not wait: arg must stay valid until fn runs.
 *
 * Commands need the workers' shards, which tq_engine_run() creates: before
 * it (and after it returned) this returns -EAGAIN.  Use
 * tq_engine_on_worker_start() for work a worker must do when it starts.
 * A command sent while the engine is stopping may be dropped without
 * running.
 *
 * @return 0, -EAGAIN (the workers do not run), -EINVAL (no such worker or
 *   fn NULL), -ENOBUFS (the ring is full: the worker is behind; retry).
 */
int tq_worker_run(struct tq_engine *e, unsigned int worker, tq_worker_fn fn,
		void *arg);

/**
 * tq_worker_run() on every worker.  Stops at the first error: workers
 * before it were sent fn.
 * @return 0, or the first error of tq_worker_run().
 */
int tq_worker_run_all(struct tq_engine *e, tq_worker_fn fn, void *arg);

/**
 * tq_worker_run(), then wait up to timeout_ms for fn to have returned on
 * the worker.  Not from a worker (it could wait on itself or on a worker
 * that waits on it): there it returns -EDEADLK.  On -ETIMEDOUT fn may
 * still run later, so arg must outlive it anyway.
 * @return 0 once fn ran, -ETIMEDOUT, -EDEADLK, -ENOMEM or an error of
 *   tq_worker_run().
 */
int tq_worker_run_wait(struct tq_engine *e, unsigned int worker,
		tq_worker_fn fn, void *arg, unsigned int timeout_ms);

/** Most start or stop hooks an engine holds. */
#define TQ_WORKER_HOOKS_MAX 8

/**
 * Call fn(s, arg) on each worker when it starts, before its first poll
 * (hooks in the order added): the place to allocate per-worker app state
 * (tq_shard_set_app_ctx()) and arm the first timers.  Before
 * tq_engine_run() only.
 * @return 0, -EBUSY (the engine runs), -ENOSPC (TQ_WORKER_HOOKS_MAX),
 *   -EINVAL.
 */
int tq_engine_on_worker_start(struct tq_engine *e, tq_worker_fn fn,
		void *arg);

/**
 * Call fn(s, arg) on each worker when the engine begins to stop
 * (tq_engine_stop(), SIGINT, SIGTERM), before it closes the worker's
 * connections: the app learns it is stopping while everything is still
 * open, so it can tell the closes that follow from a peer's, stop
 * opening, or finish in its own way.  Before tq_engine_run() only.
 * @return as tq_engine_on_worker_start().
 */
int tq_engine_on_worker_stopping(struct tq_engine *e, tq_worker_fn fn,
		void *arg);

/**
 * Call fn(s, arg) on each worker after its last poll, once the engine
 * closed its connections (no stream callbacks come after it): the place
 * to free per-worker app state and timers.  Before tq_engine_run() only.
 * @return as tq_engine_on_worker_start().
 */
int tq_engine_on_worker_stop(struct tq_engine *e, tq_worker_fn fn,
		void *arg);

/** Attach the app's per-worker state to a shard (on its worker). */
void tq_shard_set_app_ctx(struct tq_shard *s, void *p);

/** The app's per-worker state, NULL until set. */
void *tq_shard_app_ctx(const struct tq_shard *s);

/**
 * The worker's clock, ns: read once per poll, so every callback of one
 * poll sees the same time.  Monotonic, not wall-clock time.
 */
uint64_t tq_shard_now(const struct tq_shard *s);

/**
 * One of the engine's counters on this worker (id: TQ_CTR_*, from
 * tachyon/tq_counters.def); 0 for an id out of range.
 */
uint64_t tq_shard_counter(const struct tq_shard *s, unsigned int id);

/** A timer on one worker's timer wheel (opaque). */
struct tq_app_timer;

/** Called on the timer's worker when it fires; it may re-arm or free t. */
typedef void (*tq_app_timer_cb)(struct tq_shard *s, struct tq_app_timer *t,
		void *arg);

/**
 * Create a timer on s's worker (on that worker).  This allocates; arming
 * and cancelling never do.  Timers fire on the first poll at or after
 * their time; the wheel's slots are --timer-tick-us wide, which bounds
 * neither precision nor range.
 * @return the timer, or NULL when out of memory.
 */
struct tq_app_timer *tq_app_timer_create(struct tq_shard *s,
		tq_app_timer_cb cb, void *arg);

/** Arm t to fire delay_ns after tq_shard_now(); an armed t moves. */
void tq_app_timer_arm(struct tq_app_timer *t, uint64_t delay_ns);

/** Disarm t; nothing when it is not armed. */
void tq_app_timer_cancel(struct tq_app_timer *t);

/** True while t is armed and has not fired. */
bool tq_app_timer_pending(const struct tq_app_timer *t);

/** Cancel and free t (NULL is ignored); from its callback too. */
void tq_app_timer_free(struct tq_app_timer *t);

/**
 * Most app counters an engine holds.  Telemetry answers with one
 * dictionary of at most 256 entries, shared with the engine's own
 * counters (TQ_CTR_MAX), which bounds this.
 */
#define TQ_APP_COUNTERS_MAX 64

/** Longest app counter name, without the NUL. */
#define TQ_APP_COUNTER_NAME_MAX 47

/**
 * Register an app counter before tq_engine_run().  name is nstat-like
 * CamelCase (letters, digits, '_'; e.g. "HttpRequests"), unique among
 * the engine's and the app's counters; help says in one line what it
 * counts (both copied).  It shows in /tachyon/stats and /tachyon/counters
 * (so tq-ctl stats, -z, --per-worker) after the engine's own counters.
 * @return the counter's id (0, 1, ...), -EINVAL (bad name), -EEXIST,
 *   -ENOSPC (TQ_APP_COUNTERS_MAX), -EBUSY (the engine runs).
 */
int tq_app_counter_register(struct tq_engine *e, const char *name,
		const char *help);

/**
 * Add n to app counter id on s's worker (on that worker; no atomics).
 * An id that was not registered is ignored.
 */
void tq_app_counter_add(struct tq_shard *s, unsigned int id, uint64_t n);

/** Number of app counters registered. */
unsigned int tq_app_counter_count(const struct tq_engine *e);

/** Name of app counter id, or NULL when out of range. */
const char *tq_app_counter_name(const struct tq_engine *e, unsigned int id);

/** Help text of app counter id, or NULL when out of range. */
const char *tq_app_counter_help(const struct tq_engine *e, unsigned int id);

/**
 * Copy the app counters, worker -1 summing all workers, into out (n
 * entries; ids past n are left out, past the count are zeroed).  Like
 * tq_engine_counters(), from any thread: a worker's latest adds may not
 * show yet.
 * @return 0, or -EINVAL for a worker that does not exist.
 */
int tq_app_counters(const struct tq_engine *e, int worker, uint64_t *out,
		unsigned int n);

/** Most app histograms an engine holds. */
#define TQ_APP_HISTS_MAX 8

/** Most bucket bounds of one app histogram (+Inf comes on top). */
#define TQ_APP_HIST_BUCKETS_MAX 32

/**
 * Register an app histogram of durations before tq_engine_run(), for
 * Prometheus: name is CamelCase as for a counter ("RequestLatency") and
 * shows on the --metrics page as tachyon_app_request_latency_seconds,
 * a histogram per worker and summed (worker="all").  bounds_ns are the
 * buckets' upper bounds in nanoseconds, ascending, at most
 * TQ_APP_HIST_BUCKETS_MAX; NULL takes 50 us to 10 s in 1-2.5-5 steps.
 * @return the histogram's id (0, 1, ...), -EINVAL (bad name or bounds),
 *   -EEXIST, -ENOSPC (TQ_APP_HISTS_MAX), -EBUSY (the engine runs).
 */
int tq_app_hist_register(struct tq_engine *e, const char *name,
		const char *help, const uint64_t *bounds_ns, unsigned int nb);

/**
 * Count one duration of ns nanoseconds in app histogram id on s's
 * worker (on that worker; no atomics, a search of the bounds).  An id
 * that was not registered is ignored.
 */
void tq_app_hist_observe(struct tq_shard *s, unsigned int id, uint64_t ns);

#endif
