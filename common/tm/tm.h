/* The translation memory's matching: exact keys, CAT-style fuzzy scores and the in-memory
 * index each aligner holds (built from the store's snapshot, kept current from the
 * change feed). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The exact-match key of a text: NFC, white space runs (Unicode White_Space, so U+00A0 and
 * U+202F too) folded to one space and trimmed, hashed to 64 bits. Two texts with the same
 * key are an exact (100) match. The text must be valid UTF-8. Out of memory, the text is
 * hashed as it is: the same key whenever it is NFC already. */
uint64_t mnemo_tm_key_hash(const char *text, size_t len);

/* What costs a point against the edit distance (bits of a set). */
enum {
	MNEMO_TM_PENALTY_CASE = 1 << 0,        /* the same words, in another case */
	MNEMO_TM_PENALTY_PUNCTUATION = 1 << 1, /* the same words, other punctuation */
	MNEMO_TM_PENALTY_WHITESPACE = 1 << 2,  /* the same words and punctuation, other spacing */
	MNEMO_TM_PENALTY_NUMBERS = 1 << 3,     /* other numbers or placeholders, or in another order */
	MNEMO_TM_PENALTY_TAGS = 1 << 4,        /* the stored source has inline tags (the index's) */
};
/* "case", "punctuation", "whitespace", "numbers", "tags" for one bit; "" otherwise. */
const char *mnemo_tm_penalty_name(unsigned penalty);

/* Fuzzy score of a candidate against a query, 0-100, CAT-tool style: 100 only for texts
 * with the same key. Otherwise the words (ICU word tokens, NFC and case folded;
 * punctuation is not a word, symbols are; a number matches any number and a placeholder
 * — "%s", "%1$d", "{0}", "$HOME" — any placeholder) give the word-level edit distance d
 * and n, the longer side's word count: floor(100 * (n - d) / n), at most 99, less one
 * point per penalty: texts with the same words lose one for each of case, punctuation and
 * numbers that differ (white space when nothing else does); other texts lose one when
 * their numbers differ. A side with no words scores 0. Both texts valid UTF-8.
 * *ret_penalties (may be NULL) gets the penalties. Returns 0 when memory runs out, and for
 * texts of thousands of words whose score would need more than 4M distance cells (see
 * score.c). */
uint32_t mnemo_tm_score_ex(const char *query, size_t query_len, const char *cand, size_t cand_len,
                           unsigned *ret_penalties);
uint32_t mnemo_tm_score(const char *query, size_t query_len, const char *cand, size_t cand_len);

struct mnemo_tm_variant {
	const char *lang; /* canonical BCP 47 */
	const char *text; /* valid UTF-8, NUL-terminated */
	bool has_tags;    /* it has inline markup (TMX level 2): matches on it lose a point */
	const char *prev; /* the segments before and after it in its document, or NULL */
	const char *next;
};

/* What a lookup shows beside a match, and the unit's context key. Copied by put. */
struct mnemo_tm_unit_info {
	const char *context; /* gettext msgctxt, a string id...; NULL or "" for none */
	const char *origin;
	const char *changed_by;
	int64_t changed_at;
};

enum mnemo_tm_kind {
	MNEMO_TM_FUZZY,
	MNEMO_TM_EXACT,      /* the same key: 100 less penalties */
	MNEMO_TM_IN_CONTEXT, /* exact, and the same context: 101 less penalties */
};

struct mnemo_tm_match {
	uint64_t unit;
	uint32_t score; /* 0-101 */
	enum mnemo_tm_kind kind;
	unsigned penalties; /* MNEMO_TM_PENALTY_* */
	/* borrowed from the index: valid until the next put/remove */
	const char *source;
	const char *target;
	const char *origin;     /* "" when none */
	const char *changed_by; /* "" when none */
	int64_t changed_at;
};

struct mnemo_tm_query {
	const char *source, *target; /* languages, canonical BCP 47 */
	const char *text;            /* valid UTF-8, len bytes */
	size_t len;
	/* In context: the segments around this one ("" or NULL at the document's edges) and a
	 * context key. An exact match is in context when the key is not empty and is the
	 * unit's, or when prev and next, one at least not empty, have the keys of the ones
	 * stored with the unit's source variant. */
	const char *prev, *next, *context;
	uint32_t min_score; /* 0 is taken as 1: a fuzzy match shares a word */
	uint32_t max;
};

struct mnemo_tm_index;

int mnemo_tm_index_new(struct mnemo_tm_index **ret);
void mnemo_tm_index_free(struct mnemo_tm_index *idx);

/* Adds or replaces unit `unit` (its variants and info are copied; of two variants with the
 * same lang, the later; info may be NULL). A put or remove carrying a seq lower than the
 * one the index holds for that unit is ignored, so replaying the change feed over a
 * snapshot is harmless; a remove of an unknown unit keeps its seq for that. Returns 0 or
 * -ENOMEM (-EMSGSIZE for a text over INT32_MAX bytes, -EIO if ICU fails otherwise); on
 * error the unit is as it was. */
int mnemo_tm_index_put(struct mnemo_tm_index *idx, uint64_t unit, uint64_t seq,
		       const struct mnemo_tm_unit_info *info,
		       const struct mnemo_tm_variant *variants, size_t n_variants);
int mnemo_tm_index_remove(struct mnemo_tm_index *idx, uint64_t unit, uint64_t seq);

/* Live units: put and not removed since, whatever their languages. */
size_t mnemo_tm_index_count(const struct mnemo_tm_index *idx);

/* Walks the live units that have a variant in src_lang and another in tgt_lang, a chunk
 * at a time, so that a caller learning from the whole memory can let go of its read lock
 * between chunks. Languages are ranges, as in BCP 47 basic filtering: "fr" is fr, fr-CA,
 * fr-FR... ("fr-CA" only fr-CA), in any case. Start with *cursor at 0: each call looks at
 * up to max units (0 is 1) from *cursor on (removed ones and ones without the two
 * languages count too, so a call's time is bounded), calls fn(arg, source text, target
 * text) for each that has both, the texts borrowed for the call, and moves *cursor past
 * them. A cursor stays valid across puts and removes: a unit added meanwhile is met later
 * on, one changed meanwhile may be met in either state or not at all. fn returns 0 to go
 * on, a negative errno to stop (the cursor then past that unit). Returns the number of
 * units looked at, 0 at the end, -ENOMEM or fn's error. Needs the caller's lock, as
 * lookups do. */
int mnemo_tm_index_pairs(const struct mnemo_tm_index *idx, const char *src_lang,
			 const char *tgt_lang, size_t *cursor, size_t max,
			 int (*fn)(void *arg, const char *src, const char *tgt), void *arg);

/* The best matches of q->text (in q->source) that have a q->target variant, best first
 * (score, then lower unit id), at most q->max, each scoring at least q->min_score; a
 * deleted unit is never returned. Scores are mnemo_tm_score_ex()'s, less a point for a
 * source with tags, 101 in context; the fuzzy pass scores its candidates best bound first
 * within a work limit (see index.c). out has room for q->max entries. Concurrent lookups
 * are safe; put/remove need the caller's exclusive lock. Returns the number found or
 * -ENOMEM (-EMSGSIZE, -EIO as for put). */
int mnemo_tm_index_lookup(const struct mnemo_tm_index *idx, const struct mnemo_tm_query *q,
			  struct mnemo_tm_match *out);

/* The target to propose for a match of `segment` on a unit (source, target): the target
 * with each number or placeholder that the source and the segment differ in replaced by the
 * segment's ("Delete 3 files" / "Supprimer 3 fichiers", segment "Delete 12 files" gives
 * "Supprimer 12 fichiers"). Only when the segment and the source hold the same kinds of
 * numbers and placeholders in the same order, and only where the target writes the
 * source's value the same way ("1,000" in an English source is not "1 000" in a French
 * target); otherwise the target as it is. *ret is malloc'd, NUL-terminated. Returns 0,
 * -ENOMEM, -EMSGSIZE or -EIO (see mnemo_tm_tokenize). */
int mnemo_tm_propose(const char *segment, size_t segment_len, const char *source, size_t source_len,
		     const char *target, size_t target_len, char **ret, size_t *ret_len);
