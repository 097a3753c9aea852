/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_LOG_H
#define TQ_LOG_H

/*
 * Logging through rte_log, one log type per module ("tachyon.tcp",
 * "tachyon.net", ...), each registered by the module's own file with
 * RTE_LOG_REGISTER, so `--log-level tachyon.tcp:debug` at start and
 * `tq-ctl set log.tachyon.tcp debug` while running pick what is said.
 *
 * Only events are logged, never a packet that went well: a connection
 * given up, a flood detected, a frame dropped for a reason a counter
 * also counts.  Events a peer can cause at packet rate (a RST to a
 * closed port, a bad checksum) are at debug, off by default; their
 * arguments are formatted only when the level is on (TQ_LOG_ON), so
 * the cost when off is one call that compares two integers.
 */

#include <stdio.h>

#include <rte_branch_prediction.h>
#include <rte_log.h>

#include <tachyon/tq_addr.h>

#define TQ_LOG_ON(type, level) \
	unlikely(rte_log_can_log((type), RTE_LOG_ ## level))

#define TQ_LOG(type, name, level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, (type), name ": " fmt "\n", ##__VA_ARGS__)

/* "192.0.2.1:80" or "[2001:db8::1]:80"; port in host order. */
static inline const char *
tq_log_ep(const struct tq_addr *a, uint16_t port, char *buf, size_t len)
{
	char ip[TQ_ADDR_STRLEN];

	tq_addr_format(a, ip, sizeof(ip));
	snprintf(buf, len, a->family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
			port);
	return buf;
}

#endif
