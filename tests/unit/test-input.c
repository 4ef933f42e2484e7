/* Unit tests for common/text/input.c: encodings, cleaning, NFC and HTML text with maps back
 * to the original bytes. Every document a test prepares also goes through doc_sane(), which
 * checks, for each clean character, that the original bytes it maps to could have produced
 * it (they decode to it, are an entity for it, or are the markup or white space a break or
 * a space stands for). */
#include "check.h"
#include "input.h"
#include "text.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/HTMLparser.h>
#include <unicode/ucnv.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

/* Generous, so the size tests also pass under sanitizers and on slow CI machines. */
#define TIME_LIMIT_S 10.0

#define NBSP "\xc2\xa0"      /* U+00A0 */
#define NNBSP "\xe2\x80\xaf" /* U+202F */
#define ZWSP "\xe2\x80\x8b"  /* U+200B */
#define SHY "\xc2\xad"       /* U+00AD */
#define RLO "\xe2\x80\xae"   /* U+202E */
#define PDF "\xe2\x80\xac"   /* U+202C */
#define LS "\xe2\x80\xa8"    /* U+2028 */
#define ACUTE "\xcc\x81"     /* U+0301 combining acute */
#define GRAVE "\xcc\x80"     /* U+0300 combining grave */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- The plausibility check ------------------------------------------------------- */

/* The spec's removals, written out again independently of input.c. */
static int
spec_class(UChar32 c) /* 0 keep, 1 drop, 2 newline */
{
	if (c == '\t' || c == '\n' || c == '\r') {
		return 0;
	}
	if (c == 0x0b || c == 0x0c || c == 0x85 || c == 0x2028 || c == 0x2029) {
		return 2;
	}
	if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0xad || (c >= 0x200b && c <= 0x200f) ||
	    (c >= 0x202a && c <= 0x202e) || c == 0x2060 || (c >= 0x2066 && c <= 0x2069) ||
	    c == 0xfeff) {
		return 1;
	}
	return 0;
}

static const uint16_t c1_refs[32] = {
        0x20ac, 0,      0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160,
        0x2039, 0x0152, 0,      0x017d, 0,      0,      0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
        0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0,      0x017e, 0x0178,
};

/* Decodes s[0..n) in the named encoding into UTF-16, decoding HTML character
 * references and dropping markup when html is set, applying the spec's removals, then NFC
 * (or NFD). */
static int32_t
expand(const char *enc, bool html, bool nfd, const uint8_t *s, size_t n, UChar *out, int32_t cap)
{
	UErrorCode st = U_ZERO_ERROR;
	UChar *raw = malloc((n + 1) * sizeof(UChar) * 2);
	UChar *tmp = malloc((n + 1) * sizeof(UChar) * 2);
	UConverter *cnv = ucnv_open(enc, &st);
	int32_t nraw, i, k = 0, nout;
	const UNormalizer2 *nfc = unorm2_getNFCInstance(&st);

	nraw = ucnv_toUChars(cnv, raw, (int32_t)(n + 1) * 2, (const char *)s, (int32_t)n, &st);
	ucnv_close(cnv);
	for (i = 0; U_SUCCESS(st) && i < nraw;) {
		UChar32 c;

		U16_NEXT(raw, i, nraw, c);
		if (html && c == '<' && i < nraw &&
		    ((raw[i] >= 'a' && raw[i] <= 'z') || (raw[i] >= 'A' && raw[i] <= 'Z') ||
		     raw[i] == '/' || raw[i] == '!')) {
			/* Markup: a composed character may span it. */
			static const UChar comment_end[] = {'-', '-', '>', 0};
			const UChar *e = NULL;

			if (i + 2 < nraw && raw[i] == '!' && raw[i + 1] == '-' &&
			    raw[i + 2] == '-') {
				raw[nraw] = 0;
				e = u_strstr(raw + i, comment_end);
				e = e != NULL ? e + 2 : NULL;
			} else {
				UChar quote = 0;
				int32_t j;

				for (j = i; j < nraw && e == NULL; j++) {
					if (quote != 0) {
						quote = raw[j] == quote ? 0 : quote;
					} else if (raw[j] == '"' || raw[j] == '\'') {
						quote = raw[j];
					} else if (raw[j] == '>') {
						e = raw + j;
					}
				}
			}
			if (e != NULL) {
				/* Script content goes with the element. */
				static const UChar script[] = {'s', 'c', 'r', 'i', 'p', 't', 0};
				static const UChar end_script[] = {'<', '/', 's', 'c', 'r',
				                                   'i', 'p', 't', 0};
				const UChar *close = NULL;

				int32_t name = i;

				i = (int32_t)(e - raw) + 1;
				raw[nraw] = 0;
				if (i - name == 7 && u_strncmp(raw + name, script, 6) == 0) {
					close = u_strstr(raw + i, end_script);
				} else {
					continue;
				}
				i = close != NULL ? (int32_t)(close - raw) : nraw;
				continue;
			}
		}
		if (html && c == '&') {
			/* Up to ';' or the end of a name. */
			char name[48];
			int32_t j = i, nn = 0;

			while (j < nraw && nn < 40 && raw[j] != ';' && raw[j] < 0x80 &&
			       (raw[j] == '#' || (raw[j] >= '0' && raw[j] <= '9') ||
			        (raw[j] >= 'a' && raw[j] <= 'z') ||
			        (raw[j] >= 'A' && raw[j] <= 'Z'))) {
				name[nn++] = (char)raw[j++];
			}
			name[nn] = '\0';
			if (nn > 0) {
				long v = -1;

				if (name[0] == '#') {
					v = (name[1] == 'x' || name[1] == 'X')
					            ? strtol(name + 2, NULL, 16)
					            : strtol(name + 1, NULL, 10);
					if (v >= 0x80 && v <= 0x9f && c1_refs[v - 0x80] != 0) {
						v = c1_refs[v - 0x80];
					}
				} else {
					const htmlEntityDesc *e =
					        htmlEntityLookup((const xmlChar *)name);

					v = e != NULL ? (long)e->value : -1;
				}
				if (v > 0 && v <= 0x10ffff) {
					c = (UChar32)v;
					i = j < nraw && raw[j] == ';' ? j + 1 : j;
				} else if (name[0] == '#') {
					/* "&#0;", "&#x;": libxml2 drops them. */
					i = j < nraw && raw[j] == ';' ? j + 1 : j;
					continue;
				}
			}
		}
		if (html && (c == 0xfffe || c == 0xffff)) {
			continue; /* not XML characters: libxml2 drops them */
		}
		switch (spec_class(c)) {
		case 1:
			continue;
		case 2:
			c = '\n';
			break;
		}
		U16_APPEND_UNSAFE(tmp, k, c);
	}
	nout = unorm2_normalize(nfd ? unorm2_getNFDInstance(&st) : nfc, tmp, k, out, cap, &st);
	free(raw);
	free(tmp);
	return U_SUCCESS(st) ? nout : -1;
}

static bool
has_byte(const uint8_t *s, size_t n, const char *set)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] != '\0' && strchr(set, s[i]) != NULL) {
			return true;
		}
	}
	return false;
}

/* Every clean character maps back to bytes that plausibly produced it; the maps are
 * monotonic and inside the input; the text is NUL-terminated NFC UTF-8 with nothing the
 * spec removes. Returns the number of implausible characters (0 is good). */
static int
doc_sane(const struct mnemo_text_doc *doc, const void *data, size_t len, bool html)
{
	const uint8_t *orig = data;
	const UNormalizer2 *nfc;
	UErrorCode st = U_ZERO_ERROR;
	UChar *u16;
	int32_t n16 = 0;
	size_t i, bad = 0;

	if (doc->text == NULL || doc->text[doc->len] != '\0' ||
	    mnemo_text_check_utf8(doc->text, doc->len, NULL) < 0) {
		return 1;
	}
	if (doc->orig_start == NULL) {
		/* The text is the input, byte for byte. */
		return (doc->orig_end == NULL && doc->len == len &&
		        memcmp(doc->text, data, len) == 0)
		               ? 0
		               : 1;
	}
	u16 = malloc((doc->len + 1) * sizeof(UChar));
	u_strFromUTF8(u16, (int32_t)doc->len + 1, &n16, doc->text, (int32_t)doc->len, &st);
	nfc = unorm2_getNFCInstance(&st);
	if (U_FAILURE(st) || !unorm2_isNormalized(nfc, u16, n16, &st)) {
		bad++;
	}
	free(u16);
	for (i = 0; i < doc->len; i++) {
		if (doc->orig_start[i] >= doc->orig_end[i] || doc->orig_end[i] > len ||
		    (i > 0 && (doc->orig_start[i] < doc->orig_start[i - 1] ||
		               doc->orig_end[i] < doc->orig_end[i - 1]))) {
			fprintf(stderr, "bad map at %zu: [%u, %u)\n", i, doc->orig_start[i],
			        doc->orig_end[i]);
			return (int)bad + 1;
		}
	}
	for (i = 0; i < doc->len;) {
		size_t k = i, os, oe;
		UChar32 c;
		bool ok;

		U8_NEXT(doc->text, k, doc->len, c);
		if (spec_class(c) == 1) {
			bad++;
		}
		mnemo_text_doc_span(doc, i, k, &os, &oe);
		if (c == '\n' && (html ? has_byte(orig + os, oe - os, "<\n\r\v\f")
		                       : has_byte(orig + os, oe - os, "\n\r\v\f"))) {
			ok = true;
		} else if (c == '\n' && !html && oe - os >= 2) {
			ok = true; /* NEL, LS, PS: checked by decoding below */
			goto decode;
		} else if (c == ' ' && html && has_byte(orig + os, oe - os, " \t\n\r\f")) {
			ok = true;
		} else {
		decode:;
			/* Each piece of the clean character's canonical decomposition is in the
			 * original bytes' (a composed character may span markup in HTML). */
			UChar cu[4], want[32], got[4096];
			int32_t ncu = 0, nwant, ngot, j;
			UErrorCode st2 = U_ZERO_ERROR;
			bool found = true;

			U16_APPEND_UNSAFE(cu, ncu, c);
			nwant = unorm2_normalize(unorm2_getNFDInstance(&st2), cu, ncu, want, 32,
			                         &st2);
			ngot = oe - os < 1000 ? expand(doc->encoding, html, true, orig + os,
			                               oe - os, got, 4095)
			                      : -1;
			for (j = 0; j < nwant && found;) {
				UChar32 d;

				U16_NEXT(want, j, nwant, d);
				found = ngot > 0 && u_memchr32(got, d, ngot) != NULL;
			}
			ok = U_SUCCESS(st2) && found;
		}
		if (!ok) {
			fprintf(stderr,
			        "implausible: clean [%zu,%zu) '%.*s' <- orig [%zu,%zu) '%.*s'\n", i,
			        k, (int)(k - i), c == '\n' ? "\\n" : doc->text + i, os, oe,
			        (int)(oe - os > 60 ? 60 : oe - os), (const char *)orig + os);
			bad++;
		}
		i = k;
	}
	return (int)bad;
}

/* ---- Helpers ---------------------------------------------------------------------- */

static int
prep(const void *data, size_t len, enum mnemo_text_format format, const char *enc,
     struct mnemo_text_doc *doc, size_t *bad)
{
	struct mnemo_text_doc_opts opts = {.format = format, .encoding = enc, .max_bytes = 0};
	size_t dummy = SIZE_MAX;
	int r;

	memset(doc, 0, sizeof(*doc));
	r = mnemo_text_doc_prepare(data, len, &opts, doc, bad != NULL ? bad : &dummy);
	if (r == 0) {
		CHECK_MSG(doc_sane(doc, data, len, format == MNEMO_TEXT_HTML) == 0,
		          "implausible map for '%.*s'", (int)(len > 80 ? 80 : len),
		          (const char *)data);
	}
	return r;
}

/* Prepares s (NUL-terminated), checks the clean text, and returns the doc for more. */
static void
expect(const char *s, enum mnemo_text_format format, const char *enc, const char *want,
       const char *want_enc, struct mnemo_text_doc *doc)
{
	int r = prep(s, strlen(s), format, enc, doc, NULL);

	CHECK_MSG(r == 0, "prepare('%s') = %d", s, r);
	if (r == 0) {
		CHECK_STR(doc->text, want);
		CHECK_INT(doc->len, strlen(want));
		if (want_enc != NULL) {
			CHECK_STR(doc->encoding, want_enc);
		}
	}
}

/* The original bytes behind the first occurrence of needle in the clean text. */
static bool
span_of(const struct mnemo_text_doc *doc, const char *needle, size_t *os, size_t *oe)
{
	const char *at = doc->text != NULL ? strstr(doc->text, needle) : NULL;
	size_t i;

	if (at == NULL || needle[0] == '\0') {
		return false;
	}
	i = (size_t)(at - doc->text);
	mnemo_text_doc_span(doc, i, i + strlen(needle), os, oe);
	return true;
}

/* The clean needle maps to exactly the original bytes want. */
#define CHECK_SPAN(doc, orig, needle, want)                                                        \
	do {                                                                                       \
		size_t os_ = 0, oe_ = 0;                                                           \
		bool found_ = span_of((doc), (needle), &os_, &oe_);                                \
		CHECK_MSG(found_, "'%s' not in '%s'", (needle), (doc)->text);                      \
		if (found_) {                                                                      \
			CHECK_MSG(oe_ - os_ == strlen(want) &&                                     \
			                  memcmp((orig) + os_, (want), strlen(want)) == 0,         \
			          "'%s' maps to [%zu,%zu) '%.*s', want '%s'", (needle), os_, oe_,  \
			          (int)(oe_ - os_), (orig) + os_, (want));                         \
		}                                                                                  \
	} while (0)

/* The clean needle maps to original offsets [s, e). */
#define CHECK_SPAN_AT(doc, needle, s, e)                                                           \
	do {                                                                                       \
		size_t os_ = 0, oe_ = 0;                                                           \
		bool found_ = span_of((doc), (needle), &os_, &oe_);                                \
		CHECK_MSG(found_ &&os_ == (size_t)(s) && oe_ == (size_t)(e),                       \
		          "'%s' maps to [%zu,%zu), want [%zu,%zu)", (needle), os_, oe_,            \
		          (size_t)(s), (size_t)(e));                                               \
	} while (0)

/* ---- Plain text, UTF-8 ------------------------------------------------------------ */

static void
test_utf8_passthrough(void)
{
	const char *s = "L\xe2\x80\x99\xc3\xa9t\xc3\xa9 dernier" NNBSP "; \xc2\xab" NBSP
	                "Vraiment" NBSP "?" NBSP "\xc2\xbb dit-il\xe2\x80\xa6\r\n\tFin " ACUTE
	                "\xe2\x82\xac \xf0\x9f\x98\x80";
	struct mnemo_text_doc doc;
	size_t os, oe;

	/* A combining mark right after a space composes with nothing: still NFC. */
	expect(s, MNEMO_TEXT_PLAIN, NULL, s, "UTF-8", &doc);
	CHECK(doc.orig_start == NULL && doc.orig_end == NULL);
	CHECK(doc.text != s);
	mnemo_text_doc_span(&doc, 3, 7, &os, &oe);
	CHECK(os == 3 && oe == 7);
	mnemo_text_doc_fini(&doc);
	CHECK(doc.text == NULL && doc.len == 0);
	mnemo_text_doc_fini(&doc); /* twice is fine */
	mnemo_text_doc_fini(NULL);

	expect("", MNEMO_TEXT_PLAIN, NULL, "", "UTF-8", &doc);
	CHECK(doc.orig_start == NULL);
	mnemo_text_doc_fini(&doc);

	/* Named UTF-8, by any of its names, takes the same path. */
	expect("caf\xc3\xa9", MNEMO_TEXT_PLAIN, "utf8", "caf\xc3\xa9", "UTF-8", &doc);
	CHECK(doc.orig_start == NULL);
	mnemo_text_doc_fini(&doc);
	expect("caf\xc3\xa9", MNEMO_TEXT_PLAIN, "UTF-8", "caf\xc3\xa9", "UTF-8", &doc);
	CHECK(doc.orig_start == NULL);
	mnemo_text_doc_fini(&doc);
}

static void
test_bom(void)
{
	const char *s = "\xef\xbb\xbf"
	                "Caf\xc3\xa9 cr\xc3\xa8me";
	struct mnemo_text_doc doc;

	expect(s, MNEMO_TEXT_PLAIN, NULL, "Caf\xc3\xa9 cr\xc3\xa8me", "UTF-8", &doc);
	CHECK(doc.orig_start != NULL);
	CHECK_SPAN_AT(&doc, "C", 3, 4);
	CHECK_SPAN_AT(&doc, "\xc3\xa9", 6, 8);
	CHECK_SPAN_AT(&doc, "cr\xc3\xa8me", 9, 15);
	mnemo_text_doc_fini(&doc);

	/* A BOM and nothing else; a BOM with something to clean after it. */
	expect("\xef\xbb\xbf", MNEMO_TEXT_PLAIN, NULL, "", "UTF-8", &doc);
	mnemo_text_doc_fini(&doc);
	expect("\xef\xbb\xbf"
	       "e" ACUTE,
	       MNEMO_TEXT_PLAIN, "UTF-8", "\xc3\xa9", "UTF-8", &doc);
	CHECK_SPAN_AT(&doc, "\xc3\xa9", 3, 6);
	mnemo_text_doc_fini(&doc);
}

static void
test_invalid_utf8(void)
{
	struct mnemo_text_doc doc;
	size_t bad = 0;

	/* Named UTF-8: the first bad byte, whatever it is. */
	CHECK_INT(prep("abc\xc3(", 5, MNEMO_TEXT_PLAIN, "UTF-8", &doc, &bad), -EILSEQ);
	CHECK_INT(bad, 3);
	CHECK(doc.text == NULL); /* ret untouched */
	CHECK_INT(prep("a\xc0\xaf", 3, MNEMO_TEXT_PLAIN, "UTF-8", &doc, &bad), -EILSEQ);
	CHECK_INT(bad, 1);
	CHECK_INT(prep("ab\xed\xa0\x80", 5, MNEMO_TEXT_PLAIN, "utf-8", &doc, &bad), -EILSEQ);
	CHECK_INT(bad, 2);
	CHECK_INT(prep("ab\0c", 4, MNEMO_TEXT_PLAIN, "UTF-8", &doc, &bad), -EILSEQ);
	CHECK_INT(bad, 2);
	CHECK_INT(prep("ab\xf4\x90\x80\x80", 6, MNEMO_TEXT_HTML, "UTF-8", &doc, &bad), -EILSEQ);
	CHECK_INT(bad, 2);
	/* Not named, but mostly UTF-8: reported, not guessed into mojibake. */
	CHECK_INT(prep("caf\xc3\xa9 \xff", 7, MNEMO_TEXT_PLAIN, NULL, &doc, &bad), -EILSEQ);
	CHECK_INT(bad, 6);
	CHECK_INT(prep("\xc3\xa9t\xc3\xa9 \xe2\x80\x99 \xe9", 11, MNEMO_TEXT_PLAIN, "", &doc, &bad),
	          -EILSEQ);
	CHECK_INT(bad, 10);
	/* A BOM says UTF-8: the offset counts it. */
	CHECK_INT(prep("\xef\xbb\xbf"
	               "ab\xe9",
	               6, MNEMO_TEXT_PLAIN, NULL, &doc, &bad),
	          -EILSEQ);
	CHECK_INT(bad, 5);
}

/* ---- Other encodings -------------------------------------------------------------- */

static void
test_windows_1252(void)
{
	struct mnemo_text_doc doc;
	const char *s;

	s = "\xe9t\xe9";
	expect(s, MNEMO_TEXT_PLAIN, "windows-1252", "\xc3\xa9t\xc3\xa9", "windows-1252", &doc);
	CHECK_SPAN_AT(&doc, "\xc3\xa9", 0, 1);
	CHECK_SPAN_AT(&doc, "t", 1, 2);
	mnemo_text_doc_fini(&doc);

	s = "\x93guillemets\x94 \x96 \x85 \x80 \x9c"
	    "uvre";
	expect(s, MNEMO_TEXT_PLAIN, "cp1252",
	       "\xe2\x80\x9cguillemets\xe2\x80\x9d \xe2\x80\x93 \xe2\x80\xa6 \xe2\x82\xac "
	       "\xc5\x93uvre",
	       "windows-1252", &doc);
	CHECK_SPAN(&doc, s, "\xe2\x80\x9d", "\x94");
	CHECK_SPAN(&doc, s, "\xe2\x82\xac", "\x80");
	CHECK_SPAN(&doc, s, "guillemets\xe2\x80\x9d", "guillemets\x94");
	mnemo_text_doc_fini(&doc);

	/* The five bytes windows-1252 leaves undefined are C1 controls in ICU's table:
	 * removed, like any C1 control. */
	expect("a\x81"
	       "b\x9d",
	       MNEMO_TEXT_PLAIN, "windows-1252", "ab", NULL, &doc);
	CHECK_SPAN_AT(&doc, "b", 2, 3);
	mnemo_text_doc_fini(&doc);
}

static void
test_iso_8859_1(void)
{
	struct mnemo_text_doc doc;
	const char *s = "Caf\xe9 cr\xe8me br\xfbl\xe9"
	                "e \xab"
	                "\xa0oui\xa0\xbb";

	expect(s, MNEMO_TEXT_PLAIN, "ISO-8859-1",
	       "Caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9"
	       "e \xc2\xab" NBSP "oui" NBSP "\xc2\xbb",
	       "ISO-8859-1", &doc);
	CHECK_SPAN(&doc, s,
	           "br\xc3\xbbl\xc3\xa9"
	           "e",
	           "br\xfbl\xe9"
	           "e");
	mnemo_text_doc_fini(&doc);

	expect("caf\xe9", MNEMO_TEXT_PLAIN, "latin1", "caf\xc3\xa9", "ISO-8859-1", &doc);
	mnemo_text_doc_fini(&doc);
	/* 0x80 is a C1 control in ISO-8859-1, not a euro sign. */
	expect("1\x80", MNEMO_TEXT_PLAIN, "ISO-8859-1", "1", "ISO-8859-1", &doc);
	mnemo_text_doc_fini(&doc);
}

static void
test_detection(void)
{
	/* A paragraph of French in Windows-1252, written for this test. */
	const char *p1252 =
	        "L'\xe9t\xe9 dernier, nous sommes all\xe9s \xe0 la mer avec les enfants. "
	        "C'\xe9tait tr\xe8s agr\xe9"
	        "able, m\xeame si l'eau \xe9tait un peu fra\xee"
	        "che. \x93Quelle belle journ\xe9"
	        "e\x94, a dit ma m\xe8re en rentrant. Nous "
	        "avons d\xe9jeun\xe9 au caf\xe9 du port \x96 des cr\xea"
	        "pes, du cidre et une "
	        "glace \xe0 la pistache pour 12 \x80\x85";
	const char *platin =
	        "L'\xe9t\xe9 dernier, nous sommes all\xe9s \xe0 la mer avec les enfants. "
	        "C'\xe9tait tr\xe8s agr\xe9"
	        "able, m\xeame si l'eau \xe9tait un peu fra\xee"
	        "che. Nous avons d\xe9jeun\xe9 au caf\xe9 du port, des cr\xea"
	        "pes et du cidre.";
	struct mnemo_text_doc doc;
	int r;

	r = prep(p1252, strlen(p1252), MNEMO_TEXT_PLAIN, NULL, &doc, NULL);
	CHECK_INT(r, 0);
	CHECK_STR(doc.encoding, "windows-1252");
	CHECK(doc.text != NULL && strstr(doc.text, "\xe2\x80\x9cQuelle belle journ\xc3\xa9"
	                                           "e"
	                                           "\xe2\x80\x9d") != NULL);
	CHECK(doc.text != NULL && strstr(doc.text, "12 \xe2\x82\xac\xe2\x80\xa6") != NULL);
	CHECK_SPAN(&doc, p1252,
	           "journ\xc3\xa9"
	           "e",
	           "journ\xe9"
	           "e");
	mnemo_text_doc_fini(&doc);

	r = prep(platin, strlen(platin), MNEMO_TEXT_PLAIN, NULL, &doc, NULL);
	CHECK_INT(r, 0);
	CHECK_STR(doc.encoding, "ISO-8859-1");
	CHECK(doc.text != NULL && strstr(doc.text, "fra\xc3\xae"
	                                           "che") != NULL);
	mnemo_text_doc_fini(&doc);

	/* Too short for the detector: the legacy web's encodings. */
	expect("\xe9t\xe9", MNEMO_TEXT_PLAIN, NULL, "\xc3\xa9t\xc3\xa9", "ISO-8859-1", &doc);
	mnemo_text_doc_fini(&doc);
	expect("\x93guillemets\x94", MNEMO_TEXT_PLAIN, NULL, "\xe2\x80\x9cguillemets\xe2\x80\x9d",
	       "windows-1252", &doc);
	mnemo_text_doc_fini(&doc);
	expect("\x80", MNEMO_TEXT_PLAIN, "", "\xe2\x82\xac", "windows-1252", &doc);
	CHECK_SPAN_AT(&doc, "\xe2\x82\xac", 0, 1);
	mnemo_text_doc_fini(&doc);

	/* UTF-16 with a BOM is recognised; the BOM goes, offsets count it. */
	{
		static const char u16[] = "\xff\xfe"
		                          "B\0o\0n\0j\0o\0u\0r\0 \0\xe9\0t\0\xe9\0 \0"
		                          "l\0e\0 \0m\0o\0n\0d\0e\0";

		r = prep(u16, sizeof(u16) - 1, MNEMO_TEXT_PLAIN, NULL, &doc, NULL);
		CHECK_INT(r, 0);
		CHECK_STR(doc.text, "Bonjour \xc3\xa9t\xc3\xa9 le monde");
		CHECK(strncmp(doc.encoding, "UTF-16", 6) == 0);
		CHECK_SPAN_AT(&doc, "B", 2, 4);
		CHECK_SPAN_AT(&doc, "\xc3\xa9t", 18, 22);
		mnemo_text_doc_fini(&doc);
	}
}

static void
test_named_encodings(void)
{
	static const char u16[] = "\xfe\xff\0a\0\xe9\xd8\x3d\xde\x00";
	static const char sjis[] = "\x93\xfa\x96\x7b";
	struct mnemo_text_doc doc;
	size_t bad = 0;
	int r;

	r = prep(u16, sizeof(u16) - 1, MNEMO_TEXT_PLAIN, "UTF-16", &doc, NULL);
	CHECK_INT(r, 0);
	CHECK_STR(doc.text, "a\xc3\xa9\xf0\x9f\x98\x80");
	CHECK_STR(doc.encoding, "UTF-16");
	CHECK_SPAN_AT(&doc, "a", 2, 4);
	CHECK_SPAN_AT(&doc, "\xf0\x9f\x98\x80", 6, 10);
	mnemo_text_doc_fini(&doc);

	expect(sjis, MNEMO_TEXT_PLAIN, "Shift_JIS", "\xe6\x97\xa5\xe6\x9c\xac", "Shift_JIS", &doc);
	CHECK_SPAN_AT(&doc, "\xe6\x9c\xac", 2, 4);
	mnemo_text_doc_fini(&doc);

	expect("caf\xe9 \xa4", MNEMO_TEXT_PLAIN, "ISO-8859-15", "caf\xc3\xa9 \xe2\x82\xac",
	       "ISO-8859-15", &doc);
	mnemo_text_doc_fini(&doc);

	/* Invalid bytes in a named encoding: the first bad byte. */
	CHECK_INT(prep("a\x82\xa0\x82z", 5, MNEMO_TEXT_PLAIN, "Shift_JIS", &doc, &bad), -EILSEQ);
	CHECK_INT(bad, 3);
	CHECK_INT(prep("a\x82\xa0\x82", 4, MNEMO_TEXT_PLAIN, "Shift_JIS", &doc, &bad), -EILSEQ);
	CHECK_INT(bad, 3);
	CHECK_INT(prep("a\0\0\xd8z\0", 6, MNEMO_TEXT_PLAIN, "UTF-16LE", &doc, &bad), -EILSEQ);
	CHECK_INT(bad, 2);
	CHECK_INT(prep("a\0b", 3, MNEMO_TEXT_PLAIN, "UTF-16LE", &doc, &bad), -EILSEQ);
	CHECK_INT(bad, 2);
	CHECK_INT(prep("caf\xe9", 4, MNEMO_TEXT_PLAIN, "US-ASCII", &doc, &bad), -EILSEQ);
	CHECK_INT(bad, 3);
	CHECK_INT(prep("<p>caf\xe9</p>", 11, MNEMO_TEXT_HTML, "US-ASCII", &doc, &bad), -EILSEQ);
	CHECK_INT(bad, 6);
	/* A bad byte past the first conversion chunk still has its own offset. */
	{
		size_t n = 200000;
		char *big = malloc(n);

		memset(big, 'a', n);
		big[150001] = '\x82';
		big[150002] = 'z';
		CHECK_INT(prep(big, n, MNEMO_TEXT_PLAIN, "Shift_JIS", &doc, &bad), -EILSEQ);
		CHECK_INT(bad, 150001);
		free(big);
	}

	/* Unknown names. */
	CHECK_INT(prep("abc", 3, MNEMO_TEXT_PLAIN, "klingon-8", &doc, &bad), -EINVAL);
	CHECK_INT(prep("abc", 3, MNEMO_TEXT_HTML, "windows-99999", &doc, &bad), -EINVAL);
	CHECK(doc.text == NULL);
}

static void
test_sizes(void)
{
	struct mnemo_text_doc_opts opts = {.format = MNEMO_TEXT_PLAIN, .max_bytes = 4};
	struct mnemo_text_doc doc = {0};

	CHECK_INT(mnemo_text_doc_prepare("abcde", 5, &opts, &doc, NULL), -EMSGSIZE);
	CHECK_INT(mnemo_text_doc_prepare("abcd", 4, &opts, &doc, NULL), 0);
	mnemo_text_doc_fini(&doc);
	opts.max_bytes = 0;
	/* Refused on the length alone, before a byte is read. */
	CHECK_INT(mnemo_text_doc_prepare("a", (size_t)UINT32_MAX + 1, &opts, &doc, NULL),
	          -EMSGSIZE);
	CHECK(doc.text == NULL);
}

/* ---- Normalisation and removals --------------------------------------------------- */

static void
test_nfc(void)
{
	const char *s = "Cafe" ACUTE " cre" GRAVE "me";
	struct mnemo_text_doc doc;

	expect(s, MNEMO_TEXT_PLAIN, NULL, "Caf\xc3\xa9 cr\xc3\xa8me", "UTF-8", &doc);
	CHECK(doc.orig_start != NULL);
	CHECK_SPAN(&doc, s, "\xc3\xa9", "e" ACUTE);
	CHECK_SPAN(&doc, s, "\xc3\xa8", "e" GRAVE);
	CHECK_SPAN(&doc, s, "Caf", "Caf");
	CHECK_SPAN(&doc, s, "me", "me");
	mnemo_text_doc_fini(&doc);

	/* Marks out of canonical order are reordered (dot below, ccc 220, before acute,
	 * 230), then composed: the whole cluster maps to all of it. */
	s = "xa" ACUTE "\xcc\xa3y";
	expect(s, MNEMO_TEXT_PLAIN, NULL, "x\xe1\xba\xa1\xcc\x81y", NULL, &doc);
	CHECK_SPAN(&doc, s, "\xe1\xba\xa1\xcc\x81", "a" ACUTE "\xcc\xa3");
	CHECK_SPAN_AT(&doc, "y", 6, 7);
	mnemo_text_doc_fini(&doc);

	/* Singleton decompositions (U+212B ANGSTROM SIGN -> U+00C5). */
	expect("\xe2\x84\xab", MNEMO_TEXT_PLAIN, NULL, "\xc3\x85", NULL, &doc);
	CHECK_SPAN_AT(&doc, "\xc3\x85", 0, 3);
	mnemo_text_doc_fini(&doc);

	/* NFD from a legacy encoding is composed too. */
	expect("e\xcc\x81", MNEMO_TEXT_PLAIN, "UTF-8", "\xc3\xa9", NULL, &doc);
	mnemo_text_doc_fini(&doc);

	/* 10^5 combining marks on one base: bounded (normalised in pieces). */
	{
		size_t n = 100000, i;
		char *big = malloc(1 + 2 * n + 1);
		struct mnemo_text_doc_opts opts = {.format = MNEMO_TEXT_PLAIN};
		double t0 = now_s();
		int r;

		big[0] = 'e';
		for (i = 0; i < n; i++) {
			memcpy(big + 1 + 2 * i, i % 2 ? "\xcc\xa3" : ACUTE, 2);
		}
		big[1 + 2 * n] = '\0';
		/* Not through prep(): normalised in pieces, the result is not quite NFC. */
		r = mnemo_text_doc_prepare(big, 1 + 2 * n, &opts, &doc, NULL);
		CHECK_INT(r, 0);
		CHECK(r == 0 && doc.orig_start != NULL && doc.orig_end[doc.len - 1] == 1 + 2 * n);
		CHECK(now_s() - t0 < TIME_LIMIT_S);
		mnemo_text_doc_fini(&doc);
		free(big);
	}
}

static void
test_removals(void)
{
	struct mnemo_text_doc doc;
	const char *s;

	s = "a" ZWSP "b";
	expect(s, MNEMO_TEXT_PLAIN, NULL, "ab", NULL, &doc);
	CHECK_SPAN_AT(&doc, "a", 0, 1);
	CHECK_SPAN_AT(&doc, "b", 4, 5);
	mnemo_text_doc_fini(&doc);

	s = "ch" SHY "at " RLO "abc" PDF " \xe2\x80\x8c\xe2\x80\x8d\xe2\x81\xa0\xef\xbb\xbf"
	    "x\xe2\x81\xa6y\xe2\x81\xa9\xe2\x80\x8e\xe2\x80\x8f";
	expect(s, MNEMO_TEXT_PLAIN, NULL, "chat abc xy", NULL, &doc);
	CHECK_SPAN(&doc, s, "at", "at");
	CHECK_SPAN(&doc, s, "abc", "abc");
	CHECK_SPAN(&doc, s, "y", "y");
	mnemo_text_doc_fini(&doc);

	/* Controls: C0 other than \t \n \r and DEL and C1 go; VT, FF, NEL and U+2028/9 are
	 * line breaks. \r\n stays. */
	s = "a\x01\x1f\x7f"
	    "b\xc2\x80\xc2\x9f"
	    "c\r\nd\x0b"
	    "e\x0c"
	    "f\xc2\x85g" LS "h\xe2\x80\xa9i\tj";
	expect(s, MNEMO_TEXT_PLAIN, NULL, "abc\r\nd\ne\nf\ng\nh\ni\tj", NULL, &doc);
	CHECK_SPAN(&doc, s, "g\nh", "g" LS "h");
	CHECK_SPAN(&doc, s, "f\ng", "f\xc2\x85g");
	mnemo_text_doc_fini(&doc);

	/* A removal between a base and its mark: they still compose. */
	s = "e" ZWSP ACUTE;
	expect(s, MNEMO_TEXT_PLAIN, NULL, "\xc3\xa9", NULL, &doc);
	CHECK_SPAN_AT(&doc, "\xc3\xa9", 0, 6);
	mnemo_text_doc_fini(&doc);

	/* French spaces are kept, and need no map. */
	s = "Oui" NBSP "! Non" NNBSP "?";
	expect(s, MNEMO_TEXT_PLAIN, NULL, s, NULL, &doc);
	CHECK(doc.orig_start == NULL);
	mnemo_text_doc_fini(&doc);
}

/* Every BMP code point (and a few others) between two letters: the clean text is what
 * the spec says (removal, line break or NFC), and the maps are absent exactly when the
 * text is the input. This also checks input.c's fast-path table against ICU. */
static void
test_every_code_point(void)
{
	static const UChar32 extra[] = {0x10000, 0x1d15e, 0x1f600, 0x2f800, 0xe0001, 0x10ffff};
	UErrorCode st = U_ZERO_ERROR;
	const UNormalizer2 *nfc = unorm2_getNFCInstance(&st);
	size_t failures = 0, i, n_extra = sizeof(extra) / sizeof(extra[0]);
	UChar32 c;

	for (c = 1; c < 0x10000 + (UChar32)n_extra; c++) {
		UChar32 cp = c < 0x10000 ? c : extra[c - 0x10000];
		uint8_t in[8];
		char want[64];
		UChar w16[8], n16[32];
		int32_t n = 0, k = 0, nn, wlen = 0;
		struct mnemo_text_doc doc;
		int r;

		if (U_IS_SURROGATE(cp)) {
			continue;
		}
		in[n++] = 'a';
		U8_APPEND_UNSAFE(in, n, cp);
		in[n++] = 'b';
		w16[k++] = 'a';
		if (spec_class(cp) == 2) {
			w16[k++] = '\n';
		} else if (spec_class(cp) == 0) {
			U16_APPEND_UNSAFE(w16, k, cp);
		}
		w16[k++] = 'b';
		st = U_ZERO_ERROR;
		nn = unorm2_normalize(nfc, w16, k, n16, 32, &st);
		u_strToUTF8(want, sizeof(want), &wlen, n16, nn, &st);
		if (cp == 0) {
			continue;
		}
		r = prep(in, (size_t)n, MNEMO_TEXT_PLAIN, NULL, &doc, NULL);
		if (r != 0 || doc.len != (size_t)wlen ||
		    memcmp(doc.text, want, (size_t)wlen) != 0 ||
		    ((doc.orig_start == NULL) !=
		     (doc.len == (size_t)n && memcmp(doc.text, in, (size_t)n) == 0))) {
			if (failures++ < 10) {
				fprintf(stderr, "U+%04X: r=%d len=%zu want %d maps=%p\n",
				        (unsigned)cp, r, doc.len, (int)wlen,
				        (void *)doc.orig_start);
			}
		}
		mnemo_text_doc_fini(&doc);
	}
	CHECK_INT(failures, 0);
	(void)i;
}

/* ---- HTML ------------------------------------------------------------------------- */

static void
test_html_blocks(void)
{
	struct mnemo_text_doc doc;
	const char *s;

	s = "<p>Un.</p>\n<p>Deux.</p>";
	expect(s, MNEMO_TEXT_HTML, NULL, "Un.\nDeux.", "UTF-8", &doc);
	CHECK_SPAN(&doc, s, "Un.", "Un.");
	CHECK_SPAN(&doc, s, "Deux.", "Deux.");
	CHECK_SPAN(&doc, s, ".\nD", ".</p>\n<p>D");
	mnemo_text_doc_fini(&doc);

	expect("a<br>b<br/>c<BR>d<hr>e", MNEMO_TEXT_HTML, NULL, "a\nb\nc\nd\ne", NULL, &doc);
	mnemo_text_doc_fini(&doc);

	s = "<ul><li>un</li><li>deux <b>gras</b></li></ul><ol><li>trois</ol>"
	    "<dl><dt>t</dt><dd>d</dd></dl>";
	expect(s, MNEMO_TEXT_HTML, NULL, "un\ndeux gras\ntrois\nt\nd", NULL, &doc);
	CHECK_SPAN(&doc, s, "deux gras", "deux <b>gras");
	mnemo_text_doc_fini(&doc);

	s = "<html><head><title>Le titre</title></head><body><h1>Titre</h1><h2>Sous-titre</h2>"
	    "<p>Texte <i>en</i> <a href=\"x\">ligne</a>.</p></body></html>";
	expect(s, MNEMO_TEXT_HTML, NULL, "Le titre\nTitre\nSous-titre\nTexte en ligne.", NULL,
	       &doc);
	CHECK_SPAN(&doc, s, "ligne.", "ligne</a>.");
	mnemo_text_doc_fini(&doc);

	s = "<table><tr><th>Nom</th><th>Prix</th></tr><tr><td>Caf\xc3\xa9</td><td>2 \xe2\x82\xac"
	    "</td></tr></table>";
	expect(s, MNEMO_TEXT_HTML, NULL, "Nom\nPrix\nCaf\xc3\xa9\n2 \xe2\x82\xac", NULL, &doc);
	mnemo_text_doc_fini(&doc);

	s = "<div><div>a</div><div>b<div>c</div></div>d</div><section><article>e</article>"
	    "</section><blockquote>f</blockquote><figure><figcaption>g</figcaption></figure>";
	expect(s, MNEMO_TEXT_HTML, NULL, "a\nb\nc\nd\ne\nf\ng", NULL, &doc);
	mnemo_text_doc_fini(&doc);

	/* White space, the HTML way; <pre> as it is. */
	s = "<p>  Un \n\t deux  </p><pre>a  b\n  c</pre>apr\xc3\xa8s";
	expect(s, MNEMO_TEXT_HTML, NULL, "Un deux\na  b\n  c\napr\xc3\xa8s", NULL, &doc);
	CHECK_SPAN(&doc, s, "Un deux", "Un \n\t deux");
	CHECK_SPAN(&doc, s, "a  b\n  c", "a  b\n  c");
	mnemo_text_doc_fini(&doc);

	/* Text with no element at all, and nothing at all. */
	expect("juste du texte", MNEMO_TEXT_HTML, NULL, "juste du texte", NULL, &doc);
	CHECK_SPAN_AT(&doc, "texte", 9, 14);
	mnemo_text_doc_fini(&doc);
	expect("", MNEMO_TEXT_HTML, NULL, "", NULL, &doc);
	mnemo_text_doc_fini(&doc);
	expect("<p> </p><!-- rien -->", MNEMO_TEXT_HTML, NULL, "", NULL, &doc);
	mnemo_text_doc_fini(&doc);
}

static void
test_html_dropped(void)
{
	struct mnemo_text_doc doc;
	const char *s;

	s = "<nav><a>Accueil</a></nav><header>En-t\xc3\xaate</header><p>a<script>var s = "
	    "\"<p>non</p>\";</script>b</p><style>p { color: red }</style><noscript>js</noscript>"
	    "<aside>pub</aside><form><button>OK</button><select><option>1</option></select>"
	    "</form><svg><text>svg</text></svg><math><mi>x</mi></math><iframe>if</iframe>"
	    "<object>obj</object><canvas>c</canvas><template>t</template><p>fin<!-- com --> "
	    "ici</p><footer>pied</footer>";
	expect(s, MNEMO_TEXT_HTML, NULL, "ab\nfin ici", NULL, &doc);
	CHECK_SPAN(&doc, s, "ab", "a<script>var s = \"<p>non</p>\";</script>b");
	mnemo_text_doc_fini(&doc);

	/* A dropped block still separates what is around it. */
	expect("avant<nav>menu</nav>apr\xc3\xa8s", MNEMO_TEXT_HTML, NULL, "avant\napr\xc3\xa8s",
	       NULL, &doc);
	mnemo_text_doc_fini(&doc);
}

static void
test_html_entities(void)
{
	struct mnemo_text_doc doc;
	const char *s;

	s = "<p>caf&eacute; &nbsp;l&#8217;eau &#x2019; &lt;b&gt; &amp; &Eacute;t&#233 &hellip;"
	    "</p>";
	expect(s, MNEMO_TEXT_HTML, NULL,
	       "caf\xc3\xa9 " NBSP "l\xe2\x80\x99"
	       "eau \xe2\x80\x99 <b> & \xc3\x89t\xc3\xa9 "
	       "\xe2\x80\xa6",
	       NULL, &doc);
	CHECK_SPAN(&doc, s, "\xc3\xa9 ", "&eacute; ");
	CHECK_SPAN(&doc, s, NBSP, "&nbsp;");
	CHECK_SPAN(&doc, s,
	           "\xe2\x80\x99"
	           "eau",
	           "&#8217;eau");
	CHECK_SPAN(&doc, s, "<b>", "&lt;b&gt;");
	CHECK_SPAN(&doc, s, "&", "&amp;");
	CHECK_SPAN(&doc, s, "\xc3\x89", "&Eacute;");
	CHECK_SPAN(&doc, s, "t\xc3\xa9", "t&#233");
	CHECK_SPAN(&doc, s, "\xe2\x80\xa6", "&hellip;");
	mnemo_text_doc_fini(&doc);

	/* Unknown names, bare ampersands, '<' that opens no tag. */
	s = "<p>&foo; a & b &eacute c 5 < 6 <<3</p>";
	expect(s, MNEMO_TEXT_HTML, NULL, "&foo; a & b &eacute c 5 < 6 <<3", NULL, &doc);
	CHECK_SPAN(&doc, s, "&foo;", "&foo;");
	CHECK_SPAN(&doc, s, "& b", "& b");
	CHECK_SPAN(&doc, s, "< 6", "< 6");
	CHECK_SPAN(&doc, s, "<<3", "<<3");
	mnemo_text_doc_fini(&doc);

	/* &#128;-&#159; read as windows-1252 (HTML5); entities for removed characters. */
	s = "<p>l&#146;eau &#128; &#150; &#x200B;x&shy;y&#xFEFF;</p>";
	expect(s, MNEMO_TEXT_HTML, NULL,
	       "l\xe2\x80\x99"
	       "eau \xe2\x82\xac \xe2\x80\x93 xy",
	       NULL, &doc);
	CHECK_SPAN(&doc, s, "\xe2\x80\x99", "&#146;");
	CHECK_SPAN(&doc, s, "\xe2\x82\xac", "&#128;");
	mnemo_text_doc_fini(&doc);

	/* NFD through entities and text together. */
	s = "<p>e&#769; et e" ACUTE "</p>";
	expect(s, MNEMO_TEXT_HTML, NULL, "\xc3\xa9 et \xc3\xa9", NULL, &doc);
	CHECK_SPAN(&doc, s, "\xc3\xa9 ", "e&#769; ");
	mnemo_text_doc_fini(&doc);
}

static void
test_html_encodings(void)
{
	struct mnemo_text_doc doc;
	const char *s;

	/* The <meta> lies: the bytes are UTF-8, and stay UTF-8. */
	s = "<html><head><meta charset=\"iso-8859-1\"><meta http-equiv=\"Content-Type\" "
	    "content=\"text/html; charset=iso-8859-1\"></head><body><p>Caf\xc3\xa9 cr\xc3\xa8me</p>"
	    "</body></html>";
	expect(s, MNEMO_TEXT_HTML, NULL, "Caf\xc3\xa9 cr\xc3\xa8me", "UTF-8", &doc);
	CHECK_SPAN(&doc, s, "Caf\xc3\xa9", "Caf\xc3\xa9");
	mnemo_text_doc_fini(&doc);

	/* Windows-1252 HTML, named, and in the other direction: a UTF-8 <meta> on it. */
	s = "<meta charset=utf-8><p>\x93"
	    "caf\xe9\x94 &eacute;</p>";
	expect(s, MNEMO_TEXT_HTML, "windows-1252",
	       "\xe2\x80\x9c"
	       "caf\xc3\xa9\xe2\x80\x9d \xc3\xa9",
	       "windows-1252", &doc);
	CHECK_SPAN(&doc, s, "caf\xc3\xa9\xe2\x80\x9d", "caf\xe9\x94");
	CHECK_SPAN(&doc, s, " \xc3\xa9", " &eacute;");
	mnemo_text_doc_fini(&doc);

	/* Detected, the markup filtered out of the statistics. */
	s = "<html><body><p>L'\xe9t\xe9 dernier, nous sommes all\xe9s \xe0 la mer. C'\xe9tait tr"
	    "\xe8s agr\xe9"
	    "able, m\xeame si l'eau \xe9tait fra\xee"
	    "che. \x93"
	    "Belle journ"
	    "\xe9"
	    "e\x94, a dit ma m\xe8re.</p></body></html>";
	expect(s, MNEMO_TEXT_HTML, NULL,
	       "L'\xc3\xa9t\xc3\xa9 dernier, nous sommes all\xc3\xa9s \xc3\xa0 la mer. "
	       "C'\xc3\xa9tait"
	       " tr\xc3\xa8s agr\xc3\xa9"
	       "able, m\xc3\xaame si l'eau \xc3\xa9tait fra\xc3\xae"
	       "che. \xe2\x80\x9c"
	       "Belle journ\xc3\xa9"
	       "e\xe2\x80\x9d, a dit ma m\xc3\xa8re.",
	       "windows-1252", &doc);
	mnemo_text_doc_fini(&doc);

	/* BOM, and controls that libxml2 must not see (NUL would end its input). */
	s = "\xef\xbb\xbf<p>a\x01"
	    "b\x0c"
	    "c</p>";
	expect(s, MNEMO_TEXT_HTML, NULL, "ab c", "UTF-8", &doc);
	CHECK_SPAN_AT(&doc, "a", 6, 7);
	CHECK_SPAN_AT(&doc, "b", 8, 9);
	mnemo_text_doc_fini(&doc);
	{
		static const char z[] = "<p>a\0b</p><p>c</p>";

		CHECK_INT(prep(z, sizeof(z) - 1, MNEMO_TEXT_HTML, "windows-1252", &doc, NULL), 0);
		CHECK_STR(doc.text, "ab\nc");
		CHECK_SPAN_AT(&doc, "c", 13, 14);
		mnemo_text_doc_fini(&doc);
	}
	/* Characters XML does not allow, which libxml2 drops from the text it reports. */
	s = "<p>ab\xef\xbf\xbe"
	    "cd</p>";
	expect(s, MNEMO_TEXT_HTML, NULL, "abcd", NULL, &doc);
	CHECK_SPAN(&doc, s, "cd", "cd");
	mnemo_text_doc_fini(&doc);
}

/* One long text node: libxml2 reports it in pieces of ~1000 bytes, each with its own
 * position rule; a text of one repeated character is the case a wrong rule would shift. */
static void
test_html_big_text(void)
{
	const char *sentence = "Le caf\xc3\xa9 est pr\xc3\xaat\xe2\x80\xaf! ";
	size_t slen = strlen(sentence), n = 1 << 20, i, wrong = 0;
	size_t total = 3 + n + 4;
	char *big = malloc(total + 1);
	struct mnemo_text_doc doc;
	double t0;
	int r, pass;

	for (pass = 0; pass < 2; pass++) {
		memcpy(big, "<p>", 3);
		for (i = 0; i < n; i++) {
			big[3 + i] = pass == 0 ? sentence[i % slen] : '>';
		}
		if (pass == 0) {
			/* Cut on a character boundary, then end the sentence. */
			size_t end = 3 + n - n % slen;

			memset(big + end, '.', 3 + n - end);
		}
		memcpy(big + 3 + n, "</p>", 4);
		big[total] = '\0';
		t0 = now_s();
		r = prep(big, total, MNEMO_TEXT_HTML, NULL, &doc, NULL);
		CHECK_INT(r, 0);
		CHECK(now_s() - t0 < TIME_LIMIT_S);
		if (r == 0) {
			/* One trailing ' ' per sentence repetition is collapsed at the end only. */
			CHECK(doc.len <= n && doc.len >= n - 1);
			for (i = 0; i < doc.len; i++) {
				if (doc.orig_start[i] > 3 + i || doc.orig_end[i] < 3 + i + 1 ||
				    doc.orig_end[i] - doc.orig_start[i] > 4) {
					wrong++;
				}
			}
			CHECK_INT(wrong, 0);
		}
		mnemo_text_doc_fini(&doc);
	}
	free(big);
}

static void
test_html_limits(void)
{
	size_t n = 100000, i, len;
	char *big = malloc(16 * n + 64), *p;
	struct mnemo_text_doc doc;
	double t0;
	int r;

	/* 100,000 nested divs: refused at MAX_HTML_DEPTH, quickly. */
	p = big;
	for (i = 0; i < n; i++) {
		p = stpcpy(p, "<div>");
	}
	p = stpcpy(p, "x");
	for (i = 0; i < n; i++) {
		p = stpcpy(p, "</div>");
	}
	t0 = now_s();
	r = prep(big, (size_t)(p - big), MNEMO_TEXT_HTML, NULL, &doc, NULL);
	CHECK_INT(r, -ELOOP);
	CHECK(now_s() - t0 < TIME_LIMIT_S);

	/* Deep, then end tags that match nothing (libxml2 searches its whole stack). */
	p = big;
	for (i = 0; i < n; i++) {
		p = stpcpy(p, "<span>");
	}
	for (i = 0; i < n; i++) {
		p = stpcpy(p, "</x>");
	}
	t0 = now_s();
	r = prep(big, (size_t)(p - big), MNEMO_TEXT_HTML, NULL, &doc, NULL);
	CHECK_INT(r, -ELOOP);
	CHECK(now_s() - t0 < TIME_LIMIT_S);

	/* Unclosed elements libxml2 closes itself never nest: fine at any count. */
	p = big;
	for (i = 0; i < n; i++) {
		p = stpcpy(p, "<p>a");
	}
	r = prep(big, (size_t)(p - big), MNEMO_TEXT_HTML, NULL, &doc, NULL);
	CHECK_INT(r, 0);
	CHECK_INT(doc.len, 2 * n - 1);
	mnemo_text_doc_fini(&doc);

	/* Nesting below the limit is fine, and as deep as 500 with unmatched end tags still
	 * quick. */
	p = big;
	for (i = 0; i < 500; i++) {
		p = stpcpy(p, "<div><b>");
	}
	p = stpcpy(p, "fond");
	for (i = 0; i < n; i++) {
		p = stpcpy(p, "</x>");
	}
	t0 = now_s();
	r = prep(big, (size_t)(p - big), MNEMO_TEXT_HTML, NULL, &doc, NULL);
	CHECK_INT(r, -ELOOP); /* 1000 levels: over */
	p = big;
	for (i = 0; i < 250; i++) {
		p = stpcpy(p, "<div><b>");
	}
	p = stpcpy(p, "fond");
	for (i = 0; i < n; i++) {
		p = stpcpy(p, "</x>");
	}
	r = prep(big, (size_t)(p - big), MNEMO_TEXT_HTML, NULL, &doc, NULL);
	CHECK_INT(r, 0);
	CHECK_STR(doc.text, "fond");
	CHECK(now_s() - t0 < TIME_LIMIT_S);
	mnemo_text_doc_fini(&doc);
	free(big);

	/* 10^6 attributes in one tag (different names, libxml2's quadratic case). */
	len = 0;
	big = malloc(16 * 1000000 + 64);
	len += (size_t)sprintf(big, "<p ");
	for (i = 0; i < 1000000; i++) {
		len += (size_t)sprintf(big + len, "a%zu=\"v>\" ", i);
	}
	len += (size_t)sprintf(big + len, ">apr\xc3\xa8s</p>");
	t0 = now_s();
	r = prep(big, len, MNEMO_TEXT_HTML, NULL, &doc, NULL);
	CHECK_INT(r, 0);
	CHECK(now_s() - t0 < TIME_LIMIT_S);
	if (r == 0) {
		CHECK_STR(doc.text, "apr\xc3\xa8s");
		CHECK_SPAN_AT(&doc, "apr\xc3\xa8s", len - 10, len - 4);
	}
	mnemo_text_doc_fini(&doc);

	/* A 10 MB attribute value. */
	len = 0;
	len += (size_t)sprintf(big, "<p title=\"");
	memset(big + len, 'v', 10000000);
	len += 10000000;
	len += (size_t)sprintf(big + len, "\">x</p>");
	t0 = now_s();
	r = prep(big, len, MNEMO_TEXT_HTML, NULL, &doc, NULL);
	CHECK_INT(r, 0);
	CHECK(now_s() - t0 < TIME_LIMIT_S);
	CHECK_STR(doc.text, "x");
	mnemo_text_doc_fini(&doc);
	free(big);
}

/* ---- Random documents ------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

/* Documents made of tricky pieces; every one must prepare with plausible maps. */
static void
test_random_documents(void)
{
	static const char *const pieces[] = {
	        "<p>",
	        "</p>",
	        "<div>",
	        "</div>",
	        "<br>",
	        "<b>",
	        "</b>",
	        "<pre>",
	        "</pre>",
	        "<script>x<y</script>",
	        "<!-- c -->",
	        "<li>",
	        "<td>",
	        "&eacute;",
	        "&amp;",
	        "&#8217;",
	        "&#x2019;",
	        "&#146;",
	        "&foo;",
	        "&",
	        "<",
	        ">",
	        " ",
	        "  ",
	        "\n",
	        "\r\n",
	        "\t",
	        "a",
	        "mot",
	        "caf\xc3\xa9",
	        ("e" ACUTE),
	        ACUTE,
	        "\xcc\xa3",
	        ZWSP,
	        SHY,
	        RLO,
	        NBSP,
	        NNBSP,
	        LS,
	        "\xc2\x85",
	        "\x01",
	        "\x7f",
	        "\xef\xbb\xbf",
	        "\xe2\x80\xa6",
	        "<a href=\"x>y\">",
	        "</a>",
	        "<nav>",
	        "</nav>",
	        "<title>",
	        "</title>",
	        "\xf0\x9f\x98\x80",
	        "\xef\xbf\xbe",
	        "&#0;",
	        "&#x;",
	        "<p title='a&amp;b'>",
	        "&lt;",
	        "\xe2\x84\xab",
	};
	size_t n_pieces = sizeof(pieces) / sizeof(pieces[0]);
	int iter, failures = 0;

	for (iter = 0; iter < 3000; iter++) {
		char doc_bytes[4096];
		size_t len = 0, k, n = 1 + rng() % 40;
		struct mnemo_text_doc doc;
		struct mnemo_text_doc_opts opts = {.format = iter % 2 ? MNEMO_TEXT_HTML
		                                                      : MNEMO_TEXT_PLAIN,
		                                   .encoding = "UTF-8"};
		size_t bad;
		int r;

		for (k = 0; k < n; k++) {
			const char *pc = pieces[rng() % n_pieces];

			memcpy(doc_bytes + len, pc, strlen(pc));
			len += strlen(pc);
		}
		/* Long runs now and then, to cross libxml2's 1000-byte pieces. */
		if (iter % 7 == 0) {
			memset(doc_bytes + len, iter % 3 ? 'z' : ' ', 1500);
			len += 1500;
			memcpy(doc_bytes + len, "&eacute;x", 9);
			len += 9;
		}
		memset(&doc, 0, sizeof(doc));
		r = mnemo_text_doc_prepare(doc_bytes, len, &opts, &doc, &bad);
		if (r != 0 || doc_sane(&doc, doc_bytes, len, opts.format == MNEMO_TEXT_HTML) != 0) {
			if (failures++ < 5) {
				fprintf(stderr, "random doc %d (r=%d): '%.*s'\n", iter, r, (int)len,
				        doc_bytes);
			}
		}
		mnemo_text_doc_fini(&doc);
	}
	CHECK_INT(failures, 0);
}

/* ---- Speed ------------------------------------------------------------------------ */

/* The fast path on French-like text (accents every few words, typographic apostrophes and
 * spaces): reported, not asserted, as sanitizers make it 10x slower. */
static void
test_fast_path_speed(void)
{
	const char *para = "L\xe2\x80\x99"
	                   "Assembl\xc3\xa9"
	                   "e a adopt\xc3\xa9 mardi, \xc3\xa0 une "
	                   "large majorit\xc3\xa9, le projet de loi sur l\xe2\x80\x99"
	                   "eau" NNBSP "; les d\xc3\xa9put\xc3\xa9s ont d\xc3\xa9"
	                   "battu pendant trois "
	                   "semaines de la r\xc3\xa9"
	                   "forme des r\xc3\xa9seaux.\n";
	size_t plen = strlen(para), n = 64u << 20, i;
	char *big = malloc(n);
	struct mnemo_text_doc doc;
	double t0, dt;
	int r;

	for (i = 0; i + plen <= n; i += plen) {
		memcpy(big + i, para, plen);
	}
	n = i;
	t0 = now_s();
	r = prep(big, n, MNEMO_TEXT_PLAIN, NULL, &doc, NULL);
	dt = now_s() - t0;
	CHECK_INT(r, 0);
	CHECK(doc.orig_start == NULL);
	fprintf(stderr, "fast path: %.0f MB in %.3f s: %.2f GB/s (check and copy)\n", n / 1e6, dt,
	        n / dt / 1e9);
	mnemo_text_doc_fini(&doc);
	free(big);
}

int
main(void)
{
	test_utf8_passthrough();
	test_bom();
	test_invalid_utf8();
	test_windows_1252();
	test_iso_8859_1();
	test_detection();
	test_named_encodings();
	test_sizes();
	test_nfc();
	test_removals();
	test_every_code_point();
	test_html_blocks();
	test_html_dropped();
	test_html_entities();
	test_html_encodings();
	test_html_big_text();
	test_html_limits();
	test_random_documents();
	test_fast_path_speed();
	xmlCleanupParser();
	return check_exit();
}
