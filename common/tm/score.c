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
push_token(struct mnemo_tm_tokens *t, uint64_t id, uint64_t orig, int32_t start, int32_t end,
           enum mnemo_tm_cls cls)
{
	bool is_word = cls != MNEMO_TM_PUNCT;
	int r;

	if (t->n_tok == t->cap_tok) {
		r = grow((void **)&t->tok, &t->cap_tok, sizeof(*t->tok));
		if (r < 0) {
			return r;
		}
	}
	if (is_word && t->n_words == t->cap_words) {
		r = grow((void **)&t->words, &t->cap_words, sizeof(*t->words));
		if (r < 0) {
			return r;
		}
	}
	t->tok[t->n_tok++] = (struct mnemo_tm_token){
	        .id = id, .orig = orig, .start = (uint32_t)start, .end = (uint32_t)end, .cls = cls};
	if (is_word) {
		t->words[t->n_words++] = id;
	}
	return 0;
}

/* Token hashes are over UTF-16 code units, so an ASCII token hashed from its bytes gets
 * the same id as the same word reached through case folding (K, U+212A KELVIN SIGN). */
static uint64_t
hash16(const UChar *u, int32_t n)
{
	uint64_t h = MNEMO_FNV_OFFSET;

	for (int32_t i = 0; i < n; i++) {
		h = (h ^ u[i]) * MNEMO_FNV_PRIME;
	}
	return mnemo_mix64(h ^ (uint64_t)n);
}

static uint64_t
hash_ascii(const char *s, int32_t n, bool fold)
{
	uint64_t h = MNEMO_FNV_OFFSET;

	for (int32_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];

		if (fold && c >= 'A' && c <= 'Z') {
			c += 'a' - 'A'; /* U_FOLD_CASE_DEFAULT on ASCII */
		}
		h = (h ^ c) * MNEMO_FNV_PRIME;
	}
	return mnemo_mix64(h ^ (uint64_t)n);
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

/* ICU calls "x86", "mp3" and "w2000" numbers too; a number here is digits and the
 * separators inside numbers ("3,14", "1.000", "1'000", "1 000" with a no-break space):
 * what a proposal can put another value in place of. */
static bool
plain_number_ascii(const char *s, int32_t n)
{
	if (n == 0 || s[0] < '0' || s[0] > '9') {
		return false;
	}
	for (int32_t i = 0; i < n; i++) {
		if ((s[i] < '0' || s[i] > '9') && s[i] != '.' && s[i] != ',' && s[i] != '\'') {
			return false;
		}
	}
	return true;
}

static bool
plain_number(const UChar *u, int32_t n)
{
	for (int32_t i = 0; i < n;) {
		UChar32 c;

		U16_NEXT(u, i, n, c);
		if (!u_isdigit(c) && (i == 1 || (c != '.' && c != ',' && c != '\'' && c != 0x2019 &&
		                                 c != 0xa0 && c != 0x202f && c != 0x66b && c != 0x66c))) {
			return false;
		}
	}
	return n > 0;
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

/* The token text[start, end) as ICU's word iterator gave it, with its rule status. */
static int
add_token(struct mnemo_tm_tokens *t, const char *text, int32_t start, int32_t end, int32_t status,
          struct tok_bufs *b)
{
	UErrorCode st = U_ZERO_ERROR;
	const char *s = text + start;
	int32_t len = end - start;
	bool is_word = status >= UBRK_WORD_NONE_LIMIT;
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
		if (status >= UBRK_WORD_NUMBER && status < UBRK_WORD_NUMBER_LIMIT &&
		    plain_number_ascii(s, len)) {
			return push_token(t, MNEMO_TM_NUMBER_ID, hash_ascii(s, len, false), start,
			                  end, MNEMO_TM_NUMBER);
		}
		return push_token(t, hash_ascii(s, len, true), hash_ascii(s, len, false), start,
		                  end, kind == PUNCT ? MNEMO_TM_PUNCT : MNEMO_TM_WORD);
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
	if (status >= UBRK_WORD_NUMBER && status < UBRK_WORD_NUMBER_LIMIT &&
	    plain_number(b->src.p, n)) {
		/* digits of other scripts: the value's bytes tell a difference */
		return push_token(t, MNEMO_TM_NUMBER_ID, hash_ascii(s, len, false), start, end,
		                  MNEMO_TM_NUMBER);
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
	return push_token(t, hash16(b->fold.p, n_fold), orig, start, end,
	                  kind == PUNCT ? MNEMO_TM_PUNCT : MNEMO_TM_WORD);
}

/* ---- placeholders ---- */

static bool
is_alpha_(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static size_t
skip_digits(const char *s, size_t i, size_t n)
{
	while (i < n && is_digit(s[i])) {
		i++;
	}
	return i;
}

static size_t
skip_ident(const char *s, size_t i, size_t n)
{
	while (i < n && (is_alpha_(s[i]) || is_digit(s[i]))) {
		i++;
	}
	return i;
}

/* printf ("%s", "%-5.2f", "%1$s", "%lld"), Python ("%(name)s") and Qt ("%1") at s[i] == '%':
 * the end of the placeholder, or i when there is none ("50 %", "%%"). No ' ' flag:
 * "50% off" holds no "% o". */
static size_t
percent_end(const char *s, size_t i, size_t n)
{
	static const char conv[] = "diouxXeEfFgGaAcspn";
	size_t j = i + 1, k;

	if (j < n && s[j] == '(') {
		k = skip_ident(s, j + 1, n);
		if (k == j + 1 || k >= n || s[k] != ')') {
			return i;
		}
		j = k + 1;
	} else {
		k = skip_digits(s, j, n);
		if (k > j && k < n && s[k] == '$') {
			j = k + 1;
		} else if (k > j && (k == n || !is_alpha_(s[k]))) {
			return k; /* Qt: "%1" */
		}
	}
	while (j < n && (s[j] == '-' || s[j] == '+' || s[j] == '#' || s[j] == '0')) {
		j++;
	}
	j = j < n && s[j] == '*' ? j + 1 : skip_digits(s, j, n);
	if (j < n && s[j] == '.') {
		j = j + 1 < n && s[j + 1] == '*' ? j + 2 : skip_digits(s, j + 1, n);
	}
	while (j < n && s[j] != '\0' && strchr("hlLqjzt", s[j]) != NULL) {
		j++;
	}
	return j < n && s[j] != '\0' && strchr(conv, s[j]) != NULL ? j + 1 : i;
}

/* "{0}", "{name}", "{{name}}" at s[i] == '{': the end, or i. */
static size_t
brace_end(const char *s, size_t i, size_t n)
{
	size_t j = i + 1 < n && s[i + 1] == '{' ? i + 2 : i + 1, k;

	if (j >= n) {
		return i;
	}
	k = is_digit(s[j]) ? skip_digits(s, j, n) : is_alpha_(s[j]) ? skip_ident(s, j, n) : j;
	if (k == j || k >= n || s[k] != '}') {
		return i;
	}
	if (j == i + 2) {
		return k + 1 < n && s[k + 1] == '}' ? k + 2 : i;
	}
	return k + 1;
}

/* "$NAME", "${name}" at s[i] == '$': the end, or i ("$5" is money). */
static size_t
dollar_end(const char *s, size_t i, size_t n)
{
	size_t k;

	if (i + 1 < n && s[i + 1] == '{') {
		k = i + 2 < n && is_alpha_(s[i + 2]) ? skip_ident(s, i + 2, n) : i + 2;
		return k > i + 2 && k < n && s[k] == '}' ? k + 1 : i;
	}
	return i + 1 < n && is_alpha_(s[i + 1]) ? skip_ident(s, i + 1, n) : i;
}

/* The next placeholder in s[from, n): its start in *ret_start and its end, or n in both
 * when there is none. */
static size_t
next_placeholder(const char *s, size_t from, size_t n, size_t *ret_start)
{
	for (size_t i = from; i < n; i++) {
		size_t e = s[i] == '%' ? percent_end(s, i, n)
		           : s[i] == '{' ? brace_end(s, i, n)
		           : s[i] == '$' ? dollar_end(s, i, n)
		                         : i;

		if (e > i) {
			*ret_start = i;
			return e;
		}
	}
	*ret_start = n;
	return n;
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
	mnemo_tm_ubuf_init(&b.src);
	mnemo_tm_ubuf_init(&b.nfc);
	mnemo_tm_ubuf_init(&b.fold);
	/* The text between placeholders goes through ICU's word iterator, a region at a time:
	 * a UTF-8 UText over the region itself, whose indexes are byte offsets into it. */
	for (size_t at = 0; at < len && r == 0;) {
		size_t ph, ph_end = next_placeholder(s, at, len, &ph);

		if (ph > at) {
			utext_openUTF8(&ut, s + at, (int64_t)(ph - at), &st);
			ubrk_setUText(brk, &ut, &st);
			if (U_FAILURE(st)) {
				utext_close(&ut);
				r = icu_err(st);
				break;
			}
			start = ubrk_first(brk);
			for (end = ubrk_next(brk); end != UBRK_DONE && r == 0;
			     start = end, end = ubrk_next(brk)) {
				r = add_token(t, s, (int32_t)at + start, (int32_t)at + end,
				              ubrk_getRuleStatus(brk), &b);
			}
			/* The iterator keeps a shallow clone of ut that points into s; nothing
			 * reads it before the next ubrk_setUText() replaces it. */
			utext_close(&ut);
		}
		if (r == 0 && ph < len) {
			r = push_token(t, MNEMO_TM_PLACEHOLDER_ID,
			               hash_ascii(s + ph, (int32_t)(ph_end - ph), false), (int32_t)ph,
			               (int32_t)ph_end, MNEMO_TM_PLACEHOLDER);
		}
		at = ph_end;
	}
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

unsigned
mnemo_tm_same_words_penalties(const struct mnemo_tm_tokens *a, const struct mnemo_tm_tokens *b)
{
	unsigned p = a->n_tok != b->n_tok ? MNEMO_TM_PENALTY_PUNCTUATION : 0;
	size_t i = 0, j = 0;

	/* The words are equal, so stepping over the punctuation pairs word with word. */
	for (;;) {
		while (i < a->n_tok && a->tok[i].cls == MNEMO_TM_PUNCT) {
			i++;
		}
		while (j < b->n_tok && b->tok[j].cls == MNEMO_TM_PUNCT) {
			j++;
		}
		if (i == a->n_tok || j == b->n_tok) {
			break;
		}
		if (a->tok[i].orig != b->tok[j].orig) {
			p |= a->tok[i].cls == MNEMO_TM_WORD ? MNEMO_TM_PENALTY_CASE
			                                    : MNEMO_TM_PENALTY_NUMBERS;
		}
		i++;
		j++;
	}
	for (size_t k = 0; k < a->n_tok && !(p & MNEMO_TM_PENALTY_PUNCTUATION); k++) {
		if (a->tok[k].id != b->tok[k].id || (a->tok[k].cls == MNEMO_TM_PUNCT) !=
		                                            (b->tok[k].cls == MNEMO_TM_PUNCT)) {
			p |= MNEMO_TM_PENALTY_PUNCTUATION;
		}
	}
	/* Different keys, the same tokens: they differ in white space ("a,b" and "a, b"). */
	return p != 0 ? p : MNEMO_TM_PENALTY_WHITESPACE;
}

uint64_t
mnemo_tm_numbers_signature(const struct mnemo_tm_tokens *t)
{
	uint64_t h = MNEMO_FNV_OFFSET;
	bool any = false;

	for (size_t i = 0; i < t->n_tok; i++) {
		if (t->tok[i].cls >= MNEMO_TM_NUMBER) {
			h = (h ^ t->tok[i].cls) * MNEMO_FNV_PRIME;
			h = (h ^ t->tok[i].orig) * MNEMO_FNV_PRIME;
			any = true;
		}
	}
	return any ? mnemo_mix64(h) | 1 : 0;
}

uint32_t
mnemo_tm_apply_penalties(uint32_t score, unsigned penalties)
{
	uint32_t n = (uint32_t)__builtin_popcount(penalties);

	return score > n ? score - n : 0;
}

uint32_t
mnemo_tm_score_ex(const char *query, size_t query_len, const char *cand, size_t cand_len,
                  unsigned *ret_penalties)
{
	struct mnemo_tm_tokens q, c;
	struct mnemo_tm_dp dp = {0};
	char *kq = NULL, *kc = NULL;
	size_t nq, nc;
	uint32_t score = 0;
	unsigned penalties = 0;

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
		penalties = mnemo_tm_same_words_penalties(&q, &c);
	} else if (score > 0 && mnemo_tm_numbers_signature(&q) != mnemo_tm_numbers_signature(&c)) {
		penalties = MNEMO_TM_PENALTY_NUMBERS;
	}
	score = mnemo_tm_apply_penalties(score, penalties);
out:
	free(kq);
	free(kc);
	mnemo_tm_tokens_fini(&q);
	mnemo_tm_tokens_fini(&c);
	mnemo_tm_dp_fini(&dp);
	if (ret_penalties != NULL) {
		*ret_penalties = penalties;
	}
	return score;
}

uint32_t
mnemo_tm_score(const char *query, size_t query_len, const char *cand, size_t cand_len)
{
	return mnemo_tm_score_ex(query, query_len, cand, cand_len, NULL);
}

const char *
mnemo_tm_penalty_name(unsigned penalty)
{
	switch (penalty) {
	case MNEMO_TM_PENALTY_CASE:
		return "case";
	case MNEMO_TM_PENALTY_PUNCTUATION:
		return "punctuation";
	case MNEMO_TM_PENALTY_WHITESPACE:
		return "whitespace";
	case MNEMO_TM_PENALTY_NUMBERS:
		return "numbers";
	case MNEMO_TM_PENALTY_TAGS:
		return "tags";
	default:
		return "";
	}
}
