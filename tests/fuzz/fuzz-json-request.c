/* Any bytes as an HTTP body for each request type: parsing and mapping to protobuf must
 * refuse or accept, never crash, leak or read out of bounds. */
#include <stdint.h>
#include <stdlib.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const ProtobufCMessageDescriptor *const types[] = {
		&mnemo__segment_request__descriptor, &mnemo__lookup_request__descriptor,
		&mnemo__unit_add_request__descriptor, &mnemo__unit_update_request__descriptor,
		&mnemo__updates_request__descriptor,
	};
	struct mnemo_arena arena;
	struct mnemo_fault f;
	json_t *doc;

	if (mnemo_json_parse((const char *)data, size, &doc, &f) < 0) {
		return 0;
	}
	mnemo_arena_init(&arena, 64u << 20);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		ProtobufCMessage *m;

		if (mnemo_json_to_message(doc, types[i], &arena, &m, &f) == 0) {
			size_t len;
			char *text = mnemo_json_write(m, NULL, &len);
			json_t *back = NULL;

			/* what the gateway writes, a client can read */
			if (text != NULL && mnemo_json_parse(text, len, &back, &f) < 0) {
				abort();
			}
			json_decref(back);
			free(text);
		}
		mnemo_arena_reset(&arena);
	}
	mnemo_arena_fini(&arena);
	json_decref(doc);
	return 0;
}
