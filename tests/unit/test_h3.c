/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/3 sessions (engine/http3): our client against our server over the
 * in-memory transport of many streams (tests/lib/tq_memconn.c), and our
 * server against hand-built frames for the connection errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tachyon/tq_h3.h>

#include "http3/tq_h3_priv.h"
#include "tq_memconn.h"
#include "tq_quic_pair.h"
#include "tq_test.h"

#include "test_h3_apps.h"

/* ---- the pair ---- */

static struct tq_memconn *mc;
static unsigned int pool_before;

static const struct tq_h3_conf *client_conf;	/* NULL: the server's */

static uint32_t max_streams;	/* the transport's limit; 0: default */

static void
pair_up(uint32_t sndbuf, const struct tq_h3_conf *sconf)
{
	struct tq_memconn_conf conf = { .sndbuf = sndbuf,
		.max_streams = max_streams };
	int err = 0;

	memset(&srv, 0, sizeof(srv));
	memset(&cli, 0, sizeof(cli));
	memset(creqs, 0, sizeof(creqs));
	pool_before = tq_test_pool_avail();
	mc = tq_memconn_new(&conf);
	assert_non_null(mc);
	srv.h = tq_h3_server_new(tq_memconn_end(mc, 1), &srv_ops, NULL,
			sconf, &err);
	assert_non_null(srv.h);
	cli.h = tq_h3_client_new(tq_memconn_end(mc, 0), &cli_ops, NULL,
			client_conf ? client_conf : sconf, &err);
	assert_non_null(cli.h);
}

static void
run(uint32_t chunk)
{
	tq_memconn_run(mc, chunk, 1000000);
}

/* Close both, check every mbuf came back. */
static void
pair_down(void)
{
	if (cli.h)
		tq_h3_close(cli.h, TQ_H3_NO_ERROR);
	run(65536);
	assert_true(cli.conn_closed);
	assert_true(srv.conn_closed);
	assert_int_equal(srv.closed_after_conn, 0);
	tq_memconn_free(mc);
	mc = NULL;
	assert_int_equal(tq_test_pool_avail(), pool_before);
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

/* 1 MB through a 16 KB send space, in pieces of 1000 bytes. */
static void
test_get_big(void **state)
{
	struct tq_h3_conf sc = { .max_mem = 1u << 20 };
	const struct tq_h3_stats *st;

	pair_up(16384, &sc);
	run(1000);
	creqs[0].expect = big;
	creqs[0].expect_len = BIG;
	get("/big", &creqs[0]);
	{
		/* Bounded memory: the mbufs in use stay within the send
		 * space and receive window, whatever the body's size. */
		unsigned int low = tq_test_pool_avail(), n = 0;

		while (tq_memconn_pump(mc, 1000) && n++ < 1000000)
			low = RTE_MIN(low, tq_test_pool_avail());
		assert_true(pool_before - low < 120);
	}
	assert_int_equal(creqs[0].status, 200);
	assert_int_equal(creqs[0].got, BIG);
	assert_int_equal(creqs[0].bad, 0);
	assert_true(creqs[0].ended);
	assert_true(creqs[0].closed);
	assert_int_equal(creqs[0].code, 0);
	assert_int_equal(srv.requests, 1);
	assert_int_equal(srv.closed, 1);
	assert_int_equal(srv.errors, 0);
	st = tq_h3_conn_stats(srv.h);
	assert_int_equal(st->requests, 1);
	assert_int_equal(st->responses[2], 1);
	assert_int_equal(st->body_tx, BIG);
	assert_int_equal(tq_h3_conn_stats(cli.h)->body_rx, BIG);
	pair_down();
	assert_int_equal(srv.conn_code, TQ_H3_NO_ERROR);
}

/* A streamed request body, answered with a streamed body, through small
 * buffers. */
static void
test_post(void **state)
{
	int err = 0;
	struct tq_h3_req *r;

	pair_up(8192, NULL);
	run(700);
	creqs[0].gen_total = 300000;
	r = tq_h3_client_request(cli.h, "POST", NULL, "test.example", "/echo",
			NULL, 0, NULL, 0, TQ_H3_BODY_STREAM, &creqs[0], &err);
	assert_non_null(r);
	c_gen(r, &creqs[0]);
	assert_true(creqs[0].gen_sent < creqs[0].gen_total);
	run(700);
	assert_int_equal(creqs[0].gen_sent, 300000);
	assert_int_equal(creqs[0].status, 200);
	assert_int_equal(creqs[0].count_hdr, 300000);
	assert_int_equal(creqs[0].got, 300000);
	assert_int_equal(creqs[0].bad, 0);
	assert_true(creqs[0].ended && creqs[0].closed);
	assert_int_equal(creqs[0].code, 0);
	pair_down();
}

/* The request body taken as mbufs shared with what the transport
 * received: no copy, and every mbuf back in the pool at the end. */
static void
test_post_mbuf(void **state)
{
	srv_ops.data_mbuf = s_data_mbuf;
	srv_ops.data = NULL;
	test_post(state);
	srv_ops.data_mbuf = NULL;
	srv_ops.data = s_data;
	assert_true(srv.mbufs > 0);
}

/* 100 requests at once on one connection. */
static void
test_concurrent(void **state)
{
	static char paths[100][32];
	struct tq_h3_stats agg = { 0 };
	struct tq_h3_conf conf = { .stats = &agg };
	unsigned int i;

	pair_up(4096, &conf);
	run(1200);
	for (i = 0; i < 100; i++) {
		snprintf(paths[i], sizeof(paths[i]), "/item/%u", i * 37);
		creqs[i].expect = (const uint8_t *)paths[i];
		creqs[i].expect_len = strlen(paths[i]);
		get(paths[i], &creqs[i]);
	}
	run(1200);
	for (i = 0; i < 100; i++) {
		assert_int_equal(creqs[i].status, 200);
		assert_int_equal(creqs[i].got, creqs[i].expect_len);
		assert_int_equal(creqs[i].bad, 0);
		assert_true(creqs[i].closed);
		assert_int_equal(creqs[i].code, 0);
	}
	assert_int_equal(srv.requests, 100);
	assert_int_equal(tq_h3_conn_stats(srv.h)->responses[2], 100);
	/* Both sessions add into the per-worker struct. */
	assert_int_equal(agg.requests, 200);
	assert_int_equal(agg.responses[2], 200);
	assert_int_equal(agg.stream_errors, 0);
	pair_down();
}

/* Many fields, values in mixed case, one large value near the limit,
 * both ways; a section over the limit is answered 431; a name in upper
 * case is refused before sending. */
static void
test_headers(void **state)
{
	static struct tq_http_field f[80];
	static char names[80][16], vals[80][32], large[14000];
	struct tq_http_field bad = { { "X-Upper", 7 }, { "v", 1 } };
	struct tq_h3_conf sc = { .max_field_section = 20000 };
	int err = 0;
	unsigned int i;

	pair_up(65536, &sc);
	run(65536);
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
	/* Over the limit: 431, and the app never sees it. */
	f[79].value.len = sizeof(large);
	creqs[1].nwant = 0;
	{
		static char huge[21000];
		struct tq_http_field hf = { { "x-huge", 6 },
			{ huge, sizeof(huge) } };

		memset(huge, 'H', sizeof(huge));
		assert_non_null(tq_h3_client_request(cli.h, "GET", NULL,
				"test.example", "/hdrs", &hf, 1, NULL, 0, 0,
				&creqs[1], &err));
	}
	assert_null(tq_h3_client_request(cli.h, "GET", NULL, "test.example",
			"/", &bad, 1, NULL, 0, 0, &creqs[2], &err));
	assert_int_equal(err, -EINVAL);
	/* an upper-case letter anywhere in a name of any length (the
	 * check reads words) */
	{
		char nm[24];
		struct tq_http_field uf = { { nm, 0 }, { "v", 1 } };
		uint32_t len, at;

		for (len = 1; len <= 20; len++) {
			for (at = 0; at < len; at++) {
				memset(nm, 'a', sizeof(nm));
				nm[at] = at & 1 ? 'Z' : 'A';
				uf.name.len = len;
				err = 0;
				assert_null(tq_h3_client_request(cli.h, "GET",
						NULL, "test.example", "/", &uf,
						1, NULL, 0, 0, &creqs[2],
						&err));
				assert_int_equal(err, -EINVAL);
			}
		}
	}
	run(1500);
	assert_int_equal(creqs[0].status, 204);
	assert_int_equal(creqs[0].found, 80);
	assert_true(creqs[0].closed);
	assert_int_equal(creqs[0].code, 0);
	assert_int_equal(creqs[1].status, 431);
	assert_true(creqs[1].closed);
	assert_int_equal(srv.requests, 1);
	assert_int_equal(tq_h3_conn_stats(srv.h)->responses[4], 1);
	pair_down();
}

/* The server resets the stream mid-body: the client's app sees the
 * error, not an end.  Then the client cancels one: the server's app
 * sees it. */
static void
test_reset_mid_body(void **state)
{
	pair_up(16384, NULL);
	run(4000);
	get("/cut", &creqs[0]);
	run(4000);
	assert_int_equal(creqs[0].status, 200);
	assert_true(creqs[0].got > 0 && creqs[0].got < BIG);
	assert_int_equal(creqs[0].bad, 0);
	assert_false(creqs[0].ended);
	assert_true(creqs[0].closed);
	assert_int_equal(creqs[0].code, TQ_H3_INTERNAL_ERROR);
	assert_int_equal(srv.last_code, TQ_H3_INTERNAL_ERROR);

	get("/hold", &creqs[1]);
	run(4000);
	assert_non_null(srv.held);
	{
		/* find the client's exchange: the last one opened */
		struct tq_h3_req *r = get("/hold", &creqs[2]);

		run(4000);
		tq_h3_req_cancel(r, 0);
	}
	run(4000);
	assert_true(creqs[2].closed);
	assert_int_equal(creqs[2].code, TQ_H3_REQUEST_CANCELLED);
	assert_int_equal(srv.last_code, TQ_H3_REQUEST_CANCELLED);
	assert_false(creqs[1].closed);
	assert_true(tq_h3_conn_stats(cli.h)->stream_errors >= 2);
	pair_down();
	/* The held one ended with the connection. */
	assert_true(creqs[1].closed);
	assert_int_not_equal(creqs[1].code, 0);
}

/* GOAWAY: the request in progress completes, new ones are refused, and
 * the connection then closes cleanly. */
static void
test_goaway(void **state)
{
	struct tq_h3_req *r;
	int err = 0;

	pair_up(16384, NULL);
	run(4000);
	srv.shutdown_on_request = true;
	get("/x", &creqs[0]);
	run(4000);
	assert_non_null(srv.held);
	assert_true(cli.goaways >= 1);
	r = tq_h3_client_request(cli.h, "GET", NULL, "test.example", "/y",
			NULL, 0, NULL, 0, 0, &creqs[1], &err);
	assert_null(r);
	assert_int_equal(err, -ESHUTDOWN);
	assert_false(srv.conn_closed);
	s_respond(srv.held, tq_h3_req_udata(srv.held));
	run(4000);
	assert_int_equal(creqs[0].status, 200);
	assert_true(creqs[0].closed);
	assert_int_equal(creqs[0].code, 0);
	assert_true(srv.conn_closed);
	assert_true(cli.conn_closed);
	assert_int_equal(srv.conn_code, TQ_H3_NO_ERROR);
	assert_int_equal(cli.conn_code, TQ_H3_NO_ERROR);
	tq_memconn_free(mc);
	assert_int_equal(tq_test_pool_avail(), pool_before);
}

/* A paused request body holds the sender back through the transport;
 * resuming lets it through whole. */
static void
test_pause(void **state)
{
	int err = 0;
	struct tq_h3_req *r;
	size_t sent;

	pair_up(8192, NULL);
	run(1000);
	srv.pause_echo = true;
	creqs[0].gen_total = 1u << 20;
	r = tq_h3_client_request(cli.h, "POST", NULL, "test.example", "/echo",
			NULL, 0, NULL, 0, TQ_H3_BODY_STREAM, &creqs[0], &err);
	assert_non_null(r);
	c_gen(r, &creqs[0]);
	run(1000);
	assert_non_null(srv.held);
	sent = creqs[0].gen_sent;
	/* Window (64 KB) + send space (8 KB) + our ring (16 KB), about. */
	assert_true(sent < 120000);
	/* At most what came in the piece that carried the headers. */
	assert_true(((struct sreq *)tq_h3_req_udata(srv.held))->count < 1000);
	tq_h3_req_pause(srv.held, false);
	run(1000);
	assert_int_equal(creqs[0].gen_sent, 1u << 20);
	assert_int_equal(creqs[0].count_hdr, 1u << 20);
	assert_int_equal(creqs[0].got, 1u << 20);
	assert_int_equal(creqs[0].bad, 0);
	assert_int_equal(creqs[0].code, 0);
	pair_down();
}

/*
 * The sessions' small blocks (tq_h3_mem.c): a freed block is the next
 * one of its class handed out, blocks past the largest class come from
 * malloc and go back to it, a thread keeps at most 1 MiB on its lists,
 * and the lists empty when the thread's last session ends (the ASan run
 * sees a block dropped on the way as a leak).
 */
static void
test_mem_pool(void **state)
{
	static void *held[512];
	void *a, *b, *big;
	size_t sizes[] = { 0, 1, 15, 16, 17, 100, 1000, 4000, 8176 };
	unsigned int i;

	tq_h3_mem_session(1);
	assert_int_equal(tq_h3_mem_kept(), 0);
	for (i = 0; i < RTE_DIM(sizes); i++) {
		a = tq_h3_mem_alloc(sizes[i]);
		assert_non_null(a);
		assert_int_equal((uintptr_t)a % 16, 0);
		assert_int_equal(tq_h3_mem_size(a), sizes[i]);
		memset(a, 0xa5, sizes[i]);
		tq_h3_mem_free(a);
		assert_true(tq_h3_mem_kept() > 0);
		/* the same class again: the block just freed */
		b = tq_h3_mem_alloc(sizes[i]);
		assert_ptr_equal(a, b);
		assert_int_equal(tq_h3_mem_size(b), sizes[i]);
		tq_h3_mem_free(b);
	}
	/* 8177 bytes and up: malloc's, never kept */
	big = tq_h3_mem_zalloc(100000);
	assert_non_null(big);
	assert_int_equal(((uint8_t *)big)[99999], 0);
	a = tq_h3_mem_alloc(10);
	tq_h3_mem_free(a);
	{
		size_t kept = tq_h3_mem_kept();

		tq_h3_mem_free(big);
		assert_int_equal(tq_h3_mem_kept(), kept);
	}
	/* 512 blocks of 8 KiB freed: 128 of them kept (1 MiB) */
	for (i = 0; i < RTE_DIM(held); i++)
		assert_non_null(held[i] = tq_h3_mem_alloc(8000));
	for (i = 0; i < RTE_DIM(held); i++)
		tq_h3_mem_free(held[i]);
	assert_true(tq_h3_mem_kept() <= (1u << 20));
	assert_true(tq_h3_mem_kept() >= (1u << 20) - 8192);
	/* a second session keeps them; the last one's end lets them go */
	tq_h3_mem_session(1);
	tq_h3_mem_session(-1);
	assert_true(tq_h3_mem_kept() > 0);
	tq_h3_mem_session(-1);
	assert_int_equal(tq_h3_mem_kept(), 0);
}

/* A session's memory is capped: 100 held requests (each its record and
 * its head, about 400 bytes) go past 16 KiB: H3_EXCESSIVE_LOAD. */
static void
test_mem_cap(void **state)
{
	struct tq_h3_stats agg = { 0 };
	struct tq_h3_conf sc = { .max_mem = 16 * 1024, .stats = &agg };
	static char paths[100][32];
	unsigned int i;

	struct tq_h3_conf cc = { 0 };

	client_conf = &cc;
	pair_up(4096, &sc);
	client_conf = NULL;
	run(1200);
	for (i = 0; i < 100; i++) {
		/* Held unanswered: all 100 live at once. */
		snprintf(paths[i], sizeof(paths[i]), "/hold");
		get(paths[i], &creqs[i]);
	}
	run(1200);
	assert_true(srv.conn_closed);
	assert_true(cli.conn_closed);
	assert_int_equal(srv.conn_code, TQ_H3_EXCESSIVE_LOAD);
	assert_int_equal(cli.conn_code, TQ_H3_EXCESSIVE_LOAD);
	assert_true(agg.mem_refused > 0);
	assert_int_equal(agg.conn_errors, 1);
	for (i = 0; i < 100; i++)
		assert_true(creqs[i].closed);
	tq_memconn_free(mc);
	assert_int_equal(tq_test_pool_avail(), pool_before);
}

/* At the transport's stream limit requests fail with -EAGAIN and go
 * out at streams_available(). */
static void
test_stream_limit(void **state)
{
	unsigned int i;

	max_streams = 10;
	pair_up(16384, NULL);
	max_streams = 0;
	run(1200);
	c_next = 0;
	c_total = 40;
	c_eagain = 0;
	c_issue();
	assert_int_equal(c_next, 10);
	run(1200);
	assert_int_equal(c_next, 40);
	assert_true(c_eagain >= 3);
	for (i = 0; i < 40; i++) {
		assert_int_equal(creqs[i].status, 200);
		assert_int_equal(creqs[i].bad, 0);
		assert_int_equal(creqs[i].got, creqs[i].expect_len);
		assert_true(creqs[i].closed);
		assert_int_equal(creqs[i].code, 0);
	}
	pair_down();
}

/* ---- a raw peer: hand-built frames against our server ---- */

struct raw {
	bool closed;
	uint64_t code;
	bool reset;		/* a stream of ours was reset or stopped */
	uint64_t st_code;	/* with this */
	uint32_t got;		/* bytes read on our streams */
};

static struct raw raw;

static void
raw_readable(struct tq_stream *st, void *ctx)
{
	uint8_t buf[4096];
	int n;

	while ((n = tq_stream_read(st, buf, sizeof(buf))) > 0)
		raw.got += (uint32_t)n;
}

static void
raw_reset(struct tq_stream *st, uint64_t code, void *ctx)
{
	raw.reset = true;
	raw.st_code = code;
}

static const struct tq_stream_ops raw_stream_ops = {
	.readable = raw_readable,
	.peer_reset = raw_reset,
	.stop_sending = raw_reset,
};

static struct tq_stream *raw_last_bidi;

static void
raw_new_stream(struct tq_conn *c, struct tq_stream *st, void *u)
{
	tq_stream_set_ops(st, &raw_stream_ops, NULL);
	if (!tq_stream_is_uni(st))
		raw_last_bidi = st;
}

static void
raw_closed(struct tq_conn *c, enum tq_close_reason why, uint64_t code,
		void *u)
{
	raw.closed = true;
	raw.code = code;
}

static const struct tq_conn_ops raw_conn_ops = {
	.new_stream = raw_new_stream,
	.closed = raw_closed,
};

/*
 * The raw cases run on either transport: the test transport, or a real
 * QUIC pair (tests/lib/tq_quic_pair.c) whose client connection is the
 * raw peer.
 */
static bool raw_quic;
static struct qp QP;

static struct tq_conn *
raw_conn(void)
{
	return raw_quic ? tq_quic_conn_base(QP.c[0]) : tq_memconn_end(mc, 0);
}

static void
raw_run(void)
{
	if (raw_quic)
		qp_run(&QP, 300 * 1000000ull, NULL, NULL);
	else
		run(100);
}

static void
raw_on_server(struct qp *p)
{
	int err = 0;

	srv.h = tq_h3_server_new(tq_quic_conn_base(p->c[1]), &srv_ops, NULL,
			NULL, &err);
	assert_non_null(srv.h);
}

static bool
raw_quic_ready(void *arg)
{
	return QP.c[1] && tq_quic_conn_confirmed(QP.c[0]) &&
		tq_quic_conn_confirmed(QP.c[1]);
}

static bool
raw_quic_done(void *arg)
{
	return tq_quic_conn_done(QP.c[0]) && tq_quic_conn_done(QP.c[1]);
}

static struct tq_stream *
raw_open(unsigned int flags, const void *bytes, uint32_t len)
{
	struct tq_stream *st = tq_conn_stream_open(raw_conn(),
			flags, &raw_stream_ops, NULL, NULL);

	assert_non_null(st);
	assert_int_equal(tq_stream_write(st, bytes, len), (int)len);
	return st;
}

static const uint8_t ctrl_settings[] = { 0x00, 0x04, 0x00 };

static void
raw_case(void (*build)(void), uint64_t want)
{
	struct tq_memconn_conf conf = { 0 };
	int err = 0;

	memset(&srv, 0, sizeof(srv));
	memset(&raw, 0, sizeof(raw));
	pool_before = tq_test_pool_avail();
	if (raw_quic) {
		static const struct qp_link l = { .delay_ns = 10000000 };

		qp_init(&QP, &l, 1, NULL, &raw_conn_ops, NULL, NULL, NULL);
		QP.on_server = raw_on_server;
		assert_true(qp_run(&QP, 10000000000ull, raw_quic_ready,
				NULL));
		assert_false(srv.conn_closed);
		build();
		raw_run();
		assert_true(srv.conn_closed);
		assert_true(raw.closed);
		assert_int_equal(srv.conn_code, want);
		assert_int_equal(raw.code, want);
		assert_true(qp_run(&QP, 60000000000ull, raw_quic_done, NULL));
		qp_fini(&QP);
		assert_int_equal(tq_test_pool_avail(), pool_before);
		return;
	}
	mc = tq_memconn_new(&conf);
	srv.h = tq_h3_server_new(tq_memconn_end(mc, 1), &srv_ops, NULL, NULL,
			&err);
	assert_non_null(srv.h);
	tq_conn_set_ops(tq_memconn_end(mc, 0), &raw_conn_ops);
	run(100);
	build();
	run(100);
	assert_true(srv.conn_closed);
	assert_true(raw.closed);
	assert_int_equal(srv.conn_code, want);
	assert_int_equal(raw.code, want);
	tq_memconn_free(mc);
	assert_int_equal(tq_test_pool_avail(), pool_before);
}

static void
build_second_control(void)
{
	raw_open(TQ_STREAM_UNI, ctrl_settings, sizeof(ctrl_settings));
	raw_run();
	assert_false(srv.conn_closed);
	raw_open(TQ_STREAM_UNI, ctrl_settings, sizeof(ctrl_settings));
}

static void
build_data_first(void)
{
	static const uint8_t data[] = { 0x00, 0x03, 'a', 'b', 'c' };

	raw_open(TQ_STREAM_UNI, ctrl_settings, sizeof(ctrl_settings));
	raw_open(0, data, sizeof(data));
}

static void
build_no_settings(void)
{
	/* A control stream whose first frame is GOAWAY. */
	static const uint8_t ctrl[] = { 0x00, 0x07, 0x01, 0x00 };

	raw_open(TQ_STREAM_UNI, ctrl, sizeof(ctrl));
}

static void
build_close_control(void)
{
	struct tq_stream *st = raw_open(TQ_STREAM_UNI, ctrl_settings,
			sizeof(ctrl_settings));

	raw_run();
	assert_false(srv.conn_closed);
	assert_int_equal(tq_stream_shutdown(st), 0);
}

static void
build_settings_on_request(void)
{
	raw_open(TQ_STREAM_UNI, ctrl_settings, sizeof(ctrl_settings));
	raw_open(0, ctrl_settings + 1, 2);
}

static void
test_second_control(void **state)
{
	raw_case(build_second_control, TQ_H3_STREAM_CREATION_ERROR);
}

static void
test_data_before_headers(void **state)
{
	raw_case(build_data_first, TQ_H3_FRAME_UNEXPECTED);
}

static void
test_missing_settings(void **state)
{
	raw_case(build_no_settings, TQ_H3_MISSING_SETTINGS);
}

static void
test_closed_control(void **state)
{
	raw_case(build_close_control, TQ_H3_CLOSED_CRITICAL_STREAM);
}

static void
test_settings_on_request(void **state)
{
	raw_case(build_settings_on_request, TQ_H3_FRAME_UNEXPECTED);
}

/* The same hand-built frames from a raw QUIC client. */
static void
raw_case_quic(void (*build)(void), uint64_t want)
{
	raw_quic = true;
	raw_case(build, want);
	raw_quic = false;
}

static void
test_second_control_quic(void **state)
{
	raw_case_quic(build_second_control, TQ_H3_STREAM_CREATION_ERROR);
}

static void
test_data_before_headers_quic(void **state)
{
	raw_case_quic(build_data_first, TQ_H3_FRAME_UNEXPECTED);
}

static void
test_missing_settings_quic(void **state)
{
	raw_case_quic(build_no_settings, TQ_H3_MISSING_SETTINGS);
}

static void
test_closed_control_quic(void **state)
{
	raw_case_quic(build_close_control, TQ_H3_CLOSED_CRITICAL_STREAM);
}

static void
test_settings_on_request_quic(void **state)
{
	raw_case_quic(build_settings_on_request, TQ_H3_FRAME_UNEXPECTED);
}

/* Our client session on the test transport against a raw server end;
 * with ctl, the raw end's control stream and SETTINGS sent first. */
static void
raw_server_up(bool ctl)
{
	int err = 0;

	memset(&cli, 0, sizeof(cli));
	memset(&raw, 0, sizeof(raw));
	memset(creqs, 0, sizeof(creqs));
	raw_last_bidi = NULL;
	pool_before = tq_test_pool_avail();
	mc = tq_memconn_new(NULL);
	cli.h = tq_h3_client_new(tq_memconn_end(mc, 0), &cli_ops, NULL, NULL,
			&err);
	assert_non_null(cli.h);
	tq_conn_set_ops(tq_memconn_end(mc, 1), &raw_conn_ops);
	if (ctl) {
		struct tq_stream *st = tq_conn_stream_open(
				tq_memconn_end(mc, 1), TQ_STREAM_UNI,
				&raw_stream_ops, NULL, NULL);

		assert_non_null(st);
		assert_int_equal(tq_stream_write(st, ctrl_settings,
				sizeof(ctrl_settings)), sizeof(ctrl_settings));
	}
	run(100);
}

/* A server that opens a bidirectional stream: the client closes with
 * H3_STREAM_CREATION_ERROR (RFC 9114 6.1). */
static void
test_client_refuses_push_bidi(void **state)
{
	struct tq_stream *st;

	raw_server_up(false);
	st = tq_conn_stream_open(tq_memconn_end(mc, 1), 0, &raw_stream_ops,
			NULL, NULL);
	assert_non_null(st);
	assert_int_equal(tq_stream_id(st), 1);
	assert_int_equal(tq_stream_write(st, ctrl_settings + 1, 2), 2);
	run(100);
	assert_true(cli.conn_closed);
	assert_int_equal(cli.conn_code, TQ_H3_STREAM_CREATION_ERROR);
	assert_int_equal(raw.code, TQ_H3_STREAM_CREATION_ERROR);
	tq_memconn_free(mc);
	assert_int_equal(tq_test_pool_avail(), pool_before);
}

/* A hand-built server answers our client with an interim 103, then
 * 200 with a body and trailers: headers() comes for both, the body
 * whole, the trailers are dropped, and the exchange ends cleanly. */
static void
test_client_interim_and_trailers(void **state)
{
	static const uint8_t resp[] = {
		0x01, 0x03, 0x00, 0x00, 0xc0 | 24,	/* :status 103 */
		0x01, 0x03, 0x00, 0x00, 0xc0 | 25,	/* :status 200 */
		0x00, 0x02, 'h', 'i',			/* DATA */
		0x01, 0x03, 0x00, 0x00, 0xc0 | 2,	/* trailer age: 0 */
	};

	raw_server_up(true);
	creqs[0].expect = (const uint8_t *)"hi";
	creqs[0].expect_len = 2;
	get("/", &creqs[0]);
	run(100);
	assert_non_null(raw_last_bidi);
	assert_int_equal(tq_stream_write(raw_last_bidi, resp, sizeof(resp)),
			sizeof(resp));
	assert_int_equal(tq_stream_shutdown(raw_last_bidi), 0);
	run(100);
	assert_int_equal(creqs[0].status, 200);
	assert_int_equal(tq_h3_conn_stats(cli.h)->responses[1], 1);
	assert_int_equal(tq_h3_conn_stats(cli.h)->responses[2], 1);
	assert_int_equal(creqs[0].got, 2);
	assert_int_equal(creqs[0].bad, 0);
	assert_true(creqs[0].ended);
	assert_true(creqs[0].closed);
	assert_int_equal(creqs[0].code, 0);
	assert_false(cli.conn_closed);
	tq_h3_close(cli.h, TQ_H3_NO_ERROR);
	run(100);
	assert_true(cli.conn_closed);
	tq_memconn_free(mc);
	assert_int_equal(tq_test_pool_avail(), pool_before);
}

/* The two raw-server cases from a raw QUIC server connection: our
 * client session on the pair's client connection. */
static void
raw_server_quic_up(void)
{
	static const struct qp_link l = { .delay_ns = 10000000 };
	int err = 0;

	memset(&cli, 0, sizeof(cli));
	memset(&raw, 0, sizeof(raw));
	memset(creqs, 0, sizeof(creqs));
	raw_last_bidi = NULL;
	pool_before = tq_test_pool_avail();
	qp_init(&QP, &l, 2, NULL, NULL, NULL, &raw_conn_ops, NULL);
	cli.h = tq_h3_client_new(tq_quic_conn_base(QP.c[0]), &cli_ops, NULL,
			NULL, &err);
	assert_non_null(cli.h);
	assert_true(qp_run(&QP, 10000000000ull, raw_quic_ready, NULL));
}

static void
raw_server_quic_down(void)
{
	assert_true(qp_run(&QP, 60000000000ull, raw_quic_done, NULL));
	qp_fini(&QP);
	assert_int_equal(tq_test_pool_avail(), pool_before);
}

static void
test_client_refuses_push_bidi_quic(void **state)
{
	struct tq_stream *st;

	raw_server_quic_up();
	st = tq_conn_stream_open(tq_quic_conn_base(QP.c[1]), 0,
			&raw_stream_ops, NULL, NULL);
	assert_non_null(st);
	assert_int_equal(tq_stream_id(st), 1);
	assert_int_equal(tq_stream_write(st, ctrl_settings + 1, 2), 2);
	qp_run(&QP, 300000000ull, NULL, NULL);
	assert_true(cli.conn_closed);
	assert_int_equal(cli.conn_code, TQ_H3_STREAM_CREATION_ERROR);
	assert_int_equal(raw.code, TQ_H3_STREAM_CREATION_ERROR);
	raw_server_quic_down();
}

static void
test_client_interim_and_trailers_quic(void **state)
{
	static const uint8_t resp[] = {
		0x01, 0x03, 0x00, 0x00, 0xc0 | 24,	/* :status 103 */
		0x01, 0x03, 0x00, 0x00, 0xc0 | 25,	/* :status 200 */
		0x00, 0x02, 'h', 'i',			/* DATA */
		0x01, 0x03, 0x00, 0x00, 0xc0 | 2,	/* trailer age: 0 */
	};
	struct tq_stream *ctl;

	raw_server_quic_up();
	ctl = tq_conn_stream_open(tq_quic_conn_base(QP.c[1]), TQ_STREAM_UNI,
			&raw_stream_ops, NULL, NULL);
	assert_non_null(ctl);
	assert_int_equal(tq_stream_write(ctl, ctrl_settings,
			sizeof(ctrl_settings)), sizeof(ctrl_settings));
	qp_run(&QP, 300000000ull, NULL, NULL);
	creqs[0].expect = (const uint8_t *)"hi";
	creqs[0].expect_len = 2;
	get("/", &creqs[0]);
	qp_run(&QP, 300000000ull, NULL, NULL);
	assert_non_null(raw_last_bidi);
	assert_int_equal(tq_stream_write(raw_last_bidi, resp, sizeof(resp)),
			sizeof(resp));
	assert_int_equal(tq_stream_shutdown(raw_last_bidi), 0);
	qp_run(&QP, 300000000ull, NULL, NULL);
	assert_int_equal(creqs[0].status, 200);
	assert_int_equal(tq_h3_conn_stats(cli.h)->responses[1], 1);
	assert_int_equal(tq_h3_conn_stats(cli.h)->responses[2], 1);
	assert_int_equal(creqs[0].got, 2);
	assert_int_equal(creqs[0].bad, 0);
	assert_true(creqs[0].ended);
	assert_true(creqs[0].closed);
	assert_int_equal(creqs[0].code, 0);
	assert_false(cli.conn_closed);
	tq_h3_close(cli.h, TQ_H3_NO_ERROR);
	assert_true(cli.conn_closed);
	qp_run(&QP, 300000000ull, NULL, NULL);
	assert_true(raw.closed);
	assert_int_equal(raw.code, TQ_H3_NO_ERROR);
	raw_server_quic_down();
}

/* ---- the framing and message rules, hand-built (RFC 9114, 9204) ---- */

static void
build_h2_setting(void)
{
	/* SETTINGS_ENABLE_PUSH is HTTP/2's (RFC 9114 7.2.4.1) */
	static const uint8_t c[] = { 0x00, 0x04, 0x02, 0x02, 0x00 };

	raw_open(TQ_STREAM_UNI, c, sizeof(c));
}

static void
build_dup_setting(void)
{
	static const uint8_t c[] = { 0x00, 0x04, 0x04, 0x06, 0x10,
		0x06, 0x20 };

	raw_open(TQ_STREAM_UNI, c, sizeof(c));
}

static void
build_second_settings(void)
{
	static const uint8_t c[] = { 0x00, 0x04, 0x00, 0x04, 0x00 };

	raw_open(TQ_STREAM_UNI, c, sizeof(c));
}

static void
build_push_stream(void)
{
	static const uint8_t push[] = { 0x01, 0x00 };

	raw_open(TQ_STREAM_UNI, ctrl_settings, sizeof(ctrl_settings));
	raw_open(TQ_STREAM_UNI, push, sizeof(push));
}

static void
build_encoder_insert(void)
{
	/* Insert With Name Reference, static :path "/x": our table
	 * capacity is 0 */
	static const uint8_t enc[] = { 0x02, 0xc1, 0x02, '/', 'x' };

	raw_open(TQ_STREAM_UNI, ctrl_settings, sizeof(ctrl_settings));
	raw_open(TQ_STREAM_UNI, enc, sizeof(enc));
}

static void
build_section_ack(void)
{
	static const uint8_t dec[] = { 0x03, 0x80 };

	raw_open(TQ_STREAM_UNI, ctrl_settings, sizeof(ctrl_settings));
	raw_open(TQ_STREAM_UNI, dec, sizeof(dec));
}

static void
build_dynamic_ref(void)
{
	/* HEADERS whose one line is a dynamic-table reference */
	static const uint8_t req[] = { 0x01, 0x03, 0x00, 0x00, 0x80 };

	raw_open(TQ_STREAM_UNI, ctrl_settings, sizeof(ctrl_settings));
	raw_open(0, req, sizeof(req));
}

static void
build_truncated_frame(void)
{
	/* HEADERS of 10 bytes, 3 sent, then FIN (RFC 9114 7.1) */
	static const uint8_t req[] = { 0x01, 0x0a, 0x00, 0x00, 0xd1 };
	struct tq_stream *st;

	raw_open(TQ_STREAM_UNI, ctrl_settings, sizeof(ctrl_settings));
	st = raw_open(0, req, sizeof(req));
	assert_int_equal(tq_stream_shutdown(st), 0);
}

static void
build_cancel_push(void)
{
	/* nothing was promised: no push id is known (RFC 9114 7.2.3) */
	static const uint8_t c[] = { 0x00, 0x04, 0x00, 0x03, 0x01, 0x00 };

	raw_open(TQ_STREAM_UNI, c, sizeof(c));
}

static void
build_goaway_long(void)
{
	static const uint8_t c[] = { 0x00, 0x04, 0x00, 0x07, 0x02, 0x00,
		0x00 };

	raw_open(TQ_STREAM_UNI, c, sizeof(c));
}

static void
build_goaway_empty(void)
{
	static const uint8_t c[] = { 0x00, 0x04, 0x00, 0x07, 0x00 };

	raw_open(TQ_STREAM_UNI, c, sizeof(c));
}

static void
build_h2_frame_on_request(void)
{
	/* HTTP/2's WINDOW_UPDATE type on a request stream */
	static const uint8_t req[] = { 0x08, 0x00 };

	raw_open(TQ_STREAM_UNI, ctrl_settings, sizeof(ctrl_settings));
	raw_open(0, req, sizeof(req));
}

static void
test_rules_conn_errors(void **state)
{
	raw_case(build_h2_setting, TQ_H3_SETTINGS_ERROR);
	raw_case(build_dup_setting, TQ_H3_SETTINGS_ERROR);
	raw_case(build_second_settings, TQ_H3_FRAME_UNEXPECTED);
	raw_case(build_push_stream, TQ_H3_STREAM_CREATION_ERROR);
	raw_case(build_encoder_insert, TQ_QPACK_ENCODER_STREAM_ERROR);
	raw_case(build_section_ack, TQ_QPACK_DECODER_STREAM_ERROR);
	raw_case(build_dynamic_ref, TQ_QPACK_DECOMPRESSION_FAILED);
	raw_case(build_truncated_frame, TQ_H3_FRAME_ERROR);
	raw_case(build_cancel_push, TQ_H3_ID_ERROR);
	raw_case(build_goaway_long, TQ_H3_FRAME_ERROR);
	raw_case(build_goaway_empty, TQ_H3_FRAME_ERROR);
	raw_case(build_h2_frame_on_request, TQ_H3_FRAME_UNEXPECTED);
}

static void
test_rules_conn_errors_quic(void **state)
{
	raw_case_quic(build_encoder_insert, TQ_QPACK_ENCODER_STREAM_ERROR);
	raw_case_quic(build_truncated_frame, TQ_H3_FRAME_ERROR);
}

/*
 * One request stream of hand-built bytes (and FIN) after a control
 * stream: the session stays up; the request is either refused with
 * want (a stream error: the app never sees it, or, seen, sees its
 * headers and then closed(want)) or, want 0, answered.
 */
static void
raw_stream_case(const uint8_t *req, uint32_t len, uint64_t want, bool seen)
{
	struct tq_stream *st;
	int err = 0;

	memset(&srv, 0, sizeof(srv));
	memset(&raw, 0, sizeof(raw));
	pool_before = tq_test_pool_avail();
	mc = tq_memconn_new(NULL);
	srv.h = tq_h3_server_new(tq_memconn_end(mc, 1), &srv_ops, NULL, NULL,
			&err);
	assert_non_null(srv.h);
	tq_conn_set_ops(tq_memconn_end(mc, 0), &raw_conn_ops);
	run(100);
	raw_open(TQ_STREAM_UNI, ctrl_settings, sizeof(ctrl_settings));
	st = raw_open(0, req, len);
	assert_int_equal(tq_stream_shutdown(st), 0);
	run(100);
	assert_false(srv.conn_closed);
	if (want) {
		assert_true(raw.reset);
		assert_int_equal(raw.st_code, want);
		assert_int_equal(srv.requests, seen ? 1 : 0);
		if (seen) {
			assert_int_equal(srv.closed, 1);
			assert_int_equal(srv.last_code, want);
		}
	} else {
		assert_false(raw.reset);
		assert_int_equal(srv.requests, 1);
		assert_true(raw.got > 0);
	}
	tq_h3_close(srv.h, TQ_H3_NO_ERROR);
	run(100);
	assert_true(srv.conn_closed);
	tq_memconn_free(mc);
	assert_int_equal(tq_test_pool_avail(), pool_before);
}

/* Field sections (QPACK, static table): ":method GET" 0xd1, ":scheme
 * https" 0xd7, ":path /" 0xc1, ":authority" literal "a" 0x50 0x01 'a'. */
#define REQ_HEAD 0xd1, 0xd7, 0xc1, 0x50, 0x01, 'a'
/* The same for /hold (the test server does not answer it) */
#define HOLD_HEAD 0xd1, 0xd7, 0x51, 0x05, '/', 'h', 'o', 'l', 'd', \
	0x50, 0x01, 'a'

static void
test_rules_messages(void **state)
{
	/* well formed, with a reserved frame type skipped on the way */
	static const uint8_t ok[] = { 0x21, 0x01, 0x00,
		0x01, 0x08, 0x00, 0x00, REQ_HEAD };
	/* an upper-case name (literal name "X" = "v") */
	static const uint8_t upper[] = { 0x01, 0x0c, 0x00, 0x00, REQ_HEAD,
		0x21, 'X', 0x01, 'v' };
	/* no :path */
	static const uint8_t nopath[] = { 0x01, 0x07, 0x00, 0x00, 0xd1, 0xd7,
		0x50, 0x01, 'a' };
	/* a pseudo-header after a regular field (static "accept", 0xdd) */
	static const uint8_t late[] = { 0x01, 0x09, 0x00, 0x00, 0xd1, 0xd7,
		0xdd, 0xc1, 0x50, 0x01, 'a' };
	/* connection-specific ("connection: x") */
	static const uint8_t connhdr[] = { 0x01, 0x16, 0x00, 0x00, REQ_HEAD,
		0x27, 0x03, 'c', 'o', 'n', 'n', 'e', 'c', 't', 'i', 'o', 'n',
		0x01, 'x' };
	/* content-length 5 (static name 4) and 3 bytes of DATA */
	static const uint8_t short_body[] = { 0x01, 0x11, 0x00, 0x00,
		HOLD_HEAD, 0x54, 0x01, '5', 0x00, 0x03, 'a', 'b', 'c' };
	/* content-length 2 and 3 bytes of DATA */
	static const uint8_t long_body[] = { 0x01, 0x11, 0x00, 0x00,
		HOLD_HEAD, 0x54, 0x01, '2', 0x00, 0x03, 'a', 'b', 'c' };
	/* LF in a value: in the first eight bytes, then in the last two */
	static const uint8_t lf8[] = { 0x01, 0x15, 0x00, 0x00, REQ_HEAD,
		0x21, 'x', 0x0a, 'a', 'b', 'c', 'd', 'e', 'f', '\n', 'g',
		'i', 'j' };
	static const uint8_t lf_tail[] = { 0x01, 0x15, 0x00, 0x00, REQ_HEAD,
		0x21, 'x', 0x0a, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h',
		'\r', 'j' };
	/* no HEADERS at all: FIN after an unknown frame */
	static const uint8_t nohead[] = { 0x21, 0x00 };
	/* :method "G T" (0x5f 0x01: literal, static name 15 ":method") */
	static const uint8_t badmethod[] = { 0x01, 0x0d, 0x00, 0x00,
		0x5f, 0x00, 0x03, 'G', ' ', 'T', 0xd7, 0xc1, 0x50, 0x01, 'a' };
	/* no :authority and no host on https */
	static const uint8_t noauth[] = { 0x01, 0x05, 0x00, 0x00, 0xd1, 0xd7,
		0xc1 };
	/* an empty :authority */
	static const uint8_t emptyauth[] = { 0x01, 0x07, 0x00, 0x00, 0xd1,
		0xd7, 0xc1, 0x50, 0x00 };
	/* userinfo in :authority */
	static const uint8_t userinfo[] = { 0x01, 0x0a, 0x00, 0x00, 0xd1,
		0xd7, 0xc1, 0x50, 0x03, 'u', '@', 'a' };
	/* :path "x" (no leading /), :path "/ x" */
	static const uint8_t relpath[] = { 0x01, 0x0a, 0x00, 0x00, 0xd1,
		0xd7, 0x51, 0x01, 'x', 0x50, 0x01, 'a' };
	static const uint8_t spacepath[] = { 0x01, 0x0c, 0x00, 0x00, 0xd1,
		0xd7, 0x51, 0x03, '/', ' ', 'x', 0x50, 0x01, 'a' };
	/* a value with 0x01, one with a trailing space */
	static const uint8_t ctlval[] = { 0x01, 0x0c, 0x00, 0x00, REQ_HEAD,
		0x21, 'x', 0x01, 0x01 };
	static const uint8_t spval[] = { 0x01, 0x0d, 0x00, 0x00, REQ_HEAD,
		0x21, 'x', 0x02, 'v', ' ' };
	/* host (a literal name) other than :authority */
	static const uint8_t hostdiff[] = { 0x01, 0x0f, 0x00, 0x00, REQ_HEAD,
		0x24, 'h', 'o', 's', 't', 0x01, 'b' };
	/* content-length of twenty digits */
	static const uint8_t hugecl[] = { 0x01, 0x1e, 0x00, 0x00, REQ_HEAD,
		0x54, 0x14, '9', '9', '9', '9', '9', '9', '9', '9', '9', '9',
		'9', '9', '9', '9', '9', '9', '9', '9', '9', '9' };

	raw_stream_case(ok, sizeof(ok), 0, false);
	raw_stream_case(upper, sizeof(upper), TQ_H3_MESSAGE_ERROR, false);
	raw_stream_case(nopath, sizeof(nopath), TQ_H3_MESSAGE_ERROR, false);
	raw_stream_case(late, sizeof(late), TQ_H3_MESSAGE_ERROR, false);
	raw_stream_case(connhdr, sizeof(connhdr), TQ_H3_MESSAGE_ERROR,
			false);
	raw_stream_case(lf8, sizeof(lf8), TQ_H3_MESSAGE_ERROR, false);
	raw_stream_case(lf_tail, sizeof(lf_tail), TQ_H3_MESSAGE_ERROR, false);
	raw_stream_case(nohead, sizeof(nohead), TQ_H3_REQUEST_INCOMPLETE,
			false);
	raw_stream_case(badmethod, sizeof(badmethod), TQ_H3_MESSAGE_ERROR,
			false);
	raw_stream_case(noauth, sizeof(noauth), TQ_H3_MESSAGE_ERROR, false);
	raw_stream_case(emptyauth, sizeof(emptyauth), TQ_H3_MESSAGE_ERROR,
			false);
	raw_stream_case(userinfo, sizeof(userinfo), TQ_H3_MESSAGE_ERROR,
			false);
	raw_stream_case(relpath, sizeof(relpath), TQ_H3_MESSAGE_ERROR, false);
	raw_stream_case(spacepath, sizeof(spacepath), TQ_H3_MESSAGE_ERROR,
			false);
	raw_stream_case(ctlval, sizeof(ctlval), TQ_H3_MESSAGE_ERROR, false);
	raw_stream_case(spval, sizeof(spval), TQ_H3_MESSAGE_ERROR, false);
	raw_stream_case(hostdiff, sizeof(hostdiff), TQ_H3_MESSAGE_ERROR,
			false);
	raw_stream_case(hugecl, sizeof(hugecl), TQ_H3_MESSAGE_ERROR, false);
	/* the app saw these two: a stream error after headers() */
	raw_stream_case(short_body, sizeof(short_body), TQ_H3_MESSAGE_ERROR,
			true);
	raw_stream_case(long_body, sizeof(long_body), TQ_H3_MESSAGE_ERROR,
			true);
}

/*
 * One byte at every position of values of every length to 20, in a
 * regular field ("x", a literal name) and in :path: the value check
 * reads eight bytes at a time, the last eight overlapping, under eight
 * four and four, so a byte is caught wherever it falls.
 */
static void
byte_case(bool path, uint8_t len, uint8_t at, uint8_t b, bool ok)
{
	uint8_t req[64], *p = req + 2;
	uint8_t i;

	*p++ = 0x00;
	*p++ = 0x00;
	*p++ = 0xd1;	/* :method GET */
	*p++ = 0xd7;	/* :scheme https */
	if (path) {
		/* :path, a literal value: '/' and len - 1 more */
		*p++ = 0x51;
		*p++ = len;
		for (i = 0; i < len; i++)
			*p++ = i == 0 ? '/' : i == at ? b : 'p';
	} else {
		*p++ = 0xc1;	/* :path / */
	}
	*p++ = 0x50;	/* :authority a */
	*p++ = 0x01;
	*p++ = 'a';
	if (!path) {
		*p++ = 0x21;
		*p++ = 'x';
		*p++ = len;
		for (i = 0; i < len; i++)
			*p++ = i == at ? b : 'v';
	}
	req[0] = 0x01;
	req[1] = (uint8_t)(p - req - 2);
	raw_stream_case(req, (uint32_t)(p - req), ok ? 0 :
			TQ_H3_MESSAGE_ERROR, false);
}

static void
test_rules_value_bytes(void **state)
{
	/* never in a value; never in a target */
	static const uint8_t vbad[] = { 0x00, 0x01, 0x0a, 0x0d, 0x1f, 0x7f };
	static const uint8_t tbad[] = { 0x00, 0x09, 0x20, 0x7f };
	uint8_t len, at, i;

	(void)state;
	for (len = 1; len <= 20; len++) {
		for (at = 0; at < len; at++) {
			for (i = 0; i < RTE_DIM(vbad); i++)
				byte_case(false, len, at, vbad[i], false);
			/* within a value: HTAB, space, bytes past ASCII */
			byte_case(false, len, at, 0xff, true);
			if (at > 0 && at < len - 1) {
				byte_case(false, len, at, '\t', true);
				byte_case(false, len, at, ' ', true);
			}
			if (at == 0)
				continue;
			for (i = 0; i < RTE_DIM(tbad); i++)
				byte_case(true, len, at, tbad[i], false);
			byte_case(true, len, at, 0x80, true);
		}
	}
}

/* ---- found in review: each fails on the tree before its fix ---- */

/* A server whose data() pauses and resumes its own exchange: the
 * resume must not read ahead of the segment being parsed. */
static void
s_data_flip(struct tq_h3_req *r, const uint8_t *d, size_t len, void *arg)
{
	tq_h3_req_pause(r, true);
	tq_h3_req_pause(r, false);
	s_data(r, d, len, arg);
}

static void
test_pause_in_data(void **state)
{
	struct tq_h3_req *r;
	int err = 0;

	srv_ops.data = s_data_flip;
	pair_up(8192, NULL);
	run(700);
	creqs[0].gen_total = 300000;
	r = tq_h3_client_request(cli.h, "POST", NULL, "test.example", "/echo",
			NULL, 0, NULL, 0, TQ_H3_BODY_STREAM, &creqs[0], &err);
	assert_non_null(r);
	c_gen(r, &creqs[0]);
	run(700);
	srv_ops.data = s_data;
	assert_int_equal(creqs[0].status, 200);
	assert_int_equal(creqs[0].got, 300000);
	assert_int_equal(creqs[0].bad, 0);
	assert_int_equal(creqs[0].code, 0);
	assert_false(srv.conn_closed);
	pair_down();
}

/* A session call from conn_closed(): the teardown runs once. */
static void
s_conn_closed_close(struct tq_h3_conn *h, uint64_t code, void *arg)
{
	s_conn_closed(h, code, arg);
	tq_h3_close(h, TQ_H3_INTERNAL_ERROR);
}

static void
test_close_in_conn_closed(void **state)
{
	srv_ops.conn_closed = s_conn_closed_close;
	pair_up(16384, NULL);
	run(1000);
	get("/x", &creqs[0]);
	run(1000);
	assert_int_equal(creqs[0].status, 200);
	tq_h3_close(cli.h, TQ_H3_NO_ERROR);
	run(1000);
	srv_ops.conn_closed = s_conn_closed;
	assert_true(srv.conn_closed);
	assert_true(cli.conn_closed);
	tq_memconn_free(mc);
	assert_int_equal(tq_test_pool_avail(), pool_before);
}

/* A session that cannot be made (its memory cap below its three
 * streams' needs): no callback of those streams reaches freed memory
 * when the connection closes after (ASan). */
static void
test_new_fails(void **state)
{
	struct tq_h3_conf sc = { .max_mem = 1100 };
	int err = 0;

	pool_before = tq_test_pool_avail();
	mc = tq_memconn_new(NULL);
	assert_null(tq_h3_server_new(tq_memconn_end(mc, 1), &srv_ops, NULL,
			&sc, &err));
	assert_int_equal(err, -ENOMEM);
	tq_conn_close(tq_memconn_end(mc, 1), TQ_H3_INTERNAL_ERROR);
	run(100);
	tq_memconn_free(mc);
	assert_int_equal(tq_test_pool_avail(), pool_before);
}

/*
 * Our client against a raw server that answers with resp and FIN;
 * stop: the client's request is an unfinished upload, and the server
 * stops it with H3_NO_ERROR after answering.  The exchange ends with
 * want, having taken got body bytes.
 */
static void
raw_client_case(const uint8_t *resp, uint32_t len, bool stop, uint64_t want,
		uint32_t got)
{
	int err = 0;

	raw_server_up(true);
	if (stop) {
		struct tq_h3_req *r = tq_h3_client_request(cli.h, "POST",
				NULL, "test.example", "/up", NULL, 0, NULL, 0,
				TQ_H3_BODY_STREAM, &creqs[0], &err);

		assert_non_null(r);
		assert_int_equal(tq_h3_body_write(r, "abc", 3), 3);
	} else {
		get("/", &creqs[0]);
	}
	run(100);
	assert_non_null(raw_last_bidi);
	assert_int_equal(tq_stream_write(raw_last_bidi, resp, len), (int)len);
	assert_int_equal(tq_stream_shutdown(raw_last_bidi), 0);
	if (stop)
		assert_int_equal(tq_stream_shutdown_read(raw_last_bidi,
				TQ_H3_NO_ERROR), 0);
	run(100);
	assert_true(creqs[0].closed);
	assert_int_equal(creqs[0].code, want);
	assert_int_equal(creqs[0].got, got);
	assert_false(cli.conn_closed);
	tq_h3_close(cli.h, TQ_H3_NO_ERROR);
	run(100);
	tq_memconn_free(mc);
	assert_int_equal(tq_test_pool_avail(), pool_before);
}

static void
test_client_bodiless(void **state)
{
	/* 304 with DATA; 204 with a content-length of 5 (static 4) */
	static const uint8_t r304[] = { 0x01, 0x03, 0x00, 0x00, 0xc0 | 26,
		0x00, 0x02, 'h', 'i' };
	static const uint8_t r204[] = { 0x01, 0x07, 0x00, 0x00, 0xff, 0x01,
		0x54, 0x01, '5' };
	/* 200 with a body whole: what the stopped upload must not lose */
	static const uint8_t r200[] = { 0x01, 0x03, 0x00, 0x00, 0xc0 | 25,
		0x00, 0x02, 'h', 'i' };

	raw_client_case(r304, sizeof(r304), false, TQ_H3_MESSAGE_ERROR, 0);
	raw_client_case(r204, sizeof(r204), false, TQ_H3_MESSAGE_ERROR, 0);
	raw_client_case(r200, sizeof(r200), true, 0, 2);
	assert_int_equal(creqs[0].status, 200);
}

/* The memconn itself keeps a transport's rules. */
static void
test_memconn_rules(void **state)
{
	struct tq_memconn_conf conf = { .sndbuf = 4096 };
	struct tq_stream *u, *b;
	uint8_t buf[8192];
	int err = 0;

	pool_before = tq_test_pool_avail();
	mc = tq_memconn_new(&conf);
	u = tq_conn_stream_open(tq_memconn_end(mc, 0), TQ_STREAM_UNI, NULL,
			NULL, &err);
	b = tq_conn_stream_open(tq_memconn_end(mc, 0), 0, NULL, NULL, &err);
	assert_non_null(u);
	assert_non_null(b);
	assert_int_equal(tq_stream_id(u), 2);
	assert_int_equal(tq_stream_id(b), 0);
	assert_true(tq_stream_is_uni(u) && tq_stream_is_local(u));
	assert_int_equal(tq_stream_read(u, buf, 1), -EBADF);
	memset(buf, 1, sizeof(buf));
	assert_int_equal(tq_stream_write(b, buf, sizeof(buf)), 4096);
	assert_int_equal(tq_stream_write(b, buf, 1), 0);
	assert_int_equal(tq_stream_shutdown(b), 0);
	assert_int_equal(tq_stream_write(b, buf, 1), -EPIPE);
	assert_int_equal(tq_stream_read(b, buf, 1), -EAGAIN);
	tq_stream_abort(u, 7);
	tq_stream_abort(b, 7);
	tq_memconn_run(mc, 1000, 1000);
	tq_memconn_free(mc);
	assert_int_equal(tq_test_pool_avail(), pool_before);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memconn_rules),
		cmocka_unit_test(test_get_big),
		cmocka_unit_test(test_post),
		cmocka_unit_test(test_post_mbuf),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_reset_mid_body),
		cmocka_unit_test(test_goaway),
		cmocka_unit_test(test_pause),
		cmocka_unit_test(test_mem_cap),
		cmocka_unit_test(test_mem_pool),
		cmocka_unit_test(test_stream_limit),
		cmocka_unit_test(test_second_control),
		cmocka_unit_test(test_data_before_headers),
		cmocka_unit_test(test_missing_settings),
		cmocka_unit_test(test_closed_control),
		cmocka_unit_test(test_settings_on_request),
		cmocka_unit_test(test_second_control_quic),
		cmocka_unit_test(test_data_before_headers_quic),
		cmocka_unit_test(test_missing_settings_quic),
		cmocka_unit_test(test_closed_control_quic),
		cmocka_unit_test(test_settings_on_request_quic),
		cmocka_unit_test(test_client_refuses_push_bidi_quic),
		cmocka_unit_test(test_client_interim_and_trailers_quic),
		cmocka_unit_test(test_client_refuses_push_bidi),
		cmocka_unit_test(test_client_interim_and_trailers),
		cmocka_unit_test(test_rules_conn_errors),
		cmocka_unit_test(test_rules_conn_errors_quic),
		cmocka_unit_test(test_rules_messages),
		cmocka_unit_test(test_rules_value_bytes),
		cmocka_unit_test(test_pause_in_data),
		cmocka_unit_test(test_close_in_conn_closed),
		cmocka_unit_test(test_new_fails),
		cmocka_unit_test(test_client_bodiless),
	};
	size_t i;
	int rc;

	if (tq_test_eal_init("test_h3") < 0)
		return 1;
	big = malloc(BIG);
	for (i = 0; i < BIG; i++)
		big[i] = pat(i);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(big);
	return rc;
}
