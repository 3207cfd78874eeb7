// The controls of the allocator that serves the process, whichever library that is: jemalloc
// when the program links it (workflowd and workflow-bench do, and it then serves every
// allocation), else glibc's (<malloc.h>, which Swift's Glibc module does not export). One
// module, because its callers ask the process's allocator, not a library.
// Imported only by HTTP2Transport (MemoryReclaimer) and WorkflowStore (the writer's trim).
#ifndef C_MALLOC_CONTROL_H
#define C_MALLOC_CONTROL_H

#include <malloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

// jemalloc's control interface, weak so that a program without jemalloc (the test runners)
// links and sees it null.
extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen)
    __attribute__((weak));

/// How many bytes jemalloc has allocated on the calling thread; false when it cannot say.
static inline bool CMallocControlJemallocThreadAllocated(uint64_t *allocated) {
    size_t length = sizeof(*allocated);
    return mallctl != NULL && mallctl("thread.allocated", allocated, &length, NULL, 0) == 0;
}

/// Whether jemalloc serves the process's allocations: linked is not enough (another allocator
/// preloaded ahead of it would serve them), so this allocates a block and checks that jemalloc
/// counted it.
static inline bool CMallocControlIsJemalloc(void) {
    uint64_t before = 0;
    uint64_t after = 0;
    if (!CMallocControlJemallocThreadAllocated(&before)) {
        return false;
    }
    // Volatile, so the compiler keeps the allocation it could otherwise pair with the free.
    void *volatile probe = malloc(64);
    free(probe);
    return CMallocControlJemallocThreadAllocated(&after) && after > before;
}

/// jemalloc's `oversize_threshold`, the size from which freed blocks give their pages back at
/// once; false when it cannot be read (no jemalloc).
static inline bool CMallocControlJemallocOversizeThreshold(size_t *threshold) {
    size_t length = sizeof(*threshold);
    return mallctl != NULL && mallctl("opt.oversize_threshold", threshold, &length, NULL, 0) == 0;
}

/// Gives the free pages of every arena back to the system. jemalloc: true if the purge ran;
/// glibc: true if any pages went back.
static inline bool CMallocControlTrim(void) {
    if (CMallocControlIsJemalloc()) {
        // 4096 is MALLCTL_ARENAS_ALL: every arena purges its unused dirty and muzzy pages now.
        return mallctl("arena.4096.purge", NULL, NULL, NULL, 0) == 0;
    }
    return malloc_trim(0) != 0;
}

/// glibc only: serves allocations of at least `bytes` with their own mmap, so freeing them
/// unmaps them, and stops glibc from raising that threshold by itself; nonzero on success.
static inline int CMallocControlSetMmapThreshold(int bytes) {
    return mallopt(M_MMAP_THRESHOLD, bytes);
}

/// glibc only: lets the heap keep up to `bytes` free at its top before free() gives memory back
/// by itself; nonzero on success.
static inline int CMallocControlSetTrimThreshold(int bytes) {
    return mallopt(M_TRIM_THRESHOLD, bytes);
}

#endif
