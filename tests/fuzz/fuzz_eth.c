/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The whole input path: records are Ethernet frames, put on the wire as
 * they are (addressed to the host's MAC or not), all in one burst.
 */
#include "fuzz_common.h"

int tq_fuzz_eth_one(const uint8_t *d, size_t n);

int
tq_fuzz_eth_one(const uint8_t *d, size_t n)
{
	struct tq_fuzz_rec r[FZ_MAX_RECS];
	unsigned int k, i;

	k = tq_fuzz_records(d, n, r, FZ_MAX_RECS);
	tq_fuzz_begin();
	for (i = 0; i < k; i++)
		tq_fuzz_send(r[i].p, r[i].len);
	tq_fuzz_settle();
	tq_fuzz_end();
	return 0;
}

TQ_FUZZ_TARGET("fuzz_eth", tq_fuzz_eth_one)
