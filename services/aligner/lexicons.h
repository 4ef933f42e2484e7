/* The aligner's bilingual lexicons, one language pair at a time, lent to one request at a
 * time (a lexicon is not thread-safe: it interns the stems of the sentences it sees).
 * A pair's first request loads FreeDict's dictionaries for it from the dictionary
 * directory: freedict-SRC-TGT and, read the other way, freedict-TGT-SRC (ISO 639-3 codes:
 * freedict-fra-eng). A pair with neither gets lexicons without a dictionary, which still
 * stem (the aligner learns from the documents too) and take the entries learned from the
 * translation memory: once the pool has the memory (lexicons_set_tm), a thread of its own
 * learns each pair's entries from the units that have both languages, when the pair is
 * first taken and again whenever the memory has grown or shrunk by 10 % (1000 units at
 * least) since; a lexicon lent after that gets them. */
#pragma once

#include <pthread.h>

#include "lexicon.h"
#include "tm.h"

struct lexicons;

/* dict_dir: FreeDict's directory (/usr/share/dictd); "" for no dictionaries at all. */
int lexicons_new(const char *dict_dir, struct lexicons **ret);
/* Stops the learning thread (between two chunks of units) and frees the lexicons: call it
 * before freeing the memory it learns from, with no lexicon lent. */
void lexicons_free(struct lexicons *ls);

/* The translation memory to learn from, and the lock its writers take (the pool takes it
 * to read, a chunk of units at a time, and never holds it while stemming). Once, at any
 * time (lexicons may be lent meanwhile); both must outlive ls. Starts the learning
 * thread: 0, -EALREADY, or a negative errno from pthread_create. */
int lexicons_set_tm(struct lexicons *ls, const struct mnemo_tm_index *index,
		    pthread_rwlock_t *index_lock);

/* Lends a lexicon from src to tgt (canonical BCP 47 tags; only the language counts): one
 * with the pair's dictionaries, or none, for every pair mnemo_lexicon_new() takes; NULL
 * when creating or loading one failed (logged). *ret_name gets the dictionaries' names
 * ("freedict-fra-eng+freedict-eng-fra"), "" for none; it lives as long as ls.
 * *ret_tm_entries: the entries the translation memory added to it (beyond its
 * dictionaries). Asks for the pair to be learned (again) when its entries are stale, and
 * goes on at once with those it has. */
struct mnemo_lexicon *lexicons_take(struct lexicons *ls, const char *src, const char *tgt,
				    const char **ret_name, uint32_t *ret_tm_entries);
/* Gives back what lexicons_take lent (NULL is fine). */
void lexicons_give(struct lexicons *ls, struct mnemo_lexicon *lex);
