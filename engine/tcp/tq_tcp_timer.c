/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP timers on the shard's wheel: retransmission (and persist, which
 * shares it: a probe is due only when nothing is in flight), delayed ACK,
 * and TIME_WAIT / FIN_WAIT_2.  Give-up times follow Linux's model, so the
 * same retries count gives the same total time (tcp_retries2 = 15 with
 * RTO_MIN 200 ms and RTO_MAX 120 s: 924.6 s).
 */
#include "tq_tcp.h"

static void rexmt_cb(struct tq_timer *t, void *arg);
static void delack_cb(struct tq_timer *t, void *arg);
static void tw_cb(struct tq_timer *t, void *arg);
static void keep_cb(struct tq_timer *t, void *arg);

void
tq_tcp_timers_init(struct tq_tcb *tp)
{
	tq_timer_init(&tp->t_rexmt, rexmt_cb, tp);
	tq_timer_init(&tp->t_delack, delack_cb, tp);
	tq_timer_init(&tp->t_2msl, tw_cb, tp);
	tq_timer_init(&tp->t_keep, keep_cb, tp);
	tq_tcp_rate_init(tp);
}

void
tq_tcp_timers_cancel(struct tq_tcb *tp)
{
	struct tq_timer_wheel *w = tp->s->timers;

	tq_timer_cancel(w, &tp->t_rexmt);
	tq_timer_cancel(w, &tp->t_delack);
	tq_timer_cancel(w, &tp->t_2msl);
	tq_timer_cancel(w, &tp->t_keep);
	tq_timer_cancel(w, &tp->t_pace);
	tp->flags &= ~(TF_DELACK | TF_PERSIST | TF_REXMT_OFF);
}

/* Linux's tcp_model_timeout(): doubling from rto_base until rto_max,
 * then linear. */
uint64_t
tq_tcp_retries_timeout(uint64_t rto_base, uint64_t rto_max, uint32_t retries)
{
	uint32_t thresh = 0;

	while ((rto_base << (thresh + 1)) <= rto_max)
		thresh++;
	if (retries <= thresh)
		return ((2ull << retries) - 1) * rto_base;
	return ((2ull << thresh) - 1) * rto_base +
		(uint64_t)(retries - thresh) * rto_max;
}

static uint64_t
backed_off_rto(const struct tq_tcb *tp)
{
	const struct tq_tcp_conf *c = tq_tcp(tp->s)->conf;
	uint64_t rto = tp->rto;
	unsigned int i;

	for (i = 0; i < tp->rxtshift && rto < c->rto_max_ns; i++)
		rto <<= 1;
	return RTE_MIN(rto, c->rto_max_ns);
}

/*
 * The retransmission timer is lazy: it is re-armed with every segment
 * sent and stopped with every ACK that leaves nothing in flight, so it
 * stays in the wheel, its time only moving later, and a stopped one is
 * marked rather than unlinked.  The wheel is touched when the time moves
 * earlier, and when a timer left behind comes due (rexmt_cb).
 */
void
tq_tcp_rexmt_at(struct tq_tcb *tp, uint64_t expire)
{
	tp->flags &= ~TF_REXMT_OFF;
	tq_timer_arm_later(tp->s->timers, &tp->t_rexmt, expire);
}

void
tq_tcp_rexmt_arm(struct tq_tcb *tp)
{
	tp->flags &= ~(TF_PERSIST | TF_TLP);
	tq_tcp_rexmt_at(tp, tp->s->now + backed_off_rto(tp));
}

void
tq_tcp_rexmt_stop(struct tq_tcb *tp)
{
	if (tq_timer_pending(&tp->t_rexmt))
		tp->flags |= TF_REXMT_OFF;
	tp->flags &= ~(TF_PERSIST | TF_TLP);
}

/*
 * RFC 8985 7.2: with data in flight, no recovery and no probe already
 * out, a loss at the tail of a flight is found by a probe after about two
 * RTTs rather than a whole RTO, so it is repaired by SACK recovery.
 */
void
tq_tcp_timer_rearm(struct tq_tcb *tp)
{
	uint64_t pto;

	if (!(tp->flags & TF_SACK_OK) || (tp->flags & TF_INRECOVERY) ||
			tp->srtt == 0 || tp->rxtshift ||
			tp->state != TQ_TCPS_ESTABLISHED ||
			SEQ_LT(tp->snd_una, tp->tlp_high)) {
		tq_tcp_rexmt_arm(tp);
		return;
	}
	pto = RTE_MAX(2 * tp->srtt, (uint64_t)10000000);
	/* One segment out: the peer may be holding its ACK back. */
	if (tp->snd_max - tp->snd_una <= tp->mss)
		pto += tq_tcp(tp->s)->conf->delack_ns;
	if (pto >= tp->rto) {
		tq_tcp_rexmt_arm(tp);
		return;
	}
	tp->flags &= ~TF_PERSIST;
	tp->flags |= TF_TLP;
	tq_tcp_rexmt_at(tp, tp->s->now + pto);
}

void
tq_tcp_delack_arm(struct tq_tcb *tp)
{
	if (tp->flags & TF_DELACK)
		return;
	tp->flags |= TF_DELACK;
	tq_timer_arm(tp->s->timers, &tp->t_delack,
			tp->s->now + tq_tcp(tp->s)->conf->delack_ns);
}

void
tq_tcp_2msl_arm(struct tq_tcb *tp, uint64_t ns)
{
	tq_timer_arm(tp->s->timers, &tp->t_2msl, tp->s->now + ns);
}

/* RFC 6298 2.2-2.4, with RTO_MIN from the config rather than 1 s. */
void
tq_tcp_rtt_sample(struct tq_tcb *tp, uint64_t r)
{
	const struct tq_tcp_conf *c = tq_tcp(tp->s)->conf;
	uint64_t var;

	if (r == 0)
		r = 1000; /* 1 us: a sample of zero still means "fast" */
	if (tp->srtt == 0) {
		tp->srtt = r;
		tp->rttvar = r / 2;
	} else {
		uint64_t d = tp->srtt > r ? tp->srtt - r : r - tp->srtt;

		tp->rttvar = (3 * tp->rttvar + d) / 4;
		tp->srtt = (7 * tp->srtt + r) / 8;
	}
	/* G, the clock granularity, is 1 ms (the timer wheel's tick). */
	var = RTE_MAX(4 * tp->rttvar, (uint64_t)1000000);
	tp->rto = RTE_MIN(RTE_MAX(tp->srtt + var, c->rto_min_ns),
			c->rto_max_ns);
}

static void
persist_probe(struct tq_tcb *tp)
{
	const struct tq_tcp_conf *c = tq_tcp(tp->s)->conf;

	/* Like Linux: an old sequence number with no data draws an ACK
	 * carrying the window, without putting a phantom byte in flight. */
	TQ_INC(tp->s, TCP_WIN_PROBES);
	tp->snd_nxt--;
	tq_tcp_send_ack(tp);
	tp->snd_nxt++;
	if (tp->rxtshift < 30)
		tp->rxtshift++;
	tp->flags |= TF_PERSIST;
	tq_tcp_rexmt_at(tp, tp->s->now + RTE_MIN(RTE_MAX(backed_off_rto(tp),
					c->rto_min_ns), c->rto_max_ns));
}

static void
rexmt_cb(struct tq_timer *t, void *arg)
{
	struct tq_tcb *tp = arg;
	struct tq_shard *s = tp->s;
	const struct tq_tcp_conf *c = tq_tcp(s)->conf;
	uint64_t limit;

	/* Stopped while in the wheel (tq_tcp_rexmt_stop()). */
	if (tp->flags & TF_REXMT_OFF) {
		tp->flags &= ~TF_REXMT_OFF;
		return;
	}
	if (tp->flags & TF_PERSIST) {
		if (tp->sndq.bytes <= tp->snd_nxt - tp->snd_una ||
				tp->snd_max != tp->snd_una) {
			tp->flags &= ~TF_PERSIST;
			return;
		}
		if (tp->snd_wnd == 0) {
			persist_probe(tp);
			return;
		}
		/* SWS override: what the small window takes goes now, timed
		 * by the RTO like any data; if it could not go, try again. */
		tp->flags &= ~TF_PERSIST;
		tq_tcp_send_probe(tp);
		if (tp->snd_max != tp->snd_una)
			tq_tcp_rexmt_arm(tp);
		else
			tq_tcp_output(tp);
		return;
	}
	if (tp->flags & TF_TLP) {
		tp->flags &= ~TF_TLP;
		if (tp->flags & TF_INRECOVERY) {
			tq_tcp_rexmt_arm(tp);
			return;
		}
		TQ_INC(s, TCP_LOSS_PROBES);
		tq_tcp_send_probe(tp);
		tp->tlp_high = tp->snd_max;
		/* The rest of the RTO still guards the flight. */
		tq_tcp_rexmt_arm(tp);
		return;
	}
	/* When the oldest outstanding data went out: the give-up time
	 * counts from there. */
	if (tp->rexmit_start == 0)
		tp->rexmit_start = s->now - backed_off_rto(tp);
	if (tp->state == TQ_TCPS_SYN_SENT ||
			tp->state == TQ_TCPS_SYN_RECEIVED) {
		uint32_t n = tp->state == TQ_TCPS_SYN_SENT ? c->syn_retries :
			c->synack_retries;

		limit = tq_tcp_retries_timeout(c->rto_init_ns, c->rto_max_ns,
				n);
		if (s->now - tp->rexmit_start >= limit) {
			TQ_INC(s, TCP_ATTEMPT_FAILS);
			if (TCP_LOG_ON(DEBUG))
				tq_tcp_log_conn(tp, tp->state ==
					TQ_TCPS_SYN_SENT ? "connect timed out" :
					"handshake timed out");
			if (tp->state == TQ_TCPS_SYN_RECEIVED)
				TQ_INC(s, LISTEN_DROPS);
			tq_tcb_close(tp, TQ_CLOSE_TIMEOUT);
			return;
		}
		tp->rxtshift++;
		TQ_INC(s, TCP_TIMEOUTS);
		TQ_INC(s, TCP_RETRANS_SEGS);
		tp->retrans++;
		tq_tcp_send_syn(tp);
		tq_tcp_rexmt_arm(tp);
		return;
	}
	limit = tq_tcp_retries_timeout(c->rto_min_ns, c->rto_max_ns,
			c->retries2);
	if (s->now - tp->rexmit_start >= limit) {
		TQ_INC(s, TCP_ABORT_ON_TIMEOUT);
		if (TCP_LOG_ON(DEBUG))
			tq_tcp_log_conn(tp, "retransmission timeout, aborted");
		tq_tcb_close(tp, TQ_CLOSE_TIMEOUT);
		return;
	}
	tp->rxtshift++;
	TQ_INC(s, TCP_TIMEOUTS);
	/* RFC 5681 3.1 eq. 4 and RFC 6298 5.5-5.7: collapse the window,
	 * back off, and go back to the first unacknowledged byte. */
	tp->cc.ops->on_rto(&tp->cc, tp->snd_max - tp->snd_una, s->now);
	tp->flags &= ~(TF_INRECOVERY | TF_RTT_TIMING);
	tp->dupacks = 0;
	tp->recover = tp->snd_max;
	tp->snd_nxt = tp->snd_una;
	tp->rexmit_nxt = tp->rexmit_end = tp->snd_una;
	tp->cur_seg = NULL;
	if (tp->flags & TF_FIN_SENT && tp->snd_una == tp->snd_max - 1 &&
			tp->sndq.bytes == 0) {
		/* Only the FIN is outstanding. */
		tp->flags &= ~TF_FIN_SENT;
	}
	tq_tcp_retransmit_una(tp);
	tq_tcp_rexmt_arm(tp);
}

static void
delack_cb(struct tq_timer *t, void *arg)
{
	struct tq_tcb *tp = arg;

	if (!(tp->flags & TF_DELACK))
		return;
	tp->flags &= ~TF_DELACK;
	TQ_INC(tp->s, TCP_DELAYED_ACKS);
	tq_tcp_send_ack(tp);
}

static void
tw_cb(struct tq_timer *t, void *arg)
{
	struct tq_tcb *tp = arg;

	/* TIME_WAIT over, or FIN_WAIT_2 of a closed app timed out
	 * (Linux's tcp_fin_timeout): either way the TCB goes. */
	tq_tcb_close(tp, TQ_CLOSE_NORMAL);
}

void
tq_tcp_keep_arm(struct tq_tcb *tp)
{
	if (!(tp->flags & TF_KEEPALIVE) ||
			(tp->state != TQ_TCPS_ESTABLISHED &&
			 tp->state != TQ_TCPS_CLOSE_WAIT)) {
		tq_timer_cancel(tp->s->timers, &tp->t_keep);
		return;
	}
	/* The timer is lazy: segments only move last_rcv, and the timer,
	 * when it fires early, re-arms for the remaining idle time. */
	if (!tq_timer_pending(&tp->t_keep))
		tq_timer_arm(tp->s->timers, &tp->t_keep,
				tp->last_rcv + tp->keep_idle);
}

/*
 * Keepalive as Linux does it (tcp_keepalive_timer): after keep_idle of
 * silence from the peer, a probe every keep_intvl (an ACK for an old
 * sequence number, which any live peer answers); keep_cnt unanswered
 * probes and the connection is declared dead (ETIMEDOUT).  Nothing is
 * probed while data is in flight: the retransmission timer covers that.
 */
static void
keep_cb(struct tq_timer *t, void *arg)
{
	struct tq_tcb *tp = arg;
	struct tq_shard *s = tp->s;
	uint64_t idle = s->now - tp->last_rcv;

	if (!(tp->flags & TF_KEEPALIVE) ||
			(tp->state != TQ_TCPS_ESTABLISHED &&
			 tp->state != TQ_TCPS_CLOSE_WAIT))
		return;
	if (tp->snd_max != tp->snd_una || tp->sndq.bytes) {
		tq_timer_arm(s->timers, t, s->now + tp->keep_idle);
		return;
	}
	if (idle < tp->keep_idle) {
		tp->keep_probes = 0;
		tq_timer_arm(s->timers, t, tp->last_rcv + tp->keep_idle);
		return;
	}
	if (tp->keep_probes >= tp->keep_cnt) {
		TQ_INC(s, TCP_ABORT_ON_KEEPALIVE);
		if (TCP_LOG_ON(DEBUG))
			tq_tcp_log_conn(tp, "keepalive unanswered, aborted");
		tq_tcp_send_rst(tp);
		tq_tcb_close(tp, TQ_CLOSE_TIMEOUT);
		return;
	}
	tp->keep_probes++;
	TQ_INC(s, TCP_KEEPALIVE_PROBES);
	tp->snd_nxt = tp->snd_una - 1;
	tq_tcp_send_ack(tp);
	tp->snd_nxt = tp->snd_una;
	tq_timer_arm(s->timers, t, s->now + tp->keep_intvl);
}
