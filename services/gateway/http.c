/* The HTTP/JSON API: routes, the JSON <-> Envelope mapping per route, status codes, and
 * the libmicrohttpd server (connection cap, idle timeout, body cap, chunked bodies). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats.h"
#include "internal.h"
#include "json.h"
#include "log.h"

/* An oversized body is read and dropped before the 413 goes out: a reply sent while the
 * client is still sending is often lost in the TCP reset of the close. Past this many
 * bytes the connection is simply closed. */
enum { MAX_QUERY = 32, HEADER_MEMORY_BYTES = 64 * 1024, DROP_MAX_BYTES = 64 * 1024 * 1024 };

struct route {
	const char *method;
	const char *path;   /* exact, or the prefix before "{id}" */
	int with_id;        /* the path has an id after the prefix: a unit's, a job's */
	const char *suffix; /* with an id: what follows it ("/use"), or NULL */
	Mnemo__Envelope__BodyCase body;
	int ok_status;
};

static const struct route routes[] = {
	{"POST", "/v1/segment", 0, NULL, MNEMO__ENVELOPE__BODY_SEGMENT_REQUEST, 200},
	{"POST", "/v1/lookup", 0, NULL, MNEMO__ENVELOPE__BODY_LOOKUP_REQUEST, 200},
	{"POST", "/v1/units", 0, NULL, MNEMO__ENVELOPE__BODY_UNIT_ADD_REQUEST, 201},
	{"POST", "/v1/units/", 1, "/use", MNEMO__ENVELOPE__BODY_UNIT_USE_REQUEST, 200},
	{"GET", "/v1/units/", 1, NULL, MNEMO__ENVELOPE__BODY_UNIT_GET_REQUEST, 200},
	{"PUT", "/v1/units/", 1, NULL, MNEMO__ENVELOPE__BODY_UNIT_UPDATE_REQUEST, 200},
	{"DELETE", "/v1/units/", 1, NULL, MNEMO__ENVELOPE__BODY_UNIT_DELETE_REQUEST, 200},
	{"GET", "/v1/updates", 0, NULL, MNEMO__ENVELOPE__BODY_UPDATES_REQUEST, 200},
	{"GET", "/v1/status", 0, NULL, MNEMO__ENVELOPE__BODY_STATUS_REQUEST, 200},
	{"GET", "/v1/concordance", 0, NULL, MNEMO__ENVELOPE__BODY_CONCORDANCE_REQUEST, 200},
	{"POST", "/v1/imports", 0, NULL, MNEMO__ENVELOPE__BODY_IMPORT_REQUEST, 200},
	{"POST", "/v1/align", 0, NULL, MNEMO__ENVELOPE__BODY_ALIGN_REQUEST, 200},
	{"POST", "/v1/jobs", 0, NULL, MNEMO__ENVELOPE__BODY_JOB_ADD_REQUEST, 201},
	{"POST", "/v1/jobs/", 1, "/documents", MNEMO__ENVELOPE__BODY_JOB_ADD_REQUEST, 200},
	{"GET", "/v1/jobs/", 1, "/result", MNEMO__ENVELOPE__BODY_JOB_RESULT_REQUEST, 200},
	{"GET", "/v1/jobs/", 1, NULL, MNEMO__ENVELOPE__BODY_JOB_GET_REQUEST, 200},
};

enum { N_ROUTES = sizeof(routes) / sizeof(routes[0]) };

/* The one place where wire error codes become HTTP statuses. */
static int
http_status(Mnemo__ErrorCode code)
{
	switch (code) {
	case MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE:
		return 413;
	case MNEMO__ERROR_CODE__ERROR_CODE_NOT_FOUND:
		return 404;
	case MNEMO__ERROR_CODE__ERROR_CODE_METHOD_NOT_ALLOWED:
		return 405;
	case MNEMO__ERROR_CODE__ERROR_CODE_CONFLICT:
		return 409;
	case MNEMO__ERROR_CODE__ERROR_CODE_UNSUPPORTED_MEDIA_TYPE:
		return 415;
	case MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE:
		return 503;
	case MNEMO__ERROR_CODE__ERROR_CODE_TIMEOUT:
		return 504;
	case MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL:
	case MNEMO__ERROR_CODE__ERROR_CODE_UNSPECIFIED:
		return 500;
	default:
		return 400;
	}
}

/* ---- replies --------------------------------------------------------------------------- */

/* Takes text (compact JSON of len bytes, malloc'd; NULL if it could not be made, errno
 * saying why) as the body, with a final newline. */
static void
reply_text(struct gateway_http_reply *out, int status, char *text, size_t len)
{
	char *body;

	out->status = status;
	out->content_type = "application/json";
	if (text == NULL) {
		static const char oom[] =
			"{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}\n";
		static const char bad_utf8[] =
			"{\"error\":{\"code\":\"internal\",\"message\":\"a service sent text "
			"that is not UTF-8\"}}\n";
		const char *msg = errno == EILSEQ ? bad_utf8 : oom;

		out->status = 500;
		out->body = strdup(msg);
		out->body_len = out->body != NULL ? strlen(msg) : 0;
		return;
	}
	body = realloc(text, len + 2);
	if (body == NULL) {
		out->body = text;
		out->body_len = len;
		return;
	}
	body[len] = '\n';
	body[len + 1] = '\0';
	out->body = body;
	out->body_len = len + 1;
}

/* A small document built with jansson (the health check). */
static void
reply_json(struct gateway_http_reply *out, int status, json_t *doc)
{
	char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;

	json_decref(doc);
	if (text == NULL) {
		errno = ENOMEM;
	}
	reply_text(out, status, text, text != NULL ? strlen(text) : 0);
}

/* m as JSON, inside {"key": ...} when key is not NULL. */
static void
reply_message(struct gateway_http_reply *out, int status, const ProtobufCMessage *m,
	      const char *key)
{
	size_t len = 0;
	char *text = mnemo_json_write(m, key, &len);

	reply_text(out, status, text, len);
}

static void
reply_error(struct gateway_http_reply *out, const struct mnemo_fault *f)
{
	Mnemo__Error e;

	mnemo__error__init(&e);
	e.code = f->code;
	e.message = (char *)f->message;
	e.field = (char *)f->field;
	e.offset = f->offset;
	reply_message(out, http_status(f->code), &e.base, "error");
}

void
gateway_http_reply_error(struct gateway_http_reply *out, const struct mnemo_fault *f)
{
	reply_error(out, f);
}

static void
reply_envelope(struct gateway_http_reply *out, const Mnemo__Envelope *env, int ok_status)
{
	const ProtobufCMessage *body = mnemo_msg_body(env);

	if (body == NULL) {
		struct mnemo_fault f;

		mnemo_fault_set(&f, MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL, "", -1,
				"the service sent an empty reply");
		reply_error(out, &f);
		return;
	}
	if (env->body_case == MNEMO__ENVELOPE__BODY_ERROR) {
		reply_message(out, http_status(env->error->code), body, "error");
		return;
	}
	reply_message(out, ok_status, body, NULL);
}

/* ---- requests ---------------------------------------------------------------------------- */

static int
is_json(const char *content_type)
{
	size_t n = strlen("application/json");

	if (content_type == NULL) {
		return 1; /* no Content-Type at all: taken as JSON */
	}
	while (*content_type == ' ') {
		content_type++;
	}
	return strncasecmp(content_type, "application/json", n) == 0 &&
	       (content_type[n] == '\0' || content_type[n] == ';' || content_type[n] == ' ');
}

/* POST /v1/segment also takes the document itself: Content-Type text/plain or text/html,
 * with its charset, if any, as the encoding. Returns -ENOENT for any other type. */
static int
document_body(const struct gateway_http_request *req, struct mnemo_arena *arena,
	      Mnemo__SegmentRequest **ret)
{
	const char *ct = req->content_type, *charset;
	Mnemo__SegmentRequest *sr;
	size_t n;

	if (ct == NULL) {
		return -ENOENT;
	}
	while (*ct == ' ') {
		ct++;
	}
	n = strcspn(ct, "; ");
	if (!((n == 10 && strncasecmp(ct, "text/plain", n) == 0) ||
	      (n == 9 && strncasecmp(ct, "text/html", n) == 0))) {
		return -ENOENT;
	}
	sr = mnemo_arena_alloc(arena, sizeof(*sr));
	if (sr == NULL) {
		return -ENOMEM;
	}
	mnemo__segment_request__init(sr);
	sr->format = n == 9 ? "html" : "text";
	sr->data.data = (uint8_t *)req->body;
	sr->data.len = req->body_len;
	charset = strcasestr(ct + n, "charset=");
	if (charset != NULL) {
		charset += strlen("charset=");
		charset += *charset == '"';
		sr->encoding = mnemo_arena_strndup(arena, charset, strcspn(charset, "\"; "));
		if (sr->encoding == NULL) {
			return -ENOMEM;
		}
	}
	*ret = sr;
	return 0;
}

/* The length of the id when path is rt's path with an id (and its suffix), else 0. */
static size_t
route_id_len(const struct route *rt, const char *path)
{
	size_t n = strlen(rt->path), len = strlen(path), tail;

	if (strncmp(path, rt->path, n) != 0 || len == n) {
		return 0;
	}
	if (rt->suffix == NULL) {
		return len - n;
	}
	tail = strlen(rt->suffix);
	if (len <= n + tail || strcmp(path + len - tail, rt->suffix) != 0 ||
	    memchr(path + n, '/', len - n - tail) != NULL) {
		return 0;
	}
	return len - n - tail;
}

/* Whether path is rt's: routes with a suffix come first, and a path that is theirs is no
 * one else's ("/v1/units/7/use" is not unit "7/use"). */
static int
route_matches(const struct route *rt, const char *path, int suffixed)
{
	if (!rt->with_id) {
		return strcmp(path, rt->path) == 0;
	}
	return (rt->suffix != NULL) == suffixed && route_id_len(rt, path) > 0;
}

/* Finds the route; on failure fills f (404, or 405 with the allowed methods). */
static const struct route *
find_route(const char *method, const char *path, const char **ret_id, const char **ret_allow,
	   struct mnemo_fault *f)
{
	static __thread char allow[64], id_buf[64];
	int path_known = 0, suffixed = 0;

	for (size_t i = 0; i < N_ROUTES; i++) {
		suffixed |= routes[i].suffix != NULL && route_id_len(&routes[i], path) > 0;
	}
	allow[0] = '\0';
	for (size_t i = 0; i < N_ROUTES; i++) {
		const struct route *rt = &routes[i];

		if (!route_matches(rt, path, suffixed)) {
			continue;
		}
		path_known = 1;
		if (strcmp(method, rt->method) == 0) {
			*ret_id = NULL;
			if (rt->with_id && rt->suffix == NULL) {
				*ret_id = path + strlen(rt->path);
			} else if (rt->with_id) {
				/* ids have at most 19 digits: a longer one, cut, is refused */
				size_t n = route_id_len(rt, path);

				snprintf(id_buf, sizeof(id_buf), "%.*s",
					 (int)(n < sizeof(id_buf) ? n : sizeof(id_buf) - 1),
					 path + strlen(rt->path));
				*ret_id = id_buf;
			}
			return rt;
		}
		snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s",
			 allow[0] ? ", " : "", rt->method);
		*ret_allow = allow;
	}
	if (path_known) {
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_METHOD_NOT_ALLOWED, "", -1,
				"%s is not allowed on %s (allowed: %s)", method, path, *ret_allow);
	} else {
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_NOT_FOUND, "", -1,
				"no such path: %s (see GET /healthz and the /v1 API in PROTOCOL.md)",
				path);
	}
	return NULL;
}

/* The request message of a route, from its body, path id and query parameters. */
static int
build_request(const struct route *rt, const struct gateway_http_request *req, const char *id,
	      struct mnemo_arena *arena, ProtobufCMessage **ret, struct mnemo_fault *f)
{
	const ProtobufCMessageDescriptor *d = mnemo_msg_body_type(rt->body);
	Mnemo__SegmentRequest *document;
	ProtobufCMessage *m = NULL;
	int r;

	if (rt->body == MNEMO__ENVELOPE__BODY_SEGMENT_REQUEST &&
	    (r = document_body(req, arena, &document)) != -ENOENT) {
		/* a document sent as it is: its options come as query parameters */
		m = r == 0 ? &document->base : NULL;
	} else if ((strcmp(rt->method, "POST") == 0 || strcmp(rt->method, "PUT") == 0) &&
		   !(rt->body == MNEMO__ENVELOPE__BODY_UNIT_USE_REQUEST && req->body_len == 0)) {
		/* (POST /v1/units/{id}/use needs no body: its request_id may come in the query) */
		json_t *doc;

		if (!is_json(req->content_type)) {
			return mnemo_fault_set(f,
					       MNEMO__ERROR_CODE__ERROR_CODE_UNSUPPORTED_MEDIA_TYPE,
					       "", -1,
					       "the body must be JSON, sent with Content-Type: "
					       "application/json (curl: -H 'Content-Type: "
					       "application/json'), not %s%s",
					       req->content_type,
					       rt->body == MNEMO__ENVELOPE__BODY_SEGMENT_REQUEST
						       ? " (or a document as text/plain or text/html)"
						       : "");
		}
		if (req->body_len == 0) {
			return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_JSON, "", 0,
					       "the request body is empty; it must be a JSON object");
		}
		r = mnemo_json_parse(req->body, req->body_len, &doc, f);
		if (r < 0) {
			return r;
		}
		r = mnemo_json_to_message(doc, d, arena, &m, f);
		json_decref(doc);
	} else {
		m = mnemo_arena_alloc(arena, d->sizeof_message);
		r = m != NULL ? 0 : -ENOMEM;
		if (m != NULL) {
			d->message_init(m);
		}
	}
	if (r < 0) {
		return r;
	}
	if (id != NULL && protobuf_c_message_descriptor_get_field(m->descriptor, 1)->type ==
				  PROTOBUF_C_TYPE_STRING) {
		/* a job's id: field 1 of its requests, checked by the store */
		const ProtobufCFieldDescriptor *fd = protobuf_c_message_descriptor_get_field(m->descriptor, 1);
		char **body_id = (char **)((char *)m + fd->offset);

		if ((*body_id)[0] != '\0' && strcmp(*body_id, id) != 0) {
			return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
					       fd->name, -1,
					       "the id in the body differs from the one in the path");
		}
		*body_id = mnemo_arena_strdup(arena, id);
		r = *body_id != NULL ? 0 : -ENOMEM;
	} else if (id != NULL) {
		const ProtobufCFieldDescriptor *fd = protobuf_c_message_descriptor_get_field(m->descriptor, 1);
		uint64_t body_id = *(uint64_t *)((char *)m + fd->offset);

		for (const char *p = id; *p != '\0'; p++) {
			if (!isdigit((unsigned char)*p) || p - id >= 19) {
				return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
						       "id", -1, "'%s' is not a unit id", id);
			}
		}
		r = mnemo_json_set_field(m, "id", id, arena, f);
		if (r == 0 && body_id != 0 && body_id != *(uint64_t *)((char *)m + fd->offset)) {
			r = mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "id", -1,
					    "the id in the body differs from the one in the path");
		}
	}
	for (size_t i = 0; r == 0 && i < req->n_query; i++) {
		r = mnemo_json_set_field(m, req->query[2 * i], req->query[2 * i + 1], arena, f);
	}
	if (r == 0) {
		*ret = m;
	}
	return r;
}

static void
health(struct gateway *gw, struct gateway_http_reply *out)
{
	struct gateway_health h;
	int ok;

	gateway_health(gw, &h);
	ok = h.segmenters > 0 && h.aligners > 0 && h.store > 0;
	reply_json(out, ok ? 200 : 503,
		   json_pack("{s:s, s:i, s:i, s:i, s:I}", "status", ok ? "ok" : "degraded",
			     "segmenters", h.segmenters, "aligners", h.aligners, "store", h.store,
			     "last_seq", (json_int_t)h.last_seq));
}

/* POST /v1/tmx and /v1/gettext (streamed by the server below, see import_start): the
 * import's options from the path and query. */
static int
import_options(const char *path, const char *const *kv, size_t n,
	       struct gateway_import_options *opt, struct mnemo_fault *f)
{
	int is_tmx = strcmp(path, "/v1/tmx") == 0;

	memset(opt, 0, sizeof(*opt));
	opt->format = is_tmx ? GATEWAY_IMPORT_TMX : GATEWAY_IMPORT_GETTEXT;
	for (size_t i = 0; i < n; i++) {
		const char *name = kv[2 * i], *value = kv[2 * i + 1];

		if (strcmp(name, "duplicates") == 0) {
			opt->duplicates = value;
		} else if (strcmp(name, "source") == 0) {
			opt->source = value;
		} else if (strcmp(name, "target") == 0 && !is_tmx) {
			opt->target = value;
		} else if (strcmp(name, "origin") == 0) {
			opt->origin = value;
		} else if (strcmp(name, "name") == 0) {
			opt->name = value;
		} else {
			return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_UNKNOWN_FIELD, name, -1,
					       "unknown query parameter '%s' (POST %s takes "
					       "duplicates, source, %sorigin and name)",
					       name, path, is_tmx ? "" : "target, ");
		}
	}
	return 0;
}

static int
is_import(const char *method, const char *path)
{
	return strcmp(method, "POST") == 0 &&
	       (strcmp(path, "/v1/tmx") == 0 || strcmp(path, "/v1/gettext") == 0);
}

/* The socket-less entry (gateway_http_handle): the whole body at once. */
static void
import_whole(struct gateway *gw, const struct gateway_http_request *req,
	     struct gateway_http_reply *out)
{
	struct gateway_import_options opt;
	struct gateway_import *imp;
	struct mnemo_fault f;
	uint64_t id = out->request_id;

	mnemo_fault_clear(&f);
	if (import_options(req->path, req->query, req->n_query, &opt, &f) < 0) {
		reply_error(out, &f);
		return;
	}
	opt.request_id = id;
	if (gateway_import_begin(gw, &opt, &imp) < 0) {
		mnemo_fault_set(&f, MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL, "", -1, "out of memory");
		reply_error(out, &f);
		return;
	}
	(void)gateway_import_feed(imp, req->body, req->body_len);
	gateway_import_end(imp, out);
	out->request_id = id;
}

static void
handle(struct gateway *gw, const struct gateway_http_request *req,
       struct gateway_http_reply *out)
{
	const struct route *rt;
	struct mnemo_arena arena;
	struct mnemo_fault f;
	Mnemo__Envelope env, reply;
	ProtobufCMessage *body = NULL;
	const char *id = NULL;
	int r;

	mnemo_fault_clear(&f);
	if (strcmp(req->path, "/healthz") == 0 && strcmp(req->method, "GET") == 0) {
		health(gw, out);
		return;
	}
	if (strcmp(req->path, "/metrics") == 0 && strcmp(req->method, "GET") == 0) {
		out->status = 200;
		out->content_type = "text/plain; version=0.0.4";
		out->body = gateway_metrics(gw, &out->body_len);
		if (out->body == NULL) {
			out->status = 500;
		}
		return;
	}
	if (is_import(req->method, req->path)) {
		import_whole(gw, req, out);
		return;
	}
	rt = find_route(req->method, req->path, &id, &out->allow, &f);
	if (rt == NULL) {
		reply_error(out, &f);
		return;
	}
	mnemo_arena_init(&arena, 64 * (size_t)(req->body_len + (1u << 20)));
	r = build_request(rt, req, id, &arena, &body, &f);
	if (r == 0) {
		mnemo_msg_envelope_init(&env, out->request_id);
		mnemo_msg_envelope_init(&reply, out->request_id);
		mnemo_msg_set_body(&env, rt->body, body);
		r = gateway_dispatch(gw, &env, &reply, &arena, &f);
	}
	if (r < 0) {
		if (f.code == MNEMO__ERROR_CODE__ERROR_CODE_UNSPECIFIED) {
			mnemo_fault_set(&f, mnemo_msg_code_from_errno(r), "", -1, "%s",
					mnemo_strerror(r));
		}
		reply_error(out, &f);
	} else {
		reply_envelope(out, &reply, rt->ok_status);
	}
	mnemo_arena_fini(&arena);
}

void
gateway_http_handle(struct gateway *gw, const struct gateway_http_request *req,
		    struct gateway_http_reply *out)
{
	struct gateway_counters *c = gateway_counters(gw);

	memset(out, 0, sizeof(*out));
	out->request_id = mnemo_msg_new_request_id();
	handle(gw, req, out);
	if (out->status >= 200 && out->status < 600) {
		atomic_fetch_add(&c->http[out->status / 100], 1);
	}
	if (out->status >= 500 && strcmp(req->path, "/healthz") != 0) {
		mnemo_log_warn("gateway", "req=%016" PRIx64 " %s %s -> %d", out->request_id,
			       req->method, req->path, out->status);
	} else {
		mnemo_log_debug("gateway", "req=%016" PRIx64 " %s %s -> %d", out->request_id,
				req->method, req->path, out->status);
	}
}

/* ---- the libmicrohttpd server ----------------------------------------------------------- */

struct gateway_http {
	struct gateway *gw;
	struct MHD_Daemon *daemon;
	struct http_deadlines *deadlines;
	uint64_t max_body_bytes;
	uint64_t max_import_bytes;
};

/* One connection's request while its body arrives. */
struct pending {
	char *body;
	size_t len, cap;
	int refused;      /* answered before its body: what arrives of it is dropped */
	int oversized;    /* over max_body_bytes: read and dropped, then answered 413 */
	uint64_t dropped; /* bytes of an oversized body read so far */
	/* POST /v1/tmx, /v1/gettext: the body goes into imp as it arrives; once the import
	 * failed, imp is ended, its error reply waits in import_reply and the rest of the
	 * body is dropped. */
	struct gateway_import *imp;
	int is_import;
	struct gateway_http_reply import_reply;
};

struct query {
	const char *kv[2 * MAX_QUERY];
	size_t n;
	int overflow;
};

static enum MHD_Result
collect_query(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct query *q = cls;

	if (q->n == MAX_QUERY) {
		q->overflow = 1;
		return MHD_NO;
	}
	q->kv[2 * q->n] = key;
	q->kv[2 * q->n + 1] = value != NULL ? value : "";
	q->n++;
	return MHD_YES;
}

static enum MHD_Result
send_reply(struct MHD_Connection *conn, struct gateway_http_reply *out)
{
	struct MHD_Response *resp;
	enum MHD_Result ok;
	char id[17];

	resp = MHD_create_response_from_buffer(out->body_len, out->body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(out->body);
		return MHD_NO;
	}
	snprintf(id, sizeof(id), "%016" PRIx64, out->request_id);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				out->content_type ? out->content_type : "application/json");
	MHD_add_response_header(resp, "X-Request-Id", id);
	if (out->allow != NULL) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, out->allow);
	}
	ok = MHD_queue_response(conn, (unsigned)out->status, resp);
	MHD_destroy_response(resp);
	return ok;
}

/* Answers at once, whatever of the body has not arrived yet (MHD then closes). */
static enum MHD_Result
refuse(struct gateway_http *http, struct MHD_Connection *conn, int status, Mnemo__ErrorCode code,
       const char *message)
{
	struct gateway_http_reply out = {0};
	struct mnemo_fault f;

	mnemo_fault_set(&f, code, "", -1, "%s", message);
	out.request_id = mnemo_msg_new_request_id();
	reply_error(&out, &f);
	out.status = status;
	atomic_fetch_add(&gateway_counters(http->gw)->http[status / 100], 1);
	return send_reply(conn, &out);
}

static enum MHD_Result
too_large(struct gateway_http *http, struct MHD_Connection *conn)
{
	char message[128];

	snprintf(message, sizeof(message), "the body is over the limit of %" PRIu64 " bytes",
		 http->max_body_bytes);
	return refuse(http, conn, 413, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, message);
}

/* ---- GET /v1/tmx: the memory as TMX, streamed (export.c makes it) --------------------------- */

enum { EXPORT_BLOCK_BYTES = 64 * 1024, EXPORT_MAX_LANGS = 64, EXPORT_LANG_BYTES = 2048 };

/* libmicrohttpd's content reader: it runs in the connection's own thread, so waiting there
 * for the store's next page holds up no one else. */
static ssize_t
export_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	ssize_t n = gateway_export_read(cls, buf, max);

	(void)pos;
	if (n > 0) {
		return n;
	}
	/* An error ends the connection without the last chunk: the client sees a cut
	 * transfer, never a short document that looks whole. */
	return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

/* When the response is done with, sent or not (a client that went away). */
static void
export_free(void *cls)
{
	gateway_export_free(cls);
}

/* The export's options from the query: source and target, or lang (repeated, or values
 * separated by commas). The tags point into langs_buf. */
static int
export_query(const struct query *q, struct gateway_export_options *opt, const char **langs,
	     char *langs_buf, struct mnemo_fault *f)
{
	size_t used = 0;

	for (size_t i = 0; i < q->n; i++) {
		const char *name = q->kv[2 * i], *value = q->kv[2 * i + 1];

		if (strcmp(name, "source") == 0) {
			opt->source = value;
		} else if (strcmp(name, "target") == 0) {
			opt->target = value;
		} else if (strcmp(name, "lang") == 0) {
			size_t len = strlen(value);
			char *tag, *save;

			if (used + len + 1 > EXPORT_LANG_BYTES) {
				return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE,
						       "lang", -1, "lang: over %d bytes of tags",
						       EXPORT_LANG_BYTES);
			}
			memcpy(langs_buf + used, value, len + 1);
			for (tag = strtok_r(langs_buf + used, ",", &save); tag != NULL;
			     tag = strtok_r(NULL, ",", &save)) {
				if (opt->n_langs == EXPORT_MAX_LANGS) {
					return mnemo_fault_set(f,
							       MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE,
							       "lang", -1, "lang: more than %d languages",
							       EXPORT_MAX_LANGS);
				}
				langs[opt->n_langs++] = tag;
			}
			used += len + 1;
		} else {
			return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_UNKNOWN_FIELD, name,
					       -1,
					       "unknown query parameter '%s' (GET /v1/tmx takes "
					       "source and target, or lang)",
					       name);
		}
	}
	opt->langs = langs;
	return 0;
}

static enum MHD_Result
send_export(struct gateway_http *http, struct MHD_Connection *conn, const struct query *q)
{
	struct gateway_export_options opt = {0};
	struct gateway_http_reply out = {0};
	struct gateway_export *exp = NULL;
	struct MHD_Response *resp;
	const char *langs[EXPORT_MAX_LANGS];
	char langs_buf[EXPORT_LANG_BYTES], id[17];
	struct mnemo_fault f;
	enum MHD_Result ok;

	mnemo_fault_clear(&f);
	opt.request_id = mnemo_msg_new_request_id();
	if (export_query(q, &opt, langs, langs_buf, &f) < 0) {
		out.request_id = opt.request_id;
		reply_error(&out, &f);
	} else {
		(void)gateway_export_begin(http->gw, &opt, &exp, &out);
	}
	if (exp == NULL) {
		atomic_fetch_add(&gateway_counters(http->gw)->http[out.status / 100], 1);
		mnemo_log_debug("gateway", "req=%016" PRIx64 " GET /v1/tmx -> %d", out.request_id,
				out.status);
		return send_reply(conn, &out);
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, EXPORT_BLOCK_BYTES,
						 export_reader, exp, export_free);
	if (resp == NULL) {
		gateway_export_free(exp);
		return MHD_NO;
	}
	snprintf(id, sizeof(id), "%016" PRIx64, opt.request_id);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/x-tmx+xml");
	MHD_add_response_header(resp, "X-Request-Id", id);
	ok = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp); /* the connection keeps it (and the export) until done */
	atomic_fetch_add(&gateway_counters(http->gw)->http[2], 1);
	mnemo_log_debug("gateway", "req=%016" PRIx64 " GET /v1/tmx -> 200", opt.request_id);
	return ok;
}

/* ---- POST /v1/tmx and /v1/gettext: the body streamed into an import (import.c) ----------- */

/* libmicrohttpd 0.9.75 cannot answer while a body is still arriving: after an import
 * failed, this much more of its body is read and dropped (unparsed, at network speed) so
 * that the error reply gets through; past it the connection is closed. */
enum { IMPORT_DROP_MAX_BYTES = 1024 * 1024 * 1024 };

static enum MHD_Result
send_counted(struct gateway_http *http, struct MHD_Connection *conn, const char *url,
	     struct gateway_http_reply *out)
{
	if (out->status >= 200 && out->status < 600) {
		atomic_fetch_add(&gateway_counters(http->gw)->http[out->status / 100], 1);
	}
	mnemo_log_debug("gateway", "req=%016" PRIx64 " POST %s -> %d", out->request_id, url,
			out->status);
	return send_reply(conn, out);
}

/* The headers are in: refuse at once what can be (bad query, too large), else start. */
static enum MHD_Result
import_start(struct gateway_http *http, struct MHD_Connection *conn, const char *url,
	     struct pending *p)
{
	const char *cl =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	struct gateway_import_options opt;
	struct gateway_http_reply out = {0};
	struct query q = {0};
	struct mnemo_fault f;

	p->is_import = 1;
	mnemo_fault_clear(&f);
	out.request_id = mnemo_msg_new_request_id();
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query, &q);
	if (q.overflow) {
		mnemo_fault_set(&f, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, "", -1,
				"more than %d query parameters", MAX_QUERY);
	} else if (import_options(url, q.kv, q.n, &opt, &f) == 0 && cl != NULL &&
		   http->max_import_bytes != 0 && strtoull(cl, NULL, 10) > http->max_import_bytes) {
		mnemo_fault_set(&f, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, "", -1,
				"the file is over the import limit of %" PRIu64
				" bytes ([gateway] max_import_bytes)",
				http->max_import_bytes);
	} else if (f.code == MNEMO__ERROR_CODE__ERROR_CODE_UNSPECIFIED && cl != NULL &&
		   opt.format == GATEWAY_IMPORT_GETTEXT &&
		   strtoull(cl, NULL, 10) > MNEMO_MO_MAX_BYTES) {
		mnemo_fault_set(&f, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, "", -1,
				"a gettext file is read whole, and this one is over the limit of "
				"%d bytes",
				MNEMO_MO_MAX_BYTES);
	}
	if (f.code == MNEMO__ERROR_CODE__ERROR_CODE_UNSPECIFIED) {
		opt.max_bytes = http->max_import_bytes;
		opt.request_id = out.request_id;
		if (gateway_import_begin(http->gw, &opt, &p->imp) < 0) {
			return MHD_NO;
		}
		if (gateway_import_feed(p->imp, NULL, 0) == 0) {
			return MHD_YES; /* the body may come */
		}
		gateway_import_end(p->imp, &out); /* bad options */
		p->imp = NULL;
	} else {
		reply_error(&out, &f);
	}
	p->refused = 1;
	return send_counted(http, conn, url, &out);
}

/* A piece of the body: into the import, or dropped once it failed. The body deadline
 * applies to each wait for the next piece, not to the whole file: a gigabyte takes its
 * time, a client that stops sending does not keep the connection. */
static enum MHD_Result
import_piece(struct gateway_http *http, struct MHD_Connection *conn, struct pending *p,
	     const char *data, size_t n)
{
	if (p->imp == NULL) {
		p->dropped += n;
		return p->dropped > IMPORT_DROP_MAX_BYTES ? MHD_NO : MHD_YES;
	}
	http_deadlines_phase(http->deadlines, conn, HTTP_PHASE_BUSY);
	if (gateway_import_feed(p->imp, data, n) < 0) {
		gateway_import_end(p->imp, &p->import_reply); /* aborted in the store now */
		p->imp = NULL;
	}
	http_deadlines_phase(http->deadlines, conn, HTTP_PHASE_BODY);
	return MHD_YES;
}

/* The whole body is in: commit (or the error that came before). */
static enum MHD_Result
import_done(struct gateway_http *http, struct MHD_Connection *conn, const char *url,
	    struct pending *p)
{
	struct gateway_http_reply out;

	if (p->imp != NULL) {
		gateway_import_end(p->imp, &out);
		p->imp = NULL;
	} else {
		out = p->import_reply;
		memset(&p->import_reply, 0, sizeof(p->import_reply));
	}
	return send_counted(http, conn, url, &out);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	   const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct gateway_http *http = cls;
	struct pending *p = *con_cls;
	struct gateway_http_request req = {0};
	struct gateway_http_reply out;
	struct query q = {0};

	if (p == NULL) {
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);

		p = calloc(1, sizeof(*p));
		if (p == NULL) {
			return MHD_NO;
		}
		*con_cls = p;
		http_deadlines_phase(http->deadlines, conn, HTTP_PHASE_BODY);
		if (cl != NULL && MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							      MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
			/* Two body lengths: a proxy in front may have read another request. */
			p->refused = 1;
			return refuse(http, conn, 400, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST,
				      "Content-Length and Transfer-Encoding together are refused");
		}
		if (is_import(method, url)) {
			return import_start(http, conn, url, p); /* not held to max_body_bytes */
		}
		if (cl != NULL && strtoull(cl, NULL, 10) > http->max_body_bytes) {
			const char *expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
									 MHD_HTTP_HEADER_EXPECT);

			if ((expect != NULL && strcasecmp(expect, "100-continue") == 0) ||
			    strtoull(cl, NULL, 10) > DROP_MAX_BYTES) {
				/* The client waits for "100 Continue", or the body is too big
				 * to drop: answer now, without reading it. */
				p->refused = 1;
				return too_large(http, conn);
			}
			p->oversized = 1;
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (p->refused) {
			return MHD_YES;
		}
		if (p->is_import) {
			return import_piece(http, conn, p, upload_data, n);
		}
		if (!p->oversized && n > http->max_body_bytes - p->len) {
			/* A chunked body has no Content-Length to refuse up front. */
			p->oversized = 1;
			p->dropped = p->len;
			free(p->body);
			p->body = NULL;
			p->len = p->cap = 0;
		}
		if (p->oversized) {
			p->dropped += n;
			return p->dropped > DROP_MAX_BYTES ? MHD_NO : MHD_YES;
		}
		if (p->len + n + 1 > p->cap) {
			size_t cap = p->cap ? p->cap : 4096;
			char *grown;

			while (cap < p->len + n + 1) {
				cap *= 2;
			}
			grown = realloc(p->body, cap);
			if (grown == NULL) {
				return MHD_NO;
			}
			p->body = grown;
			p->cap = cap;
		}
		memcpy(p->body + p->len, upload_data, n);
		p->len += n;
		return MHD_YES;
	}
	http_deadlines_phase(http->deadlines, conn, HTTP_PHASE_BUSY);
	if (p->refused) {
		return MHD_YES; /* already answered */
	}
	if (p->oversized) {
		return too_large(http, conn);
	}
	if (p->is_import) {
		return import_done(http, conn, url, p);
	}
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query, &q);
	req.method = method;
	req.path = url;
	req.query = q.kv;
	req.n_query = q.n;
	req.content_type =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	req.body = p->body != NULL ? p->body : "";
	req.body_len = p->len;
	if (q.overflow) {
		struct mnemo_fault f;

		memset(&out, 0, sizeof(out));
		mnemo_fault_set(&f, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, "", -1,
				"more than %d query parameters", MAX_QUERY);
		out.request_id = mnemo_msg_new_request_id();
		reply_error(&out, &f);
	} else if (strcmp(url, "/v1/tmx") == 0 && strcmp(method, "GET") == 0) {
		return send_export(http, conn, &q);
	} else {
		gateway_http_handle(http->gw, &req, &out);
	}
	return send_reply(conn, &out);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	struct gateway_http *http = cls;
	struct pending *p = *con_cls;

	if (p != NULL) {
		/* A body cut short (the client went away): the import is aborted, as if it had
		 * never begun. */
		gateway_import_abort(p->imp);
		free(p->import_reply.body);
		free(p->body);
		free(p);
		*con_cls = NULL;
	}
	http_deadlines_phase(http->deadlines, conn, HTTP_PHASE_HEADERS); /* the next request's */
}

static void __attribute__((format(printf, 2, 0)))
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	mnemo_log_debug("http", "%s", line);
}

/* "HOST:PORT" or "[V6]:PORT" to a socket address. */
static int
parse_addr(const char *text, struct sockaddr_storage *ss)
{
	char host[256];
	const char *colon = strrchr(text, ':');
	struct addrinfo hints = {.ai_flags = AI_NUMERICSERV | AI_PASSIVE,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai;
	size_t n;

	if (colon == NULL || colon == text || (size_t)(colon - text) >= sizeof(host)) {
		return -EINVAL;
	}
	n = (size_t)(colon - text);
	if (text[0] == '[' && colon[-1] == ']') {
		memcpy(host, text + 1, n - 2);
		host[n - 2] = '\0';
	} else {
		memcpy(host, text, n);
		host[n] = '\0';
	}
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0) {
		return -EINVAL;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return 0;
}

int
gateway_http_start(struct gateway *gw, const struct gateway_config *cfg,
		   struct gateway_http **ret)
{
	struct gateway_http *http = calloc(1, sizeof(*http));
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_POLL | MHD_USE_ERROR_LOG;
	int r;

	if (http == NULL) {
		return -ENOMEM;
	}
	r = parse_addr(cfg->http_addr, &ss);
	if (r < 0) {
		free(http);
		return r;
	}
	if (ss.ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
	}
	http->gw = gw;
	http->max_body_bytes = cfg->max_body_bytes;
	http->max_import_bytes = cfg->max_import_bytes;
	r = http_deadlines_start(cfg->header_timeout_s * 1000, cfg->body_timeout_s * 1000,
				 gateway_counters(gw), &http->deadlines);
	if (r < 0) {
		free(http);
		return r;
	}
	http->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, http, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)cfg->idle_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)HEADER_MEMORY_BYTES, MHD_OPTION_NOTIFY_COMPLETED, on_completed, http,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, http, MHD_OPTION_NOTIFY_CONNECTION,
		http_deadlines_on_connection, http->deadlines,
		/* Strict parsing: a request without Host, or with both Content-Length and
		 * Transfer-Encoding (request smuggling), is refused with 400. */
		MHD_OPTION_STRICT_FOR_CLIENT, (int)1, MHD_OPTION_END);
	if (http->daemon == NULL) {
		http_deadlines_stop(http->deadlines);
		free(http);
		return -EADDRINUSE;
	}
	*ret = http;
	return 0;
}

void
gateway_http_stop(struct gateway_http *http)
{
	if (http == NULL) {
		return;
	}
	MHD_stop_daemon(http->daemon);
	http_deadlines_stop(http->deadlines);
	free(http);
}
