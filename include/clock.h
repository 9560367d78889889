/* SPDX-License-Identifier: MIT */
/*
 * clock.h - the one clock of every bound and deadline.
 *
 * A deadline is a point on CLOCK_MONOTONIC in milliseconds, as ck_now_ms()
 * gives it: setting the wall clock never moves it.  A bound is passed from
 * program to program as such a point (the clock is the same for every
 * process of the machine).
 */
#ifndef CREDKIT_CLOCK_H
#define CREDKIT_CLOCK_H

/* CLOCK_MONOTONIC in milliseconds. */
long ck_now_ms(void);

/* What is left until deadline (a ck_now_ms() point): at least 1 ms. */
long ck_ms_left(long deadline);

#endif
