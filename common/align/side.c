/* A document side's sentences as the aligner compares them (side.h). Words come from
 * the translation memory's tokenizer (ICU word breaks, NFC, case folded), so the aligner
 * and the memory see the same words. */
#include "side.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "lexicon.h"
#include "tm-internal.h"

/* Ids of evidence that is its own translation have the top bit set; a dictionary's stems
 * will use the rest. */
#define ANCHOR_BIT 0x80000000u

enum {
	ID_QUESTION = ANCHOR_BIT | 1,
	ID_EXCLAMATION = ANCHOR_BIT | 2,
	ID_QUOTE = ANCHOR_BIT | 3,
	MIN_WORD_BYTES = 3, /* shorter words are the same in two languages by chance */
	MAX_STEMS = 256,    /* a sentence's stems the lexicon is asked about */
	MAX_TRANSLATIONS = 8, /* of one source stem: more is a word of every sense */
	PROSE_WORDS = 3,    /* lower-case words that make a sentence read as prose */
};

static uint32_t
anchor_id(uint64_t h)
{
	h = mnemo_mix64(h);
	return (uint32_t)(h >> 32) | ANCHOR_BIT | 0x10; /* never one of the ID_ above */
}

/* A number by its digits alone: "1 200", "1,200" and "1.200" are one number. */
static uint32_t
number_id(const char *s, size_t len)
{
	uint64_t h = MNEMO_FNV_OFFSET;

	for (size_t i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			h = mnemo_fnv1a64(h, &s[i], 1);
		}
	}
	return anchor_id(h);
}

static uint32_t
punct_id(const char *s, size_t len)
{
	if (len == 1 && s[0] == '?') {
		return ID_QUESTION;
	}
	if (len == 1 && s[0] == '!') {
		return ID_EXCLAMATION;
	}
	if ((len == 1 && s[0] == '"') ||
	    (len == 2 && (memcmp(s, "\xc2\xab", 2) == 0 || memcmp(s, "\xc2\xbb", 2) == 0)) ||
	    (len == 3 && (memcmp(s, "\xe2\x80\x9c", 3) == 0 || memcmp(s, "\xe2\x80\x9d", 3) == 0))) {
		return ID_QUOTE;
	}
	return 0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static int
reserve(struct mnemo_align_side *side, size_t more)
{
	if (side->n_ids + more > side->cap_ids) {
		size_t cap = side->cap_ids ? 2 * side->cap_ids : 1024;
		uint32_t *p;

		while (cap < side->n_ids + more) {
			cap *= 2;
		}
		p = realloc(side->ids, cap * sizeof(*p));
		if (p == NULL) {
			return -ENOMEM;
		}
		side->ids = p;
		side->cap_ids = cap;
	}
	return 0;
}

static bool
glued(char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

/* Whether a word token reads as a word of prose: two letters or more, Latin, the first in
 * lower case, and not glued to the punctuation of code ("--type", "/proc/ns", "dpkg-deb",
 * "gpg(1)"): names start with a capital, options, paths and identifiers are glued. */
static bool
prose_word(const char *text, size_t len, const struct mnemo_tm_token *k)
{
	const uint8_t *w = (const uint8_t *)text + k->start;
	size_t n = k->end - k->start;

	if (n < 2 || k->cls != MNEMO_TM_WORD || !(w[0] >= 'a' && w[0] <= 'z')) {
		return false;
	}
	if ((k->start > 0 && glued(text[k->start - 1], "-_/.:=$@<[|")) ||
	    (k->end < len && glued(text[k->end], "-_/=(@[|<>"))) {
		return false;
	}
	for (size_t i = 1; i < n; i++) {
		bool ascii_letter = (w[i] | 0x20) >= 'a' && (w[i] | 0x20) <= 'z';
		bool latin = w[i] >= 0x80 && w[i] <= 0xc5; /* é, ç, œ: U+0080-U+017F */

		if (!ascii_letter && !latin) {
			return false; /* digits, underscores, symbols: code or drawing */
		}
	}
	return true;
}

/* The sentence's copy key (align.h): its tokens' case-folded forms, numbers by their
 * digits, when it has PROSE_WORDS prose words; else 0. */
static uint32_t
copy_key(const char *text, size_t len, const struct mnemo_tm_tokens *t)
{
	uint64_t h = MNEMO_FNV_OFFSET;
	uint32_t prose = 0;

	for (size_t i = 0; i < t->n_tok; i++) {
		const struct mnemo_tm_token *k = &t->tok[i];
		uint64_t v = k->cls == MNEMO_TM_WORD || k->cls == MNEMO_TM_PUNCT ? k->id : k->orig;

		h = mnemo_fnv1a64(h, &v, sizeof(v));
		prose += prose_word(text, len, k);
	}
	return prose >= PROSE_WORDS ? (uint32_t)(mnemo_mix64(h) >> 32) | 1 : 0;
}

/* Characters, not bytes: the length model is Gale and Church's. */
static uint32_t
chars_of(const char *s, size_t len)
{
	uint32_t n = 0;

	for (size_t i = 0; i < len; i++) {
		n += ((uint8_t)s[i] & 0xc0) != 0x80;
	}
	return n;
}

/* The stems of the sentence's content words (target), or of their translations (source),
 * into side->ids; *ret_n: the content words. */
static int
add_stems(struct mnemo_align_side *side, enum mnemo_align_role role, const char *text,
	  size_t len, uint32_t *ret_n)
{
	uint32_t stems[MAX_STEMS];
	size_t n = 0;
	int r;

	r = mnemo_lexicon_stems(side->lex,
				role == MNEMO_ALIGN_SOURCE ? MNEMO_LEXICON_SRC : MNEMO_LEXICON_TGT,
				text, len, stems, MAX_STEMS, &n);
	n = n < MAX_STEMS ? n : MAX_STEMS;
	if (r == 0) {
		r = reserve(side, n * MAX_TRANSLATIONS);
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		const uint32_t *to;
		uint32_t k;

		if (role == MNEMO_ALIGN_TARGET) {
			side->ids[side->n_ids++] = stems[i];
			continue;
		}
		k = mnemo_lexicon_translations(side->lex, stems[i], &to);
		for (uint32_t x = 0; x < k && x < MAX_TRANSLATIONS; x++) {
			side->ids[side->n_ids++] = to[x];
		}
	}
	*ret_n = (uint32_t)n;
	return r;
}

int
mnemo_align_side_add(struct mnemo_align_side *side, enum mnemo_align_role role,
		     const char *text, size_t len, uint32_t paragraph, bool skip)
{
	struct mnemo_align_sentence *s;
	struct mnemo_tm_tokens t;
	size_t first = side->n_ids;
	uint32_t n_words = 0, copy = 0;
	int r;

	if (side->n % 1024 == 0) {
		s = realloc(side->s, (side->n + 1024) * sizeof(*s));
		if (s == NULL) {
			return -ENOMEM;
		}
		side->s = s;
	}
	mnemo_tm_tokens_init(&t);
	r = mnemo_tm_tokenize(text, len, &t);
	if (r == 0) {
		r = reserve(side, t.n_tok);
	}
	for (size_t i = 0; r == 0 && i < t.n_tok; i++) {
		const struct mnemo_tm_token *k = &t.tok[i];
		const char *w = text + k->start;
		size_t n = k->end - k->start;
		uint32_t id = 0;

		switch (k->cls) {
		case MNEMO_TM_WORD:
			n_words++;
			id = n >= MIN_WORD_BYTES ? anchor_id(k->id) : 0;
			break;
		case MNEMO_TM_NUMBER:
			n_words++;
			id = number_id(w, n);
			break;
		case MNEMO_TM_PLACEHOLDER:
			n_words++;
			id = anchor_id(k->orig);
			break;
		case MNEMO_TM_PUNCT:
			id = punct_id(w, n);
			n_words += id != 0;
			break;
		}
		if (id != 0) {
			side->ids[side->n_ids++] = id;
		}
	}
	if (r == 0) {
		copy = copy_key(text, len, &t);
	}
	mnemo_tm_tokens_fini(&t);
	if (r == 0 && side->lex != NULL) {
		uint32_t n_stems;

		r = add_stems(side, role, text, len, &n_stems);
	}
	if (r < 0) {
		side->n_ids = first;
		return r;
	}
	/* sorted and distinct, as the aligner compares them */
	qsort(side->ids + first, side->n_ids - first, sizeof(*side->ids), cmp_u32);
	{
		size_t k = first;

		for (size_t i = first; i < side->n_ids; i++) {
			if (k == first || side->ids[k - 1] != side->ids[i]) {
				side->ids[k++] = side->ids[i];
			}
		}
		side->n_ids = k;
	}
	s = &side->s[side->n++];
	memset(s, 0, sizeof(*s));
	s->chars = chars_of(text, len);
	s->paragraph = paragraph;
	s->n_words = n_words;
	s->n_ids = (uint32_t)(side->n_ids - first);
	s->ids = (const uint32_t *)(uintptr_t)first; /* an offset until sealed: ids moves */
	s->skip = skip;
	s->copy = copy;
	return 0;
}

void
mnemo_align_side_seal(struct mnemo_align_side *side)
{
	for (size_t i = 0; i < side->n; i++) {
		side->s[i].ids = side->ids + (uintptr_t)side->s[i].ids;
	}
}

void
mnemo_align_side_fini(struct mnemo_align_side *side)
{
	free(side->s);
	free(side->ids);
	memset(side, 0, sizeof(*side));
}
