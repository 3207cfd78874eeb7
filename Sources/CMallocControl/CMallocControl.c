// Everything is inline in include/CMallocControl.h; SwiftPM needs a source file per C target.
#include "CMallocControl.h"
