/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The in-memory transport of many streams (tq_memconn.h).  State lives
 * in one shared object per stream (its two directions, "halves", and its
 * two ends); API calls only set state, and tq_memconn_pump() moves bytes
 * and runs the callbacks.  Streams are freed only at the end of a pass,
 * so a callback may close or abort anything.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/tq_stream_impl.h"
#include "tq_memconn.h"
#include "tq_test.h"

struct mc_half {		/* the bytes one side sends */
	struct rte_mbuf *sq;	/* written, not moved yet */
	uint32_t sq_bytes;
	struct rte_mbuf *rq;	/* moved, not read yet */
	uint32_t rq_bytes;
	bool exists;
	bool fin, fin_moved, fin_told;
	bool reset, reset_told;
	uint64_t reset_code;
	bool stop, stop_told;	/* the receiver's STOP_SENDING */
	uint64_t stop_code;
	bool rd_shut;		/* the receiver reads no more */
	bool wr_armed, rd_pending;
};

struct mc_shared;

struct mc_stream {
	struct tq_stream st;
	struct mc_shared *sh;
	int side;
	bool exists;		/* the peer's end: once announced */
	bool app_closed, aborted, closed_done;
};

struct mc_shared {
	struct tq_memconn *mc;
	struct mc_half half[2];	/* half[s]: sent by side s */
	struct mc_stream end[2];
	int opener;
	bool uni;
	bool announced;
	struct mc_shared *next;
};

struct mc_end {
	struct tq_conn c;
	struct tq_memconn *mc;
	int side;
	uint64_t next_bidi, next_uni;
	bool est_told, closed_told;
	bool want[2];		/* -EAGAIN given, by uni */
};

struct tq_memconn {
	struct mc_end end[2];
	struct tq_memconn_conf conf;
	struct mc_shared *streams;
	bool close_req, closed;
	int closer;
	uint64_t close_code;
};

static const struct tq_stream_vt mc_stream_vt;
static const struct tq_conn_vt mc_conn_vt;

#define ST2MS(st) ((struct mc_stream *)(st))

/* ---- mbuf queues: one chain each ---- */

static void
q_append(struct rte_mbuf **q, uint32_t *bytes, struct rte_mbuf *m)
{
	*bytes += m->pkt_len;
	if (!*q)
		*q = m;
	else if (rte_pktmbuf_chain(*q, m))
		abort();	/* too many segments: a test sizing bug */
}

/* Take the first n bytes of the queue as a chain of their own. */
static struct rte_mbuf *
q_take(struct rte_mbuf **q, uint32_t *bytes, uint32_t n)
{
	struct rte_mbuf *m = *q, *rest;

	if (!m || n == 0)
		return NULL;
	if (n >= m->pkt_len) {
		*q = NULL;
		*bytes = 0;
		return m;
	}
	rest = tq_mbuf_split(m, n, tq_test_pool());
	if (!rest)
		return NULL;
	*q = rest;
	*bytes -= n;
	return m;
}

static void
q_drop(struct rte_mbuf **q, uint32_t *bytes)
{
	rte_pktmbuf_free(*q);
	*q = NULL;
	*bytes = 0;
}

static uint32_t
q_segs(const struct rte_mbuf *q)
{
	return q ? q->nb_segs : 0;
}

/* ---- roles ---- */

static bool
can_write(const struct mc_stream *s)
{
	return !s->sh->uni || s->sh->opener == s->side;
}

static bool
can_read(const struct mc_stream *s)
{
	return !s->sh->uni || s->sh->opener != s->side;
}

static struct mc_half *
tx_half(struct mc_stream *s)
{
	return &s->sh->half[s->side];
}

static struct mc_half *
rx_half(struct mc_stream *s)
{
	return &s->sh->half[!s->side];
}

/* ---- writing ---- */

static int
mc_write_check(const struct tq_stream *st)
{
	struct mc_stream *s = ST2MS(st);
	const struct mc_half *h = &s->sh->half[s->side];

	if (!can_write(s))
		return -EBADF;
	if (s->sh->mc->closed || s->sh->mc->close_req)
		return -ENOTCONN;
	if (h->fin || h->reset || h->stop || s->app_closed || s->closed_done)
		return -EPIPE;
	return 0;
}

static uint32_t
mc_space(struct mc_stream *s, uint32_t *segs)
{
	struct tq_memconn *mc = s->sh->mc;
	struct mc_half *h = tx_half(s);
	uint32_t n = q_segs(h->sq);

	*segs = n < mc->conf.sndbuf_mbufs ? mc->conf.sndbuf_mbufs - n : 0;
	return h->sq_bytes < mc->conf.sndbuf ?
		mc->conf.sndbuf - h->sq_bytes : 0;
}

static int
mc_write(struct tq_stream *st, const void *buf, uint32_t len)
{
	struct mc_stream *s = ST2MS(st);
	struct mc_half *h = tx_half(s);
	uint32_t segs, space, done = 0;
	int rv = mc_write_check(st);

	if (rv)
		return rv;
	space = mc_space(s, &segs);
	while (done < len && done < space && segs > 0) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(tq_test_pool());
		uint32_t k;

		if (!m)
			break;
		k = RTE_MIN(len - done, space - done);
		k = RTE_MIN(k, (uint32_t)rte_pktmbuf_tailroom(m));
		memcpy(rte_pktmbuf_append(m, (uint16_t)k),
				(const uint8_t *)buf + done, k);
		q_append(&h->sq, &h->sq_bytes, m);
		done += k;
		segs--;
	}
	if (done < len)
		h->wr_armed = true;
	return (int)done;
}

static int
mc_write_mbuf(struct tq_stream *st, struct rte_mbuf *m, struct rte_mbuf **rest)
{
	struct mc_stream *s = ST2MS(st);
	struct mc_half *h = tx_half(s);
	uint32_t segs, space, n;
	int rv = mc_write_check(st);

	*rest = m;
	if (rv)
		return rv;
	space = mc_space(s, &segs);
	n = RTE_MIN(space, m->pkt_len);
	if (segs < m->nb_segs || n == 0) {
		h->wr_armed = true;
		return 0;
	}
	if (n < m->pkt_len) {
		*rest = tq_mbuf_split(m, n, tq_test_pool());
		if (!*rest) {
			*rest = m;
			return 0;
		}
		h->wr_armed = true;
	} else {
		*rest = NULL;
	}
	q_append(&h->sq, &h->sq_bytes, m);
	return (int)n;
}

static uint32_t
mc_write_space(struct tq_stream *st, uint32_t *segs)
{
	struct mc_stream *s = ST2MS(st);
	uint32_t n;

	if (!can_write(s)) {
		*segs = 0;
		return 0;
	}
	n = mc_space(s, segs);
	if (n < s->sh->mc->conf.lowat || *segs < s->sh->mc->conf.lowat / 512)
		tx_half(s)->wr_armed = true;
	return n;
}

static uint32_t
mc_send_hint(struct tq_stream *st)
{
	uint32_t segs;

	return can_write(ST2MS(st)) ? mc_space(ST2MS(st), &segs) : 0;
}

/* ---- reading ---- */

static int
mc_read_check(struct mc_stream *s)
{
	struct mc_half *h = rx_half(s);

	if (!can_read(s))
		return -EBADF;
	if (h->reset_told)
		return -ECONNRESET;
	if (h->rd_shut)
		return 0;
	if (h->rq_bytes == 0)
		return h->fin_moved ? 0 : -EAGAIN;
	return 1;
}

static struct rte_mbuf *
mc_read_mbuf(struct tq_stream *st, uint32_t max_bytes, uint32_t max_segs)
{
	struct mc_stream *s = ST2MS(st);
	struct mc_half *h = rx_half(s);

	if (mc_read_check(s) <= 0)
		return NULL;
	return q_take(&h->rq, &h->rq_bytes, max_bytes);
}

static int
mc_read(struct tq_stream *st, void *buf, uint32_t len)
{
	struct mc_stream *s = ST2MS(st);
	struct rte_mbuf *m, *seg;
	uint32_t off = 0;
	int rv = mc_read_check(s);

	if (rv <= 0)
		return rv;
	m = q_take(&rx_half(s)->rq, &rx_half(s)->rq_bytes, len);
	if (!m)
		return -ENOMEM;
	for (seg = m; seg; seg = seg->next) {
		memcpy((uint8_t *)buf + off, rte_pktmbuf_mtod(seg, void *),
				seg->data_len);
		off += seg->data_len;
	}
	rte_pktmbuf_free(m);
	return (int)off;
}

static uint32_t
mc_readable(const struct tq_stream *st)
{
	struct mc_stream *s = ST2MS(st);

	return can_read(s) ? rx_half(s)->rq_bytes : 0;
}

static bool
mc_eof(const struct tq_stream *st)
{
	struct mc_stream *s = ST2MS(st);
	struct mc_half *h = rx_half(s);

	return can_read(s) && (h->rd_shut ||
			(h->fin_moved && h->rq_bytes == 0));
}

/* ---- ending ---- */

static int
mc_shutdown(struct tq_stream *st)
{
	struct mc_stream *s = ST2MS(st);

	if (!can_write(s))
		return -EBADF;
	if (s->sh->mc->closed || s->sh->mc->close_req)
		return -ENOTCONN;
	tx_half(s)->fin = true;
	return 0;
}

static int
mc_shutdown_read(struct tq_stream *st, uint64_t code)
{
	struct mc_stream *s = ST2MS(st);
	struct mc_half *h = rx_half(s);

	if (!can_read(s))
		return -EBADF;
	if (!h->rd_shut) {
		h->rd_shut = true;
		q_drop(&h->rq, &h->rq_bytes);
		if (!h->fin_moved && !h->reset) {
			h->stop = true;
			h->stop_code = code;
		}
	}
	return 0;
}

static void
mc_abort(struct tq_stream *st, uint64_t code)
{
	struct mc_stream *s = ST2MS(st);

	if (s->closed_done || s->aborted)
		return;
	s->aborted = true;
	if (can_write(s)) {
		struct mc_half *h = tx_half(s);

		if (!h->fin_moved && !h->reset) {
			h->reset = true;
			h->reset_code = code;
			q_drop(&h->sq, &h->sq_bytes);
		}
	}
	if (can_read(s))
		mc_shutdown_read(st, code);
}

static void
mc_close(struct tq_stream *st)
{
	struct mc_stream *s = ST2MS(st);

	if (s->app_closed || s->closed_done)
		return;
	if (can_read(s) && rx_half(s)->rq_bytes)
		mc_abort(st, 0);	/* unread data: reset */
	else {
		if (can_write(s))
			tx_half(s)->fin = true;
		if (can_read(s))
			mc_shutdown_read(st, 0);
	}
	s->app_closed = true;
}

static int
mc_set_opt(struct tq_stream *st, enum tq_stream_opt opt, uint32_t val)
{
	return -ENOTSUP;
}

static const struct tq_stream_vt mc_stream_vt = {
	.read = mc_read,
	.read_mbuf = mc_read_mbuf,
	.readable = mc_readable,
	.eof = mc_eof,
	.write = mc_write,
	.write_mbuf = mc_write_mbuf,
	.write_space = mc_write_space,
	.write_check = mc_write_check,
	.send_hint = mc_send_hint,
	.shutdown = mc_shutdown,
	.shutdown_read = mc_shutdown_read,
	.close = mc_close,
	.abort = mc_abort,
	.set_opt = mc_set_opt,
};

/* ---- connections ---- */

static void
mc_info(const struct tq_conn *c, struct tq_conn_info *info)
{
	const struct mc_end *e = (const struct mc_end *)c;

	info->state = e->mc->closed ? "closed" : "established";
	info->cc = "none";
	info->mss = 1200;
}

static void
mc_conn_close(struct tq_conn *c, uint64_t code)
{
	struct mc_end *e = (struct mc_end *)c;
	struct tq_memconn *mc = e->mc;

	if (mc->close_req || mc->closed)
		return;
	mc->close_req = true;
	mc->closer = e->side;
	mc->close_code = code;
}

static unsigned int
mc_open_count(struct tq_memconn *mc, int side, bool uni)
{
	struct mc_shared *sh;
	unsigned int n = 0;

	for (sh = mc->streams; sh; sh = sh->next)
		if (sh->opener == side && sh->uni == uni &&
				!(sh->end[0].closed_done &&
				  sh->end[1].closed_done))
			n++;
	return n;
}

static struct tq_stream *
mc_stream_open(struct tq_conn *c, unsigned int flags,
		const struct tq_stream_ops *ops, void *ctx, int *err)
{
	struct mc_end *e = (struct mc_end *)c;
	struct tq_memconn *mc = e->mc;
	bool uni = flags & TQ_STREAM_UNI;
	struct mc_shared *sh;
	int i;

	if (mc->closed || mc->close_req) {
		*err = -ENOTCONN;
		return NULL;
	}
	if (mc_open_count(mc, e->side, uni) >= mc->conf.max_streams) {
		e->want[uni] = true;
		*err = -EAGAIN;
		return NULL;
	}
	sh = calloc(1, sizeof(*sh));
	if (!sh) {
		*err = -ENOMEM;
		return NULL;
	}
	sh->mc = mc;
	sh->uni = uni;
	sh->opener = e->side;
	sh->half[e->side].exists = true;
	sh->half[!e->side].exists = !uni;
	for (i = 0; i < 2; i++) {
		struct mc_stream *s = &sh->end[i];

		s->sh = sh;
		s->side = i;
		s->st.vt = &mc_stream_vt;
		s->st.conn = &mc->end[i].c;
		s->st.id = uni ? (int64_t)(4 * e->next_uni + 2 + e->side) :
			(int64_t)(4 * e->next_bidi + e->side);
		s->st.flags = (uint8_t)((uni ? TQ_STREAM_F_UNI : 0) |
				(i == e->side ? TQ_STREAM_F_LOCAL : 0));
	}
	if (uni)
		e->next_uni++;
	else
		e->next_bidi++;
	sh->end[e->side].exists = true;
	sh->end[e->side].st.ops = ops;
	sh->end[e->side].st.ctx = ctx;
	sh->next = mc->streams;
	mc->streams = sh;
	return &sh->end[e->side].st;
}

static const struct tq_conn_vt mc_conn_vt = {
	.info = mc_info,
	.close = mc_conn_close,
	.abort = mc_conn_close,
	.stream_open = mc_stream_open,
};

struct tq_memconn *
tq_memconn_new(const struct tq_memconn_conf *conf)
{
	struct tq_memconn *mc = calloc(1, sizeof(*mc));
	int i;

	if (!mc)
		return NULL;
	if (conf)
		mc->conf = *conf;
	if (!mc->conf.sndbuf)
		mc->conf.sndbuf = 65536;
	if (!mc->conf.sndbuf_mbufs)
		mc->conf.sndbuf_mbufs = RTE_MAX(mc->conf.sndbuf / 512, 4u);
	if (!mc->conf.lowat)
		mc->conf.lowat = mc->conf.sndbuf / 2;
	if (!mc->conf.rcvbuf)
		mc->conf.rcvbuf = 65536;
	if (!mc->conf.max_streams)
		mc->conf.max_streams = 256;
	for (i = 0; i < 2; i++) {
		mc->end[i].c.vt = &mc_conn_vt;
		mc->end[i].c.transport = TQ_TRANSPORT_QUIC;
		mc->end[i].mc = mc;
		mc->end[i].side = i;
	}
	return mc;
}

struct tq_conn *
tq_memconn_end(struct tq_memconn *mc, int side)
{
	return &mc->end[side].c;
}

bool
tq_memconn_closed(const struct tq_memconn *mc)
{
	return mc->closed;
}

/* ---- the pump ---- */

static bool
live(const struct mc_stream *s)
{
	return s->exists && !s->app_closed && !s->closed_done;
}

static bool
end_done(struct mc_stream *s, enum tq_close_reason *why)
{
	struct mc_half *tx = tx_half(s), *rx = rx_half(s);
	bool wdone = !can_write(s) || tx->reset_told ||
		(tx->fin_moved && !tx->sq);
	bool rdone = !can_read(s) || rx->reset_told || rx->rd_shut ||
		(rx->fin_moved && rx->rq_bytes == 0 && rx->fin_told);

	if (s->aborted)
		*why = TQ_CLOSE_ABORTED;
	else if ((can_read(s) && rx->reset_told) ||
			(can_write(s) && tx->stop_told))
		*why = TQ_CLOSE_RESET;
	else
		*why = TQ_CLOSE_NORMAL;
	return wdone && rdone;
}

static unsigned int
pump_half(struct tq_memconn *mc, struct mc_shared *sh, int d, uint32_t chunk)
{
	struct mc_half *h = &sh->half[d];
	struct mc_stream *snd = &sh->end[d], *rcv = &sh->end[!d];
	unsigned int did = 0;

	if (!h->exists || !rcv->exists)
		return 0;
	if (h->reset && !h->reset_told) {
		h->reset_told = true;
		q_drop(&h->sq, &h->sq_bytes);
		q_drop(&h->rq, &h->rq_bytes);
		if (live(rcv))
			tq_stream_cb_peer_reset(&rcv->st, h->reset_code);
		else
			rcv->st.err_code = h->reset_code;
		did++;
	}
	if (h->stop && !h->stop_told) {
		h->stop_told = true;
		if (live(snd))
			tq_stream_cb_stop_sending(&snd->st, h->stop_code);
		/* RFC 9000 3.5: the sender answers with RESET_STREAM. */
		if (!h->fin_moved && !h->reset) {
			h->reset = true;
			h->reset_code = h->stop_code;
			q_drop(&h->sq, &h->sq_bytes);
		}
		did++;
	}
	if (!h->reset) {
		uint32_t room = h->rq_bytes < mc->conf.rcvbuf ?
			mc->conf.rcvbuf - h->rq_bytes : 0;
		uint32_t n = RTE_MIN(RTE_MIN(chunk, h->sq_bytes),
				h->rd_shut ? h->sq_bytes : room);
		struct rte_mbuf *m = q_take(&h->sq, &h->sq_bytes, n);

		if (m) {
			if (h->rd_shut)
				rte_pktmbuf_free(m);
			else
				q_append(&h->rq, &h->rq_bytes, m);
			h->rd_pending = true;
			did++;
		}
		if (h->fin && !h->sq && !h->fin_moved) {
			h->fin_moved = true;
			h->rd_pending = true;
			did++;
		}
	}
	if (h->rd_pending) {
		h->rd_pending = false;
		if (live(rcv) && !h->rd_shut)
			tq_stream_cb_readable(&rcv->st);
	}
	if (h->fin_moved && !h->fin_told && !h->reset) {
		h->fin_told = true;
		if (live(rcv) && !h->rd_shut)
			tq_stream_cb_peer_fin(&rcv->st);
		did++;
	}
	if (h->wr_armed && live(snd) && !h->fin && !h->reset) {
		uint32_t segs, space = mc_space(snd, &segs);

		if (space >= mc->conf.lowat) {
			h->wr_armed = false;
			tq_stream_cb_writable(&snd->st);
			did++;
		}
	}
	return did;
}

static void
end_close(struct mc_stream *s, enum tq_close_reason why)
{
	s->closed_done = true;
	tq_stream_cb_closed(&s->st, why);
}

static void
sweep(struct tq_memconn *mc)
{
	struct mc_shared **p = &mc->streams;

	while (*p) {
		struct mc_shared *sh = *p;

		if ((sh->end[0].closed_done || !sh->end[0].exists) &&
				(sh->end[1].closed_done || !sh->end[1].exists)) {
			int d;

			*p = sh->next;
			for (d = 0; d < 2; d++) {
				q_drop(&sh->half[d].sq, &sh->half[d].sq_bytes);
				q_drop(&sh->half[d].rq, &sh->half[d].rq_bytes);
			}
			free(sh);
		} else {
			p = &sh->next;
		}
	}
}

static void
conn_teardown(struct tq_memconn *mc)
{
	struct mc_shared *sh;
	int i;

	for (sh = mc->streams; sh; sh = sh->next)
		for (i = 0; i < 2; i++) {
			struct mc_stream *s = &sh->end[i];

			if (!s->exists || s->closed_done)
				continue;
			s->st.err_code = mc->close_code;
			end_close(s, i == mc->closer ? TQ_CLOSE_ABORTED :
					TQ_CLOSE_RESET);
		}
	mc->closed = true;
	for (i = 0; i < 2; i++) {
		struct mc_end *e = &mc->end[i];

		if (!e->closed_told) {
			e->closed_told = true;
			tq_conn_cb_closed(&e->c, i == mc->closer ?
					TQ_CLOSE_NORMAL : TQ_CLOSE_RESET,
					mc->close_code);
		}
	}
}

unsigned int
tq_memconn_pump(struct tq_memconn *mc, uint32_t chunk)
{
	bool closing = mc->close_req;
	unsigned int did = 0;
	struct mc_shared *sh;
	int i;

	if (mc->closed)
		return 0;
	for (i = 0; i < 2; i++)
		if (!mc->end[i].est_told && mc->end[i].c.ops) {
			mc->end[i].est_told = true;
			tq_conn_cb_established(&mc->end[i].c);
			did++;
		}
	for (sh = mc->streams; sh; sh = sh->next) {
		struct mc_half *o = &sh->half[sh->opener];
		struct mc_stream *peer = &sh->end[!sh->opener];
		enum tq_close_reason why;

		if (!sh->announced && (o->sq_bytes || o->fin || o->reset)) {
			sh->announced = true;
			peer->exists = true;
			tq_conn_cb_new_stream(&mc->end[!sh->opener].c,
					&peer->st);
			if (!peer->st.ops) {
				/* Refused: STOP_SENDING and RESET_STREAM
				 * with code 0. */
				mc_abort(&peer->st, 0);
				peer->app_closed = true;
			}
			did++;
		}
		did += pump_half(mc, sh, 0, chunk);
		did += pump_half(mc, sh, 1, chunk);
		for (i = 0; i < 2; i++) {
			struct mc_stream *s = &sh->end[i];

			if (s->exists && !s->closed_done && end_done(s, &why)) {
				end_close(s, why);
				did++;
			}
		}
	}
	if (closing) {
		conn_teardown(mc);
		did++;
	}
	sweep(mc);
	/* MAX_STREAMS: room again for a side that was refused. */
	for (i = 0; i < 2 && !mc->closed; i++) {
		int u;

		for (u = 0; u < 2; u++)
			if (mc->end[i].want[u] && mc_open_count(mc, i, u) <
					mc->conf.max_streams) {
				mc->end[i].want[u] = false;
				tq_conn_cb_streams_available(&mc->end[i].c,
						u);
				did++;
			}
	}
	return did;
}

unsigned int
tq_memconn_run(struct tq_memconn *mc, uint32_t chunk, unsigned int max_passes)
{
	unsigned int n = 0;

	while (n < max_passes && tq_memconn_pump(mc, chunk))
		n++;
	return n;
}

void
tq_memconn_free(struct tq_memconn *mc)
{
	struct mc_shared *sh;
	int i;

	for (sh = mc->streams; sh; sh = sh->next)
		for (i = 0; i < 2; i++)
			sh->end[i].closed_done = true;
	sweep(mc);
	free(mc);
}
