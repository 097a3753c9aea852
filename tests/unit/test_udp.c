/* SPDX-License-Identifier: BSD-3-Clause */
/* UDP: checksums, lengths, delivery, port unreachable and its rate limit,
 * the bind rules and per-worker tables, TOS/ECN both ways, burst send. */
#include "tq_test.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <tachyon/tq_worker.h>

#include "core/tq_module.h"

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
	uint8_t tos;
	bool reply;
	int reply_tos;	/* >= 0: reply with tq_udp_reply_tos() */
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
	k->tos = d->tos;
	k->len = rte_pktmbuf_pkt_len(d->m);
	assert_true(k->len <= sizeof(k->data));
	memcpy(k->data, rte_pktmbuf_read(d->m, 0, k->len, k->data), k->len);
	if (k->reply && k->reply_tos >= 0)
		assert_int_equal(tq_udp_reply_tos(s, d, (uint8_t)k->reply_tos),
				0);
	else if (k->reply)
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
	struct sink k = { .reply = true, .reply_tos = -1 };
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

/* Which socket a datagram reached: the arg of the one that got it. */
static uintptr_t last_arg;
static unsigned int idx_n;

static void
idx_cb(struct tq_shard *s, struct tq_udp_dgram *d, void *arg)
{
	last_arg = (uintptr_t)arg;
	idx_n++;
	rte_pktmbuf_free(d->m);
}

/* Send one datagram to dst:port; returns the frames the host sent back
 * (an ICMP error for a closed port) and leaves who got it in last_arg. */
static unsigned int
to_port(struct tq_test_host *h, const char *dst, uint16_t port)
{
	uint8_t f[256];
	uint32_t len;

	last_arg = 0;
	if (strchr(dst, ':'))
		len = tq_test_build_udp6(f, h->ifc.mac.addr_bytes, "fd00::1",
				dst, 4444, port, "p", 1);
	else
		len = tq_test_build_udp4(f, h->ifc.mac.addr_bytes, "10.0.0.1",
				dst, 4444, port, "p", 1);
	return exchange(h, f, len);
}

/* Thousands of sockets on one worker, far past the old 64, up to the
 * configured limit; each datagram finds its own. */
static void
many_binds(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	struct tq_net_conf conf;
	struct tq_addr a2 = tq_test_addr("10.0.0.2");
	struct tq_addr six = tq_test_addr("fd00::2");
	unsigned int i;

	tq_net_conf_defaults(&conf);
	conf.udp_max_socks = 6000;
	conf.icmp_burst = 100000; /* every closed port answers */
	host_up(&h, &conf);
	/* ports 1000..3999: wildcard; 1000..2999 also 10.0.0.2 (odd arg
	 * marks the exact one); fd00::2 on 5000.. */
	for (i = 0; i < 3000; i++)
		assert_int_equal(tq_udp_shard_bind(h.s, NULL,
				(uint16_t)(1000 + i), idx_cb,
				(void *)(uintptr_t)(2 * (1000 + i))), 0);
	for (i = 0; i < 2000; i++)
		assert_int_equal(tq_udp_shard_bind(h.s, &a2,
				(uint16_t)(1000 + i), idx_cb,
				(void *)(uintptr_t)(2 * (1000 + i) + 1)), 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(tq_udp_shard_bind(h.s, &six,
				(uint16_t)(5000 + i), idx_cb,
				(void *)(uintptr_t)(2 * (5000 + i) + 1)), 0);
	assert_int_equal(tq_udp_shard_count(h.s), 6000);
	assert_int_equal(tq_udp_shard_bind(h.s, NULL, 9000, idx_cb, NULL),
			-ENOSPC);
	assert_int_equal(tq_udp_shard_bind(h.s, &a2, 1000, idx_cb, NULL),
			-EADDRINUSE);

	for (i = 0; i < 3000; i += 7) {
		uint16_t p = (uint16_t)(1000 + i);

		/* exact for 10.0.0.2 where bound, wildcard for 10.0.0.3 */
		assert_int_equal(to_port(&h, "10.0.0.2", p), 0);
		assert_int_equal(last_arg, 2 * p + (i < 2000));
		assert_int_equal(to_port(&h, "10.0.0.3", p), 0);
		assert_int_equal(last_arg, 2 * p);
		assert_int_equal(to_port(&h, "fd00::2", p), 0);
		assert_int_equal(last_arg, 2 * p);
	}
	assert_int_equal(to_port(&h, "fd00::2", 5999), 0);
	assert_int_equal(last_arg, 2 * 5999 + 1);
	/* An IPv6 exact bind is not the IPv4 wildcard's business. */
	assert_int_equal(to_port(&h, "10.0.0.2", 5999), 1);
	assert_int_equal(to_port(&h, "10.0.0.2", 4000), 1);

	/* Unbinding every other wildcard closes exactly those ports. */
	for (i = 2000; i < 3000; i += 2)
		assert_int_equal(tq_udp_shard_unbind(h.s, NULL,
				(uint16_t)(1000 + i)), 0);
	assert_int_equal(tq_udp_shard_count(h.s), 5500);
	for (i = 2000; i < 3000; i++) {
		assert_int_equal(to_port(&h, "10.0.0.3",
				(uint16_t)(1000 + i)), (i & 1) ? 0 : 1);
		assert_int_equal(last_arg, (i & 1) ? 2 * (1000 + i) : 0);
	}
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

/* The default limit is 65536 sockets a worker. */
static void
default_limit(void **state)
{
	struct tq_test_host h;
	struct tq_addr a2 = tq_test_addr("10.0.0.2");
	unsigned int i;

	host_up(&h, NULL);
	for (i = 1; i <= 65535; i++)
		assert_int_equal(tq_udp_shard_bind(h.s, NULL, (uint16_t)i,
				idx_cb, NULL), 0);
	assert_int_equal(tq_udp_shard_bind(h.s, &a2, 1, idx_cb, NULL), 0);
	assert_int_equal(tq_udp_shard_bind(h.s, &a2, 2, idx_cb, NULL),
			-ENOSPC);
	assert_int_equal(tq_udp_shard_count(h.s), 65536);
	assert_int_equal(to_port(&h, "10.0.0.2", 65535), 0);
	assert_int_equal(idx_n > 0, 1);
	tq_test_host_fini(&h);
}

static void
unbind_self_cb(struct tq_shard *s, struct tq_udp_dgram *d, void *arg)
{
	unsigned int i;

	idx_n++;
	assert_int_equal(tq_udp_shard_unbind(s, NULL, d->dport), 0);
	/* and grow the table under the caller's feet */
	for (i = 0; i < 200; i++)
		assert_int_equal(tq_udp_shard_bind(s, NULL,
				(uint16_t)(20000 + i), idx_cb, NULL), 0);
	rte_pktmbuf_free(d->m);
}

/* Bind, unbind, rebind on a running worker: an unbound port answers
 * like one never bound, ICMP port unreachable, in both families. */
static void
bind_unbind_rebind(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	struct sink k1 = { 0 }, k2 = { 0 };
	struct tq_addr a3 = tq_test_addr("10.0.0.3");
	struct tq_addr bad = { .family = 7 };
	uint8_t f[256], r[512];
	uint32_t len, rlen;

	host_up(&h, NULL);
	assert_int_equal(tq_udp_shard_bind(h.s, NULL, 0, sink_cb, &k1),
			-EINVAL);
	assert_int_equal(tq_udp_shard_bind(h.s, NULL, 53, NULL, &k1),
			-EINVAL);
	assert_int_equal(tq_udp_shard_bind(h.s, &bad, 53, sink_cb, &k1),
			-EINVAL);
	assert_int_equal(tq_udp_shard_unbind(h.s, NULL, 0), -EINVAL);
	assert_int_equal(tq_udp_shard_unbind(h.s, NULL, 53), -ENOENT);

	assert_int_equal(tq_udp_shard_bind(h.s, NULL, 53, sink_cb, &k1), 0);
	assert_int_equal(tq_udp_shard_bind(h.s, NULL, 53, sink_cb, &k2),
			-EADDRINUSE);
	assert_int_equal(to_port(&h, "10.0.0.2", 53), 0);
	assert_int_equal(to_port(&h, "fd00::2", 53), 0);
	assert_int_equal(k1.n, 2);
	/* Only what was bound unbinds. */
	assert_int_equal(tq_udp_shard_unbind(h.s, &a3, 53), -ENOENT);
	assert_int_equal(tq_udp_shard_unbind(h.s, NULL, 53), 0);
	assert_int_equal(tq_udp_shard_unbind(h.s, NULL, 53), -ENOENT);

	/* Closed now: the same ICMP error as a port never bound. */
	len = tq_test_build_udp4(f, h.ifc.mac.addr_bytes, "10.0.0.1",
			"10.0.0.2", 4444, 53, "gone", 4);
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	rlen = tq_test_wire_recv_flat(&h, r, sizeof(r));
	assert_int_equal(rlen, 14 + 20 + 8 + 20 + 8 + 4);
	assert_int_equal(r[14 + 9], IPPROTO_ICMP);
	assert_int_equal(r[14 + 20], 3);
	assert_int_equal(r[14 + 20 + 1], 3);
	assert_memory_equal(r + 14 + 20 + 8, f + 14, len - 14);
	len = tq_test_build_udp6(f, h.ifc.mac.addr_bytes, "fd00::1",
			"fd00::2", 4444, 53, "gone", 4);
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	rlen = tq_test_wire_recv_flat(&h, r, sizeof(r));
	assert_int_equal(rlen, 14 + 40 + 8 + 40 + 8 + 4);
	assert_int_equal(r[14 + 6], IPPROTO_ICMPV6);
	assert_int_equal(r[14 + 40], 1);
	assert_int_equal(r[14 + 40 + 1], 4);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_UDP_NO_PORTS), 2);
	assert_int_equal(k1.n, 2);

	/* Rebound, to someone else. */
	assert_int_equal(tq_udp_shard_bind(h.s, NULL, 53, sink_cb, &k2), 0);
	assert_int_equal(to_port(&h, "10.0.0.2", 53), 0);
	assert_int_equal(k1.n, 2);
	assert_int_equal(k2.n, 1);

	/* A socket that unbinds itself (and grows the table) from its
	 * callback gets that datagram and no more. */
	idx_n = 0;
	assert_int_equal(tq_udp_shard_bind(h.s, NULL, 99, unbind_self_cb,
			NULL), 0);
	assert_int_equal(to_port(&h, "10.0.0.2", 99), 0);
	assert_int_equal(idx_n, 1);
	assert_int_equal(to_port(&h, "10.0.0.2", 99), 1);
	assert_int_equal(tq_udp_shard_count(h.s), 201);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

/* Binds recorded in the list reach a worker that runs already, once; a
 * shard unbind of one is not undone by later list entries. */
static void
list_then_shard(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;

	host_up(&h, NULL);
	assert_int_equal(tq_udp_table_bind(&h.udp, NULL, 53, idx_cb,
			(void *)53), 0);
	assert_int_equal(to_port(&h, "10.0.0.2", 53), 0);
	assert_int_equal(last_arg, 53);
	assert_int_equal(tq_udp_shard_unbind(h.s, NULL, 53), 0);
	assert_int_equal(tq_udp_table_bind(&h.udp, NULL, 54, idx_cb,
			(void *)54), 0);
	assert_int_equal(to_port(&h, "10.0.0.2", 54), 0);
	assert_int_equal(last_arg, 54);
	assert_int_equal(to_port(&h, "10.0.0.2", 53), 1);
	assert_int_equal(tq_udp_shard_count(h.s), 1);
	tq_test_host_fini(&h);
	tq_udp_table_fini(&h.udp);
	assert_int_equal(tq_test_pool_avail(), avail);
}

/* Random binds and unbinds against a model: every lookup agrees with it
 * (exact first, then wildcard), through growth and deletions that shift
 * probe runs back. */
static void
churn(void **state)
{
	static const char *const bnd[] = { NULL, "10.0.0.2", "10.0.0.3",
		"fd00::2" };
	static const char *const look[] = { "10.0.0.2", "10.0.0.3",
		"fd00::2" };
	enum { NP = 400, NA = 4 };
	static bool model[NA][NP];
	struct tq_test_host h;
	struct tq_net_conf conf;
	struct tq_addr ba[NA], la[3];
	uint32_t seed = 12345;
	unsigned int i, j, p, bound = 0;

	tq_net_conf_defaults(&conf);
	conf.udp_max_socks = NA * NP;
	host_up(&h, &conf);
	memset(model, 0, sizeof(model));
	for (i = 1; i < NA; i++)
		ba[i] = tq_test_addr(bnd[i]);
	for (i = 0; i < 3; i++)
		la[i] = tq_test_addr(look[i]);
	for (i = 0; i < 40000; i++) {
		unsigned int ai, port;
		int ret;

		seed = seed * 1103515245u + 12345u;
		ai = (seed >> 16) % NA;
		port = 1 + (seed >> 4) % NP;
		if (model[ai][port - 1]) {
			ret = tq_udp_shard_unbind(h.s, ai ? &ba[ai] : NULL,
					(uint16_t)port);
			assert_int_equal(ret, 0);
			model[ai][port - 1] = false;
			bound--;
		} else {
			ret = tq_udp_shard_bind(h.s, ai ? &ba[ai] : NULL,
					(uint16_t)port, idx_cb,
					(void *)(uintptr_t)(ai * 1000 + port));
			assert_int_equal(ret, 0);
			model[ai][port - 1] = true;
			bound++;
		}
		assert_int_equal(tq_udp_shard_count(h.s), bound);
		if (i % 997)
			continue;
		for (j = 0; j < 3; j++) {
			for (p = 1; p <= NP; p++) {
				const struct tq_udp_slot *u = tq_udp_lookup(
						&tq_net(h.s)->udp, &la[j],
						(uint16_t)p);
				uintptr_t want = 0;

				if (model[j + 1][p - 1])
					want = (j + 1) * 1000 + p;
				else if (model[0][p - 1])
					want = p;
				assert_int_equal(u ? (uintptr_t)u->arg : 0,
						want);
			}
		}
	}
	tq_test_host_fini(&h);
}

/* Set the IPv6 traffic class of a frame built by tq_test_build_udp6. */
static void
set_tc6(uint8_t *f, uint8_t tc)
{
	f[14] = (uint8_t)(0x60 | tc >> 4);
	f[15] = (uint8_t)((tc & 0x0f) << 4 | (f[15] & 0x0f));
}

static uint8_t
tc6_of(const uint8_t *f)
{
	return (uint8_t)((f[14] & 0x0f) << 4 | f[15] >> 4);
}

/* TOS / traffic class and ECN of received datagrams reach the socket;
 * CE marks are counted. */
static void
tos_ecn_rx(void **state)
{
	static const uint8_t tos[] = { 0x00, TQ_ECN_ECT0, TQ_ECN_ECT1,
		TQ_ECN_CE, 0xb8 | TQ_ECN_CE, 0x28 | TQ_ECN_ECT0 };
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	struct sink k = { 0 };
	uint8_t f[256];
	uint32_t len;
	unsigned int i, ce = 0;

	host_up(&h, NULL);
	assert_int_equal(tq_udp_shard_bind(h.s, NULL, 443, sink_cb, &k), 0);
	for (i = 0; i < RTE_DIM(tos); i++) {
		len = tq_test_build_udp4(f, h.ifc.mac.addr_bytes, "10.0.0.1",
				"10.0.0.2", 4444, 443, "quic", 4);
		f[14 + 1] = tos[i];
		tq_test_ipv4_fix_cksum(f);
		assert_int_equal(exchange(&h, f, len), 0);
		assert_int_equal(k.n, 2 * i + 1);
		assert_int_equal(k.tos, tos[i]);
		len = tq_test_build_udp6(f, h.ifc.mac.addr_bytes, "fd00::1",
				"fd00::2", 4444, 443, "quic", 4);
		set_tc6(f, tos[i]);
		assert_int_equal(exchange(&h, f, len), 0);
		assert_int_equal(k.n, 2 * i + 2);
		assert_int_equal(k.tos, tos[i]);
		assert_memory_equal(k.data, "quic", 4);
		if (tq_ecn(tos[i]) == TQ_ECN_CE)
			ce += 2;
		assert_int_equal(tq_test_counter(&h, TQ_CTR_UDP_IN_CE), ce);
	}
	assert_int_equal(ce, 4);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

/* A datagram the host sent: the IP header's checksum (v4), addresses,
 * TOS / traffic class, DF, and the UDP ports, length and checksum.
 * Returns the payload's offset in the frame. */
static uint32_t
check_udp_out(const uint8_t *r, uint32_t rlen, const char *src,
		const char *dst, uint16_t sport, uint16_t dport, uint8_t tos,
		bool df)
{
	struct tq_addr sa = tq_test_addr(src), da = tq_test_addr(dst);
	const struct rte_udp_hdr *uh;
	uint32_t hl;

	assert_memory_equal(r, tq_test_peer_mac, 6);
	if (da.family == AF_INET) {
		const struct rte_ipv4_hdr *ip = (const void *)(r + 14);

		hl = 20;
		assert_int_equal(r[12] << 8 | r[13], RTE_ETHER_TYPE_IPV4);
		assert_int_equal(tq_test_cksum(ip, 20, 0), 0xffff);
		assert_int_equal(rte_be_to_cpu_16(ip->total_length),
				rlen - 14);
		assert_int_equal(ip->type_of_service, tos);
		assert_int_equal(rte_be_to_cpu_16(ip->fragment_offset),
				df ? RTE_IPV4_HDR_DF_FLAG : 0);
		assert_int_equal(ip->next_proto_id, IPPROTO_UDP);
		assert_int_equal(ip->src_addr, sa.v4);
		assert_int_equal(ip->dst_addr, da.v4);
	} else {
		const struct rte_ipv6_hdr *ip = (const void *)(r + 14);

		hl = 40;
		assert_int_equal(r[12] << 8 | r[13], RTE_ETHER_TYPE_IPV6);
		assert_int_equal(tc6_of(r), tos);
		assert_int_equal(rte_be_to_cpu_16(ip->payload_len),
				rlen - 14 - 40);
		assert_int_equal(ip->proto, IPPROTO_UDP);
		assert_memory_equal(ip->src_addr, sa.v6, 16);
		assert_memory_equal(ip->dst_addr, da.v6, 16);
	}
	uh = (const void *)(r + 14 + hl);
	assert_int_equal(rte_be_to_cpu_16(uh->src_port), sport);
	assert_int_equal(rte_be_to_cpu_16(uh->dst_port), dport);
	assert_int_equal(rte_be_to_cpu_16(uh->dgram_len), rlen - 14 - hl);
	assert_int_not_equal(uh->dgram_cksum, 0);
	assert_true(tq_test_l4_cksum_ok(&sa, &da, IPPROTO_UDP, uh,
			rlen - 14 - hl));
	return 14 + hl + 8;
}

/* TOS / ECN set on replies and on sendto, IPv4 and IPv6; a plain reply
 * does not echo what came in. */
static void
tos_ecn_tx(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	struct sink k = { .reply = true };
	struct tq_addr p4 = tq_test_addr("10.0.0.1");
	struct tq_addr p6 = tq_test_addr("fd00::1");
	uint8_t f[256], r[512];
	uint32_t len, rlen, off;

	host_up(&h, NULL);
	tq_test_host_learn(&h, "10.0.0.1");
	tq_test_host_learn(&h, "fd00::1");
	assert_int_equal(tq_udp_shard_bind(h.s, NULL, 443, sink_cb, &k), 0);

	k.reply_tos = TQ_ECN_ECT0;
	len = tq_test_build_udp4(f, h.ifc.mac.addr_bytes, "10.0.0.1",
			"10.0.0.2", 4444, 443, "ping", 4);
	f[14 + 1] = TQ_ECN_CE;
	tq_test_ipv4_fix_cksum(f);
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	rlen = tq_test_wire_recv_flat(&h, r, sizeof(r));
	assert_int_equal(rlen, 14 + 20 + 8 + 4);
	off = check_udp_out(r, rlen, "10.0.0.2", "10.0.0.1", 443, 4444,
			TQ_ECN_ECT0, false);
	assert_memory_equal(r + off, "ping", 4);

	k.reply_tos = 0xb8 | TQ_ECN_ECT1;
	len = tq_test_build_udp6(f, h.ifc.mac.addr_bytes, "fd00::1",
			"fd00::2", 4444, 443, "ping6", 5);
	set_tc6(f, TQ_ECN_CE);
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	rlen = tq_test_wire_recv_flat(&h, r, sizeof(r));
	assert_int_equal(rlen, 14 + 40 + 8 + 5);
	check_udp_out(r, rlen, "fd00::2", "fd00::1", 443, 4444,
			0xb8 | TQ_ECN_ECT1, false);

	/* tq_udp_reply(): TOS 0 whatever came in. */
	k.reply_tos = -1;
	len = tq_test_build_udp4(f, h.ifc.mac.addr_bytes, "10.0.0.1",
			"10.0.0.2", 4444, 443, "ping", 4);
	f[14 + 1] = TQ_ECN_CE;
	tq_test_ipv4_fix_cksum(f);
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	rlen = tq_test_wire_recv_flat(&h, r, sizeof(r));
	check_udp_out(r, rlen, "10.0.0.2", "10.0.0.1", 443, 4444, 0, false);

	assert_int_equal(tq_udp_sendto_tos(h.s, NULL, 443, &p4, 4444, "s4", 2,
			TQ_ECN_ECT0), 0);
	assert_int_equal(tq_udp_sendto_tos(h.s, NULL, 443, &p6, 4444, "s6", 2,
			0x20 | TQ_ECN_ECT0), 0);
	tq_test_host_poll(&h, 1000);
	rlen = tq_test_wire_recv_flat(&h, r, sizeof(r));
	off = check_udp_out(r, rlen, "10.0.0.2", "10.0.0.1", 443, 4444,
			TQ_ECN_ECT0, false);
	assert_memory_equal(r + off, "s4", 2);
	rlen = tq_test_wire_recv_flat(&h, r, sizeof(r));
	off = check_udp_out(r, rlen, "fd00::2", "fd00::1", 443, 4444,
			0x20 | TQ_ECN_ECT0, false);
	assert_memory_equal(r + off, "s6", 2);
	assert_int_equal(tq_test_wire_drain(&h), 0);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

#define BURST 64

/* A payload mbuf built by the caller, with the headroom the burst
 * needs. */
static struct rte_mbuf *
payload_mbuf(const void *p, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(tq_test_pool());

	assert_non_null(m);
	memcpy(rte_pktmbuf_append(m, len), p, len);
	assert_true(rte_pktmbuf_headroom(m) >= TQ_UDP_HDR_ROOM);
	return m;
}

/* A burst of N datagrams makes N frames, in order, checksums right,
 * from copied buffers and zero copy from the caller's mbufs. */
static void
burst_send(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	struct tq_udp_tx tx[BURST];
	struct rte_mbuf *mine[BURST];
	char pay[BURST][32];
	uint8_t r[2048];
	uint32_t rlen, off;
	unsigned int i;

	host_up(&h, NULL);
	tq_test_host_learn(&h, "10.0.0.1");
	memset(tx, 0, sizeof(tx));
	for (i = 0; i < BURST; i++) {
		snprintf(pay[i], sizeof(pay[i]), "datagram %u of a flight", i);
		tx[i].buf = pay[i];
		tx[i].len = (uint32_t)strlen(pay[i]);
		tx[i].dst = tq_test_addr("10.0.0.1");
		tx[i].sport = 443;
		tx[i].dport = (uint16_t)(5000 + i);
		tx[i].tos = TQ_ECN_ECT0;
	}
	assert_int_equal(tq_udp_send_burst(h.s, tx, BURST), BURST);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_UDP_OUT_DATAGRAMS),
			BURST);
	tq_test_host_poll(&h, 1000);
	for (i = 0; i < BURST; i++) {
		rlen = tq_test_wire_recv_flat(&h, r, sizeof(r));
		assert_int_equal(rlen, 14 + 20 + 8 + tx[i].len);
		off = check_udp_out(r, rlen, "10.0.0.2", "10.0.0.1", 443,
				(uint16_t)(5000 + i), TQ_ECN_ECT0, true);
		assert_memory_equal(r + off, pay[i], tx[i].len);
	}
	assert_int_equal(tq_test_wire_drain(&h), 0);

	/* Zero copy over IPv6 from a given source: the frames are the
	 * caller's mbufs. */
	tq_test_host_learn(&h, "fd00::1");
	for (i = 0; i < BURST; i++) {
		mine[i] = payload_mbuf(pay[i], (uint16_t)strlen(pay[i]));
		tx[i].m = mine[i];
		tx[i].buf = NULL;
		tx[i].dst = tq_test_addr("fd00::1");
		tx[i].src = tq_test_addr("fd00::2");
		tx[i].tos = (uint8_t)(i & 3);
	}
	assert_int_equal(tq_udp_send_burst(h.s, tx, BURST), BURST);
	tq_test_host_poll(&h, 1000);
	for (i = 0; i < BURST; i++) {
		struct rte_mbuf *m = tq_test_wire_recv(&h);

		assert_ptr_equal(m, mine[i]);
		rlen = rte_pktmbuf_pkt_len(m);
		memcpy(r, rte_pktmbuf_read(m, 0, rlen, r), rlen);
		rte_pktmbuf_free(m);
		off = check_udp_out(r, rlen, "fd00::2", "fd00::1", 443,
				(uint16_t)(5000 + i), (uint8_t)(i & 3), true);
		assert_memory_equal(r + off, pay[i], strlen(pay[i]));
	}
	assert_int_equal(tq_test_wire_drain(&h), 0);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

/* A burst to several destinations, one not resolved yet: each frame goes
 * where its datagram says, in order; the unresolved ones wait for ARP. */
static void
burst_mixed(void **state)
{
	static const char *const dst[] = { "10.0.0.1", "10.0.0.1",
		"fd00::1", "10.0.0.5", "10.0.0.5", "fd00::1", "10.0.0.9",
		"10.0.0.9", "10.0.0.9", "10.0.0.1" };
	static const char *const src[] = { "10.0.0.2", "10.0.0.2",
		"fd00::2", "10.0.0.3", "10.0.0.2", "fd00::2", "10.0.0.2",
		"10.0.0.2", "10.0.0.2", "10.0.0.2" };
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	struct tq_udp_tx tx[RTE_DIM(dst)];
	uint8_t r[512], f[128];
	uint32_t rlen, len;
	unsigned int i;

	host_up(&h, NULL);
	tq_test_host_learn(&h, "10.0.0.1");
	tq_test_host_learn(&h, "10.0.0.5");
	tq_test_host_learn(&h, "fd00::1");
	memset(tx, 0, sizeof(tx));
	for (i = 0; i < RTE_DIM(dst); i++) {
		tx[i].buf = &i;
		tx[i].len = 1;
		tx[i].dst = tq_test_addr(dst[i]);
		/* 3: an explicit source splits a run to one destination */
		if (i == 3)
			tx[i].src = tq_test_addr(src[i]);
		tx[i].sport = 1;
		tx[i].dport = (uint16_t)(100 + i);
		tx[i].tos = TQ_ECN_ECT0;
	}
	/* buf is read at the call: give each its own byte */
	{
		static uint8_t bytes[RTE_DIM(dst)];

		for (i = 0; i < RTE_DIM(dst); i++) {
			bytes[i] = (uint8_t)('a' + i);
			tx[i].buf = &bytes[i];
		}
	}
	assert_int_equal(tq_udp_send_burst(h.s, tx, RTE_DIM(dst)),
			RTE_DIM(dst));
	tq_test_host_poll(&h, 1000);
	for (i = 0; i < RTE_DIM(dst); i++) {
		if (i >= 6 && i <= 8)
			continue; /* waiting for 10.0.0.9 */
		rlen = tq_test_wire_recv_flat(&h, r, sizeof(r));
		if (i == 6 + 3) {
			/* the ARP request came out where 6 would have */
			assert_int_equal(r[12] << 8 | r[13],
					RTE_ETHER_TYPE_ARP);
			rlen = tq_test_wire_recv_flat(&h, r, sizeof(r));
		}
		check_udp_out(r, rlen, src[i], dst[i], 1,
				(uint16_t)(100 + i), TQ_ECN_ECT0, true);
		assert_int_equal(r[rlen - 1], 'a' + i);
	}
	assert_int_equal(tq_test_wire_drain(&h), 0);
	/* The answer releases the three, in order. */
	len = tq_test_build_arp(f, 2, tq_test_peer_mac, "10.0.0.9",
			h.ifc.mac.addr_bytes, "10.0.0.2");
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	for (i = 6; i <= 8; i++) {
		rlen = tq_test_wire_recv_flat(&h, r, sizeof(r));
		check_udp_out(r, rlen, src[i], dst[i], 1,
				(uint16_t)(100 + i), TQ_ECN_ECT0, true);
		assert_int_equal(r[rlen - 1], 'a' + i);
	}
	assert_int_equal(tq_test_wire_drain(&h), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_UDP_OUT_DATAGRAMS),
			RTE_DIM(dst));
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

/* What a burst refuses, and that the caller keeps what was not sent. */
static void
burst_errors(void **state)
{
	static uint8_t big[9000];
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	struct tq_udp_tx tx[3], t1;
	struct rte_mbuf *m[3], **all;
	unsigned int i, n;

	host_up(&h, NULL);
	tq_test_host_learn(&h, "10.0.0.1");
	tq_test_host_learn(&h, "fd00::1");
	memset(&t1, 0, sizeof(t1));
	t1.buf = big;
	t1.len = 10;
	t1.dst = tq_test_addr("10.0.0.1");
	t1.sport = 1;
	t1.dport = 2;

	/* No route (no gateway here). */
	tx[0] = t1;
	tx[0].dst = tq_test_addr("192.0.2.1");
	assert_int_equal(tq_udp_send_burst(h.s, tx, 1), -EHOSTUNREACH);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_OUT_NO_ROUTES), 1);
	tx[0].dst = tq_test_addr("2001:db8::1");
	assert_int_equal(tq_udp_send_burst(h.s, tx, 1), -EHOSTUNREACH);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_OUT_NO_ROUTES), 1);

	/* Not unicast, mixed families, port 0. */
	tx[0] = t1;
	tx[0].dst = tq_test_addr("10.0.0.255");
	assert_int_equal(tq_udp_send_burst(h.s, tx, 1), -EINVAL);
	tx[0].dst = tq_test_addr("224.0.0.1");
	assert_int_equal(tq_udp_send_burst(h.s, tx, 1), -EINVAL);
	tx[0].dst = tq_test_addr("ff02::1");
	assert_int_equal(tq_udp_send_burst(h.s, tx, 1), -EINVAL);
	tx[0] = t1;
	tx[0].src = tq_test_addr("fd00::2");
	assert_int_equal(tq_udp_send_burst(h.s, tx, 1), -EINVAL);
	tx[0] = t1;
	tx[0].dport = 0;
	assert_int_equal(tq_udp_send_burst(h.s, tx, 1), -EINVAL);

	/* The MTU is the limit, both families: never fragmented. */
	tx[0] = t1;
	tx[0].len = h.ifc.mtu - 28;
	assert_int_equal(tq_udp_send_burst(h.s, tx, 1), 1);
	tx[0].len++;
	assert_int_equal(tq_udp_send_burst(h.s, tx, 1), -EMSGSIZE);
	tx[0].dst = tq_test_addr("fd00::1");
	tx[0].len = h.ifc.mtu - 48;
	assert_int_equal(tq_udp_send_burst(h.s, tx, 1), 1);
	tx[0].len++;
	assert_int_equal(tq_udp_send_burst(h.s, tx, 1), -EMSGSIZE);
	tq_test_host_poll(&h, 1000);
	assert_int_equal(tq_test_wire_drain(&h), 2);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_FRAG_CREATES) +
			tq_test_counter(&h, TQ_CTR_IP6_FRAG_CREATES), 0);

	/* Stops at the first it cannot send; the rest stay the caller's. */
	for (i = 0; i < 3; i++) {
		m[i] = payload_mbuf("zc", 2);
		tx[i] = t1;
		tx[i].m = m[i];
	}
	tx[1].dst = tq_test_addr("198.51.100.1");
	assert_int_equal(tq_udp_send_burst(h.s, tx, 3), 1);
	assert_int_equal(tq_udp_send_burst(h.s, tx + 1, 2), -EHOSTUNREACH);
	assert_int_equal(rte_mbuf_refcnt_read(m[1]), 1);
	assert_int_equal(rte_pktmbuf_data_len(m[1]), 2);
	/* Too little headroom for the headers: refused, untouched. */
	rte_pktmbuf_adj(m[2], 0);
	m[2]->data_off = TQ_UDP_HDR_ROOM - 1;
	assert_int_equal(tq_udp_send_burst(h.s, tx + 2, 1), -EINVAL);
	assert_int_equal(m[2]->data_off, TQ_UDP_HDR_ROOM - 1);
	rte_pktmbuf_free(m[1]);
	rte_pktmbuf_free(m[2]);
	tq_test_host_poll(&h, 1000);
	assert_int_equal(tq_test_wire_drain(&h), 1);

	/* No mbufs to copy into. */
	n = tq_test_pool_avail();
	all = calloc(n, sizeof(*all));
	assert_non_null(all);
	for (i = 0; i < n; i++) {
		all[i] = rte_pktmbuf_alloc(tq_test_pool());
		if (!all[i])
			break;
	}
	n = i;
	tx[0] = t1;
	assert_int_equal(tq_udp_send_burst(h.s, tx, 1), -ENOMEM);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_NO_MBUF), 1);
	for (i = 0; i < n; i++)
		rte_pktmbuf_free(all[i]);
	free(all);
	assert_int_equal(tq_udp_send_burst(h.s, tx, 1), 1);
	tq_test_host_poll(&h, 1000);
	assert_int_equal(tq_test_wire_drain(&h), 1);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

/* ---- tq_udp_bind() / tq_udp_unbind() while the workers run ---- */

#define RT_WORKERS 2

/* Each host's shard is polled by a thread of its own, as a worker's
 * lcore would; the test thread is the control path. */
struct rt_worker {
	struct tq_test_host h;
	pthread_t th;
	volatile bool stop;
};

static unsigned int rt_echoed[RT_WORKERS];

static void
rt_echo_cb(struct tq_shard *s, struct tq_udp_dgram *d, void *arg)
{
	unsigned int *n = arg;

	__atomic_add_fetch(&n[tq_shard_id(s)], 1, __ATOMIC_RELAXED);
	tq_udp_reply(s, d);
}

static void *
rt_poll(void *arg)
{
	struct rt_worker *w = arg;

	while (!w->stop) {
		tq_test_host_poll(&w->h, 1000);
		sched_yield();
	}
	return NULL;
}

/* What came back for one datagram to dst:port on w's wire: the IP
 * protocol of the answer (IPPROTO_UDP for an echo, IPPROTO_ICMP for an
 * error), 0 if nothing came within 2 s. */
static int
rt_send(struct rt_worker *w, const char *dst, uint16_t port)
{
	uint8_t f[256], r[512];
	uint32_t len, rlen = 0;
	unsigned int i;

	len = tq_test_build_udp4(f, w->h.ifc.mac.addr_bytes, "10.0.0.1", dst,
			4444, port, "rt", 2);
	tq_test_wire_send(&w->h, f, len);
	for (i = 0; i < 20000 && rlen == 0; i++) {
		rlen = tq_test_wire_recv_flat(&w->h, r, sizeof(r));
		if (rlen == 0)
			usleep(100);
	}
	if (rlen < 14 + 20)
		return 0;
	if (r[14 + 9] == IPPROTO_ICMP) {
		/* Port unreachable, quoting our datagram. */
		assert_int_equal(r[14 + 20], 3);
		assert_int_equal(r[14 + 20 + 1], 3);
		assert_memory_equal(r + 14 + 20 + 8, f + 14, len - 14);
	} else {
		assert_int_equal(r[14 + 9], IPPROTO_UDP);
		assert_int_equal(rlen, len);
		assert_memory_equal(r + 14 + 20 + 8, "rt", 2);
	}
	return r[14 + 9];
}

static uint64_t
rt_noports(const struct rt_worker *w)
{
	return __atomic_load_n(&w->h.s->ctr[TQ_CTR_UDP_NO_PORTS],
			__ATOMIC_RELAXED);
}

static void
rt_bind_on_one_cmd(struct tq_shard *s, void *arg)
{
	struct tq_addr a3 = tq_test_addr("10.0.0.3");

	*(int *)arg = tq_udp_shard_bind(s, &a3, 9, rt_echo_cb, rt_echoed);
}

/*
 * The public calls while both workers poll: a bind reaches every worker
 * (each echoes), a second bind of the same address and port is refused,
 * an unbind closes the port on every worker (port unreachable, counted),
 * and a bind one worker refuses leaves no trace on the other.
 */
static void
runtime_bind_unbind(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct rt_worker w[RT_WORKERS];
	struct tq_shard *shards[RT_WORKERS];
	struct tq_addr a3 = tq_test_addr("10.0.0.3");
	struct tq_engine *e;
	unsigned int k;
	uint64_t np[RT_WORKERS];
	int one = -1;

	memset(rt_echoed, 0, sizeof(rt_echoed));
	for (k = 0; k < RT_WORKERS; k++) {
		struct tq_test_host_opts o = { .shard_id = k,
			.nb_workers = RT_WORKERS };

		memset(&w[k], 0, sizeof(w[k]));
		assert_int_equal(tq_test_host_init_opts(&w[k].h,
				(uint8_t)(2 + k), addrs, &o), 0);
		shards[k] = w[k].h.s;
	}
	assert_int_equal(tq_engine_adopt(shards, RT_WORKERS, &e), 0);
	for (k = 0; k < RT_WORKERS; k++)
		assert_int_equal(pthread_create(&w[k].th, NULL, rt_poll,
				&w[k]), 0);

	/* Nothing bound yet. */
	for (k = 0; k < RT_WORKERS; k++)
		assert_int_equal(rt_send(&w[k], "10.0.0.2", 7), IPPROTO_ICMP);
	assert_int_equal(tq_udp_unbind(e, NULL, 7), -ENOENT);

	/* Bound while they run: every worker has it. */
	assert_int_equal(tq_udp_bind(e, NULL, 7, rt_echo_cb, rt_echoed), 0);
	assert_int_equal(tq_udp_bind(e, NULL, 7, rt_echo_cb, rt_echoed),
			-EADDRINUSE);
	assert_int_equal(tq_udp_bind(e, NULL, 0, rt_echo_cb, rt_echoed),
			-EINVAL);
	for (k = 0; k < RT_WORKERS; k++) {
		assert_int_equal(rt_send(&w[k], "10.0.0.2", 7), IPPROTO_UDP);
		assert_int_equal(rt_send(&w[k], "10.0.0.3", 7), IPPROTO_UDP);
		assert_int_equal(__atomic_load_n(&rt_echoed[k],
				__ATOMIC_RELAXED), 2);
	}

	/* Unbound while they run: port unreachable again, and counted. */
	for (k = 0; k < RT_WORKERS; k++)
		np[k] = rt_noports(&w[k]);
	assert_int_equal(tq_udp_unbind(e, NULL, 7), 0);
	assert_int_equal(tq_udp_unbind(e, NULL, 7), -ENOENT);
	for (k = 0; k < RT_WORKERS; k++) {
		assert_int_equal(rt_send(&w[k], "10.0.0.2", 7), IPPROTO_ICMP);
		assert_int_equal(rt_noports(&w[k]), np[k] + 1);
		assert_int_equal(__atomic_load_n(&rt_echoed[k],
				__ATOMIC_RELAXED), 2);
	}

	/* All or nothing: worker 1 alone has 10.0.0.3:9, so the public bind
	 * fails there and worker 0 gives its copy back. */
	assert_int_equal(tq_worker_run_wait(e, 1, rt_bind_on_one_cmd, &one,
			2000), 0);
	assert_int_equal(one, 0);
	assert_int_equal(tq_udp_bind(e, &a3, 9, rt_echo_cb, rt_echoed),
			-EADDRINUSE);
	assert_int_equal(rt_send(&w[0], "10.0.0.3", 9), IPPROTO_ICMP);
	assert_int_equal(rt_send(&w[1], "10.0.0.3", 9), IPPROTO_UDP);
	/* The failed bind did not take worker 1's own socket either. */
	assert_int_equal(tq_udp_unbind(e, &a3, 9), 0);
	assert_int_equal(rt_send(&w[1], "10.0.0.3", 9), IPPROTO_ICMP);

	for (k = 0; k < RT_WORKERS; k++) {
		w[k].stop = true;
		assert_int_equal(pthread_join(w[k].th, NULL), 0);
	}
	tq_engine_destroy(e);
	for (k = 0; k < RT_WORKERS; k++) {
		tq_test_host_fini(&w[k].h);
		tq_udp_table_fini(&w[k].h.udp);
	}
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
		cmocka_unit_test(many_binds),
		cmocka_unit_test(default_limit),
		cmocka_unit_test(bind_unbind_rebind),
		cmocka_unit_test(list_then_shard),
		cmocka_unit_test(churn),
		cmocka_unit_test(tos_ecn_rx),
		cmocka_unit_test(tos_ecn_tx),
		cmocka_unit_test(burst_send),
		cmocka_unit_test(burst_mixed),
		cmocka_unit_test(burst_errors),
		cmocka_unit_test(runtime_bind_unbind),
	};

	if (tq_test_eal_init("udp") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
