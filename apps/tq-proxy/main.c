/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-proxy: a TCP proxy on the engine (docs/tq-proxy.md).
 *   tq-proxy [EAL options] -- --addr A/PLEN --listen PORT \
 *       --backend ADDR:PORT [--backend ...] [--balance rr|leastconn|hash]
 * Public headers only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h3front.h"
#include "proxy.h"

static struct proxy proxy;

static int
opt_set(void *arg, const char *v)
{
	const struct proxy_conf_key *k = arg;

	if (proxy_conf_set(proxy.parse_into, k->name, v))
		return -EINVAL;
	return 0;
}

static void
worker_start(struct tq_shard *s, void *arg)
{
	struct proxy *p = arg;
	struct pworker *w = &p->w[tq_shard_id(s)];
	unsigned int i;

	w->p = p;
	w->s = s;
	/* Reloads wait for every worker to have started. */
	w->g = p->cur;
	gen_hold(w, w->g);
	/* Each worker's round robin starts one further, so the first
	 * clients of different workers go to different backends. */
	for (i = 0; i < PROXY_MAX_POOLS; i++)
		w->rr[i] = tq_shard_id(s) % p->conf.nb_backends;
	tq_shard_set_app_ctx(s, w);
	if (p->conf.mode == PROXY_MODE_HTTP && bpool_start(w) < 0)
		fprintf(stderr, "tq-proxy: worker %u: no memory for backend "
			"connection pools\n", tq_shard_id(s));
	if (health_start(w) < 0)
		fprintf(stderr, "tq-proxy: worker %u: no memory for health "
			"checks\n", tq_shard_id(s));
	__atomic_add_fetch(&p->started, 1, __ATOMIC_RELEASE);
}

static void
worker_stop(struct tq_shard *s, void *arg)
{
	struct proxy *p = arg;
	struct pworker *w = &p->w[tq_shard_id(s)];

	health_stop(w);
	bpool_stop(w);
	/* The engine closed every connection: the last worker out frees
	 * the generation. */
	gen_release(w, w->g);
	w->g = NULL;
}

/*
 * --cert FILE and --key FILE (the HTTP/3 front's certificate) are the
 * QUIC module's --quic-cert and --quic-key: renamed after the "--" that
 * ends EAL's options, before the engine parses them.  In a config file
 * they are that module's keys, [quic] quic-cert and quic-key.
 */
static char **
cert_args(int argc, char **argv)
{
	static const struct {
		const char *from, *to;
	} ren[] = {
		{ "--cert", "--quic-cert" },
		{ "--key", "--quic-key" },
	};
	char **v = calloc((size_t)argc + 1, sizeof(*v));
	bool apps = false;
	size_t n, i;
	int a;

	if (!v)
		return NULL;
	for (a = 0; a < argc; a++) {
		v[a] = argv[a];
		if (!apps) {
			apps = strcmp(argv[a], "--") == 0;
			continue;
		}
		for (i = 0; i < sizeof(ren) / sizeof(ren[0]); i++) {
			n = strlen(ren[i].from);
			if (strncmp(argv[a], ren[i].from, n) ||
					(argv[a][n] && argv[a][n] != '='))
				continue;
			v[a] = malloc(strlen(argv[a]) + 6);
			if (!v[a])
				return NULL;
			sprintf(v[a], "%s%s", ren[i].to, argv[a] + n);
		}
	}
	return v;
}

int
main(int argc, char **argv)
{
	struct tq_app_opt opts[40];
	struct proxy *p = &proxy;
	char err[160];
	unsigned int i;
	int ret;

	proxy_conf_init(&p->conf);
	p->parse_into = &p->conf;
	pthread_mutex_init(&p->lock, NULL);
	argv = cert_args(argc, argv);
	if (!argv)
		return 1;
	for (i = 0; i < proxy_conf_nb_keys; i++) {
		opts[i] = (struct tq_app_opt){
			.name = proxy_conf_keys[i].name,
			.section = proxy_conf_keys[i].section,
			.metavar = proxy_conf_keys[i].metavar,
			.help = proxy_conf_keys[i].help,
			.set = opt_set,
			.arg = (void *)&proxy_conf_keys[i],
		};
	}
	ret = tq_engine_create(argc, argv, "tq-proxy", opts,
			proxy_conf_nb_keys, &p->e);
	if (ret == 1)
		return 0;
	if (ret < 0)
		return ret == -EINVAL ? TQ_EXIT_CONFIG : 1;
	if (proxy_conf_check(&p->conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "tq-proxy: %s\n", err);
		tq_engine_destroy(p->e);
		return TQ_EXIT_CONFIG;
	}
	p->nb_workers = tq_engine_workers(p->e);
	p->w = calloc(p->nb_workers ? p->nb_workers : 1, sizeof(*p->w));
	if (p->w)
		p->cur = gen_build(p, &p->conf, err, sizeof(err));
	ret = p->cur ? stats_register(p) : -ENOMEM;
	if (ret == 0)
		ret = reload_register(p);
	if (ret == 0)
		ret = h3front_register(p);
	if (ret == 0)
		ret = tq_engine_on_worker_start(p->e, worker_start, p);
	if (ret == 0)
		ret = tq_engine_on_worker_stop(p->e, worker_stop, p);
	if (ret < 0) {
		fprintf(stderr, "tq-proxy: %s\n", strerror(-ret));
		tq_engine_destroy(p->e);
		free(p->w);
		return 1;
	}
	for (i = 0; i < p->conf.nb_listen; i++) {
		ret = proxy_listen(p, p->cur, i);
		if (ret < 0) {
			fprintf(stderr, "tq-proxy: --listen %u: %s\n",
					p->conf.listen[i], strerror(-ret));
			tq_engine_destroy(p->e);
			free(p->w);
			return TQ_EXIT_CONFIG;
		}
	}
	ret = h3front_listen(p);
	if (ret < 0) {
		fprintf(stderr, "tq-proxy: --quic %u: %s\n",
				p->conf.quic_port, strerror(-ret));
		tq_engine_destroy(p->e);
		free(p->w);
		return TQ_EXIT_CONFIG;
	}
	fprintf(stderr, "tq-proxy: mode %s, %u listener(s), %u backend(s) "
		"in %u pool(s), balance %s\n",
		p->conf.mode == PROXY_MODE_HTTP ? "http" : "tcp",
		p->conf.nb_listen,
		p->conf.nb_backends, p->conf.nb_pools,
		proxy_balance_str(p->conf.balance));
	ret = tq_engine_run(p->e);
	tq_engine_destroy(p->e);
	h3front_free();
	free(p->w);
	return ret < 0 ? 1 : 0;
}
