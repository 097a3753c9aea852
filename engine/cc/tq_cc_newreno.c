/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NewReno window management: RFC 5681 slow start and congestion
 * avoidance with RFC 3465 byte counting, and the RFC 6582 window on entry
 * to and exit from fast recovery.  Loss detection, retransmission and any
 * window inflation during recovery belong to the transport.
 */
#include "tq_cc.h"
#include "tq_cc_priv.h"

/* RFC 5681 3.1, equation (4): ssthresh = max(FlightSize / 2, 2 * SMSS). */
static uint32_t
newreno_ssthresh(const struct tq_cc *cc, uint32_t in_flight)
{
	uint64_t half = in_flight / 2;
	uint64_t floor = 2 * (uint64_t)cc->mss;

	return tq_cc_clamp(half > floor ? half : floor);
}

static void
newreno_init(struct tq_cc *cc, uint64_t now)
{
	tq_cc_reset(cc);
}

static void
newreno_on_ack(struct tq_cc *cc, uint32_t acked, uint64_t rtt_ns,
		uint32_t in_flight, uint64_t now)
{
	uint64_t total;

	/*
	 * RFC 6582 3.2 step 4: during recovery the window follows the
	 * transport's partial-ACK rules, never congestion-control growth.
	 */
	if (cc->in_recovery || acked == 0)
		return;
	if (cc->cwnd < cc->ssthresh) {
		acked = tq_cc_slow_start(cc, acked);
		if (acked == 0)
			return;
	}
	/*
	 * Congestion avoidance, RFC 5681 3.1 / RFC 3465 2.1: count acked
	 * bytes, and each time a full cwnd has been acked take cwnd off the
	 * count and add one SMSS.  That is one segment per RTT whatever the
	 * ACK pattern, without the rounding of SMSS*SMSS/cwnd.
	 */
	total = (uint64_t)cc->bytes_acked + acked;
	if (total >= cc->cwnd) {
		total -= cc->cwnd;
		cc->cwnd = tq_cc_clamp((uint64_t)cc->cwnd + cc->mss);
	}
	/*
	 * One segment per ACK at most; a stretch ACK covering more than a
	 * window leaves at most one window's credit for the next.
	 */
	cc->bytes_acked = total < cc->cwnd ? (uint32_t)total : cc->cwnd;
}

static void
newreno_on_congestion(struct tq_cc *cc, uint32_t in_flight, uint64_t now)
{
	/*
	 * RFC 6582 3.2 step 1: losses inside the window being recovered do
	 * not reduce again; one reduction per episode.
	 */
	if (cc->in_recovery)
		return;
	tq_cc_save_prior(cc);
	cc->ssthresh = newreno_ssthresh(cc, in_flight);
	/*
	 * RFC 5681 3.2 step 3 would set ssthresh + 3*SMSS and inflate per
	 * duplicate ACK; that is the transport's business (it knows the
	 * dupacks or SACK scoreboard).  The algorithm's own window is the
	 * one recovery ends with.
	 */
	cc->cwnd = cc->ssthresh;
	cc->bytes_acked = 0;
	cc->in_recovery = true;
}

static void
newreno_on_recovery_end(struct tq_cc *cc, uint64_t now)
{
	if (!cc->in_recovery)
		return;
	/*
	 * RFC 6582 3.2 step 3, option (2): on the full ACK deflate to
	 * ssthresh, undoing any inflation the transport applied.
	 */
	cc->cwnd = cc->ssthresh;
	cc->bytes_acked = 0;
	cc->in_recovery = false;
}

static void
newreno_on_rto(struct tq_cc *cc, uint32_t in_flight, uint64_t now)
{
	/*
	 * RFC 5681 3.1: the first timeout of a segment sets ssthresh by
	 * equation (4); a segment already resent by the timer keeps it.
	 * During fast recovery the saved state is the one from before the
	 * episode, which is what undo must return to.
	 */
	if (!tq_cc_rto_repeated(cc)) {
		if (!cc->in_recovery)
			tq_cc_save_prior(cc);
		cc->ssthresh = newreno_ssthresh(cc, in_flight);
	}
	/* RFC 5681 3.1: cwnd becomes the loss window, one segment. */
	cc->cwnd = cc->mss;
	cc->bytes_acked = 0;
	cc->in_recovery = false;
}

static void
newreno_on_undo(struct tq_cc *cc)
{
	tq_cc_restore_prior(cc);
}

const struct tq_cc_ops tq_cc_newreno = {
	.name = "newreno",
	.id = 1,	/* TQ_CC_NEWRENO */
	.init = newreno_init,
	.on_ack = newreno_on_ack,
	.on_congestion = newreno_on_congestion,
	.on_recovery_end = newreno_on_recovery_end,
	.on_rto = newreno_on_rto,
	.on_undo = newreno_on_undo,
};
