/* common/fetch: documents by URL, against a real HTTP server (libmicrohttpd) on 127.0.0.1
 * with an ephemeral port, and against a port nobody listens on and one that never
 * accepts. Every case checks the errno, the wire code and what the message says. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "fetch.h"

enum {
	BIG_BYTES = 200 * 1024 * 1024, /* what /big announces and /bigchunked would send */
	LIMIT_BYTES = 1024 * 1024,     /* max_bytes in the size cases */
	BOMB_BYTES = 8 * 1024 * 1024,  /* /gzipbomb decoded */
	CHUNK_BYTES = 64 * 1024,
};

static uint16_t port;
static atomic_bool stopping;
static atomic_ullong served_big, served_chunked;
static char user_agent[128];
static pthread_mutex_t user_agent_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char *gz_small, *gz_bomb;
static size_t gz_small_len, gz_bomb_len;

/* ---- the server ----------------------------------------------------------------------- */

static ssize_t
read_zeros(void *cls, uint64_t pos, char *buf, size_t max)
{
	atomic_ullong *served = cls;
	size_t n = max < CHUNK_BYTES ? max : CHUNK_BYTES;

	if (atomic_load(&stopping)) {
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	if (pos >= BIG_BYTES) {
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	if (n > BIG_BYTES - pos) {
		n = (size_t)(BIG_BYTES - pos);
	}
	memset(buf, 'x', n);
	atomic_fetch_add(served, n);
	return (ssize_t)n;
}

/* One byte every 500 ms, 40 in all. */
static ssize_t
read_slowly(void *cls, uint64_t pos, char *buf, size_t max)
{
	for (int i = 0; i < 10; i++) {
		if (atomic_load(&stopping)) {
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		usleep(50 * 1000);
	}
	if (pos >= 40) {
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	buf[0] = '.';
	return 1;
}

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *type, const void *body, size_t len,
      const char *header, const char *value)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ok;

	if (type != NULL) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	}
	if (header != NULL) {
		MHD_add_response_header(resp, header, value);
	}
	ok = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ok;
}

static enum MHD_Result
stream(struct MHD_Connection *c, uint64_t size, MHD_ContentReaderCallback cb, void *cls)
{
	struct MHD_Response *resp = MHD_create_response_from_callback(size, CHUNK_BYTES, cb, cls,
								      NULL);
	enum MHD_Result ok;

	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
	ok = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ok;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	   const char *version, const char *upload, size_t *upload_len, void **state)
{
	static const char latin1[] = "<p>caf\xe9 cr\xe8me br\xfbl\xe9""e</p>";
	const char *ua;

	if (*state == NULL) { /* headers only so far */
		*state = c;
		return MHD_YES;
	}
	ua = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT);
	pthread_mutex_lock(&user_agent_lock);
	snprintf(user_agent, sizeof(user_agent), "%s", ua ? ua : "");
	pthread_mutex_unlock(&user_agent_lock);

	if (strcmp(url, "/ok") == 0) {
		return reply(c, 200, "text/plain; charset=utf-8", "bonjour\n", 8, NULL, NULL);
	}
	if (strcmp(url, "/latin1") == 0) {
		return reply(c, 200, "text/html; charset=ISO-8859-1", latin1, strlen(latin1), NULL,
			     NULL);
	}
	if (strcmp(url, "/quoted") == 0) {
		return reply(c, 200, " Text/HTML ; q=1; Charset=\"UTF-8\" ", "<p>x</p>", 8, NULL,
			     NULL);
	}
	if (strcmp(url, "/notype") == 0) {
		return reply(c, 200, NULL, "raw", 3, NULL, NULL);
	}
	if (strcmp(url, "/redirect") == 0) {
		return reply(c, 302, "text/plain", "moved", 5, MHD_HTTP_HEADER_LOCATION, "/ok");
	}
	if (strcmp(url, "/loop") == 0) {
		return reply(c, 302, "text/plain", "moved", 5, MHD_HTTP_HEADER_LOCATION, "/loop");
	}
	if (strcmp(url, "/tofile") == 0) {
		return reply(c, 302, "text/plain", "moved", 5, MHD_HTTP_HEADER_LOCATION,
			     "file:///etc/passwd");
	}
	if (strcmp(url, "/noredirect") == 0) {
		return reply(c, 302, "text/plain", "moved", 5, NULL, NULL);
	}
	if (strcmp(url, "/missing") == 0) {
		return reply(c, 404, "text/plain", "no such page", 12, NULL, NULL);
	}
	if (strcmp(url, "/unavailable") == 0) {
		return reply(c, 503, "text/plain", "later", 5, NULL, NULL);
	}
	if (strcmp(url, "/empty") == 0) {
		return reply(c, 200, "text/plain", "", 0, NULL, NULL);
	}
	if (strcmp(url, "/gzip") == 0) {
		return reply(c, 200, "text/plain; charset=utf-8", gz_small, gz_small_len,
			     MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	}
	if (strcmp(url, "/gzipbomb") == 0) {
		return reply(c, 200, "text/plain", gz_bomb, gz_bomb_len,
			     MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	}
	if (strcmp(url, "/big") == 0) {
		return stream(c, BIG_BYTES, read_zeros, &served_big);
	}
	if (strcmp(url, "/bigchunked") == 0) {
		return stream(c, MHD_SIZE_UNKNOWN, read_zeros, &served_chunked);
	}
	if (strcmp(url, "/slow") == 0) {
		return stream(c, MHD_SIZE_UNKNOWN, read_slowly, NULL);
	}
	return reply(c, 404, "text/plain", "?", 1, NULL, NULL);
}

static struct MHD_Daemon *
start_server(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
				     MHD_USE_POLL | MHD_USE_ERROR_LOG,
			     0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &sa,
			     MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (d == NULL) {
		return NULL;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	port = info != NULL ? info->port : 0;
	return d;
}

/* gzip (RFC 1952) of len bytes; malloc'd. */
static unsigned char *
gzip(const void *src, size_t len, size_t *ret_len)
{
	z_stream z = {0};
	size_t cap = compressBound((uLong)len) + 64;
	unsigned char *out = malloc(cap);

	if (out == NULL ||
	    deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(out);
		return NULL;
	}
	z.next_in = (Bytef *)src;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(out);
		return NULL;
	}
	*ret_len = z.total_out;
	deflateEnd(&z);
	return out;
}

/* ---- helpers ------------------------------------------------------------------------- */

static char *
url_of(const char *path)
{
	static char buf[8][128];
	static int next;
	char *u = buf[next++ % 8];

	snprintf(u, sizeof(buf[0]), "http://127.0.0.1:%u%s", (unsigned)port, path);
	return u;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Fetches url, expects failure r with code; each of needles must be in the message. The
 * seconds it took go to *ret_s (may be NULL). */
static void
expect_fail(const char *url, const struct mnemo_fetch_limits *lim, int r, Mnemo__ErrorCode code,
	    const char *needle1, const char *needle2, double *ret_s)
{
	struct mnemo_fetch_result res = {0};
	struct mnemo_fault f;
	double t0 = now_s();
	int got = mnemo_fetch(url, lim, &res, &f);

	if (ret_s != NULL) {
		*ret_s = now_s() - t0;
	}
	if (url == NULL) {
		url = "(null)";
	}
	CHECK_MSG(got == r, "%s: %d (%s) != %d: %s", url, got, strerror(-got), r, f.message);
	CHECK_MSG(f.code == code, "%s: code %s != %s", url, mnemo_msg_code_name(f.code),
		  mnemo_msg_code_name(code));
	CHECK_MSG(strstr(f.message, needle1) != NULL, "%s: '%s' not in '%s'", url, needle1,
		  f.message);
	if (needle2 != NULL) {
		CHECK_MSG(strstr(f.message, needle2) != NULL, "%s: '%s' not in '%s'", url, needle2,
			  f.message);
	}
	CHECK_MSG(res.data == NULL && res.final_url == NULL, "%s: result written on failure",
		  url);
	fprintf(stderr, "  %-36s -> %s, %s: %s\n",
		url == NULL ? "(null)" : url + (strncmp(url, "http://127", 10) == 0 ? 16 : 0),
		strerror(-got), mnemo_msg_code_name(f.code), f.message);
	mnemo_fetch_result_fini(&res);
}

/* ---- the cases ---------------------------------------------------------------------- */

static void
test_ok(void)
{
	struct mnemo_fetch_result res = {0};
	struct mnemo_fault f;
	int r;

	r = mnemo_fetch(url_of("/ok"), NULL, &res, &f);
	CHECK_MSG(r == 0, "%s", f.message);
	CHECK_INT(res.len, 8);
	CHECK_STR(res.data, "bonjour\n");
	CHECK_INT(res.status, 200);
	CHECK_STR(res.final_url, url_of("/ok"));
	CHECK_STR(res.content_type, "text/plain");
	CHECK_STR(res.charset, "utf-8");
	pthread_mutex_lock(&user_agent_lock);
	CHECK_MSG(strncmp(user_agent, "mnemo/", 6) == 0, "User-Agent '%s'", user_agent);
	pthread_mutex_unlock(&user_agent_lock);
	mnemo_fetch_result_fini(&res);
	mnemo_fetch_result_fini(&res); /* twice: a zeroed struct is fine */
	CHECK(res.data == NULL);
}

static void
test_latin1(void)
{
	static const char latin1[] = "<p>caf\xe9 cr\xe8me br\xfbl\xe9""e</p>";
	struct mnemo_fetch_result res = {0};
	struct mnemo_fault f;

	CHECK_MSG(mnemo_fetch(url_of("/latin1"), NULL, &res, &f) == 0, "%s", f.message);
	CHECK_INT(res.len, strlen(latin1));
	CHECK(res.data != NULL && memcmp(res.data, latin1, sizeof(latin1)) == 0);
	CHECK_STR(res.content_type, "text/html");
	CHECK_STR(res.charset, "iso-8859-1");
	mnemo_fetch_result_fini(&res);

	CHECK_MSG(mnemo_fetch(url_of("/quoted"), NULL, &res, &f) == 0, "%s", f.message);
	CHECK_STR(res.content_type, "text/html");
	CHECK_STR(res.charset, "utf-8");
	mnemo_fetch_result_fini(&res);

	CHECK_MSG(mnemo_fetch(url_of("/notype"), NULL, &res, &f) == 0, "%s", f.message);
	CHECK_STR(res.data, "raw");
	CHECK(res.content_type == NULL);
	CHECK(res.charset == NULL);
	mnemo_fetch_result_fini(&res);
}

static void
test_redirects(void)
{
	struct mnemo_fetch_result res = {0};
	struct mnemo_fetch_limits lim;
	struct mnemo_fault f;
	double s;

	CHECK_MSG(mnemo_fetch(url_of("/redirect"), NULL, &res, &f) == 0, "%s", f.message);
	CHECK_STR(res.data, "bonjour\n");
	CHECK_INT(res.status, 200);
	CHECK_STR(res.final_url, url_of("/ok"));
	mnemo_fetch_result_fini(&res);

	mnemo_fetch_limits_init(&lim);
	lim.max_redirects = 0;
	expect_fail(url_of("/redirect"), &lim, -ELOOP, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
		    "too many redirects", "/redirect", NULL);
	expect_fail(url_of("/loop"), NULL, -ELOOP, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
		    "too many redirects, more than 5", "/loop", &s);
	CHECK_MSG(s < 2, "%.2f s", s);
	expect_fail(url_of("/tofile"), NULL, -EPROTONOSUPPORT,
		    MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
		    "redirected to a URL that is not http",
		    "/tofile", NULL);
	expect_fail(url_of("/noredirect"), NULL, -EREMOTEIO,
		    MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "HTTP 302 Found",
		    "no redirect to follow", NULL);
}

static void
test_sizes(void)
{
	struct mnemo_fetch_limits lim;
	double s;

	mnemo_fetch_limits_init(&lim);
	lim.max_bytes = LIMIT_BYTES;
	atomic_store(&served_big, 0);
	expect_fail(url_of("/big"), &lim, -EMSGSIZE, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE,
		    "Content-Length 209715200 bytes is over the limit of 1048576", "/big", &s);
	CHECK_MSG(s < 1, "%.2f s", s);
	/* Refused at the header: at most what the socket buffers took, never the body. */
	CHECK_MSG(atomic_load(&served_big) < 16 * 1024 * 1024, "served %llu",
		  (unsigned long long)atomic_load(&served_big));
	fprintf(stderr, "  /big: the server produced %llu of %d bytes\n",
		(unsigned long long)atomic_load(&served_big), BIG_BYTES);

	atomic_store(&served_chunked, 0);
	expect_fail(url_of("/bigchunked"), &lim, -EMSGSIZE, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE,
		    "body passed the limit of 1048576 bytes", "/bigchunked", &s);
	CHECK_MSG(s < 2, "%.2f s", s);
	CHECK_MSG(atomic_load(&served_chunked) < 32 * 1024 * 1024, "served %llu",
		  (unsigned long long)atomic_load(&served_chunked));
	fprintf(stderr, "  /bigchunked: the server produced %llu of %d bytes\n",
		(unsigned long long)atomic_load(&served_chunked), BIG_BYTES);

	/* The limit is on decoded bytes: 8 MiB from a few kB of gzip. */
	expect_fail(url_of("/gzipbomb"), &lim, -EMSGSIZE, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE,
		    "body passed the limit", "/gzipbomb", NULL);

	/* Exactly max_bytes is allowed; one less than the body is not. */
	struct mnemo_fetch_result res = {0};
	struct mnemo_fault f;

	lim.max_bytes = 8;
	CHECK_MSG(mnemo_fetch(url_of("/ok"), &lim, &res, &f) == 0, "%s", f.message);
	CHECK_INT(res.len, 8);
	mnemo_fetch_result_fini(&res);
	lim.max_bytes = 7;
	expect_fail(url_of("/ok"), &lim, -EMSGSIZE, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE,
		    "over the limit of 7 bytes", NULL, NULL);
}

static void
test_gzip(void)
{
	struct mnemo_fetch_result res = {0};
	struct mnemo_fault f;

	CHECK_MSG(mnemo_fetch(url_of("/gzip"), NULL, &res, &f) == 0, "%s", f.message);
	CHECK_STR(res.data, "bonjour, monde compressé\n");
	mnemo_fetch_result_fini(&res);
}

static void
test_status(void)
{
	expect_fail(url_of("/missing"), NULL, -ENOENT, MNEMO__ERROR_CODE__ERROR_CODE_NOT_FOUND,
		    "HTTP 404 Not Found", "/missing", NULL);
	expect_fail(url_of("/unavailable"), NULL, -EAGAIN,
		    MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE, "HTTP 503 Service Unavailable",
		    "/unavailable", NULL);
	expect_fail(url_of("/empty"), NULL, -ENODATA, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
		    "empty", "/empty", NULL);
}

static void
test_slow(void)
{
	struct mnemo_fetch_limits lim;
	double s;

	mnemo_fetch_limits_init(&lim);
	lim.timeout_ms = 1000;
	expect_fail(url_of("/slow"), &lim, -ETIMEDOUT, MNEMO__ERROR_CODE__ERROR_CODE_TIMEOUT,
		    "not fetched within 1000 ms", "/slow", &s);
	CHECK_MSG(s >= 0.9 && s < 2, "%.2f s", s);

	/* A drip of 2 bytes/s, under a floor of 100 bytes/s, long before the timeout. */
	mnemo_fetch_limits_init(&lim);
	lim.timeout_ms = 30 * 1000;
	lim.low_speed_bytes_per_s = 100;
	lim.low_speed_time_ms = 1000;
	expect_fail(url_of("/slow"), &lim, -ETIMEDOUT, MNEMO__ERROR_CODE__ERROR_CODE_TIMEOUT,
		    "too slow, under 100 bytes/s for 1 s", "/slow", &s);
	CHECK_MSG(s < 3, "%.2f s", s);
}

static void
test_connections(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
	socklen_t sa_len = sizeof(sa);
	struct mnemo_fetch_limits lim;
	char url[128];
	int closed, full, filler = -1;
	double s;

	/* Refused: a port bound (so nobody else takes it) but not listening. */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	closed = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(closed >= 0 && bind(closed, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	      getsockname(closed, (struct sockaddr *)&sa, &sa_len) == 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/ok", (unsigned)ntohs(sa.sin_port));
	expect_fail(url, NULL, -ECONNREFUSED, MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE,
		    "connection refused", url, &s);
	CHECK_MSG(s < 1, "%.2f s", s);
	close(closed);

	/* Never accepting: a listener with a backlog of 0 that one connection fills; Linux
	 * then drops the SYNs, so connecting hangs until connect_timeout_ms. */
	sa.sin_port = 0;
	sa_len = sizeof(sa);
	full = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(full >= 0 && bind(full, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	      getsockname(full, (struct sockaddr *)&sa, &sa_len) == 0 && listen(full, 0) == 0);
	filler = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(filler >= 0 && connect(filler, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/ok", (unsigned)ntohs(sa.sin_port));
	mnemo_fetch_limits_init(&lim);
	lim.connect_timeout_ms = 300;
	expect_fail(url, &lim, -ETIMEDOUT, MNEMO__ERROR_CODE__ERROR_CODE_TIMEOUT,
		    "no connection within 300 ms", url, &s);
	CHECK_MSG(s < 1.5, "%.2f s", s);
	close(filler);
	close(full);

	/* .invalid never resolves (RFC 6761). */
	expect_fail("http://mnemo-fetch-test.invalid/doc", NULL, -ENXIO,
		    MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE, "host name does not resolve",
		    "mnemo-fetch-test.invalid", NULL);
}

static void
test_bad_urls(void)
{
	struct mnemo_fetch_limits lim;

	expect_fail("file:///etc/passwd", NULL, -EPROTONOSUPPORT,
		    MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "only http and https", "file:",
		    NULL);
	expect_fail("ftp://ftp.example.org/pub/doc.txt", NULL, -EPROTONOSUPPORT,
		    MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "not ftp:", "ftp.example.org",
		    NULL);
	expect_fail("gopher://gopher.example.org/0/doc", NULL, -EPROTONOSUPPORT,
		    MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "not gopher:", NULL, NULL);
	expect_fail("http://exa mple.org/doc", NULL, -EINVAL,
		    MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "is not a valid URL",
		    "exa%20mple.org", NULL);
	expect_fail("http://[::1/doc", NULL, -EINVAL, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
		    "is not a valid URL", "[::1/doc", NULL);
	expect_fail("example.org/doc", NULL, -EINVAL, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
		    "is not a valid URL", "example.org/doc", NULL);
	expect_fail("", NULL, -EINVAL, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
		    "is not a valid URL", NULL, NULL);
	expect_fail(NULL, NULL, -EINVAL, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "no URL",
		    NULL, NULL);
	/* The password stays out of messages. */
	expect_fail("ftp://user:s3cret@example.org/x", NULL, -EPROTONOSUPPORT,
		    MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "user@example.org", NULL, NULL);
	struct mnemo_fault f;
	struct mnemo_fetch_result res = {0};
	mnemo_fetch("ftp://user:s3cret@example.org/x", NULL, &res, &f);
	CHECK_MSG(strstr(f.message, "s3cret") == NULL, "%s", f.message);

	mnemo_fetch_limits_init(&lim);
	lim.timeout_ms = 0;
	expect_fail(url_of("/ok"), &lim, -EINVAL, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
		    "a fetch limit is 0", NULL, NULL);
}

/* Several threads at once, each with its own handle (run under TSan/ASan for races). */
static void *
fetch_many(void *arg)
{
	int *failures = arg;

	for (int i = 0; i < 10; i++) {
		struct mnemo_fetch_result res = {0};
		struct mnemo_fault f;
		const char *path = i % 2 ? "/redirect" : "/latin1";

		if (mnemo_fetch(url_of(path), NULL, &res, &f) != 0 || res.len == 0) {
			(*failures)++;
		}
		mnemo_fetch_result_fini(&res);
	}
	return NULL;
}

static void
test_threads(void)
{
	pthread_t th[8];
	int failures[8] = {0};

	for (int i = 0; i < 8; i++) {
		CHECK(pthread_create(&th[i], NULL, fetch_many, &failures[i]) == 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		CHECK_INT(failures[i], 0);
	}
}

int
main(void)
{
	static const char small[] = "bonjour, monde compressé\n";
	struct MHD_Daemon *d;
	char *zeros;
	double t0 = now_s();

	/* The server is on loopback: a proxy from the environment must not be asked. */
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");

	zeros = calloc(1, BOMB_BYTES);
	gz_small = gzip(small, strlen(small), &gz_small_len);
	gz_bomb = zeros != NULL ? gzip(zeros, BOMB_BYTES, &gz_bomb_len) : NULL;
	free(zeros);
	d = start_server();
	if (d == NULL || port == 0 || gz_small == NULL || gz_bomb == NULL) {
		fprintf(stderr, "could not start the test server\n");
		return 1;
	}
	fprintf(stderr, "server on 127.0.0.1:%u, gzip bomb %zu -> %d bytes\n", (unsigned)port,
		gz_bomb_len, BOMB_BYTES);

	test_ok();
	test_latin1();
	test_gzip();
	test_redirects();
	test_sizes();
	test_status();
	test_slow();
	test_connections();
	test_bad_urls();
	test_threads();

	atomic_store(&stopping, true);
	MHD_stop_daemon(d);
	free(gz_small);
	free(gz_bomb);
	fprintf(stderr, "%.2f s\n", now_s() - t0);
	return check_exit();
}
