/* mnemo serve: run every service in one process, or one service per process. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"

static const char usage[] =
	"Usage: mnemo serve [all|gateway|segmenter|aligner|store] [options]\n"
	"\n"
	"Runs mnemo's services. 'all' (the default) runs every service in this process over\n"
	"inproc:// with one SQLite file; the others run one service per process, talking over\n"
	"ipc:// or tcp://. The gateway and the store listen; segmenters and aligners dial, and\n"
	"every worker that dials in takes a share of the requests.\n"
	"\n"
	"Options (each means the same for every service, so one set can be given to all):\n"
	"  --http HOST:PORT     the HTTP/JSON API (default 127.0.0.1:8700)\n"
	"  --nng URL            the nng request socket (default tcp://127.0.0.1:8701)\n"
	"  --pub URL            the change feed for clients (default tcp://127.0.0.1:8702)\n"
	"  --store URL          the store's request socket (default tcp://127.0.0.1:8705);\n"
	"                       --listen URL is the same, for the store\n"
	"  --store-pub URL      the store's change feed (default tcp://127.0.0.1:8706)\n"
	"  --segmenters URL     where segmenters dial the gateway (default tcp://127.0.0.1:8703)\n"
	"  --aligners URL       where aligners dial the gateway (default tcp://127.0.0.1:8704)\n"
	"  --dial URL           segmenter, aligner: the gateway URL to dial, if not the above\n"
	"  --run-dir DIR        every URL between mnemo's processes as ipc:// in DIR\n"
	"  --threads N          requests the service handles at once\n"
	"\n"
	"Examples:\n"
	"  mnemo serve                                  # everything, ./var/mnemo.db\n"
	"  mnemo serve store --run-dir /run/mnemo --db /var/lib/mnemo/mnemo.db\n"
	"  mnemo serve gateway --run-dir /run/mnemo\n"
	"  mnemo serve segmenter --run-dir /run/mnemo   # start as many as you like\n"
	"  mnemo serve aligner --run-dir /run/mnemo\n"
	"\n";

enum { OPT_HTTP = OPT_FIRST_OWN, OPT_NNG, OPT_PUB, OPT_LISTEN, OPT_DIAL, OPT_SEGMENTERS,
       OPT_ALIGNERS, OPT_STORE, OPT_STORE_PUB, OPT_RUN_DIR, OPT_THREADS };

enum service { SVC_ALL, SVC_GATEWAY, SVC_SEGMENTER, SVC_ALIGNER, SVC_STORE };

static const char *const service_names[] = {"all", "gateway", "segmenter", "aligner", "store"};

/* Flags name config keys. A flag means the same in every service, so one command line
 * (mnemo supervise passes its own to every process) configures all of them. */
static const char *
key_for(int opt, enum service svc)
{
	switch (opt) {
	case OPT_HTTP:
		return "gateway.http";
	case OPT_NNG:
		return "gateway.nng";
	case OPT_PUB:
		return "gateway.pub";
	case OPT_DIAL:
		return svc == SVC_ALIGNER ? "aligner.dial" : "segmenter.dial";
	case OPT_SEGMENTERS:
		return svc == SVC_SEGMENTER ? "segmenter.dial" : "gateway.segmenters";
	case OPT_ALIGNERS:
		return svc == SVC_ALIGNER ? "aligner.dial" : "gateway.aligners";
	case OPT_THREADS:
		switch (svc) {
		case SVC_STORE:
			return "store.threads";
		case SVC_SEGMENTER:
			return "segmenter.threads";
		case SVC_ALIGNER:
			return "aligner.threads";
		default:
			return "gateway.threads";
		}
	default:
		return NULL;
	}
}

/* --store and --store-pub name the store's two sockets: where the store listens and
 * publishes, and where the gateway and the aligners find it. */
static int
set_store_url(struct mnemo_config *cfg, int opt, const char *url, char *err, size_t err_size)
{
	static const char *const request_keys[] = {"store.listen", "gateway.store", "aligner.store"};
	static const char *const pub_keys[] = {"store.pub", "gateway.store_pub", "aligner.store_pub"};
	const char *const *keys = opt == OPT_STORE_PUB ? pub_keys : request_keys;

	for (int i = 0; i < 3; i++) {
		if (mnemo_config_set(cfg, keys[i], url, err, err_size) < 0) {
			return -1;
		}
	}
	return 0;
}

static void
print_banner(const struct mnemo_config *cfg)
{
	printf("mnemo is serving %s\n", cfg->store.db_path);
	if (cfg->gateway.http_addr[0] != '\0') {
		printf("  HTTP/JSON API  http://%s\n", cfg->gateway.http_addr);
	}
	if (cfg->gateway.nng_url[0] != '\0') {
		printf("  nng requests   %s   (protobuf, proto/mnemo.proto)\n", cfg->gateway.nng_url);
	}
	if (cfg->gateway.pub_url[0] != '\0') {
		printf("  updates        %s   (nng pub/sub)\n", cfg->gateway.pub_url);
	}
	if (cfg->gateway.http_addr[0] != '\0') {
		printf("Try:\n  curl -s http://%s/v1/segment -H 'Content-Type: application/json' "
		       "-d '{\"text\":\"Bonjour M. Dupont. Ça va ?\"}'\n",
		       cfg->gateway.http_addr);
	}
	printf("Stop with Ctrl-C.\n");
	fflush(stdout);
}

static int
run(struct cli *cli, enum service svc)
{
	struct mnemo_config *cfg = &cli->cfg;
	struct embedded emb = {0};
	struct demo *demo = NULL;
	sigset_t stop;
	int sig = 0, r = 0;

	/* Every thread started below inherits this mask; only sigwait sees the signals. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	switch (svc) {
	case SVC_ALL:
		if (cli_prepare_db(cli) < 0) {
			return cli_fail("%s", cli->err);
		}
		embedded_config_inproc(cfg, EMBED_ALL, 1);
		r = embedded_start(cfg, EMBED_ALL, &emb, cli->err, sizeof(cli->err));
		if (r == 0) {
			print_banner(cfg);
			r = demo_start(emb.gateway, &cfg->demo, &demo);
			if (r < 0) {
				snprintf(cli->err, sizeof(cli->err), "demo memory: %s", strerror(-r));
			}
		}
		break;
	case SVC_STORE:
		if (cli_prepare_db(cli) < 0) {
			return cli_fail("%s", cli->err);
		}
		r = embedded_start(cfg, EMBED_STORE, &emb, cli->err, sizeof(cli->err));
		break;
	case SVC_GATEWAY:
		r = embedded_start(cfg, EMBED_GATEWAY, &emb, cli->err, sizeof(cli->err));
		break;
	case SVC_SEGMENTER:
		r = embedded_start(cfg, EMBED_SEGMENTER, &emb, cli->err, sizeof(cli->err));
		break;
	case SVC_ALIGNER:
		r = embedded_start(cfg, EMBED_ALIGNER, &emb, cli->err, sizeof(cli->err));
		break;
	}
	if (r < 0) {
		return cli_fail("%s", cli->err);
	}
	if (svc == SVC_GATEWAY) {
		mnemo_log_info("gateway", "HTTP on %s, nng on %s, updates on %s",
			       cfg->gateway.http_addr, cfg->gateway.nng_url, cfg->gateway.pub_url);
	}
	sigwait(&stop, &sig);
	mnemo_log_info(service_names[svc], "signal %d: stopping", sig);
	demo_stop(demo);
	embedded_stop(&emb);
	return 0;
}

int
cmd_serve(int argc, char **argv)
{
	static const struct option options[] = {
		CLI_COMMON_OPTIONS,
		{"http", required_argument, NULL, OPT_HTTP},
		{"nng", required_argument, NULL, OPT_NNG},
		{"pub", required_argument, NULL, OPT_PUB},
		{"listen", required_argument, NULL, OPT_LISTEN},
		{"dial", required_argument, NULL, OPT_DIAL},
		{"segmenters", required_argument, NULL, OPT_SEGMENTERS},
		{"aligners", required_argument, NULL, OPT_ALIGNERS},
		{"store", required_argument, NULL, OPT_STORE},
		{"store-pub", required_argument, NULL, OPT_STORE_PUB},
		{"run-dir", required_argument, NULL, OPT_RUN_DIR},
		{"threads", required_argument, NULL, OPT_THREADS},
		{NULL, 0, NULL, 0},
	};
	struct {
		int opt;
		const char *value;
	} sets[32];
	size_t n_sets = 0;
	enum service svc = SVC_ALL;
	const char *run_dir = NULL;
	struct cli cli;
	int opt;

	if (cli_init(&cli, argc, argv, "info") < 0) {
		return cli_fail("%s", cli.err);
	}
	/* The service name may come first or after the options. */
	for (int i = 1; i < argc; i++) {
		for (int k = 0; k < 5; k++) {
			if (strcmp(argv[i], service_names[k]) == 0) {
				svc = (enum service)k;
			}
		}
	}
	while ((opt = cli_getopt(&cli, argc, argv, options, usage)) != -1) {
		if (opt == OPT_RUN_DIR) {
			run_dir = optarg;
		} else if (opt >= OPT_HTTP && opt <= OPT_THREADS && n_sets < 32) {
			sets[n_sets].opt = opt;
			sets[n_sets++].value = optarg;
		} else {
			fputs(usage, stderr);
			return 2;
		}
	}
	for (int i = optind; i < argc; i++) {
		int known = 0;

		for (int k = 0; k < 5; k++) {
			known |= strcmp(argv[i], service_names[k]) == 0;
		}
		if (!known) {
			return cli_fail("serve: unknown service '%s' (all, gateway, segmenter, "
					"aligner or store)",
					argv[i]);
		}
	}
	/* --run-dir first, so an explicit URL flag overrides it. */
	if (run_dir != NULL && mnemo_config_run_dir(&cli.cfg, run_dir, cli.err, sizeof(cli.err)) < 0) {
		return cli_fail("%s", cli.err);
	}
	for (size_t i = 0; i < n_sets; i++) {
		int opt_i = sets[i].opt;
		int r = opt_i == OPT_STORE || opt_i == OPT_STORE_PUB || opt_i == OPT_LISTEN
				? set_store_url(&cli.cfg, opt_i == OPT_LISTEN ? OPT_STORE : opt_i,
						sets[i].value, cli.err, sizeof(cli.err))
				: mnemo_config_set(&cli.cfg, key_for(opt_i, svc), sets[i].value,
						   cli.err, sizeof(cli.err));

		if (r < 0) {
			return cli_fail("%s", cli.err);
		}
	}
	if (cli_finish(&cli) < 0) {
		return cli_fail("%s", cli.err);
	}
	return run(&cli, svc);
}
