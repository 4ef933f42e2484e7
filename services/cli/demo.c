/* The demo memory: gettext catalogues imported through the gateway's import, as a user's
 * `mnemo import` of each .mo file would be. */
#include "demo.h"

#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"

enum { READ_CHUNK = 256 * 1024, LANG_MAX = 64 };

struct demo {
	struct gateway *gw;
	struct demo_config cfg;
	pthread_t thread;
	atomic_int stop;
};

void
demo_config_init(struct demo_config *cfg)
{
	cfg->catalogues[0] = '\0';
	snprintf(cfg->languages, sizeof(cfg->languages), "fr de");
}

/* The last seq of the store; -1 when it cannot be asked. */
static int64_t
memory_last_seq(struct gateway *gw)
{
	struct gateway_http_request req = {.method = "GET", .path = "/v1/updates"};
	const char *query[] = {"since", "0", "max", "1"};
	struct gateway_http_reply reply;
	int64_t last = -1;
	json_t *doc;

	req.query = query;
	req.n_query = 2;
	gateway_http_handle(gw, &req, &reply);
	doc = reply.status == 200 ? json_loadb(reply.body, reply.body_len, 0, NULL) : NULL;
	if (doc != NULL) {
		last = json_integer_value(json_object_get(doc, "last_seq"));
		json_decref(doc);
	}
	free(reply.body);
	return last;
}

/* The language of .../LANG/LC_MESSAGES/NAME.mo ("pt_BR", "sr@latin"), or -1 when the path
 * is not laid out so. */
static int
catalogue_lang(const char *path, char lang[LANG_MAX])
{
	const char *end = strstr(path, "/LC_MESSAGES/"), *start;

	if (end == NULL || end == path) {
		return -1;
	}
	for (start = end; start > path && start[-1] != '/'; start--) {
	}
	if (end - start == 0 || end - start >= LANG_MAX) {
		return -1;
	}
	memcpy(lang, start, (size_t)(end - start));
	lang[end - start] = '\0';
	return 0;
}

/* Whether lang's primary subtag ("pt" of "pt_BR") is one of the blank-separated list. */
static int
lang_wanted(const char *list, const char *lang)
{
	size_t n = strcspn(lang, "_-@.");

	for (const char *p = list; *p != '\0';) {
		size_t k;

		p += strspn(p, " \t,");
		k = strcspn(p, " \t,");
		if (k == n && strncmp(p, lang, n) == 0) {
			return 1;
		}
		p += k;
	}
	return 0;
}

/* One catalogue as one import. Returns the units it added, or -1 (logged). */
static int64_t
import_catalogue(struct demo *d, const char *path, const char *lang, char *buf)
{
	struct gateway_import_options opt = {
		.format = GATEWAY_IMPORT_GETTEXT,
		.source = "en",
		.target = lang,
		.name = path,
	};
	struct gateway_http_reply reply;
	struct gateway_import *imp;
	FILE *f = fopen(path, "rb");
	int64_t added = -1;
	size_t n;
	int r = 0;

	if (f == NULL) {
		mnemo_log_warn("demo", "%s: %s", path, strerror(errno));
		return -1;
	}
	if (gateway_import_begin(d->gw, &opt, &imp) < 0) {
		fclose(f);
		return -1;
	}
	while (r == 0 && (n = fread(buf, 1, READ_CHUNK, f)) > 0) {
		r = gateway_import_feed(imp, buf, n);
		if (atomic_load(&d->stop)) {
			break;
		}
	}
	if (atomic_load(&d->stop) || ferror(f)) {
		gateway_import_abort(imp);
		fclose(f);
		return -1;
	}
	fclose(f);
	gateway_import_end(imp, &reply);
	if (reply.status == 200) {
		json_t *doc = json_loadb(reply.body, reply.body_len, 0, NULL);

		added = json_integer_value(json_object_get(doc, "added"));
		json_decref(doc);
	} else {
		mnemo_log_warn("demo", "%s left out: %.*s", path, (int)reply.body_len, reply.body);
	}
	free(reply.body);
	return added;
}

static void *
demo_run(void *arg)
{
	struct demo *d = arg;
	uint64_t t0 = mnemo_clock_ms(), units = 0, files = 0;
	char *buf = malloc(READ_CHUNK);
	glob_t g;
	int r;

	r = glob(d->cfg.catalogues, 0, NULL, &g);
	if (r != 0 || buf == NULL) {
		mnemo_log_warn("demo", "no catalogues match %s: the memory starts empty",
			       d->cfg.catalogues);
		if (r == 0) {
			globfree(&g);
		}
		free(buf);
		return NULL;
	}
	mnemo_log_notice("demo", "a new memory: importing the %s catalogues of %s", d->cfg.languages,
			 d->cfg.catalogues);
	for (size_t i = 0; i < g.gl_pathc && !atomic_load(&d->stop); i++) {
		char lang[LANG_MAX];
		int64_t added;

		if (catalogue_lang(g.gl_pathv[i], lang) < 0 || !lang_wanted(d->cfg.languages, lang)) {
			continue;
		}
		added = import_catalogue(d, g.gl_pathv[i], lang, buf);
		if (added >= 0) {
			units += (uint64_t)added;
			files++;
		}
	}
	mnemo_log_notice("demo", "demo memory: %" PRIu64 " units from %" PRIu64
				 " catalogues in %.1f s",
			 units, files, (double)(mnemo_clock_ms() - t0) / 1000.0);
	globfree(&g);
	free(buf);
	return NULL;
}

int
demo_start(struct gateway *gw, const struct demo_config *cfg, struct demo **ret)
{
	struct demo *d;
	int64_t last;

	*ret = NULL;
	if (cfg->catalogues[0] == '\0') {
		return 0;
	}
	last = memory_last_seq(gw);
	if (last != 0) {
		if (last < 0) {
			mnemo_log_warn("demo", "cannot tell whether the memory is new: no demo");
		}
		return 0; /* a memory that has ever been written to is the user's */
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		return -ENOMEM;
	}
	d->gw = gw;
	d->cfg = *cfg;
	if (pthread_create(&d->thread, NULL, demo_run, d) != 0) {
		free(d);
		return -ENOMEM;
	}
	*ret = d;
	return 0;
}

void
demo_stop(struct demo *d)
{
	if (d == NULL) {
		return;
	}
	atomic_store(&d->stop, 1);
	pthread_join(d->thread, NULL);
	free(d);
}
