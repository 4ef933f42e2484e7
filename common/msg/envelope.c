/* Envelope decoding with validation, encoding with a size check, and error replies. */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "msg.h"
#include "text.h"

const struct mnemo_msg_limits mnemo_msg_client_limits = {
	.max_message_bytes = 4u << 20,
	.max_list = 100000,
	.max_depth = 8,
};

const struct mnemo_msg_limits mnemo_msg_internal_limits = {
	.max_message_bytes = 64u << 20,
	.max_list = 4000000,
	.max_depth = 8,
};

size_t
mnemo_msg_arena_limit(const struct mnemo_msg_limits *lim)
{
	return 48 * lim->max_message_bytes + (1u << 20);
}

/* ---- faults ---------------------------------------------------------------------------- */

static const struct {
	Mnemo__ErrorCode code;
	const char *name;
	int err;
} codes[] = {
	{MNEMO__ERROR_CODE__ERROR_CODE_UNSPECIFIED, "unspecified", EIO},
	{MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, "invalid_request", EINVAL},
	{MNEMO__ERROR_CODE__ERROR_CODE_INVALID_JSON, "invalid_json", EINVAL},
	{MNEMO__ERROR_CODE__ERROR_CODE_INVALID_UTF8, "invalid_utf8", EILSEQ},
	{MNEMO__ERROR_CODE__ERROR_CODE_MISSING_FIELD, "missing_field", EINVAL},
	{MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE, "wrong_type", EINVAL},
	{MNEMO__ERROR_CODE__ERROR_CODE_UNKNOWN_FIELD, "unknown_field", EINVAL},
	{MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, "too_large", EMSGSIZE},
	{MNEMO__ERROR_CODE__ERROR_CODE_NOT_FOUND, "not_found", ENOENT},
	{MNEMO__ERROR_CODE__ERROR_CODE_METHOD_NOT_ALLOWED, "method_not_allowed", EBADRQC},
	{MNEMO__ERROR_CODE__ERROR_CODE_CONFLICT, "conflict", EEXIST},
	{MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE, "unavailable", EAGAIN},
	{MNEMO__ERROR_CODE__ERROR_CODE_TIMEOUT, "timeout", ETIMEDOUT},
	{MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL, "internal", EIO},
	{MNEMO__ERROR_CODE__ERROR_CODE_UNSUPPORTED_VERSION, "unsupported_version", ENOTSUP},
	{MNEMO__ERROR_CODE__ERROR_CODE_INVALID_LANG, "invalid_lang", EINVAL},
	{MNEMO__ERROR_CODE__ERROR_CODE_MALFORMED_MESSAGE, "malformed_message", EPROTO},
	{MNEMO__ERROR_CODE__ERROR_CODE_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", EINVAL},
	{MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "invalid_value", EINVAL},
	{MNEMO__ERROR_CODE__ERROR_CODE_INVALID_ENCODING, "invalid_encoding", EILSEQ},
	{MNEMO__ERROR_CODE__ERROR_CODE_EMPTY_DOCUMENT, "empty_document", ENODATA},
	{MNEMO__ERROR_CODE__ERROR_CODE_WRONG_LANGUAGE, "wrong_language", EINVAL},
};

enum { N_CODES = sizeof(codes) / sizeof(codes[0]) };

const char *
mnemo_msg_code_name(Mnemo__ErrorCode code)
{
	for (size_t i = 0; i < N_CODES; i++) {
		if (codes[i].code == code) {
			return codes[i].name;
		}
	}
	return "unspecified";
}

int
mnemo_msg_errno_from_code(Mnemo__ErrorCode code)
{
	for (size_t i = 0; i < N_CODES; i++) {
		if (codes[i].code == code) {
			return -codes[i].err;
		}
	}
	return -EIO;
}

Mnemo__ErrorCode
mnemo_msg_code_from_errno(int r)
{
	switch (-r) {
	case EINVAL:
		return MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST;
	case EILSEQ:
		return MNEMO__ERROR_CODE__ERROR_CODE_INVALID_UTF8;
	case EMSGSIZE:
	case E2BIG:
		return MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE;
	case ENOENT:
		return MNEMO__ERROR_CODE__ERROR_CODE_NOT_FOUND;
	case EBADRQC:
		return MNEMO__ERROR_CODE__ERROR_CODE_METHOD_NOT_ALLOWED;
	case EEXIST:
		return MNEMO__ERROR_CODE__ERROR_CODE_CONFLICT;
	case EAGAIN:
	case ECONNREFUSED:
	case ENOSPC:
	case ESHUTDOWN:
		return MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE;
	case ETIMEDOUT:
		return MNEMO__ERROR_CODE__ERROR_CODE_TIMEOUT;
	case ENOTSUP:
		return MNEMO__ERROR_CODE__ERROR_CODE_UNSUPPORTED_VERSION;
	case EPROTO:
		return MNEMO__ERROR_CODE__ERROR_CODE_MALFORMED_MESSAGE;
	default:
		return MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL;
	}
}

void
mnemo_fault_clear(struct mnemo_fault *f)
{
	f->request_id = 0;
	f->code = MNEMO__ERROR_CODE__ERROR_CODE_UNSPECIFIED;
	f->field[0] = '\0';
	f->offset = -1;
	f->message[0] = '\0';
}

int
mnemo_fault_set(struct mnemo_fault *f, Mnemo__ErrorCode code, const char *field, int64_t offset,
		const char *fmt, ...)
{
	va_list ap;

	f->code = code;
	snprintf(f->field, sizeof(f->field), "%s", field ? field : "");
	f->offset = offset;
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
	return mnemo_msg_errno_from_code(code);
}

int
mnemo_msg_set_error(Mnemo__Envelope *env, struct mnemo_arena *arena, const struct mnemo_fault *f)
{
	Mnemo__Error *e = mnemo_arena_alloc(arena, sizeof(*e));

	if (e == NULL) {
		return -ENOMEM;
	}
	mnemo__error__init(e);
	e->code = f->code;
	e->message = mnemo_arena_strdup(arena, f->message);
	e->field = mnemo_arena_strdup(arena, f->field);
	e->offset = f->offset;
	if (e->message == NULL || e->field == NULL) {
		return -ENOMEM;
	}
	env->body_case = MNEMO__ENVELOPE__BODY_ERROR;
	env->error = e;
	return 0;
}

/* ---- validating the wire bytes before protobuf-c sees them ----------------------------- *
 * protobuf-c 1.4.1 accepts invalid UTF-8 and NULs in string fields (a NUL silently cuts
 * the C string) and allocates ~36 bytes per byte of a flood of empty list entries. This
 * walk, driven by protobuf-c's own descriptors, refuses all of that while the bytes are
 * still a flat buffer. */

struct walk {
	const struct mnemo_msg_limits *lim;
	const uint8_t *base;
	struct mnemo_fault *f;
	char path[96];
	uint64_t request_id; /* Envelope.request_id, once seen */
};

static int
read_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *ret)
{
	uint64_t v = 0;

	for (unsigned shift = 0; shift < 64; shift += 7) {
		uint8_t b;

		if (*pos >= len) {
			return -EPROTO;
		}
		b = p[(*pos)++];
		v |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*ret = v;
			return 0;
		}
	}
	return -EPROTO;
}

static int
malformed(struct walk *w, const uint8_t *at, const char *why)
{
	return mnemo_fault_set(w->f, MNEMO__ERROR_CODE__ERROR_CODE_MALFORMED_MESSAGE, w->path,
			       at - w->base, "not a valid mnemo Envelope: %s at byte %td", why,
			       at - w->base);
}

static int walk_message(struct walk *w, const ProtobufCMessageDescriptor *d, const uint8_t *p,
			size_t len, uint32_t depth);

/* 1 the first time a member of this oneof is seen in a message, 0 after. */
static int
first_of_oneof(unsigned *seen, size_t *n, unsigned case_offset)
{
	for (size_t i = 0; i < *n; i++) {
		if (seen[i] == case_offset) {
			return 0;
		}
	}
	if (*n < 8) {
		seen[(*n)++] = case_offset;
	}
	return 1;
}

static int
walk_field(struct walk *w, const ProtobufCFieldDescriptor *fd, const uint8_t *p, size_t len,
	   uint32_t depth)
{
	size_t saved = strlen(w->path);
	size_t off;
	int r = 0;

	snprintf(w->path + saved, sizeof(w->path) - saved, "%s%s", saved ? "." : "", fd->name);
	switch (fd->type) {
	case PROTOBUF_C_TYPE_STRING:
		if (mnemo_text_check_utf8((const char *)p, len, &off) < 0) {
			r = mnemo_fault_set(w->f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_UTF8, w->path,
					    (int64_t)off,
					    "%s is not valid UTF-8 (or holds a NUL) at byte %zu of "
					    "the field",
					    w->path, off);
		}
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		r = walk_message(w, fd->descriptor, p, len, depth + 1);
		break;
	default:
		break; /* packed scalars and bytes: any content is valid */
	}
	w->path[saved] = '\0';
	return r;
}

static int
walk_message(struct walk *w, const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len,
	     uint32_t depth)
{
	uint32_t counts[64] = {0};
	unsigned oneofs[8]; /* the oneofs (by their case's offset) a field was seen in */
	size_t n_oneofs = 0;
	size_t pos = 0;

	if (depth > w->lim->max_depth) {
		return mnemo_fault_set(w->f, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, w->path,
				       p - w->base, "messages nested deeper than %u",
				       w->lim->max_depth);
	}
	while (pos < len) {
		const uint8_t *at = p + pos;
		const ProtobufCFieldDescriptor *fd;
		uint64_t tag, v;
		int r;

		if (read_varint(p, len, &pos, &tag) < 0) {
			return malformed(w, at, "truncated field tag");
		}
		if ((tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) {
			return malformed(w, at, "field number out of range");
		}
		fd = protobuf_c_message_descriptor_get_field(d, (unsigned)(tag >> 3));
		switch (tag & 7) {
		case 0:
			if (read_varint(p, len, &pos, &v) < 0) {
				return malformed(w, at, "truncated varint");
			}
			if (depth == 0 && (tag >> 3) == 2) {
				w->request_id = v;
			}
			break;
		case 1:
		case 5: {
			size_t n = (tag & 7) == 1 ? 8 : 4;

			if (len - pos < n) {
				return malformed(w, at, "truncated fixed-size field");
			}
			pos += n;
			break;
		}
		case 2:
			if (read_varint(p, len, &pos, &v) < 0 || v > len - pos) {
				return malformed(w, at, "length prefix beyond the end of the message");
			}
			if (fd != NULL) {
				r = walk_field(w, fd, p + pos, (size_t)v, depth);
				if (r < 0) {
					return r;
				}
			}
			pos += (size_t)v;
			break;
		default:
			return malformed(w, at, "unsupported wire type");
		}
		if (fd != NULL) {
			size_t i = (size_t)(fd - d->fields);

			if (i < 64 && ++counts[i] > 1 && fd->label != PROTOBUF_C_LABEL_REPEATED) {
				/* protobuf-c merges a repeated singular message into one: lists
				 * in it would add up past max_list. No encoder writes it. */
				return malformed(w, at, "a field given twice");
			}
			if (i < 64 && counts[i] > w->lim->max_list) {
				size_t n = strlen(w->path);

				snprintf(w->path + n, sizeof(w->path) - n, "%s%s", n ? "." : "",
					 fd->name);
				return mnemo_fault_set(w->f, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE,
						       w->path, at - w->base,
						       "more than %u entries in list '%s'",
						       w->lim->max_list, w->path);
			}
			if ((fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
			    !first_of_oneof(oneofs, &n_oneofs, fd->quantifier_offset)) {
				return malformed(w, at, "two fields of one oneof");
			}
		}
	}
	return 0;
}

static void *
arena_alloc(void *data, size_t size)
{
	return mnemo_arena_alloc(data, size);
}

static void
arena_free(void *data, void *p)
{
	/* released with the whole arena */
}

static int
decode(struct walk *w, const void *data, size_t len, struct mnemo_arena *arena,
       Mnemo__Envelope **ret_env)
{
	ProtobufCAllocator alloc = {arena_alloc, arena_free, arena};
	struct mnemo_fault *f = w->f;
	Mnemo__Envelope *env;
	int r;

	if (len == 0) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_MALFORMED_MESSAGE, "", 0,
				       "empty message");
	}
	if (len > w->lim->max_message_bytes) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, "", -1,
				       "message of %zu bytes is over the limit of %zu", len,
				       w->lim->max_message_bytes);
	}
	r = walk_message(w, &mnemo__envelope__descriptor, data, len, 0);
	if (r < 0) {
		return r;
	}
	env = (Mnemo__Envelope *)protobuf_c_message_unpack(&mnemo__envelope__descriptor, &alloc,
							   len, data);
	if (env == NULL) {
		/* The walk accepted the framing, so this is a value protobuf-c refused (a bad
		 * enum in a packed list, say) or the request's memory budget ran out. */
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_MALFORMED_MESSAGE, "", -1,
				       "not a valid mnemo Envelope");
	}
	if (env->version != MNEMO_WIRE_VERSION) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_UNSUPPORTED_VERSION,
				       "version", -1, "envelope version %u is not supported (use %u)",
				       env->version, MNEMO_WIRE_VERSION);
	}
	if (env->body_case == MNEMO__ENVELOPE__BODY__NOT_SET) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_MALFORMED_MESSAGE, "body",
				       -1, "envelope has no body (cut short?)");
	}
	*ret_env = env;
	return 0;
}

int
mnemo_msg_decode(const void *data, size_t len, const struct mnemo_msg_limits *lim,
		 struct mnemo_arena *arena, Mnemo__Envelope **ret_env, struct mnemo_fault *f)
{
	struct walk w = {.lim = lim, .base = data, .f = f};
	int r = decode(&w, data, len, arena, ret_env);

	if (r < 0) {
		f->request_id = w.request_id;
	}
	return r;
}

int
mnemo_msg_encode(const Mnemo__Envelope *env, size_t max_bytes, nng_msg **ret_msg)
{
	size_t size = protobuf_c_message_get_packed_size(&env->base);
	nng_msg *msg;
	int r;

	if (size > max_bytes) {
		return -EMSGSIZE;
	}
	r = mnemo_err_from_nng(nng_msg_alloc(&msg, size));
	if (r < 0) {
		return r;
	}
	protobuf_c_message_pack(&env->base, nng_msg_body(msg));
	*ret_msg = msg;
	return 0;
}

/* The oneof's members are the Envelope's fields numbered like their body case. */
static const ProtobufCFieldDescriptor *
body_field(Mnemo__Envelope__BodyCase body)
{
	return body == MNEMO__ENVELOPE__BODY__NOT_SET
		       ? NULL
		       : protobuf_c_message_descriptor_get_field(&mnemo__envelope__descriptor,
								 (unsigned)body);
}

ProtobufCMessage *
mnemo_msg_body(const Mnemo__Envelope *env)
{
	const ProtobufCFieldDescriptor *fd = body_field(env->body_case);

	return fd != NULL ? *(ProtobufCMessage *const *)((const char *)env + fd->offset) : NULL;
}

const ProtobufCMessageDescriptor *
mnemo_msg_body_type(Mnemo__Envelope__BodyCase body)
{
	const ProtobufCFieldDescriptor *fd = body_field(body);

	return fd != NULL ? fd->descriptor : NULL;
}

void
mnemo_msg_set_body(Mnemo__Envelope *env, Mnemo__Envelope__BodyCase body, ProtobufCMessage *msg)
{
	const ProtobufCFieldDescriptor *fd = body_field(body);

	assert(fd != NULL && msg->descriptor == fd->descriptor);
	env->body_case = body;
	*(ProtobufCMessage **)((char *)env + fd->offset) = msg;
}

void
mnemo_msg_envelope_init(Mnemo__Envelope *env, uint64_t request_id)
{
	mnemo__envelope__init(env);
	env->version = MNEMO_WIRE_VERSION;
	env->request_id = request_id;
}

uint64_t
mnemo_msg_new_request_id(void)
{
	uint64_t id = 0;

	while (id == 0) {
		if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id)) {
			id = ((uint64_t)rand() << 32) ^ (uint64_t)rand();
		}
	}
	return id;
}
