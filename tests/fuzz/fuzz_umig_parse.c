/*
 * fuzz_umig_parse.c: libFuzzer harness for umig's front end.  Each input
 * is fed, without cpp, through lex -> parse -> check (check_source) and,
 * when it checks clean, through the -list writer; diagnostics go nowhere.
 * Build and run with `make fuzz-umig` (clang, ASan, UBSan); seeds live in
 * tests/fuzz/umig_corpus.
 */
#include <stdint.h>
#include <stdio.h>

#include "umig.h"

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
			fclose(null);
		}
	}
	umig_arena_fini(&arena);
	return 0;
}
