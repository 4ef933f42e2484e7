/* Unicode helpers shared by every service, all on ICU: UTF-8 validation, BCP 47 tags,
 * normalisation. Text is UTF-8 (const char *, length in bytes) everywhere in mnemo. */
#pragma once

#include <stddef.h>

/* Checks that s[0..len) is well-formed UTF-8 as the Unicode standard defines it (shortest
 * forms, no surrogates, nothing above U+10FFFF) and holds no NUL byte. Returns 0, or
 * -EILSEQ with *ret_offset set to the byte offset of the first bad sequence. */
int mnemo_text_check_utf8(const char *s, size_t len, size_t *ret_offset);

/* Canonical BCP 47 form of a language tag: "FR" -> "fr", "fr_ca" -> "fr-CA",
 * "en-us" -> "en-US". Accepts '_' for '-'. Returns 0, -EINVAL when tag is not a
 * well-formed tag, -ENOSPC when out is too small (MNEMO_TEXT_LANG_MAX is enough). */
enum { MNEMO_TEXT_LANG_MAX = 64 };
int mnemo_text_lang_canon(const char *tag, char *out, size_t out_size);

/* NFC form of valid UTF-8 text, malloc'd and NUL-terminated; the caller frees it.
 * Text already in NFC (the usual case) is copied as it is. Returns 0, -EILSEQ (invalid
 * UTF-8), -ENOMEM, or -EMSGSIZE for a run of over 700 MB with no normalisation boundary
 * (combining marks only), which ICU's int32_t lengths cannot hold. */
int mnemo_text_nfc(const char *s, size_t len, char **ret, size_t *ret_len);

/* Converts an ICU error code to a negative errno (U_ZERO_ERROR and warnings -> 0). */
int mnemo_err_from_icu(int icu_status);
