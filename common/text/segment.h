/* Sentence segmentation: text -> sentences with byte offsets, paragraph numbers and a
 * kind. A line break ends a paragraph (scraped text has one paragraph per line); inside a
 * paragraph ICU's sentence rules find candidate boundaries and the language's
 * abbreviation list removes the false ones ("M. Dupont", "p. ex.", "etc. et").
 *
 * Line breaks are LF, CR, CRLF, NEL (U+0085), LS (U+2028) and PS (U+2029). Besides the
 * abbreviations, the segmenter corrects ICU where French news text needs it: closing
 * quotes after a no-break space stay with their sentence ("« Vraiment ? » dit-il." is one
 * sentence), '…' and dialogue dashes end sentences, URLs and e-mail addresses are never
 * split, and "word.Word" glued by scraping is split. segment.c lists the rules.
 *
 * A segmenter is not thread-safe: each thread owns one. */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum mnemo_seg_kind {
	MNEMO_SEG_SENTENCE = 1,    /* ends with . ! ? … (possibly then closing quotes/brackets) */
	MNEMO_SEG_HEADING = 2,     /* a paragraph of its own without final punctuation */
	MNEMO_SEG_BOILERPLATE = 3, /* page furniture (document.c decides, not the segmenter) */
	MNEMO_SEG_FOREIGN = 4,     /* in another language than the document (document.c) */
};

struct mnemo_seg {
	uint32_t start; /* byte offsets into the input: [start, end), white space trimmed */
	uint32_t end;
	uint32_t paragraph; /* 0-based count of non-blank lines before this one */
	enum mnemo_seg_kind kind;
};

struct mnemo_segmenter;

/* lang: canonical BCP 47 tag; French and English have abbreviation lists, any other
 * language gets ICU's rules alone (ICU's root rules if it has none for the language) plus
 * the language-neutral corrections above. Returns 0, -ENOMEM, or -EINVAL (ICU refused the
 * tag). */
int mnemo_segmenter_new(const char *lang, struct mnemo_segmenter **ret);
void mnemo_segmenter_free(struct mnemo_segmenter *sg);

/* Segments text[0..len), which must be valid UTF-8 under 4 GiB. *ret_segs is malloc'd
 * (the caller frees it), in input order; an empty or blank text gives zero segments and
 * *ret_segs NULL. Time and memory are linear in len. A line longer than 1 GiB is cut
 * into pieces segmented on their own (ICU counts in int32_t). Invalid UTF-8 is not
 * checked again here: it gives meaningless but still ordered, in-bounds segments.
 * Returns 0, -EMSGSIZE, -ENOMEM. */
int mnemo_segmenter_run(struct mnemo_segmenter *sg, const char *text, size_t len,
			struct mnemo_seg **ret_segs, size_t *ret_n);

/* Trims white space (Unicode, NBSP and zero-width included) off text[*start, *end). */
void mnemo_segmenter_trim(const char *text, uint32_t *start, uint32_t *end);
/* SENTENCE when text[start, end) ends with sentence punctuation (possibly followed by
 * closing quotes or brackets), else HEADING. */
enum mnemo_seg_kind mnemo_segmenter_kind_of(const char *text, uint32_t start, uint32_t end);

/* The paragraphs of text: its non-blank lines, trimmed, as segments (kind set as for a
 * sentence); *ret_lines is malloc'd. Returns 0, -EMSGSIZE or -ENOMEM. */
int mnemo_text_lines(const char *text, size_t len, struct mnemo_seg **ret_lines, size_t *ret_n);
