/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_GSO_H
#define TQ_GSO_H

/*
 * Cutting a TCP segment larger than the MSS (RTE_MBUF_F_TX_TCP_SEG,
 * tso_segsz, l2/l3/l4_len set) into frames of tso_segsz payload bytes,
 * as a NIC's TSO does: what the in-memory link does when it offers TSO,
 * and what a port without TSO gets in software before its TX ring.
 */

#include <stdbool.h>

#include <rte_mbuf.h>

/* Frames one segment may make (TCP stays within TQ_TSO_MAX_SEGS). */
#define TQ_GSO_MAX_OUT 64

/*
 * Cut m (an Ethernet frame carrying IPv4 or IPv6 and TCP) into out (room
 * for max frames).  Each frame gets a copy of the headers (IPv4 length,
 * id + k; IPv6 payload length; TCP sequence; FIN and PSH on the last only)
 * and its payload by reference, without copying: the pieces of m's chain
 * move over, and a piece that straddles two frames is shared through an
 * indirect mbuf from pool.  Checksums: marked for offload where ip_ol /
 * l4_ol (the pseudo-header sum in the TCP field), else computed.
 * m is consumed either way.  Returns the number of frames or -ENOBUFS /
 * -EINVAL (nothing in out).
 */
int tq_gso_segment(struct rte_mbuf *m, struct rte_mempool *pool, bool ip_ol,
		bool l4_ol, struct rte_mbuf **out, unsigned int max);

#endif
