/* common/align/lexicon.c: sentences to stems (elisions, hyphens, numbers, stop words,
 * accents), pairs added by hand, a small dictd dictionary with malformed entries, and
 * FreeDict's own dictionaries when the machine has them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "lexicon.h"

#define MINI "tests/data/align/lexicon/mini-fra-eng"
#ifndef FREEDICT
#define FREEDICT "/usr/share/dictd/freedict-" /* -DFREEDICT=... tries the skip */
#endif

/* The stems of s, space separated, in a static buffer. */
static const char *
stems(struct mnemo_lexicon *lex, enum mnemo_lexicon_side side, const char *s)
{
	static char out[1024];
	uint32_t ids[64];
	size_t n = 0, k = 0;
	int r;

	r = mnemo_lexicon_stems(lex, side, s, strlen(s), ids, 64, &n);
	if (r < 0) {
		snprintf(out, sizeof(out), "error %d", r);
		return out;
	}
	out[0] = '\0';
	for (size_t i = 0; i < n && i < 64; i++) {
		const char *t = mnemo_lexicon_stem_text(lex, side, ids[i]);

		k += (size_t)snprintf(out + k, sizeof(out) - k, "%s%s", i ? " " : "", t ? t : "?");
	}
	return out;
}

/* The id of a one-word text; UINT32_MAX if it is no word or more than one. */
static uint32_t
id(struct mnemo_lexicon *lex, enum mnemo_lexicon_side side, const char *s)
{
	uint32_t ids[2];
	size_t n = 0;

	if (mnemo_lexicon_stems(lex, side, s, strlen(s), ids, 2, &n) < 0 || n != 1) {
		return UINT32_MAX;
	}
	return ids[0];
}

static bool
has(struct mnemo_lexicon *lex, const char *src, const char *tgt)
{
	return mnemo_lexicon_has(lex, id(lex, MNEMO_LEXICON_SRC, src),
	                         id(lex, MNEMO_LEXICON_TGT, tgt));
}

static void
test_new(void)
{
	struct mnemo_lexicon *lex = NULL;

	CHECK_INT(mnemo_lexicon_new("fr-CA", "en_GB", &lex), 0);
	mnemo_lexicon_free(lex);
	lex = (struct mnemo_lexicon *)1;
	CHECK_INT(mnemo_lexicon_new("", "en", &lex), -EINVAL);
	CHECK_INT(mnemo_lexicon_new("fr", "e1", &lex), -EINVAL);
	CHECK_INT(mnemo_lexicon_new("french", "en", &lex), -EINVAL);
	CHECK(lex == (struct mnemo_lexicon *)1); /* untouched on failure */
	mnemo_lexicon_free(NULL);

	/* German: Snowball's stemmer, no stop list, accents kept */
	CHECK_INT(mnemo_lexicon_new("de", "xx", &lex), 0);
	if (lex) {
		CHECK_STR(stems(lex, MNEMO_LEXICON_SRC, "Die H\xc3\xa4user"), "die haus");
		/* a language Snowball does not know: case folded only */
		CHECK_STR(stems(lex, MNEMO_LEXICON_TGT, "Abc ABCS"), "abc abcs");
		mnemo_lexicon_free(lex);
	}
}

static void
test_stems_fr(struct mnemo_lexicon *lex)
{
	const enum mnemo_lexicon_side fr = MNEMO_LEXICON_SRC;

	/* elisions split, the elided words and "de", "a", "et" dropped as stop words */
	CHECK_STR(stems(lex, fr,
	                "L'\xc3\xa9"
	                "cole de Jean-Pierre a 12 \xc3\xa9l\xc3\xa8ves."),
	          "ecol jean pierr elev");
	CHECK_STR(stems(lex, fr,
	                "l\xe2\x80\x99\xc3\xa9"
	                "cole"),
	          "ecol"); /* ’ as ' */
	CHECK_STR(stems(lex, fr, "Qu'il vienne jusqu'\xc3\xa0 lui"), "vien");
	CHECK_STR(stems(lex, fr, "aujourd'hui"), "aujourd'hui"); /* no elision: one word */
	/* hyphens split words; inverted pronouns are stop words */
	CHECK_STR(stems(lex, fr, "Le cessez-le-feu tient, dit-il."), "cess feu tient dit");
	CHECK_STR(stems(lex, fr, "Qu'a-t-on fait ?"), "fait");
	/* numbers and punctuation are no words */
	CHECK_STR(stems(lex, fr, "3,5 % de 1 200 \xe2\x82\xac, 12h30 : \xc2\xab ! \xc2\xbb"), "");
	CHECK_STR(stems(lex, fr, ""), "");
	CHECK_STR(stems(lex, fr,
	                "le la les de des du \xc3\xa0 et ou o\xc3\xb9 est sont \xc3\xa9t\xc3\xa9"),
	          "");
	/* case and accents folded after stemming, ligatures spelt out, NFD read as NFC */
	uint32_t ecole = id(lex, fr,
	                    "\xc3\xa9"
	                    "cole");
	CHECK(ecole != UINT32_MAX);
	CHECK_INT(id(lex, fr, "ECOLE"), ecole);
	CHECK_INT(id(lex, fr,
	             "\xc3\x89"
	             "COLE"),
	          ecole);
	CHECK_INT(id(lex, fr, "Ecoles"), ecole);
	CHECK_INT(id(lex, fr,
	             "e\xcc\x81"
	             "cole"),
	          ecole); /* e + U+0301 */
	CHECK_INT(id(lex, fr, "c\xc5\x93ur"), id(lex, fr, "coeur"));
	/* Snowball's French: inflections meet (not all: it keeps "continuent" whole) */
	CHECK_INT(id(lex, fr, "nationale"), id(lex, fr, "nationaux"));
	CHECK_INT(id(lex, fr, "continu\xc3\xa9"), id(lex, fr, "continuer"));
	/* invalid UTF-8 is no word, and the words around it stay */
	CHECK_STR(stems(lex, fr,
	                "chat\xff\xfe"
	                "chien"),
	          "chat chien");
	/* a blob longer than any word is skipped */
	{
		char blob[200];

		memset(blob, 'x', sizeof(blob) - 1);
		blob[sizeof(blob) - 1] = '\0';
		CHECK_STR(stems(lex, fr, blob), "");
	}
}

static void
test_stems_en(struct mnemo_lexicon *lex)
{
	const enum mnemo_lexicon_side en = MNEMO_LEXICON_TGT;
	uint32_t ids[2] = {0, 0};
	size_t n = 0;
	const char *s = "Talks will resume on Monday in Geneva";

	CHECK_STR(stems(lex, en, "The school's 12 pupils didn't come; it's o'clock."),
	          "school pupil come o'clock");
	CHECK_STR(stems(lex, en, "We'll see a well-known CAF\xc3\x89."), "see well known cafe");
	CHECK_STR(stems(lex, en, s), "talk resum monday geneva");
	/* room for two of four: the first two, and how many there are */
	CHECK_INT(mnemo_lexicon_stems(lex, en, s, strlen(s), ids, 2, &n), 0);
	CHECK_INT(n, 4);
	CHECK_STR(mnemo_lexicon_stem_text(lex, en, ids[0]), "talk");
	CHECK_STR(mnemo_lexicon_stem_text(lex, en, ids[1]), "resum");
	CHECK_INT(mnemo_lexicon_stems(lex, en, s, strlen(s), NULL, 0, &n), 0);
	CHECK_INT(n, 4);
	CHECK(mnemo_lexicon_stem_text(lex, en, 1u << 30) == NULL);

	/* more distinct words than the word cache holds: ids stay what they were */
	{
		uint32_t school = id(lex, en, "schools");
		char w[8] = "zq";
		bool same = true;

		for (int i = 0; i < 70000; i++) {
			w[2] = (char)('a' + i % 26);
			w[3] = (char)('a' + i / 26 % 26);
			w[4] = (char)('a' + i / 676 % 26);
			w[5] = (char)('a' + i / 17576);
			same &= id(lex, en, w) == id(lex, en, w);
		}
		CHECK(same);
		CHECK_INT(id(lex, en, "schools"), school);
		CHECK_INT(id(lex, en, "Schools"), school);
	}
}

static void
test_add(struct mnemo_lexicon *lex)
{
	const uint32_t *tr = NULL;
	uint32_t src, n;

	CHECK_INT(mnemo_lexicon_add(lex, "chat", "cat"), 1);
	CHECK_INT(mnemo_lexicon_add(lex, "Chats", "cats"), 0); /* the same stems */
	CHECK_INT(mnemo_lexicon_add(lex, "chat", "kitten"), 1);
	CHECK_INT(mnemo_lexicon_add(lex, "se conformer", "to conform"), 1);
	CHECK(has(lex, "chat", "cat"));
	CHECK(has(lex, "chats", "Cat"));
	CHECK(has(lex, "conforme", "conforming"));
	CHECK(!has(lex, "chat", "conform"));
	CHECK(!has(lex, "chien", "cat"));
	/* stop words, numbers, phrases, phrasal verbs: not one content word */
	CHECK_INT(mnemo_lexicon_add(lex, "le", "the"), -EINVAL);
	CHECK_INT(mnemo_lexicon_add(lex, "12", "twelve"), -EINVAL);
	CHECK_INT(mnemo_lexicon_add(lex, "chemin de fer", "railway"), -EINVAL);
	CHECK_INT(mnemo_lexicon_add(lex, "abandonner", "give up"), -EINVAL);
	CHECK_INT(mnemo_lexicon_add(lex, "", "cat"), -EINVAL);

	src = id(lex, MNEMO_LEXICON_SRC, "chat");
	n = mnemo_lexicon_translations(lex, src, &tr);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK(tr[0] < tr[1]);
		CHECK(tr[0] == id(lex, MNEMO_LEXICON_TGT, "cat") ||
		      tr[1] == id(lex, MNEMO_LEXICON_TGT, "cat"));
	}
	CHECK_INT(mnemo_lexicon_translations(lex, id(lex, MNEMO_LEXICON_SRC, "chien"), &tr), 0);
	CHECK_INT(mnemo_lexicon_translations(lex, 1u << 30, &tr), 0);

	CHECK_INT(mnemo_lexicon_add_ids(lex, id(lex, MNEMO_LEXICON_SRC, "chien"),
	                                id(lex, MNEMO_LEXICON_TGT, "dog")),
	          1);
	CHECK(has(lex, "chien", "dogs"));
	CHECK_INT(mnemo_lexicon_add_ids(lex, 1u << 30, 0), -EINVAL);
	CHECK_INT(mnemo_lexicon_add_ids(lex, 0, 1u << 30), -EINVAL);
}

/* Stems carried from one lexicon into another as text: not stemmed again ("agreed" is
 * "agre", which Snowball would make "agr"). */
static void
test_add_stems(void)
{
	struct mnemo_lexicon *from = NULL, *to = NULL;
	struct mnemo_lexicon_stats st;
	char agre[64], ecol[64], longest[2048];

	CHECK_INT(mnemo_lexicon_new("fr", "en", &from), 0);
	CHECK_INT(mnemo_lexicon_new("fr-CA", "en-GB", &to), 0);
	if (!from || !to) {
		mnemo_lexicon_free(from);
		mnemo_lexicon_free(to);
		return;
	}
	snprintf(agre, sizeof(agre), "%s", stems(from, MNEMO_LEXICON_TGT, "agreed"));
	snprintf(ecol, sizeof(ecol), "%s",
	         stems(from, MNEMO_LEXICON_SRC,
	               "\xc3\xa9"
	               "cole"));
	CHECK_STR(agre, "agre");
	CHECK_STR(stems(from, MNEMO_LEXICON_TGT, agre), "agr"); /* why stems are not restemmed */
	CHECK_STR(ecol, "ecol");

	CHECK_INT(mnemo_lexicon_add_stems(to, "accord", agre), 1);
	CHECK_INT(mnemo_lexicon_add_stems(to, "accord", agre), 0);
	CHECK_INT(mnemo_lexicon_add_stems(to, ecol, "school"), 1);
	CHECK(has(to, "accords", "agreed"));
	CHECK(has(to, "Ecoles", "schools"));
	CHECK(!has(to, "accord", "school"));
	/* a pair added as words is the same pair */
	CHECK_INT(mnemo_lexicon_add(to,
	                            "\xc3\xa9"
	                            "coles",
	                            "school"),
	          0);

	/* nothing a stem cannot be, and nothing interned for it */
	mnemo_lexicon_get_stats(to, &st);
	memset(longest, 'x', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	CHECK_INT(mnemo_lexicon_add_stems(to, "", "school"), -EINVAL);
	CHECK_INT(mnemo_lexicon_add_stems(to, "chien", ""), -EINVAL);
	CHECK_INT(mnemo_lexicon_add_stems(to, "chien", "dog\xff"), -EINVAL);
	CHECK_INT(mnemo_lexicon_add_stems(to, longest, "dog"), -EINVAL);
	CHECK_INT(mnemo_lexicon_add_stems(to, "chien", longest), -EINVAL);
	{
		struct mnemo_lexicon_stats after;

		mnemo_lexicon_get_stats(to, &after);
		CHECK_INT(after.n_stems[0], st.n_stems[0]);
		CHECK_INT(after.n_stems[1], st.n_stems[1]);
		CHECK_INT(after.n_pairs, 2);
	}
	/* a long stem, but one a word can make: 64 UTF-16 units, each folded to three */
	longest[0] = '\0';
	for (int i = 0; i < 64 * 3; i++) {
		strcat(longest, "\xe3\x81\x82"); /* U+3042, 3 bytes */
	}
	CHECK_INT(mnemo_lexicon_add_stems(to, longest, "dog"), 1);
	mnemo_lexicon_free(from);
	mnemo_lexicon_free(to);
}

static void
test_mini(void)
{
	struct mnemo_lexicon *lex = NULL, *rev = NULL;
	struct mnemo_lexicon_stats st;
	const uint32_t *tr;

	CHECK_INT(mnemo_lexicon_new("fr", "en", &lex), 0);
	if (!lex) {
		return;
	}
	CHECK_INT(mnemo_lexicon_load_freedict(lex, MINI, false), 12);
	mnemo_lexicon_get_stats(lex, &st);
	CHECK_INT(st.n_pairs, 12);
	CHECK_INT(st.n_entries, 10);    /* the 00database entries are no entries */
	CHECK_INT(st.n_bad_entries, 5); /* invalid UTF-8, bad number, past the end, 2 fields, 0 */
	CHECK_INT(st.n_phrases, 4);     /* abat-jour, chemin de fer, wipe out, get rid of */
	CHECK(has(lex, "chat", "cat"));
	CHECK(has(lex,
	          "\xc3\xa9"
	          "coles",
	          "schools"));
	CHECK(has(lex,
	          "\xc3\xa9"
	          "cole",
	          "academy"));
	CHECK(has(lex, "pommes", "cones")); /* "(pine) cone": the gloss dropped */
	CHECK(has(lex, "conformer", "comply"));
	CHECK(has(lex, "supprimer", "delete"));
	CHECK(has(lex, "supprime", "erased"));  /* after a semicolon */
	CHECK(has(lex, "supprimer", "cancel")); /* after a [domain] */
	CHECK(has(lex, "voiture", "car"));
	CHECK(!has(lex, "supprimer", "wipe")); /* "wipe out" is a phrasal verb */
	CHECK(!has(lex, "supprimer", "rid"));
	CHECK(!has(lex, "chemin", "railway"));
	CHECK(!has(lex, "abat", "lamp"));
	CHECK(!has(lex,
	           "z\xc3\xa8"
	           "bre",
	           "zebra"));                   /* the entry with invalid UTF-8 */
	CHECK(!has(lex, "test", "dictionary")); /* the database's description */
	/* the usage example's words are not translations of falloir */
	CHECK_INT(mnemo_lexicon_translations(lex, id(lex, MNEMO_LEXICON_SRC, "falloir"), &tr), 0);
	/* loading again adds nothing */
	CHECK_INT(mnemo_lexicon_load_freedict(lex, MINI, false), 0);
	CHECK_INT(mnemo_lexicon_load_freedict(lex, "tests/data/align/lexicon/none", false),
	          -ENOENT);
	CHECK_INT(mnemo_lexicon_load_freedict(lex, "tests/data/align/lexicon/truncated", false),
	          -EIO);
	mnemo_lexicon_free(lex);

	/* the same file read the other way round into an en -> fr lexicon */
	CHECK_INT(mnemo_lexicon_new("en", "fr", &rev), 0);
	if (rev) {
		CHECK_INT(mnemo_lexicon_load_freedict(rev, MINI, true), 12);
		CHECK(has(rev, "cat", "chat"));
		CHECK(has(rev, "schools",
		          "\xc3\xa9"
		          "cole"));
		CHECK(!has(rev, "chat", "cat"));
		mnemo_lexicon_free(rev);
	}
}

/* FreeDict's fra-eng and eng-fra (reversed) into one fr -> en lexicon: only where the
 * Debian packages are installed, since the tests must pass without them. */
static void
test_freedict(void)
{
	struct mnemo_lexicon *lex = NULL;
	struct mnemo_lexicon_stats st;
	struct timespec t0, t1;
	int a, b;
	double ms;

	if (access(FREEDICT "fra-eng.index", R_OK) != 0 ||
	    access(FREEDICT "eng-fra.index", R_OK) != 0) {
		printf("freedict: skipped (dict-freedict-fra-eng and -eng-fra not installed)\n");
		return;
	}
	CHECK_INT(mnemo_lexicon_new("fr", "en", &lex), 0);
	if (!lex) {
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	a = mnemo_lexicon_load_freedict(lex, FREEDICT "fra-eng", false);
	b = mnemo_lexicon_load_freedict(lex, FREEDICT "eng-fra", true);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	mnemo_lexicon_get_stats(lex, &st);
	printf("freedict: %d + %d pairs from %u entries (%u malformed, %u phrases skipped), "
	       "%u fr and %u en stems, in %.1f ms\n",
	       a, b, st.n_entries, st.n_bad_entries, st.n_phrases, st.n_stems[0], st.n_stems[1],
	       ms);
	CHECK(a > 10000);
	CHECK(b >= 0);
	CHECK(st.n_pairs > 10000);
	CHECK(ms < 1000); /* under sanitizers too */
	CHECK(has(lex,
	          "\xc3\xa9"
	          "cole",
	          "school"));
	CHECK(has(lex, "maisons", "house"));
	CHECK(has(lex, "fichier", "files"));
	CHECK(has(lex, "abandonner", "abandoned"));
	CHECK(!has(lex, "maison", "school"));
	mnemo_lexicon_free(lex);
}

int
main(void)
{
	struct mnemo_lexicon *lex = NULL;

	test_new();
	CHECK_INT(mnemo_lexicon_new("fr", "en", &lex), 0);
	if (lex) {
		test_stems_fr(lex);
		test_stems_en(lex);
		test_add(lex);
		mnemo_lexicon_free(lex);
	}
	test_add_stems();
	test_mini();
	test_freedict();
	return check_exit();
}
