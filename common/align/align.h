/* Sentence alignment of a document with its translation: the beads (1-1, 1-0, 0-1, 2-1, 1-2,
 * 2-2) of least cost under length and lexical evidence, found by dynamic programming in a
 * corridor around anchors, so that time and memory grow with the documents' length, not
 * with its square. The sentences come as features (side.h makes them from text);
 * this part knows no language. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One sentence as the aligner compares it. Word ids live in one space for both sides: a
 * target sentence lists its words' ids; a source sentence lists the ids of every
 * translation of its words, and of its anchors (numbers, names, URLs, identical tokens),
 * which are their own translation. So what the two share is their lexical evidence. */
struct mnemo_align_sentence {
	uint32_t chars;        /* length in characters */
	uint32_t paragraph;    /* the number of its paragraph in its document */
	uint32_t n_words;      /* content words (a source sentence's own, not its translations) */
	const uint32_t *ids;   /* sorted, distinct */
	uint32_t n_ids;
	bool skip;             /* never paired: boilerplate, another language, untranslated */
	/* A hash of the sentence's words when it reads as prose (side.c: three lower-case
	 * words or more, which names and code seldom have), else 0. A source and a target
	 * sentence with the same are one text copied, left untranslated, not a translation:
	 * they are never paired together. Short or code-like copies ("-v, --verbose") are
	 * their own translation and keep 0. */
	uint32_t copy;
};

struct mnemo_align_bead {
	uint32_t src, n_src;   /* the first source sentence and how many (0, 1 or 2) */
	uint32_t tgt, n_tgt;
	/* Confidence 0-1 that the bead is right; 0 for 1-0 and 0-1. Lower next to unpaired
	 * sentences, across paragraph starts, without shared words: on the damaged man pages
	 * 99.4 % of the 1-1 beads at 0.5 or more are right, 45 % of those below. */
	float score;
};

struct mnemo_align_stats {
	uint64_t cells;        /* DP cells computed */
	uint32_t anchors;      /* 1-1 pairs the corridor was drawn through */
	uint32_t widenings;    /* searches again, the path having touched the corridor's edge */
};

/* Aligns src[0..n_src) with tgt[0..n_tgt): *ret gets the beads in document order (every
 * sentence in exactly one), to free(). 0 or -ENOMEM. */
int mnemo_align(const struct mnemo_align_sentence *src, size_t n_src,
		const struct mnemo_align_sentence *tgt, size_t n_tgt,
		struct mnemo_align_bead **ret, size_t *ret_n, struct mnemo_align_stats *stats);
