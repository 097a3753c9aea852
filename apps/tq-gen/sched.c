/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdbool.h>

#include "sched.h"

int
gen_rate_parse(const char *s, uint64_t *rate_milli)
{
	uint64_t ip = 0, fp = 0;
	unsigned int fd = 0;
	bool digits = false;

	for (; *s >= '0' && *s <= '9'; s++) {
		ip = ip * 10 + (uint64_t)(*s - '0');
		digits = true;
		if (ip > 1000000000000ull)	/* 10^12/s is far past need */
			return -EINVAL;
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++) {
			if (++fd > 3)
				return -EINVAL;
			fp = fp * 10 + (uint64_t)(*s - '0');
			digits = true;
		}
	}
	if (*s || !digits)
		return -EINVAL;
	for (; fd < 3; fd++)
		fp *= 10;
	*rate_milli = ip * GEN_RATE_SCALE + fp;
	return *rate_milli ? 0 : -EINVAL;
}

void
gen_sched_init(struct gen_sched *s, uint64_t start_ns, uint64_t rate_milli,
		uint64_t c, uint64_t n)
{
	s->start_ns = start_ns;
	s->rate_milli = rate_milli;
	s->first = c;
	s->stride = n ? n : 1;
	s->next = 0;
}

/* start + floor(j * 10^9 * 1000 / rate_milli): j up to 2^64 and the
 * factor 10^12 (< 2^40) fit 128 bits. */
uint64_t
gen_sched_at(const struct gen_sched *s, uint64_t j)
{
	unsigned __int128 t = (unsigned __int128)j * 1000000000000ull;

	return s->start_ns + (uint64_t)(t / s->rate_milli);
}

uint64_t
gen_split(uint64_t total, uint64_t n, uint64_t i, uint64_t *first)
{
	uint64_t q = total / n, r = total % n;

	if (first)
		*first = i * q + (i < r ? i : r);
	return q + (i < r);
}
