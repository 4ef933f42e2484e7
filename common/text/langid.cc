/* Language identification: CLD2 (C++) behind one C function. CLD2 is pure computation on
 * read-only tables, so the wrapper keeps no state and needs no lock; it only adds what
 * CLD2 lacks for mnemo: BCP 47 tags, a letter count to judge short text by, a padded copy
 * of the input, and no C++ exception across the C boundary. */
#include <cstdio> /* before CLD2's header, which uses FILE without including it */
#include <cstdlib>
#include <cstring>

#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

extern "C" {
#include "langid.h"
#include "text.h"
}

/* Fewer letters than this and the answer is never called reliable, whatever CLD2 says.
 * Measured on 14,472 windows of 1-9 consecutive words cut from 120 news sentences written
 * for the purpose (15 each in fr, en, de, es, it, pt, nl, id): among the answers CLD2 calls
 * reliable, those in a wrong, unrelated language (not id/ms or es/gl, which no threshold
 * separates) fell from 155 of 7,980 at 20 letters to 93 of 6,538 at 25, 55 of 5,194 at 30
 * and 37 of 3,880 at 35; for fr and en alone the wrong share went 1.7% (20), 1.2% (25),
 * 0.7% (30), 0.6% (35). 30 is the knee: 4-word lines are mostly below it (9% pass), 5
 * words 35%, 6 words 65%, 8 words 96%. A wrong "reliable" tags a paragraph foreign and
 * keeps it out of alignment, which costs more than treating a short line as unknown. */
enum { MIN_RELIABLE_LETTERS = 30 };

/* CLD2's scanner looks one character past the end of its buffer when a letter in another
 * script ends the text (GetOneScriptSpan peeks at the next character; valgrind shows the
 * read). It gets a copy with this many zero bytes after the text, which read as
 * non-letters. */
enum { CLD2_PAD_BYTES = 8 };

/* CLD2's codes that BCP 47 spells differently. The others are ISO 639-1 ("fr"), ISO 639-2/3
 * ("ceb", "haw") or already tags ("zh-Hant", "sr-ME"). */
static const struct {
	const char *cld2;
	const char *bcp47;
} renamed[] = {
	{"iw", "he"}, /* Hebrew: ISO 639 replaced "iw" in 1989 */
	{"jw", "jv"}, /* Javanese: "jw" was never an ISO 639 code */
};

/* The bytes of text that are read: whole characters up to MNEMO_LANGID_MAX_BYTES, and only
 * up to a first invalid sequence or NUL (the caller promised valid UTF-8; what follows a
 * broken one is not worth a guess). Counts the letters on the way. */
static size_t
usable_prefix(const char *text, size_t len, size_t *ret_letters)
{
	const uint8_t *u = (const uint8_t *)text;
	size_t i = 0, letters = 0;

	while (i < len) {
		size_t next = i;
		UChar32 c;

		U8_NEXT(u, next, len, c);
		if (c <= 0 || next > MNEMO_LANGID_MAX_BYTES) {
			break;
		}
		if (u_isalpha(c)) {
			letters++;
		}
		i = next;
	}
	*ret_letters = letters;
	return i;
}

/* CLD2's language for a hint tag, or UNKNOWN_LANGUAGE. CLD2 matches only exact case
 * ("fr-CA" but not "FR" or "fr_ca") and old codes ("iw"), so the tag is made canonical
 * first; GetLanguageFromName then knows "he", "jv", "zh-TW" and strips regions. */
static CLD2::Language
hint_language(const char *hint)
{
	char canon[MNEMO_TEXT_LANG_MAX];
	size_t n = 0;

	if (hint == NULL) {
		return CLD2::UNKNOWN_LANGUAGE;
	}
	/* "fr", "en": already canonical, as every paragraph's hint is; ICU is for the rest */
	while (n < 4 && hint[n] >= 'a' && hint[n] <= 'z') {
		n++;
	}
	if ((n == 2 || n == 3) && hint[n] == '\0') {
		return CLD2::GetLanguageFromName(hint);
	}
	if (mnemo_text_lang_canon(hint, canon, sizeof(canon)) < 0) {
		return CLD2::UNKNOWN_LANGUAGE;
	}
	return CLD2::GetLanguageFromName(canon);
}

static void
set_tag(struct mnemo_langid *r, CLD2::Language lang)
{
	const char *code = CLD2::LanguageCode(lang);
	size_t i, len;

	/* X_BORK_BORK_BORK and above are jokes (Pig Latin, Klingon) and bare scripts
	 * ("xx-Latn"); "xxx" is TG_UNKNOWN_LANGUAGE. None is a language a person asked for. */
	if (lang == CLD2::UNKNOWN_LANGUAGE || lang == CLD2::TG_UNKNOWN_LANGUAGE ||
	    lang >= CLD2::X_BORK_BORK_BORK || code == NULL || code[0] == '\0') {
		code = "und";
	}
	for (i = 0; i < sizeof(renamed) / sizeof(renamed[0]); i++) {
		if (strcmp(code, renamed[i].cld2) == 0) {
			code = renamed[i].bcp47;
			break;
		}
	}
	len = strlen(code);
	if (len >= sizeof(r->lang)) {
		code = "und";
		len = 3;
	}
	memcpy(r->lang, code, len + 1);
}

/* One CLD2 call. buf has CLD2_PAD_BYTES readable bytes after n. */
static CLD2::Language
detect(const char *buf, size_t n, const CLD2::CLDHints *hints, int flags, int *ret_percent,
       bool *ret_reliable)
{
	CLD2::Language lang3[3];
	int percent3[3], text_bytes = 0, i;
	double score3[3];
	bool reliable = false;
	CLD2::Language lang;

	lang = CLD2::ExtDetectLanguageSummary(buf, (int)n, true, hints, flags, lang3, percent3,
					      score3, NULL, &text_bytes, &reliable);
	/* The answer is usually lang3[0]; its share is wherever it is among the three. */
	*ret_percent = 0;
	for (i = 0; i < 3; i++) {
		if (lang3[i] == lang) {
			*ret_percent = percent3[i];
			break;
		}
	}
	*ret_reliable = reliable;
	return lang;
}

extern "C" void
mnemo_langid_detect(const char *text, size_t len, const char *hint, struct mnemo_langid *ret)
{
	CLD2::CLDHints hints = {NULL, NULL, CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE};
	CLD2::Language lang = CLD2::UNKNOWN_LANGUAGE, hint_lang;
	struct mnemo_langid r;
	size_t n = 0, letters = 0;
	bool reliable = false;
	int percent = 0;
	char *buf;

	memset(&r, 0, sizeof(r));
	if (text != NULL) {
		n = usable_prefix(text, len, &letters);
	}
	r.letters = letters;
	/* Digits, punctuation, symbols: nothing to decide on (CLD2 would say "un" anyway). */
	if (letters == 0) {
		set_tag(&r, CLD2::UNKNOWN_LANGUAGE);
		*ret = r;
		return;
	}

	/* Both hint fields, in CLD2's own spelling: one alone often does not move short
	 * text ("Le port" stays "fr" with either set to German, and turns "de" with both). */
	hint_lang = hint_language(hint);
	if (hint_lang != CLD2::UNKNOWN_LANGUAGE) {
		hints.content_language_hint = CLD2::LanguageCode(hint_lang);
		hints.language_hint = hint_lang;
	}

	buf = (char *)malloc(n + CLD2_PAD_BYTES);
	if (buf != NULL) {
		memcpy(buf, text, n);
		memset(buf + n, 0, CLD2_PAD_BYTES);
		/* CLD2 allocates with new: a bad_alloc must not cross into C. */
		try {
			lang = detect(buf, n, &hints, 0, &percent, &reliable);
			/* On short text CLD2 answers "un" rather than guess (79% of the windows
			 * above under 10 letters, 38% at 10-14, 9% at 20-24). Best effort gives
			 * its guess, where the hint weighs most; never a reliable one. */
			if (lang == CLD2::UNKNOWN_LANGUAGE) {
				lang = detect(buf, n, &hints, CLD2::kCLDFlagBestEffort, &percent,
					      &reliable);
				reliable = false;
			}
		} catch (...) {
			lang = CLD2::UNKNOWN_LANGUAGE;
		}
		free(buf);
	}
	/* Out of memory leaves lang unknown: "und", as the header promises rather than an
	 * error. */

	set_tag(&r, lang);
	if (strcmp(r.lang, "und") != 0) {
		r.percent = percent;
		r.reliable = reliable && letters >= MIN_RELIABLE_LETTERS;
	}
	*ret = r;
}
