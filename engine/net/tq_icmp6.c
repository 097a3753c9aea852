/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMPv6: echo, port unreachable, and neighbour discovery (RFC 4861):
 * solicitations answered and sent, advertisements learned.  No DAD, no
 * router discovery: addresses and the gateway are configured.
 */
#include <string.h>

#include <rte_ip.h>

#include "tq_net.h"

#define ICMP6_DST_UNREACH 1
#define ICMP6_PACKET_TOO_BIG 2
#define ICMP6_UNREACH_ADMIN 1
#define ICMP6_UNREACH_PORT 4
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ND_NEIGHBOR_SOLICIT 135
#define ND_NEIGHBOR_ADVERT 136
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
#define NA_FLAG_SOLICITED 0x40
#define NA_FLAG_OVERRIDE 0x20

struct icmp6_hdr {
	uint8_t type;
	uint8_t code;
	uint16_t cksum;
	uint32_t data;
} __rte_packed;

/* NS and NA: header, target, options. */
struct nd_msg {
	struct icmp6_hdr h;
	uint8_t target[16];
} __rte_packed;

struct nd_opt_lla {
	uint8_t type;
	uint8_t len; /* in 8-byte units */
	uint8_t mac[RTE_ETHER_ADDR_LEN];
} __rte_packed;

uint16_t
tq_cksum_icmp6(const struct tq_addr *src, const struct tq_addr *dst,
		const struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	struct {
		uint8_t src[16], dst[16];
		uint32_t len;
		uint8_t zero[3], nh;
	} __rte_packed ph;
	uint16_t body = 0;
	uint32_t sum;

	memcpy(ph.src, src->v6, 16);
	memcpy(ph.dst, dst->v6, 16);
	ph.len = rte_cpu_to_be_32(len);
	memset(ph.zero, 0, sizeof(ph.zero));
	ph.nh = IPPROTO_ICMPV6;
	if (tq_cksum_mbuf(m, off, len, &body) < 0)
		return 0;
	sum = (uint32_t)rte_raw_cksum(&ph, sizeof(ph)) + body;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum; /* 0xffff when the message checks */
}

static void
send_icmp6(struct tq_shard *s, struct rte_mbuf *m, const struct tq_addr *src,
		const struct tq_addr *dst, const struct rte_ether_addr *l2dst,
		uint8_t hlim)
{
	struct icmp6_hdr *h = rte_pktmbuf_mtod(m, struct icmp6_hdr *);

	h->cksum = 0;
	h->cksum = (uint16_t)~tq_cksum_icmp6(src, dst, m, 0, m->pkt_len);
	m->ol_flags = 0;
	tq_ipv6_output_hlim(s, m, src, dst, IPPROTO_ICMPV6, l2dst, hlim);
}

/* The link-layer address option of type want, if present and sane. */
static const struct rte_ether_addr *
find_lla(struct rte_mbuf *m, uint32_t off, uint8_t want)
{
	while (off + 2 <= m->data_len) {
		const uint8_t *o = rte_pktmbuf_mtod_offset(m, uint8_t *, off);
		uint32_t len = (uint32_t)o[1] * 8;

		if (len == 0 || off + len > m->data_len)
			return NULL; /* RFC 4861 4.6: length 0 is invalid */
		if (o[0] == want && len == sizeof(struct nd_opt_lla))
			return (const struct rte_ether_addr *)
				((const struct nd_opt_lla *)o)->mac;
		off += len;
	}
	return NULL;
}

void
tq_ndp_solicit(struct tq_shard *s, const struct tq_addr *target)
{
	struct tq_addr dst = { .family = AF_INET6 }, src = dst, nh;
	struct rte_ether_addr mc;
	struct nd_msg *ns;
	struct nd_opt_lla *o;
	struct rte_mbuf *m;

	if (tq_route_lookup(tq_net(s)->ifc, target, &nh, &src) < 0)
		return;
	m = tq_net_alloc(s);
	if (!m)
		return;
	ns = (struct nd_msg *)rte_pktmbuf_append(m, sizeof(*ns) + sizeof(*o));
	if (!ns) {
		rte_pktmbuf_free(m);
		return;
	}
	memset(ns, 0, sizeof(*ns));
	ns->h.type = ND_NEIGHBOR_SOLICIT;
	memcpy(ns->target, target->v6, 16);
	o = (struct nd_opt_lla *)(ns + 1);
	o->type = ND_OPT_SLLA;
	o->len = 1;
	memcpy(o->mac, &tq_net(s)->ifc->mac, RTE_ETHER_ADDR_LEN);
	tq_ipv6_solicited_node(target->v6, dst.v6);
	tq_ipv6_mcast_mac(dst.v6, &mc);
	TQ_INC(s, NDP_OUT_SOLICITS);
	send_icmp6(s, m, &src, &dst, &mc, 255);
}

static void
ndp_advertise(struct tq_shard *s, const uint8_t *target,
		const struct tq_addr *to, const struct rte_ether_addr *l2,
		bool solicited)
{
	struct tq_addr src = { .family = AF_INET6 };
	struct nd_msg *na;
	struct nd_opt_lla *o;
	struct rte_mbuf *m = tq_net_alloc(s);

	if (!m)
		return;
	memcpy(src.v6, target, 16);
	na = (struct nd_msg *)rte_pktmbuf_append(m, sizeof(*na) + sizeof(*o));
	if (!na) {
		rte_pktmbuf_free(m);
		return;
	}
	memset(na, 0, sizeof(*na));
	na->h.type = ND_NEIGHBOR_ADVERT;
	((uint8_t *)&na->h.data)[0] = NA_FLAG_OVERRIDE |
		(solicited ? NA_FLAG_SOLICITED : 0);
	memcpy(na->target, target, 16);
	o = (struct nd_opt_lla *)(na + 1);
	o->type = ND_OPT_TLLA;
	o->len = 1;
	memcpy(o->mac, &tq_net(s)->ifc->mac, RTE_ETHER_ADDR_LEN);
	TQ_INC(s, NDP_OUT_ADVERTS);
	send_icmp6(s, m, &src, to, l2, 255);
}

static void
ndp_input(struct tq_shard *s, struct tq_rx *rx, uint8_t type)
{
	const struct rte_ipv6_hdr *ip = rx->l3;
	struct rte_mbuf *m = rx->m;
	const struct rte_ether_addr *lla;
	struct nd_msg *nd;
	struct tq_addr target = { .family = AF_INET6 };

	/* RFC 4861 7.1.1/7.1.2: hop limit 255 proves on-link origin. */
	if (ip->hop_limits != 255 || m->data_len < sizeof(*nd)) {
		TQ_INC(s, ICMP6_IN_ERRORS);
		return;
	}
	nd = rte_pktmbuf_mtod(m, struct nd_msg *);
	if (nd->h.code != 0 || nd->target[0] == 0xff) {
		TQ_INC(s, ICMP6_IN_ERRORS);
		return;
	}
	memcpy(target.v6, nd->target, 16);
	if (type == ND_NEIGHBOR_SOLICIT) {
		TQ_INC(s, NDP_IN_SOLICITS);
		if (!tq_iface_has_addr(tq_net(s)->ifc, &target))
			return;
		lla = find_lla(m, sizeof(*nd), ND_OPT_SLLA);
		if (tq_addr_is_any(&rx->src)) {
			/* DAD probe by someone else: answer all-nodes. */
			struct tq_addr all = { .family = AF_INET6 };
			struct rte_ether_addr mc;

			if (lla)
				return; /* RFC 4861 7.1.1 */
			all.v6[0] = 0xff;
			all.v6[1] = 0x02;
			all.v6[15] = 1;
			tq_ipv6_mcast_mac(all.v6, &mc);
			ndp_advertise(s, nd->target, &all, &mc, false);
			return;
		}
		if (lla)
			tq_neigh_update(s, &rx->src, lla, true, true);
		ndp_advertise(s, nd->target, &rx->src,
				lla ? lla : &rx->peer_mac, true);
		return;
	}
	TQ_INC(s, NDP_IN_ADVERTS);
	lla = find_lla(m, sizeof(*nd), ND_OPT_TLLA);
	/* RFC 4861 7.2.5: update an entry we have, never create one. */
	if (lla && !tq_iface_has_addr(tq_net(s)->ifc, &target))
		tq_neigh_update(s, &target, lla, false, true);
}

/*
 * Destination unreachable or packet too big (RFC 4443 3.1, 3.2; RFC 8201)
 * quoting one of our TCP segments, with no extension header between the
 * quoted IPv6 header and TCP (we send none).  Handed to TCP, which owns
 * rx->m then.
 */
static bool
tcp_error(struct tq_shard *s, struct tq_rx *rx, const struct icmp6_hdr *h)
{
	struct tq_net *n = tq_net(s);
	const struct rte_ipv6_hdr *ip;
	struct tq_icmp_err e;
	uint8_t q[40 + 8];

	if (!n->tcp_icmp)
		return false;
	ip = rte_pktmbuf_read(rx->m, sizeof(*h), sizeof(q), q);
	if (!ip || (rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6 ||
			ip->proto != IPPROTO_TCP)
		return false;
	memset(&e, 0, sizeof(e));
	e.laddr.family = e.faddr.family = AF_INET6;
	memcpy(e.laddr.v6, ip->src_addr, 16);
	memcpy(e.faddr.v6, ip->dst_addr, 16);
	if (!tq_icmp_err_tcp(n->ifc, &e, (const uint8_t *)(ip + 1)))
		return false;
	if (h->type == ICMP6_PACKET_TOO_BIG)
		e.mtu = rte_be_to_cpu_32(h->data);
	else
		e.hard = h->code == ICMP6_UNREACH_PORT ||
			h->code == ICMP6_UNREACH_ADMIN;
	n->tcp_icmp(s, rx, &e);
	return true;
}

void
tq_icmp6_input(struct tq_shard *s, struct tq_rx *rx)
{
	struct rte_mbuf *m = rx->m;
	struct icmp6_hdr *h;

	if (m->data_len < sizeof(*h)) {
		TQ_INC(s, ICMP6_IN_ERRORS);
		goto drop;
	}
	if (tq_cksum_icmp6(&rx->src, &rx->dst, m, 0, m->pkt_len) != 0xffff) {
		TQ_INC(s, ICMP6_IN_CSUM_ERRORS);
		goto drop;
	}
	h = rte_pktmbuf_mtod(m, struct icmp6_hdr *);
	switch (h->type) {
	case ICMP6_DST_UNREACH:
	case ICMP6_PACKET_TOO_BIG:
		if (h->type == ICMP6_PACKET_TOO_BIG)
			TQ_INC(s, ICMP6_IN_PKT_TOO_BIGS);
		else
			TQ_INC(s, ICMP6_IN_DEST_UNREACHS);
		if (tcp_error(s, rx, h))
			return;
		goto drop;
	case ND_NEIGHBOR_SOLICIT:
	case ND_NEIGHBOR_ADVERT:
		ndp_input(s, rx, h->type);
		goto drop;
	case ICMP6_ECHO_REQUEST: {
		struct tq_addr src = rx->dst, nh;

		TQ_INC(s, ICMP6_IN_ECHOS);
		if (h->code != 0)
			goto drop;
		if (src.v6[0] == 0xff) {
			/* Echo to a group: answer from a unicast address. */
			memset(src.v6, 0, 16);
			if (tq_route_lookup(tq_net(s)->ifc, &rx->src, &nh,
					&src) < 0)
				goto drop;
		}
		h->type = ICMP6_ECHO_REPLY;
		TQ_INC(s, ICMP6_OUT_ECHO_REPS);
		send_icmp6(s, m, &src, &rx->src, &rx->peer_mac,
				tq_net(s)->conf->ttl);
		return;
	}
	default:
		goto drop;
	}
drop:
	rte_pktmbuf_free(m);
}

/* RFC 4443 3.1: destination unreachable, code 4 (port). */
void
tq_icmp6_port_unreach(struct tq_shard *s, struct tq_rx *rx)
{
	uint32_t room = 1280 - sizeof(struct rte_ipv6_hdr) -
		sizeof(struct icmp6_hdr);
	struct icmp6_hdr *h;
	struct rte_mbuf *m;
	const void *q;
	uint32_t body, hdr;
	uint8_t *p;

	if (rx->to_bcast)
		return;
	if (!tq_icmp_allow(s)) {
		TQ_INC(s, ICMP_RATELIMITED);
		return;
	}
	m = tq_net_alloc(s);
	if (!m)
		return;
	/* RFC 4443 2.4(c): as much of the invoking packet as fits in the
	 * minimum MTU; extension headers alone may already exceed it. */
	room = RTE_MIN(room, (uint32_t)rte_pktmbuf_tailroom(m) -
			(uint32_t)sizeof(*h));
	hdr = RTE_MIN((uint32_t)rx->l3_len, room);
	body = RTE_MIN(room - hdr, rx->m->pkt_len);
	h = (struct icmp6_hdr *)rte_pktmbuf_append(m,
			(uint16_t)(sizeof(*h) + hdr + body));
	if (!h) {
		rte_pktmbuf_free(m);
		return;
	}
	memset(h, 0, sizeof(*h));
	h->type = ICMP6_DST_UNREACH;
	h->code = 4;
	p = (uint8_t *)(h + 1);
	memcpy(p, rx->l3, hdr);
	q = body ? rte_pktmbuf_read(rx->m, 0, body, p + hdr) : NULL;
	if (q && q != p + hdr)
		memcpy(p + hdr, q, body);
	TQ_INC(s, ICMP6_OUT_DEST_UNREACHS);
	send_icmp6(s, m, &rx->dst, &rx->src, &rx->peer_mac,
			tq_net(s)->conf->ttl);
}
