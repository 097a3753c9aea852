/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"

#define SUB GEN_HIST_SUB_BITS

void
gen_hist_init(struct gen_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

struct gen_hist *
gen_hist_new(void)
{
	struct gen_hist *h = malloc(sizeof(*h));

	if (h)
		gen_hist_init(h);
	return h;
}

/*
 * e = how far v's top bit is above SUB; the bucket is v >> e (which has
 * SUB+1 significant bits) shifted up by e groups of 2^SUB.  Below
 * 2^(SUB+1) e is 0 and the bucket is v itself.
 */
uint32_t
gen_hist_index(uint64_t v)
{
	unsigned int msb, e;

	if (v >> GEN_HIST_MAX_BITS)
		return GEN_HIST_BUCKETS - 1;
	if (v < (1u << (SUB + 1)))
		return (uint32_t)v;
	msb = 63 - (unsigned int)__builtin_clzll(v);
	e = msb - SUB;
	return (uint32_t)((e << SUB) + (v >> e));
}

uint64_t
gen_hist_lower(uint32_t idx)
{
	unsigned int e;

	if (idx < (1u << (SUB + 1)))
		return idx;
	e = (idx >> SUB) - 1;
	return (uint64_t)(idx - (e << SUB)) << e;
}

uint64_t
gen_hist_upper(uint32_t idx)
{
	unsigned int e;

	if (idx < (1u << (SUB + 1)))
		return idx;
	e = (idx >> SUB) - 1;
	return gen_hist_lower(idx) + (1ull << e) - 1;
}

void
gen_hist_merge(struct gen_hist *dst, const struct gen_hist *src)
{
	unsigned int i;

	if (!src->count)
		return;
	for (i = 0; i < GEN_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t
gen_hist_percentile(const struct gen_hist *h, double p)
{
	uint64_t rank, seen = 0, v;
	unsigned int i;

	if (!h->count)
		return 0;
	if (p <= 0)
		return h->min;
	if (p >= 100)
		return h->max;
	rank = (uint64_t)ceil(p / 100.0 * (double)h->count);
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	for (i = 0; i < GEN_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank)
			break;
	}
	v = gen_hist_upper(i < GEN_HIST_BUCKETS ? i : GEN_HIST_BUCKETS - 1);
	if (v > h->max)
		v = h->max;
	if (v < h->min)
		v = h->min;
	return v;
}

double
gen_hist_mean(const struct gen_hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}

int
gen_hist_to_sparse(const struct gen_hist *h, struct gen_hist_sparse *sp)
{
	uint32_t i, n = 0;

	memset(sp, 0, sizeof(*sp));
	sp->count = h->count;
	sp->sum = h->sum;
	sp->min = h->min;
	sp->max = h->max;
	for (i = 0; i < GEN_HIST_BUCKETS; i++)
		n += h->b[i] != 0;
	if (!n)
		return 0;
	sp->idx = malloc(n * sizeof(*sp->idx));
	sp->cnt = malloc(n * sizeof(*sp->cnt));
	if (!sp->idx || !sp->cnt) {
		gen_hist_sparse_free(sp);
		return -ENOMEM;
	}
	for (i = 0; i < GEN_HIST_BUCKETS; i++) {
		if (!h->b[i])
			continue;
		sp->idx[sp->n] = i;
		sp->cnt[sp->n++] = h->b[i];
	}
	return 0;
}

void
gen_hist_add_sparse(struct gen_hist *h, const struct gen_hist_sparse *sp)
{
	uint32_t i;

	if (!sp->count)
		return;
	for (i = 0; i < sp->n; i++)
		h->b[sp->idx[i]] += sp->cnt[i];
	h->count += sp->count;
	h->sum += sp->sum;
	if (sp->min < h->min)
		h->min = sp->min;
	if (sp->max > h->max)
		h->max = sp->max;
}

void
gen_hist_sparse_free(struct gen_hist_sparse *sp)
{
	free(sp->idx);
	free(sp->cnt);
	sp->idx = NULL;
	sp->cnt = NULL;
	sp->n = 0;
}

static json_t *
hist_json(uint64_t count, uint64_t sum, uint64_t min, uint64_t max,
		json_t *buckets)
{
	json_t *j;

	if (!buckets)
		return NULL;
	j = json_pack("{s:s, s:i, s:I, s:I, s:I, s:I, s:o}", "unit", "ns",
			"sub_bits", GEN_HIST_SUB_BITS,
			"count", (json_int_t)count, "sum", (json_int_t)sum,
			"min", (json_int_t)(count ? min : 0),
			"max", (json_int_t)max, "buckets", buckets);
	return j;
}

static int
bucket_append(json_t *arr, uint32_t idx, uint64_t cnt)
{
	json_t *pair = json_pack("[I, I]", (json_int_t)gen_hist_lower(idx),
			(json_int_t)cnt);

	if (!pair)
		return -ENOMEM;
	return json_array_append_new(arr, pair) ? -ENOMEM : 0;
}

json_t *
gen_hist_to_json(const struct gen_hist *h)
{
	json_t *arr = json_array();
	uint32_t i;

	if (!arr)
		return NULL;
	for (i = 0; i < GEN_HIST_BUCKETS; i++) {
		if (h->b[i] && bucket_append(arr, i, h->b[i]) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return hist_json(h->count, h->sum, h->min, h->max, arr);
}

json_t *
gen_hist_sparse_to_json(const struct gen_hist_sparse *sp)
{
	json_t *arr = json_array();
	uint32_t i;

	if (!arr)
		return NULL;
	for (i = 0; i < sp->n; i++) {
		if (bucket_append(arr, sp->idx[i], sp->cnt[i]) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return hist_json(sp->count, sp->sum, sp->min, sp->max, arr);
}

/*
 * Parsed into a scratch histogram first, so a malformed object adds
 * nothing to h.  JSON integers are signed 64-bit: values are bounded by
 * far less (2^42 ns a bucket, and counts).
 */
int
gen_hist_add_json(struct gen_hist *h, const json_t *j)
{
	json_int_t count, sum, min, max, sub;
	const char *unit;
	json_t *buckets, *pair;
	struct gen_hist *t;
	uint64_t total = 0;
	size_t i;
	int ret = -EINVAL;

	if (json_unpack((json_t *)j, "{s:s, s:I, s:I, s:I, s:I, s:I, s:o}",
			"unit", &unit, "sub_bits", &sub, "count", &count,
			"sum", &sum, "min", &min, "max", &max,
			"buckets", &buckets) != 0)
		return -EINVAL;
	if (strcmp(unit, "ns") || sub != GEN_HIST_SUB_BITS || count < 0 ||
			sum < 0 || min < 0 || max < min ||
			!json_is_array(buckets))
		return -EINVAL;
	t = gen_hist_new();
	if (!t)
		return -ENOMEM;
	json_array_foreach(buckets, i, pair) {
		json_int_t lo, n;
		uint32_t idx;

		if (json_unpack(pair, "[I, I]", &lo, &n) != 0 || lo < 0 ||
				n <= 0)
			goto out;
		idx = gen_hist_index((uint64_t)lo);
		/* Only a bucket's own lower bound names it. */
		if (gen_hist_lower(idx) != (uint64_t)lo)
			goto out;
		t->b[idx] += (uint64_t)n;
		total += (uint64_t)n;
	}
	if (total != (uint64_t)count)
		goto out;
	t->count = (uint64_t)count;
	t->sum = (uint64_t)sum;
	t->min = count ? (uint64_t)min : UINT64_MAX;
	t->max = (uint64_t)max;
	gen_hist_merge(h, t);
	ret = 0;
out:
	free(t);
	return ret;
}
