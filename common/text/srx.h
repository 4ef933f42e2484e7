/* Segmentation rules as data: SRX 2.0 files (the LISA/GALA standard CAT tools exchange:
 * OmegaT, Okapi, Trados, memoQ...). Loaded with expat (no DTD, no entities), the regular
 * expressions compiled with ICU's regex engine (Java-like syntax, as SRX specifies).
 *
 * SRX semantics: at a position in the text, the rules of the language are tried in
 * order; the first whose <beforebreak> matches text ending at the position and whose
 * <afterbreak> matches text starting at it decides: break="yes" is a boundary,
 * break="no" is none. Rules override the built-in segmenter where one matches, and add
 * boundaries where a break rule matches a position the built-in rules never consider.
 *
 * Where mnemo had to choose (srx.c explains each):
 * - patterns are case-sensitive with no flags, as SRX says, except languagepattern, which
 *   ignores case ("FR.*" matches "fr-FR", as in the Java tools);
 * - the matches of <beforebreak> are found from every start, so they may overlap ("S.A."
 *   inside "U.S.A."), but from one start only the match ICU's engine picks counts: [.?!]+
 *   ends after "?!", never between its two marks;
 * - a missing or empty pattern matches the empty string, hence everywhere;
 * - ICU is not Java: \s and \w are Unicode-aware (\s matches U+00A0, \w matches é),
 *   where Java's are ASCII-only unless a pattern sets (?U). */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct mnemo_srx;       /* a loaded file */
struct mnemo_srx_rules; /* the rules one language gets (its <languagemap>s, in order) */

/* Loads an SRX 2.0 file (path) or document (data, len; name is used in messages, "srx"
 * if NULL). Errors name the line: err holds "FILE:LINE: what is wrong" ("FILE: ..." when
 * no line applies); err may be NULL. Elements of other namespaces (Okapi's okpsrx:...) are
 * skipped; unknown SRX elements, text outside patterns and a missing languagerulename are
 * errors. The header's cascade defaults to "no", a rule's break to "yes". Returns 0,
 * -ENOENT (or another errno of open/read), -EINVAL (not SRX 2.0, SRX 1.0, a DOCTYPE or
 * entity, bad structure, a pattern that does not compile, a map naming an unknown
 * languagerule), -EFBIG (over 16 MiB), -ENOMEM. *ret is written only on success. */
int mnemo_srx_load_file(const char *path, struct mnemo_srx **ret, char *err, size_t err_size);
int mnemo_srx_load(const char *data, size_t len, const char *name, struct mnemo_srx **ret,
		   char *err, size_t err_size);
void mnemo_srx_free(struct mnemo_srx *srx);

/* The rules for a canonical BCP 47 tag (matched against each <languagemap>'s
 * languagepattern, as SRX says; with cascade="yes" every matching map contributes, in map
 * order, a languagerule mapped twice counting once; else only the first), or NULL when no
 * map matches. The pattern must match the whole tag, ignoring case, written with '-' or
 * with '_' ("fr[-_]CA" and "fr_CA" both match "fr-CA"). Thread-safe; the answer is cached
 * per tag (1024 tags; tags beyond are resolved on each call) and tags that get the same
 * maps share one object. Valid while srx is. NULL also for a tag of 64 bytes or more, or
 * when memory runs out (not cached: a later call tries again). */
const struct mnemo_srx_rules *mnemo_srx_rules_for(const struct mnemo_srx *srx, const char *lang);

enum mnemo_srx_verdict {
	MNEMO_SRX_NONE = 0, /* no rule matched: the built-in rules decide */
	MNEMO_SRX_BREAK,
	MNEMO_SRX_NO_BREAK,
};

/* Evaluates the rules over one paragraph p[0..len) (valid UTF-8) and returns, in
 * *ret_pos (malloc'd, ascending byte offsets), every position where a rule decides, with
 * its verdict in *ret_verdict (malloc'd too; both NULL when the count is 0). Positions
 * inside a UTF-8 sequence never appear, nor do 0 and len, the paragraph's own ends.
 * rules may be NULL (no map matched): the count is then 0. Invalid UTF-8 is read as
 * U+FFFD: meaningless but ordered, in-bounds results. Safe to call from several threads on
 * the same rules. Time is bounded per rule: ICU's regex time limit, a budget of regex work
 * for the paragraph, a backtracking stack limit, and a CPU-time limit that catches what
 * the others cannot see (srx.c gives the figures); a rule that hits one is treated as not
 * matching anywhere in the paragraph. Memory is about 15 bytes per byte of p. Returns the
 * count, -EMSGSIZE (len >= INT32_MAX: ICU counts in int32_t), or -ENOMEM. */
int mnemo_srx_apply(const struct mnemo_srx_rules *rules, const char *p, size_t len,
		    uint32_t **ret_pos, uint8_t **ret_verdict);
