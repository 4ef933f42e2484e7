#include "log.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_int max_level = -1; /* -1: not yet read from MNEMO_LOG */

static const char *const level_names[] = {"err", "warn", "notice", "info", "debug"};

int
mnemo_log_parse_level(const char *name, enum mnemo_log_level *ret_level)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*ret_level = (enum mnemo_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void
mnemo_log_set_level(enum mnemo_log_level level)
{
	atomic_store(&max_level, (int)level);
}

int
mnemo_log_enabled(enum mnemo_log_level level)
{
	int max = atomic_load(&max_level);

	if (max < 0) {
		enum mnemo_log_level from_env = MNEMO_LOG_INFO;
		const char *env = getenv("MNEMO_LOG");

		if (env != NULL) {
			(void)mnemo_log_parse_level(env, &from_env);
		}
		max = (int)from_env;
		atomic_store(&max_level, max);
	}
	return (int)level <= max;
}

void
mnemo_log(enum mnemo_log_level level, const char *topic, const char *fmt, ...)
{
	char line[2048];
	struct timespec now;
	struct tm tm;
	va_list ap;
	int n;

	if (!mnemo_log_enabled(level)) {
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     now.tv_nsec / 1000000, level_names[level], topic);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(line)) {
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	}
	va_end(ap);
	/* One fputs per line: stdio locks the stream, so lines from threads never interleave. */
	n = (int)strlen(line);
	if ((size_t)n > sizeof(line) - 2) {
		n = (int)sizeof(line) - 2; /* truncated: keep room for the newline */
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	fputs(line, stderr);
}
