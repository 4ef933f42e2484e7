/* A cheap test that a paragraph is plainly in a given language, so that CLD2 need not be
 * asked: the share of words that are function words of that language and of no language
 * close to it. French: "les", "des", "est", "dans", but not "de", "la", "en", "il", "à",
 * which Spanish, Italian, Catalan or Portuguese share. English: "the", "and", "of".
 *
 * Measured on 20,000 paragraphs of the French documentation corpus (bench/segment): 82%
 * have 12% of such words or more, 90% have 8%; sentences written for the purpose in
 * Spanish, Catalan, Italian, Portuguese, Dutch, German and English have 0-4% of the
 * French ones. Ten percent and three words is the threshold: below, CLD2 decides. */
#include "langid.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum {
	MIN_HITS = 3,
	MIN_PERCENT = 10,
	WORD_MAX = 8, /* no function word in the lists is longer: one uint64_t */
};

/* Lower case, UTF-8, at most WORD_MAX bytes (padded with zeros to that). */
static const char words_fr[][WORD_MAX] = {
	"au", "aux", "avec", "cette", "dans", "des", "du", "elle", "est", "et", "le", "les",
	"leur", "mais", "nous", "ont", "pas", "pour", "qui", "sont", "sur", "une", "vous",
	"\xc3\xa9t\xc3\xa9", /* été */
};

static const char words_en[][WORD_MAX] = {
	"and", "are", "been", "has", "have", "is", "of", "that", "the", "their", "this", "to",
	"was", "were", "which", "with", "would",
};

/* A word of at most 8 bytes as a number (zero-padded), to compare in one instruction. */
static uint64_t
key_of(const char *s, size_t n)
{
	uint64_t k = 0;

	memcpy(&k, s, n);
	return k;
}

static bool
listed(const char (*list)[WORD_MAX], size_t n_list, uint64_t k)
{
	for (size_t i = 0; i < n_list; i++) {
		if (key_of(list[i], WORD_MAX) == k) {
			return true;
		}
	}
	return false;
}

/* "fr", "fr-CA" for "fr" */
static bool
is_lang(const char *tag, const char *lang)
{
	size_t n = strlen(lang);

	return strncmp(tag, lang, n) == 0 && (tag[n] == '\0' || tag[n] == '-');
}

bool
mnemo_langid_plainly(const char *lang, const char *text, size_t len)
{
	const char (*list)[WORD_MAX];
	size_t n_list, words = 0, hits = 0, i = 0;

	if (is_lang(lang, "fr")) {
		list = words_fr;
		n_list = sizeof(words_fr) / sizeof(words_fr[0]);
	} else if (is_lang(lang, "en")) {
		list = words_en;
		n_list = sizeof(words_en) / sizeof(words_en[0]);
	} else {
		return false;
	}
	while (i < len) {
		char word[WORD_MAX + 1];
		size_t start, n;

		/* a word: ASCII letters and any non-ASCII byte (accented letters) */
		while (i < len && !((text[i] | 0x20) >= 'a' && (text[i] | 0x20) <= 'z') &&
		       (unsigned char)text[i] < 0x80) {
			i++;
		}
		start = i;
		while (i < len && (((text[i] | 0x20) >= 'a' && (text[i] | 0x20) <= 'z') ||
				   (unsigned char)text[i] >= 0x80)) {
			i++;
		}
		n = i - start;
		if (n == 0) {
			break;
		}
		words++;
		if (n > WORD_MAX) {
			continue;
		}
		for (size_t k = 0; k < n; k++) {
			char c = text[start + k];

			word[k] = c >= 'A' && c <= 'Z' ? (char)(c | 0x20) : c;
		}
		word[n] = '\0';
		hits += listed(list, n_list, key_of(word, n));
	}
	return hits >= MIN_HITS && hits * 100 >= words * MIN_PERCENT;
}
