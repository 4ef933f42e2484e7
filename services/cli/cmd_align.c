/* mnemo align: a document and its translation in, sentence pairs out (POST /v1/align). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "text.h"

enum { OPT_FROM = OPT_FIRST_OWN, OPT_TO, OPT_SEGMENTED, OPT_STORE, OPT_JSON, OPT_MIN_SCORE,
       OPT_FORMAT, OPT_ENCODING, OPT_HARD_WRAP, OPT_ORIGIN, OPT_REQUEST_ID, OPT_PROJECT,
       OPT_DOMAIN, MAX_INPUT_BYTES = 64 * 1024 * 1024 };

static const char usage[] =
	"Usage: mnemo align --from L --to L [--segmented] [--store] [--json] [--min-score X]\n"
	"                   [--format text|html] [--encoding E] [--hard-wrap]\n"
	"                   [--origin O] [--request-id KEY] [--project P] [--domain D]\n"
	"                   SOURCE_FILE TARGET_FILE\n"
	"\n"
	"Aligns a document (SOURCE_FILE, in --from) with its translation (TARGET_FILE, in --to)\n"
	"into sentence pairs. Prints one bead per line: the source sentences, a tab, the target\n"
	"sentences, a tab, the bead's confidence (0-1). Sentences of a 2-1, 1-2 or 2-2 bead are\n"
	"joined by a space; a sentence with no counterpart has an empty other side (and a\n"
	"confidence of 0). Boilerplate, paragraphs in another language and sentences left\n"
	"untranslated are never paired.\n"
	"\n"
	"  --from L, --to L   the languages of the two files (BCP 47)\n"
	"  --segmented        every line is one sentence (as hunalign takes them); an empty\n"
	"                     line is a paragraph break, not a sentence\n"
	"  --json             one JSON object per bead: source_ids and target_ids (0-based\n"
	"                     sentence numbers of each file), source, target, score, bead\n"
	"                     (\"1-1\", \"2-1\", \"1-0\", ...), accepted, and skipped (why a\n"
	"                     sentence has no counterpart: boilerplate, foreign, untranslated)\n"
	"  --store            keep the accepted pairs (two sides, score >= --min-score) in the\n"
	"                     translation memory; a summary goes to standard error\n"
	"  --min-score X      the lowest confidence stored, 0-1 (default 0.5)\n"
	"  --origin O         the stored units' origin (default align:SOURCE_FILE's name)\n"
	"  --request-id KEY   idempotency key: aligning again with the same key stores nothing\n"
	"                     twice\n"
	"  --project P, --domain D   the stored units' project and domain\n"
	"  --format F         text (default: one paragraph per line) or html\n"
	"  --encoding E       the files' encoding (default: UTF-8 if they are, else detected)\n"
	"  --hard-wrap        the text is wrapped at a width: only blank lines end paragraphs\n"
	"\n"
	"Examples:\n"
	"  mnemo align --from fr --to en article.fr.txt article.en.txt\n"
	"  mnemo align --from fr --to en --segmented --json doc.fr.txt doc.en.txt\n"
	"  mnemo align --from fr --to en --store --request-id article-42 a.fr.txt a.en.txt\n"
	"\n";

struct align_args {
	struct cli cli;
	const char *from, *to, *min_score, *format, *encoding, *origin, *request_id;
	const char *project, *domain;
	const char *files[2];
	int segmented, store, json, hard_wrap;
};

static int
parse(int argc, char **argv, struct align_args *a)
{
	static const struct option options[] = {
		CLI_COMMON_OPTIONS,
		{"from", required_argument, NULL, OPT_FROM},
		{"to", required_argument, NULL, OPT_TO},
		{"segmented", no_argument, NULL, OPT_SEGMENTED},
		{"store", no_argument, NULL, OPT_STORE},
		{"json", no_argument, NULL, OPT_JSON},
		{"min-score", required_argument, NULL, OPT_MIN_SCORE},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"encoding", required_argument, NULL, OPT_ENCODING},
		{"hard-wrap", no_argument, NULL, OPT_HARD_WRAP},
		{"origin", required_argument, NULL, OPT_ORIGIN},
		{"request-id", required_argument, NULL, OPT_REQUEST_ID},
		{"project", required_argument, NULL, OPT_PROJECT},
		{"domain", required_argument, NULL, OPT_DOMAIN},
		{NULL, 0, NULL, 0},
	};
	const char **value[] = {
		[OPT_FROM - OPT_FIRST_OWN] = &a->from,
		[OPT_TO - OPT_FIRST_OWN] = &a->to,
		[OPT_MIN_SCORE - OPT_FIRST_OWN] = &a->min_score,
		[OPT_FORMAT - OPT_FIRST_OWN] = &a->format,
		[OPT_ENCODING - OPT_FIRST_OWN] = &a->encoding,
		[OPT_ORIGIN - OPT_FIRST_OWN] = &a->origin,
		[OPT_REQUEST_ID - OPT_FIRST_OWN] = &a->request_id,
		[OPT_PROJECT - OPT_FIRST_OWN] = &a->project,
		[OPT_DOMAIN - OPT_FIRST_OWN] = &a->domain,
	};
	int opt;

	if (cli_init(&a->cli, argc, argv, "warn") < 0) {
		return cli_fail("%s", a->cli.err);
	}
	while ((opt = cli_getopt(&a->cli, argc, argv, options, usage)) != -1) {
		if (opt == OPT_SEGMENTED) {
			a->segmented = 1;
		} else if (opt == OPT_STORE) {
			a->store = 1;
		} else if (opt == OPT_JSON) {
			a->json = 1;
		} else if (opt == OPT_HARD_WRAP) {
			a->hard_wrap = 1;
		} else if (opt >= OPT_FIRST_OWN && opt <= OPT_DOMAIN &&
			   value[opt - OPT_FIRST_OWN] != NULL) {
			*value[opt - OPT_FIRST_OWN] = optarg;
		} else {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (argc - optind != 2) {
		fputs(usage, stderr);
		return 2;
	}
	a->files[0] = argv[optind];
	a->files[1] = argv[optind + 1];
	if (a->from == NULL || a->to == NULL) {
		return cli_fail("align: --from and --to are required (e.g. --from fr --to en)");
	}
	if (a->format != NULL && strcmp(a->format, "text") != 0 && strcmp(a->format, "html") != 0) {
		return cli_fail("align: --format is text or html, not %s", a->format);
	}
	if (a->segmented && (a->format != NULL || a->encoding != NULL || a->hard_wrap)) {
		return cli_fail("align: --segmented files are UTF-8 sentences, one a line: "
				"--format, --encoding and --hard-wrap do not apply");
	}
	return cli_finish(&a->cli) < 0 ? cli_fail("%s", a->cli.err) : 0;
}

/* --segmented: the file's lines, as the request's segments ("" for an empty line). */
static json_t *
segments_of(const char *path, const char *data, size_t len, char *err, size_t err_size)
{
	json_t *list = json_array();
	size_t off, line = 1;

	if (mnemo_text_check_utf8(data, len, &off) < 0) {
		for (size_t i = 0; i < off; i++) {
			line += data[i] == '\n';
		}
		snprintf(err, err_size, "%s:%zu: not valid UTF-8 (byte %zu; --segmented files are "
			 "UTF-8: convert them with iconv first)", path, line, off);
		json_decref(list);
		return NULL;
	}
	for (size_t at = 0; at < len;) {
		const char *nl = memchr(data + at, '\n', len - at);
		size_t end = nl != NULL ? (size_t)(nl - data) : len, n = end - at;

		if (n > 0 && data[at + n - 1] == '\r') {
			n--;
		}
		json_array_append_new(list, json_stringn(data + at, n));
		at = end + 1;
	}
	return list;
}

/* One side of the request: {"lang", "name", and its sentences or its bytes}. */
static json_t *
document(const struct align_args *a, int side, char *err, size_t err_size)
{
	const char *path = a->files[side], *name = strrchr(path, '/');
	json_t *doc = json_pack("{s:s, s:s}", "lang", side == 0 ? a->from : a->to, "name",
				name != NULL ? name + 1 : path);
	char *data;
	size_t len;

	if (cli_read_input(path, MAX_INPUT_BYTES, &data, &len, err, err_size) < 0) {
		json_decref(doc);
		return NULL;
	}
	if (a->segmented) {
		json_t *segs = segments_of(path, data, len, err, err_size);

		free(data);
		if (segs == NULL) {
			json_decref(doc);
			return NULL;
		}
		json_object_set_new(doc, "segments", segs);
		return doc;
	}
	if (a->format != NULL) {
		json_object_set_new(doc, "format", json_string(a->format));
	}
	if (a->hard_wrap) {
		json_object_set_new(doc, "hard_wrap", json_true());
	}
	if (cli_document_content(doc, data, len, a->encoding) < 0) {
		snprintf(err, err_size, "%s: out of memory", path);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static json_t *
request(const struct align_args *a, char *err, size_t err_size)
{
	json_t *req = json_object(), *src, *tgt;
	char *end;

	if (a->min_score != NULL) {
		double v = strtod(a->min_score, &end);

		if (*a->min_score == '\0' || *end != '\0' || !(v > 0 && v <= 1)) {
			snprintf(err, err_size, "--min-score takes a confidence above 0, up to 1");
			json_decref(req);
			return NULL;
		}
		json_object_set_new(req, "min_score", json_real(v));
	}
	src = document(a, 0, err, err_size);
	tgt = src != NULL ? document(a, 1, err, err_size) : NULL;
	if (tgt == NULL) {
		json_decref(src);
		json_decref(req);
		return NULL;
	}
	json_object_set_new(req, "source", src);
	json_object_set_new(req, "target", tgt);
	json_object_set_new(req, "store", json_boolean(a->store));
	if (a->origin != NULL) {
		json_object_set_new(req, "origin", json_string(a->origin));
	}
	if (a->request_id != NULL) {
		json_object_set_new(req, "request_id", json_string(a->request_id));
	}
	if (a->project != NULL) {
		json_object_set_new(req, "project", json_string(a->project));
	}
	if (a->domain != NULL) {
		json_object_set_new(req, "domain", json_string(a->domain));
	}
	return req;
}

/* A side of a bead on one line: tabs and line breaks inside it become spaces. */
static void
put_flat(const char *s)
{
	for (; *s != '\0'; s++) {
		putchar(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
	}
}

static void
print_beads(const json_t *reply, int as_json)
{
	const json_t *pairs = json_object_get(reply, "pairs"), *p;
	size_t i;

	json_array_foreach(pairs, i, p) {
		if (as_json) {
			char *line = json_dumps(p, JSON_COMPACT | JSON_REAL_PRECISION(6));

			if (line != NULL) {
				puts(line);
				free(line);
			}
			continue;
		}
		put_flat(json_string_value(json_object_get(p, "source")));
		putchar('\t');
		put_flat(json_string_value(json_object_get(p, "target")));
		printf("\t%.2f\n", json_number_value(json_object_get(p, "score")));
	}
}

int
cmd_align(int argc, char **argv)
{
	struct align_args a = {0};
	json_t *req, *reply;
	int rc;

	rc = parse(argc, argv, &a);
	if (rc != 0) {
		return rc;
	}
	req = request(&a, a.cli.err, sizeof(a.cli.err));
	if (req == NULL) {
		return cli_fail("%s", a.cli.err);
	}
	rc = cli_request(&a.cli, EMBED_ALL, "/v1/align", req, &reply);
	json_decref(req);
	if (rc != 0) {
		return rc;
	}
	print_beads(reply, a.json);
	if (a.store) {
		long long stored = json_integer_value(json_object_get(reply, "stored"));

		fprintf(stderr,
			"mnemo: stored %lld pair%s (%lld already in the memory); %lld below "
			"--min-score, not stored\n",
			stored, cli_plural((uint64_t)stored),
			(long long)json_integer_value(json_object_get(reply, "duplicates")),
			(long long)json_integer_value(json_object_get(reply, "below_min_score")));
	}
	json_decref(reply);
	return 0;
}
