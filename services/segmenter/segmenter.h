/* The segmenter service: SegmentRequest in, sentences with byte offsets out. Stateless;
 * it dials the gateway, and every segmenter that dials in takes a share of the requests. */
#pragma once

#include <stdint.h>

enum { SEGMENTER_URL_MAX = 512 };

struct segmenter_config {
	char dial_url[SEGMENTER_URL_MAX]; /* [segmenter] dial: the gateway's segmenters URL */
	uint32_t threads;                 /* [segmenter] threads, default 2 */
	uint64_t max_message_bytes;       /* [segmenter] max_message_bytes, default 64 MiB */
	uint32_t delay_ms; /* [segmenter] delay_ms, default 0: hold each request this long
			    * before answering (fault-injection tests only) */
};

void segmenter_config_init(struct segmenter_config *cfg);

struct segmenter;

int segmenter_start(const struct segmenter_config *cfg, struct segmenter **ret);
void segmenter_stop(struct segmenter *sg);
