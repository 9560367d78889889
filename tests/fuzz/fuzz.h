/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - what the libFuzzer targets of tests/fuzz/ share.
 *
 * Each target is one fuzz_NAME.c that defines LLVMFuzzerTestOneInput()
 * (and maybe LLVMFuzzerInitialize()) over one parser of common/; its seeds
 * are in tests/fuzz/corpus/NAME/.  A target aborts only on a broken
 * contract; crashes and sanitizer reports are libFuzzer's to catch.
 * fuzz.c sets jansson's allocator to one that wipes (secure_free()) before
 * any target runs, as credkit_main() does.
 */
#ifndef CREDKIT_FUZZ_H
#define CREDKIT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A private folder for the files a target reads, made once (mkdtemp under
 * TMPDIR) and removed at exit with what it holds.  Aborts on failure.
 */
const char *fuzz_dir(void);

/*
 * Write the len bytes at data over the file name in fuzz_dir() and put its
 * path into path[size].  Aborts on failure.
 */
void fuzz_file(const char *name, const void *data, size_t len, char *path, size_t size);

/*
 * The AWS environment of a target: no AWS_* variable that names keys, a
 * profile or a region, HOME the private folder, and the shared files
 * (empty) there, their paths put into cred[size] and conf[size].  Aborts
 * on failure.
 */
void fuzz_aws_files(char *cred, char *conf, size_t size);

/* A NUL-terminated malloc'ed copy of the len bytes at data; aborts on failure. */
char *fuzz_string(const uint8_t *data, size_t len);

#endif
