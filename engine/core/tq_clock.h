/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_CLOCK_H
#define TQ_CLOCK_H

/*
 * The only clock the engine reads: the TSC, once per burst, as
 * nanoseconds.  Protocol code gets "now" passed in and never calls this.
 */

#include <stdint.h>

#include <rte_cycles.h>

extern uint64_t tq_tsc_hz;

void tq_clock_init(void);

static inline uint64_t
tq_clock_ns(void)
{
	return (uint64_t)((unsigned __int128)rte_rdtsc() * 1000000000u /
			tq_tsc_hz);
}

#endif
