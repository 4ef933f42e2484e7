/* The segmentation gold set: parsing and scoring (gold.h). */
#include "gold.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* U+205E VERTICAL FOUR DOTS, the boundary marker. */
#define MARK "\xe2\x81\x9e"
#define MARK_LEN 3

/* Decodes the code point at s[*i] (s[0..len) is valid UTF-8, checked by the parser or by
 * jansson) and moves *i past it. A stray byte is returned as itself. */
static int32_t
next_cp(const char *s, size_t len, size_t *i)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t k = *i;
	int32_t c = p[k];
	size_t more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;

	if (more == 0 || k + more >= len) {
		*i = k + 1;
		return c;
	}
	c &= 0x3f >> more;
	for (size_t j = 1; j <= more; j++) {
		c = (c << 6) | (p[k + j] & 0x3f);
	}
	*i = k + 1 + more;
	return c;
}

/* The offset of the code point ending at s[i] (i > 0). */
static size_t
prev_start(const char *s, size_t i)
{
	const uint8_t *p = (const uint8_t *)s;

	do {
		i--;
	} while (i > 0 && (p[i] & 0xc0) == 0x80);
	return i;
}

static bool
is_ws(int32_t c)
{
	if (c < 0x80) {
		return c == ' ' || (c >= '\t' && c <= '\r');
	}
	return c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200b) ||
	       c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000 ||
	       c == 0xfeff;
}

/* The first non-space offset in s[i..end), or end. */
static size_t
skip_ws(const char *s, size_t i, size_t end)
{
	while (i < end) {
		size_t k = i;

		if (!is_ws(next_cp(s, end, &k))) {
			break;
		}
		i = k;
	}
	return i;
}

/* The offset after the last non-space character of s[start..i), or start. */
static size_t
trim_back(const char *s, size_t start, size_t i)
{
	while (i > start) {
		size_t k = prev_start(s, i), j = k;

		if (!is_ws(next_cp(s, i, &j))) {
			break;
		}
		i = k;
	}
	return i;
}

/* Checks UTF-8 well-formedness (no overlongs, surrogates, or code points past U+10FFFF)
 * and the absence of NUL; returns the offset of the first bad byte, or len. */
static size_t
check_utf8(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0;

	while (i < len) {
		uint8_t b = p[i];
		size_t more;
		uint32_t c, min;

		if (b == 0) {
			return i;
		}
		if (b < 0x80) {
			i++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf) {
			more = 1, c = b & 0x1f, min = 0x80;
		} else if (b >= 0xe0 && b <= 0xef) {
			more = 2, c = b & 0x0f, min = 0x800;
		} else if (b >= 0xf0 && b <= 0xf4) {
			more = 3, c = b & 0x07, min = 0x10000;
		} else {
			return i;
		}
		if (len - i <= more) {
			return i;
		}
		for (size_t j = 1; j <= more; j++) {
			if ((p[i + j] & 0xc0) != 0x80) {
				return i;
			}
			c = (c << 6) | (p[i + j] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
			return i;
		}
		i += more + 1;
	}
	return len;
}

/* Makes room for need elements of size bytes in *v. */
static int
grow(void *v, size_t *cap, size_t need, size_t size)
{
	void **pv = v;
	size_t n = *cap ? *cap : 16;
	void *nv;

	if (need <= *cap) {
		return 0;
	}
	while (n < need) {
		n *= 2;
	}
	nv = realloc(*pv, n * size);
	if (nv == NULL) {
		return -ENOMEM;
	}
	*pv = nv;
	*cap = n;
	return 0;
}

/* clang-format off */
static const char *const kind_names[GOLD_KIND_COUNT] = {
	[GOLD_KIND_NONE] = "none",
	[GOLD_KIND_SENTENCE] = "sentence",
	[GOLD_KIND_HEADING] = "heading",
	[GOLD_KIND_BOILERPLATE] = "boilerplate",
	[GOLD_KIND_FOREIGN] = "foreign",
};
/* clang-format on */

const char *
gold_kind_name(enum gold_kind kind)
{
	return kind >= 0 && kind < GOLD_KIND_COUNT ? kind_names[kind] : "none";
}

enum gold_kind
gold_kind_parse(const char *s, size_t len)
{
	for (int k = GOLD_KIND_SENTENCE; k < GOLD_KIND_COUNT; k++) {
		size_t n = strlen(kind_names[k]);

		if (len == n && memcmp(s, kind_names[k], n) == 0) {
			return (enum gold_kind)k;
		}
	}
	if (len > 8 && memcmp(s, "foreign:", 8) == 0) {
		return GOLD_KIND_FOREIGN;
	}
	return GOLD_KIND_NONE;
}

/* Parsing. */

struct parser {
	const char *prefix;
	struct gold_set *set;
	char *err;
	size_t err_size;
	unsigned lineno;
	size_t *category_cases; /* parallel to set->categories */
	size_t category_cap;
	size_t case_cap;
	size_t warning_cap;
	int category;   /* index of the current one, -1 before the first "@ name" */
	size_t n_plain; /* cases outside articles so far, for their ids */

	/* the case being built */
	char *text;
	size_t text_len;
	size_t text_cap;
	uint32_t *bounds;
	size_t n_bounds;
	size_t bounds_cap;
	struct gold_para *paras;
	size_t n_paras;
	size_t paras_cap;
	size_t *marks; /* of the current line, as offsets into text */
	size_t n_marks;
	size_t marks_cap;

	bool in_article;
	char *article_id;
	unsigned article_line;
};

static int __attribute__((format(printf, 2, 3)))
syntax_error(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->err_size, "line %u: ", p->lineno);

	if (n >= 0 && (size_t)n < p->err_size) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->err_size - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int __attribute__((format(printf, 3, 4)))
warn(struct parser *p, unsigned lineno, const char *fmt, ...)
{
	struct gold_set *set = p->set;
	char msg[512];
	va_list ap;
	int n;

	n = snprintf(msg, sizeof(msg), "%s.gold:%u: ", p->prefix, lineno);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	if (grow(&set->warnings, &p->warning_cap, set->n_warnings + 1, sizeof(char *)) < 0) {
		return -ENOMEM;
	}
	set->warnings[set->n_warnings] = strdup(msg);
	if (set->warnings[set->n_warnings] == NULL) {
		return -ENOMEM;
	}
	set->n_warnings++;
	return 0;
}

static int
add_category(struct parser *p, const char *name, size_t len)
{
	struct gold_set *set = p->set;
	size_t i;

	for (i = 0; i < set->n_categories; i++) {
		if (strlen(set->categories[i]) == len &&
		    memcmp(set->categories[i], name, len) == 0) {
			return (int)i;
		}
	}
	if (grow(&set->categories, &p->category_cap, i + 1, sizeof(char *)) < 0) {
		return -ENOMEM;
	}
	/* category_cases follows the same capacity */
	{
		size_t *nc = realloc(p->category_cases, p->category_cap * sizeof(size_t));

		if (nc == NULL) {
			return -ENOMEM;
		}
		p->category_cases = nc;
	}
	set->categories[i] = strndup(name, len);
	if (set->categories[i] == NULL) {
		return -ENOMEM;
	}
	p->category_cases[i] = 0;
	set->n_categories++;
	return (int)i;
}

/* Appends one line (its tag removed) to the case being built: the text without markers,
 * its paragraph, its boundaries. */
static int
add_line(struct parser *p, const char *s, size_t n, enum gold_kind kind, const char *lang)
{
	size_t base, end, ps, pe, i;
	int r;

	if (grow(&p->text, &p->text_cap, p->text_len + n + 2, 1) < 0) {
		return -ENOMEM;
	}
	base = p->text_len;
	p->n_marks = 0;
	for (i = 0; i < n;) {
		if (n - i >= MARK_LEN && memcmp(s + i, MARK, MARK_LEN) == 0) {
			if (grow(&p->marks, &p->marks_cap, p->n_marks + 1, sizeof(size_t)) < 0) {
				return -ENOMEM;
			}
			p->marks[p->n_marks++] = p->text_len;
			i += MARK_LEN;
			continue;
		}
		p->text[p->text_len++] = s[i++];
	}
	end = p->text_len;
	p->text[end] = '\0';
	ps = skip_ws(p->text, base, end);
	pe = trim_back(p->text, ps, end);
	if (ps == end) {
		if (kind != GOLD_KIND_SENTENCE) {
			return warn(p, p->lineno, "a kind tag on a blank line");
		}
		if (p->n_marks > 0) {
			return warn(p, p->lineno, "a marker on a blank line");
		}
		return 0;
	}
	if (end > UINT32_MAX) {
		return syntax_error(p, "case longer than 4 GiB");
	}
	if (grow(&p->paras, &p->paras_cap, p->n_paras + 1, sizeof(*p->paras)) < 0) {
		return -ENOMEM;
	}
	p->paras[p->n_paras].start = (uint32_t)ps;
	p->paras[p->n_paras].end = (uint32_t)pe;
	p->paras[p->n_paras].kind = kind;
	snprintf(p->paras[p->n_paras].lang, GOLD_LANG_MAX, "%s", lang ? lang : "");
	p->n_paras++;
	for (i = 0; i < p->n_marks; i++) {
		size_t m = p->marks[i], b = skip_ws(p->text, m, end);

		if (b >= pe) {
			r = warn(p, p->lineno, "a marker at the end of a paragraph");
		} else if (m <= ps) {
			r = warn(p, p->lineno, "a marker at the start of a paragraph");
		} else if (p->n_bounds > 0 && p->bounds[p->n_bounds - 1] == b) {
			r = warn(p, p->lineno, "two markers for one boundary");
		} else {
			size_t k = prev_start(p->text, m), j = k;

			r = 0;
			if (is_ws(next_cp(p->text, m, &j))) {
				r = warn(p, p->lineno,
				         "white space before a marker (it goes right after the "
				         "sentence's last character)");
			}
			if (r == 0) {
				if (grow(&p->bounds, &p->bounds_cap, p->n_bounds + 1,
				         sizeof(uint32_t)) < 0) {
					return -ENOMEM;
				}
				p->bounds[p->n_bounds++] = (uint32_t)b;
			}
		}
		if (r < 0) {
			return r;
		}
	}
	return 0;
}

/* Moves the case being built into the set. */
static int
finish_case(struct parser *p, char *id, unsigned lineno)
{
	struct gold_set *set = p->set;
	struct gold_case *c;

	if (grow(&set->cases, &p->case_cap, set->n_cases + 1, sizeof(*set->cases)) < 0) {
		free(id);
		return -ENOMEM;
	}
	c = &set->cases[set->n_cases++];
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->category = set->categories[p->category];
	c->line = lineno;
	c->is_article = p->in_article;
	c->text = p->text;
	c->len = p->text_len;
	c->bounds = p->bounds;
	c->n_bounds = p->n_bounds;
	c->paras = p->paras;
	c->n_paras = p->n_paras;
	p->category_cases[p->category]++;
	p->text = NULL;
	p->text_len = p->text_cap = 0;
	p->bounds = NULL;
	p->n_bounds = p->bounds_cap = 0;
	p->paras = NULL;
	p->n_paras = p->paras_cap = 0;
	if (c->text == NULL) {
		c->text = strdup("");
		if (c->text == NULL) {
			return -ENOMEM;
		}
	}
	if (c->n_paras == 0) {
		return warn(p, lineno, "a case without text");
	}
	return 0;
}

static bool
is_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

/* A directive: "@ category", "@@ article name", "@@ end". */
static int
directive(struct parser *p, const char *s, size_t n)
{
	size_t i, k;

	if (n >= 2 && s[1] == '@') {
		i = 2;
		while (i < n && (s[i] == ' ' || s[i] == '\t')) {
			i++;
		}
		if (n - i == 3 && memcmp(s + i, "end", 3) == 0) {
			if (!p->in_article) {
				return syntax_error(p, "\"@@ end\" outside an article");
			}
			{
				int r = finish_case(p, p->article_id, p->article_line);

				p->article_id = NULL;
				p->in_article = false;
				return r;
			}
		}
		if (n - i > 8 && memcmp(s + i, "article ", 8) == 0) {
			int cat;

			if (p->in_article) {
				return syntax_error(p,
				                    "an article inside an article (no \"@@ end\")");
			}
			i += 8;
			while (i < n && s[i] == ' ') {
				i++;
			}
			for (k = i; k < n && is_name_char(s[k]); k++) {
			}
			if (k == i || k != n) {
				return syntax_error(p, "an article name is [a-z0-9_-]+");
			}
			cat = add_category(p, "article", 7);
			if (cat < 0) {
				return cat;
			}
			p->category = cat;
			if (asprintf(&p->article_id, "%s-article-%.*s", p->prefix, (int)(k - i),
			             s + i) < 0) {
				p->article_id = NULL;
				return -ENOMEM;
			}
			for (size_t c = 0; c < p->set->n_cases; c++) {
				if (strcmp(p->set->cases[c].id, p->article_id) == 0) {
					return syntax_error(p, "a second article named %.*s",
					                    (int)(k - i), s + i);
				}
			}
			p->in_article = true;
			p->article_line = p->lineno;
			return 0;
		}
		return syntax_error(p, "unknown directive %.*s", (int)n, s);
	}
	if (p->in_article) {
		return syntax_error(p, "a category inside an article (no \"@@ end\")");
	}
	i = 1;
	while (i < n && (s[i] == ' ' || s[i] == '\t')) {
		i++;
	}
	while (n > i && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
		n--;
	}
	for (k = i; k < n && is_name_char(s[k]); k++) {
	}
	if (k == i || k != n) {
		return syntax_error(p, "a category name is [a-z0-9_-]+");
	}
	if (n - i == 7 && memcmp(s + i, "article", 7) == 0) {
		return syntax_error(p, "articles are written \"@@ article NAME\"");
	}
	p->category = add_category(p, s + i, n - i);
	return p->category < 0 ? p->category : 0;
}

/* Splits a kind tag off the start of an article line. */
static int
parse_tag(struct parser *p, const char **s, size_t *n, enum gold_kind *kind, char *lang)
{
	const char *close;
	size_t len;

	*kind = GOLD_KIND_SENTENCE;
	lang[0] = '\0';
	if (*n == 0 || (*s)[0] != '{') {
		return 0;
	}
	close = memchr(*s, '}', *n);
	if (close == NULL) {
		return syntax_error(p, "an unclosed kind tag");
	}
	len = (size_t)(close - *s) - 1;
	*kind = gold_kind_parse(*s + 1, len);
	if (*kind == GOLD_KIND_NONE || *kind == GOLD_KIND_SENTENCE) {
		return syntax_error(p, "unknown kind tag %.*s", (int)len + 2, *s);
	}
	if (*kind == GOLD_KIND_FOREIGN) {
		size_t ll = len > 8 ? len - 8 : 0;

		if (ll == 0 || ll >= GOLD_LANG_MAX) {
			return syntax_error(p, "a foreign tag names its language: {foreign:en}");
		}
		for (size_t i = 0; i < ll; i++) {
			char ch = (*s)[9 + i];

			if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			      (ch >= '0' && ch <= '9') || ch == '-')) {
				return syntax_error(p, "a bad language tag in %.*s", (int)len + 2,
				                    *s);
			}
		}
		memcpy(lang, *s + 9, ll);
		lang[ll] = '\0';
	}
	*s += len + 2;
	*n -= len + 2;
	return 0;
}

static int
parse_line(struct parser *p, const char *s, size_t n)
{
	enum gold_kind kind;
	char lang[GOLD_LANG_MAX];
	char *id;
	int r;

	if (n > 0 && s[n - 1] == '\r') {
		n--;
	}
	if (n >= 2 && s[0] == '@' && s[1] == '@') {
		return directive(p, s, n);
	}
	if (p->in_article) {
		r = parse_tag(p, &s, &n, &kind, lang);
		if (r < 0) {
			return r;
		}
		/* the lines of an article are joined by LF */
		if (p->lineno > p->article_line + 1) {
			if (grow(&p->text, &p->text_cap, p->text_len + 2, 1) < 0) {
				return -ENOMEM;
			}
			p->text[p->text_len++] = '\n';
		}
		return add_line(p, s, n, kind, lang);
	}
	if (skip_ws(s, 0, n) == n || s[0] == '#') {
		return 0;
	}
	if (s[0] == '@') {
		return directive(p, s, n);
	}
	if (p->category < 0) {
		return syntax_error(p, "a case before the first \"@ category\"");
	}
	if (n > 0 && s[0] == '{') {
		const char *t = s;
		size_t tn = n;

		/* a tag here is most likely a misplaced one, but it is the case's text */
		if (parse_tag(p, &t, &tn, &kind, lang) == 0 && kind != GOLD_KIND_SENTENCE) {
			r = warn(p, p->lineno, "a kind tag outside an article");
			if (r < 0) {
				return r;
			}
		}
		p->err[0] = '\0';
	}
	r = add_line(p, s, n, GOLD_KIND_SENTENCE, NULL);
	if (r < 0) {
		return r;
	}
	p->n_plain++;
	if (asprintf(&id, "%s-%04zu", p->prefix, p->n_plain) < 0) {
		return -ENOMEM;
	}
	return finish_case(p, id, p->lineno);
}

void
gold_fini(struct gold_set *set)
{
	if (set == NULL) {
		return;
	}
	for (size_t i = 0; i < set->n_cases; i++) {
		free(set->cases[i].id);
		free(set->cases[i].text);
		free(set->cases[i].bounds);
		free(set->cases[i].paras);
	}
	free(set->cases);
	for (size_t i = 0; i < set->n_categories; i++) {
		free(set->categories[i]);
	}
	free(set->categories);
	for (size_t i = 0; i < set->n_warnings; i++) {
		free(set->warnings[i]);
	}
	free(set->warnings);
	free(set->prefix);
	memset(set, 0, sizeof(*set));
}

int
gold_parse(const char *prefix, const char *buf, size_t len, struct gold_set *ret, char *err,
           size_t err_size)
{
	struct gold_set set = {0};
	char dummy[1];
	struct parser p = {
	        .prefix = prefix,
	        .set = &set,
	        .err = err_size > 0 ? err : dummy,
	        .err_size = err_size > 0 ? err_size : sizeof(dummy),
	        .category = -1,
	};
	size_t bad, i = 0;
	int r = 0;

	p.err[0] = '\0';
	set.prefix = strdup(prefix);
	if (set.prefix == NULL) {
		return -ENOMEM;
	}
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		i = 3;
	}
	bad = check_utf8(buf, len);
	if (bad < len) {
		p.lineno = 1;
		for (size_t k = 0; k < bad; k++) {
			p.lineno += buf[k] == '\n';
		}
		r = syntax_error(&p, "invalid UTF-8 or NUL at byte %zu", bad);
		goto out;
	}
	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (buf + i)) : len - i;

		p.lineno++;
		r = parse_line(&p, buf + i, n);
		if (r < 0) {
			goto out;
		}
		i += n + 1;
	}
	if (p.in_article) {
		p.lineno = p.article_line;
		r = syntax_error(&p, "an article without \"@@ end\"");
		goto out;
	}
	for (size_t c = 0; c < set.n_categories; c++) {
		if (p.category_cases[c] == 0) {
			r = warn(&p, p.lineno, "category %s has no case", set.categories[c]);
			if (r < 0) {
				goto out;
			}
		}
	}
out:
	free(p.text);
	free(p.bounds);
	free(p.paras);
	free(p.marks);
	free(p.article_id);
	free(p.category_cases);
	if (r < 0) {
		if (r == -ENOMEM && p.err[0] == '\0') {
			snprintf(p.err, p.err_size, "out of memory");
		}
		gold_fini(&set);
		return r;
	}
	*ret = set;
	return 0;
}

int
gold_load(const char *path, struct gold_set *ret, char *err, size_t err_size)
{
	const char *base = strrchr(path, '/');
	char *prefix, *buf = NULL, *dot;
	size_t len = 0, cap = 0;
	FILE *f;
	int r;

	base = base ? base + 1 : path;
	prefix = strdup(base);
	if (prefix == NULL) {
		return -ENOMEM;
	}
	dot = strstr(prefix, ".gold");
	if (dot != NULL && dot[5] == '\0') {
		*dot = '\0';
	}
	f = fopen(path, "rb");
	if (f == NULL) {
		r = -errno;
		snprintf(err, err_size, "%s", strerror(errno));
		free(prefix);
		return r;
	}
	for (;;) {
		size_t got;

		if (grow(&buf, &cap, len + 65536, 1) < 0) {
			r = -ENOMEM;
			goto out;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0) {
			break;
		}
	}
	if (ferror(f)) {
		r = -EIO;
		snprintf(err, err_size, "read error");
		goto out;
	}
	r = gold_parse(prefix, buf, len, ret, err, err_size);
out:
	fclose(f);
	free(buf);
	free(prefix);
	return r;
}

const struct gold_case *
gold_find(const struct gold_set *set, const char *id)
{
	for (size_t i = 0; i < set->n_cases; i++) {
		if (strcmp(set->cases[i].id, id) == 0) {
			return &set->cases[i];
		}
	}
	return NULL;
}

int
gold_category_index(const struct gold_set *set, const char *category)
{
	for (size_t i = 0; i < set->n_categories; i++) {
		if (set->categories[i] == category || strcmp(set->categories[i], category) == 0) {
			return (int)i;
		}
	}
	return -1;
}

size_t
gold_category_cases(const struct gold_set *set, const char *category)
{
	size_t n = 0;

	for (size_t i = 0; i < set->n_cases; i++) {
		n += strcmp(set->cases[i].category, category) == 0;
	}
	return n;
}

/* Locating predicted segments. */

/* s[0..len) without its white space, with where each kept byte came from (map may be
 * NULL). */
static size_t
squeeze(const char *s, size_t len, char *out, uint32_t *map)
{
	size_t i = 0, n = 0;

	while (i < len) {
		size_t k = i;

		if (is_ws(next_cp(s, len, &k))) {
			i = k;
			continue;
		}
		for (; i < k; i++) {
			if (map != NULL) {
				map[n] = (uint32_t)i;
			}
			out[n++] = s[i];
		}
	}
	return n;
}

int
gold_locate(const struct gold_case *c, const char *const *segs, const size_t *seg_lens, size_t n,
            uint32_t *ret_starts, size_t *ret_lost)
{
	char *hay = malloc(c->len + 1), *needle = NULL;
	uint32_t *map = malloc((c->len + 1) * sizeof(uint32_t));
	size_t hay_len, cursor = 0, lost = 0, needle_cap = 0;
	int r = 0;

	if (hay == NULL || map == NULL) {
		r = -ENOMEM;
		goto out;
	}
	hay_len = squeeze(c->text, c->len, hay, map);
	for (size_t i = 0; i < n; i++) {
		size_t m;
		const char *at;

		ret_starts[i] = UINT32_MAX;
		if (grow(&needle, &needle_cap, seg_lens[i] + 1, 1) < 0) {
			r = -ENOMEM;
			goto out;
		}
		m = squeeze(segs[i], seg_lens[i], needle, NULL);
		if (m == 0) {
			continue;
		}
		if (hay_len - cursor >= m && memcmp(hay + cursor, needle, m) == 0) {
			at = hay + cursor;
		} else {
			at = memmem(hay + cursor, hay_len - cursor, needle, m);
		}
		if (at == NULL) {
			lost++;
			continue;
		}
		ret_starts[i] = map[at - hay];
		cursor = (size_t)(at - hay) + m;
	}
	*ret_lost = lost;
out:
	free(hay);
	free(map);
	free(needle);
	return r;
}

/* Scoring. */

int
gold_score_init(struct gold_score *sc, const struct gold_set *set)
{
	*sc = (struct gold_score){.set = set};
	sc->by_category =
	        calloc(set->n_categories ? set->n_categories : 1, sizeof(*sc->by_category));
	return sc->by_category ? 0 : -ENOMEM;
}

void
gold_score_fini(struct gold_score *sc)
{
	if (sc == NULL) {
		return;
	}
	free(sc->by_category);
	memset(sc, 0, sizeof(*sc));
}

struct pred {
	uint32_t start;
	enum gold_kind kind;
};

static int
cmp_pred(const void *a, const void *b)
{
	const struct pred *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Index of the first element of v[0..n) that is >= x. */
static size_t
lower_bound(const uint32_t *v, size_t n, uint32_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] < x) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

static bool
contains(const uint32_t *v, size_t n, uint32_t x)
{
	size_t i = lower_bound(v, n, x);

	return i < n && v[i] == x;
}

/* The paragraph holding offset x, or -1. */
static long
para_of(const struct gold_case *c, uint32_t x)
{
	size_t lo = 0, hi = c->n_paras;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->paras[mid].end <= x) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo < c->n_paras && c->paras[lo].start <= x ? (long)lo : -1;
}

static void
add_counts(struct gold_counts *to, const struct gold_case_result *r, bool missing)
{
	to->cases++;
	to->missing += missing;
	to->gold += r->gold;
	to->predicted += r->predicted;
	to->correct += r->correct;
	to->sentences += r->sentences;
	to->exact += r->exact;
}

/* The predicted kind of each paragraph of c: the kind shared by the segments starting in
 * it, NONE if they differ or none does. pv[0..np) is sorted by start. */
static void
paragraph_kinds(const struct gold_case *c, const struct pred *pv, size_t np,
                enum gold_kind *para_kind)
{
	for (size_t k = 0, i = 0; k < c->n_paras; k++) {
		bool any = false;
		enum gold_kind kind = GOLD_KIND_NONE;

		for (; i < np && pv[i].start < c->paras[k].end; i++) {
			if (pv[i].start < c->paras[k].start) {
				continue;
			}
			if (!any) {
				kind = pv[i].kind;
				any = true;
			} else if (kind != pv[i].kind) {
				kind = GOLD_KIND_NONE;
			}
		}
		para_kind[k] = kind;
	}
}

static int
score(struct gold_score *sc, const struct gold_case *c, const uint32_t *starts,
      const enum gold_kind *kinds, size_t n, struct gold_case_result *ret, bool missing)
{
	struct gold_case_result res = {.gold = c->n_bounds};
	struct pred *pv = malloc((n ? n : 1) * sizeof(*pv));
	uint32_t *bv = malloc((n ? n : 1) * sizeof(*bv));
	enum gold_kind *para_kind = NULL;
	size_t np = 0, nb = 0;
	int cat;

	if (pv == NULL || bv == NULL) {
		free(pv);
		free(bv);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (starts[i] < c->len) {
			pv[np++] = (struct pred){starts[i], kinds ? kinds[i] : GOLD_KIND_NONE};
		}
	}
	qsort(pv, np, sizeof(*pv), cmp_pred);
	/* the predicted boundaries: segment starts that are not paragraph starts */
	for (size_t i = 0; i < np; i++) {
		long k = para_of(c, pv[i].start);

		if (k < 0 || c->paras[k].start == pv[i].start) {
			continue;
		}
		if (nb > 0 && bv[nb - 1] == pv[i].start) {
			continue;
		}
		bv[nb++] = pv[i].start;
	}
	res.predicted = nb;
	for (size_t i = 0; i < c->n_bounds; i++) {
		res.correct += contains(bv, nb, c->bounds[i]);
	}
	/* gold sentences, paragraph by paragraph */
	for (size_t k = 0, g = 0; k < c->n_paras; k++) {
		const struct gold_para *pa = &c->paras[k];
		uint32_t s = pa->start;

		for (;;) {
			bool s_ok, e_ok;
			uint32_t e;

			while (g < c->n_bounds && c->bounds[g] <= s) {
				g++;
			}
			e = g < c->n_bounds && c->bounds[g] < pa->end ? c->bounds[g] : pa->end;
			s_ok = s == pa->start || contains(bv, nb, s);
			e_ok = e == pa->end || contains(bv, nb, e);
			res.sentences++;
			/* predicted boundaries strictly inside (s, e) */
			if (s_ok && e_ok &&
			    lower_bound(bv, nb, e) == lower_bound(bv, nb, s) + (s != pa->start)) {
				res.exact++;
			}
			if (e == pa->end) {
				break;
			}
			s = e;
		}
	}
	/* kinds of article paragraphs */
	if (kinds != NULL) {
		sc->has_kinds = true;
	}
	if (c->is_article && (kinds != NULL || missing)) {
		para_kind = calloc(c->n_paras ? c->n_paras : 1, sizeof(*para_kind));
		if (para_kind == NULL) {
			free(pv);
			free(bv);
			return -ENOMEM;
		}
		paragraph_kinds(c, pv, np, para_kind);
		for (size_t k = 0; k < c->n_paras; k++) {
			for (int t = GOLD_KIND_HEADING; t < GOLD_KIND_COUNT; t++) {
				bool g = c->paras[k].kind == (enum gold_kind)t;
				bool pr = para_kind[k] == (enum gold_kind)t;

				sc->kinds[t].gold += g;
				sc->kinds[t].predicted += pr;
				sc->kinds[t].correct += g && pr;
			}
		}
	}
	cat = gold_category_index(sc->set, c->category);
	if (cat >= 0) {
		add_counts(&sc->by_category[cat], &res, missing);
	}
	add_counts(&sc->overall, &res, missing);
	if (ret != NULL) {
		*ret = res;
	}
	free(para_kind);
	free(pv);
	free(bv);
	return 0;
}

int
gold_score_case(struct gold_score *sc, const struct gold_case *c, const uint32_t *starts,
                const enum gold_kind *kinds, size_t n, struct gold_case_result *ret)
{
	return score(sc, c, starts, kinds, n, ret, false);
}

void
gold_score_missing(struct gold_score *sc, const struct gold_case *c)
{
	/* with no prediction there is nothing to allocate for */
	(void)score(sc, c, NULL, NULL, 0, NULL, true);
}

static double
ratio(size_t num, size_t den, double if_empty)
{
	return den == 0 ? if_empty : (double)num / (double)den;
}

double
gold_precision(const struct gold_counts *c)
{
	return ratio(c->correct, c->predicted, 1.0);
}

double
gold_recall(const struct gold_counts *c)
{
	return ratio(c->correct, c->gold, 1.0);
}

double
gold_f1(const struct gold_counts *c)
{
	double p = gold_precision(c), r = gold_recall(c);

	return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

double
gold_exact_rate(const struct gold_counts *c)
{
	return ratio(c->exact, c->sentences, 1.0);
}

double
gold_kind_precision(const struct gold_kind_counts *k)
{
	return ratio(k->correct, k->predicted, 1.0);
}

double
gold_kind_recall(const struct gold_kind_counts *k)
{
	return ratio(k->correct, k->gold, 1.0);
}

static void
print_row(FILE *f, const char *label, const struct gold_counts *c)
{
	fprintf(f, "%-15s %6zu %6zu %6zu %6zu  %6.3f %6.3f %6.3f %6.3f\n", label, c->cases, c->gold,
	        c->predicted, c->correct, gold_precision(c), gold_recall(c), gold_f1(c),
	        gold_exact_rate(c));
}

void
gold_print_table(FILE *f, const struct gold_score *sc, const char *name, bool with_kinds)
{
	const struct gold_set *set = sc->set;

	fprintf(f, "%s on %s.gold\n", name, set->prefix);
	fprintf(f, "%-15s %6s %6s %6s %6s  %6s %6s %6s %6s\n", "category", "cases", "gold", "pred",
	        "right", "P", "R", "F1", "exact");
	for (size_t i = 0; i < set->n_categories; i++) {
		print_row(f, set->categories[i], &sc->by_category[i]);
	}
	print_row(f, "overall", &sc->overall);
	if (sc->overall.missing > 0) {
		fprintf(f, "(%zu of %zu cases had no prediction: no boundary found)\n",
		        sc->overall.missing, sc->overall.cases);
	}
	if (sc->has_kinds || with_kinds) {
		fprintf(f, "%-15s %6s %6s %6s %6s  %6s %6s\n", "article paras", "", "gold", "pred",
		        "right", "P", "R");
		for (int t = GOLD_KIND_HEADING; t < GOLD_KIND_COUNT; t++) {
			const struct gold_kind_counts *k = &sc->kinds[t];

			fprintf(f, "%-15s %6s %6zu %6zu %6zu  %6.3f %6.3f\n", kind_names[t], "",
			        k->gold, k->predicted, k->correct, gold_kind_precision(k),
			        gold_kind_recall(k));
		}
	}
}

void
gold_print_diff(FILE *f, const struct gold_case *c, const uint32_t *starts, size_t n)
{
	/* each boundary's marker goes where its sentence ends, as in the gold format */
	struct mark {
		size_t at;
		const char *s;
	} *mv = malloc((n + c->n_bounds + 1) * sizeof(*mv));
	uint32_t *bv = malloc((n ? n : 1) * sizeof(*bv));
	size_t nm = 0, nb = 0, m = 0;

	if (mv == NULL || bv == NULL) {
		free(mv);
		free(bv);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		long k = starts[i] < c->len ? para_of(c, starts[i]) : -1;

		if (k >= 0 && c->paras[k].start != starts[i]) {
			bv[nb++] = starts[i];
		}
	}
	/* insertion sort: n is small */
	for (size_t i = 1; i < nb; i++) {
		for (size_t j = i; j > 0 && bv[j - 1] > bv[j]; j--) {
			uint32_t t = bv[j];

			bv[j] = bv[j - 1];
			bv[j - 1] = t;
		}
	}
	for (size_t i = 0, g = 0; i < nb || g < c->n_bounds;) {
		uint32_t b;
		const char *s;

		if (g < c->n_bounds && (i >= nb || c->bounds[g] <= bv[i])) {
			b = c->bounds[g];
			s = i < nb && bv[i] == b ? "\xe2\x81\x9e" : "[-]";
			if (i < nb && bv[i] == b) {
				i++;
			}
			g++;
		} else {
			b = bv[i++];
			s = "[+]";
		}
		if (nm > 0 && mv[nm - 1].at == trim_back(c->text, 0, b)) {
			continue; /* a duplicate */
		}
		mv[nm++] = (struct mark){trim_back(c->text, 0, b), s};
	}
	fprintf(f, "%s: ", c->id);
	for (size_t i = 0; i <= c->len; i++) {
		while (m < nm && mv[m].at == i) {
			fputs(mv[m++].s, f);
		}
		if (i == c->len) {
			break;
		}
		if (c->text[i] == '\n') {
			fputs(" \xc2\xb6 ", f);
		} else {
			fputc(c->text[i], f);
		}
	}
	fputc('\n', f);
	free(mv);
	free(bv);
}

void
gold_print_kind_errors(FILE *f, const struct gold_case *c, const uint32_t *starts,
                       const enum gold_kind *kinds, size_t n)
{
	struct pred *pv = malloc((n ? n : 1) * sizeof(*pv));
	enum gold_kind *para_kind = calloc(c->n_paras ? c->n_paras : 1, sizeof(*para_kind));
	size_t np = 0;

	if (pv == NULL || para_kind == NULL || !c->is_article) {
		free(pv);
		free(para_kind);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (starts[i] < c->len) {
			pv[np++] = (struct pred){starts[i], kinds[i]};
		}
	}
	qsort(pv, np, sizeof(*pv), cmp_pred);
	paragraph_kinds(c, pv, np, para_kind);
	for (size_t k = 0; k < c->n_paras; k++) {
		const struct gold_para *pa = &c->paras[k];
		/* sentences are scored as boundaries, not kinds: only the tagged kinds count */
		bool g = pa->kind >= GOLD_KIND_HEADING, p = para_kind[k] >= GOLD_KIND_HEADING;

		if ((g || p) && pa->kind != para_kind[k]) {
			fprintf(f, "%s: %s, predicted %s: %.*s\n", c->id, kind_names[pa->kind],
			        gold_kind_name(para_kind[k]), (int)(pa->end - pa->start),
			        c->text + pa->start);
		}
	}
	free(pv);
	free(para_kind);
}
