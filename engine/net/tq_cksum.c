/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * L4 checksums over the pseudo-header built from the addresses we parsed,
 * not from the IP header: DPDK's helpers take lengths and the protocol
 * from the header, which is wrong with IPv6 extension headers.
 */
#include <string.h>

#include <rte_ip.h>

#include "tq_net.h"

uint16_t
tq_l4_pseudo_sum(const struct tq_addr *src, const struct tq_addr *dst,
		uint8_t proto, uint32_t len)
{
	if (src->family == AF_INET) {
		struct {
			uint32_t s, d;
			uint8_t z, p;
			uint16_t l;
		} __rte_packed ph = { src->v4, dst->v4, 0, proto,
			rte_cpu_to_be_16((uint16_t)len) };

		return rte_raw_cksum(&ph, sizeof(ph));
	} else {
		struct {
			uint8_t s[16], d[16];
			uint32_t l;
			uint8_t z[3], p;
		} __rte_packed ph;

		memcpy(ph.s, src->v6, 16);
		memcpy(ph.d, dst->v6, 16);
		ph.l = rte_cpu_to_be_32(len);
		memset(ph.z, 0, sizeof(ph.z));
		ph.p = proto;
		return rte_raw_cksum(&ph, sizeof(ph));
	}
}

bool
tq_l4_cksum_check(const struct tq_rx *rx, uint8_t proto, uint32_t len)
{
	uint16_t body = 0;
	uint32_t sum;

	if (rte_raw_cksum_mbuf(rx->m, 0, len, &body) < 0)
		return false;
	sum = (uint32_t)tq_l4_pseudo_sum(&rx->src, &rx->dst, proto, len) +
		body;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}
