/* What the gateway's own files share: routing (gateway.c), HTTP (http.c), metrics. */
#pragma once

#include <stdatomic.h>

#include "gateway.h"
#include "msg.h"

/* Routes one request to the service that answers it and fills reply (an Error body when
 * that service, or the route, refused it). Returns 0, or a negative errno with f set when
 * the gateway itself could not get an answer. */
int gateway_dispatch(struct gateway *gw, const Mnemo__Envelope *req, Mnemo__Envelope *reply,
		     struct mnemo_arena *arena, struct mnemo_fault *f);

struct gateway_health {
	int segmenters, aligners, store; /* connected peers */
	uint64_t last_seq;               /* the highest change relayed or written */
};
void gateway_health(struct gateway *gw, struct gateway_health *ret);

/* Counters for /metrics. */
struct gateway_counters {
	atomic_ullong http[6]; /* responses by status class: [2] = 2xx ... [5] = 5xx */
	atomic_ullong http_refused; /* connections refused at the limit */
};
struct gateway_counters *gateway_counters(struct gateway *gw);
/* Prometheus text, malloc'd. */
char *gateway_metrics(struct gateway *gw, size_t *ret_len);

/* The HTTP server (libmicrohttpd). */
struct gateway_http;
int gateway_http_start(struct gateway *gw, const struct gateway_config *cfg,
		       struct gateway_http **ret);
void gateway_http_stop(struct gateway_http *http);
