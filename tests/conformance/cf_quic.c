/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The conformance fixture for QUIC: each open() is a new QUIC
 * connection between two I/O-free connections (engine/quic/
 * tq_quic_conn.h) joined by tests/lib/tq_quic_pair.c's simulated link,
 * all pairs on one fake clock; the client opens a bidirectional stream
 * once established and the server's stream is the one that arrives.
 * Host 0 and host 1 are two shards only as far as tq_stream_shard()
 * tells them apart.  Only this file knows they are QUIC connections.
 */
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

#include "core/tq_shard.h"
#include "tq_quic_pair.h"
#include "tq_test.h"

#include "cf_fixture.h"

#define CF_PAIRS 4

static struct tq_shard shard_a, shard_b;
static struct qp pairs[CF_PAIRS];
static unsigned int npairs;
static struct qp_link link;
static struct tq_quic_conn_cfg cfg;
static uint64_t seed0, now0;
static bool up;

/* What the server hands the stream of the open() in progress. */
static const struct tq_stream_ops *next_ops;
static void *next_ctx;
static struct tq_stream *accepted;
static bool established;

static void
cf_established(struct tq_conn *c, void *u)
{
	(void)c;
	if (u == &cfg)
		established = true;
}

static void
cf_new_stream(struct tq_conn *c, struct tq_stream *st, void *u)
{
	(void)c;
	(void)u;
	/* the open() in progress; any other stream is refused */
	if (!accepted && next_ops) {
		tq_stream_set_ops(st, next_ops, next_ctx);
		accepted = st;
	}
}

static const struct tq_conn_ops client_ops = {
	.established = cf_established,
};

static const struct tq_conn_ops server_ops = {
	.new_stream = cf_new_stream,
};

static void
cf_setup(const struct cf_link *l, uint64_t seed, uint32_t sndbuf,
		uint32_t rcvbuf)
{
	memset(&link, 0, sizeof(link));
	link.delay_ns = l->delay_ns;
	link.loss = l->loss;
	link.reorder = l->reorder;
	link.dup = l->dup;
	link.bw_bps = l->bw_bps;
	memset(&cfg, 0, sizeof(cfg));
	cfg.sndbuf = sndbuf;
	cfg.max_stream_data = rcvbuf;
	seed0 = seed;
	now0 = 1000000000ull;
	npairs = 0;
	up = true;
}

static void
cf_teardown(void)
{
	unsigned int i;

	if (!up)
		return;
	for (i = 0; i < npairs; i++)
		qp_fini(&pairs[i]);
	npairs = 0;
	up = false;
}

static uint64_t
cf_now(void)
{
	return npairs ? pairs[0].now : now0;
}

/* Every pair on one clock: the earliest event of any goes first. */
static bool
run_all(uint64_t ns, bool (*done)(void *arg), void *arg)
{
	uint64_t end = cf_now() + ns, t, last = 0;
	unsigned int i, stuck = 0;

	for (;;) {
		if (done && done(arg))
			return true;
		for (i = 0; i < npairs; i++)
			qp_pump(&pairs[i]);
		if (done && done(arg))
			return true;
		t = UINT64_MAX;
		for (i = 0; i < npairs; i++)
			t = RTE_MIN(t, qp_next_event(&pairs[i]));
		if (t > end) {
			for (i = 0; i < npairs; i++)
				pairs[i].now = end;
			now0 = end;
			return done ? done(arg) : true;
		}
		if (t < cf_now())
			t = cf_now();
		if (t == last && ++stuck > 200) {
			t += 1000;
			stuck = 0;
		} else if (t != last) {
			stuck = 0;
		}
		last = t;
		for (i = 0; i < npairs; i++)
			qp_advance(&pairs[i], t);
	}
}

static bool
got_established(void *arg)
{
	(void)arg;
	return established;
}

static bool
got_accept(void *arg)
{
	bool *connected = arg;

	return accepted != NULL && *connected;
}

static bool cl_connected;
static const struct tq_stream_ops *cl_ops;
static void *cl_ctx;

static void
wrap_connected(struct tq_stream *st, void *ctx)
{
	cl_connected = true;
	/* the app's own ops from now on */
	tq_stream_set_ops(st, cl_ops, cl_ctx);
	if (cl_ops && cl_ops->connected)
		cl_ops->connected(st, cl_ctx);
}

static const struct tq_stream_ops wrap_ops = {
	.connected = wrap_connected,
};

static void
cf_open(const struct tq_stream_ops *cops, void *cctx,
		const struct tq_stream_ops *sops, void *sctx,
		struct tq_stream **c, struct tq_stream **s)
{
	struct qp *p;
	uint64_t now = cf_now();
	int err;

	assert_true(npairs < CF_PAIRS);
	p = &pairs[npairs];
	qp_init(p, &link, seed0 + npairs, &cfg, &client_ops, &cfg,
			&server_ops, NULL);
	p->now = now;
	p->shard[0] = &shard_a;
	p->shard[1] = &shard_b;
	tq_quic_conn_set_shard(p->c[0], &shard_a);
	npairs++;
	next_ops = sops;
	next_ctx = sctx;
	accepted = NULL;
	established = false;
	assert_true(run_all(30000000000ull, got_established, NULL));
	/* until connected() the fixture holds the stream's callbacks, so
	 * the app sees none before it has the stream (as with TCP) */
	cl_ops = cops;
	cl_ctx = cctx;
	cl_connected = false;
	*c = tq_conn_stream_open(tq_quic_conn_base(p->c[0]), 0, &wrap_ops,
			NULL, &err);
	assert_non_null(*c);
	assert_true(run_all(30000000000ull, got_accept, &cl_connected));
	*s = accepted;
	next_ops = NULL;
}

static bool
cf_run(uint64_t ns, bool (*done)(void *arg), void *arg)
{
	return run_all(ns, done, arg);
}

static struct rte_mempool *
cf_pool(void)
{
	return tq_test_pool();
}

const struct cf_transport cf_quic = {
	.name = "quic",
	.app_codes = true,
	.stop_sending = true,
	.multi_stream = true,
	.setup = cf_setup,
	.teardown = cf_teardown,
	.open = cf_open,
	.run = cf_run,
	.now = cf_now,
	.pool = cf_pool,
};
