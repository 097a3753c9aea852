/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTTP/3 front (docs/tq-proxy.md, HTTP/3 front): QUIC connections
 * the engine accepts on --quic PORT get an HTTP/3 server session
 * (tq_h3_server_new()); each request stream is routed as HTTP mode's
 * requests are, to a backend leg of the same worker (a kept one from
 * bpool.c, or a new one), as an HTTP/1.1 request (h3msg.c); the answer
 * is parsed and streamed back as HTTP/3, bounded both ways: the request
 * stream is paused while the backend does not take its body, and the
 * backend is not read while the stream's send buffer is full.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_telemetry.h>

#include <tachyon/tq_h3.h>
#include <tachyon/tq_quic.h>

#include "balance.h"
#include "h3front.h"
#include "h3msg.h"
#include "proxy.h"

#define NS_PER_MS 1000000ull
/* A backend's answer head must fit whole in the input buffer. */
#define HIN 16384
/* The request head, then body bytes on their way to the backend: the
 * stream is paused past UP_PAUSE, and what was read before the pause
 * took hold (one read of the session, 64 KiB at most, with chunk
 * framing) still fits under UP_MAX. */
#define UP_HEAD 20480
#define UP_PAUSE 16384
#define UP_MAX (UP_HEAD + UP_PAUSE + 65536 + 16384)
#define MAX_RESP_FIELDS 128

/* App counters of the front (tq-ctl stats, /metrics). */
enum {
	QC_CONNS,
	QC_REQUESTS,
	QC_1XX,
	QC_2XX,
	QC_3XX,
	QC_4XX,
	QC_5XX,
	QC_LOCAL,
	QC_RESETS,
	QC_MAX,
};

static const struct {
	const char *name, *help;
} qc_names[QC_MAX] = {
	[QC_CONNS] = { "ProxyQuicConns",
		"HTTP/3 front: QUIC connections accepted" },
	[QC_REQUESTS] = { "ProxyQuicRequests",
		"HTTP/3 front: requests (streams) received" },
	[QC_1XX] = { "ProxyQuic1xx", "HTTP/3 front: 1xx answers sent" },
	[QC_2XX] = { "ProxyQuic2xx", "HTTP/3 front: 2xx answers sent" },
	[QC_3XX] = { "ProxyQuic3xx", "HTTP/3 front: 3xx answers sent" },
	[QC_4XX] = { "ProxyQuic4xx", "HTTP/3 front: 4xx answers sent" },
	[QC_5XX] = { "ProxyQuic5xx", "HTTP/3 front: 5xx answers sent" },
	[QC_LOCAL] = { "ProxyQuicLocalAnswers",
		"HTTP/3 front: answers made by the proxy (400, 431, 501, 502, "
		"503, 504)" },
	[QC_RESETS] = { "ProxyQuicAborted",
		"HTTP/3 front: exchanges ended by a stream reset or an H3 "
		"error, their backend leg closed" },
};

/* Per worker, written only there. */
struct qstat {
	uint64_t active, total;		/* connections */
	uint64_t bytes_up, bytes_down;
	uint64_t requests, resp[5], errors, aborted;
} __rte_cache_aligned;

static struct {
	struct proxy *p;
	struct qstat *st;		/* nb_workers */
	int ctr[QC_MAX];
} front;

/* One QUIC connection: who the client is, for the heads. */
struct qconn {
	struct pworker *w;
	struct tq_addr caddr;
	bool cv6;
	char cstr[TQ_ADDR_STRLEN];
	char lhost[TQ_ADDR_STRLEN + 8];
};

/*
 * One exchange: a request stream and its backend leg.  It holds the
 * generation that was the worker's newest when its head came (routes,
 * pools, backends, timeouts, limits), so a QUIC connection follows a
 * reload at its next request stream.
 */
struct qx {
	struct qconn *qc;
	struct pworker *w;
	struct pgen *g;
	struct tq_h3_req *r;		/* NULL once closed() */
	struct tq_stream *bst;		/* the backend leg */
	struct tq_app_timer *t;		/* connect or backend timeout */
	uint64_t tried;
	uint64_t last_be;
	uint64_t body;			/* request body bytes received */
	int be, last_pick;		/* slots (pgen.slot[]), -1 */
	int last_idx;			/* ... last_pick's backend in g */
	unsigned int attempts;
	unsigned int depth;		/* callbacks of ours on the stack */
	uint8_t pool;
	enum tq_http_method meth;
	bool be_up;
	bool timed_out;
	bool reused, no_reuse;
	bool got_be;			/* a byte of the answer came */
	bool head_final;		/* the request head is whole in ub */
	bool chunked;			/* the body goes chunked */
	bool req_end;			/* the client's message is whole */
	bool replay;			/* no body: ub has the head only */
	bool paused;
	bool interim;			/* a 1xx answer is being parsed */
	bool poll;			/* parse again, even with no input */
	bool running, rerun;		/* run() under way; once more */
	bool reading;			/* in data() or end() */
	struct tq_app_timer *rt;	/* resumes a paused stream */
	bool resp_started;		/* the answer's head went out */
	bool resp_done;
	bool local;			/* answered by the proxy */
	bool has_body;			/* a method whose body is said */
	/* up: ub[uoff, ulen) still to write to the backend */
	char *ub;
	uint32_t ucap, uoff, ulen;
	/* down: in[0, ilen) read, [pos, ilen) not yet parsed, a body span
	 * [ps, ps + pl) parsed but not yet taken by the session */
	struct tq_http_parser dp;
	uint32_t ilen, pos, ps, pl;
	char in[HIN];
};

static const struct tq_http_limits rlim = {
	.max_head = HIN,
	.max_body = UINT64_MAX,
};

static const struct tq_stream_ops qbackend_ops;
static const struct tq_stream_ops qgone_ops;

static void connect_next(struct qx *x);
static void run(struct qx *x);
static void unpause(struct qx *x);

static struct qstat *
qst(const struct qx *x)
{
	return &front.st[tq_shard_id(x->w->s)];
}

static void
qctr(struct pworker *w, unsigned int c, uint64_t n)
{
	tq_app_counter_add(w->s, (unsigned int)front.ctr[c], n);
}

static void
qx_free(struct qx *x)
{
	tq_app_timer_free(x->t);
	tq_app_timer_free(x->rt);
	free(x->ub);
	gen_release(x->w, x->g);
	free(x);
}

static void
enter(struct qx *x)
{
	x->depth++;
}

static void
leave(struct qx *x)
{
	if (--x->depth == 0 && !x->r && !x->bst)
		qx_free(x);
}

static void
arm(struct qx *x, uint32_t ms)
{
	if (ms)
		tq_app_timer_arm(x->t, ms * NS_PER_MS);
	else
		tq_app_timer_cancel(x->t);
}

static void
set_bufs(struct tq_stream *st)
{
	tq_stream_set_opt(st, TQ_OPT_SNDBUF, 65536);
	tq_stream_set_opt(st, TQ_OPT_SNDBUF_MBUFS, 128);
	tq_stream_set_opt(st, TQ_OPT_RCVBUF, 65536);
	tq_stream_set_opt(st, TQ_OPT_NODELAY, 1);
}

/* The backend leg is done with; abort: reset, never kept. */
static void
drop_backend(struct qx *x, bool abort)
{
	struct pworker *w = x->w;
	struct tq_stream *st = x->bst;

	if (x->be >= 0) {
		w->active[x->be]--;
		w->be[x->be].active--;
		x->be = -1;
	}
	if (!st)
		return;
	x->bst = NULL;
	x->be_up = false;
	x->ilen = x->pos = x->ps = x->pl = 0;
	x->poll = false;
	tq_stream_set_ops(st, &qgone_ops, NULL);
	if (abort)
		tq_stream_abort(st, 0);
	else
		tq_stream_close(st);
}

static void
park_backend(struct qx *x)
{
	struct pworker *w = x->w;
	struct tq_stream *st = x->bst;
	int b = x->be;

	w->active[b]--;
	w->be[b].active--;
	x->be = -1;
	x->bst = NULL;
	x->be_up = false;
	if (bpool_put(w, (unsigned int)b, st)) {
		pctr(w, PC_HTTP_BACKEND_PARKED, 1);
		return;
	}
	tq_stream_set_ops(st, &qgone_ops, NULL);
	tq_stream_close(st);
}

static void
count_status(struct qx *x, unsigned int status, bool local)
{
	struct pworker *w = x->w;
	unsigned int c = status / 100;

	if (c < 1 || c > 5)
		return;
	qst(x)->resp[c - 1]++;
	qctr(w, QC_1XX + c - 1, 1);
	pctr(w, (enum proxy_ctr)(PC_HTTP_1XX + c - 1), 1);
	if (local) {
		qst(x)->errors++;
		qctr(w, QC_LOCAL, 1);
		pctr(w, PC_HTTP_LOCAL, 1);
	} else if (x->be >= 0) {
		w->be[x->be].resp[c - 1]++;
	}
}

/* The proxy's own answer, when nothing of the backend's went out. */
static void
answer(struct qx *x, unsigned int status)
{
	static const char type[] = "text/plain";
	static const struct tq_http_field f[] = {
		{ { "content-type", 12 }, { type, sizeof(type) - 1 } },
	};
	static const struct {
		unsigned int status;
		const char *body;
	} bodies[] = {
		{ 400, "400 Bad Request\n" },
		{ 413, "413 Content Too Large\n" },
		{ 431, "431 Request Header Fields Too Large\n" },
		{ 500, "500 Internal Server Error\n" },
		{ 501, "501 Not Implemented\n" },
		{ 502, "502 Bad Gateway\n" },
		{ 503, "503 Service Unavailable\n" },
		{ 504, "504 Gateway Timeout\n" },
	};
	const char *body = bodies[2].body;
	size_t i, len;

	drop_backend(x, true);
	tq_app_timer_cancel(x->t);
	for (i = 0; i < RTE_DIM(bodies); i++)
		if (bodies[i].status == status)
			body = bodies[i].body;
	len = x->meth == TQ_HTTP_M_HEAD ? 0 : strlen(body);
	x->local = true;
	x->resp_started = x->resp_done = true;
	count_status(x, status, true);
	/* The rest of the request is read and dropped. */
	unpause(x);
	if (x->r && tq_h3_respond(x->r, (uint16_t)status, f, RTE_DIM(f),
			len ? body : NULL, len, 0) < 0 && x->r)
		tq_h3_req_cancel(x->r, TQ_H3_INTERNAL_ERROR);
}

/* The client's stream is given up (the answer broke off half way). */
static void
cancel(struct qx *x)
{
	drop_backend(x, true);
	tq_app_timer_cancel(x->t);
	x->resp_done = true;
	if (x->r)
		tq_h3_req_cancel(x->r, TQ_H3_INTERNAL_ERROR);
}

/* Room in ub for n more bytes (compacting, then growing to UP_MAX). */
static bool
up_room(struct qx *x, uint32_t n)
{
	uint32_t cap;
	char *nb;

	if (x->ulen + n <= x->ucap)
		return true;
	if (x->uoff && !x->replay) {
		memmove(x->ub, x->ub + x->uoff, x->ulen - x->uoff);
		x->ulen -= x->uoff;
		x->uoff = 0;
		if (x->ulen + n <= x->ucap)
			return true;
	}
	if (x->ulen + n > UP_MAX)
		return false;
	cap = x->ucap * 2 > x->ulen + n ? x->ucap * 2 : x->ulen + n;
	if (cap > UP_MAX)
		cap = UP_MAX;
	nb = realloc(x->ub, cap);
	if (!nb)
		return false;
	x->ub = nb;
	x->ucap = cap;
	return true;
}

/* The head's end, once the body's form is known. */
static bool
finish_head(struct qx *x, int64_t clen, bool chunked)
{
	int n;

	if (!up_room(x, 64))
		return false;
	n = h3msg_request_end(clen, chunked, x->ub + x->ulen, 64);
	if (n < 0)
		return false;
	x->ulen += (uint32_t)n;
	x->head_final = true;
	x->chunked = chunked;
	return true;
}

/*
 * A kept leg the backend had closed meanwhile (its FIN or RST before
 * any byte of the answer): a body-less request goes again on a new leg.
 */
static bool
stale_retry(struct qx *x)
{
	int b = x->last_idx;

	if (!x->reused || x->got_be || !x->replay || x->resp_started ||
			b < 0 || x->last_pick < 0)
		return false;
	pctr(x->w, PC_HTTP_BACKEND_STALE, 1);
	drop_backend(x, true);
	x->reused = false;
	x->no_reuse = true;
	x->tried &= ~(1ull << b);
	x->attempts--;
	x->uoff = 0;
	connect_next(x);
	return true;
}

static void
backend_fail(struct qx *x)
{
	if (stale_retry(x))
		return;
	if (x->last_pick >= 0 && !(x->reused && !x->got_be))
		health_passive(x->w, (unsigned int)x->last_pick, false);
	if (x->resp_started)
		cancel(x);
	else
		answer(x, 502);
}

/* Request bytes to the backend; false when the leg failed. */
static bool
flush_up(struct qx *x)
{
	int n;

	if (!x->bst || !x->be_up || !x->head_final || x->uoff == x->ulen)
		return true;
	n = tq_stream_write(x->bst, x->ub + x->uoff, x->ulen - x->uoff);
	if (n < 0) {
		backend_fail(x);
		return false;
	}
	if (n > 0) {
		x->uoff += (uint32_t)n;
		/* A backend taking the request is not silent. */
		x->last_be = tq_shard_now(x->w->s);
	}
	if (x->uoff == x->ulen && !x->replay)
		x->uoff = x->ulen = 0;
	return true;
}

static void
response_head(struct qx *x)
{
	const struct tq_http_msg *m = &x->dp.msg;
	struct tq_http_field f[MAX_RESP_FIELDS];
	char names[HIN];
	int n;

	if (m->status < 200) {
		/* An interim answer stays here: the final one follows (101
		 * cannot be: no Upgrade went to the backend). */
		if (m->status == 101) {
			answer(x, 502);
			return;
		}
		x->interim = true;
		return;
	}
	n = h3msg_response_fields(m, f, RTE_DIM(f), names, sizeof(names));
	if (n < 0) {
		answer(x, 502);
		return;
	}
	count_status(x, m->status, false);
	/* Passive health counts answers, not opens. */
	health_passive(x->w, (unsigned int)x->be, m->status < 500);
	x->resp_started = true;
	if (tq_h3_respond(x->r, m->status, f, (uint32_t)n, NULL, 0,
			TQ_H3_BODY_STREAM) < 0 && x->r)
		cancel(x);
}

/* The backend's answer ended: the leg is kept or closed. */
static void
response_done(struct qx *x, bool eof)
{
	bool keep = x->dp.msg.keep_alive && !eof && x->req_end &&
		x->head_final && x->uoff == x->ulen && x->pos == x->ilen &&
		x->pl == 0;

	x->resp_done = true;
	tq_app_timer_cancel(x->t);
	if (keep)
		park_backend(x);
	else
		drop_backend(x, false);
	/* The session may end the exchange right here (closed()). */
	if (x->r && tq_h3_body_end(x->r) < 0 && x->r)
		tq_h3_req_cancel(x->r, TQ_H3_INTERNAL_ERROR);
}

/* Parse and pass on what the backend sent, as the stream takes it. */
static void
backend_in(struct qx *x)
{
	struct tq_http_event ev;
	int n;

	for (;;) {
		if (!x->r || !x->bst || !x->be_up || x->resp_done)
			return;
		if (x->pl) {
			struct tq_stream *st = x->bst;

			n = tq_h3_body_write(x->r, x->in + x->ps, x->pl);
			/* The session may have called us back within (the
			 * exchange closed, its backend dropped). */
			if (!x->r || x->bst != st || x->resp_done)
				return;
			if (n < 0) {
				if (x->r)
					cancel(x);
				return;
			}
			if (n > 0) {
				qst(x)->bytes_down += (uint32_t)n;
				x->w->be[x->last_pick].bytes_down +=
					(uint32_t)n;
				pctr(x->w, PC_BYTES_DOWN, (uint32_t)n);
				x->last_be = tq_shard_now(x->w->s);
			}
			x->ps += (uint32_t)n;
			x->pl -= (uint32_t)n;
			if (x->pl)
				return;	/* writable() comes */
			continue;
		}
		/* After a head or body bytes the parser is asked again even
		 * with no byte left: a message may end with none more. */
		if (x->pos < x->ilen || x->poll) {
			x->poll = false;
			n = tq_http_parse(&x->dp, x->in + x->pos,
					x->ilen - x->pos, &ev);
			if (n < 0) {
				backend_fail(x);
				return;
			}
			x->pos += (uint32_t)n;
			if (ev.type == TQ_HTTP_EV_HEAD) {
				x->poll = true;
				response_head(x);
				continue;
			}
			if (ev.type == TQ_HTTP_EV_BODY) {
				x->poll = true;
				x->ps = (uint32_t)(ev.data - x->in);
				x->pl = ev.len;
				continue;
			}
			if (ev.type == TQ_HTTP_EV_DONE) {
				if (x->interim) {
					x->interim = false;
					x->poll = true;
					tq_http_parser_expect(&x->dp, x->meth);
					continue;
				}
				response_done(x, false);
				return;
			}
			/* NEED_MORE: read on */
		}
		if (x->pos) {
			memmove(x->in, x->in + x->pos, x->ilen - x->pos);
			x->ilen -= x->pos;
			x->pos = 0;
		}
		if (x->ilen == HIN) {
			/* An answer head longer than the buffer. */
			backend_fail(x);
			return;
		}
		n = tq_stream_read(x->bst, x->in + x->ilen, HIN - x->ilen);
		if (n == 0) {
			/* The backend closed: the end of an answer read to
			 * the close, or a failure. */
			if (x->resp_started && x->pos == x->ilen &&
					tq_http_parse_eof(&x->dp, &ev) == 0 &&
					ev.type == TQ_HTTP_EV_DONE)
				response_done(x, true);
			else
				backend_fail(x);
			return;
		}
		if (n < 0)
			return;	/* readable() comes */
		x->ilen += (uint32_t)n;
		x->got_be = true;
		x->last_be = tq_shard_now(x->w->s);
	}
}

static void
resume_timer(struct tq_shard *s, struct tq_app_timer *t, void *arg)
{
	struct qx *x = arg;

	(void)s;
	(void)t;
	enter(x);
	run(x);
	if (x->local || x->resp_done)
		unpause(x);	/* the rest is read and dropped */
	leave(x);
}

static void
unpause(struct qx *x)
{
	if (!x->paused || !x->r)
		return;
	if (x->reading) {
		/* Not from within the session's read of this stream: a
		 * moment later, from a timer. */
		if (!x->rt)
			x->rt = tq_app_timer_create(x->w->s, resume_timer, x);
		if (x->rt)
			tq_app_timer_arm(x->rt, 1);
		return;
	}
	x->paused = false;
	tq_h3_req_pause(x->r, false);
}

static void
maybe_resume(struct qx *x)
{
	if (x->ulen - x->uoff < UP_PAUSE / 2)
		unpause(x);
}

/*
 * Move what can move.  A session call made here (a body write, a
 * resume) may call us back (writable(), data()): that run is left to
 * this one, which goes round again.
 */
static void
run(struct qx *x)
{
	if (x->running) {
		x->rerun = true;
		return;
	}
	x->running = true;
	do {
		x->rerun = false;
		if (!x->r || x->resp_done || !flush_up(x))
			break;
		backend_in(x);
		if (!x->resp_done)
			maybe_resume(x);
	} while (x->rerun);
	x->running = false;
}

static void
connect_next(struct qx *x)
{
	struct pworker *w = x->w;
	struct proxy *p = w->p;
	const struct pgen *g = x->g;
	uint32_t act[PROXY_MAX_BACKENDS];
	struct balance_in in = {
		.mode = g->conf.balance,
		.n = g->conf.nb_backends,
		.pool = g->pool_mask[x->pool],
		.active = act,
	};
	struct tq_stream *st;
	unsigned int b, slot;
	int pick, err;

	in.key = balance_addr_key(&x->qc->caddr);
	while (x->r) {
		if (x->attempts > g->conf.retries) {
			pctr(w, PC_NO_BACKEND, 1);
			answer(x, 502);
			return;
		}
		in.tried = x->tried;
		in.up = 0;
		for (b = 0; b < in.n; b++) {
			/* The load is kept per slot, across generations. */
			act[b] = w->active[g->slot[b]];
			if (backend_up(p, g->slot[b]))
				in.up |= 1ull << b;
		}
		pick = balance_pick(&in, &w->rr[x->pool]);
		if (pick < 0) {
			pctr(w, PC_NO_BACKEND, 1);
			answer(x, 502);
			return;
		}
		b = (unsigned int)pick;
		x->tried |= 1ull << b;
		if (x->attempts++)
			pctr(w, PC_RETRIES, 1);
		x->timed_out = false;
		slot = g->slot[b];
		x->be = (int)slot;
		x->last_pick = (int)slot;
		x->last_idx = pick;
		w->active[slot]++;
		w->be[slot].active++;
		tq_http_parser_init(&x->dp, TQ_HTTP_RESPONSE, &rlim);
		tq_http_parser_expect(&x->dp, x->meth);
		st = x->no_reuse ? NULL : bpool_take(w, slot);
		if (st) {
			x->bst = st;
			x->be_up = true;
			x->reused = true;
			tq_stream_set_ops(st, &qbackend_ops, x);
			w->be[slot].requests++;
			pctr(w, PC_HTTP_BACKEND_REUSED, 1);
			x->last_be = tq_shard_now(w->s);
			arm(x, g->conf.backend_timeout_ms);
			return;
		}
		x->reused = false;
		st = tq_tcp_connect(w->s, &g->conf.be[b].addr,
				g->conf.be[b].port, NULL, 0, &qbackend_ops, x,
				&err);
		if (st) {
			x->bst = st;
			x->be_up = false;
			set_bufs(st);
			arm(x, g->conf.connect_timeout_ms);
			return;
		}
		drop_backend(x, false);
		w->be[slot].connect_fails++;
		pctr(w, PC_CONNECT_FAILS, 1);
		health_passive(w, slot, false);
	}
}

static void
x_timer(struct tq_shard *s, struct tq_app_timer *t, void *arg)
{
	struct qx *x = arg;
	uint64_t now = tq_shard_now(s), lim, quiet;

	(void)t;
	enter(x);
	if (x->bst && !x->be_up) {
		x->timed_out = true;
		pctr(x->w, PC_CONNECT_TIMEOUTS, 1);
		/* Its closed() counts the failure and tries the next. */
		tq_stream_abort(x->bst, 0);
	} else if (x->r && x->bst && !x->resp_done) {
		lim = (uint64_t)x->g->conf.backend_timeout_ms * NS_PER_MS;
		quiet = now - x->last_be;
		if (x->pl || !x->head_final ||
				(!x->req_end && x->uoff == x->ulen)) {
			/* Waiting on the client (its reads or the rest of
			 * its request), not on the backend: QUIC's idle
			 * timeout watches the client. */
			x->last_be = now;
			if (lim)
				tq_app_timer_arm(x->t, lim);
		} else if (lim && quiet >= lim) {
			pctr(x->w, PC_HTTP_BACKEND_TIMEOUTS, 1);
			if (x->be >= 0)
				health_passive(x->w, (unsigned int)x->be,
						false);
			if (x->resp_started)
				cancel(x);
			else
				answer(x, 504);
		} else if (lim) {
			tq_app_timer_arm(x->t, lim - quiet);
		}
	}
	leave(x);
}

static void
b_io(struct tq_stream *st, void *ctx)
{
	struct qx *x = ctx;

	(void)st;
	enter(x);
	run(x);
	leave(x);
}

static void
b_connected(struct tq_stream *st, void *ctx)
{
	struct qx *x = ctx;
	struct pworker *w = x->w;

	(void)st;
	enter(x);
	x->be_up = true;
	w->be[x->be].total++;
	w->be[x->be].requests++;
	pctr(w, PC_BACKEND_CONNECTS, 1);
	x->last_be = tq_shard_now(w->s);
	arm(x, x->g->conf.backend_timeout_ms);
	run(x);
	leave(x);
}

static void
b_closed(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	struct qx *x = ctx;
	struct pworker *w = x->w;
	int b = x->be;
	bool was_up = x->be_up;

	(void)st;
	enter(x);
	x->bst = NULL;
	x->be_up = false;
	drop_backend(x, false);
	if (!x->r || x->resp_done) {
		/* nothing to tell */
	} else if (!was_up && b >= 0 && (x->timed_out ||
			why == TQ_CLOSE_REFUSED || why == TQ_CLOSE_TIMEOUT ||
			why == TQ_CLOSE_UNREACHABLE ||
			why == TQ_CLOSE_RESET)) {
		w->be[b].connect_fails++;
		pctr(w, PC_CONNECT_FAILS, 1);
		health_passive(w, (unsigned int)b, false);
		/* Nothing was sent to it: another may serve. */
		connect_next(x);
		run(x);
	} else {
		backend_fail(x);
		run(x);
	}
	leave(x);
}

static const struct tq_stream_ops qbackend_ops = {
	.connected = b_connected,
	.readable = b_io,
	.writable = b_io,
	.closed = b_closed,
};

/* ---- the session's side ---- */

static void
h_headers(struct tq_h3_req *r, const struct tq_h3_msg *m, void *arg)
{
	struct qconn *qc = arg;
	struct pworker *w = qc->w;
	struct proxy *p = w->p;
	const struct pgen *g = w->g;
	struct hmsg_req hr = {
		.client = qc->cstr,
		.client_v6 = qc->cv6,
		.host = qc->lhost,
	};
	struct tq_http_span host = m->authority;
	struct qx *x;
	unsigned int b;
	uint64_t up = 0;
	uint32_t i;
	int n;

	x = calloc(1, sizeof(*x));
	if (x) {
		x->ub = malloc(UP_HEAD);
		x->t = tq_app_timer_create(w->s, x_timer, x);
	}
	if (!x || !x->ub || !x->t) {
		if (x) {
			tq_app_timer_free(x->t);
			free(x->ub);
			free(x);
		}
		tq_h3_req_cancel(r, TQ_H3_INTERNAL_ERROR);
		return;
	}
	x->qc = qc;
	x->w = w;
	x->g = w->g;
	gen_hold(w, x->g);
	x->r = r;
	x->be = x->last_pick = x->last_idx = -1;
	x->ucap = UP_HEAD;
	tq_h3_req_set_udata(r, x);
	qst(x)->requests++;
	qctr(w, QC_REQUESTS, 1);
	pctr(w, PC_HTTP_REQUESTS, 1);
	if (m->method.len == 4 && !memcmp(m->method.p, "HEAD", 4))
		x->meth = TQ_HTTP_M_HEAD;
	else
		x->meth = TQ_HTTP_M_GET;
	x->has_body = (m->method.len == 4 &&
			!memcmp(m->method.p, "POST", 4)) ||
		(m->method.len == 3 && !memcmp(m->method.p, "PUT", 3)) ||
		(m->method.len == 5 && !memcmp(m->method.p, "PATCH", 5));
	enter(x);
	if (m->method.len == 7 && !memcmp(m->method.p, "CONNECT", 7)) {
		answer(x, 501);
		goto out;
	}
	if (!host.len)
		for (i = 0; i < m->nfields; i++)
			if (m->fields[i].name.len == 4 &&
					!memcmp(m->fields[i].name.p, "host", 4))
				host = m->fields[i].value;
	x->pool = (uint8_t)proxy_route_pick(&g->conf, host.p, host.len,
			m->path.p, m->path.len, g->conf.quic_pool);
	for (b = 0; b < g->conf.nb_backends; b++)
		if (backend_up(p, g->slot[b]))
			up |= 1ull << b;
	if (!(g->pool_mask[x->pool] & up)) {
		/* No backend, or none healthy: nobody to ask. */
		pctr(w, PC_NO_BACKEND, 1);
		answer(x, 503);
		goto out;
	}
	n = h3msg_request(&m->method, &m->path, &m->authority, m->fields,
			m->nfields, &hr, x->ub, x->ucap);
	if (n == -EINVAL) {
		answer(x, 400);
		goto out;
	}
	if (n < 0) {
		answer(x, 431);
		goto out;
	}
	x->ulen = (uint32_t)n;
	if (m->content_length >= 0 &&
			(uint64_t)m->content_length > g->conf.max_body) {
		answer(x, 413);
		goto out;
	}
	/* A known length goes now; otherwise the body's form waits for its
	 * first byte or the end of the request. */
	if (m->content_length >= 0) {
		if (!finish_head(x, m->content_length, false)) {
			answer(x, 431);
			goto out;
		}
		x->replay = m->content_length == 0;
	}
	connect_next(x);
	run(x);
out:
	leave(x);
}

static void
h_data(struct tq_h3_req *r, const uint8_t *data, size_t len, void *arg)
{
	struct qx *x = tq_h3_req_udata(r);
	char line[24];
	int hl = 0;

	(void)arg;
	if (!x || x->local || x->resp_done)
		return;	/* dropped: nobody will read it */
	enter(x);
	x->reading = true;
	if (!x->head_final && !finish_head(x, -1, true)) {
		cancel(x);
		goto out;
	}
	if (x->chunked && len) {
		hl = tq_http_write_chunk(line, sizeof(line), len);
		if (hl < 0) {
			cancel(x);
			goto out;
		}
	}
	if (!up_room(x, (uint32_t)(hl + len + 2))) {
		/* More than a paused stream can bring: not ours to hold. */
		cancel(x);
		goto out;
	}
	memcpy(x->ub + x->ulen, line, (size_t)hl);
	x->ulen += (uint32_t)hl;
	memcpy(x->ub + x->ulen, data, len);
	x->ulen += (uint32_t)len;
	if (x->chunked) {
		memcpy(x->ub + x->ulen, "\r\n", 2);
		x->ulen += 2;
	}
	x->body += len;
	if (x->body > x->g->conf.max_body) {
		/* --max-body: what went on already cannot be taken back. */
		if (x->resp_started)
			cancel(x);
		else
			answer(x, 413);
		goto out;
	}
	qst(x)->bytes_up += len;
	if (x->last_pick >= 0)
		x->w->be[x->last_pick].bytes_up += len;
	pctr(x->w, PC_BYTES_UP, len);
	if (!x->paused && x->ulen - x->uoff >= UP_PAUSE) {
		x->paused = true;
		tq_h3_req_pause(r, true);
	}
	run(x);
out:
	x->reading = false;
	leave(x);
}

static void
h_end(struct tq_h3_req *r, void *arg)
{
	struct qx *x = tq_h3_req_udata(r);

	(void)arg;
	if (!x || x->local || x->resp_done)
		return;
	enter(x);
	x->reading = true;
	x->req_end = true;
	if (!x->head_final) {
		/* No byte of body came: none (a POST gets its zero length
		 * said, as some servers want it said). */
		if (!finish_head(x, x->has_body ? 0 : -1, false)) {
			cancel(x);
			goto out;
		}
		x->replay = true;
	} else if (x->chunked) {
		if (!up_room(x, 5)) {
			cancel(x);
			goto out;
		}
		memcpy(x->ub + x->ulen, "0\r\n\r\n", 5);
		x->ulen += 5;
	}
	run(x);
out:
	x->reading = false;
	leave(x);
}

static void
h_writable(struct tq_h3_req *r, void *arg)
{
	struct qx *x = tq_h3_req_udata(r);

	(void)arg;
	if (!x)
		return;
	enter(x);
	run(x);
	leave(x);
}

static void
h_closed(struct tq_h3_req *r, uint64_t code, void *arg)
{
	struct qx *x = tq_h3_req_udata(r);

	(void)arg;
	if (!x)
		return;
	x->r = NULL;
	if (!x->resp_done) {
		/* A client's reset (or the session's end) before the
		 * answer was all out: the backend's request is abandoned,
		 * its leg reset, never kept. */
		qst(x)->aborted++;
		qctr(x->w, QC_RESETS, 1);
		drop_backend(x, true);
	}
	tq_app_timer_cancel(x->t);
	if (x->rt)
		tq_app_timer_cancel(x->rt);
	if (x->depth == 0 && !x->bst)
		qx_free(x);
}

static void
h_conn_closed(struct tq_h3_conn *h, uint64_t code, void *arg)
{
	struct qconn *qc = arg;

	(void)h;
	(void)code;
	front.st[tq_shard_id(qc->w->s)].active--;
	free(qc);
}

static const struct tq_h3_ops h_ops = {
	.headers = h_headers,
	.data = h_data,
	.end = h_end,
	.writable = h_writable,
	.closed = h_closed,
	.conn_closed = h_conn_closed,
};

static void
q_accept(struct tq_shard *s, struct tq_conn *c, void *arg)
{
	struct pworker *w = tq_shard_app_ctx(s);
	struct tq_h3_conf hc = {
		.body_buf = 65536,
	};
	struct tq_conn_info info;
	struct qconn *qc;
	char a[TQ_ADDR_STRLEN];
	int err = 0;

	(void)arg;
	qctr(w, QC_CONNS, 1);
	qc = calloc(1, sizeof(*qc));
	if (!qc) {
		tq_conn_close(c, TQ_H3_INTERNAL_ERROR);
		return;
	}
	qc->w = w;
	tq_conn_info(c, &info);
	qc->caddr = info.raddr;
	tq_addr_format(&info.raddr, qc->cstr, sizeof(qc->cstr));
	qc->cv6 = info.raddr.family == AF_INET6;
	tq_addr_format(&info.laddr, a, sizeof(a));
	snprintf(qc->lhost, sizeof(qc->lhost),
		info.laddr.family == AF_INET6 ? "[%s]:%u" : "%s:%u",
		a, info.lport);
	if (!tq_h3_server_new(c, &h_ops, qc, &hc, &err)) {
		free(qc);
		tq_conn_close(c, TQ_H3_INTERNAL_ERROR);
		return;
	}
	front.st[tq_shard_id(s)].active++;
	front.st[tq_shard_id(s)].total++;
}

/* ---- stats ---- */

static void
sum(struct qstat *t)
{
	struct proxy *p = front.p;
	unsigned int i, k;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < p->nb_workers; i++) {
		const struct qstat *x = &front.st[i];

		t->active += __atomic_load_n(&x->active, __ATOMIC_RELAXED);
		t->total += __atomic_load_n(&x->total, __ATOMIC_RELAXED);
		t->bytes_up += __atomic_load_n(&x->bytes_up,
				__ATOMIC_RELAXED);
		t->bytes_down += __atomic_load_n(&x->bytes_down,
				__ATOMIC_RELAXED);
		t->requests += __atomic_load_n(&x->requests,
				__ATOMIC_RELAXED);
		t->errors += __atomic_load_n(&x->errors, __ATOMIC_RELAXED);
		t->aborted += __atomic_load_n(&x->aborted, __ATOMIC_RELAXED);
		for (k = 0; k < 5; k++)
			t->resp[k] += __atomic_load_n(&x->resp[k],
					__ATOMIC_RELAXED);
	}
}

void
h3front_tel_listener(struct rte_tel_data *d)
{
	static const char *const cls[5] = {
		"resp_1xx", "resp_2xx", "resp_3xx", "resp_4xx", "resp_5xx",
	};
	struct proxy *p = front.p;
	struct rte_tel_data *c;
	struct qstat t;
	unsigned int k;

	if (!p || !front.st || !(c = rte_tel_data_alloc()))
		return;
	sum(&t);
	rte_tel_data_start_dict(c);
	rte_tel_data_add_dict_string(c, "proto", "quic");
	rte_tel_data_add_dict_u64(c, "port", p->conf.quic_port);
	/* The caller holds p->lock: p->cur is the running config. */
	rte_tel_data_add_dict_string(c, "pool",
			p->cur->conf.pool[p->cur->conf.quic_pool]);
	rte_tel_data_add_dict_u64(c, "active", t.active);
	rte_tel_data_add_dict_u64(c, "total", t.total);
	rte_tel_data_add_dict_u64(c, "bytes_up", t.bytes_up);
	rte_tel_data_add_dict_u64(c, "bytes_down", t.bytes_down);
	rte_tel_data_add_dict_u64(c, "requests", t.requests);
	for (k = 0; k < 5; k++)
		rte_tel_data_add_dict_u64(c, cls[k], t.resp[k]);
	rte_tel_data_add_dict_u64(c, "errors", t.errors);
	rte_tel_data_add_dict_u64(c, "aborted", t.aborted);
	rte_tel_data_add_dict_container(d, "quic0", c, 0);
}

/* The front on the --metrics page, labelled with its UDP port. */
static void
prom_quic(struct tq_metrics_page *pg, void *arg)
{
	static const char *const cls[5] = { "1xx", "2xx", "3xx", "4xx", "5xx" };
	struct proxy *p = arg;
	char lab[64], l2[96];
	struct qstat t;
	unsigned int k;

	sum(&t);
	snprintf(lab, sizeof(lab), "port=\"%u\",proto=\"quic\"",
			p->conf.quic_port);
	tq_metrics_family(pg, "tachyon_proxy_listener_connections", "gauge",
		"client connections of the listener now");
	tq_metrics_sample(pg, "tachyon_proxy_listener_connections", lab,
		(double)t.active);
	tq_metrics_family(pg, "tachyon_proxy_listener_requests_total",
		"counter", "requests the listener received");
	tq_metrics_sample(pg, "tachyon_proxy_listener_requests_total", lab,
		(double)t.requests);
	tq_metrics_family(pg, "tachyon_proxy_listener_responses_total",
		"counter", "answers the listener sent, by status class");
	for (k = 0; k < 5; k++) {
		snprintf(l2, sizeof(l2), "%s,class=\"%s\"", lab, cls[k]);
		tq_metrics_sample(pg, "tachyon_proxy_listener_responses_total",
			l2, (double)t.resp[k]);
	}
	tq_metrics_family(pg, "tachyon_proxy_listener_errors_total",
		"counter", "answers the proxy made itself (502, 503, 504...) "
		"and exchanges aborted");
	tq_metrics_sample(pg, "tachyon_proxy_listener_errors_total", lab,
		(double)(t.errors + t.aborted));
}

int
h3front_register(struct proxy *p)
{
	unsigned int i;
	int id;

	if (!p->conf.quic_port)
		return 0;
	front.p = p;
	front.st = calloc(p->nb_workers ? p->nb_workers : 1,
			sizeof(*front.st));
	if (!front.st)
		return -ENOMEM;
	for (i = 0; i < QC_MAX; i++) {
		id = tq_app_counter_register(p->e, qc_names[i].name,
				qc_names[i].help);
		if (id < 0)
			return id;
		front.ctr[i] = id;
	}
	return tq_engine_on_metrics(p->e, prom_quic, p);
}

int
h3front_listen(struct proxy *p)
{
	if (!p->conf.quic_port)
		return 0;
	return tq_quic_listen(p->e, NULL, p->conf.quic_port, "h3", q_accept,
			p);
}

void
h3front_free(void)
{
	free(front.st);
	front.st = NULL;
	front.p = NULL;
}
