/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * qlog files (draft-ietf-quic-qlog-main-schema-05 / quic-events-05,
 * JSON-SEQ), as qvis reads them.  See tq_quic_qlog.h for the cost.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "quic/tq_quic_qlog.h"

#define QLOG_BUF (64 * 1024)

struct tq_quic_qlog {
	FILE *f;
	uint64_t t0;
	uint64_t last;
	char *buf;
};

static void
hex(char *out, const uint8_t *p, size_t n)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int
tq_quic_qlog_open(const char *dir, bool is_server,
		const struct tq_quic_cid *odcid, uint64_t now,
		struct tq_quic_qlog **out)
{
	struct tq_quic_qlog *q;
	struct timespec ts;
	char id[2 * TQ_QUIC_CID_MAX + 1], path[4096];
	const char *vp = is_server ? "server" : "client";
	int n;

	*out = NULL;
	if (!dir || !*dir || odcid->len > TQ_QUIC_CID_MAX)
		return -EINVAL;
	hex(id, odcid->id, odcid->len);
	n = snprintf(path, sizeof(path), "%s/%s_%s.sqlog", dir, id, vp);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->buf = malloc(QLOG_BUF);
	if (!q->buf) {
		free(q);
		return -ENOMEM;
	}
	q->f = fopen(path, "w");
	if (!q->f) {
		n = -errno;
		free(q->buf);
		free(q);
		return n;
	}
	setvbuf(q->f, q->buf, _IOFBF, QLOG_BUF);
	q->t0 = now;
	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(q->f, "\x1e{\"qlog_version\":\"0.3\","
		"\"qlog_format\":\"JSON-SEQ\","
		"\"title\":\"tachyon %s\",\"trace\":{\"vantage_point\":"
		"{\"name\":\"tachyon\",\"type\":\"%s\"},\"common_fields\":"
		"{\"ODCID\":\"%s\",\"group_id\":\"%s\",\"protocol_type\":"
		"[\"QUIC\"],\"time_format\":\"relative\",\"reference_time\":"
		"%.3f}}}\n", vp, vp, id, id,
		(double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6);
	*out = q;
	return 0;
}

void
tq_quic_qlog_close(struct tq_quic_qlog *q)
{
	if (!q)
		return;
	fclose(q->f);
	free(q->buf);
	free(q);
}

static void
head(struct tq_quic_qlog *q, uint64_t now, const char *name)
{
	/* times never go back, whatever the caller's clock did (qvis
	 * draws them in order) */
	uint64_t t = now > q->t0 ? now - q->t0 : 0;

	if (t < q->last)
		t = q->last;
	q->last = t;

	fprintf(q->f, "\x1e{\"time\":%.6f,\"name\":\"%s\",\"data\":{",
			(double)t / 1e6, name);
}

void
tq_quic_qlog_event(struct tq_quic_qlog *q, uint64_t now, const char *name,
		const char *fmt, ...)
{
	va_list ap;

	head(q, now, name);
	va_start(ap, fmt);
	vfprintf(q->f, fmt, ap);
	va_end(ap);
	fputs("}}\n", q->f);
}

const char *
tq_quic_qlog_pkt_type(enum tq_quic_pkt_type type)
{
	switch (type) {
	case TQ_QUIC_PKT_INITIAL:
		return "initial";
	case TQ_QUIC_PKT_0RTT:
		return "0RTT";
	case TQ_QUIC_PKT_HANDSHAKE:
		return "handshake";
	case TQ_QUIC_PKT_RETRY:
		return "retry";
	case TQ_QUIC_PKT_VN:
		return "version_negotiation";
	case TQ_QUIC_PKT_1RTT:
		return "1RTT";
	default:
		return "unknown";
	}
}

#define U(x) ((unsigned long long)(x))

static void
frame(FILE *f, const struct tq_quic_frame *fr)
{
	struct tq_quic_ack_iter it;
	struct tq_quic_ack_range r;
	bool first = true;
	uint64_t t = fr->type;

	if (TQ_QUIC_FT_IS_STREAM(t)) {
		fprintf(f, "{\"frame_type\":\"stream\",\"stream_id\":%llu,"
				"\"offset\":%llu,\"length\":%llu,\"fin\":%s}",
				U(fr->stream.id), U(fr->stream.offset),
				U(fr->stream.len), fr->stream.fin ?
				"true" : "false");
		return;
	}
	switch (t) {
	case TQ_QUIC_FT_PADDING:
		fprintf(f, "{\"frame_type\":\"padding\",\"length\":%llu}",
				U(fr->padding.len));
		break;
	case TQ_QUIC_FT_PING:
		fputs("{\"frame_type\":\"ping\"}", f);
		break;
	case TQ_QUIC_FT_ACK:
	case TQ_QUIC_FT_ACK_ECN:
		fprintf(f, "{\"frame_type\":\"ack\",\"ack_delay\":%llu,"
				"\"acked_ranges\":[", U(fr->ack.delay));
		tq_quic_ack_iter_init(&it, &fr->ack);
		while (tq_quic_ack_iter_next(&it, &r)) {
			fprintf(f, "%s[%llu,%llu]", first ? "" : ",",
					U(r.smallest), U(r.largest));
			first = false;
		}
		fputs("]}", f);
		break;
	case TQ_QUIC_FT_RESET_STREAM:
		fprintf(f, "{\"frame_type\":\"reset_stream\",\"stream_id\":"
				"%llu,\"error_code\":%llu,\"final_size\":%llu}",
				U(fr->reset_stream.id),
				U(fr->reset_stream.app_err),
				U(fr->reset_stream.final_size));
		break;
	case TQ_QUIC_FT_STOP_SENDING:
		fprintf(f, "{\"frame_type\":\"stop_sending\",\"stream_id\":"
				"%llu,\"error_code\":%llu}",
				U(fr->stop_sending.id),
				U(fr->stop_sending.app_err));
		break;
	case TQ_QUIC_FT_CRYPTO:
		fprintf(f, "{\"frame_type\":\"crypto\",\"offset\":%llu,"
				"\"length\":%llu}", U(fr->crypto.offset),
				U(fr->crypto.len));
		break;
	case TQ_QUIC_FT_NEW_TOKEN:
		fprintf(f, "{\"frame_type\":\"new_token\",\"token\":"
				"{\"length\":%llu}}", U(fr->new_token.len));
		break;
	case TQ_QUIC_FT_MAX_DATA:
		fprintf(f, "{\"frame_type\":\"max_data\",\"maximum\":%llu}",
				U(fr->max_data.max));
		break;
	case TQ_QUIC_FT_MAX_STREAM_DATA:
		fprintf(f, "{\"frame_type\":\"max_stream_data\",\"stream_id\":"
				"%llu,\"maximum\":%llu}",
				U(fr->max_stream_data.id),
				U(fr->max_stream_data.max));
		break;
	case TQ_QUIC_FT_MAX_STREAMS_BIDI:
	case TQ_QUIC_FT_MAX_STREAMS_UNI:
		fprintf(f, "{\"frame_type\":\"max_streams\",\"stream_type\":"
				"\"%s\",\"maximum\":%llu}",
				t == TQ_QUIC_FT_MAX_STREAMS_UNI ?
				"unidirectional" : "bidirectional",
				U(fr->max_data.max));
		break;
	case TQ_QUIC_FT_DATA_BLOCKED:
		fprintf(f, "{\"frame_type\":\"data_blocked\",\"limit\":%llu}",
				U(fr->blocked.limit));
		break;
	case TQ_QUIC_FT_STREAM_DATA_BLOCKED:
		fprintf(f, "{\"frame_type\":\"stream_data_blocked\","
				"\"stream_id\":%llu,\"limit\":%llu}",
				U(fr->stream_data_blocked.id),
				U(fr->stream_data_blocked.limit));
		break;
	case TQ_QUIC_FT_STREAMS_BLOCKED_BIDI:
	case TQ_QUIC_FT_STREAMS_BLOCKED_UNI:
		fprintf(f, "{\"frame_type\":\"streams_blocked\","
				"\"stream_type\":\"%s\",\"limit\":%llu}",
				t == TQ_QUIC_FT_STREAMS_BLOCKED_UNI ?
				"unidirectional" : "bidirectional",
				U(fr->blocked.limit));
		break;
	case TQ_QUIC_FT_NEW_CONNECTION_ID:
		fprintf(f, "{\"frame_type\":\"new_connection_id\","
				"\"sequence_number\":%llu,\"retire_prior_to\":"
				"%llu,\"connection_id_length\":%u}",
				U(fr->new_cid.seq),
				U(fr->new_cid.retire_prior_to),
				fr->new_cid.cid_len);
		break;
	case TQ_QUIC_FT_RETIRE_CONNECTION_ID:
		fprintf(f, "{\"frame_type\":\"retire_connection_id\","
				"\"sequence_number\":%llu}",
				U(fr->retire_cid.seq));
		break;
	case TQ_QUIC_FT_PATH_CHALLENGE:
	case TQ_QUIC_FT_PATH_RESPONSE:
		fprintf(f, "{\"frame_type\":\"%s\"}",
				t == TQ_QUIC_FT_PATH_CHALLENGE ?
				"path_challenge" : "path_response");
		break;
	case TQ_QUIC_FT_CONNECTION_CLOSE:
	case TQ_QUIC_FT_CONNECTION_CLOSE_APP:
		fprintf(f, "{\"frame_type\":\"connection_close\","
				"\"error_space\":\"%s\","
				"\"raw_error_code\":%llu}",
				t == TQ_QUIC_FT_CONNECTION_CLOSE_APP ?
				"application" : "transport",
				U(fr->close.error));
		break;
	case TQ_QUIC_FT_HANDSHAKE_DONE:
		fputs("{\"frame_type\":\"handshake_done\"}", f);
		break;
	default:
		fprintf(f, "{\"frame_type\":\"unknown\",\"raw_frame_type\":"
				"%llu}", U(t));
		break;
	}
}

void
tq_quic_qlog_packet(struct tq_quic_qlog *q, uint64_t now, bool sent,
		enum tq_quic_pkt_type type, uint64_t pn, const uint8_t *payload,
		size_t len, size_t size)
{
	struct tq_quic_frame fr;
	struct tq_quic_rd rd;
	bool first = true;

	head(q, now, sent ? "transport:packet_sent" :
			"transport:packet_received");
	fprintf(q->f, "\"header\":{\"packet_type\":\"%s\","
			"\"packet_number\":%llu},\"raw\":{\"length\":%llu},"
			"\"frames\":[", tq_quic_qlog_pkt_type(type), U(pn),
			U(size));
	tq_quic_rd_init(&rd, payload, len);
	while (tq_quic_rd_left(&rd)) {
		/* what decoding refuses ends the list: the connection
		 * closes for it anyway */
		if (tq_quic_frame_decode(&rd, type, &fr) != TQ_QUIC_NO_ERROR)
			break;
		if (!first)
			fputc(',', q->f);
		frame(q->f, &fr);
		first = false;
	}
	fputs("]}}\n", q->f);
}
