/* SPDX-License-Identifier: BSD-3-Clause */
/* The fault injector: spec parsing, seeded repeatability, and each fault
 * (drop, dup, reorder, corrupt, delay) on real mbufs, without leaks. */
#include "tq_test.h"

#include <errno.h>
#include <string.h>

#include "port/tq_fault.h"

#define FRAME_LEN 100

/* A frame whose payload carries its sequence number. */
static struct rte_mbuf *
frame(uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(tq_test_pool());
	uint8_t *p;
	uint32_t i;

	assert_non_null(m);
	p = (uint8_t *)rte_pktmbuf_append(m, FRAME_LEN);
	assert_non_null(p);
	for (i = 0; i < FRAME_LEN; i++)
		p[i] = (uint8_t)(i * 7 + 3);
	memcpy(p + RTE_ETHER_HDR_LEN, &seq, sizeof(seq));
	return m;
}

static uint32_t
seq_of(const struct rte_mbuf *m)
{
	uint32_t seq;

	memcpy(&seq, rte_pktmbuf_mtod_offset(m, const uint8_t *,
			RTE_ETHER_HDR_LEN), sizeof(seq));
	return seq;
}

static void
free_all(struct rte_mbuf **m, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		rte_pktmbuf_free(m[i]);
}

static void
parse_spec(const char *s, struct tq_fault_spec *spec)
{
	const char *bad = NULL;

	if (tq_fault_parse(s, spec, &bad) != 0)
		fail_msg("'%s' rejected at '%s'", s, bad ? bad : "?");
}

static void
parse_valid(void **state)
{
	struct tq_fault_spec sp;

	parse_spec("", &sp);
	assert_false(tq_fault_active(&sp));
	assert_int_equal(sp.seed, 1);
	assert_int_equal(sp.dir, TQ_FAULT_RX | TQ_FAULT_TX);

	parse_spec("drop=0.25,dup=0.5,reorder=1,corrupt=0,delay=1500,"
			"seed=99,dir=rx", &sp);
	assert_true(sp.drop == 0.25);
	assert_true(sp.dup == 0.5);
	assert_true(sp.reorder == 1.0);
	assert_true(sp.corrupt == 0.0);
	assert_int_equal(sp.delay_us, 1500);
	assert_int_equal(sp.seed, 99);
	assert_int_equal(sp.dir, TQ_FAULT_RX);
	assert_true(tq_fault_active(&sp));

	parse_spec("dir=tx", &sp);
	assert_int_equal(sp.dir, TQ_FAULT_TX);
	assert_false(tq_fault_active(&sp));
	parse_spec("dir=both,seed=0x10", &sp);
	assert_int_equal(sp.dir, TQ_FAULT_RX | TQ_FAULT_TX);
	assert_int_equal(sp.seed, 16);
	parse_spec("corrupt=0.001", &sp);
	assert_true(tq_fault_active(&sp));
	parse_spec("delay=10000000", &sp);
	assert_int_equal(sp.delay_us, 10000000);
	assert_true(tq_fault_active(&sp));
	/* Later items win, every field is reset first. */
	parse_spec("drop=0.5,drop=0.1", &sp);
	assert_true(sp.drop == 0.1);
	parse_spec("dup=0.1", &sp);
	assert_true(sp.drop == 0.0);
}

/* Each bad item is rejected and *bad points at it in the input. */
static void
parse_invalid(void **state)
{
	static const struct {
		const char *spec;
		unsigned int bad_off;
	} cases[] = {
		{ "drop=1.5", 0 },
		{ "drop=-0.1", 0 },
		{ "drop=abc", 0 },
		{ "drop=", 0 },
		{ "drop=0.5x", 0 },
		{ "drop=nan", 0 },
		{ "drop", 0 },
		{ "dup=2", 0 },
		{ "reorder=-1", 0 },
		{ "corrupt=1.01", 0 },
		{ "delay=-5", 0 },
		{ "delay=abc", 0 },
		{ "delay=10000001", 0 },
		{ "delay=", 0 },
		{ "seed=-1", 0 },
		{ "seed= -1", 0 },
		{ "delay= -1", 0 },
		{ "seed=12x", 0 },
		{ "seed=", 0 },
		{ "dir=up", 0 },
		{ "dir=", 0 },
		{ "bogus=1", 0 },
		{ "=1", 0 },
		{ "drop=0.1,dup=7", 9 },
		{ "drop=0.1,dup=0.2,colour=red", 17 },
		{ "seed=5,dir=rx,delay=1,drop=0.1,reorder=x", 31 },
		{ "drop=0.1,,foo", 10 },
	};
	struct tq_fault_spec sp;
	unsigned int i;

	for (i = 0; i < RTE_DIM(cases); i++) {
		const char *bad = NULL;
		int ret = tq_fault_parse(cases[i].spec, &sp, &bad);

		if (ret != -EINVAL)
			fail_msg("'%s' accepted", cases[i].spec);
		if (bad != cases[i].spec + cases[i].bad_off)
			fail_msg("'%s': bad points at '%s', want '%s'",
				cases[i].spec, bad ? bad : "(null)",
				cases[i].spec + cases[i].bad_off);
	}
}

/* Push n numbered frames through f, one call per burst of 8 frames, at
 * 10 us steps, then drain; record the order of what comes out. */
static unsigned int
run_stream(const struct tq_fault_spec *sp, uint64_t stream, uint32_t n,
		uint32_t *order, unsigned int cap, struct tq_fault_stats *st)
{
	struct tq_fault f;
	struct rte_mbuf *in[8], *out[64];
	uint64_t now = 1000000000ull;
	unsigned int got = 0, i, k;
	uint32_t seq = 0;

	assert_int_equal(tq_fault_init(&f, sp, stream, tq_test_pool(),
			SOCKET_ID_ANY), 0);
	while (seq < n || tq_fault_pending(&f)) {
		uint16_t nin = 0;

		while (nin < RTE_DIM(in) && seq < n)
			in[nin++] = frame(seq++);
		k = tq_fault_apply(&f, in, nin, out, RTE_DIM(out), now);
		for (i = 0; i < k; i++) {
			assert_true(got < cap);
			order[got++] = seq_of(out[i]);
		}
		free_all(out, k);
		now += 10000;
	}
	if (st)
		*st = f.st;
	tq_fault_fini(&f);
	return got;
}

static void
seeded_repeatable(void **state)
{
	static uint32_t a[4000], b[4000], c[4000], d[4000];
	unsigned int avail = tq_test_pool_avail();
	struct tq_fault_spec sp;
	unsigned int na, nb, nc, nd;
	struct tq_fault_stats sa, sb, sc;

	parse_spec("drop=0.2,dup=0.2,reorder=0.2,seed=7", &sp);
	na = run_stream(&sp, 0, 1000, a, RTE_DIM(a), &sa);
	nb = run_stream(&sp, 0, 1000, b, RTE_DIM(b), &sb);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na * sizeof(a[0]));
	assert_memory_equal(&sa, &sb, sizeof(sa));
	assert_true(sa.dropped > 0 && sa.duplicated > 0 && sa.reordered > 0);

	/* Another seed gives another run. */
	parse_spec("drop=0.2,dup=0.2,reorder=0.2,seed=8", &sp);
	nc = run_stream(&sp, 0, 1000, c, RTE_DIM(c), &sc);
	assert_true(nc != na || memcmp(a, c, na * sizeof(a[0])) != 0);
	/* So does another stream (worker/direction) of the same seed. */
	parse_spec("drop=0.2,dup=0.2,reorder=0.2,seed=7", &sp);
	nd = run_stream(&sp, 1, 1000, d, RTE_DIM(d), NULL);
	assert_true(nd != na || memcmp(a, d, na * sizeof(a[0])) != 0);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
drop_all(void **state)
{
	static uint32_t o[16];
	unsigned int avail = tq_test_pool_avail();
	struct tq_fault_spec sp;
	struct tq_fault_stats st;

	parse_spec("drop=1", &sp);
	assert_int_equal(run_stream(&sp, 0, 1000, o, RTE_DIM(o), &st), 0);
	assert_int_equal(st.dropped, 1000);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
drop_fraction(void **state)
{
	static uint32_t o[10000];
	unsigned int avail = tq_test_pool_avail();
	struct tq_fault_spec sp;
	struct tq_fault_stats st;
	unsigned int n, i;

	parse_spec("drop=0.3,seed=12345", &sp);
	n = run_stream(&sp, 0, 10000, o, RTE_DIM(o), &st);
	/* 3000 expected, sd ~46: +-300 is more than 6 sd */
	assert_in_range(st.dropped, 2700, 3300);
	assert_int_equal(n + st.dropped, 10000);
	/* What passed kept its order. */
	for (i = 1; i < n; i++)
		assert_true(o[i] > o[i - 1]);
	/* And none at all for drop=0. */
	parse_spec("drop=0,seed=12345", &sp);
	assert_int_equal(run_stream(&sp, 0, 10000, o, RTE_DIM(o), &st),
			10000);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
duplicate(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_fault_spec sp;
	struct tq_fault f;
	struct rte_mbuf *in[4], *out[16];
	unsigned int i, n;

	parse_spec("dup=1", &sp);
	assert_int_equal(tq_fault_init(&f, &sp, 0, tq_test_pool(),
			SOCKET_ID_ANY), 0);
	for (i = 0; i < 4; i++)
		in[i] = frame(i);
	n = tq_fault_apply(&f, in, 4, out, RTE_DIM(out), 1000);
	assert_int_equal(n, 8);
	assert_int_equal(f.st.duplicated, 4);
	for (i = 0; i < 4; i++) {
		struct rte_mbuf *x = out[2 * i], *y = out[2 * i + 1];

		assert_ptr_not_equal(x, y);
		assert_int_equal(seq_of(x), i);
		assert_int_equal(rte_pktmbuf_pkt_len(x),
				rte_pktmbuf_pkt_len(y));
		assert_memory_equal(rte_pktmbuf_mtod(x, void *),
				rte_pktmbuf_mtod(y, void *), FRAME_LEN);
		/* A copy, not a second reference to the same data. */
		assert_ptr_not_equal(rte_pktmbuf_mtod(x, void *),
				rte_pktmbuf_mtod(y, void *));
	}
	free_all(out, n);
	tq_fault_fini(&f);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
reorder(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_fault_spec sp;
	struct tq_fault f;
	struct rte_mbuf *in[4], *out[16];
	uint64_t now = 5000000;
	unsigned int i, n;

	/* reorder=1: each frame not overtaking is held and the next one
	 * overtakes it: 1 0 3 2 */
	parse_spec("reorder=1", &sp);
	assert_int_equal(tq_fault_init(&f, &sp, 0, tq_test_pool(),
			SOCKET_ID_ANY), 0);
	for (i = 0; i < 4; i++)
		in[i] = frame(i);
	n = tq_fault_apply(&f, in, 4, out, RTE_DIM(out), now);
	assert_int_equal(n, 4);
	assert_int_equal(seq_of(out[0]), 1);
	assert_int_equal(seq_of(out[1]), 0);
	assert_int_equal(seq_of(out[2]), 3);
	assert_int_equal(seq_of(out[3]), 2);
	assert_int_equal(f.st.reordered, 2);
	free_all(out, n);

	/* A held frame with nothing behind it: out after
	 * TQ_FAULT_REORDER_NS, not before, with no further input. */
	in[0] = frame(9);
	assert_int_equal(tq_fault_apply(&f, in, 1, out, RTE_DIM(out), now),
			0);
	assert_int_equal(tq_fault_pending(&f), 1);
	assert_int_equal(tq_fault_apply(&f, NULL, 0, out, RTE_DIM(out),
			now + TQ_FAULT_REORDER_NS - 1), 0);
	assert_int_equal(tq_fault_apply(&f, NULL, 0, out, RTE_DIM(out),
			now + TQ_FAULT_REORDER_NS), 1);
	assert_int_equal(seq_of(out[0]), 9);
	assert_int_equal(tq_fault_pending(&f), 0);
	assert_int_equal(f.st.reordered, 2);
	rte_pktmbuf_free(out[0]);

	/* A held frame is freed by fini. */
	in[0] = frame(10);
	assert_int_equal(tq_fault_apply(&f, in, 1, out, RTE_DIM(out), now),
			0);
	tq_fault_fini(&f);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static unsigned int
bits_differ(const uint8_t *a, const uint8_t *b, uint32_t len,
		uint32_t *where)
{
	unsigned int n = 0;
	uint32_t i;

	for (i = 0; i < len; i++) {
		if (a[i] != b[i])
			*where = i;
		n += (unsigned int)__builtin_popcount(a[i] ^ b[i]);
	}
	return n;
}

static void
corrupt(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_fault_spec sp;
	struct tq_fault f;
	struct rte_mbuf *in[1], *out[4], *ref = frame(0);
	unsigned int i, lo = FRAME_LEN, hi = 0;

	parse_spec("corrupt=1,seed=3", &sp);
	assert_int_equal(tq_fault_init(&f, &sp, 0, tq_test_pool(),
			SOCKET_ID_ANY), 0);
	for (i = 0; i < 500; i++) {
		uint32_t where = 0;

		in[0] = frame(0);
		assert_int_equal(tq_fault_apply(&f, in, 1, out, 4, i), 1);
		assert_int_equal(bits_differ(rte_pktmbuf_mtod(ref, uint8_t *),
				rte_pktmbuf_mtod(out[0], uint8_t *),
				FRAME_LEN, &where), 1);
		assert_true(where >= RTE_ETHER_HDR_LEN);
		lo = RTE_MIN(lo, where);
		hi = RTE_MAX(hi, where);
		rte_pktmbuf_free(out[0]);
	}
	assert_int_equal(f.st.corrupted, 500);
	/* spread over the whole frame past the Ethernet header */
	assert_true(lo < RTE_ETHER_HDR_LEN + 5);
	assert_true(hi > FRAME_LEN - 5);

	/*
	 * Damage is done on the wire: a frame left to the NIC's checksum
	 * offload goes with its checksums unfilled (no offload request
	 * left to fill them over the damage), and one the receiving NIC
	 * vouched for is checked again in software.
	 */
	in[0] = frame(0);
	in[0]->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM |
		RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_RX_IP_CKSUM_GOOD |
		RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	assert_int_equal(tq_fault_apply(&f, in, 1, out, 4, 0), 1);
	assert_int_equal(out[0]->ol_flags & (RTE_MBUF_F_TX_IP_CKSUM |
			RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_RX_IP_CKSUM_MASK |
			RTE_MBUF_F_RX_L4_CKSUM_MASK), 0);
	rte_pktmbuf_free(out[0]);
	assert_true(lo < RTE_ETHER_HDR_LEN + 5);
	assert_true(hi > FRAME_LEN - 5);

	/* A frame no longer than an Ethernet header is left alone. */
	in[0] = rte_pktmbuf_alloc(tq_test_pool());
	memset(rte_pktmbuf_append(in[0], RTE_ETHER_HDR_LEN), 0x5a,
			RTE_ETHER_HDR_LEN);
	assert_int_equal(tq_fault_apply(&f, in, 1, out, 4, 0), 1);
	for (i = 0; i < RTE_ETHER_HDR_LEN; i++)
		assert_int_equal(rte_pktmbuf_mtod(out[0], uint8_t *)[i], 0x5a);
	rte_pktmbuf_free(out[0]);
	rte_pktmbuf_free(ref);
	tq_fault_fini(&f);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
delay(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_fault_spec sp;
	struct tq_fault f;
	struct rte_mbuf *in[3], *out[16];
	const uint64_t t0 = 1000000, d = 250 * 1000;
	unsigned int i, n;

	parse_spec("delay=250", &sp);
	assert_int_equal(tq_fault_init(&f, &sp, 0, tq_test_pool(),
			SOCKET_ID_ANY), 0);
	for (i = 0; i < 3; i++)
		in[i] = frame(i);
	assert_int_equal(tq_fault_apply(&f, in, 3, out, 16, t0), 0);
	for (i = 0; i < 2; i++)
		in[i] = frame(3 + i);
	assert_int_equal(tq_fault_apply(&f, in, 2, out, 16, t0 + 100), 0);
	assert_int_equal(tq_fault_pending(&f), 5);
	assert_int_equal(f.st.delayed, 5);
	assert_int_equal(tq_fault_apply(&f, NULL, 0, out, 16, t0 + d - 1), 0);
	n = tq_fault_apply(&f, NULL, 0, out, 16, t0 + d);
	assert_int_equal(n, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(seq_of(out[i]), i);
	free_all(out, n);
	assert_int_equal(tq_fault_apply(&f, NULL, 0, out, 16, t0 + d + 99), 0);
	n = tq_fault_apply(&f, NULL, 0, out, 16, t0 + d + 100);
	assert_int_equal(n, 2);
	assert_int_equal(seq_of(out[0]), 3);
	assert_int_equal(seq_of(out[1]), 4);
	free_all(out, n);
	assert_int_equal(tq_fault_pending(&f), 0);

	/* The caller's array bounds a release; the rest waits, in order. */
	for (i = 0; i < 3; i++)
		in[i] = frame(10 + i);
	assert_int_equal(tq_fault_apply(&f, in, 3, out, 16, t0), 0);
	n = tq_fault_apply(&f, NULL, 0, out, 2, t0 + d);
	assert_int_equal(n, 2);
	assert_int_equal(seq_of(out[0]), 10);
	assert_int_equal(seq_of(out[1]), 11);
	free_all(out, n);
	n = tq_fault_apply(&f, NULL, 0, out, 2, t0 + d);
	assert_int_equal(n, 1);
	assert_int_equal(seq_of(out[0]), 12);
	free_all(out, n);

	/* Frames still held are freed by fini. */
	for (i = 0; i < 3; i++)
		in[i] = frame(20 + i);
	assert_int_equal(tq_fault_apply(&f, in, 3, out, 16, t0), 0);
	tq_fault_fini(&f);
	assert_int_equal(tq_test_pool_avail(), avail);
}

/* Delay and reorder together: a held frame still waits its delay. */
static void
reorder_then_delay(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_fault_spec sp;
	struct tq_fault f;
	struct rte_mbuf *in[2], *out[8];
	unsigned int n;

	parse_spec("reorder=1,delay=100", &sp);
	assert_int_equal(tq_fault_init(&f, &sp, 0, tq_test_pool(),
			SOCKET_ID_ANY), 0);
	in[0] = frame(0);
	in[1] = frame(1);
	assert_int_equal(tq_fault_apply(&f, in, 2, out, 8, 0), 0);
	assert_int_equal(tq_fault_apply(&f, NULL, 0, out, 8, 99999), 0);
	n = tq_fault_apply(&f, NULL, 0, out, 8, 100000);
	assert_int_equal(n, 2);
	assert_int_equal(seq_of(out[0]), 1);
	assert_int_equal(seq_of(out[1]), 0);
	free_all(out, n);
	tq_fault_fini(&f);
	assert_int_equal(tq_test_pool_avail(), avail);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_valid),
		cmocka_unit_test(parse_invalid),
		cmocka_unit_test(seeded_repeatable),
		cmocka_unit_test(drop_all),
		cmocka_unit_test(drop_fraction),
		cmocka_unit_test(duplicate),
		cmocka_unit_test(reorder),
		cmocka_unit_test(corrupt),
		cmocka_unit_test(delay),
		cmocka_unit_test(reorder_then_delay),
	};

	if (tq_test_eal_init("fault") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
