/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "../core/tq_mbuf.h"
#include "tq_net.h"

#define MAX_FRAGS 64

/* RFC 791 3.1: every option is EOL, NOP, or type-length-value that fits. */
static bool
options_valid(const uint8_t *o, unsigned int len)
{
	unsigned int i = 0;

	while (i < len) {
		if (o[i] == 0) /* end of list */
			return true;
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || o[i + 1] < 2 || i + o[i + 1] > len)
			return false;
		i += o[i + 1];
	}
	return true;
}

static bool
src_martian(uint32_t be)
{
	uint32_t a = rte_be_to_cpu_32(be);

	/* multicast/reserved, loopback, limited broadcast */
	return (a >> 28) >= 0xe || (a >> 24) == 127;
}

void
tq_ipv4_input(struct tq_shard *s, struct rte_mbuf *m,
		const struct rte_ether_addr *peer, bool l2_bcast)
{
	struct tq_net *n = tq_net(s);
	const struct tq_iface *ifc = n->ifc;
	struct rte_ipv4_hdr *ip;
	struct tq_rx rx;
	uint16_t tot, hlen;
	uint64_t csum_flags;

	TQ_INC(s, IP_IN_RECEIVES);
	if (unlikely(m->data_len < sizeof(*ip))) {
		TQ_INC(s, IP_IN_HDR_ERRORS);
		goto drop;
	}
	ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	hlen = rte_ipv4_hdr_len(ip);
	tot = rte_be_to_cpu_16(ip->total_length);
	if (unlikely((ip->version_ihl >> 4) != 4 || hlen < sizeof(*ip) ||
			hlen > m->data_len || tot < hlen)) {
		TQ_INC(s, IP_IN_HDR_ERRORS);
		goto drop;
	}
	if (unlikely(tot > m->pkt_len)) {
		TQ_INC(s, IP_IN_TRUNCATED);
		goto drop;
	}
	csum_flags = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (csum_flags == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
			(csum_flags != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
			 !tq_ipv4_hdr_sum_ok(ip, hlen))) {
		TQ_INC(s, IP_IN_CSUM_ERRORS);
		goto drop;
	}
	if (unlikely(hlen > sizeof(*ip) &&
			!options_valid((const uint8_t *)(ip + 1),
				hlen - sizeof(*ip)))) {
		TQ_INC(s, IP_IN_HDR_ERRORS);
		goto drop;
	}
	if (unlikely(ip->time_to_live == 0)) {
		TQ_INC(s, IP_IN_TTL_EXPIRED);
		goto drop;
	}
	/* Drop Ethernet padding. */
	if (m->pkt_len > tot)
		tq_mbuf_trim_to(m, tot);

	/* Fields set on the zeroed rx: tq_addr_v4()'s temporaries went
	 * through the stack (bench/cost). */
	memset(&rx, 0, sizeof(rx));
	rx.src.family = AF_INET;
	rx.src.v4 = ip->src_addr;
	rx.dst.family = AF_INET;
	rx.dst.v4 = ip->dst_addr;
	/* peer points into the frame's Ethernet header: read it before
	 * reassembly can touch the buffer. */
	rx.peer_mac = *peer;
	if (unlikely(src_martian(ip->src_addr))) {
		TQ_INC(s, IP_IN_ADDR_ERRORS);
		goto drop;
	}
	if (!tq_iface_has_addr4(ifc, ip->dst_addr)) {
		if (!tq_iface_is_bcast4(ifc, ip->dst_addr)) {
			/* A host, not a router: not ours means drop. */
			TQ_INC(s, IP_IN_ADDR_ERRORS);
			goto drop;
		}
		rx.to_bcast = true;
	}
	if (l2_bcast)
		rx.to_bcast = true;

	if (rte_ipv4_frag_pkt_is_fragmented(ip)) {
		uint32_t before = n->dr.cnt;
		struct rte_mbuf *r;

		TQ_INC(s, IP_REASM_REQDS);
		m->l2_len = 0;
		m->l3_len = hlen;
		r = rte_ipv4_frag_reassemble_packet(n->frag, &n->dr, m, s->now,
				ip);
		if (n->dr.cnt > before)
			TQ_ADD(s, IP_REASM_FAILS, n->dr.cnt - before);
		if (!r)
			return; /* held, or freed via the death row */
		TQ_INC(s, IP_REASM_OKS);
		m = r;
		ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
		hlen = rte_ipv4_hdr_len(ip);
		/* A reassembled datagram whose length disagrees with its
		 * header means the fragments did not fit together. */
		if (rte_be_to_cpu_16(ip->total_length) != m->pkt_len) {
			TQ_INC(s, IP_REASM_FAILS);
			goto drop;
		}
	}

	rx.l3 = ip;
	rx.l3_len = hlen;
	rx.tos = ip->type_of_service;
	rx.proto = ip->next_proto_id;
	rte_pktmbuf_adj(m, hlen);
	m->l3_len = hlen;
	rx.m = m;
	switch (rx.proto) {
	case IPPROTO_UDP:
		TQ_INC(s, IP_IN_DELIVERS);
		tq_udp_input(s, &rx);
		return;
	case IPPROTO_ICMP:
		TQ_INC(s, IP_IN_DELIVERS);
		tq_icmp_input(s, &rx);
		return;
	case IPPROTO_TCP:
		if (!n->tcp_input) {
			TQ_INC(s, TCP_NO_HANDLER);
			goto drop;
		}
		TQ_INC(s, IP_IN_DELIVERS);
		n->tcp_input(s, &rx);
		return;
	default:
		TQ_INC(s, IP_IN_UNKNOWN_PROTOS);
		goto drop;
	}
drop:
	rte_pktmbuf_free(m);
}

/* Fill the L4 checksum of m (data at L3): offloaded or in software. */
static void
l4_cksum4(struct tq_shard *s, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		uint8_t proto, bool may_offload)
{
	const struct tq_iface *ifc = tq_net(s)->ifc;
	uint16_t *field;
	uint16_t hlen = sizeof(*ip);

	if (proto == IPPROTO_UDP)
		field = rte_pktmbuf_mtod_offset(m, uint16_t *, hlen + 6);
	else if (proto == IPPROTO_TCP)
		field = rte_pktmbuf_mtod_offset(m, uint16_t *, hlen + 16);
	else
		return;
	*field = 0;
	if (may_offload && ((proto == IPPROTO_UDP && ifc->tx_udp_cksum) ||
			(proto == IPPROTO_TCP && ifc->tx_tcp_cksum))) {
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | (proto == IPPROTO_UDP ?
				RTE_MBUF_F_TX_UDP_CKSUM :
				RTE_MBUF_F_TX_TCP_CKSUM);
		*field = tq_ipv4_phdr_sum(ip);
		return;
	}
	{
		struct tq_addr sa = tq_addr_v4(ip->src_addr);
		struct tq_addr da = tq_addr_v4(ip->dst_addr);

		*field = tq_l4_cksum_out(&sa, &da, proto, m, hlen,
				m->pkt_len - hlen);
	}
}

static void
ip_cksum4(struct tq_shard *s, struct rte_mbuf *m, struct rte_ipv4_hdr *ip)
{
	ip->hdr_checksum = 0;
	if (tq_net(s)->ifc->tx_ip_cksum) {
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
		m->l2_len = RTE_ETHER_HDR_LEN;
		m->l3_len = rte_ipv4_hdr_len(ip);
	} else {
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
}

/* m, IP header on, past the MTU: its fragments, each to the next hop.
 * Apart from ipv4_output(), whose every packet would otherwise carry
 * this path's frame (the fragment array and its stack guard). */
static __rte_noinline int
fragment4(struct tq_shard *s, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		uint8_t proto, const struct tq_addr *nh,
		const struct rte_ether_addr *l2dst)
{
	struct rte_mbuf *frags[MAX_FRAGS];
	int nf, i;

	/* Fragments cannot share one offloaded L4 checksum. */
	l4_cksum4(s, m, ip, proto, false);
	nf = rte_ipv4_fragment_packet(m, frags, MAX_FRAGS,
			tq_net(s)->ifc->mtu, s->pool, s->pool);
	rte_pktmbuf_free(m);
	if (nf < 0) {
		TQ_INC(s, IP_FRAG_FAILS);
		return nf;
	}
	TQ_ADD(s, IP_FRAG_CREATES, nf);
	for (i = 0; i < nf; i++) {
		struct rte_mbuf *f = frags[i];

		ip = rte_pktmbuf_mtod(f, struct rte_ipv4_hdr *);
		f->ol_flags = 0;
		ip_cksum4(s, f, ip);
		tq_eth_output(s, f, RTE_ETHER_TYPE_IPV4, nh, l2dst);
	}
	return 0;
}

static int
ipv4_output(struct tq_shard *s, struct rte_mbuf *m, uint32_t src,
		uint32_t dst, uint8_t proto, const struct rte_ether_addr *l2dst,
		const struct tq_ip_txopt *o)
{
	struct tq_net *n = tq_net(s);
	const struct tq_iface *ifc = n->ifc;
	struct rte_ipv4_hdr *ip;
	struct tq_addr nh;
	uint32_t len;

	/* Address structs only for a route lookup: a connection's segments
	 * come with the next hop's MAC (nearly every packet sent). */
	if (l2dst) {
		; /* a reply or a cached route: no lookup needed */
	} else if (o->nexthop) {
		nh = *o->nexthop;
	} else {
		struct tq_addr d = tq_addr_v4(dst), sa = tq_addr_v4(src);

		if (tq_route_lookup(ifc, &d, &nh, &sa) < 0) {
			TQ_INC(s, IP_OUT_NO_ROUTES);
			if (NET_LOG_ON(DEBUG)) {
				char a[TQ_ADDR_STRLEN];

				NET_LOG(DEBUG, "no route to %s",
					tq_addr_format(&d, a, sizeof(a)));
			}
			rte_pktmbuf_free(m);
			return -EHOSTUNREACH;
		}
		src = sa.v4;
	}
	len = m->pkt_len + sizeof(*ip);
	if (len > UINT16_MAX || (o->df && len > ifc->mtu)) {
		rte_pktmbuf_free(m);
		return -EMSGSIZE;
	}
	ip = (struct rte_ipv4_hdr *)rte_pktmbuf_prepend(m, sizeof(*ip));
	if (!ip) {
		TQ_INC(s, NO_MBUF);
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = o->tos;
	ip->total_length = rte_cpu_to_be_16((uint16_t)len);
	ip->packet_id = rte_cpu_to_be_16(n->ip_id++);
	ip->fragment_offset = o->df ? RTE_BE16(RTE_IPV4_HDR_DF_FLAG) : 0;
	ip->time_to_live = n->conf->ttl;
	ip->next_proto_id = proto;
	ip->src_addr = src;
	ip->dst_addr = dst;
	ip->hdr_checksum = 0;
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = sizeof(*ip);
	TQ_INC(s, IP_OUT_REQUESTS);

	if (unlikely(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG)) {
		/* Cut to the MSS below (tq_gso.c or the port), checksummed
		 * frame by frame there, offloaded where the port can. */
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 |
			(ifc->tx_ip_cksum ? RTE_MBUF_F_TX_IP_CKSUM : 0) |
			(ifc->tx_tcp_cksum ? RTE_MBUF_F_TX_TCP_CKSUM : 0);
		tq_eth_output(s, m, RTE_ETHER_TYPE_IPV4, &nh, l2dst);
		return 0;
	}
	if (likely(len <= ifc->mtu)) {
		l4_cksum4(s, m, ip, proto, true);
		ip_cksum4(s, m, ip);
		tq_eth_output(s, m, RTE_ETHER_TYPE_IPV4, &nh, l2dst);
		return 0;
	}
	return fragment4(s, m, ip, proto, &nh, l2dst);
}

int
tq_ipv4_output(struct tq_shard *s, struct rte_mbuf *m, uint32_t src,
		uint32_t dst, uint8_t proto, const struct rte_ether_addr *l2dst)
{
	static const struct tq_ip_txopt none;

	return ipv4_output(s, m, src, dst, proto, l2dst, &none);
}

int
tq_ip_output_opt(struct tq_shard *s, struct rte_mbuf *m,
		const struct tq_addr *src, const struct tq_addr *dst,
		uint8_t proto, const struct rte_ether_addr *l2dst,
		const struct tq_ip_txopt *o)
{
	if (dst->family == AF_INET)
		return ipv4_output(s, m, src && src->family ? src->v4 : 0,
				dst->v4, proto, l2dst, o);
	return tq_ipv6_output_opt(s, m, src, dst, proto, l2dst,
			tq_net(s)->conf->ttl, o);
}

int
tq_ip_output_rc(struct tq_shard *s, struct rte_mbuf *m,
		const struct tq_addr *src, const struct tq_addr *dst,
		uint8_t proto, struct tq_route_cache *rc)
{
	struct tq_net *n = tq_net(s);
	struct tq_addr nh, sa = *src;
	struct tq_ip_txopt o = { .nexthop = &nh };

	if (likely(rc->gen == n->l2_gen))
		return tq_ip_output(s, m, src, dst, proto, &rc->mac);
	if (tq_route_lookup(n->ifc, dst, &nh, &sa) < 0)
		return tq_ip_output(s, m, src, dst, proto, NULL); /* counted */
	if (tq_neigh_reachable(s, &nh, &rc->mac) == 0) {
		rc->gen = n->l2_gen;
		tq_dcache_put(s, dst, &rc->mac);
		return tq_ip_output(s, m, src, dst, proto, &rc->mac);
	}
	/* Not resolved, stale, or one of our own addresses (never in the
	 * neighbour table: a connection to ourselves keeps this path):
	 * the neighbour code decides, with the route already looked up. */
	return tq_ip_output_opt(s, m, src, dst, proto, NULL, &o);
}

int
tq_ip_output(struct tq_shard *s, struct rte_mbuf *m,
		const struct tq_addr *src, const struct tq_addr *dst,
		uint8_t proto, const struct rte_ether_addr *l2dst)
{
	if (dst->family == AF_INET)
		return tq_ipv4_output(s, m, src ? src->v4 : 0, dst->v4, proto,
				l2dst);
	return tq_ipv6_output(s, m, src, dst, proto, l2dst);
}
