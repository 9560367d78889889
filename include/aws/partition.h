/* SPDX-License-Identifier: MIT */
/*
 * partition.h - the AWS partitions: which DNS names a region's services
 * have, in one table that ECR's host matching and every endpoint (STS,
 * IAM Identity Center, ECR) read.
 *
 * The facts are the AWS SDKs' (partitions.json of botocore and the Go SDK
 * v2): each partition's region pattern and DNS suffix.  ECR's registries
 * have their own dual-stack domains (dkr-ecr.REGION.on.aws), listed here
 * beside them.  No network, no allocation, no regcomp(): the front of
 * docker-credential-ecr-login reads this on every get.
 */
#ifndef CREDKIT_PARTITION_H
#define CREDKIT_PARTITION_H

#include <stddef.h>

struct aws_partition {
	const char *id;			/* "aws", "aws-cn", "aws-us-gov", ... */
	const char *prefixes;		/* its regions are PREFIX-\w+-\d+, for a
					 * PREFIX of this '|' list: "us|eu|..." */
	const char *dns_suffix;		/* of its service endpoints */
	const char *ecr_dual_stack;	/* ECR registries' dual-stack domain, or NULL */
};

/*
 * The partition of region, as the SDKs pick it: the one whose pattern
 * matches, else "aws".  Never NULL; the result is static.
 */
const struct aws_partition *aws_partition_of(const char *region);

/*
 * The partition whose DNS suffix or ECR dual-stack domain is domain
 * ("amazonaws.com.cn", "on.aws"), or NULL.  Where two partitions share a
 * suffix (aws and aws-us-gov), the first: their endpoints are the same.
 */
const struct aws_partition *aws_partition_of_domain(const char *domain);

/*
 * "https://NAME.REGION.SUFFIX" into buf, with the SUFFIX of region's
 * partition ("sts", "us-iso-east-1" -> https://sts.us-iso-east-1.c2s.ic.gov).
 * Returns 0, or -1 when it does not fit.
 */
int aws_partition_url(const char *name, const char *region, char *buf, size_t size);

#endif
