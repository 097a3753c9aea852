/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/3 sending: each stream queues its frame bytes (the stream type,
 * SETTINGS, GOAWAY, a HEADERS frame, DATA frame headers) in a small
 * buffer of its own; a body stays where it is (the app's buffer, or the
 * exchange's ring for a streamed body) and goes to the transport in the
 * same writev as the DATA frame header in front of it, so a body is
 * copied once, by the transport.  Streams with something to send are on
 * a list the outermost tq_h3_leave() walks; a short write leaves the
 * stream off it until the transport's writable().
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include <rte_common.h>

#include "tq_h3_priv.h"

void
tq_h3_tx_want(struct tq_h3_req *r)
{
	if (r->txq || r->blocked)
		return;
	r->txq = true;
	r->tnext = r->h->tx_list;
	r->h->tx_list = r;
}

/* Room for len more bytes in r's frame queue. */
static int
h3_ob_room(struct tq_h3_req *r, uint32_t len)
{
	uint32_t need, cap;
	uint8_t *nb;

	if (r->ooff && r->ooff == r->olen)
		r->ooff = r->olen = 0;
	if (r->olen + len <= r->ocap)
		return 0;
	if (r->ooff) {
		memmove(r->ob, r->ob + r->ooff, r->olen - r->ooff);
		r->olen -= r->ooff;
		r->ooff = 0;
		if (r->olen + len <= r->ocap)
			return 0;
	}
	need = r->olen + len;
	if (need < len)
		return -ENOMEM;
	cap = RTE_MAX(need, RTE_MAX(2 * r->ocap, 64u));
	nb = tq_h3_alloc(r->h, cap);
	if (!nb)
		return -ENOMEM;
	if (r->olen)
		memcpy(nb, r->ob, r->olen);
	tq_h3_free(r->h, r->ob);
	r->ob = nb;
	r->ocap = cap;
	return 0;
}

int
tq_h3_out(struct tq_h3_req *r, const void *p, uint32_t len)
{
	int rv = h3_ob_room(r, len);

	if (rv)
		return rv;
	memcpy(r->ob + r->olen, p, len);
	r->olen += len;
	tq_h3_tx_want(r);
	return 0;
}

int
tq_h3_out_frame(struct tq_h3_req *r, uint64_t type, uint64_t len)
{
	uint8_t b[16];
	uint8_t *e = tq_quic_varint_put(tq_quic_varint_put(b, type), len);

	return tq_h3_out(r, b, (uint32_t)(e - b));
}

int
tq_h3_out_headers(struct tq_h3_req *r, const struct tq_qpack_field *ps,
		unsigned int nps, const struct tq_http_field *fields,
		uint32_t nfields)
{
	struct tq_qpack_field stack[32], *f = stack;
	unsigned int i, n = nps + nfields, hl;
	size_t bound;
	uint8_t *p;
	int len, rv;

	if (n > RTE_DIM(stack)) {
		f = tq_h3_mem_alloc(sizeof(*f) * n);
		if (!f)
			return -ENOMEM;
	}
	memcpy(f, ps, sizeof(*f) * nps);
	for (i = 0; i < nfields; i++) {
		f[nps + i].name = fields[i].name.p;
		f[nps + i].nlen = fields[i].name.len;
		f[nps + i].value = fields[i].value.p;
		f[nps + i].vlen = fields[i].value.len;
	}
	bound = tq_qpack_encode_bound(f, n);
	rv = bound > UINT32_MAX - 16 ? -ENOMEM :
		h3_ob_room(r, (uint32_t)bound + 9);
	if (rv == 0) {
		/* Encode past the longest frame header, then close the gap
		 * once the length is known. */
		p = r->ob + r->olen;
		len = tq_qpack_encode(p + 9, bound, f, n);
		if (len < 0) {
			rv = -ENOMEM;
		} else {
			hl = (unsigned int)(tq_quic_varint_put(
					tq_quic_varint_put(p, H3_F_HEADERS),
					(uint64_t)len) - p);
			memmove(p + hl, p + 9, (size_t)len);
			r->olen += hl + (uint32_t)len;
			r->msg_out = true;
			tq_h3_tx_want(r);
		}
	}
	if (f != stack)
		tq_h3_mem_free(f);
	return rv;
}

uint32_t
tq_h3_ring_space(const struct tq_h3_req *r)
{
	return r->ring_size - (uint32_t)(r->r_tail - r->bsent);
}

static uint64_t
h3_body_avail(const struct tq_h3_req *r)
{
	return r->stream_body ? r->r_tail : r->body_len;
}

/* Body bytes [bsent, bframed) as one or two pieces. */
static unsigned int
h3_body_iov(const struct tq_h3_req *r, struct iovec *iov)
{
	size_t n = r->bframed - r->bsent;
	uint32_t off, k;

	if (!r->stream_body) {
		iov[0].iov_base = (void *)(uintptr_t)(r->body + r->bsent);
		iov[0].iov_len = n;
		return 1;
	}
	off = (uint32_t)(r->bsent % r->ring_size);
	k = (uint32_t)RTE_MIN(n, (size_t)(r->ring_size - off));
	iov[0].iov_base = r->ring + off;
	iov[0].iov_len = k;
	if (k == n)
		return 1;
	iov[1].iov_base = r->ring;
	iov[1].iov_len = n - k;
	return 2;
}

static void
h3_write_failed(struct tq_h3_req *r)
{
	/* -EPIPE: the peer stopped it, or it is being reset; the stream
	 * callbacks say why. */
	if (r->kind == H3_REQ)
		tq_h3_finish(r, TQ_H3_REQUEST_CANCELLED,
				TQ_H3_REQUEST_CANCELLED);
	else
		tq_h3_conn_fail(r->h, TQ_H3_CLOSED_CRITICAL_STREAM);
}

static void
h3_send(struct tq_h3_req *r)
{
	struct tq_h3_conn *h = r->h;

	while (r->st && !r->done && !r->wr_fin && !r->blocked) {
		struct iovec iov[3];
		unsigned int n = 0;
		uint64_t avail = h3_body_avail(r);
		uint32_t olen;
		size_t total = 0, k;
		int w;

		/* The next DATA frame once the last one's bytes are out. */
		if (r->ooff == r->olen && r->bsent == r->bframed &&
				avail > r->bframed) {
			if (tq_h3_out_frame(r, H3_F_DATA, avail - r->bframed))
				return;	/* the session closes (max_mem) */
			r->bframed = avail;
		}
		olen = r->olen - r->ooff;
		if (olen) {
			iov[n].iov_base = r->ob + r->ooff;
			iov[n++].iov_len = olen;
			total = olen;
		}
		if (r->bframed > r->bsent) {
			n += h3_body_iov(r, iov + n);
			total += r->bframed - r->bsent;
		}
		if (total == 0) {
			/* All out: FIN once the message is complete. */
			if (r->kind == H3_REQ && r->msg_out &&
					(!r->stream_body || r->body_eof)) {
				r->wr_fin = true;
				tq_stream_shutdown(r->st);
				/* what was queued for sending is not needed
				 * any more: a held exchange keeps only its
				 * record and head */
				tq_h3_free(h, r->ob);
				tq_h3_free(h, r->ring);
				r->ob = r->ring = NULL;
				r->ocap = r->olen = r->ooff = 0;
				if (r->rd_fin)
					tq_h3_finish(r, 0, 0);
			}
			return;
		}
		w = tq_stream_writev(r->st, iov, n);
		if (w < 0) {
			h3_write_failed(r);
			return;
		}
		k = RTE_MIN((size_t)w, (size_t)olen);
		r->ooff += (uint32_t)k;
		if ((size_t)w > k) {
			/* The transport copied what it took: the ring's
			 * room is back now. */
			r->bsent += (size_t)w - k;
			H3_STAT(h, body_tx, (size_t)w - k);
			if (r->stream_body && r->want_writable &&
					tq_h3_ring_space(r) >= r->ring_size / 2)
				tq_h3_pend(r, PEND_WRITABLE);
		}
		if ((size_t)w < total) {
			r->blocked = true;
			return;
		}
	}
}

void
tq_h3_flush(struct tq_h3_conn *h)
{
	while (h->tx_list && !h->closing && !h->gone) {
		struct tq_h3_req *r = h->tx_list;

		h->tx_list = r->tnext;
		r->txq = false;
		h3_send(r);
	}
}
