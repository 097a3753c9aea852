/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC packet protection, the backend-neutral part: choosing the
 * backend, the nonce (RFC 9001 5.3), header protection on a packet
 * (5.4.1), packet number decoding (RFC 9000 A.3), whole-packet seal and
 * open.  The ciphers themselves are in tq_quic_crypto_imb.c and
 * tq_quic_crypto_gnutls.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "quic/tq_quic_crypto_priv.h"
#include "quic/tq_quic_wire.h"

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static enum tq_quic_crypto_backend probed = TQ_QUIC_CRYPTO_GNUTLS;
/* What tq_quic_crypto_select() set; AUTO means "probe". */
static enum tq_quic_crypto_backend selected = TQ_QUIC_CRYPTO_AUTO;
static int select_called;

const char *
tq_quic_crypto_backend_name(enum tq_quic_crypto_backend b)
{
	switch (b) {
	case TQ_QUIC_CRYPTO_AUTO:
		return "auto";
	case TQ_QUIC_CRYPTO_IPSECMB:
		return "ipsecmb";
	case TQ_QUIC_CRYPTO_GNUTLS:
		return "gnutls";
	}
	return "?";
}

int
tq_quic_crypto_have_ipsecmb(void)
{
#ifdef TQ_HAVE_IPSECMB
	return 1;
#else
	return 0;
#endif
}

static int
parse_backend(const char *name, enum tq_quic_crypto_backend *b)
{
	if (!strcmp(name, "auto"))
		*b = TQ_QUIC_CRYPTO_AUTO;
	else if (!strcmp(name, "ipsecmb") || !strcmp(name, "ipsec-mb"))
		*b = TQ_QUIC_CRYPTO_IPSECMB;
	else if (!strcmp(name, "gnutls"))
		*b = TQ_QUIC_CRYPTO_GNUTLS;
	else
		return -EINVAL;
	return 0;
}

int
tq_quic_crypto_select(const char *name)
{
	enum tq_quic_crypto_backend b;

	if (!name || parse_backend(name, &b) < 0)
		return -EINVAL;
	if (b == TQ_QUIC_CRYPTO_IPSECMB && !tq_quic_crypto_have_ipsecmb())
		return -EINVAL;
	selected = b;
	select_called = 1;
	return 0;
}

/* A manager that fails to initialise (no usable CPU path) means GnuTLS. */
static void
probe(void)
{
	struct tq_quic_crypto_worker *w;

	if (tq_quic_crypto_worker_new(TQ_QUIC_CRYPTO_IPSECMB, &w) == 0) {
		probed = TQ_QUIC_CRYPTO_IPSECMB;
		tq_quic_crypto_worker_free(w);
	}
}

enum tq_quic_crypto_backend
tq_quic_crypto_default(void)
{
	enum tq_quic_crypto_backend b = selected;

	if (!select_called) {
		const char *env = getenv("TQ_QUIC_CRYPTO");

		if (env && parse_backend(env, &b) < 0)
			b = TQ_QUIC_CRYPTO_AUTO;
	}
	if (b != TQ_QUIC_CRYPTO_AUTO)
		return b;
	pthread_once(&probe_once, probe);
	return probed;
}

int
tq_quic_crypto_worker_new(enum tq_quic_crypto_backend b,
		struct tq_quic_crypto_worker **out)
{
	struct tq_quic_crypto_worker *w;

	if (b == TQ_QUIC_CRYPTO_AUTO)
		b = tq_quic_crypto_default();
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->backend = b;
	w->arch = "gnutls";
	if (b == TQ_QUIC_CRYPTO_IPSECMB) {
#ifdef TQ_HAVE_IPSECMB
		int rc = tq_quic_imb_worker_init(w);

		if (rc < 0) {
			free(w);
			return rc;
		}
#else
		free(w);
		return -ENOTSUP;
#endif
	}
	*out = w;
	return 0;
}

void
tq_quic_crypto_worker_free(struct tq_quic_crypto_worker *w)
{
	if (!w)
		return;
#ifdef TQ_HAVE_IPSECMB
	if (w->backend == TQ_QUIC_CRYPTO_IPSECMB)
		tq_quic_imb_worker_fini(w);
#endif
	free(w);
}

enum tq_quic_crypto_backend
tq_quic_crypto_worker_backend(const struct tq_quic_crypto_worker *w)
{
	return w->backend;
}

const char *
tq_quic_crypto_worker_arch(const struct tq_quic_crypto_worker *w)
{
	return w->arch;
}

int
tq_quic_aead_new(struct tq_quic_crypto_worker *w,
		const struct tq_quic_keys *k, struct tq_quic_aead **out)
{
	struct tq_quic_aead *a = NULL;
	int rc;

	if (!w || !k || k->cipher > TQ_QUIC_CHACHA20_POLY1305)
		return -EINVAL;
	switch (w->backend) {
#ifdef TQ_HAVE_IPSECMB
	case TQ_QUIC_CRYPTO_IPSECMB:
		rc = tq_quic_imb_aead_new(w, k, &a);
		break;
#endif
	case TQ_QUIC_CRYPTO_GNUTLS:
		rc = tq_quic_gnutls_aead_new(k, &a);
		break;
	default:
		return -EINVAL;
	}
	if (rc < 0)
		return rc;
	a->cipher = k->cipher;
	memcpy(a->iv, k->iv, TQ_QUIC_IV_LEN);
	*out = a;
	return 0;
}

void
tq_quic_aead_free(struct tq_quic_aead *a)
{
	if (a)
		a->ops->free(a);
}

enum tq_quic_cipher
tq_quic_aead_cipher(const struct tq_quic_aead *a)
{
	return a->cipher;
}

/* RFC 9001 5.3: the 62-bit packet number, left-padded to the IV's
 * length in network order, XORed with the IV. */
static inline void
make_nonce(const struct tq_quic_aead *a, uint64_t pn, uint8_t *nonce)
{
	unsigned int i;

	memcpy(nonce, a->iv, TQ_QUIC_IV_LEN);
	for (i = 0; i < 8; i++)
		nonce[TQ_QUIC_IV_LEN - 1 - i] ^= (uint8_t)(pn >> (8 * i));
}

int
tq_quic_seal(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
		uint64_t pn, const uint8_t *hdr, size_t hdr_len,
		uint8_t *payload, size_t len)
{
	uint8_t nonce[TQ_QUIC_IV_LEN];
	int rc;

	/* RFC 9000 17.1: packet numbers are 62 bits. */
	if (pn >> 62 || len > 65535)
		return -EINVAL;
	make_nonce(a, pn, nonce);
	rc = a->ops->seal(a, w, nonce, hdr, hdr_len, payload, len);
	return rc < 0 ? rc : (int)(len + TQ_QUIC_TAG_LEN);
}

int
tq_quic_open(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
		uint64_t pn, const uint8_t *hdr, size_t hdr_len,
		uint8_t *payload, size_t len)
{
	uint8_t nonce[TQ_QUIC_IV_LEN];
	int rc;

	if (len < TQ_QUIC_TAG_LEN || len > 65535 + TQ_QUIC_TAG_LEN ||
			pn >> 62)
		return -EINVAL;
	make_nonce(a, pn, nonce);
	rc = a->ops->open(a, w, nonce, hdr, hdr_len, payload,
			len - TQ_QUIC_TAG_LEN);
	return rc < 0 ? rc : (int)(len - TQ_QUIC_TAG_LEN);
}

int
tq_quic_hp_mask(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
		const uint8_t *sample, uint8_t mask[TQ_QUIC_HP_MASK_LEN])
{
	int rc = a->ops->hp_mask(a, w, sample, mask);

	/* A caller that ignores the error must not send a header masked
	 * with zeros: that would expose the packet number bits. */
	if (rc < 0)
		memset(mask, 0xff, TQ_QUIC_HP_MASK_LEN);
	return rc;
}

/* RFC 9001 5.4.1: four bits of the first byte in a long header, five
 * in a short one. */
static inline uint8_t
first_byte_mask(uint8_t b0)
{
	return (b0 & 0x80) ? 0x0f : 0x1f;
}

int
tq_quic_hp_apply(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
		uint8_t *pkt, size_t pkt_len, size_t pn_off)
{
	uint8_t mask[TQ_QUIC_HP_MASK_LEN];
	unsigned int pn_len, i;
	int rc;

	/* RFC 9001 5.4.2: the sample starts 4 bytes past the packet
	 * number's start, whatever its length. */
	if (pn_off + 4 + TQ_QUIC_HP_SAMPLE_LEN > pkt_len || pn_off == 0)
		return -EINVAL;
	rc = a->ops->hp_mask(a, w, pkt + pn_off + 4, mask);
	if (rc < 0)
		return rc;
	pn_len = (pkt[0] & 0x03) + 1;
	pkt[0] ^= mask[0] & first_byte_mask(pkt[0]);
	for (i = 0; i < pn_len; i++)
		pkt[pn_off + i] ^= mask[1 + i];
	return 0;
}

int
tq_quic_hp_remove(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
		uint8_t *pkt, size_t pkt_len, size_t pn_off, uint64_t *pn)
{
	uint8_t mask[TQ_QUIC_HP_MASK_LEN];
	unsigned int pn_len, i;
	uint64_t v = 0;
	int rc;

	if (pn_off + 4 + TQ_QUIC_HP_SAMPLE_LEN > pkt_len || pn_off == 0)
		return -EINVAL;
	rc = a->ops->hp_mask(a, w, pkt + pn_off + 4, mask);
	if (rc < 0)
		return rc;
	pkt[0] ^= mask[0] & first_byte_mask(pkt[0]);
	pn_len = (pkt[0] & 0x03) + 1;
	for (i = 0; i < pn_len; i++) {
		pkt[pn_off + i] ^= mask[1 + i];
		v = (v << 8) | pkt[pn_off + i];
	}
	*pn = v;
	return (int)pn_len;
}

int
tq_quic_packet_seal(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
		uint8_t *pkt, size_t pn_off, uint64_t pn, size_t payload_len)
{
	size_t hdr_len = pn_off + (pkt[0] & 0x03) + 1;
	int rc;

	rc = tq_quic_seal(a, w, pn, pkt, hdr_len, pkt + hdr_len, payload_len);
	if (rc < 0)
		return rc;
	rc = tq_quic_hp_apply(a, w, pkt, hdr_len + (size_t)rc, pn_off);
	return rc < 0 ? rc : (int)(hdr_len + payload_len + TQ_QUIC_TAG_LEN);
}

int
tq_quic_packet_open(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
		uint8_t *pkt, size_t pkt_len, size_t pn_off, uint64_t largest,
		uint64_t *pn, size_t *payload_off)
{
	uint64_t trunc;
	size_t hdr_len;
	int pn_len;

	pn_len = tq_quic_hp_remove(a, w, pkt, pkt_len, pn_off, &trunc);
	if (pn_len < 0)
		return pn_len;
	hdr_len = pn_off + (size_t)pn_len;
	*pn = tq_quic_pn_decode(largest, trunc, (size_t)pn_len);
	*payload_off = hdr_len;
	return tq_quic_open(a, w, *pn, pkt, hdr_len, pkt + hdr_len,
			pkt_len - hdr_len);
}
