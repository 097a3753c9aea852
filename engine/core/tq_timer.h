/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_TIMER_H
#define TQ_TIMER_H

/*
 * Hashed timer wheel, one per worker.  Arm and cancel are O(1); a timer
 * fires on the first tq_timer_run() whose now is >= its expiry, so with a
 * fake clock tests see exact times.  Timers are embedded in their owner
 * (no allocation).
 */

#include <stdbool.h>
#include <stdint.h>

struct tq_timer;
typedef void (*tq_timer_cb)(struct tq_timer *t, void *arg);

struct tq_timer {
	struct tq_timer *next;
	struct tq_timer **pprev; /* NULL when not armed */
	uint64_t expire;	 /* ns */
	tq_timer_cb cb;
	void *arg;
};

#define TQ_WHEEL_SLOTS 1024 /* power of two */

struct tq_timer_wheel {
	uint64_t tick_ns;
	uint64_t cur_tick; /* last tick processed */
	uint32_t count;
	struct tq_timer *slot[TQ_WHEEL_SLOTS];
};

/* tick_ns is the granularity of the slots, not of firing. */
void tq_timer_wheel_init(struct tq_timer_wheel *w, uint64_t tick_ns,
		uint64_t now);

static inline void
tq_timer_init(struct tq_timer *t, tq_timer_cb cb, void *arg)
{
	t->next = 0;
	t->pprev = 0;
	t->expire = 0;
	t->cb = cb;
	t->arg = arg;
}

static inline bool
tq_timer_pending(const struct tq_timer *t)
{
	return t->pprev != 0;
}

/* (Re)arm to fire at absolute time expire (ns). */
void tq_timer_arm(struct tq_timer_wheel *w, struct tq_timer *t,
		uint64_t expire);

void tq_timer_cancel(struct tq_timer_wheel *w, struct tq_timer *t);

/* Fire every timer whose expiry is <= now; returns how many fired. */
unsigned int tq_timer_run(struct tq_timer_wheel *w, uint64_t now);

#endif
