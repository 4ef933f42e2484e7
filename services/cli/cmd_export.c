/* mnemo export: the translation memory as TMX 1.4b, streamed to a file or standard output.
 * Remote mode reads GET /v1/tmx as it comes; local mode pulls the same document from the
 * gateway's export in this process. Either way the memory is never held whole. */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "gateway.h"

static const char usage[] =
	"Usage: mnemo export [--source LANG --target LANG | --lang LANG...] [-o FILE]\n"
	"\n"
	"Writes the translation memory as TMX 1.4b: every unit with its variants, inline\n"
	"markup, dates, users, origin, project, domain, context and properties. With\n"
	"--source and --target, a pair (the header's srclang is LANG of --source); with\n"
	"--lang (repeated, or LANG,LANG), those languages; without, every language. A unit\n"
	"with fewer than two of the languages asked for is left out.\n"
	"\n"
	"  --source LANG, --target LANG   a pair of languages (BCP 47 tags)\n"
	"  --lang LANG                    a language to export; two or more\n"
	"  -o, --output FILE              write FILE (whole, or not at all: it appears once\n"
	"                                 complete) instead of standard output\n"
	"\n"
	"Examples:\n"
	"  mnemo export -o memory.tmx\n"
	"  mnemo export --source en --target fr --url http://127.0.0.1:8700 > en-fr.tmx\n"
	"\n";

enum { OPT_SOURCE = OPT_FIRST_OWN, OPT_TARGET, OPT_LANG, MAX_LANGS = 64, BLOCK = 64 * 1024 };

/* Counts a string in a stream that comes in pieces, one split between two pieces too. */
struct counter {
	const char *needle; /* at most 15 bytes */
	uint64_t n;
	char tail[16]; /* the last bytes seen, fewer than the needle's */
	size_t tail_len;
};

static void
count(struct counter *c, const char *data, size_t len)
{
	const size_t k = strlen(c->needle);
	size_t head = len < k - 1 ? len : k - 1, keep_old, from_new;
	char joined[32];
	const char *p;

	/* one that starts in the previous piece's tail and ends in this one */
	memcpy(joined, c->tail, c->tail_len);
	memcpy(joined + c->tail_len, data, head);
	for (size_t i = 0; i < c->tail_len && i + k <= c->tail_len + head; i++) {
		c->n += memcmp(joined + i, c->needle, k) == 0;
	}
	for (p = data; (p = memmem(p, len - (size_t)(p - data), c->needle, k)) != NULL; p += k) {
		c->n++;
	}
	/* the new tail: the last k - 1 bytes of the old tail and this piece together */
	from_new = len < k - 1 ? len : k - 1;
	keep_old = c->tail_len < k - 1 - from_new ? c->tail_len : k - 1 - from_new;
	memmove(c->tail, c->tail + c->tail_len - keep_old, keep_old);
	memcpy(c->tail + keep_old, data + len - from_new, from_new);
	c->tail_len = keep_old + from_new;
}

/* Where the document goes, and what went by. The TMX writer escapes every '<' of a text,
 * so each "</tu>" ends a unit and each "<!-- unit " is the export's comment for a unit
 * left out, whichever mode made the document. */
struct out {
	FILE *f;
	struct counter units;
	struct counter left_out;
};

static int
put(void *arg, const char *data, size_t len)
{
	struct out *o = arg;

	if (fwrite(data, 1, len, o->f) != len) {
		return errno != 0 ? -errno : -EIO;
	}
	count(&o->units, data, len);
	count(&o->left_out, data, len);
	return 0;
}

static int
run_local(struct client *c, const struct gateway_export_options *opt, struct out *o,
	  struct cli *cli)
{
	struct gateway_http_reply err;
	struct gateway_export *exp;
	char *buf, msg[1024];
	ssize_t n;
	int r = 0;

	if (gateway_export_begin(client_gateway(c), opt, &exp, &err) < 0) {
		json_t *reply = json_loadb(err.body != NULL ? err.body : "", err.body_len, 0, NULL);

		snprintf(cli->err, sizeof(cli->err), "export: %s",
			 client_error_text(reply, msg, sizeof(msg)));
		json_decref(reply);
		free(err.body);
		return -1;
	}
	buf = malloc(BLOCK);
	if (buf == NULL) {
		gateway_export_free(exp);
		snprintf(cli->err, sizeof(cli->err), "export: out of memory");
		return -1;
	}
	while ((n = gateway_export_read(exp, buf, BLOCK)) > 0) {
		r = put(o, buf, (size_t)n);
		if (r < 0) {
			snprintf(cli->err, sizeof(cli->err), "export: writing: %s",
				 mnemo_strerror(r));
			break;
		}
	}
	if (n < 0) {
		snprintf(cli->err, sizeof(cli->err),
			 "export: cut short after %" PRIu64 " unit%s: %s (see the log above)",
			 o->units.n, cli_plural(o->units.n), mnemo_strerror((int)n));
		r = -1;
	}
	free(buf);
	gateway_export_free(exp);
	return r < 0 ? -1 : 0;
}

static int
run_remote(struct client *c, const struct gateway_export_options *opt, struct out *o,
	   struct cli *cli)
{
	char path[4096] = "/v1/tmx", msg[1024];
	json_t *reply = NULL;
	int status, r = 0;

	if (opt->source != NULL) {
		r |= client_query_add(path, sizeof(path), "source", opt->source);
		r |= client_query_add(path, sizeof(path), "target", opt->target);
	}
	for (size_t i = 0; i < opt->n_langs; i++) {
		r |= client_query_add(path, sizeof(path), "lang", opt->langs[i]);
	}
	if (r != 0) {
		snprintf(cli->err, sizeof(cli->err), "export: the languages are too long");
		return -1;
	}
	if (client_get_stream(c, path, put, o, &status, &reply, cli->err, sizeof(cli->err)) < 0) {
		return -1;
	}
	if (reply != NULL) {
		snprintf(cli->err, sizeof(cli->err), "export: %s",
			 client_error_text(reply, msg, sizeof(msg)));
		json_decref(reply);
		return -1;
	}
	return 0;
}

/* -o FILE: written beside it under a temporary name, renamed once complete, so FILE is
 * never a cut document. */
static int
open_output(const char *path, char *tmp, size_t tmp_size, struct out *o, struct cli *cli)
{
	mode_t mask = umask(0);
	int fd;

	umask(mask);
	if ((size_t)snprintf(tmp, tmp_size, "%s.XXXXXX", path) >= tmp_size) {
		snprintf(cli->err, sizeof(cli->err), "%s: name too long", path);
		return -1;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(cli->err, sizeof(cli->err), "%s: %s", path, strerror(errno));
		return -1;
	}
	(void)fchmod(fd, 0666 & ~mask);
	o->f = fdopen(fd, "w");
	if (o->f == NULL) {
		snprintf(cli->err, sizeof(cli->err), "%s: %s", path, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int
close_output(const char *path, const char *tmp, struct out *o, int ok, struct cli *cli)
{
	int r = 0;

	if (fflush(o->f) != 0 || (tmp != NULL && fsync(fileno(o->f)) != 0) || ferror(o->f)) {
		if (ok) {
			snprintf(cli->err, sizeof(cli->err), "%s: %s",
				 path != NULL ? path : "standard output", strerror(errno));
		}
		r = -1;
	}
	if (tmp == NULL) {
		return r;
	}
	if (fclose(o->f) != 0 && r == 0) {
		snprintf(cli->err, sizeof(cli->err), "%s: %s", path, strerror(errno));
		r = -1;
	}
	if (ok && r == 0 && rename(tmp, path) != 0) {
		snprintf(cli->err, sizeof(cli->err), "%s: %s", path, strerror(errno));
		r = -1;
	}
	if (!ok || r < 0) {
		unlink(tmp);
	}
	return r;
}

int
cmd_export(int argc, char **argv)
{
	static const struct option options[] = {
		CLI_COMMON_OPTIONS,
		{"source", required_argument, NULL, OPT_SOURCE},
		{"target", required_argument, NULL, OPT_TARGET},
		{"lang", required_argument, NULL, OPT_LANG},
		{"output", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	struct gateway_export_options opt = {0};
	const char *langs[MAX_LANGS], *output = NULL;
	char tmp[4096];
	struct out o = {.f = stdout, .units.needle = "</tu>", .left_out.needle = "<!-- unit "};
	struct client *c = NULL;
	struct cli cli;
	int opt_ch, rc;

	if (cli_init(&cli, argc, argv, "warn") < 0) {
		return cli_fail("%s", cli.err);
	}
	/* "-o" is ours; cli_getopt's short options are only "h". */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0) {
			argv[i] = "--output";
		}
	}
	while ((opt_ch = cli_getopt(&cli, argc, argv, options, usage)) != -1) {
		if (opt_ch == OPT_SOURCE) {
			opt.source = optarg;
		} else if (opt_ch == OPT_TARGET) {
			opt.target = optarg;
		} else if (opt_ch == OPT_LANG) {
			for (char *save, *tag = strtok_r(optarg, ",", &save); tag != NULL;
			     tag = strtok_r(NULL, ",", &save)) {
				if (opt.n_langs == MAX_LANGS) {
					return cli_fail("export: more than %d languages",
							MAX_LANGS);
				}
				langs[opt.n_langs++] = tag;
			}
		} else if (opt_ch == 'o') {
			output = optarg;
		} else {
			fputs(usage, stderr);
			return 2;
		}
	}
	opt.langs = langs;
	if (optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	if ((opt.source == NULL) != (opt.target == NULL)) {
		return cli_fail("export: --source and --target go together (or use --lang)");
	}
	if (opt.source != NULL && opt.n_langs > 0) {
		return cli_fail("export: give --source and --target, or --lang, not both");
	}
	if (cli_finish(&cli) < 0) {
		return cli_fail("%s", cli.err);
	}
	if (output != NULL && strcmp(output, "-") == 0) {
		output = NULL; /* the usual spelling of standard output */
	}
	if (output != NULL && open_output(output, tmp, sizeof(tmp), &o, &cli) < 0) {
		return cli_fail("%s", cli.err);
	}
	rc = client_open(&cli, EMBED_STORE, &c);
	if (rc == 0) {
		rc = client_gateway(c) != NULL ? run_local(c, &opt, &o, &cli)
					       : run_remote(c, &opt, &o, &cli);
	}
	client_close(c);
	if (close_output(output, output != NULL ? tmp : NULL, &o, rc == 0, &cli) < 0) {
		rc = -1;
	}
	if (rc < 0) {
		return cli_fail("%s", cli.err);
	}
	if (output != NULL) {
		fprintf(stderr, "%s: %" PRIu64 " unit%s\n", output, o.units.n,
			cli_plural(o.units.n));
	}
	if (o.left_out.n > 0) {
		fprintf(stderr,
			"mnemo: export: %" PRIu64 " unit%s left out: TMX cannot carry %s (see the "
			"\"<!-- unit\" comments in the file)\n",
			o.left_out.n, cli_plural(o.left_out.n), o.left_out.n == 1 ? "it" : "them");
	}
	return 0;
}
