/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv6: extension headers (hop-by-hop, routing, destination options),
 * fragments and reassembly, and what lies above.  Each record is a
 * control byte and an IPv6 packet, put after an Ethernet header.  Control
 * bits: 0 to the all-nodes MAC (else the host's); 1 set the payload
 * length to the packet's; 2 fix the UDP/TCP/ICMPv6 checksum (and UDP
 * length) past the extension headers.  One burst, so fragments meet.
 */
#include "fuzz_common.h"

int tq_fuzz_ipv6_one(const uint8_t *d, size_t n);

int
tq_fuzz_ipv6_one(const uint8_t *d, size_t n)
{
	static const uint8_t mc[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	static uint8_t f[FZ_MAX_FRAME];
	struct tq_fuzz_rec r[FZ_MAX_RECS];
	unsigned int k, i;

	k = tq_fuzz_records(d, n, r, FZ_MAX_RECS);
	tq_fuzz_begin();
	for (i = 0; i < k; i++) {
		uint8_t ctl, *ip = f + 14;
		uint32_t len;

		if (r[i].len < 1)
			continue;
		ctl = r[i].p[0];
		len = RTE_MIN(r[i].len - 1, (uint32_t)sizeof(f) - 14);
		tq_fuzz_eth(f, (ctl & 1) ? mc : tq_fuzz_host_mac(),
				RTE_ETHER_TYPE_IPV6);
		memcpy(ip, r[i].p + 1, len);
		if ((ctl & 2) && len >= 40) {
			ip[4] = (uint8_t)((len - 40) >> 8);
			ip[5] = (uint8_t)(len - 40);
		}
		if (ctl & 4)
			tq_fuzz_fix_l4(ip, len);
		tq_fuzz_send(f, 14 + len);
	}
	tq_fuzz_settle();
	tq_fuzz_end();
	return 0;
}

TQ_FUZZ_TARGET("fuzz_ipv6", tq_fuzz_ipv6_one)
