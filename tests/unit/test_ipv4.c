/* SPDX-License-Identifier: BSD-3-Clause */
/* IPv4 input validation (one counter per reason), reassembly and
 * fragmentation, through a test host with a UDP echo service. */
#include "tq_test.h"

#include <errno.h>
#include <string.h>

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#define MS(x) ((uint64_t)(x) * 1000000ull)
#define ECHO_PORT 7

static const char *const addrs[] = { "10.0.0.2/24", NULL };

struct echo {
	unsigned int n;
	uint32_t last_len;
};

static void
echo_cb(struct tq_shard *s, struct tq_udp_dgram *d, void *arg)
{
	struct echo *e = arg;

	e->n++;
	e->last_len = rte_pktmbuf_pkt_len(d->m);
	assert_int_equal(tq_udp_reply(s, d), 0);
}

static void
host_up(struct tq_test_host *h, struct echo *e, const struct tq_net_conf *c)
{
	struct tq_test_host_opts o = { .conf = c };

	memset(e, 0, sizeof(*e));
	assert_int_equal(tq_test_host_init_opts(h, 2, addrs, &o), 0);
	assert_int_equal(tq_udp_table_bind(&h->udp, NULL, ECHO_PORT, echo_cb,
			e), 0);
}

static struct rte_ipv4_hdr *
ip_of(uint8_t *f)
{
	return (struct rte_ipv4_hdr *)(f + 14);
}

/* Recompute the header checksum over IHL words (at least 5). */
static void
fix_cksum(uint8_t *f)
{
	struct rte_ipv4_hdr *ip = ip_of(f);
	uint32_t hlen = (ip->version_ihl & 0xf) * 4u;

	if (hlen < 20)
		hlen = 20;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = (uint16_t)~tq_test_cksum(ip, hlen, 0);
}

/* A UDP datagram to the echo port: the reply proves delivery. */
static uint32_t
udp_frame(struct tq_test_host *h, uint8_t *f, const char *dst,
		const char *payload)
{
	return tq_test_build_udp4(f, h->ifc.mac.addr_bytes, "10.0.0.1", dst,
			5555, ECHO_PORT, payload, (uint32_t)strlen(payload));
}

/* Send a frame, poll, and say how many frames came back (drained). */
static unsigned int
exchange(struct tq_test_host *h, const uint8_t *f, uint32_t len)
{
	tq_test_wire_send(h, f, len);
	tq_test_host_poll(h, 1000);
	return tq_test_wire_drain(h);
}

/* Check a frame is the echo of payload back to the peer. */
static void
check_echo_reply(struct tq_test_host *h, const char *payload)
{
	uint8_t f[2048];
	uint32_t len = tq_test_wire_recv_flat(h, f, sizeof(f));
	struct rte_ipv4_hdr *ip = ip_of(f);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);
	struct tq_addr s = tq_test_addr("10.0.0.2");
	struct tq_addr d = tq_test_addr("10.0.0.1");
	uint32_t plen = (uint32_t)strlen(payload);

	assert_int_equal(len, 14 + 20 + 8 + plen);
	assert_memory_equal(f, tq_test_peer_mac, 6);
	assert_int_equal(tq_test_cksum(ip, 20, 0), 0xffff);
	assert_int_equal(ip->src_addr, s.v4);
	assert_int_equal(ip->dst_addr, d.v4);
	assert_int_equal(rte_be_to_cpu_16(uh->src_port), ECHO_PORT);
	assert_int_equal(rte_be_to_cpu_16(uh->dst_port), 5555);
	assert_true(tq_test_l4_cksum_ok(&s, &d, IPPROTO_UDP, uh, 8 + plen));
	assert_memory_equal(uh + 1, payload, plen);
}

static void
header_validation(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	struct echo e;
	uint8_t f[256];
	struct rte_ipv4_hdr *ip = ip_of(f);
	uint32_t len;

	host_up(&h, &e, NULL);

	/* The good one first, so the others are known to fail for their
	 * own reason. */
	len = udp_frame(&h, f, "10.0.0.2", "hello");
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	check_echo_reply(&h, "hello");
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_IN_DELIVERS), 1);

	/* Shorter than an IPv4 header. */
	len = udp_frame(&h, f, "10.0.0.2", "hello");
	assert_int_equal(exchange(&h, f, 14 + 19), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_IN_HDR_ERRORS), 1);

	/* Version 6 in an IPv4 frame. */
	len = udp_frame(&h, f, "10.0.0.2", "hello");
	ip->version_ihl = 0x65;
	fix_cksum(f);
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_IN_HDR_ERRORS), 2);

	/* IHL below 5. */
	len = udp_frame(&h, f, "10.0.0.2", "hello");
	ip->version_ihl = 0x44;
	fix_cksum(f);
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_IN_HDR_ERRORS), 3);

	/* IHL beyond the frame. */
	len = udp_frame(&h, f, "10.0.0.2", "");
	ip->version_ihl = 0x4f;
	fix_cksum(f);
	assert_int_equal(exchange(&h, f, 14 + 24), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_IN_HDR_ERRORS), 4);

	/* Total length shorter than the header. */
	len = udp_frame(&h, f, "10.0.0.2", "hello");
	ip->total_length = rte_cpu_to_be_16(19);
	fix_cksum(f);
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_IN_HDR_ERRORS), 5);

	/* Total length beyond the frame. */
	len = udp_frame(&h, f, "10.0.0.2", "hello");
	ip->total_length = rte_cpu_to_be_16((uint16_t)(len - 14 + 1));
	fix_cksum(f);
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_IN_TRUNCATED), 1);

	/* Header checksum. */
	len = udp_frame(&h, f, "10.0.0.2", "hello");
	ip->hdr_checksum ^= 0x0100;
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_IN_CSUM_ERRORS), 1);

	/* TTL 0. */
	len = udp_frame(&h, f, "10.0.0.2", "hello");
	ip->time_to_live = 0;
	fix_cksum(f);
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_IN_TTL_EXPIRED), 1);
	/* TTL 1 is fine for a host (RFC 1122 3.2.1.7). */
	len = udp_frame(&h, f, "10.0.0.2", "ttl1");
	ip->time_to_live = 1;
	fix_cksum(f);
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	check_echo_reply(&h, "ttl1");

	/* Not ours: another host, a martian source. */
	len = udp_frame(&h, f, "10.0.0.3", "hello");
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_IN_ADDR_ERRORS), 1);
	len = tq_test_build_udp4(f, h.ifc.mac.addr_bytes, "127.0.0.1",
			"10.0.0.2", 5555, ECHO_PORT, "x", 1);
	assert_int_equal(exchange(&h, f, len), 0);
	len = tq_test_build_udp4(f, h.ifc.mac.addr_bytes, "224.0.0.1",
			"10.0.0.2", 5555, ECHO_PORT, "x", 1);
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_IN_ADDR_ERRORS), 3);

	/* A protocol we do not have. */
	len = udp_frame(&h, f, "10.0.0.2", "hello");
	ip->next_proto_id = 99;
	fix_cksum(f);
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_IN_UNKNOWN_PROTOS), 1);

	/* Subnet broadcast is ours; the echo answers from 10.0.0.2. */
	len = udp_frame(&h, f, "10.0.0.255", "bcast");
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	check_echo_reply(&h, "bcast");

	assert_int_equal(e.n, 3);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_IN_DELIVERS), 3);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_IN_RECEIVES), 15);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
options(void **state)
{
	static const struct {
		uint8_t o[12];
		uint32_t len;
		bool ok;
	} cases[] = {
		{ { 1, 1, 1, 0 }, 4, true },		/* NOP NOP NOP EOL */
		{ { 1, 1, 1, 1 }, 4, true },		/* all NOP */
		{ { 0, 0x55, 0x55, 0x55 }, 4, true },	/* EOL, then junk */
		/* record route: len 7, pointer 4, one slot; then EOL */
		{ { 7, 7, 4, 0, 0, 0, 0, 0 }, 8, true },
		/* NOP then record route filling the rest exactly */
		{ { 1, 7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0 }, 12, true },
		{ { 7, 0, 0, 0 }, 4, false },		/* length 0 */
		{ { 7, 1, 0, 0 }, 4, false },		/* length 1 */
		{ { 0x44, 12, 5, 0 }, 4, false },	/* beyond the header */
		{ { 1, 1, 1, 7 }, 4, false },		/* no room for length */
		{ { 7, 7, 4, 0, 0, 0, 0, 7 }, 8, false },
	};
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	struct echo e;
	uint8_t f[256], l4[64];
	unsigned int i, bad = 0;
	uint32_t len, l4len;

	host_up(&h, &e, NULL);
	for (i = 0; i < RTE_DIM(cases); i++) {
		l4len = tq_test_udp_dgram(l4, "10.0.0.1", "10.0.0.2", 5555,
				ECHO_PORT, "opts", 4);
		len = tq_test_build_ip4(f, h.ifc.mac.addr_bytes, "10.0.0.1",
				"10.0.0.2", IPPROTO_UDP, cases[i].o,
				cases[i].len, l4, l4len);
		tq_test_wire_send(&h, f, len);
		tq_test_host_poll(&h, 1000);
		if (cases[i].ok) {
			check_echo_reply(&h, "opts");
		} else {
			bad++;
			assert_int_equal(tq_test_wire_drain(&h), 0);
		}
		if (tq_test_counter(&h, TQ_CTR_IP_IN_HDR_ERRORS) != bad)
			fail_msg("case %u: IpInHdrErrors %llu, want %u", i,
				(unsigned long long)tq_test_counter(&h,
					TQ_CTR_IP_IN_HDR_ERRORS), bad);
	}
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

/* Ethernet pads short frames to 60 bytes: the padding is not data. */
static void
padding(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	struct echo e;
	uint8_t f[256];
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(f + 14 + 20);
	uint32_t len;

	host_up(&h, &e, NULL);
	len = tq_test_build_icmp4_echo(f, h.ifc.mac.addr_bytes, "10.0.0.1",
			"10.0.0.2", 9, 1, "abcd", 4);
	assert_int_equal(len, 46);
	memset(f + len, 0xa5, 60 - len);
	tq_test_wire_send(&h, f, 60);
	tq_test_host_poll(&h, 1000);
	len = tq_test_wire_recv_flat(&h, f, sizeof(f));
	assert_int_equal(len, 46);
	assert_int_equal(rte_be_to_cpu_16(ip_of(f)->total_length), 32);
	assert_int_equal(ic->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	assert_int_equal(tq_test_cksum(ic, 12, 0), 0xffff);
	assert_memory_equal(ic + 1, "abcd", 4);

	/* A padded UDP datagram is delivered at its own length. */
	len = udp_frame(&h, f, "10.0.0.2", "pad");
	memset(f + len, 0x5a, 60 - len);
	tq_test_wire_send(&h, f, 60);
	tq_test_host_poll(&h, 1000);
	check_echo_reply(&h, "pad");
	assert_int_equal(e.last_len, 3);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

/* ---- fragments ---- */

#define BIG 3000

static uint8_t big_payload[BIG];

static void
fill_payload(void)
{
	unsigned int i;

	for (i = 0; i < BIG; i++)
		big_payload[i] = (uint8_t)(i * 13 + (i >> 8));
}

/*
 * Collect fragments from the wire until a datagram is whole: each within
 * the MTU, header checksum good, same id, offsets in order, MF on all but
 * the last.  Returns the L4 length; the L4 bytes go to out.
 */
static uint32_t
recv_frags(struct tq_test_host *h, uint8_t *out, uint32_t cap,
		unsigned int *nfrags, uint16_t *idp)
{
	static uint8_t f[4096];
	uint32_t next = 0, len;
	int id = -1;

	*nfrags = 0;
	for (;;) {
		struct rte_ipv4_hdr *ip = ip_of(f);
		uint16_t fo, tot;
		uint32_t off, plen;

		len = tq_test_wire_recv_flat(h, f, sizeof(f));
		assert_true(len > 0);
		(*nfrags)++;
		assert_true(len <= 14u + h->ifc.mtu);
		assert_int_equal(ip->version_ihl, 0x45);
		assert_int_equal(tq_test_cksum(ip, 20, 0), 0xffff);
		tot = rte_be_to_cpu_16(ip->total_length);
		assert_int_equal(tot, len - 14);
		assert_true(tot <= h->ifc.mtu);
		if (id < 0) {
			id = ip->packet_id;
			*idp = ip->packet_id;
		}
		assert_int_equal(ip->packet_id, id);
		fo = rte_be_to_cpu_16(ip->fragment_offset);
		assert_false(fo & RTE_IPV4_HDR_DF_FLAG);
		off = (fo & RTE_IPV4_HDR_OFFSET_MASK) * 8u;
		plen = tot - 20u;
		assert_int_equal(off, next);
		assert_true(off + plen <= cap);
		memcpy(out + off, ip + 1, plen);
		next = off + plen;
		if (!(fo & RTE_IPV4_HDR_MF_FLAG))
			break;
		/* every fragment but the last carries a multiple of 8 */
		assert_int_equal(plen % 8, 0);
	}
	return next;
}

static void
check_big_echo(struct tq_test_host *h)
{
	static uint8_t d[8192];
	struct tq_addr s = tq_test_addr("10.0.0.2");
	struct tq_addr a = tq_test_addr("10.0.0.1");
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)d;
	unsigned int n;
	uint16_t id;
	uint32_t len = recv_frags(h, d, sizeof(d), &n, &id);

	assert_int_equal(n, 3);
	assert_int_equal(len, 8 + BIG);
	assert_int_equal(rte_be_to_cpu_16(uh->dgram_len), len);
	assert_int_equal(rte_be_to_cpu_16(uh->src_port), ECHO_PORT);
	assert_true(tq_test_l4_cksum_ok(&s, &a, IPPROTO_UDP, d, len));
	assert_memory_equal(uh + 1, big_payload, BIG);
	assert_int_equal(tq_test_wire_drain(h), 0);
}

/* The request as three fragments: [0,1480) [1480,2960) [2960,3008). */
static uint32_t
frag_of(struct tq_test_host *h, uint8_t *f, const uint8_t *dgram,
		uint16_t id, unsigned int k)
{
	static const uint32_t off[] = { 0, 1480, 2960 }, len[] = { 1480,
		1480, 48 };

	return tq_test_build_frag4(f, h->ifc.mac.addr_bytes, "10.0.0.1",
			"10.0.0.2", IPPROTO_UDP, id, off[k], k < 2,
			dgram + off[k], len[k]);
}

static void
reassembly(void **state)
{
	static const unsigned int orders[][3] = {
		{ 0, 1, 2 }, { 2, 1, 0 }, { 1, 2, 0 }, { 2, 0, 1 },
	};
	static uint8_t dgram[8 + BIG], f[2048];
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	struct echo e;
	uint32_t dlen;
	unsigned int i, k;

	fill_payload();
	host_up(&h, &e, NULL);
	dlen = tq_test_udp_dgram(dgram, "10.0.0.1", "10.0.0.2", 5555,
			ECHO_PORT, big_payload, BIG);
	assert_int_equal(dlen, 8 + BIG);
	for (i = 0; i < RTE_DIM(orders); i++) {
		for (k = 0; k < 3; k++) {
			uint32_t len = frag_of(&h, f, dgram,
					(uint16_t)(100 + i), orders[i][k]);

			tq_test_wire_send(&h, f, len);
			/* one poll each: nothing until the last arrives */
			tq_test_host_poll(&h, 1000);
			if (k < 2)
				assert_int_equal(e.n, i);
		}
		assert_int_equal(e.n, i + 1);
		assert_int_equal(e.last_len, BIG);
		check_big_echo(&h);
	}
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_REASM_REQDS), 12);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_REASM_OKS), 4);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_REASM_FAILS), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_FRAG_CREATES), 12);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
reassembly_failures(void **state)
{
	static uint8_t dgram[8 + BIG], f[2048];
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	struct tq_net_conf conf;
	struct echo e;
	uint64_t t0, fails;
	uint32_t len;

	fill_payload();
	tq_net_conf_defaults(&conf);
	conf.frag_timeout_ns = MS(2000);
	host_up(&h, &e, &conf);
	tq_test_host_learn(&h, "10.0.0.1");
	tq_test_udp_dgram(dgram, "10.0.0.1", "10.0.0.2", 5555, ECHO_PORT,
			big_payload, BIG);

	/* Overlap: the middle one starts 8 bytes early. */
	tq_test_wire_send(&h, f, frag_of(&h, f, dgram, 1, 0));
	len = tq_test_build_frag4(f, h.ifc.mac.addr_bytes, "10.0.0.1",
			"10.0.0.2", IPPROTO_UDP, 1, 1472, true, dgram + 1472,
			1480);
	tq_test_wire_send(&h, f, len);
	tq_test_wire_send(&h, f, frag_of(&h, f, dgram, 1, 2));
	tq_test_host_poll(&h, 1000);
	assert_int_equal(e.n, 0);
	assert_int_equal(tq_test_wire_drain(&h), 0);
	assert_true(tq_test_counter(&h, TQ_CTR_IP_REASM_FAILS) > 0);
	assert_int_equal(tq_test_pool_avail(), avail);

	/* The first fragment twice: both dropped.  What follows starts
	 * over and waits for a first fragment that will not come. */
	fails = tq_test_counter(&h, TQ_CTR_IP_REASM_FAILS);
	tq_test_wire_send(&h, f, frag_of(&h, f, dgram, 2, 0));
	tq_test_wire_send(&h, f, frag_of(&h, f, dgram, 2, 0));
	tq_test_host_poll(&h, 1000);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_REASM_FAILS),
			fails + 2);
	assert_int_equal(tq_test_pool_avail(), avail);
	tq_test_wire_send(&h, f, frag_of(&h, f, dgram, 2, 1));
	tq_test_wire_send(&h, f, frag_of(&h, f, dgram, 2, 2));
	tq_test_host_poll(&h, 1000);
	assert_int_equal(e.n, 0);
	assert_int_equal(tq_test_pool_avail(), avail - 2);

	/* A fragment missing: held until frag_timeout, then dropped and
	 * counted, and its mbufs are back in the pool. */
	tq_test_wire_send(&h, f, frag_of(&h, f, dgram, 3, 0));
	tq_test_wire_send(&h, f, frag_of(&h, f, dgram, 3, 2));
	tq_test_host_poll(&h, 1000);
	t0 = h.now;
	{
		fails = tq_test_counter(&h, TQ_CTR_IP_REASM_FAILS);
		assert_int_equal(tq_test_pool_avail(), avail - 4);
		while (h.now < t0 + conf.frag_timeout_ns - MS(100)) {
			tq_test_host_poll(&h, MS(100));
			assert_int_equal(tq_test_counter(&h,
					TQ_CTR_IP_REASM_FAILS), fails);
		}
		while (h.now < t0 + conf.frag_timeout_ns + MS(300))
			tq_test_host_poll(&h, MS(100));
		assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_REASM_FAILS),
				fails + 4);
	}
	assert_int_equal(tq_test_pool_avail(), avail);
	assert_int_equal(e.n, 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_REASM_OKS), 0);

	/* The late fragment now starts a datagram of its own that never
	 * completes: no echo from stale pieces. */
	tq_test_wire_send(&h, f, frag_of(&h, f, dgram, 3, 1));
	tq_test_host_poll(&h, 1000);
	assert_int_equal(e.n, 0);

	/* Still alive: a whole datagram and a ping work. */
	tq_test_wire_send(&h, f, frag_of(&h, f, dgram, 4, 2));
	tq_test_wire_send(&h, f, frag_of(&h, f, dgram, 4, 0));
	tq_test_wire_send(&h, f, frag_of(&h, f, dgram, 4, 1));
	tq_test_host_poll(&h, 1000);
	assert_int_equal(e.n, 1);
	check_big_echo(&h);
	len = tq_test_build_icmp4_echo(f, h.ifc.mac.addr_bytes, "10.0.0.1",
			"10.0.0.2", 1, 1, "ping", 4);
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	assert_int_equal(tq_test_wire_drain(&h), 1);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_ICMP_OUT_ECHO_REPS), 1);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
check_sent(struct tq_test_host *h, const uint8_t *buf, uint32_t blen,
		unsigned int want_frags, uint16_t *id)
{
	static uint8_t d[70000];
	struct tq_addr dst = tq_test_addr("10.0.0.1");
	struct tq_addr src = tq_test_addr("10.0.0.2");
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)d;
	unsigned int n;
	uint32_t len = recv_frags(h, d, sizeof(d), &n, id);

	assert_int_equal(n, want_frags);
	assert_int_equal(len, 8 + blen);
	assert_int_equal(rte_be_to_cpu_16(uh->src_port), 1234);
	assert_int_equal(rte_be_to_cpu_16(uh->dst_port), 4321);
	assert_int_equal(rte_be_to_cpu_16(uh->dgram_len), len);
	assert_true(tq_test_l4_cksum_ok(&src, &dst, IPPROTO_UDP, d, len));
	assert_memory_equal(uh + 1, buf, blen);
	assert_int_equal(tq_test_wire_drain(h), 0);
}

static void
fragmentation(void **state)
{
	static uint8_t buf[65508];
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	struct tq_addr dst = tq_test_addr("10.0.0.1");
	struct echo e;
	uint16_t id1, id2;
	unsigned int i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i ^ (i >> 5));
	host_up(&h, &e, NULL);
	tq_test_host_learn(&h, "10.0.0.1");

	/* 4008 bytes of UDP: 1480 + 1480 + 1048 */
	assert_int_equal(tq_udp_sendto(h.s, NULL, 1234, &dst, 4321, buf,
			4000), 0);
	tq_test_host_poll(&h, 1000);
	check_sent(&h, buf, 4000, 3, &id1);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_FRAG_CREATES), 3);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_OUT_REQUESTS), 1);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_UDP_OUT_DATAGRAMS), 1);

	/* The next datagram has another id. */
	assert_int_equal(tq_udp_sendto(h.s, NULL, 1234, &dst, 4321, buf + 1,
			4000), 0);
	tq_test_host_poll(&h, 1000);
	check_sent(&h, buf + 1, 4000, 3, &id2);
	assert_int_not_equal(id1, id2);

	/* Exactly the MTU goes whole; one byte more splits. */
	assert_int_equal(tq_udp_sendto(h.s, NULL, 1234, &dst, 4321, buf,
			1500 - 28), 0);
	tq_test_host_poll(&h, 1000);
	check_sent(&h, buf, 1500 - 28, 1, &id1);
	assert_int_equal(tq_udp_sendto(h.s, NULL, 1234, &dst, 4321, buf,
			1500 - 27), 0);
	tq_test_host_poll(&h, 1000);
	check_sent(&h, buf, 1500 - 27, 2, &id1);

	/* An MTU whose payload is not a multiple of 8: 1006 - 20 = 986,
	 * so 984 a fragment. */
	h.ifc.mtu = 1006;
	assert_int_equal(tq_udp_sendto(h.s, NULL, 1234, &dst, 4321, buf,
			3000), 0);
	tq_test_host_poll(&h, 1000);
	check_sent(&h, buf, 3000, 4, &id1);
	h.ifc.mtu = 1500;

	/* The largest datagram there is, and one byte more. */
	assert_int_equal(tq_udp_sendto(h.s, NULL, 1234, &dst, 4321, buf,
			65507), 0);
	tq_test_host_poll(&h, 1000);
	check_sent(&h, buf, 65507, 45, &id1);
	assert_int_equal(tq_udp_sendto(h.s, NULL, 1234, &dst, 4321, buf,
			65508), -EMSGSIZE);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

/* The next frame on the wire, flat, with the IP id and header checksum
 * (the id's) cleared and the mbuf's offload flags returned. */
static uint32_t
frame_norm(struct tq_test_host *h, uint8_t *f, uint32_t cap, uint64_t *ol)
{
	uint32_t len = tq_test_wire_recv_flat_ol(h, f, cap, ol);

	assert_true(len >= 34);
	ip_of(f)->packet_id = 0;
	ip_of(f)->hdr_checksum = 0;
	return len;
}

/*
 * A flow's prebuilt headers give the frame the general output gives:
 * TCP and UDP, checksums in software and offloaded, and past the MTU
 * (fragments through the general path); a neighbour change makes the
 * template stale.
 */
static void
tmpl_output(void **state)
{
	static uint8_t a[4096], b[4096];
	unsigned int avail = tq_test_pool_avail();
	const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	struct tq_addr src = tq_test_addr("10.0.0.2");
	struct tq_addr dst = tq_test_addr("10.0.0.1");
	struct rte_ether_addr mac;
	struct tq_ip_tmpl t;
	struct tq_test_host h;
	struct echo e;
	unsigned int off, pi, k;

	(void)state;
	host_up(&h, &e, NULL);
	memcpy(mac.addr_bytes, tq_test_peer_mac, 6);
	memset(&t, 0, sizeof(t));
	assert_false(tq_ip_tmpl_valid(h.s, &t));
	for (off = 0; off < 2; off++) {
		h.ifc.tx_ip_cksum = h.ifc.tx_tcp_cksum = h.ifc.tx_udp_cksum =
			off;
		for (pi = 0; pi < RTE_DIM(protos); pi++) {
			struct rte_mbuf *ma, *mb;
			uint32_t la, lb;
			uint64_t ola, olb;

			tq_ip_tmpl_build(h.s, &t, &src, &dst, protos[pi],
					&mac);
			assert_true(tq_ip_tmpl_valid(h.s, &t));
			ma = tq_test_l4_msg(&h, 300, (uint8_t)pi);
			mb = tq_test_l4_msg(&h, 300, (uint8_t)pi);
			assert_int_equal(tq_ipv4_output(h.s, ma, src.v4, dst.v4,
					protos[pi], &mac), 0);
			assert_int_equal(tq_ip_output_tmpl(h.s, mb, &t), 0);
			tq_shard_flush(h.s);
			la = frame_norm(&h, a, sizeof(a), &ola);
			lb = frame_norm(&h, b, sizeof(b), &olb);
			assert_int_equal(la, 14 + 20 + 300);
			assert_int_equal(lb, la);
			assert_memory_equal(a, b, la);
			assert_true(ola == olb);
			if (!off)
				assert_true(tq_test_l4_cksum_ok(&src, &dst,
						protos[pi], a + 34, 300));
		}
	}
	h.ifc.tx_ip_cksum = h.ifc.tx_tcp_cksum = h.ifc.tx_udp_cksum = 0;
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_OUT_REQUESTS), 8);

	/* Past the MTU: fragments, as the general path makes them. */
	h.ifc.mtu = 1006; /* 984 bytes a fragment */
	tq_ip_tmpl_build(h.s, &t, &src, &dst, IPPROTO_UDP, &mac);
	assert_int_equal(tq_ip_output_tmpl(h.s, tq_test_l4_msg(&h, 1200, 9),
			&t), 0);
	tq_shard_flush(h.s);
	for (k = 0; k < 2; k++) {
		uint64_t ol;

		assert_int_equal(frame_norm(&h, a, sizeof(a), &ol),
				34 + (k ? 1200 - 984 : 984));
		assert_int_equal(rte_be_to_cpu_16(ip_of(a)->fragment_offset) &
				RTE_IPV4_HDR_OFFSET_MASK, k * 984 / 8);
	}
	h.ifc.mtu = 1500;
	assert_int_equal(tq_test_wire_drain(&h), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_FRAG_CREATES), 2);

	/* The neighbour table moved on: the template is stale. */
	tq_test_host_learn(&h, "10.0.0.9");
	assert_false(tq_ip_tmpl_valid(h.s, &t));
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

/*
 * The destination cache: a send through a route cache that had to look
 * the route and the neighbour up leaves the next hop's MAC for the next
 * connection to the same destination; a neighbour change empties it.
 */
static void
dst_cache(void **state)
{
	static const uint8_t mac2[6] = { 0x02, 0, 0, 0, 0, 0x42 };
	unsigned int avail = tq_test_pool_avail();
	struct tq_addr src = tq_test_addr("10.0.0.2");
	struct tq_addr dst = tq_test_addr("10.0.0.1");
	struct tq_addr other = tq_test_addr("10.0.0.3");
	struct tq_route_cache rc1, rc2;
	struct rte_ether_addr m2;
	struct tq_test_host h;
	struct echo e;

	(void)state;
	host_up(&h, &e, NULL);
	tq_test_host_learn(&h, "10.0.0.1");
	memset(&rc1, 0, sizeof(rc1));
	memset(&rc2, 0, sizeof(rc2));
	assert_false(tq_route_cache_fill(h.s, &rc2, &dst));
	assert_int_equal(tq_ip_output_rc(h.s, tq_test_l4_msg(&h, 40, 1), &src,
			&dst, IPPROTO_UDP, &rc1), 0);
	assert_true(tq_route_cache_valid(h.s, &rc1));
	assert_true(tq_route_cache_fill(h.s, &rc2, &dst));
	assert_true(tq_route_cache_valid(h.s, &rc2));
	assert_memory_equal(&rc2.mac, tq_test_peer_mac, 6);
	assert_false(tq_route_cache_fill(h.s, &rc2, &other));

	/* A new MAC: every cache is stale, the next send fills them again
	 * with it. */
	memcpy(&m2, mac2, 6);
	tq_neigh_update(h.s, &dst, &m2, true, false);
	memset(&rc2, 0, sizeof(rc2));
	assert_false(tq_route_cache_valid(h.s, &rc1));
	assert_false(tq_route_cache_fill(h.s, &rc2, &dst));
	assert_int_equal(tq_ip_output_rc(h.s, tq_test_l4_msg(&h, 40, 2), &src,
			&dst, IPPROTO_UDP, &rc1), 0);
	assert_true(tq_route_cache_fill(h.s, &rc2, &dst));
	assert_memory_equal(&rc2.mac, mac2, 6);
	tq_shard_flush(h.s);
	assert_int_equal(tq_test_wire_drain(&h), 2);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(header_validation),
		cmocka_unit_test(options),
		cmocka_unit_test(padding),
		cmocka_unit_test(reassembly),
		cmocka_unit_test(reassembly_failures),
		cmocka_unit_test(fragmentation),
		cmocka_unit_test(tmpl_output),
		cmocka_unit_test(dst_cache),
	};

	if (tq_test_eal_init("ipv4") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
