/* A document into segments: decode and clean it (input.c), find its language (langid.cc),
 * segment it (segment.c, with SRX rules over the built-in ones), then tag the paragraphs
 * that are page furniture (boiler.c) or in another language (langid.cc again). */
#include "document.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boiler.h"
#include "hash.h"
#include "langid.h"
#include "sort.h"
#include "text.h"

enum {
	CACHED_LANGS = 8,
	MAX_LANGS = 32,          /* distinct languages reported in one document */
	FOREIGN_PERCENT = 60,    /* a paragraph this much in another language is foreign */
	SEGMENT_LETTERS = 100,   /* ...and a single sentence needs this many letters... */
	SEGMENT_PERCENT = 90,    /* ...and this share to be foreign on its own */
	HEADING_WORDS = 12,      /* a lone question this short is a heading */
	REPEATED_LINE = 3,       /* a short line seen this often in a document is furniture */
	LANGID_MIN_BYTES = 30,   /* shorter, CLD2 is never reliable (langid.cc): not asked */
	REPEATED_BYTES = 80,
};

struct lang_slot {
	char lang[MNEMO_TEXT_LANG_MAX];
	struct mnemo_segmenter *sg;
};

struct mnemo_doc_segmenter {
	struct lang_slot slots[CACHED_LANGS];
	unsigned next; /* the slot to reuse when all are taken */
};

int
mnemo_doc_segmenter_new(struct mnemo_doc_segmenter **ret)
{
	*ret = calloc(1, sizeof(**ret));
	return *ret != NULL ? 0 : -ENOMEM;
}

void
mnemo_doc_segmenter_free(struct mnemo_doc_segmenter *ds)
{
	if (ds == NULL) {
		return;
	}
	for (unsigned i = 0; i < CACHED_LANGS; i++) {
		mnemo_segmenter_free(ds->slots[i].sg);
	}
	free(ds);
}

static int
segmenter_for(struct mnemo_doc_segmenter *ds, const char *lang, struct mnemo_segmenter **ret)
{
	struct lang_slot *slot;
	int r;

	for (unsigned i = 0; i < CACHED_LANGS; i++) {
		if (ds->slots[i].sg != NULL && strcmp(ds->slots[i].lang, lang) == 0) {
			*ret = ds->slots[i].sg;
			return 0;
		}
	}
	slot = &ds->slots[ds->next++ % CACHED_LANGS];
	mnemo_segmenter_free(slot->sg);
	slot->sg = NULL;
	r = mnemo_segmenter_new(lang, &slot->sg);
	if (r < 0) {
		return r;
	}
	strcpy(slot->lang, lang);
	*ret = slot->sg;
	return 0;
}

/* ---- the result ---------------------------------------------------------------------- */

struct builder {
	struct mnemo_doc_result *res;
	size_t cap;
};

static const char *
intern_lang(struct mnemo_doc_result *res, const char *lang)
{
	for (size_t i = 0; i < res->n_langs; i++) {
		if (strcmp(res->langs[i], lang) == 0) {
			return res->langs[i];
		}
	}
	if (res->n_langs == MAX_LANGS) {
		return res->langs[0]; /* past that many, a document is not worth telling apart */
	}
	strcpy(res->langs[res->n_langs], lang);
	return res->langs[res->n_langs++];
}

static int
push(struct builder *b, uint32_t start, uint32_t end, uint32_t paragraph,
     enum mnemo_seg_kind kind, const char *lang)
{
	struct mnemo_doc_result *res = b->res;

	if (res->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		struct mnemo_doc_segment *v = reallocarray(res->segs, cap, sizeof(*v));

		if (v == NULL) {
			return -ENOMEM;
		}
		res->segs = v;
		b->cap = cap;
	}
	res->segs[res->n++] = (struct mnemo_doc_segment){.start = start,
							  .end = end,
							  .paragraph = paragraph,
							  .kind = kind,
							  .lang = lang};
	return 0;
}

/* ---- steps ------------------------------------------------------------------------------ */

/* Text wrapped at a fixed width: a line break between two non-blank lines is a space;
 * blank lines still separate paragraphs. Byte for byte, so offsets do not move. */
static void
join_wrapped_lines(char *t, size_t len)
{
	size_t pending = len, pending_len = 0, i = 0;
	int line_has_text = 0;

	while (i <= len) {
		size_t brk = i == len ? 0 : t[i] == '\n' ? 1 : t[i] == '\r' ? (i + 1 < len && t[i + 1] == '\n' ? 2 : 1) : 0;

		if (i < len && brk == 0) {
			line_has_text |= t[i] != ' ' && t[i] != '\t';
			i++;
			continue;
		}
		/* The end of a line: join it to the previous one if both have text. */
		if (line_has_text && pending < len) {
			memset(t + pending, ' ', pending_len);
		}
		pending = line_has_text ? i : len;
		pending_len = brk;
		line_has_text = 0;
		if (i == len) {
			break;
		}
		i += brk;
	}
}

static int
same_language(const char *a, const char *b)
{
	size_t na = strcspn(a, "-"), nb = strcspn(b, "-");

	return na == nb && strncmp(a, b, na) == 0;
}

/* The document's language: the one given, or CLD2's verdict on the whole text (not the
 * function-word test: a document is in the language most of it is in, which that test
 * does not weigh). */
static void
document_language(const struct mnemo_doc_opts *opts, const struct mnemo_text_doc *doc,
		  char *out)
{
	struct mnemo_langid id;

	if (opts->lang != NULL && opts->lang[0] != '\0') {
		strcpy(out, opts->lang);
		return;
	}
	mnemo_langid_detect(doc->text, doc->len, NULL, &id);
	/* French first: an undecided document is read as French. */
	strcpy(out, strcmp(id.lang, "und") != 0 && (id.reliable || id.letters > 0) ? id.lang
										  : "fr");
}

/* Applies SRX rules to one paragraph's boundaries: a break rule adds one where it
 * matches, a no-break rule removes one. bounds[] holds the segment starts after the
 * paragraph's first; returns the new count. */
static int
srx_boundaries(const struct mnemo_srx_rules *rules, const char *text, uint32_t ps, uint32_t pe,
	       uint32_t **bounds, size_t *n_bounds)
{
	uint32_t *pos = NULL;
	uint8_t *verdict = NULL;
	int n = mnemo_srx_apply(rules, text + ps, pe - ps, &pos, &verdict);

	if (n < 0) {
		return n;
	}
	for (int k = 0; k < n; k++) {
		uint32_t at = ps + pos[k], end = pe;
		size_t j;

		/* A boundary is where the next sentence starts: past the white space. */
		mnemo_segmenter_trim(text, &at, &end);
		if (at >= pe || at <= ps) {
			continue;
		}
		for (j = 0; j < *n_bounds && (*bounds)[j] < at; j++) {
		}
		if (verdict[k] == MNEMO_SRX_NO_BREAK && j < *n_bounds && (*bounds)[j] == at) {
			memmove(*bounds + j, *bounds + j + 1, (*n_bounds - j - 1) * sizeof(**bounds));
			(*n_bounds)--;
		} else if (verdict[k] == MNEMO_SRX_BREAK && (j == *n_bounds || (*bounds)[j] != at)) {
			uint32_t *grown = reallocarray(*bounds, *n_bounds + 1, sizeof(**bounds));

			if (grown == NULL) {
				free(pos);
				free(verdict);
				return -ENOMEM;
			}
			*bounds = grown;
			memmove(grown + j + 1, grown + j, (*n_bounds - j) * sizeof(*grown));
			grown[j] = at;
			(*n_bounds)++;
		}
	}
	free(pos);
	free(verdict);
	return 0;
}

/* A paragraph that is one short question is a heading in articles ("Qui est concerné ?",
 * "What happens next?") and in interviews, unless it is a line of dialogue. */
static bool
question_heading(const char *text, uint32_t start, uint32_t end)
{
	const unsigned char *p = (const unsigned char *)text;
	uint32_t i = end, words = 1;

	while (i > start && (p[i - 1] == ' ' || p[i - 1] == 0xbb || p[i - 1] == '"')) {
		i--;
	}
	if (i == start || p[i - 1] != '?' || p[start] == '-' || p[start] == '"' ||
	    (p[start] == 0xc2 && p[start + 1] == 0xab) || (p[start] == 0xe2 && p[start + 1] == 0x80)) {
		return false; /* not a question, or dialogue: "— Tu viens ?", « Vraiment ? » */
	}
	for (i = start; i < end; i++) {
		words += p[i] == ' ';
	}
	return words <= HEADING_WORDS;
}

/* Marks the short lines that come back REPEATED_LINE times or more in the document:
 * "Baca selengkapnya »" under every item of an aggregator, "PUBLICITÉ" every few
 * paragraphs. By hash, sorted: O(n log n) in the number of lines. */
static int
repeated_lines(const char *text, const struct mnemo_seg *lines, size_t n, bool **ret)
{
	uint64_t *hashes = malloc((n + 1) * sizeof(*hashes)), *sorted;
	bool *repeated = calloc(n + 1, sizeof(*repeated));
	size_t n_often = 0;

	sorted = hashes != NULL ? malloc((n + 1) * sizeof(*sorted)) : NULL;
	if (hashes == NULL || repeated == NULL || sorted == NULL) {
		free(hashes);
		free(sorted);
		free(repeated);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t len = lines[i].end - lines[i].start;

		/* 0 stands for "too long to count" and is never marked */
		hashes[i] = len <= REPEATED_BYTES ? mnemo_fnv1a64(MNEMO_FNV_OFFSET, text + lines[i].start, len) | 1 : 0;
		sorted[i] = hashes[i];
	}
	qsort(sorted, n, sizeof(*sorted), mnemo_cmp_u64);
	/* Keep one copy of each hash seen often enough, in place. */
	for (size_t i = 0, run; i < n; i += run) {
		for (run = 1; i + run < n && sorted[i + run] == sorted[i]; run++) {
		}
		if (sorted[i] != 0 && run >= REPEATED_LINE) {
			sorted[n_often++] = sorted[i];
		}
	}
	for (size_t i = 0; i < n && n_often > 0; i++) {
		repeated[i] = hashes[i] != 0 &&
			      bsearch(&hashes[i], sorted, n_often, sizeof(*sorted), mnemo_cmp_u64) != NULL;
	}
	free(hashes);
	free(sorted);
	*ret = repeated;
	return 0;
}

/* One paragraph's segments, pushed to b: its language settled, segmented with that
 * language's rules (and SRX's), kinds and languages set. */
static int
paragraph(struct mnemo_doc_segmenter *ds, const struct mnemo_doc_opts *opts, struct builder *b,
	  const char *text, uint32_t ps, uint32_t pe, uint32_t number, bool repeated)
{
	struct mnemo_doc_result *res = b->res;
	/* res is copied to the caller at the end: point into its heap storage only. */
	const char *lang = res->langs[0];
	enum mnemo_seg_kind forced = 0;
	struct mnemo_segmenter *sg;
	struct mnemo_seg *segs = NULL;
	uint32_t *bounds = NULL;
	size_t n = 0, n_bounds = 0;
	struct mnemo_langid id;
	bool mixed = false; /* may hold a sentence in another language */
	int r;

	if (repeated || mnemo_text_is_boilerplate(res->lang, text + ps, pe - ps)) {
		forced = MNEMO_SEG_BOILERPLATE;
	} else if (mnemo_langid_plainly(res->lang, text + ps, pe - ps)) {
		mixed = true; /* each long sentence is checked the same way, then by CLD2 */
	} else if (pe - ps >= LANGID_MIN_BYTES) {
		mnemo_langid_detect(text + ps, pe - ps, res->lang, &id);
		if (id.reliable && id.percent >= FOREIGN_PERCENT &&
		    !same_language(id.lang, res->lang) && strcmp(id.lang, "und") != 0) {
			forced = MNEMO_SEG_FOREIGN;
			lang = intern_lang(res, id.lang);
		}
		/* What CLD2 gave to other languages could not make a foreign sentence (half
		 * of SEGMENT_LETTERS, for its chunks of a few words): no need to ask for each
		 * sentence. Most paragraphs stop here. */
		mixed = !same_language(id.lang, res->lang) ||
			(size_t)(100 - id.percent) * id.letters >= 100 * SEGMENT_LETTERS / 2;
	}
	r = segmenter_for(ds, lang, &sg);
	if (r == -EINVAL) {
		r = segmenter_for(ds, res->lang, &sg); /* CLD2 knows a tag ICU does not */
	}
	if (r == 0) {
		r = mnemo_segmenter_run(sg, text + ps, pe - ps, &segs, &n);
	}
	if (r < 0 || n == 0) {
		return r;
	}
	if (opts->srx != NULL) {
		const struct mnemo_srx_rules *rules = mnemo_srx_rules_for(opts->srx, lang);

		if (rules != NULL) {
			n_bounds = n - 1;
			bounds = malloc((n_bounds + 1) * sizeof(*bounds));
			if (bounds == NULL) {
				free(segs);
				return -ENOMEM;
			}
			for (size_t i = 1; i < n; i++) {
				bounds[i - 1] = ps + segs[i].start;
			}
			r = srx_boundaries(rules, text, ps + segs[0].start, ps + segs[n - 1].end,
					   &bounds, &n_bounds);
		}
	}
	for (size_t i = 0; r == 0 && i < (bounds != NULL ? n_bounds + 1 : n); i++) {
		uint32_t start, end;
		enum mnemo_seg_kind kind;
		const char *seg_lang = lang;

		if (bounds != NULL) {
			start = i == 0 ? ps + segs[0].start : bounds[i - 1];
			end = i == n_bounds ? ps + segs[n - 1].end : bounds[i];
			mnemo_segmenter_trim(text, &start, &end);
			if (start == end) {
				continue;
			}
			kind = mnemo_segmenter_kind_of(text, start, end);
		} else {
			start = ps + segs[i].start;
			end = ps + segs[i].end;
			kind = segs[i].kind;
		}
		if (forced != 0) {
			kind = forced;
		} else if (n == 1 && bounds == NULL && question_heading(text, start, end)) {
			kind = MNEMO_SEG_HEADING;
		} else if (mixed && n > 1 && end - start >= SEGMENT_LETTERS &&
			   !mnemo_langid_plainly(res->lang, text + start, end - start)) {
			/* One sentence in another language inside a paragraph of the document's. */
			mnemo_langid_detect(text + start, end - start, res->lang, &id);
			if (id.reliable && id.percent >= SEGMENT_PERCENT &&
			    id.letters >= SEGMENT_LETTERS && !same_language(id.lang, res->lang) &&
			    strcmp(id.lang, "und") != 0) {
				kind = MNEMO_SEG_FOREIGN;
				seg_lang = intern_lang(res, id.lang);
			}
		}
		r = push(b, start, end, number, kind, seg_lang);
	}
	free(bounds);
	free(segs);
	return r;
}

int
mnemo_doc_segment(struct mnemo_doc_segmenter *ds, const void *data, size_t len,
		  const struct mnemo_doc_opts *opts, struct mnemo_doc_result *ret,
		  size_t *ret_bad_offset)
{
	struct mnemo_text_doc_opts in = {opts->format, opts->encoding, opts->max_bytes};
	struct mnemo_doc_result res = {0};
	struct builder b = {.res = &res};
	struct mnemo_segmenter *sg;
	struct mnemo_seg *lines = NULL;
	bool *repeated = NULL;
	size_t n_lines = 0;
	char *text;
	int r;

	r = mnemo_text_doc_prepare(data, len, &in, &res.doc, ret_bad_offset);
	if (r < 0) {
		return r;
	}
	res.langs = calloc(MAX_LANGS, sizeof(*res.langs));
	if (res.langs == NULL) {
		mnemo_text_doc_fini(&res.doc);
		return -ENOMEM;
	}
	text = res.doc.text;
	if (opts->hard_wrap) {
		join_wrapped_lines(text, res.doc.len);
	}
	document_language(opts, &res.doc, res.lang);
	intern_lang(&res, res.lang);

	/* A tag CLD2 or the caller knows but ICU cannot segment falls back to French. */
	r = segmenter_for(ds, res.lang, &sg);
	if (r == -EINVAL) {
		strcpy(res.lang, "fr");
		strcpy(res.langs[0], "fr");
		r = segmenter_for(ds, res.lang, &sg);
	}
	if (r == 0) {
		r = mnemo_text_lines(text, res.doc.len, &lines, &n_lines);
	}
	if (r == 0) {
		r = repeated_lines(text, lines, n_lines, &repeated);
	}
	for (size_t i = 0; r == 0 && i < n_lines; i++) {
		r = paragraph(ds, opts, &b, text, lines[i].start, lines[i].end, (uint32_t)i,
			      repeated[i]);
	}
	free(repeated);
	free(lines);
	for (size_t i = 0; r == 0 && i < res.n; i++) {
		size_t os, oe;

		mnemo_text_doc_span(&res.doc, res.segs[i].start, res.segs[i].end, &os, &oe);
		res.segs[i].orig_start = (uint32_t)os;
		res.segs[i].orig_end = (uint32_t)oe;
	}
	if (r < 0) {
		mnemo_doc_result_fini(&res);
		return r;
	}
	*ret = res;
	return 0;
}

void
mnemo_doc_result_fini(struct mnemo_doc_result *res)
{
	if (res == NULL) {
		return;
	}
	mnemo_text_doc_fini(&res->doc);
	free(res->segs);
	free(res->langs);
	memset(res, 0, sizeof(*res));
}
