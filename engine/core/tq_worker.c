/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What an app does on a worker through the public API: its per-worker
 * state, the worker's clock, timers on the worker's wheel and app
 * counters.  The engine-wide half (running functions on workers, hooks,
 * counter names) lives in tq_engine_worker.c, with the engine that owns
 * the workers.
 */
#include <string.h>

#include <rte_malloc.h>

#include <tachyon/tq_worker.h>

#include "tq_shard.h"
#include "tq_timer.h"

struct tq_app_timer {
	struct tq_timer t;	/* first: the wheel links this */
	struct tq_shard *s;
	tq_app_timer_cb cb;
	void *arg;
};

void
tq_shard_set_app_ctx(struct tq_shard *s, void *p)
{
	s->app_ctx = p;
}

void *
tq_shard_app_ctx(const struct tq_shard *s)
{
	return s->app_ctx;
}

uint64_t
tq_shard_now(const struct tq_shard *s)
{
	return s->now;
}

uint64_t
tq_shard_counter(const struct tq_shard *s, unsigned int id)
{
	return id < TQ_CTR_MAX ? s->ctr[id] : 0;
}

static void
app_timer_fire(struct tq_timer *t, void *arg)
{
	struct tq_app_timer *at = arg;

	RTE_SET_USED(t);
	at->cb(at->s, at, at->arg);
}

struct tq_app_timer *
tq_app_timer_create(struct tq_shard *s, tq_app_timer_cb cb, void *arg)
{
	struct tq_app_timer *at;

	if (!s || !cb)
		return NULL;
	at = rte_zmalloc_socket("tq_app_timer", sizeof(*at), 0, s->socket);
	if (!at)
		return NULL;
	tq_timer_init(&at->t, app_timer_fire, at);
	at->s = s;
	at->cb = cb;
	at->arg = arg;
	return at;
}

void
tq_app_timer_arm(struct tq_app_timer *t, uint64_t delay_ns)
{
	uint64_t now = t->s->now;

	/* Saturate: UINT64_MAX means "never" rather than "long ago". */
	tq_timer_arm(t->s->timers, &t->t,
			delay_ns > UINT64_MAX - now ? UINT64_MAX :
			now + delay_ns);
}

void
tq_app_timer_cancel(struct tq_app_timer *t)
{
	tq_timer_cancel(t->s->timers, &t->t);
}

bool
tq_app_timer_pending(const struct tq_app_timer *t)
{
	return tq_timer_pending(&t->t);
}

void
tq_app_timer_free(struct tq_app_timer *t)
{
	if (!t)
		return;
	/* The wheel unlinks a timer before its callback, so freeing from
	 * inside the callback leaves nothing pointing here. */
	tq_timer_cancel(t->s->timers, &t->t);
	rte_free(t);
}

void
tq_app_counter_add(struct tq_shard *s, unsigned int id, uint64_t n)
{
	if (likely(id < TQ_APP_COUNTERS_MAX))
		s->app_ctr[id] += n;
}

void
tq_app_hist_observe(struct tq_shard *s, unsigned int id, uint64_t ns)
{
	const uint64_t *b;
	unsigned int lo = 0, hi, mid;

	if (unlikely(id >= TQ_APP_HISTS_MAX || !s->app_hist_bounds[id]))
		return;
	b = s->app_hist_bounds[id];
	hi = s->app_hist_nb[id];
	/* The first bound at or above ns; past them all, +Inf. */
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (ns <= b[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	s->app_hist[id][lo]++;
	s->app_hist[id][TQ_APP_HIST_BUCKETS_MAX + 1] += ns;
}

void
tq_shard_app_counters_sum(struct tq_shard *const *shards, unsigned int n,
		int worker, unsigned int nb_ctr, uint64_t *out)
{
	unsigned int i, k;

	memset(out, 0, sizeof(uint64_t) * TQ_APP_COUNTERS_MAX);
	nb_ctr = RTE_MIN(nb_ctr, (unsigned int)TQ_APP_COUNTERS_MAX);
	for (i = 0; i < n; i++) {
		const struct tq_shard *s = shards[i];

		if (!s || (worker >= 0 && (unsigned int)worker != i))
			continue;
		for (k = 0; k < nb_ctr; k++)
			out[k] += __atomic_load_n(&s->app_ctr[k],
					__ATOMIC_RELAXED);
	}
}
