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

static inline struct rte_mbuf **
tq_mbuf_link(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, tq_mbuf_link_off, struct rte_mbuf **);
}

#endif
