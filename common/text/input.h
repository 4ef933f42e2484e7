/* Documents as users send them, turned into the clean UTF-8 text the segmenter reads,
 * without losing where each byte came from: every offset mnemo reports is a byte offset
 * into the original input.
 *
 * - Encodings: UTF-8 (a BOM is dropped), or the one named, or, when the bytes are not
 *   UTF-8 and none is named, the one ICU's charset detector finds (Windows-1252 and
 *   ISO-8859-1 French are common). Bytes that are mostly UTF-8 (as many valid multi-byte
 *   sequences as bad ones), or start with a UTF-8 BOM, are bad UTF-8, never guessed into
 *   mojibake. Where the detector is unsure (confidence under 30: a few words), the bytes
 *   are read as windows-1252 when they hold 0x80-0x9F, else as ISO-8859-1. UTF-8 follows
 *   mnemo_text_check_utf8(): a NUL byte is bad UTF-8.
 * - HTML: libxml2's HTML parser (no network, no entity expansion beyond HTML's own, no
 *   "huge" mode); block elements (p, div, h1-h6, li, br, tr, section, article, ...) end a
 *   paragraph (a '\n' in the clean text); script, style, noscript, template, nav, header,
 *   footer, aside, form, button, select, svg, iframe are dropped with their content;
 *   character references are decoded (&#128;-&#159; as windows-1252, as HTML5 does).
 *   A <meta> charset is ignored: the bytes are decoded first. Elements nested deeper than
 *   512 levels make the document unreadable (-ELOOP): libxml2 searches its whole element
 *   stack for every end tag, so depth must be bounded to keep the parse linear; attributes
 *   past the 256th of one tag are ignored, for the same reason.
 * - Normalisation: NFC; C0/C1 controls other than line breaks and tabs, zero-width
 *   characters (U+200B-U+200D, U+2060, U+FEFF), bidi controls (U+200E, U+200F,
 *   U+202A-U+202E, U+2066-U+2069) and soft hyphens (U+00AD) are removed; U+2028/U+2029
 *   and the other mandatory line breaks among the controls (VT, FF, NEL) become '\n'
 *   (dropping them would glue words); "\r\n" stays. NBSP and NNBSP stay. A run of more
 *   than 256 combining marks on one base is normalised in pieces (time stays linear). */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Element nesting an HTML document may have (see above). */
enum { MNEMO_TEXT_HTML_MAX_DEPTH = 512 };

enum mnemo_text_format {
	MNEMO_TEXT_PLAIN = 0,
	MNEMO_TEXT_HTML = 1,
};

struct mnemo_text_doc {
	char *text; /* clean UTF-8, NUL-terminated; valid until mnemo_text_doc_fini */
	size_t len;
	/* Where clean byte i came from: the original bytes [orig_start[i], orig_end[i]) (the
	 * whole source character or character reference that produced it; for a character NFC
	 * composed, all the characters it came from, with anything removed between them; for
	 * a collapsed HTML space, the white space it stands for; for a paragraph break, the
	 * markup between the text on either side). Both maps are non-decreasing. NULL when
	 * the text is the input itself, byte for byte (then offsets are the same). */
	uint32_t *orig_start;
	uint32_t *orig_end;
	char encoding[32]; /* the input's encoding, as named or detected ("UTF-8") */
};

struct mnemo_text_doc_opts {
	enum mnemo_text_format format;
	const char *encoding; /* NULL or "": UTF-8 if the bytes are UTF-8, else detected */
	size_t max_bytes;     /* refuse larger input with -EMSGSIZE; 0: no limit (4 GiB) */
};

/* Prepares a document. Returns 0, or -EILSEQ (bytes invalid in the named or detected
 * encoding, or invalid UTF-8: *ret_bad_offset, when not NULL, is the first bad byte of the
 * input), -EINVAL (unknown encoding name), -ELOOP (HTML nested too deep), -EMSGSIZE (over opts->max_bytes or UINT32_MAX; HTML whose UTF-8 form is over
 * INT_MAX), -ENOMEM. *ret is written only on success. Time and memory are linear in the
 * input (the maps take 8 bytes per clean byte). Thread-safe. */
int mnemo_text_doc_prepare(const void *data, size_t len, const struct mnemo_text_doc_opts *opts,
			   struct mnemo_text_doc *ret, size_t *ret_bad_offset);
void mnemo_text_doc_fini(struct mnemo_text_doc *doc);

/* The original byte range of clean bytes [start, end) (end > start). */
void mnemo_text_doc_span(const struct mnemo_text_doc *doc, size_t start, size_t end,
			 size_t *ret_start, size_t *ret_end);
