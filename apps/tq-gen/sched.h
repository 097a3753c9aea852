/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GEN_SCHED_H
#define GEN_SCHED_H

/*
 * The open-loop schedule (wrk2's): the run as a whole sends request j at
 * start + j / R, whatever the server does.  A sender that has n of the
 * run's streams of requests, stream c, sends indexes j = c, c + n, ...
 * so the streams interleave into exactly the global schedule.  Each
 * time is computed from j (128-bit arithmetic), never by adding periods,
 * so nothing drifts however long the run.  Latency is measured from the
 * intended time: a request held back because the server (or the sender)
 * fell behind carries that wait in its latency, which is how coordinated
 * omission is kept from hiding queueing.
 */

#include <stdint.h>

/* Rates are kept in thousandths of an event per second. */
#define GEN_RATE_SCALE 1000u

struct gen_sched {
	uint64_t start_ns;
	uint64_t rate_milli;	/* events per 1000 s, over the whole run */
	uint64_t first;		/* this sender's first global index */
	uint64_t stride;	/* senders sharing the schedule */
	uint64_t next;		/* this sender's next event, 0, 1, ... */
};

/*
 * Parse a rate ("200", "0.5", "12.125"): at most three decimals, above
 * zero.  0 or -EINVAL.
 */
int gen_rate_parse(const char *s, uint64_t *rate_milli);

/* Sender c of n on the schedule of rate_milli from start_ns. */
void gen_sched_init(struct gen_sched *s, uint64_t start_ns,
		uint64_t rate_milli, uint64_t c, uint64_t n);

/* The intended time of global event j. */
uint64_t gen_sched_at(const struct gen_sched *s, uint64_t j);

/* The intended time of this sender's k-th event. */
static inline uint64_t
gen_sched_nth(const struct gen_sched *s, uint64_t k)
{
	return gen_sched_at(s, s->first + k * s->stride);
}

/* The intended time of this sender's next event; it is then taken. */
static inline uint64_t
gen_sched_take(struct gen_sched *s)
{
	return gen_sched_nth(s, s->next++);
}

/* The intended time of the next event, not taken. */
static inline uint64_t
gen_sched_peek(const struct gen_sched *s)
{
	return gen_sched_nth(s, s->next);
}

/*
 * Split total items over n parts as evenly as possible: part i gets
 * total / n, one more for the first total % n parts; *first is the
 * index of its first item.
 */
uint64_t gen_split(uint64_t total, uint64_t n, uint64_t i, uint64_t *first);

/* Latency of an event done at now that was meant for intended. */
static inline uint64_t
gen_latency(uint64_t intended, uint64_t now)
{
	return now > intended ? now - intended : 0;
}

#endif
