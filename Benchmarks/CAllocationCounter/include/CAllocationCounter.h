#ifndef C_ALLOCATION_COUNTER_H
#define C_ALLOCATION_COUNTER_H

#include <stdint.h>

/// How many heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc,
/// memalign) the whole process made since it started.
///
/// This module exists because Swift cannot replace libc's allocator: it defines those
/// functions, counts each call and forwards it to glibc's own (`__libc_malloc` and friends).
/// An executable's definitions take precedence over libc's for every shared library, so the
/// Swift runtime's allocations are counted too. Link it only into a benchmark executable.
uint64_t c_allocation_counter_allocations(void);

#endif
