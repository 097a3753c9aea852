/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The QUIC connection (engine/quic/tq_quic_conn*.c, tq_quic_stream.c) on
 * attacker-chosen frames from an authenticated peer: a client and a
 * server are joined by tests/lib/tq_quic_pair.c and established, each
 * opens a stream with data in flight, then every record of the input
 * (tq_fuzz_records()) is sealed into a 1-RTT packet with one side's keys,
 * as that side would send it, and given to the other, with 20 ms of
 * simulated time after each:
 *
 *   [ctl][frames...]   ctl bit 0: the server sends it (else the client)
 *
 * Whatever comes, each side stays established or ends in closing,
 * draining or closed with its own error a transport code or a TLS
 * alert (CRYPTO_ERROR, for post-handshake CRYPTO data), never an
 * application one; both keep their invariants through the settle; every
 * mbuf is back in the pool after both are freed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "quic/tq_quic_conn_priv.h"
#include "tq_quic_pair.h"

#include "fuzz_common.h"

int tq_fuzz_quic_conn_one(const uint8_t *d, size_t n);

static struct qp fzc_pair;

static void
fzc_readable(struct tq_stream *st, void *ctx)
{
	uint8_t buf[2048];

	(void)ctx;
	while (tq_stream_read(st, buf, sizeof(buf)) > 0)
		;
}

static const struct tq_stream_ops fzc_stream_ops = {
	.readable = fzc_readable,
};

static void
fzc_new_stream(struct tq_conn *c, struct tq_stream *st, void *u)
{
	(void)c;
	(void)u;
	tq_stream_set_ops(st, &fzc_stream_ops, NULL);
}

static const struct tq_conn_ops fzc_conn_ops = {
	.new_stream = fzc_new_stream,
};

static bool
fzc_established(void *arg)
{
	struct qp *p = arg;

	return p->c[0] && p->c[1] && tq_quic_conn_confirmed(p->c[0]) &&
		tq_quic_conn_confirmed(p->c[1]);
}

/* frames[0, n) in a 1-RTT packet from side `from` to the other. */
static FZ_NO_COV void
fzc_inject(struct qp *p, int from, const uint8_t *frames, size_t n)
{
	struct tq_quic_conn *c = p->c[from];
	struct tq_quic_aead *a = tq_quic_key_set_get(&c->ks,
			TQ_QUIC_LEVEL_APP, TQ_QUIC_DIR_WRITE);
	struct tq_quic_sent s = { .ack_largest = TQ_QUIC_PN_NONE };
	uint64_t pn = c->next_pn[TQ_QUIC_SPACE_APP];
	struct tq_quic_hdr_pos pos;
	uint8_t pkt[1500];
	struct tq_quic_wr w;
	int len;

	if (!a || c->state != TQ_QUIC_CS_ESTABLISHED)
		return;
	tq_quic_wr_init(&w, pkt, sizeof(pkt) - TQ_QUIC_TAG_LEN);
	if (tq_quic_hdr_write_short(&w, pkt, c->dcid.id, c->dcid.len, false,
			c->write_phase, pn, 4, &pos) < 0 ||
			tq_quic_wr_bytes(&w, frames, n) < 0)
		return;
	len = tq_quic_packet_seal(a, c->cw, pkt, pos.pn_off, pn, n);
	FZ_CHECK(len > 0, "seal");
	/* the sender's recovery knows the packet, so the receiver's ACK
	 * of it is no violation */
	s.pn = pn;
	s.time_sent = p->now;
	s.size = (uint32_t)len;
	if (tq_quic_rec_on_sent(&c->rec, TQ_QUIC_SPACE_APP, &s) < 0)
		return;
	c->next_pn[TQ_QUIC_SPACE_APP]++;
	qp_inject(p, 1 - from, pkt, (size_t)len);
}

static FZ_NO_COV void
fzc_check(struct qp *p)
{
	uint64_t code;
	bool app, remote;
	int i;

	for (i = 0; i < 2; i++) {
		enum tq_quic_conn_state st = tq_quic_conn_state(p->c[i]);

		if (st == TQ_QUIC_CS_ESTABLISHED)
			continue;
		tq_quic_conn_close_info(p->c[i], &code, &app, &remote);
		if (!remote) {
			FZ_CHECK(!app, "side %d closed with an application "
					"code 0x%llx", i,
					(unsigned long long)code);
			/* a transport error, or TLS's on post-handshake
			 * CRYPTO data */
			FZ_CHECK((code > 0 && code <= TQ_QUIC_NO_VIABLE_PATH) ||
					(code >= TQ_QUIC_CRYPTO_ERROR &&
					 code <= 0x1ff),
					"side %d closed with 0x%llx", i,
					(unsigned long long)code);
		}
	}
}

int
tq_fuzz_quic_conn_one(const uint8_t *d, size_t n)
{
	static const struct qp_link link = { .delay_ns = 5000000 };
	static const uint8_t hello[4000];
	struct tq_fuzz_rec r[FZ_MAX_RECS];
	unsigned int nr, i, avail;
	struct qp *p = &fzc_pair;
	struct tq_stream *st;
	int err;

	nr = tq_fuzz_records(d, n, r, FZ_MAX_RECS);
	avail = tq_test_pool_avail();
	qp_init(p, &link, 1, NULL, &fzc_conn_ops, NULL, &fzc_conn_ops, NULL);
	FZ_CHECK(qp_run(p, 5000000000ull, fzc_established, p),
			"no handshake");
	for (i = 0; i < 2; i++) {
		st = tq_conn_stream_open(tq_quic_conn_base(p->c[i]), 0,
				&fzc_stream_ops, NULL, &err);
		FZ_CHECK(st != NULL, "stream open: %d", err);
		tq_stream_write(st, hello, sizeof(hello));
	}
	qp_run(p, 5000000, NULL, NULL);
	for (i = 0; i < nr; i++) {
		if (r[i].len == 0)
			continue;
		fzc_inject(p, r[i].p[0] & 1, r[i].p + 1, r[i].len - 1);
		qp_run(p, 20000000, NULL, NULL);
		fzc_check(p);
	}
	qp_run(p, 2000000000ull, NULL, NULL);
	fzc_check(p);
	qp_fini(p);
	FZ_CHECK(tq_test_pool_avail() == avail,
			"%d mbufs not back in the pool",
			(int)avail - (int)rte_mempool_avail_count(
				tq_test_pool()));
	return 0;
}

TQ_FUZZ_TARGET("fuzz_quic_conn", tq_fuzz_quic_conn_one)
