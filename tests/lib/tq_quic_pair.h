/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_QUIC_PAIR_H
#define TQ_QUIC_PAIR_H

/*
 * Two QUIC connections (engine/quic/tq_quic_conn.h), client and
 * server, joined by a simulated link on a fake clock: delay, loss and
 * reordering drawn from a seed.  The server connection is made from the
 * client's first Initial, as the module will.  For test_quic_conn and
 * the conformance fixture cf_quic.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quic/tq_quic_conn.h"

struct qp_link {
	uint64_t delay_ns;	/* one way */
	double loss;		/* per datagram, each way */
	double reorder;		/* share delayed by up to another delay */
	double dup;		/* share delivered twice */
	uint64_t bw_bps;	/* 0: no serialization */
	/* drop-tail: a datagram that would wait longer than this behind
	 * the ones being serialized is dropped (0: no limit) */
	uint64_t queue_ns;
	double corrupt;		/* share with one byte flipped */
	/* ECN: an ECT datagram that waits longer than ce_ns is marked CE
	 * (an AQM's marking; 0: never); ecn_bleach clears every mark */
	uint64_t ce_ns;
	bool ecn_bleach;
};

struct qp_dgram {
	uint64_t at;
	uint8_t to;
	uint8_t ecn;		/* enum tq_quic_ecn */
	uint16_t len;
	/* with paths: the client's source (to the server) or the
	 * server's destination (to the client) */
	struct tq_addr addr;
	uint16_t port;
	uint8_t data[1500];
};

struct qp {
	struct tq_quic_crypto_worker *cw;
	struct tq_quic_tls_ctx *sctx, *cctx;
	struct tq_quic_conn_cfg cfg;	/* the client's; the server's alike */
	struct tq_quic_conn *c[2];	/* client, server */
	const struct tq_conn_ops *ops[2];
	void *udata[2];
	struct qp_link link;
	uint64_t rng;
	uint64_t now;
	struct qp_dgram *q;
	unsigned int nq, capq;
	/* what the checks saw */
	unsigned int client_initial_small; /* Initial datagrams < 1200 */
	unsigned int amp_violations;	/* server past 3x */
	uint64_t dgrams[2];		/* sent by each side */
	uint64_t lost[2];
	/* times a connection's timer stayed due after on_timer and output
	 * (a module's timer wheel would spin on it) */
	unsigned int stalls;
	/* a test's hook on every datagram sent (from 0/1); false drops */
	bool (*tap)(struct qp *p, int from, uint8_t *d, size_t *len);
	bool loss_off;			/* until the handshake is done */
	uint64_t busy[2];		/* the link's serialization, per way */
	/* the bottleneck queue, per way: drops and the wait seen */
	uint64_t qdrops[2], corrupted[2];
	uint64_t qwait_max[2], qwait_sum[2], qwait_n[2];
	uint64_t ect0[2], ce_marked[2];	/* datagrams sent ECT(0), CE'd */
	struct tq_shard *shard[2];	/* given to the connections */
	/* called once the server connection exists, before its first
	 * datagram goes in */
	void (*on_server)(struct qp *p);
	/* the "module" answers the first Initial with a Retry (its tag
	 * spoiled first if retry_bad_tag), and makes the server from the
	 * Initial that brings its token back */
	bool retry, retry_bad_tag, retry_no_tp;
	unsigned int retries_sent;
	struct tq_quic_cid retry_odcid;
	/* paths (set before qp_init's first run, or at any time after):
	 * the server sees the client's datagrams come from caddr:cport
	 * (change them to move the client), and the client gets only the
	 * server's datagrams sent there (others: misrouted); the server's
	 * to the blackhole address are lost */
	bool paths;
	struct tq_addr saddr, caddr, blackhole;
	uint16_t cport, blackhole_port;
	unsigned int misrouted, blackholed;
};

/* cfg: overrides of the defaults for both sides (may be NULL). */
void qp_init(struct qp *p, const struct qp_link *l, uint64_t seed,
		const struct tq_quic_conn_cfg *cfg,
		const struct tq_conn_ops *client_ops, void *client_udata,
		const struct tq_conn_ops *server_ops, void *server_udata);
void qp_fini(struct qp *p);
/* The TLS contexts later qp_init() calls use (a test's own, e.g. with
 * tickets or 0-RTT); NULL, NULL: the harness's again. */
void qp_set_ctxs(struct tq_quic_tls_ctx *server,
		struct tq_quic_tls_ctx *client);
/* Run up to ns of simulated time, or until done(arg). */
bool qp_run(struct qp *p, uint64_t ns, bool (*done)(void *arg), void *arg);
/* The pieces of qp_run, for a caller running several pairs on one
 * clock: send what both sides have, when the next event is, and move
 * the clock to t (t >= now), delivering and running timers. */
void qp_pump(struct qp *p);
uint64_t qp_next_event(struct qp *p);
void qp_advance(struct qp *p, uint64_t t);
/* Put a datagram toward side `to` after the link's delay. */
void qp_inject(struct qp *p, int to, const uint8_t *d, size_t len);
struct tq_quic_crypto_worker *qp_crypto_worker(void);

#endif
