/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-worker QUIC connection ID table (engine/quic/tq_quic_table.c):
 * add, lookup, delete against a reference model over random sequences
 * (backward-shift deletion keeps every remaining entry findable), CIDs
 * that differ only in length or one byte, the limits.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(basic),
		cmocka_unit_test(model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
