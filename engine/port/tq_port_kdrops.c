/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Drops the kernel makes on the way into a software PMD's receive queue.
 *
 * On a NIC the RX ring overflow is the PMD's imissed.  DPDK 22.11's
 * net_af_packet and net_tap report none: with af_packet the kernel drops
 * a frame when the mmap'ed RX ring is full and counts it in the socket's
 * PACKET_STATISTICS; with tap it drops when the tap's queue towards us is
 * full and counts it as the tap interface's tx_dropped.  Both are read
 * here, on the control thread only (a syscall per read), so that
 * RxMissed means the same thing on every PMD.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_packet.h>

#include "port/tq_port.h"

/* Sockets of the af_packet PMD: ours, AF_PACKET, bound to its ifindex. */
static void
find_packet_sockets(struct tq_port *p, unsigned int ifindex)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL &&
			p->kd_nfd < RTE_DIM(p->kd_fd)) {
		struct sockaddr_ll sll;
		socklen_t len = sizeof(int);
		int fd, dom = 0;
		char *end;

		fd = (int)strtol(de->d_name, &end, 10);
		if (*end || end == de->d_name || fd == dirfd(d))
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) < 0 ||
				dom != AF_PACKET)
			continue;
		len = sizeof(sll);
		memset(&sll, 0, sizeof(sll));
		if (getsockname(fd, (struct sockaddr *)&sll, &len) < 0 ||
				(unsigned int)sll.sll_ifindex != ifindex)
			continue;
		p->kd_fd[p->kd_nfd++] = fd;
	}
	closedir(d);
}

static int
read_u64_file(const char *path, uint64_t *v)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%" SCNu64, v) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

void
tq_port_kdrops_init(struct tq_port *p)
{
	struct rte_eth_dev_info info;
	char ifname[IF_NAMESIZE];

	p->kd_kind = TQ_KD_NONE;
	p->kd_nfd = 0;
	__atomic_store_n(&p->kd_total, 0, __ATOMIC_RELAXED);
	if (rte_eth_dev_info_get(p->id, &info) < 0 || info.if_index == 0)
		return;
	if (strcmp(p->driver, "net_af_packet") == 0) {
		struct tpacket_stats st;
		socklen_t len = sizeof(st);
		unsigned int i;

		find_packet_sockets(p, info.if_index);
		if (p->kd_nfd == 0)
			return;
		/* Reading resets the kernel's count: start from zero. */
		for (i = 0; i < p->kd_nfd; i++)
			getsockopt(p->kd_fd[i], SOL_PACKET, PACKET_STATISTICS,
					&st, &len);
		p->kd_kind = TQ_KD_PACKET_SOCKET;
	} else if (strcmp(p->driver, "net_tap") == 0 &&
			if_indextoname(info.if_index, ifname)) {
		snprintf(p->kd_path, sizeof(p->kd_path),
				"/sys/class/net/%s/statistics/tx_dropped",
				ifname);
		if (read_u64_file(p->kd_path, &p->kd_base) == 0)
			p->kd_kind = TQ_KD_TAP_SYSFS;
	}
}

uint64_t
tq_port_kdrops(struct tq_port *p)
{
	unsigned int i;
	uint64_t v;

	switch (p->kd_kind) {
	case TQ_KD_PACKET_SOCKET:
		/* Each read returns the drops since the last one; callers
		 * on two threads each add what they took. */
		for (i = 0; i < p->kd_nfd; i++) {
			struct tpacket_stats st;
			socklen_t len = sizeof(st);

			if (getsockopt(p->kd_fd[i], SOL_PACKET,
					PACKET_STATISTICS, &st, &len) == 0)
				__atomic_fetch_add(&p->kd_total, st.tp_drops,
						__ATOMIC_RELAXED);
		}
		return __atomic_load_n(&p->kd_total, __ATOMIC_RELAXED);
	case TQ_KD_TAP_SYSFS:
		/* The tap may have moved to another namespace (its sysfs
		 * entry is then gone from ours): keep the last count. */
		if (read_u64_file(p->kd_path, &v) == 0 && v >= p->kd_base)
			__atomic_store_n(&p->kd_total, v - p->kd_base,
					__ATOMIC_RELAXED);
		return __atomic_load_n(&p->kd_total, __ATOMIC_RELAXED);
	default:
		return 0;
	}
}
