# The stress tier (T1-T3, T7, T8 of reference reliability.md): small C
# drivers in tests/stress/, each run under a hard wall-clock guard by
# run-stress.sh and printing one figures line.  `make check-stress` builds
# the ASan+UBSan tree (as check-asan does) and runs the PR tier there plus
# the kernel fuzz smoke run; `make check-soak` runs the nightly lengths.
# Trial counts and durations are UMACH_STRESS_* variables (docs/SECURITY.md).
# Included by tests/tests.mk.
STRESS_DRIVERS := t1_chaos t2_kdeath t3_scribble t7_quota t8_perm
STRESS_BINS    := $(addprefix $(BUILD)/tests/stress/,$(STRESS_DRIVERS))
STRESS_OBJS    := $(BUILD)/tests/stress/stress.o

$(BUILD)/tests/stress/%.o: tests/stress/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ikernel -DUMACH_BUILD_DIR='"$(BUILD)"' -MMD -MP -c $< -o $@

$(STRESS_BINS): %: %.o $(STRESS_OBJS) $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ -lpthread

STRESS_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

.PHONY: check-stress check-soak stress-run
check-stress:
	$(MAKE) BUILD=build-asan SAN="$(STRESS_SAN)" CFLAGS="-O1 -g" stress-run
	$(MAKE) fuzz-kernel-smoke

check-soak:
	UMACH_STRESS_T1_TRIALS=20000 UMACH_STRESS_T2_TRIALS=2000 \
	UMACH_STRESS_T3_SECONDS=600 UMACH_STRESS_GUARD=5400 \
		$(MAKE) BUILD=build-asan SAN="$(STRESS_SAN)" CFLAGS="-O1 -g" stress-run
	$(MAKE) FUZZ_SECONDS=3600 fuzz-kernel fuzz-umig

stress-run: all $(STRESS_BINS)
	@sh tests/stress/run-stress.sh $(STRESS_BINS)
