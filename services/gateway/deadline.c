/* Header and body deadlines for HTTP connections. libmicrohttpd 0.9.75 only has an idle
 * timeout, which a client defeats by sending one byte at a time (slowloris); this closes
 * a connection whose request headers, or whose body, take longer than allowed.
 *
 * Each connection's socket is dup()ed when it opens: shutdown() on the duplicate ends the
 * connection, and since the duplicate keeps the socket alive until the connection closes,
 * a descriptor number reused by a new connection is never hit by mistake. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "internal.h"
#include "log.h"

enum { CHECK_EVERY_MS = 250 };

struct watched {
	int fd; /* our duplicate of the connection's socket */
	enum http_phase phase;
	uint64_t since_ms; /* when the phase began */
	struct watched *prev, *next;
};

struct http_deadlines {
	uint32_t header_ms, body_ms;
	struct gateway_counters *counters;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct watched *head;
	int stopping;
	pthread_t thread;
};

static void *
watch(void *arg)
{
	struct http_deadlines *d = arg;

	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		struct timespec next;
		uint64_t now = mnemo_clock_ms();

		for (struct watched *w = d->head; w != NULL; w = w->next) {
			uint32_t limit = w->phase == HTTP_PHASE_HEADERS ? d->header_ms
					 : w->phase == HTTP_PHASE_BODY	  ? d->body_ms
									  : 0;

			if (limit != 0 && now - w->since_ms > limit) {
				mnemo_log_info("http", "closing a connection whose %s took over %u ms",
					       w->phase == HTTP_PHASE_HEADERS ? "headers" : "body",
					       limit);
				shutdown(w->fd, SHUT_RDWR);
				w->phase = HTTP_PHASE_CLOSING;
				atomic_fetch_add(&d->counters->http_deadlines, 1);
			}
		}
		mnemo_clock_deadline(&next, CHECK_EVERY_MS);
		pthread_cond_timedwait(&d->wake, &d->lock, &next);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

int
http_deadlines_start(uint32_t header_ms, uint32_t body_ms, struct gateway_counters *counters,
		     struct http_deadlines **ret)
{
	struct http_deadlines *d = calloc(1, sizeof(*d));
	int r;

	if (d == NULL) {
		return -ENOMEM;
	}
	d->header_ms = header_ms;
	d->body_ms = body_ms;
	d->counters = counters;
	pthread_mutex_init(&d->lock, NULL);
	mnemo_cond_init(&d->wake);
	r = -pthread_create(&d->thread, NULL, watch, d);
	if (r < 0) {
		pthread_cond_destroy(&d->wake);
		pthread_mutex_destroy(&d->lock);
		free(d);
		return r;
	}
	*ret = d;
	return 0;
}

/* After the HTTP server stopped: every connection has closed and left the list. */
void
http_deadlines_stop(struct http_deadlines *d)
{
	if (d == NULL) {
		return;
	}
	pthread_mutex_lock(&d->lock);
	d->stopping = 1;
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	while (d->head != NULL) {
		struct watched *w = d->head;

		d->head = w->next;
		close(w->fd);
		free(w);
	}
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

void
http_deadlines_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			     enum MHD_ConnectionNotificationCode code)
{
	struct http_deadlines *d = cls;
	struct watched *w = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *info =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

		w = calloc(1, sizeof(*w));
		if (w == NULL || info == NULL || (w->fd = dup(info->connect_fd)) < 0) {
			free(w); /* unwatched: the idle timeout still applies */
			return;
		}
		w->phase = HTTP_PHASE_HEADERS;
		w->since_ms = mnemo_clock_ms();
		pthread_mutex_lock(&d->lock);
		w->next = d->head;
		if (d->head != NULL) {
			d->head->prev = w;
		}
		d->head = w;
		pthread_mutex_unlock(&d->lock);
		*socket_context = w;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && w != NULL) {
		pthread_mutex_lock(&d->lock);
		if (w->prev != NULL) {
			w->prev->next = w->next;
		} else {
			d->head = w->next;
		}
		if (w->next != NULL) {
			w->next->prev = w->prev;
		}
		pthread_mutex_unlock(&d->lock);
		close(w->fd);
		free(w);
		*socket_context = NULL;
	}
}

void
http_deadlines_phase(struct http_deadlines *d, struct MHD_Connection *conn, enum http_phase phase)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct watched *w = info != NULL ? info->socket_context : NULL;

	if (w == NULL) {
		return;
	}
	pthread_mutex_lock(&d->lock);
	if (w->phase != HTTP_PHASE_CLOSING) {
		w->phase = phase;
		w->since_ms = mnemo_clock_ms();
	}
	pthread_mutex_unlock(&d->lock);
}
