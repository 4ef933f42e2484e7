/* common/util: the arena, the configuration loader, log levels. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "cfg.h"
#include "check.h"
#include "err.h"
#include "log.h"

static void
test_arena(void)
{
	struct mnemo_arena a;
	char *s;
	void *big;

	mnemo_arena_init(&a, 0);
	for (int i = 0; i < 10000; i++) {
		unsigned char *p = mnemo_arena_alloc(&a, (size_t)(i % 100) + 1);

		CHECK(p != NULL && ((uintptr_t)p % 16) == 0);
		memset(p, 0xab, (size_t)(i % 100) + 1);
	}
	s = mnemo_arena_strndup(&a, "bonjour tout le monde", 7);
	CHECK_STR(s, "bonjour");
	s = mnemo_arena_printf(&a, "%s=%d", "n", 42);
	CHECK_STR(s, "n=42");
	big = mnemo_arena_zalloc(&a, 1 << 20);
	CHECK(big != NULL && ((char *)big)[12345] == 0);
	mnemo_arena_reset(&a);
	CHECK(mnemo_arena_alloc(&a, 10) != NULL);
	mnemo_arena_fini(&a);
	mnemo_arena_fini(&a); /* twice is harmless */

	/* A limit caps what one request may hold. */
	mnemo_arena_init(&a, 64 * 1024);
	CHECK(mnemo_arena_alloc(&a, 60 * 1024) != NULL);
	CHECK(mnemo_arena_alloc(&a, 8 * 1024) == NULL);
	CHECK(mnemo_arena_alloc(&a, SIZE_MAX - 8) == NULL);
	mnemo_arena_reset(&a);
	CHECK(mnemo_arena_alloc(&a, 1000) != NULL);
	mnemo_arena_fini(&a);
}

static void
test_cfg(void)
{
	char name[64] = "default";
	uint32_t threads = 2;
	uint64_t bytes = 1024;
	int flag = 0;
	const struct mnemo_cfg_key keys[] = {
		{"svc", "name", MNEMO_CFG_STRING, name, sizeof(name), 0, 0, "a name"},
		{"svc", "threads", MNEMO_CFG_U32, &threads, 0, 1, 64, "threads"},
		{"svc", "bytes", MNEMO_CFG_BYTES, &bytes, 0, 1, UINT64_MAX / 2, "bytes"},
		{"svc", "flag", MNEMO_CFG_BOOL, &flag, 0, 0, 1, "a flag"},
	};
	char path[] = "/tmp/mnemo-test-cfg-XXXXXX";
	char err[256];
	int fd;
	FILE *f;

	CHECK_INT(mnemo_cfg_set(keys, 4, "svc", "threads", "8", err, sizeof(err)), 0);
	CHECK_INT(threads, 8);
	CHECK_INT(mnemo_cfg_set(keys, 4, "svc", "threads", "65", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "threads") != NULL && strstr(err, "1 to 64") != NULL);
	CHECK_INT(mnemo_cfg_set(keys, 4, "svc", "threads", "-1", err, sizeof(err)), -EINVAL);
	CHECK_INT(mnemo_cfg_set(keys, 4, "svc", "threads", "3x", err, sizeof(err)), -EINVAL);
	CHECK_INT(threads, 8);
	CHECK_INT(mnemo_cfg_set(keys, 4, "svc", "bytes", "4M", err, sizeof(err)), 0);
	CHECK_INT(bytes, 4 << 20);
	CHECK_INT(mnemo_cfg_set(keys, 4, "svc", "bytes", "2k", err, sizeof(err)), 0);
	CHECK_INT(bytes, 2048);
	CHECK_INT(mnemo_cfg_set(keys, 4, "svc", "bytes", "99999999999999999999", err, sizeof(err)),
		  -EINVAL);
	CHECK_INT(mnemo_cfg_set(keys, 4, "svc", "flag", "yes", err, sizeof(err)), 0);
	CHECK_INT(flag, 1);
	CHECK_INT(mnemo_cfg_set(keys, 4, "svc", "flag", "maybe", err, sizeof(err)), -EINVAL);
	CHECK_INT(mnemo_cfg_set(keys, 4, "svc", "nope", "1", err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "[svc] nope") != NULL);

	fd = mkstemp(path);
	CHECK(fd >= 0);
	f = fdopen(fd, "w");
	fputs("# comment\n[svc]\nname = mnemo\nthreads = 4\n", f);
	fclose(f);
	CHECK_INT(mnemo_cfg_load(keys, 4, path, err, sizeof(err)), 0);
	CHECK_STR(name, "mnemo");
	CHECK_INT(threads, 4);

	f = fopen(path, "w");
	fputs("[svc]\nthreads = 4\nthreads = 0\n", f);
	fclose(f);
	CHECK_INT(mnemo_cfg_load(keys, 4, path, err, sizeof(err)), -EINVAL);
	CHECK_MSG(strstr(err, ":3:") != NULL && strstr(err, "threads") != NULL, "%s", err);

	f = fopen(path, "w");
	fputs("[svc]\nthis line has no equals sign\n", f);
	fclose(f);
	CHECK_INT(mnemo_cfg_load(keys, 4, path, err, sizeof(err)), -EINVAL);
	CHECK_MSG(strstr(err, ":2:") != NULL, "%s", err);
	unlink(path);

	CHECK_INT(mnemo_cfg_load(keys, 4, "/nonexistent/mnemo.conf", err, sizeof(err)), -ENOENT);
}

static void
test_log(void)
{
	enum mnemo_log_level level;

	CHECK_INT(mnemo_log_parse_level("debug", &level), 0);
	CHECK_INT(level, MNEMO_LOG_DEBUG);
	CHECK_INT(mnemo_log_parse_level("loud", &level), -EINVAL);
	mnemo_log_set_level(MNEMO_LOG_WARN);
	CHECK(mnemo_log_enabled(MNEMO_LOG_ERR));
	CHECK(!mnemo_log_enabled(MNEMO_LOG_INFO));
	CHECK_STR(mnemo_strerror(-ENOENT), strerror(ENOENT));
}

int
main(void)
{
	test_arena();
	test_cfg();
	test_log();
	return check_exit();
}
