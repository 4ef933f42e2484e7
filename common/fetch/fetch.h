/* Documents by URL: one HTTP(S) GET over libcurl, with every limit set (connect and total
 * time, a minimum speed, redirects, body size), for batch jobs that take document pairs
 * by URL. Only http and https, also after a redirect. Thread-safe: each call has its own
 * curl handle; curl_global_init runs once.
 *
 * Errors: a negative errno, and f filled with a wire code and a message for people that
 * names the URL (without its password):
 *
 *   -EINVAL          INVALID_VALUE  the URL is malformed, or a limit is 0
 *   -EPROTONOSUPPORT INVALID_VALUE  the URL, or a redirect, is not http(s) (file:, ftp:...)
 *   -ENXIO           UNAVAILABLE    the host name does not resolve
 *   -ECONNREFUSED    UNAVAILABLE    nothing listens on the host's port
 *   -EHOSTUNREACH    UNAVAILABLE    the host could not be reached (no route, ...)
 *   -ETIMEDOUT       TIMEOUT        connect_timeout_ms or timeout_ms passed, or the body came
 *                                   slower than low_speed_bytes_per_s (the message says which)
 *   -ELOOP           INVALID_VALUE  more than max_redirects redirects
 *   -EMSGSIZE        TOO_LARGE      the body is over max_bytes (decoded bytes; a
 *                                   Content-Length over it fails before the body is read)
 *   -ENOENT          NOT_FOUND      HTTP 404 or 410
 *   -EAGAIN          UNAVAILABLE    HTTP 429 or 5xx: the server may answer later
 *   -EREMOTEIO       INVALID_VALUE  another final status outside 2xx (403, a 3xx without a
 *                                   redirect to follow, ...); the message has the status line
 *   -ENODATA         INVALID_VALUE  a 2xx answer with an empty body
 *   -ECONNRESET      UNAVAILABLE    the connection broke or the body was cut short
 *   -EPROTO          UNAVAILABLE    TLS failed (handshake, certificate) or HTTP was garbled
 *   -EILSEQ          INVALID_ENCODING the Content-Encoding could not be decoded
 *   -ENOMEM          INTERNAL       out of memory
 *   -EIO             INTERNAL       anything else libcurl reports
 *
 * Proxies: libcurl's usual environment variables (http_proxy, https_proxy, no_proxy)
 * apply. Addresses are not filtered: a URL may name a loopback or private address. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

struct mnemo_fetch_limits {
	uint32_t connect_timeout_ms;    /* default 10 s (name lookup included) */
	uint32_t timeout_ms;            /* the whole transfer, default 60 s */
	uint32_t low_speed_bytes_per_s; /* slower than this for low_speed_time_ms fails, default
					 * 1024; 0: no speed check (timeout_ms still applies) */
	uint32_t low_speed_time_ms;     /* default 20 s; libcurl counts whole seconds (rounds
					 * up) */
	uint32_t max_redirects;         /* default 5; 0: a redirect is an error */
	uint64_t max_bytes;             /* body limit, default 64 MiB */
};

/* Sets the defaults above. */
void mnemo_fetch_limits_init(struct mnemo_fetch_limits *lim);

struct mnemo_fetch_result {
	char *data;         /* the body, malloc'd, NUL-terminated (it may hold other NULs) */
	size_t len;         /* its length without the final NUL; > 0 */
	long status;        /* HTTP status of the final response (2xx) */
	char *final_url;    /* after redirects */
	char *content_type; /* media type only, lower-case: "text/html"; NULL if none */
	char *charset;      /* the charset parameter, lower-case, unquoted: "iso-8859-1";
			     * NULL if none */
};

/* GETs url (http:// or https:// only) within lim (NULL: the defaults), decoding gzip and
 * deflate. 0 with *ret filled (free with mnemo_fetch_result_fini), or a negative errno
 * from the table above with f (may be NULL) describing it; *ret is then untouched. */
int mnemo_fetch(const char *url, const struct mnemo_fetch_limits *lim,
		struct mnemo_fetch_result *ret, struct mnemo_fault *f);

/* Frees what r holds and zeroes it; accepts a zeroed struct. */
void mnemo_fetch_result_fini(struct mnemo_fetch_result *r);
