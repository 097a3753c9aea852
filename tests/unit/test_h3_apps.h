/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client and server apps of the HTTP/3 unit tests, shared by
 * test_h3.c (over tests/lib/tq_memconn.c) and test_h3_quic.c (over real
 * QUIC connections, tests/lib/tq_quic_pair.c): the same apps on either
 * transport.  Included once by each test; its functions are static.
 */
#ifndef TEST_H3_APPS_H
#define TEST_H3_APPS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tachyon/tq_h3.h>

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
	unsigned int closed_after_conn;
	uint64_t rx;		/* request body bytes, all exchanges */
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
	assert_int_equal(m->path.p[m->path.len], '\0');
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
	srv.rx += len;
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
	if (srv.conn_closed)
		srv.closed_after_conn++;
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
	bool closed_after_conn;	/* closed() after conn_closed(): wrong */
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
		/* strings come NUL-terminated (tq_h3.h): strtoll() below */
		assert_int_equal(m->fields[i].name.p[m->fields[i].name.len],
				'\0');
		assert_int_equal(m->fields[i].value.p[m->fields[i].value.len],
				'\0');
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
	if (cli.conn_closed)
		q->closed_after_conn = true;
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

#endif
