/* SPDX-License-Identifier: MIT */
/*
 * banned.h - calls that make it too easy to overflow a buffer or lose an
 * error, turned into build errors (as git does).  Use snprintf with a
 * checked result, strtol/strtoul with end checks, strtok_r or strsep.
 *
 * Included last by error.h, after the system headers every file includes
 * first.
 */
#ifndef CREDKIT_BANNED_H
#define CREDKIT_BANNED_H

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef gets
#define gets(x) BANNED(gets)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef atol
#define atol(x) BANNED(atol)

#endif
