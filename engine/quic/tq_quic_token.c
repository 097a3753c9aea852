/* SPDX-License-Identifier: BSD-3-Clause */
#include "quic/tq_quic_token.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <rte_random.h>

#define TAG_LEN 16
#define PLAIN_FIXED (1 + 8 + 1 + 16 + 1)
#define CID_MAX 20

struct tq_quic_token_key {
	gnutls_aead_cipher_hd_t aead;
	/* The secret's second half keys the reset tokens' HMAC: the two
	 * uses never share key bytes. */
	uint8_t mac_key[16];
};

int
tq_quic_token_key_new(const uint8_t secret[TQ_QUIC_TOKEN_SECRET_LEN],
		struct tq_quic_token_key **out)
{
	struct tq_quic_token_key *k;
	gnutls_datum_t key;

	if (!secret || !out)
		return -EINVAL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	key.data = (unsigned char *)(uintptr_t)secret;
	key.size = 16;
	if (gnutls_aead_cipher_init(&k->aead, GNUTLS_CIPHER_AES_128_GCM,
			&key) < 0) {
		free(k);
		return -EIO;
	}
	memcpy(k->mac_key, secret + 16, sizeof(k->mac_key));
	*out = k;
	return 0;
}

void
tq_quic_token_key_free(struct tq_quic_token_key *k)
{
	if (!k)
		return;
	gnutls_aead_cipher_deinit(k->aead);
	memset(k->mac_key, 0, sizeof(k->mac_key));
	free(k);
}

static void
put_addr(uint8_t *p, const struct tq_addr *a)
{
	p[0] = a->family == AF_INET6 ? 6 : 4;
	memset(p + 1, 0, 16);
	if (a->family == AF_INET6)
		memcpy(p + 1, a->v6, 16);
	else
		memcpy(p + 1, &a->v4, 4);
}

int
tq_quic_token_make(struct tq_quic_token_key *k,
		enum tq_quic_token_kind kind, const struct tq_addr *client,
		const uint8_t *odcid, size_t odcid_len, uint64_t now_ms,
		const uint8_t *nonce, uint8_t *out, size_t cap)
{
	uint8_t plain[PLAIN_FIXED + CID_MAX];
	size_t plen, clen;
	unsigned int i;

	if (!k || !client || !nonce || !out ||
			(kind != TQ_QUIC_TOKEN_RETRY && kind != TQ_QUIC_TOKEN_NEW) ||
			odcid_len > CID_MAX || (odcid_len && !odcid) ||
			(client->family != AF_INET && client->family != AF_INET6))
		return -EINVAL;
	plen = PLAIN_FIXED + odcid_len;
	if (cap < TQ_QUIC_TOKEN_NONCE_LEN + plen + TAG_LEN)
		return -EMSGSIZE;
	plain[0] = (uint8_t)kind;
	for (i = 0; i < 8; i++)
		plain[1 + i] = (uint8_t)(now_ms >> (56 - 8 * i));
	put_addr(plain + 9, client);
	plain[26] = (uint8_t)odcid_len;
	if (odcid_len)
		memcpy(plain + 27, odcid, odcid_len);
	memcpy(out, nonce, TQ_QUIC_TOKEN_NONCE_LEN);
	clen = cap - TQ_QUIC_TOKEN_NONCE_LEN;
	if (gnutls_aead_cipher_encrypt(k->aead, nonce, TQ_QUIC_TOKEN_NONCE_LEN,
			NULL, 0, TAG_LEN, plain, plen,
			out + TQ_QUIC_TOKEN_NONCE_LEN, &clen) < 0)
		return -EIO;
	return (int)(TQ_QUIC_TOKEN_NONCE_LEN + clen);
}

int
tq_quic_token_check(struct tq_quic_token_key *k, const uint8_t *tok,
		size_t len, const struct tq_addr *client, uint64_t now_ms,
		uint64_t max_age_retry_ms, uint64_t max_age_new_ms,
		enum tq_quic_token_kind *kind, uint8_t *odcid,
		size_t *odcid_len)
{
	uint8_t plain[PLAIN_FIXED + CID_MAX + TAG_LEN];
	uint8_t addr[17];
	size_t plen = sizeof(plain);
	uint64_t issued = 0, max_age;
	unsigned int i;

	if (!k || !tok || !client || !kind)
		return -EINVAL;
	if (len < TQ_QUIC_TOKEN_NONCE_LEN + PLAIN_FIXED + TAG_LEN ||
			len > TQ_QUIC_TOKEN_MAX)
		return -EBADMSG;
	if (gnutls_aead_cipher_decrypt(k->aead, tok, TQ_QUIC_TOKEN_NONCE_LEN,
			NULL, 0, TAG_LEN, tok + TQ_QUIC_TOKEN_NONCE_LEN,
			len - TQ_QUIC_TOKEN_NONCE_LEN, plain, &plen) < 0)
		return -EBADMSG;
	if (plen < PLAIN_FIXED || plain[26] > CID_MAX ||
			plen != (size_t)PLAIN_FIXED + plain[26] ||
			(plain[0] != TQ_QUIC_TOKEN_RETRY &&
			 plain[0] != TQ_QUIC_TOKEN_NEW))
		return -EBADMSG;
	/* Genuine from here: the caller learns the kind even of a token it
	 * must refuse (a Retry token refused ends the attempt, 8.1.2). */
	*kind = (enum tq_quic_token_kind)plain[0];
	put_addr(addr, client);
	if (memcmp(addr, plain + 9, sizeof(addr)))
		return -EACCES;
	for (i = 0; i < 8; i++)
		issued = issued << 8 | plain[1 + i];
	max_age = plain[0] == TQ_QUIC_TOKEN_RETRY ? max_age_retry_ms :
		max_age_new_ms;
	if (issued > now_ms || now_ms - issued > max_age)
		return -ETIMEDOUT;
	if (odcid && odcid_len) {
		memcpy(odcid, plain + 27, plain[26]);
		*odcid_len = plain[26];
	}
	return 0;
}

int
tq_quic_reset_token(struct tq_quic_token_key *k, const uint8_t *cid,
		size_t len, uint8_t out[TQ_QUIC_RESET_TOKEN_LEN])
{
	uint8_t mac[32];

	if (!k || !cid || !out)
		return -EINVAL;
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, k->mac_key,
			sizeof(k->mac_key), cid, len, mac) < 0)
		return -EIO;
	memcpy(out, mac, TQ_QUIC_RESET_TOKEN_LEN);
	return 0;
}

int
tq_quic_reset_build(struct tq_quic_token_key *k, const uint8_t *cid,
		size_t cid_len, size_t dgram_len, uint8_t *buf, size_t cap)
{
	size_t n, i;
	int r;

	if (dgram_len < 22)
		return -EMSGSIZE;
	n = dgram_len - 1 < 41 ? dgram_len - 1 : 41;
	if (cap < n)
		return -EMSGSIZE;
	for (i = 0; i < n - TQ_QUIC_RESET_TOKEN_LEN; i++)
		buf[i] = (uint8_t)rte_rand();
	buf[0] = (uint8_t)((buf[0] & 0x3f) | 0x40);
	r = tq_quic_reset_token(k, cid, cid_len,
			buf + n - TQ_QUIC_RESET_TOKEN_LEN);
	return r < 0 ? r : (int)n;
}

/* Labels of the keys: a new use gets a new label, never an old one's. */
static const char *const secret_labels[] = {
	"tachyon quic address token",
	"tachyon quic stateless reset",
	"tachyon quic session ticket",
};

int
tq_quic_secret_derive(const uint8_t *secret, size_t len,
		uint8_t token_secret[TQ_QUIC_TOKEN_SECRET_LEN],
		uint8_t ticket_key[TQ_QUIC_TICKET_KEY_LEN])
{
	static const uint8_t salt_bytes[] = "tachyon quic secret v1";
	uint8_t prk[32];
	gnutls_datum_t ikm, salt, key, info;
	uint8_t *out[3];
	size_t out_len[3];
	unsigned int i;
	int rc = 0;

	if (!secret || len < TQ_QUIC_SECRET_MIN || !token_secret ||
			!ticket_key)
		return -EINVAL;
	ikm.data = (unsigned char *)(uintptr_t)secret;
	ikm.size = (unsigned int)len;
	salt.data = (unsigned char *)(uintptr_t)salt_bytes;
	salt.size = sizeof(salt_bytes) - 1;
	if (gnutls_hkdf_extract(GNUTLS_MAC_SHA256, &ikm, &salt, prk) < 0)
		return -EIO;
	out[0] = token_secret;
	out_len[0] = 16;
	out[1] = token_secret + 16;
	out_len[1] = TQ_QUIC_TOKEN_SECRET_LEN - 16;
	out[2] = ticket_key;
	out_len[2] = TQ_QUIC_TICKET_KEY_LEN;
	key.data = prk;
	key.size = sizeof(prk);
	for (i = 0; i < 3 && rc == 0; i++) {
		info.data = (unsigned char *)(uintptr_t)secret_labels[i];
		info.size = (unsigned int)strlen(secret_labels[i]);
		if (gnutls_hkdf_expand(GNUTLS_MAC_SHA256, &key, &info,
				out[i], out_len[i]) < 0)
			rc = -EIO;
	}
	gnutls_memset(prk, 0, sizeof(prk));
	return rc;
}

int
tq_quic_secret_read(const char *path, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;
	int fd;

	if (!path || !buf || cap == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			close(fd);
			return (int)r;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			uint8_t extra;

			r = read(fd, &extra, 1);
			close(fd);
			return r == 0 ? (int)n : -EFBIG;
		}
	}
	close(fd);
	return n < TQ_QUIC_SECRET_MIN ? -EMSGSIZE : (int)n;
}
