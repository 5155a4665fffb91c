// Twilio's error answers (both body shapes, or anything else): the first two
// bytes pick the HTTP status, the rest is the body.
#include "twilio/twilioerror.h"

#include <cstdint>
#include <cstdlib>

using namespace flex::twilio;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const int status = 100 + (data[0] | (data[1] << 8)) % 500;
    const QByteArray body(reinterpret_cast<const char *>(data + 2), qsizetype(size - 2));
    const TwilioError error = TwilioError::fromHttp(status, body, QStringLiteral("Reason"));
    if (error.httpStatus != status || error.kind != TwilioError::Kind::Http)
        std::abort();
    (void)error.blame();
    (void)error.isServiceFault();
    if (error.toString().isEmpty())
        std::abort();
    return 0;
}
