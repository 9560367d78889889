/* SPDX-License-Identifier: MIT */
/*
 * fuzz_match.c - libFuzzer target: the kubelet's image matching
 * (kubelet_match(): the provider config's matchImages globs;
 * kubelet_match_auth(): an answer's auth keys).
 *
 * The input is a pattern (or an auth key), a NUL, then an image; with no
 * NUL, the input is both.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tokens/kubelet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t len = nul ? (size_t)(nul - data) : size;
	char *pattern = fuzz_string(data, len);
	char *image = nul ? fuzz_string(nul + 1, size - len - 1) : fuzz_string(data, len);

	kubelet_match(pattern, image);
	kubelet_match_auth(pattern, image);
	free(pattern);
	free(image);
	return 0;
}
