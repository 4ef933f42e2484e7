/* Any bytes as a TMX file, errors let pass. Every unit the reader hands over must be
 * valid (two or more non-empty variants under canonical tags, valid UTF-8, markup only for
 * variants), the writer must take it, and what the writer wrote must read back, without an
 * error, to the same units. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_KEPT = 256 };

struct state {
	struct mnemo_tmx_writer *w;
	uint8_t *packed[MAX_KEPT];
	size_t packed_len[MAX_KEPT];
	size_t n;
	size_t checked; /* read back so far */
	bool reading_back;
};

static int
cmp_entry(const void *a, const void *b)
{
	const Mnemo__Unit__MetaEntry *const *x = a, *const *y = b;

	return strcmp((*x)->key, (*y)->key);
}

static void **
sorted(void **v, size_t n)
{
	void **c = malloc((n != 0 ? n : 1) * sizeof(*c));

	if (c == NULL) {
		abort();
	}
	if (n > 0) {
		memcpy(c, v, n * sizeof(*c));
		qsort(c, n, sizeof(*c), cmp_entry);
	}
	return c;
}

/* The unit with its maps in key order, packed: equal units give equal bytes. */
static uint8_t *
canon_pack(const Mnemo__Unit *u, size_t *ret_len)
{
	Mnemo__Unit c = *u;
	uint8_t *buf;

	c.variants = (Mnemo__Unit__VariantsEntry **)sorted((void **)u->variants, u->n_variants);
	c.meta = (Mnemo__Unit__MetaEntry **)sorted((void **)u->meta, u->n_meta);
	c.markup = (Mnemo__Unit__MarkupEntry **)sorted((void **)u->markup, u->n_markup);
	c.prev = (Mnemo__Unit__PrevEntry **)sorted((void **)u->prev, u->n_prev);
	c.next = (Mnemo__Unit__NextEntry **)sorted((void **)u->next, u->n_next);
	*ret_len = mnemo__unit__get_packed_size(&c);
	buf = malloc(*ret_len + 1);
	if (buf == NULL) {
		abort();
	}
	mnemo__unit__pack(&c, buf);
	free(c.variants);
	free(c.meta);
	free(c.markup);
	free(c.prev);
	free(c.next);
	return buf;
}

static void
check_unit(const Mnemo__Unit *u)
{
	char canon[MNEMO_TEXT_LANG_MAX];
	size_t i, k, off;

	if (u->n_variants < 2) {
		abort();
	}
	for (i = 0; i < u->n_variants; i++) {
		const char *v = u->variants[i]->value;

		if (mnemo_text_lang_canon(u->variants[i]->key, canon, sizeof(canon)) < 0 ||
		    strcmp(canon, u->variants[i]->key) != 0 || v[0] == '\0' ||
		    mnemo_text_check_utf8(v, strlen(v), &off) < 0) {
			abort();
		}
	}
	for (i = 0; i < u->n_markup; i++) {
		for (k = 0; k < u->n_variants; k++) {
			if (strcmp(u->markup[i]->key, u->variants[k]->key) == 0) {
				break;
			}
		}
		if (k == u->n_variants) {
			abort();
		}
	}
	for (i = 0; i < u->n_meta; i++) {
		const char *v = u->meta[i]->value;

		if (mnemo_text_check_utf8(v, strlen(v), &off) < 0) {
			abort();
		}
	}
}

static int
on_unit(void *ctx, Mnemo__Unit *u)
{
	struct state *st = ctx;
	struct mnemo_formats_error err;
	uint8_t *p;
	size_t len;

	check_unit(u);
	if (st->reading_back) {
		if (st->checked >= st->n) {
			abort(); /* more units than were written */
		}
		p = canon_pack(u, &len);
		if (len != st->packed_len[st->checked] ||
		    memcmp(p, st->packed[st->checked], len) != 0) {
			abort(); /* written and read back, not the same unit */
		}
		free(p);
		st->checked++;
		return 0;
	}
	if (st->n == MAX_KEPT) {
		return 0;
	}
	if (mnemo_tmx_write_unit(st->w, u, &err) != 1) {
		fprintf(stderr, "the writer refused a unit the reader made: %s\n", err.message);
		abort();
	}
	st->packed[st->n] = canon_pack(u, &st->packed_len[st->n]);
	st->n++;
	return 0;
}

static int
go_on(void *ctx, const struct mnemo_formats_error *err)
{
	return 0;
}

static int
refuse(void *ctx, const struct mnemo_formats_error *err)
{
	fprintf(stderr, "what the writer wrote does not read back: %s\n", err->message);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state st = {0};
	struct mnemo_arena arena;
	struct mnemo_formats_read_options opt = {0};
	struct mnemo_formats_stats stats;
	struct mnemo_formats_error err;
	char *out = NULL;
	size_t out_len = 0, i;
	FILE *f = open_memstream(&out, &out_len);

	if (f == NULL) {
		abort();
	}
	mnemo_arena_init(&arena, 1 << 20);
	opt.arena = &arena;
	opt.max_segment_bytes = 4096;
	opt.on_unit = on_unit;
	opt.on_error = go_on;
	opt.ctx = &st;
	if (mnemo_tmx_write_begin(f, NULL, &st.w) < 0) {
		abort();
	}
	mnemo_tmx_read_mem(data, size, &opt, &stats, &err);
	if (mnemo_tmx_write_end(st.w) < 0) {
		abort();
	}
	fclose(f);

	/* Read back what was written: no error, the same units */
	st.reading_back = true;
	opt.max_segment_bytes = 0;
	opt.on_error = refuse;
	arena.limit_bytes = 0;
	if (mnemo_tmx_read_mem(out, out_len, &opt, &stats, &err) < 0 || st.checked != st.n) {
		fprintf(stderr, "read back: %s (%zu of %zu units)\n", err.message, st.checked, st.n);
		abort();
	}
	for (i = 0; i < st.n; i++) {
		free(st.packed[i]);
	}
	free(out);
	mnemo_arena_fini(&arena);
	return 0;
}
