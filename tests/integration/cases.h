/* Runs the request cases of tests/cases/ against a running gateway (see its README). */
#pragma once

#include <jansson.h>
#include <stddef.h>

/* Returns the number of failed cases; prints each failure with a diff. */
int run_cases(const char *base_url, const char *dir);
/* 1 when every key of expected is in actual with an equal value (arrays: same length,
 * elements matched the same way); else 0 with why set. */
int json_subset(const json_t *expected, const json_t *actual, char *why, size_t why_size);
