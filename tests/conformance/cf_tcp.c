/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The conformance fixture for TCP: two tq_tcptest hosts (10.0.0.1 and
 * 10.0.0.2) on tq_tcptest's simulated link.  Only this file knows they
 * are TCP hosts.
 */
#include "tq_tcptest.h"

#include <tachyon/tq_tcp.h>

#include "cf_fixture.h"

#define CF_PORT 7000

static const char *const addrs_a[] = { "10.0.0.1/24", NULL };
static const char *const addrs_b[] = { "10.0.0.2/24", NULL };

static struct tq_tcptest_host ha, hb;
static struct tq_sim sim;
static bool up;

/* What the listener hands the next accepted connection. */
static const struct tq_stream_ops *next_ops;
static void *next_ctx;
static struct tq_stream *accepted;

static void
cf_accept(struct tq_shard *s, struct tq_listener *l, void *arg)
{
	struct tq_stream *st;

	while ((st = tq_tcp_accept(l, next_ops, next_ctx)) != NULL) {
		accepted = st;
		if (tq_stream_readable(st) && next_ops && next_ops->readable)
			next_ops->readable(st, next_ctx);
	}
}

static void
cf_setup(const struct cf_link *l, uint64_t seed, uint32_t sndbuf,
		uint32_t rcvbuf)
{
	struct tq_sim_link_conf lc = {
		.delay_ns = l->delay_ns,
		.bw_bps = l->bw_bps,
		.loss = l->loss,
		.reorder = l->reorder,
		.dup = l->dup,
		.reorder_min_ns = l->delay_ns / 4 + 1000,
		.reorder_max_ns = l->delay_ns + 2000,
	};

	tq_tcptest_prepare(&ha);
	tq_tcptest_prepare(&hb);
	if (sndbuf)
		ha.conf.sndbuf = hb.conf.sndbuf = sndbuf;
	if (rcvbuf)
		ha.conf.rcvbuf = hb.conf.rcvbuf = rcvbuf;
	ha.conf.max_conns = hb.conf.max_conns = 64;
	assert_int_equal(tq_tcptest_listen(&hb, NULL, CF_PORT, 16, cf_accept,
			NULL), 0);
	assert_int_equal(tq_tcptest_start(&ha, 1, addrs_a), 0);
	assert_int_equal(tq_tcptest_start(&hb, 2, addrs_b), 0);
	tq_sim_init(&sim, &ha, &hb, &lc, seed);
	up = true;
}

static void
cf_teardown(void)
{
	if (!up)
		return;
	tq_sim_fini(&sim);
	tq_tcptest_fini(&ha);
	tq_tcptest_fini(&hb);
	up = false;
}

static bool
got_accept(void *arg)
{
	return accepted != NULL;
}

static void
cf_open(const struct tq_stream_ops *cops, void *cctx,
		const struct tq_stream_ops *sops, void *sctx,
		struct tq_stream **c, struct tq_stream **s)
{
	struct tq_addr dst = tq_test_addr("10.0.0.2");
	int err;

	next_ops = sops;
	next_ctx = sctx;
	accepted = NULL;
	*c = tq_tcp_connect(ha.h.s, &dst, CF_PORT, NULL, 0, cops, cctx, &err);
	assert_non_null(*c);
	/* The server accepts on the third segment, after the client's
	 * connected(); loss may take a few RTOs. */
	assert_true(tq_sim_run(&sim, sim.now + TT_S(30), got_accept, NULL));
	*s = accepted;
}

static bool
cf_run(uint64_t ns, bool (*done)(void *arg), void *arg)
{
	return tq_sim_run(&sim, sim.now + ns, done, arg);
}

static uint64_t
cf_now(void)
{
	return sim.now;
}

static struct rte_mempool *
cf_pool(void)
{
	return tq_test_pool();
}

const struct cf_transport cf_tcp = {
	.name = "tcp",
	.app_codes = false,
	.stop_sending = false,
	.multi_stream = false,
	.setup = cf_setup,
	.teardown = cf_teardown,
	.open = cf_open,
	.run = cf_run,
	.now = cf_now,
	.pool = cf_pool,
};
