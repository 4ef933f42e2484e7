/* Integration test harness: real mnemo processes in a scratch folder, driven over HTTP
 * (libcurl) and nng. Every process is tracked by pid and killed at teardown; every wait is
 * bounded by a deadline; a watchdog ends a test that hangs. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "clock.h"
#include "msg.h"

enum { H_MAX_PROCS = 32 };

struct h_proc {
	pid_t pid;
	char name[48];
};

struct harness {
	char dir[256];   /* scratch folder, removed at teardown unless MNEMO_KEEP is set */
	char mnemo[1024]; /* the mnemo binary under test */
	struct h_proc procs[H_MAX_PROCS];
	int n_procs;
};

/* argv[1] is the mnemo binary (meson passes it). Starts a watchdog of watchdog_s. */
void h_init(struct harness *h, int argc, char **argv, unsigned watchdog_s);
/* Stops every process with SIGTERM and returns how many did not stop cleanly (a crash,
 * a leak report, a hang); removes the folder unless keep, MNEMO_KEEP or that happened. */
int h_cleanup(struct harness *h, int keep);

/* Starts `mnemo args...` in h->dir with stdout and stderr in <dir>/<name>.log. */
pid_t h_spawn(struct harness *h, const char *name, const char *const *args);
/* Sends sig; for SIGKILL/SIGTERM, reaps the process and forgets it. */
void h_signal(struct harness *h, pid_t pid, int sig);
/* A TCP port that was free a moment ago (ephemeral range). */
int h_free_port(void);
/* "<dir>/<name>" */
const char *h_path(struct harness *h, const char *name, char *buf, size_t size);

void h_sleep_ms(unsigned ms);

/* ---- HTTP ---- */

struct h_reply {
	int status; /* 0: no HTTP answer at all */
	char *body;
	size_t len, cap;
	json_t *json; /* NULL when the body is not JSON */
};

/* One request; content_type NULL sends none; body_len (size_t)-1 means strlen(body). */
void h_http(const char *method, const char *url, const char *content_type, const char *body,
	    size_t body_len, struct h_reply *ret);
/* A JSON request built with json_pack-style format (body NULL for none). */
void h_http_json(const char *method, const char *url, json_t *body, struct h_reply *ret);
void h_reply_free(struct h_reply *r);
/* Waits until GET <base>/healthz answers 200 with the given number of workers. */
int h_wait_healthy(const char *base, int segmenters, int aligners, unsigned timeout_ms);
/* The "code" of an error reply, or "". */
const char *h_error_code(const struct h_reply *r);

/* Starts `mnemo serve all` on free ports and waits until it is healthy; fills base
 * ("http://127.0.0.1:PORT") and the nng and pub URLs (64 bytes each). Returns its pid, or
 * -1 when it did not become healthy. */
pid_t h_serve_all(struct harness *h, char *base, size_t base_size, char *nng_url, char *pub_url,
		  const char *const *extra_args);

/* ---- nng ---- */

/* One protobuf request to the gateway's nng socket; the reply is decoded into arena. */
int h_nng_call(const char *url, const Mnemo__Envelope *req, struct mnemo_arena *arena,
	       Mnemo__Envelope **ret_reply, unsigned timeout_ms);
/* Speaks the SP-over-TCP framing by hand as a REQ peer: the handshake, then a frame whose
 * length prefix says announced_len, followed by len bytes of data. Returns 1 when the
 * peer closed the connection within timeout_ms, 0 when it kept it open, -errno on error.
 * (nng's own REQ socket resends an oversized request forever, which is the point.) */
int h_sp_frame(int port, uint64_t announced_len, const void *data, size_t len,
	       unsigned timeout_ms);
/* Sends raw bytes on a fresh REQ socket and decodes the reply (-ETIMEDOUT when none). */
int h_nng_raw(const char *url, const void *data, size_t len, struct mnemo_arena *arena,
	      Mnemo__Envelope **ret_reply, unsigned timeout_ms);
