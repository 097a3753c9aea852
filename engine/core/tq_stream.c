/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The transport-neutral stream API (tachyon/tq_stream.h): dispatch to the
 * transport's tables, and what every transport shares on top of them:
 * iovec forms, splice, connection identity.
 */
#include <errno.h>
#include <string.h>

#include "tq_shard.h"
#include "tq_stream_impl.h"

static const char *const reasons[] = {
	[TQ_CLOSE_NORMAL] = "normal",
	[TQ_CLOSE_RESET] = "reset",
	[TQ_CLOSE_REFUSED] = "refused",
	[TQ_CLOSE_TIMEOUT] = "timeout",
	[TQ_CLOSE_ABORTED] = "aborted",
	[TQ_CLOSE_UNREACHABLE] = "unreachable",
	[TQ_CLOSE_PROTOCOL] = "protocol",
};

const char *
tq_close_reason_str(enum tq_close_reason r)
{
	return (unsigned int)r < RTE_DIM(reasons) && reasons[r] ?
		reasons[r] : "?";
}

struct rte_mbuf *
tq_mbuf_split(struct rte_mbuf *m, uint32_t len, struct rte_mempool *pool)
{
	struct rte_mbuf *seg = m, *rest, *x;
	uint32_t off = 0, total = m->pkt_len;
	uint16_t nsegs = 0;

	if (len == 0 || len >= total)
		return NULL;
	/* The segment holding byte len-1. */
	while (off + seg->data_len < len) {
		off += seg->data_len;
		nsegs++;
		seg = seg->next;
	}
	nsegs++;
	if (off + seg->data_len == len) {
		rest = seg->next;
	} else {
		uint32_t k = len - off;

		rest = rte_pktmbuf_alloc(pool);
		if (!rest)
			return NULL;
		/* Indirect: shares seg's buffer, pins it until freed. */
		rte_pktmbuf_attach(rest, seg);
		rest->data_off = (uint16_t)(seg->data_off + k);
		rest->data_len = (uint16_t)(seg->data_len - k);
		rest->next = seg->next;
		seg->data_len = (uint16_t)k;
	}
	seg->next = NULL;
	m->pkt_len = len;
	m->nb_segs = nsegs;
	rest->pkt_len = total - len;
	rest->nb_segs = 0;
	for (x = rest; x; x = x->next)
		rest->nb_segs++;
	return rest;
}

/* ---- streams ---- */

/*
 * One loop for readv and writev: stop at the first short transfer (a
 * full send buffer, nothing more to read, EOF); an error counts only
 * when nothing was moved before it.
 */
static int
stream_iov(struct tq_stream *st, const struct iovec *iov,
		unsigned int iovcnt, bool rd)
{
	unsigned int i;
	int done = 0;

	for (i = 0; i < iovcnt; i++) {
		uint32_t len = (uint32_t)RTE_MIN(iov[i].iov_len,
				(size_t)INT32_MAX - done);
		int n;

		if (len == 0)
			continue;
		n = rd ? st->vt->read(st, iov[i].iov_base, len) :
			st->vt->write(st, iov[i].iov_base, len);
		if (n < 0)
			return done ? done : n;
		done += n;
		if ((uint32_t)n < len)
			break;
	}
	return done;
}

int
tq_stream_writev(struct tq_stream *st, const struct iovec *iov,
		unsigned int iovcnt)
{
	return stream_iov(st, iov, iovcnt, false);
}

int
tq_stream_readv(struct tq_stream *st, const struct iovec *iov,
		unsigned int iovcnt)
{
	return stream_iov(st, iov, iovcnt, true);
}

int
tq_stream_write(struct tq_stream *st, const void *buf, uint32_t len)
{
	return st->vt->write(st, buf, len);
}

int
tq_stream_write_mbuf(struct tq_stream *st, struct rte_mbuf *m,
		struct rte_mbuf **rest)
{
	struct rte_mbuf *left = NULL;
	int ret = st->vt->write_mbuf(st, m, &left);

	if (rest) {
		*rest = left;
	} else if (left) {
		TQ_ADD(st->conn->s, TX_MBUF_DROPPED, left->pkt_len);
		rte_pktmbuf_free(left);
	}
	return ret;
}

uint32_t
tq_stream_write_space(struct tq_stream *st)
{
	uint32_t segs;

	return st->vt->write_space(st, &segs);
}

uint32_t
tq_stream_write_space_mbufs(struct tq_stream *st)
{
	uint32_t segs;

	st->vt->write_space(st, &segs);
	return segs;
}

uint32_t
tq_stream_send_hint(struct tq_stream *st)
{
	return st->vt->send_hint(st);
}

int
tq_stream_read(struct tq_stream *st, void *buf, uint32_t len)
{
	return st->vt->read(st, buf, len);
}

struct rte_mbuf *
tq_stream_read_mbuf(struct tq_stream *st, uint32_t max)
{
	return st->vt->read_mbuf(st, max, UINT32_MAX);
}

uint32_t
tq_stream_readable(const struct tq_stream *st)
{
	return st->vt->readable(st);
}

bool
tq_stream_eof(const struct tq_stream *st)
{
	return st->vt->eof(st);
}

/*
 * Bounded by dst's space in bytes and in mbufs, so the mbufs a relay
 * holds are at most src's receive buffer plus dst's send queue.  What
 * does not fit stays queued in src, where it keeps src's window shut.
 */
int
tq_stream_splice(struct tq_stream *src, struct tq_stream *dst, uint32_t max)
{
	uint32_t bytes, segs, moved = 0;
	int ret;

	ret = dst->vt->write_check(dst);
	if (ret < 0)
		return src->vt->eof(src) ? 0 : ret;
	bytes = RTE_MIN(max, dst->vt->write_space(dst, &segs));
	if (bytes && segs && src->vt->readable(src)) {
		struct rte_mbuf *m = src->vt->read_mbuf(src, bytes, segs);

		if (m) {
			moved = m->pkt_len;
			tq_stream_write_mbuf(dst, m, NULL);
			TQ_ADD(src->conn->s, STREAM_SPLICED, moved);
			/* Arm writable if that filled dst. */
			dst->vt->write_space(dst, &segs);
		}
	}
	if (src->vt->eof(src))
		dst->vt->shutdown(dst);
	return (int)moved;
}

int
tq_stream_shutdown(struct tq_stream *st)
{
	return st->vt->shutdown(st);
}

int
tq_stream_shutdown_read(struct tq_stream *st, uint64_t code)
{
	return st->vt->shutdown_read(st, code);
}

void
tq_stream_close(struct tq_stream *st)
{
	st->vt->close(st);
}

void
tq_stream_abort(struct tq_stream *st, uint64_t code)
{
	st->err_code = code;
	st->vt->abort(st, code);
}

uint64_t
tq_stream_error_code(const struct tq_stream *st)
{
	return st->err_code;
}

int
tq_stream_set_opt(struct tq_stream *st, enum tq_stream_opt opt, uint32_t val)
{
	/* the connection's, whichever stream it is asked through */
	if (opt == TQ_OPT_CC)
		return tq_conn_set_opt(st->conn, opt, val);
	return st->vt->set_opt(st, opt, val);
}

int
tq_stream_get_opt(const struct tq_stream *st, enum tq_stream_opt opt,
		uint32_t *val)
{
	if (opt == TQ_OPT_CC)
		return tq_conn_get_opt(st->conn, opt, val);
	if (!st->vt->get_opt)
		return -ENOTSUP;
	return st->vt->get_opt(st, opt, val);
}

int64_t
tq_stream_id(const struct tq_stream *st)
{
	return st->id;
}

struct tq_conn *
tq_stream_conn(const struct tq_stream *st)
{
	return st->conn;
}

struct tq_shard *
tq_stream_shard(const struct tq_stream *st)
{
	return st->conn->s;
}

void
tq_stream_set_ops(struct tq_stream *st, const struct tq_stream_ops *ops,
		void *ctx)
{
	st->ops = ops;
	st->ctx = ctx;
}

void *
tq_stream_ctx(const struct tq_stream *st)
{
	return st->ctx;
}

void
tq_stream_info(const struct tq_stream *st, struct tq_conn_info *info)
{
	tq_conn_info(st->conn, info);
}

/* ---- connections ---- */

void
tq_conn_info(const struct tq_conn *c, struct tq_conn_info *info)
{
	memset(info, 0, sizeof(*info));
	c->vt->info(c, info);
	info->transport = (enum tq_transport)c->transport;
}

int
tq_conn_set_opt(struct tq_conn *c, enum tq_stream_opt opt, uint32_t val)
{
	if (!c->vt->set_opt)
		return -ENOTSUP;
	return c->vt->set_opt(c, opt, val);
}

int
tq_conn_get_opt(const struct tq_conn *c, enum tq_stream_opt opt,
		uint32_t *val)
{
	if (!c->vt->get_opt)
		return -ENOTSUP;
	return c->vt->get_opt(c, opt, val);
}

enum tq_transport
tq_conn_transport(const struct tq_conn *c)
{
	return (enum tq_transport)c->transport;
}

struct tq_shard *
tq_conn_shard(const struct tq_conn *c)
{
	return c->s;
}

void
tq_conn_set_udata(struct tq_conn *c, void *udata)
{
	c->udata = udata;
}

void *
tq_conn_udata(const struct tq_conn *c)
{
	return c->udata;
}

void
tq_conn_close(struct tq_conn *c, uint64_t code)
{
	c->vt->close(c, code);
}

void
tq_conn_abort(struct tq_conn *c, uint64_t code)
{
	c->vt->abort(c, code);
}

void
tq_conn_set_ops(struct tq_conn *c, const struct tq_conn_ops *ops)
{
	c->ops = ops;
}

struct tq_stream *
tq_conn_stream_open(struct tq_conn *c, unsigned int flags,
		const struct tq_stream_ops *ops, void *ctx, int *err)
{
	int dummy;

	if (!err)
		err = &dummy;
	if (flags & ~TQ_STREAM_UNI) {
		*err = -EINVAL;
		return NULL;
	}
	if (!c->vt->stream_open) {
		*err = -ENOTSUP;
		return NULL;
	}
	return c->vt->stream_open(c, flags, ops, ctx, err);
}

bool
tq_stream_is_uni(const struct tq_stream *st)
{
	return (st->flags & TQ_STREAM_F_UNI) != 0;
}

bool
tq_stream_is_local(const struct tq_stream *st)
{
	return (st->flags & TQ_STREAM_F_LOCAL) != 0;
}
