/* SPDX-License-Identifier: MIT */
/*
 * feed.c - run a command with a file on its standard input, and nothing
 * else: what `sh -c 'CMD < FILE'` does, without the shell's own start-up
 * (5 ms on a slow machine, more than a whole keyctl get).  Built static by
 * the bench scripts, so that what hyperfine times is the helper.
 *
 *   feed FILE CMD [ARG...]
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fd;

	if (argc < 3) {
		fputs("usage: feed FILE CMD [ARG...]\n", stderr);
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0) {
		perror(argv[1]);
		return 2;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	execv(argv[2], argv + 2);
	perror(argv[2]);
	return 127;
}
