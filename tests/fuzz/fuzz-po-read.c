/* Any bytes as a .po file (source "en", target from its header or "fr"), and as a .mo
 * file, errors let pass: whatever comes out is a valid unit (two non-empty variants in
 * valid UTF-8), and nothing is read outside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
on_unit(void *ctx, Mnemo__Unit *u)
{
	size_t i, off;

	if (u->n_variants != 2) {
		abort();
	}
	for (i = 0; i < u->n_variants; i++) {
		const char *v = u->variants[i]->value;

		if (v[0] == '\0' || mnemo_text_check_utf8(v, strlen(v), &off) < 0) {
			abort();
		}
	}
	if (mnemo_text_check_utf8(u->context, strlen(u->context), &off) < 0) {
		abort();
	}
	for (i = 0; i < u->n_meta; i++) {
		const char *v = u->meta[i]->value;

		if (mnemo_text_check_utf8(v, strlen(v), &off) < 0) {
			abort();
		}
	}
	return 0;
}

static int
go_on(void *ctx, const struct mnemo_formats_error *err)
{
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mnemo_arena arena;
	struct mnemo_formats_read_options opt = {0};
	struct mnemo_formats_stats stats;
	struct mnemo_formats_error err;
	uint8_t *copy = malloc(size != 0 ? size : 1); /* exactly size bytes: overreads show */

	if (copy == NULL) {
		abort();
	}
	memcpy(copy, data, size);
	mnemo_arena_init(&arena, 1 << 20);
	opt.arena = &arena;
	opt.max_segment_bytes = 4096;
	opt.source_lang = "en";
	opt.on_unit = on_unit;
	opt.on_error = go_on;
	mnemo_po_read_mem(copy, size, &opt, &stats, &err);
	opt.target_lang = "fr";
	mnemo_po_read_mem(copy, size, &opt, &stats, &err);
	mnemo_mo_read_mem(copy, size, &opt, &stats, &err);
	free(copy);
	mnemo_arena_fini(&arena);
	return 0;
}
