# Services and example tasks: each links libumach (static, so that an
# installed binary needs nothing beside it).
$(BUILD)/umach-netnamed: $(BUILD)/tasks/netname/netnamed.o $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ -lpthread

ALL_TARGETS += $(BUILD)/umach-netnamed

$(BUILD)/examples/demo: $(BUILD)/tasks/demo/demo.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lpthread

ALL_TARGETS += $(BUILD)/examples/demo

.PHONY: demo
demo: all
	$(BUILD)/umach run $(BUILD)/examples/demo

$(BUILD)/umach-envmgrd: $(BUILD)/tasks/envmgr/envmgrd.o $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ -lpthread

ALL_TARGETS += $(BUILD)/umach-envmgrd
