/* Documents by URL over libcurl: see fetch.h for the limits and the errors. */
#include "fetch.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef MNEMO_VERSION
#define MNEMO_VERSION "0"
#endif

enum {
	URL_SHOWN_MAX = 200,              /* bytes of a URL quoted in a message */
	MAX_HEADER_BYTES = 1024 * 1024,   /* all response headers, redirects included */
	FIRST_CHUNK_BYTES = 16 * 1024,
};

void
mnemo_fetch_limits_init(struct mnemo_fetch_limits *lim)
{
	lim->connect_timeout_ms = 10 * 1000;
	lim->timeout_ms = 60 * 1000;
	lim->low_speed_bytes_per_s = 1024;
	lim->low_speed_time_ms = 20 * 1000;
	lim->max_redirects = 5;
	lim->max_bytes = 64 * 1024 * 1024;
}

void
mnemo_fetch_result_fini(struct mnemo_fetch_result *r)
{
	if (r == NULL) {
		return;
	}
	free(r->data);
	free(r->final_url);
	free(r->content_type);
	free(r->charset);
	memset(r, 0, sizeof(*r));
}

/* ---- libcurl once per process ------------------------------------------------------- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void
global_init(void)
{
	/* Never cleaned up: other threads may be fetching until the process exits. */
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- the URL as messages show it -------------------------------------------------- */

/* src, at most URL_SHOWN_MAX bytes of it, with bytes outside printable ASCII
 * percent-encoded so a message stays one line of valid UTF-8. */
static void
shown(char *out, size_t cap, const char *src)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0, i;

	for (i = 0; src[i] != '\0' && i < URL_SHOWN_MAX; i++) {
		unsigned char c = (unsigned char)src[i];

		if (o + 4 >= cap) {
			break;
		}
		if (c > 0x20 && c < 0x7f) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (src[i] != '\0' && o + 4 < cap) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* The URL for messages: without its password when it parses, as given otherwise. */
static void
url_for_message(char *out, size_t cap, const char *url)
{
	CURLU *u = curl_url();
	char *clean = NULL;

	if (u != NULL &&
	    curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &clean, 0) == CURLUE_OK) {
		shown(out, cap, clean);
	} else {
		shown(out, cap, url);
	}
	curl_free(clean);
	curl_url_cleanup(u);
}

/* ---- checking the URL before any connection ------------------------------------------ */

/* 0 with *ret_norm (curl_free) the URL as libcurl will read it, or an error for f. */
static int
check_url(const char *url, const char *where, char **ret_norm, struct mnemo_fault *f)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *norm = NULL;
	CURLUcode uc;
	int r;

	if (u == NULL) {
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL, "url", -1,
				"%s: out of memory", where);
		return -ENOMEM;
	}
	uc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	if (uc == CURLUE_OUT_OF_MEMORY) {
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL, "url", -1,
				"%s: out of memory", where);
		r = -ENOMEM;
		goto out;
	}
	if (uc != CURLUE_OK) {
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "url", -1,
				"'%s' is not a valid URL (%s)", where, curl_url_strerror(uc));
		r = -EINVAL;
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)) {
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "url", -1,
				"%s: only http and https URLs are fetched, not %s:", where,
				scheme != NULL ? scheme : "this scheme");
		r = -EPROTONOSUPPORT;
		goto out;
	}
	if (curl_url_get(u, CURLUPART_URL, &norm, 0) != CURLUE_OK) {
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "url", -1,
				"'%s' is not a valid URL", where);
		r = -EINVAL;
		goto out;
	}
	*ret_norm = norm;
	norm = NULL;
	r = 0;
out:
	curl_free(norm);
	curl_free(scheme);
	curl_url_cleanup(u);
	return r;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* ---- the transfer ------------------------------------------------------------------- */

struct transfer {
	CURL *h;
	char *data;
	size_t len, cap;
	uint64_t max_bytes;
	size_t header_bytes;
	long long content_length; /* of the last response, -1 when it had none */
	char reason[64]; /* of the last status line: "Not Found" */
	bool too_large, headers_too_large, bad_status, out_of_memory;
};

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;
	size_t len = size * n, i = 0, o = 0;

	t->header_bytes += len;
	if (t->header_bytes > MAX_HEADER_BYTES) {
		t->headers_too_large = true;
		return 0;
	}
	if (len > 15 && strncasecmp(p, "content-length:", 15) == 0) {
		char num[24];
		size_t k = 15, m = 0;

		while (k < len && is_space(p[k])) {
			k++;
		}
		while (k < len && isdigit((unsigned char)p[k]) && m + 1 < sizeof(num)) {
			num[m++] = p[k++];
		}
		num[m] = '\0';
		t->content_length = m > 0 ? strtoll(num, NULL, 10) : -1;
		return len;
	}
	/* "HTTP/1.1 404 Not Found\r\n": keep the phrase after the code. */
	if (len < 5 || memcmp(p, "HTTP/", 5) != 0) {
		return len;
	}
	t->reason[0] = '\0';
	t->content_length = -1;
	while (i < len && p[i] != ' ') {
		i++;
	}
	while (i < len && p[i] == ' ') {
		i++;
	}
	while (i < len && isdigit((unsigned char)p[i])) {
		i++;
	}
	while (i < len && p[i] == ' ') {
		i++;
	}
	for (; i < len && p[i] != '\r' && p[i] != '\n' && o + 1 < sizeof(t->reason); i++) {
		unsigned char c = (unsigned char)p[i];

		t->reason[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	t->reason[o] = '\0';
	return len;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;
	size_t len = size * n;
	long status = 0;

	curl_easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 400) {
		t->bad_status = true; /* the status line says it all: stop reading */
		return 0;
	}
	if (status < 200 || status >= 300) {
		return len; /* not the document; mnemo_fetch refuses the status */
	}
	if (len > t->max_bytes - t->len) {
		t->too_large = true;
		return 0;
	}
	if (t->len + len + 1 > t->cap) {
		size_t need = t->len + len + 1, cap = t->cap ? t->cap : FIRST_CHUNK_BYTES;
		char *grown;

		while (cap < need) {
			cap *= 2;
		}
		if (cap > t->max_bytes + 1) {
			cap = t->max_bytes + 1;
		}
		grown = realloc(t->data, cap);
		if (grown == NULL) {
			t->out_of_memory = true;
			return 0;
		}
		t->data = grown;
		t->cap = cap;
	}
	memcpy(t->data + t->len, p, len);
	t->len += len;
	t->data[t->len] = '\0';
	return len;
}

static const char *
standard_reason(long status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 410:
		return "Gone";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return "";
	}
}

static int
status_fault(long status, const struct transfer *t, const char *where, struct mnemo_fault *f)
{
	const char *reason = t->reason[0] != '\0' ? t->reason : standard_reason(status);
	Mnemo__ErrorCode code = MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE;
	int r = -EREMOTEIO;

	if (status == 404 || status == 410) {
		code = MNEMO__ERROR_CODE__ERROR_CODE_NOT_FOUND;
		r = -ENOENT;
	} else if (status == 429 || (status >= 500 && status < 600)) {
		code = MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE;
		r = -EAGAIN;
	}
	mnemo_fault_set(f, code, "url", -1, "%s: HTTP %ld%s%s%s", where, status,
			reason[0] != '\0' ? " " : "", reason,
			status < 400 ? ", and no redirect to follow" : "");
	return r;
}

/* A timeout: which limit it was, from where the transfer got to. */
static int
timeout_fault(CURL *h, const struct mnemo_fetch_limits *lim, const char *where,
	      struct mnemo_fault *f)
{
	curl_off_t connect_us = 0, total_us = 0;
	uint32_t connect_ms = lim->connect_timeout_ms < lim->timeout_ms ? lim->connect_timeout_ms
									 : lim->timeout_ms;

	curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
	curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &total_us);
	if (connect_us == 0) {
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_TIMEOUT, "url", -1,
				"%s: no connection within %" PRIu32 " ms (connect timeout)", where,
				connect_ms);
	} else if (total_us / 1000 + 100 >= lim->timeout_ms) {
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_TIMEOUT, "url", -1,
				"%s: not fetched within %" PRIu32 " ms (timeout)", where,
				lim->timeout_ms);
	} else {
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_TIMEOUT, "url", -1,
				"%s: too slow, under %" PRIu32 " bytes/s for %" PRIu32
				" s (low speed limit)",
				where, lim->low_speed_bytes_per_s,
				(lim->low_speed_time_ms + 999) / 1000);
	}
	return -ETIMEDOUT;
}

/* The errno and message for a failed curl_easy_perform. */
static int
curl_fault(CURLcode rc, CURL *h, const struct transfer *t, const char *errbuf,
	   const struct mnemo_fetch_limits *lim, const char *where, struct mnemo_fault *f)
{
	const char *detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
	char *last = NULL;
	char last_shown[URL_SHOWN_MAX + 8] = "";
	long os_errno = 0;

	curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &last);
	if (last != NULL) {
		url_for_message(last_shown, sizeof(last_shown), last);
	}
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
		/* The URL itself was checked: a redirect led elsewhere. */
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "url", -1,
				"%s: redirected to a URL that is not http or https (%s)", where,
				detail);
		return -EPROTONOSUPPORT;
	case CURLE_URL_MALFORMAT:
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "url", -1,
				"%s: not a valid URL, or redirected to one (%s)", where, detail);
		return -EINVAL;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE, "url", -1,
				"%s: host name does not resolve (%s)", where, detail);
		return -ENXIO;
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
		if (os_errno == ECONNREFUSED) {
			mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE, "url", -1,
					"%s: connection refused (%s)", where, detail);
			return -ECONNREFUSED;
		}
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE, "url", -1,
				"%s: could not connect (%s)", where, detail);
		return -EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		return timeout_fault(h, lim, where, f);
	case CURLE_TOO_MANY_REDIRECTS:
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "url", -1,
				"%s: too many redirects, more than %" PRIu32 " (the last at %s)",
				where, lim->max_redirects, last_shown);
		return -ELOOP;
	case CURLE_FILESIZE_EXCEEDED:
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, "url", -1,
				"%s: too large, Content-Length %lld bytes is over the limit of "
				"%" PRIu64 " bytes",
				where, t->content_length, lim->max_bytes);
		return -EMSGSIZE;
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE, "url", -1,
				"%s: connection broken (%s)", where, detail);
		return -ECONNRESET;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_USE_SSL_FAILED:
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE, "url", -1,
				"%s: TLS failed (%s)", where, detail);
		return -EPROTO;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_HTTP3:
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE, "url", -1,
				"%s: the server's answer is not valid HTTP (%s)", where, detail);
		return -EPROTO;
	case CURLE_BAD_CONTENT_ENCODING:
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_ENCODING, "url", -1,
				"%s: the body does not decode (%s)", where, detail);
		return -EILSEQ;
	case CURLE_OUT_OF_MEMORY:
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL, "url", -1,
				"%s: out of memory", where);
		return -ENOMEM;
	default:
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL, "url", -1,
				"%s: libcurl error %d (%s)", where, (int)rc, detail);
		return -EIO;
	}
}

/* ---- Content-Type ---------------------------------------------------------------------- */

static char *
lower_dup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		d[i] = (char)tolower((unsigned char)s[i]);
	}
	d[n] = '\0';
	return d;
}

/* "Text/HTML; Charset=\"ISO-8859-1\"" -> "text/html" and "iso-8859-1" (each NULL when
 * absent). 0 or -ENOMEM. */
static int
parse_content_type(const char *v, char **ret_type, char **ret_charset)
{
	const char *p = v, *end;
	char *type = NULL, *charset = NULL;

	while (is_space(*p)) {
		p++;
	}
	end = p + strcspn(p, ";");
	while (end > p && is_space(end[-1])) {
		end--;
	}
	if (end > p && (type = lower_dup(p, (size_t)(end - p))) == NULL) {
		return -ENOMEM;
	}
	p += strcspn(p, ";");
	while (*p == ';') {
		const char *name, *val;
		size_t name_len, val_len;

		p++;
		while (is_space(*p)) {
			p++;
		}
		name = p;
		name_len = strcspn(p, "=;");
		p += name_len;
		while (name_len > 0 && is_space(name[name_len - 1])) {
			name_len--;
		}
		if (*p != '=') {
			continue;
		}
		p++;
		while (is_space(*p)) {
			p++;
		}
		if (*p == '"') {
			val = ++p;
			while (*p != '\0' && *p != '"') {
				p += p[0] == '\\' && p[1] != '\0' ? 2 : 1;
			}
			val_len = (size_t)(p - val);
			if (*p == '"') {
				p++;
			}
		} else {
			val = p;
			val_len = strcspn(p, ";");
			while (val_len > 0 && is_space(val[val_len - 1])) {
				val_len--;
			}
		}
		p += strcspn(p, ";");
		if (name_len == 7 && strncasecmp(name, "charset", 7) == 0 && val_len > 0 &&
		    charset == NULL) {
			charset = lower_dup(val, val_len);
			if (charset == NULL) {
				free(type);
				return -ENOMEM;
			}
		}
	}
	*ret_type = type;
	*ret_charset = charset;
	return 0;
}

/* ---- the call ------------------------------------------------------------------------- */

static CURLcode
set_options(CURL *h, const char *url, const struct mnemo_fetch_limits *lim, struct transfer *t,
	    char *errbuf)
{
	curl_off_t max = lim->max_bytes > (uint64_t)INT64_MAX ? INT64_MAX
							       : (curl_off_t)lim->max_bytes;
	CURLcode rc = CURLE_OK;

#define SET(opt, val)                                                                      \
	do {                                                                               \
		if (rc == CURLE_OK) {                                                      \
			rc = curl_easy_setopt(h, opt, val);                                \
		}                                                                          \
	} while (0)
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, (long)lim->max_redirects);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)lim->connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, (long)lim->timeout_ms);
	if (lim->low_speed_bytes_per_s > 0) {
		SET(CURLOPT_LOW_SPEED_LIMIT, (long)lim->low_speed_bytes_per_s);
		SET(CURLOPT_LOW_SPEED_TIME, (long)((lim->low_speed_time_ms + 999) / 1000));
	}
	SET(CURLOPT_MAXFILESIZE_LARGE, max);
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_USERAGENT, "mnemo/" MNEMO_VERSION);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, t);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, t);
#undef SET
	return rc;
}

int
mnemo_fetch(const char *url, const struct mnemo_fetch_limits *lim,
	    struct mnemo_fetch_result *ret, struct mnemo_fault *f)
{
	struct mnemo_fault scratch;
	struct mnemo_fetch_limits defaults;
	struct transfer t = {0};
	char where[URL_SHOWN_MAX + 8];
	char errbuf[CURL_ERROR_SIZE] = "";
	char *norm = NULL, *final_url = NULL, *content_type = NULL;
	char *type = NULL, *charset = NULL, *copy = NULL;
	long status = 0;
	CURLcode rc;
	int r;

	if (f == NULL) {
		f = &scratch;
	}
	mnemo_fault_clear(f);
	if (lim == NULL) {
		mnemo_fetch_limits_init(&defaults);
		lim = &defaults;
	}
	if (url == NULL) {
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "url", -1,
				"no URL to fetch");
		return -EINVAL;
	}
	url_for_message(where, sizeof(where), url);
	if (lim->connect_timeout_ms == 0 || lim->timeout_ms == 0 || lim->max_bytes == 0 ||
	    (lim->low_speed_bytes_per_s > 0 && lim->low_speed_time_ms == 0)) {
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "url", -1,
				"%s: a fetch limit is 0 (timeouts, max_bytes, low_speed_time_ms)",
				where);
		return -EINVAL;
	}
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL, "url", -1,
				       "%s: libcurl did not start (%s)", where,
				       curl_easy_strerror(global_rc));
	}
	r = check_url(url, where, &norm, f);
	if (r < 0) {
		return r;
	}
	t.max_bytes = lim->max_bytes;
	t.content_length = -1;
	t.h = curl_easy_init();
	if (t.h == NULL) {
		r = mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL, "url", -1,
				    "%s: libcurl could not make a handle", where);
		goto out;
	}
	rc = set_options(t.h, norm, lim, &t, errbuf);
	if (rc != CURLE_OK) {
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL, "url", -1,
				"%s: libcurl refused an option (%s)", where,
				curl_easy_strerror(rc));
		r = -EIO;
		goto out;
	}
	rc = curl_easy_perform(t.h);
	curl_easy_getinfo(t.h, CURLINFO_RESPONSE_CODE, &status);

	if (t.out_of_memory) {
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL, "url", -1,
				"%s: out of memory after %zu bytes", where, t.len);
		r = -ENOMEM;
		goto out;
	}
	if (t.too_large) {
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, "url", -1,
				"%s: too large, the body passed the limit of %" PRIu64 " bytes",
				where, lim->max_bytes);
		r = -EMSGSIZE;
		goto out;
	}
	if (t.headers_too_large) {
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, "url", -1,
				"%s: too large, the response headers passed %d bytes", where,
				MAX_HEADER_BYTES);
		r = -EMSGSIZE;
		goto out;
	}
	if (t.bad_status || status >= 400) {
		r = status_fault(status, &t, where, f);
		goto out;
	}
	if (rc != CURLE_OK) {
		r = curl_fault(rc, t.h, &t, errbuf, lim, where, f);
		goto out;
	}
	if (status < 200 || status >= 300) {
		r = status_fault(status, &t, where, f);
		goto out;
	}
	if (t.len == 0) {
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "url", -1,
				"%s: empty, HTTP %ld with no body", where, status);
		r = -ENODATA;
		goto out;
	}

	curl_easy_getinfo(t.h, CURLINFO_EFFECTIVE_URL, &final_url);
	curl_easy_getinfo(t.h, CURLINFO_CONTENT_TYPE, &content_type);
	copy = strdup(final_url != NULL ? final_url : norm);
	if (copy == NULL ||
	    (content_type != NULL && parse_content_type(content_type, &type, &charset) < 0)) {
		mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL, "url", -1,
				"%s: out of memory", where);
		r = -ENOMEM;
		goto out;
	}
	ret->data = t.data;
	ret->len = t.len;
	ret->status = status;
	ret->final_url = copy;
	ret->content_type = type;
	ret->charset = charset;
	t.data = NULL;
	copy = type = charset = NULL;
	r = 0;
out:
	free(copy);
	free(type);
	free(charset);
	free(t.data);
	curl_easy_cleanup(t.h);
	curl_free(norm);
	return r;
}
