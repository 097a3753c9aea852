/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Algorithm lookup, and the parts every window-based algorithm shares:
 * the initial window, slow start and the state kept for undo.
 */
#include "tq_cc.h"
#include "tq_cc_priv.h"

#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	const struct tq_cc_ops *ops;
} cc_algos[] = {
	{ "newreno", &tq_cc_newreno },
	{ "reno", &tq_cc_newreno },
	{ "cubic", &tq_cc_cubic },
	{ "bbr", &tq_cc_bbr },
};

const struct tq_cc_ops *
tq_cc_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	/* Case-insensitive: config files and the CLI write "CUBIC" too. */
	for (i = 0; i < sizeof(cc_algos) / sizeof(cc_algos[0]); i++)
		if (strcasecmp(name, cc_algos[i].name) == 0)
			return cc_algos[i].ops;
	return NULL;
}

const struct tq_cc_ops *
tq_cc_by_id(unsigned int id)
{
	size_t i;

	for (i = 0; i < sizeof(cc_algos) / sizeof(cc_algos[0]); i++)
		if (id != 0 && cc_algos[i].ops->id == id)
			return cc_algos[i].ops;
	return NULL;
}

void
tq_cc_init(struct tq_cc *cc, const struct tq_cc_ops *ops, uint32_t mss,
		uint64_t now)
{
	cc->ops = ops != NULL ? ops : &tq_cc_newreno;
	cc->mss = mss != 0 ? mss : TQ_CC_MSS_DEFAULT;
	cc->ops->init(cc, now);
}

void
tq_cc_switch(struct tq_cc *cc, const struct tq_cc_ops *ops, uint64_t now)
{
	uint32_t cwnd = cc->cwnd, ssthresh = cc->ssthresh, init_cwnd;
	bool in_recovery = cc->in_recovery;

	if (ops == NULL || ops == cc->ops)
		return;
	cc->ops = ops;
	ops->init(cc, now);
	init_cwnd = cc->cwnd;
	/* a window of zero is a connection whose cc never ran: keep the
	 * new algorithm's initial one */
	if (cwnd == 0)
		return;
	if (cc->pacing_rate != 0 && init_cwnd != 0)
		cc->pacing_rate = (uint64_t)((unsigned __int128)cc->pacing_rate *
				cwnd / init_cwnd);
	cc->cwnd = cwnd;
	cc->ssthresh = ssthresh;
	cc->in_recovery = in_recovery;
}

void
tq_cc_reset(struct tq_cc *cc)
{
	uint32_t segs = cc->init_cwnd_segs;

	if (segs == 0)
		segs = TQ_CC_INIT_CWND_SEGS;
	if (cc->mss == 0)
		cc->mss = TQ_CC_MSS_DEFAULT;
	cc->cwnd = tq_cc_clamp((uint64_t)segs * cc->mss);
	/* RFC 5681 3.1: the initial ssthresh is arbitrarily high. */
	cc->ssthresh = UINT32_MAX;
	cc->bytes_acked = 0;
	cc->prior_cwnd = 0;
	cc->prior_ssthresh = UINT32_MAX;
	cc->in_recovery = false;
	cc->pacing_rate = 0;
	/* The union's state is zeroed by the init of the algorithm that
	 * uses it: BBR's is ~250 bytes a connection would clear for
	 * nothing under CUBIC or NewReno. */
}

uint32_t
tq_cc_slow_start(struct tq_cc *cc, uint32_t acked)
{
	uint64_t inc = acked;
	uint64_t room = (uint64_t)cc->ssthresh - cc->cwnd;
	uint64_t limit = 2 * (uint64_t)cc->mss;

	/*
	 * RFC 3465 2.2 (appropriate byte counting, L = 2*SMSS): grow by the
	 * bytes acked, at most two segments an ACK.  Delayed ACKs then still
	 * double cwnd each RTT, and a stretch ACK cannot open a burst.
	 *
	 * RFC 3465 2.3: after a timeout an ACK may cover data the receiver
	 * already had before the timeout, so it says little about the path;
	 * use L = 1*SMSS then.  Slow start below a finite ssthresh only
	 * happens after a timeout here (a loss sets cwnd = ssthresh).
	 */
	if (cc->ssthresh != UINT32_MAX)
		limit = cc->mss;
	if (inc > limit)
		inc = limit;
	if (inc < room) {
		cc->cwnd = tq_cc_clamp(cc->cwnd + inc);
		return 0;
	}
	/*
	 * Stop at ssthresh (RFC 5681 3.1 switches algorithms there) and let
	 * the rest of this ACK count toward congestion avoidance.
	 */
	cc->cwnd = tq_cc_clamp(cc->ssthresh);
	return (uint32_t)(acked - room);
}

bool
tq_cc_rto_repeated(const struct tq_cc *cc)
{
	/*
	 * After a timeout cwnd is one segment and any ACK of new data grows
	 * it, so a second timeout that still finds one segment means the
	 * timer-retransmitted data was not acked.  A fresh connection with a
	 * one-segment initial window has no ssthresh yet and is not counted.
	 */
	return cc->cwnd <= cc->mss && cc->ssthresh != UINT32_MAX &&
			!cc->in_recovery;
}

void
tq_cc_save_prior(struct tq_cc *cc)
{
	cc->prior_cwnd = cc->cwnd;
	cc->prior_ssthresh = cc->ssthresh;
}

bool
tq_cc_restore_prior(struct tq_cc *cc)
{
	if (cc->prior_cwnd == 0)
		return false;
	/*
	 * The reduction was spurious (RFC 5682 / RFC 4015 detection): go back
	 * to the window from before it; if cwnd has since grown past that,
	 * keep the larger.
	 */
	if (cc->cwnd < cc->prior_cwnd)
		cc->cwnd = cc->prior_cwnd;
	cc->ssthresh = cc->prior_ssthresh;
	cc->prior_cwnd = 0;
	cc->bytes_acked = 0;
	cc->in_recovery = false;
	return true;
}
