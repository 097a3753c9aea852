/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_QUIC_TLS_H
#define TQ_QUIC_TLS_H

/*
 * QUIC's TLS 1.3 handshake (RFC 9001 4, 8) through GnuTLS's QUIC
 * interface: one session per connection, I/O-free.  Handshake bytes come
 * in with tq_quic_tls_provide() (CRYPTO frame data, in order, per
 * encryption level); what TLS wants sent comes out through the
 * crypto_data callback, tagged by level; each traffic secret comes out
 * through the secret callback, per level and direction, in whatever
 * order GnuTLS produces them (a write secret may come before its read
 * twin), for tq_quic_key_set_install() to turn into packet protection.
 *
 * Errors inside the handshake are returned as enum tq_quic_err codes:
 * CRYPTO_ERROR (0x0100 + TLS alert, RFC 9001 4.8) for whatever TLS
 * refuses, INTERNAL_ERROR for our own failures; the first error sticks.
 * Setup calls return negative errno.  Control path only: sessions are
 * allocated, and GnuTLS allocates as it goes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quic/tq_quic_crypto.h"
#include "quic/tq_quic_wire.h"

/* Encryption levels (RFC 9001 4.1.4), GnuTLS's order. */
enum tq_quic_level {
	TQ_QUIC_LEVEL_INITIAL,
	TQ_QUIC_LEVEL_EARLY,	/* 0-RTT */
	TQ_QUIC_LEVEL_HANDSHAKE,
	TQ_QUIC_LEVEL_APP,	/* 1-RTT */
	TQ_QUIC_LEVEL_MAX,
};

enum tq_quic_dir {
	TQ_QUIC_DIR_READ,	/* packets from the peer */
	TQ_QUIC_DIR_WRITE,	/* packets we send */
};

/* TLS alerts this layer produces itself (RFC 8446 6). */
#define TQ_TLS_ALERT_INTERNAL_ERROR		80
#define TQ_TLS_ALERT_MISSING_EXTENSION		109
#define TQ_TLS_ALERT_NO_APPLICATION_PROTOCOL	120

/* Key exchange groups (struct tq_quic_tls_conf.groups). */
#define TQ_QUIC_TLS_GROUP_X25519	(1u << 0)
#define TQ_QUIC_TLS_GROUP_P256		(1u << 1)
#define TQ_QUIC_TLS_GROUP_P384		(1u << 2)

/* The most ALPN protocols a context offers or accepts. */
#define TQ_QUIC_TLS_MAX_ALPN 8

/*
 * What a context is made of.  Strings are copied or read at
 * tq_quic_tls_ctx_new(); nothing here is kept.
 */
struct tq_quic_tls_conf {
	bool is_server;
	/* ALPN protocols in preference order; NULL/0: "h3" alone.  RFC
	 * 9001 8.1: a handshake that negotiates none fails. */
	const char *const *alpn;
	size_t n_alpn;
	/* Bit mask of 1 << enum tq_quic_cipher; 0: all three. */
	unsigned int ciphers;
	/* Key exchange groups, TQ_QUIC_TLS_GROUP_*; 0: all three.  A
	 * client sends key shares for X25519 and P-256 (GnuTLS keeps one
	 * per key type); a server that takes neither costs a
	 * HelloRetryRequest. */
	unsigned int groups;
	/* Server: certificate chain and private key, PEM, from files ... */
	const char *cert_file;
	const char *key_file;
	/* ... or from memory (used when cert_file is NULL). */
	const char *cert_pem;
	const char *key_pem;
	/* Client: check the server's certificate and name, against
	 * ca_file (PEM) or, without one, the system's trust store. */
	bool verify;
	const char *ca_file;
	/* Server: a NewSessionTicket once the handshake is complete, so
	 * clients can resume (RFC 8446 4.6.1), sealed with a ticket key
	 * made for this context (GnuTLS derives the keys that encrypt
	 * tickets from it and rotates them with time). */
	bool tickets;
	/* Server (with tickets): the ticket master key, 64 bytes
	 * (TQ_QUIC_TICKET_KEY_LEN), so that tickets sealed by another
	 * server or an earlier run with the same key resume here; NULL: a
	 * random one for this context. */
	const uint8_t *ticket_key;
	/* Server (with tickets): tickets allow 0-RTT and 0-RTT is taken,
	 * a ClientHello seen before within anti_replay_ms refused (RFC
	 * 8446 8).  Client: offer 0-RTT when resuming a ticket that
	 * allows it. */
	bool early_data;
	uint32_t anti_replay_ms;	/* 0: 10000 */
};

/*
 * Shared by the sessions of one role of an engine: the credentials
 * (certificate and key parsed once), the priorities, ALPN.  Read-only
 * once made, so workers share it; it must outlive its sessions.
 * 0, -EINVAL (conf), -ENOENT/-EBADMSG (certificate, key or CA file
 * missing or not parsed), -ENOMEM, -EIO.
 */
struct tq_quic_tls_ctx;
int tq_quic_tls_ctx_new(const struct tq_quic_tls_conf *conf,
		struct tq_quic_tls_ctx **out);
void tq_quic_tls_ctx_free(struct tq_quic_tls_ctx *ctx);

/*
 * What a session tells its connection.  Called from inside
 * tq_quic_tls_start()/tq_quic_tls_provide().  A callback returning
 * nonzero fails the handshake with INTERNAL_ERROR (peer_tp: with the
 * code it returns).
 */
struct tq_quic_tls_ops {
	/* Handshake bytes to send in CRYPTO frames at level, in order
	 * (append them to that level's crypto stream). */
	int (*crypto_data)(void *arg, enum tq_quic_level level,
			const uint8_t *data, size_t len);
	/* A traffic secret for level and direction; cipher is the
	 * negotiated suite.  Hand it to tq_quic_key_set_install(). */
	int (*secret)(void *arg, enum tq_quic_level level,
			enum tq_quic_dir dir, enum tq_quic_cipher cipher,
			const uint8_t *secret, size_t len);
	/* Optional: the peer's transport parameters, raw, as they arrive
	 * (decode them with tq_quic_tp_decode()); return TQ_QUIC_NO_ERROR
	 * or the error to end the handshake with (e.g.
	 * TRANSPORT_PARAMETER_ERROR).  They stay readable with
	 * tq_quic_tls_peer_tp() either way. */
	enum tq_quic_err (*peer_tp)(void *arg, const uint8_t *tp,
			size_t len);
};

struct tq_quic_tls;

/*
 * A session of ctx's role.  server_name (client only): SNI, and the
 * name checked against the certificate when the context verifies;
 * NULL: none (an IP address is checked but not sent as SNI).
 * 0, -EINVAL, -ENOMEM, -EIO.
 */
int tq_quic_tls_new(struct tq_quic_tls_ctx *ctx, const char *server_name,
		const struct tq_quic_tls_ops *ops, void *arg,
		struct tq_quic_tls **out);
void tq_quic_tls_free(struct tq_quic_tls *t);

/*
 * Our transport parameters, encoded (tq_quic_tp_encode()), sent in
 * extension 0x39 (ClientHello or EncryptedExtensions).  Copied.  Set
 * them before tq_quic_tls_start() (client) or the first provide
 * (server): a session without them sends no extension, which its peer
 * must refuse (RFC 9001 8.2).  0, -EINVAL, -ENOMEM, -EBUSY (too late).
 */
int tq_quic_tls_set_tp(struct tq_quic_tls *t, const uint8_t *tp, size_t len);

/*
 * Client: write the ClientHello (crypto_data at Initial).  Server: no
 * effect.  TQ_QUIC_NO_ERROR or the error code.
 */
enum tq_quic_err tq_quic_tls_start(struct tq_quic_tls *t);

/*
 * The peer's handshake bytes at level, in order and without gaps (the
 * CRYPTO stream reassembled), in any pieces.  Drives the handshake as
 * far as they allow: crypto_data and secret may be called.  After the
 * handshake, post-handshake messages (NewSessionTicket) go in at APP.
 * Returns TQ_QUIC_NO_ERROR (needs more, or done: see
 * tq_quic_tls_complete()) or the code to close the connection with;
 * after an error every call returns it again.
 */
enum tq_quic_err tq_quic_tls_provide(struct tq_quic_tls *t,
		enum tq_quic_level level, const uint8_t *data, size_t len);

/* RFC 9001 4.1.1: TLS says the handshake is done (a server once it has
 * the client's Finished, a client once it has sent its own). */
bool tq_quic_tls_complete(const struct tq_quic_tls *t);
/* RFC 9001 4.1.2: confirmed.  A server's handshake is confirmed when
 * complete; a client's when HANDSHAKE_DONE arrives (or a 1-RTT ACK of
 * ours), which its connection reports with tq_quic_tls_confirm(). */
bool tq_quic_tls_confirmed(const struct tq_quic_tls *t);
void tq_quic_tls_confirm(struct tq_quic_tls *t);
/* The error the session failed with, TQ_QUIC_NO_ERROR if none. */
enum tq_quic_err tq_quic_tls_error(const struct tq_quic_tls *t);
bool tq_quic_tls_is_server(const struct tq_quic_tls *t);

/*
 * Resumption (client).  set_session, before tq_quic_tls_start(): the
 * bytes tq_quic_tls_get_session() gave on an earlier connection (GnuTLS
 * session data with its ticket); a session the server does not take
 * falls back to a full handshake.  0, -EINVAL (not a client, or bytes
 * GnuTLS refuses), -EBUSY (started).  get_session: malloc()ed bytes
 * once a NewSessionTicket arrived; 0, -EAGAIN (none yet), -ENOMEM.
 */
int tq_quic_tls_set_session(struct tq_quic_tls *t, const uint8_t *data,
		size_t len);
int tq_quic_tls_get_session(struct tq_quic_tls *t, uint8_t **data,
		size_t *len);
/* NewSessionTicket messages a client took in. */
unsigned int tq_quic_tls_tickets(const struct tq_quic_tls *t);
/* The handshake resumed a session (PSK), once complete. */
bool tq_quic_tls_resumed(const struct tq_quic_tls *t);
/* Client: 0-RTT was offered (its write secret came).  Either side, once
 * complete: the server took it (RFC 8446 4.2.10). */
bool tq_quic_tls_early_offered(const struct tq_quic_tls *t);
bool tq_quic_tls_early_accepted(const struct tq_quic_tls *t);

/* The negotiated ALPN (not NUL-terminated), NULL before it is known. */
const uint8_t *tq_quic_tls_alpn(const struct tq_quic_tls *t, size_t *len);
/* The negotiated suite, once ServerHello is through: 0 or -EAGAIN. */
int tq_quic_tls_cipher(const struct tq_quic_tls *t, enum tq_quic_cipher *c);
/* The peer's transport parameters, raw, NULL until they arrived. */
const uint8_t *tq_quic_tls_peer_tp(const struct tq_quic_tls *t, size_t *len);

/*
 * The GnuTLS session, for what builds on this one: session tickets and
 * 0-RTT (issue 11: servers are made with GNUTLS_NO_AUTO_SEND_TICKET, so
 * the ticket is sent by gnutls_session_ticket_send() once the handshake
 * is complete, and its bytes come out through crypto_data at APP).
 * Returns a gnutls_session_t.
 */
void *tq_quic_tls_gnutls_session(struct tq_quic_tls *t);

/* Level and direction names for logs. */
const char *tq_quic_level_name(enum tq_quic_level level);

/*
 * An ephemeral self-signed certificate (ECDSA P-256, valid for a day,
 * subjectAltName dns_name) and its key, PEM, NUL-terminated, malloc()ed
 * into *cert_pem and *key_pem: for tests, the fuzzer, and a server run
 * without a certificate.  0, -EINVAL, -ENOMEM, -EIO.
 */
int tq_quic_tls_self_signed(const char *dns_name, char **cert_pem,
		char **key_pem);

/* ---- keys per level (what the connection layer owns) ---- */

/*
 * One connection's packet protection: a context per level and
 * direction, made as secrets arrive (in any order).  The 1-RTT secrets
 * and keys are kept for key updates (RFC 9001 6: tq_quic_keys_next()).
 * Zero-initialise; tq_quic_key_set_free() wipes and frees.
 */
struct tq_quic_key_set {
	struct tq_quic_aead *aead[TQ_QUIC_LEVEL_MAX][2];
	enum tq_quic_cipher app_cipher;
	size_t app_secret_len;
	uint8_t app_secret[2][TQ_QUIC_MAX_SECRET_LEN];
	struct tq_quic_keys app_keys[2];
};

/*
 * A secret from the secret callback made into level's context for dir
 * (with w's backend): tq_quic_keys_derive() then tq_quic_aead_new().  A
 * context already there is replaced.  0, -EINVAL, -ENOMEM, -EIO.
 */
int tq_quic_key_set_install(struct tq_quic_key_set *ks,
		struct tq_quic_crypto_worker *w, enum tq_quic_level level,
		enum tq_quic_dir dir, enum tq_quic_cipher cipher,
		const uint8_t *secret, size_t len);
/*
 * RFC 9001 6: the next generation's 1-RTT context for dir, from the
 * kept secret ("quic ku"; the header protection key does not change),
 * into *out; the kept secret and keys move on to it.  Which context
 * protects packets is the connection's choice (a reader keeps the old
 * one for reordered packets), so ks->aead is left alone.  0, -EINVAL
 * (no 1-RTT secret), -ENOMEM, -EIO.
 */
int tq_quic_key_set_next(struct tq_quic_key_set *ks,
		struct tq_quic_crypto_worker *w, enum tq_quic_dir dir,
		struct tq_quic_aead **out);
/* The Initial contexts of both directions from the client's first DCID
 * (RFC 9001 5.2), for the role given.  0, -EINVAL, -ENOMEM, -EIO. */
int tq_quic_key_set_initial(struct tq_quic_key_set *ks,
		struct tq_quic_crypto_worker *w, bool is_server,
		const uint8_t *dcid, size_t dcid_len);
/* The context for level and direction, NULL if not installed. */
static inline struct tq_quic_aead *
tq_quic_key_set_get(const struct tq_quic_key_set *ks, enum tq_quic_level level,
		enum tq_quic_dir dir)
{
	return ks->aead[level][dir];
}
/* Discard a level's keys (RFC 9001 4.9). */
void tq_quic_key_set_drop(struct tq_quic_key_set *ks, enum tq_quic_level level);
void tq_quic_key_set_free(struct tq_quic_key_set *ks);

#endif
