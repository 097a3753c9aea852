/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_QUIC_CRYPTO_H
#define TQ_QUIC_CRYPTO_H

/*
 * QUIC packet protection (RFC 9001 5): the key schedule, the AEAD that
 * seals and opens payloads, and header protection, behind one interface
 * with two backends:
 *
 *   ipsecmb  intel-ipsec-mb's direct API (AES-GCM, ChaCha20-Poly1305)
 *            and job API (AES-ECB for header protection): the fast path
 *   gnutls   GnuTLS's AEAD and cipher API: the fallback, and what the
 *            TLS handshake uses anyway
 *
 * A worker owns one struct tq_quic_crypto_worker (for ipsec-mb, its
 * IMB_MGR, which is not thread safe) and passes it to every per-packet
 * call; a connection owns one struct tq_quic_aead per key (level and
 * direction), made once when TLS hands the secret over.  Seal, open and
 * header protection allocate nothing and take no lock.
 *
 * Errors are negative errno values.
 */

#include <stddef.h>
#include <stdint.h>

#define TQ_QUIC_TAG_LEN		16
#define TQ_QUIC_IV_LEN		12
#define TQ_QUIC_HP_SAMPLE_LEN	16
#define TQ_QUIC_HP_MASK_LEN	5
#define TQ_QUIC_MAX_KEY_LEN	32
#define TQ_QUIC_MAX_SECRET_LEN	48	/* SHA-384 */
#define TQ_QUIC_INITIAL_SECRET_LEN 32	/* SHA-256 */

/* The TLS 1.3 cipher suites QUIC v1 uses (RFC 9001 5.3). */
enum tq_quic_cipher {
	TQ_QUIC_AES_128_GCM,		/* TLS_AES_128_GCM_SHA256 */
	TQ_QUIC_AES_256_GCM,		/* TLS_AES_256_GCM_SHA384 */
	TQ_QUIC_CHACHA20_POLY1305,	/* TLS_CHACHA20_POLY1305_SHA256 */
};

enum tq_quic_crypto_backend {
	TQ_QUIC_CRYPTO_AUTO,	/* the process default: see below */
	TQ_QUIC_CRYPTO_IPSECMB,
	TQ_QUIC_CRYPTO_GNUTLS,
};

/* What one secret expands to (RFC 9001 5.1). */
struct tq_quic_keys {
	enum tq_quic_cipher cipher;
	uint8_t key[TQ_QUIC_MAX_KEY_LEN];
	uint8_t iv[TQ_QUIC_IV_LEN];
	uint8_t hp[TQ_QUIC_MAX_KEY_LEN];
};

/* ---- key schedule (tq_quic_keys.c) ---- */

/* AEAD key length (16 or 32) and hash (secret) length (32 or 48). */
size_t tq_quic_cipher_key_len(enum tq_quic_cipher c);
size_t tq_quic_cipher_secret_len(enum tq_quic_cipher c);
const char *tq_quic_cipher_name(enum tq_quic_cipher c);

/*
 * The cipher of a gnutls_cipher_algorithm_t (as gnutls_cipher_get()
 * returns once the handshake picked a suite): 0 and *c set, or -ENOTSUP.
 */
int tq_quic_cipher_from_gnutls(int gnutls_cipher, enum tq_quic_cipher *c);

/*
 * TLS 1.3 HKDF-Expand-Label (RFC 8446 7.1) with an empty context, over
 * the hash of c: out_len bytes of label ("quic key", ...) from secret.
 * 0, -EINVAL (lengths), -EIO (GnuTLS failed).
 */
int tq_quic_hkdf_expand_label(enum tq_quic_cipher c, const uint8_t *secret,
		size_t secret_len, const char *label, uint8_t *out,
		size_t out_len);

/*
 * RFC 9001 5.2: the client's and server's Initial secrets (32 bytes
 * each) from the Destination Connection ID of the client's first
 * Initial, QUIC v1 salt.  Either output may be NULL.  0, -EINVAL, -EIO.
 */
int tq_quic_initial_secrets(const uint8_t *dcid, size_t dcid_len,
		uint8_t client[TQ_QUIC_INITIAL_SECRET_LEN],
		uint8_t server[TQ_QUIC_INITIAL_SECRET_LEN]);

/*
 * RFC 9001 5.1: key, iv and hp of cipher c from a secret of
 * tq_quic_cipher_secret_len(c) bytes (what gnutls_handshake_set_secret_
 * function hands over, or an Initial secret).  0, -EINVAL, -EIO.
 */
int tq_quic_keys_derive(enum tq_quic_cipher c, const uint8_t *secret,
		size_t secret_len, struct tq_quic_keys *k);

/*
 * RFC 9001 6.1: the next generation's secret ("quic ku"), same length.
 * The header protection key does not change on a key update: derive the
 * new keys with tq_quic_keys_derive() and keep the old hp.
 */
int tq_quic_key_update(enum tq_quic_cipher c, const uint8_t *secret,
		size_t secret_len, uint8_t *next);

/*
 * RFC 9001 6.1 in one step: the next generation's secret (secret_len
 * bytes into next_secret) and keys from the current ones, with cur's
 * header protection key carried over, since a key update does not
 * change it.  next may be cur.  0, -EINVAL, -EIO.
 */
int tq_quic_keys_next(const struct tq_quic_keys *cur, const uint8_t *secret,
		size_t secret_len, uint8_t *next_secret,
		struct tq_quic_keys *next);

/* Zero key material the compiler may not elide. */
void tq_quic_wipe(void *p, size_t n);

/* ---- backends (tq_quic_crypto.c) ---- */

/*
 * Set the process default for TQ_QUIC_CRYPTO_AUTO: "ipsecmb", "gnutls"
 * or "auto" (ipsec-mb when its manager initialises, else GnuTLS).  Until
 * called, the TQ_QUIC_CRYPTO environment variable decides, then auto.
 * 0 or -EINVAL.  Call before the workers make their crypto workers.
 */
int tq_quic_crypto_select(const char *name);

/* The backend AUTO resolves to now (probing ipsec-mb once). */
enum tq_quic_crypto_backend tq_quic_crypto_default(void);
const char *tq_quic_crypto_backend_name(enum tq_quic_crypto_backend b);
/* True when this build has the ipsec-mb backend. */
int tq_quic_crypto_have_ipsecmb(void);

struct tq_quic_crypto_worker;
struct tq_quic_aead;

/*
 * A worker's crypto state, on the control path: -ENOTSUP when b is not
 * built in or ipsec-mb does not initialise on this CPU, -ENOMEM.
 */
int tq_quic_crypto_worker_new(enum tq_quic_crypto_backend b,
		struct tq_quic_crypto_worker **out);
void tq_quic_crypto_worker_free(struct tq_quic_crypto_worker *w);
enum tq_quic_crypto_backend
tq_quic_crypto_worker_backend(const struct tq_quic_crypto_worker *w);
/* The ipsec-mb architecture in use ("avx512", ...), or the backend. */
const char *tq_quic_crypto_worker_arch(const struct tq_quic_crypto_worker *w);

/*
 * One key's context, of w's backend (w only lends its function table:
 * any worker of that backend will do).  Once per key, not per packet.
 * -EINVAL, -ENOMEM, -EIO.
 */
int tq_quic_aead_new(struct tq_quic_crypto_worker *w,
		const struct tq_quic_keys *k, struct tq_quic_aead **out);
/* Free and wipe; NULL is fine. */
void tq_quic_aead_free(struct tq_quic_aead *a);
enum tq_quic_cipher tq_quic_aead_cipher(const struct tq_quic_aead *a);

/*
 * RFC 9001 5.3: encrypt payload[0, len) in place with nonce iv ^ pn and
 * the header as associated data, and write the 16-byte tag at
 * payload + len (room is the caller's).  len + 16, or -EINVAL.
 */
int tq_quic_seal(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
		uint64_t pn, const uint8_t *hdr, size_t hdr_len,
		uint8_t *payload, size_t len);

/*
 * The reverse: payload[0, len) is ciphertext and tag; decrypted in
 * place.  The plaintext length (len - 16), -EINVAL if len < 16, or
 * -EBADMSG when the tag does not verify (the payload bytes are then
 * undefined: drop the packet).
 */
int tq_quic_open(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
		uint64_t pn, const uint8_t *hdr, size_t hdr_len,
		uint8_t *payload, size_t len);

/* RFC 9001 5.4.3/5.4.4: the 5-byte mask of a 16-byte sample.  0 or
 * -EIO (the mask is then all ones, never zero). */
int tq_quic_hp_mask(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
		const uint8_t *sample, uint8_t mask[TQ_QUIC_HP_MASK_LEN]);

/*
 * RFC 9001 5.4.1 on a packet whose payload is already sealed: pkt[0] is
 * the first byte (long header when its 0x80 bit is set), the packet
 * number starts at pn_off and its length comes from the unprotected
 * first byte; the sample starts at pn_off + 4.  0, or -EINVAL when
 * pkt_len is too short for the sample.
 */
int tq_quic_hp_apply(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
		uint8_t *pkt, size_t pkt_len, size_t pn_off);

/*
 * The receiver's side: unmask the first byte and the packet number in
 * place.  The packet number length (1-4) with the truncated number in
 * *pn, or -EINVAL.
 */
int tq_quic_hp_remove(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
		uint8_t *pkt, size_t pkt_len, size_t pn_off, uint64_t *pn);

/* ---- Retry integrity (tq_quic_retry.c) ---- */

/*
 * RFC 9001 5.8: the AEAD context of the QUIC v1 Retry key and nonce,
 * made once per worker (with w's backend).  0, -ENOMEM, -EIO.
 */
int tq_quic_retry_aead_new(struct tq_quic_crypto_worker *w,
		struct tq_quic_aead **out);

/*
 * The 16-byte integrity tag of a Retry packet retry[0, retry_len)
 * (everything but the tag, as tq_quic_hdr_write_retry() writes it) sent
 * in answer to a client whose first Initial had DCID odcid: the server
 * appends it.  0, -EINVAL, -ENOMEM.
 */
int tq_quic_retry_tag(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
		const uint8_t *odcid, size_t odcid_len, const uint8_t *retry,
		size_t retry_len, uint8_t tag[TQ_QUIC_TAG_LEN]);

/*
 * The client's check of a whole Retry packet pkt[0, len), tag last,
 * against the DCID it sent: 0, -EBADMSG (discard the packet, RFC 9000
 * 17.2.5.2), -EINVAL, -ENOMEM.
 */
int tq_quic_retry_verify(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
		const uint8_t *odcid, size_t odcid_len, const uint8_t *pkt,
		size_t len);

/* ---- a stateless CONNECTION_CLOSE (tq_quic_close.c) ---- */

/*
 * A server's Initial packet with CONNECTION_CLOSE (error, reason: may be
 * NULL) answering a client Initial that has no connection: sealed with
 * the Initial keys of that Initial's DCID (dcid), sent from scid to the
 * client's SCID (peer_cid).  The packet's length in buf, -EMSGSIZE,
 * -EINVAL, -ENOMEM, -EIO.
 */
int tq_quic_initial_close(struct tq_quic_crypto_worker *cw,
		const uint8_t *dcid, size_t dcid_len, const uint8_t *scid,
		size_t scid_len, const uint8_t *peer_cid, size_t peer_cid_len,
		uint64_t error, const char *reason, uint8_t *buf, size_t cap);

/* Packet number decoding (RFC 9000 A.3) is the wire codecs':
 * tq_quic_pn_decode() in quic/tq_quic_wire.h. */

/*
 * Whole packets.  tq_quic_packet_seal: the header (with its Length
 * field covering the packet number, payload and tag, written by the
 * codec) is pkt[0, pn_off + pn_len), the payload follows it; seals,
 * appends the tag and applies header protection.  The packet's length,
 * or -EINVAL.
 *
 * tq_quic_packet_open: removes header protection, decodes the packet
 * number against largest (*pn), opens the payload in place.  The
 * payload's offset (header length) in *payload_off; the plaintext
 * length, -EINVAL or -EBADMSG (the header is then unmasked but the
 * packet is garbage: drop it).
 */
int tq_quic_packet_seal(struct tq_quic_aead *a,
		struct tq_quic_crypto_worker *w, uint8_t *pkt, size_t pn_off,
		uint64_t pn, size_t payload_len);
int tq_quic_packet_open(struct tq_quic_aead *a,
		struct tq_quic_crypto_worker *w, uint8_t *pkt, size_t pkt_len,
		size_t pn_off, uint64_t largest, uint64_t *pn,
		size_t *payload_off);

#endif
