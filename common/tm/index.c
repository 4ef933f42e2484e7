/* The in-memory translation memory an aligner answers lookups from.
 *
 * Units live in one array and are named inside the index by their slot in it. Their
 * variants' texts are kept once per language, however many units hold the same one: in a
 * memory with several target languages each source text is in as many units (1M units of
 * the benchmark's memory have 355,000 English texts), and a text is tokenised, stored and
 * indexed for fuzzy lookups once, and counted, bounded and scored by a lookup once for all
 * its units. A text never changes: a put that changes a unit's text moves the unit to
 * another text, and a text whose last unit lets go of it is freed, its postings left
 * stale. Its entry in texts[] is never reused, as stale postings still name it: a new
 * text, never the old one revived, takes its place in the language's map of texts.
 *
 * Per language there are three maps: the key hash of each unit's text onto a list of
 * units (exact matches), the bytes' hash onto their text, and each token onto a list of
 * texts (fuzzy candidates). A unit posting is 8 bytes, the slot and the gen of the put
 * that made it: every put gives the unit a new gen, and a unit posting counts only while
 * its gen is the unit's current one, so replacing or removing a unit makes its old postings
 * stale at once, without touching them. A text posting is the text and its word count, so
 * that a lookup passes over texts too short or too long without a look at them. A posting
 * list drops its stale entries when it fills up, before deciding whether to grow, which
 * costs O(1) per append amortised; a list that no longer grows keeps its stale entries,
 * and lookups skip them. A list, key or text entry whose units are all gone stays until the
 * index is freed: memory follows the distinct words, keys and texts ever seen, which a
 * periodic rebuild from the store's snapshot resets.
 *
 * A token is a word's k-th occurrence in the text: "%s: %s" holds the tokens "%s", "%s#2"
 * and ":"... (punctuation is no word), so the overlap of two token sets is the overlap of
 * the two texts' word multisets, and a word common in the memory but rare twice over in
 * one text ("%s#5") is a rare token. Slots are never freed: a removed unit keeps its seq as
 * a tombstone, so a replayed older put stays ignored. */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sort.h"
#include "tm-internal.h"
#include "tm.h"

enum {
	NONE = UINT32_MAX,
	/* Posting lists longer than this are left out of a lookup's candidate generation when
	 * the prefix bound in lookup_fuzzy() proves no match at min_score depends on them. */
	SKIP_POSTINGS = 512,
	/* Texts are scored exactly best bound first, at least EVAL_BASE + 2 * max of them,
	 * and more while their distance tables stay under EVAL_CELLS in all: a short query at
	 * a low min_score ties hundreds of candidates at its bound, cheaply. */
	EVAL_BASE = 64,
	EVAL_CELLS = 100000,
	/* Postings, candidates and texts are read at random: each loop asks for the memory
	 * of the one this far ahead (about a cache miss's worth of work). */
	PREFETCH = 8,
	LEN_MAX = 255, /* the word counts a lookup keeps per text: more is read from the text */
};

/* Open addressing with linear probing, uint64 keys (hashes, unit ids) to uint32 values.
 * No deletion: nothing in the index ever needs it. */
struct map {
	uint64_t *keys;
	uint32_t *vals; /* NONE marks a free cell */
	uint32_t mask;  /* cells - 1, when keys is not NULL */
	uint32_t n;
};

/* A unit holding a text with some key. */
struct post {
	uint32_t slot;
	uint32_t gen; /* the put's: stale unless the unit's gen */
};

struct plist {
	struct post *v;
	uint32_t n, cap;
};

/* A text holding some token. */
struct tpost {
	uint32_t text;
	uint32_t n_words;
};

struct tlist {
	struct tpost *v;
	uint32_t n, cap;
};

struct lang {
	char *tag;
	struct map exact; /* key hash -> lists[] */
	struct map texts; /* hash of the bytes -> texts[] */
	struct map words; /* token -> tlists[] */
	struct plist *lists;
	uint32_t n_lists, cap_lists;
	struct tlist *tlists;
	uint32_t n_tlists, cap_tlists;
};

/* A text of one language and what is known of it, shared by the units that hold it. A
 * million units hold about as many texts: every byte here counts. */
struct text {
	/* Its word ids, as mnemo_tm_tokenize() gave them, then its bytes, NUL-terminated: one
	 * block. NULL once no unit holds it: its postings are stale. */
	uint64_t *words;
	union {
		uint32_t one; /* while cap_slots is 0: most texts have one unit */
		uint32_t *v;
	} slots;          /* the units holding it, in no order */
	uint64_t numbers; /* mnemo_tm_numbers_signature() */
	uint32_t len, n_words;
	uint32_t n_slots, cap_slots;
};

static const char *
text_bytes(const struct text *x)
{
	return (const char *)(x->words + x->n_words);
}

static const uint32_t *
text_slots(const struct text *x)
{
	return x->cap_slots > 0 ? x->slots.v : &x->slots.one;
}

/* What a lookup wants to know of a text's units before it looks at the text: apart from
 * texts[], for the same reason as gens. */
struct holders {
	uint64_t langs;      /* of the units holding it (langs_of's bits): 0 when none */
	uint64_t first_unit; /* the lowest unit id among them */
};

struct variant {
	uint32_t lang;               /* in langs[] */
	uint32_t text;               /* in texts[] */
	uint64_t prev_key, next_key; /* neighbours' keys; NO_KEY for none */
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
	struct text *texts;
	struct holders *holders; /* per text */
	uint32_t n_texts, cap_texts;
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
	for (uint32_t i = (uint32_t)mnemo_mix64(key) & m->mask;; i = (i + 1) & m->mask) {
		if (m->vals[i] == NONE || m->keys[i] == key) {
			return m->vals[i];
		}
	}
}

static void
map_set(struct map *m, uint64_t key, uint32_t val)
{
	uint32_t i = (uint32_t)mnemo_mix64(key) & m->mask;

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

/* Points key, which must be present, at val. */
static void
map_replace(struct map *m, uint64_t key, uint32_t val)
{
	uint32_t i = (uint32_t)mnemo_mix64(key) & m->mask;

	while (m->vals[i] == NONE || m->keys[i] != key) {
		i = (i + 1) & m->mask;
	}
	m->vals[i] = val;
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

void
mnemo_tm_index_free(struct mnemo_tm_index *idx)
{
	if (!idx) {
		return;
	}
	for (uint32_t i = 0; i < idx->n_units; i++) {
		free(idx->units[i].v);
	}
	free(idx->units);
	free(idx->gens);
	free(idx->langs_of);
	map_fini(&idx->ids);
	for (uint32_t i = 0; i < idx->n_texts; i++) {
		free(idx->texts[i].words);
		if (idx->texts[i].cap_slots > 0) {
			free(idx->texts[i].slots.v);
		}
	}
	free(idx->texts);
	free(idx->holders);
	for (uint32_t i = 0; i < idx->n_langs; i++) {
		struct lang *l = &idx->langs[i];

		for (uint32_t j = 0; j < l->n_lists; j++) {
			free(l->lists[j].v);
		}
		for (uint32_t j = 0; j < l->n_tlists; j++) {
			free(l->tlists[j].v);
		}
		free(l->lists);
		free(l->tlists);
		map_fini(&l->exact);
		map_fini(&l->texts);
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
	return idx->gens[p.slot] == p.gen;
}

static bool
text_live(const struct mnemo_tm_index *idx, struct tpost p)
{
	return idx->texts[p.text].words != NULL;
}

/* Array v of *cap entries of size bytes, reallocated twice as long (*cap updated), or NULL
 * (v and *cap as they were). */
static void *
grow(void *v, uint32_t *cap, size_t size)
{
	uint32_t n = *cap ? 2 * *cap : 2;
	void *p;

	if (*cap >= NONE / 2) {
		return NULL;
	}
	p = realloc(v, (size_t)n * size);
	if (p) {
		*cap = n;
	}
	return p;
}

static int
append(const struct mnemo_tm_index *idx, struct plist *pl, uint32_t slot, uint32_t gen)
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
			struct post *p = grow(pl->v, &pl->cap, sizeof(*p));

			if (!p) {
				return -ENOMEM;
			}
			pl->v = p;
		}
	}
	pl->v[pl->n++] = (struct post){.slot = slot, .gen = gen};
	return 0;
}

/* The same for a text posting: a list drops the texts that were freed. */
static int
append_text(const struct mnemo_tm_index *idx, struct tlist *tl, uint32_t text, uint32_t n_words)
{
	if (tl->n == tl->cap) {
		uint32_t n = 0;

		for (uint32_t i = 0; i < tl->n; i++) {
			if (text_live(idx, tl->v[i])) {
				tl->v[n++] = tl->v[i];
			}
		}
		tl->n = n;
		if (n >= tl->cap / 2) {
			struct tpost *p = grow(tl->v, &tl->cap, sizeof(*p));

			if (!p) {
				return -ENOMEM;
			}
			tl->v = p;
		}
	}
	tl->v[tl->n++] = (struct tpost){.text = text, .n_words = n_words};
	return 0;
}

/* The list of a key in map m, made empty when the key is new: lists is an array of *n of
 * them, *cap allocated, each size bytes. -ENOMEM leaves everything as it was. */
static int
list_of(struct map *m, uint64_t key, void **lists, uint32_t *n, uint32_t *cap, size_t size,
        uint32_t *ret)
{
	uint32_t i = map_get(m, key);
	int r;

	if (i == NONE) {
		if (*n == *cap) {
			void *p = grow(*lists, cap, size);

			if (!p) {
				return -ENOMEM;
			}
			*lists = p;
		}
		i = *n;
		r = map_add(m, key, i);
		if (r < 0) {
			return r;
		}
		memset((char *)*lists + (size_t)i * size, 0, size);
		(*n)++;
	}
	*ret = i;
	return 0;
}

static int
add_posting(struct mnemo_tm_index *idx, struct lang *l, uint64_t key, uint32_t slot, uint32_t gen)
{
	uint32_t i;
	int r = list_of(&l->exact, key, (void **)&l->lists, &l->n_lists, &l->cap_lists,
	                sizeof(*l->lists), &i);

	return r < 0 ? r : append(idx, &l->lists[i], slot, gen);
}

static int
add_text_posting(struct mnemo_tm_index *idx, struct lang *l, uint64_t token, uint32_t text,
                 uint32_t n_words)
{
	uint32_t i;
	int r = list_of(&l->words, token, (void **)&l->tlists, &l->n_tlists, &l->cap_tlists,
	                sizeof(*l->tlists), &i);

	return r < 0 ? r : append_text(idx, &l->tlists[i], text, n_words);
}

/* The k-th occurrence (k >= 1) of word w as a token: w itself the first time, a mix of
 * both after. */
static uint64_t
occurrence(uint64_t w, uint32_t k)
{
	return k == 1 ? w : mnemo_mix64(w + k * 0x9e3779b97f4a7c15ULL);
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
	qsort(out, n, sizeof(*out), mnemo_cmp_u64);
	for (size_t i = 0, k = 0; i < n; i++) {
		uint64_t w = out[i];

		k = i > 0 && w == prev ? k + 1 : 1;
		prev = w;
		out[i] = occurrence(w, (uint32_t)k);
	}
}

/* Frees text t's content once no unit holds it: its postings are stale from then on. */
static void
text_release(struct mnemo_tm_index *idx, uint32_t t)
{
	struct text *x = &idx->texts[t];

	if (x->n_slots > 0 || x->words == NULL) {
		return;
	}
	free(x->words);
	if (x->cap_slots > 0) {
		free(x->slots.v);
	}
	*x = (struct text){0};
	idx->holders[t] = (struct holders){0};
}

/* Text t's token postings. */
static int
index_text(struct mnemo_tm_index *idx, uint32_t lang, uint32_t t)
{
	const struct text *x = &idx->texts[t];
	uint64_t *toks;
	int r = 0;

	if (x->n_words == 0) {
		return 0;
	}
	toks = malloc(x->n_words * sizeof(*toks));
	if (!toks) {
		return -ENOMEM;
	}
	tokens_of(x->words, x->n_words, toks);
	for (size_t i = 0; i < x->n_words && r == 0; i++) {
		r = add_text_posting(idx, &idx->langs[lang], toks[i], t, x->n_words);
	}
	free(toks);
	return r;
}

/* A new text of lang, s[0..len) (hashed h), in texts[]: tokenised, indexed and known to
 * the language's map of texts. It holds no unit yet: text_release() frees it if none
 * comes. */
static int
new_text(struct mnemo_tm_index *idx, uint32_t lang, const char *s, size_t len, uint64_t h,
         struct mnemo_tm_tokens *tok, uint32_t *ret)
{
	struct lang *l = &idx->langs[lang];
	uint32_t t = idx->n_texts, old = map_get(&l->texts, h);
	struct text *x;
	int r;

	r = mnemo_tm_tokenize(s, len, tok); /* len fits in 32 bits when it succeeds */
	if (r < 0) {
		return r;
	}
	if (idx->n_texts == idx->cap_texts) {
		/* half as long again, not twice: there are about as many texts as units */
		uint32_t cap = idx->cap_texts < 64 ? 64 : idx->cap_texts + idx->cap_texts / 2;
		struct text *texts;
		struct holders *held;

		if (idx->cap_texts >= NONE / 2) {
			return -ENOMEM;
		}
		texts = realloc(idx->texts, cap * sizeof(*texts));
		if (!texts) {
			return -ENOMEM;
		}
		idx->texts = texts;
		held = realloc(idx->holders, cap * sizeof(*held));
		if (!held) {
			return -ENOMEM; /* texts[] grew: it is only bigger than it needs */
		}
		idx->holders = held;
		idx->cap_texts = cap;
	}
	/* Taken before anything can fail: its postings must never name another text. */
	idx->n_texts++;
	idx->holders[t] = (struct holders){0};
	x = &idx->texts[t];
	*x = (struct text){.len = (uint32_t)len, .n_words = (uint32_t)tok->n_words};
	x->words = malloc(tok->n_words * sizeof(*x->words) + len + 1);
	if (!x->words) {
		return -ENOMEM;
	}
	if (tok->n_words > 0) {
		memcpy(x->words, tok->words, tok->n_words * sizeof(*x->words));
	}
	memcpy((char *)(x->words + x->n_words), s, len);
	((char *)(x->words + x->n_words))[len] = '\0';
	x->numbers = mnemo_tm_numbers_signature(tok);
	r = index_text(idx, lang, t);
	/* The map names the newest text of these bytes; one whose hash another live text
	 * has already (different bytes, the same 64 bits) stays out of it, unshared. */
	if (r == 0 && old == NONE) {
		r = map_add(&l->texts, h, t);
	} else if (r == 0 && idx->texts[old].words == NULL) {
		map_replace(&l->texts, h, t);
	}
	if (r < 0) {
		text_release(idx, t);
		return r;
	}
	*ret = t;
	return 0;
}

/* The text of lang s[0..len): a live one with these bytes, or a new one. */
static int
text_of(struct mnemo_tm_index *idx, uint32_t lang, const char *s, size_t len,
        struct mnemo_tm_tokens *tok, uint32_t *ret)
{
	uint64_t h = mnemo_fnv1a64(MNEMO_FNV_OFFSET, s, len);
	uint32_t t = map_get(&idx->langs[lang].texts, h);

	if (t != NONE && idx->texts[t].words != NULL && idx->texts[t].len == len &&
	    memcmp(text_bytes(&idx->texts[t]), s, len) == 0) {
		*ret = t;
		return 0;
	}
	return new_text(idx, lang, s, len, h, tok, ret);
}

static int
text_attach(struct mnemo_tm_index *idx, uint32_t t, uint32_t slot)
{
	struct text *x = &idx->texts[t];

	if (x->n_slots == 1 && x->cap_slots == 0) {
		/* a second unit: the slots move out of the text */
		uint32_t cap = 0, *v = grow(NULL, &cap, sizeof(*v));

		if (!v) {
			return -ENOMEM;
		}
		v[0] = x->slots.one;
		x->slots.v = v;
		x->cap_slots = cap;
	} else if (x->cap_slots > 0 && x->n_slots == x->cap_slots) {
		uint32_t *v = grow(x->slots.v, &x->cap_slots, sizeof(*v));

		if (!v) {
			return -ENOMEM;
		}
		x->slots.v = v;
	}
	if (x->cap_slots == 0) {
		x->slots.one = slot;
	} else {
		x->slots.v[x->n_slots] = slot;
	}
	x->n_slots++;
	if (x->n_slots == 1 || idx->units[slot].id < idx->holders[t].first_unit) {
		idx->holders[t].first_unit = idx->units[slot].id;
	}
	return 0;
}

/* Takes slot off text t (once: a unit whose new and old variants share a text holds it
 * twice for a moment), freeing the text when it was the last. */
static void
text_detach(struct mnemo_tm_index *idx, uint32_t t, uint32_t slot)
{
	struct text *x = &idx->texts[t];
	uint32_t *slots = x->cap_slots > 0 ? x->slots.v : &x->slots.one;
	struct holders held = {.first_unit = UINT64_MAX};

	for (uint32_t i = 0; i < x->n_slots; i++) {
		if (slots[i] == slot) {
			slots[i] = slots[--x->n_slots];
			break;
		}
	}
	if (x->n_slots == 0) {
		text_release(idx, t);
		return;
	}
	for (uint32_t i = 0; i < x->n_slots; i++) {
		const struct unit *u = &idx->units[slots[i]];

		held.langs |= idx->langs_of[slots[i]];
		held.first_unit = u->id < held.first_unit ? u->id : held.first_unit;
	}
	idx->holders[t] = held;
}

/* Lets go of the variants v[0..n) of slot, the first `attached` of them attached to
 * their text, and frees v. */
static void
drop_variants(struct mnemo_tm_index *idx, uint32_t slot, struct variant *v, uint32_t n,
              uint32_t attached)
{
	for (uint32_t i = 0; i < n; i++) {
		if (i < attached) {
			text_detach(idx, v[i].text, slot);
		} else {
			text_release(idx, v[i].text);
		}
	}
	free(v);
}

static uint64_t
key_or_none(const char *text)
{
	return text == NULL || text[0] == '\0' ? NO_KEY : mnemo_tm_key_hash(text, strlen(text));
}

static int
make_variant(struct mnemo_tm_index *idx, struct variant *v, uint32_t lang,
             const struct mnemo_tm_variant *in, struct mnemo_tm_tokens *tok)
{
	int r;

	*v = (struct variant){.lang = lang};
	r = text_of(idx, lang, in->text, strlen(in->text), tok, &v->text);
	if (r < 0) {
		return r;
	}
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
	uint32_t slot = map_get(&idx->ids, unit), gen, attached = 0;
	struct variant *old_v;
	uint32_t old_n;
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
			uint32_t gone = tmp.v[k].text;

			tmp.v[k] = tmp.v[--tmp.n_v];
			text_release(idx, gone); /* if this put made it */
		}
		r = make_variant(idx, &tmp.v[tmp.n_v], lang, &variants[i], &tok);
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
	for (; attached < tmp.n_v; attached++) {
		r = text_attach(idx, tmp.v[attached].text, slot);
		if (r < 0) {
			goto fail;
		}
	}
	for (uint32_t i = 0; i < tmp.n_v; i++) {
		const struct variant *v = &tmp.v[i];
		const struct text *x = &idx->texts[v->text];

		r = add_posting(idx, &idx->langs[v->lang], mnemo_tm_key_hash(text_bytes(x), x->len),
		                slot, gen);
		if (r < 0) {
			goto fail;
		}
	}
	u = &idx->units[slot];
	old_v = u->v;
	old_n = u->n_v;
	u->v = tmp.v;
	u->n_v = tmp.n_v;
	u->seq = seq;
	idx->gens[slot] = gen;
	idx->langs_of[slot] = 0;
	for (uint32_t i = 0; i < u->n_v; i++) {
		idx->langs_of[slot] |= lang_bit(u->v[i].lang);
	}
	for (uint32_t i = 0; i < u->n_v; i++) {
		idx->holders[u->v[i].text].langs |= idx->langs_of[slot];
	}
	/* after langs_of: a text the old and new variants share keeps the new languages */
	drop_variants(idx, slot, old_v, old_n, old_n);
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
	drop_variants(idx, slot, tmp.v, tmp.n_v, attached);
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
	idx->gens[slot] = u->gen_next++; /* a gen no posting carries */
	idx->langs_of[slot] = 0;
	drop_variants(idx, slot, u->v, u->n_v, u->n_v);
	u->v = NULL;
	u->n_v = 0;
	u->seq = seq;
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

static const struct text *
text_of_variant(const struct mnemo_tm_index *idx, const struct variant *v)
{
	return &idx->texts[v->text];
}

/* Whether a tag is in a BCP 47 range: the range itself, or the range and more subtags
 * ("fr-CA" is in "fr", "fra" is not). Tags ignore case. */
static bool
in_range(const char *tag, const char *range)
{
	size_t n = strlen(range);

	return strncasecmp(tag, range, n) == 0 && (tag[n] == '\0' || tag[n] == '-');
}

/* u's first variant of a language in set (indexed by language id), other than `other`. */
static const struct variant *
variant_in(const struct unit *u, const bool *set, const struct variant *other)
{
	for (uint32_t i = 0; i < u->n_v; i++) {
		if (set[u->v[i].lang] && &u->v[i] != other) {
			return &u->v[i];
		}
	}
	return NULL;
}

/* Slots are never freed nor reused, and new units take new slots at the end: a slot
 * number is a cursor that puts and removes cannot invalidate. */
int
mnemo_tm_index_pairs(const struct mnemo_tm_index *idx, const char *src_lang, const char *tgt_lang,
                     size_t *cursor, size_t max,
                     int (*fn)(void *arg, const char *src, const char *tgt), void *arg)
{
	uint64_t src_bits = 0, tgt_bits = 0;
	size_t end;
	bool *in_src, *in_tgt;
	int r = 0;

	if (*cursor >= idx->n_units) {
		return 0;
	}
	max = max == 0 ? 1 : max > INT_MAX ? INT_MAX : max;
	end = idx->n_units - *cursor > max ? *cursor + max : idx->n_units;
	in_src = calloc(2 * (size_t)idx->n_langs + 1, sizeof(*in_src));
	if (!in_src) {
		return -ENOMEM;
	}
	in_tgt = in_src + idx->n_langs;
	for (uint32_t i = 0; i < idx->n_langs; i++) {
		in_src[i] = in_range(idx->langs[i].tag, src_lang);
		in_tgt[i] = in_range(idx->langs[i].tag, tgt_lang);
		src_bits |= in_src[i] ? lang_bit(i) : 0;
		tgt_bits |= in_tgt[i] ? lang_bit(i) : 0;
	}
	max = end - *cursor;
	for (size_t slot = *cursor; slot < end && r == 0; slot++) {
		const struct unit *u = &idx->units[slot];
		const struct variant *s, *t;

		*cursor = slot + 1;
		/* the bits first: they are in cache, the units are not */
		if (!(idx->langs_of[slot] & src_bits) || !(idx->langs_of[slot] & tgt_bits)) {
			continue;
		}
		s = variant_in(u, in_src, NULL);
		t = s ? variant_in(u, in_tgt, s) : NULL;
		if (t) {
			r = fn(arg, text_bytes(text_of_variant(idx, s)),
			       text_bytes(text_of_variant(idx, t)));
		}
	}
	free(in_src);
	return r < 0 ? r : (int)max;
}

/* One lookup's state: all of it is on the caller's stack or heap, none in the index. */
struct lookup {
	const struct mnemo_tm_index *idx;
	uint32_t src, tgt;
	uint64_t prev_key, next_key, context_key; /* the query's context: NO_KEY for none */
	uint32_t min_score;
	uint32_t max, n_out;
	struct mnemo_tm_match *out; /* best first */
	uint32_t *exact;            /* source texts matched exactly, kept out of the fuzzy pass:
	                             * every unit holding them is among the exact matches */
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
	        .source = text_bytes(text_of_variant(q->idx, variant_of(u, q->src))),
	        .target = text_bytes(text_of_variant(q->idx, variant_of(u, q->tgt))),
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
		const struct text *t;
		bool same;

		if (!live(q->idx, p) || !variant_of(u, q->tgt)) {
			continue;
		}
		v = variant_of(u, q->src);
		t = text_of_variant(q->idx, v);
		same = t->len == len && memcmp(text_bytes(t), text, len) == 0;
		if (!same && !qkey) {
			r = mnemo_tm_key_string(text, len, &qkey, &qn);
			if (r < 0) {
				break;
			}
		}
		if (!same) {
			r = mnemo_tm_key_string(text_bytes(t), t->len, &ckey, &cn);
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
		q->exact[q->n_exact++] = v->text;
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
	/* What a lookup counts per text, kept from lookup to lookup so that it need not be
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

/* Text -> tokens shared with the query for one lookup, and the word count its postings
 * carry (so that bounds need no look at the text): arrays over every text, this thread's,
 * whose entries count only with the lookup's epoch (a 4 MB array per million texts stays
 * in cache where a hash table of the candidates did not), and the texts touched. */
struct counts {
	uint32_t *marks;
	uint8_t *lens;
	uint32_t epoch;
	uint32_t *touched;
	size_t n_touched;
};

enum { DONE = 0xffff }; /* a count that marks a text as settled by the exact pass */

/* This thread's arrays, for n texts, with a new epoch. */
static int
counts_begin(struct counts *c, size_t n_texts)
{
	struct scratch *s = scratch_of_thread();

	if (s == NULL) {
		return -ENOMEM;
	}
	if (s->n_marks < n_texts) {
		size_t n = n_texts + n_texts / 2 + 1024;
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

/* The text's entry for this lookup: 0 shared tokens when first seen. */
static uint32_t *
count_of(struct counts *c, uint32_t text, uint32_t len)
{
	uint32_t *e = &c->marks[text];

	if (*e >> 16 != c->epoch) {
		*e = c->epoch << 16;
		c->lens[text] = (uint8_t)(len < LEN_MAX ? len : LEN_MAX);
		c->touched[c->n_touched++] = text;
	}
	return e;
}

struct qword {
	uint64_t id;
	uint32_t n_posts; /* including stale ones: only an estimate of its cost */
	const struct tlist *tl;
};

static int
cmp_qword_posts(const void *a, const void *b)
{
	const struct qword *x = a, *y = b;

	return x->n_posts > y->n_posts ? -1 : x->n_posts < y->n_posts;
}

struct cand {
	uint32_t text;
	uint32_t bound;      /* the most it can score */
	uint64_t first_unit; /* holders[text]'s */
};

/* The units of text t that have the query's target language as matches of the text's
 * score, each less a point if its source has tags. */
static void
add_text_matches(struct lookup *q, const struct text *t, uint32_t score, unsigned pen)
{
	const struct mnemo_tm_index *idx = q->idx;
	const uint32_t *slots = text_slots(t);

	for (uint32_t i = 0; i < t->n_slots; i++) {
		uint32_t slot = slots[i];
		const struct unit *u = &idx->units[slot];
		unsigned p = pen;

		if (!(idx->langs_of[slot] & lang_bit(q->tgt)) ||
		    (q->tgt >= LANGS_OTHER && variant_of(u, q->tgt) == NULL)) {
			continue;
		}
		p |= variant_of(u, q->src)->has_tags ? MNEMO_TM_PENALTY_TAGS : 0;
		add_match(q, u, mnemo_tm_apply_penalties(score, p), MNEMO_TM_FUZZY, p);
	}
}

/* Candidates are the texts sharing a token with the query (tokens: see the top of this
 * file). Each gets an upper bound from what it shares: with c tokens in common, d >=
 * max(n, m) - c, so it scores at most floor(100 min(c, n, m) / max(n, m)); c is bounded by
 * the tokens it was found through plus the tokens skipped. Skipping the most common tokens
 * loses nothing while they number fewer than ceil(min_score n / 100), the fewest tokens a
 * match at min_score shares with the query: every such match still shares a token that was
 * not skipped (prefix filtering). Postings of texts too short or too long to reach
 * min_score are passed over unread. Candidates are scored exactly best bound first, until
 * no bound can beat the results or the EVAL_ limits are spent: only then can a match be
 * missed, and only one whose bound ties or trails those already scored. A text whose bound
 * only ties the last result is passed over when none of its units has a lower id than
 * that result's: a tie goes to the lower id. */
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
	uint64_t tgt_bit = lang_bit(q->tgt);
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
		        .tl = li == NONE ? NULL : &l->tlists[li],
		        .n_posts = li == NONE ? 0 : l->tlists[li].n,
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
	if (max_cand > idx->n_texts) {
		max_cand = idx->n_texts;
	}
	if (max_cand == 0) {
		r = 0;
		goto out;
	}
	counts.touched = scratch_get(SCRATCH_TOUCHED, (max_cand + 1) * sizeof(*counts.touched));
	if (!counts.touched || counts_begin(&counts, idx->n_texts) < 0) {
		goto out;
	}
	for (uint32_t i = 0; i < q->n_exact; i++) {
		*count_of(&counts, q->exact[i], 0) |= DONE;
	}
	for (size_t i = k; i < n_qw; i++) {
		const struct tlist *tl = qw[i].tl;

		for (uint32_t j = 0; tl && j < tl->n; j++) {
			struct tpost p = tl->v[j];
			uint32_t *c;

			if (j + PREFETCH < tl->n) {
				__builtin_prefetch(&counts.marks[tl->v[j + PREFETCH].text], 1);
			}
			/* too short or too long to reach min_score, whatever it shares; texts no
			 * unit holds any more are left to the candidates' language test */
			if (p.n_words < len_lo || p.n_words > len_hi) {
				continue;
			}
			c = count_of(&counts, p.text, p.n_words);
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
		uint32_t t = counts.touched[i], shared = counts.marks[t] & 0xffff;
		size_t m, common, longest;
		uint32_t bound;

		if (i + PREFETCH < counts.n_touched) {
			uint32_t ahead = counts.touched[i + PREFETCH];

			__builtin_prefetch(&counts.marks[ahead]);
			__builtin_prefetch(&counts.lens[ahead]);
			__builtin_prefetch(&idx->holders[ahead]);
		}
		if (shared == DONE) {
			continue;
		}
		/* The bound first, from the postings' word count: most candidates end here,
		 * without the cache misses of a look at their text. */
		m = counts.lens[t];
		if (m == LEN_MAX) {
			m = idx->texts[t].n_words;
		}
		longest = m > n ? m : n;
		common = shared + skipped;
		common = common < n ? common : n;
		common = common < m ? common : m;
		bound = (uint32_t)(100 * common / longest);
		/* a text no unit holds any more has no language */
		if (bound >= min_score && (idx->holders[t].langs & tgt_bit)) {
			cand[n_cand++] = (struct cand){.text = t,
			                               .bound = bound,
			                               .first_unit = idx->holders[t].first_unit};
			by_bound[bound]++;
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
		const struct text *t = &idx->texts[sorted[i].text];
		uint32_t need = min_score, score;
		unsigned pen = 0;

		if (q->n_out == q->max) {
			const struct mnemo_tm_match *last = &q->out[q->max - 1];

			if (sorted[i].bound < last->score) {
				break;
			}
			/* At best a tie with the last: only a unit with a lower id would be
			 * better, and short queries tie thousands of texts at their bound. */
			if (sorted[i].bound == last->score && sorted[i].first_unit >= last->unit) {
				continue;
			}
			need = last->score;
		}
		if (n_eval >= EVAL_BASE + 2 * (size_t)q->max && dp_cells >= EVAL_CELLS) {
			break;
		}
		/* texts and their words are read at random: ask for the next ones early (past
		 * the tests above, where most texts of a tie-heavy lookup stop) */
		if (i + 2 < n_cand) {
			__builtin_prefetch(idx->texts[sorted[i + 2].text].words);
		}
		if (i + PREFETCH < n_cand) {
			__builtin_prefetch(&idx->texts[sorted[i + PREFETCH].text]);
		}
		n_eval++;
		dp_cells += n * t->n_words;
		r = mnemo_tm_score_words(qt->words, n, t->words, t->n_words, need, &dp, &score);
		if (r == 0 && score == 100) {
			/* Same words, different keys: only the token details tell the score. */
			r = mnemo_tm_tokenize(text_bytes(t), t->len, &ct);
			pen |= r == 0 ? mnemo_tm_same_words_penalties(qt, &ct) : 0;
		} else if (r == 0 && score > 0 && q_numbers != t->numbers) {
			pen |= MNEMO_TM_PENALTY_NUMBERS;
		}
		/* units' tags only take points off */
		if (r == 0 && mnemo_tm_apply_penalties(score, pen) >= need) {
			add_text_matches(q, t, score, pen);
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
