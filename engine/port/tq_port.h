/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_PORT_H
#define TQ_PORT_H

/*
 * Ethdev bring-up for any PMD: one RX and one TX queue per worker, RSS
 * where the PMD has it, checksum offloads where it has them, mbuf pools on
 * the sockets the workers run on.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mempool.h>

struct tq_port_conf {
	uint16_t nb_rxd;
	uint16_t nb_txd;
	uint16_t mtu;		/* 0: keep the device's */
	uint32_t nb_mbufs;	/* per socket pool */
	bool promisc;
	bool no_offload;	/* checksum in software even if offered */
};

struct tq_port {
	uint16_t id;
	uint16_t nb_queues;
	uint16_t mtu;
	struct rte_ether_addr mac;
	char name[RTE_ETH_NAME_MAX_LEN];
	char driver[64];
	bool started;
	bool rss;
	bool rx_ip_cksum;	/* RX flags tell IPv4 checksum status */
	bool rx_l4_cksum;	/* RX flags tell L4 checksum status */
	bool tx_ip_cksum;
	bool tx_udp_cksum;
	bool tx_tcp_cksum;
	bool tx_multiseg;
	uint16_t reta_size;	/* 0 unless RSS runs with our key */
	uint16_t reta[512];
	uint8_t rss_key[40];
	struct rte_mempool *pool[RTE_MAX_NUMA_NODES];
	/* kernel-side RX drops of software PMDs (tq_port_kdrops.c) */
	enum { TQ_KD_NONE, TQ_KD_PACKET_SOCKET, TQ_KD_TAP_SYSFS } kd_kind;
	unsigned int kd_nfd;
	int kd_fd[16];
	uint64_t kd_total;
	uint64_t kd_base;
	char kd_path[96];
};

void tq_port_conf_defaults(struct tq_port_conf *c);

/*
 * Frames the kernel dropped before a software PMD could receive them
 * (af_packet: RX ring full; tap: queue to us full), since the port
 * started; 0 for other PMDs, whose imissed says it.  Control thread.
 */
void tq_port_kdrops_init(struct tq_port *p);
uint64_t tq_port_kdrops(struct tq_port *p);

/*
 * Configure and start port id with nb_queues queue pairs; queue i's
 * memory comes from socket queue_socket[i].
 * Returns 0 or a negative errno (and logs which step failed).
 */
int tq_port_start(struct tq_port *p, uint16_t id,
		const struct tq_port_conf *c, uint16_t nb_queues,
		const int *queue_socket);

/* Accept these multicast MACs (NDP); -ENOTSUP is fine for virtual PMDs. */
int tq_port_set_mc(struct tq_port *p, struct rte_ether_addr *mc,
		uint32_t n);

/* Stop and close the port, free its pools. */
void tq_port_stop(struct tq_port *p);

/* Wait up to timeout_ms for link up; returns 1 up, 0 down. */
int tq_port_wait_link(struct tq_port *p, unsigned int timeout_ms,
		struct rte_eth_link *link);

#endif
