/* The target to propose for a match: the stored target with the segment's numbers and
 * placeholders where the stored source had others. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tm-internal.h"
#include "tm.h"

/* A number or placeholder of the stored source, and what the segment has in its place. */
struct swap {
	const char *from, *to;
	size_t from_len, to_len;
	bool ambiguous; /* the source's value stands for two of the segment's: left alone */
};

static bool
same(const char *a, size_t na, const char *b, size_t nb)
{
	return na == nb && memcmp(a, b, na) == 0;
}

/* Pairs the i-th number or placeholder of the source with the segment's i-th, when both
 * have the same kinds in the same order; a value of the source paired twice with
 * different values is ambiguous. Returns the number of distinct source values, or -1 when
 * the two do not line up. */
static int
pair_up(const struct mnemo_tm_tokens *q, const char *qs, const struct mnemo_tm_tokens *s,
        const char *ss, struct swap *out, size_t cap)
{
	size_t i = 0, j = 0, n = 0;

	for (;;) {
		while (i < q->n_tok && q->tok[i].cls < MNEMO_TM_NUMBER) {
			i++;
		}
		while (j < s->n_tok && s->tok[j].cls < MNEMO_TM_NUMBER) {
			j++;
		}
		if (i == q->n_tok || j == s->n_tok) {
			return i == q->n_tok && j == s->n_tok ? (int)n : -1;
		}
		if (q->tok[i].cls != s->tok[j].cls) {
			return -1;
		}
		{
			const char *from = ss + s->tok[j].start, *to = qs + q->tok[i].start;
			size_t from_len = s->tok[j].end - s->tok[j].start;
			size_t to_len = q->tok[i].end - q->tok[i].start;
			size_t k;

			for (k = 0; k < n && !same(out[k].from, out[k].from_len, from, from_len); k++) {
			}
			if (k < n) {
				out[k].ambiguous |= !same(out[k].to, out[k].to_len, to, to_len);
			} else if (n < cap) {
				out[n++] = (struct swap){from, to, from_len, to_len, false};
			} else {
				return -1;
			}
		}
		i++;
		j++;
	}
}

enum { MAX_SWAPS = 64 };

int
mnemo_tm_propose(const char *segment, size_t segment_len, const char *source, size_t source_len,
                 const char *target, size_t target_len, char **ret, size_t *ret_len)
{
	struct mnemo_tm_tokens q, s, t;
	struct swap swaps[MAX_SWAPS];
	char *out = NULL;
	size_t n_out = 0, at = 0, cap;
	int n = 0, r;

	mnemo_tm_tokens_init(&q);
	mnemo_tm_tokens_init(&s);
	mnemo_tm_tokens_init(&t);
	r = mnemo_tm_tokenize(segment, segment_len, &q);
	if (r == 0) {
		r = mnemo_tm_tokenize(source, source_len, &s);
	}
	if (r == 0) {
		n = pair_up(&q, segment, &s, source, swaps, MAX_SWAPS);
	}
	if (r == 0 && n > 0) {
		r = mnemo_tm_tokenize(target, target_len, &t);
	}
	/* room for every target token replaced by the longest replacement */
	cap = target_len + 1;
	for (int k = 0; r == 0 && k < n; k++) {
		cap += swaps[k].to_len * t.n_tok;
	}
	if (r == 0) {
		out = malloc(cap);
		r = out ? 0 : -ENOMEM;
	}
	for (size_t i = 0; r == 0 && n > 0 && i < t.n_tok; i++) {
		const struct mnemo_tm_token *tk = &t.tok[i];
		const char *text = target + tk->start;
		size_t len = tk->end - tk->start;

		if (tk->cls < MNEMO_TM_NUMBER) {
			continue;
		}
		for (int k = 0; k < n; k++) {
			if (!swaps[k].ambiguous && same(swaps[k].from, swaps[k].from_len, text, len) &&
			    !same(swaps[k].from, swaps[k].from_len, swaps[k].to, swaps[k].to_len)) {
				memcpy(out + n_out, target + at, tk->start - at);
				n_out += tk->start - at;
				memcpy(out + n_out, swaps[k].to, swaps[k].to_len);
				n_out += swaps[k].to_len;
				at = tk->end;
				break;
			}
		}
	}
	if (r == 0) {
		memcpy(out + n_out, target + at, target_len - at);
		n_out += target_len - at;
		out[n_out] = '\0';
		*ret = out;
		*ret_len = n_out;
	} else {
		free(out);
	}
	mnemo_tm_tokens_fini(&q);
	mnemo_tm_tokens_fini(&s);
	mnemo_tm_tokens_fini(&t);
	return r;
}
