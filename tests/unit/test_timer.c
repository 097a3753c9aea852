/* SPDX-License-Identifier: BSD-3-Clause */
/* The timer wheel: exact firing times with a fake clock, rounds, callbacks
 * that arm and cancel, large jumps, and the pending count. */
#include "tq_test.h"

#include <stdlib.h>
#include <string.h>

#include "core/tq_clock.h"
#include "core/tq_timer.h"

#define TICK 1000000ull /* 1 ms */
#define MS(x) ((uint64_t)(x) * TICK)

/* What a fired timer records. */
struct rec {
	struct tq_timer t;
	unsigned int fired;
	uint64_t fired_at;
	/* optional behaviour in the callback */
	struct tq_timer_wheel *w;
	struct tq_timer *cancel;	/* cancel this one */
	struct tq_timer *arm;		/* arm this one ... */
	uint64_t arm_at;		/* ... at this time */
	uint64_t period;		/* re-arm self at now + period ... */
	unsigned int repeat;		/* ... this many times */
};

static uint64_t run_now; /* the now of the tq_timer_run() in progress */

static void
rec_cb(struct tq_timer *t, void *arg)
{
	struct rec *r = arg;

	assert_ptr_equal(t, &r->t);
	assert_false(tq_timer_pending(t));
	assert_true(run_now >= t->expire); /* never early */
	r->fired++;
	r->fired_at = run_now;
	if (r->cancel)
		tq_timer_cancel(r->w, r->cancel);
	if (r->arm)
		tq_timer_arm(r->w, r->arm, r->arm_at);
	if (r->period && r->repeat) {
		r->repeat--;
		tq_timer_arm(r->w, t, run_now + r->period);
	}
}

static unsigned int
run(struct tq_timer_wheel *w, uint64_t now)
{
	run_now = now;
	return tq_timer_run(w, now);
}

static void
rec_init(struct rec *r, struct tq_timer_wheel *w)
{
	memset(r, 0, sizeof(*r));
	r->w = w;
	tq_timer_init(&r->t, rec_cb, r);
}

static void
arm_cancel_rearm(void **state)
{
	static struct tq_timer_wheel w;
	struct rec a;

	tq_timer_wheel_init(&w, TICK, 0);
	rec_init(&a, &w);
	assert_false(tq_timer_pending(&a.t));

	tq_timer_arm(&w, &a.t, MS(5));
	assert_true(tq_timer_pending(&a.t));
	assert_int_equal(w.count, 1);
	tq_timer_cancel(&w, &a.t);
	assert_false(tq_timer_pending(&a.t));
	assert_int_equal(w.count, 0);
	/* Cancelling again is harmless. */
	tq_timer_cancel(&w, &a.t);
	assert_int_equal(w.count, 0);
	assert_int_equal(run(&w, MS(10)), 0);
	assert_int_equal(a.fired, 0);

	/* Re-arming a pending timer moves it and does not count it twice. */
	tq_timer_arm(&w, &a.t, MS(20));
	tq_timer_arm(&w, &a.t, MS(30));
	assert_int_equal(w.count, 1);
	assert_int_equal(run(&w, MS(25)), 0);
	assert_int_equal(a.fired, 0);
	assert_int_equal(run(&w, MS(30)), 1);
	assert_int_equal(a.fired, 1);
	assert_int_equal(a.fired_at, MS(30));
	assert_int_equal(w.count, 0);
	assert_false(tq_timer_pending(&a.t));

	/* Moving it earlier works too. */
	tq_timer_arm(&w, &a.t, MS(100));
	tq_timer_arm(&w, &a.t, MS(40));
	assert_int_equal(run(&w, MS(40)), 1);
	assert_int_equal(a.fired, 2);
	assert_int_equal(run(&w, MS(200)), 0);
	assert_int_equal(a.fired, 2);
}

/* Not before, and at the first run whose now reaches the expiry, also
 * within one tick. */
static void
exact_within_tick(void **state)
{
	static struct tq_timer_wheel w;
	struct rec a, b;

	tq_timer_wheel_init(&w, TICK, MS(1));
	rec_init(&a, &w);
	rec_init(&b, &w);
	tq_timer_arm(&w, &a.t, MS(5) + 500000);
	tq_timer_arm(&w, &b.t, MS(5) + 900000);
	assert_int_equal(run(&w, MS(5)), 0);
	assert_int_equal(run(&w, MS(5) + 499999), 0);
	assert_int_equal(a.fired, 0);
	assert_int_equal(run(&w, MS(5) + 500000), 1);
	assert_int_equal(a.fired, 1);
	assert_int_equal(b.fired, 0);
	assert_int_equal(run(&w, MS(5) + 899999), 0);
	assert_int_equal(run(&w, MS(5) + 900000), 1);
	assert_int_equal(b.fired, 1);
	assert_int_equal(w.count, 0);

	/* Already due when armed: the next run fires it. */
	tq_timer_arm(&w, &a.t, MS(1));
	assert_int_equal(run(&w, MS(5) + 900001), 1);
	assert_int_equal(a.fired, 2);
	/* Time going backwards fires nothing. */
	tq_timer_arm(&w, &a.t, MS(7));
	assert_int_equal(run(&w, MS(3)), 0);
	assert_int_equal(run(&w, MS(7)), 1);
}

static uint64_t
lcg(uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return *x >> 17;
}

/*
 * Many timers at pseudo-random times up to four wheel turns away, run
 * with irregular steps (some of them jumps of many ticks): each fires once,
 * at the first run whose now is >= its expiry.
 */
#define NT 2000
static void
property_first_run(void **state)
{
	static struct tq_timer_wheel w;
	static struct rec r[NT];
	static uint64_t runs[100000];
	uint64_t x = 42, now = 123456, end = MS(4 * TQ_WHEEL_SLOTS + 50);
	unsigned int i, nruns = 0, fired = 0;

	tq_timer_wheel_init(&w, TICK, now);
	for (i = 0; i < NT; i++) {
		rec_init(&r[i], &w);
		tq_timer_arm(&w, &r[i].t, now + lcg(&x) % (end - now - MS(10)));
	}
	assert_int_equal(w.count, NT);
	while (now < end) {
		uint64_t k = lcg(&x) % 100;

		if (k < 50)
			now += lcg(&x) % 300000;	/* within a tick */
		else if (k < 97)
			now += lcg(&x) % MS(3);		/* a few ticks */
		else if (k < 99)
			now += lcg(&x) % MS(300);	/* many ticks */
		else	/* past a whole turn of the wheel */
			now += MS(TQ_WHEEL_SLOTS) + lcg(&x) % MS(500);
		runs[nruns++] = now;
		assert_true(nruns < RTE_DIM(runs));
		fired += run(&w, now);
		assert_int_equal(w.count, NT - fired);
	}
	assert_int_equal(fired, NT);
	for (i = 0; i < NT; i++) {
		uint64_t *first = NULL;
		unsigned int lo = 0, hi = nruns;

		assert_int_equal(r[i].fired, 1);
		/* the first run time >= expiry */
		while (lo < hi) {
			unsigned int mid = (lo + hi) / 2;

			if (runs[mid] >= r[i].t.expire)
				hi = mid;
			else
				lo = mid + 1;
		}
		assert_true(lo < nruns);
		first = &runs[lo];
		if (r[i].fired_at != *first)
			fail_msg("timer %u: expiry %llu, fired %llu, want %llu",
				i, (unsigned long long)r[i].t.expire,
				(unsigned long long)r[i].fired_at,
				(unsigned long long)*first);
	}
}

/* Timers in one slot, different rounds: each waits for its own turn. */
static void
same_slot_rounds(void **state)
{
	static struct tq_timer_wheel w;
	const uint64_t turn = MS(TQ_WHEEL_SLOTS);
	struct rec r[5];
	unsigned int i;

	tq_timer_wheel_init(&w, TICK, 0);
	/* Armed in reverse so the slot's list is not in expiry order. */
	for (i = 5; i-- > 0;) {
		rec_init(&r[i], &w);
		tq_timer_arm(&w, &r[i].t, MS(3) + i * turn);
	}
	assert_int_equal(w.count, 5);
	for (i = 0; i < 5; i++) {
		unsigned int j;

		/* Every tick up to just before this one's expiry. */
		assert_int_equal(run(&w, MS(3) + i * turn - 1), 0);
		assert_int_equal(r[i].fired, 0);
		assert_int_equal(run(&w, MS(3) + i * turn), 1);
		for (j = 0; j < 5; j++)
			assert_int_equal(r[j].fired, j <= i);
		assert_int_equal(r[i].fired_at, MS(3) + i * turn);
		assert_int_equal(w.count, 4 - i);
		/* walk the wheel a tick at a time for the next turn */
		if (i < 4) {
			uint64_t t;

			for (t = MS(3) + i * turn + TICK;
					t < MS(3) + (i + 1) * turn - TICK;
					t += TICK)
				assert_int_equal(run(&w, t), 0);
		}
	}
}

/* A callback re-arms itself: it fires at each period exactly. */
static void
rearm_self(void **state)
{
	static struct tq_timer_wheel w;
	struct rec a;
	uint64_t t;
	unsigned int n = 0;

	tq_timer_wheel_init(&w, TICK, 0);
	rec_init(&a, &w);
	a.period = MS(10) + 250000;
	a.repeat = 5;
	tq_timer_arm(&w, &a.t, MS(10));
	for (t = 0; t <= MS(200); t += 250000) {
		unsigned int before = a.fired;

		run(&w, t);
		if (a.fired != before) {
			assert_int_equal(a.fired, before + 1);
			assert_int_equal(t, MS(10) + n * a.period);
			n++;
		}
		assert_int_equal(w.count, tq_timer_pending(&a.t) ? 1 : 0);
	}
	assert_int_equal(a.fired, 6);
	assert_int_equal(w.count, 0);
}

/* A callback cancels pending timers: one due in the same run (same slot
 * and a later slot) and one far away. */
static void
cancel_from_callback(void **state)
{
	static struct tq_timer_wheel w;
	struct rec a, b, c, d;

	tq_timer_wheel_init(&w, TICK, 0);
	rec_init(&a, &w);
	rec_init(&b, &w);
	rec_init(&c, &w);
	rec_init(&d, &w);
	/* b armed first so a is ahead of it in the slot's list. */
	tq_timer_arm(&w, &b.t, MS(5));
	tq_timer_arm(&w, &a.t, MS(5));
	tq_timer_arm(&w, &c.t, MS(7));
	tq_timer_arm(&w, &d.t, MS(5000));
	a.cancel = &b.t;
	assert_int_equal(w.count, 4);
	/* a fires first and cancels b, due in the same slot and run. */
	assert_int_equal(run(&w, MS(5)), 1);
	assert_int_equal(a.fired, 1);
	assert_int_equal(b.fired, 0);
	assert_false(tq_timer_pending(&b.t));
	assert_int_equal(w.count, 2);

	/* c (due in this run, in a later slot) cancels d (far away) and
	 * a second callback cancels a timer due later in the same run. */
	c.cancel = &d.t;
	tq_timer_arm(&w, &a.t, MS(6));
	tq_timer_arm(&w, &b.t, MS(8));
	a.cancel = &b.t;
	assert_int_equal(w.count, 4);
	assert_int_equal(run(&w, MS(20)), 2);
	assert_int_equal(a.fired, 2);
	assert_int_equal(b.fired, 0);
	assert_int_equal(c.fired, 1);
	assert_false(tq_timer_pending(&d.t));
	assert_int_equal(w.count, 0);
	assert_int_equal(run(&w, MS(6000)), 0);
	assert_int_equal(d.fired, 0);
}

/* A callback arms another timer: one due within the same run fires in it,
 * one already due at arming fires no later than the next run. */
static void
arm_from_callback(void **state)
{
	static struct tq_timer_wheel w;
	struct rec a, b, c;

	tq_timer_wheel_init(&w, TICK, 0);
	rec_init(&a, &w);
	rec_init(&b, &w);
	rec_init(&c, &w);
	a.arm = &b.t;
	a.arm_at = MS(4);	/* later in this run */
	tq_timer_arm(&w, &a.t, MS(2));
	assert_int_equal(run(&w, MS(10)), 2);
	assert_int_equal(b.fired, 1);
	assert_int_equal(b.fired_at, MS(10));
	assert_int_equal(w.count, 0);

	/* Armed by a callback in an early slot of a long run with an expiry
	 * that has passed (catching up): due, so it must not wait a turn
	 * of the wheel. */
	a.arm = &c.t;
	a.arm_at = MS(12);
	tq_timer_arm(&w, &a.t, MS(12));
	run(&w, MS(30));
	assert_int_equal(a.fired, 2);
	if (c.fired == 0)
		run(&w, MS(31));
	assert_int_equal(c.fired, 1);
	assert_int_equal(w.count, 0);
}

/* A jump far past the wheel fires everything due, once, and keeps the
 * rest. */
static void
large_jump(void **state)
{
	static struct tq_timer_wheel w;
	static struct rec r[1000];
	uint64_t x = 7;
	unsigned int i, due = 0;

	tq_timer_wheel_init(&w, TICK, 0);
	for (i = 0; i < RTE_DIM(r); i++) {
		rec_init(&r[i], &w);
		tq_timer_arm(&w, &r[i].t, lcg(&x) % MS(20000));
		if (r[i].t.expire <= MS(10000))
			due++;
	}
	assert_true(due > 300 && due < 700);
	assert_int_equal(run(&w, MS(10000)), due);
	assert_int_equal(w.count, RTE_DIM(r) - due);
	for (i = 0; i < RTE_DIM(r); i++)
		assert_int_equal(r[i].fired, r[i].t.expire <= MS(10000));
	/* Then a tick at a time, then the rest at once. */
	for (i = 1; i <= 10; i++)
		due += run(&w, MS(10000 + i));
	assert_int_equal(w.count, RTE_DIM(r) - due);
	assert_int_equal(run(&w, MS(1000000)), RTE_DIM(r) - due);
	assert_int_equal(w.count, 0);
	for (i = 0; i < RTE_DIM(r); i++)
		assert_int_equal(r[i].fired, 1);
}

/*
 * Timers minutes and hours away (TIME_WAIT, keepalive) are not touched
 * while the wheel turns: 100000 of them, 3 s of runs a tick at a time,
 * and not one is moved (a one-level wheel moves each of them once a
 * turn, 300000 moves here).  Then each fires at its time.
 */
static void
far_timers_stay_put(void **state)
{
	static struct tq_timer_wheel w;
	static struct rec r[100000];
	uint64_t x = 99, t;
	unsigned int i, fired = 0;

	tq_timer_wheel_init(&w, TICK, 0);
	for (i = 0; i < RTE_DIM(r); i++) {
		rec_init(&r[i], &w);
		tq_timer_arm(&w, &r[i].t, MS(60000) + lcg(&x) % MS(7140000));
	}
	for (t = TICK; t <= MS(3000); t += TICK)
		assert_int_equal(run(&w, t), 0);
	assert_int_equal(w.moved, 0);
	assert_int_equal(w.count, RTE_DIM(r));
	/* Half a second at a time (cascades, no jumps) to the last. */
	for (t = MS(3000); fired < RTE_DIM(r); t += MS(500) + 1)
		fired += run(&w, t);
	for (i = 0; i < RTE_DIM(r); i++) {
		assert_int_equal(r[i].fired, 1);
		assert_true(r[i].fired_at >= r[i].t.expire);
		assert_true(r[i].fired_at < r[i].t.expire + MS(500) + 1);
	}
	/* Each moved down a level a few times at most, not once a turn. */
	assert_true(w.moved <= 3 * RTE_DIM(r));
}

/*
 * Timers at every level (1 ms to 40 min, spread over the powers of two)
 * run with steps under a level-0 turn, so they cascade rather than jump,
 * with a rare jump among them: each fires once, at the first run whose
 * now is >= its expiry.
 */
#define NL 5000
static void
property_levels(void **state)
{
	static struct tq_timer_wheel w;
	static struct rec r[NL];
	static uint64_t runs[200000];
	uint64_t x = 4242, now = 777, end = MS(41 * 60 * 1000);
	unsigned int i, nruns = 0, fired = 0;

	tq_timer_wheel_init(&w, TICK, now);
	for (i = 0; i < NL; i++) {
		unsigned int b = (unsigned int)(lcg(&x) % 31);
		uint64_t d = (1ull << b) * 1000 + lcg(&x) % ((1ull << b) * 1000);

		rec_init(&r[i], &w);
		if (d > MS(40 * 60 * 1000))
			d = MS(40 * 60 * 1000) - lcg(&x) % MS(1000);
		tq_timer_arm(&w, &r[i].t, now + d);
	}
	while (now < end) {
		uint64_t k = lcg(&x) % 1000;

		if (k < 400)
			now += lcg(&x) % 300000;	/* within a tick */
		else if (k < 999)
			now += lcg(&x) % MS(1000);	/* under a turn */
		else
			now += MS(TQ_WHEEL_SLOTS) + lcg(&x) % MS(5000);
		runs[nruns++] = now;
		assert_true(nruns < RTE_DIM(runs));
		fired += run(&w, now);
		assert_int_equal(w.count, NL - fired);
	}
	assert_int_equal(fired, NL);
	for (i = 0; i < NL; i++) {
		unsigned int lo = 0, hi = nruns;

		assert_int_equal(r[i].fired, 1);
		while (lo < hi) {
			unsigned int mid = (lo + hi) / 2;

			if (runs[mid] >= r[i].t.expire)
				hi = mid;
			else
				lo = mid + 1;
		}
		assert_true(lo < nruns);
		if (r[i].fired_at != runs[lo])
			fail_msg("timer %u: expiry %llu, fired %llu, want %llu",
				i, (unsigned long long)r[i].t.expire,
				(unsigned long long)r[i].fired_at,
				(unsigned long long)runs[lo]);
	}
}

/*
 * The worker clock (a multiply and a shift) against the exact conversion
 * of the same TSC reading, at now and at 10^15 cycles from now (days at
 * any TSC rate): within a part in 10^8.
 */
static void
clock_matches_tsc(void **state)
{
	uint64_t tsc[2] = { 0, 1000000000000000ull }, k;

	tq_clock_init();
	tsc[0] = rte_rdtsc();
	for (k = 0; k < RTE_DIM(tsc); k++) {
		uint64_t t = tsc[0] + (k ? tsc[1] : 0);
		uint64_t exact = (uint64_t)((unsigned __int128)t *
				1000000000u / tq_tsc_hz);
		uint64_t fast = (uint64_t)(((unsigned __int128)t *
				tq_tsc_mult) >> 32);
		uint64_t d = exact > fast ? exact - fast : fast - exact;

		assert_true(d <= exact / 100000000 + 1);
	}
	/* And the clock moves with time. */
	k = tq_clock_ns();
	rte_delay_us_block(2000);
	assert_true(tq_clock_ns() - k >= 1900000);
}

/*
 * tq_timer_poll() skips the run within a tick when the tick's slot is
 * empty; it must fire exactly what tq_timer_run() fires, also timers armed
 * for a time already past and timers due later in the same tick.
 * tq_timer_arm_later() only stores a later time: the wheel still fires it
 * at that time, not at the old one.
 */
static void
poll_and_arm_later(void **state)
{
	static struct tq_timer_wheel w, w2;
	struct rec a, b[64], b2[64];
	uint64_t now = 0;
	unsigned int i, step;

	(void)state;
	tq_timer_wheel_init(&w, TICK, 0);
	rec_init(&a, &w);
	tq_timer_arm(&w, &a.t, 500000);
	run_now = 400000;
	assert_int_equal(tq_timer_poll(&w, 400000), 0);
	run_now = 500000;
	assert_int_equal(tq_timer_poll(&w, 500000), 1);
	/* Armed in the past, in the tick last run. */
	tq_timer_arm(&w, &a.t, 100000);
	run_now = 600000;
	assert_int_equal(tq_timer_poll(&w, 600000), 1);
	assert_int_equal(a.fired, 2);

	/* Later: stays in its slot, fires at the new time. */
	tq_timer_arm(&w, &a.t, MS(10));
	tq_timer_arm_later(&w, &a.t, MS(20));
	assert_int_equal(w.count, 1);
	assert_int_equal(run(&w, MS(10)), 0);
	assert_true(tq_timer_pending(&a.t));
	assert_int_equal(run(&w, MS(20) - 1), 0);
	assert_int_equal(run(&w, MS(20)), 1);
	assert_int_equal(a.fired_at, MS(20));
	/* Earlier: moved. */
	tq_timer_arm(&w, &a.t, MS(50));
	tq_timer_arm_later(&w, &a.t, MS(30));
	assert_int_equal(run(&w, MS(30)), 1);
	assert_int_equal(a.fired_at, MS(30));
	/* Not pending: armed. */
	tq_timer_arm_later(&w, &a.t, MS(40));
	assert_int_equal(run(&w, MS(40)), 1);
	assert_int_equal(w.count, 0);

	/* The same random arms, one wheel run every step, the other polled:
	 * the same timers fire at the same steps. */
	srand(7);
	tq_timer_wheel_init(&w, TICK, 0);
	tq_timer_wheel_init(&w2, TICK, 0);
	for (i = 0; i < RTE_DIM(b); i++) {
		rec_init(&b[i], &w);
		rec_init(&b2[i], &w2);
	}
	for (step = 0; step < 20000; step++) {
		now += (uint64_t)(rand() % 300) * 1000; /* up to 0.3 ms */
		i = (unsigned int)rand() % RTE_DIM(b);
		if (rand() % 4 == 0) {
			/* from 2 ms back to 30 ms ahead */
			uint64_t at = now + (uint64_t)(rand() % 32000) * 1000;

			at = at > MS(2) ? at - MS(2) : 0;
			if (rand() % 2) {
				tq_timer_arm(&w, &b[i].t, at);
				tq_timer_arm(&w2, &b2[i].t, at);
			} else {
				tq_timer_arm_later(&w, &b[i].t, at);
				tq_timer_arm_later(&w2, &b2[i].t, at);
			}
		}
		run_now = now;
		tq_timer_run(&w, now);
		tq_timer_poll(&w2, now);
		for (i = 0; i < RTE_DIM(b); i++) {
			assert_int_equal(b[i].fired, b2[i].fired);
			assert_int_equal(b[i].fired_at, b2[i].fired_at);
		}
		assert_int_equal(w.count, w2.count);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(arm_cancel_rearm),
		cmocka_unit_test(exact_within_tick),
		cmocka_unit_test(property_first_run),
		cmocka_unit_test(same_slot_rounds),
		cmocka_unit_test(rearm_self),
		cmocka_unit_test(cancel_from_callback),
		cmocka_unit_test(arm_from_callback),
		cmocka_unit_test(large_jump),
		cmocka_unit_test(far_timers_stay_put),
		cmocka_unit_test(property_levels),
		cmocka_unit_test(clock_matches_tsc),
		cmocka_unit_test(poll_and_arm_later),
	};

	if (tq_test_eal_init("timer") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
