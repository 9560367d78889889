# SPDX-License-Identifier: MIT
# credkit - Docker credential helpers in C.
#
#   make            build every helper into bin/
#   make check      install what is missing, build, run every test
#   make demo       install what is missing, build, show docker login at work
#   make install    copy helpers and man pages under $(DESTDIR)$(PREFIX)
#                   (or BINDIR, LIBEXECDIR, MANDIR); make uninstall removes them
#   make SAN=1 ...  the same with AddressSanitizer and UBSan, under build/asan/
#   make check-valgrind  the protocol battery of every helper under valgrind's
#                   memcheck (build/valgrind/, no sanitizer); not part of check
#   make fuzz       run each libFuzzer target of tests/fuzz/ for FUZZ_SECONDS
#                   (60) with clang, under build/fuzz/; not part of check
#   make bench      build, then run every benchmark of bench/ into
#                   bench/RESULTS.md and README.md (RUNS=N); not part of check

VERSION  := 0.1.0
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
# Helpers find their minting programs in ../libexec/credkit beside them.
LIBEXECDIR ?= $(PREFIX)/libexec

# Every folder under helpers/ is a helper.
HELPERS  := $(notdir $(wildcard helpers/*))

# What each helper links, and nothing more: start-up time is mostly the time
# the dynamic loader spends on libraries (see bench/).
PKGS_secretservice := libsystemd libgcrypt jansson
PKGS_keyctl        := libkeyutils jansson
PKGS_pass          := jansson
PKGS_ecr-login     := libkeyutils jansson
PKGS_ghcr          := libkeyutils jansson
# Archives a helper takes only what it calls from, even when linked
# dynamically: ecr-login's cache key is a SHA-256, the few objects of
# libcrypto.a that do it, so that its front never loads libcrypto.so (2.8
# ms, then more for its first provider fetch); pass takes base64 alone
# from it.  Where no libcrypto.a is found (Fedora), pass links
# libcrypto.so instead.
CRYPTO_A := $(if $(filter /%,$(shell $(CC) -print-file-name=libcrypto.a)),-l:libcrypto.a,-lcrypto)
ARCHIVES_ecr-login := -l:libcrypto.a
ARCHIVES_ghcr      := -l:libcrypto.a
ARCHIVES_pass      := $(CRYPTO_A)
# A token helper's minting program (helpers/NAME/mint/), under libexec: it
# alone links libcurl and OpenSSL, and runs only when no cached token will do.
PKGS_ecr-login-mint := libcurl libcrypto jansson libkeyutils
PKGS_ghcr-mint      := libcurl libcrypto jansson libkeyutils

# keyctl is linked whole (static-pie): its get is mostly process start-up,
# and a static helper also runs in any container.  Like the Go helpers, it
# must then be rebuilt for a security fix in glibc, jansson or keyutils.
# STATIC_HELPERS= links it dynamically; sanitizer and valgrind builds always do.
STATIC_HELPERS ?= keyctl ecr-login ghcr

MINTERS  := $(patsubst helpers/%/mint/,%,$(wildcard helpers/*/mint/))
PKGS_ALL  = $(sort $(foreach h,$(HELPERS) $(MINTERS:%=%-mint),$(PKGS_$(h))))
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS_ALL))
PKG_LIBS   = $(shell pkg-config --libs $(1))
is_static  = $(if $(SAN)$(VG),,$(filter $(1),$(STATIC_HELPERS)))
LINK_LIBS  = $(if $(call is_static,$(1)),-static-pie $(shell pkg-config --static --libs $(PKGS_$(1))),-pie $(call PKG_LIBS,$(PKGS_$(1))))

CC       ?= cc
# -Os: the programs are small and start-up bound (see bench/); -g stays for
# the packages' debug symbols (packaging/ passes the distribution's flags
# with -Os after them).
CFLAGS   ?= -Os -g
WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
	    -Wmissing-prototypes -Wvla -Wno-missing-field-initializers
HARDEN   := -fstack-protector-strong -fPIE -D_FORTIFY_SOURCE=2
LDHARDEN := -Wl,-z,relro,-z,now -Wl,--as-needed

ifdef SAN
BUILD    := build/asan
OUT      := build/asan/bin
LIBEXEC_OUT := build/asan/libexec/credkit
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
HARDEN   := -fPIE
else ifdef VG
# make check-valgrind's build: bin/'s flags but the size ones (no section
# per function), no sanitizer, and every front linked dynamically
# (memcheck replaces malloc only in a dynamic program).
BUILD    := build/valgrind
OUT      := build/valgrind/bin
LIBEXEC_OUT := build/valgrind/libexec/credkit
SANFLAGS :=
else ifdef FUZZ
# libFuzzer targets (tests/fuzz/) need clang: the common objects are built
# with the fuzzer's coverage hooks, the targets link its main().
BUILD    := build/fuzz
OUT      := build/fuzz/bin
LIBEXEC_OUT := build/fuzz/libexec/credkit
CC       := clang
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	    -fno-sanitize-recover=all
HARDEN   := -fPIE
else
BUILD    := build
OUT      := bin
LIBEXEC_OUT := libexec/credkit
SANFLAGS :=
# Each function and object in its own section, so that the linker drops
# what a program never calls (a minter the front's code, a front the
# minter's); no unwind tables, which C without exceptions never reads
# (with -g, debuggers use .debug_frame, kept in the debug package).
SIZEFLAGS   := -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables
LDSIZEFLAGS := -Wl,--gc-sections
endif

ALL_CFLAGS  = -std=c11 -D_GNU_SOURCE $(WARN) $(HARDEN) $(SANFLAGS) $(SIZEFLAGS) $(CFLAGS)
ALL_CPPFLAGS = -Iinclude -DCREDKIT_VERSION='"$(VERSION)"' $(PKG_CFLAGS) $(CPPFLAGS)
ALL_LDFLAGS = $(LDHARDEN) $(SANFLAGS) $(LDSIZEFLAGS) $(LDFLAGS)

# common/ and include/ are grouped by family (stores/, aws/, tokens/, ...).
HEADERS    := $(wildcard include/*.h include/*/*.h)
COMMON_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard common/*.c common/*/*.c))
LIB        := $(BUILD)/libcredkit.a
PROGRAMS   := $(HELPERS:%=$(OUT)/docker-credential-%)
MINT_PROGRAMS := $(MINTERS:%=$(LIBEXEC_OUT)/docker-credential-%-mint)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
# Each unit test links the libraries of the modules it tests.
PKGS_UNIT   = $(PKGS_ALL)
# test_secret sees every free() of libcredkit.a before the real one.
LDFLAGS_test_secret := -Wl,--wrap=free

.PHONY: all check demo install uninstall clean unit deps
.SECONDEXPANSION:

all: $(PROGRAMS) $(MINT_PROGRAMS)

$(BUILD)/%.o: %.c $(HEADERS) | $$(@D)/.
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# Only the unit tests see the test headers (check.h, cases.h).
$(BUILD)/tests/unit/%.o: tests/unit/%.c $(HEADERS) | $$(@D)/.
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Itests/unit -MMD -MP -c -o $@ $<

$(LIB): $(COMMON_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

# One rule builds any helper from its folder.
$(OUT)/docker-credential-%: $$(addprefix $(BUILD)/,$$(subst .c,.o,$$(wildcard helpers/$$*/*.c))) $(LIB) | $(OUT)/.
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(ARCHIVES_$*) $(call LINK_LIBS,$*)

$(LIBEXEC_OUT)/docker-credential-%-mint: $$(addprefix $(BUILD)/,$$(subst .c,.o,$$(wildcard helpers/$$*/mint/*.c))) $(LIB) | $(LIBEXEC_OUT)/.
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) -pie $(call PKG_LIBS,$(PKGS_$*-mint))

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB) | $(BUILD)/tests/.
	$(CC) -pie $(ALL_LDFLAGS) $(LDFLAGS_$*) -o $@ $< $(LIB) $(call PKG_LIBS,$(PKGS_UNIT))

unit: $(UNIT_TESTS)

# Fuzzing: make fuzz runs each target of tests/fuzz/ for FUZZ_SECONDS over
# its corpus (tests/fuzz/corpus/NAME/); not part of check, whose t-fuzz
# only builds them and runs their seeds once.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,build/fuzz/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

build/fuzz/fuzz/%: build/fuzz/tests/fuzz/fuzz_%.o build/fuzz/tests/fuzz/fuzz.o $(LIB) | build/fuzz/fuzz/.
	$(CC) -pie $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $(filter %.o,$^) $(LIB) $(call PKG_LIBS,$(PKGS_UNIT))

fuzz-build: $(FUZZ_TARGETS)

fuzz:
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS)
.PHONY: fuzz fuzz-build

# tests/t-lint.sh runs cppcheck and clang-tidy with the flags of a build.
lint-flags:
	@echo $(filter -std=% -D_GNU_SOURCE,$(ALL_CFLAGS)) $(ALL_CPPFLAGS)
.PHONY: lint-flags

# valgrind: tests/check-valgrind.sh over a build of its own (VG=1).
check-valgrind:
	@$(MAKE) --no-print-directory VG=1 all
	@tests/check-valgrind.sh
.PHONY: check-valgrind

%/.:
	mkdir -p $@
.PRECIOUS: %/. $(BUILD)/%.o $(BUILD)/tests/unit/%.o

deps:
	@tests/deps.sh

# The benchmark report (bench/run.sh): every comparison against the Go
# helpers, on this machine, into bench/RESULTS.md and README.md.
bench: all
	@bench/run.sh
.PHONY: bench

check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory SAN=1 all unit
	@tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@tests/demo.sh

# Every file install puts, so that uninstall removes exactly those (and
# the credkit folder under LIBEXECDIR, its own): directories it shares with
# other programs (BINDIR, MANDIR/man1, ...) stay.
MAN1      := $(foreach h,$(HELPERS),helpers/$(h)/docker-credential-$(h).1)
MAN5      := man/credkit-config.5
INSTALLED := $(HELPERS:%=$(DESTDIR)$(BINDIR)/docker-credential-%) \
	     $(MINTERS:%=$(DESTDIR)$(LIBEXECDIR)/credkit/docker-credential-%-mint) \
	     $(HELPERS:%=$(DESTDIR)$(MANDIR)/man1/docker-credential-%.1) \
	     $(DESTDIR)$(MANDIR)/man5/credkit-config.5

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)/credkit \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 755 $(PROGRAMS) $(DESTDIR)$(BINDIR)/
	install -m 755 $(MINT_PROGRAMS) $(DESTDIR)$(LIBEXECDIR)/credkit/
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/

uninstall:
	rm -f $(INSTALLED)
	[ ! -d $(DESTDIR)$(LIBEXECDIR)/credkit ] || rmdir $(DESTDIR)$(LIBEXECDIR)/credkit

# Packages: .debs into build/deb/, .rpms into build/rpm/ (see packaging/).
deb:
	packaging/build-deb.sh $(VERSION) build/deb
rpm:
	packaging/build-rpm.sh $(VERSION) build/rpm
.PHONY: deb rpm

clean:
	rm -rf build bin libexec

-include $(shell find build -name '*.d' 2>/dev/null)
