/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-worker connection ID table (tq_quic_table.h).
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_hash_crc.h>
#include <stdlib.h>

#include "quic/tq_quic_table.h"

#define TABLE_MAX	(1u << 24)

static uint32_t
cid_hash(const struct tq_quic_cid *cid)
{
	/* CRC32 over every byte (our CIDs' randomness is in the nonce,
	 * not the prefix).  Not keyed: a client choosing the DCIDs of its
	 * Initials could aim them at one run; a keyed hash is left. */
	uint64_t k[3] = { 0, 0, 0 };	/* aligned, zero-padded: 20 bytes */
	uint32_t h = 0x9e3779b9u ^ cid->len;

	memcpy(k, cid->id, cid->len);
	h = rte_hash_crc_8byte(k[0], h);
	h = rte_hash_crc_8byte(k[1], h);
	return rte_hash_crc_8byte(k[2], h);
}

static int
cid_eq(const struct tq_quic_cid *a, const struct tq_quic_cid *b)
{
	return a->len == b->len && memcmp(a->id, b->id, a->len) == 0;
}

int
tq_quic_table_init(struct tq_quic_table *t, uint32_t max)
{
	uint32_t slots;

	memset(t, 0, sizeof(*t));
	if (max == 0 || max > TABLE_MAX)
		return -EINVAL;
	/* At most half full: probe runs stay short. */
	slots = rte_align32pow2(max * 2);
	/* Control path (attach): the C heap, so tests need no EAL. */
	t->ent = calloc(slots, sizeof(*t->ent));
	if (!t->ent)
		return -ENOMEM;
	t->mask = slots - 1;
	t->max = max;
	return 0;
}

void
tq_quic_table_fini(struct tq_quic_table *t)
{
	free(t->ent);
	memset(t, 0, sizeof(*t));
}

static int64_t
find(const struct tq_quic_table *t, const struct tq_quic_cid *cid,
		uint32_t h)
{
	uint32_t i;

	for (i = h & t->mask;; i = (i + 1) & t->mask) {
		const struct tq_quic_table_ent *e = &t->ent[i];

		if (!e->val)
			return -1;
		if (e->hash == h && cid_eq(&e->cid, cid))
			return i;
	}
}

void *
tq_quic_table_lookup(const struct tq_quic_table *t,
		const struct tq_quic_cid *cid)
{
	int64_t i;

	if (!t->ent || cid->len == 0 || cid->len > TQ_QUIC_CID_MAX)
		return NULL;
	i = find(t, cid, cid_hash(cid));
	return i < 0 ? NULL : t->ent[i].val;
}

int
tq_quic_table_add(struct tq_quic_table *t, const struct tq_quic_cid *cid,
		void *val)
{
	uint32_t h, i;

	if (!t->ent || !val || cid->len == 0 || cid->len > TQ_QUIC_CID_MAX)
		return -EINVAL;
	h = cid_hash(cid);
	if (find(t, cid, h) >= 0)
		return -EEXIST;
	if (t->count >= t->max)
		return -ENOSPC;
	for (i = h & t->mask; t->ent[i].val; i = (i + 1) & t->mask)
		;
	t->ent[i].val = val;
	t->ent[i].hash = h;
	t->ent[i].cid = *cid;
	t->count++;
	return 0;
}

int
tq_quic_table_del(struct tq_quic_table *t, const struct tq_quic_cid *cid)
{
	uint32_t i, j, home;
	int64_t at;

	if (!t->ent || cid->len == 0 || cid->len > TQ_QUIC_CID_MAX)
		return -ENOENT;
	at = find(t, cid, cid_hash(cid));
	if (at < 0)
		return -ENOENT;
	i = (uint32_t)at;
	/* Backward shift: move each later entry of the run into the hole
	 * when its home slot is not cyclically after the hole. */
	for (j = (i + 1) & t->mask; t->ent[j].val; j = (j + 1) & t->mask) {
		home = t->ent[j].hash & t->mask;
		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->ent[i] = t->ent[j];
			i = j;
		}
	}
	memset(&t->ent[i], 0, sizeof(t->ent[i]));
	t->count--;
	return 0;
}
