// HTTP request heads as the front door reads them off a socket: any bytes,
// possibly incomplete, possibly over the limit.
#include "server/requesthead.h"

#include <cstdint>
#include <cstdlib>

using namespace flex::server;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray buffer(reinterpret_cast<const char *>(data), qsizetype(size));
    constexpr qsizetype maxBytes = 8192;
    RequestHead head;
    const HeadParse result = parseRequestHead(buffer, maxBytes, head);
    if (result != HeadParse::Complete)
        return 0;
    // What the front door asks of a complete head.
    if (head.size <= 0 || head.size > buffer.size() || head.size > maxBytes)
        std::abort();
    (void)head.path();
    (void)head.url();
    (void)head.isWebSocketUpgrade();
    (void)head.contentLength();
    (void)head.isChunked();
    (void)head.header("sec-websocket-protocol");
    (void)head.headerValues("x-forwarded-for");
    return 0;
}
