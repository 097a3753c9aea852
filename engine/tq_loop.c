/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two shards on the in-memory link, for stack-only benchmarks and app
 * tests: what tq_engine does for a port and its workers, done for a
 * memlink and the caller's thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include <tachyon/tq_loop.h>

#include "core/tq_clock.h"
#include "core/tq_mbuf.h"
#include "core/tq_shard.h"
#include "net/tq_net.h"
#include "port/tq_io.h"
#include "tcp/tq_tcp.h"

struct loop_side {
	struct tq_shard *s;
	struct tq_iface ifc;
	struct tq_net_conf nconf;
	struct tq_tcp_conf tconf;
	struct tq_udp_table udp;
	struct tq_tcp_listen_table lt;
	bool net, tcp;
};

struct tq_loop {
	struct rte_mempool *pool;
	struct tq_memlink link;
	bool link_up;
	bool csum;	/* the link offers checksum offloads */
	bool tso;	/* and TSO */
	struct loop_side side[2];
	/* Stack-only figures need no secrecy, only a fixed key. */
	uint8_t secret[16];
};

static const char *const side_addr[2] = { "10.0.0.1/24", "10.0.0.2/24" };

static int
side_init(struct tq_loop *l, unsigned int i, const struct tq_loop_conf *c)
{
	struct loop_side *h = &l->side[i];
	struct tq_shard_conf sc = { 0 };
	int ret;

	tq_net_conf_defaults(&h->nconf);
	tq_tcp_conf_defaults(&h->tconf);
	h->tconf.max_conns = c->max_conns ? c->max_conns : 4096;
	h->tconf.max_tw = c->max_tw ? c->max_tw : 64;
	h->ifc.mac.addr_bytes[0] = 2; /* locally administered */
	h->ifc.mac.addr_bytes[5] = (uint8_t)(i + 1);
	h->ifc.mtu = 1500;
	ret = tq_prefix_parse(side_addr[i], &h->ifc.addrs[0].addr,
			&h->ifc.addrs[0].plen);
	if (ret < 0)
		return ret;
	h->ifc.nb_addrs = 1;
	h->ifc.rx_ip_cksum = h->ifc.rx_l4_cksum = l->csum;
	h->ifc.tx_ip_cksum = h->ifc.tx_udp_cksum = h->ifc.tx_tcp_cksum =
		l->csum;
	sc.nb_workers = 1;
	sc.socket = SOCKET_ID_ANY;
	sc.pool = l->pool;
	sc.timer_tick_ns = 1000000;
	sc.now = tq_clock_ns();
	h->s = tq_shard_create(&sc);
	if (!h->s)
		return -ENOMEM;
	ret = tq_net_attach(h->s, &h->ifc, &h->nconf, &h->udp);
	if (ret < 0)
		return ret;
	h->net = true;
	tq_io_init_memlink(&h->s->io, &l->link, (int)i);
	tq_io_memlink_csum_offload(&h->s->io, l->csum);
	tq_io_memlink_tso(&h->s->io, l->tso, l->pool);
	h->ifc.tso_max = l->tso ? TQ_TSO_MAX_BYTES : 0;
	h->s->io.gro = tq_memlink_gro_default();
	ret = tq_tcp_attach(h->s, &h->tconf, &h->lt, l->secret);
	if (ret < 0)
		return ret;
	h->tcp = true;
	return 0;
}

int
tq_loop_create(int argc, char **argv, const struct tq_loop_conf *conf,
		struct tq_loop **out)
{
	static const struct tq_loop_conf defaults;
	struct tq_loop *l;
	struct tq_addr a[2];
	unsigned int i;
	int ret;

	if (!conf)
		conf = &defaults;
	if (rte_eal_init(argc, argv) < 0)
		return -rte_errno;
	tq_clock_init();
	ret = tq_mbuf_dyn_register();
	if (ret < 0)
		goto fail_eal;
	l = calloc(1, sizeof(*l));
	if (!l) {
		ret = -ENOMEM;
		goto fail_eal;
	}
	memcpy(l->secret, "tachyon-loop!!!!", sizeof(l->secret));
	l->pool = rte_pktmbuf_pool_create("tq_loop",
			conf->mbufs ? conf->mbufs : 65535, 256, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (!l->pool) {
		ret = -rte_errno;
		goto fail;
	}
	ret = tq_memlink_create(&l->link, "tq_loop",
			conf->link_ring ? conf->link_ring : 8192);
	if (ret < 0)
		goto fail;
	l->link_up = true;
	l->csum = tq_memlink_csum_default();
	l->tso = tq_memlink_tso_default();
	for (i = 0; i < 2; i++) {
		ret = side_init(l, i, conf);
		if (ret < 0)
			goto fail;
	}
	a[0] = l->side[0].ifc.addrs[0].addr;
	a[1] = l->side[1].ifc.addrs[0].addr;
	tq_neigh_update(l->side[0].s, &a[1], &l->side[1].ifc.mac, true, false);
	tq_neigh_update(l->side[1].s, &a[0], &l->side[0].ifc.mac, true, false);
	*out = l;
	return 0;
fail:
	tq_loop_destroy(l);
	return ret;
fail_eal:
	rte_eal_cleanup();
	return ret;
}

struct tq_shard *
tq_loop_shard(struct tq_loop *l, unsigned int side)
{
	return side < 2 ? l->side[side].s : NULL;
}

struct tq_addr
tq_loop_addr(const struct tq_loop *l, unsigned int side)
{
	return l->side[side & 1].ifc.addrs[0].addr;
}

int
tq_loop_listen(struct tq_loop *l, unsigned int side, uint16_t port,
		uint32_t backlog, tq_accept_cb cb, void *arg)
{
	struct loop_side *h;
	int ret, idx;

	if (side > 1)
		return -EINVAL;
	h = &l->side[side];
	ret = tq_tcp_listen_table_add(&h->lt, &h->ifc.addrs[0].addr, port,
			backlog, cb, arg);
	if (ret < 0)
		return ret;
	idx = tq_tcp_listen_table_find(&h->lt, &h->ifc.addrs[0].addr, port);
	if (idx < 0)
		return idx;
	tq_tcp_listener_add(h->s, (unsigned int)idx);
	return 0;
}

unsigned int
tq_loop_poll_at(struct tq_loop *l, uint64_t now)
{
	return tq_shard_poll2(l->side[0].s, l->side[1].s, now);
}

unsigned int
tq_loop_poll(struct tq_loop *l)
{
	return tq_loop_poll_at(l, tq_clock_ns());
}

uint64_t
tq_loop_now(void)
{
	return tq_clock_ns();
}

void
tq_loop_destroy(struct tq_loop *l)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct loop_side *h = &l->side[i];

		if (h->tcp)
			tq_tcp_detach(h->s);
		if (h->net)
			tq_net_detach(h->s);
		if (h->s)
			tq_shard_free(h->s);
	}
	if (l->link_up)
		tq_memlink_free(&l->link);
	rte_mempool_free(l->pool);
	free(l);
	rte_eal_cleanup();
}
