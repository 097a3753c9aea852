/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_QUIC_MODULE_PRIV_H
#define TQ_QUIC_MODULE_PRIV_H

/*
 * What the QUIC module's two files share: the module, its workers and
 * connections (tq_quic_module.c: options, workers, the server side, the
 * connection's drive; tq_quic_module_client.c: client connections and
 * the per-connection API).
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_log.h>

#include <tachyon/tq_quic.h>
#include <tachyon/tq_udp.h>

#include "core/tq_module.h"
#include "core/tq_shard.h"
#include "core/tq_timer.h"
#include "net/tq_net.h"
#include "quic/tq_quic_conn.h"
#include "quic/tq_quic_crypto.h"
#include "quic/tq_quic_lb.h"
#include "quic/tq_quic_table.h"
#include "quic/tq_quic_tls.h"
#include "quic/tq_quic_token.h"

extern int tq_quic_logtype;
#define QLOG(lvl, ...) rte_log(RTE_LOG_##lvl, tq_quic_logtype, \
		"quic: " __VA_ARGS__)

#define QM_DGRAM_MAX	1500	/* what we read and send per datagram */
#define QM_OUT_BURST	256	/* datagrams per drive before yielding */
#define QM_TX_BURST	32	/* datagrams per UDP burst */
/* Stateless resets and version negotiations per worker and second: an
 * answer to what has no connection must not become an amplifier. */
#define QM_ANSWERS_PER_SEC	100
#define QM_NONCE_LEN	8
/* Our CIDs a client may hold at once (RFC 9000 5.1.1), each in the
 * table; twice as many while a batch retires. */
#define QM_CIDS		4
/* Address validation tokens' lifetimes: a Retry token comes back one
 * RTT later; a NEW_TOKEN token is for the client's next visit. */
#define QM_RETRY_TOKEN_MS	10000
#define QM_NEW_TOKEN_MS		(24 * 3600 * 1000)
/* Stream slots per worker (tq_quic_stream_pool_new()): made at start,
 * and kept free at most once the streams open at once fall back (a
 * slot that carried a bulk download holds up to 133 KiB). */
#define QM_STREAMS_PREALLOC	64
#define QM_STREAMS_KEEP		1024

enum qm_retry {
	QM_RETRY_OFF,
	QM_RETRY_ON,
	QM_RETRY_AUTO,
};

struct qm_worker;

/* A client TLS context of one set of settings, per worker: made at the
 * first connection that asks for them, kept until detach. */
struct qm_client_tls {
	struct tq_quic_tls_ctx *tls;
	unsigned int ciphers;
	bool verify;
	char alpn[64];
	char *ca_file;
	struct qm_client_tls *next;
};

struct tq_quic_listener {
	struct tq_quic_mod *mod;
	struct tq_quic_tls_ctx *tls;
	tq_quic_accept_cb cb;
	void *arg;
	char alpn[64];
	struct tq_quic_listener *next;
};

struct qm_conn {
	struct tq_quic_conn *c;
	struct qm_worker *w;
	struct tq_timer timer;
	struct tq_quic_cid scid;	/* ours */
	struct tq_quic_cid ocid;	/* the client's first DCID */
	struct tq_addr local, peer;
	uint16_t lport, pport;
	bool confirmed;
	bool client;
	/* the peer's stateless reset token entered in the worker's rtab */
	bool has_rtok;
	struct tq_quic_cid rtok;
	struct tq_quic_conn_stats seen;	/* already in the counters */
	struct qm_conn *next, **pprev;
};

struct qm_worker {
	struct tq_shard *s;
	struct tq_quic_mod *mod;
	struct tq_quic_crypto_worker *cw;
	struct tq_quic_token_key *tok;
	struct tq_quic_aead *retry_aead;	/* Retry integrity tags */
	/* client Initials without a valid token: this second's and the
	 * last one's, for --quic-retry auto */
	uint64_t hs_ts;
	uint32_t hs_cur, hs_prev;
	struct tq_quic_table table;
	struct tq_quic_stream_pool *spool;	/* its connections' streams */
	/* connections by the peer's stateless reset token (RFC 9000
	 * 10.3.1: a reset carries no DCID we know) */
	struct tq_quic_table rtab;
	uint32_t nb_conns;
	struct qm_conn *conns;
	/* answers to what has no connection: a token bucket */
	uint64_t answer_ts;
	uint32_t answer_tokens;
	/* client side: TLS contexts by settings, the next port to try */
	struct qm_client_tls *ctls;
	uint16_t cport_next;
	uint8_t buf[QM_DGRAM_MAX];	/* a stateless answer */
	struct tq_udp_tx tx[QM_TX_BURST];	/* connections' output */
	/* the mbuf a drive took and found nothing to put in: the next
	 * drive's, rather than a free and an allocation per drive */
	struct rte_mbuf *spare;
	uint8_t rxbuf[QM_DGRAM_MAX];	/* a chained datagram, flattened */
};

struct tq_quic_mod {
	/* options */
	char *cert_file, *key_file;
	char *secret_file;	/* --quic-secret */
	uint32_t idle_ms;
	uint32_t keepalive_ms;	/* --quic-keepalive-ms, 0: off */
	uint32_t max_conns;	/* per worker */
	struct tq_quic_lb_conf lb;
	enum tq_quic_crypto_backend crypto;
	uint16_t cport_lo, cport_hi;	/* client ports; 0: none */
	const struct tq_cc_ops *cc;	/* NULL: NewReno */
	bool no_ecn;		/* do not mark ECT(0) */
	bool no_pmtud;		/* stay at 1200-byte datagrams */
	bool early;		/* --quic-0rtt */
	char *qlog_dir;		/* --qlog-dir */
	uint32_t early_window_ms;
	enum qm_retry retry;
	uint32_t retry_threshold;	/* auto: Initials/s per worker */
	/* receive windows we advertise first; 0: the connection's own */
	uint64_t max_stream_data, max_data;
	/* settled in finish */
	char *cert_pem, *key_pem;	/* self-signed without --quic-cert */
	uint8_t secret[TQ_QUIC_TOKEN_SECRET_LEN];
	uint8_t ticket_key[TQ_QUIC_TICKET_KEY_LEN];
	bool have_secret;	/* secret and ticket_key from --quic-secret */
	uint8_t cid_len;
	struct tq_quic_listener *listeners;
	struct qm_worker *w[TQ_MAX_WORKERS];
};

extern const struct tq_module tq_quic_module;

/* tq_quic_module.c */
/* Run the connection: send what it has, re-arm its timer, account. */
void tq_qm_drive(struct qm_conn *q);
/* A datagram no connection took: a stateless reset for one of ours? */
bool tq_qm_reset_rx(struct qm_worker *w, const uint8_t *p, size_t len);
/* Hand a datagram to the worker that owns its connection. */
void tq_qm_steer(struct tq_shard *s, struct rte_mbuf *m, unsigned int owner);
void tq_qm_kick(void *arg);
void tq_qm_on_timer(struct tq_timer *t, void *arg);
/* A datagram's bytes in one piece (len of them, at most QM_DGRAM_MAX). */
const uint8_t *tq_qm_dgram_bytes(struct qm_worker *w, struct rte_mbuf *m,
		size_t len);
/* A datagram (its bytes p: tq_qm_dgram_bytes()) into q, then a drive. */
void tq_qm_input(struct tq_shard *s, struct qm_conn *q,
		struct tq_udp_dgram *d, const uint8_t *p, size_t len);
/* What a connection takes from the module's options and the worker,
 * for either role: the rest is the caller's. */
void tq_qm_conn_cfg(struct qm_worker *w, const struct tq_addr *peer,
		struct tq_quic_conn_cfg *cfg);

/* tq_quic_module_client.c */
void tq_qm_client_rx(struct tq_shard *s, struct tq_udp_dgram *d, void *arg);
void tq_qm_client_tls_free(struct qm_worker *w);

#endif
