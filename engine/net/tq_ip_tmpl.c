/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A connection's prebuilt Ethernet and IP headers (struct tq_ip_tmpl).
 *
 * Built from the route cache when it holds, and valid for the same
 * neighbour generation, a template turns the output of a segment into a
 * copy of 34 or 54 bytes and a few patched fields.  What the general
 * output does per packet and this does once: the header's fields one by
 * one, two prepends, and the pseudo-header's sum over the addresses
 * (16 words for IPv6).  bench/cost measured 98 instructions less a
 * segment over IPv4 (docs/benchmarks.md, perfcost8).
 */
#include <errno.h>
#include <string.h>

#include <rte_ip.h>

#include "tq_net.h"

void
tq_ip_tmpl_build(struct tq_shard *s, struct tq_ip_tmpl *t,
		const struct tq_addr *src, const struct tq_addr *dst,
		uint8_t proto, const struct rte_ether_addr *mac)
{
	struct tq_net *n = tq_net(s);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)t->hdr;

	memset(t, 0, sizeof(*t));
	eh->dst_addr = *mac;
	eh->src_addr = n->ifc->mac;
	t->proto = proto;
	/* What tq_ipv4_phdr_sum() and rte_ipv6_phdr_cksum() add up, less
	 * the length. */
	t->phsum = rte_cpu_to_be_16((uint16_t)proto);
	if (dst->family == AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);

		eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->time_to_live = n->conf->ttl;
		ip->next_proto_id = proto;
		ip->src_addr = src->v4;
		ip->dst_addr = dst->v4;
		t->phsum += __rte_raw_cksum(&ip->src_addr, 8, 0);
		/* Only for a port that does not sum the header itself. */
		if (!n->ifc->tx_ip_cksum)
			t->ipsum = __rte_raw_cksum(ip, sizeof(*ip), 0);
		t->len = RTE_ETHER_HDR_LEN + sizeof(*ip);
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eh + 1);

		eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip6->proto = proto;
		ip6->hop_limits = n->conf->ttl;
		memcpy(ip6->src_addr, src->v6, 16);
		memcpy(ip6->dst_addr, dst->v6, 16);
		t->phsum += __rte_raw_cksum(ip6->src_addr, 32, 0);
		t->len = RTE_ETHER_HDR_LEN + sizeof(*ip6);
	}
	t->gen = n->l2_gen;
}

/* The addresses of t's header, for the general path. */
static void
tmpl_addrs(const struct tq_ip_tmpl *t, struct tq_addr *src,
		struct tq_addr *dst)
{
	const uint8_t *l3 = t->hdr + RTE_ETHER_HDR_LEN;

	memset(src, 0, sizeof(*src));
	memset(dst, 0, sizeof(*dst));
	if (t->len == RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr)) {
		const struct rte_ipv4_hdr *ip = (const void *)l3;

		*src = tq_addr_v4(ip->src_addr);
		*dst = tq_addr_v4(ip->dst_addr);
	} else {
		const struct rte_ipv6_hdr *ip6 = (const void *)l3;

		src->family = dst->family = AF_INET6;
		memcpy(src->v6, ip6->src_addr, 16);
		memcpy(dst->v6, ip6->dst_addr, 16);
	}
}

static int
general(struct tq_shard *s, struct rte_mbuf *m, const struct tq_ip_tmpl *t)
{
	const struct rte_ether_hdr *eh = (const void *)t->hdr;
	struct tq_addr src, dst;

	tmpl_addrs(t, &src, &dst);
	return tq_ip_output(s, m, &src, &dst, t->proto, &eh->dst_addr);
}

/*
 * The L4 checksum in software, from the addresses' sum kept in t (an
 * IPv6 length's high word is 0 below 64 KiB).  Apart, so that the
 * offloaded path's code stays as it was.
 */
static __rte_noinline void
sw_l4_cksum(struct rte_mbuf *m, const struct tq_ip_tmpl *t, uint32_t hlen,
		uint32_t l4len, uint16_t *field)
{
	*field = 0;
	*field = tq_l4_cksum_psum(t->phsum + rte_cpu_to_be_16((uint16_t)l4len),
			t->proto, m, hlen, l4len);
}

/* One body, made twice with v4 a constant (tq_ip_output_tmpl()), so
 * each family's sizes and offsets are immediates. */
static __rte_always_inline int
output(struct tq_shard *s, struct rte_mbuf *m, const struct tq_ip_tmpl *t,
		const bool v4)
{
	struct tq_net *n = tq_net(s);
	const struct tq_iface *ifc = n->ifc;
	const uint32_t l3len = v4 ? sizeof(struct rte_ipv4_hdr) :
		sizeof(struct rte_ipv6_hdr);
	const uint32_t hlen = RTE_ETHER_HDR_LEN + l3len;
	uint32_t l4len = m->pkt_len;
	uint64_t tso = m->ol_flags & RTE_MBUF_F_TX_TCP_SEG;
	bool udp = t->proto == IPPROTO_UDP;
	/* IPv6 links are at least 1280 (RFC 8200 5), as the general path
	 * takes them. */
	const uint32_t mtu = v4 ? ifc->mtu :
		RTE_MAX(ifc->mtu, (uint16_t)1280);
	uint8_t *p, *l3;

	/* Fragments, or past what a length can say: the general path. */
	if (unlikely(l3len + l4len > mtu) &&
			(!tso || l3len + l4len > UINT16_MAX))
		return general(s, m, t);
	p = (uint8_t *)rte_pktmbuf_prepend(m, hlen);
	if (unlikely(!p)) {
		TQ_INC(s, NO_MBUF);
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	memcpy(p, t->hdr, hlen);
	l3 = p + RTE_ETHER_HDR_LEN;
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = l3len;
	if (v4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;

		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3len + l4len));
		ip->packet_id = rte_cpu_to_be_16(n->ip_id++);
		TQ_INC(s, IP_OUT_REQUESTS);
		if (ifc->tx_ip_cksum)
			m->ol_flags |= RTE_MBUF_F_TX_IPV4 |
				RTE_MBUF_F_TX_IP_CKSUM;
		else if (!tso)
			ip->hdr_checksum = (uint16_t)~tq_cksum_fold(
					t->ipsum + ip->total_length +
					ip->packet_id);
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)l3;

		ip6->payload_len = rte_cpu_to_be_16((uint16_t)l4len);
		TQ_INC(s, IP6_OUT_REQUESTS);
	}
	if (unlikely(tso)) {
		/* As the general path: cut and summed frame by frame
		 * below (tq_gso.c or the port). */
		m->ol_flags |= (v4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6) |
			(ifc->tx_tcp_cksum ? RTE_MBUF_F_TX_TCP_CKSUM : 0);
	} else {
		uint16_t *field = (uint16_t *)(l3 + l3len + (udp ? 6 : 16));

		if (udp ? ifc->tx_udp_cksum : ifc->tx_tcp_cksum) {
			*field = tq_cksum_fold(t->phsum +
					rte_cpu_to_be_16((uint16_t)l4len));
			m->ol_flags |= (v4 ? RTE_MBUF_F_TX_IPV4 :
					RTE_MBUF_F_TX_IPV6) | (udp ?
					RTE_MBUF_F_TX_UDP_CKSUM :
					RTE_MBUF_F_TX_TCP_CKSUM);
		} else {
			sw_l4_cksum(m, t, hlen, l4len, field);
		}
	}
	tq_shard_tx(s, m);
	return 0;
}

int
tq_ip_output_tmpl(struct tq_shard *s, struct rte_mbuf *m,
		const struct tq_ip_tmpl *t)
{
	if (t->len == RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr))
		return output(s, m, t, true);
	return output(s, m, t, false);
}
