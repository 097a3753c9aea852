/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Address validation and stateless reset tokens
 * (engine/quic/tq_quic_token.c): round trips, and each way a token must
 * be refused: altered, another secret, another address, expired, from
 * the future, cut, oversized.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "quic/tq_quic_token.h"

static uint8_t secret[TQ_QUIC_TOKEN_SECRET_LEN];
static const uint8_t nonce[TQ_QUIC_TOKEN_NONCE_LEN] = { 1, 2, 3, 4, 5, 6,
	7, 8, 9, 10, 11, 12 };
static const uint8_t odcid[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51,
	0x57, 0x08 };

static struct tq_addr
a4(const char *s)
{
	struct tq_addr a = { .family = AF_INET };

	assert_int_equal(inet_pton(AF_INET, s, &a.v4), 1);
	return a;
}

static struct tq_addr
a6(const char *s)
{
	struct tq_addr a = { .family = AF_INET6 };

	assert_int_equal(inet_pton(AF_INET6, s, a.v6), 1);
	return a;
}

#define RETRY_AGE 10000ull		/* 10 s */
#define NEW_AGE 86400000ull		/* a day */

static void
round_trip(void **state)
{
	struct tq_quic_token_key *k;
	struct tq_addr c = a4("192.0.2.7"), c6 = a6("2001:db8::7");
	uint8_t tok[TQ_QUIC_TOKEN_MAX], got[20];
	enum tq_quic_token_kind kind;
	size_t glen = 0;
	int n;

	assert_int_equal(tq_quic_token_key_new(secret, &k), 0);
	n = tq_quic_token_make(k, TQ_QUIC_TOKEN_RETRY, &c, odcid,
			sizeof(odcid), 1000, nonce, tok, sizeof(tok));
	assert_int_equal(n, 12 + 27 + 8 + 16);
	assert_int_equal(tq_quic_token_check(k, tok, (size_t)n, &c, 1500,
			RETRY_AGE, NEW_AGE, &kind, got, &glen), 0);
	assert_int_equal(kind, TQ_QUIC_TOKEN_RETRY);
	assert_int_equal(glen, sizeof(odcid));
	assert_memory_equal(got, odcid, sizeof(odcid));

	n = tq_quic_token_make(k, TQ_QUIC_TOKEN_NEW, &c6, NULL, 0, 1000,
			nonce, tok, sizeof(tok));
	assert_true(n > 0);
	assert_int_equal(tq_quic_token_check(k, tok, (size_t)n, &c6,
			1000 + NEW_AGE, RETRY_AGE, NEW_AGE, &kind, got, &glen),
			0);
	assert_int_equal(kind, TQ_QUIC_TOKEN_NEW);
	assert_int_equal(glen, 0);
	tq_quic_token_key_free(k);
}

static void
refused(void **state)
{
	struct tq_quic_token_key *k, *k2;
	struct tq_addr c = a4("192.0.2.7");
	struct tq_addr other = a4("192.0.2.8"), c6 = a6("::ffff:192.0.2.7");
	uint8_t tok[TQ_QUIC_TOKEN_MAX], bad[TQ_QUIC_TOKEN_MAX + 8];
	uint8_t secret2[TQ_QUIC_TOKEN_SECRET_LEN];
	enum tq_quic_token_kind kind;
	size_t i;
	int n;

	assert_int_equal(tq_quic_token_key_new(secret, &k), 0);
	memset(secret2, 0x42, sizeof(secret2));
	assert_int_equal(tq_quic_token_key_new(secret2, &k2), 0);
	n = tq_quic_token_make(k, TQ_QUIC_TOKEN_RETRY, &c, odcid,
			sizeof(odcid), 50000, nonce, tok, sizeof(tok));
	assert_true(n > 0);
	/* Every byte altered, one bit at a time: never accepted. */
	for (i = 0; i < (size_t)n; i++) {
		memcpy(bad, tok, (size_t)n);
		bad[i] ^= 0x10;
		assert_int_equal(tq_quic_token_check(k, bad, (size_t)n, &c,
				50001, RETRY_AGE, NEW_AGE, &kind, NULL, NULL),
				-EBADMSG);
	}
	/* Every cut, and one byte too many. */
	for (i = 0; i < (size_t)n; i++)
		assert_int_equal(tq_quic_token_check(k, tok, i, &c, 50001,
				RETRY_AGE, NEW_AGE, &kind, NULL, NULL),
				-EBADMSG);
	memcpy(bad, tok, (size_t)n);
	bad[n] = 0;
	assert_int_equal(tq_quic_token_check(k, bad, (size_t)n + 1, &c,
			50001, RETRY_AGE, NEW_AGE, &kind, NULL, NULL),
			-EBADMSG);
	assert_int_equal(tq_quic_token_check(k2, tok, (size_t)n, &c, 50001,
			RETRY_AGE, NEW_AGE, &kind, NULL, NULL), -EBADMSG);
	kind = 0;
	assert_int_equal(tq_quic_token_check(k, tok, (size_t)n, &other,
			50001, RETRY_AGE, NEW_AGE, &kind, NULL, NULL), -EACCES);
	/* a genuine token refused still says its kind (the module drops a
	 * refused Retry token's Initial rather than retrying it again) */
	assert_int_equal(kind, TQ_QUIC_TOKEN_RETRY);
	/* An IPv4-mapped IPv6 address is another address. */
	assert_int_equal(tq_quic_token_check(k, tok, (size_t)n, &c6, 50001,
			RETRY_AGE, NEW_AGE, &kind, NULL, NULL), -EACCES);
	/* A Retry token lives RETRY_AGE, not NEW_AGE. */
	assert_int_equal(tq_quic_token_check(k, tok, (size_t)n, &c,
			50000 + RETRY_AGE, RETRY_AGE, NEW_AGE, &kind, NULL,
			NULL), 0);
	kind = 0;
	assert_int_equal(tq_quic_token_check(k, tok, (size_t)n, &c,
			50001 + RETRY_AGE, RETRY_AGE, NEW_AGE, &kind, NULL,
			NULL), -ETIMEDOUT);
	assert_int_equal(kind, TQ_QUIC_TOKEN_RETRY);
	assert_int_equal(tq_quic_token_check(k, tok, (size_t)n, &c, 49999,
			RETRY_AGE, NEW_AGE, &kind, NULL, NULL), -ETIMEDOUT);
	/* Making: too small, bad kind, a CID over 20 bytes. */
	assert_int_equal(tq_quic_token_make(k, TQ_QUIC_TOKEN_RETRY, &c, odcid,
			sizeof(odcid), 1, nonce, tok, 40), -EMSGSIZE);
	assert_int_equal(tq_quic_token_make(k, 3, &c, NULL, 0, 1, nonce, tok,
			sizeof(tok)), -EINVAL);
	assert_int_equal(tq_quic_token_make(k, TQ_QUIC_TOKEN_RETRY, &c, bad,
			21, 1, nonce, tok, sizeof(tok)), -EINVAL);
	tq_quic_token_key_free(k);
	tq_quic_token_key_free(k2);
}

/* Stateless reset tokens: the same for the same CID and secret (any
 * worker, any server sharing it), different otherwise. */
static void
reset_tokens(void **state)
{
	struct tq_quic_token_key *k, *k_again, *k2;
	uint8_t secret2[TQ_QUIC_TOKEN_SECRET_LEN];
	uint8_t t1[16], t2[16], t3[16], t4[16];

	assert_int_equal(tq_quic_token_key_new(secret, &k), 0);
	assert_int_equal(tq_quic_token_key_new(secret, &k_again), 0);
	memcpy(secret2, secret, sizeof(secret2));
	secret2[31] ^= 1;	/* the HMAC half only */
	assert_int_equal(tq_quic_token_key_new(secret2, &k2), 0);
	assert_int_equal(tq_quic_reset_token(k, odcid, 8, t1), 0);
	assert_int_equal(tq_quic_reset_token(k_again, odcid, 8, t2), 0);
	assert_memory_equal(t1, t2, 16);
	assert_int_equal(tq_quic_reset_token(k, odcid, 7, t3), 0);
	assert_memory_not_equal(t1, t3, 16);
	assert_int_equal(tq_quic_reset_token(k2, odcid, 8, t4), 0);
	assert_memory_not_equal(t1, t4, 16);
	tq_quic_token_key_free(k);
	tq_quic_token_key_free(k_again);
	tq_quic_token_key_free(k2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(refused),
		cmocka_unit_test(reset_tokens),
	};
	size_t i;

	for (i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(i * 7 + 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
