/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engine assembled from its layers: options and config file, EAL,
 * port, one shard per worker lcore with the network layer and the
 * protocol modules attached, and the control loop on the main lcore.
 * Telemetry is in tq_engine_tel.c, the worker API in tq_engine_worker.c.
 * These files sit above all layers; nothing below includes them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* sched_getaffinity, CPU_SET */
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_pdump.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_telemetry.h>

#include <tachyon/tachyon.h>
#include <tachyon/tq_worker.h>

#include "cc/tq_cc.h"
#include "core/tq_clock.h"
#include "core/tq_mbuf.h"
#include "core/tq_module.h"
#include "core/tq_opts.h"
#include "core/tq_shard.h"
#include "net/tq_net.h"
#include "port/tq_fault.h"
#include "port/tq_io.h"
#include "port/tq_port.h"
#include "tq_engine_priv.h"

RTE_LOG_REGISTER(tq_engine_logtype, tachyon.engine, INFO);

static struct tq_engine *current; /* for signals and telemetry */

/* ---- default lcores ---- */

static bool
has_lcore_arg(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strncmp(argv[i], "-l", 2) || !strncmp(argv[i], "-c", 2) ||
				!strncmp(argv[i], "--lcores", 8))
			return true;
	return false;
}

/*
 * Without -l, -c or --lcores: a worker on every CPU we may run on, and
 * the control thread (the main lcore) beside the first one rather than
 * on a CPU of its own, so a 2-core machine has 2 workers.  The control
 * thread sleeps but for telemetry, stats and the metrics page, and an
 * idle worker naps, so sharing costs the worker little.
 */
static int
default_lcores(char *buf, size_t len)
{
	cpu_set_t set;
	unsigned int cpu, n = 0;
	size_t off;
	int first = -1;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return -errno;
	off = 0;
	for (cpu = 0; cpu < CPU_SETSIZE && n < TQ_MAX_WORKERS; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		if (first < 0) {
			first = (int)cpu;
			off += (size_t)snprintf(buf + off, len - off, "0@%d",
					first);
		}
		n++;
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off,
					",%u@%u", n, cpu);
	}
	return first < 0 || off >= len ? -ENOSPC : 0;
}

/* ---- option setters ---- */

#define U_SETTER(fn, field, type, min, max, mul) \
	TQ_OPT_U_SETTER(fn, struct tq_engine, field, type, min, max, mul)

U_SETTER(set_stats, stats_interval, unsigned int, 0, 86400, 1)
U_SETTER(set_rxd, port_conf.nb_rxd, uint16_t, 64, 16384, 1)
U_SETTER(set_txd, port_conf.nb_txd, uint16_t, 64, 16384, 1)
U_SETTER(set_mtu, port_conf.mtu, uint16_t, 576, 9600, 1)
U_SETTER(set_mbufs, port_conf.nb_mbufs, uint32_t, 2047, 4194303, 1)
U_SETTER(set_neigh_entries, net_conf.neigh_entries, uint32_t, 16, 1u << 20, 1)
U_SETTER(set_neigh_queue, net_conf.neigh_queue, uint32_t, 1, TQ_NEIGH_QMAX, 1)
U_SETTER(set_neigh_reach, net_conf.neigh_reachable_ns, uint64_t, 1, 86400000,
		1000000ull)
U_SETTER(set_frag_entries, net_conf.frag_entries, uint32_t, 16, 1u << 20, 1)
U_SETTER(set_frag_timeout, net_conf.frag_timeout_ns, uint64_t, 1, 600000,
		1000000ull)
U_SETTER(set_icmp_rate, net_conf.icmp_rate, uint32_t, 1, 10000000, 1)
U_SETTER(set_icmp_burst, net_conf.icmp_burst, uint32_t, 1, 100000, 1)
U_SETTER(set_ttl, net_conf.ttl, uint8_t, 1, 255, 1)
U_SETTER(set_tick, timer_tick_ns, uint64_t, 10, 100000, 1000ull)
U_SETTER(set_rx_bursts, rx_bursts, uint16_t, 1, TQ_RX_BURSTS_MAX, 1)
U_SETTER(set_idle_sleep, idle_sleep_us, uint32_t, 0, 100000, 1)

static int
set_busy_poll(void *arg, const char *v)
{
	((struct tq_engine *)arg)->idle_sleep_us = 0;
	return 0;
}
TQ_OPT_FLAG_SETTER(set_promisc, struct tq_engine, port_conf.promisc, true)
TQ_OPT_FLAG_SETTER(set_no_offload, struct tq_engine, port_conf.no_offload,
		true)
TQ_OPT_FLAG_SETTER(set_no_garp, struct tq_engine, net_conf.garp, false)
TQ_OPT_FLAG_SETTER(set_gso, struct tq_engine, gso, true)
TQ_OPT_FLAG_SETTER(set_gro, struct tq_engine, gro, true)

static int
set_port(void *arg, const char *v)
{
	struct tq_engine *e = arg;

	if (!*v || strlen(v) >= sizeof(e->port_name))
		return -EINVAL;
	strcpy(e->port_name, v);
	return 0;
}

static int
set_addr(void *arg, const char *v)
{
	struct tq_engine *e = arg;
	struct tq_ifaddr ia;
	unsigned int i;

	if (tq_prefix_parse(v, &ia.addr, &ia.plen) < 0 ||
			tq_addr_is_any(&ia.addr))
		return -EINVAL;
	if (ia.addr.family == AF_INET) {
		uint8_t first = ((uint8_t *)&ia.addr.v4)[0];

		if (first >= 224 || first == 127)
			return -EINVAL;
	} else if (ia.addr.v6[0] == 0xff) {
		return -EINVAL;
	}
	for (i = 0; i < e->iface.nb_addrs; i++)
		if (tq_addr_equal(&e->iface.addrs[i].addr, &ia.addr))
			return -EINVAL;
	if (e->iface.nb_addrs == TQ_MAX_ADDRS)
		return -EINVAL;
	e->iface.addrs[e->iface.nb_addrs++] = ia;
	return 0;
}

static int
set_gateway(void *arg, const char *v)
{
	struct tq_engine *e = arg;
	struct tq_addr a;

	if (tq_addr_parse(v, &a) < 0 || tq_addr_is_any(&a))
		return -EINVAL;
	if (a.family == AF_INET)
		e->iface.gw4 = a;
	else
		e->iface.gw6 = a;
	return 0;
}

static int
set_fault(void *arg, const char *v)
{
	struct tq_engine *e = arg;
	const char *bad;

	return tq_fault_parse(v, &e->fault, &bad);
}

static int
set_metrics(void *arg, const char *v)
{
	struct tq_engine *e = arg;

	return tq_metrics_parse(v, &e->metrics_addr, &e->metrics_len);
}

static int
set_config(void *arg, const char *v)
{
	return 0; /* loaded before EAL starts */
}

static const struct tq_app_opt engine_opts[] = {
	{ "config", "-", "FILE", "INI file with any of these options", set_config, NULL },
	{ "addr", "net", "ADDR/PREFIX", "an address of ours (repeatable, IPv4 or IPv6)", set_addr, NULL },
	{ "gateway", "net", "ADDR", "default gateway (one IPv4, one IPv6)", set_gateway, NULL },
	{ "ttl", "net", "N", "TTL / hop limit of what we send (64)", set_ttl, NULL },
	{ "neigh-entries", "net", "N", "ARP/NDP cache size per worker (1024)", set_neigh_entries, NULL },
	{ "neigh-queue", "net", "N", "frames held per unresolved neighbour (8)", set_neigh_queue, NULL },
	{ "neigh-reachable-ms", "net", "MS", "neighbour reachable time (30000)", set_neigh_reach, NULL },
	{ "frag-entries", "net", "N", "datagrams in reassembly per worker (1024)", set_frag_entries, NULL },
	{ "frag-timeout-ms", "net", "MS", "reassembly timeout (30000)", set_frag_timeout, NULL },
	{ "icmp-ratelimit", "net", "N", "ICMP errors per second per worker (1000)", set_icmp_rate, NULL },
	{ "icmp-burst", "net", "N", "ICMP error burst (50)", set_icmp_burst, NULL },
	{ "no-garp", "net", NULL, "no gratuitous ARP at start", set_no_garp, NULL },
	{ "port", "port", "NAME", "ethdev to use (default: the first)", set_port, NULL },
	{ "rxd", "port", "N", "RX descriptors per queue (1024)", set_rxd, NULL },
	{ "txd", "port", "N", "TX descriptors per queue (1024)", set_txd, NULL },
	{ "mtu", "port", "N", "set the port MTU", set_mtu, NULL },
	{ "mbufs", "port", "N", "mbufs per socket pool (16383)", set_mbufs, NULL },
	{ "promisc", "port", NULL, "promiscuous mode", set_promisc, NULL },
	{ "no-offload", "port", NULL, "checksums in software even if the PMD offers them", set_no_offload, NULL },
	{ "gso", "port", NULL, "TCP sends segments of up to 64 KiB, cut to the MSS in software before the TX ring", set_gso, NULL },
	{ "gro", "port", NULL, "merge in-order TCP segments of a flow in each RX burst before TCP input", set_gro, NULL },
	{ "stats-interval", "engine", "S", "print stats every S seconds (0: never)", set_stats, NULL },
	{ "metrics", "engine", "ADDR:PORT", "serve Prometheus /metrics on this kernel TCP address ([v6]:port)", set_metrics, NULL },
	{ "fault", "engine", "SPEC", "drop=P,dup=P,reorder=P,corrupt=P,delay=USEC,seed=N,dir=rx|tx|both", set_fault, NULL },
	{ "timer-tick-us", "engine", "US", "timer wheel slot width (1000)", set_tick, NULL },
	{ "rx-bursts", "engine", "N", "full RX bursts of 32 read per poll (8)", set_rx_bursts, NULL },
	{ "idle-sleep-us", "engine", "US", "longest nap of a worker with nothing to do (250; 0: busy poll)", set_idle_sleep, NULL },
	{ "busy-poll", "engine", NULL, "workers never nap (as --idle-sleep-us 0)", set_busy_poll, NULL },
};

/* The modules' rows follow the engine's, in list order, so usage reads
 * as it always did. */
int
tq_engine_add_opts(struct tq_opts *o, struct tq_engine *e)
{
	unsigned int k, m;
	int ret;

	for (k = 0; k < RTE_DIM(engine_opts); k++) {
		struct tq_app_opt r = engine_opts[k];

		r.arg = e;
		if ((ret = tq_opts_add(o, &r)) < 0)
			return ret;
	}
	for (m = 0; tq_modules[m]; m++) {
		for (k = 0; k < tq_modules[m]->nb_opts; k++) {
			struct tq_app_opt r = tq_modules[m]->opts[k];

			r.arg = e ? e->mod_state[m] : NULL;
			if ((ret = tq_opts_add(o, &r)) < 0)
				return ret;
		}
	}
	return 0;
}

/* ---- modules (core/tq_module.h) ---- */

void *
tq_engine_module_state(struct tq_engine *e, const struct tq_module *mod)
{
	unsigned int m;

	for (m = 0; tq_modules[m]; m++)
		if (tq_modules[m] == mod)
			return e->mod_state[m];
	return NULL;
}

struct tq_engine *
tq_engine_current(void)
{
	return current;
}

bool
tq_engine_running(const struct tq_engine *e)
{
	return __atomic_load_n(&e->running, __ATOMIC_ACQUIRE);
}

void
tq_engine_ctl_lock(struct tq_engine *e)
{
	pthread_mutex_lock(&e->ctl_lock);
}

void
tq_engine_ctl_unlock(struct tq_engine *e)
{
	pthread_mutex_unlock(&e->ctl_lock);
}

static void engine_free(struct tq_engine *e);

/* The engine and each module's state with its defaults. */
static struct tq_engine *
engine_alloc(const char *app_name)
{
	struct tq_engine *e = calloc(1, sizeof(*e));
	unsigned int m;

	if (!e)
		return NULL;
	snprintf(e->app_name, sizeof(e->app_name), "%s", app_name);
	pthread_mutex_init(&e->ctl_lock, NULL);
	for (m = 0; tq_modules[m]; m++) {
		if (m == TQ_MODULES_MAX) {
			engine_free(e);
			return NULL;
		}
		e->mod_state[m] = calloc(1, tq_modules[m]->state_size ?
				tq_modules[m]->state_size : 1);
		if (!e->mod_state[m]) {
			engine_free(e);
			return NULL;
		}
		if (tq_modules[m]->init)
			tq_modules[m]->init(e->mod_state[m]);
	}
	return e;
}

int
tq_engine_adopt(struct tq_shard *const *shards, unsigned int n,
		struct tq_engine **out)
{
	struct tq_engine *e;
	unsigned int k;

	if (n == 0 || n > TQ_MAX_WORKERS)
		return -EINVAL;
	e = engine_alloc("adopted");
	if (!e)
		return -ENOMEM;
	e->adopted = true;
	e->started = true;
	e->nb_workers = n;
	for (k = 0; k < n; k++) {
		e->shards[k] = shards[k];
		/* No lcore of ours: every caller is a control thread. */
		e->lcore[k] = RTE_MAX_LCORE;
	}
	__atomic_store_n(&e->running, true, __ATOMIC_RELEASE);
	*out = e;
	return 0;
}

/* ---- lifecycle ---- */

static void
on_signal(int sig)
{
	if (current)
		tq_engine_stop(current);
}

void
tq_engine_stop(struct tq_engine *e)
{
	e->stop = true;
}

unsigned int
tq_engine_workers(const struct tq_engine *e)
{
	return e->nb_workers;
}

unsigned int
tq_engine_addrs(const struct tq_engine *e, struct tq_addr *out,
		unsigned int max)
{
	unsigned int i;

	for (i = 0; i < e->iface.nb_addrs && i < max; i++)
		out[i] = e->iface.addrs[i].addr;
	return e->iface.nb_addrs;
}

unsigned int
tq_shard_id(const struct tq_shard *s)
{
	return s->id;
}

/* The worker's lcore: the app's start hooks, the poll loop, its stop
 * hooks. */
static int
worker_main(void *arg)
{
	struct tq_shard *s = arg;
	struct tq_engine *e = s->engine;
	unsigned int k;

	/* The hooks may arm timers: relative to now, not to setup time. */
	s->now = tq_clock_ns();
	for (k = 0; k < e->nb_on_start; k++)
		e->on_start[k].fn(s, e->on_start[k].arg);
	tq_shard_main(s);
	s->now = tq_clock_ns();
	for (k = 0; k < e->nb_on_stop; k++)
		e->on_stop[k].fn(s, e->on_stop[k].arg);
	return 0;
}

static void
config_error(struct tq_engine *e)
{
	fprintf(stderr, "%s: %s\n", e->app_name, e->opts.err);
}

static int
find_port(struct tq_engine *e, uint16_t *pid)
{
	if (e->port_name[0]) {
		if (rte_eth_dev_get_port_by_name(e->port_name, pid) == 0)
			return 0;
		snprintf(e->opts.err, sizeof(e->opts.err),
				"--port: no such port '%s'", e->port_name);
		return -EINVAL;
	}
	RTE_ETH_FOREACH_DEV(*pid)
		return 0;
	snprintf(e->opts.err, sizeof(e->opts.err),
		"no port: give one with --vdev (e.g. "
		"net_af_packet0,iface=veth0) or bind a NIC to DPDK");
	return -EINVAL;
}

/* The engine's own options are read at start only. */
static int
opt_ignore(void *arg, const char *val)
{
	(void)arg;
	(void)val;
	return 0;
}

int
tq_engine_reload_app_opts(struct tq_engine *e, char *err, size_t len)
{
	struct tq_opts *o;
	const char *cfg;
	unsigned int i;
	int sep, ret = 0;

	if (!e || !e->argv)
		return -EINVAL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	/* Every key stays known, so the file is checked as at start, but
	 * only the app's setters run. */
	o->n = e->opts.n;
	memcpy(o->v, e->opts.v, sizeof(o->v[0]) * o->n);
	for (i = 0; i + e->nb_app_opts < o->n; i++)
		o->v[i].set = opt_ignore;
	for (sep = 1; sep < e->argc; sep++)
		if (!strcmp(e->argv[sep], "--"))
			break;
	cfg = sep < e->argc ?
		tq_opts_find_config(e->argc - sep, e->argv + sep) : NULL;
	if (cfg)
		ret = tq_opts_load_ini(o, cfg);
	if (ret == 0 && sep < e->argc)
		ret = tq_opts_parse_argv(o, e->argc - sep, e->argv + sep);
	if (ret > 0)
		ret = 0;
	if (ret < 0 && err)
		snprintf(err, len, "%s", o->err[0] ? o->err : strerror(-ret));
	tq_opts_free(o);
	free(o);
	return ret < 0 ? ret : 0;
}

int
tq_engine_create(int argc, char **argv, const char *app_name,
		const struct tq_app_opt *opts, unsigned int nb_opts,
		struct tq_engine **out)
{
	struct tq_engine *e;
	char *eal_argv[TQ_EAL_ARGS_MAX + 256];
	/* static: EAL may keep pointers into its arguments */
	static char lcores_arg[TQ_MAX_WORKERS * 12 + 16];
	int sep, eal_argc = 0, i, ret;
	const char *cfg;
	unsigned int k, lc;
	uint16_t pid;

	e = engine_alloc(app_name);
	if (!e)
		return -ENOMEM;
	tq_port_conf_defaults(&e->port_conf);
	tq_net_conf_defaults(&e->net_conf);
	e->timer_tick_ns = 1000000;
	e->rx_bursts = 8;
	e->idle_sleep_us = 250;
	e->fault.seed = 1;
	e->fault.dir = TQ_FAULT_RX | TQ_FAULT_TX;
	if ((ret = tq_engine_add_opts(&e->opts, e)) < 0) {
		fprintf(stderr, "%s: engine options: %s\n", app_name,
			strerror(-ret));
		tq_engine_destroy(e);
		return -EINVAL;
	}
	for (k = 0; k < nb_opts; k++) {
		if ((ret = tq_opts_add(&e->opts, &opts[k])) < 0) {
			fprintf(stderr, "%s: option --%s: %s\n", app_name,
				opts[k].name, ret == -EEXIST ?
				"the engine has one of that name" :
				strerror(-ret));
			tq_engine_destroy(e);
			return -EINVAL;
		}
	}
	e->argc = argc;
	e->argv = argv;
	e->nb_app_opts = nb_opts;

	for (sep = 1; sep < argc; sep++)
		if (!strcmp(argv[sep], "--"))
			break;
	/* Usage needs no EAL. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			tq_opts_usage(&e->opts, stdout, app_name);
			tq_engine_destroy(e);
			return 1;
		}
	}
	cfg = sep < argc ? tq_opts_find_config(argc - sep, argv + sep) : NULL;
	if (cfg && tq_opts_load_ini(&e->opts, cfg) < 0) {
		config_error(e);
		ret = -EINVAL;
		goto fail;
	}

	eal_argv[eal_argc++] = argv[0];
	for (i = 0; i < e->opts.eal_argc; i++)
		eal_argv[eal_argc++] = e->opts.eal_argv[i];
	for (i = 1; i < sep && eal_argc < (int)RTE_DIM(eal_argv) - 1; i++)
		eal_argv[eal_argc++] = argv[i];
	eal_argv[eal_argc] = NULL;
	/* Parse our options before EAL so errors cost no EAL start. */
	if (sep < argc) {
		ret = tq_opts_parse_argv(&e->opts, argc - sep, argv + sep);
		if (ret < 0) {
			config_error(e);
			ret = -EINVAL;
			goto fail;
		}
	}
	if (e->iface.nb_addrs == 0) {
		fprintf(stderr, "%s: --addr: at least one address is needed\n",
				app_name);
		ret = -EINVAL;
		goto fail;
	}
	if (!has_lcore_arg(eal_argc, eal_argv) &&
			eal_argc < (int)RTE_DIM(eal_argv) - 2 &&
			default_lcores(lcores_arg, sizeof(lcores_arg)) == 0) {
		eal_argv[eal_argc++] = (char *)(uintptr_t)"--lcores";
		eal_argv[eal_argc++] = lcores_arg;
		eal_argv[eal_argc] = NULL;
	}
	ret = rte_eal_init(eal_argc, eal_argv);
	if (ret < 0) {
		fprintf(stderr, "%s: EAL: %s\n", app_name,
				rte_strerror(rte_errno));
		ret = -EINVAL;
		goto fail;
	}
	e->eal_up = true;
	tq_clock_init();
	/*
	 * Let dpdk-dumpcap and dpdk-pdump capture our port: they attach as
	 * secondary processes, which needs shared hugepages (not --no-huge,
	 * --in-memory or --huge-unlink); without them there is nothing to
	 * attach to and this only says so.
	 */
	if (rte_pdump_init() < 0)
		fprintf(stderr, "%s: capture (pdump) unavailable: %s\n",
				app_name, rte_strerror(rte_errno));
	if (tq_mbuf_dyn_register() < 0) {
		fprintf(stderr, "%s: mbuf dynfield: %s\n", app_name,
				rte_strerror(rte_errno));
		ret = -ENOMEM;
		goto fail;
	}
	/* RFC 6528's secret: unpredictable, fixed for the run. */
	if (getrandom(e->secret, sizeof(e->secret), 0) !=
			(ssize_t)sizeof(e->secret)) {
		uint64_t r[2] = { rte_rand(), rte_rand() };

		memcpy(e->secret, r, sizeof(e->secret));
	}
	RTE_LCORE_FOREACH_WORKER(lc) {
		if (e->nb_workers == TQ_MAX_WORKERS)
			break;
		e->lcore[e->nb_workers++] = lc;
	}
	if (e->nb_workers == 0) {
		fprintf(stderr, "%s: -l: give at least two lcores (e.g. -l 0-1)"
			": the main one is the control thread\n", app_name);
		ret = -EINVAL;
		goto fail;
	}
	if (find_port(e, &pid) < 0) {
		config_error(e);
		ret = -EINVAL;
		goto fail;
	}
	{
		int sockets[TQ_MAX_WORKERS];

		for (k = 0; k < e->nb_workers; k++)
			sockets[k] = (int)rte_lcore_to_socket_id(e->lcore[k]);
		ret = tq_port_start(&e->port, pid, &e->port_conf,
				(uint16_t)e->nb_workers, sockets);
		if (ret < 0) {
			fprintf(stderr, "%s: port %u: %s\n", app_name, pid,
					strerror(-ret));
			ret = -EINVAL;
			goto fail;
		}
	}
	e->iface.mac = e->port.mac;
	e->iface.mtu = e->port.mtu;
	e->iface.rx_ip_cksum = e->port.rx_ip_cksum;
	e->iface.rx_l4_cksum = e->port.rx_l4_cksum;
	e->iface.tx_ip_cksum = e->port.tx_ip_cksum;
	e->iface.tx_udp_cksum = e->port.tx_udp_cksum;
	e->iface.tx_tcp_cksum = e->port.tx_tcp_cksum;
	e->iface.tx_multiseg = e->port.tx_multiseg;
	/* The shards cut them (tq_shard_tx()): the PMDs we run on have no
	 * TSO of their own. */
	e->iface.tso_max = e->gso ? TQ_TSO_MAX_BYTES : 0;
	e->iface.reta_size = e->port.reta_size;
	memcpy(e->iface.reta, e->port.reta, sizeof(e->iface.reta));
	memcpy(e->iface.rss_key, e->port.rss_key, sizeof(e->iface.rss_key));
	current = e;
	tq_engine_telemetry();
	*out = e;
	return 0;
fail:
	tq_engine_destroy(e);
	return ret;
}

static void
announce_cmd(struct tq_shard *s, void *arg)
{
	tq_net_announce(s);
}

static void
shutdown_cmd(struct tq_shard *s, void *arg)
{
	struct tq_engine *e = s->engine;
	unsigned int m;

	/* The app first, while its connections are still open. */
	for (m = 0; m < e->nb_on_stopping; m++)
		e->on_stopping[m].fn(s, e->on_stopping[m].arg);
	for (m = 0; tq_modules[m]; m++)
		if (tq_modules[m]->stop)
			tq_modules[m]->stop(s);
}

static void
print_stats(struct tq_engine *e, uint64_t *prev, double dt)
{
	uint64_t c[TQ_CTR_MAX];
	uint64_t drops = 0;
	unsigned int k;

	tq_engine_sum_counters(e, -1, c);
	/* the drop reasons: from RxNoMbuf to the QUIC counters, but for
	 * the two that count bytes */
	for (k = TQ_CTR_RX_NO_MBUF; k < TQ_CTR_QUIC_CONNS_OPENED; k++)
		if (k != TQ_CTR_STREAM_RCV_DISCARD &&
				k != TQ_CTR_TX_MBUF_DROPPED)
			drops += c[k];
	printf("[stats] rx %" PRIu64 " pkts (%.0f/s)  tx %" PRIu64
		" pkts (%.0f/s)  udp in %" PRIu64 "  icmp echo %" PRIu64
		"  arp/nd in %" PRIu64 "  drops %" PRIu64 "\n",
		c[TQ_CTR_RX_PKTS], (c[TQ_CTR_RX_PKTS] - prev[0]) / dt,
		c[TQ_CTR_TX_PKTS], (c[TQ_CTR_TX_PKTS] - prev[1]) / dt,
		c[TQ_CTR_UDP_IN_DATAGRAMS],
		c[TQ_CTR_ICMP_IN_ECHOS] + c[TQ_CTR_ICMP6_IN_ECHOS],
		c[TQ_CTR_ARP_IN_REQUESTS] + c[TQ_CTR_ARP_IN_REPLIES] +
			c[TQ_CTR_NDP_IN_SOLICITS] + c[TQ_CTR_NDP_IN_ADVERTS],
		drops);
	for (k = TQ_CTR_RX_NO_MBUF; k < TQ_CTR_MAX; k++)
		if (c[k])
			printf("[stats]   %-28s %" PRIu64 "\n",
					tq_counter_name(k), c[k]);
	fflush(stdout);
	prev[0] = c[TQ_CTR_RX_PKTS];
	prev[1] = c[TQ_CTR_TX_PKTS];
}

static void
module_env(const struct tq_engine *e, struct tq_module_env *env)
{
	memset(env, 0, sizeof(*env));
	env->nb_workers = e->nb_workers;
	env->nb_mbufs = e->port_conf.nb_mbufs;
	env->nb_rxd = e->port_conf.nb_rxd;
	env->nb_txd = e->port_conf.nb_txd;
	env->secret = e->secret;
}

static int
setup_shards(struct tq_engine *e)
{
	struct rte_ether_addr mc[TQ_MAX_ADDRS + 1];
	struct tq_module_env env;
	uint32_t nmc = 0;
	unsigned int k;
	unsigned int m;
	int ret;

	module_env(e, &env);
	for (m = 0; tq_modules[m]; m++) {
		if (!tq_modules[m]->finish)
			continue;
		ret = tq_modules[m]->finish(e->mod_state[m], &env);
		if (ret < 0)
			return ret;
	}
	for (k = 0; k < e->nb_workers; k++) {
		struct tq_shard_conf sc = {
			.id = k,
			.nb_workers = e->nb_workers,
			.socket = (int)rte_lcore_to_socket_id(e->lcore[k]),
			.fault = &e->fault,
			.timer_tick_ns = e->timer_tick_ns,
			.rx_bursts = e->rx_bursts,
			.idle_sleep_us = e->idle_sleep_us,
			.now = tq_clock_ns(),
		};
		sc.pool = e->port.pool[sc.socket < 0 ? 0 : sc.socket];
		e->shards[k] = tq_shard_create(&sc);
		if (!e->shards[k])
			return -ENOMEM;
		e->shards[k]->engine = e;
		for (m = 0; m < e->nb_app_hist; m++) {
			e->shards[k]->app_hist_bounds[m] =
				e->app_hist[m].bounds_ns;
			e->shards[k]->app_hist_nb[m] = e->app_hist[m].nb;
		}
		tq_io_init_ethdev(&e->shards[k]->io, e->port.id, (uint16_t)k);
		e->shards[k]->io.tx_flat = !e->port.tx_multiseg;
		e->shards[k]->io.gro = e->gro;
		ret = tq_net_attach(e->shards[k], &e->iface, &e->net_conf,
				tq_engine_module_state(e, &tq_udp_module));
		if (ret < 0)
			return ret;
		for (m = 0; tq_modules[m]; m++) {
			if (!tq_modules[m]->attach)
				continue;
			ret = tq_modules[m]->attach(e->shards[k],
					e->mod_state[m], &env);
			if (ret < 0)
				return ret;
		}
	}
	ret = tq_shard_mesh(e->shards, e->nb_workers);
	if (ret < 0)
		return ret;
	/* NDP: all-nodes plus each address's solicited-node group. */
	{
		static const uint8_t all_nodes[16] = { 0xff, 2, [15] = 1 };

		tq_ipv6_mcast_mac(all_nodes, &mc[nmc++]);
	}
	for (k = 0; k < e->iface.nb_addrs; k++) {
		uint8_t sn[16];

		if (e->iface.addrs[k].addr.family != AF_INET6)
			continue;
		tq_ipv6_solicited_node(e->iface.addrs[k].addr.v6, sn);
		tq_ipv6_mcast_mac(sn, &mc[nmc++]);
	}
	ret = tq_port_set_mc(&e->port, mc, nmc);
	if (ret < 0)
		fprintf(stderr, "%s: multicast filter: %s (NDP may fail)\n",
				e->app_name, strerror(-ret));
	return 0;
}

int
tq_engine_run(struct tq_engine *e)
{
	struct rte_eth_link link;
	uint64_t prev[2] = { 0, 0 };
	uint64_t start, last;
	unsigned int k;
	int ret;

	e->started = true;
	/* A listener or bind added meanwhile is either in the table the
	 * workers copy or sent to running workers, never neither. */
	pthread_mutex_lock(&e->ctl_lock);
	ret = setup_shards(e);
	if (ret < 0)
		pthread_mutex_unlock(&e->ctl_lock);
	if (ret < 0) {
		fprintf(stderr, "%s: workers: %s\n", e->app_name,
				strerror(-ret));
		return ret;
	}
	ret = tq_metrics_start(e);
	if (ret < 0) {
		pthread_mutex_unlock(&e->ctl_lock);
		fprintf(stderr, "%s: --metrics: %s\n", e->app_name,
				strerror(-ret));
		return ret;
	}
	if (!tq_port_wait_link(&e->port, 3000, &link))
		fprintf(stderr, "%s: %s: link is down, serving anyway\n",
				e->app_name, e->port.name);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* Commands wait in the rings until each worker's first poll. */
	__atomic_store_n(&e->running, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&e->ctl_lock);
	for (k = 0; k < e->nb_workers; k++) {
		ret = rte_eal_remote_launch(worker_main, e->shards[k],
				e->lcore[k]);
		if (ret < 0) {
			fprintf(stderr, "%s: launch lcore %u: %s\n",
					e->app_name, e->lcore[k],
					strerror(-ret));
			e->stop = true;
			break;
		}
	}
	if (e->net_conf.garp && !e->stop)
		tq_shard_command(e->shards[0], announce_cmd, NULL);
	{
		char mac[RTE_ETHER_ADDR_FMT_SIZE];

		rte_ether_format_addr(mac, sizeof(mac), &e->iface.mac);
		printf("%s: serving on %s (%s, mac %s, mtu %u) with %u "
			"worker(s)\n", e->app_name, e->port.name,
			e->port.driver, mac, e->iface.mtu, e->nb_workers);
		fflush(stdout);
	}
	start = last = tq_clock_ns();
	while (!e->stop) {
		uint64_t now;

		usleep(50 * 1000);
		now = tq_clock_ns();
		if (e->stats_interval &&
				now - last >= e->stats_interval * 1000000000ull) {
			print_stats(e, prev, (double)(now - last) / 1e9);
			last = now;
		}
	}
	RTE_SET_USED(start);
	/* Close connections in order while the workers still run, and
	 * give the FINs a moment to be acknowledged. */
	for (k = 0; k < e->nb_workers; k++)
		tq_shard_command(e->shards[k], shutdown_cmd, NULL);
	usleep(200 * 1000);
	__atomic_store_n(&e->running, false, __ATOMIC_RELEASE);
	for (k = 0; k < e->nb_workers; k++)
		e->shards[k]->stop = true;
	rte_eal_mp_wait_lcore();
	tq_metrics_stop(e);
	if (e->stats_interval)
		print_stats(e, prev, 1.0);
	return 0;
}

static void
engine_free(struct tq_engine *e)
{
	unsigned int m;

	for (m = 0; tq_modules[m]; m++) {
		if (e->mod_state[m] && tq_modules[m]->fini)
			tq_modules[m]->fini(e->mod_state[m]);
		free(e->mod_state[m]);
	}
	tq_opts_free(&e->opts);
	tq_engine_live_free(e);
	pthread_mutex_destroy(&e->ctl_lock);
	free(e);
}

void
tq_engine_destroy(struct tq_engine *e)
{
	unsigned int k, m;
	bool eal;

	if (!e)
		return;
	if (current == e)
		current = NULL;
	if (e->adopted) {
		engine_free(e);
		return;
	}
	for (k = 0; k < e->nb_workers; k++) {
		if (!e->shards[k])
			continue;
		for (m = 0; tq_modules[m]; m++)
			;
		while (m-- > 0)
			if (tq_modules[m]->detach)
				tq_modules[m]->detach(e->shards[k]);
		tq_net_detach(e->shards[k]);
		tq_shard_free(e->shards[k]);
		e->shards[k] = NULL;
	}
	if (e->eal_up)
		rte_pdump_uninit();
	tq_port_stop(&e->port);
	eal = e->eal_up;
	engine_free(e);
	if (eal)
		rte_eal_cleanup();
}
