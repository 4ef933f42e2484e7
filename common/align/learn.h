/* Translations learned from sentence pairs: which source stems and target stems keep
 * turning up together. Fed the stems (lexicon.h ids) of pairs believed to translate each
 * other — the confident beads of a first alignment, or a translation memory's units — it
 * proposes the pairs of stems seen together often, each the other's likeliest partner.
 *
 * A pair (s, t) is proposed when it was seen together in min_count sentence pairs at
 * least, its Dice coefficient 2 c(s,t) / (c(s) + c(t)) is min_dice or more, and no other
 * pair of s, and no other pair of t, has a higher one (each is the other's best: a
 * frequent word beside everything is nobody's best). */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The thresholds the aligner learns with, from a memory and from a first pass alike: a
 * pair met in one sentence pair says nothing (a memory is full of words seen once, which
 * pair with whatever stood beside them), and a rare word whose best partner is a common
 * one stays below half. */
#define MNEMO_LEARN_MIN_COUNT 2u
#define MNEMO_LEARN_MIN_DICE 0.5

struct mnemo_learn;

int mnemo_learn_new(struct mnemo_learn **ret);
void mnemo_learn_free(struct mnemo_learn *l);

/* Counts one sentence pair: its source stems and its target stems (duplicates are counted
 * once; a sentence's first 64 distinct stems count). 0 or -ENOMEM. */
int mnemo_learn_add(struct mnemo_learn *l, const uint32_t *src, size_t n_src, const uint32_t *tgt,
                    size_t n_tgt);

/* The sentence pairs counted so far. */
uint64_t mnemo_learn_count(const struct mnemo_learn *l);

/* The proposed pairs as keys (src << 32 | tgt), sorted, in *ret (to free()); 0 or
 * -ENOMEM. */
int mnemo_learn_pairs(const struct mnemo_learn *l, uint32_t min_count, double min_dice,
                      uint64_t **ret, size_t *ret_n);
