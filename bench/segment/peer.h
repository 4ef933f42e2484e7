/* What the C peers of bench/segment share: the JSON-lines exchange with mnemo-segscore
 * and the throughput loop. A peer is one segment() callback; peer_main() does the rest.
 *
 *   PEER LANG < cases.jsonl > predictions.jsonl
 *       reads {"id","category","text"} lines, prints {"id","segments":[...]} lines (and
 *       "kinds":[...] when the peer has kinds), in input order
 *   PEER --throughput FILE [--passes N] LANG
 *       segments FILE (UTF-8, one paragraph per line) one line at a time, the whole file
 *       N times (default 3), and prints one line:
 *       peer=NAME lang=LANG bytes=B lines=L passes=N segments=S best_s=T mb_s=R
 *       (B is the file's size, line breaks included; MB = 10^6 bytes; the fastest pass
 *       counts; reading the file and finding its lines are not timed)
 *
 * Segments are written as substrings of the text with the white space around them
 * trimmed; a segment that is only white space is dropped. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct peer_seg {
	size_t start; /* byte offsets into the text: [start, end) */
	size_t end;
	const char *kind; /* static string, or NULL when the peer has no kinds */
};

struct peer_segs {
	struct peer_seg *v;
	size_t n;
	size_t cap;
};

/* Appends one segment; returns 0 or -ENOMEM. */
int peer_segs_push(struct peer_segs *segs, size_t start, size_t end, const char *kind);

struct peer {
	const char *name; /* "icu", "icu-ss", "mnemo" */
	bool has_kinds;
	void *ctx;
	/* Appends the segments of text[0..len) (valid UTF-8) to segs, in order. Returns 0 or
	 * a negative errno. */
	int (*segment)(void *ctx, const char *text, size_t len, struct peer_segs *segs);
};

/* Runs p, whose ctx is set up for lang: over the JSON lines on stdin, or over
 * throughput_file when it is not NULL. Returns the exit status: 0, or 1 after saying why
 * on stderr. */
int peer_main(const struct peer *p, const char *lang, const char *throughput_file, unsigned passes);

/* Parses [--throughput FILE] [--passes N] LANG from argv[first..argc). Returns 0, or
 * -EINVAL after printing usage (with prog) to stderr. */
int peer_parse_args(int argc, char **argv, int first, const char **ret_lang,
                    const char **ret_throughput_file, unsigned *ret_passes);
