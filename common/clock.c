/* SPDX-License-Identifier: MIT */
/*
 * clock.c - the clock of bounds and deadlines.  See include/clock.h.
 */
#include <errno.h>
#include <time.h>

#include "clock.h"

uint64_t ck_now_usec(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000 + (uint64_t)t.tv_nsec / 1000;
}

long ck_now_ms(void)
{
	return (long)(ck_now_usec() / 1000);
}

long ck_ms_left(long deadline)
{
	long left = deadline - ck_now_ms();

	return left > 0 ? left : 1;
}

void ck_sleep_usec(uint64_t usec)
{
	struct timespec ts = { (time_t)(usec / 1000000), (long)(usec % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
