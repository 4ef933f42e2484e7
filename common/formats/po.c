/* gettext .po files in, a line at a time: memory holds one line (at most
 * 4 * max_segment_bytes + 4 KiB: a string's escapes take up to 4 bytes per byte) and one
 * entry. The grammar is gettext's (PO files, "The Format of PO Files"):
 *
 *   white-space
 *   #  translator-comments
 *   #. extracted-comments
 *   #: reference...
 *   #, flag...
 *   #| msgid previous-untranslated-string
 *   msgctxt context
 *   msgid untranslated-string
 *   msgid_plural untranslated-string-plural
 *   msgstr translated-string   |   msgstr[N] translated-string-case-n
 *
 * Strings are "..." with C escapes, continued on the following lines by more "...". An entry
 * ends at a blank line, or where the next one starts (a comment or msgctxt/msgid after a
 * msgstr). "#~" lines are obsolete entries: read for their structure, then dropped. An
 * error spoils its entry only: with on_error letting it pass, the read goes on with the
 * next one. */
#include "formats-internal.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	READ_CHUNK = 64 << 10,
	MAX_FORM = 99, /* msgstr[N]: gettext languages have up to 6 forms */
};

enum field { F_NONE, F_CTXT, F_ID, F_ID_PLURAL, F_STR0, F_STR1, F_DROP };

struct po_entry {
	struct sbuf ctxt, id, id_plural, str[2];
	struct sbuf note, comment, reference, flags;
	bool any; /* anything seen */
	bool has_ctxt, has_id, has_plural, has_str;
	unsigned n_indexed; /* msgstr[N] seen: N = 0 .. n_indexed - 1 */
	size_t drop_len;    /* bytes of the msgstr[N >= 2] being read */
	uint64_t dropped;   /* non-empty msgstr[N >= 2] */
	bool fuzzy, obsolete, bad;
	enum field cur;
	unsigned long line; /* of msgid, else of the entry's first line */
};

struct po {
	struct fmt_reader fr;
	struct mnemo_formats_stats own_stats;
	struct gt gt;
	struct sbuf line;
	bool line_over;
	bool at_start; /* nothing read yet: a BOM may come */
	unsigned long line_no;
	size_t max_line;
	struct po_entry e;
};

static struct sbuf *
entry_bufs(struct po_entry *e, size_t i)
{
	struct sbuf *all[] = {&e->ctxt, &e->id,	  &e->id_plural, &e->str[0], &e->str[1],
			      &e->note, &e->comment, &e->reference, &e->flags};

	return i < sizeof(all) / sizeof(all[0]) ? all[i] : NULL;
}

static void
entry_reset(struct po_entry *e)
{
	struct sbuf *b;
	size_t i;

	for (i = 0; (b = entry_bufs(e, i)) != NULL; i++) {
		sbuf_clear(b);
	}
	e->any = e->has_ctxt = e->has_id = e->has_plural = e->has_str = false;
	e->n_indexed = 0;
	e->drop_len = 0;
	e->dropped = 0;
	e->fuzzy = e->obsolete = e->bad = false;
	e->cur = F_NONE;
	e->line = 0;
}

/* An error in the current entry, which is then skipped. Returns < 0 to stop. */
static int __attribute__((format(printf, 4, 5)))
entry_fail(struct po *po, int code, unsigned long col, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (po->e.bad) {
		return 0; /* one error per entry */
	}
	po->e.bad = true;
	if (po->e.obsolete) {
		return 0; /* dropped anyway */
	}
	va_start(ap, fmt);
	r = fr_verror(&po->fr, code, false, po->line_no, col, -1, fmt, ap);
	va_end(ap);
	return r;
}

static void
end_drop(struct po_entry *e)
{
	if (e->cur == F_DROP && e->drop_len > 0) {
		e->dropped++;
	}
	e->drop_len = 0;
}

static void
fill(struct gt_str *s, const struct sbuf *b)
{
	s->s = b->p != NULL ? b->p : "";
	s->len = b->len;
}

static int
finish_entry(struct po *po)
{
	struct po_entry *e = &po->e;
	struct mnemo_formats_stats *st = po->fr.stats;
	struct gt_entry ge;
	int r = 0;

	end_drop(e);
	if (!e->any) {
		return 0;
	}
	if (e->obsolete) {
		st->obsolete++;
	} else if (e->bad) {
		/* reported */
	} else if (!e->has_id) {
		/* comments only (at the end of the file): nothing to translate */
	} else if (!e->has_str) {
		r = fr_error(&po->fr, -EINVAL, false, e->line, 0, -1, "msgid without msgstr");
	} else if (e->has_plural && e->n_indexed == 0) {
		r = fr_error(&po->fr, -EINVAL, false, e->line, 0, -1,
			     "msgid_plural without msgstr[0]");
	} else {
		memset(&ge, 0, sizeof(ge));
		fill(&ge.ctxt, &e->ctxt);
		ge.has_ctxt = e->has_ctxt;
		fill(&ge.id, &e->id);
		fill(&ge.id_plural, &e->id_plural);
		ge.has_plural = e->has_plural;
		fill(&ge.str[0], &e->str[0]);
		fill(&ge.str[1], &e->str[1]);
		ge.n_str = e->has_plural ? (e->n_indexed < 2 ? e->n_indexed : 2) : 1;
		fill(&ge.note, &e->note);
		fill(&ge.comment, &e->comment);
		fill(&ge.reference, &e->reference);
		fill(&ge.flags, &e->flags);
		ge.line = e->line;
		ge.offset = -1;
		if (e->id.len == 0 && !e->has_ctxt) {
			r = gt_header(&po->gt, &ge); /* fuzzy or not */
		} else if (e->fuzzy) {
			st->fuzzy++;
		} else {
			st->plural_forms_dropped += e->dropped;
			r = gt_emit(&po->gt, &ge);
		}
	}
	entry_reset(e);
	return r < 0 ? r : 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

static struct sbuf *
cur_buf(struct po_entry *e)
{
	switch (e->cur) {
	case F_CTXT:
		return &e->ctxt;
	case F_ID:
		return &e->id;
	case F_ID_PLURAL:
		return &e->id_plural;
	case F_STR0:
		return &e->str[0];
	case F_STR1:
		return &e->str[1];
	default:
		return NULL;
	}
}

/* A "..." string at s[0..len) (s[0] is '"'), decoded and appended to the current field.
 * col is s's column. Returns < 0 to stop the read. */
static int
read_string(struct po *po, const char *s, size_t len, unsigned long col)
{
	struct po_entry *e = &po->e;
	struct sbuf *b = cur_buf(e);
	size_t i = 1, start;
	int r;

	assert(len > 0 && s[0] == '"');
	while (i < len && s[i] != '"') {
		char c = s[i], out;

		start = i;
		if (c != '\\') {
			/* a run of plain bytes */
			while (i < len && s[i] != '"' && s[i] != '\\') {
				i++;
			}
			if (e->cur == F_DROP) {
				e->drop_len += i - start;
			} else if (b != NULL && !e->bad) {
				if (i - start > po->fr.max_bytes - b->len) {
					return entry_fail(po, -EMSGSIZE, col,
							  "a string over %zu bytes",
							  po->fr.max_bytes);
				}
				if ((r = sbuf_add(b, s + start, i - start)) < 0) {
					return fr_error(&po->fr, r, true, po->line_no, 0, -1,
							"out of memory");
				}
			}
			continue;
		}
		if (++i >= len) {
			break;
		}
		c = s[i++];
		switch (c) {
		case 'n': out = '\n'; break;
		case 't': out = '\t'; break;
		case 'r': out = '\r'; break;
		case 'a': out = '\a'; break;
		case 'b': out = '\b'; break;
		case 'f': out = '\f'; break;
		case 'v': out = '\v'; break;
		case '\\': out = '\\'; break;
		case '"': out = '"'; break;
		case '\'': out = '\''; break;
		case '?': out = '?'; break;
		case 'x': {
			int v = 0, n = 0, h;

			while (i < len && n < 2 && (h = hexval(s[i])) >= 0) {
				v = v * 16 + h;
				i++;
				n++;
			}
			if (n == 0) {
				return entry_fail(po, -EINVAL, col + start, "\\x without hex digits");
			}
			out = (char)v;
			break;
		}
		default:
			if (c >= '0' && c <= '7') {
				int v = c - '0', n = 1;

				while (i < len && n < 3 && s[i] >= '0' && s[i] <= '7') {
					v = v * 8 + (s[i++] - '0');
					n++;
				}
				if (v > 0xff) {
					return entry_fail(po, -EINVAL, col + start,
							  "octal escape over \\377");
				}
				out = (char)v;
				break;
			}
			return entry_fail(po, -EINVAL, col + start, "unknown escape \\%c",
					  c >= 0x20 && c < 0x7f ? c : '?');
		}
		if (out == '\0') {
			return entry_fail(po, -EILSEQ, col + start,
					  "a NUL character (\\0): texts cannot hold one");
		}
		if (e->cur == F_DROP) {
			e->drop_len++;
		} else if (b != NULL && !e->bad) {
			if (b->len >= po->fr.max_bytes) {
				return entry_fail(po, -EMSGSIZE, col, "a string over %zu bytes",
						  po->fr.max_bytes);
			}
			if ((r = sbuf_addc(b, out)) < 0) {
				return fr_error(&po->fr, r, true, po->line_no, 0, -1, "out of memory");
			}
		}
	}
	if (i >= len) {
		return entry_fail(po, -EINVAL, col, "a string without its closing quote");
	}
	for (i++; i < len; i++) {
		if (s[i] != ' ' && s[i] != '\t') {
			return entry_fail(po, -EINVAL, col + i, "text after the closing quote");
		}
	}
	return 0;
}

/* A comment line's text joined to a field. */
static int
add_comment(struct po *po, struct sbuf *b, const char *s, size_t len, const char *sep)
{
	int r;

	if (po->e.bad || po->e.obsolete) {
		return 0;
	}
	if (b->len + len + 2 > po->fr.max_bytes) {
		return entry_fail(po, -EMSGSIZE, 1, "comments over %zu bytes", po->fr.max_bytes);
	}
	if ((b->len > 0 && (r = sbuf_add(b, sep, strlen(sep))) < 0) || (r = sbuf_add(b, s, len)) < 0) {
		return fr_error(&po->fr, r, true, po->line_no, 0, -1, "out of memory");
	}
	return 0;
}

static int
read_flags(struct po *po, const char *s, size_t len)
{
	struct po_entry *e = &po->e;
	size_t i = 0;
	int r;

	while (i < len) {
		size_t start, end;

		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == ',')) {
			i++;
		}
		start = i;
		while (i < len && s[i] != ',') {
			i++;
		}
		end = i;
		while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t')) {
			end--;
		}
		if (end == start) {
			continue;
		}
		if (end - start == 5 && memcmp(s + start, "fuzzy", 5) == 0) {
			e->fuzzy = true;
		} else if ((r = add_comment(po, &e->flags, s + start, end - start, ", ")) < 0) {
			return r;
		}
	}
	return 0;
}

static bool
keyword(const char *s, size_t len, const char *kw, size_t *ret_len)
{
	size_t n = strlen(kw);

	if (len < n || memcmp(s, kw, n) != 0) {
		return false;
	}
	if (len > n && s[n] != ' ' && s[n] != '\t' && s[n] != '"' && s[n] != '[') {
		return false;
	}
	*ret_len = n;
	return true;
}

/* A keyword line (msgctxt, msgid, msgid_plural, msgstr, msgstr[N]). */
static int
read_keyword(struct po *po, const char *s, size_t len, unsigned long col)
{
	struct po_entry *e = &po->e;
	size_t n = 0, i;
	int r;

	if (keyword(s, len, "msgctxt", &n) || keyword(s, len, "msgid", &n)) {
		bool is_ctxt = n == 7;

		if (e->has_str && (r = finish_entry(po)) < 0) {
			return r;
		}
		e->any = true;
		if (e->has_id || (is_ctxt && e->has_ctxt)) {
			return entry_fail(po, -EINVAL, col, "%s after %s, without msgstr",
					  is_ctxt ? "msgctxt" : "msgid",
					  e->has_id ? "msgid" : "msgctxt");
		}
		if (is_ctxt) {
			e->has_ctxt = true;
			e->cur = F_CTXT;
		} else {
			e->has_id = true;
			e->line = po->line_no;
			e->cur = F_ID;
		}
	} else if (keyword(s, len, "msgid_plural", &n)) {
		if (!e->has_id || e->has_str || e->has_plural) {
			return entry_fail(po, -EINVAL, col, "msgid_plural %s",
					  !e->has_id ? "without msgid" : "out of place");
		}
		e->has_plural = true;
		e->cur = F_ID_PLURAL;
	} else if (keyword(s, len, "msgstr", &n)) {
		end_drop(e);
		if (!e->has_id) {
			e->any = true;
			return entry_fail(po, -EINVAL, col, "msgstr without msgid");
		}
		if (n < len && s[n] == '[') {
			unsigned idx = 0;

			for (i = n + 1; i < len && s[i] >= '0' && s[i] <= '9' && idx <= MAX_FORM; i++) {
				idx = idx * 10 + (unsigned)(s[i] - '0');
			}
			if (i == n + 1 || i >= len || s[i] != ']' || idx > MAX_FORM) {
				return entry_fail(po, -EINVAL, col + n, "msgstr[N]: a bad index");
			}
			if (!e->has_plural) {
				return entry_fail(po, -EINVAL, col, "msgstr[%u] without msgid_plural",
						  idx);
			}
			if (idx != e->n_indexed) {
				return entry_fail(po, -EINVAL, col, "msgstr[%u] where msgstr[%u] was "
								    "expected",
						  idx, e->n_indexed);
			}
			e->n_indexed++;
			e->has_str = true;
			e->cur = idx == 0 ? F_STR0 : idx == 1 ? F_STR1 : F_DROP;
			n = i + 1;
		} else {
			if (e->has_plural) {
				return entry_fail(po, -EINVAL, col,
						  "msgstr after msgid_plural: msgstr[0] expected");
			}
			if (e->has_str) {
				return entry_fail(po, -EINVAL, col, "a second msgstr");
			}
			e->has_str = true;
			e->cur = F_STR0;
		}
	} else {
		e->any = true;
		return entry_fail(po, -EINVAL, col, "a line that is not .po syntax");
	}
	while (n < len && (s[n] == ' ' || s[n] == '\t')) {
		n++;
	}
	if (n >= len || s[n] != '"') {
		return entry_fail(po, -EINVAL, col + n, "a string (\"...\") expected");
	}
	return read_string(po, s + n, len - n, col + n);
}

static int
process_line(struct po *po, const char *s, size_t len)
{
	struct po_entry *e = &po->e;
	unsigned long col = 1;
	bool obsolete = false;
	int r;

	if (len > 0 && s[len - 1] == '\r') {
		len--;
	}
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
		col++;
	}
	if (len == 0) {
		return finish_entry(po);
	}
	if (len >= 2 && s[0] == '#' && s[1] == '~') {
		obsolete = true;
		s += 2;
		len -= 2;
		col += 2;
		if (len > 0 && s[0] == '|') {
			return 0; /* previous msgid of an obsolete entry */
		}
		while (len > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			len--;
			col++;
		}
		if (len == 0) {
			return 0;
		}
	}
	if (e->obsolete != obsolete && e->any && (e->has_id || e->has_ctxt)) {
		/* an obsolete entry right after a live one, or the reverse */
		if ((r = finish_entry(po)) < 0) {
			return r;
		}
	}
	if (obsolete) {
		e->obsolete = true;
		e->any = true;
	}
	if (s[0] == '#') {
		if (e->has_str && (r = finish_entry(po)) < 0) {
			return r;
		}
		e->any = true;
		if (e->has_id || e->has_ctxt) {
			return entry_fail(po, -EINVAL, col, "a comment inside an entry");
		}
		if (len >= 2 && s[1] == ',') {
			return read_flags(po, s + 2, len - 2);
		}
		if (len >= 2 && (s[1] == '.' || s[1] == ':')) {
			size_t k = 2;

			while (k < len && (s[k] == ' ' || s[k] == '\t')) {
				k++;
			}
			return add_comment(po, s[1] == '.' ? &e->note : &e->reference, s + k,
					   len - k, s[1] == '.' ? "\n" : " ");
		}
		if (len >= 2 && s[1] == '|') {
			return 0; /* the previous msgid of a fuzzy entry */
		}
		if (len >= 2 && s[1] != ' ' && s[1] != '\t') {
			return 0; /* "#=" and other marks gettext does not define */
		}
		return add_comment(po, &e->comment, s + (len >= 2 ? 2 : 1), len >= 2 ? len - 2 : 0,
				   "\n");
	}
	if (s[0] == '"') {
		e->any = true;
		if (e->cur == F_NONE) {
			return entry_fail(po, -EINVAL, col, "a string without a keyword before it");
		}
		return read_string(po, s, len, col);
	}
	return read_keyword(po, s, len, col);
}

static int
feed(struct po *po, const char *p, size_t len)
{
	int r;

	if (po->at_start && len > 0) {
		if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
			p += 3;
			len -= 3;
		}
		po->at_start = false;
	}
	while (len > 0 && po->fr.stopped == 0) {
		const char *nl = memchr(p, '\n', len);
		size_t n = nl != NULL ? (size_t)(nl - p) : len;

		if (!po->line_over && n > po->max_line - po->line.len) {
			po->line_over = true;
			sbuf_clear(&po->line);
			po->e.any = true;
			r = entry_fail(po, -EMSGSIZE, 0, "a line over %zu bytes", po->max_line);
			if (r < 0) {
				return r;
			}
		}
		if (!po->line_over && (r = sbuf_add(&po->line, p, n)) < 0) {
			return fr_error(&po->fr, r, true, po->line_no, 0, -1, "out of memory");
		}
		if (nl == NULL) {
			break;
		}
		if (!po->line_over) {
			r = process_line(po, po->line.p != NULL ? po->line.p : "", po->line.len);
			if (r < 0) {
				return r;
			}
		}
		po->line_over = false;
		sbuf_clear(&po->line);
		po->line_no++;
		p = nl + 1;
		len -= n + 1;
	}
	return po->fr.stopped;
}

static int
po_end(struct po *po)
{
	int r = po->fr.stopped;

	if (r == 0 && !po->line_over && po->line.len > 0) {
		r = process_line(po, po->line.p, po->line.len);
	}
	if (r == 0) {
		r = finish_entry(po);
	}
	return r < 0 ? r : po->fr.stopped;
}

static int
po_begin(struct po *po, const struct mnemo_formats_read_options *opt,
	 struct mnemo_formats_stats *stats)
{
	struct sbuf *b;
	size_t i;

	memset(po, 0, sizeof(*po));
	fr_init(&po->fr, opt, stats != NULL ? stats : &po->own_stats, "po");
	po->line.acct = &po->fr.acct;
	for (i = 0; (b = entry_bufs(&po->e, i)) != NULL; i++) {
		b->acct = &po->fr.acct;
	}
	po->line_no = 1;
	po->at_start = true;
	po->max_line = po->fr.max_bytes <= (SIZE_MAX - 4096) / 4 ? 4 * po->fr.max_bytes + 4096
								   : SIZE_MAX / 2;
	return gt_init(&po->gt, &po->fr, true);
}

static int
po_finish(struct po *po, int r, struct mnemo_formats_stats *ret_stats,
	  struct mnemo_formats_error *ret_err)
{
	struct sbuf *b;
	size_t i;

	if (r == 0) {
		r = po_end(po);
	}
	r = fr_result(&po->fr, r, ret_stats, ret_err);
	gt_fini(&po->gt);
	sbuf_fini(&po->line);
	for (i = 0; (b = entry_bufs(&po->e, i)) != NULL; i++) {
		sbuf_fini(b);
	}
	fr_fini(&po->fr);
	return r;
}

static int
feed_chunk(struct po *po, const char *p, size_t n)
{
	int r = feed(po, p, n);

	po->fr.stats->bytes += n;
	fr_progress(&po->fr);
	return r;
}

int
mnemo_po_read_mem(const void *data, size_t len, const struct mnemo_formats_read_options *opt,
		  struct mnemo_formats_stats *ret_stats, struct mnemo_formats_error *ret_err)
{
	struct po po;
	int r;

	assert(data != NULL || len == 0);
	r = po_begin(&po, opt, ret_stats);
	if (r == 0 && len > 0) {
		r = feed_chunk(&po, data, len);
	}
	return po_finish(&po, r, ret_stats, ret_err);
}

int
mnemo_po_read_file(FILE *f, const struct mnemo_formats_read_options *opt,
		   struct mnemo_formats_stats *ret_stats, struct mnemo_formats_error *ret_err)
{
	struct po po;
	char *buf = NULL;
	int r;

	r = po_begin(&po, opt, ret_stats);
	if (r == 0 && (buf = malloc(READ_CHUNK)) == NULL) {
		r = -ENOMEM;
	}
	while (r == 0) {
		size_t n = fread(buf, 1, READ_CHUNK, f);

		if (n > 0) {
			r = feed_chunk(&po, buf, n);
		}
		if (r == 0 && n < READ_CHUNK) {
			if (ferror(f)) {
				r = fr_error(&po.fr, -EIO, true, 0, 0, (int64_t)po.fr.stats->bytes,
					     "read error");
			}
			break;
		}
	}
	free(buf);
	return po_finish(&po, r, ret_stats, ret_err);
}
