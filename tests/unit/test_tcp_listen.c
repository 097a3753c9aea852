/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Listeners added and removed while a worker runs, as the engine does it
 * through the command rings (tq_tcp_listen/tq_tcp_unlisten): a listener
 * added later answers SYNs; removing it resets what waits in its SYN and
 * accept queues, leaves accepted connections alone, refuses new SYNs, and
 * frees the port for another listener.
 */
#include "tq_tcptest.h"

#include <errno.h>
#include <string.h>

static const char *const addrs[] = { "10.0.0.2/24", NULL };

static struct tq_tcptest_host host;

static int
add(uint16_t port, struct tq_tcptest_conn *c)
{
	int ret = tq_tcp_listen_table_add(&host.lt, NULL, port, 16,
			tq_tcptest_accept_cb, c);

	if (ret < 0)
		return ret;
	ret = tq_tcp_listen_table_find(&host.lt, NULL, port);
	assert_true(ret >= 0);
	tq_tcp_listener_add(host.h.s, (unsigned int)ret);
	return ret;
}

static void
expect_refused(uint16_t pport, uint16_t port)
{
	struct tq_tcptest_conn c;

	tt_conn_init(&c, &host, "10.0.0.1", pport, "10.0.0.2", port);
	tt_in(&c, "S", 0, 0, 0);
	tt_expect(&c, "R.", 0, 1, 0);
}

static void
listen_at_run_time(void **state)
{
	static struct tq_tcptest_conn fixed, queued, half, taken, again;
	int idx;

	RTE_SET_USED(state);
	tq_tcptest_prepare(&host);
	assert_int_equal(tq_tcptest_listen(&host, NULL, 80, 16,
			tq_tcptest_accept_cb, &fixed), 0);
	assert_int_equal(tq_tcptest_start(&host, 2, addrs), 0);
	tq_test_host_learn(&host.h, "10.0.0.1");

	/* Nothing on 9090 yet. */
	expect_refused(40000, 9090);

	/* Added while running: served.  Its accept callback goes to
	 * taken, which accepts the first and then stops accepting. */
	idx = add(9090, &taken);
	assert_true(idx >= 0);
	assert_int_equal(add(9090, &taken), -EADDRINUSE);
	tt_conn_init(&taken, &host, "10.0.0.1", 40002, "10.0.0.2", 9090);
	tt_passive_open(&taken);		/* accepted */
	assert_non_null(taken.st);
	taken.no_accept = true;
	tt_conn_init(&queued, &host, "10.0.0.1", 40001, "10.0.0.2", 9090);
	queued.no_accept = true;
	tt_passive_open(&queued);		/* waits on the accept queue */
	assert_int_equal(taken.l->acc_count, 1);
	tt_conn_init(&half, &host, "10.0.0.1", 40003, "10.0.0.2", 9090);
	tt_in(&half, "S", 0, 0, 0);		/* left in SYN-RECEIVED */
	tt_expect(&half, "S.", 0, 1, 0);
	assert_int_equal(tq_tcptest_nconns(&host), 3);

	/* Removed: the queued and the half-open one are reset, the
	 * accepted one stays. */
	tq_tcp_listener_del(host.h.s, (unsigned int)idx);
	tt_advance(&queued, 0);
	{
		unsigned int seen = 0, i;

		/* In the flow table's order, one RST each. */
		for (i = 0; i < 2; i++) {
			struct tq_tcptest_seg sg;
			uint8_t buf[2048];
			uint32_t len = tq_test_wire_recv_flat(&host.h, buf,
					sizeof(buf));

			assert_true(len > 0);
			assert_int_equal(tq_tcptest_parse(buf, len, &sg), 0);
			assert_true(sg.flags & TQ_TH_RST);
			if (sg.dport == 40001)
				seen |= 1;
			else if (sg.dport == 40003)
				seen |= 2;
		}
		assert_int_equal(seen, 3);
	}
	tt_none(&taken);
	assert_int_equal(tq_tcptest_nconns(&host), 1);
	assert_non_null(tq_tcptest_find(&host, "10.0.0.2", 9090, "10.0.0.1",
			40002));
	tq_tcp_listen_table_del(&host.lt, (unsigned int)idx);
	expect_refused(40004, 9090);
	/* The other listener is untouched. */
	tt_conn_init(&fixed, &host, "10.0.0.1", 40005, "10.0.0.2", 80);
	tt_passive_open(&fixed);
	assert_non_null(fixed.st);

	/* The port is free again, and the accepted connection still
	 * talks. */
	assert_true(add(9090, &again) >= 0);
	tt_conn_init(&again, &host, "10.0.0.1", 40006, "10.0.0.2", 9090);
	tt_passive_open(&again);
	assert_non_null(again.st);
	tt_in(&taken, "P.", 1, 1, 10);
	tt_expect(&taken, ".", 1, 11, 0);
	tq_tcptest_fini(&host);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TT_TEST(listen_at_run_time),
	};

	if (tq_test_eal_init("tcp_listen") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
