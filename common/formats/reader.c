/* The plumbing every reader shares: counted buffers, error reports with their place, the
 * unit being built in the caller's arena, language tags; and the gettext half common to
 * .po and .mo: the header entry (Language, charset) and entries -> units. */
#include "formats-internal.h"
#include "text.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unicode/ucnv.h>
#include <unicode/ucnv_err.h>

/* ---- memory held by a reader ---- */

void
acct_add(struct acct *a, size_t n)
{
	if (a == NULL) {
		return;
	}
	a->now += n;
	if (a->now > a->peak) {
		a->peak = a->now;
	}
}

void
acct_sub(struct acct *a, size_t n)
{
	if (a == NULL) {
		return;
	}
	a->now = a->now >= n ? a->now - n : 0;
}

int
sbuf_reserve(struct sbuf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > SIZE_MAX - b->len - 1) {
		return -ENOMEM;
	}
	need = b->len + extra + 1;
	if (need <= b->cap) {
		return 0;
	}
	cap = b->cap != 0 ? b->cap : 256;
	while (cap < need) {
		cap = cap <= SIZE_MAX / 2 ? cap * 2 : need;
	}
	p = realloc(b->p, cap);
	if (p == NULL) {
		return -ENOMEM;
	}
	acct_add(b->acct, cap - b->cap);
	b->p = p;
	b->cap = cap;
	return 0;
}

int
sbuf_add(struct sbuf *b, const void *s, size_t n)
{
	int r = sbuf_reserve(b, n);

	if (r < 0) {
		return r;
	}
	if (n > 0) {
		memcpy(b->p + b->len, s, n);
	}
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
sbuf_addc(struct sbuf *b, char c)
{
	return sbuf_add(b, &c, 1);
}

void
sbuf_clear(struct sbuf *b)
{
	b->len = 0;
	if (b->p != NULL) {
		b->p[0] = '\0';
	}
}

void
sbuf_fini(struct sbuf *b)
{
	acct_sub(b->acct, b->cap);
	free(b->p);
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
}

/* ---- the unit being built ---- */

static const ProtobufCMessageDescriptor *const entry_desc[UB_N_MAPS] = {
	[UB_VARIANTS] = &mnemo__unit__variants_entry__descriptor,
	[UB_META] = &mnemo__unit__meta_entry__descriptor,
	[UB_MARKUP] = &mnemo__unit__markup_entry__descriptor,
	[UB_PREV] = &mnemo__unit__prev_entry__descriptor,
	[UB_NEXT] = &mnemo__unit__next_entry__descriptor,
};

/* The five map entry types are the same struct under different descriptors. */
typedef Mnemo__Unit__MetaEntry entry_t;
_Static_assert(sizeof(Mnemo__Unit__VariantsEntry) == sizeof(entry_t), "map entries differ");
_Static_assert(sizeof(Mnemo__Unit__MarkupEntry) == sizeof(entry_t), "map entries differ");
_Static_assert(sizeof(Mnemo__Unit__PrevEntry) == sizeof(entry_t), "map entries differ");
_Static_assert(sizeof(Mnemo__Unit__NextEntry) == sizeof(entry_t), "map entries differ");

static void *
arena_alloc(struct ub *ub, size_t n, int *ret_err)
{
	struct mnemo_arena *a = ub->arena;
	void *p = mnemo_arena_alloc(a, n);

	if (p == NULL) {
		/* The arena refuses what its limit would not hold: tell it from malloc failing. */
		*ret_err = a->limit_bytes != 0 && (n >= a->limit_bytes ||
						   a->used_bytes > a->limit_bytes - n)
				   ? -EMSGSIZE
				   : -ENOMEM;
	}
	return p;
}

int
ub_begin(struct ub *ub)
{
	int r = 0;
	size_t i;

	mnemo_arena_reset(ub->arena);
	for (i = 0; i < UB_N_MAPS; i++) {
		ub->maps[i].n = 0;
	}
	ub->n_items = 0;
	ub->u = arena_alloc(ub, sizeof(*ub->u), &r);
	if (ub->u == NULL) {
		return r;
	}
	mnemo__unit__init(ub->u);
	return 0;
}

char *
ub_strndup(struct ub *ub, const char *s, size_t n, int *ret_err)
{
	char *p;

	if (n == SIZE_MAX) {
		*ret_err = -EMSGSIZE;
		return NULL;
	}
	p = arena_alloc(ub, n + 1, ret_err);
	if (p != NULL) {
		if (n > 0) {
			memcpy(p, s, n);
		}
		p[n] = '\0';
	}
	return p;
}

const struct kv *
ub_get(const struct ub *ub, enum ub_map map, const char *key)
{
	const struct kvvec *m = &ub->maps[map];
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (strcmp(m->v[i].key, key) == 0) {
			return &m->v[i];
		}
	}
	return NULL;
}

int
ub_set(struct ub *ub, enum ub_map map, const char *key, const char *value, size_t len,
       enum ub_mode mode)
{
	struct kvvec *m = &ub->maps[map];
	struct kv *kv = (struct kv *)ub_get(ub, map, key);
	int r = 0;
	char *v;

	if (kv != NULL) {
		if (mode == UB_UNIQUE) {
			return -EEXIST;
		}
		if (mode == UB_JOIN) {
			if (len > SIZE_MAX - 3 - kv->value_len) {
				return -EMSGSIZE;
			}
			v = arena_alloc(ub, kv->value_len + 2 + len + 1, &r);
			if (v == NULL) {
				return r;
			}
			memcpy(v, kv->value, kv->value_len);
			memcpy(v + kv->value_len, "\n\n", 2);
			if (len > 0) {
				memcpy(v + kv->value_len + 2, value, len);
			}
			kv->value_len += 2 + len;
			v[kv->value_len] = '\0';
			kv->value = v;
			return 0;
		}
		v = ub_strndup(ub, value, len, &r);
		if (v == NULL) {
			return r;
		}
		kv->value = v;
		kv->value_len = len;
		return 0;
	}
	if (ub->n_items >= UB_MAX_ITEMS) {
		return -EMSGSIZE;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap != 0 ? 2 * m->cap : 8;
		struct kv *nv = reallocarray(m->v, cap, sizeof(*nv));

		if (nv == NULL) {
			return -ENOMEM;
		}
		acct_add(ub->acct, (cap - m->cap) * sizeof(*nv));
		m->v = nv;
		m->cap = cap;
	}
	kv = &m->v[m->n];
	kv->key = ub_strndup(ub, key, strlen(key), &r);
	kv->value = kv->key != NULL ? ub_strndup(ub, value, len, &r) : NULL;
	if (kv->value == NULL) {
		return r;
	}
	kv->value_len = len;
	m->n++;
	ub->n_items++;
	return 0;
}

int
ub_field(struct ub *ub, char **field, const char *value, size_t len)
{
	int r = 0;
	char *v = ub_strndup(ub, value, len, &r);

	if (v == NULL) {
		return r;
	}
	*field = v;
	return 0;
}

static int
build_map(struct ub *ub, enum ub_map map, size_t *ret_n, void ***ret_v)
{
	const struct kvvec *m = &ub->maps[map];
	entry_t **v, *e;
	size_t i;
	int r = 0;

	*ret_n = 0;
	*ret_v = NULL;
	if (m->n == 0) {
		return 0;
	}
	v = arena_alloc(ub, m->n * sizeof(*v), &r);
	e = v != NULL ? arena_alloc(ub, m->n * sizeof(*e), &r) : NULL;
	if (e == NULL) {
		return r;
	}
	for (i = 0; i < m->n; i++) {
		protobuf_c_message_init(entry_desc[map], &e[i]);
		e[i].key = m->v[i].key;
		e[i].value = m->v[i].value;
		v[i] = &e[i];
	}
	*ret_n = m->n;
	*ret_v = (void **)v;
	return 0;
}

int
ub_finish(struct ub *ub, Mnemo__Unit **ret)
{
	Mnemo__Unit *u = ub->u;
	int r;

	assert(u != NULL);
	r = build_map(ub, UB_VARIANTS, &u->n_variants, (void ***)&u->variants);
	if (r == 0) {
		r = build_map(ub, UB_META, &u->n_meta, (void ***)&u->meta);
	}
	if (r == 0) {
		r = build_map(ub, UB_MARKUP, &u->n_markup, (void ***)&u->markup);
	}
	if (r == 0) {
		r = build_map(ub, UB_PREV, &u->n_prev, (void ***)&u->prev);
	}
	if (r == 0) {
		r = build_map(ub, UB_NEXT, &u->n_next, (void ***)&u->next);
	}
	if (r < 0) {
		return r;
	}
	*ret = u;
	return 0;
}

void
ub_fini(struct ub *ub)
{
	size_t i;

	for (i = 0; i < UB_N_MAPS; i++) {
		acct_sub(ub->acct, ub->maps[i].cap * sizeof(struct kv));
		free(ub->maps[i].v);
		memset(&ub->maps[i], 0, sizeof(ub->maps[i]));
	}
	ub->u = NULL;
}

/* ---- readers ---- */

int
lang_canon(struct lang_cache *c, const char *raw, const char **ret)
{
	size_t len = strlen(raw);
	unsigned i, k;
	int r;

	if (len >= MNEMO_FORMATS_LANG_MAX) {
		return -EINVAL;
	}
	for (i = 0; i < 8; i++) {
		if (c->e[i].raw[0] != '\0' && strcmp(c->e[i].raw, raw) == 0) {
			*ret = c->e[i].canon;
			return 0;
		}
	}
	k = c->next++ % 8;
	r = mnemo_text_lang_canon(raw, c->e[k].canon, sizeof(c->e[k].canon));
	if (r < 0) {
		c->e[k].raw[0] = '\0';
		return -EINVAL;
	}
	memcpy(c->e[k].raw, raw, len + 1);
	*ret = c->e[k].canon;
	return 0;
}

void
fr_init(struct fmt_reader *fr, const struct mnemo_formats_read_options *opt,
	struct mnemo_formats_stats *stats, const char *default_name)
{
	assert(opt != NULL && opt->arena != NULL && stats != NULL);
	memset(fr, 0, sizeof(*fr));
	memset(stats, 0, sizeof(*stats));
	fr->opt = opt;
	fr->stats = stats;
	fr->name = opt->name != NULL ? opt->name : default_name;
	fr->max_bytes = opt->max_segment_bytes != 0 ? opt->max_segment_bytes
						    : MNEMO_FORMATS_MAX_SEGMENT_BYTES;
	fr->ub.arena = opt->arena;
	fr->ub.acct = &fr->acct;
	fr->err.offset = -1;
}

void
fr_fini(struct fmt_reader *fr)
{
	ub_fini(&fr->ub);
}

int
fr_verror(struct fmt_reader *fr, int code, bool fatal, unsigned long line, unsigned long column,
	  int64_t offset, const char *fmt, va_list ap)
{
	struct mnemo_formats_error e;
	int n, r;

	assert(code < 0);
	if (fr->stopped < 0) {
		return fr->stopped;
	}
	memset(&e, 0, sizeof(e));
	e.code = code;
	e.line = line;
	e.column = column;
	e.offset = offset;
	e.is_fatal = fatal;
	if (line > 0 && column > 0) {
		n = snprintf(e.message, sizeof(e.message), "%s:%lu:%lu: ", fr->name, line, column);
	} else if (line > 0) {
		n = snprintf(e.message, sizeof(e.message), "%s:%lu: ", fr->name, line);
	} else if (offset >= 0) {
		n = snprintf(e.message, sizeof(e.message), "%s: byte %lld: ", fr->name,
			     (long long)offset);
	} else {
		n = snprintf(e.message, sizeof(e.message), "%s: ", fr->name);
	}
	if (n >= 0 && (size_t)n < sizeof(e.message)) {
		vsnprintf(e.message + n, sizeof(e.message) - (size_t)n, fmt, ap);
	}
	fr->stats->errors++;
	r = -1;
	if (!fatal && fr->opt->on_error != NULL) {
		r = fr->opt->on_error(fr->opt->ctx, &e);
	}
	if (r < 0) {
		fr->err = e;
		fr->stopped = code;
		return code;
	}
	return 0;
}

int
fr_error(struct fmt_reader *fr, int code, bool fatal, unsigned long line, unsigned long column,
	 int64_t offset, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = fr_verror(fr, code, fatal, line, column, offset, fmt, ap);
	va_end(ap);
	return r;
}

void
fr_note_arena(struct fmt_reader *fr)
{
	if (fr->opt->arena->used_bytes > fr->stats->peak_arena_bytes) {
		fr->stats->peak_arena_bytes = fr->opt->arena->used_bytes;
	}
	if (fr->acct.peak > fr->stats->peak_buffer_bytes) {
		fr->stats->peak_buffer_bytes = fr->acct.peak;
	}
}

int
fr_deliver(struct fmt_reader *fr, Mnemo__Unit *u)
{
	int r = 0;

	fr_note_arena(fr);
	if (fr->opt->on_unit != NULL) {
		r = fr->opt->on_unit(fr->opt->ctx, u);
	}
	if (r < 0) {
		if (fr->stopped == 0) {
			memset(&fr->err, 0, sizeof(fr->err));
			fr->err.code = r;
			fr->err.offset = -1;
			fr->err.is_fatal = true;
			snprintf(fr->err.message, sizeof(fr->err.message),
				 "%s: stopped by the unit callback: %s", fr->name, strerror(-r));
			fr->stopped = r;
		}
		return r;
	}
	fr->stats->units++;
	return 0;
}

void
fr_progress(struct fmt_reader *fr)
{
	fr_note_arena(fr);
	if (fr->opt->on_progress != NULL) {
		fr->opt->on_progress(fr->opt->ctx, fr->stats->bytes);
	}
}

int
fr_result(struct fmt_reader *fr, int r, struct mnemo_formats_stats *ret_stats,
	  struct mnemo_formats_error *ret_err)
{
	fr_note_arena(fr);
	if (r == 0 && fr->stopped < 0) {
		r = fr->stopped;
	}
	if (ret_stats != NULL && ret_stats != fr->stats) {
		*ret_stats = *fr->stats;
	}
	if (r < 0 && ret_err != NULL) {
		*ret_err = fr->err;
		if (fr->stopped == 0) {
			/* Not reported through fr_error (ENOMEM on the way in...). */
			memset(ret_err, 0, sizeof(*ret_err));
			ret_err->code = r;
			ret_err->offset = -1;
			ret_err->is_fatal = true;
			snprintf(ret_err->message, sizeof(ret_err->message), "%s: %s", fr->name,
				 strerror(-r));
		}
	}
	return r;
}

const char *
quote(const char *s, size_t n, char *buf, size_t size)
{
	size_t i, o = 0;

	assert(size >= 8);
	for (i = 0; i < n && o + 6 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= 60) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o] = '\0';
	return buf;
}

/* ---- gettext ---- */

/* gettext's language names ("pt_BR", "sr@latin", "de_DE.UTF-8@euro") -> BCP 47. */
static int
gettext_lang(const char *name, size_t len, char *out, size_t out_size)
{
	static const struct {
		const char *modifier;
		const char *script;  /* inserted after the language */
		const char *variant; /* appended */
	} modifiers[] = {
		{"latin", "Latn", NULL},     {"cyrillic", "Cyrl", NULL}, {"devanagari", "Deva", NULL},
		{"arabic", "Arab", NULL},    {"euro", NULL, NULL},       {"valencia", NULL, "valencia"},
		{"saaho", NULL, "saaho"},
	};
	char base[MNEMO_FORMATS_LANG_MAX], tag[MNEMO_FORMATS_LANG_MAX * 2];
	const char *at, *dot, *mod = NULL;
	size_t base_len, lang_len, i;
	int n;

	while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t')) {
		len--;
	}
	while (len > 0 && (*name == ' ' || *name == '\t')) {
		name++;
		len--;
	}
	at = memchr(name, '@', len);
	base_len = at != NULL ? (size_t)(at - name) : len;
	dot = memchr(name, '.', base_len);
	if (dot != NULL) {
		base_len = (size_t)(dot - name); /* a charset: "fr_FR.UTF-8" */
	}
	if (base_len == 0 || base_len >= sizeof(base)) {
		return -EINVAL;
	}
	memcpy(base, name, base_len);
	base[base_len] = '\0';
	if (at != NULL) {
		size_t mlen = len - (size_t)(at + 1 - name);

		for (i = 0; i < sizeof(modifiers) / sizeof(modifiers[0]); i++) {
			if (strlen(modifiers[i].modifier) == mlen &&
			    strncasecmp(at + 1, modifiers[i].modifier, mlen) == 0) {
				mod = modifiers[i].modifier;
				break;
			}
		}
		if (mod == NULL) {
			return -EINVAL;
		}
	}
	lang_len = strcspn(base, "_-");
	if (mod != NULL && modifiers[i].script != NULL) {
		n = snprintf(tag, sizeof(tag), "%.*s-%s%s", (int)lang_len, base,
			     modifiers[i].script, base + lang_len);
	} else if (mod != NULL && modifiers[i].variant != NULL) {
		n = snprintf(tag, sizeof(tag), "%s-%s", base, modifiers[i].variant);
	} else {
		n = snprintf(tag, sizeof(tag), "%s", base);
	}
	if (n < 0 || (size_t)n >= sizeof(tag)) {
		return -EINVAL;
	}
	return mnemo_text_lang_canon(tag, out, out_size) < 0 ? -EINVAL : 0;
}

int
gt_init(struct gt *g, struct fmt_reader *fr, bool escaped)
{
	const struct mnemo_formats_read_options *opt = fr->opt;

	memset(g, 0, sizeof(*g));
	g->fr = fr;
	g->escaped = escaped;
	if (opt->source_lang == NULL) {
		return fr_error(fr, -EINVAL, true, 0, 0, -1,
				"no source language: give the msgid language (usually \"en\")");
	}
	if (gettext_lang(opt->source_lang, strlen(opt->source_lang), g->source,
			 sizeof(g->source)) < 0) {
		return fr_error(fr, -EINVAL, true, 0, 0, -1,
				"source language \"%s\" is not a language tag", opt->source_lang);
	}
	if (opt->target_lang != NULL) {
		if (gettext_lang(opt->target_lang, strlen(opt->target_lang), g->target,
				 sizeof(g->target)) < 0) {
			return fr_error(fr, -EINVAL, true, 0, 0, -1,
					"target language \"%s\" is not a language tag",
					opt->target_lang);
		}
		g->target_given = true;
	}
	memcpy(fr->stats->srclang, g->source, sizeof(g->source));
	memcpy(fr->stats->target_lang, g->target, sizeof(g->target));
	return 0;
}

void
gt_fini(struct gt *g)
{
	if (g->conv != NULL) {
		ucnv_close(g->conv);
		g->conv = NULL;
	}
}

/* Charsets whose multi-byte characters may contain the bytes of '\' and '"': a .po file in
 * one of them cannot be read byte by byte (gettext's own list, and aliases). */
static bool
escape_unsafe_charset(const char *cs)
{
	static const char *const unsafe[] = {"BIG5",  "BIG5-HKSCS", "GBK",     "GB18030",
					     "SHIFT_JIS", "SHIFT-JIS", "SJIS", "JOHAB",
					     "CP932", "CP936", "CP950", "WINDOWS-31J",
					     "MS932", "MS936", "MS950", "WINDOWS-936", "WINDOWS-950"};
	size_t i;

	for (i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++) {
		if (strcasecmp(cs, unsafe[i]) == 0) {
			return true;
		}
	}
	return false;
}

static int
header_charset(struct gt *g, const struct gt_entry *e, const char *cs, size_t len)
{
	struct fmt_reader *fr = g->fr;
	char name[64];
	UErrorCode st = U_ZERO_ERROR;
	UConverter *conv;

	while (len > 0 && (cs[len - 1] == ' ' || cs[len - 1] == '\t' || cs[len - 1] == ';')) {
		len--;
	}
	if (len == 0 || len >= sizeof(name)) {
		return fr_error(fr, -EINVAL, true, e->line, 0, e->offset,
				"the header's charset is %s", len == 0 ? "empty" : "too long");
	}
	memcpy(name, cs, len);
	name[len] = '\0';
	if (strcasecmp(name, "UTF-8") == 0 || strcasecmp(name, "UTF8") == 0 ||
	    strcasecmp(name, "CHARSET") == 0 || strcasecmp(name, "ASCII") == 0 ||
	    strcasecmp(name, "US-ASCII") == 0 || strcasecmp(name, "ANSI_X3.4-1968") == 0) {
		return 0; /* CHARSET: a template's placeholder, so ASCII */
	}
	if (g->escaped && escape_unsafe_charset(name)) {
		return fr_error(fr, -EILSEQ, true, e->line, 0, e->offset,
				"charset=%s: its characters may hold the bytes of '\\' and '\"', so "
				"the file cannot be read as .po; convert it to UTF-8 (msgconv -t "
				"UTF-8)",
				name);
	}
	conv = ucnv_open(name, &st);
	if (U_FAILURE(st) || conv == NULL) {
		return fr_error(fr, -EINVAL, true, e->line, 0, e->offset, "charset=%s is unknown",
				name);
	}
	st = U_ZERO_ERROR;
	ucnv_setToUCallBack(conv, UCNV_TO_U_CALLBACK_STOP, NULL, NULL, NULL, &st);
	if (g->conv != NULL) {
		ucnv_close(g->conv);
	}
	g->conv = conv;
	return 0;
}

int
gt_header(struct gt *g, const struct gt_entry *e)
{
	struct fmt_reader *fr = g->fr;
	const char *s = e->str[0].s, *end = s + e->str[0].len;
	int r;

	g->have_header = true;
	fr->stats->header++;
	while (s < end) {
		const char *eol = memchr(s, '\n', (size_t)(end - s));
		const char *colon;
		size_t len;

		if (eol == NULL) {
			eol = end;
		}
		len = (size_t)(eol - s);
		colon = memchr(s, ':', len);
		if (colon != NULL) {
			const char *v = colon + 1;
			size_t klen = (size_t)(colon - s), vlen = (size_t)(eol - v);

			while (vlen > 0 && (*v == ' ' || *v == '\t')) {
				v++;
				vlen--;
			}
			if (klen == 8 && strncasecmp(s, "Language", 8) == 0 && vlen > 0 &&
			    !g->target_given) {
				if (gettext_lang(v, vlen, g->target, sizeof(g->target)) < 0) {
					char q[80];

					g->target[0] = '\0';
					return fr_error(fr, -EINVAL, true, e->line, 0, e->offset,
							"the header's Language: \"%s\" is not a "
							"language tag; give the target language",
							quote(v, vlen, q, sizeof(q)));
				}
				memcpy(fr->stats->target_lang, g->target, sizeof(g->target));
			} else if (klen == 12 && strncasecmp(s, "Content-Type", 12) == 0) {
				const char *cs = NULL;
				size_t i;

				for (i = 0; i + 8 <= vlen; i++) {
					if (strncasecmp(v + i, "charset=", 8) == 0) {
						cs = v + i + 8;
						break;
					}
				}
				if (cs != NULL) {
					r = header_charset(g, e, cs, vlen - (size_t)(cs - v));
					if (r < 0) {
						return r;
					}
				}
			}
		}
		s = eol + 1;
	}
	return 0;
}

/* The entry's string in UTF-8 into the arena, checked. */
static int
gt_text(struct gt *g, const struct gt_entry *e, const struct gt_str *in, const char *what,
	char **ret, size_t *ret_len)
{
	struct fmt_reader *fr = g->fr;
	size_t bad = 0;
	char *out;
	int r = 0;

	if (in->len > fr->max_bytes) {
		return fr_error(fr, -EMSGSIZE, false, e->line, 0, e->offset,
				"%s is %zu bytes, over the limit of %zu", what, in->len,
				fr->max_bytes);
	}
	if (g->conv != NULL && in->len > 0) {
		UErrorCode st = U_ZERO_ERROR;
		int32_t n;

		if (in->len > INT32_MAX / 4) {
			return fr_error(fr, -EMSGSIZE, false, e->line, 0, e->offset,
					"%s is too long", what);
		}
		n = ucnv_toAlgorithmic(UCNV_UTF8, g->conv, NULL, 0, in->s, (int32_t)in->len, &st);
		if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st)) {
			return fr_error(fr, -EILSEQ, false, e->line, 0, e->offset,
					"%s holds bytes that are not %s", what,
					ucnv_getName(g->conv, &st));
		}
		out = arena_alloc(&fr->ub, (size_t)n + 1, &r); /* filled below */
		if (out == NULL) {
			return fr_error(fr, r, false, e->line, 0, e->offset,
					"%s does not fit in the arena", what);
		}
		st = U_ZERO_ERROR;
		ucnv_toAlgorithmic(UCNV_UTF8, g->conv, out, n + 1, in->s, (int32_t)in->len, &st);
		if (U_FAILURE(st)) {
			return fr_error(fr, -EILSEQ, false, e->line, 0, e->offset,
					"%s holds bytes that are not %s", what,
					ucnv_getName(g->conv, &st));
		}
		out[n] = '\0';
		*ret_len = (size_t)n;
	} else {
		out = ub_strndup(&fr->ub, in->s, in->len, &r);
		if (out == NULL) {
			return fr_error(fr, r, false, e->line, 0, e->offset,
					"%s does not fit in the arena", what);
		}
		*ret_len = in->len;
	}
	if (mnemo_text_check_utf8(out, *ret_len, &bad) < 0) {
		return fr_error(fr, -EILSEQ, false, e->line, 0, e->offset,
				"%s is not valid UTF-8 (byte %zu of it%s)", what, bad,
				out[bad] == '\0' ? ": a NUL" : "");
	}
	*ret = out;
	return 1;
}

static int
gt_meta(struct gt *g, const struct gt_entry *e, const struct gt_str *in, const char *key)
{
	char *v = NULL;
	size_t len = 0;
	int r;

	if (in->len == 0) {
		return 1;
	}
	r = gt_text(g, e, in, key, &v, &len);
	if (r <= 0) {
		return r;
	}
	r = ub_set(&g->fr->ub, UB_META, key, v, len, UB_REPLACE);
	if (r < 0) {
		return fr_error(g->fr, r, false, e->line, 0, e->offset, "%s: %s", key,
				strerror(-r));
	}
	return 1;
}

/* One unit: form 0 (msgid -> msgstr or msgstr[0]) or form 1 (msgid_plural -> msgstr[1]).
 * Returns 1 when delivered, 0 when skipped (error let pass), < 0 to stop. */
static int
gt_unit(struct gt *g, const struct gt_entry *e, unsigned form)
{
	struct fmt_reader *fr = g->fr;
	struct ub *ub = &fr->ub;
	const struct gt_str *src = form == 0 ? &e->id : &e->id_plural;
	char *s, *t;
	size_t slen, tlen;
	Mnemo__Unit *u;
	int r;

	r = ub_begin(ub);
	if (r < 0) {
		return fr_error(fr, r, true, e->line, 0, e->offset, "%s", strerror(-r));
	}
	r = gt_text(g, e, src, form == 0 ? "msgid" : "msgid_plural", &s, &slen);
	if (r <= 0) {
		return r;
	}
	r = gt_text(g, e, &e->str[form], form == 0 && !e->has_plural ? "msgstr"
				  : form == 0				 ? "msgstr[0]"
									 : "msgstr[1]",
		    &t, &tlen);
	if (r <= 0) {
		return r;
	}
	if (slen == 0 || tlen == 0) {
		/* empty once converted (a charset's shift sequence alone): nothing to translate */
		fr->stats->untranslated++;
		return 0;
	}
	r = ub_set(ub, UB_VARIANTS, g->source, s, slen, UB_UNIQUE);
	if (r == 0) {
		r = ub_set(ub, UB_VARIANTS, g->target, t, tlen, UB_UNIQUE);
	}
	if (r == 0 && e->has_ctxt) {
		char *c;
		size_t clen;

		r = gt_text(g, e, &e->ctxt, "msgctxt", &c, &clen);
		if (r <= 0) {
			return r;
		}
		ub->u->context = c;
		r = 0;
	}
	if (r == 0 && fr->opt->origin != NULL) {
		r = ub_field(ub, &ub->u->origin, fr->opt->origin, strlen(fr->opt->origin));
	}
	if (r == 0 && e->has_plural) {
		r = ub_set(ub, UB_META, "x-plural-form", form == 0 ? "0" : "1", 1, UB_REPLACE);
	}
	if (r < 0) {
		return fr_error(fr, r, false, e->line, 0, e->offset, "%s", strerror(-r));
	}
	if ((r = gt_meta(g, e, &e->note, "note")) <= 0 ||
	    (r = gt_meta(g, e, &e->comment, "x-comment")) <= 0 ||
	    (r = gt_meta(g, e, &e->reference, "x-reference")) <= 0 ||
	    (r = gt_meta(g, e, &e->flags, "x-flags")) <= 0) {
		return r;
	}
	r = ub_finish(ub, &u);
	if (r < 0) {
		return fr_error(fr, r, false, e->line, 0, e->offset, "%s", strerror(-r));
	}
	r = fr_deliver(fr, u);
	return r < 0 ? r : 1;
}

static size_t
src_len(const struct gt_entry *e, unsigned form)
{
	return form == 0 ? e->id.len : e->id_plural.len;
}

int
gt_emit(struct gt *g, const struct gt_entry *e)
{
	struct fmt_reader *fr = g->fr;
	unsigned form, n_forms = e->has_plural ? 2 : 1;
	int r;

	if (g->target[0] == '\0') {
		return fr_error(fr, -EINVAL, true, e->line, 0, e->offset,
				"no target language: %s, and none was given",
				g->have_header ? "the header has no Language:"
					       : "the file has no header entry (msgid \"\") before "
						 "this one");
	}
	if (strcmp(g->source, g->target) == 0) {
		return fr_error(fr, -EINVAL, true, e->line, 0, e->offset,
				"the source and target languages are both %s", g->source);
	}
	for (form = 0; form < n_forms; form++) {
		if (form >= e->n_str || e->str[form].len == 0) {
			fr->stats->untranslated++;
			continue;
		}
		if (src_len(e, form) == 0) {
			r = fr_error(fr, -EINVAL, false, e->line, 0, e->offset, "an empty %s",
				     form == 0 ? "msgid" : "msgid_plural");
			if (r < 0) {
				return r;
			}
			continue;
		}
		r = gt_unit(g, e, form);
		if (r < 0) {
			return r;
		}
	}
	return 0;
}
