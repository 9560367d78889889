/* SPDX-License-Identifier: MIT */
/*
 * clock.h - the one clock of every bound and deadline.
 *
 * A deadline is a point on CLOCK_MONOTONIC in milliseconds, as ck_now_ms()
 * gives it: setting the wall clock never moves it.  A bound is passed from
 * program to program as such a point (the clock is the same for every
 * process of the machine).  Code whose library counts in microseconds
 * (sd-bus) reads the same clock with ck_now_usec().
 */
#ifndef CREDKIT_CLOCK_H
#define CREDKIT_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds. */
long ck_now_ms(void);

/* What is left until deadline (a ck_now_ms() point): at least 1 ms. */
long ck_ms_left(long deadline);

/* CLOCK_MONOTONIC in microseconds: ck_now_ms() is this / 1000. */
uint64_t ck_now_usec(void);

/* Sleep usec microseconds, the whole time whatever signals come. */
void ck_sleep_usec(uint64_t usec);

#endif
