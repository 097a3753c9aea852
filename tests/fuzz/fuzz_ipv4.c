/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4: options, fragments and reassembly, and what lies above.  Each
 * record is a control byte and an IPv4 packet (header on), put after an
 * Ethernet header.  Control bits: 0 broadcast MAC; 1 set the total length
 * to the packet's; 2 leave the header checksum as it is (else fixed);
 * 3 fix the UDP/TCP/ICMP checksum (and UDP length) of an unfragmented
 * packet.  All records go in one burst, so fragments meet.
 */
#include "fuzz_common.h"

int tq_fuzz_ipv4_one(const uint8_t *d, size_t n);

int
tq_fuzz_ipv4_one(const uint8_t *d, size_t n)
{
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
		tq_fuzz_eth(f, (ctl & 1) ? tq_fuzz_bcast_mac :
				tq_fuzz_host_mac(), RTE_ETHER_TYPE_IPV4);
		memcpy(ip, r[i].p + 1, len);
		if ((ctl & 2) && len >= 4) {
			ip[2] = (uint8_t)(len >> 8);
			ip[3] = (uint8_t)len;
		}
		if (ctl & 8)
			tq_fuzz_fix_l4(ip, len);
		if (!(ctl & 4))
			tq_fuzz_ip4_cksum(ip, len);
		tq_fuzz_send(f, 14 + len);
	}
	tq_fuzz_settle();
	tq_fuzz_end();
	return 0;
}

TQ_FUZZ_TARGET("fuzz_ipv4", tq_fuzz_ipv4_one)
