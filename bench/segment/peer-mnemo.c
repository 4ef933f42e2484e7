/* mnemo as one of the peers (see peer.h for the modes), linked against the project's static
 * libraries as the services are.
 *
 *   peer-mnemo [--segmenter] [--throughput FILE [--passes N]] LANG
 *
 * By default each text goes through mnemo_doc_segment (common/text/document.h), the
 * pipeline the segmenter service runs and tests/unit/test-gold.c scores: input checks and
 * NFC, the sentence segmenter, then the kinds of paragraphs (boilerplate, foreign, with
 * CLD2). The peer is called "mnemo". With --segmenter only the sentence segmenter runs
 * (mnemo_segmenter_run, common/text/segment.h), as "mnemo-seg": the part comparable to the
 * other peers, which find sentences and nothing else.
 *
 * Each prediction carries "kinds" beside "segments": sentence, heading, boilerplate,
 * foreign:LANG (kinds this file does not know yet print as "kind-N"). */
#include "peer.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "document.h"
#include "segment.h"

enum { MAX_FOREIGN = 64 };

/* "foreign:LANG" strings, made once per language and kept for the run. */
static char foreign_names[MAX_FOREIGN][32];
static size_t n_foreign;

static const char *
foreign_name(const char *lang)
{
	char name[32];

	if (!lang || !lang[0]) {
		return "foreign";
	}
	snprintf(name, sizeof(name), "foreign:%s", lang);
	for (size_t i = 0; i < n_foreign; i++) {
		if (strcmp(foreign_names[i], name) == 0) {
			return foreign_names[i];
		}
	}
	if (n_foreign == MAX_FOREIGN) {
		return "foreign";
	}
	memcpy(foreign_names[n_foreign], name, sizeof(name));
	return foreign_names[n_foreign++];
}

static const char *
kind_name(enum mnemo_seg_kind kind, const char *lang)
{
	static char unknown[32][16];

	switch (kind) {
	case MNEMO_SEG_SENTENCE:
		return "sentence";
	case MNEMO_SEG_HEADING:
		return "heading";
	case MNEMO_SEG_BOILERPLATE:
		return "boilerplate";
	case MNEMO_SEG_FOREIGN:
		return foreign_name(lang);
	default:
		/* A kind added since: named by number, one static string per value. */
		if ((unsigned)kind < 32) {
			snprintf(unknown[kind], sizeof(unknown[kind]), "kind-%u", (unsigned)kind);
			return unknown[kind];
		}
		return "kind-other";
	}
}

static int
segmenter_segment(void *ctx, const char *text, size_t len, struct peer_segs *segs)
{
	struct mnemo_seg *v = NULL;
	size_t n = 0;
	int r;

	r = mnemo_segmenter_run(ctx, text, len, &v, &n);
	if (r < 0) {
		return r;
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		r = peer_segs_push(segs, v[i].start, v[i].end, kind_name(v[i].kind, NULL));
	}
	free(v);
	return r;
}

struct doc_peer {
	struct mnemo_doc_segmenter *ds;
	struct mnemo_doc_opts opts;
};

static int
doc_segment(void *ctx, const char *text, size_t len, struct peer_segs *segs)
{
	struct doc_peer *dp = ctx;
	struct mnemo_doc_result res;
	size_t bad = 0;
	int r;

	r = mnemo_doc_segment(dp->ds, text, len, &dp->opts, &res, &bad);
	if (r < 0) {
		return r;
	}
	/* Offsets into the input, which is what the peers are given. */
	for (size_t i = 0; i < res.n && r == 0; i++) {
		const struct mnemo_doc_segment *s = &res.segs[i];

		r = peer_segs_push(segs, s->orig_start, s->orig_end, kind_name(s->kind, s->lang));
	}
	mnemo_doc_result_fini(&res);
	return r;
}

int
main(int argc, char **argv)
{
	struct mnemo_segmenter *sg = NULL;
	struct doc_peer dp = {0};
	struct peer p = {.name = "mnemo", .has_kinds = true};
	const char *lang;
	const char *throughput_file;
	unsigned passes;
	bool segmenter_only = argc > 1 && strcmp(argv[1], "--segmenter") == 0;
	int first = segmenter_only ? 2 : 1;
	int r;

	if (peer_parse_args(argc, argv, first, &lang, &throughput_file, &passes) < 0) {
		return 2;
	}
	if (segmenter_only) {
		r = mnemo_segmenter_new(lang, &sg);
		if (r < 0) {
			fprintf(stderr, "mnemo-seg: mnemo_segmenter_new(\"%s\"): %s\n", lang,
			        strerror(-r));
			return 1;
		}
		p.name = "mnemo-seg";
		p.ctx = sg;
		p.segment = segmenter_segment;
	} else {
		r = mnemo_doc_segmenter_new(&dp.ds);
		if (r < 0) {
			fprintf(stderr, "mnemo: mnemo_doc_segmenter_new: %s\n", strerror(-r));
			return 1;
		}
		dp.opts = (struct mnemo_doc_opts){.lang = lang, .format = MNEMO_TEXT_PLAIN};
		p.ctx = &dp;
		p.segment = doc_segment;
	}
	r = peer_main(&p, lang, throughput_file, passes);
	mnemo_segmenter_free(sg);
	mnemo_doc_segmenter_free(dp.ds);
	return r;
}
