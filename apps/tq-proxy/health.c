/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Backend health (docs/tq-proxy.md, Health).  Passive: live opens that
 * fail (and, in HTTP mode, 5xx answers) eject a backend after
 * --health-fall in a row.  Active: worker 0 opens a TCP connection to
 * every backend each --health-interval-ms (and with --health-http
 * PATH, GETs PATH on it: 2xx or 3xx is up); --health-fall failed checks
 * eject, --health-rise good ones restore.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

struct hcheck {
	struct health *h;
	unsigned int slot;	/* its backend's */
	struct tq_stream *st;	/* the check in flight */
	bool ok;
	bool done;		/* its verdict is given */
	bool late;		/* aborted by us: not up in time */
	uint64_t started;	/* ns, tq_shard_now() */
	uint32_t len;
	char buf[16];		/* "HTTP/1.x NNN" of an HTTP check */
};

struct health {
	struct pworker *w;
	struct tq_app_timer *t;
	uint32_t oks[PROXY_MAX_SLOTS];	/* consecutive, this worker */
	struct hcheck ck[PROXY_MAX_BACKENDS];	/* by backend of w->g */
};

static void
log_state(struct proxy *p, unsigned int b, const char *what)
{
	char a[TQ_ADDR_STRLEN];

	/* Rare (a state change), so a line on stderr is fine here.  A
	 * slot's key stays while a generation names it. */
	tq_addr_format(&p->sbe[b].addr, a, sizeof(a));
	fprintf(stderr, "tq-proxy: backend %s port %u %s\n", a,
			p->sbe[b].port, what);
}

static void
set_up(struct pworker *w, unsigned int b, uint32_t up)
{
	struct proxy *p = w->p;
	uint32_t old = !up;

	/* Only the worker that flips it counts and logs it. */
	if (__atomic_compare_exchange_n(&p->bst[b].up, &old, up, false,
			__ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		pctr(w, up ? PC_RESTORES : PC_EJECTS, 1);
		log_state(p, b, up ? "up" : "down (ejected)");
	}
}

static void
fail(struct pworker *w, unsigned int b)
{
	struct proxy *p = w->p;
	uint32_t n = __atomic_add_fetch(&p->bst[b].fails, 1, __ATOMIC_RELAXED);

	if (n >= w->g->conf.health_fall)
		set_up(w, b, 0);
}

void
health_passive(struct pworker *w, unsigned int b, bool ok)
{
	if (!ok) {
		fail(w, b);
		return;
	}
	__atomic_store_n(&w->p->bst[b].fails, 0, __ATOMIC_RELAXED);
	/* It answered: only tried while down when the whole pool was. */
	set_up(w, b, 1);
}

static void
check_result(struct health *h, unsigned int b, bool ok)
{
	struct pworker *w = h->w;

	if (!ok) {
		h->oks[b] = 0;
		pctr(w, PC_HEALTH_FAILS, 1);
		fail(w, b);
		return;
	}
	__atomic_store_n(&w->p->bst[b].fails, 0, __ATOMIC_RELAXED);
	if (++h->oks[b] >= w->g->conf.health_rise)
		set_up(w, b, 1);
}

static void
verdict(struct hcheck *ck, struct tq_stream *st, bool ok)
{
	ck->ok = ok;
	ck->done = true;
	check_result(ck->h, ck->slot, ok);
	/* A reset: no TIME_WAIT left behind per check. */
	tq_stream_abort(st, 0);
}

static void
hc_connected(struct tq_stream *st, void *ctx)
{
	struct hcheck *ck = ctx;
	struct pworker *w = ck->h->w;
	const struct proxy_backend *be = &w->p->sbe[ck->slot];
	char req[512], a[TQ_ADDR_STRLEN];
	int n;

	if (!w->g->conf.health_http[0]) {
		verdict(ck, st, true);
		return;
	}
	tq_addr_format(&be->addr, a, sizeof(a));
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s%s%s:%u"
		"\r\nUser-Agent: tq-proxy-health\r\nConnection: close\r\n\r\n",
		w->g->conf.health_http,
		be->addr.family == AF_INET6 ? "[" : "", a,
		be->addr.family == AF_INET6 ? "]" : "", be->port);
	/* A fresh send queue takes a request this small at once. */
	if (n < 0 || (size_t)n >= sizeof(req) ||
			tq_stream_write(st, req, (uint32_t)n) != n)
		verdict(ck, st, false);
}

/* The status line is all a check reads: "HTTP/1.x NNN". */
static void
hc_readable(struct tq_stream *st, void *ctx)
{
	struct hcheck *ck = ctx;
	int n;

	if (ck->done)
		return;
	n = tq_stream_read(st, ck->buf + ck->len,
			(uint32_t)(sizeof(ck->buf) - ck->len));
	if (n > 0)
		ck->len += (uint32_t)n;
	if (ck->len < 12 && n > 0)
		return;
	if (n == -EAGAIN && ck->len < 12)
		return;
	verdict(ck, st, ck->len >= 12 && !memcmp(ck->buf, "HTTP/1.", 7) &&
		ck->buf[8] == ' ' && (ck->buf[9] == '2' || ck->buf[9] == '3') &&
		ck->buf[10] >= '0' && ck->buf[10] <= '9' &&
		ck->buf[11] >= '0' && ck->buf[11] <= '9');
}

static void
hc_closed(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	struct hcheck *ck = ctx;

	(void)st;
	ck->st = NULL;
	/* Aborted and not by us: the engine is stopping, no verdict. */
	if (!ck->done && (why != TQ_CLOSE_ABORTED || ck->late))
		check_result(ck->h, ck->slot, false);
	ck->ok = false;
	ck->done = false;
	ck->late = false;
}

static const struct tq_stream_ops hc_ops = {
	.connected = hc_connected,
	.readable = hc_readable,
	.closed = hc_closed,
};

static uint64_t
check_timeout(const struct pgen *g)
{
	uint64_t ms = g->conf.connect_timeout_ms > g->conf.health_interval_ms ?
		g->conf.connect_timeout_ms : g->conf.health_interval_ms;

	return ms * 1000000ull;
}

static void
health_tick(struct tq_shard *s, struct tq_app_timer *t, void *arg)
{
	struct health *h = arg;
	const struct pgen *g = h->w->g;
	struct hcheck *ck;
	unsigned int b;
	int err;

	for (b = 0; b < g->conf.nb_backends; b++) {
		ck = &h->ck[b];
		/*
		 * A check still in flight has the connect timeout (or the
		 * interval, if longer) to answer, as a live open would:
		 * failing it at the next tick of a short interval ejected
		 * healthy backends on a loaded machine, then restored them.
		 */
		if (ck->st) {
			if (tq_shard_now(s) - ck->started < check_timeout(g))
				continue;
			ck->late = true;
			tq_stream_abort(ck->st, 0);
		}
		pctr(h->w, PC_HEALTH_CHECKS, 1);
		ck->ok = false;
		ck->done = false;
		ck->len = 0;
		ck->started = tq_shard_now(s);
		ck->slot = g->slot[b];
		ck->st = tq_tcp_connect(s, &g->conf.be[b].addr,
				g->conf.be[b].port, NULL, 0, &hc_ops, ck, &err);
		if (!ck->st)
			check_result(h, ck->slot, false);
	}
	tq_app_timer_arm(t, (uint64_t)g->conf.health_interval_ms * 1000000);
}

int
health_start(struct pworker *w)
{
	struct health *h;
	unsigned int b;

	if (tq_shard_id(w->s) != 0 || w->g->conf.health_interval_ms == 0)
		return 0;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->w = w;
	for (b = 0; b < PROXY_MAX_BACKENDS; b++)
		h->ck[b].h = h;
	h->t = tq_app_timer_create(w->s, health_tick, h);
	if (!h->t) {
		free(h);
		return -ENOMEM;
	}
	tq_app_timer_arm(h->t, 0);
	w->h = h;
	return 0;
}

void
health_stop(struct pworker *w)
{
	if (!w->h)
		return;
	/* The engine closed every connection, the checks too. */
	tq_app_timer_free(w->h->t);
	free(w->h);
	w->h = NULL;
}

void
health_reload(struct pworker *w)
{
	struct health *h = w->h;
	unsigned int b;

	if (!h) {
		if (health_start(w) < 0)
			fprintf(stderr, "tq-proxy: worker %u: no memory for "
				"health checks\n", tq_shard_id(w->s));
		return;
	}
	/* The checks in flight were for the old list: dropped without a
	 * verdict; the new one is checked at once. */
	for (b = 0; b < PROXY_MAX_BACKENDS; b++) {
		if (!h->ck[b].st)
			continue;
		h->ck[b].done = true;
		tq_stream_abort(h->ck[b].st, 0);
	}
	if (w->g->conf.health_interval_ms)
		tq_app_timer_arm(h->t, 0);
	else
		tq_app_timer_cancel(h->t);
}
