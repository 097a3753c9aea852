/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "tq_net.h"

bool
tq_iface_has_addr(const struct tq_iface *ifc, const struct tq_addr *a)
{
	unsigned int i;

	for (i = 0; i < ifc->nb_addrs; i++)
		if (tq_addr_equal(&ifc->addrs[i].addr, a))
			return true;
	return false;
}

bool
tq_iface_is_bcast4(const struct tq_iface *ifc, uint32_t a)
{
	unsigned int i;

	if (a == UINT32_MAX)
		return true;
	for (i = 0; i < ifc->nb_addrs; i++) {
		const struct tq_ifaddr *ia = &ifc->addrs[i];
		uint32_t host;

		if (ia->addr.family != AF_INET || ia->plen >= 31)
			continue;
		host = rte_cpu_to_be_32(UINT32_MAX >> ia->plen);
		if ((a & host) == host &&
				(a & ~host) == (ia->addr.v4 & ~host))
			return true;
	}
	return false;
}

/*
 * Connected subnets first (longest prefix wins), then the default
 * gateway of the family.  The source is the address of the subnet used,
 * or the first address of the family for the gateway.
 */
int
tq_route_lookup(const struct tq_iface *ifc, const struct tq_addr *dst,
		struct tq_addr *nexthop, struct tq_addr *src)
{
	const struct tq_ifaddr *best = NULL, *first = NULL;
	const struct tq_addr *gw;
	unsigned int i;

	for (i = 0; i < ifc->nb_addrs; i++) {
		const struct tq_ifaddr *ia = &ifc->addrs[i];

		if (ia->addr.family != dst->family)
			continue;
		if (!first)
			first = ia;
		if (tq_addr_same_prefix(&ia->addr, dst, ia->plen) &&
				(!best || ia->plen > best->plen))
			best = ia;
	}
	if (best) {
		*nexthop = *dst;
		if (src && tq_addr_is_any(src))
			*src = best->addr;
		return 0;
	}
	gw = dst->family == AF_INET ? &ifc->gw4 : &ifc->gw6;
	if (gw->family != dst->family || !first)
		return -EHOSTUNREACH;
	*nexthop = *gw;
	if (src && tq_addr_is_any(src))
		*src = first->addr;
	return 0;
}

/*
 * The destination cache: direct-mapped, so a collision only costs the
 * evicted destination a lookup; entries are valid for the l2_gen they
 * were put under, as route caches are (the iface's addresses and
 * gateways do not change while the shard runs).
 */
static struct tq_dst_entry *
dcache_slot(struct tq_net *n, const struct tq_addr *dst)
{
	return &n->dcache[tq_addr_hash(dst) & (TQ_DCACHE_SIZE - 1)];
}

bool
tq_route_cache_fill(struct tq_shard *s, struct tq_route_cache *rc,
		const struct tq_addr *dst)
{
	struct tq_net *n = tq_net(s);
	const struct tq_dst_entry *e = dcache_slot(n, dst);

	if (e->gen != n->l2_gen || !tq_addr_equal(&e->dst, dst))
		return false;
	rc->mac = e->mac;
	rc->gen = e->gen;
	return true;
}

void
tq_dcache_put(struct tq_shard *s, const struct tq_addr *dst,
		const struct rte_ether_addr *mac)
{
	struct tq_net *n = tq_net(s);
	struct tq_dst_entry *e = dcache_slot(n, dst);

	e->dst = *dst;
	e->mac = *mac;
	e->gen = n->l2_gen;
}
