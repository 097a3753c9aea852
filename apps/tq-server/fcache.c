/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-server's per-worker cache of small files' mappings (fcache.h).
 * Entries are found by the request's path through a chained hash and
 * kept in LRU order; each is referenced by the table and by every
 * response still sending from it, so an entry evicted or found stale
 * while a response uses it is unmapped only when that response ends.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "fcache.h"
#include "http.h"

#define FC_BUCKETS 1024	/* a power of two, twice FCACHE_ENTRIES */

struct fc_ent {
	struct fcache_file f;	/* first: what a response holds */
	struct fc_ent *hnext;
	struct fc_ent *prev, *next;	/* LRU, most recent first */
	uint64_t checked;	/* TSC of the last look at the file */
	uint32_t refs;		/* the table's one, and each response's */
	uint32_t hash;
	bool in_table;
	char *served;		/* the name served (a directory's index) */
	char key[];		/* the request's path */
};

struct fcache {
	struct fc_ent *bucket[FC_BUCKETS];
	struct fc_ent *head, *tail;
	unsigned int n;
	uint64_t valid_tsc;
	struct fcache_stats st;
};

static uint32_t
fc_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

struct fcache *
fcache_new(void)
{
	struct fcache *fc = calloc(1, sizeof(*fc));

	if (fc)
		fc->valid_tsc = rte_get_tsc_hz() / 1000 * FCACHE_VALID_MS;
	return fc;
}

static void
ent_destroy(struct fcache *fc, struct fc_ent *e)
{
	if (e->f.map) {
		munmap((void *)(uintptr_t)e->f.map, e->f.len);
		fc->st.unmaps++;
	}
	free(e);
}

static void
ent_unref(struct fcache *fc, struct fc_ent *e)
{
	if (--e->refs == 0)
		ent_destroy(fc, e);
}

static void
lru_unlink(struct fcache *fc, struct fc_ent *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		fc->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		fc->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_push(struct fcache *fc, struct fc_ent *e)
{
	e->prev = NULL;
	e->next = fc->head;
	if (fc->head)
		fc->head->prev = e;
	else
		fc->tail = e;
	fc->head = e;
}

/* Out of the table; freed now unless a response still holds it. */
static void
ent_remove(struct fcache *fc, struct fc_ent *e)
{
	struct fc_ent **pp = &fc->bucket[e->hash & (FC_BUCKETS - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(fc, e);
	e->in_table = false;
	fc->n--;
	ent_unref(fc, e);
}

void
fcache_free(struct fcache *fc, struct fcache_stats *st)
{
	if (!fc)
		return;
	while (fc->head)
		ent_remove(fc, fc->head);
	if (st)
		*st = fc->st;
	free(fc);
}

void
fcache_stats(const struct fcache *fc, struct fcache_stats *st)
{
	*st = fc->st;
}

static struct fc_ent *
lookup(struct fcache *fc, const char *key, uint32_t hash)
{
	struct fc_ent *e;

	for (e = fc->bucket[hash & (FC_BUCKETS - 1)]; e; e = e->hnext)
		if (e->hash == hash && strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
		a->st_size == b->st_size &&
		a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
		a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static int
hit(struct fcache *fc, struct fc_ent *e, char *rel, size_t cap,
		struct stat *sb, struct fcache_file **f)
{
	size_t n = strlen(e->served);

	if (n >= cap)
		return -404;
	memcpy(rel, e->served, n + 1);
	*sb = e->f.sb;
	lru_unlink(fc, e);
	lru_push(fc, e);
	e->refs++;
	fc->st.hits++;
	*f = &e->f;
	return 0;
}

/* A new entry for fd (closed here either way): 0 with *f, or the
 * status. */
static int
insert(struct fcache *fc, const char *key, uint32_t hash, const char *rel,
		int fd, const struct stat *sb, uint64_t now,
		struct fcache_file **f)
{
	size_t kl = strlen(key) + 1, rl = strlen(rel) + 1;
	struct fc_ent *e = malloc(sizeof(*e) + kl + rl);
	void *map = NULL;

	if (!e) {
		close(fd);
		return -503;
	}
	if (sb->st_size > 0) {
		map = mmap(NULL, (size_t)sb->st_size, PROT_READ, MAP_SHARED,
				fd, 0);
		if (map == MAP_FAILED) {
			int err = errno;

			close(fd);
			free(e);
			return err == ENOMEM ? -503 : -500;
		}
		fc->st.maps++;
	}
	close(fd);
	memset(e, 0, sizeof(*e));
	memcpy(e->key, key, kl);
	e->served = e->key + kl;
	memcpy(e->served, rel, rl);
	e->f.map = map;
	e->f.len = (size_t)sb->st_size;
	e->f.sb = *sb;
	e->hash = hash;
	e->checked = now;
	if (fc->n >= FCACHE_ENTRIES) {
		fc->st.evictions++;
		ent_remove(fc, fc->tail);
	}
	e->hnext = fc->bucket[hash & (FC_BUCKETS - 1)];
	fc->bucket[hash & (FC_BUCKETS - 1)] = e;
	lru_push(fc, e);
	e->in_table = true;
	e->refs = 2;	/* the table's and the caller's */
	fc->n++;
	*f = &e->f;
	return 0;
}

int
fcache_open(struct fcache *fc, const struct http_service *h, char *rel,
		size_t cap, int head, struct fcache_file **f, int *fd,
		struct stat *sb)
{
	char key[HTTP_REL_MAX];
	uint64_t now = rte_get_tsc_cycles();
	uint32_t hash;
	struct fc_ent *e;
	size_t kl = strlen(rel);
	int ffd;

	*f = NULL;
	*fd = -1;
	if (!fc) {
		/* no cache (out of memory at its making): as before it */
		*fd = http_open_file(h, rel, cap, sb);
		return *fd < 0 ? *fd : 1;
	}
	if (kl >= sizeof(key))
		return -404;
	hash = fc_hash(rel);
	e = lookup(fc, rel, hash);
	if (e && now - e->checked < fc->valid_tsc)
		return hit(fc, e, rel, cap, sb, f);
	/* the request's path, which the open may rewrite, is the key */
	memcpy(key, rel, kl + 1);
	*fd = http_open_file(h, rel, cap, sb);
	if (e) {
		/* older than FCACHE_VALID_MS: still the same file? */
		fc->st.checks++;
		if (*fd >= 0 && same_file(sb, &e->f.sb) &&
				strcmp(rel, e->served) == 0) {
			close(*fd);
			*fd = -1;
			e->checked = now;
			return hit(fc, e, rel, cap, sb, f);
		}
		fc->st.stale++;
		ent_remove(fc, e);
	} else {
		fc->st.misses++;
	}
	if (*fd < 0) {
		int st = *fd;

		*fd = -1;
		return st;
	}
	if (head || sb->st_size > FCACHE_FILE_MAX)
		return 1;
	ffd = *fd;
	*fd = -1;	/* insert() closes it */
	return insert(fc, key, hash, rel, ffd, sb, now, f);
}

void
fcache_put(struct fcache *fc, struct fcache_file *f)
{
	if (f)
		ent_unref(fc, (struct fc_ent *)f);
}
