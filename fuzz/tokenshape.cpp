// Flex tokens as they arrive (query parameter or Sec-WebSocket-Protocol),
// checked for a JWT's shape before Twilio is asked about them.
#include "server/flextokenshape.h"

#include <cstdint>
#include <cstdlib>

using namespace flex::server;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const QString token = QString::fromUtf8(bytes);
    if (FlexTokenShape::isPlausible(token) && token.size() > FlexTokenShape::MaxLength)
        std::abort();
    (void)FlexTokenShape::isPlausible(QString::fromLatin1(bytes));
    return 0;
}
