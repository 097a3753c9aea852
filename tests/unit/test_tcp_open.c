/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP opens, one host driven by a scripted peer: passive open with the
 * options as offered (IPv4 and IPv6), the accept queue, RST for segments
 * without a connection, active open, refusal, and the SYN and SYN-ACK
 * retransmission limits, with exact times on the fake clock.
 */
#include "tq_tcptest.h"

#include <string.h>


/* Abort the host's side: RST|ACK out, closed(ABORTED). */
static void
abort_conn(struct tt_fx *f, uint32_t seq, uint32_t ack)
{
	assert_non_null(f->c.st);
	tq_stream_abort(f->c.st, 0);
	tt_advance(&f->c, 0);
	tt_expect(&f->c, "R.", seq, ack, 0);
	assert_int_equal(f->c.n_closed, 1);
	assert_int_equal(f->c.why, TQ_CLOSE_ABORTED);
}

static void
passive_open_v4(void **state)
{
	static struct tt_fx f;
	struct tq_conn_info info;
	struct tq_tcb *tp;

	tt_fx_begin(&f);
	tt_fx_start(&f, false, 16);
	/* SYN <mss 1460,sackOK,TS,wscale 7> -> SYN-ACK <mss 1460,sackOK,
	 * TS,wscale 3> (256 KB buffer) -> ACK -> ESTABLISHED, accepted. */
	tt_passive_open(&f.c);
	assert_int_equal(f.c.n_accept, 1);
	assert_int_equal(f.c.n_connected, 0);
	tp = tq_stream_tcb(f.c.st);
	assert_ptr_equal(tp, tt_tcb(&f.c));
	assert_int_equal(tp->iss, f.c.hiss);
	assert_int_equal(tp->snd_scale, 7);
	assert_int_equal(tp->rcv_scale, 3);
	assert_true(tp->flags & TF_SACK_OK);
	assert_true(tp->flags & TF_TS_OK);
	assert_true(tp->flags & TF_WS_OK);
	/* A second accept finds the queue empty. */
	assert_null(tq_tcp_accept(f.c.l, &tq_tcptest_ops, &f.c));
	tq_stream_info(f.c.st, &info);
	assert_string_equal(info.state, "ESTABLISHED");
	assert_int_equal(info.lport, 80);
	assert_int_equal(info.rport, 40000);
	/* MSS 1460 less the 12 bytes of timestamps on every segment. */
	assert_int_equal(info.mss, 1448);
	/* Window of the ACK: 128 KB scaled by 7. */
	assert_int_equal(info.snd_wnd, 1024u << 7);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_PASSIVE_OPENS), 1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_CURR_ESTAB), 1);
	assert_int_equal(tq_tcptest_tcp(&f.t)->listeners[0].syn_count, 0);
	abort_conn(&f, 1, 1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_ESTAB_RESETS), 1);
	tt_fx_end(&f, 0);
}

/*
 * The metrics page's figures: connections by state follow the
 * connection, and a handshake lands once in the histogram.
 */
static void
open_state_metrics(void **state)
{
	static struct tt_fx f;
	struct tq_tcp *t;
	uint64_t n = 0;
	unsigned int b, st;

	tt_fx_begin(&f);
	tt_fx_start(&f, false, 16);
	t = tq_tcptest_tcp(&f.t);
	tt_passive_open(&f.c);
	assert_int_equal(t->nstate[TQ_TCPS_ESTABLISHED], 1);
	for (b = 0; b <= TQ_TCP_HS_BUCKETS; b++)
		n += t->hs_count[b];
	assert_int_equal(n, 1);
	tq_stream_shutdown(f.c.st);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "F.", 1, 1, 0);
	assert_int_equal(t->nstate[TQ_TCPS_ESTABLISHED], 0);
	assert_int_equal(t->nstate[TQ_TCPS_FIN_WAIT_1], 1);
	abort_conn(&f, 2, 1);
	for (st = 0; st < TQ_TCPS_MAX; st++)
		assert_int_equal(t->nstate[st], 0);
	tt_fx_end(&f, 0);
}

/*
 * The client speaks first (HTTP): its first segment lies in the window
 * the SYN-ACK advertised, so it is accepted, ACKed and readable.  The
 * ACK's window is scaled by our shift (3).
 */
static void
passive_open_first_data(void **state)
{
	static struct tt_fx f;
	struct tq_tcptest_seg sg;
	uint8_t buf[64];

	tt_fx_begin(&f);
	tt_fx_start(&f, false, 16);
	tt_passive_open(&f.c);
	tt_in(&f.c, "P.", 1, 1, 20);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_OUT_OF_WINDOW), 0);
	assert_int_equal(tq_stream_readable(f.c.st), 20);
	assert_int_equal(f.c.n_readable, 1);
	sg = tt_expect(&f.c, ".", 1, 21, 0);
	assert_int_equal(sg.win, (256u * 1024 - 20) >> 3);
	assert_int_equal(tq_stream_read(f.c.st, buf, sizeof(buf)), 20);
	assert_int_equal(tq_tcptest_pattern_check(buf, 0, 20), -1);
	abort_conn(&f, 1, 21);
	tt_fx_end(&f, 0);
}

/* As above, for a connection still waiting on the accept queue: the
 * data is kept for the app that accepts later. */
static void
passive_open_data_before_accept(void **state)
{
	static struct tt_fx f;
	uint8_t buf[64];

	tt_fx_begin(&f);
	tt_fx_start(&f, false, 16);
	f.c.no_accept = true;
	tt_passive_open(&f.c);
	tt_in(&f.c, "P.", 1, 1, 30);
	tt_expect(&f.c, ".", 1, 31, 0);
	f.c.st = tq_tcp_accept(f.c.l, &tq_tcptest_ops, &f.c);
	assert_non_null(f.c.st);
	assert_int_equal(tq_stream_read(f.c.st, buf, sizeof(buf)), 30);
	assert_int_equal(tq_tcptest_pattern_check(buf, 0, 30), -1);
	abort_conn(&f, 1, 31);
	tt_fx_end(&f, 0);
}

static void
passive_open_v6(void **state)
{
	static struct tt_fx f;
	struct tq_conn_info info;
	uint8_t b[10];

	tt_fx_begin(&f);
	tt_fx_start(&f, true, 16);
	tt_passive_open(&f.c); /* checks MSS 1440 on the SYN-ACK */
	tq_stream_info(f.c.st, &info);
	assert_int_equal(info.raddr.family, AF_INET6);
	assert_int_equal(info.mss, 1440 - 12);
	/* The server speaks first here. */
	tq_tcptest_pattern_fill(b, 0, sizeof(b));
	assert_int_equal(tq_stream_write(f.c.st, b, sizeof(b)), 10);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "P.", 1, 1, 10);
	tt_in(&f.c, "P.", 1, 11, 100);
	tt_expect(&f.c, ".", 11, 101, 0);
	assert_int_equal(tq_stream_readable(f.c.st), 100);
	/* Closed with unread data: RST (RFC 9293 3.6.1). */
	tq_stream_close(f.c.st);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "R.", 11, 101, 0);
	assert_int_equal(f.c.why, TQ_CLOSE_ABORTED);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_ABORT_ON_CLOSE), 1);
	tt_fx_end(&f, 0);
}

/*
 * Every combination of what the peer offers: the SYN-ACK carries exactly
 * the options offered (RFC 7323, RFC 2018), and the connection uses them.
 */
static void
passive_open_options_as_offered(void **state)
{
	static struct tt_fx f;
	unsigned int combo;

	tt_fx_begin(&f);
	tt_fx_start(&f, false, 16);
	for (combo = 0; combo < 16; combo++) {
		struct tq_tcptest_conn *c = &f.c;
		struct tq_tcb *tp;
		uint16_t want_mss;

		tt_conn_init(c, &f.t, "10.0.0.1", (uint16_t)(41000 + combo),
				"10.0.0.2", 80);
		c->sack_perm = combo & 1;
		c->ts = combo & 2;
		c->ws_on = combo & 4;
		c->mss = (combo & 8) ? 1200 : 0;
		tt_passive_open(c);
		tp = tq_stream_tcb(c->st);
		/* Without an MSS option, 536 (RFC 9293 3.7.1). */
		want_mss = (combo & 8) ? 1200 : 536;
		if (combo & 2)
			want_mss -= 12;
		assert_int_equal(tp->mss, want_mss);
		assert_int_equal(!!(tp->flags & TF_SACK_OK), !!(combo & 1));
		assert_int_equal(!!(tp->flags & TF_TS_OK), !!(combo & 2));
		assert_int_equal(!!(tp->flags & TF_WS_OK), !!(combo & 4));
		assert_int_equal(tp->snd_scale, (combo & 4) ? 7 : 0);
		assert_int_equal(tp->rcv_scale, (combo & 4) ? 3 : 0);
		abort_conn(&f, 1, 1);
	}
	tt_fx_end(&f, 0);
}

/* A host configured without SACK, timestamps and window scaling offers
 * none of them, whatever the peer does. */
static void
passive_open_options_disabled(void **state)
{
	static struct tt_fx f;
	struct tq_tcb *tp;

	tt_fx_begin(&f);
	f.t.conf.sack = false;
	f.t.conf.timestamps = false;
	f.t.conf.wscale = false;
	tt_fx_start(&f, false, 16);
	tt_passive_open(&f.c); /* checks: only MSS on the SYN-ACK */
	tp = tq_stream_tcb(f.c.st);
	assert_int_equal(tp->flags & (TF_SACK_OK | TF_TS_OK | TF_WS_OK), 0);
	assert_int_equal(tp->mss, 1460);
	assert_int_equal(tp->snd_scale, 0);
	abort_conn(&f, 1, 1);
	tt_fx_end(&f, 0);
}

/*
 * RFC 9293 3.10.7.4: the third ACK may carry data (it does whenever the
 * client's plain ACK was lost or reordered); the data is acceptable in
 * the window the SYN-ACK offered, the connection is established and the
 * data delivered.
 */
static void
third_ack_with_data(void **state)
{
	static struct tt_fx f;
	struct tq_tcptest_seg sg;
	uint8_t buf[256];

	tt_fx_begin(&f);
	tt_fx_start(&f, false, 16);
	tt_in(&f.c, "S", 0, 0, 0);
	if (!tt_out(&f.c, &sg))
		fail_msg("no SYN-ACK");
	assert_int_equal(sg.flags, TQ_TH_SYN | TQ_TH_ACK);
	tt_in(&f.c, "P.", 1, 1, 100);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_OUT_OF_WINDOW), 0);
	assert_int_equal(f.c.n_accept, 1);
	assert_non_null(f.c.st);
	assert_int_equal(tq_stream_tcb(f.c.st)->state, TQ_TCPS_ESTABLISHED);
	/* PSH on a short segment: ACKed at once. */
	tt_expect(&f.c, ".", 1, 101, 0);
	assert_int_equal(tq_stream_read(f.c.st, buf, sizeof(buf)), 100);
	assert_int_equal(tq_tcptest_pattern_check(buf, 0, 100), -1);
	abort_conn(&f, 1, 101);
	tt_fx_end(&f, 0);
}

/* RFC 9293 3.10.7.1: a SYN to a port nobody listens on. */
static void
syn_to_closed_port(void **state)
{
	static struct tt_fx f;
	struct tq_tcptest_seg sg;

	tt_fx_begin(&f);
	tt_fx_start(&f, false, 0);
	f.c.hport = 81;
	f.c.hiss_known = true; /* there is no host ISN: ack fields raw */
	tt_in(&f.c, "S", 0, 0, 0);
	assert_true(tt_out(&f.c, &sg));
	/* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, no options. */
	assert_int_equal(sg.flags, TQ_TH_RST | TQ_TH_ACK);
	assert_int_equal(sg.seq, 0);
	assert_int_equal(sg.ack, f.c.piss + 1);
	assert_int_equal(sg.len, 0);
	assert_int_equal(sg.optlen, 0);
	/* SEG.LEN counts SYN, data and FIN. */
	tt_in_data(&f.c, "S", 0, 0, "0123456789", 10);
	assert_true(tt_out(&f.c, &sg));
	assert_int_equal(sg.ack, f.c.piss + 11);
	f.c.ts = false;
	tt_in(&f.c, "F", 5, 0, 0);
	assert_true(tt_out(&f.c, &sg));
	assert_int_equal(sg.flags, TQ_TH_RST | TQ_TH_ACK);
	assert_int_equal(sg.seq, 0);
	assert_int_equal(sg.ack, f.c.piss + 6);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_NO_PORT), 3);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_OUT_RSTS), 3);
	assert_int_equal(tq_tcptest_nconns(&f.t), 0);
	tt_fx_end(&f, 0);
}

/* A non-SYN segment for no connection: <SEQ=SEG.ACK><CTL=RST>. */
static void
segment_without_connection(void **state)
{
	static struct tt_fx f;
	struct tq_tcptest_seg sg;

	tt_fx_begin(&f);
	tt_fx_start(&f, false, 16);
	f.c.hiss = 0x12345678;
	f.c.hiss_known = true;
	/* To the listening port: LISTEN answers any ACK with RST. */
	tt_in(&f.c, ".", 1, 1000, 0);
	assert_true(tt_out(&f.c, &sg));
	assert_int_equal(sg.flags, TQ_TH_RST);
	assert_int_equal(sg.seq, 0x12345678u + 1000);
	assert_int_equal(sg.optlen, 0);
	/* To a closed port, with data. */
	f.c.hport = 81;
	tt_in(&f.c, "P.", 1, 77, 300);
	assert_true(tt_out(&f.c, &sg));
	assert_int_equal(sg.flags, TQ_TH_RST);
	assert_int_equal(sg.seq, 0x12345678u + 77);
	/* A RST for no connection is never answered. */
	tt_in(&f.c, "R.", 1, 77, 0);
	tt_in(&f.c, "R", 1, 0, 0);
	f.c.hport = 80;
	tt_in(&f.c, "R", 1, 0, 0);
	tt_none(&f.c);
	/* LISTEN drops a bare FIN and a SYN+FIN. */
	tt_in(&f.c, "F", 1, 0, 0);
	tt_in(&f.c, "SF", 0, 0, 0);
	tt_none(&f.c);
	assert_int_equal(tq_tcptest_nconns(&f.t), 0);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_OUT_RSTS), 2);
	tt_fx_end(&f, 0);
}

static void
active_open(void **state)
{
	static struct tt_fx f;
	struct tq_conn_info info;
	struct tq_tcb *tp;

	tt_fx_begin(&f);
	tt_fx_start(&f, false, 0);
	f.c.pport = 8080;
	tt_active_open(&f.c); /* SYN <mss 1460,sackOK,TS val 0,wscale 3> */
	/* The first ephemeral port of the range. */
	assert_int_equal(f.c.hport, 32768);
	tp = tq_stream_tcb(f.c.st);
	assert_ptr_equal(tp, tt_tcb(&f.c));
	assert_int_equal(tp->snd_scale, 7);
	assert_int_equal(tp->rcv_scale, 3);
	/* The SYN-ACK's window is not scaled (RFC 7323 2.2). */
	assert_int_equal(tp->snd_wnd, 65535);
	tq_stream_info(f.c.st, &info);
	assert_string_equal(info.state, "ESTABLISHED");
	assert_int_equal(info.rport, 8080);
	assert_int_equal(info.mss, 1448);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_ACTIVE_OPENS), 1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_CURR_ESTAB), 1);
	/* Data both ways. */
	{
		uint8_t b[300];

		tq_tcptest_pattern_fill(b, 0, sizeof(b));
		assert_int_equal(tq_stream_write(f.c.st, b, sizeof(b)), 300);
		tt_advance(&f.c, 0);
		tt_expect(&f.c, "P.", 1, 1, 300);
		tt_in(&f.c, ".", 1, 301, 0);
		assert_int_equal(f.c.acked_total, 300);
	}
	abort_conn(&f, 301, 1);
	tt_fx_end(&f, 0);
}

/* RFC 9293 3.10.7.3: a RST with an acceptable ACK refuses the open. */
static void
active_open_refused(void **state)
{
	static struct tt_fx f;
	struct tq_addr dst;
	struct tq_tcptest_seg sg;
	int err;

	tt_fx_begin(&f);
	tt_fx_start(&f, false, 0);
	f.c.pport = 8080;
	dst = tq_test_addr("10.0.0.1");
	f.c.st = tq_tcp_connect(f.t.h.s, &dst, 8080, NULL, 0, &tq_tcptest_ops,
			&f.c, &err);
	assert_non_null(f.c.st);
	tt_advance(&f.c, 0);
	assert_true(tt_out(&f.c, &sg));
	assert_int_equal(sg.flags, TQ_TH_SYN);
	/* Still connecting: nothing can be written or spliced into it yet
	 * (a relay waits for connected()); nothing goes out. */
	assert_int_equal(tq_stream_write(f.c.st, "x", 1), -ENOTCONN);
	assert_int_equal(tq_stream_splice(f.c.st, f.c.st, 100), -ENOTCONN);
	tt_none(&f.c);
	f.c.ts = false;
	/* Unacceptable ACK with RST: dropped.  RST without ACK: dropped. */
	tt_in(&f.c, "R.", 0, 5, 0);
	tt_in(&f.c, "R", 0, 0, 0);
	tt_none(&f.c);
	assert_int_equal(f.c.n_closed, 0);
	assert_non_null(tt_tcb(&f.c));
	/* Unacceptable ACK without RST: <SEQ=SEG.ACK><CTL=RST>. */
	tt_in(&f.c, "S.", 0, 0, 0);
	assert_true(tt_out(&f.c, &sg));
	assert_int_equal(sg.flags, TQ_TH_RST);
	assert_int_equal(sg.seq, f.c.hiss);
	assert_int_equal(f.c.n_closed, 0);
	/* The real refusal. */
	tt_in(&f.c, "R.", 0, 1, 0);
	tt_none(&f.c);
	assert_int_equal(f.c.n_closed, 1);
	assert_int_equal(f.c.why, TQ_CLOSE_REFUSED);
	assert_int_equal(f.c.n_connected, 0);
	assert_null(f.c.st);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_ATTEMPT_FAILS), 1);
	assert_string_equal(tq_close_reason_str(TQ_CLOSE_REFUSED), "refused");
	tt_fx_end(&f, 0);
}

/*
 * SYN retransmissions: RTO 1 s doubling (RFC 6298 2.1, 5.5), given up
 * after syn_retries = 6 at 127 s like Linux, closed(TIMEOUT).
 */
static void
syn_retransmit_give_up(void **state)
{
	static const struct tt_step script[] = {
		{ 1000, '>', "S", 0, 0, 0, 65535 },
		{ 3000, '>', "S", 0, 0, 0, 65535 },
		{ 7000, '>', "S", 0, 0, 0, 65535 },
		{ 15000, '>', "S", 0, 0, 0, 65535 },
		{ 31000, '>', "S", 0, 0, 0, 65535 },
		{ 63000, '>', "S", 0, 0, 0, 65535 },
	};
	static struct tt_fx f;
	struct tq_addr dst;
	struct tq_tcptest_seg sg;
	int err;

	tt_fx_begin(&f);
	tt_fx_start(&f, false, 0);
	f.c.pport = 8080;
	dst = tq_test_addr("10.0.0.1");
	f.c.st = tq_tcp_connect(f.t.h.s, &dst, 8080, NULL, 0, &tq_tcptest_ops,
			&f.c, &err);
	assert_non_null(f.c.st);
	tt_mark(&f.c);
	tt_advance(&f.c, 0);
	assert_true(tt_out(&f.c, &sg));
	assert_int_equal(sg.flags, TQ_TH_SYN);
	TT_RUN(&f.c, script);
	assert_int_equal(tq_tcp_retries_timeout(TT_S(1), TT_S(120), 6),
			TT_S(127));
	tt_at(&f.c, TT_S(127) - 1);
	assert_int_equal(f.c.n_closed, 0);
	tt_at(&f.c, TT_S(127));
	tt_none(&f.c);
	assert_int_equal(f.c.n_closed, 1);
	assert_int_equal(f.c.why, TQ_CLOSE_TIMEOUT);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TIMEOUTS), 6);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_ATTEMPT_FAILS), 1);
	tt_fx_end(&f, 0);
}

/* A SYN-ACK that draws no ACK: resent at 1, 3, 7, 15, 31 s, the entry
 * dropped at 63 s (synack_retries = 5). */
static void
synack_retransmit_give_up(void **state)
{
	static const struct tt_step script[] = {
		{ 0, '<', "S", 0, 0, 0, -1 },
		{ 0, '>', "S.", 0, 1, 0, 65535 },
		{ 1000, '>', "S.", 0, 1, 0, 65535 },
		{ 3000, '>', "S.", 0, 1, 0, 65535 },
		{ 7000, '>', "S.", 0, 1, 0, 65535 },
		{ 15000, '>', "S.", 0, 1, 0, 65535 },
		{ 31000, '>', "S.", 0, 1, 0, 65535 },
	};
	static struct tt_fx f;

	tt_fx_begin(&f);
	tt_fx_start(&f, false, 16);
	tt_mark(&f.c);
	TT_RUN(&f.c, script);
	assert_int_equal(tq_tcptest_nconns(&f.t), 1);
	assert_int_equal(tq_tcptest_tcp(&f.t)->listeners[0].syn_count, 1);
	tt_at(&f.c, TT_S(63));
	tt_none(&f.c);
	assert_null(tt_tcb(&f.c));
	assert_int_equal(tq_tcptest_tcp(&f.t)->listeners[0].syn_count, 0);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_LISTEN_DROPS), 1);
	assert_int_equal(f.c.n_accept, 0);
	/* The client's late ACK now finds only the listener: RST. */
	tt_in(&f.c, ".", 1, 1, 0);
	tt_expect(&f.c, "R", 1, 0, 0);
	tt_fx_end(&f, 0);
}

/* A retransmitted SYN-ACK gives no RTT sample (Karn), so the RTO stays
 * at its initial 1 s for the data that follows. */
static void
synack_retransmitted_then_ack(void **state)
{
	static const struct tt_step script[] = {
		{ 0, '<', "S", 0, 0, 0, -1 },
		{ 0, '>', "S.", 0, 1, 0, 65535 },
		{ 1000, '>', "S.", 0, 1, 0, 65535 },
		{ 1050, '<', ".", 1, 1, 0, -1 },
	};
	static struct tt_fx f;

	tt_fx_begin(&f);
	tt_fx_start(&f, false, 16);
	tt_mark(&f.c);
	TT_RUN(&f.c, script);
	assert_int_equal(f.c.n_accept, 1);
	assert_int_equal(tq_stream_tcb(f.c.st)->rto, TT_S(1));
	assert_int_equal(tq_stream_tcb(f.c.st)->srtt, 0);
	abort_conn(&f, 1, 1);
	tt_fx_end(&f, 0);
}

/*
 * Connections complete without accept() and wait on the accept queue,
 * up to the backlog; beyond it the SYN is dropped and counted.
 */
static void
accept_queue(void **state)
{
	static struct tt_fx f;
	struct tq_tcptest_conn c2;
	struct tq_stream *st;

	tt_fx_begin(&f);
	assert_int_equal(tq_tcptest_listen(&f.t, NULL, 80, 1,
			tq_tcptest_accept_cb, &f.c), 0);
	tt_fx_start(&f, false, 0);
	f.c.hport = 80;
	f.c.no_accept = true;
	tt_passive_open(&f.c);
	assert_int_equal(f.c.n_accept, 1);
	assert_null(f.c.st);
	assert_int_equal(tt_tcb(&f.c)->state, TQ_TCPS_ESTABLISHED);
	assert_int_equal(f.c.l->acc_count, 1);
	/* The backlog (1) is full: another SYN is dropped. */
	tt_conn_init(&c2, &f.t, "10.0.0.1", 40001, "10.0.0.2", 80);
	tt_in(&c2, "S", 0, 0, 0);
	tt_none(&c2);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_LISTEN_OVERFLOWS), 1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_LISTEN_DROPS), 1);
	/* Accept it now. */
	st = tq_tcp_accept(f.c.l, &tq_tcptest_ops, &f.c);
	assert_non_null(st);
	f.c.st = st;
	assert_int_equal(f.c.l->acc_count, 0);
	assert_int_equal(tq_stream_tcb(st)->state, TQ_TCPS_ESTABLISHED);
	/* Room again: the second client's retransmitted SYN gets in. */
	c2.no_accept = true;
	tt_passive_open(&c2);
	assert_int_equal(f.c.l->acc_count, 1);
	abort_conn(&f, 1, 1);
	/* A connection reset while still on the accept queue leaves it. */
	tt_in(&c2, "R.", 1, 1, 0);
	tt_none(&c2);
	assert_int_equal(f.c.l->acc_count, 0);
	assert_null(tq_tcp_accept(f.c.l, &tq_tcptest_ops, &f.c));
	tt_fx_end(&f, 0);
}

/*
 * RFC 9293 3.5, Figure 8: simultaneous open.  SYN crosses SYN; each side
 * answers SYN-ACK from SYN-RECEIVED, and the SYN-ACK received in
 * SYN-RECEIVED establishes the connection (line 6 of the figure).
 */
static void
simultaneous_open(void **state)
{
	static struct tt_fx f;
	struct tq_addr dst;
	struct tq_tcptest_seg sg;
	int err;

	tt_fx_begin(&f);
	tt_fx_start(&f, false, 0);
	f.c.pport = 8080;
	dst = tq_test_addr("10.0.0.1");
	f.c.st = tq_tcp_connect(f.t.h.s, &dst, 8080, NULL, 0, &tq_tcptest_ops,
			&f.c, &err);
	tt_advance(&f.c, 0);
	assert_true(tt_out(&f.c, &sg));
	assert_int_equal(sg.flags, TQ_TH_SYN);
	tt_in(&f.c, "S", 0, 0, 0);
	/* SYN_RECEIVED: the SYN again, now with our ACK. */
	tt_expect(&f.c, "S.", 0, 1, 0);
	assert_int_equal(tt_tcb(&f.c)->state, TQ_TCPS_SYN_RECEIVED);
	assert_int_equal(f.c.n_connected, 0);
	tt_in(&f.c, "S.", 0, 1, 0);
	/* An ACK in reply is allowed, nothing else. */
	if (tt_out(&f.c, &sg)) {
		assert_int_equal(sg.flags, TQ_TH_ACK);
		assert_int_equal(sg.rseq, 1);
		assert_int_equal(sg.rack, 1);
	}
	assert_int_equal(tt_tcb(&f.c)->state, TQ_TCPS_ESTABLISHED);
	assert_int_equal(f.c.n_connected, 1);
	abort_conn(&f, 1, 1);
	tt_fx_end(&f, 0);
}

/* The same crossing, where the peer then sends a plain ACK: the host
 * establishes on it (this half works whatever the SYN-ACK did). */
static void
simultaneous_open_then_ack(void **state)
{
	static struct tt_fx f;
	struct tq_addr dst;
	struct tq_tcptest_seg sg;
	int err;

	tt_fx_begin(&f);
	tt_fx_start(&f, false, 0);
	f.c.pport = 8080;
	dst = tq_test_addr("10.0.0.1");
	f.c.st = tq_tcp_connect(f.t.h.s, &dst, 8080, NULL, 0, &tq_tcptest_ops,
			&f.c, &err);
	tt_advance(&f.c, 0);
	assert_true(tt_out(&f.c, &sg));
	tt_in(&f.c, "S", 0, 0, 0);
	tt_expect(&f.c, "S.", 0, 1, 0);
	tt_in(&f.c, ".", 1, 1, 0);
	tt_none(&f.c);
	assert_int_equal(tt_tcb(&f.c)->state, TQ_TCPS_ESTABLISHED);
	assert_int_equal(f.c.n_connected, 1);
	abort_conn(&f, 1, 1);
	tt_fx_end(&f, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TT_TEST(passive_open_v4),
		TT_TEST(open_state_metrics),
		TT_TEST(passive_open_first_data),
		TT_TEST(passive_open_data_before_accept),
		TT_TEST(passive_open_v6),
		TT_TEST(passive_open_options_as_offered),
		TT_TEST(passive_open_options_disabled),
		TT_TEST(third_ack_with_data),
		TT_TEST(syn_to_closed_port),
		TT_TEST(segment_without_connection),
		TT_TEST(active_open),
		TT_TEST(active_open_refused),
		TT_TEST(syn_retransmit_give_up),
		TT_TEST(synack_retransmit_give_up),
		TT_TEST(synack_retransmitted_then_ack),
		TT_TEST(accept_queue),
		TT_TEST(simultaneous_open),
		TT_TEST(simultaneous_open_then_ack),
	};

	if (tq_test_eal_init("tcp_open") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
