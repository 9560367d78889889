/* SPDX-License-Identifier: MIT */
/*
 * fuzz_registry.c - libFuzzer target: the registry normaliser
 * (registry_parse(), registry_key(), registry_same()).
 *
 * The input is a server string (cut at its first NUL, as the engine's C
 * strings are).  Beyond not crashing, it checks registry.h's promise that
 * a key is a spelling of its own registry: the key of a key is itself.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_error err = CK_ERROR_INIT;
	struct registry_ref ref, again;
	char *server = fuzz_string(data, size);
	char key[REGISTRY_KEY_MAX], small[16], hostport[300];

	if (!registry_parse(server, &ref, &err)) {
		registry_host_port(&ref, hostport, sizeof(hostport));
		if (registry_key(server, key, sizeof(key), &err) || strcmp(key, ref.key))
			abort();	/* registry_key() disagrees with registry_parse() */
		if (registry_parse(ref.key, &again, &err) || strcmp(again.key, ref.key))
			abort();	/* a key that is not its own key */
		if (!registry_same(server, ref.key))
			abort();
	}
	registry_key(server, small, sizeof(small), &err);
	free(server);
	return 0;
}
