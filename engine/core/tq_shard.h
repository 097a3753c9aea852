/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_SHARD_H
#define TQ_SHARD_H

/*
 * A worker's shard: everything one worker owns and nobody else writes.
 * The poll step reads a burst, runs the fault injector, hands frames to
 * the protocol layer through s->input, runs timers, drains messages from
 * the control thread and other workers, and flushes the TX batch.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <tachyon/tachyon.h>
#include <tachyon/tq_worker.h>

#include "../port/tq_fault.h"
#include "../port/tq_io.h"
#include "tq_timer.h"

#define TQ_BURST 32
#define TQ_RX_BURSTS_MAX 64 /* --rx-bursts */
/* Polls in a row that find nothing before an idle worker naps. */
#define TQ_IDLE_SPIN_POLLS 2048
/* Its first nap, doubled at each idle poll up to idle_sleep_us. */
#define TQ_IDLE_NAP0_US 4
#define TQ_TX_BATCH 256
#define TQ_LOOP_MAX 256 /* frames to our own addresses, per poll */
#define TQ_STASH 64	/* mbufs a shard keeps for its own allocations */
#define TQ_MAX_WORKERS 64
#define TQ_CMD_RING 1024 /* commands waiting per worker */

#define TQ_INC(s, id) ((s)->ctr[TQ_CTR_##id]++)
#define TQ_ADD(s, id, n) ((s)->ctr[TQ_CTR_##id] += (n))

/* A message between workers; fixed size so rings hold it by value. */
struct tq_xmsg {
	uint16_t type;
	uint16_t len;
	uint8_t data[28];
};

enum tq_xmsg_type {
	TQ_XMSG_NEIGH = 1,
	TQ_XMSG_FRAME,	/* a frame for the receiver's flows (mbuf pointer) */
};

struct tq_shard;
typedef void (*tq_cmd_fn)(struct tq_shard *s, void *arg);

/* A command from any thread, run on the worker; held in the ring by value. */
struct tq_cmd {
	tq_cmd_fn fn;
	void *arg;
};

struct tq_shard_conf {
	unsigned int id;
	unsigned int nb_workers;
	int socket;
	struct rte_mempool *pool;
	const struct tq_fault_spec *fault; /* NULL: none */
	uint64_t timer_tick_ns;
	uint64_t now;
	uint16_t rx_bursts; /* full RX bursts read per poll; 0: 1 */
	uint32_t idle_sleep_us; /* longest nap of an idle worker; 0: busy poll */
};

/*
 * Where a worker's time goes, VPP "show runtime" style: TSC cycles read
 * at phase boundaries, per poll and per non-empty burst, never per
 * packet.  Receive is the PMD's rx_burst; protocol is input, timers,
 * commands and messages; transmit is the end-of-poll flush; a poll that
 * neither received nor sent is idle, whatever it took.
 */
enum tq_load_phase {
	TQ_LOAD_RX,
	TQ_LOAD_PROTO,
	TQ_LOAD_TX,
	TQ_LOAD_IDLE,
	TQ_LOAD_MAX
};

struct tq_shard_load {
	uint64_t polls;
	uint64_t busy_polls;	/* received or sent something */
	uint64_t cycles[TQ_LOAD_MAX];
};

struct tq_shard {
	unsigned int id;
	unsigned int nb_workers;
	int socket;
	uint64_t now; /* ns, set once per poll */
	struct tq_io io;
	struct rte_mempool *pool;
	/* The injectors on the path; NULL when off (the common case: one
	 * branch a burst).  They point into fault[], which a live setting
	 * (tq_shard_set_fault) can turn on at any time. */
	struct tq_fault *fault_rx;
	struct tq_fault *fault_tx;
	struct tq_fault fault[2];	/* RX, TX */
	bool fault_seen;		/* counters to sync from fault[] */
	struct tq_timer_wheel *timers;
	/* any thread -> this worker: MP/SC, as the control thread,
	 * telemetry threads, app threads and other workers all send */
	struct rte_ring *cmd;
	struct rte_ring *xin[TQ_MAX_WORKERS]; /* worker j -> this, SP/SC */
	struct tq_shard **peers;       /* all shards, for xmsg send */

	/* protocol layer hooks */
	void (*input)(struct tq_shard *s, struct rte_mbuf **pkts, uint16_t n);
	void (*xmsg_input)(struct tq_shard *s, const struct tq_xmsg *msg);
	void *net;
	void *tcp;
	void *app;
	void *app_ctx;		/* tq_shard_set_app_ctx() */
	void *engine;		/* the engine running this shard, if any */

	volatile bool stop;
	uint16_t rx_bursts;
	uint32_t idle_sleep_us;
	uint16_t tx_n;
	struct rte_mbuf *tx[TQ_TX_BATCH];
	/* frames sent to ourselves, input again at the next poll */
	uint16_t loop_n;
	struct rte_mbuf *loop[TQ_LOOP_MAX];
	/* mbufs of pool freed by the stack, for its next allocations
	 * (tq_shard_mbuf_alloc/free) */
	uint16_t stash_n;
	struct rte_mbuf *stash[TQ_STASH];
	/* data_off, refcnt, nb_segs and port of a fresh mbuf of pool, as
	 * one word (tq_shard_mbuf_alloc) */
	uint64_t mbuf_rearm;

	/* written by this worker only, read relaxed by the control path */
	struct tq_shard_load load __rte_cache_aligned;
	uint64_t ctr[TQ_CTR_MAX] __rte_cache_aligned;
	/* tq_app_counter_add(); plain adds read relaxed, as ctr */
	uint64_t app_ctr[TQ_APP_COUNTERS_MAX] __rte_cache_aligned;
	/* tq_app_hist_observe(): per histogram, the count of each bucket
	 * (+Inf last), then the sum in ns; read relaxed, as ctr. */
	uint64_t app_hist[TQ_APP_HISTS_MAX][TQ_APP_HIST_BUCKETS_MAX + 2];
	/* Each histogram's bounds (the engine's, set before the worker
	 * runs; NULL: not registered) and how many. */
	const uint64_t *app_hist_bounds[TQ_APP_HISTS_MAX];
	unsigned int app_hist_nb[TQ_APP_HISTS_MAX];
} __rte_cache_aligned;

/*
 * On the worker (a command): put spec on this shard's injectors, taking
 * them on or off the path.  An injector still holding delayed frames
 * leaves the path once they are out.
 */
void tq_shard_set_fault(struct tq_shard *s, const struct tq_fault_spec *spec);

/* Allocate a shard on conf->socket; io is set by the caller after. */
struct tq_shard *tq_shard_create(const struct tq_shard_conf *conf);
void tq_shard_free(struct tq_shard *s);

/* Connect every pair of shards with message rings. */
int tq_shard_mesh(struct tq_shard **shards, unsigned int n);

/* Queue a frame for sending; the batch is flushed when full and per poll. */
static inline void
tq_shard_tx(struct tq_shard *s, struct rte_mbuf *m)
{
	extern void tq_shard_flush(struct tq_shard *s);
	extern void tq_shard_tx_gso(struct tq_shard *s, struct rte_mbuf *m);

	/* A TCP segment above the MSS for a port that cannot cut it. */
	if (unlikely(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) && !s->io.tso) {
		tq_shard_tx_gso(s, m);
		return;
	}
	if (unlikely(s->tx_n == TQ_TX_BATCH))
		tq_shard_flush(s);
	s->tx[s->tx_n++] = m;
}

void tq_shard_flush(struct tq_shard *s);

/*
 * The stack's own mbuf allocations and frees on the per-segment path
 * (a segment's frame, the send queue's data, a receive queue's mbufs
 * once read) go through a stack of up to TQ_STASH mbufs in the shard:
 * a push or a pop and a reset of the fields, where the
 * mempool's per-lcore cache costs a lookup of the lcore's cache, its
 * flush threshold and a copy loop each way (bench/cost).  Half the
 * stash goes back to the pool in one bulk put when it fills and comes
 * from it in one bulk get when it is empty.  Mbufs of other pools, and
 * indirect, external or shared ones, take the usual path.  The stash is
 * returned to the pool by tq_shard_stash_flush() (and tq_shard_free()),
 * which a count of the pool's free mbufs must call first.
 */
void tq_shard_stash_refill(struct tq_shard *s);
void tq_shard_stash_spill(struct tq_shard *s);
void tq_shard_stash_flush(struct tq_shard *s);

/* The 8 bytes from data_off: data_off, refcnt, nb_segs, port (DPDK's
 * rearm_data, a zero-length marker GCC will not let us store through). */
typedef uint64_t __attribute__((may_alias)) tq_mbuf_word;
#define TQ_MBUF_REARM_OFF offsetof(struct rte_mbuf, data_off)

static inline struct rte_mbuf *
tq_shard_mbuf_alloc(struct tq_shard *s)
{
	struct rte_mbuf *m;

	if (unlikely(s->stash_n == 0)) {
		tq_shard_stash_refill(s);
		if (s->stash_n == 0)
			return NULL;
	}
	m = s->stash[--s->stash_n];
	/*
	 * rte_pktmbuf_reset() for what the stash holds: direct mbufs of the
	 * shard's pool with refcnt 1, one segment and no next (the pool
	 * and rte_pktmbuf_prefree_seg() leave them so), so the four 16-bit
	 * fields it sets one by one go as one 64-bit store, the way DPDK's
	 * PMDs rearm theirs, and the flags are simply cleared.
	 */
	RTE_ASSERT(m->pool == s->pool && RTE_MBUF_DIRECT(m) &&
			m->next == NULL && rte_mbuf_refcnt_read(m) == 1);
	*(tq_mbuf_word *)((uint8_t *)m + TQ_MBUF_REARM_OFF) = s->mbuf_rearm;
	m->ol_flags = 0;
	m->packet_type = 0;
	m->pkt_len = 0;
	m->data_len = 0;
	m->vlan_tci = 0;
	m->vlan_tci_outer = 0;
	m->tx_offload = 0;
	return m;
}

/* rte_pktmbuf_free_seg() for the stack: m's next is not followed. */
static inline void
tq_shard_mbuf_free_seg(struct tq_shard *s, struct rte_mbuf *m)
{
	m = rte_pktmbuf_prefree_seg(m);
	if (unlikely(m == NULL))
		return;
	if (unlikely(m->pool != s->pool || !RTE_MBUF_DIRECT(m))) {
		rte_mbuf_raw_free(m);
		return;
	}
	if (unlikely(s->stash_n == TQ_STASH))
		tq_shard_stash_spill(s);
	s->stash[s->stash_n++] = m;
}

/* rte_pktmbuf_free() for the stack: the whole chain. */
static inline void
tq_shard_mbuf_free(struct tq_shard *s, struct rte_mbuf *m)
{
	while (m != NULL) {
		struct rte_mbuf *next = m->next;

		tq_shard_mbuf_free_seg(s, m);
		m = next;
	}
}

/* Hand a frame for one of our own addresses back to input (loopback). */
void tq_shard_loop(struct tq_shard *s, struct rte_mbuf *m);

/* One iteration of the worker loop at time now: up to rx_bursts RX
 * bursts (while they come full), then timers, messages and the TX flush.
 * Returns frames received. */
uint16_t tq_shard_poll(struct tq_shard *s, uint64_t now);
/* tq_shard_poll() of a, then of b; frames received by both. */
unsigned int tq_shard_poll2(struct tq_shard *a, struct tq_shard *b,
		uint64_t now);

/* Send msg to every other worker. */
void tq_shard_broadcast(struct tq_shard *s, const struct tq_xmsg *msg);

/* Any thread, a worker too (its own ring included): run fn on s's worker
 * at its next poll.  Returns 0 or -ENOBUFS when the ring is full. */
int tq_shard_command(struct tq_shard *s, tq_cmd_fn fn, void *arg);

/* App counters of shards[0..n) (worker -1: all, else only that one)
 * into out[TQ_APP_COUNTERS_MAX], the first nb_ctr summed, the rest 0;
 * from any thread. */
void tq_shard_app_counters_sum(struct tq_shard *const *shards,
		unsigned int n, int worker, unsigned int nb_ctr, uint64_t *out);

/* The worker loop, for rte_eal_remote_launch(). */
int tq_shard_main(void *arg);

#endif
