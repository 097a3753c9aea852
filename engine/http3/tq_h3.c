/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/3 sessions (tachyon/tq_h3.h) on libnghttp3, over the public
 * stream API only.  See docs/http3.md.
 *
 * Every entry point (a stream or connection callback, an app call) is
 * bracketed by tq_h3_enter()/tq_h3_leave().  Work that must not run
 * inside nghttp3's callbacks or inside a transport's callback chain
 * (closing a stream in nghttp3, freeing an exchange, telling the app
 * there is room) is queued on the exchange and run by the outermost
 * tq_h3_leave(), which also pumps what nghttp3 has to send.  The session
 * itself is freed there too, once the transport said the connection is
 * gone, so no callback ever returns into freed memory.
 */
#include <errno.h>
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

/* ---- nghttp3's memory, counted and capped per session ---- */

static void *
h3_malloc(size_t size, void *ud)
{
	struct tq_h3_conn *h = ud;
	void *p;

	if (h->mem_used + size > h->conf.max_mem) {
		h->stats.mem_refused++;
		if (h->conf.stats)
			h->conf.stats->mem_refused++;
		return NULL;
	}
	p = tq_h3_mem_alloc(size);
	if (p)
		h->mem_used += size;
	return p;
}

static void
h3_free(void *p, void *ud)
{
	struct tq_h3_conn *h = ud;

	if (!p)
		return;
	h->mem_used -= tq_h3_mem_size(p);
	tq_h3_mem_free(p);
}

static void *
h3_calloc(size_t n, size_t size, void *ud)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	p = h3_malloc(n * size, ud);
	if (p)
		memset(p, 0, n * size);
	return p;
}

static void *
h3_realloc(void *p, size_t size, void *ud)
{
	struct tq_h3_conn *h = ud;
	size_t old;
	void *q;

	if (!p)
		return h3_malloc(size, ud);
	if (size == 0) {
		h3_free(p, ud);
		return NULL;
	}
	old = tq_h3_mem_size(p);
	q = h3_malloc(size, ud);
	if (!q)
		return NULL;
	memcpy(q, p, old < size ? old : size);
	h3_free(p, h);
	return q;
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

/* ---- the table of streams ---- */

static struct tq_h3_req *
h3_find(struct tq_h3_conn *h, int64_t id)
{
	struct tq_h3_req *r;

	for (r = h->buckets[(uint64_t)id / 4 % H3_BUCKETS]; r; r = r->hnext)
		if (r->id == id)
			return r;
	return NULL;
}

struct tq_h3_req *
tq_h3_req_new(struct tq_h3_conn *h, struct tq_stream *st, enum h3_kind kind)
{
	struct tq_h3_req *r = tq_h3_mem_zalloc(sizeof(*r));
	struct tq_h3_req **b;

	if (!r)
		return NULL;
	r->h = h;
	r->st = st;
	r->id = tq_stream_id(st);
	r->kind = (uint8_t)kind;
	r->msg.content_length = -1;
	b = &h->buckets[(uint64_t)r->id / 4 % H3_BUCKETS];
	r->hnext = *b;
	*b = r;
	r->next = h->reqs;
	if (h->reqs)
		h->reqs->prev = r;
	h->reqs = r;
	if (kind == H3_REQ)
		h->nreqs++;
	tq_stream_set_ops(st, &h3_stream_ops, r);
	return r;
}

static void
h3_fields_clear(struct tq_h3_req *r)
{
	uint32_t i;

	for (i = 0; i < r->nrc; i++)
		nghttp3_rcbuf_decref(r->rc[i]);
	r->nrc = 0;
	r->field_bytes = 0;
	r->too_large = false;
	memset(&r->msg, 0, sizeof(r->msg));
	r->msg.content_length = -1;
}

/* Unlink and free; the app has been told already. */
static void
h3_req_free(struct tq_h3_req *r)
{
	struct tq_h3_conn *h = r->h;
	struct tq_h3_req **b = &h->buckets[(uint64_t)r->id / 4 % H3_BUCKETS];

	while (*b != r)
		b = &(*b)->hnext;
	*b = r->hnext;
	if (r->prev)
		r->prev->next = r->next;
	else
		h->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	if (r->queued) {
		struct tq_h3_req **p = &h->pend_list;

		while (*p != r)
			p = &(*p)->pnext;
		*p = r->pnext;
	}
	if (r->kind == H3_REQ)
		h->nreqs--;
	h3_fields_clear(r);
	tq_h3_mem_free(r->rc);
	tq_h3_mem_free(r->fields);
	free(r->ring);
	tq_h3_mem_free(r);
}

static void
h3_pend(struct tq_h3_req *r, uint8_t what)
{
	r->pend |= what;
	if (!r->queued) {
		r->queued = true;
		r->pnext = r->h->pend_list;
		r->h->pend_list = r;
	}
}

/* Finish the exchange (later, from tq_h3_leave()) with code. */
void
tq_h3_finish(struct tq_h3_req *r, uint64_t code, uint64_t abort_code)
{
	if (r->done)
		return;
	r->done = true;
	r->code = code;
	r->abort_code = abort_code;
	h3_pend(r, PEND_FINISH);
}

/* ---- connection errors ---- */

static void
h3_conn_fail(struct tq_h3_conn *h, uint64_t code)
{
	if (h->closing || h->gone)
		return;
	h->closing = true;
	h->close_code = code;
	if (code != TQ_H3_NO_ERROR)
		H3_STAT(h, conn_errors, 1);
	tq_conn_close(h->c, code);
}

static void
h3_conn_fail_lib(struct tq_h3_conn *h, int liberr)
{
	uint64_t code = nghttp3_err_infer_quic_app_error_code(liberr);

	if (liberr == NGHTTP3_ERR_NOMEM)
		code = TQ_H3_EXCESSIVE_LOAD;
	h3_conn_fail(h, code);
}

/* ---- reading ---- */

static int
h3_feed(struct tq_h3_req *r, const uint8_t *p, size_t len, int fin)
{
	nghttp3_ssize n;

	r->h->dirty = true;
	n = nghttp3_conn_read_stream(r->h->ng, r->id, p, len, fin);

	if (n < 0) {
		h3_conn_fail_lib(r->h, (int)n);
		return -1;
	}
	return 0;
}

/*
 * Take what the transport has, segment by segment, without copying:
 * nghttp3 parses in place and hands body bytes back as spans of the
 * segment, which go to the app before the mbuf is freed.
 */
void
tq_h3_read_stream(struct tq_h3_req *r)
{
	struct tq_h3_conn *h = r->h;

	while (r->st && !r->done && !r->paused && !h->closing && !h->gone &&
			!r->rd_fin) {
		struct rte_mbuf *m = tq_stream_read_mbuf(r->st, H3_READ_MAX);
		struct rte_mbuf *seg;
		int bad = 0;

		if (!m) {
			if (tq_stream_eof(r->st)) {
				r->rd_fin = true;
				if (h3_feed(r, NULL, 0, 1) == 0 &&
						r->kind == H3_PEER_UNI)
					tq_h3_finish(r, 0, 0);
			}
			break;
		}
		for (seg = m; seg && !bad; seg = seg->next) {
			if (!seg->data_len)
				continue;
			h->cur_seg = seg;
			bad = h3_feed(r, rte_pktmbuf_mtod(seg,
					const uint8_t *), seg->data_len, 0);
		}
		h->cur_seg = NULL;
		rte_pktmbuf_free(m);
		if (bad)
			break;
	}
	if (r->rd_fin && r->wr_fin && r->kind == H3_REQ)
		tq_h3_finish(r, 0, 0);
}

/* ---- writing ---- */

static void
h3_flush(struct tq_h3_conn *h)
{
	if (!h->dirty)
		return;
	while (!h->closing && !h->gone) {
		nghttp3_vec vec[H3_IOV_MAX];
		struct iovec iov[H3_IOV_MAX];
		struct tq_h3_req *r;
		int64_t sid = -1;
		int fin = 0, w = 0;
		nghttp3_ssize n, i;
		size_t total = 0;

		n = nghttp3_conn_writev_stream(h->ng, &sid, &fin, vec,
				H3_IOV_MAX);
		if (n < 0) {
			h3_conn_fail_lib(h, (int)n);
			return;
		}
		if (sid < 0 || (n == 0 && !fin)) {
			/* nothing (after all: do not spin on it) until a
			 * call gives nghttp3 more */
			h->dirty = false;
			return;
		}
		r = h3_find(h, sid);
		if (!r || !r->st || r->done) {
			/* Nowhere to write any more: stop nghttp3 asking. */
			nghttp3_conn_shutdown_stream_write(h->ng, sid);
			continue;
		}
		for (i = 0; i < n; i++) {
			iov[i].iov_base = vec[i].base;
			iov[i].iov_len = vec[i].len;
			total += vec[i].len;
		}
		if (total) {
			w = tq_stream_writev(r->st, iov, (unsigned int)n);
			if (w < 0) {
				/* -EPIPE: the peer stopped it, or it is
				 * being reset; the stream callbacks say
				 * why. */
				nghttp3_conn_shutdown_stream_write(h->ng, sid);
				if (r->kind == H3_REQ)
					tq_h3_finish(r, TQ_H3_REQUEST_CANCELLED,
						TQ_H3_REQUEST_CANCELLED);
				else
					h3_conn_fail(h,
						TQ_H3_CLOSED_CRITICAL_STREAM);
				continue;
			}
		}
		/* The transport copied what it took: that is sent and, as
		 * far as nghttp3's buffers go, acknowledged. */
		if (nghttp3_conn_add_write_offset(h->ng, sid, (size_t)w) ||
				nghttp3_conn_add_ack_offset(h->ng, sid,
					(uint64_t)w)) {
			h3_conn_fail(h, TQ_H3_INTERNAL_ERROR);
			return;
		}
		if ((size_t)w < total) {
			nghttp3_conn_block_stream(h->ng, sid);
			r->blocked = true;
			continue;
		}
		if (fin && !r->wr_fin) {
			r->wr_fin = true;
			tq_stream_shutdown(r->st);
			if (r->rd_fin && r->kind == H3_REQ)
				tq_h3_finish(r, 0, 0);
		}
	}
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
	nghttp3_conn_del(h->ng);
	h->ng = NULL;
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
		h3_conn_fail(h, TQ_H3_NO_ERROR);
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

/* The exchange is over: let the stream go and tell nghttp3 and the app. */
static void
h3_req_end(struct tq_h3_req *r)
{
	struct tq_h3_conn *h = r->h;
	struct tq_stream *st = r->st;
	uint64_t code = r->code;
	int rv;

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
	h->dirty = true;
	rv = nghttp3_conn_close_stream(h->ng, r->id,
			code ? code : TQ_H3_NO_ERROR);
	if (rv && rv != NGHTTP3_ERR_STREAM_NOT_FOUND)
		h3_conn_fail_lib(h, rv);
	if (r->kind == H3_REQ && r->seen) {
		if (code)
			H3_STAT(h, stream_errors, 1);
		if (h->ops->closed)
			h->ops->closed(r, code, h->arg);
	}
	h3_req_free(r);
	h3_shutdown_done(h);
}

uint32_t
tq_h3_ring_space(const struct tq_h3_req *r)
{
	return r->ring_size - (uint32_t)(r->r_tail - r->r_head);
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

		if (!h->gone)
			h3_flush(h);
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
	h->depth--;
	if (h->gone)
		h3_teardown(h);
}

/* ---- nghttp3's callbacks ---- */

static int
cb_acked(nghttp3_conn *ng, int64_t id, uint64_t len, void *ud, void *sud)
{
	struct tq_h3_conn *h = ud;
	struct tq_h3_req *r = h3_find(h, id);

	H3_STAT(h, body_tx, len);
	if (r && r->ring) {
		r->r_head += len;
		if (r->want_writable && tq_h3_ring_space(r) >= r->ring_size / 2)
			h3_pend(r, PEND_WRITABLE);
	}
	return 0;
}

static int
cb_stream_close(nghttp3_conn *ng, int64_t id, uint64_t code, void *ud,
		void *sud)
{
	/* h3_req_end() tells the app and frees; nothing to do here. */
	return 0;
}

static int
cb_recv_data(nghttp3_conn *ng, int64_t id, const uint8_t *data, size_t len,
		void *ud, void *sud)
{
	struct tq_h3_conn *h = ud;
	struct tq_h3_req *r = h3_find(h, id);

	H3_STAT(h, body_rx, len);
	if (!r || !r->seen || r->done)
		return 0;
	if (h->ops->data_mbuf && h->cur_seg) {
		struct rte_mbuf *seg = h->cur_seg;
		struct rte_mbuf *m = rte_pktmbuf_alloc(seg->pool);

		if (m) {
			/* Share the segment: nghttp3 gave a span of it. */
			rte_pktmbuf_attach(m, seg);
			m->data_off = (uint16_t)(seg->data_off + (data -
					rte_pktmbuf_mtod(seg, const uint8_t *)));
			m->data_len = (uint16_t)len;
			m->pkt_len = (uint32_t)len;
			h->ops->data_mbuf(r, m, h->arg);
			return 0;
		}
	}
	if (h->ops->data)
		h->ops->data(r, data, len, h->arg);
	else if (h->ops->data_mbuf)
		tq_h3_finish(r, TQ_H3_INTERNAL_ERROR, TQ_H3_INTERNAL_ERROR);
	return 0;
}

static int
cb_begin_headers(nghttp3_conn *ng, int64_t id, void *ud, void *sud)
{
	struct tq_h3_conn *h = ud;
	struct tq_h3_req *r = h3_find(h, id);

	if (!r)
		return 0;
	h3_fields_clear(r);
	if (!r->rc) {
		r->rc = tq_h3_mem_alloc(sizeof(*r->rc) *
				(2 * h->conf.max_fields + 10));
		r->fields = tq_h3_mem_alloc(sizeof(*r->fields) *
				h->conf.max_fields);
		if (!r->rc || !r->fields)
			return NGHTTP3_ERR_CALLBACK_FAILURE;
	}
	return 0;
}

static bool
h3_keep(struct tq_h3_req *r, nghttp3_rcbuf *rc, struct tq_http_span *sp)
{
	nghttp3_vec v = nghttp3_rcbuf_get_buf(rc);

	nghttp3_rcbuf_incref(rc);
	r->rc[r->nrc++] = rc;
	sp->p = (const char *)v.base;
	sp->len = (uint32_t)v.len;
	return true;
}

static int
cb_recv_header(nghttp3_conn *ng, int64_t id, int32_t token,
		nghttp3_rcbuf *name, nghttp3_rcbuf *value, uint8_t flags,
		void *ud, void *sud)
{
	struct tq_h3_conn *h = ud;
	struct tq_h3_req *r = h3_find(h, id);
	nghttp3_vec n = nghttp3_rcbuf_get_buf(name);
	nghttp3_vec v = nghttp3_rcbuf_get_buf(value);
	struct tq_http_span *sp = NULL;
	struct tq_http_field *f;

	if (!r || r->too_large)
		return 0;
	r->field_bytes += (uint32_t)(n.len + v.len + 32);
	if (r->field_bytes > h->conf.max_field_section) {
		r->too_large = true;
		return 0;
	}
	switch (token) {
	case NGHTTP3_QPACK_TOKEN__METHOD:
		sp = &r->msg.method;
		break;
	case NGHTTP3_QPACK_TOKEN__SCHEME:
		sp = &r->msg.scheme;
		break;
	case NGHTTP3_QPACK_TOKEN__AUTHORITY:
		sp = &r->msg.authority;
		break;
	case NGHTTP3_QPACK_TOKEN__PATH:
		sp = &r->msg.path;
		break;
	case NGHTTP3_QPACK_TOKEN__STATUS: {
		unsigned int s = 0;
		size_t i;

		for (i = 0; i < v.len && i < 3; i++)
			s = s * 10 + (unsigned int)(v.base[i] - '0');
		r->msg.status = (uint16_t)s;
		return 0;
	}
	default:
		break;
	}
	if (sp) {
		if (r->nrc >= 2 * h->conf.max_fields + 10)
			return 0;
		h3_keep(r, value, sp);
		return 0;
	}
	if (r->msg.nfields >= h->conf.max_fields) {
		r->too_large = true;
		return 0;
	}
	if (token == NGHTTP3_QPACK_TOKEN_CONTENT_LENGTH) {
		int64_t cl = 0;
		size_t i;

		/* nghttp3 has checked it is digits and fits. */
		for (i = 0; i < v.len; i++)
			cl = cl * 10 + (v.base[i] - '0');
		r->msg.content_length = cl;
	}
	f = &r->fields[r->msg.nfields++];
	h3_keep(r, name, &f->name);
	h3_keep(r, value, &f->value);
	return 0;
}

static int
cb_end_headers(nghttp3_conn *ng, int64_t id, int fin, void *ud, void *sud)
{
	struct tq_h3_conn *h = ud;
	struct tq_h3_req *r = h3_find(h, id);

	if (!r || r->done)
		return 0;
	r->msg.fields = r->fields;
	if (h->server) {
		H3_STAT(h, requests, 1);
		if (r->too_large) {
			/* RFC 9114 4.2.2: refuse with 431; the app never
			 * sees it. */
			r->responded = true;
			tq_h3_stat_status(h, 431);
			return tq_h3_submit_response(r, 431, NULL, 0) ?
				NGHTTP3_ERR_CALLBACK_FAILURE : 0;
		}
		r->seen = true;
	} else {
		tq_h3_stat_status(h, r->msg.status);
		if (r->too_large) {
			tq_h3_finish(r, TQ_H3_EXCESSIVE_LOAD,
					TQ_H3_EXCESSIVE_LOAD);
			return 0;
		}
	}
	if (h->ops->headers)
		h->ops->headers(r, &r->msg, h->arg);
	return 0;
}

static int
cb_end_stream(nghttp3_conn *ng, int64_t id, void *ud, void *sud)
{
	struct tq_h3_conn *h = ud;
	struct tq_h3_req *r = h3_find(h, id);

	if (r && r->seen && !r->done && h->ops->end)
		h->ops->end(r, h->arg);
	return 0;
}

static int
cb_stop_sending(nghttp3_conn *ng, int64_t id, uint64_t code, void *ud,
		void *sud)
{
	struct tq_h3_conn *h = ud;
	struct tq_h3_req *r = h3_find(h, id);

	if (r && r->st && !r->rd_fin)
		tq_stream_shutdown_read(r->st, code);
	return 0;
}

static int
cb_reset_stream(nghttp3_conn *ng, int64_t id, uint64_t code, void *ud,
		void *sud)
{
	struct tq_h3_conn *h = ud;
	struct tq_h3_req *r = h3_find(h, id);

	if (r) {
		if (r->kind == H3_REQ)
			tq_h3_finish(r, code, code);
		else if (r->st && !r->done) {
			/* An unknown unidirectional stream type: stop
			 * reading it. */
			r->done = true;
			tq_stream_shutdown_read(r->st, code);
		}
	}
	return 0;
}

static int
cb_shutdown(nghttp3_conn *ng, int64_t id, void *ud)
{
	struct tq_h3_conn *h = ud;

	h->goaway_rx = true;
	H3_STAT(h, goaways_rx, 1);
	if (h->ops->goaway)
		h->ops->goaway(h, id, h->arg);
	return 0;
}

nghttp3_ssize
tq_h3_read_data(nghttp3_conn *ng, int64_t id, nghttp3_vec *vec, size_t veccnt,
		uint32_t *pflags, void *ud, void *sud)
{
	struct tq_h3_conn *h = ud;
	struct tq_h3_req *r = h3_find(h, id);
	uint32_t n, off;

	if (!r)
		return NGHTTP3_ERR_CALLBACK_FAILURE;
	if (!r->stream_body) {
		if (r->body_off < r->body_len) {
			vec[0].base = (uint8_t *)(uintptr_t)(r->body +
					r->body_off);
			vec[0].len = r->body_len - r->body_off;
			r->body_off = r->body_len;
			*pflags |= NGHTTP3_DATA_FLAG_EOF;
			return 1;
		}
		*pflags |= NGHTTP3_DATA_FLAG_EOF;
		return 0;
	}
	n = (uint32_t)(r->r_tail - r->r_given);
	if (n == 0) {
		if (r->body_eof) {
			*pflags |= NGHTTP3_DATA_FLAG_EOF;
			return 0;
		}
		return NGHTTP3_ERR_WOULDBLOCK;
	}
	/* Lend [given, tail) of the ring: one or two pieces. */
	off = (uint32_t)(r->r_given % r->ring_size);
	vec[0].base = r->ring + off;
	vec[0].len = RTE_MIN(n, r->ring_size - off);
	r->r_given = r->r_tail;
	if (r->body_eof)
		*pflags |= NGHTTP3_DATA_FLAG_EOF;
	if (vec[0].len == n || veccnt < 2)
		return 1;
	vec[1].base = r->ring;
	vec[1].len = n - vec[0].len;
	return 2;
}

static const nghttp3_callbacks h3_callbacks = {
	.acked_stream_data = cb_acked,
	.stream_close = cb_stream_close,
	.recv_data = cb_recv_data,
	.begin_headers = cb_begin_headers,
	.recv_header = cb_recv_header,
	.end_headers = cb_end_headers,
	.stop_sending = cb_stop_sending,
	.end_stream = cb_end_stream,
	.reset_stream = cb_reset_stream,
	.shutdown = cb_shutdown,
};

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
		h->dirty = true;
		if (nghttp3_conn_unblock_stream(h->ng, r->id))
			h3_conn_fail(h, TQ_H3_INTERNAL_ERROR);
	}
	tq_h3_leave(h);
}

static void
st_peer_reset(struct tq_stream *st, uint64_t code, void *ctx)
{
	struct tq_h3_req *r = ctx;
	struct tq_h3_conn *h = r->h;

	tq_h3_enter(h);
	h->dirty = true;
	if (r->kind == H3_REQ) {
		nghttp3_conn_shutdown_stream_read(h->ng, r->id);
		tq_h3_finish(r, code ? code : TQ_H3_REQUEST_CANCELLED,
				TQ_H3_REQUEST_CANCELLED);
	} else {
		/* nghttp3 knows whether it was critical: h3_req_end()'s
		 * nghttp3_conn_close_stream() says so. */
		tq_h3_finish(r, 0, 0);
	}
	tq_h3_leave(h);
}

static void
st_stop_sending(struct tq_stream *st, uint64_t code, void *ctx)
{
	struct tq_h3_req *r = ctx;
	struct tq_h3_conn *h = r->h;

	tq_h3_enter(h);
	h->dirty = true;
	nghttp3_conn_shutdown_stream_write(h->ng, r->id);
	if (r->kind == H3_REQ)
		tq_h3_finish(r, code ? code : TQ_H3_REQUEST_CANCELLED,
				TQ_H3_REQUEST_CANCELLED);
	else
		h3_conn_fail(h, TQ_H3_CLOSED_CRITICAL_STREAM);
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
		else if (!code)
			code = r->rd_fin && r->wr_fin ? 0 :
				TQ_H3_REQUEST_CANCELLED;
		tq_h3_finish(r, code, 0);
	} else if (r->kind == H3_PEER_UNI && why == TQ_CLOSE_NORMAL &&
			!h->closing && !h->gone) {
		/* Ended on its own (not with the connection): nghttp3
		 * fails the session if it was critical.  A stream ended
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

static int
h3_open_uni(struct tq_h3_conn *h)
{
	struct tq_stream *st[3];
	int err = 0, i, rv;

	for (i = 0; i < 3; i++) {
		st[i] = tq_conn_stream_open(h->c, TQ_STREAM_UNI, NULL, NULL,
				&err);
		if (!st[i]) {
			while (i-- > 0)
				tq_stream_abort(st[i], TQ_H3_INTERNAL_ERROR);
			return err;
		}
	}
	for (i = 0; i < 3; i++)
		if (!tq_h3_req_new(h, st[i], H3_LOCAL_UNI))
			return -ENOMEM;
	h->uni_open = true;
	h->dirty = true;
	rv = nghttp3_conn_bind_control_stream(h->ng, tq_stream_id(st[0]));
	if (rv == 0)
		rv = nghttp3_conn_bind_qpack_streams(h->ng,
				tq_stream_id(st[1]), tq_stream_id(st[2]));
	return rv ? -EPROTO : 0;
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
			h3_conn_fail(h, TQ_H3_INTERNAL_ERROR);
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
			h3_conn_fail(h, TQ_H3_INTERNAL_ERROR);
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

	if (h->closing || h->gone)
		return;		/* left without ops: refused */
	tq_h3_enter(h);
	/* A request in 0-RTT comes before established(): the control and
	 * QPACK streams first, as the response needs them. */
	if (h->server && !h->uni_open) {
		int rv = h3_open_uni(h);

		if (rv < 0 && rv != -ENOTCONN && rv != -EAGAIN)
			h3_conn_fail(h, TQ_H3_INTERNAL_ERROR);
	}
	if (!tq_stream_is_uni(st) && !h->server) {
		/* RFC 9114 6.1: servers open no bidirectional streams. */
		h3_conn_fail(h, TQ_H3_STREAM_CREATION_ERROR);
	} else {
		r = tq_h3_req_new(h, st, tq_stream_is_uni(st) ? H3_PEER_UNI :
				H3_REQ);
		if (!r)
			h3_conn_fail(h, TQ_H3_INTERNAL_ERROR);
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
	nghttp3_settings set;
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
	h->mem = (nghttp3_mem){ .user_data = h, .malloc = h3_malloc,
		.free = h3_free, .calloc = h3_calloc,
		.realloc = h3_realloc };
	nghttp3_settings_default(&set);
	set.max_field_section_size = h->conf.max_field_section;
	/* No dynamic table: no stream can block on the encoder stream, and
	 * the decoder's state stays small. */
	set.qpack_max_dtable_capacity = 0;
	set.qpack_blocked_streams = 0;
	rv = server ? nghttp3_conn_server_new(&h->ng, &h3_callbacks, &set,
			&h->mem, h) :
		nghttp3_conn_client_new(&h->ng, &h3_callbacks, &set,
			&h->mem, h);
	if (rv) {
		free(h);
		tq_h3_mem_session(-1);
		*err = -ENOMEM;
		return NULL;
	}
	if (server)
		nghttp3_conn_set_max_client_streams_bidi(h->ng, 1ull << 60);
	rv = h3_open_uni(h);
	/* -ENOTCONN: at established(); -EAGAIN: at streams_available(). */
	if (rv < 0 && rv != -ENOTCONN && rv != -EAGAIN) {
		while (h->reqs)
			h3_req_free(h->reqs);
		nghttp3_conn_del(h->ng);
		free(h);
		tq_h3_mem_session(-1);
		*err = rv;
		return NULL;
	}
	tq_conn_set_udata(c, h);
	tq_conn_set_ops(c, &h3_conn_ops);
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
	int rv;

	if (h->closing || h->gone)
		return -ENOTCONN;
	if (h->shutting)
		return 0;
	tq_h3_enter(h);
	h->shutting = true;
	h->dirty = true;
	rv = nghttp3_conn_submit_shutdown_notice(h->ng);
	if (rv == 0)
		rv = nghttp3_conn_shutdown(h->ng);
	if (rv == 0)
		H3_STAT(h, goaways_tx, 1);
	else
		h3_conn_fail_lib(h, rv);
	h3_flush(h);
	h3_shutdown_done(h);
	tq_h3_leave(h);
	return 0;
}

void
tq_h3_close(struct tq_h3_conn *h, uint64_t code)
{
	tq_h3_enter(h);
	h3_conn_fail(h, code);
	tq_h3_leave(h);
}

