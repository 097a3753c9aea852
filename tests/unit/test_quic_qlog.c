/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * qlog on the connection (engine/quic/tq_quic_qlog.c), on a pair joined
 * by tests/lib/tq_quic_pair.c over a lossy link moving a stream of
 * 200 KB: each side's file is JSON-SEQ (every record 0x1E ... "}}\n" or
 * the header's "}}}\n"), packet_received events exactly as many as the
 * packets the connection counted in, packet_sent at least as many as it
 * counted out, packet_lost events for the losses, the key updates, the
 * start and the close; a second set_qlog is refused; an unwritable
 * directory fails and leaves the connection as it was.  The JSON
 * itself is checked with python3 by tests/interop/qlog_check.py.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tq_quic_pair.h"
#include "tq_test.h"
#include "quic/tq_quic_conn_priv.h"

#define MS UINT64_C(1000000)
#define S (1000 * MS)
#define LEN 200000

static struct qp P;
static char dir[64];
static uint8_t buf[LEN];
static size_t got;
static bool fin;

static void
rx_readable(struct tq_stream *st, void *ctx)
{
	uint8_t b[4096];
	int n;

	(void)ctx;
	while ((n = tq_stream_read(st, b, sizeof(b))) > 0)
		got += (size_t)n;
	if (n == 0)
		fin = true;
}

static const struct tq_stream_ops rx_ops = { .readable = rx_readable };
static const struct tq_stream_ops tx_ops = { 0 };

static void
on_new_stream(struct tq_conn *c, struct tq_stream *st, void *u)
{
	(void)c;
	(void)u;
	tq_stream_set_ops(st, &rx_ops, NULL);
}

static const struct tq_conn_ops server_ops = { .new_stream = on_new_stream };
static const struct tq_conn_ops client_ops = { 0 };

static void
on_server(struct qp *p)
{
	assert_int_equal(tq_quic_conn_set_qlog(p->c[1], dir), 0);
}

struct counts {
	unsigned int records, sent, received, lost, keys, started, closed;
	unsigned int metrics;
};

static unsigned int
count(const char *text, const char *what)
{
	unsigned int n = 0;

	while ((text = strstr(text, what)) != NULL) {
		n++;
		text++;
	}
	return n;
}

/* The one file of role in dir, read and checked record by record. */
static void
read_file(const char *role, struct counts *k)
{
	char cmd[256], path[256], *text, *rec, *next;
	FILE *f;
	long n;

	snprintf(cmd, sizeof(cmd), "ls %s/*_%s.sqlog", dir, role);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(path, sizeof(path), f));
	pclose(f);
	path[strcspn(path, "\n")] = '\0';
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	memset(k, 0, sizeof(*k));
	assert_int_equal(text[0], 0x1e);
	for (rec = text; rec && *rec; rec = next) {
		size_t len;

		next = strchr(rec + 1, 0x1e);
		len = next ? (size_t)(next - rec) : strlen(rec);
		assert_true(len > 4);
		/* a record: RS, one JSON object, a newline */
		assert_int_equal(rec[1], '{');
		assert_int_equal(rec[len - 1], '\n');
		assert_int_equal(rec[len - 2], '}');
		k->records++;
	}
	assert_non_null(strstr(text, "\"qlog_format\":\"JSON-SEQ\""));
	k->sent = count(text, "\"transport:packet_sent\"");
	k->received = count(text, "\"transport:packet_received\"");
	k->lost = count(text, "\"recovery:packet_lost\"");
	k->keys = count(text, "\"security:key_updated\"");
	k->started = count(text, "\"connectivity:connection_started\"");
	k->closed = count(text, "\"connectivity:connection_closed\"");
	k->metrics = count(text, "\"recovery:metrics_updated\"");
	free(text);
}

static bool
done(void *arg)
{
	(void)arg;
	return fin;
}

static bool
confirmed(void *arg)
{
	(void)arg;
	return P.c[0] && tq_quic_conn_confirmed(P.c[0]);
}

static bool
both_closed(void *arg)
{
	(void)arg;
	return tq_quic_conn_done(P.c[0]) && tq_quic_conn_done(P.c[1]);
}

static void
lossy_transfer(void **state)
{
	static const struct qp_link lossy = { .delay_ns = 10 * MS,
		.loss = 0.03 };
	struct tq_quic_conn_stats cs, ss;
	struct counts kc, ks;
	struct tq_stream *st = NULL;
	size_t off = 0;
	int err = 0, r;

	(void)state;
	strcpy(dir, "/tmp/tq-qlog-XXXXXX");
	assert_non_null(mkdtemp(dir));
	qp_init(&P, &lossy, 7, NULL, &client_ops, NULL, &server_ops, NULL);
	P.on_server = on_server;
	assert_int_equal(tq_quic_conn_set_qlog(P.c[0], dir), 0);
	assert_int_equal(tq_quic_conn_set_qlog(P.c[0], dir), -EBUSY);
	for (int i = 0; i < 200 && !st; i++) {
		st = tq_conn_stream_open(tq_quic_conn_base(P.c[0]), 0, &tx_ops,
				NULL, &err);
		if (!st)
			qp_run(&P, 50 * MS, NULL, NULL);
	}
	assert_non_null(st);
	while (off < LEN) {
		r = tq_stream_write(st, buf + off, (uint32_t)(LEN - off));
		if (r > 0)
			off += (size_t)r;
		qp_run(&P, 20 * MS, NULL, NULL);
	}
	assert_int_equal(tq_stream_shutdown(st), 0);
	assert_true(qp_run(&P, 30 * S, done, NULL));
	assert_int_equal(got, LEN);
	tq_conn_close(tq_quic_conn_base(P.c[0]), 0);
	assert_true(qp_run(&P, 10 * S, both_closed, NULL));
	cs = *tq_quic_conn_stats(P.c[0]);
	ss = *tq_quic_conn_stats(P.c[1]);
	qp_fini(&P);	/* the files end with the connections */
	read_file("client", &kc);
	read_file("server", &ks);
	assert_int_equal(kc.received, cs.pkts_in);
	assert_int_equal(ks.received, ss.pkts_in);
	assert_true(kc.sent >= cs.pkts_out && kc.sent <= cs.pkts_out + 3);
	assert_true(ks.sent >= ss.pkts_out && ks.sent <= ss.pkts_out + 3);
	/* 3% loss over a few hundred packets: some declared lost */
	assert_true(kc.lost + ks.lost > 0);
	assert_true(kc.keys >= 4 && ks.keys >= 4);
	assert_int_equal(kc.started + ks.started, 2);
	assert_int_equal(kc.closed + ks.closed, 2);
	assert_true(kc.metrics > 0 && ks.metrics > 0);
	/* nothing else in the files: the header and these events */
	assert_int_equal(kc.records, 1 + kc.sent + kc.received + kc.lost +
			kc.keys + kc.started + kc.closed + kc.metrics);
	assert_int_equal(ks.records, 1 + ks.sent + ks.received + ks.lost +
			ks.keys + ks.started + ks.closed + ks.metrics);
	snprintf((char *)buf, sizeof(buf), "rm -rf %s", dir);
	assert_int_equal(system((char *)buf), 0);
}

/* No file, no qlog: the connection works on. */
static void
bad_dir(void **state)
{
	static const struct qp_link clean = { .delay_ns = 10 * MS };

	(void)state;
	qp_init(&P, &clean, 8, NULL, &client_ops, NULL, &server_ops, NULL);
	assert_true(tq_quic_conn_set_qlog(P.c[0], "/nonexistent/qlog") < 0);
	assert_int_equal(tq_quic_conn_set_qlog(P.c[0], ""), -EINVAL);
	assert_true(qp_run(&P, 5 * S, confirmed, NULL));
	qp_fini(&P);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lossy_transfer),
		cmocka_unit_test(bad_dir),
	};

	if (tq_test_eal_init("test_quic_qlog") != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
