/* Unit tests for common/formats: TMX read and write, gettext .po and .mo read. The sample
 * files are in tests/data/formats (FORMATS_DATA_DIR, relative to the repository root);
 * large, hostile and binary inputs (a 100 MB segment, a 50 MB memory, .mo files in both
 * byte orders and their lying variants) are made here. */
#include "check.h"
#include "formats.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef FORMATS_DATA_DIR
#define FORMATS_DATA_DIR "tests/data/formats"
#endif

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* Generous, so the limits also pass under sanitizers on slow machines. */
#define TIME_LIMIT_S 5.0

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool
verbose(void)
{
	return getenv("MNEMO_TEST_VERBOSE") != NULL;
}

static const char *
data_path(const char *file)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "%s/%s", FORMATS_DATA_DIR, file);
	return buf;
}

/* ---- collecting what a read hands over ---- */

enum { MAX_UNITS = 64, MAX_ERRORS = 64 };

struct got {
	uint8_t *packed[MAX_UNITS]; /* units outlive the arena as protobuf bytes */
	size_t packed_len[MAX_UNITS];
	size_t n_units;
	uint64_t n_seen;
	struct mnemo_formats_error errors[MAX_ERRORS];
	size_t n_errors;
	bool go_on; /* on_error answers 0 */
	uint64_t last_progress;
	unsigned n_progress;
	bool progress_decreased;
	size_t max_arena;
	struct mnemo_arena *arena;
	int stop_after; /* on_unit refuses unit number stop_after (1-based); 0: never */
};

static int
on_unit(void *ctx, Mnemo__Unit *u)
{
	struct got *g = ctx;

	g->n_seen++;
	if (g->arena->used_bytes > g->max_arena) {
		g->max_arena = g->arena->used_bytes;
	}
	if (g->stop_after != 0 && g->n_seen == (uint64_t)g->stop_after) {
		return -ECANCELED;
	}
	if (g->n_units < MAX_UNITS) {
		size_t n = mnemo__unit__get_packed_size(u);

		g->packed[g->n_units] = malloc(n);
		mnemo__unit__pack(u, g->packed[g->n_units]);
		g->packed_len[g->n_units] = n;
		g->n_units++;
	}
	return 0;
}

static int
on_error(void *ctx, const struct mnemo_formats_error *e)
{
	struct got *g = ctx;

	if (g->n_errors < MAX_ERRORS) {
		g->errors[g->n_errors++] = *e;
	}
	if (verbose()) {
		fprintf(stderr, "  error: %s\n", e->message);
	}
	return g->go_on ? 0 : -1;
}

static void
on_progress(void *ctx, uint64_t bytes)
{
	struct got *g = ctx;

	if (bytes < g->last_progress) {
		g->progress_decreased = true;
	}
	g->last_progress = bytes;
	g->n_progress++;
}

static void
got_free(struct got *g)
{
	size_t i;

	for (i = 0; i < g->n_units; i++) {
		free(g->packed[i]);
	}
	memset(g, 0, sizeof(*g));
}

static Mnemo__Unit *
unit_at(const struct got *g, size_t i)
{
	if (i >= g->n_units) {
		return NULL;
	}
	return mnemo__unit__unpack(NULL, g->packed_len[i], g->packed[i]);
}

/* The value of key in one of the unit's maps (all have the same layout), or NULL. */
#define MAP_GET(u, field, k) map_get((void **)(u)->field, (u)->n_##field, (k))

static const char *
map_get(void **entries, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const Mnemo__Unit__MetaEntry *e = entries[i];

		if (strcmp(e->key, key) == 0) {
			return e->value;
		}
	}
	return NULL;
}

#define CHECK_GET(u, field, k, want)                                                       \
	do {                                                                               \
		const char *got_ = MAP_GET(u, field, k);                                   \
		CHECK_MSG(got_ != NULL && strcmp(got_, (want)) == 0, "%s[%s] = '%s', not '%s'", \
			  #field, (k), got_ != NULL ? got_ : "(none)", (want));            \
	} while (0)

struct reader_setup {
	struct mnemo_arena arena;
	struct mnemo_formats_read_options opt;
	struct mnemo_formats_stats stats;
	struct mnemo_formats_error err;
	struct got got;
};

static void
setup(struct reader_setup *s, bool go_on)
{
	memset(s, 0, sizeof(*s));
	mnemo_arena_init(&s->arena, 0);
	s->got.arena = &s->arena;
	s->got.go_on = go_on;
	s->opt.arena = &s->arena;
	s->opt.on_unit = on_unit;
	s->opt.on_error = go_on ? on_error : NULL;
	s->opt.on_progress = on_progress;
	s->opt.ctx = &s->got;
}

static void
teardown(struct reader_setup *s)
{
	got_free(&s->got);
	mnemo_arena_fini(&s->arena);
}

static int
read_tmx_path(struct reader_setup *s, const char *path)
{
	FILE *f = fopen(path, "rb");
	int r;

	s->opt.name = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	CHECK_MSG(f != NULL, "%s: %s", path, strerror(errno));
	if (f == NULL) {
		return -errno;
	}
	r = mnemo_tmx_read_file(f, &s->opt, &s->stats, &s->err);
	fclose(f);
	if (verbose()) {
		fprintf(stderr, "%s: r=%d units=%llu errors=%llu %s\n", path, r,
			(unsigned long long)s->stats.units, (unsigned long long)s->stats.errors,
			r < 0 ? s->err.message : "");
	}
	return r;
}

static int
read_tmx_str(struct reader_setup *s, const char *text)
{
	int r = mnemo_tmx_read_mem(text, strlen(text), &s->opt, &s->stats, &s->err);

	if (verbose()) {
		fprintf(stderr, "mem: r=%d units=%llu %s\n", r, (unsigned long long)s->stats.units,
			r < 0 ? s->err.message : "");
	}
	return r;
}

static bool
contains(const char *hay, const char *needle)
{
	return hay != NULL && strstr(hay, needle) != NULL;
}

#define CHECK_CONTAINS(hay, needle)                                                        \
	CHECK_MSG(contains((hay), (needle)), "no '%s' in '%s'", (needle), (hay) ? (hay) : "")

/* ---- comparing units: maps sorted, then packed ---- */

static int
cmp_entry(const void *a, const void *b)
{
	const Mnemo__Unit__MetaEntry *const *x = a, *const *y = b;

	return strcmp((*x)->key, (*y)->key);
}

static void *
sorted(void **v, size_t n)
{
	void **c = calloc(n != 0 ? n : 1, sizeof(*c));

	if (n > 0) {
		memcpy(c, v, n * sizeof(*c));
		qsort(c, n, sizeof(*c), cmp_entry);
	}
	return c;
}

static uint8_t *
canon_pack(const Mnemo__Unit *u, size_t *ret_len)
{
	Mnemo__Unit c = *u;
	uint8_t *buf;

	c.variants = sorted((void **)u->variants, u->n_variants);
	c.meta = sorted((void **)u->meta, u->n_meta);
	c.markup = sorted((void **)u->markup, u->n_markup);
	c.prev = sorted((void **)u->prev, u->n_prev);
	c.next = sorted((void **)u->next, u->n_next);
	*ret_len = mnemo__unit__get_packed_size(&c);
	buf = malloc(*ret_len + 1);
	mnemo__unit__pack(&c, buf);
	free(c.variants);
	free(c.meta);
	free(c.markup);
	free(c.prev);
	free(c.next);
	return buf;
}

static bool
same_unit(const Mnemo__Unit *a, const Mnemo__Unit *b)
{
	size_t la, lb;
	uint8_t *pa = canon_pack(a, &la), *pb = canon_pack(b, &lb);
	bool same = la == lb && memcmp(pa, pb, la) == 0;

	free(pa);
	free(pb);
	return same;
}

static void
dump_unit(const char *what, const Mnemo__Unit *u)
{
	size_t i;

	fprintf(stderr, "  %s: ctx='%s' project='%s' domain='%s' origin='%s' by=%s/%s at=%lld/%lld "
			"usage=%u/%lld\n",
		what, u->context, u->project, u->domain, u->origin, u->created_by, u->changed_by,
		(long long)u->created_at, (long long)u->changed_at, u->usage_count,
		(long long)u->used_at);
	for (i = 0; i < u->n_variants; i++) {
		fprintf(stderr, "    variant %s = '%s'\n", u->variants[i]->key, u->variants[i]->value);
	}
	for (i = 0; i < u->n_markup; i++) {
		fprintf(stderr, "    markup %s = '%s'\n", u->markup[i]->key, u->markup[i]->value);
	}
	for (i = 0; i < u->n_meta; i++) {
		fprintf(stderr, "    meta %s = '%s'\n", u->meta[i]->key, u->meta[i]->value);
	}
	for (i = 0; i < u->n_prev; i++) {
		fprintf(stderr, "    prev %s = '%s'\n", u->prev[i]->key, u->prev[i]->value);
	}
	for (i = 0; i < u->n_next; i++) {
		fprintf(stderr, "    next %s = '%s'\n", u->next[i]->key, u->next[i]->value);
	}
}

/* ---- TMX: the mapping ---- */

static void
test_tmx_mapping(void)
{
	struct reader_setup s;
	Mnemo__Unit *u;
	int r;

	setup(&s, false);
	s.opt.origin = "tmx:memory.tmx";
	r = read_tmx_path(&s, data_path("memory.tmx"));
	CHECK_INT(r, 0);
	CHECK_INT(s.stats.units, 8);
	CHECK_INT(s.got.n_units, 8);
	CHECK_INT(s.stats.errors, 0);
	CHECK_STR(s.stats.srclang, "en-US");
	CHECK_STR(s.stats.creationtool, "TestTool");
	CHECK(!s.got.progress_decreased && s.got.n_progress >= 1);
	CHECK_INT(s.got.last_progress, s.stats.bytes);

	/* save-1: every attribute, prop and note */
	u = unit_at(&s.got, 0);
	CHECK(u != NULL);
	if (u != NULL) {
		CHECK_INT(u->n_variants, 2);
		CHECK_GET(u, variants, "en-US", "Save");
		CHECK_GET(u, variants, "fr-FR", "Enregistrer");
		CHECK_INT(u->n_markup, 0);
		CHECK_GET(u, meta, "tuid", "save-1");
		CHECK_GET(u, meta, "srclang", "en-US");
		CHECK_INT(u->created_at, 1673775000000LL); /* 2023-01-15 09:30:00 UTC */
		CHECK_INT(u->changed_at, 1709401512000LL); /* 2024-03-02 17:45:12 UTC */
		CHECK_STR(u->created_by, "marie");
		CHECK_STR(u->changed_by, "paul");
		CHECK_INT(u->usage_count, 12);
		CHECK_INT(u->used_at, 1712736000000LL); /* 2024-04-10 08:00:00 UTC */
		CHECK_STR(u->project, "Éditeur");
		CHECK_STR(u->domain, "software");
		CHECK_STR(u->context, "menu.file.save");
		CHECK_STR(u->origin, "po:editor-fr.po"); /* the file's own beats the caller's */
		CHECK_GET(u, meta, "x-client", "Atelier Durance\n\nCoopérative du Lubéron");
		CHECK_GET(u, meta, "note", "Menu item.\n\nKeep it short.");
		CHECK_GET(u, prev, "en-US", "Open…");
		CHECK_GET(u, next, "en-US", "Save As…");
		CHECK_INT(u->n_prev, 1);
		CHECK_GET(u, meta, "fr-FR:x-status", "reviewed");
		CHECK_GET(u, meta, "fr-FR:note", "Infinitive, as in every menu.");
		CHECK(MAP_GET(u, meta, "x-context") == NULL && MAP_GET(u, meta, "x-project") == NULL);
		CHECK_INT(u->n_meta, 6);
		mnemo__unit__free_unpacked(u, NULL);
	}
	/* bold-2: bpt/ept; fr_FR canonicalised */
	u = unit_at(&s.got, 1);
	if (u != NULL) {
		CHECK_GET(u, variants, "en-US", "Click Save to keep your changes.");
		CHECK_GET(u, variants, "fr-FR", "Cliquez sur Enregistrer pour garder vos modifications.");
		CHECK_GET(u, markup, "en-US",
			  "Click <bpt i=\"1\" x=\"1\" type=\"bold\">&lt;b&gt;</bpt>Save<ept "
			  "i=\"1\">&lt;/b&gt;</ept> to keep your changes.");
		CHECK_INT(u->n_markup, 2);
		CHECK_STR(u->origin, "tmx:memory.tmx"); /* the caller's */
		CHECK_INT(u->created_at, 0);
		mnemo__unit__free_unpacked(u, NULL);
	}
	/* ph-3: ph left out, hi kept */
	u = unit_at(&s.got, 2);
	if (u != NULL) {
		CHECK_GET(u, variants, "en-US", " Low disk space: %d MB left.");
		CHECK_GET(u, variants, "fr-FR", " Espace disque faible : %d Mo restants.");
		CHECK_GET(u, markup, "fr-FR",
			  "<ph x=\"1\" type=\"image\">&lt;img src=\"warn.png\"/&gt;</ph> Espace disque "
			  "faible : <hi type=\"b\">%d Mo</hi> restants.");
		mnemo__unit__free_unpacked(u, NULL);
	}
	/* sub-4: sub inside native code, it, ut, an escaped & */
	u = unit_at(&s.got, 3);
	if (u != NULL) {
		CHECK_GET(u, variants, "en-US", "See the manual & FAQ.");
		CHECK_GET(u, markup, "en-US",
			  "See <ph x=\"1\">&lt;a title=\"<sub>Online help</sub>\"&gt;</ph>the "
			  "manual<it pos=\"end\">&lt;/a&gt;</it> &amp; <ut>{\\i}</ut>FAQ.");
		mnemo__unit__free_unpacked(u, NULL);
	}
	/* news-5: TMX 1.1's lang, a tu prop */
	u = unit_at(&s.got, 4);
	if (u != NULL) {
		CHECK_GET(u, variants, "fr-FR", "Le cessez-le-feu tient depuis lundi, selon M. Pachinian.");
		CHECK_GET(u, variants, "en-US",
			  "The ceasefire has held since Monday, according to Mr Pashinyan.");
		CHECK_STR(u->domain, "news");
		CHECK_INT(u->created_at, 1718086500000LL);
		mnemo__unit__free_unpacked(u, NULL);
	}
	/* space-6: white space kept */
	u = unit_at(&s.got, 5);
	if (u != NULL) {
		CHECK_GET(u, variants, "en-US", "  Two spaces before,\na line break inside, a tab\tafter.  ");
		mnemo__unit__free_unpacked(u, NULL);
	}
	/* three-7: three variants, the empty German one is none */
	u = unit_at(&s.got, 6);
	if (u != NULL) {
		CHECK_INT(u->n_variants, 3);
		CHECK_GET(u, variants, "fr-CA", "La rivière Durance a débordé.");
		CHECK(MAP_GET(u, variants, "de") == NULL);
		mnemo__unit__free_unpacked(u, NULL);
	}
	/* cdata-8: CDATA is text; a comment in a seg is dropped; no markup */
	u = unit_at(&s.got, 7);
	if (u != NULL) {
		CHECK_GET(u, variants, "en-US", "Use <b> & <i> tags");
		CHECK_GET(u, variants, "fr-FR", "Utilisez les balises <b> & <i>");
		CHECK_INT(u->n_markup, 0);
		mnemo__unit__free_unpacked(u, NULL);
	}
	teardown(&s);
}

static void
test_tmx_omegat(void)
{
	struct reader_setup s;
	Mnemo__Unit *u;

	setup(&s, false);
	CHECK_INT(read_tmx_path(&s, data_path("omegat.tmx")), 0);
	CHECK_INT(s.got.n_units, 3);
	CHECK_STR(s.stats.creationtool, "OmegaT");
	u = unit_at(&s.got, 0);
	if (u != NULL) {
		/* dates and ids from the <tuv> */
		CHECK_GET(u, variants, "fr", "Le pont rouvrira vendredi.");
		CHECK_INT(u->created_at, 1714644720000LL);
		CHECK_INT(u->changed_at, 1714644900000LL);
		CHECK_STR(u->created_by, "claire");
		CHECK_STR(u->changed_by, "claire");
		mnemo__unit__free_unpacked(u, NULL);
	}
	u = unit_at(&s.got, 1);
	if (u != NULL) {
		CHECK_GET(u, prev, "en", "Traffic is diverted through the old town.");
		CHECK_GET(u, next, "en", "Buses will run as usual.");
		CHECK_GET(u, meta, "file", "news/bridge.txt");
		CHECK(MAP_GET(u, meta, "prev") == NULL);
		CHECK_STR(u->created_by, "luc");
		CHECK_STR(u->changed_by, "claire");
		mnemo__unit__free_unpacked(u, NULL);
	}
	u = unit_at(&s.got, 2);
	if (u != NULL) {
		CHECK_STR(u->context, "button.cancel");
		CHECK_STR(u->changed_by, "luc");
		CHECK_INT(u->created_at, 0);
		mnemo__unit__free_unpacked(u, NULL);
	}
	teardown(&s);
}

/* ---- TMX: errors ---- */

static void
test_tmx_errors(void)
{
	static const unsigned long lines[] = {10, 14, 17, 22, 28, 33, 38, 42, 45, 49, 53};
	static const char *const words[] = {
		"<tuv> without xml:lang", "\"french\">: not a language tag", "one variant only",
		"a <tu> inside the <tu> of line 20", "not a TMX date", "<b> inside <seg>",
		"a second <tuv> in fr", "a <tuv> without <seg>", "text inside <tu>",
		"usagecount=\"many\"", "unexpected <tuv> inside <body>"};
	size_t n = sizeof(lines) / sizeof(lines[0]), i;
	struct reader_setup s;
	Mnemo__Unit *u;
	int r;

	/* The caller lets errors pass: every one is reported, the good units come through. */
	setup(&s, true);
	r = read_tmx_path(&s, data_path("errors.tmx"));
	CHECK_INT(r, 0);
	CHECK_INT(s.got.n_units, 2);
	CHECK_INT(s.got.n_errors, n);
	CHECK_INT(s.stats.errors, n);
	for (i = 0; i < n && i < s.got.n_errors; i++) {
		CHECK_MSG(s.got.errors[i].line == lines[i], "error %zu at line %lu, not %lu: %s", i,
			  s.got.errors[i].line, lines[i], s.got.errors[i].message);
		CHECK_CONTAINS(s.got.errors[i].message, words[i]);
		CHECK(!s.got.errors[i].is_fatal);
		CHECK(s.got.errors[i].code == -EINVAL);
	}
	CHECK_CONTAINS(s.got.errors[0].message, "errors.tmx:10:");
	u = unit_at(&s.got, 1);
	if (u != NULL) {
		CHECK_GET(u, meta, "tuid", "ok-2");
		mnemo__unit__free_unpacked(u, NULL);
	}
	teardown(&s);

	/* The default: the first error stops the read. */
	setup(&s, false);
	r = read_tmx_path(&s, data_path("errors.tmx"));
	CHECK_INT(r, -EINVAL);
	CHECK_INT(s.err.line, 10);
	CHECK_INT(s.err.column, 7);
	CHECK_CONTAINS(s.err.message, "<tuv> without xml:lang");
	CHECK_INT(s.got.n_units, 1);
	teardown(&s);

	/* on_error stops it too. */
	setup(&s, true);
	s.got.go_on = false;
	r = read_tmx_path(&s, data_path("errors.tmx"));
	CHECK_INT(r, -EINVAL);
	CHECK_INT(s.got.n_errors, 1);
	teardown(&s);

	/* on_unit stops it with its own code. */
	setup(&s, false);
	s.got.stop_after = 2;
	r = read_tmx_path(&s, data_path("memory.tmx"));
	CHECK_INT(r, -ECANCELED);
	CHECK_INT(s.got.n_units, 1);
	CHECK_CONTAINS(s.err.message, "unit callback");
	teardown(&s);

	/* Not well-formed: fatal, with its place. */
	setup(&s, true);
	r = read_tmx_path(&s, data_path("not-well-formed.tmx"));
	CHECK_INT(r, -EINVAL);
	CHECK_INT(s.err.line, 7);
	CHECK(s.err.is_fatal);
	CHECK_CONTAINS(s.err.message, "not well-formed XML: mismatched tag");
	CHECK_INT(s.got.n_units, 0);
	teardown(&s);

	/* Not TMX at all */
	setup(&s, true);
	CHECK_INT(read_tmx_str(&s, "<?xml version=\"1.0\"?>\n<xliff version=\"1.2\"/>\n"), -EINVAL);
	CHECK_CONTAINS(s.err.message, "not a TMX document: the root element is <xliff>");
	teardown(&s);
	setup(&s, true);
	CHECK_INT(read_tmx_str(&s, "<tmx version=\"1.4\"><body/></tmx>"), -EINVAL);
	CHECK_CONTAINS(s.err.message, "<body> without a <header>");
	teardown(&s);
	setup(&s, true);
	CHECK_INT(read_tmx_str(&s, ""), -EINVAL);
	teardown(&s);

	/* A header without a valid srclang is reported, then read as *all* */
	setup(&s, true);
	r = read_tmx_str(&s, "<tmx version=\"1.4\"><header srclang=\"xx-!\"/><body><tu>"
			     "<tuv xml:lang=\"fr\"><seg>Oui</seg></tuv>"
			     "<tuv xml:lang=\"en\"><seg>Yes</seg></tuv></tu></body></tmx>");
	CHECK_INT(r, 0);
	CHECK_INT(s.got.n_errors, 1);
	CHECK_STR(s.stats.srclang, "*all*");
	CHECK_INT(s.got.n_units, 1);
	teardown(&s);
}

#define HEAD                                                                               \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tmx version=\"1.4\">\n<header "     \
	"creationtool=\"t\" srclang=\"fr\" segtype=\"sentence\" adminlang=\"en\" "         \
	"datatype=\"plaintext\" o-tmf=\"t\"/>\n<body>\n"
#define TAIL "</body>\n</tmx>\n"

static void
test_tmx_utf8_and_encodings(void)
{
	struct reader_setup s;
	char buf[1024];
	uint8_t utf16[2048];
	size_t i, n;
	Mnemo__Unit *u;

	/* Invalid UTF-8 inside a seg: expat stops, we say it is UTF-8 and where. */
	setup(&s, true);
	snprintf(buf, sizeof(buf),
		 HEAD "<tu>\n<tuv xml:lang=\"fr\"><seg>Caf\xC3\x28</seg></tuv>\n"
		      "<tuv xml:lang=\"en\"><seg>Cafe</seg></tuv></tu>\n" TAIL);
	CHECK_INT(read_tmx_str(&s, buf), -EILSEQ);
	CHECK_INT(s.err.line, 6);
	CHECK_INT(s.err.column, 28);
	CHECK_CONTAINS(s.err.message, "invalid UTF-8 (bytes C3 28)");
	teardown(&s);

	/* Surrogates and overlong forms too */
	setup(&s, true);
	snprintf(buf, sizeof(buf),
		 HEAD "<tu><tuv xml:lang=\"fr\"><seg>a\xED\xA0\x80</seg></tuv></tu>" TAIL);
	CHECK_INT(read_tmx_str(&s, buf), -EILSEQ);
	teardown(&s);
	setup(&s, true);
	snprintf(buf, sizeof(buf), HEAD "<tu><tuv xml:lang=\"fr\"><seg>\xC0\xAF</seg></tuv></tu>" TAIL);
	CHECK_INT(read_tmx_str(&s, buf), -EILSEQ);
	teardown(&s);

	/* A character reference XML forbids */
	setup(&s, true);
	snprintf(buf, sizeof(buf), HEAD "<tu><tuv xml:lang=\"fr\"><seg>&#1;</seg></tuv></tu>" TAIL);
	CHECK_INT(read_tmx_str(&s, buf), -EINVAL);
	CHECK_CONTAINS(s.err.message, "reference to invalid character");
	teardown(&s);

	/* An encoding that lies */
	setup(&s, true);
	CHECK(read_tmx_str(&s, "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<tmx/>") < 0);
	CHECK_INT(s.err.line, 1);
	teardown(&s);
	setup(&s, true);
	CHECK_INT(read_tmx_str(&s, "<?xml version=\"1.0\" encoding=\"windows-1252\"?>\n<tmx/>"),
		  -EILSEQ);
	CHECK_CONTAINS(s.err.message, "UTF-8, UTF-16");
	teardown(&s);

	/* ISO-8859-1, as declared */
	setup(&s, true);
	snprintf(buf, sizeof(buf),
		 "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<tmx version=\"1.4\"><header "
		 "srclang=\"fr\"/><body><tu><tuv xml:lang=\"fr\"><seg>\xE9t\xE9</seg></tuv>"
		 "<tuv xml:lang=\"en\"><seg>summer</seg></tuv></tu>" TAIL);
	CHECK_INT(read_tmx_str(&s, buf), 0);
	u = unit_at(&s.got, 0);
	if (u != NULL) {
		CHECK_GET(u, variants, "fr", "été");
		mnemo__unit__free_unpacked(u, NULL);
	}
	teardown(&s);

	/* UTF-16 LE with a BOM, as older tools write */
	snprintf(buf, sizeof(buf),
		 "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<tmx version=\"1.4\"><header "
		 "srclang=\"fr\"/><body><tu><tuv xml:lang=\"fr\"><seg>\xC3\xA9t\xC3\xA9 \xE2\x82\xAC"
		 "</seg></tuv><tuv xml:lang=\"en\"><seg>summer</seg></tuv></tu>" TAIL);
	n = 0;
	utf16[n++] = 0xFF;
	utf16[n++] = 0xFE;
	for (i = 0; buf[i] != '\0';) {
		unsigned char c = (unsigned char)buf[i];
		unsigned cp;

		if (c < 0x80) {
			cp = c;
			i++;
		} else if (c < 0xE0) {
			cp = (c & 0x1Fu) << 6 | ((unsigned char)buf[i + 1] & 0x3Fu);
			i += 2;
		} else {
			cp = (c & 0x0Fu) << 12 | ((unsigned char)buf[i + 1] & 0x3Fu) << 6 |
			     ((unsigned char)buf[i + 2] & 0x3Fu);
			i += 3;
		}
		utf16[n++] = (uint8_t)(cp & 0xff);
		utf16[n++] = (uint8_t)(cp >> 8);
	}
	setup(&s, true);
	CHECK_INT(mnemo_tmx_read_mem(utf16, n, &s.opt, &s.stats, &s.err), 0);
	u = unit_at(&s.got, 0);
	if (u != NULL) {
		CHECK_GET(u, variants, "fr", "été €");
		mnemo__unit__free_unpacked(u, NULL);
	}
	teardown(&s);
}

static void
test_tmx_entities(void)
{
	static const struct {
		const char *file;
		const char *words;
	} cases[] = {
		{"billion-laughs.tmx", "DOCTYPE with an internal subset refused"},
		{"xxe.tmx", "DOCTYPE with an internal subset refused"},
		{"xxe-parameter.tmx", "DOCTYPE with an internal subset refused"},
		{"undeclared-entity.tmx", "undeclared entity &nbsp;"},
	};
	struct reader_setup s;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double t0 = now_s();
		int r;

		setup(&s, true); /* even a caller letting errors pass cannot go on */
		r = read_tmx_path(&s, data_path(cases[i].file));
		CHECK_MSG(r == -EINVAL, "%s: %d", cases[i].file, r);
		CHECK(s.err.is_fatal);
		CHECK_CONTAINS(s.err.message, cases[i].words);
		CHECK_MSG(s.got.n_units == 0, "%s: %zu units", cases[i].file, s.got.n_units);
		CHECK_MSG(now_s() - t0 < 1.0, "%s took %.2f s", cases[i].file, now_s() - t0);
		CHECK(s.stats.peak_buffer_bytes < (4u << 20));
		teardown(&s);
	}
	/* The line of the DOCTYPE */
	setup(&s, false);
	read_tmx_path(&s, data_path("billion-laughs.tmx"));
	CHECK_INT(s.err.line, 2);
	teardown(&s);
	/* A DOCTYPE with only a system id is fine, and never fetched */
	setup(&s, false);
	CHECK_INT(read_tmx_str(&s, "<?xml version=\"1.0\"?>\n<!DOCTYPE tmx SYSTEM "
				   "\"http://127.0.0.1:9/tmx14.dtd\">\n<tmx version=\"1.4\"><header "
				   "srclang=\"fr\"/><body/></tmx>"),
		  0);
	teardown(&s);
}

/* ---- TMX: limits and memory ---- */

static void
test_tmx_segment_limit(void)
{
	struct reader_setup s;
	char buf[4096];
	int r;

	/* max_segment_bytes of the caller, on a seg, its markup, a prop and a note */
	setup(&s, true);
	s.opt.max_segment_bytes = 100;
	memset(buf, 0, sizeof(buf));
	snprintf(buf, sizeof(buf),
		 HEAD "<tu><tuv xml:lang=\"fr\"><seg>%0120d</seg></tuv><tuv xml:lang=\"en\"><seg>x"
		      "</seg></tuv></tu>\n"
		      "<tu><tuv xml:lang=\"fr\"><seg><ph>%090d</ph>%020d</seg></tuv><tuv "
		      "xml:lang=\"en\"><seg>x</seg></tuv></tu>\n"
		      "<tu><prop type=\"x\">%0101d</prop><tuv xml:lang=\"fr\"><seg>x</seg></tuv><tuv "
		      "xml:lang=\"en\"><seg>y</seg></tuv></tu>\n"
		      "<tu><note>%0101d</note><tuv xml:lang=\"fr\"><seg>x</seg></tuv><tuv "
		      "xml:lang=\"en\"><seg>y</seg></tuv></tu>\n"
		      "<tu><tuv xml:lang=\"fr\"><seg>%0100d</seg></tuv><tuv xml:lang=\"en\"><seg>y"
		      "</seg></tuv></tu>\n" TAIL,
		 0, 0, 0, 0, 0, 0);
	r = read_tmx_str(&s, buf);
	CHECK_INT(r, 0);
	CHECK_INT(s.got.n_errors, 4);
	CHECK_INT(s.got.n_units, 1); /* exactly 100 bytes is fine */
	if (s.got.n_errors == 4) {
		CHECK_INT(s.got.errors[0].code, -EMSGSIZE);
		CHECK_CONTAINS(s.got.errors[0].message, "a <seg> over 100 bytes");
		CHECK_CONTAINS(s.got.errors[1].message, "markup is over 100 bytes");
		CHECK_CONTAINS(s.got.errors[2].message, "a <prop> over 100 bytes");
		CHECK_CONTAINS(s.got.errors[3].message, "a <note> over 100 bytes");
		CHECK_INT(s.got.errors[3].line, 8);
	}
	teardown(&s);
}

/* A 100 MB segment pushed a piece at a time: refused once past the limit, with nothing
 * like 100 MB fed or held. */
static void
test_tmx_huge_segment(void)
{
	static char piece[64 << 10];
	struct reader_setup s;
	struct mnemo_tmx_reader *rd;
	const char *start = HEAD "<tu>\n<tuv xml:lang=\"fr\"><seg>";
	uint64_t fed = 0;
	double t0 = now_s();
	int r;

	memset(piece, 'a', sizeof(piece));
	setup(&s, false);
	CHECK_INT(mnemo_tmx_reader_new(&s.opt, &rd), 0);
	r = mnemo_tmx_reader_feed(rd, start, strlen(start));
	CHECK_INT(r, 0);
	while (r == 0 && fed < (100u << 20)) {
		r = mnemo_tmx_reader_feed(rd, piece, sizeof(piece));
		fed += sizeof(piece);
	}
	CHECK_INT(r, -EMSGSIZE);
	CHECK_MSG(fed <= (2u << 20), "fed %llu bytes before the refusal", (unsigned long long)fed);
	CHECK_INT(mnemo_tmx_reader_error(rd)->line, 6);
	CHECK_CONTAINS(mnemo_tmx_reader_error(rd)->message, "a <seg> over 1048576 bytes");
	CHECK_MSG(mnemo_tmx_reader_stats(rd)->peak_buffer_bytes < (4u << 20), "peak %zu",
		  mnemo_tmx_reader_stats(rd)->peak_buffer_bytes);
	CHECK_INT(mnemo_tmx_reader_feed(rd, piece, 10), -EMSGSIZE); /* and stays stopped */
	CHECK_INT(mnemo_tmx_reader_end(rd), -EMSGSIZE);
	mnemo_tmx_reader_free(rd);
	CHECK(now_s() - t0 < TIME_LIMIT_S);
	teardown(&s);

	/* The same from a pipe: a writer of 100 MB is cut off early. */
	{
		int fds[2];
		pid_t pid;
		int status;
		FILE *pipe_in;

		CHECK_INT(pipe(fds), 0);
		pid = fork();
		if (pid == 0) {
			uint64_t sent = 0;

			close(fds[0]);
			signal(SIGPIPE, SIG_DFL);
			if (write(fds[1], start, strlen(start)) < 0) {
				_exit(1);
			}
			while (sent < (100u << 20)) {
				ssize_t k = write(fds[1], piece, sizeof(piece));

				if (k <= 0) {
					_exit(2);
				}
				sent += (uint64_t)k;
			}
			_exit(0);
		}
		close(fds[1]);
		setup(&s, false);
		t0 = now_s();
		pipe_in = fdopen(fds[0], "rb");
		r = mnemo_tmx_read_file(pipe_in, &s.opt, &s.stats, &s.err);
		fclose(pipe_in);
		CHECK_INT(r, -EMSGSIZE);
		CHECK_MSG(s.stats.bytes <= (2u << 20), "read %llu bytes",
			  (unsigned long long)s.stats.bytes);
		CHECK(s.stats.peak_buffer_bytes < (4u << 20));
		CHECK(now_s() - t0 < TIME_LIMIT_S);
		waitpid(pid, &status, 0);
		CHECK(!WIFEXITED(status) || WEXITSTATUS(status) != 0); /* cut off */
		teardown(&s);
	}
}

/* Tags, attributes and comments of 100 MB, deep nesting, a flood of names. */
static void
test_tmx_markup_limits(void)
{
	static char piece[64 << 10];
	static const char *const starts[] = {
		HEAD "<tu tuid=\"", /* an attribute */
		HEAD "<!-- ",       /* a comment */
		HEAD "<tu",         /* a tag name */
	};
	struct reader_setup s;
	struct mnemo_tmx_reader *rd;
	size_t i;
	int r;

	memset(piece, 'b', sizeof(piece));
	for (i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		uint64_t fed = 0;

		setup(&s, true);
		CHECK_INT(mnemo_tmx_reader_new(&s.opt, &rd), 0);
		r = mnemo_tmx_reader_feed(rd, starts[i], strlen(starts[i]));
		while (r == 0 && fed < (100u << 20)) {
			r = mnemo_tmx_reader_feed(rd, piece, sizeof(piece));
			fed += sizeof(piece);
		}
		CHECK_MSG(r == -EMSGSIZE, "case %zu: %d after %llu bytes", i, r,
			  (unsigned long long)fed);
		CHECK_MSG(fed <= (2u << 20), "case %zu: fed %llu", i, (unsigned long long)fed);
		CHECK_CONTAINS(mnemo_tmx_reader_error(rd)->message, "over");
		CHECK_MSG(mnemo_tmx_reader_stats(rd)->peak_buffer_bytes < (16u << 20), "peak %zu",
			  mnemo_tmx_reader_stats(rd)->peak_buffer_bytes);
		mnemo_tmx_reader_free(rd);
		teardown(&s);
	}

	/* 100,000 nested elements */
	setup(&s, true);
	CHECK_INT(mnemo_tmx_reader_new(&s.opt, &rd), 0);
	r = mnemo_tmx_reader_feed(rd, HEAD, strlen(HEAD));
	for (i = 0; i < 100000 && r == 0; i++) {
		r = mnemo_tmx_reader_feed(rd, "<tu>", 4);
	}
	CHECK_INT(r, -EMSGSIZE);
	CHECK_CONTAINS(mnemo_tmx_reader_error(rd)->message, "nested more than 64 deep");
	mnemo_tmx_reader_free(rd);
	teardown(&s);

	/* Different element names, each refused and let pass: expat's tables are capped */
	setup(&s, true);
	s.got.go_on = true;
	CHECK_INT(mnemo_tmx_reader_new(&s.opt, &rd), 0);
	r = mnemo_tmx_reader_feed(rd, HEAD, strlen(HEAD));
	for (i = 0; i < 2000000 && r == 0; i++) {
		char tag[96];
		int n = snprintf(tag, sizeof(tag), "<x%0*zu/>", 60, i);

		r = mnemo_tmx_reader_feed(rd, tag, (size_t)n);
	}
	CHECK_INT(r, -EMSGSIZE);
	CHECK_CONTAINS(mnemo_tmx_reader_error(rd)->message, "XML parser would need more");
	mnemo_tmx_reader_free(rd);
	teardown(&s);
}

/* A unit over the arena's limit */
static void
test_tmx_arena_limit(void)
{
	struct reader_setup s;
	char *big = malloc(64 << 10);

	setup(&s, true);
	s.arena.limit_bytes = 32 << 10;
	snprintf(big, 64 << 10,
		 HEAD "<tu><tuv xml:lang=\"fr\"><seg>%040000d</seg></tuv><tuv "
		      "xml:lang=\"en\"><seg>y</seg></tuv></tu>\n<tu><tuv "
		      "xml:lang=\"fr\"><seg>Oui</seg></tuv><tuv xml:lang=\"en\"><seg>Yes</seg></tuv>"
		      "</tu>" TAIL,
		 0);
	CHECK_INT(read_tmx_str(&s, big), 0);
	free(big);
	CHECK_INT(s.got.n_errors, 1);
	CHECK_INT(s.got.n_units, 1);
	if (s.got.n_errors == 1) {
		CHECK_INT(s.got.errors[0].code, -EMSGSIZE);
		CHECK_CONTAINS(s.got.errors[0].message, "memory limit");
	}
	teardown(&s);
}

static long
max_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int
count_unit(void *ctx, Mnemo__Unit *u)
{
	struct got *g = ctx;

	g->n_seen++;
	if (g->arena->used_bytes > g->max_arena) {
		g->max_arena = g->arena->used_bytes;
	}
	return u->n_variants == 2 ? 0 : -EINVAL;
}

/* ~50 MB of TMX read in constant memory. */
static void
test_tmx_big(void)
{
	static const char *const fr[] = {
		"Le conseil municipal a voté le budget après trois heures de débat.",
		"Les pourparlers reprendront lundi à Genève, selon le ministère.",
		"Cliquez sur « Enregistrer » pour garder vos modifications.",
		"La crue de la Durance a coupé la route départementale 973.",
	};
	static const char *const en[] = {
		"The city council passed the budget after three hours of debate.",
		"Talks will resume on Monday in Geneva, according to the ministry.",
		"Click \"Save\" to keep your changes.",
		"The Durance flood cut off departmental road 973.",
	};
	struct reader_setup s;
	FILE *f = tmpfile();
	uint64_t n_tu = 0;
	long rss0;
	double t0;
	int r;

	CHECK(f != NULL);
	if (f == NULL) {
		return;
	}
	fputs(HEAD, f);
	while (ftell(f) < 50L << 20) {
		fprintf(f,
			"<tu tuid=\"n%llu\" creationdate=\"20240115T093000Z\" creationid=\"robot\">\n"
			"  <prop type=\"x-domain\">news</prop>\n"
			"  <tuv xml:lang=\"fr\"><seg>%s (%llu)</seg></tuv>\n"
			"  <tuv xml:lang=\"en\"><seg>%s (%llu)</seg></tuv>\n</tu>\n",
			(unsigned long long)n_tu, fr[n_tu % 4], (unsigned long long)n_tu,
			en[n_tu % 4], (unsigned long long)n_tu);
		n_tu++;
	}
	fputs(TAIL, f);
	fflush(f);
	rewind(f);
	setup(&s, false);
	s.opt.on_unit = count_unit;
	rss0 = max_rss_kb();
	t0 = now_s();
	r = mnemo_tmx_read_file(f, &s.opt, &s.stats, &s.err);
	fclose(f);
	CHECK_MSG(r == 0, "%s", s.err.message);
	CHECK_INT(s.got.n_seen, n_tu);
	CHECK_INT(s.stats.units, n_tu);
	CHECK_MSG(s.stats.bytes > 50u << 20, "%llu", (unsigned long long)s.stats.bytes);
	/* One unit's worth in the arena (its first 16 KiB chunk), a few buffers besides. */
	CHECK_MSG(s.got.max_arena <= 16u << 10, "arena %zu", s.got.max_arena);
	CHECK_MSG(s.stats.peak_arena_bytes <= 16u << 10, "arena %zu", s.stats.peak_arena_bytes);
	CHECK_MSG(s.stats.peak_buffer_bytes < 1u << 20, "buffers %zu", s.stats.peak_buffer_bytes);
	if (!UNDER_ASAN) {
		CHECK_MSG(max_rss_kb() - rss0 < 16 * 1024, "RSS grew by %ld KiB", max_rss_kb() - rss0);
	}
	if (verbose()) {
		fprintf(stderr, "big: %llu units, %.1f MB in %.2f s, arena %zu, buffers %zu, "
				"RSS +%ld KiB\n",
			(unsigned long long)n_tu, (double)s.stats.bytes / 1e6, now_s() - t0,
			s.stats.peak_arena_bytes, s.stats.peak_buffer_bytes, max_rss_kb() - rss0);
	}
	teardown(&s);
}

/* Pushed one byte at a time, the same units as whole. */
static void
test_tmx_push(void)
{
	struct reader_setup a, b;
	struct mnemo_tmx_reader *rd;
	FILE *f = fopen(data_path("memory.tmx"), "rb");
	int c, r = 0;
	size_t i;

	CHECK(f != NULL);
	if (f == NULL) {
		return;
	}
	setup(&a, false);
	CHECK_INT(mnemo_tmx_read_file(f, &a.opt, &a.stats, &a.err), 0);
	rewind(f);
	setup(&b, false);
	CHECK_INT(mnemo_tmx_reader_new(&b.opt, &rd), 0);
	while (r == 0 && (c = fgetc(f)) != EOF) {
		char ch = (char)c;

		r = mnemo_tmx_reader_feed(rd, &ch, 1);
	}
	CHECK_INT(r, 0);
	CHECK_INT(mnemo_tmx_reader_end(rd), 0);
	mnemo_tmx_reader_free(rd);
	fclose(f);
	CHECK_INT(b.got.n_units, a.got.n_units);
	for (i = 0; i < a.got.n_units && i < b.got.n_units; i++) {
		CHECK(a.got.packed_len[i] == b.got.packed_len[i] &&
		      memcmp(a.got.packed[i], b.got.packed[i], a.got.packed_len[i]) == 0);
	}
	teardown(&a);
	teardown(&b);
}

/* ---- TMX: writing ---- */

struct mem_file {
	char *buf;
	size_t len;
	FILE *f;
};

static void
mem_open(struct mem_file *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
}

static void
mem_close(struct mem_file *m)
{
	fclose(m->f);
	free(m->buf);
}

/* Writes the units of g, reads them back into out; returns the write's count. */
static int
write_units(const struct got *g, const struct mnemo_tmx_write_options *wo, struct mem_file *m)
{
	struct mnemo_tmx_writer *w;
	struct mnemo_formats_error err;
	size_t i;
	int n = 0, r;

	mem_open(m);
	r = mnemo_tmx_write_begin(m->f, wo, &w);
	CHECK_INT(r, 0);
	if (r < 0) {
		return r;
	}
	for (i = 0; i < g->n_units; i++) {
		Mnemo__Unit *u = unit_at(g, i);

		r = mnemo_tmx_write_unit(w, u, &err);
		CHECK_MSG(r >= 0, "unit %zu: %s", i, err.message);
		n += r > 0;
		mnemo__unit__free_unpacked(u, NULL);
	}
	CHECK_INT(mnemo_tmx_write_end(w), 0);
	fflush(m->f);
	return n;
}

static void
check_round_trip(const char *file)
{
	struct reader_setup a, b;
	struct mnemo_tmx_write_options wo = {.srclang = NULL};
	struct mem_file m;
	size_t i;

	setup(&a, false);
	CHECK_INT(read_tmx_path(&a, data_path(file)), 0);
	wo.srclang = a.stats.srclang;
	CHECK_INT(write_units(&a.got, &wo, &m), (int)a.got.n_units);
	if (verbose()) {
		fprintf(stderr, "%s written:\n%s", file, m.buf);
	}
	setup(&b, false);
	CHECK_MSG(mnemo_tmx_read_mem(m.buf, m.len, &b.opt, &b.stats, &b.err) == 0, "%s",
		  b.err.message);
	CHECK_STR(b.stats.creationtool, "mnemo");
	CHECK_STR(b.stats.srclang, a.stats.srclang);
	CHECK_INT(b.got.n_units, a.got.n_units);
	for (i = 0; i < a.got.n_units && i < b.got.n_units; i++) {
		Mnemo__Unit *x = unit_at(&a.got, i), *y = unit_at(&b.got, i);
		bool same = same_unit(x, y);

		CHECK_MSG(same, "%s: unit %zu differs after a round trip", file, i);
		if (!same) {
			dump_unit("read", x);
			dump_unit("read back", y);
		}
		mnemo__unit__free_unpacked(x, NULL);
		mnemo__unit__free_unpacked(y, NULL);
	}
	mem_close(&m);
	teardown(&a);
	teardown(&b);
}

static Mnemo__Unit__MetaEntry *
entry(const char *k, const char *v)
{
	Mnemo__Unit__MetaEntry *e = malloc(sizeof(*e));

	mnemo__unit__meta_entry__init(e);
	e->key = (char *)k;
	e->value = (char *)v;
	return e;
}

struct built {
	Mnemo__Unit u;
	Mnemo__Unit__MetaEntry *e[32];
	void *lists[5][8];
	size_t n_e;
};

/* A unit made by hand: "k=v" pairs per map, NULL-terminated lists. */
static void
build(struct built *b, const char *const *variants, const char *const *markup,
      const char *const *meta, const char *const *prev, const char *const *next)
{
	const char *const *maps[5] = {variants, markup, meta, prev, next};
	size_t counts[5] = {0};
	size_t m, i;

	memset(b, 0, sizeof(*b));
	mnemo__unit__init(&b->u);
	for (m = 0; m < 5; m++) {
		for (i = 0; maps[m] != NULL && maps[m][i] != NULL; i += 2) {
			Mnemo__Unit__MetaEntry *e = entry(maps[m][i], maps[m][i + 1]);

			b->e[b->n_e++] = e;
			b->lists[m][counts[m]++] = e;
		}
	}
	b->u.variants = (Mnemo__Unit__VariantsEntry **)b->lists[0];
	b->u.n_variants = counts[0];
	b->u.markup = (Mnemo__Unit__MarkupEntry **)b->lists[1];
	b->u.n_markup = counts[1];
	b->u.meta = (Mnemo__Unit__MetaEntry **)b->lists[2];
	b->u.n_meta = counts[2];
	b->u.prev = (Mnemo__Unit__PrevEntry **)b->lists[3];
	b->u.n_prev = counts[3];
	b->u.next = (Mnemo__Unit__NextEntry **)b->lists[4];
	b->u.n_next = counts[4];
}

static void
built_free(struct built *b)
{
	size_t i;

	for (i = 0; i < b->n_e; i++) {
		free(b->e[i]);
	}
}

static void
test_tmx_write(void)
{
	static const char *const variants[] = {
		"fr", "Tom & Jerry < \"Loulou\" > \r\n\ttab 😀",
		"en", "Click Save.",
		"de-DE", "Klicken Sie auf Speichern.",
		NULL};
	static const char *const markup[] = {
		"en", "Click <bpt i=\"1\">&lt;b&gt;</bpt>Save<ept i=\"1\">&lt;/b&gt;</ept>.",
		NULL};
	static const char *const meta[] = {
		"x-client", "Atelier\n\"quoted\"",
		"note", "First.\n\nSecond.",
		"fr:x-status", "draft",
		"de-DE:note", "Formal address.",
		"it:x-status", "not a variant",
		"fr:x-context-prev", "a meta key shaped like a context prop",
		"srclang", "fr",
		NULL};
	static const char *const prev[] = {"fr", "Avant.", "it", "Prima.", NULL};
	static const char *const next[] = {"en", "After.", NULL};
	struct built b;
	struct mem_file m;
	struct mnemo_tmx_writer *w;
	struct mnemo_formats_error err;
	struct mnemo_tmx_write_options wo = {.srclang = "en"};
	struct reader_setup s;
	Mnemo__Unit *u;

	build(&b, variants, markup, meta, prev, next);
	b.u.id = 4217;
	b.u.created_at = 1700000000000LL;
	b.u.changed_at = 1700000123000LL;
	b.u.created_by = "marie";
	b.u.changed_by = "paul & co";
	b.u.project = "Atelier";
	b.u.domain = "software";
	b.u.context = "menu.save";
	b.u.origin = "po:atelier-fr.po";
	b.u.usage_count = 7;
	b.u.used_at = 1710000000000LL;

	mem_open(&m);
	CHECK_INT(mnemo_tmx_write_begin(m.f, &wo, &w), 0);
	CHECK_INT(mnemo_tmx_write_unit(w, &b.u, &err), 1);
	CHECK_INT(mnemo_tmx_write_end(w), 0);
	fflush(m.f);
	if (verbose()) {
		fprintf(stderr, "%s", m.buf);
	}
	CHECK_CONTAINS(m.buf, "<header creationtool=\"mnemo\" creationtoolversion=\"");
	CHECK_CONTAINS(m.buf, "segtype=\"sentence\" o-tmf=\"mnemo\" adminlang=\"en\" srclang=\"en\" "
			      "datatype=\"plaintext\"/>");
	CHECK_CONTAINS(m.buf, "<tu tuid=\"4217\" srclang=\"fr\" creationdate=\"20231114T221320Z\" "
			      "creationid=\"marie\" changedate=\"20231114T221523Z\" changeid=\"paul "
			      "&amp; co\" usagecount=\"7\" lastusagedate=\"20240309T160000Z\">");
	CHECK_CONTAINS(m.buf, "<prop type=\"x-origin\">po:atelier-fr.po</prop>");
	CHECK_CONTAINS(m.buf, "<prop type=\"x-context-prev\" xml:lang=\"it\">Prima.</prop>");
	CHECK_CONTAINS(m.buf, "<seg>Tom &amp; Jerry &lt; \"Loulou\" &gt; &#13;\n\ttab 😀</seg>");
	/* srclang's tuv first */
	CHECK(strstr(m.buf, "xml:lang=\"en\">") < strstr(m.buf, "xml:lang=\"fr\">"));

	/* Read back: the same unit but for the id, now meta "tuid" */
	setup(&s, false);
	CHECK_MSG(mnemo_tmx_read_mem(m.buf, m.len, &s.opt, &s.stats, &s.err) == 0, "%s",
		  s.err.message);
	u = unit_at(&s.got, 0);
	if (u != NULL) {
		static const char *const meta2[] = {
			"x-client", "Atelier\n\"quoted\"",
			"note", "First.\n\nSecond.",
			"fr:x-status", "draft",
			"de-DE:note", "Formal address.",
			"it:x-status", "not a variant",
			"fr:x-context-prev", "a meta key shaped like a context prop",
			"srclang", "fr",
			"tuid", "4217",
			NULL};
		struct built b2;
		bool same;

		build(&b2, variants, markup, meta2, prev, next);
		b2.u = b.u;
		b2.u.id = 0;
		b2.u.meta = (Mnemo__Unit__MetaEntry **)b2.lists[2];
		b2.u.n_meta = 8;
		same = same_unit(u, &b2.u);
		CHECK(same);
		if (!same) {
			dump_unit("written", &b2.u);
			dump_unit("read back", u);
		}
		built_free(&b2);
		mnemo__unit__free_unpacked(u, NULL);
	}
	teardown(&s);
	mem_close(&m);

	/* Only the languages asked for: fr and de (any spelling) */
	{
		static const char *const pair[] = {"FR", "de_de"};
		struct mnemo_tmx_write_options wo2 = {.srclang = "fr", .langs = pair, .n_langs = 2};

		mem_open(&m);
		CHECK_INT(mnemo_tmx_write_begin(m.f, &wo2, &w), 0);
		CHECK_INT(mnemo_tmx_write_unit(w, &b.u, &err), 1);
		CHECK_INT(mnemo_tmx_write_end(w), 0);
		fflush(m.f);
		CHECK(strstr(m.buf, "xml:lang=\"en\"") == NULL);
		CHECK(strstr(m.buf, "After.") == NULL); /* en's next goes with en */
		CHECK_CONTAINS(m.buf, "xml:lang=\"de-DE\"");
		mem_close(&m);

		/* fr and it: one variant only, not written */
		static const char *const pair2[] = {"fr", "it"};
		wo2.langs = pair2;
		mem_open(&m);
		CHECK_INT(mnemo_tmx_write_begin(m.f, &wo2, &w), 0);
		CHECK_INT(mnemo_tmx_write_unit(w, &b.u, &err), 0);
		CHECK_INT(mnemo_tmx_write_end(w), 0);
		fflush(m.f);
		CHECK(strstr(m.buf, "<tu") == NULL);
		mem_close(&m);

		static const char *const bad[] = {"fr", "not a tag"};
		wo2.langs = bad;
		mem_open(&m);
		CHECK_INT(mnemo_tmx_write_begin(m.f, &wo2, &w), -EINVAL);
		mem_close(&m);
	}
	built_free(&b);
}

static void
test_tmx_write_refused(void)
{
	static const struct {
		const char *const variants[7];
		const char *const markup[3];
		const char *const meta[3];
		int64_t created_at;
		int code;
		const char *words;
	} cases[] = {
		{{"fr", "Oui", "xx yy", "Yes", NULL}, {NULL}, {NULL}, 0, -EINVAL, "not a language tag"},
		{{"fr", "Oui", "FR", "Non", NULL}, {NULL}, {NULL}, 0, -EINVAL, "one language"},
		{{"fr", "Oui\x01", "en", "Yes", NULL}, {NULL}, {NULL}, 0, -EILSEQ, "byte 3"},
		{{"fr", "Oui\xC3\x28", "en", "Yes", NULL}, {NULL}, {NULL}, 0, -EILSEQ, "invalid UTF-8"},
		{{"fr", "Oui\xEF\xBF\xBF", "en", "Yes", NULL}, {NULL}, {NULL}, 0, -EILSEQ, "byte 3"},
		{{"fr", "Oui", "en", "Yes", NULL}, {"en", "<b>Yes</b>", NULL}, {NULL}, 0, -EINVAL,
		 "not a TMX inline element"},
		{{"fr", "Oui", "en", "Yes", NULL}, {"en", "<ph>Y</ph>es", NULL}, {NULL}, 0, -EINVAL,
		 "plain text differs"},
		{{"fr", "Oui", "en", "Yes", NULL}, {"en", "<ph>&nbsp;</ph>Yes", NULL}, {NULL}, 0,
		 -EINVAL, "undefined entity"},
		{{"fr", "Oui", "en", "Yes", NULL}, {"en", "Yes</seg><seg>", NULL}, {NULL}, 0, -EINVAL,
		 "junk after document element"},
		{{"fr", "Oui", "en", "Yes", NULL}, {"de", "<ph/>Ja", NULL}, {NULL}, 0, -EINVAL,
		 "no variant"},
		{{"fr", "Oui", "en", "Yes", NULL}, {NULL}, {"", "x", NULL}, 0, -EINVAL, "empty key"},
		{{"fr", "Oui", "en", "Yes", NULL}, {NULL}, {"k", "\x02", NULL}, 0, -EILSEQ, "meta[k]"},
		{{"fr", "Oui", "en", "Yes", NULL}, {NULL}, {NULL}, 400000000000000LL, -EINVAL,
		 "0-9999"},
	};
	struct mem_file m;
	struct mnemo_tmx_writer *w;
	struct mnemo_formats_error err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct built b;
		long before;
		int r;

		build(&b, cases[i].variants, cases[i].markup, cases[i].meta, NULL, NULL);
		b.u.created_at = cases[i].created_at;
		mem_open(&m);
		CHECK_INT(mnemo_tmx_write_begin(m.f, NULL, &w), 0);
		fflush(m.f);
		before = ftell(m.f);
		memset(&err, 0, sizeof(err));
		r = mnemo_tmx_write_unit(w, &b.u, &err);
		CHECK_MSG(r == cases[i].code, "case %zu: %d (%s)", i, r, err.message);
		CHECK_MSG(contains(err.message, cases[i].words), "case %zu: '%s'", i, err.message);
		fflush(m.f);
		CHECK_MSG(ftell(m.f) == before, "case %zu wrote something", i);
		CHECK_INT(mnemo_tmx_write_end(w), 0);
		mem_close(&m);
		built_free(&b);
	}
	/* A bad srclang */
	{
		struct mnemo_tmx_write_options wo = {.srclang = "english"};

		mem_open(&m);
		CHECK_INT(mnemo_tmx_write_begin(m.f, &wo, &w), -EINVAL);
		mem_close(&m);
	}
}

static void
test_tmx_round_trips(void)
{
	check_round_trip("memory.tmx");
	check_round_trip("omegat.tmx");
}

/* ---- gettext .po ---- */

static int
read_po_path(struct reader_setup *s, const char *path)
{
	FILE *f = fopen(path, "rb");
	int r;

	s->opt.name = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	CHECK_MSG(f != NULL, "%s", path);
	if (f == NULL) {
		return -ENOENT;
	}
	r = mnemo_po_read_file(f, &s->opt, &s->stats, &s->err);
	fclose(f);
	if (verbose()) {
		fprintf(stderr, "%s: r=%d units=%llu %s\n", path, r, (unsigned long long)s->stats.units,
			r < 0 ? s->err.message : "");
	}
	return r;
}

static int
read_po_str(struct reader_setup *s, const char *text)
{
	int r = mnemo_po_read_mem(text, strlen(text), &s->opt, &s->stats, &s->err);

	if (verbose()) {
		fprintf(stderr, "po mem: r=%d units=%llu %s\n", r, (unsigned long long)s->stats.units,
			r < 0 ? s->err.message : "");
	}
	return r;
}

static void
test_po(void)
{
	struct reader_setup s;
	Mnemo__Unit *u;

	setup(&s, false);
	s.opt.source_lang = "en";
	s.opt.origin = "po:editor-fr.po";
	CHECK_INT(read_po_path(&s, data_path("editor-fr.po")), 0);
	CHECK_INT(s.stats.units, 10);
	CHECK_INT(s.stats.header, 1);
	CHECK_INT(s.stats.fuzzy, 1);
	CHECK_INT(s.stats.obsolete, 2);
	CHECK_INT(s.stats.untranslated, 2);
	CHECK_INT(s.stats.plural_forms_dropped, 0);
	CHECK_INT(s.stats.errors, 0);
	CHECK_STR(s.stats.srclang, "en");
	CHECK_STR(s.stats.target_lang, "fr-FR");
	CHECK(s.got.n_progress >= 1 && s.got.last_progress == s.stats.bytes);

	u = unit_at(&s.got, 0);
	if (u != NULL) {
		CHECK_GET(u, variants, "en", "_File");
		CHECK_GET(u, variants, "fr-FR", "_Fichier");
		CHECK_GET(u, meta, "note", "Translators: the File menu.");
		CHECK_GET(u, meta, "x-reference", "src/menu.c:41 src/menu.c:88 src/toolbar.c:12");
		CHECK_STR(u->origin, "po:editor-fr.po");
		CHECK_STR(u->context, "");
		CHECK_INT(u->n_meta, 2);
		mnemo__unit__free_unpacked(u, NULL);
	}
	u = unit_at(&s.got, 1);
	if (u != NULL) {
		CHECK_GET(u, variants, "en", "Save a copy of “%s”…");
		CHECK_GET(u, variants, "fr-FR", "Enregistrer une copie de « %s »…");
		CHECK_GET(u, meta, "x-comment", "Keep the ellipsis: it opens a dialog.");
		CHECK_GET(u, meta, "note", "Shown in the File menu.");
		CHECK_GET(u, meta, "x-flags", "c-format, no-wrap");
		mnemo__unit__free_unpacked(u, NULL);
	}
	u = unit_at(&s.got, 2);
	if (u != NULL) {
		CHECK_GET(u, variants, "fr-FR", "Ouvrir");
		CHECK_STR(u->context, "verb");
		mnemo__unit__free_unpacked(u, NULL);
	}
	u = unit_at(&s.got, 3);
	if (u != NULL) {
		CHECK_GET(u, variants, "fr-FR", "Ouvert");
		CHECK_STR(u->context, "adjective");
		mnemo__unit__free_unpacked(u, NULL);
	}
	u = unit_at(&s.got, 4);
	if (u != NULL) {
		CHECK_GET(u, variants, "en", "%d file saved");
		CHECK_GET(u, variants, "fr-FR", "%d fichier enregistré");
		CHECK_GET(u, meta, "x-plural-form", "0");
		CHECK_GET(u, meta, "x-flags", "c-format");
		mnemo__unit__free_unpacked(u, NULL);
	}
	u = unit_at(&s.got, 5);
	if (u != NULL) {
		CHECK_GET(u, variants, "en", "%d files saved");
		CHECK_GET(u, variants, "fr-FR", "%d fichiers enregistrés");
		CHECK_GET(u, meta, "x-plural-form", "1");
		mnemo__unit__free_unpacked(u, NULL);
	}
	u = unit_at(&s.got, 6);
	if (u != NULL) {
		CHECK_GET(u, variants, "en", "%d line"); /* msgstr[1] is empty: one unit */
		mnemo__unit__free_unpacked(u, NULL);
	}
	u = unit_at(&s.got, 7);
	if (u != NULL) {
		CHECK_GET(u, variants, "en",
			  "The file has been changed by another program.\nDo you want to reload it?");
		CHECK_GET(u, variants, "fr-FR",
			  "Le fichier a été modifié par un autre programme.\nVoulez-vous le recharger ?");
		mnemo__unit__free_unpacked(u, NULL);
	}
	u = unit_at(&s.got, 8);
	if (u != NULL) {
		CHECK_GET(u, variants, "en", "Tab width:\t\"%s\" \\ %s");
		mnemo__unit__free_unpacked(u, NULL);
	}
	u = unit_at(&s.got, 9);
	if (u != NULL) {
		CHECK_GET(u, variants, "en", "Undo"); /* right after obsolete lines */
		CHECK_GET(u, variants, "fr-FR", "Annuler");
		mnemo__unit__free_unpacked(u, NULL);
	}
	teardown(&s);

	/* The caller's target language wins */
	setup(&s, false);
	s.opt.source_lang = "en";
	s.opt.target_lang = "fr_CA";
	CHECK_INT(read_po_path(&s, data_path("editor-fr.po")), 0);
	CHECK_STR(s.stats.target_lang, "fr-CA");
	u = unit_at(&s.got, 0);
	if (u != NULL) {
		CHECK_GET(u, variants, "fr-CA", "_Fichier");
		mnemo__unit__free_unpacked(u, NULL);
	}
	teardown(&s);

	/* Three plural forms: the third is dropped and counted */
	setup(&s, false);
	s.opt.source_lang = "en";
	CHECK_INT(read_po_path(&s, data_path("plural-ru.po")), 0);
	CHECK_INT(s.stats.units, 2);
	CHECK_INT(s.stats.plural_forms_dropped, 1);
	u = unit_at(&s.got, 1);
	if (u != NULL) {
		CHECK_GET(u, variants, "en", "%d files");
		CHECK_GET(u, variants, "ru", "%d файла");
		mnemo__unit__free_unpacked(u, NULL);
	}
	teardown(&s);
}

static void
test_po_errors(void)
{
	static const unsigned long lines[] = {9, 12, 17, 20, 23, 25};
	static const char *const words[] = {
		"without its closing quote", "unknown escape \\q", "msgstr[0] expected",
		"msgid after msgid", "msgstr without msgid", "not .po syntax"};
	size_t n = sizeof(lines) / sizeof(lines[0]), i;
	struct reader_setup s;
	char buf[512];

	setup(&s, true);
	s.opt.source_lang = "en";
	CHECK_INT(read_po_path(&s, data_path("errors.po")), 0);
	CHECK_INT(s.stats.units, 2);
	CHECK_INT(s.got.n_errors, n);
	for (i = 0; i < n && i < s.got.n_errors; i++) {
		CHECK_MSG(s.got.errors[i].line == lines[i], "error %zu at line %lu, not %lu: %s", i,
			  s.got.errors[i].line, lines[i], s.got.errors[i].message);
		CHECK_CONTAINS(s.got.errors[i].message, words[i]);
	}
	CHECK_CONTAINS(s.got.errors[1].message, "errors.po:12:");
	teardown(&s);

	/* By default the first stops it */
	setup(&s, false);
	s.opt.source_lang = "en";
	CHECK_INT(read_po_path(&s, data_path("errors.po")), -EINVAL);
	CHECK_INT(s.err.line, 9);
	CHECK_INT(s.got.n_units, 1);
	teardown(&s);

	/* No source language */
	setup(&s, false);
	CHECK_INT(read_po_str(&s, "msgid \"a\"\nmsgstr \"b\"\n"), -EINVAL);
	CHECK_CONTAINS(s.err.message, "no source language");
	teardown(&s);

	/* No target language */
	setup(&s, true);
	s.opt.source_lang = "en";
	CHECK_INT(read_po_str(&s, "msgid \"a\"\nmsgstr \"b\"\n"), -EINVAL);
	CHECK_CONTAINS(s.err.message, "no target language");
	CHECK_INT(s.err.line, 1);
	teardown(&s);
	setup(&s, true);
	s.opt.source_lang = "en";
	CHECK_INT(read_po_str(&s, "msgid \"\"\nmsgstr \"Language: klingon\\n\"\n"), -EINVAL);
	CHECK_CONTAINS(s.err.message, "not a language tag");
	teardown(&s);
	setup(&s, true);
	s.opt.source_lang = "en";
	CHECK_INT(read_po_str(&s, "msgid \"\"\nmsgstr \"Language: en\\n\"\n\nmsgid \"a\"\nmsgstr "
				  "\"b\"\n"),
		  -EINVAL);
	CHECK_CONTAINS(s.err.message, "both en");
	teardown(&s);

	/* gettext's language names */
	{
		static const char *const names[][2] = {{"sr@latin", "sr-Latn"},
						       {"sr_RS@latin", "sr-Latn-RS"},
						       {"ca@valencia", "ca-valencia"},
						       {"de_DE.UTF-8@euro", "de-DE"},
						       {"pt_BR", "pt-BR"},
						       {"zh_Hant_TW", "zh-Hant-TW"}};

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			setup(&s, false);
			s.opt.source_lang = "en";
			snprintf(buf, sizeof(buf), "msgid \"\"\nmsgstr \"Language: %s\\n\"\n",
				 names[i][0]);
			CHECK_INT(read_po_str(&s, buf), 0);
			CHECK_MSG(strcmp(s.stats.target_lang, names[i][1]) == 0, "%s -> %s",
				  names[i][0], s.stats.target_lang);
			teardown(&s);
		}
	}

	/* Invalid UTF-8 and NUL: the entry, with its line */
	setup(&s, true);
	s.opt.source_lang = "en";
	CHECK_INT(read_po_str(&s, "msgid \"\"\nmsgstr \"Language: fr\\n\"\n\nmsgid \"caf\xC3\x28\"\n"
				  "msgstr \"x\"\n\nmsgid \"nul\\0\"\nmsgstr \"y\"\n\nmsgid \"ok\"\nmsgstr "
				  "\"bon\"\n"),
		  0);
	CHECK_INT(s.got.n_errors, 2);
	CHECK_INT(s.got.n_units, 1);
	if (s.got.n_errors == 2) {
		CHECK_INT(s.got.errors[0].code, -EILSEQ);
		CHECK_INT(s.got.errors[0].line, 4);
		CHECK_CONTAINS(s.got.errors[0].message, "msgid is not valid UTF-8");
		CHECK_INT(s.got.errors[1].line, 7);
		CHECK_CONTAINS(s.got.errors[1].message, "NUL");
	}
	teardown(&s);

	/* Limits: a string over max_segment_bytes, a line over 4x it */
	setup(&s, true);
	s.opt.source_lang = "en";
	s.opt.max_segment_bytes = 16;
	{
		/* Lines may be 4 * max_segment_bytes + 4 KiB long (escapes): 1100 "\x41" are
		 * 4400 bytes, over 4160. */
		char *text = malloc(16 << 10);
		size_t k, o;

		o = (size_t)snprintf(text, 16 << 10, "msgid \"\"\nmsgstr \"\"\n\"Language: "
						    "fr\\n\"\n\nmsgid \"0123456789ABCDEFG\"\nmsgstr "
						    "\"x\"\n\nmsgid \"");
		for (k = 0; k < 1100; k++) {
			memcpy(text + o, "\\x41", 4);
			o += 4;
		}
		snprintf(text + o, (16 << 10) - o, "\"\nmsgstr \"y\"\n\nmsgid \"ok\"\nmsgstr \"bon\"\n");
		CHECK_INT(read_po_str(&s, text), 0);
		free(text);
	}
	CHECK_INT(s.got.n_units, 1);
	CHECK_INT(s.got.n_errors, 2);
	if (s.got.n_errors == 2) {
		CHECK_INT(s.got.errors[0].code, -EMSGSIZE);
		CHECK_INT(s.got.errors[0].line, 5);
		CHECK_INT(s.got.errors[1].code, -EMSGSIZE);
		CHECK_CONTAINS(s.got.errors[1].message, "a line over");
	}
	teardown(&s);
}

static void
test_po_charsets(void)
{
	struct reader_setup s;
	Mnemo__Unit *u;

	/* ISO-8859-1, converted */
	setup(&s, false);
	s.opt.source_lang = "en";
	CHECK_INT(read_po_str(&s, "msgid \"\"\nmsgstr \"\"\n\"Language: fr\\n\"\n"
				  "\"Content-Type: text/plain; charset=ISO-8859-1\\n\"\n\n"
				  "msgctxt \"saison\"\nmsgid \"summer\"\nmsgstr \"\xE9t\xE9\"\n"),
		  0);
	u = unit_at(&s.got, 0);
	if (u != NULL) {
		CHECK_GET(u, variants, "fr", "été");
		mnemo__unit__free_unpacked(u, NULL);
	}
	teardown(&s);

	/* Shift_JIS: its bytes can hold '\\', so a .po cannot be read byte by byte */
	setup(&s, false);
	s.opt.source_lang = "en";
	CHECK_INT(read_po_str(&s, "msgid \"\"\nmsgstr \"\"\n\"Language: ja\\n\"\n"
				  "\"Content-Type: text/plain; charset=Shift_JIS\\n\"\n"),
		  -EILSEQ);
	CHECK_CONTAINS(s.err.message, "msgconv");
	teardown(&s);

	/* An unknown charset */
	setup(&s, false);
	s.opt.source_lang = "en";
	CHECK_INT(read_po_str(&s, "msgid \"\"\nmsgstr \"Language: fr\\nContent-Type: text/plain; "
				  "charset=NO-SUCH-CHARSET\\n\"\n"),
		  -EINVAL);
	CHECK_CONTAINS(s.err.message, "unknown");
	teardown(&s);

	/* A template's CHARSET, CRLF line ends, a BOM */
	setup(&s, false);
	s.opt.source_lang = "en";
	s.opt.target_lang = "fr";
	CHECK_INT(read_po_str(&s, "\xEF\xBB\xBFmsgid \"\"\r\nmsgstr \"Content-Type: text/plain; "
				  "charset=CHARSET\\n\"\r\n\r\nmsgid \"Yes\"\r\nmsgstr \"Oui\"\r\n"),
		  0);
	CHECK_INT(s.got.n_units, 1);
	teardown(&s);
}

/* ---- gettext .mo ---- */

struct mo_entry {
	const char *orig;
	size_t orig_len;
	const char *trans;
	size_t trans_len;
};

#define MO_S(s) s, sizeof(s) - 1

static void
put32(uint8_t *p, uint32_t v, bool be)
{
	if (be) {
		p[0] = (uint8_t)(v >> 24);
		p[1] = (uint8_t)(v >> 16);
		p[2] = (uint8_t)(v >> 8);
		p[3] = (uint8_t)v;
	} else {
		p[0] = (uint8_t)v;
		p[1] = (uint8_t)(v >> 8);
		p[2] = (uint8_t)(v >> 16);
		p[3] = (uint8_t)(v >> 24);
	}
}

/* A .mo file as msgfmt lays it out (without the optional hash table). */
static uint8_t *
make_mo(const struct mo_entry *e, size_t n, bool be, size_t *ret_len)
{
	size_t len = 28 + 16 * n, i, at;
	uint8_t *buf;

	for (i = 0; i < n; i++) {
		len += e[i].orig_len + 1 + e[i].trans_len + 1;
	}
	buf = calloc(1, len);
	put32(buf, 0x950412de, be);
	put32(buf + 4, 0, be);
	put32(buf + 8, (uint32_t)n, be);
	put32(buf + 12, 28, be);
	put32(buf + 16, (uint32_t)(28 + 8 * n), be);
	at = 28 + 16 * n;
	for (i = 0; i < n; i++) {
		put32(buf + 28 + 8 * i, (uint32_t)e[i].orig_len, be);
		put32(buf + 28 + 8 * i + 4, (uint32_t)at, be);
		memcpy(buf + at, e[i].orig, e[i].orig_len);
		at += e[i].orig_len + 1;
	}
	for (i = 0; i < n; i++) {
		put32(buf + 28 + 8 * n + 8 * i, (uint32_t)e[i].trans_len, be);
		put32(buf + 28 + 8 * n + 8 * i + 4, (uint32_t)at, be);
		memcpy(buf + at, e[i].trans, e[i].trans_len);
		at += e[i].trans_len + 1;
	}
	*ret_len = len;
	return buf;
}

static const struct mo_entry mo_sample[] = {
	{MO_S(""), MO_S("Project-Id-Version: atelier 3.2\nLanguage: fr\n"
			"Content-Type: text/plain; charset=UTF-8\n"
			"Plural-Forms: nplurals=2; plural=(n > 1);\n")},
	{MO_S("%d file saved\0%d files saved"), MO_S("%d fichier enregistré\0%d fichiers enregistrés")},
	{MO_S("Save"), MO_S("Enregistrer")},
	{MO_S("adjective\4Open"), MO_S("Ouvert")},
	{MO_S("verb\4Open"), MO_S("Ouvrir")},
	{MO_S("%d line\0%d lines"), MO_S("%d ligne\0")},
	{MO_S("Three forms\0Forms"), MO_S("a\0b\0c")},
};

static void
test_mo(void)
{
	struct reader_setup s;
	Mnemo__Unit *u;
	size_t n = sizeof(mo_sample) / sizeof(mo_sample[0]), len;
	int be;

	for (be = 0; be < 2; be++) {
		uint8_t *mo = make_mo(mo_sample, n, be, &len);

		setup(&s, false);
		s.opt.source_lang = "en";
		s.opt.origin = "mo:atelier.mo";
		CHECK_MSG(mnemo_mo_read_mem(mo, len, &s.opt, &s.stats, &s.err) == 0, "%s",
			  s.err.message);
		CHECK_INT(s.stats.units, 8);
		CHECK_INT(s.stats.untranslated, 1);
		CHECK_INT(s.stats.plural_forms_dropped, 1);
		CHECK_INT(s.stats.header, 1);
		CHECK_STR(s.stats.target_lang, "fr");
		u = unit_at(&s.got, 0);
		if (u != NULL) {
			CHECK_GET(u, variants, "en", "%d file saved");
			CHECK_GET(u, variants, "fr", "%d fichier enregistré");
			CHECK_GET(u, meta, "x-plural-form", "0");
			CHECK_STR(u->origin, "mo:atelier.mo");
			mnemo__unit__free_unpacked(u, NULL);
		}
		u = unit_at(&s.got, 1);
		if (u != NULL) {
			CHECK_GET(u, variants, "en", "%d files saved");
			CHECK_GET(u, variants, "fr", "%d fichiers enregistrés");
			mnemo__unit__free_unpacked(u, NULL);
		}
		u = unit_at(&s.got, 3);
		if (u != NULL) {
			CHECK_GET(u, variants, "en", "Open");
			CHECK_GET(u, variants, "fr", "Ouvert");
			CHECK_STR(u->context, "adjective");
			mnemo__unit__free_unpacked(u, NULL);
		}
		u = unit_at(&s.got, 5);
		if (u != NULL) {
			CHECK_GET(u, variants, "en", "%d line");
			mnemo__unit__free_unpacked(u, NULL);
		}
		teardown(&s);

		/* Through a FILE too */
		{
			FILE *f = tmpfile();

			fwrite(mo, 1, len, f);
			rewind(f);
			setup(&s, false);
			s.opt.source_lang = "en";
			CHECK_INT(mnemo_mo_read_file(f, &s.opt, &s.stats, &s.err), 0);
			CHECK_INT(s.stats.units, 8);
			teardown(&s);
			fclose(f);
		}
		free(mo);
	}
}

static void
test_mo_lies(void)
{
	size_t n = sizeof(mo_sample) / sizeof(mo_sample[0]), len, cut, i;
	uint8_t *mo = make_mo(mo_sample, n, false, &len);
	uint8_t *bad = malloc(len);
	struct reader_setup s;
	int r;

	/* Cut anywhere: refused whole (the last string's NUL is the last byte), no unit */
	for (cut = 0; cut < len; cut++) {
		uint8_t *p = malloc(cut + 1); /* exactly cut bytes readable */

		memcpy(p, mo, cut);
		setup(&s, true);
		s.opt.source_lang = "en";
		r = mnemo_mo_read_mem(p, cut, &s.opt, &s.stats, &s.err);
		CHECK_MSG(r == -EINVAL && s.got.n_units == 0 && s.err.is_fatal,
			  "cut at %zu: %d, %zu units", cut, r, s.got.n_units);
		teardown(&s);
		free(p);
	}

	/* Lying numbers, each in its place */
	{
		static const struct {
			size_t at;
			uint32_t value;
			const char *words;
		} lies[] = {
			{0, 0x12345678, "not a .mo file"},
			{4, 2u << 16, "revision 2.0"},
			{8, 0xffffffff, "table of 4294967295 original strings"},
			{8, 1000, "runs past the end"},
			{12, 0xfffffff0, "runs past the end"},
			{16, 0xfffffff0, "translations at offset"},
			{28 + 8 * 2, 0xffffffff, "original string 2: 4294967295 bytes"},
			{28 + 8 * 2 + 4, 0xfffffff8, "run past the end"},
			{28 + 8 * 2, 3, "not followed by a NUL"},
			{28 + 56 + 8 * 3 + 4, 4000000, "translated string 3"},
		};

		for (i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
			memcpy(bad, mo, len);
			put32(bad + lies[i].at, lies[i].value, false);
			setup(&s, true);
			s.opt.source_lang = "en";
			r = mnemo_mo_read_mem(bad, len, &s.opt, &s.stats, &s.err);
			CHECK_MSG(r == -EINVAL && s.got.n_units == 0, "lie %zu: %d, %zu units", i, r,
				  s.got.n_units);
			CHECK_MSG(contains(s.err.message, lies[i].words), "lie %zu: %s", i,
				  s.err.message);
			teardown(&s);
		}
	}

	/* Bad UTF-8 in one entry: that entry only */
	{
		struct mo_entry e[] = {
			{MO_S(""), MO_S("Language: fr\n")},
			{MO_S("caf\xC3\x28"), MO_S("x")},
			{MO_S("Yes"), MO_S("Oui")},
		};
		uint8_t *p = make_mo(e, 3, true, &len);

		setup(&s, true);
		s.opt.source_lang = "en";
		CHECK_INT(mnemo_mo_read_mem(p, len, &s.opt, &s.stats, &s.err), 0);
		CHECK_INT(s.got.n_units, 1);
		CHECK_INT(s.got.n_errors, 1);
		CHECK_CONTAINS(s.got.errors[0].message, "mo: byte 36: msgid is not valid UTF-8");
		teardown(&s);
		free(p);
	}
	/* A latin-1 .mo, converted */
	{
		struct mo_entry e[] = {
			{MO_S(""), MO_S("Language: fr\nContent-Type: text/plain; charset=ISO-8859-1\n")},
			{MO_S("summer"), MO_S("\xE9t\xE9")},
		};
		uint8_t *p = make_mo(e, 2, false, &len);
		Mnemo__Unit *u;

		setup(&s, false);
		s.opt.source_lang = "en";
		CHECK_INT(mnemo_mo_read_mem(p, len, &s.opt, &s.stats, &s.err), 0);
		u = unit_at(&s.got, 0);
		if (u != NULL) {
			CHECK_GET(u, variants, "fr", "été");
			mnemo__unit__free_unpacked(u, NULL);
		}
		teardown(&s);
		free(p);
	}
	free(bad);
	free(mo);
}

int
main(void)
{
	test_tmx_mapping();
	test_tmx_omegat();
	test_tmx_errors();
	test_tmx_utf8_and_encodings();
	test_tmx_entities();
	test_tmx_segment_limit();
	test_tmx_huge_segment();
	test_tmx_markup_limits();
	test_tmx_arena_limit();
	test_tmx_big();
	test_tmx_push();
	test_tmx_write();
	test_tmx_write_refused();
	test_tmx_round_trips();
	test_po();
	test_po_errors();
	test_po_charsets();
	test_mo();
	test_mo_lies();
	return check_exit();
}
