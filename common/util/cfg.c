#include "cfg.h"

#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct mnemo_cfg_key *
find_key(const struct mnemo_cfg_key *keys, size_t n_keys, const char *section, const char *name)
{
	for (size_t i = 0; i < n_keys; i++) {
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0) {
			return &keys[i];
		}
	}
	return NULL;
}

static int
parse_u64(const char *s, int with_suffix, uint64_t *ret)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (*s == '\0' || *s == '-' || *s == '+') {
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s) {
		return -EINVAL;
	}
	if (with_suffix && *end != '\0') {
		switch (*end) {
		case 'k':
		case 'K':
			mult = 1024;
			break;
		case 'M':
			mult = 1024 * 1024;
			break;
		case 'G':
			mult = 1024 * 1024 * 1024;
			break;
		default:
			return -EINVAL;
		}
		end++;
	}
	if (*end != '\0' || v > UINT64_MAX / mult) {
		return -EINVAL;
	}
	*ret = (uint64_t)v * mult;
	return 0;
}

static int
parse_bool(const char *s, int *ret)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = 0;
			return 0;
		}
	}
	return -EINVAL;
}

int
mnemo_cfg_set(const struct mnemo_cfg_key *keys, size_t n_keys, const char *section,
	      const char *name, const char *value, char *err, size_t err_size)
{
	const struct mnemo_cfg_key *k = find_key(keys, n_keys, section, name);
	uint64_t v;
	int b;

	if (k == NULL) {
		snprintf(err, err_size, "[%s] %s: no such key", section, name);
		return -ENOENT;
	}
	switch (k->type) {
	case MNEMO_CFG_STRING:
		if (strlen(value) >= k->size) {
			snprintf(err, err_size, "[%s] %s: longer than %zu bytes", section, name,
				 k->size - 1);
			return -EINVAL;
		}
		memcpy(k->value, value, strlen(value) + 1);
		return 0;
	case MNEMO_CFG_U32:
	case MNEMO_CFG_BYTES:
		if (parse_u64(value, k->type == MNEMO_CFG_BYTES, &v) < 0 || v < k->min ||
		    v > k->max) {
			snprintf(err, err_size,
				 "[%s] %s: '%s' is not a whole number from %" PRIu64 " to %" PRIu64
				 "%s",
				 section, name, value, k->min, k->max,
				 k->type == MNEMO_CFG_BYTES ? " (k, M, G suffixes allowed)" : "");
			return -EINVAL;
		}
		if (k->type == MNEMO_CFG_U32) {
			*(uint32_t *)k->value = (uint32_t)v;
		} else {
			*(uint64_t *)k->value = v;
		}
		return 0;
	case MNEMO_CFG_BOOL:
		if (parse_bool(value, &b) < 0) {
			snprintf(err, err_size, "[%s] %s: '%s' is not true or false", section, name,
				 value);
			return -EINVAL;
		}
		*(int *)k->value = b;
		return 0;
	}
	return -EINVAL;
}

struct load_ctx {
	const struct mnemo_cfg_key *keys;
	size_t n_keys;
	const char *path;
	FILE *file;
	int line; /* of the line inih is handling: it calls back right after reading it */
	char *err;
	size_t err_size;
	int failed;
};

static char *
read_line(char *str, int num, void *stream)
{
	struct load_ctx *ctx = stream;
	char *s = fgets(str, num, ctx->file);

	if (s != NULL) {
		ctx->line++;
	}
	return s;
}

static int
on_ini_line(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *ctx = user;
	int line = ctx->line;
	char why[256];

	if (ctx->failed) {
		return 0;
	}
	if (mnemo_cfg_set(ctx->keys, ctx->n_keys, section, name, value, why, sizeof(why)) < 0) {
		snprintf(ctx->err, ctx->err_size, "%s:%d: %s", ctx->path, line, why);
		ctx->failed = 1;
		return 0;
	}
	return 1;
}

int
mnemo_cfg_load(const struct mnemo_cfg_key *keys, size_t n_keys, const char *path, char *err,
	       size_t err_size)
{
	struct load_ctx ctx = {keys, n_keys, path, fopen(path, "r"), 0, err, err_size, 0};
	int line;

	if (ctx.file == NULL) {
		int r = -errno;

		snprintf(err, err_size, "%s: %s", path, strerror(-r));
		return r;
	}
	line = ini_parse_stream(read_line, &ctx, on_ini_line, &ctx);
	fclose(ctx.file);
	if (ctx.failed) {
		return -EINVAL;
	}
	if (line != 0) {
		snprintf(err, err_size, "%s:%d: not a 'key = value' line or [section]", path, line);
		return -EINVAL;
	}
	return 0;
}
