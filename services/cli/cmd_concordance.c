/* mnemo concordance: where the memory uses some words, with the translation beside. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"Usage: mnemo concordance [--lang L] [--target L] [--max N] [--json] QUERY\n"
	"\n"
	"Finds the stored texts that contain the words of QUERY (case and accents ignored) and\n"
	"prints one line per hit: the unit id, a tab, the language, a tab, the text, and with\n"
	"--target a tab and that language's text of the same unit. The query is SQLite FTS5's:\n"
	"words in any order, \"a phrase\" in order, prefix*, AND, OR, NOT. Right after a large\n"
	"import, its units are indexed in the background (over 100,000 a second); until then\n"
	"a note on standard error says that hits among them may be missing.\n"
	"\n"
	"  --lang L     search only the texts in L (default: every language)\n"
	"  --target L   show each hit's unit in L too\n"
	"  --max N      at most N hits (1-1000, default 50)\n"
	"  --json       print the API's reply\n"
	"\n"
	"Examples:\n"
	"  mnemo concordance --lang fr --target en 'mot de passe'\n"
	"  mnemo concordance --lang en '\"file not found\"'\n"
	"\n";

enum { OPT_LANG = OPT_FIRST_OWN, OPT_TARGET, OPT_MAX, OPT_JSON };

int
cmd_concordance(int argc, char **argv)
{
	static const struct option options[] = {
		CLI_COMMON_OPTIONS,
		{"lang", required_argument, NULL, OPT_LANG},
		{"target", required_argument, NULL, OPT_TARGET},
		{"max", required_argument, NULL, OPT_MAX},
		{"json", no_argument, NULL, OPT_JSON},
		{NULL, 0, NULL, 0},
	};
	const char *lang = NULL, *target = NULL, *max = NULL;
	char path[4096] = "/v1/concordance", buf[1024];
	json_t *reply, *hit;
	struct client *c;
	struct cli cli;
	int opt, json = 0, status, rc = 0;
	size_t i;

	if (cli_init(&cli, argc, argv, "warn") < 0) {
		return cli_fail("%s", cli.err);
	}
	while ((opt = cli_getopt(&cli, argc, argv, options, usage)) != -1) {
		switch (opt) {
		case OPT_LANG:
			lang = optarg;
			break;
		case OPT_TARGET:
			target = optarg;
			break;
		case OPT_MAX:
			max = optarg;
			break;
		case OPT_JSON:
			json = 1;
			break;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fputs(usage, stderr);
		return 2;
	}
	if (cli_finish(&cli) < 0) {
		return cli_fail("%s", cli.err);
	}
	if (client_query_add(path, sizeof(path), "query", argv[optind]) < 0 ||
	    (lang != NULL && client_query_add(path, sizeof(path), "lang", lang) < 0) ||
	    (target != NULL && client_query_add(path, sizeof(path), "target", target) < 0) ||
	    (max != NULL && client_query_add(path, sizeof(path), "max", max) < 0)) {
		return cli_fail("concordance: the query is too long");
	}
	if (client_open(&cli, EMBED_STORE, &c) < 0) {
		return cli_fail("%s", cli.err);
	}
	rc = client_call(c, "GET", path, NULL, &status, &reply, cli.err, sizeof(cli.err));
	client_close(c);
	if (rc < 0) {
		return cli_fail("%s", cli.err);
	}
	if (status / 100 != 2) {
		rc = cli_fail("%s", client_error_text(reply, buf, sizeof(buf)));
	} else if (json) {
		char *s = json_dumps(reply, JSON_COMPACT);

		puts(s != NULL ? s : "{}");
		free(s);
	} else {
		json_array_foreach(json_object_get(reply, "hits"), i, hit) {
			printf("%lld\t%s\t%s", (long long)json_integer_value(json_object_get(hit, "unit")),
			       json_string_value(json_object_get(hit, "lang")),
			       json_string_value(json_object_get(hit, "text")));
			if (target != NULL) {
				const char *t = json_string_value(json_object_get(hit, "target"));

				printf("\t%s", t != NULL ? t : "");
			}
			putchar('\n');
		}
		if (json_is_true(json_object_get(reply, "incomplete"))) {
			fprintf(stderr, "mnemo concordance: units of a recent import are still being "
					"indexed; hits among them may be missing\n");
		}
	}
	json_decref(reply);
	return rc;
}
