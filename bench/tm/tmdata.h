/* What the translation-memory benchmark's programs share: the memory and query files that
 * make-memory writes (see README.md), the reference file mnemo-tmref writes, clocks and
 * memory figures. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct tm_unit {
	uint32_t id;          /* 1.., the line number in memory.tsv */
	char src_lang[8];     /* "en" */
	char tgt_lang[8];     /* fr, de, es, it */
	const char *source;   /* NUL-terminated, unescaped */
	const char *target;
	size_t source_len;
	const char *origin;  /* package/domain, or "synthetic" */
	const char *context; /* gettext msgctxt, "" for none */
};

enum tm_set { SET_EXACT, SET_CHANGED, SET_SYNTHETIC, SET_NOMATCH, N_SETS };
extern const char *const tm_set_names[N_SETS];

struct tm_query {
	uint32_t qid;
	enum tm_set set;
	char src_lang[8];
	char tgt_lang[8];
	const char *text;
	size_t len;
	/* From the reference file, when read: the best score over the memory (0: none
	 * shares a word) and how many units reach it. */
	int ref_best;
	uint32_t ref_n_best;
};

struct tm_data {
	struct tm_unit *units;
	size_t n_units;
	struct tm_query *queries;
	size_t n_queries;
	char **bufs; /* the files' contents, which the strings point into */
	size_t n_bufs;
};

/* Reads the first max_units units of memory.tsv (all when 0). Exits on error: these are
 * benchmark programs. */
void tm_load_memory(struct tm_data *d, const char *path, size_t max_units);
/* Appends the queries of a queries-*.tsv file. */
void tm_load_queries(struct tm_data *d, const char *path);
/* Fills ref_best and ref_n_best from a reference file; exits if a query is missing. */
void tm_load_reference(struct tm_data *d, const char *path);
void tm_data_free(struct tm_data *d);

double tm_now_s(void);           /* CLOCK_MONOTONIC */
long tm_rss_kib(const char *key); /* "VmRSS:", "VmHWM:" from /proc/self/status, -1 if absent */
void tm_reset_peak_rss(void);     /* writes 5 to /proc/self/clear_refs: VmHWM = VmRSS */
size_t tm_heap_bytes(void);       /* malloc's bytes in use (mallinfo2: arena + mmapped) */
