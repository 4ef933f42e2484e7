/* Bitext alignment requests: a document pair's sentences in, beads out. What is never
 * paired is decided here, before the search: the segmenter's boilerplate and
 * foreign-language paragraphs, and sentences left untranslated (plainly in the other
 * side's language). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "align.h"
#include "internal.h"
#include "langid.h"
#include "side.h"
#include "text.h"

enum { MAX_SENTENCE_BYTES = 1 << 20, N_LANGS = 8 };

/* A side that reads as another language this much (of its bytes) is refused. */
#define WRONG_LANGUAGE_SHARE 0.8
/* ... once it has this many bytes: a line or two in the other language may be a quote. */
enum { WRONG_LANGUAGE_MIN_BYTES = 100 };
#define DEFAULT_MIN_SCORE 0.5f

struct sentence {
	const char *text;
	size_t len;
	uint32_t paragraph;
	const char *skipped; /* why it is never paired, or NULL */
	const char *lang;    /* the language it reads as, when skipped for it */
};

struct side {
	const char *field; /* "source", "target" */
	char lang[MNEMO_TEXT_LANG_MAX];
	struct sentence *s;
	size_t n;
};

/* The sentences of a document as the request gives them: the segmenter's (with paragraph
 * numbers and kinds), or bare segments where "" breaks paragraphs. */
static int
read_sentences(const Mnemo__AlignDocument *doc, struct side *side, struct mnemo_arena *arena,
	       struct mnemo_fault *f)
{
	size_t n = doc->n_sentences > 0 ? doc->n_sentences : doc->n_segments;
	uint32_t paragraph = 0;

	if (doc->n_sentences > 0 && doc->n_segments > 0) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, side->field,
				       -1, "%s: give either sentences or segments, not both",
				       side->field);
	}
	side->s = mnemo_arena_zalloc(arena, (n + 1) * sizeof(*side->s));
	if (side->s == NULL) {
		return -ENOMEM;
	}
	side->n = 0;
	for (size_t i = 0; i < n; i++) {
		struct sentence *s = &side->s[side->n];
		const char *text;

		if (doc->n_sentences > 0) {
			const Mnemo__Segment *seg = doc->sentences[i];

			text = seg->text;
			s->paragraph = seg->paragraph;
			if (seg->kind == MNEMO__SEGMENT_KIND__SEGMENT_KIND_BOILERPLATE) {
				s->skipped = "boilerplate";
			} else if (seg->kind == MNEMO__SEGMENT_KIND__SEGMENT_KIND_FOREIGN) {
				s->skipped = "foreign";
				s->lang = seg->lang;
			}
		} else {
			text = doc->segments[i];
			if (text[0] == '\0') {
				paragraph += side->n > 0 && side->s[side->n - 1].paragraph == paragraph;
				continue;
			}
			s->paragraph = paragraph;
		}
		s->text = text;
		s->len = strlen(text);
		if (s->len > MAX_SENTENCE_BYTES) {
			return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, side->field,
					       -1, "%s: sentence %zu is longer than %d bytes",
					       side->field, side->n, MAX_SENTENCE_BYTES);
		}
		side->n++;
	}
	if (side->n == 0) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_EMPTY_DOCUMENT, side->field,
				       -1, "the %s document has no sentence", side->field);
	}
	return 0;
}

/* Sentences plainly in the other side's language (by their function words: French and
 * English) were left untranslated: a sentence and its own copy are no translation. */
static void
mark_untranslated(struct side *side, const struct side *other)
{
	for (size_t i = 0; i < side->n; i++) {
		struct sentence *s = &side->s[i];

		if (s->skipped == NULL && mnemo_langid_plainly(other->lang, s->text, s->len) &&
		    !mnemo_langid_plainly(side->lang, s->text, s->len)) {
			s->skipped = "untranslated";
			s->lang = other->lang;
		}
	}
}

/* A document mostly in another language than the one it was given as was sent on the
 * wrong side or mislabelled: refused, rather than aligned into nothing. */
static int
check_language(const struct side *side, struct mnemo_fault *f)
{
	struct {
		const char *lang;
		size_t bytes;
	} other[N_LANGS] = {{NULL, 0}};
	size_t total = 0, foreign = 0, best = 0;

	for (size_t i = 0; i < side->n; i++) {
		const struct sentence *s = &side->s[i];
		size_t k = 0;

		total += s->len;
		if (s->lang == NULL || s->lang[0] == '\0') {
			continue;
		}
		foreign += s->len;
		while (k < N_LANGS && other[k].lang != NULL && strcmp(other[k].lang, s->lang) != 0) {
			k++;
		}
		if (k < N_LANGS) {
			other[k].lang = s->lang;
			other[k].bytes += s->len;
			best = other[k].bytes > other[best].bytes ? k : best;
		}
	}
	if (total < WRONG_LANGUAGE_MIN_BYTES || foreign < WRONG_LANGUAGE_SHARE * (double)total) {
		return 0;
	}
	return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_WRONG_LANGUAGE, side->field, -1,
			       "the %s document is not in %s: %.0f %% of it reads as %s",
			       side->field, side->lang, 100.0 * (double)foreign / (double)total,
			       other[best].lang);
}

static int
features(const struct side *side, enum mnemo_align_role role, struct mnemo_lexicon *lex,
	 struct mnemo_align_side *out)
{
	int r = 0;

	out->lex = lex;
	for (size_t i = 0; r == 0 && i < side->n; i++) {
		const struct sentence *s = &side->s[i];

		r = mnemo_align_side_add(out, role, s->text, s->len, s->paragraph, s->skipped != NULL);
	}
	mnemo_align_side_seal(out);
	return r;
}

/* One side of a bead: its ids and its sentences joined by a space. */
static int
bead_side(const struct side *side, uint32_t first, uint32_t n, struct mnemo_arena *arena,
	  uint32_t **ret_ids, size_t *ret_n, char **ret_text)
{
	size_t len = 0;
	uint32_t *ids = mnemo_arena_alloc(arena, (n + 1) * sizeof(*ids));
	char *text;

	for (uint32_t k = 0; k < n; k++) {
		len += side->s[first + k].len + 1;
	}
	text = mnemo_arena_alloc(arena, len + 1);
	if (ids == NULL || text == NULL) {
		return -ENOMEM;
	}
	len = 0;
	for (uint32_t k = 0; k < n; k++) {
		const struct sentence *s = &side->s[first + k];

		ids[k] = first + k;
		if (k > 0) {
			text[len++] = ' ';
		}
		memcpy(text + len, s->text, s->len);
		len += s->len;
	}
	text[len] = '\0';
	*ret_ids = ids;
	*ret_n = n;
	*ret_text = text;
	return 0;
}

static int
reply_of(const struct side *src, const struct side *tgt, const struct mnemo_align_bead *beads,
	 size_t n, float min_score, struct mnemo_arena *arena, Mnemo__AlignReply *out)
{
	out->pairs = mnemo_arena_alloc(arena, (n + 1) * sizeof(*out->pairs));
	if (out->pairs == NULL) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct mnemo_align_bead *b = &beads[i];
		Mnemo__AlignPair *p = mnemo_arena_alloc(arena, sizeof(*p));
		char *kind = mnemo_arena_printf(arena, "%u-%u", b->n_src, b->n_tgt);

		if (p == NULL || kind == NULL) {
			return -ENOMEM;
		}
		mnemo__align_pair__init(p);
		if (bead_side(src, b->src, b->n_src, arena, &p->source_ids, &p->n_source_ids,
			      &p->source) < 0 ||
		    bead_side(tgt, b->tgt, b->n_tgt, arena, &p->target_ids, &p->n_target_ids,
			      &p->target) < 0) {
			return -ENOMEM;
		}
		p->score = roundf(b->score * 1000) / 1000; /* three digits say all it knows */
		p->bead = kind;
		if (b->n_src > 0 && b->n_tgt > 0) {
			p->accepted = b->score >= min_score;
			out->below_min_score += !p->accepted;
		} else {
			const struct sentence *s = b->n_src ? &src->s[b->src] : &tgt->s[b->tgt];

			p->skipped = s->skipped != NULL ? (char *)s->skipped : "";
		}
		out->pairs[out->n_pairs++] = p;
	}
	return 0;
}

int
aligner_bitext(struct lexicons *ls, const Mnemo__AlignRequest *req, struct mnemo_arena *arena,
	       Mnemo__AlignReply **ret, struct mnemo_fault *f)
{
	struct side src = {.field = "source"}, tgt = {.field = "target"};
	struct mnemo_align_side fsrc = {0}, ftgt = {0};
	struct mnemo_align_bead *beads = NULL;
	struct mnemo_align_stats stats;
	struct mnemo_lexicon *lex;
	Mnemo__AlignReply *out;
	float min_score = req->min_score;
	const char *lexicon;
	uint32_t tm_entries = 0, learned = 0;
	size_t n_beads = 0;
	int r;

	if (req->source == NULL || req->target == NULL) {
		const char *field = req->source == NULL ? "source" : "target";

		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_MISSING_FIELD, field, -1,
				       "'%s' (a document: lang and text) is required", field);
	}
	if (!(min_score >= 0 && min_score <= 1)) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "min_score",
				       -1, "min_score is a confidence from 0 to 1");
	}
	if (min_score == 0) {
		min_score = DEFAULT_MIN_SCORE;
	}
	r = aligner_check_lang("source.lang", req->source->lang, src.lang, f);
	if (r == 0) {
		r = aligner_check_lang("target.lang", req->target->lang, tgt.lang, f);
	}
	if (r == 0) {
		r = read_sentences(req->source, &src, arena, f);
	}
	if (r == 0) {
		r = read_sentences(req->target, &tgt, arena, f);
	}
	if (r < 0) {
		return r;
	}
	mark_untranslated(&src, &tgt);
	mark_untranslated(&tgt, &src);
	r = check_language(&src, f);
	if (r == 0) {
		r = check_language(&tgt, f);
	}
	if (r < 0) {
		return r;
	}
	lex = lexicons_take(ls, src.lang, tgt.lang, &lexicon, &tm_entries);
	r = features(&src, MNEMO_ALIGN_SOURCE, lex, &fsrc);
	if (r == 0) {
		r = features(&tgt, MNEMO_ALIGN_TARGET, lex, &ftgt);
	}
	if (r == 0) {
		r = mnemo_align_sides(&fsrc, &ftgt, &beads, &n_beads, &stats, &learned);
	}
	lexicons_give(ls, lex);
	mnemo_align_side_fini(&fsrc);
	mnemo_align_side_fini(&ftgt);
	out = mnemo_arena_alloc(arena, sizeof(*out));
	if (r == 0 && out == NULL) {
		r = -ENOMEM;
	}
	if (r == 0) {
		mnemo__align_reply__init(out);
		out->source_sentences = (uint32_t)src.n;
		out->target_sentences = (uint32_t)tgt.n;
		out->lexicon = (char *)lexicon;
		out->tm_entries = tm_entries;
		out->learned = learned;
		r = reply_of(&src, &tgt, beads, n_beads, min_score, arena, out);
	}
	free(beads);
	if (r < 0) {
		return r;
	}
	*ret = out;
	return 0;
}
