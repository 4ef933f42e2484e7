/* A bilingual lexicon for sentence alignment: pairs of (source stem, target stem) for one
 * language pair, seeded from FreeDict's dictd dictionaries and open to entries learned
 * elsewhere (the translation memory, a first pass over the documents).
 *
 * Words become stems the same way in a dictionary and in a sentence: ICU word breaks,
 * elisions split (l'école -> l + école), full case folding, stop words dropped, Snowball's
 * stemmer for the language, then accents folded out of the stem. Each side's stems are
 * interned to dense ids (0, 1, 2... below 2^31, one id space per side), so the aligner
 * compares integers.
 *
 * Not thread-safe: mnemo_lexicon_stems() interns new stems and uses the lexicon's own
 * stemmers and break iterators. Give each thread its own lexicon (loading FreeDict's
 * fr-en pair takes some tens of milliseconds), or hold a lock around it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mnemo_lexicon;

enum mnemo_lexicon_side { MNEMO_LEXICON_SRC = 0, MNEMO_LEXICON_TGT = 1 };

/* Counts since mnemo_lexicon_new(), for logs and benchmarks. */
struct mnemo_lexicon_stats {
	uint32_t n_stems[2];    /* interned stems per side (dictionary and sentences) */
	uint32_t n_pairs;       /* distinct (source stem, target stem) pairs */
	uint32_t n_entries;     /* dictionary entries read */
	uint32_t n_bad_entries; /* index lines or entries skipped as malformed */
	uint32_t n_phrases;     /* skipped: several content words, or a phrasal verb */
};

/* A lexicon from src_lang to tgt_lang (language tags, "fr", "en-GB": the primary subtag
 * counts). Any language Snowball knows is stemmed; French and English also have stop words
 * and accent folding; other languages keep their words' accents, and words unknown to
 * Snowball are only case folded. 0, -EINVAL for a tag that is no language, -ENOMEM, -EIO
 * when ICU fails. */
int mnemo_lexicon_new(const char *src_lang, const char *tgt_lang, struct mnemo_lexicon **ret);
void mnemo_lexicon_free(struct mnemo_lexicon *lex);

/* Loads a dictd dictionary as FreeDict ships it: path_prefix.index and path_prefix.dict.dz
 * (or an uncompressed path_prefix.dict), e.g. /usr/share/dictd/freedict-fra-eng. reverse is
 * true when the dictionary's headwords are in the target language (freedict-eng-fra into
 * a fr -> en lexicon). Malformed index lines and entries are skipped and counted in the
 * stats. Returns the number of pairs it added (>= 0), -ENOENT when a file is missing,
 * -EMSGSIZE for a file over 256 MB, -EIO, -ENOMEM. */
int mnemo_lexicon_load_freedict(struct mnemo_lexicon *lex, const char *path_prefix, bool reverse);

/* Adds a translation: a source word and a target word (NUL-terminated UTF-8), stemmed as
 * sentences are; a stop word beside a content word ("se conformer", "the sofa") is
 * dropped. 1 when the pair is new, 0 when the lexicon had it, -EINVAL when a side is not
 * exactly one content word (a stop word, a number, a phrase, a phrasal verb such as
 * "give up"), -ENOMEM. */
int mnemo_lexicon_add(struct mnemo_lexicon *lex, const char *src_word, const char *tgt_word);
/* The same with stem ids from mnemo_lexicon_stems(), for entries learned from documents.
 * 1, 0, -EINVAL for an id never interned, -ENOMEM. */
int mnemo_lexicon_add_ids(struct mnemo_lexicon *lex, uint32_t src_stem, uint32_t tgt_stem);
/* The same with stems as mnemo_lexicon_stem_text() gives them (from another lexicon of the
 * same languages: entries learned from the translation memory), interned as they are:
 * stemming a stem again would not always give it back. 1, 0, -EINVAL for a stem that is
 * empty, not UTF-8 or longer than any stem can be, -ENOMEM. */
int mnemo_lexicon_add_stems(struct mnemo_lexicon *lex, const char *src_stem, const char *tgt_stem);

/* The stem ids of the words of text[0..len) (UTF-8; invalid bytes are no word) on one
 * side, in text order, duplicates kept: numbers, punctuation and stop words are not
 * words, stems seen for the first time are interned. ids gets the first max of them and
 * *ret_n how many there are, which may be more than max (call again with room). 0,
 * -EMSGSIZE for a text over 2^31 UTF-16 units, -ENOMEM, -EIO when ICU fails. */
int mnemo_lexicon_stems(struct mnemo_lexicon *lex, enum mnemo_lexicon_side side, const char *text,
                        size_t len, uint32_t *ids, size_t max, size_t *ret_n);

/* Whether the lexicon pairs these stems. */
bool mnemo_lexicon_has(const struct mnemo_lexicon *lex, uint32_t src_stem, uint32_t tgt_stem);

/* The target stems a source stem translates to, sorted, in *ret_ids (borrowed until the
 * next add or load); their number, 0 for a stem with none or an unknown id. */
uint32_t mnemo_lexicon_translations(const struct mnemo_lexicon *lex, uint32_t src_stem,
                                    const uint32_t **ret_ids);

/* A stem's text (borrowed until the next call that interns stems), NULL for an unknown
 * id: for logs and tests. */
const char *mnemo_lexicon_stem_text(const struct mnemo_lexicon *lex, enum mnemo_lexicon_side side,
                                    uint32_t id);

void mnemo_lexicon_get_stats(const struct mnemo_lexicon *lex, struct mnemo_lexicon_stats *ret);
