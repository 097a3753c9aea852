/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The intel-ipsec-mb backend of QUIC packet protection, the default:
 * AES-GCM and ChaCha20-Poly1305 through the library's direct (one-shot)
 * API, which does not queue, so one packet costs one call.  Measured
 * here at about the speed of DPDK's cryptodev on the same library
 * (crypto_aesni_gcm's synchronous CPU crypto calls these functions
 * underneath), without a device to configure: see docs/quic-crypto.md.
 *
 * An IMB_MGR is not thread safe, so each worker has its own and passes
 * it in; a context keeps only expanded keys, read-only after setup, so
 * any worker's manager can use it.
 *
 * Header protection: AES-128 as CFB of one block over zeros (dst =
 * E(sample) ^ 0), a direct call; AES-256 has no direct one-block call in
 * 1.3, so one ECB job.  Both cost about what GnuTLS's CBC block does
 * (20-30 ns, a single AES block's latency plus a call); running the
 * block with AES-NI intrinsics here gained 3-7 ns, not worth the code.
 * ChaCha20 through chacha20_block() below, since the library's ChaCha20
 * starts at block 0 and RFC 9001 5.4.4 takes the block counter from
 * the sample.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>

#include "quic/tq_quic_crypto_priv.h"

#define AES_EXP_KEY_LEN	(16 * 15)	/* AES-256's 15 round keys */

struct imb_aead {
	struct tq_quic_aead base;	/* first: the front casts */
	/* The header aligns gcm_key_data only when LINUX is defined; the
	 * library's aligned loads need it either way. */
	union {
		struct gcm_key_data gcm;
		uint8_t chacha[32];
	} k __attribute__((aligned(64)));
	uint8_t hp_exp[AES_EXP_KEY_LEN] __attribute__((aligned(16)));
	uint8_t hp_key[32];		/* ChaCha20 */
};

static const uint8_t zero16[16];

static const char *
arch_name(IMB_ARCH arch)
{
	switch (arch) {
	case IMB_ARCH_NOAESNI:
		return "ipsecmb-noaesni";
	case IMB_ARCH_SSE:
		return "ipsecmb-sse";
	case IMB_ARCH_AVX:
		return "ipsecmb-avx";
	case IMB_ARCH_AVX2:
		return "ipsecmb-avx2";
	case IMB_ARCH_AVX512:
		return "ipsecmb-avx512";
	default:
		return "ipsecmb";
	}
}

int
tq_quic_imb_worker_init(struct tq_quic_crypto_worker *w)
{
	IMB_ARCH arch = IMB_ARCH_NONE;
	IMB_MGR *m;

	m = alloc_mb_mgr(0);
	if (!m)
		return -ENOMEM;
	/* The best code path this CPU has (AVX-512 with VAES here). */
	init_mb_mgr_auto(m, &arch);
	if (imb_get_errno(m) != 0 || arch == IMB_ARCH_NONE ||
			!m->gcm128_enc || !m->chacha20_poly1305_init) {
		free_mb_mgr(m);
		return -ENOTSUP;
	}
	w->mgr = m;
	w->arch = arch_name(arch);
	return 0;
}

void
tq_quic_imb_worker_fini(struct tq_quic_crypto_worker *w)
{
	if (w->mgr)
		free_mb_mgr(w->mgr);
	w->mgr = NULL;
}

/* Constant time, so a forger learns nothing from how long a reject
 * takes. */
static int
tag_differs(const uint8_t *a, const uint8_t *b)
{
	uint8_t d = 0;
	unsigned int i;

	for (i = 0; i < TQ_QUIC_TAG_LEN; i++)
		d |= a[i] ^ b[i];
	return d != 0;
}

static int
imb_seal(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
		const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
		uint8_t *p, size_t len)
{
	struct imb_aead *c = (struct imb_aead *)a;
	IMB_MGR *m = w->mgr;

	switch (a->cipher) {
	case TQ_QUIC_AES_128_GCM: {
		struct gcm_context_data ctx;

		IMB_AES128_GCM_ENC(m, &c->k.gcm, &ctx, p, p, len, nonce, aad,
				aad_len, p + len, TQ_QUIC_TAG_LEN);
		break;
	}
	case TQ_QUIC_AES_256_GCM: {
		struct gcm_context_data ctx;

		IMB_AES256_GCM_ENC(m, &c->k.gcm, &ctx, p, p, len, nonce, aad,
				aad_len, p + len, TQ_QUIC_TAG_LEN);
		break;
	}
	case TQ_QUIC_CHACHA20_POLY1305: {
		struct chacha20_poly1305_context_data ctx;

		IMB_CHACHA20_POLY1305_INIT(m, c->k.chacha, &ctx, nonce, aad,
				aad_len);
		IMB_CHACHA20_POLY1305_ENC_UPDATE(m, c->k.chacha, &ctx, p, p,
				len);
		IMB_CHACHA20_POLY1305_ENC_FINALIZE(m, &ctx, p + len,
				TQ_QUIC_TAG_LEN);
		break;
	}
	}
	return 0;
}

static int
imb_open(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
		const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
		uint8_t *p, size_t len)
{
	struct imb_aead *c = (struct imb_aead *)a;
	uint8_t tag[TQ_QUIC_TAG_LEN];
	IMB_MGR *m = w->mgr;

	/* The one-shot calls decrypt and compute the tag in one pass; the
	 * plaintext is garbage if the tags differ, and the caller drops
	 * the packet. */
	switch (a->cipher) {
	case TQ_QUIC_AES_128_GCM: {
		struct gcm_context_data ctx;

		IMB_AES128_GCM_DEC(m, &c->k.gcm, &ctx, p, p, len, nonce, aad,
				aad_len, tag, TQ_QUIC_TAG_LEN);
		break;
	}
	case TQ_QUIC_AES_256_GCM: {
		struct gcm_context_data ctx;

		IMB_AES256_GCM_DEC(m, &c->k.gcm, &ctx, p, p, len, nonce, aad,
				aad_len, tag, TQ_QUIC_TAG_LEN);
		break;
	}
	case TQ_QUIC_CHACHA20_POLY1305: {
		struct chacha20_poly1305_context_data ctx;

		IMB_CHACHA20_POLY1305_INIT(m, c->k.chacha, &ctx, nonce, aad,
				aad_len);
		IMB_CHACHA20_POLY1305_DEC_UPDATE(m, c->k.chacha, &ctx, p, p,
				len);
		IMB_CHACHA20_POLY1305_DEC_FINALIZE(m, &ctx, tag,
				TQ_QUIC_TAG_LEN);
		break;
	}
	}
	return tag_differs(tag, p + len) ? -EBADMSG : 0;
}

/* RFC 8439 2.1-2.3, for ipsec-mb's header protection: its ChaCha20
 * always starts at block 0, and QUIC needs the block the sample names.
 * Plain C: one block is a latency-bound chain, and the four independent
 * quarter rounds of each round keep the scalar units busier than one
 * SSE2 row-per-register version did (119 against 224 ns side by side;
 * 84 ns on an idle machine). */
#define ROTL32(v, n) (((v) << (n)) | ((v) >> (32 - (n))))
#define QR(a, b, c, d) do { \
	a += b; d ^= a; d = ROTL32(d, 16); \
	c += d; b ^= c; b = ROTL32(b, 12); \
	a += b; d ^= a; d = ROTL32(d, 8); \
	c += d; b ^= c; b = ROTL32(b, 7); \
} while (0)

static inline uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		(uint32_t)p[3] << 24;
}

static void
chacha20_block(const uint8_t *key, uint32_t counter,
		const uint8_t *nonce, uint8_t *out, size_t n)
{
	uint32_t in[16], x[16];
	unsigned int i;

	in[0] = 0x61707865;
	in[1] = 0x3320646e;
	in[2] = 0x79622d32;
	in[3] = 0x6b206574;
	for (i = 0; i < 8; i++)
		in[4 + i] = le32(key + 4 * i);
	in[12] = counter;
	in[13] = le32(nonce);
	in[14] = le32(nonce + 4);
	in[15] = le32(nonce + 8);
	memcpy(x, in, sizeof(x));
	for (i = 0; i < 10; i++) {
		QR(x[0], x[4], x[8], x[12]);
		QR(x[1], x[5], x[9], x[13]);
		QR(x[2], x[6], x[10], x[14]);
		QR(x[3], x[7], x[11], x[15]);
		QR(x[0], x[5], x[10], x[15]);
		QR(x[1], x[6], x[11], x[12]);
		QR(x[2], x[7], x[8], x[13]);
		QR(x[3], x[4], x[9], x[14]);
	}
	for (i = 0; i < n && i < 64; i++)
		out[i] = (uint8_t)((x[i / 4] + in[i / 4]) >> (8 * (i % 4)));
}

static int
imb_hp_mask(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w,
		const uint8_t *sample, uint8_t *mask)
{
	struct imb_aead *c = (struct imb_aead *)a;
	uint8_t block[16];
	IMB_MGR *m = w->mgr;
	IMB_JOB *job;

	switch (a->cipher) {
	case TQ_QUIC_AES_128_GCM:
		IMB_AES128_CFB_ONE(m, block, zero16, sample, c->hp_exp, 16);
		break;
	case TQ_QUIC_AES_256_GCM:
		job = IMB_GET_NEXT_JOB(m);
		job->cipher_mode = IMB_CIPHER_ECB;
		job->cipher_direction = IMB_DIR_ENCRYPT;
		job->chain_order = IMB_ORDER_CIPHER_HASH;
		job->hash_alg = IMB_AUTH_NULL;
		job->enc_keys = c->hp_exp;
		job->dec_keys = c->hp_exp;
		job->key_len_in_bytes = IMB_KEY_256_BYTES;
		job->src = sample;
		job->dst = block;
		job->cipher_start_src_offset_in_bytes = 0;
		job->msg_len_to_cipher_in_bytes = 16;
		job->iv = zero16;
		job->iv_len_in_bytes = 0;
		job = IMB_SUBMIT_JOB(m);
		if (!job)
			job = IMB_FLUSH_JOB(m);
		/* Only ECB jobs go through this manager's queue, and ECB
		 * completes on submit, so the job back is ours. */
		if (!job || job->status != IMB_STATUS_COMPLETED ||
				job->dst != block)
			return -EIO;
		break;
	case TQ_QUIC_CHACHA20_POLY1305:
		/* Counter: sample[0..3] little-endian; nonce: the rest. */
		chacha20_block(c->hp_key, (uint32_t)sample[0] |
				(uint32_t)sample[1] << 8 |
				(uint32_t)sample[2] << 16 |
				(uint32_t)sample[3] << 24, sample + 4, mask,
				TQ_QUIC_HP_MASK_LEN);
		return 0;
	}
	memcpy(mask, block, TQ_QUIC_HP_MASK_LEN);
	return 0;
}

static void
imb_free(struct tq_quic_aead *a)
{
	tq_quic_wipe(a, sizeof(struct imb_aead));
	free(a);
}

static const struct tq_quic_aead_ops imb_ops = {
	.seal = imb_seal,
	.open = imb_open,
	.hp_mask = imb_hp_mask,
	.free = imb_free,
};

int
tq_quic_imb_aead_new(struct tq_quic_crypto_worker *w,
		const struct tq_quic_keys *k, struct tq_quic_aead **out)
{
	uint8_t dec_exp[AES_EXP_KEY_LEN] __attribute__((aligned(16)));
	IMB_MGR *m = w->mgr;
	struct imb_aead *c;
	void *mem;

	if (posix_memalign(&mem, 64, sizeof(*c)) != 0)
		return -ENOMEM;
	c = mem;
	memset(c, 0, sizeof(*c));
	c->base.ops = &imb_ops;
	switch (k->cipher) {
	case TQ_QUIC_AES_128_GCM:
		IMB_AES128_GCM_PRE(m, k->key, &c->k.gcm);
		IMB_AES_KEYEXP_128(m, k->hp, c->hp_exp, dec_exp);
		break;
	case TQ_QUIC_AES_256_GCM:
		IMB_AES256_GCM_PRE(m, k->key, &c->k.gcm);
		IMB_AES_KEYEXP_256(m, k->hp, c->hp_exp, dec_exp);
		break;
	case TQ_QUIC_CHACHA20_POLY1305:
		memcpy(c->k.chacha, k->key, 32);
		memcpy(c->hp_key, k->hp, 32);
		break;
	}
	tq_quic_wipe(dec_exp, sizeof(dec_exp));
	*out = &c->base;
	return 0;
}
