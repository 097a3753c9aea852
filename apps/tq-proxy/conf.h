/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_PROXY_CONF_H
#define TQ_PROXY_CONF_H

/*
 * tq-proxy's configuration: every option's parser and the final check.
 * No engine and no EAL here, so the unit suite tests it as it is.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tachyon/tq_addr.h>

#define PROXY_MAX_LISTEN 16
#define PROXY_MAX_BACKENDS 64	/* a tried-backends mask is one uint64_t */
#define PROXY_MAX_POOLS 16
#define PROXY_POOL_NAME_MAX 31
#define PROXY_MAX_ROUTES 32
#define PROXY_ROUTE_HOST_MAX 63
#define PROXY_ROUTE_PREFIX_MAX 127
#define PROXY_KEEPALIVE_MAX 64	/* idle backend connections, per backend */

enum proxy_mode {
	PROXY_MODE_TCP,
	PROXY_MODE_HTTP,
};

enum balance_mode {
	BALANCE_RR,
	BALANCE_LEASTCONN,
	BALANCE_HASH,
};

struct proxy_backend {
	struct tq_addr addr;
	uint16_t port;
	uint8_t pool;
};

/* HTTP mode: requests for HOST (any when empty) whose path starts with
 * PREFIX go to POOL (docs/tq-proxy.md, HTTP mode). */
struct proxy_route {
	char host[PROXY_ROUTE_HOST_MAX + 1];	/* lower case, no port */
	char prefix[PROXY_ROUTE_PREFIX_MAX + 1];	/* starts with '/' */
	uint8_t pool;
};

struct proxy_conf {
	uint16_t listen[PROXY_MAX_LISTEN];
	uint8_t listen_pool[PROXY_MAX_LISTEN];
	unsigned int nb_listen;
	/* Pool 0 is "default": what a listener or backend names no pool. */
	char pool[PROXY_MAX_POOLS][PROXY_POOL_NAME_MAX + 1];
	unsigned int nb_pools;
	struct proxy_backend be[PROXY_MAX_BACKENDS];
	unsigned int nb_backends;
	enum proxy_mode mode;
	enum balance_mode balance;
	bool proxy_protocol;
	uint32_t backlog;
	uint32_t connect_timeout_ms;
	uint32_t idle_timeout_ms;	/* 0: none */
	uint32_t retries;
	uint32_t max_conn_buf;
	uint32_t max_conns;		/* per worker */
	uint32_t health_interval_ms;	/* 0: no active checks */
	uint32_t health_fall;
	uint32_t health_rise;
	char health_http[256];		/* "": TCP checks; else GET this */
	struct proxy_route route[PROXY_MAX_ROUTES];
	unsigned int nb_routes;
	uint32_t backend_timeout_ms;	/* http: response awaited; 0: none */
	uint32_t backend_keepalive;	/* http: idle backend conns kept */
	uint32_t backend_idle_ms;	/* http: ... for this long at most */
	uint32_t max_head;		/* http: request head bytes (431) */
	uint64_t max_body;		/* http: request body bytes (413) */
	uint16_t quic_port;		/* http: HTTP/3 front; 0: none */
	uint8_t quic_pool;		/* ... its pool without a route */
};

/* One option: its name, INI section, value form and help. */
struct proxy_conf_key {
	const char *name;
	const char *section;
	const char *metavar;	/* NULL: a flag */
	const char *help;
};

extern const struct proxy_conf_key proxy_conf_keys[];
extern const unsigned int proxy_conf_nb_keys;

/* The defaults. */
void proxy_conf_init(struct proxy_conf *c);

/*
 * Apply one option by name (a flag gets "1"/"yes"/"true" or
 * "0"/"no"/"false", or NULL).  0, or -EINVAL for a bad value,
 * -ENOSPC past a repeatable option's limit, -ENOENT for an unknown name.
 */
int proxy_conf_set(struct proxy_conf *c, const char *name, const char *val);

/*
 * What only the whole can tell (a listener and a backend are needed,
 * routes only in http mode, ...): 0, or -EINVAL with the reason in err.
 */
int proxy_conf_check(const struct proxy_conf *c, char *err, size_t len);

const char *proxy_balance_str(enum balance_mode m);

/*
 * The pool of an HTTP request: among the routes whose host is the
 * request's (compared without case and without a ":port") or any, the
 * one with the longest prefix of path; a tie goes to a route naming the
 * host, then to the first given.  dflt when none matches.
 */
unsigned int proxy_route_pick(const struct proxy_conf *c, const char *host,
		size_t hlen, const char *path, size_t plen, unsigned int dflt);

/* The backends of a pool, a bit each. */
uint64_t proxy_conf_pool_mask(const struct proxy_conf *c, unsigned int pool);

#endif
