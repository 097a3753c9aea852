/* SPDX-License-Identifier: BSD-3-Clause */
#include "tq_clock.h"

uint64_t tq_tsc_hz = 1000000000;
/* ns = tsc * 2^32 / hz, as a multiplier for a shift of 32. */
uint64_t tq_tsc_mult = 1ull << 32;

void
tq_clock_init(void)
{
	uint64_t hz = rte_get_tsc_hz();

	if (hz) {
		tq_tsc_hz = hz;
		tq_tsc_mult = (uint64_t)(((unsigned __int128)1000000000u << 32)
				/ hz);
	}
}
