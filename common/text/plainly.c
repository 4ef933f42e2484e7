/* A cheap test that a paragraph is plainly in a given language, so that CLD2 need not be
 * asked: the share of words that are function words of that language and of no language
 * close to it. French: "les", "des", "dans", "nous", but not "de", "la", "en", "il", "à",
 * "le", "qui", "mais", which Spanish, Italian, Catalan or Portuguese share. English:
 * "the", "and", "of".
 *
 * Measured on the French documentation corpus of bench/segment (technical prose, fewer
 * function words than news): 65% of 20,000 paragraphs and 80% of their sentences of 100
 * bytes or more pass; paragraphs written for the purpose in Spanish, Catalan, Italian,
 * Portuguese, Romanian, Dutch, German and English have 0-4% of the French words. Ten
 * percent and three words is the threshold: below, CLD2 decides. */
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
	"ainsi", "aussi", "au", "aux", "avait", "avec", "ces", "cette", "comme", "dans",
	"depuis", "des", "du", "elle", "elles", "est", "et", "fait", "ils", "je", "les",
	"leur", "leurs", "nous", "ont", "pas", "peut", "plus", "pour", "ses", "sont", "sur",
	"tout", "une", "vous",
	"apr\xc3\xa8s",       /* après */
	"\xc3\xa9t\xc3\xa9",    /* été */
	"\xc3\xa9tait",       /* était */
	"tr\xc3\xa8s",        /* très */
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

/* Whether text[i] is part of a word: an ASCII letter, or a byte of a character outside
 * U+0080-U+00BF and U+2000-U+2FFF (accented Latin letters, other scripts). Those two
 * ranges (UTF-8 lead bytes C2 and E2) are NBSP, « », ’, “ ”, …, dashes: they separate
 * words, "«\u00a0Nous" is "Nous". */
static bool
letter_at(const char *text, size_t i)
{
	unsigned char c = (unsigned char)text[i];

	if (c < 0x80) {
		return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
	}
	if (c == 0xc2 || c == 0xe2) {
		return false;
	}
	if (c >= 0xc0) {
		return true; /* a lead byte of another character */
	}
	/* a continuation byte: it belongs to the character its lead byte started */
	while (i > 0 && ((unsigned char)text[i] & 0xc0) == 0x80) {
		i--;
	}
	return (unsigned char)text[i] != 0xc2 && (unsigned char)text[i] != 0xe2;
}

/* Bytes of the separator at text[i]: a whole C2 or E2 sequence, else one byte. */
static size_t
skip(const char *text, size_t i)
{
	unsigned char c = (unsigned char)text[i];

	return c == 0xc2 ? 2 : c == 0xe2 ? 3 : 1;
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

		while (i < len && !letter_at(text, i)) {
			i += skip(text, i);
		}
		start = i;
		while (i < len && letter_at(text, i)) {
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
