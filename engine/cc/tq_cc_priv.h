/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_CC_PRIV_H
#define TQ_CC_PRIV_H

/*
 * Pieces NewReno and CUBIC share.  Private to engine/cc: transports use
 * only tq_cc.h.
 */

#include <stdbool.h>
#include <stdint.h>

#include "tq_cc.h"

/* RFC 6928: ten segments when the transport does not say otherwise. */
#define TQ_CC_INIT_CWND_SEGS 10
/* RFC 9293 3.7.1: the default send MSS, used only when mss is 0. */
#define TQ_CC_MSS_DEFAULT 536
/*
 * Largest window kept.  Half the uint32_t range, so cwnd + increment and
 * 1.5 * cwnd never wrap, and UINT32_MAX stays free to mean "no ssthresh".
 */
#define TQ_CC_CWND_MAX (UINT32_MAX / 2)

static inline uint32_t
tq_cc_clamp(uint64_t bytes)
{
	return bytes > TQ_CC_CWND_MAX ? TQ_CC_CWND_MAX : (uint32_t)bytes;
}

/*
 * Reset the state common to all algorithms: initial window from
 * init_cwnd_segs (0: ten) and mss (0: the default), no ssthresh, nothing
 * saved for undo, algorithm state zeroed.  init_cwnd_segs and mss are
 * read, not cleared.
 */
void tq_cc_reset(struct tq_cc *cc);

/*
 * Slow start on an ACK of acked bytes (caller checked cwnd < ssthresh).
 * Returns the bytes left over once cwnd reached ssthresh, which the
 * caller counts toward congestion avoidance; 0 if still in slow start.
 */
uint32_t tq_cc_slow_start(struct tq_cc *cc, uint32_t acked);

/*
 * True when a timeout finds the window still at the loss window an earlier
 * timeout left: the same data is timing out again (RFC 5681 3.1 keeps
 * ssthresh in that case) and the state saved for undo must be kept.
 */
bool tq_cc_rto_repeated(const struct tq_cc *cc);

/* Save cwnd and ssthresh before a reduction, for on_undo. */
void tq_cc_save_prior(struct tq_cc *cc);

/*
 * Restore what tq_cc_save_prior kept and leave recovery.  Returns false
 * (and changes nothing) when nothing is saved or it was already used.
 */
bool tq_cc_restore_prior(struct tq_cc *cc);

#endif
