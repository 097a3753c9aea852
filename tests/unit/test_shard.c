/* SPDX-License-Identifier: BSD-3-Clause */
/* The shard over the in-memory link: RX bursts, the TX batch, a full TX
 * ring, the fault injector's place, messages between shards and commands
 * from the control thread. */
#include "tq_test.h"

#include <errno.h>
#include <string.h>

#include <rte_arp.h>

#define MS(x) ((uint64_t)(x) * 1000000ull)

/* A shard with no network layer: what it receives is counted here. */
struct bare {
	struct tq_shard *s;
	struct tq_memlink link;
	struct tq_io wire;
	unsigned int rx_calls, rx_frames, max_burst;
	uint32_t rx_seq[512];
	unsigned int nmsg;
	struct tq_xmsg msgs[2048];
};

static struct bare *cur[8]; /* input hooks find their bare by shard id */

static void
bare_input(struct tq_shard *s, struct rte_mbuf **pkts, uint16_t n)
{
	struct bare *b = cur[s->id];
	uint16_t i;

	b->rx_calls++;
	b->max_burst = RTE_MAX(b->max_burst, n);
	for (i = 0; i < n; i++) {
		if (b->rx_frames < RTE_DIM(b->rx_seq))
			memcpy(&b->rx_seq[b->rx_frames],
				rte_pktmbuf_mtod(pkts[i], void *), 4);
		b->rx_frames++;
		rte_pktmbuf_free(pkts[i]);
	}
}

static void
bare_xmsg(struct tq_shard *s, const struct tq_xmsg *msg)
{
	struct bare *b = cur[s->id];

	assert_true(b->nmsg < RTE_DIM(b->msgs));
	b->msgs[b->nmsg++] = *msg;
}

static void
bare_init(struct bare *b, unsigned int id, unsigned int nb,
		unsigned int ring, const struct tq_fault_spec *fault)
{
	static unsigned int seq;
	struct tq_shard_conf sc = { 0 };
	char name[32];

	memset(b, 0, sizeof(*b));
	snprintf(name, sizeof(name), "tqs_l%u", seq++);
	assert_int_equal(tq_memlink_create(&b->link, name, ring), 0);
	sc.id = id;
	sc.nb_workers = nb;
	sc.socket = SOCKET_ID_ANY;
	sc.pool = tq_test_pool();
	sc.fault = fault;
	sc.timer_tick_ns = 1000000;
	sc.now = 1000000000ull;
	b->s = tq_shard_create(&sc);
	assert_non_null(b->s);
	tq_io_init_memlink(&b->s->io, &b->link, 0);
	tq_io_init_memlink(&b->wire, &b->link, 1);
	b->s->input = bare_input;
	b->s->xmsg_input = bare_xmsg;
	cur[id] = b;
}

static void
bare_fini(struct bare *b)
{
	tq_shard_free(b->s);
	tq_memlink_free(&b->link);
	b->s = NULL;
}

static struct rte_mbuf *
frame(uint32_t seq, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(tq_test_pool());
	uint8_t *p;

	assert_non_null(m);
	p = (uint8_t *)rte_pktmbuf_append(m, len);
	assert_non_null(p);
	memset(p, 0, len);
	memcpy(p, &seq, 4);
	return m;
}

static unsigned int
wire_count(struct bare *b)
{
	return rte_ring_count(b->wire.ring.rx);
}

/* Take what the shard sent, checking the sequence numbers run from
 * first; returns how many. */
static unsigned int
wire_take(struct bare *b, uint32_t first)
{
	struct rte_mbuf *m;
	unsigned int n = 0;

	while (b->wire.rx(&b->wire, &m, 1) == 1) {
		uint32_t seq;

		memcpy(&seq, rte_pktmbuf_mtod(m, void *), 4);
		assert_int_equal(seq, first + n);
		rte_pktmbuf_free(m);
		n++;
	}
	return n;
}

static void
rx_bursts(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct bare b;
	unsigned int i;

	bare_init(&b, 0, 1, 1024, NULL);
	for (i = 0; i < 70; i++) {
		struct rte_mbuf *m = frame(i, 60 + (uint16_t)i);

		assert_int_equal(b.wire.tx(&b.wire, &m, 1), 1);
	}
	assert_int_equal(tq_shard_poll(b.s, 1000000000ull + 1), TQ_BURST);
	assert_int_equal(b.rx_frames, TQ_BURST);
	assert_int_equal(tq_shard_poll(b.s, 1000000000ull + 2), TQ_BURST);
	assert_int_equal(tq_shard_poll(b.s, 1000000000ull + 3), 70 - 64);
	assert_int_equal(tq_shard_poll(b.s, 1000000000ull + 4), 0);
	assert_int_equal(b.rx_frames, 70);
	assert_int_equal(b.rx_calls, 3); /* not called for an empty burst */
	assert_int_equal(b.max_burst, TQ_BURST);
	for (i = 0; i < 70; i++)
		assert_int_equal(b.rx_seq[i], i);
	assert_int_equal(b.s->ctr[TQ_CTR_RX_PKTS], 70);
	assert_int_equal(b.s->ctr[TQ_CTR_RX_BURSTS], 3);
	assert_int_equal(b.s->ctr[TQ_CTR_RX_BYTES], 70 * 60 + 69 * 70 / 2);
	assert_int_equal(b.s->now, 1000000000ull + 4);
	bare_fini(&b);
	assert_int_equal(tq_test_pool_avail(), avail);
}

/* Several RX bursts a poll (--rx-bursts): read on while bursts come
 * full, up to the limit; a short burst ends the reading. */
static void
rx_bursts_per_poll(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct bare b;
	unsigned int i;

	bare_init(&b, 0, 1, 1024, NULL);
	b.s->rx_bursts = 2;
	for (i = 0; i < 70; i++) {
		struct rte_mbuf *m = frame(i, 60);

		assert_int_equal(b.wire.tx(&b.wire, &m, 1), 1);
	}
	assert_int_equal(tq_shard_poll(b.s, 1000000000ull + 1), 2 * TQ_BURST);
	assert_int_equal(tq_shard_poll(b.s, 1000000000ull + 2), 70 - 64);
	b.s->rx_bursts = 8;
	for (i = 0; i < 40; i++) {
		struct rte_mbuf *m = frame(70 + i, 60);

		assert_int_equal(b.wire.tx(&b.wire, &m, 1), 1);
	}
	assert_int_equal(tq_shard_poll(b.s, 1000000000ull + 3), 40);
	assert_int_equal(tq_shard_poll(b.s, 1000000000ull + 4), 0);
	assert_int_equal(b.rx_frames, 110);
	for (i = 0; i < 110; i++)
		assert_int_equal(b.rx_seq[i], i);
	bare_fini(&b);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
tx_batch(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct bare b;
	unsigned int i;

	bare_init(&b, 0, 1, 1024, NULL);
	/* Held until the poll flushes them. */
	for (i = 0; i < 5; i++)
		tq_shard_tx(b.s, frame(i, 100));
	assert_int_equal(wire_count(&b), 0);
	assert_int_equal(b.s->tx_n, 5);
	tq_shard_poll(b.s, 1000000001ull);
	assert_int_equal(b.s->tx_n, 0);
	assert_int_equal(wire_take(&b, 0), 5);
	assert_int_equal(b.s->ctr[TQ_CTR_TX_PKTS], 5);
	assert_int_equal(b.s->ctr[TQ_CTR_TX_BYTES], 500);

	/* A full batch goes out when the next frame needs its room. */
	for (i = 0; i < TQ_TX_BATCH; i++)
		tq_shard_tx(b.s, frame(i, 64));
	assert_int_equal(wire_count(&b), 0);
	tq_shard_tx(b.s, frame(TQ_TX_BATCH, 64));
	assert_int_equal(wire_count(&b), TQ_TX_BATCH);
	assert_int_equal(b.s->tx_n, 1);
	tq_shard_flush(b.s);
	assert_int_equal(wire_take(&b, 0), TQ_TX_BATCH + 1);
	assert_int_equal(b.s->ctr[TQ_CTR_TX_PKTS], 5 + TQ_TX_BATCH + 1);
	assert_int_equal(b.s->ctr[TQ_CTR_TX_RING_FULL], 0);

	/* Frames still in the batch are freed with the shard. */
	for (i = 0; i < 3; i++)
		tq_shard_tx(b.s, frame(i, 64));
	bare_fini(&b);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
tx_ring_full(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct bare b;
	unsigned int i;

	/* A ring of 16 holds 15; nobody drains it. */
	bare_init(&b, 0, 1, 16, NULL);
	for (i = 0; i < 20; i++)
		tq_shard_tx(b.s, frame(i, 100));
	tq_shard_poll(b.s, 1000000001ull);
	assert_int_equal(wire_count(&b), 15);
	assert_int_equal(b.s->ctr[TQ_CTR_TX_PKTS], 15);
	assert_int_equal(b.s->ctr[TQ_CTR_TX_BYTES], 1500);
	assert_int_equal(b.s->ctr[TQ_CTR_TX_RING_FULL], 5);
	/* Dropped, not leaked: 15 on the ring, the rest back. */
	assert_int_equal(tq_test_pool_avail(), avail - 15);

	/* Still full: everything is dropped and counted. */
	for (i = 0; i < 7; i++)
		tq_shard_tx(b.s, frame(100 + i, 100));
	tq_shard_poll(b.s, 1000000002ull);
	assert_int_equal(b.s->ctr[TQ_CTR_TX_RING_FULL], 12);
	assert_int_equal(b.s->ctr[TQ_CTR_TX_PKTS], 15);
	assert_int_equal(tq_test_pool_avail(), avail - 15);

	/* Drained, it works again. */
	assert_int_equal(wire_take(&b, 0), 15);
	tq_shard_tx(b.s, frame(0, 100));
	tq_shard_poll(b.s, 1000000003ull);
	assert_int_equal(wire_take(&b, 0), 1);
	bare_fini(&b);
	assert_int_equal(tq_test_pool_avail(), avail);
}

/* The injector sits between the wire and the protocol layer, in the
 * directions asked for, and its counters show in the shard's. */
static void
fault_hooks(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_fault_spec sp;
	const char *bad;
	struct bare b;
	unsigned int i;

	assert_int_equal(tq_fault_parse("drop=1,dir=tx", &sp, &bad), 0);
	bare_init(&b, 0, 1, 1024, &sp);
	assert_null(b.s->fault_rx);
	assert_non_null(b.s->fault_tx);
	for (i = 0; i < 4; i++) {
		struct rte_mbuf *m = frame(i, 60);

		tq_shard_tx(b.s, frame(i, 60));
		assert_int_equal(b.wire.tx(&b.wire, &m, 1), 1);
	}
	tq_shard_poll(b.s, 1000000001ull);
	assert_int_equal(wire_count(&b), 0);
	assert_int_equal(b.rx_frames, 4);
	assert_int_equal(b.s->ctr[TQ_CTR_FAULT_DROPPED], 4);
	assert_int_equal(b.s->ctr[TQ_CTR_TX_PKTS], 0);
	bare_fini(&b);

	/* RX delay: the protocol layer sees frames 1 ms late. */
	assert_int_equal(tq_fault_parse("delay=1000,dir=rx", &sp, &bad), 0);
	bare_init(&b, 0, 1, 1024, &sp);
	assert_non_null(b.s->fault_rx);
	assert_null(b.s->fault_tx);
	for (i = 0; i < 3; i++) {
		struct rte_mbuf *m = frame(i, 60);

		assert_int_equal(b.wire.tx(&b.wire, &m, 1), 1);
	}
	tq_shard_poll(b.s, 1000000000ull);
	assert_int_equal(b.rx_frames, 0);
	assert_int_equal(b.s->ctr[TQ_CTR_FAULT_DELAYED], 3);
	tq_shard_poll(b.s, 1000000000ull + MS(1) - 1);
	assert_int_equal(b.rx_frames, 0);
	tq_shard_poll(b.s, 1000000000ull + MS(1));
	assert_int_equal(b.rx_frames, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(b.rx_seq[i], i);
	/* Frames still delayed at the end are freed with the shard. */
	for (i = 0; i < 3; i++) {
		struct rte_mbuf *m = frame(i, 60);

		assert_int_equal(b.wire.tx(&b.wire, &m, 1), 1);
	}
	tq_shard_poll(b.s, 1000000000ull + MS(2));
	bare_fini(&b);
	assert_int_equal(tq_test_pool_avail(), avail);

	/* An inactive spec installs nothing. */
	assert_int_equal(tq_fault_parse("seed=4", &sp, &bad), 0);
	bare_init(&b, 0, 1, 1024, &sp);
	assert_null(b.s->fault_rx);
	assert_null(b.s->fault_tx);
	bare_fini(&b);
}

/*
 * A live change (tq_shard_set_fault, what `tq-ctl set fault` runs on
 * each worker): an injector goes on the path of a shard created without
 * one; turned off while it delays frames, it stays until they are out,
 * in order ahead of later frames, then leaves the path.
 */
static void
fault_live(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_fault_spec sp;
	const char *bad;
	struct bare b;
	unsigned int i;
	uint64_t t = 1000000000ull;

	bare_init(&b, 0, 1, 1024, NULL);
	assert_null(b.s->fault_rx);
	assert_null(b.s->fault_tx);
	assert_int_equal(tq_fault_parse("delay=1000,dir=rx", &sp, &bad), 0);
	tq_shard_set_fault(b.s, &sp);
	assert_non_null(b.s->fault_rx);
	assert_null(b.s->fault_tx);
	for (i = 0; i < 3; i++) {
		struct rte_mbuf *m = frame(i, 60);

		assert_int_equal(b.wire.tx(&b.wire, &m, 1), 1);
	}
	tq_shard_poll(b.s, t);
	assert_int_equal(b.rx_frames, 0);
	assert_int_equal(b.s->ctr[TQ_CTR_FAULT_DELAYED], 3);

	/* Off, with three frames held: a frame arriving now waits behind
	 * them rather than overtaking. */
	assert_int_equal(tq_fault_parse("seed=1", &sp, &bad), 0);
	tq_shard_set_fault(b.s, &sp);
	assert_non_null(b.s->fault_rx);
	for (i = 3; i < 4; i++) {
		struct rte_mbuf *m = frame(i, 60);

		assert_int_equal(b.wire.tx(&b.wire, &m, 1), 1);
	}
	tq_shard_poll(b.s, t + 10);
	assert_int_equal(b.rx_frames, 0);
	tq_shard_poll(b.s, t + MS(1));
	assert_int_equal(b.rx_frames, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(b.rx_seq[i], i);
	assert_null(b.s->fault_rx);
	assert_int_equal(b.s->ctr[TQ_CTR_FAULT_DELAYED], 4);

	/* Drop on both sides, live, then off again at once. */
	assert_int_equal(tq_fault_parse("drop=1", &sp, &bad), 0);
	tq_shard_set_fault(b.s, &sp);
	assert_non_null(b.s->fault_rx);
	assert_non_null(b.s->fault_tx);
	tq_shard_tx(b.s, frame(9, 60));
	tq_shard_poll(b.s, t + MS(2));
	assert_int_equal(wire_count(&b), 0);
	assert_int_equal(b.s->ctr[TQ_CTR_FAULT_DROPPED], 1);
	assert_int_equal(tq_fault_parse("drop=0", &sp, &bad), 0);
	tq_shard_set_fault(b.s, &sp);
	tq_shard_tx(b.s, frame(10, 60));
	tq_shard_poll(b.s, t + MS(3));
	assert_int_equal(wire_take(&b, 10), 1);
	assert_null(b.s->fault_rx);
	assert_null(b.s->fault_tx);
	assert_int_equal(b.s->ctr[TQ_CTR_FAULT_DROPPED], 1);
	bare_fini(&b);
	assert_int_equal(tq_test_pool_avail(), avail);
}

/*
 * A port that sends one segment only (tx_flat): a chain leaves as one
 * buffer with the same bytes and offload flags, a single segment as it
 * is, and a chain longer than an mbuf holds is dropped and counted.
 */
static void
tx_flat(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct rte_mbuf *m, *tail, *got;
	struct bare b;
	uint8_t want[300];
	unsigned int i;

	bare_init(&b, 0, 1, 1024, NULL);
	b.s->io.tx_flat = true;
	m = frame(7, 100);
	tail = rte_pktmbuf_alloc(tq_test_pool());
	assert_non_null(tail);
	memset(rte_pktmbuf_append(tail, 200), 0xab, 200);
	assert_int_equal(rte_pktmbuf_chain(m, tail), 0);
	m->ol_flags = RTE_MBUF_F_TX_IPV4;
	m->l2_len = 14;
	assert_non_null(rte_pktmbuf_read(m, 0, 300, want));
	memcpy(want, rte_pktmbuf_read(m, 0, 300, want), 300);
	tq_shard_tx(b.s, m);
	tq_shard_tx(b.s, frame(8, 60));
	tq_shard_poll(b.s, 1000000001ull);
	assert_int_equal(b.wire.rx(&b.wire, &got, 1), 1);
	assert_int_equal(got->nb_segs, 1);
	assert_int_equal(got->pkt_len, 300);
	assert_memory_equal(rte_pktmbuf_mtod(got, void *), want, 300);
	assert_true(got->ol_flags & RTE_MBUF_F_TX_IPV4);
	assert_int_equal(got->l2_len, 14);
	rte_pktmbuf_free(got);
	assert_int_equal(wire_take(&b, 8), 1);
	assert_int_equal(b.s->ctr[TQ_CTR_TX_LINEARIZED], 1);

	/* Too long for one mbuf: dropped, counted, nothing leaks. */
	m = frame(9, 1000);
	for (i = 0; i < 3; i++) {
		tail = rte_pktmbuf_alloc(tq_test_pool());
		assert_non_null(tail);
		assert_non_null(rte_pktmbuf_append(tail, 1000));
		assert_int_equal(rte_pktmbuf_chain(m, tail), 0);
	}
	tq_shard_tx(b.s, m);
	tq_shard_poll(b.s, 1000000002ull);
	assert_int_equal(wire_count(&b), 0);
	assert_int_equal(b.s->ctr[TQ_CTR_TX_LINEAR_FAILS], 1);
	bare_fini(&b);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
xmsg_broadcast(void **state)
{
	static struct bare b[3];
	static struct tq_shard *shards[3];
	struct tq_xmsg msg = { .type = 77, .len = 5 };
	unsigned int i, k, total;

	for (i = 0; i < 3; i++) {
		bare_init(&b[i], i, 3, 64, NULL);
		shards[i] = b[i].s;
	}
	/* Before the mesh there is nowhere to send. */
	tq_shard_broadcast(shards[0], &msg);
	assert_int_equal(shards[0]->ctr[TQ_CTR_XMSG_SENT], 0);
	assert_int_equal(tq_shard_mesh(shards, 3), 0);

	memcpy(msg.data, "hello", 5);
	tq_shard_broadcast(shards[1], &msg);
	assert_int_equal(shards[1]->ctr[TQ_CTR_XMSG_SENT], 2);
	for (i = 0; i < 3; i++)
		assert_int_equal(b[i].nmsg, 0);
	for (i = 0; i < 3; i++)
		tq_shard_poll(shards[i], 1000000001ull);
	assert_int_equal(b[0].nmsg, 1);
	assert_int_equal(b[1].nmsg, 0); /* not to itself */
	assert_int_equal(b[2].nmsg, 1);
	assert_int_equal(b[2].msgs[0].type, 77);
	assert_int_equal(b[2].msgs[0].len, 5);
	assert_memory_equal(b[2].msgs[0].data, "hello", 5);

	/* A full ring drops and counts; what got in arrives in order. */
	for (k = 0; k < 1100; k++) {
		msg.len = (uint16_t)k;
		tq_shard_broadcast(shards[0], &msg);
	}
	assert_true(shards[0]->ctr[TQ_CTR_XMSG_FULL] > 0);
	assert_int_equal(shards[0]->ctr[TQ_CTR_XMSG_SENT] +
			shards[0]->ctr[TQ_CTR_XMSG_FULL], 2 * 1100);
	for (k = 0; k < 200; k++)
		tq_shard_poll(shards[2], 1000000002ull + k);
	total = b[2].nmsg - 1;
	assert_int_equal(total, shards[0]->ctr[TQ_CTR_XMSG_SENT] / 2);
	for (k = 0; k < total; k++)
		assert_int_equal(b[2].msgs[1 + k].len, k);

	for (i = 0; i < 3; i++)
		bare_fini(&b[i]);
	assert_int_equal(tq_shard_mesh(shards, TQ_MAX_WORKERS + 1), -EINVAL);
}

/* Two hosts as two workers: a neighbour one learns, the other knows
 * after its next poll. */
static void
neigh_shared(void **state)
{
	static const char *const addrs[] = { "10.0.0.2/24", NULL };
	static struct tq_test_host h0, h1;
	static struct tq_shard *shards[2];
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host_opts o0 = { .shard_id = 0, .nb_workers = 2 };
	struct tq_test_host_opts o1 = { .shard_id = 1, .nb_workers = 2 };
	struct tq_addr peer = tq_test_addr("10.0.0.1");
	struct rte_ether_addr mac;
	uint8_t f[64];

	assert_int_equal(tq_test_host_init_opts(&h0, 2, addrs, &o0), 0);
	assert_int_equal(tq_test_host_init_opts(&h1, 2, addrs, &o1), 0);
	shards[0] = h0.s;
	shards[1] = h1.s;
	assert_int_equal(tq_shard_mesh(shards, 2), 0);

	tq_test_wire_send(&h0, f, tq_test_build_arp(f, RTE_ARP_OP_REQUEST,
			tq_test_peer_mac, "10.0.0.1", (const uint8_t[6]){ 0 },
			"10.0.0.2"));
	tq_test_host_poll(&h0, 1000);
	assert_int_equal(tq_test_wire_drain(&h0), 1); /* the reply */
	assert_int_equal(tq_neigh_lookup(h0.s, &peer, &mac), 0);
	assert_int_equal(tq_test_counter(&h0, TQ_CTR_XMSG_SENT), 1);
	assert_int_equal(tq_neigh_lookup(h1.s, &peer, &mac), -ENOENT);
	tq_test_host_poll(&h1, 1000);
	assert_int_equal(tq_neigh_lookup(h1.s, &peer, &mac), 0);
	assert_memory_equal(&mac, tq_test_peer_mac, 6);
	/* Learned from a message, it is not sent back. */
	assert_int_equal(tq_test_counter(&h1, TQ_CTR_XMSG_SENT), 0);
	/* And h1 can now send without resolving. */
	assert_int_equal(tq_udp_sendto(h1.s, NULL, 1, &peer, 2, "x", 1), 0);
	tq_test_host_poll(&h1, 1000);
	assert_int_equal(tq_test_counter(&h1, TQ_CTR_ARP_OUT_REQUESTS), 0);
	assert_int_equal(tq_test_wire_drain(&h1), 1);
	tq_test_host_fini(&h0);
	tq_test_host_fini(&h1);
	assert_int_equal(tq_test_pool_avail(), avail);
}

/* An NDP answer that lands on a worker that did not ask (af_packet's
 * fanout hashes as it likes) still resolves the one that did, and
 * creates nothing where nobody asked (RFC 4861 7.2.5). */
static void
na_other_worker(void **state)
{
	static const char *const addrs[] = { "fd00::2/64", NULL };
	static struct tq_test_host h0, h1;
	static struct tq_shard *shards[2];
	unsigned int avail = tq_test_pool_avail();
	struct tq_test_host_opts o0 = { .shard_id = 0, .nb_workers = 2 };
	struct tq_test_host_opts o1 = { .shard_id = 1, .nb_workers = 2 };
	struct tq_addr peer = tq_test_addr("fd00::1");
	struct rte_ether_addr mac;
	uint8_t f[128], body[28] = { 0x60 };	/* Solicited, Override */

	assert_int_equal(tq_test_host_init_opts(&h0, 2, addrs, &o0), 0);
	assert_int_equal(tq_test_host_init_opts(&h1, 2, addrs, &o1), 0);
	shards[0] = h0.s;
	shards[1] = h1.s;
	assert_int_equal(tq_shard_mesh(shards, 2), 0);

	/* h1 sends to the peer: it solicits, the datagram waits. */
	assert_int_equal(tq_udp_sendto(h1.s, NULL, 1, &peer, 2, "x", 1), 0);
	tq_test_host_poll(&h1, 1000);
	assert_int_equal(tq_test_counter(&h1, TQ_CTR_NDP_OUT_SOLICITS), 1);
	assert_int_equal(tq_test_wire_drain(&h1), 1);
	/* The NA comes in on h0. */
	memcpy(body + 4, peer.v6, 16);
	body[20] = 2;	/* target link-layer address */
	body[21] = 1;
	memcpy(body + 22, tq_test_peer_mac, 6);
	tq_test_wire_send(&h0, f, tq_test_build_icmp6(f,
			h0.ifc.mac.addr_bytes, "fd00::1", "fd00::2", 255, 136,
			0, body, sizeof(body)));
	tq_test_host_poll(&h0, 1000);
	assert_int_equal(tq_neigh_lookup(h0.s, &peer, &mac), -ENOENT);
	assert_int_equal(tq_test_counter(&h0, TQ_CTR_XMSG_SENT), 1);
	tq_test_host_poll(&h1, 2000);
	assert_int_equal(tq_neigh_lookup(h1.s, &peer, &mac), 0);
	assert_memory_equal(&mac, tq_test_peer_mac, 6);
	/* The waiting datagram goes out now; h0 still learned nothing. */
	assert_int_equal(tq_test_wire_drain(&h1), 1);
	tq_test_host_poll(&h0, 3000);
	assert_int_equal(tq_neigh_lookup(h0.s, &peer, &mac), -ENOENT);
	tq_test_host_fini(&h0);
	tq_test_host_fini(&h1);
	assert_int_equal(tq_test_pool_avail(), avail);
}

struct cmd_log {
	unsigned int n;
	struct tq_shard *s[4];
	int arg[4];
};

static struct cmd_log cmd_log;

static void
cmd_fn(struct tq_shard *s, void *arg)
{
	assert_true(cmd_log.n < 4);
	cmd_log.s[cmd_log.n] = s;
	cmd_log.arg[cmd_log.n] = *(int *)arg;
	cmd_log.n++;
}

static void
commands(void **state)
{
	static int args[3] = { 10, 20, 30 };
	struct bare b;
	unsigned int i;

	memset(&cmd_log, 0, sizeof(cmd_log));
	bare_init(&b, 0, 1, 64, NULL);
	for (i = 0; i < 3; i++)
		assert_int_equal(tq_shard_command(b.s, cmd_fn, &args[i]), 0);
	assert_int_equal(cmd_log.n, 0);
	tq_shard_poll(b.s, 1000000001ull);
	assert_int_equal(cmd_log.n, 3);
	for (i = 0; i < 3; i++) {
		assert_ptr_equal(cmd_log.s[i], b.s);
		assert_int_equal(cmd_log.arg[i], args[i]);
	}
	/* Once only. */
	tq_shard_poll(b.s, 1000000002ull);
	assert_int_equal(cmd_log.n, 3);
	bare_fini(&b);
}

/*
 * The shard's mbuf stash: frees and allocations of the stack go through
 * it, a fresh mbuf from it looks like rte_pktmbuf_alloc()'s, it spills
 * half to the pool when full and refills half when empty, mbufs of
 * another pool or still shared go their own way, and a flush (or the
 * shard's end) returns all of it.
 */
static void
mbuf_stash(void **state)
{
	struct rte_mempool *other;
	struct rte_mbuf *m[TQ_STASH * 2 + 8], *o, *x;
	unsigned int avail, i;
	struct bare b;

	(void)state;
	bare_init(&b, 0, 1, 256, NULL);
	avail = tq_test_pool_avail();
	/* empty: the first allocation takes half a stash from the pool */
	m[0] = tq_shard_mbuf_alloc(b.s);
	assert_non_null(m[0]);
	assert_int_equal(b.s->stash_n, TQ_STASH / 2 - 1);
	assert_int_equal(rte_mempool_avail_count(tq_test_pool()),
			avail - TQ_STASH / 2);
	for (i = 1; i < RTE_DIM(m); i++) {
		m[i] = tq_shard_mbuf_alloc(b.s);
		assert_non_null(m[i]);
	}
	/* as rte_pktmbuf_alloc() leaves it, whatever it was used for */
	rte_pktmbuf_append(m[5], 100);
	m[5]->ol_flags |= RTE_MBUF_F_TX_TCP_CKSUM;
	m[5]->l2_len = 14;
	m[5]->data_off = 7;
	m[5]->port = 3;
	m[5]->packet_type = RTE_PTYPE_L4_TCP;
	m[5]->vlan_tci = 9;
	m[5]->vlan_tci_outer = 10;
	tq_shard_mbuf_free_seg(b.s, m[5]);
	x = tq_shard_mbuf_alloc(b.s);
	assert_ptr_equal(x, m[5]);
	assert_int_equal(x->data_len, 0);
	assert_int_equal(x->pkt_len, 0);
	assert_int_equal(x->nb_segs, 1);
	assert_null(x->next);
	assert_int_equal(x->ol_flags, 0);
	assert_int_equal(x->tx_offload, 0);
	assert_int_equal(x->data_off, RTE_PKTMBUF_HEADROOM);
	assert_int_equal(rte_mbuf_refcnt_read(x), 1);
	assert_int_equal(x->port, RTE_MBUF_PORT_INVALID);
	assert_int_equal(x->packet_type, 0);
	assert_int_equal(x->vlan_tci, 0);
	assert_int_equal(x->vlan_tci_outer, 0);
	/* full: half goes back to the pool in one put */
	for (i = 0; i < RTE_DIM(m); i++)
		tq_shard_mbuf_free_seg(b.s, m[i]);
	assert_true(b.s->stash_n <= TQ_STASH);
	assert_true(b.s->stash_n >= TQ_STASH / 2);
	/* shared: only the last reference frees it */
	x = tq_shard_mbuf_alloc(b.s);
	rte_mbuf_refcnt_update(x, 1);
	i = b.s->stash_n;
	tq_shard_mbuf_free_seg(b.s, x);
	assert_int_equal(b.s->stash_n, i);
	tq_shard_mbuf_free_seg(b.s, x);
	assert_int_equal(b.s->stash_n, i + 1);
	/* another pool's mbuf goes back to its pool, not the stash */
	other = rte_pktmbuf_pool_create("tqs_other", 63, 0, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	assert_non_null(other);
	o = rte_pktmbuf_alloc(other);
	assert_non_null(o);
	tq_shard_mbuf_free(b.s, o);
	assert_int_equal(b.s->stash_n, i + 1);
	assert_int_equal(rte_mempool_avail_count(other), 63);
	rte_mempool_free(other);
	/* a chain, every segment */
	x = tq_shard_mbuf_alloc(b.s);
	o = tq_shard_mbuf_alloc(b.s);
	assert_int_equal(rte_pktmbuf_chain(x, o), 0);
	i = b.s->stash_n;
	tq_shard_mbuf_free(b.s, x);
	assert_int_equal(b.s->stash_n, i + 2);
	/* all of it back (a bare shard is no test host: flushed here) */
	tq_shard_stash_flush(b.s);
	assert_int_equal(b.s->stash_n, 0);
	assert_int_equal(tq_test_pool_avail(), avail);
	tq_shard_mbuf_free_seg(b.s, tq_shard_mbuf_alloc(b.s));
	bare_fini(&b);
	assert_int_equal(tq_test_pool_avail(), avail);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mbuf_stash),
		cmocka_unit_test(rx_bursts),
		cmocka_unit_test(rx_bursts_per_poll),
		cmocka_unit_test(tx_batch),
		cmocka_unit_test(tx_ring_full),
		cmocka_unit_test(fault_hooks),
		cmocka_unit_test(fault_live),
		cmocka_unit_test(tx_flat),
		cmocka_unit_test(xmsg_broadcast),
		cmocka_unit_test(neigh_shared),
		cmocka_unit_test(na_other_worker),
		cmocka_unit_test(commands),
	};

	if (tq_test_eal_init("shard") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
