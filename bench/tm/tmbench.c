/* mnemo-tmbench: one size of the translation-memory benchmark (bench/tm/README.md).
 *
 * With the first --units units of the memory and the query sets:
 *   1. import into mnemo's index: mnemo_tm_index_put() of every unit, timed (the index's
 *      build time and units/s), with the process's RSS and malloc's bytes in use before
 *      and after (the index's memory) and the peak RSS meanwhile;
 *   2. every query through mnemo_tm_index_lookup() (en -> the query's target language,
 *      --min-score, --max), each timed alone; the first match's score against the
 *      reference's best (recall@1), and checked against mnemo_tm_score();
 *   3. the index freed, import into SQLite: a plain table in one transaction; then the
 *      same with an FTS5 trigram index over the sources (and a B-tree index for exact
 *      lookups), the peer's database;
 *   4. every query through the peer: exact lookup by text, then candidates from FTS5 (the
 *      query's words of 3 characters or more, each a quoted phrase, OR'd, best bm25 rank
 *      first, --fts-candidates of them), scored with mnemo_tm_score(), best first.
 * Lookups run one at a time on the calling thread (run pins the process to one CPU). A
 * set stops once its lookups took --set-budget-s in all (the rest are reported as not
 * run); a peer lookup is interrupted after --fts-timeout-ms (a timeout, no match).
 *
 * Prints tab-separated records on stdout, which run turns into tables:
 *   build  N mnemo seconds units/s rss-before-MiB rss-after-MiB heap-delta-MiB peak-rss-MiB
 *   import N ENGINE seconds units/s database-MiB
 *   lookup N ENGINE SET queries run p50-ms p99-ms mean-ms ref>=60 hits>=60 timeouts bad-scores
 * and, with --lookups-out PREFIX, one line per lookup in PREFIX-ENGINE.tsv: qid, set,
 * milliseconds, first match's score (0: none), the reference's best, matches returned. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "tm.h"
#include "tmdata.h"

struct options {
	const char *memory, *ref, *db_dir, *lookups_out;
	size_t n_units;
	uint32_t min_score, max;
	double set_budget_s;
	int fts_timeout_ms, fts_candidates;
	bool mnemo, sqlite;
};

struct lookup_stats {
	double *ms;
	size_t n_run;
	size_t n_ref60, n_hit60, n_timeout, n_bad;
};

static void
die(const char *what, const char *detail)
{
	fprintf(stderr, "mnemo-tmbench: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	exit(1);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of n sorted values. */
static double
percentile(const double *v, size_t n, double p)
{
	size_t k;

	if (n == 0) {
		return 0;
	}
	k = (size_t)(p / 100.0 * (double)n + 0.999999);
	k = k < 1 ? 1 : k > n ? n : k;
	return v[k - 1];
}

static void
print_lookup(const struct options *o, const char *engine, enum tm_set set, size_t n_queries,
             struct lookup_stats *s)
{
	double sum = 0;

	qsort(s->ms, s->n_run, sizeof(*s->ms), cmp_double);
	for (size_t i = 0; i < s->n_run; i++) {
		sum += s->ms[i];
	}
	printf("lookup\t%zu\t%s\t%s\t%zu\t%zu\t%.3f\t%.3f\t%.3f\t%zu\t%zu\t%zu\t%zu\n", o->n_units,
	       engine, tm_set_names[set], n_queries, s->n_run, percentile(s->ms, s->n_run, 50),
	       percentile(s->ms, s->n_run, 99), s->n_run ? sum / (double)s->n_run : 0, s->n_ref60,
	       s->n_hit60, s->n_timeout, s->n_bad);
	fflush(stdout);
}

static FILE *
open_lookups(const struct options *o, const char *engine)
{
	char path[4096];
	FILE *f;

	if (!o->lookups_out) {
		return NULL;
	}
	snprintf(path, sizeof(path), "%s-%s.tsv", o->lookups_out, engine);
	f = fopen(path, "w");
	if (!f) {
		die("cannot write", path);
	}
	return f;
}

struct tm_match_out {
	uint32_t n;
	uint32_t score[100];
	uint64_t unit[100];
	const char *source[100];
};

/* A lookup engine: returns the number of matches in out (best first) or -1 on timeout. */
typedef int (*lookup_fn)(void *ctx, const struct tm_query *q, struct tm_match_out *out);

static void
run_lookups(const struct options *o, const struct tm_data *d, const char *engine, lookup_fn fn,
            void *ctx)
{
	FILE *lf = open_lookups(o, engine);
	struct tm_match_out *out = malloc(sizeof(*out));

	/* Warm-up, untimed: caches, the break iterator, SQLite's page cache. */
	for (size_t i = 0; i < d->n_queries && i < 50; i++) {
		fn(ctx, &d->queries[(i * 7919) % d->n_queries], out);
	}
	for (int set = 0; set < N_SETS; set++) {
		struct lookup_stats s = {0};
		size_t n_queries = 0;
		double spent = 0;

		s.ms = malloc((d->n_queries + 1) * sizeof(*s.ms));
		for (size_t i = 0; i < d->n_queries; i++) {
			const struct tm_query *q = &d->queries[i];
			double t0, ms;
			int n;
			uint32_t top;

			if (q->set != (enum tm_set)set) {
				continue;
			}
			n_queries++;
			if (spent >= o->set_budget_s) {
				continue;
			}
			t0 = tm_now_s();
			n = fn(ctx, q, out);
			ms = (tm_now_s() - t0) * 1000.0;
			spent += ms / 1000.0;
			s.ms[s.n_run++] = ms;
			top = n > 0 ? out->score[0] : 0;
			if (n < 0) {
				s.n_timeout++;
			}
			if (n > 0 && mnemo_tm_score(q->text, q->len, out->source[0],
			                            strlen(out->source[0])) != top) {
				s.n_bad++;
			}
			if (q->ref_best >= 60) {
				s.n_ref60++;
				s.n_hit60 += top == (uint32_t)q->ref_best;
			}
			if (lf) {
				fprintf(lf, "%u\t%s\t%.3f\t%u\t%d\t%d\n", q->qid, tm_set_names[set], ms,
				        top, q->ref_best, n);
			}
		}
		print_lookup(o, engine, (enum tm_set)set, n_queries, &s);
		free(s.ms);
	}
	free(out);
	if (lf) {
		fclose(lf);
	}
}

/* ---- mnemo's index ----------------------------------------------------------------------- */

struct mnemo_ctx {
	struct mnemo_tm_index *idx;
	const struct options *o;
	struct mnemo_tm_match *m;
};

static int
mnemo_lookup(void *arg, const struct tm_query *q, struct tm_match_out *out)
{
	struct mnemo_ctx *c = arg;
	struct mnemo_tm_query mq = {
		.source = q->src_lang,
		.target = q->tgt_lang,
		.text = q->text,
		.len = q->len,
		.min_score = c->o->min_score,
		.max = c->o->max,
	};
	int n = mnemo_tm_index_lookup(c->idx, &mq, c->m);

	if (n < 0) {
		fprintf(stderr, "mnemo-tmbench: lookup of query %u: %s\n", q->qid, strerror(-n));
		n = 0;
	}
	out->n = (uint32_t)n;
	for (int i = 0; i < n; i++) {
		out->score[i] = c->m[i].score;
		out->unit[i] = c->m[i].unit;
		out->source[i] = c->m[i].source;
	}
	return n;
}

static void
bench_mnemo(const struct options *o, const struct tm_data *d)
{
	struct mnemo_ctx c = {.o = o};
	long rss0, rss1, hwm;
	size_t heap0, heap1;
	double t0, t1;
	int r;

	c.m = calloc(o->max, sizeof(*c.m));
	tm_reset_peak_rss();
	rss0 = tm_rss_kib("VmRSS:");
	heap0 = tm_heap_bytes();
	t0 = tm_now_s();
	r = mnemo_tm_index_new(&c.idx);
	for (size_t i = 0; i < d->n_units && r == 0; i++) {
		const struct tm_unit *u = &d->units[i];
		struct mnemo_tm_variant v[2] = {{.lang = u->src_lang, .text = u->source},
		                                {.lang = u->tgt_lang, .text = u->target}};

		r = mnemo_tm_index_put(c.idx, u->id, u->id, NULL, v, 2);
	}
	t1 = tm_now_s();
	if (r < 0) {
		die("mnemo_tm_index_put", strerror(-r));
	}
	rss1 = tm_rss_kib("VmRSS:");
	hwm = tm_rss_kib("VmHWM:");
	heap1 = tm_heap_bytes();
	printf("build\t%zu\tmnemo\t%.3f\t%.0f\t%.1f\t%.1f\t%.1f\t%.1f\n", o->n_units, t1 - t0,
	       (double)d->n_units / (t1 - t0), rss0 / 1024.0, rss1 / 1024.0,
	       ((double)heap1 - (double)heap0) / 1048576.0, hwm / 1024.0);
	fflush(stdout);
	if (mnemo_tm_index_count(c.idx) != d->n_units) {
		die("the index does not count every unit", NULL);
	}
	run_lookups(o, d, "mnemo", mnemo_lookup, &c);
	mnemo_tm_index_free(c.idx);
	free(c.m);
}

/* ---- SQLite -------------------------------------------------------------------------------- */

static void
exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		die(sql, err);
	}
}

static sqlite3 *
open_db(const char *path)
{
	sqlite3 *db;
	char wal[4200], shm[4200];

	snprintf(wal, sizeof(wal), "%s-wal", path);
	snprintf(shm, sizeof(shm), "%s-shm", path);
	unlink(path);
	unlink(wal);
	unlink(shm);
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		die("cannot open", path);
	}
	/* The store's settings (services/store/db.c). */
	exec(db, "PRAGMA journal_mode = WAL");
	exec(db, "PRAGMA synchronous = FULL");
	exec(db, "PRAGMA cache_size = -65536");
	return db;
}

static double
file_mib(const char *path)
{
	struct stat st;
	char wal[4200];
	double n = 0;

	if (stat(path, &st) == 0) {
		n += (double)st.st_size;
	}
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (stat(wal, &st) == 0) {
		n += (double)st.st_size;
	}
	return n / 1048576.0;
}

static void
insert_units(sqlite3 *db, const struct tm_data *d, bool fts)
{
	sqlite3_stmt *ins, *ins_fts = NULL;

	if (sqlite3_prepare_v2(db, "INSERT INTO units VALUES (?1, ?2, ?3, ?4, ?5)", -1, &ins,
	                       NULL) != SQLITE_OK ||
	    (fts && sqlite3_prepare_v2(db, "INSERT INTO fts(rowid, source) VALUES (?1, ?2)", -1,
	                               &ins_fts, NULL) != SQLITE_OK)) {
		die("prepare", sqlite3_errmsg(db));
	}
	exec(db, "BEGIN");
	for (size_t i = 0; i < d->n_units; i++) {
		const struct tm_unit *u = &d->units[i];

		sqlite3_bind_int64(ins, 1, u->id);
		sqlite3_bind_text(ins, 2, u->src_lang, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, u->tgt_lang, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, u->source, (int)u->source_len, SQLITE_STATIC);
		sqlite3_bind_text(ins, 5, u->target, -1, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			die("insert", sqlite3_errmsg(db));
		}
		sqlite3_reset(ins);
		if (fts) {
			sqlite3_bind_int64(ins_fts, 1, u->id);
			sqlite3_bind_text(ins_fts, 2, u->source, (int)u->source_len, SQLITE_STATIC);
			if (sqlite3_step(ins_fts) != SQLITE_DONE) {
				die("insert into fts", sqlite3_errmsg(db));
			}
			sqlite3_reset(ins_fts);
		}
	}
	if (fts) {
		exec(db, "CREATE INDEX units_source ON units(source, tgt_lang)");
	}
	exec(db, "COMMIT");
	sqlite3_finalize(ins);
	sqlite3_finalize(ins_fts);
}

static const char *schema =
        "CREATE TABLE units(id INTEGER PRIMARY KEY, src_lang TEXT NOT NULL, "
        "tgt_lang TEXT NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL)";

struct fts_ctx {
	sqlite3 *db;
	sqlite3_stmt *exact, *fuzzy;
	const struct options *o;
	double deadline;
	char *expr;
	size_t cap_expr;
	/* candidates: id, score, source (copied) */
	uint64_t *id;
	uint32_t *score;
	char **source;
	uint32_t n;
};

static int
progress(void *arg)
{
	struct fts_ctx *c = arg;

	return tm_now_s() > c->deadline;
}

/* The query's words of 3 characters or more (runs of anything but ASCII space and
 * punctuation), distinct, each a quoted FTS5 string, OR'd; "" when there is none. */
static const char *
fts_expr(struct fts_ctx *c, const char *text, size_t len)
{
	size_t need = 4 * len + 16, n = 0, starts[256], lens[256], n_words = 0;

	if (c->cap_expr < need) {
		c->cap_expr = need;
		c->expr = realloc(c->expr, need);
	}
	for (size_t i = 0; i < len;) {
		size_t j = i, chars = 0;

		while (j < len && ((unsigned char)text[j] >= 0x80 ||
		                   !(text[j] == ' ' || text[j] == '\t' || text[j] == '\n' ||
		                     (text[j] >= '!' && text[j] <= '/') ||
		                     (text[j] >= ':' && text[j] <= '@') ||
		                     (text[j] >= '[' && text[j] <= '`') ||
		                     (text[j] >= '{' && text[j] <= '~') || text[j] == '\r'))) {
			chars += ((unsigned char)text[j] & 0xc0) != 0x80;
			j++;
		}
		if (chars >= 3) {
			/* Distinct, ASCII case-insensitively (the trigram tokenizer folds case). */
			bool dup = false;

			for (size_t k = 0; k < n_words && !dup; k++) {
				dup = lens[k] == j - i && strncasecmp(text + starts[k], text + i, j - i) == 0;
			}
			if (!dup && n_words < 256) {
				starts[n_words] = i;
				lens[n_words++] = j - i;
				if (n) {
					memcpy(c->expr + n, " OR ", 4);
					n += 4;
				}
				c->expr[n++] = '"';
				memcpy(c->expr + n, text + i, j - i);
				n += j - i;
				c->expr[n++] = '"';
			}
		}
		i = j == i ? i + 1 : j;
	}
	c->expr[n] = '\0';
	return c->expr;
}

static void
add_candidate(struct fts_ctx *c, const struct tm_query *q, sqlite3_int64 id, const char *source)
{
	uint32_t sc;

	for (uint32_t k = 0; k < c->n; k++) {
		if (c->id[k] == (uint64_t)id) {
			return;
		}
	}
	sc = mnemo_tm_score(q->text, q->len, source, strlen(source));
	if (sc < c->o->min_score || sc == 0) {
		return;
	}
	c->id[c->n] = (uint64_t)id;
	c->score[c->n] = sc;
	c->source[c->n] = strdup(source);
	c->n++;
}

static int
fts_lookup(void *arg, const struct tm_query *q, struct tm_match_out *out)
{
	struct fts_ctx *c = arg;
	const char *expr = fts_expr(c, q->text, q->len);
	bool timeout = false;
	int rc;

	for (uint32_t k = 0; k < c->n; k++) {
		free(c->source[k]);
	}
	c->n = 0;
	c->deadline = tm_now_s() + c->o->fts_timeout_ms / 1000.0;
	sqlite3_bind_text(c->exact, 1, q->text, (int)q->len, SQLITE_STATIC);
	sqlite3_bind_text(c->exact, 2, q->tgt_lang, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(c->exact)) == SQLITE_ROW && c->n < 50) {
		add_candidate(c, q, sqlite3_column_int64(c->exact, 0),
		              (const char *)sqlite3_column_text(c->exact, 1));
	}
	sqlite3_reset(c->exact);
	if (*expr) {
		sqlite3_bind_text(c->fuzzy, 1, expr, -1, SQLITE_STATIC);
		sqlite3_bind_text(c->fuzzy, 2, q->tgt_lang, -1, SQLITE_STATIC);
		sqlite3_bind_int(c->fuzzy, 3, c->o->fts_candidates);
		while ((rc = sqlite3_step(c->fuzzy)) == SQLITE_ROW) {
			add_candidate(c, q, sqlite3_column_int64(c->fuzzy, 0),
			              (const char *)sqlite3_column_text(c->fuzzy, 1));
		}
		if (rc == SQLITE_INTERRUPT) {
			timeout = true;
		} else if (rc != SQLITE_DONE) {
			fprintf(stderr, "mnemo-tmbench: fts query %u: %s\n", q->qid, sqlite3_errmsg(c->db));
		}
		sqlite3_reset(c->fuzzy);
	}
	/* Best first: score, then lower id, like mnemo_tm_index_lookup(). */
	out->n = 0;
	for (uint32_t k = 0; k < c->n && out->n < c->o->max; k++) {
		uint32_t best = k;

		for (uint32_t j = k + 1; j < c->n; j++) {
			if (c->score[j] > c->score[best] ||
			    (c->score[j] == c->score[best] && c->id[j] < c->id[best])) {
				best = j;
			}
		}
		uint64_t ti = c->id[k];
		uint32_t ts = c->score[k];
		char *tsrc = c->source[k];

		c->id[k] = c->id[best], c->score[k] = c->score[best], c->source[k] = c->source[best];
		c->id[best] = ti, c->score[best] = ts, c->source[best] = tsrc;
		out->unit[out->n] = c->id[k];
		out->score[out->n] = c->score[k];
		out->source[out->n] = c->source[k];
		out->n++;
	}
	return timeout ? -1 : (int)out->n;
}

static void
bench_sqlite(const struct options *o, const struct tm_data *d)
{
	char path[4096];
	sqlite3 *db;
	double t0, t1;

	/* Plain table, one transaction: SQLite's own speed. */
	snprintf(path, sizeof(path), "%s/plain-%zu.db", o->db_dir, o->n_units);
	db = open_db(path);
	exec(db, schema);
	t0 = tm_now_s();
	insert_units(db, d, false);
	t1 = tm_now_s();
	printf("import\t%zu\tsqlite\t%.3f\t%.0f\t%.1f\n", o->n_units, t1 - t0,
	       (double)d->n_units / (t1 - t0), file_mib(path));
	fflush(stdout);
	sqlite3_close(db);
	unlink(path);

	/* The peer's database: the table, FTS5 trigram over the sources, the exact index. */
	snprintf(path, sizeof(path), "%s/fts5-%zu.db", o->db_dir, o->n_units);
	db = open_db(path);
	exec(db, schema);
	exec(db, "CREATE VIRTUAL TABLE fts USING fts5(source, content='units', content_rowid='id', "
	         "tokenize='trigram')");
	t0 = tm_now_s();
	insert_units(db, d, true);
	t1 = tm_now_s();
	exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	printf("import\t%zu\tsqlite-fts5\t%.3f\t%.0f\t%.1f\n", o->n_units, t1 - t0,
	       (double)d->n_units / (t1 - t0), file_mib(path));
	fflush(stdout);

	struct fts_ctx c = {.db = db, .o = o};
	c.id = calloc(50 + (size_t)o->fts_candidates, sizeof(*c.id));
	c.score = calloc(50 + (size_t)o->fts_candidates, sizeof(*c.score));
	c.source = calloc(50 + (size_t)o->fts_candidates, sizeof(*c.source));
	if (sqlite3_prepare_v2(db, "SELECT id, source FROM units WHERE source = ?1 AND tgt_lang = ?2",
	                       -1, &c.exact, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "SELECT u.id, u.source FROM fts JOIN units u ON u.id = fts.rowid "
	                       "WHERE fts MATCH ?1 AND u.tgt_lang = ?2 ORDER BY fts.rank LIMIT ?3",
	                       -1, &c.fuzzy, NULL) != SQLITE_OK) {
		die("prepare", sqlite3_errmsg(db));
	}
	sqlite3_progress_handler(db, 1000, progress, &c);
	run_lookups(o, d, "sqlite-fts5", fts_lookup, &c);
	sqlite3_finalize(c.exact);
	sqlite3_finalize(c.fuzzy);
	sqlite3_close(db);
	for (uint32_t k = 0; k < c.n; k++) {
		free(c.source[k]);
	}
	free(c.id);
	free(c.score);
	free(c.source);
	free(c.expr);
}

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: mnemo-tmbench --memory FILE --units N --ref FILE --db-dir DIR [options] "
	        "QUERIES.tsv...\n"
	        "  --min-score N        lookups' least score (default 50, the aligner's)\n"
	        "  --max N              matches per lookup (default 5, the aligner's)\n"
	        "  --set-budget-s S     stop a query set after S seconds of lookups (default 300)\n"
	        "  --fts-timeout-ms MS  interrupt a peer lookup after MS (default 5000)\n"
	        "  --fts-candidates N   FTS5 candidates scored per lookup (default 50)\n"
	        "  --engines LIST       mnemo,sqlite (default both)\n"
	        "  --lookups-out PREFIX one line per lookup in PREFIX-ENGINE.tsv\n"
	        "See the header of bench/tm/tmbench.c for what is measured.\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"memory", required_argument, NULL, 'm'},
	        {"units", required_argument, NULL, 'n'},
	        {"ref", required_argument, NULL, 'r'},
	        {"db-dir", required_argument, NULL, 'd'},
	        {"min-score", required_argument, NULL, 's'},
	        {"max", required_argument, NULL, 'x'},
	        {"set-budget-s", required_argument, NULL, 'b'},
	        {"fts-timeout-ms", required_argument, NULL, 't'},
	        {"fts-candidates", required_argument, NULL, 'c'},
	        {"engines", required_argument, NULL, 'e'},
	        {"lookups-out", required_argument, NULL, 'l'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0}};
	struct options o = {.min_score = 50, .max = 5, .set_budget_s = 300, .fts_timeout_ms = 5000,
	                    .fts_candidates = 50, .mnemo = true, .sqlite = true};
	struct tm_data d = {0};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm': o.memory = optarg; break;
		case 'n': o.n_units = strtoul(optarg, NULL, 10); break;
		case 'r': o.ref = optarg; break;
		case 'd': o.db_dir = optarg; break;
		case 's': o.min_score = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'x': o.max = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'b': o.set_budget_s = strtod(optarg, NULL); break;
		case 't': o.fts_timeout_ms = atoi(optarg); break;
		case 'c': o.fts_candidates = atoi(optarg); break;
		case 'e':
			o.mnemo = strstr(optarg, "mnemo") != NULL;
			o.sqlite = strstr(optarg, "sqlite") != NULL;
			break;
		case 'l': o.lookups_out = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!o.memory || !o.ref || !o.db_dir || o.n_units == 0 || optind == argc || o.max < 1 ||
	    o.max > 100 || o.fts_candidates < 1) {
		usage(stderr);
		return 2;
	}
	tm_load_memory(&d, o.memory, o.n_units);
	if (d.n_units < o.n_units) {
		die("the memory is smaller than --units", o.memory);
	}
	for (int i = optind; i < argc; i++) {
		tm_load_queries(&d, argv[i]);
	}
	tm_load_reference(&d, o.ref);
	if (o.mnemo) {
		bench_mnemo(&o, &d);
	}
	if (o.sqlite) {
		bench_sqlite(&o, &d);
	}
	tm_data_free(&d);
	return 0;
}
