#ifndef C_ALLOCATION_COUNTER_H
#define C_ALLOCATION_COUNTER_H

#include <stdint.h>

/// How many heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc,
/// memalign, pvalloc) the whole process made since it started.
///
/// This module exists because Swift cannot replace the allocator: it defines those functions,
/// counts each call and forwards it to jemalloc's own entry points (`mallocx` and friends), as
/// `workflowd`, which links jemalloc, allocates; they behave as jemalloc's (an alignment that is
/// not a power of two is refused, not rounded up as glibc does). An executable's definitions
/// take precedence over every shared library's, so the Swift runtime's allocations are counted
/// too; the functions it leaves alone (`malloc_usable_size`, `valloc`) are jemalloc's. Link it
/// only into a benchmark executable.
uint64_t c_allocation_counter_allocations(void);

#endif
