/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Small blocks for HTTP/3 sessions: the records of each exchange (the
 * exchange, its received head, its frame queue), from per-thread free
 * lists by size class, 32 B to 8 KiB.  With glibc a request on a
 * keep-alive connection took a dozen blocks and gave them back, some of
 * them past its per-thread cache, at 100 to 300 instructions a pair; a
 * free list takes a few dozen (bench/quic/cost.sh, docs/http3.md).
 * Besides them one scratch buffer a thread, for decoding a field section
 * before its strings are copied into the exchange's own block.
 *
 * A thread keeps at most H3_MEM_KEEP bytes on its lists and lets all of
 * them go when its last session ends, so an idle worker holds nothing.
 * A block freed on another thread than the one that took it joins that
 * thread's lists: it is plain malloc memory either way.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http3/tq_h3_priv.h"

#define H3_MEM_MIN_SHIFT	5			/* 32 B */
#define H3_MEM_CLASSES		9			/* 32 B .. 8 KiB */
#define H3_MEM_LARGE		UINT32_MAX		/* straight to malloc */
#define H3_MEM_KEEP		(1u << 20)

/* In front of every block: what was asked (for the session's accounting)
 * and its class; 16 bytes keep the payload as aligned as malloc's. */
struct h3_mhdr {
	uint32_t cls;
	uint32_t pad;
	size_t size;
};

struct h3_blk {
	struct h3_blk *next;
};

struct h3_mem_cache {
	struct h3_blk *free[H3_MEM_CLASSES];
	size_t kept;
	unsigned int sessions;
	void *scratch;
	size_t scratch_size;
};

static __thread struct h3_mem_cache cache;

static uint32_t
size_class(size_t total)
{
	unsigned int shift;

	if (total > ((size_t)1 << (H3_MEM_MIN_SHIFT + H3_MEM_CLASSES - 1)))
		return H3_MEM_LARGE;
	if (total <= ((size_t)1 << H3_MEM_MIN_SHIFT))
		return 0;
	/* the smallest power of two that holds total */
	shift = 64 - (unsigned int)__builtin_clzll((unsigned long long)
			(total - 1));
	return shift - H3_MEM_MIN_SHIFT;
}

static size_t
class_bytes(uint32_t cls)
{
	return (size_t)1 << (cls + H3_MEM_MIN_SHIFT);
}

void *
tq_h3_mem_alloc(size_t size)
{
	size_t total = sizeof(struct h3_mhdr) + size;
	uint32_t cls;
	struct h3_mhdr *m;

	if (total < size)
		return NULL;
	cls = size_class(total);
	if (cls != H3_MEM_LARGE && cache.free[cls]) {
		m = (struct h3_mhdr *)cache.free[cls];
		cache.free[cls] = cache.free[cls]->next;
		cache.kept -= class_bytes(cls);
	} else {
		m = malloc(cls == H3_MEM_LARGE ? total : class_bytes(cls));
		if (!m)
			return NULL;

	}
	m->cls = cls;
	m->size = size;
	return m + 1;
}

void *
tq_h3_mem_zalloc(size_t size)
{
	void *p = tq_h3_mem_alloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}

size_t
tq_h3_mem_size(const void *p)
{
	return ((const struct h3_mhdr *)p - 1)->size;
}

void
tq_h3_mem_free(void *p)
{
	struct h3_mhdr *m;
	struct h3_blk *b;
	uint32_t cls;

	if (!p)
		return;
	m = (struct h3_mhdr *)p - 1;
	if (m->cls == H3_MEM_LARGE ||
			cache.kept + class_bytes(m->cls) > H3_MEM_KEEP) {
		free(m);
		return;
	}
	cls = m->cls;	/* the link goes over it */
	b = (struct h3_blk *)m;
	b->next = cache.free[cls];
	cache.free[cls] = b;
	cache.kept += class_bytes(cls);
}

void
tq_h3_mem_session(int delta)
{
	unsigned int i;

	cache.sessions += (unsigned int)delta;
	if (cache.sessions)
		return;
	for (i = 0; i < H3_MEM_CLASSES; i++) {
		while (cache.free[i]) {
			struct h3_blk *b = cache.free[i];

			cache.free[i] = b->next;
			free(b);
		}
	}
	cache.kept = 0;
	free(cache.scratch);
	cache.scratch = NULL;
	cache.scratch_size = 0;
}

void *
tq_h3_scratch(size_t size)
{
	void *p;

	if (size <= cache.scratch_size)
		return cache.scratch;
	p = malloc(size);
	if (!p)
		return NULL;
	free(cache.scratch);
	cache.scratch = p;
	cache.scratch_size = size;
	return p;
}

size_t
tq_h3_mem_kept(void)
{
	return cache.kept;
}
