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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

/* A secret file as --quic-secret reads it. */
static int
secret_file(const uint8_t *b, size_t n, char *path)
{
	FILE *f;

	strcpy(path, "/tmp/tq_quic_secret_XXXXXX");
	assert_true(mkstemp(path) >= 0);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	return 0;
}

/*
 * --quic-secret: the same file gives the same keys (a restarted server
 * or a sibling accepts the tokens, reset tokens and tickets of the
 * first); another gives others; the three keys differ from each other;
 * a short or missing file is refused.
 */
static void
configured_secret(void **state)
{
	uint8_t file[48], other[48], buf[TQ_QUIC_SECRET_MAX];
	uint8_t ts1[TQ_QUIC_TOKEN_SECRET_LEN], ts2[TQ_QUIC_TOKEN_SECRET_LEN];
	uint8_t ts3[TQ_QUIC_TOKEN_SECRET_LEN];
	uint8_t tk1[TQ_QUIC_TICKET_KEY_LEN], tk2[TQ_QUIC_TICKET_KEY_LEN];
	uint8_t tk3[TQ_QUIC_TICKET_KEY_LEN];
	uint8_t tok[TQ_QUIC_TOKEN_MAX], r1[16], r2[16], r3[16];
	struct tq_quic_token_key *k1, *k2, *k3;
	struct tq_addr c = a4("192.0.2.9");
	enum tq_quic_token_kind kind;
	char path[64];
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof(file); i++)
		file[i] = (uint8_t)(i * 31 + 3);
	memcpy(other, file, sizeof(other));
	other[47] ^= 0x80;

	/* read back what was written; refused when short or missing */
	secret_file(file, sizeof(file), path);
	assert_int_equal(tq_quic_secret_read(path, buf, sizeof(buf)), 48);
	assert_memory_equal(buf, file, sizeof(file));
	assert_int_equal(tq_quic_secret_read(path, buf, 40), -EFBIG);
	unlink(path);
	secret_file(file, TQ_QUIC_SECRET_MIN - 1, path);
	assert_int_equal(tq_quic_secret_read(path, buf, sizeof(buf)),
			-EMSGSIZE);
	unlink(path);
	assert_int_equal(tq_quic_secret_read(path, buf, sizeof(buf)),
			-ENOENT);
	assert_int_equal(tq_quic_secret_derive(file, TQ_QUIC_SECRET_MIN - 1,
			ts1, tk1), -EINVAL);

	assert_int_equal(tq_quic_secret_derive(file, sizeof(file), ts1, tk1),
			0);
	assert_int_equal(tq_quic_secret_derive(file, sizeof(file), ts2, tk2),
			0);
	assert_int_equal(tq_quic_secret_derive(other, sizeof(other), ts3,
			tk3), 0);
	assert_memory_equal(ts1, ts2, sizeof(ts1));
	assert_memory_equal(tk1, tk2, sizeof(tk1));
	assert_memory_not_equal(ts1, ts3, 16);
	assert_memory_not_equal(ts1 + 16, ts3 + 16, 16);
	assert_memory_not_equal(tk1, tk3, sizeof(tk1));
	/* independent: no key is another's bytes */
	assert_memory_not_equal(ts1, ts1 + 16, 16);
	assert_memory_not_equal(tk1, ts1, 16);
	assert_memory_not_equal(tk1, ts1 + 16, 16);
	/* derived, not the file itself */
	assert_memory_not_equal(ts1, file, sizeof(ts1));

	assert_int_equal(tq_quic_token_key_new(ts1, &k1), 0);
	assert_int_equal(tq_quic_token_key_new(ts2, &k2), 0);
	assert_int_equal(tq_quic_token_key_new(ts3, &k3), 0);
	n = tq_quic_token_make(k1, TQ_QUIC_TOKEN_NEW, &c, NULL, 0, 1000,
			nonce, tok, sizeof(tok));
	assert_true(n > 0);
	assert_int_equal(tq_quic_token_check(k2, tok, (size_t)n, &c, 2000,
			RETRY_AGE, NEW_AGE, &kind, NULL, NULL), 0);
	assert_int_equal(kind, TQ_QUIC_TOKEN_NEW);
	assert_int_equal(tq_quic_token_check(k3, tok, (size_t)n, &c, 2000,
			RETRY_AGE, NEW_AGE, &kind, NULL, NULL), -EBADMSG);
	assert_int_equal(tq_quic_reset_token(k1, odcid, 8, r1), 0);
	assert_int_equal(tq_quic_reset_token(k2, odcid, 8, r2), 0);
	assert_int_equal(tq_quic_reset_token(k3, odcid, 8, r3), 0);
	assert_memory_equal(r1, r2, 16);
	assert_memory_not_equal(r1, r3, 16);
	tq_quic_token_key_free(k1);
	tq_quic_token_key_free(k2);
	tq_quic_token_key_free(k3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(refused),
		cmocka_unit_test(reset_tokens),
		cmocka_unit_test(configured_secret),
	};
	size_t i;

	for (i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(i * 7 + 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
