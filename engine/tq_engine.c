/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engine assembled from its layers: options and config file, EAL,
 * port, one shard per worker lcore with the network layer attached, the
 * control loop on the main lcore, and telemetry.  This file sits above
 * all layers; nothing below includes it.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_telemetry.h>

#include <tachyon/tachyon.h>
#include <tachyon/tq_tcp.h>
#include <tachyon/tq_udp.h>
#include <tachyon/tq_worker.h>

#include "cc/tq_cc.h"
#include "core/tq_clock.h"
#include "core/tq_mbuf.h"
#include "core/tq_opts.h"
#include "core/tq_shard.h"
#include "net/tq_net.h"
#include "port/tq_fault.h"
#include "port/tq_io.h"
#include "port/tq_port.h"
#include "tcp/tq_tcp.h"

struct tq_engine {
	struct tq_opts opts;
	char app_name[32];
	char port_name[RTE_ETH_NAME_MAX_LEN];
	struct tq_port_conf port_conf;
	struct tq_net_conf net_conf;
	struct tq_iface iface;
	struct tq_fault_spec fault;
	unsigned int stats_interval;
	uint64_t timer_tick_ns;
	uint16_t rx_bursts;
	struct tq_udp_table udp;
	struct tq_tcp_conf tcp_conf;
	bool rcv_mbufs_set;	/* --tcp-rcv-mbufs given; else sized here */
	struct tq_tcp_listen_table listen;
	/* Serializes listen/unlisten callers and the workers' start: the
	 * control path only; workers never take it. */
	pthread_mutex_t listen_lock;
	uint8_t secret[16];
	struct tq_port port;
	unsigned int nb_workers;
	unsigned int lcore[TQ_MAX_WORKERS];
	struct tq_shard *shards[TQ_MAX_WORKERS];
	bool eal_up;
	volatile bool stop;

	/* apps on workers (tq_worker.h) */
	bool started;		/* tq_engine_run() called: hooks, names fixed */
	bool running;		/* shards take commands (atomic access) */
	unsigned int nb_on_start, nb_on_stop;
	struct {
		tq_worker_fn fn;
		void *arg;
	} on_start[TQ_WORKER_HOOKS_MAX], on_stop[TQ_WORKER_HOOKS_MAX];
	unsigned int nb_app_ctr;
	char app_ctr_name[TQ_APP_COUNTERS_MAX][TQ_APP_COUNTER_NAME_MAX + 1];
	char app_ctr_help[TQ_APP_COUNTERS_MAX][RTE_TEL_MAX_STRING_LEN];
};

static struct tq_engine *current; /* for signals and telemetry */

/* ---- option setters ---- */

static int
parse_u64(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (!v || !*v || *v == '-')
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 0);
	if (errno || *end || x < min || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

#define U_SETTER(fn, field, type, min, max, mul)                     \
	static int fn(void *arg, const char *v)                      \
	{                                                            \
		struct tq_engine *e = arg;                           \
		uint64_t x;                                          \
		if (parse_u64(v, min, max, &x) < 0)                  \
			return -EINVAL;                              \
		e->field = (type)(x * (mul));                        \
		return 0;                                            \
	}

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
U_SETTER(set_tcp_max_conns, tcp_conf.max_conns, uint32_t, 16, 1u << 22, 1)
U_SETTER(set_tcp_max_tw, tcp_conf.max_tw, uint32_t, 0, 1u << 22, 1)
/*
 * Half of what a worker's share of the pool leaves once the rings are
 * filled and the mempool caches hold their most: the other half stays for
 * RX refills, replies and send buffers, so stalled readers cannot starve
 * the port.
 */
static uint32_t
auto_rcv_mbufs(const struct tq_engine *e)
{
	const struct tq_port_conf *c = &e->port_conf;
	uint64_t share = c->nb_mbufs / (e->nb_workers ? e->nb_workers : 1);
	uint64_t fixed = (uint64_t)c->nb_rxd + c->nb_txd + 384;

	return share > fixed + 128 ? (uint32_t)((share - fixed) / 2) : 64;
}

static int
set_tcp_rcv_mbufs(void *arg, const char *v)
{
	struct tq_engine *e = arg;
	uint64_t x;

	if (parse_u64(v, 0, 1u << 24, &x) < 0)
		return -EINVAL;
	e->tcp_conf.rcv_mbufs = (uint32_t)x;
	e->rcv_mbufs_set = true;
	return 0;
}

U_SETTER(set_tcp_sndbuf, tcp_conf.sndbuf, uint32_t, 4096, 1u << 30, 1)
U_SETTER(set_tcp_rcvbuf, tcp_conf.rcvbuf, uint32_t, 4096, 1u << 30, 1)
U_SETTER(set_tcp_rto_min, tcp_conf.rto_min_ns, uint64_t, 1, 60000, 1000000ull)
U_SETTER(set_tcp_rto_max, tcp_conf.rto_max_ns, uint64_t, 100, 3600000, 1000000ull)
U_SETTER(set_tcp_delack, tcp_conf.delack_ns, uint64_t, 1, 1000, 1000000ull)
U_SETTER(set_tcp_tw, tcp_conf.msl2_ns, uint64_t, 0, 3600000, 1000000ull)
U_SETTER(set_tcp_fin_to, tcp_conf.fin_timeout_ns, uint64_t, 1, 3600000, 1000000ull)
U_SETTER(set_tcp_retries2, tcp_conf.retries2, uint32_t, 1, 255, 1)
U_SETTER(set_tcp_syn_retries, tcp_conf.syn_retries, uint32_t, 1, 127, 1)
U_SETTER(set_tcp_synack_retries, tcp_conf.synack_retries, uint32_t, 1, 255, 1)
U_SETTER(set_tcp_keep_idle, tcp_conf.keep_idle_ns, uint64_t, 1, 32767, 1000000000ull)
U_SETTER(set_tcp_keep_intvl, tcp_conf.keep_intvl_ns, uint64_t, 1, 32767, 1000000000ull)
U_SETTER(set_tcp_keep_cnt, tcp_conf.keep_cnt, uint32_t, 1, 127, 1)
U_SETTER(set_tcp_chack, tcp_conf.challenge_ack_limit, uint32_t, 1, 1000000, 1)
U_SETTER(set_tcp_fastopen, tcp_conf.fastopen, uint8_t, 0, 3, 1)
U_SETTER(set_tcp_init_cwnd, tcp_conf.init_cwnd, uint8_t, 1, 100, 1)

static int
set_tcp_cc(void *arg, const char *v)
{
	const struct tq_cc_ops *ops = tq_cc_find(v);

	if (!ops)
		return -EINVAL;
	((struct tq_engine *)arg)->tcp_conf.cc = ops;
	return 0;
}

static int
set_tcp_no_sack(void *arg, const char *v)
{
	((struct tq_engine *)arg)->tcp_conf.sack = false;
	return 0;
}

static int
set_tcp_no_ts(void *arg, const char *v)
{
	((struct tq_engine *)arg)->tcp_conf.timestamps = false;
	return 0;
}

static int
set_tcp_no_ws(void *arg, const char *v)
{
	((struct tq_engine *)arg)->tcp_conf.wscale = false;
	return 0;
}

static int
set_tcp_keepalive(void *arg, const char *v)
{
	((struct tq_engine *)arg)->tcp_conf.keepalive = true;
	return 0;
}

static int
set_tcp_no_syncookies(void *arg, const char *v)
{
	((struct tq_engine *)arg)->tcp_conf.syncookies = false;
	return 0;
}

static int
set_tcp_tw_reuse(void *arg, const char *v)
{
	((struct tq_engine *)arg)->tcp_conf.tw_reuse = true;
	return 0;
}

static int
set_tcp_nodelay(void *arg, const char *v)
{
	((struct tq_engine *)arg)->tcp_conf.nodelay = true;
	return 0;
}

static int
set_tcp_quickack(void *arg, const char *v)
{
	((struct tq_engine *)arg)->tcp_conf.quickack = true;
	return 0;
}

static int
set_tcp_ports(void *arg, const char *v)
{
	struct tq_engine *e = arg;
	unsigned int lo, hi;
	char extra;

	if (sscanf(v, "%u-%u%c", &lo, &hi, &extra) != 2 || lo < 1024 ||
			hi > 65535 || lo > hi)
		return -EINVAL;
	e->tcp_conf.eport_lo = (uint16_t)lo;
	e->tcp_conf.eport_hi = (uint16_t)hi;
	return 0;
}

static int
set_promisc(void *arg, const char *v)
{
	((struct tq_engine *)arg)->port_conf.promisc = true;
	return 0;
}

static int
set_no_offload(void *arg, const char *v)
{
	((struct tq_engine *)arg)->port_conf.no_offload = true;
	return 0;
}

static int
set_no_garp(void *arg, const char *v)
{
	((struct tq_engine *)arg)->net_conf.garp = false;
	return 0;
}

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
	{ "stats-interval", "engine", "S", "print stats every S seconds (0: never)", set_stats, NULL },
	{ "fault", "engine", "SPEC", "drop=P,dup=P,reorder=P,corrupt=P,delay=USEC,seed=N,dir=rx|tx|both", set_fault, NULL },
	{ "timer-tick-us", "engine", "US", "timer wheel slot width (1000)", set_tick, NULL },
	{ "rx-bursts", "engine", "N", "full RX bursts of 32 read per poll (8)", set_rx_bursts, NULL },
	{ "tcp-max-conns", "tcp", "N", "TCBs per worker (16384)", set_tcp_max_conns, NULL },
	{ "tcp-max-tw", "tcp", "N", "connections in TIME_WAIT per worker (8192)", set_tcp_max_tw, NULL },
	{ "tcp-sndbuf", "tcp", "BYTES", "send buffer per connection (262144)", set_tcp_sndbuf, NULL },
	{ "tcp-rcvbuf", "tcp", "BYTES", "receive buffer per connection (262144)", set_tcp_rcvbuf, NULL },
	{ "tcp-rcv-mbufs", "tcp", "N", "mbufs the receive queues of one worker may hold; past it data is dropped (TCPRcvQDrop); 0: no bound (half the worker's share of the pool)", set_tcp_rcv_mbufs, NULL },
	{ "tcp-cc", "tcp", "NAME", "congestion control: cubic, newreno (cubic)", set_tcp_cc, NULL },
	{ "tcp-init-cwnd", "tcp", "SEGS", "initial congestion window (10)", set_tcp_init_cwnd, NULL },
	{ "tcp-rto-min-ms", "tcp", "MS", "minimum RTO (200)", set_tcp_rto_min, NULL },
	{ "tcp-rto-max-ms", "tcp", "MS", "maximum RTO (120000)", set_tcp_rto_max, NULL },
	{ "tcp-delack-ms", "tcp", "MS", "delayed ACK timeout (40)", set_tcp_delack, NULL },
	{ "tcp-timewait-ms", "tcp", "MS", "TIME_WAIT length, 2MSL (60000)", set_tcp_tw, NULL },
	{ "tcp-fin-timeout-ms", "tcp", "MS", "FIN_WAIT_2 of a closed connection (60000)", set_tcp_fin_to, NULL },
	{ "tcp-retries2", "tcp", "N", "give-up point, as tcp_retries2 (15: 924.6 s)", set_tcp_retries2, NULL },
	{ "tcp-syn-retries", "tcp", "N", "SYN retransmissions (6)", set_tcp_syn_retries, NULL },
	{ "tcp-synack-retries", "tcp", "N", "SYN-ACK retransmissions (5)", set_tcp_synack_retries, NULL },
	{ "tcp-port-range", "tcp", "LO-HI", "ephemeral ports (32768-60999)", set_tcp_ports, NULL },
	{ "tcp-no-sack", "tcp", NULL, "do not offer SACK", set_tcp_no_sack, NULL },
	{ "tcp-no-timestamps", "tcp", NULL, "do not offer timestamps", set_tcp_no_ts, NULL },
	{ "tcp-no-wscale", "tcp", NULL, "do not offer window scaling", set_tcp_no_ws, NULL },
	{ "tcp-keepalive", "tcp", NULL, "keepalive on for every connection (off)", set_tcp_keepalive, NULL },
	{ "tcp-keepalive-time", "tcp", "S", "idle seconds before probing (7200)", set_tcp_keep_idle, NULL },
	{ "tcp-keepalive-intvl", "tcp", "S", "seconds between probes (75)", set_tcp_keep_intvl, NULL },
	{ "tcp-keepalive-probes", "tcp", "N", "unanswered probes before giving up (9)", set_tcp_keep_cnt, NULL },
	{ "tcp-challenge-ack-limit", "tcp", "N", "challenge ACKs per second per worker (1000)", set_tcp_chack, NULL },
	{ "tcp-fastopen", "tcp", "N", "RFC 7413 like tcp_fastopen: 1 client, 2 server, 3 both (0)", set_tcp_fastopen, NULL },
	{ "tcp-tw-reuse", "tcp", NULL, "connects may reuse a TIME_WAIT 4-tuple (timestamps, > 1 s)", set_tcp_tw_reuse, NULL },
	{ "tcp-no-syncookies", "tcp", NULL, "drop SYNs when the SYN queue is full instead of cookies", set_tcp_no_syncookies, NULL },
	{ "tcp-nodelay", "tcp", NULL, "disable Nagle on every connection", set_tcp_nodelay, NULL },
	{ "tcp-quickack", "tcp", NULL, "no delayed ACKs on any connection (a peer's FIN too: four-segment closes)", set_tcp_quickack, NULL },
};

/* ---- telemetry ---- */

static void
sum_counters(const struct tq_engine *e, int worker, uint64_t *out)
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

static void
sum_app_counters(const struct tq_engine *e, int worker, uint64_t *out)
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
	sum_counters(e, worker, out);
	return 0;
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
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
	sum_counters(current, worker, c);
	sum_app_counters(current, worker, a);
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
	struct tq_engine *e = current;
	unsigned int k, i, used = 0;

	if (!e)
		return -ENODEV;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	for (k = 0; k < e->nb_workers && used < SNAP_MAX; k++) {
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

static int
tel_names(const char *cmd, const char *params, struct rte_tel_data *d)
{
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
tq_shard_id(const struct tq_shard *s)
{
	return s->id;
}

/* ---- apps on workers (tq_worker.h) ---- */

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

static bool
on_worker_thread(const struct tq_engine *e)
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

	if (on_worker_thread(e))
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
	if (!fn)
		return -EINVAL;
	if (e->started)
		return -EBUSY;
	if (*n == TQ_WORKER_HOOKS_MAX)
		return -ENOSPC;
	if (which == 0) {
		e->on_start[*n].fn = fn;
		e->on_start[*n].arg = arg;
	} else {
		e->on_stop[*n].fn = fn;
		e->on_stop[*n].arg = arg;
	}
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
tq_app_counter_register(struct tq_engine *e, const char *name,
		const char *help)
{
	size_t len = name ? strlen(name) : 0, i;
	unsigned int k;

	if (len == 0 || len > TQ_APP_COUNTER_NAME_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				(c >= '0' && c <= '9') || c == '_'))
			return -EINVAL;
	}
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
	sum_app_counters(e, worker, a);
	memcpy(out, a, sizeof(a[0]) * RTE_MIN(n, (unsigned int)TQ_APP_COUNTERS_MAX));
	if (n > TQ_APP_COUNTERS_MAX)
		memset(out + TQ_APP_COUNTERS_MAX, 0,
				sizeof(a[0]) * (n - TQ_APP_COUNTERS_MAX));
	return 0;
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
	unsigned int k;
	int ret, idx;

	if (__atomic_load_n(&e->running, __ATOMIC_ACQUIRE) &&
			on_worker_thread(e))
		return -EDEADLK;
	pthread_mutex_lock(&e->listen_lock);
	ret = tq_tcp_listen_table_add(&e->listen, addr, port, backlog, cb,
			arg);
	if (ret < 0 || !__atomic_load_n(&e->running, __ATOMIC_ACQUIRE))
		goto out;
	idx = tq_tcp_listen_table_find(&e->listen, addr, port);
	for (k = 0; k < e->nb_workers; k++) {
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
				tq_tcp_listen_table_del(&e->listen,
						(unsigned int)idx);
			break;
		}
	}
out:
	pthread_mutex_unlock(&e->listen_lock);
	return ret;
}

int
tq_tcp_unlisten(struct tq_engine *e, const struct tq_addr *addr,
		uint16_t port)
{
	unsigned int k;
	int ret = 0, idx;

	if (__atomic_load_n(&e->running, __ATOMIC_ACQUIRE) &&
			on_worker_thread(e))
		return -EDEADLK;
	pthread_mutex_lock(&e->listen_lock);
	idx = tq_tcp_listen_table_find(&e->listen, addr, port);
	if (idx < 0) {
		ret = idx;
		goto out;
	}
	if (__atomic_load_n(&e->running, __ATOMIC_ACQUIRE)) {
		for (k = 0; k < e->nb_workers; k++) {
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
	tq_tcp_listen_table_del(&e->listen, (unsigned int)idx);
out:
	pthread_mutex_unlock(&e->listen_lock);
	return ret;
}

int
tq_udp_bind(struct tq_engine *e, const struct tq_addr *addr, uint16_t port,
		tq_udp_rx_cb cb, void *arg)
{
	return tq_udp_table_bind(&e->udp, addr, port, cb, arg);
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

int
tq_engine_create(int argc, char **argv, const char *app_name,
		const struct tq_app_opt *opts, unsigned int nb_opts,
		struct tq_engine **out)
{
	struct tq_engine *e;
	char *eal_argv[TQ_EAL_ARGS_MAX + 256];
	int sep, eal_argc = 0, i, ret;
	const char *cfg;
	unsigned int k, lc;
	uint16_t pid;

	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	snprintf(e->app_name, sizeof(e->app_name), "%s", app_name);
	pthread_mutex_init(&e->listen_lock, NULL);
	tq_port_conf_defaults(&e->port_conf);
	tq_net_conf_defaults(&e->net_conf);
	tq_tcp_conf_defaults(&e->tcp_conf);
	e->timer_tick_ns = 1000000;
	e->rx_bursts = 8;
	e->fault.seed = 1;
	for (k = 0; k < RTE_DIM(engine_opts); k++) {
		struct tq_app_opt o = engine_opts[k];

		o.arg = e;
		tq_opts_add(&e->opts, &o);
	}
	for (k = 0; k < nb_opts; k++) {
		if (tq_opts_add(&e->opts, &opts[k]) < 0) {
			free(e);
			return -EINVAL;
		}
	}

	for (sep = 1; sep < argc; sep++)
		if (!strcmp(argv[sep], "--"))
			break;
	/* Usage needs no EAL. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			tq_opts_usage(&e->opts, stdout, app_name);
			free(e);
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
	ret = rte_eal_init(eal_argc, eal_argv);
	if (ret < 0) {
		fprintf(stderr, "%s: EAL: %s\n", app_name,
				rte_strerror(rte_errno));
		ret = -EINVAL;
		goto fail;
	}
	e->eal_up = true;
	tq_clock_init();
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
	e->iface.reta_size = e->port.reta_size;
	memcpy(e->iface.reta, e->port.reta, sizeof(e->iface.reta));
	memcpy(e->iface.rss_key, e->port.rss_key, sizeof(e->iface.rss_key));
	current = e;
	rte_telemetry_register_cmd("/tachyon/stats", tel_stats,
		"Engine counters summed over workers. Params: worker id");
	rte_telemetry_register_cmd("/tachyon/info", tel_info,
		"Engine port, addresses and workers");
	rte_telemetry_register_cmd("/tachyon/conns", tel_conns,
		"TCP connections, one string each (like ss)");
	rte_telemetry_register_cmd("/tachyon/counters", tel_names,
		"Counter names and what they count");
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
	tq_tcp_shutdown_all(s);
}

static void
print_stats(struct tq_engine *e, uint64_t *prev, double dt)
{
	uint64_t c[TQ_CTR_MAX];
	uint64_t drops = 0;
	unsigned int k;

	sum_counters(e, -1, c);
	for (k = TQ_CTR_RX_NO_MBUF; k < TQ_CTR_MAX; k++)
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

static int
setup_shards(struct tq_engine *e)
{
	struct rte_ether_addr mc[TQ_MAX_ADDRS + 1];
	uint32_t nmc = 0;
	unsigned int k;
	int ret;

	if (!e->rcv_mbufs_set)
		e->tcp_conf.rcv_mbufs = auto_rcv_mbufs(e);
	for (k = 0; k < e->nb_workers; k++) {
		struct tq_shard_conf sc = {
			.id = k,
			.nb_workers = e->nb_workers,
			.socket = (int)rte_lcore_to_socket_id(e->lcore[k]),
			.fault = &e->fault,
			.timer_tick_ns = e->timer_tick_ns,
			.rx_bursts = e->rx_bursts,
			.now = tq_clock_ns(),
		};
		sc.pool = e->port.pool[sc.socket < 0 ? 0 : sc.socket];
		e->shards[k] = tq_shard_create(&sc);
		if (!e->shards[k])
			return -ENOMEM;
		e->shards[k]->engine = e;
		tq_io_init_ethdev(&e->shards[k]->io, e->port.id, (uint16_t)k);
		ret = tq_net_attach(e->shards[k], &e->iface, &e->net_conf,
				&e->udp);
		if (ret < 0)
			return ret;
		ret = tq_tcp_attach(e->shards[k], &e->tcp_conf, &e->listen,
				e->secret);
		if (ret < 0)
			return ret;
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
	/* A listener added meanwhile is either in the table the workers
	 * copy or sent to running workers, never neither. */
	pthread_mutex_lock(&e->listen_lock);
	ret = setup_shards(e);
	if (ret < 0)
		pthread_mutex_unlock(&e->listen_lock);
	if (ret < 0) {
		fprintf(stderr, "%s: workers: %s\n", e->app_name,
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
	pthread_mutex_unlock(&e->listen_lock);
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
	if (e->stats_interval)
		print_stats(e, prev, 1.0);
	return 0;
}

void
tq_engine_destroy(struct tq_engine *e)
{
	unsigned int k;

	if (!e)
		return;
	if (current == e)
		current = NULL;
	for (k = 0; k < e->nb_workers; k++) {
		if (!e->shards[k])
			continue;
		tq_tcp_detach(e->shards[k]);
		tq_net_detach(e->shards[k]);
		tq_shard_free(e->shards[k]);
		e->shards[k] = NULL;
	}
	tq_port_stop(&e->port);
	tq_udp_table_fini(&e->udp);
	tq_opts_free(&e->opts);
	pthread_mutex_destroy(&e->listen_lock);
	if (e->eal_up)
		rte_eal_cleanup();
	free(e);
}
