/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_QUIC_CRYPTO_PRIV_H
#define TQ_QUIC_CRYPTO_PRIV_H

/*
 * What the packet protection front (tq_quic_crypto.c) shares with its
 * backends (tq_quic_crypto_imb.c, tq_quic_crypto_gnutls.c).  A backend's
 * context starts with struct tq_quic_aead and adds its own keys.
 */

#include "quic/tq_quic_crypto.h"

struct tq_quic_aead_ops {
	/* Encrypt p[0, len) in place, tag to p + len.  0 or -EIO. */
	int (*seal)(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
			const uint8_t *nonce, const uint8_t *aad,
			size_t aad_len, uint8_t *p, size_t len);
	/* Decrypt p[0, len) in place, tag at p + len.  0 or -EBADMSG. */
	int (*open)(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
			const uint8_t *nonce, const uint8_t *aad,
			size_t aad_len, uint8_t *p, size_t len);
	/* Five bytes of header protection mask.  0 or -EIO. */
	int (*hp_mask)(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
			const uint8_t *sample, uint8_t *mask);
	/* Release what the backend holds and the context itself. */
	void (*free)(struct tq_quic_aead *a);
};

struct tq_quic_aead {
	const struct tq_quic_aead_ops *ops;
	enum tq_quic_cipher cipher;
	uint8_t iv[TQ_QUIC_IV_LEN];
};

struct tq_quic_crypto_worker {
	enum tq_quic_crypto_backend backend;
	void *mgr;		/* IMB_MGR, ipsec-mb only */
	const char *arch;
};

#ifdef TQ_HAVE_IPSECMB
int tq_quic_imb_worker_init(struct tq_quic_crypto_worker *w);
void tq_quic_imb_worker_fini(struct tq_quic_crypto_worker *w);
int tq_quic_imb_aead_new(struct tq_quic_crypto_worker *w,
		const struct tq_quic_keys *k, struct tq_quic_aead **out);
#endif
int tq_quic_gnutls_aead_new(const struct tq_quic_keys *k,
		struct tq_quic_aead **out);

#endif
