/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_IO_H
#define TQ_IO_H

/*
 * Packet I/O for one worker: a queue pair of an ethdev port, or one end of
 * an in-memory link.  Only this layer calls rte_eth_*; everything above
 * sees bursts through these two functions.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

struct tq_io {
	uint16_t (*rx)(struct tq_io *io, struct rte_mbuf **pkts, uint16_t n);
	uint16_t (*tx)(struct tq_io *io, struct rte_mbuf **pkts, uint16_t n);
	/* The port sends only the first segment of a chain (no
	 * RTE_ETH_TX_OFFLOAD_MULTI_SEGS, e.g. DPDK 22.11's af_xdp): the
	 * shard copies chains into one buffer before tx. */
	bool tx_flat;
	/* tx takes TCP segments larger than the MSS (RTE_MBUF_F_TX_TCP_SEG)
	 * and cuts them itself; else the shard does (tq_gso.c) first. */
	bool tso;
	/* the shard merges TCP segments of a burst before input
	 * (tq_gro.c): --gro, or TQ_MEMLINK_GRO=1 on the in-memory link */
	bool gro;
	union {
		struct {
			uint16_t port;
			uint16_t queue;
		} eth;
		struct {
			struct rte_ring *rx;
			struct rte_ring *tx;
			/* TSO: headers and shared pieces of the frames */
			struct rte_mempool *pool;
			bool csum;
			uint64_t tso_frames;	/* frames cut from segments */
			uint64_t tso_drops;	/* segments it could not cut */
		} ring;
	};
};

void tq_io_init_ethdev(struct tq_io *io, uint16_t port, uint16_t queue);

/*
 * In-memory link: two rings, one per direction.  End 0 transmits on ring
 * a and receives from ring b; end 1 the other way round.
 */
struct tq_memlink {
	struct rte_ring *a;
	struct rte_ring *b;
};

/* Returns 0 or -ENOMEM; name must be unique within the process. */
int tq_memlink_create(struct tq_memlink *l, const char *name,
		unsigned int size);
void tq_memlink_free(struct tq_memlink *l);
void tq_io_init_memlink(struct tq_io *io, struct tq_memlink *l, int end);

/*
 * Make a memlink end offer checksum offloads (IPv4 header, TCP, UDP):
 * what it transmits with an offload flag crosses with that checksum not
 * computed, marked good for the receiver (tq_mbuf_csum_tx_to_rx()), as
 * between two guests on one host.  The caller also sets the iface's
 * tx_*_cksum and rx_*_cksum so the stack uses them.  Off by default:
 * tests that read the frames on the wire see complete checksums.
 */
void tq_io_memlink_csum_offload(struct tq_io *io, bool on);

/*
 * Whether a memlink between engines should offer the offloads: yes
 * unless TQ_MEMLINK_CSUM=0 in the environment, so the sims and the
 * benchmarks run the software checksum path too when asked.
 */
bool tq_memlink_csum_default(void);

/*
 * Make a memlink end offer TSO as a virtual NIC does: a TCP segment of
 * up to 64 KiB handed to tx crosses as frames of its tso_segsz payload
 * (tq_gso_segment(), headers and shared pieces from pool), checksummed
 * as the csum offload of the end says.  The caller also sets the
 * iface's tso_max so TCP builds such segments.  Off by default.
 */
void tq_io_memlink_tso(struct tq_io *io, bool on, struct rte_mempool *pool);

/* Whether a memlink between engines should offer TSO: yes unless
 * TQ_MEMLINK_TSO=0 in the environment. */
bool tq_memlink_tso_default(void);

/* Whether the engines on a memlink should merge received segments
 * (io.gro): no unless TQ_MEMLINK_GRO=1 in the environment. */
bool tq_memlink_gro_default(void);

#endif
