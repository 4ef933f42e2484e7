/* The gateway: routing requests to workers and the store, relaying the change feed. */
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

enum { MAX_WAIT_MS = 60000, STATUS_RETRY_MS = 200, PEER_GRACE_MS = 3000 };

void
gateway_config_init(struct gateway_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->http_addr, sizeof(cfg->http_addr), "127.0.0.1:8700");
	snprintf(cfg->nng_url, sizeof(cfg->nng_url), "tcp://127.0.0.1:8701");
	snprintf(cfg->pub_url, sizeof(cfg->pub_url), "tcp://127.0.0.1:8702");
	snprintf(cfg->segmenters_url, sizeof(cfg->segmenters_url), "tcp://127.0.0.1:8703");
	snprintf(cfg->aligners_url, sizeof(cfg->aligners_url), "tcp://127.0.0.1:8704");
	snprintf(cfg->store_url, sizeof(cfg->store_url), "tcp://127.0.0.1:8705");
	snprintf(cfg->store_pub_url, sizeof(cfg->store_pub_url), "tcp://127.0.0.1:8706");
	cfg->timeout_ms = 30000;
	cfg->resend_ms = 5000;
	cfg->threads = 4;
	cfg->max_connections = 256;
	cfg->idle_timeout_s = 30;
	cfg->header_timeout_s = 10;
	cfg->body_timeout_s = 30;
	cfg->heartbeat_ms = 1000;
	cfg->pub_queue = 1024;
	cfg->max_body_bytes = 4u << 20;
	cfg->max_message_bytes = 4u << 20;
	cfg->backend_max_message_bytes = 64u << 20;
	cfg->max_import_bytes = 0;
	cfg->import_timeout_ms = 3600000;
	cfg->job_runners = 2;
	cfg->job_lease_ms = 300000;
	cfg->fetch_timeout_ms = 60000;
	cfg->max_fetch_bytes = 64u << 20;
}

/* A REQ socket towards one kind of peer: workers dial in to it, or it dials the store. */
struct backend {
	const char *name; /* "segmenter", "aligner", "store": for messages */
	nng_socket sock;
	int open;
	struct mnemo_msg_peers peers;
};

struct gateway {
	struct gateway_config cfg;
	struct mnemo_msg_limits client_lim, backend_lim;
	struct backend segmenters, aligners, store;
	/* Imports' own socket to the store, which resends only when the connection drops: a
	 * commit takes minutes, and resends every resend_ms would each hold one of the
	 * store's request threads until it ends, until none is left for anyone else. */
	struct backend store_imports;

	nng_socket front; /* nng clients' requests */
	int has_front;
	struct mnemo_msg_server *front_server;
	nng_socket pub; /* the relayed change feed */
	int has_pub;

	struct mnemo_feed *_Atomic feed; /* set by the relay thread once it follows the store */
	_Atomic uint64_t last_seq; /* highest seq written through us or relayed */
	pthread_t relay;
	int relay_started;
	pthread_mutex_t lock;
	pthread_cond_t stop_cond;
	int stopping;

	struct gateway_http *http;
	struct gateway_counters counters;
	struct gateway_jobs *jobs;
};

const struct gateway_config *
gateway_cfg(const struct gateway *gw)
{
	return &gw->cfg;
}

void
gateway_note_seq(struct gateway *gw, uint64_t seq)
{
	uint64_t seen = atomic_load(&gw->last_seq);

	while (seq > seen && !atomic_compare_exchange_weak(&gw->last_seq, &seen, seq)) {
	}
}

/* ---- calling a backend ---------------------------------------------------------------- */

/* A worker being restarted comes back within a second or two: wait that long for one
 * rather than fail at once, but not the whole deadline for a kind nobody runs. */
static int
wait_for_peer(struct backend *b, uint32_t grace_ms)
{
	uint64_t deadline = mnemo_clock_ms() + grace_ms;

	while (atomic_load(&b->peers.count) <= 0) {
		if (mnemo_clock_ms() >= deadline) {
			return 0;
		}
		usleep(10000);
	}
	return 1;
}

/* Sends req to a backend and puts its answer (possibly an Error) into reply. */
static int
forward(struct gateway *gw, struct backend *b, const Mnemo__Envelope *req,
	Mnemo__Envelope *reply, struct mnemo_arena *arena, struct mnemo_fault *f)
{
	Mnemo__Envelope *got;
	/* An import's commit turns millions of staged units into units in one transaction,
	 * and its batches may wait behind another import's commit: minutes, not seconds. */
	uint32_t limit = req->body_case == MNEMO__ENVELOPE__BODY_IMPORT_REQUEST
				 ? gw->cfg.import_timeout_ms
				 : gw->cfg.timeout_ms;
	uint32_t timeout = req->timeout_ms != 0 && req->timeout_ms < limit ? req->timeout_ms : limit;
	int r;

	if (!b->open) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE, "", -1,
				       "this gateway has no %s", b->name);
	}
	if (!wait_for_peer(b, timeout < PEER_GRACE_MS ? timeout : PEER_GRACE_MS)) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE, "", -1,
				       "no %s is connected; retry later", b->name);
	}
	r = mnemo_msg_call(b->sock, req, timeout, &gw->backend_lim, arena, &got, f);
	if (r == -ETIMEDOUT && atomic_load(&b->peers.count) <= 0) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE, "", -1,
				       "no %s is connected; retry later", b->name);
	}
	if (r == -ETIMEDOUT) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_TIMEOUT, "", -1,
				       "the %s did not answer within %u ms", b->name, timeout);
	}
	if (r == -EMSGSIZE) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, "", -1,
				       "the request is over the %s's message limit of %zu bytes",
				       b->name, gw->backend_lim.max_message_bytes);
	}
	if (r < 0) {
		mnemo_log_warn("gateway", "req=%016" PRIx64 " %s call failed: %s%s%s", req->request_id,
			       b->name, mnemo_strerror(r), f->message[0] ? ": " : "", f->message);
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE, "", -1,
				       "the %s could not be reached: %s", b->name,
				       f->message[0] ? f->message : mnemo_strerror(r));
	}
	/* Keep our header (the client's request id); take the backend's body. */
	{
		uint32_t version = reply->version;
		uint64_t id = reply->request_id;

		*reply = *got;
		reply->version = version;
		reply->request_id = id;
	}
	return 0;
}

int
gateway_forward(struct gateway *gw, enum gateway_backend to, const Mnemo__Envelope *req,
		Mnemo__Envelope *reply, struct mnemo_arena *arena, struct mnemo_fault *f)
{
	struct backend *b[] = {
		[GATEWAY_SEGMENTERS] = &gw->segmenters,
		[GATEWAY_ALIGNERS] = &gw->aligners,
		[GATEWAY_STORE] = &gw->store,
		[GATEWAY_STORE_IMPORTS] = &gw->store_imports,
	};

	return forward(gw, b[to], req, reply, arena, f);
}

static int
is_error(const Mnemo__Envelope *env)
{
	return env->body_case == MNEMO__ENVELOPE__BODY_ERROR;
}

int
gateway_request(struct gateway *gw, enum gateway_backend to, Mnemo__Envelope__BodyCase body,
		ProtobufCMessage *m, uint64_t request_id, uint32_t timeout_ms,
		Mnemo__Envelope *reply, struct mnemo_arena *arena, struct mnemo_fault *f)
{
	Mnemo__Envelope req;
	int r;

	mnemo_msg_envelope_init(&req, request_id != 0 ? request_id : mnemo_msg_new_request_id());
	req.timeout_ms = timeout_ms;
	mnemo_msg_set_body(&req, body, m);
	mnemo_msg_envelope_init(reply, req.request_id);
	r = gateway_forward(gw, to, &req, reply, arena, f);
	if (r == 0 && is_error(reply)) {
		const Mnemo__Error *e = reply->error;

		mnemo_fault_set(f, e->code, e->field, e->offset, "%s", e->message);
		r = mnemo_msg_errno_from_code(e->code);
		r = r < 0 ? r : -EINVAL;
	}
	return r;
}

/* ---- routes ---------------------------------------------------------------------------- */

static int
lookup(struct gateway *gw, const Mnemo__Envelope *req, Mnemo__Envelope *reply,
       struct mnemo_arena *arena, struct mnemo_fault *f)
{
	const Mnemo__LookupRequest *in = req->lookup_request;
	Mnemo__LookupRequest *lr = mnemo_arena_alloc(arena, sizeof(*lr));
	Mnemo__SegmentReply *segs = NULL;
	Mnemo__Envelope sub;
	int r;

	if (lr == NULL) {
		return -ENOMEM;
	}
	*lr = *in;
	if (in->text[0] != '\0' && in->n_segments > 0) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, "segments",
				       -1, "give either text or segments, not both");
	}
	if (in->source[0] == '\0') {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_MISSING_FIELD, "source", -1,
				       "'source' (the language of the text) is required");
	}
	if (in->text[0] != '\0') {
		Mnemo__SegmentRequest sr;

		mnemo__segment_request__init(&sr);
		sr.text = in->text;
		sr.lang = in->source;
		mnemo_msg_envelope_init(&sub, req->request_id);
		sub.timeout_ms = req->timeout_ms;
		sub.body_case = MNEMO__ENVELOPE__BODY_SEGMENT_REQUEST;
		sub.segment_request = &sr;
		r = forward(gw, &gw->segmenters, &sub, reply, arena, f);
		if (r < 0 || is_error(reply)) {
			return r;
		}
		segs = reply->segment_reply;
		lr->text = "";
		lr->n_segments = segs->n_segments;
		lr->segments = mnemo_arena_alloc(arena, segs->n_segments * sizeof(char *) + 1);
		if (lr->segments == NULL) {
			return -ENOMEM;
		}
		for (size_t i = 0; i < segs->n_segments; i++) {
			lr->segments[i] = segs->segments[i]->text;
		}
	}
	lr->min_seq = atomic_load(&gw->last_seq); /* read your writes */
	mnemo_msg_envelope_init(&sub, req->request_id);
	sub.timeout_ms = req->timeout_ms;
	sub.body_case = MNEMO__ENVELOPE__BODY_LOOKUP_REQUEST;
	sub.lookup_request = lr;
	r = forward(gw, &gw->aligners, &sub, reply, arena, f);
	if (r < 0 || is_error(reply) || segs == NULL) {
		return r;
	}
	for (size_t i = 0; i < reply->lookup_reply->n_results && i < segs->n_segments; i++) {
		reply->lookup_reply->results[i]->start = segs->segments[i]->start;
		reply->lookup_reply->results[i]->end = segs->segments[i]->end;
	}
	return 0;
}

/* Writes without a client idempotency key get one per incoming request, so nng's own
 * resends stay harmless while two clients' envelope ids can never collide. */
static int
write_unit(struct gateway *gw, const Mnemo__Envelope *req, Mnemo__Envelope *reply,
	   struct mnemo_arena *arena, struct mnemo_fault *f)
{
	const ProtobufCMessage *body = mnemo_msg_body(req);
	const ProtobufCFieldDescriptor *key_field =
		protobuf_c_message_descriptor_get_field_by_name(body->descriptor, "request_id");
	Mnemo__Envelope *copy = mnemo_arena_alloc(arena, sizeof(*copy));
	ProtobufCMessage *copy_body = mnemo_arena_alloc(arena, body->descriptor->sizeof_message);
	char **key;
	int r;

	if (copy == NULL || copy_body == NULL) {
		return -ENOMEM;
	}
	*copy = *req;
	memcpy(copy_body, body, body->descriptor->sizeof_message);
	mnemo_msg_set_body(copy, req->body_case, copy_body);
	key = (char **)((char *)copy_body + key_field->offset); /* every write has one */
	if ((*key)[0] == '\0') {
		*key = mnemo_arena_printf(arena, "auto:%016" PRIx64, mnemo_msg_new_request_id());
		if (*key == NULL) {
			return -ENOMEM;
		}
	}
	r = forward(gw, &gw->store, copy, reply, arena, f);
	if (r == 0 && reply->body_case == MNEMO__ENVELOPE__BODY_UNIT_WRITE_REPLY) {
		gateway_note_seq(gw, reply->unit_write_reply->seq);
	}
	return r;
}

/* Import batches go to the store as they are (an import is resumed by its import_id); a
 * commit's changes count for read-your-writes like any other write. */
static int
import(struct gateway *gw, const Mnemo__Envelope *req, Mnemo__Envelope *reply,
       struct mnemo_arena *arena, struct mnemo_fault *f)
{
	int r = forward(gw, &gw->store_imports, req, reply, arena, f);

	if (r == 0 && reply->body_case == MNEMO__ENVELOPE__BODY_IMPORT_REPLY) {
		gateway_note_seq(gw, reply->import_reply->last_seq);
	}
	return r;
}

/* Documents added to a job: the runners here need not wait for their next look. */
static int
job_add(struct gateway *gw, const Mnemo__Envelope *req, Mnemo__Envelope *reply,
	struct mnemo_arena *arena, struct mnemo_fault *f)
{
	int r = forward(gw, &gw->store, req, reply, arena, f);

	if (r == 0 && !is_error(reply)) {
		gateway_jobs_poke(gw->jobs);
	}
	return r;
}

static int
updates(struct gateway *gw, const Mnemo__Envelope *req, Mnemo__Envelope *reply,
	struct mnemo_arena *arena, struct mnemo_fault *f)
{
	uint32_t wait_ms = req->updates_request->wait_ms;
	struct mnemo_feed *feed = atomic_load(&gw->feed);
	int r;

	if (wait_ms > MAX_WAIT_MS) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "wait_ms", -1,
				       "wait_ms must be at most %d", MAX_WAIT_MS);
	}
	r = forward(gw, &gw->store, req, reply, arena, f);
	if (r < 0 || is_error(reply) || reply->updates_reply->n_updates > 0 || wait_ms == 0 ||
	    feed == NULL) {
		return r;
	}
	/* Long poll: wait for the next change to be relayed, then ask again. */
	if (mnemo_feed_wait(feed, req->updates_request->since, wait_ms) >
	    req->updates_request->since) {
		r = forward(gw, &gw->store, req, reply, arena, f);
	}
	return r;
}

int
gateway_dispatch(struct gateway *gw, const Mnemo__Envelope *req, Mnemo__Envelope *reply,
		 struct mnemo_arena *arena, struct mnemo_fault *f)
{
	switch (req->body_case) {
	case MNEMO__ENVELOPE__BODY_SEGMENT_REQUEST:
		return forward(gw, &gw->segmenters, req, reply, arena, f);
	case MNEMO__ENVELOPE__BODY_LOOKUP_REQUEST:
		return lookup(gw, req, reply, arena, f);
	case MNEMO__ENVELOPE__BODY_UNIT_ADD_REQUEST:
	case MNEMO__ENVELOPE__BODY_UNIT_UPDATE_REQUEST:
	case MNEMO__ENVELOPE__BODY_UNIT_DELETE_REQUEST:
	case MNEMO__ENVELOPE__BODY_UNIT_USE_REQUEST:
		return write_unit(gw, req, reply, arena, f);
	case MNEMO__ENVELOPE__BODY_IMPORT_REQUEST:
		return import(gw, req, reply, arena, f);
	case MNEMO__ENVELOPE__BODY_UNIT_GET_REQUEST:
	case MNEMO__ENVELOPE__BODY_STATUS_REQUEST:
	case MNEMO__ENVELOPE__BODY_CONCORDANCE_REQUEST:
	case MNEMO__ENVELOPE__BODY_SNAPSHOT_REQUEST:
		return forward(gw, &gw->store, req, reply, arena, f);
	case MNEMO__ENVELOPE__BODY_UPDATES_REQUEST:
		return updates(gw, req, reply, arena, f);
	case MNEMO__ENVELOPE__BODY_ALIGN_REQUEST:
		return gateway_align(gw, req, reply, arena, f);
	case MNEMO__ENVELOPE__BODY_JOB_ADD_REQUEST:
		return job_add(gw, req, reply, arena, f);
	case MNEMO__ENVELOPE__BODY_JOB_GET_REQUEST:
	case MNEMO__ENVELOPE__BODY_JOB_RESULT_REQUEST:
		return forward(gw, &gw->store, req, reply, arena, f);
	default:
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, "body", -1,
				       "this message type (%d) is not a request the gateway answers",
				       (int)req->body_case);
	}
}

static int
front_handle(void *arg, const Mnemo__Envelope *req, Mnemo__Envelope *reply,
	     struct mnemo_arena *arena, struct mnemo_fault *f)
{
	return gateway_dispatch(arg, req, reply, arena, f);
}

/* ---- the change feed relay ----------------------------------------------------------------- */

static int
relay_fetch(void *arg, uint64_t since, struct mnemo_arena *arena, Mnemo__UpdatesReply **ret)
{
	struct gateway *gw = arg;
	Mnemo__Envelope req, reply;
	Mnemo__UpdatesRequest ur;
	struct mnemo_fault f;
	int r;

	mnemo_fault_clear(&f);
	mnemo_msg_envelope_init(&req, mnemo_msg_new_request_id());
	mnemo_msg_envelope_init(&reply, req.request_id);
	mnemo__updates_request__init(&ur);
	ur.since = since;
	req.body_case = MNEMO__ENVELOPE__BODY_UPDATES_REQUEST;
	req.updates_request = &ur;
	r = forward(gw, &gw->store, &req, &reply, arena, &f);
	if (r == 0 && reply.body_case != MNEMO__ENVELOPE__BODY_UPDATES_REPLY) {
		r = -EPROTO;
	}
	if (r == 0) {
		*ret = reply.updates_reply;
	}
	return r;
}

static int
relay_apply(void *arg, const Mnemo__Update *u)
{
	struct gateway *gw = arg;
	Mnemo__Envelope env;

	gateway_note_seq(gw, u->seq);
	if (!gw->has_pub) {
		return 0;
	}
	mnemo_msg_envelope_init(&env, 0);
	env.body_case = MNEMO__ENVELOPE__BODY_UPDATE;
	env.update = (Mnemo__Update *)u;
	/* A slow subscriber loses messages here; it sees the gap and asks for them. */
	(void)mnemo_msg_publish(gw->pub, &env, gw->backend_lim.max_message_bytes);
	return 0;
}

static int
wait_stop(struct gateway *gw, uint32_t ms)
{
	struct timespec ts;
	int stopping;

	mnemo_clock_deadline(&ts, ms);
	pthread_mutex_lock(&gw->lock);
	if (!gw->stopping) {
		pthread_cond_timedwait(&gw->stop_cond, &gw->lock, &ts);
	}
	stopping = gw->stopping;
	pthread_mutex_unlock(&gw->lock);
	return stopping;
}

/* Finds where the store's log ends (retrying until the store answers), follows it from
 * there, and publishes a heartbeat so that clients notice what they missed. */
static void *
relay(void *arg)
{
	static const struct mnemo_feed_ops ops = {relay_fetch, relay_apply};
	struct gateway *gw = arg;
	struct mnemo_feed *feed = NULL;
	struct mnemo_arena arena;
	uint64_t start = 0;
	int r;

	mnemo_arena_init(&arena, 1u << 20);
	for (;;) {
		Mnemo__Envelope req, reply;
		Mnemo__StatusRequest sr;
		struct mnemo_fault f;

		mnemo_fault_clear(&f);
		mnemo_msg_envelope_init(&req, mnemo_msg_new_request_id());
		mnemo_msg_envelope_init(&reply, req.request_id);
		mnemo__status_request__init(&sr);
		req.body_case = MNEMO__ENVELOPE__BODY_STATUS_REQUEST;
		req.status_request = &sr;
		req.timeout_ms = 2000;
		r = forward(gw, &gw->store, &req, &reply, &arena, &f);
		if (r == 0 && reply.body_case == MNEMO__ENVELOPE__BODY_STATUS_REPLY) {
			start = reply.status_reply->last_seq;
			break;
		}
		mnemo_arena_reset(&arena);
		if (wait_stop(gw, STATUS_RETRY_MS)) {
			mnemo_arena_fini(&arena);
			return NULL;
		}
	}
	mnemo_arena_fini(&arena);
	gateway_note_seq(gw, start);
	r = mnemo_feed_start(&(struct mnemo_feed_config){.sub_url = gw->cfg.store_pub_url,
							 .from_seq = start,
							 .lim = gw->backend_lim},
			     &ops, gw, &feed);
	atomic_store(&gw->feed, feed);
	if (r < 0) {
		mnemo_log_err("gateway", "following the store's feed failed: %s; no updates relayed",
			      mnemo_strerror(r));
		return NULL;
	}
	mnemo_log_info("gateway", "relaying changes after seq %" PRIu64, start);
	while (!wait_stop(gw, gw->cfg.heartbeat_ms)) {
		Mnemo__Envelope env;
		Mnemo__Heartbeat hb;

		if (!gw->has_pub) {
			continue;
		}
		mnemo_msg_envelope_init(&env, 0);
		mnemo__heartbeat__init(&hb);
		hb.last_seq = mnemo_feed_last_seq(feed);
		env.body_case = MNEMO__ENVELOPE__BODY_HEARTBEAT;
		env.heartbeat = &hb;
		(void)mnemo_msg_publish(gw->pub, &env, gw->backend_lim.max_message_bytes);
	}
	return NULL;
}

/* ---- health and metrics ---------------------------------------------------------------- */

void
gateway_health(struct gateway *gw, struct gateway_health *ret)
{
	ret->segmenters = atomic_load(&gw->segmenters.peers.count);
	ret->aligners = atomic_load(&gw->aligners.peers.count);
	ret->store = atomic_load(&gw->store.peers.count);
	ret->last_seq = atomic_load(&gw->last_seq);
}

struct gateway_counters *
gateway_counters(struct gateway *gw)
{
	return &gw->counters;
}

char *
gateway_metrics(struct gateway *gw, size_t *ret_len)
{
	struct gateway_health h;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (out == NULL) {
		return NULL;
	}
	gateway_health(gw, &h);
	fprintf(out, "# HELP mnemo_http_responses_total HTTP responses by status class.\n"
		     "# TYPE mnemo_http_responses_total counter\n");
	for (int c = 2; c <= 5; c++) {
		fprintf(out, "mnemo_http_responses_total{class=\"%dxx\"} %llu\n", c,
			atomic_load(&gw->counters.http[c]));
	}
	fprintf(out,
		"# HELP mnemo_http_deadlines_total HTTP connections closed for slow headers or body.\n"
		"# TYPE mnemo_http_deadlines_total counter\nmnemo_http_deadlines_total %llu\n",
		atomic_load(&gw->counters.http_deadlines));
	fprintf(out, "# HELP mnemo_peers Connected peers by kind.\n# TYPE mnemo_peers gauge\n"
		     "mnemo_peers{kind=\"segmenter\"} %d\nmnemo_peers{kind=\"aligner\"} %d\n"
		     "mnemo_peers{kind=\"store\"} %d\n",
		h.segmenters, h.aligners, h.store);
	fprintf(out, "# HELP mnemo_last_seq Highest change seq seen by the gateway.\n"
		     "# TYPE mnemo_last_seq gauge\nmnemo_last_seq %" PRIu64 "\n",
		h.last_seq);
	if (gw->front_server != NULL) {
		const struct mnemo_msg_server_stats *s = mnemo_msg_server_stats(gw->front_server);

		fprintf(out,
			"# HELP mnemo_nng_requests_total nng client requests.\n"
			"# TYPE mnemo_nng_requests_total counter\n"
			"mnemo_nng_requests_total %llu\n"
			"# HELP mnemo_nng_rejected_total nng client messages refused as invalid.\n"
			"# TYPE mnemo_nng_rejected_total counter\n"
			"mnemo_nng_rejected_total %llu\n",
			atomic_load(&s->requests), atomic_load(&s->rejected));
	}
	if (atomic_load(&gw->feed) != NULL) {
		const struct mnemo_feed_stats *s = mnemo_feed_stats(atomic_load(&gw->feed));

		fprintf(out,
			"# HELP mnemo_feed_gaps_total Gaps in the store's feed, filled by fetching.\n"
			"# TYPE mnemo_feed_gaps_total counter\nmnemo_feed_gaps_total %llu\n"
			"# HELP mnemo_feed_catch_ups_total Fetches made to fill gaps.\n"
			"# TYPE mnemo_feed_catch_ups_total counter\nmnemo_feed_catch_ups_total %llu\n"
			"# HELP mnemo_feed_duplicates_total Changes received twice, ignored.\n"
			"# TYPE mnemo_feed_duplicates_total counter\n"
			"mnemo_feed_duplicates_total %llu\n",
			atomic_load(&s->gaps), atomic_load(&s->catch_ups),
			atomic_load(&s->duplicates));
	}
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	*ret_len = len;
	return text;
}

/* ---- start and stop ---------------------------------------------------------------------- */

static int
open_backend(struct gateway *gw, struct backend *b, const char *name, const char *url,
	     int listen, uint32_t resend_ms)
{
	struct mnemo_msg_socket_config sc = {.max_message_bytes = gw->backend_lim.max_message_bytes,
					     .resend_ms = resend_ms};
	int r;

	b->name = name;
	if (url[0] == '\0') {
		return 0; /* not configured: requests for it are answered "unavailable" */
	}
	r = mnemo_msg_socket_open(MNEMO_MSG_REQ, &sc, &b->sock);
	if (r < 0) {
		return r;
	}
	b->open = 1;
	r = mnemo_msg_track_peers(b->sock, &b->peers);
	if (r == 0) {
		r = listen ? mnemo_msg_listen(b->sock, url) : mnemo_msg_dial(b->sock, url);
	}
	return r;
}

int
gateway_start(const struct gateway_config *cfg, struct gateway **ret, char *err, size_t err_size)
{
	struct gateway *gw = calloc(1, sizeof(*gw));
	char what[GATEWAY_URL_MAX + 64] = "starting";
	int r;

	if (gw == NULL) {
		return -ENOMEM;
	}
	gw->cfg = *cfg;
	gw->client_lim = mnemo_msg_client_limits;
	gw->client_lim.max_message_bytes = cfg->max_message_bytes;
	gw->backend_lim = mnemo_msg_internal_limits;
	gw->backend_lim.max_message_bytes = cfg->backend_max_message_bytes;
	pthread_mutex_init(&gw->lock, NULL);
	mnemo_cond_init(&gw->stop_cond);

	snprintf(what, sizeof(what), "listening on %s ([gateway] segmenters)", cfg->segmenters_url);
	r = open_backend(gw, &gw->segmenters, "segmenter", cfg->segmenters_url, 1, cfg->resend_ms);
	if (r == 0) {
		snprintf(what, sizeof(what), "listening on %s ([gateway] aligners)", cfg->aligners_url);
		r = open_backend(gw, &gw->aligners, "aligner", cfg->aligners_url, 1,
				 cfg->resend_ms);
	}
	if (r == 0) {
		snprintf(what, sizeof(what), "dialling %s ([gateway] store)", cfg->store_url);
		r = open_backend(gw, &gw->store, "store", cfg->store_url, 0, cfg->resend_ms);
	}
	if (r == 0) {
		r = open_backend(gw, &gw->store_imports, "store", cfg->store_url, 0,
				 cfg->import_timeout_ms);
	}
	if (r == 0 && cfg->pub_url[0] != '\0') {
		struct mnemo_msg_socket_config sc = {.max_message_bytes = cfg->max_message_bytes,
						     .queue_len = cfg->pub_queue};

		snprintf(what, sizeof(what), "listening on %s ([gateway] pub)", cfg->pub_url);
		r = mnemo_msg_socket_open(MNEMO_MSG_PUB, &sc, &gw->pub);
		gw->has_pub = r == 0;
		if (r == 0) {
			r = mnemo_msg_listen(gw->pub, cfg->pub_url);
		}
	}
	if (r == 0 && gw->store.open) {
		snprintf(what, sizeof(what), "starting the feed relay");
		r = -pthread_create(&gw->relay, NULL, relay, gw);
		gw->relay_started = r == 0;
	}
	if (r == 0 && cfg->nng_url[0] != '\0') {
		struct mnemo_msg_socket_config sc = {.max_message_bytes = cfg->max_message_bytes};

		snprintf(what, sizeof(what), "listening on %s ([gateway] nng)", cfg->nng_url);
		r = mnemo_msg_socket_open(MNEMO_MSG_REP, &sc, &gw->front);
		gw->has_front = r == 0;
		if (r == 0) {
			r = mnemo_msg_listen(gw->front, cfg->nng_url);
		}
		if (r == 0) {
			r = mnemo_msg_server_start(gw->front, cfg->threads, &gw->client_lim,
						   "gateway", front_handle, gw, &gw->front_server);
		}
	}
	if (r == 0 && cfg->http_addr[0] != '\0') {
		snprintf(what, sizeof(what), "serving HTTP on %s ([gateway] http)", cfg->http_addr);
		r = gateway_http_start(gw, cfg, &gw->http);
	}
	if (r == 0 && gw->store.open && cfg->job_runners > 0) {
		snprintf(what, sizeof(what), "starting %u job runners", cfg->job_runners);
		r = gateway_jobs_start(gw, cfg->job_runners, cfg->job_lease_ms, &gw->jobs);
	}
	if (r < 0) {
		snprintf(err, err_size, "gateway: %s: %s", what, mnemo_strerror(r));
		gateway_stop(gw);
		return r;
	}
	*ret = gw;
	return 0;
}

void
gateway_stop(struct gateway *gw)
{
	if (gw == NULL) {
		return;
	}
	/* Long polls end first, so that the HTTP server's threads can be joined. */
	pthread_mutex_lock(&gw->lock);
	gw->stopping = 1;
	pthread_cond_broadcast(&gw->stop_cond);
	pthread_mutex_unlock(&gw->lock);
	if (gw->relay_started) {
		pthread_join(gw->relay, NULL);
	}
	mnemo_feed_interrupt(atomic_load(&gw->feed));
	gateway_http_stop(gw->http);
	mnemo_msg_server_stop(gw->front_server);
	if (gw->has_front) {
		nng_close(gw->front);
	}
	mnemo_feed_stop(atomic_load(&gw->feed));
	if (gw->has_pub) {
		nng_close(gw->pub);
	}
	if (gw->segmenters.open) {
		nng_close(gw->segmenters.sock);
	}

	if (gw->aligners.open) {
		nng_close(gw->aligners.sock);
	}
	if (gw->store.open) {
		nng_close(gw->store.sock);
	}
	if (gw->store_imports.open) {
		nng_close(gw->store_imports.sock);
	}
	/* after the sockets close: a runner's call in progress ends at once, and its document
	 * is offered again when its lease runs out */
	gateway_jobs_stop(gw->jobs);
	pthread_cond_destroy(&gw->stop_cond);
	pthread_mutex_destroy(&gw->lock);
	free(gw);
}
