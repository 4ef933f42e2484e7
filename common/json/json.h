/* The HTTP API's JSON is proto/mnemo.proto's messages with the same field names: this
 * library maps one to the other through protobuf-c's descriptors, so a field added to the
 * schema is in the JSON API at once, and no message has hand-written JSON code.
 *
 * Mapping: scalar fields as JSON numbers/booleans/strings (64-bit integers may also be
 * given as decimal strings); enums as the value's name without the enum's prefix, in
 * lower case (ERROR_CODE_INVALID_UTF8 -> "invalid_utf8"); bytes as base64 (RFC 4648);
 * map<string,string> as an
 * object; repeated fields as arrays; messages as objects. Unknown fields are refused, so
 * a misspelt field is an error rather than a silent default. */
#pragma once

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "arena.h"
#include "msg.h"

/* Parses a JSON document (an object) from a request body. Invalid UTF-8, duplicate keys,
 * NUL characters, nesting beyond jansson's limit and trailing data are refused with f
 * naming the code and byte offset. */
int mnemo_json_parse(const char *body, size_t len, json_t **ret, struct mnemo_fault *f);

/* Builds a message of type d from a JSON object, in arena. Returns 0 or a negative errno
 * with f naming the field ("variants.fr", "segments[3]"). */
int mnemo_json_to_message(const json_t *obj, const ProtobufCMessageDescriptor *d,
			  struct mnemo_arena *arena, ProtobufCMessage **ret,
			  struct mnemo_fault *f);

/* Sets one scalar field of m from its text form (a query-string or path parameter). */
int mnemo_json_set_field(ProtobufCMessage *m, const char *name, const char *value,
			 struct mnemo_arena *arena, struct mnemo_fault *f);

/* The compact JSON text of m, every field present (defaults included), as a NUL-
 * terminated malloc'd string of *ret_len bytes (ret_len may be NULL); inside
 * {"key": ...} when key is not NULL. Written straight to text, so a reply costs its own
 * size. NULL with errno ENOMEM, or EILSEQ when a string is not UTF-8. */
char *mnemo_json_write(const ProtobufCMessage *m, const char *key, size_t *ret_len);

/* bytes as the JSON API takes them: base64 (RFC 4648, padded), malloc'd; NULL when out of
 * memory. */
char *mnemo_json_base64(const void *data, size_t len);

/* The JSON spelling of an enum value (see above), or NULL if value is not in the enum. */
const char *mnemo_json_enum_name(const ProtobufCEnumDescriptor *d, int value, char *buf,
				 size_t size);
