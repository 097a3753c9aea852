/* SPDX-License-Identifier: BSD-3-Clause */
#include "tq_fault.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>

static int
parse_prob(const char *v, double *out)
{
	char *end;
	double p;

	errno = 0;
	p = strtod(v, &end);
	if (errno || end == v || *end || !(p >= 0.0 && p <= 1.0))
		return -EINVAL;
	*out = p;
	return 0;
}

static int
parse_u64(const char *v, uint64_t *out)
{
	char *end;
	unsigned long long x;

	/* strtoull skips blanks and takes a sign, so " -1" would wrap to
	 * 2^64 - 1: only digits may start the value. */
	if (!isdigit((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*out = x;
	return 0;
}

int
tq_fault_set_item(struct tq_fault_spec *spec, const char *key, const char *v)
{
	uint64_t x;

	if (!strcmp(key, "drop"))
		return parse_prob(v, &spec->drop);
	if (!strcmp(key, "dup"))
		return parse_prob(v, &spec->dup);
	if (!strcmp(key, "reorder"))
		return parse_prob(v, &spec->reorder);
	if (!strcmp(key, "corrupt"))
		return parse_prob(v, &spec->corrupt);
	if (!strcmp(key, "seed"))
		return parse_u64(v, &spec->seed);
	if (!strcmp(key, "delay")) {
		/* 10 s is far past any test and keeps due times in range */
		if (parse_u64(v, &x) || x > 10000000)
			return -EINVAL;
		spec->delay_us = (uint32_t)x;
		return 0;
	}
	if (!strcmp(key, "dir")) {
		if (!strcmp(v, "rx"))
			spec->dir = TQ_FAULT_RX;
		else if (!strcmp(v, "tx"))
			spec->dir = TQ_FAULT_TX;
		else if (!strcmp(v, "both"))
			spec->dir = TQ_FAULT_RX | TQ_FAULT_TX;
		else
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

static int
parse_item(char *item, struct tq_fault_spec *spec)
{
	char *eq = strchr(item, '=');

	if (!eq)
		return -EINVAL;
	*eq = '\0';
	return tq_fault_set_item(spec, item, eq + 1);
}

int
tq_fault_format(const struct tq_fault_spec *spec, char *buf, size_t len)
{
	static const char *const dirs[] = { "none", "rx", "tx", "both" };

	return snprintf(buf, len,
		"drop=%g,dup=%g,reorder=%g,corrupt=%g,delay=%u,seed=%" PRIu64
		",dir=%s", spec->drop, spec->dup, spec->reorder, spec->corrupt,
		spec->delay_us, spec->seed, dirs[spec->dir & 3]);
}

int
tq_fault_parse(const char *s, struct tq_fault_spec *spec, const char **bad)
{
	char buf[256];
	char *save = NULL, *item;
	size_t off;

	memset(spec, 0, sizeof(*spec));
	spec->seed = 1;
	spec->dir = TQ_FAULT_RX | TQ_FAULT_TX;
	if (strlen(s) >= sizeof(buf)) {
		*bad = s;
		return -EINVAL;
	}
	strcpy(buf, s);
	for (item = strtok_r(buf, ",", &save); item;
			item = strtok_r(NULL, ",", &save)) {
		off = (size_t)(item - buf);
		if (parse_item(item, spec) < 0) {
			*bad = s + off;
			return -EINVAL;
		}
	}
	return 0;
}

void
tq_fault_spec_off(struct tq_fault_spec *spec)
{
	spec->drop = spec->dup = spec->reorder = spec->corrupt = 0;
	spec->delay_us = 0;
}

bool
tq_fault_active(const struct tq_fault_spec *spec)
{
	return spec->drop > 0 || spec->dup > 0 || spec->reorder > 0 ||
		spec->corrupt > 0 || spec->delay_us > 0;
}

static uint64_t
scale(double p)
{
	if (p >= 1.0)
		return UINT64_MAX;
	return (uint64_t)ldexp(p, 64);
}

/* splitmix64: small, fast, and good enough to pick frames. */
static uint64_t
next_rand(struct tq_fault *f)
{
	uint64_t z = (f->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static bool
chance(struct tq_fault *f, uint64_t p)
{
	/* Draw even when p is 0 so one knob does not shift the others. */
	uint64_t r = next_rand(f);

	return p && r < p;
}

static void
set_spec(struct tq_fault *f, const struct tq_fault_spec *spec)
{
	f->spec = *spec;
	f->p_drop = scale(spec->drop);
	f->p_dup = scale(spec->dup);
	f->p_reorder = scale(spec->reorder);
	f->p_corrupt = scale(spec->corrupt);
}

int
tq_fault_init(struct tq_fault *f, const struct tq_fault_spec *spec,
		uint64_t stream, struct rte_mempool *pool, int socket)
{
	memset(f, 0, sizeof(*f));
	set_spec(f, spec);
	f->stream = stream;
	f->rng = spec->seed * 0x100000001b3ull + stream * 0x9e3779b97f4a7c15ull;
	f->pool = pool;
	/* Always: a live setting may add a delay later, on the worker,
	 * which must not allocate. */
	f->dq = rte_zmalloc_socket("tq_fault_dq",
			sizeof(*f->dq) * TQ_FAULT_DELAY_CAP, 0, socket);
	if (!f->dq)
		return -ENOMEM;
	return 0;
}

void
tq_fault_respec(struct tq_fault *f, const struct tq_fault_spec *spec)
{
	if (spec->seed != f->spec.seed)
		f->rng = spec->seed * 0x100000001b3ull +
			f->stream * 0x9e3779b97f4a7c15ull;
	set_spec(f, spec);
}

bool
tq_fault_idle(const struct tq_fault *f)
{
	return !tq_fault_active(&f->spec) && !tq_fault_pending(f);
}

void
tq_fault_fini(struct tq_fault *f)
{
	if (f->held)
		rte_pktmbuf_free(f->held);
	f->held = NULL;
	if (f->dq) {
		while (f->dq_len) {
			rte_pktmbuf_free(f->dq[f->dq_head].m);
			f->dq_head = (f->dq_head + 1) % TQ_FAULT_DELAY_CAP;
			f->dq_len--;
		}
		rte_free(f->dq);
		f->dq = NULL;
	}
}

unsigned int
tq_fault_pending(const struct tq_fault *f)
{
	return f->dq_len + (f->held != NULL);
}

static void
corrupt(struct tq_fault *f, struct rte_mbuf **mp)
{
	struct rte_mbuf *m = *mp, *seg;
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint32_t abs_off, off;
	uint8_t bit;

	/* Past the Ethernet header, so checksums rather than MAC filtering
	 * catch it. */
	if (len <= RTE_ETHER_HDR_LEN)
		return;
	abs_off = RTE_ETHER_HDR_LEN +
		(uint32_t)(next_rand(f) % (len - RTE_ETHER_HDR_LEN));
	bit = (uint8_t)(1u << (next_rand(f) & 7));
	for (seg = m, off = abs_off; seg && off >= seg->data_len;
			seg = seg->next)
		off -= seg->data_len;
	if (!seg)
		return;
	/*
	 * The wire is what gets damaged, not the sender's memory: when the
	 * byte sits in a buffer shared with someone else (TCP's send queue
	 * behind an indirect mbuf, a clone), damage a private copy of the
	 * frame, or a retransmission would carry it with a valid checksum.
	 */
	if (!RTE_MBUF_DIRECT(seg) || rte_mbuf_refcnt_read(seg) > 1) {
		struct rte_mbuf *copy = f->pool ?
			rte_pktmbuf_copy(m, f->pool, 0, UINT32_MAX) : NULL;

		if (!copy)
			return; /* no memory: the frame stays intact */
		rte_pktmbuf_free(m);
		*mp = m = copy;
		for (seg = m, off = abs_off; seg && off >= seg->data_len;
				seg = seg->next)
			off -= seg->data_len;
		if (!seg)
			return;
	}
	*rte_pktmbuf_mtod_offset(seg, uint8_t *, off) ^= bit;
	/*
	 * Damage on the wire comes after the sender's NIC has filled the
	 * checksums and before the receiver's checks them: a frame leaving
	 * with an offload request goes as is (its checksums left partial,
	 * so they fail), and one arriving already vouched for is checked
	 * again in software.
	 */
	m->ol_flags &= ~(RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK |
			RTE_MBUF_F_RX_IP_CKSUM_MASK |
			RTE_MBUF_F_RX_L4_CKSUM_MASK);
}

/* Last stage: straight out, or through the delay queue. */
static void
emit(struct tq_fault *f, struct rte_mbuf *m, struct rte_mbuf **out,
		uint16_t cap, uint16_t *nout, uint64_t now)
{
	/* Behind frames still queued from an earlier delay, too, so a
	 * live change never reorders. */
	if (f->spec.delay_us || f->dq_len) {
		if (f->dq_len == TQ_FAULT_DELAY_CAP) {
			rte_pktmbuf_free(m);
			f->st.dropped++;
			return;
		}
		uint32_t tail = (f->dq_head + f->dq_len) % TQ_FAULT_DELAY_CAP;

		f->dq[tail].m = m;
		f->dq[tail].due = now + (uint64_t)f->spec.delay_us * 1000;
		f->dq_len++;
		f->st.delayed++;
		return;
	}
	if (*nout < cap) {
		out[(*nout)++] = m;
	} else {
		/* Caller's array is full: count it as an injected drop. */
		rte_pktmbuf_free(m);
		f->st.dropped++;
	}
}

/* Reorder stage: hold one frame and let the next overtake it. */
static void
reorder_stage(struct tq_fault *f, struct rte_mbuf *m, struct rte_mbuf **out,
		uint16_t cap, uint16_t *nout, uint64_t now)
{
	if (!f->held && chance(f, f->p_reorder)) {
		f->held = m;
		f->held_since = now;
		return;
	}
	emit(f, m, out, cap, nout, now);
	if (f->held) {
		emit(f, f->held, out, cap, nout, now);
		f->held = NULL;
		f->st.reordered++;
	}
}

uint16_t
tq_fault_apply(struct tq_fault *f, struct rte_mbuf **in, uint16_t n,
		struct rte_mbuf **out, uint16_t cap, uint64_t now)
{
	uint16_t nout = 0;
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = in[i];
		struct rte_mbuf *copy = NULL;

		if (chance(f, f->p_drop)) {
			rte_pktmbuf_free(m);
			f->st.dropped++;
			continue;
		}
		if (chance(f, f->p_corrupt)) {
			corrupt(f, &m);
			f->st.corrupted++;
		}
		if (chance(f, f->p_dup) && f->pool) {
			copy = rte_pktmbuf_copy(m, f->pool, 0, UINT32_MAX);
			if (copy)
				f->st.duplicated++;
		}
		reorder_stage(f, m, out, cap, &nout, now);
		if (copy)
			reorder_stage(f, copy, out, cap, &nout, now);
	}
	/* A held frame with nothing behind it must not wait forever. */
	if (f->held && now - f->held_since >= TQ_FAULT_REORDER_NS) {
		struct rte_mbuf *m = f->held;

		f->held = NULL;
		emit(f, m, out, cap, &nout, now);
	}
	while (f->dq_len && f->dq[f->dq_head].due <= now && nout < cap) {
		out[nout++] = f->dq[f->dq_head].m;
		f->dq_head = (f->dq_head + 1) % TQ_FAULT_DELAY_CAP;
		f->dq_len--;
	}
	return nout;
}
