# Kernel unit suites: each links the kernel's objects (not main.o) and the
# helpers in kt.c, and drives a fresh struct kernel per test without a
# socket (STYLE Tests).  Included by tests/tests.mk.
UNIT_SUITES := check_abi check_hmap check_space check_msgq check_port check_pset \
	check_task check_limits check_rights
UNIT_BINS   := $(addprefix $(BUILD)/tests/unit/,$(UNIT_SUITES))
UNIT_CFLAGS := $(CHECK_CFLAGS) -Ikernel
UNIT_OBJS   := $(BUILD)/tests/unit/kt.o

$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(UNIT_CFLAGS) -MMD -MP -c $< -o $@

$(UNIT_BINS): %: %.o $(UNIT_OBJS) $(KERNEL_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

CHECK_BINS += $(UNIT_BINS)
