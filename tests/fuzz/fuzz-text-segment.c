/* Any bytes as text to segment (French, English, and a language without a list): valid
 * UTF-8 must segment into ordered, in-bounds, non-overlapping segments. */
#include <stdint.h>
#include <stdlib.h>

#include "segment.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const langs[] = {"fr", "en", "de"};
	size_t off;

	if (mnemo_text_check_utf8((const char *)data, size, &off) < 0) {
		return 0;
	}
	for (size_t i = 0; i < 3; i++) {
		struct mnemo_segmenter *sg;
		struct mnemo_seg *segs;
		size_t n;
		uint32_t prev_end = 0;

		if (mnemo_segmenter_new(langs[i], &sg) < 0) {
			abort();
		}
		if (mnemo_segmenter_run(sg, (const char *)data, size, &segs, &n) == 0) {
			for (size_t k = 0; k < n; k++) {
				if (segs[k].start < prev_end || segs[k].end <= segs[k].start ||
				    segs[k].end > size) {
					abort();
				}
				prev_end = segs[k].end;
			}
			free(segs);
		}
		mnemo_segmenter_free(sg);
	}
	return 0;
}
