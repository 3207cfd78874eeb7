// The process's allocator controls: jemalloc's when the program links it (workflowd and
// workflow-bench do; it then serves every allocation of the process), else glibc's
// (<malloc.h>, which Swift's Glibc module does not export).
// Imported only by HTTP2Transport (MemoryReclaimer) and WorkflowStore (the writer's trim).
#ifndef C_MALLOC_CONTROL_H
#define C_MALLOC_CONTROL_H

#include <malloc.h>
#include <stddef.h>

// jemalloc's control interface, weak so that a program without jemalloc (the test runners)
// links and sees it null.
extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen)
    __attribute__((weak));

/// Nonzero when jemalloc serves the process's allocations.
static inline int CMallocControlIsJemalloc(void) {
    return mallctl != NULL;
}

/// jemalloc's `oversize_threshold`: the size from which freed blocks give their pages back at
/// once; 0 under glibc or when it cannot be read.
static inline size_t CMallocControlJemallocOversizeThreshold(void) {
    size_t threshold = 0;
    size_t length = sizeof(threshold);
    if (mallctl == NULL || mallctl("opt.oversize_threshold", &threshold, &length, NULL, 0) != 0) {
        return 0;
    }
    return threshold;
}

/// Gives the free pages of every arena back to the system; nonzero if that succeeded (glibc:
/// if any were free).
static inline int CMallocControlTrim(void) {
    if (mallctl != NULL) {
        // 4096 is MALLCTL_ARENAS_ALL: every arena purges its unused dirty and muzzy pages now.
        return mallctl("arena.4096.purge", NULL, NULL, NULL, 0) == 0;
    }
    return malloc_trim(0);
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
