/* A document side's sentences as the aligner compares them (side.h). Words come from
 * the translation memory's tokenizer (ICU word breaks, NFC, case folded), so the aligner
 * and the memory see the same words. */
#include "side.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "learn.h"
#include "lexicon.h"
#include "sort.h"
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

/* Learning from a first pass: only 1-1 beads this sure are read (99.4 % of those at 0.5
 * are right, align.h), with learn.h's thresholds. It is done for a lexicon with
 * no dictionary behind it: on the damaged man pages (bench/align) it lifts strict F1 from
 * 97.77 to 98.04 without one, but with FreeDict's costs 0.06 (98.19 to 98.13), pairing
 * sentences that have no counterpart, whatever the thresholds. */
#define LEARN_MIN_SCORE 0.9f

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

/* Room for `more` past n in the array *v of *cap. */
static int
reserve_u32(uint32_t **v, size_t *cap, size_t n, size_t more)
{
	if (n + more > *cap) {
		size_t c = *cap ? 2 * *cap : 1024;
		uint32_t *p;

		while (c < n + more) {
			c *= 2;
		}
		p = realloc(*v, c * sizeof(*p));
		if (p == NULL) {
			return -ENOMEM;
		}
		*v = p;
		*cap = c;
	}
	return 0;
}

static int
reserve(struct mnemo_align_side *side, size_t more)
{
	return reserve_u32(&side->ids, &side->cap_ids, side->n_ids, more);
}

/* Sorts v[first..*n) and drops its repeats. */
static void
sort_distinct(uint32_t *v, size_t first, size_t *n)
{
	size_t k = first;

	qsort(v + first, *n - first, sizeof(*v), mnemo_cmp_u32);
	for (size_t i = first; i < *n; i++) {
		if (k == first || v[k - 1] != v[i]) {
			v[k++] = v[i];
		}
	}
	*n = k;
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
	if (r == 0) {
		size_t first = side->n_stems;

		r = reserve_u32(&side->stems, &side->cap_stems, side->n_stems, n);
		if (r == 0) {
			memcpy(side->stems + first, stems, n * sizeof(*stems));
			side->n_stems += n;
			sort_distinct(side->stems, first, &side->n_stems);
		}
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
	size_t first = side->n_ids, first_stem = side->n_stems;
	uint32_t n_words = 0, copy = 0;
	int r;

	if (side->n % 1024 == 0) {
		size_t *at = realloc(side->stems_at, (side->n + 1025) * sizeof(*at));

		if (at == NULL) {
			return -ENOMEM;
		}
		side->stems_at = at;
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
		side->n_stems = first_stem;
		return r;
	}
	sort_distinct(side->ids, first, &side->n_ids); /* as the aligner compares them */
	side->stems_at[side->n] = first_stem;
	side->stems_at[side->n + 1] = side->n_stems;
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
	free(side->stems);
	free(side->stems_at);
	memset(side, 0, sizeof(*side));
}

/* ---- learning from a first pass ---------------------------------------------------- */

/* Counts a 1-1 bead's stems that the lexicon does not explain: a source stem with a
 * translation in the target sentence, and that translation, are accounted for; the rest
 * are what may translate each other. */
static int
learn_bead(struct mnemo_learn *l, const struct mnemo_align_side *src,
	   const struct mnemo_align_side *tgt, uint32_t i, uint32_t j)
{
	const uint32_t *s = src->stems + src->stems_at[i], *t = tgt->stems + tgt->stems_at[j];
	size_t ns = src->stems_at[i + 1] - src->stems_at[i];
	size_t nt = tgt->stems_at[j + 1] - tgt->stems_at[j];
	uint32_t us[MAX_STEMS], ut[MAX_STEMS];
	bool used[MAX_STEMS] = {false};
	size_t n_us = 0, n_ut = 0;

	for (size_t a = 0; a < ns && a < MAX_STEMS; a++) {
		const uint32_t *to;
		uint32_t k = mnemo_lexicon_translations(src->lex, s[a], &to);
		bool explained = false;

		for (uint32_t x = 0; x < k; x++) {
			const uint32_t *hit = nt ? bsearch(&to[x], t, nt, sizeof(*t), mnemo_cmp_u32) : NULL;

			if (hit != NULL && hit - t < MAX_STEMS) {
				used[hit - t] = true;
				explained = true;
			}
		}
		if (!explained) {
			us[n_us++] = s[a];
		}
	}
	for (size_t b = 0; b < nt && b < MAX_STEMS; b++) {
		if (!used[b]) {
			ut[n_ut++] = t[b];
		}
	}
	return n_us && n_ut ? mnemo_learn_add(l, us, n_us, ut, n_ut) : 0;
}

/* The pairs to learn from the beads: proposed by the counts, not in the lexicon. */
static int
learn_pairs(const struct mnemo_align_side *src, const struct mnemo_align_side *tgt,
	    const struct mnemo_align_bead *beads, size_t n, uint64_t **ret, size_t *ret_n)
{
	struct mnemo_learn *l;
	size_t k = 0;
	int r = mnemo_learn_new(&l);

	for (size_t b = 0; r == 0 && b < n; b++) {
		const struct mnemo_align_bead *x = &beads[b];

		if (x->n_src == 1 && x->n_tgt == 1 && x->score >= LEARN_MIN_SCORE) {
			r = learn_bead(l, src, tgt, x->src, x->tgt);
		}
	}
	if (r == 0) {
		r = mnemo_learn_pairs(l, MNEMO_LEARN_MIN_COUNT, MNEMO_LEARN_MIN_DICE, ret, ret_n);
	}
	mnemo_learn_free(l);
	for (size_t i = 0; r == 0 && i < *ret_n; i++) {
		uint64_t p = (*ret)[i];

		if (!mnemo_lexicon_has(src->lex, (uint32_t)(p >> 32), (uint32_t)p)) {
			(*ret)[k++] = p;
		}
	}
	if (r == 0) {
		*ret_n = k;
	}
	return r;
}

/* The first of the sorted keys (src << 32 | tgt) with source stem `stem`, or n. */
static size_t
first_of(const uint64_t *pairs, size_t n, uint32_t stem)
{
	uint64_t key = (uint64_t)stem << 32;
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pairs[mid] < key) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo < n && pairs[lo] >> 32 == stem ? lo : n;
}

/* Adds to each source sentence's ids the learned translations (sorted keys) of its stems,
 * in a new ids array: a stem has one, being its partner's best. */
static int
add_learned(struct mnemo_align_side *side, const uint64_t *pairs, size_t n_pairs)
{
	size_t cap = side->n_ids + side->n_stems + 1, n_ids = 0;
	uint32_t *ids = malloc(cap * sizeof(*ids));

	if (ids == NULL) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < side->n; i++) {
		struct mnemo_align_sentence *s = &side->s[i];
		size_t first = n_ids;

		memcpy(ids + n_ids, s->ids, s->n_ids * sizeof(*ids));
		n_ids += s->n_ids;
		for (size_t a = side->stems_at[i]; a < side->stems_at[i + 1]; a++) {
			size_t k = first_of(pairs, n_pairs, side->stems[a]);

			if (k < n_pairs) {
				ids[n_ids++] = (uint32_t)pairs[k];
			}
		}
		sort_distinct(ids, first, &n_ids);
		s->n_ids = (uint32_t)(n_ids - first);
		s->ids = (const uint32_t *)(uintptr_t)first;
	}
	free(side->ids);
	side->ids = ids;
	side->n_ids = n_ids;
	side->cap_ids = cap;
	mnemo_align_side_seal(side);
	return 0;
}

int
mnemo_align_sides(struct mnemo_align_side *src, struct mnemo_align_side *tgt,
		  struct mnemo_align_bead **ret, size_t *ret_n, struct mnemo_align_stats *stats,
		  uint32_t *ret_learned)
{
	struct mnemo_align_bead *beads = NULL;
	struct mnemo_lexicon_stats lst;
	uint64_t *pairs = NULL;
	size_t n = 0, n_pairs = 0;
	int r;

	if (ret_learned != NULL) {
		*ret_learned = 0;
	}
	r = mnemo_align(src->s, src->n, tgt->s, tgt->n, &beads, &n, stats);
	if (r < 0 || src->lex == NULL || src->lex != tgt->lex) {
		goto out;
	}
	mnemo_lexicon_get_stats(src->lex, &lst);
	if (lst.n_entries > 0) {
		goto out; /* a dictionary's: learning costs more than it brings (above) */
	}
	r = learn_pairs(src, tgt, beads, n, &pairs, &n_pairs);
	if (r == 0 && n_pairs > 0) {
		r = add_learned(src, pairs, n_pairs);
	}
	if (r == 0 && n_pairs > 0) {
		struct mnemo_align_stats first = {0};

		if (stats != NULL) {
			first = *stats;
		}
		free(beads);
		beads = NULL;
		r = mnemo_align(src->s, src->n, tgt->s, tgt->n, &beads, &n, stats);
		if (r == 0 && stats != NULL) { /* the work of both passes, the second's anchors */
			stats->cells += first.cells;
			stats->widenings += first.widenings;
		}
	}
	if (r == 0 && ret_learned != NULL) {
		*ret_learned = (uint32_t)n_pairs;
	}
	free(pairs);
out:
	if (r < 0) {
		free(beads);
		return r;
	}
	*ret = beads;
	*ret_n = n;
	return 0;
}
