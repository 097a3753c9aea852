/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A connection's route cache (struct tq_route_cache): segments go to the
 * next hop's MAC without a route or neighbour lookup each, and the cache
 * follows the neighbour table: a new MAC for the peer is used from the
 * next segment on, and once the entry goes stale the neighbour code sees
 * the sends again and confirms it (RFC 4861 7.3.3 in spirit).
 */
#include "tq_tcptest.h"

#include <string.h>

#define ETH_ARP 0x0806

static const uint8_t new_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x77 };

static void
write_pattern(struct tq_stream *st, uint64_t off, uint32_t n)
{
	uint8_t buf[512];

	assert_true(n <= sizeof(buf));
	tq_tcptest_pattern_fill(buf, off, n);
	assert_int_equal(tq_stream_write(st, buf, n), (int)n);
}

/* The Ethernet destination of the frame tt_expect() read last. */
static bool
last_dst_is(const struct tq_tcptest_conn *c, const uint8_t *mac)
{
	return memcmp(c->buf, mac, 6) == 0;
}

static void
follows_new_mac(void **state)
{
	static struct tt_fx f;
	struct tq_addr peer = tq_test_addr("10.0.0.1");
	struct rte_ether_addr mac;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	write_pattern(f.c.st, 0, 100);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "P.", 1, 1, 100);
	assert_true(last_dst_is(&f.c, tq_test_peer_mac));
	tt_in(&f.c, ".", 1, 101, 0);

	/* The peer moved (a gratuitous ARP, say): the very next segment
	 * goes to its new MAC, not to the one the connection cached. */
	memcpy(&mac, new_mac, 6);
	tq_neigh_update(f.t.h.s, &peer, &mac, false, false);
	write_pattern(f.c.st, 100, 100);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "P.", 101, 1, 100);
	assert_true(last_dst_is(&f.c, new_mac));
	tt_in(&f.c, ".", 1, 201, 0);
	tt_none(&f.c);
	tt_fx_end(&f, TT_FX_ABORT);
}

static void
stale_is_confirmed(void **state)
{
	static struct tt_fx f;
	uint8_t frame[2048];
	uint32_t len;
	unsigned int arps = 0, i;

	tt_fx_begin(&f);
	/* The TCP tests' hosts keep neighbours forever; the defaults. */
	f.t.net.neigh_reachable_ns = 30ull * 1000000000;
	f.t.net.neigh_gc_ns = 60ull * 1000000000;
	tt_fx_up(&f);
	write_pattern(f.c.st, 0, 100);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "P.", 1, 1, 100);
	tt_in(&f.c, ".", 1, 101, 0);
	/* Quiet past the reachable time (30 s): the entry goes stale. */
	for (i = 0; i < 31; i++)
		tt_advance(&f.c, 1000000000);
	tt_none(&f.c);
	write_pattern(f.c.st, 100, 100);
	tt_advance(&f.c, 0);
	/* The segment still goes out to the known MAC, and an ARP request
	 * confirms the entry: the cache no longer skips the neighbour
	 * code. */
	while ((len = tq_test_wire_recv_flat(&f.t.h, frame,
			sizeof(frame))) > 0) {
		if (((uint16_t)frame[12] << 8 | frame[13]) == ETH_ARP)
			arps++;
		else
			assert_memory_equal(frame, tq_test_peer_mac, 6);
	}
	assert_int_equal(arps, 1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_OUT_SEGS) > 0, 1);
	tt_fx_end(&f, TT_FX_ABORT | TT_FX_OPEN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TT_TEST(follows_new_mac),
		TT_TEST(stale_is_confirmed),
	};

	if (tq_test_eal_init("tcp_route") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
