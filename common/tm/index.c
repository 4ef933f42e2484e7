/* The in-memory translation memory an aligner answers lookups from.
 *
 * Units live in one array and are named inside the index by their slot in it, so postings
 * are 8 bytes: the slot, the low 24 bits of a gen, and the text's word count (up to 255).
 * Every put gives the unit a new gen; a posting counts only while its gen is the unit's
 * current one, so replacing or removing a unit makes its old postings stale at once,
 * without touching them (a gen that wrapped around 2^24 puts of one unit could make a stale
 * posting look live: that only adds a candidate, which is scored from the unit's current
 * text). A posting list drops its stale entries when it
 * fills up, before deciding whether to grow, which costs O(1) per append amortised; a list
 * that no longer grows keeps its stale entries, and lookups skip them. A list or key whose
 * units are all gone stays until the index is freed: memory follows the distinct words ever
 * seen, which a periodic rebuild from the store's snapshot resets.
 *
 * Per language there are two maps onto posting lists: the key hash of each text (exact
 * matches), and each token (fuzzy candidates). A token is a word's k-th occurrence in the
 * text: "%s: %s" holds the tokens "%s", "%s#2" and ":"... (punctuation is no word), so the
 * overlap of two token sets is the overlap of the two texts' word multisets, and a word
 * common in the memory but rare twice over in one text ("%s#5") is a rare token. Slots are never freed: a removed
 * unit keeps its seq as a tombstone, so a replayed older put stays ignored. */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tm-internal.h"
#include "tm.h"

enum {
	NONE = UINT32_MAX,
	/* Posting lists longer than this are left out of a lookup's candidate generation when
	 * the prefix bound in lookup_fuzzy() proves no match at min_score depends on them. */
	SKIP_POSTINGS = 512,
	/* Candidates are scored exactly best bound first, at least EVAL_BASE + 2 * max of
	 * them, and more while their distance tables stay under EVAL_CELLS in all: a short
	 * query at a low min_score ties hundreds of candidates at its bound, cheaply. */
	EVAL_BASE = 64,
	EVAL_CELLS = 100000,
	/* Postings, candidates and units are read at random: each loop asks for the memory
	 * of the one this far ahead (about a cache miss's worth of work). */
	PREFETCH = 8,
};

/* Open addressing with linear probing, uint64 keys (hashes, unit ids) to uint32 values.
 * No deletion: nothing in the index ever needs it. */
struct map {
	uint64_t *keys;
	uint32_t *vals; /* NONE marks a free cell */
	uint32_t mask;  /* cells - 1, when keys is not NULL */
	uint32_t n;
};

struct post {
	uint32_t slot;
	uint32_t gen_len; /* (gen & GEN_MASK) << 8 | min(word count, LEN_MAX) */
};

enum { GEN_MASK = 0xffffff, LEN_MAX = 255 };

static uint32_t
gen_len(uint32_t gen, uint32_t n_words)
{
	return (gen & GEN_MASK) << 8 | (n_words < LEN_MAX ? n_words : LEN_MAX);
}

static bool
live(const struct mnemo_tm_index *idx, struct post p);

struct plist {
	struct post *v;
	uint32_t n, cap;
};

struct lang {
	char *tag;
	struct map exact; /* key hash -> lists[] */
	struct map words; /* word id -> lists[] */
	struct plist *lists;
	uint32_t n_lists, cap_lists;
};

struct variant {
	uint32_t lang; /* in langs[] */
	uint32_t n_words;
	uint64_t key;
	uint64_t prev_key, next_key; /* neighbours' keys; NO_KEY for none */
	uint64_t numbers;            /* mnemo_tm_numbers_signature() */
	uint64_t *words;             /* word ids, as mnemo_tm_tokenize() gave them */
	char *text;
	size_t len;
	bool has_tags;
};

struct unit {
	uint64_t id;
	uint64_t seq;
	uint32_t gen_next; /* a failed put uses one up too, so its strays never count */
	bool alive;
	uint32_t n_v;
	struct variant *v;
	uint64_t context_key; /* NO_KEY for none */
	const char *origin, *changed_by; /* interned: shared by the units that have them */
	int64_t changed_at;
};

/* The key of "" and of no text: never a text's key hash in practice, and never compared
 * as one (in-context checks want a key on at least one side). */
#define NO_KEY 0

/* Strings many units share (origins, user names), kept once. */
struct strings {
	struct map ids; /* hash -> v[] */
	char **v;
	uint32_t n, cap;
};

enum { LANGS_OTHER = 63 }; /* the bit of every language id from 63 up */

static uint64_t
lang_bit(uint32_t lang)
{
	return UINT64_C(1) << (lang < LANGS_OTHER ? lang : LANGS_OTHER);
}

struct mnemo_tm_index {
	struct strings strings;
	struct unit *units;
	/* Each unit's gen: postings with another are stale; 0 before the first put. Apart
	 * from units[], as a lookup checks every posting it reads against it, and 4 bytes a
	 * unit stay in cache where the units do not. */
	uint32_t *gens;
	/* The languages each unit has, as bits of their ids (the first 64 languages; a unit
	 * with a later one has LANGS_OTHER too): the same reason. */
	uint64_t *langs_of;
	uint32_t n_units, cap_units;
	struct map ids; /* unit id -> units[] */
	struct lang *langs;
	uint32_t n_langs, cap_langs;
	size_t n_live;
};

static uint32_t
map_get(const struct map *m, uint64_t key)
{
	if (!m->keys) {
		return NONE;
	}
	for (uint32_t i = (uint32_t)mnemo_tm_mix64(key) & m->mask;; i = (i + 1) & m->mask) {
		if (m->vals[i] == NONE || m->keys[i] == key) {
			return m->vals[i];
		}
	}
}

static void
map_set(struct map *m, uint64_t key, uint32_t val)
{
	uint32_t i = (uint32_t)mnemo_tm_mix64(key) & m->mask;

	while (m->vals[i] != NONE) {
		i = (i + 1) & m->mask;
	}
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
}

static void
map_fini(struct map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* Adds key, which must be absent. The load stays under 3/4. */
static int
map_add(struct map *m, uint64_t key, uint32_t val)
{
	uint64_t cells = m->keys ? (uint64_t)m->mask + 1 : 0;

	if (4 * ((uint64_t)m->n + 1) > 3 * cells) {
		struct map g = {0};
		uint64_t n = cells ? 2 * cells : 16;

		if (n > (uint64_t)1 << 31) {
			return -ENOMEM;
		}
		g.keys = malloc(n * sizeof(*g.keys));
		g.vals = malloc(n * sizeof(*g.vals));
		if (!g.keys || !g.vals) {
			map_fini(&g);
			return -ENOMEM;
		}
		memset(g.vals, 0xff, n * sizeof(*g.vals));
		g.mask = (uint32_t)(n - 1);
		for (uint64_t i = 0; i < cells; i++) {
			if (m->vals[i] != NONE) {
				map_set(&g, m->keys[i], m->vals[i]);
			}
		}
		map_fini(m);
		*m = g;
	}
	map_set(m, key, val);
	return 0;
}

/* s kept once in the index (NULL and "" are ""); *ret points into the index until it is
 * freed. */
static int
intern(struct mnemo_tm_index *idx, const char *s, const char **ret)
{
	struct strings *st = &idx->strings;
	uint64_t h;
	uint32_t i;
	int r;

	if (s == NULL || s[0] == '\0') {
		*ret = "";
		return 0;
	}
	h = mnemo_fnv1a64(MNEMO_FNV_OFFSET, s, strlen(s));
	i = map_get(&st->ids, h);
	if (i != NONE && strcmp(st->v[i], s) == 0) {
		*ret = st->v[i];
		return 0;
	}
	if (st->n == st->cap) {
		uint32_t cap = st->cap ? 2 * st->cap : 16;
		char **v = realloc(st->v, cap * sizeof(*v));

		if (!v) {
			return -ENOMEM;
		}
		st->v = v;
		st->cap = cap;
	}
	st->v[st->n] = strdup(s);
	if (!st->v[st->n]) {
		return -ENOMEM;
	}
	/* a hash shared by two strings keeps the first in the map; the second is a copy of
	 * its own, unshared */
	r = i == NONE ? map_add(&st->ids, h, st->n) : 0;
	if (r < 0) {
		free(st->v[st->n]);
		return r;
	}
	*ret = st->v[st->n++];
	return 0;
}

int
mnemo_tm_index_new(struct mnemo_tm_index **ret)
{
	struct mnemo_tm_index *idx = calloc(1, sizeof(*idx));

	if (!idx) {
		return -ENOMEM;
	}
	*ret = idx;
	return 0;
}

static void
free_variants(struct unit *u)
{
	for (uint32_t i = 0; i < u->n_v; i++) {
		free(u->v[i].text);
		free(u->v[i].words);
	}
	free(u->v);
	u->v = NULL;
	u->n_v = 0;
}

void
mnemo_tm_index_free(struct mnemo_tm_index *idx)
{
	if (!idx) {
		return;
	}
	for (uint32_t i = 0; i < idx->n_units; i++) {
		free_variants(&idx->units[i]);
	}
	free(idx->units);
	free(idx->gens);
	free(idx->langs_of);
	map_fini(&idx->ids);
	for (uint32_t i = 0; i < idx->n_langs; i++) {
		struct lang *l = &idx->langs[i];

		for (uint32_t j = 0; j < l->n_lists; j++) {
			free(l->lists[j].v);
		}
		free(l->lists);
		map_fini(&l->exact);
		map_fini(&l->words);
		free(l->tag);
	}
	free(idx->langs);
	for (uint32_t i = 0; i < idx->strings.n; i++) {
		free(idx->strings.v[i]);
	}
	free(idx->strings.v);
	map_fini(&idx->strings.ids);
	free(idx);
}

size_t
mnemo_tm_index_count(const struct mnemo_tm_index *idx)
{
	return idx->n_live;
}

static uint32_t
find_lang(const struct mnemo_tm_index *idx, const char *tag)
{
	for (uint32_t i = 0; i < idx->n_langs; i++) {
		if (strcmp(idx->langs[i].tag, tag) == 0) {
			return i;
		}
	}
	return NONE;
}

static int
intern_lang(struct mnemo_tm_index *idx, const char *tag, uint32_t *ret)
{
	uint32_t i = find_lang(idx, tag);

	if (i == NONE) {
		if (idx->n_langs == idx->cap_langs) {
			uint32_t cap = idx->cap_langs ? 2 * idx->cap_langs : 4;
			struct lang *p = realloc(idx->langs, cap * sizeof(*p));

			if (!p) {
				return -ENOMEM;
			}
			idx->langs = p;
			idx->cap_langs = cap;
		}
		i = idx->n_langs;
		memset(&idx->langs[i], 0, sizeof(idx->langs[i]));
		idx->langs[i].tag = strdup(tag);
		if (!idx->langs[i].tag) {
			return -ENOMEM;
		}
		idx->n_langs++;
	}
	*ret = i;
	return 0;
}

static int
new_slot(struct mnemo_tm_index *idx, uint64_t unit, uint32_t *ret)
{
	uint32_t slot = idx->n_units;
	int r;

	if (idx->n_units == idx->cap_units) {
		uint32_t cap = idx->cap_units ? 2 * idx->cap_units : 64;
		struct unit *p;

		if (idx->cap_units >= NONE / 2) {
			return -ENOMEM;
		}
		uint32_t *g;
		uint64_t *l;

		p = realloc(idx->units, cap * sizeof(*p));
		if (!p) {
			return -ENOMEM;
		}
		idx->units = p;
		g = realloc(idx->gens, cap * sizeof(*g));
		if (!g) {
			return -ENOMEM;
		}
		idx->gens = g;
		l = realloc(idx->langs_of, cap * sizeof(*l));
		if (!l) {
			return -ENOMEM;
		}
		idx->langs_of = l;
		idx->cap_units = cap;
	}
	r = map_add(&idx->ids, unit, slot);
	if (r < 0) {
		return r;
	}
	idx->units[slot] = (struct unit){.id = unit, .gen_next = 1};
	idx->gens[slot] = 0;
	idx->langs_of[slot] = 0;
	idx->n_units++;
	*ret = slot;
	return 0;
}

static bool
live(const struct mnemo_tm_index *idx, struct post p)
{
	return (idx->gens[p.slot] & GEN_MASK) == p.gen_len >> 8;
}

static int
append(const struct mnemo_tm_index *idx, struct plist *pl, uint32_t slot, uint32_t gen_len)
{
	if (pl->n == pl->cap) {
		uint32_t n = 0;

		for (uint32_t i = 0; i < pl->n; i++) {
			if (live(idx, pl->v[i])) {
				pl->v[n++] = pl->v[i];
			}
		}
		pl->n = n;
		if (n >= pl->cap / 2) {
			uint32_t cap = pl->cap ? 2 * pl->cap : 2;
			struct post *p;

			if (pl->cap >= NONE / 2) {
				return -ENOMEM;
			}
			p = realloc(pl->v, cap * sizeof(*p));
			if (!p) {
				return -ENOMEM;
			}
			pl->v = p;
			pl->cap = cap;
		}
	}
	pl->v[pl->n++] = (struct post){.slot = slot, .gen_len = gen_len};
	return 0;
}

static int
add_posting(struct mnemo_tm_index *idx, struct lang *l, struct map *m, uint64_t key, uint32_t slot,
            uint32_t gen_len)
{
	uint32_t i = map_get(m, key);
	int r;

	if (i == NONE) {
		if (l->n_lists == l->cap_lists) {
			uint32_t cap = l->cap_lists ? 2 * l->cap_lists : 64;
			struct plist *p;

			if (l->cap_lists >= NONE / 2) {
				return -ENOMEM;
			}
			p = realloc(l->lists, cap * sizeof(*p));
			if (!p) {
				return -ENOMEM;
			}
			l->lists = p;
			l->cap_lists = cap;
		}
		i = l->n_lists;
		r = map_add(m, key, i);
		if (r < 0) {
			return r;
		}
		l->lists[i] = (struct plist){0};
		l->n_lists++;
	}
	return append(idx, &l->lists[i], slot, gen_len);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The k-th occurrence (k >= 1) of word w as a token: w itself the first time, a mix of
 * both after. */
static uint64_t
occurrence(uint64_t w, uint32_t k)
{
	return k == 1 ? w : mnemo_tm_mix64(w + k * 0x9e3779b97f4a7c15ULL);
}

/* The tokens of words[0..n) into out (room for n): each occurrence its own token. */
static void
tokens_of(const uint64_t *words, size_t n, uint64_t *out)
{
	uint64_t prev = 0;

	if (n == 0) {
		return;
	}
	memcpy(out, words, n * sizeof(*words));
	qsort(out, n, sizeof(*out), cmp_u64);
	for (size_t i = 0, k = 0; i < n; i++) {
		uint64_t w = out[i];

		k = i > 0 && w == prev ? k + 1 : 1;
		prev = w;
		out[i] = occurrence(w, (uint32_t)k);
	}
}

static int
index_variant(struct mnemo_tm_index *idx, uint32_t slot, uint32_t gen, const struct variant *v)
{
	struct lang *l = &idx->langs[v->lang];
	uint32_t gl = gen_len(gen, v->n_words);
	uint64_t *toks;
	int r;

	r = add_posting(idx, l, &l->exact, v->key, slot, gl);
	if (r < 0 || v->n_words == 0) {
		return r;
	}
	toks = malloc(v->n_words * sizeof(*toks));
	if (!toks) {
		return -ENOMEM;
	}
	tokens_of(v->words, v->n_words, toks);
	for (size_t i = 0; i < v->n_words && r == 0; i++) {
		r = add_posting(idx, l, &l->words, toks[i], slot, gl);
	}
	free(toks);
	return r;
}

static uint64_t
key_or_none(const char *text)
{
	return text == NULL || text[0] == '\0' ? NO_KEY : mnemo_tm_key_hash(text, strlen(text));
}

static int
make_variant(struct variant *v, uint32_t lang, const struct mnemo_tm_variant *in,
             struct mnemo_tm_tokens *tok)
{
	const char *text = in->text;
	size_t len = strlen(text);
	int r;

	r = mnemo_tm_tokenize(text, len, tok);
	if (r < 0) {
		return r;
	}
	*v = (struct variant){.lang = lang, .len = len, .n_words = (uint32_t)tok->n_words};
	v->text = malloc(len + 1);
	if (tok->n_words > 0) {
		v->words = malloc(tok->n_words * sizeof(*v->words));
	}
	if (!v->text || (tok->n_words > 0 && !v->words)) {
		free(v->text);
		free(v->words);
		return -ENOMEM;
	}
	memcpy(v->text, text, len + 1);
	if (tok->n_words > 0) {
		memcpy(v->words, tok->words, tok->n_words * sizeof(*v->words));
	}
	v->key = mnemo_tm_key_hash(text, len);
	v->numbers = mnemo_tm_numbers_signature(tok);
	v->prev_key = key_or_none(in->prev);
	v->next_key = key_or_none(in->next);
	v->has_tags = in->has_tags;
	return 0;
}

int
mnemo_tm_index_put(struct mnemo_tm_index *idx, uint64_t unit, uint64_t seq,
                   const struct mnemo_tm_unit_info *info, const struct mnemo_tm_variant *variants,
                   size_t n_variants)
{
	struct unit tmp = {0}, *u;
	struct mnemo_tm_tokens tok;
	uint32_t slot = map_get(&idx->ids, unit), gen;
	int r = 0;

	if (slot != NONE && seq < idx->units[slot].seq) {
		return 0;
	}
	/* Build the new variants aside, so a failure leaves the unit as it was. */
	tmp.v = calloc(n_variants ? n_variants : 1, sizeof(*tmp.v));
	if (!tmp.v) {
		return -ENOMEM;
	}
	mnemo_tm_tokens_init(&tok);
	for (size_t i = 0; i < n_variants; i++) {
		uint32_t lang, k;

		assert(variants[i].lang && variants[i].text);
		r = intern_lang(idx, variants[i].lang, &lang);
		if (r < 0) {
			goto fail;
		}
		for (k = 0; k < tmp.n_v && tmp.v[k].lang != lang; k++) {
		}
		if (k < tmp.n_v) {
			/* The same language twice: the later text wins, as in a map literal. */
			free(tmp.v[k].text);
			free(tmp.v[k].words);
			tmp.v[k] = tmp.v[--tmp.n_v];
		}
		r = make_variant(&tmp.v[tmp.n_v], lang, &variants[i], &tok);
		if (r < 0) {
			goto fail;
		}
		tmp.n_v++;
	}
	if (info != NULL) {
		tmp.context_key = key_or_none(info->context);
		tmp.changed_at = info->changed_at;
		r = intern(idx, info->origin, &tmp.origin);
		if (r == 0) {
			r = intern(idx, info->changed_by, &tmp.changed_by);
		}
		if (r < 0) {
			goto fail;
		}
	} else {
		tmp.origin = tmp.changed_by = "";
	}
	if (slot == NONE) {
		r = new_slot(idx, unit, &slot);
		if (r < 0) {
			goto fail;
		}
	}
	gen = idx->units[slot].gen_next++;
	for (uint32_t i = 0; i < tmp.n_v; i++) {
		r = index_variant(idx, slot, gen, &tmp.v[i]);
		if (r < 0) {
			goto fail;
		}
	}
	u = &idx->units[slot];
	free_variants(u);
	u->v = tmp.v;
	u->n_v = tmp.n_v;
	u->seq = seq;
	idx->gens[slot] = gen;
	idx->langs_of[slot] = 0;
	for (uint32_t i = 0; i < u->n_v; i++) {
		idx->langs_of[slot] |= lang_bit(u->v[i].lang);
	}
	u->context_key = tmp.context_key;
	u->origin = tmp.origin;
	u->changed_by = tmp.changed_by;
	u->changed_at = tmp.changed_at;
	if (!u->alive) {
		u->alive = true;
		idx->n_live++;
	}
	mnemo_tm_tokens_fini(&tok);
	return 0;

fail:
	free_variants(&tmp);
	mnemo_tm_tokens_fini(&tok);
	return r;
}

int
mnemo_tm_index_remove(struct mnemo_tm_index *idx, uint64_t unit, uint64_t seq)
{
	uint32_t slot = map_get(&idx->ids, unit);
	struct unit *u;
	int r;

	if (slot == NONE) {
		/* Remember the seq, so the put this remove overtook stays ignored when the
		 * change feed replays it. */
		r = new_slot(idx, unit, &slot);
		if (r < 0) {
			return r;
		}
		idx->units[slot].seq = seq;
		return 0;
	}
	u = &idx->units[slot];
	if (seq < u->seq) {
		return 0;
	}
	free_variants(u);
	u->seq = seq;
	idx->gens[slot] = u->gen_next++; /* a gen no posting carries */
	idx->langs_of[slot] = 0;
	if (u->alive) {
		u->alive = false;
		idx->n_live--;
	}
	return 0;
}

static const struct variant *
variant_of(const struct unit *u, uint32_t lang)
{
	for (uint32_t i = 0; i < u->n_v; i++) {
		if (u->v[i].lang == lang) {
			return &u->v[i];
		}
	}
	return NULL;
}

/* One lookup's state: all of it is on the caller's stack or heap, none in the index. */
struct lookup {
	const struct mnemo_tm_index *idx;
	uint32_t src, tgt;
	uint64_t prev_key, next_key, context_key; /* the query's context: NO_KEY for none */
	uint32_t min_score;
	uint32_t max, n_out;
	struct mnemo_tm_match *out; /* best first */
	uint32_t *exact;            /* slots matched exactly, kept out of the fuzzy pass */
	uint32_t n_exact;
};

static bool
better(uint32_t score, uint64_t unit, const struct mnemo_tm_match *m)
{
	return score > m->score || (score == m->score && unit < m->unit);
}

static void
add_match(struct lookup *q, const struct unit *u, uint32_t score, enum mnemo_tm_kind kind,
          unsigned penalties)
{
	uint32_t i = q->n_out;

	if (score < q->min_score) {
		return;
	}
	if (i == q->max) {
		if (!better(score, u->id, &q->out[i - 1])) {
			return;
		}
		i--;
	} else {
		q->n_out++;
	}
	for (; i > 0 && better(score, u->id, &q->out[i - 1]); i--) {
		q->out[i] = q->out[i - 1];
	}
	q->out[i] = (struct mnemo_tm_match){
	        .unit = u->id,
	        .score = score,
	        .kind = kind,
	        .penalties = penalties,
	        .source = variant_of(u, q->src)->text,
	        .target = variant_of(u, q->tgt)->text,
	        .origin = u->origin,
	        .changed_by = u->changed_by,
	        .changed_at = u->changed_at,
	};
}

/* An exact match in context: the same context key, or the same neighbours. */
static bool
in_context(const struct lookup *q, const struct unit *u, const struct variant *v)
{
	if (q->context_key != NO_KEY && q->context_key == u->context_key) {
		return true;
	}
	return (q->prev_key != NO_KEY || q->next_key != NO_KEY) && q->prev_key == v->prev_key &&
	       q->next_key == v->next_key;
}

/* Units whose source text has the query's key. The hash only finds them: the key texts
 * are compared too, since two keys may share a hash. */
static int
lookup_exact(struct lookup *q, const char *text, size_t len)
{
	const struct lang *l = &q->idx->langs[q->src];
	uint32_t li = map_get(&l->exact, mnemo_tm_key_hash(text, len));
	char *qkey = NULL, *ckey;
	size_t qn = 0, cn;
	int r = 0;

	if (li == NONE) {
		return 0;
	}
	for (uint32_t i = 0; i < l->lists[li].n && r == 0; i++) {
		struct post p = l->lists[li].v[i];
		const struct unit *u = &q->idx->units[p.slot];
		const struct variant *v;
		bool same;

		if (!live(q->idx, p) || !variant_of(u, q->tgt)) {
			continue;
		}
		v = variant_of(u, q->src);
		same = v->len == len && memcmp(v->text, text, len) == 0;
		if (!same && !qkey) {
			r = mnemo_tm_key_string(text, len, &qkey, &qn);
			if (r < 0) {
				break;
			}
		}
		if (!same) {
			r = mnemo_tm_key_string(v->text, v->len, &ckey, &cn);
			if (r < 0) {
				break;
			}
			same = cn == qn && memcmp(ckey, qkey, cn) == 0;
			free(ckey);
		}
		if (!same) {
			continue;
		}
		if ((q->n_exact & (q->n_exact + 1)) == 0) {
			/* n_exact + 1 is a power of two: double the room */
			uint32_t *e = realloc(q->exact, 2 * ((size_t)q->n_exact + 1) * sizeof(*e));

			if (!e) {
				r = -ENOMEM;
				break;
			}
			q->exact = e;
		}
		q->exact[q->n_exact++] = p.slot;
		{
			bool ctx = in_context(q, u, v);
			unsigned pen = v->has_tags ? MNEMO_TM_PENALTY_TAGS : 0;

			add_match(q, u, mnemo_tm_apply_penalties(ctx ? 101 : 100, pen),
			          ctx ? MNEMO_TM_IN_CONTEXT : MNEMO_TM_EXACT, pen);
		}
	}
	free(qkey);
	return r;
}

/* A lookup's large arrays, kept by each thread from one lookup to the next: allocating and
 * freeing megabytes for every lookup cost more than the lookup itself (malloc coalescing
 * and returning them). Freed when the thread ends. */
enum scratch_id { SCRATCH_TOUCHED, SCRATCH_CAND, SCRATCH_SORTED, N_SCRATCH };

struct scratch {
	void *buf[N_SCRATCH];
	size_t cap[N_SCRATCH];
	/* What a lookup counts per slot, kept from lookup to lookup so that it need not be
	 * cleared: an entry is this lookup's only if it carries its epoch. */
	uint32_t *marks; /* epoch << 16 | shared tokens */
	uint8_t *lens;   /* the word count its postings carry */
	size_t n_marks;
	uint32_t epoch;  /* 1..0xffff */
};

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static int scratch_key_err;

static void
scratch_free(void *arg)
{
	struct scratch *s = arg;

	for (size_t i = 0; i < N_SCRATCH; i++) {
		free(s->buf[i]);
	}
	free(s->marks);
	free(s->lens);
	free(s);
}

static void
scratch_key_init(void)
{
	scratch_key_err = pthread_key_create(&scratch_key, scratch_free);
}

static struct scratch *
scratch_of_thread(void)
{
	struct scratch *s;

	if (pthread_once(&scratch_once, scratch_key_init) != 0 || scratch_key_err != 0) {
		return NULL;
	}
	s = pthread_getspecific(scratch_key);
	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL || pthread_setspecific(scratch_key, s) != 0) {
			free(s);
			return NULL;
		}
	}
	return s;
}

/* This thread's buffer id of at least bytes (contents undefined), or NULL. */
static void *
scratch_get(enum scratch_id id, size_t bytes)
{
	struct scratch *s = scratch_of_thread();

	if (s == NULL) {
		return NULL;
	}
	if (s->cap[id] < bytes) {
		size_t cap = bytes + bytes / 2;

		free(s->buf[id]);
		s->buf[id] = malloc(cap);
		s->cap[id] = s->buf[id] != NULL ? cap : 0;
	}
	return s->buf[id];
}

/* Slot -> tokens shared with the query for one lookup, and the word count its postings
 * carry (so that bounds need no look at the unit): arrays over every slot, this thread's,
 * whose entries count only with the lookup's epoch (a 4 MB array per million units stays
 * in cache where a hash table of the candidates did not), and the slots touched. */
struct counts {
	uint32_t *marks;
	uint8_t *lens;
	uint32_t epoch;
	uint32_t *touched;
	size_t n_touched;
};

enum { DONE = 0xffff }; /* a count that marks a slot as settled by the exact pass */

/* This thread's arrays, for n_slots, with a new epoch. */
static int
counts_begin(struct counts *c, size_t n_slots)
{
	struct scratch *s = scratch_of_thread();

	if (s == NULL) {
		return -ENOMEM;
	}
	if (s->n_marks < n_slots) {
		size_t n = n_slots + n_slots / 2 + 1024;
		uint32_t *marks = calloc(n, sizeof(*marks));
		uint8_t *lens = malloc(n);

		if (marks == NULL || lens == NULL) {
			free(marks);
			free(lens);
			return -ENOMEM;
		}
		free(s->marks);
		free(s->lens);
		s->marks = marks;
		s->lens = lens;
		s->n_marks = n;
		s->epoch = 0;
	}
	if (++s->epoch > 0xffff) {
		memset(s->marks, 0, s->n_marks * sizeof(*s->marks));
		s->epoch = 1;
	}
	c->marks = s->marks;
	c->lens = s->lens;
	c->epoch = s->epoch;
	return 0;
}

/* The slot's entry for this lookup: 0 shared tokens when first seen. */
static uint32_t *
count_of(struct counts *c, uint32_t slot, uint32_t len)
{
	uint32_t *e = &c->marks[slot];

	if (*e >> 16 != c->epoch) {
		*e = c->epoch << 16;
		c->lens[slot] = (uint8_t)len;
		c->touched[c->n_touched++] = slot;
	}
	return e;
}

struct qword {
	uint64_t id;
	uint32_t n_posts; /* including stale ones: only an estimate of its cost */
	const struct plist *pl;
};

static int
cmp_qword_posts(const void *a, const void *b)
{
	const struct qword *x = a, *y = b;

	return x->n_posts > y->n_posts ? -1 : x->n_posts < y->n_posts;
}

struct cand {
	uint32_t slot;
	uint32_t bound; /* the most it can score */
};

/* Candidates are the units sharing a token with the query (tokens: see the top of this
 * file). Each gets an upper bound from what it shares: with c tokens in common, d >=
 * max(n, m) - c, so it scores at most floor(100 min(c, n, m) / max(n, m)); c is bounded by
 * the tokens it was found through plus the tokens skipped. Skipping the most common tokens
 * loses nothing while they number fewer than ceil(min_score n / 100), the fewest tokens a
 * match at min_score shares with the query: every such match still shares a token that was
 * not skipped (prefix filtering). Postings of texts too short or too long to reach
 * min_score are passed over unread. Candidates are scored exactly best bound first, until
 * no bound can beat the results or the EVAL_ limits are spent: only then can a match be
 * missed, and only one whose bound ties or trails those already scored. */
static int
lookup_fuzzy(struct lookup *q, const struct mnemo_tm_tokens *qt, uint32_t min_score)
{
	const struct mnemo_tm_index *idx = q->idx;
	const struct lang *l = &idx->langs[q->src];
	size_t n = qt->n_words, n_qw = 0, k = 0, n_cand = 0, n_eval = 0, max_cand = q->n_exact;
	size_t dp_cells = 0;
	uint32_t skipped = 0, c_min = (uint32_t)((min_score * n + 99) / 100);
	/* A text of m words scores at most 100 min(n, m) / max(n, m). */
	uint32_t len_lo = c_min, len_hi = (uint32_t)(100 * n / min_score);
	size_t by_bound[101] = {0};
	struct counts counts = {0};
	struct qword *qw = NULL;
	struct cand *cand = NULL, *sorted = NULL;
	struct mnemo_tm_tokens ct;
	struct mnemo_tm_dp dp = {0};
	uint64_t *ids = NULL;
	uint64_t q_numbers = mnemo_tm_numbers_signature(qt);
	int r = -ENOMEM;

	mnemo_tm_tokens_init(&ct);
	qw = calloc(n, sizeof(*qw));
	ids = malloc(n * sizeof(*ids));
	if (!qw || !ids) {
		goto out;
	}
	tokens_of(qt->words, n, ids); /* distinct: each occurrence its own token */
	for (size_t i = 0; i < n; i++) {
		uint32_t li = map_get(&l->words, ids[i]);

		qw[n_qw++] = (struct qword){
		        .id = ids[i],
		        .pl = li == NONE ? NULL : &l->lists[li],
		        .n_posts = li == NONE ? 0 : l->lists[li].n,
		};
	}
	qsort(qw, n_qw, sizeof(*qw), cmp_qword_posts);
	while (k < n_qw && qw[k].n_posts > SKIP_POSTINGS && skipped + 1 < c_min) {
		skipped++;
		k++;
	}
	for (size_t i = k; i < n_qw; i++) {
		max_cand += qw[i].n_posts;
	}
	if (max_cand > idx->n_units) {
		max_cand = idx->n_units;
	}
	if (max_cand == 0) {
		r = 0;
		goto out;
	}
	counts.touched = scratch_get(SCRATCH_TOUCHED, (max_cand + 1) * sizeof(*counts.touched));
	if (!counts.touched || counts_begin(&counts, idx->n_units) < 0) {
		goto out;
	}
	for (uint32_t i = 0; i < q->n_exact; i++) {
		*count_of(&counts, q->exact[i], 0) |= DONE;
	}
	for (size_t i = k; i < n_qw; i++) {
		for (uint32_t j = 0; qw[i].pl && j < qw[i].pl->n; j++) {
			struct post p = qw[i].pl->v[j];
			uint32_t m = p.gen_len & LEN_MAX, *c;

			if (j + PREFETCH < qw[i].pl->n) {
				uint32_t ahead = qw[i].pl->v[j + PREFETCH].slot;

				__builtin_prefetch(&idx->gens[ahead]);
				__builtin_prefetch(&counts.marks[ahead], 1);
			}

			/* too short or too long to reach min_score, whatever it shares */
			if ((m < LEN_MAX && (m < len_lo || m > len_hi)) || (m == LEN_MAX && len_hi < LEN_MAX) ||
			    !live(idx, p)) {
				continue;
			}
			c = count_of(&counts, p.slot, m);
			if ((*c & 0xffff) < DONE - 1) {
				(*c)++;
			}
		}
	}

	cand = scratch_get(SCRATCH_CAND, max_cand * sizeof(*cand));
	sorted = scratch_get(SCRATCH_SORTED, max_cand * sizeof(*sorted));
	if (!cand || !sorted) {
		goto out;
	}
	for (size_t i = 0; i < counts.n_touched; i++) {
		uint32_t slot = counts.touched[i], shared = counts.marks[slot] & 0xffff;

		if (i + PREFETCH < counts.n_touched) {
			uint32_t ahead = counts.touched[i + PREFETCH];

			__builtin_prefetch(&counts.marks[ahead]);
			__builtin_prefetch(&counts.lens[ahead]);
			__builtin_prefetch(&idx->langs_of[ahead]);
		}
		const struct unit *u;
		const struct variant *v;
		size_t m, common, longest;

		if (shared == DONE) {
			continue;
		}
		/* The bound first, from the postings' word count: most candidates end here,
		 * without the cache misses of a look at their unit. */
		u = &idx->units[slot];
		m = counts.lens[slot];
		if (m == LEN_MAX) {
			v = variant_of(u, q->src);
			m = v->n_words;
		}
		longest = m > n ? m : n;
		common = shared + skipped;
		common = common < n ? common : n;
		common = common < m ? common : m;
		cand[n_cand] = (struct cand){.slot = slot, .bound = (uint32_t)(100 * common / longest)};
		if (cand[n_cand].bound >= min_score && (idx->langs_of[slot] & lang_bit(q->tgt)) &&
		    (q->tgt < LANGS_OTHER || variant_of(u, q->tgt) != NULL)) {
			by_bound[cand[n_cand].bound]++;
			n_cand++;
		}
	}
	/* Counting sort, best bound first: bounds are 0..100. */
	for (size_t b = 101, at = 0; b-- > 0;) {
		size_t c = by_bound[b];

		by_bound[b] = at;
		at += c;
	}
	for (size_t i = 0; i < n_cand; i++) {
		sorted[by_bound[cand[i].bound]++] = cand[i];
	}

	r = 0;
	for (size_t i = 0; i < n_cand && r == 0; i++) {
		const struct unit *u = &idx->units[sorted[i].slot];
		const struct variant *v;

		/* units and their variants are read at random: ask for the next ones early */
		if (i + 2 < n_cand) {
			__builtin_prefetch(idx->units[sorted[i + 2].slot].v);
		}
		if (i + PREFETCH < n_cand) {
			__builtin_prefetch(&idx->units[sorted[i + PREFETCH].slot]);
		}
		v = variant_of(u, q->src);
		__builtin_prefetch(v->words);
		uint32_t need = min_score, score;
		unsigned pen;

		if (q->n_out == q->max) {
			if (sorted[i].bound < q->out[q->max - 1].score) {
				break;
			}
			need = q->out[q->max - 1].score;
		}
		if (n_eval >= EVAL_BASE + 2 * (size_t)q->max && dp_cells >= EVAL_CELLS) {
			break;
		}
		n_eval++;
		dp_cells += n * v->n_words;
		r = mnemo_tm_score_words(qt->words, n, v->words, v->n_words, need, &dp, &score);
		pen = v->has_tags ? MNEMO_TM_PENALTY_TAGS : 0;
		if (r == 0 && score == 100) {
			/* Same words, different keys: only the token details tell the score. */
			r = mnemo_tm_tokenize(v->text, v->len, &ct);
			pen |= r == 0 ? mnemo_tm_same_words_penalties(qt, &ct) : 0;
		} else if (r == 0 && score > 0 && q_numbers != v->numbers) {
			pen |= MNEMO_TM_PENALTY_NUMBERS;
		}
		score = mnemo_tm_apply_penalties(score, pen);
		if (r == 0 && score >= need) {
			add_match(q, u, score, MNEMO_TM_FUZZY, pen);
		}
	}

out:
	free(qw);
	free(ids);
	mnemo_tm_tokens_fini(&ct);
	mnemo_tm_dp_fini(&dp);
	return r;
}

int
mnemo_tm_index_lookup(const struct mnemo_tm_index *idx, const struct mnemo_tm_query *query,
                      struct mnemo_tm_match *out)
{
	struct lookup q = {.idx = idx, .max = query->max, .out = out};
	struct mnemo_tm_tokens qt;
	uint32_t min_score = query->min_score;
	int r;

	q.src = find_lang(idx, query->source);
	q.tgt = find_lang(idx, query->target);
	if (query->max == 0 || min_score > 101 || q.src == NONE || q.tgt == NONE) {
		return 0;
	}
	/* A score of 0 shares no word; the index cannot find those and nobody wants them. */
	if (min_score == 0) {
		min_score = 1;
	}
	q.min_score = min_score;
	q.prev_key = key_or_none(query->prev);
	q.next_key = key_or_none(query->next);
	q.context_key = key_or_none(query->context);
	r = lookup_exact(&q, query->text, query->len);
	if (r == 0 && min_score < 100 && !(q.n_out == q.max && out[q.max - 1].score >= 100)) {
		mnemo_tm_tokens_init(&qt);
		r = mnemo_tm_tokenize(query->text, query->len, &qt);
		if (r == 0 && qt.n_words > 0) {
			r = lookup_fuzzy(&q, &qt, min_score);
		}
		mnemo_tm_tokens_fini(&qt);
	}
	free(q.exact);
	return r < 0 ? r : (int)q.n_out;
}
