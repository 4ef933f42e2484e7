/* Counting stems seen together in sentence pairs (learn.h). A pair table in open
 * addressing, and a count per stem. A translation memory of millions of units brings more
 * pairs than memory should hold, nearly all seen once: past MAX_USED pairs the rarest are
 * dropped, as lossy counting does, and a pair dropped once counts again from zero. */
#include "learn.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "sort.h"

enum {
	MAX_SENTENCE_STEMS = 64,
	MAX_USED = 1 << 22, /* pairs held: 4M, 96 MB of table at most */
};

#define EMPTY UINT64_MAX

struct mnemo_learn {
	uint32_t *n_stem[2]; /* sentence pairs each stem is in, by side and id */
	size_t cap_stem[2];
	uint64_t *keys; /* src << 32 | tgt, EMPTY for a free slot; a power of two */
	uint32_t *counts;
	size_t n_slots, n_used;
	uint64_t n_pairs;
};

int
mnemo_learn_new(struct mnemo_learn **ret)
{
	struct mnemo_learn *l = calloc(1, sizeof(*l));

	if (l == NULL) {
		return -ENOMEM;
	}
	*ret = l;
	return 0;
}

void
mnemo_learn_free(struct mnemo_learn *l)
{
	if (l == NULL) {
		return;
	}
	free(l->n_stem[0]);
	free(l->n_stem[1]);
	free(l->keys);
	free(l->counts);
	free(l);
}

uint64_t
mnemo_learn_count(const struct mnemo_learn *l)
{
	return l->n_pairs;
}

static size_t
slot_of(const uint64_t *keys, size_t n_slots, uint64_t key)
{
	size_t i = (size_t)mnemo_mix64(key) & (n_slots - 1);

	while (keys[i] != EMPTY && keys[i] != key) {
		i = (i + 1) & (n_slots - 1);
	}
	return i;
}

/* Moves the pairs seen more than `floor` times into a table of n_slots. */
static int
rehash(struct mnemo_learn *l, size_t n_slots, uint32_t floor)
{
	uint64_t *keys = malloc(n_slots * sizeof(*keys));
	uint32_t *counts = malloc(n_slots * sizeof(*counts));
	size_t used = 0;

	if (keys == NULL || counts == NULL) {
		free(keys);
		free(counts);
		return -ENOMEM;
	}
	memset(keys, 0xff, n_slots * sizeof(*keys));
	for (size_t i = 0; i < l->n_slots; i++) {
		if (l->keys[i] != EMPTY && l->counts[i] > floor) {
			size_t k = slot_of(keys, n_slots, l->keys[i]);

			keys[k] = l->keys[i];
			counts[k] = l->counts[i];
			used++;
		}
	}
	free(l->keys);
	free(l->counts);
	l->keys = keys;
	l->counts = counts;
	l->n_slots = n_slots;
	l->n_used = used;
	return 0;
}

/* Room for one more pair: a table twice as large, or, at MAX_USED, the rarest dropped
 * until a quarter of the room is free. */
static int
make_room(struct mnemo_learn *l)
{
	if (2 * (l->n_used + 1) <= l->n_slots) {
		return 0;
	}
	if (l->n_used < MAX_USED) {
		return rehash(l, l->n_slots ? 2 * l->n_slots : 4096, 0);
	}
	for (uint32_t floor = 1; l->n_used > MAX_USED - MAX_USED / 4; floor++) {
		int r = rehash(l, l->n_slots, floor);

		if (r < 0) {
			return r;
		}
	}
	return 0;
}

static int
count_stem(struct mnemo_learn *l, int side, uint32_t id)
{
	if (id >= l->cap_stem[side]) {
		size_t cap = l->cap_stem[side] ? l->cap_stem[side] : 1024;
		uint32_t *p;

		while (cap <= id) {
			cap *= 2;
		}
		p = realloc(l->n_stem[side], cap * sizeof(*p));
		if (p == NULL) {
			return -ENOMEM;
		}
		memset(p + l->cap_stem[side], 0, (cap - l->cap_stem[side]) * sizeof(*p));
		l->n_stem[side] = p;
		l->cap_stem[side] = cap;
	}
	l->n_stem[side][id]++;
	return 0;
}

/* The first MAX_SENTENCE_STEMS distinct ids of in, sorted, into out; how many. */
static size_t
distinct(const uint32_t *in, size_t n, uint32_t *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k < MAX_SENTENCE_STEMS; i++) {
		bool seen = false;

		for (size_t j = 0; j < k && !seen; j++) {
			seen = out[j] == in[i];
		}
		if (!seen) {
			out[k++] = in[i];
		}
	}
	qsort(out, k, sizeof(*out), mnemo_cmp_u32);
	return k;
}

int
mnemo_learn_add(struct mnemo_learn *l, const uint32_t *src, size_t n_src, const uint32_t *tgt,
                size_t n_tgt)
{
	uint32_t s[MAX_SENTENCE_STEMS], t[MAX_SENTENCE_STEMS];
	size_t ns = distinct(src, n_src, s), nt = distinct(tgt, n_tgt, t);
	int r = 0;

	for (size_t i = 0; r == 0 && i < ns; i++) {
		r = count_stem(l, 0, s[i]);
	}
	for (size_t j = 0; r == 0 && j < nt; j++) {
		r = count_stem(l, 1, t[j]);
	}
	for (size_t i = 0; r == 0 && i < ns; i++) {
		for (size_t j = 0; r == 0 && j < nt; j++) {
			uint64_t key = (uint64_t)s[i] << 32 | t[j];
			size_t k = l->n_slots ? slot_of(l->keys, l->n_slots, key) : 0;

			if (l->n_slots && l->keys[k] == key) {
				l->counts[k]++;
				continue;
			}
			r = make_room(l);
			if (r == 0) {
				k = slot_of(l->keys, l->n_slots, key);
				l->keys[k] = key;
				l->counts[k] = 1;
				l->n_used++;
			}
		}
	}
	l->n_pairs += r == 0;
	return r;
}

static double
dice_of(const struct mnemo_learn *l, uint64_t key, uint32_t count)
{
	uint32_t s = (uint32_t)(key >> 32), t = (uint32_t)key;

	return 2.0 * count / (double)(l->n_stem[0][s] + l->n_stem[1][t]);
}

int
mnemo_learn_pairs(const struct mnemo_learn *l, uint32_t min_count, double min_dice,
                  uint64_t **ret, size_t *ret_n)
{
	float *best[2];
	uint64_t *out = NULL;
	size_t n = 0, cap = 0;
	int r = 0;

	*ret = NULL;
	*ret_n = 0;
	best[0] = calloc(l->cap_stem[0] + 1, sizeof(*best[0]));
	best[1] = calloc(l->cap_stem[1] + 1, sizeof(*best[1]));
	if (best[0] == NULL || best[1] == NULL) {
		r = -ENOMEM;
	}
	/* each stem's best Dice, over the pairs seen often enough */
	for (size_t i = 0; r == 0 && i < l->n_slots; i++) {
		float d;

		if (l->keys[i] == EMPTY || l->counts[i] < min_count) {
			continue;
		}
		d = (float)dice_of(l, l->keys[i], l->counts[i]);
		if (d > best[0][l->keys[i] >> 32]) {
			best[0][l->keys[i] >> 32] = d;
		}
		if (d > best[1][(uint32_t)l->keys[i]]) {
			best[1][(uint32_t)l->keys[i]] = d;
		}
	}
	for (size_t i = 0; r == 0 && i < l->n_slots; i++) {
		float d;

		if (l->keys[i] == EMPTY || l->counts[i] < min_count) {
			continue;
		}
		d = (float)dice_of(l, l->keys[i], l->counts[i]);
		if (d < min_dice || d < best[0][l->keys[i] >> 32] || d < best[1][(uint32_t)l->keys[i]]) {
			continue;
		}
		if (n == cap) {
			uint64_t *p = realloc(out, (cap ? 2 * cap : 256) * sizeof(*p));

			if (p == NULL) {
				r = -ENOMEM;
				break;
			}
			out = p;
			cap = cap ? 2 * cap : 256;
		}
		out[n++] = l->keys[i];
	}
	free(best[0]);
	free(best[1]);
	if (r < 0) {
		free(out);
		return r;
	}
	qsort(out, n, sizeof(*out), mnemo_cmp_u64);
	*ret = out;
	*ret_n = n;
	return 0;
}
