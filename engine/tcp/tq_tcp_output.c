/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Segments out.  Payload is not copied (but for small segments, see
 * TQ_TCP_COPY_MAX): each segment is a header mbuf chained to indirect
 * mbufs that point into the send queue, which keeps the data for
 * retransmission.  What may be sent is decided here: the
 * peer's window, the congestion window (or, in recovery, RFC 6675's pipe),
 * Nagle, sender-side silly window avoidance, and the FIN after the data.
 */
#include <string.h>

#include <rte_tcp.h>

#include "tq_tcp.h"

#define TCPOLEN_MSS 4
#define TCPOLEN_WS 3
#define TCPOLEN_SACK_PERM 2
#define TCPOLEN_TS 10
#define TQ_TCP_MAX_OPTLEN 40

static void
put32(uint8_t *p, uint32_t v)
{
	v = rte_cpu_to_be_32(v);
	memcpy(p, &v, sizeof(v));
}

/* RFC 7413 option, padded to a multiple of 4 with leading NOPs. */
static unsigned int
build_tfo(struct tq_tcb *tp, uint8_t *opt)
{
	struct tq_tcp *t = tq_tcp(tp->s);
	const uint8_t *cookie = NULL;
	uint8_t srv[TQ_TFO_COOKIE_LEN];
	unsigned int clen = 0, n = 0, pad;

	if (tp->state == TQ_TCPS_SYN_RECEIVED && (tp->flags & TF_TFO_COOKIE)) {
		tq_tfo_server_cookie(t->secret, &tp->key, srv);
		cookie = srv;
		clen = TQ_TFO_COOKIE_LEN;
	} else if (tp->state == TQ_TCPS_SYN_SENT &&
			(tp->flags & TF_TFO_REQ)) {
		struct tq_addr la, fa;
		struct tq_tfo_entry *e;

		tq_tcp_key_addrs(&tp->key, &la, &fa);
		e = tq_tfo_lookup(t, &fa, false);
		if (e && e->len) {
			cookie = e->cookie;
			clen = e->len;
		}
	} else {
		return 0;
	}
	pad = (4 - (2 + clen) % 4) % 4;
	while (pad--)
		opt[n++] = 1;
	opt[n++] = 34;
	opt[n++] = (uint8_t)(2 + clen);
	if (clen)
		memcpy(&opt[n], cookie, clen);
	return n + clen;
}

/* Options into opt; returns their length (a multiple of 4). */
static unsigned int
build_options(struct tq_tcb *tp, uint8_t *opt, uint8_t flags)
{
	unsigned int n = 0;
	bool syn = flags & TQ_TH_SYN;
	const struct tq_tcp_conf *c = tq_tcp(tp->s)->conf;

	if (syn) {
		/* Order as Linux sends them: MSS, SACK_PERM+TS, NOP+WS. */
		opt[n++] = 2;
		opt[n++] = TCPOLEN_MSS;
		opt[n++] = (uint8_t)(tp->adv_mss >> 8);
		opt[n++] = (uint8_t)tp->adv_mss;
		bool want_sack = (tp->state == TQ_TCPS_SYN_SENT) ? c->sack :
			(tp->flags & TF_SACK_OK) != 0;
		bool want_ts = (tp->state == TQ_TCPS_SYN_SENT) ?
			c->timestamps : (tp->flags & TF_TS_OK) != 0;
		bool want_ws = (tp->state == TQ_TCPS_SYN_SENT) ? c->wscale :
			(tp->flags & TF_WS_OK) != 0;

		if (want_sack && want_ts) {
			opt[n++] = 4;
			opt[n++] = TCPOLEN_SACK_PERM;
		} else if (want_sack) {
			opt[n++] = 1;
			opt[n++] = 1;
			opt[n++] = 4;
			opt[n++] = TCPOLEN_SACK_PERM;
		}
		if (want_ts) {
			if (!want_sack) {
				opt[n++] = 1;
				opt[n++] = 1;
			}
			opt[n++] = 8;
			opt[n++] = TCPOLEN_TS;
			put32(&opt[n], (tp->flags & TF_TS_COOKIE) ?
					tp->ts_cookie : tq_tcp_ts_now(tp));
			put32(&opt[n + 4], (flags & TQ_TH_ACK) ?
					tp->ts_recent : 0);
			n += 8;
		}
		if (want_ws) {
			opt[n++] = 1;
			opt[n++] = 3;
			opt[n++] = TCPOLEN_WS;
			opt[n++] = tp->rcv_scale;
		}
		n += build_tfo(tp, &opt[n]);
		return n;
	}
	if (tp->flags & TF_TS_OK) {
		/* NOP, NOP, kind 8, length 10 */
		put32(&opt[n], 0x0101080a);
		put32(&opt[n + 4], tq_tcp_ts_now(tp));
		put32(&opt[n + 8], tp->ts_recent);
		n += 12;
	}
	if ((tp->flags & TF_SACK_OK) && tp->ooo) {
		uint32_t blk[TQ_TCP_MAX_SACK][2];
		unsigned int k, nb;

		/* 40 bytes of options: 3 blocks beside timestamps, else 4. */
		nb = tq_tcp_sack_blocks(tp, blk,
				(tp->flags & TF_TS_OK) ? 3 : 4);
		if (nb) {
			opt[n++] = 1;
			opt[n++] = 1;
			opt[n++] = 5;
			opt[n++] = (uint8_t)(2 + 8 * nb);
			for (k = 0; k < nb; k++) {
				put32(&opt[n], blk[k][0]);
				put32(&opt[n + 4], blk[k][1]);
				n += 8;
			}
		}
	}
	return n;
}

/*
 * A payload up to this many bytes is copied behind the header instead
 * of chained: the copy costs fewer instructions than an indirect mbuf's
 * alloc, attach, and on the receiving end its detach and the freeing of
 * two mbufs (bench/cost), and the NIC gets one flat buffer.  Larger
 * segments (bulk) stay zero-copy.
 */
#define TQ_TCP_COPY_MAX 1024

/* k bytes of seg from off appended to h's data, in h's buffer. */
static inline void
copy_behind(struct rte_mbuf *h, const struct rte_mbuf *seg, uint32_t off,
		uint32_t k)
{
	memcpy(rte_pktmbuf_mtod_offset(h, uint8_t *, h->data_len),
			rte_pktmbuf_mtod_offset(seg, const uint8_t *, off), k);
	h->data_len = (uint16_t)(h->data_len + k);
	h->pkt_len += k;
}

/* The send cursor after taking queue bytes up to end from seg (which
 * starts at start and holds avail): on seg, or on the next when seg
 * was used up. */
static inline void
cursor_after(struct tq_tcb *tp, struct rte_mbuf *seg, uint32_t start,
		uint32_t avail, uint32_t end)
{
	if (end >= start + avail) {
		tp->cur_seg = seg->next;
		tp->cur_start = start + avail;
	} else {
		tp->cur_seg = seg;
		tp->cur_start = start;
	}
}

/*
 * Chain indirect mbufs for len bytes of the send queue at offset off
 * from snd_una onto h, or copy them into h when they are few.  Returns
 * 0 or -ENOBUFS.
 */
static int
attach_payload(struct tq_tcb *tp, struct rte_mbuf *h, uint32_t off,
		uint32_t len)
{
	struct rte_mbuf *seg, *last = h;
	uint32_t start; /* offset of seg's first queued byte */
	bool copy = len <= TQ_TCP_COPY_MAX &&
		rte_pktmbuf_tailroom(h) >= len;

	/* Start from the cached position when it is not past off. */
	if (tp->cur_seg && tp->cur_start <= off) {
		seg = tp->cur_seg;
		start = tp->cur_start;
	} else {
		seg = tp->sndq.head;
		start = 0;
	}
	while (seg) {
		uint32_t skip = (seg == tp->sndq.head) ? tp->sndq.off : 0;
		uint32_t avail = seg->data_len - skip;

		if (off < start + avail)
			break;
		start += avail;
		seg = seg->next;
	}
	/* All of it in one queued mbuf (a request, a response): one copy,
	 * without the loop's bookkeeping. */
	if (copy && seg) {
		uint32_t skip = (seg == tp->sndq.head) ? tp->sndq.off : 0;
		uint32_t avail = seg->data_len - skip;
		uint32_t in = off - start;

		if (len <= avail - in) {
			copy_behind(h, seg, skip + in, len);
			cursor_after(tp, seg, start, avail, off + len);
			return 0;
		}
	}
	while (len && seg) {
		uint32_t skip = (seg == tp->sndq.head) ? tp->sndq.off : 0;
		uint32_t avail = seg->data_len - skip;
		uint32_t in = off - start;
		uint32_t k = RTE_MIN(len, avail - in);

		if (copy) {
			copy_behind(h, seg, skip + in, k);
		} else {
			struct rte_mbuf *mi = rte_pktmbuf_alloc(tp->s->pool);

			if (!mi)
				return -ENOBUFS;
			rte_pktmbuf_attach(mi, seg);
			mi->data_off = (uint16_t)(seg->data_off + skip + in);
			mi->data_len = (uint16_t)k;
			mi->pkt_len = k;
			last->next = mi;
			last = mi;
			h->nb_segs++;
			h->pkt_len += k;
		}
		len -= k;
		off += k;
		cursor_after(tp, seg, start, avail, off);
		start = tp->cur_start;
		seg = tp->cur_seg;
	}
	return len ? -ENOBUFS : 0;
}

/* Build and send one segment; returns 0 or a negative errno. */
static int
send_segment(struct tq_tcb *tp, uint32_t seq, uint32_t len, uint8_t flags)
{
	struct tq_shard *s = tp->s;
	struct rte_mbuf *h = tq_net_alloc(s);
	struct rte_tcp_hdr *th;
	struct tq_addr la, fa;
	unsigned int olen;
	uint32_t win;

	if (!h)
		return -ENOBUFS;
	/* Room for the most options, built in place (the header mbuf
	 * holds nothing yet); its length is set once they are. */
	if (unlikely(rte_pktmbuf_tailroom(h) <
			sizeof(*th) + TQ_TCP_MAX_OPTLEN)) {
		rte_pktmbuf_free(h);
		return -ENOBUFS;
	}
	th = rte_pktmbuf_mtod(h, struct rte_tcp_hdr *);
	olen = build_options(tp, (uint8_t *)(th + 1), flags);
	h->data_len = (uint16_t)(sizeof(*th) + olen);
	h->pkt_len = h->data_len;
	/* On a SYN (fast open) the data starts at the queue's head. */
	if (len && attach_payload(tp, h, (flags & TQ_TH_SYN) ? 0 :
			seq - tp->snd_una, len) < 0) {
		TQ_INC(s, NO_MBUF);
		rte_pktmbuf_free(h);
		return -ENOBUFS;
	}
	if (flags & TQ_TH_SYN) {
		/* RFC 7323 2.2: the window of a SYN is never scaled. */
		win = RTE_MIN(tq_tcp_rcv_wnd(tp), (uint32_t)UINT16_MAX);
		/* What we offered is what the peer may fill, even before
		 * the handshake completes (data on the third ACK). */
		if ((flags & TQ_TH_ACK) &&
				SEQ_GT(tp->rcv_nxt + win, tp->rcv_adv))
			tp->rcv_adv = tp->rcv_nxt + win;
	} else {
		win = tq_tcp_rcv_wnd(tp);
		if (SEQ_GT(tp->rcv_nxt + win, tp->rcv_adv))
			tp->rcv_adv = tp->rcv_nxt + win;
		win >>= tp->rcv_scale;
	}
	th->src_port = tp->key.lport;
	th->dst_port = tp->key.fport;
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = (flags & TQ_TH_ACK) ? rte_cpu_to_be_32(tp->rcv_nxt) : 0;
	/* Options come in whole words (build_options pads): the length
	 * in words, in the top nibble, is the length in bytes times 4. */
	th->data_off = (uint8_t)((sizeof(*th) + olen) << 2);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16((uint16_t)win);
	th->cksum = 0;
	th->tcp_urp = 0;
	if (len > tp->mss && !(flags & TQ_TH_SYN)) {
		/* cut to the MSS below us: tq_tcp_seg_max() */
		h->ol_flags |= RTE_MBUF_F_TX_TCP_SEG;
		h->tso_segsz = tp->mss;
		h->l4_len = (uint8_t)(sizeof(*th) + olen);
		TQ_INC(s, TCP_OUT_TSO);
	}
	if (flags & TQ_TH_ACK) {
		tp->flags &= ~(TF_ACKNOW | TF_DELACK);
		tp->segs_unacked = 0;
		tq_timer_cancel(s->timers, &tp->t_delack);
	}
	TQ_INC(s, TCP_OUT_SEGS);
	if (unlikely(tp->rate != NULL) && len && !(flags & TQ_TH_SYN))
		tq_tcp_rate_sent(tp, seq, len);
	/* The next hop known (nearly every segment): the connection's
	 * prebuilt headers, made again when the neighbour table has moved
	 * on and the route cache holds or fills from the shard's. */
	if (likely(tq_ip_tmpl_valid(s, &tp->iph)))
		return tq_ip_output_tmpl(s, h, &tp->iph);
	tq_tcp_key_addrs(&tp->key, &la, &fa);
	if (tq_route_cache_valid(s, &tp->rc) ||
			tq_route_cache_fill(s, &tp->rc, &fa)) {
		tq_ip_tmpl_build(s, &tp->iph, &la, &fa, IPPROTO_TCP,
				&tp->rc.mac);
		return tq_ip_output_tmpl(s, h, &tp->iph);
	}
	return tq_ip_output_rc(s, h, &la, &fa, IPPROTO_TCP, &tp->rc);
}

void
tq_tcp_send_syn(struct tq_tcb *tp)
{
	uint8_t flags = TQ_TH_SYN;

	uint32_t len = 0;

	if (tp->state == TQ_TCPS_SYN_RECEIVED)
		flags |= TQ_TH_ACK;
	/* RFC 7413 3: data rides on the first SYN only when we hold a
	 * cookie; a retransmitted SYN goes bare (as Linux does). */
	if (tp->state == TQ_TCPS_SYN_SENT && (tp->flags & TF_TFO_REQ) &&
			tp->rxtshift == 0 && tp->sndq.bytes) {
		struct tq_addr la, fa;
		struct tq_tfo_entry *e;

		tq_tcp_key_addrs(&tp->key, &la, &fa);
		e = tq_tfo_lookup(tq_tcp(tp->s), &fa, false);
		if (e && e->len)
			len = RTE_MIN(tp->sndq.bytes, (uint32_t)(e->mss ?
					e->mss : tq_tcp(tp->s)->conf->mss_default));
	}
	send_segment(tp, tp->iss, len, flags);
	tp->snd_nxt = tp->iss + 1 + len;
	if (SEQ_GT(tp->snd_nxt, tp->snd_max))
		tp->snd_max = tp->snd_nxt;
}

void
tq_tcp_send_ack(struct tq_tcb *tp)
{
	send_segment(tp, tp->snd_nxt, 0, TQ_TH_ACK);
}

void
tq_tcp_send_rst(struct tq_tcb *tp)
{
	TQ_INC(tp->s, TCP_OUT_RSTS);
	send_segment(tp, tp->snd_nxt, 0, TQ_TH_RST | TQ_TH_ACK);
}

/*
 * RFC 9293 3.10.7.1: with ACK, <SEQ=SEG.ACK><CTL=RST>; without,
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
 */
void
tq_tcp_respond_rst(struct tq_shard *s, struct tq_rx *rx,
		const struct tq_tcp_seg *seg)
{
	struct rte_mbuf *m;
	struct rte_tcp_hdr *th;
	uint32_t seglen = seg->len + !!(seg->flags & TQ_TH_SYN) +
		!!(seg->flags & TQ_TH_FIN);

	if (rx->to_bcast)
		return;
	m = tq_net_alloc(s);
	if (!m)
		return;
	th = (struct rte_tcp_hdr *)rte_pktmbuf_append(m, sizeof(*th));
	if (!th) {
		rte_pktmbuf_free(m);
		return;
	}
	memset(th, 0, sizeof(*th));
	th->src_port = seg->dport;
	th->dst_port = seg->sport;
	if (seg->flags & TQ_TH_ACK) {
		th->sent_seq = rte_cpu_to_be_32(seg->ack);
		th->tcp_flags = TQ_TH_RST;
	} else {
		th->recv_ack = rte_cpu_to_be_32(seg->seq + seglen);
		th->tcp_flags = TQ_TH_RST | TQ_TH_ACK;
	}
	th->data_off = (sizeof(*th) / 4) << 4;
	TQ_INC(s, TCP_OUT_RSTS);
	TQ_INC(s, TCP_OUT_SEGS);
	tq_ip_output(s, m, &rx->dst, &rx->src, IPPROTO_TCP, &rx->peer_mac);
}

/* Bytes SACKed in [a, b). */
static uint32_t
sacked_in(const struct tq_tcb *tp, uint32_t a, uint32_t b)
{
	uint32_t n = 0;
	unsigned int i;

	for (i = 0; i < tp->sb_n; i++) {
		uint32_t x = SEQ_MAX(a, tp->sb[i][0]);
		uint32_t y = SEQ_MIN(b, tp->sb[i][1]);

		if (SEQ_LT(x, y))
			n += y - x;
	}
	return n;
}

/*
 * RFC 6675 pipe: bytes thought to be in the network.  Without SACK the
 * duplicate ACKs stand for segments that left it (as Linux counts
 * sacked_out for Reno); so too when SACK blocks came but found no
 * scoreboard free (TCPSackNoBoard).
 */
static uint32_t
pipe_bytes(const struct tq_tcb *tp)
{
	uint32_t flight = tp->snd_max - tp->snd_una;
	uint32_t sacked, lost = 0;

	if ((tp->flags & TF_SACK_OK) && tp->sb)
		sacked = tp->sacked_bytes;
	else
		sacked = RTE_MIN((uint32_t)tp->dupacks * tp->mss,
				flight > tp->mss ? flight - tp->mss : 0);
	if ((tp->flags & TF_INRECOVERY) &&
			SEQ_LT(tp->rexmit_nxt, tp->rexmit_end)) {
		uint32_t a = SEQ_MAX(tp->rexmit_nxt, tp->snd_una);

		if (SEQ_LT(a, tp->rexmit_end))
			lost = (tp->rexmit_end - a) -
				sacked_in(tp, a, tp->rexmit_end);
	}
	if (sacked + lost >= flight)
		return 0;
	return flight - sacked - lost;
}

static uint32_t
fin_seq(const struct tq_tcb *tp)
{
	return tp->snd_una + tp->sndq.bytes;
}

/* One retransmission of lost data in recovery; false if none is due. */
static bool
retransmit_lost(struct tq_tcb *tp, uint32_t *budget)
{
	uint32_t seq = SEQ_MAX(tp->rexmit_nxt, tp->snd_una), end, len;

	while (SEQ_LT(seq, tp->rexmit_end) &&
			tq_tcp_sb_is_sacked(tp, seq, &end))
		seq = end;
	if (!SEQ_LT(seq, tp->rexmit_end) || !SEQ_LT(seq, fin_seq(tp))) {
		tp->rexmit_nxt = tp->rexmit_end;
		return false;
	}
	len = RTE_MIN((uint32_t)tp->mss, tp->rexmit_end - seq);
	len = RTE_MIN(len, fin_seq(tp) - seq);
	/* Stop at the next SACKed block. */
	for (unsigned int i = 0; i < tp->sb_n; i++)
		if (SEQ_GT(tp->sb[i][0], seq) &&
				SEQ_LT(tp->sb[i][0], seq + len))
			len = tp->sb[i][0] - seq;
	if (len > *budget)
		return false;
	if (send_segment(tp, seq, len, TQ_TH_ACK) < 0)
		return false;
	TQ_INC(tp->s, TCP_RETRANS_SEGS);
	tp->retrans++;
	/* Karn: a retransmitted range gives no RTT sample. */
	if ((tp->flags & TF_RTT_TIMING) && SEQ_LT(tp->rtseq, seq + len))
		tp->flags &= ~TF_RTT_TIMING;
	tp->rexmit_nxt = seq + len;
	*budget -= len;
	return true;
}

/*
 * Payload of the next segment at most: one MSS, or with TSO/GSO below
 * us as many whole MSS as the interface takes, so the headers, options,
 * window, IP and Ethernet work is done once per up to 64 KiB.  Not for
 * retransmissions (one MSS each, around SACKed data), nor while SACK
 * blocks ride on our segments (every frame would carry them, past the
 * MTU), and no more than the pacer lets out now.
 */
static uint32_t
seg_max(const struct tq_tcb *tp, uint64_t pace, bool rexmit)
{
	uint32_t mss = tp->mss, tso = tq_net(tp->s)->ifc->tso_max;

	if (likely(tso <= mss) || rexmit || tp->ooo)
		return mss;
	tso = RTE_MIN(tso, mss * TQ_TSO_MAX_SEGS);
	if (unlikely(pace != UINT64_MAX))
		tso = (uint32_t)RTE_MIN((uint64_t)tso, pace);
	return RTE_MAX(tso / mss * mss, mss);
}

void
tq_tcp_retransmit_una(struct tq_tcb *tp)
{
	tq_tcp_output(tp);
}

void
tq_tcp_output_run(struct tq_tcb *tp)
{
	struct tq_shard *s = tp->s;
	uint32_t wnd, budget, sent_any = 0;
	bool new_data = false, arm = false;
	uint64_t pace = UINT64_MAX;	/* bytes the pacer lets out */

	if (!TQ_TCPS_ESTABLISHED_OR_LATER(tp->state)) {
		if ((tp->flags & TF_ACKNOW) &&
				tp->state == TQ_TCPS_SYN_RECEIVED)
			tq_tcp_send_syn(tp);
		return;
	}
	/* (tq_tcp_output() returned already when there is nothing to
	 * do: nothing unsent or to resend, no FIN or ACK owed.) */
	wnd = RTE_MIN(tp->snd_wnd, tp->cc.cwnd);
	/*
	 * The usual send, a request's or a response's: what is queued is
	 * new, at most one MSS and fits the window, with no recovery, FIN,
	 * pacer or rate sampling about.  The loop below would send the
	 * same one segment, the same way (Nagle, the windows and the timer
	 * as there), after a dozen decisions that cannot go otherwise;
	 * test_tcp_predict.c runs both (tq_tcp_conf.predict) and compares.
	 */
	if (likely(!(tp->flags & (TF_INRECOVERY | TF_SHUT_WR)) &&
			tp->cc.pacing_rate == 0 && tp->rate == NULL &&
			tp->snd_nxt == tp->snd_max &&
			tq_tcp(s)->conf->predict)) {
		uint32_t off = tp->snd_nxt - tp->snd_una;
		uint32_t unsent = tp->sndq.bytes - off;

		if (tp->sndq.bytes > off && unsent <= tp->mss &&
				wnd >= off && unsent <= wnd - off &&
				((tp->flags & TF_NODELAY) || off == 0 ||
				 unsent == tp->mss)) {
			if (send_segment(tp, tp->snd_nxt, unsent,
					TQ_TH_ACK | TQ_TH_PSH) < 0) {
				budget = wnd - off;
				goto tail;
			}
			TQ_INC(s, TCP_OUT_PREDICTED);
			if (!(tp->flags & TF_RTT_TIMING)) {
				tp->flags |= TF_RTT_TIMING;
				tp->rtseq = tp->snd_nxt;
				tp->rttime = s->now;
			}
			tp->snd_nxt += unsent;
			tp->snd_max = tp->snd_nxt;
			if (!tq_tcp_rexmt_pending(tp) ||
					(tp->flags & (TF_PERSIST | TF_TLP)))
				tq_tcp_timer_rearm(tp);
			return;
		}
	}
	if (unlikely(tp->cc.pacing_rate != 0))
		pace = tq_tcp_pace_avail(tp);
	if (tp->flags & TF_INRECOVERY) {
		uint32_t pipe = pipe_bytes(tp);

		budget = tp->cc.cwnd > pipe ? tp->cc.cwnd - pipe : 0;
		while (budget >= tp->mss && retransmit_lost(tp, &budget))
			sent_any++;
	} else {
		uint32_t out = tp->snd_nxt - tp->snd_una;

		budget = wnd > out ? wnd - out : 0;
	}
	for (;;) {
		uint32_t off = tp->snd_nxt - tp->snd_una;
		uint32_t unsent = tp->sndq.bytes > off ?
			tp->sndq.bytes - off : 0;
		uint32_t usable, len, end;
		uint8_t flags = TQ_TH_ACK;
		bool fin, rexmit = SEQ_LT(tp->snd_nxt, tp->snd_max);

		/* After a timeout, skip what the peer already SACKed. */
		if (rexmit && tq_tcp_sb_is_sacked(tp, tp->snd_nxt, &end)) {
			tp->snd_nxt = SEQ_MIN(end, tp->snd_max);
			tp->cur_seg = NULL;
			continue;
		}
		usable = SEQ_GT(tp->snd_una + tp->snd_wnd, tp->snd_nxt) ?
			tp->snd_una + tp->snd_wnd - tp->snd_nxt : 0;
		usable = RTE_MIN(usable, budget);
		/* seg_max() is at least one MSS: a request's or response's
		 * tail, the usual send, needs none of its TSO sums */
		len = unsent <= tp->mss ? unsent :
			RTE_MIN(unsent, seg_max(tp, pace, rexmit));
		len = RTE_MIN(len, usable);
		/* whole MSS but for the tail of what is queued */
		if (len > tp->mss && len < unsent)
			len -= len % tp->mss;
		fin = (tp->flags & TF_SHUT_WR) && off + len == tp->sndq.bytes &&
			off <= tp->sndq.bytes &&
			(!(tp->flags & TF_FIN_SENT) || rexmit);
		if (len < tp->mss && !fin) {
			if (len == 0)
				break;
			/* Nagle (RFC 896): hold a small segment while data
			 * is unacknowledged, unless it is all we have. */
			if (!(tp->flags & TF_NODELAY) && !rexmit &&
					tp->snd_max != tp->snd_una &&
					len == unsent)
				break;
			/* RFC 9293 3.8.6.2.1 sender SWS avoidance. */
			if (len < unsent && len < tp->max_sndwnd / 2 && !rexmit)
				break;
		}
		if (len == unsent)
			flags |= TQ_TH_PSH;
		if (fin)
			flags |= TQ_TH_FIN;
		if (len == 0)
			flags &= (uint8_t)~TQ_TH_PSH;
		/* a whole segment or none: the timer sends it when the
		 * bucket holds it */
		if (unlikely(len > pace)) {
			tq_tcp_pace_wait(tp, len);
			break;
		}
		if (send_segment(tp, tp->snd_nxt, len, flags) < 0)
			break;
		sent_any++;
		if (unlikely(pace != UINT64_MAX)) {
			pace -= len;
			tq_cc_pace_spend(&tp->pace, len);
		}
		if (rexmit) {
			TQ_INC(s, TCP_RETRANS_SEGS);
			tp->retrans++;
		} else if (len) {
			new_data = true;
			if (!(tp->flags & TF_RTT_TIMING)) {
				tp->flags |= TF_RTT_TIMING;
				tp->rtseq = tp->snd_nxt;
				tp->rttime = s->now;
			}
		}
		tp->snd_nxt += len + (fin ? 1 : 0);
		if (fin)
			tp->flags |= TF_FIN_SENT;
		if (SEQ_GT(tp->snd_nxt, tp->snd_max))
			tp->snd_max = tp->snd_nxt;
		budget = budget > len ? budget - len : 0;
		if (!tq_tcp_rexmt_pending(tp) || (tp->flags & TF_PERSIST))
			arm = true;
		/* All of it gone and no FIN to follow: the next turn
		 * would find nothing (a request's or response's one
		 * segment, the usual send). */
		if (fin || len == 0 ||
				(len == unsent && !(tp->flags & TF_SHUT_WR)))
			break;
	}
	/* Armed once a burst (now is the same for all of it); RFC 8985
	 * 7.2: the probe timeout counts from the end of a burst, with the
	 * whole flight known. */
	if (arm || (new_data && (tp->flags & TF_TLP)))
		tq_tcp_timer_rearm(tp);
tail:
	/* the window had room the app did not fill: samples from here
	 * until this flight is delivered cannot lower BBR's estimate */
	if (unlikely(tp->rate != NULL) && budget >= tp->mss &&
			tp->sndq.bytes <= tp->snd_nxt - tp->snd_una)
		tq_tcp_rate_app_limited(tp);
	if (!sent_any && (tp->flags & TF_ACKNOW))
		tq_tcp_send_ack(tp);
	/*
	 * Data waits with nothing in flight: the window is zero (RFC 9293
	 * 3.8.6.1: probe it), or too small to send into under SWS avoidance
	 * (3.8.6.2.1: the override timeout sends what fits, like Linux's
	 * probe timer and tcp_write_wakeup()).  Either way the persist
	 * timer runs, or a peer whose window stays below our threshold
	 * would stall the connection for good.
	 */
	if (tp->sndq.bytes > tp->snd_nxt - tp->snd_una &&
			tp->snd_max == tp->snd_una &&
			!tq_tcp_rexmt_pending(tp)) {
		tp->flags |= TF_PERSIST;
		tq_tcp_rexmt_at(tp, s->now + RTE_MAX(tp->rto,
					tq_tcp(s)->conf->rto_min_ns));
	}
}

void
tq_tcp_send_probe(struct tq_tcb *tp)
{
	uint32_t off = tp->snd_nxt - tp->snd_una;
	uint32_t unsent = tp->sndq.bytes > off ? tp->sndq.bytes - off : 0;
	uint32_t seq, len;

	if (unsent && SEQ_GT(tp->snd_una + tp->snd_wnd, tp->snd_nxt) &&
			tp->snd_nxt == tp->snd_max) {
		len = RTE_MIN(unsent, (uint32_t)tp->mss);
		len = RTE_MIN(len, tp->snd_una + tp->snd_wnd - tp->snd_nxt);
		if (send_segment(tp, tp->snd_nxt, len, TQ_TH_ACK |
				(len == unsent ? TQ_TH_PSH : 0)) == 0) {
			tp->snd_nxt += len;
			tp->snd_max = tp->snd_nxt;
		}
		return;
	}
	/* Nothing new: the last segment again (with the FIN if it was). */
	if (tp->sndq.bytes == 0) {
		if (tp->flags & TF_FIN_SENT)
			send_segment(tp, tp->snd_max - 1, 0,
					TQ_TH_ACK | TQ_TH_FIN);
		return;
	}
	len = RTE_MIN((uint32_t)tp->mss, tp->sndq.bytes);
	seq = tp->snd_una + tp->sndq.bytes - len;
	{
		uint32_t end;

		/* The peer has it already: nothing to probe with. */
		if (tq_tcp_sb_is_sacked(tp, seq, &end) &&
				SEQ_GEQ(end, seq + len))
			return;
	}
	if (send_segment(tp, seq, len, TQ_TH_ACK | TQ_TH_PSH |
			((tp->flags & TF_FIN_SENT) ? TQ_TH_FIN : 0)) == 0) {
		TQ_INC(tp->s, TCP_RETRANS_SEGS);
		tp->retrans++;
		if ((tp->flags & TF_RTT_TIMING) &&
				SEQ_LT(tp->rtseq, seq + len))
			tp->flags &= ~TF_RTT_TIMING;
	}
}
