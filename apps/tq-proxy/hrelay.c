/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP mode (docs/tq-proxy.md, HTTP mode): one client connection, its
 * requests parsed one at a time with the HTTP/1.1 module, each routed to
 * a pool and sent to a backend over a leg opened from this worker; the
 * answer parsed and sent back; heads rewritten; Content-Length bodies
 * spliced, chunked ones streamed through two bounded buffers per
 * direction; backend legs kept for reuse (bpool.c); the proxy's own
 * answers (400, 413, 431, 501, 502, 503, 504) when it must.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balance.h"
#include "hmsg.h"
#include "proxy.h"

#define NS_PER_MS 1000000ull
/* A head must fit whole in the input buffer; the rewritten one in the
 * output buffer, with what the proxy adds. */
#define HIN 16384
#define HOUT (HIN + 2048)

/* Answers: any length (a backend serves what it has). */
static const struct tq_http_limits rlim = {
	.max_head = HIN,
	.max_body = UINT64_MAX,
};

struct hside {
	struct tq_http_parser p;
	uint32_t ilen;		/* received, not yet parsed */
	uint32_t ooff, olen;	/* out[ooff, olen): not yet written */
	char in[HIN];
	char out[HOUT];
};

enum rq_state { RQ_HEAD, RQ_BODY, RQ_DONE };
enum rs_state { RS_NONE, RS_HEAD, RS_BODY, RS_DONE };

struct hconn {
	struct pworker *w;
	struct pgen *g;		/* its generation: the newest at its
				 * accept or at its last request */
	struct tq_stream *cl;		/* the client leg */
	struct tq_stream *bst;		/* the backend leg of this request */
	struct tq_app_timer *t;		/* connect, backend or idle timeout */
	uint64_t tried;			/* backends tried for this request */
	uint64_t last_cl;		/* tq_shard_now() of the last client byte */
	uint64_t last_be;		/* ... of the last move to or from the
					 * backend, or answer byte written */
	int be;				/* the backend leg's slot, -1 */
	int last_pick;			/* the slot of the last leg */
	int last_idx;			/* ... its backend in g */
	unsigned int lslot;		/* its listener's slot */
	unsigned int attempts;
	unsigned int depth;		/* callbacks of ours on the stack */
	uint8_t pool;
	uint8_t cminor;			/* the request's HTTP/1.minor */
	enum tq_http_method meth;
	enum rq_state rq;
	enum rs_state rs;
	bool be_up;			/* the backend leg is established */
	bool timed_out;			/* we gave up the backend open */
	bool keep;			/* the client stays after this answer */
	bool dechunk;			/* chunked answer to an HTTP/1.0 client */
	bool rechunk;			/* answer to the close, chunked to 1.1 */
	bool interim;			/* a 1xx answer is being parsed */
	bool resp_started;		/* a head of this answer went out */
	bool cl_eof;
	bool draining;			/* we said all: read and drop */
	bool reused;			/* the backend leg came from the pool */
	bool no_reuse;			/* this request: a new leg only */
	bool got_be;			/* a byte of the backend's answer came */
	bool be_keep;			/* the leg may be kept after the answer */
	uint32_t replay_len;		/* a body-less request's head, to send
					 * again when a kept leg was stale */
	uint64_t up_left;		/* Content-Length body bytes still to */
	uint64_t down_left;		/* pass, by our count (parser skipped) */
	struct tq_addr caddr;
	char cstr[TQ_ADDR_STRLEN];	/* the client's address */
	bool cv6;
	char lhost[TQ_ADDR_STRLEN + 8];	/* Host when a request has none */
	struct hside up;		/* client -> backend */
	struct hside down;		/* backend -> client */
};

static const struct tq_stream_ops hclient_ops;
static const struct tq_stream_ops hbackend_ops;
static const struct tq_stream_ops gone_ops;

static void run(struct hconn *hc);
static void connect_next(struct hconn *hc);

static void
hconn_free(struct hconn *hc)
{
	struct pworker *w = hc->w;

	tq_app_timer_free(hc->t);
	w->l[hc->lslot].active--;
	w->nconns--;
	gen_release(w, hc->g);
	free(hc);
}

static void
enter(struct hconn *hc)
{
	hc->depth++;
}

static void
leave(struct hconn *hc)
{
	if (--hc->depth == 0 && !hc->cl && !hc->bst)
		hconn_free(hc);
}

/*
 * The stream queues get what --max-conn-buf leaves beside the two
 * buffers of each direction here, a quarter each (docs: memory bound).
 */
static void
set_bufs(struct hconn *hc, struct tq_stream *st)
{
	uint32_t mb = hc->g->conf.max_conn_buf;
	uint32_t own = 2 * (HIN + HOUT);
	uint32_t q = mb > own ? (mb - own) / 4 : 0;

	if (q < 4096)
		q = 4096;
	tq_stream_set_opt(st, TQ_OPT_SNDBUF, q);
	tq_stream_set_opt(st, TQ_OPT_SNDBUF_MBUFS, q / 512 < 2 ? 2 : q / 512);
	tq_stream_set_opt(st, TQ_OPT_RCVBUF, q);
	tq_stream_set_opt(st, TQ_OPT_NODELAY, 1);
}

static void
arm(struct hconn *hc, uint32_t ms)
{
	if (ms)
		tq_app_timer_arm(hc->t, ms * NS_PER_MS);
	else
		tq_app_timer_cancel(hc->t);
}

/* The backend leg is done with: nothing of it calls us any more. */
static void
drop_backend(struct hconn *hc, bool abort)
{
	struct pworker *w = hc->w;
	struct tq_stream *st = hc->bst;

	if (hc->be >= 0) {
		w->active[hc->be]--;
		w->be[hc->be].active--;
		hc->be = -1;
	}
	if (!st)
		return;
	hc->bst = NULL;
	hc->be_up = false;
	/* What it sent past its answer is nobody's. */
	hc->down.ilen = 0;
	tq_stream_set_ops(st, &gone_ops, NULL);
	if (abort)
		tq_stream_abort(st, 0);
	else
		tq_stream_close(st);
}

/* The client leg is done with; the hconn goes when the outermost
 * callback returns. */
static void
drop_client(struct hconn *hc, bool abort)
{
	struct tq_stream *st = hc->cl;

	drop_backend(hc, abort);
	if (!st)
		return;
	hc->cl = NULL;
	tq_stream_set_ops(st, &gone_ops, NULL);
	if (abort)
		tq_stream_abort(st, 0);
	else
		tq_stream_close(st);
}

/* The answer is complete and the leg fit for another request: into
 * the worker's pool, or closed when the pool is full. */
static void
park_backend(struct hconn *hc)
{
	struct pworker *w = hc->w;
	struct tq_stream *st = hc->bst;
	int b = hc->be;

	w->active[b]--;
	w->be[b].active--;
	hc->be = -1;
	hc->bst = NULL;
	hc->be_up = false;
	if (bpool_put(w, (unsigned int)b, st)) {
		pctr(w, PC_HTTP_BACKEND_PARKED, 1);
		return;
	}
	tq_stream_set_ops(st, &gone_ops, NULL);
	tq_stream_close(st);
}

static void
abort_client(struct hconn *hc)
{
	drop_client(hc, true);
}

static void
count_status(struct hconn *hc, unsigned int status, bool local)
{
	struct pworker *w = hc->w;
	unsigned int c = status / 100;

	if (c < 1 || c > 5)
		return;
	w->l[hc->lslot].resp[c - 1]++;
	pctr(w, (enum proxy_ctr)(PC_HTTP_1XX + c - 1), 1);
	if (local) {
		w->l[hc->lslot].errors++;
		pctr(w, PC_HTTP_LOCAL, 1);
	} else if (hc->be >= 0) {
		w->be[hc->be].resp[c - 1]++;
	}
}

/*
 * The proxy answers this request itself: nothing of the backend's
 * answer went out yet (so down.out is empty), and the client is let go
 * after it, since the rest of its request is not read.
 */
static void
answer(struct hconn *hc, unsigned int status)
{
	struct hside *d = &hc->down;
	int n;

	drop_backend(hc, true);
	count_status(hc, status, true);
	n = hmsg_error(status, true, hc->meth == TQ_HTTP_M_HEAD, d->out,
			sizeof(d->out));
	if (n < 0) {
		abort_client(hc);
		return;
	}
	d->ooff = 0;
	d->olen = (uint32_t)n;
	hc->keep = false;
	hc->rq = RQ_DONE;
	hc->rs = RS_DONE;
	hc->resp_started = true;
	hc->up_left = hc->down_left = 0;
}

/* Write what is pending of s->out to st. */
static int
flush(struct tq_stream *st, struct hside *s)
{
	int n;

	if (s->olen == s->ooff)
		return 0;
	n = tq_stream_write(st, s->out + s->ooff, s->olen - s->ooff);
	if (n <= 0)
		return n;
	s->ooff += (uint32_t)n;
	if (s->ooff == s->olen)
		s->ooff = s->olen = 0;
	return n;
}

static void
append(struct hside *s, const char *p, uint32_t n)
{
	/* The callers give at most the room there is. */
	memcpy(s->out + s->olen, p, n);
	s->olen += n;
}

static void
count_up(struct hconn *hc, uint32_t n)
{
	struct pworker *w = hc->w;

	w->l[hc->lslot].bytes_up += n;
	if (hc->last_pick >= 0)
		w->be[hc->last_pick].bytes_up += n;
	pctr(w, PC_BYTES_UP, n);
}

static void
count_down(struct hconn *hc, uint32_t n)
{
	struct pworker *w = hc->w;

	w->l[hc->lslot].bytes_down += n;
	if (hc->last_pick >= 0)
		w->be[hc->last_pick].bytes_down += n;
	pctr(w, PC_BYTES_DOWN, n);
}

/*
 * A Content-Length body goes from stream to stream without a copy
 * (tq_stream_splice()) once nothing of it waits in our buffers.  Its
 * last byte is left to the copying path: a splice that reads its source
 * to the end carries the FIN across, and a FIN after the body must not
 * end a connection that is kept.
 */
static bool
can_splice_up(const struct hconn *hc)
{
	return hc->rq == RQ_BODY && hc->up_left > 1 && hc->up.ilen == 0 &&
		hc->up.olen == 0 && hc->bst && hc->be_up &&
		!tq_stream_eof(hc->cl);
}

static bool
can_splice_down(const struct hconn *hc)
{
	return hc->rs == RS_BODY && hc->down_left > 1 && hc->down.ilen == 0 &&
		hc->down.olen == 0 && hc->cl && !hc->draining &&
		!tq_stream_eof(hc->bst);
}

/* One chunk of a re-chunked answer (room kept by the caller). */
static void
put_chunk(struct hside *d, const char *p, uint32_t n)
{
	int h = tq_http_write_chunk(d->out + d->olen, HOUT - d->olen, n);

	if (h > 0)
		d->olen += (uint32_t)h;
	append(d, p, n);
	append(d, "\r\n", 2);
}

static void
request_head(struct hconn *hc)
{
	struct proxy *p = hc->w->p;
	struct tq_http_msg *m = &hc->up.p.msg;
	struct tq_http_span host = { .p = "", .len = 0 };
	struct hmsg_req r = {
		.client = hc->cstr,
		.client_v6 = hc->cv6,
		.host = hc->lhost,
	};
	unsigned int b;
	uint64_t up = 0;
	int n;

	/* A kept connection takes a newer generation between requests,
	 * unless its listener is gone from it. */
	if (hc->g != hc->w->g && hc->be < 0 && !hc->bst &&
			hc->w->g->lidx[hc->lslot] >= 0) {
		gen_release(hc->w, hc->g);
		hc->g = hc->w->g;
		gen_hold(hc->w, hc->g);
		/* Its slot may be free once the old generation is. */
		hc->last_pick = -1;
	}
	pctr(hc->w, PC_HTTP_REQUESTS, 1);
	hc->w->l[hc->lslot].requests++;
	hc->cminor = m->minor;
	hc->meth = m->meth;
	hc->keep = m->keep_alive;
	hc->rq = RQ_BODY;
	hc->rs = RS_HEAD;
	hc->resp_started = false;
	hc->interim = false;
	hc->up_left = hc->down_left = 0;
	hc->dechunk = hc->rechunk = false;
	hc->tried = 0;
	hc->attempts = 0;
	if (m->meth == TQ_HTTP_M_CONNECT) {
		answer(hc, 501);
		return;
	}
	tq_http_field_get(m, "host", &host);
	hc->pool = (uint8_t)proxy_route_pick(&hc->g->conf, host.p, host.len,
			m->target.p, m->target.len, hc->g->conf.listen_pool[
			hc->g->lidx[hc->lslot]]);
	for (b = 0; b < hc->g->conf.nb_backends; b++)
		if (backend_up(p, hc->g->slot[b]))
			up |= 1ull << b;
	if (!(hc->g->pool_mask[hc->pool] & up)) {
		/* No backend, or none healthy: nobody to ask. */
		pctr(hc->w, PC_NO_BACKEND, 1);
		answer(hc, 503);
		return;
	}
	n = hmsg_request(m, &r, hc->up.out, sizeof(hc->up.out));
	if (n < 0) {
		answer(hc, 431);
		return;
	}
	hc->up.ooff = 0;
	hc->up.olen = (uint32_t)n;
	/* Nothing but the head: it stays in up.out (nothing is appended
	 * after it), to be sent again if a kept leg turns out closed. */
	hc->replay_len = m->body == TQ_HTTP_BODY_NONE ||
		(m->body == TQ_HTTP_BODY_LENGTH && m->content_length == 0) ?
		(uint32_t)n : 0;
	hc->got_be = false;
	hc->no_reuse = false;
	/* A Content-Length body is counted here, not parsed, so that it
	 * may be spliced (splice_up()). */
	if (m->body == TQ_HTTP_BODY_LENGTH)
		hc->up_left = m->content_length;
	tq_http_parser_expect(&hc->down.p, hc->meth);
	connect_next(hc);
}

/* Read from the client and parse what the state lets through. */
static bool
client_in(struct hconn *hc)
{
	struct hside *s = &hc->up;
	struct tq_http_event ev;
	uint32_t off = 0, len, room;
	bool progress = false;
	char junk[2048];
	int n;

	if (hc->draining) {
		while ((n = tq_stream_read(hc->cl, junk, sizeof(junk))) > 0)
			progress = true;
		if (n == 0) {
			drop_client(hc, false);
			return false;
		}
		return progress;
	}
	if (s->ilen < HIN && !hc->cl_eof && !can_splice_up(hc)) {
		n = tq_stream_read(hc->cl, s->in + s->ilen, HIN - s->ilen);
		if (n > 0) {
			s->ilen += (uint32_t)n;
			hc->last_cl = tq_shard_now(hc->w->s);
			progress = true;
		} else if (n == 0) {
			hc->cl_eof = true;
			progress = true;
		}
	}
	while (hc->cl && hc->rq != RQ_DONE) {
		/* A body may end with no byte more (DONE with 0 taken). */
		if (hc->rq == RQ_HEAD && (hc->rs != RS_NONE || s->olen ||
				off == s->ilen))
			break;
		room = HOUT - s->olen;
		if (room == 0)
			break;
		len = s->ilen - off;
		if (len > room)
			len = room;
		if (hc->rq == RQ_BODY && hc->up_left) {
			/* What came with the head, and the last byte. */
			if (len > hc->up_left)
				len = (uint32_t)hc->up_left;
			if (len == 0)
				break;
			append(s, s->in + off, len);
			count_up(hc, len);
			off += len;
			hc->up_left -= len;
			progress = true;
			if (hc->up_left == 0) {
				/* Its parser skipped the body. */
				tq_http_parser_init(&s->p, TQ_HTTP_REQUEST,
						&hc->g->qlim);
				hc->rq = RQ_DONE;
			}
			continue;
		}
		n = tq_http_parse(&s->p, s->in + off, len, &ev);
		if (n < 0) {
			if (hc->rq == RQ_HEAD) {
				answer(hc, (unsigned int)
					tq_http_error_status(s->p.error));
			} else {
				/* Half a body sent on: nothing to save. */
				abort_client(hc);
			}
			return true;
		}
		if (hc->rq == RQ_BODY) {
			/* Body and its chunk framing go on as they came. */
			append(s, s->in + off, (uint32_t)n);
			count_up(hc, (uint32_t)n);
		}
		off += (uint32_t)n;
		if (n)
			progress = true;
		if (ev.type == TQ_HTTP_EV_HEAD) {
			request_head(hc);
			progress = true;
		} else if (ev.type == TQ_HTTP_EV_DONE) {
			if (hc->rq == RQ_BODY)
				hc->rq = RQ_DONE;
			progress = true;
		} else if (ev.type == TQ_HTTP_EV_NEED_MORE) {
			break;
		}
	}
	if (off) {
		memmove(s->in, s->in + off, s->ilen - off);
		s->ilen -= off;
	}
	if (hc->cl && hc->cl_eof && hc->rq != RQ_DONE) {
		if (hc->rq == RQ_HEAD && s->ilen == 0 && hc->rs == RS_NONE) {
			/* Between requests: the client is done. */
			drop_client(hc, false);
		} else if (hc->rq == RQ_BODY ||
				(hc->rq == RQ_HEAD && s->ilen &&
				 hc->rs == RS_NONE)) {
			/* It ended inside a request. */
			if (hc->rq == RQ_BODY)
				abort_client(hc);
			else
				answer(hc, 400);
		}
	}
	/* A client that half-closed after its requests still gets every
	 * answer; it is let go once none is left (above). */
	return progress;
}

/* The backend's answer ended: the backend leg is released. */
static void
response_done(struct hconn *hc)
{
	hc->rs = RS_DONE;
	/* Kept only when both messages ended in order on it. */
	hc->be_keep = hc->down.p.msg.keep_alive && hc->rq == RQ_DONE &&
		hc->up.olen == 0;
	if (hc->rq != RQ_DONE) {
		/* Answered before the whole request came: the rest of it
		 * is not read, so the client goes after this answer. */
		hc->keep = false;
		hc->rq = RQ_DONE;
	}
}

static void
response_head(struct hconn *hc)
{
	struct tq_http_msg *m = &hc->down.p.msg;
	struct hside *d = &hc->down;
	int n;

	if (m->status < 200) {
		/* 1xx: on to a 1.1 client, and the answer is still to come
		 * (101 cannot be: Upgrade was not sent on). */
		hc->interim = true;
		if (m->status == 101) {
			answer(hc, 502);
			return;
		}
		if (hc->cminor == 0)
			return;
		n = hmsg_response(m, 1, false, true, d->out + d->olen,
				HOUT - d->olen);
		if (n < 0) {
			answer(hc, 502);
			return;
		}
		d->olen += (uint32_t)n;
		return;
	}
	hc->dechunk = m->body == TQ_HTTP_BODY_CHUNKED && hc->cminor == 0;
	/* An answer ended by the backend's close goes chunked to a 1.1
	 * client, which then keeps its connection. */
	hc->rechunk = m->body == TQ_HTTP_BODY_TO_CLOSE && hc->cminor == 1 &&
		hc->keep;
	if ((m->body == TQ_HTTP_BODY_TO_CLOSE && !hc->rechunk) ||
			hc->dechunk)
		hc->keep = false;
	n = hmsg_response(m, hc->cminor, hc->dechunk, hc->keep,
			d->out + d->olen, HOUT - d->olen);
	if (n < 0) {
		answer(hc, 502);
		return;
	}
	d->olen += (uint32_t)n;
	hc->resp_started = true;
	hc->rs = RS_BODY;
	if (m->body == TQ_HTTP_BODY_LENGTH)
		hc->down_left = m->content_length;
	count_status(hc, m->status, false);
	/* Passive health counts answers, not opens (a backend that opens
	 * and answers 5xx is not well). */
	health_passive(hc->w, (unsigned int)hc->be, m->status < 500);
}

/*
 * A kept leg the backend had closed meanwhile (it answers our request
 * with its FIN or RST and no byte): a body-less request goes again on a
 * new leg, as RFC 9112 9.3.1 allows for a retry before any answer.
 */
static bool
stale_retry(struct hconn *hc)
{
	int b = hc->last_idx;

	if (!hc->reused || hc->got_be || !hc->replay_len ||
			hc->resp_started || hc->rq != RQ_DONE ||
			hc->last_pick < 0)
		return false;
	pctr(hc->w, PC_HTTP_BACKEND_STALE, 1);
	drop_backend(hc, true);
	hc->reused = false;
	hc->no_reuse = true;
	hc->tried &= ~(1ull << b);
	hc->attempts--;
	hc->up.ooff = 0;
	hc->up.olen = hc->replay_len;
	connect_next(hc);
	return true;
}

static void
backend_fail(struct hconn *hc)
{
	if (stale_retry(hc))
		return;
	/* A kept leg found closed says nothing of the backend. */
	if (hc->last_pick >= 0 && !(hc->reused && !hc->got_be))
		health_passive(hc->w, (unsigned int)hc->last_pick, false);
	if (hc->resp_started)
		abort_client(hc);
	else
		answer(hc, 502);
}

/* Read from the backend and parse its answer. */
static bool
backend_in(struct hconn *hc)
{
	struct hside *d = &hc->down;
	struct tq_http_event ev;
	uint32_t off = 0, len, room;
	bool progress = false, eof = false;
	int n;

	if (!hc->bst || !hc->be_up)
		return false;
	if (d->ilen < HIN && !can_splice_down(hc)) {
		n = tq_stream_read(hc->bst, d->in + d->ilen, HIN - d->ilen);
		if (n > 0) {
			d->ilen += (uint32_t)n;
			hc->last_be = tq_shard_now(hc->w->s);
			hc->got_be = true;
			progress = true;
		} else if (n == 0) {
			eof = true;
		}
	}
	while (hc->bst && (hc->rs == RS_HEAD || hc->rs == RS_BODY)) {
		if (hc->rs == RS_HEAD && !hc->interim &&
				(d->olen || off == d->ilen))
			break;
		room = HOUT - d->olen;
		if (room == 0)
			break;
		len = d->ilen - off;
		if (hc->rechunk && hc->rs == RS_BODY) {
			/* Room for a chunk line, its CRLF and the last
			 * chunk at the close. */
			if (room <= 32)
				break;
			room -= 32;
		}
		if (len > room)
			len = room;
		if (hc->rs == RS_BODY && hc->down_left) {
			if (len > hc->down_left)
				len = (uint32_t)hc->down_left;
			if (len == 0)
				break;
			append(d, d->in + off, len);
			count_down(hc, len);
			off += len;
			hc->down_left -= len;
			progress = true;
			if (hc->down_left == 0) {
				/* (response_done() reads its head first.) */
				response_done(hc);
				tq_http_parser_init(&d->p, TQ_HTTP_RESPONSE,
						&rlim);
			}
			continue;
		}
		n = tq_http_parse(&d->p, d->in + off, len, &ev);
		if (n < 0) {
			backend_fail(hc);
			return true;
		}
		if (hc->rs == RS_BODY && !hc->dechunk && !hc->rechunk && n)
			append(d, d->in + off, (uint32_t)n);
		if (hc->rs == RS_BODY && n)
			count_down(hc, (uint32_t)n);
		off += (uint32_t)n;
		if (n)
			progress = true;
		if (ev.type == TQ_HTTP_EV_HEAD) {
			response_head(hc);
			progress = true;
		} else if (ev.type == TQ_HTTP_EV_BODY) {
			if (hc->rechunk && ev.len)
				put_chunk(d, ev.data, ev.len);
			else if (hc->dechunk)
				append(d, ev.data, ev.len);
		} else if (ev.type == TQ_HTTP_EV_DONE) {
			progress = true;
			if (hc->interim) {
				hc->interim = false;
				tq_http_parser_expect(&d->p, hc->meth);
				continue;
			}
			response_done(hc);
		} else {
			break;
		}
	}
	/* (An own answer may have dropped the leg and what it sent.) */
	if (off && d->ilen >= off) {
		memmove(d->in, d->in + off, d->ilen - off);
		d->ilen -= off;
	}
	if (hc->rs == RS_DONE && hc->bst) {
		/* Nothing may follow an answer before the next request. */
		if (hc->be_keep && !eof && d->ilen == 0)
			park_backend(hc);
		else
			drop_backend(hc, false);
		return true;
	}
	if (eof && hc->bst && d->ilen == 0) {
		progress = true;
		if (hc->rs == RS_HEAD || hc->rs == RS_BODY) {
			if (tq_http_parse_eof(&d->p, &ev) == 0 &&
					ev.type == TQ_HTTP_EV_DONE &&
					hc->rs == RS_BODY) {
				if (hc->rechunk)
					append(d, "0\r\n\r\n", 5);
				response_done(hc);
				/* Its parser saw the end of the input: a new
				 * one for the next leg. */
				tq_http_parser_init(&d->p, TQ_HTTP_RESPONSE,
						&rlim);
				drop_backend(hc, false);
			} else {
				backend_fail(hc);
			}
		} else {
			/* Closed between answers: nothing lost. */
			drop_backend(hc, false);
		}
	}
	return progress;
}

/* The previous answer is out: on to the next request, or let go. */
static void
next_request(struct hconn *hc)
{
	if (!hc->keep) {
		/* FIN after the answer; what the client still sends is
		 * read and dropped, so no RST overtakes the answer. */
		tq_stream_shutdown(hc->cl);
		hc->draining = true;
		hc->rs = RS_NONE;
		arm(hc, hc->g->conf.idle_timeout_ms);
		return;
	}
	hc->rq = RQ_HEAD;
	hc->rs = RS_NONE;
	hc->resp_started = false;
	arm(hc, hc->g->conf.idle_timeout_ms);
}

static void
run(struct hconn *hc)
{
	bool progress = true;
	int n;

	while (progress && hc->cl) {
		progress = false;
		n = flush(hc->cl, &hc->down);
		if (n < 0) {
			abort_client(hc);
			return;
		}
		if (n > 0) {
			hc->last_be = tq_shard_now(hc->w->s);
			progress = true;
		}
		if (hc->bst && hc->be_up) {
			n = flush(hc->bst, &hc->up);
			if (n < 0) {
				backend_fail(hc);
				progress = true;
				continue;
			}
			if (n > 0) {
				/* A backend taking the request is not
				 * silent: the backend timeout restarts. */
				hc->last_be = tq_shard_now(hc->w->s);
				progress = true;
			}
		}
		if (!hc->cl)
			return;
		if (can_splice_up(hc)) {
			n = tq_stream_splice(hc->cl, hc->bst,
					(uint32_t)(hc->up_left - 1 > UINT32_MAX ?
					UINT32_MAX : hc->up_left - 1));
			if (n > 0) {
				hc->up_left -= (uint32_t)n;
				count_up(hc, (uint32_t)n);
				hc->last_cl = hc->last_be =
					tq_shard_now(hc->w->s);
				progress = true;
			} else if (n < 0 && n != -ENOTCONN) {
				backend_fail(hc);
				continue;
			}
		}
		if (hc->bst && hc->be_up && can_splice_down(hc)) {
			n = tq_stream_splice(hc->bst, hc->cl,
					(uint32_t)(hc->down_left - 1 > UINT32_MAX ?
					UINT32_MAX : hc->down_left - 1));
			if (n > 0) {
				hc->down_left -= (uint32_t)n;
				count_down(hc, (uint32_t)n);
				hc->last_be = tq_shard_now(hc->w->s);
				hc->got_be = true;
				progress = true;
			} else if (n < 0 && n != -ENOTCONN) {
				abort_client(hc);
				return;
			}
		}
		progress |= client_in(hc);
		if (!hc->cl)
			return;
		progress |= backend_in(hc);
		if (!hc->cl)
			return;
		if (hc->rs == RS_DONE && hc->down.olen == 0 && !hc->draining) {
			next_request(hc);
			progress = true;
		}
	}
}

static void
connect_next(struct hconn *hc)
{
	struct pworker *w = hc->w;
	struct proxy *p = w->p;
	const struct pgen *g = hc->g;
	uint32_t act[PROXY_MAX_BACKENDS];
	struct balance_in in = {
		.mode = g->conf.balance,
		.n = g->conf.nb_backends,
		.pool = g->pool_mask[hc->pool],
		.active = act,
	};
	struct tq_stream *st;
	unsigned int b, slot;
	int pick, err;

	in.key = balance_addr_key(&hc->caddr);
	while (hc->cl) {
		if (hc->attempts > hc->g->conf.retries) {
			answer(hc, 502);
			return;
		}
		in.tried = hc->tried;
		in.up = 0;
		for (b = 0; b < in.n; b++) {
			/* The load is kept per slot, across generations. */
			act[b] = w->active[g->slot[b]];
			if (backend_up(p, g->slot[b]))
				in.up |= 1ull << b;
		}
		pick = balance_pick(&in, &w->rr[hc->pool]);
		if (pick < 0) {
			answer(hc, 502);
			return;
		}
		b = (unsigned int)pick;
		hc->tried |= 1ull << b;
		if (hc->attempts++)
			pctr(w, PC_RETRIES, 1);
		hc->timed_out = false;
		slot = g->slot[b];
		hc->be = (int)slot;
		hc->last_pick = (int)slot;
		hc->last_idx = pick;
		w->active[slot]++;
		w->be[slot].active++;
		st = hc->no_reuse ? NULL : bpool_take(w, slot);
		if (st) {
			hc->bst = st;
			hc->be_up = true;
			hc->reused = true;
			tq_stream_set_ops(st, &hbackend_ops, hc);
			w->be[slot].requests++;
			pctr(w, PC_HTTP_BACKEND_REUSED, 1);
			hc->last_be = tq_shard_now(w->s);
			arm(hc, hc->g->conf.backend_timeout_ms);
			return;
		}
		hc->reused = false;
		st = tq_tcp_connect(w->s, &hc->g->conf.be[b].addr,
				hc->g->conf.be[b].port, NULL, 0, &hbackend_ops,
				hc,
				&err);
		if (st) {
			hc->bst = st;
			hc->be_up = false;
			set_bufs(hc, st);
			arm(hc, hc->g->conf.connect_timeout_ms);
			return;
		}
		drop_backend(hc, false);
		w->be[slot].connect_fails++;
		pctr(w, PC_CONNECT_FAILS, 1);
		health_passive(w, slot, false);
	}
}

static void
conn_timer(struct tq_shard *s, struct tq_app_timer *t, void *arg)
{
	struct hconn *hc = arg;
	uint64_t now = tq_shard_now(s), lim, quiet, idle;

	(void)t;
	enter(hc);
	if (hc->bst && !hc->be_up) {
		hc->timed_out = true;
		pctr(hc->w, PC_CONNECT_TIMEOUTS, 1);
		/* Its closed() counts the failure and tries the next. */
		tq_stream_abort(hc->bst, 0);
	} else if (hc->cl && !hc->draining &&
			(hc->rs == RS_HEAD || hc->rs == RS_BODY)) {
		lim = (uint64_t)hc->g->conf.backend_timeout_ms * NS_PER_MS;
		if (hc->rq != RQ_DONE && hc->up.olen == 0 &&
				hc->up.ilen == 0 &&
				tq_stream_readable(hc->cl) == 0) {
			/* The request is not all there and the backend took
			 * what came (Expect: 100-continue, a slow upload): the
			 * client is the one to wait for, by the idle timeout. */
			hc->last_be = now;
			idle = (uint64_t)hc->g->conf.idle_timeout_ms *
				NS_PER_MS;
			if (idle && now - hc->last_cl >= idle) {
				pctr(hc->w, PC_IDLE_TIMEOUTS, 1);
				abort_client(hc);
			} else if (lim) {
				tq_app_timer_arm(hc->t, lim);
			}
			leave(hc);
			return;
		}
		quiet = now - hc->last_be;
		if (!lim) {
			/* No backend timeout: nothing to watch. */
		} else if (quiet >= lim) {
			pctr(hc->w, PC_HTTP_BACKEND_TIMEOUTS, 1);
			if (hc->be >= 0)
				health_passive(hc->w, (unsigned int)hc->be,
						false);
			if (hc->resp_started) {
				abort_client(hc);
			} else {
				answer(hc, 504);
				run(hc);
			}
		} else {
			tq_app_timer_arm(hc->t, lim - quiet);
		}
	} else if (hc->cl) {
		lim = (uint64_t)hc->g->conf.idle_timeout_ms * NS_PER_MS;
		quiet = now - (hc->last_cl > hc->last_be ? hc->last_cl :
				hc->last_be);
		if (lim && quiet >= lim) {
			pctr(hc->w, PC_IDLE_TIMEOUTS, 1);
			abort_client(hc);
		} else if (lim) {
			tq_app_timer_arm(hc->t, lim - quiet);
		}
	}
	leave(hc);
}

static void
on_io(struct tq_stream *st, void *ctx)
{
	struct hconn *hc = ctx;

	(void)st;
	enter(hc);
	run(hc);
	leave(hc);
}

static void
backend_connected(struct tq_stream *st, void *ctx)
{
	struct hconn *hc = ctx;
	struct pworker *w = hc->w;

	(void)st;
	enter(hc);
	hc->be_up = true;
	w->be[hc->be].total++;
	w->be[hc->be].requests++;
	pctr(w, PC_BACKEND_CONNECTS, 1);
	hc->last_be = tq_shard_now(w->s);
	arm(hc, hc->g->conf.backend_timeout_ms);
	run(hc);
	leave(hc);
}

static bool
open_failed(const struct hconn *hc, enum tq_close_reason why)
{
	return hc->timed_out || why == TQ_CLOSE_REFUSED ||
		why == TQ_CLOSE_TIMEOUT || why == TQ_CLOSE_UNREACHABLE ||
		why == TQ_CLOSE_RESET;
}

static void
backend_closed(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	struct hconn *hc = ctx;
	struct pworker *w = hc->w;
	int b = hc->be;
	bool was_up = hc->be_up;

	(void)st;
	enter(hc);
	hc->bst = NULL;
	hc->be_up = false;
	drop_backend(hc, false);
	if (!hc->cl) {
		/* nothing to tell */
	} else if (!was_up && b >= 0 && open_failed(hc, why)) {
		w->be[b].connect_fails++;
		pctr(w, PC_CONNECT_FAILS, 1);
		health_passive(w, (unsigned int)b, false);
		/* Nothing was sent to it: another may serve. */
		connect_next(hc);
		run(hc);
	} else if (hc->rs == RS_HEAD || hc->rs == RS_BODY) {
		backend_fail(hc);
		run(hc);
	}
	leave(hc);
}

static void
client_closed(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	struct hconn *hc = ctx;

	(void)st;
	enter(hc);
	hc->cl = NULL;
	drop_backend(hc, why != TQ_CLOSE_NORMAL || hc->rs != RS_NONE);
	leave(hc);
}

static const struct tq_stream_ops hclient_ops = {
	.readable = on_io,
	.writable = on_io,
	.closed = client_closed,
};

static const struct tq_stream_ops hbackend_ops = {
	.connected = backend_connected,
	.readable = on_io,
	.writable = on_io,
	.closed = backend_closed,
};

void
http_accept(struct tq_shard *s, struct tq_listener *l, void *arg)
{
	struct plisten *pl = arg;
	struct pworker *w = tq_shard_app_ctx(s);
	struct tq_conn_info info;
	struct tq_stream *st;
	struct hconn *hc;
	char a[TQ_ADDR_STRLEN];
	int li;

	while ((st = tq_tcp_accept(l, &hclient_ops, NULL)) != NULL) {
		pctr(w, PC_ACCEPTED, 1);
		hc = NULL;
		li = w->g->lidx[pl->slot];
		if (li >= 0 && w->nconns < w->g->conf.max_conns)
			hc = calloc(1, sizeof(*hc));
		if (hc) {
			hc->t = tq_app_timer_create(s, conn_timer, hc);
			if (!hc->t) {
				free(hc);
				hc = NULL;
			}
		}
		if (!hc) {
			pctr(w, PC_REJECTED, 1);
			tq_stream_set_ops(st, &gone_ops, NULL);
			tq_stream_abort(st, 0);
			continue;
		}
		hc->w = w;
		hc->be = -1;
		hc->last_pick = -1;
		hc->lslot = pl->slot;
		hc->g = w->g;
		gen_hold(w, hc->g);
		hc->cl = st;
		w->nconns++;
		w->l[pl->slot].active++;
		w->l[pl->slot].total++;
		tq_http_parser_init(&hc->up.p, TQ_HTTP_REQUEST, &hc->g->qlim);
		tq_http_parser_init(&hc->down.p, TQ_HTTP_RESPONSE, &rlim);
		tq_stream_set_ops(st, &hclient_ops, hc);
		tq_stream_info(st, &info);
		hc->caddr = info.raddr;
		tq_addr_format(&info.raddr, hc->cstr, sizeof(hc->cstr));
		hc->cv6 = info.raddr.family == AF_INET6;
		tq_addr_format(&info.laddr, a, sizeof(a));
		snprintf(hc->lhost, sizeof(hc->lhost),
			info.laddr.family == AF_INET6 ? "[%s]:%u" : "%s:%u",
			a, info.lport);
		hc->last_cl = hc->last_be = tq_shard_now(s);
		set_bufs(hc, st);
		arm(hc, hc->g->conf.idle_timeout_ms);
		enter(hc);
		run(hc);
		leave(hc);
	}
}
