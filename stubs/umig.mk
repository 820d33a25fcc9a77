# stubs/umig.mk: umig, the MIG-compatible stub generator, and its tests.
# Included by the top Makefile, which defines CC, CFLAGS, BUILD, CHECK_*
# and the $(BUILD)/%.o rule.  UMIG_OBJS are the stages without main.o, for
# tests and the fuzz harness to link.

UMIG_SRCS := stubs/lex.c stubs/parse.c stubs/check.c stubs/list.c \
	     stubs/emit_common.c stubs/emit_header.c stubs/emit_user.c \
	     stubs/emit_server.c stubs/emit_lpc.c
UMIG_OBJS := $(UMIG_SRCS:%.c=$(BUILD)/%.o)
UMIG      := $(BUILD)/umig

$(UMIG): $(UMIG_OBJS) $(BUILD)/stubs/main.o
	$(CC) $(LDFLAGS) -o $@ $^

ALL_TARGETS += $(UMIG)

# Interfaces compiled by umig at build time: the name server's user stubs
# go into libumach, its demux into umach-netnamed (tasks/tasks.mk).  One
# umig run writes all four files; the stamp stands for them.
UMIG_GEN := $(BUILD)/gen

$(UMIG_GEN)/netname/.stamp: tasks/netname/netname.defs $(UMIG)
	@mkdir -p $(dir $@)
	$(UMIG) -Iinclude -user $(UMIG_GEN)/netname/netnameUser.c \
		-server $(UMIG_GEN)/netname/netnameServer.c \
		-header $(UMIG_GEN)/netname/netname.h \
		-sheader $(UMIG_GEN)/netname/netnameServer.h $<
	touch $@

$(addprefix $(UMIG_GEN)/netname/,netnameUser.c netnameServer.c netname.h \
	netnameServer.h): $(UMIG_GEN)/netname/.stamp ;

$(UMIG_GEN)/%.o: $(UMIG_GEN)/%.c
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# Check suites.  They find umig through $UMIG, defaulting to the binary of
# this build tree, so `make check-asan` tests the ASan build.
UMIG_CHECKS := $(BUILD)/tests/stubs/check_umig_parse $(BUILD)/tests/stubs/check_umig_corpus \
	       $(BUILD)/tests/stubs/check_umig_golden $(BUILD)/tests/stubs/check_umig_emit
UMIG_TEST_DEFS := -DUMIG_PATH=\"$(UMIG)\" -DUMIG_FIXTURES=\"tests/stubs\" -Istubs

$(BUILD)/tests/stubs/%.o: tests/stubs/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) $(UMIG_TEST_DEFS) -MMD -MP -c $< -o $@

$(BUILD)/tests/stubs/check_umig_%: $(BUILD)/tests/stubs/check_umig_%.o $(UMIG_OBJS) | $(UMIG)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

CHECK_BINS += $(UMIG_CHECKS)

# Rewrites tests/stubs/golden after a deliberate change of the generated
# code (check_umig_golden compares against it).
.PHONY: umig-golden
umig-golden: $(UMIG)
	rm -rf tests/stubs/golden
	sh tests/stubs/golden.sh $(abspath $(UMIG)) tests/stubs/golden

# The round-trip suite: tests/stubs/rt.defs compiled by umig, client stubs
# and demux linked into one binary that runs against a live umachd.
$(UMIG_GEN)/rt/.stamp: tests/stubs/rt.defs $(UMIG)
	@mkdir -p $(dir $@)
	$(UMIG) -user $(UMIG_GEN)/rt/rtUser.c -server $(UMIG_GEN)/rt/rtServer.c \
		-header $(UMIG_GEN)/rt/rt.h -sheader $(UMIG_GEN)/rt/rtServer.h $<
	touch $@

$(addprefix $(UMIG_GEN)/rt/,rtUser.c rtServer.c rt.h rtServer.h): \
	$(UMIG_GEN)/rt/.stamp ;

$(UMIG_GEN)/rt/%.o: override CFLAGS += -Itests/stubs

STUBS_RT := $(BUILD)/tests/stubs/check_stubs_rt

$(BUILD)/tests/stubs/check_stubs_rt.o: $(UMIG_GEN)/rt/.stamp
$(BUILD)/tests/stubs/check_stubs_rt.o: override CFLAGS += -I$(UMIG_GEN)/rt \
	-Itests/stubs -Itests/integration -DUMACH_BUILD_DIR='"$(BUILD)"'

$(STUBS_RT): $(BUILD)/tests/stubs/check_stubs_rt.o $(UMIG_GEN)/rt/rtUser.o \
		$(UMIG_GEN)/rt/rtServer.o $(BUILD)/tests/integration/harness.o \
		$(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) -lpthread

$(STUBS_RT): | $(BUILD)/umachd $(BUILD)/umach-netnamed

CHECK_BINS += $(STUBS_RT)

# libFuzzer run over lex+parse+check (no cpp), seeded from tests/fuzz/umig_corpus.
FUZZ_SECONDS ?= 300
FUZZ_CC      ?= clang
UMIG_FUZZ    := build-fuzz/fuzz_umig_parse

.PHONY: fuzz-umig
fuzz-umig: $(UMIG_FUZZ)
	@mkdir -p build-fuzz/umig_corpus build-fuzz/umig_artifacts
	$(UMIG_FUZZ) -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		-artifact_prefix=build-fuzz/umig_artifacts/ \
		build-fuzz/umig_corpus tests/fuzz/umig_corpus

$(UMIG_FUZZ): tests/fuzz/fuzz_umig_parse.c $(UMIG_SRCS) stubs/umig.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -g -O1 \
		-fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -Istubs -o $@ \
		tests/fuzz/fuzz_umig_parse.c $(UMIG_SRCS)

CLEAN_EXTRA += build-fuzz

# The environment manager's interface: the client stubs (umach_gen_*,
# wrapped by lib/envmgr.c) go into libumach, the demux into umach-envmgrd.
$(UMIG_GEN)/env_mgr/.stamp: tasks/envmgr/env_mgr.defs $(UMIG)
	@mkdir -p $(dir $@)
	$(UMIG) -Iinclude -user $(UMIG_GEN)/env_mgr/env_mgrUser.c \
		-server $(UMIG_GEN)/env_mgr/env_mgrServer.c \
		-header $(UMIG_GEN)/env_mgr/env_mgr.h \
		-sheader $(UMIG_GEN)/env_mgr/env_mgrServer.h $<
	touch $@

$(addprefix $(UMIG_GEN)/env_mgr/,env_mgrUser.c env_mgrServer.c env_mgr.h \
	env_mgrServer.h): $(UMIG_GEN)/env_mgr/.stamp ;

# The same interface as RPC and as LPC (umig -lpc): tests/stubs/lpcd.defs,
# its user, server and LPC stubs linked into one binary.
$(UMIG_GEN)/lpcd/.stamp: tests/stubs/lpcd.defs $(UMIG)
	@mkdir -p $(dir $@)
	$(UMIG) -user $(UMIG_GEN)/lpcd/lpcdUser.c \
		-server $(UMIG_GEN)/lpcd/lpcdServer.c \
		-header $(UMIG_GEN)/lpcd/lpcd.h -sheader $(UMIG_GEN)/lpcd/lpcdServer.h \
		-lpc $(UMIG_GEN)/lpcd/lpcdLpc.c -lpcheader $(UMIG_GEN)/lpcd/lpcd_lpc.h $<
	touch $@

$(addprefix $(UMIG_GEN)/lpcd/,lpcdUser.c lpcdServer.c lpcd.h lpcdServer.h \
	lpcdLpc.c lpcd_lpc.h): $(UMIG_GEN)/lpcd/.stamp ;

$(UMIG_GEN)/lpcd/%.o: override CFLAGS += -Itests/stubs

STUBS_LPC := $(BUILD)/tests/stubs/check_stubs_lpc

$(BUILD)/tests/stubs/check_stubs_lpc.o: $(UMIG_GEN)/lpcd/.stamp
$(BUILD)/tests/stubs/check_stubs_lpc.o: override CFLAGS += -I$(UMIG_GEN)/lpcd \
	-Itests/stubs -Itests/integration -DUMACH_BUILD_DIR='"$(BUILD)"'

$(STUBS_LPC): $(BUILD)/tests/stubs/check_stubs_lpc.o \
		$(UMIG_GEN)/lpcd/lpcdUser.o $(UMIG_GEN)/lpcd/lpcdServer.o \
		$(UMIG_GEN)/lpcd/lpcdLpc.o $(BUILD)/tests/integration/harness.o \
		$(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) -lpthread

$(STUBS_LPC): | $(BUILD)/umachd $(BUILD)/umach-netnamed

CHECK_BINS += $(STUBS_LPC)
