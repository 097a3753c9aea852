/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-worker connection ID table (tq_quic_table.h).
 */
#include <errno.h>
#include <string.h>

#include <stdlib.h>
#include <sys/random.h>

#include <rte_common.h>
#include <rte_random.h>

#include "core/tq_siphash.h"
#include "quic/tq_quic_table.h"

#define TABLE_MAX	(1u << 24)

static uint32_t
cid_hash(const struct tq_quic_table *t, const struct tq_quic_cid *cid)
{
	/* SipHash under the table's own random key: the DCIDs of a
	 * client's Initials are its choice, and with a hash it could
	 * compute it would aim them all at one probe run.  The length
	 * goes in too: CIDs that differ only in it are others. */
	uint8_t b[1 + TQ_QUIC_CID_MAX];

	b[0] = cid->len;
	memcpy(b + 1, cid->id, cid->len);
	return (uint32_t)tq_siphash(t->key, b, 1u + cid->len);
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
	/* A key per table (per worker, per run), never the same twice:
	 * the kernel's randomness, else rte_rand() (seeded at start). */
	if (getrandom(t->key, sizeof(t->key), GRND_NONBLOCK) !=
			(ssize_t)sizeof(t->key)) {
		uint64_t k[2] = { rte_rand(), rte_rand() };

		memcpy(t->key, k, sizeof(t->key));
	}
	return 0;
}

int
tq_quic_table_set_key(struct tq_quic_table *t, const uint8_t key[16])
{
	if (!t->ent)
		return -EINVAL;
	/* entries sit at the slots of the old key */
	if (t->count)
		return -EBUSY;
	memcpy(t->key, key, sizeof(t->key));
	return 0;
}

uint32_t
tq_quic_table_home(const struct tq_quic_table *t,
		const struct tq_quic_cid *cid)
{
	return cid_hash(t, cid) & t->mask;
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
	i = find(t, cid, cid_hash(t, cid));
	return i < 0 ? NULL : t->ent[i].val;
}

int
tq_quic_table_add(struct tq_quic_table *t, const struct tq_quic_cid *cid,
		void *val)
{
	uint32_t h, i;

	if (!t->ent || !val || cid->len == 0 || cid->len > TQ_QUIC_CID_MAX)
		return -EINVAL;
	h = cid_hash(t, cid);
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
	at = find(t, cid, cid_hash(t, cid));
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
