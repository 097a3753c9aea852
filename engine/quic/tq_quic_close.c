/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A server's CONNECTION_CLOSE to a client Initial it will not serve,
 * made without a connection (RFC 9000 10.2.3): an Initial packet under
 * the Initial keys of the client's DCID, so the client, which has no
 * other keys yet, reads the error at once instead of timing out.
 * RFC 9000 8.1.3 asks for it when a Retry token no longer validates:
 * the client takes no second Retry, so a silent drop would cost it its
 * whole handshake timeout.  Rare and rate-limited by the caller, so the
 * keys are made per answer rather than kept.
 */
#include <errno.h>
#include <string.h>

#include "quic/tq_quic_crypto.h"
#include "quic/tq_quic_wire.h"

int
tq_quic_initial_close(struct tq_quic_crypto_worker *cw, const uint8_t *dcid,
		size_t dcid_len, const uint8_t *scid, size_t scid_len,
		const uint8_t *peer_cid, size_t peer_cid_len, uint64_t error,
		const char *reason, uint8_t *buf, size_t cap)
{
	uint8_t secret[TQ_QUIC_INITIAL_SECRET_LEN];
	struct tq_quic_frame f;
	struct tq_quic_hdr_pos pos;
	struct tq_quic_aead *a = NULL;
	struct tq_quic_keys k;
	struct tq_quic_wr w;
	size_t end, payload;
	int rc;

	if (cap < TQ_QUIC_TAG_LEN)
		return -EMSGSIZE;
	/* the 4-byte packet number leaves the header protection sample
	 * (pn + 4, 16 bytes) inside the tag whatever the frame's size */
	tq_quic_wr_init(&w, buf, cap - TQ_QUIC_TAG_LEN);
	rc = tq_quic_hdr_write_long(&w, buf, TQ_QUIC_PKT_INITIAL,
			TQ_QUIC_VERSION_1, peer_cid, peer_cid_len, scid,
			scid_len, NULL, 0, 0, 4, &pos);
	if (rc < 0)
		return rc;
	memset(&f, 0, sizeof(f));
	f.type = TQ_QUIC_FT_CONNECTION_CLOSE;
	f.close.error = error;
	f.close.reason = (const uint8_t *)reason;
	f.close.reason_len = reason ? strlen(reason) : 0;
	rc = tq_quic_frame_encode(&w, &f);
	if (rc < 0)
		return rc;
	end = (size_t)(w.pos - buf);
	payload = end - pos.pn_off - pos.pn_len;
	rc = tq_quic_hdr_set_length(buf, &pos, end + TQ_QUIC_TAG_LEN);
	if (rc < 0)
		return rc;
	rc = tq_quic_initial_secrets(dcid, dcid_len, NULL, secret);
	if (rc == 0)
		rc = tq_quic_keys_derive(TQ_QUIC_AES_128_GCM, secret,
				sizeof(secret), &k);
	if (rc == 0)
		rc = tq_quic_aead_new(cw, &k, &a);
	if (rc == 0)
		rc = tq_quic_packet_seal(a, cw, buf + pos.start,
				pos.pn_off - pos.start, 0, payload);
	tq_quic_aead_free(a);
	tq_quic_wipe(secret, sizeof(secret));
	tq_quic_wipe(&k, sizeof(k));
	return rc < 0 ? rc : (int)(pos.start + (size_t)rc);
}
