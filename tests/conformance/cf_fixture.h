/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_FIXTURE_H
#define CF_FIXTURE_H

/*
 * What the stream conformance suite needs from a transport: two hosts
 * joined by a simulated link on a fake clock, a way to open a connection
 * from host 0 to host 1 with given callbacks on each end, and the clock.
 * The suite itself (test_stream_conformance.c) uses only this and the
 * public tachyon/tq_stream.h, so a transport that provides a fixture
 * (cf_tcp.c now, cf_quic.c with QUIC) runs it unchanged.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>

#include <tachyon/tq_stream.h>

struct cf_link {
	uint64_t delay_ns;	/* one way */
	uint64_t bw_bps;	/* 0: no serialization */
	double loss, reorder, dup;
};

struct cf_transport {
	const char *name;
	bool app_codes;		/* an abort's code reaches the peer */
	bool stop_sending;	/* shutdown_read tells the peer */
	bool multi_stream;	/* tq_conn_stream_open() opens more */
	/* Two started hosts, both with these buffer sizes (0: default). */
	void (*setup)(const struct cf_link *link, uint64_t seed,
			uint32_t sndbuf, uint32_t rcvbuf);
	void (*teardown)(void);
	/*
	 * A connection from host 0 (*c, with cops/cctx) to host 1 (*s,
	 * with sops/sctx).  Returns once both ends exist and the client's
	 * connected() has come; the streams are then usable.
	 */
	void (*open)(const struct tq_stream_ops *cops, void *cctx,
			const struct tq_stream_ops *sops, void *sctx,
			struct tq_stream **c, struct tq_stream **s);
	/* Run the simulation ns forward, or until done(arg): done()? */
	bool (*run)(uint64_t ns, bool (*done)(void *arg), void *arg);
	uint64_t (*now)(void);
	/* Where both hosts take their mbufs from. */
	struct rte_mempool *(*pool)(void);
};

extern const struct cf_transport cf_tcp;
extern const struct cf_transport cf_quic;

#endif
