/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sts.c - libFuzzer target: STS's XML answers (aws_xml_text()), and
 * the Expiration time they carry (aws_parse_time()).
 *
 * The input is an answer's body, read as awsnet.c reads AssumeRole,
 * AssumeRoleWithWebIdentity and GetCallerIdentity answers and errors.
 */
#include <stdlib.h>
#include <time.h>

#include "aws/awscreds.h"
#include "aws/awsnet.h"
#include "fuzz.h"
#include "secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const reads[][2] = {
		{ "<AssumeRoleResult>", "AccessKeyId" },
		{ "<AssumeRoleResult>", "SecretAccessKey" },
		{ "<AssumeRoleWithWebIdentityResult>", "SessionToken" },
		{ "<GetCallerIdentityResult>", "Arn" },
		{ "<Error>", "Code" },
		{ "<Error>", "Message" },
		{ NULL, "Account" },
	};
	struct secret out = SECRET_INIT;
	char *doc = fuzz_string(data, size);
	time_t t;
	size_t i;

	for (i = 0; i < sizeof(reads) / sizeof(reads[0]); i++)
		aws_xml_text(doc, reads[i][0], reads[i][1], &out);
	if (!aws_xml_text(doc, NULL, "Expiration", &out))
		aws_parse_time(out.buf, &t);
	secret_release(&out);
	free(doc);
	return 0;
}
