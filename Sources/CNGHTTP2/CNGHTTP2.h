// The system libnghttp2 (Debian's libnghttp2-dev, 1.52). Nothing is shimmed: every function
// the Swift wrapper needs imports directly. Only the HTTP2Session target imports this module.
#include <nghttp2/nghttp2.h>
