/* Fuzzy scores: ICU word tokens, case folded, compared by a word-level edit distance. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utext.h>
#include <unicode/utf16.h>

#include "tm-internal.h"
#include "tm.h"

/* Opening a word break iterator costs microseconds (it builds its state from the rule
 * data), more than tokenising a segment, so each thread keeps one. The pthread key's
 * destructor closes it when the thread exits; the main thread's stays open until the
 * process ends, reachable from its TLS. */
static _Thread_local UBreakIterator *thread_brk;
static pthread_once_t brk_once = PTHREAD_ONCE_INIT;
static pthread_key_t brk_key;
static int brk_key_err;

static void
close_brk(void *brk)
{
	ubrk_close(brk);
	thread_brk = NULL;
}

static void
make_brk_key(void)
{
	brk_key_err = pthread_key_create(&brk_key, close_brk);
}

static int
icu_err(UErrorCode st)
{
	return st == U_MEMORY_ALLOCATION_ERROR ? -ENOMEM : -EIO;
}

static int
get_brk(UBreakIterator **ret)
{
	UErrorCode st = U_ZERO_ERROR;
	UBreakIterator *brk = thread_brk;

	if (!brk) {
		pthread_once(&brk_once, make_brk_key);
		if (brk_key_err) {
			return -brk_key_err;
		}
		brk = ubrk_open(UBRK_WORD, "", NULL, 0, &st);
		if (U_FAILURE(st)) {
			return icu_err(st);
		}
		if (pthread_setspecific(brk_key, brk) != 0) {
			ubrk_close(brk);
			return -ENOMEM;
		}
		thread_brk = brk;
	}
	*ret = brk;
	return 0;
}

void
mnemo_tm_tokens_init(struct mnemo_tm_tokens *t)
{
	memset(t, 0, sizeof(*t));
}

void
mnemo_tm_tokens_fini(struct mnemo_tm_tokens *t)
{
	free(t->tok);
	free(t->words);
	mnemo_tm_tokens_init(t);
}

static int
grow(void **p, size_t *cap, size_t size)
{
	size_t n = *cap ? 2 * *cap : 16;
	void *q = realloc(*p, n * size);

	if (!q) {
		return -ENOMEM;
	}
	*p = q;
	*cap = n;
	return 0;
}

static int
push_token(struct mnemo_tm_tokens *t, uint64_t id, uint64_t orig, bool is_punct)
{
	int r;

	if (t->n_tok == t->cap_tok) {
		r = grow((void **)&t->tok, &t->cap_tok, sizeof(*t->tok));
		if (r < 0) {
			return r;
		}
	}
	if (!is_punct && t->n_words == t->cap_words) {
		r = grow((void **)&t->words, &t->cap_words, sizeof(*t->words));
		if (r < 0) {
			return r;
		}
	}
	t->tok[t->n_tok++] = (struct mnemo_tm_token){.id = id, .orig = orig, .is_punct = is_punct};
	if (!is_punct) {
		t->words[t->n_words++] = id;
	}
	return 0;
}

/* Token hashes are over UTF-16 code units, so an ASCII token hashed from its bytes gets
 * the same id as the same word reached through case folding (K, U+212A KELVIN SIGN). */
static uint64_t
hash16(const UChar *u, int32_t n)
{
	uint64_t h = MNEMO_TM_FNV_OFFSET;

	for (int32_t i = 0; i < n; i++) {
		h = (h ^ u[i]) * MNEMO_TM_FNV_PRIME;
	}
	return mnemo_tm_mix64(h ^ (uint64_t)n);
}

static uint64_t
hash_ascii(const char *s, int32_t n, bool fold)
{
	uint64_t h = MNEMO_TM_FNV_OFFSET;

	for (int32_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];

		if (fold && c >= 'A' && c <= 'Z') {
			c += 'a' - 'A'; /* U_FOLD_CASE_DEFAULT on ASCII */
		}
		h = (h ^ c) * MNEMO_TM_FNV_PRIME;
	}
	return mnemo_tm_mix64(h ^ (uint64_t)n);
}

enum kind { SPACE, PUNCT, WORD };

/* ICU gives white space and punctuation the same rule status (UBRK_WORD_NONE), so those
 * tokens are sorted by their characters. Controls and format characters (ZWSP, a stray
 * BOM) count as space. Symbols and emoji count as words: "5 %" and "5 €" differ in content,
 * not in punctuation. */
static enum kind
kind_of(UChar32 c)
{
	int8_t gc;

	if (u_isUWhiteSpace(c)) {
		return SPACE;
	}
	gc = u_charType(c);
	if (gc == U_CONTROL_CHAR || gc == U_FORMAT_CHAR) {
		return SPACE;
	}
	return u_ispunct(c) ? PUNCT : WORD;
}

struct tok_bufs {
	struct mnemo_tm_ubuf src, nfc, fold;
};

/* The NFC form of src[0..n) in b->nfc, or src itself when it is NFC already. */
static int
token_nfc(struct tok_bufs *b, int32_t n, const UChar **ret, int32_t *ret_len)
{
	UErrorCode st = U_ZERO_ERROR;
	const UNormalizer2 *nfc = unorm2_getNFCInstance(&st);
	int32_t r;
	int err;

	if (U_SUCCESS(st) && unorm2_quickCheck(nfc, b->src.p, n, &st) == UNORM_YES) {
		*ret = b->src.p;
		*ret_len = n;
		return 0;
	}
	st = U_ZERO_ERROR;
	r = unorm2_normalize(nfc, b->src.p, n, b->nfc.p, b->nfc.cap, &st);
	if (st == U_BUFFER_OVERFLOW_ERROR) {
		err = mnemo_tm_ubuf_reserve(&b->nfc, r);
		if (err < 0) {
			return err;
		}
		st = U_ZERO_ERROR;
		r = unorm2_normalize(nfc, b->src.p, n, b->nfc.p, b->nfc.cap, &st);
	}
	if (U_FAILURE(st)) {
		return icu_err(st);
	}
	*ret = b->nfc.p;
	*ret_len = r;
	return 0;
}

static int
add_token(struct mnemo_tm_tokens *t, const char *s, int32_t len, bool is_word, struct tok_bufs *b)
{
	UErrorCode st = U_ZERO_ERROR;
	enum kind kind = is_word ? WORD : SPACE;
	const UChar *nfc;
	int32_t n, n_nfc, n_fold;
	uint8_t any = 0;
	uint64_t orig;
	int r;

	for (int32_t i = 0; i < len; i++) {
		any |= (uint8_t)s[i];
	}
	if (any < 0x80) {
		for (int32_t i = 0; i < len && kind != WORD; i++) {
			enum kind k = kind_of((uint8_t)s[i]);

			kind = k > kind ? k : kind;
		}
		if (kind == SPACE) {
			return 0;
		}
		return push_token(t, hash_ascii(s, len, true), hash_ascii(s, len, false),
		                  kind == PUNCT);
	}

	u_strFromUTF8WithSub(b->src.p, b->src.cap, &n, s, len, 0xfffd, NULL, &st);
	if (st == U_BUFFER_OVERFLOW_ERROR) {
		r = mnemo_tm_ubuf_reserve(&b->src, n);
		if (r < 0) {
			return r;
		}
		st = U_ZERO_ERROR;
		u_strFromUTF8WithSub(b->src.p, b->src.cap, &n, s, len, 0xfffd, NULL, &st);
	}
	if (U_FAILURE(st)) {
		return icu_err(st);
	}
	for (int32_t i = 0; i < n && kind != WORD;) {
		UChar32 c;
		enum kind k;

		U16_NEXT(b->src.p, i, n, c);
		k = kind_of(c);
		kind = k > kind ? k : kind;
	}
	if (kind == SPACE) {
		return 0;
	}
	r = token_nfc(b, n, &nfc, &n_nfc);
	if (r < 0) {
		return r;
	}
	orig = hash16(nfc, n_nfc);
	st = U_ZERO_ERROR;
	n_fold = u_strFoldCase(b->fold.p, b->fold.cap, nfc, n_nfc, U_FOLD_CASE_DEFAULT, &st);
	if (st == U_BUFFER_OVERFLOW_ERROR) {
		r = mnemo_tm_ubuf_reserve(&b->fold, n_fold);
		if (r < 0) {
			return r;
		}
		st = U_ZERO_ERROR;
		n_fold =
		        u_strFoldCase(b->fold.p, b->fold.cap, nfc, n_nfc, U_FOLD_CASE_DEFAULT, &st);
	}
	if (U_FAILURE(st)) {
		return icu_err(st);
	}
	return push_token(t, hash16(b->fold.p, n_fold), orig, kind == PUNCT);
}

int
mnemo_tm_tokenize(const char *s, size_t len, struct mnemo_tm_tokens *t)
{
	UText ut = UTEXT_INITIALIZER;
	UErrorCode st = U_ZERO_ERROR;
	UBreakIterator *brk;
	struct tok_bufs b;
	int32_t start, end;
	int r;

	t->n_tok = 0;
	t->n_words = 0;
	if (len > INT32_MAX) {
		return -EMSGSIZE;
	}
	if (len == 0) {
		return 0;
	}
	r = get_brk(&brk);
	if (r < 0) {
		return r;
	}
	/* A UTF-8 UText lets the iterator work on s itself, and its indexes are byte offsets. */
	utext_openUTF8(&ut, s, (int64_t)len, &st);
	ubrk_setUText(brk, &ut, &st);
	if (U_FAILURE(st)) {
		utext_close(&ut);
		return icu_err(st);
	}
	mnemo_tm_ubuf_init(&b.src);
	mnemo_tm_ubuf_init(&b.nfc);
	mnemo_tm_ubuf_init(&b.fold);
	start = ubrk_first(brk);
	for (end = ubrk_next(brk); end != UBRK_DONE; start = end, end = ubrk_next(brk)) {
		bool is_word = ubrk_getRuleStatus(brk) >= UBRK_WORD_NONE_LIMIT;

		r = add_token(t, s + start, end - start, is_word, &b);
		if (r < 0) {
			break;
		}
	}
	/* The iterator keeps a shallow clone of ut that points into s; nothing reads it
	 * before the next ubrk_setUText() replaces it. */
	utext_close(&ut);
	mnemo_tm_ubuf_fini(&b.src);
	mnemo_tm_ubuf_fini(&b.nfc);
	mnemo_tm_ubuf_fini(&b.fold);
	return r;
}

void
mnemo_tm_dp_fini(struct mnemo_tm_dp *dp)
{
	free(dp->row);
	dp->row = NULL;
	dp->cap = 0;
}

enum { INF = UINT32_MAX / 2 }; /* room for +1 without wrapping */

static uint32_t
min3(uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t m = a < b ? a : b;

	return m < c ? m : c;
}

/* The Levenshtein distance of a[0..n) and b[0..m), n <= m, when it is at most max_d, else
 * max_d + 1. A path through the table that strays to diagonal j - i = -(w + 1) or
 * (m - n) + w + 1 costs at least 2(w + 1) + (m - n), so with w = (max_d - (m - n)) / 2
 * only the diagonals -w..(m - n) + w are computed: n * (2w + 1 + m - n) cells, not n * m.
 * A row whose every cell exceeds max_d ends it early (costs never decrease along a path). */
static size_t
distance(const uint64_t *a, size_t n, const uint64_t *b, size_t m, size_t max_d, uint32_t *prev,
         uint32_t *cur)
{
	size_t diff = m - n, w, hi;

	if (diff > max_d) {
		return max_d + 1;
	}
	w = (max_d - diff) / 2;
	hi = diff + w < m ? diff + w : m;
	for (size_t j = 0; j <= hi; j++) {
		prev[j] = (uint32_t)j;
	}
	if (hi < m) {
		prev[hi + 1] = INF;
	}
	for (size_t i = 1; i <= n; i++) {
		size_t lo = i > w ? i - w : 0, j;
		uint32_t row_min = INF, *t;

		hi = i + diff + w < m ? i + diff + w : m;
		if (lo == 0) {
			cur[0] = (uint32_t)i;
			row_min = (uint32_t)i;
			j = 1;
		} else {
			cur[lo - 1] = INF;
			j = lo;
		}
		for (; j <= hi; j++) {
			uint32_t v = min3(prev[j - 1] + (a[i - 1] != b[j - 1]), prev[j] + 1,
			                  cur[j - 1] + 1);

			cur[j] = v;
			row_min = v < row_min ? v : row_min;
		}
		if (hi < m) {
			cur[hi + 1] = INF;
		}
		if (row_min > max_d) {
			return max_d + 1;
		}
		t = prev;
		prev = cur;
		cur = t;
	}
	return prev[m] > max_d ? max_d + 1 : prev[m];
}

int
mnemo_tm_score_words(const uint64_t *a, size_t n, const uint64_t *b, size_t m, uint32_t min_score,
                     struct mnemo_tm_dp *dp, uint32_t *ret_score)
{
	size_t max_d, d;

	if (n == 0 || m == 0) {
		*ret_score = 0;
		return 0;
	}
	if (n > m) {
		const uint64_t *t = a;
		size_t tn = n;

		a = b;
		b = t;
		n = m;
		m = tn;
	}
	if (min_score > 100) {
		min_score = 100;
	}
	/* floor(100 (m - d) / m) >= min_score  <=>  d <= m - ceil(min_score m / 100) */
	max_d = m - (min_score * m + 99) / 100;
	if (n * m > MNEMO_TM_DP_BUDGET) {
		/* Only texts of thousands of words get here; none is a real segment. Narrow the
		 * band to the budget: a score that needs a wider one is reported as 0. */
		size_t row = MNEMO_TM_DP_BUDGET / n, diff = m - n, w;

		if (row < diff + 1) {
			*ret_score = 0;
			return 0;
		}
		w = (row - 1 - diff) / 2; /* distance() then computes n * (2w + 1 + diff) cells */
		if (diff + 2 * w < max_d) {
			max_d = diff + 2 * w;
		}
	}
	if (dp->cap < 2 * (m + 1)) {
		uint32_t *p = malloc(2 * (m + 1) * sizeof(*p));

		if (!p) {
			return -ENOMEM;
		}
		free(dp->row);
		dp->row = p;
		dp->cap = 2 * (m + 1);
	}
	d = distance(a, n, b, m, max_d, dp->row, dp->row + m + 1);
	if (d > max_d) {
		*ret_score = 0;
	} else if (d == 0) {
		*ret_score = 100;
	} else {
		uint64_t s = 100 * (uint64_t)(m - d) / m;

		*ret_score = s > 99 ? 99 : (uint32_t)s;
	}
	return 0;
}

uint32_t
mnemo_tm_same_words_score(const struct mnemo_tm_tokens *a, const struct mnemo_tm_tokens *b)
{
	bool case_differs = false, punct_differs = a->n_tok != b->n_tok;
	size_t i = 0, j = 0;

	/* The words are equal, so stepping over the punctuation pairs word with word. */
	for (;;) {
		while (i < a->n_tok && a->tok[i].is_punct) {
			i++;
		}
		while (j < b->n_tok && b->tok[j].is_punct) {
			j++;
		}
		if (i == a->n_tok || j == b->n_tok) {
			break;
		}
		case_differs |= a->tok[i].orig != b->tok[j].orig;
		i++;
		j++;
	}
	for (size_t k = 0; k < a->n_tok && !punct_differs; k++) {
		punct_differs =
		        a->tok[k].id != b->tok[k].id || a->tok[k].is_punct != b->tok[k].is_punct;
	}
	return 99 - (uint32_t)case_differs - (uint32_t)punct_differs;
}

uint32_t
mnemo_tm_score(const char *query, size_t query_len, const char *cand, size_t cand_len)
{
	struct mnemo_tm_tokens q, c;
	struct mnemo_tm_dp dp = {0};
	char *kq = NULL, *kc = NULL;
	size_t nq, nc;
	uint32_t score = 0;

	mnemo_tm_tokens_init(&q);
	mnemo_tm_tokens_init(&c);
	if (mnemo_tm_key_string(query, query_len, &kq, &nq) < 0 ||
	    mnemo_tm_key_string(cand, cand_len, &kc, &nc) < 0) {
		goto out;
	}
	if (nq == nc && memcmp(kq, kc, nq) == 0) {
		score = 100;
		goto out;
	}
	if (mnemo_tm_tokenize(query, query_len, &q) < 0 ||
	    mnemo_tm_tokenize(cand, cand_len, &c) < 0 ||
	    mnemo_tm_score_words(q.words, q.n_words, c.words, c.n_words, 0, &dp, &score) < 0) {
		score = 0;
		goto out;
	}
	if (score == 100) {
		score = mnemo_tm_same_words_score(&q, &c);
	}
out:
	free(kq);
	free(kc);
	mnemo_tm_tokens_fini(&q);
	mnemo_tm_tokens_fini(&c);
	mnemo_tm_dp_fini(&dp);
	return score;
}
