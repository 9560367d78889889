/* SPDX-License-Identifier: MIT */
/*
 * clock.c - the clock of bounds and deadlines.  See include/clock.h.
 */
#include <time.h>

#include "clock.h"

long ck_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

long ck_ms_left(long deadline)
{
	long left = deadline - ck_now_ms();

	return left > 0 ? left : 1;
}
