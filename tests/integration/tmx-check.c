/* A test tool around common/formats, for test-formats-tools.sh, test-omegat.sh and
 * test-export.sh (not installed):
 *
 *   tmx-check pairs FILE SRC TGT [--source L] [--target L] [--code] [--singular] [--history]
 *       reads FILE (.tmx, .po or .mo by its name) and prints one line per unit that has
 *       both languages: SRC text, TAB, TGT text, TAB, context; with \\, \n, \t, \r
 *       escaped. --source/--target are the gettext languages (default en and the
 *       header's). --code prints a variant with markup as the XML text of its <seg>,
 *       native code included (what XML tools such as translate-toolkit read);
 *       --singular leaves out the units made of msgid_plural; --history adds who created
 *       and changed the unit and when (Unix ms), and its note: TAB created_by, TAB
 *       created_at, TAB changed_by, TAB changed_at, TAB note.
 *   tmx-check convert FILE OUT.tmx --source L [--target L]
 *       reads FILE as above and writes every unit to OUT.tmx with mnemo's writer.
 *   tmx-check json FILE [--source L] [--target L]
 *       reads FILE as above and prints every unit as one line of the HTTP API's JSON (the
 *       Unit message, as GET /v1/units/{id} writes it), to compare a file with the store.
 *
 * Exits 0, or 1 with the reader's or writer's message on stderr. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"
#include "json.h"

struct ctx {
	const char *src;
	const char *tgt;
	bool code;
	bool singular;
	bool history;
	struct mnemo_tmx_writer *w;
	unsigned long written;
};

static void
put_escaped(const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '\\':
			fputs("\\\\", stdout);
			break;
		case '\n':
			fputs("\\n", stdout);
			break;
		case '\t':
			fputs("\\t", stdout);
			break;
		case '\r':
			fputs("\\r", stdout);
			break;
		default:
			putchar(*s);
		}
	}
}

static const char *
variant(const Mnemo__Unit *u, const char *lang)
{
	size_t i;

	for (i = 0; i < u->n_variants; i++) {
		if (strcmp(u->variants[i]->key, lang) == 0) {
			return u->variants[i]->value;
		}
	}
	return NULL;
}

static const char *
meta(const Mnemo__Unit *u, const char *key)
{
	size_t i;

	for (i = 0; i < u->n_meta; i++) {
		if (strcmp(u->meta[i]->key, key) == 0) {
			return u->meta[i]->value;
		}
	}
	return NULL;
}

/* The text of markup as mnemo writes it, native code included: tags dropped, the
 * references the writer uses decoded. */
static void
put_code(const char *m)
{
	static const struct {
		const char *ref;
		char c;
	} refs[] = {{"&amp;", '&'},  {"&lt;", '<'},   {"&gt;", '>'},  {"&quot;", '"'},
		    {"&#9;", '\t'}, {"&#10;", '\n'}, {"&#13;", '\r'}};
	char one[2] = {0, 0};
	size_t i;

	while (*m != '\0') {
		if (*m == '<') {
			m = strchr(m, '>');
			m = m != NULL ? m + 1 : "";
			continue;
		}
		one[0] = *m;
		for (i = 0; *m == '&' && i < sizeof(refs) / sizeof(refs[0]); i++) {
			if (strncmp(m, refs[i].ref, strlen(refs[i].ref)) == 0) {
				one[0] = refs[i].c;
				m += strlen(refs[i].ref) - 1;
				break;
			}
		}
		put_escaped(one);
		m++;
	}
}

static void
put_variant(const struct ctx *c, const Mnemo__Unit *u, const char *lang)
{
	size_t i;

	for (i = 0; c->code && i < u->n_markup; i++) {
		if (strcmp(u->markup[i]->key, lang) == 0) {
			put_code(u->markup[i]->value);
			return;
		}
	}
	put_escaped(variant(u, lang));
}

/* What a CAT tool is expected to carry through: authorship, dates and the note. */
static void
put_history(const Mnemo__Unit *u)
{
	const char *note = meta(u, "note");

	putchar('\t');
	put_escaped(u->created_by);
	printf("\t%" PRId64 "\t", u->created_at);
	put_escaped(u->changed_by);
	printf("\t%" PRId64 "\t", u->changed_at);
	put_escaped(note != NULL ? note : "");
}

static int
print_pair(void *data, Mnemo__Unit *u)
{
	struct ctx *c = data;
	const char *s = variant(u, c->src), *t = variant(u, c->tgt);
	const char *form = meta(u, "x-plural-form");

	if (c->singular && form != NULL && strcmp(form, "1") == 0) {
		return 0;
	}
	if (s != NULL && t != NULL) {
		put_variant(c, u, c->src);
		putchar('\t');
		put_variant(c, u, c->tgt);
		putchar('\t');
		put_escaped(u->context);
		if (c->history) {
			put_history(u);
		}
		putchar('\n');
	}
	return 0;
}

static int
write_unit(void *data, Mnemo__Unit *u)
{
	struct ctx *c = data;
	struct mnemo_formats_error err;
	int r = mnemo_tmx_write_unit(c->w, u, &err);

	if (r < 0) {
		fprintf(stderr, "tmx-check: cannot write a unit: %s\n", err.message);
		return r;
	}
	c->written += (unsigned long)r;
	return 0;
}

static int
print_json(void *data, Mnemo__Unit *u)
{
	size_t len;
	char *text = mnemo_json_write(&u->base, NULL, &len);

	(void)data;
	if (text == NULL) {
		fprintf(stderr, "tmx-check: a unit could not be written as JSON\n");
		return -ENOMEM;
	}
	fwrite(text, 1, len, stdout);
	putchar('\n');
	free(text);
	return 0;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int
read_any(const char *path, struct mnemo_formats_read_options *opt)
{
	struct mnemo_formats_stats st;
	struct mnemo_formats_error err;
	FILE *f = fopen(path, "rb");
	int r;

	if (f == NULL) {
		fprintf(stderr, "tmx-check: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	opt->name = path;
	if (ends_with(path, ".po") || ends_with(path, ".pot")) {
		r = mnemo_po_read_file(f, opt, &st, &err);
	} else if (ends_with(path, ".mo")) {
		r = mnemo_mo_read_file(f, opt, &st, &err);
	} else {
		r = mnemo_tmx_read_file(f, opt, &st, &err);
	}
	fclose(f);
	if (r < 0) {
		fprintf(stderr, "tmx-check: %s\n", err.message);
	}
	return r;
}

int
main(int argc, char **argv)
{
	struct mnemo_arena arena;
	struct mnemo_formats_read_options opt = {0};
	struct ctx c = {0};
	const char *source = "en", *target = NULL;
	int i, r, n_pos = 0;
	const char *pos[4] = {NULL};

	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--source") == 0 && i + 1 < argc) {
			source = argv[++i];
		} else if (strcmp(argv[i], "--target") == 0 && i + 1 < argc) {
			target = argv[++i];
		} else if (strcmp(argv[i], "--code") == 0) {
			c.code = true;
		} else if (strcmp(argv[i], "--singular") == 0) {
			c.singular = true;
		} else if (strcmp(argv[i], "--history") == 0) {
			c.history = true;
		} else if (n_pos < 4) {
			pos[n_pos++] = argv[i];
		}
	}
	mnemo_arena_init(&arena, 64 << 20);
	opt.arena = &arena;
	opt.source_lang = source;
	opt.target_lang = target;
	opt.ctx = &c;
	if (argc >= 2 && strcmp(argv[1], "pairs") == 0 && n_pos == 3) {
		c.src = pos[1];
		c.tgt = pos[2];
		opt.on_unit = print_pair;
		r = read_any(pos[0], &opt);
	} else if (argc >= 2 && strcmp(argv[1], "json") == 0 && n_pos == 1) {
		opt.on_unit = print_json;
		r = read_any(pos[0], &opt);
	} else if (argc >= 2 && strcmp(argv[1], "convert") == 0 && n_pos == 2) {
		struct mnemo_tmx_write_options wo = {.srclang = source};
		FILE *out = fopen(pos[1], "w");

		if (out == NULL || mnemo_tmx_write_begin(out, &wo, &c.w) < 0) {
			fprintf(stderr, "tmx-check: cannot write %s\n", pos[1]);
			return 1;
		}
		opt.on_unit = write_unit;
		r = read_any(pos[0], &opt);
		if (mnemo_tmx_write_end(c.w) < 0 || fclose(out) != 0) {
			fprintf(stderr, "tmx-check: %s: write error\n", pos[1]);
			r = -EIO;
		}
		fprintf(stderr, "tmx-check: %lu units written\n", c.written);
	} else {
		fprintf(stderr, "usage: tmx-check pairs FILE SRC TGT [--source L] [--target L] "
				"[--code] [--singular] [--history]\n"
				"       tmx-check convert FILE OUT.tmx [--source L] [--target L]\n"
				"       tmx-check json FILE [--source L] [--target L]\n");
		return 2;
	}
	mnemo_arena_fini(&arena);
	return r < 0 ? 1 : 0;
}
