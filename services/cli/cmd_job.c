/* mnemo job: many document pairs aligned as one batch job of the service (POST /v1/jobs,
 * documents added in batches), its progress followed, its result written as JSON lines or
 * TMX. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "formats.h"
#include "json.h"
#include "text.h"

static const char usage[] =
	"Usage: mnemo job submit --from L --to L [--store] [--min-score X] [--origin O]\n"
	"                        [--project P] [--domain D] [--job-id ID] [--detach]\n"
	"                        [--output FILE] [--format jsonl|tmx] [--list FILE]\n"
	"                        [DIR | SOURCE TARGET ...]\n"
	"       mnemo job status ID [--json]\n"
	"       mnemo job result ID [--format jsonl|tmx] [--output FILE]\n"
	"\n"
	"A job aligns many documents and their translations on the service, as mnemo align\n"
	"does one pair; it goes on when the service restarts, and a document that fails (empty,\n"
	"in the wrong language, a URL that cannot be fetched) fails alone.\n"
	"\n"
	"submit sends the pairs and follows the job until every document is done: a progress\n"
	"bar on standard error (a line every few seconds when it is not a terminal), then a\n"
	"summary and each failed document. Exit status 0 when every document was aligned, 1\n"
	"when one failed (or could not be sent), 2 on a usage error. The pairs are:\n"
	"  DIR                the files NAME.L.txt (or .html) of DIR in --from, each with its\n"
	"                     NAME.L.txt in --to; a file without its partner is skipped (and\n"
	"                     named on standard error)\n"
	"  SOURCE TARGET ...  pairs of files or http(s) URLs (the service fetches those)\n"
	"  --list FILE        a pair a line, SOURCE<TAB>TARGET (paths or URLs; # comments)\n"
	"A file is sent as UTF-8 text if it is, else as bytes whose encoding the service\n"
	"detects; .html files as HTML. A document is named after its source file (NAME), or\n"
	"line-N (the list's line) when both sides are URLs. A pair bigger than a request may\n"
	"be ([gateway] max_body_bytes) is not sent and counts as failed.\n"
	"  --from L, --to L   the languages of the sources and of the targets (BCP 47)\n"
	"  --store            keep the accepted pairs in the translation memory; a document\n"
	"                     aligned twice (after a restart) is stored once\n"
	"  --min-score X      the lowest confidence stored, 0-1 (default 0.5)\n"
	"  --origin O         the stored units' origin (default job:ID:NAME)\n"
	"  --project P, --domain D   the stored units' project and domain\n"
	"  --job-id ID        the job's id (1-128 of A-Z a-z 0-9 . _ : -; default: the\n"
	"                     service makes one); a batch sent again after a network error\n"
	"                     is not added twice\n"
	"  --detach           print the job's id once it is sent, and do not wait (remote\n"
	"                     mode only: follow it with mnemo job status ID)\n"
	"  --output FILE      when done, write the result there (as mnemo job result does)\n"
	"  --format F         of --output: jsonl (default) or tmx\n"
	"\n"
	"status prints the job's state, counts and failures (--json: the API's JSON).\n"
	"\n"
	"result writes what the job aligned: --format jsonl (default), a line per bead of each\n"
	"document, {\"document\": NAME, \"source_ids\", \"target_ids\", \"source\", \"target\",\n"
	"\"score\", \"bead\", \"accepted\"}, and a line {\"document\": NAME, \"error\":\n"
	"{\"code\", \"message\"}} per failed one; or --format tmx, TMX 1.4b of the accepted\n"
	"pairs (origin job:ID:NAME). To standard output, or --output FILE (written whole,\n"
	"then renamed into place). Exit status 1 when the job is not done yet (what is done\n"
	"is written).\n"
	"\n"
	"Examples:\n"
	"  mnemo job submit --from fr --to en --store --job-id news-1 tests/data/align/news\n"
	"  mnemo job status news-1\n"
	"  mnemo job result news-1 --format tmx --output news.tmx\n"
	"  mnemo job submit --from fr --to en --list pairs.tsv --detach \\\n"
	"      --url http://127.0.0.1:8700\n"
	"\n";

enum {
	OPT_FROM = OPT_FIRST_OWN,
	OPT_TO,
	OPT_STORE,
	OPT_MIN_SCORE,
	OPT_ORIGIN,
	OPT_PROJECT,
	OPT_DOMAIN,
	OPT_JOB_ID,
	OPT_DETACH,
	OPT_OUTPUT,
	OPT_FORMAT,
	OPT_LIST,
	OPT_JSON,
	OPT_END,
	MAX_BATCH_BYTES = 2 * 1024 * 1024, /* a request's documents, unless one alone is more */
	SETTINGS_BYTES = 16 * 1024,        /* what a request has besides its documents */
	POLL_MS = 250,
	REPORT_EVERY_MS = 5000,       /* without a terminal: a progress line at most this often */
	UNREACHABLE_MS = 60000,       /* the service not answering for this long ends the wait */
	SEND_ATTEMPTS = 3,            /* a batch not delivered is sent again (harmless) */
	RESULT_PAGE = 20,             /* documents per GET /v1/jobs/ID/result */
};

/* Which options each action takes (bits by option - OPT_FIRST_OWN). */
#define BIT(opt) (1u << ((opt) - OPT_FIRST_OWN))
static const unsigned submit_opts =
	BIT(OPT_FROM) | BIT(OPT_TO) | BIT(OPT_STORE) | BIT(OPT_MIN_SCORE) | BIT(OPT_ORIGIN) |
	BIT(OPT_PROJECT) | BIT(OPT_DOMAIN) | BIT(OPT_JOB_ID) | BIT(OPT_DETACH) | BIT(OPT_OUTPUT) |
	BIT(OPT_FORMAT) | BIT(OPT_LIST);
static const unsigned status_opts = BIT(OPT_JSON);
static const unsigned result_opts = BIT(OPT_FORMAT) | BIT(OPT_OUTPUT);

static const struct option options[] = {
	CLI_COMMON_OPTIONS,
	{"from", required_argument, NULL, OPT_FROM},
	{"to", required_argument, NULL, OPT_TO},
	{"store", no_argument, NULL, OPT_STORE},
	{"min-score", required_argument, NULL, OPT_MIN_SCORE},
	{"origin", required_argument, NULL, OPT_ORIGIN},
	{"project", required_argument, NULL, OPT_PROJECT},
	{"domain", required_argument, NULL, OPT_DOMAIN},
	{"job-id", required_argument, NULL, OPT_JOB_ID},
	{"detach", no_argument, NULL, OPT_DETACH},
	{"output", required_argument, NULL, OPT_OUTPUT},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"list", required_argument, NULL, OPT_LIST},
	{"json", no_argument, NULL, OPT_JSON},
	{NULL, 0, NULL, 0},
};

/* One document: its name in the job and its two sides, each a path or a URL. */
struct pair {
	char *name;
	char *side[2];
};

struct job_args {
	struct cli cli;
	const char *action, *id;
	const char *value[OPT_END - OPT_FIRST_OWN]; /* the options' values, by option */
	unsigned given;                            /* BIT() of each option given */
	char **operands;
	int n_operands;
	double min_score;
	int tmx;

	struct pair *pairs;
	size_t n_pairs, cap_pairs;
	int input_errors; /* files without a partner (skipped, named on stderr) */
};

#define ARG(a, opt) ((a)->value[(opt) - OPT_FIRST_OWN])
#define HAS(a, opt) (((a)->given & BIT(opt)) != 0)

/* ---- small helpers ---- */

static int
is_url(const char *s)
{
	return strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static int
is_html(const char *path)
{
	return ends_with(path, ".html") || ends_with(path, ".htm");
}

/* The API's job ids; "." and ".." would not survive in a URL's path. */
static int
valid_job_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 128 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0) {
		return 0;
	}
	return strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") ==
	       n;
}

/* An integer field of a reply (64-bit ones may come as decimal strings). */
static uint64_t
num(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_integer(v)) {
		return json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
	}
	if (json_is_string(v)) {
		return strtoull(json_string_value(v), NULL, 10);
	}
	return json_is_real(v) && json_real_value(v) > 0 ? (uint64_t)json_real_value(v) : 0;
}

static const char *
str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "";
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

/* ---- the options ---- */

static int
parse(int argc, char **argv, struct job_args *a)
{
	static const struct {
		const char *action;
		const unsigned *opts;
	} actions[] = {
		{"submit", &submit_opts},
		{"status", &status_opts},
		{"result", &result_opts},
	};
	unsigned allowed = 0;
	char *end;
	int opt;

	if (cli_init(&a->cli, argc, argv, "warn") < 0) {
		return cli_fail("%s", a->cli.err);
	}
	while ((opt = cli_getopt(&a->cli, argc, argv, options, usage)) != -1) {
		if (opt < OPT_FIRST_OWN || opt >= OPT_END) {
			fputs(usage, stderr);
			return 2;
		}
		a->given |= BIT(opt);
		a->value[opt - OPT_FIRST_OWN] = optarg;
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	a->action = argv[optind++];
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (strcmp(a->action, actions[i].action) == 0) {
			allowed = *actions[i].opts;
		}
	}
	if (allowed == 0) {
		fprintf(stderr, "mnemo: job: unknown action '%s' (submit, status, result)\n\n",
			a->action);
		fputs(usage, stderr);
		return 2;
	}
	for (const struct option *o = options; o->name != NULL; o++) {
		if (o->val >= OPT_FIRST_OWN && HAS(a, o->val) && !(allowed & BIT(o->val))) {
			fprintf(stderr, "mnemo: job %s does not take --%s\n\n", a->action, o->name);
			fputs(usage, stderr);
			return 2;
		}
	}
	a->operands = argv + optind;
	a->n_operands = argc - optind;
	if (strcmp(a->action, "submit") != 0) {
		if (a->n_operands != 1) {
			fputs(usage, stderr);
			return 2;
		}
		a->id = a->operands[0];
		if (!valid_job_id(a->id)) {
			return cli_fail("job %s: '%s' is not a job id (1-128 of A-Z a-z 0-9 . _ "
					": -)", a->action, a->id);
		}
	} else {
		if (a->n_operands == 0 && !HAS(a, OPT_LIST)) {
			fputs(usage, stderr);
			return 2;
		}
		if (ARG(a, OPT_FROM) == NULL || ARG(a, OPT_TO) == NULL) {
			return cli_fail("job submit: --from and --to are required (e.g. --from fr "
					"--to en)");
		}
		if (strcmp(ARG(a, OPT_FROM), ARG(a, OPT_TO)) == 0) {
			return cli_fail("job submit: --from and --to are the same language");
		}
		if (ARG(a, OPT_JOB_ID) != NULL && !valid_job_id(ARG(a, OPT_JOB_ID))) {
			return cli_fail("job submit: --job-id '%s' is not 1-128 of A-Z a-z 0-9 . "
					"_ : -", ARG(a, OPT_JOB_ID));
		}
		if (ARG(a, OPT_MIN_SCORE) != NULL) {
			const char *v = ARG(a, OPT_MIN_SCORE);

			a->min_score = strtod(v, &end);
			if (*v == '\0' || *end != '\0' ||
			    !(a->min_score > 0 && a->min_score <= 1)) {
				return cli_fail("job submit: --min-score takes a confidence above "
						"0, up to 1");
			}
		}
		if (HAS(a, OPT_DETACH) && a->cli.url == NULL) {
			return cli_fail("job submit: --detach needs a running mnemo (--url): in "
					"local mode the job runs inside this command, which would "
					"end it");
		}
		if (HAS(a, OPT_FORMAT) && !HAS(a, OPT_OUTPUT)) {
			return cli_fail("job submit: --format is the format of --output FILE");
		}
		if (HAS(a, OPT_DETACH) && HAS(a, OPT_OUTPUT)) {
			return cli_fail("job submit: --detach does not wait for the result: write "
					"it later with mnemo job result ID --output FILE");
		}
	}
	if (ARG(a, OPT_FORMAT) != NULL) {
		if (strcmp(ARG(a, OPT_FORMAT), "tmx") != 0 &&
		    strcmp(ARG(a, OPT_FORMAT), "jsonl") != 0) {
			return cli_fail("job %s: --format is jsonl or tmx, not %s", a->action,
					ARG(a, OPT_FORMAT));
		}
		a->tmx = strcmp(ARG(a, OPT_FORMAT), "tmx") == 0;
	}
	return cli_finish(&a->cli) < 0 ? cli_fail("%s", a->cli.err) : 0;
}

/* ---- the pairs to send ---- */

/* NAME.LANG.EXT (EXT txt, html or htm): the length of NAME, else 0. */
static size_t
stem_of(const char *file, const char *lang)
{
	static const char *const exts[] = {".txt", ".html", ".htm"};
	size_t n = strlen(file), l = strlen(lang);

	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		size_t e = strlen(exts[i]);

		if (n > l + e + 1 && strcasecmp(file + n - e, exts[i]) == 0 &&
		    file[n - e - l - 1] == '.' && strncasecmp(file + n - e - l, lang, l) == 0) {
			return n - e - l - 1;
		}
	}
	return 0;
}

/* A document's name: the source file's base name without ".LANG.txt" (or .html), else the
 * target's, else fallback; made unique in the job with "-2", "-3"... */
static char *
pair_name(const struct job_args *a, const char *src, const char *tgt, const char *fallback)
{
	const char *path = !is_url(src) ? src : !is_url(tgt) ? tgt : NULL;
	char base[1024], name[1100];

	if (path == NULL) {
		snprintf(base, sizeof(base), "%s", fallback);
	} else {
		const char *slash = strrchr(path, '/');
		size_t stem;

		snprintf(base, sizeof(base), "%s", slash != NULL ? slash + 1 : path);
		stem = stem_of(base, path == src ? ARG(a, OPT_FROM) : ARG(a, OPT_TO));
		if (stem > 0) {
			base[stem] = '\0';
		} else if ((ends_with(base, ".txt") || is_html(base)) &&
			   strrchr(base, '.') != base) {
			*strrchr(base, '.') = '\0';
		}
		if (base[0] == '\0') {
			snprintf(base, sizeof(base), "%s", fallback);
		}
	}
	/* names go in JSON: a file name in another encoding loses its other bytes */
	if (mnemo_text_check_utf8(base, strlen(base), &(size_t){0}) < 0) {
		for (char *c = base; *c != '\0'; c++) {
			*c = (unsigned char)*c >= 0x80 ? '_' : *c;
		}
	}
	snprintf(name, sizeof(name), "%s", base);
	for (unsigned k = 2;; k++) {
		size_t i;

		for (i = 0; i < a->n_pairs && strcmp(a->pairs[i].name, name) != 0; i++) {
		}
		if (i == a->n_pairs) {
			break;
		}
		snprintf(name, sizeof(name), "%s-%u", base, k);
	}
	return strdup(name);
}

static int
add_pair(struct job_args *a, const char *src, const char *tgt, const char *fallback)
{
	struct pair *p;

	if (a->n_pairs == a->cap_pairs) {
		size_t cap = a->cap_pairs ? a->cap_pairs * 2 : 64;
		struct pair *grown = realloc(a->pairs, cap * sizeof(*grown));

		if (grown == NULL) {
			return cli_fail("out of memory");
		}
		a->pairs = grown;
		a->cap_pairs = cap;
	}
	p = &a->pairs[a->n_pairs];
	p->name = pair_name(a, src, tgt, fallback);
	p->side[0] = strdup(src);
	p->side[1] = strdup(tgt);
	if (p->name == NULL || p->side[0] == NULL || p->side[1] == NULL) {
		free(p->name);
		free(p->side[0]);
		free(p->side[1]);
		return cli_fail("out of memory");
	}
	a->n_pairs++;
	return 0;
}

static void
free_pairs(struct job_args *a)
{
	for (size_t i = 0; i < a->n_pairs; i++) {
		free(a->pairs[i].name);
		free(a->pairs[i].side[0]);
		free(a->pairs[i].side[1]);
	}
	free(a->pairs);
}

static int
is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* DIR's NAME.FROM.EXT files with their NAME.TO.EXT, in name order. */
static int
add_dir(struct job_args *a, const char *dir)
{
	const char *from = ARG(a, OPT_FROM), *to = ARG(a, OPT_TO);
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort), rc = 0;
	char src[4096], tgt[4096];

	if (n < 0) {
		return cli_fail("%s: %s", dir, strerror(errno));
	}
	for (int i = 0; i < n; i++) {
		const char *f = ents[i]->d_name;
		size_t stem = stem_of(f, from), other;

		snprintf(src, sizeof(src), "%s/%s", dir, f);
		if (rc != 0 || f[0] == '.' || !is_file(src)) {
			continue;
		}
		if (stem > 0) {
			/* the partner has the same extension */
			snprintf(tgt, sizeof(tgt), "%s/%.*s.%s%s", dir, (int)stem, f, to,
				 f + stem + 1 + strlen(from));
			if (is_file(tgt)) {
				rc = add_pair(a, src, tgt, f);
			} else {
				fprintf(stderr, "mnemo: %s: no %s beside it, skipped\n", src,
					strrchr(tgt, '/') + 1);
				a->input_errors++;
			}
		} else if ((other = stem_of(f, to)) > 0) {
			snprintf(tgt, sizeof(tgt), "%s/%.*s.%s%s", dir, (int)other, f, from,
				 f + other + 1 + strlen(to));
			if (!is_file(tgt)) {
				fprintf(stderr, "mnemo: %s: no %s beside it, skipped\n", src,
					strrchr(tgt, '/') + 1);
				a->input_errors++;
			}
		}
	}
	for (int i = 0; i < n; i++) {
		free(ents[i]);
	}
	free(ents);
	return rc;
}

/* --list FILE: SOURCE<TAB>TARGET a line; blank lines and # comments skipped. */
static int
add_list(struct job_args *a, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL, fallback[32];
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = 0;

	if (f == NULL) {
		return cli_fail("%s: %s", path, strerror(errno));
	}
	while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
		char *tab, *s = line;

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
			line[--n] = '\0';
		}
		s += strspn(s, " ");
		if (*s == '\0' || *s == '#') {
			continue;
		}
		tab = strchr(s, '\t');
		if (tab == NULL || tab == s || tab[1] == '\0' || strchr(tab + 1, '\t') != NULL) {
			rc = cli_fail("%s:%zu: not SOURCE<TAB>TARGET", path, lineno);
			break;
		}
		*tab = '\0';
		snprintf(fallback, sizeof(fallback), "line-%zu", lineno);
		rc = add_pair(a, s, tab + 1, fallback);
	}
	free(line);
	if (f != stdin) {
		fclose(f);
	}
	return rc;
}

static int
collect(struct job_args *a)
{
	char fallback[32];
	int rc = 0;

	if (ARG(a, OPT_LIST) != NULL) {
		rc = add_list(a, ARG(a, OPT_LIST));
	}
	for (int i = 0; i < a->n_operands && rc == 0; i++) {
		struct stat st;

		if (!is_url(a->operands[i]) && stat(a->operands[i], &st) == 0 &&
		    S_ISDIR(st.st_mode)) {
			rc = add_dir(a, a->operands[i]);
			continue;
		}
		if (i + 1 >= a->n_operands) {
			fprintf(stderr, "mnemo: job submit: %s has no TARGET (files come in pairs: "
				"SOURCE TARGET)\n\n", a->operands[i]);
			fputs(usage, stderr);
			return 2;
		}
		snprintf(fallback, sizeof(fallback), "pair-%d", i / 2 + 1);
		rc = add_pair(a, a->operands[i], a->operands[i + 1], fallback);
		i++;
	}
	if (rc == 0 && a->n_pairs == 0) {
		rc = cli_fail("job submit: no document pairs to send%s",
			      a->input_errors > 0 ? " (every file lacks its partner)" : "");
	}
	return rc;
}

/* ---- sending ---- */

struct submit {
	struct job_args *a;
	struct client *c;
	char id[160];
	int created, open;   /* the job exists; it was last told more documents follow */
	size_t doc_max;      /* one document's JSON, at most */
	size_t batch_max;    /* a batch's documents, at most (unless one alone is more) */
	size_t next;         /* the next pair to read */
	json_t *held;        /* a document read but not in the last batch (it did not fit) */
	size_t held_bytes;
	json_t *failed;      /* [{"name", "error": {"code", "message"}}] not sent */
	unsigned sent;       /* documents sent */
	int show;            /* a bar on a terminal */
};

static void
fail_local(struct submit *s, const char *name, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
fail_local(struct submit *s, const char *name, const char *code, const char *fmt, ...)
{
	char message[2048], what[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	snprintf(what, sizeof(what), "%s", code);
	for (char *c = what; *c != '\0'; c++) {
		*c = *c == '_' ? ' ' : *c;
	}
	if (s->show) {
		cli_progress_clear();
	}
	fprintf(stderr, "mnemo: %s: %s: %s; not sent, counted as failed\n", name, what, message);
	json_array_append_new(s->failed, json_pack("{s:s, s:{s:s, s:s}}", "name", name, "error",
						   "code", code, "message", message));
}

/* One side: {"url"}, or the file as "text" (UTF-8) or "data" (other bytes). */
static json_t *
side_of(const struct submit *s, const char *path, char *err, size_t err_size)
{
	const char *slash = strrchr(path, '/');
	json_t *side;
	char *data;
	size_t len;

	if (is_url(path)) {
		side = json_pack("{s:s}", "url", path);
		if (side == NULL) {
			snprintf(err, err_size, "the URL is not UTF-8");
		}
		return side;
	}
	if (cli_read_input(path, s->doc_max, &data, &len, err, err_size) < 0) {
		return NULL;
	}
	/* not set when the file name is not UTF-8: the document's name does then */
	side = json_object();
	(void)json_object_set_new(side, "name", json_string(slash != NULL ? slash + 1 : path));
	if (is_html(path)) {
		json_object_set_new(side, "format", json_string("html"));
	}
	if (cli_document_content(side, data, len, NULL) < 0) {
		snprintf(err, err_size, "out of memory");
		json_decref(side);
		return NULL;
	}
	return side;
}

/* The next document that can be sent, and the bytes it takes in a request; NULL at the
 * end. Those that cannot (too large, unreadable) are counted as failed on the way. */
static json_t *
next_document(struct submit *s, size_t *ret_bytes)
{
	while (s->next < s->a->n_pairs) {
		const struct pair *p = &s->a->pairs[s->next++];
		uint64_t file_bytes = 0;
		json_t *doc, *side[2] = {NULL, NULL};
		char err[4096];
		size_t bytes;
		int k;

		for (k = 0; k < 2; k++) {
			struct stat st;

			if (!is_url(p->side[k]) && stat(p->side[k], &st) == 0 &&
			    S_ISREG(st.st_mode)) {
				file_bytes += (uint64_t)st.st_size;
			}
		}
		if (file_bytes > s->doc_max) {
			fail_local(s, p->name, "too_large",
				   "%" PRIu64 " bytes (a request takes %zu at most: [gateway] "
				   "max_body_bytes)",
				   file_bytes, s->doc_max);
			continue;
		}
		for (k = 0; k < 2; k++) {
			side[k] = side_of(s, p->side[k], err, sizeof(err));
			if (side[k] == NULL) {
				break;
			}
		}
		if (k < 2) {
			json_decref(side[0]);
			fail_local(s, p->name, "unreadable", "%s", err);
			continue;
		}
		doc = json_pack("{s:s, s:o, s:o}", "name", p->name, "source", side[0], "target",
				side[1]);
		bytes = doc != NULL ? json_dumpb(doc, NULL, 0, JSON_COMPACT) + 1 : 0;
		if (doc == NULL || bytes == 1) {
			json_decref(doc);
			fail_local(s, p->name, "unreadable", "could not be encoded as JSON");
			continue;
		}
		if (bytes > s->doc_max) {
			json_decref(doc);
			fail_local(s, p->name, "too_large",
				   "%zu bytes as JSON (a request takes %zu at most: [gateway] "
				   "max_body_bytes)",
				   bytes, s->doc_max);
			continue;
		}
		*ret_bytes = bytes;
		return doc;
	}
	return NULL;
}

/* The next batch: documents up to batch_max bytes (at least one); an empty array at the
 * end. */
static json_t *
next_batch(struct submit *s)
{
	json_t *docs = json_array();
	size_t total = 0;

	for (;;) {
		json_t *doc = s->held;
		size_t bytes = s->held_bytes;

		s->held = NULL;
		if (doc == NULL) {
			doc = next_document(s, &bytes);
		}
		if (doc == NULL) {
			break;
		}
		if (json_array_size(docs) > 0 && total + bytes > s->batch_max) {
			s->held = doc;
			s->held_bytes = bytes;
			break;
		}
		json_array_append_new(docs, doc);
		total += bytes;
	}
	return docs;
}

static void
show_sending(struct submit *s)
{
	char bar[CLI_BAR_CELLS + 3];
	size_t done = s->sent + json_array_size(s->failed);

	if (s->show) {
		cli_progress_draw("%s sending: %zu/%zu document%s",
				  cli_bar(done, s->a->n_pairs, bar, sizeof(bar)), done,
				  s->a->n_pairs, cli_plural(s->a->n_pairs));
	}
}

/* Whether a refused request was about its documents (so that one of them may be at
 * fault) rather than the job's settings. */
static int
about_documents(int status, const json_t *reply)
{
	const char *message = str(json_object_get(reply, "error"), "message");

	return status == 413 || (status == 400 && strstr(message, "documents") != NULL);
}

/* Sends docs (taking them) to the job, creating it with the first; more: documents
 * follow. A batch the service refuses for one of its documents is halved until that one
 * is alone, then counted as failed. Returns 0, or -1 when the job cannot go on. */
static int
send_docs(struct submit *s, json_t *docs, int more)
{
	struct job_args *a = s->a;
	json_t *req = json_object(), *reply = NULL;
	size_t n = json_array_size(docs);
	char path[256], buf[2048];
	int status = 0, r = -1;

	json_object_set(req, "documents", docs);
	json_object_set_new(req, "more", json_boolean(more));
	if (!s->created) {
		snprintf(path, sizeof(path), "/v1/jobs");
		json_object_set_new(req, "source", json_string(ARG(a, OPT_FROM)));
		json_object_set_new(req, "target", json_string(ARG(a, OPT_TO)));
		json_object_set_new(req, "store", json_boolean(HAS(a, OPT_STORE)));
		if (ARG(a, OPT_MIN_SCORE) != NULL) {
			json_object_set_new(req, "min_score", json_real(a->min_score));
		}
		if (ARG(a, OPT_JOB_ID) != NULL) {
			json_object_set_new(req, "job_id", json_string(ARG(a, OPT_JOB_ID)));
		}
		if (ARG(a, OPT_ORIGIN) != NULL) {
			json_object_set_new(req, "origin", json_string(ARG(a, OPT_ORIGIN)));
		}
		if (ARG(a, OPT_PROJECT) != NULL) {
			json_object_set_new(req, "project", json_string(ARG(a, OPT_PROJECT)));
		}
		if (ARG(a, OPT_DOMAIN) != NULL) {
			json_object_set_new(req, "domain", json_string(ARG(a, OPT_DOMAIN)));
		}
	} else {
		snprintf(path, sizeof(path), "/v1/jobs/%s/documents", s->id);
	}
	/* A batch that did not arrive is sent again: the job does not add a name twice. A
	 * new job without an id of ours is not, lest it be made twice. */
	for (int attempt = 1; attempt <= SEND_ATTEMPTS; attempt++) {
		r = client_call(s->c, "POST", path, req, &status, &reply, a->cli.err,
				sizeof(a->cli.err));
		if (r == 0 && status / 100 != 5) {
			break;
		}
		if (attempt == SEND_ATTEMPTS || (!s->created && ARG(a, OPT_JOB_ID) == NULL)) {
			break;
		}
		if (s->show) {
			cli_progress_clear();
		}
		fprintf(stderr, "mnemo: POST %s: %s; sending again\n", path,
			r < 0 ? a->cli.err : client_error_text(reply, buf, sizeof(buf)));
		json_decref(reply);
		reply = NULL;
		sleep_ms(1000 * (unsigned)attempt);
	}
	json_decref(req);
	if (r < 0) {
		json_decref(docs);
		if (s->show) {
			cli_progress_clear();
		}
		cli_fail("%s", a->cli.err);
		return -1;
	}
	if (status / 100 == 2) {
		if (!s->created) {
			snprintf(s->id, sizeof(s->id), "%s", str(reply, "job_id"));
			s->created = 1;
		}
		s->open = more;
		s->sent += (unsigned)n;
		r = 0;
	} else if (about_documents(status, reply) && n > 1) {
		json_t *first = json_array(), *second = json_array();

		for (size_t i = 0; i < n; i++) {
			json_array_append(i < n / 2 ? first : second, json_array_get(docs, i));
		}
		r = send_docs(s, first, 1);
		if (r == 0) {
			r = send_docs(s, second, more);
		} else {
			json_decref(second);
		}
	} else if (about_documents(status, reply)) {
		fail_local(s, str(json_array_get(docs, 0), "name"),
			   status == 413 ? "too_large" : "invalid_document",
			   "the service refused it: %s",
			   client_error_text(reply, buf, sizeof(buf)));
		r = 0;
	} else {
		if (s->show) {
			cli_progress_clear();
		}
		if (s->created) {
			cli_fail("job %s: adding documents: %s (the job keeps the %u sent so far; "
				 "send the rest again with --job-id %s)",
				 s->id, client_error_text(reply, buf, sizeof(buf)), s->sent, s->id);
		} else {
			cli_fail("job submit: %s", client_error_text(reply, buf, sizeof(buf)));
		}
		r = -1;
	}
	json_decref(reply);
	json_decref(docs);
	show_sending(s);
	return r;
}

/* Every pair, a batch at a time; each batch but the last says more follow. */
static int
send_all(struct submit *s)
{
	json_t *batch = next_batch(s);

	show_sending(s);
	while (json_array_size(batch) > 0) {
		json_t *following = next_batch(s);
		int more = json_array_size(following) > 0;

		if (send_docs(s, batch, more) < 0) {
			json_decref(following);
			return -1;
		}
		batch = following;
	}
	json_decref(batch);
	/* The last batch's documents were all refused: the job still waits for more. */
	if (s->created && s->open && send_docs(s, json_array(), 0) < 0) {
		return -1;
	}
	if (s->show) {
		cli_progress_clear();
	}
	return 0;
}

/* ---- following a job ---- */

static int
get_status(struct client *c, const char *id, int *ret_status, json_t **ret, char *err,
	   size_t err_size)
{
	char path[256];

	snprintf(path, sizeof(path), "/v1/jobs/%s", id);
	return client_call(c, "GET", path, NULL, ret_status, ret, err, err_size);
}

static void
show_progress(struct submit *s, const json_t *st, uint64_t *shown_ms, char *last, size_t size)
{
	size_t local = json_array_size(s->failed);
	uint64_t total = num(st, "documents") + local, failed = num(st, "failed") + local;
	uint64_t finished = num(st, "done") + failed, t = cli_now_ms();
	char bar[CLI_BAR_CELLS + 3], pairs[32], line[256];

	snprintf(line, sizeof(line), "%" PRIu64 "/%" PRIu64 " document%s, %" PRIu64
		 " failed, %s pair%s", finished, total, cli_plural(total), failed,
		 cli_grouped(num(st, "pairs"), pairs, sizeof(pairs)), cli_plural(num(st, "pairs")));
	if (s->show) {
		cli_progress_draw("%s %s", cli_bar(finished, total, bar, sizeof(bar)), line);
	} else if (t - *shown_ms >= REPORT_EVERY_MS && strcmp(line, last) != 0) {
		fprintf(stderr, "mnemo: job %s: %s\n", s->id, line);
		*shown_ms = t;
		snprintf(last, size, "%s", line);
	}
}

/* Polls the job until it is done; its last status in *ret. */
static int
wait_done(struct submit *s, json_t **ret)
{
	uint64_t shown_ms = cli_now_ms(), ok_ms = cli_now_ms();
	char last[256] = "", err[4096], buf[2048];
	json_t *st = NULL;
	int status, warned = 0;

	for (;;) {
		if (get_status(s->c, s->id, &status, &st, err, sizeof(err)) < 0) {
			if (cli_now_ms() - ok_ms > UNREACHABLE_MS) {
				if (s->show) {
					cli_progress_clear();
				}
				cli_fail("%s; gave up waiting (the job goes on: mnemo job status "
					 "%s)", err, s->id);
				return -1;
			}
			if (!warned) {
				if (s->show) {
					cli_progress_clear();
				}
				fprintf(stderr, "mnemo: %s; trying again\n", err);
				warned = 1;
			}
			sleep_ms(1000);
			continue;
		}
		if (status / 100 != 2) {
			if (s->show) {
				cli_progress_clear();
			}
			cli_fail("job %s: %s", s->id, client_error_text(st, buf, sizeof(buf)));
			json_decref(st);
			return -1;
		}
		ok_ms = cli_now_ms();
		warned = 0;
		show_progress(s, st, &shown_ms, last, sizeof(last));
		if (strcmp(str(st, "state"), "done") == 0) {
			if (s->show) {
				cli_progress_clear();
			}
			*ret = st;
			return 0;
		}
		json_decref(st);
		sleep_ms(POLL_MS);
	}
}

/* "job ID: 40 documents, 38 aligned, 2 failed, 1,234 pairs, 1,100 stored", then each
 * failure. */
static void
print_summary(const char *id, const json_t *st, const json_t *local)
{
	const json_t *failures = json_object_get(st, "failures"), *f;
	size_t n_local = json_array_size(local), i, listed = 0;
	char pairs[32], stored[32];
	uint64_t failed = num(st, "failed") + n_local, documents = num(st, "documents") + n_local;

	fprintf(stderr, "job %s: %" PRIu64 " document%s, %" PRIu64 " aligned, %" PRIu64
		" failed, %s pair%s, %s stored\n",
		id, documents, cli_plural(documents), num(st, "done"), failed,
		cli_grouped(num(st, "pairs"), pairs, sizeof(pairs)), cli_plural(num(st, "pairs")),
		cli_grouped(num(st, "stored"), stored, sizeof(stored)));
	json_array_foreach(failures, i, f) {
		const json_t *e = json_object_get(f, "error");

		fprintf(stderr, "  %s: %s: %s\n", str(f, "name"), str(e, "code"),
			str(e, "message"));
		listed++;
	}
	json_array_foreach(local, i, f) {
		const json_t *e = json_object_get(f, "error");

		fprintf(stderr, "  %s: %s: %s\n", str(f, "name"), str(e, "code"),
			str(e, "message"));
		listed++;
	}
	if (listed < failed) {
		fprintf(stderr, "  ... and %" PRIu64 " more (mnemo job result %s)\n",
			failed - listed, id);
	}
}

/* ---- the result ---- */

struct result_out {
	const char *id, *source, *target;
	FILE *f;
	struct mnemo_tmx_writer *tmx;
	uint64_t beads, units, failed, pending;
};

static int
put_json_line(struct result_out *o, json_t *line)
{
	int r = json_dumpf(line, o->f, JSON_COMPACT | JSON_REAL_PRECISION(6));

	json_decref(line);
	return r < 0 || fputc('\n', o->f) == EOF ? -EIO : 0;
}

static int
put_error(struct result_out *o, const char *name, const json_t *error)
{
	json_t *line = json_pack("{s:s, s:{s:s, s:s}}", "document", name, "error", "code",
				 str(error, "code"), "message", str(error, "message"));

	return put_json_line(o, line);
}

static int
put_pair(struct result_out *o, const char *name, const json_t *p, char *err, size_t err_size)
{
	static const char *const keys[] = {"source_ids", "target_ids", "source", "target",
					   "score", "bead", "accepted", "skipped"};
	Mnemo__Unit u = MNEMO__UNIT__INIT;
	Mnemo__Unit__VariantsEntry v[2] = {MNEMO__UNIT__VARIANTS_ENTRY__INIT,
					   MNEMO__UNIT__VARIANTS_ENTRY__INIT};
	Mnemo__Unit__VariantsEntry *vs[2] = {&v[0], &v[1]};
	struct mnemo_formats_error ferr;
	char origin[1200];
	json_t *line;
	int r;

	if (o->tmx == NULL) {
		line = json_pack("{s:s}", "document", name);
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			json_t *val = json_object_get(p, keys[i]);

			if (val != NULL) {
				json_object_set(line, keys[i], val);
			}
		}
		o->beads++;
		return put_json_line(o, line);
	}
	if (!json_is_true(json_object_get(p, "accepted"))) {
		return 0;
	}
	snprintf(origin, sizeof(origin), "job:%s:%s", o->id, name);
	v[0].key = (char *)o->source;
	v[0].value = (char *)str(p, "source");
	v[1].key = (char *)o->target;
	v[1].value = (char *)str(p, "target");
	u.n_variants = 2;
	u.variants = vs;
	u.origin = origin;
	r = mnemo_tmx_write_unit(o->tmx, &u, &ferr);
	if (r < 0) {
		snprintf(err, err_size, "%s: a pair could not be written as TMX: %s", name,
			 ferr.message);
		return r;
	}
	o->units += (uint64_t)r;
	return 0;
}

/* Every page of GET /v1/jobs/ID/result into o. */
static int
write_documents(struct client *c, struct result_out *o, char *err, size_t err_size)
{
	unsigned after = 0;
	char path[320], buf[2048];
	json_t *reply;
	int status, more = 1;

	while (more) {
		const json_t *docs, *d;
		size_t i;
		int r = 0;

		snprintf(path, sizeof(path), "/v1/jobs/%s/result?after=%u&max=%d", o->id, after,
			 RESULT_PAGE);
		if (client_call(c, "GET", path, NULL, &status, &reply, err, err_size) < 0) {
			return -1;
		}
		if (status / 100 != 2) {
			snprintf(err, err_size, "job %s: %s", o->id,
				 client_error_text(reply, buf, sizeof(buf)));
			json_decref(reply);
			return -1;
		}
		docs = json_object_get(reply, "documents");
		more = json_is_true(json_object_get(reply, "more"));
		if (more && json_array_size(docs) == 0) {
			snprintf(err, err_size, "GET %s: no documents, yet more to come", path);
			json_decref(reply);
			return -1;
		}
		json_array_foreach(docs, i, d) {
			const char *name = str(d, "name"), *state = str(d, "state");
			const json_t *pairs, *p;
			size_t k;

			after = (unsigned)num(d, "document");
			if (strcmp(state, "done") == 0) {
				pairs = json_object_get(json_object_get(d, "result"), "pairs");
				json_array_foreach(pairs, k, p) {
					r = put_pair(o, name, p, err, err_size);
					if (r < 0) {
						break;
					}
				}
			} else if (strcmp(state, "failed") == 0) {
				o->failed++;
				if (o->tmx == NULL) {
					r = put_error(o, name, json_object_get(d, "error"));
				}
			} else {
				o->pending++;
			}
			if (r < 0) {
				break;
			}
		}
		json_decref(reply);
		if (r < 0) {
			if (r == -EIO) {
				snprintf(err, err_size, "writing the result: %s", strerror(errno));
			}
			return -1;
		}
	}
	return 0;
}

/* The job's result into output (NULL or "-": standard output; a file is written under
 * another name, then renamed into place); local: documents never sent, as failures. */
static int
write_result(struct client *c, const char *id, const json_t *st, int tmx, const char *output,
	     const json_t *local, char *err, size_t err_size)
{
	struct result_out o = {.id = id, .source = str(st, "source"), .target = str(st, "target")};
	int to_stdout = output == NULL || strcmp(output, "-") == 0, r = 0;
	char partial[2048];
	const json_t *f;
	size_t i;

	if (!to_stdout && strlen(output) + sizeof(".partial") > sizeof(partial)) {
		snprintf(err, err_size, "--output: the path is too long");
		return -1;
	}
	snprintf(partial, sizeof(partial), "%s.partial", to_stdout ? "-" : output);
	o.f = to_stdout ? stdout : fopen(partial, "w");
	if (o.f == NULL) {
		snprintf(err, err_size, "%s: %s", partial, strerror(errno));
		return -1;
	}
	if (tmx) {
		struct mnemo_tmx_write_options opt = {.srclang = o.source};

		if (mnemo_tmx_write_begin(o.f, &opt, &o.tmx) < 0) {
			snprintf(err, err_size, "writing TMX: %s", strerror(errno));
			r = -1;
		}
	}
	if (r == 0) {
		r = write_documents(c, &o, err, err_size);
	}
	json_array_foreach(local, i, f) {
		if (r == 0 && !tmx) {
			r = put_error(&o, str(f, "name"), json_object_get(f, "error"));
			if (r < 0) {
				snprintf(err, err_size, "writing the result: %s", strerror(errno));
			}
		}
	}
	if (tmx && o.tmx != NULL && mnemo_tmx_write_end(o.tmx) < 0 && r == 0) {
		snprintf(err, err_size, "writing TMX: %s", strerror(errno));
		r = -1;
	}
	if (fflush(o.f) != 0 && r == 0) {
		snprintf(err, err_size, "writing the result: %s", strerror(errno));
		r = -1;
	}
	if (!to_stdout) {
		if (fclose(o.f) != 0 && r == 0) {
			snprintf(err, err_size, "%s: %s", partial, strerror(errno));
			r = -1;
		}
		if (r == 0 && rename(partial, output) < 0) {
			snprintf(err, err_size, "%s: %s", output, strerror(errno));
			r = -1;
		}
		if (r < 0) {
			unlink(partial);
		}
	}
	if (r < 0) {
		return -1;
	}
	if (!to_stdout) {
		uint64_t n = tmx ? o.units : o.beads;

		fprintf(stderr, "mnemo: %s: %" PRIu64 " %s%s\n", output, n,
			tmx ? "translation unit" : "bead", cli_plural(n));
	}
	if (o.pending > 0) {
		snprintf(err, err_size, "job %s is not done: %" PRIu64 " document%s still queued or "
			 "running %s not in the result", id, o.pending, cli_plural(o.pending),
			 o.pending == 1 ? "is" : "are");
		return -1;
	}
	return 0;
}

/* ---- the actions ---- */

static int
job_submit(struct job_args *a)
{
	struct submit s = {.a = a, .failed = json_array()};
	uint64_t cap = a->cli.cfg.gateway.max_body_bytes;
	json_t *st = NULL;
	int rc = collect(a);

	if (rc != 0) {
		json_decref(s.failed);
		return rc;
	}
	s.doc_max = cap > SETTINGS_BYTES * 2 ? (size_t)(cap - SETTINGS_BYTES) : (size_t)cap / 2;
	s.batch_max = s.doc_max / 2 < MAX_BATCH_BYTES ? s.doc_max / 2 : MAX_BATCH_BYTES;
	s.show = isatty(STDERR_FILENO);
	if (client_open(&a->cli, EMBED_ALL | EMBED_JOBS, &s.c) < 0) {
		json_decref(s.failed);
		return cli_fail("%s", a->cli.err);
	}
	if (send_all(&s) < 0) {
		rc = 1;
	} else if (!s.created) {
		print_summary("(none)", NULL, s.failed);
		rc = cli_fail("job submit: no document could be sent; no job was made");
	} else if (HAS(a, OPT_DETACH)) {
		printf("%s\n", s.id);
		fprintf(stderr, "mnemo: job %s: %u document%s sent; follow it with mnemo job status "
			"%s\n", s.id, s.sent, cli_plural(s.sent), s.id);
		rc = json_array_size(s.failed) > 0;
	} else if (wait_done(&s, &st) < 0) {
		rc = 1;
	} else {
		print_summary(s.id, st, s.failed);
		rc = num(st, "failed") + json_array_size(s.failed) > 0;
		if (ARG(a, OPT_OUTPUT) != NULL &&
		    write_result(s.c, s.id, st, a->tmx, ARG(a, OPT_OUTPUT), s.failed, a->cli.err,
				 sizeof(a->cli.err)) < 0) {
			rc = cli_fail("%s", a->cli.err);
		}
	}
	json_decref(st);
	json_decref(s.held);
	json_decref(s.failed);
	client_close(s.c);
	return rc;
}

static void
put_time(const char *label, uint64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[64];

	if (ms == 0 || localtime_r(&t, &tm) == NULL) {
		return;
	}
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	printf("  %s %s\n", label, buf);
}

static void
print_status(const json_t *st)
{
	const json_t *f;
	char pairs[32], stored[32];
	size_t i;

	printf("job %s: %s\n", str(st, "job_id"), str(st, "state"));
	printf("  %s -> %s, %" PRIu64 " document%s: %" PRIu64 " aligned, %" PRIu64
	       " failed, %" PRIu64 " queued, %" PRIu64 " running\n",
	       str(st, "source"), str(st, "target"), num(st, "documents"),
	       cli_plural(num(st, "documents")), num(st, "done"),
	       num(st, "failed"), num(st, "queued"), num(st, "running"));
	printf("  %s pair%s, %s stored%s\n", cli_grouped(num(st, "pairs"), pairs, sizeof(pairs)),
	       cli_plural(num(st, "pairs")), cli_grouped(num(st, "stored"), stored, sizeof(stored)),
	       json_is_true(json_object_get(st, "store")) ? "" : " (not storing)");
	put_time("created", num(st, "created_at"));
	put_time("finished", num(st, "finished_at"));
	json_array_foreach(json_object_get(st, "failures"), i, f) {
		const json_t *e = json_object_get(f, "error");

		if (i == 0) {
			printf("  failed:\n");
		}
		printf("    %s: %s: %s (%" PRIu64 " attempt%s)\n", str(f, "name"), str(e, "code"),
		       str(e, "message"), num(f, "attempts"), cli_plural(num(f, "attempts")));
	}
}

static int
job_status_or_result(struct job_args *a)
{
	struct client *c;
	json_t *st = NULL;
	char buf[2048];
	int status, rc = 0;

	if (client_open(&a->cli, EMBED_ALL, &c) < 0) {
		return cli_fail("%s", a->cli.err);
	}
	if (get_status(c, a->id, &status, &st, a->cli.err, sizeof(a->cli.err)) < 0) {
		rc = cli_fail("%s", a->cli.err);
	} else if (status / 100 != 2) {
		rc = cli_fail("job %s: %s", a->id, client_error_text(st, buf, sizeof(buf)));
	} else if (strcmp(a->action, "result") == 0) {
		if (write_result(c, a->id, st, a->tmx, ARG(a, OPT_OUTPUT), NULL, a->cli.err,
				 sizeof(a->cli.err)) < 0) {
			rc = cli_fail("%s", a->cli.err);
		}
	} else if (HAS(a, OPT_JSON)) {
		char *text = json_dumps(st, JSON_COMPACT | JSON_REAL_PRECISION(6));

		puts(text != NULL ? text : "{}");
		free(text);
	} else {
		print_status(st);
	}
	json_decref(st);
	client_close(c);
	return rc;
}

int
cmd_job(int argc, char **argv)
{
	struct job_args a = {0};
	int rc = parse(argc, argv, &a);

	if (rc != 0) {
		return rc;
	}
	if (strcmp(a.action, "submit") == 0) {
		rc = job_submit(&a);
	} else {
		rc = job_status_or_result(&a);
	}
	free_pairs(&a);
	return rc;
}
