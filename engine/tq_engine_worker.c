/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Apps on workers (tachyon/tq_worker.h) where the engine is needed:
 * commands to a worker, start and stop hooks, app counter names.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_lcore.h>

#include "core/tq_clock.h"
#include "core/tq_module.h"
#include "core/tq_shard.h"
#include "tq_engine_priv.h"

int
tq_worker_run(struct tq_engine *e, unsigned int worker, tq_worker_fn fn,
		void *arg)
{
	if (!fn || worker >= e->nb_workers)
		return -EINVAL;
	if (!__atomic_load_n(&e->running, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	return tq_shard_command(e->shards[worker], fn, arg);
}

int
tq_worker_run_all(struct tq_engine *e, tq_worker_fn fn, void *arg)
{
	unsigned int k;
	int ret;

	for (k = 0; k < e->nb_workers; k++) {
		ret = tq_worker_run(e, k, fn, arg);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Shared by the waiter and the worker; the last one to let go frees it,
 * so a waiter that timed out leaves nothing dangling or leaked. */
struct wait_req {
	tq_worker_fn fn;
	void *arg;
	int done;
	int refs;
};

static void
wait_put(struct wait_req *w)
{
	if (__atomic_sub_fetch(&w->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(w);
}

static void
wait_cmd(struct tq_shard *s, void *arg)
{
	struct wait_req *w = arg;

	w->fn(s, w->arg);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	wait_put(w);
}

bool
tq_engine_on_worker(const struct tq_engine *e)
{
	unsigned int lc = rte_lcore_id(), k;

	for (k = 0; k < e->nb_workers; k++)
		if (e->lcore[k] == lc)
			return true;
	return false;
}

int
tq_worker_run_wait(struct tq_engine *e, unsigned int worker,
		tq_worker_fn fn, void *arg, unsigned int timeout_ms)
{
	uint64_t deadline;
	struct wait_req *w;
	int ret;

	if (tq_engine_on_worker(e))
		return -EDEADLK;
	if (!fn)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fn = fn;
	w->arg = arg;
	w->refs = 2;
	ret = tq_worker_run(e, worker, wait_cmd, w);
	if (ret < 0) {
		free(w);
		return ret;
	}
	deadline = tq_clock_ns() + (uint64_t)timeout_ms * 1000000;
	while (!__atomic_load_n(&w->done, __ATOMIC_ACQUIRE)) {
		if (tq_clock_ns() >= deadline) {
			ret = -ETIMEDOUT;
			break;
		}
		usleep(100);
	}
	wait_put(w);
	return ret;
}

static int
add_hook(struct tq_engine *e, unsigned int *n, unsigned int which,
		tq_worker_fn fn, void *arg)
{
	struct tq_worker_hook *h;

	if (!fn)
		return -EINVAL;
	if (e->started)
		return -EBUSY;
	if (*n == TQ_WORKER_HOOKS_MAX)
		return -ENOSPC;
	h = which == 0 ? e->on_start : which == 1 ? e->on_stop :
		e->on_stopping;
	h[*n].fn = fn;
	h[*n].arg = arg;
	(*n)++;
	return 0;
}

int
tq_engine_on_worker_start(struct tq_engine *e, tq_worker_fn fn, void *arg)
{
	return add_hook(e, &e->nb_on_start, 0, fn, arg);
}

int
tq_engine_on_worker_stop(struct tq_engine *e, tq_worker_fn fn, void *arg)
{
	return add_hook(e, &e->nb_on_stop, 1, fn, arg);
}

int
tq_engine_on_worker_stopping(struct tq_engine *e, tq_worker_fn fn,
		void *arg)
{
	return add_hook(e, &e->nb_on_stopping, 2, fn, arg);
}

static bool
app_name_ok(const char *name)
{
	size_t len = name ? strlen(name) : 0, i;

	if (len == 0 || len > TQ_APP_COUNTER_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				(c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/* 50 us to 10 s, 1-2.5-5 per decade: a request's life on a LAN to a
 * timeout. */
static const uint64_t hist_default_ns[] = {
	50000, 100000, 250000, 500000, 1000000, 2500000, 5000000,
	10000000, 25000000, 50000000, 100000000, 250000000, 500000000,
	1000000000, 2500000000, 5000000000, 10000000000,
};

int
tq_app_hist_register(struct tq_engine *e, const char *name,
		const char *help, const uint64_t *bounds_ns, unsigned int nb)
{
	struct tq_app_hist_def *h;
	unsigned int k;

	if (!bounds_ns) {
		bounds_ns = hist_default_ns;
		nb = RTE_DIM(hist_default_ns);
	}
	if (!app_name_ok(name) || nb == 0 || nb > TQ_APP_HIST_BUCKETS_MAX)
		return -EINVAL;
	for (k = 1; k < nb; k++)
		if (bounds_ns[k] <= bounds_ns[k - 1])
			return -EINVAL;
	if (e->started)
		return -EBUSY;
	for (k = 0; k < e->nb_app_hist; k++)
		if (!strcmp(e->app_hist[k].name, name))
			return -EEXIST;
	if (e->nb_app_hist == TQ_APP_HISTS_MAX)
		return -ENOSPC;
	h = &e->app_hist[e->nb_app_hist];
	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->help, sizeof(h->help), "%s", help ? help : "");
	memcpy(h->bounds_ns, bounds_ns, nb * sizeof(bounds_ns[0]));
	h->nb = nb;
	return (int)e->nb_app_hist++;
}

int
tq_app_counter_register(struct tq_engine *e, const char *name,
		const char *help)
{
	unsigned int k;

	if (!app_name_ok(name))
		return -EINVAL;
	if (e->started)
		return -EBUSY;
	for (k = 0; k < TQ_CTR_MAX; k++)
		if (!strcmp(tq_counter_name(k), name))
			return -EEXIST;
	for (k = 0; k < e->nb_app_ctr; k++)
		if (!strcmp(e->app_ctr_name[k], name))
			return -EEXIST;
	if (e->nb_app_ctr == TQ_APP_COUNTERS_MAX)
		return -ENOSPC;
	k = e->nb_app_ctr;
	snprintf(e->app_ctr_name[k], sizeof(e->app_ctr_name[k]), "%s", name);
	snprintf(e->app_ctr_help[k], sizeof(e->app_ctr_help[k]), "%s",
			help ? help : "");
	e->nb_app_ctr++;
	return (int)k;
}

unsigned int
tq_app_counter_count(const struct tq_engine *e)
{
	return e->nb_app_ctr;
}

const char *
tq_app_counter_name(const struct tq_engine *e, unsigned int id)
{
	return id < e->nb_app_ctr ? e->app_ctr_name[id] : NULL;
}

const char *
tq_app_counter_help(const struct tq_engine *e, unsigned int id)
{
	return id < e->nb_app_ctr ? e->app_ctr_help[id] : NULL;
}

int
tq_app_counters(const struct tq_engine *e, int worker, uint64_t *out,
		unsigned int n)
{
	uint64_t a[TQ_APP_COUNTERS_MAX];

	if (worker >= (int)e->nb_workers || worker < -1)
		return -EINVAL;
	tq_engine_sum_app_counters(e, worker, a);
	memcpy(out, a, sizeof(a[0]) * RTE_MIN(n, (unsigned int)TQ_APP_COUNTERS_MAX));
	if (n > TQ_APP_COUNTERS_MAX)
		memset(out + TQ_APP_COUNTERS_MAX, 0,
				sizeof(a[0]) * (n - TQ_APP_COUNTERS_MAX));
	return 0;
}

