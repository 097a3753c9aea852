/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

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
