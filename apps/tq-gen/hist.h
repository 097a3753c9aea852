/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GEN_HIST_H
#define GEN_HIST_H

/*
 * A log-linear latency histogram (HdrHistogram's layout): values below
 * 2^(SUB+1) ns have a bucket each; above, every power of two is cut into
 * 2^SUB equal buckets.  A bucket's width is then at most 1/2^SUB of its
 * lower bound, so a percentile read as the bucket's upper end is never
 * below the true value and at most 1/128 above it.  Histograms with the
 * same layout merge by adding buckets, which is exact: percentiles of a
 * merge are those of the union, never an average of percentiles.
 */

#include <stdint.h>

#include <jansson.h>

#define GEN_HIST_SUB_BITS 7
/* Largest value kept apart: 2^42 ns, about 73 minutes; larger values
 * land in the last bucket (max still says what they were). */
#define GEN_HIST_MAX_BITS 42
#define GEN_HIST_BUCKETS \
	((GEN_HIST_MAX_BITS - GEN_HIST_SUB_BITS + 1) << GEN_HIST_SUB_BITS)

struct gen_hist {
	uint64_t count;
	uint64_t sum;	/* ns; 584 years of summed latency before it wraps */
	uint64_t min;	/* UINT64_MAX while empty */
	uint64_t max;
	uint64_t b[GEN_HIST_BUCKETS];
};

/* The non-zero buckets of a histogram: what per-second series keep. */
struct gen_hist_sparse {
	uint64_t count, sum, min, max;
	uint32_t n;
	uint32_t *idx;
	uint64_t *cnt;
};

void gen_hist_init(struct gen_hist *h);

/* A zeroed histogram on the heap; NULL when out of memory. */
struct gen_hist *gen_hist_new(void);

/* The bucket of value v (ns). */
uint32_t gen_hist_index(uint64_t v);

/* The lowest and highest value of bucket idx. */
uint64_t gen_hist_lower(uint32_t idx);
uint64_t gen_hist_upper(uint32_t idx);

static inline void
gen_hist_record(struct gen_hist *h, uint64_t v)
{
	h->b[gen_hist_index(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

/* Add src into dst. */
void gen_hist_merge(struct gen_hist *dst, const struct gen_hist *src);

/*
 * The value at percentile p (0-100): the upper end of the bucket holding
 * the ceil(p% * count)-th smallest value, clamped to [min, max]; 0 when
 * empty.
 */
uint64_t gen_hist_percentile(const struct gen_hist *h, double p);

double gen_hist_mean(const struct gen_hist *h);

/* Fill sp with h's non-zero buckets (allocates); 0 or -ENOMEM. */
int gen_hist_to_sparse(const struct gen_hist *h, struct gen_hist_sparse *sp);

/* Add a sparse histogram into h. */
void gen_hist_add_sparse(struct gen_hist *h, const struct gen_hist_sparse *sp);

void gen_hist_sparse_free(struct gen_hist_sparse *sp);

/*
 * JSON: {"unit":"ns","sub_bits":7,"count","sum","min","max",
 * "buckets":[[lower_ns,count],...]} with only the non-zero buckets, by
 * their lower bound so a reader needs no knowledge of the layout.
 * NULL when out of memory.
 */
json_t *gen_hist_to_json(const struct gen_hist *h);
json_t *gen_hist_sparse_to_json(const struct gen_hist_sparse *sp);

/*
 * Add the histogram in j into h (a merge: start from an empty h to
 * load one).  -EINVAL for a malformed object, another unit or layout,
 * or counts that do not add up.
 */
int gen_hist_add_json(struct gen_hist *h, const json_t *j);

#endif
