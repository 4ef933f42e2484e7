#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cfg.h"

#define STR(sec, name, field, help) \
	{sec, name, MNEMO_CFG_STRING, cfg->field, sizeof(cfg->field), 0, 0, help}
#define U32(sec, name, field, lo, hi, help) \
	{sec, name, MNEMO_CFG_U32, &cfg->field, 0, lo, hi, help}
#define BYTES(sec, name, field, lo, hi, help) \
	{sec, name, MNEMO_CFG_BYTES, &cfg->field, 0, lo, hi, help}
#define BOOL(sec, name, field, help) {sec, name, MNEMO_CFG_BOOL, &cfg->field, 0, 0, 1, help}

enum { KiB = 1024, MiB = 1024 * 1024, GiB = 1024 * 1024 * 1024 };

/* Every key of every section, once. */
static size_t
keys(struct mnemo_config *cfg, struct mnemo_cfg_key *out)
{
	const struct mnemo_cfg_key table[] = {
		STR("gateway", "http", gateway.http_addr,
		    "HOST:PORT of the HTTP/JSON API; empty: no HTTP"),
		STR("gateway", "nng", gateway.nng_url,
		    "URL of the nng request socket (protobuf); empty: none"),
		STR("gateway", "pub", gateway.pub_url,
		    "URL where the change feed is published; empty: none"),
		STR("gateway", "segmenters", gateway.segmenters_url,
		    "URL segmenter workers dial"),
		STR("gateway", "aligners", gateway.aligners_url, "URL aligner workers dial"),
		STR("gateway", "store", gateway.store_url, "the store's request URL"),
		STR("gateway", "store_pub", gateway.store_pub_url, "the store's change feed URL"),
		U32("gateway", "timeout_ms", gateway.timeout_ms, 100, 3600000,
		    "deadline of every request, in milliseconds"),
		U32("gateway", "resend_ms", gateway.resend_ms, 100, 3600000,
		    "resend a request a worker has not answered after this many milliseconds"),
		U32("gateway", "threads", gateway.threads, 1, 256,
		    "nng client requests served at once"),
		U32("gateway", "max_connections", gateway.max_connections, 1, 65536,
		    "open HTTP connections at most; more are refused"),
		U32("gateway", "idle_timeout_s", gateway.idle_timeout_s, 1, 3600,
		    "close an HTTP connection idle this many seconds"),
		U32("gateway", "header_timeout_s", gateway.header_timeout_s, 1, 3600,
		    "a request's headers must arrive within this many seconds (also how long an "
		    "idle keep-alive connection stays open)"),
		U32("gateway", "body_timeout_s", gateway.body_timeout_s, 1, 3600,
		    "a request's body must arrive within this many seconds"),
		U32("gateway", "heartbeat_ms", gateway.heartbeat_ms, 10, 60000,
		    "heartbeat period on the change feed, in milliseconds"),
		U32("gateway", "pub_queue", gateway.pub_queue, 1, 1000000,
		    "changes queued per subscriber before it starts missing them"),
		BYTES("gateway", "max_body_bytes", gateway.max_body_bytes, KiB, GiB,
		      "largest HTTP request body"),
		BYTES("gateway", "max_message_bytes", gateway.max_message_bytes, KiB, GiB,
		      "largest nng client message"),
		BYTES("gateway", "backend_max_message_bytes", gateway.backend_max_message_bytes,
		      KiB, 4ull * GiB, "largest message between mnemo's processes"),
		BYTES("gateway", "max_import_bytes", gateway.max_import_bytes, 0, 1ull << 50,
		      "largest file one import takes (POST /v1/tmx, /v1/gettext); 0: no limit "
		      "(the gateway's memory does not grow with it, the store's disk does)"),
		U32("gateway", "import_timeout_ms", gateway.import_timeout_ms, 1000, 24u * 3600000,
		    "deadline of an import's requests to the store (its commit of millions of "
		    "units takes minutes), in milliseconds"),
		U32("gateway", "job_runners", gateway.job_runners, 0, 256,
		    "documents of batch jobs aligned at once (0: this gateway runs no jobs)"),
		U32("gateway", "job_lease_ms", gateway.job_lease_ms, 1000, 24u * 3600000,
		    "a job runner's hold on a document: past it, the document is offered again"),
		U32("gateway", "fetch_timeout_ms", gateway.fetch_timeout_ms, 100, 3600000,
		    "fetching a document by URL, in milliseconds"),
		BYTES("gateway", "max_fetch_bytes", gateway.max_fetch_bytes, KiB, 4ull * GiB,
		      "largest document fetched by URL"),

		STR("store", "listen", store.listen_url, "URL of the store's request socket"),
		STR("store", "pub", store.pub_url, "URL where the store publishes changes"),
		STR("store", "db", store.db_path, "the SQLite database file"),
		BOOL("store", "synchronous_full", store.synchronous_full,
		     "true: commits survive power loss; false: only process crashes"),
		U32("store", "threads", store.threads, 1, 256, "requests served at once"),
		U32("store", "batch_max", store.batch_max, 1, 100000,
		    "writes grouped into one commit at most"),
		U32("store", "heartbeat_ms", store.heartbeat_ms, 10, 60000,
		    "heartbeat period on the change feed, in milliseconds"),
		U32("store", "max_text_bytes", store.max_text_bytes, 16, 1u << 30,
		    "largest text of one variant, in bytes"),
		BYTES("store", "max_message_bytes", store.max_message_bytes, KiB, 4ull * GiB,
		      "largest message"),
		U32("store", "import_ttl_s", store.import_ttl_s, 60, 365u * 86400,
		    "imports left this many seconds without a request are dropped"),

		STR("segmenter", "dial", segmenter.dial_url, "the gateway's segmenters URL"),
		U32("segmenter", "threads", segmenter.threads, 1, 256, "requests served at once"),
		STR("segmenter", "srx", segmenter.srx_path,
		    "an SRX 2.0 file whose rules override and extend the built-in ones; empty: none"),
		BYTES("segmenter", "max_message_bytes", segmenter.max_message_bytes, KiB,
		      4ull * GiB, "largest message"),
		U32("segmenter", "delay_ms", segmenter.delay_ms, 0, 600000,
		    "hold every request this long (fault-injection tests only)"),

		STR("aligner", "dial", aligner.dial_url, "the gateway's aligners URL"),
		STR("aligner", "store", aligner.store_url, "the store's request URL"),
		STR("aligner", "store_pub", aligner.store_pub_url, "the store's change feed URL"),
		U32("aligner", "threads", aligner.threads, 1, 256, "requests served at once"),
		U32("aligner", "timeout_ms", aligner.timeout_ms, 100, 3600000,
		    "deadline of calls to the store, in milliseconds"),
		BYTES("aligner", "max_message_bytes", aligner.max_message_bytes, KiB, 4ull * GiB,
		      "largest message"),
		STR("aligner", "dictionaries", aligner.dictionaries,
		    "FreeDict's directory, for bitext alignment (\"\" = no dictionaries)"),

		STR("demo", "catalogues", demo.catalogues,
		    "mnemo serve: a new memory starts with the gettext catalogues (.mo) this glob "
		    "matches (LANG/LC_MESSAGES/NAME.mo); empty: it starts empty"),
		STR("demo", "languages", demo.languages,
		    "the catalogues' languages the demo takes, blank-separated"),

		STR("log", "level", log_level, "err, warn, notice, info or debug"),
	};
	size_t n = sizeof(table) / sizeof(table[0]);

	if (out != NULL) {
		memcpy(out, table, sizeof(table));
	}
	return n;
}

enum { MAX_KEYS = 64 };

void
mnemo_config_init(struct mnemo_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	gateway_config_init(&cfg->gateway);
	store_config_init(&cfg->store);
	segmenter_config_init(&cfg->segmenter);
	aligner_config_init(&cfg->aligner);
	demo_config_init(&cfg->demo);
	snprintf(cfg->log_level, sizeof(cfg->log_level), "info");
}

int
mnemo_config_load(struct mnemo_config *cfg, const char *path, char *err, size_t err_size)
{
	struct mnemo_cfg_key table[MAX_KEYS];
	size_t n = keys(cfg, table);

	return mnemo_cfg_load(table, n, path, err, err_size);
}

int
mnemo_config_set(struct mnemo_config *cfg, const char *dotted, const char *value, char *err,
		 size_t err_size)
{
	struct mnemo_cfg_key table[MAX_KEYS];
	size_t n = keys(cfg, table);
	const char *dot = strchr(dotted, '.');
	char section[32];

	if (dot == NULL || (size_t)(dot - dotted) >= sizeof(section)) {
		snprintf(err, err_size, "'%s' is not section.key (e.g. store.db)", dotted);
		return -EINVAL;
	}
	memcpy(section, dotted, (size_t)(dot - dotted));
	section[dot - dotted] = '\0';
	return mnemo_cfg_set(table, n, section, dot + 1, value, err, err_size);
}

static int
set_url(char *dst, size_t size, const char *scheme, const char *dir, const char *name)
{
	int n = snprintf(dst, size, "%s%s/%s", scheme, dir, name);

	return n > 0 && (size_t)n < size ? 0 : -ENAMETOOLONG;
}

int
mnemo_config_run_dir(struct mnemo_config *cfg, const char *dir, char *err, size_t err_size)
{
	static const char ipc[] = "ipc://";
	int r = 0;

	r |= set_url(cfg->gateway.segmenters_url, GATEWAY_URL_MAX, ipc, dir, "segmenters.ipc");
	r |= set_url(cfg->gateway.aligners_url, GATEWAY_URL_MAX, ipc, dir, "aligners.ipc");
	r |= set_url(cfg->gateway.store_url, GATEWAY_URL_MAX, ipc, dir, "store.ipc");
	r |= set_url(cfg->gateway.store_pub_url, GATEWAY_URL_MAX, ipc, dir, "store-pub.ipc");
	r |= set_url(cfg->store.listen_url, STORE_URL_MAX, ipc, dir, "store.ipc");
	r |= set_url(cfg->store.pub_url, STORE_URL_MAX, ipc, dir, "store-pub.ipc");
	r |= set_url(cfg->segmenter.dial_url, SEGMENTER_URL_MAX, ipc, dir, "segmenters.ipc");
	r |= set_url(cfg->aligner.dial_url, ALIGNER_URL_MAX, ipc, dir, "aligners.ipc");
	r |= set_url(cfg->aligner.store_url, ALIGNER_URL_MAX, ipc, dir, "store.ipc");
	r |= set_url(cfg->aligner.store_pub_url, ALIGNER_URL_MAX, ipc, dir, "store-pub.ipc");
	if (r != 0) {
		snprintf(err, err_size, "run directory path too long: %s", dir);
		return -ENAMETOOLONG;
	}
	return 0;
}

void
mnemo_config_inproc(struct mnemo_config *cfg)
{
	static const char segmenters[] = "inproc://mnemo-segmenters",
			  aligners[] = "inproc://mnemo-aligners", store[] = "inproc://mnemo-store",
			  store_pub[] = "inproc://mnemo-store-pub";

	snprintf(cfg->gateway.segmenters_url, GATEWAY_URL_MAX, "%s", segmenters);
	snprintf(cfg->gateway.aligners_url, GATEWAY_URL_MAX, "%s", aligners);
	snprintf(cfg->gateway.store_url, GATEWAY_URL_MAX, "%s", store);
	snprintf(cfg->gateway.store_pub_url, GATEWAY_URL_MAX, "%s", store_pub);
	snprintf(cfg->store.listen_url, STORE_URL_MAX, "%s", store);
	snprintf(cfg->store.pub_url, STORE_URL_MAX, "%s", store_pub);
	snprintf(cfg->segmenter.dial_url, SEGMENTER_URL_MAX, "%s", segmenters);
	snprintf(cfg->aligner.dial_url, ALIGNER_URL_MAX, "%s", aligners);
	snprintf(cfg->aligner.store_url, ALIGNER_URL_MAX, "%s", store);
	snprintf(cfg->aligner.store_pub_url, ALIGNER_URL_MAX, "%s", store_pub);
}

void
mnemo_config_write(const struct mnemo_config *cfg, FILE *out)
{
	struct mnemo_cfg_key table[MAX_KEYS];
	size_t n = keys((struct mnemo_config *)cfg, table);
	const char *section = "";

	for (size_t i = 0; i < n; i++) {
		const struct mnemo_cfg_key *k = &table[i];

		if (strcmp(section, k->section) != 0) {
			section = k->section;
			fprintf(out, "%s[%s]\n", i > 0 ? "\n" : "", section);
		}
		fprintf(out, "# %s\n", k->help);
		switch (k->type) {
		case MNEMO_CFG_STRING:
			fprintf(out, "%s = %s\n", k->name, (const char *)k->value);
			break;
		case MNEMO_CFG_U32:
			fprintf(out, "%s = %" PRIu32 "\n", k->name, *(const uint32_t *)k->value);
			break;
		case MNEMO_CFG_BYTES: {
			uint64_t v = *(const uint64_t *)k->value;

			if (v != 0 && v % MiB == 0) {
				fprintf(out, "%s = %" PRIu64 "M\n", k->name, v / MiB);
			} else if (v != 0 && v % KiB == 0) {
				fprintf(out, "%s = %" PRIu64 "k\n", k->name, v / KiB);
			} else {
				fprintf(out, "%s = %" PRIu64 "\n", k->name, v);
			}
			break;
		}
		case MNEMO_CFG_BOOL:
			fprintf(out, "%s = %s\n", k->name, *(const int *)k->value ? "true" : "false");
			break;
		}
	}
}
