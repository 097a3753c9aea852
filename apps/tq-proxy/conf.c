/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-proxy's options: parsers and the final check (docs/tq-proxy.md,
 * Options).  The engine reads them from the command line and from its
 * --config INI file (rte_cfgfile) and calls proxy_conf_set() for each.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"

const struct proxy_conf_key proxy_conf_keys[] = {
	{ "listen", "proxy", "PORT[,POOL]",
		"accept on PORT, every address, for POOL's backends "
		"(repeatable)" },
	{ "backend", "proxy", "ADDR:PORT[,POOL]",
		"a backend of POOL (default); [ADDR]:PORT for IPv6 "
		"(repeatable)" },
	{ "mode", "proxy", "tcp|http",
		"tcp: L4 relay; http: HTTP/1.1 reverse proxy (tcp)" },
	{ "route", "proxy", "[HOST]/PREFIX=POOL",
		"http: requests for HOST (any) under PREFIX go to POOL; "
		"longest prefix wins (repeatable)" },
	{ "balance", "proxy", "rr|leastconn|hash",
		"backend choice; hash: of the client address (rr)" },
	{ "proxy-protocol", "proxy", NULL,
		"send a PROXY protocol v2 header to the backend first" },
	{ "backlog", "proxy", "N",
		"SYN and accept queue bound per listener, per worker (1024)" },
	{ "connect-timeout-ms", "timeouts", "MS",
		"backend open given up (and retried) after MS (3000)" },
	{ "idle-timeout-ms", "timeouts", "MS",
		"reset a relayed connection idle for MS; 0: never (300000)" },
	{ "backend-timeout-ms", "timeouts", "MS",
		"http: 504 when a backend sends nothing of its answer for "
		"MS; 0: never (30000)" },
	{ "backend-idle-timeout-ms", "timeouts", "MS",
		"http: an idle backend connection kept for reuse is closed "
		"after MS (15000)" },
	{ "retries", "timeouts", "N",
		"further backends tried after a failed open (2)" },
	{ "max-conn-buf", "limits", "BYTES",
		"buffer bytes one relayed connection holds, all queues "
		"(262144)" },
	{ "backend-keepalive", "limits", "N",
		"http: idle backend connections kept for reuse, per backend "
		"per worker; 0: one connection per request (16)" },
	{ "max-head", "limits", "BYTES",
		"http: longest request head, start line and fields; more is "
		"answered 431 (16384)" },
	{ "max-body", "limits", "BYTES",
		"http: longest request body; more is answered 413 (or, "
		"chunked, reset) (1073741824)" },
	{ "max-conns", "limits", "N",
		"relayed connections per worker; more are reset (4096)" },
	{ "health-interval-ms", "health", "MS",
		"active TCP check of every backend each MS; 0: none (2000)" },
	{ "health-fall", "health", "N",
		"consecutive failures that eject a backend (2)" },
	{ "health-rise", "health", "N",
		"consecutive good checks that restore it (1)" },
	{ "health-http", "health", "PATH",
		"active checks GET PATH: 2xx or 3xx is up (TCP open only)" },
	{ "quic", "proxy", "PORT[,POOL]",
		"http: HTTP/3 front on UDP PORT, routed as --listen's "
		"requests (certificate: --cert/--key)" },
};

const unsigned int proxy_conf_nb_keys =
	sizeof(proxy_conf_keys) / sizeof(proxy_conf_keys[0]);

void
proxy_conf_init(struct proxy_conf *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->pool[0], "default");
	c->nb_pools = 1;
	c->mode = PROXY_MODE_TCP;
	c->balance = BALANCE_RR;
	c->backlog = 1024;
	c->connect_timeout_ms = 3000;
	c->idle_timeout_ms = 300000;
	c->retries = 2;
	c->max_conn_buf = 262144;
	c->max_conns = 4096;
	c->health_interval_ms = 2000;
	c->health_fall = 2;
	c->health_rise = 1;
	c->backend_timeout_ms = 30000;
	c->backend_keepalive = 16;
	c->backend_idle_ms = 15000;
	c->max_head = 16384;
	c->max_body = 1ull << 30;
}

static int
parse_u32(const char *v, uint32_t lo, uint32_t hi, uint32_t *out)
{
	unsigned long long x;
	char *end;

	if (!v || !*v || *v == '-' || *v == '+')
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end || x < lo || x > hi)
		return -EINVAL;
	*out = (uint32_t)x;
	return 0;
}

static int
parse_flag(const char *v, bool *out)
{
	if (!v || !*v || !strcmp(v, "1") || !strcasecmp(v, "yes") ||
			!strcasecmp(v, "true")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "0") || !strcasecmp(v, "no") ||
			!strcasecmp(v, "false")) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

/*
 * Split "VALUE[,POOL]": copy VALUE into buf and give POOL's index,
 * adding the pool at its first mention.  Pool names are letters,
 * digits, '_' and '-'.
 */
static int
split_pool(struct proxy_conf *c, const char *v, char *buf, size_t len,
		uint8_t *pool)
{
	const char *comma = v ? strrchr(v, ',') : NULL;
	const char *name;
	size_t n, i;

	if (!v)
		return -EINVAL;
	n = comma ? (size_t)(comma - v) : strlen(v);
	if (n >= len)
		return -EINVAL;
	memcpy(buf, v, n);
	buf[n] = '\0';
	*pool = 0;
	if (!comma)
		return 0;
	name = comma + 1;
	n = strlen(name);
	if (n == 0 || n > PROXY_POOL_NAME_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' &&
				name[i] != '-')
			return -EINVAL;
	for (i = 0; i < c->nb_pools; i++) {
		if (!strcmp(c->pool[i], name)) {
			*pool = (uint8_t)i;
			return 0;
		}
	}
	if (c->nb_pools == PROXY_MAX_POOLS)
		return -ENOSPC;
	memcpy(c->pool[c->nb_pools], name, n + 1);
	*pool = (uint8_t)c->nb_pools++;
	return 0;
}

static int
add_listen(struct proxy_conf *c, const char *v)
{
	char buf[16];
	uint16_t port;
	uint8_t pool;
	unsigned int i;
	int ret;

	ret = split_pool(c, v, buf, sizeof(buf), &pool);
	if (ret)
		return ret;
	if (tq_port_parse(buf, &port) || port == 0)
		return -EINVAL;
	for (i = 0; i < c->nb_listen; i++)
		if (c->listen[i] == port)
			return -EINVAL;
	if (c->nb_listen == PROXY_MAX_LISTEN)
		return -ENOSPC;
	c->listen_pool[c->nb_listen] = pool;
	c->listen[c->nb_listen++] = port;
	return 0;
}

static int
add_backend(struct proxy_conf *c, const char *v)
{
	char buf[TQ_ADDR_STRLEN + 16];
	struct proxy_backend b;
	unsigned int i;
	int ret;

	memset(&b, 0, sizeof(b));
	ret = split_pool(c, v, buf, sizeof(buf), &b.pool);
	if (ret)
		return ret;
	if (tq_endpoint_parse(buf, &b.addr, &b.port) || b.port == 0 ||
			tq_addr_is_any(&b.addr))
		return -EINVAL;
	/* The same backend twice would only skew the balance; in two
	 * pools it is two backends (their stats and health apart). */
	for (i = 0; i < c->nb_backends; i++)
		if (c->be[i].port == b.port && c->be[i].pool == b.pool &&
				tq_addr_equal(&c->be[i].addr, &b.addr))
			return -EINVAL;
	if (c->nb_backends == PROXY_MAX_BACKENDS)
		return -ENOSPC;
	c->be[c->nb_backends++] = b;
	return 0;
}

/* "[HOST]/PREFIX=POOL": the pool is named as for --backend. */
static int
add_route(struct proxy_conf *c, const char *v)
{
	struct proxy_route r;
	char tmp[PROXY_ROUTE_HOST_MAX + PROXY_ROUTE_PREFIX_MAX + 40];
	char buf[sizeof(tmp)];
	const char *eq, *slash;
	size_t n, i;
	int ret;

	if (!v || !(eq = strrchr(v, '=')))
		return -EINVAL;
	/* The pool parser takes "VALUE,POOL". */
	n = strlen(v);
	if (n + 1 >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, v, n + 1);
	tmp[eq - v] = ',';
	memset(&r, 0, sizeof(r));
	if (c->nb_routes == PROXY_MAX_ROUTES)
		return -ENOSPC;
	ret = split_pool(c, tmp, buf, sizeof(buf), &r.pool);
	if (ret)
		return ret;
	if (!(slash = strchr(buf, '/')))
		return -EINVAL;
	n = (size_t)(slash - buf);
	if (n > PROXY_ROUTE_HOST_MAX ||
			strlen(slash) > PROXY_ROUTE_PREFIX_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)buf[i]) && buf[i] != '.' &&
				buf[i] != '-' && buf[i] != '_')
			return -EINVAL;
		r.host[i] = (char)tolower((unsigned char)buf[i]);
	}
	for (i = 0; slash[i]; i++)
		if ((unsigned char)slash[i] <= ' ' || slash[i] == 0x7f)
			return -EINVAL;
	strcpy(r.prefix, slash);
	c->route[c->nb_routes++] = r;
	return 0;
}

unsigned int
proxy_route_pick(const struct proxy_conf *c, const char *host, size_t hlen,
		const char *path, size_t plen, unsigned int dflt)
{
	const struct proxy_route *r, *best = NULL;
	size_t i, n, bestlen = 0;
	bool named, best_named = false;

	/* The port of Host, and an IPv6 literal's brackets, stay out. */
	if (hlen && host[0] != '[') {
		for (i = 0; i < hlen && host[i] != ':'; i++)
			;
		hlen = i;
	}
	for (r = c->route; r < c->route + c->nb_routes; r++) {
		named = r->host[0] != '\0';
		if (named && (strlen(r->host) != hlen ||
				strncasecmp(r->host, host, hlen)))
			continue;
		n = strlen(r->prefix);
		if (n > plen || memcmp(r->prefix, path, n))
			continue;
		if (best && (n < bestlen ||
				(n == bestlen && (best_named || !named))))
			continue;
		best = r;
		bestlen = n;
		best_named = named;
	}
	return best ? best->pool : dflt;
}

uint64_t
proxy_conf_pool_mask(const struct proxy_conf *c, unsigned int pool)
{
	uint64_t m = 0;
	unsigned int b;

	for (b = 0; b < c->nb_backends; b++)
		if (c->be[b].pool == pool)
			m |= 1ull << b;
	return m;
}

int
proxy_conf_set(struct proxy_conf *c, const char *name, const char *v)
{
	if (!strcmp(name, "listen"))
		return add_listen(c, v);
	if (!strcmp(name, "backend"))
		return add_backend(c, v);
	if (!strcmp(name, "mode")) {
		if (v && !strcmp(v, "tcp"))
			c->mode = PROXY_MODE_TCP;
		else if (v && !strcmp(v, "http"))
			c->mode = PROXY_MODE_HTTP;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(name, "balance")) {
		if (v && !strcmp(v, "rr"))
			c->balance = BALANCE_RR;
		else if (v && !strcmp(v, "leastconn"))
			c->balance = BALANCE_LEASTCONN;
		else if (v && !strcmp(v, "hash"))
			c->balance = BALANCE_HASH;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(name, "proxy-protocol"))
		return parse_flag(v, &c->proxy_protocol);
	if (!strcmp(name, "backlog"))
		return parse_u32(v, 1, 65535, &c->backlog);
	if (!strcmp(name, "connect-timeout-ms"))
		return parse_u32(v, 1, 3600000, &c->connect_timeout_ms);
	if (!strcmp(name, "idle-timeout-ms"))
		return parse_u32(v, 0, 86400000, &c->idle_timeout_ms);
	if (!strcmp(name, "route"))
		return add_route(c, v);
	if (!strcmp(name, "backend-timeout-ms"))
		return parse_u32(v, 0, 3600000, &c->backend_timeout_ms);
	if (!strcmp(name, "backend-idle-timeout-ms"))
		return parse_u32(v, 1, 3600000, &c->backend_idle_ms);
	if (!strcmp(name, "backend-keepalive"))
		return parse_u32(v, 0, PROXY_KEEPALIVE_MAX,
				&c->backend_keepalive);
	/* The head must fit hrelay.c's 16 KB input buffer. */
	if (!strcmp(name, "max-head"))
		return parse_u32(v, 1024, 16384, &c->max_head);
	if (!strcmp(name, "max-body")) {
		unsigned long long x;
		char *end;

		if (!v || !*v || *v == '-' || *v == '+')
			return -EINVAL;
		errno = 0;
		x = strtoull(v, &end, 10);
		if (errno || *end || x == 0)
			return -EINVAL;
		c->max_body = x;
		return 0;
	}
	if (!strcmp(name, "retries"))
		return parse_u32(v, 0, PROXY_MAX_BACKENDS - 1, &c->retries);
	/* Four queues of at least 4096 bytes each (TQ_OPT_SNDBUF/RCVBUF). */
	if (!strcmp(name, "max-conn-buf"))
		return parse_u32(v, 16384, 1u << 30, &c->max_conn_buf);
	if (!strcmp(name, "max-conns"))
		return parse_u32(v, 1, 1u << 24, &c->max_conns);
	if (!strcmp(name, "health-interval-ms"))
		return parse_u32(v, 0, 3600000, &c->health_interval_ms);
	if (!strcmp(name, "health-fall"))
		return parse_u32(v, 1, 100, &c->health_fall);
	if (!strcmp(name, "health-rise"))
		return parse_u32(v, 1, 100, &c->health_rise);
	if (!strcmp(name, "health-http")) {
		size_t i, n = v ? strlen(v) : 0;

		if (n == 0 || n >= sizeof(c->health_http) || v[0] != '/')
			return -EINVAL;
		for (i = 0; i < n; i++)
			if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f)
				return -EINVAL;
		memcpy(c->health_http, v, n + 1);
		return 0;
	}
	if (!strcmp(name, "quic")) {
		char buf[16];
		uint16_t port;
		uint8_t pool;
		int ret = split_pool(c, v, buf, sizeof(buf), &pool);

		if (ret)
			return ret;
		if (tq_port_parse(buf, &port) || port == 0)
			return -EINVAL;
		c->quic_port = port;
		c->quic_pool = pool;
		return 0;
	}
	return -ENOENT;
}

int
proxy_conf_check(const struct proxy_conf *c, char *err, size_t len)
{
	unsigned int i;

	if (c->nb_routes && c->mode != PROXY_MODE_HTTP) {
		snprintf(err, len, "--route needs --mode http");
		return -EINVAL;
	}
	if (c->quic_port && c->mode != PROXY_MODE_HTTP) {
		snprintf(err, len, "--quic needs --mode http");
		return -EINVAL;
	}
	if (c->quic_port && !proxy_conf_pool_mask(c, c->quic_pool)) {
		snprintf(err, len, "--quic %u: pool '%s' has no backend",
			c->quic_port, c->pool[c->quic_pool]);
		return -EINVAL;
	}
	if (c->nb_listen == 0 && !c->quic_port) {
		snprintf(err, len, "no --listen PORT");
		return -EINVAL;
	}
	if (c->nb_backends == 0) {
		snprintf(err, len, "no --backend ADDR:PORT");
		return -EINVAL;
	}
	for (i = 0; i < c->nb_listen; i++) {
		if (!proxy_conf_pool_mask(c, c->listen_pool[i])) {
			snprintf(err, len, "--listen %u: pool '%s' has no "
				"backend", c->listen[i],
				c->pool[c->listen_pool[i]]);
			return -EINVAL;
		}
	}
	return 0;
}

const char *
proxy_balance_str(enum balance_mode m)
{
	switch (m) {
	case BALANCE_RR:
		return "rr";
	case BALANCE_LEASTCONN:
		return "leastconn";
	case BALANCE_HASH:
		return "hash";
	}
	return "?";
}
