/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Delivery-rate sampling and BBR alone: packets through a model of one
 * bottleneck (a FIFO draining at a fixed rate, then a fixed delay back),
 * the sender held to cwnd and paced at the cc's rate, on a fake clock.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cc/tq_cc.h"

#define MSS 1200u
#define MS 1000000ull
#define SEC 1000000000ull
#define NPKT 4096

struct pkt {
	uint64_t sent, ack_at;
	struct tq_cc_pkt_rs rs;
	bool lost;
};

struct link {
	struct tq_cc cc;
	struct tq_cc_rate rate;
	uint64_t bw;		/* bottleneck, bytes/s */
	uint64_t rtt;		/* base round trip */
	uint64_t now;
	uint64_t busy;		/* when the bottleneck is free */
	uint64_t next_send;	/* pacing */
	uint64_t in_flight;
	uint64_t min_rtt;
	uint64_t max_queue;	/* ns of queueing seen at the bottleneck */
	uint64_t sum_rtt, n_rtt;	/* RTT samples after warm-up */
	uint64_t warm;		/* from when to average */
	uint32_t drop_every;	/* drop one packet in this many (0: none) */
	uint64_t seq;
	bool app_limited;	/* stop sending: nothing to send */
	struct pkt q[NPKT];	/* in flight, FIFO */
	unsigned int head, n;
	unsigned int modes[4];	/* rate samples seen in each mode */
};

static void
link_init(struct link *l, const struct tq_cc_ops *ops, uint64_t bw,
		uint64_t rtt)
{
	memset(l, 0, sizeof(*l));
	l->bw = bw;
	l->rtt = rtt;
	l->now = SEC;
	tq_cc_init(&l->cc, ops, MSS, l->now);
}

static void
send_one(struct link *l)
{
	struct pkt *p = &l->q[(l->head + l->n) % NPKT];
	uint64_t dep;

	p->sent = l->now;
	tq_cc_rate_on_sent(&l->rate, &p->rs, l->in_flight, l->now);
	l->in_flight += MSS;
	dep = (l->busy > l->now ? l->busy : l->now) + MSS * SEC / l->bw;
	if (dep - MSS * SEC / l->bw - l->now > l->max_queue &&
			l->now >= l->warm)
		l->max_queue = dep - MSS * SEC / l->bw - l->now;
	l->busy = dep;
	p->ack_at = dep + l->rtt;
	p->lost = l->drop_every && ++l->seq % l->drop_every == 0;
	l->n++;
	if (l->cc.pacing_rate)
		l->next_send = l->now + MSS * SEC / l->cc.pacing_rate;
}

/* One ACK per packet; a dropped one is declared lost with the ACK of
 * the packet after it. */
static void
ack_one(struct link *l)
{
	struct pkt *p = &l->q[l->head];
	struct tq_cc_rs rs;
	uint32_t lost = 0;

	tq_cc_rate_begin(&rs, (uint32_t)l->in_flight);
	while (p->lost) {
		lost += MSS;
		l->in_flight -= MSS;
		l->head = (l->head + 1) % NPKT;
		l->n--;
		if (l->n == 0)
			return;
		p = &l->q[l->head];
	}
	if (lost)
		l->cc.ops->on_congestion(&l->cc, (uint32_t)l->in_flight,
				l->now);
	l->in_flight -= MSS;
	tq_cc_rate_on_acked(&l->rate, &rs, &p->rs, MSS, p->sent, l->now);
	l->head = (l->head + 1) % NPKT;
	l->n--;
	rs.newly_lost = lost;
	if (l->min_rtt == 0 || rs.rtt < l->min_rtt)
		l->min_rtt = rs.rtt;
	if (l->now >= l->warm) {
		l->sum_rtt += rs.rtt;
		l->n_rtt++;
	}
	tq_cc_rate_finish(&l->rate, &rs, l->min_rtt);
	l->modes[l->cc.bbr.mode]++;
	l->cc.ops->on_rate_sample(&l->cc, &rs, (uint32_t)l->in_flight,
			l->now);
	if (!lost && l->cc.in_recovery)
		l->cc.ops->on_recovery_end(&l->cc, l->now);
}

/* Run until t: ACKs as they arrive, sends as cwnd and pacing allow. */
static void
run(struct link *l, uint64_t t)
{
	while (l->now < t) {
		uint64_t ack = l->n ? l->q[l->head].ack_at : UINT64_MAX;
		bool can = !l->app_limited && l->in_flight + MSS <=
			l->cc.cwnd && l->n < NPKT;
		uint64_t snd = can ? (l->next_send > l->now ? l->next_send :
				l->now) : UINT64_MAX;

		if (ack <= snd && ack != UINT64_MAX) {
			l->now = ack > l->now ? ack : l->now;
			ack_one(l);
		} else if (snd != UINT64_MAX) {
			l->now = snd;
			send_one(l);
		} else {
			if (l->app_limited)
				tq_cc_rate_app_limited(&l->rate, l->in_flight);
			l->now = t;
		}
	}
}

static void
find_bbr(void **state)
{
	assert_ptr_equal(tq_cc_find("bbr"), &tq_cc_bbr);
	assert_ptr_equal(tq_cc_find("BBR"), &tq_cc_bbr);
	assert_true(tq_cc_bbr.needs_rate_samples);
	assert_false(tq_cc_cubic.needs_rate_samples);
	assert_false(tq_cc_newreno.needs_rate_samples);
}

/* A fixed window of 64 packets, about 4 BDP, over a 10 MB/s bottleneck
 * with 2 ms of delay: the samples say 10 MB/s. */
static void
rate_sample_measures_bottleneck(void **state)
{
	struct tq_cc_rate r;
	struct tq_cc_pkt_rs p[64];
	struct tq_cc_rs rs;
	uint64_t bw = 10000000, rtt = 2 * MS, t = SEC, dep = 0;
	uint64_t sent[64], acked[64];
	unsigned int i, k;

	memset(&r, 0, sizeof(r));
	/* 64 packets sent at once; the bottleneck spaces them out */
	for (i = 0; i < 64; i++) {
		tq_cc_rate_on_sent(&r, &p[i], (uint64_t)i * MSS, t);
		sent[i] = t;
		dep = (dep > t ? dep : t) + MSS * SEC / bw;
		acked[i] = dep + rtt;
	}
	/* then each ACK clocks out the next packet; by the third flight
	 * the intervals are the link's */
	for (k = 0; k < 3; k++) {
		for (i = 0; i < 64; i++) {
			t = acked[i];
			tq_cc_rate_begin(&rs, 64 * MSS);
			tq_cc_rate_on_acked(&r, &rs, &p[i], MSS, sent[i], t);
			tq_cc_rate_finish(&r, &rs, rtt);
			assert_int_equal(rs.delivered,
					((uint64_t)k * 64 + i + 1) * MSS);
			assert_int_equal(rs.rtt, t - sent[i]);
			assert_false(rs.is_app_limited);
			/* never more than the link: a burst from idle has
			 * its interval run from the send */
			assert_true(rs.delivery_rate <= bw + bw / 100);
			if (k == 2)
				assert_true(rs.delivery_rate > bw * 95 / 100);
			tq_cc_rate_on_sent(&r, &p[i], 63 * MSS, t);
			sent[i] = t;
			dep = (dep > t ? dep : t) + MSS * SEC / bw;
			acked[i] = dep + rtt;
		}
	}
}

/* Packets sent while app-limited give app-limited samples, until the
 * bytes in flight at the mark are delivered. */
static void
rate_sample_app_limited(void **state)
{
	struct tq_cc_rate r;
	struct tq_cc_pkt_rs a, b, c;
	struct tq_cc_rs rs;

	memset(&r, 0, sizeof(r));
	tq_cc_rate_on_sent(&r, &a, 0, SEC);
	tq_cc_rate_app_limited(&r, MSS);
	tq_cc_rate_on_sent(&r, &b, MSS, SEC + MS);
	assert_false(a.app_limited);
	assert_true(b.app_limited);
	tq_cc_rate_begin(&rs, 2 * MSS);
	tq_cc_rate_on_acked(&r, &rs, &a, MSS, SEC, SEC + 10 * MS);
	tq_cc_rate_finish(&r, &rs, 0);
	assert_false(rs.is_app_limited);
	/* delivered (MSS) is not past the mark (MSS) yet */
	tq_cc_rate_on_sent(&r, &c, MSS, SEC + 10 * MS);
	assert_true(c.app_limited);
	tq_cc_rate_begin(&rs, 2 * MSS);
	tq_cc_rate_on_acked(&r, &rs, &b, MSS, SEC + MS, SEC + 11 * MS);
	tq_cc_rate_finish(&r, &rs, 0);
	assert_true(rs.is_app_limited);
	assert_int_equal(r.app_limited, 0);
	tq_cc_rate_on_sent(&r, &a, MSS, SEC + 11 * MS);
	assert_false(a.app_limited);
}

/*
 * 12 MB/s, 40 ms: STARTUP finds the bandwidth within a few rounds,
 * DRAIN empties the queue, PROBE_BW holds the rate near the bottleneck
 * with about 2 BDP in flight and little queue.
 */
static void
bbr_converges(void **state)
{
	static struct link l;
	uint64_t bw = 12000000, rtt = 40 * MS, bdp = bw * rtt / SEC;
	uint64_t start, delivered;

	link_init(&l, &tq_cc_bbr, bw, rtt);
	assert_true(l.cc.pacing_rate > 0);
	assert_int_equal(l.cc.bbr.mode, 0);	/* STARTUP */
	run(&l, l.now + 2 * SEC);
	assert_true(l.cc.bbr.filled_pipe);
	assert_int_equal(l.cc.bbr.mode, 2);	/* PROBE_BW */
	assert_true(l.modes[1] > 0);		/* went through DRAIN */
	assert_true(l.cc.bbr.btl_bw > bw * 95 / 100);
	assert_true(l.cc.bbr.btl_bw < bw * 110 / 100);
	assert_true(l.cc.bbr.rtprop >= rtt);
	assert_true(l.cc.bbr.rtprop < rtt + 2 * MS);
	/* cwnd_gain 2 x BDP (+ 3 packets) */
	assert_true(l.cc.cwnd <= 2 * bw * (rtt + MS) / SEC + 4 * MSS);
	assert_true(l.cc.cwnd >= 2 * bdp * 9 / 10);
	/* steady state: throughput near the link, RTT near the minimum */
	start = l.now;
	delivered = l.rate.delivered;
	l.warm = l.now;
	l.max_queue = 0;
	run(&l, l.now + 5 * SEC);
	assert_true((l.rate.delivered - delivered) * SEC / (l.now - start) >
			bw * 90 / 100);
	/* pacing near bw keeps the queue to the 5/4 probe's extra */
	assert_true(l.sum_rtt / l.n_rtt < rtt + rtt / 4);
	assert_true(l.max_queue < rtt / 4 + 2 * MS);
	print_message("bbr: avg rtt %lu max queue %lu\n",
			(unsigned long)(l.sum_rtt / l.n_rtt),
			(unsigned long)l.max_queue);
}

/*
 * The path's RTT goes up (a route change): no sample reaches the old
 * min for ten seconds, PROBE_RTT holds 4 packets for 200 ms, then the
 * new min RTT is the model's and PROBE_BW resumes.
 */
static void
bbr_probe_rtt(void **state)
{
	static struct link l;
	uint64_t bw = 5000000, rtt = 20 * MS;
	bool seen = false;
	uint64_t t_end;

	link_init(&l, &tq_cc_bbr, bw, rtt);
	run(&l, l.now + 2 * SEC);
	assert_int_equal(l.cc.bbr.mode, 2);
	assert_true(l.cc.bbr.rtprop < rtt + MS);
	l.rtt = 30 * MS;
	t_end = l.now + 11 * SEC;
	while (l.now < t_end) {
		run(&l, l.now + 5 * MS);
		if (l.cc.bbr.mode == 3) {
			seen = true;
			assert_true(l.cc.cwnd <= 4 * MSS);
		}
	}
	assert_true(seen);
	assert_int_equal(l.cc.bbr.mode, 2);
	assert_true(l.cc.cwnd > 4 * MSS);
	assert_true(l.cc.bbr.rtprop >= 30 * MS);
	assert_true(l.cc.bbr.rtprop < 31 * MS);
}

/*
 * PROBE_RTT's 200 ms at four packets spans more than the bandwidth
 * filter's ten rounds on a short path (10 ms here: some 20 rounds):
 * its slow samples must not replace the estimate, or PROBE_BW restarts
 * from four packets a round trip and climbs back over seconds.
 */
static void
bbr_probe_rtt_keeps_bw(void **state)
{
	static struct link l;
	uint64_t bw = 12000000, rtt = 10 * MS, t_end, low = UINT64_MAX;
	uint64_t start, delivered;
	bool seen = false;

	link_init(&l, &tq_cc_bbr, bw, rtt);
	run(&l, l.now + 2 * SEC);
	assert_int_equal(l.cc.bbr.mode, 2);
	assert_true(l.cc.bbr.btl_bw > bw * 95 / 100);
	/* no sample at the old min from here: PROBE_RTT in 10 s */
	l.rtt = 11 * MS;
	t_end = l.now + 11 * SEC;
	while (l.now < t_end) {
		run(&l, l.now + 2 * MS);
		if (l.cc.bbr.mode == 3)
			seen = true;
		if (l.cc.bbr.btl_bw < low)
			low = l.cc.bbr.btl_bw;
	}
	assert_true(seen);
	assert_int_equal(l.cc.bbr.mode, 2);
	print_message("bbr: lowest estimate through PROBE_RTT %lu of %lu\n",
			(unsigned long)low, (unsigned long)bw);
	assert_true(low > bw * 90 / 100);
	/* and the second after it runs at the link's rate */
	start = l.now;
	delivered = l.rate.delivered;
	run(&l, l.now + SEC);
	assert_true((l.rate.delivered - delivered) * SEC / (l.now - start) >
			bw * 90 / 100);
}

/* Random-ish loss (1 in 50) does not make BBR give up the rate: the
 * model is the bandwidth, not the loss. */
static void
bbr_loss(void **state)
{
	static struct link l;
	uint64_t bw = 10000000, rtt = 30 * MS, start, delivered;

	link_init(&l, &tq_cc_bbr, bw, rtt);
	l.drop_every = 50;
	run(&l, l.now + 3 * SEC);
	start = l.now;
	delivered = l.rate.delivered;
	run(&l, l.now + 5 * SEC);
	assert_true((l.rate.delivered - delivered) * SEC / (l.now - start) >
			bw * 80 / 100);
	/* and NewReno, for contrast, loses much more */
	link_init(&l, &tq_cc_newreno, bw, rtt);
	assert_int_equal(l.cc.pacing_rate, 0);
}

/* An app-limited sender does not drag the estimate down. */
static void
bbr_app_limited_keeps_bw(void **state)
{
	static struct link l;
	uint64_t bw = 8000000, rtt = 20 * MS, est;

	link_init(&l, &tq_cc_bbr, bw, rtt);
	run(&l, l.now + 2 * SEC);
	est = l.cc.bbr.btl_bw;
	assert_true(est > bw * 9 / 10);
	/* a trickle: one packet per 10 ms, each sample app-limited */
	l.app_limited = true;
	run(&l, l.now + 200 * MS);
	{
		unsigned int i;

		for (i = 0; i < 200; i++) {
			l.app_limited = false;
			tq_cc_rate_app_limited(&l.rate, l.in_flight);
			send_one(&l);
			l.app_limited = true;
			run(&l, l.now + 10 * MS);
		}
	}
	/* 2 s of 120 KB/s samples: ten rounds passed, still the link's */
	assert_true(l.cc.bbr.btl_bw > bw * 9 / 10);
}

/* A timeout collapses the window; the model stays. */
static void
bbr_rto(void **state)
{
	static struct link l;
	uint64_t bw = 8000000, rtt = 20 * MS, est;

	link_init(&l, &tq_cc_bbr, bw, rtt);
	run(&l, l.now + 2 * SEC);
	est = l.cc.bbr.btl_bw;
	l.cc.ops->on_rto(&l.cc, (uint32_t)l.in_flight, l.now);
	assert_int_equal(l.cc.cwnd, MSS);
	assert_int_equal(l.cc.bbr.btl_bw, est);
	l.cc.ops->on_undo(&l.cc);
	assert_true(l.cc.cwnd > MSS);
}

/* The TCP pacer's bucket: one quantum per tick, refilled at the rate
 * from the burst's stamp, and a timer time that is when the next
 * segment's bytes are there. */
static void
pace_bucket(void **state)
{
	struct tq_cc_pace p = { 0, 0 };
	uint64_t rate = 12500000;	/* 100 Mbit/s */
	uint32_t q = tq_cc_pace_quantum(rate, MS, 1448);
	uint64_t t;

	(void)state;
	/* 1 ms of 100 Mbit/s is 12500 bytes, and a segment for the rest
	 * of one; never under two segments (and the rest), never over
	 * 64 KB */
	assert_int_equal(q, 12500 + 1448);
	assert_int_equal(tq_cc_pace_quantum(100000, MS, 1448), 3 * 1448);
	assert_int_equal(tq_cc_pace_quantum(10000000000ull, MS, 1448),
			64 * 1024);
	/* a fresh (or long idle) bucket holds one quantum, no more */
	assert_int_equal(tq_cc_pace_avail(&p, rate, q, 5 * SEC), q);
	tq_cc_pace_spend(&p, 8 * 1448);
	assert_int_equal(tq_cc_pace_avail(&p, rate, q, 5 * SEC),
			q - 8 * 1448);
	tq_cc_pace_spend(&p, 2 * 1448);
	assert_int_equal(p.tokens, 0);	/* overdrawn: floors at zero */
	/* 1448 bytes take 115.84 us at 100 Mbit/s */
	t = tq_cc_pace_next(&p, rate, 1448, 5 * SEC);
	assert_int_equal(t, 5 * SEC + 115840);
	assert_true(tq_cc_pace_avail(&p, rate, q, t - 1000) < 1448);
	assert_int_equal(tq_cc_pace_avail(&p, rate, q, t), 1448);
	/* half a millisecond later: 6250 more */
	assert_int_equal(tq_cc_pace_avail(&p, rate, q, t + MS / 2),
			1448 + 6250);
	/* enough already: now */
	assert_int_equal(tq_cc_pace_next(&p, rate, 1448, t + MS / 2),
			t + MS / 2);
	/* sending at the rate for a second lets out rate bytes, within a
	 * quantum, whatever the tick */
	{
		struct tq_cc_pace b = { 0, 0 };
		uint64_t now = 10 * SEC, sent = 0;

		tq_cc_pace_avail(&b, rate, q, now);
		tq_cc_pace_spend(&b, q);
		while (now < 11 * SEC) {
			now = tq_cc_pace_next(&b, rate, 1448, now);
			if (now % MS)
				now += MS - now % MS;	/* a 1 ms wheel */
			while (tq_cc_pace_avail(&b, rate, q, now) >= 1448) {
				tq_cc_pace_spend(&b, 1448);
				sent += 1448;
			}
		}
		assert_true(sent <= rate + q);
		assert_true(sent >= rate - 2 * q);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(find_bbr),
		cmocka_unit_test(rate_sample_measures_bottleneck),
		cmocka_unit_test(rate_sample_app_limited),
		cmocka_unit_test(bbr_converges),
		cmocka_unit_test(bbr_probe_rtt),
		cmocka_unit_test(bbr_probe_rtt_keeps_bw),
		cmocka_unit_test(bbr_loss),
		cmocka_unit_test(bbr_app_limited_keeps_bw),
		cmocka_unit_test(bbr_rto),
		cmocka_unit_test(pace_bucket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
