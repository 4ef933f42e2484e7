/* Every service in one process, over inproc:// (the embedded default, and local mode). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"

void
embedded_config_inproc(struct mnemo_config *cfg, unsigned which, int with_clients)
{
	mnemo_config_inproc(cfg);
	if (!with_clients) {
		cfg->gateway.http_addr[0] = '\0';
		cfg->gateway.nng_url[0] = '\0';
		cfg->gateway.pub_url[0] = '\0';
	}
	/* A command's short life is no place for job runners, unless it runs a job: a lease
	 * it took would hold a document until the lease ran out. */
	if (!with_clients && !(which & EMBED_JOBS)) {
		cfg->gateway.job_runners = 0;
	}
	/* A service not started here is not waited for: requests for it fail at once. */
	if (!(which & EMBED_STORE)) {
		cfg->gateway.store_url[0] = '\0';
	}
	if (!(which & EMBED_SEGMENTER)) {
		cfg->gateway.segmenters_url[0] = '\0';
	}
	if (!(which & EMBED_ALIGNER)) {
		cfg->gateway.aligners_url[0] = '\0';
	}
}

int
embedded_start(struct mnemo_config *cfg, unsigned which, struct embedded *emb, char *err,
	       size_t err_size)
{
	int r = 0;

	memset(emb, 0, sizeof(*emb));
	/* Listeners first (store, gateway), then the workers that dial them. */
	if (which & EMBED_STORE) {
		r = store_start(&cfg->store, &emb->store, err, err_size);
		if (r < 0) {
			goto fail;
		}
	}
	if (which & EMBED_GATEWAY) {
		r = gateway_start(&cfg->gateway, &emb->gateway, err, err_size);
		if (r < 0) {
			goto fail;
		}
	}
	if (which & EMBED_SEGMENTER) {
		r = segmenter_start(&cfg->segmenter, &emb->segmenter, err, err_size);
		if (r < 0) {
			goto fail;
		}
	}
	if (which & EMBED_ALIGNER) {
		r = aligner_start(&cfg->aligner, &emb->aligner);
		if (r < 0) {
			snprintf(err, err_size, "aligner: dialling %s: %s", cfg->aligner.dial_url,
				 mnemo_strerror(r));
			goto fail;
		}
	}
	return 0;
fail:
	embedded_stop(emb);
	return r;
}

void
embedded_stop(struct embedded *emb)
{
	/* Front door first, so no request arrives at a stopped worker. */
	gateway_stop(emb->gateway);
	aligner_stop(emb->aligner);
	segmenter_stop(emb->segmenter);
	store_stop(emb->store);
	memset(emb, 0, sizeof(*emb));
}
