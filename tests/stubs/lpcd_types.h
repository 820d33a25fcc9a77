/* Types of tests/stubs/lpcd.defs. */
#ifndef LPCD_TYPES_H
#define LPCD_TYPES_H
typedef char lpcd_text_t[256];
#endif
