/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_MBUF_H
#define TQ_MBUF_H

/*
 * Our mbuf dynamic field: a link so queues of packets (out-of-order
 * segments) need no side allocation.  Registered once per process.
 */

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

extern int tq_mbuf_link_off;

/* Returns 0 or a negative errno; safe to call more than once. */
int tq_mbuf_dyn_register(void);

/*
 * Cut a chain to its first len bytes, whichever segment that falls in
 * (rte_pktmbuf_trim() only cuts within the last one and fails silently
 * otherwise: padding or excess then passed as data).  Segments past the
 * end are freed.  Returns 0, or -EINVAL if the chain is shorter.
 */
int tq_mbuf_trim_to(struct rte_mbuf *m, uint32_t len);

static inline struct rte_mbuf **
tq_mbuf_link(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, tq_mbuf_link_off, struct rte_mbuf **);
}

/*
 * A frame that goes from our memory to our memory (loopback, the
 * in-memory link) never meets a wire that could damage it, so the
 * checksums its sender left to an offload are not computed at all: the
 * receiver is told they are good, as a virtual NIC (virtio, veth) tells
 * its guest.  What is not offloaded stays "unknown" and is checked in
 * software.  The attach flags (indirect, external) are kept.
 */
static inline void
tq_mbuf_csum_tx_to_rx(struct rte_mbuf *m)
{
	uint64_t f = m->ol_flags;
	uint64_t rx = 0;

	if (f & RTE_MBUF_F_TX_IP_CKSUM)
		rx |= RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	if (f & RTE_MBUF_F_TX_L4_MASK)
		rx |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	m->ol_flags = (f & ~(RTE_MBUF_F_TX_OFFLOAD_MASK |
			RTE_MBUF_F_RX_IP_CKSUM_MASK |
			RTE_MBUF_F_RX_L4_CKSUM_MASK)) | rx;
}

#endif
