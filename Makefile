# memplug top-level Makefile.
#
#   make deps    install the Debian packages memplug needs (idempotent)
#   make         build the module, the userspace programs and the selftests
#   make check   build, then run the host tests and the in-VM tests
#   make lint    the static checks alone (selftests/lint/; also host tests of make check)
#   make check-fresh  'make check' in a fresh Debian 12 root (mmdebstrap), as CI does
#   make deb     Debian packages (memplug, memplug-dkms) in build/deb/
#   make check-deb  install them in a fresh Debian 12 root and use them in the test VM
#   make demo    build, boot the test VM and show memplug working
#
# Each directory contributes a fragment (DIR/build.mk or DIR/SUB/build.mk) that appends to
# PROGS (userspace programs), HOST_TESTS (TAP programs run here),
# HOST_BESIDE_TESTS (host tests that mostly wait on an idle test VM, run
# beside the VM suites), LINT_TESTS (static checks, TAP programs run here
# too) and VM_TESTS (TAP programs run inside the test VM by selftests/vm-run).

# Expanded when a recipe first uses it, never when make reads this file: on a
# fresh machine no kernel is installed until deps-quiet has run.
KVER = $(eval KVER := $$(shell scripts/kver))$(KVER)
KDIR = /lib/modules/$(KVER)/build
B := build
# SANITIZE=1: the userspace programs and tests with ASan and UBSan, in build-san/.
# UBSan aborts too, as ASan does: a report on a stderr that a test throws
# away would otherwise pass unseen.
ifeq ($(SANITIZE),1)
B := build-san
SANITIZE_CFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
endif

CC := gcc
CFLAGS := -O2 -g -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -std=gnu11 \
	-D_GNU_SOURCE -Iuapi -Iinclude -I$(B)/ksft $(SANITIZE_CFLAGS)
LIBNL_CFLAGS = $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null)
LIBNL_LIBS = $(shell pkg-config --libs libnl-genl-3.0 2>/dev/null)
JSON_CFLAGS = $(shell pkg-config --cflags json-c 2>/dev/null)
JSON_LIBS = $(shell pkg-config --libs json-c 2>/dev/null)
# The version, defined once: debian/changelog's first entry (--version, man pages).
MEMPLUG_VERSION := $(shell sed -n '1s/^[^ ]* (\([^ ]*\)) .*/\1/p' debian/changelog)
CFLAGS += -DMEMPLUG_VERSION='"$(MEMPLUG_VERSION)"'
# where the tests find the programs they start (build/ or build-san/)
CFLAGS += -DMEMPLUG_BUILD_DIR='"$(B)"'

PROGS :=
HOST_TESTS :=
HOST_BESIDE_TESTS :=
LINT_TESTS :=
VM_TESTS :=
STRESS_TESTS :=

all: deps-quiet

# make -j on a fresh machine: no rule may run before the packages (gcc,
# libnl's headers, the kernel) are in.  Make remakes the makefiles it
# includes first, alone, and then starts over: this one is the stamp of a
# scripts/deps run.  The deps-quiet prerequisites still check each time.
# NO_DEPS=1 leaves both out: a package build (debian/rules) has its
# Build-Depends and must not run apt-get.
ifneq ($(NO_DEPS),1)
ifneq ($(filter-out clean deps check-fresh,$(or $(MAKECMDGOALS),all)),)
include $(B)/deps.mk
endif
endif
$(B)/deps.mk: scripts/deps
	@scripts/deps
	@mkdir -p $(dir $@) && echo '# scripts/deps has run (the top Makefile)' > $@

# lib/: what the programs share (the netlink client, the JSON schema, the
# VMM protocol, SCM_RIGHTS), one static library that each links; before
# the fragments, which use these names in their prerequisites.  A program
# gets only the objects it calls: the VMM needs no libnl.
LIBMEMPLUG := $(B)/lib/libmemplug.a
LIBMEMPLUG_OBJS := $(patsubst lib/%.c,$(B)/lib/%.o,$(wildcard lib/*.c))
LIBMEMPLUG_HDRS := $(wildcard include/memplug/*.h) uapi/linux/memplug.h
$(LIBMEMPLUG_OBJS): $(B)/lib/%.o: lib/%.c $(LIBMEMPLUG_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LIBNL_CFLAGS) -c -o $@ $<
$(LIBMEMPLUG): $(LIBMEMPLUG_OBJS)
	$(AR) rcs $@ $^

include $(wildcard */build.mk */*/build.mk)
HOST_TESTS += $(LINT_TESTS)

all: $(PROGS) $(HOST_TESTS) $(VM_TESTS) module

deps:
	@scripts/deps

# Targets that build call this first: a no-op when everything is installed.
deps-quiet:
	@[ "$(NO_DEPS)" = 1 ] || scripts/deps

# The kselftest harness comes from Debian's linux-source-6.1 tarball at
# build time (GPL-2.0, never committed).
KSFT_SRC := /usr/src/linux-source-6.1.tar.xz
$(B)/ksft/kselftest_harness.h: | deps-quiet
	@mkdir -p $(B)/ksft
	tar -xJf $(KSFT_SRC) -C $(B)/ksft --strip-components=4 \
		--wildcards '*/tools/testing/selftests/kselftest*.h'
	@touch $@

module: deps-quiet
	@if [ -n "$$(ls module/*.c 2>/dev/null)" ]; then \
		$(MAKE) -C $(KDIR) M=$(CURDIR) modules; fi

module-check: deps-quiet
	scripts/module-check $(KDIR)

# the static checks (selftests/lint/build.mk): seconds, not the VM's minutes
lint: deps-quiet $(LINT_TESTS)
	MEMPLUG_BUILD=$(B) selftests/run-tests $(LINT_TESTS)

check: all
	MEMPLUG_BUILD=$(B) scripts/check $(addprefix --beside ,$(HOST_BESIDE_TESTS)) \
		$(HOST_TESTS) -- $(VM_TESTS)

# the data-integrity stress run (selftests/stress), in the test VM
check-stress: all $(STRESS_TESTS)
	MEMPLUG_BUILD=$(B) scripts/check -- $(STRESS_TESTS)

# 'make check' as the README says, in a fresh Debian 12 root (what CI runs)
check-fresh:
	scripts/check-fresh

# Debian packages memplug and memplug-dkms in build/deb/, lintian-checked
deb: deps-quiet
	scripts/deb

# the packages installed in a fresh Debian 12 root, used in the test VM there
check-deb: deb
	scripts/check-deb

demo: all
	scripts/demo

clean:
	rm -rf $(B)
	@if [ -d $(KDIR) ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi

.PHONY: all deps deps-quiet module module-check lint check check-stress check-fresh deb check-deb demo clean
