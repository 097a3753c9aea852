/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engine's telemetry: counters (its own and the apps'), the port and
 * addresses, and counter help.  The protocol modules register their own
 * commands (core/tq_module.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "core/tq_module.h"
#include "core/tq_shard.h"
#include "tq_engine_priv.h"

void
tq_engine_sum_counters(const struct tq_engine *e, int worker, uint64_t *out)
{
	unsigned int i, k;

	memset(out, 0, sizeof(uint64_t) * TQ_CTR_MAX);
	for (i = 0; i < e->nb_workers; i++) {
		const struct tq_shard *s = e->shards[i];

		if (!s || (worker >= 0 && (unsigned int)worker != i))
			continue;
		for (k = 0; k < TQ_CTR_MAX; k++)
			out[k] += __atomic_load_n(&s->ctr[k],
					__ATOMIC_RELAXED);
	}
	/* Port-level drops have no worker; they go in the totals. */
	if (worker < 0 && e->port.started) {
		struct rte_eth_stats st;

		if (rte_eth_stats_get(e->port.id, &st) == 0) {
			out[TQ_CTR_RX_NO_MBUF] += st.rx_nombuf;
			out[TQ_CTR_RX_MISSED] += st.imissed;
			out[TQ_CTR_RX_ERRORS] += st.ierrors;
			out[TQ_CTR_TX_ERRORS] += st.oerrors;
		}
		/* Reading moves the kernel's count into ours: not a change
		 * of the engine's state, so const is kept for callers. */
		out[TQ_CTR_RX_MISSED] += tq_port_kdrops(
				(struct tq_port *)&e->port);

	}
}

void
tq_engine_sum_app_counters(const struct tq_engine *e, int worker,
		uint64_t *out)
{
	tq_shard_app_counters_sum(e->shards, e->nb_workers, worker,
			e->nb_app_ctr, out);
}

int
tq_engine_counters(const struct tq_engine *e, int worker,
		uint64_t out[TQ_CTR_MAX])
{
	if (worker >= (int)e->nb_workers || worker < -1)
		return -EINVAL;
	tq_engine_sum_counters(e, worker, out);
	return 0;
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct tq_engine *current = tq_engine_current();
	uint64_t c[TQ_CTR_MAX], a[TQ_APP_COUNTERS_MAX];
	int worker = -1;
	unsigned int k;

	if (!current)
		return -ENODEV;
	if (params && *params) {
		char *end;
		long w = strtol(params, &end, 10);

		if (*end || w < 0 || w >= (long)current->nb_workers)
			return -EINVAL;
		worker = (int)w;
	}
	tq_engine_sum_counters(current, worker, c);
	tq_engine_sum_app_counters(current, worker, a);
	rte_tel_data_start_dict(d);
	for (k = 0; k < TQ_CTR_MAX; k++)
		rte_tel_data_add_dict_u64(d, tq_counter_name(k), c[k]);
	for (k = 0; k < current->nb_app_ctr; k++)
		rte_tel_data_add_dict_u64(d, current->app_ctr_name[k], a[k]);
	return 0;
}

static int
tel_info(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct tq_engine *current = tq_engine_current();
	char buf[TQ_ADDR_STRLEN + 8], mac[RTE_ETHER_ADDR_FMT_SIZE];
	unsigned int i;

	if (!current)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "app", current->app_name);
	rte_tel_data_add_dict_int(d, "workers", (int)current->nb_workers);
	rte_tel_data_add_dict_string(d, "port", current->port.name);
	rte_tel_data_add_dict_string(d, "driver", current->port.driver);
	rte_ether_format_addr(mac, sizeof(mac), &current->iface.mac);
	rte_tel_data_add_dict_string(d, "mac", mac);
	rte_tel_data_add_dict_int(d, "mtu", current->iface.mtu);
	for (i = 0; i < current->iface.nb_addrs; i++) {
		char key[16];
		size_t l;

		tq_addr_format(&current->iface.addrs[i].addr, buf, sizeof(buf));
		l = strlen(buf);
		snprintf(buf + l, sizeof(buf) - l, "/%u",
				current->iface.addrs[i].plen);
		snprintf(key, sizeof(key), "addr%u", i);
		rte_tel_data_add_dict_string(d, key, buf);
	}
	return 0;
}

static const char *const phase_names[TQ_LOAD_MAX] = {
	[TQ_LOAD_RX] = "cycles_rx",
	[TQ_LOAD_PROTO] = "cycles_protocol",
	[TQ_LOAD_TX] = "cycles_tx",
	[TQ_LOAD_IDLE] = "cycles_idle",
};

typedef uint64_t (*col_fn)(const struct tq_engine *e, const struct tq_shard *s,
		unsigned int w, unsigned int arg);

static uint64_t
col_lcore(const struct tq_engine *e, const struct tq_shard *s, unsigned int w,
		unsigned int arg)
{
	return e->lcore[w];
}

static uint64_t
col_polls(const struct tq_engine *e, const struct tq_shard *s, unsigned int w,
		unsigned int busy)
{
	return busy ? __atomic_load_n(&s->load.busy_polls, __ATOMIC_RELAXED) :
		__atomic_load_n(&s->load.polls, __ATOMIC_RELAXED);
}

static uint64_t
col_cycles(const struct tq_engine *e, const struct tq_shard *s,
		unsigned int w, unsigned int phase)
{
	return __atomic_load_n(&s->load.cycles[phase], __ATOMIC_RELAXED);
}

static uint64_t
col_ctr(const struct tq_engine *e, const struct tq_shard *s, unsigned int w,
		unsigned int id)
{
	return __atomic_load_n(&s->ctr[id], __ATOMIC_RELAXED);
}

static void
worker_column(struct rte_tel_data *d, const struct tq_engine *e,
		const char *name, col_fn fn, unsigned int arg)
{
	struct rte_tel_data *a = rte_tel_data_alloc();
	unsigned int w;

	if (!a)
		return;
	rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
	for (w = 0; w < e->nb_workers; w++)
		rte_tel_data_add_array_u64(a, e->shards[w] ?
				fn(e, e->shards[w], w, arg) : 0);
	rte_tel_data_add_dict_container(d, name, a, 0);
}

/*
 * Each worker's load, by column: cumulative figures a reader takes
 * twice and subtracts (tq-ctl workers), like VPP's "show runtime".
 */
static int
tel_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct tq_engine *current = tq_engine_current();
	unsigned int p;

	if (!current)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "tsc_hz", rte_get_tsc_hz());
	rte_tel_data_add_dict_int(d, "workers", (int)current->nb_workers);
	worker_column(d, current, "lcore", col_lcore, 0);
	worker_column(d, current, "polls", col_polls, 0);
	worker_column(d, current, "busy_polls", col_polls, 1);
	for (p = 0; p < TQ_LOAD_MAX; p++)
		worker_column(d, current, phase_names[p], col_cycles, p);
	worker_column(d, current, "rx_packets", col_ctr, TQ_CTR_RX_PKTS);
	worker_column(d, current, "tx_packets", col_ctr, TQ_CTR_TX_PKTS);
	worker_column(d, current, "tx_ring_full", col_ctr,
			TQ_CTR_TX_RING_FULL);
	worker_column(d, current, "no_mbuf", col_ctr, TQ_CTR_NO_MBUF);
	return 0;
}

static int
tel_names(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct tq_engine *current = tq_engine_current();
	unsigned int k;

	rte_tel_data_start_dict(d);
	for (k = 0; k < TQ_CTR_MAX; k++)
		rte_tel_data_add_dict_string(d, tq_counter_name(k),
				tq_counter_help(k));
	if (!current)
		return 0;
	for (k = 0; k < current->nb_app_ctr; k++)
		rte_tel_data_add_dict_string(d, current->app_ctr_name[k],
				current->app_ctr_help[k]);
	return 0;
}

void
tq_engine_telemetry(void)
{
	unsigned int m;

	rte_telemetry_register_cmd("/tachyon/stats", tel_stats,
		"Engine counters summed over workers. Params: worker id");
	rte_telemetry_register_cmd("/tachyon/info", tel_info,
		"Engine port, addresses and workers");
	rte_telemetry_register_cmd("/tachyon/workers", tel_workers,
		"Per worker: polls, busy polls, TSC cycles by phase, packets");
	for (m = 0; tq_modules[m]; m++)
		if (tq_modules[m]->telemetry)
			tq_modules[m]->telemetry();
	rte_telemetry_register_cmd("/tachyon/counters", tel_names,
		"Counter names and what they count");
	tq_engine_live_telemetry();
}
