/* mnemo: the one binary. Services (serve, supervise) and the client commands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"mnemo " MNEMO_VERSION " - translation memory and alignment service\n"
	"\n"
	"Usage: mnemo COMMAND [options]\n"
	"\n"
	"Commands:\n"
	"  serve [SERVICE]   run the services: all in one process (default), or one of\n"
	"                    gateway, segmenter, aligner, store\n"
	"  supervise         run every service as its own process and restart any that dies\n"
	"  segment           split text into sentences\n"
	"  lookup            look sentences up in the translation memory\n"
	"  concordance       find the stored texts that use some words\n"
	"  align             pair the sentences of a document and its translation\n"
	"  job               align many documents as one batch job, followed to its end\n"
	"  unit              add, get, update or delete a translation unit\n"
	"  watch             print changes to the memory as they happen\n"
	"  import            add TMX and gettext (.po, .mo) files to the memory\n"
	"  export            write the memory as TMX, to a file or standard output\n"
	"  config            print every setting with its current value\n"
	"\n"
	"Client commands work in local mode on a database file (--db, default\n"
	"var/mnemo.db) or in remote mode on a running mnemo (--url http://HOST:PORT, or\n"
	"$MNEMO_URL). 'mnemo COMMAND --help' tells more.\n";

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{"serve", cmd_serve},   {"supervise", cmd_supervise}, {"segment", cmd_segment},
	{"lookup", cmd_lookup}, {"unit", cmd_unit},           {"watch", cmd_watch},
	{"config", cmd_config}, {"export", cmd_export}, {"concordance", cmd_concordance},
	{"import", cmd_import}, {"align", cmd_align}, {"job", cmd_job},
};

int
main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		puts("mnemo " MNEMO_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			return commands[i].run(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "mnemo: unknown command '%s'\n\n%s", argv[1], usage);
	return 2;
}

static const char config_usage[] =
	"Usage: mnemo config [--config FILE] [--set SECTION.KEY=VALUE]...\n"
	"\n"
	"Prints every setting, with its current value, as a settings file: the defaults, then\n"
	"FILE, then --set. deploy/mnemo.conf is this output with the defaults.\n"
	"\n";

int
cmd_config(int argc, char **argv)
{
	struct cli cli;
	int opt;
	static const struct option options[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};

	if (cli_init(&cli, argc, argv, "info") < 0) {
		return cli_fail("%s", cli.err);
	}
	while ((opt = cli_getopt(&cli, argc, argv, options, config_usage)) != -1) {
		fputs(config_usage, stderr);
		return 2;
	}
	if (optind != argc) {
		fputs(config_usage, stderr);
		return 2;
	}
	mnemo_config_write(&cli.cfg, stdout);
	return 0;
}
