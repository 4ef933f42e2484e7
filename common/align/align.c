/* Sentence alignment by dynamic programming over beads, in a corridor drawn through
 * anchors (align.h).
 *
 * Cost of a bead, lower is better (natural-log units, so the terms add as log odds):
 *   length   Gale and Church's: the target's characters against the source's times the
 *            documents' own ratio, as a normal deviate; -log of its two-sided tail.
 *   lexical  LEX_WEIGHT * (1 - Dice) over the content words: the share of words with a
 *            translation on the other side. A merged bead (2-1, 1-2, 2-2) must show some for
 *            each of its sentences, or a sentence with no counterpart would be folded into
 *            a neighbour's bead instead of being left alone.
 *            A 2-2 bead counts it twice, as the two 1-1 beads it competes with would.
 *   kind     a fixed cost per bead kind: 1-1 nothing, merges and 1-0/0-1 more. A source
 *            sentence and its copy on the other side (align.h: copy) are never paired.
 *   layout   a bead that spans a paragraph break on a side, and a 1-1 bead between a
 *            paragraph's first sentence and a sentence that is not one, cost a little.
 *
 * A bead's score (its confidence) is read off the path once found: see confidence().
 *
 * The corridor: 1-1 pairs sharing rare evidence (a word or anchor that occurs at most
 * twice on each side) with a good Dice and length are candidate anchors; their longest
 * chain monotone on both sides is the skeleton. Between two anchors the path is confined
 * to the rectangle they span (plus a margin), which is exact when the anchors are right;
 * a rectangle too large for that gets a diagonal band instead. When the best path touches
 * the corridor's edge, the margin doubles and the search runs again. */
#include "align.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LEX_WEIGHT 3.0
#define NULL_COST 3.2     /* a 1-0 or 0-1 bead */
#define MERGE_COST 2.0    /* a 2-1 or 1-2 bead: its extra sentence must bring evidence */
#define MERGE22_COST 3.5  /* a 2-2 bead */
#define SPAN_COST 1.0     /* sentences of two paragraphs in one side of a bead */
#define START_COST 0.6    /* a paragraph's first sentence paired with one that is not */
#define NO_EVIDENCE 0.5   /* the Dice taken when neither side has a content word */
#define LENGTH_VAR 6.8    /* Gale and Church's variance per character */
#define MAX_COST 1e30f

enum {
	MARGIN = 16,                 /* corridor margin around anchor rectangles, at first */
	MAX_WIDENINGS = 4,
	RECT_CELLS_MAX = 1 << 22,    /* past this, a rectangle between anchors is a band */
	BAND_MIN = 256,              /* half-width of such a band */
	RARE = 2,                    /* occurrences per side of a word that can anchor */
	REACH_MIN = 100,             /* sentences around the proportional place (and 5%) */
};

/* Bead kinds: sentences taken from the source and the target. */
static const uint8_t kinds[][2] = {{1, 1}, {1, 0}, {0, 1}, {2, 1}, {1, 2}, {2, 2}};
enum { N_KINDS = sizeof(kinds) / sizeof(kinds[0]) };

struct doc {
	const struct mnemo_align_sentence *src, *tgt;
	size_t n, m;
	double ratio; /* target characters per source character */
};

/* The corridor: row i (source sentences before the cell) holds columns lo[i]..hi[i]. */
struct corridor {
	uint32_t *lo, *hi;
	size_t *off; /* the first cell of each row; off[n + 1] cells in all */
};

static uint32_t
shared(const struct mnemo_align_sentence *s, const struct mnemo_align_sentence *t)
{
	uint32_t i = 0, j = 0, k = 0;

	while (i < s->n_ids && j < t->n_ids) {
		if (s->ids[i] < t->ids[j]) {
			i++;
		} else if (s->ids[i] > t->ids[j]) {
			j++;
		} else {
			k++;
			i++;
			j++;
		}
	}
	return k;
}

static double
dice(uint32_t common, uint32_t n_src, uint32_t n_tgt)
{
	double d;

	if (n_src + n_tgt == 0) {
		return NO_EVIDENCE;
	}
	d = 2.0 * common / (n_src + n_tgt);
	return d > 1 ? 1 : d;
}

/* Whether s and t are one text copied to the other side (align.h), never a translation. */
static bool
copies(const struct mnemo_align_sentence *s, const struct mnemo_align_sentence *t)
{
	return s->copy != 0 && s->copy == t->copy;
}

/* -log of the two-sided tail of the length deviate: 0 for lengths in the ratio. */
static double
length_cost(const struct doc *d, uint32_t src_chars, uint32_t tgt_chars, double *ret_p)
{
	double mean = (src_chars * d->ratio + tgt_chars) / 2;
	double z = (tgt_chars - src_chars * d->ratio) / sqrt((mean > 1 ? mean : 1) * LENGTH_VAR);
	double p = erfc(fabs(z) / M_SQRT2);

	if (ret_p != NULL) {
		*ret_p = p;
	}
	return p > 1e-13 ? -log(p) : 30;
}

/* ---- the corridor ------------------------------------------------------------------ */

struct posting {
	uint32_t id, sentence;
};

static int
by_id(const void *a, const void *b)
{
	const struct posting *x = a, *y = b;

	return x->id != y->id ? (x->id < y->id ? -1 : 1)
			      : (x->sentence > y->sentence) - (x->sentence < y->sentence);
}

static struct posting *
postings(const struct mnemo_align_sentence *s, size_t n, size_t *ret_n)
{
	size_t total = 0, k = 0;
	struct posting *p;

	for (size_t i = 0; i < n; i++) {
		total += s[i].skip ? 0 : s[i].n_ids;
	}
	p = malloc((total + 1) * sizeof(*p));
	if (p == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		for (uint32_t w = 0; !s[i].skip && w < s[i].n_ids; w++) {
			p[k++] = (struct posting){s[i].ids[w], (uint32_t)i};
		}
	}
	qsort(p, k, sizeof(*p), by_id);
	*ret_n = k;
	return p;
}

struct pair {
	uint32_t i, j;
};

static int
by_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	if (x->i != y->i) {
		return x->i < y->i ? -1 : 1;
	}
	return (x->j < y->j) - (x->j > y->j); /* j descending: a strict chain takes one per i */
}

/* Whether a candidate pair is a 1-1 bead sure enough to draw the corridor through. */
static bool
anchor_worthy(const struct doc *d, uint32_t i, uint32_t j)
{
	const struct mnemo_align_sentence *s = &d->src[i], *t = &d->tgt[j];
	double p;

	length_cost(d, s->chars, t->chars, &p);
	return p > 0.05 && !copies(s, t) && dice(shared(s, t), s->n_words, t->n_words) >= 0.4;
}

/* The longest chain of candidates increasing on both sides (patience sorting). */
static int
chain(struct pair *c, size_t n, size_t *ret_n)
{
	size_t *tail = malloc((n + 1) * sizeof(*tail)), *prev = malloc((n + 1) * sizeof(*prev));
	size_t len = 0, k;

	if (tail == NULL || prev == NULL) {
		free(tail);
		free(prev);
		return -ENOMEM;
	}
	qsort(c, n, sizeof(*c), by_pair);
	for (size_t x = 0; x < n; x++) {
		size_t lo = 0, hi = len;

		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (c[tail[mid]].j < c[x].j) {
				lo = mid + 1;
			} else {
				hi = mid;
			}
		}
		prev[x] = lo > 0 ? tail[lo - 1] : SIZE_MAX;
		tail[lo] = x;
		len += lo == len;
	}
	/* the chain's members, last first, into tail (free now), then in order into c */
	k = len > 0 ? tail[len - 1] : SIZE_MAX;
	for (size_t x = len; x > 0; x--) {
		tail[x - 1] = k;
		k = prev[k];
	}
	for (size_t x = 0; x < len; x++) {
		c[x] = c[tail[x]]; /* tail[x] >= x: nothing read is overwritten yet */
	}
	free(tail);
	free(prev);
	*ret_n = len;
	return 0;
}

/* The postings p[lo..hi) of sentences within [from, to]. */
static void
window(const struct posting *p, size_t lo, size_t hi, int64_t from, int64_t to, size_t *ret_lo,
       size_t *ret_hi)
{
	size_t a = lo, b = hi;

	while (a < b) {
		size_t mid = (a + b) / 2;

		if ((int64_t)p[mid].sentence < from) {
			a = mid + 1;
		} else {
			b = mid;
		}
	}
	*ret_lo = a;
	b = hi;
	while (a < b) {
		size_t mid = (a + b) / 2;

		if ((int64_t)p[mid].sentence <= to) {
			a = mid + 1;
		} else {
			b = mid;
		}
	}
	*ret_hi = a;
}

/* Candidates: pairs sharing a word that occurs at most RARE times on each side near where
 * the other sentence would be if the documents matched in proportion (within `reach`
 * sentences: names and numbers are rare there, whatever the documents' length). */
static int
find_anchors(const struct doc *d, struct pair **ret, size_t *ret_n)
{
	size_t ns, nt, a = 0, b = 0, n = 0, cap = 1024;
	int64_t reach = (int64_t)((d->n > d->m ? d->n : d->m) / 20) + REACH_MIN;
	struct posting *ps = postings(d->src, d->n, &ns), *pt = postings(d->tgt, d->m, &nt);
	struct pair *c = malloc(cap * sizeof(*c));
	int r = 0;

	if (ps == NULL || pt == NULL || c == NULL) {
		r = -ENOMEM;
		goto out;
	}
	while (a < ns && b < nt) {
		size_t a_end = a, b_end = b;

		if (ps[a].id != pt[b].id) {
			ps[a].id < pt[b].id ? a++ : b++;
			continue;
		}
		while (a_end < ns && ps[a_end].id == ps[a].id) {
			a_end++;
		}
		while (b_end < nt && pt[b_end].id == pt[b].id) {
			b_end++;
		}
		for (size_t x = a; x < a_end; x++) {
			int64_t at = (int64_t)((double)ps[x].sentence * d->m / (d->n ? d->n : 1));
			size_t lo, hi;

			window(pt, b, b_end, at - reach, at + reach, &lo, &hi);
			if (hi - lo > RARE) {
				continue;
			}
			for (size_t y = lo; y < hi; y++) {
				int64_t back = (int64_t)((double)pt[y].sentence * d->n / (d->m ? d->m : 1));
				size_t slo, shi;

				window(ps, a, a_end, back - reach, back + reach, &slo, &shi);
				if (shi - slo > RARE) {
					continue;
				}
				{
					if (n == cap) {
						struct pair *p = realloc(c, 2 * cap * sizeof(*c));

						if (p == NULL) {
							r = -ENOMEM;
							goto out;
						}
						c = p;
						cap *= 2;
					}
					c[n++] = (struct pair){ps[x].sentence, pt[y].sentence};
				}
			}
		}
		a = a_end;
		b = b_end;
	}
	/* one candidate per pair, then only the sure ones */
	qsort(c, n, sizeof(*c), by_pair);
	{
		size_t k = 0;

		for (size_t x = 0; x < n; x++) {
			if ((k == 0 || c[k - 1].i != c[x].i || c[k - 1].j != c[x].j) &&
			    anchor_worthy(d, c[x].i, c[x].j)) {
				c[k++] = c[x];
			}
		}
		n = k;
	}
	r = chain(c, n, &n);
out:
	free(ps);
	free(pt);
	if (r < 0) {
		free(c);
		return r;
	}
	*ret = c;
	*ret_n = n;
	return 0;
}

static void
corridor_fini(struct corridor *c)
{
	free(c->lo);
	free(c->hi);
	free(c->off);
}

static uint32_t
clamp_col(int64_t j, size_t m)
{
	return j < 0 ? 0 : j > (int64_t)m ? (uint32_t)m : (uint32_t)j;
}

/* Rows 0..n: the rectangles between consecutive anchors (cell (i + 1, j + 1) after anchor
 * pair (i, j)), widened by margin; a rectangle past RECT_CELLS_MAX is a band around its
 * diagonal. Then each row's range is made to reach the next one's, so a path can cross. */
static int
corridor_make(const struct doc *d, const struct pair *anchors, size_t n_anchors,
	      uint32_t margin, struct corridor *c)
{
	size_t n = d->n, m = d->m;
	struct pair from = {0, 0};

	c->lo = malloc((n + 1) * sizeof(*c->lo));
	c->hi = malloc((n + 1) * sizeof(*c->hi));
	c->off = malloc((n + 2) * sizeof(*c->off));
	if (c->lo == NULL || c->hi == NULL || c->off == NULL) {
		corridor_fini(c);
		return -ENOMEM;
	}
	for (size_t i = 0; i <= n; i++) {
		c->lo[i] = UINT32_MAX;
		c->hi[i] = 0;
	}
	for (size_t k = 0; k <= n_anchors; k++) {
		struct pair to = k < n_anchors ? (struct pair){anchors[k].i + 1, anchors[k].j + 1}
					       : (struct pair){(uint32_t)n, (uint32_t)m};
		uint64_t rows = to.i - from.i + 1, cols = to.j - from.j + 1 + 2 * (uint64_t)margin;

		for (uint32_t i = from.i; i <= to.i; i++) {
			int64_t lo = (int64_t)from.j - margin, hi = (int64_t)to.j + margin;

			if (rows * cols > RECT_CELLS_MAX) {
				int64_t mid = from.j + (int64_t)(i - from.i) * (to.j - from.j) /
							       (int64_t)(rows > 1 ? rows - 1 : 1);
				int64_t half = margin > BAND_MIN ? margin : BAND_MIN;

				lo = mid - half > lo ? mid - half : lo;
				hi = mid + half < hi ? mid + half : hi;
			}
			c->lo[i] = clamp_col(lo, m) < c->lo[i] ? clamp_col(lo, m) : c->lo[i];
			c->hi[i] = clamp_col(hi, m) > c->hi[i] ? clamp_col(hi, m) : c->hi[i];
		}
		from = to;
	}
	c->lo[0] = 0;
	c->hi[n] = (uint32_t)m;
	/* ranges that never go back, and that overlap from row to row */
	for (size_t i = n; i-- > 0;) {
		c->lo[i] = c->lo[i] < c->lo[i + 1] ? c->lo[i] : c->lo[i + 1];
	}
	for (size_t i = 1; i <= n; i++) {
		c->hi[i] = c->hi[i] > c->hi[i - 1] ? c->hi[i] : c->hi[i - 1];
		if (c->lo[i] > c->hi[i - 1]) {
			c->lo[i] = c->hi[i - 1];
		}
	}
	c->off[0] = 0;
	for (size_t i = 0; i <= n; i++) {
		c->off[i + 1] = c->off[i] + (c->hi[i] - c->lo[i] + 1);
	}
	return 0;
}

static inline size_t
cell(const struct corridor *c, size_t i, size_t j)
{
	return j < c->lo[i] || j > c->hi[i] ? SIZE_MAX : c->off[i] + (j - c->lo[i]);
}

/* ---- the search ---------------------------------------------------------------------- */

struct search {
	const struct doc *d;
	const struct corridor *c;
	uint16_t *common; /* per cell (i, j): words shared by source i - 1 and target j - 1 */
	float *cost;      /* per cell: the least cost of aligning src[0..i) with tgt[0..j) */
	uint8_t *kind;    /* per cell: the last bead's kind on that path */
};

static uint32_t
common_at(const struct search *s, size_t i, size_t j)
{
	size_t k;

	if (i == 0 || j == 0) {
		return 0;
	}
	k = cell(s->c, i, j);
	return k == SIZE_MAX ? 0 : s->common[k];
}

/* How much of one sentence of a merged bead finds a translation on the other side: part
 * 0 or 1 of the source (side 0) or target (side 1) sentences of the bead ending at (i, j). */
static double
part_cover(const struct search *s, size_t i, size_t j, int a, int b, int part, int side)
{
	const struct doc *d = s->d;
	uint32_t common = 0, n_self, n_other = 0;

	if (side == 0) {
		size_t x = i - a + part; /* the source sentence */

		for (int y = 1; y <= b; y++) {
			common += common_at(s, x + 1, j - y + 1);
			n_other += d->tgt[j - y].n_words;
		}
		n_self = d->src[x].n_words;
	} else {
		size_t y = j - b + part;

		for (int x = 1; x <= a; x++) {
			common += common_at(s, i - x + 1, y + 1);
			n_other += d->src[i - x].n_words;
		}
		n_self = d->tgt[y].n_words;
	}
	if (n_self == 0 || n_other == 0) {
		return NO_EVIDENCE;
	}
	return common >= n_self || common >= n_other
		       ? 1
		       : (double)common / (n_self < n_other ? n_self : n_other);
}

/* The cost of the bead of kind k ending at cell (i, j). */
static double
bead_cost(const struct search *s, size_t i, size_t j, int k)
{
	const struct doc *d = s->d;
	int a = kinds[k][0], b = kinds[k][1];
	uint32_t sc = 0, tc = 0, sw = 0, tw = 0, common = 0;
	double cost, lex;

	if (a == 0 || b == 0) {
		const struct mnemo_align_sentence *lone = a ? &d->src[i - 1] : &d->tgt[j - 1];

		return lone->skip ? 0 : NULL_COST;
	}
	for (int x = 1; x <= a; x++) {
		const struct mnemo_align_sentence *t = &d->src[i - x];

		if (t->skip) {
			return MAX_COST;
		}
		sc += t->chars;
		sw += t->n_words;
		for (int y = 1; y <= b; y++) {
			if (copies(t, &d->tgt[j - y])) {
				return MAX_COST;
			}
			common += common_at(s, i - x + 1, j - y + 1);
		}
	}
	for (int y = 1; y <= b; y++) {
		const struct mnemo_align_sentence *t = &d->tgt[j - y];

		if (t->skip) {
			return MAX_COST;
		}
		tc += t->chars;
		tw += t->n_words;
	}
	cost = length_cost(d, sc, tc, NULL);
	lex = dice(common, sw, tw);
	/* A 2-2 bead stands for two pairs: its lexical term counts twice, as in the two 1-1
	 * beads it competes with, or two weak pairs would merge to pay it once. A 2-1 bead is
	 * one pair (counting it more makes merges lose to a 1-1 and a null wherever no
	 * dictionary gives evidence). */
	cost += LEX_WEIGHT * (1 - lex) * (a == 2 && b == 2 ? 2 : 1);
	if (a == 2 || b == 2) {
		cost += a == 2 && b == 2 ? MERGE22_COST : MERGE_COST;
		for (int part = 0; part < 2; part++) {
			double weakest = 1;

			if (a == 2) {
				double x = part_cover(s, i, j, a, b, part, 0);

				weakest = x < weakest ? x : weakest;
			}
			if (b == 2) {
				double y = part_cover(s, i, j, a, b, part, 1);

				weakest = y < weakest ? y : weakest;
			}
			cost += LEX_WEIGHT * 0.5 * (weakest < 0.3 ? (0.3 - weakest) / 0.3 : 0);
		}
		if ((a == 2 && d->src[i - 1].paragraph != d->src[i - 2].paragraph) ||
		    (b == 2 && d->tgt[j - 1].paragraph != d->tgt[j - 2].paragraph)) {
			cost += SPAN_COST;
		}
	} else {
		bool s_start = i == 1 || d->src[i - 1].paragraph != d->src[i - 2].paragraph;
		bool t_start = j == 1 || d->tgt[j - 1].paragraph != d->tgt[j - 2].paragraph;

		cost += s_start != t_start ? START_COST : 0;
	}
	return cost;
}

static int
search_run(struct search *s)
{
	const struct doc *d = s->d;
	const struct corridor *c = s->c;
	size_t cells = c->off[d->n + 1];

	s->common = malloc(cells * sizeof(*s->common));
	s->cost = malloc(cells * sizeof(*s->cost));
	s->kind = malloc(cells * sizeof(*s->kind));
	if (s->common == NULL || s->cost == NULL || s->kind == NULL) {
		return -ENOMEM;
	}
	for (size_t i = 0; i <= d->n; i++) {
		for (size_t j = c->lo[i]; j <= c->hi[i]; j++) {
			uint32_t x = i > 0 && j > 0 ? shared(&d->src[i - 1], &d->tgt[j - 1]) : 0;

			s->common[cell(c, i, j)] = x > UINT16_MAX ? UINT16_MAX : (uint16_t)x;
		}
	}
	for (size_t i = 0; i <= d->n; i++) {
		for (size_t j = c->lo[i]; j <= c->hi[i]; j++) {
			size_t here = cell(c, i, j);
			float best = i == 0 && j == 0 ? 0 : MAX_COST;
			uint8_t best_kind = 0;

			for (int k = 0; k < N_KINDS; k++) {
				size_t a = kinds[k][0], b = kinds[k][1], from;
				double total;

				if (a > i || b > j || (from = cell(c, i - a, j - b)) == SIZE_MAX ||
				    s->cost[from] >= MAX_COST) {
					continue;
				}
				total = s->cost[from] + bead_cost(s, i, j, k);
				if (total < best) {
					best = (float)total;
					best_kind = (uint8_t)k;
				}
			}
			s->cost[here] = best;
			s->kind[here] = best_kind;
		}
	}
	return 0;
}

/* ---- confidence -------------------------------------------------------------------- */

/* A paired bead's confidence (align.h) as log odds: a base, less next to unpaired
 * sentences (the edges of deleted, inserted or untranslated text, where beads shift: on
 * the damaged man pages one such 1-1 bead in ten is wrong, against one in 400 elsewhere),
 * less for a paragraph's first sentence paired with one that is not, for sentences with
 * words that share none, and for a costly bead. */
#define CONF_BASE 5.0
#define CONF_NULL_NEXT 3.5    /* per neighbouring 1-0 or 0-1 bead */
#define CONF_START 2.0        /* first sentences of a paragraph on one side only */
#define CONF_NOTHING_SHARED 2.0
#define CONF_COST_OK 3.0      /* a bead's cost past this lowers the odds... */
#define CONF_PER_COST 0.5     /* ...this much per unit */

static bool
is_null(const struct mnemo_align_bead *b)
{
	return b->n_src == 0 || b->n_tgt == 0;
}

static bool
starts_paragraph(const struct mnemo_align_sentence *v, uint32_t x)
{
	return x == 0 || v[x].paragraph != v[x - 1].paragraph;
}

/* Whether the bead's two sides have words and share none of them. */
static bool
nothing_shared(const struct search *s, const struct mnemo_align_bead *b)
{
	uint32_t common = 0, sw = 0, tw = 0;

	for (uint32_t x = b->src; x < b->src + b->n_src; x++) {
		sw += s->d->src[x].n_words;
		for (uint32_t y = b->tgt; y < b->tgt + b->n_tgt; y++) {
			common += common_at(s, x + 1, y + 1);
		}
	}
	for (uint32_t y = b->tgt; y < b->tgt + b->n_tgt; y++) {
		tw += s->d->tgt[y].n_words;
	}
	return common == 0 && sw > 0 && tw > 0;
}

/* Turns each bead's score, its cost on entry, into its confidence: 0 for 1-0 and 0-1. */
static void
confidence(const struct search *s, struct mnemo_align_bead *b, size_t n)
{
	for (size_t x = 0; x < n; x++) {
		double odds = CONF_BASE, cost = b[x].score;
		int nulls_next = (x > 0 && is_null(&b[x - 1])) + (x + 1 < n && is_null(&b[x + 1]));

		if (is_null(&b[x])) {
			b[x].score = 0;
			continue;
		}
		odds -= CONF_NULL_NEXT * nulls_next;
		if (starts_paragraph(s->d->src, b[x].src) !=
		    starts_paragraph(s->d->tgt, b[x].tgt)) {
			odds -= CONF_START;
		}
		if (nothing_shared(s, &b[x])) {
			odds -= CONF_NOTHING_SHARED;
		}
		odds -= cost > CONF_COST_OK ? CONF_PER_COST * (cost - CONF_COST_OK) : 0;
		b[x].score = (float)(1 / (1 + exp(-odds)));
	}
}

/* The anchors around row i (cell rows are an anchor's source sentence plus one): the two
 * that bound the rectangle the row belongs to are marked to be dropped. */
static void
mark_anchors(const struct pair *anchors, size_t n_anchors, size_t i, bool *drop)
{
	size_t lo = 0, hi = n_anchors;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (anchors[mid].i + 1 < i) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	if (lo < n_anchors) {
		drop[lo] = true;
	}
	if (lo > 0) {
		drop[lo - 1] = true;
	}
}

/* The beads of the best path, in order; *ret_touched: whether it ran along the
 * corridor's edge where the edge is not the document's, and there drop marks the anchors
 * that drew that edge (a wrong anchor bends the corridor away from the path). */
static int
search_beads(const struct search *s, const struct pair *anchors, size_t n_anchors, bool *drop,
	     struct mnemo_align_bead **ret, size_t *ret_n, bool *ret_touched)
{
	const struct doc *d = s->d;
	size_t i = d->n, j = d->m, n = 0;
	struct mnemo_align_bead *b = malloc((d->n + d->m + 1) * sizeof(*b));

	if (b == NULL) {
		return -ENOMEM;
	}
	*ret_touched = false;
	while (i > 0 || j > 0) {
		int k = s->kind[cell(s->c, i, j)];
		size_t a = kinds[k][0], bb = kinds[k][1];
		float cost = (float)bead_cost(s, i, j, k); /* confidence() makes it a score */

		if ((j == s->c->lo[i] && j > 0 && i > 0) || (j == s->c->hi[i] && j < d->m && i < d->n)) {
			*ret_touched = true;
			mark_anchors(anchors, n_anchors, i, drop);
		}
		b[n++] = (struct mnemo_align_bead){(uint32_t)(i - a), (uint32_t)a, (uint32_t)(j - bb),
						   (uint32_t)bb, cost};
		i -= a;
		j -= bb;
	}
	for (size_t x = 0; x < n / 2; x++) {
		struct mnemo_align_bead t = b[x];

		b[x] = b[n - 1 - x];
		b[n - 1 - x] = t;
	}
	confidence(s, b, n);
	*ret = b;
	*ret_n = n;
	return 0;
}

static void
search_fini(struct search *s)
{
	free(s->common);
	free(s->cost);
	free(s->kind);
}

int
mnemo_align(const struct mnemo_align_sentence *src, size_t n_src,
	    const struct mnemo_align_sentence *tgt, size_t n_tgt, struct mnemo_align_bead **ret,
	    size_t *ret_n, struct mnemo_align_stats *stats)
{
	struct doc d = {src, tgt, n_src, n_tgt, 1};
	struct mnemo_align_stats st = {0};
	uint64_t sc = 0, tc = 0;
	struct pair *anchors = NULL;
	size_t n_anchors = 0;
	uint32_t margin = MARGIN;
	int r;

	if (n_src >= UINT32_MAX || n_tgt >= UINT32_MAX) {
		return -E2BIG;
	}
	for (size_t i = 0; i < n_src; i++) {
		sc += src[i].skip ? 0 : src[i].chars;
	}
	for (size_t j = 0; j < n_tgt; j++) {
		tc += tgt[j].skip ? 0 : tgt[j].chars;
	}
	d.ratio = sc > 0 && tc > 0 ? (double)tc / sc : 1;
	r = find_anchors(&d, &anchors, &n_anchors);
	if (r < 0) {
		return r;
	}
	st.anchors = (uint32_t)n_anchors;
	for (;;) {
		struct corridor c = {0};
		struct search s = {&d, &c, NULL, NULL, NULL};
		struct mnemo_align_bead *beads = NULL;
		bool touched = false, *drop = calloc(n_anchors + 1, sizeof(*drop));
		size_t kept = 0;

		r = drop != NULL ? corridor_make(&d, anchors, n_anchors, margin, &c) : -ENOMEM;
		if (r == 0) {
			r = search_run(&s);
		}
		if (r == 0) {
			st.cells += c.off[d.n + 1];
			r = search_beads(&s, anchors, n_anchors, drop, &beads, ret_n, &touched);
		}
		search_fini(&s);
		corridor_fini(&c);
		if (r < 0 || !touched || st.widenings == MAX_WIDENINGS) {
			free(drop);
			*ret = beads;
			break;
		}
		free(beads);
		st.widenings++;
		/* Again without the anchors that bent the corridor there; when none did (the
		 * edge was a band's, or the margin's at the documents' ends), a wider one. */
		for (size_t k = 0; k < n_anchors; k++) {
			if (!drop[k]) {
				anchors[kept++] = anchors[k];
			}
		}
		if (kept == n_anchors) {
			margin *= 4;
		}
		n_anchors = kept;
		free(drop);
	}
	free(anchors);
	if (stats != NULL) {
		*stats = st;
	}
	return r;
}
