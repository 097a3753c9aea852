/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Apps on workers (tachyon/tq_worker.h) at the shard level, on the fake
 * clock: app timers fire at their time on their shard, re-arm and cancel;
 * app counters sum per worker; commands from many threads at once reach
 * the worker exactly once (the command ring is multi-producer); and an
 * active open from worker k picks a source port whose flow is k's.
 */
#define _GNU_SOURCE 1 /* CPU_SET, pthread_setaffinity_np */
#include "tq_tcptest.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include <tachyon/tq_worker.h>

#include "core/tq_mbuf.h"

#define T0 1000000000ull
#define MS(x) ((uint64_t)(x) * 1000000ull)

struct wk {
	struct tq_shard *s;
	struct tq_memlink link;
};

static void
wk_input(struct tq_shard *s, struct rte_mbuf **pkts, uint16_t n)
{
	RTE_SET_USED(s);
	rte_pktmbuf_free_bulk(pkts, n);
}

static void
wk_init(struct wk *w, unsigned int id, unsigned int nb)
{
	static unsigned int seq;
	struct tq_shard_conf sc = { 0 };
	char name[32];

	memset(w, 0, sizeof(*w));
	snprintf(name, sizeof(name), "tqw_l%u", seq++);
	assert_int_equal(tq_memlink_create(&w->link, name, 256), 0);
	sc.id = id;
	sc.nb_workers = nb;
	sc.socket = SOCKET_ID_ANY;
	sc.pool = tq_test_pool();
	sc.timer_tick_ns = MS(1);
	sc.now = T0;
	w->s = tq_shard_create(&sc);
	assert_non_null(w->s);
	tq_io_init_memlink(&w->s->io, &w->link, 0);
	w->s->input = wk_input;
}

static void
wk_fini(struct wk *w)
{
	tq_shard_free(w->s);
	tq_memlink_free(&w->link);
}

/* ---- timers ---- */

struct fired {
	unsigned int n;
	struct tq_shard *s;
	uint64_t at;
	bool rearm;		/* re-arm itself once, 3 ms on */
	bool free_self;
};

static void
timer_cb(struct tq_shard *s, struct tq_app_timer *t, void *arg)
{
	struct fired *f = arg;

	f->n++;
	f->s = s;
	f->at = tq_shard_now(s);
	assert_false(tq_app_timer_pending(t));
	if (f->rearm) {
		f->rearm = false;
		tq_app_timer_arm(t, MS(3));
	}
	if (f->free_self)
		tq_app_timer_free(t);
}

static void
timers_fire_on_their_shard(void **state)
{
	struct wk a, b;
	struct fired fa = { 0 }, fb = { 0 };
	struct tq_app_timer *ta, *tb;

	RTE_SET_USED(state);
	wk_init(&a, 0, 2);
	wk_init(&b, 1, 2);
	tq_shard_poll(a.s, T0);
	tq_shard_poll(b.s, T0);
	ta = tq_app_timer_create(a.s, timer_cb, &fa);
	tb = tq_app_timer_create(b.s, timer_cb, &fb);
	assert_non_null(ta);
	assert_non_null(tb);
	assert_false(tq_app_timer_pending(ta));
	tq_app_timer_arm(ta, MS(5));
	tq_app_timer_arm(tb, MS(7) + 500);
	assert_true(tq_app_timer_pending(ta));

	tq_shard_poll(a.s, T0 + MS(5) - 1);
	tq_shard_poll(b.s, T0 + MS(5) - 1);
	assert_int_equal(fa.n, 0);
	tq_shard_poll(a.s, T0 + MS(5));
	assert_int_equal(fa.n, 1);
	assert_ptr_equal(fa.s, a.s);
	assert_int_equal(fa.at, T0 + MS(5));
	assert_false(tq_app_timer_pending(ta));
	/* Within the same wheel slot: fires only once its time comes. */
	tq_shard_poll(b.s, T0 + MS(7));
	assert_int_equal(fb.n, 0);
	tq_shard_poll(b.s, T0 + MS(7) + 500);
	assert_int_equal(fb.n, 1);
	assert_ptr_equal(fb.s, b.s);
	/* Fired once only. */
	tq_shard_poll(a.s, T0 + MS(50));
	tq_shard_poll(b.s, T0 + MS(50));
	assert_int_equal(fa.n, 1);
	assert_int_equal(fb.n, 1);
	tq_app_timer_free(ta);
	tq_app_timer_free(tb);
	wk_fini(&a);
	wk_fini(&b);
}

static void
timers_rearm_cancel(void **state)
{
	struct wk a;
	struct fired f = { 0 };
	struct tq_app_timer *t;

	RTE_SET_USED(state);
	wk_init(&a, 0, 1);
	tq_shard_poll(a.s, T0);
	t = tq_app_timer_create(a.s, timer_cb, &f);
	assert_non_null(t);
	/* Re-arming moves it: later... */
	tq_app_timer_arm(t, MS(2));
	tq_app_timer_arm(t, MS(10));
	tq_shard_poll(a.s, T0 + MS(9));
	assert_int_equal(f.n, 0);
	tq_shard_poll(a.s, T0 + MS(10));
	assert_int_equal(f.n, 1);
	/* ...and earlier. */
	tq_app_timer_arm(t, MS(100));
	tq_app_timer_arm(t, MS(1));
	tq_shard_poll(a.s, T0 + MS(11));
	assert_int_equal(f.n, 2);
	assert_int_equal(f.at, T0 + MS(11));
	/* Cancel: never fires; cancelling twice is harmless. */
	tq_app_timer_arm(t, MS(1));
	tq_app_timer_cancel(t);
	tq_app_timer_cancel(t);
	assert_false(tq_app_timer_pending(t));
	tq_shard_poll(a.s, T0 + MS(200));
	assert_int_equal(f.n, 2);
	/* Re-armed from its own callback. */
	f.rearm = true;
	tq_app_timer_arm(t, MS(1));
	tq_shard_poll(a.s, T0 + MS(201));
	assert_int_equal(f.n, 3);
	assert_true(tq_app_timer_pending(t));
	tq_shard_poll(a.s, T0 + MS(203));
	assert_int_equal(f.n, 3);
	tq_shard_poll(a.s, T0 + MS(204));
	assert_int_equal(f.n, 4);
	/* Freed while armed, and from its own callback. */
	tq_app_timer_arm(t, MS(1));
	tq_app_timer_free(t);
	tq_shard_poll(a.s, T0 + MS(300));
	assert_int_equal(f.n, 4);
	t = tq_app_timer_create(a.s, timer_cb, &f);
	f.free_self = true;
	tq_app_timer_arm(t, 0);
	tq_shard_poll(a.s, T0 + MS(301));
	assert_int_equal(f.n, 5);
	tq_shard_poll(a.s, T0 + MS(400));
	assert_int_equal(f.n, 5);
	tq_app_timer_free(NULL);
	wk_fini(&a);
}

/* ---- counters ---- */

static void
counters_sum_per_worker(void **state)
{
	struct wk w[3];
	struct tq_shard *shards[3];
	uint64_t out[TQ_APP_COUNTERS_MAX];
	unsigned int i;

	RTE_SET_USED(state);
	for (i = 0; i < 3; i++) {
		wk_init(&w[i], i, 3);
		shards[i] = w[i].s;
	}
	tq_app_counter_add(w[0].s, 0, 5);
	tq_app_counter_add(w[1].s, 0, 7);
	tq_app_counter_add(w[2].s, 1, 1);
	tq_app_counter_add(w[2].s, 1, 2);
	tq_app_counter_add(w[2].s, TQ_APP_COUNTERS_MAX, 100); /* ignored */
	tq_shard_app_counters_sum(shards, 3, -1, 2, out);
	assert_int_equal(out[0], 12);
	assert_int_equal(out[1], 3);
	assert_int_equal(out[2], 0);
	tq_shard_app_counters_sum(shards, 3, 1, 2, out);
	assert_int_equal(out[0], 7);
	assert_int_equal(out[1], 0);
	tq_shard_app_counters_sum(shards, 3, 2, 2, out);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 3);
	/* Only the registered ones are read. */
	tq_shard_app_counters_sum(shards, 3, -1, 1, out);
	assert_int_equal(out[1], 0);
	for (i = 0; i < 3; i++)
		wk_fini(&w[i]);
}

/* ---- commands from many threads ---- */

#define HAMMER_THREADS 4
#define HAMMER_CMDS 10000

static uint32_t hits[HAMMER_THREADS][HAMMER_CMDS];
static struct tq_shard *hammer_target;
static unsigned int hammer_ran;
static volatile bool hammer_giveup;

static void
hammer_cmd(struct tq_shard *s, void *arg)
{
	assert_ptr_equal(s, hammer_target);
	(*(uint32_t *)arg)++;
	hammer_ran++;
}

static void *
hammer_thread(void *arg)
{
	uint32_t *mine = arg;
	cpu_set_t all;
	unsigned int i;

	/* EAL pinned the main thread, and so its children, to one CPU: undo
	 * that so the senders really run at once (where there are CPUs). */
	CPU_ZERO(&all);
	for (i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &all);
	pthread_setaffinity_np(pthread_self(), sizeof(all), &all);
	for (i = 0; i < HAMMER_CMDS; i++) {
		int rc;

		while ((rc = tq_shard_command(hammer_target, hammer_cmd,
				&mine[i])) == -ENOBUFS && !hammer_giveup)
			sched_yield();
		if (rc < 0 && !hammer_giveup)
			return (void *)(intptr_t)rc;
	}
	return NULL;
}

/* One round: every thread sends HAMMER_CMDS while the shard polls. */
static void
hammer_round(void)
{
	pthread_t th[HAMMER_THREADS];
	struct wk w;
	unsigned int i, j, bad = 0;
	uint64_t now = T0, spins = 0;
	time_t deadline;

	wk_init(&w, 0, 1);
	hammer_target = w.s;
	hammer_ran = 0;
	memset(hits, 0, sizeof(hits));
	hammer_giveup = false;
	for (i = 0; i < HAMMER_THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer_thread,
				hits[i]), 0);
	/* The worker polls while they send. */
	/* Bounded by wall time, so a ring that loses commands fails the
	 * test rather than hanging it. */
	deadline = time(NULL) + 60;
	while (hammer_ran < HAMMER_THREADS * HAMMER_CMDS) {
		tq_shard_poll(w.s, now += 1000);
		if ((++spins & 1023) == 0 && time(NULL) > deadline)
			break;
	}
	hammer_giveup = true;
	for (i = 0; i < HAMMER_THREADS; i++) {
		void *rc;

		assert_int_equal(pthread_join(th[i], &rc), 0);
		assert_null(rc);
	}
	/* Nothing more comes from the ring. */
	for (i = 0; i < 100; i++)
		tq_shard_poll(w.s, now += 1000);
	for (i = 0; i < HAMMER_THREADS; i++)
		for (j = 0; j < HAMMER_CMDS; j++)
			if (hits[i][j] != 1)
				bad++;
	if (bad)
		print_error("%u of %u commands ran other than once (ran %u)\n",
				bad, HAMMER_THREADS * HAMMER_CMDS, hammer_ran);
	assert_int_equal(bad, 0);
	assert_int_equal(hammer_ran, HAMMER_THREADS * HAMMER_CMDS);
	wk_fini(&w);
}

/* A single-producer ring loses or repeats commands here within a few
 * rounds even on two CPUs; it is the bug this guards against. */
static void
commands_from_many_threads(void **state)
{
	unsigned int r;

	RTE_SET_USED(state);
	for (r = 0; r < 4; r++)
		hammer_round();
}

/* ---- active opens stay on the opening worker ---- */

#define NW 4

static void
connect_owner(bool rss)
{
	static struct tq_tcptest_host t[NW];
	static const char *const addrs[] = { "10.0.0.2/24", NULL };
	unsigned int k, i, j;

	for (k = 0; k < NW; k++) {
		struct tq_test_host_opts o = { 0 };

		tq_tcptest_prepare(&t[k]);
		o.conf = &t[k].net;
		o.shard_id = k;
		o.nb_workers = NW;
		assert_int_equal(tq_test_host_init_opts(&t[k].h, 1, addrs,
				&o), 0);
		assert_int_equal(tq_mbuf_dyn_register(), 0);
		if (rss) {
			t[k].h.ifc.reta_size = 128;
			for (i = 0; i < 128; i++)
				t[k].h.ifc.reta[i] = (uint16_t)(i % NW);
			for (i = 0; i < 40; i++)
				t[k].h.ifc.rss_key[i] =
					(uint8_t)((i & 1) ? 0x5a : 0x6d);
		}
		assert_int_equal(tq_tcp_attach(t[k].h.s, &t[k].conf,
				&t[k].lt, t[k].secret), 0);
		t[k].started = true;
		tq_test_host_learn(&t[k].h, "10.0.0.1");
	}
	for (k = 0; k < NW; k++) {
		struct tq_addr dst = tq_test_addr("10.0.0.1");

		for (j = 0; j < 40; j++) {
			struct tq_tcptest_seg sg;
			struct tq_tcp_key key;
			struct tq_addr src = tq_test_addr("10.0.0.2");
			uint8_t buf[2048];
			uint32_t len;
			int err = 0;

			assert_non_null(tq_tcp_connect(t[k].h.s, &dst, 80,
					NULL, 0, &tq_tcptest_ops, NULL, &err));
			tq_test_host_poll(&t[k].h, 1000);
			len = tq_test_wire_recv_flat(&t[k].h, buf,
					sizeof(buf));
			assert_true(len > 0);
			assert_int_equal(tq_tcptest_parse(buf, len, &sg), 0);
			assert_int_equal(sg.flags, tq_tcptest_flags("S"));
			tq_tcp_key_make(&key, &src, &dst,
					rte_cpu_to_be_16(sg.sport),
					rte_cpu_to_be_16(80));
			assert_int_equal(tq_tcp_owner(t[k].h.s, &key), k);
		}
	}
	/* tq_tcp_flow_worker() names the worker an explicit port belongs
	 * to: the open succeeds there and is refused (-EXDEV) elsewhere,
	 * whichever shard is asked. */
	{
		struct tq_addr dst = tq_test_addr("10.0.0.1");
		unsigned int seen = 0;
		uint16_t p;

		for (p = 40000; p < 40064; p++) {
			int o = tq_tcp_flow_worker(t[p % NW].h.s, NULL, p,
					&dst, 80);
			int err = 0;

			assert_true(o >= 0 && o < NW);
			assert_int_equal(tq_tcp_flow_worker(t[0].h.s, NULL, p,
					&dst, 80), o);
			seen |= 1u << o;
			assert_null(tq_tcp_connect(t[(o + 1) % NW].h.s, &dst,
					80, NULL, p, &tq_tcptest_ops, NULL,
					&err));
			assert_int_equal(err, -EXDEV);
			assert_non_null(tq_tcp_connect(t[o].h.s, &dst, 80,
					NULL, p, &tq_tcptest_ops, NULL, &err));
		}
		assert_int_equal(seen, (1u << NW) - 1);
		/* Off every connected subnet, no gateway: no route. */
		dst = tq_test_addr("192.168.7.7");
		assert_int_equal(tq_tcp_flow_worker(t[0].h.s, NULL, 40000,
				&dst, 80), -EHOSTUNREACH);
	}
	for (k = 0; k < NW; k++)
		tq_tcptest_fini(&t[k]);
}

static void
connect_port_owned_by_worker(void **state)
{
	RTE_SET_USED(state);
	connect_owner(false);
}

static void
connect_port_owned_by_worker_rss(void **state)
{
	RTE_SET_USED(state);
	connect_owner(true);
}

/* An app histogram counts each value in the first bucket whose bound it
 * does not pass (Prometheus's le), past every bound in +Inf, and sums. */
static void
hist_buckets(void **state)
{
	static const uint64_t bounds[] = { 10, 20, 30 };
	static const uint64_t v[] = { 0, 10, 11, 20, 30, 31, 1000 };
	struct wk w;
	unsigned int i;

	wk_init(&w, 0, 1);
	w.s->app_hist_bounds[1] = bounds;
	w.s->app_hist_nb[1] = RTE_DIM(bounds);
	for (i = 0; i < RTE_DIM(v); i++)
		tq_app_hist_observe(w.s, 1, v[i]);
	assert_int_equal(w.s->app_hist[1][0], 2);
	assert_int_equal(w.s->app_hist[1][1], 2);
	assert_int_equal(w.s->app_hist[1][2], 1);
	assert_int_equal(w.s->app_hist[1][3], 2);
	assert_int_equal(w.s->app_hist[1][TQ_APP_HIST_BUCKETS_MAX + 1], 1102);
	/* Not registered, out of range: nothing counted anywhere. */
	tq_app_hist_observe(w.s, 0, 5);
	tq_app_hist_observe(w.s, TQ_APP_HISTS_MAX, 5);
	for (i = 0; i < TQ_APP_HIST_BUCKETS_MAX + 2; i++)
		assert_int_equal(w.s->app_hist[0][i], 0);
	wk_fini(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(timers_fire_on_their_shard),
		cmocka_unit_test(timers_rearm_cancel),
		cmocka_unit_test(counters_sum_per_worker),
		cmocka_unit_test(hist_buckets),
		cmocka_unit_test(commands_from_many_threads),
		cmocka_unit_test(connect_port_owned_by_worker),
		cmocka_unit_test(connect_port_owned_by_worker_rss),
	};

	if (tq_test_eal_init("worker") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
