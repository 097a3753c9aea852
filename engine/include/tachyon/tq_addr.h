/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_ADDR_H
#define TQ_ADDR_H

/**
 * @file
 * IPv4 and IPv6 addresses as one value type, in network byte order.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/** An IPv4 or IPv6 address; family is AF_INET or AF_INET6. */
struct tq_addr {
	uint8_t family;
	uint8_t pad[3];
	union {
		uint32_t v4; /**< network byte order */
		uint8_t v6[16];
	};
};

/** Longest text form tq_addr_format() writes, with the NUL. */
#define TQ_ADDR_STRLEN 46

/**
 * Parse "192.0.2.1" or "2001:db8::1".
 * @return 0, or -EINVAL if the text is neither.
 */
int tq_addr_parse(const char *s, struct tq_addr *a);

/**
 * Parse "ADDR/PREFIX"; without "/PREFIX" the prefix is the full length.
 * @return 0, or -EINVAL for a bad address or a prefix out of range.
 */
int tq_prefix_parse(const char *s, struct tq_addr *a, uint8_t *plen);

/**
 * Parse an endpoint: "192.0.2.1:80" or "[2001:db8::1]:80" (an IPv6
 * address needs its brackets, as in a URL).  The port is 1-65535.
 * @return 0, or -EINVAL.
 */
int tq_endpoint_parse(const char *s, struct tq_addr *a, uint16_t *port);

/**
 * Parse a port number, 1-65535, the whole string.
 * @return 0, or -EINVAL.
 */
int tq_port_parse(const char *s, uint16_t *port);

/** Write the text form into buf; returns buf. */
const char *tq_addr_format(const struct tq_addr *a, char *buf, size_t len);

/** True when both have the same family and bits. */
bool tq_addr_equal(const struct tq_addr *a, const struct tq_addr *b);

/** True when a and b agree in their first plen bits (same family). */
bool tq_addr_same_prefix(const struct tq_addr *a, const struct tq_addr *b,
		uint8_t plen);

/** The unspecified address of a family (0.0.0.0 or ::). */
bool tq_addr_is_any(const struct tq_addr *a);

static inline struct tq_addr
tq_addr_v4(uint32_t be)
{
	struct tq_addr a = { .family = AF_INET };

	a.v4 = be;
	return a;
}

#endif
