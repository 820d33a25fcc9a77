# Check suites.  Unit suites (tests/unit/unit.mk) link the kernel's objects
# and drive a fresh struct kernel per test, without a socket; integration
# suites start a real umachd on a private socket and run tasks against it.
-include tests/unit/unit.mk

TEST_CFLAGS := $(CHECK_CFLAGS) -DUMACH_BUILD_DIR='"$(BUILD)"'
HARNESS_OBJS := $(BUILD)/tests/integration/harness.o

$(BUILD)/tests/integration/%.o: tests/integration/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -MMD -MP -c $< -o $@

INTEGRATION_SUITES := check_msg check_death check_tools check_monitor check_pset \
	check_examples check_tasks check_rights check_section check_lpc
INTEGRATION_SUITES += check_cthreads check_legacy
INTEGRATION_BINS := $(addprefix $(BUILD)/tests/integration/,$(INTEGRATION_SUITES))

$(INTEGRATION_BINS): %: %.o $(HARNESS_OBJS) $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) -lpthread

# The suites start these binaries, so they must exist first.
$(INTEGRATION_BINS): | $(BUILD)/umachd $(BUILD)/umach-netnamed $(BUILD)/umach-envmgrd \
	$(BUILD)/umach $(BUILD)/umach-cc $(BUILD)/examples/demo $(EXAMPLE_BINS)

CHECK_BINS += $(INTEGRATION_BINS)

# docs/tutorial.md, run as written (tools/run-tutorial.sh); CI runs it.
.PHONY: check-tutorial
check-tutorial: all
	BUILD=$(BUILD) sh tools/run-tutorial.sh

# Fuzz harnesses (T4) and the stress tier (make check-stress).
-include tests/fuzz/fuzz.mk
-include tests/stress/stress.mk
