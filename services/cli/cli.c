/* Options and configuration shared by the subcommands. */
#include "cli.h"

#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

const char cli_usage_common[] =
	"Options every command takes:\n"
	"  --config FILE      settings file (see deploy/mnemo.conf); flags override it\n"
	"  --set SECTION.KEY=VALUE\n"
	"                     one setting, e.g. --set gateway.timeout_ms=5000\n"
	"  --db PATH          local mode: the database file (default var/mnemo.db)\n"
	"  --url URL          remote mode: a running mnemo, e.g. http://127.0.0.1:8700\n"
	"                     (also from $MNEMO_URL)\n"
	"  --log-level LEVEL  err, warn, notice, info or debug\n"
	"  -h, --help         this help\n";

int
cli_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("mnemo: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int
cli_init(struct cli *cli, int argc, char **argv, const char *default_log_level)
{
	const char *url = getenv("MNEMO_URL");

	memset(cli, 0, sizeof(*cli));
	mnemo_config_init(&cli->cfg);
	snprintf(cli->cfg.log_level, sizeof(cli->cfg.log_level), "%s", default_log_level);
	for (int i = 1; i < argc; i++) {
		const char *path = NULL;

		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			path = argv[i + 1];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			path = argv[i] + 9;
		}
		if (path != NULL &&
		    mnemo_config_load(&cli->cfg, path, cli->err, sizeof(cli->err)) < 0) {
			return -1;
		}
	}
	if (url != NULL && url[0] != '\0') {
		cli->url = url;
	}
	return 0;
}

/* 1 when opt is one of the common options (applied), 0 when not, -1 on a bad value. */
static int
common_option(struct cli *cli, int opt, const char *arg)
{
	const char *eq;
	char key[64];

	switch (opt) {
	case OPT_CONFIG:
		return 1; /* loaded by cli_init, before every other flag */
	case OPT_SET:
		eq = strchr(arg, '=');
		if (eq == NULL || (size_t)(eq - arg) >= sizeof(key)) {
			snprintf(cli->err, sizeof(cli->err), "--set takes SECTION.KEY=VALUE, not %s",
				 arg);
			return -1;
		}
		memcpy(key, arg, (size_t)(eq - arg));
		key[eq - arg] = '\0';
		return mnemo_config_set(&cli->cfg, key, eq + 1, cli->err, sizeof(cli->err)) < 0 ? -1
												 : 1;
	case OPT_DB:
		return mnemo_config_set(&cli->cfg, "store.db", arg, cli->err, sizeof(cli->err)) < 0
			       ? -1
			       : 1;
	case OPT_URL:
		cli->url = arg;
		return 1;
	case OPT_LOG_LEVEL:
		return mnemo_config_set(&cli->cfg, "log.level", arg, cli->err, sizeof(cli->err)) < 0
			       ? -1
			       : 1;
	default:
		return 0;
	}
}

int
cli_getopt(struct cli *cli, int argc, char **argv, const struct option *options,
	   const char *usage)
{
	int opt;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		int r = common_option(cli, opt, optarg);

		if (r < 0) {
			exit(cli_fail("%s", cli->err));
		}
		if (r > 0) {
			continue;
		}
		if (opt == 'h') {
			fputs(usage, stdout);
			fputs(cli_usage_common, stdout);
			exit(0);
		}
		if (opt == '?' || opt == ':') {
			fputs(usage, stderr);
			exit(2);
		}
		return opt;
	}
	return -1;
}

static int
mkdir_parents(const char *path)
{
	char buf[STORE_PATH_MAX];
	char *dir;

	snprintf(buf, sizeof(buf), "%s", path);
	dir = dirname(buf);
	if (strcmp(dir, ".") == 0 || strcmp(dir, "/") == 0) {
		return 0;
	}
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
				return -errno;
			}
			*p = '/';
		}
	}
	return mkdir(dir, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

int
cli_finish(struct cli *cli)
{
	enum mnemo_log_level level;

	if (mnemo_log_parse_level(cli->cfg.log_level, &level) < 0) {
		snprintf(cli->err, sizeof(cli->err),
			 "[log] level: '%s' is not err, warn, notice, info or debug",
			 cli->cfg.log_level);
		return -1;
	}
	mnemo_log_set_level(level);
	return 0;
}

int
cli_prepare_db(struct cli *cli)
{
	int r = mkdir_parents(cli->cfg.store.db_path);

	if (r < 0) {
		snprintf(cli->err, sizeof(cli->err), "cannot create the directory of %s: %s",
			 cli->cfg.store.db_path, strerror(-r));
		return -1;
	}
	return 0;
}

int
cli_read_input(const char *path, size_t max, char **ret, size_t *ret_len, char *err,
	       size_t err_size)
{
	FILE *f = path == NULL || strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t len = 0, cap = 64 * 1024;
	char *buf;

	if (f == NULL) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(cap);
	if (buf == NULL) {
		snprintf(err, err_size, "out of memory reading the input");
	}
	while (buf != NULL) {
		size_t n = fread(buf + len, 1, cap - len - 1, f);

		len += n;
		if (len > max) {
			snprintf(err, err_size, "%s is over the limit of %zu bytes",
				 path ? path : "the input", max);
			free(buf);
			buf = NULL;
		} else if (n == 0) {
			if (ferror(f)) {
				snprintf(err, err_size, "%s: read error", path ? path : "standard input");
				free(buf);
				buf = NULL;
			}
			break;
		} else if (len + 1 == cap) {
			char *grown = realloc(buf, cap * 2);

			if (grown == NULL) {
				snprintf(err, err_size, "out of memory reading the input");
				free(buf);
			}
			buf = grown;
			cap *= 2;
		}
	}
	if (f != stdin) {
		fclose(f);
	}
	if (buf == NULL) {
		return -1;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}
