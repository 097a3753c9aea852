/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/3 sessions (tachyon/tq_h3.h) over the public stream API only:
 * the stream table, session memory, deferred work, the transport's
 * callbacks.  Reading is tq_h3_rx.c, sending tq_h3_tx.c, the app's
 * message calls tq_h3_msg.c.  See docs/http3.md.
 *
 * Every entry point (a stream or connection callback, an app call) is
 * bracketed by tq_h3_enter()/tq_h3_leave().  Work that must not run
 * inside a transport's callback chain or the frame reader (freeing an
 * exchange, telling the app there is room) is queued on the exchange
 * and run by the outermost tq_h3_leave(), which also sends what the
 * streams have queued.  The session
 * itself is freed there too, once the transport said the connection is
 * gone, so no callback ever returns into freed memory.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tq_h3_priv.h"

static const struct tq_stream_ops h3_stream_ops;
static const struct tq_conn_ops h3_conn_ops;

static const char *const h3_err_names[] = {
	"H3_NO_ERROR", "H3_GENERAL_PROTOCOL_ERROR", "H3_INTERNAL_ERROR",
	"H3_STREAM_CREATION_ERROR", "H3_CLOSED_CRITICAL_STREAM",
	"H3_FRAME_UNEXPECTED", "H3_FRAME_ERROR", "H3_EXCESSIVE_LOAD",
	"H3_ID_ERROR", "H3_SETTINGS_ERROR", "H3_MISSING_SETTINGS",
	"H3_REQUEST_REJECTED", "H3_REQUEST_CANCELLED",
	"H3_REQUEST_INCOMPLETE", "H3_MESSAGE_ERROR", "H3_CONNECT_ERROR",
	"H3_VERSION_FALLBACK",
};

const char *
tq_h3_error_str(uint64_t code)
{
	if (code >= TQ_H3_NO_ERROR && code <= TQ_H3_VERSION_FALLBACK)
		return h3_err_names[code - TQ_H3_NO_ERROR];
	return "?";
}

/* ---- session memory, counted and capped ---- */

void *
tq_h3_alloc(struct tq_h3_conn *h, size_t size)
{
	void *p;

	if (h->mem_used + size > h->conf.max_mem) {
		H3_STAT(h, mem_refused, 1);
		/* the session ends on it (once it exists for the app) */
		if (h->live)
			tq_h3_conn_fail(h, TQ_H3_EXCESSIVE_LOAD);
		return NULL;
	}
	p = tq_h3_mem_alloc(size);
	if (p)
		h->mem_used += size;
	return p;
}

void
tq_h3_free(struct tq_h3_conn *h, void *p)
{
	if (!p)
		return;
	h->mem_used -= tq_h3_mem_size(p);
	tq_h3_mem_free(p);
}

/* ---- stats ---- */


void
tq_h3_stat_status(struct tq_h3_conn *h, unsigned int status)
{
	unsigned int cls = status / 100;

	if (cls > 5)
		cls = 0;
	H3_STAT(h, responses[cls], 1);
}

/* ---- exchanges and streams ---- */

struct tq_h3_req *
tq_h3_req_new(struct tq_h3_conn *h, struct tq_stream *st, enum h3_kind kind)
{
	struct tq_h3_req *r = tq_h3_alloc(h, sizeof(*r));

	if (!r)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->h = h;
	r->st = st;
	r->id = tq_stream_id(st);
	r->kind = (uint8_t)kind;
	r->rxs = kind == H3_PEER_UNI ? H3_RX_UTYPE : H3_RX_FHDR;
	r->msg.content_length = -1;
	r->next = h->reqs;
	if (h->reqs)
		h->reqs->prev = r;
	h->reqs = r;
	if (kind == H3_REQ) {
		h->nreqs++;
		if (r->id > h->max_req_id)
			h->max_req_id = r->id;
	}
	tq_stream_set_ops(st, &h3_stream_ops, r);
	return r;
}

void
tq_h3_head_free(struct tq_h3_req *r)
{
	tq_h3_free(r->h, r->head);
	r->head = NULL;
	memset(&r->msg, 0, sizeof(r->msg));
	r->msg.content_length = -1;
}

static void
h3_list_del(struct tq_h3_req **head, struct tq_h3_req *r, size_t link)
{
	while (*head != r)
		head = (struct tq_h3_req **)((char *)*head + link);
	*head = *(struct tq_h3_req **)((char *)r + link);
}

/* Unlink and free; the app has been told already. */
static void
h3_req_free(struct tq_h3_req *r)
{
	struct tq_h3_conn *h = r->h;

	if (r->prev)
		r->prev->next = r->next;
	else
		h->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	if (r->queued)
		h3_list_del(&h->pend_list, r,
				offsetof(struct tq_h3_req, pnext));
	if (r->txq)
		h3_list_del(&h->tx_list, r,
				offsetof(struct tq_h3_req, tnext));
	if (r->kind == H3_REQ)
		h->nreqs--;
	if (h->peer_ctrl == r)
		h->peer_ctrl = NULL;
	if (h->peer_enc == r)
		h->peer_enc = NULL;
	if (h->peer_dec == r)
		h->peer_dec = NULL;
	if (h->ctrl == r)
		h->ctrl = NULL;
	tq_h3_head_free(r);
	tq_h3_free(h, r->acc);
	tq_h3_free(h, r->ob);
	tq_h3_free(h, r->ring);
	tq_h3_free(h, r);
}

void
tq_h3_pend(struct tq_h3_req *r, uint8_t what)
{
	r->pend |= what;
	if (!r->queued) {
		r->queued = true;
		r->pnext = r->h->pend_list;
		r->h->pend_list = r;
	}
}

void
tq_h3_finish(struct tq_h3_req *r, uint64_t code, uint64_t abort_code)
{
	if (r->done)
		return;
	r->done = true;
	r->code = code;
	r->abort_code = abort_code;
	tq_h3_pend(r, PEND_FINISH);
}

/* ---- connection errors ---- */

void
tq_h3_conn_fail(struct tq_h3_conn *h, uint64_t code)
{
	if (h->closing || h->gone)
		return;
	h->closing = true;
	h->close_code = code;
	if (code != TQ_H3_NO_ERROR)
		H3_STAT(h, conn_errors, 1);
	tq_conn_close(h->c, code);
}

/* ---- deferred work and the session's end ---- */

static void
h3_teardown(struct tq_h3_conn *h)
{
	uint64_t code = h->close_code;

	while (h->reqs) {
		struct tq_h3_req *r = h->reqs;

		if (r->kind == H3_REQ && r->seen && h->ops->closed) {
			uint64_t c = r->done ? r->code : code;

			if (c && c != r->code)
				H3_STAT(h, stream_errors, 1);
			h->ops->closed(r, c, h->arg);
		}
		h3_req_free(r);
	}
	if (h->ops->conn_closed)
		h->ops->conn_closed(h, code, h->arg);
	free(h);
	tq_h3_mem_session(-1);
}

/* After GOAWAY, close once no exchange is left and every request
 * stream's bytes have been delivered. */
static void
h3_shutdown_done(struct tq_h3_conn *h)
{
	if (h->shutting && h->nreqs == 0 && h->lingering == 0)
		tq_h3_conn_fail(h, TQ_H3_NO_ERROR);
}

static void
h3_linger_closed(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	struct tq_h3_conn *h = ctx;

	tq_h3_enter(h);
	h->lingering--;
	h3_shutdown_done(h);
	tq_h3_leave(h);
}

static const struct tq_stream_ops h3_linger_ops = {
	.closed = h3_linger_closed,
};

static bool
h3_critical(const struct tq_h3_req *r)
{
	const struct tq_h3_conn *h = r->h;

	return r == h->peer_ctrl || r == h->peer_enc || r == h->peer_dec;
}

/* The exchange is over: let the stream go and tell the app. */
static void
h3_req_end(struct tq_h3_req *r)
{
	struct tq_h3_conn *h = r->h;
	struct tq_stream *st = r->st;
	uint64_t code = r->code;

	/* RFC 9114 6.2.1, RFC 9204 4.2: the peer's control and QPACK
	 * streams live as long as the connection. */
	if (h3_critical(r))
		tq_h3_conn_fail(h, TQ_H3_CLOSED_CRITICAL_STREAM);
	if (st) {
		r->st = NULL;
		if (r->abort_code) {
			tq_stream_set_ops(st, NULL, NULL);
			tq_stream_abort(st, r->abort_code);
		} else if (r->kind == H3_REQ) {
			/* QUIC's CONNECTION_CLOSE drops stream data not yet
			 * acknowledged: a GOAWAY's close waits for this
			 * stream's closed() (all acknowledged). */
			h->lingering++;
			tq_stream_set_ops(st, &h3_linger_ops, h);
			tq_stream_close(st);
		} else {
			tq_stream_set_ops(st, NULL, NULL);
			tq_stream_close(st);
		}
	}
	if (r->kind == H3_REQ && r->seen) {
		if (code)
			H3_STAT(h, stream_errors, 1);
		if (h->ops->closed)
			h->ops->closed(r, code, h->arg);
	}
	h3_req_free(r);
	h3_shutdown_done(h);
}

void
tq_h3_enter(struct tq_h3_conn *h)
{
	h->depth++;
}

void
tq_h3_leave(struct tq_h3_conn *h)
{
	if (h->depth > 1) {
		h->depth--;
		return;
	}
	for (;;) {
		struct tq_h3_req *r;
		uint8_t what;

		if (!h->gone && h->tx_list)
			tq_h3_flush(h);
		r = h->pend_list;
		if (!r)
			break;
		h->pend_list = r->pnext;
		r->queued = false;
		what = r->pend;
		r->pend = 0;
		if (what & PEND_FINISH) {
			h3_req_end(r);
			continue;
		}
		if ((what & PEND_WRITABLE) && !r->done && r->want_writable) {
			r->want_writable = false;
			if (h->ops->writable)
				h->ops->writable(r, h->arg);
		}
	}
	if (h->gone) {
		/* At depth 1 still: an app call from a closed() or
		 * conn_closed() during the teardown enters and leaves
		 * without running it again. */
		h3_teardown(h);
		return;
	}
	h->depth--;
}

/* ---- the transport's callbacks ---- */

static void
st_readable(struct tq_stream *st, void *ctx)
{
	struct tq_h3_req *r = ctx;
	struct tq_h3_conn *h = r->h;

	tq_h3_enter(h);
	tq_h3_read_stream(r);
	tq_h3_leave(h);
}

static void
st_writable(struct tq_stream *st, void *ctx)
{
	struct tq_h3_req *r = ctx;
	struct tq_h3_conn *h = r->h;

	tq_h3_enter(h);
	if (r->blocked) {
		r->blocked = false;
		tq_h3_tx_want(r);
	}
	tq_h3_leave(h);
}

static void
st_peer_reset(struct tq_stream *st, uint64_t code, void *ctx)
{
	struct tq_h3_req *r = ctx;
	struct tq_h3_conn *h = r->h;

	tq_h3_enter(h);
	if (r->kind == H3_REQ)
		tq_h3_finish(r, code ? code : TQ_H3_REQUEST_CANCELLED,
				TQ_H3_REQUEST_CANCELLED);
	else
		tq_h3_finish(r, 0, 0);	/* h3_req_end(): critical? */
	tq_h3_leave(h);
}

static void
st_stop_sending(struct tq_stream *st, uint64_t code, void *ctx)
{
	struct tq_h3_req *r = ctx;
	struct tq_h3_conn *h = r->h;

	tq_h3_enter(h);
	if (r->kind == H3_REQ && !h->server && code == TQ_H3_NO_ERROR) {
		/* RFC 9114 4.1: the server has its answer and wants no
		 * more of the request: stop sending it, keep reading the
		 * response (the transport resets our side). */
		r->wr_fin = true;
		r->body_eof = true;
		r->want_writable = false;
		if (r->rd_fin)
			tq_h3_finish(r, 0, 0);
	} else if (r->kind == H3_REQ) {
		tq_h3_finish(r, code ? code : TQ_H3_REQUEST_CANCELLED,
				TQ_H3_REQUEST_CANCELLED);
	} else {
		tq_h3_conn_fail(h, TQ_H3_CLOSED_CRITICAL_STREAM);
	}
	tq_h3_leave(h);
}

static void
st_closed(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	struct tq_h3_req *r = ctx;
	struct tq_h3_conn *h = r->h;
	uint64_t code;

	tq_h3_enter(h);
	r->st = NULL;
	if (r->kind == H3_REQ) {
		code = tq_stream_error_code(st);
		if (h->closing)
			code = h->close_code;
		else if (!code || (code == TQ_H3_NO_ERROR && r->rd_fin))
			code = r->rd_fin && r->wr_fin ? 0 :
				TQ_H3_REQUEST_CANCELLED;
		tq_h3_finish(r, code, 0);
	} else if (r->kind == H3_PEER_UNI && why == TQ_CLOSE_NORMAL &&
			!h->closing && !h->gone) {
		/* Ended on its own (not with the connection): a critical
		 * one fails the session in h3_req_end().  A stream ended
		 * by the connection's end comes with the connection's
		 * reason (QUIC: TIMEOUT, PROTOCOL, RESET...) and is
		 * not the peer closing a critical stream. */
		tq_h3_finish(r, 0, 0);
	}
	tq_h3_leave(h);
}

static const struct tq_stream_ops h3_stream_ops = {
	.readable = st_readable,
	.writable = st_writable,
	.peer_reset = st_peer_reset,
	.stop_sending = st_stop_sending,
	.closed = st_closed,
};

static void
h3_goaway(struct tq_h3_conn *h)
{
	uint8_t b[16], *p = b + 2;

	b[0] = H3_F_GOAWAY;
	p = tq_quic_varint_put(p, (uint64_t)h->refuse_from);
	b[1] = (uint8_t)(p - b - 2);
	if (tq_h3_out(h->ctrl, b, (uint32_t)(p - b)) == 0)
		H3_STAT(h, goaways_tx, 1);
	else
		tq_h3_conn_fail(h, TQ_H3_EXCESSIVE_LOAD);
}

/* Our control stream's type and SETTINGS; the QPACK streams' types. */
static int
h3_start_uni(struct tq_h3_conn *h, struct tq_h3_req *ctl,
		struct tq_h3_req *enc, struct tq_h3_req *dec)
{
	uint8_t b[32], *p = b;
	int rv;

	*p++ = H3_U_CONTROL;
	*p++ = H3_F_SETTINGS;
	p++;	/* the length, below */
	/* A dynamic table capacity and blocked streams of 0 are the
	 * defaults: only the field section limit is said. */
	p = tq_quic_varint_put(p, H3_S_MAX_FIELD_SECTION_SIZE);
	p = tq_quic_varint_put(p, h->conf.max_field_section);
	b[2] = (uint8_t)(p - b - 3);
	rv = tq_h3_out(ctl, b, (uint32_t)(p - b));
	b[0] = H3_U_ENCODER;
	b[1] = H3_U_DECODER;
	if (rv == 0)
		rv = tq_h3_out(enc, b, 1);
	if (rv == 0)
		rv = tq_h3_out(dec, b + 1, 1);
	return rv;
}

static int
h3_open_uni(struct tq_h3_conn *h)
{
	struct tq_stream *st[3];
	struct tq_h3_req *r[3];
	int err = 0, i;

	for (i = 0; i < 3; i++) {
		st[i] = tq_conn_stream_open(h->c, TQ_STREAM_UNI, NULL, NULL,
				&err);
		if (!st[i]) {
			while (i-- > 0)
				tq_stream_abort(st[i], TQ_H3_INTERNAL_ERROR);
			return err;
		}
	}
	for (i = 0; i < 3; i++) {
		r[i] = tq_h3_req_new(h, st[i], H3_LOCAL_UNI);
		if (!r[i]) {
			for (; i < 3; i++)
				tq_stream_abort(st[i], TQ_H3_INTERNAL_ERROR);
			return -ENOMEM;
		}
	}
	h->uni_open = true;
	h->ctrl = r[0];
	if (h3_start_uni(h, r[0], r[1], r[2]))
		return -ENOMEM;
	if (h->shutting)
		h3_goaway(h);
	return 0;
}

static void
conn_established(struct tq_conn *c, void *udata)
{
	struct tq_h3_conn *h = udata;
	int rv;

	tq_h3_enter(h);
	if (!h->uni_open && !h->closing) {
		rv = h3_open_uni(h);
		if (rv < 0 && rv != -EAGAIN)
			tq_h3_conn_fail(h, TQ_H3_INTERNAL_ERROR);
	}
	/* A client's requests made before the handshake failed with
	 * -ENOTCONN: now they can go. */
	if (!h->server && !h->closing && h->ops->streams_available)
		h->ops->streams_available(h, h->arg);
	tq_h3_leave(h);
}

static void
conn_streams_available(struct tq_conn *c, bool uni, void *udata)
{
	struct tq_h3_conn *h = udata;

	tq_h3_enter(h);
	if (uni && !h->uni_open && !h->closing) {
		int rv = h3_open_uni(h);

		if (rv < 0 && rv != -EAGAIN)
			tq_h3_conn_fail(h, TQ_H3_INTERNAL_ERROR);
	} else if (!uni && !h->server && h->ops->streams_available) {
		h->ops->streams_available(h, h->arg);
	}
	tq_h3_leave(h);
}

static void
conn_new_stream(struct tq_conn *c, struct tq_stream *st, void *udata)
{
	struct tq_h3_conn *h = udata;
	struct tq_h3_req *r;
	bool uni = tq_stream_is_uni(st);

	if (h->closing || h->gone)
		return;		/* left without ops: refused */
	tq_h3_enter(h);
	/* A request in 0-RTT comes before established(): the control and
	 * QPACK streams first, as the response needs them. */
	if (h->server && !h->uni_open) {
		int rv = h3_open_uni(h);

		if (rv < 0 && rv != -ENOTCONN && rv != -EAGAIN)
			tq_h3_conn_fail(h, TQ_H3_INTERNAL_ERROR);
	}
	if (!uni && !h->server) {
		/* RFC 9114 6.1: servers open no bidirectional streams. */
		tq_h3_conn_fail(h, TQ_H3_STREAM_CREATION_ERROR);
	} else if (!uni && h->shutting &&
			tq_stream_id(st) >= h->refuse_from) {
		/* RFC 9114 5.2: past our GOAWAY, not processed. */
		tq_stream_abort(st, TQ_H3_REQUEST_REJECTED);
	} else {
		r = tq_h3_req_new(h, st, uni ? H3_PEER_UNI : H3_REQ);
		if (!r)
			tq_h3_conn_fail(h, TQ_H3_EXCESSIVE_LOAD);
		else
			tq_h3_read_stream(r);
	}
	tq_h3_leave(h);
}

static void
conn_closed(struct tq_conn *c, enum tq_close_reason why, uint64_t code,
		void *udata)
{
	struct tq_h3_conn *h = udata;

	if (!h->closing) {
		h->close_code = code;
		if (why != TQ_CLOSE_NORMAL && code != TQ_H3_NO_ERROR)
			H3_STAT(h, conn_errors, 1);
	}
	h->gone = true;
	tq_conn_set_ops(c, NULL);
	tq_h3_enter(h);
	tq_h3_leave(h);	/* frees h when outermost */
}

static const struct tq_conn_ops h3_conn_ops = {
	.established = conn_established,
	.new_stream = conn_new_stream,
	.streams_available = conn_streams_available,
	.closed = conn_closed,
};

/* ---- sessions ---- */

static struct tq_h3_conn *
h3_new(struct tq_conn *c, bool server, const struct tq_h3_ops *ops,
		void *arg, const struct tq_h3_conf *conf, int *err)
{
	static const struct tq_h3_ops no_ops;
	struct tq_h3_conn *h;
	int dummy, rv;

	if (!err)
		err = &dummy;
	h = calloc(1, sizeof(*h));
	if (!h) {
		*err = -ENOMEM;
		return NULL;
	}
	tq_h3_mem_session(1);
	h->c = c;
	h->server = server;
	h->ops = ops ? ops : &no_ops;
	h->arg = arg;
	h->max_req_id = -4;
	h->goaway_id = UINT64_MAX;
	if (conf)
		h->conf = *conf;
	if (!h->conf.max_field_section)
		h->conf.max_field_section = 16384;
	if (!h->conf.max_fields)
		h->conf.max_fields = 128;
	if (!h->conf.body_buf)
		h->conf.body_buf = 16384;
	if (!h->conf.max_mem)
		h->conf.max_mem = 4u << 20;
	rv = h3_open_uni(h);
	/* -ENOTCONN: at established(); -EAGAIN: at streams_available(). */
	if (rv < 0 && rv != -ENOTCONN && rv != -EAGAIN) {
		/* Our streams go with the session: no callback of theirs
		 * may come to a record freed here. */
		while (h->reqs) {
			struct tq_h3_req *r = h->reqs;

			if (r->st) {
				tq_stream_set_ops(r->st, NULL, NULL);
				tq_stream_abort(r->st, TQ_H3_INTERNAL_ERROR);
			}
			h3_req_free(r);
		}
		free(h);
		tq_h3_mem_session(-1);
		*err = rv;
		return NULL;
	}
	tq_conn_set_udata(c, h);
	tq_conn_set_ops(c, &h3_conn_ops);
	h->live = true;
	tq_h3_enter(h);
	tq_h3_leave(h);
	return h;
}

struct tq_h3_conn *
tq_h3_server_new(struct tq_conn *c, const struct tq_h3_ops *ops, void *arg,
		const struct tq_h3_conf *conf, int *err)
{
	return h3_new(c, true, ops, arg, conf, err);
}

struct tq_h3_conn *
tq_h3_client_new(struct tq_conn *c, const struct tq_h3_ops *ops, void *arg,
		const struct tq_h3_conf *conf, int *err)
{
	return h3_new(c, false, ops, arg, conf, err);
}

struct tq_conn *
tq_h3_conn_tq(const struct tq_h3_conn *h)
{
	return h->c;
}

const struct tq_h3_stats *
tq_h3_conn_stats(const struct tq_h3_conn *h)
{
	return &h->stats;
}

int
tq_h3_shutdown(struct tq_h3_conn *h)
{
	if (h->closing || h->gone)
		return -ENOTCONN;
	if (h->shutting)
		return 0;
	tq_h3_enter(h);
	h->shutting = true;
	/* A server names the first request it will not process (the one
	 * after the last it took); a client, which allows no pushes, 0. */
	h->refuse_from = h->server ? h->max_req_id + 4 : 0;
	if (h->ctrl)
		h3_goaway(h);	/* else once our streams open */
	h3_shutdown_done(h);
	tq_h3_leave(h);
	return 0;
}

void
tq_h3_close(struct tq_h3_conn *h, uint64_t code)
{
	tq_h3_enter(h);
	tq_h3_conn_fail(h, code);
	tq_h3_leave(h);
}
