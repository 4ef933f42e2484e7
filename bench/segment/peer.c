/* The JSON-lines exchange and the throughput loop shared by the C peers (see peer.h). */
#include "peer.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_PASSES = 100 };

int
peer_segs_push(struct peer_segs *segs, size_t start, size_t end, const char *kind)
{
	if (segs->n == segs->cap) {
		size_t cap = segs->cap ? segs->cap * 2 : 64;
		struct peer_seg *v = realloc(segs->v, cap * sizeof(*v));

		if (!v) {
			return -ENOMEM;
		}
		segs->v = v;
		segs->cap = cap;
	}
	segs->v[segs->n++] = (struct peer_seg){.start = start, .end = end, .kind = kind};
	return 0;
}

/* Length of the Unicode White_Space character at s[0..len), or 0 when there is none. */
static size_t
space_at(const unsigned char *s, size_t len)
{
	if (len >= 1 && (s[0] == ' ' || (s[0] >= 0x09 && s[0] <= 0x0d))) {
		return 1;
	}
	if (len >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0)) {
		return 2; /* NEL, NBSP */
	}
	if (len >= 3 && s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80) {
		return 3; /* U+1680 */
	}
	if (len >= 3 && s[0] == 0xe2 && s[1] == 0x80 &&
	    ((s[2] >= 0x80 && s[2] <= 0x8a) || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf)) {
		return 3; /* U+2000-200A, LS, PS, NNBSP */
	}
	if (len >= 3 && s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f) {
		return 3; /* U+205F */
	}
	if (len >= 3 && s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80) {
		return 3; /* U+3000 */
	}
	return 0;
}

/* Length of the White_Space character that ends s[0..len), or 0. */
static size_t
space_before(const unsigned char *s, size_t len)
{
	size_t back = len < 3 ? len : 3;

	for (size_t k = 1; k <= back; k++) {
		if (space_at(s + len - k, k) == k) {
			return k;
		}
	}
	return 0;
}

static void
trim(const char *text, size_t *start, size_t *end)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t k;

	while (*start < *end && (k = space_at(s + *start, *end - *start)) > 0) {
		*start += k;
	}
	while (*end > *start && (k = space_before(s + *start, *end - *start)) > 0) {
		*end -= k;
	}
}

static json_t *
prediction(const struct peer *p, const char *id, const char *text, const struct peer_segs *segs)
{
	json_t *out = json_object();
	json_t *list;
	json_t *kinds = NULL;

	/* The object owns the arrays as soon as they are set; they are filled afterwards. */
	if (!out || json_object_set_new(out, "id", json_string(id)) < 0 ||
	    json_object_set_new(out, "segments", json_array()) < 0) {
		goto fail;
	}
	list = json_object_get(out, "segments");
	if (p->has_kinds) {
		if (json_object_set_new(out, "kinds", json_array()) < 0) {
			goto fail;
		}
		kinds = json_object_get(out, "kinds");
	}
	for (size_t i = 0; i < segs->n; i++) {
		size_t start = segs->v[i].start;
		size_t end = segs->v[i].end;
		const char *kind = segs->v[i].kind ? segs->v[i].kind : "none";

		trim(text, &start, &end);
		if (start == end) {
			continue;
		}
		if (json_array_append_new(list, json_stringn(text + start, end - start)) < 0) {
			goto fail;
		}
		if (kinds && json_array_append_new(kinds, json_string(kind)) < 0) {
			goto fail;
		}
	}
	return out;

fail:
	json_decref(out);
	return NULL;
}

static int
run_jsonl(const struct peer *p)
{
	struct peer_segs segs = {0};
	char *line = NULL;
	size_t line_cap = 0;
	ssize_t line_len;
	unsigned long line_no = 0;
	int status = 1;

	while ((line_len = getline(&line, &line_cap, stdin)) >= 0) {
		json_error_t jerr;
		json_t *in;
		json_t *out;
		const char *id;
		const char *text;
		size_t text_len;
		char *dumped;
		int r;

		line_no++;
		if (strspn(line, " \t\r\n") == (size_t)line_len) {
			continue;
		}
		in = json_loadb(line, (size_t)line_len, 0, &jerr);
		if (!in) {
			fprintf(stderr, "%s: stdin:%lu: %s\n", p->name, line_no, jerr.text);
			goto done;
		}
		id = json_string_value(json_object_get(in, "id"));
		text = json_string_value(json_object_get(in, "text"));
		if (!id || !text) {
			fprintf(stderr, "%s: stdin:%lu: no \"id\" or \"text\" string\n", p->name,
			        line_no);
			json_decref(in);
			goto done;
		}
		text_len = json_string_length(json_object_get(in, "text"));
		segs.n = 0;
		r = p->segment(p->ctx, text, text_len, &segs);
		if (r < 0) {
			fprintf(stderr, "%s: %s: %s\n", p->name, id, strerror(-r));
			json_decref(in);
			goto done;
		}
		out = prediction(p, id, text, &segs);
		dumped = out ? json_dumps(out, JSON_COMPACT) : NULL;
		json_decref(out);
		json_decref(in);
		if (!dumped) {
			fprintf(stderr, "%s: stdin:%lu: out of memory\n", p->name, line_no);
			goto done;
		}
		if (puts(dumped) == EOF) {
			free(dumped);
			fprintf(stderr, "%s: stdout: %s\n", p->name, strerror(errno));
			goto done;
		}
		free(dumped);
	}
	if (ferror(stdin)) {
		fprintf(stderr, "%s: stdin: %s\n", p->name, strerror(errno));
		goto done;
	}
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "%s: stdout: %s\n", p->name, strerror(errno));
		goto done;
	}
	status = 0;

done:
	free(line);
	free(segs.v);
	return status;
}

static int
read_file(const char *path, char **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0;
	size_t cap = 0;

	if (!f) {
		return -errno;
	}
	for (;;) {
		size_t got;

		if (cap - len < 65536) {
			size_t new_cap = cap ? cap * 2 : 1 << 20;
			char *b = realloc(buf, new_cap);

			if (!b) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = b;
			cap = new_cap;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0) {
			break;
		}
	}
	if (ferror(f)) {
		int r = -errno;

		free(buf);
		fclose(f);
		return r ? r : -EIO;
	}
	fclose(f);
	*ret = buf;
	*ret_len = len;
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct line {
	size_t start;
	size_t len;
};

/* The non-empty lines of text[0..len), without their '\n'. */
static int
split_lines(const char *text, size_t len, struct line **ret, size_t *ret_n)
{
	struct line *v = NULL;
	size_t n = 0;
	size_t cap = 0;
	size_t at = 0;

	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - text) : len;

		if (end > at) {
			if (n == cap) {
				size_t new_cap = cap ? cap * 2 : 4096;
				struct line *nv = realloc(v, new_cap * sizeof(*nv));

				if (!nv) {
					free(v);
					return -ENOMEM;
				}
				v = nv;
				cap = new_cap;
			}
			v[n++] = (struct line){.start = at, .len = end - at};
		}
		at = end + 1;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static int
run_throughput(const struct peer *p, const char *lang, const char *path, unsigned passes)
{
	struct peer_segs segs = {0};
	struct line *lines = NULL;
	size_t n_lines = 0;
	char *text = NULL;
	size_t len = 0;
	double best = 0;
	size_t n_segs = 0;
	int status = 1;
	int r;

	r = read_file(path, &text, &len);
	if (r < 0) {
		fprintf(stderr, "%s: %s: %s\n", p->name, path, strerror(-r));
		return 1;
	}
	r = split_lines(text, len, &lines, &n_lines);
	if (r < 0) {
		fprintf(stderr, "%s: %s: %s\n", p->name, path, strerror(-r));
		goto done;
	}
	for (unsigned i = 0; i < passes; i++) {
		double t0 = now_s();
		double t;

		n_segs = 0;
		for (size_t k = 0; k < n_lines; k++) {
			segs.n = 0;
			r = p->segment(p->ctx, text + lines[k].start, lines[k].len, &segs);
			if (r < 0) {
				fprintf(stderr, "%s: %s: line %zu: %s\n", p->name, path, k + 1,
				        strerror(-r));
				goto done;
			}
			n_segs += segs.n;
		}
		t = now_s() - t0;
		if (i == 0 || t < best) {
			best = t;
		}
	}
	printf("peer=%s lang=%s bytes=%zu lines=%zu passes=%u segments=%zu best_s=%.4f "
	       "mb_s=%.2f\n",
	       p->name, lang, len, n_lines, passes, n_segs, best,
	       best > 0 ? (double)len / 1e6 / best : 0.0);
	status = fflush(stdout) == EOF ? 1 : 0;

done:
	free(lines);
	free(segs.v);
	free(text);
	return status;
}

int
peer_main(const struct peer *p, const char *lang, const char *throughput_file, unsigned passes)
{
	if (throughput_file) {
		return run_throughput(p, lang, throughput_file, passes);
	}
	return run_jsonl(p);
}

int
peer_parse_args(int argc, char **argv, int first, const char **ret_lang,
                const char **ret_throughput_file, unsigned *ret_passes)
{
	const char *throughput_file = NULL;
	unsigned long passes = 3;
	int i = first;

	for (; i < argc && argv[i][0] == '-'; i++) {
		char *end;

		if (strcmp(argv[i], "--throughput") == 0 && i + 1 < argc) {
			throughput_file = argv[++i];
		} else if (strcmp(argv[i], "--passes") == 0 && i + 1 < argc) {
			errno = 0;
			passes = strtoul(argv[++i], &end, 10);
			if (errno || *end || passes < 1 || passes > MAX_PASSES) {
				fprintf(stderr, "%s: --passes: 1 to %d\n", argv[0], MAX_PASSES);
				return -EINVAL;
			}
		} else {
			break;
		}
	}
	if (i + 1 != argc) {
		fprintf(stderr,
		        "usage: %s [--throughput FILE [--passes N]] LANG\n"
		        "  without --throughput: JSON lines {\"id\",\"text\"} on stdin, "
		        "{\"id\",\"segments\"} on stdout\n",
		        argv[0]);
		return -EINVAL;
	}
	*ret_lang = argv[i];
	*ret_throughput_file = throughput_file;
	*ret_passes = (unsigned)passes;
	return 0;
}
