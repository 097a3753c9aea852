/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour cache shared by ARP and NDP: open addressing with linear
 * probing and backward-shift deletion, so there are no tombstones and no
 * per-entry timers (one sweep every 100 ms does aging and retries).
 * Frames waiting for resolution sit in the entry, a bounded few each.
 */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>

#include "tq_net.h"

enum neigh_state {
	NEIGH_FREE = 0,
	NEIGH_INCOMPLETE,
	NEIGH_REACHABLE,
	NEIGH_STALE,
};

struct tq_neigh {
	struct tq_addr addr;
	struct rte_ether_addr mac;
	uint8_t state;
	uint8_t probes;
	uint16_t qlen;
	uint64_t updated;
	uint64_t next_probe;
	struct rte_mbuf *q[TQ_NEIGH_QMAX];
};

struct tq_neigh_table {
	uint32_t mask;
	uint32_t count;
	uint32_t limit;
	uint32_t qmax;
	struct tq_neigh e[];
};

struct tq_neigh_table *
tq_neigh_create(const struct tq_net_conf *conf, int socket)
{
	struct tq_neigh_table *t;
	uint32_t n = rte_align32pow2(conf->neigh_entries ?
			conf->neigh_entries : 1024);

	t = rte_zmalloc_socket("tq_neigh", sizeof(*t) + n * sizeof(t->e[0]),
			RTE_CACHE_LINE_SIZE, socket);
	if (!t)
		return NULL;
	t->mask = n - 1;
	/* Keep probe chains short: never fill past three quarters. */
	t->limit = n - n / 4;
	t->qmax = RTE_MIN(conf->neigh_queue, (uint32_t)TQ_NEIGH_QMAX);
	return t;
}

static void
drop_queue(struct tq_shard *s, struct tq_neigh *e)
{
	uint16_t i;

	for (i = 0; i < e->qlen; i++)
		rte_pktmbuf_free(e->q[i]);
	if (s) {
		TQ_ADD(s, ARP_UNRESOLVED, e->qlen);
		if (NET_LOG_ON(DEBUG)) {
			char a[TQ_ADDR_STRLEN];

			tq_addr_format(&e->addr, a, sizeof(a));
			NET_LOG(DEBUG, "%s did not answer %s: %u frame(s) "
				"dropped (worker %u)", a,
				e->addr.family == AF_INET ? "ARP" : "NDP",
				e->qlen, s->id);
		}
	}
	e->qlen = 0;
}

void
tq_neigh_free(struct tq_neigh_table *t)
{
	uint32_t i;

	if (!t)
		return;
	for (i = 0; i <= t->mask; i++)
		if (t->e[i].state != NEIGH_FREE)
			drop_queue(NULL, &t->e[i]);
	rte_free(t);
}

unsigned int
tq_neigh_count(const struct tq_neigh_table *t)
{
	return t->count;
}

static struct tq_neigh *
find(struct tq_neigh_table *t, const struct tq_addr *a)
{
	uint32_t i = tq_addr_hash(a) & t->mask;

	for (;;) {
		struct tq_neigh *e = &t->e[i];

		if (e->state == NEIGH_FREE)
			return NULL;
		if (tq_addr_equal(&e->addr, a))
			return e;
		i = (i + 1) & t->mask;
	}
}

static struct tq_neigh *
insert(struct tq_neigh_table *t, const struct tq_addr *a)
{
	uint32_t i;

	if (t->count >= t->limit)
		return NULL;
	i = tq_addr_hash(a) & t->mask;
	while (t->e[i].state != NEIGH_FREE)
		i = (i + 1) & t->mask;
	memset(&t->e[i], 0, sizeof(t->e[i]));
	t->e[i].addr = *a;
	t->count++;
	return &t->e[i];
}

/* Backward-shift deletion keeps every chain contiguous. */
static void
erase(struct tq_neigh_table *t, struct tq_neigh *e)
{
	uint32_t i = (uint32_t)(e - t->e), j = i, k;

	for (;;) {
		j = (j + 1) & t->mask;
		if (t->e[j].state == NEIGH_FREE)
			break;
		k = tq_addr_hash(&t->e[j].addr) & t->mask;
		/* Move j into the hole at i unless its home k lies
		 * cyclically in (i, j]. */
		if ((i <= j) ? (k <= i || k > j) : (k <= i && k > j)) {
			t->e[i] = t->e[j];
			i = j;
		}
	}
	t->e[i].state = NEIGH_FREE;
	t->e[i].qlen = 0;
	t->count--;
}

static void
flush_queue(struct tq_shard *s, struct tq_neigh *e)
{
	uint16_t i;

	for (i = 0; i < e->qlen; i++) {
		struct rte_ether_hdr *eh =
			rte_pktmbuf_mtod(e->q[i], struct rte_ether_hdr *);

		eh->dst_addr = e->mac;
		tq_shard_tx(s, e->q[i]);
	}
	e->qlen = 0;
}

static void
solicit(struct tq_shard *s, struct tq_neigh *e)
{
	if (e->addr.family == AF_INET)
		tq_arp_request(s, e->addr.v4);
	else
		tq_ndp_solicit(s, &e->addr);
	e->probes++;
	e->next_probe = s->now + tq_net(s)->conf->neigh_retrans_ns;
}

/* Tell the other workers; a message is address, MAC and create. */
static void
share_neigh(struct tq_shard *s, const struct tq_addr *a,
		const struct rte_ether_addr *mac, bool create)
{
	struct tq_xmsg msg = { .type = TQ_XMSG_NEIGH };

	RTE_BUILD_BUG_ON(sizeof(*a) + sizeof(*mac) + 1 > sizeof(msg.data));
	msg.len = sizeof(*a) + sizeof(*mac) + 1;
	memcpy(msg.data, a, sizeof(*a));
	memcpy(msg.data + sizeof(*a), mac, sizeof(*mac));
	msg.data[sizeof(*a) + sizeof(*mac)] = create;
	tq_shard_broadcast(s, &msg);
}

/* Every route cache of the shard is to be refilled. */
static void
l2_changed(struct tq_shard *s)
{
	struct tq_net *n = tq_net(s);

	if (++n->l2_gen == 0)
		n->l2_gen = 1;
}

void
tq_neigh_update(struct tq_shard *s, const struct tq_addr *a,
		const struct rte_ether_addr *mac, bool create, bool share)
{
	struct tq_neigh_table *t = tq_net(s)->neigh;
	struct tq_neigh *e;

	/* A frame claiming one of our own addresses (a duplicate address,
	 * or spoofed): never an entry, or route caches would send what is
	 * for us onto the wire. */
	if (unlikely(tq_iface_has_addr(tq_net(s)->ifc, a)))
		return;
	e = find(t, a);
	if (!e) {
		if (!create) {
			/* Not ours to learn, but maybe another worker's
			 * answer: it updates what it has. */
			if (share && s->nb_workers > 1)
				share_neigh(s, a, mac, false);
			return;
		}
		e = insert(t, a);
		if (!e) {
			TQ_INC(s, NEIGH_TABLE_FULL);
			NET_LOG(DEBUG, "neighbour table full (worker %u)",
				s->id);
			return;
		}
	}
	if (e->state != NEIGH_REACHABLE ||
			!rte_is_same_ether_addr(&e->mac, mac))
		l2_changed(s);
	e->mac = *mac;
	e->state = NEIGH_REACHABLE;
	e->updated = s->now;
	e->probes = 0;
	TQ_INC(s, NEIGH_RESOLVED);
	flush_queue(s, e);
	if (share && s->nb_workers > 1)
		share_neigh(s, a, mac, true);
}

int
tq_neigh_reachable(struct tq_shard *s, const struct tq_addr *a,
		struct rte_ether_addr *mac)
{
	struct tq_neigh *e = find(tq_net(s)->neigh, a);

	if (!e || e->state != NEIGH_REACHABLE)
		return -ENOENT;
	*mac = e->mac;
	return 0;
}

int
tq_neigh_lookup(struct tq_shard *s, const struct tq_addr *a,
		struct rte_ether_addr *mac)
{
	struct tq_neigh *e = find(tq_net(s)->neigh, a);

	if (!e || e->state == NEIGH_INCOMPLETE)
		return -ENOENT;
	*mac = e->mac;
	return 0;
}

void
tq_neigh_send(struct tq_shard *s, const struct tq_addr *a, struct rte_mbuf *m)
{
	struct tq_neigh_table *t = tq_net(s)->neigh;
	struct tq_neigh *e = find(t, a);
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	if (likely(e && e->state != NEIGH_INCOMPLETE)) {
		eh->dst_addr = e->mac;
		tq_shard_tx(s, m);
		/* RFC 4861 7.3.3 in spirit: confirm a stale entry in the
		 * background while still using it. */
		if (e->state == NEIGH_STALE && s->now >= e->next_probe)
			solicit(s, e);
		return;
	}
	if (!e) {
		/* Our own address is never in the cache: it is only looked
		 * for here, off the hot path, and looped back. */
		if (tq_iface_has_addr(tq_net(s)->ifc, a)) {
			eh->dst_addr = tq_net(s)->ifc->mac;
			tq_shard_loop(s, m);
			return;
		}
		e = insert(t, a);
		if (!e) {
			TQ_INC(s, NEIGH_TABLE_FULL);
			rte_pktmbuf_free(m);
			return;
		}
		e->state = NEIGH_INCOMPLETE;
		e->updated = s->now;
		solicit(s, e);
	}
	if (e->qlen >= t->qmax) {
		TQ_INC(s, ARP_QUEUE_FULL);
		rte_pktmbuf_free(m);
		return;
	}
	e->q[e->qlen++] = m;
}

void
tq_neigh_tick(struct tq_shard *s)
{
	struct tq_neigh_table *t = tq_net(s)->neigh;
	const struct tq_net_conf *c = tq_net(s)->conf;
	uint32_t i = 0;

	while (i <= t->mask) {
		struct tq_neigh *e = &t->e[i];

		switch (e->state) {
		case NEIGH_INCOMPLETE:
			if (s->now < e->next_probe)
				break;
			if (e->probes >= c->neigh_probes) {
				drop_queue(s, e);
				erase(t, e);
				continue; /* slot i now holds another entry */
			}
			solicit(s, e);
			break;
		case NEIGH_REACHABLE:
			if (s->now - e->updated >= c->neigh_reachable_ns) {
				e->state = NEIGH_STALE;
				e->next_probe = 0;
				/* Route caches stop skipping the neighbour
				 * code, which confirms a stale entry. */
				l2_changed(s);
			}
			break;
		case NEIGH_STALE:
			if (s->now - e->updated >= c->neigh_gc_ns) {
				erase(t, e);
				continue;
			}
			break;
		default:
			break;
		}
		i++;
	}
}
