/* The aligner's view of a document side: each sentence's length, paragraph and evidence
 * ids (align.h), made from its text. Evidence that needs no dictionary: numbers (by their
 * digits), question and exclamation marks and quotes (« » and " alike), and words of three
 * letters or more that are the same on both sides once case-folded (names, terms, code).
 * With a lexicon (lexicon.h), a target sentence also has its words' stems, and a source
 * sentence the stems of their translations. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "align.h"

/* One side of a document pair, as the aligner takes it; owns its memory. */
struct mnemo_align_side {
	struct mnemo_lexicon *lex; /* set before the first add, or NULL; not owned */
	struct mnemo_align_sentence *s;
	size_t n;
	uint32_t *ids; /* every sentence's ids, one after the other */
	size_t n_ids, cap_ids;
	/* every sentence's own stems (with a lexicon), sorted and distinct, one after the
	 * other: sentence i's from stems_at[i] to stems_at[i + 1] */
	uint32_t *stems;
	size_t n_stems, cap_stems;
	size_t *stems_at;
};

enum mnemo_align_role { MNEMO_ALIGN_SOURCE, MNEMO_ALIGN_TARGET };

/* Adds a sentence (valid UTF-8) to the side: its paragraph's number, and skip for a
 * sentence never to be paired. 0, -ENOMEM, or -EIO when ICU fails. */
int mnemo_align_side_add(struct mnemo_align_side *side, enum mnemo_align_role role,
			 const char *text, size_t len, uint32_t paragraph, bool skip);
/* Points the sentences at their ids: call once every sentence is added, before aligning. */
void mnemo_align_side_seal(struct mnemo_align_side *side);
void mnemo_align_side_fini(struct mnemo_align_side *side);

/* Aligns two sealed sides (align.h's mnemo_align), and with a lexicon that no dictionary
 * was loaded into, learns from the result: the stems that keep meeting in its confident
 * 1-1 beads are taken as translations (learn.h), added to the source sentences, and the
 * documents aligned again with them (side.c says why not with a dictionary).
 * *ret_learned (may be NULL) gets how many were learned; the lexicon itself is left as it
 * was. 0 or -ENOMEM. */
int mnemo_align_sides(struct mnemo_align_side *src, struct mnemo_align_side *tgt,
		      struct mnemo_align_bead **ret, size_t *ret_n, struct mnemo_align_stats *stats,
		      uint32_t *ret_learned);
