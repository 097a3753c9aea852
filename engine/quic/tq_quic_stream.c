/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC streams behind the neutral stream API (tq_stream_vt) and the
 * connection's tq_conn_vt: IDs by role, peer streams opened by their
 * first frame, send rings, zero-copy receive, the stream's end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "quic/tq_quic_conn_priv.h"

#define RX_SEGS 4096
/* send units a slot holds: a 256 KiB send buffer's (sndbuf / 512) */
#define SLOT_UNITS 512

static const struct tq_stream_vt stream_vt;

/* ---- stream memory ---- */

struct qs_slot {
	struct tq_quic_stream s;	/* first: a stream is its slot */
	struct qs_slot *next_free;
	/* neither is read before it is written: not zeroed on reuse */
	uint64_t mu[SLOT_UNITS];
	struct tq_quic_rxseg segs[RX_SEGS];
};

/*
 * Send rings kept for the next streams' first writes: a malloc() of a
 * 256 KiB ring and its free() cost some 500 instructions a request
 * (bench/quic/cost.sh).  Only rings of one size (a connection's
 * configured sndbuf, not grown ones) are kept, at most POOL_RINGS,
 * so what they pin is bounded (16 MiB at the default size, of which
 * only what streams wrote was ever touched).
 */
#define POOL_RINGS 64

struct tq_quic_stream_pool {
	struct qs_slot *free;
	uint32_t n_free, keep, in_use;
	uint32_t n_rings, ring_cap;
	uint8_t *rings[POOL_RINGS];
	uint64_t made, taken, rings_reused;
};

static struct qs_slot *
slot_of(struct tq_quic_stream *s)
{
	return (struct qs_slot *)s;
}

static struct qs_slot *
slot_make(struct tq_quic_stream_pool *p)
{
	/* malloc, not calloc: only the stream's part needs zeroes, and
	 * slot_get gives them */
	struct qs_slot *x = malloc(sizeof(*x));

	if (x)
		p->made++;
	return x;
}

int
tq_quic_stream_pool_new(uint32_t prealloc, uint32_t keep,
		struct tq_quic_stream_pool **out)
{
	struct tq_quic_stream_pool *p = calloc(1, sizeof(*p));
	uint32_t i;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->keep = RTE_MAX(keep, prealloc);
	for (i = 0; i < prealloc; i++) {
		struct qs_slot *x = slot_make(p);

		if (!x) {
			tq_quic_stream_pool_free(p);
			return -ENOMEM;
		}
		x->next_free = p->free;
		p->free = x;
		p->n_free++;
	}
	*out = p;
	return 0;
}

void
tq_quic_stream_pool_free(struct tq_quic_stream_pool *p)
{
	struct qs_slot *x;

	if (!p)
		return;
	while ((x = p->free) != NULL) {
		p->free = x->next_free;
		free(x);
	}
	while (p->n_rings)
		free(p->rings[--p->n_rings]);
	free(p);
}

void
tq_quic_stream_pool_stats(const struct tq_quic_stream_pool *p,
		struct tq_quic_stream_pool_stats *st)
{
	st->made = p->made;
	st->taken = p->taken;
	st->in_use = p->in_use;
	st->free = p->n_free;
	st->rings = p->n_rings;
	st->rings_reused = p->rings_reused;
}

static struct qs_slot *
slot_get(struct tq_quic_stream_pool *p)
{
	struct qs_slot *x = p->free;

	if (x) {
		p->free = x->next_free;
		p->n_free--;
	} else if (!(x = slot_make(p))) {
		return NULL;
	}
	memset(&x->s, 0, sizeof(x->s));
	p->in_use++;
	p->taken++;
	return x;
}

static void
slot_put(struct tq_quic_stream_pool *p, struct qs_slot *x)
{
	p->in_use--;
	if (p->n_free >= p->keep) {
		free(x);
		return;
	}
	x->next_free = p->free;
	p->free = x;
	p->n_free++;
}

static bool
is_local(const struct tq_quic_conn *c, uint64_t id)
{
	return (id & 1) == (uint64_t)c->is_server;
}

/* The four kinds of stream count up side by side: consecutive IDs of
 * one kind land in consecutive buckets, each kind offset. */
static struct tq_quic_stream **
bucket(struct tq_quic_conn *c, uint64_t id)
{
	return &c->sbuckets[((id >> 2) + (id & 3) * 17) &
		(TQ_QC_SBUCKETS - 1)];
}

struct tq_quic_stream *
tq_qc_stream_find(struct tq_quic_conn *c, uint64_t id)
{
	struct tq_quic_stream *s;

	for (s = *bucket(c, id); s; s = s->hnext)
		if ((uint64_t)s->st.id == id)
			return s;
	return NULL;
}

void
tq_qc_stream_sendq(struct tq_quic_stream *s)
{
	struct tq_quic_conn *c = s->c;

	if (s->in_sendq)
		return;
	s->in_sendq = true;
	s->snext = NULL;
	if (c->sq_tail)
		c->sq_tail->snext = s;
	else
		c->sq_head = s;
	c->sq_tail = s;
}

static void
sendq_remove(struct tq_quic_stream *s)
{
	struct tq_quic_conn *c = s->c;
	struct tq_quic_stream **pp, *prev = NULL;

	if (!s->in_sendq)
		return;
	for (pp = &c->sq_head; *pp; prev = *pp, pp = &(*pp)->snext)
		if (*pp == s) {
			*pp = s->snext;
			if (c->sq_tail == s)
				c->sq_tail = prev;
			break;
		}
	s->in_sendq = false;
}

static void reap_unmark(struct tq_quic_stream *s);

static struct tq_quic_stream *
stream_new(struct tq_quic_conn *c, uint64_t id)
{
	struct qs_slot *x = slot_get(c->spool);
	bool uni = id & 2, local = is_local(c, id);
	struct tq_quic_stream *s;
	uint64_t peer_max;

	if (!x)
		return NULL;
	s = &x->s;
	s->c = c;
	s->st.vt = &stream_vt;
	s->st.conn = &c->base;
	s->st.id = (int64_t)id;
	s->st.flags = (uint8_t)((uni ? TQ_STREAM_F_UNI : 0) |
			(local ? TQ_STREAM_F_LOCAL : 0));
	s->has_send = !uni || local;
	s->has_recv = !uni || !local;
	if (s->has_send && tq_qc_sq_init(&s->sq, c->cfg.sndbuf) < 0)
		goto fail;
	if (s->has_send) {
		s->mu_limit = RTE_MAX(c->cfg.sndbuf / 512, 1u);
		if (s->mu_limit <= SLOT_UNITS) {
			s->mu_cap = SLOT_UNITS;
			s->mu = x->mu;
		} else {
			s->mu_cap = s->mu_limit;
			s->mu = malloc(s->mu_cap * sizeof(*s->mu));
			if (!s->mu)
				goto fail;
		}
	}
	/* descriptors come with the first data (tq_qc_stream_rx_ready) */
	tq_quic_rxbuf_init(&s->rb, NULL, 0, c->cfg.max_stream_data * 16,
			false, &tq_qc_mbuf_ref_ops);
	tq_quic_fc_rx_init(&s->fcr, s->has_recv ? c->cfg.max_stream_data : 0,
			c->cfg.max_stream_data * 16, c->now);
	peer_max = uni ? c->ptp.initial_max_stream_data_uni : local ?
		c->ptp.initial_max_stream_data_bidi_remote :
		c->ptp.initial_max_stream_data_bidi_local;
	tq_quic_fc_tx_init(&s->fct, peer_max);
	s->lowat = c->cfg.sndbuf / 2;
	s->sq_max = c->cfg.sndbuf_max;
	s->next = c->streams;
	if (s->next)
		s->next->pprev = &s->next;
	s->pprev = &c->streams;
	c->streams = s;
	s->hnext = *bucket(c, id);
	*bucket(c, id) = s;
	c->nstreams++;
	c->stats.streams_opened++;
	return s;
fail:
	tq_qc_sq_free(&s->sq);
	slot_put(c->spool, x);
	return NULL;
}

/* The stream's send ring back to the pool, or freed. */
static void
sq_release(struct tq_quic_stream *s)
{
	struct tq_quic_stream_pool *p = s->c->spool;

	/* not a grown one: those pin up to sndbuf_max each */
	if (s->sq.buf && p->n_rings < POOL_RINGS &&
			s->sq.cap == s->c->cfg.sndbuf &&
			(p->n_rings == 0 || s->sq.cap == p->ring_cap)) {
		p->ring_cap = s->sq.cap;
		p->rings[p->n_rings++] = s->sq.buf;
		s->sq.buf = NULL;
	}
	tq_qc_sq_free(&s->sq);
}

/* The ring for the first write: a kept one, if it is of the size. */
static int
sq_ready(struct tq_quic_stream *s)
{
	struct tq_quic_stream_pool *p = s->c->spool;

	if (!s->sq.buf && p->n_rings && p->ring_cap == s->sq.cap) {
		s->sq.buf = p->rings[--p->n_rings];
		p->rings_reused++;
	}
	return tq_qc_sq_alloc(&s->sq);
}

/* The receive side's descriptors, at the first data: a stream the peer
 * never sends on costs none.  What the buffer knows (offsets, the final
 * size) stays. */
int
tq_qc_stream_rx_ready(struct tq_quic_stream *s)
{
	struct tq_quic_rxbuf old = s->rb;

	if (s->segs)
		return 0;
	s->segs = slot_of(s)->segs;
	tq_quic_rxbuf_init(&s->rb, s->segs, RX_SEGS, old.max_buffer, false,
			old.ops);
	s->rb.read_off = old.read_off;
	s->rb.max_off = old.max_off;
	s->rb.final_size = old.final_size;
	return 0;
}

static void
stream_free(struct tq_quic_stream *s)
{
	struct tq_quic_conn *c = s->c;
	struct tq_quic_stream **pp;

	sendq_remove(s);
	reap_unmark(s);
	*s->pprev = s->next;
	if (s->next)
		s->next->pprev = s->pprev;
	for (pp = bucket(c, (uint64_t)s->st.id); *pp != s; pp = &(*pp)->hnext)
		;
	*pp = s->hnext;
	c->nstreams--;
	if (!is_local(c, (uint64_t)s->st.id))
		tq_quic_streams_peer_closed(&c->sc[(s->st.id & 2) != 0]);
	tq_quic_rxbuf_reset(&s->rb);
	c->sq_grown -= s->sq_grown;
	sq_release(s);
	if (s->mu != slot_of(s)->mu)
		free(s->mu);
	slot_put(c->spool, slot_of(s));
}

static bool
send_done(const struct tq_quic_stream *s)
{
	return !s->has_send || s->reset_acked ||
		(s->fin_acked && tq_qc_sq_all_acked(&s->sq));
}

static bool
recv_done(const struct tq_quic_stream *s)
{
	if (!s->has_recv || s->peer_reset || tq_quic_rxbuf_fin(&s->rb))
		return true;
	/* stopped: done once the final size is known */
	return s->shut_rd && s->rb.final_size != TQ_QUIC_FINAL_NONE;
}

/* Both directions done: closed() and freed.  Only called where the app
 * cannot hold the stream across the call (the connection's own paths,
 * never from inside a stream call). */
void
tq_qc_stream_maybe_free(struct tq_quic_stream *s)
{
	enum tq_close_reason why = TQ_CLOSE_NORMAL;

	if (!send_done(s) || !recv_done(s))
		return;
	if (s->c->state >= TQ_QUIC_CS_CLOSING)
		return; /* freed with the connection */
	if (!s->closed_told) {
		s->closed_told = true;
		if (s->reset_want && s->st.err_code == s->reset_code &&
				!s->stop_recvd)
			why = TQ_CLOSE_ABORTED;
		else if (s->peer_reset || s->stop_recvd)
			why = TQ_CLOSE_RESET;
		tq_stream_cb_closed(&s->st, why);
	}
	stream_free(s);
}

/*
 * An app call on a stream (a read to its end, a shutdown, a close, an
 * abort) may leave it done, but the app holds it across the call: the
 * stream waits on this list for the end of the entry point.  The
 * connection's own paths (acknowledgements, frames received, leaving
 * the send queue) free theirs on the spot, so only these need a look:
 * walking every stream after each datagram cost ~600 instructions a
 * request with 100 open (bench/quic/cost.sh).
 */
static void
reap_mark(struct tq_quic_stream *s)
{
	struct tq_quic_conn *c = s->c;

	if (s->in_reap)
		return;
	s->in_reap = true;
	s->rnext = c->reap_head;
	c->reap_head = s;
}

static void
reap_unmark(struct tq_quic_stream *s)
{
	struct tq_quic_stream **pp;

	if (!s->in_reap)
		return;
	for (pp = &s->c->reap_head; *pp != s; pp = &(*pp)->rnext)
		;
	*pp = s->rnext;
	s->in_reap = false;
}

/* Called at the end of each connection entry point.  A closed()
 * callback may mark more: they are taken in the same pass. */
static void
reap(struct tq_quic_conn *c)
{
	struct tq_quic_stream *s;

	while ((s = c->reap_head) != NULL) {
		c->reap_head = s->rnext;
		s->in_reap = false;
		/* in the send queue: leaving it looks again (put_streams) */
		if (!s->in_sendq)
			tq_qc_stream_maybe_free(s);
	}
}

void
tq_qc_streams_close_all(struct tq_quic_conn *c, enum tq_close_reason why,
		uint64_t code)
{
	struct tq_quic_stream *s;

	for (s = c->streams; s; s = s->next) {
		if (s->closed_told)
			continue;
		s->closed_told = true;
		if (code)
			s->st.err_code = code;
		tq_stream_cb_closed(&s->st, why);
	}
}

void
tq_qc_streams_free(struct tq_quic_conn *c)
{
	while (c->streams)
		stream_free(c->streams);
}

/* Walks the streams only after one was held back (fc_held), so a peer
 * sending MAX_DATA often costs one branch per frame. */
void
tq_qc_streams_fc_unblock(struct tq_quic_conn *c)
{
	struct tq_quic_stream *s;

	if (!c->fc_held)
		return;
	c->fc_held = false;
	for (s = c->streams; s; s = s->next)
		if (s->has_send && !s->reset_want && s->sq.next < s->sq.end)
			tq_qc_stream_sendq(s);
}

void
tq_qc_streams_on_peer_tp(struct tq_quic_conn *c)
{
	(void)c; /* no stream exists before the parameters arrive */
}

/* Refuse a peer stream the app gave no ops (docs/api.md). */
static void
refuse(struct tq_quic_stream *s)
{
	s->c->stats.streams_refused++;
	s->app_closed = true;
	s->closed_told = true;
	if (s->has_recv) {
		s->shut_rd = true;
		s->stop_want = true;
		s->stop_code = 0;
	}
	if (s->has_send) {
		s->reset_want = true;
		s->reset_code = 0;
		s->reset_final = 0;
	}
	tq_qc_stream_sendq(s);
}

struct tq_quic_stream *
tq_qc_stream_get(struct tq_quic_conn *c, uint64_t id, bool peer_sends,
		enum tq_quic_err *err)
{
	bool uni = id & 2, local = is_local(c, id);
	struct tq_quic_stream *s, *want = NULL;
	uint64_t idx = id >> 2, first, newly, i;

	*err = TQ_QUIC_NO_ERROR;
	/* RFC 9000 19.8, 19.4, 19.5, 19.10, 19.13: a direction that does
	 * not exist */
	if (uni && local == peer_sends) {
		*err = TQ_QUIC_STREAM_STATE_ERROR;
		return NULL;
	}
	s = tq_qc_stream_find(c, id);
	if (s)
		return s;
	if (local) {
		if (idx >= c->sc[uni].local_opened)
			*err = TQ_QUIC_STREAM_STATE_ERROR;
		return NULL; /* else done and freed */
	}
	first = c->sc[uni].peer_opened;
	*err = tq_quic_streams_peer_open(&c->sc[uni], idx, &newly);
	if (*err != TQ_QUIC_NO_ERROR || idx < first)
		return NULL;
	/* it opens the lower ones too (RFC 9000 3.2) */
	for (i = first; i <= idx; i++) {
		uint64_t sid = (i << 2) | (id & 3);

		s = stream_new(c, sid);
		if (!s) {
			*err = TQ_QUIC_INTERNAL_ERROR;
			return NULL;
		}
		tq_conn_cb_new_stream(&c->base, &s->st);
		if (!s->st.ops)
			refuse(s);
		if (sid == id)
			want = s;
	}
	return want;
}

/* ---- the send side's mbuf units ---- */

static uint32_t
mu_free(const struct tq_quic_stream *s)
{
	return s->mu_limit > s->mu_n ? s->mu_limit - s->mu_n : 0;
}

static void
mu_push(struct tq_quic_stream *s, uint64_t end)
{
	s->mu[(s->mu_head + s->mu_n) % s->mu_cap] = end;
	s->mu_n++;
}

/* Units whose bytes are all acknowledged are free again. */
static void
mu_release(struct tq_quic_stream *s)
{
	while (s->mu_n && s->mu[s->mu_head] <= s->sq.base) {
		s->mu_head = (s->mu_head + 1) % s->mu_cap;
		s->mu_n--;
	}
	if (s->mu_n == 0)
		s->mu_tail_room = 0;
}

static int
mu_resize(struct tq_quic_stream *s, uint32_t val)
{
	if (val > s->mu_cap) {
		uint64_t *n = malloc(val * sizeof(*n));
		uint32_t i;

		if (!n)
			return -ENOMEM;
		for (i = 0; i < s->mu_n; i++)
			n[i] = s->mu[(s->mu_head + i) % s->mu_cap];
		if (s->mu != slot_of(s)->mu)
			free(s->mu);
		s->mu = n;
		s->mu_cap = val;
		s->mu_head = 0;
	}
	s->mu_limit = val;
	return 0;
}

/*
 * Send buffer autotuning: a stream whose whole buffer went out while
 * the app had more to write was held to one buffer per round trip, not
 * by the window; double the ring (up to sq_max) at the app's write, out
 * of the per-packet path.  The low-water mark and the units follow
 * when they are still the defaults.
 */
static void
sq_autogrow(struct tq_quic_stream *s)
{
	struct tq_quic_conn *c = s->c;
	uint32_t old = s->sq.cap, cap;

	if (!s->sq_starved)
		return;
	s->sq_starved = false;
	if (old >= s->sq_max)
		return;
	cap = (uint32_t)RTE_MIN((uint64_t)old * 2, (uint64_t)s->sq_max);
	if (c->sq_grown + (cap - old) > c->cfg.sndbuf_grow_total) {
		c->stats.sndbuf_capped++;
		return;
	}
	if (s->mu_limit == RTE_MAX(old / 512, 1u) &&
			mu_resize(s, RTE_MAX(cap / 512, 1u)) < 0)
		return;
	if (tq_qc_sq_grow(&s->sq, cap) < 0)
		return;
	if (s->lowat == old / 2)
		s->lowat = cap / 2;
	s->sq_grown += cap - old;
	c->sq_grown += cap - old;
	c->stats.sndbuf_grows++;
}

static bool
send_low(const struct tq_quic_stream *s)
{
	return tq_qc_sq_space(&s->sq) < s->lowat ||
		mu_free(s) < s->mu_limit / 2;
}

/* ---- tq_stream_vt ---- */

static int
qs_write_check(const struct tq_stream *st)
{
	const struct tq_quic_stream *s = (const struct tq_quic_stream *)st;

	if (!s->has_send)
		return -EBADF;
	if (s->c->state >= TQ_QUIC_CS_CLOSING)
		return -EPIPE;
	if (s->fin_want || s->reset_want || s->stop_recvd || s->app_closed)
		return -EPIPE;
	return 0;
}

static int
qs_write(struct tq_stream *st, const void *buf, uint32_t len)
{
	struct tq_quic_stream *s = tq_qc_stream(st);
	const uint8_t *p = buf;
	uint32_t left, k, done = 0;
	int rc = qs_write_check(st);

	tq_qc_kick(tq_qc_stream(st)->c);
	reap_mark(s);
	if (rc < 0)
		return rc;
	sq_autogrow(s);
	left = RTE_MIN(len, tq_qc_sq_space(&s->sq));
	if (left && sq_ready(s) < 0)
		left = 0;	/* no memory for the ring */
	/* fill the last unit first, then new 2 KiB ones, as TCP fills
	 * its mbufs */
	if (left && s->mu_n && s->mu_tail_room) {
		k = tq_qc_sq_write(&s->sq, p, RTE_MIN(left, s->mu_tail_room));
		s->mu[(s->mu_head + s->mu_n - 1) % s->mu_cap] += k;
		s->mu_tail_room -= k;
		done += k;
		left -= k;
	}
	while (left && mu_free(s)) {
		k = tq_qc_sq_write(&s->sq, p + done, RTE_MIN(left,
				(uint32_t)RTE_MBUF_DEFAULT_DATAROOM));
		if (k == 0)
			break; /* no memory for the ring */
		mu_push(s, s->sq.end);
		s->mu_tail_room = RTE_MBUF_DEFAULT_DATAROOM - k;
		done += k;
		left -= k;
	}
	if (done < len)
		s->want_write = true;
	if (done)
		tq_qc_stream_sendq(s);
	return (int)done;
}

static int
qs_write_mbuf(struct tq_stream *st, struct rte_mbuf *m,
		struct rte_mbuf **rest)
{
	struct tq_quic_stream *s = tq_qc_stream(st);
	uint32_t room, segs;
	uint32_t take = 0, n = 0, k;
	struct rte_mbuf *x;
	int rc = qs_write_check(st);

	tq_qc_kick(tq_qc_stream(st)->c);
	reap_mark(s);
	*rest = m;
	if (rc < 0)
		return rc;
	if (s->has_send)
		sq_autogrow(s);
	room = tq_qc_sq_space(&s->sq);
	segs = mu_free(s);
	if (sq_ready(s) < 0)
		return 0;
	for (x = m; x && n < segs && take < room; x = x->next, n++)
		take += RTE_MIN((uint32_t)x->data_len, room - take);
	if (take == 0) {
		s->want_write = true;
		return 0;
	}
	if (take < m->pkt_len) {
		*rest = tq_mbuf_split(m, take, s->c->pool);
		if (!*rest) {
			*rest = m;
			return 0;
		}
		s->want_write = true;
	} else {
		*rest = NULL;
	}
	/* copied into the ring (the send side is a byte ring for now),
	 * each segment counted as the unit it would hold */
	for (x = m; x; x = x->next) {
		k = tq_qc_sq_write(&s->sq, rte_pktmbuf_mtod(x, void *),
				x->data_len);
		if (k)
			mu_push(s, s->sq.end);
	}
	s->mu_tail_room = 0;
	rte_pktmbuf_free(m);
	tq_qc_stream_sendq(s);
	return (int)take;
}

static uint32_t
qs_write_space(struct tq_stream *st, uint32_t *segs)
{
	struct tq_quic_stream *s = tq_qc_stream(st);
	uint32_t space;

	if (s->has_send)
		sq_autogrow(s);
	space = s->has_send ? tq_qc_sq_space(&s->sq) : 0;

	if (s->has_send && send_low(s))
		s->want_write = true;
	*segs = s->has_send ? mu_free(s) : 0;
	return space;
}

static uint32_t
qs_send_hint(struct tq_stream *st)
{
	uint64_t a = tq_quic_rec_cwnd_avail(&tq_qc_stream(st)->c->rec);

	return (uint32_t)RTE_MIN(a, (uint64_t)UINT32_MAX);
}

/* The app read n bytes: windows, and MAX_STREAM_DATA when due. */
static void
consumed(struct tq_quic_stream *s, uint64_t n)
{
	struct tq_quic_conn *c = s->c;
	uint64_t max;

	tq_quic_fc_rx_consumed(&s->fcr, n);
	tq_quic_fc_rx_consumed(&c->fcr, n);
	if (tq_quic_fc_rx_update(&s->fcr, c->now,
				c->rec.smoothed_rtt, &max)) {
		s->msd_want = true;
		tq_quic_fc_rx_ensure(&c->fcr, s->fcr.window * 3 / 2);
		tq_qc_stream_sendq(s);
	}
}

static int
qs_read(struct tq_stream *st, void *buf, uint32_t len)
{
	struct tq_quic_stream *s = tq_qc_stream(st);
	size_t n;

	tq_qc_kick(tq_qc_stream(st)->c);
	reap_mark(s);
	if (!s->has_recv)
		return -EBADF;
	if (s->peer_reset)
		return -ECONNRESET;
	if (s->shut_rd)
		return 0;
	n = tq_quic_rxbuf_read(&s->rb, buf, len);
	if (n == 0)
		return tq_quic_rxbuf_fin(&s->rb) ? 0 : -EAGAIN;
	consumed(s, n);
	return (int)n;
}

static struct rte_mbuf *
qs_read_mbuf(struct tq_stream *st, uint32_t max_bytes, uint32_t max_segs)
{
	struct tq_quic_stream *s = tq_qc_stream(st);
	struct rte_mbuf *head = NULL, *tail = NULL, *mi, *ref;
	struct tq_quic_rxseg seg;
	uint32_t n = 0, segs = 0, k;

	tq_qc_kick(tq_qc_stream(st)->c);
	reap_mark(s);
	if (!s->has_recv || s->peer_reset || s->shut_rd)
		return NULL;
	while (n < max_bytes && segs < max_segs &&
			tq_quic_rxbuf_peek(&s->rb, &seg)) {
		k = RTE_MIN(seg.len, max_bytes - n);
		mi = rte_pktmbuf_alloc(s->c->pool);
		if (!mi)
			break;
		ref = seg.ref;
		/* an indirect mbuf on the received one: no copy */
		rte_pktmbuf_attach(mi, ref);
		mi->data_off = (uint16_t)(seg.data -
				(const uint8_t *)mi->buf_addr);
		mi->data_len = (uint16_t)k;
		mi->pkt_len = k;
		tq_quic_rxbuf_consume(&s->rb, k);
		if (!head) {
			head = mi;
		} else {
			tail->next = mi;
			head->nb_segs++;
			head->pkt_len += k;
		}
		tail = mi;
		n += k;
		segs++;
	}
	if (n)
		consumed(s, n);
	return head;
}

static uint32_t
qs_readable(const struct tq_stream *st)
{
	const struct tq_quic_stream *s = (const struct tq_quic_stream *)st;

	if (!s->has_recv || s->peer_reset || s->shut_rd)
		return 0;
	return (uint32_t)RTE_MIN(tq_quic_rxbuf_readable(&s->rb),
			(uint64_t)UINT32_MAX);
}

static bool
qs_eof(const struct tq_stream *st)
{
	const struct tq_quic_stream *s = (const struct tq_quic_stream *)st;

	return !s->has_recv || s->shut_rd || tq_quic_rxbuf_fin(&s->rb);
}

static int
qs_shutdown(struct tq_stream *st)
{
	struct tq_quic_stream *s = tq_qc_stream(st);

	tq_qc_kick(tq_qc_stream(st)->c);
	reap_mark(s);
	if (!s->has_send)
		return -EBADF;
	if (s->reset_want || s->c->state >= TQ_QUIC_CS_CLOSING)
		return -EPIPE;
	if (!s->fin_want) {
		s->fin_want = true;
		tq_qc_stream_sendq(s);
	}
	return 0;
}

static void
stop_reading(struct tq_quic_stream *s, uint64_t code)
{
	uint64_t unread;

	if (!s->has_recv || s->shut_rd)
		return;
	s->shut_rd = true;
	unread = tq_quic_rxbuf_readable(&s->rb);
	tq_quic_rxbuf_reset(&s->rb);
	tq_quic_fc_rx_consumed(&s->fcr, s->fcr.highest - s->fcr.consumed);
	tq_quic_fc_rx_consumed(&s->c->fcr, unread);
	if (!s->peer_reset && s->rb.final_size == TQ_QUIC_FINAL_NONE) {
		s->stop_want = true;
		s->stop_code = code;
		tq_qc_stream_sendq(s);
	}
}

static int
qs_shutdown_read(struct tq_stream *st, uint64_t code)
{
	struct tq_quic_stream *s = tq_qc_stream(st);

	tq_qc_kick(tq_qc_stream(st)->c);
	reap_mark(s);
	if (!s->has_recv)
		return -EBADF;
	stop_reading(s, code);
	return 0;
}

static void
reset_sending(struct tq_quic_stream *s, uint64_t code)
{
	if (!s->has_send || s->reset_want || send_done(s))
		return;
	s->reset_want = true;
	s->reset_code = code;
	s->reset_final = s->sq.next;
	tq_qc_stream_sendq(s);
}

static void
qs_abort(struct tq_stream *st, uint64_t code)
{
	struct tq_quic_stream *s = tq_qc_stream(st);

	tq_qc_kick(tq_qc_stream(st)->c);
	reap_mark(s);
	s->app_closed = true;
	st->err_code = code;
	reset_sending(s, code);
	if (s->reset_want)
		s->reset_code = code;
	stop_reading(s, code);
	/* the app is told at once (docs/api.md); the frames go out and
	 * the stream is freed when the peer has them */
	if (!s->closed_told) {
		s->closed_told = true;
		tq_stream_cb_closed(st, TQ_CLOSE_ABORTED);
	}
}

static void
qs_close(struct tq_stream *st)
{
	struct tq_quic_stream *s = tq_qc_stream(st);

	tq_qc_kick(tq_qc_stream(st)->c);
	reap_mark(s);
	if (s->has_recv && !s->peer_reset && !s->shut_rd &&
			tq_quic_rxbuf_readable(&s->rb) > 0) {
		qs_abort(st, 0); /* unread data: reset, as TCP does */
		return;
	}
	s->app_closed = true;
	if (s->has_send && !s->reset_want && !s->fin_want) {
		s->fin_want = true;
		tq_qc_stream_sendq(s);
	}
	if (s->has_recv && !recv_done(s))
		stop_reading(s, 0);
}

static int
qs_set_opt(struct tq_stream *st, enum tq_stream_opt opt, uint32_t val)
{
	struct tq_quic_stream *s = tq_qc_stream(st);

	tq_qc_kick(tq_qc_stream(st)->c);
	switch (opt) {
	case TQ_OPT_NODELAY:
	case TQ_OPT_QUICKACK:
		return 0;
	case TQ_OPT_SNDBUF_MBUFS:
		if (!s->has_send || val == 0)
			return -EINVAL;
		return mu_resize(s, val);
	case TQ_OPT_SNDLOWAT:
		s->lowat = val;
		return 0;
	case TQ_OPT_RCVBUF:
		if (val == 0)
			return -EINVAL;
		s->fcr.window = val;
		if (s->fcr.window_max < val)
			s->fcr.window_max = val;
		return 0;
	case TQ_OPT_SNDBUF:
		if (!s->has_send || val == 0)
			return -EINVAL;
		if (s->sq.base != s->sq.end || s->sq.end != 0)
			return -EBUSY;
		tq_qc_sq_free(&s->sq);
		if (tq_qc_sq_init(&s->sq, val) < 0)
			return -ENOMEM;
		s->c->sq_grown -= s->sq_grown;
		s->sq_grown = 0;
		s->lowat = val / 2;
		s->sq_max = val;	/* the app's choice: no autotuning */
		return 0;
	default:
		return -ENOTSUP;
	}
}

static int
qs_get_opt(const struct tq_stream *st, enum tq_stream_opt opt,
		uint32_t *val)
{
	const struct tq_quic_stream *s = (const struct tq_quic_stream *)st;

	switch (opt) {
	case TQ_OPT_SNDBUF:
		*val = s->has_send ? s->sq.cap : 0;
		return 0;
	case TQ_OPT_SNDBUF_MBUFS:
		*val = s->mu_limit;
		return 0;
	case TQ_OPT_SNDLOWAT:
		*val = s->lowat;
		return 0;
	case TQ_OPT_RCVBUF:
		*val = (uint32_t)RTE_MIN(s->fcr.window, (uint64_t)UINT32_MAX);
		return 0;
	default:
		return -ENOTSUP;
	}
}

void
tq_qc_stream_acked_tell(struct tq_quic_stream *s)
{
	if (s->app_closed || s->closed_told)
		return;
	if (s->sq.base > s->acked_told) {
		s->acked_told = s->sq.base;
		tq_stream_cb_acked(&s->st, s->sq.base);
	}
	tq_qc_stream_writable_check(s);
}

void
tq_qc_stream_connected(struct tq_quic_stream *s)
{
	if (s->connected_told || !(s->st.flags & TQ_STREAM_F_LOCAL))
		return;
	s->connected_told = true;
	if (!s->app_closed && !s->closed_told)
		tq_stream_cb_connected(&s->st);
}

void
tq_qc_stream_writable_check(struct tq_quic_stream *s)
{
	mu_release(s);
	if (s->want_write && !send_low(s) &&
			!s->app_closed && !s->closed_told) {
		s->want_write = false;
		tq_stream_cb_writable(&s->st);
	}
}

static const struct tq_stream_vt stream_vt = {
	.read = qs_read,
	.read_mbuf = qs_read_mbuf,
	.readable = qs_readable,
	.eof = qs_eof,
	.write = qs_write,
	.write_mbuf = qs_write_mbuf,
	.write_space = qs_write_space,
	.write_check = qs_write_check,
	.send_hint = qs_send_hint,
	.shutdown = qs_shutdown,
	.shutdown_read = qs_shutdown_read,
	.close = qs_close,
	.abort = qs_abort,
	.set_opt = qs_set_opt,
	.get_opt = qs_get_opt,
};

/* ---- tq_conn_vt ---- */

static void
qc_info(const struct tq_conn *cb, struct tq_conn_info *i)
{
	const struct tq_quic_conn *c = (const struct tq_quic_conn *)cb;
	static const char *const names[] = {
		"handshake", "established", "closing", "draining", "closed",
	};

	memset(i, 0, sizeof(*i));
	i->transport = TQ_TRANSPORT_QUIC;
	i->state = names[c->state];
	i->laddr = c->laddr;
	i->raddr = c->raddr;
	i->lport = c->lport;
	i->rport = c->rport;
	i->mss = c->max_dgram;
	i->cwnd = (uint32_t)RTE_MIN(c->rec.cc.cwnd, (uint64_t)UINT32_MAX);
	i->ssthresh = (uint32_t)RTE_MIN(c->rec.cc.ssthresh,
			(uint64_t)UINT32_MAX);
	i->srtt_us = c->rec.smoothed_rtt / 1000;
	i->rttvar_us = c->rec.rttvar / 1000;
	i->rto_us = tq_quic_rec_pto_base(&c->rec) / 1000;
	i->snd_wnd = (uint32_t)RTE_MIN(tq_quic_fc_tx_credit(&c->fct),
			(uint64_t)UINT32_MAX);
	i->rcv_wnd = (uint32_t)RTE_MIN(c->fcr.max - c->fcr.highest,
			(uint64_t)UINT32_MAX);
	i->bytes_acked = c->bytes_acked;
	i->bytes_received = c->fcr.consumed;
	i->retransmits = (uint32_t)c->stats.retransmits;
	i->unacked = (uint32_t)RTE_MIN(c->rec.bytes_in_flight,
			(uint64_t)UINT32_MAX);
	i->cc = c->rec.cc.ops && c->rec.cc.ops->name ? c->rec.cc.ops->name :
		"newreno";
}

static void
qc_close(struct tq_conn *cb, uint64_t code)
{
	tq_qc_kick((struct tq_quic_conn *)cb);
	tq_qc_close((struct tq_quic_conn *)cb, code, 0, true);
}

static struct tq_stream *
qc_stream_open(struct tq_conn *cb, unsigned int flags,
		const struct tq_stream_ops *ops, void *ctx, int *err)
{
	struct tq_quic_conn *c = (struct tq_quic_conn *)cb;
	bool uni = flags & TQ_STREAM_UNI;
	struct tq_quic_stream *s;
	int64_t idx;

	/* Before the handshake ends: a client sending 0-RTT, and a server
	 * with the client's transport parameters, whose streams then wait
	 * for completion (an HTTP/3 server answering a 0-RTT request needs
	 * its control and QPACK streams first) */
	if (c->state != TQ_QUIC_CS_ESTABLISHED &&
			!(c->state == TQ_QUIC_CS_HANDSHAKE && (c->early_tx ||
			  (c->is_server && c->have_ptp)))) {
		*err = c->state < TQ_QUIC_CS_ESTABLISHED ? -ENOTCONN : -EPIPE;
		return NULL;
	}
	tq_qc_kick(c);
	idx = tq_quic_streams_local_open(&c->sc[uni]);
	if (idx < 0) {
		c->sa_want[uni] = true;
		*err = -EAGAIN;
		return NULL;
	}
	s = stream_new(c, ((uint64_t)idx << 2) | (uni ? 2 : 0) |
			(c->is_server ? 1 : 0));
	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	tq_stream_set_ops(&s->st, ops, ctx);
	/* the peer learns of the stream now, not with its first byte
	 * (msquic's START_FLAG_IMMEDIATE): connected() comes when it
	 * acknowledges */
	s->announce = true;
	tq_qc_stream_sendq(s);
	*err = 0;
	return &s->st;
}

/* TQ_OPT_CC: one cc for the connection, whichever stream asks; QUIC
 * samples delivery rates for every packet, so BBR can take over at any
 * time (tq_cc_switch() says what carries over). */
static int
qc_set_opt(struct tq_conn *cb, enum tq_stream_opt opt, uint32_t val)
{
	struct tq_quic_conn *c = (struct tq_quic_conn *)cb;
	const struct tq_cc_ops *ops;

	if (opt != TQ_OPT_CC)
		return -ENOTSUP;
	ops = tq_cc_by_id(val);
	if (!ops)
		return -EINVAL;
	tq_qc_kick(c);
	tq_cc_switch(&c->rec.cc, ops, c->now);
	return 0;
}

static int
qc_get_opt(const struct tq_conn *cb, enum tq_stream_opt opt, uint32_t *val)
{
	const struct tq_quic_conn *c = (const struct tq_quic_conn *)cb;

	if (opt != TQ_OPT_CC)
		return -ENOTSUP;
	*val = c->rec.cc.ops ? c->rec.cc.ops->id : TQ_CC_NEWRENO;
	return 0;
}

const struct tq_conn_vt tq_qc_conn_vt = {
	.info = qc_info,
	.close = qc_close,
	.abort = qc_close,
	.stream_open = qc_stream_open,
	.set_opt = qc_set_opt,
	.get_opt = qc_get_opt,
};

void
tq_qc_reap(struct tq_quic_conn *c)
{
	reap(c);
}
