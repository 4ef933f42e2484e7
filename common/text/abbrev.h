/* Private to common/text: what a language knows about periods (abbrev.c), asked by the
 * segmenter (segment.c). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* The abbreviation list for a canonical BCP 47 tag: an id for mnemo_text_abbrev_ends, 0
 * when the language has none (ICU's rules alone). */
int mnemo_text_abbrev_lang(const char *lang);

/* p[0..n) is the paragraph, p[dot] the '.' after which ICU (or the segmenter) proposes a
 * boundary, from the first non-space byte of the current sentence and next the start of
 * what follows (n at the end). Returns whether the sentence really ends there. */
bool mnemo_text_abbrev_ends(int list, const uint8_t *p, int32_t from, int32_t dot, int32_t next,
			    int32_t n);

/* Whether the word at p[at] (a capitalised word) is one that usually starts a sentence
 * in the language ("Selon", "Les", "The", or "La" before a lower-case word): what tells a headline glued to its lead
 * ("…au Haut-KarabakhSelon le bilan") from a name in camel case ("iPhone", "McDonald"). */
bool mnemo_text_abbrev_is_starter(int list, const uint8_t *p, int32_t at, int32_t n);

/* Where the lead starts when the paragraph p[0..n) opens with a lower-case label printed
 * before it ("l'essentiel Malgré…" gives the offset of "Malgré"), or -1. */
int32_t mnemo_text_abbrev_lead_label(int list, const uint8_t *p, int32_t n);
