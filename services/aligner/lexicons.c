/* The aligner's lexicons: loaded once per language pair, lent to one request at a time. */
#include "lexicons.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uloc.h>

#include "log.h"

/* A lexicon keeps every stem its sentences bring, so one that has read a great many
 * documents is dropped on its return rather than grow without end. */
enum { MAX_STEMS = 2000000, MAX_PAIRS = 64, MAX_LENT = 1024 };

struct pair {
	char src[4], tgt[4]; /* ISO 639-3 */
	int state;           /* 0: never loaded, 1: has a dictionary, -1: has none */
	char name[128];
	struct mnemo_lexicon **idle;
	size_t n_idle, cap_idle;
};

struct lexicons {
	char dir[512];
	pthread_mutex_t lock;
	struct pair pairs[MAX_PAIRS];
	size_t n_pairs;
	struct {
		struct mnemo_lexicon *lex;
		struct pair *pair;
	} lent[MAX_LENT];
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
	*ret = ls;
	return 0;
}

void
lexicons_free(struct lexicons *ls)
{
	if (ls == NULL) {
		return;
	}
	for (size_t i = 0; i < ls->n_pairs; i++) {
		for (size_t k = 0; k < ls->pairs[i].n_idle; k++) {
			mnemo_lexicon_free(ls->pairs[i].idle[k]);
		}
		free(ls->pairs[i].idle);
	}
	for (size_t i = 0; i < MAX_LENT; i++) {
		mnemo_lexicon_free(ls->lent[i].lex);
	}
	pthread_mutex_destroy(&ls->lock);
	free(ls);
}

/* "fr-CA" -> "fra"; 0, or -EINVAL for a language FreeDict cannot name. */
static int
iso3(const char *tag, char out[4])
{
	const char *code = uloc_getISO3Language(tag);

	if (code == NULL || strlen(code) != 3) {
		return -EINVAL;
	}
	memcpy(out, code, 4);
	return 0;
}

/* Loads the pair's dictionaries into a new lexicon; names them the first time. Returns the
 * lexicon, or NULL when neither file exists (p->state then -1) or loading failed. */
static struct mnemo_lexicon *
load(struct lexicons *ls, struct pair *p, const char *src, const char *tgt)
{
	struct mnemo_lexicon *lex;
	char name[2][64], path[640], names[128] = "";
	int found = 0;

	if (mnemo_lexicon_new(src, tgt, &lex) < 0) {
		return NULL;
	}
	snprintf(name[0], sizeof(name[0]), "freedict-%s-%s", p->src, p->tgt);
	snprintf(name[1], sizeof(name[1]), "freedict-%s-%s", p->tgt, p->src);
	for (int reverse = 0; reverse < 2; reverse++) {
		int r;

		snprintf(path, sizeof(path), "%s/%s", ls->dir, name[reverse]);
		r = mnemo_lexicon_load_freedict(lex, path, reverse);
		if (r == -ENOENT) {
			continue;
		}
		if (r < 0) {
			mnemo_log_warn("aligner", "dictionary %s: %s; aligning %s-%s without it",
				       path, strerror(-r), src, tgt);
			mnemo_lexicon_free(lex);
			return NULL;
		}
		found++;
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 names[0] ? "+" : "", name[reverse]);
	}
	pthread_mutex_lock(&ls->lock);
	if (p->state == 0) {
		p->state = found ? 1 : -1;
		snprintf(p->name, sizeof(p->name), "%s", names);
		if (found) {
			mnemo_log_info("aligner", "%s-%s: dictionaries %s", src, tgt, names);
		}
	}
	pthread_mutex_unlock(&ls->lock);
	if (!found) {
		mnemo_lexicon_free(lex);
		return NULL;
	}
	return lex;
}

struct mnemo_lexicon *
lexicons_take(struct lexicons *ls, const char *src, const char *tgt, const char **ret_name)
{
	struct mnemo_lexicon *lex = NULL;
	struct pair *p = NULL;
	char s3[4], t3[4];
	int state = -1;

	*ret_name = "";
	if (ls->dir[0] == '\0' || iso3(src, s3) < 0 || iso3(tgt, t3) < 0) {
		return NULL;
	}
	pthread_mutex_lock(&ls->lock);
	for (size_t i = 0; i < ls->n_pairs && p == NULL; i++) {
		if (strcmp(ls->pairs[i].src, s3) == 0 && strcmp(ls->pairs[i].tgt, t3) == 0) {
			p = &ls->pairs[i];
		}
	}
	if (p == NULL && ls->n_pairs < MAX_PAIRS) {
		p = &ls->pairs[ls->n_pairs++];
		memcpy(p->src, s3, 4);
		memcpy(p->tgt, t3, 4);
	}
	if (p != NULL) {
		state = p->state;
	}
	if (state >= 0 && p->n_idle > 0) {
		lex = p->idle[--p->n_idle];
	}
	pthread_mutex_unlock(&ls->lock);
	if (state < 0) {
		return NULL;
	}
	if (lex == NULL && (lex = load(ls, p, src, tgt)) == NULL) {
		return NULL;
	}
	pthread_mutex_lock(&ls->lock);
	for (size_t i = 0; i < MAX_LENT; i++) {
		if (ls->lent[i].lex == NULL) {
			ls->lent[i].lex = lex;
			ls->lent[i].pair = p;
			*ret_name = p->name;
			pthread_mutex_unlock(&ls->lock);
			return lex;
		}
	}
	pthread_mutex_unlock(&ls->lock);
	mnemo_lexicon_free(lex); /* more requests at once than any aligner runs */
	return NULL;
}

void
lexicons_give(struct lexicons *ls, struct mnemo_lexicon *lex)
{
	struct mnemo_lexicon_stats st;
	struct pair *p = NULL;

	if (lex == NULL) {
		return;
	}
	mnemo_lexicon_get_stats(lex, &st);
	pthread_mutex_lock(&ls->lock);
	for (size_t i = 0; i < MAX_LENT && p == NULL; i++) {
		if (ls->lent[i].lex == lex) {
			p = ls->lent[i].pair;
			ls->lent[i].lex = NULL;
		}
	}
	if (p != NULL && st.n_stems[0] < MAX_STEMS && st.n_stems[1] < MAX_STEMS) {
		if (p->n_idle == p->cap_idle) {
			size_t cap = p->cap_idle ? 2 * p->cap_idle : 4;
			struct mnemo_lexicon **idle = realloc(p->idle, cap * sizeof(*idle));

			if (idle != NULL) {
				p->idle = idle;
				p->cap_idle = cap;
			}
		}
		if (p->n_idle < p->cap_idle) {
			p->idle[p->n_idle++] = lex;
			lex = NULL;
		}
	}
	pthread_mutex_unlock(&ls->lock);
	mnemo_lexicon_free(lex);
}
