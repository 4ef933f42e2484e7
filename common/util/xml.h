/* What every expat handler of mnemo's (SRX rules, TMX files) asks of its XML: expat leaves
 * attribute lookup and XML white space to its users. XML_Char is char in Debian's expat. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* The value of attribute name in expat's {name, value, ..., NULL} list, or NULL. */
static inline const char *
mnemo_xml_attr(const char **attrs, const char *name)
{
	for (size_t i = 0; attrs[i] != NULL; i += 2) {
		if (strcmp(attrs[i], name) == 0) {
			return attrs[i + 1];
		}
	}
	return NULL;
}

/* Whether s[0..len) is XML white space only (space, tab, LF, CR). */
static inline bool
mnemo_xml_is_space(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') {
			return false;
		}
	}
	return true;
}
