/* SPDX-License-Identifier: MIT */
/*
 * partition.c - the AWS partitions (see partition.h).
 */
#include <stdio.h>
#include <string.h>

#include "aws/partition.h"

/*
 * From the SDKs' partitions.json (regionRegex, outputs.dnsSuffix): botocore's
 * and the Go SDK v2's, and for aws-eusc (the European Sovereign Cloud,
 * ^eusc\-(de)\-\w+\-\d+$) the JS SDK v3's, newer.  The "aws" pattern is
 * ^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$, which no other partition's
 * region matches ("us-gov-west-1" has a '-' where \w+ stops).  The SDKs'
 * dualStackDnsSuffix (api.aws, ...) is for API endpoints, which credkit
 * does not use; ECR's registries have their own dual-stack domains.
 */
static const struct aws_partition partitions[] = {
	{ "aws", "us|eu|ap|sa|ca|me|af|il|mx", "amazonaws.com", "on.aws" },
	{ "aws-cn", "cn", "amazonaws.com.cn", "on.amazonwebservices.com.cn" },
	{ "aws-us-gov", "us-gov", "amazonaws.com", "on.aws" },
	{ "aws-iso", "us-iso", "c2s.ic.gov", NULL },
	{ "aws-iso-b", "us-isob", "sc2s.sgov.gov", NULL },
	{ "aws-iso-e", "eu-isoe", "cloud.adc-e.uk", NULL },
	{ "aws-iso-f", "us-isof", "csp.hci.ic.gov", NULL },
	{ "aws-eusc", "eusc-de", "amazonaws.eu", NULL },
};

#define NPARTITIONS (sizeof(partitions) / sizeof(partitions[0]))

static int is_word(char c)	/* \w */
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* Whether s is \w+-\d+ to its end. */
static int word_dash_digits(const char *s)
{
	const char *p = s;

	while (is_word(*p) && *p != '-')
		p++;
	if (p == s || *p++ != '-' || !*p)
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	return !*p;
}

/* Whether region is PREFIX-\w+-\d+ for a PREFIX of the '|' list. */
static int matches(const char *prefixes, const char *region)
{
	const char *alt = prefixes;
	size_t n;

	for (;;) {
		n = strcspn(alt, "|");
		if (!strncmp(region, alt, n) && region[n] == '-' &&
		    word_dash_digits(region + n + 1))
			return 1;
		if (!alt[n])
			return 0;
		alt += n + 1;
	}
}

const struct aws_partition *aws_partition_of(const char *region)
{
	size_t i;

	for (i = 0; region && i < NPARTITIONS; i++)
		if (matches(partitions[i].prefixes, region))
			return &partitions[i];
	return &partitions[0];
}

const struct aws_partition *aws_partition_of_domain(const char *domain)
{
	size_t i;

	for (i = 0; i < NPARTITIONS; i++)
		if (!strcmp(domain, partitions[i].dns_suffix) ||
		    (partitions[i].ecr_dual_stack &&
		     !strcmp(domain, partitions[i].ecr_dual_stack)))
			return &partitions[i];
	return NULL;
}

int aws_partition_url(const char *name, const char *region, char *buf, size_t size)
{
	int n = snprintf(buf, size, "https://%s.%s.%s", name, region,
			 aws_partition_of(region)->dns_suffix);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}
