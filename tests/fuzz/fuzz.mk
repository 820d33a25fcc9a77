# Kernel fuzz harnesses (T4): libFuzzer targets over the kernel's message
# validator and call path, built with clang, ASan and UBSan from the
# kernel's sources in build-fuzz/.  `make fuzz-kernel` runs each for
# FUZZ_SECONDS (300 by default); `make fuzz-kernel-smoke` for
# FUZZ_SMOKE_SECONDS (20), as check-stress does.  Seeds: tests/fuzz/*_corpus.
# Included by tests/tests.mk.  FUZZ_CC and FUZZ_SECONDS come from stubs/umig.mk.
FUZZ_SMOKE_SECONDS ?= 20
KFUZZ_TARGETS := fuzz_kmsg fuzz_syscall
KFUZZ_BINS    := $(addprefix build-fuzz/,$(KFUZZ_TARGETS))
KFUZZ_SRCS    := $(addprefix kernel/,$(KERNEL_SRCS)) tests/fuzz/fuzz_kernel.c

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(KFUZZ_SRCS) tests/fuzz/fuzz_kernel.h \
		kernel/kernel.h include/umach/abi.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -g -O1 \
		-fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -Iinclude -Ikernel -Itests/fuzz \
		-o $@ $< $(KFUZZ_SRCS)

.PHONY: fuzz-kernel fuzz-kernel-smoke
fuzz-kernel: $(KFUZZ_BINS)
	@rc=0; for t in $(KFUZZ_TARGETS); do \
		sh tests/fuzz/run-fuzz.sh build-fuzz/$$t $(FUZZ_SECONDS) \
			tests/fuzz/$${t#fuzz_}_corpus || rc=1; done; exit $$rc

fuzz-kernel-smoke: $(KFUZZ_BINS)
	@rc=0; for t in $(KFUZZ_TARGETS); do \
		sh tests/fuzz/run-fuzz.sh build-fuzz/$$t $(FUZZ_SMOKE_SECONDS) \
			tests/fuzz/$${t#fuzz_}_corpus || rc=1; done; exit $$rc
