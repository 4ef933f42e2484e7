/* The gateway: the one front door. It serves HTTP/JSON (libmicrohttpd) and nng/protobuf
 * clients, spreads requests over the segmenter and aligner workers that dial in, sends
 * unit reads and writes to the store, and relays the store's numbered change feed to
 * subscribers. */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum { GATEWAY_URL_MAX = 512 };

struct gateway_config {
	char http_addr[GATEWAY_URL_MAX];      /* [gateway] http: HOST:PORT; "" = no HTTP */
	char nng_url[GATEWAY_URL_MAX];        /* [gateway] nng: protobuf requests; "" = none */
	char pub_url[GATEWAY_URL_MAX];        /* [gateway] pub: the change feed; "" = none */
	char segmenters_url[GATEWAY_URL_MAX]; /* [gateway] segmenters: segmenter workers dial in */
	char aligners_url[GATEWAY_URL_MAX];   /* [gateway] aligners: aligner workers dial in */
	char store_url[GATEWAY_URL_MAX];      /* [gateway] store: the store's request URL */
	char store_pub_url[GATEWAY_URL_MAX];  /* [gateway] store_pub: the store's change feed */
	uint32_t timeout_ms;       /* [gateway] timeout_ms, default 30000: every request */
	uint32_t resend_ms;        /* [gateway] resend_ms, default 5000: retry an unanswered worker */
	uint32_t threads;          /* [gateway] threads, default 4: nng client requests at once */
	uint32_t max_connections;  /* [gateway] max_connections, default 256: HTTP */
	uint32_t idle_timeout_s;   /* [gateway] idle_timeout_s, default 30: HTTP */
	uint32_t header_timeout_s; /* [gateway] header_timeout_s, default 10: HTTP headers */
	uint32_t body_timeout_s;   /* [gateway] body_timeout_s, default 30: HTTP bodies */
	uint32_t heartbeat_ms;     /* [gateway] heartbeat_ms, default 1000: on the pub socket */
	uint32_t pub_queue;        /* [gateway] pub_queue, default 1024: per subscriber */
	uint64_t max_body_bytes;   /* [gateway] max_body_bytes, default 4 MiB: HTTP bodies */
	uint64_t max_message_bytes;         /* [gateway] max_message_bytes, default 4 MiB: nng */
	uint64_t backend_max_message_bytes; /* [gateway] backend_max_message_bytes, 64 MiB */
};

void gateway_config_init(struct gateway_config *cfg);

struct gateway;

/* Returns 0, or a negative errno with err saying what failed ("gateway: listening on URL
 * ([gateway] pub): Address already in use"). */
int gateway_start(const struct gateway_config *cfg, struct gateway **ret, char *err,
		  size_t err_size);
void gateway_stop(struct gateway *gw);

/* ---- the HTTP API, callable without a socket (the command line's local mode uses it) ---- */

struct gateway_http_request {
	const char *method;
	const char *path;
	const char *const *query; /* name, value, name, value, ... (URL-decoded) */
	size_t n_query;           /* pairs */
	const char *content_type; /* NULL when absent */
	const char *body;
	size_t body_len;
};

struct gateway_http_reply {
	int status;
	const char *content_type;
	char *body; /* malloc'd: JSON, one line with a final newline (or /metrics text) */
	size_t body_len;
	const char *allow; /* for 405: the methods the path accepts */
	uint64_t request_id;
};

/* Answers one request; never fails (errors are JSON replies). Free reply->body. */
void gateway_http_handle(struct gateway *gw, const struct gateway_http_request *req,
			 struct gateway_http_reply *reply);
