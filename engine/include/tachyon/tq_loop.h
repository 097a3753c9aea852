/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TACHYON_TQ_LOOP_H
#define TACHYON_TQ_LOOP_H

/**
 * @file
 * Two stacks in one process joined by an in-memory Ethernet link, polled
 * by the caller on its own thread: the engine's TCP/IP code with no NIC,
 * no kernel and no driver in the way.  For benchmarks of the stack alone
 * (bench/tcp/stack_bench) and for an app's own tests.
 *
 * Side 0 has 10.0.0.1/24, side 1 10.0.0.2/24, and each knows the other's
 * MAC (no ARP in the figures).  Each side is a shard like a worker's, so
 * every call that takes a struct tq_shard * works on it: tq_tcp_connect(),
 * the stream calls, app timers, tq_shard_counter().  Everything runs on
 * the thread that calls tq_loop_poll().
 *
 * The link offers checksum offloads, as a virtual NIC between two guests
 * does: the checksums are not computed at all (no wire can damage the
 * frames).  With TQ_MEMLINK_CSUM=0 in the environment it does not, and
 * both sides compute and check every checksum in software.  It offers
 * TSO too (TCP hands it segments of up to 64 KiB, it cuts them to the
 * MSS), unless TQ_MEMLINK_TSO=0.  With TQ_MEMLINK_GRO=1 each side merges
 * the in-order TCP segments of a received burst before TCP (--gro).
 */

#include <stdint.h>

#include <tachyon/tachyon.h>
#include <tachyon/tq_tcp.h>

struct tq_loop;

/** Sizes; a zero field takes its default. */
struct tq_loop_conf {
	uint32_t mbufs;		/**< one pool for both sides (65535) */
	uint32_t max_conns;	/**< TCBs per side (4096) */
	uint32_t max_tw;	/**< TIME_WAIT entries per side (64) */
	uint32_t link_ring;	/**< frames the link holds each way (8192) */
};

/**
 * Initialise EAL with argv (argv[0] and EAL options: the caller picks
 * e.g. --no-huge, -l, --file-prefix) and build both sides.  Once per
 * process.
 * @return 0, or a negative errno.
 */
int tq_loop_create(int argc, char **argv, const struct tq_loop_conf *conf,
		struct tq_loop **out);

/** A side's shard (side 0 or 1). */
struct tq_shard *tq_loop_shard(struct tq_loop *l, unsigned int side);

/** A side's address. */
struct tq_addr tq_loop_addr(const struct tq_loop *l, unsigned int side);

/**
 * Listen on a side, on its address, at any time.
 * @return 0, -EADDRINUSE, -ENOSPC (TQ_TCP_LISTENERS_MAX), -EINVAL.
 */
int tq_loop_listen(struct tq_loop *l, unsigned int side, uint16_t port,
		uint32_t backlog, tq_accept_cb cb, void *arg);

/**
 * Poll both sides once with the clock read once: receive, timers,
 * callbacks, send.  @return frames received by both.
 */
unsigned int tq_loop_poll(struct tq_loop *l);

/**
 * As tq_loop_poll() at the caller's time (ns, on the engine's clock,
 * never going back): runs that must repeat exactly, such as instruction
 * counts, advance a clock of their own instead of reading the real one.
 */
unsigned int tq_loop_poll_at(struct tq_loop *l, uint64_t now);

/** The engine's clock now (ns), a start for tq_loop_poll_at(). */
uint64_t tq_loop_now(void);

/** Reset what is open, free both sides and clean up EAL. */
void tq_loop_destroy(struct tq_loop *l);

#endif
