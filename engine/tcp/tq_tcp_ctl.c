/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP's control path: listeners added and removed while the workers run,
 * and the /tachyon/conns telemetry command.  Both reach the workers only
 * through their command rings, so the data path takes no lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_telemetry.h>

#include <tachyon/tq_tcp.h>
#include <tachyon/tq_worker.h>

#include "tcp/tq_tcp_module.h"

static struct tq_tcp_mod *
tcp_state(struct tq_engine *e)
{
	return tq_engine_module_state(e, &tq_tcp_module);
}

static void
listener_add_cmd(struct tq_shard *s, void *arg)
{
	tq_tcp_listener_add(s, (unsigned int)(uintptr_t)arg);
}

static void
listener_del_cmd(struct tq_shard *s, void *arg)
{
	tq_tcp_listener_del(s, (unsigned int)(uintptr_t)arg);
}

/* How long a listener change waits for each worker. */
#define LISTEN_WAIT_MS 2000

/*
 * Before the workers run the table is all there is: each worker copies
 * it when it attaches.  Once they run, the slot is filled first, then
 * each worker adds its replica from its command ring, so the data path
 * reads only its own replicas and takes no lock.
 */
int
tq_tcp_listen(struct tq_engine *e, const struct tq_addr *addr, uint16_t port,
		uint32_t backlog, tq_accept_cb cb, void *arg)
{
	struct tq_tcp_listen_table *lt = &tcp_state(e)->listen;
	unsigned int k, nb = tq_engine_workers(e);
	int ret, idx;

	if (tq_engine_running(e) && tq_engine_on_worker(e))
		return -EDEADLK;
	tq_engine_ctl_lock(e);
	ret = tq_tcp_listen_table_add(lt, addr, port, backlog, cb, arg);
	if (ret < 0 || !tq_engine_running(e))
		goto out;
	idx = tq_tcp_listen_table_find(lt, addr, port);
	for (k = 0; k < nb; k++) {
		ret = tq_worker_run_wait(e, k, listener_add_cmd,
				(void *)(uintptr_t)idx, LISTEN_WAIT_MS);
		if (ret < 0) {
			/* Take it back from the workers that have it; one
			 * that is too slow for both keeps a replica of a
			 * slot that stays taken. */
			while (k-- > 0)
				tq_worker_run_wait(e, k, listener_del_cmd,
					(void *)(uintptr_t)idx,
					LISTEN_WAIT_MS);
			if (ret != -ETIMEDOUT)
				tq_tcp_listen_table_del(lt, (unsigned int)idx);
			break;
		}
	}
out:
	tq_engine_ctl_unlock(e);
	return ret;
}

int
tq_tcp_unlisten(struct tq_engine *e, const struct tq_addr *addr,
		uint16_t port)
{
	struct tq_tcp_listen_table *lt = &tcp_state(e)->listen;
	unsigned int k, nb = tq_engine_workers(e);
	int ret = 0, idx;

	if (tq_engine_running(e) && tq_engine_on_worker(e))
		return -EDEADLK;
	tq_engine_ctl_lock(e);
	idx = tq_tcp_listen_table_find(lt, addr, port);
	if (idx < 0) {
		ret = idx;
		goto out;
	}
	if (tq_engine_running(e)) {
		for (k = 0; k < nb; k++) {
			int r = tq_worker_run_wait(e, k, listener_del_cmd,
					(void *)(uintptr_t)idx,
					LISTEN_WAIT_MS);

			if (r < 0 && r != -EAGAIN)
				ret = r;
		}
		/* A worker that did not answer may still read the slot. */
		if (ret < 0)
			goto out;
	}
	tq_tcp_listen_table_del(lt, (unsigned int)idx);
out:
	tq_engine_ctl_unlock(e);
	return ret;
}

#define SNAP_MAX 512

/*
 * One worker's answer to one /tachyon/conns call.  Telemetry threads
 * may run several calls at once, so each has its own buffer; the worker
 * and the caller each hold a reference, and whoever lets go last frees
 * it, so a caller that gave up waiting leaks nothing.
 */
struct snap_req {
	unsigned int max;
	unsigned int n;
	int done;
	int refs;
	char lines[][128];
};

static void
snap_put(struct snap_req *r)
{
	if (__atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(r);
}

static void
snap_cmd(struct tq_shard *s, void *arg)
{
	struct snap_req *r = arg;

	r->n = tq_tcp_snapshot(s, r->lines, r->max);
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	snap_put(r);
}

/*
 * ss-like list of connections.  The flow tables belong to the workers,
 * so each worker writes its own snapshot when asked through its command
 * ring; the telemetry thread only waits for it.
 */
static int
tel_conns(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tq_engine *e = tq_engine_current();
	unsigned int k, i, used = 0;

	if (!e)
		return -ENODEV;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	for (k = 0; k < tq_engine_workers(e) && used < SNAP_MAX; k++) {
		unsigned int max = SNAP_MAX - used, waited = 0;
		struct snap_req *r;
		int ret;

		r = calloc(1, sizeof(*r) + (size_t)max * sizeof(r->lines[0]));
		if (!r)
			return -ENOMEM;
		r->max = max;
		r->refs = 2;
		ret = tq_worker_run(e, k, snap_cmd, r);
		if (ret < 0) {
			free(r);
			if (ret == -EAGAIN)
				return 0; /* not serving (yet): no connections */
			continue;
		}
		while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE) &&
				waited < 1000) {
			usleep(1000);
			waited++;
		}
		if (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
			snap_put(r);
			return -ETIMEDOUT;
		}
		for (i = 0; i < r->n; i++)
			rte_tel_data_add_array_string(d, r->lines[i]);
		used += r->n;
		snap_put(r);
	}
	return 0;
}

void
tq_tcp_telemetry(void)
{
	rte_telemetry_register_cmd("/tachyon/conns", tel_conns,
		"TCP connections, one string each (like ss)");
}
