/* A document as users send it — bytes in some encoding, plain text or HTML, French news
 * scraped from the web — into segments: byte offsets into the original input, paragraph
 * numbers, kinds (sentence, heading, boilerplate, foreign) and languages. This is the
 * whole of what the segmenter service does; the service is a socket around it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "input.h"
#include "segment.h"
#include "srx.h"

struct mnemo_doc_opts {
	const char *lang; /* canonical BCP 47; NULL or "": detect (CLD2), else French */
	enum mnemo_text_format format;
	const char *encoding;        /* NULL or "": UTF-8 if it is, else detected */
	bool hard_wrap;              /* a single line break does not end a paragraph */
	const struct mnemo_srx *srx; /* rules over the built-in ones, or NULL */
	size_t max_bytes;            /* 0: no limit below 4 GiB */
};

struct mnemo_doc_segment {
	uint32_t start, end;           /* in the clean text: [start, end), trimmed */
	uint32_t orig_start, orig_end; /* in the input */
	uint32_t paragraph;
	enum mnemo_seg_kind kind;
	const char *lang; /* the document's language, or a foreign paragraph's own */
};

struct mnemo_doc_result {
	struct mnemo_text_doc doc; /* the clean text the segments index */
	char lang[16];             /* the document's language */
	struct mnemo_doc_segment *segs;
	size_t n;
	char (*langs)[16]; /* storage for the segments' lang pointers */
	size_t n_langs;
};

/* Per thread: segmenters by language, made on first use. */
struct mnemo_doc_segmenter;

int mnemo_doc_segmenter_new(struct mnemo_doc_segmenter **ret);
void mnemo_doc_segmenter_free(struct mnemo_doc_segmenter *ds);

/* Segments one document. Returns 0, or what mnemo_text_doc_prepare returns (-EILSEQ with
 * *ret_bad_offset, -EINVAL, -ELOOP, -EMSGSIZE, -ENOMEM). ret is filled only on success. */
int mnemo_doc_segment(struct mnemo_doc_segmenter *ds, const void *data, size_t len,
		      const struct mnemo_doc_opts *opts, struct mnemo_doc_result *ret,
		      size_t *ret_bad_offset);
void mnemo_doc_result_fini(struct mnemo_doc_result *res);
