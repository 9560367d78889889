/* SPDX-License-Identifier: MIT */
/*
 * fuzz_kubelet.c - libFuzzer target: the kubelet's request on stdin
 * (kubelet_parse_request()), and the registry of its image
 * (kubelet_registry()).
 */

#include "fuzz.h"
#include "tokens/kubelet.h"

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
