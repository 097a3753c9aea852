/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-gen's report (apps/tq-gen/report.c): the JSON has the documented
 * fields, reads back to the same report, and --merge of two reports is
 * exactly their sum: counts, rates, histogram bucket for bucket, and
 * the per-second series by second.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "report.h"

static uint64_t rng = 12345;

static uint64_t
rnd(uint64_t n)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (rng >> 33) % n;
}

/* A run of secs seconds with made-up traffic. */
static void
fake_run(struct gen_report *r, unsigned int secs, double duration)
{
	struct gen_hist *h = gen_hist_new();
	unsigned int t, i, n;

	assert_non_null(h);
	assert_int_equal(gen_report_init(r, "http"), 0);
	r->inputs = 1;
	for (t = 0; t < secs; t++) {
		struct gen_counts c = { 0 };

		gen_hist_init(h);
		n = 100 + (unsigned int)rnd(900);
		for (i = 0; i < n; i++)
			gen_hist_record(h, 20000 + rnd(5000000));
		c.requests = n;
		c.connections = rnd(50);
		c.bytes_rx = n * 600ull;
		c.bytes_tx = n * 80ull;
		c.errors[GEN_E_STATUS_4XX] = rnd(3);
		c.errors[GEN_E_RESET] = rnd(2);
		assert_int_equal(gen_report_add_sec(r, t, &c, h), 0);
		gen_counts_add(&r->c, &c);
		gen_hist_merge(r->lat, h);
	}
	r->duration_s = duration;
	gen_report_rates(r);
	free(h);
}

static void
json_fields(void **state)
{
	static const char *const top[] = { "requests_per_sec",
		"connections_per_sec", "bytes_per_sec", "latency", "errors",
		"histogram", "series", "duration_s", "requests", "mode" };
	static const char *const lat[] = { "p50", "p90", "p99", "p99.9",
		"max" };
	struct gen_report r;
	json_t *j, *e, *s;
	unsigned int i;

	fake_run(&r, 3, 3.0);
	j = gen_report_to_json(&r);
	assert_non_null(j);
	for (i = 0; i < sizeof(top) / sizeof(top[0]); i++)
		assert_non_null(json_object_get(j, top[i]));
	for (i = 0; i < sizeof(lat) / sizeof(lat[0]); i++)
		assert_true(json_is_number(json_object_get(
				json_object_get(j, "latency"), lat[i])));
	e = json_object_get(j, "errors");
	for (i = 0; i < GEN_E_MAX; i++)
		assert_true(json_is_integer(json_object_get(e,
				gen_err_name(i))));
	assert_int_equal(json_integer_value(json_object_get(e, "total")),
			gen_counts_errors(&r.c));
	s = json_object_get(j, "series");
	assert_int_equal(json_array_size(s), 3);
	assert_non_null(json_object_get(json_array_get(s, 2), "histogram"));
	assert_true(json_real_value(json_object_get(j, "requests_per_sec")) ==
			(double)r.c.requests / 3.0);
	/* p99 in µs is the histogram's, converted. */
	assert_true(json_real_value(json_object_get(json_object_get(j,
			"latency"), "p99")) ==
			(double)gen_hist_percentile(r.lat, 99) / 1000.0);
	json_decref(j);
	gen_report_free(&r);
}

static void
round_trip(void **state)
{
	struct gen_report a, b;
	json_t *ja, *jb;
	char err[128];

	fake_run(&a, 4, 4.0);
	ja = gen_report_to_json(&a);
	assert_int_equal(gen_report_init(&b, NULL), 0);
	assert_int_equal(gen_report_add_json(&b, ja, err, sizeof(err)), 0);
	jb = gen_report_to_json(&b);
	assert_true(json_equal(ja, jb));
	assert_memory_equal(a.lat, b.lat, sizeof(*a.lat));
	json_decref(ja);
	json_decref(jb);
	gen_report_free(&a);
	gen_report_free(&b);
}

static void
write_tmp(const struct gen_report *r, char *path)
{
	int fd;

	strcpy(path, "/tmp/test_gen_report.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(gen_report_write(r, path), 0);
}

static void
merge_is_sum(void **state)
{
	struct gen_report a, b, m;
	struct gen_hist *u = gen_hist_new(), *h = gen_hist_new();
	char pa[64], pb[64], err[128];
	unsigned int i, k;

	assert_non_null(u);
	assert_non_null(h);
	fake_run(&a, 3, 3.0);
	fake_run(&b, 5, 4.5);	/* longer, so some seconds only one has */
	write_tmp(&a, pa);
	write_tmp(&b, pb);
	assert_int_equal(gen_report_init(&m, NULL), 0);
	assert_int_equal(gen_report_add_file(&m, pa, err, sizeof(err)), 0);
	assert_int_equal(gen_report_add_file(&m, pb, err, sizeof(err)), 0);

	assert_string_equal(m.mode, "http");
	assert_int_equal(m.inputs, 2);
	assert_true(m.duration_s == 4.5);
	assert_int_equal(m.c.requests, a.c.requests + b.c.requests);
	assert_int_equal(m.c.connections, a.c.connections + b.c.connections);
	assert_int_equal(m.c.bytes_rx, a.c.bytes_rx + b.c.bytes_rx);
	for (i = 0; i < GEN_E_MAX; i++)
		assert_int_equal(m.c.errors[i], a.c.errors[i] + b.c.errors[i]);
	/* Rates as written (10 significant digits) add up. */
	assert_true(m.requests_per_sec > 0);
	assert_true(fabs(m.requests_per_sec - (a.requests_per_sec +
			b.requests_per_sec)) < 1e-6 * m.requests_per_sec);
	/* The histogram is the union's, bucket for bucket. */
	gen_hist_merge(u, a.lat);
	gen_hist_merge(u, b.lat);
	assert_memory_equal(m.lat, u, sizeof(*u));
	/* Series summed by second. */
	assert_int_equal(m.nsec, 5);
	for (i = 0; i < 5; i++) {
		uint64_t want = b.sec[i].c.requests;

		gen_hist_init(u);
		gen_hist_add_sparse(u, &b.sec[i].lat);
		if (i < 3) {
			want += a.sec[i].c.requests;
			gen_hist_add_sparse(u, &a.sec[i].lat);
		}
		assert_int_equal(m.sec[i].t, i);
		assert_int_equal(m.sec[i].c.requests, want);
		gen_hist_init(h);
		gen_hist_add_sparse(h, &m.sec[i].lat);
		assert_memory_equal(h, u, sizeof(*u));
	}

	/* Another mode does not merge; neither does garbage. */
	gen_report_free(&a);
	fake_run(&a, 1, 1.0);
	snprintf(a.mode, sizeof(a.mode), "tcp-echo");
	write_tmp(&a, pa);
	assert_int_equal(gen_report_add_file(&m, pa, err, sizeof(err)),
			-EINVAL);
	k = (unsigned int)(strstr(err, "mode") != NULL);
	assert_int_equal(k, 1);
	{
		FILE *f = fopen(pa, "w");

		assert_non_null(f);
		fputs("{\"mode\": \"http\", \"inputs\": 1}", f);
		fclose(f);
	}
	assert_int_equal(gen_report_add_file(&m, pa, err, sizeof(err)),
			-EINVAL);
	unlink(pa);
	unlink(pb);
	free(u);
	free(h);
	gen_report_free(&a);
	gen_report_free(&b);
	gen_report_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_fields),
		cmocka_unit_test(round_trip),
		cmocka_unit_test(merge_is_sum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
