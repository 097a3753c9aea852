/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP's options (the [tcp] section, --tcp-*) and its module hooks: the
 * engine knows TCP only through tq_tcp_module.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_log.h>

#include "cc/tq_cc.h"
#include "core/tq_opts.h"
#include "tcp/tq_tcp_module.h"
#include "tcp/tq_tcp.h"

RTE_LOG_REGISTER(tq_tcp_logtype, tachyon.tcp, INFO);

void
tq_tcp_log_conn(const struct tq_tcb *tp, const char *what)
{
	struct tq_addr l, f;
	char lb[TQ_ADDR_STRLEN + 8], fb[TQ_ADDR_STRLEN + 8];

	tq_tcp_key_addrs(&tp->key, &l, &f);
	TCP_LOG(DEBUG, "%s %s -> %s (worker %u)", what,
		tq_log_ep(&l, rte_be_to_cpu_16(tp->key.lport), lb, sizeof(lb)),
		tq_log_ep(&f, rte_be_to_cpu_16(tp->key.fport), fb, sizeof(fb)),
		tp->s->id);
}

#define ST struct tq_tcp_mod

TQ_OPT_U_SETTER(set_max_conns, ST, conf.max_conns, uint32_t, 16, 1u << 22, 1)
TQ_OPT_U_SETTER(set_max_tw, ST, conf.max_tw, uint32_t, 0, 1u << 22, 1)
TQ_OPT_U_SETTER(set_sndbuf, ST, conf.sndbuf, uint32_t, 4096, 1u << 30, 1)
TQ_OPT_U_SETTER(set_rcvbuf, ST, conf.rcvbuf, uint32_t, 4096, 1u << 30, 1)
TQ_OPT_U_SETTER(set_rto_min, ST, conf.rto_min_ns, uint64_t, 1, 60000,
		1000000ull)
TQ_OPT_U_SETTER(set_rto_max, ST, conf.rto_max_ns, uint64_t, 100, 3600000,
		1000000ull)
TQ_OPT_U_SETTER(set_delack, ST, conf.delack_ns, uint64_t, 1, 1000, 1000000ull)
TQ_OPT_U_SETTER(set_tw, ST, conf.msl2_ns, uint64_t, 0, 3600000, 1000000ull)
TQ_OPT_U_SETTER(set_fin_to, ST, conf.fin_timeout_ns, uint64_t, 1, 3600000,
		1000000ull)
TQ_OPT_U_SETTER(set_retries2, ST, conf.retries2, uint32_t, 1, 255, 1)
TQ_OPT_U_SETTER(set_syn_retries, ST, conf.syn_retries, uint32_t, 1, 127, 1)
TQ_OPT_U_SETTER(set_synack_retries, ST, conf.synack_retries, uint32_t, 1, 255,
		1)
TQ_OPT_U_SETTER(set_keep_idle, ST, conf.keep_idle_ns, uint64_t, 1, 32767,
		1000000000ull)
TQ_OPT_U_SETTER(set_keep_intvl, ST, conf.keep_intvl_ns, uint64_t, 1, 32767,
		1000000000ull)
TQ_OPT_U_SETTER(set_keep_cnt, ST, conf.keep_cnt, uint32_t, 1, 127, 1)
TQ_OPT_U_SETTER(set_chack, ST, conf.challenge_ack_limit, uint32_t, 1, 1000000,
		1)
TQ_OPT_U_SETTER(set_fastopen, ST, conf.fastopen, uint8_t, 0, 3, 1)
TQ_OPT_U_SETTER(set_init_cwnd, ST, conf.init_cwnd, uint8_t, 1, 100, 1)
TQ_OPT_FLAG_SETTER(set_no_sack, ST, conf.sack, false)
TQ_OPT_FLAG_SETTER(set_no_ts, ST, conf.timestamps, false)
TQ_OPT_FLAG_SETTER(set_no_ws, ST, conf.wscale, false)
TQ_OPT_FLAG_SETTER(set_keepalive, ST, conf.keepalive, true)
TQ_OPT_FLAG_SETTER(set_no_syncookies, ST, conf.syncookies, false)
TQ_OPT_FLAG_SETTER(set_tw_reuse, ST, conf.tw_reuse, true)
TQ_OPT_FLAG_SETTER(set_nodelay, ST, conf.nodelay, true)
TQ_OPT_FLAG_SETTER(set_quickack, ST, conf.quickack, true)

static int
set_rcv_mbufs(void *arg, const char *v)
{
	struct tq_tcp_mod *st = arg;
	uint64_t x;

	if (tq_opts_parse_u64(v, 0, 1u << 24, &x) < 0)
		return -EINVAL;
	st->conf.rcv_mbufs = (uint32_t)x;
	st->rcv_mbufs_set = true;
	return 0;
}

static int
set_cc(void *arg, const char *v)
{
	const struct tq_cc_ops *ops = tq_cc_find(v);

	/* BBR's delivery-rate samples and pacing: tq_tcp_rate.c */
	if (!ops)
		return -EINVAL;
	((struct tq_tcp_mod *)arg)->conf.cc = ops;
	return 0;
}

const struct tq_cc_ops *
tq_tcp_cc_start(const struct tq_tcb *tp, const struct tq_listener *l)
{
	const struct tq_cc_ops *ops = tp->cc_pick;

	if (!ops && l)
		ops = __atomic_load_n(&l->conf->cc, __ATOMIC_RELAXED);
	return ops ? ops : tq_tcp(tp->s)->conf->cc;
}

static int
set_ports(void *arg, const char *v)
{
	struct tq_tcp_mod *st = arg;
	unsigned int lo, hi;
	char extra;

	if (sscanf(v, "%u-%u%c", &lo, &hi, &extra) != 2 || lo < 1024 ||
			hi > 65535 || lo > hi)
		return -EINVAL;
	st->conf.eport_lo = (uint16_t)lo;
	st->conf.eport_hi = (uint16_t)hi;
	return 0;
}

static const struct tq_app_opt tcp_opts[] = {
	{ "tcp-max-conns", "tcp", "N", "TCBs per worker (16384)", set_max_conns, NULL },
	{ "tcp-max-tw", "tcp", "N", "connections in TIME_WAIT per worker (8192)", set_max_tw, NULL },
	{ "tcp-sndbuf", "tcp", "BYTES", "send buffer per connection (262144)", set_sndbuf, NULL },
	{ "tcp-rcvbuf", "tcp", "BYTES", "receive buffer per connection (262144)", set_rcvbuf, NULL },
	{ "tcp-rcv-mbufs", "tcp", "N", "mbufs the receive queues of one worker may hold; past it data is dropped (TCPRcvQDrop); 0: no bound (half the worker's share of the pool)", set_rcv_mbufs, NULL },
	{ "tcp-cc", "tcp", "NAME", "congestion control: cubic, newreno, bbr (cubic)", set_cc, NULL },
	{ "tcp-init-cwnd", "tcp", "SEGS", "initial congestion window (10)", set_init_cwnd, NULL },
	{ "tcp-rto-min-ms", "tcp", "MS", "minimum RTO (200)", set_rto_min, NULL },
	{ "tcp-rto-max-ms", "tcp", "MS", "maximum RTO (120000)", set_rto_max, NULL },
	{ "tcp-delack-ms", "tcp", "MS", "delayed ACK timeout (40)", set_delack, NULL },
	{ "tcp-timewait-ms", "tcp", "MS", "TIME_WAIT length, 2MSL (60000)", set_tw, NULL },
	{ "tcp-fin-timeout-ms", "tcp", "MS", "FIN_WAIT_2 of a closed connection (60000)", set_fin_to, NULL },
	{ "tcp-retries2", "tcp", "N", "give-up point, as tcp_retries2 (15: 924.6 s)", set_retries2, NULL },
	{ "tcp-syn-retries", "tcp", "N", "SYN retransmissions (6)", set_syn_retries, NULL },
	{ "tcp-synack-retries", "tcp", "N", "SYN-ACK retransmissions (5)", set_synack_retries, NULL },
	{ "tcp-port-range", "tcp", "LO-HI", "ephemeral ports (32768-60999)", set_ports, NULL },
	{ "tcp-no-sack", "tcp", NULL, "do not offer SACK", set_no_sack, NULL },
	{ "tcp-no-timestamps", "tcp", NULL, "do not offer timestamps", set_no_ts, NULL },
	{ "tcp-no-wscale", "tcp", NULL, "do not offer window scaling", set_no_ws, NULL },
	{ "tcp-keepalive", "tcp", NULL, "keepalive on for every connection (off)", set_keepalive, NULL },
	{ "tcp-keepalive-time", "tcp", "S", "idle seconds before probing (7200)", set_keep_idle, NULL },
	{ "tcp-keepalive-intvl", "tcp", "S", "seconds between probes (75)", set_keep_intvl, NULL },
	{ "tcp-keepalive-probes", "tcp", "N", "unanswered probes before giving up (9)", set_keep_cnt, NULL },
	{ "tcp-challenge-ack-limit", "tcp", "N", "challenge ACKs per second per worker (1000)", set_chack, NULL },
	{ "tcp-fastopen", "tcp", "N", "RFC 7413 like tcp_fastopen: 1 client, 2 server, 3 both (0)", set_fastopen, NULL },
	{ "tcp-tw-reuse", "tcp", NULL, "connects may reuse a TIME_WAIT 4-tuple (timestamps, > 1 s)", set_tw_reuse, NULL },
	{ "tcp-no-syncookies", "tcp", NULL, "drop SYNs when the SYN queue is full instead of cookies", set_no_syncookies, NULL },
	{ "tcp-nodelay", "tcp", NULL, "disable Nagle on every connection", set_nodelay, NULL },
	{ "tcp-quickack", "tcp", NULL, "no delayed ACKs on any connection (a peer's FIN too: four-segment closes)", set_quickack, NULL },
};

static void
tcp_init(void *state)
{
	tq_tcp_conf_defaults(&((struct tq_tcp_mod *)state)->conf);
}

/*
 * Without --tcp-rcv-mbufs: half of what a worker's share of the pool
 * leaves once the rings are filled and the mempool caches hold their
 * most, so the other half stays for RX refills, replies and send buffers
 * and stalled readers cannot starve the port.
 */
static int
tcp_finish(void *state, const struct tq_module_env *env)
{
	struct tq_tcp_mod *st = state;
	uint64_t share, fixed;

	if (st->rcv_mbufs_set)
		return 0;
	share = env->nb_mbufs / (env->nb_workers ? env->nb_workers : 1);
	fixed = (uint64_t)env->nb_rxd + env->nb_txd + 384;
	st->conf.rcv_mbufs = share > fixed + 128 ?
		(uint32_t)((share - fixed) / 2) : 64;
	return 0;
}

static int
tcp_attach(struct tq_shard *s, void *state, const struct tq_module_env *env)
{
	struct tq_tcp_mod *st = state;

	return tq_tcp_attach(s, &st->conf, &st->listen, env->secret);
}

/* ---- settings that change while running (tq-ctl set tcp.KEY V) ---- */

#define LIVE_BOOL(fn, field)						\
static int								\
fn(void *arg, const char *v)						\
{									\
	ST *st = arg;							\
									\
	if (strcmp(v, "0") && strcmp(v, "1"))				\
		return -EINVAL;						\
	st->conf.field = v[0] == '1';					\
	return 0;							\
}

LIVE_BOOL(live_keepalive, keepalive)
LIVE_BOOL(live_tw_reuse, tw_reuse)
LIVE_BOOL(live_syncookies, syncookies)
LIVE_BOOL(live_nodelay, nodelay)

/* A value in the unit its key names: ns fields shown in s or ms. */
#define LIVE_GET(fn, expr)						\
static int								\
fn(const void *arg, char *buf, size_t len)				\
{									\
	const struct tq_tcp_conf *c = &((const ST *)arg)->conf;	\
									\
	return snprintf(buf, len, "%" PRIu64, (uint64_t)(expr)) <	\
		(int)len ? 0 : -ENOSPC;					\
}

LIVE_GET(get_keepalive, c->keepalive)
LIVE_GET(get_keep_idle, c->keep_idle_ns / 1000000000ull)
LIVE_GET(get_keep_intvl, c->keep_intvl_ns / 1000000000ull)
LIVE_GET(get_keep_cnt, c->keep_cnt)
LIVE_GET(get_tw, c->msl2_ns / 1000000ull)
LIVE_GET(get_tw_reuse, c->tw_reuse)
LIVE_GET(get_max_tw, c->max_tw)
LIVE_GET(get_syncookies, c->syncookies)
LIVE_GET(get_fin_to, c->fin_timeout_ns / 1000000ull)
LIVE_GET(get_delack, c->delack_ns / 1000000ull)
LIVE_GET(get_rto_min, c->rto_min_ns / 1000000ull)
LIVE_GET(get_init_cwnd, c->init_cwnd)
LIVE_GET(get_nodelay, c->nodelay)
LIVE_GET(get_chack, c->challenge_ack_limit)

static int
get_cc(const void *arg, char *buf, size_t len)
{
	const struct tq_tcp_conf *c = &((const ST *)arg)->conf;

	return snprintf(buf, len, "%s", c->cc->name) < (int)len ? 0 : -ENOSPC;
}

static const struct tq_live_opt tcp_live[] = {
	{ "tcp.cc", "NAME", "congestion control of new connections: cubic, newreno, bbr (an app may choose per connection: TQ_OPT_CC)", set_cc, get_cc },
	{ "tcp.keepalive", "0|1", "keepalive on new connections", live_keepalive, get_keepalive },
	{ "tcp.keepalive_time", "S", "idle seconds before probing", set_keep_idle, get_keep_idle },
	{ "tcp.keepalive_intvl", "S", "seconds between probes", set_keep_intvl, get_keep_intvl },
	{ "tcp.keepalive_probes", "N", "unanswered probes before giving up", set_keep_cnt, get_keep_cnt },
	{ "tcp.timewait_ms", "MS", "TIME_WAIT length (2MSL)", set_tw, get_tw },
	{ "tcp.tw_reuse", "0|1", "connects may reuse a TIME_WAIT 4-tuple", live_tw_reuse, get_tw_reuse },
	{ "tcp.max_tw", "N", "connections in TIME_WAIT per worker", set_max_tw, get_max_tw },
	{ "tcp.syncookies", "0|1", "SYN cookies when the SYN queue is full", live_syncookies, get_syncookies },
	{ "tcp.fin_timeout_ms", "MS", "FIN_WAIT_2 of a closed connection", set_fin_to, get_fin_to },
	{ "tcp.delack_ms", "MS", "delayed ACK timeout", set_delack, get_delack },
	{ "tcp.rto_min_ms", "MS", "minimum RTO", set_rto_min, get_rto_min },
	{ "tcp.init_cwnd", "SEGS", "initial congestion window", set_init_cwnd, get_init_cwnd },
	{ "tcp.nodelay", "0|1", "Nagle off on new connections", live_nodelay, get_nodelay },
	{ "tcp.challenge_ack_limit", "N", "challenge ACKs per second per worker", set_chack, get_chack },
};

/* On the worker, from its command ring: new work reads the new copy. */
static void
tcp_publish(struct tq_shard *s, const void *state)
{
	tq_tcp(s)->conf = &((const ST *)state)->conf;
}

const struct tq_module tq_tcp_module = {
	.name = "tcp",
	.opts = tcp_opts,
	.nb_opts = RTE_DIM(tcp_opts),
	.state_size = sizeof(struct tq_tcp_mod),
	.init = tcp_init,
	.finish = tcp_finish,
	.attach = tcp_attach,
	.stop = tq_tcp_shutdown_all,
	.detach = tq_tcp_detach,
	.telemetry = tq_tcp_telemetry,
	.metrics = tq_tcp_metrics,
	.live = tcp_live,
	.nb_live = RTE_DIM(tcp_live),
	.publish = tcp_publish,
};
