/* Boilerplate in scraped web text: the paragraphs of a news page that are not the article
 * (navigation, "PUBLICITÉ", "Lire aussi : …", share and comment blocks, photo credits,
 * "Source link", bylines and dates, cookie and subscription notices). They are tagged,
 * never dropped, so later stages can skip them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Whether the paragraph p[0..len) (valid UTF-8, one line, trimmed or not) is boilerplate
 * in a document whose language is lang (canonical BCP 47, or NULL; rules exist for French
 * and English, other languages get the language-neutral ones: symbols, dates, agency
 * credits, the English of web pages). A paragraph over 300 bytes is boilerplate only when
 * it starts like a link, notice or prompt ("Lire aussi : …", "Nous utilisons des
 * cookies…"); an empty or blank one never is. Thread-safe, no allocation (a few KiB of
 * stack), time linear in len. boiler.c lists the rules. */
bool mnemo_text_is_boilerplate(const char *lang, const char *p, size_t len);
