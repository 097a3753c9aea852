/* SPDX-License-Identifier: BSD-3-Clause */
/* The harness itself: an ICMP echo through a shard on the memlink. */
#include "tq_test.h"

#include <string.h>

#include <rte_icmp.h>
#include <rte_ip.h>

static void
echo_reply(void **state)
{
	static const char *const addrs[] = { "10.0.0.2/24", NULL };
	struct tq_test_host h;
	uint8_t frame[256];
	struct rte_mbuf *m;
	struct rte_icmp_hdr *ic;
	uint32_t len;

	assert_int_equal(tq_test_host_init(&h, 2, addrs, NULL), 0);
	len = tq_test_build_icmp4_echo(frame, h.ifc.mac.addr_bytes,
			"10.0.0.1", "10.0.0.2", 7, 1, "abcd", 4);
	tq_test_wire_send(&h, frame, len);
	tq_test_host_poll(&h, 1000);
	m = tq_test_wire_recv(&h);
	assert_non_null(m);
	ic = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *,
			14 + sizeof(struct rte_ipv4_hdr));
	assert_int_equal(ic->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ICMP_OUT_ECHO_REPS), 1);
	rte_pktmbuf_free(m);
	tq_test_host_fini(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(echo_reply),
	};

	if (tq_test_eal_init("smoke") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
