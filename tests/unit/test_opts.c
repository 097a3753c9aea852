/* SPDX-License-Identifier: BSD-3-Clause */
/* The option table: command line and INI file, errors naming the option
 * or key and the value, and the [eal] section turned into EAL arguments. */
#include "tq_test.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/tq_module.h"
#include "core/tq_opts.h"

struct vals {
	int ttl;
	unsigned int ttl_calls;
	char addr[4][64];
	unsigned int naddr;
	unsigned int promisc;
	unsigned int verbose;
};

static int
set_ttl(void *arg, const char *v)
{
	struct vals *x = arg;
	char *end;
	long n = strtol(v, &end, 10);

	x->ttl_calls++;
	if (!*v || *end || n < 1 || n > 255)
		return -EINVAL;
	x->ttl = (int)n;
	return 0;
}

static int
set_addr(void *arg, const char *v)
{
	struct vals *x = arg;
	struct tq_addr a;
	uint8_t plen;

	if (tq_prefix_parse(v, &a, &plen) < 0 || x->naddr == 4)
		return -EINVAL;
	snprintf(x->addr[x->naddr++], sizeof(x->addr[0]), "%s", v);
	return 0;
}

static int
set_promisc(void *arg, const char *v)
{
	((struct vals *)arg)->promisc++;
	return 0;
}

static int
set_verbose(void *arg, const char *v)
{
	((struct vals *)arg)->verbose++;
	return 0;
}

static void
setup(struct tq_opts *o, struct vals *x)
{
	const struct tq_app_opt t[] = {
		{ "ttl", "net", "N", "hop limit", set_ttl, x },
		{ "addr", "net", "ADDR/PREFIX", "an address", set_addr, x },
		{ "promisc", "port", NULL, "promiscuous", set_promisc, x },
		{ "verbose", "app", NULL, "say more", set_verbose, x },
	};
	unsigned int i;

	memset(o, 0, sizeof(*o));
	memset(x, 0, sizeof(*x));
	for (i = 0; i < RTE_DIM(t); i++)
		assert_int_equal(tq_opts_add(o, &t[i]), 0);
}

/* Parse a copy of a NULL-terminated argv (getopt may permute it). */
static int
parse(struct tq_opts *o, const char *const *args)
{
	char *argv[32];
	int argc = 0;

	while (args[argc]) {
		argv[argc] = (char *)args[argc];
		argc++;
	}
	argv[argc] = NULL;
	return tq_opts_parse_argv(o, argc, argv);
}

static void
assert_err_has(const struct tq_opts *o, const char *a, const char *b)
{
	if (!strstr(o->err, a) || (b && !strstr(o->err, b)))
		fail_msg("error '%s' should name '%s'%s%s", o->err, a,
			b ? " and " : "", b ? b : "");
}

static void
add_rules(void **state)
{
	static struct tq_opts o;
	struct vals x;
	struct tq_app_opt dup = { "ttl", "net", "N", "again", set_ttl, &x };
	struct tq_app_opt more = { NULL, "net", "N", "x", set_ttl, &x };
	char names[TQ_OPTS_MAX][16];
	unsigned int i;

	setup(&o, &x);
	assert_int_equal(tq_opts_add(&o, &dup), -EEXIST);
	assert_int_equal(o.n, 4);
	for (i = o.n; i < TQ_OPTS_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "opt%u", i);
		more.name = names[i];
		assert_int_equal(tq_opts_add(&o, &more), 0);
	}
	more.name = "one-too-many";
	assert_int_equal(tq_opts_add(&o, &more), -ENOSPC);
}

static void
argv_ok(void **state)
{
	static struct tq_opts o;
	struct vals x;
	const char *a1[] = { "prog", "--ttl", "7", "--addr=10.0.0.2/24",
		"--promisc", "--addr", "fd00::2/64", NULL };
	const char *a2[] = { "prog", "--ttl=9", NULL };
	const char *a3[] = { "prog", NULL };

	setup(&o, &x);
	assert_int_equal(parse(&o, a1), 0);
	assert_int_equal(x.ttl, 7);
	assert_int_equal(x.naddr, 2);
	assert_string_equal(x.addr[0], "10.0.0.2/24");
	assert_string_equal(x.addr[1], "fd00::2/64");
	assert_int_equal(x.promisc, 1);
	assert_int_equal(x.verbose, 0);

	/* A second parse starts afresh. */
	assert_int_equal(parse(&o, a2), 0);
	assert_int_equal(x.ttl, 9);
	assert_int_equal(parse(&o, a3), 0);
	assert_int_equal(x.ttl, 9);
}

static void
argv_errors(void **state)
{
	static struct tq_opts o;
	struct vals x;
	const char *unknown[] = { "prog", "--ttl", "3", "--bogus", NULL };
	const char *unknown_short[] = { "prog", "-x", NULL };
	const char *unknown_group[] = { "prog", "-qrs", NULL };
	const char *flag_value[] = { "prog", "--promisc=1", NULL };
	const char *missing[] = { "prog", "--promisc", "--ttl", NULL };
	const char *bad[] = { "prog", "--ttl", "300", NULL };
	const char *bad_eq[] = { "prog", "--ttl=abc", NULL };
	const char *bad_addr[] = { "prog", "--addr", "10.0.0.300/24", NULL };
	const char *stray[] = { "prog", "--ttl", "3", "extra", NULL };
	const char *good[] = { "prog", "--ttl", "5", NULL };

	setup(&o, &x);
	assert_int_equal(parse(&o, unknown), -EINVAL);
	assert_err_has(&o, "unknown option", "--bogus");

	o.err[0] = '\0';
	assert_int_equal(parse(&o, unknown_short), -EINVAL);
	assert_err_has(&o, "unknown option", "-x");

	o.err[0] = '\0';
	assert_int_equal(parse(&o, unknown_group), -EINVAL);
	assert_err_has(&o, "unknown option", "-q");

	o.err[0] = '\0';
	assert_int_equal(parse(&o, flag_value), -EINVAL);
	assert_err_has(&o, "--promisc", NULL);
	assert_null(strstr(o.err, "missing"));

	o.err[0] = '\0';
	assert_int_equal(parse(&o, missing), -EINVAL);
	assert_err_has(&o, "missing value", "--ttl");

	o.err[0] = '\0';
	assert_int_equal(parse(&o, bad), -EINVAL);
	assert_err_has(&o, "--ttl", "'300'");
	assert_err_has(&o, "bad value", NULL);

	o.err[0] = '\0';
	assert_int_equal(parse(&o, bad_eq), -EINVAL);
	assert_err_has(&o, "--ttl", "'abc'");

	o.err[0] = '\0';
	assert_int_equal(parse(&o, bad_addr), -EINVAL);
	assert_err_has(&o, "--addr", "'10.0.0.300/24'");

	o.err[0] = '\0';
	assert_int_equal(parse(&o, stray), -EINVAL);
	assert_err_has(&o, "extra", NULL);

	/* An error leaves nothing behind for the next parse. */
	x.ttl = 0;
	assert_int_equal(parse(&o, good), 0);
	assert_int_equal(x.ttl, 5);
}

/* A group of unknown short options stops the parse half way; the next
 * parse must not carry on in the old argv. */
static void
argv_after_short_group(void **state)
{
	static struct tq_opts o;
	struct vals x;
	char g[] = "-xyz";
	char *a1[] = { "prog", g, NULL };
	const char *a2[] = { "prog", "--ttl", "4", NULL };

	setup(&o, &x);
	assert_int_equal(tq_opts_parse_argv(&o, 2, a1), -EINVAL);
	memset(g, 'q', 4); /* the old argv is gone */
	assert_int_equal(parse(&o, a2), 0);
	assert_int_equal(x.ttl, 4);
}

static void
argv_help(void **state)
{
	static struct tq_opts o;
	struct vals x;
	const char *h1[] = { "prog", "--help", NULL };
	const char *h2[] = { "prog", "--ttl", "3", "-h", NULL };
	FILE *f;
	char buf[4096];
	size_t n;

	setup(&o, &x);
	assert_int_equal(parse(&o, h1), 1);
	assert_int_equal(parse(&o, h2), 1);

	/* Usage lists every option with its metavar and section. */
	f = tmpfile();
	assert_non_null(f);
	tq_opts_usage(&o, f, "prog");
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(strstr(buf, "--ttl N"));
	assert_non_null(strstr(buf, "--addr ADDR/PREFIX"));
	assert_non_null(strstr(buf, "--promisc "));
	assert_non_null(strstr(buf, "[port]"));
	assert_non_null(strstr(buf, "--help"));
}

static void
find_config(void **state)
{
	char *a1[] = { "prog", "--ttl", "3", "--config", "a.ini", NULL };
	char *a2[] = { "prog", "--config=b.ini", NULL };
	char *a3[] = { "prog", "--ttl", "3", NULL };
	char *a4[] = { "prog", "--config", NULL };

	assert_string_equal(tq_opts_find_config(5, a1), "a.ini");
	assert_string_equal(tq_opts_find_config(2, a2), "b.ini");
	assert_null(tq_opts_find_config(3, a3));
	assert_null(tq_opts_find_config(2, a4));
}

/* ---- INI ---- */

static char ini_path[64];

static const char *
write_ini(const char *text)
{
	int fd;
	size_t len = strlen(text);

	snprintf(ini_path, sizeof(ini_path), "/tmp/tq_test_opts_XXXXXX");
	fd = mkstemp(ini_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return ini_path;
}

static int
load(struct tq_opts *o, const char *text)
{
	int ret = tq_opts_load_ini(o, write_ini(text));

	unlink(ini_path);
	return ret;
}

static void
ini_ok(void **state)
{
	static struct tq_opts o;
	struct vals x;

	setup(&o, &x);
	assert_int_equal(load(&o,
		"; a comment\n"
		"[net]\n"
		"ttl = 12          ; trailing comment\n"
		"addr = 10.0.0.2/24\n"
		"addr = fd00::2/64\n"
		"\n"
		"[port]\n"
		"promisc = yes\n"
		"[app]\n"
		"verbose =\n"), 0);
	assert_int_equal(x.ttl, 12);
	assert_int_equal(x.naddr, 2);
	assert_string_equal(x.addr[1], "fd00::2/64");
	assert_int_equal(x.promisc, 1);
	assert_int_equal(x.verbose, 1);
	assert_int_equal(o.eal_argc, 0);
	tq_opts_free(&o);
}

static void
ini_flags(void **state)
{
	static const struct {
		const char *val;
		int on; /* 1 set, 0 not set, -1 error */
	} cases[] = {
		{ "1", 1 }, { "yes", 1 }, { "true", 1 }, { "", 1 },
		{ "0", 0 }, { "no", 0 }, { "false", 0 },
		{ "maybe", -1 }, { "2", -1 }, { "on", -1 },
	};
	static struct tq_opts o;
	struct vals x;
	char text[128];
	unsigned int i;

	for (i = 0; i < RTE_DIM(cases); i++) {
		int ret;

		setup(&o, &x);
		snprintf(text, sizeof(text), "[port]\npromisc = %s\n",
				cases[i].val);
		ret = load(&o, text);
		if (cases[i].on < 0) {
			assert_int_equal(ret, -EINVAL);
			assert_err_has(&o, "[port] promisc", cases[i].val);
			assert_int_equal(x.promisc, 0);
		} else {
			assert_int_equal(ret, 0);
			if (x.promisc != (unsigned int)cases[i].on)
				fail_msg("promisc = %s: set %u times",
					cases[i].val, x.promisc);
		}
		tq_opts_free(&o);
	}
}

static void
ini_errors(void **state)
{
	static struct tq_opts o;
	struct vals x;

	setup(&o, &x);
	assert_int_equal(load(&o, "[net]\nttl = 3\nbogus = 1\n"), -EINVAL);
	assert_err_has(&o, "unknown key", "[net] bogus");
	assert_err_has(&o, ini_path, NULL);

	/* The key exists, but in another section. */
	setup(&o, &x);
	assert_int_equal(load(&o, "[port]\nttl = 3\n"), -EINVAL);
	assert_err_has(&o, "unknown key", "[port] ttl");
	assert_int_equal(x.ttl_calls, 0);

	setup(&o, &x);
	assert_int_equal(load(&o, "[net]\nttl = abc\n"), -EINVAL);
	assert_err_has(&o, "[net] ttl", "'abc'");
	assert_err_has(&o, "bad value", NULL);

	setup(&o, &x);
	assert_int_equal(load(&o, "[net]\naddr = 10.0.0.1/33\n"), -EINVAL);
	assert_err_has(&o, "[net] addr", "'10.0.0.1/33'");

	/* Nothing after the first error is applied. */
	setup(&o, &x);
	assert_int_equal(load(&o, "[net]\nttl = 0\naddr = 10.0.0.1/24\n"),
			-EINVAL);
	assert_int_equal(x.naddr, 0);

	/* A line that is not "key = value" is named, not skipped. */
	setup(&o, &x);
	assert_int_equal(load(&o, "[net]\nttl = 3\n\nttl 5\n"), -EINVAL);
	assert_err_has(&o, "line 4", "'ttl 5'");
	setup(&o, &x);
	assert_int_equal(load(&o, "[eal]\nno-pci   ; a bare flag\n"),
			-EINVAL);
	assert_err_has(&o, "'no-pci'", NULL);
	tq_opts_free(&o);

	/* A file that is not there, or not INI. */
	setup(&o, &x);
	assert_int_equal(tq_opts_load_ini(&o, "/nonexistent/tq.ini"),
			-EINVAL);
	assert_err_has(&o, "/nonexistent/tq.ini", NULL);
	setup(&o, &x);
	assert_int_equal(load(&o, "ttl = 3\n"), -EINVAL);
	assert_err_has(&o, ini_path, NULL);
	tq_opts_free(&o);
}

static void
ini_eal(void **state)
{
	static const char *const want[] = {
		"--lcores", "0-1", "--no-pci", "--vdev",
		"net_af_packet0,iface=tq0,qpairs=1", "--log-level", "7",
		"-a", "0000:01:00.0", "--file-prefix", "tq",
	};
	static struct tq_opts o;
	struct vals x;
	int i;

	setup(&o, &x);
	assert_int_equal(load(&o,
		"[eal]\n"
		"lcores = 0-1\n"
		"no-pci =            ; empty value: a flag\n"
		"vdev = net_af_packet0,iface=tq0,qpairs=1\n"
		"args = --log-level 7   -a\t0000:01:00.0\n"
		"file-prefix = tq\n"
		"[net]\n"
		"ttl = 5\n"), 0);
	assert_int_equal(x.ttl, 5);
	assert_int_equal(o.eal_argc, (int)RTE_DIM(want));
	for (i = 0; i < o.eal_argc; i++)
		assert_string_equal(o.eal_argv[i], want[i]);
	tq_opts_free(&o);
	assert_int_equal(o.eal_argc, 0);

	/* A bound on [eal] arguments, reported. */
	{
		char text[8192];
		size_t off = 0;

		off += (size_t)snprintf(text + off, sizeof(text) - off,
				"[eal]\n");
		for (i = 0; i < TQ_EAL_ARGS_MAX; i++)
			off += (size_t)snprintf(text + off,
					sizeof(text) - off, "k%d = v\n", i);
		setup(&o, &x);
		assert_int_equal(load(&o, text), -EINVAL);
		assert_err_has(&o, "[eal]", NULL);
		assert_true(o.eal_argc <= TQ_EAL_ARGS_MAX);
		tq_opts_free(&o);
	}
}

/* docs/configuration.md, whole, or NULL. */
static char *
read_config_doc(void)
{
	const char *src = getenv("TQ_SOURCE_DIR");
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/docs/configuration.md",
			src ? src : "..");
	f = fopen(path, "r");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	fclose(f);
	return buf;
}

/* "--name" in text as a whole option, not as the start of a longer one. */
static bool
mentions(const char *text, const char *name)
{
	char want[128];
	const char *p = text;
	size_t len;

	len = (size_t)snprintf(want, sizeof(want), "--%s", name);
	while ((p = strstr(p, want)) != NULL) {
		char c = p[len];

		if (!isalnum((unsigned char)c) && c != '-' && c != '_')
			return true;
		p += len;
	}
	return false;
}

/*
 * Every option the engine and its modules take is in
 * docs/configuration.md, so the page stays true when an option is added
 * to engine_opts or to a module's table.
 */
static void
every_option_documented(void **state)
{
	static struct tq_opts o;
	char *doc = read_config_doc();
	unsigned int i, missing = 0;

	RTE_SET_USED(state);
	assert_non_null(doc);
	memset(&o, 0, sizeof(o));
	assert_int_equal(tq_engine_add_opts(&o, NULL), 0);
	/* The engine's own and TCP's at least: a table that lost its rows
	 * must not pass as documented. */
	assert_true(o.n > 50);
	for (i = 0; i < o.n; i++) {
		if (mentions(doc, o.v[i].name))
			continue;
		print_error("option --%s [%s] is not in "
				"docs/configuration.md\n", o.v[i].name,
				o.v[i].section);
		missing++;
	}
	/* And the check itself can tell. */
	assert_false(mentions(doc, "no-such-option-anywhere"));
	assert_false(mentions("--tcp-keepalive-time", "tcp-keepalive"));
	assert_true(mentions("`--tcp-keepalive` |", "tcp-keepalive"));
	free(doc);
	tq_opts_free(&o);
	assert_int_equal(missing, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(add_rules),
		cmocka_unit_test(argv_ok),
		cmocka_unit_test(argv_errors),
		cmocka_unit_test(argv_after_short_group),
		cmocka_unit_test(argv_help),
		cmocka_unit_test(find_config),
		cmocka_unit_test(ini_ok),
		cmocka_unit_test(ini_flags),
		cmocka_unit_test(ini_errors),
		cmocka_unit_test(ini_eal),
		cmocka_unit_test(every_option_documented),
	};

	if (tq_test_eal_init("opts") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
