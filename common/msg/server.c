/* Serving a REP socket with the service's own threads: nng's callback pool is small and
 * shared, and a request that blocks (an fsync'd commit, a long lookup) must not stall it. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>

#include "log.h"
#include "msg.h"

struct server_thread {
	struct mnemo_msg_server *srv;
	pthread_t thread;
	nng_ctx ctx;
	nng_aio *aio;
	int started;
};

struct mnemo_msg_server {
	nng_socket sock;
	struct mnemo_msg_limits lim;
	const char *topic;
	mnemo_msg_handler handler;
	void *arg;
	atomic_int stopping;
	struct mnemo_msg_server_stats stats;
	unsigned n_threads;
	struct server_thread threads[];
};

/* Builds the reply to one received message; returns it encoded, or NULL to send nothing. */
static nng_msg *
answer(struct mnemo_msg_server *srv, nng_msg *in, struct mnemo_arena *arena)
{
	Mnemo__Envelope *req = NULL;
	Mnemo__Envelope reply;
	struct mnemo_fault fault;
	nng_msg *out = NULL;
	int r;

	mnemo_fault_clear(&fault);
	atomic_fetch_add(&srv->stats.requests, 1);
	r = mnemo_msg_decode(nng_msg_body(in), nng_msg_len(in), &srv->lim, arena, &req, &fault);
	mnemo_msg_envelope_init(&reply, req != NULL ? req->request_id : fault.request_id);
	if (r < 0) {
		atomic_fetch_add(&srv->stats.rejected, 1);
		mnemo_log_notice(srv->topic, "req=%016" PRIx64 " rejected: %s", reply.request_id,
				 fault.message);
	} else {
		r = srv->handler(srv->arg, req, &reply, arena, &fault);
		if (r < 0) {
			atomic_fetch_add(&srv->stats.failed, 1);
			if (fault.code == MNEMO__ERROR_CODE__ERROR_CODE_UNSPECIFIED) {
				mnemo_fault_set(&fault, mnemo_msg_code_from_errno(r), "", -1, "%s",
						mnemo_strerror(r));
			}
		}
	}
	if (r < 0 && mnemo_msg_set_error(&reply, arena, &fault) < 0) {
		return NULL;
	}
	r = mnemo_msg_encode(&reply, srv->lim.max_message_bytes, &out);
	if (r == -EMSGSIZE) {
		mnemo_fault_set(&fault, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, "", -1,
				"the reply would be over the message limit of %zu bytes",
				srv->lim.max_message_bytes);
		mnemo_msg_envelope_init(&reply, reply.request_id);
		if (mnemo_msg_set_error(&reply, arena, &fault) == 0) {
			r = mnemo_msg_encode(&reply, srv->lim.max_message_bytes, &out);
		}
	}
	return r < 0 ? NULL : out;
}

static void *
serve(void *arg)
{
	struct server_thread *t = arg;
	struct mnemo_msg_server *srv = t->srv;
	struct mnemo_arena arena;

	mnemo_arena_init(&arena, mnemo_msg_arena_limit(&srv->lim));
	while (!atomic_load(&srv->stopping)) {
		nng_msg *in, *out;
		int r;

		nng_ctx_recv(t->ctx, t->aio);
		nng_aio_wait(t->aio);
		r = nng_aio_result(t->aio);
		if (r == NNG_ECLOSED || r == NNG_ECANCELED) {
			break;
		}
		if (r != 0) {
			continue; /* a timeout or a pipe that went away: nothing to answer */
		}
		in = nng_aio_get_msg(t->aio);
		out = answer(srv, in, &arena);
		nng_msg_free(in);
		mnemo_arena_reset(&arena);
		if (out == NULL) {
			atomic_fetch_add(&srv->stats.dropped, 1);
			mnemo_log_warn(srv->topic, "reply could not be built, dropping it");
			continue;
		}
		nng_aio_set_msg(t->aio, out);
		nng_ctx_send(t->ctx, t->aio);
		nng_aio_wait(t->aio);
		if (nng_aio_result(t->aio) != 0) {
			/* The requester went away; its REQ resends elsewhere if it still cares. */
			nng_msg_free(out);
			atomic_fetch_add(&srv->stats.dropped, 1);
		}
	}
	mnemo_arena_fini(&arena);
	return NULL;
}

int
mnemo_msg_server_start(nng_socket rep, unsigned n_threads, const struct mnemo_msg_limits *lim,
		       const char *topic, mnemo_msg_handler handler, void *arg,
		       struct mnemo_msg_server **ret)
{
	struct mnemo_msg_server *srv;
	int r = 0;

	if (n_threads == 0) {
		return -EINVAL;
	}
	srv = calloc(1, sizeof(*srv) + n_threads * sizeof(srv->threads[0]));
	if (srv == NULL) {
		return -ENOMEM;
	}
	srv->sock = rep;
	srv->lim = *lim;
	srv->topic = topic;
	srv->handler = handler;
	srv->arg = arg;
	srv->n_threads = n_threads;
	for (unsigned i = 0; i < n_threads && r == 0; i++) {
		struct server_thread *t = &srv->threads[i];

		t->srv = srv;
		r = mnemo_err_from_nng(nng_aio_alloc(&t->aio, NULL, NULL));
		if (r == 0) {
			r = mnemo_err_from_nng(nng_ctx_open(&t->ctx, rep));
			if (r < 0) {
				nng_aio_free(t->aio);
				t->aio = NULL;
			}
		}
		if (r == 0) {
			r = -pthread_create(&t->thread, NULL, serve, t);
			t->started = r == 0;
		}
	}
	if (r < 0) {
		mnemo_msg_server_stop(srv);
		return r;
	}
	*ret = srv;
	return 0;
}

void
mnemo_msg_server_stop(struct mnemo_msg_server *srv)
{
	if (srv == NULL) {
		return;
	}
	atomic_store(&srv->stopping, 1);
	for (unsigned i = 0; i < srv->n_threads; i++) {
		struct server_thread *t = &srv->threads[i];

		if (t->aio != NULL) {
			nng_ctx_close(t->ctx); /* aborts a pending receive with NNG_ECLOSED */
		}
	}
	for (unsigned i = 0; i < srv->n_threads; i++) {
		struct server_thread *t = &srv->threads[i];

		if (t->started) {
			pthread_join(t->thread, NULL);
		}
		nng_aio_free(t->aio);
	}
	free(srv);
}

const struct mnemo_msg_server_stats *
mnemo_msg_server_stats(const struct mnemo_msg_server *srv)
{
	return &srv->stats;
}
