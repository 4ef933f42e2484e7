/* mnemo-segscore: the segmentation gold set (tests/data/segment/) as JSON lines for other
 * systems, and their answers scored against it. See --help and
 * tests/data/segment/README.md. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gold.h"

/* clang-format off */
static const char usage[] =
	"Usage: mnemo-segscore [OPTIONS] dump GOLD\n"
	"       mnemo-segscore [OPTIONS] score GOLD PREDICTIONS [NAME]\n"
	"\n"
	"The segmentation gold set (tests/data/segment/*.gold) for other systems, and their\n"
	"answers scored against it.\n"
	"\n"
	"dump GOLD\n"
	"    Prints one JSON object per line and case:\n"
	"    {\"id\":\"fr-0042\",\"category\":\"quotes\",\"lang\":\"fr\",\"text\":\"...\"}\n"
	"    An article is one case (id \"fr-article-NAME\") whose text keeps its line breaks:\n"
	"    each line is a paragraph.\n"
	"\n"
	"score GOLD PREDICTIONS [NAME]\n"
	"    PREDICTIONS (\"-\" for standard input) holds one JSON object per line and case:\n"
	"    {\"id\":\"fr-0042\",\"segments\":[\"...\",\"...\"],\"kinds\":[\"sentence\",...]}\n"
	"    The segments are substrings of the case's text, in order; white space around and\n"
	"    inside them is ignored, and text the system dropped is skipped. \"kinds\" is\n"
	"    optional, parallel to \"segments\": sentence, heading, boilerplate, foreign (or\n"
	"    foreign:LANG). A case without a line counts as one where no boundary was found.\n"
	"    Prints per category: cases, gold boundaries, predicted ones, right ones,\n"
	"    precision, recall, F1 and the exact-sentence rate (the share of gold sentences\n"
	"    predicted with both ends right and no split inside), then the overall figures\n"
	"    (micro-averaged over boundaries) and, if kinds were given, precision and recall\n"
	"    of heading, boilerplate and foreign paragraphs in articles. Line breaks are\n"
	"    paragraph boundaries and never scored. NAME titles the table (default: the\n"
	"    predictions file's name).\n"
	"\n"
	"Options:\n"
	"  -j, --json     score: print the figures as one JSON object instead of a table\n"
	"  -e, --errors   score: first print each case with a wrong boundary, marked\n"
	"                 (\xe2\x81\x9e right, [+] false split, [-] missed; \xc2\xb6 a line "
	"break)\n"
	"  -h, --help     print this help\n"
	"\n"
	"Exit status: 0, 1 when a file cannot be read or parsed, 2 for a usage error.\n"
	"Problems in the gold file's annotation and in the predictions (unknown ids,\n"
	"segments not found in the text) are reported on standard error.\n";
/* clang-format on */

static int
load_gold(const char *path, struct gold_set *set)
{
	char err[512];
	int r = gold_load(path, set, err, sizeof(err));

	if (r < 0) {
		fprintf(stderr, "mnemo-segscore: %s: %s\n", path, err[0] ? err : strerror(-r));
		return r;
	}
	for (size_t i = 0; i < set->n_warnings; i++) {
		fprintf(stderr, "mnemo-segscore: warning: %s\n", set->warnings[i]);
	}
	return 0;
}

static int
cmd_dump(const char *gold_path)
{
	struct gold_set set;
	int r = load_gold(gold_path, &set);

	if (r < 0) {
		return 1;
	}
	for (size_t i = 0; i < set.n_cases && r == 0; i++) {
		const struct gold_case *c = &set.cases[i];
		json_t *o = json_object();
		char *line;

		if (o == NULL || json_object_set_new(o, "id", json_string(c->id)) < 0 ||
		    json_object_set_new(o, "category", json_string(c->category)) < 0 ||
		    json_object_set_new(o, "lang", json_string(set.prefix)) < 0 ||
		    json_object_set_new(o, "text", json_stringn(c->text, c->len)) < 0) {
			r = -ENOMEM;
		}
		line = r == 0 ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		if (line == NULL) {
			r = -ENOMEM;
		} else {
			puts(line);
		}
		free(line);
		json_decref(o);
	}
	gold_fini(&set);
	if (r < 0 || fflush(stdout) != 0) {
		fprintf(stderr, "mnemo-segscore: dump failed\n");
		return 1;
	}
	return 0;
}

/* One case's prediction, as read. */
struct prediction {
	json_t *obj; /* NULL when the system gave none */
	unsigned line;
};

/* Reads the predictions file into preds, parallel to set->cases. */
static int
read_predictions(const char *path, const struct gold_set *set, struct prediction *preds)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	unsigned lineno = 0, unknown = 0;
	ssize_t n;

	if (f == NULL) {
		fprintf(stderr, "mnemo-segscore: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	while ((n = getline(&buf, &cap, f)) >= 0) {
		json_error_t jerr;
		json_t *o, *id;
		const struct gold_case *c;

		lineno++;
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) {
			n--;
		}
		if (n == 0) {
			continue;
		}
		o = json_loadb(buf, (size_t)n, 0, &jerr);
		if (o == NULL || !json_is_object(o)) {
			fprintf(stderr, "mnemo-segscore: %s:%u: not a JSON object%s%s, skipped\n",
			        path, lineno, o ? "" : ": ", o ? "" : jerr.text);
			json_decref(o);
			continue;
		}
		id = json_object_get(o, "id");
		c = json_is_string(id) ? gold_find(set, json_string_value(id)) : NULL;
		if (c == NULL) {
			if (unknown++ < 10) {
				fprintf(stderr, "mnemo-segscore: %s:%u: unknown id %s, skipped\n",
				        path, lineno,
				        json_is_string(id) ? json_string_value(id) : "(none)");
			}
			json_decref(o);
			continue;
		}
		{
			struct prediction *pr = &preds[c - set->cases];

			if (pr->obj != NULL) {
				fprintf(stderr,
				        "mnemo-segscore: %s:%u: %s again (first on line %u), "
				        "the last one counts\n",
				        path, lineno, c->id, pr->line);
				json_decref(pr->obj);
			}
			pr->obj = o;
			pr->line = lineno;
		}
	}
	if (unknown > 10) {
		fprintf(stderr, "mnemo-segscore: %s: %u unknown ids in all\n", path, unknown);
	}
	free(buf);
	if (ferror(f)) {
		fprintf(stderr, "mnemo-segscore: %s: read error\n", path);
		if (f != stdin) {
			fclose(f);
		}
		return -EIO;
	}
	if (f != stdin) {
		fclose(f);
	}
	return 0;
}

/* Scores one case from its prediction; *lost counts segments not found in its text. */
static int
score_prediction(struct gold_score *sc, const struct gold_case *c, const struct prediction *pr,
                 const char *path, bool errors, size_t *lost)
{
	json_t *segs = json_object_get(pr->obj, "segments");
	json_t *kinds = json_object_get(pr->obj, "kinds");
	size_t n = json_is_array(segs) ? json_array_size(segs) : 0, case_lost = 0;
	const char **sv = calloc(n ? n : 1, sizeof(*sv));
	size_t *lv = calloc(n ? n : 1, sizeof(*lv));
	uint32_t *starts = calloc(n ? n : 1, sizeof(*starts));
	enum gold_kind *kv = NULL;
	struct gold_case_result res;
	int r = -ENOMEM;

	if (sv == NULL || lv == NULL || starts == NULL) {
		goto out;
	}
	if (!json_is_array(segs)) {
		fprintf(stderr, "mnemo-segscore: %s:%u: %s has no \"segments\" array\n", path,
		        pr->line, c->id);
	}
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(segs, i);

		sv[i] = json_is_string(s) ? json_string_value(s) : "";
		lv[i] = json_is_string(s) ? json_string_length(s) : 0;
	}
	if (kinds != NULL) {
		if (!json_is_array(kinds) || json_array_size(kinds) != n) {
			fprintf(stderr,
			        "mnemo-segscore: %s:%u: %s: \"kinds\" is not parallel to "
			        "\"segments\", ignored\n",
			        path, pr->line, c->id);
		} else {
			kv = calloc(n ? n : 1, sizeof(*kv));
			if (kv == NULL) {
				goto out;
			}
			for (size_t i = 0; i < n; i++) {
				json_t *k = json_array_get(kinds, i);

				kv[i] = json_is_string(k) ? gold_kind_parse(json_string_value(k),
				                                            json_string_length(k))
				                          : GOLD_KIND_NONE;
			}
		}
	}
	r = gold_locate(c, sv, lv, n, starts, &case_lost);
	if (r < 0) {
		goto out;
	}
	if (case_lost > 0) {
		fprintf(stderr, "mnemo-segscore: %s:%u: %s: %zu segment(s) not found in the text\n",
		        path, pr->line, c->id, case_lost);
	}
	*lost += case_lost;
	r = gold_score_case(sc, c, starts, kv, n, &res);
	if (r == 0 && errors && (res.correct != res.gold || res.predicted != res.correct)) {
		gold_print_diff(stdout, c, starts, n);
	}
out:
	free(sv);
	free(lv);
	free(starts);
	free(kv);
	return r;
}

/* The counts of one category (overall when category is NULL) as a JSON object. */
static json_t *
counts_json(const char *category, const struct gold_counts *c)
{
	json_t *o =
	        json_pack("{s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:I,s:I,s:f}", "cases",
	                  (json_int_t)c->cases, "missing", (json_int_t)c->missing, "gold",
	                  (json_int_t)c->gold, "predicted", (json_int_t)c->predicted, "correct",
	                  (json_int_t)c->correct, "precision", gold_precision(c), "recall",
	                  gold_recall(c), "f1", gold_f1(c), "sentences", (json_int_t)c->sentences,
	                  "exact_sentences", (json_int_t)c->exact, "exact", gold_exact_rate(c));
	json_t *withcat;

	if (o == NULL || category == NULL) {
		return o;
	}
	withcat = json_pack("{s:s}", "category", category);
	if (withcat == NULL || json_object_update(withcat, o) < 0) {
		json_decref(withcat);
		withcat = NULL;
	}
	json_decref(o);
	return withcat;
}

static int
print_json(const struct gold_score *sc, const char *name, size_t lost)
{
	const struct gold_set *set = sc->set;
	json_t *o = json_pack("{s:s,s:s,s:I}", "name", name, "gold", set->prefix, "lost_segments",
	                      (json_int_t)lost);
	json_t *cats = json_array();
	char *s;
	int r = 0;

	if (o == NULL || cats == NULL) {
		json_decref(o);
		json_decref(cats);
		return -ENOMEM;
	}
	for (size_t i = 0; i < set->n_categories; i++) {
		if (json_array_append_new(
		            cats, counts_json(set->categories[i], &sc->by_category[i])) < 0) {
			r = -ENOMEM;
		}
	}
	if (json_object_set_new(o, "categories", cats) < 0 ||
	    json_object_set_new(o, "overall", counts_json(NULL, &sc->overall)) < 0) {
		r = -ENOMEM;
	}
	if (sc->has_kinds) {
		json_t *k = json_object();

		for (int t = GOLD_KIND_HEADING; t < GOLD_KIND_COUNT && k != NULL; t++) {
			const struct gold_kind_counts *kc = &sc->kinds[t];

			if (json_object_set_new(k, gold_kind_name((enum gold_kind)t),
			                        json_pack("{s:I,s:I,s:I,s:f,s:f}", "gold",
			                                  (json_int_t)kc->gold, "predicted",
			                                  (json_int_t)kc->predicted, "correct",
			                                  (json_int_t)kc->correct, "precision",
			                                  gold_kind_precision(kc), "recall",
			                                  gold_kind_recall(kc))) < 0) {
				r = -ENOMEM;
			}
		}
		if (json_object_set_new(o, "kinds", k) < 0) {
			r = -ENOMEM;
		}
	}
	s = r == 0 ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4))
	           : NULL;
	if (s == NULL) {
		r = -ENOMEM;
	} else {
		puts(s);
	}
	free(s);
	json_decref(o);
	return r;
}

static int
cmd_score(const char *gold_path, const char *pred_path, const char *name, bool json, bool errors)
{
	struct gold_set set;
	struct gold_score sc = {0};
	struct prediction *preds = NULL;
	char *default_name = NULL;
	size_t lost = 0;
	int r, status = 1;

	if (load_gold(gold_path, &set) < 0) {
		return 1;
	}
	preds = calloc(set.n_cases ? set.n_cases : 1, sizeof(*preds));
	if (preds == NULL || gold_score_init(&sc, &set) < 0) {
		goto out;
	}
	if (read_predictions(pred_path, &set, preds) < 0) {
		goto out;
	}
	if (name == NULL) {
		const char *b = strrchr(pred_path, '/');
		char *dot;

		default_name = strdup(b ? b + 1 : pred_path);
		if (default_name == NULL) {
			goto out;
		}
		dot = strchr(default_name, '.');
		if (dot != NULL && dot != default_name) {
			*dot = '\0';
		}
		name = default_name;
	}
	for (size_t i = 0; i < set.n_cases; i++) {
		if (preds[i].obj == NULL) {
			gold_score_missing(&sc, &set.cases[i]);
			continue;
		}
		r = score_prediction(&sc, &set.cases[i], &preds[i], pred_path, errors, &lost);
		if (r < 0) {
			goto out;
		}
	}
	if (json) {
		if (print_json(&sc, name, lost) < 0) {
			goto out;
		}
	} else {
		gold_print_table(stdout, &sc, name, false);
		if (lost > 0) {
			printf("(%zu predicted segments not found in their case's text)\n", lost);
		}
	}
	status = fflush(stdout) == 0 ? 0 : 1;
out:
	if (status != 0) {
		fprintf(stderr, "mnemo-segscore: scoring failed\n");
	}
	for (size_t i = 0; preds != NULL && i < set.n_cases; i++) {
		json_decref(preds[i].obj);
	}
	free(preds);
	free(default_name);
	gold_score_fini(&sc);
	gold_fini(&set);
	return status;
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
	        {"json", no_argument, NULL, 'j'},
	        {"errors", no_argument, NULL, 'e'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	bool json = false, errors = false;
	int opt, nargs;
	char **args;

	while ((opt = getopt_long(argc, argv, "jeh", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'e':
			errors = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	args = argv + optind;
	nargs = argc - optind;
	if (nargs == 2 && strcmp(args[0], "dump") == 0) {
		return cmd_dump(args[1]);
	}
	if ((nargs == 3 || nargs == 4) && strcmp(args[0], "score") == 0) {
		return cmd_score(args[1], args[2], nargs == 4 ? args[3] : NULL, json, errors);
	}
	fputs(usage, stderr);
	return 2;
}
