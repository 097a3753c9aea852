/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tq_prom.h"

void
tq_prom_init(struct tq_prom *p)
{
	memset(p, 0, sizeof(*p));
}

void
tq_prom_free(struct tq_prom *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

static void __attribute__((format(printf, 2, 3)))
put(struct tq_prom *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->oom)
		return;
	for (;;) {
		size_t room = p->cap - p->len;

		va_start(ap, fmt);
		n = vsnprintf(p->buf ? p->buf + p->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			p->oom = true;
			return;
		}
		if ((size_t)n < room) {
			p->len += (size_t)n;
			return;
		}
		{
			size_t cap = p->cap ? p->cap * 2 : 64 * 1024;
			char *b;

			while (cap - p->len <= (size_t)n)
				cap *= 2;
			b = realloc(p->buf, cap);
			if (!b) {
				p->oom = true;
				return;
			}
			p->buf = b;
			p->cap = cap;
		}
	}
}

void
tq_prom_family(struct tq_prom *p, const char *name, const char *type,
		const char *help)
{
	const char *c;

	put(p, "# HELP %s ", name);
	/* The format escapes only backslash and newline in HELP. */
	for (c = help; *c; c++) {
		if (*c == '\\')
			put(p, "\\\\");
		else if (*c == '\n')
			put(p, "\\n");
		else
			put(p, "%c", *c);
	}
	put(p, "\n# TYPE %s %s\n", name, type);
}

void
tq_prom_u64(struct tq_prom *p, const char *name, const char *labels,
		uint64_t v)
{
	if (labels && *labels)
		put(p, "%s{%s} %" PRIu64 "\n", name, labels, v);
	else
		put(p, "%s %" PRIu64 "\n", name, v);
}

void
tq_prom_double(struct tq_prom *p, const char *name, const char *labels,
		double v)
{
	if (labels && *labels)
		put(p, "%s{%s} %.9g\n", name, labels, v);
	else
		put(p, "%s %.9g\n", name, v);
}

void
tq_prom_histogram(struct tq_prom *p, const char *name, const char *labels,
		const double *bounds, unsigned int nb, const uint64_t *count,
		double sum)
{
	const char *sep = labels && *labels ? "," : "";
	uint64_t cum = 0;
	unsigned int i;

	if (!labels)
		labels = "";
	for (i = 0; i < nb; i++) {
		cum += count[i];
		put(p, "%s_bucket{%s%sle=\"%.9g\"} %" PRIu64 "\n", name,
				labels, sep, bounds[i], cum);
	}
	cum += count[nb];
	put(p, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name, labels, sep,
			cum);
	if (*labels) {
		put(p, "%s_sum{%s} %.9g\n", name, labels, sum);
		put(p, "%s_count{%s} %" PRIu64 "\n", name, labels, cum);
	} else {
		put(p, "%s_sum %.9g\n", name, sum);
		put(p, "%s_count %" PRIu64 "\n", name, cum);
	}
}

/*
 * Prometheus names spell words out (promtool lint, and the naming
 * guide); our ids keep nstat's abbreviations.  Word by word.
 */
static const struct {
	const char *abbr, *word;
} words[] = {
	{ "PKTS", "packets" },
	{ "PKT", "packet" },
	{ "CSUM", "checksum" },
	{ "REASM", "reassembly" },
	{ "REQDS", "requested" },
	{ "REQD", "requested" },
	{ "OKS", "ok" },
	{ "FRAG", "fragment" },
	{ "REPS", "replies" },
	{ "UNREACHS", "unreachables" },
	{ "ECHOS", "echoes" },
	{ "ESTAB", "established" },
	{ "CURR", "current" },
	{ "RETRANS", "retransmitted" },
	{ "RSTS", "resets" },
	{ "RST", "reset" },
	{ "OFO", "out_of_order" },
	{ "TW", "time_wait" },
	{ "RCV", "receive" },
	{ "RCVQ", "receive_queue" },
	{ "WIN", "window" },
	{ "ERRS", "errors" },
	{ "BCAST", "broadcast" },
	{ "HDR", "header" },
	{ "ADDR", "address" },
	{ "PROTOS", "protocols" },
	{ "XMSG", "cross_worker_message" },
	{ "TCB", "connection" },
	{ "ICMPS", "icmp" },
	{ "RECV", "received" },
	{ "NEIGH", "neighbour" },
	{ "COUNT", "connections" },
};

int
tq_prom_counter_name(char *out, size_t len, const char *id, const char *help,
		bool gauge)
{
	char tok[32];
	size_t n = 0;
	const char *c = id;
	bool bytes;

#define APPEND(str) do {						\
		size_t l_ = strlen(str);				\
		if (n + l_ + 1 > len)					\
			return -ENOSPC;					\
		memcpy(out + n, str, l_);				\
		n += l_;						\
		out[n] = '\0';						\
	} while (0)

	if (len == 0)
		return -ENOSPC;
	out[0] = '\0';
	APPEND("tachyon");
	while (*c) {
		/* "us" reads as microseconds to promtool's lint. */
		if (!strncmp(c, "NOT_FOR_US", 10) && (!c[10] || c[10] == '_')) {
			APPEND("_not_ours");
			c += 10;
			while (*c == '_')
				c++;
			continue;
		}
		size_t t = 0;
		unsigned int w;
		const char *word = NULL;

		while (*c && *c != '_' && t < sizeof(tok) - 1)
			tok[t++] = *c++;
		tok[t] = '\0';
		while (*c == '_')
			c++;
		for (w = 0; w < sizeof(words) / sizeof(words[0]); w++)
			if (!strcmp(tok, words[w].abbr))
				word = words[w].word;
		APPEND("_");
		if (word) {
			APPEND(word);
		} else {
			size_t k;

			for (k = 0; k < t; k++)
				tok[k] = (char)tolower((unsigned char)tok[k]);
			APPEND(tok);
		}
	}
	/* Base units in the name: bytes when that is what it counts. */
	bytes = help && !strncmp(help, "bytes ", 6);
	if (bytes && !strstr(out, "_bytes"))
		APPEND("_bytes");
	if (!gauge)
		APPEND("_total");
#undef APPEND
	return (int)n;
}

void
tq_prom_sanitize(char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			*s = '_';
}
