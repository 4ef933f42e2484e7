/* Logging to stderr: one line per event, "<time> <level> <topic>: <text>".
 * Services log; libraries in common/ return errors and log at debug level at most. */
#pragma once

#include <stdarg.h>

enum mnemo_log_level {
	MNEMO_LOG_ERR = 0,
	MNEMO_LOG_WARN,
	MNEMO_LOG_NOTICE,
	MNEMO_LOG_INFO,
	MNEMO_LOG_DEBUG,
};

/* Lines above this level are dropped. Default MNEMO_LOG_INFO; MNEMO_LOG=debug overrides. */
void mnemo_log_set_level(enum mnemo_log_level level);
int mnemo_log_parse_level(const char *name, enum mnemo_log_level *ret_level);
int mnemo_log_enabled(enum mnemo_log_level level);

void mnemo_log(enum mnemo_log_level level, const char *topic, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define mnemo_log_err(topic, ...) mnemo_log(MNEMO_LOG_ERR, topic, __VA_ARGS__)
#define mnemo_log_warn(topic, ...) mnemo_log(MNEMO_LOG_WARN, topic, __VA_ARGS__)
#define mnemo_log_notice(topic, ...) mnemo_log(MNEMO_LOG_NOTICE, topic, __VA_ARGS__)
#define mnemo_log_info(topic, ...) mnemo_log(MNEMO_LOG_INFO, topic, __VA_ARGS__)
#define mnemo_log_debug(topic, ...) mnemo_log(MNEMO_LOG_DEBUG, topic, __VA_ARGS__)
