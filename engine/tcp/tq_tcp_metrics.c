/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP's part of the Prometheus page: connections by state, as ss names
 * them, and a histogram of handshake times, per worker and in all.  The
 * figures are words each worker alone writes, read here as they are.
 */
#include <stdio.h>

#include "core/tq_prom.h"
#include "core/tq_shard.h"
#include "tcp/tq_tcp_module.h"

static void
states(struct tq_shard *const *shards, unsigned int n, struct tq_prom *p)
{
	const char *name = "tachyon_tcp_connections";
	uint64_t all[TQ_TCPS_MAX] = { 0 };
	char labels[64];
	unsigned int k, st;

	tq_prom_family(p, name, "gauge",
		"TCP connections now, by state (ss names) and worker");
	for (k = 0; k < n; k++) {
		const struct tq_tcp *t = shards[k] ? tq_tcp(shards[k]) : NULL;

		if (!t)
			continue;
		for (st = TQ_TCPS_SYN_SENT; st < TQ_TCPS_MAX; st++) {
			uint32_t v = __atomic_load_n(&t->nstate[st],
					__ATOMIC_RELAXED);

			snprintf(labels, sizeof(labels),
				"worker=\"%u\",state=\"%s\"", k,
				tq_tcp_state_ss_name(st));
			tq_prom_u64(p, name, labels, v);
			all[st] += v;
		}
	}
	for (st = TQ_TCPS_SYN_SENT; st < TQ_TCPS_MAX; st++) {
		snprintf(labels, sizeof(labels), "worker=\"all\",state=\"%s\"",
			tq_tcp_state_ss_name(st));
		tq_prom_u64(p, name, labels, all[st]);
	}
}

static void
handshakes(struct tq_shard *const *shards, unsigned int n, struct tq_prom *p)
{
	const char *name = "tachyon_tcp_handshake_duration_seconds";
	uint64_t all[TQ_TCP_HS_BUCKETS + 1] = { 0 };
	uint64_t cnt[TQ_TCP_HS_BUCKETS + 1];
	double bounds[TQ_TCP_HS_BUCKETS];
	double all_sum = 0;
	char labels[32];
	unsigned int k, b;

	for (b = 0; b < TQ_TCP_HS_BUCKETS; b++)
		bounds[b] = (double)tq_tcp_hs_bounds_ns[b] / 1e9;
	tq_prom_family(p, name, "histogram",
		"Time from SYN (sent or received) to ESTABLISHED");
	for (k = 0; k < n; k++) {
		const struct tq_tcp *t = shards[k] ? tq_tcp(shards[k]) : NULL;
		double sum;

		if (!t)
			continue;
		for (b = 0; b <= TQ_TCP_HS_BUCKETS; b++) {
			cnt[b] = __atomic_load_n(&t->hs_count[b],
					__ATOMIC_RELAXED);
			all[b] += cnt[b];
		}
		sum = (double)__atomic_load_n(&t->hs_sum_ns,
				__ATOMIC_RELAXED) / 1e9;
		all_sum += sum;
		snprintf(labels, sizeof(labels), "worker=\"%u\"", k);
		tq_prom_histogram(p, name, labels, bounds, TQ_TCP_HS_BUCKETS,
				cnt, sum);
	}
	tq_prom_histogram(p, name, "worker=\"all\"", bounds,
			TQ_TCP_HS_BUCKETS, all, all_sum);
}

void
tq_tcp_metrics(struct tq_shard *const *shards, unsigned int n,
		struct tq_prom *p)
{
	states(shards, n, p);
	handshakes(shards, n, p);
}
