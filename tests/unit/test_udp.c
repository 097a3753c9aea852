/* SPDX-License-Identifier: BSD-3-Clause */
/* UDP: checksums, lengths, delivery, port unreachable and its rate limit,
 * and the bind rules of the socket table. */
#include "tq_test.h"

#include <errno.h>
#include <string.h>

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#define MS(x) ((uint64_t)(x) * 1000000ull)

static const char *const addrs[] = { "10.0.0.2/24", "10.0.0.3/24",
	"fd00::2/64", NULL };
static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* What a socket saw. */
struct sink {
	unsigned int n;
	struct tq_addr src, dst;
	uint16_t sport, dport;
	struct rte_ether_addr peer;
	uint8_t data[2048];
	uint32_t len;
	bool reply;
};

static void
sink_cb(struct tq_shard *s, struct tq_udp_dgram *d, void *arg)
{
	struct sink *k = arg;

	k->n++;
	k->src = d->src;
	k->dst = d->dst;
	k->sport = d->sport;
	k->dport = d->dport;
	k->peer = d->peer_mac;
	k->len = rte_pktmbuf_pkt_len(d->m);
	assert_true(k->len <= sizeof(k->data));
	memcpy(k->data, rte_pktmbuf_read(d->m, 0, k->len, k->data), k->len);
	if (k->reply)
		assert_int_equal(tq_udp_reply(s, d), 0);
	else
		rte_pktmbuf_free(d->m);
}

static void
host_up(struct tq_test_host *h, const struct tq_net_conf *c)
{
	struct tq_test_host_opts o = { .conf = c };

	assert_int_equal(tq_test_host_init_opts(h, 2, addrs, &o), 0);
}

static unsigned int
exchange(struct tq_test_host *h, const uint8_t *f, uint32_t len)
{
	tq_test_wire_send(h, f, len);
	tq_test_host_poll(h, 1000);
	return tq_test_wire_drain(h);
}

static struct rte_udp_hdr *
udp4_of(uint8_t *f)
{
	return (struct rte_udp_hdr *)(f + 14 + 20);
}

static struct rte_udp_hdr *
udp6_of(uint8_t *f)
{
	return (struct rte_udp_hdr *)(f + 14 + 40);
}

static void
delivery_and_checksums(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	struct sink k = { 0 };
	struct tq_addr a;
	uint8_t f[256];
	uint32_t len;

	host_up(&h, NULL);
	assert_int_equal(tq_udp_table_bind(&h.udp, NULL, 53, sink_cb, &k),
			0);

	/* Delivered, zero copy, with its addresses and ports. */
	len = tq_test_build_udp4(f, h.ifc.mac.addr_bytes, "10.0.0.1",
			"10.0.0.3", 4444, 53, "query", 5);
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(k.n, 1);
	assert_int_equal(k.len, 5);
	assert_memory_equal(k.data, "query", 5);
	a = tq_test_addr("10.0.0.1");
	assert_true(tq_addr_equal(&k.src, &a));
	a = tq_test_addr("10.0.0.3");
	assert_true(tq_addr_equal(&k.dst, &a));
	assert_int_equal(k.sport, 4444);
	assert_int_equal(k.dport, 53);
	assert_memory_equal(&k.peer, tq_test_peer_mac, 6);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_UDP_IN_DATAGRAMS), 1);

	/* Bad checksum, both families. */
	len = tq_test_build_udp4(f, h.ifc.mac.addr_bytes, "10.0.0.1",
			"10.0.0.2", 4444, 53, "query", 5);
	udp4_of(f)->dgram_cksum ^= 0x0400;
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_UDP_IN_CSUM_ERRORS), 1);
	len = tq_test_build_udp6(f, h.ifc.mac.addr_bytes, "fd00::1",
			"fd00::2", 4444, 53, "query", 5);
	f[len - 1] ^= 0x01;
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_UDP_IN_CSUM_ERRORS), 2);
	assert_int_equal(k.n, 1);

	/* No checksum: fine on IPv4 (RFC 768), not on IPv6 (RFC 8200 8.1). */
	len = tq_test_build_udp4(f, h.ifc.mac.addr_bytes, "10.0.0.1",
			"10.0.0.2", 4444, 53, "nocsum", 6);
	udp4_of(f)->dgram_cksum = 0;
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(k.n, 2);
	assert_memory_equal(k.data, "nocsum", 6);
	len = tq_test_build_udp6(f, h.ifc.mac.addr_bytes, "fd00::1",
			"fd00::2", 4444, 53, "nocsum", 6);
	udp6_of(f)->dgram_cksum = 0;
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(k.n, 2);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_UDP_IN_CSUM_ERRORS), 3);

	/* A good IPv6 one. */
	len = tq_test_build_udp6(f, h.ifc.mac.addr_bytes, "fd00::1",
			"fd00::2", 4444, 53, "six", 3);
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(k.n, 3);
	a = tq_test_addr("fd00::1");
	assert_true(tq_addr_equal(&k.src, &a));
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
lengths(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	struct sink k = { 0 };
	uint8_t f[256], l4[64];
	uint32_t len, l4len;

	host_up(&h, NULL);
	assert_int_equal(tq_udp_table_bind(&h.udp, NULL, 53, sink_cb, &k),
			0);

	/* Shorter than a UDP header. */
	len = tq_test_build_ip4(f, h.ifc.mac.addr_bytes, "10.0.0.1",
			"10.0.0.2", IPPROTO_UDP, NULL, 0, "abcd", 4);
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_UDP_IN_ERRORS), 1);

	/* UDP length below 8, and beyond the IP payload. */
	len = tq_test_build_udp4(f, h.ifc.mac.addr_bytes, "10.0.0.1",
			"10.0.0.2", 4444, 53, "query", 5);
	udp4_of(f)->dgram_len = rte_cpu_to_be_16(7);
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_UDP_IN_ERRORS), 2);
	len = tq_test_build_udp4(f, h.ifc.mac.addr_bytes, "10.0.0.1",
			"10.0.0.2", 4444, 53, "query", 5);
	udp4_of(f)->dgram_len = rte_cpu_to_be_16(14);
	assert_int_equal(exchange(&h, f, len), 0);
	len = tq_test_build_udp6(f, h.ifc.mac.addr_bytes, "fd00::1",
			"fd00::2", 4444, 53, "query", 5);
	udp6_of(f)->dgram_len = rte_cpu_to_be_16(14);
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_UDP_IN_ERRORS), 4);
	assert_int_equal(k.n, 0);

	/* UDP length shorter than the IP payload: the rest is not data. */
	l4len = tq_test_udp_dgram(l4, "10.0.0.1", "10.0.0.2", 4444, 53, "abc",
			3);
	memset(l4 + l4len, 0xee, 5);
	len = tq_test_build_ip4(f, h.ifc.mac.addr_bytes, "10.0.0.1",
			"10.0.0.2", IPPROTO_UDP, NULL, 0, l4, l4len + 5);
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(k.n, 1);
	assert_int_equal(k.len, 3);
	assert_memory_equal(k.data, "abc", 3);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_UDP_IN_ERRORS), 4);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
unreach4(void **state)
{
	static uint8_t big[1200];
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	uint8_t f[2048], r[2048];
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(r + 14);
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(ip + 1);
	struct tq_addr us = tq_test_addr("10.0.0.3");
	struct tq_addr peer = tq_test_addr("10.0.0.1");
	uint32_t len, rlen;

	host_up(&h, NULL);
	len = tq_test_build_udp4(f, h.ifc.mac.addr_bytes, "10.0.0.1",
			"10.0.0.3", 4444, 9, "closed", 6);
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	rlen = tq_test_wire_recv_flat(&h, r, sizeof(r));
	/* Ethernet, IP, ICMP header, then the IP header and all 14 bytes of
	 * the datagram (it fits). */
	assert_int_equal(rlen, 14 + 20 + 8 + 20 + 8 + 6);
	assert_memory_equal(r, tq_test_peer_mac, 6);
	assert_int_equal(tq_test_cksum(ip, 20, 0), 0xffff);
	assert_int_equal(ip->next_proto_id, IPPROTO_ICMP);
	assert_int_equal(ip->src_addr, us.v4);
	assert_int_equal(ip->dst_addr, peer.v4);
	assert_int_equal(ic->icmp_type, 3);
	assert_int_equal(ic->icmp_code, 3);
	assert_int_equal(tq_test_cksum(ic, rlen - 14 - 20, 0), 0xffff);
	assert_memory_equal(ic + 1, f + 14, len - 14);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_UDP_NO_PORTS), 1);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ICMP_OUT_DEST_UNREACHS),
			1);

	/* A big datagram is quoted only as far as 576 bytes allow. */
	memset(big, 0x3c, sizeof(big));
	len = tq_test_build_udp4(f, h.ifc.mac.addr_bytes, "10.0.0.1",
			"10.0.0.2", 4444, 9, big, sizeof(big));
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	rlen = tq_test_wire_recv_flat(&h, r, sizeof(r));
	assert_int_equal(rlen, 14 + 576);
	assert_int_equal(rte_be_to_cpu_16(ip->total_length), 576);
	assert_int_equal(tq_test_cksum(ic, 576 - 20, 0), 0xffff);
	assert_memory_equal(ic + 1, f + 14, 576 - 20 - 8);

	/* Not for broadcasts: subnet, limited, or by MAC. */
	len = tq_test_build_udp4(f, h.ifc.mac.addr_bytes, "10.0.0.1",
			"10.0.0.255", 4444, 9, "b", 1);
	assert_int_equal(exchange(&h, f, len), 0);
	len = tq_test_build_udp4(f, bcast_mac, "10.0.0.1", "255.255.255.255",
			4444, 9, "b", 1);
	assert_int_equal(exchange(&h, f, len), 0);
	len = tq_test_build_udp4(f, bcast_mac, "10.0.0.1", "10.0.0.2", 4444,
			9, "b", 1);
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_UDP_NO_PORTS), 5);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ICMP_OUT_DEST_UNREACHS),
			2);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
unreach6(void **state)
{
	static uint8_t big[1400];
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	uint8_t f[2048], r[2048];
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(r + 14);
	uint8_t *ic = (uint8_t *)(ip + 1);
	struct tq_addr us = tq_test_addr("fd00::2");
	struct tq_addr peer = tq_test_addr("fd00::1");
	struct rte_mbuf *m;
	uint32_t len, rlen;

	host_up(&h, NULL);
	len = tq_test_build_udp6(f, h.ifc.mac.addr_bytes, "fd00::1",
			"fd00::2", 4444, 9, "closed", 6);
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	m = tq_test_wire_recv(&h);
	assert_non_null(m);
	rlen = rte_pktmbuf_pkt_len(m);
	assert_int_equal(rlen, 14 + 40 + 8 + 40 + 8 + 6);
	assert_int_equal(tq_cksum_icmp6(&us, &peer, m, 14 + 40, rlen - 54),
			0xffff);
	memcpy(r, rte_pktmbuf_read(m, 0, rlen, r), rlen);
	rte_pktmbuf_free(m);
	assert_memory_equal(r, tq_test_peer_mac, 6);
	assert_int_equal(ip->proto, IPPROTO_ICMPV6);
	assert_memory_equal(ip->src_addr, us.v6, 16);
	assert_memory_equal(ip->dst_addr, peer.v6, 16);
	assert_int_equal(ic[0], 1);
	assert_int_equal(ic[1], 4);
	assert_int_equal(ic[4] | ic[5] | ic[6] | ic[7], 0);
	assert_true(tq_test_l4_cksum_ok(&us, &peer, IPPROTO_ICMPV6, ic,
			rlen - 54));
	assert_memory_equal(ic + 8, f + 14, len - 14);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ICMP6_OUT_DEST_UNREACHS),
			1);

	/* A big one is cut so the error fits the minimum MTU, 1280. */
	memset(big, 0xc3, sizeof(big));
	len = tq_test_build_udp6(f, h.ifc.mac.addr_bytes, "fd00::1",
			"fd00::2", 4444, 9, big, sizeof(big));
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	rlen = tq_test_wire_recv_flat(&h, r, sizeof(r));
	assert_true(rlen - 14 <= 1280);
	assert_true(rlen - 14 > 1200);
	assert_true(tq_test_l4_cksum_ok(&us, &peer, IPPROTO_ICMPV6, ic,
			rlen - 54));
	assert_memory_equal(ic + 8, f + 14, rlen - 14 - 40 - 8);

	/* None for a datagram to a group. */
	len = tq_test_build_udp6(f, (const uint8_t[]){ 0x33, 0x33, 0, 0, 0,
			1 }, "fd00::1", "ff02::1", 4444, 9, "g", 1);
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_UDP_NO_PORTS), 3);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ICMP6_OUT_DEST_UNREACHS),
			2);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

/* Send n datagrams to a closed port in one burst; return the ICMP
 * errors that came back. */
static unsigned int
closed_burst(struct tq_test_host *h, unsigned int n, bool v6,
		uint64_t advance)
{
	uint8_t f[256];
	unsigned int i;
	uint32_t len;

	for (i = 0; i < n; i++) {
		if (v6 && (i & 1))
			len = tq_test_build_udp6(f, h->ifc.mac.addr_bytes,
					"fd00::1", "fd00::2", 4444, 9, "r", 1);
		else
			len = tq_test_build_udp4(f, h->ifc.mac.addr_bytes,
					"10.0.0.1", "10.0.0.2", 4444, 9, "r",
					1);
		tq_test_wire_send(h, f, len);
	}
	tq_test_host_poll(h, advance);
	return tq_test_wire_drain(h);
}

static void
rate_limit(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	struct tq_net_conf conf;

	tq_net_conf_defaults(&conf);
	conf.icmp_rate = 10;	/* one token every 100 ms */
	conf.icmp_burst = 3;
	host_up(&h, &conf);

	/* A burst: exactly icmp_burst answers, the rest counted. */
	assert_int_equal(closed_burst(&h, 10, false, 0), 3);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ICMP_RATELIMITED), 7);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_UDP_NO_PORTS), 10);
	/* No time, no tokens. */
	assert_int_equal(closed_burst(&h, 2, false, 0), 0);
	/* Half a token is not one. */
	assert_int_equal(closed_burst(&h, 2, false, MS(50)), 0);
	/* 100 ms later one more (the 50 above counts). */
	assert_int_equal(closed_burst(&h, 3, false, MS(50)), 1);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ICMP_RATELIMITED),
			7 + 2 + 2 + 2);
	/* A long pause refills to the burst, not beyond; IPv6 errors
	 * draw on the same bucket. */
	assert_int_equal(closed_burst(&h, 8, true, MS(10000)), 3);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ICMP_OUT_DEST_UNREACHS) +
			tq_test_counter(&h, TQ_CTR_ICMP6_OUT_DEST_UNREACHS),
			3 + 1 + 3);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ICMP6_OUT_DEST_UNREACHS),
			1);
	/* Steady 10 a second is all answered. */
	{
		unsigned int i, got = 0;

		for (i = 0; i < 20; i++)
			got += closed_burst(&h, 1, false, MS(100));
		assert_int_equal(got, 20);
	}
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
nop_cb(struct tq_shard *s, struct tq_udp_dgram *d, void *arg)
{
	rte_pktmbuf_free(d->m);
}

/* The list binds made before the workers run: only the same address and
 * port conflict; it grows past its in-place entries. */
static void
bind_rules(void **state)
{
	static struct tq_udp_table t;
	struct tq_addr a2 = tq_test_addr("10.0.0.2");
	struct tq_addr a3 = tq_test_addr("10.0.0.3");
	struct tq_addr six = tq_test_addr("fd00::2");
	struct tq_addr any4 = tq_test_addr("0.0.0.0");
	struct tq_addr any6 = tq_test_addr("::");
	struct tq_addr bad = { .family = 99 };
	unsigned int i;

	memset(&t, 0, sizeof(t));
	assert_int_equal(tq_udp_table_bind(&t, NULL, 0, nop_cb, NULL),
			-EINVAL);
	assert_int_equal(tq_udp_table_bind(&t, &a2, 0, nop_cb, NULL),
			-EINVAL);
	assert_int_equal(tq_udp_table_bind(&t, NULL, 53, NULL, NULL),
			-EINVAL);
	assert_int_equal(tq_udp_table_bind(&t, &bad, 53, nop_cb, NULL),
			-EINVAL);
	assert_int_equal(t.n, 0);

	/* The wildcard once; unspecified addresses of either family are
	 * that wildcard. */
	assert_int_equal(tq_udp_table_bind(&t, NULL, 53, nop_cb, NULL), 0);
	assert_int_equal(tq_udp_table_bind(&t, NULL, 53, nop_cb, NULL),
			-EADDRINUSE);
	assert_int_equal(tq_udp_table_bind(&t, &any4, 53, nop_cb, NULL),
			-EADDRINUSE);
	assert_int_equal(tq_udp_table_bind(&t, &any6, 53, nop_cb, NULL),
			-EADDRINUSE);
	assert_int_equal(t.socks[0].addr.family, 0);
	/* Exact addresses next to it, each once. */
	assert_int_equal(tq_udp_table_bind(&t, &a2, 53, nop_cb, NULL), 0);
	assert_int_equal(tq_udp_table_bind(&t, &a3, 53, nop_cb, NULL), 0);
	assert_int_equal(tq_udp_table_bind(&t, &six, 53, nop_cb, NULL), 0);
	assert_int_equal(tq_udp_table_bind(&t, &a2, 53, nop_cb, NULL),
			-EADDRINUSE);
	assert_int_equal(tq_udp_table_bind(&t, &six, 53, nop_cb, NULL),
			-EADDRINUSE);
	/* and before it */
	assert_int_equal(tq_udp_table_bind(&t, &a2, 54, nop_cb, NULL), 0);
	assert_int_equal(tq_udp_table_bind(&t, &any6, 54, nop_cb, NULL), 0);
	assert_int_equal(t.n, 6);

	/* Past the 64 held in place. */
	for (i = 0; i < 1000; i++)
		assert_int_equal(tq_udp_table_bind(&t, NULL,
				(uint16_t)(1000 + i), nop_cb, NULL), 0);
	assert_int_equal(t.n, 1006);
	assert_int_equal(tq_udp_table_bind(&t, NULL, 1999, nop_cb, NULL),
			-EADDRINUSE);
	assert_int_equal(t.more[1006 - 1 - TQ_UDP_TABLE_INLINE].port, 1999);
	tq_udp_table_fini(&t);
	assert_int_equal(t.n, 0);
	assert_null(t.more);
}

/* An exact-address socket takes its datagrams whichever was bound first;
 * the wildcard gets the rest. */
static void
exact_beats_wildcard(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	struct sink wild = { 0 }, exact = { 0 };
	struct tq_addr x = tq_test_addr("10.0.0.3");
	uint8_t f[256];
	uint32_t len;
	unsigned int order;

	for (order = 0; order < 2; order++) {
		memset(&wild, 0, sizeof(wild));
		memset(&exact, 0, sizeof(exact));
		host_up(&h, NULL);
		if (order == 0) {
			assert_int_equal(tq_udp_shard_bind(h.s, NULL, 7,
					sink_cb, &wild), 0);
			assert_int_equal(tq_udp_shard_bind(h.s, &x, 7,
					sink_cb, &exact), 0);
		} else {
			assert_int_equal(tq_udp_shard_bind(h.s, &x, 7,
					sink_cb, &exact), 0);
			assert_int_equal(tq_udp_shard_bind(h.s, NULL, 7,
					sink_cb, &wild), 0);
		}

		len = tq_test_build_udp4(f, h.ifc.mac.addr_bytes, "10.0.0.1",
				"10.0.0.3", 1, 7, "x", 1);
		assert_int_equal(exchange(&h, f, len), 0);
		len = tq_test_build_udp4(f, h.ifc.mac.addr_bytes, "10.0.0.1",
				"10.0.0.2", 1, 7, "w", 1);
		assert_int_equal(exchange(&h, f, len), 0);
		len = tq_test_build_udp6(f, h.ifc.mac.addr_bytes, "fd00::1",
				"fd00::2", 1, 7, "w", 1);
		assert_int_equal(exchange(&h, f, len), 0);
		assert_int_equal(exact.n, 1);
		assert_memory_equal(exact.data, "x", 1);
		assert_int_equal(wild.n, 2);
		assert_memory_equal(wild.data, "w", 1);
		/* a port nobody has */
		len = tq_test_build_udp4(f, h.ifc.mac.addr_bytes, "10.0.0.1",
				"10.0.0.3", 1, 8, "n", 1);
		assert_int_equal(exchange(&h, f, len), 1);

		/* Without the exact one its address falls to the wildcard;
		 * without both, the port is closed. */
		assert_int_equal(tq_udp_shard_unbind(h.s, &x, 7), 0);
		len = tq_test_build_udp4(f, h.ifc.mac.addr_bytes, "10.0.0.1",
				"10.0.0.3", 1, 7, "y", 1);
		assert_int_equal(exchange(&h, f, len), 0);
		assert_int_equal(exact.n, 1);
		assert_int_equal(wild.n, 3);
		assert_int_equal(tq_udp_shard_unbind(h.s, NULL, 7), 0);
		assert_int_equal(exchange(&h, f, len), 1);
		assert_int_equal(wild.n, 3);
		tq_test_host_fini(&h);
	}
	assert_int_equal(tq_test_pool_avail(), avail);
}

/* A reply to a broadcast comes from our unicast address on that link. */
static void
reply_to_broadcast(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	struct sink k = { .reply = true };
	struct tq_addr us = tq_test_addr("10.0.0.2");
	struct tq_addr peer = tq_test_addr("10.0.0.1");
	uint8_t f[256];
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + 14);
	uint32_t len;

	host_up(&h, NULL);
	assert_int_equal(tq_udp_table_bind(&h.udp, NULL, 67, sink_cb, &k),
			0);
	len = tq_test_build_udp4(f, bcast_mac, "10.0.0.1", "255.255.255.255",
			68, 67, "disc", 4);
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	len = tq_test_wire_recv_flat(&h, f, sizeof(f));
	assert_int_equal(len, 14 + 20 + 8 + 4);
	assert_memory_equal(f, tq_test_peer_mac, 6);
	assert_int_equal(ip->src_addr, us.v4);
	assert_int_equal(ip->dst_addr, peer.v4);
	assert_true(tq_test_l4_cksum_ok(&us, &peer, IPPROTO_UDP, ip + 1, 12));
	assert_int_equal(rte_be_to_cpu_16(udp4_of(f)->src_port), 67);
	assert_int_equal(rte_be_to_cpu_16(udp4_of(f)->dst_port), 68);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(delivery_and_checksums),
		cmocka_unit_test(lengths),
		cmocka_unit_test(unreach4),
		cmocka_unit_test(unreach6),
		cmocka_unit_test(rate_limit),
		cmocka_unit_test(bind_rules),
		cmocka_unit_test(exact_beats_wildcard),
		cmocka_unit_test(reply_to_broadcast),
	};

	if (tq_test_eal_init("udp") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
