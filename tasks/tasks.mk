# Services and example tasks: each links libumach (static, so that an
# installed binary needs nothing beside it).
$(BUILD)/umach-netnamed: $(BUILD)/tasks/netname/netnamed.o $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ -lpthread

ALL_TARGETS += $(BUILD)/umach-netnamed

$(BUILD)/examples/demo: $(BUILD)/tasks/demo/demo.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lpthread

ALL_TARGETS += $(BUILD)/examples/demo

# The concept examples (tasks/examples/README.md), each started by a
# scenario file with `umach up`.
EXAMPLES := bounded_buffer fullbox deadport portpipe mailslot
EXAMPLE_BINS := $(addprefix $(BUILD)/examples/,$(EXAMPLES))

$(EXAMPLE_BINS): $(BUILD)/examples/%: $(BUILD)/tasks/examples/%.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lpthread

ALL_TARGETS += $(EXAMPLE_BINS)

# The README's main job: the demo on a private kernel, traced; the trace
# goes to stderr and the chart to $(BUILD)/demo.msc (and .png, if mscgen
# is installed).  The demo itself times 10,000 round trips untraced.
.PHONY: demo
demo: all
	$(BUILD)/umach run $(BUILD)/examples/demo
	@echo
	@echo "== the same tour with 5 round trips, traced (umach run --trace) =="
	$(BUILD)/umach run --trace --msc $(BUILD)/demo.msc $(BUILD)/examples/demo 5 >/dev/null
	@if command -v mscgen >/dev/null; then \
		mscgen -T png -i $(BUILD)/demo.msc -o $(BUILD)/demo.png && \
		echo "sequence chart: $(BUILD)/demo.png"; \
	else echo "install mscgen to render $(BUILD)/demo.msc"; fi

$(BUILD)/umach-envmgrd: $(BUILD)/tasks/envmgr/envmgrd.o $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ -lpthread

ALL_TARGETS += $(BUILD)/umach-envmgrd
