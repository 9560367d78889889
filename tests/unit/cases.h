/* SPDX-License-Identifier: MIT */
/*
 * cases.h - reading the data files of the unit tests.
 *
 * A data file holds one case a line, its fields separated by tabs; blank
 * lines and lines starting with '#' are skipped.  Each test decides what
 * its fields mean and how they escape bytes; this reads the lines and
 * names each case "FILE:LINE" for its TAP line.  cases_main() is the whole
 * main() of a test whose cases are in such files.
 */
#ifndef CREDKIT_CASES_H
#define CREDKIT_CASES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* The value of a hex digit, or -1. */
static inline int case_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Split line (modified) at its tabs, keeping the first max fields in field.
 * Returns how many fields the line has, which may be more than max.
 */
static inline int case_split(char *line, char **field, int max)
{
	int n = 0;

	field[n++] = line;
	while ((line = strchr(line, '\t'))) {
		*line++ = '\0';
		if (n < max)
			field[n] = line;
		n++;
	}
	return n;
}

/*
 * Call each(where, line) for every case of the file at path, line without
 * its newline and writable.  Returns 0, or -1 if the file cannot be read.
 */
static inline int cases_run(const char *path,
			    void (*each)(const char *where, char *line))
{
	FILE *f = fopen(path, "r");
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char *line = NULL, where[256];
	size_t cap = 0;
	ssize_t len;
	unsigned nr = 0;
	int n;

	if (!f)
		return -1;
	while ((len = getline(&line, &cap, f)) >= 0) {
		nr++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (!len || line[0] == '#')
			continue;
		n = snprintf(where, sizeof(where), "%s:%u", name, nr);
		if (n < 0 || (size_t)n >= sizeof(where))
			where[0] = '\0';
		each(where, line);
	}
	free(line);
	fclose(f);
	return 0;
}

/*
 * The main() of a test driven by data files: for each FILE in argv, start()
 * then cases_run(FILE, each), with one TAP line saying whether FILE could
 * be read; then after(), the checks the data files cannot say.  start and
 * after may be NULL.  Returns main()'s exit status: check_done(), or 2 with
 * a usage line on stderr when no FILE is given.
 */
static inline int cases_main(int argc, char **argv,
			     void (*each)(const char *where, char *line),
			     void (*start)(void), void (*after)(void))
{
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (start)
			start();
		CHECK(!cases_run(argv[i], each), "read %s", argv[i]);
	}
	if (after)
		after();
	return check_done();
}

#endif
