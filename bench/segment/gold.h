/* The segmentation gold set (tests/data/segment/README.md): parsing a .gold file into cases
 * with their true sentence boundaries, and scoring a system's boundaries against them.
 * Shared by mnemo-segscore (segscore.c, which reads other systems' JSON lines) and
 * tests/unit/test-gold.c (which runs mnemo's own segmenter); it needs only libc.
 *
 * All offsets are byte offsets into a case's text. A boundary is the offset of the first
 * non-space character of the sentence that starts there; the first sentence of a paragraph
 * starts no boundary (line breaks are paragraph boundaries, never scored). White space is
 * Unicode's White_Space plus U+200B and U+FEFF, as in common/text/segment.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum gold_kind {
	GOLD_KIND_NONE = 0, /* a prediction without a kind, or a paragraph without segments */
	GOLD_KIND_SENTENCE,
	GOLD_KIND_HEADING,
	GOLD_KIND_BOILERPLATE,
	GOLD_KIND_FOREIGN,
	GOLD_KIND_COUNT,
};

/* "sentence", "heading", "boilerplate", "foreign": the names used by the format's tags and
 * by the "kinds" of predictions. */
const char *gold_kind_name(enum gold_kind kind);
/* The kind named s[0..len): one of the names above, "foreign:LANG" for foreign too; NONE
 * for anything else. */
enum gold_kind gold_kind_parse(const char *s, size_t len);

enum { GOLD_LANG_MAX = 36 };

/* One non-blank line of a case: [start, end) with its white space trimmed. */
struct gold_para {
	uint32_t start;
	uint32_t end;
	enum gold_kind kind;      /* SENTENCE unless the line was tagged */
	char lang[GOLD_LANG_MAX]; /* "en" for {foreign:en}, else empty */
};

struct gold_case {
	char *id;             /* "fr-0042", or "fr-article-raid" for an article */
	const char *category; /* borrowed from the set's categories */
	unsigned line;        /* where it starts in the .gold file, 1-based */
	bool is_article;
	char *text; /* the input text: the line(s) without markers nor tags, NUL-terminated */
	size_t len;
	uint32_t *bounds; /* the gold boundaries, increasing */
	size_t n_bounds;
	struct gold_para *paras; /* in order; one for a case outside an article */
	size_t n_paras;
};

struct gold_set {
	char *prefix; /* of the ids: "fr" for "fr.gold" */
	struct gold_case *cases;
	size_t n_cases;
	char **categories; /* in order of first appearance; "article" for articles */
	size_t n_categories;
	/* Problems in the annotation that do not stop parsing ("fr.gold:12: marker at the end of
	 * a paragraph"): the markers concerned are dropped. A clean file has none. */
	char **warnings;
	size_t n_warnings;
};

/* Parses buf[0..len) (the contents of a .gold file), naming its cases "<prefix>-0001"...
 * and "<prefix>-article-<name>". Returns 0, -ENOMEM, or -EINVAL for a syntax error (a
 * case before any category, an unknown directive or tag, an article left open), which is
 * described in err ("line 12: ..."). */
int gold_parse(const char *prefix, const char *buf, size_t len, struct gold_set *ret, char *err,
               size_t err_size);
/* Reads and parses the file at path; the prefix is its base name without ".gold". Returns
 * what gold_parse returns, or a negative errno from reading the file. */
int gold_load(const char *path, struct gold_set *ret, char *err, size_t err_size);
void gold_fini(struct gold_set *set);

/* The case with this id, or NULL. */
const struct gold_case *gold_find(const struct gold_set *set, const char *id);
/* The index of this category in set->categories, or -1. */
int gold_category_index(const struct gold_set *set, const char *category);
/* Number of cases in this category. */
size_t gold_category_cases(const struct gold_set *set, const char *category);

/* Locates a system's segments in the case text, in order, and writes where each starts
 * (its first non-space byte) to ret_starts[i]. The comparison ignores white space, so a
 * system may trim its segments or normalise the space inside them. Each segment is looked
 * for right after the previous one, then further on (a system may drop text, such as
 * boilerplate); a segment found nowhere, or blank, gets UINT32_MAX and leaves the cursor
 * where it was. segs[i] is seg_lens[i] bytes of UTF-8. *ret_lost counts the segments not
 * found (blank ones aside). Returns 0 or -ENOMEM. */
int gold_locate(const struct gold_case *c, const char *const *segs, const size_t *seg_lens,
                size_t n, uint32_t *ret_starts, size_t *ret_lost);

/* Counts for one category, or overall. */
struct gold_counts {
	size_t cases;
	size_t missing;   /* cases the system gave no prediction for */
	size_t gold;      /* gold boundaries */
	size_t predicted; /* predicted boundaries (paragraph starts are not boundaries) */
	size_t correct;   /* boundaries both predicted and gold */
	size_t sentences; /* gold sentences */
	size_t exact;     /* gold sentences whose two ends are predicted and nothing between */
};

/* Paragraphs of one kind in articles: gold, predicted and both. */
struct gold_kind_counts {
	size_t gold;
	size_t predicted;
	size_t correct;
};

struct gold_score {
	const struct gold_set *set;
	struct gold_counts *by_category; /* parallel to set->categories */
	struct gold_counts overall;
	struct gold_kind_counts kinds[GOLD_KIND_COUNT]; /* HEADING, BOILERPLATE, FOREIGN used */
	bool has_kinds;                                 /* some prediction carried kinds */
};

/* What one case scored, for reports of the errors. */
struct gold_case_result {
	size_t gold;
	size_t predicted;
	size_t correct;
	size_t sentences;
	size_t exact;
};

int gold_score_init(struct gold_score *sc, const struct gold_set *set);
void gold_score_fini(struct gold_score *sc);

/* Adds case c (one of sc->set's) to the score. starts[0..n) are where the predicted
 * segments start, in any order (UINT32_MAX entries are ignored), kinds[0..n) their kinds
 * or NULL. A start at the beginning of a paragraph is not a boundary. In an article a
 * paragraph's predicted kind is the kind shared by all the segments starting in it (NONE
 * if they differ or none does). A case never scored counts as missing: see
 * gold_score_missing. ret may be NULL. Returns 0 or -ENOMEM. */
int gold_score_case(struct gold_score *sc, const struct gold_case *c, const uint32_t *starts,
                    const enum gold_kind *kinds, size_t n, struct gold_case_result *ret);
/* Adds case c as one the system gave nothing for: no boundary found. */
void gold_score_missing(struct gold_score *sc, const struct gold_case *c);

/* Precision, recall and F1 of c (1 when there is nothing to find and nothing was found:
 * precision is 1 without predictions, recall 1 without gold boundaries), and the exact-
 * sentence rate. */
double gold_precision(const struct gold_counts *c);
double gold_recall(const struct gold_counts *c);
double gold_f1(const struct gold_counts *c);
double gold_exact_rate(const struct gold_counts *c);
double gold_kind_precision(const struct gold_kind_counts *k);
double gold_kind_recall(const struct gold_kind_counts *k);

/* Prints the fixed-width table: one line per category, then overall, then (if kinds were
 * given, or always when with_kinds) the kinds of article paragraphs. */
void gold_print_table(FILE *f, const struct gold_score *sc, const char *name, bool with_kinds);

/* Prints the case text with the boundaries marked: "⁞" found, "[+]" predicted but false,
 * "[-]" missed; line breaks as " ¶ ". */
void gold_print_diff(FILE *f, const struct gold_case *c, const uint32_t *starts, size_t n);
/* Prints the paragraphs of article c whose predicted kind (see gold_score_case) is not the
 * gold one, where either is a tagged kind (heading, boilerplate, foreign). */
void gold_print_kind_errors(FILE *f, const struct gold_case *c, const uint32_t *starts,
                            const enum gold_kind *kinds, size_t n);
