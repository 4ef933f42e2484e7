/* What the mnemo command's subcommands share: options, configuration, and the client that
 * talks to a running service (--url, over HTTP) or to services started inside the command
 * itself on a database file (local mode). */
#pragma once

#include <getopt.h>
#include <jansson.h>
#include <stdint.h>

#include "config.h"
#include "err.h"

struct embedded;

/* Services to start in one process. */
enum {
	EMBED_STORE = 1,
	EMBED_SEGMENTER = 2,
	EMBED_ALIGNER = 4,
	EMBED_GATEWAY = 8,
	EMBED_ALL = 15,
	EMBED_JOBS = 16, /* local mode: the gateway runs job runners too (mnemo job) */
};

struct embedded {
	struct store *store;
	struct segmenter *segmenter;
	struct aligner *aligner;
	struct gateway *gateway;
};

/* Points cfg's URLs between the chosen services at inproc://. with_clients keeps the
 * gateway's HTTP, nng and pub listeners (mnemo serve all); without, it has none (local
 * mode). */
void embedded_config_inproc(struct mnemo_config *cfg, unsigned which, int with_clients);
/* Starts the chosen services in this process, listeners first. */
int embedded_start(struct mnemo_config *cfg, unsigned which, struct embedded *ret, char *err,
		   size_t err_size);
void embedded_stop(struct embedded *emb);

struct cli {
	struct mnemo_config cfg;
	const char *url; /* remote mode: --url or MNEMO_URL */
	char err[4096];
};

/* Options every subcommand takes (see cli_usage_common). */
enum { OPT_CONFIG = 1000, OPT_SET, OPT_DB, OPT_URL, OPT_LOG_LEVEL, OPT_FIRST_OWN };

#define CLI_COMMON_OPTIONS                                                                  \
	{"config", required_argument, NULL, OPT_CONFIG},                                    \
		{"set", required_argument, NULL, OPT_SET},                                  \
		{"db", required_argument, NULL, OPT_DB},                                    \
		{"url", required_argument, NULL, OPT_URL},                                  \
		{"log-level", required_argument, NULL, OPT_LOG_LEVEL},                      \
		{"help", no_argument, NULL, 'h'}

extern const char cli_usage_common[];

/* Defaults, then the --config file (found anywhere in argv), then MNEMO_URL. */
int cli_init(struct cli *cli, int argc, char **argv, const char *default_log_level);
/* getopt_long for a subcommand: handles the common options itself, prints usage and
 * exits 0 on --help, exits 1 on a bad value and 2 on an unknown option; returns the next
 * option of the command's own, or -1 at the end (optind is then at the operands). */
int cli_getopt(struct cli *cli, int argc, char **argv, const struct option *options,
	       const char *usage);
/* Applies the log level. */
int cli_finish(struct cli *cli);
/* Creates the database file's directory (var/ by default). */
int cli_prepare_db(struct cli *cli);
/* Prints "mnemo: <message>" and returns the exit status for usage or runtime errors. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A connection to the HTTP API: remote (libcurl) or local (services in this process). */
struct client;

int client_open(struct cli *cli, unsigned local_services, struct client **ret);
void client_close(struct client *c);
/* Sends one request (path may carry a query string); *ret_reply is the JSON reply, or an
 * {"error":...} object. Returns 0 once an HTTP status was obtained, or -1 when the
 * service could not be reached (err says why). */
int client_call(struct client *c, const char *method, const char *path, json_t *body,
		int *ret_status, json_t **ret_reply, char *err, size_t err_size);
/* The same with a body of any type (a document for /v1/segment). */
int client_call_raw(struct client *c, const char *method, const char *path,
		    const char *content_type, const char *body, size_t body_len, int *ret_status,
		    json_t **ret_reply, char *err, size_t err_size);
/* Appends "?name=value" (or "&name=value") to path, value percent-encoded; -1 when it
 * does not fit in size bytes. Query strings of both modes are built with it. */
int client_query_add(char *path, size_t size, const char *name, const char *value);
/* Local mode's gateway (for the streamed calls of gateway.h); NULL in remote mode. */
struct gateway *client_gateway(struct client *c);
/* Remote mode: GET path, handing the body to sink as it arrives when the status is 2xx
 * (sink returns 0, or a negative errno to stop); another status's body, an error, comes
 * back as JSON in *ret_reply (else NULL). Returns 0, or -1 when the service could not be
 * reached, the body was cut short or sink failed (err says why). */
int client_get_stream(struct client *c, const char *path,
		      int (*sink)(void *arg, const char *data, size_t len), void *arg,
		      int *ret_status, json_t **ret_reply, char *err, size_t err_size);
/* Remote mode: POST path with a body of size bytes (-1: unknown, sent chunked) pulled from
 * source (bytes copied into buf, 0 at the end, negative to give up), calling progress (may
 * be NULL) with the bytes sent so far. The reply, 2xx or not, comes back as JSON in
 * *ret_reply. Returns 0, or -1 when the service could not be reached, the transfer broke
 * or source gave up (err says why). */
int client_post_stream(struct client *c, const char *path, int64_t size,
		       long (*source)(void *arg, char *buf, size_t max),
		       void (*progress)(void *arg, uint64_t sent), void *arg, int *ret_status,
		       json_t **ret_reply, char *err, size_t err_size);
/* POSTs body to path (services in this process in local mode) and leaves the 2xx reply in
 * *ret_reply; 0, or the exit status after saying what failed ("mnemo: code: message"). */
int cli_request(struct cli *cli, unsigned local_services, const char *path, json_t *body,
		json_t **ret_reply);
/* Puts a document's bytes into an AlignDocument being built: as "text" when they are
 * UTF-8 and no encoding is named, else as base64 "data" (with "encoding"), for the service
 * to decode. Takes data (malloc'd) and frees it. 0, or -1 when out of memory. */
int cli_document_content(json_t *doc, char *data, size_t len, const char *encoding);
/* "code: message" of an error reply. */
const char *client_error_text(const json_t *reply, char *buf, size_t size);

/* Reads a whole file or standard input ("-" or NULL), up to max bytes; malloc'd and
 * NUL-terminated. */
int cli_read_input(const char *path, size_t max, char **ret, size_t *ret_len, char *err,
		   size_t err_size);

/* Progress on standard error (progress.c), for commands that take long. */
enum { CLI_BAR_CELLS = 20 };
/* Monotonic milliseconds. */
uint64_t cli_now_ms(void);
/* 12345678 -> "12,345,678" in buf. */
const char *cli_grouped(uint64_t n, char *buf, size_t size);
/* "s" unless n is 1: "%s document%s", cli_grouped(n, ...), cli_plural(n). */
const char *cli_plural(uint64_t n);
/* "[#####               ]": CLI_BAR_CELLS cells, done/total of them filled; buf has room
 * for CLI_BAR_CELLS + 3 bytes. */
const char *cli_bar(uint64_t done, uint64_t total, char *buf, size_t size);
/* Draws a line over the one drawn before (for a terminal); clear erases it. */
void cli_progress_draw(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_progress_clear(void);

int cmd_serve(int argc, char **argv);
int cmd_supervise(int argc, char **argv);
int cmd_segment(int argc, char **argv);
int cmd_lookup(int argc, char **argv);
int cmd_concordance(int argc, char **argv);
int cmd_unit(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_align(int argc, char **argv);
int cmd_job(int argc, char **argv);
