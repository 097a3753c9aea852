/* SPDX-License-Identifier: BSD-3-Clause */
#include "tq_timer.h"

#include <string.h>

#define SLOT_MASK (TQ_WHEEL_SLOTS - 1)

void
tq_timer_wheel_init(struct tq_timer_wheel *w, uint64_t tick_ns, uint64_t now)
{
	memset(w, 0, sizeof(*w));
	w->tick_ns = tick_ns ? tick_ns : 1000000;
	w->cur_tick = now / w->tick_ns;
	w->tick_end = (w->cur_tick + 1) * w->tick_ns;
}

static void
unlink_timer(struct tq_timer *t)
{
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	t->next = 0;
	t->pprev = 0;
}

/*
 * The lowest level whose span holds the distance from cur_tick.  A
 * level-k timer's slot is its tick's k-th digit (base TQ_WHEEL_SLOTS),
 * emptied downwards when cur_tick enters that digit's block; a distance
 * under TQ_WHEEL_SLOTS^(k+1) puts at most one block of aliasing ahead,
 * whose slot was emptied when the current block began.
 */
static void
link_timer(struct tq_timer_wheel *w, struct tq_timer *t)
{
	uint64_t tick = t->expire / w->tick_ns, d;
	struct tq_timer **head;
	unsigned int lvl = 0;

	/* Anything already due goes where the next run looks first. */
	if (tick < w->cur_tick)
		tick = w->cur_tick;
	d = tick - w->cur_tick;
	while (lvl < TQ_WHEEL_LEVELS - 1 &&
			d >= (uint64_t)1 << (TQ_WHEEL_BITS * (lvl + 1)))
		lvl++;
	if (lvl == TQ_WHEEL_LEVELS - 1 &&
			d >= (uint64_t)1 << (TQ_WHEEL_BITS * TQ_WHEEL_LEVELS))
		/* Centuries away: parked at the top, moved down in time. */
		tick = w->cur_tick +
			((uint64_t)1 << (TQ_WHEEL_BITS * TQ_WHEEL_LEVELS)) - 1;
	head = &w->slot[lvl * TQ_WHEEL_SLOTS +
		((tick >> (TQ_WHEEL_BITS * lvl)) & SLOT_MASK)];
	t->next = *head;
	if (t->next)
		t->next->pprev = &t->next;
	*head = t;
	t->pprev = head;
}

void
tq_timer_arm(struct tq_timer_wheel *w, struct tq_timer *t, uint64_t expire)
{
	if (tq_timer_pending(t))
		unlink_timer(t);
	else
		w->count++;
	t->expire = expire;
	link_timer(w, t);
}

void
tq_timer_unlink(struct tq_timer_wheel *w, struct tq_timer *t)
{
	unlink_timer(t);
	w->count--;
}

/*
 * Splice a slot out, then fire or put back each timer.  Callbacks may
 * arm or cancel any timer, including ones still on the local list:
 * cancel works through pprev whichever list a timer is on.
 */
static unsigned int
run_slot(struct tq_timer_wheel *w, unsigned int idx, uint64_t now)
{
	struct tq_timer *local = w->slot[idx];
	unsigned int fired = 0;

	if (!local)
		return 0;
	w->slot[idx] = 0;
	local->pprev = &local;
	while (local) {
		struct tq_timer *t = local;

		unlink_timer(t);
		if (t->expire <= now) {
			w->count--;
			fired++;
			t->cb(t, t->arg);
		} else {
			w->moved++;
			link_timer(w, t);
		}
	}
	return fired;
}

/* cur_tick entered the block that starts at tick t: move each level's
 * slot for it down, the highest first. */
static unsigned int
cascade(struct tq_timer_wheel *w, uint64_t t, uint64_t now)
{
	unsigned int lvl, fired = 0;

	for (lvl = TQ_WHEEL_LEVELS - 1; lvl > 0; lvl--) {
		if (t & (((uint64_t)1 << (TQ_WHEEL_BITS * lvl)) - 1))
			continue;
		fired += run_slot(w, lvl * TQ_WHEEL_SLOTS +
			((t >> (TQ_WHEEL_BITS * lvl)) & SLOT_MASK), now);
	}
	return fired;
}

/*
 * A run after a turn or more of level 0 without one (a fake clock, a
 * worker held up): every timer is fired or placed again from now.  Rare,
 * and a walk of the slots rather than of every tick in between.
 */
static unsigned int
run_jump(struct tq_timer_wheel *w, uint64_t now)
{
	unsigned int i, fired = 0;

	for (i = 0; i < TQ_WHEEL_ALL_SLOTS; i++)
		fired += run_slot(w, i, now);
	return fired;
}

unsigned int
tq_timer_run(struct tq_timer_wheel *w, uint64_t now)
{
	uint64_t now_tick = now / w->tick_ns;
	uint64_t prev = w->cur_tick, t;
	unsigned int fired = 0;

	if (w->count == 0) {
		if (now_tick > w->cur_tick) {
			w->cur_tick = now_tick;
			w->tick_end = (now_tick + 1) * w->tick_ns;
		}
		return 0;
	}
	if (now_tick < w->cur_tick)
		return 0;
	/*
	 * Anything a callback arms for a time already past must land in a
	 * slot still ahead of this run: the slot of now_tick, visited last
	 * (and first next time).  So cur_tick moves first.
	 */
	w->cur_tick = now_tick;
	w->tick_end = (now_tick + 1) * w->tick_ns;
	if (now_tick - prev >= TQ_WHEEL_SLOTS)
		return run_jump(w, now);
	/* At most one level-0 turn ends in between (the jump above takes
	 * longer ones): its block's higher slots come down first. */
	t = (prev | SLOT_MASK) + 1;
	if (t <= now_tick)
		fired += cascade(w, t, now);
	for (t = prev; t <= now_tick; t++)
		fired += run_slot(w, (unsigned int)(t & SLOT_MASK), now);
	return fired;
}
