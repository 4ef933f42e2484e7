/* Batch alignment jobs: runner threads lease one document at a time from the store, align
 * it as POST /v1/align does (fetching, segmenting, storing under the document's own key),
 * and report the outcome. A runner that dies holds its lease until it expires; the store
 * then offers the document again, and gives it up after a few attempts. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "internal.h"
#include "log.h"

enum { IDLE_WAIT_MS = 500, STORE_RETRY_MS = 1000 };

struct gateway_jobs {
	struct gateway *gw;
	uint32_t lease_ms;
	pthread_t *threads;
	unsigned n_threads;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stopping;
	int poked; /* work was added: look now */
	char runner[64];
};

/* Errors worth another attempt elsewhere or later: nobody was there to answer. Not a
 * document's URL that timed out: it would stall as long again, each time. */
static int
transient(const Mnemo__Error *err)
{
	const char *field = err->field != NULL ? err->field : "";
	size_t len = strlen(field);

	if (err->code == MNEMO__ERROR_CODE__ERROR_CODE_TIMEOUT && len >= 4 &&
	    strcmp(field + len - 4, ".url") == 0) {
		return 0;
	}
	return err->code == MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE ||
	       err->code == MNEMO__ERROR_CODE__ERROR_CODE_TIMEOUT ||
	       err->code == MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL;
}

/* Sleeps up to ms unless stopped or poked; returns whether to stop. */
static int
idle(struct gateway_jobs *jobs, uint32_t ms)
{
	struct timespec until;
	int stop;

	mnemo_clock_deadline(&until, ms);
	pthread_mutex_lock(&jobs->lock);
	while (!jobs->stopping && !jobs->poked &&
	       pthread_cond_timedwait(&jobs->wake, &jobs->lock, &until) == 0) {
	}
	jobs->poked = 0;
	stop = jobs->stopping;
	pthread_mutex_unlock(&jobs->lock);
	return stop;
}

static int
store_call(struct gateway_jobs *jobs, Mnemo__Envelope__BodyCase body, ProtobufCMessage *m,
	   Mnemo__Envelope *reply, struct mnemo_arena *arena, struct mnemo_fault *f)
{
	return gateway_request(jobs->gw, GATEWAY_STORE, body, m, 0, 0, reply, arena, f);
}

/* Aligns one leased document and says how it went. */
static void
run(struct gateway_jobs *jobs, const Mnemo__JobLeaseReply *task, struct mnemo_arena *arena)
{
	Mnemo__JobDoneRequest done = MNEMO__JOB_DONE_REQUEST__INIT;
	Mnemo__Envelope req, reply, ack;
	Mnemo__Error err = MNEMO__ERROR__INIT;
	struct mnemo_fault f, store_f;
	uint64_t t0 = mnemo_clock_ms();
	int r;

	mnemo_fault_clear(&f);
	mnemo_msg_envelope_init(&req, mnemo_msg_new_request_id());
	mnemo_msg_set_body(&req, MNEMO__ENVELOPE__BODY_ALIGN_REQUEST, &task->request->base);
	mnemo_msg_envelope_init(&reply, req.request_id);
	r = gateway_align(jobs->gw, &req, &reply, arena, &f);
	done.job_id = task->job_id;
	done.document = task->document;
	done.lease = task->lease;
	if (r == 0 && reply.body_case == MNEMO__ENVELOPE__BODY_ALIGN_REPLY) {
		done.result = reply.align_reply;
	} else {
		if (r == 0 && reply.body_case == MNEMO__ENVELOPE__BODY_ERROR) {
			err = *reply.error;
		} else {
			err.code = f.code != MNEMO__ERROR_CODE__ERROR_CODE_UNSPECIFIED
					   ? f.code
					   : mnemo_msg_code_from_errno(r < 0 ? r : -EIO);
			err.message = f.message[0] ? f.message : (char *)mnemo_strerror(r);
			err.field = f.field;
			err.offset = f.offset;
		}
		done.error = &err;
		done.retry = transient(&err);
	}
	mnemo_log_info("gateway", "job %s document %u (%s), attempt %u: %s%s in %" PRIu64 " ms",
		       task->job_id, task->document, task->name, task->attempt,
		       done.result != NULL ? "aligned" : done.retry ? "will retry: " : "failed: ",
		       done.result != NULL ? "" : mnemo_msg_code_name(err.code),
		       mnemo_clock_ms() - t0);
	/* The outcome must reach the store: until it does, the lease would run out and the
	 * document be aligned again (harmless, but wasted). */
	for (;;) {
		mnemo_fault_clear(&store_f);
		r = store_call(jobs, MNEMO__ENVELOPE__BODY_JOB_DONE_REQUEST, &done.base, &ack, arena,
			       &store_f);
		if (r == 0 || idle(jobs, STORE_RETRY_MS)) {
			break;
		}
		mnemo_log_warn("gateway", "job %s document %u: telling the store failed: %s",
			       task->job_id, task->document, store_f.message);
	}
	if (r == 0 && !ack.job_done_reply->accepted) {
		mnemo_log_warn("gateway", "job %s document %u: the lease had run out; another "
					  "runner took it",
			       task->job_id, task->document);
	}
}

static void *
runner(void *arg)
{
	struct gateway_jobs *jobs = arg;
	struct mnemo_arena arena;

	mnemo_arena_init(&arena, 0);
	for (;;) {
		Mnemo__JobLeaseRequest lr = MNEMO__JOB_LEASE_REQUEST__INIT;
		Mnemo__Envelope reply;
		struct mnemo_fault f;
		int r;

		mnemo_arena_reset(&arena);
		pthread_mutex_lock(&jobs->lock);
		r = jobs->stopping;
		pthread_mutex_unlock(&jobs->lock);
		if (r) {
			break;
		}
		lr.runner = jobs->runner;
		lr.lease_ms = jobs->lease_ms;
		mnemo_fault_clear(&f);
		r = store_call(jobs, MNEMO__ENVELOPE__BODY_JOB_LEASE_REQUEST, &lr.base, &reply,
			       &arena, &f);
		if (r < 0 || reply.job_lease_reply->job_id[0] == '\0') {
			if (idle(jobs, r < 0 ? STORE_RETRY_MS : IDLE_WAIT_MS)) {
				break;
			}
			continue;
		}
		run(jobs, reply.job_lease_reply, &arena);
	}
	mnemo_arena_fini(&arena);
	return NULL;
}

int
gateway_jobs_start(struct gateway *gw, unsigned n_threads, uint32_t lease_ms,
		   struct gateway_jobs **ret)
{
	struct gateway_jobs *jobs = calloc(1, sizeof(*jobs));
	int r = 0;

	if (jobs == NULL || (jobs->threads = calloc(n_threads + 1, sizeof(pthread_t))) == NULL) {
		free(jobs);
		return -ENOMEM;
	}
	jobs->gw = gw;
	jobs->lease_ms = lease_ms;
	snprintf(jobs->runner, sizeof(jobs->runner), "gateway-%d", (int)getpid());
	pthread_mutex_init(&jobs->lock, NULL);
	mnemo_cond_init(&jobs->wake);
	for (unsigned i = 0; r == 0 && i < n_threads; i++) {
		r = -pthread_create(&jobs->threads[i], NULL, runner, jobs);
		jobs->n_threads += r == 0;
	}
	if (r < 0) {
		gateway_jobs_stop(jobs);
		return r;
	}
	*ret = jobs;
	return 0;
}

void
gateway_jobs_poke(struct gateway_jobs *jobs)
{
	if (jobs == NULL) {
		return;
	}
	pthread_mutex_lock(&jobs->lock);
	jobs->poked = 1;
	pthread_cond_broadcast(&jobs->wake);
	pthread_mutex_unlock(&jobs->lock);
}

void
gateway_jobs_stop(struct gateway_jobs *jobs)
{
	if (jobs == NULL) {
		return;
	}
	pthread_mutex_lock(&jobs->lock);
	jobs->stopping = 1;
	pthread_cond_broadcast(&jobs->wake);
	pthread_mutex_unlock(&jobs->lock);
	for (unsigned i = 0; i < jobs->n_threads; i++) {
		pthread_join(jobs->threads[i], NULL);
	}
	pthread_cond_destroy(&jobs->wake);
	pthread_mutex_destroy(&jobs->lock);
	free(jobs->threads);
	free(jobs);
}
