/* Documents as users send them -> clean UTF-8 with a map back to the original bytes.
 *
 * Three stages, each reading the previous one's text and writing its maps straight in
 * original offsets (so no stage keeps more than one map alive besides its own):
 *
 *   decode   bytes -> UTF-8: nothing to do for UTF-8 (a BOM is skipped), ICU converters
 *            otherwise, with the source offset of every UTF-16 unit.
 *   html     libxml2's HTML parser (SAX, no tree) -> the text of the document, block
 *            elements ending paragraphs. Where each reported piece of text came from is
 *            found from the parser's input position at the callback (see html_text()).
 *   clean    removals, line separators, NFC in segments between normalisation
 *            boundaries, so a composed character maps to all the source it came from.
 *
 * Plain UTF-8 that needs none of it (the common case) is recognised by one fast scan and
 * copied once, without maps. */
#include "input.h"
#include "text.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <unicode/uchar.h>
#include <unicode/ucnv.h>
#include <unicode/ucnv_err.h>
#include <unicode/ucsdet.h>
#include <unicode/unorm2.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

enum {
	/* The charset detector reads this much: enough for its statistics, and its time
	 * does not grow with the document. */
	DETECT_SAMPLE_BYTES = 64 * 1024,
	/* Below this ICU's answer is a guess (it gives 10-25 to anything on a few words):
	 * windows-1252 or ISO-8859-1 is a better guess for the French web. */
	MIN_DETECT_CONFIDENCE = 30,
	/* Source bytes per ucnv_toUnicode() call: its offsets are int32_t. */
	CONVERT_CHUNK = 64 * 1024,
	/* Code points normalised together at most. Real text has a few combining marks per
	 * base (UAX #15's stream-safe format allows 30); a longer run is cut here so that
	 * ICU's reordering, quadratic in the run, stays cheap. */
	MAX_NFC_SEG = 256,
	/* Element nesting and attributes per start tag, see html_extract(). */
	MAX_HTML_ATTRS = 256,
	/* libxml2 2.9 hands character data over in pieces of 1000 bytes and more while the
	 * text goes on, with its input position still on the last character (see
	 * html_text()). */
	LIBXML_TEXT_PIECE = 1000,
	/* Longest character reference looked for behind the parser's position. */
	MAX_REF_BYTES = 40,
};

/* ---- Character classes ---------------------------------------------------------- */

enum cp_class {
	CP_KEEP,
	CP_DROP,    /* controls, zero-width, bidi, soft hyphen, BOM */
	CP_NEWLINE, /* VT, FF, NEL, U+2028, U+2029 become '\n' */
};

static enum cp_class
classify(UChar32 c)
{
	if (c < 0x20) {
		if (c == '\t' || c == '\n' || c == '\r') {
			return CP_KEEP;
		}
		/* VT and FF are mandatory line breaks (UAX #14): dropping them would glue
		 * the words on either side together. */
		return c == '\v' || c == '\f' ? CP_NEWLINE : CP_DROP;
	}
	if (c < 0x7f) {
		return CP_KEEP;
	}
	if (c < 0xa0) {
		/* DEL and C1; NEL is a line break the segmenter would see as one anyway. */
		return c == 0x85 ? CP_NEWLINE : CP_DROP;
	}
	if (c == 0xad) {
		return CP_DROP;
	}
	if (c < 0x200b) {
		return CP_KEEP;
	}
	if (c <= 0x200f || (c >= 0x202a && c <= 0x202e) || c == 0x2060 ||
	    (c >= 0x2066 && c <= 0x2069) || c == 0xfeff) {
		return CP_DROP;
	}
	if (c == 0x2028 || c == 0x2029) {
		return CP_NEWLINE;
	}
	return CP_KEEP;
}

/* One bit per BMP code point: kept as it is, combining class 0, NFC_Quick_Check=Yes and a
 * normalisation boundary before it. Such a character can be copied without asking ICU
 * anything; built once (65536 property look-ups, about a millisecond). */
static uint8_t plain_bmp[0x10000 / 8];
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void
init_tables(void)
{
	UErrorCode st = U_ZERO_ERROR;
	const UNormalizer2 *nfc = unorm2_getNFCInstance(&st);
	UChar32 c;

	/* libxml2 asks for this once, before any thread parses. */
	xmlInitParser();
	if (U_FAILURE(st)) {
		return; /* every character then takes the careful path */
	}
	for (c = 0; c < 0x10000; c++) {
		if (U_IS_SURROGATE(c) || classify(c) != CP_KEEP || u_getCombiningClass(c) != 0 ||
		    u_getIntPropertyValue(c, UCHAR_NFC_QUICK_CHECK) != UNORM_YES ||
		    !unorm2_hasBoundaryBefore(nfc, c)) {
			continue;
		}
		plain_bmp[c >> 3] |= (uint8_t)(1u << (c & 7));
	}
}

static inline bool
is_plain(UChar32 c)
{
	return c < 0x10000 && (plain_bmp[c >> 3] & (1u << (c & 7))) != 0;
}

/* Offset of the first byte at or after i that is not printable ASCII (0x20-0x7e). */
static size_t
skip_printable_ascii(const uint8_t *s, size_t i, size_t len)
{
#ifdef __SSE2__
	const __m128i space = _mm_set1_epi8(0x20);
	const __m128i del = _mm_set1_epi8(0x7f);

	while (len - i >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		/* Signed compare: bytes >= 0x80 are negative, so "< 0x20" catches them too. */
		int m = _mm_movemask_epi8(
		        _mm_or_si128(_mm_cmplt_epi8(v, space), _mm_cmpeq_epi8(v, del)));

		if (m != 0) {
			return i + (size_t)__builtin_ctz((unsigned)m);
		}
		i += 16;
	}
#endif
	while (i < len && s[i] >= 0x20 && s[i] < 0x7f) {
		i++;
	}
	return i;
}

/* ---- Text with a map to the original ---------------------------------------------- */

/* What a stage reads: UTF-8 text and where each byte came from in the original input,
 * either through maps or, when they are NULL, at the same offset plus shift. */
struct src {
	const uint8_t *s;
	size_t len;
	const uint32_t *start;
	const uint32_t *end;
	uint32_t shift;
};

/* The original range of the source bytes [a, b), a < b. */
static inline void
src_range(const struct src *v, size_t a, size_t b, uint32_t *ret_start, uint32_t *ret_end)
{
	if (v->start == NULL) {
		*ret_start = (uint32_t)(a + v->shift);
		*ret_end = (uint32_t)(b + v->shift);
	} else {
		*ret_start = v->start[a];
		*ret_end = v->end[b - 1];
	}
}

/* What a stage writes. */
struct mbuf {
	char *s;
	uint32_t *start;
	uint32_t *end;
	size_t len;
	size_t cap;
};

static void
mbuf_fini(struct mbuf *b)
{
	free(b->s);
	free(b->start);
	free(b->end);
	memset(b, 0, sizeof(*b));
}

/* Room for more bytes, plus the final NUL. */
static int
mbuf_reserve(struct mbuf *b, size_t more)
{
	size_t cap;
	void *p;

	if (more < b->cap - b->len) {
		return 0;
	}
	cap = b->cap != 0 ? b->cap : 256;
	while (more >= cap - b->len) {
		if (cap > SIZE_MAX / 2 / sizeof(uint32_t)) {
			return -ENOMEM;
		}
		cap *= 2;
	}
	p = realloc(b->s, cap);
	if (p == NULL) {
		return -ENOMEM;
	}
	b->s = p;
	p = realloc(b->start, cap * sizeof(uint32_t));
	if (p == NULL) {
		return -ENOMEM;
	}
	b->start = p;
	p = realloc(b->end, cap * sizeof(uint32_t));
	if (p == NULL) {
		return -ENOMEM;
	}
	b->end = p;
	b->cap = cap;
	return 0;
}

/* Appends n bytes that all came from the original [start, end). */
static int
mbuf_put(struct mbuf *b, const void *s, size_t n, uint32_t start, uint32_t end)
{
	size_t i;
	int r = mbuf_reserve(b, n);

	if (r < 0) {
		return r;
	}
	memcpy(b->s + b->len, s, n);
	for (i = 0; i < n; i++) {
		b->start[b->len + i] = start;
		b->end[b->len + i] = end;
	}
	b->len += n;
	return 0;
}

static int
mbuf_put_cp(struct mbuf *b, UChar32 c, uint32_t start, uint32_t end)
{
	uint8_t u[U8_MAX_LENGTH];
	int32_t n = 0;

	U8_APPEND_UNSAFE(u, n, c);
	return mbuf_put(b, u, (size_t)n, start, end);
}

/* Copies source bytes [a, b) (whole characters) with each character's own range. */
static int
mbuf_copy(struct mbuf *out, const struct src *in, size_t a, size_t b)
{
	int r = mbuf_reserve(out, b - a);

	if (r < 0) {
		return r;
	}
	while (a < b) {
		size_t n = (size_t)U8_COUNT_TRAIL_BYTES(in->s[a]) + 1;
		uint32_t s, e;
		size_t k;

		if (n > b - a) {
			n = b - a; /* not expected: the text is valid UTF-8 */
		}
		src_range(in, a, a + n, &s, &e);
		for (k = 0; k < n; k++) {
			out->s[out->len] = (char)in->s[a + k];
			out->start[out->len] = s;
			out->end[out->len] = e;
			out->len++;
		}
		a += n;
	}
	return 0;
}

/* ---- UTF-8 input ------------------------------------------------------------------ */

/* Start of the character at or before i that has a normalisation boundary before it:
 * text before it cannot change whatever follows. */
static size_t
boundary_at_or_before(const uint8_t *s, size_t i)
{
	const UNormalizer2 *nfc;
	UErrorCode st = U_ZERO_ERROR;

	nfc = unorm2_getNFCInstance(&st);
	if (U_FAILURE(st)) {
		return 0;
	}
	while (i > 0) {
		size_t k;
		UChar32 c;

		/* The character at i, when there is one, is already known to be in the
		 * segment that needs work; step onto the one before (the text before i is
		 * valid UTF-8). */
		do {
			i--;
		} while (i > 0 && U8_IS_TRAIL(s[i]));
		k = i;
		U8_NEXT_UNSAFE(s, k, c);
		if (c < 0x300 || unorm2_hasBoundaryBefore(nfc, c)) {
			return i;
		}
	}
	return 0;
}

/* Validates UTF-8 (as mnemo_text_check_utf8() defines it) and finds how much of it is
 * already clean: *ret_clean is len when nothing needs to change, else the offset of a
 * normalisation boundary before the first character that does. This is the fast path's
 * check: printable ASCII 16 bytes at a time, then a table look-up per BMP character and
 * the quick-check algorithm of UAX #15 (section 9) for the rest. */
static int
scan_utf8(const uint8_t *s, size_t len, size_t *ret_clean, size_t *ret_bad)
{
	size_t i = 0, dirty, bad = 0;
	uint8_t last_cc = 0;
	int r;

	for (;;) {
		size_t at;
		UChar32 c;
		uint8_t cc;

		i = skip_printable_ascii(s, i, len);
		if (i >= len) {
			*ret_clean = len;
			return 0;
		}
		at = i;
		if (s[i] < 0x80) {
			if (s[i] != '\t' && s[i] != '\n' && s[i] != '\r') {
				dirty = at;
				break;
			}
			i++;
			last_cc = 0;
			continue;
		}
		U8_NEXT(s, i, len, c);
		if (c < 0) {
			dirty = at;
			break;
		}
		if (is_plain(c)) {
			last_cc = 0;
			continue;
		}
		if (classify(c) != CP_KEEP) {
			dirty = at;
			break;
		}
		cc = u_getCombiningClass(c);
		if ((cc != 0 && last_cc > cc) ||
		    u_getIntPropertyValue(c, UCHAR_NFC_QUICK_CHECK) != UNORM_YES) {
			dirty = at;
			break;
		}
		last_cc = cc;
	}
	r = mnemo_text_check_utf8((const char *)s + dirty, len - dirty, &bad);
	if (r < 0) {
		*ret_bad = dirty + bad;
		return r;
	}
	*ret_clean = boundary_at_or_before(s, dirty);
	return 0;
}

/* Invalid UTF-8 that is still mostly UTF-8 (as many valid multi-byte sequences as bad
 * ones): a charset detector would turn it into mojibake, so it is reported as bad UTF-8.
 * Legacy 8-bit French text almost never forms a valid sequence ("É»"), so it is not
 * caught here. */
static bool
mostly_utf8(const uint8_t *s, size_t len)
{
	size_t i = 0, multi = 0, bad = 0;

	while (i < len) {
		UChar32 c;

		if (s[i] < 0x80) {
			bad += s[i] == 0;
			i++;
			continue;
		}
		U8_NEXT(s, i, len, c);
		if (c < 0) {
			bad++;
		} else {
			multi++;
		}
	}
	return multi > 0 && multi >= bad;
}

/* ---- Other encodings -------------------------------------------------------------- */

/* The name a caller knows the converter by: MIME's ("ISO-8859-1", "Shift_JIS"), else
 * IANA's ("windows-1252"), else ICU's own. */
static void
encoding_name(UConverter *cnv, char *out, size_t out_size)
{
	UErrorCode st = U_ZERO_ERROR;
	const char *internal = ucnv_getName(cnv, &st);
	const char *name = NULL;

	if (U_FAILURE(st) || internal == NULL) {
		internal = "?";
	}
	st = U_ZERO_ERROR;
	name = ucnv_getStandardName(internal, "MIME", &st);
	if (name == NULL || U_FAILURE(st)) {
		st = U_ZERO_ERROR;
		name = ucnv_getStandardName(internal, "IANA", &st);
	}
	if (name == NULL || U_FAILURE(st) || strlen(name) >= out_size) {
		name = internal;
	}
	/* ICU's names are under 60 bytes; one that does not fit is cut, still named. */
	snprintf(out, out_size, "%s", name);
}

static int
open_converter(const char *name, UConverter **ret)
{
	UErrorCode st = U_ZERO_ERROR;
	UConverter *cnv = ucnv_open(name, &st);

	if (U_FAILURE(st)) {
		return st == U_MEMORY_ALLOCATION_ERROR ? -ENOMEM : -EINVAL;
	}
	ucnv_setToUCallBack(cnv, UCNV_TO_U_CALLBACK_STOP, NULL, NULL, NULL, &st);
	if (U_FAILURE(st)) {
		ucnv_close(cnv);
		return mnemo_err_from_icu(st);
	}
	*ret = cnv;
	return 0;
}

static bool
has_c1_bytes(const uint8_t *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] >= 0x80 && s[i] <= 0x9f) {
			return true;
		}
	}
	return false;
}

/* Picks a converter for bytes that are not UTF-8. ICU's detector is statistical: on a
 * paragraph of French it is right and sure (70+), on a few words it answers nothing or
 * UTF-16 with confidence 10-25. Below MIN_DETECT_CONFIDENCE, or when it names nothing
 * ICU can open, the bytes are taken as the legacy encoding of the French web:
 * windows-1252 when they hold 0x80-0x9F (its quotes, dashes, euro and ellipsis),
 * ISO-8859-1 otherwise (the two agree on every other byte). */
static int
detect_converter(const uint8_t *s, size_t len, bool is_html, UConverter **ret)
{
	UErrorCode st = U_ZERO_ERROR;
	UCharsetDetector *csd = ucsdet_open(&st);
	const char *pick = NULL;
	int32_t n = 0, i;
	int r;

	if (U_SUCCESS(st)) {
		const UCharsetMatch **m;

		/* Markup would count as text for the statistics. */
		ucsdet_enableInputFilter(csd, is_html);
		ucsdet_setText(csd, (const char *)s,
		               (int32_t)(len < DETECT_SAMPLE_BYTES ? len : DETECT_SAMPLE_BYTES),
		               &st);
		m = ucsdet_detectAll(csd, &n, &st);
		for (i = 0; U_SUCCESS(st) && i < n; i++) {
			UErrorCode st2 = U_ZERO_ERROR;
			const char *name = ucsdet_getName(m[i], &st2);
			int32_t conf = ucsdet_getConfidence(m[i], &st2);
			UConverter *probe;

			if (U_FAILURE(st2) || conf < MIN_DETECT_CONFIDENCE) {
				break; /* sorted by confidence */
			}
			/* UTF-8 is what the bytes failed to be. */
			if (strcmp(name, "UTF-8") == 0 || open_converter(name, &probe) < 0) {
				continue;
			}
			ucnv_close(probe);
			pick = name;
			break;
		}
	}
	if (pick != NULL && strcmp(pick, "ISO-8859-1") == 0 && has_c1_bytes(s, len)) {
		pick = "windows-1252";
	}
	if (pick == NULL) {
		pick = has_c1_bytes(s, len) ? "windows-1252" : "ISO-8859-1";
	}
	r = open_converter(pick, ret);
	if (csd != NULL) {
		ucsdet_close(csd);
	}
	return r;
}

/* Converts data to UTF-8 into out, each byte mapped to the source character it came
 * from: ICU gives the source offset of every UTF-16 unit; a character ends where the
 * next one starts (stateful encodings' escape sequences go with the character before). */
static int
decode_icu(UConverter *cnv, const uint8_t *data, size_t len, struct mbuf *out, size_t *ret_bad)
{
	enum { UNITS = 2 * CONVERT_CHUNK };
	const char *src = (const char *)data, *all_end = (const char *)data + len;
	UChar *u16 = malloc(UNITS * sizeof(UChar));
	int32_t *offs = malloc(UNITS * sizeof(int32_t));
	uint32_t prev_start = 0;
	size_t j;
	int r = 0;

	if (u16 == NULL || offs == NULL) {
		r = -ENOMEM;
		goto out;
	}
	r = mbuf_reserve(out, len);
	for (;;) {
		size_t chunk = (size_t)(all_end - src);
		const char *lim = src + (chunk < CONVERT_CHUNK ? chunk : CONVERT_CHUNK);
		size_t call_base = (size_t)(src - (const char *)data);
		UErrorCode st = U_ZERO_ERROR;
		int32_t pending = ucnv_toUCountPending(cnv, &st), k, n;
		UChar *t = u16;

		if (r < 0) {
			goto out;
		}
		if (U_FAILURE(st) || pending < 0) {
			pending = 0;
		}
		st = U_ZERO_ERROR;
		ucnv_toUnicode(cnv, &t, u16 + UNITS, &src, lim, offs, lim == all_end, &st);
		if (U_FAILURE(st) && st != U_BUFFER_OVERFLOW_ERROR) {
			char bytes[32]; /* ICU keeps at most 32 */
			int8_t nbytes = (int8_t)sizeof(bytes);
			UErrorCode st2 = U_ZERO_ERROR;
			size_t at = (size_t)(src - (const char *)data);

			ucnv_getInvalidChars(cnv, bytes, &nbytes, &st2);
			if (U_SUCCESS(st2) && nbytes > 0 && (size_t)nbytes <= at) {
				at -= (size_t)nbytes;
			}
			r = mnemo_err_from_icu(st);
			if (r == -EILSEQ || r == -EINVAL) {
				*ret_bad = at;
				r = -EILSEQ;
			}
			goto out;
		}
		n = (int32_t)(t - u16);
		for (k = 0; k < n && r == 0;) {
			UChar32 c = u16[k];
			/* Output from bytes an earlier call took has offset -1. */
			uint32_t start = offs[k] >= 0
			                         ? (uint32_t)(call_base + (size_t)offs[k])
			                         : (k == 0 ? (uint32_t)(call_base - (size_t)pending)
			                                   : prev_start);

			k++;
			if (U16_IS_LEAD(c) && k < n && U16_IS_TRAIL(u16[k])) {
				c = U16_GET_SUPPLEMENTARY(c, u16[k]);
				k++;
			}
			if (start < prev_start) {
				start = prev_start; /* keep the map monotonic */
			}
			prev_start = start;
			r = mbuf_put_cp(out, c, start, 0);
		}
		if (r < 0) {
			goto out;
		}
		if (st != U_BUFFER_OVERFLOW_ERROR && lim == all_end) {
			break;
		}
	}
	/* A character ends where the next different one starts. */
	for (j = out->len; j-- > 0;) {
		if (j + 1 == out->len) {
			out->end[j] = (uint32_t)len;
		} else if (out->start[j + 1] != out->start[j]) {
			out->end[j] = out->start[j + 1];
		} else {
			out->end[j] = out->end[j + 1];
		}
	}
out:
	free(u16);
	free(offs);
	return r;
}

/* ---- Clean: removals and NFC ------------------------------------------------------ */

/* Characters waiting for the next normalisation boundary. */
struct nfc_seg {
	UChar32 cp[MAX_NFC_SEG];
	uint32_t start[MAX_NFC_SEG];
	uint32_t end[MAX_NFC_SEG];
	size_t n;
	bool is_nfc; /* by quick check: the segment is already in NFC */
	uint8_t last_cc;
};

static int
seg_flush(const UNormalizer2 *nfc, struct nfc_seg *sg, struct mbuf *out)
{
	UChar in16[2 * MAX_NFC_SEG], out16[3 * 2 * MAX_NFC_SEG];
	uint8_t u8[3 * 3 * 2 * MAX_NFC_SEG];
	UErrorCode st = U_ZERO_ERROR;
	int32_t n16 = 0, nout, n8 = 0, k;
	uint32_t start = UINT32_MAX, end = 0;
	size_t i;
	int r = 0;

	if (sg->n == 0) {
		return 0;
	}
	if (sg->is_nfc) {
		for (i = 0; i < sg->n && r == 0; i++) {
			r = mbuf_put_cp(out, sg->cp[i], sg->start[i], sg->end[i]);
		}
		sg->n = 0;
		return r;
	}
	/* Whatever NFC makes of the segment came from all of it: "e" + U+0301 -> "é"
	 * maps to both source characters. */
	for (i = 0; i < sg->n; i++) {
		bool err = false;

		U16_APPEND(in16, n16, (int32_t)(sizeof(in16) / sizeof(in16[0])), sg->cp[i], err);
		(void)err; /* the buffer holds two units per code point */
		start = sg->start[i] < start ? sg->start[i] : start;
		end = sg->end[i] > end ? sg->end[i] : end;
	}
	sg->n = 0;
	nout = unorm2_normalize(nfc, in16, n16, out16, (int32_t)(sizeof(out16) / sizeof(out16[0])),
	                        &st);
	if (U_FAILURE(st)) {
		return mnemo_err_from_icu(st);
	}
	for (k = 0; k < nout;) {
		UChar32 c;

		U16_NEXT(out16, k, nout, c);
		U8_APPEND_UNSAFE(u8, n8, c);
	}
	return mbuf_put(out, u8, (size_t)n8, start, end);
}

static int
seg_add(const UNormalizer2 *nfc, struct nfc_seg *sg, struct mbuf *out, UChar32 c, uint32_t start,
        uint32_t end)
{
	uint8_t cc = 0;
	int r = 0;

	if (c < 0x300 || is_plain(c) || unorm2_hasBoundaryBefore(nfc, c) || sg->n == MAX_NFC_SEG) {
		r = seg_flush(nfc, sg, out);
		if (r < 0) {
			return r;
		}
	}
	if (sg->n == 0) {
		sg->is_nfc = true;
		sg->last_cc = 0;
	}
	if (c >= 0x300 && !is_plain(c)) {
		cc = u_getCombiningClass(c);
		if ((cc != 0 && sg->last_cc > cc) ||
		    u_getIntPropertyValue(c, UCHAR_NFC_QUICK_CHECK) != UNORM_YES) {
			sg->is_nfc = false;
		}
	}
	sg->last_cc = cc;
	sg->cp[sg->n] = c;
	sg->start[sg->n] = start;
	sg->end[sg->n] = end;
	sg->n++;
	return 0;
}

/* Cleans valid UTF-8 in->s[0..len) into out; the first skip bytes are known clean and
 * end on a normalisation boundary. */
static int
clean_text(const struct src *in, size_t skip, struct mbuf *out)
{
	const uint8_t *s = in->s;
	UErrorCode st = U_ZERO_ERROR;
	const UNormalizer2 *nfc = unorm2_getNFCInstance(&st);
	struct nfc_seg *sg;
	size_t i = skip;
	int r;

	if (U_FAILURE(st)) {
		return mnemo_err_from_icu(st);
	}
	sg = malloc(sizeof(*sg));
	if (sg == NULL) {
		return -ENOMEM;
	}
	sg->n = 0;
	r = mbuf_reserve(out, in->len);
	if (r == 0) {
		r = mbuf_copy(out, in, 0, skip);
	}
	while (r == 0 && i < in->len) {
		size_t at = i, run = skip_printable_ascii(s, i, in->len);
		uint32_t start, end;
		UChar32 c;

		/* A run of printable ASCII: all but its last character are followed by a
		 * boundary, so they go out as they are. */
		if (run - i >= 2) {
			r = seg_flush(nfc, sg, out);
			if (r == 0) {
				r = mbuf_copy(out, in, i, run - 1);
			}
			i = run - 1;
			continue;
		}
		U8_NEXT(s, i, in->len, c);
		if (c < 0) {
			continue; /* not expected: every stage hands over valid UTF-8 */
		}
		switch (classify(c)) {
		case CP_DROP:
			continue;
		case CP_NEWLINE:
			c = '\n';
			break;
		case CP_KEEP:
			break;
		}
		src_range(in, at, i, &start, &end);
		r = seg_add(nfc, sg, out, c, start, end);
	}
	if (r == 0) {
		r = seg_flush(nfc, sg, out);
	}
	free(sg);
	return r;
}

/* ---- HTML ------------------------------------------------------------------------- */

enum {
	EL_BLOCK = 1, /* ends a paragraph where it starts and ends */
	EL_DROP = 2,  /* dropped with everything inside */
	EL_PRE = 4,   /* white space kept as it is */
};

struct element {
	const char *name;
	uint8_t flags;
};

/* Sorted by name (bsearch). Dropped elements that are blocks in a browser also end a
 * paragraph, so the text on either side is not glued together. */
static const struct element elements[] = {
        {"address", EL_BLOCK},
        {"applet", EL_DROP},
        {"article", EL_BLOCK},
        {"aside", EL_DROP | EL_BLOCK},
        {"audio", EL_DROP},
        {"blockquote", EL_BLOCK},
        {"body", EL_BLOCK},
        {"br", EL_BLOCK},
        {"button", EL_DROP},
        {"canvas", EL_DROP},
        {"caption", EL_BLOCK},
        {"center", EL_BLOCK},
        {"datalist", EL_DROP},
        {"dd", EL_BLOCK},
        {"details", EL_BLOCK},
        {"dialog", EL_BLOCK},
        {"dir", EL_BLOCK},
        {"div", EL_BLOCK},
        {"dl", EL_BLOCK},
        {"dt", EL_BLOCK},
        {"embed", EL_DROP},
        {"fieldset", EL_BLOCK},
        {"figcaption", EL_BLOCK},
        {"figure", EL_BLOCK},
        {"footer", EL_DROP | EL_BLOCK},
        {"form", EL_DROP | EL_BLOCK},
        {"h1", EL_BLOCK},
        {"h2", EL_BLOCK},
        {"h3", EL_BLOCK},
        {"h4", EL_BLOCK},
        {"h5", EL_BLOCK},
        {"h6", EL_BLOCK},
        {"head", EL_BLOCK},
        {"header", EL_DROP | EL_BLOCK},
        {"hgroup", EL_BLOCK},
        {"hr", EL_BLOCK},
        {"html", EL_BLOCK},
        {"iframe", EL_DROP},
        {"legend", EL_BLOCK},
        {"li", EL_BLOCK},
        {"listing", EL_BLOCK | EL_PRE},
        {"main", EL_BLOCK},
        {"math", EL_DROP},
        {"menu", EL_BLOCK},
        {"nav", EL_DROP | EL_BLOCK},
        {"noembed", EL_DROP},
        {"noframes", EL_DROP},
        {"noscript", EL_DROP},
        {"object", EL_DROP},
        {"ol", EL_BLOCK},
        {"optgroup", EL_DROP},
        {"option", EL_DROP},
        {"p", EL_BLOCK},
        {"plaintext", EL_BLOCK | EL_PRE},
        {"pre", EL_BLOCK | EL_PRE},
        {"script", EL_DROP},
        {"section", EL_BLOCK},
        {"select", EL_DROP},
        {"style", EL_DROP},
        {"summary", EL_BLOCK},
        {"svg", EL_DROP},
        {"table", EL_BLOCK},
        {"tbody", EL_BLOCK},
        {"td", EL_BLOCK},
        {"template", EL_DROP | EL_BLOCK},
        {"textarea", EL_BLOCK | EL_PRE},
        {"tfoot", EL_BLOCK},
        {"th", EL_BLOCK},
        {"thead", EL_BLOCK},
        {"title", EL_BLOCK},
        {"tr", EL_BLOCK},
        {"ul", EL_BLOCK},
        {"video", EL_DROP},
        {"xmp", EL_BLOCK | EL_PRE},
};

static int
element_cmp(const void *key, const void *el)
{
	return strcmp(key, ((const struct element *)el)->name);
}

static uint8_t
element_flags(const xmlChar *name)
{
	const struct element *el = bsearch(name, elements, sizeof(elements) / sizeof(elements[0]),
	                                   sizeof(elements[0]), element_cmp);

	return el != NULL ? el->flags : 0;
}

/* HTML5's reading of &#128;-&#159; (windows-1252), which libxml2 2.9 leaves as C1
 * controls; 0 where windows-1252 has no character either. */
static const uint16_t c1_refs[32] = {
        0x20ac, 0,      0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160,
        0x2039, 0x0152, 0,      0x017d, 0,      0,      0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
        0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0,      0x017e, 0x0178,
};

struct html {
	htmlParserCtxtPtr ctxt;
	const struct src *in; /* the decoded text libxml2 reads (same bytes, same offsets) */
	struct mbuf *out;
	int err;
	size_t sc;       /* source bytes before this are accounted for */
	size_t last_end; /* source end of the last character written */
	size_t depth;
	unsigned drop; /* open dropped elements */
	unsigned pre;  /* open pre-like elements */
	bool pending_break;
	bool pending_space;
	size_t space_start, space_end;
	const xmlChar *names[MNEMO_TEXT_HTML_MAX_DEPTH];
	uint8_t flags[MNEMO_TEXT_HTML_MAX_DEPTH];
};

/* The parser's offset in the text it reads. libxml2 reads its own copy (through its UTF-8
 * "converter", which copies bytes as they are), so the offset is the same in ours;
 * xmlByteConsumed() would give the same but re-encodes the rest of the buffer each time. */
static size_t
html_pos(const struct html *h)
{
	const xmlParserInputPtr input = h->ctxt->input;
	size_t p;

	if (input == NULL || input->cur == NULL || input->base == NULL) {
		return h->sc;
	}
	p = (size_t)input->consumed + (size_t)(input->cur - input->base);
	return p < h->in->len ? p : h->in->len;
}

static void
html_put(struct html *h, const void *s, size_t n, size_t a, size_t b)
{
	uint32_t start, end;

	if (h->err != 0) {
		return;
	}
	if (b > h->in->len) {
		b = h->in->len;
	}
	if (a >= b) {
		a = b > 0 ? b - 1 : 0; /* never an empty range */
	}
	src_range(h->in, a, b, &start, &end);
	h->err = mbuf_put(h->out, s, n, start, end);
}

static bool
at_line_start(const struct html *h)
{
	return h->out->len == 0 || h->out->s[h->out->len - 1] == '\n';
}

static void
request_break(struct html *h)
{
	if (!at_line_start(h)) {
		h->pending_break = true;
		h->pending_space = false;
	}
}

/* One character of text from the source bytes [a, b): white space collapsed outside
 * pre, a pending paragraph break or space written before it. The break maps to
 * everything between the text on either side (the tags that made it), a collapsed space
 * to the white space it stands for. */
static void
html_char(struct html *h, const uint8_t *c, size_t n, size_t a, size_t b)
{
	bool space = n == 1 &&
	             (c[0] == ' ' || c[0] == '\t' || c[0] == '\n' || c[0] == '\r' || c[0] == '\f');

	if (h->pre == 0 && space) {
		if (at_line_start(h) || h->pending_break) {
			return;
		}
		if (!h->pending_space) {
			h->pending_space = true;
			h->space_start = a;
			h->space_end = b;
		} else if (a == h->space_end) {
			h->space_end = b;
		}
		return;
	}
	if (h->pending_break) {
		h->pending_break = false;
		h->pending_space = false;
		if (n == 1 && c[0] == '\n') {
			html_put(h, "\n", 1, h->last_end, b); /* a pre's own line break */
			h->last_end = b;
			return;
		}
		html_put(h, "\n", 1, h->last_end, a);
	} else if (h->pending_space) {
		h->pending_space = false;
		html_put(h, " ", 1, h->space_start, h->space_end);
	}
	html_put(h, c, n, a, b);
	h->last_end = b;
}

/* Text that is the source bytes [a, a + n) as they are. */
static void
html_verbatim(struct html *h, size_t a, size_t n)
{
	const uint8_t *u = h->in->s;
	size_t i = a, end = a + n;

	while (i < end) {
		size_t l = (size_t)U8_COUNT_TRAIL_BYTES(u[i]) + 1;

		if (l > end - i) {
			l = end - i;
		}
		html_char(h, u + i, l, i, i + l);
		i += l;
	}
	h->sc = end;
}

/* Start of what may be a character reference ending at p ("&eacute;", "&#233;",
 * "&#x2019;", "&#233" as libxml2 also accepts, or an unknown name, which libxml2 reads
 * with non-ASCII letters too, and of any length), at most max bytes long and not before
 * lo. */
static bool
find_ref(const uint8_t *u, size_t lo, size_t p, size_t max, size_t *ret)
{
	size_t q = p, min = p - lo > max ? p - max : lo;

	if (q > min && u[q - 1] == ';') {
		q--;
	}
	while (q > min &&
	       ((u[q - 1] >= '0' && u[q - 1] <= '9') || (u[q - 1] >= 'a' && u[q - 1] <= 'z') ||
	        (u[q - 1] >= 'A' && u[q - 1] <= 'Z') || u[q - 1] == '#' || u[q - 1] >= 0x80)) {
		q--;
	}
	if (q == min || q - 1 < lo || u[q - 1] != '&') {
		return false;
	}
	*ret = q - 1;
	return true;
}

/* The code point the character reference u[a..p) stands for, -1 if none. Names are
 * looked up in libxml2's own table, so the answer is the parser's. */
static UChar32
ref_value(const uint8_t *u, size_t a, size_t p)
{
	char name[MAX_REF_BYTES + 1], *end = NULL;
	size_t n = p - a - 1;
	long v;

	if (n > 0 && u[p - 1] == ';') {
		n--;
	}
	if (n == 0 || n > MAX_REF_BYTES) {
		return -1;
	}
	memcpy(name, u + a + 1, n);
	name[n] = '\0';
	if (name[0] != '#') {
		const htmlEntityDesc *e = htmlEntityLookup((const xmlChar *)name);

		return e != NULL ? (UChar32)e->value : -1;
	}
	if (name[1] == 'x' || name[1] == 'X') {
		v = strtol(name + 2, &end, 16);
	} else {
		v = strtol(name + 1, &end, 10);
	}
	return end != NULL && *end == '\0' && v > 0 && v <= 0x10ffff ? (UChar32)v : -1;
}

/* Last resort, for text libxml2 changed on the way (it drops characters XML does not
 * allow, such as U+FFFE): each character is looked for in order from lo, and once one is
 * not found the rest map to what remains up to the parser's position. */
static void
html_align(struct html *h, const uint8_t *ch, size_t n, size_t p)
{
	const uint8_t *u = h->in->s;
	size_t i = 0, pos = h->sc, hi = p + U8_MAX_LENGTH;
	bool lost = false;

	if (hi > h->in->len) {
		hi = h->in->len;
	}
	while (i < n) {
		size_t l = (size_t)U8_COUNT_TRAIL_BYTES(ch[i]) + 1;
		const uint8_t *f = NULL;

		if (l > n - i) {
			l = n - i;
		}
		if (!lost && pos < hi) {
			f = memmem(u + pos, hi - pos, ch + i, l);
		}
		if (f != NULL) {
			size_t q = (size_t)(f - u);

			html_char(h, ch + i, l, q, q + l);
			pos = q + l;
		} else {
			lost = true;
			html_char(h, ch + i, l, pos, p > pos ? p : pos + 1);
		}
		i += l;
	}
	h->sc = pos;
}

/* Where a piece of text the parser reports came from. libxml2 2.9.14 reports
 * - character data as it is in the source, in pieces that end at the parser's position
 *   (at the '<' or '&' that stopped it), or, for pieces of 1000+ bytes cut because its
 *   buffer is full, one character after it (the position is still on the last one);
 * - a character reference's value once the reference is read, the position after it;
 *   an unknown one ("&foo;") as "&" then "foo", the position on the ';';
 * - a '<' that starts no tag on its own, the position still on it.
 * Each case is checked against the source bytes, never assumed; what matches no case
 * (libxml2 dropped characters from it) is aligned character by character. */
static void
html_text(struct html *h, const uint8_t *ch, size_t n)
{
	const uint8_t *u = h->in->s;
	size_t ulen = h->in->len, p = html_pos(h), lo = h->sc, a, ends[2];
	size_t k, l, one = n > 0 ? (size_t)U8_COUNT_TRAIL_BYTES(ch[0]) + 1 : 0;

	if (n == 0) {
		return;
	}
	if (p < lo) {
		lo = p; /* only after a misaligned guess in html_align() */
	}
	/* The '&' before an unknown name is looked for behind a name of any length; the
	 * scan is over text mapped next, so the work stays linear. */
	if (one == n && find_ref(u, lo, p, ch[0] == '&' ? SIZE_MAX : MAX_REF_BYTES, &a)) {
		UChar32 c;
		size_t at = 0;

		U8_NEXT_UNSAFE(ch, at, c);
		if (ref_value(u, a, p) == c) {
			if (u[a + 1] == '#' && c >= 0x80 && c <= 0x9f && c1_refs[c - 0x80] != 0) {
				uint8_t buf[U8_MAX_LENGTH];
				int32_t bn = 0;

				U8_APPEND_UNSAFE(buf, bn, c1_refs[c - 0x80]);
				html_char(h, buf, (size_t)bn, a, p);
			} else {
				html_char(h, ch, n, a, p);
			}
			h->sc = p;
			return;
		}
		if (c == '&') {
			/* The '&' of a name libxml2 does not know, or of one without its ';':
			 * the name follows as text. */
			html_char(h, ch, 1, a, a + 1);
			h->sc = a + 1;
			return;
		}
		/* Something else that only ends like a reference ("&#x;<"). */
	}
	if (n == 1 && ch[0] == '<' && p < ulen && u[p] == '<') {
		html_verbatim(h, p, 1);
		return;
	}
	l = p < ulen ? (size_t)U8_COUNT_TRAIL_BYTES(u[p]) + 1 : 0;
	ends[0] = p;
	ends[1] = l > 0 && l <= ulen - p ? p + l : p;
	if (n >= LIBXML_TEXT_PIECE) {
		ends[0] = ends[1];
		ends[1] = p;
	}
	for (k = 0; k < 2; k++) {
		size_t e = ends[k];

		if (e >= n && e - n >= lo && memcmp(u + e - n, ch, n) == 0) {
			html_verbatim(h, e - n, n);
			return;
		}
	}
	html_align(h, ch, n, p);
}

/* Whether the element libxml2 starts at position p is in the source: a start tag is
 * reported on its '>' (or "/>", or the end of the input), and the tag that ends there
 * names it ("</p>" with no p open makes an empty p). Otherwise libxml2 implied it (html,
 * head and body before the first tag, a p around stray text), and it makes no paragraph
 * break of its own. */
static bool
in_source(const uint8_t *u, size_t len, size_t p, const xmlChar *name)
{
	size_t lt = p, n = strlen((const char *)name);

	if (p < len && u[p] != '>' && !(u[p] == '/' && p + 1 < len && u[p + 1] == '>')) {
		return false;
	}
	while (lt > 0 && u[lt - 1] != '<') {
		lt--;
	}
	if (lt == 0) {
		return false;
	}
	if (lt < len && u[lt] == '/') {
		lt++;
	}
	return len - lt >= n && strncasecmp((const char *)u + lt, (const char *)name, n) == 0 &&
	       (lt + n == len || !((u[lt + n] >= 'a' && u[lt + n] <= 'z') ||
	                           (u[lt + n] >= 'A' && u[lt + n] <= 'Z') ||
	                           (u[lt + n] >= '0' && u[lt + n] <= '9')));
}

static void
sax_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
	struct html *h = ctx;
	const uint8_t *u = h->in->s;
	size_t p = html_pos(h), len = h->in->len;
	uint8_t f;

	(void)atts;
	if (h->err != 0) {
		return;
	}
	if (h->depth == MNEMO_TEXT_HTML_MAX_DEPTH) {
		/* libxml2's own tree builder gives up at 256 levels; past this one, its
		 * search of the element stack on every unmatched end tag would make the
		 * parse quadratic. */
		h->err = -ELOOP;
		xmlStopParser(h->ctxt);
		return;
	}
	f = element_flags(name);
	if (!in_source(u, len, p, name)) {
		f &= (uint8_t)~EL_BLOCK;
	}
	if ((f & EL_BLOCK) && h->drop == 0) {
		request_break(h);
	}
	h->names[h->depth] = name;
	h->flags[h->depth] = f;
	h->depth++;
	h->drop += (f & EL_DROP) != 0;
	h->pre += (f & EL_PRE) != 0;
}

static void
sax_end(void *ctx, const xmlChar *name)
{
	struct html *h = ctx;
	size_t i = h->depth;

	if (h->err != 0) {
		return;
	}
	/* libxml2 ends every element it starts, innermost first, so this is the top one;
	 * the search only guards against the unexpected. */
	while (i > 0 && h->names[i - 1] != name && !xmlStrEqual(h->names[i - 1], name)) {
		i--;
	}
	if (i == 0) {
		return;
	}
	while (h->depth >= i) {
		uint8_t f = h->flags[--h->depth];

		h->drop -= (f & EL_DROP) != 0;
		h->pre -= (f & EL_PRE) != 0;
		if ((f & EL_BLOCK) && h->drop == 0) {
			request_break(h);
		}
	}
}

static void
sax_characters(void *ctx, const xmlChar *ch, int len)
{
	struct html *h = ctx;

	if (h->err != 0 || h->drop > 0 || len <= 0) {
		return;
	}
	html_text(h, ch, (size_t)len);
}

/* libxml2 2.9 reads a start tag's attributes into an array and looks each new name up in
 * all the ones before: a tag with 10^6 different attributes takes hours. Attributes never
 * become text, so past MAX_HTML_ATTRS in a tag the rest of the tag is blanked (spaces,
 * same length, so offsets are unchanged) before libxml2 sees it. The scan follows
 * libxml2's reading of tags: a quote opens a value only after '=', comments and the
 * content of script and style are skipped. Returns the number of bytes blanked. */
static size_t
blank_excess_attributes(uint8_t *u, size_t len)
{
	size_t i = 0, blanked = 0;

	while (i < len) {
		const uint8_t *lt = memchr(u + i, '<', len - i);
		size_t name_start, name_len, count = 0, first_excess = 0;
		bool closed_empty = false;

		if (lt == NULL) {
			break;
		}
		i = (size_t)(lt - u) + 1;
		if (len - i >= 3 && memcmp(u + i, "!--", 3) == 0) {
			const uint8_t *end = memmem(u + i + 3, len - i - 3, "-->", 3);

			i = end != NULL ? (size_t)(end - u) + 3 : len;
			continue;
		}
		if (i >= len || !((u[i] >= 'a' && u[i] <= 'z') || (u[i] >= 'A' && u[i] <= 'Z'))) {
			continue;
		}
		name_start = i;
		while (i < len && ((u[i] >= 'a' && u[i] <= 'z') || (u[i] >= 'A' && u[i] <= 'Z') ||
		                   (u[i] >= '0' && u[i] <= '9') || u[i] == ':' || u[i] == '-' ||
		                   u[i] == '_' || u[i] == '.')) {
			i++;
		}
		name_len = i - name_start;
		for (;;) {
			size_t attr = i;

			while (i < len &&
			       (u[i] == ' ' || u[i] == '\t' || u[i] == '\n' || u[i] == '\r')) {
				i++;
			}
			if (i >= len || u[i] == '>') {
				break;
			}
			if (u[i] == '/' && i + 1 < len && u[i + 1] == '>') {
				closed_empty = true;
				break;
			}
			if (++count == MAX_HTML_ATTRS + 1) {
				first_excess = attr;
			}
			/* A name, or junk up to white space or the end of the tag. */
			while (i < len && u[i] != ' ' && u[i] != '\t' && u[i] != '\n' &&
			       u[i] != '\r' && u[i] != '=' && u[i] != '>' &&
			       !(u[i] == '/' && i + 1 < len && u[i + 1] == '>')) {
				i++;
			}
			while (i < len &&
			       (u[i] == ' ' || u[i] == '\t' || u[i] == '\n' || u[i] == '\r')) {
				i++;
			}
			if (i >= len || u[i] != '=') {
				continue;
			}
			i++;
			while (i < len &&
			       (u[i] == ' ' || u[i] == '\t' || u[i] == '\n' || u[i] == '\r')) {
				i++;
			}
			if (i < len && (u[i] == '"' || u[i] == '\'')) {
				const uint8_t *q = memchr(u + i + 1, u[i], len - i - 1);

				i = q != NULL ? (size_t)(q - u) + 1 : len;
			} else {
				while (i < len && u[i] != ' ' && u[i] != '\t' && u[i] != '\n' &&
				       u[i] != '\r' && u[i] != '>') {
					i++;
				}
			}
		}
		if (count > MAX_HTML_ATTRS) {
			memset(u + first_excess, ' ', i - first_excess);
			blanked += i - first_excess;
		}
		if (!closed_empty && ((name_len == 6 && strncasecmp((const char *)u + name_start,
		                                                    "script", 6) == 0) ||
		                      (name_len == 5 && strncasecmp((const char *)u + name_start,
		                                                    "style", 5) == 0))) {
			/* libxml2 (recovering) ends their raw content at "</" + their name. */
			size_t j = i;

			while (j < len) {
				const uint8_t *c = memmem(u + j, len - j, "</", 2);

				if (c == NULL) {
					j = len;
					break;
				}
				j = (size_t)(c - u);
				if (len - j - 2 >= name_len &&
				    strncasecmp((const char *)c + 2, (const char *)u + name_start,
				                name_len) == 0) {
					break;
				}
				j += 2;
			}
			i = j;
		}
	}
	return blanked;
}

/* What libxml2 reads instead of in->s, when in->s holds bytes it must not see: C0
 * controls (XML forbids them and libxml2 2.9 takes NUL for the end of the input) become
 * DEL, which it passes on as text and the clean stage drops; VT and FF become spaces
 * (HTML white space); a BOM becomes three DELs; excess attributes are blanked. Same
 * length, so offsets are unchanged. *ret is NULL when nothing had to change. */
static int
html_sanitize(const struct src *in, uint8_t **ret)
{
	uint8_t *copy;
	size_t i;
	bool changed = false;

	*ret = NULL;
	copy = malloc(in->len > 0 ? in->len : 1);
	if (copy == NULL) {
		return -ENOMEM;
	}
	memcpy(copy, in->s, in->len);
	for (i = 0; i < in->len; i++) {
		uint8_t b = copy[i];

		if (b < 0x20 && b != '\t' && b != '\n' && b != '\r') {
			copy[i] = b == '\v' || b == '\f' ? ' ' : 0x7f;
			changed = true;
		}
	}
	if (in->len >= 3 && memcmp(copy, "\xef\xbb\xbf", 3) == 0) {
		memset(copy, 0x7f, 3);
		changed = true;
	}
	if (blank_excess_attributes(copy, in->len) > 0) {
		changed = true;
	}
	if (!changed) {
		free(copy);
		return 0;
	}
	*ret = copy;
	return 0;
}

/* The text of the HTML document in->s (valid UTF-8) into out. */
static int
html_extract(const struct src *in, struct mbuf *out)
{
	htmlSAXHandler sax;
	struct html *h;
	struct src view = *in;
	uint8_t *copy = NULL;
	xmlDocPtr doc;
	int r;

	if (in->len > INT_MAX) {
		return -EMSGSIZE; /* libxml2 takes an int */
	}
	if (in->len == 0) {
		return mbuf_reserve(out, 0);
	}
	r = html_sanitize(in, &copy);
	if (r < 0) {
		return r;
	}
	if (copy != NULL) {
		view.s = copy;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		free(copy);
		return -ENOMEM;
	}
	h->in = &view;
	h->out = out;
	h->ctxt = htmlNewParserCtxt();
	if (h->ctxt == NULL) {
		free(h);
		free(copy);
		return -ENOMEM;
	}
	/* SAX only: no tree, no error reports, nothing but what is needed. */
	memset(&sax, 0, sizeof(sax));
	sax.startElement = sax_start;
	sax.endElement = sax_end;
	sax.characters = sax_characters;
	sax.ignorableWhitespace = sax_characters;
	memcpy(h->ctxt->sax, &sax, sizeof(sax));
	h->ctxt->userData = h;
	/* "UTF-8" and IGNORE_ENC: the bytes were converted already, and a <meta charset>
	 * must not make libxml2 convert them again. Never NOENT, DTDLOAD or HUGE. */
	doc = htmlCtxtReadMemory(h->ctxt, (const char *)view.s, (int)view.len, NULL, "UTF-8",
	                         HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
	                                 HTML_PARSE_RECOVER | HTML_PARSE_IGNORE_ENC);
	xmlFreeDoc(doc); /* NULL: the handler builds none */
	r = h->err;
	if (r == 0 && h->ctxt->errNo == XML_ERR_NO_MEMORY) {
		r = -ENOMEM;
	}
	if (r == 0) {
		r = mbuf_reserve(out, 0);
	}
	htmlFreeParserCtxt(h->ctxt);
	free(h);
	free(copy);
	return r;
}

/* ---- The contract ----------------------------------------------------------------- */

static bool
is_utf8_name(UConverter *cnv)
{
	UErrorCode st = U_ZERO_ERROR;
	const char *name = ucnv_getName(cnv, &st);

	return U_SUCCESS(st) && name != NULL && strcmp(name, "UTF-8") == 0;
}

int
mnemo_text_doc_prepare(const void *data, size_t len, const struct mnemo_text_doc_opts *opts,
                       struct mnemo_text_doc *ret, size_t *ret_bad_offset)
{
	const uint8_t *bytes = data;
	struct mbuf decoded = {0}, html = {0}, clean = {0};
	struct src in = {bytes, len, NULL, NULL, 0};
	char encoding[sizeof(ret->encoding)] = "UTF-8";
	UConverter *cnv = NULL;
	size_t bad = 0, clean_prefix = 0;
	bool is_utf8 = true, is_html;
	int r;

	assert(opts != NULL && ret != NULL);
	assert(data != NULL || len == 0);
	pthread_once(&init_once, init_tables);
	is_html = opts->format == MNEMO_TEXT_HTML;
	if (len > UINT32_MAX || (opts->max_bytes != 0 && len > opts->max_bytes)) {
		return -EMSGSIZE;
	}

	if (opts->encoding != NULL && opts->encoding[0] != '\0') {
		r = open_converter(opts->encoding, &cnv);
		if (r < 0) {
			return r;
		}
		if (is_utf8_name(cnv)) {
			ucnv_close(cnv);
			cnv = NULL;
		}
	}
	if (cnv == NULL) {
		/* UTF-8, named or not: the BOM goes, offsets keep counting it. */
		if (len >= 3 && memcmp(bytes, "\xef\xbb\xbf", 3) == 0) {
			in.s = bytes + 3;
			in.len = len - 3;
			in.shift = 3;
		}
		r = scan_utf8(in.s, in.len, &clean_prefix, &bad);
		if (r < 0) {
			bool named = opts->encoding != NULL && opts->encoding[0] != '\0';

			/* A BOM says UTF-8 as clearly as a name. */
			if (named || in.shift != 0 || mostly_utf8(bytes, len)) {
				if (ret_bad_offset != NULL) {
					*ret_bad_offset = bad + in.shift;
				}
				return r;
			}
			is_utf8 = false;
			r = detect_converter(bytes, len, is_html, &cnv);
			if (r < 0) {
				return r;
			}
			if (is_utf8_name(cnv)) {
				ucnv_close(cnv);
				if (ret_bad_offset != NULL) {
					*ret_bad_offset = bad + in.shift;
				}
				return -EILSEQ;
			}
		}
	} else {
		is_utf8 = false;
	}

	if (is_utf8 && !is_html && in.shift == 0 && clean_prefix == len) {
		/* The common case: the text is the input. */
		char *text = malloc(len + 1);

		if (text == NULL) {
			return -ENOMEM;
		}
		memcpy(text, data, len);
		text[len] = '\0';
		memset(ret, 0, sizeof(*ret));
		ret->text = text;
		ret->len = len;
		memcpy(ret->encoding, encoding, sizeof(encoding));
		return 0;
	}

	if (!is_utf8) {
		encoding_name(cnv, encoding, sizeof(encoding));
		r = decode_icu(cnv, bytes, len, &decoded, &bad);
		ucnv_close(cnv);
		if (r < 0) {
			if (r == -EILSEQ && ret_bad_offset != NULL) {
				*ret_bad_offset = bad;
			}
			goto out;
		}
		in = (struct src){(const uint8_t *)decoded.s, decoded.len, decoded.start,
		                  decoded.end, 0};
		clean_prefix = 0;
	}
	if (is_html) {
		r = html_extract(&in, &html);
		if (r < 0) {
			goto out;
		}
		mbuf_fini(&decoded);
		in = (struct src){(const uint8_t *)html.s, html.len, html.start, html.end, 0};
		clean_prefix = 0;
	}
	r = clean_text(&in, clean_prefix, &clean);
	if (r < 0) {
		goto out;
	}
	clean.s[clean.len] = '\0';
	memset(ret, 0, sizeof(*ret));
	ret->text = clean.s;
	ret->len = clean.len;
	if (is_utf8 && !is_html && in.shift == 0 && clean.len == len &&
	    memcmp(clean.s, data, len) == 0) {
		/* Nothing changed after all (a lone combining mark at the start, ...). */
		free(clean.start);
		free(clean.end);
	} else {
		ret->orig_start = clean.start;
		ret->orig_end = clean.end;
	}
	memcpy(ret->encoding, encoding, sizeof(encoding));
	memset(&clean, 0, sizeof(clean));
out:
	mbuf_fini(&decoded);
	mbuf_fini(&html);
	mbuf_fini(&clean);
	return r;
}

void
mnemo_text_doc_fini(struct mnemo_text_doc *doc)
{
	if (doc == NULL) {
		return;
	}
	free(doc->text);
	free(doc->orig_start);
	free(doc->orig_end);
	memset(doc, 0, sizeof(*doc));
}

void
mnemo_text_doc_span(const struct mnemo_text_doc *doc, size_t start, size_t end, size_t *ret_start,
                    size_t *ret_end)
{
	assert(start < end && end <= doc->len);
	if (doc->orig_start == NULL) {
		*ret_start = start;
		*ret_end = end;
		return;
	}
	*ret_start = doc->orig_start[start];
	*ret_end = doc->orig_end[end - 1];
	if (*ret_end < *ret_start) {
		*ret_end = *ret_start; /* not expected: the maps are monotonic */
	}
}
