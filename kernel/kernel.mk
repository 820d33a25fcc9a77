# umachd, the kernel process.  KERNEL_OBJS (everything but main.o) is also
# linked into the kernel unit tests, which drive a kernel without a socket.
KERNEL_SRCS := act.c boot.c fail.c hmap.c kernel.c kmsg.c ktask.c loop.c monitor.c msgq.c \
	notify.c ool.c port.c pset.c space.c sys_msg.c sys_port.c sys_task.c \
	sys_thread.c syscall.c trace.c section.c
KERNEL_OBJS := $(addprefix $(BUILD)/kernel/,$(KERNEL_SRCS:.c=.o))

$(BUILD)/umachd: $(KERNEL_OBJS) $(BUILD)/kernel/main.o
	$(CC) $(LDFLAGS) -o $@ $^

ALL_TARGETS += $(BUILD)/umachd
