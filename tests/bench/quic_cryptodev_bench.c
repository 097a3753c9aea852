/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Does DPDK's cryptodev add anything over calling intel-ipsec-mb
 * directly (engine/quic/tq_quic_crypto_imb.c)?  The same AES-GCM seal
 * and open of a 1200-byte payload after a 20-byte header, through the
 * crypto_aesni_gcm vdev (DPDK's ipsec-mb PMD) with synchronous CPU
 * crypto (rte_cryptodev_sym_cpu_crypto_process, experimental), one
 * packet a call as a QUIC sender has them, and 32 a call (per packet)
 * as a batching receiver could.  The first sealed packet is checked
 * against tq_quic_seal() of the ipsec-mb backend, byte for byte.
 *
 * Usage: quic_cryptodev_bench [rounds (7)]; JSON on stdout.  Starts an
 * EAL with --no-huge and a vdev, no port; run by bench/quic-crypto/run.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cryptodev.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include "quic/tq_quic_crypto.h"

#define PAYLOAD		1200
#define HDR		20
#define BURST		32
#define ROUND_NS	40000000.0
#define MAX_ROUNDS	31

static uint8_t pkts[BURST][HDR + PAYLOAD + TQ_QUIC_TAG_LEN]
	__attribute__((aligned(64)));

struct job {
	uint8_t dev;
	void *sess;
	const uint8_t *iv;
	unsigned int num;
	struct rte_crypto_vec seg[BURST];
	struct rte_crypto_sgl sgl[BURST];
	struct rte_crypto_va_iova_ptr ivp[BURST], aad[BURST], dig[BURST];
	uint8_t nonce[BURST][16];
	int32_t status[BURST];
	struct rte_crypto_sym_vec vec;
};

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void
job_init(struct job *j, uint8_t dev, void *sess, const uint8_t *iv,
		unsigned int num)
{
	memset(j, 0, sizeof(*j));
	j->dev = dev;
	j->sess = sess;
	j->iv = iv;
	j->num = num;
	for (unsigned int i = 0; i < num; i++) {
		j->seg[i].base = pkts[i] + HDR;
		j->seg[i].len = PAYLOAD;
		j->sgl[i].vec = &j->seg[i];
		j->sgl[i].num = 1;
		j->ivp[i].va = j->nonce[i];
		j->aad[i].va = pkts[i];
		j->dig[i].va = pkts[i] + HDR + PAYLOAD;
	}
	j->vec.num = num;
	j->vec.src_sgl = j->sgl;
	j->vec.iv = j->ivp;
	j->vec.aad = j->aad;
	j->vec.digest = j->dig;
	j->vec.status = j->status;
}

/* One call over j->num packets, packet numbers from pn; the nonce is
 * made per packet as the engine's seal does. */
static void
job_run(struct job *j, uint64_t pn)
{
	union rte_crypto_sym_ofs ofs = { .raw = 0 };

	for (unsigned int i = 0; i < j->num; i++) {
		memcpy(j->nonce[i], j->iv, TQ_QUIC_IV_LEN);
		for (unsigned int b = 0; b < 8; b++)
			j->nonce[i][11 - b] ^= (uint8_t)((pn + i) >> (8 * b));
	}
	if (rte_cryptodev_sym_cpu_crypto_process(j->dev, j->sess, ofs,
			&j->vec) != j->num) {
		fprintf(stderr, "cpu_crypto_process failed\n");
		exit(1);
	}
}

static int
cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

/* ns per packet: seal only (enc), or seal then open (pair). */
static double
run(struct job *enc, struct job *dec, unsigned long n)
{
	double t0 = now_ns();

	for (unsigned long i = 0; i < n; i++) {
		job_run(enc, i * enc->num);
		if (dec)
			job_run(dec, i * enc->num);
	}
	return (now_ns() - t0) / (double)(n * enc->num);
}

static void
measure(struct job *enc, struct job *dec, unsigned int rounds, double *v)
{
	double per = run(enc, dec, 200) * enc->num;
	unsigned long n = (unsigned long)(ROUND_NS / (per > 1 ? per : 1));

	if (n < 100)
		n = 100;
	for (unsigned int r = 0; r < rounds; r++)
		v[r] = run(enc, dec, n);
	qsort(v, rounds, sizeof(*v), cmp_double);
}

static void *
session(uint8_t dev, struct rte_mempool *mp, enum rte_crypto_aead_operation op,
		const struct tq_quic_keys *k)
{
	struct rte_crypto_sym_xform x = {
		.type = RTE_CRYPTO_SYM_XFORM_AEAD,
		.aead = {
			.op = op,
			.algo = RTE_CRYPTO_AEAD_AES_GCM,
			.key = {
				.data = k->key,
				.length = (uint16_t)tq_quic_cipher_key_len(k->cipher),
			},
			.iv = { .offset = 0, .length = TQ_QUIC_IV_LEN },
			.digest_length = TQ_QUIC_TAG_LEN,
			.aad_length = HDR,
		},
	};

	return rte_cryptodev_sym_session_create(dev, &x, mp);
}

int
main(int argc, char **argv)
{
	static const enum tq_quic_cipher ciphers[] = {
		TQ_QUIC_AES_128_GCM, TQ_QUIC_AES_256_GCM,
	};
	char *eal[] = {
		argv[0], "-l", "0", "--no-huge", "-m", "128", "--no-pci",
		"--vdev", "crypto_aesni_gcm0", "--file-prefix", "tqcdb",
		"--log-level", "error", "--no-telemetry",
	};
	unsigned int rounds = argc > 1 ? (unsigned int)atoi(argv[1]) : 7;
	struct rte_cryptodev_config conf = {
		.socket_id = SOCKET_ID_ANY, .nb_queue_pairs = 1,
	};
	struct rte_cryptodev_qp_conf qp = { .nb_descriptors = 128 };
	static struct job enc, dec;
	uint8_t secret[TQ_QUIC_MAX_SECRET_LEN];
	struct tq_quic_crypto_worker *w;
	double v[MAX_ROUNDS];
	struct rte_mempool *mp;
	int dev, first = 1;

	if (rounds < 1 || rounds > MAX_ROUNDS)
		return 2;
	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	dev = rte_cryptodev_get_dev_id("crypto_aesni_gcm0");
	if (dev < 0) {
		fprintf(stderr, "no crypto_aesni_gcm0\n");
		return 1;
	}
	mp = rte_cryptodev_sym_session_pool_create("tqcdb_sess", 16,
			rte_cryptodev_sym_get_private_session_size((uint8_t)dev),
			0, 0, SOCKET_ID_ANY);
	qp.mp_session = mp;
	if (!mp || rte_cryptodev_configure((uint8_t)dev, &conf) < 0 ||
			rte_cryptodev_queue_pair_setup((uint8_t)dev, 0, &qp,
				SOCKET_ID_ANY) < 0 ||
			rte_cryptodev_start((uint8_t)dev) < 0) {
		fprintf(stderr, "cryptodev setup failed\n");
		return 1;
	}
	if (tq_quic_crypto_worker_new(TQ_QUIC_CRYPTO_IPSECMB, &w) < 0)
		return 1;
	for (size_t i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(i * 13 + 5);

	printf("{\"device\": \"crypto_aesni_gcm0\", \"payload_bytes\": %d, "
		"\"header_bytes\": %d, \"rounds\": %u, \"results\": [",
		PAYLOAD, HDR, rounds);
	for (unsigned int c = 0; c < 2; c++) {
		uint8_t ref[HDR + PAYLOAD + TQ_QUIC_TAG_LEN];
		struct tq_quic_aead *a;
		struct tq_quic_keys k;
		void *se, *sd;

		if (tq_quic_keys_derive(ciphers[c], secret,
				tq_quic_cipher_secret_len(ciphers[c]), &k) < 0 ||
				tq_quic_aead_new(w, &k, &a) < 0)
			return 1;
		se = session((uint8_t)dev, mp, RTE_CRYPTO_AEAD_OP_ENCRYPT, &k);
		sd = session((uint8_t)dev, mp, RTE_CRYPTO_AEAD_OP_DECRYPT, &k);
		if (!se || !sd) {
			fprintf(stderr, "session create failed\n");
			return 1;
		}
		for (unsigned int i = 0; i < BURST; i++)
			for (unsigned int b = 0; b < sizeof(pkts[i]); b++)
				pkts[i][b] = (uint8_t)(b * 7 + i);
		/* Same bytes as the direct call, or the comparison is off. */
		memcpy(ref, pkts[0], sizeof(ref));
		tq_quic_seal(a, w, 0, ref, HDR, ref + HDR, PAYLOAD);
		job_init(&enc, (uint8_t)dev, se, k.iv, 1);
		job_run(&enc, 0);
		if (memcmp(ref, pkts[0], sizeof(ref)) != 0) {
			fprintf(stderr, "cryptodev and ipsec-mb disagree\n");
			return 1;
		}
		for (unsigned int burst = 1; burst <= BURST; burst += BURST - 1) {
			double seal_med, pair_med;

			job_init(&enc, (uint8_t)dev, se, k.iv, burst);
			job_init(&dec, (uint8_t)dev, sd, k.iv, burst);
			measure(&enc, NULL, rounds, v);
			seal_med = v[rounds / 2];
			printf("%s\n    {\"path\": \"cryptodev\", \"cipher\": \"%s\", "
				"\"op\": \"seal\", \"burst\": %u, "
				"\"ns_median\": %.1f, \"ns_min\": %.1f, "
				"\"ns_max\": %.1f}", first ? "" : ",",
				tq_quic_cipher_name(ciphers[c]), burst,
				seal_med, v[0], v[rounds - 1]);
			first = 0;
			measure(&enc, &dec, rounds, v);
			pair_med = v[rounds / 2];
			printf(",\n    {\"path\": \"cryptodev\", \"cipher\": \"%s\", "
				"\"op\": \"open\", \"burst\": %u, "
				"\"ns_median\": %.1f}",
				tq_quic_cipher_name(ciphers[c]), burst,
				pair_med - seal_med);
		}
		tq_quic_aead_free(a);
	}
	printf("\n]}\n");
	tq_quic_crypto_worker_free(w);
	rte_cryptodev_stop((uint8_t)dev);
	rte_eal_cleanup();
	return 0;
}
