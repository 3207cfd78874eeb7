#include "CAllocationCounter.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <strings.h>

// jemalloc's own entry points (linked with the target), which stay callable under these names
// while this file defines the standard ones.
extern void *mallocx(size_t size, int flags);
extern void *rallocx(void *pointer, size_t size, int flags);
extern void dallocx(void *pointer, int flags);

// jemalloc's flags (<jemalloc/jemalloc.h>): zeroed memory, and the alignment as its log2.
#define ALLOCATION_ZEROED 0x40
#define ALLOCATION_ALIGNED(alignment) (ffsl((long)(alignment)) - 1)

static _Atomic uint64_t allocations;

static inline void count_allocation(void) {
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
}

uint64_t c_allocation_counter_allocations(void) {
    return atomic_load_explicit(&allocations, memory_order_relaxed);
}

/// `mallocx`, which must not get a size of 0, as `malloc` may; sets errno when out of memory.
static void *allocate(size_t size, int flags) {
    void *pointer = mallocx(size == 0 ? 1 : size, flags);
    if (pointer == NULL) {
        errno = ENOMEM;
    }
    return pointer;
}

static inline int is_power_of_two(size_t value) {
    return value != 0 && (value & (value - 1)) == 0;
}

void *malloc(size_t size) {
    count_allocation();
    return allocate(size, 0);
}

void *calloc(size_t count, size_t size) {
    count_allocation();
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return allocate(total, ALLOCATION_ZEROED);
}

void *realloc(void *pointer, size_t size) {
    count_allocation();
    if (pointer == NULL) {
        return allocate(size, 0);
    }
    if (size == 0) {
        dallocx(pointer, 0);
        return NULL;
    }
    void *moved = rallocx(pointer, size, 0);
    if (moved == NULL) {
        errno = ENOMEM;
    }
    return moved;
}

void *memalign(size_t alignment, size_t size) {
    count_allocation();
    if (!is_power_of_two(alignment)) {
        errno = EINVAL;
        return NULL;
    }
    return allocate(size, ALLOCATION_ALIGNED(alignment));
}

void *aligned_alloc(size_t alignment, size_t size) {
    return memalign(alignment, size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (!is_power_of_two(alignment) || alignment % sizeof(void *) != 0) {
        return EINVAL;
    }
    void *pointer = memalign(alignment, size);
    if (pointer == NULL) {
        return ENOMEM;
    }
    *result = pointer;
    return 0;
}

void free(void *pointer) {
    if (pointer != NULL) {
        dallocx(pointer, 0);
    }
}
