/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the QUIC module needs from a connection (engine/quic/tq_quic_conn.h)
 * besides datagrams and timers, on a pair of connections joined by
 * tests/lib/tq_quic_pair.c: the kick hook told of every app call that
 * may make output (and of none once cleared), the stateless reset token
 * a server is given reaching the client in its transport parameters,
 * and the addresses set for tq_conn_info().
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

static struct qp P;
static int established[2];
static unsigned int kicks;

static void
on_established(struct tq_conn *c, void *udata)
{
	(void)c;
	(*(int *)udata)++;
}

static const struct tq_conn_ops conn_ops = {
	.established = on_established,
};

static const struct tq_stream_ops stream_ops = { 0 };

static bool
both_up(void *arg)
{
	(void)arg;
	return established[0] && established[1] && P.c[0] &&
		tq_quic_conn_confirmed(P.c[0]);
}

static void
on_kick(void *arg)
{
	assert_ptr_equal(arg, &kicks);
	kicks++;
}

static void
up(const struct tq_quic_conn_cfg *cfg)
{
	static const struct qp_link clean = { .delay_ns = 10 * MS };

	memset(established, 0, sizeof(established));
	qp_init(&P, &clean, 1, cfg, &conn_ops, &established[0], &conn_ops,
			&established[1]);
	assert_true(qp_run(&P, 10 * S, both_up, NULL));
}

static void
kick_on_app_calls(void **state)
{
	struct tq_conn *c;
	struct tq_stream *st;
	unsigned int k;
	char buf[8];
	int err = 0;

	(void)state;
	up(NULL);
	c = tq_quic_conn_base(P.c[0]);
	kicks = 0;
	tq_quic_conn_set_kick(P.c[0], on_kick, &kicks);
	st = tq_conn_stream_open(c, 0, &stream_ops, NULL, &err);
	assert_non_null(st);
	assert_int_equal(kicks, 1);
	assert_int_equal(tq_stream_write(st, "hello", 5), 5);
	assert_int_equal(kicks, 2);
	(void)tq_stream_read(st, buf, sizeof(buf));
	assert_int_equal(kicks, 3);
	assert_int_equal(tq_quic_conn_ping(P.c[0]), 0);
	assert_int_equal(kicks, 4);
	tq_stream_shutdown(st);
	assert_int_equal(kicks, 5);
	/* what the kick asked for is there to send */
	assert_true(tq_quic_conn_output(P.c[0], (uint8_t[1500]){ 0 }, 1500,
			P.now) > 0);
	/* queries do not kick */
	k = kicks;
	(void)tq_stream_write_space(st);
	(void)tq_stream_readable(st);
	assert_int_equal(kicks, k);
	/* cleared: nothing more */
	tq_quic_conn_set_kick(P.c[0], NULL, NULL);
	assert_int_equal(tq_quic_conn_ping(P.c[0]), 0);
	tq_conn_close(c, 7);
	assert_int_equal(kicks, k);
	qp_fini(&P);
}

static void
kick_on_close(void **state)
{
	(void)state;
	up(NULL);
	kicks = 0;
	tq_quic_conn_set_kick(P.c[1], on_kick, &kicks);
	tq_conn_close(tq_quic_conn_base(P.c[1]), 3);
	assert_int_equal(kicks, 1);
	qp_fini(&P);
}

static void
reset_token_sent(void **state)
{
	struct tq_quic_conn_cfg cfg;
	unsigned int i;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.has_reset_token = true;
	for (i = 0; i < sizeof(cfg.reset_token); i++)
		cfg.reset_token[i] = (uint8_t)(0xa0 + i);
	up(&cfg);
	/* the server's token reaches the client; a client sends none
	 * (RFC 9000 18.2: server only) */
	assert_true(P.c[0]->ptp.has_stateless_reset_token);
	assert_memory_equal(P.c[0]->ptp.stateless_reset_token,
			cfg.reset_token, sizeof(cfg.reset_token));
	assert_false(P.c[1]->ptp.has_stateless_reset_token);
	qp_fini(&P);
}

static void
info_addrs(void **state)
{
	struct tq_conn_info i;
	struct tq_addr l, r;

	(void)state;
	up(NULL);
	tq_conn_info(tq_quic_conn_base(P.c[1]), &i);
	assert_int_equal(i.lport, 0);	/* unset until the module says */
	assert_int_equal(tq_addr_parse("10.0.0.2", &l), 0);
	assert_int_equal(tq_addr_parse("fd00::1", &r), 0);
	tq_quic_conn_set_addrs(P.c[1], &l, 443, &r, 50000);
	tq_conn_info(tq_quic_conn_base(P.c[1]), &i);
	assert_int_equal(i.transport, TQ_TRANSPORT_QUIC);
	assert_true(tq_addr_equal(&i.laddr, &l));
	assert_true(tq_addr_equal(&i.raddr, &r));
	assert_int_equal(i.lport, 443);
	assert_int_equal(i.rport, 50000);
	qp_fini(&P);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kick_on_app_calls),
		cmocka_unit_test(kick_on_close),
		cmocka_unit_test(reset_token_sent),
		cmocka_unit_test(info_addrs),
	};

	if (tq_test_eal_init("quic_kick") != 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
