/* The segmentation gold set (tests/data/segment/) against mnemo's own segmenter.
 *
 * First the gold files themselves: they parse without a warning, hold enough cases in
 * every category, and no marker sits at a paragraph's edge. Then each case's text goes
 * through mnemo_doc_segment, the pipeline the segmenter service runs; boundaries and kinds
 * are scored with bench/segment/gold.c (the code mnemo-segscore uses for the other
 * systems), the per-category table is printed, and each language's overall F1, exact-
 * sentence rate and kind precision and recall are checked against floors: the figures the
 * segmenter reached when the floors were set, rounded down, so that a change that loses
 * ground fails here. Raise a floor when the segmenter improves.
 *
 * Usage: test-gold [DIR] [--floor LANG=F1]... [-v]
 *   DIR       where fr.gold and en.gold are (default tests/data/segment)
 *   --floor   replaces the built-in floor of a language, e.g. --floor fr=0.95
 *   -v        also prints every case mnemo gets wrong, boundaries marked:
 *             ⁞ right, [+] false split, [-] missed; then the article paragraphs
 *             whose kind is wrong */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gold.h"
#include "document.h"

/* What each gold file must hold, and the floors of mnemo's figures on it: what the
 * segmenter reached when the floors were last raised (fr F1 0.995, exact 0.991; en F1
 * 0.996, exact 0.997; kinds of article paragraphs in the table test-gold prints), rounded
 * down to 0.01. */
struct gold_spec {
	const char *lang;
	size_t min_cases;    /* outside articles */
	size_t min_per_cat;  /* cases in each category below */
	size_t min_articles; /* each of at least min_article_paras paragraphs */
	size_t min_article_paras;
	double f1_floor;
	double exact_floor;
	/* precision and recall of the heading, boilerplate and foreign paragraphs */
	struct {
		double precision, recall;
	} kind_floor[GOLD_KIND_COUNT];
	const char *categories[24];
};

/* clang-format off */
static struct gold_spec specs[] = {
	{
		.lang = "fr",
		.min_cases = 300,
		.min_per_cat = 12,
		.min_articles = 6,
		.min_article_paras = 15,
		.f1_floor = 0.99,
		.exact_floor = 0.99,
		.kind_floor = {
			[GOLD_KIND_HEADING] = {0.96, 0.96},
			[GOLD_KIND_BOILERPLATE] = {1.00, 0.98},
			[GOLD_KIND_FOREIGN] = {1.00, 1.00},
		},
		.categories = {"abbreviations", "titles", "initials", "acronyms", "quotes",
			       "closing", "incise", "ellipsis", "numbers", "ordinals", "times",
			       "money", "sections", "dialogue", "lists", "urls", "emoji",
			       "headings", "glued", "plain", "article", NULL},
	},
	{
		.lang = "en",
		.min_cases = 100,
		.min_per_cat = 3,
		.min_articles = 2,
		.min_article_paras = 15,
		.f1_floor = 0.99,
		.exact_floor = 0.99,
		.kind_floor = {
			[GOLD_KIND_HEADING] = {1.00, 1.00},
			[GOLD_KIND_BOILERPLATE] = {1.00, 1.00},
			[GOLD_KIND_FOREIGN] = {1.00, 1.00},
		},
		.categories = {"abbreviations", "titles", "initials", "acronyms", "quotes",
			       "closing", "incise", "ellipsis", "numbers", "times", "money",
			       "sections", "dialogue", "lists", "urls", "emoji", "headings",
			       "glued", "plain", "article", NULL},
	},
};
/* clang-format on */

static bool verbose;

/* The gold file's own consistency. */
static void
check_gold(const struct gold_set *set, const struct gold_spec *spec)
{
	size_t plain = 0, articles = 0;

	for (size_t i = 0; i < set->n_warnings; i++) {
		fprintf(stderr, "%s\n", set->warnings[i]);
	}
	CHECK_MSG(set->n_warnings == 0, "%s.gold: %zu annotation problems", spec->lang,
	          set->n_warnings);
	for (size_t i = 0; i < set->n_cases; i++) {
		const struct gold_case *c = &set->cases[i];

		CHECK_MSG(c->len > 0 && c->n_paras > 0, "%s (line %u) has no text", c->id, c->line);
		CHECK_MSG(c->is_article || c->n_paras == 1, "%s (line %u) is not one paragraph",
		          c->id, c->line);
		for (size_t b = 0, k = 0; b < c->n_bounds; b++) {
			while (k < c->n_paras && c->paras[k].end <= c->bounds[b]) {
				k++;
			}
			CHECK_MSG(k < c->n_paras && c->paras[k].start < c->bounds[b],
			          "%s (line %u): a marker at a paragraph's edge, offset %u", c->id,
			          c->line, c->bounds[b]);
		}
		if (c->is_article) {
			articles++;
			CHECK_MSG(c->n_paras >= spec->min_article_paras,
			          "%s has %zu paragraphs, fewer than %zu", c->id, c->n_paras,
			          spec->min_article_paras);
		} else {
			plain++;
		}
	}
	CHECK_MSG(plain >= spec->min_cases, "%s.gold: %zu cases outside articles, want %zu",
	          spec->lang, plain, spec->min_cases);
	CHECK_MSG(articles >= spec->min_articles, "%s.gold: %zu articles, want %zu", spec->lang,
	          articles, spec->min_articles);
	for (size_t k = 0; spec->categories[k] != NULL; k++) {
		const char *cat = spec->categories[k];
		size_t n = gold_category_cases(set, cat);

		if (strcmp(cat, "article") == 0) {
			continue;
		}
		CHECK_MSG(n >= spec->min_per_cat, "%s.gold: category %s has %zu cases, want %zu",
		          spec->lang, cat, n, spec->min_per_cat);
	}
	for (size_t k = 0; k < set->n_categories; k++) {
		bool known = false;

		for (size_t j = 0; spec->categories[j] != NULL; j++) {
			known = known || strcmp(spec->categories[j], set->categories[k]) == 0;
		}
		CHECK_MSG(known, "%s.gold: category %s is not in the README's list", spec->lang,
		          set->categories[k]);
	}
}

/* Segments every case with mnemo and scores it; returns the overall figures. */
static int
score_mnemo(const struct gold_set *set, struct gold_score *sc)
{
	struct mnemo_doc_opts opts = {.lang = set->prefix, .format = MNEMO_TEXT_PLAIN};
	struct mnemo_doc_segmenter *ds = NULL;
	int r;

	r = mnemo_doc_segmenter_new(&ds);
	CHECK_MSG(r == 0, "mnemo_doc_segmenter_new: %s", strerror(-r));
	if (r < 0) {
		return r;
	}
	r = gold_score_init(sc, set);
	for (size_t i = 0; i < set->n_cases && r == 0; i++) {
		const struct gold_case *c = &set->cases[i];
		struct mnemo_doc_result doc;
		struct mnemo_doc_segment *segs;
		struct gold_case_result res;
		uint32_t *starts = NULL;
		enum gold_kind *kinds = NULL;
		size_t n = 0, bad;

		/* The whole pipeline, as the segmenter service runs it: boundaries and kinds. */
		r = mnemo_doc_segment(ds, c->text, c->len, &opts, &doc, &bad);
		CHECK_MSG(r == 0, "%s: mnemo_doc_segment: %s", c->id, strerror(-r));
		if (r < 0) {
			break;
		}
		segs = doc.segs;
		n = doc.n;
		starts = malloc((n ? n : 1) * sizeof(*starts));
		kinds = malloc((n ? n : 1) * sizeof(*kinds));
		if (starts == NULL || kinds == NULL) {
			r = -ENOMEM;
		}
		for (size_t k = 0; k < n && r == 0; k++) {
			size_t para = 0;

			/* what segment.h promises, checked on every case */
			CHECK_MSG(segs[k].orig_start < segs[k].orig_end && segs[k].orig_end <= c->len &&
			                  (k == 0 || segs[k].orig_start >= segs[k - 1].orig_end),
			          "%s: segment %zu [%u, %u) out of order or bounds", c->id, k,
			          segs[k].orig_start, segs[k].orig_end);
			while (para < c->n_paras && c->paras[para].end <= segs[k].orig_start) {
				para++;
			}
			CHECK_MSG(segs[k].paragraph == para,
			          "%s: segment %zu in paragraph %u, not %zu", c->id, k,
			          segs[k].paragraph, para);
			starts[k] = segs[k].orig_start;
			kinds[k] = segs[k].kind == MNEMO_SEG_HEADING       ? GOLD_KIND_HEADING
			           : segs[k].kind == MNEMO_SEG_BOILERPLATE ? GOLD_KIND_BOILERPLATE
			           : segs[k].kind == MNEMO_SEG_FOREIGN     ? GOLD_KIND_FOREIGN
			                                                   : GOLD_KIND_SENTENCE;
		}
		if (r == 0) {
			r = gold_score_case(sc, c, starts, kinds, n, &res);
		}
		if (r == 0 && verbose && (res.correct != res.gold || res.predicted != res.gold)) {
			gold_print_diff(stdout, c, starts, n);
		}
		if (r == 0 && verbose) {
			gold_print_kind_errors(stdout, c, starts, kinds, n);
		}
		free(starts);
		free(kinds);
		mnemo_doc_result_fini(&doc);
	}
	CHECK_MSG(r == 0, "scoring %s: %s", set->prefix, strerror(-r));
	mnemo_doc_segmenter_free(ds);
	return r;
}

static int
run(const char *dir, struct gold_spec *spec)
{
	struct gold_set set;
	struct gold_score sc = {0};
	char path[4096], err[512];
	int r;

	snprintf(path, sizeof(path), "%s/%s.gold", dir, spec->lang);
	r = gold_load(path, &set, err, sizeof(err));
	CHECK_MSG(r == 0, "%s: %s", path, err);
	if (r < 0) {
		return r;
	}
	check_gold(&set, spec);
	r = score_mnemo(&set, &sc);
	if (r == 0) {
		double f1 = gold_f1(&sc.overall), exact = gold_exact_rate(&sc.overall);

		gold_print_table(stdout, &sc, "mnemo", true);
		printf("%s: overall F1 %.4f (floor %.2f), exact sentences %.4f (floor %.2f)\n\n",
		       spec->lang, f1, spec->f1_floor, exact, spec->exact_floor);
		CHECK_MSG(f1 >= spec->f1_floor, "%s: F1 %.4f fell below its floor %.2f", spec->lang,
		          f1, spec->f1_floor);
		CHECK_MSG(exact >= spec->exact_floor,
		          "%s: exact-sentence rate %.4f fell below its floor %.2f", spec->lang,
		          exact, spec->exact_floor);
		for (int k = GOLD_KIND_HEADING; k < GOLD_KIND_COUNT; k++) {
			double p = gold_kind_precision(&sc.kinds[k]);
			double rc = gold_kind_recall(&sc.kinds[k]);

			CHECK_MSG(p >= spec->kind_floor[k].precision,
			          "%s: %s precision %.3f fell below its floor %.2f", spec->lang,
			          gold_kind_name(k), p, spec->kind_floor[k].precision);
			CHECK_MSG(rc >= spec->kind_floor[k].recall,
			          "%s: %s recall %.3f fell below its floor %.2f", spec->lang,
			          gold_kind_name(k), rc, spec->kind_floor[k].recall);
		}
	}
	gold_score_fini(&sc);
	gold_fini(&set);
	return r;
}

static int
set_floor(const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *end;
	double f1;

	if (eq == NULL) {
		return -EINVAL;
	}
	f1 = strtod(eq + 1, &end);
	if (*end != '\0' || end == eq + 1 || f1 < 0 || f1 > 1) {
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		if (strlen(specs[i].lang) == (size_t)(eq - arg) &&
		    memcmp(specs[i].lang, arg, (size_t)(eq - arg)) == 0) {
			specs[i].f1_floor = f1;
			return 0;
		}
	}
	return -EINVAL;
}

int
main(int argc, char **argv)
{
	const char *dir = "tests/data/segment";

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0) {
			verbose = true;
		} else if (strcmp(argv[i], "--floor") == 0 && i + 1 < argc) {
			if (set_floor(argv[++i]) < 0) {
				fprintf(stderr, "test-gold: bad --floor %s (want LANG=F1)\n",
				        argv[i]);
				return 2;
			}
		} else if (strncmp(argv[i], "--floor=", 8) == 0) {
			if (set_floor(argv[i] + 8) < 0) {
				fprintf(stderr, "test-gold: bad %s (want LANG=F1)\n", argv[i]);
				return 2;
			}
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "usage: test-gold [DIR] [--floor LANG=F1]... [-v]\n");
			return 2;
		} else {
			dir = argv[i];
		}
	}
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		run(dir, &specs[i]);
	}
	return check_exit();
}
