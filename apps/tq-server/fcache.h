/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_SERVER_FCACHE_H
#define TQ_SERVER_FCACHE_H

/*
 * One worker's cache of small files' mappings, shared by --http and
 * --h3 on that worker: a response of a file served before costs no
 * open, fstat, mmap, close and munmap (five syscalls, and an munmap
 * shoots down TLB entries on every core the process runs on).  A file
 * is checked again (opened and its identity compared: device, inode,
 * size, mtime) once its entry is older than FCACHE_VALID_MS, so a file
 * changed on disk is served new within that time, as nginx's
 * open_file_cache_valid does.  Only files up to FCACHE_FILE_MAX bytes
 * are kept (a big download amortises its syscalls over its megabytes
 * and is mapped per response, with its drop-behind).  No locks: each
 * worker has its own (http_service.fcache, by lcore).
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define FCACHE_FILE_MAX (1u << 20)
#define FCACHE_ENTRIES 512
#define FCACHE_VALID_MS 1000

struct http_service;
struct fcache;

/* A cached file, held by a response until fcache_put(). */
struct fcache_file {
	const void *map;	/* NULL for an empty file */
	size_t len;
	struct stat sb;
};

struct fcache_stats {
	uint64_t hits, misses, checks, stale, evictions;
	uint64_t maps, unmaps;
};

struct fcache *fcache_new(void);
/* Every file handed out must have been put back; st (may be NULL):
 * the final counts, every mapping unmapped. */
void fcache_free(struct fcache *fc, struct fcache_stats *st);
void fcache_stats(const struct fcache *fc, struct fcache_stats *st);

/*
 * Serve rel (as http_target_path() gave it; rewritten to the name
 * served, as by http_open_file()); *sb is the file's either way:
 *   0   *f is a cached mapping, held until fcache_put();
 *   1   not cached (too big, or HEAD of a file not in the cache): *fd
 *       is open and *sb filled, as http_open_file() returns them;
 *   <0  the HTTP status to answer, negated (-403, -404, -500, -503).
 * head: no mapping is made for a HEAD, but a cached one serves it.
 */
int fcache_open(struct fcache *fc, const struct http_service *h, char *rel,
		size_t cap, int head, struct fcache_file **f, int *fd,
		struct stat *sb);
void fcache_put(struct fcache *fc, struct fcache_file *f);

#endif
