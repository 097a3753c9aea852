/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP mode's backend connection pools (docs/tq-proxy.md, HTTP mode,
 * Backend connection pool): per worker and per backend, at most
 * --backend-keepalive idle connections, each closed after
 * --backend-idle-timeout-ms or as soon as the backend says anything
 * (data or its close) while idle.  Only this worker touches them.
 */
#include <errno.h>
#include <stdlib.h>

#include "proxy.h"

#define NS_PER_MS 1000000ull

struct bslot {
	struct bpool *bp;
	struct tq_stream *st;	/* NULL: free */
	uint64_t since;		/* tq_shard_now() when parked */
};

struct bpool {
	struct pworker *w;
	struct tq_app_timer *t;	/* the idle sweep */
	uint32_t per;		/* slots per backend */
	uint32_t nidle;
	struct bslot slot[];	/* nb_backends * per */
};

static const struct tq_stream_ops none_ops;

static void
slot_drop(struct bslot *sl, bool close)
{
	struct tq_stream *st = sl->st;

	sl->st = NULL;
	sl->bp->nidle--;
	tq_stream_set_ops(st, &none_ops, NULL);
	if (close)
		tq_stream_close(st);
}

/* Anything from an idle backend (an early close, junk): it goes. */
static void
idle_readable(struct tq_stream *st, void *ctx)
{
	(void)st;
	slot_drop(ctx, true);
}

static void
idle_closed(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	(void)st;
	(void)why;
	slot_drop(ctx, false);
}

static const struct tq_stream_ops idle_ops = {
	.readable = idle_readable,
	.closed = idle_closed,
};

static void
sweep(struct tq_shard *s, struct tq_app_timer *t, void *arg)
{
	struct bpool *bp = arg;
	uint64_t now = tq_shard_now(s);
	uint64_t lim = (uint64_t)bp->w->p->conf.backend_idle_ms * NS_PER_MS;
	uint32_t i, n = bp->w->p->conf.nb_backends * bp->per;

	for (i = 0; i < n && bp->nidle; i++)
		if (bp->slot[i].st && now - bp->slot[i].since >= lim)
			slot_drop(&bp->slot[i], true);
	/* A connection stays at most 1.25 times the timeout. */
	tq_app_timer_arm(t, lim / 4 ? lim / 4 : 1);
}

int
bpool_start(struct pworker *w)
{
	struct proxy *p = w->p;
	uint32_t per = p->conf.backend_keepalive, i, n;
	struct bpool *bp;

	if (per == 0)
		return 0;
	n = p->conf.nb_backends * per;
	bp = calloc(1, sizeof(*bp) + n * sizeof(bp->slot[0]));
	if (!bp)
		return -ENOMEM;
	bp->w = w;
	bp->per = per;
	for (i = 0; i < n; i++)
		bp->slot[i].bp = bp;
	bp->t = tq_app_timer_create(w->s, sweep, bp);
	if (!bp->t) {
		free(bp);
		return -ENOMEM;
	}
	tq_app_timer_arm(bp->t, (uint64_t)p->conf.backend_idle_ms *
			NS_PER_MS / 4);
	w->bp = bp;
	return 0;
}

void
bpool_stop(struct pworker *w)
{
	if (!w->bp)
		return;
	/* The engine closed every connection, the idle ones too. */
	tq_app_timer_free(w->bp->t);
	free(w->bp);
	w->bp = NULL;
}

struct tq_stream *
bpool_take(struct pworker *w, unsigned int b)
{
	struct bpool *bp = w->bp;
	struct bslot *sl, *best = NULL;
	struct tq_stream *st;
	uint32_t i;

	if (!bp || !bp->nidle)
		return NULL;
	/* The most recently parked: the least likely to be timed out by
	 * the backend. */
	for (i = 0; i < bp->per; i++) {
		sl = &bp->slot[b * bp->per + i];
		if (sl->st && (!best || sl->since > best->since))
			best = sl;
	}
	if (!best)
		return NULL;
	st = best->st;
	slot_drop(best, false);
	return st;
}

bool
bpool_put(struct pworker *w, unsigned int b, struct tq_stream *st)
{
	struct bpool *bp = w->bp;
	struct bslot *sl;
	uint32_t i;

	if (!bp)
		return false;
	for (i = 0; i < bp->per; i++) {
		sl = &bp->slot[b * bp->per + i];
		if (sl->st)
			continue;
		sl->st = st;
		sl->since = tq_shard_now(w->s);
		bp->nidle++;
		tq_stream_set_ops(st, &idle_ops, sl);
		return true;
	}
	return false;
}
