/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP close and reset, one host driven by a scripted peer: every order of
 * FINs (we first, the peer first, both at once), TIME_WAIT and 2MSL, the
 * FIN_WAIT_2 timeout, RFC 5961 (challenge ACKs for in-window RST and
 * SYN), close with unread data (RST), data after close, and that no
 * mbuf is left behind when a connection with out-of-order data ends.
 */
#include "tq_tcptest.h"

#include <string.h>

static const char *const addrs4[] = { "10.0.0.2/24", NULL };

static unsigned int
state_of(struct tt_fx *f)
{
	struct tq_tcb *tp = tt_tcb(&f->c);

	return tp ? tp->state : TQ_TCPS_CLOSED;
}

/* After the connection is gone, its 4-tuple answers with RST. */
static void
check_gone(struct tt_fx *f, uint32_t seq, uint32_t ack)
{
	struct tq_tcptest_seg sg;

	assert_null(tt_tcb(&f->c));
	tt_in(&f->c, ".", seq, ack, 0);
	assert_true(tt_out(&f->c, &sg));
	assert_int_equal(sg.flags, TQ_TH_RST);
	assert_int_equal(sg.rseq, ack);
}

/*
 * We close first: FIN_WAIT_1, FIN_WAIT_2 on the ACK, TIME_WAIT on the
 * peer's FIN (closed(NORMAL) then: the app is done), a retransmitted FIN
 * in TIME_WAIT is ACKed again and restarts 2MSL (RFC 9293 3.10.7.4), and
 * after 2MSL the TCB is gone.
 */
static void
close_we_first(void **state)
{
	static const struct tt_step fin[] = {
		{ 0, '>', "F.", 1, 1, 0, -1 },
		{ 10, '<', ".", 1, 2, 0, -1 },
	};
	static const struct tt_step peer_fin[] = {
		{ 20, '<', "F.", 1, 2, 0, -1 },
		{ 20, '>', ".", 2, 2, 0, -1 },
	};
	static const struct tt_step tw[] = {
		{ 30000, '<', "F.", 1, 2, 0, -1 },	/* our ACK was lost */
		{ 30000, '>', ".", 2, 2, 0, -1 },
	};
	static struct tt_fx f;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	tq_stream_close(f.c.st);
	assert_int_equal(state_of(&f), TQ_TCPS_FIN_WAIT_1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_CURR_ESTAB), 0);
	TT_RUN(&f.c, fin);
	assert_int_equal(state_of(&f), TQ_TCPS_FIN_WAIT_2);
	assert_int_equal(f.c.n_closed, 0);
	TT_RUN(&f.c, peer_fin);
	assert_int_equal(state_of(&f), TQ_TCPS_TIME_WAIT);
	assert_int_equal(f.c.n_closed, 1);
	assert_int_equal(f.c.why, TQ_CLOSE_NORMAL);
	assert_int_equal(tq_tcptest_nconns(&f.t), 1);
	TT_RUN(&f.c, tw);
	/* 2MSL (60 s) from the last FIN: gone at 90 s, not at 80 s. */
	tt_at(&f.c, TT_MS(80020));
	assert_int_equal(state_of(&f), TQ_TCPS_TIME_WAIT);
	tt_at(&f.c, TT_S(90) - 1);
	assert_int_equal(state_of(&f), TQ_TCPS_TIME_WAIT);
	tt_at(&f.c, TT_S(90));
	assert_int_equal(f.c.n_closed, 1);
	check_gone(&f, 2, 2);
	tt_fx_end(&f, 0);
}

/* Shutdown is a half close: FIN goes, reading goes on until the peer's
 * FIN; both directions done, closed(NORMAL). */
static void
half_close(void **state)
{
	static struct tt_fx f;
	uint8_t buf[512];

	tt_fx_begin(&f);
	tt_fx_up(&f);
	assert_int_equal(tq_stream_shutdown(f.c.st), 0);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "F.", 1, 1, 0);
	tt_in(&f.c, "P.", 1, 2, 300);
	tt_expect(&f.c, ".", 2, 301, 0);
	assert_int_equal(state_of(&f), TQ_TCPS_FIN_WAIT_2);
	assert_int_equal(tq_stream_read(f.c.st, buf, sizeof(buf)), 300);
	assert_int_equal(tq_tcptest_pattern_check(buf, 0, 300), -1);
	tt_in(&f.c, "F.", 301, 2, 0);
	tt_expect(&f.c, ".", 2, 302, 0);
	assert_int_equal(f.c.n_closed, 1);
	assert_int_equal(f.c.why, TQ_CLOSE_NORMAL);
	tt_at(&f.c, TT_S(61));
	check_gone(&f, 302, 2);
	tt_fx_end(&f, 0);
}

/*
 * The peer closes first: CLOSE_WAIT, the FIN's ACK delayed, EOF readable
 * after the data; we may still send; our close: LAST_ACK, then CLOSED on
 * the ACK, closed(NORMAL).
 */
static void
close_peer_first(void **state)
{
	static const struct tt_step peer[] = {
		{ 0, '<', "P.", 1, 1, 100, -1 },
		{ 0, '>', ".", 1, 101, 0, -1 },
		{ 10, '<', "F.", 101, 1, 0, -1 },
		/* its ACK waits (and rides on our data at 20 ms) */
	};
	static const struct tt_step last[] = {
		{ 20, '>', "P.", 1, 102, 50, -1 },
		{ 21, '<', ".", 102, 51, 0, -1 },
	};
	static const struct tt_step fin[] = {
		{ 30, '>', "F.", 51, 102, 0, -1 },
		{ 31, '<', ".", 102, 52, 0, -1 },
	};
	static struct tt_fx f;
	uint8_t buf[512];

	tt_fx_begin(&f);
	tt_fx_up(&f);
	TT_RUN(&f.c, peer);
	assert_int_equal(state_of(&f), TQ_TCPS_CLOSE_WAIT);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_CURR_ESTAB), 1);
	assert_int_equal(f.c.n_readable, 2);
	assert_false(tq_stream_eof(f.c.st));
	assert_int_equal(tq_stream_read(f.c.st, buf, sizeof(buf)), 100);
	assert_true(tq_stream_eof(f.c.st));
	assert_int_equal(tq_stream_read(f.c.st, buf, sizeof(buf)), 0);
	tt_at(&f.c, TT_MS(20));
	tq_tcptest_pattern_fill(buf, 0, 50);
	assert_int_equal(tq_stream_write(f.c.st, buf, 50), 50);
	TT_RUN(&f.c, last);
	tt_at(&f.c, TT_MS(30));
	tq_stream_close(f.c.st);
	assert_int_equal(state_of(&f), TQ_TCPS_LAST_ACK);
	TT_RUN(&f.c, fin);
	assert_int_equal(f.c.n_closed, 1);
	assert_int_equal(f.c.why, TQ_CLOSE_NORMAL);
	assert_null(tt_tcb(&f.c));
	tt_fx_end(&f, 0);
}

/*
 * [24] The peer closes first and the app closes on EOF within the
 * delayed-ACK time: the FIN's ACK rides on ours, three segments in all.
 * An app that stays open sends the plain ACK 40 ms after the FIN.
 */
static void
close_three_segments(void **state)
{
	static struct tt_fx f;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	tt_in(&f.c, "F.", 1, 1, 0);
	assert_int_equal(state_of(&f), TQ_TCPS_CLOSE_WAIT);
	assert_true(tq_stream_eof(f.c.st));
	tt_at(&f.c, TT_MS(10));
	tq_stream_close(f.c.st);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "F.", 1, 2, 0);
	tt_in(&f.c, ".", 2, 2, 0);
	assert_int_equal(f.c.n_closed, 1);
	assert_int_equal(f.c.why, TQ_CLOSE_NORMAL);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_DELAYED_ACKS), 0);
	tt_fx_end(&f, 0);

	tt_fx_begin(&f);
	tt_fx_up(&f);
	tt_in(&f.c, "F.", 1, 1, 0);
	tt_expect_at(&f.c, TT_MS(40), ".", 1, 2, 0);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_DELAYED_ACKS), 1);
	tt_at(&f.c, TT_MS(50));
	tq_stream_close(f.c.st);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "F.", 1, 2, 0);
	tt_in(&f.c, ".", 2, 2, 0);
	assert_int_equal(f.c.n_closed, 1);
	tt_fx_end(&f, 0);
}

/* With TQ_OPT_QUICKACK the FIN is ACKed at once: four segments. */
static void
close_quickack_four_segments(void **state)
{
	static struct tt_fx f;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	assert_int_equal(tq_stream_set_opt(f.c.st, TQ_OPT_QUICKACK, 1), 0);
	tt_in(&f.c, "F.", 1, 1, 0);
	tt_expect(&f.c, ".", 1, 2, 0);
	tt_at(&f.c, TT_MS(10));
	tq_stream_close(f.c.st);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "F.", 1, 2, 0);
	tt_in(&f.c, ".", 2, 2, 0);
	assert_int_equal(f.c.n_closed, 1);
	tt_fx_end(&f, 0);
}

/* Both FINs cross: CLOSING, then TIME_WAIT on the ACK of ours. */
static void
simultaneous_close(void **state)
{
	static const struct tt_step script[] = {
		{ 0, '>', "F.", 1, 1, 0, -1 },
		{ 1, '<', "F.", 1, 1, 0, -1 },
		{ 1, '>', ".", 2, 2, 0, -1 },
	};
	static const struct tt_step ack[] = {
		{ 2, '<', ".", 2, 2, 0, -1 },
	};
	static struct tt_fx f;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	assert_int_equal(tq_stream_shutdown(f.c.st), 0);
	TT_RUN(&f.c, script);
	assert_int_equal(state_of(&f), TQ_TCPS_CLOSING);
	assert_int_equal(f.c.n_closed, 0);
	TT_RUN(&f.c, ack);
	assert_int_equal(state_of(&f), TQ_TCPS_TIME_WAIT);
	assert_int_equal(f.c.n_closed, 1);
	assert_int_equal(f.c.why, TQ_CLOSE_NORMAL);
	tt_at(&f.c, TT_MS(60002) - 1);
	assert_int_equal(state_of(&f), TQ_TCPS_TIME_WAIT);
	tt_at(&f.c, TT_MS(60002));
	check_gone(&f, 2, 2);
	tt_fx_end(&f, 0);
}

/* Our FIN and the peer's FIN+ACK of it in one segment: straight to
 * TIME_WAIT from FIN_WAIT_1. */
static void
close_fin_ack_together(void **state)
{
	static struct tt_fx f;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	tq_stream_close(f.c.st);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "F.", 1, 1, 0);
	tt_in(&f.c, "F.", 1, 2, 0);
	tt_expect(&f.c, ".", 2, 2, 0);
	assert_int_equal(state_of(&f), TQ_TCPS_TIME_WAIT);
	assert_int_equal(f.c.why, TQ_CLOSE_NORMAL);
	tt_at(&f.c, TT_S(61));
	assert_null(tt_tcb(&f.c));
	tt_fx_end(&f, 0);
}

/* A closed app's FIN_WAIT_2 waits fin_timeout for the peer's FIN. */
static void
fin_wait_2_timeout(void **state)
{
	static struct tt_fx f;

	tt_fx_begin(&f);
	f.t.conf.fin_timeout_ns = TT_S(30);
	tt_fx_up(&f);
	tq_stream_close(f.c.st);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "F.", 1, 1, 0);
	tt_in(&f.c, ".", 1, 2, 0);
	assert_int_equal(state_of(&f), TQ_TCPS_FIN_WAIT_2);
	tt_at(&f.c, TT_S(30) - 1);
	assert_int_equal(state_of(&f), TQ_TCPS_FIN_WAIT_2);
	tt_at(&f.c, TT_S(30));
	assert_null(tt_tcb(&f.c));
	assert_int_equal(f.c.n_closed, 1);
	tt_fx_end(&f, 0);
}

/* Our FIN is lost: it is retransmitted by the RTO like data. */
static void
fin_retransmitted(void **state)
{
	static const struct tt_step script[] = {
		{ 0, '>', "F.", 1, 1, 0, -1 },
		{ 200, '>', "F.", 1, 1, 0, -1 },
		{ 600, '>', "F.", 1, 1, 0, -1 },
		{ 700, '<', ".", 1, 2, 0, -1 },
	};
	static struct tt_fx f;

	tt_fx_begin(&f);
	f.c.sack_perm = false; /* the RTO alone, no probe */
	tt_fx_up(&f);
	tq_stream_close(f.c.st);
	TT_RUN(&f.c, script);
	assert_int_equal(state_of(&f), TQ_TCPS_FIN_WAIT_2);
	tt_in(&f.c, "F.", 1, 2, 0);
	tt_expect(&f.c, ".", 2, 2, 0);
	tt_at(&f.c, TT_S(61));
	tt_fx_end(&f, 0);
}

/* ------------------------------------------------------------------ */
/* resets                                                              */

/*
 * RFC 5961 3.2: a RST in the window but not at RCV.NXT draws a challenge
 * ACK and the connection lives; one out of the window is dropped; only
 * the exact one resets: closed(RESET), ECONNRESET.
 */
static void
rst_challenge_then_exact(void **state)
{
	static struct tt_fx f;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	tt_in(&f.c, "P.", 1, 1, 100);
	tt_expect(&f.c, ".", 1, 101, 0);
	tt_in(&f.c, "R", 500, 0, 0);
	tt_expect(&f.c, ".", 1, 101, 0);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_CHALLENGE_ACK), 1);
	assert_int_equal(state_of(&f), TQ_TCPS_ESTABLISHED);
	tt_in(&f.c, "R.", 102, 1, 0);
	tt_expect(&f.c, ".", 1, 101, 0);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_CHALLENGE_ACK), 2);
	/* Far outside the window: silently dropped. */
	tt_in(&f.c, "R", 0x40000000, 0, 0);
	tt_none(&f.c);
	assert_int_equal(state_of(&f), TQ_TCPS_ESTABLISHED);
	assert_int_equal(f.c.n_closed, 0);
	/* The exact one. */
	tt_in(&f.c, "R", 101, 0, 0);
	tt_none(&f.c);
	assert_int_equal(f.c.n_closed, 1);
	assert_int_equal(f.c.why, TQ_CLOSE_RESET);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_ESTAB_RESETS), 1);
	assert_string_equal(tq_close_reason_str(TQ_CLOSE_RESET), "reset");
	assert_null(tt_tcb(&f.c));
	tt_fx_end(&f, 0);
}

/* RFC 5961 7: challenge ACKs are rate limited per worker. */
static void
challenge_ack_limit(void **state)
{
	static struct tt_fx f;
	unsigned int i;

	tt_fx_begin(&f);
	f.t.conf.challenge_ack_limit = 3;
	tt_fx_up(&f);
	for (i = 0; i < 5; i++)
		tt_in(&f.c, "R", 100 + i, 0, 0);
	for (i = 0; i < 3; i++)
		tt_expect(&f.c, ".", 1, 1, 0);
	tt_none(&f.c);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_CHALLENGE_ACK), 3);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_CHALLENGE_ACK_LIMIT),
			2);
	tt_at(&f.c, TT_S(1));
	{
		/* A RST beyond RCV.NXT does not update TS.Recent (RFC 7323
		 * 4.3): the ACK still echoes the older TSval. */
		uint32_t echo = f.c.peer_tsval;

		tt_in(&f.c, "R", 100, 0, 0);
		f.c.peer_tsval = echo;
		tt_expect(&f.c, ".", 1, 1, 0);
	}
	assert_int_equal(state_of(&f), TQ_TCPS_ESTABLISHED);
	tq_stream_abort(f.c.st, 0);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "R.", 1, 1, 0);
	tt_fx_end(&f, 0);
}

/* RFC 5961 4.2: a SYN on an established connection, in the window or
 * not, draws an ACK and changes nothing. */
static void
syn_on_established(void **state)
{
	static struct tt_fx f;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	tt_in(&f.c, "S", 1, 0, 0);
	tt_expect(&f.c, ".", 1, 1, 0);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_CHALLENGE_ACK), 1);
	tt_in(&f.c, "S", 0x20000000, 0, 0);
	tt_expect(&f.c, ".", 1, 1, 0);
	/* The original SYN again (below the window). */
	tt_in(&f.c, "S", 0, 0, 0);
	tt_expect(&f.c, ".", 1, 1, 0);
	assert_int_equal(state_of(&f), TQ_TCPS_ESTABLISHED);
	assert_int_equal(f.c.n_closed, 0);
	/* Data still flows. */
	tt_in(&f.c, "P.", 1, 1, 10);
	tt_expect(&f.c, ".", 1, 11, 0);
	assert_int_equal(tq_stream_readable(f.c.st), 10);
	tq_stream_abort(f.c.st, 0);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "R.", 1, 11, 0);
	tt_fx_end(&f, 0);
}

/*
 * The peer closes first and we only shut our side down with its data
 * still unread (a relay whose other side is full, say): the final ACK
 * of our FIN ends the connection, not the app's data.  It stays
 * readable until the app closes, and then no TIME_WAIT is left (the
 * peer closed first).
 */
static void
last_ack_keeps_unread(void **state)
{
	static struct tt_fx f;
	uint8_t buf[512], want[100];

	tt_fx_begin(&f);
	tt_fx_up(&f);
	tt_in(&f.c, "P.", 1, 1, 100);
	tt_expect(&f.c, ".", 1, 101, 0);
	tt_in(&f.c, "F.", 101, 1, 0);
	tt_advance(&f.c, TT_MS(40));
	tt_expect(&f.c, ".", 1, 102, 0);
	assert_int_equal(state_of(&f), TQ_TCPS_CLOSE_WAIT);
	assert_int_equal(tq_stream_shutdown(f.c.st), 0);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "F.", 1, 102, 0);
	tt_in(&f.c, ".", 102, 2, 0);
	assert_int_equal(f.c.n_closed, 0);
	assert_int_equal(tq_stream_readable(f.c.st), 100);
	assert_int_equal(tq_stream_read(f.c.st, buf, sizeof(buf)), 100);
	tq_tcptest_pattern_fill(want, 0, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(tq_stream_read(f.c.st, buf, sizeof(buf)), 0);
	tq_stream_close(f.c.st);
	tt_advance(&f.c, 0);
	assert_int_equal(f.c.n_closed, 1);
	assert_int_equal(f.c.why, TQ_CLOSE_NORMAL);
	assert_null(tt_tcb(&f.c));
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_OUT_RSTS), 0);
	tt_fx_end(&f, 0);
}

/* Left unread past the FIN_WAIT_2 grace: the hold ends, counted. */
static void
last_ack_unread_times_out(void **state)
{
	static struct tt_fx f;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	tt_in(&f.c, "P.", 1, 1, 100);
	tt_expect(&f.c, ".", 1, 101, 0);
	tt_in(&f.c, "F.", 101, 1, 0);
	tt_advance(&f.c, TT_MS(40));
	tt_expect(&f.c, ".", 1, 102, 0);
	assert_int_equal(tq_stream_shutdown(f.c.st), 0);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "F.", 1, 102, 0);
	tt_in(&f.c, ".", 102, 2, 0);
	assert_int_equal(f.c.n_closed, 0);
	tt_advance(&f.c, TT_S(59));
	assert_int_equal(f.c.n_closed, 0);
	tt_advance(&f.c, TT_S(2));
	assert_int_equal(f.c.n_closed, 1);
	assert_null(tt_tcb(&f.c));
	tt_fx_end(&f, 0);
}

/* Close with received data unread: RST, not FIN (RFC 9293 3.6.1). */
static void
close_with_unread_data(void **state)
{
	static struct tt_fx f;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	tt_in(&f.c, "P.", 1, 1, 100);
	tt_expect(&f.c, ".", 1, 101, 0);
	tq_stream_close(f.c.st);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "R.", 1, 101, 0);
	assert_int_equal(f.c.n_closed, 1);
	assert_int_equal(f.c.why, TQ_CLOSE_ABORTED);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_ABORT_ON_CLOSE), 1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_OUT_RSTS), 1);
	assert_null(tt_tcb(&f.c));
	tt_fx_end(&f, 0);
}

/* Data for an app that closed: RST (Linux's TCPAbortOnData). */
static void
data_after_close(void **state)
{
	static struct tt_fx f;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	tq_stream_close(f.c.st);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "F.", 1, 1, 0);
	tt_in(&f.c, "P.", 1, 2, 100);
	tt_expect(&f.c, "R.", 2, 1, 0);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_ABORT_ON_DATA), 1);
	assert_int_equal(f.c.n_closed, 1);
	assert_int_equal(f.c.why, TQ_CLOSE_ABORTED);
	tt_fx_end(&f, 0);
}

/*
 * A connection holding out-of-order data in two separate runs ends by
 * abort: every mbuf goes back to the pool.
 */
static void
abort_with_ooo_runs(void **state)
{
	static struct tt_fx f;
	struct tq_tcptest_seg sg;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	tt_in(&f.c, ".", 1001, 1, 100);
	sg = tt_expect(&f.c, ".", 1, 1, 0);
	tt_in(&f.c, ".", 2001, 1, 100);
	sg = tt_expect(&f.c, ".", 1, 1, 0);
	assert_int_equal(sg.nsack, 2);
	tq_stream_abort(f.c.st, 0);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "R.", 1, 1, 0);
	assert_int_equal(f.c.why, TQ_CLOSE_ABORTED);
	tt_fx_end(&f, 0);
}

/* The same when the peer resets it. */
static void
reset_with_ooo_runs(void **state)
{
	static struct tt_fx f;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	tt_in(&f.c, ".", 1001, 1, 100);
	tt_expect(&f.c, ".", 1, 1, 0);
	tt_in(&f.c, ".", 2001, 1, 100);
	tt_expect(&f.c, ".", 1, 1, 0);
	tt_in(&f.c, ".", 3001, 1, 100);
	tt_expect(&f.c, ".", 1, 1, 0);
	tt_in(&f.c, "R", 1, 0, 0);
	assert_int_equal(f.c.why, TQ_CLOSE_RESET);
	tt_fx_end(&f, 0);
}

/* And when the engine stops with such a connection open (detach). */
static void
detach_with_ooo_runs(void **state)
{
	static struct tt_fx f;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	tt_in(&f.c, ".", 1001, 1, 100);
	tt_expect(&f.c, ".", 1, 1, 0);
	tt_in(&f.c, ".", 2001, 1, 100);
	tt_expect(&f.c, ".", 1, 1, 0);
	tq_tcptest_fini(&f.t);
	tq_tcptest_check_pool(f.avail);
}

/*
 * We shut down first and the peer's last data arrives with its FIN while
 * the app cannot take it yet: TIME_WAIT keeps it for the app.  A RST
 * from the peer then (Linux sends one when its app closes with our data
 * unread) frees the 4-tuple, not the data: all 100 bytes and the EOF
 * are still read.  Without the hold the relay lost the tail of a reply.
 */
static void
time_wait_rst_keeps_unread(void **state)
{
	static struct tt_fx f;
	uint8_t buf[512];

	tt_fx_begin(&f);
	tt_fx_up(&f);
	assert_int_equal(tq_stream_shutdown(f.c.st), 0);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "F.", 1, 1, 0);
	tt_in(&f.c, "P.", 1, 2, 100);
	tt_expect(&f.c, ".", 2, 101, 0);
	tt_in(&f.c, "F.", 101, 2, 0);
	tt_expect(&f.c, ".", 2, 102, 0);
	assert_int_equal(state_of(&f), TQ_TCPS_TIME_WAIT);
	assert_int_equal(f.c.n_closed, 0);
	tt_in(&f.c, "R", 102, 0, 0);
	assert_int_equal(f.c.n_closed, 0);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TW_APP_FREED), 1);
	/* The 4-tuple is free: a stray segment for it draws a RST. */
	check_gone(&f, 102, 2);
	assert_int_equal(tq_stream_readable(f.c.st), 100);
	assert_int_equal(tq_stream_read(f.c.st, buf, sizeof(buf)), 100);
	assert_int_equal(tq_tcptest_pattern_check(buf, 0, 100), -1);
	assert_int_equal(tq_stream_read(f.c.st, buf, sizeof(buf)), 0);
	tq_stream_close(f.c.st);
	tt_advance(&f.c, 0);
	assert_int_equal(f.c.n_closed, 1);
	assert_int_equal(f.c.why, TQ_CLOSE_NORMAL);
	assert_false(tt_out(&f.c, NULL));
	tt_fx_end(&f, 0);
}

/* The same hold, unread past the read grace: the app hears closed(). */
static void
time_wait_rst_unread_times_out(void **state)
{
	static struct tt_fx f;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	assert_int_equal(tq_stream_shutdown(f.c.st), 0);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "F.", 1, 1, 0);
	tt_in(&f.c, "FP.", 1, 2, 100);
	tt_expect(&f.c, ".", 2, 102, 0);
	tt_in(&f.c, "R", 102, 0, 0);
	assert_int_equal(f.c.n_closed, 0);
	tt_advance(&f.c, TT_S(61));
	assert_int_equal(f.c.n_closed, 1);
	assert_null(tt_tcb(&f.c));
	tt_fx_end(&f, 0);
}

/*
 * RFC 6191: a new SYN for a 4-tuple in TIME_WAIT, with a newer
 * timestamp, opens a new connection at once.
 */
static void
time_wait_new_syn(void **state)
{
	static struct tt_fx f;
	struct tq_tcptest_conn c2;

	tt_fx_begin(&f);
	assert_int_equal(tq_tcptest_listen(&f.t, NULL, 80, 8,
			tq_tcptest_accept_cb, &f.c), 0);
	assert_int_equal(tq_tcptest_start(&f.t, 2, addrs4), 0);
	tq_test_host_learn(&f.t.h, "10.0.0.1");
	tt_conn_init(&f.c, &f.t, "10.0.0.1", 40000, "10.0.0.2", 80);
	tt_passive_open(&f.c);
	tt_mark(&f.c);
	/* The server closes first and ends in TIME_WAIT. */
	tq_stream_close(f.c.st);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "F.", 1, 1, 0);
	tt_in(&f.c, "F.", 1, 2, 0);
	tt_expect(&f.c, ".", 2, 2, 0);
	assert_int_equal(state_of(&f), TQ_TCPS_TIME_WAIT);
	/* A second later the client reconnects from the same port. */
	tt_at(&f.c, TT_S(1));
	f.c.no_accept = true;
	tt_conn_init(&c2, &f.t, "10.0.0.1", 40000, "10.0.0.2", 80);
	c2.piss = f.c.piss + 1000000;
	c2.no_accept = true;
	tt_passive_open(&c2);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TW_REOPENED), 1);
	c2.st = tq_tcp_accept(f.c.l, &tq_tcptest_ops, &c2);
	assert_non_null(c2.st);
	assert_int_equal(tq_stream_tcb(c2.st)->state, TQ_TCPS_ESTABLISHED);
	tq_stream_abort(c2.st, 0);
	tt_advance(&c2, 0);
	tt_expect(&c2, "R.", 1, 1, 0);
	tt_fx_end(&f, 0);
}

/* The same, while the old connection's last data is still unread: the
 * new connection opens and the old one's data stays readable. */
static void
time_wait_new_syn_keeps_unread(void **state)
{
	static struct tt_fx f;
	struct tq_tcptest_conn c2;
	uint8_t buf[512];

	tt_fx_begin(&f);
	assert_int_equal(tq_tcptest_listen(&f.t, NULL, 80, 8,
			tq_tcptest_accept_cb, &f.c), 0);
	assert_int_equal(tq_tcptest_start(&f.t, 2, addrs4), 0);
	tq_test_host_learn(&f.t.h, "10.0.0.1");
	tt_conn_init(&f.c, &f.t, "10.0.0.1", 40000, "10.0.0.2", 80);
	tt_passive_open(&f.c);
	tt_mark(&f.c);
	assert_int_equal(tq_stream_shutdown(f.c.st), 0);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "F.", 1, 1, 0);
	tt_in(&f.c, "FP.", 1, 2, 100);
	tt_expect(&f.c, ".", 2, 102, 0);
	assert_int_equal(state_of(&f), TQ_TCPS_TIME_WAIT);
	tt_at(&f.c, TT_S(1));
	f.c.no_accept = true;
	tt_conn_init(&c2, &f.t, "10.0.0.1", 40000, "10.0.0.2", 80);
	c2.piss = f.c.piss + 1000000;
	c2.no_accept = true;
	tt_passive_open(&c2);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TW_REOPENED), 1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TW_APP_FREED), 1);
	c2.st = tq_tcp_accept(f.c.l, &tq_tcptest_ops, &c2);
	assert_non_null(c2.st);
	assert_int_equal(f.c.n_closed, 0);
	assert_int_equal(tq_stream_read(f.c.st, buf, sizeof(buf)), 100);
	assert_int_equal(tq_tcptest_pattern_check(buf, 0, 100), -1);
	assert_int_equal(tq_stream_read(f.c.st, buf, sizeof(buf)), 0);
	tq_stream_close(f.c.st);
	assert_int_equal(f.c.n_closed, 1);
	/* The new connection is untouched by the old one's end. */
	assert_int_equal(tq_stream_tcb(c2.st)->state, TQ_TCPS_ESTABLISHED);
	tq_stream_abort(c2.st, 0);
	tt_advance(&c2, 0);
	tt_expect(&c2, "R.", 1, 1, 0);
	tt_fx_end(&f, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TT_TEST(close_we_first),
		TT_TEST(half_close),
		TT_TEST(time_wait_rst_keeps_unread),
		TT_TEST(time_wait_rst_unread_times_out),
		TT_TEST(time_wait_new_syn_keeps_unread),
		TT_TEST(close_peer_first),
		TT_TEST(close_three_segments),
		TT_TEST(close_quickack_four_segments),
		TT_TEST(simultaneous_close),
		TT_TEST(close_fin_ack_together),
		TT_TEST(fin_wait_2_timeout),
		TT_TEST(fin_retransmitted),
		TT_TEST(rst_challenge_then_exact),
		TT_TEST(challenge_ack_limit),
		TT_TEST(syn_on_established),
		TT_TEST(close_with_unread_data),
		TT_TEST(last_ack_keeps_unread),
		TT_TEST(last_ack_unread_times_out),
		TT_TEST(data_after_close),
		TT_TEST(abort_with_ooo_runs),
		TT_TEST(reset_with_ooo_runs),
		TT_TEST(detach_with_ooo_runs),
		TT_TEST(time_wait_new_syn),
	};

	if (tq_test_eal_init("tcp_close") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
