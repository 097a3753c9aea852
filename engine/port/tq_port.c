/* SPDX-License-Identifier: BSD-3-Clause */
#include "tq_port.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_kvargs.h>
#include <rte_log.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_mempool.h>

RTE_LOG_REGISTER(tq_port_logtype, tachyon.port, INFO);
#define PLOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, tq_port_logtype, "tachyon.port: " fmt "\n", \
		##__VA_ARGS__)

/* A symmetric Toeplitz key (0x6d5a repeated): both directions of a flow
 * hash alike, so a flow's two halves meet on one worker. */
static uint8_t sym_rss_key[40] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

void
tq_port_conf_defaults(struct tq_port_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->nb_rxd = 1024;
	c->nb_txd = 1024;
	c->nb_mbufs = 16383;
}

/*
 * Data room of the mbufs.  net_af_packet copies each frame of its packet
 * ring into one mbuf and refuses a queue whose mbufs are smaller than a
 * ring frame (framesz=, 2048 by default).  Its sockets join a fanout group
 * with PACKET_FANOUT_FLAG_DEFRAG, so the kernel reassembles IPv4
 * fragments before the ring: a datagram bigger than a frame arrives cut
 * short, and with default mbufs framesz= cannot be raised to hold it.
 * Sizing the mbufs from framesz= makes that devarg enough.
 */
static uint16_t
data_room(const struct rte_eth_dev_info *info)
{
	const uint32_t dflt = RTE_MBUF_DEFAULT_BUF_SIZE;
	const struct rte_devargs *da;
	struct rte_kvargs *kv;
	const char *v;
	unsigned long fs;
	uint32_t room = dflt;

	if (!info->device || strcmp(info->driver_name, "net_af_packet"))
		return dflt;
	da = rte_dev_devargs(info->device);
	if (!da || !da->args || !*da->args)
		return dflt;
	kv = rte_kvargs_parse(da->args, NULL);
	if (!kv)
		return dflt;
	v = rte_kvargs_get(kv, "framesz");
	if (v) {
		fs = strtoul(v, NULL, 0);
		if (fs + RTE_PKTMBUF_HEADROOM > dflt &&
				fs + RTE_PKTMBUF_HEADROOM <= UINT16_MAX)
			room = (uint32_t)fs + RTE_PKTMBUF_HEADROOM;
	}
	rte_kvargs_free(kv);
	return (uint16_t)room;
}

/*
 * net_af_packet (DPDK 22.11) reports a largest frame of 1518 bytes, so the
 * ethdev layer refuses an MTU past 1500 before the PMD sees it, though
 * its socket carries whatever its ring frames hold (framesz=, which also
 * sizes our mbufs: data_room()).  Past 1500 the engine sets the kernel
 * interface's MTU itself, as the PMD's own mtu_set would, when a frame
 * holds it.
 */
static int
afp_set_mtu(struct tq_port *p, const struct rte_eth_dev_info *info,
		uint16_t mtu)
{
	uint32_t frame = data_room(info) - RTE_PKTMBUF_HEADROOM;
	char ifname[IF_NAMESIZE];
	struct ifreq ifr;
	int fd, ret = 0;

	if (frame < (uint32_t)mtu + RTE_ETHER_HDR_LEN + TPACKET2_HDRLEN) {
		PLOG(ERR, "%s: mtu %u needs ring frames of %u bytes or more "
			"(add framesz=16384,blocksz=16384 to the vdev)",
			p->name, mtu, (unsigned int)(mtu + RTE_ETHER_HDR_LEN +
				TPACKET2_HDRLEN));
		return -EMSGSIZE;
	}
	if (!if_indextoname(info->if_index, ifname))
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_mtu = mtu;
	if (ioctl(fd, SIOCSIFMTU, &ifr) < 0)
		ret = -errno;
	close(fd);
	if (ret == 0) {
		p->mtu = mtu;
		PLOG(INFO, "%s: mtu %u set on %s (the PMD caps it at %u)",
			p->name, mtu, ifname, RTE_ETHER_MTU);
	}
	return ret;
}


/*
 * net_af_xdp (DPDK 22.11) registers the mbuf pool itself as the AF_XDP
 * UMEM, sized as if its objects lay end to end from the first one:
 * populated_size times the object size (xdp_umem_configure).  A default
 * pool keeps each object inside one page (objects are IOVA-contiguous),
 * leaving a gap at every page end: with 4 KiB pages (--no-huge) each
 * 2368-byte object takes a page of its own and 42% of the mbufs lie past
 * the UMEM's end; 2 MiB pages leave about a dozen out.  The kernel
 * rejects a descriptor naming such an mbuf (tx_invalid_descs), never
 * completes it (the mbuf is lost to the pool, the frame to the wire),
 * and since Linux 6.6 a sendto() drops one invalid TX descriptor and
 * returns 0, leaving every frame behind it in the TX ring for the next
 * kick: a bulk transfer stalls, SYN-ACKs and echo replies queue behind.
 * Packed objects (RTE_MEMPOOL_F_NO_IOVA_CONTIG: in copy mode nothing
 * DMAs into them; the kernel maps the UMEM virtually contiguous) in one
 * chunk all lie inside the UMEM.
 */
static struct rte_mempool *
packed_pool(const char *name, uint32_t n, uint16_t room, int socket)
{
	struct rte_pktmbuf_pool_private priv;
	struct rte_mempool *mp;
	int ret;

	memset(&priv, 0, sizeof(priv));
	priv.mbuf_data_room_size = room;
	mp = rte_mempool_create_empty(name, n, sizeof(struct rte_mbuf) + room,
			256, sizeof(priv), socket, RTE_MEMPOOL_F_NO_IOVA_CONTIG);
	if (!mp)
		return NULL;
	if (rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(),
				NULL) < 0)
		goto fail;
	rte_pktmbuf_pool_init(mp, &priv);
	ret = rte_mempool_populate_default(mp);
	if (ret < 0) {
		rte_errno = -ret;
		goto fail;
	}
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	return mp;
fail:
	rte_mempool_free(mp);
	return NULL;
}

struct umem_span {
	uintptr_t base;
	uint64_t size;
	uint32_t obj;
	uint32_t out;
};

static void
umem_check_obj(struct rte_mempool *mp, void *arg, void *obj,
		unsigned int idx)
{
	struct umem_span *u = arg;
	uintptr_t o = (uintptr_t)obj - mp->header_size;

	(void)idx;
	if (o < u->base || o - u->base + u->obj > u->size)
		u->out++;
}

/* mbufs of mp outside the UMEM net_af_xdp will make of it. */
static uint32_t
umem_outside(struct rte_mempool *mp)
{
	struct rte_mempool_memhdr *h = STAILQ_FIRST(&mp->mem_list);
	struct umem_span u;

	if (!h)
		return 0;
	u.base = (uintptr_t)h->addr & ~((uintptr_t)getpagesize() - 1);
	u.obj = rte_mempool_calc_obj_size(mp->elt_size, mp->flags, NULL);
	u.size = (uint64_t)mp->populated_size * u.obj +
		((uintptr_t)h->addr - u.base);
	u.out = 0;
	rte_mempool_obj_iter(mp, umem_check_obj, &u);
	return u.out;
}

static int
make_pool(struct tq_port *p, int socket, uint32_t n, uint16_t room)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	int idx = socket < 0 ? 0 : socket;
	bool af_xdp = !strcmp(p->driver, "net_af_xdp");

	if (p->pool[idx])
		return 0;
	snprintf(name, sizeof(name), "tq_mb_p%u_s%d", p->id, idx);
	if (af_xdp)
		p->pool[idx] = packed_pool(name, n, room, socket);
	else
		p->pool[idx] = rte_pktmbuf_pool_create(name, n, 256, 0, room,
				socket);
	if (!p->pool[idx]) {
		PLOG(ERR, "mbuf pool on socket %d: %s", socket,
				rte_strerror(rte_errno));
		return -ENOMEM;
	}
	if (af_xdp) {
		uint32_t out = umem_outside(p->pool[idx]);

		if (out)
			PLOG(ERR, "%s: %u of %u mbufs lie outside the AF_XDP "
				"UMEM (pool in %u chunks): their frames will "
				"be dropped by the kernel", p->name, out,
				p->pool[idx]->populated_size,
				p->pool[idx]->nb_mem_chunks);
	}
	return 0;
}

int
tq_port_start(struct tq_port *p, uint16_t id, const struct tq_port_conf *c,
		uint16_t nb_queues, const int *queue_socket)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct rte_eth_rxconf rxc;
	struct rte_eth_txconf txc;
	uint16_t nb_rxd = c->nb_rxd, nb_txd = c->nb_txd;
	uint16_t q;
	int ret;

	memset(p, 0, sizeof(*p));
	p->id = id;
	p->nb_queues = nb_queues;
	rte_eth_dev_get_name_by_port(id, p->name);
	ret = rte_eth_dev_info_get(id, &info);
	if (ret < 0)
		return ret;
	snprintf(p->driver, sizeof(p->driver), "%s", info.driver_name);
	if (nb_queues > info.max_rx_queues || nb_queues > info.max_tx_queues) {
		PLOG(ERR, "%s has %u rx / %u tx queues, %u workers need one each "
			"(af_packet: add qpairs=%u to the vdev)",
			p->name, info.max_rx_queues, info.max_tx_queues,
			nb_queues, nb_queues);
		return -EINVAL;
	}

	memset(&conf, 0, sizeof(conf));
	if (nb_queues > 1 && info.flow_type_rss_offloads) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
		if (info.hash_key_size == sizeof(sym_rss_key)) {
			conf.rx_adv_conf.rss_conf.rss_key = sym_rss_key;
			conf.rx_adv_conf.rss_conf.rss_key_len =
				sizeof(sym_rss_key);
		}
		p->rss = true;
	}
	if (!c->no_offload) {
		uint64_t rxo = info.rx_offload_capa, txo = info.tx_offload_capa;

		if (rxo & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) {
			conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
			p->rx_ip_cksum = true;
		}
		if ((rxo & RTE_ETH_RX_OFFLOAD_UDP_CKSUM) &&
				(rxo & RTE_ETH_RX_OFFLOAD_TCP_CKSUM)) {
			conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_UDP_CKSUM |
				RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
			p->rx_l4_cksum = true;
		}
		if (txo & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) {
			conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
			p->tx_ip_cksum = true;
		}
		if (txo & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) {
			conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
			p->tx_udp_cksum = true;
		}
		if (txo & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) {
			conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
			p->tx_tcp_cksum = true;
		}
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) {
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
		p->tx_multiseg = true;
	}

	ret = rte_eth_dev_configure(id, nb_queues, nb_queues, &conf);
	if (ret < 0) {
		PLOG(ERR, "%s: configure: %s", p->name, rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(id, &nb_rxd, &nb_txd);
	if (ret < 0)
		return ret;
	p->mtu = 0;
	if (c->mtu) {
		ret = rte_eth_dev_set_mtu(id, c->mtu);
		if (ret == -EINVAL && c->mtu > RTE_ETHER_MTU &&
				strcmp(info.driver_name, "net_af_packet") == 0)
			ret = afp_set_mtu(p, &info, c->mtu);
		if (ret < 0)
			PLOG(WARNING, "%s: mtu %u: %s", p->name, c->mtu,
					rte_strerror(-ret));
	}
	if (p->mtu == 0 && (rte_eth_dev_get_mtu(id, &p->mtu) < 0 ||
			p->mtu == 0))
		p->mtu = RTE_ETHER_MTU;
	rte_eth_macaddr_get(id, &p->mac);

	for (q = 0; q < nb_queues; q++) {
		int sock = queue_socket ? queue_socket[q] : SOCKET_ID_ANY;

		ret = make_pool(p, sock, c->nb_mbufs, data_room(&info));
		if (ret < 0)
			return ret;
		rxc = info.default_rxconf;
		rxc.offloads = conf.rxmode.offloads;
		ret = rte_eth_rx_queue_setup(id, q, nb_rxd, sock, &rxc,
				p->pool[sock < 0 ? 0 : sock]);
		if (ret < 0) {
			PLOG(ERR, "%s: rx queue %u: %s", p->name, q,
					rte_strerror(-ret));
			return ret;
		}
		txc = info.default_txconf;
		txc.offloads = conf.txmode.offloads;
		ret = rte_eth_tx_queue_setup(id, q, nb_txd, sock, &txc);
		if (ret < 0) {
			PLOG(ERR, "%s: tx queue %u: %s", p->name, q,
					rte_strerror(-ret));
			return ret;
		}
	}
	if (c->promisc)
		rte_eth_promiscuous_enable(id);
	else
		rte_eth_promiscuous_disable(id);
	ret = rte_eth_dev_start(id);
	if (ret < 0) {
		PLOG(ERR, "%s: start: %s", p->name, rte_strerror(-ret));
		return ret;
	}
	p->started = true;
	tq_port_kdrops_init(p);
	/* Remember how the NIC spreads flows, to place ours to match. */
	if (p->rss && conf.rx_adv_conf.rss_conf.rss_key == sym_rss_key &&
			info.reta_size && info.reta_size <= RTE_DIM(p->reta)) {
		struct rte_eth_rss_reta_entry64 rc[RTE_DIM(p->reta) /
			RTE_ETH_RETA_GROUP_SIZE];
		unsigned int i;

		memset(rc, 0, sizeof(rc));
		for (i = 0; i < info.reta_size / RTE_ETH_RETA_GROUP_SIZE; i++)
			rc[i].mask = UINT64_MAX;
		if (rte_eth_dev_rss_reta_query(id, rc, info.reta_size) == 0) {
			for (i = 0; i < info.reta_size; i++)
				p->reta[i] = rc[i / RTE_ETH_RETA_GROUP_SIZE].reta[
					i % RTE_ETH_RETA_GROUP_SIZE];
			p->reta_size = info.reta_size;
			memcpy(p->rss_key, sym_rss_key, sizeof(p->rss_key));
		}
	}
	PLOG(INFO, "%s (%s): %u queue(s), mtu %u, rss %s, rx csum %s/%s, "
		"tx csum %s/%s/%s", p->name, p->driver, nb_queues, p->mtu,
		p->rss ? "on" : "off", p->rx_ip_cksum ? "ip" : "-",
		p->rx_l4_cksum ? "l4" : "-", p->tx_ip_cksum ? "ip" : "-",
		p->tx_udp_cksum ? "udp" : "-", p->tx_tcp_cksum ? "tcp" : "-");
	return 0;
}

int
tq_port_set_mc(struct tq_port *p, struct rte_ether_addr *mc, uint32_t n)
{
	int ret = rte_eth_dev_set_mc_addr_list(p->id, mc, n);

	if (ret == -ENOTSUP) {
		/* Virtual PMDs deliver every frame; filter in software. */
		rte_eth_allmulticast_enable(p->id);
		return 0;
	}
	return ret;
}

int
tq_port_wait_link(struct tq_port *p, unsigned int timeout_ms,
		struct rte_eth_link *link)
{
	unsigned int waited = 0;

	for (;;) {
		memset(link, 0, sizeof(*link));
		if (rte_eth_link_get_nowait(p->id, link) == 0 &&
				link->link_status == RTE_ETH_LINK_UP)
			return 1;
		if (waited >= timeout_ms)
			return 0;
		rte_delay_ms(10);
		waited += 10;
	}
}

void
tq_port_stop(struct tq_port *p)
{
	unsigned int i;

	if (p->started) {
		rte_eth_dev_stop(p->id);
		rte_eth_dev_close(p->id);
		p->started = false;
	}
	for (i = 0; i < RTE_MAX_NUMA_NODES; i++) {
		rte_mempool_free(p->pool[i]);
		p->pool[i] = NULL;
	}
}
