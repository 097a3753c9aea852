/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-gen's connections, on the worker that owns them: open (from the
 * --src-ports range or an ephemeral port), send a request when it is due
 * (at once in a closed loop, at its intended time with --rate), read the
 * answer whole (an HTTP/1.1 response through tq_http's parser, or the
 * echo of --size bytes), record its latency from the intended time, and
 * count whatever goes wrong by kind.  A slot whose connection ends opens
 * the next one (or, with --cps, hands itself back to the open schedule).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tachyon/tq_tcp.h>

#include "gen.h"

#define RECONNECT_BACKOFF_NS 10000000ull /* after a failed open: 10 ms */
#define DRAIN_MAX_NS 1000000000ull	 /* answers in flight at the end */

static void conn_open(struct gen_conn *c);
static void conn_send(struct gen_conn *c);

static bool
stopping(const struct gen_worker *w)
{
	return __atomic_load_n(&w->g->stopping, __ATOMIC_RELAXED) != 0;
}

/* Warmup counts only in the progress lines; the drain (answers in
 * flight when the time is up) counts in the totals, not in the
 * per-second series. */
void
gen_count_err(struct gen_worker *w, enum gen_err e)
{
	if (w->phase <= GP_MEASURE)
		w->sec.errors[e]++;
	if (w->phase == GP_MEASURE || w->phase == GP_DRAIN) {
		w->tot.errors[e]++;
		tq_app_counter_add(w->s, (unsigned int)w->g->ctr_errors, 1);
	}
}

void
gen_count_bytes(struct gen_worker *w, uint64_t rx, uint64_t tx)
{
	if (w->phase <= GP_MEASURE) {
		w->sec.bytes_rx += rx;
		w->sec.bytes_tx += tx;
	}
	if (w->phase == GP_MEASURE || w->phase == GP_DRAIN) {
		w->tot.bytes_rx += rx;
		w->tot.bytes_tx += tx;
	}
}

static void
record_done(struct gen_conn *c, uint64_t now)
{
	gen_record(c->w, c->intended, now);
}

void
gen_record(struct gen_worker *w, uint64_t intended, uint64_t now)
{
	uint64_t lat = gen_latency(intended, now);

	if (w->phase <= GP_MEASURE) {
		w->sec.requests++;
		gen_hist_record(w->lat_sec, lat);
	}
	if (w->phase == GP_MEASURE || w->phase == GP_DRAIN) {
		w->tot.requests++;
		gen_hist_record(w->lat, lat);
		tq_app_counter_add(w->s, (unsigned int)w->g->ctr_requests, 1);
		tq_app_hist_observe(w->s, (unsigned int)w->g->hist_latency,
				lat);
	}
}

static void
count_conn(struct gen_worker *w)
{
	if (w->phase <= GP_MEASURE)
		w->sec.connections++;
	if (w->phase == GP_MEASURE || w->phase == GP_DRAIN)
		w->tot.connections++;
}

/*
 * --ramp R: the first open of connection i of the run is due at
 * start + i / R (the open-loop schedule's arithmetic), so a hundred
 * thousand connections do not all send their SYN in one poll and
 * overflow the TX ring; 0 without --ramp.
 */
static uint64_t
ramp_delay(const struct gen_conn *c)
{
	const struct gen *g = c->w->g;
	struct gen_sched r;
	uint64_t now = tq_shard_now(c->w->s), due;

	if (!g->ramp_milli)
		return 0;
	gen_sched_init(&r, g->start_ns, g->ramp_milli, 0, 1);
	due = gen_sched_at(&r, c->gidx);
	return due > now ? due - now : 0;
}

/* Once the first connection came up or failed, open the others: the
 * first one resolves the gateway or peer, and opening all at once would
 * overflow the neighbour queue (--neigh-queue, 8 frames) on the way. */
static void
ramp(struct gen_worker *w)
{
	uint32_t i;

	if (w->ramped)
		return;
	w->ramped = true;
	if (w->g->cps_milli) {
		gen_cps_fill(w);
		return;
	}
	for (i = 0; i < w->nconn; i++)
		if (w->conns[i].state == GC_IDLE &&
				!tq_app_timer_pending(w->conns[i].t))
			tq_app_timer_arm(w->conns[i].t,
					ramp_delay(&w->conns[i]));
}

void
gen_worker_idle_check(struct gen_worker *w)
{
	if (w->phase != GP_DRAIN || w->busy)
		return;
	w->phase = GP_DONE;
	tq_app_timer_cancel(w->drain);
	gen_worker_finished(w);
}

static void
slot_reset(struct gen_conn *c)
{
	struct gen_worker *w = c->w;

	if (c->state >= GC_READY)
		w->up--;
	if (c->state != GC_IDLE)
		w->busy--;
	c->st = NULL;
	c->state = GC_IDLE;
	c->len = 0;
	free(c->carry);
	c->carry = NULL;
	tq_app_timer_cancel(c->t);
}

/* What a slot does once its connection is gone. */
static void
slot_next(struct gen_conn *c, uint64_t delay)
{
	struct gen_worker *w = c->w;

	if (stopping(w))
		return;
	if (w->phase >= GP_DRAIN) {
		gen_worker_idle_check(w);
		return;
	}
	ramp(w);
	if (w->g->cps_milli) {
		c->in_use = false;
		w->free_slots[w->nfree++] = (uint32_t)(c - w->conns);
		gen_cps_fill(w);
		return;
	}
	tq_app_timer_arm(c->t, delay);
}

void
gen_slot_done(struct gen_conn *c, uint64_t delay)
{
	slot_reset(c);
	slot_next(c, delay);
}

void
gen_conn_up(struct gen_conn *c)
{
	struct gen_worker *w = c->w;

	w->up++;
	count_conn(w);
	ramp(w);
}

static const struct tq_stream_ops gone_ops = { 0 };

/*
 * End c's connection ourselves.  The stream is detached first: closed()
 * of an active close may come only after FIN_WAIT, and the slot must be
 * free now.  Errors were counted by the caller.
 */
static void
conn_end(struct gen_conn *c, bool abort)
{
	struct tq_stream *st = c->st;

	if (!st)
		return;
	tq_stream_set_ops(st, &gone_ops, NULL);
	slot_reset(c);
	if (abort)
		tq_stream_abort(st, 0);
	else
		tq_stream_close(st);
	slot_next(c, 0);
}

/* The next port of the worker's own for c's group; 0: the engine picks. */
static uint16_t
pick_sport(struct gen_conn *c)
{
	struct gen_ports *p;

	if (!c->w->ports)
		return 0;
	p = &c->w->ports[c->group];
	return p->n ? p->port[p->next++ % p->n] : 0;
}

/*
 * --src-ports: the ports of the range whose replies this worker
 * receives for c's URL and source address, so an open never has to
 * skip another worker's port.  Made once, at the group's first open.
 */
static int
ports_make(struct gen_worker *w, struct gen_conn *c)
{
	const struct gen *g = w->g;
	struct gen_ports *gp = &w->ports[c->group];
	uint32_t range = (uint32_t)(g->sport_hi - g->sport_lo) + 1, p;
	int o;

	gp->made = true;
	gp->port = malloc(range * sizeof(gp->port[0]));
	if (!gp->port)
		return -ENOMEM;
	for (p = 0; p < range; p++) {
		uint16_t sp = (uint16_t)(g->sport_lo + p);

		o = tq_tcp_flow_worker(w->s, c->src, sp, &c->url->addr,
				c->url->port);
		if (o == (int)w->id)
			gp->port[gp->n++] = sp;
	}
	/* Workers start at different places in their lists. */
	gp->next = w->id;
	return 0;
}

/*
 * c's source address: with several of the URL's family, connections
 * take them in turn (by their index among the URL's), so each address
 * adds a port range's worth of flows to a server.
 */
static void
pick_src(const struct gen *g, struct gen_conn *c)
{
	unsigned int i, n = 0, k;

	c->src = NULL;
	c->group = (unsigned int)(c->url - g->url) * (GEN_MAX_SRC + 1);
	for (i = 0; i < g->nsrc; i++)
		if (g->src[i].family == c->url->addr.family)
			n++;
	if (n < 2)
		return;
	k = (unsigned int)((c->gidx / g->nurl) % n);
	for (i = 0; i < g->nsrc; i++)
		if (g->src[i].family == c->url->addr.family && k-- == 0)
			break;
	c->src = &g->src[i];
	c->group += i + 1;
}

static void on_connected(struct tq_stream *st, void *ctx);
static void on_readable(struct tq_stream *st, void *ctx);
static void read_all(struct gen_conn *c, struct tq_stream *st);
static void on_writable(struct tq_stream *st, void *ctx);
static void on_closed(struct tq_stream *st, enum tq_close_reason why,
		void *ctx);

static const struct tq_stream_ops conn_ops = {
	.connected = on_connected,
	.readable = on_readable,
	.writable = on_writable,
	.closed = on_closed,
};

static void
conn_open(struct gen_conn *c)
{
	struct gen_worker *w = c->w;
	const struct gen *g = w->g;
	struct tq_stream *st = NULL;
	uint32_t tries = 1, i;
	int err = 0;

	if (stopping(w) || w->phase >= GP_DRAIN)
		return;
	if (g->mode == GEN_MODE_H3) {
		gen_h3_open(c);
		return;
	}
	if (w->ports) {
		if (!w->ports[c->group].made && ports_make(w, c) < 0)
			return;
		tries = w->ports[c->group].n;
		/* A range too small to hold a port of this worker's. */
		if (!tries) {
			slot_next(c, RECONNECT_BACKOFF_NS);
			return;
		}
	}
	c->state = GC_CONNECTING;
	c->ours = false;
	c->eof = false;
	c->nreq = 0;
	c->len = 0;
	w->busy++;
	tq_http_parser_init(&c->p, TQ_HTTP_RESPONSE, NULL);
	/* With --src-ports, ports still taken (TIME_WAIT that cannot be
	 * reused, a connection of ours) are skipped. */
	for (i = 0; i < tries; i++) {
		st = tq_tcp_connect(w->s, &c->url->addr, c->url->port, c->src,
				pick_sport(c), &conn_ops, c, &err);
		if (st || err != -EADDRINUSE)
			break;
	}
	if (!st) {
		c->state = GC_IDLE;
		w->busy--;
		if (err == -EHOSTUNREACH)
			gen_count_err(w, GEN_E_UNREACHABLE);
		/* Out of ports or connections: try again shortly. */
		slot_next(c, RECONNECT_BACKOFF_NS);
		return;
	}
	c->st = st;
	/* before the handshake: the connection starts with it */
	if (g->cc)
		tq_stream_set_opt(st, TQ_OPT_CC, g->cc);
	tq_app_timer_arm(c->t, g->timeout_ns);
}

/* The next request on c: when it is due, or now. */
static void
next_request(struct gen_conn *c, uint64_t now)
{
	struct gen_worker *w = c->w;
	const struct gen *g = w->g;

	if (stopping(w) || w->phase >= GP_DRAIN) {
		conn_end(c, false);
		return;
	}
	if (g->mode == GEN_MODE_TCP_BULK) {
		c->state = GC_WAIT;
		on_writable(c->st, c);
		return;
	}
	if (g->cps_milli && c->nreq == 0) {
		/* The first request of a scheduled connection is due when
		 * the connection was: its handshake is part of its latency. */
		c->intended = c->conn_intended;
	} else if (g->rate_milli && !g->cps_milli) {
		c->intended = gen_sched_take(&c->sched);
		if (c->intended > now) {
			c->state = GC_READY;
			tq_app_timer_arm(c->t, c->intended - now);
			return;
		}
	} else {
		c->intended = now;
	}
	conn_send(c);
}

static void
conn_write(struct gen_conn *c)
{
	int n;

	if (c->wr_off >= c->wr_len)
		return;
	n = tq_stream_write(c->st, c->wr + c->wr_off, c->wr_len - c->wr_off);
	if (n < 0) {
		gen_count_err(c->w, GEN_E_CLOSED);
		conn_end(c, true);
		return;
	}
	c->wr_off += (uint32_t)n;
	gen_count_bytes(c->w, 0, (uint64_t)n);
}

static void
conn_send(struct gen_conn *c)
{
	const struct gen *g = c->w->g;
	bool last = g->reqs_per_conn && c->nreq + 1 >= g->reqs_per_conn;

	if (g->mode == GEN_MODE_HTTP) {
		c->wr = (const uint8_t *)(last ? c->url->req_close :
				c->url->req);
		c->wr_len = last ? c->url->req_close_len : c->url->req_len;
	} else {
		c->wr = g->payload;
		c->wr_len = g->size;
	}
	c->wr_off = 0;
	c->got = 0;
	c->status = 0;
	/* A response to HEAD has no body whatever its fields say. */
	if (g->mode == GEN_MODE_HTTP)
		tq_http_parser_expect(&c->p, g->meth);
	c->keep = true;
	c->state = GC_WAIT;
	tq_app_timer_arm(c->t, g->timeout_ns);
	conn_write(c);
}

/* The answer to c's request is in.  Returns false when c's connection
 * was ended here. */
static bool
response_done(struct gen_conn *c)
{
	struct gen_worker *w = c->w;
	const struct gen *g = w->g;
	uint64_t now = tq_shard_now(w->s);

	record_done(c, now);
	if (c->status >= 500)
		gen_count_err(w, GEN_E_STATUS_5XX);
	else if (c->status >= 400)
		gen_count_err(w, GEN_E_STATUS_4XX);
	c->nreq++;
	tq_app_timer_cancel(c->t);
	if (!c->keep) {
		/* The server closes: let it go first, so the TIME_WAIT is
		 * its own and not a port of ours. */
		if (c->eof) {
			conn_end(c, false);
			return false;
		}
		c->state = GC_CLOSING;
		tq_app_timer_arm(c->t, g->timeout_ns);
		return true;
	}
	if (g->reqs_per_conn && c->nreq >= g->reqs_per_conn) {
		conn_end(c, false);
		return false;
	}
	next_request(c, now);
	return c->state != GC_IDLE;
}

static bool
process_http(struct gen_conn *c)
{
	struct tq_http_event ev;
	uint32_t off = 0;
	int n;

	for (;;) {
		n = tq_http_parse(&c->p, c->buf + off, c->len - off, &ev);
		if (n < 0)
			goto bad;
		off += (uint32_t)n;
		if (ev.type == TQ_HTTP_EV_NEED_MORE)
			break;
		if (ev.type == TQ_HTTP_EV_HEAD) {
			/* Bytes nobody asked for are not HTTP we can use. */
			if (c->state != GC_WAIT)
				goto bad;
			c->status = c->p.msg.status;
			c->keep = c->p.msg.keep_alive;
			continue;
		}
		if (ev.type == TQ_HTTP_EV_BODY)
			continue;
		if (c->status < 200)	/* interim: the answer follows */
			continue;
		if (!response_done(c))
			return false;
	}
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
	return true;
bad:
	gen_count_err(c->w, GEN_E_PARSE);
	conn_end(c, true);
	return false;
}

static bool
process_echo(struct gen_conn *c)
{
	const struct gen *g = c->w->g;
	uint32_t want = g->size - c->got;

	if (c->state != GC_WAIT || c->len > want ||
			memcmp(c->buf, g->payload + c->got, c->len)) {
		gen_count_err(c->w, GEN_E_PARSE);
		conn_end(c, true);
		return false;
	}
	c->got += c->len;
	c->len = 0;
	if (c->got == g->size && c->wr_off == c->wr_len)
		return response_done(c);
	return true;
}

/* The peer closed its side: an answer read to the close ends here; one
 * still awaited never comes. */
static void
on_eof(struct gen_conn *c)
{
	struct tq_http_event ev;

	if (c->w->g->mode == GEN_MODE_HTTP && c->state == GC_WAIT &&
			tq_http_parse_eof(&c->p, &ev) == 0 &&
			ev.type == TQ_HTTP_EV_DONE && c->status >= 200) {
		c->keep = false;
		if (!response_done(c))
			return;
	}
	if (c->state == GC_WAIT && c->w->g->mode != GEN_MODE_TCP_BULK)
		gen_count_err(c->w, GEN_E_CLOSED);
	conn_end(c, false);
}

/* The bytes a parse left, kept to the next readable; 0 or -ENOMEM. */
static int
stash(struct gen_conn *c)
{
	if (c->len) {
		c->carry = malloc(c->len);
		if (!c->carry)
			return -ENOMEM;
		memcpy(c->carry, c->buf, c->len);
	}
	c->buf = NULL;
	return 0;
}

static void
on_readable(struct tq_stream *st, void *ctx)
{
	struct gen_conn *c = ctx;

	c->buf = c->w->scratch;
	if (c->carry) {
		memcpy(c->buf, c->carry, c->len);
		free(c->carry);
		c->carry = NULL;
	}
	read_all(c, st);
	/* The slot may hold another connection by now (reconnected): its
	 * len was reset, so nothing of the old one is kept. */
	if (stash(c) < 0) {
		c->len = 0;
		if (c->st) {
			gen_count_err(c->w, GEN_E_PARSE);
			conn_end(c, true);
		}
	}
}

static void
read_all(struct gen_conn *c, struct tq_stream *st)
{
	const struct gen *g = c->w->g;
	int n;

	while (c->st == st) {
		n = tq_stream_read(st, c->buf + c->len, GEN_RXBUF - c->len);
		if (n == 0) {
			c->eof = true;
			break;
		}
		if (n < 0)
			return;	/* -EAGAIN; or reset, and closed() follows */
		gen_count_bytes(c->w, (uint64_t)n, 0);
		if (g->mode == GEN_MODE_TCP_BULK) {
			continue;	/* a bulk sink has nothing to say */
		}
		c->len += (uint32_t)n;
		if (g->mode == GEN_MODE_HTTP ? !process_http(c) :
				!process_echo(c))
			return;
		if (c->len == GEN_RXBUF) {
			/* Cannot happen under the parser's max_head. */
			gen_count_err(c->w, GEN_E_PARSE);
			conn_end(c, true);
			return;
		}
	}
	if (c->st == st && c->eof)
		on_eof(c);
}

static void
bulk_fill(struct gen_conn *c)
{
	const struct gen *g = c->w->g;
	int n;

	do {
		n = tq_stream_write(c->st, g->payload, g->size);
		if (n > 0)
			gen_count_bytes(c->w, 0, (uint64_t)n);
	} while (n == (int)g->size);
	if (n < 0) {
		gen_count_err(c->w, GEN_E_CLOSED);
		conn_end(c, true);
	}
}

static void
on_writable(struct tq_stream *st, void *ctx)
{
	struct gen_conn *c = ctx;

	if (c->state != GC_WAIT)
		return;
	if (c->w->g->mode == GEN_MODE_TCP_BULK) {
		bulk_fill(c);
		return;
	}
	conn_write(c);
	/* An echo may be back before its last bytes left: done now. */
	if (c->st == st && c->w->g->mode == GEN_MODE_TCP_ECHO &&
			c->got == c->w->g->size && c->wr_off == c->wr_len)
		response_done(c);
}

static void
on_connected(struct tq_stream *st, void *ctx)
{
	struct gen_conn *c = ctx;
	struct gen_worker *w = c->w;

	tq_app_timer_cancel(c->t);
	c->state = GC_READY;
	w->up++;
	count_conn(w);
	tq_stream_set_opt(st, TQ_OPT_NODELAY, 1);
	ramp(w);
	next_request(c, tq_shard_now(w->s));
}

static void
on_closed(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	struct gen_conn *c = ctx;
	struct gen_worker *w;
	enum gen_conn_state was;
	int e = -1;

	if (!c || c->st != st)
		return;
	w = c->w;
	was = c->state;
	if (!stopping(w)) {
		switch (why) {
		case TQ_CLOSE_TIMEOUT:
			e = was == GC_CONNECTING ? GEN_E_CONNECT_TIMEOUT :
				GEN_E_TIMEOUT;
			break;
		case TQ_CLOSE_REFUSED:
			e = GEN_E_REFUSED;
			break;
		case TQ_CLOSE_UNREACHABLE:
			e = GEN_E_UNREACHABLE;
			break;
		case TQ_CLOSE_RESET:
			e = was == GC_CONNECTING ? GEN_E_REFUSED :
				GEN_E_RESET;
			break;
		case TQ_CLOSE_PROTOCOL:
			e = GEN_E_PARSE;
			break;
		case TQ_CLOSE_NORMAL:
			/* Closed in order with an answer still owed. */
			if (was == GC_WAIT)
				e = GEN_E_CLOSED;
			break;
		case TQ_CLOSE_ABORTED:	/* the engine stopping */
			break;
		}
		if (e >= 0)
			gen_count_err(w, (enum gen_err)e);
	}
	slot_reset(c);
	slot_next(c, was == GC_CONNECTING ? RECONNECT_BACKOFF_NS : 0);
}

static void
conn_timer(struct tq_shard *s, struct tq_app_timer *t, void *arg)
{
	struct gen_conn *c = arg;

	if (stopping(c->w))
		return;
	if (c->w->g->mode == GEN_MODE_H3) {
		gen_h3_timer(c);
		return;
	}
	switch (c->state) {
	case GC_IDLE:
		conn_open(c);
		break;
	case GC_CONNECTING:
		gen_count_err(c->w, GEN_E_CONNECT_TIMEOUT);
		conn_end(c, true);
		break;
	case GC_READY:
		conn_send(c);
		break;
	case GC_WAIT:
		gen_count_err(c->w, GEN_E_TIMEOUT);
		conn_end(c, true);
		break;
	case GC_CLOSING:
		conn_end(c, true);	/* answered; the close never came */
		break;
	}
}

/* --cps: open the connections that are due, while slots are free. */
void
gen_cps_fill(struct gen_worker *w)
{
	uint64_t now = tq_shard_now(w->s), due;
	struct gen_conn *c;

	if (stopping(w) || w->phase >= GP_DRAIN)
		return;
	while (w->nfree && (due = gen_sched_peek(&w->cps)) <= now) {
		if (!w->ramped && w->busy)
			return;	/* ramp() calls again */
		c = &w->conns[w->free_slots[--w->nfree]];
		c->in_use = true;
		c->conn_intended = gen_sched_take(&w->cps);
		conn_open(c);
	}
	/* At the --connections cap, the next open waits for a free slot
	 * (its lateness shows in its latency). */
	if (w->nfree) {
		due = gen_sched_peek(&w->cps);
		tq_app_timer_arm(w->cps_t, due > now ? due - now : 0);
	}
}

static void
cps_timer(struct tq_shard *s, struct tq_app_timer *t, void *arg)
{
	gen_cps_fill(arg);
}

static void
drain_timer(struct tq_shard *s, struct tq_app_timer *t, void *arg)
{
	struct gen_worker *w = arg;
	uint32_t i;

	/* Answers still missing when the drain is over are not errors of
	 * the server: the run ended under them. */
	for (i = 0; i < w->nconn; i++) {
		if (w->conns[i].st)
			conn_end(&w->conns[i], true);
		else if (w->conns[i].h3)
			gen_h3_abort(&w->conns[i]);
	}
	gen_worker_idle_check(w);
}

int
gen_worker_conns_start(struct gen_worker *w)
{
	const struct gen *g = w->g;
	uint64_t first;
	uint32_t i;

	w->nconn = (uint32_t)gen_split(g->connections, g->nworkers, w->id,
			&first);
	w->conns = calloc(w->nconn ? w->nconn : 1, sizeof(*w->conns));
	w->scratch = malloc(GEN_RXBUF);
	if (!w->scratch)
		return -ENOMEM;
	w->free_slots = calloc(w->nconn ? w->nconn : 1,
			sizeof(*w->free_slots));
	w->drain = tq_app_timer_create(w->s, drain_timer, w);
	w->cps_t = tq_app_timer_create(w->s, cps_timer, w);
	if (!w->conns || !w->free_slots || !w->drain || !w->cps_t)
		return -ENOMEM;
	if (g->sport_lo && g->mode != GEN_MODE_UDP) {
		w->ports = calloc(g->nurl * (GEN_MAX_SRC + 1),
				sizeof(*w->ports));
		if (!w->ports)
			return -ENOMEM;
	}
	if (g->mode == GEN_MODE_UDP) {
		w->nconn = 0;
		return gen_udp_start(w);
	}
	for (i = 0; i < w->nconn; i++) {
		struct gen_conn *c = &w->conns[i];

		c->w = w;
		c->gidx = first + i;
		c->url = &g->url[c->gidx % g->nurl];
		pick_src(g, c);
		c->t = tq_app_timer_create(w->s, conn_timer, c);
		if (!c->t)
			return -ENOMEM;
		gen_sched_init(&c->sched, g->start_ns, g->rate_milli ?
				g->rate_milli : 1, c->gidx, g->connections);
		w->free_slots[w->nconn - 1 - i] = i;
	}
	w->nfree = w->nconn;
	if (!w->nconn)
		return 0;
	if (g->cps_milli) {
		/* Worker w of n takes opens w, w + n, ... of the run's. */
		gen_sched_init(&w->cps, g->start_ns, g->cps_milli, w->id,
				g->nworkers);
		gen_cps_fill(w);
	} else {
		uint64_t now = tq_shard_now(w->s);

		tq_app_timer_arm(w->conns[0].t,
				g->start_ns > now ? g->start_ns - now : 0);
	}
	return 0;
}

/* The time is up: no new requests; answers in flight may still come. */
void
gen_worker_conns_end(struct gen_worker *w)
{
	uint64_t drain = w->g->timeout_ns < DRAIN_MAX_NS ?
		w->g->timeout_ns : DRAIN_MAX_NS;
	uint32_t i;

	w->phase = GP_DRAIN;
	tq_app_timer_cancel(w->cps_t);
	for (i = 0; i < w->nconn; i++) {
		struct gen_conn *c = &w->conns[i];

		if (w->g->mode == GEN_MODE_H3) {
			gen_h3_end(c);
			continue;
		}
		switch (c->state) {
		case GC_IDLE:
			tq_app_timer_cancel(c->t);
			break;
		case GC_CONNECTING:
			conn_end(c, true);
			break;
		case GC_READY:
			conn_end(c, false);
			break;
		case GC_WAIT:
			if (w->g->mode == GEN_MODE_TCP_BULK)
				conn_end(c, false);
			break;
		case GC_CLOSING:
			break;
		}
	}
	tq_app_timer_arm(w->drain, drain);
	/* Datagrams have no connection to wait on: echoes may come until
	 * the drain is over. */
	if (w->g->mode != GEN_MODE_UDP)
		gen_worker_idle_check(w);
}

/* After the last poll: the engine has closed the streams. */
void
gen_worker_conns_free(struct gen_worker *w)
{
	uint32_t i;

	for (i = 0; w->conns && i < w->nconn; i++) {
		tq_app_timer_free(w->conns[i].t);
		tq_app_timer_free(w->conns[i].t2);
		free(w->conns[i].carry);
		free(w->conns[i].sess);
		free(w->conns[i].tok);
	}
	free(w->conns);
	free(w->scratch);
	w->scratch = NULL;
	free(w->free_slots);
	for (i = 0; w->ports && i < w->g->nurl * (GEN_MAX_SRC + 1); i++)
		free(w->ports[i].port);
	free(w->ports);
	w->ports = NULL;
	gen_udp_free(w);
	tq_app_timer_free(w->drain);
	tq_app_timer_free(w->cps_t);
	w->conns = NULL;
	w->free_slots = NULL;
}
