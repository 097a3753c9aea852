/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_QUIC_CONN_H
#define TQ_QUIC_CONN_H

/*
 * One QUIC connection, I/O-free and clock-free (docs/quic.md, Connection
 * layer): the caller feeds datagrams with the time, takes datagrams to
 * send and runs the timer.  The module (later) adds UDP, the CID table
 * and the worker's timer wheel; the unit tests join two in memory.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include <tachyon/tq_addr.h>

#include "core/tq_stream_impl.h"
#include "quic/tq_quic_ack.h"
#include "quic/tq_quic_fc.h"
#include "quic/tq_quic_recovery.h"
#include "quic/tq_quic_rxbuf.h"
#include "quic/tq_quic_tls.h"
#include "quic/tq_quic_wire.h"

struct tq_quic_conn;

struct tq_quic_conn_cfg {
	bool is_server;
	struct tq_quic_tls_ctx *tls;
	struct tq_quic_crypto_worker *cw;
	/* RX copies of byte input, indirect mbufs of read_mbuf */
	struct rte_mempool *pool;
	/* the streams' memory, shared by the connections of one thread
	 * (tq_quic_stream_pool_new()); NULL: the connection keeps its own */
	struct tq_quic_stream_pool *spool;
	const char *server_name;	/* client: SNI */
	struct tq_quic_cid scid;	/* ours */
	/* client: the first DCID (random, >= 8 bytes); server: the DCID
	 * of the client's first Initial (original DCID) */
	struct tq_quic_cid dcid;
	struct tq_quic_cid peer_scid;	/* server: the client's SCID */
	/* server after a Retry (the module checked the client's token):
	 * .dcid is the Retry's SCID, original_dcid the client's first
	 * DCID (from the token); the address counts as validated */
	bool retried;
	struct tq_quic_cid original_dcid;
	/* server: a NEW_TOKEN token in the client's Initial validated its
	 * address (RFC 9000 8.1.3): no amplification limit, no Retry IDs */
	bool addr_validated;
	/* server: a token for the client's next connection, sent in a
	 * NEW_TOKEN frame once the handshake is confirmed (8.1.3);
	 * client: a NEW_TOKEN token of an earlier connection to this
	 * server, sent in our Initials.  Copied. */
	const uint8_t *token;
	size_t token_len;
	/* server: the stateless reset token of .scid (RFC 9000 10.3),
	 * sent in our transport parameters */
	bool has_reset_token;
	uint8_t reset_token[16];
	/* our transport parameters; 0: the defaults below */
	uint64_t idle_timeout_ms;	/* 30000 */
	uint64_t max_data;		/* 1.5 x max_stream_data */
	uint64_t max_stream_data;	/* 256 KiB, grows to 16 x */
	uint64_t max_streams_bidi;	/* 100 */
	uint64_t max_streams_uni;	/* 100 */
	uint32_t sndbuf;		/* per stream, 256 KiB */
	/* a stream's send buffer doubles up to this when the app had more
	 * than it held and all of it was out (the peer acknowledging a
	 * buffer per round trip would cap it at sndbuf / RTT); 0: 4 MiB
	 * (16 x the default) when sndbuf is 0, else sndbuf (no growth) */
	uint32_t sndbuf_max;
	/* what the connection's streams may grow by together (bytes above
	 * their sndbuf, summed): a peer reading many streams slowly holds
	 * at most this much more; 0: 2 x sndbuf_max */
	uint32_t sndbuf_grow_total;
	uint32_t max_dgram;		/* datagrams we send, 1200 */
	/* the largest UDP payload the local path carries: after the
	 * handshake, a probe of that size (capped by the peer's
	 * max_udp_payload_size) raises max_dgram when acknowledged
	 * (DPLPMTUD, RFC 9000 14.3, RFC 8899); 0: no search */
	uint32_t max_dgram_probe;
	/* sent packets tracked (in flight and not yet settled), split
	 * over the spaces as recovery does; 1024 */
	uint32_t max_packets;
	const struct tq_cc_ops *cc;	/* NULL: NewReno */
	/* mark our datagrams ECT(0) and validate the path's ECN (RFC 9000
	 * 13.4): tq_quic_conn_output_ecn() says how to send each */
	bool ecn;
	/* client: resume the session of an earlier connection to the same
	 * server (the bytes of tq_quic_conn_session(), copied).  With a
	 * TLS context made with early_data, 0-RTT is offered: streams
	 * opened and written before the handshake completes go in 0-RTT
	 * packets, within the limits of the server's remembered transport
	 * parameters (RFC 9000 7.4.1), and are sent again in 1-RTT if the
	 * server refuses them (RFC 9001 4.6.2).  Bytes that do not parse
	 * mean a full handshake. */
	const uint8_t *session;
	size_t session_len;
	/* our CIDs the peer may hold at once (with cid ops), at most
	 * the peer's active_connection_id_limit; 0: 8 */
	uint8_t max_cids;
	/* RFC 9001 6.6, 0: the cipher's.  Packets sealed with one 1-RTT
	 * key (a key update is started at three quarters; the connection
	 * closes with AEAD_LIMIT_REACHED if none could be by the limit),
	 * and packets failing authentication in the connection (closes
	 * with AEAD_LIMIT_REACHED): 2^23 and 2^52 for AES-GCM, none and
	 * 2^36 for ChaCha20-Poly1305.  Set lower for tests. */
	uint64_t aead_conf_limit;
	uint64_t aead_integ_limit;
	/* RFC 9000 10.1.2: a PING once no ack-eliciting packet went out
	 * for this long (0: never), so that a peer gone quiet (or dead)
	 * is probed by the loss timers rather than waited out to the
	 * idle timeout, and NAT bindings stay up */
	uint32_t keepalive_ms;
};

enum tq_quic_conn_state {
	TQ_QUIC_CS_HANDSHAKE,
	TQ_QUIC_CS_ESTABLISHED,
	TQ_QUIC_CS_CLOSING,	/* we sent CONNECTION_CLOSE */
	TQ_QUIC_CS_DRAINING,	/* the peer did */
	TQ_QUIC_CS_CLOSED,	/* free it */
};

/* Per connection; the module sums them into the engine counters. */
struct tq_quic_conn_stats {
	uint64_t dgrams_in, dgrams_out;
	uint64_t bytes_in, bytes_out;
	uint64_t pkts_in, pkts_out;
	uint64_t drop_nokey;	/* no keys for the level (yet, any more) */
	uint64_t drop_decrypt;	/* did not open */
	uint64_t drop_dup;	/* duplicate packet number */
	uint64_t drop_cid;	/* not our DCID */
	uint64_t drop_unsupported; /* 0-RTT to a client, Retry, VN, bad
				    * header */
	uint64_t proto_err;	/* connection errors we detected */
	uint64_t stream_frames_in, stream_bytes_in;
	uint64_t retransmits;	/* packets whose frames were resent */
	uint64_t sndbuf_grows;	/* stream send buffers doubled */
	uint64_t sndbuf_capped;	/* a doubling the connection's budget
				 * (sndbuf_grow_total) refused */
	uint64_t amp_blocked;	/* output stopped by the 3x limit */
	/* datagrams with PATH_CHALLENGE/RESPONSE under 1200 bytes: the 3x
	 * limit of an unvalidated path (RFC 9000 8.2.1) */
	uint64_t path_small;
	/* PMTU probes sent; acknowledged ones (max_dgram raised) */
	uint64_t pmtu_probes;
	uint64_t pmtu_raised;
	uint64_t streams_opened, streams_refused;
	uint64_t blocked_sent;	/* *_BLOCKED frames */
	uint64_t key_updates;	/* read key generations moved to */
	/* key updates we started at the confidentiality limit; packets
	 * that failed authentication (under Handshake or 1-RTT keys) */
	uint64_t aead_limit_updates;
	uint64_t auth_fails;
	uint64_t retries;	/* client: Retry packets taken */
	/* ECN (RFC 9000 13.4), recovery's figures as of the last output:
	 * congestion events from CE counts, validation failed (0 or 1) */
	uint64_t ecn_ce, ecn_failed;
	uint64_t resumed;	/* the handshake resumed a session: 0 or 1 */
	uint64_t early_accepted; /* 0-RTT offered and taken: 0 or 1 */
	uint64_t early_rejected; /* 0-RTT offered (client) or seen (server)
				  * and refused: 0 or 1 */
	uint64_t early_pkts;	/* 0-RTT packets sent (client), opened
				 * (server) */
	uint64_t new_tokens;	/* NEW_TOKEN frames sent (server), kept (client) */
	uint64_t cids_issued;	/* NEW_CONNECTION_ID made (not resends) */
	uint64_t cids_retired;	/* of ours, retired by the peer */
	uint64_t migrations;	/* server: the client's address changed */
	uint64_t path_challenges; /* PATH_CHALLENGE rounds started */
	uint64_t path_failed;	/* paths not validated: back to the old */
	uint64_t stateless_resets; /* ended by the peer's stateless reset
				    * (RFC 9000 10.3.1): 0 or 1 */
};

/*
 * Stream memory: a stream, its send units and its receive descriptors
 * (some 133 KiB, mostly untouched) in one slot, kept on a free list
 * when its stream ends, so that a peer opening streams costs no
 * allocation and no zeroing in steady state (a new slot only when more
 * streams are open at once than ever before).  One thread's.
 * prealloc: slots made at once; keep: free slots kept at most (more are
 * given back to the heap).  0, -ENOMEM.
 */
struct tq_quic_stream_pool;
int tq_quic_stream_pool_new(uint32_t prealloc, uint32_t keep,
		struct tq_quic_stream_pool **out);
/* The connections using it are freed first.  NULL is fine. */
void tq_quic_stream_pool_free(struct tq_quic_stream_pool *p);
struct tq_quic_stream_pool_stats {
	uint64_t made;		/* slots allocated, ever */
	uint64_t taken;		/* streams given a slot, ever */
	uint64_t rings_reused;	/* send rings a stream took from its slot */
	uint32_t in_use, free;
	uint32_t rings;		/* send rings kept on slots now */
};
void tq_quic_stream_pool_stats(const struct tq_quic_stream_pool *p,
		struct tq_quic_stream_pool_stats *st);

/* 0, -EINVAL, -ENOMEM, -EIO.  A client has its ClientHello queued. */
int tq_quic_conn_new(const struct tq_quic_conn_cfg *cfg, uint64_t now,
		struct tq_quic_conn **out);
void tq_quic_conn_free(struct tq_quic_conn *c);

/*
 * A received datagram.  Bytes are copied into an mbuf of cfg->pool (so
 * STREAM data stays zero-copy from there up); an mbuf is consumed.
 * Returns 0, or -ENOMEM (no mbuf: dropped).  Errors in the datagram
 * close the connection; they are not returned.
 */
int tq_quic_conn_input(struct tq_quic_conn *c, const uint8_t *dgram,
		size_t len, enum tq_quic_ecn ecn, uint64_t now);
int tq_quic_conn_input_mbuf(struct tq_quic_conn *c, struct rte_mbuf *m,
		enum tq_quic_ecn ecn, uint64_t now);
/* One datagram to send into buf (cap >= 1200); 0: nothing now. */
size_t tq_quic_conn_output(struct tq_quic_conn *c, uint8_t *buf, size_t cap,
		uint64_t now);
/* The ECN codepoint for the datagram tq_quic_conn_output() last wrote:
 * TQ_QUIC_ECN_ECT0 while the path's ECN is tested or validated. */
enum tq_quic_ecn tq_quic_conn_output_ecn(const struct tq_quic_conn *c);
/* When on_timer must run; UINT64_MAX: no timer. */
uint64_t tq_quic_conn_next_timer(const struct tq_quic_conn *c);
void tq_quic_conn_on_timer(struct tq_quic_conn *c, uint64_t now);

struct tq_conn *tq_quic_conn_base(struct tq_quic_conn *c);
/* The worker that owns it (tq_conn_shard()); the module sets it. */
void tq_quic_conn_set_shard(struct tq_quic_conn *c, struct tq_shard *s);
/*
 * fn(arg) on every app call that may make output (stream writes, reads
 * that open flow control, shutdowns, closes, opens, ping): the caller,
 * which drives output after its own calls, then drives it after the
 * app's too.  fn must not call into the connection.  NULL: none.
 */
void tq_quic_conn_set_kick(struct tq_quic_conn *c, void (*fn)(void *arg),
		void *arg);
/* The path's addresses (host byte order ports), for tq_conn_info(). */
void tq_quic_conn_set_addrs(struct tq_quic_conn *c, const struct tq_addr *laddr,
		uint16_t lport, const struct tq_addr *raddr, uint16_t rport);
enum tq_quic_conn_state tq_quic_conn_state(const struct tq_quic_conn *c);
bool tq_quic_conn_done(const struct tq_quic_conn *c);
bool tq_quic_conn_confirmed(const struct tq_quic_conn *c);
const struct tq_quic_conn_stats *
tq_quic_conn_stats(const struct tq_quic_conn *c);
/*
 * Stateless resets (RFC 9000 10.3.1).  The token a reset from the peer
 * would end with: of the peer's CID in use, if it gave one; false
 * without one or once the connection drains (nothing to detect then).
 * The module finds a connection by it for a datagram whose DCID it does
 * not know; tq_quic_conn_stateless_reset() then checks the datagram
 * (any datagram a connection cannot open is checked by
 * tq_quic_conn_input() itself): true if it was one, the connection then
 * draining and the app told (TQ_CLOSE_RESET).
 */
bool tq_quic_conn_peer_reset_token(const struct tq_quic_conn *c,
		uint8_t out[TQ_QUIC_RESET_TOKEN_LEN]);
bool tq_quic_conn_stateless_reset(struct tq_quic_conn *c, const uint8_t *d,
		size_t len, uint64_t now);
/* Why it closed: the code, whether the application's, who sent it. */
void tq_quic_conn_close_info(const struct tq_quic_conn *c, uint64_t *code,
		bool *app, bool *remote);
/* RFC 9001 6: start a key update (our write keys move on; the read
 * keys follow when the peer answers).  0, -EBUSY (not confirmed, or
 * the last one not answered yet), -ENOMEM, -EIO. */
int tq_quic_conn_key_update(struct tq_quic_conn *c);
/* Send a PING in a 1-RTT packet (keepalive; it makes the peer
 * answer).  0, -ENOTCONN before the handshake completes. */
int tq_quic_conn_ping(struct tq_quic_conn *c);
/* Close with a transport error (tests, the module). */
void tq_quic_conn_error(struct tq_quic_conn *c, enum tq_quic_err e,
		uint64_t frame_type);
/* Whether keys of a level are still held (either direction). */
bool tq_quic_conn_has_keys(const struct tq_quic_conn *c,
		enum tq_quic_level level);
/* The key set (tests build packets with the peer's keys). */
struct tq_quic_key_set *tq_quic_conn_keys(struct tq_quic_conn *c);
/* Bytes the server sent and received before address validation. */
void tq_quic_conn_amp(const struct tq_quic_conn *c, uint64_t *sent,
		uint64_t *received, bool *validated);
/* The TLS session (ALPN, suite, the peer's transport parameters). */
struct tq_quic_tls *tq_quic_conn_tls(struct tq_quic_conn *c);
/*
 * Client: what a later connection to the same server resumes with
 * (cfg.session): the TLS session with the server's ticket and the
 * server's transport parameters, malloc()ed into *out.  0, -EAGAIN (no
 * ticket yet: the server sends it after the handshake), -ENOMEM,
 * -EINVAL (a server).
 */
int tq_quic_conn_session(struct tq_quic_conn *c, uint8_t **out, size_t *len);
/*
 * qlog (docs/observability.md): a file DIR/<original DCID>_<role>.sqlog
 * with this connection's events from now to its free.  Call it right
 * after tq_quic_conn_new() (a client: before its first output).  0,
 * -EBUSY (one already), or what opening the file gave.
 */
int tq_quic_conn_set_qlog(struct tq_quic_conn *c, const char *dir);
/* The handshake resumed a session (known once complete). */
bool tq_quic_conn_resumed(const struct tq_quic_conn *c);

/*
 * Our connection IDs past the handshake's (RFC 9000 5.1): the module
 * makes each (its length cfg.scid's, routable to its worker) with its
 * stateless reset token and enters it in its table; it is told when
 * the peer retires one.  Without ops the connection issues none.
 */
struct tq_quic_conn_cid_ops {
	/* 0, or negative: none now */
	int (*make)(void *arg, struct tq_quic_cid *cid, uint8_t token[16]);
	/* a CID of ours the peer retired: not ours any more */
	void (*retired)(void *arg, const struct tq_quic_cid *cid);
};
void tq_quic_conn_set_cid_ops(struct tq_quic_conn *c,
		const struct tq_quic_conn_cid_ops *ops, void *arg);
/* Our CIDs the peer may still use, i from 0; false past the last (the
 * module takes them out of its table when the connection ends). */
bool tq_quic_conn_local_cid(const struct tq_quic_conn *c, unsigned int i,
		struct tq_quic_cid *out);
/* Ask the peer to retire every CID of ours issued so far (new ones go
 * with Retire Prior To past them).  0, -ENOTCONN before confirmation,
 * -ENOTSUP without cid ops. */
int tq_quic_conn_retire_cids(struct tq_quic_conn *c);
/* Send to the next unused CID of the peer's and retire the one in use
 * (RFC 9000 9.5: a client moving to a new path).  0, -ENOENT (none
 * spare). */
int tq_quic_conn_rotate_dcid(struct tq_quic_conn *c);
/* How many unused CIDs the peer gave us. */
unsigned int tq_quic_conn_spare_dcids(const struct tq_quic_conn *c);

/*
 * Server paths (RFC 9000 9): where the next datagram given to input
 * came from (every time: the connection compares it with the path in
 * use), and where to send now (it moves when the client's address
 * changes, and back if the new path fails validation); validating:
 * the path in use is not validated yet.
 */
void tq_quic_conn_set_rx_path(struct tq_quic_conn *c,
		const struct tq_addr *raddr, uint16_t rport);
void tq_quic_conn_path(const struct tq_quic_conn *c, struct tq_addr *raddr,
		uint16_t *rport, bool *validating);

/* Client: the last NEW_TOKEN token the server gave (for a later
 * connection's cfg.token), NULL if none; *len its length. */
const uint8_t *tq_quic_conn_new_token(const struct tq_quic_conn *c,
		size_t *len);
/* The peer's CID we send to. */
const struct tq_quic_cid *tq_quic_conn_dcid(const struct tq_quic_conn *c);

#endif
