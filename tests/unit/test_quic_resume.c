/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session resumption and 0-RTT on the connection (engine/quic), on pairs
 * joined by tests/lib/tq_quic_pair.c: a first connection to a server
 * with tickets leaves the client a session (tq_quic_conn_session());
 * a second connection made with it resumes, and with 0-RTT a stream
 * opened and written before the first datagram goes out reaches the
 * server in 0-RTT packets, byte-exact, before the server's handshake is
 * complete.  Refused 0-RTT (a server without it, a server with another
 * ticket key) is sent again in 1-RTT and arrives all the same.  A
 * server that took 0-RTT but announces a smaller limit than the
 * ticket's connection had is refused with PROTOCOL_VIOLATION.  Two
 * servers given the ticket key one --quic-secret derives (another
 * server, or the same after a restart) resume each other's tickets.
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
#include "quic/tq_quic_token.h"

#define MS UINT64_C(1000000)
#define S (1000 * MS)
#define LEN 20000

static struct tq_quic_tls_ctx *s_early, *s_plain, *s_other, *c_early;
static struct tq_quic_tls_ctx *s_keyed[2];	/* one --quic-secret */
static struct qp P;
static uint8_t sent[LEN], got[LEN];
static size_t got_len;
static bool got_fin, in_handshake;

static void
rx_readable(struct tq_stream *st, void *ctx)
{
	int n;

	(void)ctx;
	while ((n = tq_stream_read(st, got + got_len,
			(uint32_t)(sizeof(got) - got_len))) > 0)
		got_len += (size_t)n;
	if (n == 0 || tq_stream_eof(st))
		got_fin = true;
}

static const struct tq_stream_ops rx_ops = {
	.readable = rx_readable,
};

static void
on_new_stream(struct tq_conn *c, struct tq_stream *st, void *u)
{
	(void)c;
	(void)u;
	/* the server's handshake not complete yet: this came in 0-RTT */
	if (P.c[1] && tq_quic_conn_state(P.c[1]) == TQ_QUIC_CS_HANDSHAKE)
		in_handshake = true;
	tq_stream_set_ops(st, &rx_ops, NULL);
}

static const struct tq_conn_ops server_ops = {
	.new_stream = on_new_stream,
};
static const struct tq_conn_ops client_ops = { 0 };
static const struct tq_stream_ops tx_ops = { 0 };

static int
setup(void **state)
{
	struct tq_quic_tls_conf sc = { .is_server = true };
	struct tq_quic_tls_conf cc = { .early_data = true };
	char *cert, *key;

	(void)state;
	if (tq_test_eal_init("test_quic_resume") != 0)
		return -1;
	if (tq_quic_tls_self_signed("quic.test", &cert, &key) < 0)
		return -1;
	sc.cert_pem = cert;
	sc.key_pem = key;
	sc.tickets = true;
	sc.early_data = true;
	if (tq_quic_tls_ctx_new(&sc, &s_early) < 0 ||
			tq_quic_tls_ctx_new(&sc, &s_other) < 0)
		return -1;
	{
		uint8_t file[40], tsec[TQ_QUIC_TOKEN_SECRET_LEN];
		uint8_t tkey[TQ_QUIC_TICKET_KEY_LEN];

		for (size_t i = 0; i < sizeof(file); i++)
			file[i] = (uint8_t)(i * 13 + 5);
		if (tq_quic_secret_derive(file, sizeof(file), tsec, tkey) < 0)
			return -1;
		sc.ticket_key = tkey;
		if (tq_quic_tls_ctx_new(&sc, &s_keyed[0]) < 0 ||
				tq_quic_tls_ctx_new(&sc, &s_keyed[1]) < 0)
			return -1;
		sc.ticket_key = NULL;
	}
	sc.early_data = false;
	if (tq_quic_tls_ctx_new(&sc, &s_plain) < 0 ||
			tq_quic_tls_ctx_new(&cc, &c_early) < 0)
		return -1;
	free(cert);
	free(key);
	for (size_t i = 0; i < LEN; i++)
		sent[i] = (uint8_t)(i * 7 + (i >> 8));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	qp_set_ctxs(NULL, NULL);
	tq_quic_tls_ctx_free(s_early);
	tq_quic_tls_ctx_free(s_other);
	tq_quic_tls_ctx_free(s_keyed[0]);
	tq_quic_tls_ctx_free(s_keyed[1]);
	tq_quic_tls_ctx_free(s_plain);
	tq_quic_tls_ctx_free(c_early);
	return 0;
}

static bool
has_session(void *arg)
{
	uint8_t **out = arg;
	size_t len;

	return P.c[0] && tq_quic_conn_session(P.c[0], out, &len) == 0;
}

/* A first connection to server: the session it leaves the client. */
static uint8_t *
first_cfg(struct tq_quic_tls_ctx *server, const struct tq_quic_conn_cfg *cfg,
		size_t *len)
{
	static const struct qp_link clean = { .delay_ns = 10 * MS };
	uint8_t *sess = NULL, *none;
	size_t none_len;

	qp_set_ctxs(server, c_early);
	qp_init(&P, &clean, 1, cfg, &client_ops, NULL, &server_ops, NULL);
	assert_int_equal(tq_quic_conn_session(P.c[0], &sess, len), -EAGAIN);
	assert_true(qp_run(&P, 5 * S, has_session, &sess));
	free(sess);
	assert_int_equal(tq_quic_conn_session(P.c[0], &sess, len), 0);
	assert_false(tq_quic_conn_resumed(P.c[0]));
	assert_int_equal(tq_quic_conn_stats(P.c[0])->early_pkts, 0);
	assert_int_equal(tq_quic_conn_session(P.c[1], &none, &none_len),
			-EINVAL);
	qp_fini(&P);
	return sess;
}

static uint8_t *
first(struct tq_quic_tls_ctx *server, size_t *len)
{
	return first_cfg(server, NULL, len);
}

static bool
all_there(void *arg)
{
	(void)arg;
	return got_fin && P.c[0] && tq_quic_conn_confirmed(P.c[0]);
}

/*
 * A second connection with the session, to server: a stream written
 * before anything is sent.  The data arrives byte-exact whatever
 * becomes of the 0-RTT.
 */
static void
second_cfg(struct tq_quic_tls_ctx *server, struct tq_quic_conn_cfg cfg,
		const uint8_t *sess, size_t len, uint64_t seed,
		bool (*done)(void *arg))
{
	static const struct qp_link link = { .delay_ns = 20 * MS };
	struct tq_stream *st;
	int err = 0;

	cfg.session = sess;
	cfg.session_len = len;
	got_len = 0;
	got_fin = false;
	in_handshake = false;
	qp_set_ctxs(server, c_early);
	qp_init(&P, &link, seed, &cfg, &client_ops, NULL, &server_ops, NULL);
	st = tq_conn_stream_open(tq_quic_conn_base(P.c[0]), 0, &tx_ops, NULL,
			&err);
	assert_non_null(st);
	assert_int_equal(tq_stream_write(st, sent, LEN), LEN);
	assert_int_equal(tq_stream_shutdown(st), 0);
	assert_true(qp_run(&P, 10 * S, done, NULL));
}

static void
second(struct tq_quic_tls_ctx *server, const uint8_t *sess, size_t len,
		uint64_t seed)
{
	struct tq_quic_conn_cfg cfg = { 0 };

	second_cfg(server, cfg, sess, len, seed, all_there);
	assert_int_equal(got_len, LEN);
	assert_memory_equal(got, sent, LEN);
}

static void
resumed_with_0rtt(void **state)
{
	const struct tq_quic_conn_stats *cs, *ss;
	uint8_t *sess;
	size_t len;

	(void)state;
	sess = first(s_early, &len);
	second(s_early, sess, len, 2);
	cs = tq_quic_conn_stats(P.c[0]);
	ss = tq_quic_conn_stats(P.c[1]);
	assert_true(tq_quic_conn_resumed(P.c[0]));
	assert_true(tq_quic_conn_resumed(P.c[1]));
	assert_true(cs->early_pkts > 0);
	assert_true(ss->early_pkts > 0);
	assert_int_equal(cs->early_accepted, 1);
	assert_int_equal(ss->early_accepted, 1);
	assert_int_equal(cs->early_rejected + ss->early_rejected, 0);
	assert_true(in_handshake);
	/* the 0-RTT key is gone on both sides */
	assert_false(tq_quic_conn_has_keys(P.c[0], TQ_QUIC_LEVEL_EARLY));
	assert_false(tq_quic_conn_has_keys(P.c[1], TQ_QUIC_LEVEL_EARLY));
	assert_int_equal(cs->proto_err + ss->proto_err, 0);
	qp_fini(&P);
	free(sess);
}

/* A server that does not take 0-RTT: resumed, the data sent again. */
static void
refused_0rtt(void **state)
{
	const struct tq_quic_conn_stats *cs, *ss;
	uint8_t *sess;
	size_t len;

	(void)state;
	sess = first(s_plain, &len);
	second(s_plain, sess, len, 3);
	cs = tq_quic_conn_stats(P.c[0]);
	ss = tq_quic_conn_stats(P.c[1]);
	assert_true(tq_quic_conn_resumed(P.c[0]));
	assert_true(tq_quic_conn_resumed(P.c[1]));
	assert_true(cs->early_pkts > 0);
	assert_int_equal(ss->early_pkts, 0);
	assert_int_equal(cs->early_rejected, 1);
	assert_int_equal(ss->early_rejected, 1);
	assert_int_equal(cs->early_accepted + ss->early_accepted, 0);
	assert_true(ss->drop_nokey > 0);
	assert_true(cs->retransmits > 0);
	assert_false(in_handshake);
	assert_int_equal(cs->proto_err + ss->proto_err, 0);
	qp_fini(&P);
	free(sess);
}

/* A ticket another server (another ticket key) made: a full handshake,
 * the 0-RTT refused and sent again. */
static void
other_server(void **state)
{
	const struct tq_quic_conn_stats *cs;
	uint8_t *sess;
	size_t len;

	(void)state;
	sess = first(s_early, &len);
	second(s_other, sess, len, 4);
	cs = tq_quic_conn_stats(P.c[0]);
	assert_false(tq_quic_conn_resumed(P.c[0]));
	assert_false(tq_quic_conn_resumed(P.c[1]));
	assert_int_equal(cs->early_rejected, 1);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->early_accepted, 0);
	qp_fini(&P);
	free(sess);
}

/* A ticket another server sealed with the key of the same secret
 * (a restart, a server behind the same load balancer): resumed, and
 * its 0-RTT taken. */
static void
shared_secret(void **state)
{
	const struct tq_quic_conn_stats *cs, *ss;
	uint8_t *sess;
	size_t len;

	(void)state;
	sess = first(s_keyed[0], &len);
	second(s_keyed[1], sess, len, 6);
	cs = tq_quic_conn_stats(P.c[0]);
	ss = tq_quic_conn_stats(P.c[1]);
	assert_true(tq_quic_conn_resumed(P.c[0]));
	assert_true(tq_quic_conn_resumed(P.c[1]));
	assert_int_equal(cs->early_accepted, 1);
	assert_int_equal(ss->early_accepted, 1);
	assert_int_equal(cs->early_rejected + ss->early_rejected, 0);
	qp_fini(&P);
	free(sess);
}

static bool
client_closed(void *arg)
{
	(void)arg;
	return P.c[0] && tq_quic_conn_state(P.c[0]) >= TQ_QUIC_CS_CLOSING;
}

/* RFC 9000 7.4.1: a server that takes 0-RTT and then announces a
 * smaller limit than the ticket's connection did is refused. */
static void
reduced_limits(void **state)
{
	struct tq_quic_conn_cfg big = { 0 }, small = { 0 };
	uint64_t code;
	uint8_t *sess;
	size_t len;
	bool app, remote;

	(void)state;
	big.max_data = 4 << 20;
	small.max_data = 1 << 20;
	sess = first_cfg(s_early, &big, &len);
	second_cfg(s_early, small, sess, len, 6, client_closed);
	assert_int_equal(tq_quic_conn_stats(P.c[0])->early_accepted, 1);
	tq_quic_conn_close_info(P.c[0], &code, &app, &remote);
	assert_false(app);
	assert_false(remote);
	assert_int_equal(code, TQ_QUIC_PROTOCOL_VIOLATION);
	qp_fini(&P);
	free(sess);
}

static bool
confirmed(void *arg)
{
	(void)arg;
	return P.c[0] && tq_quic_conn_confirmed(P.c[0]);
}

/* Bytes that are no session: a full handshake, no 0-RTT, no stream
 * before it. */
static void
bad_session(void **state)
{
	static const struct qp_link clean = { .delay_ns = 10 * MS };
	static const uint8_t junk[] = "TQS1\0\0\0\3abc\0\0";
	struct tq_quic_conn_cfg cfg = { 0 };
	int err = 0;

	(void)state;
	cfg.session = junk;
	cfg.session_len = sizeof(junk) - 1;
	qp_set_ctxs(s_early, c_early);
	qp_init(&P, &clean, 5, &cfg, &client_ops, NULL, &server_ops, NULL);
	assert_null(tq_conn_stream_open(tq_quic_conn_base(P.c[0]), 0,
			&tx_ops, NULL, &err));
	assert_int_equal(err, -ENOTCONN);
	assert_true(qp_run(&P, 5 * S, confirmed, NULL));
	assert_false(tq_quic_conn_resumed(P.c[0]));
	assert_int_equal(tq_quic_conn_stats(P.c[0])->early_pkts, 0);
	qp_fini(&P);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(resumed_with_0rtt),
		cmocka_unit_test(refused_0rtt),
		cmocka_unit_test(other_server),
		cmocka_unit_test(shared_secret),
		cmocka_unit_test(bad_session),
		cmocka_unit_test(reduced_limits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
