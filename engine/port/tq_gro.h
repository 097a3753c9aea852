/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_GRO_H
#define TQ_GRO_H

/*
 * Receive-side coalescing (GRO) of one RX burst, before the stack: TCP
 * segments of one flow that follow each other in sequence are chained
 * into one large segment, so TCP input, the ACK decision and the app's
 * read run once for all of them, as the kernel's GRO does.
 *
 * Rules (the kernel's tcp_gro_receive()): Ethernet + IPv4 without
 * options or fragmentation, or IPv6 without extension headers; TCP with
 * payload and no flag but ACK and PSH; the same addresses, ports, ACK
 * number, window, header length and options (byte for byte, timestamps
 * included), IPv4 TOS/TTL/DF or IPv6 traffic class/flow label/hop limit;
 * the next sequence number exactly (never across a gap, a duplicate or
 * a reordering); no segment larger than the first.  A segment with PSH
 * or shorter than the first ends its merge.  Every frame's checksums are
 * verified (by the port's flags or here in software): a bad one is never
 * merged and goes up alone, to be counted and dropped by the stack.  A
 * frame of a flow that cannot be merged ends that flow's merge, so no
 * frame overtakes another of its flow.
 *
 * A merged segment carries RTE_MBUF_F_RX_LRO with tso_segsz the payload
 * of its first frame (the DPDK convention for coalesced packets), so TCP
 * knows how many segments it stands for; its IPv4 total length and
 * header checksum, or IPv6 payload length, are rewritten and its
 * checksums marked good (the TCP checksum field is stale).
 */

#include <stdint.h>

#include <rte_mbuf.h>

/* Flows merged at once in a burst; a further one ends the oldest. */
#define TQ_GRO_FLOWS 8

struct tq_gro_stats {
	uint64_t merged;	/* frames chained onto an earlier one */
	uint64_t segs;		/* merged segments handed up */
};

/*
 * Merge pkts[0..n) in place; the frames left
 * keep their order.  Returns how many are left.
 */
uint16_t tq_gro_burst(struct rte_mbuf **pkts, uint16_t n,
		struct tq_gro_stats *st);

#endif
