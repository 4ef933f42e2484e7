/* Learning lexicon entries from the translation memory (tmlearn.h): its units are sentence
 * pairs that translators vouched for, the best evidence of which words translate which. */
#include "tmlearn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "learn.h"
#include "lexicon.h"

enum {
	/* Units copied out per hold of the read lock: the feed's updates wait for one chunk's
	 * copying at most, never for the stemming. */
	CHUNK_UNITS = 1000,
	/* Units read per learning, so that time and memory stay bounded whatever the memory's
	 * size: past a few hundred thousand units the counts say little more. */
	MAX_UNITS = 2000000,
	/* Longer texts are paragraphs, not sentences: every word of one pairs with every word
	 * of the other, and learn.c counts only a sentence's first stems anyway. */
	MAX_TEXT_BYTES = 2048,
	MAX_STEMS = 128, /* per text: learn.c counts the first 64 distinct */
};

void
tm_entries_fini(struct tm_entries *e)
{
	free(e->stems);
	memset(e, 0, sizeof(*e));
}

/* One chunk's texts, copied out of the index: source then target, NUL-terminated. */
struct chunk {
	char *buf;
	size_t len, cap, n;
};

static int
append(struct chunk *c, const char *s, size_t n)
{
	if (c->len + n + 1 > c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 65536;
		char *p;

		while (cap < c->len + n + 1) {
			cap *= 2;
		}
		p = realloc(c->buf, cap);
		if (p == NULL) {
			return -ENOMEM;
		}
		c->buf = p;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, s, n + 1);
	c->len += n + 1;
	return 0;
}

static int
copy_unit(void *arg, const char *src, const char *tgt)
{
	struct chunk *c = arg;
	size_t ns = strlen(src), nt = strlen(tgt);
	int r;

	if (ns > MAX_TEXT_BYTES || nt > MAX_TEXT_BYTES) {
		return 0;
	}
	r = append(c, src, ns);
	if (r == 0) {
		r = append(c, tgt, nt);
	}
	c->n += r == 0;
	return r;
}

/* The chunk's units counted, their texts stemmed by lex. */
static int
count_chunk(struct mnemo_lexicon *lex, struct mnemo_learn *l, const struct chunk *c)
{
	uint32_t ids[2][MAX_STEMS];
	const char *p = c->buf;
	int r = 0;

	for (size_t i = 0; i < c->n && r == 0; i++) {
		size_t n[2];

		for (int side = 0; side < 2 && r == 0; side++) {
			size_t len = strlen(p);

			r = mnemo_lexicon_stems(lex, side, p, len, ids[side], MAX_STEMS, &n[side]);
			n[side] = n[side] < MAX_STEMS ? n[side] : MAX_STEMS;
			p += len + 1;
		}
		if (r == 0 && n[0] > 0 && n[1] > 0) {
			r = mnemo_learn_add(l, ids[0], n[0], ids[1], n[1]);
		}
	}
	return r;
}

/* Walks the memory into l; *ret_units gets the units counted. */
static int
walk(const struct mnemo_tm_index *idx, pthread_rwlock_t *lock, const char *src, const char *tgt,
     const atomic_int *stop, struct mnemo_lexicon *lex, struct mnemo_learn *l, size_t *ret_units)
{
	struct chunk c = {0};
	size_t cursor = 0, units = 0;
	int r = 0;

	while (units < MAX_UNITS) {
		size_t max = MAX_UNITS - units < CHUNK_UNITS ? MAX_UNITS - units : CHUNK_UNITS;

		if (atomic_load(stop)) {
			r = -ECANCELED;
			break;
		}
		c.len = c.n = 0;
		pthread_rwlock_rdlock(lock);
		r = mnemo_tm_index_pairs(idx, src, tgt, &cursor, max, copy_unit, &c);
		pthread_rwlock_unlock(lock);
		if (r <= 0) {
			break;
		}
		r = count_chunk(lex, l, &c);
		if (r < 0) {
			break;
		}
		units += c.n;
	}
	free(c.buf);
	*ret_units = units;
	return r;
}

/* The pairs l proposes, as lex's stem texts. */
static int
entries_of(const struct mnemo_lexicon *lex, const struct mnemo_learn *l, struct tm_entries *ret)
{
	struct chunk out = {0};
	uint64_t *keys;
	size_t n;
	int r = mnemo_learn_pairs(l, MNEMO_LEARN_MIN_COUNT, MNEMO_LEARN_MIN_DICE, &keys, &n);

	for (size_t i = 0; r == 0 && i < n; i++) {
		uint32_t src = (uint32_t)(keys[i] >> 32), tgt = (uint32_t)keys[i];
		const char *s = mnemo_lexicon_stem_text(lex, MNEMO_LEXICON_SRC, src);
		const char *t = mnemo_lexicon_stem_text(lex, MNEMO_LEXICON_TGT, tgt);

		if (s == NULL || t == NULL) {
			continue; /* never: the ids are lex's */
		}
		r = append(&out, s, strlen(s));
		if (r == 0) {
			r = append(&out, t, strlen(t));
		}
		out.n += r == 0;
	}
	free(keys);
	if (r < 0) {
		free(out.buf);
		return r;
	}
	ret->stems = out.buf;
	ret->n = (uint32_t)out.n;
	return 0;
}

int
tmlearn_pair(const struct mnemo_tm_index *idx, pthread_rwlock_t *lock, const char *src,
	     const char *tgt, const atomic_int *stop, struct tm_entries *ret, size_t *ret_units)
{
	struct mnemo_lexicon *lex = NULL;
	struct mnemo_learn *l = NULL;
	int r;

	*ret_units = 0;
	/* a lexicon of its own, no dictionary: only its stemming and its stem ids are used */
	r = mnemo_lexicon_new(src, tgt, &lex);
	if (r == 0) {
		r = mnemo_learn_new(&l);
	}
	if (r == 0) {
		r = walk(idx, lock, src, tgt, stop, lex, l, ret_units);
	}
	if (r == 0) {
		r = entries_of(lex, l, ret);
	}
	mnemo_learn_free(l);
	mnemo_lexicon_free(lex);
	return r;
}
