/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_HTTP_PRIV_H
#define TQ_HTTP_PRIV_H

#include <stdint.h>

/* Character classes shared by the parser and the writer. */
extern const uint8_t tq_http_tchar[256]; /* RFC 9110 5.6.2 tchar */
extern const uint8_t tq_http_vchar[256]; /* field-value octets */

#define HTTP_MIN(a, b) ((a) < (b) ? (a) : (b))

#endif
