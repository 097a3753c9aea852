/* SPDX-License-Identifier: BSD-3-Clause */
/* The stream API (tachyon/tq_stream.h) over a TCB. */
#include <errno.h>
#include <string.h>

#include "tq_tcp.h"

static __rte_always_inline uint32_t copy_in(struct tq_tcb *tp,
		const void *buf, uint32_t len);

struct tq_stream *
tq_tcp_accept(struct tq_listener *l, const struct tq_stream_ops *ops,
		void *ctx)
{
	struct tq_tcb *tp = l->acc_head;

	if (!tp)
		return NULL;
	tq_tcp_accept_remove(l, tp);
	tp->listener = NULL;
	tq_stream_set_ops(&tp->st, ops, ctx);
	return tq_tcb_stream(tp);
}

/*
 * Is the 4-tuple free for a new connection?  With tw_reuse (Linux's
 * tcp_tw_reuse=1), a TIME_WAIT entry gives way when it has timestamps
 * (PAWS then rejects its old duplicates) and is over a second old.
 */
static bool
tuple_free(struct tq_shard *s, const struct tq_tcp_key *k, uint32_t *sig,
		uint32_t *min_iss)
{
	struct tq_tcb *tw = tq_tcp_lookup(s, k, sig);

	if (!tw)
		return true;
	if (!tq_tcp(s)->conf->tw_reuse || tw->state != TQ_TCPS_TIME_WAIT ||
			!(tw->flags & TF_TS_OK) ||
			s->now - tw->tw_since < 1000000000ull)
		return false;
	TQ_INC(s, TCP_TW_REUSED);
	/* Start past anything the old incarnation may still have in the
	 * network (Linux: tw_snd_nxt + 65535 + 2). */
	*min_iss = tw->snd_nxt + 65537;
	tq_tcb_close(tw, TQ_CLOSE_NORMAL);
	return true;
}

/* The source address of a flow to dst: src, or the route's. */
static int
flow_src(struct tq_shard *s, const struct tq_addr *src,
		const struct tq_addr *dst, struct tq_addr *sa)
{
	struct tq_addr nh;

	memset(sa, 0, sizeof(*sa));
	sa->family = dst->family;
	if (src && !tq_addr_is_any(src))
		*sa = *src;
	if (tq_route_lookup(tq_net(s)->ifc, dst, &nh, sa) < 0)
		return -EHOSTUNREACH;
	sa->family = dst->family;
	return 0;
}

int
tq_tcp_flow_worker(struct tq_shard *s, const struct tq_addr *src,
		uint16_t sport, const struct tq_addr *dst, uint16_t dport)
{
	struct tq_addr sa;
	struct tq_tcp_key k;

	if (!s || !dst || (dst->family != AF_INET && dst->family != AF_INET6))
		return -EINVAL;
	if (flow_src(s, src, dst, &sa) < 0)
		return -EHOSTUNREACH;
	tq_tcp_key_make(&k, &sa, dst, rte_cpu_to_be_16(sport),
			rte_cpu_to_be_16(dport));
	return (int)tq_tcp_owner(s, &k);
}

struct tq_stream *
tq_tcp_connect(struct tq_shard *s, const struct tq_addr *dst, uint16_t dport,
		const struct tq_addr *src, uint16_t sport,
		const struct tq_stream_ops *ops, void *ctx, int *err)
{
	return tq_tcp_connect_data(s, dst, dport, src, sport, ops, ctx, NULL,
			0, err);
}

struct tq_stream *
tq_tcp_connect_data(struct tq_shard *s, const struct tq_addr *dst,
		uint16_t dport, const struct tq_addr *src, uint16_t sport,
		const struct tq_stream_ops *ops, void *ctx, const void *data,
		uint32_t len, int *err)
{
	struct tq_tcp *t = tq_tcp(s);
	const struct tq_tcp_conf *c = t->conf;
	struct tq_addr sa;
	struct tq_tcp_key k;
	struct tq_tcb *tp;
	uint32_t sig;
	uint32_t range, tries, min_iss = 0;
	int dummy;

	if (!err)
		err = &dummy;
	if (!t || dport == 0) {
		*err = -EINVAL;
		return NULL;
	}
	if (flow_src(s, src, dst, &sa) < 0) {
		*err = -EHOSTUNREACH;
		return NULL;
	}
	tq_tcp_key_make(&k, &sa, dst, 0, rte_cpu_to_be_16(dport));
	if (sport) {
		k.lport = rte_cpu_to_be_16(sport);
		/* Replies come to the owner of the 4-tuple. */
		if (tq_tcp_owner(s, &k) != s->id) {
			*err = -EXDEV;
			return NULL;
		}
		/* Linux: a port a listener holds cannot be bound, with or
		 * without SO_REUSEADDR (the listener is in LISTEN). */
		if (tq_tcp_find_listener(s, &sa, sport) ||
				!tuple_free(s, &k, &sig, &min_iss)) {
			*err = -EADDRINUSE;
			return NULL;
		}
	} else {
		/*
		 * Ephemeral ports: walk the range from where the last
		 * search ended, taking only tuples this worker owns (the
		 * NIC's RSS sends their replies here, or the steering
		 * does); the 4-tuple, not the port, must be unique
		 * (RFC 6056 3.3.4).
		 */
		range = (uint32_t)c->eport_hi - c->eport_lo + 1;
		for (tries = 0; tries < range; tries++) {
			uint16_t p = t->next_eport;

			t->next_eport = (uint16_t)(p >= c->eport_hi ?
					c->eport_lo : p + 1);
			k.lport = rte_cpu_to_be_16(p);
			if (s->nb_workers > 1 && tq_tcp_owner(s, &k) != s->id)
				continue;
			/* A listener's port is skipped, as Linux's bind
			 * buckets make it (SYNs to it are the listener's). */
			if (tq_tcp_find_listener(s, &sa, p))
				continue;
			if (tuple_free(s, &k, &sig, &min_iss))
				break;
		}
		if (tries == range) {
			*err = -EADDRNOTAVAIL;
			return NULL;
		}
	}
	tp = tq_tcb_new(s, &k, sig);
	if (!tp) {
		*err = -ENOMEM;
		return NULL;
	}
	tq_stream_set_ops(&tp->st, ops, ctx);
	tp->st.flags |= TQ_STREAM_F_LOCAL;
	tp->iss = tq_tcp_isn_tcb(tp, s->now);
	if (min_iss && SEQ_LT(tp->iss, min_iss))
		tp->iss = min_iss;
	tq_tcp_init_send_seq(tp);
	tp->rcv_scale = c->wscale ? tq_tcp_wscale_for(tp->rcvbuf) : 0;
	tp->adv_mss = (uint16_t)(tq_net(s)->ifc->mtu -
			(k.family == AF_INET ? 40 : 60));
	tq_tcb_set_state(tp, TQ_TCPS_SYN_SENT);
	TQ_INC(s, TCP_ACTIVE_OPENS);
	if (len) {
		/* Queued now; with fast open (and a cookie) part of it
		 * goes on the SYN, else after the handshake. */
		if (copy_in(tp, data, RTE_MIN(len, tp->sndbuf)) < len)
			tp->flags |= TF_WANT_WRITE;
		if (c->fastopen & 1)
			tp->flags |= TF_TFO_REQ;
	}
	tp->flags |= TF_RTT_TIMING;
	tp->rttime = s->now;
	tq_tcp_send_syn(tp);
	tq_tcp_rexmt_arm(tp);
	*err = 0;
	return tq_tcb_stream(tp);
}

/* ---- the stream of a TCP connection (tq_stream_vt) ---- */

static uint32_t
space_of(const struct tq_tcb *tp)
{
	return tp->sndbuf > tp->sndq.bytes ? tp->sndbuf - tp->sndq.bytes : 0;
}

static uint32_t
segs_free(const struct tq_tcb *tp)
{
	return tp->sndbuf_segs > tp->sndq.nsegs ?
		tp->sndbuf_segs - tp->sndq.nsegs : 0;
}

static uint32_t
tcp_write_space(struct tq_stream *st, uint32_t *segs)
{
	struct tq_tcb *tp = tq_stream_tcb(st);

	if (tq_tcp_sndq_low(tp))
		tp->flags |= TF_WANT_WRITE;
	*segs = segs_free(tp);
	return space_of(tp);
}

static int
write_check(const struct tq_tcb *tp)
{
	if (tp->flags & (TF_SHUT_WR | TF_APP_GONE))
		return -EPIPE;
	/* A fast-open server may answer before the handshake ends; the
	 * data waits for the ACK. */
	if (tp->state == TQ_TCPS_SYN_RECEIVED && (tp->flags & TF_TFO_CHILD))
		return 0;
	if (tp->state == TQ_TCPS_SYN_SENT || tp->state == TQ_TCPS_SYN_RECEIVED)
		return -ENOTCONN;
	if (!TQ_TCPS_ESTABLISHED_OR_LATER(tp->state) ||
			TQ_TCPS_FIN_SENT(tp->state))
		return -EPIPE;
	return 0;
}

static int
tcp_write_check(const struct tq_stream *st)
{
	return write_check(tq_stream_tcb(st));
}

/* Copy up to len bytes into the send queue; returns how many fit.
 * Inline: tcp_write is little more than this. */
static __rte_always_inline uint32_t
copy_in(struct tq_tcb *tp, const void *buf, uint32_t len)
{
	const uint8_t *p = buf;
	uint32_t left = RTE_MIN(len, space_of(tp)), done = 0;

	/* Fill the room left in the last mbuf we allocated first. */
	if (left && (tp->flags & TF_SNDQ_OURS) && tp->sndq.tail) {
		struct rte_mbuf *tail = tp->sndq.tail;
		uint32_t k = RTE_MIN(left, (uint32_t)rte_pktmbuf_tailroom(tail));

		if (k) {
			memcpy(rte_pktmbuf_mtod_offset(tail, uint8_t *,
					tail->data_len), p, k);
			tail->data_len = (uint16_t)(tail->data_len + k);
			tail->pkt_len = tail->data_len;
			tp->sndq.bytes += k;
			p += k;
			left -= k;
			done += k;
		}
	}
	while (left && tp->sndq.nsegs < tp->sndbuf_segs) {
		struct rte_mbuf *m = tq_shard_mbuf_alloc(tp->s);
		uint32_t k;

		if (!m) {
			TQ_INC(tp->s, NO_MBUF);
			break;
		}
		/* No headroom needed: headers go in their own mbuf. */
		m->data_off = 0;
		k = RTE_MIN(left, (uint32_t)rte_pktmbuf_tailroom(m));
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), p, k);
		m->data_len = (uint16_t)k;
		m->pkt_len = k;
		tq_mq_append(&tp->sndq, m, k);
		tp->flags |= TF_SNDQ_OURS;
		p += k;
		left -= k;
		done += k;
	}
	return done;
}

static int
tcp_write(struct tq_stream *st, const void *buf, uint32_t len)
{
	struct tq_tcb *tp = tq_stream_tcb(st);
	uint32_t done;
	int ret = write_check(tp);

	if (ret < 0)
		return ret;
	done = copy_in(tp, buf, len);
	if (done < len)
		tp->flags |= TF_WANT_WRITE;
	if (done)
		tq_tcp_output(tp);
	return (int)done;
}

/*
 * Take the longest prefix of m that fits the space (bytes and mbufs);
 * *rest gets the remainder.  A segment is split only by bytes: the
 * indirect mbuf that holds its second half takes no extra room here.
 */
static int
tcp_write_mbuf(struct tq_stream *st, struct rte_mbuf *m,
		struct rte_mbuf **rest)
{
	struct tq_tcb *tp = tq_stream_tcb(st);
	uint32_t room = space_of(tp), segs = segs_free(tp);
	uint32_t take = 0, n = 0;
	struct rte_mbuf *x;
	int ret = write_check(tp);

	*rest = m;
	if (ret < 0)
		return ret;
	for (x = m; x && n < segs && take < room; x = x->next, n++)
		take += RTE_MIN((uint32_t)x->data_len, room - take);
	if (take < m->pkt_len) {
		tp->flags |= TF_WANT_WRITE;
		if (take == 0)
			return 0;
		*rest = tq_mbuf_split(m, take, tp->s->pool);
		if (!*rest) {
			TQ_INC(tp->s, NO_MBUF);
			*rest = m;
			return 0;
		}
	} else {
		*rest = NULL;
	}
	tq_mq_append(&tp->sndq, m, take);
	tp->flags &= ~TF_SNDQ_OURS;
	tq_tcp_output(tp);
	return (int)take;
}

static uint32_t
tcp_send_hint(struct tq_stream *st)
{
	const struct tq_tcb *tp = tq_stream_tcb(st);
	uint32_t flight = tp->snd_max - tp->snd_una;
	uint32_t wnd = RTE_MIN(tp->cc.cwnd, tp->snd_wnd);

	return wnd > flight ? wnd - flight : 0;
}

static uint32_t
tcp_readable(const struct tq_stream *st)
{
	return tq_stream_tcb(st)->rcvq.bytes;
}

static bool
tcp_eof(const struct tq_stream *st)
{
	const struct tq_tcb *tp = tq_stream_tcb(st);

	return ((tp->flags & TF_EOF_SEEN) && tp->rcvq.bytes == 0) ||
		(tp->flags & TF_SHUT_RD);
}

/* After the app made room: tell the peer if the window grew enough
 * (RFC 9293 3.8.6.2.2: by an MSS or half the buffer). */
static __rte_always_inline void
window_update(struct tq_tcb *tp)
{
	uint32_t used = tp->rcvq.bytes + tp->ooo_bytes;
	uint32_t adv = SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ?
		tp->rcv_adv - tp->rcv_nxt : 0;
	uint32_t need = RTE_MIN(2u * tp->mss, tp->rcvbuf / 2);
	uint32_t wnd;

	/* The window can grow at most to the free buffer: short of the
	 * threshold (a read of a small request, the usual case), no
	 * update and no need to work it out. */
	if (used >= tp->rcvbuf || tp->rcvbuf - used < adv + need ||
			!TQ_TCPS_RCV_DATA(tp->state))
		return;
	wnd = tq_tcp_rcv_wnd(tp);
	if (wnd > adv && wnd - adv >= need) {
		tp->flags |= TF_ACKNOW;
		/* Read from a callback of the input: the answer the app
		 * writes next carries the update, or tq_tcp_input sends it
		 * when done, in the same poll. */
		if (tp->busy)
			tp->flags |= TF_WND_DEFER;
		else
			tq_tcp_output(tp);
	}
}

static __rte_noinline int
tcp_read_run(struct tq_tcb *tp, uint8_t *p, uint32_t len)
{
	struct tq_mq *q = &tp->rcvq;
	uint32_t done = 0;

	while (done < len && q->head) {
		struct rte_mbuf *m = q->head;
		uint32_t avail = m->data_len - q->off;
		uint32_t k = RTE_MIN(avail, len - done);

		memcpy(p + done, rte_pktmbuf_mtod_offset(m, uint8_t *, q->off),
				k);
		done += k;
		/* k may be 0 for an empty segment: drop frees it anyway */
		tq_mq_drop(tp->s, q, k);
	}
	tq_tcb_rx_sync(tp);
	window_update(tp);
	return (int)done;
}

/*
 * An app reads until -EAGAIN, so every other call finds the queue
 * empty: that answer without the copy loop's frame.
 */
static int
tcp_read(struct tq_stream *st, void *buf, uint32_t len)
{
	struct tq_tcb *tp = tq_stream_tcb(st);

	if (tp->rcvq.bytes == 0)
		return (tp->flags & (TF_EOF_SEEN | TF_SHUT_RD)) ? 0 : -EAGAIN;
	return tcp_read_run(tp, buf, len);
}

/*
 * Whole segments from the head while they fit max_bytes and max_segs;
 * the segment the byte bound falls in is split, its second half staying
 * queued as an indirect mbuf (no copy).
 */
static struct rte_mbuf *
tcp_read_mbuf(struct tq_stream *st, uint32_t max_bytes, uint32_t max_segs)
{
	struct tq_tcb *tp = tq_stream_tcb(st);
	struct tq_mq *q = &tp->rcvq;
	struct rte_mbuf *head = q->head, *cur, *last = NULL;
	uint32_t n = 0, k = 0;

	if (!head || max_bytes == 0 || max_segs == 0)
		return NULL;
	if (q->off) {
		head->data_off = (uint16_t)(head->data_off + q->off);
		head->data_len = (uint16_t)(head->data_len - q->off);
		q->off = 0;
	}
	for (cur = head; cur && k < max_segs && n < max_bytes; cur = cur->next) {
		if (n + cur->data_len > max_bytes) {
			struct rte_mbuf *c = rte_pktmbuf_alloc(tp->s->pool);
			uint32_t cut = max_bytes - n;

			if (!c) {
				TQ_INC(tp->s, NO_MBUF);
				break;
			}
			rte_pktmbuf_attach(c, cur);
			c->data_off = (uint16_t)(cur->data_off + cut);
			c->data_len = (uint16_t)(cur->data_len - cut);
			c->next = cur->next;
			cur->data_len = (uint16_t)cut;
			cur->next = c;
			if (q->tail == cur)
				q->tail = c;
			q->nsegs++;
		}
		n += cur->data_len;
		k++;
		last = cur;
	}
	if (!last)
		return NULL;
	q->head = last->next;
	if (!q->head)
		q->tail = NULL;
	last->next = NULL;
	q->bytes -= n;
	q->nsegs -= k;
	head->nb_segs = (uint16_t)RTE_MIN(k, (uint32_t)UINT16_MAX);
	head->pkt_len = n;
	tq_tcb_rx_sync(tp);
	window_update(tp);
	return head;
}

static int
tcp_shutdown(struct tq_stream *st)
{
	struct tq_tcb *tp = tq_stream_tcb(st);

	if (tp->flags & TF_SHUT_WR)
		return 0;
	switch (tp->state) {
	case TQ_TCPS_SYN_SENT:
		tq_tcb_close(tp, TQ_CLOSE_NORMAL);
		return 0;
	case TQ_TCPS_SYN_RECEIVED:
	case TQ_TCPS_ESTABLISHED:
		tq_tcb_set_state(tp, TQ_TCPS_FIN_WAIT_1);
		break;
	case TQ_TCPS_CLOSE_WAIT:
		tq_tcb_set_state(tp, TQ_TCPS_LAST_ACK);
		break;
	default:
		return -ENOTCONN;
	}
	tp->flags |= TF_SHUT_WR;
	tq_tcp_output(tp);
	return 0;
}

/*
 * TCP cannot tell the peer to stop (no STOP_SENDING): like BSD's
 * SHUT_RD, what comes is acknowledged and dropped, so the window stays
 * open and memory is not held for a reader that is gone.
 */
static int
tcp_shutdown_read(struct tq_stream *st, uint64_t code)
{
	struct tq_tcb *tp = tq_stream_tcb(st);

	RTE_SET_USED(code);
	if (tp->flags & TF_SHUT_RD)
		return 0;
	tp->flags |= TF_SHUT_RD;
	TQ_ADD(tp->s, STREAM_RCV_DISCARD, tp->rcvq.bytes);
	tq_mq_free(&tp->rcvq);
	tq_tcb_rx_sync(tp);
	window_update(tp);
	return 0;
}

static void
tcp_abort(struct tq_stream *st, uint64_t code)
{
	struct tq_tcb *tp = tq_stream_tcb(st);

	RTE_SET_USED(code); /* a RST has no room for it */
	if (tp->flags & TF_DOOMED)
		return;
	if (TQ_TCPS_SYNCHRONIZED(tp->state) &&
			tp->state != TQ_TCPS_TIME_WAIT)
		tq_tcp_send_rst(tp);
	if (tp->state >= TQ_TCPS_ESTABLISHED &&
			tp->state <= TQ_TCPS_CLOSE_WAIT)
		TQ_INC(tp->s, TCP_ESTAB_RESETS);
	tq_tcb_close(tp, TQ_CLOSE_ABORTED);
}

static void
tcp_close(struct tq_stream *st)
{
	struct tq_tcb *tp = tq_stream_tcb(st);

	if (tp->flags & TF_APP_GONE)
		return;
	if (tp->flags & TF_TW_APP) {
		/* TIME_WAIT already: nothing to send, the app lets go. */
		tp->flags &= ~TF_TW_APP;
		tp->flags |= TF_APP_GONE | TF_CLOSED_CB;
		TQ_ADD(tp->s, STREAM_RCV_DISCARD, tp->rcvq.bytes);
		tq_stream_cb_closed(&tp->st, TQ_CLOSE_NORMAL);
		tq_tcb_tw_release(tp);
		/* A passive close keeps no TIME_WAIT of its own. */
		if (tp->flags & (TF_LA_HELD | TF_UNHASHED))
			tq_tcb_close(tp, TQ_CLOSE_NORMAL);
		return;
	}
	if (tp->rcvq.bytes || tp->ooo) {
		/* RFC 9293 3.6.1 / Linux: unread data means the peer
		 * must learn it was not consumed: reset. */
		TQ_INC(tp->s, TCP_ABORT_ON_CLOSE);
		tcp_abort(st, 0);
		return;
	}
	tp->flags |= TF_APP_GONE;
	tcp_shutdown(st);
	if (tp->state == TQ_TCPS_FIN_WAIT_2 &&
			!tq_timer_pending(&tp->t_2msl))
		tq_tcp_2msl_arm(tp, tq_tcp(tp->s)->conf->fin_timeout_ns);
}

static int
tcp_set_opt(struct tq_stream *st, enum tq_stream_opt opt, uint32_t val)
{
	struct tq_tcb *tp = tq_stream_tcb(st);

	switch (opt) {
	case TQ_OPT_NODELAY:
		if (val)
			tp->flags |= TF_NODELAY;
		else
			tp->flags &= ~TF_NODELAY;
		if (val)
			tq_tcp_output(tp);
		return 0;
	case TQ_OPT_QUICKACK:
		if (val) {
			tp->flags |= TF_QUICKACK;
			/* An ACK owed now goes now. */
			if (tp->flags & TF_DELACK)
				tq_tcp_send_ack(tp);
		} else {
			tp->flags &= ~TF_QUICKACK;
		}
		return 0;
	case TQ_OPT_SNDBUF:
		if (val < 4096 || val > (1u << 30))
			return -EINVAL;
		tp->sndbuf = val;
		tp->sndbuf_segs = tq_tcp_sndbuf_segs(val);
		return 0;
	case TQ_OPT_SNDBUF_MBUFS:
		if (val < 2 || val > (1u << 24))
			return -EINVAL;
		tp->sndbuf_segs = val;
		return 0;
	case TQ_OPT_SNDLOWAT:
		tp->sndlowat = val;
		return 0;
	case TQ_OPT_KEEPALIVE:
		if (val)
			tp->flags |= TF_KEEPALIVE;
		else
			tp->flags &= ~TF_KEEPALIVE;
		tq_tcp_keep_arm(tp);
		return 0;
	case TQ_OPT_KEEPIDLE:
	case TQ_OPT_KEEPINTVL:
		/* Linux's bounds: 1 .. MAX_TCP_KEEPIDLE (32767 s) */
		if (val < 1 || val > 32767)
			return -EINVAL;
		if (opt == TQ_OPT_KEEPIDLE)
			tp->keep_idle = (uint64_t)val * 1000000000;
		else
			tp->keep_intvl = (uint64_t)val * 1000000000;
		tq_timer_cancel(tp->s->timers, &tp->t_keep);
		tq_tcp_keep_arm(tp);
		return 0;
	case TQ_OPT_KEEPCNT:
		if (val < 1 || val > 127)
			return -EINVAL;
		tp->keep_cnt = (uint8_t)val;
		return 0;
	case TQ_OPT_RCVBUF:
		/* The window scale is fixed at the handshake: the buffer
		 * can grow only as far as the scale reaches. */
		if (val < 4096 || val > ((uint32_t)UINT16_MAX << tp->rcv_scale))
			return -EINVAL;
		tp->rcvbuf = val;
		return 0;
	case TQ_OPT_CC:
		break; /* the connection's: tcp_conn_set_opt() */
	}
	return -EINVAL;
}

static int
tcp_get_opt(const struct tq_stream *st, enum tq_stream_opt opt,
		uint32_t *val)
{
	const struct tq_tcb *tp = tq_stream_tcb(st);

	switch (opt) {
	case TQ_OPT_NODELAY:
		*val = !!(tp->flags & TF_NODELAY);
		return 0;
	case TQ_OPT_QUICKACK:
		*val = !!(tp->flags & TF_QUICKACK);
		return 0;
	case TQ_OPT_KEEPALIVE:
		*val = !!(tp->flags & TF_KEEPALIVE);
		return 0;
	case TQ_OPT_SNDBUF:
		*val = tp->sndbuf;
		return 0;
	case TQ_OPT_SNDBUF_MBUFS:
		*val = tp->sndbuf_segs;
		return 0;
	case TQ_OPT_SNDLOWAT:
		*val = tp->sndlowat;
		return 0;
	case TQ_OPT_RCVBUF:
		*val = tp->rcvbuf;
		return 0;
	default:
		return -ENOTSUP;
	}
}

static const struct tq_stream_vt tcp_stream_vt = {
	.read = tcp_read,
	.read_mbuf = tcp_read_mbuf,
	.readable = tcp_readable,
	.eof = tcp_eof,
	.write = tcp_write,
	.write_mbuf = tcp_write_mbuf,
	.write_space = tcp_write_space,
	.write_check = tcp_write_check,
	.send_hint = tcp_send_hint,
	.shutdown = tcp_shutdown,
	.shutdown_read = tcp_shutdown_read,
	.close = tcp_close,
	.abort = tcp_abort,
	.set_opt = tcp_set_opt,
	.get_opt = tcp_get_opt,
};

/* ---- the connection (tq_conn_vt) ---- */

static void
tcp_conn_info(const struct tq_conn *c, struct tq_conn_info *info)
{
	const struct tq_tcb *tp = container_of(c, struct tq_tcb, conn);

	tq_tcp_key_addrs(&tp->key, &info->laddr, &info->raddr);
	info->lport = rte_be_to_cpu_16(tp->key.lport);
	info->rport = rte_be_to_cpu_16(tp->key.fport);
	info->state = tq_tcp_state_name(tp->state);
	info->mss = tp->mss;
	info->cwnd = tp->cc.cwnd;
	info->ssthresh = tp->cc.ssthresh;
	info->srtt_us = tp->srtt / 1000;
	info->rttvar_us = tp->rttvar / 1000;
	info->rto_us = tp->rto / 1000;
	info->snd_wnd = tp->snd_wnd;
	info->rcv_wnd = tq_tcp_rcv_wnd(tp);
	info->bytes_acked = tp->bytes_acked;
	info->bytes_received = tp->bytes_received;
	info->retransmits = tp->retrans;
	info->unacked = tp->snd_max - tp->snd_una;
	info->cc = tp->cc.ops ? tp->cc.ops->name : "";
}

static void
tcp_conn_close(struct tq_conn *c, uint64_t code)
{
	RTE_SET_USED(code);
	tcp_close(&container_of(c, struct tq_tcb, conn)->st);
}

static void
tcp_conn_abort(struct tq_conn *c, uint64_t code)
{
	tcp_abort(&container_of(c, struct tq_tcb, conn)->st, code);
}

/*
 * TQ_OPT_CC.  Before the handshake set cc up (an active open that is
 * still connecting) the choice waits in cc_pick; after it the running
 * cc is switched in place (tq_cc_switch(): cwnd and ssthresh carry
 * over).  BBR needs the delivery-rate records: taken now, at the app's
 * call, and given back when the app switches to a window-based
 * algorithm (records present mean samples are fed to the cc, which
 * NewReno and CUBIC do not take).
 */
static int
tcp_conn_set_opt(struct tq_conn *c, enum tq_stream_opt opt, uint32_t val)
{
	struct tq_tcb *tp = container_of(c, struct tq_tcb, conn);
	const struct tq_cc_ops *ops;
	struct tq_cc old;

	if (opt != TQ_OPT_CC)
		return -ENOTSUP;
	ops = tq_cc_by_id(val);
	if (!ops)
		return -EINVAL;
	if (!tp->cc.ops) {
		tp->cc_pick = ops;
		return 0;
	}
	if (ops->needs_rate_samples && !tp->rate) {
		old = tp->cc;
		tp->cc.ops = ops;
		if (tq_tcp_rate_start(tp) < 0) {
			tp->cc = old;	/* it fell back to CUBIC: undo */
			return -ENOMEM;
		}
		tp->cc = old;
	} else if (!ops->needs_rate_samples && tp->rate) {
		tq_tcp_rate_free(tp);
	}
	tq_cc_switch(&tp->cc, ops, tp->s->now);
	tp->cc_pick = ops;
	/* a new pacing rate (or none) governs the next send */
	tq_tcp_output(tp);
	return 0;
}

static int
tcp_conn_get_opt(const struct tq_conn *c, enum tq_stream_opt opt,
		uint32_t *val)
{
	const struct tq_tcb *tp = container_of(c, struct tq_tcb, conn);
	const struct tq_cc_ops *ops;

	if (opt != TQ_OPT_CC)
		return -ENOTSUP;
	ops = tp->cc.ops ? tp->cc.ops :
		tq_tcp_cc_start(tp, tp->listener);
	*val = ops ? ops->id : TQ_CC_NEWRENO;
	return 0;
}

static const struct tq_conn_vt tcp_conn_vt = {
	.info = tcp_conn_info,
	.close = tcp_conn_close,
	.abort = tcp_conn_abort,
	.set_opt = tcp_conn_set_opt,
	.get_opt = tcp_conn_get_opt,
};

void
tq_tcb_handles_init(struct tq_tcb *tp, const struct tq_stream_ops *ops,
		void *ctx)
{
	tp->conn.vt = &tcp_conn_vt;
	tp->conn.s = tp->s;
	tp->conn.udata = NULL;
	tp->conn.transport = TQ_TRANSPORT_TCP;
	tp->st.vt = &tcp_stream_vt;
	tp->st.conn = &tp->conn;
	tp->st.ops = ops;
	tp->st.ctx = ctx;
	tp->st.id = 0;
	tp->st.err_code = 0;
	tp->st.flags = 0;
	tp->conn.ops = NULL;
}
