/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_PROM_H
#define TQ_PROM_H

/*
 * The Prometheus text exposition format (version 0.0.4), written into a
 * growing buffer on the control thread.  The engine and each protocol
 * module add their metric families; the metrics server sends the result.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tq_prom {
	char *buf;
	size_t len, cap;
	bool oom;		/* a write failed: the page is incomplete */
};

void tq_prom_init(struct tq_prom *p);
void tq_prom_free(struct tq_prom *p);

/* "# HELP" and "# TYPE" for a family; type: counter, gauge, histogram. */
void tq_prom_family(struct tq_prom *p, const char *name, const char *type,
		const char *help);

/*
 * One sample: name{labels} value.  labels is the inside of the braces,
 * already escaped (NULL or "" for none).
 */
void tq_prom_u64(struct tq_prom *p, const char *name, const char *labels,
		uint64_t v);
void tq_prom_double(struct tq_prom *p, const char *name, const char *labels,
		double v);

/*
 * A histogram from non-cumulative bucket counts: bounds[i] is bucket i's
 * upper bound in the family's unit, count has nb + 1 entries (the last
 * past every bound, +Inf).  Writes _bucket, _sum and _count.
 */
void tq_prom_histogram(struct tq_prom *p, const char *name,
		const char *labels, const double *bounds, unsigned int nb,
		const uint64_t *count, double sum);

/*
 * A metric name from a counter id such as TCP_TW_REOPENED: lower case,
 * the nstat-style abbreviations written out (tcp_time_wait_reopened),
 * prefixed "tachyon_", with "_bytes" when the help says it counts bytes
 * and "_total" for a counter.  Returns the length, or -ENOSPC.
 */
int tq_prom_counter_name(char *out, size_t len, const char *id,
		const char *help, bool gauge);

/* Make any string a metric name part: [a-zA-Z0-9_], others to '_'. */
void tq_prom_sanitize(char *s);

#endif
