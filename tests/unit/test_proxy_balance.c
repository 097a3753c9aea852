/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-proxy's backend choice (apps/tq-proxy/balance.c): round robin,
 * least connections and rendezvous hashing of the client address, with
 * down and already-tried backends left out.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "balance.h"

static void
rr(void **state)
{
	struct balance_in in = {
		.mode = BALANCE_RR, .n = 3, .pool = ~0ull, .up = 7,
	};
	uint32_t cur = 0;

	(void)state;
	assert_int_equal(balance_pick(&in, &cur), 0);
	assert_int_equal(balance_pick(&in, &cur), 1);
	assert_int_equal(balance_pick(&in, &cur), 2);
	assert_int_equal(balance_pick(&in, &cur), 0);
	/* 1 down: skipped. */
	in.up = 5;
	assert_int_equal(balance_pick(&in, &cur), 2);
	assert_int_equal(balance_pick(&in, &cur), 0);
	assert_int_equal(balance_pick(&in, &cur), 2);
	/* A retry: 2 was tried, 0 is the only other up. */
	in.tried = 4;
	assert_int_equal(balance_pick(&in, &cur), 0);
	/* 0 and 2 tried: 1, though down, is still worth a try. */
	in.tried = 5;
	assert_int_equal(balance_pick(&in, &cur), 1);
	in.tried = 7;
	assert_int_equal(balance_pick(&in, &cur), -ENOENT);
	/* All down: any untried, in turn. */
	in.up = 0;
	in.tried = 0;
	cur = 0;
	assert_int_equal(balance_pick(&in, &cur), 0);
	assert_int_equal(balance_pick(&in, &cur), 1);
	in.n = 0;
	assert_int_equal(balance_pick(&in, &cur), -ENOENT);
}

static void
leastconn(void **state)
{
	uint32_t active[4] = { 5, 2, 7, 2 };
	struct balance_in in = {
		.mode = BALANCE_LEASTCONN, .n = 4, .pool = ~0ull, .up = 15,
		.active = active,
	};
	uint32_t cur = 0;
	int a, b;

	(void)state;
	/* 1 and 3 tie at 2: both get their turn. */
	a = balance_pick(&in, &cur);
	b = balance_pick(&in, &cur);
	assert_true(a == 1 || a == 3);
	assert_true(b == 1 || b == 3);
	cur = 0;
	a = balance_pick(&in, &cur);
	cur = 2;
	b = balance_pick(&in, &cur);
	assert_int_not_equal(a, b);
	/* 1 down, 3 tried: the least loaded of 0 and 2. */
	in.up = 13;
	in.tried = 8;
	assert_int_equal(balance_pick(&in, &cur), 0);
	active[0] = 9;
	assert_int_equal(balance_pick(&in, &cur), 2);
}

static void
addr_key(void **state)
{
	struct tq_addr a = tq_addr_v4(htonl(0x0a000001));
	struct tq_addr b = tq_addr_v4(htonl(0x0a000002));
	struct tq_addr c = { .family = AF_INET6 };

	(void)state;
	assert_true(balance_addr_key(&a) != balance_addr_key(&b));
	assert_true(balance_addr_key(&a) == balance_addr_key(&a));
	/* ::a00:1 is not 10.0.0.1. */
	memcpy(&c.v6[12], &a.v4, 4);
	assert_true(balance_addr_key(&a) != balance_addr_key(&c));
}

static void
hash(void **state)
{
	struct balance_in in = {
		.mode = BALANCE_HASH, .n = 4, .pool = ~0ull, .up = 15,
	};
	unsigned int count[4] = { 0 }, i, moved = 0;
	int before[1000], pick;
	uint32_t cur = 0;
	struct tq_addr a;

	(void)state;
	for (i = 0; i < 1000; i++) {
		a = tq_addr_v4(htonl(0xc0a80000 + i));
		in.key = balance_addr_key(&a);
		before[i] = balance_pick(&in, &cur);
		assert_true(before[i] >= 0 && before[i] < 4);
		count[before[i]]++;
		/* The same client, the same backend, every time. */
		assert_int_equal(balance_pick(&in, &cur), before[i]);
	}
	/* Spread: each of four gets roughly a quarter. */
	for (i = 0; i < 4; i++)
		assert_true(count[i] > 150 && count[i] < 350);
	/* 2 goes down: only its clients move. */
	in.up = 11;
	for (i = 0; i < 1000; i++) {
		a = tq_addr_v4(htonl(0xc0a80000 + i));
		in.key = balance_addr_key(&a);
		pick = balance_pick(&in, &cur);
		assert_int_not_equal(pick, 2);
		if (before[i] != 2)
			assert_int_equal(pick, before[i]);
		else
			moved++;
	}
	assert_int_equal(moved, count[2]);
	/* A retry leaves the tried one out. */
	a = tq_addr_v4(htonl(0xc0a80007));
	in.key = balance_addr_key(&a);
	in.up = 15;
	pick = balance_pick(&in, &cur);
	in.tried = 1ull << pick;
	assert_int_not_equal(balance_pick(&in, &cur), pick);
}

/* A listener's pool: only its backends, down ones as a last resort,
 * never another pool's; each pool's cursor is its own. */
static void
pools(void **state)
{
	uint32_t active[4] = { 0 };
	struct balance_in in = {
		.mode = BALANCE_RR, .n = 4, .pool = 0x3, .up = 15,
		.active = active,
	};
	uint32_t ca = 0, cb = 0;
	unsigned int i;
	int b;

	(void)state;
	for (i = 0; i < 8; i++) {
		in.pool = 0x3;
		assert_int_equal(balance_pick(&in, &ca), (int)(i % 2));
		in.pool = 0xc;
		assert_int_equal(balance_pick(&in, &cb), (int)(2 + i % 2));
	}
	/* Pool {2, 3} all down: still its own, never 0 or 1. */
	in.up = 0x3;
	b = balance_pick(&in, &cb);
	assert_true(b == 2 || b == 3);
	in.tried = 0xc;
	assert_int_equal(balance_pick(&in, &cb), -ENOENT);
	in.tried = 0;
	in.mode = BALANCE_HASH;
	in.key = 12345;
	b = balance_pick(&in, &cb);
	assert_true(b == 2 || b == 3);
	in.mode = BALANCE_LEASTCONN;
	active[2] = 3;
	assert_int_equal(balance_pick(&in, &cb), 3);
	in.pool = 0;
	assert_int_equal(balance_pick(&in, &cb), -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rr),
		cmocka_unit_test(leastconn),
		cmocka_unit_test(addr_key),
		cmocka_unit_test(hash),
		cmocka_unit_test(pools),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
