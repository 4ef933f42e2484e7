/* Progress on standard error, as the long commands show it (mnemo import, mnemo job): a
 * line redrawn in place on a terminal, numbers grouped by thousands. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

uint64_t
cli_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *
cli_grouped(uint64_t n, char *buf, size_t size)
{
	char digits[32];
	size_t len = (size_t)snprintf(digits, sizeof(digits), "%" PRIu64, n), o = 0;

	for (size_t i = 0; i < len && o + 2 < size; i++) {
		if (i > 0 && (len - i) % 3 == 0) {
			buf[o++] = ',';
		}
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

const char *
cli_plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

const char *
cli_bar(uint64_t done, uint64_t total, char *buf, size_t size)
{
	size_t cells = CLI_BAR_CELLS, full = 0;

	if (size < cells + 3) {
		buf[0] = '\0';
		return buf;
	}
	if (total > 0) {
		full = (size_t)((done < total ? done : total) * cells / total);
	}
	buf[0] = '[';
	memset(buf + 1, '#', full);
	memset(buf + 1 + full, ' ', cells - full);
	buf[cells + 1] = ']';
	buf[cells + 2] = '\0';
	return buf;
}

void
cli_progress_draw(const char *fmt, ...)
{
	va_list ap;

	fputc('\r', stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\033[K", stderr);
	fflush(stderr);
}

void
cli_progress_clear(void)
{
	fputs("\r\033[K", stderr);
	fflush(stderr);
}
