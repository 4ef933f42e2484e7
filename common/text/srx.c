/* SRX 2.0 segmentation rules: loading (expat) and evaluation (ICU regex).
 *
 * Loading. The file is parsed as a stream with namespace processing, so <srx:rule> and
 * <rule> under xmlns="http://www.lisa.org/srx20" are the same element and vendor extensions
 * (Okapi's okpsrx:options, okpsrx:sample...) are recognised by their namespace and skipped
 * with everything inside them. Elements without a namespace count as SRX too: some tools
 * omit the xmlns. Any DOCTYPE is refused before its internal subset is read, so no entity
 * is ever declared, let alone expanded or fetched (billion laughs, external entities). The
 * SRX structure is checked strictly: a misspelt <beforbreak> would otherwise leave an empty
 * pattern, which matches everywhere, so an unknown SRX element is an error. Every regex is
 * compiled at load, so a broken rule fails the load with its line, not a request later.
 *
 * Evaluation (mnemo_srx_apply). The paragraph is converted to UTF-16 once, with a map from
 * each UTF-16 index to its UTF-8 byte offset. The rules are evaluated one at a time, in
 * order; a position decided by an earlier rule is never changed, which is SRX's "the first
 * matching rule decides" without sorting anything. For one rule:
 *
 * - every match of <beforebreak> is found with uregex_find, restarting one code point after
 *   the start of the previous match rather than at its end. Matches may thus overlap: in
 *   "U.S.A. Today" the pattern [A-Z]\.[A-Z]\. matches "U.S." and also "S.A.", whose end is
 *   the position that matters. (Java tools that call find() in a loop see only the first.)
 *   What is still not seen is a shorter match from the same start than the one the engine
 *   picks: [.?!]+ in "?! X" ends after "!", never between "?" and "!", which is what rule
 *   writers mean by it;
 * - at each match end, <afterbreak> is tried with uregex_lookingAt, which anchors it there
 *   while lookbehinds and \b still see the text before (transparent bounds, as a Java
 *   matcher on the whole paragraph would);
 * - the rule's hits are committed only once it has run to the end: a rule stopped by a
 *   limit counts as not matching anywhere in the paragraph, not in a prefix of it.
 *
 * Limits, per rule and paragraph of n UTF-16 units; a rule that reaches one is dropped:
 *
 * - ICU counts matching "time" in ticks of 10,000 backtracking states (5 to 200 us here).
 *   A match callback adds up the ticks of all the rule's find and lookingAt calls against
 *   a budget of TICKS_BASE + n / TICKS_PER (the rules tried so far use under n / 4000);
 *   the same value is ICU's per-call time limit. This is deterministic, and stops
 *   exponential backtracking ((a+)+$) and long quadratic scans (\w+\. over a long word);
 * - ICU restarts its tick counter at every call, so many calls each under 10,000 states
 *   are invisible to it: a*b|a over runs of 5,000 letters took 2 s for 100 KB. The thread's
 *   CPU time is therefore checked between calls, against CPU_BASE_NS + n * CPU_UNIT_NS.
 *   Only a rule that has escaped the tick budget meets this one, so only pathological rules
 *   depend on the machine's speed;
 * - the backtracking stack is capped at 1 MiB per match (ICU's default is 8): simple loops
 *   push 8 bytes per character, so \w+ over a 200,000-letter token overflows;
 * - restarting inside a previous match could rescan a long run ("!!!!...") once per
 *   character, so the text rescanned that way is capped, after which the search goes on
 *   from match ends.
 *
 * Threads. A URegularExpression holds its match state, so each call clones the compiled
 * rules it uses (uregex_clone shares the compiled pattern; it costs about 0.1 us) and frees
 * the clones before returning: nothing is shared but read-only patterns, and no matcher
 * keeps a grown backtracking stack between calls. The per-language cache behind
 * mnemo_srx_rules_for is guarded by a mutex; the map patterns are used under it. */
#include "srx.h"
#include "text.h"
#include "xml.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <expat.h>
#include <unicode/uregex.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

/* Thread CPU time per rule and paragraph: 2 ms + 4 us per UTF-16 unit. The costliest
 * sensible rule tried, with a candidate at every character, needs 0.1 to 0.2 us here. */
#define CPU_BASE_NS 2000000LL
#define CPU_UNIT_NS 4000LL

#define NS_SRX20 "http://www.lisa.org/srx20"
#define NS_SRX10 "http://www.lisa.org/srx"

/* Expat joins a namespace URI and a local name with this; it refuses URIs containing it. */
#define NS_SEP ' '

enum {
	SRX_MAX_BYTES = 16 << 20, /* a document; shipped SRX files are under 200 KB */
	READ_CHUNK = 64 << 10,    /* bytes handed to expat at a time when reading a file */
	MAX_DEPTH = 64,           /* SRX nests 6 deep; extensions get the rest */
	MAX_PATTERN_BYTES = 64 << 10,
	MAX_RULES = 100000, /* in the whole file */
	MAX_LANGRULES = 4096,
	MAX_MAPS = 4096,
	MAX_LANGS = 1024,      /* language tags remembered by mnemo_srx_rules_for */
	MAX_RULESETS = 1024,   /* distinct combinations of languagerules handed out */
	STACK_LIMIT = 1 << 20, /* backtracking stack per match: a+ or \w+ take 8 bytes per
				* character, so runs of up to 131,070 of them */
	TICKS_BASE = 16,       /* per rule and paragraph: TICKS_BASE + n / TICKS_PER */
	TICKS_PER = 256,       /* UTF-16 units per tick: 39 states per unit on average */
	CPU_CHECK_EVERY = 16,  /* loop steps between two looks at the clock */
	MAP_TICKS = 32,        /* a languagepattern against a tag of 64 characters */
	RESCAN_PER = 4,        /* overlapping restarts rescan at most 4n + RESCAN_BASE */
	RESCAN_BASE = 1024,
};

struct rule {
	URegularExpression *before; /* compiled, never matched with: apply clones it */
	URegularExpression *after;  /* NULL for an empty or missing pattern: matches everywhere */
	uint8_t verdict;            /* MNEMO_SRX_BREAK or MNEMO_SRX_NO_BREAK */
};

struct langrule {
	char *name;
	struct rule *v;
	size_t n;
	size_t cap;
	unsigned long line;
};

struct langmap {
	URegularExpression *pattern; /* case-insensitive; NULL if empty (matches no tag) */
	size_t langrule;
	char *langrule_name; /* while loading: resolved once every languagerule is known */
	unsigned long line;
};

struct mnemo_srx_rules {
	const struct rule **v;
	size_t n;
	size_t *langrules; /* which languagerules, in order: equal lists share one object */
	size_t n_langrules;
};

struct lang_entry {
	char tag[MNEMO_TEXT_LANG_MAX];
	const struct mnemo_srx_rules *rules; /* NULL: no map matches the tag */
};

/* What mnemo_srx_rules_for learns; separate from struct mnemo_srx because it changes
 * behind a const pointer. */
struct lang_cache {
	pthread_mutex_t lock;
	struct lang_entry *langs; /* sorted by tag */
	size_t n_langs;
	size_t cap_langs;
	struct mnemo_srx_rules **sets;
	size_t n_sets;
	size_t cap_sets;
};

struct mnemo_srx {
	struct langrule *lr;
	size_t n_lr;
	size_t cap_lr;
	struct langmap *maps;
	size_t n_maps;
	size_t cap_maps;
	bool cascade;
	struct lang_cache *cache;
};

/* ---- errors ---- */

static void __attribute__((format(printf, 5, 0)))
vformat_err(char *err, size_t err_size, const char *name, unsigned long line, const char *fmt,
	    va_list ap)
{
	int n;

	if (err == NULL || err_size == 0) {
		return;
	}
	if (line > 0) {
		n = snprintf(err, err_size, "%s:%lu: ", name, line);
	} else {
		n = snprintf(err, err_size, "%s: ", name);
	}
	if (n >= 0 && (size_t)n < err_size) {
		vsnprintf(err + n, err_size - (size_t)n, fmt, ap);
	}
}

static void __attribute__((format(printf, 5, 6)))
format_err(char *err, size_t err_size, const char *name, unsigned long line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vformat_err(err, err_size, name, line, fmt, ap);
	va_end(ap);
}

/* ---- regex compilation ---- */

/* Compiles pat[0..len), UTF-8 as expat delivers it. uregex_openC would read the pattern in
 * the platform's default codepage, which is not UTF-8 in a C locale, hence the explicit
 * conversion. An empty pattern gives NULL: ICU refuses zero-length patterns, and the caller
 * treats NULL as "matches the empty string everywhere". On failure *ret_msg gets ICU's
 * error and *ret_offset where in the pattern it was found. */
static int
compile(const char *pat, size_t len, uint32_t flags, URegularExpression **ret, const char **ret_msg,
	int32_t *ret_offset)
{
	UErrorCode st = U_ZERO_ERROR;
	UParseError pe = {0};
	URegularExpression *re;
	UChar *u;
	int32_t n = 0;

	*ret_msg = NULL;
	*ret_offset = -1;
	if (len == 0) {
		*ret = NULL;
		return 0;
	}
	u_strFromUTF8(NULL, 0, &n, pat, (int32_t)len, &st);
	if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st)) {
		*ret_msg = u_errorName(st);
		return mnemo_err_from_icu(st);
	}
	u = malloc(((size_t)n + 1) * sizeof(*u));
	if (u == NULL) {
		return -ENOMEM;
	}
	st = U_ZERO_ERROR;
	u_strFromUTF8(u, n + 1, NULL, pat, (int32_t)len, &st);
	re = uregex_open(u, n, flags, &pe, &st);
	free(u);
	if (U_FAILURE(st)) {
		*ret_msg = u_errorName(st);
		*ret_offset = pe.offset;
		return st == U_MEMORY_ALLOCATION_ERROR ? -ENOMEM : -EINVAL;
	}
	*ret = re;
	return 0;
}

/* ---- loading ---- */

enum elem {
	E_NONE,
	E_SRX,
	E_HEADER,
	E_FORMATHANDLE,
	E_BODY,
	E_LANGRULES,
	E_LANGRULE,
	E_RULE,
	E_BEFORE,
	E_AFTER,
	E_MAPRULES,
	E_LANGMAP,
};

static const char *const elem_name[] = {
	[E_NONE] = "(document)",
	[E_SRX] = "srx",
	[E_HEADER] = "header",
	[E_FORMATHANDLE] = "formathandle",
	[E_BODY] = "body",
	[E_LANGRULES] = "languagerules",
	[E_LANGRULE] = "languagerule",
	[E_RULE] = "rule",
	[E_BEFORE] = "beforebreak",
	[E_AFTER] = "afterbreak",
	[E_MAPRULES] = "maprules",
	[E_LANGMAP] = "languagemap",
};

/* Which element may appear inside which: SRX 2.0's schema, without its attributes. */
static const struct {
	enum elem parent;
	enum elem child;
} grammar[] = {
	{E_NONE, E_SRX},           {E_SRX, E_HEADER},
	{E_SRX, E_BODY},           {E_HEADER, E_FORMATHANDLE},
	{E_BODY, E_LANGRULES},     {E_BODY, E_MAPRULES},
	{E_LANGRULES, E_LANGRULE}, {E_LANGRULE, E_RULE},
	{E_RULE, E_BEFORE},        {E_RULE, E_AFTER},
	{E_MAPRULES, E_LANGMAP},
};

struct load {
	XML_Parser xp;
	const char *name;
	char *err;
	size_t err_size;
	int error; /* the first error, negative errno; later ones are consequences */
	struct mnemo_srx *srx;
	enum elem stack[MAX_DEPTH];
	unsigned depth;
	unsigned foreign; /* > 0 inside an element of another namespace, skipped */
	unsigned seen;    /* bit per enum elem that must appear once at most */
	size_t n_rules;   /* in the whole file, for MAX_RULES */
	struct rule rule; /* the <rule> being read, owned here until appended */
	bool has_before;
	bool has_after;
	char *text; /* the pattern being read */
	size_t text_len;
	size_t text_cap;
	unsigned long text_line;
};

static unsigned long
cur_line(const struct load *ld)
{
	return (unsigned long)XML_GetCurrentLineNumber(ld->xp);
}

/* Records the first error and stops expat, which may still deliver an event or two: every
 * handler checks ld->error first. */
static void __attribute__((format(printf, 4, 5)))
fail(struct load *ld, int error, unsigned long line, const char *fmt, ...)
{
	va_list ap;

	if (ld->error < 0) {
		return;
	}
	ld->error = error;
	va_start(ap, fmt);
	vformat_err(ld->err, ld->err_size, ld->name, line, fmt, ap);
	va_end(ap);
	XML_StopParser(ld->xp, XML_FALSE);
}

static void
fail_nomem(struct load *ld)
{
	fail(ld, -ENOMEM, cur_line(ld), "out of memory");
}

/* A yes/no attribute: 1, 0, or -1 after reporting a bad value. Case is forgiven, as the
 * tools that write "Yes" do not mean anything else. */
static int
yes_no(struct load *ld, const XML_Char **attrs, const char *name, bool dflt)
{
	const char *v = mnemo_xml_attr(attrs, name);

	if (v == NULL) {
		return dflt ? 1 : 0;
	}
	if (strcasecmp(v, "yes") == 0) {
		return 1;
	}
	if (strcasecmp(v, "no") == 0) {
		return 0;
	}
	fail(ld, -EINVAL, cur_line(ld), "%s=\"%s\": expected \"yes\" or \"no\"", name, v);
	return -1;
}

static void
compile_pattern(struct load *ld, URegularExpression **ret, uint32_t flags, const char *what)
{
	const char *msg;
	int32_t offset;
	int r;

	r = compile(ld->text, ld->text_len, flags, ret, &msg, &offset);
	if (r == -ENOMEM) {
		fail_nomem(ld);
	} else if (r < 0) {
		fail(ld, r, ld->text_line, "%s does not compile: %s near character %d of \"%.*s\"",
		     what, msg, (int)offset, ld->text_len > 200 ? 200 : (int)ld->text_len,
		     ld->text);
	}
}

static void
start_srx(struct load *ld, const char *ns, const XML_Char **attrs)
{
	const char *version = mnemo_xml_attr(attrs, "version");
	unsigned long line = cur_line(ld);

	if ((ns != NULL && strcmp(ns, NS_SRX10) == 0) ||
	    (version != NULL && strcmp(version, "1.0") == 0)) {
		fail(ld, -EINVAL, line,
		     "SRX 1.0 is not supported: convert the file to SRX 2.0 (version=\"2.0\", "
		     "xmlns=\"" NS_SRX20 "\"), e.g. by saving it from a current CAT tool");
	} else if (ns != NULL && strcmp(ns, NS_SRX20) != 0) {
		fail(ld, -EINVAL, line, "<srx> in namespace \"%s\": not SRX 2.0 (" NS_SRX20 ")",
		     ns);
	} else if (version == NULL) {
		fail(ld, -EINVAL, line,
		     "<srx> without a version attribute: SRX 1.0? Only SRX 2.0 is supported");
	} else if (strcmp(version, "2.0") != 0) {
		fail(ld, -EINVAL, line, "SRX version \"%s\" is not supported, only 2.0", version);
	}
}

static void
start_langrule(struct load *ld, const XML_Char **attrs)
{
	struct mnemo_srx *srx = ld->srx;
	const char *name = mnemo_xml_attr(attrs, "languagerulename");
	unsigned long line = cur_line(ld);
	struct langrule *lr;
	size_t i;

	if (name == NULL || name[0] == '\0') {
		fail(ld, -EINVAL, line, "<languagerule> without a languagerulename");
		return;
	}
	for (i = 0; i < srx->n_lr; i++) {
		if (strcmp(srx->lr[i].name, name) == 0) {
			fail(ld, -EINVAL, line,
			     "languagerule \"%s\" is defined twice (first at line %lu)", name,
			     srx->lr[i].line);
			return;
		}
	}
	if (srx->n_lr == MAX_LANGRULES) {
		fail(ld, -EINVAL, line, "more than %d languagerules", MAX_LANGRULES);
		return;
	}
	if (srx->n_lr == srx->cap_lr) {
		size_t cap = srx->cap_lr != 0 ? 2 * srx->cap_lr : 8;
		struct langrule *v = reallocarray(srx->lr, cap, sizeof(*v));

		if (v == NULL) {
			fail_nomem(ld);
			return;
		}
		srx->lr = v;
		srx->cap_lr = cap;
	}
	lr = &srx->lr[srx->n_lr];
	memset(lr, 0, sizeof(*lr));
	lr->name = strdup(name);
	if (lr->name == NULL) {
		fail_nomem(ld);
		return;
	}
	lr->line = line;
	srx->n_lr++;
}

static void
start_langmap(struct load *ld, const XML_Char **attrs)
{
	struct mnemo_srx *srx = ld->srx;
	const char *pattern = mnemo_xml_attr(attrs, "languagepattern");
	const char *name = mnemo_xml_attr(attrs, "languagerulename");
	unsigned long line = cur_line(ld);
	struct langmap *m;
	const char *msg;
	int32_t offset;
	int r;

	if (pattern == NULL || name == NULL) {
		fail(ld, -EINVAL, line,
		     "<languagemap> needs both languagepattern and languagerulename");
		return;
	}
	if (srx->n_maps == MAX_MAPS) {
		fail(ld, -EINVAL, line, "more than %d languagemaps", MAX_MAPS);
		return;
	}
	if (srx->n_maps == srx->cap_maps) {
		size_t cap = srx->cap_maps != 0 ? 2 * srx->cap_maps : 8;
		struct langmap *v = reallocarray(srx->maps, cap, sizeof(*v));

		if (v == NULL) {
			fail_nomem(ld);
			return;
		}
		srx->maps = v;
		srx->cap_maps = cap;
	}
	m = &srx->maps[srx->n_maps];
	memset(m, 0, sizeof(*m));
	m->line = line;
	m->langrule_name = strdup(name);
	if (m->langrule_name == NULL) {
		fail_nomem(ld);
		return;
	}
	srx->n_maps++; /* now owned by srx, freed with it whatever happens next */
	/* SRX files name languages "FR.*" or "fr.*" for the same tags, and the Java tools
	 * match them either way, so the pattern ignores case. */
	r = compile(pattern, strlen(pattern), UREGEX_CASE_INSENSITIVE, &m->pattern, &msg, &offset);
	if (r == -ENOMEM) {
		fail_nomem(ld);
	} else if (r < 0) {
		fail(ld, r, line, "languagepattern \"%s\" does not compile: %s near character %d",
		     pattern, msg, (int)offset);
	} else if (m->pattern != NULL) {
		UErrorCode st = U_ZERO_ERROR;

		uregex_setTimeLimit(m->pattern, MAP_TICKS, &st);
		uregex_setStackLimit(m->pattern, STACK_LIMIT, &st);
	}
}

static void
start_rule(struct load *ld, const XML_Char **attrs)
{
	int brk = yes_no(ld, attrs, "break", true); /* SRX's default is break="yes" */

	if (brk < 0) {
		return;
	}
	if (ld->n_rules == MAX_RULES) {
		fail(ld, -EINVAL, cur_line(ld), "more than %d rules", MAX_RULES);
		return;
	}
	ld->n_rules++;
	ld->rule.before = NULL;
	ld->rule.after = NULL;
	ld->rule.verdict = brk ? MNEMO_SRX_BREAK : MNEMO_SRX_NO_BREAK;
	ld->has_before = false;
	ld->has_after = false;
}

static void XMLCALL
on_start(void *data, const XML_Char *qname, const XML_Char **attrs)
{
	struct load *ld = data;
	const char *sep = strrchr(qname, NS_SEP);
	const char *local = sep != NULL ? sep + 1 : qname;
	enum elem parent = ld->depth > 0 ? ld->stack[ld->depth - 1] : E_NONE;
	enum elem e = E_NONE;
	char ns[256];
	size_t i;

	if (ld->error < 0) {
		return;
	}
	if (ld->depth + ld->foreign >= MAX_DEPTH) {
		fail(ld, -EINVAL, cur_line(ld), "elements nested more than %d deep", MAX_DEPTH);
		return;
	}
	if (ld->foreign > 0) {
		ld->foreign++;
		return;
	}
	if (sep != NULL) {
		size_t n = (size_t)(sep - qname);

		if (n >= sizeof(ns)) {
			n = sizeof(ns) - 1; /* only compared and printed */
		}
		memcpy(ns, qname, n);
		ns[n] = '\0';
	}
	if (parent == E_BEFORE || parent == E_AFTER) {
		fail(ld, -EINVAL, cur_line(ld), "<%s> inside <%s>: a pattern is text only", local,
		     elem_name[parent]);
		return;
	}
	if (parent == E_NONE) {
		if (strcmp(local, "srx") != 0) {
			fail(ld, -EINVAL, cur_line(ld),
			     "not an SRX document: the root element is <%s>", local);
			return;
		}
		start_srx(ld, sep != NULL ? ns : NULL, attrs);
		if (ld->error < 0) {
			return;
		}
	} else if (sep != NULL && strcmp(ns, NS_SRX20) != 0) {
		ld->foreign = 1; /* an extension (Okapi's okpsrx:options...): not ours to read */
		return;
	}
	for (i = 0; i < sizeof(grammar) / sizeof(grammar[0]); i++) {
		if (grammar[i].parent == parent &&
		    strcmp(elem_name[grammar[i].child], local) == 0) {
			e = grammar[i].child;
			break;
		}
	}
	if (e == E_NONE) {
		fail(ld, -EINVAL, cur_line(ld), "unexpected <%s> inside <%s>", local,
		     elem_name[parent]);
		return;
	}
	if (e == E_HEADER || e == E_BODY || e == E_LANGRULES || e == E_MAPRULES) {
		if (ld->seen & (1u << e)) {
			fail(ld, -EINVAL, cur_line(ld), "a second <%s>", local);
			return;
		}
		ld->seen |= 1u << e;
	}
	ld->stack[ld->depth++] = e;

	switch (e) {
	case E_HEADER: {
		int cascade = yes_no(ld, attrs, "cascade", false);

		ld->srx->cascade = cascade == 1;
		break;
	}
	case E_LANGRULE:
		start_langrule(ld, attrs);
		break;
	case E_RULE:
		start_rule(ld, attrs);
		break;
	case E_BEFORE:
	case E_AFTER:
		if (e == E_BEFORE ? ld->has_before : ld->has_after) {
			fail(ld, -EINVAL, cur_line(ld), "a second <%s> in one rule", local);
			return;
		}
		ld->text_len = 0;
		ld->text_line = cur_line(ld);
		break;
	case E_LANGMAP:
		start_langmap(ld, attrs);
		break;
	default:
		break; /* <formathandle>: SRX's inline-code handling, meaningless on plain text */
	}
}

static void
end_rule(struct load *ld)
{
	struct langrule *lr = &ld->srx->lr[ld->srx->n_lr - 1];

	if (lr->n == lr->cap) {
		size_t cap = lr->cap != 0 ? 2 * lr->cap : 8;
		struct rule *v = reallocarray(lr->v, cap, sizeof(*v));

		if (v == NULL) {
			fail_nomem(ld);
			return;
		}
		lr->v = v;
		lr->cap = cap;
	}
	lr->v[lr->n++] = ld->rule;
	memset(&ld->rule, 0, sizeof(ld->rule));
}

static void XMLCALL
on_end(void *data, const XML_Char *qname)
{
	struct load *ld = data;
	enum elem e;

	if (ld->error < 0) {
		return;
	}
	if (ld->foreign > 0) {
		ld->foreign--;
		return;
	}
	assert(ld->depth > 0); /* expat checks that tags balance */
	e = ld->stack[--ld->depth];
	switch (e) {
	case E_BEFORE:
		ld->has_before = true;
		compile_pattern(ld, &ld->rule.before, 0, "<beforebreak>");
		break;
	case E_AFTER:
		ld->has_after = true;
		compile_pattern(ld, &ld->rule.after, 0, "<afterbreak>");
		break;
	case E_RULE:
		end_rule(ld);
		break;
	default:
		break;
	}
}

static void XMLCALL
on_text(void *data, const XML_Char *s, int len)
{
	struct load *ld = data;
	enum elem top;

	if (ld->error < 0 || ld->foreign > 0 || ld->depth == 0) {
		return;
	}
	top = ld->stack[ld->depth - 1];
	if (top != E_BEFORE && top != E_AFTER) {
		if (!mnemo_xml_is_space(s, (size_t)len)) {
			fail(ld, -EINVAL, cur_line(ld), "text inside <%s>, outside any pattern",
			     elem_name[top]);
		}
		return;
	}
	if (ld->text_len + (size_t)len > MAX_PATTERN_BYTES) {
		fail(ld, -EINVAL, ld->text_line, "a pattern longer than %d bytes",
		     MAX_PATTERN_BYTES);
		return;
	}
	if (ld->text_len + (size_t)len > ld->text_cap) {
		size_t cap = ld->text_cap != 0 ? ld->text_cap : 256;
		char *t;

		while (cap < ld->text_len + (size_t)len) {
			cap *= 2;
		}
		t = realloc(ld->text, cap);
		if (t == NULL) {
			fail_nomem(ld);
			return;
		}
		ld->text = t;
		ld->text_cap = cap;
	}
	memcpy(ld->text + ld->text_len, s, (size_t)len);
	ld->text_len += (size_t)len;
}

static void XMLCALL
on_doctype(void *data, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
	   int has_internal_subset)
{
	struct load *ld = data;

	/* Called before the internal subset is read: its entities are never declared. */
	fail(ld, -EINVAL, cur_line(ld),
	     "DOCTYPE refused: SRX needs no DTD, and its entities could expand without bound "
	     "or read other files");
}

static void XMLCALL
on_entity_decl(void *data, const XML_Char *name, int is_param, const XML_Char *value, int value_len,
	       const XML_Char *base, const XML_Char *sysid, const XML_Char *pubid,
	       const XML_Char *notation)
{
	struct load *ld = data;

	/* Unreachable while every DOCTYPE is refused; kept so that stays true if that ever
	 * changes. */
	fail(ld, -EINVAL, cur_line(ld), "entity declaration \"%s\" refused", name);
}

static int XMLCALL
on_external_entity(XML_Parser xp, const XML_Char *context, const XML_Char *base,
		   const XML_Char *sysid, const XML_Char *pubid)
{
	return XML_STATUS_ERROR; /* never fetch anything */
}

static void
rule_fini(struct rule *r)
{
	uregex_close(r->before);
	uregex_close(r->after);
}

static void
cache_free(struct lang_cache *c)
{
	size_t i;

	if (c == NULL) {
		return;
	}
	for (i = 0; i < c->n_sets; i++) {
		free(c->sets[i]->v);
		free(c->sets[i]->langrules);
		free(c->sets[i]);
	}
	free(c->sets);
	free(c->langs);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void
mnemo_srx_free(struct mnemo_srx *srx)
{
	size_t i, j;

	if (srx == NULL) {
		return;
	}
	/* The rule sets point into the languagerules: they go first. */
	cache_free(srx->cache);
	for (i = 0; i < srx->n_lr; i++) {
		for (j = 0; j < srx->lr[i].n; j++) {
			rule_fini(&srx->lr[i].v[j]);
		}
		free(srx->lr[i].v);
		free(srx->lr[i].name);
	}
	free(srx->lr);
	for (i = 0; i < srx->n_maps; i++) {
		uregex_close(srx->maps[i].pattern);
		free(srx->maps[i].langrule_name);
	}
	free(srx->maps);
	free(srx);
}

static int
load_begin(struct load *ld, const char *name, char *err, size_t err_size)
{
	memset(ld, 0, sizeof(*ld));
	ld->name = name != NULL ? name : "srx";
	ld->err = err;
	ld->err_size = err_size;
	if (err != NULL && err_size > 0) {
		err[0] = '\0';
	}
	ld->srx = calloc(1, sizeof(*ld->srx));
	ld->xp = XML_ParserCreateNS(NULL, NS_SEP);
	if (ld->srx == NULL || ld->xp == NULL) {
		format_err(err, err_size, ld->name, 0, "out of memory");
		return -ENOMEM;
	}
	XML_SetUserData(ld->xp, ld);
	XML_SetElementHandler(ld->xp, on_start, on_end);
	XML_SetCharacterDataHandler(ld->xp, on_text);
	XML_SetStartDoctypeDeclHandler(ld->xp, on_doctype);
	XML_SetEntityDeclHandler(ld->xp, on_entity_decl);
	XML_SetExternalEntityRefHandler(ld->xp, on_external_entity);
	XML_SetParamEntityParsing(ld->xp, XML_PARAM_ENTITY_PARSING_NEVER);
	return 0;
}

/* Turns an expat failure into ld->error, unless a handler already explained it. */
static void
xml_failed(struct load *ld)
{
	enum XML_Error code = XML_GetErrorCode(ld->xp);

	if (ld->error < 0) {
		return;
	}
	if (code == XML_ERROR_NO_MEMORY) {
		fail_nomem(ld);
		return;
	}
	fail(ld, -EINVAL, (unsigned long)XML_GetCurrentLineNumber(ld->xp),
	     "XML error: %s (column %lu)", XML_ErrorString(code),
	     (unsigned long)XML_GetCurrentColumnNumber(ld->xp) + 1);
}

/* Resolves each map's languagerulename now that all languagerules are known. */
static void
resolve_maps(struct load *ld)
{
	struct mnemo_srx *srx = ld->srx;
	size_t i, j;

	for (i = 0; i < srx->n_maps && ld->error == 0; i++) {
		struct langmap *m = &srx->maps[i];

		for (j = 0; j < srx->n_lr; j++) {
			if (strcmp(srx->lr[j].name, m->langrule_name) == 0) {
				break;
			}
		}
		if (j == srx->n_lr) {
			fail(ld, -EINVAL, m->line,
			     "languagemap names languagerule \"%s\", which is not defined",
			     m->langrule_name);
			break;
		}
		m->langrule = j;
		free(m->langrule_name);
		m->langrule_name = NULL;
	}
}

static int
load_end(struct load *ld, struct mnemo_srx **ret)
{
	struct mnemo_srx *srx = ld->srx;

	if (ld->error == 0) {
		resolve_maps(ld);
	}
	if (ld->error == 0) {
		srx->cache = calloc(1, sizeof(*srx->cache));
		if (srx->cache == NULL) {
			fail(ld, -ENOMEM, 0, "out of memory");
		} else if (pthread_mutex_init(&srx->cache->lock, NULL) != 0) {
			free(srx->cache);
			srx->cache = NULL;
			fail(ld, -ENOMEM, 0, "cannot create a mutex");
		}
	}
	rule_fini(&ld->rule); /* a <rule> cut short by an error */
	free(ld->text);
	if (ld->xp != NULL) {
		XML_ParserFree(ld->xp);
	}
	if (ld->error < 0) {
		mnemo_srx_free(srx);
		return ld->error;
	}
	*ret = srx;
	return 0;
}

int
mnemo_srx_load(const char *data, size_t len, const char *name, struct mnemo_srx **ret, char *err,
	       size_t err_size)
{
	struct load ld;
	int r;

	assert(ret != NULL && (data != NULL || len == 0));
	r = load_begin(&ld, name, err, err_size);
	if (r == 0 && len > SRX_MAX_BYTES) {
		ld.error = -EFBIG;
		format_err(err, err_size, ld.name, 0, "%zu bytes: larger than the %d MiB limit",
			   len, SRX_MAX_BYTES >> 20);
	} else if (r == 0 && XML_Parse(ld.xp, data != NULL ? data : "", (int)len, XML_TRUE) !=
				     XML_STATUS_OK) {
		xml_failed(&ld);
	}
	if (r < 0) {
		ld.error = r;
	}
	return load_end(&ld, ret);
}

int
mnemo_srx_load_file(const char *path, struct mnemo_srx **ret, char *err, size_t err_size)
{
	struct load ld;
	size_t total = 0;
	int fd, r;

	assert(path != NULL && ret != NULL);
	r = load_begin(&ld, path, err, err_size);
	if (r < 0) {
		ld.error = r;
		return load_end(&ld, ret);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ld.error = -errno;
		format_err(err, err_size, path, 0, "%s", strerror(errno));
		return load_end(&ld, ret);
	}
	/* Streamed: memory is bounded by the rules kept, not by the file's size. */
	while (ld.error == 0) {
		void *buf = XML_GetBuffer(ld.xp, READ_CHUNK);
		ssize_t n;

		if (buf == NULL) {
			fail_nomem(&ld);
			break;
		}
		n = read(fd, buf, READ_CHUNK);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			ld.error = -errno;
			format_err(err, err_size, path, 0, "%s", strerror(errno));
			break;
		}
		total += (size_t)n;
		if (total > SRX_MAX_BYTES) {
			ld.error = -EFBIG;
			format_err(err, err_size, path, 0, "larger than the %d MiB limit",
				   SRX_MAX_BYTES >> 20);
			break;
		}
		if (XML_ParseBuffer(ld.xp, (int)n, n == 0) != XML_STATUS_OK) {
			xml_failed(&ld);
			break;
		}
		if (n == 0) {
			break;
		}
	}
	close(fd);
	return load_end(&ld, ret);
}

/* ---- language maps ---- */

static bool
map_matches(URegularExpression *re, const UChar *tag, int32_t n)
{
	static const UChar empty[1] = {0};
	UErrorCode st = U_ZERO_ERROR, st2 = U_ZERO_ERROR;
	UBool m;

	if (re == NULL) {
		return n == 0;
	}
	uregex_setText(re, tag, n, &st);
	m = uregex_matches(re, -1, &st);
	/* A pattern that runs out of time is as good as not matching; the text is reset so
	 * the regex keeps no pointer to this stack frame. */
	uregex_setText(re, empty, 0, &st2);
	return U_SUCCESS(st) && m;
}

static struct mnemo_srx_rules *
find_set(struct lang_cache *c, const size_t *lr, size_t n)
{
	size_t i;

	for (i = 0; i < c->n_sets; i++) {
		if (c->sets[i]->n_langrules == n &&
		    memcmp(c->sets[i]->langrules, lr, n * sizeof(*lr)) == 0) {
			return c->sets[i];
		}
	}
	return NULL;
}

/* The rule set for the languagerules lr[0..n), shared with every tag that gets the same
 * list. NULL when memory or MAX_RULESETS runs out. Called with the cache locked. */
static const struct mnemo_srx_rules *
make_set(const struct mnemo_srx *srx, const size_t *lr, size_t n)
{
	struct lang_cache *c = srx->cache;
	struct mnemo_srx_rules *set = find_set(c, lr, n);
	size_t i, j, k = 0, total = 0;

	if (set != NULL) {
		return set;
	}
	if (c->n_sets == MAX_RULESETS) {
		return NULL;
	}
	if (c->n_sets == c->cap_sets) {
		size_t cap = c->cap_sets != 0 ? 2 * c->cap_sets : 8;
		struct mnemo_srx_rules **v = reallocarray(c->sets, cap, sizeof(*v));

		if (v == NULL) {
			return NULL;
		}
		c->sets = v;
		c->cap_sets = cap;
	}
	for (i = 0; i < n; i++) {
		total += srx->lr[lr[i]].n;
	}
	set = calloc(1, sizeof(*set));
	if (set == NULL) {
		return NULL;
	}
	set->v = calloc(total != 0 ? total : 1, sizeof(*set->v));
	set->langrules = malloc(n * sizeof(*set->langrules));
	if (set->v == NULL || set->langrules == NULL) {
		free(set->v);
		free(set->langrules);
		free(set);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < srx->lr[lr[i]].n; j++) {
			set->v[k++] = &srx->lr[lr[i]].v[j];
		}
	}
	set->n = total;
	memcpy(set->langrules, lr, n * sizeof(*lr));
	set->n_langrules = n;
	c->sets[c->n_sets++] = set;
	return set;
}

/* Which languagerules tag gets: the maps whose pattern matches the whole tag, in map order,
 * all of them with cascade="yes", else the first. Files written for tools that use
 * "fr_CA" are met halfway: a map matches if its pattern matches the tag with '-' or with
 * '_' between subtags. Called with the cache locked. */
static const struct mnemo_srx_rules *
resolve(const struct mnemo_srx *srx, const char *tag, size_t len, bool *ret_nomem)
{
	UChar u[2][MNEMO_TEXT_LANG_MAX];
	size_t *lr, n_lr = 0, i, j;
	const struct mnemo_srx_rules *set = NULL;
	bool swapped = false;

	*ret_nomem = false;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)tag[i];

		if (ch >= 0x80) {
			return NULL; /* no language tag has non-ASCII letters */
		}
		u[0][i] = ch;
		u[1][i] = ch == '-' ? '_' : ch == '_' ? '-' : ch;
		swapped |= u[1][i] != ch;
	}
	lr = malloc((srx->n_maps != 0 ? srx->n_maps : 1) * sizeof(*lr));
	if (lr == NULL) {
		*ret_nomem = true;
		return NULL;
	}
	for (i = 0; i < srx->n_maps; i++) {
		const struct langmap *m = &srx->maps[i];

		if (!map_matches(m->pattern, u[0], (int32_t)len) &&
		    !(swapped && map_matches(m->pattern, u[1], (int32_t)len))) {
			continue;
		}
		/* A languagerule mapped twice would only repeat itself: once is enough. */
		for (j = 0; j < n_lr && lr[j] != m->langrule; j++) {
		}
		if (j == n_lr) {
			lr[n_lr++] = m->langrule;
		}
		if (!srx->cascade) {
			break;
		}
	}
	if (n_lr > 0) {
		set = make_set(srx, lr, n_lr);
		*ret_nomem = set == NULL;
	}
	free(lr);
	return set;
}

static int
cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct lang_entry *)a)->tag, ((const struct lang_entry *)b)->tag);
}

const struct mnemo_srx_rules *
mnemo_srx_rules_for(const struct mnemo_srx *srx, const char *lang)
{
	struct lang_cache *c;
	struct lang_entry key, *e;
	const struct mnemo_srx_rules *set;
	size_t len, at;
	bool nomem;

	if (srx == NULL || lang == NULL) {
		return NULL;
	}
	len = strnlen(lang, sizeof(key.tag));
	if (len == 0 || len >= sizeof(key.tag)) {
		return NULL;
	}
	memcpy(key.tag, lang, len + 1);
	c = srx->cache;
	pthread_mutex_lock(&c->lock);
	e = c->n_langs > 0 ? bsearch(&key, c->langs, c->n_langs, sizeof(*e), cmp_entry) : NULL;
	if (e != NULL) {
		set = e->rules;
		pthread_mutex_unlock(&c->lock);
		return set;
	}
	set = resolve(srx, lang, len, &nomem);
	/* Remembered unless memory ran out (a later call retries) or MAX_LANGS tags are known
	 * already: then the tag is resolved again on each call, still sharing its rule set. */
	if (!nomem && c->n_langs < MAX_LANGS) {
		if (c->n_langs == c->cap_langs) {
			size_t cap = c->cap_langs != 0 ? 2 * c->cap_langs : 16;
			struct lang_entry *v = reallocarray(c->langs, cap, sizeof(*v));

			if (v != NULL) {
				c->langs = v;
				c->cap_langs = cap;
			}
		}
		if (c->n_langs < c->cap_langs) {
			for (at = 0; at < c->n_langs && strcmp(c->langs[at].tag, lang) < 0; at++) {
			}
			memmove(&c->langs[at + 1], &c->langs[at],
				(c->n_langs - at) * sizeof(*c->langs));
			c->langs[at] = key;
			c->langs[at].rules = set;
			c->n_langs++;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return set;
}

/* ---- evaluation ---- */

struct apply {
	const UChar *u; /* the paragraph in UTF-16, n units */
	int32_t n;
	uint8_t *verdict; /* per UTF-16 position: 0 until a rule decides */
	uint32_t *tried;  /* per position: 1 + the index of the last rule that tested it */
	int32_t *hits;    /* positions the current rule matches, committed when it ends */
	int32_t n_hits;
	int32_t ticks; /* ICU timer ticks the current rule has used */
	int32_t max_ticks;
	uint32_t steps;       /* loop steps of the current rule, for CPU_CHECK_EVERY */
	int64_t cpu_budget;   /* ns of thread CPU time per rule */
	int64_t cpu_deadline; /* when the current rule is dropped; 0 until first looked at */
};

static int64_t
thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) {
		return 0; /* no clock: the tick budget alone applies */
	}
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Whether the current rule has used up its CPU time. The clock costs a system call
 * (about 1 us, as much as a whole short rule), so it is read every CPU_CHECK_EVERY steps
 * only, and a rule's time is counted from its first reading: most rules finish before and
 * never read it. The steps before are bounded by ICU's per-call limits. */
static bool
out_of_time(struct apply *a)
{
	int64_t now;

	if (++a->steps % CPU_CHECK_EVERY != 0) {
		return false;
	}
	now = thread_cpu_ns();
	if (a->cpu_deadline == 0) {
		a->cpu_deadline = now + a->cpu_budget;
		return false;
	}
	return now > a->cpu_deadline;
}

/* Called by ICU every 10,000 backtracking states of any match operation of the current
 * rule's clones; returning false stops the operation with U_REGEX_STOPPED_BY_CALLER. */
static UBool U_CALLCONV
on_tick(const void *context, int32_t steps)
{
	struct apply *a = (struct apply *)context;

	return ++a->ticks < a->max_ticks;
}

static URegularExpression *
clone_for(const URegularExpression *re, struct apply *a, UErrorCode *st)
{
	URegularExpression *c;

	if (re == NULL || U_FAILURE(*st)) {
		return NULL;
	}
	c = uregex_clone(re, st);
	/* Not copied by uregex_clone: set on each clone. */
	uregex_setTimeLimit(c, a->max_ticks, st);
	uregex_setStackLimit(c, STACK_LIMIT, st);
	uregex_setMatchCallback(c, on_tick, a, st);
	uregex_setText(c, a->u, a->n, st);
	return c;
}

/* Position k passes this rule if no earlier rule decided it and <afterbreak> matches
 * there. Positions 0 and n are the paragraph's own ends and a position between the two
 * halves of a surrogate pair is inside a character: none of them is ever reported. */
static void
try_pos(struct apply *a, URegularExpression *after, int32_t k, uint32_t stamp, UErrorCode *st)
{
	if (k <= 0 || k >= a->n || (U16_IS_TRAIL(a->u[k]) && U16_IS_LEAD(a->u[k - 1]))) {
		return;
	}
	if (a->verdict[k] != 0 || a->tried[k] == stamp) {
		return;
	}
	a->tried[k] = stamp;
	if (after != NULL && !uregex_lookingAt(after, k, st)) {
		return;
	}
	if (U_SUCCESS(*st)) {
		a->hits[a->n_hits++] = k;
	}
}

static int
eval_rule(struct apply *a, const struct rule *rule, uint32_t stamp)
{
	UErrorCode st = U_ZERO_ERROR;
	URegularExpression *before, *after;
	bool dropped = false;
	int32_t k, i;
	int r = 0;

	a->ticks = 0;
	a->n_hits = 0;
	a->steps = 0;
	a->cpu_deadline = 0;
	before = clone_for(rule->before, a, &st);
	after = clone_for(rule->after, a, &st);
	if (U_FAILURE(st)) {
		r = -ENOMEM; /* all a clone can run out of */
		goto out;
	}
	if (before == NULL) {
		/* An empty <beforebreak> matches at every position. */
		for (k = 0; k < a->n && U_SUCCESS(st) && !dropped;) {
			U16_FWD_1(a->u, k, a->n);
			try_pos(a, after, k, stamp, &st);
			dropped = out_of_time(a);
		}
	} else {
		int64_t rescan_left = (int64_t)RESCAN_PER * a->n + RESCAN_BASE;
		int32_t from = 0;

		while (from < a->n && !dropped && uregex_find(before, from, &st) && U_SUCCESS(st)) {
			int32_t s = uregex_start(before, 0, &st);
			int32_t e = uregex_end(before, 0, &st);
			int32_t next = s;

			try_pos(a, after, e, stamp, &st);
			/* Next search one code point after this match's start, so overlapping
			 * matches are seen, within the rescan allowance. */
			U16_FWD_1(a->u, next, a->n);
			if (e > next) {
				if (rescan_left >= e - next) {
					rescan_left -= e - next;
				} else {
					next = e;
				}
			}
			from = next;
			dropped = out_of_time(a);
		}
	}
	if (st == U_MEMORY_ALLOCATION_ERROR) {
		r = -ENOMEM;
	} else if (U_SUCCESS(st) && !dropped) {
		for (i = 0; i < a->n_hits; i++) {
			a->verdict[a->hits[i]] = rule->verdict;
		}
	}
	/* Out of CPU time, or any other failure (U_REGEX_TIME_OUT, U_REGEX_STOPPED_BY_CALLER
	 * for the tick budget, U_REGEX_STACK_OVERFLOW): the rule's hits are dropped, it does
	 * not match this paragraph. */
out:
	uregex_close(before);
	uregex_close(after);
	return r;
}

/* p[0..len) to UTF-16, with off8[k] the byte offset where UTF-16 unit k's character
 * starts. Ill-formed UTF-8 becomes U+FFFD so the output stays in bounds and ordered. */
static int32_t
to_utf16(const uint8_t *p, int32_t len, UChar *u, uint32_t *off8)
{
	int32_t i = 0, n = 0;

	while (i < len) {
		int32_t start = i;
		UChar32 c;

		U8_NEXT(p, i, len, c);
		if (c < 0) {
			c = 0xfffd;
		}
		off8[n] = (uint32_t)start;
		if (U_IS_BMP(c)) {
			u[n++] = (UChar)c;
		} else {
			u[n] = U16_LEAD(c);
			u[n + 1] = U16_TRAIL(c);
			off8[n + 1] = (uint32_t)start;
			n += 2;
		}
	}
	off8[n] = (uint32_t)len;
	return n;
}

int
mnemo_srx_apply(const struct mnemo_srx_rules *rules, const char *p, size_t len, uint32_t **ret_pos,
		uint8_t **ret_verdict)
{
	struct apply a = {0};
	uint32_t *off8 = NULL, *pos = NULL;
	uint8_t *verdict = NULL;
	UChar *u = NULL;
	int32_t count = 0, k, j;
	size_t i;
	int r = 0;

	assert(ret_pos != NULL && ret_verdict != NULL && (p != NULL || len == 0));
	/* ICU counts in int32_t, and so does the returned count. */
	if (len >= INT32_MAX) {
		return -EMSGSIZE;
	}
	if (rules == NULL || rules->n == 0 || len < 2) {
		*ret_pos = NULL;
		*ret_verdict = NULL;
		return 0; /* no rule, or no position strictly inside the paragraph */
	}
	/* A UTF-16 unit never takes less than one UTF-8 byte: len + 1 bounds every array. */
	u = malloc((len + 1) * sizeof(*u));
	off8 = malloc((len + 1) * sizeof(*off8));
	if (u == NULL || off8 == NULL) {
		r = -ENOMEM;
		goto out;
	}
	a.u = u;
	a.n = to_utf16((const uint8_t *)p, (int32_t)len, u, off8);
	a.verdict = calloc((size_t)a.n + 1, sizeof(*a.verdict));
	a.tried = calloc((size_t)a.n + 1, sizeof(*a.tried));
	a.hits = malloc(((size_t)a.n + 1) * sizeof(*a.hits));
	if (a.verdict == NULL || a.tried == NULL || a.hits == NULL) {
		r = -ENOMEM;
		goto out;
	}
	a.max_ticks = TICKS_BASE + a.n / TICKS_PER;
	a.cpu_budget = CPU_BASE_NS + CPU_UNIT_NS * a.n;
	for (i = 0; i < rules->n && r == 0; i++) {
		r = eval_rule(&a, rules->v[i], (uint32_t)i + 1);
	}
	if (r < 0) {
		goto out;
	}
	for (k = 1; k < a.n; k++) {
		count += a.verdict[k] != 0;
	}
	if (count > 0) {
		pos = malloc((size_t)count * sizeof(*pos));
		verdict = malloc((size_t)count * sizeof(*verdict));
		if (pos == NULL || verdict == NULL) {
			free(pos);
			free(verdict);
			r = -ENOMEM;
			goto out;
		}
		for (k = 1, j = 0; k < a.n; k++) {
			if (a.verdict[k] != 0) {
				pos[j] = off8[k];
				verdict[j++] = a.verdict[k];
			}
		}
	}
	*ret_pos = pos;
	*ret_verdict = verdict;
	r = count;
out:
	free(u);
	free(off8);
	free(a.verdict);
	free(a.tried);
	free(a.hits);
	return r;
}
