/* The aligner's bilingual lexicons, one language pair at a time, lent to one request at a
 * time (a lexicon is not thread-safe: it interns the stems of the sentences it sees).
 * A pair's first request loads FreeDict's dictionaries for it from the dictionary
 * directory: freedict-SRC-TGT and, read the other way, freedict-TGT-SRC (ISO 639-3 codes:
 * freedict-fra-eng). A pair with neither is aligned without a dictionary. */
#pragma once

#include "lexicon.h"

struct lexicons;

/* dict_dir: FreeDict's directory (/usr/share/dictd); "" for no dictionaries at all. */
int lexicons_new(const char *dict_dir, struct lexicons **ret);
void lexicons_free(struct lexicons *ls);

/* Lends a lexicon from src to tgt (canonical BCP 47 tags; only the language counts), or
 * NULL when the pair has no dictionary, or loading one failed (logged). *ret_name gets
 * the dictionaries' names ("freedict-fra-eng+freedict-eng-fra"), "" for none; it lives as
 * long as ls. */
struct mnemo_lexicon *lexicons_take(struct lexicons *ls, const char *src, const char *tgt,
				    const char **ret_name);
/* Gives back what lexicons_take lent (NULL is fine). */
void lexicons_give(struct lexicons *ls, struct mnemo_lexicon *lex);
