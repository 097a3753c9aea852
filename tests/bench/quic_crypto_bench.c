/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ns per operation of QUIC packet protection (engine/quic), for each
 * backend and cipher suite:
 *
 *   seal   tq_quic_seal() of a 1200-byte payload after a 20-byte header
 *   open   tq_quic_open() of the same (timed as seal + open, less seal:
 *          open decrypts in place, so each open needs a fresh seal)
 *   hp     tq_quic_hp_mask() of one 16-byte sample
 *
 * Each figure is the median of ROUNDS rounds; a round runs enough
 * iterations for about 40 ms.  Lives under tests/ because it uses the
 * engine's private header (bench/ programs see only the public API);
 * bench/quic-crypto/run.sh runs it.  JSON on stdout.
 *
 * Usage: quic_crypto_bench [rounds (7)] [payload bytes (1200)]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "quic/tq_quic_crypto.h"

#define ROUND_NS	40000000.0
#define MAX_ROUNDS	31

enum op { OP_SEAL, OP_PAIR, OP_HP };

static uint8_t buf[2048] __attribute__((aligned(64)));
static unsigned int payload_len = 1200;

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Time n iterations of op; ns per iteration. */
static double
run(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w, enum op op,
		unsigned long n)
{
	uint8_t *hdr = buf, *p = buf + 20, mask[TQ_QUIC_HP_MASK_LEN];
	uint8_t sample[16] = { 0 };
	volatile uint8_t sink = 0;
	double t0 = now_ns();
	unsigned long i;

	for (i = 0; i < n; i++) {
		switch (op) {
		case OP_SEAL:
			if (tq_quic_seal(a, w, i, hdr, 20, p, payload_len) < 0)
				abort();
			break;
		case OP_PAIR:
			if (tq_quic_seal(a, w, i, hdr, 20, p, payload_len) < 0 ||
					tq_quic_open(a, w, i, hdr, 20, p,
					payload_len + TQ_QUIC_TAG_LEN) < 0)
				abort();
			break;
		case OP_HP:
			sample[0] = (uint8_t)i;
			sample[5] = (uint8_t)(i >> 8);
			tq_quic_hp_mask(a, w, sample, mask);
			sink ^= mask[0];
			break;
		}
	}
	(void)sink;
	return (now_ns() - t0) / (double)n;
}

static int
cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

/* ROUNDS rounds of op, each about ROUND_NS long, into v (sorted). */
static void
measure(struct tq_quic_aead *a, struct tq_quic_crypto_worker *w, enum op op,
		unsigned int rounds, double *v)
{
	double per = run(a, w, op, 2000);	/* warm up and calibrate */
	unsigned long n = (unsigned long)(ROUND_NS / (per > 1 ? per : 1));

	if (n < 1000)
		n = 1000;
	for (unsigned int r = 0; r < rounds; r++)
		v[r] = run(a, w, op, n);
	qsort(v, rounds, sizeof(*v), cmp_double);
}

static void
print_result(int *first, const char *backend, const char *arch,
		enum tq_quic_cipher c, const char *op, unsigned int bytes,
		const double *v, unsigned int rounds)
{
	printf("%s\n    {\"backend\": \"%s\", \"arch\": \"%s\", "
		"\"cipher\": \"%s\", \"op\": \"%s\", \"bytes\": %u, "
		"\"ns_median\": %.1f, \"ns_min\": %.1f, \"ns_max\": %.1f, "
		"\"rounds_ns\": [", *first ? "" : ",", backend, arch,
		tq_quic_cipher_name(c), op, bytes, v[rounds / 2], v[0],
		v[rounds - 1]);
	for (unsigned int r = 0; r < rounds; r++)
		printf("%s%.1f", r ? ", " : "", v[r]);
	printf("]}");
	*first = 0;
}

int
main(int argc, char **argv)
{
	static const enum tq_quic_cipher ciphers[] = {
		TQ_QUIC_AES_128_GCM, TQ_QUIC_AES_256_GCM,
		TQ_QUIC_CHACHA20_POLY1305,
	};
	static const enum tq_quic_crypto_backend backends[] = {
		TQ_QUIC_CRYPTO_IPSECMB, TQ_QUIC_CRYPTO_GNUTLS,
	};
	unsigned int rounds = argc > 1 ? (unsigned int)atoi(argv[1]) : 7;
	uint8_t secret[TQ_QUIC_MAX_SECRET_LEN];
	double seal[MAX_ROUNDS], pair[MAX_ROUNDS], open[MAX_ROUNDS];
	double hp[MAX_ROUNDS];
	int first = 1;

	if (argc > 2)
		payload_len = (unsigned int)atoi(argv[2]);
	if (rounds < 1 || rounds > MAX_ROUNDS || payload_len < 1 ||
			payload_len + 20 + TQ_QUIC_TAG_LEN > sizeof(buf)) {
		fprintf(stderr, "usage: %s [rounds 1-%d] [payload bytes]\n",
			argv[0], MAX_ROUNDS);
		return 2;
	}
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7);
	for (size_t i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(i * 13 + 5);

	printf("{\"payload_bytes\": %u, \"header_bytes\": 20, \"rounds\": %u, "
		"\"results\": [", payload_len, rounds);
	for (unsigned int b = 0; b < 2; b++) {
		struct tq_quic_crypto_worker *w;

		if (tq_quic_crypto_worker_new(backends[b], &w) < 0) {
			fprintf(stderr, "backend %s not available\n",
				tq_quic_crypto_backend_name(backends[b]));
			continue;
		}
		for (unsigned int c = 0; c < 3; c++) {
			const char *bn = tq_quic_crypto_backend_name(backends[b]);
			const char *arch = tq_quic_crypto_worker_arch(w);
			struct tq_quic_aead *a;
			struct tq_quic_keys k;

			if (tq_quic_keys_derive(ciphers[c], secret,
					tq_quic_cipher_secret_len(ciphers[c]),
					&k) < 0 ||
					tq_quic_aead_new(w, &k, &a) < 0)
				return 1;
			measure(a, w, OP_SEAL, rounds, seal);
			measure(a, w, OP_PAIR, rounds, pair);
			measure(a, w, OP_HP, rounds, hp);
			/* open = (seal + open) - seal, round by round of
			 * the sorted lists: medians subtract cleanly. */
			for (unsigned int r = 0; r < rounds; r++)
				open[r] = pair[r] - seal[r];
			qsort(open, rounds, sizeof(*open), cmp_double);
			print_result(&first, bn, arch, ciphers[c], "seal",
				payload_len, seal, rounds);
			print_result(&first, bn, arch, ciphers[c], "open",
				payload_len, open, rounds);
			print_result(&first, bn, arch, ciphers[c], "hp_mask",
				16, hp, rounds);
			tq_quic_aead_free(a);
		}
		tq_quic_crypto_worker_free(w);
	}
	printf("\n]}\n");
	return 0;
}
