/* Messaging: nng sockets carrying protobuf Envelopes (proto/mnemo.proto), with the limits
 * RELIABILITY.md asks for on every one: a receive-size limit on each socket, a deadline
 * on each request, validation of every decoded message, and a change feed that loses
 * nothing although pub/sub does. nng stays behind this header so that an nng upgrade
 * touches one folder. */
#pragma once

#include <nng/nng.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "err.h"
#include "mnemo.pb-c.h"

enum { MNEMO_WIRE_VERSION = 1 };

/* ---- faults: what went wrong with a request, for the error reply ---------------------- */

struct mnemo_fault {
	Mnemo__ErrorCode code;
	char field[96];   /* "" when none */
	int64_t offset;   /* -1 when none */
	char message[512];
	uint64_t request_id; /* set by mnemo_msg_decode when it could read one from a message
			      * it refused, so that the error reply still carries it */
};

void mnemo_fault_clear(struct mnemo_fault *f);
/* Records a fault; returns the errno that goes with code (negative), so a caller can
 * write `return mnemo_fault_set(...)`. */
int mnemo_fault_set(struct mnemo_fault *f, Mnemo__ErrorCode code, const char *field,
		    int64_t offset, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The wire code for a negative errno, for errors nobody described more precisely. */
Mnemo__ErrorCode mnemo_msg_code_from_errno(int r);
int mnemo_msg_errno_from_code(Mnemo__ErrorCode code);
/* Short snake_case name of a code: "invalid_utf8" (the JSON spelling). */
const char *mnemo_msg_code_name(Mnemo__ErrorCode code);
/* Sets env's body to an Error built from f (allocated in arena). -ENOMEM only. */
int mnemo_msg_set_error(Mnemo__Envelope *env, struct mnemo_arena *arena,
			const struct mnemo_fault *f);

/* ---- decoding and encoding ---------------------------------------------------------- */

struct mnemo_msg_limits {
	size_t max_message_bytes; /* also the socket's NNG_OPT_RECVMAXSZ */
	uint32_t max_list;        /* entries of any one repeated field in one message */
	uint32_t max_depth;       /* nesting of messages */
};

/* Defaults for sockets facing clients and for sockets between mnemo's own processes. */
extern const struct mnemo_msg_limits mnemo_msg_client_limits;
extern const struct mnemo_msg_limits mnemo_msg_internal_limits;

/* Memory one decoded request may take: protobuf-c needs up to ~36 bytes per byte of a
 * list-heavy message, so the arena is capped well above any legal message's needs. */
size_t mnemo_msg_arena_limit(const struct mnemo_msg_limits *lim);

/* Checks wire bytes against the Envelope schema before anything is allocated (sizes,
 * list lengths, nesting, UTF-8 and NUL in every string field), then unpacks into the
 * arena and checks the header (version, a body). Returns 0, or a negative errno with f
 * saying what and where. */
int mnemo_msg_decode(const void *data, size_t len, const struct mnemo_msg_limits *lim,
		     struct mnemo_arena *arena, Mnemo__Envelope **ret_env, struct mnemo_fault *f);

/* Packs env into a new nng message; -EMSGSIZE when over max_bytes (so an oversized
 * request is refused here, not dropped by the peer and resent forever). */
int mnemo_msg_encode(const Mnemo__Envelope *env, size_t max_bytes, nng_msg **ret_msg);

/* The body of env whatever its type, NULL when it has none. */
ProtobufCMessage *mnemo_msg_body(const Mnemo__Envelope *env);
/* The body type of a body case (NULL when not one). */
const ProtobufCMessageDescriptor *mnemo_msg_body_type(Mnemo__Envelope__BodyCase body);
/* Sets env's body to msg for body case `body` (msg of the matching type). */
void mnemo_msg_set_body(Mnemo__Envelope *env, Mnemo__Envelope__BodyCase body,
			ProtobufCMessage *msg);

/* A header for a new message: version 1, the given request id. */
void mnemo_msg_envelope_init(Mnemo__Envelope *env, uint64_t request_id);
/* A random non-zero 64-bit request id. */
uint64_t mnemo_msg_new_request_id(void);

/* ---- sockets ------------------------------------------------------------------------ */

enum mnemo_msg_role {
	MNEMO_MSG_REQ,
	MNEMO_MSG_REP,
	MNEMO_MSG_PUB,
	MNEMO_MSG_SUB,
};

struct mnemo_msg_socket_config {
	size_t max_message_bytes; /* NNG_OPT_RECVMAXSZ, never 0 */
	uint32_t resend_ms;       /* REQ only: resend an unanswered request after this long */
	uint32_t queue_len;       /* PUB, SUB: messages queued per peer before dropping; 0: 1024 */
};

/* Opens a socket of the role with its limits set; SUB sockets subscribe to everything. */
int mnemo_msg_socket_open(enum mnemo_msg_role role, const struct mnemo_msg_socket_config *cfg,
			  nng_socket *ret);
int mnemo_msg_listen(nng_socket s, const char *url);
/* Dials in the background: the peer may come up later, and a lost connection is
 * re-dialled with backoff. */
int mnemo_msg_dial(nng_socket s, const char *url);
int mnemo_err_from_nng(int nng_rv);

/* Counts a socket's connected peers (pipes), for health checks and error messages. */
struct mnemo_msg_peers {
	atomic_int count;
};
int mnemo_msg_track_peers(nng_socket s, struct mnemo_msg_peers *peers);

/* ---- request/reply ------------------------------------------------------------------ */

/* Sends request on a REQ socket and waits for the reply, at most timeout_ms in all. Safe
 * from many threads at once (one nng context per call). The reply is decoded into arena
 * and must echo the request id. Returns 0, -ETIMEDOUT, -EMSGSIZE (request over
 * lim->max_message_bytes), -EPROTO (a bad reply; f says why) or another negative errno. */
int mnemo_msg_call(nng_socket req, const Mnemo__Envelope *request, uint32_t timeout_ms,
		   const struct mnemo_msg_limits *lim, struct mnemo_arena *arena,
		   Mnemo__Envelope **ret_reply, struct mnemo_fault *f);

/* A service's handler: fills reply's body from req (allocating from arena). On failure it
 * returns a negative errno, with f describing the fault when it knows more; the server
 * then sends an Error reply. */
typedef int (*mnemo_msg_handler)(void *arg, const Mnemo__Envelope *req, Mnemo__Envelope *reply,
				 struct mnemo_arena *arena, struct mnemo_fault *f);

struct mnemo_msg_server_stats {
	atomic_ullong requests;
	atomic_ullong rejected; /* not decodable or invalid: answered with an Error */
	atomic_ullong failed;   /* the handler failed: answered with an Error */
	atomic_ullong dropped;  /* the reply could not be sent */
};

struct mnemo_msg_server;

/* Serves a REP socket with n_threads threads, each with its own context and arena, so a
 * slow request never blocks nng's own thread pool. topic names the service in logs. */
int mnemo_msg_server_start(nng_socket rep, unsigned n_threads, const struct mnemo_msg_limits *lim,
			   const char *topic, mnemo_msg_handler handler, void *arg,
			   struct mnemo_msg_server **ret);
/* Stops and joins the threads (requests in progress finish first). Accepts NULL. */
void mnemo_msg_server_stop(struct mnemo_msg_server *srv);
const struct mnemo_msg_server_stats *mnemo_msg_server_stats(const struct mnemo_msg_server *srv);

/* ---- publishing and the lossless change feed ---------------------------------------- */

/* Publishes env without blocking (pub/sub drops for slow readers; the feed catches up). */
int mnemo_msg_publish(nng_socket pub, const Mnemo__Envelope *env, size_t max_bytes);

struct mnemo_feed_ops {
	/* Fetches the changes after `since` (at most a page), decoded into arena. */
	int (*fetch)(void *arg, uint64_t since, struct mnemo_arena *arena,
		     Mnemo__UpdatesReply **ret_reply);
	/* Applies one change; called in seq order, once per seq, never concurrently. */
	int (*apply)(void *arg, const Mnemo__Update *update);
};

struct mnemo_feed_stats {
	atomic_ullong applied;
	atomic_ullong duplicates; /* seq already applied: ignored */
	atomic_ullong gaps;       /* missed messages detected */
	atomic_ullong catch_ups;  /* fetches made to fill gaps */
};

struct mnemo_feed;

struct mnemo_feed_config {
	const char *sub_url; /* the publisher; NULL: no subscription, fetch every stale_ms */
	uint64_t from_seq;   /* changes after this one are applied */
	uint32_t stale_ms;   /* silence longer than this makes it fetch; 0: 3000 */
	uint32_t queue_len;  /* messages the subscription buffers; 0: 1024 */
	struct mnemo_msg_limits lim;
};

/* Follows a publisher: applies each change after from_seq once and in order. A gap in
 * the sequence, a heartbeat ahead of what was applied, or silence longer than stale_ms
 * makes it fetch what it missed. */
int mnemo_feed_start(const struct mnemo_feed_config *cfg, const struct mnemo_feed_ops *ops,
		     void *arg, struct mnemo_feed **ret);
/* Makes every mnemo_feed_wait and mnemo_feed_sync, now and later, return at once (the
 * first step of a shutdown: long polls and reads waiting for a seq end before the threads
 * running them are joined). */
void mnemo_feed_interrupt(struct mnemo_feed *feed);
void mnemo_feed_stop(struct mnemo_feed *feed);
uint64_t mnemo_feed_last_seq(struct mnemo_feed *feed);
/* Makes sure every change up to seq is applied, fetching now if needed. -ETIMEDOUT when
 * the publisher has not reached seq within timeout_ms. */
int mnemo_feed_sync(struct mnemo_feed *feed, uint64_t seq, uint32_t timeout_ms);
/* Waits until a change after `after` is applied, or timeout_ms passes; returns the last
 * applied seq. For long polls. */
uint64_t mnemo_feed_wait(struct mnemo_feed *feed, uint64_t after, uint32_t timeout_ms);
const struct mnemo_feed_stats *mnemo_feed_stats(const struct mnemo_feed *feed);
