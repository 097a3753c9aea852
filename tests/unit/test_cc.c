/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Congestion control alone: NewReno and CUBIC driven by synthetic ACKs
 * under a fake clock, then each over a fluid model of a bottleneck link.
 * No EAL, no packets: the algorithms only see bytes and nanoseconds.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "cc/tq_cc.h"

#define MSS 1460u
#define MS 1000000ull
#define SEC 1000000000ull

static void
cc_setup(struct tq_cc *cc, const struct tq_cc_ops *ops)
{
	memset(cc, 0, sizeof(*cc));
	tq_cc_init(cc, ops, MSS, SEC);
}

/*
 * Ack `bytes` in ACKs of per_ack bytes (the last one shorter), evenly
 * spread over one rtt starting at now; every ACK carries rtt as its
 * sample.  Returns the time at the end of the round.
 */
static uint64_t
ack_bytes(struct tq_cc *cc, uint64_t bytes, uint32_t per_ack, uint64_t rtt,
		uint64_t now)
{
	uint64_t n = (bytes + per_ack - 1) / per_ack;
	uint64_t left = bytes;
	uint64_t i;

	for (i = 0; i < n; i++) {
		uint32_t a = left < per_ack ? (uint32_t)left : per_ack;

		cc->ops->on_ack(cc, a, rtt, (uint32_t)left,
				now + rtt * (i + 1) / n);
		left -= a;
	}
	return now + rtt;
}

/* One round trip: the whole current window comes back acked. */
static uint64_t
ack_round(struct tq_cc *cc, uint32_t per_ack, uint64_t rtt, uint64_t now)
{
	return ack_bytes(cc, cc->cwnd, per_ack, rtt, now);
}

/* RFC 9438 Figure 1 in segments, as the test's independent reference. */
static double
ref_w_cubic(double w_max_segs, double k_s, double t_s)
{
	double d = t_s - k_s;

	return 0.4 * d * d * d + w_max_segs;
}

static void
find_names(void **state)
{
	assert_ptr_equal(tq_cc_find("newreno"), &tq_cc_newreno);
	assert_ptr_equal(tq_cc_find("reno"), &tq_cc_newreno);
	assert_ptr_equal(tq_cc_find("cubic"), &tq_cc_cubic);
	assert_ptr_equal(tq_cc_find("CUBIC"), &tq_cc_cubic);
	assert_null(tq_cc_find("bbr9"));
	assert_null(tq_cc_find(""));
	assert_null(tq_cc_find(NULL));
	assert_string_equal(tq_cc_newreno.name, "newreno");
	assert_string_equal(tq_cc_cubic.name, "cubic");
}

static void
initial_window(void **state)
{
	const struct tq_cc_ops *algos[] = { &tq_cc_newreno, &tq_cc_cubic };
	struct tq_cc cc;
	size_t i;

	for (i = 0; i < 2; i++) {
		/* RFC 6928: ten segments by default. */
		cc_setup(&cc, algos[i]);
		assert_ptr_equal(cc.ops, algos[i]);
		assert_int_equal(cc.cwnd, 10 * MSS);
		assert_int_equal(cc.ssthresh, UINT32_MAX);
		assert_false(cc.in_recovery);

		memset(&cc, 0, sizeof(cc));
		cc.init_cwnd_segs = 4;
		tq_cc_init(&cc, algos[i], MSS, 0);
		assert_int_equal(cc.cwnd, 4 * MSS);
		assert_int_equal(cc.init_cwnd_segs, 4);

		/* init resets a used state but keeps the configuration. */
		cc.cwnd = 77;
		cc.ssthresh = 5;
		cc.in_recovery = true;
		cc.ops->init(&cc, 0);
		assert_int_equal(cc.cwnd, 4 * MSS);
		assert_int_equal(cc.ssthresh, UINT32_MAX);
		assert_false(cc.in_recovery);
	}

	/* No ops: NewReno; no mss: the RFC 9293 default. */
	memset(&cc, 0, sizeof(cc));
	tq_cc_init(&cc, NULL, 0, 0);
	assert_ptr_equal(cc.ops, &tq_cc_newreno);
	assert_int_equal(cc.mss, 536);
	assert_int_equal(cc.cwnd, 5360);
}

static void
slow_start_doubles(void **state)
{
	const struct tq_cc_ops *algos[] = { &tq_cc_newreno, &tq_cc_cubic };
	uint64_t now;
	struct tq_cc cc;
	uint32_t w;
	size_t i;
	int r;

	for (i = 0; i < 2; i++) {
		/* An ACK per segment. */
		cc_setup(&cc, algos[i]);
		now = SEC;
		for (r = 0; r < 5; r++) {
			w = cc.cwnd;
			now = ack_round(&cc, MSS, 10 * MS, now);
			assert_int_equal(cc.cwnd, 2 * w);
		}
		/* Delayed ACKs, one per two segments: still doubles (L = 2). */
		cc_setup(&cc, algos[i]);
		for (r = 0; r < 5; r++) {
			w = cc.cwnd;
			now = ack_round(&cc, 2 * MSS, 10 * MS, now);
			assert_int_equal(cc.cwnd, 2 * w);
		}
		/* A stretch ACK of eight segments opens two (RFC 3465). */
		cc_setup(&cc, algos[i]);
		cc.ops->on_ack(&cc, 8 * MSS, 10 * MS, 10 * MSS, now);
		assert_int_equal(cc.cwnd, 12 * MSS);
		/* Zero bytes acked is no growth. */
		cc.ops->on_ack(&cc, 0, 10 * MS, 10 * MSS, now);
		assert_int_equal(cc.cwnd, 12 * MSS);
	}
}

static void
newreno_avoidance(void **state)
{
	struct tq_cc cc;
	uint64_t now = SEC;
	uint32_t w;
	int r;

	cc_setup(&cc, &tq_cc_newreno);
	cc.ssthresh = 15 * MSS;
	/* Slow start stops at ssthresh, not at 20 segments. */
	now = ack_round(&cc, MSS, 10 * MS, now);
	assert_int_equal(cc.cwnd, 15 * MSS);
	/* Then one segment per window acked, per segment or delayed ACKs. */
	for (r = 0; r < 20; r++) {
		w = cc.cwnd;
		now = ack_round(&cc, r < 10 ? MSS : 2 * MSS, 10 * MS, now);
		assert_int_equal(cc.cwnd, w + MSS);
	}
	assert_int_equal(cc.cwnd, 35 * MSS);
}

static void
newreno_congestion(void **state)
{
	struct tq_cc cc;
	uint64_t now = SEC;

	cc_setup(&cc, &tq_cc_newreno);
	cc.cwnd = 20 * MSS;
	/* RFC 5681 (4): ssthresh = FlightSize / 2, cwnd = ssthresh. */
	cc.ops->on_congestion(&cc, 20 * MSS, now);
	assert_int_equal(cc.ssthresh, 10 * MSS);
	assert_int_equal(cc.cwnd, 10 * MSS);
	assert_true(cc.in_recovery);
	/* One reduction per episode. */
	cc.ops->on_congestion(&cc, 8 * MSS, now);
	assert_int_equal(cc.ssthresh, 10 * MSS);
	assert_int_equal(cc.cwnd, 10 * MSS);
	/* No growth while recovering. */
	now = ack_round(&cc, MSS, 10 * MS, now);
	now = ack_round(&cc, MSS, 10 * MS, now);
	assert_int_equal(cc.cwnd, 10 * MSS);
	/* The transport inflated; the end of recovery deflates. */
	cc.cwnd = 13 * MSS;
	cc.ops->on_recovery_end(&cc, now);
	assert_int_equal(cc.cwnd, 10 * MSS);
	assert_false(cc.in_recovery);
	/* Back in congestion avoidance: one segment per RTT. */
	now = ack_round(&cc, MSS, 10 * MS, now);
	assert_int_equal(cc.cwnd, 11 * MSS);
	/* A second end of recovery is a no-op. */
	cc.ops->on_recovery_end(&cc, now);
	assert_int_equal(cc.cwnd, 11 * MSS);

	/* Small flight: the 2*SMSS floor. */
	cc_setup(&cc, &tq_cc_newreno);
	cc.ops->on_congestion(&cc, 3 * MSS, now);
	assert_int_equal(cc.ssthresh, 2 * MSS);
	assert_int_equal(cc.cwnd, 2 * MSS);
}

static void
newreno_rto(void **state)
{
	struct tq_cc cc;
	uint64_t now = SEC;
	int r;

	cc_setup(&cc, &tq_cc_newreno);
	cc.cwnd = 20 * MSS;
	cc.ops->on_rto(&cc, 20 * MSS, now);
	assert_int_equal(cc.cwnd, MSS);
	assert_int_equal(cc.ssthresh, 10 * MSS);
	assert_false(cc.in_recovery);
	/* The same data timing out again keeps ssthresh (RFC 5681 3.1). */
	cc.ops->on_rto(&cc, 4 * MSS, now);
	assert_int_equal(cc.cwnd, MSS);
	assert_int_equal(cc.ssthresh, 10 * MSS);
	/* Slow start back to ssthresh: 1, 2, 4, 8, 10. */
	for (r = 0; r < 4; r++)
		now = ack_round(&cc, MSS, 10 * MS, now);
	assert_int_equal(cc.cwnd, 10 * MSS);
	/* After a timeout a stretch ACK counts one segment (RFC 3465 2.3). */
	cc_setup(&cc, &tq_cc_newreno);
	cc.ops->on_rto(&cc, 20 * MSS, now);
	cc.ops->on_ack(&cc, 2 * MSS, 10 * MS, MSS, now);
	assert_int_equal(cc.cwnd, 2 * MSS);
	cc.ops->on_ack(&cc, 4 * MSS, 10 * MS, 2 * MSS, now);
	assert_int_equal(cc.cwnd, 3 * MSS);
	for (r = 0; r < 2; r++)
		now = ack_round(&cc, MSS, 10 * MS, now);
	assert_int_equal(cc.cwnd, 10 * MSS);
	/* A new timeout after progress reduces again. */
	cc.ops->on_rto(&cc, 10 * MSS, now);
	assert_int_equal(cc.ssthresh, 5 * MSS);
	assert_int_equal(cc.cwnd, MSS);

	/* A timeout inside fast recovery leaves recovery. */
	cc_setup(&cc, &tq_cc_newreno);
	cc.cwnd = 20 * MSS;
	cc.ops->on_congestion(&cc, 20 * MSS, now);
	cc.ops->on_rto(&cc, 10 * MSS, now);
	assert_int_equal(cc.cwnd, MSS);
	assert_int_equal(cc.ssthresh, 5 * MSS);
	assert_false(cc.in_recovery);
	/* ... and undo goes back to before the episode. */
	cc.ops->on_undo(&cc);
	assert_int_equal(cc.cwnd, 20 * MSS);
	assert_int_equal(cc.ssthresh, UINT32_MAX);
}

static void
newreno_undo(void **state)
{
	struct tq_cc cc;
	uint64_t now = SEC;

	cc_setup(&cc, &tq_cc_newreno);
	cc.cwnd = 20 * MSS;
	cc.ssthresh = 30 * MSS;
	cc.ops->on_congestion(&cc, 20 * MSS, now);
	cc.ops->on_undo(&cc);
	assert_int_equal(cc.cwnd, 20 * MSS);
	assert_int_equal(cc.ssthresh, 30 * MSS);
	assert_false(cc.in_recovery);

	cc.ops->on_rto(&cc, 20 * MSS, now);
	assert_int_equal(cc.cwnd, MSS);
	cc.ops->on_undo(&cc);
	assert_int_equal(cc.cwnd, 20 * MSS);
	assert_int_equal(cc.ssthresh, 30 * MSS);

	/* Nothing saved any more: undo is a no-op. */
	cc.cwnd = 7 * MSS;
	cc.ops->on_undo(&cc);
	assert_int_equal(cc.cwnd, 7 * MSS);
	assert_int_equal(cc.ssthresh, 30 * MSS);
}

static void
cubic_decrease(void **state)
{
	struct tq_cc cc;
	uint64_t now = SEC;

	cc_setup(&cc, &tq_cc_cubic);
	cc.cwnd = 100 * MSS;
	cc.ssthresh = 100 * MSS;
	cc.ops->on_congestion(&cc, 100 * MSS, now);
	/* RFC 9438 4.6: beta = 0.7; W_max is the window before. */
	assert_int_equal(cc.cubic.w_max, 100 * MSS);
	assert_int_equal(cc.cwnd, 70 * MSS);
	assert_int_equal(cc.ssthresh, 70 * MSS);
	assert_int_equal(cc.cubic.cwnd_prior, 100 * MSS);
	assert_int_equal(cc.cubic.epoch_start, 0);
	assert_true(cc.in_recovery);
	/* No growth in recovery, once per episode. */
	now = ack_round(&cc, MSS, 10 * MS, now);
	cc.ops->on_congestion(&cc, 70 * MSS, now);
	assert_int_equal(cc.cwnd, 70 * MSS);
	cc.cwnd = 75 * MSS;
	cc.ops->on_recovery_end(&cc, now);
	assert_int_equal(cc.cwnd, 70 * MSS);
	assert_false(cc.in_recovery);

	/* 4.6 uses flight_size: half a window in flight, half the cut. */
	cc_setup(&cc, &tq_cc_cubic);
	cc.cwnd = 100 * MSS;
	cc.ops->on_congestion(&cc, 50 * MSS, now);
	assert_int_equal(cc.ssthresh, 35 * MSS);
	assert_int_equal(cc.cubic.w_max, 100 * MSS);

	/* Floor of two segments. */
	cc_setup(&cc, &tq_cc_cubic);
	cc.cwnd = 2 * MSS;
	cc.ops->on_congestion(&cc, 2 * MSS, now);
	assert_int_equal(cc.ssthresh, 2 * MSS);
	assert_int_equal(cc.cwnd, 2 * MSS);
}

/*
 * The cubic curve from W_max = 1000 segments at a 100 ms RTT, where the
 * Reno estimate stays far below it: back at W_max after K, concave
 * before, convex after.
 */
static void
cubic_curve(void **state)
{
	const uint64_t rtt = 100 * MS;
	const double k_s = cbrt(1000 * 0.3 / 0.4);
	double t, ref, at_half = 0, at_k = 0, at_3half = 0, at_2k = 0;
	double grow1, grow2;
	struct tq_cc cc;
	uint64_t now = 10 * SEC;
	uint64_t epoch;

	cc_setup(&cc, &tq_cc_cubic);
	cc.cwnd = 1000 * MSS;
	cc.ssthresh = cc.cwnd;
	cc.ops->on_congestion(&cc, cc.cwnd, now);
	cc.ops->on_recovery_end(&cc, now);
	assert_int_equal(cc.cwnd, 700 * MSS);

	/* The first ACK in congestion avoidance starts the epoch. */
	cc.ops->on_ack(&cc, MSS, rtt, cc.cwnd, now);
	epoch = cc.cubic.epoch_start;
	assert_int_equal(epoch, now);
	/* K = cbrt(W_max * (1 - beta) / C) = cbrt(750) s. */
	assert_true(fabs((double)cc.cubic.k_ns / SEC - k_s) < 1e-3);

	while (now - epoch < 2 * cc.cubic.k_ns + rtt) {
		now = ack_round(&cc, MSS, rtt, now);
		t = (double)(now - epoch) / SEC;
		/* Within 2% of the curve everywhere along the way. */
		ref = ref_w_cubic(1000, k_s, t);
		assert_true(fabs(cc.cwnd / (double)MSS - ref) < 0.02 * ref);
		if (at_half == 0 && t >= k_s / 2)
			at_half = cc.cwnd;
		if (at_k == 0 && t >= k_s) {
			at_k = cc.cwnd;
			/* The cubic region, not the Reno-friendly one. */
			assert_true(cc.cubic.w_est < cc.cwnd);
		}
		if (at_3half == 0 && t >= 1.5 * k_s)
			at_3half = cc.cwnd;
		if (at_2k == 0 && t >= 2 * k_s)
			at_2k = cc.cwnd;
	}
	/* Back at W_max after K seconds (within 1%). */
	assert_true(fabs(at_k - 1000.0 * MSS) < 10.0 * MSS);
	/* Concave: the first half of [0, K] gains more than the second. */
	grow1 = at_half - 700.0 * MSS;
	grow2 = at_k - at_half;
	assert_true(grow1 > 2 * grow2);
	/* Convex: the second half of [K, 2K] gains more than the first. */
	grow1 = at_3half - at_k;
	grow2 = at_2k - at_3half;
	assert_true(grow2 > 2 * grow1);
	/* W_cubic(2K) = W_max + C * K^3 = 1300 segments. */
	assert_true(fabs(at_2k - 1300.0 * MSS) < 26.0 * MSS);
}

/*
 * Small BDP (10 segments at 1 ms): the curve would take K = 1.96 s to
 * climb three segments, so W_est (Reno's window) sets the pace.
 */
static void
cubic_reno_friendly(void **state)
{
	const uint64_t rtt = 1 * MS;
	struct tq_cc cc;
	uint64_t now = SEC;
	uint64_t epoch;
	uint32_t w;
	double t;
	int r;

	cc_setup(&cc, &tq_cc_cubic);
	cc.cwnd = 10 * MSS;
	cc.ssthresh = cc.cwnd;
	cc.ops->on_congestion(&cc, cc.cwnd, now);
	cc.ops->on_recovery_end(&cc, now);
	assert_int_equal(cc.cwnd, 7 * MSS);

	/* One window acked: W_est += alpha = 3 * 0.3 / 1.7 = 0.53 segments. */
	now = ack_round(&cc, MSS, rtt, now);
	epoch = cc.cubic.epoch_start;
	assert_int_equal(cc.cwnd, cc.cubic.w_est);
	assert_in_range(cc.cwnd - 7 * MSS, MSS * 50 / 100, MSS * 56 / 100);

	/* Alpha until W_est reaches the window before the loss ... */
	while (cc.cubic.w_est < cc.cubic.cwnd_prior)
		now = ack_round(&cc, MSS, rtt, now);
	/* ~3 segments at 0.53 a round: six rounds. */
	assert_in_range((now - epoch) / rtt, 5, 7);
	/*
	 * ... then alpha = 1: Reno's one segment per round (a little less
	 * while the window is small: each ACK divides by the cwnd it finds,
	 * which has grown during the round).
	 */
	for (r = 0; r < 20; r++) {
		w = cc.cwnd;
		now = ack_round(&cc, MSS, rtt, now);
		assert_int_equal(cc.cwnd, cc.cubic.w_est);
		assert_in_range(cc.cwnd - w, MSS * 94 / 100, MSS);
	}
	while (now - epoch < 100 * rtt)
		now = ack_round(&cc, MSS, rtt, now);
	/* ~100 rounds: about 95 segments, where the curve alone is at 7.4. */
	t = (double)(now - epoch) / SEC;
	assert_true(ref_w_cubic(10, cbrt(7.5), t) < 8);
	assert_true(cc.cwnd > 85 * MSS);
	assert_int_equal(cc.cwnd, cc.cubic.w_est);
}

static void
cubic_fast_convergence(void **state)
{
	struct tq_cc cc;
	uint64_t now = SEC;
	uint32_t c;
	int r;

	cc_setup(&cc, &tq_cc_cubic);
	cc.cwnd = 100 * MSS;
	cc.ssthresh = cc.cwnd;
	cc.ops->on_congestion(&cc, cc.cwnd, now);
	cc.ops->on_recovery_end(&cc, now);
	for (r = 0; r < 5; r++)
		now = ack_round(&cc, MSS, 100 * MS, now);
	c = cc.cwnd;
	assert_true(c > 70 * MSS && c + MSS < 100 * MSS);
	/* Loss before W_max: W_max = cwnd * (1 + beta) / 2 (RFC 9438 4.7). */
	cc.ops->on_congestion(&cc, c, now);
	assert_int_equal(cc.cubic.w_max, (uint64_t)c * 17 / 20);
	assert_int_equal(cc.cubic.w_last_max, 100 * MSS);
	assert_int_equal(cc.cwnd, (uint64_t)c * 7 / 10);
	cc.ops->on_recovery_end(&cc, now);

	/* Loss above W_max: W_max = cwnd. */
	cc.cwnd = 120 * MSS;
	cc.ssthresh = cc.cwnd;
	cc.ops->on_congestion(&cc, cc.cwnd, now);
	assert_int_equal(cc.cubic.w_max, 120 * MSS);
	assert_int_equal(cc.cwnd, 84 * MSS);
}

static void
cubic_rto(void **state)
{
	struct tq_cc cc;
	uint64_t now = SEC;
	uint32_t w;
	int r;

	cc_setup(&cc, &tq_cc_cubic);
	cc.cwnd = 100 * MSS;
	cc.ssthresh = cc.cwnd;
	cc.ops->on_rto(&cc, 100 * MSS, now);
	/* RFC 9438 4.8: one segment, ssthresh by beta. */
	assert_int_equal(cc.cwnd, MSS);
	assert_int_equal(cc.ssthresh, 70 * MSS);
	assert_int_equal(cc.cubic.epoch_start, 0);
	assert_false(cc.in_recovery);
	/* Repeated timeout of the same data keeps ssthresh. */
	cc.ops->on_rto(&cc, 30 * MSS, now);
	assert_int_equal(cc.cwnd, MSS);
	assert_int_equal(cc.ssthresh, 70 * MSS);
	/* Slow start 1, 2, ... 64, 70: the rest of that round starts CA. */
	for (r = 0; r < 7; r++)
		now = ack_round(&cc, MSS, 10 * MS, now);
	/* 4.8: first CA stage after a timeout: W_max = cwnd_epoch, K = 0. */
	assert_int_not_equal(cc.cubic.epoch_start, 0);
	assert_int_equal(cc.cubic.k_ns, 0);
	assert_int_equal(cc.cubic.w_max, 70 * MSS);
	/* From there the window grows again. */
	w = cc.cwnd;
	for (r = 0; r < 50; r++)
		now = ack_round(&cc, MSS, 10 * MS, now);
	assert_true(cc.cwnd > w);
}

static void
cubic_undo(void **state)
{
	struct tq_cc cc;
	uint64_t now = SEC;

	cc_setup(&cc, &tq_cc_cubic);
	cc.cwnd = 100 * MSS;
	cc.ssthresh = 100 * MSS;
	cc.cubic.w_max = 120 * MSS;
	cc.ops->on_congestion(&cc, 100 * MSS, now);
	assert_int_equal(cc.cubic.w_max, 85 * MSS);
	assert_int_equal(cc.cwnd, 70 * MSS);
	cc.ops->on_undo(&cc);
	assert_int_equal(cc.cwnd, 100 * MSS);
	assert_int_equal(cc.ssthresh, 100 * MSS);
	assert_int_equal(cc.cubic.w_max, 120 * MSS);
	assert_false(cc.in_recovery);
	/* The curve resumes toward the old W_max: K = cbrt(20 / 0.4). */
	cc.ops->on_ack(&cc, MSS, 10 * MS, cc.cwnd, now);
	assert_true(fabs((double)cc.cubic.k_ns / SEC - cbrt(50)) < 1e-3);

	cc.ops->on_rto(&cc, cc.cwnd, now);
	assert_int_equal(cc.cwnd, MSS);
	assert_int_equal(cc.cubic.w_max, 0);
	cc.ops->on_undo(&cc);
	assert_true(cc.cwnd >= 100 * MSS);
	assert_int_equal(cc.ssthresh, 100 * MSS);
	assert_int_equal(cc.cubic.w_max, 120 * MSS);
}

/*
 * Fluid model of one flow through a bottleneck of bw bytes/s, base RTT
 * rtt and a buffer of queue bytes.  Each round the whole window is sent;
 * min(cwnd, BDP + queue) comes back acked over one round, which lasts
 * the base RTT plus the queueing delay of what exceeds the BDP.  When
 * the window exceeds BDP + queue the excess is dropped: the sender enters
 * recovery at the start of the round and leaves it at its end.  Returns
 * the time-weighted mean of min(cwnd, BDP) / BDP.
 */
static double
fluid_run(const struct tq_cc_ops *ops, uint64_t bw, uint64_t rtt,
		uint64_t queue, uint64_t duration, unsigned int *losses)
{
	uint64_t bdp = bw * rtt / SEC;
	uint64_t cap = bdp + queue;
	uint64_t start = SEC, now = start;
	double util = 0;
	struct tq_cc cc;

	cc_setup(&cc, ops);
	*losses = 0;
	while (now < start + duration) {
		uint64_t cwnd = cc.cwnd;
		uint64_t sent = cwnd < cap ? cwnd : cap;
		uint64_t round = sent > bdp ? sent * SEC / bw : rtt;

		util += (double)(cwnd < bdp ? cwnd : bdp) / bdp * round;
		if (cwnd > cap) {
			cc.ops->on_congestion(&cc, (uint32_t)cwnd, now);
			ack_bytes(&cc, sent, MSS, round, now);
			cc.ops->on_recovery_end(&cc, now + round);
			(*losses)++;
		} else {
			ack_bytes(&cc, sent, MSS, round, now);
		}
		now += round;
	}
	return util / (now - start);
}

static void
fluid_link(void **state)
{
	const struct tq_cc_ops *algos[] = { &tq_cc_newreno, &tq_cc_cubic };
	/* 100 Mbit/s, 20 ms: a BDP of 250 kB (171 segments). */
	const uint64_t bw = 100000000 / 8, rtt = 20 * MS;
	const uint64_t bdp = bw * rtt / SEC;
	const uint64_t gbit = 1000000000 / 8;
	unsigned int losses;
	double u;
	size_t i;

	for (i = 0; i < 2; i++) {
		u = fluid_run(algos[i], bw, rtt, bdp / 4, 60 * SEC, &losses);
		print_message("%s: utilisation %.3f, %u losses in 60 s\n",
				algos[i]->name, u, losses);
		assert_true(losses >= 3);
		assert_true(u >= 0.80);
	}
	/* CUBIC keeps 80% even with no buffer at all (beta = 0.7). */
	u = fluid_run(&tq_cc_cubic, bw, rtt, 0, 60 * SEC, &losses);
	print_message("cubic, no buffer: utilisation %.3f, %u losses\n", u,
			losses);
	assert_true(u >= 0.80);
	/* And on a long fat pipe (1 Gbit/s, 50 ms) with a small buffer. */
	u = fluid_run(&tq_cc_cubic, gbit, 50 * MS, gbit * 50 * MS / SEC / 10,
			60 * SEC, &losses);
	print_message("cubic, 1 Gbit/s 50 ms: utilisation %.3f, %u losses\n",
			u, losses);
	assert_true(u >= 0.80);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(find_names),
		cmocka_unit_test(initial_window),
		cmocka_unit_test(slow_start_doubles),
		cmocka_unit_test(newreno_avoidance),
		cmocka_unit_test(newreno_congestion),
		cmocka_unit_test(newreno_rto),
		cmocka_unit_test(newreno_undo),
		cmocka_unit_test(cubic_decrease),
		cmocka_unit_test(cubic_curve),
		cmocka_unit_test(cubic_reno_friendly),
		cmocka_unit_test(cubic_fast_convergence),
		cmocka_unit_test(cubic_rto),
		cmocka_unit_test(cubic_undo),
		cmocka_unit_test(fluid_link),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
