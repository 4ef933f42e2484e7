#include "text.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <unicode/utf8.h>

/* Eight bytes at a time while the text is ASCII without NUL, which is most of it; the
 * per-character walk below starts at the first byte that needs a closer look. */
static size_t
ascii_prefix(const uint8_t *s, size_t len)
{
	const uint64_t high = 0x8080808080808080ull;
	const uint64_t ones = 0x0101010101010101ull;
	size_t i = 0;

	while (len - i >= 8) {
		uint64_t w;

		memcpy(&w, s + i, sizeof(w));
		/* A byte >= 0x80, or a zero byte (w - ones borrows into its high bit). */
		if (((w | (w - ones)) & high) != 0) {
			break;
		}
		i += 8;
	}
	return i;
}

int
mnemo_text_check_utf8(const char *s, size_t len, size_t *ret_offset)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t i;

	assert(s != NULL || len == 0);
	i = ascii_prefix(u, len);
	while (i < len) {
		size_t start = i;
		UChar32 c;

		/* U8_NEXT follows the standard's definition of well-formed: it refuses
		 * overlong forms (C0 AF, E0 80 xx), surrogates (ED A0 80), leads F5..FF, code
		 * points above U+10FFFF and sequences cut short, with c < 0. */
		U8_NEXT(u, i, len, c);
		if (c <= 0) {
			if (ret_offset != NULL) {
				*ret_offset = start;
			}
			return -EILSEQ;
		}
	}
	return 0;
}
