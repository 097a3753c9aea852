/* SPDX-License-Identifier: BSD-3-Clause */
#include "tq_timer.h"

#include <string.h>

void
tq_timer_wheel_init(struct tq_timer_wheel *w, uint64_t tick_ns, uint64_t now)
{
	memset(w, 0, sizeof(*w));
	w->tick_ns = tick_ns ? tick_ns : 1000000;
	w->cur_tick = now / w->tick_ns;
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

static void
link_timer(struct tq_timer_wheel *w, struct tq_timer *t)
{
	uint64_t tick = t->expire / w->tick_ns;
	struct tq_timer **head;

	/* Anything already due goes where the next run looks first. */
	if (tick < w->cur_tick)
		tick = w->cur_tick;
	head = &w->slot[tick & (TQ_WHEEL_SLOTS - 1)];
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
tq_timer_cancel(struct tq_timer_wheel *w, struct tq_timer *t)
{
	if (!tq_timer_pending(t))
		return;
	unlink_timer(t);
	w->count--;
}

/*
 * Splice the slot out, then fire or put back each timer.  Callbacks may
 * arm or cancel any timer, including ones still on the local list: cancel
 * works through pprev whichever list a timer is on.
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
			link_timer(w, t);
		}
	}
	return fired;
}

unsigned int
tq_timer_run(struct tq_timer_wheel *w, uint64_t now)
{
	uint64_t now_tick = now / w->tick_ns;
	uint64_t span, i;
	unsigned int fired = 0;

	if (w->count == 0) {
		if (now_tick > w->cur_tick)
			w->cur_tick = now_tick;
		return 0;
	}
	if (now_tick < w->cur_tick)
		return 0;
	span = now_tick - w->cur_tick;
	if (span >= TQ_WHEEL_SLOTS)
		span = TQ_WHEEL_SLOTS - 1;
	/* Anything a callback arms for a time already past must land in a
	 * slot still ahead of this run: the slot of now_tick, visited last
	 * (and first next time).  An earlier tick's slot is already spliced
	 * out and would not come round again for a whole turn. */
	w->cur_tick = now_tick;
	/* The slot of now_tick is visited last and revisited next time, so
	 * timers later within the same tick still fire on time. */
	for (i = 0; i <= span; i++) {
		uint64_t tick = now_tick - span + i;

		fired += run_slot(w, tick & (TQ_WHEEL_SLOTS - 1), now);
	}
	return fired;
}
