/* The gateway: the one front door. It serves HTTP/JSON (libmicrohttpd) and nng/protobuf
 * clients, spreads requests over the segmenter and aligner workers that dial in, sends
 * unit reads and writes to the store, and relays the store's numbered change feed to
 * subscribers. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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
	uint64_t max_import_bytes; /* [gateway] max_import_bytes, default 0 = none: one imported file */
	uint32_t import_timeout_ms; /* [gateway] import_timeout_ms, default 1 h: an import's requests */
	uint32_t job_runners;      /* [gateway] job_runners, default 2: documents of jobs aligned at once */
	uint32_t job_lease_ms;     /* [gateway] job_lease_ms, default 5 min: a runner's hold on one */
	uint32_t fetch_timeout_ms; /* [gateway] fetch_timeout_ms, default 60 s: a document by URL */
	uint64_t max_fetch_bytes;  /* [gateway] max_fetch_bytes, default 64 MiB: a document by URL */
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

/* ---- imports: a TMX or gettext file in, streamed (POST /v1/tmx, /v1/gettext, mnemo import) ---- */

enum gateway_import_format {
	GATEWAY_IMPORT_TMX,     /* TMX 1.4b, read as it arrives */
	GATEWAY_IMPORT_GETTEXT, /* .po or .mo (told apart by the .mo magic number), kept whole up
				 * to MNEMO_MO_MAX_BYTES and read at the end */
};

/* Strings may be NULL or "" for their default; they are copied by begin. */
struct gateway_import_options {
	enum gateway_import_format format;
	const char *duplicates; /* "skip" (default), "keep" or "overwrite" */
	/* TMX: the language duplicates=overwrite matches units by (default: the header's
	 * srclang, when it is a tag); gettext: the msgid language (default "en"). */
	const char *source;
	const char *target; /* gettext: the msgstr language (default: the header's Language:) */
	const char *origin; /* units' origin when the file gives none: default "tmx:NAME",
			     * "gettext:NAME" */
	const char *name;   /* the file's name in messages: default "upload.tmx", "upload.po" */
	uint64_t max_bytes; /* the file's size limit ([gateway] max_import_bytes); 0: none */
	uint64_t request_id; /* in the log lines; 0: a new one */
};

struct gateway_import;

/* Starts an import (nothing reaches the store before the first full batch). Returns 0, or
 * -ENOMEM. Bad options (a bad tag, duplicates=sometimes) do not fail begin: they fail the
 * import, so the first feed returns the error and end answers it. */
int gateway_import_begin(struct gateway *gw, const struct gateway_import_options *opt,
			 struct gateway_import **ret);
/* The next piece of the file. Returns 0, or the negative errno of the import's first
 * error, then and ever after (feed(imp, NULL, 0) asks without feeding): the file is bad,
 * over a limit, or the store refused a batch. The caller then stops feeding and calls end
 * for the error reply. Units go to the store in batches as they are read. */
int gateway_import_feed(struct gateway_import *imp, const void *data, size_t len);
/* The input is complete: commits the import (the reply is the ImportReply as JSON, 200),
 * or, after an error, aborts it in the store (an {"error":...} reply whose message starts
 * with "NAME:LINE:COLUMN: " for errors in the file). Frees imp; free reply->body. */
void gateway_import_end(struct gateway_import *imp, struct gateway_http_reply *reply);
/* The input will not be complete (the client went away): aborts and frees. Accepts NULL. */
void gateway_import_abort(struct gateway_import *imp);
struct gateway_import_progress {
	uint64_t bytes; /* fed so far */
	uint64_t units; /* read so far (TMX: as they are read; gettext: at the end) */
};
void gateway_import_progress(const struct gateway_import *imp,
			     struct gateway_import_progress *ret);

/* ---- exports: the memory as TMX 1.4b, pulled a piece at a time (GET /v1/tmx, export) ---- */

/* Which variants: a pair (source and target; the header's srclang is source), or several
 * languages (langs; srclang "*all*"), or neither (every language, srclang "*all*"). A
 * unit with fewer than two of the languages asked for is left out. */
struct gateway_export_options {
	const char *source;
	const char *target;
	const char *const *langs; /* BCP 47 tags, any spelling; duplicates count once */
	size_t n_langs;
	uint64_t request_id; /* in the log lines and the store's; 0: a new one */
};

struct gateway_export;

/* A unit that TMX cannot carry (a control character such as U+0001 in a text) is left
 * out, with a warning in the log and an XML comment in its place:
 * "<!-- unit 42 left out: variants[fr]: ... -->".
 *
 * Checks the options and reads the first page of units, so that what goes wrong before
 * anything is sent (a bad tag: 400; no store: 503) becomes err, an error reply as
 * gateway_http_handle makes them (free err->body). Returns 0, or a negative errno with err
 * filled. */
int gateway_export_begin(struct gateway *gw, const struct gateway_export_options *opt,
			 struct gateway_export **ret, struct gateway_http_reply *err);
/* Copies the next bytes of the document into buf: at least one while there are any (it
 * waits for the store's next page when it must), 0 at the end, or a negative errno when
 * the export failed half-way (the store went away: the document is cut short, and a
 * reader must not take it for whole). */
ssize_t gateway_export_read(struct gateway_export *exp, char *buf, size_t max);
/* Accepts NULL; may be called at any point (a client that went away). */
void gateway_export_free(struct gateway_export *exp);
