/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_QUIC_QLOG_H
#define TQ_QUIC_QLOG_H

/*
 * qlog (draft-ietf-quic-qlog-main-schema, -quic-events), JSON-SEQ (RFC
 * 7464: each record 0x1E, JSON, newline): one file per connection, the
 * header record then events.  The connection holds a NULL pointer when
 * off, so an event costs one branch; when on, events go through a
 * buffered FILE (64 KiB, written out when full and at close) from the
 * worker that owns the connection.  Control and debugging tool: opening
 * the file is a syscall per connection.
 */

#include <stdbool.h>
#include <stdint.h>

#include "quic/tq_quic_wire.h"

struct tq_quic_qlog;

/*
 * DIR/<odcid hex>_<server|client>.sqlog, the header written; times in
 * events are ms relative to now.  0, -EINVAL, -ENOMEM, or -errno of
 * fopen().
 */
int tq_quic_qlog_open(const char *dir, bool is_server,
		const struct tq_quic_cid *odcid, uint64_t now,
		struct tq_quic_qlog **out);
/* Flush and close (NULL: nothing). */
void tq_quic_qlog_close(struct tq_quic_qlog *q);

/* An event: RS {"time":..,"name":"<name>","data":{<data>}} LF; data is
 * a printf format for the members (without braces). */
void tq_quic_qlog_event(struct tq_quic_qlog *q, uint64_t now,
		const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * transport:packet_sent / packet_received: the header (packet_type,
 * packet_number) and the frames, decoded from the plaintext payload.
 */
void tq_quic_qlog_packet(struct tq_quic_qlog *q, uint64_t now, bool sent,
		enum tq_quic_pkt_type type, uint64_t pn, const uint8_t *payload,
		size_t len, size_t size);

const char *tq_quic_qlog_pkt_type(enum tq_quic_pkt_type type);

#endif
