/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_QUIC_TABLE_H
#define TQ_QUIC_TABLE_H

/*
 * A worker's QUIC connections by connection ID (ours, the DCID the peer
 * sends to): open addressing with linear probing over a power-of-two
 * array sized once for the worker's connection limit, so a lookup on
 * the packet path allocates nothing and takes no lock.  Deletion shifts
 * the following entries back (no tombstones), so a full run of
 * inserts and deletes never slows lookups down.  Slots come from a
 * SipHash of the CID under a random key of the table's own, so a peer
 * choosing CIDs (a client's first DCID) cannot aim them at one run.
 * One worker only.
 */

#include <stdint.h>

#include "quic/tq_quic_wire.h"

struct tq_quic_table_ent {
	void *val;		/* NULL: free slot */
	uint32_t hash;
	struct tq_quic_cid cid;
};

struct tq_quic_table {
	uint32_t mask;		/* slots - 1 */
	uint32_t count;
	uint32_t max;		/* entries allowed (at most half the slots) */
	struct tq_quic_table_ent *ent;
	uint8_t key[16];	/* the hash's, random per table */
};

/* Room for max entries (control path: allocates), a fresh random key;
 * 0, -EINVAL (max 0 or over 2^24), -ENOMEM. */
int tq_quic_table_init(struct tq_quic_table *t, uint32_t max);
/* Another hash key (tests: a known one); only while empty: 0, -EBUSY,
 * -EINVAL (not initialised). */
int tq_quic_table_set_key(struct tq_quic_table *t, const uint8_t key[16]);
/* The slot cid's probe run starts at: where the key sends it. */
uint32_t tq_quic_table_home(const struct tq_quic_table *t,
		const struct tq_quic_cid *cid);
void tq_quic_table_fini(struct tq_quic_table *t);

/* The value for cid, or NULL. */
void *tq_quic_table_lookup(const struct tq_quic_table *t,
		const struct tq_quic_cid *cid);
/* 0, -EEXIST (cid already there), -ENOSPC (max reached), -EINVAL
 * (val NULL or an empty CID). */
int tq_quic_table_add(struct tq_quic_table *t, const struct tq_quic_cid *cid,
		void *val);
/* 0 or -ENOENT. */
int tq_quic_table_del(struct tq_quic_table *t, const struct tq_quic_cid *cid);

#endif
