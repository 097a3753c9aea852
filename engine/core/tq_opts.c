/* SPDX-License-Identifier: BSD-3-Clause */
#include "tq_opts.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cfgfile.h>

#include "tq_shard.h"

int
tq_opts_add(struct tq_opts *o, const struct tq_app_opt *opt)
{
	unsigned int i;

	for (i = 0; i < o->n; i++)
		if (!strcmp(o->v[i].name, opt->name))
			return -EEXIST;
	if (o->n == TQ_OPTS_MAX)
		return -ENOSPC;
	o->v[o->n++] = *opt;
	return 0;
}

int
tq_opts_parse_u64(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (!v || !*v || *v == '-')
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 0);
	if (errno || *end || x < min || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

static const struct tq_app_opt *
find(const struct tq_opts *o, const char *section, const char *name)
{
	unsigned int i;

	for (i = 0; i < o->n; i++)
		if (!strcmp(o->v[i].name, name) &&
				(!section || !strcmp(o->v[i].section, section)))
			return &o->v[i];
	return NULL;
}

static int
apply(struct tq_opts *o, const struct tq_app_opt *opt, const char *val,
		const char *where)
{
	if (opt->set(opt->arg, val) < 0) {
		snprintf(o->err, sizeof(o->err), "%s%s: bad value '%s'",
				where, opt->name, val ? val : "");
		return -EINVAL;
	}
	return 0;
}

static int
eal_push(struct tq_opts *o, const char *s)
{
	if (o->eal_argc >= TQ_EAL_ARGS_MAX) {
		snprintf(o->err, sizeof(o->err), "too many [eal] arguments");
		return -EINVAL;
	}
	o->eal_argv[o->eal_argc] = strdup(s);
	if (!o->eal_argv[o->eal_argc])
		return -ENOMEM;
	o->eal_argc++;
	return 0;
}

static int
eal_entry(struct tq_opts *o, const char *key, const char *val)
{
	char buf[512], *save = NULL, *tok;
	int ret;

	if (!strcmp(key, "args")) {
		snprintf(buf, sizeof(buf), "%s", val);
		for (tok = strtok_r(buf, " \t", &save); tok;
				tok = strtok_r(NULL, " \t", &save))
			if ((ret = eal_push(o, tok)) < 0)
				return ret;
		return 0;
	}
	snprintf(buf, sizeof(buf), "--%s", key);
	if ((ret = eal_push(o, buf)) < 0)
		return ret;
	if (val && *val)
		return eal_push(o, val);
	return 0;
}

/*
 * rte_cfgfile skips a line without '=' as if it were blank, so a bare
 * flag ("no-pci") or a typo ("ttl 5") would vanish without a word: find
 * such lines and name them.  Comments are cut as rte_cfgfile cuts them.
 */
static int
check_lines(struct tq_opts *o, const char *path)
{
	char line[CFG_NAME_LEN + CFG_VALUE_LEN + 4];
	unsigned int lineno = 0;
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (!f)
		return 0; /* it was just read: leave it to rte_cfgfile */
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end = strchr(line, ';');

		lineno++;
		if (end && (end == line || end[-1] != '\\'))
			*end = '\0';
		while (isspace((unsigned char)*p))
			p++;
		end = p + strlen(p);
		while (end > p && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*p == '\0' || *p == '[' || strchr(p, '='))
			continue;
		snprintf(o->err, sizeof(o->err),
			"config %s: line %u: '%s' is not \"key = value\" "
			"(a flag is \"key =\")", path, lineno, p);
		ret = -EINVAL;
		break;
	}
	fclose(f);
	return ret;
}

int
tq_opts_load_ini(struct tq_opts *o, const char *path)
{
	struct rte_cfgfile *cf;
	char (*secs)[CFG_NAME_LEN] = NULL;
	struct rte_cfgfile_entry *ents = NULL;
	int nsec, i, j, ret = 0;
	char where[320];

	/* Allow "key =" (an EAL flag) and ';' comments. */
	cf = rte_cfgfile_load(path, CFG_FLAG_EMPTY_VALUES);
	if (!cf) {
		snprintf(o->err, sizeof(o->err),
				"config %s: cannot read or parse it", path);
		return -EINVAL;
	}
	ret = check_lines(o, path);
	if (ret < 0)
		goto out;
	nsec = rte_cfgfile_num_sections(cf, NULL, 0);
	secs = calloc(nsec > 0 ? nsec : 1, sizeof(*secs));
	if (!secs) {
		ret = -ENOMEM;
		goto out;
	}
	{
		char *ptrs[nsec > 0 ? nsec : 1];

		for (i = 0; i < nsec; i++)
			ptrs[i] = secs[i];
		rte_cfgfile_sections(cf, ptrs, nsec);
	}
	for (i = 0; i < nsec && ret == 0; i++) {
		int ne = rte_cfgfile_section_num_entries(cf, secs[i]);

		free(ents);
		ents = calloc(ne > 0 ? ne : 1, sizeof(*ents));
		if (!ents) {
			ret = -ENOMEM;
			break;
		}
		rte_cfgfile_section_entries(cf, secs[i], ents, ne);
		for (j = 0; j < ne && ret == 0; j++) {
			const struct tq_app_opt *opt;

			if (!strcmp(secs[i], "eal")) {
				ret = eal_entry(o, ents[j].name,
						ents[j].value);
				continue;
			}
			opt = find(o, secs[i], ents[j].name);
			if (!opt) {
				snprintf(o->err, sizeof(o->err),
					"config %s: unknown key [%s] %s", path,
					secs[i], ents[j].name);
				ret = -EINVAL;
				break;
			}
			if (opt->metavar == NULL && ents[j].value[0] &&
					strcmp(ents[j].value, "1") &&
					strcmp(ents[j].value, "yes") &&
					strcmp(ents[j].value, "true")) {
				if (!strcmp(ents[j].value, "0") ||
					!strcmp(ents[j].value, "no") ||
					!strcmp(ents[j].value, "false"))
					continue;
				snprintf(o->err, sizeof(o->err),
					"config %s: [%s] %s: bad value '%s'",
					path, secs[i], ents[j].name,
					ents[j].value);
				ret = -EINVAL;
				break;
			}
			snprintf(where, sizeof(where), "config %s: [%s] ",
					path, secs[i]);
			ret = apply(o, opt, ents[j].value, where);
		}
	}
out:
	free(ents);
	free(secs);
	rte_cfgfile_close(cf);
	return ret;
}

const char *
tq_opts_find_config(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			return argv[i + 1];
		if (!strncmp(argv[i], "--config=", 9))
			return argv[i] + 9;
	}
	return NULL;
}

int
tq_opts_parse_argv(struct tq_opts *o, int argc, char **argv)
{
	struct option lo[TQ_OPTS_MAX + 2];
	unsigned int i;
	int c, idx, ret = 0;

	for (i = 0; i < o->n; i++) {
		lo[i].name = o->v[i].name;
		lo[i].has_arg = o->v[i].metavar ? required_argument :
			no_argument;
		lo[i].flag = NULL;
		lo[i].val = 0x100 + (int)i;
	}
	lo[o->n] = (struct option){ "help", no_argument, NULL, 'h' };
	memset(&lo[o->n + 1], 0, sizeof(lo[0]));
	/* 0, not 1: glibc then also forgets where it was inside a group of
	 * short options ("-xyz") when an earlier parse stopped there. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", lo, &idx)) != -1) {
		if (c == 'h')
			return 1;
		if (c == '?' || c == ':') {
			char letter[3] = { '-', (char)optopt, '\0' };
			const char *bad = argv[optind - 1];
			const char *why = "unknown option";

			/* getopt sets optopt to our val when a long option's
			 * value is missing (or given to a flag), to the letter
			 * of an unknown short option (which may sit inside a
			 * group, so name the letter), to 0 otherwise. */
			if (optopt >= 0x100 && optopt < 0x100 + (int)o->n)
				why = o->v[optopt - 0x100].metavar ?
					"missing value for option" :
					"option takes no value";
			else if (optopt > 0 && optopt < 0x100)
				bad = letter;
			snprintf(o->err, sizeof(o->err), "%s: %s", why, bad);
			return -EINVAL;
		}
		ret = apply(o, &o->v[c - 0x100], optarg, "--");
		if (ret < 0)
			return ret;
	}
	if (optind < argc) {
		snprintf(o->err, sizeof(o->err), "unexpected argument '%s'",
				argv[optind]);
		return -EINVAL;
	}
	return 0;
}

void
tq_opts_usage(const struct tq_opts *o, FILE *f, const char *prog)
{
	unsigned int i;
	char lhs[64];

	fprintf(f, "usage: %s [EAL options] -- [options]\n\noptions:\n",
			prog);
	for (i = 0; i < o->n; i++) {
		snprintf(lhs, sizeof(lhs), "--%s%s%s", o->v[i].name,
				o->v[i].metavar ? " " : "",
				o->v[i].metavar ? o->v[i].metavar : "");
		fprintf(f, "  %-28s %s  [%s]\n", lhs, o->v[i].help,
				o->v[i].section);
	}
	fprintf(f, "  %-28s %s\n", "--help", "this text");
	fprintf(f, "\nA config file (--config) takes the same options as "
		"\"name = value\" under the [section] shown,\nand EAL options "
		"under [eal].\n");
}

void
tq_opts_free(struct tq_opts *o)
{
	int i;

	for (i = 0; i < o->eal_argc; i++)
		free(o->eal_argv[i]);
	o->eal_argc = 0;
}

int
tq_ctl_conn_params(const char *params, int (*state_by_name)(const char *),
		unsigned int *worker, uint32_t *cursor, int *state,
		uint16_t *port)
{
	char buf[256], *save = NULL, *kv;

	if (!params || !*params)
		return 0;
	if (strlen(params) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, params);
	for (kv = strtok_r(buf, ",", &save); kv;
			kv = strtok_r(NULL, ",", &save)) {
		char *v = strchr(kv, '='), *end;
		unsigned long n;

		if (!v)
			return -EINVAL;
		*v++ = '\0';
		if (!strcmp(kv, "state")) {
			*state = state_by_name(v);
			if (*state < 0)
				return -EINVAL;
			continue;
		}
		n = strtoul(v, &end, 10);
		if (!*v || *end)
			return -EINVAL;
		if (!strcmp(kv, "w") && n < TQ_MAX_WORKERS)
			*worker = (unsigned int)n;
		else if (!strcmp(kv, "c") && n <= UINT32_MAX)
			*cursor = (uint32_t)n;
		else if (!strcmp(kv, "port") && n > 0 && n <= 65535)
			*port = (uint16_t)n;
		else
			return -EINVAL;
	}
	return 0;
}
