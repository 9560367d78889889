/* SPDX-License-Identifier: MIT */
/*
 * seccomp-deny.c - run a command as a container's seccomp profile would:
 * with the kernel keyring's system calls refused.
 *
 *   seccomp-deny MODE CMD [ARG...]
 *
 * MODE is what the filter does to keyctl, add_key and request_key:
 *
 *   eperm         fail them with EPERM, as Docker's default profile does
 *   enosys        fail them with ENOSYS, as other profiles (and kernels
 *                 without CONFIG_KEYS) do
 *   nopersistent  fail keyctl(KEYCTL_GET_PERSISTENT) alone with EOPNOTSUPP,
 *                 as a kernel without CONFIG_PERSISTENT_KEYRINGS does
 *
 * The filter is installed with PR_SET_NO_NEW_PRIVS, so no privilege is
 * needed, and holds for CMD and everything it runs.  Exits 125 when the
 * filter cannot be installed, 127 when CMD cannot be run.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define ARCH AUDIT_ARCH_I386
#else
#error "seccomp-deny: add this machine's AUDIT_ARCH_*"
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG0_LOW offsetof(struct seccomp_data, args[0])
#else
#define ARG0_LOW (offsetof(struct seccomp_data, args[0]) + 4)
#endif

#define LOAD(field)	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (field))
#define IF_EQ(v, t, f)	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (v), (t), (f))
#define RETURN(v)	BPF_STMT(BPF_RET | BPF_K, (v))
#define ALLOW		RETURN(SECCOMP_RET_ALLOW)
#define FAIL(e)		RETURN(SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))

/* keyctl, add_key and request_key fail with errno e. */
#define DENY_KEYS(e) { \
	LOAD(offsetof(struct seccomp_data, arch)), \
	IF_EQ(ARCH, 1, 0), \
	RETURN(SECCOMP_RET_KILL_PROCESS), \
	LOAD(offsetof(struct seccomp_data, nr)), \
	IF_EQ(__NR_keyctl, 3, 0), \
	IF_EQ(__NR_add_key, 2, 0), \
	IF_EQ(__NR_request_key, 1, 0), \
	ALLOW, \
	FAIL(e), \
}

static struct sock_filter deny_eperm[] = DENY_KEYS(EPERM);
static struct sock_filter deny_enosys[] = DENY_KEYS(ENOSYS);

/* keyctl(KEYCTL_GET_PERSISTENT, ...) fails with EOPNOTSUPP. */
static struct sock_filter deny_persistent[] = {
	LOAD(offsetof(struct seccomp_data, arch)),
	IF_EQ(ARCH, 1, 0),
	RETURN(SECCOMP_RET_KILL_PROCESS),
	LOAD(offsetof(struct seccomp_data, nr)),
	IF_EQ(__NR_keyctl, 0, 2),
	LOAD(ARG0_LOW),
	IF_EQ(KEYCTL_GET_PERSISTENT, 1, 0),
	ALLOW,
	FAIL(EOPNOTSUPP),
};

#define PROG(f) { sizeof(f) / sizeof((f)[0]), (f) }

static const struct mode {
	const char *name;
	struct sock_fprog prog;
} modes[] = {
	{ "eperm", PROG(deny_eperm) },
	{ "enosys", PROG(deny_enosys) },
	{ "nopersistent", PROG(deny_persistent) },
};

int main(int argc, char **argv)
{
	const struct mode *m = NULL;
	size_t i;

	for (i = 0; argc > 2 && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(argv[1], modes[i].name))
			m = &modes[i];
	if (!m) {
		fprintf(stderr, "usage: seccomp-deny eperm|enosys|nopersistent CMD [ARG...]\n");
		return 125;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &m->prog, 0, 0) < 0) {
		fprintf(stderr, "seccomp-deny: cannot install the filter: %s\n", strerror(errno));
		return 125;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, "seccomp-deny: cannot run %s: %s\n", argv[2], strerror(errno));
	return 127;
}
