# umach: one non-recursive make.  Each part of the tree describes its own
# outputs in a fragment (<part>/<part>.mk) that this file includes; there is
# still a single make process and a single dependency graph (docs/ARCHITECTURE.md).
# Every output goes to build/.

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   := build

WARN    := -Wall -Wextra -Werror
# CFLAGS on the command line only sets optimisation and debug flags; what
# the build needs is added with override, so it is never lost.
CFLAGS  ?= -O2 -g
override CFLAGS += -std=c11 $(WARN) -D_GNU_SOURCE -fPIC -Iinclude
LDFLAGS ?=
SAN     ?=
override CFLAGS += $(SAN)
override LDFLAGS += $(SAN)

CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)
FFI_LIBS     := $(shell pkg-config --libs libffi 2>/dev/null || echo -lffi)

# Fragments append to these.
ALL_TARGETS :=
CHECK_BINS  :=   # Check suites run by `make check`, in order
CLEAN_EXTRA :=

.PHONY: all check check-asan valgrind install clean format
all:

-include kernel/kernel.mk
-include lib/lib.mk
-include stubs/umig.mk
-include tools/tools.mk
-include tasks/tasks.mk
-include tests/tests.mk
-include bench/bench.mk

all: $(ALL_TARGETS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# Run every Check suite; each prints its own closing line, and the runner
# prints one summary line "N passed, N failed" over all suites.
check: all $(CHECK_BINS)
	@sh tests/run-suites.sh $(CHECK_BINS)

# The same suites built with AddressSanitizer and UBSan, in a separate tree.
check-asan:
	$(MAKE) BUILD=build-asan SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" CFLAGS="-O1 -g" check

valgrind: all $(CHECK_BINS)
	@UMACH_VALGRIND=1 CK_FORK=no sh tests/run-suites.sh $(CHECK_BINS)

# Binaries, headers, libumach (static and shared), umach.pc and man pages.
INSTALL_BIN := umachd umach-netnamed umach-envmgrd umach-netd umach umig
INSTALL_HDRS := $(shell cd include && find . -name '*.h')
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 755 $(addprefix $(BUILD)/,$(INSTALL_BIN)) $(DESTDIR)$(PREFIX)/bin/
	sed -e 's|@INCDIR@|$(PREFIX)/include|' -e 's|@LIBDIR@|$(PREFIX)/lib|' -e 's|@EXTRA@||' \
		tools/umach-cc.in > $(DESTDIR)$(PREFIX)/bin/umach-cc
	chmod 755 $(DESTDIR)$(PREFIX)/bin/umach-cc
	cd include && for h in $(INSTALL_HDRS); do \
		install -D -m 644 $$h $(DESTDIR)$(PREFIX)/include/$$h; done
	install -m 644 $(BUILD)/libumach.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/libumach.so $(DESTDIR)$(PREFIX)/lib/libumach.so.1
	ln -sf libumach.so.1 $(DESTDIR)$(PREFIX)/lib/libumach.so
	sed -e 's|@PREFIX@|$(PREFIX)|' tools/umach.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/umach.pc
	install -m 644 docs/man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 docs/man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/

clean:
	rm -rf build build-asan $(CLEAN_EXTRA)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')
