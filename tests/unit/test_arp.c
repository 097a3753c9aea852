/* SPDX-License-Identifier: BSD-3-Clause */
/* ARP and the IPv4 side of the neighbour cache, through a test host. */
#include "tq_test.h"

#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#define MS(x) ((uint64_t)(x) * 1000000ull)

static const char *const addrs[] = { "10.0.0.2/24", NULL };
static const uint8_t zero_mac[6];
static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t other_mac[6] = { 0x02, 0, 0, 0, 0, 0x77 };

static void
send_arp(struct tq_test_host *h, uint16_t op, const uint8_t *sha,
		const char *sip, const uint8_t *tha, const char *tip)
{
	uint8_t f[64];

	tq_test_wire_send(h, f, tq_test_build_arp(f, op, sha, sip, tha, tip));
}

static struct tq_addr
v4(const char *s)
{
	return tq_test_addr(s);
}

static unsigned int
neigh_count(struct tq_test_host *h)
{
	return tq_neigh_count(tq_net(h->s)->neigh);
}

static bool
resolved(struct tq_test_host *h, const char *a, const uint8_t *mac)
{
	struct tq_addr x = v4(a);
	struct rte_ether_addr m;

	if (tq_neigh_lookup(h->s, &x, &m) != 0)
		return false;
	assert_memory_equal(&m, mac, 6);
	return true;
}

/* Check a frame is an ARP request from the host for target. */
static void
check_arp_request(const struct tq_test_host *h, const uint8_t *f,
		uint32_t len, const char *sip, const char *tip,
		const uint8_t *tha)
{
	const struct rte_ether_hdr *eh = (const void *)f;
	const struct rte_arp_hdr *ah = (const void *)(f + 14);

	assert_int_equal(len, 14 + sizeof(*ah));
	assert_memory_equal(&eh->dst_addr, bcast_mac, 6);
	assert_memory_equal(&eh->src_addr, &h->ifc.mac, 6);
	assert_int_equal(eh->ether_type, RTE_BE16(RTE_ETHER_TYPE_ARP));
	assert_int_equal(ah->arp_hardware, RTE_BE16(RTE_ARP_HRD_ETHER));
	assert_int_equal(ah->arp_protocol, RTE_BE16(RTE_ETHER_TYPE_IPV4));
	assert_int_equal(ah->arp_hlen, 6);
	assert_int_equal(ah->arp_plen, 4);
	assert_int_equal(ah->arp_opcode, RTE_BE16(RTE_ARP_OP_REQUEST));
	assert_memory_equal(&ah->arp_data.arp_sha, &h->ifc.mac, 6);
	assert_int_equal(ah->arp_data.arp_sip, v4(sip).v4);
	assert_memory_equal(&ah->arp_data.arp_tha, tha, 6);
	assert_int_equal(ah->arp_data.arp_tip, v4(tip).v4);
}

/* Check a frame is our UDP datagram to the peer, payload as given. */
static void
check_udp(const struct tq_test_host *h, const uint8_t *f, uint32_t len,
		const uint8_t *dmac, const char *dst, uint16_t dport,
		const void *payload, uint32_t plen)
{
	const struct rte_ether_hdr *eh = (const void *)f;
	const struct rte_ipv4_hdr *ip = (const void *)(f + 14);
	const struct rte_udp_hdr *uh = (const void *)(ip + 1);
	struct tq_addr s = v4("10.0.0.2"), d = v4(dst);

	assert_int_equal(len, 14 + 20 + 8 + plen);
	assert_memory_equal(&eh->dst_addr, dmac, 6);
	assert_memory_equal(&eh->src_addr, &h->ifc.mac, 6);
	assert_int_equal(eh->ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV4));
	assert_int_equal(ip->version_ihl, 0x45);
	assert_int_equal(tq_test_cksum(ip, 20, 0), 0xffff);
	assert_int_equal(ip->src_addr, s.v4);
	assert_int_equal(ip->dst_addr, d.v4);
	assert_int_equal(ip->next_proto_id, IPPROTO_UDP);
	assert_int_equal(rte_be_to_cpu_16(uh->dst_port), dport);
	assert_true(tq_test_l4_cksum_ok(&s, &d, IPPROTO_UDP, uh, 8 + plen));
	assert_memory_equal(uh + 1, payload, plen);
}

static void
request_for_us(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	uint8_t f[128];
	const struct rte_ether_hdr *eh = (const void *)f;
	const struct rte_arp_hdr *ah = (const void *)(f + 14);
	uint32_t len;

	assert_int_equal(tq_test_host_init(&h, 2, addrs, NULL), 0);
	/* Padded to the Ethernet minimum, as on a wire. */
	len = tq_test_build_arp(f, RTE_ARP_OP_REQUEST, tq_test_peer_mac,
			"10.0.0.1", zero_mac, "10.0.0.2");
	memset(f + len, 0xab, 60 - len);
	tq_test_wire_send(&h, f, 60);
	tq_test_host_poll(&h, 1000);

	len = tq_test_wire_recv_flat(&h, f, sizeof(f));
	assert_int_equal(len, 14 + sizeof(*ah));
	assert_memory_equal(&eh->dst_addr, tq_test_peer_mac, 6);
	assert_memory_equal(&eh->src_addr, &h.ifc.mac, 6);
	assert_int_equal(eh->ether_type, RTE_BE16(RTE_ETHER_TYPE_ARP));
	assert_int_equal(ah->arp_hardware, RTE_BE16(RTE_ARP_HRD_ETHER));
	assert_int_equal(ah->arp_protocol, RTE_BE16(RTE_ETHER_TYPE_IPV4));
	assert_int_equal(ah->arp_hlen, 6);
	assert_int_equal(ah->arp_plen, 4);
	assert_int_equal(ah->arp_opcode, RTE_BE16(RTE_ARP_OP_REPLY));
	assert_memory_equal(&ah->arp_data.arp_sha, &h.ifc.mac, 6);
	assert_int_equal(ah->arp_data.arp_sip, v4("10.0.0.2").v4);
	assert_memory_equal(&ah->arp_data.arp_tha, tq_test_peer_mac, 6);
	assert_int_equal(ah->arp_data.arp_tip, v4("10.0.0.1").v4);
	assert_int_equal(tq_test_wire_recv_flat(&h, f, sizeof(f)), 0);

	assert_int_equal(tq_test_counter(&h, TQ_CTR_ARP_IN_REQUESTS), 1);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ARP_OUT_REPLIES), 1);
	/* The requester is learned (RFC 826 merge, then add). */
	assert_true(resolved(&h, "10.0.0.1", tq_test_peer_mac));
	assert_int_equal(neigh_count(&h), 1);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
request_not_for_us(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;

	assert_int_equal(tq_test_host_init(&h, 2, addrs, NULL), 0);
	send_arp(&h, RTE_ARP_OP_REQUEST, tq_test_peer_mac, "10.0.0.1",
			zero_mac, "10.0.0.3");
	tq_test_host_poll(&h, 1000);
	assert_int_equal(tq_test_wire_drain(&h), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ARP_NOT_FOR_US), 1);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ARP_OUT_REPLIES), 0);
	/* Not for us: the sender is not added ... */
	assert_false(resolved(&h, "10.0.0.1", tq_test_peer_mac));
	assert_int_equal(neigh_count(&h), 0);

	/* ... but a sender we know is refreshed, new MAC and all. */
	tq_test_host_learn(&h, "10.0.0.1");
	send_arp(&h, RTE_ARP_OP_REQUEST, other_mac, "10.0.0.1", zero_mac,
			"10.0.0.3");
	tq_test_host_poll(&h, 1000);
	assert_true(resolved(&h, "10.0.0.1", other_mac));
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ARP_NOT_FOR_US), 2);

	/* Senders claiming our address, or off-link ones, are not
	 * learned even when they ask for us. */
	send_arp(&h, RTE_ARP_OP_REQUEST, other_mac, "10.0.0.2", zero_mac,
			"10.0.0.2");
	send_arp(&h, RTE_ARP_OP_REQUEST, other_mac, "10.9.0.1", zero_mac,
			"10.0.0.2");
	tq_test_host_poll(&h, 1000);
	assert_int_equal(neigh_count(&h), 1);
	assert_false(resolved(&h, "10.9.0.1", other_mac));
	tq_test_wire_drain(&h);

	/* An unsolicited reply does not add an entry either... */
	send_arp(&h, RTE_ARP_OP_REPLY, other_mac, "10.0.0.9",
			h.ifc.mac.addr_bytes, "10.0.0.7");
	tq_test_host_poll(&h, 1000);
	assert_int_equal(neigh_count(&h), 1);
	assert_int_equal(tq_test_wire_drain(&h), 0);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
malformed(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	uint8_t f[64];
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)(f + 14);
	uint32_t len;
	unsigned int i, n = 0;

	assert_int_equal(tq_test_host_init(&h, 2, addrs, NULL), 0);
	for (i = 0; i < 7; i++) {
		len = tq_test_build_arp(f, RTE_ARP_OP_REQUEST,
				tq_test_peer_mac, "10.0.0.1", zero_mac,
				"10.0.0.2");
		switch (i) {
		case 0:
			ah->arp_hlen = 8;
			break;
		case 1:
			ah->arp_plen = 16;
			break;
		case 2:
			ah->arp_opcode = RTE_BE16(3); /* RARP request */
			break;
		case 3:
			ah->arp_hardware = RTE_BE16(6);
			break;
		case 4:
			ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV6);
			break;
		case 5:
			len -= 1; /* truncated */
			break;
		case 6:
			ah->arp_data.arp_sha.addr_bytes[0] |= 1; /* group */
			break;
		}
		tq_test_wire_send(&h, f, len);
		n++;
		tq_test_host_poll(&h, 1000);
		assert_int_equal(tq_test_counter(&h, TQ_CTR_ARP_MALFORMED), n);
		assert_int_equal(tq_test_wire_drain(&h), 0);
	}
	/* Only the Ethernet header: truncated too. */
	tq_test_wire_send(&h, f, 14);
	tq_test_host_poll(&h, 1000);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ARP_MALFORMED), n + 1);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ARP_IN_REQUESTS), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ARP_OUT_REPLIES), 0);
	assert_int_equal(neigh_count(&h), 0);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
resolve_on_send(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	uint8_t f[256];
	uint32_t len;
	char p[8];
	unsigned int i;

	assert_int_equal(tq_test_host_init(&h, 2, addrs, NULL), 0);
	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "dgram%u", i);
		assert_int_equal(tq_udp_sendto(h.s, NULL, 5000,
				&(struct tq_addr){ .family = AF_INET,
					.v4 = v4("10.0.0.1").v4 }, 7, p, 6),
				0);
	}
	tq_test_host_poll(&h, 1000);
	/* One request for all three, and nothing else yet. */
	len = tq_test_wire_recv_flat(&h, f, sizeof(f));
	check_arp_request(&h, f, len, "10.0.0.2", "10.0.0.1", zero_mac);
	assert_int_equal(tq_test_wire_recv_flat(&h, f, sizeof(f)), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ARP_OUT_REQUESTS), 1);
	assert_false(resolved(&h, "10.0.0.1", tq_test_peer_mac));
	assert_int_equal(neigh_count(&h), 1);

	send_arp(&h, RTE_ARP_OP_REPLY, tq_test_peer_mac, "10.0.0.1",
			h.ifc.mac.addr_bytes, "10.0.0.2");
	tq_test_host_poll(&h, 1000);
	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "dgram%u", i);
		len = tq_test_wire_recv_flat(&h, f, sizeof(f));
		check_udp(&h, f, len, tq_test_peer_mac, "10.0.0.1", 7, p, 6);
	}
	assert_int_equal(tq_test_wire_recv_flat(&h, f, sizeof(f)), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ARP_IN_REPLIES), 1);
	assert_true(resolved(&h, "10.0.0.1", tq_test_peer_mac));

	/* Resolved now: straight out, no request. */
	assert_int_equal(tq_udp_sendto(h.s, NULL, 5000,
			&(struct tq_addr){ .family = AF_INET,
				.v4 = v4("10.0.0.1").v4 }, 7, "x", 1), 0);
	tq_test_host_poll(&h, 1000);
	len = tq_test_wire_recv_flat(&h, f, sizeof(f));
	check_udp(&h, f, len, tq_test_peer_mac, "10.0.0.1", 7, "x", 1);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ARP_OUT_REQUESTS), 1);

	/* Off-link through the gateway: resolves the gateway. */
	h.ifc.gw4 = v4("10.0.0.254");
	assert_int_equal(tq_udp_sendto(h.s, NULL, 5000,
			&(struct tq_addr){ .family = AF_INET,
				.v4 = v4("192.0.2.9").v4 }, 7, "y", 1), 0);
	tq_test_host_poll(&h, 1000);
	len = tq_test_wire_recv_flat(&h, f, sizeof(f));
	check_arp_request(&h, f, len, "10.0.0.2", "10.0.0.254", zero_mac);
	send_arp(&h, RTE_ARP_OP_REPLY, other_mac, "10.0.0.254",
			h.ifc.mac.addr_bytes, "10.0.0.2");
	tq_test_host_poll(&h, 1000);
	len = tq_test_wire_recv_flat(&h, f, sizeof(f));
	check_udp(&h, f, len, other_mac, "192.0.2.9", 7, "y", 1);

	/* No route at all. */
	memset(&h.ifc.gw4, 0, sizeof(h.ifc.gw4));
	assert_int_equal(tq_udp_sendto(h.s, NULL, 5000,
			&(struct tq_addr){ .family = AF_INET,
				.v4 = v4("192.0.2.9").v4 }, 7, "z", 1),
			-EHOSTUNREACH);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_OUT_NO_ROUTES), 1);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
queue_bound(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host_opts o = { 0 };
	struct tq_net_conf conf;
	struct tq_test_host h;
	struct tq_addr dst = v4("10.0.0.1");
	uint8_t f[256];
	unsigned int i, n = 0;
	uint32_t len;

	tq_net_conf_defaults(&conf);
	conf.neigh_queue = 4;
	o.conf = &conf;
	assert_int_equal(tq_test_host_init_opts(&h, 2, addrs, &o), 0);
	for (i = 0; i < 7; i++)
		assert_int_equal(tq_udp_sendto(h.s, NULL, 5000, &dst, 7, &i,
				sizeof(i)), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ARP_QUEUE_FULL), 3);
	tq_test_host_poll(&h, 1000);
	tq_test_wire_drain(&h);
	send_arp(&h, RTE_ARP_OP_REPLY, tq_test_peer_mac, "10.0.0.1",
			h.ifc.mac.addr_bytes, "10.0.0.2");
	tq_test_host_poll(&h, 1000);
	/* The first four, in order. */
	while ((len = tq_test_wire_recv_flat(&h, f, sizeof(f))) != 0) {
		check_udp(&h, f, len, tq_test_peer_mac, "10.0.0.1", 7, &n,
				sizeof(n));
		n++;
	}
	assert_int_equal(n, 4);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
retries_then_unresolved(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host_opts o = { 0 };
	struct tq_net_conf conf;
	struct tq_test_host h;
	struct tq_addr dst = v4("10.0.0.1");
	uint64_t t0, seen[8] = { 0 };
	unsigned int n = 0, i;
	uint8_t f[256];
	uint32_t len;

	tq_net_conf_defaults(&conf);
	conf.neigh_retrans_ns = MS(500);
	conf.neigh_probes = 4;
	o.conf = &conf;
	assert_int_equal(tq_test_host_init_opts(&h, 2, addrs, &o), 0);
	t0 = h.now;
	for (i = 0; i < 2; i++)
		assert_int_equal(tq_udp_sendto(h.s, NULL, 5000, &dst, 7, "q",
				1), 0);
	while (h.now < t0 + MS(4000)) {
		tq_test_host_poll(&h, MS(10));
		while ((len = tq_test_wire_recv_flat(&h, f, sizeof(f))) != 0) {
			check_arp_request(&h, f, len, "10.0.0.2", "10.0.0.1",
					zero_mac);
			assert_true(n < RTE_DIM(seen));
			seen[n++] = h.now;
		}
		/* Given up only after the last request has had its time. */
		if (h.now < t0 + 4 * conf.neigh_retrans_ns)
			assert_int_equal(tq_test_counter(&h,
					TQ_CTR_ARP_UNRESOLVED), 0);
	}
	assert_int_equal(n, conf.neigh_probes);
	assert_int_equal(seen[0], t0 + MS(10));
	/* One every neigh_retrans_ns, at the 100 ms sweep's granularity. */
	for (i = 1; i < n; i++) {
		assert_true(seen[i] - seen[i - 1] >= conf.neigh_retrans_ns -
				MS(10));
		assert_true(seen[i] - seen[i - 1] <= conf.neigh_retrans_ns +
				MS(110));
	}
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ARP_UNRESOLVED), 2);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ARP_OUT_REQUESTS), 4);
	assert_int_equal(neigh_count(&h), 0);
	/* The dropped frames went back to the pool. */
	assert_int_equal(tq_test_pool_avail(), avail);

	/* A new send starts over. */
	assert_int_equal(tq_udp_sendto(h.s, NULL, 5000, &dst, 7, "q", 1), 0);
	tq_test_host_poll(&h, MS(10));
	assert_int_equal(tq_test_wire_drain(&h), 1);
	assert_int_equal(neigh_count(&h), 1);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
aging(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host_opts o = { 0 };
	struct tq_net_conf conf;
	struct tq_test_host h;
	struct tq_addr dst = v4("10.0.0.1");
	uint8_t f[256];
	uint64_t t0;
	uint32_t len;

	tq_net_conf_defaults(&conf);
	conf.neigh_reachable_ns = MS(2000);
	conf.neigh_gc_ns = MS(5000);
	o.conf = &conf;
	assert_int_equal(tq_test_host_init_opts(&h, 2, addrs, &o), 0);
	send_arp(&h, RTE_ARP_OP_REQUEST, tq_test_peer_mac, "10.0.0.1",
			zero_mac, "10.0.0.2");
	tq_test_host_poll(&h, MS(10));
	t0 = h.now;
	tq_test_wire_drain(&h);
	assert_int_equal(neigh_count(&h), 1);

	/* REACHABLE: used without a probe. */
	while (h.now < t0 + MS(1900))
		tq_test_host_poll(&h, MS(100));
	assert_int_equal(tq_udp_sendto(h.s, NULL, 1, &dst, 7, "a", 1), 0);
	tq_test_host_poll(&h, MS(1));
	len = tq_test_wire_recv_flat(&h, f, sizeof(f));
	check_udp(&h, f, len, tq_test_peer_mac, "10.0.0.1", 7, "a", 1);
	assert_int_equal(tq_test_wire_recv_flat(&h, f, sizeof(f)), 0);

	/* STALE: still used, and probed once. */
	while (h.now < t0 + MS(2200))
		tq_test_host_poll(&h, MS(100));
	assert_true(resolved(&h, "10.0.0.1", tq_test_peer_mac));
	assert_int_equal(tq_udp_sendto(h.s, NULL, 1, &dst, 7, "b", 1), 0);
	assert_int_equal(tq_udp_sendto(h.s, NULL, 1, &dst, 7, "c", 1), 0);
	tq_test_host_poll(&h, MS(1));
	len = tq_test_wire_recv_flat(&h, f, sizeof(f));
	check_udp(&h, f, len, tq_test_peer_mac, "10.0.0.1", 7, "b", 1);
	len = tq_test_wire_recv_flat(&h, f, sizeof(f));
	check_arp_request(&h, f, len, "10.0.0.2", "10.0.0.1", zero_mac);
	len = tq_test_wire_recv_flat(&h, f, sizeof(f));
	check_udp(&h, f, len, tq_test_peer_mac, "10.0.0.1", 7, "c", 1);
	assert_int_equal(tq_test_wire_recv_flat(&h, f, sizeof(f)), 0);

	/* No answer: gone once stale past neigh_gc_ns. */
	while (h.now < t0 + MS(4900))
		tq_test_host_poll(&h, MS(100));
	assert_int_equal(neigh_count(&h), 1);
	while (h.now < t0 + MS(5300))
		tq_test_host_poll(&h, MS(100));
	assert_int_equal(neigh_count(&h), 0);
	assert_false(resolved(&h, "10.0.0.1", tq_test_peer_mac));

	/* A reply to a probe makes it REACHABLE again. */
	tq_test_host_learn(&h, "10.0.0.1");
	t0 = h.now;
	while (h.now < t0 + MS(2200))
		tq_test_host_poll(&h, MS(100));
	assert_int_equal(tq_udp_sendto(h.s, NULL, 1, &dst, 7, "d", 1), 0);
	tq_test_host_poll(&h, MS(1));
	assert_int_equal(tq_test_wire_drain(&h), 2); /* datagram + probe */
	send_arp(&h, RTE_ARP_OP_REPLY, tq_test_peer_mac, "10.0.0.1",
			h.ifc.mac.addr_bytes, "10.0.0.2");
	tq_test_host_poll(&h, MS(1));
	t0 = h.now;
	while (h.now < t0 + MS(1500))
		tq_test_host_poll(&h, MS(100));
	assert_int_equal(tq_udp_sendto(h.s, NULL, 1, &dst, 7, "e", 1), 0);
	tq_test_host_poll(&h, MS(1));
	assert_int_equal(tq_test_wire_drain(&h), 1); /* no probe */
	while (h.now < t0 + MS(4000))
		tq_test_host_poll(&h, MS(100));
	assert_int_equal(neigh_count(&h), 1);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
gratuitous(void **state)
{
	static const char *const three[] = { "10.0.0.2/24", "fd00::2/64",
		"192.168.1.5/24", NULL };
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	uint8_t f[128];
	uint32_t len;

	assert_int_equal(tq_test_host_init(&h, 2, three, NULL), 0);
	tq_net_announce(h.s);
	tq_test_host_poll(&h, 1000);
	/* RFC 5227 2.3: sender and target IP ours, target MAC zero. */
	len = tq_test_wire_recv_flat(&h, f, sizeof(f));
	check_arp_request(&h, f, len, "10.0.0.2", "10.0.0.2", zero_mac);
	len = tq_test_wire_recv_flat(&h, f, sizeof(f));
	check_arp_request(&h, f, len, "192.168.1.5", "192.168.1.5",
			zero_mac);
	assert_int_equal(tq_test_wire_recv_flat(&h, f, sizeof(f)), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ARP_OUT_REQUESTS), 2);

	/* Someone else's announcement refreshes an entry we have. */
	tq_test_host_learn(&h, "10.0.0.1");
	send_arp(&h, RTE_ARP_OP_REQUEST, other_mac, "10.0.0.1", zero_mac,
			"10.0.0.1");
	tq_test_host_poll(&h, 1000);
	assert_true(resolved(&h, "10.0.0.1", other_mac));
	assert_int_equal(tq_test_wire_drain(&h), 0);

	/* Another host claiming our address (a conflict, or spoofed)
	 * gets no neighbour entry: what we send ourselves would go to
	 * it. */
	send_arp(&h, RTE_ARP_OP_REQUEST, other_mac, "10.0.0.2", zero_mac,
			"10.0.0.2");
	send_arp(&h, RTE_ARP_OP_REPLY, other_mac, "10.0.0.2",
			h.ifc.mac.addr_bytes, "10.0.0.2");
	tq_test_host_poll(&h, 1000);
	assert_false(resolved(&h, "10.0.0.2", other_mac));
	tq_test_wire_drain(&h);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request_for_us),
		cmocka_unit_test(request_not_for_us),
		cmocka_unit_test(malformed),
		cmocka_unit_test(resolve_on_send),
		cmocka_unit_test(queue_bound),
		cmocka_unit_test(retries_then_unresolved),
		cmocka_unit_test(aging),
		cmocka_unit_test(gratuitous),
	};

	if (tq_test_eal_init("arp") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
