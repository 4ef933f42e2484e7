/* Sentence segmentation: text -> sentences with byte offsets, paragraph numbers and a
 * kind. A line break ends a paragraph (scraped text has one paragraph per line); inside a
 * paragraph ICU's sentence rules find candidate boundaries and the language's
 * abbreviation list removes the false ones ("M. Dupont", "p. ex.", "etc. et").
 *
 * A segmenter is not thread-safe: each thread owns one. */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum mnemo_seg_kind {
	MNEMO_SEG_SENTENCE = 1, /* ends with . ! ? … (possibly then closing quotes/brackets) */
	MNEMO_SEG_HEADING = 2,  /* a paragraph of its own without final punctuation */
};

struct mnemo_seg {
	uint32_t start; /* byte offsets into the input: [start, end), white space trimmed */
	uint32_t end;
	uint32_t paragraph; /* 0-based count of non-blank lines before this one */
	enum mnemo_seg_kind kind;
};

struct mnemo_segmenter;

/* lang: canonical BCP 47 tag; French and English have abbreviation lists, any other
 * language gets ICU's rules alone. Returns 0, -ENOMEM, or -EINVAL (ICU refused the tag). */
int mnemo_segmenter_new(const char *lang, struct mnemo_segmenter **ret);
void mnemo_segmenter_free(struct mnemo_segmenter *sg);

/* Segments text[0..len), which must be valid UTF-8 under 4 GiB. *ret_segs is malloc'd
 * (the caller frees it), in input order; an empty or blank text gives zero segments.
 * Time and memory are linear in len. Returns 0, -EMSGSIZE, -ENOMEM. */
int mnemo_segmenter_run(struct mnemo_segmenter *sg, const char *text, size_t len,
			struct mnemo_seg **ret_segs, size_t *ret_n);
