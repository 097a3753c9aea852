/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_TCP_MODULE_H
#define TQ_TCP_MODULE_H

/*
 * TCP as an engine module (core/tq_module.h): its configuration, the
 * listeners every worker replicates, and its telemetry.
 */

#include "core/tq_module.h"
#include "tcp/tq_tcp.h"

struct tq_tcp_mod {
	struct tq_tcp_conf conf;
	bool rcv_mbufs_set;	/* --tcp-rcv-mbufs given; else sized here */
	/* Written under the engine's control lock; each worker copies it
	 * when it attaches and then keeps replicas (tq_tcp_listen()). */
	struct tq_tcp_listen_table listen;
};

extern const struct tq_module tq_tcp_module;

/* /tachyon/conns (tq_tcp_ctl.c). */
void tq_tcp_telemetry(void);

/* Connections by state and handshake times (tq_tcp_metrics.c). */
void tq_tcp_metrics(struct tq_shard *const *shards, unsigned int n,
		struct tq_prom *p);

#endif
