/* The aligner's lexicons: loaded once per language pair, lent to one request at a time,
 * and topped up with what the pool's thread learns from the translation memory. */
#include "lexicons.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uloc.h>

#include "clock.h"
#include "log.h"
#include "tmlearn.h"

/* A lexicon keeps every stem its sentences bring, so one that has read a great many
 * documents is dropped on its return rather than grow without end. */
enum { MAX_STEMS = 2000000, MAX_PAIRS = 64, MAX_LENT = 1024 };

/* Learning reads the whole memory: a pair is learned again only once the memory's unit
 * count has moved by a tenth since it was last asked for, and by RELEARN_UNITS at least,
 * so that a small memory's every import does not start it over. */
enum { RELEARN_UNITS = 1000, RELEARN_PER = 10 };

/* One generation of a pair's learned entries, shared by the pair and the takes adding it
 * to their lexicons, which they do outside the pool's lock: there may be tens of
 * thousands. */
struct learned {
	struct tm_entries e;
	uint64_t gen; /* 1, 2...: the pair's newest is the highest */
	int refs;     /* under the pool's lock */
};

struct pair;

/* A lexicon of the pool, idle or lent, and the learned entries it has. */
struct held {
	struct mnemo_lexicon *lex;
	struct pair *pair;   /* NULL: lent outside the pool (its table was full), freed after */
	uint64_t tm_gen;     /* the newest generation added to it, 0 for none */
	uint32_t tm_entries; /* the pairs the generations added that it did not have */
};

struct pair {
	char src[4], tgt[4]; /* primary language subtags, which is all a lexicon reads: "fr" */
	int state;           /* 0: never loaded, 1: has a dictionary, -1: has none */
	char name[128];
	struct held *idle;
	size_t n_idle, cap_idle;
	/* learning from the translation memory */
	struct learned *tm; /* the newest generation, NULL before the first */
	size_t tm_units;    /* the memory's units when the pair was last asked for */
	bool tm_asked, tm_wanted, tm_learning;
};

struct lexicons {
	char dir[512];
	pthread_mutex_t lock;
	struct pair pairs[MAX_PAIRS];
	size_t n_pairs;
	struct held lent[MAX_LENT];
	/* the memory and the thread learning from it, once lexicons_set_tm ran */
	const struct mnemo_tm_index *index;
	pthread_rwlock_t *index_lock;
	pthread_cond_t wake; /* a pair is wanted, or stop is set */
	pthread_t learner;
	bool learner_started;
	atomic_int stop;
};

int
lexicons_new(const char *dict_dir, struct lexicons **ret)
{
	struct lexicons *ls = calloc(1, sizeof(*ls));

	if (ls == NULL) {
		return -ENOMEM;
	}
	snprintf(ls->dir, sizeof(ls->dir), "%s", dict_dir);
	pthread_mutex_init(&ls->lock, NULL);
	pthread_cond_init(&ls->wake, NULL);
	atomic_init(&ls->stop, 0);
	*ret = ls;
	return 0;
}

/* Under the pool's lock. */
static void
learned_unref(struct learned *t)
{
	if (t != NULL && --t->refs == 0) {
		tm_entries_fini(&t->e);
		free(t);
	}
}

void
lexicons_free(struct lexicons *ls)
{
	bool started;

	if (ls == NULL) {
		return;
	}
	pthread_mutex_lock(&ls->lock);
	atomic_store(&ls->stop, 1);
	pthread_cond_broadcast(&ls->wake);
	started = ls->learner_started;
	pthread_mutex_unlock(&ls->lock);
	if (started) {
		pthread_join(ls->learner, NULL);
	}
	for (size_t i = 0; i < ls->n_pairs; i++) {
		for (size_t k = 0; k < ls->pairs[i].n_idle; k++) {
			mnemo_lexicon_free(ls->pairs[i].idle[k].lex);
		}
		free(ls->pairs[i].idle);
		learned_unref(ls->pairs[i].tm);
	}
	for (size_t i = 0; i < MAX_LENT; i++) {
		mnemo_lexicon_free(ls->lent[i].lex);
	}
	pthread_cond_destroy(&ls->wake);
	pthread_mutex_destroy(&ls->lock);
	free(ls);
}

/* ---- learning from the translation memory ------------------------------------------ */

/* The pair the learner takes up next, or NULL: under the lock. */
static struct pair *
wanted(struct lexicons *ls)
{
	for (size_t i = 0; i < ls->n_pairs; i++) {
		if (ls->pairs[i].tm_wanted) {
			return &ls->pairs[i];
		}
	}
	return NULL;
}

/* Makes e (emptied) the pair's newest generation of learned entries. */
static int
publish(struct lexicons *ls, struct pair *p, struct tm_entries *e)
{
	struct learned *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		return -ENOMEM;
	}
	t->e = *e;
	t->refs = 1; /* the pair's */
	*e = (struct tm_entries){0};
	pthread_mutex_lock(&ls->lock);
	t->gen = p->tm != NULL ? p->tm->gen + 1 : 1;
	learned_unref(p->tm);
	p->tm = t;
	pthread_mutex_unlock(&ls->lock);
	return 0;
}

/* p's src, tgt and the memory never change once the thread runs: read without the lock. */
static void
learn(struct lexicons *ls, struct pair *p)
{
	struct tm_entries e = {0};
	uint64_t t0 = mnemo_clock_ms();
	size_t units = 0;
	uint32_t n = 0;
	int r;

	r = tmlearn_pair(ls->index, ls->index_lock, p->src, p->tgt, &ls->stop, &e, &units);
	if (r == 0) {
		n = e.n;
		r = publish(ls, p, &e);
	}
	tm_entries_fini(&e);
	if (r == 0) {
		mnemo_log_info("aligner",
			       "%s-%s: %u lexicon entries learned from %zu units of the "
			       "translation memory in %.1f s",
			       p->src, p->tgt, n, units, (double)(mnemo_clock_ms() - t0) / 1e3);
	} else if (r != -ECANCELED) {
		mnemo_log_warn("aligner", "%s-%s: learning from the translation memory failed: %s",
			       p->src, p->tgt, strerror(-r));
	}
}

static void *
learner(void *arg)
{
	struct lexicons *ls = arg;

	pthread_mutex_lock(&ls->lock);
	while (!atomic_load(&ls->stop)) {
		struct pair *p = wanted(ls);

		if (p == NULL) {
			pthread_cond_wait(&ls->wake, &ls->lock);
			continue;
		}
		p->tm_wanted = false;
		p->tm_learning = true;
		pthread_mutex_unlock(&ls->lock);
		learn(ls, p);
		pthread_mutex_lock(&ls->lock);
		p->tm_learning = false;
	}
	pthread_mutex_unlock(&ls->lock);
	return NULL;
}

int
lexicons_set_tm(struct lexicons *ls, const struct mnemo_tm_index *index,
		pthread_rwlock_t *index_lock)
{
	int r = -EALREADY;

	pthread_mutex_lock(&ls->lock);
	if (ls->index == NULL) {
		ls->index = index;
		ls->index_lock = index_lock;
		r = -pthread_create(&ls->learner, NULL, learner, ls);
		ls->learner_started = r == 0;
		if (r < 0) {
			ls->index = NULL;
			ls->index_lock = NULL;
		}
	}
	pthread_mutex_unlock(&ls->lock);
	return r;
}

/* The memory's unit count, read under its lock; false when the pool has no memory. */
static bool
tm_units(struct lexicons *ls, size_t *ret)
{
	const struct mnemo_tm_index *index;
	pthread_rwlock_t *lock;

	pthread_mutex_lock(&ls->lock);
	index = ls->index;
	lock = ls->index_lock;
	pthread_mutex_unlock(&ls->lock);
	if (index == NULL) {
		return false;
	}
	pthread_rwlock_rdlock(lock);
	*ret = mnemo_tm_index_count(index);
	pthread_rwlock_unlock(lock);
	return true;
}

/* Asks the learner for p's entries when they are stale: never asked for, or the memory
 * has moved on since (see RELEARN_UNITS). A pair being learned waits for a take after.
 * Under the lock. */
static void
ask_learning(struct lexicons *ls, struct pair *p, size_t units)
{
	size_t moved = units > p->tm_units ? units - p->tm_units : p->tm_units - units;
	size_t step = p->tm_units / RELEARN_PER;

	step = step > RELEARN_UNITS ? step : RELEARN_UNITS;
	if (p->tm_wanted || p->tm_learning || (p->tm_asked && moved < step)) {
		return;
	}
	p->tm_asked = p->tm_wanted = true;
	p->tm_units = units;
	pthread_cond_signal(&ls->wake);
}

/* Adds a generation of learned entries to a lexicon, outside the lock. An entry it cannot
 * take (out of memory) is left out: it has the others. */
static void
add_learned(struct held *h, const struct learned *t)
{
	const char *s = t->e.stems;

	for (uint32_t i = 0; i < t->e.n; i++) {
		const char *tgt = s + strlen(s) + 1;

		h->tm_entries += mnemo_lexicon_add_stems(h->lex, s, tgt) > 0;
		s = tgt + strlen(tgt) + 1;
	}
	h->tm_gen = t->gen;
}

/* ---- lending -------------------------------------------------------------------------- */

/* A tag's primary language subtag, lower case, as mnemo_lexicon_new() reads it; false when
 * it has none that a lexicon takes. */
static bool
primary(const char *tag, char out[4])
{
	size_t n = 0;

	while (tag[n] && tag[n] != '-' && tag[n] != '_') {
		if (n >= 3 || !isalpha((unsigned char)tag[n])) {
			return false;
		}
		out[n] = (char)tolower((unsigned char)tag[n]);
		n++;
	}
	out[n] = '\0';
	return n >= 2;
}

/* "fr" -> "fra"; 0, or -EINVAL for a language FreeDict cannot name. */
static int
iso3(const char *lang, char out[4])
{
	const char *code = uloc_getISO3Language(lang);

	if (code == NULL || strlen(code) != 3) {
		return -EINVAL;
	}
	memcpy(out, code, 4);
	return 0;
}

/* Loads the pair's dictionaries that exist into lex, their names into names; how many,
 * or a negative errno (logged). */
static int
load_dictionaries(struct lexicons *ls, const struct pair *p, struct mnemo_lexicon *lex,
		  char *names, size_t size)
{
	char code[2][4], name[2][64], path[640];
	int found = 0;

	if (ls->dir[0] == '\0' || iso3(p->src, code[0]) < 0 || iso3(p->tgt, code[1]) < 0) {
		return 0;
	}
	snprintf(name[0], sizeof(name[0]), "freedict-%s-%s", code[0], code[1]);
	snprintf(name[1], sizeof(name[1]), "freedict-%s-%s", code[1], code[0]);
	for (int reverse = 0; reverse < 2; reverse++) {
		int r;

		snprintf(path, sizeof(path), "%s/%s", ls->dir, name[reverse]);
		r = mnemo_lexicon_load_freedict(lex, path, reverse);
		if (r == -ENOENT) {
			continue;
		}
		if (r < 0) {
			mnemo_log_warn("aligner", "dictionary %s: %s; aligning %s-%s without it",
				       path, strerror(-r), p->src, p->tgt);
			return r;
		}
		found++;
		snprintf(names + strlen(names), size - strlen(names), "%s%s", names[0] ? "+" : "",
			 name[reverse]);
	}
	return found;
}

/* A new lexicon for the pair, with its dictionaries when it has some (named the first
 * time); an empty one when it has none. NULL when creating or loading failed (logged). */
static struct mnemo_lexicon *
load(struct lexicons *ls, struct pair *p)
{
	struct mnemo_lexicon *lex;
	char names[128] = "";
	int state, found = 0, r;

	r = mnemo_lexicon_new(p->src, p->tgt, &lex);
	if (r < 0) {
		mnemo_log_warn("aligner", "%s-%s: no lexicon: %s", p->src, p->tgt, strerror(-r));
		return NULL;
	}
	pthread_mutex_lock(&ls->lock);
	state = p->state;
	pthread_mutex_unlock(&ls->lock);
	if (state < 0) {
		return lex; /* its files were looked for once: they are not there */
	}
	found = load_dictionaries(ls, p, lex, names, sizeof(names));
	if (found < 0) {
		mnemo_lexicon_free(lex);
		return NULL;
	}
	pthread_mutex_lock(&ls->lock);
	if (p->state == 0) {
		p->state = found ? 1 : -1;
		snprintf(p->name, sizeof(p->name), "%s", names);
		if (found) {
			mnemo_log_info("aligner", "%s-%s: dictionaries %s", p->src, p->tgt, names);
		}
	}
	pthread_mutex_unlock(&ls->lock);
	return lex;
}

/* The pair of these languages, made if new; NULL when the table is full. Under the lock. */
static struct pair *
pair_of(struct lexicons *ls, const char *src, const char *tgt)
{
	struct pair *p;

	for (size_t i = 0; i < ls->n_pairs; i++) {
		if (strcmp(ls->pairs[i].src, src) == 0 && strcmp(ls->pairs[i].tgt, tgt) == 0) {
			return &ls->pairs[i];
		}
	}
	if (ls->n_pairs == MAX_PAIRS) {
		return NULL;
	}
	p = &ls->pairs[ls->n_pairs++];
	memcpy(p->src, src, 4);
	memcpy(p->tgt, tgt, 4);
	return p;
}

/* Records h as lent and lets go of the generation it took (NULL is fine). */
static struct mnemo_lexicon *
lend(struct lexicons *ls, const struct held *h, struct learned *took, const char **ret_name,
     uint32_t *ret_tm_entries)
{
	pthread_mutex_lock(&ls->lock);
	learned_unref(took);
	for (size_t i = 0; h->lex != NULL && i < MAX_LENT; i++) {
		if (ls->lent[i].lex == NULL) {
			ls->lent[i] = *h;
			*ret_name = h->pair != NULL ? h->pair->name : "";
			*ret_tm_entries = h->tm_entries;
			pthread_mutex_unlock(&ls->lock);
			return h->lex;
		}
	}
	pthread_mutex_unlock(&ls->lock);
	mnemo_lexicon_free(h->lex); /* more requests at once than any aligner runs */
	return NULL;
}

struct mnemo_lexicon *
lexicons_take(struct lexicons *ls, const char *src, const char *tgt, const char **ret_name,
	      uint32_t *ret_tm_entries)
{
	struct held h = {0};
	struct learned *took = NULL;
	struct pair *p;
	char s[4], t[4];
	size_t units = 0;
	bool has_tm;

	*ret_name = "";
	*ret_tm_entries = 0;
	if (!primary(src, s) || !primary(tgt, t)) {
		return NULL; /* no lexicon takes them */
	}
	has_tm = tm_units(ls, &units);
	pthread_mutex_lock(&ls->lock);
	p = pair_of(ls, s, t);
	if (p != NULL && p->n_idle > 0) {
		h = p->idle[--p->n_idle];
	}
	h.pair = p;
	if (p != NULL && has_tm) {
		ask_learning(ls, p, units);
	}
	if (p != NULL && p->tm != NULL && p->tm->gen > h.tm_gen) {
		took = p->tm;
		took->refs++;
	}
	pthread_mutex_unlock(&ls->lock);
	if (h.lex == NULL && p != NULL) {
		h.lex = load(ls, p);
	} else if (h.lex == NULL) {
		int r = mnemo_lexicon_new(s, t, &h.lex); /* lent once, without dictionaries */

		if (r < 0) {
			mnemo_log_warn("aligner", "%s-%s: no lexicon: %s", s, t, strerror(-r));
		}
	}
	if (h.lex != NULL && took != NULL) {
		add_learned(&h, took);
	}
	return lend(ls, &h, took, ret_name, ret_tm_entries);
}

void
lexicons_give(struct lexicons *ls, struct mnemo_lexicon *lex)
{
	struct mnemo_lexicon_stats st;
	struct held h = {0};

	if (lex == NULL) {
		return;
	}
	mnemo_lexicon_get_stats(lex, &st);
	pthread_mutex_lock(&ls->lock);
	for (size_t i = 0; i < MAX_LENT && h.lex == NULL; i++) {
		if (ls->lent[i].lex == lex) {
			h = ls->lent[i];
			ls->lent[i] = (struct held){0};
		}
	}
	if (h.pair != NULL && st.n_stems[0] < MAX_STEMS && st.n_stems[1] < MAX_STEMS) {
		struct pair *p = h.pair;

		if (p->n_idle == p->cap_idle) {
			size_t cap = p->cap_idle ? 2 * p->cap_idle : 4;
			struct held *idle = realloc(p->idle, cap * sizeof(*idle));

			if (idle != NULL) {
				p->idle = idle;
				p->cap_idle = cap;
			}
		}
		if (p->n_idle < p->cap_idle) {
			p->idle[p->n_idle++] = h;
			lex = NULL;
		}
	}
	pthread_mutex_unlock(&ls->lock);
	mnemo_lexicon_free(lex);
}
