/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_QUIC_LB_H
#define TQ_QUIC_LB_H

/*
 * Server connection IDs a load balancer can route (QUIC-LB,
 * draft-ietf-quic-load-balancers-19, plaintext algorithm), and that
 * route to a worker inside this machine:
 *
 *   octet 0        config rotation (3 bits) | CID length - 1 (5 bits),
 *                  or random low bits when the length is not encoded
 *   server id      server_id_len bytes, the same for every CID of this
 *                  server: what an L4 load balancer in front routes on
 *   nonce          nonce_len bytes (>= 4): the first is the worker
 *                  that owns the connection (the draft's "server use"
 *                  bytes are ours to define), the rest random
 *
 * A packet that RSS put on the wrong worker is handed over by its CID's
 * worker byte.  Pure functions; the caller gives the random bytes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TQ_QUIC_LB_SERVER_ID_MAX 15
#define TQ_QUIC_LB_NONCE_MIN 4
#define TQ_QUIC_LB_CID_MAX 20
/* Config rotation 0b111: a CID no load balancer routes (draft 3.1). */
#define TQ_QUIC_LB_UNROUTABLE 7

struct tq_quic_lb_conf {
	uint8_t config_id;	/* 0..6 */
	bool encode_len;	/* length self-description in octet 0 */
	uint8_t server_id_len;	/* 1..15 */
	uint8_t nonce_len;	/* 4..18, server_id_len + nonce_len <= 19 */
	uint8_t server_id[TQ_QUIC_LB_SERVER_ID_MAX];
};

/* 0, or -EINVAL for a configuration the draft does not allow. */
int tq_quic_lb_check(const struct tq_quic_lb_conf *c);

/* The CID length a configuration makes (1 + server id + nonce). */
static inline size_t
tq_quic_lb_cid_len(const struct tq_quic_lb_conf *c)
{
	return 1u + c->server_id_len + c->nonce_len;
}

/*
 * A CID for worker: rnd gives the random bits (at least nonce_len
 * bytes).  Writes tq_quic_lb_cid_len() bytes to cid.  0 or -EINVAL.
 */
int tq_quic_lb_cid_make(const struct tq_quic_lb_conf *c, uint8_t worker,
		const uint8_t *rnd, uint8_t *cid);

/*
 * Which of our workers a CID names: 0 with *worker set, -ENOENT when it
 * is not ours (another config rotation, another server id, or a length
 * that does not match), -EINVAL for a bad argument.
 */
int tq_quic_lb_cid_route(const struct tq_quic_lb_conf *c, const uint8_t *cid,
		size_t len, uint8_t *worker);

/*
 * What a load balancer reads: the server id of a CID in configuration
 * c's layout (out holds server_id_len bytes).  0, -ENOENT for another
 * config rotation or the unroutable one, -EINVAL.
 */
int tq_quic_lb_server_id(const struct tq_quic_lb_conf *c, const uint8_t *cid,
		size_t len, uint8_t *out);

#endif
