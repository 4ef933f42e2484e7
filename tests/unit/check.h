/* A minimal test harness: CHECK() records a failure and goes on, so one run shows every
 * broken case; main() returns check_exit(). Output is TAP-like for meson's log. */
#pragma once

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                        \
	do {                                                                               \
		check_count++;                                                             \
		if (!(cond)) {                                                             \
			check_failures++;                                                  \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                          \
	} while (0)

#define CHECK_MSG(cond, ...)                                                               \
	do {                                                                               \
		check_count++;                                                             \
		if (!(cond)) {                                                             \
			check_failures++;                                                  \
			fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                      \
			fputc('\n', stderr);                                               \
		}                                                                          \
	} while (0)

#define CHECK_INT(a, b)                                                                    \
	CHECK_MSG((long long)(a) == (long long)(b), "%lld != %lld", (long long)(a),        \
		  (long long)(b))

#define CHECK_STR(a, b)                                                                    \
	do {                                                                               \
		const char *check_a_ = (a), *check_b_ = (b);                               \
		CHECK_MSG(check_a_ != NULL && check_b_ != NULL && strcmp(check_a_, check_b_) == 0, \
			  "'%s' != '%s'", check_a_ ? check_a_ : "(null)",                  \
			  check_b_ ? check_b_ : "(null)");                                 \
	} while (0)

static inline int
check_exit(void)
{
	fprintf(stderr, "%d checks, %d failed\n", check_count, check_failures);
	return check_failures == 0 ? 0 : 1;
}
