/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The GnuTLS backend of QUIC packet protection: the fallback when
 * ipsec-mb is not built in or does not initialise.  About 3x slower
 * than ipsec-mb for AES-GCM and 7x for ChaCha20-Poly1305 on this
 * machine (docs/quic-crypto.md), but always present, since the
 * handshake needs GnuTLS anyway.
 *
 * Both AEAD calls work in place (nettle's modes allow dst == src).
 * Header protection: GnuTLS has no raw AES block call, so one block of
 * AES-CBC with a zero IV (reset before every block, as a CBC handle
 * chains); ChaCha20 through GNUTLS_CIPHER_CHACHA20_32, whose 16-byte IV
 * is exactly RFC 9001 5.4.4's counter || nonce.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "quic/tq_quic_crypto_priv.h"

struct gt_aead {
	struct tq_quic_aead base;	/* first: the front casts */
	gnutls_aead_cipher_hd_t aead;
	gnutls_cipher_hd_t hp;
};

static const uint8_t zero16[16];

static int
gt_seal(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
		const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
		uint8_t *p, size_t len)
{
	struct gt_aead *g = (struct gt_aead *)a;
	size_t out_len = len + TQ_QUIC_TAG_LEN;

	if (gnutls_aead_cipher_encrypt(g->aead, nonce, TQ_QUIC_IV_LEN, aad,
			aad_len, TQ_QUIC_TAG_LEN, p, len, p, &out_len) < 0)
		return -EIO;
	return 0;
}

static int
gt_open(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
		const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
		uint8_t *p, size_t len)
{
	struct gt_aead *g = (struct gt_aead *)a;
	size_t out_len = len;

	/* GnuTLS checks the tag (after p[len]) in constant time. */
	if (gnutls_aead_cipher_decrypt(g->aead, nonce, TQ_QUIC_IV_LEN, aad,
			aad_len, TQ_QUIC_TAG_LEN, p, len + TQ_QUIC_TAG_LEN, p,
			&out_len) < 0)
		return -EBADMSG;
	return 0;
}

static int
gt_hp_mask(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
		const uint8_t *sample, uint8_t *mask)
{
	struct gt_aead *g = (struct gt_aead *)a;
	uint8_t block[16];

	if (a->cipher == TQ_QUIC_CHACHA20_POLY1305) {
		gnutls_cipher_set_iv(g->hp, (void *)(uintptr_t)sample, 16);
		if (gnutls_cipher_encrypt2(g->hp, zero16, TQ_QUIC_HP_MASK_LEN,
				mask, TQ_QUIC_HP_MASK_LEN) < 0)
			return -EIO;
		return 0;
	}
	gnutls_cipher_set_iv(g->hp, (void *)(uintptr_t)zero16, 16);
	if (gnutls_cipher_encrypt2(g->hp, sample, 16, block, 16) < 0)
		return -EIO;
	memcpy(mask, block, TQ_QUIC_HP_MASK_LEN);
	return 0;
}

static void
gt_free(struct tq_quic_aead *a)
{
	struct gt_aead *g = (struct gt_aead *)a;

	if (g->aead)
		gnutls_aead_cipher_deinit(g->aead);
	if (g->hp)
		gnutls_cipher_deinit(g->hp);
	tq_quic_wipe(g, sizeof(*g));
	free(g);
}

static const struct tq_quic_aead_ops gt_ops = {
	.seal = gt_seal,
	.open = gt_open,
	.hp_mask = gt_hp_mask,
	.free = gt_free,
};

int
tq_quic_gnutls_aead_new(const struct tq_quic_keys *k,
		struct tq_quic_aead **out)
{
	gnutls_cipher_algorithm_t aead_alg, hp_alg;
	gnutls_datum_t key, hp, iv;
	struct gt_aead *g;

	switch (k->cipher) {
	case TQ_QUIC_AES_128_GCM:
		aead_alg = GNUTLS_CIPHER_AES_128_GCM;
		hp_alg = GNUTLS_CIPHER_AES_128_CBC;
		break;
	case TQ_QUIC_AES_256_GCM:
		aead_alg = GNUTLS_CIPHER_AES_256_GCM;
		hp_alg = GNUTLS_CIPHER_AES_256_CBC;
		break;
	case TQ_QUIC_CHACHA20_POLY1305:
		aead_alg = GNUTLS_CIPHER_CHACHA20_POLY1305;
		hp_alg = GNUTLS_CIPHER_CHACHA20_32;
		break;
	default:
		return -EINVAL;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->base.ops = &gt_ops;
	key.data = (unsigned char *)(uintptr_t)k->key;
	key.size = (unsigned int)tq_quic_cipher_key_len(k->cipher);
	hp.data = (unsigned char *)(uintptr_t)k->hp;
	hp.size = key.size;
	iv.data = (unsigned char *)(uintptr_t)zero16;
	iv.size = 16;
	if (gnutls_aead_cipher_init(&g->aead, aead_alg, &key) < 0) {
		free(g);
		return -EIO;
	}
	if (gnutls_cipher_init(&g->hp, hp_alg, &hp, &iv) < 0) {
		g->hp = NULL;
		gt_free(&g->base);
		return -EIO;
	}
	*out = &g->base;
	return 0;
}
