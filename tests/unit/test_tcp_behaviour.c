/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP behaviours from features.md, one host driven by a scripted peer on
 * the fake clock: keepalive (per stream and for all), the retransmission
 * give-up as a time rather than a count, RFC 5961 5.2 (old ACKs), what
 * PAWS leaves alone (RST, a ts_recent idle for 24 days), TIME_WAIT
 * (reopen by sequence or timestamp, the bound, tw_reuse), ports (bind
 * rules, TCP and UDP on one number, ephemeral ports per 4-tuple, no
 * listener over IPv6, self-connect) and the engine stopping.
 *
 * What test_tcp_close.c, test_tcp_loss.c and test_tcp_data.c show already
 * (challenge ACKs for RST and SYN, their limit, PAWS on data, the 924.6 s
 * and 127 s models, TIME_WAIT reopen with a newer timestamp) is not
 * repeated here.
 */
#include "tq_tcptest.h"

#include <errno.h>
#include <string.h>

#include <tachyon/tq_udp.h>

static const char *const addrs4[] = { "10.0.0.2/24", NULL };
static const char *const addrs6[] = { "2001:db8::2/64", NULL };

/* The conn the next accepted connection belongs to (listeners here all
 * share one accept callback). */
static struct tq_tcptest_conn *acc_to;

static void
accept_to(struct tq_shard *s, struct tq_listener *l, void *arg)
{
	RTE_SET_USED(arg);
	tq_tcptest_accept_cb(s, l, acc_to);
}

/*
 * After tt_fx_begin() and any conf changes.  listen: the host listens on port
 * 80 and the fake peer is 10.0.0.1:40000; else the peer is
 * 10.0.0.1:8080 and the host connects from an ephemeral port.
 */
static void
start(struct tt_fx *f, bool listen)
{
	if (listen)
		assert_int_equal(tq_tcptest_listen(&f->t, NULL, 80, 16,
				accept_to, NULL), 0);
	assert_int_equal(tq_tcptest_start(&f->t, 2, addrs4), 0);
	tq_test_host_learn(&f->t.h, "10.0.0.1");
	tt_conn_init(&f->c, &f->t, "10.0.0.1", listen ? 40000 : 8080,
			"10.0.0.2", listen ? 80 : 0);
	acc_to = &f->c;
}

/* Abort the host's side: RST|ACK out, closed(ABORTED). */
static void
abort_conn(struct tq_tcptest_conn *c, uint32_t seq, uint32_t ack)
{
	assert_non_null(c->st);
	tq_stream_abort(c->st, 0);
	tt_advance(c, 0);
	tt_expect(c, "R.", seq, ack, 0);
	assert_int_equal(c->why, TQ_CLOSE_ABORTED);
}

static void
write_pattern(struct tq_stream *st, uint64_t off, uint32_t n)
{
	static uint8_t buf[256 * 1024];

	assert_true(n <= sizeof(buf));
	tq_tcptest_pattern_fill(buf, off, n);
	assert_int_equal(tq_stream_write(st, buf, n), (int)n);
}

static unsigned int
state_of(struct tq_tcptest_conn *c)
{
	struct tq_tcb *tp = tt_tcb(c);

	return tp ? tp->state : TQ_TCPS_CLOSED;
}

/* ------------------------------------------------------------------ */
/* keepalive                                                           */

/*
 * Per stream (SO_KEEPALIVE, TCP_KEEPIDLE/INTVL/CNT on an accepted
 * stream): the first probe keep_idle after the last segment from the
 * peer, then one every keep_intvl; a probe is an ACK for SND.UNA - 1
 * with no data.  A silent peer: after keep_cnt unanswered probes, RST
 * and closed(TIMEOUT) at idle + cnt * intvl (Linux tcp_keepalive_timer).
 */
static void
keepalive_silent_peer(void **state)
{
	static struct tt_fx f;
	struct tq_stream *st;

	tt_fx_begin(&f);
	start(&f, true);
	tt_passive_open(&f.c);
	tt_mark(&f.c);
	st = f.c.st;
	/* Linux's bounds. */
	assert_int_equal(tq_stream_set_opt(st, TQ_OPT_KEEPIDLE, 0), -EINVAL);
	assert_int_equal(tq_stream_set_opt(st, TQ_OPT_KEEPINTVL, 32768),
			-EINVAL);
	assert_int_equal(tq_stream_set_opt(st, TQ_OPT_KEEPCNT, 0), -EINVAL);
	assert_int_equal(tq_stream_set_opt(st, TQ_OPT_KEEPCNT, 128), -EINVAL);
	assert_int_equal(tq_stream_set_opt(st, TQ_OPT_KEEPALIVE, 1), 0);
	assert_int_equal(tq_stream_set_opt(st, TQ_OPT_KEEPIDLE, 10), 0);
	assert_int_equal(tq_stream_set_opt(st, TQ_OPT_KEEPINTVL, 2), 0);
	assert_int_equal(tq_stream_set_opt(st, TQ_OPT_KEEPCNT, 3), 0);
	tt_expect_at(&f.c, TT_S(10), ".", 0, 1, 0);
	tt_expect_at(&f.c, TT_S(12), ".", 0, 1, 0);
	tt_expect_at(&f.c, TT_S(14), ".", 0, 1, 0);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_KEEPALIVE_PROBES), 3);
	assert_int_equal(f.c.n_closed, 0);
	assert_int_equal(state_of(&f.c), TQ_TCPS_ESTABLISHED);
	tt_expect_at(&f.c, TT_S(16), "R.", 1, 1, 0);
	assert_int_equal(f.c.n_closed, 1);
	assert_int_equal(f.c.why, TQ_CLOSE_TIMEOUT);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_ABORT_ON_KEEPALIVE),
			1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_KEEPALIVE_PROBES), 3);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_OUT_RSTS), 1);
	assert_null(tt_tcb(&f.c));
	tt_fx_end(&f, 0);
}

/*
 * conf.keepalive for every connection (here an active open): a peer that
 * answers keeps the connection, and every answer (or any segment) starts
 * the idle time over; switched off, no more probes.
 */
static void
keepalive_live_peer(void **state)
{
	static struct tt_fx f;

	tt_fx_begin(&f);
	f.t.conf.keepalive = true;
	f.t.conf.keep_idle_ns = TT_S(30);
	f.t.conf.keep_intvl_ns = TT_S(5);
	f.t.conf.keep_cnt = 2;
	start(&f, false);
	tt_active_open(&f.c);
	tt_mark(&f.c);
	tt_expect_at(&f.c, TT_S(30), ".", 0, 1, 0);
	tt_at(&f.c, TT_MS(30010));
	tt_in(&f.c, ".", 1, 1, 0); /* the peer answers the probe */
	tt_none(&f.c);
	/* Idle counts from the answer. */
	tt_expect_at(&f.c, TT_MS(60010), ".", 0, 1, 0);
	tt_at(&f.c, TT_S(61));
	tt_in(&f.c, "P.", 1, 1, 10); /* data: the peer is alive too */
	tt_expect(&f.c, ".", 1, 11, 0);
	tt_expect_at(&f.c, TT_S(91), ".", 0, 11, 0);
	tt_at(&f.c, TT_MS(91001));
	tt_in(&f.c, ".", 11, 1, 0);
	tt_expect_at(&f.c, TT_MS(121001), ".", 0, 11, 0);
	assert_int_equal(f.c.n_closed, 0);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_KEEPALIVE_PROBES), 4);
	/* Off: the outstanding probe is forgotten, nothing more is sent. */
	assert_int_equal(tq_stream_set_opt(f.c.st, TQ_OPT_KEEPALIVE, 0), 0);
	tt_at(&f.c, TT_S(400));
	assert_int_equal(f.c.n_closed, 0);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_ABORT_ON_KEEPALIVE),
			0);
	abort_conn(&f.c, 1, 11);
	tt_fx_end(&f, 0);
}

/*
 * No probe while data is in flight: the retransmission timer covers the
 * peer then (Linux: packets_out means "resched").  The idle time passes
 * twice during the retransmissions with nothing but data sent; once the
 * peer ACKs, the probe comes keep_idle after that ACK.
 */
static void
keepalive_not_while_in_flight(void **state)
{
	static const struct tt_step rto[] = {
		{ 5000, '>', "P.", 1, 1, 100, -1 },
		{ 5200, '>', "P.", 1, 1, 100, -1 },
		{ 5600, '>', "P.", 1, 1, 100, -1 },
		{ 6400, '>', "P.", 1, 1, 100, -1 },
		{ 8000, '>', "P.", 1, 1, 100, -1 },
		{ 11200, '>', "P.", 1, 1, 100, -1 },
		{ 17600, '>', "P.", 1, 1, 100, -1 },
	};
	static const struct tt_step acked[] = {
		{ 25000, '<', ".", 1, 101, 0, -1 },
		{ 35000, '>', ".", 100, 1, 0, -1 },	/* SND.UNA - 1 */
	};
	static struct tt_fx f;

	tt_fx_begin(&f);
	f.t.conf.keepalive = true;
	f.t.conf.keep_idle_ns = TT_S(10);
	f.t.conf.keep_intvl_ns = TT_S(1);
	f.t.conf.keep_cnt = 3;
	start(&f, false);
	f.c.sack_perm = false; /* the RTO alone, no loss probe */
	tt_active_open(&f.c);
	tt_mark(&f.c);
	tt_at(&f.c, TT_S(5));
	write_pattern(f.c.st, 0, 100);
	TT_RUN(&f.c, rto);
	tt_at(&f.c, TT_S(20)); /* the keepalive timer's second turn */
	TT_RUN(&f.c, acked);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_KEEPALIVE_PROBES), 1);
	abort_conn(&f.c, 101, 1);
	tt_fx_end(&f, 0);
}

/* ------------------------------------------------------------------ */
/* retransmission give-up                                              */

/*
 * The give-up is a time, Linux's tcp_model_timeout() with RTO_MIN as
 * base (924.6 s for tcp_retries2 = 15), not a count of retransmissions:
 * with a measured RTT of 200 ms the RTO is 600 ms, so only 14
 * retransmissions fit, and the connection ends at the first RTO expiry
 * past 924.6 s from the first transmission: 993 s.
 */
static void
give_up_is_a_time(void **state)
{
	static const double at[] = { 0, 600, 1800, 4200, 9000, 18600,
		37800, 76200, 153000, 273000, 393000, 513000, 633000,
		753000, 873000 };
	static struct tt_fx f;
	struct tq_addr dst = tq_test_addr("10.0.0.1");
	struct tq_tcptest_seg sg;
	unsigned int i;
	int err;

	tt_fx_begin(&f);
	start(&f, false);
	f.c.sack_perm = false; /* no loss probe: the RTO alone */
	f.c.st = tq_tcp_connect(f.t.h.s, &dst, 8080, NULL, 0, &tq_tcptest_ops,
			&f.c, &err);
	assert_non_null(f.c.st);
	tt_mark(&f.c);
	tt_advance(&f.c, 0);
	assert_true(tt_out(&f.c, &sg));
	assert_int_equal(sg.flags, TQ_TH_SYN);
	tt_at(&f.c, TT_MS(200));
	tt_in(&f.c, "S.", 0, 1, 0);
	tt_expect(&f.c, ".", 1, 1, 0);
	/* RFC 6298 2.2: SRTT 200, RTTVAR 100, RTO 200 + 4 * 100. */
	assert_int_equal(tq_stream_tcb(f.c.st)->rto, TT_MS(600));
	tt_mark(&f.c);
	write_pattern(f.c.st, 0, 100);
	for (i = 0; i < RTE_DIM(at); i++) {
		struct tt_step s = { at[i], '>', "P.", 1, 1, 100, -1 };

		tt_run(&f.c, &s, 1);
	}
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TIMEOUTS), 14);
	tt_at(&f.c, TT_S(993) - 1);
	assert_int_equal(f.c.n_closed, 0);
	tt_at(&f.c, TT_S(993));
	tt_none(&f.c);
	assert_int_equal(f.c.n_closed, 1);
	assert_int_equal(f.c.why, TQ_CLOSE_TIMEOUT);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TIMEOUTS), 14);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_ABORT_ON_TIMEOUT), 1);
	tt_fx_end(&f, 0);
}

/*
 * conf.retries2 and conf.syn_retries move the give-up times as Linux's
 * sysctls do: tcp_retries2 = 3 gives up 3 s after the first
 * transmission (0.2 + 0.4 + 0.8 + 1.6), tcp_syn_retries = 2 after 7 s.
 */
static void
give_up_configured(void **state)
{
	static const struct tt_step syn[] = {
		{ 1000, '>', "S", 0, 0, 0, -1 },
		{ 3000, '>', "S", 0, 0, 0, -1 },
	};
	static const struct tt_step data[] = {
		{ 0, '>', "P.", 1, 1, 100, -1 },
		{ 200, '>', "P.", 1, 1, 100, -1 },
		{ 600, '>', "P.", 1, 1, 100, -1 },
		{ 1400, '>', "P.", 1, 1, 100, -1 },
	};
	static struct tt_fx f;
	static struct tq_tcptest_conn c2;
	struct tq_addr dst = tq_test_addr("10.0.0.1");
	struct tq_tcptest_seg sg;
	int err;

	tt_fx_begin(&f);
	f.t.conf.retries2 = 3;
	f.t.conf.syn_retries = 2;
	start(&f, false);
	assert_int_equal(tq_tcp_retries_timeout(TT_S(1), TT_S(120), 2),
			TT_S(7));
	/* The SYN: resent at 1 and 3 s, given up at 7 s. */
	tt_conn_init(&c2, &f.t, "10.0.0.1", 8081, "10.0.0.2", 0);
	c2.st = tq_tcp_connect(f.t.h.s, &dst, 8081, NULL, 0, &tq_tcptest_ops,
			&c2, &err);
	assert_non_null(c2.st);
	tt_mark(&c2);
	tt_advance(&c2, 0);
	assert_true(tt_out(&c2, &sg));
	assert_int_equal(sg.flags, TQ_TH_SYN);
	TT_RUN(&c2, syn);
	tt_at(&c2, TT_S(7) - 1);
	assert_int_equal(c2.n_closed, 0);
	tt_at(&c2, TT_S(7));
	tt_none(&c2);
	assert_int_equal(c2.n_closed, 1);
	assert_int_equal(c2.why, TQ_CLOSE_TIMEOUT);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_ATTEMPT_FAILS), 1);
	/* Data: 0, 0.2, 0.6, 1.4, given up at 3.0 s. */
	f.c.sack_perm = false;
	tt_active_open(&f.c);
	tt_mark(&f.c);
	write_pattern(f.c.st, 0, 100);
	TT_RUN(&f.c, data);
	tt_at(&f.c, TT_MS(3000) - 1);
	assert_int_equal(f.c.n_closed, 0);
	tt_at(&f.c, TT_MS(3000));
	tt_none(&f.c);
	assert_int_equal(f.c.n_closed, 1);
	assert_int_equal(f.c.why, TQ_CLOSE_TIMEOUT);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_ABORT_ON_TIMEOUT), 1);
	tt_fx_end(&f, 0);
}

/* ------------------------------------------------------------------ */
/* RFC 5961 5.2                                                        */

/*
 * An ACK older than SND.UNA - max(MAX.SND.WND, 65535) is blind data
 * injection: a challenge ACK, TcpBadAck, and the segment (with its data)
 * dropped.  One at the edge is only an old duplicate and its data is
 * taken.  The largest window the peer offered moves the edge.
 */
static void
old_ack_challenged(void **state)
{
	static struct tt_fx f;

	tt_fx_begin(&f);
	start(&f, false);
	tt_active_open(&f.c);
	/* The largest window so far is the SYN-ACK's 65535. */
	tt_in(&f.c, "P.", 1, (uint32_t)(1 - 65536), 100);
	tt_expect(&f.c, ".", 1, 1, 0);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_BAD_ACK), 1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_CHALLENGE_ACK), 1);
	assert_int_equal(tq_stream_readable(f.c.st), 0);
	/* A window of 1024 << 7 = 131072 from the peer. */
	tt_in(&f.c, ".", 1, 1, 0);
	tt_none(&f.c);
	assert_int_equal(tq_stream_tcb(f.c.st)->max_sndwnd, 131072);
	tt_in(&f.c, "P.", 1, (uint32_t)(1 - 131073), 100);
	tt_expect(&f.c, ".", 1, 1, 0);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_BAD_ACK), 2);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_CHALLENGE_ACK), 2);
	assert_int_equal(tq_stream_readable(f.c.st), 0);
	/* At the edge: acceptable (RFC 5961 5.2), the data is delivered. */
	tt_in(&f.c, "P.", 1, (uint32_t)(1 - 131072), 100);
	tt_expect(&f.c, ".", 1, 101, 0);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_BAD_ACK), 2);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_CHALLENGE_ACK), 2);
	assert_int_equal(tq_stream_readable(f.c.st), 100);
	assert_int_equal(state_of(&f.c), TQ_TCPS_ESTABLISHED);
	assert_int_equal(f.c.n_closed, 0);
	abort_conn(&f.c, 1, 101);
	tt_fx_end(&f, 0);
}

/* ------------------------------------------------------------------ */
/* PAWS                                                                */

/*
 * RFC 7323 5.3 R1: PAWS does not apply to RST (Linux tcp_paws_discard
 * exempts it too): a RST with an old TSval is judged by its sequence
 * number alone: in the window but not at RCV.NXT a challenge ACK, exact
 * a reset.
 */
static void
paws_not_for_rst(void **state)
{
	static struct tt_fx f;
	uint32_t echo;

	tt_fx_begin(&f);
	start(&f, false);
	tt_active_open(&f.c);
	tt_at(&f.c, TT_MS(100));
	tt_in(&f.c, "P.", 1, 1, 100);
	tt_expect(&f.c, ".", 1, 101, 0);
	echo = f.c.peer_tsval;
	f.c.ts_base -= 50; /* the peer's clock as it was 50 ms ago */
	tt_in(&f.c, "R", 500, 0, 0);
	f.c.peer_tsval = echo; /* not at RCV.NXT: TS.Recent stays */
	tt_expect(&f.c, ".", 1, 101, 0);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_CHALLENGE_ACK), 1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_PAWS_ESTAB), 0);
	tt_in(&f.c, "R", 101, 0, 0);
	tt_none(&f.c);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_PAWS_ESTAB), 0);
	assert_int_equal(f.c.n_closed, 1);
	assert_int_equal(f.c.why, TQ_CLOSE_RESET);
	assert_null(tt_tcb(&f.c));
	tt_fx_end(&f, 0);
}

/*
 * RFC 7323 5.5: a TS.Recent idle for more than 24 days is no longer
 * valid.  25 days on, the peer's clock has moved by more than 2^31 ms,
 * so its TSval looks older in 32-bit arithmetic; the segment must be
 * taken, not dropped by PAWS.
 */
static void
paws_idle_24_days(void **state)
{
	static struct tt_fx f;

	tt_fx_begin(&f);
	start(&f, false);
	tt_active_open(&f.c);
	tt_in(&f.c, "P.", 1, 1, 100);
	tt_expect(&f.c, ".", 1, 101, 0);
	tt_at(&f.c, TT_S(25ull * 86400));
	/* What the peer sends now compares as older than TS.Recent. */
	assert_true(SEQ_LT((uint32_t)(f.t.h.now / 1000000) + f.c.ts_base,
			tq_stream_tcb(f.c.st)->ts_recent));
	tt_in(&f.c, "P.", 101, 1, 100);
	tt_expect(&f.c, ".", 1, 201, 0);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_PAWS_ESTAB), 0);
	assert_int_equal(tq_stream_readable(f.c.st), 200);
	abort_conn(&f.c, 1, 201);
	tt_fx_end(&f, 0);
}

/* ------------------------------------------------------------------ */
/* TIME_WAIT                                                           */

/* The host closes first, the peer's FIN follows: TIME_WAIT. */
static void
into_time_wait(struct tq_tcptest_conn *c)
{
	tq_stream_close(c->st);
	tt_advance(c, 0);
	tt_expect(c, "F.", 1, 1, 0);
	tt_in(c, "F.", 1, 2, 0);
	tt_expect(c, ".", 2, 2, 0);
	assert_int_equal(state_of(c), TQ_TCPS_TIME_WAIT);
	assert_int_equal(c->why, TQ_CLOSE_NORMAL);
}

/*
 * Without timestamps, the sequence number decides (RFC 9293 3.10.7.4,
 * Linux tcp_timewait_state_process): a SYN below RCV.NXT is an old
 * duplicate and draws an ACK, TIME_WAIT stays; one above opens a new
 * connection through the listener (TCPTimeWaitReopen).
 */
static void
time_wait_reopen_by_seq(void **state)
{
	static struct tt_fx f;
	static struct tq_tcptest_conn c2;

	tt_fx_begin(&f);
	start(&f, true);
	f.c.ts = false;
	tt_passive_open(&f.c);
	into_time_wait(&f.c);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TW_COUNT), 1);
	tt_in(&f.c, "S", 0, 0, 0);
	tt_expect(&f.c, ".", 2, 2, 0);
	assert_int_equal(state_of(&f.c), TQ_TCPS_TIME_WAIT);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TW_REOPENED), 0);
	tt_conn_init(&c2, &f.t, "10.0.0.1", 40000, "10.0.0.2", 80);
	c2.ts = false;
	c2.piss = f.c.piss + 100000;
	acc_to = &c2;
	tt_passive_open(&c2);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TW_REOPENED), 1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TW_COUNT), 0);
	assert_int_equal(state_of(&c2), TQ_TCPS_ESTABLISHED);
	assert_int_equal(tq_tcptest_nconns(&f.t), 1);
	abort_conn(&c2, 1, 1);
	tt_fx_end(&f, 0);
}

/*
 * With timestamps on both, the timestamp decides, not the sequence
 * number: a higher sequence with an older TSval is no new connection
 * (PAWS, an ACK); a lower sequence with a newer TSval is.
 */
static void
time_wait_reopen_by_ts(void **state)
{
	static struct tt_fx f;
	static struct tq_tcptest_conn c2, c3;
	struct tq_tcptest_seg sg;

	tt_fx_begin(&f);
	start(&f, true);
	tt_passive_open(&f.c);
	into_time_wait(&f.c);
	tt_at(&f.c, TT_S(1));
	tt_conn_init(&c3, &f.t, "10.0.0.1", 40000, "10.0.0.2", 80);
	c3.piss = f.c.piss + 100000;
	c3.ts_base = f.c.ts_base - 5000;
	c3.hiss = f.c.hiss;
	c3.hiss_known = true;
	tt_in(&c3, "S", 0, 0, 0);
	assert_true(tt_out(&c3, &sg));
	assert_int_equal(sg.flags, TQ_TH_ACK);
	assert_int_equal(sg.seq, f.c.hiss + 2);
	assert_int_equal(sg.ack, f.c.piss + 2);
	tt_none(&c3);
	assert_int_equal(state_of(&f.c), TQ_TCPS_TIME_WAIT);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TW_REOPENED), 0);
	tt_conn_init(&c2, &f.t, "10.0.0.1", 40000, "10.0.0.2", 80);
	c2.piss = f.c.piss - 100000;
	acc_to = &c2;
	tt_passive_open(&c2);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TW_REOPENED), 1);
	assert_int_equal(state_of(&c2), TQ_TCPS_ESTABLISHED);
	abort_conn(&c2, 1, 1);
	tt_fx_end(&f, 0);
}

/*
 * RFC 6191 2 (and Linux tcp_timewait_state_process): with timestamps, a
 * SYN whose TSval equals the last one seen is a new connection when its
 * sequence number is above RCV.NXT (a peer whose timestamp clock has
 * not ticked since its FIN).
 */
static void
time_wait_reopen_equal_ts(void **state)
{
	static struct tt_fx f;
	static struct tq_tcptest_conn c2;

	tt_fx_begin(&f);
	start(&f, true);
	tt_passive_open(&f.c);
	into_time_wait(&f.c);
	/* Same millisecond, same peer clock: the same TSval. */
	tt_conn_init(&c2, &f.t, "10.0.0.1", 40000, "10.0.0.2", 80);
	c2.piss = f.c.piss + 100000;
	acc_to = &c2;
	tt_passive_open(&c2);
	assert_int_equal(c2.peer_tsval, f.c.peer_tsval);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TW_REOPENED), 1);
	abort_conn(&c2, 1, 1);
	tt_fx_end(&f, 0);
}

/*
 * Like tcp_max_tw_buckets: with conf.max_tw = 1, the second connection
 * to close skips TIME_WAIT (TCPTimeWaitOverflow) and is gone at once;
 * the TcpTimeWait gauge stays at the bound.
 */
static void
time_wait_bound(void **state)
{
	static struct tt_fx f;
	static struct tq_tcptest_conn c2;
	struct tq_tcptest_seg sg;

	tt_fx_begin(&f);
	f.t.conf.max_tw = 1;
	start(&f, true);
	tt_passive_open(&f.c);
	tt_conn_init(&c2, &f.t, "10.0.0.1", 40001, "10.0.0.2", 80);
	acc_to = &c2;
	tt_passive_open(&c2);
	into_time_wait(&f.c);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TW_COUNT), 1);
	tq_stream_close(c2.st);
	tt_advance(&c2, 0);
	tt_expect(&c2, "F.", 1, 1, 0);
	tt_in(&c2, "F.", 1, 2, 0);
	tt_expect(&c2, ".", 2, 2, 0);
	assert_null(tt_tcb(&c2));
	assert_int_equal(c2.n_closed, 1);
	assert_int_equal(c2.why, TQ_CLOSE_NORMAL);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TW_OVERFLOW), 1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TW_COUNT), 1);
	assert_int_equal(tq_tcptest_nconns(&f.t), 1);
	/* Its 4-tuple is free: a late FIN meets a RST. */
	tt_in(&c2, "F.", 1, 2, 0);
	assert_true(tt_out(&c2, &sg));
	assert_int_equal(sg.flags, TQ_TH_RST);
	assert_int_equal(sg.rseq, 2);
	/* The first leaves after 2MSL. */
	tt_at(&f.c, TT_S(61));
	assert_null(tt_tcb(&f.c));
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TW_COUNT), 0);
	tt_fx_end(&f, 0);
}

/* The host sends n bytes; the peer ACKs everything it has each round. */
static void
bulk(struct tq_tcptest_conn *c, uint32_t n)
{
	struct tq_tcptest_seg sg;
	uint32_t top = 1;
	unsigned int rounds = 0;

	write_pattern(c->st, 0, n);
	tt_advance(c, 0);
	while (top != n + 1) {
		while (tt_out(c, &sg)) {
			assert_int_equal(sg.flags & ~TQ_TH_PSH, TQ_TH_ACK);
			if (sg.rseq + sg.len > top)
				top = sg.rseq + sg.len;
		}
		assert_true(++rounds < 100);
		tt_in(c, ".", 1, top, 0);
	}
	tt_none(c);
}

/*
 * tw_reuse (Linux tcp_tw_reuse = 1): a connect with a fixed source port
 * may take a 4-tuple still in TIME_WAIT when that connection had
 * timestamps and entered TIME_WAIT over a second ago (before:
 * -EADDRINUSE); the new ISS starts past the old SND.NXT + 65535 (here
 * the old one sent 256 KB, more than the ISN clock moves in a second),
 * TWRecycled.  Without timestamps the tuple stays taken.
 */
static void
tw_reuse(void **state)
{
	static struct tt_fx f;
	static struct tq_tcptest_conn c2, c3;
	struct tq_addr dst = tq_test_addr("10.0.0.1");
	uint32_t old_nxt;
	int err = 0;

	tt_fx_begin(&f);
	f.t.conf.tw_reuse = true;
	start(&f, false);
	f.c.hport = 5000;
	f.c.win = 4096; /* << 7: 512 KB */
	tt_active_open(&f.c);
	tt_mark(&f.c);
	bulk(&f.c, 256 * 1024);
	tq_stream_close(f.c.st);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "F.", 262145, 1, 0);
	tt_in(&f.c, "F.", 1, 262146, 0);
	tt_expect(&f.c, ".", 262146, 2, 0);
	assert_int_equal(state_of(&f.c), TQ_TCPS_TIME_WAIT);
	old_nxt = tt_tcb(&f.c)->snd_nxt;
	assert_int_equal(old_nxt, f.c.hiss + 262146);
	/* A second one without timestamps, from port 5001. */
	tt_conn_init(&c3, &f.t, "10.0.0.1", 8080, "10.0.0.2", 5001);
	c3.ts = false;
	tt_active_open(&c3);
	into_time_wait(&c3);
	tt_at(&f.c, TT_MS(999));
	assert_null(tq_tcp_connect(f.t.h.s, &dst, 8080, NULL, 5000,
			&tq_tcptest_ops, &c2, &err));
	assert_int_equal(err, -EADDRINUSE);
	tt_at(&f.c, TT_MS(1001));
	err = 0;
	assert_null(tq_tcp_connect(f.t.h.s, &dst, 8080, NULL, 5001,
			&tq_tcptest_ops, &c2, &err));
	assert_int_equal(err, -EADDRINUSE);
	assert_int_equal(state_of(&c3), TQ_TCPS_TIME_WAIT);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TW_REUSED), 0);
	tt_conn_init(&c2, &f.t, "10.0.0.1", 8080, "10.0.0.2", 5000);
	tt_active_open(&c2);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TW_REUSED), 1);
	if (!SEQ_GT(c2.hiss, old_nxt + 65535))
		fail_msg("reused 4-tuple: ISS %u is not past the old SND.NXT "
				"%u + 65535", c2.hiss, old_nxt);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TW_COUNT), 1);
	abort_conn(&c2, 1, 1);
	tt_at(&f.c, TT_S(61));
	assert_null(tt_tcb(&c3));
	tt_fx_end(&f, 0);
}

/* Without tw_reuse a TIME_WAIT 4-tuple is taken until 2MSL ends. */
static void
tw_reuse_off(void **state)
{
	static struct tt_fx f;
	static struct tq_tcptest_conn c2;
	struct tq_addr dst = tq_test_addr("10.0.0.1");
	int err = 0;

	tt_fx_begin(&f);
	start(&f, false);
	f.c.hport = 5000;
	tt_active_open(&f.c);
	tt_mark(&f.c);
	into_time_wait(&f.c);
	tt_at(&f.c, TT_S(2));
	assert_null(tq_tcp_connect(f.t.h.s, &dst, 8080, NULL, 5000,
			&tq_tcptest_ops, &c2, &err));
	assert_int_equal(err, -EADDRINUSE);
	tt_at(&f.c, TT_S(60));
	assert_null(tt_tcb(&f.c));
	tt_conn_init(&c2, &f.t, "10.0.0.1", 8080, "10.0.0.2", 5000);
	tt_active_open(&c2);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TW_REUSED), 0);
	abort_conn(&c2, 1, 1);
	tt_fx_end(&f, 0);
}

/* ------------------------------------------------------------------ */
/* ports                                                               */

static void
nop_accept(struct tq_shard *s, struct tq_listener *l, void *arg)
{
	RTE_SET_USED(s);
	RTE_SET_USED(l);
	RTE_SET_USED(arg);
}

/*
 * Bind rules as Linux without SO_REUSEPORT: a port twice, a specific
 * address under the wildcard and the wildcard over a specific address
 * conflict (EADDRINUSE); two different specific addresses share a port;
 * port 0 is no port to listen on.
 */
static void
listen_bind_rules(void **state)
{
	static struct tq_tcp_listen_table lt;
	struct tq_addr a2 = tq_test_addr("10.0.0.2");
	struct tq_addr a3 = tq_test_addr("10.0.0.3");
	struct tq_addr six = tq_test_addr("2001:db8::2");
	struct tq_addr any4 = tq_test_addr("0.0.0.0");

	unsigned int avail = tq_test_pool_avail();

	memset(&lt, 0, sizeof(lt));
	assert_int_equal(tq_tcp_listen_table_add(&lt, NULL, 80, 8, nop_accept,
			NULL), 0);
	assert_int_equal(tq_tcp_listen_table_add(&lt, NULL, 80, 8, nop_accept,
			NULL), -EADDRINUSE);
	assert_int_equal(tq_tcp_listen_table_add(&lt, &a2, 80, 8, nop_accept,
			NULL), -EADDRINUSE);
	assert_int_equal(tq_tcp_listen_table_add(&lt, &a2, 81, 8, nop_accept,
			NULL), 0);
	assert_int_equal(tq_tcp_listen_table_add(&lt, &a2, 81, 8, nop_accept,
			NULL), -EADDRINUSE);
	assert_int_equal(tq_tcp_listen_table_add(&lt, NULL, 81, 8, nop_accept,
			NULL), -EADDRINUSE);
	assert_int_equal(tq_tcp_listen_table_add(&lt, &any4, 81, 8,
			nop_accept, NULL), -EADDRINUSE);
	assert_int_equal(tq_tcp_listen_table_add(&lt, &a3, 81, 8, nop_accept,
			NULL), 0);
	assert_int_equal(tq_tcp_listen_table_add(&lt, &six, 81, 8, nop_accept,
			NULL), 0);
	/* 0.0.0.0 is the wildcard too. */
	assert_int_equal(tq_tcp_listen_table_add(&lt, &any4, 82, 8,
			nop_accept, NULL), 0);
	assert_int_equal(tq_tcp_listen_table_add(&lt, &a2, 82, 8, nop_accept,
			NULL), -EADDRINUSE);
	assert_int_equal(tq_tcp_listen_table_add(&lt, &a2, 0, 8, nop_accept,
			NULL), -EINVAL);
	assert_int_equal(tq_tcp_listen_table_add(&lt, NULL, 0, 8, nop_accept,
			NULL), -EINVAL);
	assert_int_equal(lt.n, 5);
	tq_tcptest_check_pool(avail);
}

struct usink {
	unsigned int n;
	uint16_t dport;
};

static void
usink_cb(struct tq_shard *s, struct tq_udp_dgram *d, void *arg)
{
	struct usink *k = arg;

	RTE_SET_USED(s);
	k->n++;
	k->dport = d->dport;
	rte_pktmbuf_free(d->m);
}

/* TCP and UDP are separate port spaces: both bound to 53, each gets its
 * own traffic (no RST, no ICMP port unreachable). */
static void
tcp_udp_share_port(void **state)
{
	static struct tt_fx f;
	static struct usink k;
	uint8_t frame[256];
	uint32_t len;

	tt_fx_begin(&f);
	memset(&k, 0, sizeof(k));
	assert_int_equal(tq_tcptest_listen(&f.t, NULL, 53, 16, accept_to,
			NULL), 0);
	start(&f, false);
	assert_int_equal(tq_udp_table_bind(&f.t.h.udp, NULL, 53, usink_cb,
			&k), 0);
	tt_conn_init(&f.c, &f.t, "10.0.0.1", 40000, "10.0.0.2", 53);
	len = tq_test_build_udp4(frame, f.t.h.ifc.mac.addr_bytes, "10.0.0.1",
			"10.0.0.2", 5353, 53, "query", 5);
	tq_test_wire_send(&f.t.h, frame, len);
	tt_advance(&f.c, 0);
	tt_none(&f.c); /* fails on anything, ICMP included */
	assert_int_equal(k.n, 1);
	assert_int_equal(k.dport, 53);
	tt_passive_open(&f.c);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_NO_PORT), 0);
	tq_test_wire_send(&f.t.h, frame, len);
	tt_advance(&f.c, 0);
	tt_none(&f.c);
	assert_int_equal(k.n, 2);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_ICMP_OUT_DEST_UNREACHS),
			0);
	abort_conn(&f.c, 1, 1);
	tt_fx_end(&f, 0);
}

static uint16_t
lport_of(struct tq_stream *st)
{
	struct tq_conn_info info;

	tq_stream_info(st, &info);
	return info.lport;
}

/*
 * Ephemeral ports are picked at connect from the range, unique per
 * 4-tuple (RFC 6056), not per port: two connects to one peer and port
 * get two local ports; the same local port serves another peer or
 * another peer port; when every port of the range is taken for a
 * 4-tuple, -EADDRNOTAVAIL.
 */
static void
ephemeral_ports(void **state)
{
	static struct tt_fx f;
	struct tq_addr p1 = tq_test_addr("10.0.0.1");
	struct tq_addr p3 = tq_test_addr("10.0.0.3");
	struct tq_stream *st[4];
	unsigned int i;
	int err = 0;

	tt_fx_begin(&f);
	f.t.conf.eport_lo = 50000;
	f.t.conf.eport_hi = 50001;
	start(&f, false);
	tq_test_host_learn(&f.t.h, "10.0.0.3");
	st[0] = tq_tcp_connect(f.t.h.s, &p1, 80, NULL, 0, NULL, NULL, &err);
	assert_non_null(st[0]);
	st[1] = tq_tcp_connect(f.t.h.s, &p1, 80, NULL, 0, NULL, NULL, &err);
	assert_non_null(st[1]);
	assert_int_not_equal(lport_of(st[0]), lport_of(st[1]));
	st[2] = tq_tcp_connect(f.t.h.s, &p3, 80, NULL, 0, NULL, NULL, &err);
	assert_non_null(st[2]);
	st[3] = tq_tcp_connect(f.t.h.s, &p1, 81, NULL, 0, NULL, NULL, &err);
	assert_non_null(st[3]);
	for (i = 0; i < 4; i++) {
		assert_true(lport_of(st[i]) >= 50000);
		assert_true(lport_of(st[i]) <= 50001);
	}
	/* Only two ports: the third to 10.0.0.1:80 has none left. */
	assert_null(tq_tcp_connect(f.t.h.s, &p1, 80, NULL, 0, NULL, NULL,
			&err));
	assert_int_equal(err, -EADDRNOTAVAIL);
	assert_int_equal(tq_tcptest_nconns(&f.t), 4);
	for (i = 0; i < 4; i++)
		tq_stream_abort(st[i], 0); /* SYN_SENT: no RST */
	tt_advance(&f.c, 0);
	assert_int_equal(tq_test_wire_drain(&f.t.h), 4); /* the SYNs */
	tt_fx_end(&f, 0);
}

/*
 * A listener's port is not a connect's: bound explicitly it gives
 * -EADDRINUSE (Linux refuses even with SO_REUSEADDR), and the ephemeral
 * search skips it.
 */
static void
connect_avoids_listener_ports(void **state)
{
	static struct tt_fx f;
	struct tq_addr p1 = tq_test_addr("10.0.0.1");
	struct tq_addr p3 = tq_test_addr("10.0.0.3");
	struct tq_stream *st[2];
	int err = 0;

	tt_fx_begin(&f);
	f.t.conf.eport_lo = 50000;
	f.t.conf.eport_hi = 50001;
	assert_int_equal(tq_tcptest_listen(&f.t, NULL, 50000, 16, accept_to,
			NULL), 0);
	start(&f, false);
	tq_test_host_learn(&f.t.h, "10.0.0.3");
	assert_null(tq_tcp_connect(f.t.h.s, &p1, 80, NULL, 50000, NULL, NULL,
			&err));
	assert_int_equal(err, -EADDRINUSE);
	st[0] = tq_tcp_connect(f.t.h.s, &p1, 80, NULL, 0, NULL, NULL, &err);
	assert_non_null(st[0]);
	st[1] = tq_tcp_connect(f.t.h.s, &p3, 80, NULL, 0, NULL, NULL, &err);
	assert_non_null(st[1]);
	assert_int_equal(lport_of(st[0]), 50001);
	assert_int_equal(lport_of(st[1]), 50001);
	/* The only other port is the listener's: none left to 10.0.0.1. */
	assert_null(tq_tcp_connect(f.t.h.s, &p1, 80, NULL, 0, NULL, NULL,
			&err));
	assert_int_equal(err, -EADDRNOTAVAIL);
	tq_stream_abort(st[0], 0);
	tq_stream_abort(st[1], 0);
	tt_advance(&f.c, 0);
	assert_int_equal(tq_test_wire_drain(&f.t.h), 2); /* the SYNs */
	tt_fx_end(&f, 0);
}

/* RFC 9293 3.10.7.1 over IPv6 as well: no listener, RST (TcpNoPort). */
static void
no_listener_v6(void **state)
{
	static struct tt_fx f;
	struct tq_tcptest_seg sg;

	tt_fx_begin(&f);
	assert_int_equal(tq_tcptest_listen(&f.t, NULL, 80, 16, accept_to,
			NULL), 0);
	assert_int_equal(tq_tcptest_start(&f.t, 2, addrs6), 0);
	tq_test_host_learn(&f.t.h, "2001:db8::1");
	tt_conn_init(&f.c, &f.t, "2001:db8::1", 40000, "2001:db8::2", 81);
	f.c.hiss_known = true; /* no host ISN: raw numbers */
	tt_in(&f.c, "S", 0, 0, 0);
	assert_true(tt_out(&f.c, &sg));
	assert_int_equal(sg.flags, TQ_TH_RST | TQ_TH_ACK);
	assert_int_equal(sg.seq, 0);
	assert_int_equal(sg.ack, f.c.piss + 1);
	tt_in(&f.c, ".", 1, 777, 0);
	assert_true(tt_out(&f.c, &sg));
	assert_int_equal(sg.flags, TQ_TH_RST);
	assert_int_equal(sg.seq, 777);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_NO_PORT), 2);
	assert_int_equal(tq_tcptest_nconns(&f.t), 0);
	/* A RST for no connection is ignored (3.10.7.1), on a closed port
	 * and on one with a listener (3.10.7.2), and counted as such. */
	tt_in(&f.c, "R", 777, 0, 0);
	tt_none(&f.c);
	f.c.hport = 80;
	tt_in(&f.c, "R.", 777, 5, 0);
	tt_none(&f.c);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_RST_NO_CONN), 2);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_BAD_FLAGS), 0);
	assert_int_equal(tq_tcptest_nconns(&f.t), 0);
	tt_fx_end(&f, 0);
}

/*
 * Self-connect (RFC 9293 3.5): from our address and port to the same
 * address and port.  The SYN comes back through the loopback path, the
 * connection goes through simultaneous open to ESTABLISHED, connected()
 * is called, and what it writes it reads.
 */
static void
self_connect(void **state)
{
	static struct tt_fx f;
	struct tq_addr me = tq_test_addr("10.0.0.2");
	struct tq_stream *st;
	uint8_t buf[256];
	unsigned int i;
	int err = 1;

	tt_fx_begin(&f);
	start(&f, false);
	tt_conn_init(&f.c, &f.t, "10.0.0.2", 5000, "10.0.0.2", 5000);
	st = tq_tcp_connect(f.t.h.s, &me, 5000, &me, 5000, &tq_tcptest_ops,
			&f.c, &err);
	assert_non_null(st);
	assert_int_equal(err, 0);
	for (i = 0; i < 10 && !f.c.n_connected; i++)
		tt_advance(&f.c, TT_US(10));
	assert_int_equal(f.c.n_connected, 1);
	assert_true(tq_tcptest_ctr(&f.t, TQ_CTR_LOOP_PKTS) >= 2);
	assert_int_equal(tq_stream_tcb(st)->state, TQ_TCPS_ESTABLISHED);
	write_pattern(st, 0, 100);
	for (i = 0; i < 10 && tq_stream_readable(st) < 100; i++)
		tt_advance(&f.c, TT_US(10));
	assert_int_equal(tq_stream_readable(st), 100);
	assert_true(f.c.n_readable >= 1);
	assert_int_equal(tq_stream_read(st, buf, sizeof(buf)), 100);
	assert_int_equal(tq_tcptest_pattern_check(buf, 0, 100), -1);
	/* Its own ACK came back too: nothing in flight. */
	for (i = 0; i < 10; i++)
		tt_advance(&f.c, TT_US(10));
	assert_int_equal(tq_stream_tcb(st)->snd_una,
			tq_stream_tcb(st)->snd_max);
	assert_int_equal(tq_test_wire_drain(&f.t.h), 0);
	tq_stream_abort(st, 0);
	for (i = 0; i < 5; i++)
		tt_advance(&f.c, TT_US(10));
	assert_int_equal(f.c.n_closed, 1);
	assert_int_equal(f.c.why, TQ_CLOSE_ABORTED);
	assert_int_equal(tq_test_wire_drain(&f.t.h), 0);
	tt_fx_end(&f, 0);
}

/* ------------------------------------------------------------------ */
/* engine stop                                                         */

/* An idle established connection is closed in order: FIN. */
static void
shutdown_all_idle_fin(void **state)
{
	static struct tt_fx f;

	tt_fx_begin(&f);
	start(&f, false);
	tt_active_open(&f.c);
	tq_tcp_shutdown_all(f.t.h.s);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "F.", 1, 1, 0);
	assert_int_equal(state_of(&f.c), TQ_TCPS_FIN_WAIT_1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_OUT_RSTS), 0);
	tt_in(&f.c, "F.", 1, 2, 0);
	tt_expect(&f.c, ".", 2, 2, 0);
	assert_int_equal(f.c.n_closed, 1);
	assert_int_equal(f.c.why, TQ_CLOSE_NORMAL);
	tt_at(&f.c, TT_S(61));
	tt_fx_end(&f, 0);
}

/* One with received data the app never read: RST (TCPAbortOnClose), as
 * close() on it would. */
static void
shutdown_all_unread_rst(void **state)
{
	static struct tt_fx f;

	tt_fx_begin(&f);
	start(&f, false);
	tt_active_open(&f.c);
	tt_in(&f.c, "P.", 1, 1, 100);
	tt_expect(&f.c, ".", 1, 101, 0);
	tq_tcp_shutdown_all(f.t.h.s);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "R.", 1, 101, 0);
	assert_int_equal(f.c.n_closed, 1);
	assert_int_equal(f.c.why, TQ_CLOSE_ABORTED);
	assert_null(tt_tcb(&f.c));
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_OUT_RSTS), 1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_ABORT_ON_CLOSE), 1);
	tt_fx_end(&f, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TT_TEST(keepalive_silent_peer),
		TT_TEST(keepalive_live_peer),
		TT_TEST(keepalive_not_while_in_flight),
		TT_TEST(give_up_is_a_time),
		TT_TEST(give_up_configured),
		TT_TEST(old_ack_challenged),
		TT_TEST(paws_not_for_rst),
		TT_TEST(paws_idle_24_days),
		TT_TEST(time_wait_reopen_by_seq),
		TT_TEST(time_wait_reopen_by_ts),
		TT_TEST(time_wait_reopen_equal_ts),
		TT_TEST(time_wait_bound),
		TT_TEST(tw_reuse),
		TT_TEST(tw_reuse_off),
		TT_TEST(listen_bind_rules),
		TT_TEST(tcp_udp_share_port),
		TT_TEST(ephemeral_ports),
		TT_TEST(connect_avoids_listener_ports),
		TT_TEST(no_listener_v6),
		TT_TEST(self_connect),
		TT_TEST(shutdown_all_idle_fin),
		TT_TEST(shutdown_all_unread_rst),
	};

	if (tq_test_eal_init("tcp_behaviour") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
