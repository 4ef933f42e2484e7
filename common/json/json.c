/* JSON <-> protobuf-c messages, driven by the descriptors protoc-c generates. */
#include "json.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

enum { PATH_MAX_BYTES = 96 };

/* ---- names ---------------------------------------------------------------------------- */

/* "ErrorCode" -> "ERROR_CODE_": the prefix protoc style puts on every value. */
static void
enum_prefix(const ProtobufCEnumDescriptor *d, char *buf, size_t size)
{
	size_t n = 0;

	for (const char *p = d->short_name; *p != '\0' && n + 3 < size; p++) {
		if (isupper((unsigned char)*p) && p != d->short_name) {
			buf[n++] = '_';
		}
		buf[n++] = (char)toupper((unsigned char)*p);
	}
	buf[n++] = '_';
	buf[n] = '\0';
}

const char *
mnemo_json_enum_name(const ProtobufCEnumDescriptor *d, int value, char *buf, size_t size)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
	char prefix[64];
	const char *name;
	size_t i;

	if (v == NULL || size == 0) {
		return NULL;
	}
	enum_prefix(d, prefix, sizeof(prefix));
	name = v->name;
	if (strncmp(name, prefix, strlen(prefix)) == 0) {
		name += strlen(prefix);
	}
	for (i = 0; name[i] != '\0' && i + 1 < size; i++) {
		buf[i] = (char)tolower((unsigned char)name[i]);
	}
	buf[i] = '\0';
	return buf;
}

static int
enum_value(const ProtobufCEnumDescriptor *d, const char *name, int *ret)
{
	char buf[64];

	for (unsigned i = 0; i < d->n_values; i++) {
		const ProtobufCEnumValue *v = &d->values[i];

		if (strcmp(name, v->name) == 0 ||
		    strcmp(name, mnemo_json_enum_name(d, v->value, buf, sizeof(buf))) == 0) {
			*ret = v->value;
			return 0;
		}
	}
	return -EINVAL;
}

/* protoc-c turns map<K,V> into a repeated XxxEntry message with fields key=1, value=2. */
static int
is_map(const ProtobufCFieldDescriptor *fd)
{
	const ProtobufCMessageDescriptor *e = fd->descriptor;
	size_t n;

	if (fd->label != PROTOBUF_C_LABEL_REPEATED || fd->type != PROTOBUF_C_TYPE_MESSAGE) {
		return 0;
	}
	n = strlen(e->short_name);
	return n > 5 && strcmp(e->short_name + n - 5, "Entry") == 0 && e->n_fields == 2 &&
	       strcmp(e->fields[0].name, "key") == 0 && strcmp(e->fields[1].name, "value") == 0;
}

static size_t
slot_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_ENUM:
		return 4;
	case PROTOBUF_C_TYPE_FLOAT:
		return sizeof(float);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return 8;
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	}
	return 0;
}

/* ---- base64, the JSON form of bytes fields (RFC 4648, with padding) ---------------------- */

static const char b64_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64_value(unsigned char c)
{
	const char *at = c != '\0' ? strchr(b64_chars, c) : NULL;

	return at != NULL ? (int)(at - b64_chars) : -1;
}

/* Decodes s[0..len) into out (room for len / 4 * 3 bytes); -1 if it is not base64. */
static long
b64_decode(const char *s, size_t len, uint8_t *out)
{
	size_t n = 0;

	if (len % 4 != 0) {
		return -1;
	}
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;

		for (int k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
			} else if ((v[k] = b64_value((unsigned char)s[i + k])) < 0 || pad > 0) {
				return -1;
			}
		}
		out[n++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (pad < 2) {
			out[n++] = (uint8_t)(v[1] << 4 | v[2] >> 2);
		}
		if (pad < 1) {
			out[n++] = (uint8_t)(v[2] << 6 | v[3]);
		}
	}
	return (long)n;
}

/* ---- JSON -> message -------------------------------------------------------------------- */

struct in {
	struct mnemo_arena *arena;
	struct mnemo_fault *f;
	char path[PATH_MAX_BYTES];
};

static int
no_memory(struct in *in)
{
	return mnemo_fault_set(in->f, MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL, in->path, -1,
			       "out of memory for this request");
}

static const char *
json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "a value";
}

static int
wrong_type(struct in *in, const json_t *v, const char *want)
{
	return mnemo_fault_set(in->f, MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE, in->path, -1,
			       "'%s' must be %s, not %s", in->path, want, json_type_name(v));
}

static int
out_of_range(struct in *in, const char *range)
{
	return mnemo_fault_set(in->f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, in->path, -1,
			       "'%s' must be %s", in->path, range);
}

/* Integers: JSON integers, or decimal strings (proto3's JSON form of 64-bit values). */
static int
integer_of(struct in *in, const json_t *v, int is_signed, long long *ret_s,
	   unsigned long long *ret_u)
{
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (!is_signed && i < 0) {
			return out_of_range(in, "zero or more");
		}
		*ret_s = i;
		*ret_u = (unsigned long long)i;
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;

		/* strtoll and strtoull skip white space and take signs: be stricter. */
		if (!((s[0] >= '0' && s[0] <= '9') || (is_signed && s[0] == '-' && s[1] >= '0' &&
						       s[1] <= '9'))) {
			return s[0] == '-' ? out_of_range(in, "zero or more")
					   : out_of_range(in, "a whole number");
		}

		errno = 0;
		if (is_signed) {
			*ret_s = strtoll(s, &end, 10);
			*ret_u = (unsigned long long)*ret_s;
		} else {
			*ret_u = strtoull(s, &end, 10);
			*ret_s = (long long)*ret_u;
		}
		if (errno != 0 || end == s || *end != '\0') {
			return out_of_range(in, "a whole number");
		}
		return 0;
	}
	return wrong_type(in, v, "an integer");
}

static int to_message(struct in *in, const json_t *obj, const ProtobufCMessageDescriptor *d,
		      ProtobufCMessage **ret);

/* Writes one JSON value into a slot of type fd->type. */
static int
set_slot(struct in *in, const ProtobufCFieldDescriptor *fd, void *slot, const json_t *v)
{
	long long s = 0;
	unsigned long long u = 0;
	int r;

	switch (fd->type) {
	case PROTOBUF_C_TYPE_STRING: {
		char *copy;

		if (!json_is_string(v)) {
			return wrong_type(in, v, "a string");
		}
		copy = mnemo_arena_strndup(in->arena, json_string_value(v), json_string_length(v));
		if (copy == NULL) {
			return no_memory(in);
		}
		*(char **)slot = copy;
		return 0;
	}
	case PROTOBUF_C_TYPE_BOOL:
		if (!json_is_boolean(v)) {
			return wrong_type(in, v, "true or false");
		}
		*(protobuf_c_boolean *)slot = json_is_true(v);
		return 0;
	case PROTOBUF_C_TYPE_ENUM: {
		char buf[64];
		const ProtobufCEnumDescriptor *ed = fd->descriptor;
		int value;

		if (!json_is_string(v)) {
			return wrong_type(in, v, "a string");
		}
		if (enum_value(ed, json_string_value(v), &value) < 0) {
			char names[1024] = "";
			size_t n = 0;

			for (unsigned i = 1; i < ed->n_values && n < sizeof(names) - 64; i++) {
				n += (size_t)snprintf(names + n, sizeof(names) - n, "%s\"%s\"",
						      i > 1 ? ", " : "",
						      mnemo_json_enum_name(ed, ed->values[i].value,
									   buf, sizeof(buf)));
			}
			return mnemo_fault_set(in->f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
					       in->path, -1, "'%s' must be one of %s", in->path,
					       names);
		}
		*(int *)slot = value;
		return 0;
	}
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		r = integer_of(in, v, 1, &s, &u);
		if (r == 0 && (s < INT32_MIN || s > INT32_MAX)) {
			r = out_of_range(in, "a 32-bit integer");
		}
		if (r == 0) {
			*(int32_t *)slot = (int32_t)s;
		}
		return r;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		r = integer_of(in, v, 0, &s, &u);
		if (r == 0 && u > UINT32_MAX) {
			r = out_of_range(in, "from 0 to 4294967295");
		}
		if (r == 0) {
			*(uint32_t *)slot = (uint32_t)u;
		}
		return r;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		r = integer_of(in, v, 1, &s, &u);
		if (r == 0) {
			*(int64_t *)slot = s;
		}
		return r;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		r = integer_of(in, v, 0, &s, &u);
		if (r == 0) {
			*(uint64_t *)slot = u;
		}
		return r;
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
		if (!json_is_number(v)) {
			return wrong_type(in, v, "a number");
		}
		if (fd->type == PROTOBUF_C_TYPE_FLOAT) {
			*(float *)slot = (float)json_number_value(v);
		} else {
			*(double *)slot = json_number_value(v);
		}
		return 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		if (!json_is_object(v)) {
			return wrong_type(in, v, "an object");
		}
		return to_message(in, v, fd->descriptor, (ProtobufCMessage **)slot);
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = slot;
		size_t len = json_is_string(v) ? json_string_length(v) : 0;
		long n;

		if (!json_is_string(v)) {
			return wrong_type(in, v, "a base64 string");
		}
		b->data = mnemo_arena_alloc(in->arena, len / 4 * 3 + 1);
		if (b->data == NULL) {
			return no_memory(in);
		}
		n = b64_decode(json_string_value(v), len, b->data);
		if (n < 0) {
			return out_of_range(in, "base64 (RFC 4648, with padding)");
		}
		b->len = (size_t)n;
		return 0;
	}
	}
	return mnemo_fault_set(in->f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, in->path, -1,
			       "'%s' cannot be given in JSON", in->path);
}

static void
path_push(struct in *in, size_t *saved, const char *fmt, const char *name, size_t index)
{
	*saved = strlen(in->path);
	if (fmt == NULL) {
		snprintf(in->path + *saved, sizeof(in->path) - *saved, "%s%s", *saved ? "." : "",
			 name);
	} else {
		snprintf(in->path + *saved, sizeof(in->path) - *saved, "[%zu]", index);
	}
}

static int
set_map(struct in *in, const ProtobufCFieldDescriptor *fd, void *m, const json_t *v)
{
	const ProtobufCMessageDescriptor *ed = fd->descriptor;
	ProtobufCMessage **entries;
	const char *key;
	json_t *value;
	size_t n = 0;

	if (!json_is_object(v)) {
		return wrong_type(in, v, "an object");
	}
	entries = mnemo_arena_alloc(in->arena, json_object_size(v) * sizeof(*entries) + 1);
	if (entries == NULL) {
		return no_memory(in);
	}
	json_object_foreach((json_t *)v, key, value) {
		ProtobufCMessage *e = mnemo_arena_alloc(in->arena, ed->sizeof_message);
		size_t saved = strlen(in->path);
		int r;

		if (e == NULL) {
			return no_memory(in);
		}
		ed->message_init(e);
		snprintf(in->path + saved, sizeof(in->path) - saved, ".%s", key);
		json_t *k = json_string(key);

		if (k == NULL) {
			return no_memory(in);
		}
		r = set_slot(in, &ed->fields[0], (char *)e + ed->fields[0].offset, k);
		json_decref(k);
		if (r == 0) {
			r = set_slot(in, &ed->fields[1], (char *)e + ed->fields[1].offset, value);
		}
		if (r < 0) {
			return r;
		}
		in->path[saved] = '\0';
		entries[n++] = e;
	}
	*(size_t *)((char *)m + fd->quantifier_offset) = n;
	*(ProtobufCMessage ***)((char *)m + fd->offset) = entries;
	return 0;
}

static int
set_field(struct in *in, const ProtobufCFieldDescriptor *fd, ProtobufCMessage *m, const json_t *v)
{
	void *slot = (char *)m + fd->offset;
	size_t saved;
	int r;

	path_push(in, &saved, NULL, fd->name, 0);
	if (is_map(fd)) {
		r = set_map(in, fd, m, v);
	} else if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
		size_t n = json_is_array(v) ? json_array_size(v) : 0;
		size_t size = slot_size(fd->type);
		char *array;

		if (!json_is_array(v)) {
			r = wrong_type(in, v, "an array");
			goto out;
		}
		array = mnemo_arena_zalloc(in->arena, n * size + 1);
		if (array == NULL) {
			r = no_memory(in);
			goto out;
		}
		r = 0;
		for (size_t i = 0; i < n && r == 0; i++) {
			size_t saved_i;

			path_push(in, &saved_i, "[]", NULL, i);
			r = set_slot(in, fd, array + i * size, json_array_get(v, i));
			if (r == 0) {
				in->path[saved_i] = '\0';
			}
		}
		if (r == 0) {
			*(size_t *)((char *)m + fd->quantifier_offset) = n;
			*(void **)slot = array;
		}
	} else {
		r = set_slot(in, fd, slot, v);
		if (r == 0 && (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) {
			*(uint32_t *)((char *)m + fd->quantifier_offset) = fd->id;
		}
	}
out:
	if (r == 0) {
		in->path[saved] = '\0';
	}
	return r;
}

static const ProtobufCFieldDescriptor *
field_by_name(const ProtobufCMessageDescriptor *d, const char *name)
{
	for (unsigned i = 0; i < d->n_fields; i++) {
		if (strcmp(d->fields[i].name, name) == 0) {
			return &d->fields[i];
		}
	}
	return NULL;
}

static int
to_message(struct in *in, const json_t *obj, const ProtobufCMessageDescriptor *d,
	   ProtobufCMessage **ret)
{
	ProtobufCMessage *m = mnemo_arena_alloc(in->arena, d->sizeof_message);
	const char *key;
	json_t *value;

	if (m == NULL) {
		return no_memory(in);
	}
	d->message_init(m);
	json_object_foreach((json_t *)obj, key, value) {
		const ProtobufCFieldDescriptor *fd = field_by_name(d, key);
		int r;

		if (fd == NULL) {
			size_t saved;

			path_push(in, &saved, NULL, key, 0);
			return mnemo_fault_set(in->f, MNEMO__ERROR_CODE__ERROR_CODE_UNKNOWN_FIELD,
					       in->path, -1, "unknown field '%s' in %s", in->path,
					       d->short_name);
		}
		if (json_is_null(value)) {
			continue; /* null means "not given" */
		}
		r = set_field(in, fd, m, value);
		if (r < 0) {
			return r;
		}
	}
	*ret = m;
	return 0;
}

int
mnemo_json_to_message(const json_t *obj, const ProtobufCMessageDescriptor *d,
		      struct mnemo_arena *arena, ProtobufCMessage **ret, struct mnemo_fault *f)
{
	struct in in = {.arena = arena, .f = f};

	if (!json_is_object(obj)) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE, "", -1,
				       "the request body must be a JSON object");
	}
	return to_message(&in, obj, d, ret);
}

int
mnemo_json_set_field(ProtobufCMessage *m, const char *name, const char *value,
		     struct mnemo_arena *arena, struct mnemo_fault *f)
{
	const ProtobufCFieldDescriptor *fd = field_by_name(m->descriptor, name);
	struct in in = {.arena = arena, .f = f};
	size_t off;
	json_t *v;
	int r;

	if (fd == NULL || fd->label == PROTOBUF_C_LABEL_REPEATED ||
	    fd->type == PROTOBUF_C_TYPE_MESSAGE) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_UNKNOWN_FIELD, name, -1,
				       "unknown parameter '%s'", name);
	}
	if (mnemo_text_check_utf8(value, strlen(value), &off) < 0) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_UTF8, name,
				       (int64_t)off, "parameter '%s' is not valid UTF-8", name);
	}
	switch (fd->type) {
	case PROTOBUF_C_TYPE_BOOL:
		v = strcmp(value, "true") == 0	  ? json_true()
		    : strcmp(value, "false") == 0 ? json_false()
						  : json_string(value);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE: {
		char *end;
		double d = strtod(value, &end);

		v = *value != '\0' && *end == '\0' ? json_real(d) : json_string(value);
		break;
	}
	default:
		v = json_string(value); /* strings, enums, and integers in their string form */
		break;
	}
	if (v == NULL) {
		return no_memory(&in);
	}
	r = set_field(&in, fd, m, v);
	json_decref(v);
	return r;
}

int
mnemo_json_parse(const char *body, size_t len, json_t **ret, struct mnemo_fault *f)
{
	json_error_t err;
	json_t *doc;

	doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
	if (doc == NULL) {
		Mnemo__ErrorCode code = MNEMO__ERROR_CODE__ERROR_CODE_INVALID_JSON;

		if (json_error_code(&err) == json_error_invalid_utf8) {
			code = MNEMO__ERROR_CODE__ERROR_CODE_INVALID_UTF8;
		}
		return mnemo_fault_set(f, code, "", err.position,
				       "the body is not valid JSON: %s (line %d, column %d, byte "
				       "%d)",
				       err.text, err.line, err.column, err.position);
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE, "", 0,
				       "the request body must be a JSON object");
	}
	*ret = doc;
	return 0;
}

/* ---- message -> JSON -------------------------------------------------------------------- */

/* Written straight to text, never as a jansson tree: a reply of a million segments would
 * take a kilobyte of tree per segment, this takes what the text takes. */

static int write_message(FILE *out, const ProtobufCMessage *m);

/* A JSON string. s is UTF-8 (checked: the gateway never sends what a client could not
 * parse); '"', '\\' and control characters are escaped, the rest is copied. */
static int
write_string(FILE *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t done = 0, bad;

	if (mnemo_text_check_utf8(s, len, &bad) < 0) {
		return -EILSEQ;
	}
	putc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\') {
			continue;
		}
		fwrite(s + done, 1, i - done, out);
		done = i + 1;
		putc('\\', out);
		switch (c) {
		case '"':
		case '\\':
			putc(c, out);
			break;
		case '\n':
			putc('n', out);
			break;
		case '\r':
			putc('r', out);
			break;
		case '\t':
			putc('t', out);
			break;
		default:
			fputs("u00", out);
			putc(hex[c >> 4], out);
			putc(hex[c & 15], out);
		}
	}
	fwrite(s + done, 1, len - done, out);
	putc('"', out);
	return 0;
}

/* The four characters of the three bytes at p (fewer when left < 3: padded). */
static void
b64_quad(const uint8_t *p, size_t left, char out[4])
{
	uint32_t w = (uint32_t)p[0] << 16 | (left > 1 ? (uint32_t)p[1] << 8 : 0) |
		     (left > 2 ? p[2] : 0);

	out[0] = b64_chars[w >> 18 & 63];
	out[1] = b64_chars[w >> 12 & 63];
	out[2] = left > 1 ? b64_chars[w >> 6 & 63] : '=';
	out[3] = left > 2 ? b64_chars[w & 63] : '=';
}

static void
write_base64(FILE *out, const uint8_t *p, size_t len)
{
	char quad[4];

	putc('"', out);
	for (size_t i = 0; i < len; i += 3) {
		b64_quad(p + i, len - i, quad);
		fwrite(quad, 1, 4, out);
	}
	putc('"', out);
}

char *
mnemo_json_base64(const void *data, size_t len)
{
	char *out = malloc(len / 3 * 4 + 5);
	size_t n = 0;

	if (out == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < len; i += 3, n += 4) {
		b64_quad((const uint8_t *)data + i, len - i, out + n);
	}
	out[n] = '\0';
	return out;
}

static int
write_slot(FILE *out, const ProtobufCFieldDescriptor *fd, const void *slot)
{
	char buf[64];

	switch (fd->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)slot;

		return s != NULL ? write_string(out, s, strlen(s)) : (fputs("\"\"", out), 0);
	}
	case PROTOBUF_C_TYPE_BOOL:
		fputs(*(const protobuf_c_boolean *)slot ? "true" : "false", out);
		return 0;
	case PROTOBUF_C_TYPE_ENUM: {
		int value = *(const int *)slot;
		const char *name = mnemo_json_enum_name(fd->descriptor, value, buf, sizeof(buf));

		if (name != NULL) {
			fprintf(out, "\"%s\"", name); /* [a-z0-9_] only */
		} else {
			fprintf(out, "%d", value);
		}
		return 0;
	}
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		fprintf(out, "%" PRId32, *(const int32_t *)slot);
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		fprintf(out, "%" PRIu32, *(const uint32_t *)slot);
		return 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		fprintf(out, "%" PRId64, *(const int64_t *)slot);
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: {
		uint64_t u = *(const uint64_t *)slot;

		/* beyond int64, as a string: JSON readers that parse into int64 stay exact */
		if (u <= (uint64_t)LLONG_MAX) {
			fprintf(out, "%" PRIu64, u);
		} else {
			fprintf(out, "\"%" PRIu64 "\"", u);
		}
		return 0;
	}
	case PROTOBUF_C_TYPE_FLOAT: {
		/* the fewest digits that read back as the same float: 0.88, not 0.879999995 */
		float v = *(const float *)slot;

		for (int digits = 6; digits <= 9; digits++) {
			snprintf(buf, sizeof(buf), "%.*g", digits, (double)v);
			if (strtof(buf, NULL) == v) {
				break;
			}
		}
		fputs(buf, out);
		return 0;
	}
	case PROTOBUF_C_TYPE_DOUBLE:
		fprintf(out, "%.17g", *(const double *)slot);
		return 0;
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)slot;

		return sub != NULL ? write_message(out, sub) : (fputs("{}", out), 0);
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = slot;

		write_base64(out, b->data, b->len);
		return 0;
	}
	}
	fputs("null", out);
	return 0;
}

static int
write_field(FILE *out, const ProtobufCFieldDescriptor *fd, const ProtobufCMessage *m)
{
	const char *slot = (const char *)m + fd->offset;
	size_t n, size;
	int r = 0;

	if (fd->label != PROTOBUF_C_LABEL_REPEATED) {
		return write_slot(out, fd, slot);
	}
	n = *(const size_t *)((const char *)m + fd->quantifier_offset);
	if (is_map(fd)) {
		const ProtobufCMessageDescriptor *ed = fd->descriptor;
		ProtobufCMessage *const *entries = *(ProtobufCMessage *const *const *)slot;

		putc('{', out);
		for (size_t i = 0; r == 0 && i < n; i++) {
			const char *e = (const char *)entries[i];
			const char *key = *(char *const *)(e + ed->fields[0].offset);

			if (i > 0) {
				putc(',', out);
			}
			r = write_string(out, key != NULL ? key : "", key != NULL ? strlen(key) : 0);
			putc(':', out);
			if (r == 0) {
				r = write_slot(out, &ed->fields[1], e + ed->fields[1].offset);
			}
		}
		putc('}', out);
		return r;
	}
	size = slot_size(fd->type);
	putc('[', out);
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (i > 0) {
			putc(',', out);
		}
		r = write_slot(out, fd, *(char *const *)slot + i * size);
	}
	putc(']', out);
	return r;
}

static int
write_message(FILE *out, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	bool first = true;
	int r = 0;

	putc('{', out);
	for (unsigned i = 0; r == 0 && i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];

		if ((fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)((const char *)m + fd->quantifier_offset) != fd->id) {
			continue;
		}
		fprintf(out, "%s\"%s\":", first ? "" : ",", fd->name); /* [a-z0-9_] only */
		first = false;
		r = write_field(out, fd, m);
	}
	putc('}', out);
	return r;
}

char *
mnemo_json_write(const ProtobufCMessage *m, const char *key, size_t *ret_len)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	int r;

	if (out == NULL) {
		return NULL;
	}
	if (key != NULL) {
		fprintf(out, "{\"%s\":", key);
	}
	r = write_message(out, m);
	if (key != NULL) {
		putc('}', out);
	}
	if (ferror(out)) {
		r = -ENOMEM;
	}
	if (fclose(out) != 0 && r == 0) {
		r = -ENOMEM;
	}
	if (r < 0) {
		free(text);
		errno = -r;
		return NULL;
	}
	if (ret_len != NULL) {
		*ret_len = len;
	}
	return text;
}
