/* The translation memory's matching: exact keys, CAT-style fuzzy scores and the in-memory
 * index each aligner holds (built from the store's snapshot, kept current from the
 * change feed). */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The exact-match key of a text: NFC, white space runs folded to one space and trimmed,
 * hashed to 64 bits. Two texts with the same key are an exact (100) match. The text must
 * be valid UTF-8. */
uint64_t mnemo_tm_key_hash(const char *text, size_t len);

/* Fuzzy score of a candidate against a query, 0-100, CAT-tool style: 100 only for
 * texts with the same key; otherwise at most 99, from the word-level edit distance
 * (ICU word tokens, case folded): floor(100 * (1 - distance / max(words))), minus 1 when
 * the texts differ only in case or punctuation. Both texts valid UTF-8. */
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

/* Adds or replaces unit `unit` (its variants are copied). A put or remove carrying a seq
 * lower than the one the index holds for that unit is ignored, so replaying the change
 * feed over a snapshot is harmless. Returns 0 or -ENOMEM. */
int mnemo_tm_index_put(struct mnemo_tm_index *idx, uint64_t unit, uint64_t seq,
		       const struct mnemo_tm_variant *variants, size_t n_variants);
int mnemo_tm_index_remove(struct mnemo_tm_index *idx, uint64_t unit, uint64_t seq);

/* Units holding both languages. */
size_t mnemo_tm_index_count(const struct mnemo_tm_index *idx);

/* The best matches of `text` (source language) that have a `target` variant, best first
 * (score, then lower unit id), at most `max`, each scoring at least `min_score`; a deleted
 * unit is never returned. out has room for max entries. Concurrent lookups are safe;
 * put/remove need the caller's exclusive lock. Returns the number found or -ENOMEM. */
int mnemo_tm_index_lookup(const struct mnemo_tm_index *idx, const char *source,
			  const char *target, const char *text, size_t len, uint32_t min_score,
			  uint32_t max, struct mnemo_tm_match *out);
