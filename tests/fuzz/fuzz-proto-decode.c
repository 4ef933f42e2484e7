/* Any bytes as an nng message: decoding must refuse or accept, never crash, leak or read
 * out of bounds, and an accepted message must encode again. */
#include <stdint.h>
#include <stdlib.h>

#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mnemo_msg_limits lim = mnemo_msg_client_limits;
	struct mnemo_arena arena;
	struct mnemo_fault f;
	Mnemo__Envelope *env;
	nng_msg *msg;

	lim.max_list = 1000;
	mnemo_arena_init(&arena, mnemo_msg_arena_limit(&lim));
	mnemo_fault_clear(&f);
	if (mnemo_msg_decode(data, size, &lim, &arena, &env, &f) == 0 &&
	    mnemo_msg_encode(env, lim.max_message_bytes * 2, &msg) == 0) {
		nng_msg_free(msg);
	}
	mnemo_arena_fini(&arena);
	return 0;
}
