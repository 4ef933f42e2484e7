/* mnemo-tmref: the exhaustive reference of the translation-memory benchmark. For every
 * query, the best mnemo_tm_score() over every unit of the memory (its first --units units)
 * whose target language is the query's, and the units that reach it.
 *
 * Scoring each query against each unit with mnemo_tm_score() would take 3,600 x 1,000,000
 * calls of a few microseconds: hours. This gives the same answer faster, exactly:
 *
 * 1. Units share source texts (one English msgid, four languages), so each distinct source
 *    is scored once, for every unit that has it.
 * 2. The sources are tokenised here as score.c does it (ICU word break iterator over the
 *    UTF-8, a token is a word unless ICU calls it none and all its characters are white
 *    space, controls, format characters or punctuation; a word's identity is its NFC form
 *    case-folded) and an inverted index counts, per source, the words it shares with the
 *    query (as multisets): c. The word edit distance is at least max(n, m) - c, so
 *    floor(100 c / max(n, m)) bounds mnemo_tm_score() from above (100 only if the words
 *    are the same; a source sharing no word scores 0).
 * 3. Sources are taken by bound, highest first, until the bound falls below the best
 *    score found: none left can reach it. Each is scored with the word-level formula on
 *    the tokens of step 2 (the same as mnemo_tm_score()'s when the tokens are, and 100 for
 *    the same words, which mnemo_tm_score() turns into 97-100); those that can still reach
 *    the best are scored with mnemo_tm_score() itself, and that is the score kept.
 *
 * Steps 2-3 rely on the tokens here being score.c's. Every call of mnemo_tm_score() checks
 * it (a score above this file's, or other than it below 97, is counted as a mismatch and
 * reported), and --brute scores every query against every unit with mnemo_tm_score() alone
 * and compares the two answers (bench/tm/run does so at its smallest size).
 *
 * Output, one line per query: qid, best score, units reaching it (when the best is above
 * 0), the first 10 of them (ids, comma-separated), sources scored by mnemo_tm_score(); then
 * a "#" line of totals. */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "tm-internal.h"
#include "tm.h"
#include "tmdata.h"

enum { UNKNOWN = UINT32_MAX, MAX_LANGS = 16, MAX_LISTED = 10 };

static void
die(const char *msg)
{
	fprintf(stderr, "mnemo-tmref: %s\n", msg);
	exit(1);
}

static void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		die("out of memory");
	}
	return p;
}

/* ---- words: mnemo_tm_tokenize()'s word ids, numbered densely ----------------------------- */

struct vocab {
	uint64_t *keys;
	uint32_t *vals; /* word + 1, 0 free */
	uint32_t mask, n;
};

static uint32_t
vocab_cell(const struct vocab *v, uint64_t id)
{
	uint32_t i = (uint32_t)(id ^ (id >> 29) ^ (id >> 47)) & v->mask;

	while (v->vals[i] && v->keys[i] != id) {
		i = (i + 1) & v->mask;
	}
	return i;
}

static uint32_t
vocab_find(const struct vocab *v, uint64_t id)
{
	uint32_t i = vocab_cell(v, id);

	return v->vals[i] ? v->vals[i] - 1 : UNKNOWN;
}

static uint32_t
vocab_add(struct vocab *v, uint64_t id)
{
	uint32_t i;

	if (!v->vals || 4 * ((uint64_t)v->n + 1) > 3 * ((uint64_t)v->mask + 1)) {
		struct vocab g = {.mask = v->vals ? 2 * v->mask + 1 : (1u << 16) - 1, .n = v->n};

		g.keys = calloc((size_t)g.mask + 1, sizeof(*g.keys));
		g.vals = calloc((size_t)g.mask + 1, sizeof(*g.vals));
		if (!g.keys || !g.vals) {
			die("out of memory");
		}
		for (uint32_t k = 0; v->vals && k <= v->mask; k++) {
			if (v->vals[k]) {
				uint32_t c = vocab_cell(&g, v->keys[k]);

				g.keys[c] = v->keys[k];
				g.vals[c] = v->vals[k];
			}
		}
		free(v->keys);
		free(v->vals);
		*v = g;
	}
	i = vocab_cell(v, id);
	if (!v->vals[i]) {
		v->keys[i] = id;
		v->vals[i] = ++v->n;
	}
	return v->vals[i] - 1;
}

/* The words of s[0..len) by mnemo_tm_tokenize(), in t->words (score.c's ids), and as dense
 * ids in *dense: added to v when add, else UNKNOWN for words v lacks (no source has them,
 * so they match nothing). */
struct tokenizer {
	struct mnemo_tm_tokens t;
	uint32_t *dense;
	size_t cap_dense;
};

static void
tokenize(struct tokenizer *tk, const char *s, size_t len, struct vocab *v, bool add)
{
	int r = mnemo_tm_tokenize(s, len, &tk->t);

	if (r < 0) {
		die("mnemo_tm_tokenize failed");
	}
	if (tk->t.n_words > tk->cap_dense) {
		tk->cap_dense = 2 * tk->t.n_words;
		tk->dense = xrealloc(tk->dense, tk->cap_dense * sizeof(*tk->dense));
	}
	for (size_t k = 0; k < tk->t.n_words; k++) {
		tk->dense[k] = add ? vocab_add(v, tk->t.words[k]) : vocab_find(v, tk->t.words[k]);
	}
}

static void
tokenizer_init(struct tokenizer *tk)
{
	memset(tk, 0, sizeof(*tk));
	mnemo_tm_tokens_init(&tk->t);
}

static void
tokenizer_fini(struct tokenizer *tk)
{
	mnemo_tm_tokens_fini(&tk->t);
	free(tk->dense);
}

/* ---- the memory as distinct sources --------------------------------------------------- */

struct source {
	const char *text;
	size_t len;
	size_t word_off; /* in mem.words */
	uint32_t n_words;
	uint32_t langs;      /* bit per target language that some unit of this source has */
	uint32_t first_unit; /* index into data.units; next_unit chains the others */
};

struct posting {
	uint32_t source;
	uint32_t count;
};

struct memory {
	struct tm_data data;
	char langs[MAX_LANGS][8];
	int n_langs;
	uint8_t *unit_lang;
	uint32_t *next_unit; /* UINT32_MAX ends a chain */
	struct source *sources;
	uint32_t n_sources;
	uint32_t *words;   /* dense ids, for the postings */
	uint64_t *words64; /* score.c's ids, for mnemo_tm_score_words() */
	size_t n_words;
	struct vocab vocab;
	size_t *post_off; /* word w: posts[post_off[w] .. post_off[w + 1]) */
	struct posting *posts;
	uint32_t *zero_word; /* sources without words */
	uint32_t n_zero_word;
	uint32_t max_source_words;
};

static int
lang_index(struct memory *m, const char *tag, bool add)
{
	for (int i = 0; i < m->n_langs; i++) {
		if (strcmp(m->langs[i], tag) == 0) {
			return i;
		}
	}
	if (!add) {
		return -1;
	}
	if (m->n_langs == MAX_LANGS) {
		die("too many target languages");
	}
	snprintf(m->langs[m->n_langs], 8, "%s", tag);
	return m->n_langs++;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
build_memory(struct memory *m)
{
	struct tm_data *d = &m->data;
	struct tokenizer tok;
	uint32_t *table, mask, cap_sources = 0;
	size_t cap_words = 0;

	for (mask = 1; mask < 2 * d->n_units + 16; mask <<= 1) {
	}
	table = calloc(mask, sizeof(*table));
	mask--;
	m->unit_lang = xrealloc(NULL, d->n_units);
	m->next_unit = xrealloc(NULL, d->n_units * sizeof(*m->next_unit));
	tokenizer_init(&tok);
	for (size_t i = 0; i < d->n_units; i++) {
		const struct tm_unit *u = &d->units[i];
		uint64_t h = mnemo_fnv1a64(MNEMO_FNV_OFFSET, u->source, u->source_len);
		uint32_t cell;
		int lang = lang_index(m, u->tgt_lang, true);

		if (strcmp(u->src_lang, d->units[0].src_lang) != 0) {
			die("units of more than one source language");
		}
		m->unit_lang[i] = (uint8_t)lang;
		for (cell = (uint32_t)(h ^ (h >> 31)) & mask; table[cell]; cell = (cell + 1) & mask) {
			const struct source *s = &m->sources[table[cell] - 1];

			if (s->len == u->source_len && memcmp(s->text, u->source, s->len) == 0) {
				break;
			}
		}
		if (!table[cell]) {
			struct source *s;

			if (m->n_sources == cap_sources) {
				cap_sources = 2 * cap_sources + 4096;
				m->sources = xrealloc(m->sources, cap_sources * sizeof(*m->sources));
			}
			s = &m->sources[m->n_sources];
			table[cell] = ++m->n_sources;
			*s = (struct source){.text = u->source, .len = u->source_len,
			                     .word_off = m->n_words, .first_unit = UINT32_MAX};
			tokenize(&tok, u->source, u->source_len, &m->vocab, true);
			size_t nw = tok.t.n_words;

			if (m->n_words + nw > cap_words) {
				cap_words = 2 * (m->n_words + nw) + 65536;
				m->words = xrealloc(m->words, cap_words * sizeof(*m->words));
				m->words64 = xrealloc(m->words64, cap_words * sizeof(*m->words64));
			}
			memcpy(m->words + m->n_words, tok.dense, nw * sizeof(*tok.dense));
			memcpy(m->words64 + m->n_words, tok.t.words, nw * sizeof(*tok.t.words));
			m->n_words += nw;
			s->n_words = (uint32_t)nw;
			if (s->n_words > m->max_source_words) {
				m->max_source_words = s->n_words;
			}
		}
		struct source *s = &m->sources[table[cell] - 1];
		s->langs |= 1u << lang;
		m->next_unit[i] = s->first_unit; /* chains are in decreasing unit order */
		s->first_unit = (uint32_t)i;
	}
	tokenizer_fini(&tok);
	free(table);

	/* Postings: (source, count) per distinct word of each source. */
	m->post_off = calloc((size_t)m->vocab.n + 1, sizeof(*m->post_off));
	uint32_t *tmp = xrealloc(NULL, (m->max_source_words + 1) * sizeof(*tmp));
	for (int pass = 0; pass < 2; pass++) {
		size_t *fill = NULL;

		if (pass == 1) {
			for (uint32_t w = 0; w < m->vocab.n; w++) {
				m->post_off[w + 1] += m->post_off[w];
			}
			m->posts = xrealloc(NULL, (m->post_off[m->vocab.n] + 1) * sizeof(*m->posts));
			fill = xrealloc(NULL, ((size_t)m->vocab.n + 1) * sizeof(*fill));
			memcpy(fill, m->post_off, ((size_t)m->vocab.n + 1) * sizeof(*fill));
		}
		for (uint32_t si = 0; si < m->n_sources; si++) {
			const struct source *s = &m->sources[si];

			memcpy(tmp, m->words + s->word_off, s->n_words * sizeof(*tmp));
			qsort(tmp, s->n_words, sizeof(*tmp), cmp_u32);
			for (uint32_t k = 0; k < s->n_words;) {
				uint32_t j = k;

				while (j < s->n_words && tmp[j] == tmp[k]) {
					j++;
				}
				if (pass == 0) {
					m->post_off[tmp[k] + 1]++;
				} else {
					m->posts[fill[tmp[k]]++] = (struct posting){si, j - k};
				}
				k = j;
			}
		}
		free(fill);
	}
	free(tmp);
	for (uint32_t si = 0; si < m->n_sources; si++) {
		if (m->sources[si].n_words == 0) {
			m->zero_word = xrealloc(m->zero_word, (m->n_zero_word + 1) * sizeof(uint32_t));
			m->zero_word[m->n_zero_word++] = si;
		}
	}
}

/* ---- per query ------------------------------------------------------------------------ */

struct result {
	uint32_t best;
	uint32_t n_units;
	uint32_t listed[MAX_LISTED];
	uint32_t n_listed;
	uint64_t n_scored;    /* mnemo_tm_score() calls */
	uint64_t n_mismatch; /* this file's score disagreed with mnemo_tm_score() */
	uint32_t brute_best;  /* --brute */
	uint32_t brute_n_units;
};

struct worker {
	struct memory *m;
	struct result *results;
	atomic_size_t *next;
	bool brute;
	struct tokenizer tok;
	uint16_t *common;
	uint32_t *touched;
	uint32_t **bucket;
	uint32_t n_bucket[101], cap_bucket[101];
	struct mnemo_tm_dp dp;
	uint32_t *ties;
	uint32_t n_ties, cap_ties;
};

static void
add_tie(struct worker *w, uint32_t si, uint32_t score, uint32_t *best)
{
	if (score > *best) {
		*best = score;
		w->n_ties = 0;
	}
	if (score == *best && score > 0) {
		if (w->n_ties == w->cap_ties) {
			w->cap_ties = 2 * w->cap_ties + 64;
			w->ties = xrealloc(w->ties, w->cap_ties * sizeof(*w->ties));
		}
		w->ties[w->n_ties++] = si;
	}
}

/* The units of the tied sources that have the query's target language: how many, and the
 * lowest ids. */
static void
list_units(struct worker *w, int lang, struct result *r)
{
	struct memory *m = w->m;

	r->n_units = 0;
	r->n_listed = 0;
	for (uint32_t t = 0; t < w->n_ties; t++) {
		for (uint32_t u = m->sources[w->ties[t]].first_unit; u != UINT32_MAX;
		     u = m->next_unit[u]) {
			if (m->unit_lang[u] != lang) {
				continue;
			}
			r->n_units++;
			uint32_t id = m->data.units[u].id, k = r->n_listed;

			if (k < MAX_LISTED) {
				r->n_listed++;
			} else if (id < r->listed[MAX_LISTED - 1]) {
				k = MAX_LISTED - 1;
			} else {
				continue;
			}
			while (k > 0 && r->listed[k - 1] > id) {
				r->listed[k] = r->listed[k - 1];
				k--;
			}
			r->listed[k] = id;
		}
	}
}

static void
run_query(struct worker *w, const struct tm_query *q, struct result *r)
{
	struct memory *m = w->m;
	int lang = lang_index(m, q->tgt_lang, false);
	uint32_t bit = lang >= 0 ? 1u << lang : 0, best = 0, n_touched = 0, *qw;
	size_t nq;

	memset(r, 0, sizeof(*r));
	w->n_ties = 0;
	if (lang < 0 || strcmp(q->src_lang, m->data.units[0].src_lang) != 0) {
		return; /* no unit has this pair of languages */
	}
	tokenize(&w->tok, q->text, q->len, &m->vocab, false);
	qw = w->tok.dense;
	nq = w->tok.t.n_words;
	if (nq == 0) {
		/* Only the same key scores above 0. */
		for (uint32_t k = 0; k < m->n_zero_word; k++) {
			const struct source *s = &m->sources[m->zero_word[k]];

			if (s->langs & bit) {
				uint32_t sc = mnemo_tm_score(q->text, q->len, s->text, s->len);

				r->n_scored++;
				add_tie(w, m->zero_word[k], sc, &best);
			}
		}
	} else {
		uint32_t *sorted = xrealloc(NULL, nq * sizeof(*sorted));

		memcpy(sorted, qw, nq * sizeof(*sorted));
		qsort(sorted, nq, sizeof(*sorted), cmp_u32);
		for (size_t k = 0; k < nq;) {
			size_t j = k;

			while (j < nq && sorted[j] == sorted[k]) {
				j++;
			}
			if (sorted[k] != UNKNOWN) {
				uint32_t c = (uint32_t)(j - k);

				for (size_t p = m->post_off[sorted[k]]; p < m->post_off[sorted[k] + 1]; p++) {
					const struct posting *po = &m->posts[p];

					if (!(m->sources[po->source].langs & bit)) {
						continue;
					}
					if (w->common[po->source] == 0) {
						w->touched[n_touched++] = po->source;
					}
					w->common[po->source] += (uint16_t)(po->count < c ? po->count : c);
				}
			}
			k = j;
		}
		free(sorted);
		for (int b = 0; b <= 100; b++) {
			w->n_bucket[b] = 0;
		}
		for (uint32_t k = 0; k < n_touched; k++) {
			uint32_t si = w->touched[k], c = w->common[si], ns = m->sources[si].n_words;
			uint32_t big = ns > nq ? ns : (uint32_t)nq, ub = (uint32_t)(100 * (uint64_t)c / big);

			w->common[si] = 0;
			if (w->n_bucket[ub] == w->cap_bucket[ub]) {
				w->cap_bucket[ub] = 2 * w->cap_bucket[ub] + 256;
				w->bucket[ub] = xrealloc(w->bucket[ub], w->cap_bucket[ub] * sizeof(uint32_t));
			}
			w->bucket[ub][w->n_bucket[ub]++] = si;
		}
		for (int b = 100; b >= 1 && (uint32_t)b >= best; b--) {
			for (uint32_t k = 0; k < w->n_bucket[b]; k++) {
				uint32_t si = w->bucket[b][k];
				const struct source *s = &m->sources[si];
				uint32_t mine, sc;

				/* Exact when at least best, below best otherwise. */
				if (mnemo_tm_score_words(w->tok.t.words, nq, m->words64 + s->word_off,
				                         s->n_words, best, &w->dp, &mine) < 0) {
					die("out of memory");
				}
				if (mine < best) {
					continue;
				}
				sc = mnemo_tm_score(q->text, q->len, s->text, s->len);
				r->n_scored++;
				if (sc > mine) {
					r->n_mismatch++;
					if (r->n_mismatch == 1) {
						fprintf(stderr,
						        "mnemo-tmref: query %u: score %u here, %u by "
						        "mnemo_tm_score, for unit source \"%.80s\"\n",
						        q->qid, mine, sc, s->text);
					}
				}
				add_tie(w, si, sc, &best);
			}
		}
	}
	r->best = best;
	list_units(w, lang, r);

	if (w->brute) {
		uint32_t bbest = 0;

		w->n_ties = 0;
		for (uint32_t si = 0; si < m->n_sources; si++) {
			const struct source *s = &m->sources[si];

			if (s->langs & bit) {
				add_tie(w, si, mnemo_tm_score(q->text, q->len, s->text, s->len), &bbest);
			}
		}
		struct result br;
		list_units(w, lang, &br);
		r->brute_best = bbest;
		r->brute_n_units = bbest ? br.n_units : 0;
	}
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct memory *m = w->m;

	tokenizer_init(&w->tok);
	w->common = calloc(m->n_sources + 1, sizeof(*w->common));
	w->touched = xrealloc(NULL, (m->n_sources + 1) * sizeof(*w->touched));
	w->bucket = calloc(101, sizeof(*w->bucket));
	if (!w->common || !w->bucket) {
		die("out of memory");
	}
	for (;;) {
		size_t i = atomic_fetch_add(w->next, 1);

		if (i >= m->data.n_queries) {
			break;
		}
		run_query(w, &m->data.queries[i], &w->results[i]);
	}
	tokenizer_fini(&w->tok);
	free(w->common);
	free(w->touched);
	for (int b = 0; b <= 100; b++) {
		free(w->bucket[b]);
	}
	free(w->bucket);
	mnemo_tm_dp_fini(&w->dp);
	free(w->ties);
	return NULL;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: mnemo-tmref --memory FILE --units N --out FILE [--threads N] [--brute] "
	           "QUERIES.tsv...\n"
	           "The best mnemo_tm_score() of each query over the first N units of the memory "
	           "(see the header of bench/tm/reference.c).\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"memory", required_argument, NULL, 'm'}, {"units", required_argument, NULL, 'n'},
	        {"out", required_argument, NULL, 'o'},    {"threads", required_argument, NULL, 't'},
	        {"brute", no_argument, NULL, 'b'},        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0}};
	const char *memory = NULL, *out = NULL;
	size_t n_units = 0;
	int n_threads = 2, c;
	bool brute = false;
	struct memory m = {0};

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm': memory = optarg; break;
		case 'n': n_units = strtoul(optarg, NULL, 10); break;
		case 'o': out = optarg; break;
		case 't': n_threads = atoi(optarg); break;
		case 'b': brute = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!memory || !out || optind == argc || n_threads < 1) {
		usage(stderr);
		return 2;
	}
	double t0 = tm_now_s();
	tm_load_memory(&m.data, memory, n_units);
	for (int i = optind; i < argc; i++) {
		tm_load_queries(&m.data, argv[i]);
	}
	build_memory(&m);
	double t1 = tm_now_s();
	fprintf(stderr, "mnemo-tmref: %zu units, %u distinct sources, %u distinct words, %zu queries; "
	                "tokenised in %.1f s\n",
	        m.data.n_units, m.n_sources, m.vocab.n, m.data.n_queries, t1 - t0);

	struct result *results = calloc(m.data.n_queries, sizeof(*results));
	struct worker *workers = calloc((size_t)n_threads, sizeof(*workers));
	pthread_t *th = calloc((size_t)n_threads, sizeof(*th));
	atomic_size_t next = 0;
	for (int i = 0; i < n_threads; i++) {
		workers[i] = (struct worker){.m = &m, .results = results, .next = &next, .brute = brute};
		pthread_create(&th[i], NULL, work, &workers[i]);
	}
	for (int i = 0; i < n_threads; i++) {
		pthread_join(th[i], NULL);
	}
	double t2 = tm_now_s();

	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	FILE *f = fopen(tmp, "w");
	uint64_t n_scored = 0, n_mismatch = 0, brute_differ = 0;
	if (!f) {
		die("cannot write the output");
	}
	for (size_t i = 0; i < m.data.n_queries; i++) {
		const struct result *r = &results[i];

		fprintf(f, "%u\t%u\t%u\t", m.data.queries[i].qid, r->best, r->best ? r->n_units : 0);
		for (uint32_t k = 0; k < r->n_listed; k++) {
			fprintf(f, "%s%u", k ? "," : "", r->listed[k]);
		}
		fprintf(f, "\t%llu\n", (unsigned long long)r->n_scored);
		n_scored += r->n_scored;
		n_mismatch += r->n_mismatch;
		if (brute && (r->brute_best != r->best || r->brute_n_units != (r->best ? r->n_units : 0))) {
			brute_differ++;
			if (brute_differ <= 5) {
				fprintf(stderr, "mnemo-tmref: query %u: best %u (%u units), brute force %u (%u)\n",
				        m.data.queries[i].qid, r->best, r->n_units, r->brute_best,
				        r->brute_n_units);
			}
		}
	}
	fprintf(f, "# units %zu queries %zu seconds %.1f scored %llu mismatches %llu", m.data.n_units,
	        m.data.n_queries, t2 - t1, (unsigned long long)n_scored, (unsigned long long)n_mismatch);
	if (brute) {
		fprintf(f, " brute-force-differs %llu", (unsigned long long)brute_differ);
	}
	fprintf(f, "\n");
	if (fclose(f) != 0 || rename(tmp, out) != 0) {
		die("cannot write the output");
	}
	fprintf(stderr, "mnemo-tmref: %zu queries in %.1f s on %d threads; %llu mnemo_tm_score calls, "
	                "%llu mismatches%s",
	        m.data.n_queries, t2 - t1, n_threads, (unsigned long long)n_scored,
	        (unsigned long long)n_mismatch, brute ? "" : "\n");
	if (brute) {
		fprintf(stderr, "; brute force differs on %llu queries\n",
		        (unsigned long long)brute_differ);
	}
	return n_mismatch || brute_differ ? 1 : 0;
}
