// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: reads back the JSON lines zcbench wrote (zcbench report). Only
 * what out_json() produces has to parse: flat objects of strings, numbers,
 * null and booleans; unknown keys are skipped, so older and newer files
 * still load, and arrays or nested objects are skipped whole.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zcbench.h"

static const char *ws(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

/* Parses a JSON string at @p into @out (may be NULL); returns past it. */
static const char *jstr(const char *p, char *out, size_t len)
{
	size_t n = 0;

	if (*p != '"')
		return NULL;
	for (p++; *p && *p != '"'; p++) {
		char c = *p;

		if (c == '\\') {
			p++;
			switch (*p) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'u':
				c = (char)strtol((char[]){ p[1], p[2], p[3], p[4], 0 }, NULL, 16);
				if (!p[1] || !p[2] || !p[3] || !p[4])
					return NULL;
				p += 4;
				break;
			case '\0': return NULL;
			default: c = *p; break;
			}
		}
		if (out && n + 1 < len)
			out[n++] = c;
	}
	if (*p != '"')
		return NULL;
	if (out && len)
		out[n] = '\0';
	return p + 1;
}

/* Skips any JSON value (for keys we do not know). */
static const char *skip_value(const char *p)
{
	int depth = 0;

	p = ws(p);
	if (*p == '"')
		return jstr(p, NULL, 0);
	if (*p == '[' || *p == '{') {
		for (; *p; p++) {
			if (*p == '"') {
				p = jstr(p, NULL, 0);
				if (!p)
					return NULL;
				p--;
			} else if (*p == '[' || *p == '{') {
				depth++;
			} else if (*p == ']' || *p == '}') {
				if (--depth == 0)
					return p + 1;
			}
		}
		return NULL;
	}
	while (*p && *p != ',' && *p != '}')
		p++;
	return p;
}

int jsonl_parse(const char *line, struct result *res)
{
	struct zb_env none = { .where = "" };
	const char *p = ws(line);
	char key[64];
	int i;

	result_init(res, &none);
	res->cpus = res->mem_mb = NAN;
	if (*p++ != '{')
		return -EINVAL;
	for (;;) {
		const struct field *fd = NULL;

		p = ws(p);
		if (*p == '}')
			return 0;
		p = jstr(p, key, sizeof(key));
		if (!p)
			return -EINVAL;
		p = ws(p);
		if (*p++ != ':')
			return -EINVAL;
		p = ws(p);
		for (i = 0; i < zb_nfields; i++)
			if (!strcmp(zb_fields[i].name, key))
				fd = &zb_fields[i];
		if (!fd) {
			p = skip_value(p);
		} else if (fd->type == F_STR) {
			p = jstr(p, (char *)res + fd->off, fd->len);
		} else if (!strncmp(p, "null", 4)) {
			if (fd->type == F_DBL)
				*(double *)((char *)res + fd->off) = NAN;
			p += 4;
		} else {
			char *end;

			if (fd->type == F_U64)
				*(uint64_t *)((char *)res + fd->off) = strtoull(p, &end, 10);
			else
				*(double *)((char *)res + fd->off) = strtod(p, &end);
			if (end == p)
				return -EINVAL;
			p = end;
		}
		if (!p)
			return -EINVAL;
		p = ws(p);
		if (*p == ',')
			p++;
		else if (*p != '}')
			return -EINVAL;
	}
}

int jsonl_load(const char *file, struct result **res, int *n)
{
	FILE *f = fopen(file, "re");
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, err = 0;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		struct result r;

		lineno++;
		if (!*ws(line))
			continue;
		if (jsonl_parse(line, &r)) {
			zb_log("%s:%d: not a zcbench JSON line", file, lineno);
			err = -EINVAL;
			continue;
		}
		*res = realloc(*res, (*n + 1) * sizeof(**res));
		if (!*res)
			zb_die("out of memory");
		(*res)[(*n)++] = r;
	}
	free(line);
	fclose(f);
	return err;
}

int zb_wheres(const struct result *res, int n, const char **out)
{
	static const char *const first[] = { "vm", "native" };
	int i, k, m = 0;

	for (k = 0; k < 2; k++)
		for (i = 0; i < n; i++)
			if (!strcmp(res[i].where, first[k])) {
				out[m++] = first[k];
				break;
			}
	for (i = 0; i < n && m < ZB_MAX_WHERES; i++) {
		for (k = 0; k < m && strcmp(out[k], res[i].where); k++)
			;
		if (k == m)
			out[m++] = res[i].where;
	}
	return m;
}
