// glibc's allocator controls (<malloc.h>), which Swift's Glibc module does not export.
// Imported only by HTTP2Transport (MemoryReclaimer) and WorkflowStore (the writer's trim).
#ifndef C_MALLOC_CONTROL_H
#define C_MALLOC_CONTROL_H

#include <malloc.h>

/// Gives the free pages of every malloc arena back to the system; nonzero if any were.
static inline int CMallocControlTrim(void) {
    return malloc_trim(0);
}

/// Serves allocations of at least `bytes` with their own mmap, so freeing them unmaps them,
/// and stops glibc from raising that threshold by itself; nonzero on success.
static inline int CMallocControlSetMmapThreshold(int bytes) {
    return mallopt(M_MMAP_THRESHOLD, bytes);
}

/// Lets the heap keep up to `bytes` free at its top before free() gives memory back by itself;
/// nonzero on success.
static inline int CMallocControlSetTrimThreshold(int bytes) {
    return mallopt(M_TRIM_THRESHOLD, bytes);
}

#endif
