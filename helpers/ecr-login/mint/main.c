/* SPDX-License-Identifier: MIT */
/*
 * docker-credential-ecr-login-mint: the half of docker-credential-ecr-login
 * that mints tokens (see ecr.h and tokens/helper.h): the AWS credential
 * chain, then ECR's GetAuthorizationToken.  docker-credential-ecr-login
 * runs it on a cache miss, with the lock held and handed over; run by
 * hand, it takes the lock itself.  It speaks the same protocol:
 * `echo HOST | docker-credential-ecr-login-mint get` asks AWS unless a
 * fresh token is cached.  With a kubelet's request (get-credentials) that
 * carries a service account's token, the role ecr.c found for it is
 * assumed with that token instead of the chain.  It runs doctor for the
 * front (ecr_doctor(), and with --online ecr_online()).
 */
#include "aws/awscreds.h"
#include "aws/awsnet.h"
#include "aws/ecr.h"

/* AWS credentials for the registry (own), then a token. */
static int mint(const struct token_target *target, const void *own, long deadline,
		struct token *t, struct ck_error *err)
{
	const struct ecr_registry *r = own;
	struct aws_creds creds = AWS_CREDS_INIT;
	struct aws_chain chain = {
		.profile = r->profile[0] ? r->profile : NULL,
		.role_arn = r->role_arn[0] ? r->role_arn : NULL,
		.region = r->region,
		.deadline_ms = deadline,
		.ca_file = config_env("AWS_CA_BUNDLE"),
	};
	int ret = -1;

	(void)target;
	if (r->web_token) {	/* a kubelet's service account: its role alone */
		chain.profile = NULL;
		chain.role_arn = r->web_role;
		chain.web_token = r->web_token;
	}
	aws_creds_deadline(deadline);
	if (aws_creds_resolve(&chain, &creds, err) == AWS_CREDS_FOUND)
		ret = ecr_get_token(r, &creds, deadline, t, err);
	aws_creds_release(&creds);
	return ret;
}

int main(int argc, char **argv)
{
	struct token_helper h = ecr_tokens;

	h.doctor = ecr_doctor;
	return token_mint_main(&h, mint, ecr_online, argc, argv);
}
