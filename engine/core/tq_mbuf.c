/* SPDX-License-Identifier: BSD-3-Clause */
#include "tq_mbuf.h"

#include <errno.h>

#include <rte_errno.h>

int tq_mbuf_link_off = -1;

int
tq_mbuf_trim_to(struct rte_mbuf *m, uint32_t len)
{
	struct rte_mbuf *seg = m, *rest;
	uint32_t left = len;
	uint16_t nsegs = 1;

	if (len > m->pkt_len)
		return -EINVAL;
	if (len == m->pkt_len)
		return 0;
	/* the segment holding the new last byte (the head if len is 0) */
	while (seg->next && left > seg->data_len) {
		left -= seg->data_len;
		seg = seg->next;
		nsegs++;
	}
	seg->data_len = (uint16_t)left;
	rest = seg->next;
	seg->next = NULL;
	if (rest) {
		rest->nb_segs = (uint16_t)(m->nb_segs - nsegs);
		rest->pkt_len = m->pkt_len - len;
		rte_pktmbuf_free(rest);
	}
	m->nb_segs = nsegs;
	m->pkt_len = len;
	return 0;
}

int
tq_mbuf_dyn_register(void)
{
	static const struct rte_mbuf_dynfield desc = {
		.name = "tachyon_link",
		.size = sizeof(struct rte_mbuf *),
		.align = __alignof__(struct rte_mbuf *),
	};

	if (tq_mbuf_link_off >= 0)
		return 0;
	tq_mbuf_link_off = rte_mbuf_dynfield_register(&desc);
	return tq_mbuf_link_off < 0 ? -rte_errno : 0;
}
