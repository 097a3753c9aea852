/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Received packet number tracking (engine/quic/tq_quic_ack.c): ranges
 * under reordering and duplicates, written with the frame encoder and
 * read back with the decoder; when an ACK is due (RFC 9000 13.2.1-2);
 * ECN counts; the bound on ranges; forgetting acknowledged ranges
 * (13.2.4).
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

#include "quic/tq_quic_ack.h"
#include "quic/tq_quic_wire.h"

#define MS UINT64_C(1000000)
#define US UINT64_C(1000)

/* Write the ACK, decode it as the peer would, return its ranges. */
static size_t
ack_roundtrip(const struct tq_quic_ackr *a, uint64_t now, unsigned int exp,
		struct tq_quic_ack_range *out, size_t cap,
		struct tq_quic_frame *f)
{
	uint8_t buf[1024];
	struct tq_quic_wr w;
	struct tq_quic_rd r;
	struct tq_quic_ack_iter it;
	size_t n = 0;
	int k;

	tq_quic_wr_init(&w, buf, sizeof(buf));
	k = tq_quic_ackr_write(a, &w, now, exp);
	assert_true(k > 0);
	tq_quic_rd_init(&r, buf, (size_t)(w.pos - buf));
	assert_int_equal(tq_quic_frame_decode(&r, TQ_QUIC_PKT_1RTT, f),
			TQ_QUIC_NO_ERROR);
	assert_int_equal(tq_quic_rd_left(&r), 0);
	tq_quic_ack_iter_init(&it, &f->ack);
	while (n < cap && tq_quic_ack_iter_next(&it, &out[n]))
		n++;
	assert_int_equal(n, (size_t)k);
	return n;
}

static void
expect_ranges(const struct tq_quic_ackr *a, const uint64_t *want, size_t nwant)
{
	struct tq_quic_ack_range got[64];
	struct tq_quic_frame f;
	size_t n, i;

	n = ack_roundtrip(a, a->largest_time, 3, got, 64, &f);
	assert_int_equal(n, nwant / 2);
	for (i = 0; i < n; i++) {
		assert_int_equal(got[i].largest, want[2 * i]);
		assert_int_equal(got[i].smallest, want[2 * i + 1]);
	}
}

static void
test_in_order(void **state)
{
	struct tq_quic_ackr a;
	uint64_t i;
	static const uint64_t want[] = { 9, 0 };

	(void)state;
	tq_quic_ackr_init(&a, TQ_QUIC_SPACE_APP, 25 * MS);
	assert_int_equal(tq_quic_ackr_deadline(&a), UINT64_MAX);
	assert_int_equal(tq_quic_ackr_write(&a, NULL, 0, 3), -ENOENT);
	for (i = 0; i < 10; i++) {
		assert_false(tq_quic_ackr_dup(&a, i));
		assert_int_equal(tq_quic_ackr_record(&a, i, true,
				TQ_QUIC_ECN_NOT, 1000 + i), 0);
		assert_true(tq_quic_ackr_dup(&a, i));
	}
	assert_int_equal(a.n, 1);
	assert_int_equal(a.largest, 9);
	expect_ranges(&a, want, 2);
}

static void
test_reorder_dup(void **state)
{
	/* 0 1 2 5 3 8 7 7 2 10 (dups: the second 7 and 2) */
	static const uint64_t seq[] = { 0, 1, 2, 5, 3, 8, 7, 7, 2, 10 };
	static const int rc[] = { 0, 0, 0, 0, 0, 0, 0, -EEXIST, -EEXIST, 0 };
	static const uint64_t want[] = { 10, 10, 8, 7, 5, 5, 3, 0 };
	struct tq_quic_ackr a;
	size_t i;

	(void)state;
	tq_quic_ackr_init(&a, TQ_QUIC_SPACE_APP, 25 * MS);
	for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++)
		assert_int_equal(tq_quic_ackr_record(&a, seq[i], true,
				TQ_QUIC_ECN_NOT, 5 * MS), rc[i]);
	expect_ranges(&a, want, sizeof(want) / sizeof(want[0]));
	/* 4 and 6 join everything from 0 to 8 */
	assert_int_equal(tq_quic_ackr_record(&a, 4, false, 0, 6 * MS), 0);
	assert_int_equal(tq_quic_ackr_record(&a, 6, false, 0, 6 * MS), 0);
	{
		static const uint64_t w2[] = { 10, 10, 8, 0 };

		expect_ranges(&a, w2, 4);
	}
	/* a hole filled at the top edge and below the bottom */
	assert_int_equal(tq_quic_ackr_record(&a, 9, false, 0, 6 * MS), 0);
	{
		static const uint64_t w3[] = { 10, 0 };

		expect_ranges(&a, w3, 2);
	}
}

/* Random arrival orders of 0..199 minus some holes, each packet arriving
 * up to three times: the ranges are exactly the set's runs. */
static void
test_random_against_bitmap(void **state)
{
	unsigned int iter;

	(void)state;
	srand(12345);
	for (iter = 0; iter < 300; iter++) {
		bool in[200] = { false }, got[200] = { false };
		uint64_t order[600], want[128];
		size_t key[600];
		size_t n = 0, nw = 0, i;
		struct tq_quic_ackr a;
		int holes = rand() % 20;

		for (i = 0; i < 200; i++)
			in[i] = true;
		while (holes-- > 0)
			in[rand() % 200] = false;
		for (i = 0; i < 200; i++) {
			int c = in[i] ? 1 + rand() % 3 : 0;

			while (c-- > 0)
				order[n++] = i;
		}
		/*
		 * Reorder within a window of 16 arrivals (an insertion sort
		 * on position + jitter), so that fewer than the 32 ranges
		 * kept are ever open: the bound has its own test.
		 */
		for (i = 0; i < n; i++)
			key[i] = i + (size_t)(rand() % 16);
		for (i = 1; i < n; i++) {
			size_t j = i, k = key[i];
			uint64_t v = order[i];

			for (; j > 0 && key[j - 1] > k; j--) {
				key[j] = key[j - 1];
				order[j] = order[j - 1];
			}
			key[j] = k;
			order[j] = v;
		}
		tq_quic_ackr_init(&a, TQ_QUIC_SPACE_APP, 25 * MS);
		for (i = 0; i < n; i++) {
			int rc = tq_quic_ackr_record(&a, order[i], true, 0,
					i * US);

			assert_int_equal(rc, got[order[i]] ? -EEXIST : 0);
			got[order[i]] = true;
		}
		/* the reference: runs of the set, largest first */
		for (i = 200; i-- > 0;) {
			if (!in[i])
				continue;
			if (nw == 0 || want[nw - 1] != i + 1) {
				want[nw++] = i;
				want[nw++] = i;
			} else {
				want[nw - 1] = i;
			}
		}
		expect_ranges(&a, want, nw);
	}
}

static void
test_ack_due_app(void **state)
{
	struct tq_quic_ackr a;

	(void)state;
	tq_quic_ackr_init(&a, TQ_QUIC_SPACE_APP, 25 * MS);
	/* not ack-eliciting: recorded, never makes an ACK due */
	assert_int_equal(tq_quic_ackr_record(&a, 0, false, 0, 1 * MS), 0);
	assert_int_equal(tq_quic_ackr_deadline(&a), UINT64_MAX);
	assert_true(tq_quic_ackr_pending(&a));
	/* one ack-eliciting packet: within max_ack_delay */
	assert_int_equal(tq_quic_ackr_record(&a, 1, true, 0, 2 * MS), 0);
	assert_int_equal(tq_quic_ackr_deadline(&a), 27 * MS);
	assert_false(tq_quic_ackr_due(&a, 26 * MS));
	assert_true(tq_quic_ackr_due(&a, 27 * MS));
	/* the deadline is the first packet's, not moved by later ones */
	assert_int_equal(tq_quic_ackr_record(&a, 2, false, 0, 3 * MS), 0);
	assert_int_equal(tq_quic_ackr_deadline(&a), 27 * MS);
	/* the second ack-eliciting packet: at once */
	assert_int_equal(tq_quic_ackr_record(&a, 3, true, 0, 4 * MS), 0);
	assert_int_equal(tq_quic_ackr_deadline(&a), 4 * MS);
	tq_quic_ackr_sent(&a);
	assert_int_equal(tq_quic_ackr_deadline(&a), UINT64_MAX);
	assert_false(tq_quic_ackr_pending(&a));
	/* a gap (5 after 3): at once */
	assert_int_equal(tq_quic_ackr_record(&a, 5, true, 0, 5 * MS), 0);
	assert_int_equal(tq_quic_ackr_deadline(&a), 5 * MS);
	tq_quic_ackr_sent(&a);
	/* in order again: delayed */
	assert_int_equal(tq_quic_ackr_record(&a, 6, true, 0, 6 * MS), 0);
	assert_int_equal(tq_quic_ackr_deadline(&a), 31 * MS);
	tq_quic_ackr_sent(&a);
	/* out of order (4 below 6): at once */
	assert_int_equal(tq_quic_ackr_record(&a, 4, true, 0, 7 * MS), 0);
	assert_int_equal(tq_quic_ackr_deadline(&a), 7 * MS);
	tq_quic_ackr_sent(&a);
	/* CE: at once */
	assert_int_equal(tq_quic_ackr_record(&a, 7, true, TQ_QUIC_ECN_CE,
			8 * MS), 0);
	assert_int_equal(tq_quic_ackr_deadline(&a), 8 * MS);
	/* a duplicate changes nothing */
	tq_quic_ackr_sent(&a);
	assert_int_equal(tq_quic_ackr_record(&a, 7, true, 0, 9 * MS), -EEXIST);
	assert_int_equal(tq_quic_ackr_deadline(&a), UINT64_MAX);
	assert_int_equal(a.ecn.ce, 1);
}

static void
test_ack_due_handshake(void **state)
{
	enum tq_quic_space sp[] = { TQ_QUIC_SPACE_INITIAL,
		TQ_QUIC_SPACE_HANDSHAKE };
	struct tq_quic_ackr a;
	struct tq_quic_ack_range r[4];
	struct tq_quic_frame f;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		tq_quic_ackr_init(&a, sp[i], 25 * MS);
		assert_int_equal(tq_quic_ackr_record(&a, 0, false, 0, MS), 0);
		assert_int_equal(tq_quic_ackr_deadline(&a), UINT64_MAX);
		assert_int_equal(tq_quic_ackr_record(&a, 1, true, 0, 2 * MS),
				0);
		assert_int_equal(tq_quic_ackr_deadline(&a), 2 * MS);
		/* ack delay is 0 outside the application space */
		assert_int_equal(ack_roundtrip(&a, 50 * MS, 3, r, 4, &f), 1);
		assert_int_equal(f.ack.delay, 0);
		assert_int_equal(f.type, TQ_QUIC_FT_ACK);
	}
}

static void
test_ack_delay_ecn(void **state)
{
	struct tq_quic_ackr a;
	struct tq_quic_ack_range r[4];
	struct tq_quic_frame f;

	(void)state;
	tq_quic_ackr_init(&a, TQ_QUIC_SPACE_APP, 25 * MS);
	assert_int_equal(tq_quic_ackr_record(&a, 3, true, TQ_QUIC_ECN_ECT0,
			1 * MS), 0);
	assert_int_equal(tq_quic_ackr_record(&a, 1, true, TQ_QUIC_ECN_ECT0,
			2 * MS), 0);
	assert_int_equal(tq_quic_ackr_record(&a, 0, true, TQ_QUIC_ECN_ECT1,
			3 * MS), 0);
	assert_int_equal(tq_quic_ackr_record(&a, 4, false, TQ_QUIC_ECN_CE,
			4 * MS), 0);
	assert_int_equal(tq_quic_ackr_record(&a, 2, true, TQ_QUIC_ECN_NOT,
			5 * MS), 0);
	/* largest (4) arrived at 4 ms; written at 12 ms: 8000 us >> 3 */
	assert_int_equal(ack_roundtrip(&a, 12 * MS, 3, r, 4, &f), 1);
	assert_int_equal(f.type, TQ_QUIC_FT_ACK_ECN);
	assert_int_equal(f.ack.largest, 4);
	assert_int_equal(f.ack.delay, 1000);
	assert_int_equal(f.ack.counts.ect0, 2);
	assert_int_equal(f.ack.counts.ect1, 1);
	assert_int_equal(f.ack.counts.ce, 1);
	assert_int_equal(tq_quic_ack_delay_ns(f.ack.delay, 3), 8 * MS);
	/* exponent 0: microseconds */
	assert_int_equal(ack_roundtrip(&a, 12 * MS, 0, r, 4, &f), 1);
	assert_int_equal(f.ack.delay, 8000);
	assert_int_equal(tq_quic_ack_delay_ns(1, 20), (UINT64_C(1) << 20) *
			1000);
	assert_int_equal(tq_quic_ack_delay_ns(TQ_QUIC_VARINT_MAX, 20),
			UINT64_MAX);
}

static void
test_range_bound(void **state)
{
	struct tq_quic_ackr a;
	struct tq_quic_ack_range r[64];
	struct tq_quic_frame f;
	uint64_t i;

	(void)state;
	tq_quic_ackr_init(&a, TQ_QUIC_SPACE_APP, 25 * MS);
	/* 0, 2, 4, ..., 78: 40 ranges, the oldest 8 forgotten */
	for (i = 0; i < 40; i++)
		assert_int_equal(tq_quic_ackr_record(&a, 2 * i, true, 0, i),
				0);
	assert_int_equal(a.n, TQ_QUIC_ACKR_RANGES);
	assert_int_equal(a.floor, 15);
	assert_int_equal(ack_roundtrip(&a, 100, 3, r, 64, &f), 32);
	assert_int_equal(r[0].largest, 78);
	assert_int_equal(r[31].smallest, 16);
	/* refused below the floor, and older than the oldest when full */
	assert_true(tq_quic_ackr_dup(&a, 13));
	assert_int_equal(tq_quic_ackr_record(&a, 13, true, 0, 100), -ERANGE);
	assert_true(tq_quic_ackr_dup(&a, 14));
	assert_int_equal(tq_quic_ackr_record(&a, 14, true, 0, 100), -ERANGE);
	/* 15 extends the oldest range: no new range needed */
	assert_false(tq_quic_ackr_dup(&a, 15));
	assert_int_equal(tq_quic_ackr_record(&a, 15, true, 0, 100), 0);
	assert_int_equal(a.n, 32);
	/* filling a hole frees a slot */
	assert_int_equal(tq_quic_ackr_record(&a, 77, true, 0, 100), 0);
	assert_int_equal(a.n, 31);
	assert_int_equal(tq_quic_ackr_record(&a, 12, true, 0, 100), -ERANGE);
	/* a small encoder buffer drops the oldest ranges */
	{
		uint8_t buf[12];
		struct tq_quic_wr w;

		tq_quic_wr_init(&w, buf, sizeof(buf));
		assert_true(tq_quic_ackr_write(&a, &w, 100, 3) < 31);
	}
}

static void
test_forget(void **state)
{
	static const uint64_t want[] = { 9, 7, 5, 4 };
	struct tq_quic_ackr a;
	uint64_t i;

	(void)state;
	tq_quic_ackr_init(&a, TQ_QUIC_SPACE_APP, 25 * MS);
	for (i = 0; i < 10; i++)
		if (i != 6 && i != 2)
			assert_int_equal(tq_quic_ackr_record(&a, i, true, 0,
					i), 0);
	/* ranges 9-7, 5-3, 1-0; the peer acked our ACK whose largest was 3 */
	tq_quic_ackr_forget(&a, 3);
	expect_ranges(&a, want, 4);
	assert_true(tq_quic_ackr_dup(&a, 2));
	assert_int_equal(tq_quic_ackr_record(&a, 2, true, 0, 20), -ERANGE);
	assert_false(tq_quic_ackr_dup(&a, 6));
	/* an older ACK acknowledged later changes nothing */
	tq_quic_ackr_forget(&a, 1);
	expect_ranges(&a, want, 4);
	tq_quic_ackr_forget(&a, TQ_QUIC_PN_NONE);
	expect_ranges(&a, want, 4);
	/* everything */
	tq_quic_ackr_forget(&a, 9);
	assert_int_equal(a.n, 0);
	assert_int_equal(tq_quic_ackr_deadline(&a), UINT64_MAX);
	assert_false(tq_quic_ackr_pending(&a));
	assert_int_equal(a.largest, 9);
	assert_int_equal(tq_quic_ackr_record(&a, 6, true, 0, 20), -ERANGE);
	assert_int_equal(tq_quic_ackr_record(&a, 10, true, 0, 20), 0);
	{
		static const uint64_t w2[] = { 10, 10 };

		expect_ranges(&a, w2, 2);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_reorder_dup),
		cmocka_unit_test(test_random_against_bitmap),
		cmocka_unit_test(test_ack_due_app),
		cmocka_unit_test(test_ack_due_handshake),
		cmocka_unit_test(test_ack_delay_ecn),
		cmocka_unit_test(test_range_bound),
		cmocka_unit_test(test_forget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
