/* Translations learned from sentence pairs (common/align/learn.c) and from a first pass
 * over a document pair (side.c's mnemo_align_sides): counts and Dice, each stem's best
 * partner only, the rarest pairs dropped when the table is full, and a document pair in
 * made-up languages (no dictionary knows them) whose deleted paragraph is found only once
 * the words' translations are learned from the first pass. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "align.h"
#include "check.h"
#include "learn.h"
#include "lexicon.h"
#include "side.h"

static uint64_t
key(uint32_t s, uint32_t t)
{
	return (uint64_t)s << 32 | t;
}

static bool
proposed(const uint64_t *p, size_t n, uint32_t s, uint32_t t)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == key(s, t)) {
			return true;
		}
	}
	return false;
}

static void
test_counts(void)
{
	struct mnemo_learn *l;
	uint64_t *p;
	size_t n;

	CHECK_INT(mnemo_learn_new(&l), 0);
	/* 1 always with 10; 5 with 50 four times, with 51 twice; 4 with 40 once; 7 everywhere,
	 * beside 70 in half the pairs: 7-70 is nobody's best but its own */
	for (int k = 0; k < 6; k++) {
		uint32_t s[] = {1, 7, 1}, t[] = {10, 10, 70};

		CHECK_INT(mnemo_learn_add(l, s, 3, t, k % 2 ? 3 : 2), 0);
	}
	for (int k = 0; k < 4; k++) {
		uint32_t s[] = {5, 7}, t[] = {50};

		CHECK_INT(mnemo_learn_add(l, s, 2, t, 1), 0);
	}
	for (int k = 0; k < 2; k++) {
		uint32_t s[] = {5, 7}, t[] = {51};

		CHECK_INT(mnemo_learn_add(l, s, 2, t, 1), 0);
	}
	{
		uint32_t s[] = {4, 7}, t[] = {40};

		CHECK_INT(mnemo_learn_add(l, s, 2, t, 1), 0);
	}
	CHECK_INT(mnemo_learn_add(l, NULL, 0, NULL, 0), 0);
	CHECK(mnemo_learn_count(l) == 14);
	CHECK_INT(mnemo_learn_pairs(l, 2, 0.5, &p, &n), 0);
	CHECK(proposed(p, n, 1, 10));
	CHECK(proposed(p, n, 5, 50));
	CHECK(!proposed(p, n, 5, 51)); /* 5's second best */
	CHECK(!proposed(p, n, 4, 40)); /* seen once */
	CHECK(!proposed(p, n, 7, 10)); /* 10's partner is 1 */
	CHECK(!proposed(p, n, 7, 50));
	for (size_t i = 1; i < n; i++) {
		CHECK(p[i - 1] < p[i]);
	}
	free(p);
	CHECK_INT(mnemo_learn_pairs(l, 1, 0.5, &p, &n), 0);
	CHECK(proposed(p, n, 4, 40)); /* once is enough when asked so */
	free(p);
	CHECK_INT(mnemo_learn_pairs(l, 2, 1.01, &p, &n), 0);
	CHECK_INT(n, 0);
	free(p);
	mnemo_learn_free(l);
	mnemo_learn_free(NULL);
}

/* Millions of pairs seen once, as a large memory brings: the table drops the rarest and
 * keeps what recurs. */
static void
test_full(void)
{
	struct mnemo_learn *l;
	uint32_t s[64], t[64];
	uint64_t *p;
	size_t n;

	CHECK_INT(mnemo_learn_new(&l), 0);
	for (uint32_t k = 0; k < 1500; k++) {
		s[0] = 3;
		t[0] = 30;
		for (uint32_t x = 1; x < 64; x++) {
			s[x] = 100 + k * 64 + x;
			t[x] = 100 + k * 64 + x;
		}
		CHECK_INT(mnemo_learn_add(l, s, 64, t, 64), 0);
	}
	CHECK_INT(mnemo_learn_pairs(l, 2, 0.5, &p, &n), 0);
	CHECK(proposed(p, n, 3, 30));
	CHECK_INT(n, 1);
	free(p);
	mnemo_learn_free(l);
}

/* Made-up words: letters from an index, the same on no two sides; a target word's length
 * has nothing to do with its source's, so that sentence lengths tell little. */
static void
word(char *out, const char *prefix, uint32_t i)
{
	static const char *const syl[] = {"ka", "lo", "mi", "ru", "te", "vo", "zi", "pa"};
	uint32_t n = prefix[0] == 'f' ? 3 : 1 + i * 7 % 5;

	strcpy(out, prefix);
	for (uint32_t k = 0; k < n; k++, i = i / 8 + 3) {
		strcat(out, syl[i % 8]);
	}
}

enum { N_WORDS = 60, N_SENT = 240, GAP_AT = 120, GAP = 8 };

static void
sentence(char *out, const char *prefix, const uint32_t *w, size_t n)
{
	char buf[64];

	out[0] = '\0';
	for (size_t k = 0; k < n; k++) {
		word(buf, prefix, w[k]);
		strcat(out, k ? " " : "");
		strcat(out, buf);
	}
	strcat(out, ".");
}

/* Right 1-1 beads and right 1-0 beads against the known truth: target sentence j is
 * source j, or j + GAP past the gap. */
static void
score(const struct mnemo_align_bead *b, size_t nb, size_t *ret_pairs, size_t *ret_nulls)
{
	*ret_pairs = *ret_nulls = 0;
	for (size_t x = 0; x < nb; x++) {
		if (b[x].n_src == 1 && b[x].n_tgt == 1) {
			uint32_t want = b[x].tgt < GAP_AT ? b[x].tgt : b[x].tgt + GAP;

			*ret_pairs += b[x].src == want;
		} else if (b[x].n_src == 1 && b[x].n_tgt == 0) {
			*ret_nulls += b[x].src >= GAP_AT && b[x].src < GAP_AT + GAP;
		}
	}
}

static void
test_first_pass(void)
{
	struct mnemo_lexicon *lex;
	struct mnemo_lexicon_stats st;
	struct mnemo_align_bead *b = NULL;
	size_t nb = 0, pairs[2], nulls[2];
	uint32_t learned = 0;
	char text[1024];

	CHECK_INT(mnemo_lexicon_new("fr", "en", &lex), 0);
	for (int learn = 0; learn < 2; learn++) {
		struct mnemo_align_side src = {.lex = lex}, tgt = {.lex = lex};

		srand(1); /* the same sentences both times */
		for (uint32_t i = 0; i < N_SENT; i++) {
			uint32_t w[6], n = 3 + (uint32_t)rand() % 4;

			for (uint32_t k = 0; k < n; k++) {
				w[k] = (uint32_t)rand() % N_WORDS;
			}
			/* one paragraph of 8 sentences; the same lengths on both sides, so that
			 * only the words tell where the target's gap is */
			sentence(text, "fr", w, n);
			CHECK_INT(mnemo_align_side_add(&src, MNEMO_ALIGN_SOURCE, text, strlen(text),
						       i / 8, false),
				  0);
			if (i >= GAP_AT && i < GAP_AT + GAP) {
				continue;
			}
			sentence(text, "en", w, n);
			CHECK_INT(mnemo_align_side_add(&tgt, MNEMO_ALIGN_TARGET, text, strlen(text),
						       i / 8, false),
				  0);
		}
		mnemo_align_side_seal(&src);
		mnemo_align_side_seal(&tgt);
		if (learn) {
			CHECK_INT(mnemo_align_sides(&src, &tgt, &b, &nb, NULL, &learned), 0);
		} else {
			CHECK_INT(mnemo_align(src.s, src.n, tgt.s, tgt.n, &b, &nb, NULL), 0);
		}
		score(b, nb, &pairs[learn], &nulls[learn]);
		free(b);
		mnemo_align_side_fini(&src);
		mnemo_align_side_fini(&tgt);
	}
	CHECK_MSG(learned >= N_WORDS / 2, "learned %u", learned);
	/* lengths alone (the first pass) found 223 and 3 */
	CHECK_MSG(pairs[1] >= N_SENT - GAP - 4 && pairs[1] > pairs[0], "right pairs %zu, then %zu",
		  pairs[0], pairs[1]);
	CHECK_MSG(nulls[1] == GAP && nulls[0] < GAP, "deleted sentences found %zu, then %zu",
		  nulls[0], nulls[1]);
	mnemo_lexicon_get_stats(lex, &st);
	CHECK_INT(st.n_pairs, 0); /* what a document teaches stays with it */
	mnemo_lexicon_free(lex);
}

int
main(void)
{
	test_counts();
	test_full();
	test_first_pass();
	return check_exit();
}
