/* SPDX-License-Identifier: BSD-3-Clause */
#include "tq_io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>

#include "core/tq_mbuf.h"
#include "tq_gso.h"

static uint16_t
eth_rx(struct tq_io *io, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_rx_burst(io->eth.port, io->eth.queue, pkts, n);
}

static uint16_t
eth_tx(struct tq_io *io, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_tx_burst(io->eth.port, io->eth.queue, pkts, n);
}

void
tq_io_init_ethdev(struct tq_io *io, uint16_t port, uint16_t queue)
{
	io->rx = eth_rx;
	io->gro = false;
	io->tx = eth_tx;
	io->eth.port = port;
	io->eth.queue = queue;
}

static uint16_t
ring_rx(struct tq_io *io, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_ring_sc_dequeue_burst(io->ring.rx, (void **)pkts, n, NULL);
}

static uint16_t
ring_tx(struct tq_io *io, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_ring_sp_enqueue_burst(io->ring.tx, (void **)pkts, n, NULL);
}

static uint16_t
ring_tx_csum(struct tq_io *io, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n; i++)
		tq_mbuf_csum_tx_to_rx(pkts[i]);
	return rte_ring_sp_enqueue_burst(io->ring.tx, (void **)pkts, n, NULL);
}

/* The TSO link: a large segment is taken when the ring has room for
 * all its frames, else it waits like any frame the ring cannot take. */
static uint16_t
ring_tx_tso(struct tq_io *io, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *out[TQ_GSO_MAX_OUT];
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		unsigned int k, sent;
		int nf;

		if (!(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG)) {
			if (io->ring.csum)
				tq_mbuf_csum_tx_to_rx(m);
			if (rte_ring_sp_enqueue(io->ring.tx, m) < 0)
				break;
			continue;
		}
		{
			uint32_t hl = (uint32_t)m->l2_len + m->l3_len +
				m->l4_len;
			uint32_t seg = m->tso_segsz ? m->tso_segsz : 1;

			if (m->pkt_len > hl && rte_ring_free_count(io->ring.tx) <
					(m->pkt_len - hl + seg - 1) / seg)
				break;
		}
		nf = tq_gso_segment(m, io->ring.pool, io->ring.csum,
				io->ring.csum, out, RTE_DIM(out));
		if (nf < 0) {
			io->ring.tso_drops++;
			continue;
		}
		io->ring.tso_frames += (unsigned int)nf;
		if (io->ring.csum)
			for (k = 0; k < (unsigned int)nf; k++)
				tq_mbuf_csum_tx_to_rx(out[k]);
		/* room checked above: single producer */
		sent = rte_ring_sp_enqueue_burst(io->ring.tx, (void **)out,
				(unsigned int)nf, NULL);
		for (k = sent; k < (unsigned int)nf; k++)
			rte_pktmbuf_free(out[k]);
	}
	return i;
}

static void
ring_ops(struct tq_io *io)
{
	io->tx = io->tso ? ring_tx_tso : io->ring.csum ? ring_tx_csum :
		ring_tx;
}

int
tq_memlink_create(struct tq_memlink *l, const char *name, unsigned int size)
{
	char rn[RTE_RING_NAMESIZE];

	snprintf(rn, sizeof(rn), "%s_a", name);
	l->a = rte_ring_create(rn, size, SOCKET_ID_ANY,
			RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(rn, sizeof(rn), "%s_b", name);
	l->b = rte_ring_create(rn, size, SOCKET_ID_ANY,
			RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!l->a || !l->b) {
		tq_memlink_free(l);
		return -ENOMEM;
	}
	return 0;
}

static void
drain_free(struct rte_ring *r)
{
	void *m;

	while (rte_ring_sc_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
}

void
tq_memlink_free(struct tq_memlink *l)
{
	if (l->a) {
		drain_free(l->a);
		rte_ring_free(l->a);
	}
	if (l->b) {
		drain_free(l->b);
		rte_ring_free(l->b);
	}
	l->a = l->b = NULL;
}

void
tq_io_init_memlink(struct tq_io *io, struct tq_memlink *l, int end)
{
	io->rx = ring_rx;
	io->tx = ring_tx;
	io->tso = false;
	io->gro = false;
	io->ring.csum = false;
	io->ring.pool = NULL;
	io->ring.tso_frames = io->ring.tso_drops = 0;
	io->ring.tx = end == 0 ? l->a : l->b;
	io->ring.rx = end == 0 ? l->b : l->a;
}

void
tq_io_memlink_csum_offload(struct tq_io *io, bool on)
{
	io->ring.csum = on;
	ring_ops(io);
}

void
tq_io_memlink_tso(struct tq_io *io, bool on, struct rte_mempool *pool)
{
	io->tso = on && pool != NULL;
	io->ring.pool = pool;
	ring_ops(io);
}

bool
tq_memlink_tso_default(void)
{
	const char *v = getenv("TQ_MEMLINK_TSO");

	return !v || strcmp(v, "0") != 0;
}

bool
tq_memlink_gro_default(void)
{
	const char *v = getenv("TQ_MEMLINK_GRO");

	return v && strcmp(v, "1") == 0;
}

bool
tq_memlink_csum_default(void)
{
	const char *v = getenv("TQ_MEMLINK_CSUM");

	return !v || strcmp(v, "0") != 0;
}
