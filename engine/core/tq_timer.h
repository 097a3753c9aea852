/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_TIMER_H
#define TQ_TIMER_H

/*
 * Hierarchical timer wheel, one per worker (Varghese and Lauck's scheme
 * 7, as Linux's): TQ_WHEEL_LEVELS wheels of TQ_WHEEL_SLOTS slots, level
 * k's slots TQ_WHEEL_SLOTS^k ticks wide.  A timer sits in the lowest
 * level whose span holds its distance and moves down a level (cascades)
 * when the level below comes round to its slot, so a timer minutes or
 * hours away (TIME_WAIT, keepalive, an idle timeout) costs a few moves
 * over its life, not one per turn of a one-level wheel: a million idle
 * connections cost nothing per tick.  Arm and cancel are O(1); a timer
 * fires on the first tq_timer_run() whose now is >= its expiry, so with
 * a fake clock tests see exact times.  Timers are embedded in their
 * owner (no allocation).
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

#define TQ_WHEEL_BITS 10
#define TQ_WHEEL_SLOTS (1u << TQ_WHEEL_BITS)	/* per level */
#define TQ_WHEEL_LEVELS 4	/* 1 ms ticks: 1 s, 17 min, 12 days, 34 years */
#define TQ_WHEEL_ALL_SLOTS (TQ_WHEEL_LEVELS * TQ_WHEEL_SLOTS)

struct tq_timer_wheel {
	uint64_t tick_ns;
	uint64_t cur_tick; /* last tick processed */
	uint64_t tick_end; /* ns: where the tick after cur_tick starts */
	uint32_t count;
	uint64_t moved;	   /* timers relinked while not due (cascades) */
	/* level k's slots at [k * TQ_WHEEL_SLOTS] */
	struct tq_timer *slot[TQ_WHEEL_ALL_SLOTS];
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

void tq_timer_unlink(struct tq_timer_wheel *w, struct tq_timer *t);

/* Inline: most cancels (a connection's close, an ACK's) find the timer
 * not armed, and the call cost more than that test. */
static inline void
tq_timer_cancel(struct tq_timer_wheel *w, struct tq_timer *t)
{
	if (tq_timer_pending(t))
		tq_timer_unlink(w, t);
}

/*
 * Arm for expire, touching the wheel only when that is earlier than a
 * pending timer's time: a timer the wheel reaches before its time is put
 * back where it belongs (as a cascade does), so a deadline that moves
 * later, as a retransmission timer's does with every segment, costs a
 * store instead of an unlink and a link.
 */
static inline void
tq_timer_arm_later(struct tq_timer_wheel *w, struct tq_timer *t,
		uint64_t expire)
{
	if (tq_timer_pending(t) && expire >= t->expire) {
		t->expire = expire;
		return;
	}
	tq_timer_arm(w, t, expire);
}

/* Fire every timer whose expiry is <= now; returns how many fired. */
unsigned int tq_timer_run(struct tq_timer_wheel *w, uint64_t now);

/*
 * tq_timer_run() for a poll loop: within the tick last run only a timer
 * in that tick's level-0 slot can be due (one armed for a time already
 * past lands there), so with that slot empty there is nothing to do and
 * no call is made.
 */
static inline unsigned int
tq_timer_poll(struct tq_timer_wheel *w, uint64_t now)
{
	if (now < w->tick_end &&
			!w->slot[w->cur_tick & (TQ_WHEEL_SLOTS - 1)])
		return 0;
	return tq_timer_run(w, now);
}

#endif
