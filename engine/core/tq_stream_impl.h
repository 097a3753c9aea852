/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_STREAM_IMPL_H
#define TQ_STREAM_IMPL_H

/*
 * What a transport provides behind the neutral stream API
 * (tachyon/tq_stream.h).  A transport embeds a struct tq_conn in its
 * connection and a struct tq_stream in each of its streams, and fills
 * the function tables; engine/core/tq_stream.c dispatches through them
 * and builds what is common (splice, iovec, low-water bookkeeping) on
 * top.  One indirect call per API call, none per packet.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include <tachyon/tq_stream.h>

struct tq_stream_vt {
	int (*read)(struct tq_stream *st, void *buf, uint32_t len);
	/* At most max_bytes in at most max_segs mbufs (a split head
	 * counts as one); NULL when there is nothing. */
	struct rte_mbuf *(*read_mbuf)(struct tq_stream *st, uint32_t max_bytes,
			uint32_t max_segs);
	uint32_t (*readable)(const struct tq_stream *st);
	bool (*eof)(const struct tq_stream *st);
	int (*write)(struct tq_stream *st, const void *buf, uint32_t len);
	int (*write_mbuf)(struct tq_stream *st, struct rte_mbuf *m,
			struct rte_mbuf **rest);
	/* Bytes free; *segs the mbufs free.  Arms writable when either
	 * is under the low-water mark. */
	uint32_t (*write_space)(struct tq_stream *st, uint32_t *segs);
	/* 0 when writes would be accepted now, else the error. */
	int (*write_check)(const struct tq_stream *st);
	uint32_t (*send_hint)(struct tq_stream *st);
	int (*shutdown)(struct tq_stream *st);
	int (*shutdown_read)(struct tq_stream *st, uint64_t code);
	void (*close)(struct tq_stream *st);
	void (*abort)(struct tq_stream *st, uint64_t code);
	int (*set_opt)(struct tq_stream *st, enum tq_stream_opt opt,
			uint32_t val);
	/* NULL: no option can be read (-ENOTSUP). */
	int (*get_opt)(const struct tq_stream *st, enum tq_stream_opt opt,
			uint32_t *val);
};

struct tq_conn_vt {
	void (*info)(const struct tq_conn *c, struct tq_conn_info *info);
	void (*close)(struct tq_conn *c, uint64_t code);
	void (*abort)(struct tq_conn *c, uint64_t code);
	/* NULL: one stream only (-ENOTSUP). */
	struct tq_stream *(*stream_open)(struct tq_conn *c, unsigned int flags,
			const struct tq_stream_ops *ops, void *ctx, int *err);
	/* The connection's options (TQ_OPT_CC); NULL: -ENOTSUP. */
	int (*set_opt)(struct tq_conn *c, enum tq_stream_opt opt,
			uint32_t val);
	int (*get_opt)(const struct tq_conn *c, enum tq_stream_opt opt,
			uint32_t *val);
};

struct tq_conn {
	const struct tq_conn_vt *vt;
	struct tq_shard *s;
	void *udata;
	const struct tq_conn_ops *ops;	/* tq_conn_set_ops() */
	uint8_t transport;	/* enum tq_transport */
};

/* tq_stream.flags */
#define TQ_STREAM_F_UNI		0x1	/* one direction only */
#define TQ_STREAM_F_LOCAL	0x2	/* we opened it */

struct tq_stream {
	const struct tq_stream_vt *vt;
	struct tq_conn *conn;
	const struct tq_stream_ops *ops;
	void *ctx;
	int64_t id;
	uint64_t err_code;	/* see tq_stream_error_code() */
	uint8_t flags;		/* TQ_STREAM_F_* */
};

/* Callback helpers for transports: each checks for a NULL hook. */
static inline void
tq_conn_cb_established(struct tq_conn *c)
{
	if (c->ops && c->ops->established)
		c->ops->established(c, c->udata);
}

static inline void
tq_conn_cb_new_stream(struct tq_conn *c, struct tq_stream *st)
{
	if (c->ops && c->ops->new_stream)
		c->ops->new_stream(c, st, c->udata);
}

static inline void
tq_conn_cb_streams_available(struct tq_conn *c, bool uni)
{
	if (c->ops && c->ops->streams_available)
		c->ops->streams_available(c, uni, c->udata);
}

static inline void
tq_conn_cb_closed(struct tq_conn *c, enum tq_close_reason why, uint64_t code)
{
	if (c->ops && c->ops->closed)
		c->ops->closed(c, why, code, c->udata);
}

static inline void
tq_stream_cb_readable(struct tq_stream *st)
{
	if (st->ops && st->ops->readable)
		st->ops->readable(st, st->ctx);
}

static inline void
tq_stream_cb_writable(struct tq_stream *st)
{
	if (st->ops && st->ops->writable)
		st->ops->writable(st, st->ctx);
}

static inline void
tq_stream_cb_connected(struct tq_stream *st)
{
	if (st->ops && st->ops->connected)
		st->ops->connected(st, st->ctx);
}

static inline void
tq_stream_cb_acked(struct tq_stream *st, uint64_t total)
{
	if (st->ops && st->ops->acked)
		st->ops->acked(st, total, st->ctx);
}

static inline void
tq_stream_cb_peer_fin(struct tq_stream *st)
{
	if (st->ops && st->ops->peer_fin)
		st->ops->peer_fin(st, st->ctx);
}

static inline void
tq_stream_cb_peer_reset(struct tq_stream *st, uint64_t code)
{
	st->err_code = code;
	if (st->ops && st->ops->peer_reset)
		st->ops->peer_reset(st, code, st->ctx);
}

static inline void
tq_stream_cb_stop_sending(struct tq_stream *st, uint64_t code)
{
	st->err_code = code;
	if (st->ops && st->ops->stop_sending)
		st->ops->stop_sending(st, code, st->ctx);
}

static inline void
tq_stream_cb_closed(struct tq_stream *st, enum tq_close_reason why)
{
	if (st->ops && st->ops->closed)
		st->ops->closed(st, why, st->ctx);
}

/*
 * Split m's chain after len bytes (0 < len < pkt_len): m keeps the first
 * len, the rest is returned as its own chain.  A segment cut in two is
 * shared through an indirect mbuf from pool (no payload copy).  Segment
 * counts and pkt_len of both are right.  NULL without an mbuf (m is then
 * unchanged).
 */
struct rte_mbuf *tq_mbuf_split(struct rte_mbuf *m, uint32_t len,
		struct rte_mempool *pool);

#endif
