/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_QUIC_TOKEN_H
#define TQ_QUIC_TOKEN_H

/*
 * Tokens a server makes and later checks: address validation tokens
 * (RFC 9000 8.1.3, in a Retry; 8.1.4, in NEW_TOKEN) and stateless reset
 * tokens (10.3).  Both are keyed by one secret per engine (random at
 * start, or configured so that several servers behind one load balancer
 * accept each other's), so nothing is stored per token.
 *
 * An address validation token is AES-128-GCM over what it vouches for:
 *   nonce (12) | sealed { kind (1) | issued, ms (8) | family (1) |
 *                         address (16) | odcid length (1) | odcid } |
 *   tag (16)
 * so it cannot be forged or altered, names the client address it was
 * given to, expires, and (Retry) carries the original destination CID
 * the server must echo in its transport parameters.  A stateless reset
 * token is HMAC-SHA256 of the CID, cut to 16 bytes: the same CID gets
 * the same token on every worker and server sharing the secret.
 * Control path: a GnuTLS call each.  A key object is one worker's (GnuTLS
 * cipher handles are not shared between threads): each worker makes its
 * own from the same secret.
 */

#include <stddef.h>
#include <stdint.h>

#include <tachyon/tq_addr.h>

#define TQ_QUIC_TOKEN_SECRET_LEN 32
#define TQ_QUIC_TOKEN_NONCE_LEN 12
#define TQ_QUIC_TOKEN_MAX (12 + 1 + 8 + 1 + 16 + 1 + 20 + 16)
#define TQ_QUIC_RESET_TOKEN_LEN 16
/* --quic-secret: at least this much, and what a file may hold at most */
#define TQ_QUIC_SECRET_MIN 32
#define TQ_QUIC_SECRET_MAX 4096
/* GnuTLS's session ticket master key (gnutls_session_ticket_key_generate) */
#define TQ_QUIC_TICKET_KEY_LEN 64

enum tq_quic_token_kind {
	TQ_QUIC_TOKEN_RETRY = 1,	/* in a Retry: short-lived */
	TQ_QUIC_TOKEN_NEW = 2,		/* in NEW_TOKEN: for a later connection */
};

struct tq_quic_token_key;

/* 0, -EINVAL, -ENOMEM, -EIO (GnuTLS). */
int tq_quic_token_key_new(const uint8_t secret[TQ_QUIC_TOKEN_SECRET_LEN],
		struct tq_quic_token_key **out);
void tq_quic_token_key_free(struct tq_quic_token_key *k);

/*
 * A token of kind for client, issued at now_ms; odcid (Retry only, up
 * to 20 bytes) is sealed in.  nonce: TQ_QUIC_TOKEN_NONCE_LEN random
 * bytes from the caller.  Returns its length, or -EINVAL, -EMSGSIZE
 * (cap), -EIO.
 */
int tq_quic_token_make(struct tq_quic_token_key *k,
		enum tq_quic_token_kind kind, const struct tq_addr *client,
		const uint8_t *odcid, size_t odcid_len, uint64_t now_ms,
		const uint8_t *nonce, uint8_t *out, size_t cap);

/*
 * Check a token from a client's Initial.  max_age_ms: how old a token
 * of its kind may be.  0 with *kind (and, for Retry, the odcid) filled;
 * -EBADMSG (not ours: altered, garbage, another secret), -EACCES
 * (issued to another address), -ETIMEDOUT (expired, or from the
 * future); with -EACCES and -ETIMEDOUT *kind is filled too.
 */
int tq_quic_token_check(struct tq_quic_token_key *k, const uint8_t *tok,
		size_t len, const struct tq_addr *client, uint64_t now_ms,
		uint64_t max_age_retry_ms, uint64_t max_age_new_ms,
		enum tq_quic_token_kind *kind, uint8_t *odcid,
		size_t *odcid_len);

/*
 * The keys a server derives from a configured secret (--quic-secret),
 * each by HKDF-SHA256 with its own label, so none says anything of
 * another: token_secret (for tq_quic_token_key_new(): its first half
 * the token AEAD key, its second the reset-token HMAC key, each from
 * its own label) and the session ticket master key.  The same secret
 * gives the same keys on every server and after every restart.
 * 0, -EINVAL (NULL, or len under TQ_QUIC_SECRET_MIN), -EIO.
 */
int tq_quic_secret_derive(const uint8_t *secret, size_t len,
		uint8_t token_secret[TQ_QUIC_TOKEN_SECRET_LEN],
		uint8_t ticket_key[TQ_QUIC_TICKET_KEY_LEN]);

/*
 * Read a secret file into buf (cap bytes).  Its length, or -errno of
 * the open/read, -EFBIG (more than cap), -EMSGSIZE (under
 * TQ_QUIC_SECRET_MIN).
 */
int tq_quic_secret_read(const char *path, uint8_t *buf, size_t cap);

/* The stateless reset token of a CID (RFC 9000 10.3.2). 0 or -EIO. */
int tq_quic_reset_token(struct tq_quic_token_key *k, const uint8_t *cid,
		size_t len, uint8_t out[TQ_QUIC_RESET_TOKEN_LEN]);

/*
 * A stateless reset (RFC 9000 10.3) answering a short-header datagram
 * of dgram_len bytes to cid: shorter than it (10.3.3: no loop between
 * two endpoints), at most 41 bytes, unpredictable but for the fixed
 * bit and the token at its end.  The bytes written, -EMSGSIZE (a
 * datagram under 22 bytes gets none, or cap too small), -EIO.
 */
int tq_quic_reset_build(struct tq_quic_token_key *k, const uint8_t *cid,
		size_t cid_len, size_t dgram_len, uint8_t *buf, size_t cap);

#endif
