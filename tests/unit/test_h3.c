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

#include "tq_memconn.h"
#include "tq_test.h"

#define BIG (1u << 20)
#define MAXREQ 128

static uint8_t *big;

static uint8_t
pat(size_t i)
{
	return (uint8_t)(i * 7 + i / 251);
}

/* ---- the server app ---- */

struct sreq {
	char path[64];
	uint64_t count;		/* request body bytes */
	int bad;		/* request body bytes off the pattern */
	size_t gen_total, gen_sent;
	size_t cancel_at;	/* /cut: cancel after this many */
	struct tq_http_field hf[200];
	uint32_t nhf;
	char *hbuf;
};

struct srv {
	struct tq_h3_conn *h;
	unsigned int requests, closed, errors;
	uint64_t last_code;
	uint64_t conn_code;
	bool conn_closed;
	struct tq_h3_req *held;
	bool shutdown_on_request;
	bool pause_echo;
	unsigned int mbufs;
};

static struct srv srv;

static void
s_gen(struct tq_h3_req *r, struct sreq *q)
{
	uint8_t buf[4096];

	while (q->gen_sent < q->gen_total) {
		size_t i, n = RTE_MIN(sizeof(buf), q->gen_total - q->gen_sent);
		int w;

		if (q->cancel_at && q->gen_sent >= q->cancel_at) {
			tq_h3_req_cancel(r, TQ_H3_INTERNAL_ERROR);
			return;
		}
		for (i = 0; i < n; i++)
			buf[i] = pat(q->gen_sent + i);
		w = tq_h3_body_write(r, buf, n);
		assert_true(w >= 0);
		q->gen_sent += (size_t)w;
		if ((size_t)w < n)
			return;	/* writable() comes */
	}
	assert_int_equal(tq_h3_body_end(r), 0);
}

static void
s_respond(struct tq_h3_req *r, struct sreq *q)
{
	static const struct tq_http_field ct[] = {
		{ { "content-type", 12 }, { "Text/Plain", 10 } },
	};

	if (!strcmp(q->path, "/big")) {
		assert_int_equal(tq_h3_respond(r, 200, ct, 1, big, BIG, 0), 0);
	} else if (!strcmp(q->path, "/echo")) {
		char cnt[32];
		struct tq_http_field f[1] = {
			{ { "x-count", 7 }, { cnt, 0 } },
		};

		f[0].value.len = (uint32_t)snprintf(cnt, sizeof(cnt), "%lu",
				(unsigned long)q->count);
		q->gen_total = q->count;
		assert_int_equal(tq_h3_respond(r, q->bad ? 400 : 200, f, 1,
				NULL, 0, TQ_H3_BODY_STREAM), 0);
		s_gen(r, q);
	} else if (!strcmp(q->path, "/cut")) {
		q->gen_total = BIG;
		q->cancel_at = 50000;
		assert_int_equal(tq_h3_respond(r, 200, NULL, 0, NULL, 0,
				TQ_H3_BODY_STREAM), 0);
		s_gen(r, q);
	} else if (!strcmp(q->path, "/hdrs")) {
		assert_int_equal(tq_h3_respond(r, 204, q->hf, q->nhf, NULL, 0,
				0), 0);
	} else {
		/* The body is the path, from a buffer that lives as long
		 * as the exchange. */
		assert_int_equal(tq_h3_respond(r, 200, NULL, 0, q->path,
				strlen(q->path), 0), 0);
	}
}

static void
s_headers(struct tq_h3_req *r, const struct tq_h3_msg *m, void *arg)
{
	struct sreq *q = calloc(1, sizeof(*q));
	size_t hl = 0, off = 0;
	uint32_t i;

	assert_non_null(q);
	tq_h3_req_set_udata(r, q);
	srv.requests++;
	assert_true(m->path.len < sizeof(q->path));
	memcpy(q->path, m->path.p, m->path.len);
	assert_int_equal(m->scheme.len, 5);
	assert_memory_equal(m->scheme.p, "https", 5);
	assert_true(m->authority.len > 0);
	/* Keep the fields to echo them back (/hdrs). */
	for (i = 0; i < m->nfields; i++)
		hl += m->fields[i].name.len + m->fields[i].value.len;
	q->hbuf = malloc(hl + 1);
	assert_true(m->nfields <= RTE_DIM(q->hf));
	for (i = 0; i < m->nfields; i++) {
		struct tq_http_field *f = &q->hf[q->nhf++];

		memcpy(q->hbuf + off, m->fields[i].name.p,
				m->fields[i].name.len);
		f->name.p = q->hbuf + off;
		f->name.len = m->fields[i].name.len;
		off += f->name.len;
		memcpy(q->hbuf + off, m->fields[i].value.p,
				m->fields[i].value.len);
		f->value.p = q->hbuf + off;
		f->value.len = m->fields[i].value.len;
		off += f->value.len;
	}
	if (srv.shutdown_on_request) {
		srv.held = r;
		assert_int_equal(tq_h3_shutdown(tq_h3_req_conn(r)), 0);
		return;
	}
	if (srv.pause_echo && !strcmp(q->path, "/echo")) {
		tq_h3_req_pause(r, true);
		srv.held = r;
	}
	if (strcmp(q->path, "/echo") && strcmp(q->path, "/hold"))
		s_respond(r, q);
	else if (!strcmp(q->path, "/hold"))
		srv.held = r;
}

static void
s_data(struct tq_h3_req *r, const uint8_t *d, size_t len, void *arg)
{
	struct sreq *q = tq_h3_req_udata(r);
	size_t i;

	for (i = 0; i < len; i++)
		if (d[i] != pat(q->count + i))
			q->bad++;
	q->count += len;
}

/* The same, the bytes as mbufs shared with the received segments. */
static void
s_data_mbuf(struct tq_h3_req *r, struct rte_mbuf *m, void *arg)
{
	struct rte_mbuf *seg;
	uint32_t len = 0;

	assert_true(RTE_MBUF_CLONED(m));
	for (seg = m; seg; seg = seg->next) {
		s_data(r, rte_pktmbuf_mtod(seg, const uint8_t *),
				seg->data_len, arg);
		len += seg->data_len;
	}
	assert_int_equal(len, m->pkt_len);
	srv.mbufs++;
	rte_pktmbuf_free(m);
}

static void
s_end(struct tq_h3_req *r, void *arg)
{
	struct sreq *q = tq_h3_req_udata(r);

	if (!strcmp(q->path, "/echo"))
		s_respond(r, q);
}

static void
s_writable(struct tq_h3_req *r, void *arg)
{
	s_gen(r, tq_h3_req_udata(r));
}

static void
s_closed(struct tq_h3_req *r, uint64_t code, void *arg)
{
	struct sreq *q = tq_h3_req_udata(r);

	srv.closed++;
	srv.last_code = code;
	if (code)
		srv.errors++;
	if (srv.held == r)
		srv.held = NULL;
	if (q) {
		free(q->hbuf);
		free(q);
	}
}

static void
s_conn_closed(struct tq_h3_conn *h, uint64_t code, void *arg)
{
	srv.conn_closed = true;
	srv.conn_code = code;
	srv.h = NULL;
}

static struct tq_h3_ops srv_ops = {
	.headers = s_headers,
	.data = s_data,
	.end = s_end,
	.writable = s_writable,
	.closed = s_closed,
	.conn_closed = s_conn_closed,
};

/* ---- the client app ---- */

struct creq {
	uint16_t status;
	uint64_t got;
	int bad;		/* bytes off what was expected */
	const uint8_t *expect;	/* NULL: the pattern */
	size_t expect_len;
	bool ended, closed;
	uint64_t code;
	int64_t count_hdr;
	const struct tq_http_field *want;	/* fields to find */
	uint32_t nwant, found;
	/* a streamed request body */
	size_t gen_total, gen_sent;
};

struct cli {
	struct tq_h3_conn *h;
	bool conn_closed;
	uint64_t conn_code;
	int64_t goaway_id;
	unsigned int goaways;
};

static struct cli cli;
static struct creq creqs[MAXREQ];

static void
c_gen(struct tq_h3_req *r, struct creq *q)
{
	uint8_t buf[3000];

	while (q->gen_sent < q->gen_total) {
		size_t i, n = RTE_MIN(sizeof(buf), q->gen_total - q->gen_sent);
		int w;

		for (i = 0; i < n; i++)
			buf[i] = pat(q->gen_sent + i);
		w = tq_h3_body_write(r, buf, n);
		assert_true(w >= 0);
		q->gen_sent += (size_t)w;
		if ((size_t)w < n)
			return;
	}
	assert_int_equal(tq_h3_body_end(r), 0);
}

static void
c_headers(struct tq_h3_req *r, const struct tq_h3_msg *m, void *arg)
{
	struct creq *q = tq_h3_req_udata(r);
	uint32_t i, j;

	q->status = m->status;
	for (i = 0; i < m->nfields; i++) {
		if (m->fields[i].name.len == 7 &&
				!memcmp(m->fields[i].name.p, "x-count", 7))
			q->count_hdr = strtoll(m->fields[i].value.p, NULL, 10);
		for (j = 0; j < q->nwant; j++)
			if (m->fields[i].name.len == q->want[j].name.len &&
					m->fields[i].value.len ==
					q->want[j].value.len &&
					!memcmp(m->fields[i].name.p,
						q->want[j].name.p,
						q->want[j].name.len) &&
					!memcmp(m->fields[i].value.p,
						q->want[j].value.p,
						q->want[j].value.len))
				q->found++;
	}
}

static void
c_data(struct tq_h3_req *r, const uint8_t *d, size_t len, void *arg)
{
	struct creq *q = tq_h3_req_udata(r);
	size_t i;

	for (i = 0; i < len; i++) {
		uint8_t want = q->expect ? (q->got + i < q->expect_len ?
				q->expect[q->got + i] : 0) : pat(q->got + i);

		if (d[i] != want)
			q->bad++;
	}
	q->got += len;
}

static void
c_end(struct tq_h3_req *r, void *arg)
{
	((struct creq *)tq_h3_req_udata(r))->ended = true;
}

static void
c_writable(struct tq_h3_req *r, void *arg)
{
	c_gen(r, tq_h3_req_udata(r));
}

static void
c_closed(struct tq_h3_req *r, uint64_t code, void *arg)
{
	struct creq *q = tq_h3_req_udata(r);

	q->closed = true;
	q->code = code;
}

static void
c_goaway(struct tq_h3_conn *h, int64_t id, void *arg)
{
	cli.goaways++;
	cli.goaway_id = id;
}

/* Requests refused with -EAGAIN wait here for streams_available(). */
static unsigned int c_next, c_total, c_eagain;
static char c_paths[MAXREQ][32];

static void
c_issue(void)
{
	while (c_next < c_total) {
		struct creq *q = &creqs[c_next];
		int err = 0;

		snprintf(c_paths[c_next], sizeof(c_paths[c_next]), "/lim/%u",
				c_next);
		q->expect = (const uint8_t *)c_paths[c_next];
		q->expect_len = strlen(c_paths[c_next]);
		if (!tq_h3_client_request(cli.h, "GET", NULL, "test.example",
				c_paths[c_next], NULL, 0, NULL, 0, 0, q,
				&err)) {
			assert_int_equal(err, -EAGAIN);
			c_eagain++;
			return;
		}
		c_next++;
	}
}

static void
c_streams_available(struct tq_h3_conn *h, void *arg)
{
	c_issue();
}

static void
c_conn_closed(struct tq_h3_conn *h, uint64_t code, void *arg)
{
	cli.conn_closed = true;
	cli.conn_code = code;
	cli.h = NULL;
}

static const struct tq_h3_ops cli_ops = {
	.headers = c_headers,
	.data = c_data,
	.end = c_end,
	.writable = c_writable,
	.closed = c_closed,
	.goaway = c_goaway,
	.streams_available = c_streams_available,
	.conn_closed = c_conn_closed,
};

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

/* nghttp3's memory is capped per session: past it, H3_EXCESSIVE_LOAD. */
static void
test_mem_cap(void **state)
{
	struct tq_h3_stats agg = { 0 };
	struct tq_h3_conf sc = { .max_mem = 64 * 1024, .stats = &agg };
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
};

static struct raw raw;

static void
raw_readable(struct tq_stream *st, void *ctx)
{
	uint8_t buf[4096];

	while (tq_stream_read(st, buf, sizeof(buf)) > 0)
		;
}

static const struct tq_stream_ops raw_stream_ops = {
	.readable = raw_readable,
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

static struct tq_stream *
raw_open(unsigned int flags, const void *bytes, uint32_t len)
{
	struct tq_stream *st = tq_conn_stream_open(tq_memconn_end(mc, 0),
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
	run(100);
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

	run(100);
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

/* A server that opens a bidirectional stream: the client closes with
 * H3_STREAM_CREATION_ERROR (RFC 9114 6.1). */
static void
test_client_refuses_push_bidi(void **state)
{
	struct tq_stream *st;
	int err = 0;

	memset(&cli, 0, sizeof(cli));
	memset(&raw, 0, sizeof(raw));
	pool_before = tq_test_pool_avail();
	mc = tq_memconn_new(NULL);
	cli.h = tq_h3_client_new(tq_memconn_end(mc, 0), &cli_ops, NULL, NULL,
			&err);
	assert_non_null(cli.h);
	tq_conn_set_ops(tq_memconn_end(mc, 1), &raw_conn_ops);
	run(100);
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
	struct tq_stream *ctl;
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
	ctl = tq_conn_stream_open(tq_memconn_end(mc, 1), TQ_STREAM_UNI,
			&raw_stream_ops, NULL, NULL);
	assert_non_null(ctl);
	assert_int_equal(tq_stream_write(ctl, ctrl_settings,
			sizeof(ctrl_settings)), sizeof(ctrl_settings));
	run(100);
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
		cmocka_unit_test(test_stream_limit),
		cmocka_unit_test(test_second_control),
		cmocka_unit_test(test_data_before_headers),
		cmocka_unit_test(test_missing_settings),
		cmocka_unit_test(test_closed_control),
		cmocka_unit_test(test_settings_on_request),
		cmocka_unit_test(test_client_refuses_push_bidi),
		cmocka_unit_test(test_client_interim_and_trailers),
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
