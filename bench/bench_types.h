/* The C types of bench/bench.defs. */
#ifndef BENCH_TYPES_H
#define BENCH_TYPES_H
typedef char bench_bytes_t[64];
#endif
