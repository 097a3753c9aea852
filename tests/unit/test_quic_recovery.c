/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC loss recovery (engine/quic/tq_quic_recovery.c) against values
 * computed by hand from RFC 9002: the RTT estimator over a sequence of
 * samples with ack delay (5.3), packet- and time-threshold losses (6.1),
 * PTO and its backoff (6.2), persistent congestion (7.6), ECN-CE (7.1),
 * discarding a space (6.4), the congestion window through engine/cc's
 * NewReno, and the pacer (7.7).  Every time is on a fake clock.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "quic/tq_quic_recovery.h"

#define MS UINT64_C(1000000)
#define T0 (UINT64_C(1000) * MS) /* the clock starts at 1 s */
#define MTU 1200

struct log {
	uint64_t acked[256];
	uint64_t lost[256];
	uint64_t discarded[256];
	size_t nacked, nlost, ndisc;
	enum tq_quic_space last_sp;
};

static void
cb_acked(void *arg, enum tq_quic_space sp, const struct tq_quic_sent *p)
{
	struct log *l = arg;

	assert_true(l->nacked < 256);
	l->acked[l->nacked++] = p->pn;
	l->last_sp = sp;
	/* the handle comes back as given */
	assert_ptr_equal(p->handle, (void *)(uintptr_t)(p->pn + 1000));
}

static void
cb_lost(void *arg, enum tq_quic_space sp, const struct tq_quic_sent *p)
{
	struct log *l = arg;

	assert_true(l->nlost < 256);
	l->lost[l->nlost++] = p->pn;
	l->last_sp = sp;
}

static void
cb_disc(void *arg, enum tq_quic_space sp, const struct tq_quic_sent *p)
{
	struct log *l = arg;

	(void)sp;
	l->discarded[l->ndisc++] = p->pn;
}

static const struct tq_quic_rec_ops ops = {
	.on_acked = cb_acked,
	.on_lost = cb_lost,
	.on_discarded = cb_disc,
};

struct fix {
	struct tq_quic_rec r;
	struct tq_quic_sent store[256];
	struct log log;
};

static void
fix_init(struct fix *f, bool is_server, uint32_t cap)
{
	struct tq_quic_rec_cfg cfg = {
		.cc = &tq_cc_newreno,
		.max_datagram = MTU,
		.max_ack_delay_ns = 25 * MS,
		.is_server = is_server,
		.ops = &ops,
		.arg = &f->log,
	};

	memset(&f->log, 0, sizeof(f->log));
	assert_int_equal(tq_quic_rec_init(&f->r, &cfg, f->store, cap, T0), 0);
}

static void
send_pkt(struct fix *f, enum tq_quic_space sp, uint64_t pn, uint64_t t,
		bool elicit)
{
	struct tq_quic_sent p = {
		.pn = pn,
		.time_sent = t,
		.size = MTU,
		.ack_eliciting = elicit,
		.in_flight = elicit,
		.ack_largest = TQ_QUIC_PN_NONE,
		.handle = (void *)(uintptr_t)(pn + 1000),
	};

	assert_int_equal(tq_quic_rec_on_sent(&f->r, sp, &p), 0);
}

/* An ACK frame with ranges given as largest/smallest pairs, largest
 * first, through the encoder and decoder. */
struct ackbuf {
	uint8_t b[256];
	struct tq_quic_frame f;
};

static const struct tq_quic_frame_ack *
mkack(struct ackbuf *ab, const uint64_t *pairs, size_t npairs, uint64_t ce)
{
	struct tq_quic_ack_range rg[16];
	struct tq_quic_ecn_counts ecn = { .ect0 = 0, .ect1 = 0, .ce = ce };
	struct tq_quic_wr w;
	struct tq_quic_rd r;
	size_t i;

	for (i = 0; i < npairs; i++) {
		rg[i].largest = pairs[2 * i];
		rg[i].smallest = pairs[2 * i + 1];
	}
	tq_quic_wr_init(&w, ab->b, sizeof(ab->b));
	assert_int_equal(tq_quic_ack_encode(&w, rg, npairs, 0,
			ce ? &ecn : NULL), (int)npairs);
	tq_quic_rd_init(&r, ab->b, (size_t)(w.pos - ab->b));
	assert_int_equal(tq_quic_frame_decode(&r, TQ_QUIC_PKT_1RTT, &ab->f),
			TQ_QUIC_NO_ERROR);
	return &ab->f.ack;
}

static enum tq_quic_err
ack1(struct fix *f, enum tq_quic_space sp, uint64_t hi, uint64_t lo,
		uint64_t delay, uint64_t now)
{
	struct ackbuf ab;
	uint64_t pr[2] = { hi, lo };

	return tq_quic_rec_on_ack(&f->r, sp, mkack(&ab, pr, 1, 0), delay, now);
}

/* RFC 9002 5.3, sample by sample. */
static void
test_rtt_sequence(void **state)
{
	struct fix f;
	struct tq_quic_rec *r = &f.r;

	(void)state;
	fix_init(&f, true, 64);
	r->handshake_confirmed = true;
	assert_int_equal(r->smoothed_rtt, 333 * MS);
	assert_int_equal(r->rttvar, 333 * MS / 2);
	/* first: 100 ms */
	send_pkt(&f, TQ_QUIC_SPACE_APP, 0, T0, true);
	assert_int_equal(ack1(&f, TQ_QUIC_SPACE_APP, 0, 0, 0, T0 + 100 * MS),
			0);
	assert_int_equal(r->latest_rtt, 100 * MS);
	assert_int_equal(r->min_rtt, 100 * MS);
	assert_int_equal(r->smoothed_rtt, 100 * MS);
	assert_int_equal(r->rttvar, 50 * MS);
	assert_int_equal(r->first_rtt_sample, T0 + 100 * MS);
	/* 140 ms with 30 ms of ack delay, capped at max_ack_delay (25):
	 * adjusted 115; rttvar (3*50 + 15)/4, srtt (7*100 + 115)/8 */
	send_pkt(&f, TQ_QUIC_SPACE_APP, 1, T0 + 200 * MS, true);
	ack1(&f, TQ_QUIC_SPACE_APP, 1, 0, 30 * MS, T0 + 340 * MS);
	assert_int_equal(r->latest_rtt, 140 * MS);
	assert_int_equal(r->rttvar, 41250000);
	assert_int_equal(r->smoothed_rtt, 101875000);
	/* 130 ms, 20 ms delay: adjusted 110; rttvar (3*41.25 + 8.125)/4,
	 * srtt (7*101.875 + 110)/8 */
	send_pkt(&f, TQ_QUIC_SPACE_APP, 2, T0 + 400 * MS, true);
	ack1(&f, TQ_QUIC_SPACE_APP, 2, 0, 20 * MS, T0 + 530 * MS);
	assert_int_equal(r->rttvar, 32968750);
	assert_int_equal(r->smoothed_rtt, 102890625);
	assert_int_equal(r->min_rtt, 100 * MS);
	/* 105 ms, 10 ms delay: 105 < min_rtt + delay, not subtracted:
	 * rttvar (3*32.96875 + 2.109375)/4, srtt (7*102.890625 + 105)/8 */
	send_pkt(&f, TQ_QUIC_SPACE_APP, 3, T0 + 600 * MS, true);
	ack1(&f, TQ_QUIC_SPACE_APP, 3, 0, 10 * MS, T0 + 705 * MS);
	assert_int_equal(r->rttvar, 25253906);
	assert_int_equal(r->smoothed_rtt, 103154296);
	/* 90 ms: the new min_rtt, ack delay ignored for it */
	send_pkt(&f, TQ_QUIC_SPACE_APP, 4, T0 + 800 * MS, true);
	ack1(&f, TQ_QUIC_SPACE_APP, 4, 4, 5 * MS, T0 + 890 * MS);
	assert_int_equal(r->min_rtt, 90 * MS);
	/* the same ACK again, and an ACK of an older largest: no sample */
	{
		uint64_t s = r->smoothed_rtt, v = r->rttvar;

		ack1(&f, TQ_QUIC_SPACE_APP, 4, 0, 0, T0 + 2000 * MS);
		assert_int_equal(r->smoothed_rtt, s);
		assert_int_equal(r->rttvar, v);
		/* not ack-eliciting: no sample either (5.1) */
		send_pkt(&f, TQ_QUIC_SPACE_APP, 5, T0 + 2000 * MS, false);
		ack1(&f, TQ_QUIC_SPACE_APP, 5, 0, 0, T0 + 2500 * MS);
		assert_int_equal(r->smoothed_rtt, s);
		assert_int_equal(r->latest_rtt, 90 * MS);
	}
	assert_int_equal(f.log.nacked, 6);
	assert_int_equal(r->bytes_in_flight, 0);
}

/* Ack delay before confirmation (not capped) and in Initial (ignored). */
static void
test_rtt_ack_delay_rules(void **state)
{
	struct fix f;

	(void)state;
	fix_init(&f, true, 64);
	send_pkt(&f, TQ_QUIC_SPACE_HANDSHAKE, 0, T0, true);
	ack1(&f, TQ_QUIC_SPACE_HANDSHAKE, 0, 0, 0, T0 + 100 * MS);
	send_pkt(&f, TQ_QUIC_SPACE_HANDSHAKE, 1, T0 + 100 * MS, true);
	/* 200 ms, 50 ms delay above max_ack_delay: all 50 taken off */
	ack1(&f, TQ_QUIC_SPACE_HANDSHAKE, 1, 1, 50 * MS, T0 + 300 * MS);
	assert_int_equal(f.r.smoothed_rtt, 106250000); /* (700+150)/8 */
	assert_int_equal(f.r.rttvar, 50 * MS);	       /* (150+50)/4 */

	fix_init(&f, true, 64);
	send_pkt(&f, TQ_QUIC_SPACE_INITIAL, 0, T0, true);
	ack1(&f, TQ_QUIC_SPACE_INITIAL, 0, 0, 0, T0 + 100 * MS);
	send_pkt(&f, TQ_QUIC_SPACE_INITIAL, 1, T0 + 100 * MS, true);
	ack1(&f, TQ_QUIC_SPACE_INITIAL, 1, 1, 50 * MS, T0 + 300 * MS);
	assert_int_equal(f.r.smoothed_rtt, 112500000); /* (700+200)/8 */
	assert_int_equal(f.r.rttvar, 62500000);	       /* (150+100)/4 */
}

/* 6.1.1 and 6.1.2: pn 0 lost by packet threshold, 1 and 2 by time. */
static void
test_loss_thresholds(void **state)
{
	struct fix f;
	struct tq_quic_rec *r = &f.r;
	enum tq_quic_space sp;
	unsigned int probes;
	uint64_t i;

	(void)state;
	fix_init(&f, true, 64);
	r->handshake_confirmed = true;
	for (i = 0; i < 10; i++)
		send_pkt(&f, TQ_QUIC_SPACE_APP, i, T0 + i * MS, true);
	assert_int_equal(r->bytes_in_flight, 10 * MTU);
	assert_int_equal(r->cc.cwnd, 10 * MTU);
	/* pn 3 acked 100 ms after it left: RTT 100, loss delay 112.5 ms */
	assert_int_equal(ack1(&f, TQ_QUIC_SPACE_APP, 3, 3, 0,
			T0 + 103 * MS), 0);
	assert_int_equal(f.log.nacked, 1);
	assert_int_equal(f.log.nlost, 1);
	assert_int_equal(f.log.lost[0], 0);
	/* one congestion event: ssthresh = flight / 2 (flight: 9 packets
	 * once pn 3 left, pn 0 still counted) */
	assert_int_equal(r->stats.congestion, 1);
	assert_int_equal(r->cc.ssthresh, 9 * MTU / 2);
	assert_int_equal(r->cc.cwnd, 9 * MTU / 2);
	assert_int_equal(r->bytes_in_flight, 8 * MTU);
	/* pn 1 is lost at 1 + 112.5 ms */
	assert_int_equal(tq_quic_rec_timer(r, T0 + 103 * MS),
			T0 + 113500000);
	assert_int_equal(tq_quic_rec_on_timeout(r, T0 + 113 * MS, &sp,
			&probes), TQ_QUIC_REC_NONE);
	assert_int_equal(tq_quic_rec_on_timeout(r, T0 + 113500000, &sp,
			&probes), TQ_QUIC_REC_LOSS);
	assert_int_equal(sp, TQ_QUIC_SPACE_APP);
	assert_int_equal(f.log.nlost, 2);
	assert_int_equal(f.log.lost[1], 1);
	assert_int_equal(tq_quic_rec_timer(r, T0 + 113500000),
			T0 + 114500000);
	assert_int_equal(tq_quic_rec_on_timeout(r, T0 + 114500000, &sp,
			&probes), TQ_QUIC_REC_LOSS);
	assert_int_equal(f.log.lost[2], 2);
	/* all sent before the recovery period began: no second event */
	assert_int_equal(r->stats.congestion, 1);
	assert_int_equal(r->cc.cwnd, 9 * MTU / 2);
	assert_true(r->cc.in_recovery);
	/* nothing below the largest acked left: a PTO from pn 9 on */
	assert_int_equal(tq_quic_rec_timer(r, T0 + 114500000),
			T0 + 9 * MS + tq_quic_rec_pto_base(r) + 25 * MS);
	/* an ACK of 4..9, sent before recovery: no growth, no end */
	assert_int_equal(ack1(&f, TQ_QUIC_SPACE_APP, 9, 4, 0, T0 + 120 * MS),
			0);
	assert_int_equal(f.log.nacked, 7);
	assert_true(r->cc.in_recovery);
	assert_int_equal(r->cc.cwnd, 9 * MTU / 2);
	assert_int_equal(r->bytes_in_flight, 0);
	/* a packet sent in recovery acked: it ends, the window grows again
	 * (congestion avoidance: one MTU per window of bytes acked) */
	for (i = 10; i < 14; i++)
		send_pkt(&f, TQ_QUIC_SPACE_APP, i, T0 + 130 * MS, true);
	assert_int_equal(ack1(&f, TQ_QUIC_SPACE_APP, 13, 10, 0,
			T0 + 230 * MS), 0);
	assert_false(r->cc.in_recovery);
	assert_false(r->in_recovery_period);
	assert_int_equal(r->cc.bytes_acked, 4 * MTU);
	for (i = 14; i < 18; i++)
		send_pkt(&f, TQ_QUIC_SPACE_APP, i, T0 + 240 * MS, true);
	ack1(&f, TQ_QUIC_SPACE_APP, 17, 14, 0, T0 + 340 * MS);
	assert_int_equal(r->cc.cwnd, 9 * MTU / 2 + MTU);
	assert_int_equal(r->stats.lost, 3);
	assert_int_equal(r->stats.lost_bytes, 3 * MTU);
}

/* A second loss after the recovery period began is a new event; a
 * packet-threshold loss on reordering only as deep as the threshold. */
static void
test_loss_reorder_and_new_period(void **state)
{
	struct fix f;
	struct tq_quic_rec *r = &f.r;
	struct ackbuf ab;
	static const uint64_t gaps[] = { 5, 5, 3, 0 };
	uint64_t i;

	(void)state;
	fix_init(&f, true, 64);
	for (i = 0; i < 6; i++)
		send_pkt(&f, TQ_QUIC_SPACE_APP, i, T0, true);
	/* 5 and 3..0 acked, 4 missing: 5 < 4 + 3, and not old: kept */
	assert_int_equal(tq_quic_rec_on_ack(r, TQ_QUIC_SPACE_APP,
			mkack(&ab, gaps, 2, 0), 0, T0 + 50 * MS), 0);
	assert_int_equal(f.log.nlost, 0);
	assert_int_equal(f.log.nacked, 5);
	assert_int_equal(r->stats.congestion, 0);
	assert_int_equal(r->sp[TQ_QUIC_SPACE_APP].loss_time,
			T0 + 50 * MS + 50 * MS / 8);
	/* 6, 7 sent; 7 acked: 7 >= 4 + 3, pn 4 lost */
	send_pkt(&f, TQ_QUIC_SPACE_APP, 6, T0 + 60 * MS, true);
	send_pkt(&f, TQ_QUIC_SPACE_APP, 7, T0 + 60 * MS, true);
	ack1(&f, TQ_QUIC_SPACE_APP, 7, 7, 0, T0 + 110 * MS);
	assert_int_equal(f.log.nlost, 1);
	assert_int_equal(f.log.lost[0], 4);
	assert_int_equal(r->stats.congestion, 1);
	assert_int_equal(r->recovery_start, T0 + 110 * MS);
	assert_int_equal(r->cc.ssthresh, 2 * MTU);
	/* 8 to 30 sent in the period; 8 lost (11 acked): a new period, the
	 * old one closed first, so the controller reduces again: ssthresh
	 * from the 20 packets in flight (8, 12..30) */
	for (i = 8; i < 31; i++)
		send_pkt(&f, TQ_QUIC_SPACE_APP, i, T0 + 120 * MS, true);
	{
		static const uint64_t p2[] = { 11, 9, 6, 6 };

		tq_quic_rec_on_ack(r, TQ_QUIC_SPACE_APP, mkack(&ab, p2, 2, 0),
				0, T0 + 170 * MS);
	}
	assert_int_equal(f.log.nlost, 2);
	assert_int_equal(f.log.lost[1], 8);
	assert_int_equal(r->stats.congestion, 2);
	assert_int_equal(r->recovery_start, T0 + 170 * MS);
	assert_true(r->cc.in_recovery);
	assert_int_equal(r->cc.ssthresh, 10 * MTU);
}

/* 7.8: no growth while the sender does not use the window. */
static void
test_app_limited(void **state)
{
	struct fix f;
	struct tq_quic_rec *r = &f.r;
	uint64_t i;

	(void)state;
	fix_init(&f, true, 64);
	send_pkt(&f, TQ_QUIC_SPACE_APP, 0, T0, true);
	send_pkt(&f, TQ_QUIC_SPACE_APP, 1, T0, true);
	ack1(&f, TQ_QUIC_SPACE_APP, 1, 0, 0, T0 + 100 * MS);
	assert_int_equal(r->cc.cwnd, 10 * MTU);
	/* half the window in flight: slow start, 2 MTU an ACK at most */
	for (i = 2; i < 7; i++)
		send_pkt(&f, TQ_QUIC_SPACE_APP, i, T0 + 100 * MS, true);
	ack1(&f, TQ_QUIC_SPACE_APP, 6, 2, 0, T0 + 200 * MS);
	assert_int_equal(r->cc.cwnd, 12 * MTU);
}

/* 6.2.1: PTO values, backoff, reset. */
static void
test_pto_backoff(void **state)
{
	struct fix f;
	struct tq_quic_rec *r = &f.r;
	enum tq_quic_space sp;
	unsigned int probes;
	uint64_t t1 = T0 + 1000 * MS;
	uint32_t cwnd;

	(void)state;
	fix_init(&f, true, 64);
	r->handshake_confirmed = true;
	/* before a sample: 333 + 4 * 166.5 = 999 ms (+ 25 in 1-RTT) */
	assert_int_equal(tq_quic_rec_pto_base(r), 999 * MS);
	assert_int_equal(tq_quic_rec_timer(r, T0), UINT64_MAX);
	send_pkt(&f, TQ_QUIC_SPACE_APP, 0, T0, true);
	assert_int_equal(tq_quic_rec_timer(r, T0), T0 + 1024 * MS);
	ack1(&f, TQ_QUIC_SPACE_APP, 0, 0, 0, T0 + 100 * MS);
	/* srtt 100, rttvar 50: 100 + 200, + 25 */
	assert_int_equal(tq_quic_rec_pto_base(r), 300 * MS);
	assert_int_equal(tq_quic_rec_timer(r, T0 + 100 * MS), UINT64_MAX);
	send_pkt(&f, TQ_QUIC_SPACE_APP, 1, t1, true);
	assert_int_equal(tq_quic_rec_timer(r, t1), t1 + 325 * MS);
	cwnd = r->cc.cwnd;
	assert_int_equal(tq_quic_rec_on_timeout(r, t1 + 324 * MS, &sp,
			&probes), TQ_QUIC_REC_NONE);
	assert_int_equal(tq_quic_rec_on_timeout(r, t1 + 325 * MS, &sp,
			&probes), TQ_QUIC_REC_PTO);
	assert_int_equal(sp, TQ_QUIC_SPACE_APP);
	assert_int_equal(probes, 2);
	assert_int_equal(r->pto_count, 1);
	/* the window is not touched by a PTO */
	assert_int_equal(r->cc.cwnd, cwnd);
	assert_int_equal(f.log.nlost, 0);
	/* backoff: from the last ack-eliciting packet, 2 * 325 */
	assert_int_equal(tq_quic_rec_timer(r, t1 + 325 * MS), t1 + 650 * MS);
	send_pkt(&f, TQ_QUIC_SPACE_APP, 2, t1 + 325 * MS, true);
	assert_int_equal(tq_quic_rec_timer(r, t1 + 325 * MS), t1 + 975 * MS);
	tq_quic_rec_on_timeout(r, t1 + 975 * MS, &sp, &probes);
	assert_int_equal(r->pto_count, 2);
	send_pkt(&f, TQ_QUIC_SPACE_APP, 3, t1 + 975 * MS, true);
	assert_int_equal(tq_quic_rec_timer(r, t1 + 975 * MS),
			t1 + 975 * MS + 1300 * MS);
	tq_quic_rec_on_timeout(r, t1 + 2275 * MS, &sp, &probes);
	assert_int_equal(r->pto_count, 3);
	assert_int_equal(r->stats.pto, 3);
	/* an ACK resets it */
	ack1(&f, TQ_QUIC_SPACE_APP, 3, 3, 0, t1 + 2300 * MS);
	assert_int_equal(r->pto_count, 0);
}

/* Which space probes; none for 1-RTT before confirmation; the server's
 * amplification limit; the client's anti-deadlock probe. */
static void
test_pto_spaces(void **state)
{
	struct fix f;
	struct tq_quic_rec *r = &f.r;
	enum tq_quic_space sp;
	unsigned int probes;

	(void)state;
	fix_init(&f, true, 64);
	send_pkt(&f, TQ_QUIC_SPACE_APP, 0, T0, true);
	/* 1-RTT only and not confirmed: no PTO */
	assert_int_equal(tq_quic_rec_timer(r, T0), UINT64_MAX);
	send_pkt(&f, TQ_QUIC_SPACE_HANDSHAKE, 0, T0 + 10 * MS, true);
	/* Handshake: no max_ack_delay */
	assert_int_equal(tq_quic_rec_timer(r, T0), T0 + 10 * MS + 999 * MS);
	send_pkt(&f, TQ_QUIC_SPACE_INITIAL, 0, T0 + 5 * MS, true);
	assert_int_equal(tq_quic_rec_timer(r, T0), T0 + 5 * MS + 999 * MS);
	assert_int_equal(tq_quic_rec_on_timeout(r, T0 + 1004 * MS, &sp,
			&probes), TQ_QUIC_REC_PTO);
	assert_int_equal(sp, TQ_QUIC_SPACE_INITIAL);
	/* server blocked by the amplification limit: no timer */
	r->amp_blocked = true;
	assert_int_equal(tq_quic_rec_timer(r, T0), UINT64_MAX);
	r->amp_blocked = false;
	/* Initial discarded: Handshake's, backed off once */
	tq_quic_rec_discard(r, TQ_QUIC_SPACE_INITIAL);
	assert_int_equal(r->pto_count, 0);
	assert_int_equal(tq_quic_rec_timer(r, T0), T0 + 10 * MS + 999 * MS);
	/* confirmed: 1-RTT's comes in, later than Handshake's here */
	r->handshake_confirmed = true;
	assert_int_equal(tq_quic_rec_timer(r, T0), T0 + 10 * MS + 999 * MS);
	tq_quic_rec_discard(r, TQ_QUIC_SPACE_HANDSHAKE);
	assert_int_equal(tq_quic_rec_timer(r, T0), T0 + 1024 * MS);
}

static void
test_pto_client_antideadlock(void **state)
{
	struct fix f;
	struct tq_quic_rec *r = &f.r;
	enum tq_quic_space sp;
	unsigned int probes;
	uint64_t now = T0 + 100 * MS;

	(void)state;
	fix_init(&f, false, 64);
	send_pkt(&f, TQ_QUIC_SPACE_INITIAL, 0, T0, true);
	ack1(&f, TQ_QUIC_SPACE_INITIAL, 0, 0, 0, now);
	/* nothing in flight but the server has not validated us */
	assert_int_equal(tq_quic_rec_timer(r, now), now + 300 * MS);
	assert_int_equal(tq_quic_rec_on_timeout(r, now + 300 * MS, &sp,
			&probes), TQ_QUIC_REC_PTO);
	assert_int_equal(sp, TQ_QUIC_SPACE_INITIAL);
	assert_int_equal(probes, 1);
	assert_int_equal(r->pto_count, 1);
	/* an Initial ACK does not reset the backoff before validation */
	send_pkt(&f, TQ_QUIC_SPACE_INITIAL, 1, now + 300 * MS, true);
	ack1(&f, TQ_QUIC_SPACE_INITIAL, 1, 1, 0, now + 400 * MS);
	assert_int_equal(r->pto_count, 1);
	r->have_handshake_keys = true;
	assert_int_equal(tq_quic_rec_on_timeout(r, now + 2000 * MS, &sp,
			&probes), TQ_QUIC_REC_PTO);
	assert_int_equal(sp, TQ_QUIC_SPACE_HANDSHAKE);
	assert_int_equal(r->pto_count, 2);
	/* validated (a Handshake ACK): no timer with nothing in flight */
	r->peer_validated = true;
	assert_int_equal(tq_quic_rec_timer(r, now), UINT64_MAX);
}

/* 7.6: lost ack-eliciting packets spanning more than the persistent
 * congestion duration with nothing acknowledged between. */
static void
pc_run(bool ack_between, bool before_sample, bool expect)
{
	struct fix f;
	struct tq_quic_rec *r = &f.r;
	struct ackbuf ab;
	uint64_t base = T0 + 1000 * MS;

	fix_init(&f, true, 64);
	r->handshake_confirmed = true;
	if (before_sample) {
		/* lost packets all sent before the first RTT sample,
		 * spanning 1.2 s, more than the 975 ms the first sample
		 * (100 ms) gives: not persistent congestion (7.6.2) */
		send_pkt(&f, TQ_QUIC_SPACE_APP, 0, T0, true);
		send_pkt(&f, TQ_QUIC_SPACE_APP, 1, T0 + 1 * MS, true);
		send_pkt(&f, TQ_QUIC_SPACE_APP, 2, T0 + 2 * MS, true);
		send_pkt(&f, TQ_QUIC_SPACE_APP, 3, T0 + 1200 * MS, true);
		send_pkt(&f, TQ_QUIC_SPACE_APP, 4, T0 + 2500 * MS, true);
		ack1(&f, TQ_QUIC_SPACE_APP, 4, 4, 0, T0 + 2600 * MS);
		assert_int_equal(r->smoothed_rtt, 100 * MS);
		assert_int_equal(f.log.nlost, 4);
		assert_int_equal(r->stats.persistent, 0);
		return;
	}
	send_pkt(&f, TQ_QUIC_SPACE_APP, 0, T0, true);
	ack1(&f, TQ_QUIC_SPACE_APP, 0, 0, 0, T0 + 100 * MS);
	/* srtt 100, rttvar 50 */
	send_pkt(&f, TQ_QUIC_SPACE_APP, 1, base, true);
	send_pkt(&f, TQ_QUIC_SPACE_APP, 2, base + 500 * MS, true);
	send_pkt(&f, TQ_QUIC_SPACE_APP, 3, base + 1000 * MS, true);
	send_pkt(&f, TQ_QUIC_SPACE_APP, 4, base + 1500 * MS, true);
	send_pkt(&f, TQ_QUIC_SPACE_APP, 5, base + 1600 * MS, true);
	/*
	 * pn 5 acked 100 ms later: srtt stays 100, rttvar 37.5, so the
	 * duration is (100 + 150 + 25) * 3 = 825 ms; pn 1 to 4 span
	 * 1500 ms.  With pn 2 acked, the run is 3..4: 500 ms.
	 */
	if (ack_between) {
		static const uint64_t p[] = { 5, 5, 2, 2 };

		tq_quic_rec_on_ack(r, TQ_QUIC_SPACE_APP, mkack(&ab, p, 2, 0),
				0, base + 1700 * MS);
	} else {
		ack1(&f, TQ_QUIC_SPACE_APP, 5, 5, 0, base + 1700 * MS);
	}
	assert_int_equal(r->rttvar, 37500000);
	assert_int_equal(f.log.nlost, ack_between ? 3 : 4);
	assert_int_equal(r->stats.persistent, expect ? 1 : 0);
	assert_int_equal(r->stats.congestion, 1);
	if (expect) {
		/* minimum window: 2 datagrams, ssthresh from the flight */
		assert_int_equal(r->cc.cwnd, 2 * MTU);
		assert_int_equal(r->cc.ssthresh, 2 * MTU);
		assert_false(r->in_recovery_period);
		assert_false(r->cc.in_recovery);
	} else {
		/* a plain congestion event: still recovering */
		assert_true(r->in_recovery_period);
		assert_true(r->cc.in_recovery);
	}
}

static void
test_persistent_congestion(void **state)
{
	(void)state;
	pc_run(false, false, true);
	pc_run(true, false, false);
	pc_run(false, true, false);
}

/* 7.1: more CE marks, a congestion event once per period. */
static void
test_ecn_ce(void **state)
{
	struct fix f;
	struct tq_quic_rec *r = &f.r;
	struct ackbuf ab;
	uint64_t i;
	static const uint64_t p0[] = { 1, 0 }, p1[] = { 3, 2 },
		p2[] = { 6, 5 }, p3[] = { 4, 4 };

	(void)state;
	fix_init(&f, true, 64);
	for (i = 0; i < 4; i++)
		send_pkt(&f, TQ_QUIC_SPACE_APP, i, T0, true);
	tq_quic_rec_on_ack(r, TQ_QUIC_SPACE_APP, mkack(&ab, p0, 1, 1), 0,
			T0 + 50 * MS);
	assert_int_equal(r->stats.congestion, 1);
	assert_int_equal(r->stats.ecn_ce, 1);
	/* flight was 4 packets, 2 after the ACK: max(2400/2, 2 * MTU) */
	assert_int_equal(r->cc.cwnd, 2 * MTU);
	assert_int_equal(f.log.nlost, 0);
	/* the same count again: nothing; a higher one for packets sent
	 * before the period: nothing either */
	tq_quic_rec_on_ack(r, TQ_QUIC_SPACE_APP, mkack(&ab, p1, 1, 2), 0,
			T0 + 60 * MS);
	assert_int_equal(r->stats.congestion, 1);
	/* sent at the very instant the period began: still inside it */
	send_pkt(&f, TQ_QUIC_SPACE_APP, 4, T0 + 50 * MS, true);
	tq_quic_rec_on_ack(r, TQ_QUIC_SPACE_APP, mkack(&ab, p3, 1, 3), 0,
			T0 + 65 * MS);
	assert_int_equal(r->stats.congestion, 1);
	assert_true(r->cc.in_recovery);
	for (i = 5; i < 7; i++)
		send_pkt(&f, TQ_QUIC_SPACE_APP, i, T0 + 70 * MS, true);
	tq_quic_rec_on_ack(r, TQ_QUIC_SPACE_APP, mkack(&ab, p2, 1, 3), 0,
			T0 + 120 * MS);
	assert_int_equal(r->stats.congestion, 1);
	assert_false(r->cc.in_recovery); /* pn 5, 6 ended it */
}

static void
test_discard_and_errors(void **state)
{
	struct fix f;
	struct tq_quic_rec *r = &f.r;
	struct tq_quic_sent p = { .pn = 9, .size = 1 };
	uint64_t i;

	(void)state;
	fix_init(&f, false, 64);
	/* Initial and Handshake get 8 records each of 64 */
	for (i = 0; i < 8; i++)
		send_pkt(&f, TQ_QUIC_SPACE_INITIAL, i, T0, true);
	assert_false(tq_quic_rec_can_send(r, TQ_QUIC_SPACE_INITIAL));
	p.pn = 8;
	assert_int_equal(tq_quic_rec_on_sent(r, TQ_QUIC_SPACE_INITIAL, &p),
			-ENOBUFS);
	/* acknowledging the head frees records */
	ack1(&f, TQ_QUIC_SPACE_INITIAL, 1, 0, 0, T0 + 10 * MS);
	assert_true(tq_quic_rec_can_send(r, TQ_QUIC_SPACE_INITIAL));
	/* a packet number not above the last */
	p.pn = 7;
	assert_int_equal(tq_quic_rec_on_sent(r, TQ_QUIC_SPACE_INITIAL, &p),
			-EINVAL);
	/* an ACK of a packet never sent */
	assert_int_equal(ack1(&f, TQ_QUIC_SPACE_INITIAL, 8, 8, 0,
			T0 + 10 * MS), TQ_QUIC_PROTOCOL_VIOLATION);
	assert_int_equal(ack1(&f, TQ_QUIC_SPACE_HANDSHAKE, 0, 0, 0,
			T0 + 10 * MS), TQ_QUIC_PROTOCOL_VIOLATION);
	send_pkt(&f, TQ_QUIC_SPACE_HANDSHAKE, 0, T0, true);
	assert_int_equal(r->bytes_in_flight, 7 * MTU);
	tq_quic_rec_discard(r, TQ_QUIC_SPACE_INITIAL);
	assert_int_equal(f.log.ndisc, 6);
	assert_int_equal(f.log.discarded[0], 2);
	assert_int_equal(r->bytes_in_flight, MTU);
	assert_false(tq_quic_rec_can_send(r, TQ_QUIC_SPACE_INITIAL));
	p.pn = 20;
	assert_int_equal(tq_quic_rec_on_sent(r, TQ_QUIC_SPACE_INITIAL, &p),
			-EINVAL);
	/* an ACK in a discarded space is ignored */
	assert_int_equal(ack1(&f, TQ_QUIC_SPACE_INITIAL, 100, 0, 0,
			T0 + 10 * MS), TQ_QUIC_NO_ERROR);
	assert_int_equal(f.log.nlost, 0);
}

/* 7.7: 1.25 * cwnd per srtt after a burst of the initial window. */
static void
test_pacer(void **state)
{
	struct tq_quic_pacer p;
	uint64_t cwnd = 10 * MTU, srtt = 100 * MS;
	int i;

	(void)state;
	tq_quic_pacer_init(&p, 10 * MTU, T0);
	for (i = 0; i < 10; i++) {
		assert_int_equal(tq_quic_pacer_next(&p, cwnd, srtt, MTU, T0),
				T0);
		tq_quic_pacer_sent(&p, MTU);
	}
	/* 12000 bytes / 100 ms * 1.25 = 150 bytes/ms: 1200 in 8 ms */
	assert_int_equal(tq_quic_pacer_next(&p, cwnd, srtt, MTU, T0),
			T0 + 8 * MS);
	assert_int_equal(tq_quic_pacer_next(&p, cwnd, srtt, MTU, T0 + 4 * MS),
			T0 + 8 * MS);
	assert_int_equal(tq_quic_pacer_next(&p, cwnd, srtt, MTU, T0 + 8 * MS),
			T0 + 8 * MS);
	tq_quic_pacer_sent(&p, MTU);
	/* a window every 0.8 RTT: 10 packets in 80 ms */
	{
		uint64_t t = T0 + 8 * MS;

		/* as the connection does: ask, wait until then, ask again
		 * (which refills), send */
		for (i = 0; i < 10; i++) {
			t = tq_quic_pacer_next(&p, cwnd, srtt, MTU, t);
			assert_int_equal(tq_quic_pacer_next(&p, cwnd, srtt,
					MTU, t), t);
			tq_quic_pacer_sent(&p, MTU);
		}
		assert_int_equal(t, T0 + 88 * MS);
	}
	/* idle: never more than the burst */
	assert_int_equal(tq_quic_pacer_next(&p, cwnd, srtt, MTU, T0 + 10000 *
			MS), T0 + 10000 * MS);
	assert_int_equal(p.tokens, 10 * MTU);
	/* no RTT: no pacing */
	tq_quic_pacer_sent(&p, 10 * MTU);
	assert_int_equal(tq_quic_pacer_next(&p, cwnd, 0, MTU, T0 + 10000 *
			MS), T0 + 10000 * MS);
}

/*
 * The two ends together: a sender's recovery and pacer (NewReno, then
 * CUBIC), a receiver's ACK tracker, ACK frames through the real encoder
 * and decoder, 20 ms each way, and a seeded loss pattern on both
 * directions (the tail of the transfer among it).  Every chunk must arrive and be acknowledged,
 * lost ones resent from on_lost, a lost tail recovered by PTO probes.
 */
#define SIM_CHUNKS 400
#define SIM_Q 4096

struct sim {
	struct fix f;
	struct tq_quic_ackr rx;
	struct tq_quic_pacer pacer;
	uint8_t state[SIM_CHUNKS];	/* 0 unsent, 1 out, 2 acked */
	bool got[SIM_CHUNKS];
	uint32_t retx[SIM_Q];
	size_t rhead, rtail;
	uint32_t next_chunk;
	uint64_t pn;
	uint32_t acked_chunks;
	/* the links: fixed delay, so each is a FIFO */
	struct { uint64_t at, pn; uint32_t chunk; } data[SIM_Q];
	size_t dhead, dtail;
	struct { uint64_t at; uint8_t b[400]; size_t len; } acks[SIM_Q];
	size_t ahead, atail;
	uint32_t seed;
	uint64_t drops;
};

static struct sim sim;

static bool
sim_drop(struct sim *m, unsigned int pct)
{
	m->seed = m->seed * 1103515245u + 12345u;
	return (m->seed >> 16) % 100 < pct;
}

static void
sim_acked(void *arg, enum tq_quic_space sp, const struct tq_quic_sent *p)
{
	struct sim *m = arg;
	uint32_t c = (uint32_t)(uintptr_t)p->handle - 1;

	(void)sp;
	if (m->state[c] != 2) {
		m->state[c] = 2;
		m->acked_chunks++;
	}
}

static void
sim_lost(void *arg, enum tq_quic_space sp, const struct tq_quic_sent *p)
{
	struct sim *m = arg;
	uint32_t c = (uint32_t)(uintptr_t)p->handle - 1;

	(void)sp;
	if (m->state[c] != 2)
		m->retx[m->rtail++ % SIM_Q] = c;
}

static const struct tq_quic_rec_ops sim_ops = {
	.on_acked = sim_acked,
	.on_lost = sim_lost,
};

/* The next chunk to send: a lost one, a new one, or (probing) the
 * oldest still out; -1 if none. */
static int64_t
sim_pick(struct sim *m, bool probe)
{
	uint32_t c;

	while (m->rhead != m->rtail) {
		c = m->retx[m->rhead++ % SIM_Q];
		if (m->state[c] != 2)
			return c;
	}
	if (m->next_chunk < SIM_CHUNKS)
		return m->next_chunk++;
	if (probe)
		for (c = 0; c < SIM_CHUNKS; c++)
			if (m->state[c] == 1)
				return c;
	return -1;
}

static void
sim_send(struct sim *m, uint32_t c, uint64_t now)
{
	struct tq_quic_sent p = {
		.pn = m->pn,
		.time_sent = now,
		.size = MTU,
		.ack_eliciting = true,
		.in_flight = true,
		.ack_largest = TQ_QUIC_PN_NONE,
		.handle = (void *)(uintptr_t)(c + 1),
	};

	assert_int_equal(tq_quic_rec_on_sent(&m->f.r, TQ_QUIC_SPACE_APP, &p),
			0);
	tq_quic_pacer_sent(&m->pacer, MTU);
	if (m->state[c] == 0)
		m->state[c] = 1;
	/* 3% random loss, and the first copies of the last 5 chunks */
	if (sim_drop(m, 3) || (c >= SIM_CHUNKS - 5 && m->pn < SIM_CHUNKS + 5 &&
			m->pn == c)) {
		m->drops++;
	} else {
		m->data[m->dtail % SIM_Q].at = now + 20 * MS;
		m->data[m->dtail % SIM_Q].pn = m->pn;
		m->data[m->dtail % SIM_Q].chunk = c;
		m->dtail++;
	}
	m->pn++;
}

static void
sim_run(const struct tq_cc_ops *cc)
{
	struct sim *m = &sim;
	struct tq_quic_rec *r = &m->f.r;
	struct tq_quic_rec_cfg cfg = {
		.cc = cc,
		.max_datagram = MTU,
		.max_ack_delay_ns = 25 * MS,
		.is_server = true,
		.ops = &sim_ops,
		.arg = m,
	};
	uint64_t now = T0, end = T0 + 30000 * MS;
	uint32_t i;

	memset(m, 0, sizeof(*m));
	m->seed = 42;
	assert_int_equal(tq_quic_rec_init(r, &cfg, m->f.store, 256, now), 0);
	r->handshake_confirmed = true;
	tq_quic_ackr_init(&m->rx, TQ_QUIC_SPACE_APP, 25 * MS);
	tq_quic_pacer_init(&m->pacer, 10 * MTU, now);
	for (; now < end && m->acked_chunks < SIM_CHUNKS; now += MS / 4) {
		enum tq_quic_space sp;
		unsigned int probes;
		int64_t c;

		/* data arriving at the receiver */
		while (m->dhead != m->dtail && m->data[m->dhead % SIM_Q].at <=
				now) {
			uint64_t pn = m->data[m->dhead % SIM_Q].pn;

			if (!tq_quic_ackr_dup(&m->rx, pn)) {
				m->got[m->data[m->dhead % SIM_Q].chunk] = true;
				assert_int_equal(tq_quic_ackr_record(&m->rx,
						pn, true, 0, now), 0);
			}
			m->dhead++;
		}
		if (tq_quic_ackr_due(&m->rx, now)) {
			struct tq_quic_wr w;

			tq_quic_wr_init(&w, m->acks[m->atail % SIM_Q].b, 400);
			assert_true(tq_quic_ackr_write(&m->rx, &w, now, 3) > 0);
			tq_quic_ackr_sent(&m->rx);
			if (!sim_drop(m, 3)) {
				m->acks[m->atail % SIM_Q].len = (size_t)(w.pos -
					m->acks[m->atail % SIM_Q].b);
				m->acks[m->atail % SIM_Q].at = now + 20 * MS;
				m->atail++;
			}
		}
		/* ACKs arriving at the sender */
		while (m->ahead != m->atail && m->acks[m->ahead % SIM_Q].at <=
				now) {
			struct tq_quic_frame fr;
			struct tq_quic_rd rd;

			tq_quic_rd_init(&rd, m->acks[m->ahead % SIM_Q].b,
					m->acks[m->ahead % SIM_Q].len);
			assert_int_equal(tq_quic_frame_decode(&rd,
					TQ_QUIC_PKT_1RTT, &fr), 0);
			assert_int_equal(tq_quic_rec_on_ack(r,
					TQ_QUIC_SPACE_APP, &fr.ack,
					tq_quic_ack_delay_ns(fr.ack.delay, 3),
					now), TQ_QUIC_NO_ERROR);
			m->ahead++;
		}
		if (tq_quic_rec_timer(r, now) <= now &&
				tq_quic_rec_on_timeout(r, now, &sp, &probes) ==
				TQ_QUIC_REC_PTO) {
			assert_int_equal(sp, TQ_QUIC_SPACE_APP);
			while (probes-- > 0 && (c = sim_pick(m, true)) >= 0)
				sim_send(m, (uint32_t)c, now);
		}
		while (tq_quic_rec_cwnd_avail(r) >= MTU &&
				tq_quic_rec_can_send(r, TQ_QUIC_SPACE_APP) &&
				tq_quic_pacer_next(&m->pacer, r->cc.cwnd,
					r->smoothed_rtt, MTU, now) <= now &&
				(c = sim_pick(m, false)) >= 0)
			sim_send(m, (uint32_t)c, now);
	}
	assert_int_equal(m->acked_chunks, SIM_CHUNKS);
	for (i = 0; i < SIM_CHUNKS; i++)
		assert_true(m->got[i]);
	assert_true(m->drops > 10);
	assert_true(r->stats.lost > 0);
	assert_true(r->stats.congestion > 0);
	/* random losses never span 3 PTOs with nothing acknowledged */
	assert_int_equal(r->stats.persistent, 0);
	/* RTT 40 ms, ack delay taken off */
	assert_true(r->smoothed_rtt >= 40 * MS && r->smoothed_rtt < 70 * MS);
	assert_true(r->min_rtt >= 40 * MS);
	print_message("sim %s: %u chunks in %.3f s, %llu packets, "
			"%llu dropped, %llu lost, %llu PTOs, %llu congestion "
			"events (%llu persistent), cwnd %u, srtt %.1f ms\n",
			cc->name, SIM_CHUNKS,
			(double)(now - T0) / 1e9, (unsigned long long)m->pn,
			(unsigned long long)m->drops,
			(unsigned long long)r->stats.lost,
			(unsigned long long)r->stats.pto,
			(unsigned long long)r->stats.congestion,
			(unsigned long long)r->stats.persistent, r->cc.cwnd,
			(double)r->smoothed_rtt / 1e6);
}

static void
test_sim_transfer(void **state)
{
	(void)state;
	sim_run(&tq_cc_newreno);
	sim_run(&tq_cc_cubic);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtt_sequence),
		cmocka_unit_test(test_rtt_ack_delay_rules),
		cmocka_unit_test(test_loss_thresholds),
		cmocka_unit_test(test_loss_reorder_and_new_period),
		cmocka_unit_test(test_app_limited),
		cmocka_unit_test(test_pto_backoff),
		cmocka_unit_test(test_pto_spaces),
		cmocka_unit_test(test_pto_client_antideadlock),
		cmocka_unit_test(test_persistent_congestion),
		cmocka_unit_test(test_ecn_ce),
		cmocka_unit_test(test_discard_and_errors),
		cmocka_unit_test(test_pacer),
		cmocka_unit_test(test_sim_transfer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
