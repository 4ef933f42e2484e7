/* The segmenter service: SegmentRequest in, segments out (common/text/document.c does the
 * work: encodings, HTML, language, sentences, kinds). Stateless; it dials the gateway, and
 * every segmenter that dials in takes a share of the requests. */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum { SEGMENTER_URL_MAX = 512 };

struct segmenter_config {
	char dial_url[SEGMENTER_URL_MAX]; /* [segmenter] dial: the gateway's segmenters URL */
	uint32_t threads;                 /* [segmenter] threads, default 2 */
	uint64_t max_message_bytes;       /* [segmenter] max_message_bytes, default 64 MiB */
	char srx_path[1024];        /* [segmenter] srx: SRX 2.0 rules over the built-in ones */
	uint32_t delay_ms; /* [segmenter] delay_ms, default 0: hold each request this long
			    * before answering (fault-injection tests only) */
};

void segmenter_config_init(struct segmenter_config *cfg);

struct segmenter;

/* Returns 0, or a negative errno with err saying what failed (an SRX file's error names
 * its line). */
int segmenter_start(const struct segmenter_config *cfg, struct segmenter **ret, char *err,
		    size_t err_size);
void segmenter_stop(struct segmenter *sg);
