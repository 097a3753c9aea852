/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC flow control (engine/quic/tq_quic_fc.c): FLOW_CONTROL_ERROR at
 * stream and connection level, when MAX_DATA goes out, the window
 * doubling under a fake clock, the send side's credit and BLOCKED once
 * per limit, and stream counts (STREAM_LIMIT_ERROR, MAX_STREAMS,
 * STREAMS_BLOCKED).
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

#include "quic/tq_quic_fc.h"

#define MS UINT64_C(1000000)
#define T0 (UINT64_C(1000) * MS)

static void
test_rx_violation(void **state)
{
	struct tq_quic_fc_rx s1, s2, conn;
	uint64_t newly;

	(void)state;
	tq_quic_fc_rx_init(&s1, 1000, 1000, T0);
	tq_quic_fc_rx_init(&s2, 1000, 1000, T0);
	tq_quic_fc_rx_init(&conn, 1500, 1500, T0);
	assert_int_equal(tq_quic_fc_rx_data(&s1, 600, &newly),
			TQ_QUIC_NO_ERROR);
	assert_int_equal(newly, 600);
	assert_int_equal(tq_quic_fc_rx_add(&conn, newly), TQ_QUIC_NO_ERROR);
	/* a retransmission below the highest offset counts nothing */
	assert_int_equal(tq_quic_fc_rx_data(&s1, 300, &newly),
			TQ_QUIC_NO_ERROR);
	assert_int_equal(newly, 0);
	/* exactly at the stream limit */
	assert_int_equal(tq_quic_fc_rx_data(&s1, 1000, &newly),
			TQ_QUIC_NO_ERROR);
	assert_int_equal(newly, 400);
	assert_int_equal(tq_quic_fc_rx_add(&conn, newly), TQ_QUIC_NO_ERROR);
	assert_int_equal(tq_quic_fc_rx_data(&s1, 1001, &newly),
			TQ_QUIC_FLOW_CONTROL_ERROR);
	/* the connection: 1000 + 600 > 1500 */
	assert_int_equal(tq_quic_fc_rx_data(&s2, 500, &newly),
			TQ_QUIC_NO_ERROR);
	assert_int_equal(tq_quic_fc_rx_add(&conn, newly), TQ_QUIC_NO_ERROR);
	assert_int_equal(tq_quic_fc_rx_data(&s2, 501, &newly),
			TQ_QUIC_NO_ERROR);
	assert_int_equal(tq_quic_fc_rx_add(&conn, newly),
			TQ_QUIC_FLOW_CONTROL_ERROR);
}

static void
test_rx_update_half(void **state)
{
	struct tq_quic_fc_rx fc;
	uint64_t newly, max = 0;

	(void)state;
	/* slow reads (an update every 10 s, srtt 10 ms): no autotuning */
	tq_quic_fc_rx_init(&fc, 1000, 100000, T0);
	tq_quic_fc_rx_data(&fc, 1000, &newly);
	tq_quic_fc_rx_consumed(&fc, 499);
	assert_false(tq_quic_fc_rx_update(&fc, T0 + 10000 * MS, 10 * MS,
			&max));
	tq_quic_fc_rx_consumed(&fc, 1);
	assert_true(tq_quic_fc_rx_update(&fc, T0 + 10000 * MS, 10 * MS, &max));
	assert_int_equal(max, 1500);
	assert_int_equal(fc.window, 1000);
	/* nothing more until another half window is read */
	assert_false(tq_quic_fc_rx_update(&fc, T0 + 20000 * MS, 10 * MS,
			&max));
	assert_int_equal(tq_quic_fc_rx_data(&fc, 1500, &newly),
			TQ_QUIC_NO_ERROR);
	assert_int_equal(tq_quic_fc_rx_data(&fc, 1501, &newly),
			TQ_QUIC_FLOW_CONTROL_ERROR);
	/* consumed never passes what arrived */
	tq_quic_fc_rx_consumed(&fc, 5000);
	assert_int_equal(fc.consumed, 1500);
	assert_true(tq_quic_fc_rx_update(&fc, T0 + 30000 * MS, 10 * MS, &max));
	assert_int_equal(max, 2500);
}

/* Half a window read within 2 RTTs of the last update: the window
 * doubles, up to its max. */
static void
test_rx_autotune(void **state)
{
	struct tq_quic_fc_rx fc;
	uint64_t newly, max = 0, srtt = 10 * MS;

	(void)state;
	tq_quic_fc_rx_init(&fc, 1000, 8000, T0);
	tq_quic_fc_rx_data(&fc, 1000, &newly);
	tq_quic_fc_rx_consumed(&fc, 500);
	/* 5 ms after init < 20 ms */
	assert_true(tq_quic_fc_rx_update(&fc, T0 + 5 * MS, srtt, &max));
	assert_int_equal(fc.window, 2000);
	assert_int_equal(max, 2500);
	tq_quic_fc_rx_data(&fc, 2500, &newly);
	tq_quic_fc_rx_consumed(&fc, 1000);
	assert_true(tq_quic_fc_rx_update(&fc, T0 + 24 * MS, srtt, &max));
	assert_int_equal(fc.window, 4000);
	assert_int_equal(max, 5500);
	tq_quic_fc_rx_data(&fc, 5500, &newly);
	tq_quic_fc_rx_consumed(&fc, 2000);
	assert_true(tq_quic_fc_rx_update(&fc, T0 + 30 * MS, srtt, &max));
	assert_int_equal(fc.window, 8000);
	assert_int_equal(max, 11500);
	/* at the max: no further */
	tq_quic_fc_rx_data(&fc, 11500, &newly);
	tq_quic_fc_rx_consumed(&fc, 4000);
	assert_true(tq_quic_fc_rx_update(&fc, T0 + 31 * MS, srtt, &max));
	assert_int_equal(fc.window, 8000);
	assert_int_equal(max, 15500);
	/* exactly 2 RTTs later is not "within": no doubling */
	tq_quic_fc_rx_init(&fc, 1000, 8000, T0);
	tq_quic_fc_rx_data(&fc, 1000, &newly);
	tq_quic_fc_rx_consumed(&fc, 500);
	assert_true(tq_quic_fc_rx_update(&fc, T0 + 20 * MS, srtt, &max));
	assert_int_equal(fc.window, 1000);
	/* the connection window kept above 1.5 stream windows */
	tq_quic_fc_rx_ensure(&fc, 12000);
	assert_int_equal(fc.window, 12000);
	assert_int_equal(fc.window_max, 12000);
	tq_quic_fc_rx_ensure(&fc, 500);
	assert_int_equal(fc.window, 12000);
}

static void
test_tx(void **state)
{
	struct tq_quic_fc_tx fc;
	uint64_t limit = 0;

	(void)state;
	tq_quic_fc_tx_init(&fc, 1000);
	assert_int_equal(tq_quic_fc_tx_credit(&fc), 1000);
	assert_false(tq_quic_fc_tx_blocked(&fc, &limit));
	tq_quic_fc_tx_sent(&fc, 1000);
	assert_int_equal(tq_quic_fc_tx_credit(&fc), 0);
	assert_true(tq_quic_fc_tx_blocked(&fc, &limit));
	assert_int_equal(limit, 1000);
	tq_quic_fc_tx_blocked_sent(&fc, 1000);
	/* once per limit */
	assert_false(tq_quic_fc_tx_blocked(&fc, &limit));
	/* lost: again, while the limit is the same */
	tq_quic_fc_tx_blocked_lost(&fc, 1000);
	assert_true(tq_quic_fc_tx_blocked(&fc, &limit));
	tq_quic_fc_tx_blocked_sent(&fc, 1000);
	/* a lower or equal MAX_DATA (reordered) changes nothing */
	assert_false(tq_quic_fc_tx_update(&fc, 900));
	assert_false(tq_quic_fc_tx_update(&fc, 1000));
	assert_int_equal(tq_quic_fc_tx_credit(&fc), 0);
	assert_true(tq_quic_fc_tx_update(&fc, 3000));
	assert_int_equal(tq_quic_fc_tx_credit(&fc), 2000);
	assert_false(tq_quic_fc_tx_blocked(&fc, &limit));
	tq_quic_fc_tx_sent(&fc, 2000);
	assert_true(tq_quic_fc_tx_blocked(&fc, &limit));
	assert_int_equal(limit, 3000);
	tq_quic_fc_tx_blocked_sent(&fc, 3000);
	/* the old limit's frame lost late: not resent */
	tq_quic_fc_tx_blocked_lost(&fc, 1000);
	assert_false(tq_quic_fc_tx_blocked(&fc, &limit));
}

static void
test_streams(void **state)
{
	struct tq_quic_streams s;
	uint64_t newly, max = 0, limit = 0, i;

	(void)state;
	tq_quic_streams_init(&s, 10, 3);
	/* the peer's: index 5 opens 0..5 */
	assert_int_equal(tq_quic_streams_peer_open(&s, 5, &newly),
			TQ_QUIC_NO_ERROR);
	assert_int_equal(newly, 6);
	assert_int_equal(tq_quic_streams_peer_open(&s, 2, &newly),
			TQ_QUIC_NO_ERROR);
	assert_int_equal(newly, 0);
	assert_int_equal(tq_quic_streams_peer_open(&s, 9, &newly),
			TQ_QUIC_NO_ERROR);
	assert_int_equal(newly, 4);
	assert_int_equal(tq_quic_streams_peer_open(&s, 10, &newly),
			TQ_QUIC_STREAM_LIMIT_ERROR);
	/* MAX_STREAMS after half the window (5) closed */
	for (i = 0; i < 4; i++) {
		tq_quic_streams_peer_closed(&s);
		assert_false(tq_quic_streams_update(&s, &max));
	}
	tq_quic_streams_peer_closed(&s);
	assert_true(tq_quic_streams_update(&s, &max));
	assert_int_equal(max, 15);
	assert_false(tq_quic_streams_update(&s, &max));
	assert_int_equal(tq_quic_streams_peer_open(&s, 14, &newly),
			TQ_QUIC_NO_ERROR);
	assert_int_equal(tq_quic_streams_peer_open(&s, 15, &newly),
			TQ_QUIC_STREAM_LIMIT_ERROR);
	/* ours: 3 allowed */
	for (i = 0; i < 3; i++)
		assert_int_equal(tq_quic_streams_local_open(&s), (int64_t)i);
	assert_int_equal(tq_quic_streams_local_open(&s), -EAGAIN);
	assert_true(tq_quic_streams_blocked(&s, &limit));
	assert_int_equal(limit, 3);
	tq_quic_streams_blocked_sent(&s, 3);
	assert_false(tq_quic_streams_blocked(&s, &limit));
	assert_false(tq_quic_streams_local_update(&s, 2));
	assert_true(tq_quic_streams_local_update(&s, 4));
	assert_false(tq_quic_streams_blocked(&s, &limit));
	assert_int_equal(tq_quic_streams_local_open(&s), 3);
	assert_true(tq_quic_streams_blocked(&s, &limit));
	assert_int_equal(limit, 4);
	/* a window of 1: each close raises the limit */
	tq_quic_streams_init(&s, 1, 0);
	assert_int_equal(tq_quic_streams_local_open(&s), -EAGAIN);
	assert_int_equal(tq_quic_streams_peer_open(&s, 0, &newly),
			TQ_QUIC_NO_ERROR);
	assert_false(tq_quic_streams_update(&s, &max));
	tq_quic_streams_peer_closed(&s);
	assert_true(tq_quic_streams_update(&s, &max));
	assert_int_equal(max, 2);
	/* the limit stops at 2^60 */
	tq_quic_streams_init(&s, TQ_QUIC_MAX_STREAMS, 0);
	s.peer_opened = 10;
	s.peer_closed = 9;
	tq_quic_streams_peer_closed(&s);
	assert_false(tq_quic_streams_update(&s, &max));
	assert_int_equal(s.peer_max, TQ_QUIC_MAX_STREAMS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rx_violation),
		cmocka_unit_test(test_rx_update_half),
		cmocka_unit_test(test_rx_autotune),
		cmocka_unit_test(test_tx),
		cmocka_unit_test(test_streams),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
