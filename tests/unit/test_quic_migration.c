/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Server-side migration (RFC 9000 9) on a pair of connections joined by
 * tests/lib/tq_quic_pair.c with paths: the server sees the client's
 * datagrams come from an address the test changes, and the client gets
 * only what the server sends to where it is now.  A NAT rebinding (the
 * port alone) mid-transfer: followed, validated, RTT and window kept; a
 * new address mid-transfer with the client moving to a new CID: RTT and
 * window start over, the new path held to 3x until validated, bytes
 * exact both ways; a new path that never answers: back to the old one
 * after 3 PTO with its RTT, and the transfer completes there.  Path
 * validation frames in 1200-byte datagrams, but for the server's under
 * the 3x limit (counted).
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
	unsigned int made;
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

	if (s->n == TBL)
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

static const struct qp_link link20 = { .delay_ns = 10 * MS };

static void
start(uint64_t total)
{
	int err;

	memset(sd, 0, sizeof(sd));
	sd[0].tag = 0xc0;
	sd[1].tag = 0x5e;
	sd[0].total = sd[1].total = total;
	qp_init(&P, &link20, 5, NULL, &conn_ops, &sd[0], &conn_ops, &sd[1]);
	P.paths = true;
	assert_int_equal(tq_addr_parse("192.0.2.1", &P.saddr), 0);
	assert_int_equal(tq_addr_parse("198.51.100.7", &P.caddr), 0);
	P.cport = 50000;
	tq_quic_conn_set_cid_ops(P.c[0], &t_ops, &sd[0]);
	P.on_server = set_ops;
	assert_true(qp_run(&P, 10 * S, up, NULL));
	sd[0].st = tq_conn_stream_open(tq_quic_conn_base(P.c[0]), 0, &xops,
			&sd[0], &err);
	assert_non_null(sd[0].st);
	fill(&sd[0]);
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

static bool
migrated(void *arg)
{
	(void)arg;
	return tq_quic_conn_stats(P.c[1])->migrations > 0;
}

static bool
validated(void *arg)
{
	bool v;
	struct tq_addr a;
	uint16_t port;

	(void)arg;
	tq_quic_conn_path(P.c[1], &a, &port, &v);
	return !v;
}

static void
finish(uint64_t total)
{
	bool ok = qp_run(&P, 120 * S, done, NULL);

	if (!ok)
		print_message("stuck: rcvd %llu/%llu, migrations %llu, "
				"failed %llu, misrouted %u, blackholed %u, "
				"states %d/%d, validating %d\n",
				(unsigned long long)sd[0].rcvd,
				(unsigned long long)sd[1].rcvd,
				(unsigned long long)tq_quic_conn_stats(P.c[1])->migrations,
				(unsigned long long)tq_quic_conn_stats(P.c[1])->path_failed,
				P.misrouted, P.blackholed,
				tq_quic_conn_state(P.c[0]),
				tq_quic_conn_state(P.c[1]), P.c[1]->pv.active);
	assert_true(ok);
	assert_false(sd[0].bad);
	assert_false(sd[1].bad);
	assert_int_equal(sd[0].rcvd, total);
	assert_int_equal(sd[1].rcvd, total);
	assert_int_equal(tq_quic_conn_stats(P.c[0])->proto_err, 0);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->proto_err, 0);
	assert_int_equal(P.amp_violations, 0);
	assert_int_equal(tq_quic_conn_state(P.c[0]), TQ_QUIC_CS_ESTABLISHED);
}

static void
nat_rebinding(void **state)
{
	const uint64_t total = 2 << 20;
	uint64_t at = total / 3, srtt;
	struct tq_addr a;
	uint16_t port;

	(void)state;
	start(total);
	assert_true(qp_run(&P, 30 * S, rcvd_past, &at));
	srtt = P.c[1]->rec.smoothed_rtt;
	assert_true(P.c[1]->rec.has_rtt);
	P.cport = 61000;	/* the NAT's new mapping */
	assert_true(qp_run(&P, 5 * S, migrated, NULL));
	/* 9.4: the port alone: the same path, RTT and window kept */
	assert_true(P.c[1]->rec.has_rtt);
	assert_true(P.c[1]->rec.smoothed_rtt < 2 * srtt);
	assert_true(qp_run(&P, 5 * S, validated, NULL));
	tq_quic_conn_path(P.c[1], &a, &port, NULL);
	assert_int_equal(port, 61000);
	finish(total);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->migrations, 1);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->path_failed, 0);
	assert_true(tq_quic_conn_stats(P.c[1])->path_challenges >= 1);
	qp_fini(&P);
}

static void
new_address(void **state)
{
	const uint64_t total = 2 << 20;
	uint64_t at = total / 3;
	struct tq_addr a, b;
	uint16_t port;

	(void)state;
	start(total);
	assert_true(qp_run(&P, 30 * S, rcvd_past, &at));
	/* the client moves: a new address, and a new CID (9.5) */
	assert_int_equal(tq_addr_parse("203.0.113.9", &b), 0);
	P.caddr = b;
	P.cport = 40000;
	assert_int_equal(tq_quic_conn_rotate_dcid(P.c[0]), 0);
	assert_true(in_tbl(&sd[1], tq_quic_conn_dcid(P.c[0])));
	assert_true(qp_run(&P, 5 * S, migrated, NULL));
	/* 9.4: another address: RTT and window start over */
	assert_false(P.c[1]->rec.has_rtt);
	assert_int_equal(P.c[1]->rec.smoothed_rtt, TQ_QUIC_INITIAL_RTT);
	tq_quic_conn_path(P.c[1], &a, &port, NULL);
	assert_true(tq_addr_equal(&a, &b));
	assert_true(qp_run(&P, 5 * S, validated, NULL));
	finish(total);
	/* the RTT measured again on the new path */
	assert_true(P.c[1]->rec.has_rtt);
	assert_true(P.c[1]->rec.smoothed_rtt < 100 * MS);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->migrations, 1);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->path_failed, 0);
	/* the old CID retired by the client, a new one issued */
	assert_true(tq_quic_conn_stats(P.c[1])->cids_retired >= 1);
	qp_fini(&P);
}

/* The largest datagram the client sent since the tap was set. */
static size_t client_max;

static bool
size_tap(struct qp *p, int from, uint8_t *d, size_t *len)
{
	(void)p;
	(void)d;
	if (from == 0 && *len > client_max)
		client_max = *len;
	return true;
}

/*
 * RFC 9000 8.2.1/8.2.2 padding: an idle client moves with a PING (a
 * datagram of a few dozen bytes), so the server's PATH_CHALLENGE on
 * the new, unvalidated path is held to 3x that, goes smaller than 1200
 * and is counted (path_small); the client's PATH_RESPONSE, under no
 * limit, goes in a 1200-byte datagram though it carries a few bytes.
 */
static void
path_padding(void **state)
{
	(void)state;
	start(1);
	assert_true(qp_run(&P, 5 * S, done, NULL));
	assert_int_equal(tq_quic_conn_stats(P.c[1])->path_small, 0);
	client_max = 0;
	P.tap = size_tap;
	P.cport = 62000;
	assert_int_equal(tq_quic_conn_ping(P.c[0]), 0);
	assert_true(qp_run(&P, 5 * S, migrated, NULL));
	assert_true(qp_run(&P, 5 * S, validated, NULL));
	assert_true(tq_quic_conn_stats(P.c[1])->path_small >= 1);
	assert_int_equal(tq_quic_conn_stats(P.c[0])->path_small, 0);
	assert_true(client_max >= 1200);
	assert_int_equal(P.amp_violations, 0);
	P.tap = NULL;
	qp_fini(&P);
}

static bool
failed(void *arg)
{
	(void)arg;
	return tq_quic_conn_stats(P.c[1])->path_failed > 0;
}

static void
failed_validation_falls_back(void **state)
{
	const uint64_t total = 1 << 20;
	uint64_t at = total / 4, srtt;
	struct tq_addr a, old;
	uint16_t port;

	(void)state;
	start(total);
	assert_true(qp_run(&P, 30 * S, rcvd_past, &at));
	srtt = P.c[1]->rec.smoothed_rtt;
	old = P.caddr;
	/* the client's packets come from B, but nothing reaches B */
	assert_int_equal(tq_addr_parse("203.0.113.77", &P.caddr), 0);
	P.cport = 40001;
	P.blackhole = P.caddr;
	P.blackhole_port = P.cport;
	assert_true(qp_run(&P, 5 * S, migrated, NULL));
	/* no PATH_RESPONSE ever comes back: the old path again */
	assert_true(qp_run(&P, 20 * S, failed, NULL));
	tq_quic_conn_path(P.c[1], &a, &port, NULL);
	assert_true(tq_addr_equal(&a, &old));
	assert_int_equal(port, 50000);
	/* with the old path's RTT and window (the new path's would be
	 * the initial 333 ms: no sample ever came from it) */
	assert_true(P.c[1]->rec.has_rtt);
	assert_true(P.c[1]->rec.smoothed_rtt < 2 * srtt);
	assert_true(P.blackholed > 0);
	/* the client is back at A (B died): the transfer ends there (a
	 * datagram of B's still in flight may send the server to B and
	 * back once more) */
	P.caddr = old;
	P.cport = 50000;
	finish(total);
	assert_true(tq_quic_conn_stats(P.c[1])->path_failed >= 1);
	qp_fini(&P);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nat_rebinding),
		cmocka_unit_test(new_address),
		cmocka_unit_test(failed_validation_falls_back),
		cmocka_unit_test(path_padding),
	};

	if (tq_test_eal_init("quic_migration") != 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
