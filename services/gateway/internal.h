/* What the gateway's own files share: routing (gateway.c), HTTP (http.c), alignment
 * (align.c), metrics. */
#pragma once

#include <microhttpd.h>
#include <stdatomic.h>

#include "gateway.h"
#include "msg.h"

/* Routes one request to the service that answers it and fills reply (an Error body when
 * that service, or the route, refused it). Returns 0, or a negative errno with f set when
 * the gateway itself could not get an answer. */
int gateway_dispatch(struct gateway *gw, const Mnemo__Envelope *req, Mnemo__Envelope *reply,
		     struct mnemo_arena *arena, struct mnemo_fault *f);

/* The peers behind the gateway, for routes that call more than one (align.c). */
enum gateway_backend {
	GATEWAY_SEGMENTERS,
	GATEWAY_ALIGNERS,
	GATEWAY_STORE,
	GATEWAY_STORE_IMPORTS, /* the store, for imports: resent only when a connection drops */
};
/* Sends req to a backend and puts its answer, possibly an Error, into reply. Returns 0,
 * or a negative errno with f set when no answer came. */
int gateway_forward(struct gateway *gw, enum gateway_backend to, const Mnemo__Envelope *req,
		    Mnemo__Envelope *reply, struct mnemo_arena *arena, struct mnemo_fault *f);
/* One request of the gateway's own to a backend: m (of type body) in an envelope with
 * request_id (0: a new one) and timeout_ms (0: the default). Returns 0 with the answer in
 * *reply, or a negative errno with f set, an Error answer included. */
int gateway_request(struct gateway *gw, enum gateway_backend to, Mnemo__Envelope__BodyCase body,
		    ProtobufCMessage *m, uint64_t request_id, uint32_t timeout_ms,
		    Mnemo__Envelope *reply, struct mnemo_arena *arena, struct mnemo_fault *f);
/* Its settings, as started. */
const struct gateway_config *gateway_cfg(const struct gateway *gw);
/* Counts seq as written through this gateway (read-your-writes for the next lookup). */
void gateway_note_seq(struct gateway *gw, uint64_t seq);

/* POST /v1/align (align.c): segments the documents, aligns them on an aligner, and stores
 * the accepted pairs when asked. */
int gateway_align(struct gateway *gw, const Mnemo__Envelope *req, Mnemo__Envelope *reply,
		  struct mnemo_arena *arena, struct mnemo_fault *f);

/* Batch alignment jobs (jobs.c): n_threads runners leasing documents for lease_ms. */
struct gateway_jobs;
int gateway_jobs_start(struct gateway *gw, unsigned n_threads, uint32_t lease_ms,
		       struct gateway_jobs **ret);
/* Documents were added: idle runners look now rather than at their next poll. */
void gateway_jobs_poke(struct gateway_jobs *jobs);
/* Joins the runners; a document being aligned is finished first, or left to its lease.
 * Accepts NULL. */
void gateway_jobs_stop(struct gateway_jobs *jobs);

struct gateway_health {
	int segmenters, aligners, store; /* connected peers */
	uint64_t last_seq;               /* the highest change relayed or written */
};
void gateway_health(struct gateway *gw, struct gateway_health *ret);

/* Counters for /metrics. */
struct gateway_counters {
	atomic_ullong http[6]; /* responses by status class: [2] = 2xx ... [5] = 5xx */
	atomic_ullong http_deadlines; /* connections closed for slow headers or body */
};
struct gateway_counters *gateway_counters(struct gateway *gw);
/* Prometheus text, malloc'd. */
char *gateway_metrics(struct gateway *gw, size_t *ret_len);

/* Header and body deadlines (deadline.c): where each connection's request stands. */
enum http_phase {
	HTTP_PHASE_HEADERS, /* waiting for a request's headers: header deadline */
	HTTP_PHASE_BODY,    /* reading its body: body deadline */
	HTTP_PHASE_BUSY,    /* answering it: the request's own deadline applies */
	HTTP_PHASE_CLOSING, /* past a deadline, being closed */
};
struct http_deadlines;
int http_deadlines_start(uint32_t header_ms, uint32_t body_ms, struct gateway_counters *counters,
			 struct http_deadlines **ret);
void http_deadlines_stop(struct http_deadlines *d);
/* libmicrohttpd's MHD_OPTION_NOTIFY_CONNECTION callback (cls: the deadlines). */
void http_deadlines_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
				  enum MHD_ConnectionNotificationCode code);
void http_deadlines_phase(struct http_deadlines *d, struct MHD_Connection *conn,
			  enum http_phase phase);

/* Fills out as gateway_http_handle fills an error reply: f's code as its HTTP status, and
 * {"error":{...}} as its body (imports and exports, which stream, answer their own). */
void gateway_http_reply_error(struct gateway_http_reply *out, const struct mnemo_fault *f);

/* The HTTP server (libmicrohttpd). */
struct gateway_http;
int gateway_http_start(struct gateway *gw, const struct gateway_config *cfg,
		       struct gateway_http **ret);
void gateway_http_stop(struct gateway_http *http);
