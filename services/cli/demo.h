/* The demo memory: a new memory of `mnemo serve` filled from the gettext catalogues
 * installed on the machine, so that lookups find real units from the first minute. */
#pragma once

#include "gateway.h"

struct demo_config {
	/* [demo] catalogues: a glob of .mo files, each in a .../LANG/LC_MESSAGES/ directory;
	 * empty (the default): no demo. deploy/start takes every catalogue under
	 * /usr/share/locale. */
	char catalogues[512];
	/* [demo] languages: the catalogues' languages to take (primary subtags), blank-separated */
	char languages[128];
};

void demo_config_init(struct demo_config *cfg);

struct demo;

/* When the memory has never been written to (last seq 0) and catalogues is set, imports
 * every matching catalogue (msgid as English, msgstr in the directory's language) in a
 * thread of its own, one import per file, and logs what it did; else does nothing.
 * Returns 0 or -ENOMEM; *ret is NULL when there is nothing to do. */
int demo_start(struct gateway *gw, const struct demo_config *cfg, struct demo **ret);
/* Stops between two files (the one being read is aborted: nothing half-imported) and frees.
 * Accepts NULL. */
void demo_stop(struct demo *d);
