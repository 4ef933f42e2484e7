/* common/tm: keys, scores, and the index checked against a brute-force scan. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "tm.h"

/* mnemo_tm_index_lookup with the query's fields as arguments. */
static int
lookup_in(const struct mnemo_tm_index *idx, const char *source, const char *target,
          const char *text, size_t len, uint32_t min_score, uint32_t max,
          struct mnemo_tm_match *out)
{
	struct mnemo_tm_query q = {.source = source, .target = target, .text = text, .len = len,
	                           .min_score = min_score, .max = max};

	return mnemo_tm_index_lookup(idx, &q, out);
}

static uint64_t
key(const char *s)
{
	return mnemo_tm_key_hash(s, strlen(s));
}

static uint32_t
score(const char *a, const char *b)
{
	return mnemo_tm_score(a, strlen(a), b, strlen(b));
}

static void
test_key(void)
{
	char nfc[2 * 300 + 1], nfd[3 * 300 + 1];

	/* é and è precomposed (NFC) and as e + combining accent (NFD) */
	CHECK(key("Caf\xc3\xa9 cr\xc3\xa8me") == key("Cafe\xcc\x81 cre\xcc\x80me"));
	/* Hangul syllable 한 and its conjoining jamo */
	CHECK(key("\xed\x95\x9c") == key("\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab"));
	/* U+212A KELVIN SIGN is canonically K */
	CHECK(key("\u212Aelvin") == key("Kelvin"));
	/* NBSP and NNBSP before French punctuation, tabs, newlines, runs, both ends */
	CHECK(key("Prix\xc2\xa0: 10\xe2\x80\xaf%") == key("Prix : 10 %"));
	CHECK(key("a\t\tb\n c") == key("a b c"));
	CHECK(key("  \u00A0a b \r\n") == key("a b"));
	CHECK(key("") == key(" \t\xc2\xa0"));
	CHECK(mnemo_tm_key_hash("abcdef", 2) == key("ab"));
	/* Longer than the stack buffers: 300 é, NFC and NFD */
	for (int i = 0; i < 300; i++) {
		memcpy(nfc + 2 * i, "\xc3\xa9", 2);
		memcpy(nfd + 3 * i, "e\xcc\x81", 3);
	}
	nfc[600] = '\0';
	nfd[900] = '\0';
	CHECK(key(nfc) == key(nfd));

	CHECK(key("Hello") != key("hello"));
	CHECK(key("a b") != key("ab"));
	CHECK(key("mat.") != key("mat ."));
	CHECK(key("Caf\xc3\xa9") != key("Cafe"));
	CHECK(key("") != key("a"));
}

static const struct {
	const char *a, *b;
	uint32_t score;
} score_cases[] = {
        {"The cat sat on the mat.", "The cat sat on the mat.", 100},
        {"The cat sat on the mat.", " The  cat sat on the\tmat.\n", 100},
        {"The cat sat on the mat.", "the cat sat on the mat.", 99},  /* case */
        {"The cat sat on the mat.", "The cat sat on the mat", 99},   /* punctuation */
        {"The cat sat on the mat.", "The cat sat, on the mat.", 99}, /* punctuation */
        {"The cat sat on the mat.", "the cat sat on the mat!", 98},  /* both */
        {"The cat sat on the mat.", "The cat sat on the mat .", 99}, /* whitespace */
        {"one two three four five six seven eight nine ten",
         "one two three four five six seven eight nine eleven", 90}, /* 1 of 10 replaced */
        {"one two three four five six seven eight nine ten",
         "one two three four six seven eight nine ten", 90}, /* 1 of 10 deleted */
        {"one two three four five six seven eight nine ten",
         "One two three four five six seven eight nine ten", 99},
        {"one two three four", "one two three four five", 80},
        {"one two three four", "two one three four", 50}, /* a swap is 2 edits */
        {"a b c d e f g h", "a b X d e f g h i", 77},     /* 2 edits over 9: floor(700 / 9) */
        {"alpha beta gamma", "delta epsilon zeta", 0},
        {"alpha beta gamma", "", 0},
        {"", "alpha", 0},
        {"", "", 100},
        {"   ", "\t", 100},
        {"!", "?", 0},                  /* no words on either side */
        {"STRASSE", "Stra\u00DFe", 99}, /* ß folds to ss */
        /* French */
        {"Le chat noir dort sur le canap\xc3\xa9.", "Le chat noir dort sur le lit.", 85},
        {"Le chat noir dort sur le canap\xc3\xa9.", "Le chat noir dort sur le canape\xcc\x81.",
         100},
        {"L'\xc3\xa9t\xc3\xa9 sera chaud.", "L'ete sera chaud.", 66}, /* "l'été" is one word */
        {"\xc3\x89l\xc3\xa8ve brillant", "\xc3\xa9l\xc3\xa8ve brillant", 99},
        {"Prix : 10 \xe2\x82\xac", "Prix\xc2\xa0: 10 \xe2\x82\xac", 100},
        {"Prix : 10 \xe2\x82\xac", "Prix : 10 $", 66}, /* a currency sign is a word */
        {"Bonjour, le monde !", "Bonjour le monde", 99},
        /* numbers match numbers, placeholders placeholders, for a point */
        {"Delete 3 files", "Delete 12 files", 99},
        {"Page 5 of 10", "Page 7 of 12", 99},
        {"Page 5 of 10", "Page 10 of 5", 99}, /* the same numbers in another order */
        {"%s files found", "%d files found", 99},
        {"Open %s", "Open {0}", 99},
        {"Open %1$s in %2$s", "Open %1$s in %2$s", 100},
        {"Copy 3 files to the disk now", "Copy 7 files to the drive now", 84}, /* 85 - 1 */
        {"x86 build", "x64 build", 50}, /* identifiers are words */
        {"Version 2nd edition", "Version 3rd edition", 66},
        {"Save $HOME/file", "Save ${HOME}/file", 99},
        {"50% off", "60% off", 99},     /* "%" is punctuation here, "50" a number */
        {"Il a mang\xc3\xa9 une pomme rouge et une poire verte.",
         "Elle a mang\xc3\xa9 une pomme verte et une poire rouge.", 70}, /* 3 of 10 */
};

static void
test_score(void)
{
	for (size_t i = 0; i < sizeof(score_cases) / sizeof(score_cases[0]); i++) {
		uint32_t ab = score(score_cases[i].a, score_cases[i].b);
		uint32_t ba = score(score_cases[i].b, score_cases[i].a);

		CHECK_MSG(ab == score_cases[i].score, "'%s' / '%s': %u, want %u", score_cases[i].a,
		          score_cases[i].b, ab, score_cases[i].score);
		CHECK_MSG(ab == ba, "'%s' / '%s': not symmetric, %u and %u", score_cases[i].a,
		          score_cases[i].b, ab, ba);
	}
}

static size_t
naive_distance(char **a, size_t n, char **b, size_t m)
{
	size_t *d = malloc((n + 1) * (m + 1) * sizeof(*d)), r;

	for (size_t i = 0; i <= n; i++) {
		for (size_t j = 0; j <= m; j++) {
			if (i == 0 || j == 0) {
				d[i * (m + 1) + j] = i + j;
				continue;
			}
			r = d[(i - 1) * (m + 1) + j - 1] + (strcmp(a[i - 1], b[j - 1]) != 0);
			if (d[(i - 1) * (m + 1) + j] + 1 < r) {
				r = d[(i - 1) * (m + 1) + j] + 1;
			}
			if (d[i * (m + 1) + j - 1] + 1 < r) {
				r = d[i * (m + 1) + j - 1] + 1;
			}
			d[i * (m + 1) + j] = r;
		}
	}
	r = d[n * (m + 1) + m];
	free(d);
	return r;
}

static uint64_t rng(void);

/* Random texts over a small vocabulary against a plain full-table Levenshtein. */
static void
test_score_random(void)
{
	static char *words[] = {"a", "b", "cat", "dog", "mat", "sat", "on", "the"};
	char *wa[40], *wb[40], ta[400], tb[400];
	int bad = 0;

	for (int k = 0; k < 2000; k++) {
		size_t n = 1 + rng() % 30, m = 1 + rng() % 30, la = 0, lb = 0, d, longest;
		uint32_t want, got;

		for (size_t i = 0; i < n; i++) {
			wa[i] = words[rng() % 8];
			la += (size_t)sprintf(ta + la, "%s%s", i ? " " : "", wa[i]);
		}
		for (size_t j = 0; j < m; j++) {
			wb[j] = rng() % 3 ? wa[j % n] : words[rng() % 8];
			lb += (size_t)sprintf(tb + lb, "%s%s", j ? " " : "", wb[j]);
		}
		d = naive_distance(wa, n, wb, m);
		longest = n > m ? n : m;
		want = strcmp(ta, tb) == 0 ? 100 : (uint32_t)(100 * (longest - d) / longest);
		got = score(ta, tb);
		if (got != want && bad++ < 5) {
			fprintf(stderr, "# '%s' / '%s': %u, want %u\n", ta, tb, got, want);
		}
	}
	CHECK_INT(bad, 0);
}

/* Texts too long for the full table are scored in a band; a near match is still exact. */
static void
test_score_long(void)
{
	enum { N = 3000 };
	char *a = malloc(N * 8), *b = malloc(N * 8), *c = malloc(N * 8);
	size_t na = 0, nb = 0, nc = 0;
	struct timespec t0, t1;

	for (int i = 0; i < N; i++) {
		na += (size_t)sprintf(a + na, "w%d ", i);
		nb += (size_t)sprintf(b + nb, "%c%d ", i == N / 2 ? 'v' : 'w', i);
		nc += (size_t)sprintf(c + nc, "x%d ", i);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(mnemo_tm_score(a, na, b, nb), 99);
	CHECK_INT(mnemo_tm_score(a, na, c, nc), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* 3000 against its first 2000 words: d = 1000 in a band of 2000 x 2000 cells */
	CHECK_INT(mnemo_tm_score(a, na, a, (size_t)(strstr(a, "w2000 ") - a)), 66);
	/* 150 words of 3000 replaced: floor(100 * 2850 / 3000) */
	nb = 0;
	for (int i = 0; i < N; i++) {
		nb += (size_t)sprintf(b + nb, "%c%d ", i % 20 == 7 ? 'v' : 'w', i);
	}
	CHECK_INT(mnemo_tm_score(a, na, b, nb), 95);
	fprintf(stderr, "# two 3000-word scores: %.1f ms\n",
	        (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	free(a);
	free(b);
	free(c);
}

static int
put2(struct mnemo_tm_index *idx, uint64_t unit, uint64_t seq, const char *en, const char *fr)
{
	struct mnemo_tm_variant v[] = {{"en", en}, {"fr", fr}};

	return mnemo_tm_index_put(idx, unit, seq, NULL, v, 2);
}

static int
lookup(const struct mnemo_tm_index *idx, const char *text, uint32_t min_score, uint32_t max,
       struct mnemo_tm_match *out)
{
	return lookup_in(idx, "en", "fr", text, strlen(text), min_score, max, out);
}

static void
test_index(void)
{
	struct mnemo_tm_index *idx;
	struct mnemo_tm_match m[10];
	struct mnemo_tm_variant de[] = {{"en", "The cat sat on the mat."},
	                                {"de", "Die Katze sa\xc3\x9f auf der Matte."}};
	struct mnemo_tm_variant dup[] = {{"en", "first"}, {"fr", "premier"}, {"en", "Second."}};
	int n;

	mnemo_tm_index_free(NULL);
	CHECK_INT(mnemo_tm_index_new(&idx), 0);
	CHECK_INT(lookup(idx, "The cat sat on the mat.", 50, 10, m), 0);
	CHECK_INT(put2(idx, 1, 1, "The cat sat on the mat.", "Le chat \xc3\xa9tait sur le tapis."),
	          0);
	CHECK_INT(put2(idx, 2, 1, "The dog sat on the mat.", "Le chien \xc3\xa9tait sur le tapis."),
	          0);
	CHECK_INT(mnemo_tm_index_put(idx, 3, 1, NULL, de, 2), 0);
	CHECK_INT(put2(idx, 4, 1, "A completely different sentence here.", "Autre chose."), 0);
	CHECK_INT(
	        put2(idx, 30, 1, "The dog sat on the rug.", "Le chien \xc3\xa9tait sur le tapis."),
	        0);
	CHECK_INT(
	        put2(idx, 20, 1, "The dog sat on the rug.", "Le chien \xc3\xa9tait sur le tapis."),
	        0);
	CHECK_INT(mnemo_tm_index_count(idx), 6);

	/* exact, then fuzzy best first; unit 3 has no fr, unit 4 shares nothing */
	n = lookup(idx, "The cat sat on the mat.", 50, 10, m);
	CHECK_INT(n, 4);
	CHECK_INT(m[0].unit, 1);
	CHECK_INT(m[0].score, 100);
	CHECK_STR(m[0].source, "The cat sat on the mat.");
	CHECK_STR(m[0].target, "Le chat \xc3\xa9tait sur le tapis.");
	CHECK_INT(m[1].unit, 2);
	CHECK_INT(m[1].score, 83); /* 1 of 6 words */
	CHECK_INT(m[2].unit, 20);  /* a tie: lower unit id first */
	CHECK_INT(m[2].score, 66);
	CHECK_INT(m[3].unit, 30);
	CHECK_INT(m[3].score, 66);
	/* min_score and max */
	CHECK_INT(lookup(idx, "The cat sat on the mat.", 80, 10, m), 2);
	CHECK_INT(lookup(idx, "The cat sat on the mat.", 50, 3, m), 3);
	CHECK_INT(m[2].unit, 20);
	n = lookup(idx, "The cat sat on the mat.", 50, 1, m);
	CHECK_INT(n, 1);
	CHECK_INT(m[0].unit, 1);
	/* key variants are exact; case is not */
	n = lookup(idx, "  The cat sat\xc2\xa0on the mat. ", 90, 10, m);
	CHECK_INT(n, 1);
	CHECK_INT(m[0].score, 100);
	n = lookup(idx, "the cat sat on the mat.", 90, 10, m);
	CHECK_INT(n, 1);
	CHECK_INT(m[0].unit, 1);
	CHECK_INT(m[0].score, 99);
	n = lookup(idx, "THE DOG SAT ON THE MAT", 90, 10, m);
	CHECK_INT(n, 1);
	CHECK_INT(m[0].unit, 2);
	CHECK_INT(m[0].score, 98);
	/* two units with the same source text are both exact, lower id first */
	n = lookup(idx, "The dog sat on the rug.", 100, 10, m);
	CHECK_INT(n, 2);
	CHECK_INT(m[0].unit, 20);
	CHECK_INT(m[1].unit, 30);
	CHECK_INT(lookup(idx, "The dog sat on the rug.", 100, 1, m), 1);
	CHECK_INT(m[0].unit, 20);

	/* a pair the unit lacks, and unknown languages */
	CHECK_INT(lookup_in(idx, "en", "de", "The cat sat on the mat.", 23, 50, 10, m),
	          1);
	CHECK_INT(m[0].unit, 3);
	CHECK_STR(m[0].target, "Die Katze sa\xc3\x9f auf der Matte.");
	CHECK_INT(lookup_in(idx, "de", "en", "Die Katze sa\xc3\x9f auf der Matte.", 28,
	                                50, 10, m),
	          1);
	CHECK_INT(lookup_in(idx, "fr", "de", "Le chat \xc3\xa9tait sur le tapis.", 26,
	                                50, 10, m),
	          0);
	CHECK_INT(lookup_in(idx, "en", "es", "The cat sat on the mat.", 23, 50, 10, m),
	          0);
	CHECK_INT(lookup_in(idx, "xx", "fr", "The cat sat on the mat.", 23, 50, 10, m),
	          0);

	/* an update replaces the text: the old one no longer finds the unit */
	CHECK_INT(put2(idx, 1, 2, "The bird flew over the house.",
	               "L'oiseau a survol\xc3\xa9 la maison."),
	          0);
	n = lookup(idx, "The cat sat on the mat.", 50, 10, m);
	CHECK_INT(n, 3);
	CHECK_INT(m[0].unit, 2);
	n = lookup(idx, "The bird flew over the house.", 50, 10, m);
	CHECK_INT(n, 1);
	CHECK_INT(m[0].unit, 1);
	CHECK_INT(m[0].score, 100);
	CHECK_STR(m[0].target, "L'oiseau a survol\xc3\xa9 la maison.");
	/* a stale put is ignored, an equal seq applies */
	CHECK_INT(put2(idx, 1, 1, "The cat sat on the mat.", "Le chat."), 0);
	CHECK_INT(lookup(idx, "The bird flew over the house.", 100, 10, m), 1);
	CHECK_INT(lookup(idx, "The cat sat on the mat.", 100, 10, m), 0);
	CHECK_INT(put2(idx, 1, 2, "The bird flew over the house.", "L'oiseau."), 0);
	CHECK_INT(lookup(idx, "The bird flew over the house.", 100, 10, m), 1);
	CHECK_STR(m[0].target, "L'oiseau.");
	CHECK_INT(mnemo_tm_index_count(idx), 6);

	/* remove hides the unit; an older remove or put does not undo it */
	CHECK_INT(mnemo_tm_index_remove(idx, 2, 5), 0);
	CHECK_INT(mnemo_tm_index_count(idx), 5);
	n = lookup(idx, "The dog sat on the mat.", 50, 10, m);
	CHECK_INT(n, 2);
	CHECK_INT(m[0].unit, 20);
	CHECK_INT(mnemo_tm_index_remove(idx, 2, 3), 0);
	CHECK_INT(put2(idx, 2, 4, "The dog sat on the mat.", "Le chien."), 0);
	CHECK_INT(lookup(idx, "The dog sat on the mat.", 100, 10, m), 0);
	CHECK_INT(mnemo_tm_index_count(idx), 5);
	CHECK_INT(put2(idx, 2, 6, "The dog sat on the mat.", "Le chien."), 0);
	CHECK_INT(lookup(idx, "The dog sat on the mat.", 100, 10, m), 1);
	CHECK_INT(mnemo_tm_index_count(idx), 6);

	/* a remove that overtook its put leaves a tombstone */
	CHECK_INT(mnemo_tm_index_remove(idx, 99, 10), 0);
	CHECK_INT(mnemo_tm_index_count(idx), 6);
	CHECK_INT(put2(idx, 99, 9, "A tombstone guards this unit.", "Pierre tombale."), 0);
	CHECK_INT(lookup(idx, "A tombstone guards this unit.", 50, 10, m), 0);
	CHECK_INT(mnemo_tm_index_count(idx), 6);
	CHECK_INT(put2(idx, 99, 11, "A tombstone guards this unit.", "Pierre tombale."), 0);
	CHECK_INT(lookup(idx, "A tombstone guards this unit.", 50, 10, m), 1);
	CHECK_INT(mnemo_tm_index_count(idx), 7);

	/* the same language twice: the later text wins */
	CHECK_INT(mnemo_tm_index_put(idx, 7, 1, NULL, dup, 3), 0);
	CHECK_INT(lookup(idx, "first", 50, 10, m), 0);
	CHECK_INT(lookup(idx, "Second.", 100, 10, m), 1);
	CHECK_INT(m[0].unit, 7);
	/* no words: exact only */
	CHECK_INT(put2(idx, 8, 1, "?!", "?!"), 0);
	CHECK_INT(lookup(idx, " ?! ", 50, 10, m), 1);
	CHECK_INT(lookup(idx, "!?", 50, 10, m), 0);
	CHECK_INT(lookup(idx, "", 0, 10, m), 0);
	CHECK_INT(lookup(idx, "The cat sat on the mat.", 50, 0, m), 0);
	mnemo_tm_index_free(idx);
}

/* What mnemo_tm_index_pairs() showed: "src=tgt;" for each unit, in order. */
struct walk {
	char seen[512];
	int calls, fail_at; /* fail_at: the call that returns an error, 0 for none */
};

static int
walk_one(void *arg, const char *src, const char *tgt)
{
	struct walk *w = arg;
	size_t n = strlen(w->seen);

	snprintf(w->seen + n, sizeof(w->seen) - n, "%s=%s;", src, tgt);
	return ++w->calls == w->fail_at ? -ECANCELED : 0;
}

/* Walks the whole index max units at a time; the number of units looked at, or the error
 * that stopped the walk. */
static int
walk_all(const struct mnemo_tm_index *idx, const char *src, const char *tgt, size_t max,
         struct walk *w)
{
	size_t cursor = 0;
	int n, total = 0;

	memset(w, 0, sizeof(*w));
	while ((n = mnemo_tm_index_pairs(idx, src, tgt, &cursor, max, walk_one, w)) > 0) {
		CHECK((size_t)n <= (max ? max : 1));
		total += n;
	}
	return n < 0 ? n : total;
}

/* The units that have both languages, a chunk at a time, in the order they came, with a
 * cursor that outlives changes. */
static void
test_pairs(void)
{
	struct mnemo_tm_index *idx;
	struct mnemo_tm_variant de[] = {{"en", "Three"}, {"de", "Drei"}};
	struct mnemo_tm_variant regional[] = {{"en-GB", "Colour"}, {"fr-CA", "Couleur"}};
	struct mnemo_tm_variant fr_only[] = {{"fr", "Seul"}};
	struct mnemo_tm_variant many[] = {{"de", "Sieben"}, {"fr", "Sept"}, {"en", "Seven"}};
	struct walk w;
	size_t cursor = 0;

	CHECK_INT(mnemo_tm_index_new(&idx), 0);
	CHECK_INT(mnemo_tm_index_pairs(idx, "en", "fr", &cursor, 10, walk_one, &w), 0);
	CHECK_INT(mnemo_tm_index_remove(idx, 99, 5), 0); /* a tombstone takes a slot */
	CHECK_INT(put2(idx, 1, 1, "One", "Un"), 0);
	CHECK_INT(put2(idx, 2, 1, "Two", "Deux"), 0);
	CHECK_INT(mnemo_tm_index_put(idx, 3, 1, NULL, de, 2), 0);
	CHECK_INT(mnemo_tm_index_put(idx, 4, 1, NULL, regional, 2), 0);
	CHECK_INT(mnemo_tm_index_put(idx, 5, 1, NULL, fr_only, 1), 0);
	CHECK_INT(put2(idx, 6, 1, "Six", "Six"), 0);
	CHECK_INT(mnemo_tm_index_remove(idx, 6, 2), 0);
	CHECK_INT(mnemo_tm_index_put(idx, 7, 1, NULL, many, 3), 0);

	/* every unit looked at once, whatever the chunk; only live ones with both languages
	 * shown, a range taking in its regional variants */
	CHECK_INT(walk_all(idx, "en", "fr", 1, &w), 8);
	CHECK_STR(w.seen, "One=Un;Two=Deux;Colour=Couleur;Seven=Sept;");
	CHECK_INT(walk_all(idx, "en", "fr", 3, &w), 8);
	CHECK_STR(w.seen, "One=Un;Two=Deux;Colour=Couleur;Seven=Sept;");
	CHECK_INT(walk_all(idx, "en", "fr", 1000, &w), 8);
	CHECK_INT(w.calls, 4);
	CHECK_INT(walk_all(idx, "fr", "en", 0, &w), 8); /* max 0 is 1 */
	CHECK_STR(w.seen, "Un=One;Deux=Two;Couleur=Colour;Sept=Seven;");
	CHECK_INT(walk_all(idx, "EN-gb", "fr", 5, &w), 8);
	CHECK_STR(w.seen, "Colour=Couleur;");
	CHECK_INT(walk_all(idx, "en", "fr-FR", 5, &w), 8);
	CHECK_STR(w.seen, "");
	CHECK_INT(walk_all(idx, "de", "fr", 5, &w), 8);
	CHECK_STR(w.seen, "Sieben=Sept;");
	CHECK_INT(walk_all(idx, "e", "fr", 5, &w), 8); /* a range is whole subtags */
	CHECK_STR(w.seen, "");
	CHECK_INT(walk_all(idx, "en", "en", 5, &w), 8); /* two variants, never one twice */
	CHECK_STR(w.seen, "");
	CHECK_INT(walk_all(idx, "xx", "fr", 5, &w), 8);
	CHECK_STR(w.seen, "");

	/* fn's error stops the walk past the unit it failed on */
	memset(&w, 0, sizeof(w));
	w.fail_at = 2;
	cursor = 0;
	CHECK_INT(mnemo_tm_index_pairs(idx, "en", "fr", &cursor, 100, walk_one, &w), -ECANCELED);
	CHECK_INT(mnemo_tm_index_pairs(idx, "en", "fr", &cursor, 100, walk_one, &w) > 0, 1);
	CHECK_INT(mnemo_tm_index_pairs(idx, "en", "fr", &cursor, 100, walk_one, &w), 0);
	CHECK_STR(w.seen, "One=Un;Two=Deux;Colour=Couleur;Seven=Sept;");

	/* changes between chunks: a unit added is met, one removed ahead is not, one changed
	 * behind is not met again */
	memset(&w, 0, sizeof(w));
	cursor = 0;
	CHECK_INT(mnemo_tm_index_pairs(idx, "en", "fr", &cursor, 2, walk_one, &w), 2);
	CHECK_INT(put2(idx, 1, 2, "One!", "Un !"), 0);
	CHECK_INT(mnemo_tm_index_remove(idx, 2, 2), 0);
	CHECK_INT(put2(idx, 8, 1, "Eight", "Huit"), 0);
	while (mnemo_tm_index_pairs(idx, "en", "fr", &cursor, 2, walk_one, &w) > 0) {
	}
	CHECK_STR(w.seen, "One=Un;Colour=Couleur;Seven=Sept;Eight=Huit;");
	CHECK_INT(walk_all(idx, "en", "fr", 4, &w), 9);
	CHECK_STR(w.seen, "One!=Un !;Colour=Couleur;Seven=Sept;Eight=Huit;");
	mnemo_tm_index_free(idx);
}

/* Units that share a text: the index keeps it once, and each unit is still a match of its
 * own (its languages, tags and target), found as long as it holds the text. Among texts
 * tied at the lookup's bound, the lowest unit ids win, wherever they are in the postings. */
static void
test_shared(void)
{
	struct mnemo_tm_index *idx;
	struct mnemo_tm_match m[5];
	struct mnemo_tm_variant tagged[] = {
	        {.lang = "en", .text = "Save the file", .has_tags = true},
	        {.lang = "fr", .text = "Enregistrer le fichier"}};
	struct mnemo_tm_variant de[] = {{"en", "Save the file"}, {"de", "Datei speichern"}};
	struct mnemo_tm_variant twice[] = {{"en", "Save the file"}, {"fr", "Enregistrer"},
	                                   {"en", "Save the file"}};
	char en[32];
	int n;

	CHECK_INT(mnemo_tm_index_new(&idx), 0);
	CHECK_INT(put2(idx, 1, 1, "Save the file", "Enregistrer le fichier"), 0);
	CHECK_INT(mnemo_tm_index_put(idx, 2, 1, NULL, tagged, 2), 0);
	CHECK_INT(mnemo_tm_index_put(idx, 3, 1, NULL, de, 2), 0);
	CHECK_INT(put2(idx, 4, 1, "Save the file", "Sauver le fichier"), 0);
	/* fuzzy: each unit with fr, with its own target and tags */
	n = lookup(idx, "Save the files", 50, 5, m);
	CHECK_INT(n, 3);
	CHECK_INT(m[0].unit, 1);
	CHECK_INT(m[0].score, 66);
	CHECK_STR(m[0].target, "Enregistrer le fichier");
	CHECK_INT(m[1].unit, 4);
	CHECK_INT(m[1].score, 66);
	CHECK_STR(m[1].target, "Sauver le fichier");
	CHECK_INT(m[2].unit, 2);
	CHECK_INT(m[2].score, 65);
	CHECK_INT(m[2].penalties, MNEMO_TM_PENALTY_TAGS);
	CHECK_INT(lookup_in(idx, "en", "de", "Save the files", 14, 50, 5, m), 1);
	CHECK_INT(m[0].unit, 3);
	CHECK_STR(m[0].target, "Datei speichern");
	/* exact */
	n = lookup(idx, "Save the file", 50, 5, m);
	CHECK_INT(n, 3);
	CHECK_INT(m[0].unit, 1);
	CHECK_INT(m[1].unit, 4);
	CHECK_INT(m[2].unit, 2);
	CHECK_INT(m[2].score, 99);
	/* the text lives while a unit holds it, whatever its languages */
	CHECK_INT(mnemo_tm_index_remove(idx, 1, 2), 0);
	CHECK_INT(mnemo_tm_index_remove(idx, 2, 2), 0);
	CHECK_INT(mnemo_tm_index_remove(idx, 4, 2), 0);
	CHECK_INT(lookup(idx, "Save the files", 50, 5, m), 0);
	CHECK_INT(lookup(idx, "Save the file", 50, 5, m), 0);
	CHECK_INT(lookup_in(idx, "en", "de", "Save the files", 14, 50, 5, m), 1);
	CHECK_INT(mnemo_tm_index_remove(idx, 3, 2), 0);
	CHECK_INT(lookup_in(idx, "en", "de", "Save the files", 14, 50, 5, m), 0);
	/* ... and a new one takes the place of a text no unit holds */
	CHECK_INT(put2(idx, 5, 1, "Save the file", "Enregistrer"), 0);
	CHECK_INT(lookup(idx, "Save the files", 50, 5, m), 1);
	CHECK_INT(m[0].unit, 5);
	/* the same text twice in a put, and a put that keeps the unit's text */
	CHECK_INT(mnemo_tm_index_put(idx, 6, 1, NULL, twice, 3), 0);
	CHECK_INT(put2(idx, 5, 2, "Save the file", "Enregistrer"), 0);
	n = lookup(idx, "Save the files", 50, 5, m);
	CHECK_INT(n, 2);
	CHECK_INT(m[0].unit, 5);
	CHECK_INT(m[1].unit, 6);
	CHECK_INT(mnemo_tm_index_count(idx), 2);
	mnemo_tm_index_free(idx);

	/* 60 texts tie at 66 against the query, each held by two units, the lowest ids in the
	 * first texts put: the lookup need not score the later ones, unless a lower id joins
	 * one of them */
	CHECK_INT(mnemo_tm_index_new(&idx), 0);
	for (int i = 0; i < 60; i++) {
		snprintf(en, sizeof(en), "Open the w%c%c", 'a' + i / 26, 'a' + i % 26);
		CHECK_INT(put2(idx, (uint64_t)(100 + 10 * i), 1, en, "Ouvrir"), 0);
		CHECK_INT(put2(idx, (uint64_t)(2000 + i), 1, en, "Ouvrir"), 0);
	}
	n = lookup(idx, "Open the menu", 50, 5, m);
	CHECK_INT(n, 5);
	for (int i = 0; i < n; i++) {
		CHECK_INT(m[i].unit, 100 + 10 * i);
		CHECK_INT(m[i].score, 66);
	}
	/* a lower id joins the last text put ("Open the wch"), then leaves it */
	CHECK_INT(put2(idx, 5, 1, "Open the wch", "Ouvrir"), 0);
	CHECK_INT(lookup(idx, "Open the menu", 50, 5, m), 5);
	CHECK_INT(m[0].unit, 5);
	CHECK_INT(m[1].unit, 100);
	CHECK_INT(m[4].unit, 130);
	CHECK_INT(mnemo_tm_index_remove(idx, 5, 2), 0);
	CHECK_INT(lookup(idx, "Open the menu", 50, 5, m), 5);
	CHECK_INT(m[0].unit, 100);
	CHECK_INT(m[4].unit, 140);
	/* the lowest moves to another text, then to the last one */
	CHECK_INT(put2(idx, 100, 2, "Something else entirely", "Autre chose"), 0);
	CHECK_INT(lookup(idx, "Open the menu", 50, 5, m), 5);
	CHECK_INT(m[0].unit, 110);
	CHECK_INT(m[4].unit, 150);
	CHECK_INT(put2(idx, 100, 3, "Open the wch", "Ouvrir"), 0);
	CHECK_INT(lookup(idx, "Open the menu", 50, 5, m), 5);
	CHECK_INT(m[0].unit, 100);
	CHECK_INT(m[1].unit, 110);
	CHECK_INT(m[4].unit, 140);
	mnemo_tm_index_free(idx);
}

/* The random-ish memory: Zipf-like words, and sentences that are often edits of earlier
 * ones, so that most queries have near matches among many partial ones. */
enum { N_UNITS = 5000, N_VOCAB = 3000, N_QUERIES = 200, MAX_WORDS = 40 };

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint32_t
rng_below(uint32_t n)
{
	return (uint32_t)(rng() % n);
}

static char vocab[N_VOCAB][16];

static void
make_vocab(void)
{
	static const char *syl[] = {"ka",       "lo",        "mi", "ne", "ru", "sa", "to", "vi",
	                            "\xc3\xa9", "p\xc3\xa8", "zu", "ch", "on", "ar", "el", "is"};

	for (int i = 0; i < N_VOCAB; i++) {
		int n = 0, k = 1 + (i % 3) + (i > 100);

		for (int j = 0, x = i; j < k; j++, x /= 16) {
			n += sprintf(vocab[i] + n, "%s", syl[(x + j * 7) % 16]);
		}
		if (i >= 16 * 16) {
			n += sprintf(vocab[i] + n, "%d", i / 256);
		}
	}
}

struct sentence {
	int n;
	int w[MAX_WORDS];
	unsigned flags[MAX_WORDS]; /* 1: capitalised, 2: comma after */
};

static int
zipf_word(void)
{
	double u = (double)(rng() >> 11) / (double)(1ULL << 53);

	return (int)(u * u * u * N_VOCAB);
}

static void
render(const struct sentence *s, char *out, size_t size)
{
	size_t n = 0;

	for (int i = 0; i < s->n && n + 40 < size; i++) {
		const char *w = vocab[s->w[i]];

		if (i > 0) {
			out[n++] = ' ';
		}
		if (s->flags[i] & 1 && w[0] >= 'a' && w[0] <= 'z') {
			out[n++] = (char)(w[0] - 'a' + 'A');
			w++;
		}
		n += (size_t)sprintf(out + n, "%s%s", w, s->flags[i] & 2 ? "," : "");
	}
	out[n++] = '.';
	out[n] = '\0';
}

static void
edit(struct sentence *s, int n_edits)
{
	for (int e = 0; e < n_edits; e++) {
		int at = (int)rng_below((uint32_t)s->n);

		switch (rng_below(5)) {
		case 0:
			s->w[at] = zipf_word();
			break;
		case 1:
			if (s->n > 2) {
				memmove(&s->w[at], &s->w[at + 1],
				        (size_t)(s->n - at - 1) * sizeof(int));
				memmove(&s->flags[at], &s->flags[at + 1],
				        (size_t)(s->n - at - 1) * sizeof(unsigned));
				s->n--;
			}
			break;
		case 2:
			if (s->n < MAX_WORDS) {
				memmove(&s->w[at + 1], &s->w[at],
				        (size_t)(s->n - at) * sizeof(int));
				memmove(&s->flags[at + 1], &s->flags[at],
				        (size_t)(s->n - at) * sizeof(unsigned));
				s->w[at] = zipf_word();
				s->flags[at] = 0;
				s->n++;
			}
			break;
		case 3:
			s->flags[at] ^= 1;
			break;
		default:
			s->flags[at] ^= 2;
			break;
		}
	}
}

static void
random_sentence(struct sentence *s)
{
	s->n = 3 + (int)rng_below(20);
	for (int i = 0; i < s->n; i++) {
		s->w[i] = zipf_word();
		s->flags[i] = rng_below(10) == 0 ? 2 : 0;
	}
	s->flags[0] = 1;
}

struct shadow {
	struct sentence s;
	char en[MAX_WORDS * 24];
	char fr[MAX_WORDS * 24 + 8];
	int has_fr, alive;
};

static struct shadow *units;

static int
shadow_put(struct mnemo_tm_index *idx, int i, uint64_t seq)
{
	struct shadow *u = &units[i];
	struct mnemo_tm_variant v[] = {{"en", u->en}, {"fr", u->fr}};

	render(&u->s, u->en, sizeof(u->en));
	snprintf(u->fr, sizeof(u->fr), "FR %s", u->en);
	u->has_fr = rng_below(20) != 0;
	u->alive = 1;
	return mnemo_tm_index_put(idx, (uint64_t)i, seq, NULL, v, u->has_fr ? 2 : 1);
}

/* What a lookup must return: every live unit with fr scored by mnemo_tm_score(). */
static int
brute(const uint32_t *scores, uint32_t min_score, uint32_t max, struct mnemo_tm_match *out)
{
	uint32_t n = 0;

	for (uint32_t s = 100; s >= min_score && s <= 100 && n < max; s--) {
		for (int i = 0; i < N_UNITS && n < max; i++) {
			if (scores[i] == s) {
				out[n++] = (struct mnemo_tm_match){.unit = (uint64_t)i, .score = s};
			}
		}
	}
	return (int)n;
}

struct query {
	char text[MAX_WORDS * 24];
	int n;
	struct mnemo_tm_match want[5];
};

static struct query *queries;

struct thread_arg {
	const struct mnemo_tm_index *idx;
	int mismatches;
};

static void *
thread_lookups(void *p)
{
	struct thread_arg *a = p;
	struct mnemo_tm_match m[5];

	for (int i = 0; i < N_QUERIES; i++) {
		int n = lookup(a->idx, queries[i].text, 60, 5, m);

		if (n != queries[i].n) {
			a->mismatches++;
			continue;
		}
		for (int j = 0; j < n; j++) {
			a->mismatches += m[j].unit != queries[i].want[j].unit ||
			                 m[j].score != queries[i].want[j].score;
		}
	}
	return NULL;
}

static int
same_results(const struct mnemo_tm_match *a, int na, const struct mnemo_tm_match *b, int nb)
{
	if (na != nb) {
		return 0;
	}
	for (int i = 0; i < na; i++) {
		if (a[i].unit != b[i].unit || a[i].score != b[i].score) {
			return 0;
		}
	}
	return 1;
}

static void
test_recall(void)
{
	static const struct {
		uint32_t min_score, max;
	} modes[] = {{60, 5}, {40, 20}, {70, 1}};
	struct mnemo_tm_index *idx;
	struct mnemo_tm_match got[20], want[20];
	uint32_t *scores = malloc(N_UNITS * sizeof(*scores));
	pthread_t threads[4];
	struct thread_arg args[4];
	struct timespec t0, t1;
	double lookup_ns = 0;
	int n_lookups = 0, n_queries = 0, attempts = 0, put_errors = 0, bad = 0;
	uint64_t seq = 1;

	units = calloc(N_UNITS, sizeof(*units));
	queries = calloc(N_QUERIES, sizeof(*queries));
	make_vocab();
	CHECK_INT(mnemo_tm_index_new(&idx), 0);
	for (int i = 0; i < N_UNITS; i++) {
		if (i > 10 && rng_below(5) < 2) {
			/* an edit of an earlier one, or (no edit) its very text: shared */
			units[i].s = units[rng_below((uint32_t)i)].s;
			edit(&units[i].s, (int)rng_below(5));
		} else {
			random_sentence(&units[i].s);
		}
		put_errors += shadow_put(idx, i, seq++) != 0;
	}
	/* updates and removals, so that lookups meet stale postings */
	for (int k = 0; k < 300; k++) {
		int i = (int)rng_below(N_UNITS);

		if (rng_below(4) == 0) {
			units[i].s = units[rng_below(N_UNITS)].s; /* onto another's text */
		} else {
			edit(&units[i].s, 1 + (int)rng_below(3));
		}
		put_errors += shadow_put(idx, i, seq++) != 0;
	}
	for (int k = 0; k < 300; k++) {
		int i = (int)rng_below(N_UNITS);

		units[i].alive = 0;
		put_errors += mnemo_tm_index_remove(idx, (uint64_t)i, seq++) != 0;
	}
	CHECK_INT(put_errors, 0);

	while (n_queries < N_QUERIES && attempts++ < 10 * N_QUERIES) {
		struct query *q = &queries[n_queries];
		struct sentence s;
		int i = (int)rng_below(N_UNITS);
		uint32_t best = 0;

		if (!units[i].alive) {
			continue;
		}
		s = units[i].s;
		edit(&s, (int)rng_below(4));
		render(&s, q->text, sizeof(q->text));
		for (int j = 0; j < N_UNITS; j++) {
			scores[j] =
			        units[j].alive && units[j].has_fr ? score(q->text, units[j].en) : 0;
			best = scores[j] > best ? scores[j] : best;
		}
		if (best < 60) {
			continue;
		}
		for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
			int nw = brute(scores, modes[k].min_score, modes[k].max, want), ng;

			clock_gettime(CLOCK_MONOTONIC, &t0);
			ng = lookup(idx, q->text, modes[k].min_score, modes[k].max, got);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			lookup_ns += (double)(t1.tv_sec - t0.tv_sec) * 1e9 +
			             (double)(t1.tv_nsec - t0.tv_nsec);
			n_lookups++;
			if (!same_results(got, ng, want, nw)) {
				bad++;
				fprintf(stderr, "# '%s' min %u max %u: got %d, want %d\n", q->text,
				        modes[k].min_score, modes[k].max, ng, nw);
				for (int j = 0; j < ng || j < nw; j++) {
					fprintf(stderr, "#   got %4d:%3u  want %4d:%3u\n",
					        j < ng ? (int)got[j].unit : -1,
					        j < ng ? got[j].score : 0,
					        j < nw ? (int)want[j].unit : -1,
					        j < nw ? want[j].score : 0);
				}
			}
			if (k == 0) {
				q->n = nw;
				memcpy(q->want, want, (size_t)nw * sizeof(*want));
			}
			for (int j = 0; j < ng; j++) {
				const struct shadow *u = &units[got[j].unit];

				bad += strcmp(got[j].source, u->en) != 0 ||
				       strcmp(got[j].target, u->fr) != 0;
			}
		}
		n_queries++;
	}
	CHECK_INT(n_queries, N_QUERIES);
	CHECK_INT(bad, 0);
	fprintf(stderr,
	        "# %d units, %zu live, %d queries in %d attempts, %d lookups: %.1f us each\n",
	        N_UNITS, mnemo_tm_index_count(idx), n_queries, attempts, n_lookups,
	        lookup_ns / n_lookups / 1e3);

	/* concurrent lookups on the same index, each thread with its own tokenizer */
	for (int t = 0; t < 4; t++) {
		args[t] = (struct thread_arg){.idx = idx};
		CHECK_INT(pthread_create(&threads[t], NULL, thread_lookups, &args[t]), 0);
	}
	for (int t = 0; t < 4; t++) {
		pthread_join(threads[t], NULL);
		CHECK_INT(args[t].mismatches, 0);
	}

	mnemo_tm_index_free(idx);
	free(units);
	free(queries);
	free(scores);
}


/* The proposal: the segment's numbers and placeholders in the stored target. */
static void
test_propose(void)
{
	static const struct {
		const char *segment, *source, *target, *want;
	} cases[] = {
		{"Delete 12 files", "Delete 3 files", "Supprimer 3 fichiers", "Supprimer 12 fichiers"},
		{"Page 7 of 12", "Page 5 of 10", "Page 5 sur 10", "Page 7 sur 12"},
		{"Open %d of %s", "Open %s of %d", "Ouvrir %s sur %d", "Ouvrir %d sur %s"},
		{"Copy {1} to {0}", "Copy {0} to {1}", "Copier {0} vers {1}", "Copier {1} vers {0}"},
		/* 5 stands for 5 and for 6: left alone */
		{"5 and 6", "5 and 5", "5 et 5", "5 et 5"},
		/* the target writes the number its own way: left alone */
		{"Delete 2,000 files", "Delete 1,000 files", "Supprimer 1 000 fichiers",
		 "Supprimer 1 000 fichiers"},
		/* not the same kinds: left alone */
		{"Open 3 files", "Open %d files", "Ouvrir %d fichiers", "Ouvrir %d fichiers"},
		{"Le chat dort.", "Le chat dort.", "The cat sleeps.", "The cat sleeps."},
		/* "10" in the target is not the source's "1" */
		{"Item 2 of 10", "Item 1 of 10", "\xc3\x89l\xc3\xa9ment 1 sur 10",
		 "\xc3\x89l\xc3\xa9ment 2 sur 10"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = NULL;
		size_t len = 0;

		CHECK_INT(mnemo_tm_propose(cases[i].segment, strlen(cases[i].segment),
		                           cases[i].source, strlen(cases[i].source), cases[i].target,
		                           strlen(cases[i].target), &got, &len),
		          0);
		CHECK_MSG(got != NULL && strcmp(got, cases[i].want) == 0 && len == strlen(got),
		          "%s / %s -> %s: got %s", cases[i].segment, cases[i].source, cases[i].target,
		          got ? got : "(null)");
		free(got);
	}
}

/* In context (101), tags, penalties and what a match shows of its unit. */
static void
test_context(void)
{
	struct mnemo_tm_index *idx;
	struct mnemo_tm_match m[5];
	struct mnemo_tm_variant open[] = {{.lang = "en", .text = "Open", .prev = "File",
	                                   .next = "Save"},
	                                  {.lang = "fr", .text = "Ouvrir"}};
	struct mnemo_tm_variant bold[] = {{.lang = "en", .text = "Click Save.", .has_tags = true},
	                                  {.lang = "fr", .text = "Cliquez sur Enregistrer."}};
	struct mnemo_tm_unit_info info = {.context = "menu.file.open",
	                                  .origin = "tmx:menus.tmx",
	                                  .changed_by = "anna",
	                                  .changed_at = 1700000000000};
	struct mnemo_tm_query q = {.source = "en", .target = "fr", .min_score = 50, .max = 5};

	CHECK_INT(mnemo_tm_index_new(&idx), 0);
	CHECK_INT(mnemo_tm_index_put(idx, 1, 1, &info, open, 2), 0);
	CHECK_INT(mnemo_tm_index_put(idx, 2, 2, NULL, bold, 2), 0);
	/* plain exact */
	q.text = "Open";
	q.len = 4;
	CHECK_INT(mnemo_tm_index_lookup(idx, &q, m), 1);
	CHECK_INT(m[0].score, 100);
	CHECK_INT(m[0].kind, MNEMO_TM_EXACT);
	CHECK_STR(m[0].origin, "tmx:menus.tmx");
	CHECK_STR(m[0].changed_by, "anna");
	CHECK(m[0].changed_at == 1700000000000);
	/* the same context key */
	q.context = "menu.file.open";
	CHECK_INT(mnemo_tm_index_lookup(idx, &q, m), 1);
	CHECK_INT(m[0].score, 101);
	CHECK_INT(m[0].kind, MNEMO_TM_IN_CONTEXT);
	q.context = "menu.edit.open";
	CHECK_INT(mnemo_tm_index_lookup(idx, &q, m), 1);
	CHECK_INT(m[0].score, 100);
	/* the same neighbours, keys compared (white space folded) */
	q.context = NULL;
	q.prev = "File";
	q.next = " Save ";
	CHECK_INT(mnemo_tm_index_lookup(idx, &q, m), 1);
	CHECK_INT(m[0].score, 101);
	q.next = "Close";
	CHECK_INT(mnemo_tm_index_lookup(idx, &q, m), 1);
	CHECK_INT(m[0].score, 100);
	/* min_score 101: in context only */
	q.next = "Save";
	q.min_score = 101;
	CHECK_INT(mnemo_tm_index_lookup(idx, &q, m), 1);
	q.prev = NULL;
	CHECK_INT(mnemo_tm_index_lookup(idx, &q, m), 0);
	/* a source with inline tags loses a point, exact or fuzzy */
	q = (struct mnemo_tm_query){.source = "en", .target = "fr", .text = "Click Save.",
	                            .len = 11, .min_score = 50, .max = 5};
	CHECK_INT(mnemo_tm_index_lookup(idx, &q, m), 1);
	CHECK_INT(m[0].score, 99);
	CHECK_INT(m[0].kind, MNEMO_TM_EXACT);
	CHECK_INT(m[0].penalties, MNEMO_TM_PENALTY_TAGS);
	CHECK_STR(m[0].origin, "");
	q.text = "click save";
	q.len = 10;
	CHECK_INT(mnemo_tm_index_lookup(idx, &q, m), 1);
	CHECK_INT(m[0].score, 97); /* case, punctuation, tags */
	CHECK_INT(m[0].kind, MNEMO_TM_FUZZY);
	CHECK_INT(m[0].penalties, MNEMO_TM_PENALTY_CASE | MNEMO_TM_PENALTY_PUNCTUATION |
	                                  MNEMO_TM_PENALTY_TAGS);
	CHECK_STR(mnemo_tm_penalty_name(MNEMO_TM_PENALTY_NUMBERS), "numbers");
	mnemo_tm_index_free(idx);
}

int
main(void)
{
	test_key();
	test_score();
	test_score_random();
	test_score_long();
	test_index();
	test_pairs();
	test_shared();
	test_recall();
	test_propose();
	test_context();
	return check_exit();
}
