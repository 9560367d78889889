/* SPDX-License-Identifier: MIT */
/*
 * fuzz_kubelet.c - libFuzzer target: the kubelet's request on stdin
 * (kubelet_parse_request()), and the registry of its image
 * (kubelet_registry()).
 */
#include <jansson.h>
#include <stdlib.h>

#include "fuzz.h"
#include "secret.h"
#include "tokens/kubelet.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* As credkit_main() sets it: the request holds a token. */
	json_set_alloc_funcs(malloc, secure_free);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kubelet_request req = KUBELET_REQUEST_INIT;
	struct ck_error err = CK_ERROR_INIT;
	char reg[KUBELET_REGISTRY_MAX];

	if (!kubelet_parse_request((const char *)data, size, &req, &err)) {
		kubelet_registry(req.image, reg, sizeof(reg), &err);
		kubelet_annotation(&req, "credkit");
	}
	kubelet_request_release(&req);
	return 0;
}
