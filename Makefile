# SPDX-License-Identifier: GPL-2.0
#
# mtier: top-level build.  The module is built by kbuild (see Kbuild), the
# command-line tool by user/Makefile.
#
#   make              module and CLI
#   make deps         install every Debian package build, tests and demo need
#   make check        everything a change must pass (runs make deps if needed)
#   make check-debug  the selftests that reach the most kernel code, on a
#                     KASAN/lockdep/kmemleak/fault-injection debug kernel
#   make check-full   every selftest on that debug kernel (run it, after
#                     make check, before resolving an issue)
#   make demo         mtier at work on a two-VM SoftRoCE cluster
#   make bench        mtier against the raw link, brd and nvme-rdma, replication
#   make checkstyle   checkpatch --strict and sparse on the kernel sources
#   make regen        regenerate netlink code and docs from the YAML spec
#   make install      module, CLI and man page

KDIR ?= $(shell $(CURDIR)/scripts/kdir)
KREL := $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
VERSION := $(shell cat $(CURDIR)/VERSION)
PREFIX ?= /usr/local
DESTDIR ?=

KBUILD := $(MAKE) -C $(KDIR) M=$(CURDIR) W=1 MTIER_VERSION=$(VERSION)

.PHONY: all module cli deps check check-debug check-full checkstyle regen regen-check install \
	uninstall clean demo bench selftests unit

all: module cli

module:
	$(KBUILD) modules

cli:
	$(MAKE) -C user

selftests:
	$(MAKE) -C selftests

deps:
	@scripts/deps

check:
	@scripts/check

check-debug:
	@scripts/check --debug

check-full:
	@scripts/check --debug --full

demo:
	@scripts/deps --quiet
	@$(MAKE) --no-print-directory all selftests
	@scripts/demo

bench:
	@scripts/deps --quiet
	@$(MAKE) --no-print-directory all selftests
	@scripts/bench

checkstyle:
	@scripts/checkstyle

regen:
	@scripts/ynl-regen

regen-check:
	@scripts/ynl-regen --check

install: all
	$(KBUILD) modules_install INSTALL_MOD_PATH=$(DESTDIR)
	$(MAKE) -C user install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	install -D -m 0644 include/uapi/linux/mtier.h \
		$(DESTDIR)$(PREFIX)/include/linux/mtier.h

uninstall:
	rm -f $(DESTDIR)/lib/modules/$(KREL)/updates/mtier.ko*
	$(MAKE) -C user uninstall PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	rm -f $(DESTDIR)$(PREFIX)/include/linux/mtier.h

clean:
	-$(KBUILD) clean
	$(MAKE) -C user clean
	$(MAKE) -C selftests clean
