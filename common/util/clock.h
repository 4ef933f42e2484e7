/* Time, one way everywhere: monotonic milliseconds for deadlines and durations, Unix
 * milliseconds for timestamps, and condition variables on the monotonic clock, so that a
 * wall-clock jump never cuts a wait short or stretches it. */
#pragma once

#include <pthread.h>
#include <stdint.h>
#include <time.h>

uint64_t mnemo_clock_ms(void);     /* CLOCK_MONOTONIC */
int64_t mnemo_clock_unix_ms(void); /* CLOCK_REALTIME */

/* A condition variable whose timed waits take monotonic deadlines. */
int mnemo_cond_init(pthread_cond_t *cond);
/* The monotonic deadline ms from now, for pthread_cond_timedwait on such a variable. */
void mnemo_clock_deadline(struct timespec *ts, uint32_t ms);
/* 1 when a monotonic deadline has passed. */
int mnemo_clock_passed(const struct timespec *deadline);
