/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --metrics ADDR:PORT: the Prometheus text format at /metrics, served by
 * a control thread of its own on a kernel socket.  It reads what the
 * workers already keep (counter words, state counts, DPDK's xstats and
 * mempool counts) without a lock, so scraping costs the data path
 * nothing.  One connection at a time: a scrape is one short request.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include "core/tq_module.h"
#include "core/tq_prom.h"
#include "core/tq_shard.h"
#include "tq_engine_priv.h"

static const char *const counter_ids[TQ_CTR_MAX] = {
#define TQ_CTR(id, name, help) [TQ_CTR_##id] = #id,
#include <tachyon/tq_counters.def>
#undef TQ_CTR
};

int
tq_metrics_parse(const char *v, struct sockaddr_storage *ss,
		socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(v, ':');
	char *end;
	unsigned long port;
	size_t hl;

	if (!colon || colon == v)
		return -EINVAL;
	hl = (size_t)(colon - v);
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, v, hl);
	host[hl] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || port == 0 || port > 65535)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return -EINVAL;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -EINVAL;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
	}
	return 0;
}

static void
engine_counters(struct tq_engine *e, struct tq_prom *p)
{
	uint64_t all[TQ_CTR_MAX];
	char name[128], labels[32];
	unsigned int k, w;

	tq_engine_sum_counters(e, -1, all);
	for (k = 0; k < TQ_CTR_MAX; k++) {
		bool gauge = tq_counter_is_gauge(k);
		char help[256];

		if (tq_prom_counter_name(name, sizeof(name), counter_ids[k],
				tq_counter_help(k), gauge) < 0)
			continue;
		snprintf(help, sizeof(help), "%s (%s)", tq_counter_help(k),
				tq_counter_name(k));
		tq_prom_family(p, name, gauge ? "gauge" : "counter", help);
		for (w = 0; w < e->nb_workers; w++) {
			const struct tq_shard *s = e->shards[w];

			if (!s)
				continue;
			snprintf(labels, sizeof(labels), "worker=\"%u\"", w);
			tq_prom_u64(p, name, labels,
				__atomic_load_n(&s->ctr[k], __ATOMIC_RELAXED));
		}
		/* The sum adds the port's drops, which have no worker. */
		tq_prom_u64(p, name, "worker=\"all\"", all[k]);
	}
}

/* UdpEchoReplies -> tachyon_app_udp_echo_replies_total */
static void
app_name(char *out, size_t len, const char *camel)
{
	size_t n = (size_t)snprintf(out, len, "tachyon_app");
	const char *c;

	for (c = camel; *c && n + 8 < len; c++) {
		if (isupper((unsigned char)*c) || c == camel)
			out[n++] = '_';
		out[n++] = (char)tolower((unsigned char)*c);
	}
	out[n] = '\0';
	tq_prom_sanitize(out);
	snprintf(out + n, len - n, "_total");
}

static void
app_counters(struct tq_engine *e, struct tq_prom *p)
{
	/* Per worker, then all (the last row): read once, not per name;
	 * static, as one scrape at a time runs on the metrics thread. */
	static uint64_t v[TQ_MAX_WORKERS + 1][TQ_APP_COUNTERS_MAX];
	char name[TQ_APP_COUNTER_NAME_MAX * 2 + 32], labels[32];
	unsigned int k, w;

	if (!e->nb_app_ctr)
		return;
	for (w = 0; w < e->nb_workers; w++)
		tq_engine_sum_app_counters(e, (int)w, v[w]);
	tq_engine_sum_app_counters(e, -1, v[e->nb_workers]);
	for (k = 0; k < e->nb_app_ctr; k++) {
		app_name(name, sizeof(name), e->app_ctr_name[k]);
		tq_prom_family(p, name, "counter", e->app_ctr_help[k]);
		for (w = 0; w < e->nb_workers; w++) {
			snprintf(labels, sizeof(labels), "worker=\"%u\"", w);
			tq_prom_u64(p, name, labels, v[w][k]);
		}
		tq_prom_u64(p, name, "worker=\"all\"", v[e->nb_workers][k]);
	}
}

/*
 * App histograms (tq_app_hist_register): per worker and summed, in
 * seconds.  A worker may count between reading a bucket and the sum,
 * so a scrape can be off by the requests of that instant, never more.
 */
static void
app_hists(struct tq_engine *e, struct tq_prom *p)
{
	uint64_t cnt[TQ_APP_HIST_BUCKETS_MAX + 1];
	uint64_t all[TQ_APP_HIST_BUCKETS_MAX + 1];
	double bounds[TQ_APP_HIST_BUCKETS_MAX], sum, all_sum;
	char name[TQ_APP_COUNTER_NAME_MAX * 2 + 32], labels[32];
	unsigned int h, w, b;
	size_t n;

	for (h = 0; h < e->nb_app_hist; h++) {
		const struct tq_app_hist_def *d = &e->app_hist[h];

		/* RequestLatency -> tachyon_app_request_latency_seconds */
		app_name(name, sizeof(name), d->name);
		n = strlen(name) - strlen("_total");
		snprintf(name + n, sizeof(name) - n, "_seconds");
		tq_prom_family(p, name, "histogram", d->help);
		for (b = 0; b < d->nb; b++)
			bounds[b] = (double)d->bounds_ns[b] / 1e9;
		memset(all, 0, sizeof(all));
		all_sum = 0;
		for (w = 0; w < e->nb_workers; w++) {
			const uint64_t *v;

			if (!e->shards[w])
				continue;
			v = e->shards[w]->app_hist[h];
			for (b = 0; b <= d->nb; b++) {
				cnt[b] = __atomic_load_n(&v[b],
						__ATOMIC_RELAXED);
				all[b] += cnt[b];
			}
			sum = (double)__atomic_load_n(
				&v[TQ_APP_HIST_BUCKETS_MAX + 1],
				__ATOMIC_RELAXED) / 1e9;
			all_sum += sum;
			snprintf(labels, sizeof(labels), "worker=\"%u\"", w);
			tq_prom_histogram(p, name, labels, bounds, d->nb, cnt,
					sum);
		}
		tq_prom_histogram(p, name, "worker=\"all\"", bounds, d->nb,
				all, all_sum);
	}
}

/* DPDK's extended stats, per port and per queue as the PMD names them. */
static void
port_xstats(struct tq_engine *e, struct tq_prom *p)
{
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *vals = NULL;
	char name[RTE_ETH_XSTATS_NAME_SIZE + 32], labels[96];
	int n, i;

	if (!e->port.started)
		return;
	n = rte_eth_xstats_get_names(e->port.id, NULL, 0);
	if (n <= 0)
		return;
	names = calloc((size_t)n, sizeof(*names));
	vals = calloc((size_t)n, sizeof(*vals));
	if (!names || !vals ||
			rte_eth_xstats_get_names(e->port.id, names, n) != n ||
			rte_eth_xstats_get(e->port.id, vals, n) != n)
		goto out;
	snprintf(labels, sizeof(labels), "port=\"%s\"", e->port.name);
	for (i = 0; i < n; i++) {
		const char *xn = names[vals[i].id].name;
		char help[RTE_ETH_XSTATS_NAME_SIZE + 48];

		snprintf(name, sizeof(name), "tachyon_port_%s", xn);
		tq_prom_sanitize(name);
		/* Every ethdev xstat counts up; the suffix says so. */
		if (strlen(name) < 6 ||
				strcmp(name + strlen(name) - 6, "_total"))
			strncat(name, "_total", sizeof(name) - strlen(name) - 1);
		snprintf(help, sizeof(help), "DPDK xstat %s of the port", xn);
		tq_prom_family(p, name, "counter", help);
		tq_prom_u64(p, name, labels, vals[i].value);
	}
out:
	free(names);
	free(vals);
}

static void
mempools(struct tq_engine *e, struct tq_prom *p)
{
	char labels[RTE_MEMPOOL_NAMESIZE + 16];
	unsigned int i;

	tq_prom_family(p, "tachyon_mempool_mbufs_in_use", "gauge",
		"mbufs out of the pool, in descriptor rings and queues (per-lcore caches count as free)");
	for (i = 0; i < RTE_MAX_NUMA_NODES; i++) {
		struct rte_mempool *mp = e->port.pool[i];

		if (!mp)
			continue;
		snprintf(labels, sizeof(labels), "pool=\"%s\"", mp->name);
		tq_prom_u64(p, "tachyon_mempool_mbufs_in_use", labels,
				rte_mempool_in_use_count(mp));
	}
	tq_prom_family(p, "tachyon_mempool_mbufs", "gauge",
		"mbufs the pool holds in all");
	for (i = 0; i < RTE_MAX_NUMA_NODES; i++) {
		struct rte_mempool *mp = e->port.pool[i];

		if (!mp)
			continue;
		snprintf(labels, sizeof(labels), "pool=\"%s\"", mp->name);
		tq_prom_u64(p, "tachyon_mempool_mbufs", labels, mp->size);
	}
}

/* tq-ctl workers' figures, for a Grafana headroom panel. */
static void
worker_load(struct tq_engine *e, struct tq_prom *p)
{
	static const char *const phase[TQ_LOAD_MAX] = {
		[TQ_LOAD_RX] = "rx",
		[TQ_LOAD_PROTO] = "protocol",
		[TQ_LOAD_TX] = "tx",
		[TQ_LOAD_IDLE] = "idle",
	};
	double hz = (double)rte_get_tsc_hz();
	char labels[64];
	unsigned int w, k;

	tq_prom_family(p, "tachyon_worker_polls_total", "counter",
		"polls of the port by the worker");
	for (w = 0; w < e->nb_workers; w++) {
		if (!e->shards[w])
			continue;
		snprintf(labels, sizeof(labels), "worker=\"%u\"", w);
		tq_prom_u64(p, "tachyon_worker_polls_total", labels,
			__atomic_load_n(&e->shards[w]->load.polls,
					__ATOMIC_RELAXED));
	}
	tq_prom_family(p, "tachyon_worker_busy_polls_total", "counter",
		"polls that received or sent something");
	for (w = 0; w < e->nb_workers; w++) {
		if (!e->shards[w])
			continue;
		snprintf(labels, sizeof(labels), "worker=\"%u\"", w);
		tq_prom_u64(p, "tachyon_worker_busy_polls_total", labels,
			__atomic_load_n(&e->shards[w]->load.busy_polls,
					__ATOMIC_RELAXED));
	}
	tq_prom_family(p, "tachyon_worker_cpu_seconds_total", "counter",
		"worker time by phase (TSC): rx, protocol, tx, idle polls");
	for (w = 0; w < e->nb_workers; w++) {
		if (!e->shards[w])
			continue;
		for (k = 0; k < TQ_LOAD_MAX; k++) {
			snprintf(labels, sizeof(labels),
				"worker=\"%u\",phase=\"%s\"", w, phase[k]);
			tq_prom_double(p, "tachyon_worker_cpu_seconds_total",
				labels, (double)__atomic_load_n(
					&e->shards[w]->load.cycles[k],
					__ATOMIC_RELAXED) / hz);
		}
	}
}

void
tq_metrics_page(struct tq_engine *e, struct tq_prom *p)
{
	unsigned int m;

	tq_prom_family(p, "tachyon_workers", "gauge",
		"worker lcores polling the port");
	tq_prom_u64(p, "tachyon_workers", NULL, e->nb_workers);
	engine_counters(e, p);
	app_counters(e, p);
	app_hists(e, p);
	worker_load(e, p);
	for (m = 0; tq_modules[m]; m++)
		if (tq_modules[m]->metrics)
			tq_modules[m]->metrics(e->shards, e->nb_workers, p);
	port_xstats(e, p);
	mempools(e, p);
	/* The page is a tq_prom; apps see it as struct tq_metrics_page. */
	for (m = 0; m < e->nb_on_metrics; m++)
		e->on_metrics[m].fn((struct tq_metrics_page *)p,
				e->on_metrics[m].arg);
}

int
tq_engine_on_metrics(struct tq_engine *e, tq_metrics_fn fn, void *arg)
{
	if (!fn)
		return -EINVAL;
	if (e->started)
		return -EBUSY;
	if (e->nb_on_metrics == TQ_METRICS_HOOKS_MAX)
		return -ENOSPC;
	e->on_metrics[e->nb_on_metrics].fn = fn;
	e->on_metrics[e->nb_on_metrics].arg = arg;
	e->nb_on_metrics++;
	return 0;
}

void
tq_metrics_family(struct tq_metrics_page *pg, const char *name,
		const char *type, const char *help)
{
	tq_prom_family((struct tq_prom *)pg, name, type, help);
}

void
tq_metrics_sample(struct tq_metrics_page *pg, const char *name,
		const char *labels, double v)
{
	tq_prom_double((struct tq_prom *)pg, name, labels, v);
}

int
tq_metrics_escape(char *out, size_t len, const char *v)
{
	size_t n = 0;

	for (; *v; v++) {
		const char *r = *v == '\\' ? "\\\\" : *v == '"' ? "\\\"" :
			*v == '\n' ? "\\n" : NULL;
		size_t k = r ? 2 : 1;

		if (n + k < len) {
			if (r)
				memcpy(out + n, r, 2);
			else
				out[n] = *v;
		}
		n += k;
	}
	if (len)
		out[n < len ? n : len - 1] = '\0';
	return (int)n;
}

static void
send_all(int fd, const char *b, size_t len)
{
	while (len) {
		ssize_t n = send(fd, b, len, MSG_NOSIGNAL);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return;
		}
		b += n;
		len -= (size_t)n;
	}
}

static void
reply(int fd, const char *status, const char *type, const char *body,
		size_t len)
{
	char head[256];
	int n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
		"Content-Length: %zu\r\nConnection: close\r\n\r\n",
		status, type, len);
	send_all(fd, head, (size_t)n);
	send_all(fd, body, len);
}

static void
serve_one(struct tq_engine *e, int fd)
{
	struct timeval tv = { .tv_sec = 2 };
	char req[4096];
	size_t got = 0;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (got < sizeof(req) - 1) {
		ssize_t n = recv(fd, req + got, sizeof(req) - 1 - got, 0);

		if (n <= 0)
			return;
		got += (size_t)n;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[got] = '\0';
	if (strncmp(req, "GET ", 4) && strncmp(req, "HEAD ", 5)) {
		reply(fd, "405 Method Not Allowed", "text/plain", "GET only\n", 9);
		return;
	}
	{
		const char *path = strchr(req, ' ') + 1;
		size_t pl = strcspn(path, " ?\r\n");

		if (!((pl == 8 && !strncmp(path, "/metrics", 8)) ||
				(pl == 1 && path[0] == '/'))) {
			reply(fd, "404 Not Found", "text/plain",
					"try /metrics\n", 13);
			return;
		}
	}
	{
		struct tq_prom p;

		tq_prom_init(&p);
		tq_metrics_page(e, &p);
		if (p.oom)
			reply(fd, "503 Service Unavailable", "text/plain",
					"out of memory\n", 14);
		else
			reply(fd, "200 OK",
				"text/plain; version=0.0.4; charset=utf-8",
				p.buf, p.len);
		tq_prom_free(&p);
	}
}

static void *
metrics_main(void *arg)
{
	struct tq_engine *e = arg;

	while (!__atomic_load_n(&e->metrics_stop, __ATOMIC_ACQUIRE)) {
		struct pollfd pfd = { .fd = e->metrics_fd, .events = POLLIN };
		int fd;

		/* Wakes to see the stop flag; the scrape itself is not
		 * delayed by it. */
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		fd = accept(e->metrics_fd, NULL, NULL);
		if (fd < 0)
			continue;
		serve_one(e, fd);
		close(fd);
	}
	return NULL;
}

int
tq_metrics_start(struct tq_engine *e)
{
	int one = 1, fd, ret;

	if (!e->metrics_len)
		return 0;
	fd = socket(e->metrics_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&e->metrics_addr, e->metrics_len) < 0 ||
			listen(fd, 16) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	e->metrics_fd = fd;
	e->metrics_stop = false;
	ret = rte_ctrl_thread_create(&e->metrics_thread, "tq-metrics", NULL,
			metrics_main, e);
	if (ret != 0) {
		ret = -ret;
		close(fd);
		e->metrics_fd = -1;
		return ret;
	}
	e->metrics_on = true;
	return 0;
}

void
tq_metrics_stop(struct tq_engine *e)
{
	if (!e->metrics_on)
		return;
	__atomic_store_n(&e->metrics_stop, true, __ATOMIC_RELEASE);
	pthread_join(e->metrics_thread, NULL);
	close(e->metrics_fd);
	e->metrics_fd = -1;
	e->metrics_on = false;
}
