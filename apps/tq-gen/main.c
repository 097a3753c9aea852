/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-gen: a load generator on the engine's public API.
 *   tq-gen EAL... -- --addr A/P [--gateway G] --url http://IP[:PORT]/PATH
 *       [--connections N] [--requests-per-conn K] [--rate R | --cps R]
 *       [--duration S] [--warmup S] [--mode http|tcp-echo|tcp-bulk]
 *       [--json FILE]
 *   tq-gen --merge A.json B.json ... [--json OUT]
 * Each worker owns its share of the connections; each second the
 * workers' counts and histograms are rolled up into a progress line and
 * the per-second series; at the end (or on Ctrl-C) a wrk-like summary
 * and the JSON report (docs/tq-gen.md).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <tachyon/tachyon.h>
#include <tachyon/tq_quic.h>
#include <tachyon/tq_worker.h>

#include "gen.h"

/* --quic-client-ports of --h3 when none is given */
#define GEN_H3_CLIENT_PORTS "47100-47163"


static const char *const mode_names[] = {
	[GEN_MODE_HTTP] = "http",
	[GEN_MODE_TCP_ECHO] = "tcp-echo",
	[GEN_MODE_TCP_BULK] = "tcp-bulk",
	[GEN_MODE_UDP] = "udp",
	[GEN_MODE_H3] = "h3",
};

/* ---- options ---- */

static int
parse_u32(const char *v, uint32_t lo, uint32_t hi, uint32_t *out)
{
	unsigned long long x;
	char *end;

	if (!v || !*v || *v == '-')
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end || x < lo || x > hi)
		return -EINVAL;
	*out = (uint32_t)x;
	return 0;
}

/* scheme://IP[:PORT][/PATH]; the host is an address (no DNS here), an
 * IPv6 one in brackets. */
static int
set_url(void *arg, const char *v)
{
	struct gen *g = arg;
	struct gen_url *u;
	const char *p, *auth, *end, *hend;
	char host[64];
	size_t n;

	if (g->nurl == GEN_MAX_URLS || !(p = strstr(v, "://")))
		return -EINVAL;
	u = &g->url[g->nurl];
	memset(u, 0, sizeof(*u));
	n = (size_t)(p - v);
	if (n >= sizeof(u->scheme))
		return -EINVAL;
	memcpy(u->scheme, v, n);
	if (strcmp(u->scheme, "http") && strcmp(u->scheme, "tcp") &&
			strcmp(u->scheme, "udp") && strcmp(u->scheme, "https"))
		return -EINVAL;
	auth = p + 3;
	end = strchr(auth, '/');
	if (!end)
		end = auth + strlen(auth);
	if ((size_t)(end - auth) >= sizeof(u->host))
		return -EINVAL;
	memcpy(u->host, auth, (size_t)(end - auth));
	if (*auth == '[') {
		hend = strchr(auth, ']');
		if (!hend || hend > end)
			return -EINVAL;
		auth++;
		p = hend + 1;
	} else {
		hend = memchr(auth, ':', (size_t)(end - auth));
		if (!hend)
			hend = end;
		p = hend;
	}
	n = (size_t)(hend - auth);
	if (!n || n >= sizeof(host))
		return -EINVAL;
	memcpy(host, auth, n);
	host[n] = '\0';
	snprintf(u->name, sizeof(u->name), "%s", host);
	if (tq_addr_parse(host, &u->addr) < 0)
		return -EINVAL;
	if (p < end) {
		char port[8];

		if (*p != ':' || (size_t)(end - p - 1) >= sizeof(port))
			return -EINVAL;
		memcpy(port, p + 1, (size_t)(end - p - 1));
		port[end - p - 1] = '\0';
		if (tq_port_parse(port, &u->port) < 0)
			return -EINVAL;
	} else if (!strcmp(u->scheme, "http")) {
		u->port = 80;
	} else if (!strcmp(u->scheme, "https")) {
		u->port = 443;
	} else {
		return -EINVAL;
	}
	snprintf(u->path, sizeof(u->path), "%s", *end ? end : "/");
	g->nurl++;
	return 0;
}

static int
set_mode(void *arg, const char *v)
{
	struct gen *g = arg;
	unsigned int i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (!strcmp(v, mode_names[i])) {
			g->mode = (enum gen_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int
set_connections(void *arg, const char *v)
{
	return parse_u32(v, 1, 10000000, &((struct gen *)arg)->connections);
}

static int
set_reqs(void *arg, const char *v)
{
	return parse_u32(v, 0, UINT32_MAX, &((struct gen *)arg)->reqs_per_conn);
}

static int
set_rate(void *arg, const char *v)
{
	return gen_rate_parse(v, &((struct gen *)arg)->rate_milli);
}

static int
set_cps(void *arg, const char *v)
{
	return gen_rate_parse(v, &((struct gen *)arg)->cps_milli);
}

static int
set_ramp(void *arg, const char *v)
{
	return gen_rate_parse(v, &((struct gen *)arg)->ramp_milli);
}

static int
set_duration(void *arg, const char *v)
{
	return parse_u32(v, 1, 86400, &((struct gen *)arg)->duration_s);
}

static int
set_warmup(void *arg, const char *v)
{
	return parse_u32(v, 0, 86400, &((struct gen *)arg)->warmup_s);
}

static int
set_size(void *arg, const char *v)
{
	return parse_u32(v, 1, 1u << 24, &((struct gen *)arg)->size);
}

/* Seconds, to the millisecond. */
static int
set_timeout(void *arg, const char *v)
{
	uint64_t ms;
	int ret = gen_rate_parse(v, &ms);

	if (ret == 0)
		((struct gen *)arg)->timeout_ns = ms * 1000000ull;
	return ret;
}

static int
set_src_ports(void *arg, const char *v)
{
	struct gen *g = arg;
	unsigned int lo, hi;
	char extra;

	if (sscanf(v, "%u-%u%c", &lo, &hi, &extra) != 2 || lo < 1 ||
			hi > 65535 || lo > hi)
		return -EINVAL;
	g->sport_lo = (uint16_t)lo;
	g->sport_hi = (uint16_t)hi;
	return 0;
}

/* A token (RFC 9110 5.6.2), as methods are. */
static int
set_method(void *arg, const char *v)
{
	static const char *const known[] = {
		[TQ_HTTP_M_GET] = "GET", [TQ_HTTP_M_HEAD] = "HEAD",
		[TQ_HTTP_M_POST] = "POST", [TQ_HTTP_M_PUT] = "PUT",
		[TQ_HTTP_M_DELETE] = "DELETE", [TQ_HTTP_M_OPTIONS] = "OPTIONS",
	};
	struct gen *g = arg;
	size_t i, n = strlen(v);

	if (!n || n >= sizeof(g->method))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) &&
				!strchr("!#$%&'*+-.^_`|~", v[i]))
			return -EINVAL;
	memcpy(g->method, v, n + 1);
	/* CONNECT would end HTTP at a 2xx: not a load to generate. */
	if (!strcmp(v, "CONNECT"))
		return -EINVAL;
	g->meth = TQ_HTTP_M_OTHER;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i] && !strcmp(v, known[i]))
			g->meth = (enum tq_http_method)i;
	return 0;
}

static int
set_body_size(void *arg, const char *v)
{
	struct gen *g = arg;
	uint32_t n, i;
	char *b;

	if (g->has_body || parse_u32(v, 0, GEN_BODY_MAX, &n) < 0)
		return -EINVAL;
	b = malloc(n ? n : 1);
	if (!b)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		b[i] = (char)('a' + i % 26);
	g->body = b;
	g->body_len = n;
	g->has_body = true;
	return 0;
}

static int
set_body(void *arg, const char *v)
{
	struct gen *g = arg;
	FILE *f;
	long n;
	char *b;

	if (g->has_body || !(f = fopen(v, "rb")))
		return -EINVAL;
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 ||
			n > GEN_BODY_MAX || fseek(f, 0, SEEK_SET) < 0 ||
			!(b = malloc(n ? (size_t)n : 1))) {
		fclose(f);
		return -EINVAL;
	}
	if (n && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		fclose(f);
		return -EINVAL;
	}
	fclose(f);
	g->body = b;
	g->body_len = (uint32_t)n;
	g->has_body = true;
	return 0;
}

static int
set_json(void *arg, const char *v)
{
	((struct gen *)arg)->json_path = v;
	return 0;
}

static int
set_quiet(void *arg, const char *v)
{
	((struct gen *)arg)->quiet = !v || strcmp(v, "0");
	return 0;
}

static int
set_cc(void *arg, const char *v)
{
	static const char *const names[] = {
		[TQ_CC_NEWRENO] = "newreno", [TQ_CC_CUBIC] = "cubic",
		[TQ_CC_BBR] = "bbr",
	};
	uint32_t i;

	for (i = 1; i < sizeof(names) / sizeof(names[0]); i++)
		if (v && strcasecmp(v, names[i]) == 0) {
			((struct gen *)arg)->cc = i;
			return 0;
		}
	return -EINVAL;
}

/* Head and body in one buffer, so a request is one write. */
static char *
request_make(const struct gen *g, const struct gen_url *u, bool close,
		uint32_t *len)
{
	char head[GEN_REQ_MAX], clen[24], *r;
	struct tq_http_hdr f[5] = {
		{ "Host", u->host },
		{ "User-Agent", "tq-gen" },
	};
	unsigned int nf = 2;
	int n;

	if (g->has_body) {
		snprintf(clen, sizeof(clen), "%" PRIu32, g->body_len);
		f[nf++] = (struct tq_http_hdr){ "Content-Length", clen };
		f[nf++] = (struct tq_http_hdr){ "Content-Type",
			"application/octet-stream" };
	}
	if (close)
		f[nf++] = (struct tq_http_hdr){ "Connection", "close" };
	n = tq_http_write_request(head, sizeof(head), g->method, u->path, 1,
			f, nf);
	if (n < 0 || !(r = malloc((size_t)n + g->body_len)))
		return NULL;
	memcpy(r, head, (size_t)n);
	if (g->body_len)
		memcpy(r + n, g->body, g->body_len);
	*len = (uint32_t)n + g->body_len;
	return r;
}

static int
build_requests(struct gen *g)
{
	unsigned int i;

	for (i = 0; i < g->nurl; i++) {
		struct gen_url *u = &g->url[i];

		u->req = request_make(g, u, false, &u->req_len);
		u->req_close = request_make(g, u, true, &u->req_close_len);
		if (!u->req || !u->req_close)
			return -EINVAL;
	}
	return 0;
}

static int
set_h3(void *arg, const char *v)
{
	(void)v;
	((struct gen *)arg)->mode = GEN_MODE_H3;
	return 0;
}

static int
set_resume(void *arg, const char *v)
{
	(void)v;
	((struct gen *)arg)->resume = true;
	return 0;
}

static int
set_migrate(void *arg, const char *v)
{
	(void)v;
	((struct gen *)arg)->migrate = true;
	return 0;
}

static int
set_streams(void *arg, const char *v)
{
	return parse_u32(v, 1, 1000, &((struct gen *)arg)->streams);
}

static int
set_ciphers(void *arg, const char *v)
{
	struct gen *g = arg;
	char buf[64], *tok, *save = NULL;

	if (snprintf(buf, sizeof(buf), "%s", v) >= (int)sizeof(buf))
		return -EINVAL;
	g->ciphers = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
			tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "aes128"))
			g->ciphers |= TQ_QUIC_CIPHER_AES_128_GCM;
		else if (!strcmp(tok, "aes256"))
			g->ciphers |= TQ_QUIC_CIPHER_AES_256_GCM;
		else if (!strcmp(tok, "chacha20"))
			g->ciphers |= TQ_QUIC_CIPHER_CHACHA20;
		else
			return -EINVAL;
	}
	return g->ciphers ? 0 : -EINVAL;
}

static int
set_ca(void *arg, const char *v)
{
	((struct gen *)arg)->ca_file = v;
	return 0;
}

static int
set_expect_len(void *arg, const char *v)
{
	struct gen *g = arg;
	char *end;

	errno = 0;
	g->expect_len = strtoull(v, &end, 10);
	if (errno || *end || !*v || *v == '-')
		return -EINVAL;
	g->expect_len_set = true;
	return 0;
}

static int
set_expect_fnv(void *arg, const char *v)
{
	struct gen *g = arg;
	char *end;

	errno = 0;
	g->expect_fnv = strtoull(v, &end, 16);
	if (errno || *end || !*v)
		return -EINVAL;
	g->expect_fnv_set = true;
	return 0;
}

static int
check_options(struct gen *g)
{
	const char *want = g->mode == GEN_MODE_HTTP ? "http" :
		g->mode == GEN_MODE_UDP ? "udp" :
		g->mode == GEN_MODE_H3 ? "https" : "tcp";
	unsigned int i;

	if (g->mode == GEN_MODE_UDP) {
		if (!g->rate_milli || g->cps_milli) {
			fprintf(stderr, "tq-gen: --mode udp needs --rate "
					"(and no --cps)\n");
			return -EINVAL;
		}
		if (g->size < 24) {
			fprintf(stderr, "tq-gen: --mode udp needs --size 24 "
					"or more (the datagram carries its "
					"send time)\n");
			return -EINVAL;
		}
		g->udp_port = g->sport_lo ? g->sport_lo : 47000;
		if ((unsigned int)g->udp_port + g->nworkers > 65536) {
			fprintf(stderr, "tq-gen: --src-ports: no room for a "
					"port per worker\n");
			return -EINVAL;
		}
	}
	if (!g->nurl) {
		fprintf(stderr, "tq-gen: --url is needed\n");
		return -EINVAL;
	}
	for (i = 0; i < g->nurl; i++) {
		if (strcmp(g->url[i].scheme, want)) {
			fprintf(stderr, "tq-gen: --mode %s takes %s:// URLs\n",
					mode_names[g->mode], want);
			return -EINVAL;
		}
	}
	if (g->mode != GEN_MODE_HTTP && (g->has_body ||
			strcmp(g->method, "GET"))) {
		fprintf(stderr, "tq-gen: --method and --body are for "
				"--mode http\n");
		return -EINVAL;
	}
	if (g->rate_milli && g->cps_milli) {
		fprintf(stderr, "tq-gen: --rate and --cps do not mix\n");
		return -EINVAL;
	}
	if (g->ramp_milli && g->cps_milli) {
		fprintf(stderr, "tq-gen: --ramp and --cps do not mix (--cps "
				"paces every open)\n");
		return -EINVAL;
	}
	if (g->cps_milli && !g->reqs_per_conn)
		g->reqs_per_conn = 1;
	if (g->mode == GEN_MODE_H3)
		return 0;
	return build_requests(g);
}

/* ---- the per-second roll-up ---- */

static void
fmt_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns >= 1000000000ull)
		snprintf(buf, len, "%.2fs", (double)ns / 1e9);
	else if (ns >= 1000000)
		snprintf(buf, len, "%.2fms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.1fus", (double)ns / 1e3);
}

/* Under g->lock. */
static void
agg_flush(struct gen *g, struct gen_agg *a)
{
	char p99[32];
	int64_t t = a->k - (int64_t)g->warmup_s;

	if (!g->quiet) {
		fmt_ns(p99, sizeof(p99), gen_hist_percentile(a->h, 99));
		printf("[%4" PRId64 "s] %s rps %9" PRIu64 "  cps %7" PRIu64
				"  conns %6" PRIu64 "  errors %5" PRIu64
				"  %8.1f Mbit/s  p99 %s\n", a->k + 1,
				t < 0 ? "warmup" : "      ", a->c.requests,
				a->c.connections, a->active,
				gen_counts_errors(&a->c),
				(double)(a->c.bytes_rx + a->c.bytes_tx) * 8 /
				1e6, p99);
		fflush(stdout);
	}
	if (t >= 0 && gen_report_add_sec(&g->rep, (uint32_t)t, &a->c,
				a->h) < 0)
		fprintf(stderr, "tq-gen: out of memory for the series\n");
	memset(&a->c, 0, sizeof(a->c));
	gen_hist_init(a->h);
	a->k = -1;
	a->n = 0;
	a->active = 0;
}

static void
agg_push(struct gen_worker *w, int64_t k)
{
	struct gen *g = w->g;
	struct gen_agg *a = &g->agg[k % GEN_AGG_SLOTS];

	pthread_mutex_lock(&g->lock);
	if (a->k != k) {
		/* A worker more than a few seconds behind: show what came. */
		if (a->k >= 0)
			agg_flush(g, a);
		a->k = k;
	}
	gen_counts_add(&a->c, &w->sec);
	gen_hist_merge(a->h, w->lat_sec);
	a->active += w->busy;
	if (++a->n == g->nworkers)
		agg_flush(g, a);
	pthread_mutex_unlock(&g->lock);
	memset(&w->sec, 0, sizeof(w->sec));
	gen_hist_init(w->lat_sec);
}

/* ---- workers ---- */

static void
stop_engine(struct gen *g)
{
	__atomic_store_n(&g->stopping, 1, __ATOMIC_RELEASE);
	tq_engine_stop(g->e);
}

/*
 * The engine begins to stop, before it closes this worker's
 * connections.  Unless the run ended (stopping already set), someone
 * stopped it early (SIGINT, SIGTERM): the report says interrupted, and
 * the closes that follow are not counted as errors.
 */
static void
worker_stopping(struct tq_shard *s, void *arg)
{
	struct gen *g = arg;

	RTE_SET_USED(s);
	if (__atomic_exchange_n(&g->stopping, 1, __ATOMIC_ACQ_REL) == 0)
		__atomic_store_n(&g->interrupted, 1, __ATOMIC_RELAXED);
}

void
gen_worker_finished(struct gen_worker *w)
{
	struct gen *g = w->g;

	if (__atomic_add_fetch(&g->workers_done, 1, __ATOMIC_ACQ_REL) ==
			g->nworkers)
		stop_engine(g);
}

/* Second k of the run is over. */
static void
tick(struct tq_shard *s, struct tq_app_timer *t, void *arg)
{
	struct gen_worker *w = arg;
	const struct gen *g = w->g;
	uint64_t now = tq_shard_now(s), next;

	if (__atomic_load_n(&g->stopping, __ATOMIC_RELAXED))
		return;
	agg_push(w, (int64_t)w->k);
	w->k++;
	if (w->k == g->warmup_s)
		w->phase = GP_MEASURE;
	if (w->k == (uint64_t)g->warmup_s + g->duration_s) {
		gen_worker_conns_end(w);
		return;
	}
	/* From the start, not from now: ticks do not drift. */
	next = g->start_ns + (w->k + 1) * 1000000000ull;
	tq_app_timer_arm(t, next > now ? next - now : 0);
}

static void
worker_free(struct gen_worker *w)
{
	gen_worker_conns_free(w);
	tq_app_timer_free(w->tick);
	free(w->lat);
	free(w->lat_sec);
	free(w);
}

static void
worker_start(struct tq_shard *s, void *arg)
{
	struct gen *g = arg;
	struct gen_worker *w = calloc(1, sizeof(*w));
	uint64_t now = tq_shard_now(s), zero = 0;
	int ret = -ENOMEM;

	/* Time zero is the first worker's, a little ahead so the others
	 * are up by then; all workers read the same TSC clock. */
	__atomic_compare_exchange_n(&g->start_ns, &zero, now + 20000000ull,
			false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	tq_shard_set_app_ctx(s, w);
	if (!w)
		goto fail;
	w->g = g;
	w->s = s;
	w->id = tq_shard_id(s);
	w->phase = g->warmup_s ? GP_WARMUP : GP_MEASURE;
	w->lat = gen_hist_new();
	w->lat_sec = gen_hist_new();
	w->tick = tq_app_timer_create(s, tick, w);
	if (!w->lat || !w->lat_sec || !w->tick)
		goto fail;
	ret = gen_worker_conns_start(w);
	if (ret < 0)
		goto fail;
	now = tq_shard_now(s);
	tq_app_timer_arm(w->tick, g->start_ns + 1000000000ull - now);
	return;
fail:
	fprintf(stderr, "tq-gen: worker %u: %s\n", tq_shard_id(s),
			strerror(-ret));
	if (w)
		w->phase = GP_DONE;
	stop_engine(g);
}

static void
worker_stop(struct tq_shard *s, void *arg)
{
	struct gen *g = arg;
	struct gen_worker *w = tq_shard_app_ctx(s);
	uint64_t now = tq_shard_now(s), measured = 0;
	uint64_t mstart = g->start_ns + g->warmup_s * 1000000000ull;

	if (!w)
		return;
	if (w->phase == GP_MEASURE && now > mstart)
		measured = now - mstart;
	else if (w->phase >= GP_DRAIN)
		measured = g->duration_s * 1000000000ull;
	pthread_mutex_lock(&g->lock);
	g->udp_sent += w->udp_sent;
	gen_counts_add(&g->rep.c, &w->tot);
	gen_hist_merge(g->rep.lat, w->lat);
	if (measured > g->measured_ns)
		g->measured_ns = measured;
	pthread_mutex_unlock(&g->lock);
	tq_shard_set_app_ctx(s, NULL);
	worker_free(w);
}

/* ---- the report ---- */

static json_t *
config_json(const struct gen *g)
{
	json_t *urls = json_array(), *o;
	unsigned int i;

	for (i = 0; urls && i < g->nurl; i++) {
		char a[TQ_ADDR_STRLEN];
		char buf[1200];

		tq_addr_format(&g->url[i].addr, a, sizeof(a));
		snprintf(buf, sizeof(buf), "%s://%s%s", g->url[i].scheme,
				g->url[i].host, g->mode == GEN_MODE_HTTP ||
				g->mode == GEN_MODE_H3 ?
				g->url[i].path : "");
		json_array_append_new(urls, json_string(buf));
	}
	o = json_pack("{s:o, s:s, s:I, s:I, s:f, s:f, s:f, s:I, s:I, "
			"s:f, s:I, s:I, s:s, s:I}",
			"urls", urls ? urls : json_array(),
			"mode", mode_names[g->mode],
			"connections", (json_int_t)g->connections,
			"requests_per_conn", (json_int_t)g->reqs_per_conn,
			"rate", (double)g->rate_milli / GEN_RATE_SCALE,
			"cps", (double)g->cps_milli / GEN_RATE_SCALE,
			"ramp", (double)g->ramp_milli / GEN_RATE_SCALE,
			"duration_s", (json_int_t)g->duration_s,
			"warmup_s", (json_int_t)g->warmup_s,
			"timeout_s", (double)g->timeout_ns / 1e9,
			"size", (json_int_t)g->size,
			"workers", (json_int_t)g->nworkers,
			"method", g->method,
			"body_bytes", (json_int_t)g->body_len);
	if (o && g->mode == GEN_MODE_H3)
		json_object_set_new(o, "streams",
				json_integer((json_int_t)g->streams));
	return o;
}

static int
finish(struct gen *g)
{
	struct gen_report *r = &g->rep;
	int ret = 0;

	r->inputs = 1;
	r->interrupted = g->interrupted;
	r->duration_s = (double)g->measured_ns / 1e9;
	/* Datagrams of the window whose echo never came (an interrupted
	 * run stops short of waiting for them: not counted then). */
	if (g->mode == GEN_MODE_UDP && !g->interrupted &&
			g->udp_sent > r->c.requests)
		r->c.errors[GEN_E_TIMEOUT] += g->udp_sent - r->c.requests;
	gen_report_rates(r);
	r->config = config_json(g);
	printf("%s%s test, %u connection(s), %u worker(s), %.2fs measured\n",
			g->interrupted ? "\ninterrupted: " : "",
			mode_names[g->mode], g->connections, g->nworkers,
			r->duration_s);
	gen_report_print(r, stdout);
	fflush(stdout);
	if (g->json_path) {
		ret = gen_report_write(r, g->json_path);
		if (ret < 0)
			fprintf(stderr, "tq-gen: --json %s: %s\n",
					g->json_path, strerror(-ret));
	}
	return ret;
}

/* tq-gen --merge A.json B.json ... [--json OUT]: no engine. */
static int
merge_main(int argc, char **argv)
{
	struct gen_report r;
	const char *out = NULL;
	char err[256];
	int i, n = 0, ret;

	if (gen_report_init(&r, NULL) < 0)
		return 1;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--merge"))
			continue;
		if (!strcmp(argv[i], "--json") && i + 1 < argc) {
			out = argv[++i];
			continue;
		}
		ret = gen_report_add_file(&r, argv[i], err, sizeof(err));
		if (ret < 0) {
			fprintf(stderr, "tq-gen: --merge %s: %s\n", argv[i],
					err);
			gen_report_free(&r);
			return TQ_EXIT_CONFIG;
		}
		n++;
	}
	if (!n) {
		fprintf(stderr, "tq-gen: --merge needs report files\n");
		gen_report_free(&r);
		return TQ_EXIT_CONFIG;
	}
	printf("merged %d report(s) of %u run(s), mode %s, %.2fs\n", n,
			r.inputs, r.mode, r.duration_s);
	gen_report_print(&r, stdout);
	ret = out ? gen_report_write(&r, out) : 0;
	if (ret < 0)
		fprintf(stderr, "tq-gen: --json %s: %s\n", out, strerror(-ret));
	gen_report_free(&r);
	return ret < 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	static struct gen g = {
		.mode = GEN_MODE_HTTP,
		.connections = 10,
		.duration_s = 10,
		.timeout_ns = 2000000000ull,
		.size = 64,
		.method = "GET",
		.meth = TQ_HTTP_M_GET,
		.lock = PTHREAD_MUTEX_INITIALIZER,
	};
	const struct tq_app_opt opts[] = {
		{ "url", "gen", "URL", "target: http://IP[:PORT]/PATH, or "
			"tcp://IP:PORT / udp://IP:PORT (repeatable)",
			set_url, &g },
		{ "mode", "gen", "MODE", "http, tcp-echo, tcp-bulk or udp "
			"(http)",
			set_mode, &g },
		{ "connections", "gen", "N", "connections at once (10)",
			set_connections, &g },
		{ "requests-per-conn", "gen", "K", "requests per connection, "
			"then a new one; 0: keep-alive (0)", set_reqs, &g },
		{ "rate", "gen", "R", "requests per second, open loop; "
			"latency from the intended send time", set_rate, &g },
		{ "cps", "gen", "R", "new connections per second, open loop "
			"(--connections caps how many are open)", set_cps, &g },
		{ "ramp", "gen", "R", "first opens of the --connections per "
			"second (all at once)", set_ramp, &g },
		{ "duration", "gen", "S", "seconds measured (10)",
			set_duration, &g },
		{ "warmup", "gen", "S", "seconds before measuring (0)",
			set_warmup, &g },
		{ "timeout", "gen", "S", "seconds an open or an answer may "
			"take (2)", set_timeout, &g },
		{ "src-ports", "gen", "LO-HI", "source ports to open from "
			"(the engine's ephemeral range)", set_src_ports, &g },
		{ "size", "gen", "BYTES", "tcp-echo request, tcp-bulk write, "
			"udp datagram size (64)", set_size, &g },
		{ "method", "gen", "M", "HTTP request method (GET)",
			set_method, &g },
		{ "body-size", "gen", "BYTES", "send a body of BYTES bytes "
			"(with Content-Length)", set_body_size, &g },
		{ "body", "gen", "FILE", "send FILE as the body (with "
			"Content-Length)", set_body, &g },
		{ "json", "gen", "FILE", "write the JSON report to FILE",
			set_json, &g },
		{ "quiet", "gen", NULL, "no progress lines", set_quiet, &g },
		{ "cc", "gen", "NAME", "congestion control of each connection "
			"it opens: newreno, cubic or bbr (TQ_OPT_CC; default: "
			"the engine's --tcp-cc / --quic-cc)", set_cc, &g },
		{ "h3", "gen", NULL, "HTTP/3 over QUIC to https://IP[:PORT]/PATH "
			"URLs (the engine's QUIC client)", set_h3, &g },
		{ "streams", "gen", "M", "--h3: requests in flight per "
			"connection (1)", set_streams, &g },
		{ "resume", "gen", NULL, "--h3: a connection resumes the "
			"session of its slot's last one (0-RTT offered, with "
			"its NEW_TOKEN token)", set_resume, &g },
		{ "migrate", "gen", NULL, "--h3: each connection moves to "
			"another local port after its first answer "
			"(tq_quic_migrate())", set_migrate, &g },
		{ "ciphers", "gen", "LIST", "--h3: cipher suites offered, of "
			"aes128,aes256,chacha20 (all)", set_ciphers, &g },
		{ "ca", "gen", "FILE", "--h3: verify the server's certificate "
			"against FILE (PEM; default: not verified)",
			set_ca, &g },
		{ "expect-length", "gen", "BYTES", "--h3: a response body of "
			"another length is an error", set_expect_len, &g },
		{ "expect-fnv", "gen", "HEX", "--h3: a response body whose "
			"FNV-1a 64 hash differs is an error", set_expect_fnv,
			&g },
	};
	char **av = NULL;
	unsigned int i;
	int ret;

	for (i = 1; i < (unsigned int)argc; i++)
		if (!strcmp(argv[i], "--merge"))
			return merge_main(argc, argv);
	/* --h3 opens from the QUIC module's client ports: give it a range
	 * when the command line does not. */
	for (i = 1; i < (unsigned int)argc; i++)
		if (!strcmp(argv[i], "--h3"))
			break;
	if (i < (unsigned int)argc) {
		bool dd = false, have = false;

		for (i = 1; i < (unsigned int)argc; i++) {
			dd |= !strcmp(argv[i], "--");
			have |= !strcmp(argv[i], "--quic-client-ports");
		}
		if (!have) {
			av = calloc((size_t)argc + 4, sizeof(*av));
			if (!av)
				return 1;
			memcpy(av, argv, (size_t)argc * sizeof(*av));
			if (!dd)
				av[argc++] = (char *)"--";
			av[argc++] = (char *)"--quic-client-ports";
			av[argc++] = (char *)GEN_H3_CLIENT_PORTS;
			argv = av;
		}
	}
	g.streams = 1;
	ret = tq_engine_create(argc, argv, "tq-gen", opts,
			sizeof(opts) / sizeof(opts[0]), &g.e);
	if (ret == 1)
		return 0;
	if (ret < 0)
		return ret == -EINVAL ? TQ_EXIT_CONFIG : 1;
	g.nworkers = tq_engine_workers(g.e);
	g.nsrc = RTE_MIN(tq_engine_addrs(g.e, g.src, GEN_MAX_SRC),
			(unsigned int)GEN_MAX_SRC);
	ret = check_options(&g);
	if (ret == 0)
		ret = gen_report_init(&g.rep, mode_names[g.mode]);
	g.payload = malloc(g.size);
	for (i = 0; i < GEN_AGG_SLOTS && ret == 0; i++) {
		g.agg[i].k = -1;
		g.agg[i].h = gen_hist_new();
		if (!g.agg[i].h)
			ret = -ENOMEM;
	}
	if (ret == 0 && (!g.payload || !g.nworkers))
		ret = -EINVAL;
	if (ret == 0) {
		for (i = 0; i < g.size; i++)
			g.payload[i] = (uint8_t)('a' + i % 26);
		g.ctr_requests = tq_app_counter_register(g.e, "GenRequests",
				"Answers tq-gen received whole (measured)");
		g.ctr_errors = tq_app_counter_register(g.e, "GenErrors",
				"Errors tq-gen counted (measured)");
		/* For Prometheus; the report keeps its own finer histogram. */
		g.hist_latency = tq_app_hist_register(g.e, "GenLatency",
				"Latency of tq-gen's answers from the intended "
				"send time (measured)", NULL, 0);
		if (g.ctr_requests < 0 || g.ctr_errors < 0 ||
				g.hist_latency < 0)
			ret = -EINVAL;
	}
	if (ret == 0 && g.mode == GEN_MODE_UDP)
		ret = gen_udp_bind(&g);
	if (ret == 0)
		ret = tq_engine_on_worker_start(g.e, worker_start, &g);
	if (ret == 0)
		ret = tq_engine_on_worker_stopping(g.e, worker_stopping, &g);
	if (ret == 0)
		ret = tq_engine_on_worker_stop(g.e, worker_stop, &g);
	if (ret < 0) {
		ret = TQ_EXIT_CONFIG;
		goto out;
	}
	printf("tq-gen: %s, %u connection(s) on %u worker(s), %us "
			"(+%us warmup)\n", mode_names[g.mode], g.connections,
			g.nworkers, g.duration_s, g.warmup_s);
	fflush(stdout);
	ret = tq_engine_run(g.e);
	if (ret == 0)
		ret = finish(&g);
	ret = ret < 0 ? 1 : 0;
out:
	tq_engine_destroy(g.e);
	gen_report_free(&g.rep);
	for (i = 0; i < GEN_AGG_SLOTS; i++)
		free(g.agg[i].h);
	free(g.payload);
	free(av);
	free(g.body);
	for (i = 0; i < g.nurl; i++) {
		free(g.url[i].req);
		free(g.url[i].req_close);
	}
	return ret;
}
