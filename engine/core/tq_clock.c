/* SPDX-License-Identifier: BSD-3-Clause */
#include "tq_clock.h"

uint64_t tq_tsc_hz = 1000000000;

void
tq_clock_init(void)
{
	uint64_t hz = rte_get_tsc_hz();

	if (hz)
		tq_tsc_hz = hz;
}
