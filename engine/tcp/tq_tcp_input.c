/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Segments in: RFC 9293 3.10.7 state by state, after the [state][flags]
 * table has made the first cut.  RFC 5961's checks replace the plain
 * RST/SYN rules in synchronized states.
 */
#include <string.h>

#include <rte_ip.h>
#include <rte_ring_elem.h>
#include <rte_tcp.h>

#include "../core/tq_mbuf.h"
#include "tq_tcp.h"

#define MIN_MSS 88 /* Linux's floor (TCP_MIN_SND_MSS 48 + options) */

static uint16_t
path_mss(const struct tq_tcb *tp)
{
	uint16_t mtu = tq_net(tp->s)->ifc->mtu;
	uint16_t hdrs = tp->key.family == AF_INET ? 40 : 60;

	return (uint16_t)(mtu - hdrs);
}

/*
 * The MSS we offer (our link's) goes in adv_mss; what we send is the
 * peer's, capped by it and by a smaller path MTU learned from ICMP for
 * this peer.  Options (timestamps) are taken off by the caller.
 */
static uint16_t
choose_mss(struct tq_tcb *tp, uint16_t peer)
{
	tp->adv_mss = path_mss(tp);
	return RTE_MIN(RTE_MIN(peer, tp->adv_mss),
			tq_tcp_pmtu_mss(tp->s, &tp->key));
}

/* Options of a SYN decide the connection's features (RFC 7323, 2018). */
static void
apply_syn_options(struct tq_tcb *tp, const struct tq_tcp_seg *seg,
		bool we_offered)
{
	const struct tq_tcp_conf *c = tq_tcp(tp->s)->conf;
	uint16_t mss;

	mss = choose_mss(tp, seg->has_mss ? seg->mss : c->mss_default);
	tp->mss = RTE_MAX(mss, (uint16_t)MIN_MSS);
	if (seg->has_ws && c->wscale && we_offered) {
		tp->flags |= TF_WS_OK;
		tp->snd_scale = seg->ws;
	} else {
		tp->flags &= ~TF_WS_OK;
		tp->snd_scale = 0;
		tp->rcv_scale = 0;
	}
	if (seg->sack_ok && c->sack && we_offered)
		tp->flags |= TF_SACK_OK;
	if (seg->has_ts && c->timestamps && we_offered) {
		tp->flags |= TF_TS_OK;
		tp->ts_recent = seg->tsval;
		tp->ts_recent_age = tp->s->now;
	}
	if (tp->flags & TF_TS_OK)
		tp->mss = (uint16_t)RTE_MAX(tp->mss - 12, MIN_MSS);
}

/* ---------- receive queue ---------- */


/* Trim n bytes off the front of a chain, keeping pkt_len right. */
static void
chain_adj(struct rte_mbuf *m, uint32_t n)
{
	struct rte_mbuf *seg = m;

	m->pkt_len -= n;
	while (n && seg) {
		uint32_t k = RTE_MIN(n, (uint32_t)seg->data_len);

		seg->data_off = (uint16_t)(seg->data_off + k);
		seg->data_len = (uint16_t)(seg->data_len - k);
		n -= k;
		seg = seg->next;
	}
}

/* Insert a segment [seq, seq+len) into the out-of-order runs. */
static void
ooo_insert(struct tq_tcb *tp, struct rte_mbuf *m, uint32_t seq)
{
	const struct tq_tcp_conf *c = tq_tcp(tp->s)->conf;
	struct rte_mbuf **pp = &tp->ooo, *prev = NULL, *next;
	uint32_t len = m->pkt_len;

	if (tp->ooo_segs >= c->ooo_segs) {
		TQ_INC(tp->s, TCP_RCV_PRUNED);
		rte_pktmbuf_free(m);
		return;
	}
	while (*pp && SEQ_LEQ((*pp)->hash.usr, seq)) {
		prev = *pp;
		pp = tq_mbuf_link(*pp);
	}
	/* Cut what the run before already holds. */
	if (prev) {
		uint32_t pend = prev->hash.usr + prev->pkt_len;

		if (SEQ_GEQ(pend, seq + len)) {
			rte_pktmbuf_free(m);
			return;
		}
		if (SEQ_GT(pend, seq)) {
			chain_adj(m, pend - seq);
			len -= pend - seq;
			seq = pend;
		}
	}
	/* Cut what the runs after hold: drop runs we cover entirely,
	 * trim our tail at the first one we overlap. */
	next = *pp;
	while (next && SEQ_GEQ(seq + len, next->hash.usr + next->pkt_len)) {
		struct rte_mbuf *nn = *tq_mbuf_link(next);

		tp->ooo_bytes -= next->pkt_len;
		tp->ooo_segs -= next->nb_segs;
		rte_pktmbuf_free(next);
		next = nn;
	}
	*pp = next;
	if (next && SEQ_GT(seq + len, next->hash.usr)) {
		uint32_t cut = seq + len - next->hash.usr;

		if (tq_mbuf_trim_to(m, len - cut) < 0) {
			rte_pktmbuf_free(m);
			return;
		}
		len -= cut;
	}
	if (len == 0) {
		rte_pktmbuf_free(m);
		return;
	}
	TQ_INC(tp->s, TCP_OFO_QUEUE);
	tp->ooo_bytes += len;
	tp->ooo_segs += m->nb_segs;
	m->hash.usr = seq;
	/* Coalesce with neighbours into one run. */
	if (prev && prev->hash.usr + prev->pkt_len == seq) {
		rte_pktmbuf_lastseg(prev)->next = m;
		prev->nb_segs += m->nb_segs;
		prev->pkt_len += len;
		m = prev;
	} else {
		*tq_mbuf_link(m) = next;
		*pp = m;
	}
	if (next && m->hash.usr + m->pkt_len == next->hash.usr) {
		*tq_mbuf_link(m) = *tq_mbuf_link(next);
		rte_pktmbuf_lastseg(m)->next = next;
		m->nb_segs += next->nb_segs;
		m->pkt_len += next->pkt_len;
	} else {
		*tq_mbuf_link(m) = next;
	}
	tp->last_ooo[0] = m->hash.usr;
	tp->last_ooo[1] = m->hash.usr + m->pkt_len;
}

static __rte_always_inline void
rcv_append(struct tq_tcb *tp, struct rte_mbuf *m, uint32_t len)
{
	if (unlikely(tp->flags & TF_SHUT_RD)) {
		/* The app reads no more: acknowledge and drop. */
		TQ_ADD(tp->s, STREAM_RCV_DISCARD, len);
		rte_pktmbuf_free(m);
		tp->rcv_nxt += len;
		tp->bytes_received += len;
		return;
	}
	tq_mq_append(&tp->rcvq, m, len);
	tp->rcv_nxt += len;
	tp->bytes_received += len;
}

/* Move runs that now start at rcv_nxt to the receive queue. */
static bool
ooo_pull(struct tq_tcb *tp)
{
	bool moved = false;

	while (tp->ooo && SEQ_LEQ(tp->ooo->hash.usr, tp->rcv_nxt)) {
		struct rte_mbuf *m = tp->ooo;
		uint32_t len = m->pkt_len, seq = m->hash.usr;

		tp->ooo = *tq_mbuf_link(m);
		tp->ooo_bytes -= len;
		tp->ooo_segs -= m->nb_segs;
		if (SEQ_LEQ(seq + len, tp->rcv_nxt)) {
			rte_pktmbuf_free(m);
			continue;
		}
		if (SEQ_LT(seq, tp->rcv_nxt)) {
			chain_adj(m, tp->rcv_nxt - seq);
			len = m->pkt_len;
		}
		rcv_append(tp, m, len);
		moved = true;
	}
	if (!tp->ooo)
		tp->last_ooo[0] = tp->last_ooo[1] = 0;
	return moved;
}

/* ---------- notifications ---------- */

/* Inline for the input of every segment, out of line for the rest. */
static __rte_always_inline void
notify_readable(struct tq_tcb *tp)
{
	if (!tp->st.ops || (tp->flags & (TF_APP_GONE | TF_ACCEPTQ)))
		return;
	tq_stream_cb_readable(&tp->st);
	/* After the data: the peer will send no more, once. */
	if ((tp->flags & (TF_EOF_SEEN | TF_FIN_CB | TF_APP_GONE | TF_DOOMED))
			== TF_EOF_SEEN) {
		tp->flags |= TF_FIN_CB;
		tq_stream_cb_peer_fin(&tp->st);
	}
}

void
tq_tcp_notify_readable(struct tq_tcb *tp)
{
	notify_readable(tp);
}

/* Free send space under the low-water mark, in bytes or in mbufs? */
bool
tq_tcp_sndq_low(const struct tq_tcb *tp)
{
	uint32_t lowat = tp->sndlowat ? RTE_MIN(tp->sndlowat, tp->sndbuf) :
		tp->sndbuf / 2;
	uint32_t bytes = tp->sndbuf > tp->sndq.bytes ?
		tp->sndbuf - tp->sndq.bytes : 0;
	uint32_t segs = tp->sndbuf_segs > tp->sndq.nsegs ?
		tp->sndbuf_segs - tp->sndq.nsegs : 0;

	return bytes < lowat || segs < tp->sndbuf_segs / 2;
}

void
tq_tcp_wake_writer(struct tq_tcb *tp)
{
	if (!(tp->flags & TF_WANT_WRITE) || (tp->flags & TF_APP_GONE))
		return;
	/* Wake the writer once the low-water mark is free, not per ACK. */
	if (tq_tcp_sndq_low(tp))
		return;
	tp->flags &= ~TF_WANT_WRITE;
	tq_stream_cb_writable(&tp->st);
}

static void
enter_time_wait(struct tq_tcb *tp)
{
	const struct tq_tcp_conf *c = tq_tcp(tp->s)->conf;
	bool attached = tp->st.ops && !(tp->flags & TF_CLOSED_CB);

	/*
	 * An app that only shut its side down may not have read the last
	 * data or seen the FIN: it gets them first.
	 */
	if (attached) {
		tq_tcp_notify_readable(tp);
		if (tp->flags & TF_DOOMED)
			return; /* the app aborted it: that close follows */
	}
	/* What it could not take yet (its destination is full, say) is
	 * still its own: like a Linux socket after the peer's FIN, the
	 * stream stays readable until the app closes it or 2MSL ends. */
	if (attached && tp->rcvq.bytes && !(tp->flags & TF_APP_GONE))
		tp->flags |= TF_TW_APP;
	/* Bounded like tcp_max_tw_buckets: past it, no TIME_WAIT. */
	if (!(tp->flags & TF_TW_APP) &&
			(tp->s->ctr[TQ_CTR_TCP_TW_COUNT] >= c->max_tw ||
			 c->msl2_ns == 0)) {
		if (c->msl2_ns)
			TQ_INC(tp->s, TCP_TW_OVERFLOW);
		tq_tcb_close(tp, TQ_CLOSE_NORMAL);
		return;
	}
	tq_tcb_set_state(tp, TQ_TCPS_TIME_WAIT);
	tp->tw_since = tp->s->now;
	tq_tcp_rexmt_stop(tp);
	if (tp->flags & TF_TW_APP) {
		/* The app gets at least the FIN_WAIT_2 grace to read. */
		tq_tcp_2msl_arm(tp, RTE_MAX(c->msl2_ns, c->fin_timeout_ns));
		return;
	}
	tq_tcp_2msl_arm(tp, c->msl2_ns);
	if (attached) {
		tp->flags |= TF_CLOSED_CB;
		tq_stream_cb_closed(&tp->st, TQ_CLOSE_NORMAL);
	}
	tq_tcb_tw_release(tp);
}

/*
 * Our FIN is acknowledged after the peer's: the connection is over, but
 * data the app has not read yet is still its own, as in a Linux socket
 * it has not closed.  The TCB holds it in TIME_WAIT (so the 4-tuple
 * stays answered) until the app closes or the FIN_WAIT_2 grace ends.
 */
static void
last_ack_done(struct tq_tcb *tp)
{
	const struct tq_tcp_conf *c = tq_tcp(tp->s)->conf;

	if (tp->st.ops && !(tp->flags & (TF_CLOSED_CB | TF_APP_GONE)) &&
			tp->rcvq.bytes) {
		tq_tcp_notify_readable(tp);
		if (tp->flags & TF_DOOMED)
			return; /* the app aborted it: that close follows */
		if (tp->rcvq.bytes && !(tp->flags & TF_APP_GONE)) {
			tp->flags |= TF_TW_APP | TF_LA_HELD;
			tq_tcb_set_state(tp, TQ_TCPS_TIME_WAIT);
			tp->tw_since = tp->s->now;
			tq_tcp_rexmt_stop(tp);
			tq_tcp_2msl_arm(tp, RTE_MAX(c->msl2_ns,
					c->fin_timeout_ns));
			return;
		}
	}
	tq_tcb_close(tp, TQ_CLOSE_NORMAL);
}

/* TIME_WAIT is ours alone from here: no app, no queues. */
void
tq_tcb_tw_release(struct tq_tcb *tp)
{
	tp->st.ops = NULL;
	tq_mq_free(&tp->rcvq);
	tq_mq_free(&tp->sndq);
	tq_tcp_ooo_free(tp);
	tq_tcp_sb_free(tp);
	tq_tcp_rate_free(tp);
	tq_tcb_rx_sync(tp);
}

/*
 * RFC 5961 3.2/4.2: answer with an ACK; the peer, if real, resyncs.
 * RFC 5961 7: limited per worker (Linux's tcp_challenge_ack_limit), so
 * a flood of forged segments cannot turn us into an ACK cannon.
 */
static void
challenge_ack(struct tq_tcb *tp)
{
	struct tq_tcp *t = tq_tcp(tp->s);
	const uint64_t one = 1000000000ull;
	uint64_t cap = (uint64_t)t->conf->challenge_ack_limit * one;
	uint64_t dt = tp->s->now - t->chack_last;

	if (dt > 10 * one)
		dt = 10 * one;
	t->chack_last = tp->s->now;
	t->chack_tokens += dt * t->conf->challenge_ack_limit;
	if (t->chack_tokens > cap)
		t->chack_tokens = cap;
	if (t->chack_tokens < one) {
		TQ_INC(tp->s, TCP_CHALLENGE_ACK_LIMIT);
		return;
	}
	t->chack_tokens -= one;
	TQ_INC(tp->s, TCP_CHALLENGE_ACK);
	tq_tcp_send_ack(tp);
}

/* ---------- LISTEN ---------- */

static void rcv_append(struct tq_tcb *tp, struct rte_mbuf *m, uint32_t len);

/*
 * RFC 7413 server side.  A SYN asking for a cookie gets one on the
 * SYN-ACK.  A SYN with a valid cookie and data has its data accepted at
 * once and the connection goes to the accept queue before the handshake
 * ends (the app may answer in the same round trip); an invalid cookie is
 * replaced and the data left for the client to send again.
 * Returns true when it sent the SYN-ACK itself.
 */
static bool
fastopen_passive(struct tq_tcb *tp, struct tq_listener *l,
		struct tq_tcp_seg *seg)
{
	struct tq_shard *s = tp->s;
	uint8_t want[TQ_TFO_COOKIE_LEN];

	tq_tfo_server_cookie(tq_tcp(s)->secret, &tp->key, want);
	if (seg->tfo_len != TQ_TFO_COOKIE_LEN ||
			memcmp(seg->tfo_cookie, want, TQ_TFO_COOKIE_LEN)) {
		if (seg->tfo_len)
			TQ_INC(s, TCP_FASTOPEN_PASSIVE_FAIL);
		else
			TQ_INC(s, TCP_FASTOPEN_COOKIE_REQD);
		tp->flags |= TF_TFO_COOKIE;
		return false;
	}
	if (seg->len == 0 || !seg->m)
		return false;
	/* The data is ours now: it will be acknowledged by the SYN-ACK. */
	rcv_append(tp, seg->m, seg->len);
	seg->m = NULL;
	tq_tcb_rx_sync(tp);
	tp->flags |= TF_TFO_CHILD;
	TQ_INC(s, TCP_FASTOPEN_PASSIVE);
	l->syn_count--;
	tq_tcp_send_syn(tp);
	tq_tcp_rexmt_arm(tp);
	tq_tcp_accept_enqueue(l, tp);
	l->conf->cb(s, l, l->conf->arg);
	return true;
}

/*
 * SYN queue full: answer from a TCB on the stack, keeping nothing
 * (Linux's tcp_syncookies = 1).  What the cookie cannot carry (WS and
 * SACK without timestamps) is not offered.
 */
static void
send_cookie(struct tq_shard *s, struct tq_listener *l,
		struct tq_tcp_seg *seg, const struct tq_tcp_key *k)
{
	struct tq_tcp *t = tq_tcp(s);
	struct tq_tcb tmp;
	uint16_t mss;

	memset(&tmp, 0, sizeof(tmp));
	tmp.key = *k;
	tmp.s = s;
	tmp.state = TQ_TCPS_SYN_RECEIVED;
	tmp.rcvbuf = t->conf->rcvbuf;
	tmp.ts_offset = tq_tcp_ts_offset(t->secret, k);
	tmp.rcv_scale = tq_tcp_wscale_for(tmp.rcvbuf);
	apply_syn_options(&tmp, seg, true);
	if (!(tmp.flags & TF_TS_OK)) {
		tmp.flags &= ~(TF_WS_OK | TF_SACK_OK);
		tmp.rcv_scale = 0;
	}
	tmp.iss = tq_tcp_cookie_make(t->secret, k, seg->seq,
			seg->has_mss ? seg->mss : t->conf->mss_default,
			s->now, &mss);
	/* The cookie carries the peer's MSS (rounded down to Linux's
	 * table); the SYN-ACK offers ours, the path's, as Linux does. */
	RTE_SET_USED(mss);
	if (tmp.flags & TF_TS_OK) {
		tmp.flags |= TF_TS_COOKIE;
		/* The peer's scale: ours is recomputed from the buffer. */
		tmp.ts_cookie = tq_tcp_cookie_ts(tq_tcp_ts_now(&tmp),
				tmp.snd_scale, tmp.flags & TF_WS_OK,
				tmp.flags & TF_SACK_OK);
	}
	tmp.rcv_nxt = seg->seq + 1;
	tmp.snd_una = tmp.snd_nxt = tmp.snd_max = tmp.iss;
	/* Linux's "possible SYN flooding" line: once when cookies start on
	 * a listener after a minute without. */
	if (!l->last_overflow || s->now - l->last_overflow > 60000000000ull)
		TCP_LOG(WARNING, "possible SYN flood on port %u: sending "
			"cookies (worker %u)", rte_be_to_cpu_16(k->lport),
			s->id);
	l->last_overflow = s->now;
	TQ_INC(s, SYNCOOKIES_SENT);
	tq_tcp_send_syn(&tmp);
}

/*
 * The third ACK of a cookie handshake: rebuild the connection from the
 * cookie and the echoed timestamp, as if it had been in the SYN queue.
 * Returns the new ESTABLISHED TCB, or NULL (caller resets or drops).
 */
static struct tq_tcb *
cookie_ack(struct tq_shard *s, struct tq_listener *l,
		struct tq_tcp_seg *seg, const struct tq_tcp_key *k,
		uint32_t sig, bool *overflow)
{
	struct tq_tcp *t = tq_tcp(s);
	struct tq_tcb *tp;
	uint16_t mss;
	uint8_t wscale = 0;
	bool ws = false, sack = false;

	*overflow = false;
	if (tq_tcp_cookie_check(t->secret, k, seg->ack - 1, seg->seq - 1,
			s->now, &mss) < 0) {
		TQ_INC(s, SYNCOOKIES_FAILED);
		return NULL;
	}
	if (l->acc_count >= l->conf->backlog) {
		TQ_INC(s, LISTEN_OVERFLOWS);
		TQ_INC(s, LISTEN_DROPS);
		*overflow = true;
		return NULL;
	}
	tp = tq_tcb_new(s, k, sig);
	if (!tp) {
		TQ_INC(s, LISTEN_DROPS);
		*overflow = true;
		return NULL;
	}
	if (seg->has_ts && t->conf->timestamps) {
		tq_tcp_cookie_ts_decode(seg->tsecr, &ws, &wscale, &sack);
		tp->flags |= TF_TS_OK;
		tp->ts_recent = seg->tsval;
		tp->ts_recent_age = s->now;
	}
	tp->irs = seg->seq - 1;
	tp->rcv_nxt = seg->seq;
	tp->iss = seg->ack - 1;
	tq_tcp_init_send_seq(tp);
	tp->snd_una = tp->snd_nxt = tp->snd_max = seg->ack;
	/* The SYN-ACK offered ours; the cookie kept the peer's. */
	mss = choose_mss(tp, mss);
	tp->mss = (uint16_t)RTE_MAX(mss - ((tp->flags & TF_TS_OK) ? 12 : 0),
			MIN_MSS);
	if (ws && t->conf->wscale) {
		tp->flags |= TF_WS_OK;
		tp->snd_scale = wscale;
		tp->rcv_scale = tq_tcp_wscale_for(tp->rcvbuf);
	}
	if (sack && t->conf->sack)
		tp->flags |= TF_SACK_OK;
	/* What the SYN-ACK offered, unscaled. */
	tp->rcv_adv = tp->rcv_nxt + RTE_MIN(tp->rcvbuf, (uint32_t)UINT16_MAX);
	tp->snd_wnd = seg->wnd << tp->snd_scale;
	tp->max_sndwnd = tp->snd_wnd;
	tp->snd_wl1 = seg->seq - 1;
	tp->snd_wl2 = seg->ack;
	tp->cc.init_cwnd_segs = t->conf->init_cwnd;
	tq_cc_init(&tp->cc, tq_tcp_cc_start(tp, l), tp->mss, s->now);
	tq_tcp_rate_start(tp);
	tq_tcb_set_state(tp, TQ_TCPS_ESTABLISHED);
	tp->last_rcv = s->now;
	tq_tcp_keep_arm(tp);
	TQ_INC(s, SYNCOOKIES_RECV);
	TQ_INC(s, TCP_PASSIVE_OPENS);
	tq_tcp_accept_enqueue(l, tp);
	tp->listener = l;
	return tp;
}

static void
listen_input(struct tq_shard *s, struct tq_listener *l, struct tq_rx *rx,
		struct tq_tcp_seg *seg, const struct tq_tcp_key *k,
		uint32_t sig)
{
	struct tq_tcp *t = tq_tcp(s);
	struct tq_tcb *tp;

	if (l->acc_count >= l->conf->backlog) {
		/* Linux drops SYNs while the accept queue is full. */
		TQ_INC(s, LISTEN_OVERFLOWS);
		TQ_INC(s, LISTEN_DROPS);
		return;
	}
	if (l->syn_count >= l->conf->backlog) {
		if (t->conf->syncookies) {
			send_cookie(s, l, seg, k);
			return;
		}
		TQ_INC(s, LISTEN_DROPS);
		return;
	}
	tp = tq_tcb_new(s, k, sig);
	if (!tp) {
		TQ_INC(s, LISTEN_DROPS);
		return;
	}
	tp->listener = l;
	l->syn_count++;
	tp->irs = seg->seq;
	tp->rcv_nxt = seg->seq + 1;
	tp->rcv_adv = tp->rcv_nxt;
	tp->iss = tq_tcp_isn_tcb(tp, s->now);
	tq_tcp_init_send_seq(tp);
	tp->rcv_scale = tq_tcp_wscale_for(tp->rcvbuf);
	apply_syn_options(tp, seg, true);
	tp->snd_wnd = seg->wnd;
	tp->max_sndwnd = tp->snd_wnd;
	tp->snd_wl1 = seg->seq;
	tp->snd_wl2 = tp->iss;
	tp->cc.init_cwnd_segs = t->conf->init_cwnd;
	tq_cc_init(&tp->cc, tq_tcp_cc_start(tp, l), tp->mss, s->now);
	tq_tcp_rate_start(tp);
	tq_tcb_set_state(tp, TQ_TCPS_SYN_RECEIVED);
	TQ_INC(s, TCP_PASSIVE_OPENS);
	if (seg->tfo && (t->conf->fastopen & 2) && fastopen_passive(tp, l, seg))
		return;
	tq_tcp_send_syn(tp);
	tq_tcp_rexmt_arm(tp);
	RTE_SET_USED(rx);
}

/* ---------- SYN-SENT ---------- */

/* RFC 7413 client side: keep the server's cookie for next time, and
 * count whether the data on our SYN was taken. */
static void
fastopen_active(struct tq_tcb *tp, const struct tq_tcp_seg *seg)
{
	struct tq_tcp *t = tq_tcp(tp->s);
	struct tq_addr la, fa;
	struct tq_tfo_entry *e;

	tq_tcp_key_addrs(&tp->key, &la, &fa);
	if (seg->tfo && seg->tfo_len) {
		e = tq_tfo_lookup(t, &fa, true);
		e->len = seg->tfo_len;
		memcpy(e->cookie, seg->tfo_cookie, seg->tfo_len);
		e->mss = tp->mss;
	}
	if (!(seg->flags & TQ_TH_ACK) || SEQ_LEQ(tp->snd_max, tp->iss + 1))
		return; /* no data went on the SYN */
	if (seg->ack == tp->snd_max)
		TQ_INC(tp->s, TCP_FASTOPEN_ACTIVE);
	else
		TQ_INC(tp->s, TCP_FASTOPEN_ACTIVE_FAIL);
}

static void
syn_sent_input(struct tq_tcb *tp, struct tq_rx *rx, struct tq_tcp_seg *seg)
{
	struct tq_shard *s = tp->s;

	if (seg->flags & TQ_TH_ACK) {
		if (SEQ_LEQ(seg->ack, tp->iss) || SEQ_GT(seg->ack, tp->snd_max)) {
			if (!(seg->flags & TQ_TH_RST))
				tq_tcp_respond_rst(s, rx, seg);
			return;
		}
	}
	if (seg->flags & TQ_TH_RST) {
		/* ACK is acceptable here (the table demands one). */
		TQ_INC(s, TCP_ATTEMPT_FAILS);
		tq_tcb_close(tp, TQ_CLOSE_REFUSED);
		return;
	}
	if (!(seg->flags & TQ_TH_SYN))
		return;
	tp->irs = seg->seq;
	tp->rcv_nxt = seg->seq + 1;
	tp->rcv_adv = tp->rcv_nxt;
	apply_syn_options(tp, seg, true);
	tp->cc.init_cwnd_segs = tq_tcp(s)->conf->init_cwnd;
	tq_cc_init(&tp->cc, tq_tcp_cc_start(tp, NULL), tp->mss, s->now);
	tq_tcp_rate_start(tp);
	if (tp->flags & TF_TFO_REQ)
		fastopen_active(tp, seg);
	if (seg->flags & TQ_TH_ACK) {
		uint32_t syn_data = seg->ack - tp->iss - 1;

		/* Fast open: the SYN's data acknowledged with it. */
		if (syn_data) {
			tq_mq_drop(tp->s, &tp->sndq, syn_data);
			tp->bytes_acked += syn_data;
		}
		tp->snd_una = seg->ack;
		/* Data on the SYN not acknowledged: send it again now. */
		tp->snd_nxt = tp->snd_una;
		tp->cur_seg = NULL;
		if ((tp->flags & TF_RTT_TIMING) && tp->rxtshift == 0)
			tq_tcp_rtt_sample(tp, s->now - tp->rttime);
		tp->flags &= ~TF_RTT_TIMING;
		tp->rxtshift = 0;
		tq_tcp_rexmt_stop(tp);
		/* RFC 7323 2.2: a SYN's window is not scaled. */
		tp->snd_wnd = seg->wnd;
		tp->max_sndwnd = tp->snd_wnd;
		tp->snd_wl1 = seg->seq;
		tp->snd_wl2 = seg->ack;
		tq_tcb_set_state(tp, TQ_TCPS_ESTABLISHED);
		tp->last_rcv = s->now;
		tq_tcp_keep_arm(tp);
		tp->flags |= TF_ACKNOW;
		/* The app first: what it writes from connected() rides on
		 * the handshake's last ACK (as Linux delays that ACK when a
		 * write is pending). */
		tq_stream_cb_connected(&tp->st);
		if (!(tp->flags & TF_DOOMED))
			tq_tcp_output(tp);
		/* Fast open: what rode on the SYN is acknowledged already. */
		if (syn_data && !(tp->flags & (TF_APP_GONE | TF_DOOMED)))
			tq_stream_cb_acked(&tp->st, tp->bytes_acked);
		return;
	}
	/* Simultaneous open (RFC 9293 3.5). */
	tp->snd_wnd = seg->wnd;
	tp->snd_wl1 = seg->seq;
	tq_tcb_set_state(tp, TQ_TCPS_SYN_RECEIVED);
	tq_tcp_send_syn(tp);
	tq_tcp_rexmt_arm(tp);
}

/* ---------- synchronized states ---------- */

/* RFC 9293 3.10.7.4 first: is the segment in the window? */
static bool
seq_acceptable(const struct tq_tcb *tp, const struct tq_tcp_seg *seg,
		uint32_t seglen)
{
	uint32_t wnd = SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ?
		tp->rcv_adv - tp->rcv_nxt : 0;

	if (seglen == 0) {
		if (wnd == 0)
			return seg->seq == tp->rcv_nxt;
		return SEQ_LEQ(tp->rcv_nxt, seg->seq) &&
			SEQ_LT(seg->seq, tp->rcv_nxt + wnd);
	}
	if (wnd == 0)
		return false;
	return (SEQ_LEQ(tp->rcv_nxt, seg->seq) &&
			SEQ_LT(seg->seq, tp->rcv_nxt + wnd)) ||
		(SEQ_LEQ(tp->rcv_nxt, seg->seq + seglen - 1) &&
			SEQ_LT(seg->seq + seglen - 1, tp->rcv_nxt + wnd));
}

static void
enter_recovery(struct tq_tcb *tp)
{
	struct tq_shard *s = tp->s;

	tp->flags |= TF_INRECOVERY;
	tp->recover = tp->snd_max;
	tp->cc.ops->on_congestion(&tp->cc, tp->snd_max - tp->snd_una, s->now);
	tp->rexmit_nxt = tp->snd_una;
	if (tp->flags & TF_SACK_OK) {
		tp->rexmit_end = SEQ_MAX(tq_tcp_sb_highest(tp),
				tp->snd_una + tp->mss);
		TQ_INC(s, TCP_SACK_RECOVERY);
	} else {
		tp->rexmit_end = tp->snd_una + tp->mss;
		TQ_INC(s, TCP_RENO_RECOVERY);
	}
	tp->rexmit_end = SEQ_MIN(tp->rexmit_end, tp->snd_max);
	TQ_INC(s, TCP_FAST_RETRANS);
	/* Recovery has its own clock: the RTO, not a pending probe. */
	if (tp->flags & TF_TLP)
		tq_tcp_rexmt_arm(tp);
}

/* A new cumulative ACK: free acked data, time, grow, leave recovery. */
static void
ack_advance(struct tq_tcb *tp, uint32_t ack)
{
	struct tq_shard *s = tp->s;
	uint32_t acked = ack - tp->snd_una;
	uint32_t flight = tp->snd_max - tp->snd_una;
	uint32_t data = RTE_MIN(acked, tp->sndq.bytes);
	uint64_t rtt = 0;

	tq_mq_drop(s, &tp->sndq, data);
	tp->bytes_acked += data;
	tp->snd_una = ack;
	if (SEQ_LT(tp->snd_nxt, tp->snd_una))
		tp->snd_nxt = tp->snd_una;
	/*
	 * The send-queue cursor counts from snd_una.  A cursor right at
	 * the new head is dropped too: tq_mq_drop() frees empty segments
	 * there (a zero-copy chain can carry some), and the cursor may be
	 * one of them; kept, it would point into a freed mbuf that the
	 * next RX reuses, and we would send those bytes as our data.
	 */
	if (tp->cur_seg && tp->cur_start > acked)
		tp->cur_start -= acked;
	else
		tp->cur_seg = NULL;
	if ((tp->flags & TF_RTT_TIMING) && SEQ_GT(ack, tp->rtseq)) {
		rtt = s->now - tp->rttime;
		tq_tcp_rtt_sample(tp, rtt);
		tp->flags &= ~TF_RTT_TIMING;
	}
	tp->rxtshift = 0;
	tp->rexmit_start = 0;
	if (tp->snd_una == tp->snd_max)
		tq_tcp_rexmt_stop(tp);
	else
		tq_tcp_timer_rearm(tp); /* RFC 6298 5.3 */
	/* No scoreboard, nothing counted SACKed (nearly every ACK): the
	 * call would find nothing to trim. */
	if (tp->sb || tp->sacked_bytes)
		tq_tcp_sb_ack(tp);
	if (tp->flags & TF_INRECOVERY) {
		if (SEQ_GEQ(ack, tp->recover)) {
			tp->flags &= ~TF_INRECOVERY;
			tp->cc.ops->on_recovery_end(&tp->cc, s->now);
		} else if (tp->flags & TF_SACK_OK) {
			tp->rexmit_end = SEQ_MAX(tp->rexmit_end,
					tq_tcp_sb_highest(tp));
		} else {
			/* RFC 6582 3.2 step 5: partial ACK, the next
			 * segment is lost too. */
			tp->rexmit_nxt = tp->snd_una;
			tp->rexmit_end = SEQ_MIN(tp->snd_una + tp->mss,
					tp->snd_max);
		}
	} else if (tq_tcp_cwnd_limited(flight, tp->mss, tp->cc.cwnd)) {
		tp->cc.ops->on_ack(&tp->cc, data, rtt, flight, s->now);
	}
	tp->dupacks = 0;
	if (data && !(tp->flags & TF_APP_GONE))
		tq_stream_cb_acked(&tp->st, tp->bytes_acked);
}

/* Returns false when the segment must go no further. */
static bool
ack_input(struct tq_tcb *tp, struct tq_rx *rx, struct tq_tcp_seg *seg)
{
	struct tq_shard *s = tp->s;
	uint32_t sacked_before, prior_in_flight;
	bool fin_acked;

	if (tp->state == TQ_TCPS_SYN_RECEIVED) {
		struct tq_listener *l = tp->listener;

		if (SEQ_LEQ(seg->ack, tp->snd_una) ||
				SEQ_GT(seg->ack, tp->snd_max)) {
			tq_tcp_respond_rst(s, rx, seg);
			return false;
		}
		if (l && !(tp->flags & TF_TFO_CHILD) &&
				l->acc_count >= l->conf->backlog) {
			/* Like Linux: drop the ACK, keep the SYN_RECV
			 * entry; the client's retransmission retries. */
			TQ_INC(s, LISTEN_OVERFLOWS);
			TQ_INC(s, LISTEN_DROPS);
			return false;
		}
		if ((tp->flags & TF_RTT_TIMING) == 0 && tp->rxtshift == 0)
			tq_tcp_rtt_sample(tp, s->now - (tp->t_rexmt.expire -
					tp->rto));
		tq_tcp_rexmt_stop(tp);
		tp->rxtshift = 0;
		tp->snd_una = seg->ack;
		tp->snd_wnd = seg->wnd << tp->snd_scale;
		tp->max_sndwnd = tp->snd_wnd;
		tp->snd_wl1 = seg->seq;
		tp->snd_wl2 = seg->ack;
		tq_tcb_set_state(tp, TQ_TCPS_ESTABLISHED);
		tq_tcp_keep_arm(tp);
		if (tp->flags & TF_TFO_CHILD) {
			/* already on (or taken off) the accept queue; what
			 * the app wrote meanwhile can go now */
			tq_tcp_output(tp);
		} else if (l) {
			l->syn_count--;
			tq_tcp_accept_enqueue(l, tp);
			l->conf->cb(s, l, l->conf->arg);
		} else {
			/* simultaneous open */
			tq_stream_cb_connected(&tp->st);
		}
		return !(tp->flags & TF_DOOMED);
	}

	if (SEQ_GT(seg->ack, tp->snd_max)) {
		/* RFC 9293: ACK for something not yet sent. */
		TQ_INC(s, TCP_BAD_ACK);
		tq_tcp_send_ack(tp);
		return false;
	}
	/* RFC 5961 5.2: an ACK further back than the largest window we
	 * ever had is blind injection, not a late duplicate. */
	if (SEQ_LT(seg->ack, tp->snd_una - RTE_MAX(tp->max_sndwnd,
			(uint32_t)UINT16_MAX))) {
		TQ_INC(s, TCP_BAD_ACK);
		challenge_ack(tp);
		return false;
	}
	sacked_before = tp->sacked_bytes;
	prior_in_flight = unlikely(tp->rate != NULL) ?
		tq_tcp_rate_inflight(tp) : 0;
	if (tp->flags & TF_SACK_OK && seg->nsack)
		tq_tcp_sb_update(tp, seg);
	fin_acked = (tp->flags & TF_FIN_SENT) &&
		seg->ack == tp->snd_una + tp->sndq.bytes + 1;
	if (SEQ_GT(seg->ack, tp->snd_una)) {
		ack_advance(tp, seg->ack);
	} else if (seg->ack == tp->snd_una && seg->len == 0 &&
			!(seg->flags & (TQ_TH_SYN | TQ_TH_FIN)) &&
			tp->snd_max != tp->snd_una &&
			((seg->wnd << tp->snd_scale) == tp->snd_wnd ||
			 tp->sacked_bytes > sacked_before)) {
		/* RFC 5681 2: a duplicate ACK; RFC 6675 2 counts one that
		 * SACKs new data even if the window moved (receivers
		 * that autotune their buffer move it all the time). */
		if (tp->dupacks < UINT8_MAX)
			tp->dupacks++;
		if (!(tp->flags & TF_INRECOVERY) &&
				SEQ_GT(tp->snd_una, tp->recover - 1) &&
				(tp->dupacks >= 3 ||
				 ((tp->flags & TF_SACK_OK) &&
				  tp->sacked_bytes >= 3u * tp->mss)))
			enter_recovery(tp);
		else if ((tp->flags & TF_INRECOVERY) &&
				(tp->flags & TF_SACK_OK))
			tp->rexmit_end = SEQ_MAX(tp->rexmit_end,
					tq_tcp_sb_highest(tp));
	}
	if (unlikely(tp->rate != NULL))
		tq_tcp_rate_ack(tp, prior_in_flight);
	/* RFC 9293 3.10.7.4: window update from a newer segment. */
	if (SEQ_LT(tp->snd_wl1, seg->seq) || (tp->snd_wl1 == seg->seq &&
			SEQ_LEQ(tp->snd_wl2, seg->ack))) {
		tp->snd_wnd = seg->wnd << tp->snd_scale;
		tp->snd_wl1 = seg->seq;
		tp->snd_wl2 = seg->ack;
		if (tp->snd_wnd > tp->max_sndwnd)
			tp->max_sndwnd = tp->snd_wnd;
		if (tp->snd_wnd && (tp->flags & TF_PERSIST)) {
			/* The window opened: the probes' backoff is no
			 * retransmission backoff (Linux tcp_ack_probe). */
			tq_tcp_rexmt_stop(tp);
			tp->rxtshift = 0;
		}
	}
	if (!fin_acked)
		return true;
	switch (tp->state) {
	case TQ_TCPS_FIN_WAIT_1:
		tq_tcb_set_state(tp, TQ_TCPS_FIN_WAIT_2);
		/* Linux's tcp_fin_timeout: a closed app will not read, so
		 * do not wait forever for the peer's FIN. */
		if (tp->flags & TF_APP_GONE)
			tq_tcp_2msl_arm(tp, tq_tcp(s)->conf->fin_timeout_ns);
		break;
	case TQ_TCPS_CLOSING:
		enter_time_wait(tp);
		return false;
	case TQ_TCPS_LAST_ACK:
		last_ack_done(tp);
		return false;
	default:
		break;
	}
	return true;
}

/*
 * Segments a merged one stands for (GRO, tq_gro.c, or a NIC's LRO: the
 * size of the first in tso_segsz), so the ACK rules see what the peer
 * sent rather than what reached TCP: 1 for a segment as it came.
 */
static uint32_t
merged_segs(const struct rte_mbuf *m, uint32_t len)
{
	if (likely(!(m->ol_flags & RTE_MBUF_F_RX_LRO)) || m->tso_segsz == 0)
		return 1;
	return RTE_MAX((len + m->tso_segsz - 1) / m->tso_segsz, 1u);
}

static void
data_input(struct tq_tcb *tp, struct tq_tcp_seg *seg, bool *readable)
{
	const struct tq_tcp *t = tq_tcp(tp->s);
	struct rte_mbuf *m = seg->m;
	uint32_t len = seg->len, segs;

	seg->m = NULL;
	if (len == 0) {
		tq_shard_mbuf_free(tp->s, m);
		return;
	}
	if (tp->flags & TF_APP_GONE) {
		/* Data for an app that closed: Linux resets
		 * (TCPAbortOnData). */
		rte_pktmbuf_free(m);
		TQ_INC(tp->s, TCP_ABORT_ON_DATA);
		tq_tcp_send_rst(tp);
		tq_tcb_close(tp, TQ_CLOSE_ABORTED);
		return;
	}
	/*
	 * Memory pressure, like Linux's tcp_mem hard limit (TCPRcvQDrop):
	 * past the worker's budget new data is dropped, unACKed, and the
	 * sender retransmits it later.  Receive queues hold RX mbufs (zero
	 * copy), so without a bound a few peers whose apps stop reading
	 * could take the whole pool, and the port could then receive
	 * nothing, not even the ACKs and RSTs that would free it.
	 */
	if (unlikely(t->conf->rcv_mbufs &&
			t->rx_held + m->nb_segs > t->conf->rcv_mbufs)) {
		TQ_INC(tp->s, TCP_RCVQ_DROP);
		rte_pktmbuf_free(m);
		return;
	}
	segs = merged_segs(m, len);
	if (seg->seq == tp->rcv_nxt) {
		bool had_ooo = tp->ooo != NULL;
		const struct tq_tcp_conf *c = t->conf;

		/*
		 * Quick-ACK mode (Linux's tcp_incr_quickack()): the first
		 * data of a connection, or the first after an idle RTO,
		 * is ACKed segment by segment, so the sender's slow start
		 * is not held back by our delayed ACKs.
		 */
		if (c->quickack_max && (tp->bytes_received == 0 ||
				tp->s->now - tp->last_data_rx > tp->rto)) {
			uint32_t q = tp->rcvbuf / (2u * tp->mss);

			tp->quick = (uint8_t)RTE_MIN(RTE_MAX(q, 2u),
					(uint32_t)c->quickack_max);
		}
		tp->last_data_rx = tp->s->now;
		rcv_append(tp, m, len);
		if (had_ooo) {
			ooo_pull(tp);
			/* RFC 5681 4.2: ACK at once when a hole fills. */
			tp->flags |= TF_ACKNOW;
		}
		*readable = true;
		/* RFC 1122 4.2.3.2 / RFC 5681 4.2: every second full
		 * segment is ACKed at once, others wait for the timer;
		 * a merged one of two or more, at once. */
		tp->segs_unacked = (uint16_t)RTE_MIN(tp->segs_unacked + segs,
				(uint32_t)UINT16_MAX);
		if (tp->quick) {
			tp->quick--;
			tp->flags |= TF_ACKNOW;
		} else if ((tp->flags & TF_QUICKACK) ||
				tp->segs_unacked >= 2 ||
				(seg->flags & TQ_TH_PSH && len < tp->mss)) {
			tp->flags |= TF_ACKNOW;
		} else {
			tq_tcp_delack_arm(tp);
		}
	} else {
		ooo_insert(tp, m, seg->seq);
		/* RFC 5681 4.2: an out-of-order segment gets an
		 * immediate (duplicate) ACK, with SACK blocks; a merged
		 * one, one per segment it stands for, so a sender without
		 * SACK still counts three duplicates. */
		while (--segs > 0)
			tq_tcp_send_ack(tp);
		tp->flags |= TF_ACKNOW;
	}
	tq_tcb_rx_sync(tp);
}

static void
fin_input(struct tq_tcb *tp, bool *readable)
{
	tp->rcv_nxt++;
	tp->flags |= TF_EOF_SEEN;
	*readable = true;
	switch (tp->state) {
	case TQ_TCPS_SYN_RECEIVED:
	case TQ_TCPS_ESTABLISHED:
		tq_tcb_set_state(tp, TQ_TCPS_CLOSE_WAIT);
		/*
		 * The peer closes first: like Linux (pingpong mode after a
		 * FIN) its FIN is ACKed late, so an app that closes on EOF
		 * sends its FIN with that ACK: three segments, not four.
		 * TQ_OPT_QUICKACK ACKs it at once.
		 */
		if (tp->flags & TF_QUICKACK)
			tp->flags |= TF_ACKNOW;
		else
			tq_tcp_delack_arm(tp);
		return;
	case TQ_TCPS_FIN_WAIT_1:
		/* Our FIN not acked yet (that case left via ack_input). */
		tp->flags |= TF_ACKNOW;
		tq_tcb_set_state(tp, TQ_TCPS_CLOSING);
		break;
	case TQ_TCPS_FIN_WAIT_2:
		tq_tcp_send_ack(tp);
		enter_time_wait(tp);
		*readable = false;
		break;
	default:
		tp->flags |= TF_ACKNOW;
		break;
	}
}

static void sync_ack_data(struct tq_tcb *tp, struct tq_rx *rx,
		struct tq_tcp_seg *seg);

/* Every check of RFC 9293 3.10.7.4 before the ACK. */
static void
sync_slow(struct tq_tcb *tp, struct tq_rx *rx, struct tq_tcp_seg *seg)
{
	struct tq_shard *s = tp->s;
	uint32_t seglen = seg->len + !!(seg->flags & TQ_TH_SYN) +
		!!(seg->flags & TQ_TH_FIN);

	/* A retransmitted SYN while we wait for the third ACK: our SYN-ACK
	 * was lost, send it again (Linux inet_rtx_syn_ack) rather than an
	 * ACK the client would ignore. */
	if (tp->state == TQ_TCPS_SYN_RECEIVED && tp->listener &&
			(seg->flags & (TQ_TH_SYN | TQ_TH_ACK)) == TQ_TH_SYN &&
			seg->seq + 1 == tp->rcv_nxt) {
		tq_tcp_send_syn(tp);
		return;
	}
	/*
	 * RFC 7323 5.3 R1, PAWS: a timestamp older than the last one taken
	 * marks an old duplicate from an earlier incarnation or a wrapped
	 * sequence space.  A ts_recent idle for 24 days no longer counts.
	 */
	if (seg->has_ts && (tp->flags & TF_TS_OK) &&
			!(seg->flags & TQ_TH_RST) &&
			SEQ_LT(seg->tsval, tp->ts_recent)) {
		if (s->now - tp->ts_recent_age > 24ull * 86400 * 1000000000) {
			tp->ts_recent = 0;
		} else {
			TQ_INC(s, TCP_PAWS_ESTAB);
			tq_tcp_send_ack(tp);
			return;
		}
	}
	/* RFC 7323 4.3: remember the peer's timestamp from in-order
	 * segments, to echo it. */
	if (seg->has_ts && (tp->flags & TF_TS_OK) &&
			SEQ_LEQ(seg->seq, tp->rcv_nxt) &&
			SEQ_GEQ(seg->seq + seglen, tp->rcv_nxt)) {
		tp->ts_recent = seg->tsval;
		tp->ts_recent_age = s->now;
	}

	/*
	 * Simultaneous open (RFC 9293 3.5, and self-connect): in SYN_RECEIVED
	 * the peer's SYN-ACK repeats the SYN we already took.  Like Linux,
	 * let it through as a plain ACK rather than a challenge.
	 */
	if (tp->state == TQ_TCPS_SYN_RECEIVED && !tp->listener &&
			(seg->flags & (TQ_TH_SYN | TQ_TH_ACK)) ==
			(TQ_TH_SYN | TQ_TH_ACK) &&
			seg->seq + 1 == tp->rcv_nxt && seg->ack == tp->snd_nxt) {
		seg->flags &= (uint8_t)~TQ_TH_SYN;
		seg->seq++;
		seglen--;
	}
	if (!seq_acceptable(tp, seg, seglen)) {
		if (!(seg->flags & TQ_TH_RST)) {
			TQ_INC(s, TCP_OUT_OF_WINDOW);
			if (tp->state == TQ_TCPS_TIME_WAIT &&
					(seg->flags & TQ_TH_FIN))
				tq_tcp_2msl_arm(tp, tq_tcp(s)->conf->msl2_ns);
			tq_tcp_send_ack(tp);
		}
		return;
	}
	/* The peer is alive: keepalive starts over. */
	tp->last_rcv = s->now;
	tp->keep_probes = 0;
	if (tp->flags & TF_KEEPALIVE)
		tq_tcp_keep_arm(tp);
	if (seg->flags & TQ_TH_RST) {
		/* RFC 5961 3.2: only an exact hit resets. */
		if (seg->seq != tp->rcv_nxt) {
			challenge_ack(tp);
			return;
		}
		if (tp->flags & TF_TW_APP) {
			/* The peer is gone; what it sent stays readable. */
			tq_tcb_unhash(tp);
			return;
		}
		if (tp->state == TQ_TCPS_SYN_RECEIVED && tp->listener) {
			TQ_INC(s, TCP_ATTEMPT_FAILS);
			tq_tcb_close(tp, TQ_CLOSE_RESET);
			return;
		}
		if (tp->state >= TQ_TCPS_ESTABLISHED &&
				tp->state <= TQ_TCPS_CLOSE_WAIT)
			TQ_INC(s, TCP_ESTAB_RESETS);
		tq_tcb_close(tp, tp->state >= TQ_TCPS_CLOSING &&
				tp->state != TQ_TCPS_FIN_WAIT_2 ?
				TQ_CLOSE_NORMAL : TQ_CLOSE_RESET);
		return;
	}
	if (seg->flags & TQ_TH_SYN) {
		/* RFC 5961 4.2: any SYN on a synchronized connection. */
		challenge_ack(tp);
		return;
	}
	/* Trim to the window: what is before rcv_nxt was had already. */
	if (SEQ_LT(seg->seq, tp->rcv_nxt) && seg->len) {
		uint32_t dup = tp->rcv_nxt - seg->seq;

		if (dup >= seg->len) {
			seg->len = 0;
			/* a retransmission we have: ACK it (D-SACK-free) */
			tp->flags |= TF_ACKNOW;
		} else {
			chain_adj(seg->m, dup);
			seg->len -= dup;
		}
		seg->seq = tp->rcv_nxt;
	}
	{
		uint32_t wnd = SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ?
			tp->rcv_adv - tp->rcv_nxt : 0;
		uint32_t room = SEQ_GT(tp->rcv_nxt + wnd, seg->seq) ?
			tp->rcv_nxt + wnd - seg->seq : 0;

		if (seg->len > room) {
			tq_mbuf_trim_to(seg->m, room);
			seg->len = room;
			seg->flags &= (uint8_t)~TQ_TH_FIN;
			TQ_INC(s, TCP_RCV_PRUNED);
		}
	}
	sync_ack_data(tp, rx, seg);
}

/*
 * Header prediction, second half (RFC 9293 3.10.7.4 as Van Jacobson's
 * fast path: BSD tcp_input, Linux tcp_rcv_established): on an
 * established connection, the next segment in order with only ACK (and
 * PSH), timestamps that pass PAWS and data that fits the window needs
 * none of the checks before the ACK: no SYN, RST or FIN, nothing to
 * trim, acceptable by construction.  The ACK and the data are processed
 * by the same code as on the slow path, so both leave the same state
 * (tests/unit/test_tcp_predict.c).
 */
static __rte_always_inline bool
predict(struct tq_tcb *tp, const struct tq_tcp_seg *seg)
{
	uint32_t room;

	if (tp->state != TQ_TCPS_ESTABLISHED ||
			(seg->flags & ~TQ_TH_PSH) != TQ_TH_ACK ||
			seg->seq != tp->rcv_nxt || !seg->has_ts ||
			!(tp->flags & TF_TS_OK) ||
			SEQ_LT(seg->tsval, tp->ts_recent) ||
			!tq_tcp(tp->s)->conf->predict)
		return false;
	if (!seg->len)
		return true;
	room = SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt :
		0;
	return seg->len <= room;
}

/* Inline in tq_tcp_input: its own frame only led to sync_ack_data. */
static __rte_always_inline void
sync_input(struct tq_tcb *tp, struct tq_rx *rx, struct tq_tcp_seg *seg)
{
	struct tq_shard *s = tp->s;

	if (likely(predict(tp, seg))) {
		TQ_INC(s, TCP_HP_HITS);
		tp->ts_recent = seg->tsval;
		tp->ts_recent_age = s->now;
		tp->last_rcv = s->now;
		tp->keep_probes = 0;
		if (tp->flags & TF_KEEPALIVE)
			tq_tcp_keep_arm(tp);
		sync_ack_data(tp, rx, seg);
		return;
	}
	sync_slow(tp, rx, seg);
}

/* The ACK, the data and the FIN of an acceptable segment. */
static void
sync_ack_data(struct tq_tcb *tp, struct tq_rx *rx, struct tq_tcp_seg *seg)
{
	struct tq_shard *s = tp->s;
	bool readable = false;

	if (!ack_input(tp, rx, seg))
		return;
	if (tp->flags & TF_DOOMED)
		return;
	if (TQ_TCPS_RCV_DATA(tp->state))
		data_input(tp, seg, &readable);
	if (tp->flags & TF_DOOMED)
		return;
	/* FIN counts only when it is next in sequence. */
	if ((seg->flags & TQ_TH_FIN) && seg->seq + seg->len == tp->rcv_nxt &&
			!(tp->flags & TF_EOF_SEEN)) {
		if (tp->state == TQ_TCPS_TIME_WAIT) {
			tq_tcp_2msl_arm(tp, tq_tcp(s)->conf->msl2_ns);
			tq_tcp_send_ack(tp);
			return;
		}
		fin_input(tp, &readable);
		if (tp->state == TQ_TCPS_TIME_WAIT)
			return;
	} else if ((seg->flags & TQ_TH_FIN) &&
			tp->state == TQ_TCPS_TIME_WAIT) {
		/* Our ACK of the FIN was lost: ACK again, restart 2MSL. */
		tq_tcp_2msl_arm(tp, tq_tcp(s)->conf->msl2_ns);
		tq_tcp_send_ack(tp);
		return;
	}
	/*
	 * The app reads first: an answer it writes from the callback then
	 * carries the ACK this segment is due, instead of a pure ACK going
	 * out ahead of it (nothing leaves before the poll's flush anyway).
	 */
	if (readable)
		notify_readable(tp);
	if (tp->flags & TF_DOOMED)
		return;
	tq_tcp_output(tp);
	if (!(tp->flags & TF_DOOMED))
		tq_tcp_notify_writable(tp);
}

/* ---------- entry ---------- */

/*
 * A segment that reached the wrong worker (no RSS, or af_packet's rollover
 * when a ring fills) goes to its owner whole, as the frame it came in:
 * the headers are still in front of the data.
 */
static void
steer(struct tq_shard *s, struct tq_rx *rx, unsigned int owner)
{
	struct rte_mbuf *m = rx->m;
	struct tq_xmsg msg = { .type = TQ_XMSG_FRAME, .len = sizeof(m) };
	struct rte_ring *r = s->peers ? s->peers[owner]->xin[s->id] : NULL;

	if (!rte_pktmbuf_prepend(m, (uint16_t)(rx->l3_len +
			RTE_ETHER_HDR_LEN)) || !r) {
		TQ_INC(s, TCP_STEER_FAILS);
		rte_pktmbuf_free(m);
		return;
	}
	memcpy(msg.data, &m, sizeof(m));
	if (rte_ring_enqueue_elem(r, &msg, sizeof(msg)) < 0) {
		TQ_INC(s, TCP_STEER_FAILS);
		rte_pktmbuf_free(m);
		return;
	}
	TQ_INC(s, TCP_STEERED);
}

bool
tq_tcp_steer(struct tq_shard *s, struct tq_rx *rx, const struct tq_tcp_key *k)
{
	unsigned int owner;

	owner = tq_tcp_owner(s, k);
	if (owner == s->id)
		return false;
	steer(s, rx, owner);
	return true;
}

static bool
cksum_ok(const struct tq_rx *rx, uint32_t len)
{
	uint64_t f = rx->m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

	if (f == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		return true;
	if (f == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return false;
	return tq_l4_cksum_check(rx, IPPROTO_TCP, len);
}

/* Debug line about a segment that has no connection: "what PEER -> US". */
static void
log_seg(const struct tq_rx *rx, const struct tq_tcp_seg *seg, const char *what)
{
	char fb[TQ_ADDR_STRLEN + 8], lb[TQ_ADDR_STRLEN + 8];

	TCP_LOG(DEBUG, "%s %s -> %s", what,
		tq_log_ep(&rx->src, rte_be_to_cpu_16(seg->sport), fb,
			sizeof(fb)),
		tq_log_ep(&rx->dst, rte_be_to_cpu_16(seg->dport), lb,
			sizeof(lb)));
}

void
tq_tcp_input(struct tq_shard *s, struct tq_rx *rx)
{
	struct rte_mbuf *m = rx->m;
	struct rte_tcp_hdr *th;
	struct tq_tcp_seg seg;
	struct tq_tcp_key k;
	struct tq_tcb *tp;
	struct tq_listener *l = NULL;
	uint32_t sig;
	unsigned int hlen, state;
	uint8_t act;

	TQ_INC(s, TCP_IN_SEGS);
	if (unlikely(m->data_len < sizeof(*th))) {
		TQ_INC(s, TCP_IN_ERRS);
		goto drop;
	}
	th = rte_pktmbuf_mtod(m, struct rte_tcp_hdr *);
	hlen = (th->data_off >> 4) * 4u;
	if (unlikely(hlen < sizeof(*th) || hlen > m->data_len)) {
		TQ_INC(s, TCP_IN_ERRS);
		goto drop;
	}
	tq_tcp_key_make(&k, &rx->dst, &rx->src, th->dst_port, th->src_port);
	if (tq_tcp_steer_to_owner(s, rx, &k))
		return;
	if (unlikely(!cksum_ok(rx, m->pkt_len))) {
		TQ_INC(s, TCP_IN_CSUM_ERRORS);
		if (TCP_LOG_ON(DEBUG)) {
			seg.sport = th->src_port;
			seg.dport = th->dst_port;
			log_seg(rx, &seg, "bad checksum from");
		}
		goto drop;
	}
	/* No TCP to broadcast or multicast addresses (RFC 1122 4.2.3.10). */
	if (unlikely(rx->to_bcast)) {
		TQ_INC(s, TCP_TO_BCAST);
		goto drop;
	}
	/* the SACK blocks and the fast open cookie are read only as far as
	 * nsack and tfo_len say */
	memset(&seg, 0, offsetof(struct tq_tcp_seg, sack));
	seg.tfo = false;
	seg.tfo_len = 0;
	seg.m = NULL;
	seg.seq = rte_be_to_cpu_32(th->sent_seq);
	seg.ack = rte_be_to_cpu_32(th->recv_ack);
	seg.flags = th->tcp_flags & 0x3f;
	seg.wnd = rte_be_to_cpu_16(th->rx_win);
	seg.sport = th->src_port;
	seg.dport = th->dst_port;
	/* Header prediction, first half: the usual timestamps-only
	 * layout is read in place, no option walk. */
	if (!(likely(tq_tcp(s)->conf->predict &&
			!(seg.flags & TQ_TH_SYN)) &&
			tq_tcp_parse_ts_only((const uint8_t *)(th + 1),
				hlen - sizeof(*th), &seg)) &&
			tq_tcp_parse_options((const uint8_t *)(th + 1),
				hlen - sizeof(*th), &seg,
				(seg.flags & TQ_TH_SYN) != 0) < 0) {
		TQ_INC(s, TCP_IN_ERRS);
		goto drop;
	}
	rte_pktmbuf_adj(m, (uint16_t)hlen);
	seg.len = m->pkt_len;
	seg.m = m;

	tp = tq_tcp_lookup(s, &k, &sig);
	if (tp) {
		state = tp->state;
	} else {
		l = tq_tcp_find_listener(s, &rx->dst,
				rte_be_to_cpu_16(th->dst_port));
		state = l ? TQ_TCPS_LISTEN : TQ_TCPS_CLOSED;
	}
	/*
	 * RFC 6191 / Linux tcp_timewait_state_process(): a new SYN for a
	 * 4-tuple in TIME_WAIT opens a new connection when its sequence
	 * number (or timestamp) shows it is not an old duplicate.
	 */
	if (tp && state == TQ_TCPS_TIME_WAIT &&
			(seg.flags & (TQ_TH_SYN | TQ_TH_ACK | TQ_TH_RST)) ==
			TQ_TH_SYN &&
			((seg.has_ts && (tp->flags & TF_TS_OK)) ?
			 (SEQ_GT(seg.tsval, tp->ts_recent) ||
			  (seg.tsval == tp->ts_recent &&
			   SEQ_GT(seg.seq, tp->rcv_nxt))) :
			 SEQ_GT(seg.seq, tp->rcv_nxt))) {
		l = tq_tcp_find_listener(s, &rx->dst,
				rte_be_to_cpu_16(th->dst_port));
		if (l) {
			TQ_INC(s, TCP_TW_REOPENED);
			if (tp->flags & TF_TW_APP)
				tq_tcb_unhash(tp);
			else
				tq_tcb_close(tp, TQ_CLOSE_NORMAL);
			tp = NULL;
			state = TQ_TCPS_LISTEN;
		}
	}
	/* An ACK to a listener that overflowed lately may carry a cookie. */
	if (!tp && l && (seg.flags & (TQ_TH_SYN | TQ_TH_ACK | TQ_TH_RST)) ==
			TQ_TH_ACK && tq_tcp(s)->conf->syncookies &&
			l->last_overflow &&
			s->now - l->last_overflow < 120000000000ull) {
		bool overflow;

		tp = cookie_ack(s, l, &seg, &k, sig, &overflow);
		if (overflow)
			goto drop_seg;
		if (tp) {
			tp->busy++;
			sync_input(tp, rx, &seg);
			if (!(tp->flags & TF_DOOMED) &&
					(tp->flags & TF_ACCEPTQ))
				l->conf->cb(s, l, l->conf->arg);
			goto done;
		}
	}
	act = tq_tcp_action_table[state][tq_tcp_flag_class(seg.flags)];
	if (act == TQ_TCP_DROP) {
		/* A RST for a connection we no longer have is normal (the
		 * peer answering our last segments after we closed), not a
		 * malformed flag combination: counted apart. */
		if ((seg.flags & TQ_TH_RST) && (state == TQ_TCPS_CLOSED ||
				state == TQ_TCPS_LISTEN))
			TQ_INC(s, TCP_RST_NO_CONN);
		else
			TQ_INC(s, TCP_BAD_FLAGS);
		goto drop_seg;
	}
	if (act == TQ_TCP_RESET) {
		if (state == TQ_TCPS_CLOSED) {
			TQ_INC(s, TCP_NO_PORT);
			if (TCP_LOG_ON(DEBUG))
				log_seg(rx, &seg, "no connection or listener,"
						" RST to");
		}
		tq_tcp_respond_rst(s, rx, &seg);
		goto drop_seg;
	}
	switch (state) {
	case TQ_TCPS_LISTEN:
		listen_input(s, l, rx, &seg, &k, sig);
		break;
	case TQ_TCPS_SYN_SENT:
		tp->busy++;
		syn_sent_input(tp, rx, &seg);
		break;
	default:
		tp->busy++;
		sync_input(tp, rx, &seg);
		break;
	}
done:
	if (tp && unlikely(tp->flags & TF_WND_DEFER) && tp->busy == 1) {
		tp->flags &= ~TF_WND_DEFER;
		if ((tp->flags & (TF_ACKNOW | TF_DOOMED)) == TF_ACKNOW)
			tq_tcp_output(tp);
	}
	if (tp && --tp->busy == 0 && (tp->flags & TF_DOOMED))
		tq_tcb_close(tp, (enum tq_close_reason)tp->close_reason);
drop_seg:
	if (seg.m)
		tq_shard_mbuf_free(s, seg.m);
	return;
drop:
	tq_shard_mbuf_free(s, m);
}
