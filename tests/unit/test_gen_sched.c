/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-gen's open-loop scheduler (apps/tq-gen/sched.c): intended times are
 * exact and do not drift, senders sharing a rate interleave into the
 * global schedule, and latency measured from the intended time keeps
 * the queueing that a stalled server causes (coordinated omission).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hist.h"
#include "sched.h"

static void
rate_parse(void **state)
{
	uint64_t r;

	assert_int_equal(gen_rate_parse("200", &r), 0);
	assert_int_equal(r, 200000);
	assert_int_equal(gen_rate_parse("0.5", &r), 0);
	assert_int_equal(r, 500);
	assert_int_equal(gen_rate_parse("12.125", &r), 0);
	assert_int_equal(r, 12125);
	assert_int_equal(gen_rate_parse("0", &r), -EINVAL);
	assert_int_equal(gen_rate_parse("1.2345", &r), -EINVAL);
	assert_int_equal(gen_rate_parse("", &r), -EINVAL);
	assert_int_equal(gen_rate_parse("-3", &r), -EINVAL);
	assert_int_equal(gen_rate_parse("5x", &r), -EINVAL);
}

static void
exact_no_drift(void **state)
{
	struct gen_sched s;
	uint64_t k, t, prev, gap_lo, gap_hi;

	/* 7/s: a period of 142857142.857... ns that no sum of rounded
	 * periods keeps. */
	gen_sched_init(&s, 1000, 7000, 0, 1);
	gap_lo = 1000000000ull / 7;
	gap_hi = gap_lo + 1;
	prev = gen_sched_take(&s);
	assert_int_equal(prev, 1000);
	for (k = 1; k < 1000000; k++) {
		t = gen_sched_take(&s);
		assert_true(t - prev == gap_lo || t - prev == gap_hi);
		prev = t;
	}
	/* The millionth event is where exact arithmetic puts it. */
	assert_int_equal(gen_sched_take(&s), 1000 + 1000000ull *
			1000000000ull / 7);
	/* A long way in: 10^10 events at 3/s, 105 years. */
	gen_sched_init(&s, 0, 3000, 0, 1);
	assert_int_equal(gen_sched_at(&s, 10000000000ull),
			3333333333333333333ull);
	/* Half an event a second: two seconds apart. */
	gen_sched_init(&s, 5, 500, 0, 1);
	assert_int_equal(gen_sched_nth(&s, 3), 5 + 6000000000ull);
}

/* 5 senders, each with its own stream, make the global schedule. */
static void
senders_interleave(void **state)
{
	struct gen_sched g, s[5];
	uint64_t j, c;

	gen_sched_init(&g, 77, 1234567, 0, 1);
	for (c = 0; c < 5; c++)
		gen_sched_init(&s[c], 77, 1234567, c, 5);
	for (j = 0; j < 100000; j++)
		assert_int_equal(gen_sched_take(&s[j % 5]),
				gen_sched_at(&g, j));
}

static void
split(void **state)
{
	uint64_t i, first, next = 0, sum = 0, n;

	for (i = 0; i < 7; i++) {
		n = gen_split(100, 7, i, &first);
		assert_int_equal(first, next);
		assert_true(n == 14 || n == 15);
		next += n;
		sum += n;
	}
	assert_int_equal(sum, 100);
	assert_int_equal(gen_split(3, 8, 5, &first), 0);
}

/*
 * One connection at 1000 requests/s against a server that answers in
 * 100 µs, except request 1000, which it holds for a second.  The sender
 * is closed-loop underneath (the next request goes when the previous is
 * answered), so a second's worth of requests queue behind the stall.
 * From the send time they all look fast; from the intended time they
 * carry the wait, as a user arriving on schedule would see it.
 */
static void
coordinated_omission(void **state)
{
	struct gen_hist *from_intended = gen_hist_new();
	struct gen_hist *from_send = gen_hist_new();
	struct gen_sched s;
	uint64_t k, intended, send, done = 0, service;

	assert_non_null(from_intended);
	assert_non_null(from_send);
	gen_sched_init(&s, 0, 1000000, 0, 1);
	for (k = 0; k < 5000; k++) {
		intended = gen_sched_take(&s);
		send = intended > done ? intended : done;
		service = k == 1000 ? 1000000000ull : 100000;
		done = send + service;
		gen_hist_record(from_intended, gen_latency(intended, done));
		gen_hist_record(from_send, done - send);
	}
	/* Uncorrected: one slow request in 5000, p99 is the service time. */
	assert_true(gen_hist_percentile(from_send, 99) <= 101000);
	/* Corrected: about 1100 requests waited behind the stall. */
	assert_true(gen_hist_percentile(from_intended, 90) >= 100000000ull);
	assert_true(gen_hist_percentile(from_intended, 99) >= 800000000ull);
	assert_true(from_intended->max >= 1000000000ull);
	/* And it drains: the sender catches up with the schedule. */
	assert_true(gen_latency(intended, done) <= 100000);
	free(from_intended);
	free(from_send);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rate_parse),
		cmocka_unit_test(exact_no_drift),
		cmocka_unit_test(senders_interleave),
		cmocka_unit_test(split),
		cmocka_unit_test(coordinated_omission),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
