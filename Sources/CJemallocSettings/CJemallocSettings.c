// jemalloc's options for workflowd (and workflow-bench), which jemalloc reads from this symbol
// of the executable as it initializes (an operator's MALLOC_CONF is read after it, and wins).
//
// oversize_threshold: blocks of 128 KiB and more (a large partial request message, a large
// response) come from an arena that gives their pages back the moment they are freed, as glibc's
// mmap threshold did; from the default arenas they would stay resident until decay, and 1,000
// hostile peers each holding 256 KiB of a message left RSS 145 MiB up for a 64 MiB buffer
// budget. The size is MemoryReclaimer.largeBlockSize; workflowd logs the value in effect at
// start, and warns when they differ.
const char *malloc_conf = "oversize_threshold:131072";
