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

#endif
