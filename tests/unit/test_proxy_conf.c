/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-proxy's options (apps/tq-proxy/conf.c): every value the engine
 * hands over from the command line or the --config file is parsed or
 * refused here, and the whole is checked before the engine runs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "conf.h"

static void
defaults(void **state)
{
	struct proxy_conf c;
	char err[128];

	(void)state;
	proxy_conf_init(&c);
	assert_int_equal(c.mode, PROXY_MODE_TCP);
	assert_int_equal(c.balance, BALANCE_RR);
	assert_false(c.proxy_protocol);
	assert_int_equal(c.max_conn_buf, 262144);
	assert_int_equal(c.connect_timeout_ms, 3000);
	assert_int_equal(c.health_fall, 2);
	/* Nothing to listen on and nowhere to send: refused. */
	assert_int_equal(proxy_conf_check(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--listen"));
	assert_int_equal(proxy_conf_set(&c, "listen", "80"), 0);
	assert_int_equal(proxy_conf_check(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--backend"));
	assert_int_equal(proxy_conf_set(&c, "backend", "10.0.0.1:8080"), 0);
	assert_int_equal(proxy_conf_check(&c, err, sizeof(err)), 0);
}

static void
listeners(void **state)
{
	struct proxy_conf c;
	char v[8];
	unsigned int i;

	(void)state;
	proxy_conf_init(&c);
	assert_int_equal(proxy_conf_set(&c, "listen", "80"), 0);
	assert_int_equal(proxy_conf_set(&c, "listen", "443"), 0);
	assert_int_equal(c.nb_listen, 2);
	assert_int_equal(c.listen[0], 80);
	assert_int_equal(c.listen[1], 443);
	/* Twice the same port, port 0, junk: refused. */
	assert_int_equal(proxy_conf_set(&c, "listen", "80"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "listen", "0"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "listen", "65536"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "listen", "8o"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "listen", ""), -EINVAL);
	assert_int_equal(c.nb_listen, 2);
	for (i = 2; i < PROXY_MAX_LISTEN; i++) {
		snprintf(v, sizeof(v), "%u", 1000 + i);
		assert_int_equal(proxy_conf_set(&c, "listen", v), 0);
	}
	assert_int_equal(proxy_conf_set(&c, "listen", "9999"), -ENOSPC);
}

static void
backends(void **state)
{
	struct proxy_conf c;
	char v[32];
	unsigned int i;

	(void)state;
	proxy_conf_init(&c);
	assert_int_equal(proxy_conf_set(&c, "backend", "10.0.0.1:8080"), 0);
	assert_int_equal(proxy_conf_set(&c, "backend", "[fd00::1]:80"), 0);
	assert_int_equal(c.nb_backends, 2);
	assert_int_equal(c.be[0].addr.family, AF_INET);
	assert_int_equal(c.be[0].addr.v4, htonl(0x0a000001));
	assert_int_equal(c.be[0].port, 8080);
	assert_int_equal(c.be[1].addr.family, AF_INET6);
	assert_int_equal(c.be[1].addr.v6[0], 0xfd);
	assert_int_equal(c.be[1].addr.v6[15], 1);
	assert_int_equal(c.be[1].port, 80);
	/* No port, port 0, the unspecified address, a duplicate. */
	assert_int_equal(proxy_conf_set(&c, "backend", "10.0.0.1"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "backend", "10.0.0.1:0"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "backend", "0.0.0.0:80"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "backend", "[::]:80"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "backend", "10.0.0.1:8080"),
			-EINVAL);
	assert_int_equal(proxy_conf_set(&c, "backend", "example:80"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "backend", NULL), -EINVAL);
	assert_int_equal(c.nb_backends, 2);
	/* The same address on another port is another backend. */
	assert_int_equal(proxy_conf_set(&c, "backend", "10.0.0.1:8081"), 0);
	for (i = 3; i < PROXY_MAX_BACKENDS; i++) {
		snprintf(v, sizeof(v), "10.0.1.%u:80", i);
		assert_int_equal(proxy_conf_set(&c, "backend", v), 0);
	}
	assert_int_equal(proxy_conf_set(&c, "backend", "10.0.2.1:80"),
			-ENOSPC);
}

static void
pools(void **state)
{
	struct proxy_conf c;
	char err[128];

	(void)state;
	proxy_conf_init(&c);
	assert_int_equal(c.nb_pools, 1);
	assert_string_equal(c.pool[0], "default");
	assert_int_equal(proxy_conf_set(&c, "listen", "80"), 0);
	assert_int_equal(proxy_conf_set(&c, "listen", "443,tls-pool"), 0);
	assert_int_equal(proxy_conf_set(&c, "backend", "10.0.0.1:80"), 0);
	assert_int_equal(proxy_conf_set(&c, "backend",
			"[fd00::1]:443,tls-pool"), 0);
	/* The same backend in another pool is another backend. */
	assert_int_equal(proxy_conf_set(&c, "backend", "10.0.0.1:80,tls-pool"),
			0);
	assert_int_equal(proxy_conf_set(&c, "backend", "10.0.0.1:80,tls-pool"),
			-EINVAL);
	assert_int_equal(c.nb_pools, 2);
	assert_string_equal(c.pool[1], "tls-pool");
	assert_int_equal(c.listen_pool[0], 0);
	assert_int_equal(c.listen_pool[1], 1);
	assert_int_equal(c.be[0].pool, 0);
	assert_int_equal(c.be[1].pool, 1);
	assert_int_equal(c.be[1].port, 443);
	assert_true(proxy_conf_pool_mask(&c, 0) == 0x1);
	assert_true(proxy_conf_pool_mask(&c, 1) == 0x6);
	assert_int_equal(proxy_conf_check(&c, err, sizeof(err)), 0);
	/* Bad names, an empty one, one too long. */
	assert_int_equal(proxy_conf_set(&c, "listen", "81,"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "listen", "81,a b"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "listen", "81,a/b"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "backend",
			"10.0.0.9:80,0123456789012345678901234567890123"),
			-EINVAL);
	/* A listener whose pool has no backend. */
	assert_int_equal(proxy_conf_set(&c, "listen", "8080,empty"), 0);
	assert_int_equal(proxy_conf_check(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "empty"));
}

static void
modes(void **state)
{
	struct proxy_conf c;
	char err[128];

	(void)state;
	proxy_conf_init(&c);
	proxy_conf_set(&c, "listen", "80");
	proxy_conf_set(&c, "backend", "10.0.0.1:80");
	assert_int_equal(proxy_conf_set(&c, "balance", "leastconn"), 0);
	assert_int_equal(c.balance, BALANCE_LEASTCONN);
	assert_int_equal(proxy_conf_set(&c, "balance", "hash"), 0);
	assert_int_equal(c.balance, BALANCE_HASH);
	assert_int_equal(proxy_conf_set(&c, "balance", "rr"), 0);
	assert_int_equal(c.balance, BALANCE_RR);
	assert_int_equal(proxy_conf_set(&c, "balance", "random"), -EINVAL);
	assert_string_equal(proxy_balance_str(BALANCE_HASH), "hash");
	assert_int_equal(proxy_conf_set(&c, "mode", "udp"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "mode", "tcp"), 0);
	assert_int_equal(proxy_conf_check(&c, err, sizeof(err)), 0);
	/* Routes need http mode. */
	assert_int_equal(proxy_conf_set(&c, "route", "/api=api"), 0);
	assert_int_equal(proxy_conf_check(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--mode http"));
	assert_int_equal(proxy_conf_set(&c, "mode", "http"), 0);
	assert_int_equal(c.mode, PROXY_MODE_HTTP);
	assert_int_equal(proxy_conf_check(&c, err, sizeof(err)), 0);
}

static void
routes(void **state)
{
	struct proxy_conf c;
	const char *p;
	unsigned int i;
	char v[32];

	(void)state;
	proxy_conf_init(&c);
	assert_int_equal(c.backend_timeout_ms, 30000);
	assert_int_equal(proxy_conf_set(&c, "backend-timeout-ms", "0"), 0);
	assert_int_equal(proxy_conf_set(&c, "backend-timeout-ms", "x"),
			-EINVAL);
	assert_int_equal(proxy_conf_set(&c, "route", "/api=api"), 0);
	assert_int_equal(proxy_conf_set(&c, "route", "/api/v2=v2"), 0);
	assert_int_equal(proxy_conf_set(&c, "route",
			"Img.Example.com/=img"), 0);
	assert_int_equal(proxy_conf_set(&c, "route",
			"img.example.com/api=imgapi"), 0);
	assert_int_equal(proxy_conf_set(&c, "route", "/=all"), 0);
	assert_int_equal(c.nb_routes, 5);
	assert_string_equal(c.route[2].host, "img.example.com");
	assert_string_equal(c.route[2].prefix, "/");
	assert_string_equal(c.pool[c.route[0].pool], "api");
	/* No '=', no pool, no '/', a bad host or pool, a space: refused. */
	assert_int_equal(proxy_conf_set(&c, "route", "/x"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "route", "/x="), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "route", "host=p"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "route", "a:b/=p"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "route", "/a b=p"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "route", "/x=p!"), -EINVAL);
	assert_int_equal(c.nb_routes, 5);
	/* Keep-alive pools and HTTP checks. */
	assert_int_equal(c.backend_keepalive, 16);
	assert_int_equal(proxy_conf_set(&c, "backend-keepalive", "0"), 0);
	assert_int_equal(proxy_conf_set(&c, "backend-keepalive", "65"),
			-EINVAL);
	assert_int_equal(proxy_conf_set(&c, "backend-idle-timeout-ms", "0"),
			-EINVAL);
	assert_int_equal(c.max_head, 16384);
	assert_int_equal(proxy_conf_set(&c, "max-head", "16385"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "max-head", "4096"), 0);
	assert_true(c.max_body == 1ull << 30);
	assert_int_equal(proxy_conf_set(&c, "max-body", "8000000000"), 0);
	assert_true(c.max_body == 8000000000ull);
	assert_int_equal(proxy_conf_set(&c, "max-body", "0"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "max-body", "-1"), -EINVAL);
	assert_string_equal(c.health_http, "");
	assert_int_equal(proxy_conf_set(&c, "health-http", "/health?x=1"), 0);
	assert_string_equal(c.health_http, "/health?x=1");
	assert_int_equal(proxy_conf_set(&c, "health-http", "health"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "health-http", "/a b"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "health-http", ""), -EINVAL);
#define PICK(h, path) proxy_route_pick(&c, h, strlen(h), path, \
		strlen(path), 99)
	/* Longest prefix among those for any host. */
	p = c.pool[PICK("a.org", "/api/v2/x")];
	assert_string_equal(p, "v2");
	assert_string_equal(c.pool[PICK("a.org", "/api/v1")], "api");
	assert_string_equal(c.pool[PICK("a.org", "/apix")], "api");
	assert_string_equal(c.pool[PICK("a.org", "/other")], "all");
	/* The host's own routes: case and port do not matter; a longer
	 * prefix for any host still wins, a tie goes to the host's. */
	assert_string_equal(c.pool[PICK("IMG.example.com:8080", "/pic")],
			"img");
	assert_string_equal(c.pool[PICK("img.example.com", "/api/v2")],
			"v2");
	assert_string_equal(c.pool[PICK("img.example.com", "/api/v1")],
			"imgapi");
	assert_string_equal(c.pool[PICK("img.example.comx", "/pic")], "all");
	/* No route matches: the listener's pool. */
	proxy_conf_init(&c);
	assert_int_equal(proxy_conf_set(&c, "route", "h/x=p"), 0);
	assert_int_equal(PICK("h", "/y"), 99);
	assert_int_equal(PICK("", "/x"), 99);
	assert_int_equal(PICK("h", "/x"), 1);
	for (i = 1; i < PROXY_MAX_ROUTES; i++) {
		snprintf(v, sizeof(v), "/r%u=p", i);
		assert_int_equal(proxy_conf_set(&c, "route", v), 0);
	}
	assert_int_equal(proxy_conf_set(&c, "route", "/z=p"), -ENOSPC);
#undef PICK
}

static void
flags_and_numbers(void **state)
{
	struct proxy_conf c;

	(void)state;
	proxy_conf_init(&c);
	/* A flag on the command line (NULL) and in a file (yes/no...). */
	assert_int_equal(proxy_conf_set(&c, "proxy-protocol", NULL), 0);
	assert_true(c.proxy_protocol);
	assert_int_equal(proxy_conf_set(&c, "proxy-protocol", "no"), 0);
	assert_false(c.proxy_protocol);
	assert_int_equal(proxy_conf_set(&c, "proxy-protocol", "TRUE"), 0);
	assert_true(c.proxy_protocol);
	assert_int_equal(proxy_conf_set(&c, "proxy-protocol", "maybe"),
			-EINVAL);
	assert_int_equal(proxy_conf_set(&c, "max-conn-buf", "65536"), 0);
	assert_int_equal(c.max_conn_buf, 65536);
	/* Four queues of at least 4096 bytes. */
	assert_int_equal(proxy_conf_set(&c, "max-conn-buf", "16383"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "max-conn-buf", "-1"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "idle-timeout-ms", "0"), 0);
	assert_int_equal(c.idle_timeout_ms, 0);
	assert_int_equal(proxy_conf_set(&c, "connect-timeout-ms", "0"),
			-EINVAL);
	assert_int_equal(proxy_conf_set(&c, "connect-timeout-ms", "250"), 0);
	assert_int_equal(c.connect_timeout_ms, 250);
	assert_int_equal(proxy_conf_set(&c, "retries", "63"), 0);
	assert_int_equal(proxy_conf_set(&c, "retries", "64"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "health-interval-ms", "0"), 0);
	assert_int_equal(proxy_conf_set(&c, "health-fall", "0"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "health-rise", "3"), 0);
	assert_int_equal(c.health_rise, 3);
	assert_int_equal(proxy_conf_set(&c, "max-conns", "99999999999"),
			-EINVAL);
	assert_int_equal(proxy_conf_set(&c, "backlog", "12x"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "no-such-option", "1"), -ENOENT);
}

/* Every key has a section, help, and a parser that knows it. */
/* --quic PORT[,POOL]: HTTP mode's HTTP/3 front; alone it is a listener. */
static void
quic(void **state)
{
	struct proxy_conf c;
	char err[128];

	(void)state;
	proxy_conf_init(&c);
	proxy_conf_set(&c, "backend", "10.0.0.1:80");
	assert_int_equal(proxy_conf_check(&c, err, sizeof(err)), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "quic", "0"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "quic", "443x"), -EINVAL);
	assert_int_equal(proxy_conf_set(&c, "quic", "443"), 0);
	assert_int_equal(c.quic_port, 443);
	assert_int_equal(c.quic_pool, 0);
	assert_int_equal(proxy_conf_check(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--quic needs --mode http"));
	proxy_conf_set(&c, "mode", "http");
	assert_int_equal(proxy_conf_check(&c, err, sizeof(err)), 0);
	assert_int_equal(proxy_conf_set(&c, "quic", "8443,h3"), 0);
	assert_int_equal(c.quic_port, 8443);
	assert_int_equal(c.quic_pool, 1);
	assert_int_equal(proxy_conf_check(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "pool 'h3' has no backend"));
	proxy_conf_set(&c, "backend", "10.0.0.2:80,h3");
	assert_int_equal(proxy_conf_check(&c, err, sizeof(err)), 0);
}

static void
key_table(void **state)
{
	struct proxy_conf c;
	unsigned int i;

	(void)state;
	proxy_conf_init(&c);
	assert_true(proxy_conf_nb_keys >= 14);
	for (i = 0; i < proxy_conf_nb_keys; i++) {
		assert_non_null(proxy_conf_keys[i].section);
		assert_non_null(proxy_conf_keys[i].help);
		assert_int_not_equal(proxy_conf_set(&c,
				proxy_conf_keys[i].name, "junk!"), -ENOENT);
	}
}

/* Every option is in docs/tq-proxy.md's table, with its section. */
static void
every_option_documented(void **state)
{
	const char *src = getenv("TQ_SOURCE_DIR");
	char path[1024], want[128], *doc;
	unsigned int i, missing = 0;
	FILE *f;
	long n;

	(void)state;
	snprintf(path, sizeof(path), "%s/docs/tq-proxy.md", src ? src : "..");
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	doc = malloc((size_t)n + 1);
	assert_non_null(doc);
	assert_int_equal(fread(doc, 1, (size_t)n, f), (size_t)n);
	doc[n] = '\0';
	fclose(f);
	for (i = 0; i < proxy_conf_nb_keys; i++) {
		snprintf(want, sizeof(want), "| `--%s", proxy_conf_keys[i].name);
		if (!strstr(doc, want)) {
			print_error("docs/tq-proxy.md lacks %s\n", want);
			missing++;
		}
	}
	free(doc);
	assert_int_equal(missing, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(listeners),
		cmocka_unit_test(backends),
		cmocka_unit_test(pools),
		cmocka_unit_test(modes),
		cmocka_unit_test(routes),
		cmocka_unit_test(quic),
		cmocka_unit_test(flags_and_numbers),
		cmocka_unit_test(key_table),
		cmocka_unit_test(every_option_documented),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
