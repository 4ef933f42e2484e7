/* What tmx.c, po.c and mo.c share (reader.c): buffers that count their bytes, error
 * reports, the unit being built in the caller's arena, language tags, and the gettext
 * half common to .po and .mo (header, charset, entries -> units). Not installed. */
#pragma once

#include "formats.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- memory held by a reader ---- */

struct acct {
	size_t now;
	size_t peak;
};

void acct_add(struct acct *a, size_t n);
void acct_sub(struct acct *a, size_t n);

/* A growable byte buffer, NUL-terminated once anything was added. */
struct sbuf {
	char *p;
	size_t len;
	size_t cap;
	struct acct *acct; /* may be NULL */
};

int sbuf_reserve(struct sbuf *b, size_t extra);
int sbuf_add(struct sbuf *b, const void *s, size_t n);
int sbuf_addc(struct sbuf *b, char c);
void sbuf_clear(struct sbuf *b);
void sbuf_fini(struct sbuf *b);

/* ---- the unit being built ---- */

enum ub_map { UB_VARIANTS, UB_META, UB_MARKUP, UB_PREV, UB_NEXT, UB_N_MAPS };

enum ub_mode {
	UB_REPLACE, /* a second value for a key replaces the first */
	UB_JOIN,    /* ... is appended after a blank line */
	UB_UNIQUE,  /* ... is refused with -EEXIST */
};

struct kv {
	char *key;
	char *value;
	size_t value_len;
};

struct kvvec {
	struct kv *v;
	size_t n;
	size_t cap;
};

enum { UB_MAX_ITEMS = 4096 }; /* map entries of one unit, all maps together */

struct ub {
	struct mnemo_arena *arena;
	struct acct *acct;
	Mnemo__Unit *u; /* NULL between units */
	struct kvvec maps[UB_N_MAPS];
	size_t n_items;
};

/* Resets the arena and starts an empty unit. */
int ub_begin(struct ub *ub);
/* A NUL-terminated copy in the arena: NULL with *ret_err -EMSGSIZE (the arena's limit)
 * or -ENOMEM. */
char *ub_strndup(struct ub *ub, const char *s, size_t n, int *ret_err);
/* key and value are copied. -EEXIST (UB_UNIQUE), -EMSGSIZE (arena limit, UB_MAX_ITEMS). */
int ub_set(struct ub *ub, enum ub_map map, const char *key, const char *value, size_t len,
	   enum ub_mode mode);
const struct kv *ub_get(const struct ub *ub, enum ub_map map, const char *key);
/* Sets a string field (unit->project...) to a copy. */
int ub_field(struct ub *ub, char **field, const char *value, size_t len);
/* Builds the unit's maps; *ret is valid until the next ub_begin. */
int ub_finish(struct ub *ub, Mnemo__Unit **ret);
void ub_fini(struct ub *ub);

/* ---- readers ---- */

struct lang_cache {
	struct {
		char raw[MNEMO_FORMATS_LANG_MAX];
		char canon[MNEMO_FORMATS_LANG_MAX];
	} e[8];
	unsigned next;
};

/* Canonical form of a language tag; the result is borrowed from the cache until its next
 * call. Returns -EINVAL for a tag that is not one. */
int lang_canon(struct lang_cache *c, const char *raw, const char **ret);

struct fmt_reader {
	const struct mnemo_formats_read_options *opt;
	struct mnemo_formats_stats *stats;
	struct mnemo_formats_error err; /* the one that stopped the read */
	int stopped;                    /* 0, or the code that stopped it */
	const char *name;
	size_t max_bytes; /* max_segment_bytes */
	struct acct acct;
	struct ub ub;
	struct lang_cache langs;
};

void fr_init(struct fmt_reader *fr, const struct mnemo_formats_read_options *opt,
	     struct mnemo_formats_stats *stats, const char *default_name);
void fr_fini(struct fmt_reader *fr);

/* Reports an error at a place (line 0: none; offset -1: none). Returns 0 when the read
 * goes on (the caller skips what the error is about), else the code it stops with. */
int fr_error(struct fmt_reader *fr, int code, bool fatal, unsigned long line,
	     unsigned long column, int64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
int fr_verror(struct fmt_reader *fr, int code, bool fatal, unsigned long line,
	      unsigned long column, int64_t offset, const char *fmt, va_list ap)
	__attribute__((format(printf, 7, 0)));
/* Hands a finished unit over: the caller's on_unit; a refusal stops the read. */
int fr_deliver(struct fmt_reader *fr, Mnemo__Unit *u);
void fr_progress(struct fmt_reader *fr);
void fr_note_arena(struct fmt_reader *fr);
/* Copies the stopping error out for a read_* function's caller. */
int fr_result(struct fmt_reader *fr, int r, struct mnemo_formats_stats *ret_stats,
	      struct mnemo_formats_error *ret_err);

/* "what" quoted for a message: at most 60 bytes, control characters escaped. */
const char *quote(const char *s, size_t n, char *buf, size_t size);

/* ---- gettext ---- */

struct gt {
	struct fmt_reader *fr;
	char source[MNEMO_FORMATS_LANG_MAX];
	char target[MNEMO_FORMATS_LANG_MAX]; /* "" until known */
	bool target_given;
	bool escaped;   /* .po: strings had C escapes, so multi-byte charsets must be safe */
	void *conv;     /* UConverter from the header's charset, NULL for UTF-8 */
	bool have_header;
};

/* A .po or .mo entry, its strings as in the file (not NUL-terminated, in its charset). */
struct gt_str {
	const char *s;
	size_t len;
};

struct gt_entry {
	struct gt_str ctxt;
	bool has_ctxt;
	struct gt_str id;
	struct gt_str id_plural;
	bool has_plural;
	struct gt_str str[2]; /* msgstr, or msgstr[0] and msgstr[1] */
	unsigned n_str;       /* how many of str are there */
	struct gt_str note, comment, reference, flags; /* .po comments, already joined */
	unsigned long line;                            /* .po: of msgid (or the first line) */
	int64_t offset;                                /* .mo: of the table entry */
	unsigned index;                                /* .mo: entry number */
};

/* opt->source_lang and opt->target_lang, checked. A failure is reported (fatal). */
int gt_init(struct gt *g, struct fmt_reader *fr, bool escaped);
void gt_fini(struct gt *g);
/* The header entry's msgstr: Language and charset. Reported errors are fatal. */
int gt_header(struct gt *g, const struct gt_entry *e);
/* Makes the entry's units (one, or two for plurals) and delivers them. */
int gt_emit(struct gt *g, const struct gt_entry *e);
