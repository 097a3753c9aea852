/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection IDs past the handshake's (RFC 9000 5.1), on a pair of
 * connections joined by tests/lib/tq_quic_pair.c, each side with cid
 * ops standing in for the module's table: NEW_CONNECTION_ID up to the
 * peer's limit (and our own cap), every CID issued in the "table" and
 * out of it once retired; a client moving to the peer's next CID
 * mid-transfer again and again (the server takes packets to each new
 * one, retires the old, issues a replacement) with the bytes exact
 * both ways; the server asking for everything to be retired (Retire
 * Prior To), the client retiring them all, the one in use too; and
 * packets to a retired CID dropped.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tq_quic_pair.h"
#include "tq_test.h"
#include "quic/tq_quic_conn_priv.h"

#define MS UINT64_C(1000000)
#define S (1000 * MS)
#define TBL 64

/* A side's stand-in for the module's CID table. */
struct side {
	int est;
	uint8_t tag;
	unsigned int made, calls, cap;	/* cap: a full table (0: TBL) */
	struct tq_quic_cid tbl[TBL];
	unsigned int n;
	unsigned int retired;
	/* the stream */
	struct tq_stream *st;
	uint64_t sent, rcvd, total;
	bool bad, eof;
};

static struct qp P;
static struct side sd[2];

static int
t_make(void *arg, struct tq_quic_cid *cid, uint8_t token[16])
{
	struct side *s = arg;

	s->calls++;
	if (s->n == (s->cap ? s->cap : TBL))
		return -ENOSPC;
	s->made++;
	cid->len = 8;
	memset(cid->id, 0, 8);
	cid->id[0] = s->tag;
	cid->id[1] = (uint8_t)s->made;
	memset(token, s->made, 16);
	s->tbl[s->n++] = *cid;
	return 0;
}

static bool
in_tbl(const struct side *s, const struct tq_quic_cid *cid)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (s->tbl[i].len == cid->len &&
				!memcmp(s->tbl[i].id, cid->id, cid->len))
			return true;
	return false;
}

static void
t_retired(void *arg, const struct tq_quic_cid *cid)
{
	struct side *s = arg;
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (s->tbl[i].len == cid->len &&
				!memcmp(s->tbl[i].id, cid->id, cid->len)) {
			s->tbl[i] = s->tbl[--s->n];
			break;
		}
	s->retired++;
}

static const struct tq_quic_conn_cid_ops t_ops = {
	.make = t_make,
	.retired = t_retired,
};

static uint8_t
pat(int side, uint64_t off)
{
	return (uint8_t)((off * 7 + (uint64_t)side * 13) ^ (off >> 9));
}

static void
fill(struct side *s)
{
	uint8_t buf[8192];
	uint64_t n, i;
	int w;

	while (s->st && s->sent < s->total) {
		n = RTE_MIN(s->total - s->sent, sizeof(buf));
		for (i = 0; i < n; i++)
			buf[i] = pat(s == &sd[1], s->sent + i);
		w = tq_stream_write(s->st, buf, (uint32_t)n);
		if (w <= 0)
			return;
		s->sent += (uint64_t)w;
		if (s->sent == s->total)
			tq_stream_shutdown(s->st);
	}
}

static void
x_readable(struct tq_stream *st, void *ctx)
{
	struct side *s = ctx;
	uint8_t buf[5000];
	int n, i;

	/* bytes come from the other side */
	while ((n = tq_stream_read(st, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++)
			if (buf[i] != pat(s == &sd[0], s->rcvd + (uint64_t)i))
				s->bad = true;
		s->rcvd += (uint64_t)n;
	}
	if (n == 0)
		s->eof = true;
}

static void
x_writable(struct tq_stream *st, void *ctx)
{
	(void)st;
	fill(ctx);
}

static void
x_closed(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	(void)st;
	(void)why;
	((struct side *)ctx)->st = NULL;
}

static const struct tq_stream_ops xops = {
	.readable = x_readable,
	.writable = x_writable,
	.closed = x_closed,
};

static void
on_established(struct tq_conn *c, void *u)
{
	(void)c;
	((struct side *)u)->est++;
}

static void
on_new_stream(struct tq_conn *c, struct tq_stream *st, void *u)
{
	struct side *s = u;

	(void)c;
	s->st = st;
	tq_stream_set_ops(st, &xops, s);
	fill(s);
}

static const struct tq_conn_ops conn_ops = {
	.established = on_established,
	.new_stream = on_new_stream,
};

static void
set_ops(struct qp *p)
{
	tq_quic_conn_set_cid_ops(p->c[1], &t_ops, &sd[1]);
}

static bool
up(void *arg)
{
	(void)arg;
	return sd[0].est && sd[1].est && P.c[0] &&
		tq_quic_conn_confirmed(P.c[0]);
}

static void
pair(const struct qp_link *l, uint8_t max_cids, uint64_t total)
{
	struct tq_quic_conn_cfg cfg;

	memset(sd, 0, sizeof(sd));
	sd[0].tag = 0xc0;
	sd[1].tag = 0x5e;
	sd[0].total = sd[1].total = total;
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_cids = max_cids;
	qp_init(&P, l, 3, &cfg, &conn_ops, &sd[0], &conn_ops, &sd[1]);
	tq_quic_conn_set_cid_ops(P.c[0], &t_ops, &sd[0]);
	P.on_server = set_ops;
	assert_true(qp_run(&P, 10 * S, up, NULL));
	/* the CIDs go out with the next packets */
	tq_quic_conn_ping(P.c[0]);
	tq_quic_conn_ping(P.c[1]);
	qp_run(&P, 1 * S, NULL, NULL);
}

static const struct qp_link clean = { .delay_ns = 10 * MS };

static void
issued_up_to_limit(void **state)
{
	unsigned int i;
	struct tq_quic_cid cid;

	(void)state;
	/* no cap of ours: the peer's limit (8, the handshake's counted) */
	pair(&clean, 0, 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(tq_quic_conn_spare_dcids(P.c[i]), 7);
		assert_int_equal(tq_quic_conn_stats(P.c[i])->cids_issued, 7);
		assert_int_equal(sd[i].n, 7);
		assert_int_equal(tq_quic_conn_stats(P.c[i])->proto_err, 0);
	}
	/* every issued CID is reported back for the module's cleanup,
	 * the handshake's first */
	for (i = 0; tq_quic_conn_local_cid(P.c[1], i, &cid); i++)
		if (i > 0)
			assert_true(in_tbl(&sd[1], &cid));
	assert_int_equal(i, 8);
	qp_fini(&P);
	/* our cap (the module's QM_CIDS) */
	pair(&clean, 4, 0);
	assert_int_equal(tq_quic_conn_spare_dcids(P.c[0]), 3);
	assert_int_equal(sd[1].n, 3);
	qp_fini(&P);
}

static bool
rcvd_past(void *arg)
{
	uint64_t at = *(uint64_t *)arg;

	return sd[0].rcvd >= at && sd[1].rcvd >= at;
}

static bool
done(void *arg)
{
	(void)arg;
	return sd[0].eof && sd[1].eof;
}

static void
rotate_mid_transfer(void **state)
{
	const uint64_t total = 2 << 20;
	const struct tq_quic_cid *d;
	uint64_t at;
	unsigned int k;
	int err;

	(void)state;
	pair(&clean, 4, total);
	sd[0].st = tq_conn_stream_open(tq_quic_conn_base(P.c[0]), 0, &xops,
			&sd[0], &err);
	assert_non_null(sd[0].st);
	fill(&sd[0]);
	for (k = 1; k <= 6; k++) {
		at = total * k / 8;
		assert_true(qp_run(&P, 30 * S, rcvd_past, &at));
		assert_int_equal(tq_quic_conn_rotate_dcid(P.c[0]), 0);
		d = tq_quic_conn_dcid(P.c[0]);
		/* the client sends to a CID the server issued */
		assert_true(in_tbl(&sd[1], d));
	}
	assert_true(qp_run(&P, 60 * S, done, NULL));
	assert_false(sd[0].bad);
	assert_false(sd[1].bad);
	assert_int_equal(sd[0].rcvd, total);
	assert_int_equal(sd[1].rcvd, total);
	qp_run(&P, 1 * S, NULL, NULL);
	/* six retired (the handshake's among them), each replaced */
	assert_int_equal(tq_quic_conn_stats(P.c[1])->cids_retired, 6);
	/* the handshake's too: the module has it in its table */
	assert_int_equal(sd[1].retired, 6);
	/* four in use, all made since the handshake's retired */
	assert_int_equal(sd[1].n, 4);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->cids_issued, 3 + 6);
	assert_int_equal(tq_quic_conn_spare_dcids(P.c[0]), 3);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->drop_cid, 0);
	assert_int_equal(tq_quic_conn_stats(P.c[0])->proto_err, 0);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->proto_err, 0);
	qp_fini(&P);
}

static void
retire_prior_to(void **state)
{
	struct tq_quic_cid old[8], cid;
	unsigned int n, i;
	uint8_t buf[1500];
	size_t len;

	(void)state;
	pair(&clean, 4, 0);
	for (n = 0; tq_quic_conn_local_cid(P.c[1], n, &cid); n++)
		old[n] = cid;
	assert_int_equal(n, 4);
	assert_int_equal(tq_quic_conn_retire_cids(P.c[1]), 0);
	qp_run(&P, 2 * S, NULL, NULL);
	/* the client retired all four, the one in use too, and moved */
	assert_int_equal(tq_quic_conn_stats(P.c[1])->cids_retired, 4);
	for (i = 0; tq_quic_conn_local_cid(P.c[1], i, &cid); i++)
		for (n = 0; n < 4; n++)
			assert_false(cid.len == old[n].len &&
					!memcmp(cid.id, old[n].id, cid.len));
	assert_int_equal(i, 4);
	assert_true(in_tbl(&sd[1], tq_quic_conn_dcid(P.c[0])));
	assert_int_equal(tq_quic_conn_spare_dcids(P.c[0]), 3);
	assert_int_equal(tq_quic_conn_state(P.c[0]), TQ_QUIC_CS_ESTABLISHED);
	/* a packet to a retired CID is not the connection's any more */
	tq_quic_conn_ping(P.c[0]);
	len = tq_quic_conn_output(P.c[0], buf, sizeof(buf), P.now);
	assert_true(len > 0);
	memcpy(buf + 1, old[1].id, 8);
	tq_quic_conn_input(P.c[1], buf, len, TQ_QUIC_ECN_NOT, P.now);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->drop_cid, 1);
	assert_int_equal(tq_quic_conn_stats(P.c[0])->proto_err, 0);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->proto_err, 0);
	qp_fini(&P);
}

/* A module whose table is full: what could be made is issued, and
 * make is not asked again packet after packet, only once a CID of
 * ours is retired. */
static void
table_full(void **state)
{
	unsigned int calls;

	(void)state;
	memset(sd, 0, sizeof(sd));
	sd[0].tag = 0xc0;
	sd[1].tag = 0x5e;
	sd[1].cap = 2;
	qp_init(&P, &clean, 3, NULL, &conn_ops, &sd[0], &conn_ops, &sd[1]);
	tq_quic_conn_set_cid_ops(P.c[0], &t_ops, &sd[0]);
	P.on_server = set_ops;
	assert_true(qp_run(&P, 10 * S, up, NULL));
	tq_quic_conn_ping(P.c[1]);
	qp_run(&P, 1 * S, NULL, NULL);
	assert_int_equal(tq_quic_conn_spare_dcids(P.c[0]), 2);
	calls = sd[1].calls;
	assert_int_equal(calls, 3);
	tq_quic_conn_ping(P.c[0]);
	tq_quic_conn_ping(P.c[1]);
	qp_run(&P, 1 * S, NULL, NULL);
	assert_int_equal(sd[1].calls, calls);
	/* the client retires the handshake CID: one more is tried (the
	 * table is still full, two in it) */
	assert_int_equal(tq_quic_conn_rotate_dcid(P.c[0]), 0);
	qp_run(&P, 1 * S, NULL, NULL);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->cids_retired, 1);
	assert_int_equal(sd[1].calls, calls + 1);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->proto_err, 0);
	qp_fini(&P);
}

/* Without cid ops nothing is issued, as before. */
static void
none_without_ops(void **state)
{
	(void)state;
	memset(sd, 0, sizeof(sd));
	qp_init(&P, &clean, 3, NULL, &conn_ops, &sd[0], &conn_ops, &sd[1]);
	assert_true(qp_run(&P, 10 * S, up, NULL));
	qp_run(&P, 1 * S, NULL, NULL);
	assert_int_equal(tq_quic_conn_spare_dcids(P.c[0]), 0);
	assert_int_equal(tq_quic_conn_rotate_dcid(P.c[0]), -ENOENT);
	assert_int_equal(tq_quic_conn_retire_cids(P.c[1]), -ENOTSUP);
	qp_fini(&P);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(issued_up_to_limit),
		cmocka_unit_test(rotate_mid_transfer),
		cmocka_unit_test(retire_prior_to),
		cmocka_unit_test(table_full),
		cmocka_unit_test(none_without_ops),
	};

	if (tq_test_eal_init("quic_cid") != 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
