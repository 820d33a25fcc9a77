/*
 * fuzz_umig_parse.c: libFuzzer harness for umig's front end.  Each input
 * is fed, without cpp, through lex -> parse -> check (check_source) and,
 * when it checks clean, through the -list writer and the four code
 * emitters (into /dev/null); diagnostics go nowhere.
 * Build and run with `make fuzz-umig` (clang, ASan, UBSan); seeds live in
 * tests/fuzz/umig_corpus.
 */
#include <stdint.h>
#include <stdio.h>

#include "emit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct umig_arena arena = { 0 };
	struct umig_diag diag = { NULL, 0 };
	struct umig_spec spec;

	check_source(&arena, &diag, (const char *)data, size, "fuzz.defs", &spec);
	if (diag.errors == 0) {
		FILE *null = fopen("/dev/null", "w");
		if (null != NULL) {
			emit_list(&spec, null);
			emit_header(&diag, &spec, null);
			emit_sheader(&diag, &spec, null);
			emit_user(&diag, &spec, null);
			emit_server(&diag, &spec, null);
			fclose(null);
		}
	}
	umig_arena_fini(&arena);
	return 0;
}
