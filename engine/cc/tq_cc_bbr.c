/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * BBR version 1, as draft-cardwell-iccrg-bbr-congestion-control-00
 * specifies it: a model of the path (the bottleneck bandwidth, a
 * windowed max of delivery-rate samples over ten round trips, and the
 * round-trip propagation time, a windowed min over ten seconds) sets a
 * pacing rate and a window; STARTUP doubles the rate each round until
 * the bandwidth stops growing, DRAIN empties the queue STARTUP built,
 * PROBE_BW cycles the pacing gain around 1 to find more bandwidth and
 * give it back, PROBE_RTT drops the window to four packets now and then
 * so the min RTT stays the path's.
 *
 * Why v1 and not v2/v3 (draft -02): v1's model is small and fully
 * specified, its state machine is easy to test step by step, and it has
 * no loss/ECN thresholds of its own to tune; its known weakness (it does
 * not back off on loss, so it is unfair to Reno/CUBIC on shallow buffers
 * and retransmits more under heavy loss) is documented in docs/quic.md.
 *
 * Gains are fixed point, x256.  Losses only change the window through
 * the draft's packet conservation in recovery (4.2.3.5).
 */
#include "tq_cc.h"
#include "tq_cc_priv.h"

#include <string.h>

#define NS_PER_S UINT64_C(1000000000)
#define NS_PER_MS UINT64_C(1000000)
#define GAIN_UNIT 256
/* 2/ln(2): the smallest gain doubling the rate each round */
#define BBR_HIGH_GAIN 739
#define BBR_DRAIN_GAIN 89	/* 1 / high_gain */
#define BBR_CWND_GAIN (2 * GAIN_UNIT)
#define BBR_RTPROP_WIN_NS (10 * NS_PER_S)
#define BBR_PROBE_RTT_NS (200 * NS_PER_MS)
#define BBR_MIN_PIPE_SEGS 4
#define BBR_CYCLE_LEN 8
/* until the first RTT sample: a rate for the initial window over 1 ms
 * would be a burst, so the transport's initial RTT is assumed */
#define BBR_INIT_RTT_NS (333 * NS_PER_MS)

enum { BBR_STARTUP, BBR_DRAIN, BBR_PROBE_BW, BBR_PROBE_RTT };

static const uint16_t pacing_cycle[BBR_CYCLE_LEN] = {
	5 * GAIN_UNIT / 4, 3 * GAIN_UNIT / 4,
	GAIN_UNIT, GAIN_UNIT, GAIN_UNIT, GAIN_UNIT, GAIN_UNIT, GAIN_UNIT,
};

static uint64_t
min_pipe(const struct tq_cc *cc)
{
	return (uint64_t)BBR_MIN_PIPE_SEGS * cc->mss;
}

/* gain x BDP; the initial window while there is no model yet */
static uint64_t
bbr_inflight(const struct tq_cc *cc, uint32_t gain)
{
	const struct tq_cc_bbr *b = &cc->bbr;
	unsigned __int128 bdp;

	if (b->rtprop == UINT64_MAX || b->btl_bw == 0)
		return (uint64_t)(cc->init_cwnd_segs ? cc->init_cwnd_segs :
				TQ_CC_INIT_CWND_SEGS) * cc->mss;
	bdp = (unsigned __int128)b->btl_bw * b->rtprop / NS_PER_S;
	return (uint64_t)(bdp * gain / GAIN_UNIT);
}

static void
set_pacing_rate(struct tq_cc *cc, uint32_t gain, bool force)
{
	const struct tq_cc_bbr *b = &cc->bbr;
	uint64_t rate = (uint64_t)((unsigned __int128)b->btl_bw * gain /
			GAIN_UNIT);

	/* 4.2.1: in STARTUP never lower it before the pipe is full (a
	 * small early sample says nothing of the path yet) */
	if (rate != 0 && (force || b->filled_pipe || rate > cc->pacing_rate))
		cc->pacing_rate = rate;
}

static void
bbr_init(struct tq_cc *cc, uint64_t now)
{
	struct tq_cc_bbr *b = &cc->bbr;

	tq_cc_reset(cc);
	memset(b, 0, sizeof(*b));
	b->rtprop = UINT64_MAX;
	b->rtprop_stamp = now;
	b->mode = BBR_STARTUP;
	b->pacing_gain = BBR_HIGH_GAIN;
	b->cwnd_gain = BBR_HIGH_GAIN;
	/* 4.2.1 BBRInitPacingRate: high_gain x initial window / RTT */
	cc->pacing_rate = (uint64_t)((unsigned __int128)cc->cwnd *
			BBR_HIGH_GAIN * NS_PER_S / (GAIN_UNIT *
				(unsigned __int128)BBR_INIT_RTT_NS));
}

static void
enter_probe_bw(struct tq_cc *cc, uint64_t now)
{
	struct tq_cc_bbr *b = &cc->bbr;

	b->mode = BBR_PROBE_BW;
	b->cwnd_gain = BBR_CWND_GAIN;
	/*
	 * The draft picks a random phase other than the 3/4 one so flows
	 * do not probe in lockstep; a connection's round count at this
	 * point differs from flow to flow and keeps runs deterministic.
	 */
	b->cycle_index = (uint8_t)(BBR_CYCLE_LEN - 1 -
			b->round_count % (BBR_CYCLE_LEN - 1));
	b->cycle_stamp = now;
	b->pacing_gain = pacing_cycle[b->cycle_index];
}

/*
 * A sample that cannot lower the bandwidth estimate: sent while the app
 * held the sender back, or while PROBE_RTT did (4.3.4.4: its four-packet
 * flights deliver at a fraction of the rate, and the ten-round window
 * would otherwise lose every real sample in the 200 ms it lasts, leaving
 * PROBE_BW to climb back from a few Mbit/s at 1.25 per eight rounds).
 * The draft marks those packets app-limited in the transport; the mark
 * kept here (delivered + in flight, renewed on every PROBE_RTT ACK)
 * does the same for any transport.
 */
static bool
sample_app_limited(const struct tq_cc_bbr *b, const struct tq_cc_rs *rs)
{
	return rs->is_app_limited || rs->prior_delivered < b->probe_rtt_mark;
}

static void
update_btl_bw(struct tq_cc *cc, const struct tq_cc_rs *rs)
{
	struct tq_cc_bbr *b = &cc->bbr;
	unsigned int i, slot;
	uint64_t max = 0;

	if (rs->has_prior && rs->prior_delivered >= b->next_round_delivered) {
		b->next_round_delivered = rs->delivered;
		b->round_count++;
		b->round_start = true;
	} else {
		b->round_start = false;
	}
	/* an app-limited sample only counts when it raises the estimate */
	if (rs->delivery_rate == 0 ||
			(sample_app_limited(b, rs) &&
			 rs->delivery_rate < b->btl_bw))
		return;
	slot = b->round_count % TQ_CC_BBR_BW_ROUNDS;
	if (b->bw_win[slot].round != b->round_count) {
		b->bw_win[slot].round = b->round_count;
		b->bw_win[slot].bw = 0;
	}
	if (rs->delivery_rate > b->bw_win[slot].bw)
		b->bw_win[slot].bw = rs->delivery_rate;
	for (i = 0; i < TQ_CC_BBR_BW_ROUNDS; i++)
		if (b->bw_win[i].round + TQ_CC_BBR_BW_ROUNDS > b->round_count &&
				b->bw_win[i].bw > max)
			max = b->bw_win[i].bw;
	b->btl_bw = max;
}

static void
check_cycle_phase(struct tq_cc *cc, const struct tq_cc_rs *rs, uint64_t now)
{
	struct tq_cc_bbr *b = &cc->bbr;
	bool full, next;

	if (b->mode != BBR_PROBE_BW)
		return;
	full = b->rtprop != UINT64_MAX && now - b->cycle_stamp > b->rtprop;
	if (b->pacing_gain == GAIN_UNIT)
		next = full;
	else if (b->pacing_gain > GAIN_UNIT)
		/* probing: until losses or the extra inflight is out */
		next = full && (rs->newly_lost > 0 || rs->prior_in_flight >=
				bbr_inflight(cc, b->pacing_gain));
	else
		/* draining: as soon as the queue is gone */
		next = full || rs->prior_in_flight <=
			bbr_inflight(cc, GAIN_UNIT);
	if (!next)
		return;
	b->cycle_index = (uint8_t)((b->cycle_index + 1) % BBR_CYCLE_LEN);
	b->cycle_stamp = now;
	b->pacing_gain = pacing_cycle[b->cycle_index];
}

static void
check_full_pipe(struct tq_cc *cc, const struct tq_cc_rs *rs)
{
	struct tq_cc_bbr *b = &cc->bbr;

	if (b->filled_pipe || !b->round_start || sample_app_limited(b, rs))
		return;
	/* 4.2.1.2: three rounds without 25% growth */
	if (b->btl_bw >= b->full_bw + b->full_bw / 4) {
		b->full_bw = b->btl_bw;
		b->full_bw_count = 0;
		return;
	}
	if (++b->full_bw_count >= 3)
		b->filled_pipe = true;
}

static void
check_drain(struct tq_cc *cc, uint32_t in_flight, uint64_t now)
{
	struct tq_cc_bbr *b = &cc->bbr;

	if (b->mode == BBR_STARTUP && b->filled_pipe) {
		b->mode = BBR_DRAIN;
		b->pacing_gain = BBR_DRAIN_GAIN;
		b->cwnd_gain = BBR_HIGH_GAIN;
	}
	if (b->mode == BBR_DRAIN && in_flight <= bbr_inflight(cc, GAIN_UNIT))
		enter_probe_bw(cc, now);
}

static void
save_cwnd(struct tq_cc *cc)
{
	struct tq_cc_bbr *b = &cc->bbr;

	if (!cc->in_recovery && b->mode != BBR_PROBE_RTT)
		b->prior_cwnd = cc->cwnd;
	else if (cc->cwnd > b->prior_cwnd)
		b->prior_cwnd = cc->cwnd;
}

static void
restore_cwnd(struct tq_cc *cc)
{
	if (cc->cwnd < cc->bbr.prior_cwnd)
		cc->cwnd = cc->bbr.prior_cwnd;
}

static void
update_rtprop(struct tq_cc *cc, const struct tq_cc_rs *rs, uint32_t in_flight,
		uint64_t now)
{
	struct tq_cc_bbr *b = &cc->bbr;
	bool expired = now > b->rtprop_stamp + BBR_RTPROP_WIN_NS;

	if (rs->rtt != 0 && (rs->rtt <= b->rtprop || expired)) {
		b->rtprop = rs->rtt;
		b->rtprop_stamp = now;
	}
	if (b->mode != BBR_PROBE_RTT && expired) {
		b->mode = BBR_PROBE_RTT;
		b->pacing_gain = GAIN_UNIT;
		b->cwnd_gain = GAIN_UNIT;
		save_cwnd(cc);
		b->probe_rtt_done = 0;
	}
	if (b->mode != BBR_PROBE_RTT)
		return;
	if (b->probe_rtt_done == 0 && in_flight <= min_pipe(cc)) {
		/* 4.3.4.4: hold four packets for 200 ms and a round */
		b->probe_rtt_done = now + BBR_PROBE_RTT_NS;
		b->probe_rtt_round_done = false;
		b->next_round_delivered = rs->delivered;
	} else if (b->probe_rtt_done != 0) {
		if (b->round_start)
			b->probe_rtt_round_done = true;
		if (b->probe_rtt_round_done && now > b->probe_rtt_done) {
			b->rtprop_stamp = now;
			restore_cwnd(cc);
			if (b->filled_pipe) {
				enter_probe_bw(cc, now);
			} else {
				b->mode = BBR_STARTUP;
				b->pacing_gain = BBR_HIGH_GAIN;
				b->cwnd_gain = BBR_HIGH_GAIN;
			}
		}
	}
}

static void
set_cwnd(struct tq_cc *cc, const struct tq_cc_rs *rs, uint32_t in_flight)
{
	struct tq_cc_bbr *b = &cc->bbr;
	uint64_t target = bbr_inflight(cc, b->cwnd_gain);
	uint64_t cwnd = cc->cwnd;

	/* 4.2.3.4: a floor so the window never drops below a few packets,
	 * and room for the delayed-ACK and pacing quanta */
	target += 3 * (uint64_t)cc->mss;
	if (rs->newly_lost > 0)
		cwnd = cwnd > rs->newly_lost + (uint64_t)cc->mss ?
			cwnd - rs->newly_lost : cc->mss;
	if (b->packet_conservation) {
		uint64_t c = (uint64_t)in_flight + rs->newly_acked;

		if (cwnd < c)
			cwnd = c;
	} else if (b->filled_pipe) {
		cwnd += rs->newly_acked;
		if (cwnd > target)
			cwnd = target;
	} else if (cwnd < target || rs->delivered <
			(uint64_t)TQ_CC_INIT_CWND_SEGS * cc->mss) {
		cwnd += rs->newly_acked;
	}
	if (cwnd < min_pipe(cc))
		cwnd = min_pipe(cc);
	if (b->mode == BBR_PROBE_RTT && cwnd > min_pipe(cc))
		cwnd = min_pipe(cc);
	cc->cwnd = tq_cc_clamp(cwnd);
}

static void
bbr_on_rate_sample(struct tq_cc *cc, const struct tq_cc_rs *rs,
		uint32_t in_flight, uint64_t now)
{
	struct tq_cc_bbr *b = &cc->bbr;

	b->delivered = rs->delivered;
	update_btl_bw(cc, rs);
	check_cycle_phase(cc, rs, now);
	check_full_pipe(cc, rs);
	check_drain(cc, in_flight, now);
	update_rtprop(cc, rs, in_flight, now);
	if (b->mode == BBR_PROBE_RTT)
		b->probe_rtt_mark = rs->delivered + in_flight;
	/* one round of packet conservation on entering recovery (4.2.3.5) */
	if (b->packet_conservation && b->round_count >= b->conservation_end)
		b->packet_conservation = false;
	set_pacing_rate(cc, b->pacing_gain, false);
	set_cwnd(cc, rs, in_flight);
}

/* The window is set from rate samples; plain ACK accounting is not. */
static void
bbr_on_ack(struct tq_cc *cc, uint32_t acked, uint64_t rtt_ns,
		uint32_t in_flight, uint64_t now)
{
}

static void
bbr_on_congestion(struct tq_cc *cc, uint32_t in_flight, uint64_t now)
{
	struct tq_cc_bbr *b = &cc->bbr;

	if (cc->in_recovery)
		return;
	save_cwnd(cc);
	tq_cc_save_prior(cc);
	cc->in_recovery = true;
	b->packet_conservation = true;
	b->conservation_end = b->round_count + 1;
}

static void
bbr_on_recovery_end(struct tq_cc *cc, uint64_t now)
{
	if (!cc->in_recovery)
		return;
	cc->in_recovery = false;
	cc->bbr.packet_conservation = false;
	restore_cwnd(cc);
}

static void
bbr_on_rto(struct tq_cc *cc, uint32_t in_flight, uint64_t now)
{
	struct tq_cc_bbr *b = &cc->bbr;

	/* 4.2.3.5: on a timeout the window restarts at one packet, the
	 * model (bandwidth, min RTT) is kept; ACKs then rebuild the window
	 * by packet conservation and growth toward the target */
	save_cwnd(cc);
	tq_cc_save_prior(cc);
	cc->cwnd = cc->mss;
	cc->in_recovery = false;
	b->packet_conservation = false;
}

static void
bbr_on_undo(struct tq_cc *cc)
{
	tq_cc_restore_prior(cc);
	cc->bbr.packet_conservation = false;
}

const struct tq_cc_ops tq_cc_bbr = {
	.name = "bbr",
	.id = 3,	/* TQ_CC_BBR */
	.init = bbr_init,
	.on_ack = bbr_on_ack,
	.on_congestion = bbr_on_congestion,
	.on_recovery_end = bbr_on_recovery_end,
	.on_rto = bbr_on_rto,
	.on_undo = bbr_on_undo,
	.on_rate_sample = bbr_on_rate_sample,
	.needs_rate_samples = true,
};
