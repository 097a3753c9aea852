/* SPDX-License-Identifier: BSD-3-Clause */
#include <tachyon/tq_addr.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
tq_addr_parse(const char *s, struct tq_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->v4) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->v6) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

int
tq_port_parse(const char *s, uint16_t *port)
{
	unsigned long p;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	p = strtoul(s, &end, 10);
	if (errno || *end != '\0' || p < 1 || p > 65535)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

int
tq_endpoint_parse(const char *s, struct tq_addr *a, uint16_t *port)
{
	char buf[64];
	const char *host = s, *colon;
	size_t n;

	if (*s == '[') {
		colon = strstr(s, "]:");
		if (!colon)
			return -EINVAL;
		host = s + 1;
		n = (size_t)(colon - host);
		colon++;
	} else {
		colon = strchr(s, ':');
		/* A second colon: an IPv6 address without brackets. */
		if (!colon || strchr(colon + 1, ':'))
			return -EINVAL;
		n = (size_t)(colon - s);
	}
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, host, n);
	buf[n] = '\0';
	if (tq_addr_parse(buf, a) < 0)
		return -EINVAL;
	/* Brackets are for IPv6 only, as in a URL. */
	if ((*s == '[') != (a->family == AF_INET6))
		return -EINVAL;
	return tq_port_parse(colon + 1, port);
}

int
tq_prefix_parse(const char *s, struct tq_addr *a, uint8_t *plen)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long p;
	char *end;

	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (tq_addr_parse(buf, a) < 0)
		return -EINVAL;
	if (!slash) {
		*plen = a->family == AF_INET ? 32 : 128;
		return 0;
	}
	if (slash[1] == '\0')
		return -EINVAL;
	errno = 0;
	p = strtoul(slash + 1, &end, 10);
	if (errno || *end || p > (a->family == AF_INET ? 32u : 128u))
		return -EINVAL;
	*plen = (uint8_t)p;
	return 0;
}

const char *
tq_addr_format(const struct tq_addr *a, char *buf, size_t len)
{
	if (a->family == AF_INET)
		inet_ntop(AF_INET, &a->v4, buf, (socklen_t)len);
	else if (a->family == AF_INET6)
		inet_ntop(AF_INET6, a->v6, buf, (socklen_t)len);
	else
		snprintf(buf, len, "*");
	return buf;
}

bool
tq_addr_equal(const struct tq_addr *a, const struct tq_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->v4 == b->v4;
	return memcmp(a->v6, b->v6, 16) == 0;
}

bool
tq_addr_same_prefix(const struct tq_addr *a, const struct tq_addr *b,
		uint8_t plen)
{
	const uint8_t *x, *y;
	unsigned int full, rest;

	if (a->family != b->family)
		return false;
	if (a->family == AF_INET) {
		x = (const uint8_t *)&a->v4;
		y = (const uint8_t *)&b->v4;
		if (plen > 32)
			plen = 32;
	} else {
		x = a->v6;
		y = b->v6;
		if (plen > 128)
			plen = 128;
	}
	full = plen / 8;
	rest = plen % 8;
	if (memcmp(x, y, full))
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		return (x[full] & mask) == (y[full] & mask);
	}
	return true;
}

bool
tq_addr_is_any(const struct tq_addr *a)
{
	static const uint8_t zero[16];

	if (a->family == AF_INET)
		return a->v4 == 0;
	if (a->family == AF_INET6)
		return memcmp(a->v6, zero, 16) == 0;
	return true;
}
