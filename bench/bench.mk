# bench/bench.mk: `make bench` measures the established IPC mechanisms
# (and, once bench/umach_peer.c exists, umach) with one harness and writes
# bench/results/latest.md and bench/results/rtt.png; see docs/PERFORMANCE.md.
# `make bench-quick` is a smoke run of a few seconds into $(BUILD)/bench/quick.
# Neither is part of `all` or `check`: nothing here asserts a time.

BENCH_BIN  := $(BUILD)/bench/peers
BENCH_SRCS := bench/main.c bench/driver.c bench/report.c bench/support.c \
              bench/peers.c bench/peer_pipe.c bench/peer_socket.c \
              bench/peer_posixmq.c bench/peer_sysvmq.c bench/peer_dbus.c
BENCH_CFLAGS :=
BENCH_LIBS   := $(shell pkg-config --libs dbus-1 2>/dev/null || echo -ldbus-1) -lrt
BENCH_DEPS   :=
BENCH_ARGS   ?=
BENCH_COMMIT  = $(shell git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)

# umach rows (driver.h, "HOW TO ADD A PEER"): built as soon as
# bench/umach_peer.c exists and lib/lib.mk defines libumach (LIB_A).  Its
# author adds what else the rows need (e.g. the umachd binary) to BENCH_DEPS.
ifneq ($(wildcard bench/umach_peer.c),)
ifdef LIB_A
BENCH_SRCS   += bench/umach_peer.c
BENCH_CFLAGS += -DBENCH_HAVE_UMACH
BENCH_LIBS   := $(LIB_A) $(BENCH_LIBS) -lpthread
BENCH_DEPS   += $(LIB_A) $(BUILD)/umachd $(BUILD)/umach-netnamed
# The peer starts its own umachd (which boots umach-netnamed) from here.
$(BUILD)/bench/umach_peer.o: CFLAGS += -DUMACH_BUILD_DIR='"$(abspath $(BUILD))"'
# main.c lists the umach rows only under BENCH_HAVE_UMACH: rebuild it when
# the peer file appears.
$(BUILD)/bench/main.o: bench/umach_peer.c
# The umach-stubs row calls through the stubs umig generates from
# bench/bench.defs (64 bytes in, 64 out).
BENCH_GEN    := $(BUILD)/gen/bench
$(BENCH_GEN)/.stamp: bench/bench.defs $(UMIG)
	@mkdir -p $(dir $@)
	$(UMIG) -Ibench -user $(BENCH_GEN)/benchUser.c \
		-server $(BENCH_GEN)/benchServer.c -header $(BENCH_GEN)/bench.h \
		-sheader $(BENCH_GEN)/benchServer.h $<
	touch $@
$(addprefix $(BENCH_GEN)/,benchUser.c benchServer.c bench.h benchServer.h): \
	$(BENCH_GEN)/.stamp ;
$(BENCH_GEN)/%.o: override CFLAGS += -Ibench
$(BUILD)/bench/umach_peer.o: $(BENCH_GEN)/.stamp
$(BUILD)/bench/umach_peer.o: CFLAGS += -I$(BENCH_GEN) -Ibench
BENCH_GEN_OBJS := $(BENCH_GEN)/benchUser.o $(BENCH_GEN)/benchServer.o
endif
endif

BENCH_OBJS := $(BENCH_SRCS:%.c=$(BUILD)/%.o)
$(BENCH_OBJS): CFLAGS += $(BENCH_CFLAGS)
$(BUILD)/bench/peer_dbus.o: CFLAGS += $(shell pkg-config --cflags dbus-1 2>/dev/null)

$(BENCH_BIN): $(BENCH_OBJS) $(BENCH_GEN_OBJS) $(BENCH_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(BENCH_OBJS) $(BENCH_GEN_OBJS) $(BENCH_LIBS)

# Plot $(1)/rtt-*.dat into $(2), or say why not.
define bench_plot
	@if command -v gnuplot >/dev/null 2>&1; then \
	  gnuplot -e "datadir='$(1)'; out='$(2)'" bench/rtt.gp && \
	  echo "bench: wrote $(2)"; \
	else \
	  echo "bench: gnuplot not found, so no plot (apt-get install gnuplot-nox)"; \
	fi
endef

.PHONY: bench bench-quick
bench: $(BENCH_BIN)
	@mkdir -p $(BUILD)/bench bench/results
	@rm -f $(BUILD)/bench/rtt-*.dat
	$(BENCH_BIN) --commit=$(BENCH_COMMIT) --out bench/results/latest.md \
	  --dat-dir $(BUILD)/bench $(BENCH_ARGS)
	$(call bench_plot,$(BUILD)/bench,bench/results/rtt.png)

bench-quick: $(BENCH_BIN)
	@mkdir -p $(BUILD)/bench/quick
	@rm -f $(BUILD)/bench/quick/rtt-*.dat
	$(BENCH_BIN) --quick --commit=$(BENCH_COMMIT) \
	  --out $(BUILD)/bench/quick/latest.md --dat-dir $(BUILD)/bench/quick \
	  $(BENCH_ARGS)
	$(call bench_plot,$(BUILD)/bench/quick,$(BUILD)/bench/quick/rtt.png)

# `make bench-scale` (issue #6 item 2): how umachd's costs grow with
# clients, ports and tasks; writes bench/results/scale.md.  A separate
# program from `make bench`; see docs/PERFORMANCE.md "Scale".
ifdef LIB_A
SCALE_BIN  := $(BUILD)/bench/scale
SCALE_SRCS := bench/scale.c bench/scale_mem.c bench/scale_main.c
SCALE_OBJS := $(SCALE_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/bench/support.o
$(BUILD)/bench/scale.o: CFLAGS += -DUMACH_BUILD_DIR='"$(abspath $(BUILD))"'

$(SCALE_BIN): $(SCALE_OBJS) $(LIB_A) $(BUILD)/umachd $(BUILD)/umach-netnamed
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(SCALE_OBJS) $(LIB_A) -lpthread -lrt

.PHONY: bench-scale bench-scale-quick
bench-scale: $(SCALE_BIN)
	@mkdir -p bench/results
	$(SCALE_BIN) --commit=$(BENCH_COMMIT) --out bench/results/scale.md

bench-scale-quick: $(SCALE_BIN)
	@mkdir -p $(BUILD)/bench/quick
	$(SCALE_BIN) --quick --commit=$(BENCH_COMMIT) \
	  --out $(BUILD)/bench/quick/scale.md
endif
