/* mnemo-aligngold: aligns every document pair of a gold directory (README.md: NAME.fr.txt
 * and NAME.en.txt, one sentence a line, an empty line between paragraphs) with mnemo's
 * aligner in-process, writes NAME.jsonl (one bead a line, as `mnemo align --json` prints
 * them) into an output directory for `score`, and prints the CPU seconds the features and
 * the search took and the peak RSS. A paragraph CLD2 reliably reads as another language
 * than its side's is not paired (its sentences are skipped), nor a sentence plainly in the
 * other language of the pair by its function words (French and English), as the
 * segmenter's language tags will have the service do. Run by hand (bench/align/README.md).
 *
 *   mnemo-aligngold [--from fr] [--to en] [--dict PREFIX] [--rdict PREFIX] [--no-learn]
 *                   [--tm TM_GOLD_DIR] [--length-only] GOLD_DIR OUT_DIR
 *
 * --dict loads a FreeDict dictionary from FROM to TO (PREFIX.index, PREFIX.dict.dz), --rdict
 * one from TO to FROM, into the aligner's lexicon (lexicon.h); without either, no
 * dictionary. Each pair is aligned as the service aligns it (side.h's mnemo_align_sides:
 * a first pass, translations learned from it, a second); --no-learn keeps the first
 * pass's beads. --tm stands for a translation memory: the 1-1 beads of half of
 * TM_GOLD_DIR's pairs (those whose name hashes even) are its units, and the lexicon
 * learns from them as the aligner learns from a memory (learn.h); only the other half of
 * GOLD_DIR's pairs is aligned. --length-only is the Gale-Church baseline: the same search
 * on sentence lengths alone. */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "align.h"
#include "langid.h"
#include "learn.h"
#include "lexicon.h"
#include "side.h"

/* Letters CLD2 must have read to call a paragraph another language: man pages' short
 * paragraphs of options and commands read as English to it, and a French paragraph
 * taken for English would never be paired. */
enum { LANGID_LETTERS = 150 };

/* --length-only: the Gale-Church baseline, sentence lengths and nothing else (no words,
 * no anchors, no language tags), through the same search. */
static bool length_only;

static double
cpu_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* The sentences of one paragraph, added with skip set when the paragraph is reliably in
 * another language than the side's: as the segmenter tags paragraphs for the service. */
static int
add_paragraph(struct mnemo_align_side *side, enum mnemo_align_role role, const char *lang,
	      char **lines, size_t n, uint32_t paragraph)
{
	struct mnemo_langid id;
	size_t total = 0;
	char *text;
	bool other;
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		total += strlen(lines[i]) + 1;
	}
	text = malloc(total + 1);
	if (text == NULL) {
		return -ENOMEM;
	}
	text[0] = '\0';
	for (size_t i = 0, at = 0; i < n; i++) {
		at += (size_t)sprintf(text + at, "%s%s", i ? " " : "", lines[i]);
	}
	mnemo_langid_detect(text, strlen(text), lang, &id);
	other = !length_only && id.reliable && id.letters >= LANGID_LETTERS && strcmp(id.lang, lang) != 0 &&
		!mnemo_langid_plainly(lang, text, strlen(text));
	free(text);
	for (size_t i = 0; r == 0 && i < n; i++) {
		bool foreign = other;

		/* a sentence plainly in the other language, by its function words: too short
		 * for CLD2, as a line left untranslated often is */
		if (!length_only && !other) {
			const char *them = strcmp(lang, "fr") == 0 ? "en" : "fr";

			foreign = mnemo_langid_plainly(them, lines[i], strlen(lines[i])) &&
				  !mnemo_langid_plainly(lang, lines[i], strlen(lines[i]));
		}
		r = mnemo_align_side_add(side, role, lines[i], strlen(lines[i]), paragraph, foreign);
		if (r == 0 && length_only) {
			side->s[side->n - 1].n_ids = 0;
			side->s[side->n - 1].n_words = 0;
		}
	}
	return r;
}

/* One side's file: each non-empty line a sentence, empty lines paragraph breaks. */
static int
read_side(const char *path, const char *lang, enum mnemo_align_role role,
	  struct mnemo_align_side *side)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, **para = NULL;
	size_t cap = 0, n = 0, para_cap = 0;
	ssize_t len;
	uint32_t paragraph = 0;
	int r = 0;

	if (f == NULL) {
		return -errno;
	}
	while (r == 0) {
		len = getline(&line, &cap, f);
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
			line[--len] = '\0';
		}
		if (len <= 0) { /* a paragraph ends */
			r = add_paragraph(side, role, lang, para, n, paragraph);
			for (size_t i = 0; i < n; i++) {
				free(para[i]);
			}
			paragraph += n > 0;
			n = 0;
			if (len < 0) {
				break;
			}
			continue;
		}
		if (n == para_cap) {
			char **p = realloc(para, (para_cap = 2 * para_cap + 16) * sizeof(*p));

			if (p == NULL) {
				r = -ENOMEM;
				break;
			}
			para = p;
		}
		para[n] = strdup(line);
		r = para[n++] != NULL ? 0 : -ENOMEM;
	}
	free(para);
	free(line);
	fclose(f);
	mnemo_align_side_seal(side);
	return r;
}

/* Whether a pair is in --tm's half: names hash even. */
static bool
in_tm(const char *name)
{
	unsigned h = 0;

	for (const char *c = name; *c; c++) {
		h = h * 31 + (unsigned char)*c;
	}
	return h % 2 == 0;
}

/* --tm: learns lexicon entries from the 1-1 beads of dir's pairs in_tm(), as units of a
 * memory; how many it added, or a negative errno. */
static long
learn_tm(const char *dir_path, const char *from, const char *to, struct mnemo_lexicon *lex,
	 size_t *ret_units)
{
	struct mnemo_learn *l;
	struct dirent *e;
	DIR *dir = opendir(dir_path);
	uint64_t *pairs = NULL;
	size_t n_pairs = 0;
	long added = 0;
	int r;

	if (dir == NULL) {
		return -errno;
	}
	r = mnemo_learn_new(&l);
	while (r == 0 && (e = readdir(dir)) != NULL) {
		size_t len = strlen(e->d_name);
		struct mnemo_align_side src = {.lex = lex}, tgt = {.lex = lex};
		char path[4096], line[256];
		unsigned i, j;
		FILE *g;

		if (len < 6 || strcmp(e->d_name + len - 5, ".gold") != 0) {
			continue;
		}
		e->d_name[len - 5] = '\0';
		if (!in_tm(e->d_name)) {
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s.%s.txt", dir_path, e->d_name, from);
		r = read_side(path, from, MNEMO_ALIGN_SOURCE, &src);
		snprintf(path, sizeof(path), "%s/%s.%s.txt", dir_path, e->d_name, to);
		r = r == 0 ? read_side(path, to, MNEMO_ALIGN_TARGET, &tgt) : r;
		snprintf(path, sizeof(path), "%s/%s.gold", dir_path, e->d_name);
		g = r == 0 ? fopen(path, "r") : NULL;
		while (g != NULL && r == 0 && fgets(line, sizeof(line), g) != NULL) {
			char rest[8];

			if (sscanf(line, "%u\t%u%7s", &i, &j, rest) != 2 || i >= src.n || j >= tgt.n) {
				continue; /* not a 1-1 bead */
			}
			r = mnemo_learn_add(l, src.stems + src.stems_at[i],
					    src.stems_at[i + 1] - src.stems_at[i],
					    tgt.stems + tgt.stems_at[j],
					    tgt.stems_at[j + 1] - tgt.stems_at[j]);
		}
		if (g != NULL) {
			fclose(g);
		}
		mnemo_align_side_fini(&src);
		mnemo_align_side_fini(&tgt);
	}
	closedir(dir);
	*ret_units = mnemo_learn_count(l);
	if (r == 0) {
		r = mnemo_learn_pairs(l, MNEMO_LEARN_MIN_COUNT, MNEMO_LEARN_MIN_DICE, &pairs,
				      &n_pairs);
	}
	for (size_t k = 0; r == 0 && k < n_pairs; k++) {
		r = mnemo_lexicon_add_ids(lex, (uint32_t)(pairs[k] >> 32), (uint32_t)pairs[k]);
		added += r > 0;
		r = r < 0 ? r : 0;
	}
	free(pairs);
	mnemo_learn_free(l);
	return r < 0 ? r : added;
}

static void
write_beads(FILE *out, const struct mnemo_align_bead *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fputs("{\"source_ids\":[", out);
		for (uint32_t k = 0; k < b[i].n_src; k++) {
			fprintf(out, "%s%u", k ? "," : "", b[i].src + k);
		}
		fputs("],\"target_ids\":[", out);
		for (uint32_t k = 0; k < b[i].n_tgt; k++) {
			fprintf(out, "%s%u", k ? "," : "", b[i].tgt + k);
		}
		fprintf(out, "],\"score\":%.3f}\n", b[i].score);
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {{"from", required_argument, NULL, 'f'},
					     {"to", required_argument, NULL, 't'},
					     {"dict", required_argument, NULL, 'd'},
					     {"rdict", required_argument, NULL, 'r'},
					     {"length-only", no_argument, NULL, 'L'},
					     {"no-learn", no_argument, NULL, 'N'},
					     {"tm", required_argument, NULL, 'T'},
					     {NULL, 0, NULL, 0}};
	const char *from = "fr", *to = "en";
	const char *dicts[8];
	bool reversed[8];
	size_t n_dicts = 0;
	struct mnemo_lexicon *lex = NULL;
	double t_features = 0, t_align = 0;
	size_t docs = 0, n_src = 0, n_tgt = 0;
	uint64_t cells = 0, anchors = 0, widenings = 0, learned = 0;
	bool learn = true;
	const char *tm_dir = NULL;
	struct rusage ru;
	struct dirent *e;
	DIR *dir;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'f') {
			from = optarg;
		} else if (c == 't') {
			to = optarg;
		} else if (c == 'L') {
			length_only = true;
		} else if (c == 'N') {
			learn = false;
		} else if (c == 'T') {
			tm_dir = optarg;
		} else if ((c == 'd' || c == 'r') && n_dicts < 8) {
			reversed[n_dicts] = c == 'r';
			dicts[n_dicts++] = optarg;
		} else {
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: mnemo-aligngold [--from fr] [--to en] [--dict PREFIX] "
				"[--rdict PREFIX] [--no-learn] [--tm TM_GOLD_DIR] [--length-only] GOLD_DIR "
				"OUT_DIR\n");
		return 2;
	}
	/* a lexicon with no dictionary still gives stems to learn from */
	if ((n_dicts > 0 || tm_dir || (learn && !length_only)) &&
	    mnemo_lexicon_new(from, to, &lex) < 0) {
		fprintf(stderr, "mnemo-aligngold: no lexicon for %s-%s\n", from, to);
		return 1;
	}
	for (size_t i = 0; i < n_dicts; i++) {
		int r = mnemo_lexicon_load_freedict(lex, dicts[i], reversed[i]);

		if (r < 0) {
			fprintf(stderr, "mnemo-aligngold: %s: %s\n", dicts[i], strerror(-r));
			return 1;
		}
	}
	if (tm_dir != NULL) {
		size_t units = 0;
		long added = learn_tm(tm_dir, from, to, lex, &units);

		if (added < 0) {
			fprintf(stderr, "mnemo-aligngold: %s: %s\n", tm_dir, strerror((int)-added));
			return 1;
		}
		fprintf(stderr, "mnemo-aligngold: %ld lexicon entries learned from %zu units\n",
			added, units);
	}
	dir = opendir(argv[optind]);
	if (dir == NULL) {
		perror(argv[optind]);
		return 1;
	}
	while ((e = readdir(dir)) != NULL) {
		size_t len = strlen(e->d_name);
		struct mnemo_align_side src = {.lex = lex}, tgt = {.lex = lex};
		struct mnemo_align_bead *beads = NULL;
		struct mnemo_align_stats st;
		char path[4096], name[1024];
		uint32_t n_learned = 0;
		size_t n_beads = 0;
		double t0, t1, t2;
		FILE *out;
		int r;

		if (len < 6 || strcmp(e->d_name + len - 5, ".gold") != 0 || len - 5 >= sizeof(name)) {
			continue;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(len - 5), e->d_name);
		if (tm_dir != NULL && in_tm(name)) {
			continue; /* the memory's half */
		}
		t0 = cpu_s();
		snprintf(path, sizeof(path), "%s/%s.%s.txt", argv[optind], name, from);
		r = read_side(path, from, MNEMO_ALIGN_SOURCE, &src);
		if (r == 0) {
			snprintf(path, sizeof(path), "%s/%s.%s.txt", argv[optind], name, to);
			r = read_side(path, to, MNEMO_ALIGN_TARGET, &tgt);
		}
		t1 = cpu_s();
		if (r == 0) {
			r = learn ? mnemo_align_sides(&src, &tgt, &beads, &n_beads, &st, &n_learned)
				  : mnemo_align(src.s, src.n, tgt.s, tgt.n, &beads, &n_beads, &st);
		}
		t2 = cpu_s();
		if (r < 0) {
			fprintf(stderr, "mnemo-aligngold: %s: %s\n", name, strerror(-r));
			return 1;
		}
		snprintf(path, sizeof(path), "%s/%s.jsonl", argv[optind + 1], name);
		out = fopen(path, "w");
		if (out == NULL) {
			perror(path);
			return 1;
		}
		write_beads(out, beads, n_beads);
		fclose(out);
		t_features += t1 - t0;
		t_align += t2 - t1;
		cells += st.cells;
		anchors += st.anchors;
		widenings += st.widenings;
		learned += n_learned;
		docs++;
		n_src += src.n;
		n_tgt += tgt.n;
		free(beads);
		mnemo_align_side_fini(&src);
		mnemo_align_side_fini(&tgt);
	}
	closedir(dir);
	mnemo_lexicon_free(lex);
	getrusage(RUSAGE_SELF, &ru);
	printf("aligngold\t%zu\t%zu\t%zu\t%.3f\t%.3f\t%llu\t%.1f\n", docs, n_src, n_tgt, t_features,
	       t_align, (unsigned long long)cells, ru.ru_maxrss / 1024.0);
	fprintf(stderr,
		"mnemo-aligngold: %zu pairs, %zu/%zu sentences: features %.3f s, search %.3f s "
		"CPU, %llu cells, %llu anchors, %llu widenings, %llu translations learned, peak RSS "
		"%.1f MiB\n",
		docs, n_src, n_tgt, t_features, t_align, (unsigned long long)cells,
		(unsigned long long)anchors, (unsigned long long)widenings,
		(unsigned long long)learned, ru.ru_maxrss / 1024.0);
	return 0;
}
