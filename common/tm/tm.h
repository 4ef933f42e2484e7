/* The translation memory's matching: exact keys, CAT-style fuzzy scores and the in-memory
 * index each aligner holds (built from the store's snapshot, kept current from the
 * change feed). */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The exact-match key of a text: NFC, white space runs (Unicode White_Space, so U+00A0 and
 * U+202F too) folded to one space and trimmed, hashed to 64 bits. Two texts with the same
 * key are an exact (100) match. The text must be valid UTF-8. Out of memory, the text is
 * hashed as it is: the same key whenever it is NFC already. */
uint64_t mnemo_tm_key_hash(const char *text, size_t len);

/* Fuzzy score of a candidate against a query, 0-100, CAT-tool style: 100 only for
 * texts with the same key; otherwise at most 99, from the word-level edit distance d
 * (ICU word tokens, NFC and case folded; punctuation is not a word, symbols are) and n,
 * the longer side's word count: floor(100 * (n - d) / n). Texts with the same words but
 * different keys score 99, minus 1 if they differ in case and 1 if they differ in
 * punctuation; a side with no words scores 0. Both texts valid UTF-8. Returns 0 when
 * memory runs out, and for texts of thousands of words whose score would need more than
 * 4M distance cells (see score.c). */
uint32_t mnemo_tm_score(const char *query, size_t query_len, const char *cand, size_t cand_len);

struct mnemo_tm_variant {
	const char *lang; /* canonical BCP 47 */
	const char *text; /* valid UTF-8, NUL-terminated */
};

struct mnemo_tm_match {
	uint64_t unit;
	uint32_t score; /* 100 = exact */
	const char *source; /* borrowed from the index: valid until the next put/remove */
	const char *target;
};

struct mnemo_tm_index;

int mnemo_tm_index_new(struct mnemo_tm_index **ret);
void mnemo_tm_index_free(struct mnemo_tm_index *idx);

/* Adds or replaces unit `unit` (its variants are copied; of two with the same lang, the
 * later). A put or remove carrying a seq lower than the one the index holds for that unit
 * is ignored, so replaying the change feed over a snapshot is harmless; a remove of an
 * unknown unit keeps its seq for that. Returns 0 or -ENOMEM (-EMSGSIZE for a text over
 * INT32_MAX bytes, -EIO if ICU fails otherwise); on error the unit is as it was. */
int mnemo_tm_index_put(struct mnemo_tm_index *idx, uint64_t unit, uint64_t seq,
		       const struct mnemo_tm_variant *variants, size_t n_variants);
int mnemo_tm_index_remove(struct mnemo_tm_index *idx, uint64_t unit, uint64_t seq);

/* Live units: put and not removed since, whatever their languages. */
size_t mnemo_tm_index_count(const struct mnemo_tm_index *idx);

/* The best matches of `text` (source language) that have a `target` variant, best first
 * (score, then lower unit id), at most `max`, each scoring at least `min_score` (taken as 1
 * when 0: a fuzzy match shares a word); a deleted unit is never returned. Scores are
 * mnemo_tm_score()'s; the fuzzy pass scores its candidates best bound first within a work
 * limit (see index.c). out has room for max entries. Concurrent lookups are safe;
 * put/remove need the caller's exclusive lock. Returns the number found or -ENOMEM
 * (-EMSGSIZE, -EIO as for put). */
int mnemo_tm_index_lookup(const struct mnemo_tm_index *idx, const char *source,
			  const char *target, const char *text, size_t len, uint32_t min_score,
			  uint32_t max, struct mnemo_tm_match *out);
