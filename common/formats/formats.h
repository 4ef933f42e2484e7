/* Translation memories in and out: TMX 1.4b (read and write), gettext .po and .mo (read).
 *
 * Readers hand units over one at a time, as Mnemo__Unit values (proto/mnemo.proto) carved
 * from the caller's arena, to a callback. The reader resets that arena before it starts
 * each unit: a unit, and every string in it, is valid until the callback returns and no
 * longer. Memory does not grow with the file: the arena holds one unit, the reader a few
 * buffers capped by max_segment_bytes (see mnemo_formats_stats.peak_buffer_bytes).
 *
 * Errors. Every problem is reported with its place (line and column for TMX and .po, byte
 * offset for .mo) and a message that says what is wrong, first to on_error if there is
 * one, which returns 0 to go on (the unit at fault is skipped and counted) or a negative
 * errno to stop. Without on_error the first error stops the read: imports are all or
 * nothing, so that is the default. Some errors stop the read whatever on_error answers
 * (is_fatal): XML that is not well formed, entities, I/O, broken .mo tables.
 *
 * Language tags are canonical BCP 47 (mnemo_text_lang_canon: "FR-ca", "fr_CA" -> "fr-CA").
 *
 * ---- TMX -> Unit (the contract; the writer does the reverse) -------------------------
 *
 * <header>   srclang (a tag or "*all*"; required) -> stats.srclang; creationtool ->
 *            stats.creationtool. Its <prop>, <note> and <ude> are read past.
 * <tu>       tuid -> meta "tuid"; srclang -> meta "srclang" (canonical);
 *            creationdate / changedate (YYYYMMDDThhmmssZ, UTC) -> created_at / changed_at
 *            (Unix ms); creationid / changeid -> created_by / changed_by;
 *            usagecount -> usage_count; lastusagedate -> used_at. When the <tu> has none
 *            of these, the <tuv>s' are used (OmegaT puts them there): the earliest
 *            creationdate with its creationid, the latest changedate with its changeid,
 *            the highest usagecount, the latest lastusagedate. Other attributes
 *            (datatype, o-tmf, creationtool...) describe the tool and are not kept.
 *   <prop type="x-project">  -> project       <prop type="x-domain">  -> domain
 *   <prop type="x-context">  -> context       <prop type="x-origin">  -> origin (else the
 *                                                                        caller's origin)
 *   <prop type="x-context-prev" xml:lang="L">, x-context-next -> prev[L] / next[L]
 *   <prop type="T">          -> meta[T]; several props of one type are joined with a
 *                               blank line ("\n\n"), as several <note>s are
 *   <note>                   -> meta["note"]
 *   OmegaT files (header creationtool "OmegaT"): its tu props "prev" / "next" (the source
 *   segments around this one) -> prev[srclang] / next[srclang], "id" -> context; "file"
 *   and "path" stay in meta.
 * <tuv>      xml:lang (or TMX 1.1's lang; required, a valid tag) -> the variant's key.
 *   <prop type="x-context-prev"> / "x-context-next" -> prev[lang] / next[lang]
 *   <prop type="T">          -> meta["lang:T"]     <note> -> meta["lang:note"]
 *   <seg>                    -> variants[lang]: the plain text, white space as it is. An
 *                               empty <seg> is no variant. A <tu> needs two variants.
 *   Inline markup (level 2): the content of <bpt>, <ept>, <it>, <ph>, <ut> is native
 *   code and is left out of the plain text, and so is <sub>'s (text inside native code);
 *   <hi> keeps its content. A <seg> with any inline element also gets markup[lang]: its
 *   content re-serialised as XML (elements and attributes as in the file, in their order;
 *   & < > and CR escaped in text, & < > " TAB LF CR in attributes; comments dropped), so
 *   the writer puts it back as it was. A <seg> without inline elements has no markup.
 * Refused (errors): a DOCTYPE with an internal subset (entity declarations: billion
 * laughs, external entities: XXE) and any reference to an undeclared entity; a DOCTYPE
 * with only a system id ("tmx14.dtd") is accepted and never fetched. Elements nested over
 * 64 deep, a <seg>, <prop> or <note> over max_segment_bytes (also a <seg>'s markup), a
 * tag or comment over max_segment_bytes plus 128 KiB, a <tu> with over 4096 props, notes
 * and tuvs, elements TMX does not have where they are, text outside <seg>/<prop>/<note>,
 * two <tuv>s of one language in a <tu>, bad dates and numbers. Encodings: whatever expat
 * reads (UTF-8, UTF-16 with a BOM, ISO-8859-1, US-ASCII); others are refused.
 *
 * ---- Unit -> TMX ---------------------------------------------------------------------
 *
 * TMX 1.4b in UTF-8: <header creationtool="mnemo" creationtoolversion=VERSION
 * segtype="sentence" o-tmf="mnemo" adminlang="en" srclang=SRCLANG datatype="plaintext"/>,
 * then one <tu> per unit: tuid from meta "tuid", else the unit's id (none when 0); meta
 * "srclang" as the tu's srclang when it is a tag or "*all*"; the dates (to the second:
 * TMX has no milliseconds), ids and usage above; props x-origin, x-project, x-domain,
 * x-context, one per other meta entry, meta "note" as a <note>; one <tuv xml:lang> per
 * non-empty variant, srclang's first, holding its x-context-prev / x-context-next props,
 * its "lang:T" meta as props (and "lang:note" as a <note>), and its markup if it has
 * one, else its escaped plain text. prev / next of a language without a variant, and
 * "lang:T" meta of such a language, are written on the <tu> (xml:lang on the prop, or the
 * whole key as the type). What the writer writes, the reader reads back to the same unit
 * (but for id, which comes back as meta "tuid", and sub-second dates).
 *
 * ---- gettext .po / .mo -> Unit -------------------------------------------------------
 *
 * The header entry (msgid "") gives the target language (Language:, "pt_BR",
 * "sr@latin" -> "sr-Latn"; target_lang overrides it) and the charset (Content-Type;
 * converted to UTF-8 with ICU; charsets whose multi-byte characters can hold '\' or '"',
 * such as Shift_JIS, Big5, GBK, are refused). The source language must be given
 * (source_lang, usually "en"). Each entry becomes: variants[source] = msgid,
 * variants[target] = msgstr; context = msgctxt; and, in .po files only,
 * meta "note" = "#." extracted comments (lines joined with "\n"), meta "x-comment" = "# "
 * translator comments, meta "x-reference" = "#:" references (joined with " "),
 * meta "x-flags" = "#," flags but fuzzy (joined with ", "). C escapes are decoded and
 * multi-line strings joined. Plurals: msgid with msgstr[0] is one unit, msgid_plural with
 * msgstr[1] another, both with meta "x-plural-form" "0" and "1"; msgstr[2] and up are
 * dropped and counted (languages with more forms lose them). Not made units, and counted:
 * fuzzy entries, obsolete "#~" entries, empty msgstr (each form), the header. .mo files:
 * both byte orders, revisions 0 and 1 (revision 1's system-dependent strings are skipped
 * and counted); every offset and length is checked against the file before any unit is
 * made, and a file that lies is refused whole. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "mnemo.pb-c.h"

enum {
	MNEMO_FORMATS_MAX_SEGMENT_BYTES = 1 << 20, /* default of max_segment_bytes */
	MNEMO_FORMATS_MESSAGE_MAX = 512,
	MNEMO_FORMATS_LANG_MAX = 64,
	MNEMO_MO_MAX_BYTES = 256 << 20, /* a .mo file is read whole; larger ones are refused */
};

struct mnemo_formats_error {
	int code;             /* negative errno: -EINVAL bad content, -EILSEQ bad UTF-8 or bytes
			       * in the charset, -EMSGSIZE over a limit, -ENOMEM, -EIO... */
	unsigned long line;   /* 1-based; 0 when the error is not about a line (.mo, I/O) */
	unsigned long column; /* 1-based, in bytes; 0 when unknown */
	int64_t offset;       /* byte offset in the file; -1 when unknown */
	bool is_fatal;        /* the read stops whatever on_error answers */
	/* For people, with the place first: "memory.tmx:12:7: <tuv> without xml:lang". */
	char message[MNEMO_FORMATS_MESSAGE_MAX];
};

/* Counts and facts of a read, updated as it goes (callbacks may look at them). */
struct mnemo_formats_stats {
	uint64_t bytes;  /* read so far */
	uint64_t units;  /* handed to on_unit */
	uint64_t errors; /* reported (each skipped what it was about) */
	/* gettext: entries or strings not made units (see above) */
	uint64_t header;
	uint64_t fuzzy;
	uint64_t obsolete;
	uint64_t untranslated;
	uint64_t plural_forms_dropped;
	uint64_t sysdep; /* .mo revision 1 system-dependent strings */
	/* The most bytes held at once in the reader's buffers and its XML parser, and in the
	 * arena: what the reader needs, whatever the file's size. */
	size_t peak_buffer_bytes;
	size_t peak_arena_bytes;
	char srclang[MNEMO_FORMATS_LANG_MAX];     /* TMX: the header's ("*all*"); gettext: source */
	char target_lang[MNEMO_FORMATS_LANG_MAX]; /* gettext: target; TMX: "" */
	char creationtool[MNEMO_FORMATS_LANG_MAX]; /* TMX header's, cut to fit */
};

struct mnemo_formats_read_options {
	struct mnemo_arena *arena; /* required: units live there (reset before each unit) */
	const char *name;          /* the file's name in messages; NULL: "tmx", "po", "mo" */
	const char *origin;        /* every unit's origin ("tmx:memory.tmx"); NULL: none */
	size_t max_segment_bytes;  /* longest text of a variant, prop, note or markup, in
				    * bytes; 0: MNEMO_FORMATS_MAX_SEGMENT_BYTES */
	const char *source_lang;   /* gettext: the msgid language, required */
	const char *target_lang;   /* gettext: NULL to take the header's Language: */
	/* 0 to go on; a negative errno stops the read, which returns it. */
	int (*on_unit)(void *ctx, Mnemo__Unit *unit);
	/* NULL: every error stops the read. Else 0 skips the unit at fault and goes on, a
	 * negative value stops the read, which returns err->code. */
	int (*on_error)(void *ctx, const struct mnemo_formats_error *err);
	/* After each chunk read (TMX and .po): bytes read so far. May be NULL. */
	void (*on_progress)(void *ctx, uint64_t bytes_read);
	void *ctx;
};

/* ---- TMX reading ---- */

/* Whole streams. Return 0 (errors may have been let pass: ret_stats->errors), or the
 * negative errno that stopped the read, with ret_err (when not NULL) telling why. The FILE is read to its end (or the error) and not closed. ret_stats may be NULL. */
int mnemo_tmx_read_file(FILE *f, const struct mnemo_formats_read_options *opt,
			struct mnemo_formats_stats *ret_stats, struct mnemo_formats_error *ret_err);
int mnemo_tmx_read_mem(const void *data, size_t len, const struct mnemo_formats_read_options *opt,
		       struct mnemo_formats_stats *ret_stats, struct mnemo_formats_error *ret_err);

/* The same, pushed a piece at a time (an HTTP body as it arrives). feed and end return 0
 * or the error that stopped the read, and keep returning it. opt and what it points to
 * must outlive the reader. */
struct mnemo_tmx_reader;
int mnemo_tmx_reader_new(const struct mnemo_formats_read_options *opt,
			 struct mnemo_tmx_reader **ret);
int mnemo_tmx_reader_feed(struct mnemo_tmx_reader *rd, const void *data, size_t len);
int mnemo_tmx_reader_end(struct mnemo_tmx_reader *rd); /* end of input */
/* Borrowed until mnemo_tmx_reader_free. */
const struct mnemo_formats_stats *mnemo_tmx_reader_stats(const struct mnemo_tmx_reader *rd);
const struct mnemo_formats_error *mnemo_tmx_reader_error(const struct mnemo_tmx_reader *rd);
void mnemo_tmx_reader_free(struct mnemo_tmx_reader *rd);

/* ---- TMX writing ---- */

struct mnemo_tmx_write_options {
	const char *srclang;      /* the header's srclang; NULL: "*all*" */
	const char *const *langs; /* only these variants (any spelling of the tags); NULL: all */
	size_t n_langs;
};

/* begin writes the prologue and header, unit one <tu>, end closes the document, flushes
 * and frees the writer (also on error; NULL is accepted). The FILE is not closed. */
struct mnemo_tmx_writer;
int mnemo_tmx_write_begin(FILE *f, const struct mnemo_tmx_write_options *opt,
			  struct mnemo_tmx_writer **ret);
/* Returns 1 when the unit was written, 0 when it has fewer than two non-empty variants
 * among the languages asked for, or a negative errno, with nothing written and ret_err
 * (when not NULL) saying why: -EINVAL (a variant key that is not a language tag; markup
 * that is not TMX inline content or whose plain text differs from the variant; a date
 * outside years 0-9999; an empty meta key), -EILSEQ (invalid UTF-8, or a character XML
 * cannot carry, such as U+0001), -EIO. */
int mnemo_tmx_write_unit(struct mnemo_tmx_writer *w, const Mnemo__Unit *unit,
			 struct mnemo_formats_error *ret_err);
int mnemo_tmx_write_end(struct mnemo_tmx_writer *w);

/* ---- inline markup (Unit.markup) ---- */

/* Checks that markup[0..len) is TMX 1.4b <seg> content as the reader takes it (text, the
 * five entities and character references, the level-2 inline elements where TMX allows
 * them; no DOCTYPE, comments are dropped) and writes its plain text there: native code
 * left out, references decoded, NUL-terminated. plain has room for len + 1 bytes (the
 * plain text is never longer). Returns 0; -EINVAL with *ret_offset (the byte of the
 * markup at fault) and *ret_why (a static reason); -ENOMEM. */
int mnemo_tmx_markup_plain(const char *markup, size_t len, char *plain, size_t *ret_plain_len,
			   size_t *ret_offset, const char **ret_why);

/* ---- gettext ---- */

/* .po: streamed like TMX. Same returns as mnemo_tmx_read_file. */
int mnemo_po_read_file(FILE *f, const struct mnemo_formats_read_options *opt,
		       struct mnemo_formats_stats *ret_stats, struct mnemo_formats_error *ret_err);
int mnemo_po_read_mem(const void *data, size_t len, const struct mnemo_formats_read_options *opt,
		      struct mnemo_formats_stats *ret_stats, struct mnemo_formats_error *ret_err);

/* .mo: read whole (up to MNEMO_MO_MAX_BYTES, else -EFBIG), checked, then read out. */
int mnemo_mo_read_file(FILE *f, const struct mnemo_formats_read_options *opt,
		       struct mnemo_formats_stats *ret_stats, struct mnemo_formats_error *ret_err);
int mnemo_mo_read_mem(const void *data, size_t len, const struct mnemo_formats_read_options *opt,
		      struct mnemo_formats_stats *ret_stats, struct mnemo_formats_error *ret_err);
