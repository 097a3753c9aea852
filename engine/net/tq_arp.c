/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_arp.h>

#include "../core/tq_mbuf.h"
#include "tq_net.h"

static bool
on_link4(const struct tq_iface *ifc, uint32_t a)
{
	struct tq_addr x = tq_addr_v4(a);
	unsigned int i;

	for (i = 0; i < ifc->nb_addrs; i++)
		if (ifc->addrs[i].addr.family == AF_INET &&
				tq_addr_same_prefix(&ifc->addrs[i].addr, &x,
					ifc->addrs[i].plen))
			return true;
	return false;
}

static void
arp_send(struct tq_shard *s, uint16_t op, uint32_t sip, uint32_t tip,
		const struct rte_ether_addr *tha,
		const struct rte_ether_addr *l2dst)
{
	struct rte_mbuf *m = tq_net_alloc(s);
	struct rte_arp_hdr *ah;

	if (!m)
		return;
	ah = (struct rte_arp_hdr *)rte_pktmbuf_append(m, sizeof(*ah));
	ah->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(op);
	ah->arp_data.arp_sha = tq_net(s)->ifc->mac;
	ah->arp_data.arp_sip = sip;
	ah->arp_data.arp_tha = *tha;
	ah->arp_data.arp_tip = tip;
	if (op == RTE_ARP_OP_REQUEST)
		TQ_INC(s, ARP_OUT_REQUESTS);
	else
		TQ_INC(s, ARP_OUT_REPLIES);
	tq_eth_output(s, m, RTE_ETHER_TYPE_ARP, NULL, l2dst);
}

static uint32_t
source_for(const struct tq_iface *ifc, uint32_t target)
{
	struct tq_addr dst = tq_addr_v4(target), nh, src = { .family = AF_INET };

	if (tq_route_lookup(ifc, &dst, &nh, &src) == 0)
		return src.v4;
	return 0;
}

void
tq_arp_request(struct tq_shard *s, uint32_t target)
{
	static const struct rte_ether_addr zero;
	struct rte_ether_addr bcast;

	memset(&bcast, 0xff, sizeof(bcast));
	arp_send(s, RTE_ARP_OP_REQUEST, source_for(tq_net(s)->ifc, target),
			target, &zero, &bcast);
}

void
tq_net_announce(struct tq_shard *s)
{
	static const struct rte_ether_addr zero;
	const struct tq_iface *ifc = tq_net(s)->ifc;
	struct rte_ether_addr bcast;
	unsigned int i;

	memset(&bcast, 0xff, sizeof(bcast));
	for (i = 0; i < ifc->nb_addrs; i++) {
		uint32_t a = ifc->addrs[i].addr.v4;

		if (ifc->addrs[i].addr.family != AF_INET)
			continue;
		/* RFC 5227 2.3 announcement: sender and target IP both
		 * ours; the target MAC is ignored and SHOULD be zero
		 * (2.1.1), as Linux sends it. */
		arp_send(s, RTE_ARP_OP_REQUEST, a, a, &zero, &bcast);
	}
}

/* RFC 826, with the merge rule: refresh a known sender always, add it
 * only when the request was for us. */
void
tq_arp_input(struct tq_shard *s, struct rte_mbuf *m)
{
	const struct tq_iface *ifc = tq_net(s)->ifc;
	struct rte_arp_hdr *ah;
	struct tq_addr sip, tip;
	uint16_t op;
	bool for_us;

	if (m->data_len < sizeof(*ah)) {
		TQ_INC(s, ARP_MALFORMED);
		goto drop;
	}
	ah = rte_pktmbuf_mtod(m, struct rte_arp_hdr *);
	op = rte_be_to_cpu_16(ah->arp_opcode);
	if (ah->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
			ah->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
			ah->arp_hlen != RTE_ETHER_ADDR_LEN ||
			ah->arp_plen != 4 ||
			(op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) ||
			rte_is_multicast_ether_addr(&ah->arp_data.arp_sha)) {
		TQ_INC(s, ARP_MALFORMED);
		goto drop;
	}
	if (op == RTE_ARP_OP_REQUEST)
		TQ_INC(s, ARP_IN_REQUESTS);
	else
		TQ_INC(s, ARP_IN_REPLIES);
	sip = tq_addr_v4(ah->arp_data.arp_sip);
	tip = tq_addr_v4(ah->arp_data.arp_tip);
	for_us = tq_iface_has_addr(ifc, &tip);
	/* Ignore senders claiming our own addresses or off-link ones. */
	if (sip.v4 != 0 && !tq_iface_has_addr(ifc, &sip) &&
			on_link4(ifc, sip.v4))
		tq_neigh_update(s, &sip, &ah->arp_data.arp_sha, for_us, true);
	if (op != RTE_ARP_OP_REQUEST)
		goto drop;
	if (!for_us) {
		TQ_INC(s, ARP_NOT_FOR_US);
		goto drop;
	}
	/* Turn the request around in place. */
	ah->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	ah->arp_data.arp_tha = ah->arp_data.arp_sha;
	ah->arp_data.arp_tip = ah->arp_data.arp_sip;
	ah->arp_data.arp_sha = ifc->mac;
	ah->arp_data.arp_sip = tip.v4;
	tq_mbuf_trim_to(m, sizeof(*ah));
	TQ_INC(s, ARP_OUT_REPLIES);
	tq_eth_output(s, m, RTE_ETHER_TYPE_ARP, NULL,
			&ah->arp_data.arp_tha);
	return;
drop:
	rte_pktmbuf_free(m);
}
