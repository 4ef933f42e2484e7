/* One request and its reply over a REQ socket, with a deadline. */
#include <errno.h>

#include "clock.h"
#include "msg.h"

int
mnemo_msg_call(nng_socket req, const Mnemo__Envelope *request, uint32_t timeout_ms,
	       const struct mnemo_msg_limits *lim, struct mnemo_arena *arena,
	       Mnemo__Envelope **ret_reply, struct mnemo_fault *f)
{
	uint64_t deadline = mnemo_clock_ms() + timeout_ms;
	Mnemo__Envelope *reply = NULL;
	nng_msg *msg = NULL;
	nng_aio *aio = NULL;
	nng_ctx ctx;
	uint64_t now;
	int r;

	r = mnemo_msg_encode(request, lim->max_message_bytes, &msg);
	if (r < 0) {
		return r;
	}
	r = mnemo_err_from_nng(nng_ctx_open(&ctx, req));
	if (r < 0) {
		nng_msg_free(msg);
		return r;
	}
	r = mnemo_err_from_nng(nng_aio_alloc(&aio, NULL, NULL));
	if (r < 0) {
		nng_msg_free(msg);
		goto out;
	}
	nng_aio_set_msg(aio, msg);
	nng_aio_set_timeout(aio, (nng_duration)timeout_ms);
	nng_ctx_send(ctx, aio);
	nng_aio_wait(aio);
	r = mnemo_err_from_nng(nng_aio_result(aio));
	if (r < 0) {
		nng_msg_free(nng_aio_get_msg(aio)); /* not sent: still ours */
		goto out;
	}
	now = mnemo_clock_ms();
	if (now >= deadline) {
		r = -ETIMEDOUT;
		goto out;
	}
	nng_aio_set_timeout(aio, (nng_duration)(deadline - now));
	nng_ctx_recv(ctx, aio);
	nng_aio_wait(aio);
	r = mnemo_err_from_nng(nng_aio_result(aio));
	if (r < 0) {
		goto out;
	}
	msg = nng_aio_get_msg(aio);
	r = mnemo_msg_decode(nng_msg_body(msg), nng_msg_len(msg), lim, arena, &reply, f);
	nng_msg_free(msg);
	if (r < 0) {
		r = -EPROTO;
		goto out;
	}
	if (reply->request_id != request->request_id) {
		r = -EPROTO;
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL, "request_id", -1,
				"reply carries another request id");
		goto out;
	}
	*ret_reply = reply;
out:
	nng_aio_free(aio);
	nng_ctx_close(ctx);
	return r;
}
