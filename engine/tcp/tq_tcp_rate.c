/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What BBR needs of TCP beyond cwnd: delivery-rate samples
 * (draft-cheng-iccrg-delivery-rate-estimation) and pacing.
 *
 * TCP keeps its data in the send queue and no per-segment send record,
 * so a connection whose algorithm needs samples takes a ring of them at
 * setup: one per transmission, in send order, with what tq_cc_rate_on_
 * sent() stamps.  An ACK delivers every record it covers, cumulatively
 * or by SACK, once: a retransmission retires the records of what it
 * resends, so a range is counted for its newest transmission only (as
 * Linux re-stamps the skb).  Connections without such an algorithm
 * take none and pay one branch in output and input.
 */
#include <string.h>

#include <rte_malloc.h>

#include "tq_tcp.h"

#define TQ_TCP_RATE_RECS 1024	/* power of two: a BDP of 1.4 MB */

struct tq_tcp_rec {
	uint32_t start, end;
	uint64_t sent;
	struct tq_cc_pkt_rs rs;
	bool done;
	bool rexmit;	/* a retransmission: no RTT sample (Karn) */
};

struct tq_tcp_rate {
	struct tq_cc_rate r;
	uint64_t min_rtt;	/* ns, of the samples; 0: none */
	uint32_t head, n;
	struct tq_tcp_rec rec[TQ_TCP_RATE_RECS];
};

static void
pace_cb(struct tq_timer *t, void *arg)
{
	struct tq_tcb *tp = arg;

	tq_tcp_output(tp);
}

void
tq_tcp_rate_init(struct tq_tcb *tp)
{
	tq_timer_init(&tp->t_pace, pace_cb, tp);
}

int
tq_tcp_rate_start(struct tq_tcb *tp)
{
	tp->pace.tokens = 0;
	tp->pace.stamp = 0;
	if (!tp->cc.ops->needs_rate_samples)
		return 0;
	if (!tp->rate)
		tp->rate = rte_malloc("tq_tcp_rate", sizeof(*tp->rate), 0);
	if (!tp->rate) {
		/* not refused for it: a window-based algorithm runs
		 * without records */
		TQ_INC(tp->s, TCP_RATE_NOMEM);
		tq_cc_init(&tp->cc, &tq_cc_cubic, tp->cc.mss, tp->s->now);
		return -ENOMEM;
	}
	memset(&tp->rate->r, 0, sizeof(tp->rate->r));
	tp->rate->min_rtt = 0;
	tp->rate->head = 0;
	tp->rate->n = 0;
	return 0;
}

void
tq_tcp_rate_free(struct tq_tcb *tp)
{
	tq_timer_cancel(tp->s->timers, &tp->t_pace);
	/* Most connections never had one (no pacing, no BBR): no call
	 * into the EAL's allocator to free NULL. */
	if (tp->rate != NULL) {
		rte_free(tp->rate);
		tp->rate = NULL;
	}
}

void
tq_tcp_rate_sent(struct tq_tcb *tp, uint32_t seq, uint32_t len)
{
	struct tq_tcp_rate *ra = tp->rate;
	struct tq_tcp_rec *e;
	uint32_t i;

	bool rexmit = SEQ_LT(seq, tp->snd_max);

	if (rexmit) {
		/* a retransmission: what it resends counts from now */
		for (i = 0; i < ra->n; i++) {
			e = &ra->rec[(ra->head + i) & (TQ_TCP_RATE_RECS - 1)];
			if (!e->done && SEQ_LT(e->start, seq + len) &&
					SEQ_GT(e->end, seq))
				e->done = true;
		}
	}
	if (ra->n == TQ_TCP_RATE_RECS) {
		/* a flight beyond the ring: extend the newest record when
		 * this follows it, else go unsampled */
		e = &ra->rec[(ra->head + ra->n - 1) & (TQ_TCP_RATE_RECS - 1)];
		if (!e->done && e->end == seq)
			e->end = seq + len;
		return;
	}
	e = &ra->rec[(ra->head + ra->n) & (TQ_TCP_RATE_RECS - 1)];
	ra->n++;
	e->start = seq;
	e->end = seq + len;
	e->sent = tp->s->now;
	e->done = false;
	e->rexmit = rexmit;
	tq_cc_rate_on_sent(&ra->r, &e->rs, tp->snd_max - tp->snd_una,
			tp->s->now);
}

static bool
rec_delivered(const struct tq_tcb *tp, const struct tq_tcp_rec *e)
{
	uint32_t end;

	if (SEQ_LEQ(e->end, tp->snd_una))
		return true;
	return tp->sb_n && tq_tcp_sb_is_sacked(tp, SEQ_MAX(e->start,
				tp->snd_una), &end) && SEQ_GEQ(end, e->end);
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
 * What BBR takes for inflight: sent, not SACKed, not taken for lost.
 * After a timeout snd_nxt went back to snd_una and everything past it
 * counts lost until resent (as Linux marks it); in recovery, the holes
 * not yet resent (RFC 6675's pipe).  snd_max - snd_una would hold the
 * lost flight of a STARTUP overshoot as inflight, and DRAIN, waiting
 * for it to fall under a BDP, would pace on at a third of the rate while
 * its own samples pulled the estimate down.
 */
uint32_t
tq_tcp_rate_inflight(const struct tq_tcb *tp)
{
	uint32_t flight = tp->snd_nxt - tp->snd_una;
	uint32_t gone = tp->sb_n ? sacked_in(tp, tp->snd_una, tp->snd_nxt) : 0;

	if ((tp->flags & TF_INRECOVERY) &&
			SEQ_LT(tp->rexmit_nxt, tp->rexmit_end)) {
		uint32_t a = SEQ_MAX(tp->rexmit_nxt, tp->snd_una);
		uint32_t b = SEQ_MIN(tp->rexmit_end, tp->snd_nxt);

		if (SEQ_LT(a, b))
			gone += (b - a) - sacked_in(tp, a, b);
	}
	return gone < flight ? flight - gone : 0;
}

void
tq_tcp_rate_ack(struct tq_tcb *tp, uint32_t prior_in_flight)
{
	struct tq_tcp_rate *ra = tp->rate;
	uint64_t now = tp->s->now;
	uint64_t rtt_sent = 0;	/* newest first transmission acked */
	struct tq_cc_rs rs;
	uint32_t i;

	tq_cc_rate_begin(&rs, prior_in_flight);
	for (i = 0; i < ra->n; i++) {
		struct tq_tcp_rec *e =
			&ra->rec[(ra->head + i) & (TQ_TCP_RATE_RECS - 1)];

		if (e->done || !rec_delivered(tp, e))
			continue;
		tq_cc_rate_on_acked(&ra->r, &rs, &e->rs, e->end - e->start,
				e->sent, now);
		if (!e->rexmit && e->sent > rtt_sent)
			rtt_sent = e->sent;
		e->done = true;
	}
	while (ra->n && ra->rec[ra->head].done) {
		ra->head = (ra->head + 1) & (TQ_TCP_RATE_RECS - 1);
		ra->n--;
	}
	if (rs.newly_acked == 0)
		return;
	/*
	 * The sample's RTT from a first transmission only: an ACK for the
	 * original covering a resent range (spurious or late) would give
	 * the resend a fraction of the path's RTT, and BBR would take
	 * that as its min RTT and shrink cwnd to match for 10 s.
	 */
	rs.rtt = rtt_sent && now > rtt_sent ? now - rtt_sent : 0;
	if (rs.rtt && (ra->min_rtt == 0 || rs.rtt < ra->min_rtt))
		ra->min_rtt = rs.rtt;
	tq_cc_rate_finish(&ra->r, &rs, ra->min_rtt);
	tp->cc.ops->on_rate_sample(&tp->cc, &rs, tq_tcp_rate_inflight(tp),
			now);
}

void
tq_tcp_rate_app_limited(struct tq_tcb *tp)
{
	tq_cc_rate_app_limited(&tp->rate->r, tp->snd_max - tp->snd_una);
}

static uint32_t
pace_quantum(const struct tq_tcb *tp)
{
	return tq_cc_pace_quantum(tp->cc.pacing_rate,
			tp->s->timers->tick_ns, tp->mss);
}

uint64_t
tq_tcp_pace_avail(struct tq_tcb *tp)
{
	return tq_cc_pace_avail(&tp->pace, tp->cc.pacing_rate,
			pace_quantum(tp), tp->s->now);
}

void
tq_tcp_pace_wait(struct tq_tcb *tp, uint32_t need)
{
	uint64_t at = tq_cc_pace_next(&tp->pace, tp->cc.pacing_rate, need,
			tp->s->now);

	TQ_INC(tp->s, TCP_PACE_WAITS);
	if (!tq_timer_pending(&tp->t_pace) || tp->t_pace.expire > at)
		tq_timer_arm(tp->s->timers, &tp->t_pace, at);
}
