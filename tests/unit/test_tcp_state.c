/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TCP state machine's static parts: every cell of the [state][flags]
 * action table against expectations derived here, independently, from
 * RFC 9293 3.10.7; the state names; the ordering macros; the flag index.
 */
#include "tq_tcptest.h"

#include <stdio.h>
#include <string.h>

#define D TQ_TCP_DROP
#define R TQ_TCP_RESET
#define P TQ_TCP_PROCESS

static const char *
action_name(unsigned int a)
{
	return a == D ? "drop" : a == R ? "reset" : a == P ? "process" : "?";
}

/*
 * What RFC 9293 3.10.7 says a segment with these flags gets in this
 * state, before any sequence or acknowledgment number is looked at.
 * The one policy on top of the RFC is the hardening the engine documents
 * (and FreeBSD and Linux share): SYN+FIN and SYN+RST are nonsense and
 * dropped in every state where a connection exists or is listened for.
 */
static unsigned int
expected(unsigned int state, bool syn, bool ack, bool rst, bool fin)
{
	bool nonsense = syn && (fin || rst);

	switch (state) {
	case TQ_TCPS_CLOSED:
		/* 3.10.7.1: "If the state is CLOSED (i.e., TCB does not
		 * exist) ... An incoming segment containing a RST is
		 * discarded.  An incoming segment not containing a RST
		 * causes a RST to be sent in response." */
		return rst ? D : R;
	case TQ_TCPS_LISTEN:
		/* 3.10.7.2: first, an incoming RST is ignored; second,
		 * any acknowledgment is bad: RST; third, a SYN opens;
		 * fourth, anything else is dropped. */
		if (rst)
			return D;
		if (ack)
			return R;
		if (syn)
			return nonsense ? D : P;
		return D;
	case TQ_TCPS_SYN_SENT:
		/* 3.10.7.3: first, the ACK is checked (it may draw a
		 * RST: the handler's business); second, a RST counts
		 * only with an acceptable ACK, without one it is
		 * dropped; fourth, a SYN is processed (simultaneous
		 * open); fifth, neither SYN nor RST: drop. */
		if (nonsense)
			return D;
		if (ack)
			return P;
		if (rst)
			return D;
		if (syn)
			return P;
		return D;
	default:
		/* 3.10.7.4: the sequence number is checked first, then
		 * RST (RFC 5961 3.2 decides exact vs challenge), then SYN
		 * (RFC 5961 4.2: challenge ACK), and fifth "if the ACK
		 * bit is off, drop the segment". */
		if (nonsense)
			return D;
		if (rst || syn || ack)
			return P;
		return D;
	}
}

static void
action_table(void **state)
{
	unsigned int st, fl, bad = 0;

	for (st = 0; st < TQ_TCPS_MAX; st++) {
		for (fl = 0; fl < 16; fl++) {
			bool syn = fl & 8, ack = fl & 4, rst = fl & 2,
				fin = fl & 1;
			unsigned int want = expected(st, syn, ack, rst, fin);
			unsigned int got = tq_tcp_action_table[st][fl];

			if (want != got) {
				print_error("%s %c%c%c%c: table says %s, RFC "
					"9293 %s\n", tq_tcp_state_name(st),
					syn ? 'S' : '-', ack ? 'A' : '-',
					rst ? 'R' : '-', fin ? 'F' : '-',
					action_name(got), action_name(want));
				bad++;
			}
		}
	}
	assert_int_equal(bad, 0);
}

/* A few cells spelled out, as the RFC words them. */
static void
action_table_spot_checks(void **state)
{
	const uint8_t (*t)[16] = tq_tcp_action_table;

	/* CLOSED: RST unless RST. */
	assert_int_equal(t[TQ_TCPS_CLOSED][tq_tcp_flag_class(TQ_TH_SYN)], R);
	assert_int_equal(t[TQ_TCPS_CLOSED][tq_tcp_flag_class(TQ_TH_ACK)], R);
	assert_int_equal(t[TQ_TCPS_CLOSED][tq_tcp_flag_class(0)], R);
	assert_int_equal(t[TQ_TCPS_CLOSED][tq_tcp_flag_class(TQ_TH_RST)], D);
	assert_int_equal(t[TQ_TCPS_CLOSED]
			[tq_tcp_flag_class(TQ_TH_RST | TQ_TH_ACK)], D);
	/* LISTEN: RST dropped, ACK -> RST, SYN alone -> process,
	 * SYN+FIN dropped, SYN+ACK -> RST. */
	assert_int_equal(t[TQ_TCPS_LISTEN][tq_tcp_flag_class(TQ_TH_RST)], D);
	assert_int_equal(t[TQ_TCPS_LISTEN][tq_tcp_flag_class(TQ_TH_ACK)], R);
	assert_int_equal(t[TQ_TCPS_LISTEN][tq_tcp_flag_class(TQ_TH_SYN)], P);
	assert_int_equal(t[TQ_TCPS_LISTEN]
			[tq_tcp_flag_class(TQ_TH_SYN | TQ_TH_FIN)], D);
	assert_int_equal(t[TQ_TCPS_LISTEN]
			[tq_tcp_flag_class(TQ_TH_SYN | TQ_TH_ACK)], R);
	assert_int_equal(t[TQ_TCPS_LISTEN][tq_tcp_flag_class(TQ_TH_FIN)], D);
	/* SYN_SENT: SYN-ACK and RST+ACK processed; RST alone dropped;
	 * a bare ACK processed (it may be unacceptable: RST). */
	assert_int_equal(t[TQ_TCPS_SYN_SENT]
			[tq_tcp_flag_class(TQ_TH_SYN | TQ_TH_ACK)], P);
	assert_int_equal(t[TQ_TCPS_SYN_SENT]
			[tq_tcp_flag_class(TQ_TH_RST | TQ_TH_ACK)], P);
	assert_int_equal(t[TQ_TCPS_SYN_SENT][tq_tcp_flag_class(TQ_TH_RST)],
			D);
	assert_int_equal(t[TQ_TCPS_SYN_SENT][tq_tcp_flag_class(TQ_TH_ACK)],
			P);
	assert_int_equal(t[TQ_TCPS_SYN_SENT][tq_tcp_flag_class(TQ_TH_SYN)],
			P);
	/* Synchronized: no ACK and no SYN/RST -> drop. */
	assert_int_equal(t[TQ_TCPS_ESTABLISHED][tq_tcp_flag_class(TQ_TH_FIN)],
			D);
	assert_int_equal(t[TQ_TCPS_ESTABLISHED][tq_tcp_flag_class(TQ_TH_RST)],
			P);
	assert_int_equal(t[TQ_TCPS_ESTABLISHED][tq_tcp_flag_class(TQ_TH_SYN)],
			P);
	assert_int_equal(t[TQ_TCPS_TIME_WAIT]
			[tq_tcp_flag_class(TQ_TH_FIN | TQ_TH_ACK)], P);
}

static void
flag_class(void **state)
{
	unsigned int f;

	for (f = 0; f < 256; f++) {
		unsigned int want = ((f & TQ_TH_SYN) ? 8u : 0) |
			((f & TQ_TH_ACK) ? 4u : 0) |
			((f & TQ_TH_RST) ? 2u : 0) | ((f & TQ_TH_FIN) ? 1u : 0);

		/* PSH, URG, ECE, CWR do not change the class. */
		assert_int_equal(tq_tcp_flag_class((uint8_t)f), want);
	}
}

/* The cwnd-limited test with its division skipped outside the band
 * where rounding to whole segments decides: the same answer as the
 * plain formula everywhere, at the band's edges too. */
static void
cwnd_limited(void **state)
{
	static const uint32_t mss[] = { 1, 2, 536, 1000, 1448, 8948, 65495 };
	unsigned int i, bad = 0;
	uint64_t x = 88172645463325252ull;

	for (i = 0; i < RTE_DIM(mss); i++) {
		uint32_t m = mss[i], f, c;

		for (f = 0; f < 40 * m && f < 400000; f += (m > 64 ? m / 7 : 1)) {
			for (c = 0; c < 8 * m + 64; c += (m > 64 ? m / 5 : 1)) {
				uint32_t ff[3] = { f, f + 1, f ? f - 1 : 0 };
				unsigned int j;

				for (j = 0; j < 3; j++) {
					bool want = (((uint64_t)ff[j] + m - 1) /
						m) * m * 2 >= c;

					bad += tq_tcp_cwnd_limited(ff[j], m, c) !=
						want;
				}
			}
		}
	}
	for (i = 0; i < 1000000; i++) {
		uint32_t f, m, c;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		f = (uint32_t)x % (1u << 26);
		m = 1 + (uint32_t)(x >> 32) % 65535;
		c = (uint32_t)(x >> 20) % (1u << 28);
		bad += tq_tcp_cwnd_limited(f, m, c) !=
			((((uint64_t)f + m - 1) / m) * m * 2 >= c);
	}
	assert_int_equal(bad, 0);
}

static void
state_names(void **state)
{
	static const char *const names[TQ_TCPS_MAX] = {
		[TQ_TCPS_CLOSED] = "CLOSED",
		[TQ_TCPS_LISTEN] = "LISTEN",
		[TQ_TCPS_SYN_SENT] = "SYN_SENT",
		[TQ_TCPS_SYN_RECEIVED] = "SYN_RECEIVED",
		[TQ_TCPS_ESTABLISHED] = "ESTABLISHED",
		[TQ_TCPS_CLOSE_WAIT] = "CLOSE_WAIT",
		[TQ_TCPS_FIN_WAIT_1] = "FIN_WAIT_1",
		[TQ_TCPS_CLOSING] = "CLOSING",
		[TQ_TCPS_LAST_ACK] = "LAST_ACK",
		[TQ_TCPS_FIN_WAIT_2] = "FIN_WAIT_2",
		[TQ_TCPS_TIME_WAIT] = "TIME_WAIT",
	};
	unsigned int i;

	assert_int_equal(TQ_TCPS_MAX, 11);
	for (i = 0; i < TQ_TCPS_MAX; i++) {
		assert_non_null(names[i]);
		assert_string_equal(tq_tcp_state_name(i), names[i]);
	}
	assert_string_equal(tq_tcp_state_name(TQ_TCPS_MAX), "?");
	assert_string_equal(tq_tcp_state_name(1000), "?");
}

/* The ranges the code relies on (FreeBSD's ordering). */
static void
ordering_macros(void **state)
{
	unsigned int s;

	for (s = 0; s < TQ_TCPS_MAX; s++) {
		bool sync = s != TQ_TCPS_CLOSED && s != TQ_TCPS_LISTEN &&
			s != TQ_TCPS_SYN_SENT;
		bool estab = sync && s != TQ_TCPS_SYN_RECEIVED;
		/* Our FIN has been sent in exactly these. */
		bool fin_sent = s == TQ_TCPS_FIN_WAIT_1 ||
			s == TQ_TCPS_CLOSING || s == TQ_TCPS_LAST_ACK ||
			s == TQ_TCPS_FIN_WAIT_2 || s == TQ_TCPS_TIME_WAIT;
		/* RFC 9293 3.10.7.4 seventh: text is processed in these. */
		bool rcv = s == TQ_TCPS_ESTABLISHED ||
			s == TQ_TCPS_FIN_WAIT_1 || s == TQ_TCPS_FIN_WAIT_2;

		assert_int_equal(!!TQ_TCPS_SYNCHRONIZED(s), sync);
		assert_int_equal(!!TQ_TCPS_ESTABLISHED_OR_LATER(s), estab);
		assert_int_equal(!!TQ_TCPS_FIN_SENT(s), fin_sent);
		assert_int_equal(!!TQ_TCPS_RCV_DATA(s), rcv);
	}
	/* The states the peer's FIN can still arrive in come first. */
	assert_true(TQ_TCPS_CLOSE_WAIT > TQ_TCPS_ESTABLISHED);
	assert_true(TQ_TCPS_TIME_WAIT == TQ_TCPS_MAX - 1);
}

/* Sequence arithmetic across the wrap. */
static void
seq_macros(void **state)
{
	assert_true(SEQ_LT(0xfffffff0u, 0x10u));
	assert_true(SEQ_GT(0x10u, 0xfffffff0u));
	assert_true(SEQ_LEQ(5u, 5u));
	assert_true(SEQ_GEQ(5u, 5u));
	assert_false(SEQ_LT(5u, 5u));
	assert_int_equal(SEQ_MAX(0xfffffff0u, 0x10u), 0x10u);
	assert_int_equal(SEQ_MIN(0xfffffff0u, 0x10u), 0xfffffff0u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(action_table),
		cmocka_unit_test(action_table_spot_checks),
		cmocka_unit_test(flag_class),
		cmocka_unit_test(cwnd_limited),
		cmocka_unit_test(state_names),
		cmocka_unit_test(ordering_macros),
		cmocka_unit_test(seq_macros),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
