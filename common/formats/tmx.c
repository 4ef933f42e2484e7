/* TMX 1.4b in (streamed with expat) and out. The mapping is formats.h's.
 *
 * Reading. expat parses the bytes as they come, a piece at a time, and the handlers below
 * build one <tu> at a time into the caller's arena: memory holds one unit, the <seg>,
 * <prop> or <note> being read (capped at max_segment_bytes) and expat's own buffers. Those
 * are bounded two ways: expat's allocations go through a counting allocator with a cap, and
 * after each piece the bytes expat holds unparsed (fed minus the end of the last event) must
 * stay under max_segment_bytes + 128 KiB, which catches a 100 MB attribute or comment with a
 * clear message before the cap is reached. Character data is handed over as it is parsed,
 * so a 100 MB <seg> costs max_segment_bytes at most and fails as soon as it passes it.
 *
 * Entities: a DOCTYPE is read only up to its internal subset, which is refused before any
 * declaration in it is parsed, so nothing is ever declared, expanded (billion laughs) or
 * fetched (XXE); external DTDs are never read (XML_PARAM_ENTITY_PARSING_NEVER), and a
 * reference to an entity they might declare is refused too.
 *
 * Inline markup. The <seg> content builder (struct seg) is shared with the writer, which
 * parses each markup it is given with it before writing it: the markup must be TMX inline
 * content whose plain text is the variant, so that what is written reads back the same. */
#include "formats-internal.h"
#include "text.h"
#include "xml.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <expat.h>

#ifndef MNEMO_VERSION
#define MNEMO_VERSION "0"
#endif

enum {
	READ_CHUNK = 64 << 10,     /* bytes read from a file, and handed to expat, at a time */
	MAX_DEPTH = 64,            /* TMX nests 5 deep, inline markup a few more */
	PENDING_SLACK = 128 << 10, /* unparsed bytes expat may hold beyond max_segment_bytes */
};

/* ---- expat's memory, counted and capped ---- */

struct xmem {
	struct acct *acct; /* the reader's, for its peak */
	size_t now;
	size_t limit;
	bool over;
};

/* expat's allocator has no user pointer: the reader calling into expat sets this. Frees
 * and reallocs find their owner in the block's header. */
static _Thread_local struct xmem *xmem_current;

struct xblock {
	_Alignas(16) struct xmem *owner;
	size_t size;
};

static void *
x_malloc(size_t n)
{
	struct xmem *m = xmem_current;
	struct xblock *b;

	if (n > SIZE_MAX - sizeof(*b)) {
		return NULL;
	}
	if (m != NULL && (n > m->limit || m->now > m->limit - n)) {
		m->over = true;
		return NULL;
	}
	b = malloc(sizeof(*b) + n);
	if (b == NULL) {
		return NULL;
	}
	b->owner = m;
	b->size = n;
	if (m != NULL) {
		m->now += n;
		acct_add(m->acct, n);
	}
	return b + 1;
}

static void
x_free(void *p)
{
	struct xblock *b;

	if (p == NULL) {
		return;
	}
	b = (struct xblock *)p - 1;
	if (b->owner != NULL) {
		b->owner->now -= b->size;
		acct_sub(b->owner->acct, b->size);
	}
	free(b);
}

static void *
x_realloc(void *p, size_t n)
{
	struct xblock *b, *nb;
	struct xmem *m;

	if (p == NULL) {
		return x_malloc(n);
	}
	b = (struct xblock *)p - 1;
	m = b->owner;
	if (n > SIZE_MAX - sizeof(*b)) {
		return NULL;
	}
	if (m != NULL && n > b->size && (n - b->size > m->limit || m->now > m->limit - (n - b->size))) {
		m->over = true;
		return NULL;
	}
	nb = realloc(b, sizeof(*b) + n);
	if (nb == NULL) {
		return NULL;
	}
	if (m != NULL) {
		m->now = m->now - nb->size + n;
		acct_sub(m->acct, nb->size);
		acct_add(m->acct, n);
	}
	nb->size = n;
	return nb + 1;
}

static const XML_Memory_Handling_Suite xmem_suite = {x_malloc, x_realloc, x_free};

/* ---- escaping ---- */

static int
escape(struct sbuf *b, const char *s, size_t n, bool attr)
{
	size_t i, start = 0;
	int r;

	for (i = 0; i < n; i++) {
		const char *rep;

		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '\r':
			rep = "&#13;"; /* a raw CR would come back as LF */
			break;
		case '"':
			rep = attr ? "&quot;" : NULL;
			break;
		case '\t':
			rep = attr ? "&#9;" : NULL; /* attribute values are normalised */
			break;
		case '\n':
			rep = attr ? "&#10;" : NULL;
			break;
		default:
			rep = NULL;
			break;
		}
		if (rep == NULL) {
			continue;
		}
		if ((r = sbuf_add(b, s + start, i - start)) < 0 ||
		    (r = sbuf_add(b, rep, strlen(rep))) < 0) {
			return r;
		}
		start = i + 1;
	}
	return sbuf_add(b, s + start, n - start);
}

static size_t
escaped_len(const char *s, size_t n)
{
	size_t i, len = n;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
		case '\r':
			len += 4;
			break;
		case '<':
		case '>':
			len += 3;
			break;
		default:
			break;
		}
	}
	return len;
}

/* ---- <seg> content: plain text and re-serialised markup ---- */

enum inline_kind { K_CODE, K_SUB, K_HI };

static const struct {
	const char *name;
	enum inline_kind kind;
} inline_elems[] = {
	{"bpt", K_CODE}, {"ept", K_CODE}, {"it", K_CODE}, {"ph", K_CODE},
	{"ut", K_CODE},  {"hi", K_HI},    {"sub", K_SUB},
};

struct seg {
	struct sbuf plain;
	struct sbuf markup; /* only once an inline element was seen */
	bool has_inline;
	bool open_pending; /* a start tag written without its '>' */
	bool markup_over;  /* -EMSGSIZE was the markup's, not the plain text's */
	unsigned depth;
	unsigned code_depth; /* inside bpt/ept/it/ph/ut/sub: not plain text */
	uint8_t kinds[MAX_DEPTH];
	const char *names[MAX_DEPTH]; /* static strings from inline_elems */
	size_t max;
};

static void
seg_reset(struct seg *sg)
{
	sbuf_clear(&sg->plain);
	sbuf_clear(&sg->markup);
	sg->has_inline = false;
	sg->open_pending = false;
	sg->markup_over = false;
	sg->depth = 0;
	sg->code_depth = 0;
}

static void
seg_fini(struct seg *sg)
{
	sbuf_fini(&sg->plain);
	sbuf_fini(&sg->markup);
}

static int
close_pending(struct seg *sg)
{
	if (!sg->open_pending) {
		return 0;
	}
	sg->open_pending = false;
	return sbuf_addc(&sg->markup, '>');
}

/* -EMSGSIZE past the limit. */
static int
seg_text(struct seg *sg, const char *s, size_t n)
{
	int r;

	if (sg->code_depth == 0) {
		if (n > sg->max - sg->plain.len) {
			return -EMSGSIZE;
		}
		r = sbuf_add(&sg->plain, s, n);
		if (r < 0) {
			return r;
		}
	}
	if (sg->has_inline) {
		if ((r = close_pending(sg)) < 0) {
			return r;
		}
		if (escaped_len(s, n) > sg->max - sg->markup.len) {
			sg->markup_over = true;
			return -EMSGSIZE;
		}
		return escape(&sg->markup, s, n, false);
	}
	return 0;
}

/* An inline element: -EINVAL with *ret_why when it does not belong there. */
static int
seg_start(struct seg *sg, const char *name, const XML_Char **attrs, const char **ret_why)
{
	size_t i, k, n = sizeof(inline_elems) / sizeof(inline_elems[0]);
	enum inline_kind parent = sg->depth > 0 ? (enum inline_kind)sg->kinds[sg->depth - 1] : K_HI;
	int r;

	for (k = 0; k < n; k++) {
		if (strcmp(name, inline_elems[k].name) == 0) {
			break;
		}
	}
	if (k == n) {
		*ret_why = "not a TMX inline element";
		return -EINVAL;
	}
	if (parent == K_CODE && inline_elems[k].kind != K_SUB) {
		*ret_why = "native code (<bpt>, <ept>, <it>, <ph>, <ut>) holds text and <sub> only";
		return -EINVAL;
	}
	if (parent != K_CODE && inline_elems[k].kind == K_SUB) {
		*ret_why = "<sub> belongs inside native code (<bpt>, <ept>, <it>, <ph>, <ut>)";
		return -EINVAL;
	}
	if (sg->depth >= MAX_DEPTH) {
		*ret_why = "inline elements nested too deep";
		return -EINVAL;
	}
	if (!sg->has_inline) {
		/* Everything so far was plain text: the markup starts as its escaped copy. */
		sg->has_inline = true;
		sbuf_clear(&sg->markup);
		if (escaped_len(sg->plain.p, sg->plain.len) > sg->max) {
			return -EMSGSIZE;
		}
		if ((r = escape(&sg->markup, sg->plain.p != NULL ? sg->plain.p : "",
				sg->plain.len, false)) < 0) {
			return r;
		}
	}
	if ((r = close_pending(sg)) < 0 || (r = sbuf_addc(&sg->markup, '<')) < 0 ||
	    (r = sbuf_add(&sg->markup, name, strlen(name))) < 0) {
		return r;
	}
	for (i = 0; attrs[i] != NULL; i += 2) {
		if ((r = sbuf_addc(&sg->markup, ' ')) < 0 ||
		    (r = sbuf_add(&sg->markup, attrs[i], strlen(attrs[i]))) < 0 ||
		    (r = sbuf_add(&sg->markup, "=\"", 2)) < 0 ||
		    (r = escape(&sg->markup, attrs[i + 1], strlen(attrs[i + 1]), true)) < 0 ||
		    (r = sbuf_addc(&sg->markup, '"')) < 0) {
			return r;
		}
	}
	if (sg->markup.len > sg->max) {
		return -EMSGSIZE;
	}
	sg->open_pending = true;
	sg->kinds[sg->depth] = (uint8_t)inline_elems[k].kind;
	sg->names[sg->depth] = inline_elems[k].name;
	sg->depth++;
	if (inline_elems[k].kind != K_HI) {
		sg->code_depth++;
	}
	return 0;
}

static int
seg_end(struct seg *sg)
{
	const char *name;
	int r;

	assert(sg->depth > 0);
	sg->depth--;
	name = sg->names[sg->depth];
	if (sg->kinds[sg->depth] != K_HI) {
		sg->code_depth--;
	}
	if (sg->open_pending) {
		sg->open_pending = false;
		r = sbuf_add(&sg->markup, "/>", 2);
	} else if ((r = sbuf_add(&sg->markup, "</", 2)) == 0 &&
		   (r = sbuf_add(&sg->markup, name, strlen(name))) == 0) {
		r = sbuf_addc(&sg->markup, '>');
	}
	if (r == 0 && sg->markup.len > sg->max) {
		r = -EMSGSIZE;
	}
	return r;
}

/* ---- TMX dates ---- */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool
digits(const char *s, size_t n, unsigned *ret)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return false;
		}
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*ret = v;
	return true;
}

/* "YYYYMMDDThhmmssZ" -> Unix ms. */
static int
parse_date(const char *s, int64_t *ret_ms)
{
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned y, mo, d, h, mi, se;

	if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z' || !digits(s, 4, &y) ||
	    !digits(s + 4, 2, &mo) || !digits(s + 6, 2, &d) || !digits(s + 9, 2, &h) ||
	    !digits(s + 11, 2, &mi) || !digits(s + 13, 2, &se)) {
		return -EINVAL;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 60) {
		return -EINVAL;
	}
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) {
		return -EINVAL;
	}
	*ret_ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000LL + se * 1000LL;
	return 0;
}

static int
format_date(int64_t ms, char out[32])
{
	int64_t s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000); /* floor */
	int64_t days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
	int64_t sec = s - days * 86400, y;
	unsigned m, d;

	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		return -EINVAL;
	}
	snprintf(out, 32, "%04d%02u%02uT%02d%02d%02dZ", (int)y, m, d, (int)(sec / 3600),
		 (int)(sec / 60 % 60), (int)(sec % 60));
	return 0;
}

/* ---- reading ---- */

enum elem {
	E_NONE,
	E_TMX,
	E_HEADER,
	E_HEADER_ANY, /* inside <header>: read past */
	E_BODY,
	E_TU,
	E_TUV,
	E_SEG,
	E_INLINE,
	E_PROP,
	E_NOTE,
	E_SKIP, /* an element refused, or inside a <tu> being skipped */
};

static const char *const elem_name[] = {
	[E_NONE] = "(document)", [E_TMX] = "tmx",	     [E_HEADER] = "header",
	[E_HEADER_ANY] = "header", [E_BODY] = "body",   [E_TU] = "tu",
	[E_TUV] = "tuv",	   [E_SEG] = "seg",	    [E_INLINE] = "seg",
	[E_PROP] = "prop",	   [E_NOTE] = "note",	    [E_SKIP] = "?",
};

/* A creation or change (date and user), from a <tu> or the best of its <tuv>s. */
struct stamp {
	int64_t at;
	const char *by;
	bool has_at;
	bool has_by;
};

struct mnemo_tmx_reader {
	struct fmt_reader fr;
	struct mnemo_formats_stats own_stats;
	XML_Parser xp;
	struct xmem xmem;
	enum elem stack[MAX_DEPTH];
	unsigned depth;
	bool seen_root, seen_header, seen_body, ended;
	bool is_omegat;
	char srclang[MNEMO_FORMATS_LANG_MAX]; /* canonical, "*all*", or "" */
	bool text_reported;                   /* stray text reported since the last tag */
	uint64_t fed;
	uint64_t last_event_end;
	size_t max_pending;
	const char *chunk; /* the piece being parsed, to look at bad bytes */
	size_t chunk_len;
	uint64_t chunk_start;

	/* the <tu> being read */
	bool in_tu, tu_skip;
	unsigned long tu_line;
	struct stamp tu_created, tu_changed, tuv_created, tuv_changed;
	uint32_t tu_usage, tuv_usage;
	bool has_tu_usage, has_tuv_usage;
	int64_t tu_used, tuv_used;
	bool has_tu_used, has_tuv_used;
	/* the <tuv> */
	const char *tuv_lang; /* canonical, in the arena */
	bool tuv_has_seg;
	/* the <prop> or <note> */
	bool prop_at_tuv;
	const char *prop_type; /* in the arena; NULL for a <note> */
	const char *prop_lang; /* canonical xml:lang of a <prop>, or NULL */
	unsigned long prop_line;
	struct sbuf text;
	struct seg seg;
};

static unsigned long
cur_line(const struct mnemo_tmx_reader *rd)
{
	return (unsigned long)XML_GetCurrentLineNumber(rd->xp);
}

static unsigned long
cur_col(const struct mnemo_tmx_reader *rd)
{
	return (unsigned long)XML_GetCurrentColumnNumber(rd->xp) + 1;
}

static void
stop(struct mnemo_tmx_reader *rd)
{
	XML_StopParser(rd->xp, XML_FALSE);
}

/* An error the read cannot go on after. */
static void __attribute__((format(printf, 3, 4)))
fatal(struct mnemo_tmx_reader *rd, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fr_verror(&rd->fr, code, true, cur_line(rd), cur_col(rd),
		  (int64_t)XML_GetCurrentByteIndex(rd->xp), fmt, ap);
	va_end(ap);
	stop(rd);
}

/* An error outside any <tu>: the read goes on if on_error says so. */
static void __attribute__((format(printf, 3, 4)))
report(struct mnemo_tmx_reader *rd, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = fr_verror(&rd->fr, code, false, cur_line(rd), cur_col(rd),
		      (int64_t)XML_GetCurrentByteIndex(rd->xp), fmt, ap);
	va_end(ap);
	if (r < 0) {
		stop(rd);
	}
}

/* An error in the current <tu>: it is skipped if the read goes on. */
static void __attribute__((format(printf, 4, 5)))
tu_fail(struct mnemo_tmx_reader *rd, int code, unsigned long line, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (rd->tu_skip) {
		return; /* one error per <tu> */
	}
	rd->tu_skip = true;
	va_start(ap, fmt);
	r = fr_verror(&rd->fr, code, false, line != 0 ? line : cur_line(rd),
		      line != 0 ? 0 : cur_col(rd), (int64_t)XML_GetCurrentByteIndex(rd->xp), fmt,
		      ap);
	va_end(ap);
	if (r < 0) {
		stop(rd);
	}
}

static void
tu_fail_errno(struct mnemo_tmx_reader *rd, int r, const char *what)
{
	if (r == -ENOMEM) {
		fatal(rd, r, "out of memory");
	} else if (r == -EMSGSIZE) {
		tu_fail(rd, r, 0, "%s: the <tu> is over its memory limit (%zu bytes of arena, %d "
				  "props, notes and tuvs)",
			what, rd->fr.opt->arena->limit_bytes, UB_MAX_ITEMS);
	} else {
		tu_fail(rd, r, 0, "%s: %s", what, strerror(-r));
	}
}

static void
note_position(struct mnemo_tmx_reader *rd)
{
	rd->last_event_end =
		(uint64_t)XML_GetCurrentByteIndex(rd->xp) + (uint64_t)XML_GetCurrentByteCount(rd->xp);
}

static char *
arena_copy(struct mnemo_tmx_reader *rd, const char *s)
{
	int r = 0;
	char *p = ub_strndup(&rd->fr.ub, s, strlen(s), &r);

	if (p == NULL) {
		tu_fail_errno(rd, r, "copying an attribute");
	}
	return p;
}

static void
start_header(struct mnemo_tmx_reader *rd, const XML_Char **attrs)
{
	const char *src = mnemo_xml_attr(attrs, "srclang");
	const char *tool = mnemo_xml_attr(attrs, "creationtool");
	const char *canon;
	char q[80];

	if (tool != NULL) {
		snprintf(rd->fr.stats->creationtool, sizeof(rd->fr.stats->creationtool), "%s",
			 tool);
		rd->is_omegat = strncmp(tool, "OmegaT", 6) == 0;
	}
	strcpy(rd->srclang, "*all*");
	if (src == NULL) {
		report(rd, -EINVAL, "<header> without srclang (read as \"*all*\")");
	} else if (strcasecmp(src, "*all*") == 0) {
		/* any language may be the source */
	} else if (lang_canon(&rd->fr.langs, src, &canon) < 0) {
		report(rd, -EINVAL, "<header srclang=\"%s\">: not a language tag (read as "
				    "\"*all*\")",
		       quote(src, strlen(src), q, sizeof(q)));
	} else {
		snprintf(rd->srclang, sizeof(rd->srclang), "%s", canon);
	}
	memcpy(rd->fr.stats->srclang, rd->srclang, sizeof(rd->srclang));
}

/* creationdate/changedate/... of a <tu> or <tuv>: 0, or -1 after tu_fail. */
static int
read_stamps(struct mnemo_tmx_reader *rd, const XML_Char **attrs, bool is_tuv)
{
	static const char *const date_attrs[] = {"creationdate", "changedate", "lastusagedate"};
	int64_t ms[3] = {0, 0, 0};
	bool has[3] = {false, false, false};
	const char *cid = mnemo_xml_attr(attrs, "creationid"), *chid = mnemo_xml_attr(attrs, "changeid");
	const char *usage = mnemo_xml_attr(attrs, "usagecount");
	unsigned long long count = 0;
	char q[80];
	size_t i;

	for (i = 0; i < 3; i++) {
		const char *v = mnemo_xml_attr(attrs, date_attrs[i]);

		if (v == NULL) {
			continue;
		}
		if (parse_date(v, &ms[i]) < 0) {
			tu_fail(rd, -EINVAL, 0, "%s=\"%s\": not a TMX date (YYYYMMDDThhmmssZ)",
				date_attrs[i], quote(v, strlen(v), q, sizeof(q)));
			return -1;
		}
		has[i] = true;
	}
	if (usage != NULL) {
		char *end;

		errno = 0;
		count = strtoull(usage, &end, 10);
		if (usage[0] < '0' || usage[0] > '9' || *end != '\0' || errno != 0 ||
		    count > UINT32_MAX) {
			tu_fail(rd, -EINVAL, 0, "usagecount=\"%s\": not a count",
				quote(usage, strlen(usage), q, sizeof(q)));
			return -1;
		}
	}
	if ((cid != NULL && (cid = arena_copy(rd, cid)) == NULL) ||
	    (chid != NULL && (chid = arena_copy(rd, chid)) == NULL)) {
		return -1;
	}
	if (!is_tuv) {
		rd->tu_created = (struct stamp){ms[0], cid, has[0], cid != NULL};
		rd->tu_changed = (struct stamp){ms[1], chid, has[1], chid != NULL};
		rd->tu_usage = (uint32_t)count;
		rd->has_tu_usage = usage != NULL;
		rd->tu_used = ms[2];
		rd->has_tu_used = has[2];
		return 0;
	}
	/* The earliest creation and the latest change among the <tuv>s. */
	if ((has[0] && (!rd->tuv_created.has_at || ms[0] < rd->tuv_created.at)) ||
	    (!rd->tuv_created.has_at && !rd->tuv_created.has_by && cid != NULL)) {
		rd->tuv_created = (struct stamp){ms[0], cid, has[0], cid != NULL};
	}
	if ((has[1] && (!rd->tuv_changed.has_at || ms[1] > rd->tuv_changed.at)) ||
	    (!rd->tuv_changed.has_at && !rd->tuv_changed.has_by && chid != NULL)) {
		rd->tuv_changed = (struct stamp){ms[1], chid, has[1], chid != NULL};
	}
	if (usage != NULL && (!rd->has_tuv_usage || count > rd->tuv_usage)) {
		rd->tuv_usage = (uint32_t)count;
		rd->has_tuv_usage = true;
	}
	if (has[2] && (!rd->has_tuv_used || ms[2] > rd->tuv_used)) {
		rd->tuv_used = ms[2];
		rd->has_tuv_used = true;
	}
	return 0;
}

static void
start_tu(struct mnemo_tmx_reader *rd, const XML_Char **attrs)
{
	struct ub *ub = &rd->fr.ub;
	const struct mnemo_formats_read_options *opt = rd->fr.opt;
	const char *tuid = mnemo_xml_attr(attrs, "tuid"), *src = mnemo_xml_attr(attrs, "srclang");
	int r;

	rd->in_tu = true;
	rd->tu_skip = false;
	rd->tu_line = cur_line(rd);
	memset(&rd->tu_created, 0, sizeof(rd->tu_created));
	memset(&rd->tu_changed, 0, sizeof(rd->tu_changed));
	memset(&rd->tuv_created, 0, sizeof(rd->tuv_created));
	memset(&rd->tuv_changed, 0, sizeof(rd->tuv_changed));
	rd->has_tu_usage = rd->has_tuv_usage = rd->has_tu_used = rd->has_tuv_used = false;
	rd->tu_usage = rd->tuv_usage = 0;
	rd->tu_used = rd->tuv_used = 0;
	fr_note_arena(&rd->fr);
	r = ub_begin(ub);
	if (r < 0) {
		fatal(rd, r, "cannot start a unit: %s", strerror(-r));
		return;
	}
	if (opt->origin != NULL && (r = ub_field(ub, &ub->u->origin, opt->origin,
						 strlen(opt->origin))) < 0) {
		tu_fail_errno(rd, r, "origin");
		return;
	}
	if (tuid != NULL && (r = ub_set(ub, UB_META, "tuid", tuid, strlen(tuid), UB_REPLACE)) < 0) {
		tu_fail_errno(rd, r, "tuid");
		return;
	}
	if (src != NULL) {
		const char *canon = src;
		char q[80];

		if (strcasecmp(src, "*all*") == 0) {
			canon = "*all*";
		} else if (lang_canon(&rd->fr.langs, src, &canon) < 0) {
			tu_fail(rd, -EINVAL, 0, "<tu srclang=\"%s\">: not a language tag",
				quote(src, strlen(src), q, sizeof(q)));
			return;
		}
		if ((r = ub_set(ub, UB_META, "srclang", canon, strlen(canon), UB_REPLACE)) < 0) {
			tu_fail_errno(rd, r, "srclang");
			return;
		}
	}
	read_stamps(rd, attrs, false);
}

static void
start_tuv(struct mnemo_tmx_reader *rd, const XML_Char **attrs)
{
	const char *lang = mnemo_xml_attr(attrs, "xml:lang");
	const char *canon;
	char q[80];

	rd->tuv_has_seg = false;
	rd->tuv_lang = NULL;
	if (lang == NULL) {
		lang = mnemo_xml_attr(attrs, "lang"); /* TMX 1.1 */
	}
	if (lang == NULL) {
		tu_fail(rd, -EINVAL, 0, "<tuv> without xml:lang");
		return;
	}
	if (lang_canon(&rd->fr.langs, lang, &canon) < 0) {
		tu_fail(rd, -EINVAL, 0, "<tuv xml:lang=\"%s\">: not a language tag",
			quote(lang, strlen(lang), q, sizeof(q)));
		return;
	}
	if (ub_get(&rd->fr.ub, UB_VARIANTS, canon) != NULL) {
		tu_fail(rd, -EINVAL, 0, "a second <tuv> in %s in one <tu>", canon);
		return;
	}
	rd->tuv_lang = arena_copy(rd, canon);
	if (rd->tuv_lang != NULL) {
		read_stamps(rd, attrs, true);
	}
}

static void
start_prop(struct mnemo_tmx_reader *rd, const XML_Char **attrs, bool is_note, bool at_tuv)
{
	rd->prop_at_tuv = at_tuv;
	rd->prop_type = NULL;
	rd->prop_lang = NULL;
	rd->prop_line = cur_line(rd);
	sbuf_clear(&rd->text);
	if (!is_note) {
		const char *type = mnemo_xml_attr(attrs, "type");
		const char *lang = mnemo_xml_attr(attrs, "xml:lang");
		const char *canon;
		char q[80];

		if (type == NULL || type[0] == '\0') {
			tu_fail(rd, -EINVAL, 0, "<prop> without a type");
			return;
		}
		rd->prop_type = arena_copy(rd, type);
		if (lang != NULL) {
			if (lang_canon(&rd->fr.langs, lang, &canon) < 0) {
				tu_fail(rd, -EINVAL, 0, "<prop xml:lang=\"%s\">: not a language tag",
					quote(lang, strlen(lang), q, sizeof(q)));
				return;
			}
			rd->prop_lang = arena_copy(rd, canon);
		}
	}
}

static void
end_prop(struct mnemo_tmx_reader *rd, bool is_note)
{
	struct ub *ub = &rd->fr.ub;
	Mnemo__Unit *u = ub->u;
	const char *type = rd->prop_type, *v = rd->text.p != NULL ? rd->text.p : "";
	size_t len = rd->text.len;
	int r = 0;

	if (rd->tu_skip) {
		return;
	}
	if (is_note) {
		if (rd->prop_at_tuv) {
			char *key = mnemo_arena_printf(ub->arena, "%s:note", rd->tuv_lang);

			r = key != NULL ? ub_set(ub, UB_META, key, v, len, UB_JOIN) : -EMSGSIZE;
		} else {
			r = ub_set(ub, UB_META, "note", v, len, UB_JOIN);
		}
	} else if (rd->prop_at_tuv) {
		if (strcmp(type, "x-context-prev") == 0) {
			r = ub_set(ub, UB_PREV, rd->tuv_lang, v, len, UB_REPLACE);
		} else if (strcmp(type, "x-context-next") == 0) {
			r = ub_set(ub, UB_NEXT, rd->tuv_lang, v, len, UB_REPLACE);
		} else {
			char *key = mnemo_arena_printf(ub->arena, "%s:%s", rd->tuv_lang, type);

			r = key != NULL ? ub_set(ub, UB_META, key, v, len, UB_JOIN) : -EMSGSIZE;
		}
	} else if (strcmp(type, "x-project") == 0) {
		r = ub_field(ub, &u->project, v, len);
	} else if (strcmp(type, "x-domain") == 0) {
		r = ub_field(ub, &u->domain, v, len);
	} else if (strcmp(type, "x-context") == 0 ||
		   (rd->is_omegat && strcmp(type, "id") == 0)) {
		r = ub_field(ub, &u->context, v, len);
	} else if (strcmp(type, "x-origin") == 0) {
		r = ub_field(ub, &u->origin, v, len);
	} else if (rd->prop_lang != NULL && strcmp(type, "x-context-prev") == 0) {
		r = ub_set(ub, UB_PREV, rd->prop_lang, v, len, UB_REPLACE);
	} else if (rd->prop_lang != NULL && strcmp(type, "x-context-next") == 0) {
		r = ub_set(ub, UB_NEXT, rd->prop_lang, v, len, UB_REPLACE);
	} else if (rd->is_omegat && strcmp(rd->srclang, "*all*") != 0 &&
		   (strcmp(type, "prev") == 0 || strcmp(type, "next") == 0)) {
		/* OmegaT: the source segments around this one */
		r = ub_set(ub, type[0] == 'p' ? UB_PREV : UB_NEXT, rd->srclang, v, len,
			   UB_REPLACE);
	} else {
		r = ub_set(ub, UB_META, type, v, len, UB_JOIN);
	}
	if (r < 0) {
		tu_fail_errno(rd, r, is_note ? "<note>" : "<prop>");
	}
}

static void
end_seg(struct mnemo_tmx_reader *rd)
{
	struct ub *ub = &rd->fr.ub;
	struct seg *sg = &rd->seg;
	int r;

	if (rd->tu_skip || rd->tuv_lang == NULL) {
		return;
	}
	if (sg->plain.len == 0) {
		return; /* an empty <seg> is no variant */
	}
	r = ub_set(ub, UB_VARIANTS, rd->tuv_lang, sg->plain.p, sg->plain.len, UB_UNIQUE);
	if (r == 0 && sg->has_inline) {
		r = ub_set(ub, UB_MARKUP, rd->tuv_lang, sg->markup.p, sg->markup.len, UB_UNIQUE);
	}
	if (r < 0) {
		tu_fail_errno(rd, r, "<seg>");
	}
}

static void
apply_stamps(struct mnemo_tmx_reader *rd)
{
	Mnemo__Unit *u = rd->fr.ub.u;
	const struct stamp *c = rd->tu_created.has_at || rd->tu_created.has_by ? &rd->tu_created
									     : &rd->tuv_created;
	const struct stamp *ch = rd->tu_changed.has_at || rd->tu_changed.has_by ? &rd->tu_changed
									       : &rd->tuv_changed;

	if (c->has_at) {
		u->created_at = c->at;
	}
	if (c->has_by) {
		u->created_by = (char *)c->by;
	}
	if (ch->has_at) {
		u->changed_at = ch->at;
	}
	if (ch->has_by) {
		u->changed_by = (char *)ch->by;
	}
	u->usage_count = rd->has_tu_usage ? rd->tu_usage : rd->tuv_usage;
	u->used_at = rd->has_tu_used ? rd->tu_used : rd->tuv_used;
}

static void
end_tu(struct mnemo_tmx_reader *rd)
{
	struct ub *ub = &rd->fr.ub;
	Mnemo__Unit *u;
	size_t n;
	int r;

	rd->in_tu = false;
	if (rd->tu_skip) {
		return;
	}
	n = ub->maps[UB_VARIANTS].n;
	if (n < 2) {
		tu_fail(rd, -EINVAL, rd->tu_line,
			"a <tu> with %s; two are needed",
			n == 0 ? "no variant" : "one variant only");
		return;
	}
	apply_stamps(rd);
	r = ub_finish(ub, &u);
	if (r < 0) {
		tu_fail_errno(rd, r, "<tu>");
		return;
	}
	if (fr_deliver(&rd->fr, u) < 0) {
		stop(rd);
	}
}

static void
unexpected(struct mnemo_tmx_reader *rd, const char *name, enum elem parent)
{
	if (rd->in_tu) {
		tu_fail(rd, -EINVAL, 0, "unexpected <%s> inside <%s>", name, elem_name[parent]);
	} else {
		report(rd, -EINVAL, "unexpected <%s> inside <%s>", name, elem_name[parent]);
	}
}

static void XMLCALL
on_start(void *data, const XML_Char *name, const XML_Char **attrs)
{
	struct mnemo_tmx_reader *rd = data;
	enum elem parent = rd->depth > 0 ? rd->stack[rd->depth - 1] : E_NONE;
	enum elem e = E_SKIP;
	const char *why;
	int r;

	if (rd->fr.stopped < 0) {
		return;
	}
	note_position(rd);
	rd->text_reported = false;
	if (rd->depth >= MAX_DEPTH) {
		fatal(rd, -EMSGSIZE, "elements nested more than %d deep", MAX_DEPTH);
		return;
	}
	switch (parent) {
	case E_SKIP:
	case E_HEADER_ANY:
	case E_HEADER:
		e = parent == E_SKIP ? E_SKIP : E_HEADER_ANY;
		break;
	case E_SEG:
	case E_INLINE:
		if (rd->tu_skip) {
			break;
		}
		r = seg_start(&rd->seg, name, attrs, &why);
		if (r == -EINVAL) {
			tu_fail(rd, r, 0, "<%s> inside <%s>: %s", name,
				parent == E_SEG ? "seg" : rd->seg.names[rd->seg.depth - 1], why);
		} else if (r == -EMSGSIZE) {
			tu_fail(rd, r, 0, "a <seg> whose markup is over %zu bytes",
				rd->fr.max_bytes);
		} else if (r < 0) {
			fatal(rd, r, "out of memory");
		} else {
			e = E_INLINE;
		}
		break;
	case E_PROP:
	case E_NOTE:
		tu_fail(rd, -EINVAL, 0, "<%s> inside <%s>: it holds text only", name,
			elem_name[parent]);
		break;
	case E_NONE:
		if (strcmp(name, "tmx") != 0) {
			fatal(rd, -EINVAL, "not a TMX document: the root element is <%s>", name);
			return;
		}
		rd->seen_root = true;
		e = E_TMX;
		break;
	case E_TMX:
		if (strcmp(name, "header") == 0 && !rd->seen_header && !rd->seen_body) {
			rd->seen_header = true;
			start_header(rd, attrs);
			e = E_HEADER;
		} else if (strcmp(name, "body") == 0 && !rd->seen_body) {
			if (!rd->seen_header) {
				fatal(rd, -EINVAL, "<body> without a <header> before it");
				return;
			}
			rd->seen_body = true;
			e = E_BODY;
		} else {
			report(rd, -EINVAL, "unexpected <%s> inside <tmx>", name);
		}
		break;
	case E_BODY:
		if (strcmp(name, "tu") == 0) {
			start_tu(rd, attrs);
			e = E_TU;
		} else {
			report(rd, -EINVAL, "unexpected <%s> inside <body>", name);
		}
		break;
	case E_TU:
	case E_TUV:
		if (strcmp(name, "tu") == 0) {
			tu_fail(rd, -EINVAL, 0, "a <tu> inside the <tu> of line %lu", rd->tu_line);
			break;
		}
		if (rd->tu_skip) {
			break;
		}
		if (strcmp(name, "prop") == 0 || strcmp(name, "note") == 0) {
			e = name[0] == 'p' ? E_PROP : E_NOTE;
			start_prop(rd, attrs, e == E_NOTE, parent == E_TUV);
		} else if (parent == E_TU && strcmp(name, "tuv") == 0) {
			start_tuv(rd, attrs);
			e = E_TUV;
		} else if (parent == E_TUV && strcmp(name, "seg") == 0) {
			if (rd->tuv_has_seg) {
				tu_fail(rd, -EINVAL, 0, "a second <seg> in one <tuv>");
				break;
			}
			rd->tuv_has_seg = true;
			seg_reset(&rd->seg);
			e = E_SEG;
		} else {
			unexpected(rd, name, parent);
		}
		break;
	}
	if (rd->tu_skip && e != E_TU) {
		e = E_SKIP;
	}
	rd->stack[rd->depth++] = e;
}

static void XMLCALL
on_end(void *data, const XML_Char *name)
{
	struct mnemo_tmx_reader *rd = data;
	enum elem e;
	int r;

	if (rd->fr.stopped < 0) {
		return;
	}
	note_position(rd);
	rd->text_reported = false;
	assert(rd->depth > 0); /* expat checks that tags balance */
	e = rd->stack[--rd->depth];
	switch (e) {
	case E_TU:
		end_tu(rd);
		rd->tu_skip = false;
		break;
	case E_TUV:
		if (!rd->tu_skip && !rd->tuv_has_seg) {
			tu_fail(rd, -EINVAL, 0, "a <tuv> without <seg>");
		}
		break;
	case E_SEG:
		end_seg(rd);
		break;
	case E_INLINE:
		if (!rd->tu_skip) {
			r = seg_end(&rd->seg);
			if (r == -EMSGSIZE) {
				tu_fail(rd, r, 0, "a <seg> whose markup is over %zu bytes",
					rd->fr.max_bytes);
			} else if (r < 0) {
				fatal(rd, r, "out of memory");
			}
		}
		break;
	case E_PROP:
	case E_NOTE:
		end_prop(rd, e == E_NOTE);
		break;
	default:
		break;
	}
}

static void XMLCALL
on_text(void *data, const XML_Char *s, int len)
{
	struct mnemo_tmx_reader *rd = data;
	enum elem top = rd->depth > 0 ? rd->stack[rd->depth - 1] : E_NONE;
	int r;

	if (rd->fr.stopped < 0) {
		return;
	}
	note_position(rd);
	switch (top) {
	case E_SEG:
	case E_INLINE:
		if (rd->tu_skip) {
			return;
		}
		r = seg_text(&rd->seg, s, (size_t)len);
		if (r == -EMSGSIZE) {
			tu_fail(rd, r, 0, "a <seg>%s over %zu bytes",
				rd->seg.markup_over ? " whose markup is" : "", rd->fr.max_bytes);
		} else if (r < 0) {
			fatal(rd, r, "out of memory");
		}
		return;
	case E_PROP:
	case E_NOTE:
		if (rd->tu_skip) {
			return;
		}
		if ((size_t)len > rd->fr.max_bytes - rd->text.len) {
			tu_fail(rd, -EMSGSIZE, 0, "a <%s> over %zu bytes", elem_name[top],
				rd->fr.max_bytes);
			return;
		}
		if (sbuf_add(&rd->text, s, (size_t)len) < 0) {
			fatal(rd, -ENOMEM, "out of memory");
		}
		return;
	case E_SKIP:
	case E_HEADER_ANY:
		return;
	default:
		break;
	}
	if (mnemo_xml_is_space(s, (size_t)len) || rd->text_reported) {
		return;
	}
	rd->text_reported = true;
	if (rd->in_tu) {
		tu_fail(rd, -EINVAL, 0, "text inside <%s>, outside any <seg>", elem_name[top]);
	} else {
		report(rd, -EINVAL, "text inside <%s>", elem_name[top]);
	}
}

static void XMLCALL
on_default(void *data, const XML_Char *s, int len)
{
	struct mnemo_tmx_reader *rd = data;

	note_position(rd); /* comments, processing instructions, the prolog */
}

static void XMLCALL
on_doctype(void *data, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
	   int has_internal_subset)
{
	struct mnemo_tmx_reader *rd = data;

	note_position(rd);
	/* Called before the internal subset is read: nothing in it is ever declared. */
	if (has_internal_subset) {
		fatal(rd, -EINVAL,
		      "DOCTYPE with an internal subset refused: TMX needs none, and its entity "
		      "declarations could expand without bound (billion laughs) or read files "
		      "(external entities)");
	}
}

static void XMLCALL
on_entity_decl(void *data, const XML_Char *name, int is_param, const XML_Char *value,
	       int value_len, const XML_Char *base, const XML_Char *sysid, const XML_Char *pubid,
	       const XML_Char *notation)
{
	/* Unreachable while internal subsets are refused; kept so that stays true. */
	fatal(data, -EINVAL, "entity declaration \"%s\" refused", name);
}

static int XMLCALL
on_external_entity(XML_Parser xp, const XML_Char *context, const XML_Char *base,
		   const XML_Char *sysid, const XML_Char *pubid)
{
	struct mnemo_tmx_reader *rd = XML_GetUserData(xp);

	fatal(rd, -EINVAL, "external entity \"%s\" refused", sysid != NULL ? sysid : "?");
	return XML_STATUS_ERROR; /* never fetch anything */
}

static void XMLCALL
on_skipped_entity(void *data, const XML_Char *name, int is_param)
{
	fatal(data, -EINVAL, "reference to the undeclared entity &%s; (TMX has none but XML's "
			     "five: &amp; &lt; &gt; &quot; &apos;)",
	      name);
}

static int
reader_new(const struct mnemo_formats_read_options *opt, struct mnemo_formats_stats *stats,
	   struct mnemo_tmx_reader **ret)
{
	struct mnemo_tmx_reader *rd = calloc(1, sizeof(*rd));
	size_t max;

	if (rd == NULL) {
		return -ENOMEM;
	}
	fr_init(&rd->fr, opt, stats != NULL ? stats : &rd->own_stats, "tmx");
	max = rd->fr.max_bytes;
	rd->max_pending = max + PENDING_SLACK;
	rd->xmem.acct = &rd->fr.acct;
	/* expat holds at most the pending bytes twice (buffer growth) and its tables. */
	rd->xmem.limit = max <= SIZE_MAX / 8 ? 4 * rd->max_pending + (4 << 20) : SIZE_MAX;
	rd->text.acct = &rd->fr.acct;
	rd->seg.plain.acct = &rd->fr.acct;
	rd->seg.markup.acct = &rd->fr.acct;
	rd->seg.max = max;
	xmem_current = &rd->xmem;
	rd->xp = XML_ParserCreate_MM(NULL, &xmem_suite, NULL);
	xmem_current = NULL;
	if (rd->xp == NULL) {
		fr_fini(&rd->fr);
		free(rd);
		return -ENOMEM;
	}
	XML_SetUserData(rd->xp, rd);
	XML_SetElementHandler(rd->xp, on_start, on_end);
	XML_SetCharacterDataHandler(rd->xp, on_text);
	XML_SetDefaultHandlerExpand(rd->xp, on_default);
	XML_SetStartDoctypeDeclHandler(rd->xp, on_doctype);
	XML_SetEntityDeclHandler(rd->xp, on_entity_decl);
	XML_SetExternalEntityRefHandler(rd->xp, on_external_entity);
	XML_SetSkippedEntityHandler(rd->xp, on_skipped_entity);
	XML_SetParamEntityParsing(rd->xp, XML_PARAM_ENTITY_PARSING_NEVER);
	*ret = rd;
	return 0;
}

int
mnemo_tmx_reader_new(const struct mnemo_formats_read_options *opt, struct mnemo_tmx_reader **ret)
{
	return reader_new(opt, NULL, ret);
}

/* Whether the bytes at the error are bad UTF-8: expat calls them an invalid token. */
static bool
bad_utf8_at_error(struct mnemo_tmx_reader *rd, char *hex, size_t hex_size)
{
	uint64_t at = (uint64_t)XML_GetCurrentByteIndex(rd->xp);
	const unsigned char *p;
	size_t n, i, o = 0, bad;

	if (at < rd->chunk_start || at >= rd->chunk_start + rd->chunk_len) {
		return false;
	}
	p = (const unsigned char *)rd->chunk + (at - rd->chunk_start);
	n = rd->chunk_start + rd->chunk_len - at;
	if (n > 4) {
		n = 4;
	}
	/* A NUL is bad UTF-8 to mnemo_text_check_utf8, and so is a cut sequence at the end of
	 * the piece: look at the first character only. */
	if (p[0] < 0x80 || mnemo_text_check_utf8((const char *)p, n, &bad) == 0) {
		return false;
	}
	/* the lead byte and what follows it, as long as its sequence should be */
	n = p[0] < 0xC2 ? 1 : p[0] < 0xE0 ? (n < 2 ? n : 2) : p[0] < 0xF0 ? (n < 3 ? n : 3) : n;
	for (i = 0; i < n && o + 4 < hex_size; i++) {
		o += (size_t)snprintf(hex + o, hex_size - o, "%s%02X", i > 0 ? " " : "", p[i]);
	}
	return bad == 0;
}

static void
xml_failed(struct mnemo_tmx_reader *rd)
{
	enum XML_Error code = XML_GetErrorCode(rd->xp);
	char hex[32];

	if (rd->fr.stopped < 0) {
		return;
	}
	if (code == XML_ERROR_NO_MEMORY && rd->xmem.over) {
		fatal(rd, -EMSGSIZE,
		      "the XML parser would need more than %zu bytes here (a tag, attribute or "
		      "comment too long, or too many different names)",
		      rd->xmem.limit);
	} else if (code == XML_ERROR_NO_MEMORY) {
		fatal(rd, -ENOMEM, "out of memory");
	} else if (code == XML_ERROR_INVALID_TOKEN && bad_utf8_at_error(rd, hex, sizeof(hex))) {
		fatal(rd, -EILSEQ, "invalid UTF-8 (bytes %s)", hex);
	} else if (code == XML_ERROR_INVALID_TOKEN) {
		fatal(rd, -EINVAL,
		      "not well-formed XML: %s (a character XML does not allow, or a stray '<' "
		      "or '&'?)",
		      XML_ErrorString(code));
	} else if (code == XML_ERROR_UNKNOWN_ENCODING || code == XML_ERROR_INCORRECT_ENCODING) {
		fatal(rd, -EILSEQ, "%s (UTF-8, UTF-16, ISO-8859-1 and US-ASCII are read)",
		      XML_ErrorString(code));
	} else {
		fatal(rd, -EINVAL, "not well-formed XML: %s", XML_ErrorString(code));
	}
}

static int
parse_piece(struct mnemo_tmx_reader *rd, const char *data, size_t len, bool is_final)
{
	enum XML_Status st;

	rd->chunk = data;
	rd->chunk_len = len;
	rd->chunk_start = rd->fed;
	xmem_current = &rd->xmem;
	st = XML_Parse(rd->xp, data, (int)len, is_final ? XML_TRUE : XML_FALSE);
	xmem_current = NULL;
	rd->fed += len;
	rd->fr.stats->bytes = rd->fed;
	if (st != XML_STATUS_OK) {
		xml_failed(rd);
	} else if (rd->fed - rd->last_event_end > rd->max_pending) {
		fatal(rd, -EMSGSIZE,
		      "a tag, attribute, comment or other markup over %zu bytes (after this "
		      "place)",
		      rd->max_pending);
	}
	rd->chunk = NULL;
	rd->chunk_len = 0;
	return rd->fr.stopped;
}

int
mnemo_tmx_reader_feed(struct mnemo_tmx_reader *rd, const void *data, size_t len)
{
	const char *p = data;

	if (rd->fr.stopped < 0) {
		return rd->fr.stopped;
	}
	if (rd->ended) {
		return -EINVAL;
	}
	while (len > 0) {
		size_t n = len < READ_CHUNK ? len : READ_CHUNK;

		if (parse_piece(rd, p, n, false) < 0) {
			break;
		}
		p += n;
		len -= n;
	}
	fr_progress(&rd->fr);
	return rd->fr.stopped;
}

int
mnemo_tmx_reader_end(struct mnemo_tmx_reader *rd)
{
	if (rd->fr.stopped < 0 || rd->ended) {
		return rd->fr.stopped;
	}
	rd->ended = true;
	if (parse_piece(rd, "", 0, true) < 0) {
		return rd->fr.stopped;
	}
	if (!rd->seen_body) {
		fr_error(&rd->fr, -EINVAL, true, cur_line(rd), 0, (int64_t)rd->fed,
			 "the document has no <body>");
	}
	fr_note_arena(&rd->fr);
	return rd->fr.stopped;
}

const struct mnemo_formats_stats *
mnemo_tmx_reader_stats(const struct mnemo_tmx_reader *rd)
{
	return rd->fr.stats;
}

const struct mnemo_formats_error *
mnemo_tmx_reader_error(const struct mnemo_tmx_reader *rd)
{
	return &rd->fr.err;
}

void
mnemo_tmx_reader_free(struct mnemo_tmx_reader *rd)
{
	if (rd == NULL) {
		return;
	}
	if (rd->xp != NULL) {
		XML_ParserFree(rd->xp);
	}
	sbuf_fini(&rd->text);
	seg_fini(&rd->seg);
	fr_fini(&rd->fr);
	free(rd);
}

static int
read_finish(struct mnemo_tmx_reader *rd, int r, struct mnemo_formats_stats *ret_stats,
	    struct mnemo_formats_error *ret_err)
{
	if (r == 0) {
		r = mnemo_tmx_reader_end(rd);
	}
	r = fr_result(&rd->fr, r, ret_stats, ret_err);
	mnemo_tmx_reader_free(rd);
	return r;
}

int
mnemo_tmx_read_mem(const void *data, size_t len, const struct mnemo_formats_read_options *opt,
		   struct mnemo_formats_stats *ret_stats, struct mnemo_formats_error *ret_err)
{
	struct mnemo_tmx_reader *rd;
	int r;

	assert(data != NULL || len == 0);
	r = reader_new(opt, ret_stats, &rd);
	if (r < 0) {
		return r;
	}
	r = mnemo_tmx_reader_feed(rd, data != NULL ? data : "", len);
	return read_finish(rd, r, ret_stats, ret_err);
}

static int
read_io_error(struct mnemo_tmx_reader *rd, int err)
{
	return fr_error(&rd->fr, -err, true, 0, 0, (int64_t)rd->fed, "read error: %s",
			strerror(err));
}

int
mnemo_tmx_read_file(FILE *f, const struct mnemo_formats_read_options *opt,
		    struct mnemo_formats_stats *ret_stats, struct mnemo_formats_error *ret_err)
{
	struct mnemo_tmx_reader *rd;
	char *buf;
	int r;

	r = reader_new(opt, ret_stats, &rd);
	if (r < 0) {
		return r;
	}
	buf = malloc(READ_CHUNK);
	if (buf == NULL) {
		return read_finish(rd, -ENOMEM, ret_stats, ret_err);
	}
	acct_add(&rd->fr.acct, READ_CHUNK);
	for (;;) {
		size_t n = fread(buf, 1, READ_CHUNK, f);

		if (n > 0 && (r = mnemo_tmx_reader_feed(rd, buf, n)) < 0) {
			break;
		}
		if (n < READ_CHUNK) {
			if (ferror(f)) {
				r = read_io_error(rd, errno != 0 ? errno : EIO);
			}
			break;
		}
	}
	free(buf);
	return read_finish(rd, r, ret_stats, ret_err);
}

/* ---- inline markup ---- */

/* A parse of one variant's markup: TMX <seg> content, checked by the reader's own rules
 * (seg_start), its plain text in seg.plain. The parser is reset for each markup. */
struct markup_check {
	XML_Parser p;
	struct seg seg;
	bool failed;
	const char *why;
	int64_t at; /* where a handler found the fault (expat's index moves on after it) */
	unsigned depth;
};

static void XMLCALL
check_start(void *data, const XML_Char *name, const XML_Char **attrs)
{
	struct markup_check *mc = data;
	int r;

	if (mc->failed) {
		return;
	}
	if (mc->depth++ == 0) {
		return; /* the <seg> put around the markup */
	}
	r = seg_start(&mc->seg, name, attrs, &mc->why);
	if (r < 0) {
		mc->failed = true;
		mc->at = (int64_t)XML_GetCurrentByteIndex(mc->p);
		if (r != -EINVAL) {
			mc->why = "out of memory";
		}
		XML_StopParser(mc->p, XML_FALSE);
	}
}

static void XMLCALL
check_end(void *data, const XML_Char *name)
{
	struct markup_check *mc = data;

	(void)name;
	if (!mc->failed && --mc->depth > 0 && seg_end(&mc->seg) < 0) {
		mc->failed = true;
		mc->why = "out of memory";
		XML_StopParser(mc->p, XML_FALSE);
	}
}

static void XMLCALL
check_text(void *data, const XML_Char *s, int len)
{
	struct markup_check *mc = data;

	if (!mc->failed && seg_text(&mc->seg, s, (size_t)len) < 0) {
		mc->failed = true;
		mc->why = "out of memory";
		XML_StopParser(mc->p, XML_FALSE);
	}
}

/* Any DOCTYPE or entity declaration inside markup is refused. */
static void XMLCALL
check_doctype(void *data, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
	      int has_internal_subset)
{
	struct markup_check *mc = data;

	(void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
	mc->failed = true;
	mc->why = "a DOCTYPE";
	mc->at = (int64_t)XML_GetCurrentByteIndex(mc->p);
	XML_StopParser(mc->p, XML_FALSE);
}

static int
markup_check_init(struct markup_check *mc)
{
	memset(mc, 0, sizeof(*mc));
	mc->seg.max = SIZE_MAX;
	mc->p = XML_ParserCreate("UTF-8");
	return mc->p != NULL ? 0 : -ENOMEM;
}

static void
markup_check_fini(struct markup_check *mc)
{
	if (mc->p != NULL) {
		XML_ParserFree(mc->p);
	}
	seg_fini(&mc->seg);
}

/* 0 with the plain text in mc->seg.plain, or -EINVAL with *ret_offset (a byte of the
 * markup) and mc->why, or -ENOMEM. */
static int
markup_check_run(struct markup_check *mc, const char *s, size_t len, size_t *ret_offset)
{
	XML_Parser p = mc->p;
	int64_t at;
	bool ok;

	XML_ParserReset(p, "UTF-8");
	XML_SetUserData(p, mc);
	XML_SetElementHandler(p, check_start, check_end);
	XML_SetCharacterDataHandler(p, check_text);
	XML_SetStartDoctypeDeclHandler(p, check_doctype);
	XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
	seg_reset(&mc->seg);
	mc->failed = false;
	mc->why = NULL;
	mc->at = -1;
	mc->depth = 0;
	ok = len <= INT_MAX - 16 && XML_Parse(p, "<seg>", 5, XML_FALSE) == XML_STATUS_OK &&
	     XML_Parse(p, s, (int)len, XML_FALSE) == XML_STATUS_OK &&
	     XML_Parse(p, "</seg>", 6, XML_TRUE) == XML_STATUS_OK;
	if (ok && !mc->failed) {
		return 0;
	}
	if (mc->failed && mc->why != NULL && strcmp(mc->why, "out of memory") == 0) {
		return -ENOMEM;
	}
	if (!mc->failed) {
		mc->why = XML_ErrorString(XML_GetErrorCode(p));
	}
	at = (mc->at >= 0 ? mc->at : (int64_t)XML_GetCurrentByteIndex(p)) - 5; /* less <seg> */
	*ret_offset = at < 0 ? 0 : (size_t)at > len ? len : (size_t)at;
	return -EINVAL;
}

int
mnemo_tmx_markup_plain(const char *markup, size_t len, char *plain, size_t *ret_plain_len,
		       size_t *ret_offset, const char **ret_why)
{
	struct markup_check mc;
	size_t at = 0;
	int r = markup_check_init(&mc);

	if (r == 0) {
		r = markup_check_run(&mc, markup, len, &at);
	}
	if (r == 0) {
		memcpy(plain, mc.seg.plain.p != NULL ? mc.seg.plain.p : "", mc.seg.plain.len);
		plain[mc.seg.plain.len] = '\0';
		*ret_plain_len = mc.seg.plain.len;
	} else if (r == -EINVAL) {
		*ret_offset = at;
		*ret_why = mc.why;
	}
	markup_check_fini(&mc);
	return r;
}

/* ---- writing ---- */

struct mnemo_tmx_writer {
	FILE *f;
	struct sbuf out;   /* one <tu>, written whole or not at all */
	char srclang[MNEMO_FORMATS_LANG_MAX];
	char (*langs)[MNEMO_FORMATS_LANG_MAX];
	size_t n_langs;
	struct lang_cache lc;
	struct markup_check check; /* parses markup before it is written */
	/* the variants of the unit being written */
	struct wvar {
		const char *key; /* as in the unit */
		char lang[MNEMO_FORMATS_LANG_MAX];
		const char *text;
		const char *markup;
		bool written;
	} *vars;
	size_t cap_vars;
};

static int
write_raw(struct sbuf *b, const char *s)
{
	return sbuf_add(b, s, strlen(s));
}

static int
canon_or_all(struct lang_cache *lc, const char *tag, char out[MNEMO_FORMATS_LANG_MAX])
{
	const char *canon;

	if (strcasecmp(tag, "*all*") == 0) {
		strcpy(out, "*all*");
		return 0;
	}
	if (lang_canon(lc, tag, &canon) < 0) {
		return -EINVAL;
	}
	snprintf(out, MNEMO_FORMATS_LANG_MAX, "%s", canon);
	return 0;
}

int
mnemo_tmx_write_begin(FILE *f, const struct mnemo_tmx_write_options *opt,
		      struct mnemo_tmx_writer **ret)
{
	struct mnemo_tmx_writer *w;
	size_t i;
	int r;

	assert(f != NULL);
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		return -ENOMEM;
	}
	w->f = f;
	r = canon_or_all(&w->lc, opt != NULL && opt->srclang != NULL ? opt->srclang : "*all*",
			 w->srclang);
	if (r == 0 && opt != NULL && opt->langs != NULL) {
		w->langs = calloc(opt->n_langs != 0 ? opt->n_langs : 1, sizeof(*w->langs));
		if (w->langs == NULL) {
			r = -ENOMEM;
		}
		for (i = 0; r == 0 && i < opt->n_langs; i++) {
			const char *canon;

			if (lang_canon(&w->lc, opt->langs[i], &canon) < 0) {
				r = -EINVAL;
				break;
			}
			snprintf(w->langs[i], sizeof(w->langs[i]), "%s", canon);
		}
		w->n_langs = opt->n_langs;
	}
	if (r == 0) {
		r = markup_check_init(&w->check);
	}
	if (r == 0) {
		r = write_raw(&w->out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				       "<!DOCTYPE tmx SYSTEM \"tmx14.dtd\">\n"
				       "<tmx version=\"1.4\">\n"
				       "  <header creationtool=\"mnemo\" creationtoolversion=\"" MNEMO_VERSION
				       "\" segtype=\"sentence\" o-tmf=\"mnemo\" adminlang=\"en\" "
				       "srclang=\"");
	}
	if (r == 0 && (r = escape(&w->out, w->srclang, strlen(w->srclang), true)) == 0) {
		r = write_raw(&w->out, "\" datatype=\"plaintext\"/>\n  <body>\n");
	}
	if (r == 0 && fwrite(w->out.p, 1, w->out.len, f) != w->out.len) {
		r = -EIO;
	}
	if (r < 0) {
		markup_check_fini(&w->check);
		sbuf_fini(&w->out);
		free(w->langs);
		free(w);
		return r;
	}
	*ret = w;
	return 0;
}

static void __attribute__((format(printf, 3, 4)))
werr(struct mnemo_formats_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL) {
		return;
	}
	memset(e, 0, sizeof(*e));
	e->code = code;
	e->offset = -1;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

/* Text XML 1.0 can carry: valid UTF-8 without NUL, other C0 controls but TAB, LF and CR,
 * U+FFFE and U+FFFF. Returns 0 or -EILSEQ with the byte offset. */
static int
xml_chars(const char *s, size_t n, size_t *ret_offset)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	if (mnemo_text_check_utf8(s, n, ret_offset) < 0) {
		return -EILSEQ;
	}
	for (i = 0; i < n; i++) {
		if ((u[i] < 0x20 && u[i] != '\t' && u[i] != '\n' && u[i] != '\r') ||
		    (u[i] == 0xEF && i + 2 < n && u[i + 1] == 0xBF && u[i + 2] >= 0xBE)) {
			*ret_offset = i;
			return -EILSEQ;
		}
	}
	return 0;
}

static int
check_str(const char *s, const char *what, const char *key, struct mnemo_formats_error *ret_err)
{
	size_t off = 0;

	if (s == NULL || xml_chars(s, strlen(s), &off) == 0) {
		return 0;
	}
	werr(ret_err, -EILSEQ, "%s%s%s%s: invalid UTF-8 or a character XML cannot carry at byte %zu",
	     what, key != NULL ? "[" : "", key != NULL ? key : "", key != NULL ? "]" : "", off);
	return -EILSEQ;
}

/* The markup must be TMX inline content whose plain text is the variant's. */
static int
check_markup(struct mnemo_tmx_writer *w, const struct wvar *v, struct mnemo_formats_error *ret_err)
{
	const struct sbuf *plain = &w->check.seg.plain;
	size_t at = 0;
	int r = markup_check_run(&w->check, v->markup, strlen(v->markup), &at);

	if (r == -EINVAL) {
		werr(ret_err, -EINVAL, "markup[%s]: %s (byte %zu)", v->key, w->check.why, at);
	}
	if (r < 0) {
		return r;
	}
	if (plain->len != strlen(v->text) ||
	    memcmp(plain->p != NULL ? plain->p : "", v->text, plain->len) != 0) {
		werr(ret_err, -EINVAL, "markup[%s]: its plain text differs from variants[%s]",
		     v->key, v->key);
		return -EINVAL;
	}
	return 0;
}

static bool
lang_wanted(const struct mnemo_tmx_writer *w, const char *lang)
{
	size_t i;

	if (w->langs == NULL) {
		return true;
	}
	for (i = 0; i < w->n_langs; i++) {
		if (strcmp(w->langs[i], lang) == 0) {
			return true;
		}
	}
	return false;
}

/* The variant written in lang, or NULL. */
static const struct wvar *
written_var(const struct mnemo_tmx_writer *w, size_t n, const char *lang, size_t lang_len)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (w->vars[i].written && strlen(w->vars[i].lang) == lang_len &&
		    memcmp(w->vars[i].lang, lang, lang_len) == 0) {
			return &w->vars[i];
		}
	}
	return NULL;
}

/* Whether the unit has a variant in this language that the caller left out. */
static bool
var_left_out(const struct mnemo_tmx_writer *w, size_t n, const char *lang, size_t lang_len)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!w->vars[i].written && strlen(w->vars[i].lang) == lang_len &&
		    memcmp(w->vars[i].lang, lang, lang_len) == 0) {
			return !lang_wanted(w, w->vars[i].lang);
		}
	}
	return false;
}

static int
put_attr(struct sbuf *b, const char *name, const char *v)
{
	int r;

	if ((r = sbuf_addc(b, ' ')) < 0 || (r = write_raw(b, name)) < 0 ||
	    (r = sbuf_add(b, "=\"", 2)) < 0 || (r = escape(b, v, strlen(v), true)) < 0) {
		return r;
	}
	return sbuf_addc(b, '"');
}

static int
put_date(struct sbuf *b, const char *name, int64_t ms)
{
	char d[32];

	if (format_date(ms, d) < 0) {
		return -EINVAL;
	}
	return put_attr(b, name, d);
}

static int
put_prop(struct sbuf *b, const char *indent, const char *type, const char *lang, const char *v)
{
	int r;

	if ((r = write_raw(b, indent)) < 0 || (r = write_raw(b, "<prop")) < 0 ||
	    (r = put_attr(b, "type", type)) < 0 ||
	    (lang != NULL && (r = put_attr(b, "xml:lang", lang)) < 0) ||
	    (r = sbuf_addc(b, '>')) < 0 || (r = escape(b, v, strlen(v), false)) < 0) {
		return r;
	}
	return write_raw(b, "</prop>\n");
}

static int
put_note(struct sbuf *b, const char *indent, const char *v)
{
	int r;

	if ((r = write_raw(b, indent)) < 0 || (r = write_raw(b, "<note>")) < 0 ||
	    (r = escape(b, v, strlen(v), false)) < 0) {
		return r;
	}
	return write_raw(b, "</note>\n");
}

/* Checks every string of the unit before anything is written. */
static int
check_unit(struct mnemo_tmx_writer *w, const Mnemo__Unit *u, struct mnemo_formats_error *ret_err)
{
	static const char *const fields[] = {"origin", "created_by", "changed_by", "project",
					     "domain", "context"};
	const char *const values[] = {u->origin,  u->created_by, u->changed_by,
				      u->project, u->domain,     u->context};
	size_t i;
	int r;

	for (i = 0; i < 6; i++) {
		if ((r = check_str(values[i], fields[i], NULL, ret_err)) < 0) {
			return r;
		}
	}
	for (i = 0; i < u->n_meta; i++) {
		if (u->meta[i]->key[0] == '\0') {
			werr(ret_err, -EINVAL, "meta: an empty key");
			return -EINVAL;
		}
		if ((r = check_str(u->meta[i]->key, "meta key", NULL, ret_err)) < 0 ||
		    (r = check_str(u->meta[i]->value, "meta", u->meta[i]->key, ret_err)) < 0) {
			return r;
		}
	}
	for (i = 0; i < u->n_prev + u->n_next; i++) {
		bool is_prev = i < u->n_prev;
		const char *key = is_prev ? u->prev[i]->key : u->next[i - u->n_prev]->key;
		const char *value = is_prev ? u->prev[i]->value : u->next[i - u->n_prev]->value;
		const char *canon;

		if (lang_canon(&w->lc, key, &canon) < 0) {
			werr(ret_err, -EINVAL, "%s: \"%s\" is not a language tag",
			     is_prev ? "prev" : "next", key);
			return -EINVAL;
		}
		if ((r = check_str(value, is_prev ? "prev" : "next", key, ret_err)) < 0) {
			return r;
		}
	}
	return 0;
}

static int
put_context_props(struct mnemo_tmx_writer *w, const Mnemo__Unit *u, size_t n_vars,
		  const char *lang, const char *indent)
{
	struct sbuf *b = &w->out;
	size_t i;
	int r;

	for (i = 0; i < u->n_prev + u->n_next; i++) {
		bool is_prev = i < u->n_prev;
		const char *key = is_prev ? u->prev[i]->key : u->next[i - u->n_prev]->key;
		const char *value = is_prev ? u->prev[i]->value : u->next[i - u->n_prev]->value;
		const char *type = is_prev ? "x-context-prev" : "x-context-next";
		const char *canon;

		if (lang_canon(&w->lc, key, &canon) < 0) {
			return -EINVAL; /* checked already */
		}
		if (lang != NULL) {
			if (strcmp(canon, lang) == 0 && (r = put_prop(b, indent, type, NULL, value)) < 0) {
				return r;
			}
			continue;
		}
		/* <tu> level: languages without a written variant, unless left out */
		if (written_var(w, n_vars, canon, strlen(canon)) != NULL ||
		    !lang_wanted(w, canon)) {
			continue;
		}
		{
			char lang_copy[MNEMO_FORMATS_LANG_MAX];

			snprintf(lang_copy, sizeof(lang_copy), "%s", canon);
			if ((r = put_prop(b, indent, type, lang_copy, value)) < 0) {
				return r;
			}
		}
	}
	return 0;
}

/* "lang:type" meta written as a prop of lang's <tuv> reads back the same; these would not. */
static bool
is_tuv_meta(const char *type)
{
	return type[0] != '\0' && strcmp(type, "x-context-prev") != 0 &&
	       strcmp(type, "x-context-next") != 0;
}

static int
put_tu(struct mnemo_tmx_writer *w, const Mnemo__Unit *u, size_t n_vars)
{
	struct sbuf *b = &w->out;
	const char *tuid = NULL, *src = NULL;
	char id[24], src_canon[MNEMO_FORMATS_LANG_MAX];
	size_t i, k;
	int r;

	for (i = 0; i < u->n_meta; i++) {
		if (strcmp(u->meta[i]->key, "tuid") == 0) {
			tuid = u->meta[i]->value;
		} else if (strcmp(u->meta[i]->key, "srclang") == 0 &&
			   canon_or_all(&w->lc, u->meta[i]->value, src_canon) == 0 &&
			   strcmp(src_canon, u->meta[i]->value) == 0) {
			src = u->meta[i]->value;
		}
	}
	if (tuid == NULL && u->id != 0) {
		snprintf(id, sizeof(id), "%" PRIu64, u->id);
		tuid = id;
	}
	if ((r = write_raw(b, "    <tu")) < 0 || (tuid != NULL && (r = put_attr(b, "tuid", tuid)) < 0) ||
	    (src != NULL && (r = put_attr(b, "srclang", src)) < 0) ||
	    (u->created_at != 0 && (r = put_date(b, "creationdate", u->created_at)) < 0) ||
	    (u->created_by != NULL && u->created_by[0] != '\0' &&
	     (r = put_attr(b, "creationid", u->created_by)) < 0) ||
	    (u->changed_at != 0 && (r = put_date(b, "changedate", u->changed_at)) < 0) ||
	    (u->changed_by != NULL && u->changed_by[0] != '\0' &&
	     (r = put_attr(b, "changeid", u->changed_by)) < 0)) {
		return r;
	}
	if (u->usage_count != 0) {
		snprintf(id, sizeof(id), "%" PRIu32, u->usage_count);
		if ((r = put_attr(b, "usagecount", id)) < 0) {
			return r;
		}
	}
	if ((u->used_at != 0 && (r = put_date(b, "lastusagedate", u->used_at)) < 0) ||
	    (r = write_raw(b, ">\n")) < 0) {
		return r;
	}
	{
		static const char *const types[] = {"x-origin", "x-project", "x-domain", "x-context"};
		const char *const vals[] = {u->origin, u->project, u->domain, u->context};

		for (i = 0; i < 4; i++) {
			if (vals[i] != NULL && vals[i][0] != '\0' &&
			    (r = put_prop(b, "      ", types[i], NULL, vals[i])) < 0) {
				return r;
			}
		}
	}
	if ((r = put_context_props(w, u, n_vars, NULL, "      ")) < 0) {
		return r;
	}
	for (i = 0; i < u->n_meta; i++) {
		const char *key = u->meta[i]->key, *colon = strchr(key, ':');

		if (strcmp(key, "tuid") == 0 || strcmp(key, "note") == 0 ||
		    (strcmp(key, "srclang") == 0 && src != NULL)) {
			continue;
		}
		if (colon != NULL) {
			size_t n = (size_t)(colon - key);

			if (written_var(w, n_vars, key, n) != NULL && is_tuv_meta(colon + 1)) {
				continue; /* inside its <tuv> */
			}
			if (var_left_out(w, n_vars, key, n)) {
				continue;
			}
		}
		if ((r = put_prop(b, "      ", key, NULL, u->meta[i]->value)) < 0) {
			return r;
		}
	}
	for (i = 0; i < u->n_meta; i++) {
		if (strcmp(u->meta[i]->key, "note") == 0 &&
		    (r = put_note(b, "      ", u->meta[i]->value)) < 0) {
			return r;
		}
	}
	for (k = 0; k < n_vars; k++) {
		const struct wvar *v = &w->vars[k];
		size_t lang_len = strlen(v->lang);

		if (!v->written) {
			continue;
		}
		if ((r = write_raw(b, "      <tuv")) < 0 || (r = put_attr(b, "xml:lang", v->lang)) < 0 ||
		    (r = write_raw(b, ">\n")) < 0 ||
		    (r = put_context_props(w, u, n_vars, v->lang, "        ")) < 0) {
			return r;
		}
		for (i = 0; i < u->n_meta; i++) {
			const char *key = u->meta[i]->key;

			if (strncmp(key, v->lang, lang_len) != 0 || key[lang_len] != ':' ||
			    !is_tuv_meta(key + lang_len + 1)) {
				continue;
			}
			if (strcmp(key + lang_len + 1, "note") == 0) {
				r = put_note(b, "        ", u->meta[i]->value);
			} else {
				r = put_prop(b, "        ", key + lang_len + 1, NULL,
					     u->meta[i]->value);
			}
			if (r < 0) {
				return r;
			}
		}
		if ((r = write_raw(b, "        <seg>")) < 0) {
			return r;
		}
		if (v->markup != NULL) {
			r = write_raw(b, v->markup);
		} else {
			r = escape(b, v->text, strlen(v->text), false);
		}
		if (r < 0 || (r = write_raw(b, "</seg>\n      </tuv>\n")) < 0) {
			return r;
		}
	}
	return write_raw(b, "    </tu>\n");
}

int
mnemo_tmx_write_unit(struct mnemo_tmx_writer *w, const Mnemo__Unit *u,
		     struct mnemo_formats_error *ret_err)
{
	size_t i, k, n_written = 0;
	const char *canon;
	int r;

	assert(w != NULL && u != NULL);
	if (u->n_variants > w->cap_vars) {
		struct wvar *v = reallocarray(w->vars, u->n_variants, sizeof(*v));

		if (v == NULL) {
			return -ENOMEM;
		}
		w->vars = v;
		w->cap_vars = u->n_variants;
	}
	/* The variants, srclang's first, checked. */
	for (i = 0; i < u->n_variants; i++) {
		struct wvar *v = &w->vars[i];
		size_t off = 0;

		v->key = u->variants[i]->key;
		v->text = u->variants[i]->value;
		v->markup = NULL;
		if (lang_canon(&w->lc, v->key, &canon) < 0) {
			werr(ret_err, -EINVAL, "variants: \"%s\" is not a language tag", v->key);
			return -EINVAL;
		}
		snprintf(v->lang, sizeof(v->lang), "%s", canon);
		for (k = 0; k < i; k++) {
			if (strcmp(w->vars[k].lang, v->lang) == 0) {
				werr(ret_err, -EINVAL, "variants: %s and %s are one language", w->vars[k].key,
				     v->key);
				return -EINVAL;
			}
		}
		if (xml_chars(v->text, strlen(v->text), &off) < 0) {
			werr(ret_err, -EILSEQ,
			     "variants[%s]: invalid UTF-8 or a character XML cannot carry at byte %zu",
			     v->key, off);
			return -EILSEQ;
		}
		v->written = v->text[0] != '\0' && lang_wanted(w, v->lang);
		n_written += v->written;
	}
	if (n_written < 2) {
		return 0;
	}
	for (i = 0; i < u->n_markup; i++) {
		for (k = 0; k < u->n_variants; k++) {
			if (strcmp(u->markup[i]->key, w->vars[k].key) == 0) {
				break;
			}
		}
		if (k == u->n_variants) {
			werr(ret_err, -EINVAL, "markup[%s]: no variant in that language",
			     u->markup[i]->key);
			return -EINVAL;
		}
		if (!w->vars[k].written) {
			continue;
		}
		w->vars[k].markup = u->markup[i]->value;
		if ((r = check_str(w->vars[k].markup, "markup", w->vars[k].key, ret_err)) < 0 ||
		    (r = check_markup(w, &w->vars[k], ret_err)) < 0) {
			return r;
		}
	}
	if ((r = check_unit(w, u, ret_err)) < 0) {
		return r;
	}
	/* srclang's variant first */
	for (i = 1; i < u->n_variants; i++) {
		if (strcmp(w->vars[i].lang, w->srclang) == 0) {
			struct wvar t = w->vars[i];

			memmove(&w->vars[1], &w->vars[0], i * sizeof(t));
			w->vars[0] = t;
			break;
		}
	}
	sbuf_clear(&w->out);
	r = put_tu(w, u, u->n_variants);
	if (r == -EINVAL) {
		werr(ret_err, r, "a date outside the years 0-9999");
		return r;
	}
	if (r < 0) {
		werr(ret_err, r, "%s", strerror(-r));
		return r;
	}
	if (fwrite(w->out.p, 1, w->out.len, w->f) != w->out.len) {
		werr(ret_err, -EIO, "write error");
		return -EIO;
	}
	return 1;
}

int
mnemo_tmx_write_end(struct mnemo_tmx_writer *w)
{
	int r = 0;

	if (w == NULL) {
		return 0;
	}
	if (fputs("  </body>\n</tmx>\n", w->f) < 0 || fflush(w->f) != 0 || ferror(w->f)) {
		r = -EIO;
	}
	markup_check_fini(&w->check);
	sbuf_fini(&w->out);
	free(w->vars);
	free(w->langs);
	free(w);
	return r;
}
