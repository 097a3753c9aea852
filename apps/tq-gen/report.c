/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static const char *const err_names[GEN_E_MAX] = {
#define GEN_ERR_NAME(id, name) name,
	GEN_ERRORS(GEN_ERR_NAME)
#undef GEN_ERR_NAME
};

const char *
gen_err_name(enum gen_err e)
{
	return (unsigned int)e < GEN_E_MAX ? err_names[e] : NULL;
}

void
gen_counts_add(struct gen_counts *dst, const struct gen_counts *src)
{
	unsigned int i;

	dst->requests += src->requests;
	dst->connections += src->connections;
	dst->bytes_rx += src->bytes_rx;
	dst->bytes_tx += src->bytes_tx;
	dst->resumed += src->resumed;
	dst->early += src->early;
	for (i = 0; i < GEN_E_MAX; i++)
		dst->errors[i] += src->errors[i];
}

uint64_t
gen_counts_errors(const struct gen_counts *c)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < GEN_E_MAX; i++)
		n += c->errors[i];
	return n;
}

int
gen_report_init(struct gen_report *r, const char *mode)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->mode, sizeof(r->mode), "%s", mode ? mode : "");
	r->lat = gen_hist_new();
	return r->lat ? 0 : -ENOMEM;
}

void
gen_report_free(struct gen_report *r)
{
	uint32_t i;

	for (i = 0; i < r->nsec; i++)
		gen_hist_sparse_free(&r->sec[i].lat);
	free(r->sec);
	free(r->lat);
	json_decref(r->config);
	memset(r, 0, sizeof(*r));
}

void
gen_report_rates(struct gen_report *r)
{
	double d = r->duration_s > 0 ? r->duration_s : 1;

	r->requests_per_sec = (double)r->c.requests / d;
	r->connections_per_sec = (double)r->c.connections / d;
	r->bytes_per_sec = (double)(r->c.bytes_rx + r->c.bytes_tx) / d;
}

/* The slot for second t, made (in order) if it is not there. */
static struct gen_sec *
sec_slot(struct gen_report *r, uint32_t t)
{
	struct gen_sec *s;
	uint32_t i = r->nsec;

	while (i > 0 && r->sec[i - 1].t > t)
		i--;
	if (i > 0 && r->sec[i - 1].t == t)
		return &r->sec[i - 1];
	s = realloc(r->sec, (r->nsec + 1) * sizeof(*s));
	if (!s)
		return NULL;
	r->sec = s;
	memmove(&s[i + 1], &s[i], (r->nsec - i) * sizeof(*s));
	r->nsec++;
	memset(&s[i], 0, sizeof(s[i]));
	s[i].t = t;
	s[i].lat.min = UINT64_MAX;
	return &s[i];
}

/* sp += h, through a dense scratch histogram. */
static int
sparse_add(struct gen_hist_sparse *sp, const struct gen_hist *h)
{
	struct gen_hist *t;
	struct gen_hist_sparse n;
	int ret;

	if (!h->count)
		return 0;
	t = gen_hist_new();
	if (!t)
		return -ENOMEM;
	gen_hist_add_sparse(t, sp);
	gen_hist_merge(t, h);
	ret = gen_hist_to_sparse(t, &n);
	free(t);
	if (ret < 0)
		return ret;
	gen_hist_sparse_free(sp);
	*sp = n;
	return 0;
}

int
gen_report_add_sec(struct gen_report *r, uint32_t t,
		const struct gen_counts *c, const struct gen_hist *lat)
{
	struct gen_sec *s = sec_slot(r, t);

	if (!s)
		return -ENOMEM;
	gen_counts_add(&s->c, c);
	return lat ? sparse_add(&s->lat, lat) : 0;
}

static double
us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

static json_t *
errors_json(const struct gen_counts *c)
{
	json_t *o = json_object();
	unsigned int i;

	if (!o)
		return NULL;
	for (i = 0; i < GEN_E_MAX; i++)
		json_object_set_new(o, err_names[i],
				json_integer((json_int_t)c->errors[i]));
	json_object_set_new(o, "total",
			json_integer((json_int_t)gen_counts_errors(c)));
	return o;
}

static json_t *
latency_json(const struct gen_hist *h)
{
	return json_pack("{s:s, s:f, s:f, s:f, s:f, s:f, s:f, s:f}",
			"unit", "us",
			"p50", us(gen_hist_percentile(h, 50)),
			"p90", us(gen_hist_percentile(h, 90)),
			"p99", us(gen_hist_percentile(h, 99)),
			"p99.9", us(gen_hist_percentile(h, 99.9)),
			"max", us(h->count ? h->max : 0),
			"min", us(h->count ? h->min : 0),
			"mean", gen_hist_mean(h) / 1000.0);
}

static int
counts_into(json_t *o, const struct gen_counts *c)
{
	int ret = 0;

	ret |= json_object_set_new(o, "requests",
			json_integer((json_int_t)c->requests));
	ret |= json_object_set_new(o, "connections",
			json_integer((json_int_t)c->connections));
	ret |= json_object_set_new(o, "bytes_rx",
			json_integer((json_int_t)c->bytes_rx));
	ret |= json_object_set_new(o, "bytes_tx",
			json_integer((json_int_t)c->bytes_tx));
	ret |= json_object_set_new(o, "resumed",
			json_integer((json_int_t)c->resumed));
	ret |= json_object_set_new(o, "early_accepted",
			json_integer((json_int_t)c->early));
	ret |= json_object_set_new(o, "errors", errors_json(c));
	return ret ? -ENOMEM : 0;
}

static json_t *
sec_json(const struct gen_sec *s)
{
	struct gen_hist *h = gen_hist_new();
	json_t *o = json_object();

	if (!h || !o)
		goto fail;
	gen_hist_add_sparse(h, &s->lat);
	if (json_object_set_new(o, "t", json_integer(s->t)) ||
			counts_into(o, &s->c) < 0 ||
			json_object_set_new(o, "p50_us",
				json_real(us(gen_hist_percentile(h, 50)))) ||
			json_object_set_new(o, "p99_us",
				json_real(us(gen_hist_percentile(h, 99)))) ||
			json_object_set_new(o, "histogram",
				gen_hist_sparse_to_json(&s->lat)))
		goto fail;
	free(h);
	return o;
fail:
	free(h);
	json_decref(o);
	return NULL;
}

json_t *
gen_report_to_json(const struct gen_report *r)
{
	json_t *o = json_object(), *series = json_array();
	uint32_t i;

	if (!o || !series)
		goto fail;
	for (i = 0; i < r->nsec; i++)
		if (json_array_append_new(series, sec_json(&r->sec[i])))
			goto fail;
	if (json_object_set_new(o, "series", series))
		goto fail_o;
	if (json_object_set_new(o, "tool", json_string("tq-gen")) ||
			json_object_set_new(o, "format", json_integer(1)) ||
			json_object_set_new(o, "mode", json_string(r->mode)) ||
			json_object_set_new(o, "inputs",
				json_integer(r->inputs)) ||
			json_object_set_new(o, "interrupted",
				json_boolean(r->interrupted)) ||
			json_object_set_new(o, "duration_s",
				json_real(r->duration_s)) ||
			json_object_set_new(o, "requests_per_sec",
				json_real(r->requests_per_sec)) ||
			json_object_set_new(o, "connections_per_sec",
				json_real(r->connections_per_sec)) ||
			json_object_set_new(o, "bytes_per_sec",
				json_real(r->bytes_per_sec)) ||
			counts_into(o, &r->c) < 0 ||
			json_object_set_new(o, "latency",
				latency_json(r->lat)) ||
			json_object_set_new(o, "histogram",
				gen_hist_to_json(r->lat)))
		goto fail_o;
	if (r->config && json_object_set(o, "config", r->config))
		goto fail_o;
	return o;
fail:
	json_decref(series);
fail_o:
	json_decref(o);
	return NULL;
}

int
gen_report_write(const struct gen_report *r, const char *path)
{
	json_t *j = gen_report_to_json(r);
	int ret;

	if (!j)
		return -ENOMEM;
	if (strcmp(path, "-") == 0)
		ret = json_dumpf(j, stdout,
				JSON_INDENT(1) | JSON_REAL_PRECISION(10));
	else
		ret = json_dump_file(j, path,
				JSON_INDENT(1) | JSON_REAL_PRECISION(10));
	json_decref(j);
	return ret ? -EIO : 0;
}

static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static bool
get_u64(const json_t *o, const char *key, uint64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

static bool
get_num(const json_t *o, const char *key, double *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return *out >= 0;
}

static int
counts_from(const json_t *o, struct gen_counts *c, char *err, size_t len)
{
	json_t *e = json_object_get(o, "errors");
	unsigned int i;

	memset(c, 0, sizeof(*c));
	if (!get_u64(o, "requests", &c->requests) ||
			!get_u64(o, "connections", &c->connections) ||
			!get_u64(o, "bytes_rx", &c->bytes_rx) ||
			!get_u64(o, "bytes_tx", &c->bytes_tx) ||
			!json_is_object(e)) {
		set_err(err, len, "missing or bad counts");
		return -EINVAL;
	}
	/* an older report has none */
	if (json_object_get(o, "resumed"))
		(void)get_u64(o, "resumed", &c->resumed);
	if (json_object_get(o, "early_accepted"))
		(void)get_u64(o, "early_accepted", &c->early);
	for (i = 0; i < GEN_E_MAX; i++) {
		/* A kind an older report lacks counts as none. */
		if (json_object_get(e, err_names[i]) &&
				!get_u64(e, err_names[i], &c->errors[i])) {
			set_err(err, len, "bad errors.%s", err_names[i]);
			return -EINVAL;
		}
	}
	return 0;
}

int
gen_report_add_json(struct gen_report *r, const json_t *j, char *err,
		size_t len)
{
	struct gen_counts c;
	struct gen_hist *h;
	const char *mode;
	json_t *series, *s;
	double d, rps, cps, bps;
	uint64_t inputs;
	size_t i;
	int ret;

	if (!json_is_object(j) || !json_is_string(json_object_get(j, "mode")) ||
			!get_u64(j, "inputs", &inputs) ||
			!get_num(j, "duration_s", &d) ||
			!get_num(j, "requests_per_sec", &rps) ||
			!get_num(j, "connections_per_sec", &cps) ||
			!get_num(j, "bytes_per_sec", &bps)) {
		set_err(err, len, "not a tq-gen report (mode, inputs, "
				"duration_s, rates)");
		return -EINVAL;
	}
	mode = json_string_value(json_object_get(j, "mode"));
	if (r->inputs && strcmp(mode, r->mode)) {
		set_err(err, len, "mode %s does not merge with %s", mode,
				r->mode);
		return -EINVAL;
	}
	ret = counts_from(j, &c, err, len);
	if (ret < 0)
		return ret;
	series = json_object_get(j, "series");
	if (!json_is_array(series)) {
		set_err(err, len, "no series");
		return -EINVAL;
	}
	ret = gen_hist_add_json(r->lat, json_object_get(j, "histogram"));
	if (ret < 0) {
		set_err(err, len, "bad histogram");
		return ret;
	}
	h = gen_hist_new();
	if (!h)
		return -ENOMEM;
	json_array_foreach(series, i, s) {
		struct gen_counts sc;
		uint64_t t;

		gen_hist_init(h);
		ret = counts_from(s, &sc, err, len);
		if (ret == 0 && (!get_u64(s, "t", &t) || t > UINT32_MAX))
			ret = -EINVAL;
		if (ret == 0)
			ret = gen_hist_add_json(h,
					json_object_get(s, "histogram"));
		if (ret == 0)
			ret = gen_report_add_sec(r, (uint32_t)t, &sc, h);
		if (ret < 0) {
			if (ret == -EINVAL)
				set_err(err, len, "bad series entry %zu", i);
			free(h);
			return ret;
		}
	}
	free(h);
	snprintf(r->mode, sizeof(r->mode), "%s", mode);
	gen_counts_add(&r->c, &c);
	r->inputs += (uint32_t)inputs;
	r->interrupted |= json_is_true(json_object_get(j, "interrupted"));
	if (d > r->duration_s)
		r->duration_s = d;
	r->requests_per_sec += rps;
	r->connections_per_sec += cps;
	r->bytes_per_sec += bps;
	return 0;
}

int
gen_report_add_file(struct gen_report *r, const char *path, char *err,
		size_t len)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	int ret;

	if (!j) {
		set_err(err, len, "%s:%d: %s", path, je.line, je.text);
		return -EINVAL;
	}
	ret = gen_report_add_json(r, j, err, len);
	json_decref(j);
	return ret;
}

static void
fmt_us(char *buf, size_t len, uint64_t ns)
{
	if (ns >= 1000000000ull)
		snprintf(buf, len, "%.2fs", (double)ns / 1e9);
	else if (ns >= 1000000)
		snprintf(buf, len, "%.2fms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.2fus", (double)ns / 1e3);
}

void
gen_report_print(const struct gen_report *r, FILE *f)
{
	static const double ps[] = { 50, 90, 99, 99.9 };
	char a[32], b[32];
	uint64_t errs = gen_counts_errors(&r->c);
	unsigned int i;

	fprintf(f, "  Latency (from the intended send time)  mean ");
	fmt_us(a, sizeof(a), (uint64_t)gen_hist_mean(r->lat));
	fmt_us(b, sizeof(b), r->lat->count ? r->lat->max : 0);
	fprintf(f, "%s  max %s\n", a, b);
	fprintf(f, "  Latency distribution\n");
	for (i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		fmt_us(a, sizeof(a), gen_hist_percentile(r->lat, ps[i]));
		fprintf(f, "  %7.3f%%  %s\n", ps[i], a);
	}
	fprintf(f, "  %" PRIu64 " requests, %" PRIu64 " connections in "
			"%.2fs, %.2f MB read, %.2f MB written\n",
			r->c.requests, r->c.connections, r->duration_s,
			(double)r->c.bytes_rx / 1e6,
			(double)r->c.bytes_tx / 1e6);
	if (r->c.resumed)
		fprintf(f, "  %" PRIu64 " resumed, %" PRIu64 " with 0-RTT "
				"accepted\n", r->c.resumed, r->c.early);
	if (errs) {
		fprintf(f, "  Errors: %" PRIu64, errs);
		for (i = 0; i < GEN_E_MAX; i++)
			if (r->c.errors[i])
				fprintf(f, ", %s %" PRIu64, err_names[i],
						r->c.errors[i]);
		fprintf(f, "\n");
	}
	fprintf(f, "Requests/sec: %12.2f\n", r->requests_per_sec);
	fprintf(f, "Connections/sec: %9.2f\n", r->connections_per_sec);
	fprintf(f, "Transfer/sec: %12.2f MB\n", r->bytes_per_sec / 1e6);
}
