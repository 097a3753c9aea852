/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC's key schedule (RFC 9001 5.1, 5.2, 6.1) over GnuTLS's HKDF:
 * HKDF-Expand-Label from TLS 1.3 written out here, since GnuTLS does not
 * export its own.  Control path only (once per key), so GnuTLS's speed
 * does not matter here; it reproduces RFC 9001 Appendix A exactly.
 */
#include <errno.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "quic/tq_quic_crypto.h"

/* RFC 9001 5.2: the QUIC v1 Initial salt. */
static const uint8_t initial_salt_v1[20] = {
	0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
};

/* RFC 8446 7.1: "tls13 " + label, at most 255 bytes; ours are short. */
#define LABEL_PREFIX	"tls13 "
#define MAX_LABEL	32

size_t
tq_quic_cipher_key_len(enum tq_quic_cipher c)
{
	return c == TQ_QUIC_AES_128_GCM ? 16 : 32;
}

size_t
tq_quic_cipher_secret_len(enum tq_quic_cipher c)
{
	return c == TQ_QUIC_AES_256_GCM ? 48 : 32;
}

const char *
tq_quic_cipher_name(enum tq_quic_cipher c)
{
	switch (c) {
	case TQ_QUIC_AES_128_GCM:
		return "aes-128-gcm";
	case TQ_QUIC_AES_256_GCM:
		return "aes-256-gcm";
	case TQ_QUIC_CHACHA20_POLY1305:
		return "chacha20-poly1305";
	}
	return "?";
}

int
tq_quic_cipher_from_gnutls(int gnutls_cipher, enum tq_quic_cipher *c)
{
	switch (gnutls_cipher) {
	case GNUTLS_CIPHER_AES_128_GCM:
		*c = TQ_QUIC_AES_128_GCM;
		return 0;
	case GNUTLS_CIPHER_AES_256_GCM:
		*c = TQ_QUIC_AES_256_GCM;
		return 0;
	case GNUTLS_CIPHER_CHACHA20_POLY1305:
		*c = TQ_QUIC_CHACHA20_POLY1305;
		return 0;
	default:
		/* AES-CCM suites are allowed by RFC 9001 but not offered. */
		return -ENOTSUP;
	}
}

static gnutls_mac_algorithm_t
cipher_mac(enum tq_quic_cipher c)
{
	return c == TQ_QUIC_AES_256_GCM ? GNUTLS_MAC_SHA384 : GNUTLS_MAC_SHA256;
}

void
tq_quic_wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;

	while (n--)
		*v++ = 0;
}

static int
expand_label(gnutls_mac_algorithm_t mac, const uint8_t *secret,
		size_t secret_len, const char *label, uint8_t *out,
		size_t out_len)
{
	uint8_t info[2 + 1 + sizeof(LABEL_PREFIX) - 1 + MAX_LABEL + 1];
	size_t llen = strlen(label);
	size_t plen = sizeof(LABEL_PREFIX) - 1;
	gnutls_datum_t key, inf;
	size_t n = 0;

	if (llen > MAX_LABEL || out_len == 0 || out_len > 255 * 64)
		return -EINVAL;
	/* struct HkdfLabel: uint16 length, opaque label<7..255>,
	 * opaque context<0..255> (empty). */
	info[n++] = (uint8_t)(out_len >> 8);
	info[n++] = (uint8_t)out_len;
	info[n++] = (uint8_t)(plen + llen);
	memcpy(info + n, LABEL_PREFIX, plen);
	n += plen;
	memcpy(info + n, label, llen);
	n += llen;
	info[n++] = 0;

	key.data = (unsigned char *)(uintptr_t)secret;
	key.size = (unsigned int)secret_len;
	inf.data = info;
	inf.size = (unsigned int)n;
	if (gnutls_hkdf_expand(mac, &key, &inf, out, out_len) < 0)
		return -EIO;
	return 0;
}

int
tq_quic_hkdf_expand_label(enum tq_quic_cipher c, const uint8_t *secret,
		size_t secret_len, const char *label, uint8_t *out,
		size_t out_len)
{
	if (secret_len != tq_quic_cipher_secret_len(c))
		return -EINVAL;
	return expand_label(cipher_mac(c), secret, secret_len, label, out,
			out_len);
}

int
tq_quic_initial_secrets(const uint8_t *dcid, size_t dcid_len,
		uint8_t client[TQ_QUIC_INITIAL_SECRET_LEN],
		uint8_t server[TQ_QUIC_INITIAL_SECRET_LEN])
{
	uint8_t initial[TQ_QUIC_INITIAL_SECRET_LEN];
	gnutls_datum_t ikm, salt;
	int rc = 0;

	/* RFC 9000 17.2: a connection ID is at most 20 bytes in v1. */
	if (dcid_len > 20 || (dcid_len && !dcid))
		return -EINVAL;
	ikm.data = (unsigned char *)(uintptr_t)dcid;
	ikm.size = (unsigned int)dcid_len;
	salt.data = (unsigned char *)(uintptr_t)initial_salt_v1;
	salt.size = sizeof(initial_salt_v1);
	if (gnutls_hkdf_extract(GNUTLS_MAC_SHA256, &ikm, &salt, initial) < 0)
		return -EIO;
	if (client)
		rc = expand_label(GNUTLS_MAC_SHA256, initial, sizeof(initial),
				"client in", client, TQ_QUIC_INITIAL_SECRET_LEN);
	if (rc == 0 && server)
		rc = expand_label(GNUTLS_MAC_SHA256, initial, sizeof(initial),
				"server in", server, TQ_QUIC_INITIAL_SECRET_LEN);
	tq_quic_wipe(initial, sizeof(initial));
	return rc;
}

int
tq_quic_keys_derive(enum tq_quic_cipher c, const uint8_t *secret,
		size_t secret_len, struct tq_quic_keys *k)
{
	size_t klen = tq_quic_cipher_key_len(c);
	int rc;

	if (c > TQ_QUIC_CHACHA20_POLY1305 ||
			secret_len != tq_quic_cipher_secret_len(c))
		return -EINVAL;
	memset(k, 0, sizeof(*k));
	k->cipher = c;
	rc = tq_quic_hkdf_expand_label(c, secret, secret_len, "quic key",
			k->key, klen);
	if (rc == 0)
		rc = tq_quic_hkdf_expand_label(c, secret, secret_len,
				"quic iv", k->iv, TQ_QUIC_IV_LEN);
	/* RFC 9001 5.4: the hp key is as long as the AEAD key. */
	if (rc == 0)
		rc = tq_quic_hkdf_expand_label(c, secret, secret_len,
				"quic hp", k->hp, klen);
	if (rc < 0)
		tq_quic_wipe(k, sizeof(*k));
	return rc;
}

int
tq_quic_key_update(enum tq_quic_cipher c, const uint8_t *secret,
		size_t secret_len, uint8_t *next)
{
	/* RFC 9001 6.1: same hash, same length as the current secret. */
	return tq_quic_hkdf_expand_label(c, secret, secret_len, "quic ku",
			next, secret_len);
}

int
tq_quic_keys_next(const struct tq_quic_keys *cur, const uint8_t *secret,
		size_t secret_len, uint8_t *next_secret,
		struct tq_quic_keys *next)
{
	uint8_t hp[TQ_QUIC_MAX_KEY_LEN];
	enum tq_quic_cipher c = cur->cipher;
	int rc;

	memcpy(hp, cur->hp, sizeof(hp));
	rc = tq_quic_key_update(c, secret, secret_len, next_secret);
	if (rc == 0)
		rc = tq_quic_keys_derive(c, next_secret, secret_len, next);
	if (rc == 0)
		memcpy(next->hp, hp, sizeof(hp));
	tq_quic_wipe(hp, sizeof(hp));
	return rc;
}
