/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP errors about our TCP segments: "fragmentation needed" (RFC 1191)
 * and "packet too big" (RFC 8201) cut the MSS and resend what is in
 * flight at the new size; a quoted sequence number not in flight is
 * ignored (RFC 5927); a hard unreachable ends an open in SYN-SENT and is
 * only a soft error later (RFC 1122 4.2.3.9); errors for no connection
 * are counted and dropped.
 */
#include "tq_tcptest.h"

#include <string.h>

#include <rte_ip.h>

static const char *const addrs4[] = { "10.0.0.2/24", NULL };
static const char *const addrs6[] = { "2001:db8::2/64", NULL };

#define MSS4 1448 /* 1460 less 12 for timestamps */
#define MSS6 1428 /* 1440 less 12 */

struct fx {
	struct tq_tcptest_host t;
	struct tq_tcptest_conn c;
	unsigned int avail;
	bool v6;
	uint8_t quote[128]; /* the start of a frame the host sent */
};

static void
begin(struct fx *f, bool v6)
{
	memset(f, 0, sizeof(*f));
	f->v6 = v6;
	f->avail = tq_test_pool_avail();
	tq_tcptest_prepare(&f->t);
	assert_int_equal(tq_tcptest_start(&f->t, 2, v6 ? addrs6 : addrs4), 0);
	tq_test_host_learn(&f->t.h, v6 ? "2001:db8::1" : "10.0.0.1");
	tt_conn_init(&f->c, &f->t, v6 ? "2001:db8::1" : "10.0.0.1", 8080,
			v6 ? "2001:db8::2" : "10.0.0.2", 0);
}

static void
end(struct fx *f)
{
	tt_none(&f->c);
	if (f->c.st && f->c.n_closed == 0) {
		tq_stream_abort(f->c.st, 0);
		tt_advance(&f->c, 0);
		tq_test_wire_drain(&f->t.h);
	}
	assert_int_equal(tq_tcptest_nconns(&f->t), 0);
	tq_tcptest_fini(&f->t);
	tq_tcptest_check_pool(f->avail);
}

static void
write_pattern(struct tq_stream *st, uint64_t off, uint32_t n)
{
	static uint8_t buf[16384];

	assert_true(n <= sizeof(buf));
	tq_tcptest_pattern_fill(buf, off, n);
	assert_int_equal(tq_stream_write(st, buf, n), (int)n);
}

/* Keep the IP header and 28 bytes of TCP of the frame just read. */
static void
keep_quote(struct fx *f)
{
	memcpy(f->quote, f->c.buf + RTE_ETHER_HDR_LEN, sizeof(f->quote));
}

/* Change the quoted segment's sequence number (for forgeries). */
static void
quote_seq(struct fx *f, uint32_t seq)
{
	unsigned int ihl = f->v6 ? 40 : (f->quote[0] & 0xf) * 4u;
	uint32_t be = rte_cpu_to_be_32(seq);

	memcpy(f->quote + ihl + 4, &be, 4);
}

/*
 * The router (the peer's address will do) sends an ICMP error of type
 * and code, with info (v4: the next-hop MTU; v6: the MTU or 0), quoting
 * the kept segment.
 */
static void
icmp_in(struct fx *f, uint8_t type, uint8_t code, uint32_t info)
{
	uint8_t msg[8 + 40 + 28], frame[256];
	unsigned int qlen;
	uint32_t len;

	memset(msg, 0, 8);
	msg[0] = type;
	msg[1] = code;
	if (f->v6) {
		uint32_t be = rte_cpu_to_be_32(info);

		qlen = 40 + 28;
		memcpy(msg + 4, &be, 4);
	} else {
		uint16_t be = rte_cpu_to_be_16((uint16_t)info);

		qlen = (f->quote[0] & 0xf) * 4u + 28;
		memcpy(msg + 6, &be, 2);
	}
	memcpy(msg + 8, f->quote, qlen);
	if (f->v6) {
		struct rte_ipv6_hdr *ip;

		len = tq_test_build_ip6(frame, f->t.h.ifc.mac.addr_bytes,
				"2001:db8::1", "2001:db8::2", IPPROTO_ICMPV6,
				64, msg, 8 + qlen);
		ip = (struct rte_ipv6_hdr *)(frame + RTE_ETHER_HDR_LEN);
		((uint16_t *)(ip + 1))[1] = rte_ipv6_udptcp_cksum(ip, ip + 1);
	} else {
		uint16_t ck = (uint16_t)~rte_raw_cksum(msg, 8 + qlen);

		memcpy(msg + 2, &ck, 2);
		len = tq_test_build_ip4(frame, f->t.h.ifc.mac.addr_bytes,
				"10.0.0.1", "10.0.0.2", IPPROTO_ICMP, NULL, 0,
				msg, 8 + qlen);
	}
	tq_test_wire_send(&f->t.h, frame, len);
	tt_advance(&f->c, 0);
}

/*
 * Three full segments in flight, then "too big" for the first: the MSS
 * falls to what the MTU leaves, and the three go again, cut to it, at
 * once (no RTO, cwnd untouched); they are then acknowledged as usual.
 */
static void
pmtu(bool v6, uint32_t mtu, uint32_t mss, uint32_t new_mss)
{
	static struct fx f;
	struct tq_tcptest_seg sg;
	struct tq_tcb *tp;
	uint32_t cwnd, seq, total = 3 * mss;

	begin(&f, v6);
	tt_active_open(&f.c);
	tp = tq_stream_tcb(f.c.st);
	assert_int_equal(tp->mss, mss);
	write_pattern(f.c.st, 0, total);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, ".", 1, 1, mss);
	keep_quote(&f);
	tt_expect(&f.c, ".", 1 + mss, 1, mss);
	tt_expect(&f.c, "P.", 1 + 2 * mss, 1, mss);
	cwnd = tp->cc.cwnd;
	if (v6)
		icmp_in(&f, 2, 0, mtu);
	else
		icmp_in(&f, 3, 4, mtu);
	assert_int_equal(tp->mss, new_mss);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_PMTU_UPDATES), 1);
	for (seq = 1; seq < 1 + total; seq += sg.len) {
		assert_true(tt_out(&f.c, &sg));
		assert_int_equal(sg.rseq, seq);
		assert_int_equal(sg.len, RTE_MIN(new_mss, 1 + total - seq));
	}
	tt_none(&f.c);
	assert_int_equal(tp->cc.cwnd, cwnd);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_TIMEOUTS), 0);
	tt_in(&f.c, ".", 1, 1 + total, 0);
	assert_int_equal(f.c.acked_total, total);
	/* New data goes at the new size. */
	write_pattern(f.c.st, total, 2 * new_mss);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, ".", 1 + total, 1, new_mss);
	tt_expect(&f.c, "P.", 1 + total + new_mss, 1, new_mss);
	tt_in(&f.c, ".", 1, 1 + total + 2 * new_mss, 0);
	end(&f);
}

static void
frag_needed_v4(void **state)
{
	/* MTU 1000: 1000 - 20 - 20 - 12 of timestamps */
	pmtu(false, 1000, MSS4, 948);
}

static void
packet_too_big_v6(void **state)
{
	/* IPv6's floor: 1280 - 40 - 20 - 12 */
	pmtu(true, 1280, MSS6, 1208);
}

/* Below the floors the MTU is taken as the floor (RFC 8201 4, Linux's
 * min_pmtu): a forged tiny MTU cannot make segments of a few bytes. */
static void
pmtu_floor(void **state)
{
	pmtu(true, 600, MSS6, 1208);
	pmtu(false, 68, MSS4, 552 - 40 - 12);
}

/*
 * The learned path MTU is kept for the peer: the next connection to it
 * starts at the smaller MSS with no ICMP of its own; another peer has no
 * entry; after ten minutes it is forgotten.
 */
static void
pmtu_cached(void **state)
{
	static struct fx f;
	static struct tq_tcptest_conn c2;
	struct tq_addr other = tq_test_addr("2001:db8::3");
	struct tq_stream *st;
	int err;

	begin(&f, true);
	tq_test_host_learn(&f.t.h, "2001:db8::3");
	tt_active_open(&f.c);
	write_pattern(f.c.st, 0, MSS6);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "P.", 1, 1, MSS6);
	keep_quote(&f);
	icmp_in(&f, 2, 0, 1280);
	tt_expect(&f.c, ".", 1, 1, 1208);
	tt_expect(&f.c, "P.", 1 + 1208, 1, MSS6 - 1208);
	tt_in(&f.c, ".", 1, 1 + MSS6, 0);
	/* A second connection to the same peer. */
	tt_conn_init(&c2, &f.t, "2001:db8::1", 8081, "2001:db8::2", 0);
	tt_active_open(&c2);
	assert_int_equal(tq_stream_tcb(c2.st)->mss, 1208);
	/* Another peer: nothing known. */
	st = tq_tcp_connect(f.t.h.s, &other, 80, NULL, 0, NULL, NULL, &err);
	assert_non_null(st);
	assert_int_equal(tq_tcp_pmtu_mss(f.t.h.s, &tq_stream_tcb(st)->key),
			UINT16_MAX);
	tq_stream_abort(st, 0);
	tt_advance(&f.c, 0);
	tq_test_wire_drain(&f.t.h);
	/* Ten minutes on, forgotten. */
	tq_stream_abort(c2.st, 0);
	tt_advance(&f.c, TT_S(601));
	tq_test_wire_drain(&f.t.h);
	assert_int_equal(tq_tcp_pmtu_mss(f.t.h.s, &tq_stream_tcb(f.c.st)->key),
			UINT16_MAX);
	tq_stream_abort(f.c.st, 0);
	f.c.n_closed = 1;
	tt_advance(&f.c, 0);
	tq_test_wire_drain(&f.t.h);
	tt_conn_init(&c2, &f.t, "2001:db8::1", 8082, "2001:db8::2", 0);
	tt_active_open(&c2);
	assert_int_equal(tq_stream_tcb(c2.st)->mss, MSS6);
	tq_stream_abort(c2.st, 0);
	tt_advance(&f.c, 0);
	tq_test_wire_drain(&f.t.h);
	end(&f);
}

/* RFC 5927: the quoted sequence number must be in flight, and a larger
 * MTU than the MSS uses changes nothing. */
static void
pmtu_ignored(void **state)
{
	static struct fx f;
	struct tq_tcb *tp;

	begin(&f, false);
	tt_active_open(&f.c);
	tp = tq_stream_tcb(f.c.st);
	write_pattern(f.c.st, 0, MSS4);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "P.", 1, 1, MSS4);
	keep_quote(&f);
	quote_seq(&f, f.c.hiss + 1 + MSS4); /* not sent yet */
	icmp_in(&f, 3, 4, 1000);
	quote_seq(&f, f.c.hiss); /* the SYN's: acknowledged */
	icmp_in(&f, 3, 4, 1000);
	tt_none(&f.c);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_OUT_OF_WINDOW_ICMPS),
			2);
	quote_seq(&f, f.c.hiss + 1);
	icmp_in(&f, 3, 4, 1500);
	tt_none(&f.c);
	assert_int_equal(tp->mss, MSS4);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_PMTU_UPDATES), 0);
	/* A hard error on an established connection is a soft one. */
	icmp_in(&f, 3, 3, 0);
	tt_none(&f.c);
	assert_int_equal(f.c.n_closed, 0);
	tt_in(&f.c, ".", 1, 1 + MSS4, 0);
	assert_int_equal(f.c.acked_total, MSS4);
	end(&f);
}

/* Port unreachable for our SYN: the open ends at once, not after the
 * SYN retries, and the app is told why. */
static void
unreachable_syn_sent(void **state)
{
	static struct fx f;
	struct tq_addr dst = tq_test_addr("2001:db8::1");
	struct tq_tcptest_seg sg;
	int err;

	begin(&f, true);
	f.c.st = tq_tcp_connect(f.t.h.s, &dst, 8080, NULL, 0, &tq_tcptest_ops,
			&f.c, &err);
	assert_non_null(f.c.st);
	tt_advance(&f.c, 0);
	assert_true(tt_out(&f.c, &sg));
	assert_int_equal(sg.flags, TQ_TH_SYN);
	keep_quote(&f);
	/* Address unreachable (code 3) is soft: the SYN is retried. */
	icmp_in(&f, 1, 3, 0);
	assert_int_equal(f.c.n_closed, 0);
	icmp_in(&f, 1, 4, 0);
	assert_int_equal(f.c.n_closed, 1);
	assert_int_equal(f.c.why, TQ_CLOSE_UNREACHABLE);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_ICMP_ABORTS), 1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_ICMP6_IN_DEST_UNREACHS),
			2);
	/* Again, for a connection that is gone now. */
	icmp_in(&f, 1, 4, 0);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_ICMP_NO_CONN), 1);
	tt_none(&f.c);
	end(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TT_TEST(frag_needed_v4),
		TT_TEST(packet_too_big_v6),
		TT_TEST(pmtu_floor),
		TT_TEST(pmtu_cached),
		TT_TEST(pmtu_ignored),
		TT_TEST(unreachable_syn_sent),
	};

	if (tq_test_eal_init("tcp_icmp") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
