/* Language identification with CLD2 (its API is C++: langid.cc wraps it behind this C
 * header). Used for the language of a document when the request does not give one, and
 * for each paragraph, so that a paragraph in another language is tagged, not aligned. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct mnemo_langid {
	char lang[16];  /* BCP 47 ("fr", "en", "he", "zh-Hant"), or "und" when unknown */
	bool reliable;  /* CLD2's own verdict, and at least 30 letters (langid.cc says why) */
	int percent;    /* share of the text in that language, 0-100; 0 for "und" */
	size_t letters; /* letters the decision rests on (one per CJK ideograph) */
};

/* Identifies the main language of UTF-8 text (valid UTF-8; any length, only the first
 * MNEMO_LANGID_MAX_BYTES are read, cut at a character boundary). hint: the expected
 * language as a BCP 47 tag in any case ("fr", "FR", "fr_CA"), or NULL; CLD2 leans
 * towards it when the text is ambiguous, and on a line of a few words it usually decides.
 * Short or mixed text still gets CLD2's best guess, not reliable. Never fails: text
 * without letters (and, out of memory, any text) gives "und". Safe from many threads at
 * once. */
enum { MNEMO_LANGID_MAX_BYTES = 64 * 1024 };
void mnemo_langid_detect(const char *text, size_t len, const char *hint,
			 struct mnemo_langid *ret);

/* Whether text (UTF-8) is plainly in lang, by its function words (plainly.c): a quick
 * "yes" that spares asking CLD2, for French and English; false means "ask CLD2", never
 * "another language". Safe from many threads at once. */
bool mnemo_langid_plainly(const char *lang, const char *text, size_t len);
