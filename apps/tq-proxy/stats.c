/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-proxy's stats: app counters (tq-ctl stats, the Prometheus page)
 * and, per listener and per backend, telemetry /tqproxy/listeners and
 * /tqproxy/backends summed over the workers' own tables.
 */
#include <errno.h>
#include <stdio.h>

#include <rte_telemetry.h>

#include "h3front.h"
#include "proxy.h"

static const struct {
	const char *name;
	const char *help;
} ctr_names[PC_MAX] = {
	[PC_ACCEPTED] = { "ProxyAccepted",
		"Client connections accepted (tq-proxy)" },
	[PC_REJECTED] = { "ProxyConnRejected",
		"Client connections reset: --max-conns reached or no memory" },
	[PC_BACKEND_CONNECTS] = { "ProxyBackendConnects",
		"Backend connections established" },
	[PC_CONNECT_FAILS] = { "ProxyConnectFails",
		"Backend opens refused, unreachable or timed out" },
	[PC_CONNECT_TIMEOUTS] = { "ProxyConnectTimeouts",
		"Backend opens given up after --connect-timeout-ms" },
	[PC_RETRIES] = { "ProxyRetries",
		"Backend opens after a first one failed, before any byte" },
	[PC_NO_BACKEND] = { "ProxyNoBackend",
		"Clients reset: every backend tried or the retries spent" },
	[PC_IDLE_TIMEOUTS] = { "ProxyIdleTimeouts",
		"Relayed connections reset after --idle-timeout-ms" },
	[PC_RESETS_CARRIED] = { "ProxyResetsCarried",
		"A leg ended abnormally and the other was reset" },
	[PC_BYTES_UP] = { "ProxyBytesUp",
		"Bytes spliced from clients to backends" },
	[PC_BYTES_DOWN] = { "ProxyBytesDown",
		"Bytes spliced from backends to clients" },
	[PC_HEALTH_CHECKS] = { "ProxyHealthChecks",
		"Active health checks started" },
	[PC_HEALTH_FAILS] = { "ProxyHealthFails",
		"Active health checks that failed" },
	[PC_EJECTS] = { "ProxyEjects",
		"Backends marked down (active or passive checks)" },
	[PC_RESTORES] = { "ProxyRestores",
		"Backends marked up again" },
	[PC_HTTP_REQUESTS] = { "ProxyHttpRequests",
		"HTTP mode: requests parsed" },
	[PC_HTTP_1XX] = { "ProxyHttp1xx", "HTTP mode: 1xx answers sent" },
	[PC_HTTP_2XX] = { "ProxyHttp2xx", "HTTP mode: 2xx answers sent" },
	[PC_HTTP_3XX] = { "ProxyHttp3xx", "HTTP mode: 3xx answers sent" },
	[PC_HTTP_4XX] = { "ProxyHttp4xx", "HTTP mode: 4xx answers sent" },
	[PC_HTTP_5XX] = { "ProxyHttp5xx", "HTTP mode: 5xx answers sent" },
	[PC_HTTP_LOCAL] = { "ProxyHttpLocalAnswers",
		"HTTP mode: answers made by the proxy (400, 413, 431, 502, "
		"503, 504)" },
	[PC_HTTP_BACKEND_TIMEOUTS] = { "ProxyHttpBackendTimeouts",
		"HTTP mode: backends silent for --backend-timeout-ms" },
	[PC_HTTP_BACKEND_REUSED] = { "ProxyHttpBackendReused",
		"HTTP mode: requests sent on a kept backend connection" },
	[PC_HTTP_BACKEND_PARKED] = { "ProxyHttpBackendParked",
		"HTTP mode: backend connections kept idle after an answer" },
	[PC_HTTP_BACKEND_STALE] = { "ProxyHttpBackendStale",
		"HTTP mode: kept backend connections found closed, the "
		"request sent again on a new one" },
	[PC_RELOADS] = { "ProxyReloads",
		"Configurations reloaded (tq-ctl reload, SIGHUP) and "
		"taken by every worker" },
	[PC_RELOAD_FAILS] = { "ProxyReloadFails",
		"Reloads refused: the file or the result was bad; the "
		"running configuration stayed" },
};

/* HTTP mode's requests and answers by class (0 in tcp mode). */
static void
add_http(struct rte_tel_data *c, uint64_t requests, const uint64_t *resp)
{
	static const char *const cls[5] = {
		"resp_1xx", "resp_2xx", "resp_3xx", "resp_4xx", "resp_5xx",
	};
	unsigned int k;

	rte_tel_data_add_dict_u64(c, "requests", requests);
	for (k = 0; k < 5; k++)
		rte_tel_data_add_dict_u64(c, cls[k], resp[k]);
}

/* rte_telemetry callbacks take no argument. */
static struct proxy *tel_proxy;

static int
tel_backends(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct proxy *p = tel_proxy;
	char name[16], addr[TQ_ADDR_STRLEN + 8], a[TQ_ADDR_STRLEN];
	unsigned int b, i, k, sl;
	const struct pgen *g;
	int ret = 0;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	/* The newest generation's backends; it stays while we hold the
	 * lock (a reload replaces it under the lock). */
	pthread_mutex_lock(&p->lock);
	g = p->cur;
	for (b = 0; g && b < g->conf.nb_backends; b++) {
		const struct proxy_backend *be = &g->conf.be[b];
		struct pstat_be sum = { 0 };
		struct rte_tel_data *c = rte_tel_data_alloc();

		if (!c) {
			ret = -ENOMEM;
			break;
		}
		sl = g->slot[b];
		for (i = 0; i < p->nb_workers; i++) {
			const struct pstat_be *x = &p->w[i].be[sl];

			sum.active += x->active;
			sum.total += x->total;
			sum.bytes_up += x->bytes_up;
			sum.bytes_down += x->bytes_down;
			sum.connect_fails += x->connect_fails;
			sum.requests += x->requests;
			for (k = 0; k < 5; k++)
				sum.resp[k] += x->resp[k];
		}
		tq_addr_format(&be->addr, a, sizeof(a));
		snprintf(addr, sizeof(addr), be->addr.family == AF_INET6 ?
				"[%s]:%u" : "%s:%u", a, be->port);
		/* Telemetry names take letters, digits and _ only. */
		snprintf(name, sizeof(name), "backend%u", b);
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_string(c, "addr", addr);
		rte_tel_data_add_dict_string(c, "pool", g->conf.pool[be->pool]);
		rte_tel_data_add_dict_u64(c, "up", backend_up(p, sl));
		rte_tel_data_add_dict_u64(c, "active", sum.active);
		rte_tel_data_add_dict_u64(c, "total", sum.total);
		rte_tel_data_add_dict_u64(c, "bytes_up", sum.bytes_up);
		rte_tel_data_add_dict_u64(c, "bytes_down", sum.bytes_down);
		rte_tel_data_add_dict_u64(c, "connect_fails",
				sum.connect_fails);
		add_http(c, sum.requests, sum.resp);
		rte_tel_data_add_dict_container(d, name, c, 0);
	}
	pthread_mutex_unlock(&p->lock);
	return ret;
}

static int
tel_listeners(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct proxy *p = tel_proxy;
	unsigned int l, i, k;
	const struct pgen *g;
	char name[16];
	int ret = 0;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&p->lock);
	g = p->cur;
	for (l = 0; g && l < g->conf.nb_listen; l++) {
		struct pstat_listen sum = { 0 };
		struct rte_tel_data *c = rte_tel_data_alloc();

		if (!c) {
			ret = -ENOMEM;
			break;
		}
		for (i = 0; i < p->nb_workers; i++) {
			const struct pstat_listen *x =
				&p->w[i].l[g->lslot[l]];

			sum.active += x->active;
			sum.total += x->total;
			sum.bytes_up += x->bytes_up;
			sum.bytes_down += x->bytes_down;
			sum.requests += x->requests;
			sum.errors += x->errors;
			for (k = 0; k < 5; k++)
				sum.resp[k] += x->resp[k];
		}
		snprintf(name, sizeof(name), "listen%u", l);
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "port", g->conf.listen[l]);
		rte_tel_data_add_dict_string(c, "pool",
				g->conf.pool[g->conf.listen_pool[l]]);
		rte_tel_data_add_dict_u64(c, "active", sum.active);
		rte_tel_data_add_dict_u64(c, "total", sum.total);
		rte_tel_data_add_dict_u64(c, "bytes_up", sum.bytes_up);
		rte_tel_data_add_dict_u64(c, "bytes_down", sum.bytes_down);
		add_http(c, sum.requests, sum.resp);
		rte_tel_data_add_dict_u64(c, "errors", sum.errors);
		rte_tel_data_add_dict_container(d, name, c, 0);
	}
	h3front_tel_listener(d);
	pthread_mutex_unlock(&p->lock);
	return ret;
}

/*
 * Per backend on the --metrics page, labelled with its address and
 * pool (what app counters cannot carry): up, connections now and in
 * all, bytes each way, failed opens, and in HTTP mode requests and
 * answers by class.
 */
static void
prom_backends(struct tq_metrics_page *pg, void *arg)
{
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
		{ "tachyon_proxy_backend_up", "gauge",
		  "1 while tq-proxy sends to the backend, 0 while ejected" },
		{ "tachyon_proxy_backend_connections", "gauge",
		  "relayed connections to the backend now" },
		{ "tachyon_proxy_backend_connections_total", "counter",
		  "connections relayed to the backend" },
		{ "tachyon_proxy_backend_sent_bytes_total", "counter",
		  "bytes sent to the backend" },
		{ "tachyon_proxy_backend_received_bytes_total", "counter",
		  "bytes received from the backend" },
		{ "tachyon_proxy_backend_connect_failures_total", "counter",
		  "opens to the backend refused, unreachable or timed out" },
		{ "tachyon_proxy_backend_requests_total", "counter",
		  "HTTP mode: requests sent to the backend" },
		{ "tachyon_proxy_backend_responses_total", "counter",
		  "HTTP mode: the backend's answers by status class" },
	};
	static const char *const cls[5] = { "1xx", "2xx", "3xx", "4xx", "5xx" };
	struct proxy *p = arg;
	struct pstat_be sum[PROXY_MAX_BACKENDS];
	char lab[PROXY_MAX_BACKENDS][256], l2[300];
	unsigned int b, i, k, f, nb, sl[PROXY_MAX_BACKENDS];
	const struct pgen *g;
	uint64_t gen;

	pthread_mutex_lock(&p->lock);
	g = p->cur;
	nb = g ? g->conf.nb_backends : 0;
	gen = g ? g->id : 0;
	for (b = 0; b < nb; b++) {
		const struct proxy_backend *be = &g->conf.be[b];
		char a[TQ_ADDR_STRLEN], addr[TQ_ADDR_STRLEN + 8];
		char ea[2 * sizeof(addr)], ep[2 * PROXY_POOL_NAME_MAX + 2];

		memset(&sum[b], 0, sizeof(sum[b]));
		sl[b] = g->slot[b];
		for (i = 0; i < p->nb_workers; i++) {
			const struct pstat_be *x = &p->w[i].be[sl[b]];

			sum[b].active += __atomic_load_n(&x->active,
					__ATOMIC_RELAXED);
			sum[b].total += __atomic_load_n(&x->total,
					__ATOMIC_RELAXED);
			sum[b].bytes_up += __atomic_load_n(&x->bytes_up,
					__ATOMIC_RELAXED);
			sum[b].bytes_down += __atomic_load_n(&x->bytes_down,
					__ATOMIC_RELAXED);
			sum[b].connect_fails += __atomic_load_n(
					&x->connect_fails, __ATOMIC_RELAXED);
			sum[b].requests += __atomic_load_n(&x->requests,
					__ATOMIC_RELAXED);
			for (k = 0; k < 5; k++)
				sum[b].resp[k] += __atomic_load_n(&x->resp[k],
						__ATOMIC_RELAXED);
		}
		tq_addr_format(&be->addr, a, sizeof(a));
		snprintf(addr, sizeof(addr), be->addr.family == AF_INET6 ?
				"[%s]:%u" : "%s:%u", a, be->port);
		tq_metrics_escape(ea, sizeof(ea), addr);
		tq_metrics_escape(ep, sizeof(ep), g->conf.pool[be->pool]);
		snprintf(lab[b], sizeof(lab[b]), "backend=\"%s\",pool=\"%s\"",
				ea, ep);
	}
	pthread_mutex_unlock(&p->lock);
	tq_metrics_family(pg, "tachyon_proxy_config_generation", "gauge",
		"tq-proxy's configuration generation: 1 at start, one more "
		"per reload taken");
	tq_metrics_sample(pg, "tachyon_proxy_config_generation", NULL,
			(double)gen);
	for (f = 0; f < RTE_DIM(fam); f++) {
		tq_metrics_family(pg, fam[f].name, fam[f].type, fam[f].help);
		for (b = 0; b < nb; b++) {
			const struct pstat_be *x = &sum[b];

			switch (f) {
			case 0:
				tq_metrics_sample(pg, fam[f].name, lab[b],
						backend_up(p, sl[b]));
				break;
			case 1:
				tq_metrics_sample(pg, fam[f].name, lab[b],
						(double)x->active);
				break;
			case 2:
				tq_metrics_sample(pg, fam[f].name, lab[b],
						(double)x->total);
				break;
			case 3:
				tq_metrics_sample(pg, fam[f].name, lab[b],
						(double)x->bytes_up);
				break;
			case 4:
				tq_metrics_sample(pg, fam[f].name, lab[b],
						(double)x->bytes_down);
				break;
			case 5:
				tq_metrics_sample(pg, fam[f].name, lab[b],
						(double)x->connect_fails);
				break;
			case 6:
				tq_metrics_sample(pg, fam[f].name, lab[b],
						(double)x->requests);
				break;
			default:
				for (k = 0; k < 5; k++) {
					snprintf(l2, sizeof(l2),
						"%s,class=\"%s\"", lab[b],
						cls[k]);
					tq_metrics_sample(pg, fam[f].name, l2,
						(double)x->resp[k]);
				}
			}
		}
	}
}

int
stats_register(struct proxy *p)
{
	unsigned int i;
	int id;

	for (i = 0; i < PC_MAX; i++) {
		id = tq_app_counter_register(p->e, ctr_names[i].name,
				ctr_names[i].help);
		if (id < 0)
			return id;
		p->ctr[i] = id;
	}
	tel_proxy = p;
	id = tq_engine_on_metrics(p->e, prom_backends, p);
	if (id < 0)
		return id;
	rte_telemetry_register_cmd("/tqproxy/backends", tel_backends,
		"Per backend of tq-proxy: up, active, total, bytes_up, "
		"bytes_down, connect_fails");
	rte_telemetry_register_cmd("/tqproxy/listeners", tel_listeners,
		"Per listener of tq-proxy: active, total, bytes_up, "
		"bytes_down");
	return 0;
}
