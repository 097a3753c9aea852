/* SPDX-License-Identifier: BSD-3-Clause */
#include "tq_shard.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include <rte_malloc.h>
#include <rte_memcpy.h>
#include <rte_ring_elem.h>

#include "../port/tq_gro.h"
#include "../port/tq_gso.h"
#include "tq_clock.h"
#include "tq_mbuf.h"

#define TQ_XMSG_RING 1024

struct tq_shard *
tq_shard_create(const struct tq_shard_conf *conf)
{
	static const struct tq_fault_spec off = { .seed = 1 };
	struct tq_shard *s;
	char name[RTE_RING_NAMESIZE];
	static unsigned int seq; /* control thread only */
	unsigned int i;

	s = rte_zmalloc_socket("tq_shard", sizeof(*s), RTE_CACHE_LINE_SIZE,
			conf->socket);
	if (!s)
		return NULL;
	s->id = conf->id;
	s->nb_workers = conf->nb_workers;
	s->socket = conf->socket;
	s->rx_bursts = RTE_MAX(conf->rx_bursts, (uint16_t)1);
	s->idle_sleep_us = conf->idle_sleep_us;
	s->pool = conf->pool;
	if (s->pool) {
		struct rte_mbuf mb;

		memset(&mb, 0, sizeof(mb));
		mb.buf_len = (uint16_t)rte_pktmbuf_data_room_size(s->pool);
		rte_pktmbuf_reset_headroom(&mb);
		rte_mbuf_refcnt_set(&mb, 1);
		mb.nb_segs = 1;
		mb.port = RTE_MBUF_PORT_INVALID;
		RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, port) + 2 !=
				TQ_MBUF_REARM_OFF + 8 ||
				TQ_MBUF_REARM_OFF % 8 != 0);
		memcpy(&s->mbuf_rearm, (uint8_t *)&mb + TQ_MBUF_REARM_OFF,
				sizeof(s->mbuf_rearm));
	}
	s->now = conf->now;
	s->timers = rte_zmalloc_socket("tq_timers", sizeof(*s->timers),
			RTE_CACHE_LINE_SIZE, conf->socket);
	if (!s->timers)
		goto fail;
	tq_timer_wheel_init(s->timers, conf->timer_tick_ns, conf->now);
	snprintf(name, sizeof(name), "tq_cmd_%u_%u", conf->id, seq++);
	/* Multi-producer: the control thread, DPDK's telemetry threads,
	 * app threads and other workers may all enqueue at once.  RTS
	 * (relaxed tail sync) rather than the classic MP ring: these
	 * producers are ordinary preemptible threads, often more of them
	 * than CPUs, and a classic MP producer spins until each earlier one
	 * has published, in order: with a preempted one in the queue,
	 * every command then costs a round of the scheduler (seen: 40000
	 * commands from 4 threads taking over a minute on 2 busy CPUs). */
	s->cmd = rte_ring_create_elem(name, sizeof(struct tq_cmd),
			TQ_CMD_RING, conf->socket,
			RING_F_MP_RTS_ENQ | RING_F_SC_DEQ);
	if (!s->cmd)
		goto fail;
	for (i = 0; i < 2; i++)
		if (tq_fault_init(&s->fault[i], &off, conf->id * 2 + i,
				conf->pool, conf->socket) < 0)
			goto fail;
	if (conf->fault)
		tq_shard_set_fault(s, conf->fault);
	return s;
fail:
	tq_shard_free(s);
	return NULL;
}

void
tq_shard_stash_refill(struct tq_shard *s)
{
	if (rte_mempool_get_bulk(s->pool, (void **)s->stash,
			TQ_STASH / 2) == 0) {
		s->stash_n = TQ_STASH / 2;
		return;
	}
	/* the pool is nearly empty: what it has, one at a time */
	while (s->stash_n < TQ_STASH / 2) {
		struct rte_mbuf *m = rte_mbuf_raw_alloc(s->pool);

		if (!m)
			break;
		s->stash[s->stash_n++] = m;
	}
}

void
tq_shard_stash_spill(struct tq_shard *s)
{
	rte_mempool_put_bulk(s->pool, (void **)&s->stash[TQ_STASH / 2],
			TQ_STASH / 2);
	s->stash_n = TQ_STASH / 2;
}

void
tq_shard_stash_flush(struct tq_shard *s)
{
	if (s->stash_n)
		rte_mempool_put_bulk(s->pool, (void **)s->stash, s->stash_n);
	s->stash_n = 0;
}

void
tq_shard_free(struct tq_shard *s)
{
	unsigned int i;

	if (!s)
		return;
	for (i = 0; i < s->tx_n; i++)
		rte_pktmbuf_free(s->tx[i]);
	s->tx_n = 0;
	for (i = 0; i < s->loop_n; i++)
		rte_pktmbuf_free(s->loop[i]);
	s->loop_n = 0;
	tq_shard_stash_flush(s);
	tq_fault_fini(&s->fault[0]);
	tq_fault_fini(&s->fault[1]);
	for (i = 0; i < TQ_MAX_WORKERS; i++)
		rte_ring_free(s->xin[i]);
	rte_ring_free(s->cmd);
	rte_free(s->timers);
	rte_free(s);
}

int
tq_shard_mesh(struct tq_shard **shards, unsigned int n)
{
	char name[RTE_RING_NAMESIZE];
	static unsigned int seq;
	unsigned int i, j;

	if (n > TQ_MAX_WORKERS)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		shards[i]->peers = shards;
		for (j = 0; j < n; j++) {
			if (i == j)
				continue;
			snprintf(name, sizeof(name), "tq_x%u_%u_%u", j, i,
					seq++);
			shards[i]->xin[j] = rte_ring_create_elem(name,
					sizeof(struct tq_xmsg), TQ_XMSG_RING,
					shards[i]->socket,
					RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (!shards[i]->xin[j])
				return -ENOMEM;
		}
	}
	return 0;
}

void
tq_shard_broadcast(struct tq_shard *s, const struct tq_xmsg *msg)
{
	unsigned int j;

	if (!s->peers)
		return;
	for (j = 0; j < s->nb_workers; j++) {
		struct rte_ring *r;

		if (j == s->id)
			continue;
		r = s->peers[j]->xin[s->id];
		if (rte_ring_enqueue_elem(r, (void *)(uintptr_t)msg,
				sizeof(*msg)) == 0)
			TQ_INC(s, XMSG_SENT);
		else
			TQ_INC(s, XMSG_FULL);
	}
}

int
tq_shard_command(struct tq_shard *s, tq_cmd_fn fn, void *arg)
{
	struct tq_cmd c = { .fn = fn, .arg = arg };

	if (rte_ring_enqueue_elem(s->cmd, &c, sizeof(c)) < 0)
		return -ENOBUFS;
	return 0;
}

static void
fault_dir(struct tq_shard *s, unsigned int i, struct tq_fault **slot,
		const struct tq_fault_spec *spec, unsigned int dir)
{
	struct tq_fault_spec sp = *spec;

	if (!(spec->dir & dir))
		tq_fault_spec_off(&sp);
	tq_fault_respec(&s->fault[i], &sp);
	if (!tq_fault_idle(&s->fault[i])) {
		*slot = &s->fault[i];
		s->fault_seen = true;
	}
}

void
tq_shard_set_fault(struct tq_shard *s, const struct tq_fault_spec *spec)
{
	fault_dir(s, 0, &s->fault_rx, spec, TQ_FAULT_RX);
	fault_dir(s, 1, &s->fault_tx, spec, TQ_FAULT_TX);
}

static void
sync_fault_counters(struct tq_shard *s)
{
	const struct tq_fault_stats *r = &s->fault[0].st;
	const struct tq_fault_stats *t = &s->fault[1].st;

	s->ctr[TQ_CTR_FAULT_DROPPED] = r->dropped + t->dropped;
	s->ctr[TQ_CTR_FAULT_DUPLICATED] = r->duplicated + t->duplicated;
	s->ctr[TQ_CTR_FAULT_REORDERED] = r->reordered + t->reordered;
	s->ctr[TQ_CTR_FAULT_CORRUPTED] = r->corrupted + t->corrupted;
	s->ctr[TQ_CTR_FAULT_DELAYED] = r->delayed + t->delayed;
}

/* Software GSO: the segment cut into frames here, checksums as the IP
 * output asked for them (offloaded where the port can). */
static int
gso_cut(struct tq_shard *s, struct rte_mbuf *m, bool offload,
		struct rte_mbuf **out)
{
	uint64_t f = m->ol_flags;
	int n;

	n = tq_gso_segment(m, s->pool,
			offload || (f & RTE_MBUF_F_TX_IP_CKSUM),
			offload || (f & RTE_MBUF_F_TX_L4_MASK) ==
				RTE_MBUF_F_TX_TCP_CKSUM,
			out, TQ_GSO_MAX_OUT);
	if (n < 0)
		TQ_INC(s, TX_GSO_FAILS);
	else
		TQ_ADD(s, TX_GSO_FRAMES, n);
	return n;
}

void
tq_shard_tx_gso(struct tq_shard *s, struct rte_mbuf *m)
{
	struct rte_mbuf *out[TQ_GSO_MAX_OUT];
	int n = gso_cut(s, m, false, out), i;

	for (i = 0; i < n; i++)
		tq_shard_tx(s, out[i]);
}

void
tq_shard_loop(struct tq_shard *s, struct rte_mbuf *m)
{
	if (unlikely(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG)) {
		struct rte_mbuf *out[TQ_GSO_MAX_OUT];
		int n = gso_cut(s, m, true, out), i;

		for (i = 0; i < n; i++)
			tq_shard_loop(s, out[i]);
		return;
	}
	if (unlikely(s->loop_n == TQ_LOOP_MAX)) {
		TQ_INC(s, LOOP_FULL);
		rte_pktmbuf_free(m);
		return;
	}
	TQ_INC(s, LOOP_PKTS);
	/* Checksums offloaded to the port were never filled in. */
	tq_mbuf_csum_tx_to_rx(m);
	s->loop[s->loop_n++] = m;
}

/* Frames we sent ourselves come back as input, one poll later, so a
 * protocol never re-enters itself from its own output. */
static void
run_loopback(struct tq_shard *s)
{
	struct rte_mbuf *pkts[TQ_LOOP_MAX];
	uint16_t n = s->loop_n;

	if (!n || !s->input)
		return;
	memcpy(pkts, s->loop, n * sizeof(pkts[0]));
	s->loop_n = 0;
	s->input(s, pkts, n);
}

/*
 * A chain into one buffer of its pool, with its offload requests, for a
 * port that cannot send chains; NULL (and m freed) when there is no
 * mbuf or the frame does not fit one.  The copy is the price of such a
 * port; zero copy stays where the port chains.
 */
static struct rte_mbuf *
flatten(struct tq_shard *s, struct rte_mbuf *m)
{
	struct rte_mbuf *f = rte_pktmbuf_alloc(m->pool);
	const void *src;
	char *p;

	if (!f || m->pkt_len > rte_pktmbuf_tailroom(f))
		goto fail;
	p = rte_pktmbuf_append(f, (uint16_t)m->pkt_len);
	/* Copies into p, or points into m where the bytes lie in one
	 * segment already. */
	src = p ? rte_pktmbuf_read(m, 0, m->pkt_len, p) : NULL;
	if (!src)
		goto fail;
	if (src != p)
		rte_memcpy(p, src, m->pkt_len);
	f->ol_flags = m->ol_flags;
	f->tx_offload = m->tx_offload;
	f->packet_type = m->packet_type;
	rte_pktmbuf_free(m);
	TQ_INC(s, TX_LINEARIZED);
	return f;
fail:
	rte_pktmbuf_free(f);
	rte_pktmbuf_free(m);
	TQ_INC(s, TX_LINEAR_FAILS);
	return NULL;
}

/* A port that cannot chain (tx_flat): chains copied into one buffer. */
static __rte_noinline uint16_t
flatten_all(struct tq_shard *s, struct rte_mbuf **pk, uint16_t n)
{
	uint16_t i, k = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pk[i];

		if (m->nb_segs > 1)
			m = flatten(s, m);
		if (m)
			pk[k++] = m;
	}
	return k;
}

/* What the PMD would not take after the tries: dropped and counted. */
static __rte_noinline void
drop_unsent(struct tq_shard *s, struct rte_mbuf **pk, uint16_t n,
		uint16_t sent, uint64_t *bytes)
{
	uint16_t i;

	for (i = sent; i < n; i++) {
		*bytes -= rte_pktmbuf_pkt_len(pk[i]);
		rte_pktmbuf_free(pk[i]);
	}
	TQ_ADD(s, TX_RING_FULL, n - sent);
}

static __rte_always_inline void
flush_send(struct tq_shard *s, struct rte_mbuf **pk, uint16_t n)
{
	uint16_t sent = 0, i, k;
	uint64_t bytes = 0;
	unsigned int tries = 0;

	if (unlikely(s->io.tx_flat))
		n = flatten_all(s, pk, n);
	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		bytes += rte_pktmbuf_pkt_len(pk[i]);
	/* A full ring usually drains within a few tries; past that the
	 * frames are dropped and counted rather than stalling RX. */
	while (sent < n) {
		k = s->io.tx(&s->io, pk + sent, n - sent);
		sent += k;
		if (k == 0 && ++tries > 8)
			break;
	}
	if (unlikely(sent < n))
		drop_unsent(s, pk, n, sent, &bytes);
	TQ_ADD(s, TX_PKTS, sent);
	TQ_ADD(s, TX_BYTES, bytes);
}

/* The TX injector's path, with its array, out of the poll's frame. */
static __rte_noinline void
flush_faulty(struct tq_shard *s)
{
	struct rte_mbuf *out[TQ_TX_BATCH * 2];
	uint16_t n;

	n = tq_fault_apply(s->fault_tx, s->tx, s->tx_n, out, RTE_DIM(out),
			s->now);
	/* After a live change turned it off and it emptied. */
	if (tq_fault_idle(s->fault_tx))
		s->fault_tx = NULL;
	s->tx_n = 0;
	flush_send(s, out, n);
}

/* Inline in the poll, which flushes every time round. */
static __rte_always_inline void
flush(struct tq_shard *s)
{
	uint16_t n = s->tx_n;

	if (unlikely(s->fault_tx != NULL)) {
		flush_faulty(s);
		return;
	}
	s->tx_n = 0;
	flush_send(s, s->tx, n);
}

void
tq_shard_flush(struct tq_shard *s)
{
	flush(s);
}

static unsigned int
drain_commands(struct tq_shard *s)
{
	struct tq_cmd cmds[8];
	unsigned int k, n;

	n = rte_ring_sc_dequeue_burst_elem(s->cmd, cmds, sizeof(cmds[0]),
			RTE_DIM(cmds), NULL);
	for (k = 0; k < n; k++)
		cmds[k].fn(s, cmds[k].arg);
	return n;
}

/* Almost always false: a few loads a poll instead of the dequeues. */
static inline bool
messages_waiting(const struct tq_shard *s)
{
	unsigned int j;

	if (!rte_ring_empty(s->cmd))
		return true;
	/* A lone worker has no peers' rings (tq_shard_mesh()). */
	if (!s->xmsg_input || s->nb_workers < 2)
		return false;
	for (j = 0; j < s->nb_workers; j++)
		if (s->xin[j] && !rte_ring_empty(s->xin[j]))
			return true;
	return false;
}

static void
drain_messages(struct tq_shard *s)
{
	struct tq_xmsg msgs[16];
	unsigned int j, k, n;

	drain_commands(s);
	if (!s->xmsg_input)
		return;
	for (j = 0; j < s->nb_workers; j++) {
		if (!s->xin[j])
			continue;
		n = rte_ring_sc_dequeue_burst_elem(s->xin[j], msgs,
				sizeof(msgs[0]), RTE_DIM(msgs), NULL);
		for (k = 0; k < n; k++)
			s->xmsg_input(s, &msgs[k]);
	}
}

/* GRO (tq_gro.c): after the fault injector, which stands for the wire. */
static __rte_always_inline void
rx_input(struct tq_shard *s, struct rte_mbuf **pkts, uint16_t n)
{
	if (s->io.gro && n > 1) {
		struct tq_gro_stats st = { 0, 0 };

		n = tq_gro_burst(pkts, n, &st);
		TQ_ADD(s, RX_GRO_MERGED, st.merged);
		TQ_ADD(s, RX_GRO_SEGS, st.segs);
	}
	s->input(s, pkts, n);
}

/*
 * One RX burst through the fault injector into input; frames received.
 * *t is the TSC when the burst began, moved to when its input began
 * (the time before counted as RX) when frames came.
 */
static __rte_always_inline uint16_t
rx_burst(struct tq_shard *s, uint64_t *t)
{
	struct rte_mbuf *pkts[TQ_BURST];
	struct rte_mbuf *out[TQ_BURST * 2];
	uint16_t n, i;
	uint64_t bytes = 0, t1;

	n = s->io.rx(&s->io, pkts, TQ_BURST);
	if (n) {
		t1 = rte_rdtsc();
		s->load.cycles[TQ_LOAD_RX] += t1 - *t;
		*t = t1;
		for (i = 0; i < n; i++)
			bytes += rte_pktmbuf_pkt_len(pkts[i]);
		TQ_ADD(s, RX_PKTS, n);
		TQ_ADD(s, RX_BYTES, bytes);
		TQ_INC(s, RX_BURSTS);
	}
	if (unlikely(s->fault_rx != NULL)) {
		uint16_t m = tq_fault_apply(s->fault_rx, pkts, n, out,
				RTE_DIM(out), s->now);

		if (tq_fault_idle(s->fault_rx))
			s->fault_rx = NULL;
		if (m)
			rx_input(s, out, m);
	} else if (n) {
		rx_input(s, pkts, n);
	}
	return n;
}

/* One poll; t0 is the TSC now was read from (the load accounting's
 * start), so a worker reads the clock once for both. */
static __rte_always_inline uint16_t
shard_poll(struct tq_shard *s, uint64_t now, uint64_t t0)
{
	uint16_t n, total = 0, b = 0;
	uint64_t t = t0, t1, t2;

	s->now = now;
	/*
	 * Read on while bursts come full.  A poll's flush can carry a few
	 * hundred segments, and on net_af_packet over a veth the peer's
	 * stack runs inside that sendto() and puts its ACKs in our RX ring
	 * at once: one burst a poll cannot keep up, the ring fills and the
	 * kernel drops what comes next (ACKs, but also requests, SYNs and
	 * FINs, which then cost an RTO).  The cap keeps timers and TX from
	 * waiting behind an endless stream.
	 */
	for (;;) {
		n = rx_burst(s, &t);
		total += n;
		if (n != TQ_BURST || ++b >= s->rx_bursts)
			break;
		/* The next burst's RX time starts here; the last burst's
		 * input is counted with the timers below, one clock read
		 * less a poll. */
		t1 = rte_rdtsc();
		s->load.cycles[TQ_LOAD_PROTO] += t1 - t;
		t = t1;
	}
	if (unlikely(s->loop_n))
		run_loopback(s);
	tq_timer_poll(s->timers, now);
	if (messages_waiting(s))
		drain_messages(s);
	s->load.polls++;
	if (total || s->tx_n) {
		t1 = rte_rdtsc();
		flush(s);
		t2 = rte_rdtsc();
		s->load.busy_polls++;
		s->load.cycles[TQ_LOAD_PROTO] += t1 - t;
		s->load.cycles[TQ_LOAD_TX] += t2 - t1;
	} else {
		/* Nothing to send (the TX injector may still release
		 * delayed frames): one more clock read, not two. */
		flush(s);
		s->load.cycles[TQ_LOAD_IDLE] += rte_rdtsc() - t0;
	}
	/* After the flush, so what the TX injector did this poll counts
	 * now rather than one poll late. */
	if (s->fault_seen)
		sync_fault_counters(s);
	return total;
}

uint16_t
tq_shard_poll(struct tq_shard *s, uint64_t now)
{
	return shard_poll(s, now, rte_rdtsc());
}

/* Two shards in one frame, the way tq_shard_main() has its poll inline
 * in its loop: the in-memory loop's step (tq_loop_poll_at()) then costs
 * what a worker's poll does, not two calls more. */
unsigned int
tq_shard_poll2(struct tq_shard *a, struct tq_shard *b, uint64_t now)
{
	unsigned int n = shard_poll(a, now, rte_rdtsc());

	return n + shard_poll(b, now, rte_rdtsc());
}

/*
 * An idle worker backs off, as DPDK's l3fwd-power does without RX
 * interrupts (net_af_packet and net_tap have none): after
 * TQ_IDLE_SPIN_POLLS empty polls it naps, TQ_IDLE_NAP0_US at first,
 * doubling up to idle_sleep_us, and spins again at the first poll that
 * does anything.  Under load it never naps; a quiet or shared machine
 * (the client on the other of two cores) gets the CPU back.  The nap
 * counts as idle in the load accounting.
 */
static void
idle_nap(struct tq_shard *s, uint32_t *nap_us)
{
	struct timespec ts;
	uint64_t t;

	*nap_us = *nap_us ? RTE_MIN(*nap_us * 2, s->idle_sleep_us) :
		RTE_MIN((uint32_t)TQ_IDLE_NAP0_US, s->idle_sleep_us);
	ts.tv_sec = *nap_us / 1000000;
	ts.tv_nsec = (long)(*nap_us % 1000000) * 1000;
	t = rte_rdtsc();
	nanosleep(&ts, NULL);
	s->load.cycles[TQ_LOAD_IDLE] += rte_rdtsc() - t;
}

int
tq_shard_main(void *arg)
{
	struct tq_shard *s = arg;
	unsigned int n = 0, idle = 0;
	uint32_t nap_us = 0;

	/* Naps of a few microseconds, not the default 50 us of slack. */
	if (s->idle_sleep_us)
		prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	while (!s->stop) {
		uint64_t tsc = rte_rdtsc();
		uint64_t busy = s->load.busy_polls;

		shard_poll(s, tq_clock_tsc_to_ns(tsc), tsc);
		if (s->load.busy_polls != busy) {
			idle = 0;
			nap_us = 0;
		} else if (s->idle_sleep_us && ++idle >= TQ_IDLE_SPIN_POLLS) {
			idle_nap(s, &nap_us);
		}
	}
	/* Whoever queued a command before the stop may wait for it (a
	 * telemetry thread, a listener change): run them, boundedly. */
	while (drain_commands(s) && ++n < TQ_CMD_RING)
		;
	tq_shard_flush(s);
	if (s->fault_seen)
		sync_fault_counters(s);
	return 0;
}
