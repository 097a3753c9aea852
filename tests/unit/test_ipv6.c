/* SPDX-License-Identifier: BSD-3-Clause */
/* IPv6 input validation, extension headers, reassembly and fragmentation
 * through a test host with a UDP echo service. */
#include "tq_test.h"

#include <errno.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_udp.h>

#define MS(x) ((uint64_t)(x) * 1000000ull)
#define ECHO_PORT 7
#define NH_HOP 0
#define NH_ROUTING 43
#define NH_FRAG 44
#define NH_DSTOPTS 60
#define NH_NONE 59

static const char *const addrs[] = { "10.0.0.2/24", "fd00::2/64", NULL };
static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };

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

static struct rte_ipv6_hdr *
ip_of(uint8_t *f)
{
	return (struct rte_ipv6_hdr *)(f + 14);
}

static uint32_t
udp_frame(struct tq_test_host *h, uint8_t *f, const uint8_t *dmac,
		const char *src, const char *dst, const char *payload)
{
	return tq_test_build_udp6(f, dmac ? dmac : h->ifc.mac.addr_bytes,
			src, dst, 5555, ECHO_PORT, payload,
			(uint32_t)strlen(payload));
}

static unsigned int
exchange(struct tq_test_host *h, const uint8_t *f, uint32_t len)
{
	tq_test_wire_send(h, f, len);
	tq_test_host_poll(h, 1000);
	return tq_test_wire_drain(h);
}

static void
check_echo_reply(struct tq_test_host *h, const char *to,
		const char *payload)
{
	uint8_t f[2048];
	uint32_t len = tq_test_wire_recv_flat(h, f, sizeof(f));
	struct rte_ipv6_hdr *ip = ip_of(f);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);
	struct tq_addr s = tq_test_addr("fd00::2"), d = tq_test_addr(to);
	uint32_t plen = (uint32_t)strlen(payload);

	assert_int_equal(len, 14 + 40 + 8 + plen);
	assert_memory_equal(f, tq_test_peer_mac, 6);
	assert_int_equal(ip->proto, IPPROTO_UDP);
	assert_int_equal(rte_be_to_cpu_16(ip->payload_len), 8 + plen);
	assert_memory_equal(ip->src_addr, s.v6, 16);
	assert_memory_equal(ip->dst_addr, d.v6, 16);
	assert_int_equal(rte_be_to_cpu_16(uh->src_port), ECHO_PORT);
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
	struct rte_ipv6_hdr *ip = ip_of(f);
	uint32_t len;

	host_up(&h, &e, NULL);
	len = udp_frame(&h, f, NULL, "fd00::1", "fd00::2", "hello");
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	check_echo_reply(&h, "fd00::1", "hello");

	/* Shorter than the fixed header. */
	assert_int_equal(exchange(&h, f, 14 + 39), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_IN_HDR_ERRORS), 1);

	/* Version 4 in an IPv6 frame. */
	len = udp_frame(&h, f, NULL, "fd00::1", "fd00::2", "hello");
	ip->vtc_flow = rte_cpu_to_be_32(4u << 28);
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_IN_HDR_ERRORS), 2);

	/* Payload length 0 (a jumbogram, not on Ethernet). */
	len = udp_frame(&h, f, NULL, "fd00::1", "fd00::2", "hello");
	ip->payload_len = 0;
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_IN_HDR_ERRORS), 3);

	/* Payload length beyond the frame. */
	len = udp_frame(&h, f, NULL, "fd00::1", "fd00::2", "hello");
	ip->payload_len = rte_cpu_to_be_16((uint16_t)(len - 14 - 40 + 1));
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_IN_TRUNCATED), 1);

	/* Trailing bytes past the payload are not data. */
	len = udp_frame(&h, f, NULL, "fd00::1", "fd00::2", "pad");
	memset(f + len, 0x77, 16);
	tq_test_wire_send(&h, f, len + 16);
	tq_test_host_poll(&h, 1000);
	check_echo_reply(&h, "fd00::1", "pad");
	assert_int_equal(e.last_len, 3);

	/* Multicast source. */
	len = udp_frame(&h, f, NULL, "ff02::1", "fd00::2", "hello");
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_IN_ADDR_ERRORS), 1);

	/* Not ours: another unicast address, a group we did not join. */
	len = udp_frame(&h, f, NULL, "fd00::1", "fd00::3", "hello");
	assert_int_equal(exchange(&h, f, len), 0);
	len = udp_frame(&h, f, (const uint8_t[]){ 0x33, 0x33, 0xff, 0, 0, 9 },
			"fd00::1", "ff02::1:ff00:9", "hello");
	assert_int_equal(exchange(&h, f, len), 0);
	len = udp_frame(&h, f, (const uint8_t[]){ 0x33, 0x33, 0, 0, 0, 2 },
			"fd00::1", "ff02::2", "hello");
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_IN_ADDR_ERRORS), 4);

	/* Groups we are in: all-nodes and our solicited-node group. */
	len = udp_frame(&h, f, all_nodes_mac, "fd00::1", "ff02::1", "all");
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	check_echo_reply(&h, "fd00::1", "all");
	len = udp_frame(&h, f, (const uint8_t[]){ 0x33, 0x33, 0xff, 0, 0, 2 },
			"fd00::1", "ff02::1:ff00:2", "sn");
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	check_echo_reply(&h, "fd00::1", "sn");

	/* Unknown next header; no next header. */
	len = udp_frame(&h, f, NULL, "fd00::1", "fd00::2", "hello");
	ip->proto = 99;
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_IN_UNKNOWN_PROTOS),
			1);
	ip->proto = NH_NONE;
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_IN_UNKNOWN_PROTOS),
			1);

	assert_int_equal(e.n, 4);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_IN_DELIVERS), 4);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

/* An 8-byte extension header: next header, length 0, PadN of 4. */
static uint32_t
ext8(uint8_t *p, uint8_t nh)
{
	p[0] = nh;
	p[1] = 0;
	p[2] = 1;	/* PadN */
	p[3] = 4;
	memset(p + 4, 0, 4);
	return 8;
}

/* A 24-byte routing header (type 4-like: 16-byte address). */
static uint32_t
routing(uint8_t *p, uint8_t nh, uint8_t segs_left)
{
	memset(p, 0, 24);
	p[0] = nh;
	p[1] = 2;	/* (2 + 1) * 8 = 24 */
	p[2] = 4;
	p[3] = segs_left;
	return 24;
}

static void
extension_headers(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	struct echo e;
	uint8_t f[512], pl[256];
	uint32_t off, len;
	uint64_t hdr_err;

	host_up(&h, &e, NULL);

	/* hop-by-hop, then UDP */
	off = ext8(pl, IPPROTO_UDP);
	off += tq_test_udp_dgram(pl + off, "fd00::1", "fd00::2", 5555,
			ECHO_PORT, "hbh", 3);
	len = tq_test_build_ip6(f, h.ifc.mac.addr_bytes, "fd00::1",
			"fd00::2", NH_HOP, 64, pl, off);
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	check_echo_reply(&h, "fd00::1", "hbh");

	/* a chain: dst-opts, dst-opts, routing with nothing left, UDP */
	off = ext8(pl, NH_DSTOPTS);
	off += ext8(pl + off, NH_ROUTING);
	off += routing(pl + off, IPPROTO_UDP, 0);
	off += tq_test_udp_dgram(pl + off, "fd00::1", "fd00::2", 5555,
			ECHO_PORT, "chain", 5);
	len = tq_test_build_ip6(f, h.ifc.mac.addr_bytes, "fd00::1",
			"fd00::2", NH_DSTOPTS, 64, pl, off);
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	check_echo_reply(&h, "fd00::1", "chain");
	assert_int_equal(e.n, 2);

	/* routing header with segments left: for a router, dropped */
	hdr_err = tq_test_counter(&h, TQ_CTR_IP6_IN_HDR_ERRORS);
	off = routing(pl, IPPROTO_UDP, 1);
	off += tq_test_udp_dgram(pl + off, "fd00::1", "fd00::2", 5555,
			ECHO_PORT, "rh", 2);
	len = tq_test_build_ip6(f, h.ifc.mac.addr_bytes, "fd00::1",
			"fd00::2", NH_ROUTING, 64, pl, off);
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_IN_HDR_ERRORS),
			hdr_err + 1);

	/* hop-by-hop anywhere but first (RFC 8200 4.3) */
	off = ext8(pl, NH_HOP);
	off += ext8(pl + off, IPPROTO_UDP);
	off += tq_test_udp_dgram(pl + off, "fd00::1", "fd00::2", 5555,
			ECHO_PORT, "hbh2", 4);
	len = tq_test_build_ip6(f, h.ifc.mac.addr_bytes, "fd00::1",
			"fd00::2", NH_DSTOPTS, 64, pl, off);
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_IN_HDR_ERRORS),
			hdr_err + 2);

	/* an extension header longer than the packet */
	off = ext8(pl, IPPROTO_UDP);
	pl[1] = 10;
	off += tq_test_udp_dgram(pl + off, "fd00::1", "fd00::2", 5555,
			ECHO_PORT, "long", 4);
	len = tq_test_build_ip6(f, h.ifc.mac.addr_bytes, "fd00::1",
			"fd00::2", NH_DSTOPTS, 64, pl, off);
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_IN_HDR_ERRORS),
			hdr_err + 3);

	/* cut inside an extension header */
	ext8(pl, IPPROTO_UDP);
	len = tq_test_build_ip6(f, h.ifc.mac.addr_bytes, "fd00::1",
			"fd00::2", NH_DSTOPTS, 64, pl, 4);
	assert_int_equal(exchange(&h, f, len), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_IN_TRUNCATED), 1);

	/* an atomic fragment (offset 0, no M) is just skipped */
	len = tq_test_udp_dgram(pl, "fd00::1", "fd00::2", 5555, ECHO_PORT,
			"atom", 4);
	len = tq_test_build_frag6(f, h.ifc.mac.addr_bytes, "fd00::1",
			"fd00::2", IPPROTO_UDP, 77, 0, false, pl, len);
	tq_test_wire_send(&h, f, len);
	tq_test_host_poll(&h, 1000);
	check_echo_reply(&h, "fd00::1", "atom");
	assert_int_equal(e.n, 3);
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
		big_payload[i] = (uint8_t)(i * 29 + (i >> 7));
}

/*
 * Collect fragments until a datagram is whole: each frame within the MTU,
 * the fragment header right after the fixed one, one id throughout,
 * offsets in order, M on all but the last.  Returns the L4 length.
 */
static uint32_t
recv_frags(struct tq_test_host *h, uint8_t *out, uint32_t cap,
		unsigned int *nfrags, uint32_t *idp, const char *src,
		const char *dst)
{
	static uint8_t f[4096];
	struct tq_addr s = tq_test_addr(src), d = tq_test_addr(dst);
	uint32_t next = 0, len;
	uint8_t nh = 0;

	*nfrags = 0;
	for (;;) {
		struct rte_ipv6_hdr *ip = ip_of(f);
		uint8_t *fh = (uint8_t *)(ip + 1);
		uint32_t id, off, plen;
		uint16_t fo;

		len = tq_test_wire_recv_flat(h, f, sizeof(f));
		assert_true(len > 0);
		assert_true(len <= 14u + h->ifc.mtu);
		assert_memory_equal(ip->src_addr, s.v6, 16);
		assert_memory_equal(ip->dst_addr, d.v6, 16);
		assert_int_equal(ip->proto, NH_FRAG);
		assert_int_equal(rte_be_to_cpu_16(ip->payload_len),
				len - 14 - 40);
		memcpy(&id, fh + 4, 4);
		if (*nfrags == 0) {
			*idp = id;
			nh = fh[0];
		}
		(*nfrags)++;
		assert_int_equal(id, *idp);
		assert_int_equal(fh[0], nh);
		fo = (uint16_t)((fh[2] << 8) | fh[3]);
		off = fo & 0xfff8;
		plen = len - 14 - 40 - 8;
		assert_int_equal(off, next);
		assert_true(off + plen <= cap);
		memcpy(out + off, fh + 8, plen);
		next = off + plen;
		if (!(fo & 1))
			break;
		assert_int_equal(plen % 8, 0);
	}
	assert_int_equal(nh, IPPROTO_UDP);
	return next;
}

static void
check_big(struct tq_test_host *h, const char *src, const char *dst,
		uint16_t sport, const uint8_t *payload, uint32_t plen,
		unsigned int want_frags, uint32_t *id)
{
	static uint8_t d[70000];
	struct tq_addr s = tq_test_addr(src), a = tq_test_addr(dst);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)d;
	unsigned int n;
	uint32_t len = recv_frags(h, d, sizeof(d), &n, id, src, dst);

	assert_int_equal(n, want_frags);
	assert_int_equal(len, 8 + plen);
	assert_int_equal(rte_be_to_cpu_16(uh->dgram_len), len);
	assert_int_equal(rte_be_to_cpu_16(uh->src_port), sport);
	assert_true(tq_test_l4_cksum_ok(&s, &a, IPPROTO_UDP, d, len));
	assert_memory_equal(uh + 1, payload, plen);
	assert_int_equal(tq_test_wire_drain(h), 0);
}

/* The request in three: [0,1448) [1448,2896) [2896,3008). */
static uint32_t
frag_of(struct tq_test_host *h, uint8_t *f, const uint8_t *dgram,
		uint32_t id, unsigned int k)
{
	static const uint32_t off[] = { 0, 1448, 2896 }, len[] = { 1448,
		1448, 112 };

	return tq_test_build_frag6(f, h->ifc.mac.addr_bytes, "fd00::1",
			"fd00::2", IPPROTO_UDP, id, off[k], k < 2,
			dgram + off[k], len[k]);
}

static void
reassembly(void **state)
{
	static const unsigned int orders[][3] = {
		{ 0, 1, 2 }, { 2, 1, 0 }, { 1, 0, 2 }, { 0, 2, 1 },
	};
	static uint8_t dgram[8 + BIG], f[2048];
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	struct echo e;
	uint32_t id, prev = 0;
	unsigned int i, k;

	fill_payload();
	host_up(&h, &e, NULL);
	tq_test_udp_dgram(dgram, "fd00::1", "fd00::2", 5555, ECHO_PORT,
			big_payload, BIG);
	for (i = 0; i < RTE_DIM(orders); i++) {
		for (k = 0; k < 3; k++) {
			tq_test_wire_send(&h, f, frag_of(&h, f, dgram,
					0x10000 + i, orders[i][k]));
			tq_test_host_poll(&h, 1000);
			if (k < 2)
				assert_int_equal(e.n, i);
		}
		assert_int_equal(e.n, i + 1);
		assert_int_equal(e.last_len, BIG);
		/* The echo goes back in fragments too, each reply with an
		 * id of its own. */
		check_big(&h, "fd00::2", "fd00::1", ECHO_PORT, big_payload,
				BIG, 3, &id);
		if (i > 0)
			assert_int_not_equal(id, prev);
		prev = id;
	}
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_REASM_REQDS), 12);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_REASM_OKS), 4);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_REASM_FAILS), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_FRAG_CREATES), 12);
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
	uint32_t id;

	fill_payload();
	tq_net_conf_defaults(&conf);
	conf.frag_timeout_ns = MS(1500);
	host_up(&h, &e, &conf);
	tq_test_udp_dgram(dgram, "fd00::1", "fd00::2", 5555, ECHO_PORT,
			big_payload, BIG);

	/* Overlap: the middle fragment 8 bytes early. */
	tq_test_wire_send(&h, f, frag_of(&h, f, dgram, 1, 0));
	tq_test_wire_send(&h, f, tq_test_build_frag6(f, h.ifc.mac.addr_bytes,
			"fd00::1", "fd00::2", IPPROTO_UDP, 1, 1440, true,
			dgram + 1440, 1448));
	tq_test_wire_send(&h, f, frag_of(&h, f, dgram, 1, 2));
	tq_test_host_poll(&h, 1000);
	assert_int_equal(e.n, 0);
	assert_int_equal(tq_test_wire_drain(&h), 0);
	assert_true(tq_test_counter(&h, TQ_CTR_IP6_REASM_FAILS) > 0);
	assert_int_equal(tq_test_pool_avail(), avail);

	/* Missing the middle: dropped at frag_timeout, counted, freed. */
	tq_test_wire_send(&h, f, frag_of(&h, f, dgram, 2, 0));
	tq_test_wire_send(&h, f, frag_of(&h, f, dgram, 2, 2));
	tq_test_host_poll(&h, 1000);
	t0 = h.now;
	fails = tq_test_counter(&h, TQ_CTR_IP6_REASM_FAILS);
	assert_int_equal(tq_test_pool_avail(), avail - 2);
	while (h.now < t0 + conf.frag_timeout_ns - MS(100)) {
		tq_test_host_poll(&h, MS(100));
		assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_REASM_FAILS),
				fails);
	}
	while (h.now < t0 + conf.frag_timeout_ns + MS(300))
		tq_test_host_poll(&h, MS(100));
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_REASM_FAILS),
			fails + 2);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP_REASM_FAILS), 0);
	assert_int_equal(tq_test_pool_avail(), avail);

	/* A fragment header after another extension header is not one the
	 * reassembler can take: dropped and counted. */
	{
		uint8_t pl[64];
		uint32_t off = ext8(pl, NH_FRAG), len;

		len = tq_test_build_frag6(f, h.ifc.mac.addr_bytes, "fd00::1",
				"fd00::2", IPPROTO_UDP, 9, 0, true, dgram, 16);
		memcpy(pl + off, f + 14 + 40, len - 14 - 40);
		off += len - 14 - 40;
		len = tq_test_build_ip6(f, h.ifc.mac.addr_bytes, "fd00::1",
				"fd00::2", NH_DSTOPTS, 64, pl, off);
		fails = tq_test_counter(&h, TQ_CTR_IP6_REASM_FAILS);
		assert_int_equal(exchange(&h, f, len), 0);
		assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_REASM_FAILS),
				fails + 1);
	}

	/* Still working: a whole datagram in pieces. */
	tq_test_wire_send(&h, f, frag_of(&h, f, dgram, 3, 1));
	tq_test_wire_send(&h, f, frag_of(&h, f, dgram, 3, 2));
	tq_test_wire_send(&h, f, frag_of(&h, f, dgram, 3, 0));
	tq_test_host_poll(&h, 1000);
	assert_int_equal(e.n, 1);
	check_big(&h, "fd00::2", "fd00::1", ECHO_PORT, big_payload, BIG, 3,
			&id);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
fragmentation(void **state)
{
	static uint8_t buf[8000];
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host h;
	struct tq_addr dst = tq_test_addr("fd00::1");
	struct echo e;
	uint32_t id1, id2, id3;
	unsigned int i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i ^ (i >> 3));
	host_up(&h, &e, NULL);
	tq_test_host_learn(&h, "fd00::1");

	/* 4008 bytes of UDP in 1448-byte pieces: 3 fragments */
	assert_int_equal(tq_udp_sendto(h.s, NULL, 1234, &dst, 4321, buf,
			4000), 0);
	tq_test_host_poll(&h, 1000);
	check_big(&h, "fd00::2", "fd00::1", 1234, buf, 4000, 3, &id1);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_FRAG_CREATES), 3);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_OUT_REQUESTS), 1);

	assert_int_equal(tq_udp_sendto(h.s, NULL, 1234, &dst, 4321, buf + 3,
			7000), 0);
	tq_test_host_poll(&h, 1000);
	check_big(&h, "fd00::2", "fd00::1", 1234, buf + 3, 7000, 5, &id2);
	assert_int_not_equal(id1, id2);

	/* Exactly the MTU: whole, no fragment header. */
	assert_int_equal(tq_udp_sendto(h.s, NULL, 1234, &dst, 4321, buf,
			1500 - 48), 0);
	tq_test_host_poll(&h, 1000);
	{
		static uint8_t f[2048];
		uint32_t len = tq_test_wire_recv_flat(&h, f, sizeof(f));

		assert_int_equal(len, 14 + 1500);
		assert_int_equal(ip_of(f)->proto, IPPROTO_UDP);
	}
	assert_int_equal(tq_udp_sendto(h.s, NULL, 1234, &dst, 4321, buf,
			1500 - 47), 0);
	tq_test_host_poll(&h, 1000);
	check_big(&h, "fd00::2", "fd00::1", 1234, buf, 1500 - 47, 2, &id3);
	assert_int_not_equal(id3, id2);
	assert_int_not_equal(id3, id1);
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

/*
 * A flow's prebuilt headers give the frame tq_ipv6_output() gives: TCP
 * and UDP, checksums in software and offloaded; past the MTU, the
 * general path's fragments.
 */
static void
tmpl_output(void **state)
{
	static uint8_t a[4096], b[4096];
	unsigned int avail = tq_test_pool_avail();
	const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	struct tq_addr src = tq_test_addr("fd00::2");
	struct tq_addr dst = tq_test_addr("fd00::1");
	struct rte_ether_addr mac;
	struct tq_ip_tmpl t;
	struct tq_test_host h;
	struct echo e;
	unsigned int off, pi;
	uint64_t ol;

	(void)state;
	host_up(&h, &e, NULL);
	memcpy(mac.addr_bytes, tq_test_peer_mac, 6);
	for (off = 0; off < 2; off++) {
		h.ifc.tx_tcp_cksum = h.ifc.tx_udp_cksum = off;
		for (pi = 0; pi < RTE_DIM(protos); pi++) {
			struct rte_mbuf *ma, *mb;
			uint32_t la, lb;
			uint64_t ola, olb;

			tq_ip_tmpl_build(h.s, &t, &src, &dst, protos[pi],
					&mac);
			assert_true(tq_ip_tmpl_valid(h.s, &t));
			ma = tq_test_l4_msg(&h, 300, (uint8_t)pi);
			mb = tq_test_l4_msg(&h, 300, (uint8_t)pi);
			assert_int_equal(tq_ipv6_output(h.s, ma, &src, &dst,
					protos[pi], &mac), 0);
			assert_int_equal(tq_ip_output_tmpl(h.s, mb, &t), 0);
			tq_shard_flush(h.s);
			la = tq_test_wire_recv_flat_ol(&h, a, sizeof(a), &ola);
			lb = tq_test_wire_recv_flat_ol(&h, b, sizeof(b), &olb);
			assert_int_equal(la, 14 + 40 + 300);
			assert_int_equal(lb, la);
			assert_memory_equal(a, b, la);
			assert_true(ola == olb);
			if (!off)
				assert_true(tq_test_l4_cksum_ok(&src, &dst,
						protos[pi], a + 54, 300));
		}
	}
	h.ifc.tx_tcp_cksum = h.ifc.tx_udp_cksum = 0;
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_OUT_REQUESTS), 8);

	/* Past the MTU: the general path's fragments (1232 a piece). */
	h.ifc.mtu = 1280;
	tq_ip_tmpl_build(h.s, &t, &src, &dst, IPPROTO_UDP, &mac);
	assert_int_equal(tq_ip_output_tmpl(h.s, tq_test_l4_msg(&h, 1500, 9),
			&t), 0);
	tq_shard_flush(h.s);
	assert_int_equal(tq_test_wire_recv_flat_ol(&h, a, sizeof(a), &ol),
			14 + 40 + 8 + 1232);
	assert_int_equal(ip_of(a)->proto, NH_FRAG);
	assert_int_equal(tq_test_wire_recv_flat_ol(&h, a, sizeof(a), &ol),
			14 + 40 + 8 + 1500 - 1232);
	assert_int_equal(tq_test_wire_drain(&h), 0);
	assert_int_equal(tq_test_counter(&h, TQ_CTR_IP6_FRAG_CREATES), 2);
	h.ifc.mtu = 1500;
	tq_test_host_fini(&h);
	assert_int_equal(tq_test_pool_avail(), avail);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(header_validation),
		cmocka_unit_test(extension_headers),
		cmocka_unit_test(reassembly),
		cmocka_unit_test(reassembly_failures),
		cmocka_unit_test(fragmentation),
		cmocka_unit_test(tmpl_output),
	};

	if (tq_test_eal_init("ipv6") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
