/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_ENGINE_PRIV_H
#define TQ_ENGINE_PRIV_H

/*
 * The engine's state, shared by tq_engine.c (lifecycle), tq_engine_tel.c
 * (telemetry) and tq_engine_worker.c (apps on workers) only.
 */

#include <pthread.h>
#include <sys/socket.h>
#include <stdbool.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include <tachyon/tachyon.h>
#include <tachyon/tq_worker.h>

#include "core/tq_opts.h"
#include "net/tq_net.h"
#include "core/tq_log.h"
#include "port/tq_fault.h"
#include "port/tq_port.h"

/* Protocol modules an engine holds (core/tq_modules.def). */
#define TQ_MODULES_MAX 8

/* rte_log type "tachyon.engine" (tq_engine.c). */
extern int tq_engine_logtype;
#define ENG_LOG(level, fmt, ...) \
	TQ_LOG(tq_engine_logtype, "tachyon.engine", level, fmt, ##__VA_ARGS__)

struct tq_engine {
	struct tq_opts opts;
	/* What tq_engine_reload_app_opts() reads again: the app's options
	 * are the last nb_app_opts of opts. */
	int argc;
	char **argv;
	unsigned int nb_app_opts;
	char app_name[32];
	char port_name[RTE_ETH_NAME_MAX_LEN];
	struct tq_port_conf port_conf;
	struct tq_net_conf net_conf;
	struct tq_iface iface;
	struct tq_fault_spec fault;
	bool gso;	/* --gso: TCP segments up to 64 KiB, cut in software */
	bool gro;	/* --gro: RX bursts merged before TCP (tq_gro.c) */
	unsigned int stats_interval;
	/* --metrics (tq_engine_metrics.c) */
	struct sockaddr_storage metrics_addr;
	socklen_t metrics_len;	/* 0: no metrics server */
	int metrics_fd;
	pthread_t metrics_thread;
	bool metrics_on;
	bool metrics_stop;	/* atomic access */
	uint64_t timer_tick_ns;
	uint16_t rx_bursts;
	uint32_t idle_sleep_us;	/* --idle-sleep-us; 0 (--busy-poll): none */
	/* Each module's state (tq_modules order). */
	void *mod_state[TQ_MODULES_MAX];
	/* Copies of it that live settings made (tq_engine_live.c). */
	struct tq_live_copy *live_copies;
	/* The control lock (tq_engine_ctl_lock()). */
	pthread_mutex_t ctl_lock;
	uint8_t secret[16];
	struct tq_port port;
	unsigned int nb_workers;
	unsigned int lcore[TQ_MAX_WORKERS];
	struct tq_shard *shards[TQ_MAX_WORKERS];
	bool eal_up;
	bool adopted;		/* tq_engine_adopt(): the shards are not ours */
	volatile bool stop;

	/* apps on workers (tq_worker.h) */
	bool started;		/* tq_engine_run() called: hooks, names fixed */
	bool running;		/* shards take commands (atomic access) */
	unsigned int nb_on_start, nb_on_stop, nb_on_stopping;
	unsigned int nb_on_metrics;
	struct {
		tq_metrics_fn fn;
		void *arg;
	} on_metrics[TQ_METRICS_HOOKS_MAX];
	struct tq_worker_hook {
		tq_worker_fn fn;
		void *arg;
	} on_start[TQ_WORKER_HOOKS_MAX], on_stop[TQ_WORKER_HOOKS_MAX],
		on_stopping[TQ_WORKER_HOOKS_MAX];
	unsigned int nb_app_hist;
	struct tq_app_hist_def {
		char name[TQ_APP_COUNTER_NAME_MAX + 1];
		char help[RTE_TEL_MAX_STRING_LEN];
		unsigned int nb;
		uint64_t bounds_ns[TQ_APP_HIST_BUCKETS_MAX];
	} app_hist[TQ_APP_HISTS_MAX];
	unsigned int nb_app_ctr;
	char app_ctr_name[TQ_APP_COUNTERS_MAX][TQ_APP_COUNTER_NAME_MAX + 1];
	char app_ctr_help[TQ_APP_COUNTERS_MAX][RTE_TEL_MAX_STRING_LEN];
};

/* Counters summed over workers (worker -1) or of one; the totals add
 * the port's own drops. */
void tq_engine_sum_counters(const struct tq_engine *e, int worker,
		uint64_t *out);

/* App counters likewise, TQ_APP_COUNTERS_MAX of them. */
void tq_engine_sum_app_counters(const struct tq_engine *e, int worker,
		uint64_t *out);

/* Register /tachyon/stats, /tachyon/info, /tachyon/counters. */
void tq_engine_telemetry(void);

/* --metrics ADDR:PORT (IPv6 as [ADDR]:PORT) into a socket address. */
int tq_metrics_parse(const char *v, struct sockaddr_storage *ss,
		socklen_t *len);
struct tq_prom;
/* The whole Prometheus page, as /metrics serves it. */
void tq_metrics_page(struct tq_engine *e, struct tq_prom *p);
/* Start the server thread if --metrics was given: 0 or -errno. */
int tq_metrics_start(struct tq_engine *e);
void tq_metrics_stop(struct tq_engine *e);

/* /tachyon/set and /tachyon/get; free what tq_engine_set() kept. */
void tq_engine_live_telemetry(void);
void tq_engine_live_free(struct tq_engine *e);

#endif
