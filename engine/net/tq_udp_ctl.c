/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UDP's control path and its engine module: tq_udp_bind() and
 * tq_udp_unbind() before the workers run (the list every shard copies
 * when it attaches) and while they run (the change sent to each worker
 * through its command ring, applied there to the worker's own table, so
 * the data path takes no lock).
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_log.h>

#include <tachyon/tq_udp.h>
#include <tachyon/tq_worker.h>

#include "core/tq_module.h"
#include "net/tq_net.h"

RTE_LOG_REGISTER(tq_udp_logtype, tachyon.udp, INFO);

/* How long a bind change waits for each worker. */
#define UDP_WAIT_MS 2000

static void
udp_fini(void *state)
{
	tq_udp_table_fini(state);
}

/* No options yet; the binds made before the workers run are its state,
 * which tq_net_attach() applies to each shard. */
const struct tq_module tq_udp_module = {
	.name = "udp",
	.state_size = sizeof(struct tq_udp_table),
	.fini = udp_fini,
};

/*
 * One worker's part of one change.  The caller and each command sent
 * hold a reference; whoever lets go last frees it, so a caller that gave
 * up waiting on a slow worker leaves nothing dangling.
 */
struct udp_req {
	struct tq_addr addr;	/* family 0: the wildcard */
	uint16_t port;
	tq_udp_rx_cb cb;
	void *arg;
	int ret;		/* of the bind or unbind, on the worker */
	int refs;
};

static struct udp_req *
req_new(const struct tq_addr *addr, uint16_t port, tq_udp_rx_cb cb,
		void *arg)
{
	struct udp_req *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	if (addr && addr->family && !tq_addr_is_any(addr))
		r->addr = *addr;
	r->port = port;
	r->cb = cb;
	r->arg = arg;
	r->ret = -EINPROGRESS;	/* not run: nothing to undo */
	r->refs = 1;
	return r;
}

static void
req_put(struct udp_req *r)
{
	if (__atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(r);
}

static const struct tq_addr *
req_addr(const struct udp_req *r)
{
	return r->addr.family ? &r->addr : NULL;
}

static void
bind_cmd(struct tq_shard *s, void *arg)
{
	struct udp_req *r = arg;

	r->ret = tq_udp_shard_bind(s, req_addr(r), r->port, r->cb, r->arg);
	req_put(r);
}

static void
unbind_cmd(struct tq_shard *s, void *arg)
{
	struct udp_req *r = arg;

	r->ret = tq_udp_shard_unbind(s, req_addr(r), r->port);
	req_put(r);
}

/* Roll back a bind_cmd of the same request: it ran before on this worker
 * (one ring, in order), so r->ret says whether there is ours to undo
 * rather than someone else's bind of the same address and port. */
static void
undo_cmd(struct tq_shard *s, void *arg)
{
	struct udp_req *r = arg;

	if (r->ret == 0)
		tq_udp_shard_unbind(s, req_addr(r), r->port);
	req_put(r);
}

/* Run fn(r) on worker k and wait: 0 once it ran, r->ret then holds its
 * result; -ETIMEDOUT when it may still run; other errors: it never will. */
static int
run_on(struct tq_engine *e, unsigned int k, tq_worker_fn fn,
		struct udp_req *r)
{
	int ret;

	__atomic_add_fetch(&r->refs, 1, __ATOMIC_RELAXED);
	ret = tq_worker_run_wait(e, k, fn, r, UDP_WAIT_MS);
	if (ret < 0 && ret != -ETIMEDOUT)
		req_put(r);
	return ret;
}

static int
bind_running(struct tq_engine *e, const struct tq_addr *addr, uint16_t port,
		tq_udp_rx_cb cb, void *arg)
{
	struct udp_req *r[TQ_MAX_WORKERS] = { NULL };
	unsigned int k, n = 0, nb = tq_engine_workers(e);
	int ret = 0;

	for (k = 0; k < nb && ret == 0; k++) {
		r[k] = req_new(addr, port, cb, arg);
		if (!r[k]) {
			ret = -ENOMEM;
			break;
		}
		n = k + 1;
		ret = run_on(e, k, bind_cmd, r[k]);
		if (ret == 0)
			ret = r[k]->ret;
	}
	/* All or nothing: the workers that took it give it back, a slow
	 * one as soon as it gets to it. */
	for (k = 0; ret < 0 && k < n; k++)
		run_on(e, k, undo_cmd, r[k]);
	for (k = 0; k < n; k++)
		req_put(r[k]);
	return ret;
}

static int
unbind_running(struct tq_engine *e, const struct tq_addr *addr,
		uint16_t port)
{
	unsigned int k, nb = tq_engine_workers(e), found = 0;
	int ret = 0;

	for (k = 0; k < nb; k++) {
		struct udp_req *r = req_new(addr, port, NULL, NULL);
		int rc;

		if (!r)
			return -ENOMEM;
		rc = run_on(e, k, unbind_cmd, r);
		if (rc == 0)
			rc = r->ret;
		req_put(r);
		if (rc == 0)
			found++;
		else if (rc != -ENOENT && ret == 0)
			ret = rc;
	}
	if (ret == 0 && found == 0)
		ret = -ENOENT;
	return ret;
}

static bool
port_ok(const struct tq_addr *addr, uint16_t port)
{
	return port != 0 && (!addr || addr->family == 0 ||
			addr->family == AF_INET || addr->family == AF_INET6);
}

int
tq_udp_bind(struct tq_engine *e, const struct tq_addr *addr, uint16_t port,
		tq_udp_rx_cb cb, void *arg)
{
	int ret;

	if (!port_ok(addr, port) || !cb)
		return -EINVAL;
	if (tq_engine_running(e) && tq_engine_on_worker(e))
		return -EDEADLK;
	tq_engine_ctl_lock(e);
	if (tq_engine_running(e))
		ret = bind_running(e, addr, port, cb, arg);
	else
		ret = tq_udp_table_bind(tq_engine_module_state(e,
				&tq_udp_module), addr, port, cb, arg);
	tq_engine_ctl_unlock(e);
	return ret;
}

int
tq_udp_unbind(struct tq_engine *e, const struct tq_addr *addr, uint16_t port)
{
	int ret;

	if (!port_ok(addr, port))
		return -EINVAL;
	if (tq_engine_running(e) && tq_engine_on_worker(e))
		return -EDEADLK;
	tq_engine_ctl_lock(e);
	if (tq_engine_running(e))
		ret = unbind_running(e, addr, port);
	else
		ret = tq_udp_table_unbind(tq_engine_module_state(e,
				&tq_udp_module), addr, port);
	tq_engine_ctl_unlock(e);
	return ret;
}
