/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --mode udp: each worker sends its share of --rate datagrams (open
 * loop) from a port of its own and counts the echoes.  An echo may come
 * back on any worker (wherever its flow hashes), so each datagram
 * carries its intended send time: the worker that receives the echo
 * measures the latency alone, on the clock all workers share.  What was
 * sent in the measured window and never came back is counted as
 * timeout at the end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include <tachyon/tq_udp.h>

#include "gen.h"

#define GEN_UDP_MAGIC 0x74716731u	/* "tqg1" */
#define UDP_BURST_MAX 256		/* sends per timer call */

struct gen_udp_hdr {
	uint32_t magic;
	uint32_t worker;
	uint64_t intended;
	uint64_t seq;
};

static bool
in_window(const struct gen *g, uint64_t t)
{
	uint64_t lo = g->start_ns + g->warmup_s * 1000000000ull;

	return t >= lo && t < lo + g->duration_s * 1000000000ull;
}

static void
udp_rx(struct tq_shard *s, struct tq_udp_dgram *d, void *arg)
{
	const struct gen *g = arg;
	struct gen_worker *w = tq_shard_app_ctx(s);
	struct gen_udp_hdr h;
	const struct gen_udp_hdr *hp;
	uint64_t lat;

	if (!w || w->phase == GP_DONE ||
			__atomic_load_n(&g->stopping, __ATOMIC_RELAXED))
		goto out;
	gen_count_bytes(w, d->m->pkt_len, 0);
	hp = rte_pktmbuf_read(d->m, 0, sizeof(h), &h);
	/* The payload sits after the headers, unaligned: copy it out. */
	if (hp && hp != &h)
		memcpy(&h, hp, sizeof(h));
	if (!hp || d->m->pkt_len != g->size || h.magic != GEN_UDP_MAGIC) {
		gen_count_err(w, GEN_E_PARSE);
		goto out;
	}
	lat = gen_latency(h.intended, tq_shard_now(s));
	if (w->phase <= GP_MEASURE) {
		w->sec.requests++;
		gen_hist_record(w->lat_sec, lat);
	}
	if (in_window(g, h.intended)) {
		w->tot.requests++;
		gen_hist_record(w->lat, lat);
		tq_app_counter_add(s, (unsigned int)g->ctr_requests, 1);
		tq_app_hist_observe(s, (unsigned int)g->hist_latency, lat);
	}
out:
	rte_pktmbuf_free(d->m);
}

/* Send what is due; a sender that fell behind catches up in bursts. */
static void
udp_send(struct tq_shard *s, struct tq_app_timer *t, void *arg)
{
	struct gen_worker *w = arg;
	const struct gen *g = w->g;
	struct gen_udp_hdr *h = (struct gen_udp_hdr *)w->udp_buf;
	uint64_t now = tq_shard_now(s), due;
	const struct gen_url *u;
	unsigned int n;
	int ret;

	if (__atomic_load_n(&g->stopping, __ATOMIC_RELAXED) ||
			w->phase >= GP_DRAIN)
		return;
	for (n = 0; n < UDP_BURST_MAX; n++) {
		due = gen_sched_peek(&w->udp);
		if (due > now)
			break;
		h->seq = w->udp.first + w->udp.next * w->udp.stride;
		h->intended = gen_sched_take(&w->udp);
		u = &g->url[h->seq % g->nurl];
		ret = tq_udp_sendto(s, NULL, (uint16_t)(g->udp_port + w->id),
				&u->addr, u->port, w->udp_buf, g->size);
		if (ret == -EHOSTUNREACH) {
			gen_count_err(w, GEN_E_UNREACHABLE);
			continue;
		}
		if (ret < 0)
			continue;	/* no mbuf: lost here, not sent */
		/* The totals go by the intended time, as the echoes do: the
		 * phase may still say warmup when the first datagram of the
		 * window is sent. */
		if (w->phase <= GP_MEASURE)
			w->sec.bytes_tx += g->size;
		if (in_window(g, h->intended)) {
			w->tot.bytes_tx += g->size;
			w->udp_sent++;
		}
	}
	due = gen_sched_peek(&w->udp);
	tq_app_timer_arm(t, due > now ? due - now : 0);
}

int
gen_udp_bind(struct gen *g)
{
	unsigned int i;
	int ret;

	for (i = 0; i < g->nworkers; i++) {
		ret = tq_udp_bind(g->e, NULL, (uint16_t)(g->udp_port + i),
				udp_rx, g);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int
gen_udp_start(struct gen_worker *w)
{
	const struct gen *g = w->g;
	struct gen_udp_hdr *h;
	uint64_t now = tq_shard_now(w->s);

	w->udp_buf = malloc(g->size);
	w->udp_t = tq_app_timer_create(w->s, udp_send, w);
	if (!w->udp_buf || !w->udp_t)
		return -ENOMEM;
	memcpy(w->udp_buf, g->payload, g->size);
	h = (struct gen_udp_hdr *)w->udp_buf;
	h->magic = GEN_UDP_MAGIC;
	h->worker = w->id;
	/* Worker w of n sends datagrams w, w + n, ... of the run's. */
	gen_sched_init(&w->udp, g->start_ns, g->rate_milli, w->id,
			g->nworkers);
	tq_app_timer_arm(w->udp_t, g->start_ns > now ? g->start_ns - now : 0);
	return 0;
}

void
gen_udp_free(struct gen_worker *w)
{
	tq_app_timer_free(w->udp_t);
	free(w->udp_buf);
	w->udp_t = NULL;
	w->udp_buf = NULL;
}
