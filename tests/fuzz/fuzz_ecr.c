/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ecr.c - libFuzzer target: ECR's answer to GetAuthorizationToken
 * (ecr_take_answer()), private and Public.
 *
 * The input is the body of a 200 answer.
 */
#include <stdlib.h>
#include <string.h>

#include "aws/ecr.h"
#include "fuzz.h"
#include "secret.h"
#include "tokens/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_response a = HTTP_RESPONSE_INIT;
	struct ecr_registry r;
	struct ck_error err = CK_ERROR_INIT;
	struct token t;
	int pub;

	a.status = 200;
	if (secret_set(&a.body, (const char *)data, size))
		abort();
	for (pub = 0; pub < 2; pub++) {
		memset(&r, 0, sizeof(r));
		memset(&t, 0, sizeof(t));
		r.public = pub;
		if (!ecr_take_answer(&r, &a, &t, &err))
			token_release(&t);
	}
	secret_release(&a.body);
	return 0;
}
