/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Address validation in the connection (RFC 9000 8.1), on a pair of
 * connections joined by tests/lib/tq_quic_pair.c: the token a server is
 * given goes to the client in a NEW_TOKEN frame once the handshake is
 * confirmed (again if lost), the client keeps it for a later connection
 * and puts the one it is given in its Initials, and a server told that
 * a token validated the address is not held to three times what it
 * received.  The module's side (making and checking the tokens, Retry)
 * is tested against gtlsclient (tests/interop/h3_retry.sh).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tq_quic_pair.h"
#include "tq_test.h"
#include "quic/tq_quic_conn_priv.h"

#define MS UINT64_C(1000000)
#define S (1000 * MS)

static struct qp P;
static int established[2];
static size_t initial_token_len = SIZE_MAX;

static void
on_established(struct tq_conn *c, void *udata)
{
	(void)c;
	(*(int *)udata)++;
}

static const struct tq_conn_ops conn_ops = {
	.established = on_established,
};

static bool
have_token(void *arg)
{
	size_t n;

	(void)arg;
	return P.c[0] && tq_quic_conn_new_token(P.c[0], &n) != NULL;
}

static bool
both_up(void *arg)
{
	(void)arg;
	return established[0] && established[1];
}

/* The client's first datagram: what token its Initial carries. */
static bool
see_initial(struct qp *p, int from, uint8_t *d, size_t *len)
{
	struct tq_quic_hdr h;

	if (from == 0 && p->dgrams[0] == 1 &&
			tq_quic_hdr_parse(d, *len, 8, &h) == 0 &&
			h.type == TQ_QUIC_PKT_INITIAL)
		initial_token_len = h.token_len;
	return true;
}

static void
token_cfg(struct tq_quic_conn_cfg *cfg, uint8_t *tok, size_t n)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < n; i++)
		tok[i] = (uint8_t)(0x30 + i);
	cfg->token = tok;
	cfg->token_len = n;
}

static void
new_token_reaches_client(void **state)
{
	static const struct qp_link clean = { .delay_ns = 10 * MS };
	struct tq_quic_conn_cfg cfg;
	uint8_t tok[60];
	const uint8_t *got;
	size_t n;

	(void)state;
	/* the pair gives both sides the cfg: the client's Initials carry
	 * the token, the server sends it in NEW_TOKEN */
	token_cfg(&cfg, tok, sizeof(tok));
	memset(established, 0, sizeof(established));
	initial_token_len = SIZE_MAX;
	qp_init(&P, &clean, 1, &cfg, &conn_ops, &established[0], &conn_ops,
			&established[1]);
	P.tap = see_initial;
	assert_true(qp_run(&P, 10 * S, have_token, NULL));
	assert_int_equal(initial_token_len, sizeof(tok));
	got = tq_quic_conn_new_token(P.c[0], &n);
	assert_int_equal(n, sizeof(tok));
	assert_memory_equal(got, tok, sizeof(tok));
	/* the caller's buffer was copied */
	memset(tok, 0, sizeof(tok));
	got = tq_quic_conn_new_token(P.c[0], &n);
	assert_int_equal(got[0], 0x30);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->new_tokens, 1);
	assert_int_equal(tq_quic_conn_stats(P.c[0])->new_tokens, 1);
	/* only after confirmation: the client is confirmed */
	assert_true(tq_quic_conn_confirmed(P.c[0]));
	/* a server keeps none: a server's view gives nothing */
	assert_null(tq_quic_conn_new_token(P.c[1], &n));
	assert_int_equal(n, 0);
	qp_fini(&P);
}

static void
no_token_none_sent(void **state)
{
	static const struct qp_link clean = { .delay_ns = 10 * MS };
	size_t n;

	(void)state;
	memset(established, 0, sizeof(established));
	initial_token_len = SIZE_MAX;
	qp_init(&P, &clean, 1, NULL, &conn_ops, &established[0], &conn_ops,
			&established[1]);
	P.tap = see_initial;
	assert_true(qp_run(&P, 10 * S, both_up, NULL));
	qp_run(&P, 1 * S, NULL, NULL);
	assert_int_equal(initial_token_len, 0);
	assert_null(tq_quic_conn_new_token(P.c[0], &n));
	assert_int_equal(tq_quic_conn_stats(P.c[1])->new_tokens, 0);
	qp_fini(&P);
}

/* NEW_TOKEN is resent when the packet carrying it is lost: a lossy
 * link, several seeds, every client ends up with the token. */
static void
new_token_lost_resent(void **state)
{
	static const struct qp_link lossy = { .delay_ns = 15 * MS,
		.loss = 0.3 };
	struct tq_quic_conn_cfg cfg;
	uint8_t tok[40];
	unsigned int seed, resent = 0;

	(void)state;
	token_cfg(&cfg, tok, sizeof(tok));
	for (seed = 1; seed <= 10; seed++) {
		memset(established, 0, sizeof(established));
		qp_init(&P, &lossy, seed, &cfg, &conn_ops, &established[0],
				&conn_ops, &established[1]);
		assert_true(qp_run(&P, 60 * S, have_token, NULL));
		resent += tq_quic_conn_stats(P.c[1])->new_tokens > 1;
		qp_fini(&P);
	}
	/* at 30% loss some NEW_TOKEN went missing and was sent again */
	assert_true(resent > 0);
}

static uint64_t server_bytes;

static bool
drop_client_after_first(struct qp *p, int from, uint8_t *d, size_t *len)
{
	(void)d;
	if (from == 1)
		server_bytes += *len;
	return !(from == 0 && p->dgrams[0] > 1);
}

/* A server whose client brought a valid token (addr_validated) is not
 * held to 3x; one without is. */
static void
validated_not_amp_limited(void **state)
{
	static const struct qp_link clean = { .delay_ns = 10 * MS };
	struct tq_quic_conn_cfg cfg;
	uint64_t sent, rcvd;
	bool v;
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.addr_validated = i == 1;
		memset(established, 0, sizeof(established));
		qp_init(&P, &clean, 2, &cfg, &conn_ops, &established[0],
				&conn_ops, &established[1]);
		P.tap = drop_client_after_first;
		server_bytes = 0;
		qp_run(&P, 3 * S, NULL, NULL);
		assert_non_null(P.c[1]);
		tq_quic_conn_amp(P.c[1], &sent, &rcvd, &v);
		if (i == 0) {
			assert_int_equal(rcvd, 1200);
			assert_false(v);
			assert_true(sent <= 3 * rcvd);
			assert_true(tq_quic_conn_stats(P.c[1])->amp_blocked > 0);
		} else {
			assert_true(v);
			/* its PTOs resend the flight past 3x the client's
			 * one datagram */
			assert_true(server_bytes > 3 * 1200);
			assert_int_equal(
				tq_quic_conn_stats(P.c[1])->amp_blocked, 0);
		}
		qp_fini(&P);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(new_token_reaches_client),
		cmocka_unit_test(no_token_none_sent),
		cmocka_unit_test(new_token_lost_resent),
		cmocka_unit_test(validated_not_amp_limited),
	};

	if (tq_test_eal_init("quic_validation") != 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
