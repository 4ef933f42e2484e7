/* What key.c, score.c and index.c share: hashing, the tokeniser and the word-level score.
 * Private to common/tm; callers outside it use tm.h. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <unicode/utypes.h>

#include "hash.h"

/* A UTF-16 buffer that starts on the stack and moves to the heap for long text. The
 * struct must not be copied or moved once mnemo_tm_ubuf_init() has run. */
struct mnemo_tm_ubuf {
	UChar *p;
	int32_t cap;
	UChar fixed[128];
};

static inline void
mnemo_tm_ubuf_init(struct mnemo_tm_ubuf *b)
{
	b->p = b->fixed;
	b->cap = (int32_t)(sizeof(b->fixed) / sizeof(b->fixed[0]));
}

/* Room for n units; the content is not kept. */
static inline int
mnemo_tm_ubuf_reserve(struct mnemo_tm_ubuf *b, int32_t n)
{
	UChar *p;

	if (n <= b->cap) {
		return 0;
	}
	p = malloc((size_t)n * sizeof(*p));
	if (!p) {
		return -ENOMEM;
	}
	if (b->p != b->fixed) {
		free(b->p);
	}
	b->p = p;
	b->cap = n;
	return 0;
}

static inline void
mnemo_tm_ubuf_fini(struct mnemo_tm_ubuf *b)
{
	if (b->p != b->fixed) {
		free(b->p);
	}
	mnemo_tm_ubuf_init(b);
}

/* key.c */

/* The key text itself (NFC, white space folded, trimmed), malloc'd and NUL-terminated: two
 * texts are an exact match iff these are equal; the key hash only finds candidates.
 * Returns 0, -ENOMEM, or -EIO when ICU fails otherwise. */
int mnemo_tm_key_string(const char *s, size_t len, char **ret, size_t *ret_len);

/* score.c */

enum mnemo_tm_cls {
	MNEMO_TM_WORD,
	MNEMO_TM_PUNCT,
	MNEMO_TM_NUMBER,      /* ICU's numbers: "5", "3,14", "1.000" */
	MNEMO_TM_PLACEHOLDER, /* "%s", "%1$d", "%(name)s", "%1", "{0}", "{name}", "$HOME" */
};

/* Numbers compare equal to numbers, placeholders to placeholders: "Delete 3 files" and
 * "Delete 12 files" differ only in a number, which the proposal substitutes. */
#define MNEMO_TM_NUMBER_ID 0x6e756d6265720001ULL
#define MNEMO_TM_PLACEHOLDER_ID 0x706c616365000002ULL

struct mnemo_tm_token {
	uint64_t id;   /* hash of the case-folded NFC form (or the class id): what comparisons use */
	uint64_t orig; /* hash of the NFC form (of the bytes for numbers and placeholders) */
	uint32_t start, end; /* byte offsets in the text */
	enum mnemo_tm_cls cls;
};

/* A text's ICU word-break tokens, white space dropped, placeholders found first (one token
 * each). Punctuation (general category P) stays in tok[] but not in words[]: the distance
 * is over words, and punctuation only matters when the words are the same. Symbols and
 * emoji count as words; so do numbers and placeholders, by their class. */
struct mnemo_tm_tokens {
	struct mnemo_tm_token *tok;
	size_t n_tok, cap_tok;
	uint64_t *words; /* ids of the tokens that are not punctuation, in order */
	size_t n_words, cap_words;
};

void mnemo_tm_tokens_init(struct mnemo_tm_tokens *t);
void mnemo_tm_tokens_fini(struct mnemo_tm_tokens *t);
/* Replaces t's content, reusing its memory. Returns 0, -ENOMEM, -EMSGSIZE (text over
 * INT32_MAX bytes: ICU's offsets are 32-bit) or -EIO (ICU failed otherwise). */
int mnemo_tm_tokenize(const char *s, size_t len, struct mnemo_tm_tokens *t);

/* Two rows of the distance table, kept between calls to save the allocations. */
struct mnemo_tm_dp {
	uint32_t *row;
	size_t cap;
};

void mnemo_tm_dp_fini(struct mnemo_tm_dp *dp);

/* The word score of word-id sequences a and b under mnemo_tm_score()'s formula when it is
 * at least min_score, otherwise some value below min_score (0 when min_score is 0). An
 * empty side scores 0. Returns 100 when the sequences are equal: the caller turns that into
 * 100 (same key) or mnemo_tm_same_words_score(). Only min_score's band of the table is
 * computed, and never more than MNEMO_TM_DP_BUDGET cells (see score.c). Returns 0 or
 * -ENOMEM. */
enum { MNEMO_TM_DP_BUDGET = 4000000 };
int mnemo_tm_score_words(const uint64_t *a, size_t n, const uint64_t *b, size_t m,
                         uint32_t min_score, struct mnemo_tm_dp *dp, uint32_t *ret_score);

/* The penalties (MNEMO_TM_PENALTY_*) of two texts with different keys but the same words:
 * case, punctuation, numbers (the numbers or placeholders themselves differ), and
 * white space when nothing else does. */
unsigned mnemo_tm_same_words_penalties(const struct mnemo_tm_tokens *a,
                                       const struct mnemo_tm_tokens *b);
/* A hash of t's numbers and placeholders, in order (0 when it has none): two texts'
 * numbers differ in value or order when their signatures differ. */
uint64_t mnemo_tm_numbers_signature(const struct mnemo_tm_tokens *t);
/* What penalties take off a score: one point each, a score with a penalty never 100, and
 * never under 0. */
uint32_t mnemo_tm_apply_penalties(uint32_t score, unsigned penalties);
