/* Lexicon entries learned from the translation memory: the stems that keep turning up
 * together in the units of a language pair (lexicons.c runs this in its own thread). */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "tm.h"

/* n pairs of stems as mnemo_lexicon_stem_text() gives them, each a NUL-terminated source
 * stem then a NUL-terminated target stem, one pair after the other in stems (NULL when n
 * is 0): what mnemo_lexicon_add_stems() takes. */
struct tm_entries {
	char *stems;
	uint32_t n;
};

void tm_entries_fini(struct tm_entries *e);

/* Learns the entries from src to tgt (primary language subtags, "fr": every regional
 * variant counts) from the units of idx that have both, reading them a chunk at a time
 * under lock's read lock and stemming them with the lock released. Reads a bounded number
 * of units (see tmlearn.c); *ret_units gets how many. 0, -ECANCELED when *stop was set,
 * -EINVAL for a language no lexicon takes, -ENOMEM, -EIO (ICU failed). */
int tmlearn_pair(const struct mnemo_tm_index *idx, pthread_rwlock_t *lock, const char *src,
		 const char *tgt, const atomic_int *stop, struct tm_entries *ret, size_t *ret_units);
