/* mnemo segment and mnemo lookup: text in, sentences (and their matches) out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "text.h"

enum { OPT_LANG = OPT_FIRST_OWN, OPT_JSON, OPT_FROM, OPT_TO, OPT_MIN_SCORE, OPT_MAX,
       OPT_CONTEXT, OPT_FORMAT, OPT_ENCODING, OPT_HARD_WRAP, OPT_SRX, MAX_INPUT_BYTES = 64 * 1024 * 1024 };

static const char segment_usage[] =
	"Usage: mnemo segment [--lang L] [--format text|html] [--encoding E] [--hard-wrap]\n"
	"                     [--srx FILE] [--json] [FILE|-]\n"
	"\n"
	"Splits a document (a file, or standard input) into sentences. Prints one segment per\n"
	"line and an empty line between paragraphs; --json prints the API's reply, with byte\n"
	"offsets into the input, paragraph numbers, kinds (sentence, heading, boilerplate,\n"
	"foreign) and languages.\n"
	"\n"
	"  --lang L         the document's language (BCP 47); default: detected\n"
	"  --format F       text (default: one paragraph per line) or html\n"
	"  --encoding E     the input's encoding (windows-1252, ISO-8859-1, ...); default:\n"
	"                   UTF-8 if it is, else detected\n"
	"  --hard-wrap      the text is wrapped at a width: only blank lines end paragraphs\n"
	"  --srx FILE       SRX 2.0 rules over the built-in ones (local mode; a server takes\n"
	"                   them from its [segmenter] srx setting)\n"
	"\n"
	"Examples:\n"
	"  printf 'Bonjour M. Dupont. Ça va ?\\nTrès bien.\\n' | mnemo segment\n"
	"  mnemo segment --format html --json page.html\n"
	"\n";

static const char lookup_usage[] =
	"Usage: mnemo lookup --from fr --to en [--context KEY] [--min-score N] [--max N]\n"
	"                    [--json] [FILE|-]\n"
	"\n"
	"Segments the text and looks every sentence up in the translation memory. Prints each\n"
	"sentence, then one line per match: a tab, the score (101 in context, 100 exact, 0-99\n"
	"fuzzy), a tab, the unit id, a tab, the proposed translation (the stored one with this\n"
	"sentence's numbers and placeholders), and after a tab the penalties, if any (case,\n"
	"punctuation, whitespace, numbers, tags).\n"
	"\n"
	"  --context KEY    the text's context key (a gettext msgctxt...): exact matches on\n"
	"                   units stored with it score 101\n"
	"  --min-score N    the lowest score shown, 1-101 (default 50)\n"
	"  --max N          matches per sentence, 1-100 (default 5)\n"
	"  --json           print the API's reply\n"
	"\n"
	"Example:\n"
	"  echo 'Le chat dort sur le canapé.' | mnemo lookup --from fr --to en\n"
	"\n";

struct text_args {
	struct cli cli;
	const char *lang, *from, *to, *file, *format, *encoding, *srx;
	const char *min_score, *max, *context;
	int json, hard_wrap;
};

static int
parse(int argc, char **argv, const char *usage, struct text_args *a)
{
	static const struct option options[] = {
		CLI_COMMON_OPTIONS,
		{"lang", required_argument, NULL, OPT_LANG},
		{"json", no_argument, NULL, OPT_JSON},
		{"from", required_argument, NULL, OPT_FROM},
		{"to", required_argument, NULL, OPT_TO},
		{"min-score", required_argument, NULL, OPT_MIN_SCORE},
		{"max", required_argument, NULL, OPT_MAX},
		{"context", required_argument, NULL, OPT_CONTEXT},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"encoding", required_argument, NULL, OPT_ENCODING},
		{"hard-wrap", no_argument, NULL, OPT_HARD_WRAP},
		{"srx", required_argument, NULL, OPT_SRX},
		{NULL, 0, NULL, 0},
	};
	int opt;

	if (cli_init(&a->cli, argc, argv, "warn") < 0) {
		return cli_fail("%s", a->cli.err);
	}
	while ((opt = cli_getopt(&a->cli, argc, argv, options, usage)) != -1) {
		switch (opt) {
		case OPT_LANG:
			a->lang = optarg;
			break;
		case OPT_JSON:
			a->json = 1;
			break;
		case OPT_FROM:
			a->from = optarg;
			break;
		case OPT_TO:
			a->to = optarg;
			break;
		case OPT_MIN_SCORE:
			a->min_score = optarg;
			break;
		case OPT_MAX:
			a->max = optarg;
			break;
		case OPT_CONTEXT:
			a->context = optarg;
			break;
		case OPT_FORMAT:
			a->format = optarg;
			break;
		case OPT_ENCODING:
			a->encoding = optarg;
			break;
		case OPT_HARD_WRAP:
			a->hard_wrap = 1;
			break;
		case OPT_SRX:
			a->srx = optarg;
			break;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind + 1 < argc) {
		fputs(usage, stderr);
		return 2;
	}
	a->file = optind < argc ? argv[optind] : NULL;
	return cli_finish(&a->cli) < 0 ? cli_fail("%s", a->cli.err) : 0;
}

/* Reads the input, sends it, and leaves the reply in *ret_reply (exit status returned). */
static int
send_text(struct text_args *a, unsigned services, const char *path, json_t *req,
	  const char *text_field, json_t **ret_reply)
{
	char *text;
	size_t len, off;
	int rc;

	if (cli_read_input(a->file, MAX_INPUT_BYTES, &text, &len, a->cli.err,
			   sizeof(a->cli.err)) < 0) {
		json_decref(req);
		return cli_fail("%s", a->cli.err);
	}
	if (mnemo_text_check_utf8(text, len, &off) < 0) {
		json_decref(req);
		free(text);
		return cli_fail("%s: not valid UTF-8 at byte %zu (convert it with iconv first)",
				a->file ? a->file : "standard input", off);
	}
	json_object_set_new(req, text_field, json_stringn(text, len));
	free(text);
	rc = cli_request(&a->cli, services, path, req, ret_reply);
	json_decref(req);
	return rc;
}

static void
print_json(const json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT);

	if (s != NULL) {
		puts(s);
		free(s);
	}
}

int
cmd_segment(int argc, char **argv)
{
	struct text_args a = {0};
	json_t *reply, *segs, *seg;
	char path[256], content_type[128];
	struct client *c;
	char *data;
	size_t len, i;
	long paragraph = -1;
	int rc, status;

	rc = parse(argc, argv, segment_usage, &a);
	if (rc != 0) {
		return rc;
	}
	if (a.format != NULL && strcmp(a.format, "text") != 0 && strcmp(a.format, "html") != 0) {
		return cli_fail("segment: --format is text or html, not %s", a.format);
	}
	if (a.srx != NULL) {
		if (a.cli.url != NULL) {
			return cli_fail("segment: --srx works in local mode; a server takes its "
					"rules from [segmenter] srx");
		}
		if (mnemo_config_set(&a.cli.cfg, "segmenter.srx", a.srx, a.cli.err,
				     sizeof(a.cli.err)) < 0) {
			return cli_fail("%s", a.cli.err);
		}
	}
	if (cli_read_input(a.file, MAX_INPUT_BYTES, &data, &len, a.cli.err, sizeof(a.cli.err)) <
	    0) {
		return cli_fail("%s", a.cli.err);
	}
	/* The document goes as it is; the service decodes it and reports offsets into it. */
	snprintf(content_type, sizeof(content_type), "text/%s%s%s",
		 a.format != NULL && strcmp(a.format, "html") == 0 ? "html" : "plain",
		 a.encoding != NULL ? "; charset=" : "", a.encoding != NULL ? a.encoding : "");
	snprintf(path, sizeof(path), "/v1/segment?hard_wrap=%s%s%s", a.hard_wrap ? "true" : "false",
		 a.lang != NULL ? "&lang=" : "", a.lang != NULL ? a.lang : "");
	if (client_open(&a.cli, EMBED_SEGMENTER, &c) < 0) {
		free(data);
		return cli_fail("%s", a.cli.err);
	}
	rc = client_call_raw(c, "POST", path, content_type, data, len, &status, &reply, a.cli.err,
			     sizeof(a.cli.err));
	client_close(c);
	free(data);
	if (rc < 0) {
		return cli_fail("%s", a.cli.err);
	}
	if (status / 100 != 2) {
		char buf[1024];

		rc = cli_fail("%s", client_error_text(reply, buf, sizeof(buf)));
		json_decref(reply);
		return rc;
	}
	if (a.json) {
		print_json(reply);
		json_decref(reply);
		return 0;
	}
	segs = json_object_get(reply, "segments");
	json_array_foreach(segs, i, seg) {
		long p = (long)json_integer_value(json_object_get(seg, "paragraph"));

		if (paragraph >= 0 && p != paragraph) {
			putchar('\n');
		}
		paragraph = p;
		puts(json_string_value(json_object_get(seg, "text")));
	}
	json_decref(reply);
	return 0;
}

static int
set_number(json_t *req, const char *field, const char *flag, const char *value, long lo, long hi)
{
	char *end;
	long v;

	if (value == NULL) {
		return 0;
	}
	v = strtol(value, &end, 10);
	if (*value == '\0' || *end != '\0' || v < lo || v > hi) {
		return cli_fail("%s takes a number from %ld to %ld", flag, lo, hi);
	}
	json_object_set_new(req, field, json_integer(v));
	return 0;
}

int
cmd_lookup(int argc, char **argv)
{
	struct text_args a = {0};
	json_t *req, *reply, *results, *res, *matches, *m;
	size_t i, k;
	int rc;

	rc = parse(argc, argv, lookup_usage, &a);
	if (rc != 0) {
		return rc;
	}
	if (a.from == NULL || a.to == NULL) {
		return cli_fail("lookup: --from and --to are required (e.g. --from fr --to en)");
	}
	req = json_pack("{s:s, s:s}", "source", a.from, "target", a.to);
	if (a.context != NULL) {
		json_object_set_new(req, "context", json_string(a.context));
	}
	if (set_number(req, "min_score", "--min-score", a.min_score, 1, 101) != 0 ||
	    set_number(req, "max", "--max", a.max, 1, 100) != 0) {
		json_decref(req);
		return 1;
	}
	rc = send_text(&a, EMBED_ALL, "/v1/lookup", req, "text", &reply);
	if (rc != 0) {
		return rc;
	}
	if (a.json) {
		print_json(reply);
		json_decref(reply);
		return 0;
	}
	results = json_object_get(reply, "results");
	json_array_foreach(results, i, res) {
		puts(json_string_value(json_object_get(res, "segment")));
		matches = json_object_get(res, "matches");
		json_array_foreach(matches, k, m) {
			json_t *penalties = json_object_get(m, "penalties"), *p;
			size_t j;

			printf("\t%lld\t%lld\t%s",
			       (long long)json_integer_value(json_object_get(m, "score")),
			       (long long)json_integer_value(json_object_get(m, "unit")),
			       json_string_value(json_object_get(m, "proposal")));
			json_array_foreach(penalties, j, p) {
				printf("%s%s", j == 0 ? "\t" : ",", json_string_value(p));
			}
			putchar('\n');
		}
	}
	json_decref(reply);
	return 0;
}
