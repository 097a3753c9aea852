/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-worker QUIC connection ID table (engine/quic/tq_quic_table.c):
 * add, lookup, delete against a reference model over random sequences
 * (backward-shift deletion keeps every remaining entry findable), CIDs
 * that differ only in length or one byte, the limits; the hash is
 * keyed: CIDs aimed at one slot under a known key spread under another,
 * and every table draws a key of its own.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/tq_siphash.h"
#include "quic/tq_quic_table.h"

static struct tq_quic_cid
mkcid(uint32_t n, uint8_t len)
{
	struct tq_quic_cid c;
	uint8_t i;

	memset(&c, 0, sizeof(c));
	c.len = len;
	for (i = 0; i < len; i++)
		c.id[i] = (uint8_t)((n >> ((i % 4) * 8)) ^ (i * 37));
	return c;
}

static void
basic(void **state)
{
	struct tq_quic_table t;
	struct tq_quic_cid a = mkcid(1, 8), b = mkcid(1, 9), e = mkcid(0, 0);
	int x, y;

	(void)state;
	assert_int_equal(tq_quic_table_init(&t, 0), -EINVAL);
	assert_int_equal(tq_quic_table_init(&t, (1u << 24) + 1), -EINVAL);
	assert_int_equal(tq_quic_table_init(&t, 2), 0);
	assert_null(tq_quic_table_lookup(&t, &a));
	assert_int_equal(tq_quic_table_add(&t, &a, &x), 0);
	assert_int_equal(tq_quic_table_add(&t, &a, &y), -EEXIST);
	assert_int_equal(tq_quic_table_add(&t, &e, &y), -EINVAL);
	assert_int_equal(tq_quic_table_add(&t, &b, NULL), -EINVAL);
	/* Same bytes, one more: another CID. */
	assert_null(tq_quic_table_lookup(&t, &b));
	assert_int_equal(tq_quic_table_add(&t, &b, &y), 0);
	assert_ptr_equal(tq_quic_table_lookup(&t, &a), &x);
	assert_ptr_equal(tq_quic_table_lookup(&t, &b), &y);
	b.id[8] ^= 1;
	assert_null(tq_quic_table_lookup(&t, &b));
	assert_int_equal(tq_quic_table_add(&t, &b, &y), -ENOSPC);
	b.id[8] ^= 1;
	assert_int_equal(tq_quic_table_del(&t, &a), 0);
	assert_int_equal(tq_quic_table_del(&t, &a), -ENOENT);
	assert_null(tq_quic_table_lookup(&t, &a));
	assert_ptr_equal(tq_quic_table_lookup(&t, &b), &y);
	assert_int_equal(t.count, 1);
	tq_quic_table_fini(&t);
	assert_null(tq_quic_table_lookup(&t, &b));
}

#define NKEYS 4096
#define MAXN 1000

/* Random add/del against a model; every key checked after each step
 * batch, so a deletion that strands a later entry of its run fails. */
static void
model(void **state)
{
	static bool in[NKEYS];
	static int vals[NKEYS];
	struct tq_quic_table t;
	uint32_t seed = 12345, n = 0, step, k, i;

	(void)state;
	memset(in, 0, sizeof(in));
	assert_int_equal(tq_quic_table_init(&t, MAXN), 0);
	for (step = 0; step < 200000; step++) {
		struct tq_quic_cid c;

		seed = seed * 1103515245u + 12345u;
		k = (seed >> 8) % NKEYS;
		/* Short CIDs collide in the low bits more: mix lengths. */
		c = mkcid(k, (uint8_t)(4 + k % 17));
		if (in[k]) {
			assert_int_equal(tq_quic_table_del(&t, &c), 0);
			in[k] = false;
			n--;
		} else {
			int r = tq_quic_table_add(&t, &c, &vals[k]);

			if (n >= MAXN) {
				assert_int_equal(r, -ENOSPC);
			} else {
				assert_int_equal(r, 0);
				in[k] = true;
				n++;
			}
		}
		assert_int_equal(t.count, n);
		if (step % 5000 == 0 || step == 199999) {
			for (i = 0; i < NKEYS; i++) {
				struct tq_quic_cid q = mkcid(i,
						(uint8_t)(4 + i % 17));
				void *v = tq_quic_table_lookup(&t, &q);

				if (in[i])
					assert_ptr_equal(v, &vals[i]);
				else
					assert_null(v);
			}
		}
	}
	tq_quic_table_fini(&t);
}

/* SipHash-2-4's reference vectors (key 00..0f; input empty, 00). */
static void
siphash_vectors(void **state)
{
	uint8_t key[16], in[1] = { 0 };
	unsigned int i;

	(void)state;
	for (i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	assert_true(tq_siphash(key, in, 0) == 0x726fdb47dd0e0e31ull);
	assert_true(tq_siphash(key, in, 1) == 0x74f839c593dc67fdull);
}

/* The paper's example (Aumasson and Bernstein, appendix A: message
 * 00..0e), then the word-fed form against the byte form at every
 * length up to 48. */
static void
siphash_words(void **state)
{
	uint8_t key[16], in[48];
	uint64_t w[6], last;
	unsigned int i, len, j;

	(void)state;
	for (i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	assert_true(tq_siphash(key, in, 15) == 0xa129ca6149be45e5ull);
	for (len = 0; len <= sizeof(in); len++) {
		for (i = 0; i < len / 8; i++) {
			w[i] = 0;
			for (j = 0; j < 8; j++)
				w[i] |= (uint64_t)in[8 * i + j] << (8 * j);
		}
		last = (uint64_t)len << 56;
		for (j = 0; j < len % 8; j++)
			last |= (uint64_t)in[8 * i + j] << (8 * j);
		assert_true(tq_siphash_words(key, w, len / 8, last) ==
				tq_siphash(key, in, len));
	}
}

#define AIMED 64

/*
 * A peer that knows the key can find CIDs that all start at one slot
 * (the attack on an unkeyed hash); under another key the same CIDs
 * spread over the table.  Tables made by init draw different keys.
 */
static void
keyed(void **state)
{
	static const uint8_t ka[16] = "tachyon-key-A..";
	static const uint8_t kb[16] = "tachyon-key-B..";
	struct tq_quic_cid aimed[AIMED], c;
	struct tq_quic_table a, b, r1, r2;
	uint32_t n, found = 0, at0 = 0, same = 0, i, j, distinct = 0;
	int x;

	(void)state;
	assert_int_equal(tq_quic_table_init(&a, 512), 0);	/* 1024 slots */
	assert_int_equal(tq_quic_table_init(&b, 512), 0);
	assert_int_equal(tq_quic_table_set_key(&a, ka), 0);
	assert_int_equal(tq_quic_table_set_key(&b, kb), 0);
	for (n = 0; found < AIMED && n < 10000000; n++) {
		c = mkcid(n, 8);
		if (tq_quic_table_home(&a, &c) == 0)
			aimed[found++] = c;
	}
	assert_int_equal(found, AIMED);
	/* under key A they all probe one run: inserts pile up behind
	 * slot 0 */
	for (i = 0; i < AIMED; i++)
		assert_int_equal(tq_quic_table_home(&a, &aimed[i]), 0);
	for (i = 0; i < AIMED; i++) {
		uint32_t h = tq_quic_table_home(&b, &aimed[i]);

		at0 += h == 0;
		for (j = 0; j < i; j++)
			if (tq_quic_table_home(&b, &aimed[j]) == h)
				break;
		distinct += j == i;
	}
	assert_true(at0 <= 2);
	assert_true(distinct >= AIMED - 8);
	/* the key goes with an empty table only */
	assert_int_equal(tq_quic_table_add(&a, &aimed[0], &x), 0);
	assert_int_equal(tq_quic_table_set_key(&a, kb), -EBUSY);
	assert_ptr_equal(tq_quic_table_lookup(&a, &aimed[0]), &x);
	/* two tables, two random keys: the same CIDs land elsewhere */
	assert_int_equal(tq_quic_table_init(&r1, 512), 0);
	assert_int_equal(tq_quic_table_init(&r2, 512), 0);
	for (i = 0; i < 256; i++) {
		c = mkcid(i, 8);
		same += tq_quic_table_home(&r1, &c) ==
			tq_quic_table_home(&r2, &c);
	}
	assert_true(same < 16);
	tq_quic_table_fini(&a);
	tq_quic_table_fini(&b);
	tq_quic_table_fini(&r1);
	tq_quic_table_fini(&r2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(basic),
		cmocka_unit_test(model),
		cmocka_unit_test(siphash_vectors),
		cmocka_unit_test(siphash_words),
		cmocka_unit_test(keyed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
