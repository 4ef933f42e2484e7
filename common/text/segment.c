/* Sentence segmentation.
 *
 * For languages with rules (French, English) a byte scanner finds every candidate: a run
 * of terminators (. ! ? … and the other sentence terminators), an emoji, or a capitalised
 * sentence starter glued to the word before it. Each is judged on a bounded window:
 *
 * - after a period, abbrev.c decides with the language's abbreviations ("M. Dupont",
 *   "p. ex. Paris"), initials ("J. K. Rowling") and list markers ("1. Introduction");
 * - a closing quote after white space ("Vraiment ? »", French spacing) belongs to the
 *   sentence it closes, and an opening quote glued to a period ("fin.« Début") to the
 *   next one;
 * - after ? and ! a lower-case word, a comma or a colon continues the sentence:
 *   "« Vraiment ? » demanda-t-il." is one sentence;
 * - '…' ends a sentence before a capital, and so does a dialogue dash ("Tu viens ? — Non.");
 * - inside URLs and e-mail addresses ("?q=a.b", "a.b@c.fr") nothing ends;
 * - scraped text loses spaces: "avancé.Selon" and "…au Haut-KarabakhSelon le bilan" are
 *   two sentences, "U.S.A" and "iPhone" are not.
 *
 * Other languages get ICU's sentence rules (UAX #29), corrected the same way. Each
 * decision looks at a bounded window around one candidate and each byte is scanned a
 * bounded number of times, so a run is linear in the input; the scanner does not decode
 * UTF-8 between candidates, which is what makes it faster than ICU's iterator. */
#include "segment.h"
#include "text.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/uloc.h>
#include <unicode/utext.h>
#include <unicode/utf8.h>

#include "abbrev.h"

/* ICU's break iterators count in int32_t, so a longer line is cut into pieces of this
 * size (at a space if there is one near the end), each segmented on its own. */
#ifndef PIECE_MAX
#define PIECE_MAX (1 << 30)
#endif

/* How far the URL and lower-case look-arounds go, in bytes. */
enum { LOOK_MAX = 256 };

struct mnemo_segmenter {
	int abbrev_list;    /* the language's rules; 0: ICU's iterator instead */
	UBreakIterator *bi; /* only without rules */
	UText ut;           /* reopened on each piece of text, never reallocated */
};

struct segs {
	struct mnemo_seg *v;
	size_t n;
	size_t cap;
};

/* One paragraph (or piece of one) being segmented: p[0..n). */
struct run {
	const uint8_t *p;
	int32_t n;
	int abbrev_list;
	int32_t start;     /* start of the sentence being built */
	int32_t first;     /* its first non-space byte, -1 until needed */
	int32_t last_term; /* end of the last terminator already judged */
	int32_t quotes_to; /* straight double quotes are counted in [start, quotes_to) */
	bool quote_open;   /* ...and an odd number of them is open there */
};

enum verdict {
	SKIP, /* not a new candidate: its terminator was judged already */
	DROP,
	KEEP,
};

static bool
is_space(UChar32 c)
{
	if (c < 0x80) {
		return c == ' ' || (c >= '\t' && c <= '\r');
	}
	/* Zero-width space and BOM are invisible in scraped text; trim them like spaces. */
	return u_isUWhiteSpace(c) || c == 0x200b || c == 0xfeff;
}

static bool
is_term(UChar32 c)
{
	if (c < 0x80) {
		return c == '.' || c == '!' || c == '?';
	}
	return c == 0x2026 || u_hasBinaryProperty(c, UCHAR_S_TERM);
}

static bool
is_quote(UChar32 c)
{
	int8_t type;

	if (c < 0x80) {
		return c == '"' || c == '\'' || c == '(' || c == ')' || c == '[' || c == ']' ||
		       c == '{' || c == '}';
	}
	type = u_charType(c);
	return type == U_START_PUNCTUATION || type == U_END_PUNCTUATION ||
	       type == U_INITIAL_PUNCTUATION || type == U_FINAL_PUNCTUATION;
}

static bool
is_dash(UChar32 c)
{
	return c == '-' || (c >= 0x80 && u_charType(c) == U_DASH_PUNCTUATION);
}

static bool
is_lower(UChar32 c)
{
	return c >= 0 && u_isULowercase(c);
}

/* Emoji, and what joins them into one: ZWJ, variation selectors, skin tones, keycaps. */
static bool
is_emoji_part(UChar32 c)
{
	return c == 0x200d || c == 0xfe0f || c == 0x20e3 || (c >= 0x1f3fb && c <= 0x1f3ff) ||
	       (c >= 0xe0020 && c <= 0xe007f) || u_hasBinaryProperty(c, UCHAR_EXTENDED_PICTOGRAPHIC) ||
	       u_hasBinaryProperty(c, UCHAR_REGIONAL_INDICATOR);
}

/* Symbols that open a list item, never close a sentence: "Sans engagement. ✔ Résiliable". */
static bool
is_bullet(UChar32 c)
{
	switch (c) {
	case 0x2022: /* • */
	case 0x2192: /* → */
	case 0x25b6: /* ▶ */
	case 0x25ba: /* ► */
	case 0x2713: /* ✓ */
	case 0x2714: /* ✔ */
	case 0x2705: /* ✅ */
	case 0x27a1: /* ➡ */
	case 0x1f449: /* 👉 */
	case 0x1f4cc: /* 📌 */
	case 0x1f538: /* 🔸 */
	case 0x1f539: /* 🔹 */
	case 0x1f53a: /* 🔺 */
		return true;
	default:
		return false;
	}
}

/* A capital then a lower-case letter at p[i]: "Selon", not "NET" or "D.". */
static bool
titlecase_at(const uint8_t *p, int32_t i, int32_t n)
{
	UChar32 c;

	if (i >= n) {
		return false;
	}
	U8_NEXT(p, i, n, c);
	if (c < 0 || !u_isUUppercase(c) || i >= n) {
		return false;
	}
	U8_NEXT(p, i, n, c);
	return is_lower(c);
}

/* Whether the token at p[i] (up to white space) holds a '.', '@' or '/': a file or domain
 * name ("Exemple.fr", "ASP.NET"), not the first word of a sentence. */
static bool
dotted_token(const uint8_t *p, int32_t i, int32_t n)
{
	for (int32_t end = n - i > LOOK_MAX ? i + LOOK_MAX : n; i < end; i++) {
		if (p[i] == ' ' || p[i] == '\t' || p[i] == 0xc2) {
			return false;
		}
		if ((p[i] == '.' || p[i] == '@' || p[i] == '/') && i + 1 < n &&
		    (p[i + 1] != ' ' && p[i + 1] != 0xc2)) {
			return true;
		}
	}
	return false;
}

/* Whether the quote or bracket c, met after a terminator, closes the sentence before it.
 * Straight quotes and apostrophes close when glued to the terminator ("oui." Puis),
 * and a straight double quote also when one is open in the sentence. */
static bool
closes(UChar32 c, bool spaced, bool *quote_open)
{
	int8_t type;

	if (c == '"') {
		if (*quote_open || !spaced) {
			*quote_open = false;
			return true;
		}
		return false;
	}
	if (c == '\'' || c == 0x2019) {
		return !spaced;
	}
	type = u_charType(c);
	return type == U_END_PUNCTUATION || type == U_FINAL_PUNCTUATION;
}

/* The first letter at or after i, skipping digits, spaces and punctuation but stopping at
 * a terminator, is lower case: ICU's rule SB8 for '.', applied to '…' and moved breaks. */
static bool
lower_follows(const uint8_t *p, int32_t i, int32_t n)
{
	int32_t end = n - i > LOOK_MAX ? i + LOOK_MAX : n;

	while (i < end) {
		UChar32 c;

		U8_NEXT(p, i, end, c);
		if (c < 0 || is_term(c)) {
			return false;
		}
		if (u_isUAlphabetic(c)) {
			return is_lower(c);
		}
	}
	return false;
}

/* Whether the run of non-space bytes around [ts, te) looks like a URL or an e-mail
 * address, inside which ? ! and . do not end anything. */
static bool
in_url(const uint8_t *p, int32_t from, int32_t ts, int32_t te, int32_t n)
{
	int32_t a = ts, b = te, i;

	while (a > from && ts - a < LOOK_MAX) {
		int32_t k = a;
		UChar32 c;

		U8_PREV(p, from, k, c);
		if (is_space(c)) {
			break;
		}
		a = k;
	}
	while (b < n && b - te < LOOK_MAX) {
		int32_t k = b;
		UChar32 c;

		U8_NEXT(p, k, n, c);
		if (is_space(c)) {
			break;
		}
		b = k;
	}
	if (b - a >= 4 && memcmp(p + a, "www.", 4) == 0) {
		return true;
	}
	for (i = a; i < b; i++) {
		if (p[i] == '@' ||
		    (p[i] == ':' && b - i >= 3 && p[i + 1] == '/' && p[i + 2] == '/')) {
			return true;
		}
	}
	return false;
}

/* Scraped text often loses the space between sentences: "ont avancé.Selon Erevan". ICU
 * keeps "word.Word" together (rule SB7, for "U.S"); a lower-case letter before the period
 * and a capitalised word after it is taken as two sentences, URLs aside. */
static bool
glued_sentences(const uint8_t *p, int32_t ts, int32_t te, int32_t n)
{
	int32_t i = ts;
	UChar32 c;

	if (te - ts != 1 || p[ts] != '.' || ts == 0 || te >= n) {
		return false;
	}
	/* "avancé.Selon", "en 2023.Ils", "à 52%.Le", "(voir plus haut).La" */
	U8_PREV(p, 0, i, c);
	if (!(is_lower(c) || u_isdigit(c) || c == '%' || c == ')' || c == 0xbb || c == '"')) {
		return false;
	}
	i = te;
	U8_NEXT(p, i, n, c);
	/* "reporté.(Les billets", "Genève."Nous…" */
	return titlecase_at(p, c == '(' || c == '"' || c == 0xab || c == 0x201c ? i : te, n);
}

/* Ends of the terminator runs ICU does not report: after '…' (not a terminator in UAX #29),
 * before a dialogue dash (a "sentence continuation" there) and between glued sentences.
 * Returns n when none is left; *cursor keeps the scan linear across calls. */
static int32_t
next_extra(const uint8_t *p, int32_t n, int32_t *cursor)
{
	int32_t i = *cursor;

	while (i < n) {
		int32_t te, j;
		bool ellipsis = false, spaced = false;

		if (p[i] != '.' && p[i] != '!' && p[i] != '?' && p[i] != 0xe2) {
			i++;
			continue;
		}
		te = i;
		while (te < n) {
			if (p[te] == '.' || p[te] == '!' || p[te] == '?') {
				te++;
			} else if (n - te >= 3 && p[te] == 0xe2 && p[te + 1] == 0x80 &&
				   p[te + 2] == 0xa6) {
				te += 3;
				ellipsis = true;
			} else {
				break;
			}
		}
		if (te == i) {
			i++;
			continue;
		}
		*cursor = te;
		if (ellipsis || glued_sentences(p, i, te, n)) {
			return te;
		}
		for (j = te; j < n;) {
			int32_t k = j;
			UChar32 c;

			U8_NEXT(p, k, n, c);
			if (is_space(c)) {
				spaced = true;
			} else if (!is_quote(c)) {
				if (spaced && is_dash(c)) {
					return te;
				}
				break;
			}
			j = k;
		}
		i = te;
	}
	*cursor = n;
	return n;
}

static void
count_quotes(struct run *r, int32_t to)
{
	int32_t i;

	for (i = r->quotes_to; i < to; i++) {
		if (r->p[i] == '"') {
			r->quote_open = !r->quote_open;
		}
	}
	if (to > r->quotes_to) {
		r->quotes_to = to;
	}
}

/* First non-space byte of the current sentence, found once per sentence: leading spaces
 * are not rescanned for every abbreviation inside it. */
static int32_t
sentence_first(struct run *r)
{
	int32_t i = r->start;

	if (r->first >= 0) {
		return r->first;
	}
	while (i < r->n) {
		int32_t k = i;
		UChar32 c;

		U8_NEXT(r->p, k, r->n, c);
		if (c < 0 || !is_space(c)) {
			break;
		}
		i = k;
	}
	r->first = i;
	return i;
}

/* An enumeration on one line, "1. Introduction 2. Méthode 3. Résultats": the period at
 * ts follows the number k, the sentence began with item k - 1, so the item ends before
 * k (*ret_split). */
static bool
next_item(struct run *r, int32_t ts, int32_t *ret_split)
{
	const uint8_t *p = r->p;
	int32_t ks = ts, first = sentence_first(r), i;
	long k = 0, prev = 0;

	while (ks > first && ts - ks < 3 && p[ks - 1] >= '0' && p[ks - 1] <= '9') {
		ks--;
	}
	if (ks == ts || ks <= first || p[ks - 1] != ' ') {
		return false;
	}
	for (i = ks; i < ts; i++) {
		k = 10 * k + (p[i] - '0');
	}
	for (i = first; i < r->n && i - first < 3 && p[i] >= '0' && p[i] <= '9'; i++) {
		prev = 10 * prev + (p[i] - '0');
	}
	if (i == first || i >= r->n || p[i] != '.' || prev + 1 != k) {
		return false;
	}
	*ret_split = ks;
	return true;
}

/* Judges the candidate boundary c: finds the terminator run before it, decides where the
 * sentence really ends (*ret_split, after any closing quotes) and whether it ends. */
static enum verdict
judge(struct run *r, int32_t c, bool from_icu, int32_t *ret_split)
{
	const uint8_t *p = r->p;
	int32_t i = c, k, te, ts, cpos, next, split;
	bool spaced = false, opened = false, strong = false, ellipsis = false, quote_open;
	int dots = 0;
	UChar32 ch;

	/* Back over white space and quotes to the terminator. */
	while (i > r->start) {
		k = i;
		U8_PREV(p, r->start, k, ch);
		if (ch < 0 || !(is_space(ch) || is_quote(ch))) {
			break;
		}
		i = k;
	}
	if (i == r->start) {
		return SKIP;
	}
	k = i;
	U8_PREV(p, r->start, k, ch);
	if (ch < 0 || !is_term(ch)) {
		/* ICU knows a terminator this file does not; trust it. */
		*ret_split = c;
		return from_icu ? KEEP : SKIP;
	}
	te = i;
	if (te <= r->last_term) {
		return SKIP;
	}
	r->last_term = te;

	for (ts = te; ts > r->start; ts = k) {
		k = ts;
		U8_PREV(p, r->start, k, ch);
		if (ch < 0 || !is_term(ch)) {
			break;
		}
		if (ch == '.') {
			dots++;
		} else if (ch == 0x2026) {
			ellipsis = true;
		} else {
			strong = true;
		}
	}
	ellipsis |= dots > 1;

	/* Forward over white space and quotes: closing ones belong to this sentence. */
	count_quotes(r, te);
	quote_open = r->quote_open;
	split = te;
	for (i = te; i < r->n; i = k) {
		k = i;
		U8_NEXT(p, k, r->n, ch);
		if (ch < 0) {
			break;
		}
		if (is_space(ch)) {
			spaced = true;
		} else if (is_quote(ch)) {
			/* "Genève."Nous…": a straight quote glued to a capital opens the next. */
			bool opens_next = ch == '"' && !spaced && !quote_open && titlecase_at(p, k, r->n);

			if (!opened && !opens_next && closes(ch, spaced, &quote_open)) {
				split = k;
			} else {
				opened = true;
			}
		} else if (!opened && ch > 0x7f && !is_bullet(ch) && is_emoji_part(ch)) {
			split = k; /* "Bravo ! 🎉 Demain…": the emoji closes the sentence */
		} else {
			break;
		}
	}
	cpos = i;
	*ret_split = split;
	if (cpos >= r->n) {
		return KEEP;
	}
	k = cpos;
	U8_NEXT(p, k, r->n, ch);

	if (!spaced) {
		if (u_isdigit(ch) && !strong) {
			return DROP; /* "3.14", "1.000.000", "2.3. Installation" */
		}
		/* "?q=1", "!x", "?id=2"; a capital after a glued '?' is still a new sentence */
		if (strong &&
		    (is_lower(ch) || u_isdigit(ch) || ch == '/' || ch == '=' || ch == '&')) {
			return DROP;
		}
		if (in_url(p, r->start, ts, te, r->n)) {
			return DROP;
		}
		if (!strong && !ellipsis && split == te && !is_dash(ch) &&
		    !(glued_sentences(p, ts, te, r->n) && !dotted_token(p, te, r->n))) {
			/* Glued only "avancé.Selon" (abbreviations aside: "Mme.Durand"), not
			 * "ASP.NET", "Exemple.fr", "Ph.D" nor ".NET". */
			return DROP;
		}
	}
	next = cpos;
	if (is_dash(ch)) {
		int32_t after = k;
		UChar32 w = 0;

		while (after < r->n) {
			int32_t j = after;

			U8_NEXT(p, j, r->n, w);
			if (!is_space(w) && !is_quote(w)) {
				break;
			}
			after = j;
		}
		if (!spaced && (ch == '-' || !(strong || ellipsis))) {
			return DROP; /* "fin.-" is a hyphen; "—Tu m'entends ?—Oui !" is dialogue */
		}
		if (strong || ellipsis) {
			/* "Tu viens ? — Non." ends; "« Et l'argent ? » — puis le silence" goes on */
			return is_lower(w) ? DROP : KEEP;
		}
		for (next = k; next < r->n; next = i) {
			i = next;
			U8_NEXT(p, i, r->n, ch);
			if (!is_space(ch)) {
				break;
			}
		}
	} else if (ch == ',' || ch == ';' || ch == ':' ||
		   u_getIntPropertyValue(ch, UCHAR_SENTENCE_BREAK) == U_SB_SCONTINUE) {
		return DROP; /* "« Non ! », dit-il" */
	} else if (is_term(ch)) {
		return DROP; /* spaced-out punctuation: "Quoi ? ! ?", "Ah ! …" */
	}

	if (strong) {
		return is_lower(ch) ? DROP : KEEP;
	}
	if (lower_follows(p, cpos, r->n)) {
		return DROP;
	}
	if (ellipsis || split != te || r->abbrev_list == 0) {
		return KEEP;
	}
	if (dots == 1 && titlecase_at(p, cpos, r->n) && next_item(r, ts, ret_split)) {
		return KEEP; /* "1. Introduction 2. Méthode": the item ends before its number */
	}
	return mnemo_text_abbrev_ends(r->abbrev_list, p, sentence_first(r), te - 1, next, r->n)
		       ? KEEP
		       : DROP;
}

/* A sentence ends with a terminator, possibly followed by closing quotes or brackets
 * (and the spaces French puts before them). */
static enum mnemo_seg_kind
kind_of(const uint8_t *p, int32_t start, int32_t end)
{
	int32_t i = end;
	int skipped = 0;

	while (i > start) {
		UChar32 c;

		U8_PREV(p, start, i, c);
		if (c >= 0 && (is_quote(c) || is_space(c)) && skipped++ < 16) {
			continue;
		}
		return c >= 0 && is_term(c) ? MNEMO_SEG_SENTENCE : MNEMO_SEG_HEADING;
	}
	return MNEMO_SEG_HEADING;
}

static void
trim(const uint8_t *p, int32_t *start, int32_t *end)
{
	while (*start < *end) {
		int32_t k = *start;
		UChar32 c;

		U8_NEXT(p, k, *end, c);
		if (c < 0 || !is_space(c)) {
			break;
		}
		*start = k;
	}
	while (*end > *start) {
		int32_t k = *end;
		UChar32 c;

		U8_PREV(p, *start, k, c);
		if (c < 0 || !is_space(c)) {
			break;
		}
		*end = k;
	}
}

void
mnemo_segmenter_trim(const char *text, uint32_t *start, uint32_t *end)
{
	int32_t s = 0, e = (int32_t)(*end - *start);

	trim((const uint8_t *)text + *start, &s, &e);
	*end = *start + (uint32_t)e;
	*start += (uint32_t)s;
}

enum mnemo_seg_kind
mnemo_segmenter_kind_of(const char *text, uint32_t start, uint32_t end)
{
	return kind_of((const uint8_t *)text + start, 0, (int32_t)(end - start));
}

/* Appends p[start..end) trimmed of white space, unless nothing is left. base is p's offset
 * in the caller's text. */
static int
emit(struct segs *out, const uint8_t *p, int32_t start, int32_t end, size_t base,
     uint32_t paragraph)
{
	struct mnemo_seg *seg;

	trim(p, &start, &end);
	if (start == end) {
		return 0;
	}
	if (out->n == out->cap) {
		size_t cap = out->cap != 0 ? 2 * out->cap : 64;
		struct mnemo_seg *v = reallocarray(out->v, cap, sizeof(*v));

		if (v == NULL) {
			return -ENOMEM;
		}
		out->v = v;
		out->cap = cap;
	}
	seg = &out->v[out->n++];
	seg->start = (uint32_t)(base + (size_t)start);
	seg->end = (uint32_t)(base + (size_t)end);
	seg->paragraph = paragraph;
	seg->kind = kind_of(p, start, end);
	return 0;
}

static int
segment_piece(struct mnemo_segmenter *sg, const char *text, size_t base, int32_t n,
	      uint32_t paragraph, struct segs *out)
{
	struct run r = {0};
	UErrorCode st = U_ZERO_ERROR;
	int32_t icu, extra, cursor = 0;
	int ret;

	r.p = (const uint8_t *)text + base;
	r.n = n;
	r.abbrev_list = sg->abbrev_list;
	r.first = -1;
	utext_openUTF8(&sg->ut, text + base, n, &st);
	ubrk_setUText(sg->bi, &sg->ut, &st);
	if (U_FAILURE(st)) {
		return mnemo_err_from_icu(st);
	}
	ubrk_first(sg->bi);
	icu = ubrk_next(sg->bi);
	extra = next_extra(r.p, n, &cursor);
	for (;;) {
		int32_t c, split;
		bool from_icu;

		if (icu == UBRK_DONE) {
			icu = n;
		}
		c = icu < extra ? icu : extra;
		if (c >= n) {
			break;
		}
		from_icu = c == icu;
		if (c == icu) {
			icu = ubrk_next(sg->bi);
		}
		if (c == extra) {
			extra = next_extra(r.p, n, &cursor);
		}
		if (c <= r.start || judge(&r, c, from_icu, &split) != KEEP) {
			continue;
		}
		ret = emit(out, r.p, r.start, split, base, paragraph);
		if (ret < 0) {
			return ret;
		}
		r.start = split;
		r.first = -1;
		r.quotes_to = split;
		r.quote_open = false;
	}
	return emit(out, r.p, r.start, n, base, paragraph);
}

/* The bytes the scanner stops at: every terminator, emoji and capital letter starts with
 * one of these (for the scripts the rule-based languages are written in). Everything
 * else is skipped without decoding. */
enum { STOP_ASCII_TERM = 1, STOP_ASCII_UPPER = 2, STOP_MULTI = 3 };

static const uint8_t stops[256] = {
	['.'] = STOP_ASCII_TERM, ['!'] = STOP_ASCII_TERM, ['?'] = STOP_ASCII_TERM,
	['A' ... 'Z'] = STOP_ASCII_UPPER,
	[0xc3] = STOP_MULTI, /* À-Þ */
	[0xc4 ... 0xc9] = STOP_MULTI, /* Latin Extended-A and -B capitals: Œ, Ł... */
	[0xce ... 0xd4] = STOP_MULTI, /* Greek and Cyrillic capitals */
	[0xe2] = STOP_MULTI, /* … ‼ ⁇ and the older emoji */
	[0xe3] = STOP_MULTI, /* 。 */
	[0xef] = STOP_MULTI, /* ！ ？ ． */
	[0xf0] = STOP_MULTI, /* emoji */
};

/* The end of the terminator run starting at i. */
static int32_t
terminators_end(const uint8_t *p, int32_t i, int32_t n)
{
	while (i < n) {
		int32_t k = i;
		UChar32 c;

		if (p[i] == '.' || p[i] == '!' || p[i] == '?') {
			i++;
			continue;
		}
		if (p[i] < 0x80) {
			break;
		}
		U8_NEXT(p, k, n, c);
		if (c < 0 || !is_term(c)) {
			break;
		}
		i = k;
	}
	return i;
}

/* A headline that lost its line break before the lead: a capital glued to a lower-case
 * letter. It counts when what follows is a usual sentence starter ("…au
 * Haut-KarabakhSelon le dernier bilan"), a dateline in capitals ("…s'amorcePARIS - Le
 * niveau"), or, after a lower-case word of four letters or more, a capitalised word and
 * then a lower-case one ("…evacuatedHeavy rain caused"). "iPhone", "McDonald", "parseInt("
 * and "LinkedIn" stay whole. */
static bool
glued_start(const struct run *r, int32_t i, int32_t after)
{
	const uint8_t *p = r->p;
	int32_t k = i, j, caps = 1, lowers = 0;
	UChar32 c;

	if (i <= r->start + 1 || after >= r->n) {
		return false;
	}
	U8_PREV(p, r->start, k, c);
	if (!is_lower(c)) {
		return false;
	}
	if (in_url(p, r->start, i, after, r->n)) {
		return false;
	}
	/* A dateline: capitals, then " - ", " – " or " (". */
	for (j = after; j < r->n;) {
		int32_t m = j;

		U8_NEXT(p, m, r->n, c);
		if (c < 0 || !u_isUUppercase(c)) {
			break;
		}
		caps++;
		j = m;
	}
	if (caps >= 3 && r->n - j >= 3 && p[j] == ' ' &&
	    (p[j + 1] == '-' || p[j + 1] == '(' ||
	     (r->n - j >= 4 && p[j + 1] == 0xe2 && p[j + 2] == 0x80 && p[j + 3] == 0x93))) {
		return true;
	}
	k = after;
	U8_NEXT(p, k, r->n, c);
	if (!is_lower(c)) {
		return false; /* "TVA", "CNN": all capitals */
	}
	if (mnemo_text_abbrev_is_starter(r->abbrev_list, p, i, r->n)) {
		return true;
	}
	/* A long lower-case word before, a word then a space and a lower-case word after. */
	for (k = i; k > r->start && lowers < 64;) {
		int32_t m = k;

		U8_PREV(p, r->start, m, c);
		if (!is_lower(c)) {
			break;
		}
		lowers++;
		k = m;
	}
	if (lowers < 4 || (k > r->start && u_isalpha(c))) {
		return false; /* short, or "JavaScript": a capital starts the word before */
	}
	for (j = after; j < r->n;) {
		int32_t m = j;

		U8_NEXT(p, m, r->n, c);
		if (!is_lower(c)) {
			break;
		}
		j = m;
	}
	if (j >= r->n - 1 || p[j] != ' ') {
		return false;
	}
	k = j + 1;
	U8_NEXT(p, k, r->n, c);
	return is_lower(c);
}

/* Whether the sentence being built has anything but white space before p[i]. */
static bool
has_text_before(const struct run *r, int32_t i)
{
	while (i > r->start) {
		int32_t m = i;
		UChar32 c;

		U8_PREV(r->p, r->start, m, c);
		if (!is_space(c)) {
			return true;
		}
		i = m;
	}
	return false;
}

/* The end of the emoji sequence at i if a sentence ends after it: "C'est parti 🎉
 * Rendez-vous demain." (a capital, an opening quote or a dash after the space); else -1. */
static int32_t
emoji_end(const struct run *r, int32_t i)
{
	const uint8_t *p = r->p;
	int32_t e = i, k = i;
	bool spaced = false;
	UChar32 c;

	/* A bullet, or an emoji opening the sentence, is not the end of anything. */
	U8_NEXT(p, k, r->n, c);
	if (is_bullet(c) || !has_text_before(r, i)) {
		return -1;
	}
	while (e < r->n) {
		k = e;
		U8_NEXT(p, k, r->n, c);
		if (c < 0 || !is_emoji_part(c)) {
			break;
		}
		e = k;
	}
	for (k = e; k < r->n;) {
		int32_t j = k;

		U8_NEXT(p, j, r->n, c);
		if (!is_space(c)) {
			break;
		}
		spaced = true;
		k = j;
	}
	if (!spaced || k >= r->n) {
		return -1;
	}
	U8_NEXT(p, k, r->n, c);
	return c >= 0 && (u_isUUppercase(c) || is_dash(c) ||
			  (is_quote(c) && u_charType(c) != U_END_PUNCTUATION))
		       ? e
		       : -1;
}

static int
cut(struct run *r, struct segs *out, size_t base, uint32_t paragraph, int32_t at)
{
	int ret = emit(out, r->p, r->start, at, base, paragraph);

	r->start = at;
	r->first = -1;
	r->quotes_to = at;
	r->quote_open = false;
	return ret;
}

/* The rule-based scanner over one paragraph p[0..n). */
static int
segment_rules(struct mnemo_segmenter *sg, const char *text, size_t base, int32_t n,
	      uint32_t paragraph, struct segs *out)
{
	struct run r = {.p = (const uint8_t *)text + base, .n = n,
			.abbrev_list = sg->abbrev_list, .first = -1};
	const uint8_t *p = r.p;
	int32_t i = 0;
	int ret = 0;

	/* at a paragraph's start: after a line break (LF, CR, NEL, LS, PS end in these) */
	if (base == 0 || text[base - 1] == '\n' || text[base - 1] == '\r' ||
	    (uint8_t)text[base - 1] == 0x85 || (uint8_t)text[base - 1] == 0xa8 ||
	    (uint8_t)text[base - 1] == 0xa9) {
		i = mnemo_text_abbrev_lead_label(r.abbrev_list, p, n);
		if (i > 0) {
			ret = cut(&r, out, base, paragraph, i);
		}
		i = i > 0 ? i : 0;
	}
	while (ret == 0) {
		int32_t k, split, e;
		UChar32 c;

		while (i < n && stops[p[i]] == 0) {
			i++;
		}
		if (i >= n) {
			break;
		}
		if (stops[p[i]] == STOP_ASCII_TERM) {
			i = terminators_end(p, i, n);
			if (judge(&r, i, true, &split) == KEEP) {
				ret = cut(&r, out, base, paragraph, split);
			}
			continue;
		}
		k = i;
		U8_NEXT(p, k, n, c);
		if (c < 0) {
			i = k;
		} else if (c > 0x7f && is_term(c)) {
			i = terminators_end(p, i, n);
			if (judge(&r, i, true, &split) == KEEP) {
				ret = cut(&r, out, base, paragraph, split);
			}
		} else if (c > 0x7f && is_emoji_part(c)) {
			e = emoji_end(&r, i);
			if (e > 0) {
				ret = cut(&r, out, base, paragraph, e);
			}
			i = e > 0 ? e : k;
		} else {
			if (u_isUUppercase(c) && glued_start(&r, i, k)) {
				ret = cut(&r, out, base, paragraph, i);
			}
			i = k;
		}
	}
	if (ret == 0) {
		ret = emit(out, r.p, r.start, n, base, paragraph);
	}
	return ret;
}

static int
segment_paragraph(struct mnemo_segmenter *sg, const char *text, size_t start, size_t end,
		  uint32_t paragraph, struct segs *out)
{
	const uint8_t *u = (const uint8_t *)text;
	int (*segment)(struct mnemo_segmenter *, const char *, size_t, int32_t, uint32_t,
		       struct segs *) = sg->abbrev_list != 0 ? segment_rules : segment_piece;

	while (end - start > PIECE_MAX) {
		size_t cut_at = start + PIECE_MAX, i;
		int r;

		for (i = cut_at; i > cut_at - PIECE_MAX / 2; i--) {
			if (u[i - 1] == ' ') {
				break;
			}
		}
		cut_at = u[i - 1] == ' ' ? i : cut_at;
		while (U8_IS_TRAIL(u[cut_at])) {
			cut_at--;
		}
		r = segment(sg, text, start, (int32_t)(cut_at - start), paragraph, out);
		if (r < 0) {
			return r;
		}
		start = cut_at;
	}
	return segment(sg, text, start, (int32_t)(end - start), paragraph, out);
}

/* Length of the line break at text[i], 0 if none: LF, CR, CRLF, NEL, LS, PS. */
static size_t
line_break(const uint8_t *u, size_t i, size_t len)
{
	if (u[i] == '\n') {
		return 1;
	}
	if (u[i] == '\r') {
		return i + 1 < len && u[i + 1] == '\n' ? 2 : 1;
	}
	if (u[i] == 0xc2 && i + 1 < len && u[i + 1] == 0x85) {
		return 2;
	}
	if (u[i] == 0xe2 && i + 2 < len && u[i + 1] == 0x80 &&
	    (u[i + 2] == 0xa8 || u[i + 2] == 0xa9)) {
		return 3;
	}
	return 0;
}

/* Bytes that may start a line break: LF, CR, NEL (C2 85), LS and PS (E2 80 A8/A9). */
static const bool may_break[256] = {['\n'] = true, ['\r'] = true, [0xc2] = true, [0xe2] = true};

/* The end of the line starting at i (where its line break starts), and the length of
 * that break in *ret_brk (0 at the end of the text). */
static size_t
line_end(const uint8_t *u, size_t i, size_t len, size_t *ret_brk)
{
	size_t brk = 0;

	while (i < len && (!may_break[u[i]] || (brk = line_break(u, i, len)) == 0)) {
		i++;
	}
	*ret_brk = brk;
	return i;
}

int
mnemo_text_lines(const char *text, size_t len, struct mnemo_seg **ret_lines, size_t *ret_n)
{
	const uint8_t *u = (const uint8_t *)text;
	struct segs out = {0};
	size_t i = 0;

	if (len > UINT32_MAX) {
		return -EMSGSIZE;
	}
	while (i < len) {
		size_t brk, end = line_end(u, i, len, &brk);

		if (emit(&out, u, (int32_t)i, (int32_t)end, 0, (uint32_t)out.n) < 0) {
			free(out.v);
			return -ENOMEM;
		}
		i = end + brk;
	}
	*ret_lines = out.v;
	*ret_n = out.n;
	return 0;
}

int
mnemo_segmenter_run(struct mnemo_segmenter *sg, const char *text, size_t len,
		    struct mnemo_seg **ret_segs, size_t *ret_n)
{
	const uint8_t *u = (const uint8_t *)text;
	struct segs out = {0};
	uint32_t paragraph = 0;
	size_t i = 0;
	int r = 0;

	assert(sg != NULL && (text != NULL || len == 0));
	if (len > UINT32_MAX) {
		return -EMSGSIZE;
	}
	while (r == 0 && i < len) {
		size_t brk, end = line_end(u, i, len, &brk), before = out.n;

		r = segment_paragraph(sg, text, i, end, paragraph, &out);
		if (out.n > before) {
			paragraph++; /* blank lines are not paragraphs */
		}
		i = end + brk;
	}
	if (r < 0) {
		free(out.v);
		return r;
	}
	*ret_segs = out.v;
	*ret_n = out.n;
	return 0;
}

int
mnemo_segmenter_new(const char *lang, struct mnemo_segmenter **ret)
{
	static const UText ut_init = UTEXT_INITIALIZER;
	char tag[MNEMO_TEXT_LANG_MAX], locale[ULOC_FULLNAME_CAPACITY];
	struct mnemo_segmenter *sg;
	UErrorCode st = U_ZERO_ERROR;
	int r;

	r = mnemo_text_lang_canon(lang, tag, sizeof(tag));
	if (r < 0) {
		return -EINVAL;
	}
	uloc_forLanguageTag(tag, locale, sizeof(locale), NULL, &st);
	if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING) {
		return -EINVAL;
	}
	sg = calloc(1, sizeof(*sg));
	if (sg == NULL) {
		return -ENOMEM;
	}
	sg->ut = ut_init;
	sg->abbrev_list = mnemo_text_abbrev_lang(tag);
	if (sg->abbrev_list == 0) {
		utext_openUTF8(&sg->ut, "", 0, &st);
		/* An unknown language falls back to the root rules (U_USING_DEFAULT_WARNING). */
		sg->bi = ubrk_open(UBRK_SENTENCE, locale, NULL, 0, &st);
		if (U_FAILURE(st)) {
			r = mnemo_err_from_icu(st);
			mnemo_segmenter_free(sg);
			return r == -ENOMEM ? r : -EINVAL;
		}
	}
	*ret = sg;
	return 0;
}

void
mnemo_segmenter_free(struct mnemo_segmenter *sg)
{
	if (sg == NULL) {
		return;
	}
	if (sg->bi != NULL) {
		ubrk_close(sg->bi);
	}
	utext_close(&sg->ut);
	free(sg);
}
