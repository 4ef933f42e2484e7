/* mnemo supervise: every service as its own process over ipc://, each restarted when it
 * dies (with backoff), so a crashed worker costs its in-flight requests a resend to
 * another worker and nothing more. In production, systemd does the same with the units in
 * deploy/systemd. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "log.h"

static const char usage[] =
	"Usage: mnemo supervise [--segmenters N] [--aligners N] [--run-dir DIR] [serve options]\n"
	"\n"
	"Runs the store, the gateway, N segmenters and N aligners as separate processes that\n"
	"talk over ipc:// sockets in DIR (default var/run), restarts any that exits, and\n"
	"writes each one's pid to DIR/<name>.pid. Other options are passed to every\n"
	"'mnemo serve' it starts (see mnemo serve --help). SIGTERM or Ctrl-C stops them all.\n"
	"\n"
	"Example:\n"
	"  mnemo supervise --segmenters 2 --aligners 2 --db var/mnemo.db\n"
	"\n";

enum { OPT_SEGMENTERS = OPT_FIRST_OWN, OPT_ALIGNERS, OPT_RUN_DIR, OPT_PASS, MAX_CHILDREN = 64,
       MAX_ARGS = 64, BACKOFF_MAX_MS = 5000, STABLE_MS = 10000, STOP_GRACE_MS = 10000 };

struct child {
	char name[32];    /* store, gateway, segmenter-0, ... */
	char service[16]; /* the serve argument */
	pid_t pid;        /* 0 while waiting to restart */
	uint64_t started_ms;
	uint64_t restart_at_ms;
	unsigned quick_failures;
};

static void
write_pid(const char *run_dir, const struct child *c)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.pid", run_dir, c->name);
	f = fopen(path, "w");
	if (f != NULL) {
		fprintf(f, "%d\n", (int)c->pid);
		fclose(f);
	}
}

static int
spawn(struct child *c, const char *run_dir, char **pass, int n_pass)
{
	char *args[MAX_ARGS + 8];
	int n = 0;
	pid_t pid;

	args[n++] = "mnemo";
	args[n++] = "serve";
	args[n++] = c->service;
	args[n++] = "--run-dir";
	args[n++] = (char *)run_dir;
	for (int i = 0; i < n_pass && n < MAX_ARGS; i++) {
		args[n++] = pass[i];
	}
	args[n] = NULL;
	pid = fork();
	if (pid < 0) {
		return -errno;
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		prctl(PR_SET_PDEATHSIG, SIGTERM); /* no orphans if the supervisor is killed */
		execv("/proc/self/exe", args);
		_exit(127);
	}
	c->pid = pid;
	c->started_ms = mnemo_clock_ms();
	write_pid(run_dir, c);
	mnemo_log_info("supervise", "%s started, pid %d", c->name, (int)pid);
	return 0;
}

static void
on_exit_status(struct child *c, int status)
{
	uint64_t now = mnemo_clock_ms();
	unsigned backoff;

	if (now - c->started_ms >= STABLE_MS) {
		c->quick_failures = 0;
	}
	backoff = 100u << (c->quick_failures < 6 ? c->quick_failures : 6);
	if (backoff > BACKOFF_MAX_MS) {
		backoff = BACKOFF_MAX_MS;
	}
	c->quick_failures++;
	if (WIFSIGNALED(status)) {
		mnemo_log_warn("supervise", "%s (pid %d) killed by signal %d, restarting in %u ms",
			       c->name, (int)c->pid, WTERMSIG(status), backoff);
	} else {
		mnemo_log_warn("supervise", "%s (pid %d) exited with status %d, restarting in %u ms",
			       c->name, (int)c->pid, WEXITSTATUS(status), backoff);
	}
	c->pid = 0;
	c->restart_at_ms = now + backoff;
}

static void
stop_all(struct child *children, int n)
{
	uint64_t deadline = mnemo_clock_ms() + STOP_GRACE_MS;
	int alive;

	for (int i = 0; i < n; i++) {
		if (children[i].pid > 0) {
			kill(children[i].pid, SIGTERM);
		}
	}
	do {
		alive = 0;
		for (int i = 0; i < n; i++) {
			if (children[i].pid > 0) {
				if (waitpid(children[i].pid, NULL, WNOHANG) == children[i].pid) {
					children[i].pid = 0;
				} else {
					alive++;
				}
			}
		}
		if (alive > 0) {
			usleep(20000);
		}
	} while (alive > 0 && mnemo_clock_ms() < deadline);
	for (int i = 0; i < n; i++) {
		if (children[i].pid > 0) {
			mnemo_log_warn("supervise", "%s did not stop in time, killing it",
				       children[i].name);
			kill(children[i].pid, SIGKILL);
			waitpid(children[i].pid, NULL, 0);
		}
	}
}

static int
supervise(const char *run_dir, unsigned n_segmenters, unsigned n_aligners, char **pass,
	  int n_pass)
{
	struct child children[MAX_CHILDREN];
	struct timespec tick = {0, 100 * 1000000};
	sigset_t set;
	int n = 0;

	memset(children, 0, sizeof(children));
	snprintf(children[n].name, sizeof(children[n].name), "store");
	snprintf(children[n++].service, sizeof(children[0].service), "store");
	snprintf(children[n].name, sizeof(children[n].name), "gateway");
	snprintf(children[n++].service, sizeof(children[0].service), "gateway");
	for (unsigned i = 0; i < n_segmenters; i++, n++) {
		snprintf(children[n].name, sizeof(children[n].name), "segmenter-%u", i);
		snprintf(children[n].service, sizeof(children[n].service), "segmenter");
	}
	for (unsigned i = 0; i < n_aligners; i++, n++) {
		snprintf(children[n].name, sizeof(children[n].name), "aligner-%u", i);
		snprintf(children[n].service, sizeof(children[n].service), "aligner");
	}
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (int i = 0; i < n; i++) {
		if (spawn(&children[i], run_dir, pass, n_pass) < 0) {
			stop_all(children, i);
			return cli_fail("supervise: cannot start %s: %s", children[i].name,
					strerror(errno));
		}
	}
	for (;;) {
		siginfo_t info;
		int sig = sigtimedwait(&set, &info, &tick);
		uint64_t now;

		if (sig == SIGINT || sig == SIGTERM) {
			mnemo_log_info("supervise", "signal %d: stopping every service", sig);
			stop_all(children, n);
			return 0;
		}
		for (;;) {
			int status;
			pid_t pid = waitpid(-1, &status, WNOHANG);

			if (pid <= 0) {
				break;
			}
			for (int i = 0; i < n; i++) {
				if (children[i].pid == pid) {
					on_exit_status(&children[i], status);
				}
			}
		}
		now = mnemo_clock_ms();
		for (int i = 0; i < n; i++) {
			if (children[i].pid == 0 && now >= children[i].restart_at_ms &&
			    spawn(&children[i], run_dir, pass, n_pass) < 0) {
				children[i].restart_at_ms = now + BACKOFF_MAX_MS;
			}
		}
	}
}

static int
parse_count(const char *s, unsigned *ret)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v > 16) {
		return -1;
	}
	*ret = (unsigned)v;
	return 0;
}

int
cmd_supervise(int argc, char **argv)
{
	unsigned n_segmenters = 1, n_aligners = 1;
	const char *run_dir = "var/run";
	char *pass[MAX_ARGS];
	int n_pass = 0;
	struct cli cli;

	if (cli_init(&cli, argc, argv, "info") < 0) {
		return cli_fail("%s", cli.err);
	}
	/* Our own options are taken out; everything else goes to 'mnemo serve'. */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			fputs(cli_usage_common, stdout);
			return 0;
		}
		if (strcmp(a, "--segmenters") == 0 || strcmp(a, "--aligners") == 0 ||
		    strcmp(a, "--run-dir") == 0) {
			if (v == NULL) {
				return cli_fail("supervise: %s needs a value", a);
			}
			if (strcmp(a, "--run-dir") == 0) {
				run_dir = v;
			} else if (parse_count(v, strcmp(a, "--segmenters") == 0 ? &n_segmenters
										  : &n_aligners) < 0) {
				return cli_fail("supervise: %s takes a number from 0 to 16", a);
			}
			i++;
		} else if (n_pass < MAX_ARGS) {
			pass[n_pass++] = argv[i];
		}
	}
	if (cli_finish(&cli) < 0) {
		return cli_fail("%s", cli.err);
	}
	if (mkdir(run_dir, 0750) < 0 && errno != EEXIST) {
		return cli_fail("supervise: cannot create %s: %s", run_dir, strerror(errno));
	}
	return supervise(run_dir, n_segmenters, n_aligners, pass, n_pass);
}
