/*
 * mach_error_string() and mach_error(): names for every return code, from
 * the one list in <umach/status.h>.
 */
#include <stdio.h>

#include <mach.h>

#define UMACH__STATUS_CASE(name, value, text) case (value): return (char *)(text);

char *mach_error_string(mach_error_t error_value)
{
	switch (error_value) {
	UMACH_STATUS_MAP(UMACH__STATUS_CASE)
	default:
		return (char *)"(unknown) unknown error code";
	}
}

/* Print "str error-text (code)" on stderr, as Mach's mach_error does. */
void mach_error(char *str, mach_error_t error_value)
{
	fprintf(stderr, "%s %s (%d)\n", str ? str : "",
		mach_error_string(error_value), error_value);
}
