/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP's control path: listeners added and removed while the workers run,
 * and the /tachyon/conns telemetry command.  Both reach the workers only
 * through their command rings, so the data path takes no lock.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <rte_telemetry.h>

#include <tachyon/tq_tcp.h>
#include <tachyon/tq_worker.h>

#include "core/tq_opts.h"
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
tq_tcp_listen_table_set_opt(struct tq_tcp_listen_table *lt,
		const struct tq_addr *addr, uint16_t port,
		enum tq_stream_opt opt, uint32_t val)
{
	const struct tq_cc_ops *ops = NULL;
	int idx;

	if (opt != TQ_OPT_CC)
		return -ENOTSUP;
	if (val != 0 && !(ops = tq_cc_by_id(val)))
		return -EINVAL;
	idx = tq_tcp_listen_table_find(lt, addr, port);
	if (idx < 0)
		return idx;
	/* the workers read it at each SYN through their replica's conf,
	 * which is this slot: no command needed */
	__atomic_store_n(&lt->l[idx].cc, ops, __ATOMIC_RELAXED);
	return 0;
}

int
tq_tcp_listen_set_opt(struct tq_engine *e, const struct tq_addr *addr,
		uint16_t port, enum tq_stream_opt opt, uint32_t val)
{
	int ret;

	tq_engine_ctl_lock(e);
	ret = tq_tcp_listen_table_set_opt(&tcp_state(e)->listen, addr, port,
			opt, val);
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

/*
 * Rows per reply: DPDK's telemetry reply holds 16 KB, and a row with two
 * IPv6 addresses takes some 200 bytes of JSON.
 */
#define PAGE_MAX 64
/* Table entries a worker looks at per call (filtered walks). */
#define WALK_BUDGET 65536

/*
 * One worker's answer to one /tachyon/conns call.  Telemetry threads
 * may run several calls at once, so each has its own buffer; the worker
 * and the caller each hold a reference, and whoever lets go last frees
 * it, so a caller that gave up waiting leaks nothing.
 */
struct snap_req {
	struct tq_tcp_conn_filter f;
	uint32_t cursor;
	bool end;
	unsigned int n;
	int done;
	int refs;
	struct tq_tcp_conn_row rows[PAGE_MAX];
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

	r->n = tq_tcp_conns_walk(s, &r->f, &r->cursor, &r->end, r->rows,
			PAGE_MAX, WALK_BUDGET);
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	snap_put(r);
}

static int
state_by_name(const char *v)
{
	unsigned int st;

	for (st = 0; st < TQ_TCPS_MAX; st++)
		if (!strcasecmp(v, tq_tcp_state_ss_name(st)) ||
				!strcasecmp(v, tq_tcp_state_name(st)))
			return (int)st;
	return -1;
}

static void
add_column_str(struct rte_tel_data *d, const char *name,
		const struct snap_req *r, int which)
{
	struct rte_tel_data *a = rte_tel_data_alloc();
	unsigned int i;

	if (!a)
		return;
	rte_tel_data_start_array(a, RTE_TEL_STRING_VAL);
	for (i = 0; i < r->n; i++) {
		const struct tq_tcp_conn_row *w = &r->rows[i];
		char buf[TQ_ADDR_STRLEN + 8], ab[TQ_ADDR_STRLEN];
		const struct tq_addr *ad = which == 1 ? &w->la : &w->fa;

		if (which == 0) {
			rte_tel_data_add_array_string(a,
					tq_tcp_state_ss_name(w->state));
		} else if (which == 3) {
			rte_tel_data_add_array_string(a, w->cc);
		} else {
			tq_addr_format(ad, ab, sizeof(ab));
			snprintf(buf, sizeof(buf),
				ad->family == AF_INET6 ? "[%s]:%u" : "%s:%u",
				ab, which == 1 ? w->lport : w->fport);
			rte_tel_data_add_array_string(a, buf);
		}
	}
	rte_tel_data_add_dict_container(d, name, a, 0);
}

static void
add_column_u64(struct rte_tel_data *d, const char *name,
		const struct snap_req *r, size_t off)
{
	struct rte_tel_data *a = rte_tel_data_alloc();
	unsigned int i;

	if (!a)
		return;
	rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
	for (i = 0; i < r->n; i++) {
		const uint8_t *row = (const uint8_t *)&r->rows[i];
		uint32_t v;

		memcpy(&v, row + off, sizeof(v));
		rte_tel_data_add_array_u64(a, v);
	}
	rte_tel_data_add_dict_container(d, name, a, 0);
}

/*
 * ss-like list of connections, one worker and one page per call,
 * column by column (a row would not fit a telemetry string):
 * params w=WORKER,c=CURSOR[,state=S][,port=P]; the reply's next and
 * done say where to go on.  The flow tables belong to the workers, so
 * each walks its own when asked through its command ring; the
 * telemetry thread only waits for it.
 */
static int
tel_conns(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tq_engine *e = tq_engine_current();
	unsigned int worker = 0, waited = 0;
	struct snap_req *r;
	int ret;

	if (!e)
		return -ENODEV;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->f.state = -1;
	if (tq_ctl_conn_params(params, state_by_name, &worker, &r->cursor,
			&r->f.state, &r->f.port) < 0 ||
			worker >= tq_engine_workers(e)) {
		free(r);
		return -EINVAL;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "worker", (int)worker);
	rte_tel_data_add_dict_int(d, "workers", (int)tq_engine_workers(e));
	r->refs = 2;
	ret = tq_worker_run(e, worker, snap_cmd, r);
	if (ret < 0) {
		free(r);
		if (ret != -EAGAIN)
			return ret;
		/* not serving (yet): no connections */
		rte_tel_data_add_dict_int(d, "done", 1);
		return 0;
	}
	while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE) && waited < 1000) {
		usleep(1000);
		waited++;
	}
	if (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
		snap_put(r);
		return -ETIMEDOUT;
	}
	rte_tel_data_add_dict_int(d, "done", r->end);
	rte_tel_data_add_dict_u64(d, "next", r->cursor);
	add_column_str(d, "state", r, 0);
	add_column_str(d, "local", r, 1);
	add_column_str(d, "peer", r, 2);
#define COL(f) add_column_u64(d, #f, r, offsetof(struct tq_tcp_conn_row, f))
	COL(rtt_us);
	COL(rttvar_us);
	COL(rto_ms);
	COL(cwnd);
	COL(ssthresh);
	COL(inflight);
	COL(sndq);
	COL(rcvq);
	COL(retrans);
#undef COL
	add_column_str(d, "cc", r, 3);
	snap_put(r);
	return 0;
}

void
tq_tcp_telemetry(void)
{
	rte_telemetry_register_cmd("/tachyon/conns", tel_conns,
		"TCP connections of one worker, a page at a time, by column. "
		"Params: w=WORKER,c=CURSOR[,state=S][,port=P]");
}
