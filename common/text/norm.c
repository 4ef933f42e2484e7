#include "text.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

/* ICU normalises UTF-16 only (from C), so the text goes through in chunks of about this
 * many bytes: memory stays bounded whatever the input size. */
enum { CHUNK_BYTES = 64 * 1024 };

/* Every code point below U+0300 has NFC_Quick_Check=Yes and never combines with what
 * precedes it; in UTF-8 those are exactly the sequences whose lead byte is below 0xCC. */
enum { FIRST_NFC_MAYBE_LEAD = 0xcc };

struct out {
	char *buf;
	size_t len;
	size_t cap;
};

struct scratch {
	UChar *src;
	int32_t src_cap;
	UChar *dst;
	int32_t dst_cap;
};

static int
reserve(struct out *o, size_t more)
{
	size_t cap;
	char *p;

	if (o->cap - o->len > more) {
		return 0;
	}
	cap = o->cap != 0 ? o->cap : 64;
	while (cap - o->len <= more) {
		if (cap > SIZE_MAX / 2) {
			return -ENOMEM;
		}
		cap *= 2;
	}
	p = realloc(o->buf, cap);
	if (p == NULL) {
		return -ENOMEM;
	}
	o->buf = p;
	o->cap = cap;
	return 0;
}

static int
append(struct out *o, const char *s, size_t len)
{
	int r = reserve(o, len);

	if (r < 0) {
		return r;
	}
	memcpy(o->buf + o->len, s, len);
	o->len += len;
	return 0;
}

static int
grow_uchars(UChar **buf, int32_t *cap, int32_t need)
{
	UChar *p;

	if (*cap >= need) {
		return 0;
	}
	p = realloc(*buf, (size_t)need * sizeof(UChar));
	if (p == NULL) {
		return -ENOMEM;
	}
	*buf = p;
	*cap = need;
	return 0;
}

static bool
below_first_maybe(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if ((uint8_t)s[i] >= FIRST_NFC_MAYBE_LEAD) {
			return false;
		}
	}
	return true;
}

/* End of the chunk starting at i: an offset where the next character has a normalisation
 * boundary before it, so NFC(chunk) + NFC(rest) == NFC(chunk + rest). */
static size_t
chunk_end(const UNormalizer2 *nfc, const char *s, size_t i, size_t len)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t pos, j;

	if (len - i <= CHUNK_BYTES) {
		return len;
	}
	pos = i + CHUNK_BYTES;
	while (pos > i && U8_IS_TRAIL(u[pos])) {
		pos--;
	}
	for (j = pos; j > i; j--) {
		size_t k = j;
		UChar32 c;

		if (U8_IS_TRAIL(u[j])) {
			continue;
		}
		U8_NEXT(u, k, len, c);
		if (unorm2_hasBoundaryBefore(nfc, c)) {
			return j;
		}
	}
	/* A whole chunk of combining marks: look ahead instead. */
	for (j = pos; j < len;) {
		size_t k = j;
		UChar32 c;

		U8_NEXT(u, k, len, c);
		if (unorm2_hasBoundaryBefore(nfc, c)) {
			return j;
		}
		j = k;
	}
	return len;
}

static int
nfc_chunk(const UNormalizer2 *nfc, const char *s, size_t len, struct scratch *sc, struct out *o)
{
	UErrorCode st = U_ZERO_ERROR;
	int32_t n16 = 0, span, prefix_bytes = 0, need;
	size_t room;
	int r;

	if (below_first_maybe(s, len)) {
		return append(o, s, len);
	}
	/* UTF-16 never needs more units than UTF-8 has bytes; NFC grows a string by at most
	 * three times, which has to fit ICU's int32_t lengths. */
	if (len > INT32_MAX / 3) {
		return -EMSGSIZE;
	}
	r = grow_uchars(&sc->src, &sc->src_cap, (int32_t)len);
	if (r < 0) {
		return r;
	}
	u_strFromUTF8(sc->src, sc->src_cap, &n16, s, (int32_t)len, &st);
	if (U_FAILURE(st)) {
		return mnemo_err_from_icu(st);
	}
	span = unorm2_spanQuickCheckYes(nfc, sc->src, n16, &st);
	if (U_FAILURE(st)) {
		return mnemo_err_from_icu(st);
	}
	if (span == n16) {
		return append(o, s, len);
	}

	/* The NFC prefix is copied as it was; only the rest goes through the normaliser. */
	u_strToUTF8(NULL, 0, &prefix_bytes, sc->src, span, &st);
	if (st == U_BUFFER_OVERFLOW_ERROR || st == U_STRING_NOT_TERMINATED_WARNING) {
		st = U_ZERO_ERROR;
	}
	if (U_FAILURE(st)) {
		return mnemo_err_from_icu(st);
	}
	r = append(o, s, (size_t)prefix_bytes);
	if (r < 0) {
		return r;
	}
	r = grow_uchars(&sc->dst, &sc->dst_cap, 3 * (n16 - span) + 1);
	if (r < 0) {
		return r;
	}
	need = unorm2_normalize(nfc, sc->src + span, n16 - span, sc->dst, sc->dst_cap, &st);
	if (st == U_BUFFER_OVERFLOW_ERROR) {
		/* Not expected (3x is the documented bound), but cheap to survive. */
		st = U_ZERO_ERROR;
		r = grow_uchars(&sc->dst, &sc->dst_cap, need);
		if (r < 0) {
			return r;
		}
		need = unorm2_normalize(nfc, sc->src + span, n16 - span, sc->dst, sc->dst_cap, &st);
	}
	if (U_FAILURE(st)) {
		return mnemo_err_from_icu(st);
	}
	/* Each UTF-16 unit becomes at most three UTF-8 bytes. */
	r = reserve(o, 3 * (size_t)need);
	if (r < 0) {
		return r;
	}
	room = o->cap - o->len;
	u_strToUTF8(o->buf + o->len, room > INT32_MAX ? INT32_MAX : (int32_t)room, &n16, sc->dst,
		    need, &st);
	if (U_FAILURE(st)) {
		return mnemo_err_from_icu(st);
	}
	o->len += (size_t)n16;
	return 0;
}

int
mnemo_text_nfc(const char *s, size_t len, char **ret, size_t *ret_len)
{
	struct scratch sc = {0};
	struct out o = {0};
	UErrorCode st = U_ZERO_ERROR;
	const UNormalizer2 *nfc;
	size_t i = 0;
	int r;

	r = mnemo_text_check_utf8(s, len, NULL);
	if (r < 0) {
		return r;
	}
	nfc = unorm2_getNFCInstance(&st);
	if (U_FAILURE(st)) {
		return mnemo_err_from_icu(st);
	}
	r = reserve(&o, len);
	while (r == 0 && i < len) {
		size_t end = chunk_end(nfc, s, i, len);

		r = nfc_chunk(nfc, s + i, end - i, &sc, &o);
		i = end;
	}
	free(sc.src);
	free(sc.dst);
	if (r < 0) {
		free(o.buf);
		return r;
	}
	o.buf[o.len] = '\0';
	*ret = o.buf;
	if (ret_len != NULL) {
		*ret_len = o.len;
	}
	return 0;
}
