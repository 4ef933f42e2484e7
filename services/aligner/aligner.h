/* The aligner service: holds the translation memory's fuzzy index in memory and answers
 * lookups. The index is loaded from the store's snapshot at start (so an aligner on another
 * host needs no database file) and kept current from the store's change feed; a lookup
 * carrying min_seq waits until the index holds that change, so a unit added through the
 * gateway is found by the next lookup. It also aligns documents with their translations
 * (bitext.c), with FreeDict's dictionaries where the language pair has them. */
#pragma once

#include <stdint.h>

enum { ALIGNER_URL_MAX = 512 };

struct aligner_config {
	char dial_url[ALIGNER_URL_MAX];      /* [aligner] dial: the gateway's aligners URL */
	char store_url[ALIGNER_URL_MAX];     /* [aligner] store: the store's request URL */
	char store_pub_url[ALIGNER_URL_MAX]; /* [aligner] store_pub: the store's change feed */
	uint32_t threads;                    /* [aligner] threads, default 2 */
	uint32_t timeout_ms;                 /* [aligner] timeout_ms, default 10000: store calls */
	uint64_t max_message_bytes;          /* [aligner] max_message_bytes, default 64 MiB */
	char dictionaries[ALIGNER_URL_MAX];  /* [aligner] dictionaries: FreeDict's directory, "" = none */
};

void aligner_config_init(struct aligner_config *cfg);

struct aligner;

int aligner_start(const struct aligner_config *cfg, struct aligner **ret);
void aligner_stop(struct aligner *al);
