/* mnemo import: TMX and gettext files into the translation memory, streamed, each file
 * one import that is kept whole or not at all. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "gateway.h"

static const char usage[] =
	"Usage: mnemo import [--duplicates skip|keep|overwrite] [--source LANG] [--target LANG]\n"
	"                    [--origin TEXT] [--progress | --no-progress] FILE|-...\n"
	"\n"
	"Adds the translation units of TMX files (1.4b, and the 1.1-1.4 files tools write) and\n"
	"gettext files (.po, .mo) to the memory. The format comes from the file's content (XML:\n"
	"TMX; the .mo magic number: .mo; else .po), or its name. Each file is one import: its\n"
	"units are all added, or, if anything in it is wrong, none, and the error names the\n"
	"line and column (FILE:LINE:COLUMN: message). The first file that fails stops the\n"
	"command; the files before it stay imported.\n"
	"\n"
	"  --duplicates D   skip (default): a unit identical to one in the memory is not added;\n"
	"                   keep: every unit is added; overwrite: a unit with the same source\n"
	"                   text and context gets the file's translations\n"
	"  --source LANG    TMX: the language overwrite matches by (default: the file's\n"
	"                   srclang); gettext: the msgid language (default en)\n"
	"  --target LANG    gettext: the msgstr language (default: the file's Language:)\n"
	"  --origin TEXT    the units' origin (default tmx:NAME or gettext:NAME)\n"
	"  --progress       a progress bar on standard error (default: when it is a terminal)\n"
	"  --no-progress    none\n"
	"\n"
	"Prints, per file, what was done: \"memory.tmx: 12,345 units added, 17 skipped as\n"
	"duplicates, 0 updated\".\n"
	"\n"
	"Examples:\n"
	"  mnemo import memory.tmx\n"
	"  mnemo import --source en --target fr --duplicates overwrite editor-fr.po\n"
	"  mnemo import big.tmx --url http://127.0.0.1:8700\n"
	"\n";

enum { OPT_DUPLICATES = OPT_FIRST_OWN, OPT_SOURCE, OPT_TARGET, OPT_ORIGIN, OPT_PROGRESS,
       OPT_NO_PROGRESS, CHUNK_BYTES = 256 * 1024, PROGRESS_EVERY_MS = 200 };

struct import_args {
	struct cli cli;
	const char *duplicates, *source, *target, *origin;
	int progress; /* 1 on, 0 off, -1 when stderr is a terminal */
};

/* One file being imported. */
struct job {
	const struct import_args *a;
	const char *path;
	int fd;
	int is_tmx;
	int64_t size; /* -1 when unknown (a pipe) */
	unsigned char head[512]; /* the first bytes, read to tell the format: sent first */
	size_t head_len, head_off;
	uint64_t sent, units;
	int tu_match; /* remote: how much of "</tu>" the bytes so far end with */
	int show, committing;
	uint64_t started_ms, shown_ms;
};

static const char *
human_bytes(uint64_t n, char *buf, size_t size)
{
	if (n >= 1000000000) {
		snprintf(buf, size, "%.2f GB", (double)n / 1e9);
	} else if (n >= 1000000) {
		snprintf(buf, size, "%.1f MB", (double)n / 1e6);
	} else {
		snprintf(buf, size, "%.1f kB", (double)n / 1e3);
	}
	return buf;
}

static void
show(struct job *j, int last)
{
	uint64_t t = cli_now_ms(), elapsed = t - j->started_ms;
	char sent[32], total[32], units[32], rate[32], bar[CLI_BAR_CELLS + 3];

	if (!j->show || j->committing || (!last && t - j->shown_ms < PROGRESS_EVERY_MS)) {
		return;
	}
	j->committing = last;
	j->shown_ms = t;
	human_bytes(j->sent, sent, sizeof(sent));
	cli_grouped(j->units, units, sizeof(units));
	cli_grouped(elapsed > 0 ? j->units * 1000 / elapsed : 0, rate, sizeof(rate));
	if (j->size > 0) {
		human_bytes((uint64_t)j->size, total, sizeof(total));
		cli_progress_draw("%s %s %3d%% %s of %s, %s unit%s, %s units/s", j->path,
				  cli_bar(j->sent, (uint64_t)j->size, bar, sizeof(bar)),
				  (int)(j->sent * 100 / (uint64_t)j->size), sent, total, units,
				  cli_plural(j->units), rate);
	} else {
		cli_progress_draw("%s %s, %s unit%s, %s units/s", j->path, sent, units,
				  cli_plural(j->units), rate);
	}
	if (last) {
		cli_progress_draw("%s: sent; committing %s unit%s...", j->path, units,
				  cli_plural(j->units));
	}
}

static void
show_clear(struct job *j)
{
	if (j->show) {
		cli_progress_clear();
	}
}

/* ---- which format ---- */

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* TMX when the content is XML (after a byte-order mark and white space), gettext when it
 * is a .mo or anything else; with nothing to go by (an empty file), the name decides. */
static int
sniff_tmx(const char *path, const unsigned char *head, size_t n)
{
	size_t i = 0;

	if (n >= 4 && ((head[0] == 0xde && head[1] == 0x12 && head[2] == 0x04 && head[3] == 0x95) ||
		       (head[0] == 0x95 && head[1] == 0x04 && head[2] == 0x12 && head[3] == 0xde))) {
		return 0;
	}
	if (n >= 2 && ((head[0] == 0xff && head[1] == 0xfe) || (head[0] == 0xfe && head[1] == 0xff))) {
		return 1; /* UTF-16: only TMX may be */
	}
	if (n >= 3 && head[0] == 0xef && head[1] == 0xbb && head[2] == 0xbf) {
		i = 3;
	}
	while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n')) {
		i++;
	}
	if (i < n) {
		return head[i] == '<';
	}
	return ends_with(path, ".tmx") || ends_with(path, ".xml");
}

/* ---- local mode: the gateway's import session, fed from the file ---- */

static int
import_local(struct client *c, struct job *j, const struct gateway_import_options *opt,
	     struct gateway_http_reply *ret_reply, char *err, size_t err_size)
{
	struct gateway_import *imp;
	struct gateway_import_progress pr;
	char *buf = malloc(CHUNK_BYTES);
	ssize_t n;
	int r = 0;

	if (buf == NULL || gateway_import_begin(client_gateway(c), opt, &imp) < 0) {
		free(buf);
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	(void)gateway_import_feed(imp, j->head, j->head_len);
	while (gateway_import_feed(imp, NULL, 0) == 0 && (n = read(j->fd, buf, CHUNK_BYTES)) != 0) {
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			r = -errno;
			break;
		}
		(void)gateway_import_feed(imp, buf, (size_t)n); /* an error: end tells it */
		gateway_import_progress(imp, &pr);
		j->sent = pr.bytes;
		j->units = pr.units;
		show(j, 0);
	}
	free(buf);
	if (r < 0) {
		gateway_import_abort(imp);
		show_clear(j);
		snprintf(err, err_size, "%s: %s; nothing of it was imported", j->path, strerror(-r));
		return -1;
	}
	show(j, 1);
	gateway_import_end(imp, ret_reply);
	show_clear(j);
	return 0;
}

/* ---- remote mode: the file streamed to POST /v1/tmx or /v1/gettext ---- */

static long
remote_source(void *arg, char *buf, size_t max)
{
	static const char tu_end[] = "</tu>";
	struct job *j = arg;
	ssize_t n;

	if (j->head_off < j->head_len) {
		n = (ssize_t)(j->head_len - j->head_off < max ? j->head_len - j->head_off : max);
		memcpy(buf, j->head + j->head_off, (size_t)n);
		j->head_off += (size_t)n;
	} else {
		do {
			n = read(j->fd, buf, max);
		} while (n < 0 && errno == EINTR);
	}
	if (n < 0) {
		return -1;
	}
	if (j->is_tmx) {
		/* Units as they go, counted by their end tags ('<' begins the tag only). */
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == tu_end[j->tu_match]) {
				if (++j->tu_match == 5) {
					j->units++;
					j->tu_match = 0;
				}
			} else {
				j->tu_match = buf[i] == '<';
			}
		}
	}
	return (long)n;
}

static void
remote_progress(void *arg, uint64_t sent)
{
	struct job *j = arg;

	j->sent = sent;
	show(j, j->size >= 0 && sent == (uint64_t)j->size);
}

static int
import_remote(struct client *c, struct job *j, const struct gateway_import_options *opt,
	      int *ret_status, json_t **ret_reply, char *err, size_t err_size)
{
	char path[4096];
	int r;

	snprintf(path, sizeof(path), "%s", j->is_tmx ? "/v1/tmx" : "/v1/gettext");
	r = client_query_add(path, sizeof(path), "name", opt->name);
	if (r == 0 && opt->duplicates != NULL) {
		r = client_query_add(path, sizeof(path), "duplicates", opt->duplicates);
	}
	if (r == 0 && opt->source != NULL) {
		r = client_query_add(path, sizeof(path), "source", opt->source);
	}
	if (r == 0 && opt->target != NULL) {
		r = client_query_add(path, sizeof(path), "target", opt->target);
	}
	if (r == 0) {
		r = client_query_add(path, sizeof(path), "origin", opt->origin);
	}
	if (r < 0) {
		snprintf(err, err_size, "the options are too long");
		return -1;
	}
	r = client_post_stream(c, path, j->size, remote_source, remote_progress, j, ret_status,
			       ret_reply, err, err_size);
	show_clear(j);
	return r;
}

/* ---- one file ---- */

static int
import_file(struct client *c, const struct import_args *a, const char *arg)
{
	const char *path = strcmp(arg, "-") == 0 ? "stdin" : arg; /* in messages */
	char origin[1024], base_buf[1024], errbuf[4096], n1[32], n2[32], n3[32];
	struct gateway_import_options opt = {0};
	struct job j = {.a = a, .path = path, .size = -1};
	json_t *reply = NULL;
	struct stat st;
	int status = 0, rc = 0;
	ssize_t n;

	j.fd = strcmp(arg, "-") == 0 ? dup(STDIN_FILENO) : open(arg, O_RDONLY | O_CLOEXEC);
	if (j.fd < 0) {
		return cli_fail("%s: %s", path, strerror(errno));
	}
	if (fstat(j.fd, &st) == 0 && S_ISREG(st.st_mode)) {
		j.size = st.st_size - lseek(j.fd, 0, SEEK_CUR);
	}
	/* The first bytes tell the format; they are sent first, so a pipe works too. */
	while (j.head_len < sizeof(j.head)) {
		n = read(j.fd, j.head + j.head_len, sizeof(j.head) - j.head_len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			rc = cli_fail("%s: %s", path, strerror(errno));
			close(j.fd);
			return rc;
		}
		if (n == 0) {
			break;
		}
		j.head_len += (size_t)n;
	}
	j.is_tmx = sniff_tmx(path, j.head, j.head_len);
	snprintf(base_buf, sizeof(base_buf), "%s", path);
	snprintf(origin, sizeof(origin), "%s:%s", j.is_tmx ? "tmx" : "gettext", basename(base_buf));
	opt.format = j.is_tmx ? GATEWAY_IMPORT_TMX : GATEWAY_IMPORT_GETTEXT;
	opt.duplicates = a->duplicates;
	opt.source = a->source;
	opt.target = j.is_tmx ? NULL : a->target; /* a TMX file names its languages */
	opt.origin = a->origin != NULL ? a->origin : origin;
	opt.name = path;
	j.show = a->progress > 0 || (a->progress < 0 && isatty(STDERR_FILENO));
	j.started_ms = cli_now_ms();

	if (client_gateway(c) != NULL) {
		struct gateway_http_reply out;

		if (import_local(c, &j, &opt, &out, errbuf, sizeof(errbuf)) < 0) {
			close(j.fd);
			return cli_fail("%s", errbuf);
		}
		status = out.status;
		reply = json_loadb(out.body != NULL ? out.body : "", out.body_len, 0, NULL);
		free(out.body);
		if (reply == NULL) {
			close(j.fd);
			return cli_fail("%s: the import's reply is not JSON", path);
		}
	} else if (import_remote(c, &j, &opt, &status, &reply, errbuf, sizeof(errbuf)) < 0) {
		close(j.fd);
		return cli_fail("%s", errbuf);
	}
	close(j.fd);
	if (status / 100 != 2) {
		const json_t *e = json_object_get(reply, "error");
		const char *message = json_string_value(json_object_get(e, "message"));

		/* Errors about the file start with FILE:LINE:COLUMN; others get the file's name. */
		if (message != NULL && strncmp(message, path, strlen(path)) == 0) {
			rc = cli_fail("%s (nothing of the file was imported)", message);
		} else {
			rc = cli_fail("%s: %s (nothing of it was imported)", path,
				      client_error_text(reply, errbuf, sizeof(errbuf)));
		}
	} else {
		uint64_t added = (uint64_t)json_integer_value(json_object_get(reply, "added"));

		printf("%s: %s unit%s added, %s skipped as duplicates, %s updated\n", path,
		       cli_grouped(added, n1, sizeof(n1)), cli_plural(added),
		       cli_grouped((uint64_t)json_integer_value(json_object_get(reply, "skipped")),
				   n2, sizeof(n2)),
		       cli_grouped((uint64_t)json_integer_value(json_object_get(reply, "updated")),
				   n3, sizeof(n3)));
		fflush(stdout);
	}
	json_decref(reply);
	return rc;
}

int
cmd_import(int argc, char **argv)
{
	static const struct option options[] = {
		CLI_COMMON_OPTIONS,
		{"duplicates", required_argument, NULL, OPT_DUPLICATES},
		{"source", required_argument, NULL, OPT_SOURCE},
		{"target", required_argument, NULL, OPT_TARGET},
		{"origin", required_argument, NULL, OPT_ORIGIN},
		{"progress", no_argument, NULL, OPT_PROGRESS},
		{"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
		{NULL, 0, NULL, 0},
	};
	struct import_args a = {.progress = -1};
	struct client *c = NULL;
	int opt, rc = 0;

	if (cli_init(&a.cli, argc, argv, "warn") < 0) {
		return cli_fail("%s", a.cli.err);
	}
	while ((opt = cli_getopt(&a.cli, argc, argv, options, usage)) != -1) {
		switch (opt) {
		case OPT_DUPLICATES:
			if (strcmp(optarg, "skip") != 0 && strcmp(optarg, "keep") != 0 &&
			    strcmp(optarg, "overwrite") != 0) {
				return cli_fail("import: --duplicates is skip, keep or overwrite, "
						"not '%s'",
						optarg);
			}
			a.duplicates = optarg;
			break;
		case OPT_SOURCE:
			a.source = optarg;
			break;
		case OPT_TARGET:
			a.target = optarg;
			break;
		case OPT_ORIGIN:
			a.origin = optarg;
			break;
		case OPT_PROGRESS:
			a.progress = 1;
			break;
		case OPT_NO_PROGRESS:
			a.progress = 0;
			break;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	if (cli_finish(&a.cli) < 0) {
		return cli_fail("%s", a.cli.err);
	}
	if (client_open(&a.cli, EMBED_STORE, &c) < 0) {
		return cli_fail("%s", a.cli.err);
	}
	for (int i = optind; i < argc && rc == 0; i++) {
		rc = import_file(c, &a, argv[i]);
	}
	client_close(c);
	return rc;
}
