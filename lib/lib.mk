# libumach, static and shared.  Only region.c does pointer arithmetic on
# the shared channel (STYLE, the shared-memory protocol).
LIB_SRCS := attach.c error.c kcalls.c msg.c netname.c ool.c region.c thread.c vm.c
LIB_SRCS += cthreads.c cthread_sync.c
LIB_OBJS := $(addprefix $(BUILD)/lib/,$(LIB_SRCS:.c=.o))
LIB_A    := $(BUILD)/libumach.a
LIB_SO   := $(BUILD)/libumach.so

$(LIB_A): $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(LIB_SO): $(LIB_OBJS)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libumach.so.1 -o $@ $^ -lpthread

ALL_TARGETS += $(LIB_A) $(LIB_SO)
