/* Exact-match keys: the text in NFC with its white space folded, hashed to 64 bits. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include "tm-internal.h"
#include "tm.h"

/* Where the key's UTF-8 bytes go: always into the hash, and into buf when the caller wants
 * the key text too. */
struct sink {
	uint64_t h;
	size_t len;
	char *buf;
	size_t cap;
	bool want_text;
	bool pending_space; /* white space seen since the last character kept */
};

static int
put_char(struct sink *k, UChar32 c)
{
	uint8_t u[U8_MAX_LENGTH];
	int32_t n = 0;

	U8_APPEND_UNSAFE(u, n, c);
	for (int32_t i = 0; i < n; i++) {
		k->h = (k->h ^ u[i]) * MNEMO_FNV_PRIME;
	}
	if (k->want_text) {
		if (k->len + (size_t)n + 1 > k->cap) {
			size_t cap = k->cap ? 2 * k->cap : 64;
			char *p = realloc(k->buf, cap);

			if (!p) {
				return -ENOMEM;
			}
			k->buf = p;
			k->cap = cap;
		}
		memcpy(k->buf + k->len, u, (size_t)n);
	}
	k->len += (size_t)n;
	return 0;
}

/* Every run of white space becomes one space, and none is kept at either end. U+00A0 and
 * U+202F are White_Space too: translators type them before French punctuation, and a
 * segment must not lose its exact match over them. */
static bool
is_space(UChar32 c)
{
	/* ASCII, most of what is stored, without a call into ICU */
	return c < 0x80 ? c == ' ' || (c >= '\t' && c <= '\r') : u_isUWhiteSpace(c);
}

static int
put(struct sink *k, UChar32 c)
{
	int r;

	if (is_space(c)) {
		k->pending_space = true;
		return 0;
	}
	if (k->pending_space && k->len > 0) {
		r = put_char(k, ' ');
		if (r < 0) {
			return r;
		}
	}
	k->pending_space = false;
	return put_char(k, c);
}

static int
walk_utf8(const char *s, size_t len, struct sink *k)
{
	const uint8_t *u = (const uint8_t *)s;
	int64_t i = 0, n = (int64_t)len;
	UChar32 c;
	int r;

	while (i < n) {
		U8_NEXT(u, i, n, c);
		if (c < 0) {
			c = 0xfffd;
		}
		r = put(k, c);
		if (r < 0) {
			return r;
		}
	}
	return 0;
}

static int
icu_err(UErrorCode st)
{
	return st == U_MEMORY_ALLOCATION_ERROR ? -ENOMEM : -EIO;
}

/* NFC of s into out (UTF-16). Only the part after the longest prefix quick check calls NFC
 * is normalised, which for stored text is usually none of it. */
static int
to_nfc(const char *s, int32_t len, struct mnemo_tm_ubuf *src, struct mnemo_tm_ubuf *out,
       const UChar **ret, int32_t *ret_len)
{
	UErrorCode st = U_ZERO_ERROR;
	const UNormalizer2 *nfc;
	int32_t n, span, r = 0;
	int err;

	u_strFromUTF8WithSub(src->p, src->cap, &n, s, len, 0xfffd, NULL, &st);
	if (st == U_BUFFER_OVERFLOW_ERROR) {
		err = mnemo_tm_ubuf_reserve(src, n);
		if (err < 0) {
			return err;
		}
		st = U_ZERO_ERROR;
		u_strFromUTF8WithSub(src->p, src->cap, &n, s, len, 0xfffd, NULL, &st);
	}
	if (U_FAILURE(st)) {
		return icu_err(st);
	}
	nfc = unorm2_getNFCInstance(&st);
	span = U_SUCCESS(st) ? unorm2_spanQuickCheckYes(nfc, src->p, n, &st) : 0;
	if (U_FAILURE(st)) {
		return icu_err(st);
	}
	if (span == n) {
		*ret = src->p;
		*ret_len = n;
		return 0;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if (span > out->cap) {
			err = mnemo_tm_ubuf_reserve(out, span);
			if (err < 0) {
				return err;
			}
		}
		memcpy(out->p, src->p, (size_t)span * sizeof(UChar));
		st = U_ZERO_ERROR;
		r = unorm2_normalizeSecondAndAppend(nfc, out->p, span, out->cap, src->p + span,
		                                    n - span, &st);
		if (st != U_BUFFER_OVERFLOW_ERROR) {
			break;
		}
		err = mnemo_tm_ubuf_reserve(out, r);
		if (err < 0) {
			return err;
		}
	}
	if (U_FAILURE(st)) {
		return icu_err(st);
	}
	*ret = out->p;
	*ret_len = r;
	return 0;
}

static int
walk(const char *s, size_t len, struct sink *k)
{
	struct mnemo_tm_ubuf src, out;
	const UChar *t;
	int32_t n, i = 0;
	UChar32 c;
	uint8_t any = 0;
	int r;

	for (size_t j = 0; j < len; j++) {
		any |= (uint8_t)s[j];
	}
	if (any < 0x80) {
		return walk_utf8(s, len, k); /* ASCII is NFC already */
	}
	if (len > INT32_MAX) {
		return -EMSGSIZE;
	}
	mnemo_tm_ubuf_init(&src);
	mnemo_tm_ubuf_init(&out);
	r = to_nfc(s, (int32_t)len, &src, &out, &t, &n);
	while (r == 0 && i < n) {
		U16_NEXT(t, i, n, c);
		r = put(k, c);
	}
	mnemo_tm_ubuf_fini(&src);
	mnemo_tm_ubuf_fini(&out);
	return r;
}

uint64_t
mnemo_tm_key_hash(const char *text, size_t len)
{
	struct sink k = {.h = MNEMO_FNV_OFFSET};

	if (walk(text, len, &k) < 0) {
		/* Out of memory, and no way to say so: hash the text as it is. That is still
		 * the right key when the text is NFC already, as stored text is. */
		k = (struct sink){.h = MNEMO_FNV_OFFSET};
		walk_utf8(text, len, &k);
	}
	return mnemo_mix64(k.h ^ (uint64_t)k.len);
}

int
mnemo_tm_key_string(const char *s, size_t len, char **ret, size_t *ret_len)
{
	struct sink k = {.h = MNEMO_FNV_OFFSET, .want_text = true};
	int r;

	r = walk(s, len, &k);
	if (r == 0 && !k.buf) {
		k.buf = malloc(1);
		r = k.buf ? 0 : -ENOMEM;
	}
	if (r < 0) {
		free(k.buf);
		return r;
	}
	k.buf[k.len] = '\0';
	*ret = k.buf;
	*ret_len = k.len;
	return 0;
}
