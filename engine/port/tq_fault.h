/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_FAULT_H
#define TQ_FAULT_H

/*
 * Fault injector for one direction of one worker's queue: drop, corrupt,
 * duplicate, reorder and delay frames, from a seeded generator so a run
 * repeats exactly for the same seed and the same input.  This is what the
 * tests use in place of netem.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#define TQ_FAULT_RX 1u
#define TQ_FAULT_TX 2u

struct tq_fault_spec {
	double drop;
	double dup;
	double reorder;
	double corrupt;
	uint32_t delay_us;
	uint64_t seed;
	unsigned int dir; /* TQ_FAULT_RX | TQ_FAULT_TX */
};

/* Frames a delay queue holds; beyond it the injector drops and counts. */
#define TQ_FAULT_DELAY_CAP 8192
/* A frame held for reordering goes out after the next one, or this late. */
#define TQ_FAULT_REORDER_NS 1000000ull

struct tq_fault_stats {
	uint64_t dropped, duplicated, reordered, corrupted, delayed;
};

struct tq_fault {
	struct tq_fault_spec spec;
	uint64_t stream;
	uint64_t rng;
	uint64_t p_drop, p_dup, p_reorder, p_corrupt; /* scaled to 2^64 */
	struct rte_mempool *pool; /* for duplicates */
	struct rte_mbuf *held;
	uint64_t held_since;
	/* delay queue: FIFO, since every frame gets the same delay */
	uint32_t dq_head, dq_len;
	struct {
		struct rte_mbuf *m;
		uint64_t due;
	} *dq;
	struct tq_fault_stats st;
};

/*
 * Parse "drop=P,dup=P,reorder=P,corrupt=P,delay=USEC,seed=N,dir=rx|tx|both".
 * On error returns -EINVAL and points *bad at the offending item.
 */
int tq_fault_parse(const char *s, struct tq_fault_spec *spec,
		const char **bad);

/*
 * Set one item of a spec ("drop", "0.01"), as one item of
 * tq_fault_parse() does; -EINVAL for a bad key or value.
 */
int tq_fault_set_item(struct tq_fault_spec *spec, const char *key,
		const char *val);

/* The spec in tq_fault_parse()'s syntax, every item; snprintf's return. */
int tq_fault_format(const struct tq_fault_spec *spec, char *buf, size_t len);

/* Every rate and the delay to zero (seed and dir kept): does nothing. */
void tq_fault_spec_off(struct tq_fault_spec *spec);

/* True when the spec does anything at all. */
bool tq_fault_active(const struct tq_fault_spec *spec);

/* stream separates generators of the same seed (worker, direction). */
int tq_fault_init(struct tq_fault *f, const struct tq_fault_spec *spec,
		uint64_t stream, struct rte_mempool *pool, int socket);
void tq_fault_fini(struct tq_fault *f);

/*
 * Change a running injector's spec (a live setting).  Frames it holds
 * (delay queue, reorder slot) leave as they come due, ahead of later
 * ones; the generator runs on, unless the seed changes.
 */
void tq_fault_respec(struct tq_fault *f, const struct tq_fault_spec *spec);

/* Nothing to do and nothing held: the caller may take it off the path. */
bool tq_fault_idle(const struct tq_fault *f);

/*
 * Pass n frames from in through the injector; frames that leave now are
 * written to out (at most cap).  Frames held back (delay, reorder) leave
 * on later calls as now advances, also with n == 0.
 * Returns the number written to out.
 */
uint16_t tq_fault_apply(struct tq_fault *f, struct rte_mbuf **in, uint16_t n,
		struct rte_mbuf **out, uint16_t cap, uint64_t now);

/* Frames held inside (delay queue and reorder slot). */
unsigned int tq_fault_pending(const struct tq_fault *f);

#endif
