/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/3 over real QUIC connections (issue 10): our client session on
 * the client connection and our server session on the server connection
 * of a tests/lib/tq_quic_pair.c pair (ALPN h3), on a fake clock with
 * delay, loss and reordering.  The app sides are test_h3.c's; what is
 * checked here is that the session's transport requirements
 * (docs/http3.md) hold on the QUIC streams.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tachyon/tq_h3.h>

#include "tq_quic_pair.h"
#include "tq_test.h"
#include "test_h3_apps.h"

/* ---- the pair: two QUIC connections on a simulated link ---- */

#define MS UINT64_C(1000000)
#define SEC (1000 * MS)

static struct qp P;
static unsigned int pool_before;
static const struct tq_h3_conf *srv_conf;

static const struct qp_link clean = { .delay_ns = 10 * MS };

/* The server session starts on the server connection as soon as it
 * exists, before its first datagram: as the module will do for ALPN h3. */
static void
on_server(struct qp *p)
{
	int err = 0;

	srv.h = tq_h3_server_new(tq_quic_conn_base(p->c[1]), &srv_ops, NULL,
			srv_conf, &err);
	assert_non_null(srv.h);
}

static bool
h3_ready(void *arg)
{
	(void)arg;
	return P.c[1] && tq_quic_conn_confirmed(P.c[0]) &&
		tq_quic_conn_confirmed(P.c[1]);
}

static void
pair_up(const struct qp_link *l, uint64_t seed,
		const struct tq_quic_conn_cfg *cfg, const struct tq_h3_conf *sc)
{
	int err = 0;

	memset(&srv, 0, sizeof(srv));
	memset(&cli, 0, sizeof(cli));
	memset(creqs, 0, sizeof(creqs));
	pool_before = tq_test_pool_avail();
	srv_conf = sc;
	qp_init(&P, l, seed, cfg, NULL, NULL, NULL, NULL);
	P.on_server = on_server;
	/* Before the handshake: the session opens its streams at
	 * established() (stream_open is -ENOTCONN until then). */
	cli.h = tq_h3_client_new(tq_quic_conn_base(P.c[0]), &cli_ops, NULL,
			sc, &err);
	assert_non_null(cli.h);
	assert_true(qp_run(&P, 10 * SEC, h3_ready, NULL));
	assert_non_null(srv.h);
	/* ALPN h3 was negotiated */
	{
		size_t al = 0;
		const uint8_t *a = tq_quic_tls_alpn(tq_quic_conn_tls(P.c[0]),
				&al);

		assert_non_null(a);
		assert_int_equal(al, 2);
		assert_memory_equal(a, "h3", 2);
	}
}

static bool
all_closed(void *arg)
{
	unsigned int i, n = *(unsigned int *)arg;

	for (i = 0; i < n; i++)
		if (!creqs[i].closed)
			return false;
	return true;
}

/* Run until the first n client exchanges have closed. */
static void
run_until(unsigned int n, uint64_t ns)
{
	assert_true(qp_run(&P, ns, all_closed, &n));
}

static bool
conns_done(void *arg)
{
	(void)arg;
	return tq_quic_conn_done(P.c[0]) && tq_quic_conn_done(P.c[1]);
}

/* Both connections to CLOSED, freed; every mbuf back. */
static void
pair_free(void)
{
	unsigned int i;

	assert_true(qp_run(&P, 60 * SEC, conns_done, NULL));
	assert_int_equal(srv.closed_after_conn, 0);
	for (i = 0; i < MAXREQ; i++)
		assert_false(creqs[i].closed_after_conn);
	qp_fini(&P);
	assert_int_equal(tq_test_pool_avail(), pool_before);
}

static void
pair_down(void)
{
	uint64_t code;
	bool app, remote;

	if (cli.h)
		tq_h3_close(cli.h, TQ_H3_NO_ERROR);
	assert_true(cli.conn_closed);
	qp_run(&P, 5 * SEC, NULL, NULL);
	assert_true(srv.conn_closed);
	assert_int_equal(srv.conn_code, TQ_H3_NO_ERROR);
	tq_quic_conn_close_info(P.c[1], &code, &app, &remote);
	assert_int_equal(code, TQ_H3_NO_ERROR);
	assert_true(app && remote);
	pair_free();
}

static struct tq_h3_req *
get(const char *path, struct creq *q)
{
	int err = 0;
	struct tq_h3_req *r = tq_h3_client_request(cli.h, "GET", NULL,
			"test.example", path, NULL, 0, NULL, 0, 0, q, &err);

	assert_non_null(r);
	q->count_hdr = -1;
	return r;
}

/* ---- cases ---- */

static void
check_big(struct creq *q)
{
	assert_int_equal(q->status, 200);
	assert_int_equal(q->got, BIG);
	assert_int_equal(q->bad, 0);
	assert_true(q->ended);
	assert_true(q->closed);
	assert_int_equal(q->code, 0);
}

/* A GET of 1 MB, byte-exact. */
static void
test_get_big(void **state)
{
	const struct tq_h3_stats *st;

	(void)state;
	pair_up(&clean, 1, NULL, NULL);
	creqs[0].expect = big;
	creqs[0].expect_len = BIG;
	get("/big", &creqs[0]);
	run_until(1, 30 * SEC);
	check_big(&creqs[0]);
	assert_int_equal(srv.requests, 1);
	assert_int_equal(srv.closed, 1);
	assert_int_equal(srv.errors, 0);
	st = tq_h3_conn_stats(srv.h);
	assert_int_equal(st->requests, 1);
	assert_int_equal(st->responses[2], 1);
	assert_int_equal(st->body_tx, BIG);
	assert_int_equal(tq_h3_conn_stats(cli.h)->body_rx, BIG);
	assert_int_equal(tq_quic_conn_stats(P.c[0])->proto_err, 0);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->proto_err, 0);
	pair_down();
}

/* 50 requests at once on one connection. */
static void
test_concurrent(void **state)
{
	static char paths[50][32];
	struct tq_h3_stats agg = { 0 };
	struct tq_h3_conf conf = { .stats = &agg };
	unsigned int i;

	(void)state;
	pair_up(&clean, 2, NULL, &conf);
	for (i = 0; i < 50; i++) {
		snprintf(paths[i], sizeof(paths[i]), "/item/%u", i * 37);
		creqs[i].expect = (const uint8_t *)paths[i];
		creqs[i].expect_len = strlen(paths[i]);
		get(paths[i], &creqs[i]);
	}
	creqs[50].expect = big;
	creqs[50].expect_len = BIG;
	get("/big", &creqs[50]);
	run_until(51, 30 * SEC);
	for (i = 0; i < 50; i++) {
		assert_int_equal(creqs[i].status, 200);
		assert_int_equal(creqs[i].got, creqs[i].expect_len);
		assert_int_equal(creqs[i].bad, 0);
		assert_true(creqs[i].ended && creqs[i].closed);
		assert_int_equal(creqs[i].code, 0);
	}
	check_big(&creqs[50]);
	assert_int_equal(srv.requests, 51);
	assert_int_equal(agg.requests, 102);
	assert_int_equal(agg.responses[2], 102);
	assert_int_equal(agg.stream_errors, 0);
	pair_down();
}

static void
post_echo(size_t len, uint64_t ns)
{
	int err = 0;
	struct tq_h3_req *r;

	creqs[0].gen_total = len;
	r = tq_h3_client_request(cli.h, "POST", NULL, "test.example", "/echo",
			NULL, 0, NULL, 0, TQ_H3_BODY_STREAM, &creqs[0], &err);
	assert_non_null(r);
	c_gen(r, &creqs[0]);
	run_until(1, ns);
	assert_int_equal(creqs[0].gen_sent, len);
	assert_int_equal(creqs[0].status, 200);
	assert_int_equal(creqs[0].count_hdr, (int64_t)len);
	assert_int_equal(creqs[0].got, len);
	assert_int_equal(creqs[0].bad, 0);
	assert_true(creqs[0].ended && creqs[0].closed);
	assert_int_equal(creqs[0].code, 0);
}

/* A streamed request body (more than the stream's send buffer and
 * initial window), answered with a streamed body of the same bytes. */
static void
test_post(void **state)
{
	struct tq_quic_conn_cfg cfg = { .sndbuf = 16384,
		.max_stream_data = 32768 };

	(void)state;
	pair_up(&clean, 3, &cfg, NULL);
	post_echo(1000000, 60 * SEC);
	pair_down();
}

/* The same, the server taking the body as mbufs shared with the QUIC
 * receive buffers. */
static void
test_post_mbuf(void **state)
{
	(void)state;
	srv_ops.data_mbuf = s_data_mbuf;
	srv_ops.data = NULL;
	pair_up(&clean, 4, NULL, NULL);
	post_echo(300000, 60 * SEC);
	pair_down();
	srv_ops.data_mbuf = NULL;
	srv_ops.data = s_data;
	assert_true(srv.mbufs > 0);
}

/* 5% loss each way with reordering: a GET of 1 MB, a POST echo, and 20
 * small requests, all byte-exact. */
static void
test_lossy(void **state)
{
	static const struct qp_link l = { .delay_ns = 20 * MS, .loss = 0.05,
		.reorder = 0.2, .bw_bps = 100000000 };
	static char paths[20][32];
	uint64_t seed;
	unsigned int i;

	(void)state;
	for (seed = 11; seed < 14; seed++) {
		pair_up(&l, seed, NULL, NULL);
		post_echo(200000, 120 * SEC);
		memset(creqs, 0, sizeof(creqs));
		creqs[0].expect = big;
		creqs[0].expect_len = BIG;
		get("/big", &creqs[0]);
		for (i = 1; i <= 20; i++) {
			snprintf(paths[i - 1], sizeof(paths[i - 1]), "/l/%u",
					i);
			creqs[i].expect = (const uint8_t *)paths[i - 1];
			creqs[i].expect_len = strlen(paths[i - 1]);
			get(paths[i - 1], &creqs[i]);
		}
		run_until(21, 120 * SEC);
		check_big(&creqs[0]);
		for (i = 1; i <= 20; i++) {
			assert_int_equal(creqs[i].got, creqs[i].expect_len);
			assert_int_equal(creqs[i].bad, 0);
			assert_int_equal(creqs[i].code, 0);
		}
		assert_true(P.lost[0] + P.lost[1] > 0);
		assert_true(tq_quic_conn_stats(P.c[1])->retransmits > 0);
		pair_down();
	}
}

static bool
srv_got(void *arg)
{
	return srv.rx >= *(uint64_t *)arg;
}

/* The client cancels a request mid-body: the server's app sees the
 * code the client gave (RESET_STREAM), the client's its own; the server
 * cancels a response mid-body: the client sees its code and no end. */
static void
test_cancel_mid_body(void **state)
{
	int err = 0;
	uint64_t want = 100000;
	struct tq_h3_req *r;

	/* A send buffer smaller than where /cut cancels, so part of the
	 * body is on the wire before the reset: a reset drops what the
	 * transport still holds (RFC 9000 3.1), unlike the test
	 * transport, which delivers it first. */
	struct tq_quic_conn_cfg cfg = { .sndbuf = 16384 };

	(void)state;
	pair_up(&clean, 5, &cfg, NULL);
	creqs[0].gen_total = BIG;
	r = tq_h3_client_request(cli.h, "POST", NULL, "test.example", "/echo",
			NULL, 0, NULL, 0, TQ_H3_BODY_STREAM, &creqs[0], &err);
	assert_non_null(r);
	c_gen(r, &creqs[0]);
	assert_true(qp_run(&P, 10 * SEC, srv_got, &want));
	assert_int_equal(srv.closed, 0);
	/* a code other than the default, to see it is the client's */
	tq_h3_req_cancel(r, TQ_H3_REQUEST_INCOMPLETE);
	assert_true(creqs[0].closed);
	assert_int_equal(creqs[0].code, TQ_H3_REQUEST_INCOMPLETE);
	qp_run(&P, 2 * SEC, NULL, NULL);
	assert_int_equal(srv.closed, 1);
	assert_int_equal(srv.errors, 1);
	assert_int_equal(srv.last_code, TQ_H3_REQUEST_INCOMPLETE);
	assert_false(creqs[0].ended);

	get("/cut", &creqs[1]);
	run_until(2, 10 * SEC);
	assert_int_equal(creqs[1].status, 200);
	assert_true(creqs[1].got > 0 && creqs[1].got < BIG);
	assert_int_equal(creqs[1].bad, 0);
	assert_false(creqs[1].ended);
	assert_int_equal(creqs[1].code, TQ_H3_INTERNAL_ERROR);
	qp_run(&P, 2 * SEC, NULL, NULL);
	assert_int_equal(srv.closed, 2);
	assert_int_equal(srv.last_code, TQ_H3_INTERNAL_ERROR);
	pair_down();
}

/* GOAWAY with a request in progress: it completes, a new one gets
 * -ESHUTDOWN, then the server closes with H3_NO_ERROR and both
 * connections' closed() see it, the client's from the peer. */
static void
test_goaway(void **state)
{
	struct tq_h3_req *r;
	uint64_t code;
	bool app, remote;
	int err = 0;

	(void)state;
	pair_up(&clean, 6, NULL, NULL);
	srv.shutdown_on_request = true;
	get("/x", &creqs[0]);
	qp_run(&P, 1 * SEC, NULL, NULL);
	assert_non_null(srv.held);
	assert_true(cli.goaways >= 1);
	r = tq_h3_client_request(cli.h, "GET", NULL, "test.example", "/y",
			NULL, 0, NULL, 0, 0, &creqs[1], &err);
	assert_null(r);
	assert_int_equal(err, -ESHUTDOWN);
	assert_false(srv.conn_closed);
	s_respond(srv.held, tq_h3_req_udata(srv.held));
	qp_run(&P, 2 * SEC, NULL, NULL);
	assert_int_equal(creqs[0].status, 200);
	assert_true(creqs[0].ended && creqs[0].closed);
	assert_int_equal(creqs[0].code, 0);
	assert_true(srv.conn_closed);
	assert_true(cli.conn_closed);
	assert_int_equal(srv.conn_code, TQ_H3_NO_ERROR);
	assert_int_equal(cli.conn_code, TQ_H3_NO_ERROR);
	tq_quic_conn_close_info(P.c[0], &code, &app, &remote);
	assert_int_equal(code, TQ_H3_NO_ERROR);
	assert_true(app && remote);
	tq_quic_conn_close_info(P.c[1], &code, &app, &remote);
	assert_int_equal(code, TQ_H3_NO_ERROR);
	assert_true(app && !remote);
	pair_free();
}

static bool
srv_held(void *arg)
{
	(void)arg;
	return srv.held != NULL;
}

static bool
both_h3_closed(void *arg)
{
	(void)arg;
	return srv.conn_closed && cli.conn_closed;
}

/* GOAWAY while a 1 MB response is held, over a lossy link: the close
 * waits until the whole body is acknowledged (a CONNECTION_CLOSE would
 * drop what is still in flight). */
static void
test_goaway_lossy(void **state)
{
	static const struct qp_link l = { .delay_ns = 20 * MS, .loss = 0.05,
		.reorder = 0.2, .bw_bps = 100000000 };
	uint64_t seed;

	(void)state;
	for (seed = 30; seed < 33; seed++) {
		pair_up(&l, seed, NULL, NULL);
		srv.shutdown_on_request = true;
		creqs[0].expect = big;
		creqs[0].expect_len = BIG;
		get("/big", &creqs[0]);
		assert_true(qp_run(&P, 10 * SEC, srv_held, NULL));
		s_respond(srv.held, tq_h3_req_udata(srv.held));
		assert_true(qp_run(&P, 120 * SEC, both_h3_closed, NULL));
		check_big(&creqs[0]);
		assert_int_equal(srv.conn_code, TQ_H3_NO_ERROR);
		assert_int_equal(cli.conn_code, TQ_H3_NO_ERROR);
		assert_true(tq_quic_conn_stats(P.c[1])->retransmits > 0);
		pair_free();
	}
}


/* The server answers a POST before the body is through (RFC 9114 4.1:
 * it may): the client gets the whole response, its upload still goes
 * through (we send no STOP_SENDING), both exchanges end cleanly, and a
 * GET on the same connection works after. */
static void
test_early_response(void **state)
{
	int err = 0;
	struct tq_h3_req *r;

	(void)state;
	pair_up(&clean, 40, NULL, NULL);
	creqs[0].gen_total = BIG;
	creqs[0].expect = (const uint8_t *)"/early";
	creqs[0].expect_len = 6;
	r = tq_h3_client_request(cli.h, "POST", NULL, "test.example",
			"/early", NULL, 0, NULL, 0, TQ_H3_BODY_STREAM,
			&creqs[0], &err);
	assert_non_null(r);
	c_gen(r, &creqs[0]);
	run_until(1, 30 * SEC);
	assert_int_equal(creqs[0].status, 200);
	assert_int_equal(creqs[0].got, 6);
	assert_int_equal(creqs[0].bad, 0);
	assert_true(creqs[0].ended);
	creqs[1].expect = (const uint8_t *)"/after";
	creqs[1].expect_len = 6;
	get("/after", &creqs[1]);
	run_until(2, 10 * SEC);
	assert_int_equal(creqs[1].got, 6);
	assert_int_equal(creqs[1].code, 0);
	/* the server read the rest of the body (it sends no STOP_SENDING)
	 * and both its exchanges ended cleanly */
	assert_int_equal(creqs[0].gen_sent, BIG);
	assert_int_equal(creqs[0].code, 0);
	assert_int_equal(srv.closed, 2);
	assert_int_equal(srv.errors, 0);
	assert_int_equal(srv.rx, BIG);
	pair_down();
}


/* A key update (RFC 9001 6) in the middle of a 1 MB response: the body
 * arrives whole on the new keys. */
static void
test_key_update(void **state)
{
	(void)state;
	pair_up(&clean, 41, NULL, NULL);
	creqs[0].expect = big;
	creqs[0].expect_len = BIG;
	get("/big", &creqs[0]);
	qp_run(&P, 50 * MS, NULL, NULL);
	assert_true(creqs[0].got > 0 && creqs[0].got < BIG);
	assert_int_equal(tq_quic_conn_key_update(P.c[0]), 0);
	run_until(1, 30 * SEC);
	check_big(&creqs[0]);
	assert_true(tq_quic_conn_stats(P.c[1])->key_updates > 0);
	pair_down();
}

static bool
drop_all(struct qp *p, int from, uint8_t *d, size_t *len)
{
	(void)p;
	(void)from;
	(void)d;
	(void)len;
	return false;
}

/* The link dies mid-body: both connections reach their idle timeout,
 * both sessions end every exchange with a code and then the session,
 * and every mbuf held in flight or in the receive buffers comes back. */
static void
test_link_dies(void **state)
{
	struct tq_quic_conn_cfg cfg = { .idle_timeout_ms = 2000 };

	(void)state;
	pair_up(&clean, 42, &cfg, NULL);
	creqs[0].expect = big;
	creqs[0].expect_len = BIG;
	get("/big", &creqs[0]);
	creqs[1].gen_total = BIG;
	{
		int err = 0;
		struct tq_h3_req *r = tq_h3_client_request(cli.h, "POST",
				NULL, "test.example", "/echo", NULL, 0, NULL,
				0, TQ_H3_BODY_STREAM, &creqs[1], &err);

		assert_non_null(r);
		c_gen(r, &creqs[1]);
	}
	qp_run(&P, 60 * MS, NULL, NULL);
	assert_true(creqs[0].got > 0 && creqs[0].got < BIG);
	P.tap = drop_all;
	assert_true(qp_run(&P, 30 * SEC, both_h3_closed, NULL));
	assert_true(creqs[0].closed && creqs[1].closed);
	assert_int_not_equal(creqs[0].code, 0);
	assert_int_not_equal(creqs[1].code, 0);
	assert_false(creqs[0].ended);
	assert_int_equal(srv.closed, 2);
	assert_int_equal(srv.errors, 2);
	/* no H3 code was sent: the sessions say so (0), and count no
	 * critical stream closed by the peer */
	assert_int_equal(cli.conn_code, 0);
	assert_int_equal(srv.conn_code, 0);
	assert_int_equal(creqs[0].code, TQ_H3_REQUEST_CANCELLED);
	pair_free();
}


/* A transport error (PROTOCOL_VIOLATION) closes the connection under
 * the sessions: each sees the transport's code, not an H3 error of its
 * own making (such as H3_CLOSED_CRITICAL_STREAM for the peer's control
 * stream ending with the connection). */
static void
test_transport_error(void **state)
{
	(void)state;
	pair_up(&clean, 43, NULL, NULL);
	creqs[0].expect = big;
	creqs[0].expect_len = BIG;
	get("/big", &creqs[0]);
	qp_run(&P, 50 * MS, NULL, NULL);
	assert_true(creqs[0].got > 0 && creqs[0].got < BIG);
	tq_quic_conn_error(P.c[1], TQ_QUIC_PROTOCOL_VIOLATION, 0);
	assert_true(srv.conn_closed);
	assert_int_equal(srv.conn_code, TQ_QUIC_PROTOCOL_VIOLATION);
	assert_true(qp_run(&P, 5 * SEC, both_h3_closed, NULL));
	assert_int_equal(cli.conn_code, TQ_QUIC_PROTOCOL_VIOLATION);
	assert_true(creqs[0].closed);
	assert_false(creqs[0].ended);
	assert_int_not_equal(creqs[0].code, 0);
	assert_int_equal(srv.closed, 1);
	pair_free();
}


/* The server closes the connection with an H3 error while the client
 * has exchanges open: the client's connection sees the code in an
 * application CONNECTION_CLOSE, each open exchange's closed() comes
 * with it (tq_stream_error_code() of a stream ended by the close is the
 * connection's code) and before the session's conn_closed(). */
static void
test_server_error_close(void **state)
{
	uint64_t code;
	bool app, remote;

	(void)state;
	pair_up(&clean, 7, NULL, NULL);
	get("/hold", &creqs[0]);
	get("/hold", &creqs[1]);
	qp_run(&P, 1 * SEC, NULL, NULL);
	assert_int_equal(srv.requests, 2);
	assert_false(creqs[0].closed);
	tq_h3_close(srv.h, TQ_H3_EXCESSIVE_LOAD);
	assert_true(srv.conn_closed);
	assert_int_equal(srv.conn_code, TQ_H3_EXCESSIVE_LOAD);
	assert_int_equal(srv.closed, 2);
	qp_run(&P, 1 * SEC, NULL, NULL);
	assert_true(cli.conn_closed);
	assert_int_equal(cli.conn_code, TQ_H3_EXCESSIVE_LOAD);
	tq_quic_conn_close_info(P.c[0], &code, &app, &remote);
	assert_int_equal(code, TQ_H3_EXCESSIVE_LOAD);
	assert_true(app && remote);
	assert_true(creqs[0].closed && creqs[1].closed);
	assert_int_equal(creqs[0].code, TQ_H3_EXCESSIVE_LOAD);
	assert_int_equal(creqs[1].code, TQ_H3_EXCESSIVE_LOAD);
	assert_false(creqs[0].closed_after_conn);
	assert_false(creqs[1].closed_after_conn);
	assert_false(creqs[0].ended);
	pair_free();
}

/* At QUIC's stream limit (MAX_STREAMS 10) requests fail with -EAGAIN
 * and go out at streams_available(), as MAX_STREAMS rises. */
static void
test_stream_limit(void **state)
{
	struct tq_quic_conn_cfg cfg = { .max_streams_bidi = 10 };
	unsigned int i;

	(void)state;
	pair_up(&clean, 8, &cfg, NULL);
	c_next = 0;
	c_total = 40;
	c_eagain = 0;
	c_issue();
	assert_int_equal(c_next, 10);
	run_until(40, 30 * SEC);
	assert_int_equal(c_next, 40);
	assert_true(c_eagain >= 3);
	for (i = 0; i < 40; i++) {
		assert_int_equal(creqs[i].status, 200);
		assert_int_equal(creqs[i].bad, 0);
		assert_int_equal(creqs[i].got, creqs[i].expect_len);
		assert_int_equal(creqs[i].code, 0);
	}
	pair_down();
}

/* ---- the transport's own side of the requirements ---- */

static int t_new, t_readable_first;
static unsigned int t_a, t_other;	/* 'a' and other bytes on stream 2 */
static struct tq_stream *t_srv[8];

static void
t_readable(struct tq_stream *st, void *ctx)
{
	uint8_t buf[256];
	int n, i;

	(void)ctx;
	if (!t_new)
		t_readable_first++;
	while ((n = tq_stream_read(st, buf, sizeof(buf))) > 0)
		if (tq_stream_id(st) == 2)
			for (i = 0; i < n; i++) {
				if (buf[i] == 'a')
					t_a++;
				else
					t_other++;
			}
}

static const struct tq_stream_ops t_sops = { .readable = t_readable };

static void
t_new_stream(struct tq_conn *c, struct tq_stream *st, void *u)
{
	(void)c;
	(void)u;
	if (t_new < 8)
		t_srv[t_new] = st;
	t_new++;
	tq_stream_set_ops(st, &t_sops, NULL);
}

static const struct tq_conn_ops t_cops = { .new_stream = t_new_stream };

/* -ENOTCONN before the handshake, QUIC's stream ids (what GOAWAY
 * names), -EBADF on the wrong side of a unidirectional stream,
 * new_stream() before the first readable(), writev copying (the
 * caller's buffer reused at once), -EPIPE after shutdown. */
static void
test_transport_rules(void **state)
{
	struct tq_conn *cc;
	struct tq_stream *b0, *b1, *u0;
	uint8_t buf[64];
	struct iovec iov[2];
	int err = 0;

	(void)state;
	pool_before = tq_test_pool_avail();
	qp_init(&P, &clean, 9, NULL, NULL, NULL, &t_cops, NULL);
	cc = tq_quic_conn_base(P.c[0]);
	assert_null(tq_conn_stream_open(cc, 0, NULL, NULL, &err));
	assert_int_equal(err, -ENOTCONN);
	assert_true(qp_run(&P, 10 * SEC, h3_ready, NULL));
	b0 = tq_conn_stream_open(cc, 0, NULL, NULL, &err);
	b1 = tq_conn_stream_open(cc, 0, NULL, NULL, &err);
	u0 = tq_conn_stream_open(cc, TQ_STREAM_UNI, NULL, NULL, &err);
	assert_non_null(b0);
	assert_non_null(b1);
	assert_non_null(u0);
	assert_int_equal(tq_stream_id(b0), 0);
	assert_int_equal(tq_stream_id(b1), 4);
	assert_int_equal(tq_stream_id(u0), 2);
	assert_true(tq_stream_is_uni(u0));
	assert_int_equal(tq_stream_read(u0, buf, sizeof(buf)), -EBADF);
	memset(buf, 'a', sizeof(buf));
	iov[0].iov_base = buf;
	iov[0].iov_len = 32;
	iov[1].iov_base = buf + 32;
	iov[1].iov_len = 32;
	assert_int_equal(tq_stream_writev(u0, iov, 2), 64);
	memset(buf, 'X', sizeof(buf));	/* copied: no longer ours */
	assert_int_equal(tq_stream_write(b1, "hello", 5), 5);
	assert_int_equal(tq_stream_shutdown(b1), 0);
	assert_int_equal(tq_stream_write(b1, "x", 1), -EPIPE);
	qp_run(&P, 1 * SEC, NULL, NULL);
	/* stream 0 had nothing written but is announced; 4 and 2 carry
	 * data: three new_stream(), none preceded by a readable() */
	assert_int_equal(t_new, 3);
	assert_int_equal(t_readable_first, 0);
	assert_int_equal(t_a, 64);
	assert_int_equal(t_other, 0);
	tq_conn_close(cc, 0);
	assert_true(qp_run(&P, 60 * SEC, conns_done, NULL));
	qp_fini(&P);
	assert_int_equal(tq_test_pool_avail(), pool_before);
}

struct t_cl {
	int closed;
	enum tq_close_reason why;
	uint64_t code;
	int conn_closed_before;	/* the connection's closed() first */
};

static struct t_cl t_cl[4];
static int t_conn_closed;

static void
t_cl_closed(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	struct t_cl *c = ctx;

	c->closed++;
	c->why = why;
	c->code = tq_stream_error_code(st);
	if (t_conn_closed)
		c->conn_closed_before++;
}

static const struct tq_stream_ops t_cl_ops = { .closed = t_cl_closed };

static void
t_conn_closed_cb(struct tq_conn *c, enum tq_close_reason why, uint64_t code,
		void *u)
{
	(void)c;
	(void)why;
	(void)code;
	(void)u;
	t_conn_closed++;
}

static const struct tq_conn_ops t_ccops = { .closed = t_conn_closed_cb };

/* STOP_SENDING is answered by the transport with RESET_STREAM carrying
 * its code (RFC 9000 3.5): the stopped side sees closed(RESET) with the
 * code, the stopping side's read ends on the reset.  Then a connection
 * close with an H3 code: every open stream's closed() before the
 * connection's, with tq_stream_error_code() the connection's code. */
static void
test_transport_stop_and_close(void **state)
{
	struct tq_conn *cc;
	struct tq_stream *a, *b;
	uint8_t buf[4000];
	int err = 0, i;

	(void)state;
	t_new = 0;
	memset(t_cl, 0, sizeof(t_cl));
	t_conn_closed = 0;
	pool_before = tq_test_pool_avail();
	qp_init(&P, &clean, 10, NULL, &t_ccops, NULL, &t_cops, NULL);
	cc = tq_quic_conn_base(P.c[0]);
	assert_true(qp_run(&P, 10 * SEC, h3_ready, NULL));
	a = tq_conn_stream_open(cc, 0, &t_cl_ops, &t_cl[0], &err);
	b = tq_conn_stream_open(cc, 0, &t_cl_ops, &t_cl[1], &err);
	assert_non_null(a);
	assert_non_null(b);
	memset(buf, 'z', sizeof(buf));
	for (i = 0; i < 10; i++)
		assert_int_equal(tq_stream_write(a, buf, sizeof(buf)),
				(int)sizeof(buf));
	assert_int_equal(tq_stream_write(b, buf, 10), 10);
	qp_run(&P, 1 * SEC, NULL, NULL);
	assert_int_equal(t_new, 2);
	assert_int_equal(tq_stream_id(t_srv[0]), 0);
	/* the server stops stream 0 and ends its own side */
	tq_stream_set_ops(t_srv[0], &t_cl_ops, &t_cl[2]);
	assert_int_equal(tq_stream_shutdown_read(t_srv[0],
			TQ_H3_REQUEST_REJECTED), 0);
	assert_int_equal(tq_stream_shutdown(t_srv[0]), 0);
	qp_run(&P, 1 * SEC, NULL, NULL);
	assert_int_equal(t_cl[0].closed, 1);
	assert_int_equal(t_cl[0].why, TQ_CLOSE_RESET);
	assert_int_equal(t_cl[0].code, TQ_H3_REQUEST_REJECTED);
	/* (a is freed after its closed(): not touched again) */
	assert_int_equal(t_cl[2].closed, 1);
	/* the connection closes with an H3 code: stream 4 is still open */
	tq_stream_set_ops(t_srv[1], &t_cl_ops, &t_cl[3]);
	tq_conn_close(cc, TQ_H3_GENERAL_PROTOCOL_ERROR);
	assert_int_equal(t_cl[1].closed, 1);
	assert_int_equal(t_cl[1].conn_closed_before, 0);
	assert_int_equal(t_cl[1].code, TQ_H3_GENERAL_PROTOCOL_ERROR);
	assert_int_equal(t_conn_closed, 1);
	qp_run(&P, 1 * SEC, NULL, NULL);
	/* the server's stream 4 with the code from the peer's close */
	assert_int_equal(t_cl[3].closed, 1);
	assert_int_equal(t_cl[3].code, TQ_H3_GENERAL_PROTOCOL_ERROR);
	assert_true(qp_run(&P, 60 * SEC, conns_done, NULL));
	qp_fini(&P);
	assert_int_equal(tq_test_pool_avail(), pool_before);
}

/* 80 fields both ways, one value of 14000 bytes (a HEADERS frame over
 * many packets); a section over the limit is answered 431. */
static void
test_headers(void **state)
{
	static struct tq_http_field f[80];
	static char names[80][16], vals[80][32], large[14000], huge[21000];
	struct tq_http_field hf = { { "x-huge", 6 }, { huge, sizeof(huge) } };
	struct tq_h3_conf sc = { .max_field_section = 20000 };
	int err = 0;
	unsigned int i;

	(void)state;
	pair_up(&clean, 20, NULL, &sc);
	for (i = 0; i < 79; i++) {
		f[i].name.len = (uint32_t)snprintf(names[i], sizeof(names[i]),
				"x-field-%u", i);
		f[i].name.p = names[i];
		f[i].value.len = (uint32_t)snprintf(vals[i], sizeof(vals[i]),
				"Value-%u MiXeD\tCase", i);
		f[i].value.p = vals[i];
	}
	memset(large, 'L', sizeof(large));
	f[79].name.p = "x-large";
	f[79].name.len = 7;
	f[79].value.p = large;
	f[79].value.len = sizeof(large);
	creqs[0].want = f;
	creqs[0].nwant = 80;
	assert_non_null(tq_h3_client_request(cli.h, "GET", NULL,
			"test.example", "/hdrs", f, 80, NULL, 0, 0, &creqs[0],
			&err));
	memset(huge, 'H', sizeof(huge));
	assert_non_null(tq_h3_client_request(cli.h, "GET", NULL,
			"test.example", "/hdrs", &hf, 1, NULL, 0, 0, &creqs[1],
			&err));
	run_until(2, 10 * SEC);
	assert_int_equal(creqs[0].status, 204);
	assert_int_equal(creqs[0].found, 80);
	assert_int_equal(creqs[0].code, 0);
	assert_int_equal(creqs[1].status, 431);
	assert_int_equal(srv.requests, 1);
	assert_int_equal(tq_h3_conn_stats(srv.h)->responses[4], 1);
	pair_down();
}

/* A paused upload holds the sender back through QUIC's flow control
 * (the stream window opens only as the server reads); resumed, it
 * completes byte-exact. */
static void
test_pause(void **state)
{
	struct tq_quic_conn_cfg cfg = { .sndbuf = 8192,
		.max_stream_data = 65536 };
	int err = 0;
	struct tq_h3_req *r;
	size_t sent;

	(void)state;
	pair_up(&clean, 21, &cfg, NULL);
	srv.pause_echo = true;
	creqs[0].gen_total = 1u << 20;
	r = tq_h3_client_request(cli.h, "POST", NULL, "test.example", "/echo",
			NULL, 0, NULL, 0, TQ_H3_BODY_STREAM, &creqs[0], &err);
	assert_non_null(r);
	c_gen(r, &creqs[0]);
	qp_run(&P, 5 * SEC, NULL, NULL);
	assert_non_null(srv.held);
	sent = creqs[0].gen_sent;
	/* stream window (64 KB) + send buffer (8 KB) + our ring (16 KB) */
	assert_true(sent < 120000);
	assert_true(sent > 65536);
	assert_true(((struct sreq *)tq_h3_req_udata(srv.held))->count <
			2000);
	tq_h3_req_pause(srv.held, false);
	run_until(1, 60 * SEC);
	assert_int_equal(creqs[0].gen_sent, 1u << 20);
	assert_int_equal(creqs[0].count_hdr, 1u << 20);
	assert_int_equal(creqs[0].got, 1u << 20);
	assert_int_equal(creqs[0].bad, 0);
	assert_int_equal(creqs[0].code, 0);
	pair_down();
}

/* The server's session memory capped: 100 held requests push it over
 * 16 KiB; H3_EXCESSIVE_LOAD reaches both connections. */
static void
test_mem_cap(void **state)
{
	struct tq_h3_stats agg = { 0 };
	struct tq_h3_conf sc = { .max_mem = 16 * 1024, .stats = &agg };
	uint64_t code;
	bool app, remote;
	unsigned int i;
	int err = 0;

	(void)state;
	memset(&srv, 0, sizeof(srv));
	memset(&cli, 0, sizeof(cli));
	memset(creqs, 0, sizeof(creqs));
	pool_before = tq_test_pool_avail();
	srv_conf = &sc;
	qp_init(&P, &clean, 22, NULL, NULL, NULL, NULL, NULL);
	P.on_server = on_server;
	cli.h = tq_h3_client_new(tq_quic_conn_base(P.c[0]), &cli_ops, NULL,
			NULL, &err);
	assert_non_null(cli.h);
	assert_true(qp_run(&P, 10 * SEC, h3_ready, NULL));
	for (i = 0; i < 100; i++)
		get("/hold", &creqs[i]);
	qp_run(&P, 5 * SEC, NULL, NULL);
	assert_true(srv.conn_closed);
	assert_true(cli.conn_closed);
	assert_int_equal(srv.conn_code, TQ_H3_EXCESSIVE_LOAD);
	assert_int_equal(cli.conn_code, TQ_H3_EXCESSIVE_LOAD);
	tq_quic_conn_close_info(P.c[0], &code, &app, &remote);
	assert_int_equal(code, TQ_H3_EXCESSIVE_LOAD);
	assert_true(app && remote);
	assert_true(agg.mem_refused > 0);
	assert_int_equal(agg.conn_errors, 1);
	for (i = 0; i < 100; i++)
		assert_true(creqs[i].closed);
	pair_free();
}

static uint64_t t_conn_code;

static void
t_conn_closed_code(struct tq_conn *c, enum tq_close_reason why,
		uint64_t code, void *u)
{
	(void)c;
	(void)why;
	(void)u;
	t_conn_closed++;
	t_conn_code = code;
}

/* it takes the server's streams (else the transport refuses them, and
 * the server's control stream stopped is H3_CLOSED_CRITICAL_STREAM) */
static const struct tq_conn_ops t_rawops = { .new_stream = t_new_stream,
	.closed = t_conn_closed_code };

/* A raw QUIC client against our server session: its control stream
 * (type 0, an empty SETTINGS) ended with FIN is the peer closing a
 * critical stream (TQ_CLOSE_NORMAL): H3_CLOSED_CRITICAL_STREAM on both
 * connections.  The other half of the fix above. */
static void
test_raw_closed_control(void **state)
{
	static const uint8_t ctl[] = { 0x00, 0x04, 0x00 };
	struct tq_conn *cc;
	struct tq_stream *u;
	uint64_t code;
	bool app, remote;
	int err = 0;

	(void)state;
	memset(&srv, 0, sizeof(srv));
	t_conn_closed = 0;
	t_conn_code = 0;
	t_new = 0;
	pool_before = tq_test_pool_avail();
	srv_conf = NULL;
	qp_init(&P, &clean, 44, NULL, &t_rawops, NULL, NULL, NULL);
	P.on_server = on_server;
	cc = tq_quic_conn_base(P.c[0]);
	assert_true(qp_run(&P, 10 * SEC, h3_ready, NULL));
	u = tq_conn_stream_open(cc, TQ_STREAM_UNI, NULL, NULL, &err);
	assert_non_null(u);
	assert_int_equal(tq_stream_write(u, ctl, sizeof(ctl)), sizeof(ctl));
	qp_run(&P, 200 * MS, NULL, NULL);
	assert_int_equal(t_new, 3);	/* control, QPACK encoder, decoder */
	assert_false(srv.conn_closed);
	assert_int_equal(tq_stream_shutdown(u), 0);
	qp_run(&P, 1 * SEC, NULL, NULL);
	assert_true(srv.conn_closed);
	assert_int_equal(srv.conn_code, TQ_H3_CLOSED_CRITICAL_STREAM);
	assert_int_equal(t_conn_closed, 1);
	assert_int_equal(t_conn_code, TQ_H3_CLOSED_CRITICAL_STREAM);
	tq_quic_conn_close_info(P.c[0], &code, &app, &remote);
	assert_true(app && remote);
	assert_true(qp_run(&P, 60 * SEC, conns_done, NULL));
	qp_fini(&P);
	assert_int_equal(tq_test_pool_avail(), pool_before);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transport_rules),
		cmocka_unit_test(test_transport_stop_and_close),
		cmocka_unit_test(test_get_big),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_post),
		cmocka_unit_test(test_post_mbuf),
		cmocka_unit_test(test_lossy),
		cmocka_unit_test(test_cancel_mid_body),
		cmocka_unit_test(test_goaway),
		cmocka_unit_test(test_goaway_lossy),
		cmocka_unit_test(test_early_response),
		cmocka_unit_test(test_key_update),
		cmocka_unit_test(test_link_dies),
		cmocka_unit_test(test_transport_error),
		cmocka_unit_test(test_raw_closed_control),
		cmocka_unit_test(test_server_error_close),
		cmocka_unit_test(test_stream_limit),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_pause),
		cmocka_unit_test(test_mem_cap),
	};
	size_t i;
	int rc;

	if (tq_test_eal_init("test_h3_quic") < 0)
		return 1;
	big = malloc(BIG);
	for (i = 0; i < BIG; i++)
		big[i] = pat(i);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(big);
	return rc;
}
