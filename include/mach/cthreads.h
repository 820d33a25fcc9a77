/* Mach 2.5 <mach/cthreads.h>: the same C threads as <cthreads.h>. */
#include <cthreads.h>
