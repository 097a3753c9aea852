/* SPDX-License-Identifier: BSD-3-Clause */
#include "tq_test.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "core/tq_clock.h"

static struct rte_mempool *pool;

const uint8_t tq_test_peer_mac[6] = { 0x02, 0, 0, 0, 0, 0xee };

int
tq_test_eal_init(const char *name)
{
	char prefix[64];
	char *argv[] = { (char *)name, "--no-huge", "--no-pci", "--no-shconf",
		"-m", "128", "-l", "0", "--no-telemetry", "--log-level", "5",
		"--file-prefix", prefix, NULL };

	snprintf(prefix, sizeof(prefix), "tqt_%s_%d", name, (int)getpid());
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0)
		return -1;
	tq_clock_init();
	pool = rte_pktmbuf_pool_create("tq_test_pool", 8191, 0, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	return pool ? 0 : -1;
}

struct rte_mempool *
tq_test_pool(void)
{
	return pool;
}

int
tq_test_host_init(struct tq_test_host *h, uint8_t id,
		const char *const *addrs, const struct tq_fault_spec *fault)
{
	static unsigned int seq;
	char name[32];
	struct tq_shard_conf sc = { 0 };
	unsigned int i;

	memset(h, 0, sizeof(*h));
	h->now = 1000000000ull; /* not zero, so "never" differs from now */
	h->ifc.mac.addr_bytes[0] = 0x02;
	h->ifc.mac.addr_bytes[5] = id;
	h->ifc.mtu = 1500;
	for (i = 0; addrs && addrs[i]; i++) {
		if (tq_prefix_parse(addrs[i], &h->ifc.addrs[i].addr,
				&h->ifc.addrs[i].plen) < 0)
			return -1;
		h->ifc.nb_addrs++;
	}
	tq_net_conf_defaults(&h->conf);
	snprintf(name, sizeof(name), "tqt_l%u", seq++);
	if (tq_memlink_create(&h->link, name, 4096) < 0)
		return -1;
	sc.id = 0;
	sc.nb_workers = 1;
	sc.socket = SOCKET_ID_ANY;
	sc.pool = pool;
	sc.fault = fault;
	sc.timer_tick_ns = 1000000;
	sc.now = h->now;
	h->s = tq_shard_create(&sc);
	if (!h->s)
		return -1;
	tq_io_init_memlink(&h->s->io, &h->link, 0);
	tq_io_init_memlink(&h->wire, &h->link, 1);
	return tq_net_attach(h->s, &h->ifc, &h->conf, &h->udp);
}

void
tq_test_host_fini(struct tq_test_host *h)
{
	if (h->s) {
		tq_net_detach(h->s);
		tq_shard_free(h->s);
	}
	tq_memlink_free(&h->link);
	h->s = NULL;
}

void
tq_test_host_poll(struct tq_test_host *h, uint64_t ns)
{
	h->now += ns;
	tq_shard_poll(h->s, h->now);
}

void
tq_test_wire_send(struct tq_test_host *h, const void *frame, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *p;

	assert_non_null(m);
	p = rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(p);
	memcpy(p, frame, len);
	assert_int_equal(h->wire.tx(&h->wire, &m, 1), 1);
}

struct rte_mbuf *
tq_test_wire_recv(struct tq_test_host *h)
{
	struct rte_mbuf *m = NULL;

	if (h->wire.rx(&h->wire, &m, 1) == 1)
		return m;
	return NULL;
}

unsigned int
tq_test_wire_drain(struct tq_test_host *h)
{
	struct rte_mbuf *m;
	unsigned int n = 0;

	while ((m = tq_test_wire_recv(h)) != NULL) {
		rte_pktmbuf_free(m);
		n++;
	}
	return n;
}

/* Carry what each host sent to the other, then poll both. */
void
tq_test_pair_poll(struct tq_test_host *a, struct tq_test_host *b,
		uint64_t ns)
{
	struct rte_mbuf *m;

	while ((m = tq_test_wire_recv(a)) != NULL)
		if (b->wire.tx(&b->wire, &m, 1) != 1)
			rte_pktmbuf_free(m);
	while ((m = tq_test_wire_recv(b)) != NULL)
		if (a->wire.tx(&a->wire, &m, 1) != 1)
			rte_pktmbuf_free(m);
	tq_test_host_poll(a, ns);
	tq_test_host_poll(b, ns);
}

uint64_t
tq_test_counter(const struct tq_test_host *h, unsigned int id)
{
	return h->s->ctr[id];
}

static void
put_eth(uint8_t *buf, const uint8_t *dmac, uint16_t type)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)buf;

	memcpy(&eh->dst_addr, dmac, 6);
	memcpy(&eh->src_addr, tq_test_peer_mac, 6);
	eh->ether_type = rte_cpu_to_be_16(type);
}

void
tq_test_ipv4_fix_cksum(uint8_t *frame)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + 14);

	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

static void
put_ipv4(uint8_t *p, const char *src, const char *dst, uint8_t proto,
		uint32_t plen)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
	struct tq_addr s, d;

	assert_int_equal(tq_addr_parse(src, &s), 0);
	assert_int_equal(tq_addr_parse(dst, &d), 0);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + plen));
	ip->packet_id = rte_cpu_to_be_16(1);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = s.v4;
	ip->dst_addr = d.v4;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

uint32_t
tq_test_build_udp4(uint8_t *buf, const uint8_t *dmac, const char *src,
		const char *dst, uint16_t sport, uint16_t dport,
		const void *payload, uint32_t plen)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + 14);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);

	put_eth(buf, dmac, RTE_ETHER_TYPE_IPV4);
	put_ipv4((uint8_t *)ip, src, dst, IPPROTO_UDP, sizeof(*uh) + plen);
	uh->src_port = rte_cpu_to_be_16(sport);
	uh->dst_port = rte_cpu_to_be_16(dport);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*uh) + plen));
	uh->dgram_cksum = 0;
	memcpy(uh + 1, payload, plen);
	uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
	return 14 + sizeof(*ip) + sizeof(*uh) + plen;
}

uint32_t
tq_test_build_udp6(uint8_t *buf, const uint8_t *dmac, const char *src,
		const char *dst, uint16_t sport, uint16_t dport,
		const void *payload, uint32_t plen)
{
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(buf + 14);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);
	struct tq_addr s, d;

	assert_int_equal(tq_addr_parse(src, &s), 0);
	assert_int_equal(tq_addr_parse(dst, &d), 0);
	put_eth(buf, dmac, RTE_ETHER_TYPE_IPV6);
	memset(ip, 0, sizeof(*ip));
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16((uint16_t)(sizeof(*uh) + plen));
	ip->proto = IPPROTO_UDP;
	ip->hop_limits = 64;
	memcpy(ip->src_addr, s.v6, 16);
	memcpy(ip->dst_addr, d.v6, 16);
	uh->src_port = rte_cpu_to_be_16(sport);
	uh->dst_port = rte_cpu_to_be_16(dport);
	uh->dgram_len = ip->payload_len;
	uh->dgram_cksum = 0;
	memcpy(uh + 1, payload, plen);
	uh->dgram_cksum = rte_ipv6_udptcp_cksum(ip, uh);
	return 14 + sizeof(*ip) + sizeof(*uh) + plen;
}

uint32_t
tq_test_build_arp(uint8_t *buf, uint16_t op, const uint8_t *sha,
		const char *sip, const uint8_t *tha, const char *tip)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)(buf + 14);
	struct tq_addr s, t;

	assert_int_equal(tq_addr_parse(sip, &s), 0);
	assert_int_equal(tq_addr_parse(tip, &t), 0);
	put_eth(buf, op == RTE_ARP_OP_REQUEST ? bcast : tha,
			RTE_ETHER_TYPE_ARP);
	memcpy(buf + 6, sha, 6);
	ah->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = 6;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(op);
	memcpy(&ah->arp_data.arp_sha, sha, 6);
	ah->arp_data.arp_sip = s.v4;
	memcpy(&ah->arp_data.arp_tha, tha, 6);
	ah->arp_data.arp_tip = t.v4;
	return 14 + sizeof(*ah);
}

uint32_t
tq_test_build_icmp4_echo(uint8_t *buf, const uint8_t *dmac, const char *src,
		const char *dst, uint16_t id, uint16_t seq, const void *data,
		uint32_t dlen)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + 14);
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(ip + 1);

	put_eth(buf, dmac, RTE_ETHER_TYPE_IPV4);
	put_ipv4((uint8_t *)ip, src, dst, IPPROTO_ICMP, sizeof(*ic) + dlen);
	ic->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	ic->icmp_code = 0;
	ic->icmp_ident = rte_cpu_to_be_16(id);
	ic->icmp_seq_nb = rte_cpu_to_be_16(seq);
	ic->icmp_cksum = 0;
	memcpy(ic + 1, data, dlen);
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, sizeof(*ic) + dlen);
	return 14 + sizeof(*ip) + sizeof(*ic) + dlen;
}
