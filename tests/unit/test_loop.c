/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq_loop, through the public headers only (as bench/tcp/stack_bench
 * uses it): two stacks over the in-memory link, an echo by splice on one
 * side, a client on the other, bytes back exactly as sent.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include <tachyon/tq_loop.h>
#include <tachyon/tq_tcp.h>
#include <tachyon/tq_worker.h>

#define TOTAL (1u << 20)

static struct tq_loop *loop;
static uint8_t out[TOTAL], in[TOTAL];
static uint32_t sent, got;
static bool cli_closed, srv_accepted;

static void
echo(struct tq_stream *st, void *ctx)
{
	tq_stream_splice(st, st, UINT32_MAX);
}

static const struct tq_stream_ops echo_ops = {
	.readable = echo,
	.writable = echo,
};

static void
on_accept(struct tq_shard *s, struct tq_listener *l, void *arg)
{
	struct tq_stream *st;

	assert_ptr_equal(s, tq_loop_shard(loop, 1));
	while ((st = tq_tcp_accept(l, &echo_ops, NULL)) != NULL) {
		srv_accepted = true;
		echo(st, NULL);
	}
}

static void
cli_send(struct tq_stream *st, void *ctx)
{
	int n;

	while (sent < TOTAL &&
			(n = tq_stream_write(st, out + sent, TOTAL - sent)) > 0)
		sent += (uint32_t)n;
	if (sent == TOTAL)
		tq_stream_shutdown(st);
}

static void
cli_read(struct tq_stream *st, void *ctx)
{
	int n;

	while ((n = tq_stream_read(st, in + got, TOTAL - got)) > 0)
		got += (uint32_t)n;
	if (n == 0)
		tq_stream_close(st);
}

static void
cli_closed_cb(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	assert_int_equal(why, TQ_CLOSE_NORMAL);
	cli_closed = true;
}

static const struct tq_stream_ops cli_ops = {
	.connected = cli_send,
	.writable = cli_send,
	.readable = cli_read,
	.closed = cli_closed_cb,
};

static void
echo_through_loop(void **state)
{
	struct tq_shard *c = tq_loop_shard(loop, 0), *srv = tq_loop_shard(loop, 1);
	struct tq_addr dst = tq_loop_addr(loop, 1);
	struct tq_stream *st;
	unsigned int i;
	int err;

	for (i = 0; i < TOTAL; i++)
		out[i] = (uint8_t)(i * 7 + (i >> 9));
	assert_int_equal(tq_loop_listen(loop, 1, 7, 16, on_accept, NULL), 0);
	assert_int_equal(tq_loop_listen(loop, 1, 7, 16, on_accept, NULL),
			-EADDRINUSE);
	assert_int_equal(tq_loop_listen(loop, 2, 8, 16, on_accept, NULL),
			-EINVAL);
	st = tq_tcp_connect(c, &dst, 7, NULL, 0, &cli_ops, NULL, &err);
	assert_non_null(st);
	for (i = 0; i < 2000000 && !cli_closed; i++)
		tq_loop_poll(loop);
	assert_true(srv_accepted);
	assert_true(cli_closed);
	assert_int_equal(got, TOTAL);
	assert_memory_equal(in, out, TOTAL);
	assert_true(tq_shard_counter(srv, TQ_CTR_TCP_IN_SEGS) >= TOTAL / 1460);
	assert_true(tq_shard_counter(srv, TQ_CTR_STREAM_SPLICED) >= TOTAL);
	assert_int_equal(tq_shard_counter(srv, TQ_CTR_MAX), 0);
}

int
main(void)
{
	char *eal[] = { "test_loop", "--no-huge", "--no-pci", "--no-shconf",
		"-m", "256", "-l", "0", "--no-telemetry", "--log-level", "4",
		"--file-prefix", "tqtestloop", NULL };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(echo_through_loop),
	};
	struct tq_loop_conf conf = { .mbufs = 16383 };
	int ret;

	if (tq_loop_create((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal,
			&conf, &loop) < 0)
		return 1;
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	tq_loop_destroy(loop);
	return ret;
}
