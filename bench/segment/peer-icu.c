/* ICU4C's sentence BreakIterator as a peer of mnemo's segmenter (see peer.h for the modes).
 *
 *   peer-icu [--ss] [--throughput FILE [--passes N]] LANG
 *
 * ubrk_open(UBRK_SENTENCE, LANG) over the UTF-8 text through a UText, so the boundaries are
 * byte offsets and nothing is converted to UTF-16. --ss opens "LANG@ss=standard" instead:
 * ICU's sentence-break suppressions (the locale's list of abbreviations after which no
 * sentence ends, e.g. "M." in French, "Mr." in English), which the C API applies when the
 * locale carries that keyword; the peer is then called "icu-ss". */
#include "peer.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unicode/ubrk.h>
#include <unicode/uloc.h>
#include <unicode/utext.h>

struct icu_peer {
	UBreakIterator *bi;
	UText *ut;
};

static int
icu_segment(void *ctx, const char *text, size_t len, struct peer_segs *segs)
{
	struct icu_peer *ip = ctx;
	UErrorCode status = U_ZERO_ERROR;
	int32_t start;
	int32_t end;

	if (len > INT32_MAX) {
		return -EMSGSIZE; /* ubrk_* return int32_t offsets */
	}
	ip->ut = utext_openUTF8(ip->ut, text, (int64_t)len, &status);
	ubrk_setUText(ip->bi, ip->ut, &status);
	if (U_FAILURE(status)) {
		return -EINVAL;
	}
	start = ubrk_first(ip->bi);
	while ((end = ubrk_next(ip->bi)) != UBRK_DONE) {
		int r = peer_segs_push(segs, (size_t)start, (size_t)end, NULL);

		if (r < 0) {
			return r;
		}
		start = end;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct icu_peer ip = {0};
	struct peer p = {.name = "icu", .ctx = &ip, .segment = icu_segment};
	char locale[ULOC_FULLNAME_CAPACITY];
	const char *lang;
	const char *throughput_file;
	unsigned passes;
	UErrorCode status = U_ZERO_ERROR;
	int first = 1;
	int r;

	if (argc > 1 && strcmp(argv[1], "--ss") == 0) {
		p.name = "icu-ss";
		first = 2;
	}
	if (peer_parse_args(argc, argv, first, &lang, &throughput_file, &passes) < 0) {
		return 2;
	}
	r = snprintf(locale, sizeof(locale), "%s%s", lang, first == 2 ? "@ss=standard" : "");
	if (r < 0 || (size_t)r >= sizeof(locale)) {
		fprintf(stderr, "%s: language too long: %s\n", p.name, lang);
		return 2;
	}
	ip.bi = ubrk_open(UBRK_SENTENCE, locale, NULL, 0, &status);
	if (U_FAILURE(status)) {
		fprintf(stderr, "%s: ubrk_open(UBRK_SENTENCE, \"%s\"): %s\n", p.name, locale,
		        u_errorName(status));
		return 1;
	}
	r = peer_main(&p, lang, throughput_file, passes);
	ubrk_close(ip.bi);
	utext_close(ip.ut);
	return r;
}
