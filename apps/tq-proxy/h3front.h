/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_PROXY_H3FRONT_H
#define TQ_PROXY_H3FRONT_H

/* The HTTP/3 front of HTTP mode, --quic PORT (h3front.c). */
struct proxy;
struct rte_tel_data;

/* Its counters and /metrics families, before the engine runs (nothing
 * without --quic): 0 or a negative errno. */
int h3front_register(struct proxy *p);

/* Serve HTTP/3 on --quic PORT: 0 or tq_quic_listen()'s error. */
int h3front_listen(struct proxy *p);

/* Its entry ("quic0") in telemetry /tqproxy/listeners. */
void h3front_tel_listener(struct rte_tel_data *d);

/* After tq_engine_run() has returned. */
void h3front_free(void);

#endif
