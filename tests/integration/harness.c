#include "harness.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct harness *current; /* for the watchdog and atexit */

void
h_sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

/* A process stopped by SIGTERM must exit 0 (or die of the SIGTERM itself): anything else
 * is a crash, or a leak report from LeakSanitizer in the sanitizer build. */
static int
stopped_cleanly(const struct h_proc *p, int status)
{
	if ((WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
	    (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)) {
		return 1;
	}
	fprintf(stderr, "harness: %s (pid %d) did not stop cleanly: %s %d (see %s.log)\n",
		p->name, (int)p->pid, WIFEXITED(status) ? "exit status" : "signal",
		WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), p->name);
	return 0;
}

static int
kill_all(struct harness *h)
{
	uint64_t deadline = mnemo_clock_ms() + 10000;
	int unclean = 0;

	for (int i = 0; i < h->n_procs; i++) {
		if (h->procs[i].pid > 0) {
			kill(h->procs[i].pid, SIGCONT);
			kill(h->procs[i].pid, SIGTERM);
		}
	}
	for (int i = 0; i < h->n_procs; i++) {
		while (h->procs[i].pid > 0) {
			int status;

			if (waitpid(h->procs[i].pid, &status, WNOHANG) == h->procs[i].pid) {
				unclean += !stopped_cleanly(&h->procs[i], status);
				h->procs[i].pid = 0;
			} else if (mnemo_clock_ms() > deadline) {
				fprintf(stderr, "harness: %s did not stop within 10 s, killing it\n",
					h->procs[i].name);
				kill(h->procs[i].pid, SIGKILL);
				waitpid(h->procs[i].pid, NULL, 0);
				h->procs[i].pid = 0;
				unclean++;
			} else {
				h_sleep_ms(10);
			}
		}
	}
	return unclean;
}

static void
on_watchdog(int sig)
{
	static const char msg[] = "harness: watchdog expired, killing every process\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	if (current != NULL) {
		for (int i = 0; i < current->n_procs; i++) {
			if (current->procs[i].pid > 0) {
				kill(current->procs[i].pid, SIGKILL);
			}
		}
	}
	_exit(3);
}

void
h_init(struct harness *h, int argc, char **argv, unsigned watchdog_s)
{
	const char *tmp = getenv("TMPDIR");

	memset(h, 0, sizeof(*h));
	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH-TO-MNEMO\n", argv[0]);
		exit(2);
	}
	if (realpath(argv[1], h->mnemo) == NULL) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
		exit(2);
	}
	snprintf(h->dir, sizeof(h->dir), "%s/mnemo-it-XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(h->dir) == NULL) {
		fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
		exit(2);
	}
	current = h;
	signal(SIGALRM, on_watchdog);
	signal(SIGPIPE, SIG_IGN);
	alarm(watchdog_s);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	fprintf(stderr, "scratch folder %s\n", h->dir);
}

int
h_cleanup(struct harness *h, int keep)
{
	char cmd[512];
	int unclean = kill_all(h);

	keep |= unclean;
	alarm(0);
	if (getenv("MNEMO_KEEP") == NULL && !keep) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
		if (system(cmd) != 0) {
			fprintf(stderr, "could not remove %s\n", h->dir);
		}
	} else {
		fprintf(stderr, "kept %s (logs: *.log)\n", h->dir);
	}
	curl_global_cleanup();
	current = NULL;
	return unclean;
}

const char *
h_path(struct harness *h, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", h->dir, name);
	return buf;
}

pid_t
h_spawn(struct harness *h, const char *name, const char *const *args)
{
	const char *argv[64];
	char log[512];
	int n = 0, fd;
	pid_t pid;

	if (h->n_procs == H_MAX_PROCS) {
		fprintf(stderr, "harness: too many processes\n");
		exit(2);
	}
	argv[n++] = h->mnemo;
	for (int i = 0; args[i] != NULL && n < 63; i++) {
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	h_path(h, name, log, sizeof(log));
	strncat(log, ".log", sizeof(log) - strlen(log) - 1);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		if (chdir(h->dir) < 0) {
			_exit(126);
		}
		signal(SIGPIPE, SIG_DFL);
		execv(h->mnemo, (char *const *)argv);
		_exit(127);
	}
	h->procs[h->n_procs].pid = pid;
	snprintf(h->procs[h->n_procs].name, sizeof(h->procs[0].name), "%s", name);
	h->n_procs++;
	return pid;
}

static void
forget(struct harness *h, pid_t pid)
{
	for (int i = 0; i < h->n_procs; i++) {
		if (h->procs[i].pid == pid) {
			h->procs[i].pid = 0;
		}
	}
}

void
h_signal(struct harness *h, pid_t pid, int sig)
{
	kill(pid, sig);
	if (sig != SIGKILL && sig != SIGTERM) {
		return;
	}
	waitpid(pid, NULL, 0);
	forget(h, pid);
}

int
h_free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0) {
		port = ntohs(sa.sin_port);
	}
	if (fd >= 0) {
		close(fd);
	}
	return port;
}

/* ---- HTTP ---- */

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct h_reply *r = arg;

	if (r->len + n + 1 > r->cap) {
		/* doubling: a reply of many megabytes arrives in 16 KiB pieces */
		size_t cap = r->cap > 0 ? r->cap : 4096;
		char *grown;

		while (cap < r->len + n + 1) {
			cap *= 2;
		}
		grown = realloc(r->body, cap);
		if (grown == NULL) {
			return 0;
		}
		r->body = grown;
		r->cap = cap;
	}
	memcpy(r->body + r->len, p, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

void
h_http(const char *method, const char *url, const char *content_type, const char *body,
       size_t body_len, struct h_reply *ret)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *headers = NULL;
	char header[256];
	long status = 0;

	memset(ret, 0, sizeof(*ret));
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L); /* send "../" as written */
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, ret);
	/* libcurl adds a form content type to every body unless told otherwise. */
	snprintf(header, sizeof(header), "Content-Type:%s%s", content_type ? " " : "",
		 content_type ? content_type : "");
	headers = curl_slist_append(headers, header);
	headers = curl_slist_append(headers, "Expect:");
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	if (body != NULL) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(body_len == (size_t)-1 ? strlen(body) : body_len));
	}
	if (curl_easy_perform(curl) == CURLE_OK) {
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	}
	ret->status = (int)status;
	if (ret->body != NULL) {
		ret->json = json_loadb(ret->body, ret->len, 0, NULL);
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
}

void
h_http_json(const char *method, const char *url, json_t *body, struct h_reply *ret)
{
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;

	h_http(method, url, text ? "application/json" : NULL, text, (size_t)-1, ret);
	free(text);
	json_decref(body);
}

void
h_reply_free(struct h_reply *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

const char *
h_error_code(const struct h_reply *r)
{
	const char *code = json_string_value(
		json_object_get(json_object_get(r->json, "error"), "code"));

	return code != NULL ? code : "";
}

int
h_wait_healthy(const char *base, int segmenters, int aligners, unsigned timeout_ms)
{
	uint64_t deadline = mnemo_clock_ms() + timeout_ms;
	char url[256];

	snprintf(url, sizeof(url), "%s/healthz", base);
	while (mnemo_clock_ms() < deadline) {
		struct h_reply r;
		int ok;

		h_http("GET", url, NULL, NULL, 0, &r);
		/* 503 ("degraded") is expected when asked for no worker of a kind. */
		ok = (r.status == 200 || r.status == 503) &&
		     json_integer_value(json_object_get(r.json, "store")) >= 1 &&
		     json_integer_value(json_object_get(r.json, "segmenters")) == segmenters &&
		     json_integer_value(json_object_get(r.json, "aligners")) == aligners;
		h_reply_free(&r);
		if (ok) {
			return 0;
		}
		h_sleep_ms(50);
	}
	if (timeout_ms < 1000) {
		return -1; /* a short poll; the caller loops */
	}
	fprintf(stderr, "%s not healthy with %d segmenters and %d aligners after %u ms\n", base,
		segmenters, aligners, timeout_ms);
	return -1;
}

pid_t
h_serve_all(struct harness *h, char *base, size_t base_size, char *nng_url, char *pub_url,
	    const char *const *extra_args)
{
	char http[64], nng[64], pub[64];
	const char *args[48] = {"serve", "all", "--http", http, "--nng", nng, "--pub", pub};
	int n = 8;

	for (int i = 0; extra_args != NULL && extra_args[i] != NULL && n < 47; i++) {
		args[n++] = extra_args[i];
	}
	args[n] = NULL;
	/* A port free a moment ago may be taken by a test running beside this one: when the
	 * service cannot bind, it exits, and it is tried again on other ports. */
	for (int attempt = 0; attempt < 3; attempt++) {
		uint64_t deadline = mnemo_clock_ms() + 20000;
		pid_t pid;

		snprintf(http, sizeof(http), "127.0.0.1:%d", h_free_port());
		snprintf(nng, sizeof(nng), "tcp://127.0.0.1:%d", h_free_port());
		snprintf(pub, sizeof(pub), "tcp://127.0.0.1:%d", h_free_port());
		pid = h_spawn(h, "serve-all", args);
		snprintf(base, base_size, "http://%s", http);
		if (nng_url != NULL) {
			snprintf(nng_url, 64, "%s", nng);
		}
		if (pub_url != NULL) {
			snprintf(pub_url, 64, "%s", pub);
		}
		while (mnemo_clock_ms() < deadline) {
			int status;

			if (waitpid(pid, &status, WNOHANG) == pid) {
				forget(h, pid);
				break;
			}
			if (h_wait_healthy(base, 1, 1, 200) == 0) {
				return pid;
			}
		}
	}
	return -1;
}

/* ---- nng ---- */

int
h_sp_frame(int port, uint64_t announced_len, const void *data, size_t len, unsigned timeout_ms)
{
	/* SP header: 0, 'S', 'P', version 0, protocol 48 (REQ v0) big-endian, 2 reserved. */
	static const uint8_t hello[8] = {0, 'S', 'P', 0, 0, 48, 0, 0};
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timeval tv = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000};
	uint8_t frame[8], peer[8], scratch[4096];
	uint64_t deadline = mnemo_clock_ms() + timeout_ms;
	int fd = socket(AF_INET, SOCK_STREAM, 0), closed = 0;
	size_t sent = 0;

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		if (fd >= 0) {
			close(fd);
		}
		return r;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (write(fd, hello, 8) != 8 || read(fd, peer, 8) != 8) {
		close(fd);
		return -EPROTO;
	}
	for (int i = 0; i < 8; i++) {
		frame[i] = (uint8_t)(announced_len >> (56 - 8 * i));
	}
	if (write(fd, frame, 8) != 8) {
		close(fd);
		return 1;
	}
	while (sent < len && mnemo_clock_ms() < deadline) {
		ssize_t n = send(fd, (const char *)data + sent, len - sent, MSG_NOSIGNAL);

		if (n <= 0) {
			closed = 1; /* EPIPE or ECONNRESET: the peer is gone */
			break;
		}
		sent += (size_t)n;
	}
	while (!closed && mnemo_clock_ms() < deadline) {
		ssize_t n = read(fd, scratch, sizeof(scratch));

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			closed = 1;
		} else if (n < 0) {
			break; /* the read timed out: the peer keeps the connection */
		}
	}
	close(fd);
	return closed;
}

int
h_nng_raw(const char *url, const void *data, size_t len, struct mnemo_arena *arena,
	  Mnemo__Envelope **ret_reply, unsigned timeout_ms)
{
	struct mnemo_msg_socket_config sc = {.max_message_bytes = 64u << 20, .resend_ms = 600000};
	struct mnemo_msg_limits lim = mnemo_msg_internal_limits;
	struct mnemo_fault f;
	nng_socket s;
	nng_msg *msg;
	int r;

	r = mnemo_msg_socket_open(MNEMO_MSG_REQ, &sc, &s);
	if (r < 0) {
		return r;
	}
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, (nng_duration)timeout_ms);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, (nng_duration)timeout_ms);
	r = mnemo_err_from_nng(nng_dial(s, url, NULL, 0));
	if (r == 0) {
		r = mnemo_err_from_nng(nng_msg_alloc(&msg, 0));
	}
	if (r == 0) {
		nng_msg_append(msg, data, len);
		r = mnemo_err_from_nng(nng_sendmsg(s, msg, 0));
		if (r < 0) {
			nng_msg_free(msg);
		}
	}
	if (r == 0) {
		r = mnemo_err_from_nng(nng_recvmsg(s, &msg, 0));
	}
	if (r == 0) {
		r = mnemo_msg_decode(nng_msg_body(msg), nng_msg_len(msg), &lim, arena, ret_reply, &f);
		nng_msg_free(msg);
	}
	nng_close(s);
	return r;
}

int
h_nng_call(const char *url, const Mnemo__Envelope *req, struct mnemo_arena *arena,
	   Mnemo__Envelope **ret_reply, unsigned timeout_ms)
{
	size_t len = protobuf_c_message_get_packed_size(&req->base);
	uint8_t *buf = malloc(len + 1);
	int r;

	if (buf == NULL) {
		return -ENOMEM;
	}
	protobuf_c_message_pack(&req->base, buf);
	r = h_nng_raw(url, buf, len, arena, ret_reply, timeout_ms);
	free(buf);
	return r;
}
