/* What the aligner's files share: lookups (aligner.c) and bitext alignment (bitext.c). */
#pragma once

#include "lexicons.h"
#include "msg.h"

/* Canonicalises a required BCP 47 tag into out (MNEMO_TEXT_LANG_MAX bytes); 0, or a
 * negative errno with f naming field. */
int aligner_check_lang(const char *field, const char *tag, char *out, struct mnemo_fault *f);

/* Aligns the request's two documents, given as sentences (the gateway segments text
 * before it comes here) or segments, into *ret. The lexicon for the pair is borrowed
 * from ls for the request's length. 0, or a negative errno with f filled. */
int aligner_bitext(struct lexicons *ls, const Mnemo__AlignRequest *req, struct mnemo_arena *arena,
		   Mnemo__AlignReply **ret, struct mnemo_fault *f);
