/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP.  Each record is a control byte and the ARP packet after an
 * Ethernet header the harness writes.  Control bit 0: to the broadcast
 * MAC (else the host's).  The host has frames queued for 10.0.0.5, so a
 * reply for it releases them; requests for 10.0.0.2 are answered.
 */
#include "fuzz_common.h"

int tq_fuzz_arp_one(const uint8_t *d, size_t n);

int
tq_fuzz_arp_one(const uint8_t *d, size_t n)
{
	static uint8_t f[FZ_MAX_FRAME];
	struct tq_fuzz_rec r[FZ_MAX_RECS];
	unsigned int k, i;

	k = tq_fuzz_records(d, n, r, FZ_MAX_RECS);
	tq_fuzz_begin();
	for (i = 0; i < k; i++) {
		uint8_t ctl;
		uint32_t len;

		if (r[i].len < 1)
			continue;
		ctl = r[i].p[0];
		len = RTE_MIN(r[i].len - 1, (uint32_t)sizeof(f) - 14);
		tq_fuzz_eth(f, (ctl & 1) ? tq_fuzz_bcast_mac :
				tq_fuzz_host_mac(), RTE_ETHER_TYPE_ARP);
		memcpy(f + 14, r[i].p + 1, len);
		tq_fuzz_send(f, 14 + len);
		tq_fuzz_poll(0);
	}
	tq_fuzz_settle();
	tq_fuzz_end();
	return 0;
}

TQ_FUZZ_TARGET("fuzz_arp", tq_fuzz_arp_one)
