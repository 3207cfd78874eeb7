// The system libnghttp2 (Debian's libnghttp2-dev, 1.52). Nothing is shimmed: every function
// the Swift wrapper needs imports directly. Only the NGHTTP2 target imports this module,
// with `internal import`, so no C type appears in its API.
#include <nghttp2/nghttp2.h>
