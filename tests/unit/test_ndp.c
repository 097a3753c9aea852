/* SPDX-License-Identifier: BSD-3-Clause */
/* Neighbour discovery (RFC 4861) and ICMPv6 echo through a test host. */
#include "tq_test.h"

#include <errno.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_udp.h>

#define NS 135
#define NA 136
#define OPT_SLLA 1
#define OPT_TLLA 2
#define NA_R 0x80
#define NA_S 0x40
#define NA_O 0x20

static const char *const addrs[] = { "10.0.0.2/24", "fd00::2/64", NULL };
static const uint8_t sn_mac_2[6] = { 0x33, 0x33, 0xff, 0, 0, 0x02 };
static const uint8_t sn_mac_1[6] = { 0x33, 0x33, 0xff, 0, 0, 0x01 };
static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 0x01 };
static const uint8_t other_mac[6] = { 0x02, 0, 0, 0, 0, 0x77 };

/* NS/NA body after the 4-byte ICMPv6 header: flags+reserved, target,
 * and a link-layer address option when opt is non-zero. */
static uint32_t
nd_body(uint8_t *b, uint8_t flags, const char *target, uint8_t opt,
		const uint8_t *mac)
{
	struct tq_addr t = tq_test_addr(target);

	memset(b, 0, 4);
	b[0] = flags;
	memcpy(b + 4, t.v6, 16);
	if (!opt)
		return 20;
	b[20] = opt;
	b[21] = 1;
	memcpy(b + 22, mac, 6);
	return 28;
}

static void
send_nd(struct tq_test_host *h, const uint8_t *dmac, const char *src,
		const char *dst, uint8_t hlim, uint8_t type, uint8_t flags,
		const char *target, uint8_t opt, const uint8_t *mac)
{
	uint8_t body[32], f[128];
	uint32_t blen = nd_body(body, flags, target, opt, mac);

	tq_test_wire_send(h, f, tq_test_build_icmp6(f, dmac, src, dst, hlim,
			type, 0, body, blen));
}

static unsigned int
neigh_count(struct tq_test_host *h)
{
	return tq_neigh_count(tq_net(h->s)->neigh);
}

static bool
resolved(struct tq_test_host *h, const char *a, const uint8_t *mac)
{
	struct tq_addr x = tq_test_addr(a);
	struct rte_ether_addr m;

	if (tq_neigh_lookup(h->s, &x, &m) != 0)
		return false;
	assert_memory_equal(&m, mac, 6);
	return true;
}

/*
 * Take the next frame, check it is an ICMPv6 message of type from src to
 * dst with hop limit hlim and eth dst dmac, with a valid checksum (by the
 * engine's helper and by the test's own); copy it flat into f.
 */
static uint32_t
recv_icmp6(struct tq_test_host *h, uint8_t *f, uint32_t cap,
		const uint8_t *dmac, const char *src, const char *dst,
		uint8_t hlim, uint8_t type)
{
	struct rte_mbuf *m = tq_test_wire_recv(h);
	const struct rte_ether_hdr *eh = (const void *)f;
	const struct rte_ipv6_hdr *ip = (const void *)(f + 14);
	struct tq_addr s = tq_test_addr(src), d = tq_test_addr(dst);
	uint32_t len, plen;

	assert_non_null(m);
	len = rte_pktmbuf_pkt_len(m);
	assert_true(len <= cap && len >= 14 + 40 + 4);
	plen = len - 14 - 40;
	assert_int_equal(tq_cksum_icmp6(&s, &d, m, 14 + 40, plen), 0xffff);
	memcpy(f, rte_pktmbuf_read(m, 0, len, f), len);
	rte_pktmbuf_free(m);
	assert_memory_equal(&eh->dst_addr, dmac, 6);
	assert_memory_equal(&eh->src_addr, &h->ifc.mac, 6);
	assert_int_equal(eh->ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV6));
	assert_int_equal(rte_be_to_cpu_32(ip->vtc_flow) >> 28, 6);
	assert_int_equal(rte_be_to_cpu_16(ip->payload_len), plen);
	assert_int_equal(ip->proto, IPPROTO_ICMPV6);
	assert_int_equal(ip->hop_limits, hlim);
	assert_memory_equal(ip->src_addr, s.v6, 16);
	assert_memory_equal(ip->dst_addr, d.v6, 16);
	assert_true(tq_test_l4_cksum_ok(&s, &d, IPPROTO_ICMPV6, ip + 1, plen));
	assert_int_equal(f[14 + 40], type);
	assert_int_equal(f[14 + 40 + 1], 0);
	return len;
}

/* Check an NA body: flags, target, and our MAC as the target option. */
static void
check_na(const struct tq_test_host *h, const uint8_t *f, uint32_t len,
		uint8_t flags, const char *target)
{
	const uint8_t *b = f + 14 + 40 + 4;
	struct tq_addr t = tq_test_addr(target);

	assert_int_equal(len, 14 + 40 + 4 + 28);
	assert_int_equal(b[0], flags);
	assert_int_equal(b[1] | b[2] | b[3], 0);
	assert_memory_equal(b + 4, t.v6, 16);
	assert_int_equal(b[20], OPT_TLLA);
	assert_int_equal(b[21], 1);
	assert_memory_equal(b + 22, &h->ifc.mac, 6);
}

static void
ns_for_us(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	uint8_t f[256];
	uint32_t len;

	assert_int_equal(tq_test_host_init(&h, 2, addrs, NULL), 0);
	/* Address resolution: to our solicited-node group, with SLLA. */
	send_nd(&h, sn_mac_2, "fd00::1", "ff02::1:ff00:2", 255, NS, 0,
			"fd00::2", OPT_SLLA, other_mac);
	tq_test_host_poll(&h, 1000);
	len = recv_icmp6(&h, f, sizeof(f), other_mac, "fd00::2", "fd00::1",
			255, NA);
	check_na(&h, f, len, NA_S | NA_O, "fd00::2");
	assert_int_equal(tq_test_wire_drain(&h), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_NDP_IN_SOLICITS), 1);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_NDP_OUT_ADVERTS), 1);
	/* The solicitor is learned from its SLLA. */
	assert_true(resolved(&h, "fd00::1", other_mac));

	/* Unicast (reachability probe) without SLLA: answered to the frame's
	 * source MAC. */
	send_nd(&h, h.ifc.mac.addr_bytes, "fd00::5", "fd00::2", 255, NS, 0,
			"fd00::2", 0, NULL);
	tq_test_host_poll(&h, 1000);
	len = recv_icmp6(&h, f, sizeof(f), tq_test_peer_mac, "fd00::2",
			"fd00::5", 255, NA);
	check_na(&h, f, len, NA_S | NA_O, "fd00::2");
	assert_int_equal(tq_test_counter(&h, TQ_CTR_NDP_OUT_ADVERTS), 2);

	/* Duplicate address detection (source ::): to all-nodes, not
	 * solicited. */
	send_nd(&h, sn_mac_2, "::", "ff02::1:ff00:2", 255, NS, 0, "fd00::2",
			0, NULL);
	tq_test_host_poll(&h, 1000);
	len = recv_icmp6(&h, f, sizeof(f), all_nodes_mac, "fd00::2",
			"ff02::1", 255, NA);
	check_na(&h, f, len, NA_O, "fd00::2");
	/* ... and a DAD probe may not carry SLLA (RFC 4861 7.1.1). */
	send_nd(&h, sn_mac_2, "::", "ff02::1:ff00:2", 255, NS, 0, "fd00::2",
			OPT_SLLA, other_mac);
	tq_test_host_poll(&h, 1000);
	assert_int_equal(tq_test_wire_drain(&h), 0);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
ns_ignored(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	uint8_t body[32], f[128];
	uint32_t blen, len;

	assert_int_equal(tq_test_host_init(&h, 2, addrs, NULL), 0);
	/* RFC 4861 7.1.1: hop limit must be 255. */
	send_nd(&h, sn_mac_2, "fd00::1", "ff02::1:ff00:2", 254, NS, 0,
			"fd00::2", OPT_SLLA, other_mac);
	send_nd(&h, sn_mac_2, "fd00::1", "ff02::1:ff00:2", 64, NS, 0,
			"fd00::2", OPT_SLLA, other_mac);
	tq_test_host_poll(&h, 1000);
	assert_int_equal(tq_test_wire_drain(&h), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ICMP6_IN_ERRORS), 2);
	assert_int_equal(neigh_count(&h), 0);

	/* A target that is not ours, asked of us directly. */
	send_nd(&h, h.ifc.mac.addr_bytes, "fd00::1", "fd00::2", 255, NS, 0,
			"fd00::3", OPT_SLLA, other_mac);
	tq_test_host_poll(&h, 1000);
	assert_int_equal(tq_test_wire_drain(&h), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_NDP_IN_SOLICITS), 1);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_NDP_OUT_ADVERTS), 0);
	assert_int_equal(neigh_count(&h), 0);
	/* ... or through a group we did not join. */
	send_nd(&h, (const uint8_t[]){ 0x33, 0x33, 0xff, 0, 0, 3 },
			"fd00::1", "ff02::1:ff00:3", 255, NS, 0, "fd00::3",
			OPT_SLLA, other_mac);
	tq_test_host_poll(&h, 1000);
	assert_int_equal(tq_test_wire_drain(&h), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_IN_ADDR_ERRORS), 1);

	/* A multicast target, a non-zero code, a bad checksum. */
	send_nd(&h, sn_mac_2, "fd00::1", "ff02::1:ff00:2", 255, NS, 0,
			"ff02::1", 0, NULL);
	blen = nd_body(body, 0, "fd00::2", 0, NULL);
	len = tq_test_build_icmp6(f, sn_mac_2, "fd00::1", "ff02::1:ff00:2",
			255, NS, 1, body, blen);
	tq_test_wire_send(&h, f, len);
	len = tq_test_build_icmp6(f, sn_mac_2, "fd00::1", "ff02::1:ff00:2",
			255, NS, 0, body, blen);
	f[len - 1] ^= 0x40;
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	assert_int_equal(tq_test_wire_drain(&h), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ICMP6_IN_ERRORS), 4);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ICMP6_IN_CSUM_ERRORS), 1);
	/* A zero-length option is invalid (RFC 4861 4.6): no learning. */
	blen = nd_body(body, 0, "fd00::2", OPT_SLLA, other_mac);
	body[21] = 0;
	len = tq_test_build_icmp6(f, sn_mac_2, "fd00::1", "ff02::1:ff00:2",
			255, NS, 0, body, blen);
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	assert_int_equal(neigh_count(&h), 0);
	tq_test_wire_drain(&h);

	/* Another host with our address as its source (a duplicate, or
	 * spoofed): not learned, or what we send ourselves would go to
	 * its MAC. */
	send_nd(&h, sn_mac_2, "fd00::2", "ff02::1:ff00:2", 255, NS, 0,
			"fd00::2", OPT_SLLA, other_mac);
	tq_test_host_poll(&h, 1000);
	assert_int_equal(neigh_count(&h), 0);
	tq_test_wire_drain(&h);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
resolve_on_send(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	struct tq_addr dst = tq_test_addr("fd00::1");
	struct tq_addr s6 = tq_test_addr("fd00::2");
	uint8_t f[256];
	const uint8_t *b = f + 14 + 40 + 4;
	const struct rte_ether_hdr *eh = (const void *)f;
	const struct rte_ipv6_hdr *ip = (const void *)(f + 14);
	const struct rte_udp_hdr *uh = (const void *)(ip + 1);
	uint32_t len;

	assert_int_equal(tq_test_host_init(&h, 2, addrs, NULL), 0);
	assert_int_equal(tq_udp_sendto(h.s, NULL, 4000, &dst, 9, "six", 3),
			0);
	tq_test_host_poll(&h, 1000);
	len = recv_icmp6(&h, f, sizeof(f), sn_mac_1, "fd00::2",
			"ff02::1:ff00:1", 255, NS);
	assert_int_equal(len, 14 + 40 + 4 + 28);
	assert_int_equal(b[0] | b[1] | b[2] | b[3], 0);
	assert_memory_equal(b + 4, dst.v6, 16);
	assert_int_equal(b[20], OPT_SLLA);
	assert_int_equal(b[21], 1);
	assert_memory_equal(b + 22, &h.ifc.mac, 6);
	assert_int_equal(tq_test_wire_drain(&h), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_NDP_OUT_SOLICITS), 1);

	/* An NA for someone else, and one with a bad hop limit, change
	 * nothing. */
	send_nd(&h, h.ifc.mac.addr_bytes, "fd00::1", "fd00::2", 255, NA,
			NA_S | NA_O, "fd00::9", OPT_TLLA, other_mac);
	send_nd(&h, h.ifc.mac.addr_bytes, "fd00::1", "fd00::2", 64, NA,
			NA_S | NA_O, "fd00::1", OPT_TLLA, other_mac);
	tq_test_host_poll(&h, 1000);
	assert_int_equal(tq_test_wire_drain(&h), 0);
	assert_false(resolved(&h, "fd00::9", other_mac));
	assert_false(resolved(&h, "fd00::1", other_mac));

	send_nd(&h, h.ifc.mac.addr_bytes, "fd00::1", "fd00::2", 255, NA,
			NA_S | NA_O, "fd00::1", OPT_TLLA, tq_test_peer_mac);
	tq_test_host_poll(&h, 1000);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_NDP_IN_ADVERTS), 2);
	assert_true(resolved(&h, "fd00::1", tq_test_peer_mac));
	len = tq_test_wire_recv_flat(&h, f, sizeof(f));
	assert_int_equal(len, 14 + 40 + 8 + 3);
	assert_memory_equal(&eh->dst_addr, tq_test_peer_mac, 6);
	assert_int_equal(eh->ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV6));
	assert_int_equal(ip->proto, IPPROTO_UDP);
	assert_int_equal(ip->hop_limits, 64);
	assert_memory_equal(ip->src_addr, s6.v6, 16);
	assert_memory_equal(ip->dst_addr, dst.v6, 16);
	assert_int_equal(rte_be_to_cpu_16(uh->src_port), 4000);
	assert_int_equal(rte_be_to_cpu_16(uh->dst_port), 9);
	assert_true(tq_test_l4_cksum_ok(&s6, &dst, IPPROTO_UDP, uh, 11));
	assert_memory_equal(uh + 1, "six", 3);
	assert_int_equal(tq_test_wire_drain(&h), 0);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
echo(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	uint8_t body[64], f[256];
	uint32_t len;

	assert_int_equal(tq_test_host_init(&h, 2, addrs, NULL), 0);
	/* id 0x1234, seq 7, data */
	body[0] = 0x12;
	body[1] = 0x34;
	body[2] = 0;
	body[3] = 7;
	memcpy(body + 4, "ping six", 8);
	len = tq_test_build_icmp6(f, h.ifc.mac.addr_bytes, "fd00::1",
			"fd00::2", 64, 128, 0, body, 12);
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	len = recv_icmp6(&h, f, sizeof(f), tq_test_peer_mac, "fd00::2",
			"fd00::1", 64, 129);
	assert_int_equal(len, 14 + 40 + 4 + 12);
	assert_memory_equal(f + 14 + 40 + 4, body, 12);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ICMP6_IN_ECHOS), 1);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ICMP6_OUT_ECHO_REPS), 1);

	/* To all-nodes: answered from our unicast address. */
	len = tq_test_build_icmp6(f, all_nodes_mac, "fd00::1", "ff02::1", 64,
			128, 0, body, 12);
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	len = recv_icmp6(&h, f, sizeof(f), tq_test_peer_mac, "fd00::2",
			"fd00::1", 64, 129);
	assert_memory_equal(f + 14 + 40 + 4, body, 12);

	/* A bad checksum gets no answer. */
	len = tq_test_build_icmp6(f, h.ifc.mac.addr_bytes, "fd00::1",
			"fd00::2", 64, 128, 0, body, 12);
	f[len - 3] ^= 1;
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	assert_int_equal(tq_test_wire_drain(&h), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ICMP6_IN_CSUM_ERRORS), 1);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ICMP6_OUT_ECHO_REPS), 2);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ns_for_us),
		cmocka_unit_test(ns_ignored),
		cmocka_unit_test(resolve_on_send),
		cmocka_unit_test(echo),
	};

	if (tq_test_eal_init("ndp") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
