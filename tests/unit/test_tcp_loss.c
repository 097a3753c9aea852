/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP loss and retransmission, one host driven by a scripted peer, with
 * exact times on the fake clock: the RTO (1 s without an RTT sample,
 * RTO_MIN 200 ms with one, doubling), the tail loss probe, the give-up
 * time of tcp_retries2, fast retransmit with NewReno and with SACK (only
 * the holes), go-back-N after a timeout, and the persist timer.
 */
#include "tq_tcptest.h"

#include <stdarg.h>
#include <string.h>

#define MSS 1448
#define SEG(k) (1 + ((k) - 1) * MSS) /* first byte of segment k (1-based) */

static void
begin(struct tt_fx *f)
{
	tt_fx_begin(f);
	tt_fx_start(f, false, 0);
}

/* Active open, the SYN-ACK at once (an RTT sample of ~0: RTO 200 ms). */
static void
open_now(struct tt_fx *f)
{
	tt_active_open(&f->c);
	assert_int_equal(tq_stream_tcb(f->c.st)->rto, TT_MS(200));
	tt_mark(&f->c);
}

static void
write_pattern(struct tq_stream *st, uint64_t off, uint32_t n)
{
	static uint8_t buf[64 * 1024];

	assert_true(n <= sizeof(buf));
	tq_tcptest_pattern_fill(buf, off, n);
	assert_int_equal(tq_stream_write(st, buf, n), (int)n);
}

/* The peer ACKs with SACK blocks [a, b) (relative), n of them. */
static void
sack_in(struct tt_fx *f, uint32_t ack, unsigned int n, ...)
{
	va_list ap;
	unsigned int i;

	va_start(ap, n);
	f->c.nsack = (uint8_t)n;
	for (i = 0; i < n; i++) {
		f->c.sack[i][0] = va_arg(ap, uint32_t);
		f->c.sack[i][1] = va_arg(ap, uint32_t);
	}
	va_end(ap);
	tt_in(&f->c, ".", 1, ack, 0);
}

/* ------------------------------------------------------------------ */

/*
 * No RTT sample yet (the SYN was retransmitted, so Karn's rule leaves the
 * handshake unmeasured): the RTO is the initial 1 s (RFC 6298 2.1), then
 * doubles (5.5).  After the ACK, the window is one segment (RFC 5681
 * 3.1) and ssthresh set.
 */
static void
rto_initial_one_second(void **state)
{
	static const struct tt_step script[] = {
		{ 1000, '>', "S", 0, 0, 0, -1 },
		{ 1000, '<', "S.", 0, 1, 0, -1 },
		{ 1000, '>', ".", 1, 1, 0, -1 },
	};
	static const struct tt_step rto[] = {
		{ 2000, '>', "P.", 1, 1, 100, -1 },
		{ 4000, '>', "P.", 1, 1, 100, -1 },
		{ 8000, '>', "P.", 1, 1, 100, -1 },
		{ 16000, '>', "P.", 1, 1, 100, -1 },
		{ 16010, '<', ".", 1, 101, 0, -1 },
	};
	static struct tt_fx f;
	struct tq_addr dst = tq_test_addr("10.0.0.1");
	struct tq_tcptest_seg sg;
	struct tq_tcb *tp;
	int err;

	begin(&f);
	f.c.st = tq_tcp_connect(f.t.h.s, &dst, 8080, NULL, 0, &tq_tcptest_ops,
			&f.c, &err);
	tt_mark(&f.c);
	tt_advance(&f.c, 0);
	assert_true(tt_out(&f.c, &sg)); /* the first SYN: lost */
	TT_RUN(&f.c, script);
	tp = tq_stream_tcb(f.c.st);
	assert_int_equal(tp->srtt, 0);
	assert_int_equal(tp->rto, TT_S(1));
	write_pattern(f.c.st, 0, 100);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "P.", 1, 1, 100);
	TT_RUN(&f.c, rto);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TIMEOUTS), 1 + 4);
	assert_int_equal(tp->rxtshift, 0);
	/* The timeout left one segment, the ACK grew it by its 100 bytes
	 * (RFC 3465 2.3: L = 1 SMSS after a timeout). */
	assert_true(tp->cc.ssthresh != UINT32_MAX);
	assert_int_equal(tp->cc.cwnd, MSS + 100);
	/* Still alive: nothing more goes out. */
	tt_at(&f.c, TT_S(60));
	assert_int_equal(f.c.n_closed, 0);
	tt_fx_end(&f, TT_FX_ABORT);
}

/* With an RTT sample of ~0 the RTO is RTO_MIN, 200 ms, doubling.  The
 * peer does not do SACK, so there is no tail loss probe. */
static void
rto_min_doubling(void **state)
{
	static const struct tt_step rto[] = {
		{ 0, '>', "P.", 1, 1, 100, -1 },
		{ 200, '>', "P.", 1, 1, 100, -1 },
		{ 600, '>', "P.", 1, 1, 100, -1 },
		{ 1400, '>', "P.", 1, 1, 100, -1 },
		{ 3000, '>', "P.", 1, 1, 100, -1 },
		{ 3001, '<', ".", 1, 101, 0, -1 },
		/* A fresh segment after the ACK: RTO back at 200 ms. */
	};
	static struct tt_fx f;
	struct tq_tcb *tp;

	begin(&f);
	f.c.sack_perm = false;
	open_now(&f);
	tp = tq_stream_tcb(f.c.st);
	write_pattern(f.c.st, 0, 100);
	TT_RUN(&f.c, rto);
	assert_int_equal(tp->rxtshift, 0);
	write_pattern(f.c.st, 100, 100);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "P.", 101, 1, 100);
	tt_expect_at(&f.c, TT_MS(3201), "P.", 101, 1, 100);
	tt_in(&f.c, ".", 1, 201, 0);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TIMEOUTS), 5);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_RETRANS_SEGS), 5);
	tt_fx_end(&f, TT_FX_ABORT);
}

/*
 * RFC 8985 7.2-7.3 with SACK: a lone segment unacknowledged draws a
 * probe after PTO = max(2 SRTT, 10 ms) + the delayed-ACK time (one
 * segment out), then the RTO is re-armed from the probe: 50 + 200 ms.
 */
static void
tail_loss_probe(bool upper)
{
	static const struct tt_step script[] = {
		{ 0, '>', "P.", 1, 1, 100, -1 },
		{ 50, '>', "P.", 1, 1, 100, -1 },	/* the probe */
		{ 250, '>', "P.", 1, 1, 100, -1 },	/* RTO */
		{ 650, '>', "P.", 1, 1, 100, -1 },
		{ 700, '<', ".", 1, 101, 0, -1 },
	};
	static struct tt_fx f;

	begin(&f);
	tt_pick_pport(&f.c, upper);
	open_now(&f);
	write_pattern(f.c.st, 0, 100);
	TT_RUN(&f.c, script);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_LOSS_PROBES), 1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TIMEOUTS), 2);
	tt_fx_end(&f, TT_FX_ABORT);
}

static void
tail_loss_probe_low_isn(void **state)
{
	tail_loss_probe(false);
}

/* RFC 8985 does not depend on where the ISN lies: the same with the
 * host's ISN in the upper half of the sequence space. */
static void
tail_loss_probe_high_isn(void **state)
{
	tail_loss_probe(true);
}

/*
 * RFC 8985 7.2: the PTO is scheduled after new data is sent, from the
 * FlightSize then: a burst of six segments from idle is probed after
 * max(2 SRTT, 10 ms) = 10 ms, the delayed-ACK allowance being only for a
 * flight of one segment (Linux's tcp_schedule_loss_probe() runs after
 * the whole burst too).
 */
static void
tail_loss_probe_burst(void **state)
{
	static struct tt_fx f;
	unsigned int k;

	begin(&f);
	tt_pick_pport(&f.c, false);
	open_now(&f);
	write_pattern(f.c.st, 0, 6 * MSS);
	tt_advance(&f.c, 0);
	for (k = 1; k <= 6; k++)
		tt_expect(&f.c, k == 6 ? "P." : ".", SEG(k), 1, MSS);
	{
		struct tq_tcptest_seg sg;

		while (!tt_out(&f.c, &sg) && tt_now(&f.c) < TT_MS(300))
			tt_advance(&f.c, TT_MS(1));
		assert_int_equal(sg.rseq, SEG(6));
		if (tt_now(&f.c) != TT_MS(10))
			fail_msg("probe at %.0f ms, expected at 10 ms",
					tt_now(&f.c) / 1e6);
	}
	tt_in(&f.c, ".", 1, SEG(7), 0);
	tt_fx_end(&f, TT_FX_ABORT);
}

/*
 * The peer is gone: retransmissions at RTO_MIN doubling to RTO_MAX, and
 * with tcp_retries2 = 15 the connection gives up 924.6 s after the first
 * transmission (Linux's tcp_model_timeout), closed(TIMEOUT), no RST.
 */
static void
give_up_retries2(void **state)
{
	static const double at[] = { 0, 200, 600, 1400, 3000, 6200, 12600,
		25400, 51000, 102200, 204600, 324600, 444600, 564600,
		684600, 804600 };
	static struct tt_fx f;
	unsigned int i;

	begin(&f);
	f.c.sack_perm = false; /* no probe: the RTO alone */
	open_now(&f);
	assert_int_equal(f.t.conf.retries2, 15);
	assert_int_equal(f.t.conf.rto_min_ns, TT_MS(200));
	assert_int_equal(f.t.conf.rto_max_ns, TT_S(120));
	assert_int_equal(tq_tcp_retries_timeout(TT_MS(200), TT_S(120), 15),
			TT_MS(924600));
	write_pattern(f.c.st, 0, 100);
	for (i = 0; i < RTE_DIM(at); i++) {
		struct tt_step s = { at[i], '>', "P.", 1, 1, 100, -1 };

		tt_run(&f.c, &s, 1);
	}
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TIMEOUTS), 15);
	tt_at(&f.c, TT_MS(924600) - 1);
	assert_int_equal(f.c.n_closed, 0);
	tt_at(&f.c, TT_MS(924600));
	tt_none(&f.c); /* no RST: the peer is presumed gone */
	assert_int_equal(f.c.n_closed, 1);
	assert_int_equal(f.c.why, TQ_CLOSE_TIMEOUT);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_ABORT_ON_TIMEOUT), 1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_CURR_ESTAB), 0);
	assert_string_equal(tq_close_reason_str(TQ_CLOSE_TIMEOUT), "timeout");
	tt_fx_end(&f, TT_FX_ABORT);
}

/*
 * The same with SACK: a tail loss probe at 50 ms, the RTOs re-armed from
 * it; the connection ends at the first RTO expiry at or after 924.6 s
 * from the first transmission (tcp(7)): 924.65 s.
 */
static void
give_up_retries2_after_probe(void **state)
{
	static const double at[] = { 0, 50, 250, 650, 1450, 3050, 6250,
		12650, 25450, 51050, 102250, 204650, 324650, 444650, 564650,
		684650, 804650 };
	static struct tt_fx f;
	unsigned int i;

	begin(&f);
	tt_pick_pport(&f.c, false);
	open_now(&f);
	write_pattern(f.c.st, 0, 100);
	for (i = 0; i < RTE_DIM(at); i++) {
		struct tt_step s = { at[i], '>', "P.", 1, 1, 100, -1 };

		tt_run(&f.c, &s, 1);
	}
	tt_at(&f.c, TT_MS(924650) - 1);
	assert_int_equal(f.c.n_closed, 0);
	tt_at(&f.c, TT_MS(924650));
	assert_int_equal(f.c.n_closed, 1);
	assert_int_equal(f.c.why, TQ_CLOSE_TIMEOUT);
	tt_fx_end(&f, TT_FX_ABORT);
}

/* Linux's tcp_model_timeout() for a few inputs. */
static void
retries_timeout_model(void **state)
{
	/* 1 s doubling: 1, 3, 7, ... 127 (syn_retries 6), 63 (5). */
	assert_int_equal(tq_tcp_retries_timeout(TT_S(1), TT_S(120), 0),
			TT_S(1));
	assert_int_equal(tq_tcp_retries_timeout(TT_S(1), TT_S(120), 5),
			TT_S(63));
	assert_int_equal(tq_tcp_retries_timeout(TT_S(1), TT_S(120), 6),
			TT_S(127));
	/* Past the cap it grows by RTO_MAX: 127 + 120. */
	assert_int_equal(tq_tcp_retries_timeout(TT_S(1), TT_S(120), 7),
			TT_S(247));
	/* tcp_retries2 3 (RFC 1122's minimum R2 of 100 s is not it). */
	assert_int_equal(tq_tcp_retries_timeout(TT_MS(200), TT_S(120), 3),
			TT_MS(3000));
	assert_int_equal(tq_tcp_retries_timeout(TT_MS(200), TT_S(120), 9),
			TT_MS(204600));
	assert_int_equal(tq_tcp_retries_timeout(TT_MS(200), TT_S(120), 10),
			TT_MS(324600));
	assert_int_equal(tq_tcp_retries_timeout(TT_MS(200), TT_S(120), 15),
			TT_MS(924600));
}

/* ------------------------------------------------------------------ */
/* fast retransmit                                                     */

/*
 * NewReno (the peer has no SACK): ten segments, the 2nd and 5th lost.
 * The third duplicate ACK retransmits the 2nd (RFC 5681 3.2,
 * TCPFastRetrans); the partial ACK that follows retransmits the 5th
 * (RFC 6582 3.2 step 5); the full ACK ends recovery, cwnd = ssthresh.
 */
static void
newreno_recovery(struct tt_fx *f)
{
	static const struct tt_step script[] = {
		{ 0, '>', ".", SEG(1), 1, MSS, -1 },
		{ 0, '>', ".", SEG(2), 1, MSS, -1 },
		{ 0, '>', ".", SEG(3), 1, MSS, -1 },
		{ 0, '>', ".", SEG(4), 1, MSS, -1 },
		{ 0, '>', ".", SEG(5), 1, MSS, -1 },
		{ 0, '>', ".", SEG(6), 1, MSS, -1 },
		{ 0, '>', ".", SEG(7), 1, MSS, -1 },
		{ 0, '>', ".", SEG(8), 1, MSS, -1 },
		{ 0, '>', ".", SEG(9), 1, MSS, -1 },
		{ 0, '>', "P.", SEG(10), 1, MSS, -1 },
		{ 1, '<', ".", 1, SEG(2), 0, -1 },	/* 1 arrived */
		{ 1, '<', ".", 1, SEG(2), 0, -1 },	/* 3 */
		{ 1, '<', ".", 1, SEG(2), 0, -1 },	/* 4 */
		{ 1, '<', ".", 1, SEG(2), 0, -1 },	/* 6: third dup */
		{ 1, '>', ".", SEG(2), 1, MSS, -1 },
		{ 1, '<', ".", 1, SEG(2), 0, -1 },	/* 7 */
		{ 1, '<', ".", 1, SEG(2), 0, -1 },	/* 8 */
		{ 1, '<', ".", 1, SEG(2), 0, -1 },	/* 9 */
		{ 1, '<', ".", 1, SEG(2), 0, -1 },	/* 10 */
		{ 2, '<', ".", 1, SEG(5), 0, -1 },	/* partial */
		{ 2, '>', ".", SEG(5), 1, MSS, -1 },
		{ 3, '<', ".", 1, SEG(11), 0, -1 },	/* full */
	};
	struct tq_tcb *tp = tq_stream_tcb(f->c.st);

	write_pattern(f->c.st, 0, 10 * MSS);
	TT_RUN(&f->c, script);
	assert_int_equal(tq_tcptest_ctr(&f->t, TQ_CTR_TCP_FAST_RETRANS), 1);
	assert_int_equal(tq_tcptest_ctr(&f->t, TQ_CTR_TCP_RENO_RECOVERY), 1);
	assert_int_equal(tq_tcptest_ctr(&f->t, TQ_CTR_TCP_RETRANS_SEGS), 2);
	assert_int_equal(tq_tcptest_ctr(&f->t, TQ_CTR_TCP_TIMEOUTS), 0);
	assert_false(tp->flags & TF_INRECOVERY);
	assert_int_equal(tp->cc.cwnd, tp->cc.ssthresh);
	assert_true(tp->cc.ssthresh < 10 * MSS);
	assert_int_equal(f->c.acked_total, 10 * MSS);
	/* Nothing left: no timer fires later. */
	tt_at(&f->c, TT_S(5));
}

static void
fast_retransmit_newreno(void **state)
{
	static struct tt_fx f;

	begin(&f);
	f.c.sack_perm = false;
	tt_pick_pport(&f.c, false);
	open_now(&f);
	newreno_recovery(&f);
	tt_fx_end(&f, TT_FX_ABORT);
}

/*
 * The same with the host's ISN in the upper half of the sequence space.
 * RFC 6582 3.2 step 1 compares with "recover", which starts at the ISN
 * (RFC 6582 3.1: "recover ... is initialized to the initial send
 * sequence number"): fast retransmit must work whatever the ISN.
 */
static void
fast_retransmit_high_isn(void **state)
{
	static struct tt_fx f;

	begin(&f);
	f.c.sack_perm = false;
	tt_pick_pport(&f.c, true);
	open_now(&f);
	assert_true(f.c.hiss >= 0x80000000u);
	newreno_recovery(&f);
	tt_fx_end(&f, TT_FX_ABORT);
}

/*
 * SACK (RFC 6675): ten segments, the 2nd and 5th lost.  Recovery starts
 * on the third duplicate ACK (three segments SACKed) and retransmits
 * exactly the two holes, nothing SACKed; the full ACK ends it.
 */
static void
sack_recovery(bool upper)
{
	static const struct tt_step burst[] = {
		{ 0, '>', ".", SEG(1), 1, MSS, -1 },
		{ 0, '>', ".", SEG(2), 1, MSS, -1 },
		{ 0, '>', ".", SEG(3), 1, MSS, -1 },
		{ 0, '>', ".", SEG(4), 1, MSS, -1 },
		{ 0, '>', ".", SEG(5), 1, MSS, -1 },
		{ 0, '>', ".", SEG(6), 1, MSS, -1 },
		{ 0, '>', ".", SEG(7), 1, MSS, -1 },
		{ 0, '>', ".", SEG(8), 1, MSS, -1 },
		{ 0, '>', ".", SEG(9), 1, MSS, -1 },
		{ 0, '>', "P.", SEG(10), 1, MSS, -1 },
	};
	static struct tt_fx f;
	struct tq_tcb *tp;

	begin(&f);
	tt_pick_pport(&f.c, upper);
	open_now(&f);
	tp = tq_stream_tcb(f.c.st);
	assert_true(tp->flags & TF_SACK_OK);
	write_pattern(f.c.st, 0, 10 * MSS);
	TT_RUN(&f.c, burst);
	tt_at(&f.c, TT_MS(1));
	tt_in(&f.c, ".", 1, SEG(2), 0);
	sack_in(&f, SEG(2), 1, SEG(3), SEG(4));
	sack_in(&f, SEG(2), 1, SEG(3), SEG(5));
	tt_none(&f.c);
	sack_in(&f, SEG(2), 2, SEG(6), SEG(7), SEG(3), SEG(5));
	/* The holes, and only they. */
	tt_expect(&f.c, ".", SEG(2), 1, MSS);
	tt_expect(&f.c, ".", SEG(5), 1, MSS);
	tt_none(&f.c);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_FAST_RETRANS), 1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_SACK_RECOVERY), 1);
	assert_true(tp->flags & TF_INRECOVERY);
	/* The scoreboard is a board of the worker's pool while ranges
	 * are SACKed, and goes back when they are acked. */
	assert_non_null(tp->sb);
	sack_in(&f, SEG(2), 2, SEG(6), SEG(8), SEG(3), SEG(5));
	sack_in(&f, SEG(2), 2, SEG(6), SEG(9), SEG(3), SEG(5));
	sack_in(&f, SEG(2), 2, SEG(6), SEG(10), SEG(3), SEG(5));
	sack_in(&f, SEG(2), 2, SEG(6), SEG(11), SEG(3), SEG(5));
	tt_none(&f.c);
	/* The retransmitted 2nd arrives: partial ACK up to the 5th. */
	sack_in(&f, SEG(5), 1, SEG(6), SEG(11));
	tt_none(&f.c);
	assert_true(tp->flags & TF_INRECOVERY);
	tt_in(&f.c, ".", 1, SEG(11), 0);
	tt_none(&f.c);
	assert_false(tp->flags & TF_INRECOVERY);
	assert_int_equal(tp->cc.cwnd, tp->cc.ssthresh);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_RETRANS_SEGS), 2);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TIMEOUTS), 0);
	assert_int_equal(tp->sb_n, 0);
	assert_null(tp->sb);
	assert_int_equal(rte_mempool_in_use_count(tq_tcp(tp->s)->sbs), 0);
	tt_at(&f.c, TT_S(5));
	tt_fx_end(&f, TT_FX_ABORT);
}

/*
 * Only the holes, also when recovery lasts: 30 ms RTT, the 2nd and 5th
 * segments lost and then their retransmissions lost as well.  Until the
 * RTO resends the first hole, nothing the peer SACKed may go again (RFC
 * 6675 5; RFC 8985 7.2 schedules no loss probe during recovery, and
 * Linux re-arms the RTO in place of the probe timer when it retransmits
 * in recovery).
 */
static void
sack_recovery_slow_peer(void **state)
{
	static struct tt_fx f;
	struct tq_addr dst = tq_test_addr("10.0.0.1");
	struct tq_tcptest_seg sg;
	struct tq_tcb *tp;
	unsigned int k;
	bool got = false;
	int err;

	begin(&f);
	tt_pick_pport(&f.c, false);
	f.c.st = tq_tcp_connect(f.t.h.s, &dst, f.c.pport, NULL, 0,
			&tq_tcptest_ops, &f.c, &err);
	assert_non_null(f.c.st);
	tt_mark(&f.c);
	tt_advance(&f.c, 0);
	assert_true(tt_out(&f.c, &sg)); /* SYN */
	tt_at(&f.c, TT_MS(30));
	tt_in(&f.c, "S.", 0, 1, 0);
	tt_expect(&f.c, ".", 1, 1, 0);
	tp = tq_stream_tcb(f.c.st);
	assert_int_equal(tp->srtt, TT_MS(30));
	tt_mark(&f.c);
	write_pattern(f.c.st, 0, 10 * MSS);
	tt_advance(&f.c, 0);
	for (k = 1; k <= 10; k++)
		tt_expect(&f.c, k == 10 ? "P." : ".", SEG(k), 1, MSS);
	tt_at(&f.c, TT_MS(30));
	tt_in(&f.c, ".", 1, SEG(2), 0);
	sack_in(&f, SEG(2), 1, SEG(3), SEG(4));
	sack_in(&f, SEG(2), 1, SEG(3), SEG(5));
	sack_in(&f, SEG(2), 2, SEG(6), SEG(7), SEG(3), SEG(5));
	tt_expect(&f.c, ".", SEG(2), 1, MSS);
	tt_expect(&f.c, ".", SEG(5), 1, MSS);
	for (k = 8; k <= 11; k++)
		sack_in(&f, SEG(2), 2, SEG(6), SEG(k), SEG(3), SEG(5));
	tt_none(&f.c);
	/* Both retransmissions are lost. */
	while (!got && tt_now(&f.c) < TT_S(2)) {
		tt_advance(&f.c, TT_MS(1));
		while (tt_out(&f.c, &sg)) {
			if (SEQ_GEQ(sg.rseq, SEG(3)) &&
					SEQ_LT(sg.rseq, SEG(11)) &&
					sg.rseq != SEG(5))
				fail_msg("at %.0f ms: bytes %u..%u sent again, "
						"the peer SACKed them",
						tt_now(&f.c) / 1e6, sg.rseq,
						sg.rseq + sg.len);
			got = true;
		}
	}
	assert_true(got);
	assert_int_equal(sg.rseq, SEG(2));
	tt_in(&f.c, ".", 1, SEG(11), 0);
	while (tt_out(&f.c, &sg))
		;
	tt_fx_end(&f, TT_FX_ABORT);
}

/*
 * With every scoreboard of the worker taken, SACK blocks are counted
 * (TCPSackNoBoard) and not recorded; recovery still starts on the third
 * duplicate ACK and resends the first hole, as it would without SACK.
 */
static void
sack_no_board(void **state)
{
	static const struct tt_step burst[] = {
		{ 0, '>', ".", SEG(1), 1, MSS, -1 },
		{ 0, '>', ".", SEG(2), 1, MSS, -1 },
		{ 0, '>', ".", SEG(3), 1, MSS, -1 },
		{ 0, '>', ".", SEG(4), 1, MSS, -1 },
		{ 0, '>', ".", SEG(5), 1, MSS, -1 },
		{ 0, '>', ".", SEG(6), 1, MSS, -1 },
		{ 0, '>', ".", SEG(7), 1, MSS, -1 },
		{ 0, '>', ".", SEG(8), 1, MSS, -1 },
		{ 0, '>', ".", SEG(9), 1, MSS, -1 },
		{ 0, '>', "P.", SEG(10), 1, MSS, -1 },
	};
	static struct tt_fx f;
	static void *held[1 << 16];
	struct tq_tcptest_seg sg;
	struct rte_mempool *mp;
	unsigned int n = 0;
	struct tq_tcb *tp;

	begin(&f);
	tt_pick_pport(&f.c, false);
	open_now(&f);
	tp = tq_stream_tcb(f.c.st);
	mp = tq_tcp(tp->s)->sbs;
	while (n < RTE_DIM(held) && rte_mempool_get(mp, &held[n]) == 0)
		n++;
	assert_int_equal(rte_mempool_avail_count(mp), 0);
	write_pattern(f.c.st, 0, 10 * MSS);
	TT_RUN(&f.c, burst);
	tt_at(&f.c, TT_MS(1));
	tt_in(&f.c, ".", 1, SEG(2), 0);
	sack_in(&f, SEG(2), 1, SEG(3), SEG(4));
	sack_in(&f, SEG(2), 1, SEG(3), SEG(5));
	tt_none(&f.c);
	sack_in(&f, SEG(2), 2, SEG(6), SEG(7), SEG(3), SEG(5));
	tt_expect(&f.c, ".", SEG(2), 1, MSS);
	assert_null(tp->sb);
	assert_int_equal(tp->sb_n, 0);
	assert_int_equal(tp->sacked_bytes, 0);
	assert_true(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_SACK_NO_BOARD) >= 3);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_FAST_RETRANS), 1);
	while (n)
		rte_mempool_put(mp, held[--n]);
	while (tt_out(&f.c, &sg))
		;
	tt_in(&f.c, ".", 1, SEG(11), 0);
	while (tt_out(&f.c, &sg))
		;
	assert_int_equal(rte_mempool_in_use_count(mp), 0);
	tt_fx_end(&f, TT_FX_ABORT);
}

static void
sack_recovery_holes(void **state)
{
	sack_recovery(false);
}

static void
sack_recovery_high_isn(void **state)
{
	sack_recovery(true);
}

/*
 * After a timeout: cwnd one segment (RFC 5681 3.1), go back to snd_una,
 * skip what the peer SACKed (RFC 6675 5.1, RFC 2018 8), grow by one
 * segment per ACK (RFC 3465 2.3 after a timeout).
 */
static void
rto_go_back_skip_sacked(void **state)
{
	static struct tt_fx f;
	struct tq_tcb *tp;

	begin(&f);
	tt_pick_pport(&f.c, false);
	open_now(&f);
	tp = tq_stream_tcb(f.c.st);
	write_pattern(f.c.st, 0, 6 * MSS);
	tt_advance(&f.c, 0);
	for (unsigned int k = 1; k <= 6; k++)
		tt_expect(&f.c, k == 6 ? "P." : ".", SEG(k), 1, MSS);
	/* 4 and 5 arrive; 1, 2, 3 and 6 are lost. */
	tt_at(&f.c, TT_MS(1));
	sack_in(&f, 1, 1, SEG(4), SEG(5));
	sack_in(&f, 1, 1, SEG(4), SEG(6));
	tt_none(&f.c);
	/* A tail loss probe (its timing is tail_loss_probe_burst's
	 * business) resends the last segment; it is lost too. */
	{
		struct tq_tcptest_seg sg;
		uint64_t t;

		while (!tt_out(&f.c, &sg) && tt_now(&f.c) < TT_MS(100))
			tt_advance(&f.c, TT_MS(1));
		assert_int_equal(sg.rseq, SEG(6));
		t = tt_now(&f.c);
		/* The RTO, 200 ms after the probe: segment 1 only. */
		tt_expect_at(&f.c, t + TT_MS(200), ".", SEG(1), 1, MSS);
		tt_none(&f.c);
		assert_int_equal(tp->cc.cwnd, MSS);
		tt_at(&f.c, t + TT_MS(202));
	}
	/* 1 arrived: cwnd 2, segments 2 and 3, then 4 and 5 are skipped. */
	sack_in(&f, SEG(2), 1, SEG(4), SEG(6));
	tt_expect(&f.c, ".", SEG(2), 1, MSS);
	tt_expect(&f.c, ".", SEG(3), 1, MSS);
	tt_none(&f.c);
	sack_in(&f, SEG(3), 1, SEG(4), SEG(6));
	tt_none(&f.c);
	/* 3 arrived: all up to 6 is in; 6 goes again. */
	tt_in(&f.c, ".", 1, SEG(6), 0);
	tt_expect(&f.c, "P.", SEG(6), 1, MSS);
	tt_none(&f.c);
	tt_in(&f.c, ".", 1, SEG(7), 0);
	tt_none(&f.c);
	assert_int_equal(f.c.acked_total, 6 * MSS);
	tt_fx_end(&f, TT_FX_ABORT);
}

/* ------------------------------------------------------------------ */
/* persist                                                             */

/*
 * RFC 9293 3.8.6.1: the peer's window is 0 and data waits: probes from
 * the persist timer, backing off (200, 400, 800, 1600 ms), each an old
 * sequence number that draws an ACK; the window opens, data goes.
 */
static void
persist_probes(struct tt_fx *f)
{
	static const struct tt_step probes[] = {
		{ 210, '>', ".", 0, 1, 0, -1 },
		{ 210, '<', ".", 1, 1, 0, 0 },
		{ 610, '>', ".", 0, 1, 0, -1 },
		{ 610, '<', ".", 1, 1, 0, 0 },
		{ 1410, '>', ".", 0, 1, 0, -1 },
		{ 1410, '<', ".", 1, 1, 0, 0 },
		{ 3010, '>', ".", 0, 1, 0, -1 },
		{ 3010, '<', ".", 1, 1, 0, 0 },
		/* The window opens. */
		{ 3500, '<', ".", 1, 1, 0, 1024 },
		{ 3500, '>', "P.", 1, 1, 1000, -1 },
	};

	tt_in_win(&f->c, ".", 1, 1, 0, 0);
	assert_int_equal(tq_stream_tcb(f->c.st)->snd_wnd, 0);
	tt_at(&f->c, TT_MS(10));
	write_pattern(f->c.st, 0, 1000);
	tt_advance(&f->c, 0);
	tt_none(&f->c);
	TT_RUN(&f->c, probes);
	assert_int_equal(tq_tcptest_ctr(&f->t, TQ_CTR_TCP_WIN_PROBES), 4);
}

static void
persist_window_opens(void **state)
{
	static struct tt_fx f;

	begin(&f);
	f.c.sack_perm = false;
	open_now(&f);
	persist_probes(&f);
	tt_in(&f.c, ".", 1, 1001, 0);
	tt_none(&f.c);
	assert_int_equal(f.c.acked_total, 1000);
	tt_fx_end(&f, TT_FX_ABORT);
}

/*
 * A window above zero but too small to send into under SWS avoidance
 * (RFC 9293 3.8.6.2.1; here 1024 bytes, after 128 KB were offered) with
 * nothing in flight: the persist timer's override sends what fits, so
 * the connection cannot stall (a Linux receiver whose app stops reading
 * ends at such a window when its scale is 10).
 */
static void
small_window_override(void **state)
{
	static struct tt_fx f;

	begin(&f);
	f.c.sack_perm = false;
	open_now(&f);
	tt_in_win(&f.c, ".", 1, 1, 0, 8); /* 8 << 7: 1024 bytes */
	tt_at(&f.c, TT_MS(10));
	write_pattern(f.c.st, 0, 5000);
	tt_advance(&f.c, 0);
	tt_none(&f.c);
	tt_expect_at(&f.c, TT_MS(210), ".", 1, 1, 1024);
	/* The window stays small: the next override an RTO later. */
	tt_in_win(&f.c, ".", 1, 1025, 0, 8);
	tt_expect_at(&f.c, TT_MS(410), ".", 1025, 1, 1024);
	tt_in_win(&f.c, ".", 1, 2049, 0, 1024);
	tt_expect(&f.c, ".", 2049, 1, MSS);
	tt_expect(&f.c, ".", 2049 + MSS, 1, MSS);
	tt_none(&f.c); /* Nagle holds the last 56 bytes */
	tt_in(&f.c, ".", 1, 2049 + 2 * MSS, 0);
	tt_expect(&f.c, "P.", 2049 + 2 * MSS, 1, 5000 - 2048 - 2 * MSS);
	tt_in(&f.c, ".", 1, 5001, 0);
	assert_int_equal(f.c.acked_total, 5000);
	tt_fx_end(&f, TT_FX_ABORT);
}

/*
 * RFC 7661: an application-limited sender (1000 bytes per round trip
 * under a 10-segment window) does not grow cwnd on its ACKs; once it
 * fills at least half the window, it does.
 */
static void
cwnd_app_limited(void **state)
{
	static struct tt_fx f;
	struct tq_tcb *tp;
	uint32_t init, i, seq = 1;

	begin(&f);
	f.c.sack_perm = false;
	open_now(&f);
	tp = tq_stream_tcb(f.c.st);
	init = tp->cc.cwnd;
	assert_int_equal(init, 10 * MSS);
	for (i = 0; i < 50; i++) {
		write_pattern(f.c.st, seq - 1, 1000);
		tt_advance(&f.c, TT_MS(1));
		tt_expect(&f.c, "P.", seq, 1, 1000);
		seq += 1000;
		tt_in(&f.c, ".", 1, seq, 0);
	}
	assert_int_equal(tp->cc.cwnd, init);
	/* Six full segments in flight: more than half of cwnd. */
	write_pattern(f.c.st, seq - 1, 6 * MSS);
	tt_advance(&f.c, 0);
	for (i = 0; i < 6; i++)
		tt_expect(&f.c, i == 5 ? "P." : ".", seq + i * MSS, 1, MSS);
	tt_in(&f.c, ".", 1, seq + 6 * MSS, 0);
	/* Slow start, one ACK: at most 2 SMSS (RFC 3465 2.2, L = 2). */
	assert_int_equal(tp->cc.cwnd, init + 2 * MSS);
	tt_fx_end(&f, TT_FX_ABORT);
}

/*
 * After the window opened, the data sent is timed by the RTO, not by the
 * persist timer's backoff: a loss is retransmitted 200 ms later (Linux's
 * tcp_ack_probe() clears icsk_backoff when the window opens).
 */
static void
persist_then_loss_rto(void **state)
{
	static struct tt_fx f;

	begin(&f);
	f.c.sack_perm = false;
	open_now(&f);
	persist_probes(&f);
	tt_expect_at(&f.c, TT_MS(3700), "P.", 1, 1, 1000);
	tt_in(&f.c, ".", 1, 1001, 0);
	assert_int_equal(f.c.n_closed, 0);
	tt_fx_end(&f, TT_FX_ABORT);
}

/*
 * The same on a host up for more than 924.6 s (a real clock is never
 * near zero): the lost data must be retransmitted, not the connection
 * declared dead on the first timeout.
 */
static void
persist_then_loss_long_uptime(void **state)
{
	static struct tt_fx f;
	struct tq_tcptest_seg sg;
	bool got = false;
	unsigned int i;

	begin(&f);
	f.c.sack_perm = false;
	tt_advance(&f.c, TT_S(1000));
	open_now(&f);
	persist_probes(&f);
	for (i = 0; i < 100 && !got && f.c.n_closed == 0; i++) {
		tt_advance(&f.c, TT_MS(100));
		got = tt_out(&f.c, &sg);
	}
	assert_int_equal(f.c.n_closed, 0);
	assert_true(got);
	assert_int_equal(sg.rseq, 1);
	assert_int_equal(sg.len, 1000);
	tt_in(&f.c, ".", 1, 1001, 0);
	tt_fx_end(&f, TT_FX_ABORT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TT_TEST(rto_initial_one_second),
		TT_TEST(rto_min_doubling),
		TT_TEST(tail_loss_probe_low_isn),
		TT_TEST(tail_loss_probe_high_isn),
		TT_TEST(tail_loss_probe_burst),
		TT_TEST(give_up_retries2),
		TT_TEST(give_up_retries2_after_probe),
		TT_TEST(retries_timeout_model),
		TT_TEST(fast_retransmit_newreno),
		TT_TEST(fast_retransmit_high_isn),
		TT_TEST(sack_recovery_holes),
		TT_TEST(sack_recovery_high_isn),
		TT_TEST(sack_recovery_slow_peer),
		TT_TEST(sack_no_board),
		TT_TEST(rto_go_back_skip_sacked),
		TT_TEST(persist_window_opens),
		TT_TEST(small_window_override),
		TT_TEST(cwnd_app_limited),
		TT_TEST(persist_then_loss_rto),
		TT_TEST(persist_then_loss_long_uptime),
	};

	if (tq_test_eal_init("tcp_loss") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
