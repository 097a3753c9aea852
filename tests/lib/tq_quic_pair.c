/* SPDX-License-Identifier: BSD-3-Clause */
/* See tq_quic_pair.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "tq_quic_pair.h"
#include "tq_test.h"

#define T0 UINT64_C(1000000000)

static struct tq_quic_crypto_worker *cw;
static struct tq_quic_tls_ctx *sctx, *cctx;

struct tq_quic_crypto_worker *
qp_crypto_worker(void)
{
	if (!cw)
		assert_int_equal(tq_quic_crypto_worker_new(
				TQ_QUIC_CRYPTO_AUTO, &cw), 0);
	return cw;
}

static void
make_ctxs(void)
{
	struct tq_quic_tls_conf sc = { .is_server = true };
	struct tq_quic_tls_conf cc = { .is_server = false };
	char *cert, *key;

	if (sctx)
		return;
	assert_int_equal(tq_quic_tls_self_signed("quic.test", &cert, &key),
			0);
	sc.cert_pem = cert;
	sc.key_pem = key;
	assert_int_equal(tq_quic_tls_ctx_new(&sc, &sctx), 0);
	assert_int_equal(tq_quic_tls_ctx_new(&cc, &cctx), 0);
	free(cert);
	free(key);
}

static struct tq_quic_tls_ctx *sctx_use, *cctx_use;

void
qp_set_ctxs(struct tq_quic_tls_ctx *server, struct tq_quic_tls_ctx *client)
{
	sctx_use = server;
	cctx_use = client;
}

static uint64_t
rnd(struct qp *p)
{
	/* xorshift64* */
	p->rng ^= p->rng >> 12;
	p->rng ^= p->rng << 25;
	p->rng ^= p->rng >> 27;
	return p->rng * UINT64_C(2685821657736338717);
}

static double
rndf(struct qp *p)
{
	return (double)(rnd(p) >> 11) / (double)(UINT64_C(1) << 53);
}

void
qp_init(struct qp *p, const struct qp_link *l, uint64_t seed,
		const struct tq_quic_conn_cfg *cfg,
		const struct tq_conn_ops *client_ops, void *client_udata,
		const struct tq_conn_ops *server_ops, void *server_udata)
{
	static const uint8_t scid[8] = { 0xc1, 1, 2, 3, 4, 5, 6, 7 };
	unsigned int i;

	memset(p, 0, sizeof(*p));
	qp_crypto_worker();
	make_ctxs();
	p->cw = cw;
	p->sctx = sctx_use ? sctx_use : sctx;
	p->cctx = cctx_use ? cctx_use : cctx;
	p->link = *l;
	p->rng = seed * 2654435761u + 88172645463325252ull;
	p->now = T0;
	p->capq = 16384;
	p->q = calloc(p->capq, sizeof(*p->q));
	assert_non_null(p->q);
	if (cfg)
		p->cfg = *cfg;
	p->cfg.is_server = false;
	p->cfg.tls = p->cctx;
	p->cfg.cw = cw;
	p->cfg.pool = tq_test_pool();
	p->cfg.server_name = "quic.test";
	p->cfg.scid.len = 8;
	memcpy(p->cfg.scid.id, scid, 8);
	p->cfg.dcid.len = 8;
	for (i = 0; i < 8; i++)
		p->cfg.dcid.id[i] = (uint8_t)rnd(p);
	p->ops[0] = client_ops;
	p->ops[1] = server_ops;
	p->udata[0] = client_udata;
	p->udata[1] = server_udata;
	assert_int_equal(tq_quic_conn_new(&p->cfg, p->now, &p->c[0]), 0);
	tq_conn_set_ops(tq_quic_conn_base(p->c[0]), client_ops);
	tq_conn_set_udata(tq_quic_conn_base(p->c[0]), client_udata);
}

void
qp_fini(struct qp *p)
{
	if (getenv("QP_STALLS") && p->stalls)
		fprintf(stderr, "qp: %u stalls\n", p->stalls);
	tq_quic_conn_free(p->c[0]);
	tq_quic_conn_free(p->c[1]);
	free(p->q);
	memset(p, 0, sizeof(*p));
}

void
qp_inject(struct qp *p, int to, const uint8_t *d, size_t len)
{
	struct qp_dgram *g;

	if (p->nq == p->capq || len > sizeof(g->data))
		return;
	g = &p->q[p->nq++];
	g->at = p->now + p->link.delay_ns;
	g->to = (uint8_t)to;
	g->ecn = TQ_QUIC_ECN_NOT;
	g->len = (uint16_t)len;
	memcpy(g->data, d, len);
}

static void
send_dgram(struct qp *p, int from, uint8_t *d, size_t len,
		enum tq_quic_ecn ecn)
{
	struct qp_dgram *g;
	uint64_t wait = 0;

	p->dgrams[from]++;
	if (from == 0 && (d[0] & 0xb0) == 0x80 && len < 1200)
		p->client_initial_small++; /* long header, type Initial */
	if (p->tap && !p->tap(p, from, d, &len))
		return;
	if (!p->loss_off && p->link.loss > 0 && rndf(p) < p->link.loss) {
		p->lost[from]++;
		return;
	}
	if (p->nq + 2 > p->capq)
		return; /* the link's queue is full: dropped */
	if (ecn == TQ_QUIC_ECN_ECT0)
		p->ect0[from]++;
	if (p->link.bw_bps) {
		wait = p->busy[from] > p->now ? p->busy[from] - p->now : 0;
		if (p->link.queue_ns && wait > p->link.queue_ns) {
			p->qdrops[from]++;
			return;
		}
		p->qwait_sum[from] += wait;
		p->qwait_n[from]++;
		if (wait > p->qwait_max[from])
			p->qwait_max[from] = wait;
	}
	g = &p->q[p->nq++];
	g->at = p->now + p->link.delay_ns;
	if (p->link.bw_bps) {
		uint64_t start = RTE_MAX(p->now, p->busy[from]);

		p->busy[from] = start + (uint64_t)len * 8 * 1000000000ull /
			p->link.bw_bps;
		g->at = p->busy[from] + p->link.delay_ns;
	}
	if (p->link.reorder > 0 && rndf(p) < p->link.reorder)
		g->at += (uint64_t)(rndf(p) * (double)p->link.delay_ns);
	g->to = (uint8_t)(1 - from);
	if (p->link.ecn_bleach)
		ecn = TQ_QUIC_ECN_NOT;
	else if (p->link.ce_ns && wait > p->link.ce_ns &&
			ecn != TQ_QUIC_ECN_NOT) {
		ecn = TQ_QUIC_ECN_CE;
		p->ce_marked[from]++;
	}
	g->ecn = (uint8_t)ecn;
	g->len = (uint16_t)len;
	memcpy(g->data, d, len);
	if (p->link.corrupt > 0 && rndf(p) < p->link.corrupt) {
		g->data[rnd(p) % len] ^= (uint8_t)(1 + rnd(p) % 255);
		p->corrupted[from]++;
	}
	if (p->paths && from == 0) {
		g->addr = p->caddr;
		g->port = p->cport;
	} else if (p->paths && p->c[1]) {
		tq_quic_conn_path(p->c[1], &g->addr, &g->port, NULL);
	}
	if (p->link.dup > 0 && rndf(p) < p->link.dup) {
		p->q[p->nq] = *g;
		p->q[p->nq].at += 1000;
		p->nq++;
	}
}

void
qp_pump(struct qp *p)
{
	uint8_t buf[1500];
	size_t n;
	int i;

	for (i = 0; i < 2; i++) {
		if (!p->c[i])
			continue;
		while ((n = tq_quic_conn_output(p->c[i], buf, sizeof(buf),
				p->now)) > 0) {
			if (i == 1) {
				uint64_t s, r;
				bool v;

				tq_quic_conn_amp(p->c[1], &s, &r, &v);
				if (!v && s > 3 * r)
					p->amp_violations++;
			}
			send_dgram(p, i, buf, n,
					tq_quic_conn_output_ecn(p->c[i]));
		}
	}
}

#define TOKEN_MAGIC "tq-retry-token"

/* A Retry for the client's Initial h; its token is a magic string and
 * the client's first DCID. */
static void
send_retry(struct qp *p, const struct tq_quic_hdr *h)
{
	static const uint8_t rscid[8] = { 0x7e, 1, 2, 3, 4, 5, 6, 7 };
	uint8_t tok[64], pkt[256];
	struct tq_quic_aead *a;
	struct tq_quic_wr w;
	size_t tl = sizeof(TOKEN_MAGIC) - 1;

	memcpy(tok, TOKEN_MAGIC, tl);
	memcpy(tok + tl, h->dcid, h->dcid_len);
	tl += h->dcid_len;
	p->retry_odcid.len = h->dcid_len;
	memcpy(p->retry_odcid.id, h->dcid, h->dcid_len);
	tq_quic_wr_init(&w, pkt, sizeof(pkt));
	assert_int_equal(tq_quic_hdr_write_retry(&w, TQ_QUIC_VERSION_1,
			h->scid, h->scid_len, rscid, 8, tok, tl, 0), 0);
	assert_int_equal(tq_quic_retry_aead_new(p->cw, &a), 0);
	assert_int_equal(tq_quic_retry_tag(a, p->cw, h->dcid, h->dcid_len,
			pkt, (size_t)(w.pos - pkt), w.pos), 0);
	tq_quic_aead_free(a);
	w.pos += TQ_QUIC_TAG_LEN;
	if (p->retry_bad_tag && p->retries_sent == 0)
		w.pos[-1] ^= 1;
	p->retries_sent++;
	qp_inject(p, 0, pkt, (size_t)(w.pos - pkt));
}

static void
server_new(struct qp *p, const struct qp_dgram *g)
{
	static const uint8_t sid[8] = { 0x5e, 1, 2, 3, 4, 5, 6, 7 };
	struct tq_quic_conn_cfg sc = p->cfg;
	struct tq_quic_hdr h;

	if (tq_quic_hdr_parse(g->data, g->len, 8, &h) < 0 ||
			h.type != TQ_QUIC_PKT_INITIAL || g->len < 1200)
		return;
	if (p->retry) {
		size_t ml = sizeof(TOKEN_MAGIC) - 1;

		if (h.token_len != ml + p->retry_odcid.len ||
				memcmp(h.token, TOKEN_MAGIC, ml) != 0) {
			send_retry(p, &h);
			return;
		}
		sc.retried = !p->retry_no_tp;
		sc.original_dcid = p->retry_odcid;
	}
	sc.is_server = true;
	sc.tls = p->sctx;
	sc.server_name = NULL;
	sc.scid.len = 8;
	memcpy(sc.scid.id, sid, 8);
	sc.dcid.len = h.dcid_len;
	memcpy(sc.dcid.id, h.dcid, h.dcid_len);
	sc.peer_scid.len = h.scid_len;
	memcpy(sc.peer_scid.id, h.scid, h.scid_len);
	assert_int_equal(tq_quic_conn_new(&sc, p->now, &p->c[1]), 0);
	tq_quic_conn_set_shard(p->c[1], p->shard[1]);
	if (p->paths)
		tq_quic_conn_set_addrs(p->c[1], &p->saddr, 443, &g->addr,
				g->port);
	tq_conn_set_ops(tq_quic_conn_base(p->c[1]), p->ops[1]);
	tq_conn_set_udata(tq_quic_conn_base(p->c[1]), p->udata[1]);
	if (p->on_server)
		p->on_server(p);
}

static void
deliver(struct qp *p)
{
	unsigned int i, best;

	for (;;) {
		best = p->nq;
		for (i = 0; i < p->nq; i++)
			if (p->q[i].at <= p->now &&
					(best == p->nq || p->q[i].at <
					 p->q[best].at))
				best = i;
		if (best == p->nq)
			return;
		{
			struct qp_dgram g = p->q[best];

			p->q[best] = p->q[--p->nq];
			if (g.to == 1 && !p->c[1])
				server_new(p, &g);
			if (p->paths && g.to == 1 && p->c[1])
				tq_quic_conn_set_rx_path(p->c[1], &g.addr,
						g.port);
			if (p->paths && g.to == 0 &&
					g.port == p->blackhole_port &&
					tq_addr_equal(&g.addr, &p->blackhole)) {
				p->blackholed++;
				continue;
			}
			if (p->paths && g.to == 0 && (g.port != p->cport ||
					!tq_addr_equal(&g.addr, &p->caddr))) {
				p->misrouted++;
				continue;
			}
			if (p->c[g.to])
				tq_quic_conn_input(p->c[g.to], g.data, g.len,
						(enum tq_quic_ecn)g.ecn, p->now);
		}
	}
}

uint64_t
qp_next_event(struct qp *p)
{
	uint64_t t = UINT64_MAX;
	unsigned int i;

	for (i = 0; i < p->nq; i++)
		t = RTE_MIN(t, p->q[i].at);
	for (i = 0; i < 2; i++)
		if (p->c[i])
			t = RTE_MIN(t, tq_quic_conn_next_timer(p->c[i]));
	return t;
}

void
qp_advance(struct qp *p, uint64_t t)
{
	unsigned int i;

	if (t > p->now)
		p->now = t;
	deliver(p);
	for (i = 0; i < 2; i++)
		if (p->c[i] && tq_quic_conn_next_timer(p->c[i]) <= p->now)
			tq_quic_conn_on_timer(p->c[i], p->now);
}

bool
qp_run(struct qp *p, uint64_t ns, bool (*done)(void *arg), void *arg)
{
	uint64_t end = p->now + ns, t, last = 0;
	unsigned int stuck = 0;

	for (;;) {
		if (done && done(arg))
			return true;
		qp_pump(p);
		if (done && done(arg))
			return true;
		t = qp_next_event(p);
		if (t > end) {
			p->now = end;
			return done ? done(arg) : true;
		}
		if (t < p->now)
			t = p->now;
		/* a timer that stays due without effect must not stall
		 * the clock */
		if (t == last && ++stuck > 200) {
			t += 1000;
			stuck = 0;
			p->stalls++;
		} else if (t != last) {
			stuck = 0;
		}
		last = t;
		qp_advance(p, t);
	}
}
