# Services and example tasks: each links libumach (static, so that an
# installed binary needs nothing beside it).
$(BUILD)/umach-netnamed: $(BUILD)/tasks/netname/netnamed.o $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ -lpthread

ALL_TARGETS += $(BUILD)/umach-netnamed
