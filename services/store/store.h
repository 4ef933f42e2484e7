/* The store service: the only process that opens the database. It answers unit reads and
 * writes on a REP socket (writes applied once per idempotency key, in group commits, and
 * answered only once durable) and publishes every committed change, numbered, on a PUB
 * socket, with a heartbeat carrying the last seq so subscribers notice what they missed. */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum { STORE_URL_MAX = 512, STORE_PATH_MAX = 1024 };

struct store_config {
	char listen_url[STORE_URL_MAX]; /* [store] listen: requests from the gateway and aligners */
	char pub_url[STORE_URL_MAX];    /* [store] pub: the numbered change feed */
	char db_path[STORE_PATH_MAX];   /* [store] db */
	int synchronous_full;           /* [store] synchronous_full, default true: power-loss safe */
	uint32_t threads;               /* [store] threads, default 4: concurrent requests */
	uint32_t batch_max;             /* [store] batch_max, default 1000: writes per commit */
	uint32_t heartbeat_ms;          /* [store] heartbeat_ms, default 1000 */
	uint32_t max_text_bytes;        /* [store] max_text_bytes, default 1 MiB per variant */
	uint64_t max_message_bytes;     /* [store] max_message_bytes, default 64 MiB */
	uint32_t import_ttl_s;          /* [store] import_ttl_s, default 86400: idle imports */
};

void store_config_init(struct store_config *cfg);

struct store;

/* Opens the database and starts serving. Returns 0, or a negative errno with err saying
 * what failed ("store: opening the database PATH ([store] db): Permission denied"). */
int store_start(const struct store_config *cfg, struct store **ret, char *err,
		size_t err_size);
/* Finishes the requests in progress, publishes nothing more, closes the database. */
void store_stop(struct store *st);
