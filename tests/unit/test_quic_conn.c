/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The QUIC connection (engine/quic/tq_quic_conn*.c, tq_quic_stream.c):
 * a client and a server joined by tests/lib/tq_quic_pair.c's simulated
 * link on a fake clock.  The handshake and its key discards, padding
 * and the amplification limit, streams carrying data byte-exact under
 * loss and reordering, flow control, stream limits, resets, closing,
 * the idle timeout, and forbidden frames injected with the peer's keys.
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

#include "tq_quic_pair.h"
#include "tq_test.h"
#include "quic/tq_quic_conn_priv.h"

#define MS UINT64_C(1000000)
#define S (1000 * MS)

/* ---- connection callbacks ---- */

struct side {
	int established;
	int closed;
	enum tq_close_reason why;
	uint64_t code;
	int avail[2];
	struct tq_stream *streams[64];
	unsigned int nstreams;
	const struct tq_stream_ops *accept_ops; /* NULL: refuse */
	void *accept_ctx;
};

static void
on_established(struct tq_conn *c, void *u)
{
	struct side *s = u;

	(void)c;
	s->established++;
}

static void
on_new_stream(struct tq_conn *c, struct tq_stream *st, void *u)
{
	struct side *s = u;

	(void)c;
	if (s->accept_ops) {
		tq_stream_set_ops(st, s->accept_ops, s->accept_ctx);
		if (s->nstreams < 64)
			s->streams[s->nstreams++] = st;
	}
}

static void
on_avail(struct tq_conn *c, bool uni, void *u)
{
	struct side *s = u;

	(void)c;
	s->avail[uni]++;
}

static void
on_closed(struct tq_conn *c, enum tq_close_reason why, uint64_t code,
		void *u)
{
	struct side *s = u;

	(void)c;
	s->closed++;
	s->why = why;
	s->code = code;
}

static const struct tq_conn_ops conn_ops = {
	.established = on_established,
	.new_stream = on_new_stream,
	.streams_available = on_avail,
	.closed = on_closed,
};

static struct qp P;
static struct side cs, ss;

static const struct qp_link clean = { .delay_ns = 10 * MS };

static void
pair(const struct qp_link *l, uint64_t seed,
		const struct tq_quic_conn_cfg *cfg)
{
	memset(&cs, 0, sizeof(cs));
	memset(&ss, 0, sizeof(ss));
	qp_init(&P, l, seed, cfg, &conn_ops, &cs, &conn_ops, &ss);
}

static bool
both_established(void *arg)
{
	(void)arg;
	return cs.established && ss.established && P.c[0] &&
		tq_quic_conn_confirmed(P.c[0]);
}

static bool
both_closed(void *arg)
{
	(void)arg;
	return P.c[0] && P.c[1] && tq_quic_conn_done(P.c[0]) &&
		tq_quic_conn_done(P.c[1]);
}

static void
handshake(void)
{
	assert_true(qp_run(&P, 10 * S, both_established, NULL));
}

/* ---- handshake ---- */

static void
test_handshake(void **state)
{
	(void)state;
	pair(&clean, 1, NULL);
	handshake();
	assert_int_equal(cs.established, 1);
	assert_int_equal(ss.established, 1);
	assert_true(tq_quic_conn_confirmed(P.c[1]));
	assert_int_equal(tq_quic_conn_state(P.c[0]), TQ_QUIC_CS_ESTABLISHED);
	/* RFC 9001 4.9: Initial and Handshake keys gone on both sides */
	qp_run(&P, 100 * MS, NULL, NULL);
	assert_false(tq_quic_conn_has_keys(P.c[0], TQ_QUIC_LEVEL_INITIAL));
	assert_false(tq_quic_conn_has_keys(P.c[1], TQ_QUIC_LEVEL_INITIAL));
	assert_false(tq_quic_conn_has_keys(P.c[0], TQ_QUIC_LEVEL_HANDSHAKE));
	assert_false(tq_quic_conn_has_keys(P.c[1], TQ_QUIC_LEVEL_HANDSHAKE));
	assert_true(tq_quic_conn_has_keys(P.c[0], TQ_QUIC_LEVEL_APP));
	assert_int_equal(P.client_initial_small, 0);
	assert_int_equal(P.amp_violations, 0);
	/* the client talks to the server's CID now */
	assert_int_equal(tq_quic_conn_dcid(P.c[0])->id[0], 0x5e);
	assert_int_equal(tq_quic_conn_stats(P.c[0])->proto_err, 0);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->proto_err, 0);
	/* nothing more to say once quiet: ACKs are not acknowledged */
	assert_true(qp_run(&P, 2 * S, NULL, NULL));
	assert_false(tq_quic_conn_done(P.c[0]));
	qp_fini(&P);
}

/* The server's first flight is much larger than 3 x 1200 when the
 * client's later datagrams are lost: it must stop at the limit. */
static bool
drop_client_after_first(struct qp *p, int from, uint8_t *d, size_t *len)
{
	(void)d;
	(void)len;
	return !(from == 0 && p->dgrams[0] > 1);
}

static void
test_amplification(void **state)
{
	uint64_t sent, rcvd;
	bool v;

	(void)state;
	pair(&clean, 2, NULL);
	P.tap = drop_client_after_first;
	qp_run(&P, 3 * S, NULL, NULL);
	assert_non_null(P.c[1]);
	tq_quic_conn_amp(P.c[1], &sent, &rcvd, &v);
	assert_false(v);
	assert_int_equal(rcvd, 1200);
	assert_true(sent <= 3 * rcvd);
	assert_true(sent > 0);
	assert_int_equal(P.amp_violations, 0);
	assert_true(tq_quic_conn_stats(P.c[1])->amp_blocked > 0);
	/* the link heals: the handshake completes */
	P.tap = NULL;
	assert_true(qp_run(&P, 20 * S, both_established, NULL));
	assert_int_equal(P.amp_violations, 0);
	qp_fini(&P);
}

static void
test_handshake_lossy(void **state)
{
	struct qp_link l = { .delay_ns = 15 * MS, .loss = 0.2,
		.reorder = 0.2 };
	uint64_t seed;

	(void)state;
	for (seed = 1; seed <= 20; seed++) {
		pair(&l, seed, NULL);
		assert_true(qp_run(&P, 60 * S, both_established, NULL));
		assert_int_equal(P.client_initial_small, 0);
		assert_int_equal(P.amp_violations, 0);
		qp_fini(&P);
	}
}

/* ---- closing ---- */

static void
test_close_app_code(void **state)
{
	(void)state;
	pair(&clean, 3, NULL);
	handshake();
	tq_conn_close(tq_quic_conn_base(P.c[0]), 0x1234);
	assert_int_equal(cs.closed, 1);
	assert_true(qp_run(&P, 10 * S, both_closed, NULL));
	assert_int_equal(ss.closed, 1);
	assert_int_equal(ss.why, TQ_CLOSE_RESET);
	assert_int_equal(ss.code, 0x1234);
	assert_int_equal(cs.why, TQ_CLOSE_ABORTED);
	qp_fini(&P);
}

static void
test_close_no_error(void **state)
{
	(void)state;
	pair(&clean, 4, NULL);
	handshake();
	tq_conn_close(tq_quic_conn_base(P.c[1]), 0);
	assert_true(qp_run(&P, 10 * S, both_closed, NULL));
	assert_int_equal(cs.closed, 1);
	assert_int_equal(cs.why, TQ_CLOSE_NORMAL);
	assert_int_equal(cs.code, 0);
	qp_fini(&P);
}

static void
test_idle_timeout(void **state)
{
	struct tq_quic_conn_cfg cfg = { .idle_timeout_ms = 2000 };

	(void)state;
	pair(&clean, 5, &cfg);
	handshake();
	assert_false(qp_run(&P, 1500 * MS, both_closed, NULL));
	assert_true(qp_run(&P, 3 * S, both_closed, NULL));
	assert_int_equal(cs.closed, 1);
	assert_int_equal(ss.closed, 1);
	assert_int_equal(cs.why, TQ_CLOSE_TIMEOUT);
	assert_int_equal(ss.why, TQ_CLOSE_TIMEOUT);
	qp_fini(&P);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_amplification),
		cmocka_unit_test(test_handshake_lossy),
		cmocka_unit_test(test_close_app_code),
		cmocka_unit_test(test_close_no_error),
		cmocka_unit_test(test_idle_timeout),
	};

	if (tq_test_eal_init("quic_conn") != 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
