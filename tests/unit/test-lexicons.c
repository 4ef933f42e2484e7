/* services/aligner/lexicons.c: lexicons for every language pair, with or without a
 * dictionary, and the entries its thread learns from a translation memory: an invented
 * French word that always comes with an invented English one becomes a pair, in both
 * directions, and a pair that only later fills the memory is learned again. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "lexicons.h"
#include "tm.h"

static const char *const fr_words[] = {
        "maison",  "jardin",  "voiture", "rivière", "montagne", "fenêtre", "soleil",    "livre",
        "chanson", "fromage", "bateau",  "forêt",   "cheval",   "village", "marché",    "horloge",
        "nuage",   "pont",    "école",   "lumière", "musique",  "hiver",   "printemps", "table",
};
static const char *const en_words[] = {
        "house", "garden", "car",    "river",  "mountain", "window",  "sun",    "book",
        "song",  "cheese", "boat",   "forest", "horse",    "village", "market", "clock",
        "cloud", "bridge", "school", "light",  "music",    "winter",  "spring", "table",
};
#define N_WORDS (sizeof(fr_words) / sizeof(fr_words[0]))

static uint32_t rng_state = 12345;

static uint32_t
rng_below(uint32_t n)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 8) % n;
}

/* A unit of three random words in each language (not each other's translations, so that
 * no pair of them stands out), with `fr` and `en` among them. */
static int
put_unit(struct mnemo_tm_index *idx, pthread_rwlock_t *lock, uint64_t id, const char *fr_lang,
         const char *en_lang, const char *fr, const char *en)
{
	char src[256], tgt[256];
	struct mnemo_tm_variant v[2] = {{.lang = fr_lang, .text = src},
	                                {.lang = en_lang, .text = tgt}};
	int r;

	snprintf(src, sizeof(src), "La %s et le %s près du %s avec %s.",
	         fr_words[rng_below(N_WORDS)], fr_words[rng_below(N_WORDS)],
	         fr_words[rng_below(N_WORDS)], fr);
	snprintf(tgt, sizeof(tgt), "The %s with %s and the %s by the %s.",
	         en_words[rng_below(N_WORDS)], en, en_words[rng_below(N_WORDS)],
	         en_words[rng_below(N_WORDS)]);
	pthread_rwlock_wrlock(lock);
	r = mnemo_tm_index_put(idx, id, 1, NULL, v, 2);
	pthread_rwlock_unlock(lock);
	return r;
}

/* The id of a one-word text in lex, UINT32_MAX when it is not one word. */
static uint32_t
stem(struct mnemo_lexicon *lex, enum mnemo_lexicon_side side, const char *word)
{
	uint32_t ids[2];
	size_t n = 0;

	if (mnemo_lexicon_stems(lex, side, word, strlen(word), ids, 2, &n) < 0 || n != 1) {
		return UINT32_MAX;
	}
	return ids[0];
}

/* Takes the pair until a lent lexicon has src -> tgt (10 s at most), as a request would;
 * its tm_entries then, or 0. */
static uint32_t
wait_learned(struct lexicons *ls, const char *src_lang, const char *tgt_lang, const char *src,
             const char *tgt)
{
	const struct timespec pause = {0, 20 * 1000 * 1000};

	for (int i = 0; i < 500; i++) {
		const char *name = NULL;
		uint32_t tm_entries = 0;
		struct mnemo_lexicon *lex =
		        lexicons_take(ls, src_lang, tgt_lang, &name, &tm_entries);
		bool has;

		if (lex == NULL) {
			return 0;
		}
		has = mnemo_lexicon_has(lex, stem(lex, MNEMO_LEXICON_SRC, src),
		                        stem(lex, MNEMO_LEXICON_TGT, tgt));
		lexicons_give(ls, lex);
		if (has) {
			CHECK(tm_entries > 0);
			return tm_entries;
		}
		nanosleep(&pause, NULL);
	}
	return 0;
}

/* Lexicons without dictionaries, for any pair a lexicon takes. */
static void
test_no_dictionary(void)
{
	struct lexicons *ls = NULL;
	struct mnemo_lexicon *a, *b, *c;
	const char *name = "x";
	uint32_t tm_entries = 7;

	CHECK_INT(lexicons_new("", &ls), 0);
	if (ls == NULL) {
		return;
	}
	a = lexicons_take(ls, "fr", "en", &name, &tm_entries);
	CHECK(a != NULL);
	CHECK_STR(name, "");
	CHECK_INT(tm_entries, 0);
	CHECK(a != NULL && stem(a, MNEMO_LEXICON_SRC, "maisons") != UINT32_MAX);
	/* a second request at the same time gets a lexicon of its own */
	b = lexicons_take(ls, "fr-CA", "en-GB", &name, &tm_entries);
	CHECK(b != NULL && b != a);
	lexicons_give(ls, a);
	lexicons_give(ls, b);
	/* given back, lent again */
	c = lexicons_take(ls, "fr", "en", &name, &tm_entries);
	CHECK(c == a || c == b);
	lexicons_give(ls, c);
	/* languages FreeDict has no name for still stem */
	c = lexicons_take(ls, "xx", "yy", &name, &tm_entries);
	CHECK(c != NULL);
	lexicons_give(ls, c);
	/* no language at all */
	CHECK(lexicons_take(ls, "", "en", &name, &tm_entries) == NULL);
	CHECK(lexicons_take(ls, "french", "en", &name, &tm_entries) == NULL);
	lexicons_give(ls, NULL);
	/* no memory: nothing to learn, and free has no thread to stop */
	lexicons_free(ls);
}

static void
test_learn(void)
{
	struct mnemo_tm_index *idx = NULL;
	struct lexicons *ls = NULL;
	pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
	uint32_t first, second;
	uint64_t id = 1;
	int failed = 0;

	CHECK_INT(mnemo_tm_index_new(&idx), 0);
	CHECK_INT(lexicons_new("", &ls), 0);
	if (idx == NULL || ls == NULL) {
		mnemo_tm_index_free(idx);
		lexicons_free(ls);
		return;
	}
	/* 50 units, regional tags on some: zorglubre always with blorpish */
	for (int i = 0; i < 50; i++, id++) {
		failed += put_unit(idx, &lock, id, i % 3 ? "fr" : "fr-FR", i % 2 ? "en" : "en-GB",
		                   "zorglubre", "blorpish") < 0;
	}
	CHECK_INT(failed, 0);
	CHECK_INT(lexicons_set_tm(ls, idx, &lock), 0);
	CHECK_INT(lexicons_set_tm(ls, idx, &lock), -EALREADY);
	first = wait_learned(ls, "fr", "en", "zorglubre", "blorpish");
	CHECK(first > 0);
	CHECK(wait_learned(ls, "en-US", "fr-CA", "blorpish", "zorglubre") > 0);

	/* 1100 more units (over RELEARN_UNITS) bring a second pair: learned again, and added
	 * to the lexicons that had the first generation */
	for (int i = 0; i < 1100; i++, id++) {
		failed += put_unit(idx, &lock, id, "fr", "en", "grumpfel", "snorkwap") < 0;
	}
	CHECK_INT(failed, 0);
	second = wait_learned(ls, "fr", "en", "grumpfel", "snorkwap");
	CHECK(second > first); /* one lexicon lent by turns: it has both generations */
	CHECK(wait_learned(ls, "fr", "en", "zorglubre", "blorpish") > 0);
	lexicons_free(ls);
	mnemo_tm_index_free(idx);
}

/* lexicons_free stops a learning under way between two chunks of units. */
static void
test_stop(void)
{
	struct mnemo_tm_index *idx = NULL;
	struct lexicons *ls = NULL;
	pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
	struct mnemo_lexicon *lex;
	struct timespec t0, t1;
	const char *name;
	uint32_t tm_entries;
	int failed = 0;
	double ms;

	CHECK_INT(mnemo_tm_index_new(&idx), 0);
	CHECK_INT(lexicons_new("", &ls), 0);
	if (idx == NULL || ls == NULL) {
		mnemo_tm_index_free(idx);
		lexicons_free(ls);
		return;
	}
	for (uint64_t id = 1; id <= 100000; id++) {
		failed += put_unit(idx, &lock, id, "fr", "en", "zorglubre", "blorpish") < 0;
	}
	CHECK_INT(failed, 0);
	CHECK_INT(lexicons_set_tm(ls, idx, &lock), 0);
	lex = lexicons_take(ls, "fr", "en", &name, &tm_entries);
	CHECK(lex != NULL);
	lexicons_give(ls, lex);
	nanosleep(&(struct timespec){0, 30 * 1000 * 1000}, NULL); /* well into the walk */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	lexicons_free(ls);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	fprintf(stderr, "# lexicons_free while learning from 100000 units: %.1f ms\n", ms);
	CHECK(ms < 2000); /* a chunk's stemming, under sanitizers too */
	mnemo_tm_index_free(idx);
}

int
main(void)
{
	test_no_dictionary();
	test_learn();
	test_stop();
	return check_exit();
}
