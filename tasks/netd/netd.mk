# umach-netd, the network message server (docs/netd.md).  Its netname
# demux is the one umig generates for netnamed; HMAC-SHA256 is nettle's.
NETD_OBJS := $(addprefix $(BUILD)/tasks/netd/,netd.o proxy.o wire.o)

$(BUILD)/umach-netd: $(NETD_OBJS) $(BUILD)/gen/netname/netnameServer.o $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ -lnettle -lpthread

$(NETD_OBJS): $(BUILD)/gen/netname/netnameServer.h
$(NETD_OBJS): override CFLAGS += -I$(BUILD)/gen/netname

ALL_TARGETS += $(BUILD)/umach-netd

# check_netd: two kernels and two netds on 127.0.0.1, calling a server
# through the umig stubs of tests/integration/necho.defs.
NECHO_GEN := $(BUILD)/gen/necho
$(NECHO_GEN)/.stamp: tests/integration/necho.defs $(UMIG)
	@mkdir -p $(dir $@)
	$(UMIG) -user $(NECHO_GEN)/nechoUser.c -server $(NECHO_GEN)/nechoServer.c \
		-header $(NECHO_GEN)/necho.h -sheader $(NECHO_GEN)/nechoServer.h $<
	touch $@
$(addprefix $(NECHO_GEN)/,nechoUser.c nechoServer.c necho.h nechoServer.h): \
	$(NECHO_GEN)/.stamp ;
$(NECHO_GEN)/%.o: override CFLAGS += -Itests/integration

CHECK_NETD := $(BUILD)/tests/integration/check_netd
$(CHECK_NETD).o: $(NECHO_GEN)/.stamp
$(CHECK_NETD).o: override CFLAGS += -I$(NECHO_GEN) -Itests/integration -Itasks/netd
$(CHECK_NETD): $(CHECK_NETD).o $(NECHO_GEN)/nechoUser.o \
		$(NECHO_GEN)/nechoServer.o $(BUILD)/tests/integration/harness.o \
		$(BUILD)/tasks/netd/wire.o $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) -lnettle -lpthread
$(CHECK_NETD): | $(BUILD)/umachd $(BUILD)/umach-netnamed $(BUILD)/umach-netd \
	$(BUILD)/umach-envmgrd
CHECK_BINS += $(CHECK_NETD)

# make bench-netd: msg_rpc through two netds against plain TCP between the
# same endpoints (bench/netd.sh; not part of all or check).
$(BUILD)/bench/netd_rtt: $(BUILD)/bench/netd_rtt.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lpthread

.PHONY: bench-netd
bench-netd: $(BUILD)/bench/netd_rtt $(BUILD)/umachd $(BUILD)/umach-netnamed \
		$(BUILD)/umach-envmgrd $(BUILD)/umach-netd
	sh bench/netd.sh $(BUILD) $(or $(BENCH_NETD_N),2000) 64 | tee $(BUILD)/bench/netd.md
