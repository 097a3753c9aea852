/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP mode's backend connection pools (docs/tq-proxy.md, HTTP mode,
 * Backend connection pool): per worker and per backend, at most
 * --backend-keepalive idle connections, each closed after
 * --backend-idle-timeout-ms or as soon as the backend says anything
 * (data or its close) while idle.  Only this worker touches them.
 * Laid out for the worker's newest generation: a reload builds them
 * again (bpool_reload()).
 */
#include <errno.h>
#include <stdio.h>
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
	uint32_t nb;		/* backends of w->g */
	uint32_t nidle;
	struct bslot slot[];	/* nb * per */
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
	uint64_t lim = (uint64_t)bp->w->g->conf.backend_idle_ms * NS_PER_MS;
	uint32_t i, n = bp->nb * bp->per;

	for (i = 0; i < n && bp->nidle; i++)
		if (bp->slot[i].st && now - bp->slot[i].since >= lim)
			slot_drop(&bp->slot[i], true);
	/* A connection stays at most 1.25 times the timeout. */
	tq_app_timer_arm(t, lim / 4 ? lim / 4 : 1);
}

int
bpool_start(struct pworker *w)
{
	const struct pgen *g = w->g;
	uint32_t per = g->conf.backend_keepalive, i, n;
	struct bpool *bp;

	if (per == 0)
		return 0;
	n = g->conf.nb_backends * per;
	bp = calloc(1, sizeof(*bp) + n * sizeof(bp->slot[0]));
	if (!bp)
		return -ENOMEM;
	bp->w = w;
	bp->per = per;
	bp->nb = g->conf.nb_backends;
	for (i = 0; i < n; i++)
		bp->slot[i].bp = bp;
	bp->t = tq_app_timer_create(w->s, sweep, bp);
	if (!bp->t) {
		free(bp);
		return -ENOMEM;
	}
	tq_app_timer_arm(bp->t, (uint64_t)g->conf.backend_idle_ms *
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

void
bpool_reload(struct pworker *w, struct pgen *old)
{
	struct bpool *bp = w->bp;
	struct bslot *sl, *to;
	uint32_t i, j, n;
	int nb;

	(void)old;
	w->bp = NULL;
	if (bpool_start(w) < 0)
		fprintf(stderr, "tq-proxy: worker %u: no memory for backend "
			"connection pools\n", tq_shard_id(w->s));
	if (!bp)
		return;
	/* The idle connections of a backend the new generation keeps move
	 * over (as many as its slots take); the others close. */
	n = bp->nb * bp->per;
	for (i = 0; i < n && bp->nidle; i++) {
		sl = &bp->slot[i];
		if (!sl->st)
			continue;
		nb = w->g->bidx[old->slot[i / bp->per]];
		to = NULL;
		for (j = 0; w->bp && nb >= 0 && j < w->bp->per; j++) {
			if (!w->bp->slot[nb * w->bp->per + j].st) {
				to = &w->bp->slot[nb * w->bp->per + j];
				break;
			}
		}
		if (!to) {
			slot_drop(sl, true);
			continue;
		}
		to->st = sl->st;
		to->since = sl->since;
		w->bp->nidle++;
		tq_stream_set_ops(to->st, &idle_ops, to);
		sl->st = NULL;
		bp->nidle--;
	}
	tq_app_timer_free(bp->t);
	free(bp);
}

struct tq_stream *
bpool_take(struct pworker *w, unsigned int slot)
{
	struct bpool *bp = w->bp;
	struct bslot *sl, *best = NULL;
	struct tq_stream *st;
	uint32_t i;
	int b = w->g->bidx[slot];

	if (!bp || !bp->nidle || b < 0)
		return NULL;
	/* The most recently parked: the least likely to be timed out by
	 * the backend. */
	for (i = 0; i < bp->per; i++) {
		sl = &bp->slot[(uint32_t)b * bp->per + i];
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
bpool_put(struct pworker *w, unsigned int slot, struct tq_stream *st)
{
	struct bpool *bp = w->bp;
	struct bslot *sl;
	uint32_t i;
	int b = w->g->bidx[slot];

	/* A backend a reload removed: its active connections drain. */
	if (!bp || b < 0)
		return false;
	for (i = 0; i < bp->per; i++) {
		sl = &bp->slot[(uint32_t)b * bp->per + i];
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
