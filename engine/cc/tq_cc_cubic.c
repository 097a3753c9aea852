/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CUBIC, RFC 9438.  The RFC counts in segments; here windows are bytes,
 * so every segment count is multiplied by mss (C becomes C * mss bytes
 * per s^3, W_est grows by alpha * mss per window acked).  The cubic curve
 * is evaluated in double: it needs a cube root and the result is clamped
 * to [cwnd, 1.5 * cwnd] before it becomes bytes again.  Slow start is the
 * shared Reno one (no HyStart++, which 4.10 leaves optional).
 */
#include "tq_cc.h"
#include "tq_cc_priv.h"

#include <math.h>
#include <string.h>

/* RFC 9438 4.1.1 / 5.1: C = 0.4 segments per second cubed. */
#define CUBIC_C 0.4
/* RFC 9438 4.6: beta_cubic = 0.7. */
#define CUBIC_BETA_NUM 7
#define CUBIC_BETA_DEN 10
/* RFC 9438 4.3: alpha_cubic = 3 * (1 - 0.7) / (1 + 0.7) = 9/17. */
#define CUBIC_ALPHA_NUM 9
#define CUBIC_ALPHA_DEN 17
/* RFC 9438 4.7: fast convergence W_max = cwnd * (1 + beta) / 2 = 0.85. */
#define CUBIC_FC_NUM 17
#define CUBIC_FC_DEN 20

#define NS_PER_S 1e9

/* RFC 9438 4.2, Figure 1: W_cubic(t) = C * (t - K)^3 + W_max, in bytes. */
static double
cubic_w(const struct tq_cc *cc, uint64_t t_ns)
{
	double d = ((double)t_ns - (double)cc->cubic.k_ns) / NS_PER_S;

	return CUBIC_C * cc->mss * d * d * d + cc->cubic.w_max;
}

/*
 * RFC 9438 4.6 multiplicative decrease, shared by loss and timeout:
 * ssthresh = max(flight_size * beta, 2 segments), cwnd_prior = cwnd, and
 * the curve restarts at the next congestion avoidance ACK.
 */
static void
cubic_decrease(struct tq_cc *cc, uint32_t in_flight)
{
	struct tq_cc_cubic *cu = &cc->cubic;
	uint64_t flight = cc->cwnd;
	uint64_t ss;

	/*
	 * 4.6 bases ssthresh on flight_size; using cwnd is allowed only with
	 * other means of keeping an application-limited cwnd from growing,
	 * which this module does not have.  Bounded by cwnd so a transport
	 * that counts inflated recovery data cannot raise the window; 0
	 * (transport does not know) falls back to cwnd.
	 */
	if (in_flight != 0 && in_flight < cc->cwnd)
		flight = in_flight;
	ss = flight * CUBIC_BETA_NUM / CUBIC_BETA_DEN;
	if (ss < 2 * (uint64_t)cc->mss)
		ss = 2 * (uint64_t)cc->mss;
	cc->ssthresh = tq_cc_clamp(ss);
	cu->cwnd_prior = cc->cwnd;
	cu->epoch_start = 0;
	cu->ack_bytes = 0;
	cc->bytes_acked = 0;
}

/*
 * First ACK of a congestion avoidance stage: fix t_epoch, cwnd_epoch
 * (the current cwnd), K and W_est (RFC 9438 4.2, 4.3).
 */
static void
cubic_epoch_start(struct tq_cc *cc, uint64_t now)
{
	struct tq_cc_cubic *cu = &cc->cubic;
	double k;

	/* 0 means "no epoch"; a stage starting at time 0 is 1 ns late. */
	cu->epoch_start = now != 0 ? now : 1;
	cu->w_est = cc->cwnd;
	cu->ack_bytes = 0;
	cc->bytes_acked = 0;
	if (cu->w_max <= cc->cwnd) {
		/*
		 * Nothing to climb back to: the first stage after slow start
		 * (4.10), the first after a timeout (4.8: W_max = cwnd at the
		 * start of the stage, K = 0), or an undo that left cwnd above
		 * W_max.  The curve starts on its plateau and turns convex.
		 */
		cu->w_max = cc->cwnd;
		cu->k_ns = 0;
		return;
	}
	/* 4.2, Figure 2: K = cbrt((W_max - cwnd_epoch) / C), in seconds. */
	k = cbrt((double)(cu->w_max - cc->cwnd) / (CUBIC_C * cc->mss));
	cu->k_ns = (uint64_t)(k * NS_PER_S);
}

/*
 * RFC 9438 4.3: W_est += alpha_cubic * segments_acked / cwnd, in bytes
 * alpha * acked * mss / cwnd.  Acked bytes that have not yet made a whole
 * byte of growth wait in ack_bytes.
 */
static void
cubic_update_w_est(struct tq_cc *cc, uint32_t acked)
{
	struct tq_cc_cubic *cu = &cc->cubic;
	uint64_t a_num = CUBIC_ALPHA_NUM, a_den = CUBIC_ALPHA_DEN;
	uint64_t ack = (uint64_t)cu->ack_bytes + acked;
	uint64_t num, den, inc, used;

	/*
	 * 4.3: once W_est reaches the window before the last reduction, alpha
	 * becomes 1 so the estimate grows at Reno's own rate.
	 */
	if (cu->w_est >= cu->cwnd_prior)
		a_num = a_den = 1;
	num = ack * a_num * cc->mss;
	den = a_den * cc->cwnd;
	inc = num / den;
	if (inc != 0) {
		cu->w_est = tq_cc_clamp((uint64_t)cu->w_est + inc);
		/* Bytes that growth stood for, rounded up (never > ack). */
		used = (inc * den + a_num * cc->mss - 1) / (a_num * cc->mss);
		ack -= used;
	}
	cu->ack_bytes = ack > UINT32_MAX ? UINT32_MAX : (uint32_t)ack;
}

/* Congestion avoidance on acked bytes (RFC 9438 4.2 to 4.5). */
static void
cubic_avoid(struct tq_cc *cc, uint32_t acked, uint64_t now)
{
	struct tq_cc_cubic *cu = &cc->cubic;
	uint64_t t = now > cu->epoch_start ? now - cu->epoch_start : 0;
	double cwnd = cc->cwnd;
	double target;
	uint64_t num;

	cubic_update_w_est(cc, acked);
	/*
	 * 4.3: when W_cubic(t) is below W_est the flow is in the
	 * Reno-friendly region and cwnd follows W_est (never shrinking: the
	 * t + RTT look-ahead below may already have taken it higher).
	 */
	if (cubic_w(cc, t) < (double)cu->w_est) {
		if (cu->w_est > cc->cwnd)
			cc->cwnd = cu->w_est;
		return;
	}
	/*
	 * 4.2: aim at W_cubic(t + RTT), one RTT ahead, bounded to
	 * [cwnd, 1.5 * cwnd] so growth never falls behind the current
	 * window nor outruns slow start.  RTT here is the minimum RTT seen,
	 * as in Linux, so queueing delay does not speed the probe up.
	 */
	target = cubic_w(cc, t + cu->min_rtt_ns);
	if (target < cwnd)
		target = cwnd;
	else if (target > 1.5 * cwnd)
		target = 1.5 * cwnd;
	/*
	 * 4.4, 4.5: cwnd += (target - cwnd) / cwnd per segment acked, that
	 * is (target - cwnd) * acked / cwnd bytes; the remainder of the
	 * division carries to the next ACK in bytes_acked.
	 */
	num = (uint64_t)(target - cwnd) * acked + cc->bytes_acked;
	cc->cwnd = tq_cc_clamp((uint64_t)cc->cwnd + num / cc->cwnd);
	cc->bytes_acked = (uint32_t)(num % cc->cwnd);
}

static void
cubic_init(struct tq_cc *cc, uint64_t now)
{
	tq_cc_reset(cc);
	memset(&cc->cubic, 0, sizeof(cc->cubic));
}

static void
cubic_on_ack(struct tq_cc *cc, uint32_t acked, uint64_t rtt_ns,
		uint32_t in_flight, uint64_t now)
{
	struct tq_cc_cubic *cu = &cc->cubic;

	if (rtt_ns != 0 && (cu->min_rtt_ns == 0 || rtt_ns < cu->min_rtt_ns))
		cu->min_rtt_ns = rtt_ns;
	/* The transport runs the window during recovery (RFC 6582 3.2). */
	if (cc->in_recovery || acked == 0)
		return;
	/* 4.10: Reno slow start below ssthresh. */
	if (cc->cwnd < cc->ssthresh) {
		acked = tq_cc_slow_start(cc, acked);
		if (acked == 0)
			return;
	}
	if (cu->epoch_start == 0)
		cubic_epoch_start(cc, now);
	cubic_avoid(cc, acked, now);
}

static void
cubic_on_congestion(struct tq_cc *cc, uint32_t in_flight, uint64_t now)
{
	struct tq_cc_cubic *cu = &cc->cubic;

	/* One reduction per recovery episode (RFC 6582 3.2 step 1). */
	if (cc->in_recovery)
		return;
	tq_cc_save_prior(cc);
	cu->w_last_max = cu->w_max;
	/*
	 * 4.7 fast convergence: a loss below the previous W_max means the
	 * share of this flow shrank; plateau lower to give bandwidth away.
	 * cwnd is in bytes and approaches W_max in sub-segment steps, so a
	 * window within one segment of W_max counts as having reached it.
	 */
	if ((uint64_t)cc->cwnd + cc->mss < cu->w_max)
		cu->w_max = (uint32_t)((uint64_t)cc->cwnd * CUBIC_FC_NUM /
				CUBIC_FC_DEN);
	else
		cu->w_max = cc->cwnd;
	cubic_decrease(cc, in_flight);
	/* 4.6: cwnd = max(ssthresh, 2 segments); ssthresh already is. */
	cc->cwnd = cc->ssthresh;
	cc->in_recovery = true;
}

static void
cubic_on_recovery_end(struct tq_cc *cc, uint64_t now)
{
	if (!cc->in_recovery)
		return;
	/* Deflate whatever the transport inflated (RFC 6582 3.2 step 3). */
	cc->cwnd = cc->ssthresh;
	cc->bytes_acked = 0;
	cc->in_recovery = false;
}

static void
cubic_on_rto(struct tq_cc *cc, uint32_t in_flight, uint64_t now)
{
	struct tq_cc_cubic *cu = &cc->cubic;

	/*
	 * 4.8: ssthresh by beta as in 4.6, cwnd by Reno's rule (RFC 5681
	 * 3.1: one segment).  A segment timing out again keeps ssthresh
	 * (RFC 5681 3.1), and a timeout inside fast recovery keeps the
	 * pre-episode state for undo.
	 */
	if (!tq_cc_rto_repeated(cc)) {
		if (!cc->in_recovery) {
			tq_cc_save_prior(cc);
			cu->w_last_max = cu->w_max;
		}
		cubic_decrease(cc, in_flight);
	}
	/*
	 * 4.8: the first congestion avoidance stage after a timeout uses
	 * W_max = cwnd at its start and K = 0; cubic_epoch_start does that
	 * when W_max is not above cwnd.
	 */
	cu->w_max = 0;
	cu->epoch_start = 0;
	cc->cwnd = cc->mss;
	cc->bytes_acked = 0;
	cc->in_recovery = false;
}

static void
cubic_on_undo(struct tq_cc *cc)
{
	struct tq_cc_cubic *cu = &cc->cubic;

	if (!tq_cc_restore_prior(cc))
		return;
	/*
	 * RFC 9438 4.9: restore W_max as well.  Restarting the epoch from
	 * the restored cwnd toward the restored W_max follows the same curve
	 * the flow was on (K is recomputed from where cwnd now is).
	 */
	cu->w_max = cu->w_last_max;
	cu->epoch_start = 0;
	cu->ack_bytes = 0;
}

const struct tq_cc_ops tq_cc_cubic = {
	.name = "cubic",
	.id = 2,	/* TQ_CC_CUBIC */
	.init = cubic_init,
	.on_ack = cubic_on_ack,
	.on_congestion = cubic_on_congestion,
	.on_recovery_end = cubic_on_recovery_end,
	.on_rto = cubic_on_rto,
	.on_undo = cubic_on_undo,
};
