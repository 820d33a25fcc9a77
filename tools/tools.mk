# The command-line tools: umach (C) and umach-cc (a shell wrapper made
# from umach-cc.in with the build tree's paths; `make install` writes one
# with the installed paths).
TOOL_OBJS := $(addprefix $(BUILD)/tools/,umach.o mon.o show.o trace.o up.o)

$(BUILD)/umach: $(TOOL_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^

$(BUILD)/umach-cc: tools/umach-cc.in
	@mkdir -p $(dir $@)
	sed -e 's|@INCDIR@|$(CURDIR)/include|' -e 's|@LIBDIR@|$(CURDIR)/$(BUILD)|' \
		-e 's|@EXTRA@|$(SAN)|' $< > $@
	chmod +x $@

ALL_TARGETS += $(BUILD)/umach $(BUILD)/umach-cc
