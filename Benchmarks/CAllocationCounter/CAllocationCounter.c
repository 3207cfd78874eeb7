#include "CAllocationCounter.h"

#include <errno.h>
#include <jemalloc/jemalloc.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

static _Atomic uint64_t allocations;

static inline void count_allocation(void) {
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
}

uint64_t c_allocation_counter_allocations(void) {
    return atomic_load_explicit(&allocations, memory_order_relaxed);
}

/// `mallocx`, which must not get a size of 0, as `malloc` may; null when out of memory.
static void *allocate(size_t size, int flags) {
    return mallocx(size == 0 ? 1 : size, flags);
}

static inline int is_power_of_two(size_t value) {
    return value != 0 && (value & (value - 1)) == 0;
}

/// As jemalloc's own `memalign`: null for an alignment that is not a power of two.
static void *allocate_aligned(size_t alignment, size_t size) {
    if (!is_power_of_two(alignment)) {
        return NULL;
    }
    return allocate(size, MALLOCX_ALIGN(alignment));
}

/// Sets errno when `pointer` is null, as the standard functions do.
static void *checked(void *pointer, int error) {
    if (pointer == NULL) {
        errno = error;
    }
    return pointer;
}

void *malloc(size_t size) {
    count_allocation();
    return checked(allocate(size, 0), ENOMEM);
}

void *calloc(size_t count, size_t size) {
    count_allocation();
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return checked(allocate(total, MALLOCX_ZERO), ENOMEM);
}

void *realloc(void *pointer, size_t size) {
    count_allocation();
    if (pointer == NULL) {
        return checked(allocate(size, 0), ENOMEM);
    }
    if (size == 0) {
        dallocx(pointer, 0);
        return NULL;
    }
    return checked(rallocx(pointer, size, 0), ENOMEM);
}

void *memalign(size_t alignment, size_t size) {
    count_allocation();
    return checked(allocate_aligned(alignment, size), is_power_of_two(alignment) ? ENOMEM : EINVAL);
}

void *aligned_alloc(size_t alignment, size_t size) {
    return memalign(alignment, size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment % sizeof(void *) != 0) {
        return EINVAL;
    }
    count_allocation();
    void *pointer = allocate_aligned(alignment, size);
    if (pointer == NULL) {
        return is_power_of_two(alignment) ? ENOMEM : EINVAL;
    }
    *result = pointer;
    return 0;
}

// jemalloc exports no pvalloc: glibc's would allocate from glibc's heap a block that free()
// then hands to jemalloc.
void *pvalloc(size_t size) {
    count_allocation();
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (size > SIZE_MAX - page + 1) {
        errno = ENOMEM;
        return NULL;
    }
    size_t rounded = (size + page - 1) / page * page;
    return checked(allocate(rounded, MALLOCX_ALIGN(page)), ENOMEM);
}

void free(void *pointer) {
    if (pointer != NULL) {
        dallocx(pointer, 0);
    }
}
