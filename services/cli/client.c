/* The HTTP API from the command line: over libcurl to a running service, or straight into
 * a gateway started in this process (the same routing and JSON either way). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "text.h"

enum { MAX_QUERY = 32, MAX_REPLY_BYTES = 256 * 1024 * 1024 };

struct client {
	int remote;
	char base[512];
	CURL *curl;
	struct embedded emb;
};

int
client_open(struct cli *cli, unsigned local_services, struct client **ret)
{
	struct client *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		snprintf(cli->err, sizeof(cli->err), "out of memory");
		return -1;
	}
	if (cli->url != NULL) {
		size_t n = strlen(cli->url);

		c->remote = 1;
		snprintf(c->base, sizeof(c->base), "%.*s", (int)(n > 0 && cli->url[n - 1] == '/' ? n - 1 : n),
			 cli->url);
		curl_global_init(CURL_GLOBAL_DEFAULT);
		c->curl = curl_easy_init();
		if (c->curl == NULL) {
			snprintf(cli->err, sizeof(cli->err), "libcurl could not start");
			free(c);
			return -1;
		}
	} else {
		if ((local_services & EMBED_STORE) && cli_prepare_db(cli) < 0) {
			free(c);
			return -1;
		}
		embedded_config_inproc(&cli->cfg, local_services | EMBED_GATEWAY, 0);
		if (embedded_start(&cli->cfg, local_services | EMBED_GATEWAY, &c->emb, cli->err,
				   sizeof(cli->err)) < 0) {
			free(c);
			return -1;
		}
	}
	*ret = c;
	return 0;
}

void
client_close(struct client *c)
{
	if (c == NULL) {
		return;
	}
	if (c->remote) {
		curl_easy_cleanup(c->curl);
		curl_global_cleanup();
	} else {
		embedded_stop(&c->emb);
	}
	free(c);
}

struct sink {
	char *data;
	size_t len;
};

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	char *grown;

	if (s->len + n > MAX_REPLY_BYTES) {
		return 0;
	}
	grown = realloc(s->data, s->len + n + 1);
	if (grown == NULL) {
		return 0;
	}
	memcpy(grown + s->len, p, n);
	s->data = grown;
	s->len += n;
	s->data[s->len] = '\0';
	return n;
}

static int
call_remote(struct client *c, const char *method, const char *path, const char *content_type,
	    const char *body, size_t body_len, int *ret_status, char **ret_text, size_t *ret_len,
	    char *err, size_t err_size)
{
	struct curl_slist *headers = NULL;
	struct sink sink = {0};
	char url[2048], header[256];
	long status = 0;
	CURLcode rc;

	snprintf(url, sizeof(url), "%s%s", c->base, path);
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, 120000L);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &sink);
	if (body != NULL) {
		snprintf(header, sizeof(header), "Content-Type: %s", content_type);
		headers = curl_slist_append(headers, header);
		curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	rc = curl_easy_perform(c->curl);
	curl_slist_free_all(headers);
	if (rc != CURLE_OK) {
		snprintf(err, err_size, "%s %s: %s (is mnemo serving there?)", method, url,
			 curl_easy_strerror(rc));
		free(sink.data);
		return -1;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	*ret_status = (int)status;
	*ret_text = sink.data;
	*ret_len = sink.len;
	return 0;
}

static int
hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9') {
		return ch - '0';
	}
	ch = (char)(ch | 0x20);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Undoes client_query_add's encoding in place, as libmicrohttpd does for the server. */
static void
percent_decode(char *s)
{
	char *out = s;

	for (; *s != '\0'; s++) {
		int hi, lo;

		if (*s == '%' && (hi = hex_digit(s[1])) >= 0 && (lo = hex_digit(s[2])) >= 0) {
			*out++ = (char)(hi << 4 | lo);
			s += 2;
		} else {
			*out++ = *s == '+' ? ' ' : *s;
		}
	}
	*out = '\0';
}

int
client_query_add(char *path, size_t size, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(path);

	if (n + strlen(name) + 2 >= size) {
		return -1;
	}
	n += (size_t)snprintf(path + n, size - n, "%c%s=", strchr(path, '?') ? '&' : '?', name);
	for (const unsigned char *v = (const unsigned char *)value; *v != '\0'; v++) {
		int plain = (*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
			    (*v >= '0' && *v <= '9') || strchr("-._~", *v) != NULL;

		if (n + (plain ? 1 : 3) >= size) {
			return -1;
		}
		if (plain) {
			path[n++] = (char)*v;
		} else {
			path[n++] = '%';
			path[n++] = hex[*v >> 4];
			path[n++] = hex[*v & 15];
		}
	}
	path[n] = '\0';
	return 0;
}

static void
call_local(struct client *c, const char *method, const char *path, const char *content_type,
	   const char *body, size_t body_len, int *ret_status, char **ret_text, size_t *ret_len)
{
	const char *kv[2 * MAX_QUERY];
	char local_path[2048];
	struct gateway_http_request req = {.method = method, .path = local_path, .query = kv};
	struct gateway_http_reply reply;
	char *q;

	/* The command line builds its query strings with client_query_add. */
	snprintf(local_path, sizeof(local_path), "%s", path);
	q = strchr(local_path, '?');
	if (q != NULL) {
		*q++ = '\0';
		while (q != NULL && *q != '\0' && req.n_query < MAX_QUERY) {
			char *next = strchr(q, '&');
			char *eq;

			if (next != NULL) {
				*next++ = '\0';
			}
			eq = strchr(q, '=');
			kv[2 * req.n_query] = q;
			kv[2 * req.n_query + 1] = eq != NULL ? eq + 1 : "";
			if (eq != NULL) {
				*eq = '\0';
				percent_decode(eq + 1);
			}
			percent_decode(q);
			req.n_query++;
			q = next;
		}
	}
	if (body != NULL) {
		req.content_type = content_type;
		req.body = body;
		req.body_len = body_len;
	}
	gateway_http_handle(c->emb.gateway, &req, &reply);
	*ret_status = reply.status;
	*ret_text = reply.body;
	*ret_len = reply.body_len;
}

int
client_call_raw(struct client *c, const char *method, const char *path, const char *content_type,
		const char *body, size_t body_len, int *ret_status, json_t **ret_reply, char *err,
		size_t err_size)
{
	char *text = NULL;
	size_t len = 0;
	json_error_t jerr;

	if (c->remote) {
		if (call_remote(c, method, path, content_type, body, body_len, ret_status, &text,
				&len, err, err_size) < 0) {
			return -1;
		}
	} else {
		call_local(c, method, path, content_type, body, body_len, ret_status, &text, &len);
	}
	*ret_reply = json_loadb(text != NULL ? text : "", len, 0, &jerr);
	free(text);
	if (*ret_reply == NULL) {
		snprintf(err, err_size, "%s %s: HTTP %d with a reply that is not JSON", method, path,
			 *ret_status);
		return -1;
	}
	return 0;
}

int
client_call(struct client *c, const char *method, const char *path, json_t *body,
	    int *ret_status, json_t **ret_reply, char *err, size_t err_size)
{
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	int r;

	if (body != NULL && text == NULL) {
		snprintf(err, err_size, "the request could not be encoded as JSON");
		return -1;
	}
	r = client_call_raw(c, method, path, "application/json", text, text ? strlen(text) : 0,
			    ret_status, ret_reply, err, err_size);
	free(text);
	return r;
}

const char *
client_error_text(const json_t *reply, char *buf, size_t size)
{
	const json_t *e = json_object_get(reply, "error");

	snprintf(buf, size, "%s: %s", json_string_value(json_object_get(e, "code")) ?: "error",
		 json_string_value(json_object_get(e, "message")) ?: "(no message)");
	return buf;
}

/* ---- streamed bodies ---- */

struct gateway *
client_gateway(struct client *c)
{
	return c->remote ? NULL : c->emb.gateway;
}

struct stream {
	CURL *curl;
	int (*sink)(void *arg, const char *data, size_t len);
	void *arg;
	long status;      /* 0 until the headers are in */
	struct sink error; /* the body of a reply that is not 2xx */
	int sink_failed;  /* negative errno */
};

static size_t
on_stream_data(char *p, size_t size, size_t n, void *arg)
{
	struct stream *s = arg;
	int r;

	if (s->status == 0) {
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &s->status);
	}
	if (s->status / 100 != 2) {
		return on_data(p, size, n, &s->error);
	}
	r = s->sink(s->arg, p, n);
	if (r < 0) {
		s->sink_failed = r;
		return 0;
	}
	return n;
}

int
client_get_stream(struct client *c, const char *path,
		  int (*sink)(void *arg, const char *data, size_t len), void *arg, int *ret_status,
		  json_t **ret_reply, char *err, size_t err_size)
{
	struct stream s = {.curl = c->curl, .sink = sink, .arg = arg};
	char url[2048];
	json_error_t jerr;
	CURLcode rc;

	snprintf(url, sizeof(url), "%s%s", c->base, path);
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	/* No deadline for the whole: a large memory takes long. A server silent for two
	 * minutes (the store waits 30 s at most per page) is given up on. */
	curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_TIME, 120L);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_stream_data);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &s);
	rc = curl_easy_perform(c->curl);
	if (s.status == 0) {
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &s.status);
	}
	if (s.sink_failed < 0) {
		snprintf(err, err_size, "writing what GET %s sent: %s", url,
			 mnemo_strerror(s.sink_failed));
		free(s.error.data);
		return -1;
	}
	if (rc != CURLE_OK) {
		snprintf(err, err_size, "GET %s: %s%s", url, curl_easy_strerror(rc),
			 s.status / 100 == 2 ? " (the reply was cut short: what was written is "
					       "incomplete)"
					     : " (is mnemo serving there?)");
		free(s.error.data);
		return -1;
	}
	*ret_status = (int)s.status;
	*ret_reply = NULL;
	if (s.status / 100 != 2) {
		*ret_reply = json_loadb(s.error.data != NULL ? s.error.data : "", s.error.len, 0,
					&jerr);
		free(s.error.data);
		if (*ret_reply == NULL) {
			snprintf(err, err_size, "GET %s: HTTP %ld with a reply that is not JSON",
				 path, s.status);
			return -1;
		}
	}
	return 0;
}

/* ---- streamed uploads (mnemo import) ---- */

struct upload {
	long (*source)(void *arg, char *buf, size_t max);
	void (*progress)(void *arg, uint64_t sent);
	void *arg;
	int source_failed;
};

static size_t
on_upload_read(char *buf, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	long got = u->source(u->arg, buf, size * n);

	if (got < 0) {
		u->source_failed = 1;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)got;
}

static int
on_upload_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		   curl_off_t ulnow)
{
	struct upload *u = arg;

	if (u->progress != NULL) {
		u->progress(u->arg, (uint64_t)ulnow);
	}
	return 0;
}

int
client_post_stream(struct client *c, const char *path, int64_t size,
		   long (*source)(void *arg, char *buf, size_t max),
		   void (*progress)(void *arg, uint64_t sent), void *arg, int *ret_status,
		   json_t **ret_reply, char *err, size_t err_size)
{
	struct upload u = {.source = source, .progress = progress, .arg = arg};
	struct curl_slist *headers = NULL;
	struct sink sink = {0};
	char url[2048];
	json_error_t jerr;
	long status = 0;
	CURLcode rc;

	snprintf(url, sizeof(url), "%s%s", c->base, path);
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(c->curl, CURLOPT_READFUNCTION, on_upload_read);
	curl_easy_setopt(c->curl, CURLOPT_READDATA, &u);
	headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
	if (size >= 0) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)size);
	} else {
		headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
	}
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, on_upload_progress);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, &u);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	/* No deadline for the whole: a large file takes long to send, and its commit long
	 * after that, with nothing on the wire ([gateway] import_timeout_ms bounds it on
	 * the server's side). Keep-alive probes notice a server that is gone. */
	curl_easy_setopt(c->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &sink);
	rc = curl_easy_perform(c->curl);
	curl_slist_free_all(headers);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (u.source_failed) {
		snprintf(err, err_size, "reading the file failed; the import was abandoned");
		free(sink.data);
		return -1;
	}
	if (rc != CURLE_OK) {
		curl_off_t sent = 0;

		curl_easy_getinfo(c->curl, CURLINFO_SIZE_UPLOAD_T, &sent);
		/* Cut before the end of the body, the import is aborted; after it, the server
		 * may have committed it before the connection broke. */
		snprintf(err, err_size, "POST %s: %s%s", url, curl_easy_strerror(rc),
			 size >= 0 && sent >= size
				 ? " (the whole body was sent: the import may have been committed "
				   "all the same; GET /v1/status tells)"
				 : " (is mnemo serving there? if it was, the import was aborted and "
				   "nothing of it kept)");
		free(sink.data);
		return -1;
	}
	*ret_status = (int)status;
	*ret_reply = json_loadb(sink.data != NULL ? sink.data : "", sink.len, 0, &jerr);
	free(sink.data);
	if (*ret_reply == NULL) {
		snprintf(err, err_size, "POST %s: HTTP %ld with a reply that is not JSON", path,
			 status);
		return -1;
	}
	return 0;
}

int
cli_request(struct cli *cli, unsigned local_services, const char *path, json_t *body,
	    json_t **ret_reply)
{
	struct client *c;
	int status, rc = 0;

	*ret_reply = NULL;
	if (client_open(cli, local_services, &c) < 0) {
		return cli_fail("%s", cli->err);
	}
	if (client_call(c, "POST", path, body, &status, ret_reply, cli->err, sizeof(cli->err)) <
	    0) {
		rc = cli_fail("%s", cli->err);
	} else if (status / 100 != 2) {
		char buf[1024];

		rc = cli_fail("%s", client_error_text(*ret_reply, buf, sizeof(buf)));
		json_decref(*ret_reply);
		*ret_reply = NULL;
	}
	client_close(c);
	return rc;
}

int
cli_document_content(json_t *doc, char *data, size_t len, const char *encoding)
{
	size_t off;
	char *b64;

	if (encoding == NULL && mnemo_text_check_utf8(data, len, &off) == 0) {
		json_object_set_new(doc, "text", json_stringn(data, len));
		free(data);
		return 0;
	}
	/* not UTF-8, or said to be in another encoding: the service decodes the bytes */
	if (encoding != NULL) {
		json_object_set_new(doc, "encoding", json_string(encoding));
	}
	b64 = mnemo_json_base64(data, len);
	free(data);
	if (b64 == NULL) {
		return -1;
	}
	json_object_set_new(doc, "data", json_string(b64));
	free(b64);
	return 0;
}
