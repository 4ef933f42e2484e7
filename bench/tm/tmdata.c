/* Reading the benchmark's files (formats: tm-prep.pl's header), clocks, memory figures. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tmdata.h"

const char *const tm_set_names[N_SETS] = {"exact", "changed", "synthetic", "nomatch"};

static void
die(const char *what, const char *path)
{
	fprintf(stderr, "tmdata: %s %s\n", what, path);
	exit(1);
}

static char *
read_file(struct tm_data *d, const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		die("cannot read", path);
	}
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		die("cannot read", path);
	}
	fclose(f);
	buf[n] = '\0';
	d->bufs = realloc(d->bufs, (d->n_bufs + 1) * sizeof(*d->bufs));
	if (!d->bufs) {
		die("out of memory reading", path);
	}
	d->bufs[d->n_bufs++] = buf;
	*ret_len = (size_t)n;
	return buf;
}

/* Unescapes s in place (\\ \t \n \r); returns the new length. */
static size_t
unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (*r == '\\' && r[1]) {
			r++;
			*w++ = *r == 't' ? '\t' : *r == 'n' ? '\n' : *r == 'r' ? '\r' : *r;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* Splits line (modified in place) at tabs into at most max fields; returns how many. */
static int
split(char *line, char **f, int max)
{
	int n = 0;

	f[n++] = line;
	for (char *p = line; *p && n < max; p++) {
		if (*p == '\t') {
			*p = '\0';
			f[n++] = p + 1;
		}
	}
	return n;
}

static void
copy_lang(char *dst, const char *src)
{
	snprintf(dst, 8, "%s", src);
}

void
tm_load_memory(struct tm_data *d, const char *path, size_t max_units)
{
	size_t len, cap = 0;
	char *buf = read_file(d, path, &len), *line = buf, *next;

	while (*line && (max_units == 0 || d->n_units < max_units)) {
		char *f[7];
		struct tm_unit *u;
		int n_fields;

		next = strchr(line, '\n');
		if (next) {
			*next++ = '\0';
		} else {
			next = line + strlen(line);
		}
		n_fields = split(line, f, 7);
		if (n_fields < 5) {
			die("bad line in", path);
		}
		if (d->n_units == cap) {
			cap = cap ? 2 * cap : 1 << 16;
			d->units = realloc(d->units, cap * sizeof(*d->units));
			if (!d->units) {
				die("out of memory reading", path);
			}
		}
		u = &d->units[d->n_units++];
		u->id = (uint32_t)strtoul(f[0], NULL, 10);
		copy_lang(u->src_lang, f[1]);
		copy_lang(u->tgt_lang, f[2]);
		u->source = f[3];
		u->source_len = unescape(f[3]);
		u->target = f[4];
		unescape(f[4]);
		u->origin = "";
		u->context = "";
		if (n_fields > 5) {
			unescape(f[5]);
			u->origin = f[5];
		}
		if (n_fields > 6) {
			unescape(f[6]);
			u->context = f[6];
		}
		line = next;
	}
}

void
tm_load_queries(struct tm_data *d, const char *path)
{
	size_t len;
	char *buf = read_file(d, path, &len), *line = buf, *next;

	while (*line) {
		char *f[6];
		struct tm_query *q;
		int s;

		next = strchr(line, '\n');
		if (next) {
			*next++ = '\0';
		} else {
			next = line + strlen(line);
		}
		if (split(line, f, 6) < 5) {
			die("bad line in", path);
		}
		d->queries = realloc(d->queries, (d->n_queries + 1) * sizeof(*d->queries));
		if (!d->queries) {
			die("out of memory reading", path);
		}
		q = &d->queries[d->n_queries++];
		memset(q, 0, sizeof(*q));
		q->qid = (uint32_t)strtoul(f[0], NULL, 10);
		for (s = 0; s < N_SETS && strcmp(f[1], tm_set_names[s]) != 0; s++) {
		}
		if (s == N_SETS) {
			die("unknown query set in", path);
		}
		q->set = (enum tm_set)s;
		copy_lang(q->src_lang, f[2]);
		copy_lang(q->tgt_lang, f[3]);
		q->text = f[4];
		q->len = unescape(f[4]);
		q->ref_best = -1;
		line = next;
	}
}

void
tm_load_reference(struct tm_data *d, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096];

	if (!f) {
		die("cannot read", path);
	}
	/* qid best n_best units... ; queries are few, so a linear search per line is fine
	 * once they are indexed by qid. */
	uint32_t max_qid = 0;
	for (size_t i = 0; i < d->n_queries; i++) {
		max_qid = d->queries[i].qid > max_qid ? d->queries[i].qid : max_qid;
	}
	struct tm_query **by_qid = calloc(max_qid + 1, sizeof(*by_qid));
	for (size_t i = 0; i < d->n_queries; i++) {
		by_qid[d->queries[i].qid] = &d->queries[i];
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long qid, best, n_best;

		if (line[0] == '#' || sscanf(line, "%lu\t%lu\t%lu", &qid, &best, &n_best) != 3) {
			continue;
		}
		if (qid <= max_qid && by_qid[qid]) {
			by_qid[qid]->ref_best = (int)best;
			by_qid[qid]->ref_n_best = (uint32_t)n_best;
		}
	}
	fclose(f);
	free(by_qid);
	for (size_t i = 0; i < d->n_queries; i++) {
		if (d->queries[i].ref_best < 0) {
			die("run mnemo-tmref again: no queries in", path);
		}
	}
}

void
tm_data_free(struct tm_data *d)
{
	for (size_t i = 0; i < d->n_bufs; i++) {
		free(d->bufs[i]);
	}
	free(d->bufs);
	free(d->units);
	free(d->queries);
	memset(d, 0, sizeof(*d));
}

double
tm_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long
tm_rss_kib(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	size_t n = strlen(key);

	if (!f) {
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, n) == 0) {
			v = strtol(line + n, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

void
tm_reset_peak_rss(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");

	if (f) {
		fputs("5", f);
		fclose(f);
	}
}

size_t
tm_heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}
