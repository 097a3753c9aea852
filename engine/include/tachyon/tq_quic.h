/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_QUIC_H
#define TQ_QUIC_H

/**
 * @file
 * QUIC on the engine's workers (docs/quic.md, The module): a server
 * listens on a UDP port of every worker; each connection is a
 * struct tq_conn of many streams (tq_stream.h), owned by the worker its
 * datagrams arrive on, with its callbacks run there.
 */

#include <stdbool.h>
#include <stdint.h>

#include <tachyon/tachyon.h>
#include <tachyon/tq_addr.h>
#include <tachyon/tq_stream.h>

/**
 * A new server connection, on its worker, before its handshake has
 * gone further than the client's first Initial: set its ops
 * (tq_conn_set_ops(): new_stream, established, closed) here.
 */
typedef void (*tq_quic_accept_cb)(struct tq_shard *s, struct tq_conn *c,
		void *arg);

/**
 * Serve QUIC on addr:port (addr NULL or unspecified: every address of
 * the family; NULL: IPv4 and IPv6) on every worker, negotiating alpn
 * ("h3" when NULL).  Like tq_udp_bind(): before tq_engine_run(), or
 * while the workers run (not from a worker).
 * @return 0, -EADDRINUSE, -EINVAL, -ENOMEM, -ENOENT/-EBADMSG (the
 *   certificate or key of --quic-cert/--quic-key), or tq_udp_bind()'s
 *   errors.
 */
int tq_quic_listen(struct tq_engine *e, const struct tq_addr *addr,
		uint16_t port, const char *alpn, tq_quic_accept_cb cb,
		void *arg);

/** @name Cipher suites (struct tq_quic_client_conf.ciphers)
 * @{ */
#define TQ_QUIC_CIPHER_AES_128_GCM	(1u << 0) /**< TLS_AES_128_GCM_SHA256 */
#define TQ_QUIC_CIPHER_AES_256_GCM	(1u << 1) /**< TLS_AES_256_GCM_SHA384 */
#define TQ_QUIC_CIPHER_CHACHA20	(1u << 2) /**< TLS_CHACHA20_POLY1305_SHA256 */
/** @} */

/** How a client connection talks to its server (tq_quic_connect()). */
struct tq_quic_client_conf {
	/** SNI, and the name checked against the certificate when
	 * verifying; NULL: none sent (an IP address is checked, not
	 * sent). */
	const char *server_name;
	/** The ALPN protocol offered; NULL: "h3". */
	const char *alpn;
	/** TQ_QUIC_CIPHER_* offered; 0: all three. */
	unsigned int ciphers;
	/** Check the server's certificate and name, against ca_file (PEM)
	 * or, without one, the system's trust store.  Off: anything is
	 * taken (load generators, tests). */
	bool verify;
	const char *ca_file;
	/** Resume (docs/quic.md, Resumption and 0-RTT): the bytes of
	 * tq_quic_session() of an earlier connection to the same server
	 * (copied).  0-RTT is offered: streams opened and written before
	 * established() go in 0-RTT packets, and again in 1-RTT if the
	 * server refuses them.  NULL: a full handshake; bytes that do not
	 * parse: the same. */
	const uint8_t *session;
	size_t session_len;
	/** A NEW_TOKEN token of an earlier connection to this server
	 * (tq_quic_new_token()), sent in our Initials so the server may
	 * skip address validation (RFC 9000 8.1.3).  Copied; NULL: none. */
	const uint8_t *token;
	size_t token_len;
};

/**
 * Open a QUIC connection from worker s (on it) to dst:dport.  It lives
 * on s: our connection IDs name s's worker (QUIC-LB, as a server's do),
 * and the local UDP port is one of --quic-client-ports whose 4-tuple
 * the NIC's RSS sends back to s where the range has one; a datagram
 * arriving elsewhere is steered to s by its DCID.  ops (established
 * when streams can be opened, new_stream, closed) and udata are set
 * before the handshake starts; the first Initial goes out at the
 * worker's next timer pass.  Counted as the server's connections are,
 * plus QuicClientConnsOpened and QuicClientHandshakes.
 * @return the connection (closed() follows if the handshake fails), or
 *   NULL with *err: -EINVAL, -EADDRNOTAVAIL (no --quic-client-ports),
 *   -EHOSTUNREACH (no route), -ENOBUFS (--quic-max-conns on the
 *   worker), -ENOMEM, -ENOENT/-EBADMSG (ca_file).
 */
struct tq_conn *tq_quic_connect(struct tq_shard *s, const struct tq_addr *dst,
		uint16_t dport, const struct tq_quic_client_conf *conf,
		const struct tq_conn_ops *ops, void *udata, int *err);

/**
 * Client connection c (of tq_quic_connect()): what a later connection to
 * the same server resumes with (tq_quic_client_conf.session): the TLS
 * session with the server's ticket and its transport parameters,
 * malloc()ed into *out (free() it).  The server sends its ticket after
 * the handshake: ask from a callback after established().
 * @return 0, -EAGAIN (no ticket yet), -ENOMEM, -EINVAL (not a QUIC
 *   client connection).
 */
int tq_quic_session(struct tq_conn *c, uint8_t **out, size_t *len);

/**
 * Client connection c: the last NEW_TOKEN token the server gave, for
 * tq_quic_client_conf.token, malloc()ed into *out (free() it).
 * @return 0, -ENOENT (none), -ENOMEM, -EINVAL (not a QUIC connection).
 */
int tq_quic_new_token(struct tq_conn *c, uint8_t **out, size_t *len);

/**
 * QUIC connection c, once established: whether its handshake resumed
 * a session, and (early, may be NULL) whether the 0-RTT it offered
 * (client) or got (server) was taken.  false for other connections.
 */
bool tq_quic_resumed(struct tq_conn *c, bool *early);

/**
 * Move client connection c (on its worker) to another local port of
 * --quic-client-ports that the worker owns, sending from there to the
 * next connection ID the server gave (RFC 9000 9.5: none reused across
 * paths) and retiring the one in use; the server validates the new
 * path (PATH_CHALLENGE) and follows it.  A PING goes at once.
 * @return 0, -EINVAL (not a QUIC client connection, or not on this
 *   worker), -ENOTCONN (handshake not confirmed), -ENOENT (no spare
 *   connection ID of the server's), -EADDRNOTAVAIL (no other port).
 */
int tq_quic_migrate(struct tq_conn *c);

#endif
