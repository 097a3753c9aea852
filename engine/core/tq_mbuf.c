/* SPDX-License-Identifier: BSD-3-Clause */
#include "tq_mbuf.h"

#include <errno.h>

#include <rte_errno.h>

int tq_mbuf_link_off = -1;

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
