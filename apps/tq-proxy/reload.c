/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration generations and their reload (docs/tq-proxy.md, Reload):
 * tq-ctl reload (telemetry /tqproxy/reload) and SIGHUP read the options
 * again, check the result whole, and only then publish it: each worker
 * takes the new generation from its command ring, so the data path reads
 * its own pointer and takes no lock.  A connection keeps the generation
 * it started with; the last worker to let go of one frees it.
 */
#include <errno.h>
#include <inttypes.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_telemetry.h>

#include "proxy.h"

static bool
same_backend(const struct proxy *p, unsigned int s,
		const struct proxy_conf *c, unsigned int b)
{
	return p->sbe[s].port == c->be[b].port &&
		tq_addr_equal(&p->sbe[s].addr, &c->be[b].addr) &&
		!strcmp(p->spool[s], c->pool[c->be[b].pool]);
}

static bool
slot_live(const uint32_t *gens, unsigned int s)
{
	return __atomic_load_n(&gens[s], __ATOMIC_ACQUIRE) != 0;
}

/* A slot for backend b: the live one of the same backend, else a free
 * one (fresh); -1 when none is left. */
static int
backend_slot(const struct proxy *p, const struct proxy_conf *c,
		unsigned int b, const bool *taken, bool *fresh)
{
	unsigned int s;

	for (s = 0; s < PROXY_MAX_SLOTS; s++)
		if (!taken[s] && slot_live(p->sgens, s) &&
				same_backend(p, s, c, b)) {
			*fresh = false;
			return (int)s;
		}
	for (s = 0; s < PROXY_MAX_SLOTS; s++)
		if (!taken[s] && !slot_live(p->sgens, s)) {
			*fresh = true;
			return (int)s;
		}
	return -1;
}

static int
listen_slot(const struct proxy *p, uint16_t port, const bool *taken,
		bool *fresh)
{
	unsigned int s;

	for (s = 0; s < PROXY_MAX_LSLOTS; s++)
		if (!taken[s] && slot_live(p->lgens, s) &&
				p->lport[s] == port) {
			*fresh = false;
			return (int)s;
		}
	for (s = 0; s < PROXY_MAX_LSLOTS; s++)
		if (!taken[s] && !slot_live(p->lgens, s)) {
			*fresh = true;
			return (int)s;
		}
	return -1;
}

struct pgen *
gen_build(struct proxy *p, const struct proxy_conf *c, char *err, size_t len)
{
	bool taken[PROXY_MAX_SLOTS] = { false }, fresh[PROXY_MAX_SLOTS];
	bool ltaken[PROXY_MAX_LSLOTS] = { false }, lfresh[PROXY_MAX_LSLOTS];
	struct pgen *g;
	unsigned int b, i, s;
	int k;

	g = calloc(1, sizeof(*g) + p->nb_workers * sizeof(g->refs[0]));
	if (!g) {
		snprintf(err, len, "no memory");
		return NULL;
	}
	g->conf = *c;
	for (i = 0; i < c->nb_pools; i++)
		g->pool_mask[i] = proxy_conf_pool_mask(c, i);
	g->qlim.max_head = c->max_head;
	g->qlim.max_body = c->max_body;
	memset(g->bidx, -1, sizeof(g->bidx));
	memset(g->lidx, -1, sizeof(g->lidx));
	for (b = 0; b < c->nb_backends; b++) {
		k = backend_slot(p, c, b, taken, &fresh[b]);
		if (k < 0) {
			snprintf(err, len, "too many backends: those of older "
				"configurations still in use take slots "
				"(%u at most)", PROXY_MAX_SLOTS);
			free(g);
			return NULL;
		}
		taken[k] = true;
		g->slot[b] = (uint16_t)k;
		g->bidx[k] = (int16_t)b;
	}
	for (i = 0; i < c->nb_listen; i++) {
		k = listen_slot(p, c->listen[i], ltaken, &lfresh[i]);
		if (k < 0) {
			snprintf(err, len, "too many listeners: those of older "
				"configurations still in use take slots "
				"(%u at most)", PROXY_MAX_LSLOTS);
			free(g);
			return NULL;
		}
		ltaken[k] = true;
		g->lslot[i] = (uint8_t)k;
		g->lidx[k] = (int8_t)i;
	}
	/* A fresh slot is nobody's: no live generation names it, so no
	 * worker writes its stats, and it starts clean and up. */
	for (b = 0; b < c->nb_backends; b++) {
		s = g->slot[b];
		if (fresh[b]) {
			p->sbe[s] = c->be[b];
			snprintf(p->spool[s], sizeof(p->spool[s]), "%s",
					c->pool[c->be[b].pool]);
			__atomic_store_n(&p->bst[s].up, 1, __ATOMIC_RELAXED);
			__atomic_store_n(&p->bst[s].fails, 0, __ATOMIC_RELAXED);
			for (i = 0; i < p->nb_workers; i++) {
				memset(&p->w[i].be[s], 0,
						sizeof(p->w[i].be[s]));
				p->w[i].active[s] = 0;
			}
		}
		__atomic_add_fetch(&p->sgens[s], 1, __ATOMIC_RELEASE);
	}
	for (i = 0; i < c->nb_listen; i++) {
		s = g->lslot[i];
		if (lfresh[i]) {
			unsigned int j;

			p->lport[s] = c->listen[i];
			p->llistening[s] = false;
			p->lis[s].p = p;
			p->lis[s].slot = s;
			for (j = 0; j < p->nb_workers; j++)
				memset(&p->w[j].l[s], 0, sizeof(p->w[j].l[s]));
		}
		__atomic_add_fetch(&p->lgens[s], 1, __ATOMIC_RELEASE);
	}
	g->holders = p->nb_workers;
	g->id = p->cur ? p->cur->id + 1 : 1;
	return g;
}

static void
gen_free(struct proxy *p, struct pgen *g)
{
	unsigned int i;

	for (i = 0; i < g->conf.nb_backends; i++)
		__atomic_sub_fetch(&p->sgens[g->slot[i]], 1, __ATOMIC_RELEASE);
	for (i = 0; i < g->conf.nb_listen; i++)
		__atomic_sub_fetch(&p->lgens[g->lslot[i]], 1, __ATOMIC_RELEASE);
	free(g);
}

void
gen_release(struct pworker *w, struct pgen *g)
{
	if (--g->refs[tq_shard_id(w->s)])
		return;
	/* This worker is done with it (it holds a newer one as its own,
	 * so it never takes this one again). */
	if (__atomic_sub_fetch(&g->holders, 1, __ATOMIC_ACQ_REL) == 0)
		gen_free(w->p, g);
}

static void
gen_install(struct tq_shard *s, void *arg)
{
	struct pworker *w = tq_shard_app_ctx(s);
	struct pgen *g = arg, *old = w->g;

	w->g = g;
	gen_hold(w, g);
	if (g->conf.mode == PROXY_MODE_HTTP)
		bpool_reload(w, old);
	if (tq_shard_id(s) == 0) {
		health_reload(w);
		pctr(w, PC_RELOADS, 1);
	}
	gen_release(w, old);
}

static void
count_fail(struct tq_shard *s, void *arg)
{
	(void)arg;
	pctr(tq_shard_app_ctx(s), PC_RELOAD_FAILS, 1);
}

int
proxy_listen(struct proxy *p, const struct pgen *g, unsigned int i)
{
	unsigned int ls = g->lslot[i], tries;
	int ret;

	for (tries = 0;; tries++) {
		ret = tq_tcp_listen(p->e, NULL, g->conf.listen[i],
				g->conf.backlog, g->conf.mode ==
				PROXY_MODE_HTTP ? http_accept : relay_accept,
				&p->lis[ls]);
		if (ret != -ETIMEDOUT || tries == 2)
			break;
		/* A worker starved of CPU for 2 s: the engine keeps the
		 * slot for it, so take the port back (queued behind its
		 * add) and try again rather than refuse the reload. */
		fprintf(stderr, "tq-proxy: listen %u: a worker was slow, "
			"again\n", g->conf.listen[i]);
		tq_tcp_unlisten(p->e, NULL, g->conf.listen[i]);
	}
	if (ret == 0)
		p->llistening[ls] = true;
	return ret;
}

/* Every worker takes g, one after the other. */
static void
publish(struct proxy *p, struct pgen *g)
{
	unsigned int i, tries;
	int ret;

	for (i = 0; i < p->nb_workers; i++) {
		for (tries = 0;; tries++) {
			ret = tq_worker_run_wait(p->e, i, gen_install, g, 2000);
			if (ret != -ENOBUFS || tries >= 2000)
				break;
			usleep(1000);
		}
		/* Late, it still takes g (which waits for it: holders
		 * counts it); failed, the engine is stopping. */
		if (ret < 0)
			fprintf(stderr, "tq-proxy: reload: worker %u: %s\n", i,
					strerror(-ret));
	}
}

int
proxy_reload(struct proxy *p, char *err, size_t len)
{
	bool added[PROXY_MAX_LSLOTS] = { false };
	struct proxy_conf *c;
	struct pgen *g = NULL;
	unsigned int i, ls;
	int ret = 0;

	pthread_mutex_lock(&p->lock);
	if (__atomic_load_n(&p->started, __ATOMIC_ACQUIRE) < p->nb_workers ||
			!p->cur) {
		snprintf(err, len, "the workers are not running yet");
		ret = -EAGAIN;
		goto fail;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, len, "no memory");
		ret = -ENOMEM;
		goto fail;
	}
	proxy_conf_init(c);
	p->parse_into = c;
	ret = tq_engine_reload_app_opts(p->e, err, len);
	p->parse_into = &p->conf;
	if (ret == 0)
		ret = proxy_conf_check(c, err, len);
	if (ret == 0 && c->mode != p->cur->conf.mode) {
		snprintf(err, len, "mode: cannot change on a reload (a "
			"restart can)");
		ret = -EINVAL;
	}
	/* The QUIC front's UDP port is bound once, at start; its pool
	 * and routes do follow the reload. */
	if (ret == 0 && c->quic_port != p->cur->conf.quic_port) {
		snprintf(err, len, "quic: the port cannot change on a reload "
			"(a restart can)");
		ret = -EINVAL;
	}
	if (ret == 0) {
		g = gen_build(p, c, err, len);
		if (!g)
			ret = -ENOSPC;
	}
	free(c);
	if (ret < 0)
		goto fail;
	/* New listeners first, so a port already taken refuses the whole
	 * reload before anything changed. */
	for (i = 0; i < g->conf.nb_listen; i++) {
		ls = g->lslot[i];
		if (p->llistening[ls])
			continue;
		ret = proxy_listen(p, g, i);
		if (ret < 0) {
			snprintf(err, len, "listen %u: %s", g->conf.listen[i],
					strerror(-ret));
			goto undo;
		}
		added[ls] = true;
	}
	/* Removed ones stop accepting before any worker forgets them;
	 * what they accepted goes on with its generation. */
	for (ls = 0; ls < PROXY_MAX_LSLOTS; ls++) {
		if (!p->llistening[ls] || g->lidx[ls] >= 0)
			continue;
		ret = tq_tcp_unlisten(p->e, NULL, p->lport[ls]);
		if (ret < 0)
			fprintf(stderr, "tq-proxy: reload: unlisten %u: %s\n",
					p->lport[ls], strerror(-ret));
		p->llistening[ls] = false;
	}
	publish(p, g);
	p->cur = g;
	p->reloads++;
	fprintf(stderr, "tq-proxy: reload: generation %" PRIu64 ": %u "
		"listener(s), %u backend(s) in %u pool(s), balance %s\n",
		g->id, g->conf.nb_listen, g->conf.nb_backends,
		g->conf.nb_pools, proxy_balance_str(g->conf.balance));
	pthread_mutex_unlock(&p->lock);
	return 0;
undo:
	for (ls = 0; ls < PROXY_MAX_LSLOTS; ls++) {
		if (!added[ls])
			continue;
		tq_tcp_unlisten(p->e, NULL, p->lport[ls]);
		p->llistening[ls] = false;
	}
	g->holders = 0;
	gen_free(p, g);
fail:
	p->reload_fails++;
	snprintf(p->reload_err, sizeof(p->reload_err), "%s", err);
	fprintf(stderr, "tq-proxy: reload refused, the running "
		"configuration stays: %s\n", err);
	/* Counted before the answer goes, like a reload taken. */
	tq_worker_run_wait(p->e, 0, count_fail, NULL, 2000);
	pthread_mutex_unlock(&p->lock);
	return ret;
}

/* rte_telemetry callbacks take no argument; nor does a signal handler. */
static struct proxy *rl_proxy;
static sem_t hup;

/* JSON of DPDK 22.11's telemetry does not escape strings. */
static void
tel_str(struct rte_tel_data *d, const char *k, const char *v)
{
	char s[RTE_TEL_MAX_STRING_LEN];
	size_t i;

	snprintf(s, sizeof(s), "%s", v);
	for (i = 0; s[i]; i++)
		if (s[i] == '"' || s[i] == '\\' || (unsigned char)s[i] < 32)
			s[i] = '\'';
	rte_tel_data_add_dict_string(d, k, s);
}

static void
add_state(struct rte_tel_data *d, struct proxy *p)
{
	rte_tel_data_add_dict_u64(d, "generation", p->cur ? p->cur->id : 0);
	rte_tel_data_add_dict_u64(d, "reloads", p->reloads);
	rte_tel_data_add_dict_u64(d, "reload_fails", p->reload_fails);
}

static int
tel_reload(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct proxy *p = rl_proxy;
	char err[256] = "";
	int ret;

	(void)cmd;
	(void)params;
	ret = proxy_reload(p, err, sizeof(err));
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "ok", ret == 0);
	pthread_mutex_lock(&p->lock);
	add_state(d, p);
	pthread_mutex_unlock(&p->lock);
	if (ret < 0)
		tel_str(d, "error", err);
	return 0;
}

static int
tel_config(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct proxy *p = rl_proxy;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&p->lock);
	add_state(d, p);
	tel_str(d, "last_error", p->reload_err);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static void
on_hup(int sig)
{
	(void)sig;
	sem_post(&hup);		/* async-signal-safe */
}

/* The reload runs here, not in the handler: it waits for the workers. */
static void *
hup_thread(void *arg)
{
	struct proxy *p = arg;
	char err[256];

	for (;;) {
		if (sem_wait(&hup) < 0)
			continue;	/* EINTR */
		fprintf(stderr, "tq-proxy: SIGHUP: reloading\n");
		proxy_reload(p, err, sizeof(err));
	}
	return NULL;
}

int
reload_register(struct proxy *p)
{
	struct sigaction sa;
	pthread_t t;
	sigset_t all, old;
	int ret;

	rl_proxy = p;
	if (sem_init(&hup, 0, 0) < 0)
		return -errno;
	/* The thread takes no signal of its own: SIGINT and SIGTERM stay
	 * the engine's, wherever they land. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&t, NULL, hup_thread, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		return -ret;
	pthread_detach(t);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_hup;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGHUP, &sa, NULL) < 0)
		return -errno;
	rte_telemetry_register_cmd("/tqproxy/reload", tel_reload,
		"Read tq-proxy's configuration again and take it: ok, "
		"generation, reloads, reload_fails, error");
	rte_telemetry_register_cmd("/tqproxy/config", tel_config,
		"tq-proxy's configuration generation, reloads, reload_fails, "
		"last_error");
	return 0;
}
