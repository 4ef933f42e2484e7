/* mnemo's configuration: every service's settings in one INI file (deploy/mnemo.conf lists
 * them all), then command-line flags over it. */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "aligner.h"
#include "demo.h"
#include "gateway.h"
#include "segmenter.h"
#include "store.h"

struct mnemo_config {
	struct gateway_config gateway;
	struct store_config store;
	struct segmenter_config segmenter;
	struct aligner_config aligner;
	struct demo_config demo;
	char log_level[16]; /* [log] level, default info: err, warn, notice, info, debug */
};

void mnemo_config_init(struct mnemo_config *cfg);
/* Loads an INI file over cfg; err names the file, line and key at fault. */
int mnemo_config_load(struct mnemo_config *cfg, const char *path, char *err, size_t err_size);
/* Sets "section.key" to value (the --set flag). */
int mnemo_config_set(struct mnemo_config *cfg, const char *dotted, const char *value, char *err,
		     size_t err_size);
/* Points every URL between mnemo's processes at ipc:// sockets in dir. */
int mnemo_config_run_dir(struct mnemo_config *cfg, const char *dir, char *err, size_t err_size);
/* Points every URL between mnemo's services at inproc:// (one process). */
void mnemo_config_inproc(struct mnemo_config *cfg);
/* Writes every key with its current value and help, as an INI file. */
void mnemo_config_write(const struct mnemo_config *cfg, FILE *out);
