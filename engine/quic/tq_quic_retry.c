/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Retry integrity tag (RFC 9001 5.8): AES-128-GCM with a key and
 * nonce fixed by the version, over nothing, with the Retry pseudo-packet
 * (the original DCID, length-prefixed, then the Retry packet without its
 * tag) as associated data.  The context is made once per worker with
 * the packet protection backend, so a server answering a flood with
 * Retry packets pays one AEAD call per packet and no allocation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "quic/tq_quic_crypto.h"
#include "quic/tq_quic_wire.h"

/* RFC 9001 5.8, QUIC v1. */
static const uint8_t retry_key_v1[16] = {
	0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a,
	0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68, 0xc8, 0x4e,
};
static const uint8_t retry_nonce_v1[TQ_QUIC_IV_LEN] = {
	0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2,
	0x23, 0x98, 0x25, 0xbb,
};

/* Pseudo-packets up to this size are built on the stack; a larger
 * Retry (a peer's, with a huge token) costs one allocation. */
#define PSEUDO_STACK (1 + TQ_QUIC_CID_MAX + 1500)

int
tq_quic_retry_aead_new(struct tq_quic_crypto_worker *w,
		struct tq_quic_aead **out)
{
	struct tq_quic_keys k;
	int rc;

	memset(&k, 0, sizeof(k));
	k.cipher = TQ_QUIC_AES_128_GCM;
	memcpy(k.key, retry_key_v1, sizeof(retry_key_v1));
	/* The nonce is the IV itself: packet number 0 leaves it as is. */
	memcpy(k.iv, retry_nonce_v1, sizeof(retry_nonce_v1));
	rc = tq_quic_aead_new(w, &k, out);
	tq_quic_wipe(&k, sizeof(k));
	return rc;
}

int
tq_quic_retry_tag(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
		const uint8_t *odcid, size_t odcid_len, const uint8_t *retry,
		size_t retry_len, uint8_t tag[TQ_QUIC_TAG_LEN])
{
	uint8_t stack[PSEUDO_STACK], *p = stack;
	size_t n = 1 + odcid_len + retry_len;
	int rc;

	if (odcid_len > TQ_QUIC_CID_MAX || (odcid_len && !odcid) || !retry ||
			retry_len == 0 || retry_len > 65535 ||
			tq_quic_aead_cipher(a) != TQ_QUIC_AES_128_GCM)
		return -EINVAL;
	if (n > sizeof(stack)) {
		p = malloc(n);
		if (!p)
			return -ENOMEM;
	}
	p[0] = (uint8_t)odcid_len;
	if (odcid_len)
		memcpy(p + 1, odcid, odcid_len);
	memcpy(p + 1 + odcid_len, retry, retry_len);
	/* An empty plaintext: seal writes only the tag, at tag + 0. */
	rc = tq_quic_seal(a, w, 0, p, n, tag, 0);
	if (p != stack)
		free(p);
	return rc < 0 ? rc : 0;
}

int
tq_quic_retry_verify(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
		const uint8_t *odcid, size_t odcid_len, const uint8_t *pkt,
		size_t len)
{
	uint8_t tag[TQ_QUIC_RETRY_TAG_LEN];
	uint8_t diff = 0;
	size_t i;
	int rc;

	if (!pkt || len <= TQ_QUIC_RETRY_TAG_LEN)
		return -EINVAL;
	rc = tq_quic_retry_tag(a, w, odcid, odcid_len, pkt,
			len - TQ_QUIC_RETRY_TAG_LEN, tag);
	if (rc < 0)
		return rc;
	/* Constant time, as for any tag. */
	for (i = 0; i < TQ_QUIC_RETRY_TAG_LEN; i++)
		diff |= tag[i] ^ pkt[len - TQ_QUIC_RETRY_TAG_LEN + i];
	return diff ? -EBADMSG : 0;
}
