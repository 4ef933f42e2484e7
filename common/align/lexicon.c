/* The bilingual lexicon (lexicon.h): words to stems, stems to ids, pairs of ids, and a
 * reader for FreeDict's dictd files.
 *
 * Choices, and why:
 * - Stems keep their accents while Snowball reads them (its French rules find suffixes
 *   such as -ité, -ée, -èrent by their accents) and lose them after, for French and
 *   English: French is often typed without accents on capitals (ECOLE, Etat), and the
 *   words that differ only by an accent are mostly stop words (a/à, ou/où); the few
 *   content words that collide (pêche/péché) cost less than missing every capital.
 * - Stop words come from small built-in lists below (libstemmer ships none): pronouns,
 *   articles, prepositions, conjunctions, and the forms of être/avoir and be/have/do,
 *   which pair with everything and so say nothing about which sentences go together.
 * - A dictionary translation with more than one content word ("pull to pieces", "chemin
 *   de fer") is skipped: a phrase translates as a whole, and its words alone are other
 *   words' translations, while the aligner's evidence is a count in which a wrong pair
 *   costs what a right one earns. Stop words do not count, so "s'humilier", "se
 *   conformer", "(the) present", "wait for" each keep their one content word; but an
 *   English particle after a word makes a phrasal verb ("give up" is not "give").
 * - Hyphens split words (ICU's word breaks do): "cessez-le-feu" is cessez + feu, and the
 *   inverted "dit-il", "a-t-on" lose their pronouns as stop words. A hyphenated headword
 *   is then a phrase like any other.
 * - Numbers are not words here: the aligner has its own anchors for them. */
#include "lexicon.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libstemmer.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>
#include <zlib.h>

#include "hash.h"

enum {
	/* Longer tokens are no words but blobs (hashes, base64, URLs glued to text): Snowball
	 * would stem them for nothing, and words fit fixed buffers. */
	MAX_WORD_UNITS = 64,
	/* u_strFoldCase expands a unit to at most 3 (ß -> ss, ŉ -> ʼn), NFC/NFD at most 3
	 * more: room for every step in one size. */
	WORD_CAP = MAX_WORD_UNITS * 9,
	MAX_ENTRY_BYTES = 64 * 1024, /* FreeDict's longest is about 1 KB */
	MAX_ENTRY_STEMS = 64,
	MAX_STEM_BYTES = WORD_CAP * 3, /* stem_id()'s UTF-8 buffer, less its NUL */
};

#define MAX_FILE_BYTES ((size_t)256 << 20)
/* The word cache: 32k words (a slot table half full at most), 1.5 MB a side, allocated
 * at the first word. */
#define CACHE_SLOTS (1u << 16)
#define CACHE_WORDS (CACHE_SLOTS / 2)
#define CACHE_KEY_UNITS (CACHE_WORDS * 8)
#define NO_ID UINT32_MAX

/* French and English: lowercase, accents folded (they are compared folded). French
 * elisions (l', qu', jusqu') and English clitics ('s, 't, 'll) are here too: apostrophes
 * split them off. Collisions from folding, accepted: sûr (sur), maïs (mais), dû (du). */
static const char *const stop_fr[] = {
        "a",      "ai",      "aie",     "aient",   "aies",   "ainsi",    "ait",    "alors",
        "apres",  "as",      "au",      "aura",    "aurai",  "auraient", "aurais", "aurait",
        "auras",  "aurez",   "auriez",  "aurions", "aurons", "auront",   "aussi",  "autre",
        "autres", "aux",     "avaient", "avais",   "avait",  "avant",    "avec",   "avez",
        "aviez",  "avions",  "avoir",   "avons",   "ayant",  "ayez",     "ayons",  "c",
        "ca",     "car",     "ce",      "ceci",    "cela",   "celle",    "celles", "celui",
        "ces",    "cet",     "cette",   "ceux",    "chaque", "chez",     "comme",  "comment",
        "contre", "d",       "dans",    "de",      "depuis", "des",      "donc",   "dont",
        "du",     "durant",  "elle",    "elles",   "en",     "encore",   "entre",  "es",
        "est",    "et",      "etaient", "etais",   "etait",  "etant",    "ete",    "etes",
        "etiez",  "etions",  "etre",    "eu",      "eue",    "eues",     "eurent", "eus",
        "eut",    "eux",     "furent",  "fut",     "ici",    "il",       "ils",    "j",
        "je",     "jusqu",   "jusque",  "l",       "la",     "le",       "les",    "leur",
        "leurs",  "lors",    "lorsqu",  "lorsque", "lui",    "m",        "ma",     "mais",
        "me",     "meme",    "memes",   "mes",     "moi",    "mon",      "n",      "ne",
        "ni",     "nos",     "notre",   "nous",    "on",     "ont",      "or",     "ou",
        "par",    "parmi",   "pas",     "pendant", "peu",    "plus",     "pour",   "pourquoi",
        "presqu", "puis",    "puisqu",  "puisque", "qu",     "quand",    "que",    "quel",
        "quelle", "quelles", "quelqu",  "quels",   "qui",    "quoi",     "quoiqu", "quoique",
        "s",      "sa",      "sans",    "se",      "selon",  "sera",     "serai",  "seraient",
        "serais", "serait",  "seras",   "serez",   "seriez", "serions",  "serons", "seront",
        "ses",    "si",      "soi",     "soient",  "sois",   "soit",     "sommes", "son",
        "sont",   "sous",    "soyez",   "soyons",  "suis",   "sur",      "t",      "ta",
        "te",     "tes",     "toi",     "ton",     "tous",   "tout",     "toute",  "toutes",
        "tres",   "tu",      "un",      "une",     "unes",   "uns",      "vers",   "vos",
        "votre",  "vous",    "y",
};

static const char *const stop_en[] = {
        "a",          "about",   "above",  "after",   "again",     "against",    "ain",
        "all",        "am",      "an",     "and",     "any",       "are",        "aren",
        "as",         "at",      "be",     "because", "been",      "before",     "being",
        "below",      "between", "both",   "but",     "by",        "can",        "could",
        "couldn",     "d",       "did",    "didn",    "do",        "does",       "doesn",
        "doing",      "don",     "down",   "during",  "each",      "few",        "for",
        "from",       "further", "had",    "hadn",    "has",       "hasn",       "have",
        "haven",      "having",  "he",     "her",     "here",      "hers",       "herself",
        "him",        "himself", "his",    "how",     "i",         "if",         "in",
        "into",       "is",      "isn",    "it",      "its",       "itself",     "just",
        "ll",         "m",       "may",    "me",      "might",     "more",       "most",
        "must",       "mustn",   "my",     "myself",  "no",        "nor",        "not",
        "of",         "off",     "on",     "once",    "oneself",   "only",       "or",
        "other",      "ought",   "our",    "ours",    "ourselves", "out",        "over",
        "own",        "re",      "s",      "same",    "shall",     "shan",       "she",
        "should",     "shouldn", "so",     "some",    "such",      "t",          "than",
        "that",       "the",     "their",  "theirs",  "them",      "themselves", "then",
        "there",      "these",   "they",   "this",    "those",     "through",    "to",
        "too",        "under",   "until",  "up",      "ve",        "very",       "was",
        "wasn",       "we",      "were",   "weren",   "what",      "when",       "where",
        "which",      "while",   "who",    "whom",    "why",       "will",       "with",
        "won",        "would",   "wouldn", "you",     "your",      "yours",      "yourself",
        "yourselves",
};

static const char *const elisions_fr[] = {
        "c",      "d",      "j",  "jusqu",  "l",      "lorsqu", "m", "n",
        "presqu", "puisqu", "qu", "quelqu", "quoiqu", "s",      "t",
};

static const char *const clitics_en[] = {"d", "ll", "m", "re", "s", "t", "ve"};

/* Particles that make a phrasal verb of the word before them: "give up" is not "give",
 * though "up" is a stop word; "wait for" is "wait". */
static const char *const particles_en[] = {
        "about", "across", "along", "apart", "around", "aside", "away",  "back",    "by", "down",
        "forth", "in",     "off",   "on",    "out",    "over",  "round", "through", "up",
};

enum apostrophe_rule { APOS_NONE, APOS_PREFIX, APOS_SUFFIX };

struct lang {
	const char *tag;
	const char *const *stop;
	size_t n_stop;
	const char *const *apos; /* elided prefixes or clitic suffixes */
	size_t n_apos;
	enum apostrophe_rule rule;
	bool fold_accents;
	const char *const *particles;
	size_t n_particles;
};

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct lang langs[] = {
        {"fr", stop_fr, LEN(stop_fr), elisions_fr, LEN(elisions_fr), APOS_PREFIX, true, NULL, 0},
        {"en", stop_en, LEN(stop_en), clitics_en, LEN(clitics_en), APOS_SUFFIX, true, particles_en,
         LEN(particles_en)},
};

/* Interned strings: ids are dense, the text of id i is buf[off[i] .. off[i] + len[i]). */
struct strtab {
	char *buf;
	size_t len, cap;
	uint32_t *off, *n, *hash;
	uint32_t n_ids, cap_ids;
	uint32_t *slots; /* id + 1, 0 for empty; a power of two */
	uint32_t n_slots;
};

/* Words as they appear (UTF-16) to their stem's id or NO_ID: a document repeats its words,
 * and folding, normalising and stemming cost more than a probe. Emptied when full. */
struct cache_slot {
	uint32_t hash, off; /* off: the word in keys; hash 0 for an empty slot */
	uint32_t n, id;
};

struct word_cache {
	struct cache_slot *slots; /* CACHE_SLOTS of them */
	UChar *keys;
	uint32_t len, n_used;
};

struct side {
	struct lang lang; /* lang.tag points at tag below */
	char tag[4];
	struct sb_stemmer *stemmer; /* NULL: no Snowball stemmer for the language */
	UBreakIterator *brk;
	struct strtab stems;
	struct word_cache cache;
};

/* The translations of one source stem, sorted. */
struct tlist {
	uint32_t *v;
	uint32_t n, cap;
};

struct mnemo_lexicon {
	struct side side[2];
	uint64_t *pairs; /* (src << 32 | tgt), UINT64_MAX for empty; a power of two */
	uint32_t n_slots;
	struct tlist *trans; /* by source stem id, cap_trans of them */
	uint32_t cap_trans;
	struct mnemo_lexicon_stats stats;
	UChar *text; /* a sentence in UTF-16, reused */
	int32_t text_cap;
};

static int
icu_err(UErrorCode st)
{
	return st == U_MEMORY_ALLOCATION_ERROR ? -ENOMEM : -EIO;
}

/* --- interning --- */

static void
strtab_fini(struct strtab *t)
{
	free(t->buf);
	free(t->off);
	free(t->n);
	free(t->hash);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

static int
strtab_grow_slots(struct strtab *t)
{
	uint32_t n_slots = t->n_slots ? 2 * t->n_slots : 1024;
	uint32_t *slots = calloc(n_slots, sizeof(*slots));

	if (!slots) {
		return -ENOMEM;
	}
	for (uint32_t id = 0; id < t->n_ids; id++) {
		uint32_t i = t->hash[id] & (n_slots - 1);

		while (slots[i]) {
			i = (i + 1) & (n_slots - 1);
		}
		slots[i] = id + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->n_slots = n_slots;
	return 0;
}

static int
grow_array(void *pp, uint32_t cap, size_t size)
{
	void *p = realloc(*(void **)pp, (size_t)cap * size);

	if (!p) {
		return -ENOMEM;
	}
	*(void **)pp = p;
	return 0;
}

/* The id of s[0..n), interned if new. */
static int
strtab_get(struct strtab *t, const char *s, size_t n, uint32_t *ret)
{
	uint32_t h = (uint32_t)mnemo_mix64(mnemo_fnv1a64(MNEMO_FNV_OFFSET, s, n));
	uint32_t i, id;
	int r;

	if (t->n_slots) {
		for (i = h & (t->n_slots - 1); t->slots[i]; i = (i + 1) & (t->n_slots - 1)) {
			id = t->slots[i] - 1;
			if (t->hash[id] == h && t->n[id] == n &&
			    memcmp(t->buf + t->off[id], s, n) == 0) {
				*ret = id;
				return 0;
			}
		}
	}
	if (t->n_ids >= INT32_MAX || t->len + n > UINT32_MAX) {
		return -ENOMEM; /* ids stay below 2^31: the aligner keeps the top bit */
	}
	if (2 * (t->n_ids + 1) > t->n_slots) {
		r = strtab_grow_slots(t);
		if (r < 0) {
			return r;
		}
	}
	if (t->n_ids == t->cap_ids) {
		uint32_t cap = t->cap_ids ? 2 * t->cap_ids : 1024;

		if (grow_array(&t->off, cap, sizeof(*t->off)) < 0 ||
		    grow_array(&t->n, cap, sizeof(*t->n)) < 0 ||
		    grow_array(&t->hash, cap, sizeof(*t->hash)) < 0) {
			return -ENOMEM;
		}
		t->cap_ids = cap;
	}
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16384;
		char *p;

		while (cap < t->len + n + 1) {
			cap *= 2;
		}
		p = realloc(t->buf, cap);
		if (!p) {
			return -ENOMEM;
		}
		t->buf = p;
		t->cap = cap;
	}
	id = t->n_ids++;
	memcpy(t->buf + t->len, s, n);
	t->buf[t->len + n] = '\0'; /* so stem_text can hand it out */
	t->off[id] = (uint32_t)t->len;
	t->n[id] = (uint32_t)n;
	t->hash[id] = h;
	t->len += n + 1;
	for (i = h & (t->n_slots - 1); t->slots[i]; i = (i + 1) & (t->n_slots - 1)) {
	}
	t->slots[i] = id + 1;
	*ret = id;
	return 0;
}

/* --- words to stems --- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool
in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i], s) == 0) {
			return true;
		}
	}
	return false;
}

/* u[0..n) to UTF-8 in out (cap bytes, NUL-terminated); its length, or -1 if it does not fit
 * (it always does for a word within MAX_WORD_UNITS). */
static int32_t
to_utf8(const UChar *u, int32_t n, char *out, int32_t cap)
{
	UErrorCode st = U_ZERO_ERROR;
	int32_t len;

	u_strToUTF8WithSub(out, cap, &len, u, n, 0xfffd, NULL, &st);
	return U_SUCCESS(st) && len < cap ? len : -1;
}

/* u[0..n) without its non-spacing marks after NFD (é -> e, ç -> c) into out. */
static int32_t
strip_accents(const UChar *u, int32_t n, UChar *out, int32_t cap)
{
	UErrorCode st = U_ZERO_ERROR;
	const UNormalizer2 *nfd = unorm2_getNFDInstance(&st);
	UChar tmp[WORD_CAP];
	int32_t m, k = 0, i = 0;
	UChar32 c;

	if (U_FAILURE(st)) {
		return -1;
	}
	m = unorm2_normalize(nfd, u, n, tmp, WORD_CAP, &st);
	if (U_FAILURE(st)) {
		return -1;
	}
	while (i < m) {
		U16_NEXT(tmp, i, m, c);
		if (u_charType(c) == U_NON_SPACING_MARK) {
			continue;
		}
		if (k + U16_LENGTH(c) > cap) {
			return -1;
		}
		U16_APPEND_UNSAFE(out, k, c);
	}
	return k;
}

static bool
is_ascii(const UChar *u, int32_t n)
{
	for (int32_t i = 0; i < n; i++) {
		if (u[i] >= 0x80) {
			return false;
		}
	}
	return true;
}

/* One word (no apostrophe split left to do): its stem's id, or NO_ID for a stop word or a
 * token that is no word. */
static int
stem_id(struct side *sd, const UChar *w, int32_t n, uint32_t *ret)
{
	UErrorCode st = U_ZERO_ERROR;
	UChar fold[WORD_CAP], lig[WORD_CAP], nfc[WORD_CAP], bare[WORD_CAP];
	char u8[WORD_CAP * 3 + 1];
	const UChar *word;
	const sb_symbol *stem;
	int32_t nf, nl = 0, nw, nb, n8;

	*ret = NO_ID;
	if (n <= 0 || n > MAX_WORD_UNITS) {
		return 0;
	}
	nf = u_strFoldCase(fold, WORD_CAP, w, n, U_FOLD_CASE_DEFAULT, &st);
	if (U_FAILURE(st)) {
		return icu_err(st);
	}
	/* œ and æ as two letters: cœur and coeur are both typed */
	for (int32_t i = 0; i < nf && nl + 2 <= WORD_CAP; i++) {
		if (fold[i] == 0x153 || fold[i] == 0xe6) {
			lig[nl++] = fold[i] == 0x153 ? 'o' : 'a';
			lig[nl++] = 'e';
		} else {
			lig[nl++] = fold[i] == 0x2019 || fold[i] == 0x2bc ? '\'' : fold[i];
		}
	}
	word = lig;
	nw = nl;
	if (!is_ascii(lig, nl)) {
		/* Snowball reads precomposed letters: é, not e + U+0301 */
		const UNormalizer2 *nfc2 = unorm2_getNFCInstance(&st);

		nw = U_SUCCESS(st) ? unorm2_normalize(nfc2, lig, nl, nfc, WORD_CAP, &st) : 0;
		if (U_FAILURE(st)) {
			return icu_err(st);
		}
		word = nfc;
	}
	if (sd->lang.n_stop) {
		const UChar *key = word;
		const char *p = u8;
		int32_t nk = nw;

		if (sd->lang.fold_accents && !is_ascii(word, nw)) {
			nk = strip_accents(word, nw, bare, WORD_CAP);
			key = bare;
		}
		if (nk < 0 || to_utf8(key, nk, u8, sizeof(u8)) < 0) {
			return 0;
		}
		if (bsearch(&p, sd->lang.stop, sd->lang.n_stop, sizeof(*sd->lang.stop), cmp_str)) {
			return 0;
		}
	}
	n8 = to_utf8(word, nw, u8, sizeof(u8));
	if (n8 <= 0) {
		return 0;
	}
	if (sd->stemmer) {
		stem = sb_stemmer_stem(sd->stemmer, (const sb_symbol *)u8, n8);
		if (!stem) {
			return -ENOMEM;
		}
		n8 = sb_stemmer_length(sd->stemmer);
		if (n8 <= 0) {
			return 0;
		}
		memmove(u8, stem, (size_t)n8); /* the stemmer's buffer is its own */
		u8[n8] = '\0';
	}
	if (sd->lang.fold_accents) {
		bool ascii = true;

		for (int32_t i = 0; i < n8; i++) {
			ascii &= (uint8_t)u8[i] < 0x80;
		}
		if (!ascii) {
			st = U_ZERO_ERROR;
			u_strFromUTF8(nfc, WORD_CAP, &nw, u8, n8, &st);
			if (U_FAILURE(st)) {
				return 0;
			}
			nb = strip_accents(nfc, nw, bare, WORD_CAP);
			n8 = nb < 0 ? -1 : to_utf8(bare, nb, u8, sizeof(u8));
			if (n8 <= 0) {
				return 0;
			}
		}
	}
	return strtab_get(&sd->stems, u8, (size_t)n8, ret);
}

/* stem_id() through the side's cache. */
static int
word_id(struct side *sd, const UChar *w, int32_t n, uint32_t *ret)
{
	struct word_cache *c = &sd->cache;
	struct cache_slot *slot;
	uint32_t h, i;
	int r;

	if (n <= 0 || n > MAX_WORD_UNITS) {
		*ret = NO_ID;
		return 0;
	}
	h = (uint32_t)mnemo_mix64(mnemo_fnv1a64(MNEMO_FNV_OFFSET, w, (size_t)n * sizeof(*w))) | 1;
	if (c->slots) {
		for (i = h & (CACHE_SLOTS - 1); c->slots[i].hash; i = (i + 1) & (CACHE_SLOTS - 1)) {
			slot = &c->slots[i];
			if (slot->hash == h && slot->n == (uint32_t)n &&
			    memcmp(c->keys + slot->off, w, (size_t)n * sizeof(*w)) == 0) {
				*ret = slot->id;
				return 0;
			}
		}
	}
	r = stem_id(sd, w, n, ret);
	if (r < 0) {
		return r;
	}
	if (!c->slots) {
		c->slots = calloc(CACHE_SLOTS, sizeof(*c->slots));
		c->keys = malloc(CACHE_KEY_UNITS * sizeof(*c->keys));
		if (!c->slots || !c->keys) {
			free(c->slots);
			free(c->keys);
			memset(c, 0, sizeof(*c));
			return 0; /* no cache, and no harm */
		}
	}
	if (c->n_used == CACHE_WORDS || c->len + (uint32_t)n > CACHE_KEY_UNITS) {
		memset(c->slots, 0, CACHE_SLOTS * sizeof(*c->slots));
		c->n_used = 0;
		c->len = 0;
	}
	for (i = h & (CACHE_SLOTS - 1); c->slots[i].hash; i = (i + 1) & (CACHE_SLOTS - 1)) {
	}
	memcpy(c->keys + c->len, w, (size_t)n * sizeof(*w));
	c->slots[i] = (struct cache_slot){.hash = h, .off = c->len, .n = (uint32_t)n, .id = *ret};
	c->len += (uint32_t)n;
	c->n_used++;
	return 0;
}

static bool
is_apostrophe(UChar c)
{
	return c == '\'' || c == 0x2019 || c == 0x2bc;
}

/* Whether w[0..n), ASCII-lowercased, is one of list (all ASCII). */
static bool
matches(const UChar *w, int32_t n, const char *const *list, size_t n_list)
{
	char s[16];

	if (n <= 0 || n >= (int32_t)sizeof(s)) {
		return false;
	}
	for (int32_t i = 0; i < n; i++) {
		if (w[i] >= 0x80) {
			return false;
		}
		s[i] = (char)tolower(w[i]);
	}
	s[n] = '\0';
	return in_list(list, n_list, s);
}

/* Calls word_id() on the words of one ICU word token, its elisions or clitics split off
 * (ICU keeps l'école and don't whole: the apostrophe is MidNumLet), and appends the ids. */
static int
token_ids(struct side *sd, const UChar *w, int32_t n, uint32_t *ids, size_t max, size_t *n_ids)
{
	uint32_t id;
	int r;

	if (sd->lang.rule == APOS_PREFIX) {
		/* l'école, qu'aujourd'hui: peel elided words off the front */
		for (int32_t i = 0; i < n; i++) {
			if (!is_apostrophe(w[i])) {
				continue;
			}
			if (!matches(w, i, sd->lang.apos, sd->lang.n_apos)) {
				break;
			}
			w += i + 1;
			n -= i + 1;
			i = -1;
		}
	} else if (sd->lang.rule == APOS_SUFFIX) {
		/* John's, don't, we'll: the clitic after the last apostrophe goes */
		for (int32_t i = n - 1; i > 0; i--) {
			if (is_apostrophe(w[i])) {
				if (matches(w + i + 1, n - i - 1, sd->lang.apos, sd->lang.n_apos)) {
					n = i;
				}
				break;
			}
		}
	}
	r = word_id(sd, w, n, &id);
	if (r < 0 || id == NO_ID) {
		return r;
	}
	if (*n_ids < max) {
		ids[*n_ids] = id;
	}
	(*n_ids)++;
	return 0;
}

/* The stems of text[0..len) on one side, new ones interned. */
static int
text_ids(struct mnemo_lexicon *lex, struct side *sd, const char *text, size_t len, uint32_t *ids,
         size_t max, size_t *ret_n)
{
	UErrorCode st = U_ZERO_ERROR;
	int32_t n, start, end;
	size_t n_ids = 0;
	int r = 0;

	if (len > INT32_MAX) {
		return -EMSGSIZE;
	}
	u_strFromUTF8WithSub(lex->text, lex->text_cap, &n, text, (int32_t)len, 0xfffd, NULL, &st);
	if (st == U_BUFFER_OVERFLOW_ERROR) {
		int32_t cap = n + 1;
		UChar *p = realloc(lex->text, (size_t)cap * sizeof(*p));

		if (!p) {
			return -ENOMEM;
		}
		lex->text = p;
		lex->text_cap = cap;
		st = U_ZERO_ERROR;
		u_strFromUTF8WithSub(lex->text, lex->text_cap, &n, text, (int32_t)len, 0xfffd, NULL,
		                     &st);
	}
	if (U_FAILURE(st)) {
		return icu_err(st);
	}
	if (n == 0) {
		*ret_n = 0;
		return 0;
	}
	ubrk_setText(sd->brk, lex->text, n, &st);
	if (U_FAILURE(st)) {
		return icu_err(st);
	}
	start = ubrk_first(sd->brk);
	for (end = ubrk_next(sd->brk); r == 0 && end != UBRK_DONE;
	     start = end, end = ubrk_next(sd->brk)) {
		int32_t status = ubrk_getRuleStatus(sd->brk);

		/* letters, kana, ideographs; not numbers, punctuation or space */
		if (status >= UBRK_WORD_LETTER) {
			r = token_ids(sd, lex->text + start, end - start, ids, max, &n_ids);
		}
	}
	if (r == 0) {
		*ret_n = n_ids;
	}
	return r;
}

/* --- pairs --- */

static uint32_t
pair_slot(const uint64_t *pairs, uint32_t n_slots, uint64_t key)
{
	uint32_t i = (uint32_t)mnemo_mix64(key) & (n_slots - 1);

	while (pairs[i] != UINT64_MAX && pairs[i] != key) {
		i = (i + 1) & (n_slots - 1);
	}
	return i;
}

static int
add_pair(struct mnemo_lexicon *lex, uint32_t src, uint32_t tgt)
{
	uint64_t key = (uint64_t)src << 32 | tgt;
	struct tlist *t;
	uint32_t i, j;

	if (2 * (lex->stats.n_pairs + 1) > lex->n_slots) {
		uint32_t n_slots = lex->n_slots ? 2 * lex->n_slots : 4096;
		uint64_t *pairs = malloc((size_t)n_slots * sizeof(*pairs));

		if (!pairs) {
			return -ENOMEM;
		}
		memset(pairs, 0xff, (size_t)n_slots * sizeof(*pairs));
		for (i = 0; i < lex->n_slots; i++) {
			if (lex->pairs[i] != UINT64_MAX) {
				pairs[pair_slot(pairs, n_slots, lex->pairs[i])] = lex->pairs[i];
			}
		}
		free(lex->pairs);
		lex->pairs = pairs;
		lex->n_slots = n_slots;
	}
	i = pair_slot(lex->pairs, lex->n_slots, key);
	if (lex->pairs[i] == key) {
		return 0;
	}
	if (src >= lex->cap_trans) {
		uint32_t cap = lex->cap_trans ? lex->cap_trans : 1024;
		struct tlist *p;

		while (cap <= src) {
			cap *= 2;
		}
		p = realloc(lex->trans, (size_t)cap * sizeof(*p));
		if (!p) {
			return -ENOMEM;
		}
		memset(p + lex->cap_trans, 0, (size_t)(cap - lex->cap_trans) * sizeof(*p));
		lex->trans = p;
		lex->cap_trans = cap;
	}
	t = &lex->trans[src];
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? 2 * t->cap : 4;

		if (grow_array(&t->v, cap, sizeof(*t->v)) < 0) {
			return -ENOMEM;
		}
		t->cap = cap;
	}
	for (j = t->n; j > 0 && t->v[j - 1] > tgt; j--) {
		t->v[j] = t->v[j - 1];
	}
	t->v[j] = tgt;
	t->n++;
	lex->pairs[i] = key;
	lex->stats.n_pairs++;
	return 1;
}

bool
mnemo_lexicon_has(const struct mnemo_lexicon *lex, uint32_t src_stem, uint32_t tgt_stem)
{
	uint64_t key = (uint64_t)src_stem << 32 | tgt_stem;

	return lex->n_slots && lex->pairs[pair_slot(lex->pairs, lex->n_slots, key)] == key;
}

uint32_t
mnemo_lexicon_translations(const struct mnemo_lexicon *lex, uint32_t src_stem,
                           const uint32_t **ret_ids)
{
	if (src_stem >= lex->cap_trans || lex->trans[src_stem].n == 0) {
		*ret_ids = NULL;
		return 0;
	}
	*ret_ids = lex->trans[src_stem].v;
	return lex->trans[src_stem].n;
}

int
mnemo_lexicon_add_ids(struct mnemo_lexicon *lex, uint32_t src_stem, uint32_t tgt_stem)
{
	if (src_stem >= lex->side[0].stems.n_ids || tgt_stem >= lex->side[1].stems.n_ids) {
		return -EINVAL;
	}
	return add_pair(lex, src_stem, tgt_stem);
}

/* Whether a word after the first of s[0..len) is a particle of the language. */
static bool
has_particle(const struct lang *lang, const char *s, size_t len)
{
	char w[16];
	size_t i = 0, k;

	while (i < len && s[i] == ' ') {
		i++;
	}
	while (i < len && s[i] != ' ') {
		i++; /* the first word: a particle there is a preposition ("in addition") */
	}
	while (i < len && lang->n_particles) {
		while (i < len && s[i] == ' ') {
			i++;
		}
		for (k = 0; i < len && s[i] != ' '; i++) {
			if (k < sizeof(w) - 1) {
				w[k++] = (char)tolower((unsigned char)s[i]);
			}
		}
		w[k] = '\0';
		if (k > 0 && in_list(lang->particles, lang->n_particles, w)) {
			return true;
		}
	}
	return false;
}

/* The one content stem of a word or phrase: 0 and *ret, or 1 for none (stop words,
 * numbers), 2 for more than one (a phrase, or a phrasal verb). */
static int
one_stem(struct mnemo_lexicon *lex, int side, const char *s, size_t len, uint32_t *ret)
{
	uint32_t ids[2];
	size_t n;
	int r;

	if (has_particle(&lex->side[side].lang, s, len)) {
		return 2;
	}
	r = text_ids(lex, &lex->side[side], s, len, ids, 2, &n);
	if (r < 0) {
		return r;
	}
	if (n == 1 || (n == 2 && ids[0] == ids[1])) {
		*ret = ids[0];
		return 0;
	}
	return n == 0 ? 1 : 2;
}

int
mnemo_lexicon_add(struct mnemo_lexicon *lex, const char *src_word, const char *tgt_word)
{
	uint32_t src, tgt;
	int r;

	r = one_stem(lex, 0, src_word, strlen(src_word), &src);
	if (r != 0) {
		return r < 0 ? r : -EINVAL;
	}
	r = one_stem(lex, 1, tgt_word, strlen(tgt_word), &tgt);
	if (r != 0) {
		return r < 0 ? r : -EINVAL;
	}
	return add_pair(lex, src, tgt);
}

int
mnemo_lexicon_stems(struct mnemo_lexicon *lex, enum mnemo_lexicon_side side, const char *text,
                    size_t len, uint32_t *ids, size_t max, size_t *ret_n)
{
	if (side != MNEMO_LEXICON_SRC && side != MNEMO_LEXICON_TGT) {
		return -EINVAL;
	}
	return text_ids(lex, &lex->side[side], text, len, ids, max, ret_n);
}

const char *
mnemo_lexicon_stem_text(const struct mnemo_lexicon *lex, enum mnemo_lexicon_side side, uint32_t id)
{
	const struct strtab *t;

	if (side != MNEMO_LEXICON_SRC && side != MNEMO_LEXICON_TGT) {
		return NULL;
	}
	t = &lex->side[side].stems;
	return id < t->n_ids ? t->buf + t->off[id] : NULL;
}

void
mnemo_lexicon_get_stats(const struct mnemo_lexicon *lex, struct mnemo_lexicon_stats *ret)
{
	*ret = lex->stats;
	ret->n_stems[0] = lex->side[0].stems.n_ids;
	ret->n_stems[1] = lex->side[1].stems.n_ids;
}

/* --- dictd files --- */

/* All of a file, plain or gzip (gzread reads both; a .dict.dz is gzip with an index of its
 * chunks in an extra field, which a whole read does not need). */
static int
read_all(const char *path, char **ret, size_t *ret_len)
{
	gzFile f;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int n, r = 0;

	f = gzopen(path, "rb");
	if (!f) {
		return errno == ENOENT ? -ENOENT : errno ? -errno : -ENOMEM;
	}
	gzbuffer(f, 128 * 1024);
	for (;;) {
		if (cap - len < 65536) {
			size_t ncap = cap ? 2 * cap : 1 << 20;
			char *p;

			if (ncap > MAX_FILE_BYTES + 65536) {
				r = -EMSGSIZE;
				break;
			}
			p = realloc(buf, ncap + 1);
			if (!p) {
				r = -ENOMEM;
				break;
			}
			buf = p;
			cap = ncap;
		}
		n = gzread(f, buf + len, (unsigned)(cap - len));
		if (n < 0) {
			r = -EIO; /* a truncated or corrupt file */
			break;
		}
		if (n == 0) {
			int err = Z_OK;

			gzerror(f, &err);
			if (err != Z_OK) {
				r = -EIO; /* a gzip stream that stops half-way */
			}
			break;
		}
		len += (size_t)n;
		if (len > MAX_FILE_BYTES) {
			r = -EMSGSIZE;
			break;
		}
	}
	gzclose(f);
	if (r < 0) {
		free(buf);
		return r;
	}
	if (!buf && !(buf = malloc(1))) {
		return -ENOMEM;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* dictd's base64 number (most significant digit first, no padding); false if malformed. */
static bool
b64_number(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;

	if (n == 0 || n > 8) { /* 48 bits: more than any file this reads */
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int d;

		if (c >= 'A' && c <= 'Z') {
			d = c - 'A';
		} else if (c >= 'a' && c <= 'z') {
			d = c - 'a' + 26;
		} else if (c >= '0' && c <= '9') {
			d = c - '0' + 52;
		} else if (c == '+') {
			d = 62;
		} else if (c == '/') {
			d = 63;
		} else {
			return false;
		}
		v = v << 6 | (uint64_t)d;
	}
	*ret = v;
	return true;
}

static bool
valid_utf8(const char *s, size_t n)
{
	const uint8_t *u = (const uint8_t *)s;
	int32_t i = 0;
	UChar32 c;

	while ((size_t)i < n) {
		U8_NEXT(u, i, (int32_t)n, c);
		if (c <= 0) {
			return false; /* invalid, or a NUL */
		}
	}
	return true;
}

/* Whether s can be a stem: stem_id() makes none empty or longer than its buffer. */
static bool
stem_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= MAX_STEM_BYTES && valid_utf8(s, n);
}

int
mnemo_lexicon_add_stems(struct mnemo_lexicon *lex, const char *src_stem, const char *tgt_stem)
{
	uint32_t src, tgt;
	int r;

	/* both checked before either is interned: a bad pair leaves no stem behind */
	if (!stem_ok(src_stem) || !stem_ok(tgt_stem)) {
		return -EINVAL;
	}
	r = strtab_get(&lex->side[0].stems, src_stem, strlen(src_stem), &src);
	if (r == 0) {
		r = strtab_get(&lex->side[1].stems, tgt_stem, strlen(tgt_stem), &tgt);
	}
	return r < 0 ? r : add_pair(lex, src, tgt);
}

/* Pairs the headword's stem with one translation (a piece of a sense line). */
static int
add_translation(struct mnemo_lexicon *lex, uint32_t head, int head_side, const char *s, size_t n,
                int *n_added)
{
	uint32_t t;
	int r;

	r = one_stem(lex, 1 - head_side, s, n, &t);
	if (r == 2) {
		lex->stats.n_phrases++;
	}
	if (r != 0) {
		return r < 0 ? r : 0;
	}
	r = head_side == 0 ? add_pair(lex, head, t) : add_pair(lex, t, head);
	if (r > 0) {
		(*n_added)++;
	}
	return r < 0 ? r : 0;
}

/* A sense line's translations: "1.  [cul] giblets, (fish) steak; offal". Commas and
 * semicolons outside brackets part them; (...) and [...] (glosses, domains) are dropped. */
static int
parse_senses(struct mnemo_lexicon *lex, uint32_t head, int head_side, const char *s, size_t n,
             int *n_added)
{
	char piece[512];
	size_t k = 0, i = 0;
	int depth = 0, r;

	while (i < n && s[i] >= '0' && s[i] <= '9') {
		i++;
	}
	if (i > 0 && i < n && s[i] == '.') {
		i++; /* a sense number */
	} else {
		i = 0;
	}
	for (; i <= n; i++) {
		char c = i < n ? s[i] : ',';

		if (c == '(' || c == '[') {
			depth++;
		} else if ((c == ')' || c == ']') && depth > 0) {
			depth--;
		} else if (depth == 0 && (c == ',' || c == ';')) {
			r = add_translation(lex, head, head_side, piece, k, n_added);
			if (r < 0) {
				return r;
			}
			k = 0;
		} else if (depth == 0 && k < sizeof(piece)) {
			piece[k++] = c;
		}
		if (k == sizeof(piece)) {
			return 0; /* no translation is this long: the line is no list */
		}
	}
	return 0;
}

/* One entry: "headword /pronunciation/ <pos>" then sense lines. Indented lines are usage
 * examples and their translations ("Il faut que" / "It is necessary that") or glosses:
 * skipped. The headword is taken from the entry, not the index, whose headwords dictfmt
 * has stripped of hyphens and spaces ("abatjour" for abat-jour). */
static int
parse_entry(struct mnemo_lexicon *lex, const char *e, size_t n, bool reverse, int *n_added)
{
	const char *nl = memchr(e, '\n', n), *end = e + n, *line;
	size_t head_len;
	uint32_t head;
	int head_side = reverse ? 1 : 0, r;

	if (!nl) {
		return 1; /* a headword and no translation */
	}
	head_len = (size_t)(nl - e);
	for (size_t i = 0; i + 1 < head_len; i++) {
		if (e[i] == ' ' && (e[i + 1] == '/' || e[i + 1] == '<')) {
			head_len = i;
			break;
		}
	}
	r = one_stem(lex, head_side, e, head_len, &head);
	if (r == 2) {
		lex->stats.n_phrases++;
	}
	if (r != 0) {
		return r < 0 ? r : 0; /* a stop word or a phrase: well formed, not wanted */
	}
	for (line = nl + 1; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl) {
			nl = end;
		}
		if (nl > line && line[0] != ' ' && line[0] != '\t') {
			r = parse_senses(lex, head, head_side, line, (size_t)(nl - line), n_added);
			if (r < 0) {
				return r;
			}
		}
	}
	return 0;
}

static int
load(struct mnemo_lexicon *lex, const char *index, size_t index_len, const char *dict,
     size_t dict_len, bool reverse)
{
	const char *line = index, *end = index + index_len, *nl;
	uint64_t last_off = UINT64_MAX;
	int n_added = 0, r;

	for (; line < end; line = nl + 1) {
		const char *t1, *t2, *t3;
		uint64_t off, len;

		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl) {
			nl = end;
		}
		t1 = memchr(line, '\t', (size_t)(nl - line));
		t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(nl - t1 - 1)) : NULL;
		if (!t2) {
			lex->stats.n_bad_entries += nl > line; /* blank lines are no entries */
			continue;
		}
		t3 = memchr(t2 + 1, '\t', (size_t)(nl - t2 - 1)); /* a fourth field is allowed */
		if (!t3) {
			t3 = nl > t2 + 1 && nl[-1] == '\r' ? nl - 1 : nl;
		}
		if (!b64_number(t1 + 1, (size_t)(t2 - t1 - 1), &off) ||
		    !b64_number(t2 + 1, (size_t)(t3 - t2 - 1), &len) || len == 0 ||
		    len > MAX_ENTRY_BYTES || off > dict_len || len > dict_len - off) {
			lex->stats.n_bad_entries++;
			continue;
		}
		/* the database's own description (00databaseinfo, 00-database-url...) */
		if (t1 - line >= 10 && memcmp(line, "00", 2) == 0 &&
		    (memcmp(line, "00database", 10) == 0 || memcmp(line, "00-database", 11) == 0)) {
			continue;
		}
		if (off == last_off) {
			continue; /* another headword of the entry just read */
		}
		last_off = off;
		if (!valid_utf8(dict + off, len)) {
			lex->stats.n_bad_entries++;
			continue;
		}
		lex->stats.n_entries++;
		r = parse_entry(lex, dict + off, len, reverse, &n_added);
		if (r < 0) {
			return r;
		}
		lex->stats.n_bad_entries += r > 0;
	}
	return n_added;
}

int
mnemo_lexicon_load_freedict(struct mnemo_lexicon *lex, const char *path_prefix, bool reverse)
{
	char *path, *index = NULL, *dict = NULL;
	size_t n = strlen(path_prefix), index_len, dict_len;
	int r;

	path = malloc(n + sizeof(".dict.dz"));
	if (!path) {
		return -ENOMEM;
	}
	memcpy(path, path_prefix, n);
	strcpy(path + n, ".index");
	r = read_all(path, &index, &index_len);
	if (r == 0) {
		strcpy(path + n, ".dict.dz");
		r = read_all(path, &dict, &dict_len);
		if (r == -ENOENT) {
			strcpy(path + n, ".dict"); /* dictd reads either */
			r = read_all(path, &dict, &dict_len);
		}
	}
	if (r == 0) {
		r = load(lex, index, index_len, dict, dict_len, reverse);
	}
	free(path);
	free(index);
	free(dict);
	return r;
}

/* --- life cycle --- */

/* "fr", "fr-CA", "en_GB" -> "fr", "en"; false for anything that is not 2 or 3 letters. */
static bool
primary_tag(const char *lang, char out[4])
{
	size_t n = 0;

	while (lang[n] && lang[n] != '-' && lang[n] != '_') {
		if (n >= 3 || !isalpha((unsigned char)lang[n])) {
			return false;
		}
		out[n] = (char)tolower((unsigned char)lang[n]);
		n++;
	}
	out[n] = '\0';
	return n >= 2;
}

static int
side_init(struct side *sd, const char *lang)
{
	UErrorCode st = U_ZERO_ERROR;

	if (!primary_tag(lang, sd->tag)) {
		return -EINVAL;
	}
	memset(&sd->lang, 0, sizeof(sd->lang));
	for (size_t i = 0; i < LEN(langs); i++) {
		if (strcmp(langs[i].tag, sd->tag) == 0) {
			sd->lang = langs[i];
		}
	}
	sd->lang.tag = sd->tag;
	for (size_t i = 1; i < sd->lang.n_stop; i++) {
		assert(strcmp(sd->lang.stop[i - 1], sd->lang.stop[i]) < 0); /* for bsearch */
	}
	/* libstemmer knows ISO 639 codes as well as names ("fr", "fra", "french") */
	sd->stemmer = sb_stemmer_new(sd->tag, "UTF_8");
	sd->brk = ubrk_open(UBRK_WORD, sd->tag, NULL, 0, &st);
	return U_FAILURE(st) ? icu_err(st) : 0;
}

static void
side_fini(struct side *sd)
{
	if (sd->stemmer) {
		sb_stemmer_delete(sd->stemmer);
	}
	if (sd->brk) {
		ubrk_close(sd->brk);
	}
	strtab_fini(&sd->stems);
	free(sd->cache.slots);
	free(sd->cache.keys);
}

int
mnemo_lexicon_new(const char *src_lang, const char *tgt_lang, struct mnemo_lexicon **ret)
{
	struct mnemo_lexicon *lex = calloc(1, sizeof(*lex));
	int r;

	if (!lex) {
		return -ENOMEM;
	}
	r = side_init(&lex->side[0], src_lang);
	if (r == 0) {
		r = side_init(&lex->side[1], tgt_lang);
	}
	if (r < 0) {
		mnemo_lexicon_free(lex);
		return r;
	}
	*ret = lex;
	return 0;
}

void
mnemo_lexicon_free(struct mnemo_lexicon *lex)
{
	if (!lex) {
		return;
	}
	side_fini(&lex->side[0]);
	side_fini(&lex->side[1]);
	for (uint32_t i = 0; i < lex->cap_trans; i++) {
		free(lex->trans[i].v);
	}
	free(lex->trans);
	free(lex->pairs);
	free(lex->text);
	free(lex);
}
