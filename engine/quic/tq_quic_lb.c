/* SPDX-License-Identifier: BSD-3-Clause */
#include "quic/tq_quic_lb.h"

#include <errno.h>
#include <string.h>

int
tq_quic_lb_check(const struct tq_quic_lb_conf *c)
{
	if (!c || c->config_id >= TQ_QUIC_LB_UNROUTABLE ||
			c->server_id_len < 1 ||
			c->server_id_len > TQ_QUIC_LB_SERVER_ID_MAX ||
			c->nonce_len < TQ_QUIC_LB_NONCE_MIN ||
			tq_quic_lb_cid_len(c) > TQ_QUIC_LB_CID_MAX)
		return -EINVAL;
	return 0;
}

int
tq_quic_lb_cid_make(const struct tq_quic_lb_conf *c, uint8_t worker,
		const uint8_t *rnd, uint8_t *cid)
{
	size_t len;

	if (tq_quic_lb_check(c) < 0 || !rnd || !cid)
		return -EINVAL;
	len = tq_quic_lb_cid_len(c);
	/* The low 5 bits: the length less one, or random (draft 3.3). */
	cid[0] = (uint8_t)(c->config_id << 5) |
		(c->encode_len ? (uint8_t)(len - 1) : (rnd[0] & 0x1f));
	memcpy(cid + 1, c->server_id, c->server_id_len);
	cid[1 + c->server_id_len] = worker;
	memcpy(cid + 2 + c->server_id_len, rnd + 1, c->nonce_len - 1u);
	return 0;
}

static int
ours(const struct tq_quic_lb_conf *c, const uint8_t *cid, size_t len)
{
	if (tq_quic_lb_check(c) < 0 || !cid)
		return -EINVAL;
	if (len != tq_quic_lb_cid_len(c) || cid[0] >> 5 != c->config_id)
		return -ENOENT;
	if (c->encode_len && (size_t)(cid[0] & 0x1f) + 1 != len)
		return -ENOENT;
	return 0;
}

int
tq_quic_lb_cid_route(const struct tq_quic_lb_conf *c, const uint8_t *cid,
		size_t len, uint8_t *worker)
{
	int ret = ours(c, cid, len);

	if (ret < 0)
		return ret;
	if (memcmp(cid + 1, c->server_id, c->server_id_len))
		return -ENOENT;
	*worker = cid[1 + c->server_id_len];
	return 0;
}

int
tq_quic_lb_server_id(const struct tq_quic_lb_conf *c, const uint8_t *cid,
		size_t len, uint8_t *out)
{
	int ret = ours(c, cid, len);

	if (ret < 0)
		return ret;
	memcpy(out, cid + 1, c->server_id_len);
	return 0;
}
