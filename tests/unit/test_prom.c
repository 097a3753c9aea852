/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Prometheus writer: counter names spelled out, unique and valid for
 * every counter of tq_counters.def; HELP escaped; histograms cumulative
 * with +Inf, _sum and _count.
 */
#include <regex.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/tq_prom.h"
#include "tq_test.h"

static const char *const ids[TQ_CTR_MAX] = {
#define TQ_CTR(id, name, help) [TQ_CTR_##id] = #id,
#include <tachyon/tq_counters.def>
#undef TQ_CTR
};

static void
names_spelled_out(void **state)
{
	char n[128];

	assert_true(tq_prom_counter_name(n, sizeof(n), "TCP_TW_REOPENED",
			"x", false) > 0);
	assert_string_equal(n, "tachyon_tcp_time_wait_reopened_total");
	tq_prom_counter_name(n, sizeof(n), "TCP_TW_COUNT", "x", true);
	assert_string_equal(n, "tachyon_tcp_time_wait_connections");
	tq_prom_counter_name(n, sizeof(n), "STREAM_SPLICED",
			"bytes moved between streams", false);
	assert_string_equal(n, "tachyon_stream_spliced_bytes_total");
	tq_prom_counter_name(n, sizeof(n), "RX_BYTES", "bytes received",
			false);
	assert_string_equal(n, "tachyon_rx_bytes_total");
	tq_prom_counter_name(n, sizeof(n), "ETH_NOT_FOR_US", "x", false);
	assert_string_equal(n, "tachyon_eth_not_ours_total");
	tq_prom_counter_name(n, sizeof(n), "IP_IN_CSUM_ERRORS", "x", false);
	assert_string_equal(n, "tachyon_ip_in_checksum_errors_total");
	assert_int_equal(tq_prom_counter_name(n, 12, "TCP_TW_REOPENED", "x",
			false), -ENOSPC);
}

/* Two counters with one metric name would be one series to Prometheus. */
static void
names_unique_and_valid(void **state)
{
	static char n[TQ_CTR_MAX][128];
	regex_t re;
	unsigned int i, j;

	assert_int_equal(regcomp(&re, "^[a-zA-Z_:][a-zA-Z0-9_:]*$",
			REG_EXTENDED | REG_NOSUB), 0);
	for (i = 0; i < TQ_CTR_MAX; i++) {
		assert_true(tq_prom_counter_name(n[i], sizeof(n[i]), ids[i],
				tq_counter_help(i), tq_counter_is_gauge(i)) > 0);
		assert_int_equal(regexec(&re, n[i], 0, NULL, 0), 0);
		/* Gauges never end in _total, counters always do. */
		assert_int_equal(strstr(n[i], "_total") != NULL,
				!tq_counter_is_gauge(i));
		for (j = 0; j < i; j++)
			if (!strcmp(n[i], n[j]))
				fail_msg("%s and %s are both %s", ids[i],
						ids[j], n[i]);
	}
	regfree(&re);
	assert_true(tq_counter_is_gauge(TQ_CTR_TCP_CURR_ESTAB));
	assert_false(tq_counter_is_gauge(TQ_CTR_RX_PKTS));
}

static void
help_escaped(void **state)
{
	struct tq_prom p;

	tq_prom_init(&p);
	tq_prom_family(&p, "a_total", "counter", "back\\slash\nnewline");
	tq_prom_u64(&p, "a_total", "worker=\"0\"", 7);
	tq_prom_u64(&p, "a_total", NULL, 8);
	assert_false(p.oom);
	assert_int_equal(p.len, strlen(p.buf));
	assert_string_equal(p.buf,
		"# HELP a_total back\\\\slash\\nnewline\n"
		"# TYPE a_total counter\n"
		"a_total{worker=\"0\"} 7\n"
		"a_total 8\n");
	tq_prom_free(&p);
}

static void
histogram_cumulative(void **state)
{
	static const double b[] = { 0.001, 0.01, 0.1 };
	static const uint64_t c[] = { 2, 0, 3, 1 };
	struct tq_prom p;

	tq_prom_init(&p);
	tq_prom_histogram(&p, "h_seconds", "worker=\"1\"", b, 3, c, 0.25);
	assert_string_equal(p.buf,
		"h_seconds_bucket{worker=\"1\",le=\"0.001\"} 2\n"
		"h_seconds_bucket{worker=\"1\",le=\"0.01\"} 2\n"
		"h_seconds_bucket{worker=\"1\",le=\"0.1\"} 5\n"
		"h_seconds_bucket{worker=\"1\",le=\"+Inf\"} 6\n"
		"h_seconds_sum{worker=\"1\"} 0.25\n"
		"h_seconds_count{worker=\"1\"} 6\n");
	tq_prom_free(&p);
}

/* The buffer grows past its first 64 KB without losing a byte. */
static void
grows(void **state)
{
	struct tq_prom p;
	unsigned int i;

	tq_prom_init(&p);
	for (i = 0; i < 20000; i++)
		tq_prom_u64(&p, "x", NULL, i);
	assert_false(p.oom);
	assert_true(p.len > 64 * 1024);
	assert_int_equal(p.len, strlen(p.buf));
	assert_non_null(strstr(p.buf, "\nx 19999\n"));
	tq_prom_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_spelled_out),
		cmocka_unit_test(names_unique_and_valid),
		cmocka_unit_test(help_escaped),
		cmocka_unit_test(histogram_cumulative),
		cmocka_unit_test(grows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
