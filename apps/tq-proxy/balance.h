/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_PROXY_BALANCE_H
#define TQ_PROXY_BALANCE_H

/*
 * The backend choice (docs/tq-proxy.md, Balancing).  Pure: the caller
 * passes what it knows of the pool, so the unit suite tests it as it is.
 */
#include <stdint.h>

#include <tachyon/tq_addr.h>

#include "conf.h"

struct balance_in {
	enum balance_mode mode;
	unsigned int n;		/* backends, all pools */
	uint64_t pool;		/* bit b: backend b serves this client */
	uint64_t up;		/* bit b: backend b is up */
	uint64_t tried;		/* bit b: already tried for this client */
	const uint32_t *active;	/* leastconn: relayed connections of each */
	uint64_t key;		/* hash: balance_addr_key() of the client */
};

/* A 64-bit key of a client address (its port left out). */
uint64_t balance_addr_key(const struct tq_addr *a);

/*
 * Pick a backend of the pool among the up ones not yet tried, or, when
 * none is up, among any of the pool not yet tried.  *cursor is the caller's round-robin position
 * for this pool (rr, and leastconn's ties), advanced here.
 * @return the backend's index, or -ENOENT when every one was tried.
 */
int balance_pick(const struct balance_in *in, uint32_t *cursor);

#endif
