/* SPDX-License-Identifier: MIT */
/*
 * fuzz_awsanswer.c - libFuzzer target: the JSON credentials that the
 * container endpoint (ECS, EKS), IMDS and the SSO portal's roleCredentials
 * answer (aws_take_json_creds()).
 *
 * The input is an answer's body, read with the container's and IMDS's
 * keys and with SSO's.
 */
#include <stdlib.h>

#include "aws/awsnet.h"
#include "fuzz.h"
#include "secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_response a = HTTP_RESPONSE_INIT;
	struct ck_error err = CK_ERROR_INIT;
	struct aws_creds out = { 0 };

	a.status = 200;
	if (secret_set(&a.body, (const char *)data, size))
		abort();
	aws_take_json_creds(&a, "AccessKeyId", "SecretAccessKey", "Token", "Expiration",
			    "the container credentials endpoint", &out, &err);
	aws_creds_release(&out);
	aws_take_json_creds(&a, "accessKeyId", "secretAccessKey", "sessionToken",
			    "expiration", "SSO role r of account 123456789012", &out, &err);
	aws_creds_release(&out);
	secret_release(&a.body);
	return 0;
}
