/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-gen's histogram (apps/tq-gen/hist.c): percentiles against the exact
 * ones of a sorted sample, within the layout's relative error; a merge
 * equals the histogram of the union, bucket for bucket; JSON round trip.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hist.h"

#define N 200000

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Latency-like: log-uniform from 1 µs to about an hour. */
static uint64_t
sample(void)
{
	unsigned int bits = 10 + (unsigned int)(xorshift() % 32);

	return (1ull << bits) + xorshift() % (1ull << bits);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
index_layout(void **state)
{
	uint64_t v;
	uint32_t i, prev = 0;

	/* Buckets tile the range in order with no gap or overlap. */
	for (i = 0; i + 1 < GEN_HIST_BUCKETS; i++)
		assert_int_equal(gen_hist_upper(i) + 1, gen_hist_lower(i + 1));
	for (v = 0; v < (1ull << 20); v += 7) {
		i = gen_hist_index(v);
		assert_true(i >= prev);
		assert_true(gen_hist_lower(i) <= v && v <= gen_hist_upper(i));
		/* Width within 1/2^SUB of the lower bound. */
		assert_true((gen_hist_upper(i) - gen_hist_lower(i)) *
				(1u << GEN_HIST_SUB_BITS) <=
				gen_hist_lower(i));
		prev = i;
	}
	assert_int_equal(gen_hist_index(1ull << 50), GEN_HIST_BUCKETS - 1);
	assert_true(gen_hist_index((1ull << GEN_HIST_MAX_BITS) - 1) <
			GEN_HIST_BUCKETS);
}

static void
percentiles(void **state)
{
	static const double ps[] = { 0.1, 1, 10, 25, 50, 75, 90, 99, 99.9,
		99.99, 100 };
	uint64_t *v = malloc(N * sizeof(*v));
	struct gen_hist *h = gen_hist_new();
	unsigned int i;

	assert_non_null(v);
	assert_non_null(h);
	for (i = 0; i < N; i++) {
		v[i] = sample();
		gen_hist_record(h, v[i]);
	}
	qsort(v, N, sizeof(*v), cmp_u64);
	assert_int_equal(h->count, N);
	assert_int_equal(h->min, v[0]);
	assert_int_equal(h->max, v[N - 1]);
	for (i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		uint64_t rank = (uint64_t)ceil(ps[i] / 100 * N);
		uint64_t exact = v[rank - 1];
		uint64_t got = gen_hist_percentile(h, ps[i]);

		/* Never below, at most 1/128 above. */
		assert_true(got >= exact);
		assert_true((double)(got - exact) <=
				(double)exact / (1u << GEN_HIST_SUB_BITS));
	}
	free(v);
	free(h);
}

static void
merge_is_union(void **state)
{
	struct gen_hist *a = gen_hist_new(), *b = gen_hist_new();
	struct gen_hist *u = gen_hist_new();
	unsigned int i;

	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(u);
	for (i = 0; i < N; i++) {
		uint64_t x = sample();

		gen_hist_record(i % 3 ? a : b, x);
		gen_hist_record(u, x);
	}
	gen_hist_merge(a, b);
	assert_memory_equal(a, u, sizeof(*u));
	/* Merging an empty one changes nothing, min included. */
	gen_hist_init(b);
	gen_hist_merge(a, b);
	assert_memory_equal(a, u, sizeof(*u));
	free(a);
	free(b);
	free(u);
}

static void
json_round_trip(void **state)
{
	struct gen_hist *h = gen_hist_new(), *back = gen_hist_new();
	struct gen_hist_sparse sp;
	json_t *j, *j2;
	char *text;
	unsigned int i;

	assert_non_null(h);
	assert_non_null(back);
	for (i = 0; i < N / 10; i++)
		gen_hist_record(h, sample());
	gen_hist_record(h, 1ull << 45); /* past the range: last bucket */
	j = gen_hist_to_json(h);
	assert_non_null(j);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	j = json_loads(text, 0, NULL);
	assert_non_null(j);
	assert_int_equal(gen_hist_add_json(back, j), 0);
	assert_memory_equal(h, back, sizeof(*h));

	/* The sparse form writes the same JSON. */
	assert_int_equal(gen_hist_to_sparse(h, &sp), 0);
	j2 = gen_hist_sparse_to_json(&sp);
	assert_true(json_equal(j, j2));
	gen_hist_init(back);
	gen_hist_add_sparse(back, &sp);
	assert_memory_equal(h, back, sizeof(*h));
	gen_hist_sparse_free(&sp);
	json_decref(j2);

	/* An empty histogram round-trips too. */
	gen_hist_init(h);
	j2 = gen_hist_to_json(h);
	gen_hist_init(back);
	assert_int_equal(gen_hist_add_json(back, j2), 0);
	assert_memory_equal(h, back, sizeof(*h));
	json_decref(j2);

	/* Counts that do not add up, a foreign layout, a bucket that is
	 * not a bucket's lower bound: refused, and nothing added. */
	gen_hist_init(back);
	json_object_set_new(j, "count", json_integer(1));
	assert_int_equal(gen_hist_add_json(back, j), -EINVAL);
	json_object_set_new(j, "count", json_integer((json_int_t)h->count));
	json_object_set_new(j, "sub_bits", json_integer(5));
	assert_int_equal(gen_hist_add_json(back, j), -EINVAL);
	json_decref(j);
	j = json_loads("{\"unit\":\"ns\",\"sub_bits\":7,\"count\":1,"
			"\"sum\":1001,\"min\":1001,\"max\":1001,"
			"\"buckets\":[[1001,1]]}", 0, NULL);
	assert_int_equal(gen_hist_add_json(back, j), -EINVAL);
	assert_int_equal(back->count, 0);
	json_decref(j);
	free(text);
	free(h);
	free(back);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(index_layout),
		cmocka_unit_test(percentiles),
		cmocka_unit_test(merge_is_union),
		cmocka_unit_test(json_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
