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
extern uint64_t tq_tsc_mult;

void tq_clock_init(void);

/*
 * A multiply and a shift, no division: a 128-bit divide per poll was a
 * visible share of a busy worker.  The multiplier's rounding is below
 * one part in 10^9 (well under a millisecond a day), and the result is
 * monotonic with the TSC.
 */
static inline uint64_t
tq_clock_tsc_to_ns(uint64_t tsc)
{
	return (uint64_t)(((unsigned __int128)tsc * tq_tsc_mult) >> 32);
}

static inline uint64_t
tq_clock_ns(void)
{
	return tq_clock_tsc_to_ns(rte_rdtsc());
}

#endif
