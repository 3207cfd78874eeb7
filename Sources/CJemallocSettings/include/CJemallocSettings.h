// Nothing to import: linking this target sets jemalloc's options (CJemallocSettings.c).
#ifndef C_JEMALLOC_SETTINGS_H
#define C_JEMALLOC_SETTINGS_H
#endif
