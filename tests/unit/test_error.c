/* SPDX-License-Identifier: MIT */
/*
 * test_error.c - the text helpers of error.c: ck_utf8_valid() against the
 * cases of tests/data/error/, and ck_printable().
 */
#include "cases.h"
#include "check.h"
#include "error.h"

/* Decode the hex of s into buf (at most size bytes); -1 on bad hex. */
static int unhex(const char *s, char *buf, size_t size, size_t *len)
{
	*len = 0;
	if (!strcmp(s, "-"))
		return 0;
	for (; s[0] && s[1] && *len < size; s += 2) {
		if (case_hex(s[0]) < 0 || case_hex(s[1]) < 0)
			return -1;
		buf[(*len)++] = (char)(case_hex(s[0]) << 4 | case_hex(s[1]));
	}
	return *s ? -1 : 0;
}

static void check_line(const char *where, char *line)
{
	char *field[2], bytes[64];
	size_t len;

	if (case_split(line, field, 2) != 2 || unhex(field[0], bytes, sizeof(bytes), &len) ||
	    (strcmp(field[1], "valid") && strcmp(field[1], "invalid"))) {
		CHECK(0, "%s: a case is HEX<TAB>valid|invalid", where);
		return;
	}
	CHECK(ck_utf8_valid(bytes, len) == !strcmp(field[1], "valid"), "%s: %s is %s",
	      where, field[0], field[1]);
}

static void check_printable(void)
{
	char out[8];

	ck_printable(out, sizeof(out), "a\nb\x1b" "c", 5);
	CHECK_STR(out, "a b c", "ck_printable turns control characters into spaces");
	ck_printable(out, sizeof(out), "abcdefghij", 10);
	CHECK_STR(out, "abcdefg", "ck_printable stops at the end of its buffer");
	ck_printable(out, sizeof(out), NULL, 3);
	CHECK_STR(out, "", "ck_printable takes NULL");
}

int main(int argc, char **argv)
{
	return cases_main(argc, argv, check_line, NULL, check_printable);
}
