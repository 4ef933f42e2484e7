#include "text.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <unicode/uloc.h>
#include <unicode/utypes.h>

int
mnemo_err_from_icu(int icu_status)
{
	UErrorCode st = (UErrorCode)icu_status;

	if (U_SUCCESS(st)) {
		return 0;
	}
	switch (st) {
	case U_MEMORY_ALLOCATION_ERROR:
		return -ENOMEM;
	case U_INVALID_CHAR_FOUND:
	case U_ILLEGAL_CHAR_FOUND:
	case U_TRUNCATED_CHAR_FOUND:
		return -EILSEQ;
	case U_BUFFER_OVERFLOW_ERROR:
		return -ENOSPC;
	default:
		return -EINVAL;
	}
}

/* ICU stops at the first subtag it cannot use and reports success with a shorter parsed
 * length ("fr-" and "fr--" both give "fr"), so the shape is checked here first and the
 * parsed length must then cover the whole tag. */
static bool
well_shaped(const char *tag, size_t len)
{
	size_t i;

	if (len == 0 || tag[0] == '-' || tag[len - 1] == '-') {
		return false;
	}
	/* The primary subtag is an ISO 639 code of 2 or 3 letters. BCP 47's grammar also
	 * allows 5-8 letters, which would let "english" or "francais" pass as a language. */
	for (i = 0; i < len && tag[i] != '-'; i++) {
		if (!((tag[i] >= 'a' && tag[i] <= 'z') || (tag[i] >= 'A' && tag[i] <= 'Z'))) {
			return false;
		}
	}
	if (i < 2 || i > 3) {
		return false;
	}
	for (i = 0; i < len; i++) {
		char c = tag[i];

		if (c == '-') {
			if (tag[i + 1] == '-') {
				return false;
			}
		} else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9'))) {
			return false;
		}
	}
	return true;
}

int
mnemo_text_lang_canon(const char *tag, char *out, size_t out_size)
{
	/* Input can be a little longer than its canonical form ("en-GB-oed"), never much. */
	char in[2 * MNEMO_TEXT_LANG_MAX];
	char locale[ULOC_FULLNAME_CAPACITY];
	char canon[ULOC_FULLNAME_CAPACITY];
	UErrorCode st = U_ZERO_ERROR;
	int32_t parsed = 0;
	size_t len, i, canon_len;

	if (tag == NULL) {
		return -EINVAL;
	}
	len = strnlen(tag, sizeof(in));
	if (len >= sizeof(in)) {
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		in[i] = tag[i] == '_' ? '-' : tag[i];
	}
	in[len] = '\0';
	if (!well_shaped(in, len)) {
		return -EINVAL;
	}

	uloc_forLanguageTag(in, locale, sizeof(locale), &parsed, &st);
	if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING || parsed < 0 ||
	    (size_t)parsed != len) {
		return -EINVAL;
	}
	uloc_toLanguageTag(locale, canon, sizeof(canon), true, &st);
	if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING) {
		return -EINVAL;
	}
	canon_len = strlen(canon);
	if (canon_len >= MNEMO_TEXT_LANG_MAX) {
		return -EINVAL;
	}
	if (canon_len >= out_size) {
		return -ENOSPC;
	}
	memcpy(out, canon, canon_len + 1);
	return 0;
}
