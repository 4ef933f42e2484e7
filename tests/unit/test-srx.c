/* Unit tests for common/text/srx.c: loading SRX 2.0 files (and refusing what is not one),
 * language maps, rule evaluation, limits and threads. The sample files are in
 * tests/data/srx (see its README.md); the directory is SRX_DATA_DIR, relative to the
 * repository root unless MNEMO_SRX_DATA_DIR says otherwise.
 *
 * Expected results are written in the text itself: '|' where a rule must say "break",
 * '#' where one must say "no break", nothing where no rule decides. */
#include "check.h"
#include "srx.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef SRX_DATA_DIR
#define SRX_DATA_DIR "tests/data/srx"
#endif

#define NBSP "\xc2\xa0"          /* U+00A0 no-break space */
#define NNBSP "\xe2\x80\xaf"     /* U+202F narrow no-break space, French thin space */
#define ELL "\xe2\x80\xa6"       /* U+2026 … */
#define EMOJI "\xf0\x9f\x98\x80" /* U+1F600, two UTF-16 units */
#define SRX_OPEN "<srx xmlns=\"http://www.lisa.org/srx20\" version=\"2.0\">\n"

/* Generous, so the limit tests also pass under sanitizers and on slow CI machines. */
#define TIME_LIMIT_S 10.0

enum { ERR_SIZE = 512 };

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this thread: what the rules' limits bound, whatever else the machine does. */
static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool
verbose(void)
{
	return getenv("MNEMO_TEST_VERBOSE") != NULL;
}

static const char *
data_path(const char *file, char *buf, size_t size)
{
	const char *dir = getenv("MNEMO_SRX_DATA_DIR");

	snprintf(buf, size, "%s/%s", dir != NULL ? dir : SRX_DATA_DIR, file);
	return buf;
}

static struct mnemo_srx *
load_data(const char *file)
{
	char path[1024], err[ERR_SIZE];
	struct mnemo_srx *srx = NULL;
	int r;

	r = mnemo_srx_load_file(data_path(file, path, sizeof(path)), &srx, err, sizeof(err));
	CHECK_MSG(r == 0 && srx != NULL, "%s: %d %s", file, r, err);
	return srx;
}

static struct mnemo_srx *
load_doc(const char *doc)
{
	char err[ERR_SIZE];
	struct mnemo_srx *srx = NULL;
	int r;

	r = mnemo_srx_load(doc, strlen(doc), "doc.srx", &srx, err, sizeof(err));
	CHECK_MSG(r == 0 && srx != NULL, "%d %s", r, err);
	return srx;
}

/* A one-languagerule document mapped to every language, with the given <rule> elements. */
static struct mnemo_srx *
load_rules(const char *rules_xml)
{
	char doc[4096];

	snprintf(doc, sizeof(doc),
		 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" SRX_OPEN
		 "<header segmentsubflows=\"yes\" cascade=\"no\"/>\n"
		 "<body><languagerules><languagerule languagerulename=\"r\">\n%s\n"
		 "</languagerule></languagerules>\n"
		 "<maprules><languagemap languagepattern=\".*\" languagerulename=\"r\"/>"
		 "</maprules></body></srx>\n",
		 rules_xml);
	return load_doc(doc);
}

/* What every result must satisfy: strictly ascending positions inside the text, never in
 * the middle of a UTF-8 sequence, with a known verdict. */
static bool
result_sane(const char *text, size_t len, const uint32_t *pos, const uint8_t *verdict, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (pos[i] == 0 || pos[i] >= len || (i > 0 && pos[i] <= pos[i - 1])) {
			return false;
		}
		if (((unsigned char)text[pos[i]] & 0xc0) == 0x80) {
			return false;
		}
		if (verdict[i] != MNEMO_SRX_BREAK && verdict[i] != MNEMO_SRX_NO_BREAK) {
			return false;
		}
	}
	return true;
}

/* The text with '|' and '#' inserted where the rules decided; the caller frees it. */
static char *
render(const char *text, size_t len, const uint32_t *pos, const uint8_t *verdict, int n)
{
	char *s = malloc(len + (size_t)n + 1);
	size_t i, at = 0;
	int j = 0;

	if (s == NULL) {
		return NULL;
	}
	for (i = 0; i <= len; i++) {
		while (j < n && pos[j] == i) {
			s[at++] = verdict[j++] == MNEMO_SRX_BREAK ? '|' : '#';
		}
		if (i < len) {
			s[at++] = text[i];
		}
	}
	s[at] = '\0';
	return s;
}

/* Runs rules on marked with its markers removed and compares the decisions. */
static void
check_marked_at(const struct mnemo_srx_rules *rules, const char *marked, int line)
{
	size_t len = strlen(marked), i, n = 0;
	char *text = malloc(len + 1), *got;
	uint32_t *pos = NULL;
	uint8_t *verdict = NULL;
	int r;

	if (text == NULL) {
		CHECK(text != NULL);
		return;
	}
	for (i = 0; i < len; i++) {
		if (marked[i] != '|' && marked[i] != '#') {
			text[n++] = marked[i];
		}
	}
	text[n] = '\0';
	r = mnemo_srx_apply(rules, text, n, &pos, &verdict);
	CHECK_MSG(r >= 0, "line %d: apply returned %d", line, r);
	if (r >= 0) {
		CHECK_MSG(result_sane(text, n, pos, verdict, r), "line %d: insane result", line);
		got = render(text, n, pos, verdict, r);
		CHECK_MSG(got != NULL && strcmp(got, marked) == 0, "line %d:\n  want %s\n  got  %s",
			  line, marked, got ? got : "(null)");
		free(got);
	}
	free(pos);
	free(verdict);
	free(text);
}

#define CHECK_MARKED(rules, marked) check_marked_at((rules), (marked), __LINE__)

/* ---- the French file, cascade="yes" ---- */

static void
test_french(void)
{
	struct mnemo_srx *srx = load_data("fr.srx");
	const struct mnemo_srx_rules *fr, *fr_fr, *fr_ca, *en;

	if (srx == NULL) {
		return;
	}
	fr = mnemo_srx_rules_for(srx, "fr");
	fr_fr = mnemo_srx_rules_for(srx, "fr-FR");
	fr_ca = mnemo_srx_rules_for(srx, "fr-CA");
	en = mnemo_srx_rules_for(srx, "en");
	CHECK(fr != NULL && fr_ca != NULL && en != NULL);
	/* fr and fr-FR get the same maps, so the same object; fr-CA and en other ones. */
	CHECK(fr == fr_fr);
	CHECK(fr != fr_ca && fr != en && fr_ca != en);
	CHECK(mnemo_srx_rules_for(srx, "fr") == fr); /* cached */
	CHECK(mnemo_srx_rules_for(srx, "de") == en); /* Défaut alone, like en */

	/* The French exceptions come before the default break rule, so they win. */
	CHECK_MARKED(fr, "M.# Dupont est arrivé.| Il repart demain.");
	CHECK_MARKED(fr, "Mme.# Curie a parlé, p.# ex.# de radium.| Puis elle est partie.");
	CHECK_MARKED(fr, "Il cite p.#ex.# un passage.");
	CHECK_MARKED(fr, "Des pommes, des poires, etc.# et des fraises.| Etc.| Voilà.");
	CHECK_MARKED(fr, "Vraiment ?| Oui, vraiment !| Bon.");
	CHECK_MARKED(fr, "Vraiment" NNBSP "?| Oui.");
	CHECK_MARKED(fr, "« Non" NBSP "!" NBSP "»| Il part.");
	CHECK_MARKED(fr, "Il dit « Oui. »| « Et toi ? »| Rien.");
	CHECK_MARKED(fr, "Attends" ELL "| Quoi ?| Rien.");
	CHECK_MARKED(fr, "Le texte.| (Entre parenthèses.)| Fin.");
	/* No break rule matches: lower case after the period, or no space. */
	CHECK_MARKED(fr, "Il est 3 h. ensuite il part. fin.");
	CHECK_MARKED(fr, "Un mot.Collé à l'autre.");
	/* Byte offsets after characters of two, three and four UTF-8 bytes. */
	CHECK_MARKED(fr, "C'est fini " EMOJI ".| Été" ELL "| Ça " EMOJI " va ?| Oui.");
	/* An address: Québec's rule only for fr-CA. */
	CHECK_MARKED(fr, "Il habite 12 boul.| Saint-Laurent.");
	CHECK_MARKED(fr_ca, "Il habite 12 boul.# Saint-Laurent, app.# Quatre.| Venez.");
	CHECK_MARKED(fr_ca, "M.# Tremblay arrive.| Il reste.");
	/* Other languages: the default rule alone, so "M. Dupont" is broken. */
	CHECK_MARKED(en, "M.| Dupont est arrivé.| Il repart demain.");
	/* ICU's \s, unlike Java's, takes a no-break space for white space. */
	CHECK_MARKED(en, "Fin.|" NBSP "Suite.");
	CHECK_MARKED(en, "Short.");
	CHECK_MARKED(en, "");
	mnemo_srx_free(srx);
}

static void
test_no_cascade(void)
{
	struct mnemo_srx *srx = load_data("fr-nocascade.srx");
	const struct mnemo_srx_rules *fr, *en;

	if (srx == NULL) {
		return;
	}
	fr = mnemo_srx_rules_for(srx, "fr-FR");
	en = mnemo_srx_rules_for(srx, "en-GB");
	CHECK(fr != NULL && en != NULL && fr != en);
	/* Only the first matching map counts: French gets no break rule. */
	CHECK_MARKED(fr, "M.# Dupont est arrivé. Il repart demain.");
	CHECK_MARKED(en, "M.| Dupont est arrivé.| Il repart demain.");
	/* No catch-all map: other languages get no rules. */
	CHECK(mnemo_srx_rules_for(srx, "it") == NULL);
	CHECK(mnemo_srx_rules_for(srx, "english") == NULL); /* the pattern covers the whole tag */
	CHECK(mnemo_srx_rules_for(srx, "de") == en);
	mnemo_srx_free(srx);
}

static void
test_lang_maps(void)
{
	struct mnemo_srx *srx = load_data("fr.srx");
	const struct mnemo_srx_rules *fr, *fr_ca, *dflt;
	char tag[80];
	int i;

	if (srx == NULL) {
		return;
	}
	fr = mnemo_srx_rules_for(srx, "fr");
	fr_ca = mnemo_srx_rules_for(srx, "fr-CA");
	dflt = mnemo_srx_rules_for(srx, "en");
	/* "FR.*" matches whatever the case; "fr[-_]CA" matches both spellings. */
	CHECK(mnemo_srx_rules_for(srx, "FR") == fr);
	CHECK(mnemo_srx_rules_for(srx, "fr-BE") == fr);
	CHECK(mnemo_srx_rules_for(srx, "fr-ca") == fr_ca);
	CHECK(mnemo_srx_rules_for(srx, "fr_CA") == fr_ca);
	CHECK(mnemo_srx_rules_for(srx, "frr") == fr); /* North Frisian: FR.* says so */
	CHECK(mnemo_srx_rules_for(srx, "es-419") == dflt);
	/* Not tags at all. */
	CHECK(mnemo_srx_rules_for(srx, "") == NULL);
	CHECK(mnemo_srx_rules_for(srx, NULL) == NULL);
	CHECK(mnemo_srx_rules_for(NULL, "fr") == NULL);
	memset(tag, 'a', sizeof(tag) - 1);
	tag[sizeof(tag) - 1] = '\0';
	CHECK(mnemo_srx_rules_for(srx, tag) == NULL); /* longer than any BCP 47 tag */
	/* More tags than the cache keeps: still answered, still shared. */
	for (i = 0; i < 1500; i++) {
		snprintf(tag, sizeof(tag), "x%d", i);
		CHECK(mnemo_srx_rules_for(srx, tag) == dflt);
	}
	CHECK(mnemo_srx_rules_for(srx, "x1499") == dflt);
	mnemo_srx_free(srx);
}

/* ---- files in the style of the CAT tools ---- */

static void
test_tool_styles(void)
{
	struct mnemo_srx *srx = load_data("omegat-style.srx");
	const struct mnemo_srx_rules *r;

	if (srx != NULL) {
		r = mnemo_srx_rules_for(srx, "fr-FR");
		CHECK(r != NULL);
		CHECK_MARKED(r, "1.# Introduction au vol.# 2.| Puis M.# Martin arrive.");
		/* Both: the period before a line break and the line break itself. */
		CHECK_MARKED(r, "Ligne un.|\n|Ligne deux !| Fin.");
		r = mnemo_srx_rules_for(srx, "en-US");
		CHECK_MARKED(r, "Mr.# Smith met Dr.# Watson.| They talked.| M.| Martin too.");
		r = mnemo_srx_rules_for(srx, "ja");
		CHECK_MARKED(r, "Mr.| Smith!| Yes.");
		mnemo_srx_free(srx);
	}

	srx = load_data("okapi-style.srx");
	if (srx != NULL) {
		r = mnemo_srx_rules_for(srx, "fr-FR");
		CHECK(r != NULL);
		/* (?i) inside the pattern, \u00B0 escapes, CDATA, &lt; &gt; entities. */
		CHECK_MARKED(r, "Voir le Chap.# 3.| Il explique tout.| Cf.# n°.# 12.");
		CHECK_MARKED(r, "Ligne<br/>|suite<br />|fin !»| Oui.");
		r = mnemo_srx_rules_for(srx, "de");
		CHECK_MARKED(r, "Siehe Chap.| 3.| Gut.");
		mnemo_srx_free(srx);
	}
}

/* ---- evaluation details ---- */

static void
test_rule_order(void)
{
	struct mnemo_srx *srx;
	const struct mnemo_srx_rules *r;

	/* Both rules match after "x" before "y": the first in the file decides. */
	srx = load_rules("<rule break=\"yes\"><beforebreak>x</beforebreak>"
			 "<afterbreak>y</afterbreak></rule>\n"
			 "<rule break=\"no\"><beforebreak>x</beforebreak></rule>");
	if (srx != NULL) {
		r = mnemo_srx_rules_for(srx, "fr");
		CHECK_MARKED(r, "ax|yb ax#b");
		mnemo_srx_free(srx);
	}
	srx = load_rules("<rule break=\"no\"><beforebreak>x</beforebreak></rule>\n"
			 "<rule break=\"yes\"><beforebreak>x</beforebreak>"
			 "<afterbreak>y</afterbreak></rule>");
	if (srx != NULL) {
		r = mnemo_srx_rules_for(srx, "fr");
		CHECK_MARKED(r, "ax#yb ax#b");
		mnemo_srx_free(srx);
	}
}

static void
test_empty_patterns(void)
{
	struct mnemo_srx *srx;
	const struct mnemo_srx_rules *r;

	/* A missing or empty pattern matches the empty string, so everywhere. */
	srx = load_rules("<rule break=\"no\"><afterbreak>[0-9]</afterbreak></rule>\n"
			 "<rule><beforebreak>,</beforebreak></rule>\n"
			 "<rule break=\"no\"><beforebreak/><afterbreak>;</afterbreak></rule>");
	if (srx != NULL) {
		r = mnemo_srx_rules_for(srx, "fr");
		CHECK_MARKED(r, "a#1,|b#2#;c,|;");
		mnemo_srx_free(srx);
	}
	/* A rule with neither pattern decides every position between two characters, and
	 * none inside one (é: 2 bytes, …: 3, the emoji: 4 and a UTF-16 surrogate pair). */
	srx = load_rules("<rule break=\"no\"/>");
	if (srx != NULL) {
		r = mnemo_srx_rules_for(srx, "fr");
		CHECK_MARKED(r, "a#é#" ELL "#" EMOJI "#b");
		mnemo_srx_free(srx);
	}
	srx = load_rules("<rule><beforebreak>.</beforebreak><afterbreak/></rule>");
	if (srx != NULL) {
		r = mnemo_srx_rules_for(srx, "fr");
		CHECK_MARKED(r, "a|" EMOJI "|b|" EMOJI);
		mnemo_srx_free(srx);
	}
}

static void
test_overlap_and_context(void)
{
	struct mnemo_srx *srx;
	const struct mnemo_srx_rules *r;

	/* [A-Z]\.[A-Z]\. matches "U.S." and, overlapping it, "S.A.", whose end is where the
	 * exception applies; a find() loop from each match's end would miss it. */
	srx = load_rules("<rule break=\"no\"><beforebreak>[A-Z]\\.[A-Z]\\.</beforebreak>"
			 "<afterbreak>\\s</afterbreak></rule>\n"
			 "<rule><beforebreak>[.?!]+</beforebreak>"
			 "<afterbreak>\\s+\\p{Lu}</afterbreak></rule>");
	if (srx != NULL) {
		r = mnemo_srx_rules_for(srx, "en");
		CHECK_MARKED(r, "He reads U.S.A.# Today.| Then he sleeps!?!| Good.");
		mnemo_srx_free(srx);
	}
	/* <afterbreak> is anchored at the position but sees the text before it (lookbehind,
	 * \b); ^ in <beforebreak> is the paragraph's start, not the search's. */
	srx = load_rules(
		"<rule><beforebreak>\\.</beforebreak>"
		"<afterbreak>(?&lt;=x\\.)\\s</afterbreak></rule>\n"
		"<rule break=\"no\"><beforebreak>^[0-9]+\\.</beforebreak></rule>\n"
		"<rule><beforebreak>\\s</beforebreak><afterbreak>\\bZ</afterbreak></rule>");
	if (srx != NULL) {
		r = mnemo_srx_rules_for(srx, "en");
		CHECK_MARKED(r, "12.#x.| a. 3. |Z");
		mnemo_srx_free(srx);
	}
	/* Case-sensitive, as SRX says, unless the pattern asks otherwise. */
	srx = load_rules("<rule><beforebreak>end\\.</beforebreak></rule>\n"
			 "<rule><beforebreak>(?i)stop\\.</beforebreak></rule>");
	if (srx != NULL) {
		r = mnemo_srx_rules_for(srx, "en");
		CHECK_MARKED(r, "end.| END. stop.| STOP.| x");
		mnemo_srx_free(srx);
	}
}

static void
test_apply_edges(void)
{
	struct mnemo_srx *srx = load_data("fr.srx");
	const struct mnemo_srx_rules *fr;
	const char bad[] = "Un \xff\xfe mot.\xc3 Deux.\xe2\x80 Trois \xed\xa0\x80. Quatre";
	uint32_t *pos = (uint32_t *)&pos;
	uint8_t *verdict = (uint8_t *)&verdict;
	int n;

	/* No rules at all (no map matched): nothing decided, nothing allocated. */
	n = mnemo_srx_apply(NULL, "A. B", 4, &pos, &verdict);
	CHECK_INT(n, 0);
	CHECK(pos == NULL && verdict == NULL);
	if (srx == NULL) {
		return;
	}
	fr = mnemo_srx_rules_for(srx, "fr");
	n = mnemo_srx_apply(fr, "", 0, &pos, &verdict);
	CHECK_INT(n, 0);
	/* Invalid UTF-8 is not checked again: the result is meaningless but sane. */
	n = mnemo_srx_apply(fr, bad, sizeof(bad) - 1, &pos, &verdict);
	CHECK(n >= 0 && result_sane(bad, sizeof(bad) - 1, pos, verdict, n));
	free(pos);
	free(verdict);
	/* An embedded NUL is a character like any other. */
	n = mnemo_srx_apply(fr, "Un.\0 Deux. Trois", 16, &pos, &verdict);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_INT(pos[0], 10);
	}
	free(pos);
	free(verdict);
	mnemo_srx_free(srx);
}

/* ---- limits ---- */

static void
test_catastrophic(void)
{
	struct mnemo_srx *srx;
	const struct mnemo_srx_rules *r;
	char text[256], *big;
	uint32_t *pos = NULL;
	uint8_t *verdict = NULL;
	double t0, dt;
	size_t i, n;
	int count;

	/* (a+)+$ backtracks 2^40 ways on 40 a's and a b. The rule runs out of time and counts
	 * as not matching, its early hit after "x" included; the next rule still runs. */
	srx = load_rules(
		"<rule break=\"no\"><beforebreak>x|(a+)+$</beforebreak></rule>\n"
		"<rule><beforebreak>[.?!]</beforebreak><afterbreak>\\s</afterbreak></rule>");
	if (srx == NULL) {
		return;
	}
	r = mnemo_srx_rules_for(srx, "en");
	n = (size_t)snprintf(text, sizeof(text), "x. ");
	for (i = 0; i < 40; i++) {
		text[n++] = 'a';
	}
	n += (size_t)snprintf(text + n, sizeof(text) - n, "b. End");
	t0 = now_s();
	count = mnemo_srx_apply(r, text, n, &pos, &verdict);
	dt = now_s() - t0;
	CHECK_MSG(dt < 1.0, "%.3f s", dt);
	if (verbose()) {
		fprintf(stderr, "catastrophic (a+)+$: %.3f s\n", dt);
	}
	CHECK_INT(count, 2);
	if (count == 2) {
		CHECK(pos[0] == 2 && verdict[0] == MNEMO_SRX_BREAK);
		CHECK(pos[1] == n - 4 && verdict[1] == MNEMO_SRX_BREAK);
	}
	free(pos);
	free(verdict);
	mnemo_srx_free(srx);

	/* Quadratic rather than exponential: \w+\. restarted at each letter of a 100,000
	 * letter word scans to its end each time, and overlapping restarts inside a run of
	 * 100,000 '!' would too. The first rule runs out of its budget and is dropped (else
	 * "Fin." would be a no-break); the second is stopped from rescanning the run once per
	 * '!' and still finds where it ends. The third is cheap: it must finish even where
	 * the machine is slow (valgrind), as its CPU time is limited too. */
	srx = load_rules("<rule break=\"no\"><beforebreak>\\w+\\.</beforebreak></rule>\n"
			 "<rule break=\"no\"><beforebreak>!+</beforebreak></rule>\n"
			 "<rule><beforebreak>\\.</beforebreak><afterbreak>\\s</afterbreak></rule>");
	if (srx == NULL) {
		return;
	}
	r = mnemo_srx_rules_for(srx, "en");
	big = malloc(400000);
	if (big == NULL) {
		CHECK(big != NULL);
		mnemo_srx_free(srx);
		return;
	}
	n = 200000;
	memset(big, 'a', n / 2);
	memset(big + n / 2, '!', n / 2);
	memcpy(big + n - 8, ". Fin. x", 8);
	t0 = now_s();
	count = mnemo_srx_apply(r, big, n, &pos, &verdict);
	dt = now_s() - t0;
	CHECK_MSG(dt < TIME_LIMIT_S, "%.3f s", dt);
	if (verbose()) {
		fprintf(stderr, "quadratic, %zu bytes: %d decisions, %.3f s\n", n, count, dt);
	}
	CHECK_INT(count, 3);
	if (count == 3) {
		CHECK(pos[0] == n - 8 && verdict[0] == MNEMO_SRX_NO_BREAK);
		CHECK(pos[1] == n - 7 && verdict[1] == MNEMO_SRX_BREAK);
		CHECK(pos[2] == n - 2 && verdict[2] == MNEMO_SRX_BREAK);
	}
	free(pos);
	free(verdict);

	/* Runs of 200,000 overflow the backtracking stack of \w+ and !+ as well: those rules
	 * are dropped, the last one is not. */
	n = 400000;
	memset(big, 'a', n / 2);
	memset(big + n / 2, '!', n / 2);
	memcpy(big + n - 8, ". Fin. x", 8);
	t0 = now_s();
	count = mnemo_srx_apply(r, big, n, &pos, &verdict);
	dt = now_s() - t0;
	CHECK_MSG(dt < TIME_LIMIT_S, "%.3f s", dt);
	if (verbose()) {
		fprintf(stderr, "stack limit, %zu bytes: %d decisions, %.3f s\n", n, count, dt);
	}
	CHECK_INT(count, 2);
	if (count == 2) {
		CHECK(pos[0] == n - 7 && pos[1] == n - 2);
	}
	free(pos);
	free(verdict);
	mnemo_srx_free(srx);

	/* Many calls each too short for ICU's tick counter: a*b|a scans a 5,000-letter run to
	 * its end from each letter before matching one. 4 s of CPU for 200 KB without the CPU
	 * time limit; with it, about 2 ms + 4 us per character. Whether the rule finishes
	 * depends on the machine's speed, so only the time is checked. */
	srx = load_rules("<rule><beforebreak>a*b|a</beforebreak></rule>");
	if (srx == NULL) {
		free(big);
		return;
	}
	r = mnemo_srx_rules_for(srx, "en");
	n = 200000;
	for (i = 0; i < n; i++) {
		big[i] = i % 5001 == 5000 ? ' ' : 'a';
	}
	t0 = cpu_s();
	count = mnemo_srx_apply(r, big, n, &pos, &verdict);
	dt = cpu_s() - t0;
	CHECK_MSG(dt < 2.5, "%.3f s of CPU", dt);
	if (verbose()) {
		fprintf(stderr, "many short calls, %zu bytes: %d decisions, %.3f s of CPU\n", n,
			count, dt);
	}
	CHECK(count >= 0 && result_sane(big, n, pos, verdict, count));
	free(pos);
	free(verdict);
	free(big);
	mnemo_srx_free(srx);
}

/* A long paragraph of ordinary sentences: every rule stays within its budget, so every
 * boundary is found, in time linear in the text. */
static void
test_long_paragraph(void)
{
	struct mnemo_srx *srx = load_data("fr.srx");
	const struct mnemo_srx_rules *fr;
	const size_t want = 1 << 20;
	size_t n = 0;
	uint32_t *pos = NULL;
	uint8_t *verdict = NULL;
	int count, sentences = 0, titles = 0, breaks = 0, i;
	double t0, dt;
	char *text;

	if (srx == NULL) {
		return;
	}
	fr = mnemo_srx_rules_for(srx, "fr");
	text = malloc(want + 64);
	if (text == NULL) {
		CHECK(text != NULL);
		mnemo_srx_free(srx);
		return;
	}
	while (n < want) {
		n += (size_t)snprintf(text + n, want + 64 - n, "%sM. Durand a vu %d élèves. ",
				      sentences % 7 == 0 ? "Phrase ? " : "", sentences);
		sentences += sentences % 7 == 0 ? 2 : 1;
		titles++;
	}
	n--; /* no trailing space */
	t0 = now_s();
	count = mnemo_srx_apply(fr, text, n, &pos, &verdict);
	dt = now_s() - t0;
	CHECK_MSG(dt < TIME_LIMIT_S, "%.3f s", dt);
	if (verbose()) {
		fprintf(stderr, "long paragraph, %zu bytes: %d decisions, %.3f s\n", n, count, dt);
	}
	CHECK(count > 0 && result_sane(text, n, pos, verdict, count));
	for (i = 0; i < count; i++) {
		breaks += verdict[i] == MNEMO_SRX_BREAK;
	}
	CHECK_INT(breaks, sentences - 1);
	CHECK_INT(count - breaks, titles); /* every "M." */
	free(pos);
	free(verdict);
	free(text);
	mnemo_srx_free(srx);
}

/* ---- loading errors ---- */

struct err_case {
	const char *doc;
	int want;
	const char *want_err; /* a substring of the message, "doc.srx:LINE: ..." */
};

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define BODY_OPEN "<body><languagerules><languagerule languagerulename=\"a\">\n"
#define BODY_CLOSE                                                                                 \
	"</languagerule></languagerules>\n"                                                        \
	"<maprules><languagemap languagepattern=\".*\" languagerulename=\"a\"/></maprules>"        \
	"</body></srx>\n"

static const struct err_case err_cases[] = {
	{"", -EINVAL, "doc.srx:1: XML error: no element found"},
	{HEAD SRX_OPEN BODY_OPEN "<rule>\n<beforebreak>x</afterbreak></rule>\n" BODY_CLOSE, -EINVAL,
	 "doc.srx:5: XML error: mismatched tag"},
	{HEAD SRX_OPEN BODY_OPEN "<rule><beforebreak>a&nbsp;b</beforebreak></rule>\n" BODY_CLOSE,
	 -EINVAL, "doc.srx:4: XML error: undefined entity"},
	{HEAD "<!DOCTYPE srx [\n<!ENTITY a \"aaaaaaaaaa\">\n<!ENTITY b "
	      "\"&a;&a;&a;&a;&a;\">\n]>\n" SRX_OPEN BODY_OPEN
	      "<rule><beforebreak>&b;</beforebreak></rule>\n" BODY_CLOSE,
	 -EINVAL, "doc.srx:2: DOCTYPE refused"},
	{HEAD "<!DOCTYPE srx SYSTEM \"http://example.invalid/srx20.dtd\">\n" SRX_OPEN BODY_OPEN
		 BODY_CLOSE,
	 -EINVAL, "doc.srx:2: DOCTYPE refused"},
	{HEAD SRX_OPEN BODY_OPEN "<rule>\n<beforebreak>(ab</beforebreak></rule>\n" BODY_CLOSE,
	 -EINVAL, "doc.srx:5: <beforebreak> does not compile: U_REGEX_MISMATCHED_PAREN"},
	{HEAD SRX_OPEN BODY_OPEN "<rule><beforebreak>a</beforebreak>\n<afterbreak>[b"
				 "</afterbreak></rule>\n" BODY_CLOSE,
	 -EINVAL, "doc.srx:5: <afterbreak> does not compile: U_REGEX_MISSING_CLOSE_BRACKET"},
	{HEAD SRX_OPEN BODY_OPEN "</languagerule></languagerules>\n<maprules>\n"
				 "<languagemap languagepattern=\".*\" languagerulename=\"b\"/>\n"
				 "</maprules></body></srx>\n",
	 -EINVAL, "doc.srx:6: languagemap names languagerule \"b\", which is not defined"},
	{HEAD SRX_OPEN BODY_OPEN "</languagerule></languagerules>\n<maprules>\n"
				 "<languagemap languagepattern=\"(fr\" languagerulename=\"a\"/>\n"
				 "</maprules></body></srx>\n",
	 -EINVAL, "doc.srx:6: languagepattern \"(fr\" does not compile"},
	{HEAD "<srx xmlns=\"http://www.lisa.org/srx\" version=\"1.0\">\n" BODY_OPEN BODY_CLOSE,
	 -EINVAL, "doc.srx:2: SRX 1.0 is not supported"},
	{HEAD "<srx version=\"1.0\">\n" BODY_OPEN BODY_CLOSE, -EINVAL,
	 "doc.srx:2: SRX 1.0 is not supported"},
	{HEAD "<srx xmlns=\"http://www.lisa.org/srx20\">\n" BODY_OPEN BODY_CLOSE, -EINVAL,
	 "doc.srx:2: <srx> without a version attribute"},
	{HEAD "<srx xmlns=\"http://www.lisa.org/srx20\" version=\"3.0\">\n" BODY_OPEN BODY_CLOSE,
	 -EINVAL, "doc.srx:2: SRX version \"3.0\" is not supported"},
	{HEAD "<tmx version=\"1.4\"/>\n", -EINVAL,
	 "doc.srx:2: not an SRX document: the root element is <tmx>"},
	{HEAD "<srx xmlns=\"urn:other\" version=\"2.0\"/>\n", -EINVAL,
	 "doc.srx:2: <srx> in namespace \"urn:other\""},
	{HEAD SRX_OPEN BODY_OPEN "<rule break=\"maybe\"/>\n" BODY_CLOSE, -EINVAL,
	 "doc.srx:4: break=\"maybe\": expected \"yes\" or \"no\""},
	{HEAD SRX_OPEN "<header cascade=\"always\"/>\n" BODY_OPEN BODY_CLOSE, -EINVAL,
	 "doc.srx:3: cascade=\"always\""},
	{HEAD SRX_OPEN BODY_OPEN
	 "</languagerule>\n<languagerule languagerulename=\"a\">\n" BODY_CLOSE,
	 -EINVAL, "doc.srx:5: languagerule \"a\" is defined twice (first at line 3)"},
	{HEAD SRX_OPEN BODY_OPEN "<rule><beforbreak>x</beforbreak></rule>\n" BODY_CLOSE, -EINVAL,
	 "doc.srx:4: unexpected <beforbreak> inside <rule>"},
	{HEAD SRX_OPEN BODY_OPEN "<rule><beforebreak>x<b/></beforebreak></rule>\n" BODY_CLOSE,
	 -EINVAL, "doc.srx:4: <b> inside <beforebreak>: a pattern is text only"},
	{HEAD SRX_OPEN BODY_OPEN "<rule><beforebreak>x</beforebreak><beforebreak>y"
				 "</beforebreak></rule>\n" BODY_CLOSE,
	 -EINVAL, "doc.srx:4: a second <beforebreak> in one rule"},
	{HEAD SRX_OPEN BODY_OPEN "<rule>x\\.</rule>\n" BODY_CLOSE, -EINVAL,
	 "doc.srx:4: text inside <rule>, outside any pattern"},
	{HEAD SRX_OPEN "<body><languagerules><languagerule>\n" BODY_CLOSE, -EINVAL,
	 "doc.srx:3: <languagerule> without a languagerulename"},
	{HEAD SRX_OPEN BODY_OPEN
	 "</languagerule></languagerules>\n<maprules>\n"
	 "<languagemap languagerulename=\"a\"/>\n</maprules></body></srx>\n",
	 -EINVAL, "doc.srx:6: <languagemap> needs both languagepattern and languagerulename"},
	{HEAD SRX_OPEN BODY_OPEN "<rule><beforebreak>caf\xe9</beforebreak></rule>\n" BODY_CLOSE,
	 -EINVAL, "doc.srx:4: XML error: not well-formed (invalid token)"},
	{HEAD SRX_OPEN "<header/>\n<header/>\n" BODY_OPEN BODY_CLOSE, -EINVAL,
	 "doc.srx:4: a second <header>"},
	{HEAD SRX_OPEN "<body><languagerules><x:y xmlns:x=\"urn:x\"><a><b><c/></b></a></x:y>\n"
		       "</languagerules><rule/></body></srx>\n",
	 -EINVAL, "doc.srx:4: unexpected <rule> inside <body>"},
};

static void
test_load_errors(void)
{
	char err[ERR_SIZE];
	size_t i;

	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *c = &err_cases[i];
		struct mnemo_srx *srx = (struct mnemo_srx *)&srx; /* must stay untouched */
		int r;

		r = mnemo_srx_load(c->doc, strlen(c->doc), "doc.srx", &srx, err, sizeof(err));
		CHECK_MSG(r == c->want, "case %zu: %d, want %d (%s)", i, r, c->want, err);
		CHECK_MSG(strstr(err, c->want_err) != NULL, "case %zu: '%s' lacks '%s'", i, err,
			  c->want_err);
		CHECK_MSG(srx == (struct mnemo_srx *)&srx, "case %zu: *ret written", i);
		if (verbose()) {
			fprintf(stderr, "%s\n", err);
		}
	}
}

static void
test_load_error_files(void)
{
	static const struct {
		const char *file;
		int want;
		const char *want_err;
	} cases[] = {
		{"billion-laughs.srx", -EINVAL, "billion-laughs.srx:2: DOCTYPE refused"},
		{"external-entity.srx", -EINVAL, "external-entity.srx:2: DOCTYPE refused"},
		{"srx10.srx", -EINVAL, "srx10.srx:4: SRX 1.0 is not supported"},
		{"no-such-file.srx", -ENOENT, "no-such-file.srx: No such file or directory"},
	};
	char path[1024], err[ERR_SIZE];
	struct mnemo_srx *srx;
	double t0;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		srx = NULL;
		t0 = now_s();
		r = mnemo_srx_load_file(data_path(cases[i].file, path, sizeof(path)), &srx, err,
					sizeof(err));
		CHECK_MSG(r == cases[i].want, "%s: %d (%s)", cases[i].file, r, err);
		CHECK_MSG(strstr(err, cases[i].want_err) != NULL, "'%s' lacks '%s'", err,
			  cases[i].want_err);
		CHECK(srx == NULL);
		CHECK(now_s() - t0 < 1.0);
		if (verbose()) {
			fprintf(stderr, "%s\n", err);
		}
	}
}

static void
test_load_misc(void)
{
	char err[ERR_SIZE], small[12];
	struct mnemo_srx *srx = NULL;
	const char *doc = HEAD SRX_OPEN "<body/></srx>";
	char *huge;
	size_t n = (16 << 20) + 1;
	int r;

	/* A document with no rules and no maps is valid, and useless. */
	r = mnemo_srx_load(doc, strlen(doc), NULL, &srx, err, sizeof(err));
	CHECK_INT(r, 0);
	CHECK(mnemo_srx_rules_for(srx, "fr") == NULL);
	mnemo_srx_free(srx);
	mnemo_srx_free(NULL);

	/* No room for the message, or a small one: still an error, still terminated. */
	srx = NULL;
	r = mnemo_srx_load("<srx/>", 6, "x", &srx, NULL, 0);
	CHECK_INT(r, -EINVAL);
	r = mnemo_srx_load("<srx/>", 6, "a-long-name.srx", &srx, small, sizeof(small));
	CHECK_INT(r, -EINVAL);
	CHECK(strlen(small) == sizeof(small) - 1);
	CHECK(srx == NULL);

	/* A UTF-8 byte order mark, as some editors write, is fine. */
	{
		char bom[512];

		snprintf(bom, sizeof(bom), "\xef\xbb\xbf%s", doc);
		srx = NULL;
		r = mnemo_srx_load(bom, strlen(bom), "bom.srx", &srx, err, sizeof(err));
		CHECK_MSG(r == 0, "%s", err);
		mnemo_srx_free(srx);
	}

	/* Nesting: SRX needs 6 levels; extensions may use some more, not thousands. */
	huge = malloc(1 << 20);
	if (huge != NULL) {
		size_t at = (size_t)sprintf(huge, HEAD SRX_OPEN "<body>\n");
		int i;

		for (i = 0; i < 10000; i++) {
			at += (size_t)sprintf(huge + at, "<x:a xmlns:x=\"urn:x\">");
		}
		srx = NULL;
		r = mnemo_srx_load(huge, at, "deep.srx", &srx, err, sizeof(err));
		CHECK_INT(r, -EINVAL);
		CHECK_MSG(strstr(err, "deep.srx:4: elements nested more than 64 deep") != NULL,
			  "%s", err);

		/* A pattern of over 64 KiB. */
		at = (size_t)sprintf(huge, HEAD SRX_OPEN BODY_OPEN "<rule>\n<beforebreak>");
		memset(huge + at, 'a', 70000);
		at += 70000;
		at += (size_t)sprintf(huge + at, "</beforebreak></rule>" BODY_CLOSE);
		r = mnemo_srx_load(huge, at, "long.srx", &srx, err, sizeof(err));
		CHECK_INT(r, -EINVAL);
		CHECK_MSG(strstr(err, "long.srx:5: a pattern longer than 65536 bytes") != NULL,
			  "%s", err);
		CHECK(srx == NULL);
		free(huge);
	}

	/* Larger than the limit: refused before parsing. */
	huge = malloc(n);
	if (huge != NULL) {
		memset(huge, ' ', n);
		r = mnemo_srx_load(huge, n, "huge.srx", &srx, err, sizeof(err));
		CHECK_INT(r, -EFBIG);
		CHECK(strstr(err, "huge.srx: ") == err);
		free(huge);
	}
}

/* ---- threads ---- */

static const char *const thread_texts[] = {
	"M. Dupont est arrivé. Il repart demain.",
	"Mme. Curie a parlé, p. ex. de radium. Puis elle est partie.",
	"« Non" NBSP "!" NBSP "» Il part. C'est fini " EMOJI ". Été" ELL " Ça va ? Oui.",
	"Il habite 12 boul. Saint-Laurent, app. Quatre. Venez.",
};
static const char *const thread_langs[] = {"fr", "fr-CA", "en", "fr-BE"};

enum { N_THREADS = 4, N_ROUNDS = 300, N_TEXTS = 4, N_LANGS = 4 };

struct thread_ref {
	const struct mnemo_srx *srx;
	const struct mnemo_srx_rules *rules[N_LANGS];
	char *want[N_LANGS][N_TEXTS];
	int failures;
};

static char *
apply_rendered(const struct mnemo_srx_rules *rules, const char *text)
{
	uint32_t *pos = NULL;
	uint8_t *verdict = NULL;
	size_t len = strlen(text);
	char *s = NULL;
	int n;

	n = mnemo_srx_apply(rules, text, len, &pos, &verdict);
	if (n >= 0) {
		s = render(text, len, pos, verdict, n);
	}
	free(pos);
	free(verdict);
	return s;
}

static void *
thread_main(void *arg)
{
	struct thread_ref *ref = arg;
	int round, l, t, failures = 0;
	char tag[32];

	for (round = 0; round < N_ROUNDS; round++) {
		for (l = 0; l < N_LANGS; l++) {
			const struct mnemo_srx_rules *r =
				mnemo_srx_rules_for(ref->srx, thread_langs[l]);

			failures += r != ref->rules[l];
			for (t = 0; t < N_TEXTS; t++) {
				char *got = apply_rendered(r, thread_texts[t]);

				failures += got == NULL || strcmp(got, ref->want[l][t]) != 0;
				free(got);
			}
		}
		/* New tags, filling the cache while others read it. */
		snprintf(tag, sizeof(tag), "fr-x-t%d", round);
		failures += mnemo_srx_rules_for(ref->srx, tag) != ref->rules[0];
	}
	__atomic_add_fetch(&ref->failures, failures, __ATOMIC_RELAXED);
	return NULL;
}

static void
test_threads(void)
{
	struct mnemo_srx *srx = load_data("fr.srx");
	struct thread_ref ref = {0};
	pthread_t th[N_THREADS];
	int l, t, i, started = 0;

	if (srx == NULL) {
		return;
	}
	ref.srx = srx;
	for (l = 0; l < N_LANGS; l++) {
		ref.rules[l] = mnemo_srx_rules_for(srx, thread_langs[l]);
		for (t = 0; t < N_TEXTS; t++) {
			ref.want[l][t] = apply_rendered(ref.rules[l], thread_texts[t]);
			CHECK(ref.want[l][t] != NULL);
		}
	}
	CHECK(ref.rules[0] == ref.rules[3] && ref.rules[0] != ref.rules[1]);
	CHECK_STR(ref.want[1][3], "Il habite 12 boul.# Saint-Laurent, app.# Quatre.| Venez.");
	for (i = 0; i < N_THREADS; i++) {
		if (pthread_create(&th[i], NULL, thread_main, &ref) == 0) {
			started++;
		}
	}
	CHECK_INT(started, N_THREADS);
	for (i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
	}
	CHECK_INT(ref.failures, 0);
	for (l = 0; l < N_LANGS; l++) {
		for (t = 0; t < N_TEXTS; t++) {
			free(ref.want[l][t]);
		}
	}
	mnemo_srx_free(srx);
}

int
main(void)
{
	test_french();
	test_no_cascade();
	test_lang_maps();
	test_tool_styles();
	test_rule_order();
	test_empty_patterns();
	test_overlap_and_context();
	test_apply_edges();
	test_catastrophic();
	test_long_paragraph();
	test_load_errors();
	test_load_error_files();
	test_load_misc();
	test_threads();
	return check_exit();
}
