// Twilio's answers to CreateCall as the call controller reads them: the
// first two bytes pick the HTTP status, the rest is the body.
#include "dial/callcontroller.h"
#include "twilio/twilioclient.h"

#include <cstdint>
#include <cstdlib>

using namespace flex;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const int status = 100 + (data[0] | (data[1] << 8)) % 500;
    const QByteArray body(reinterpret_cast<const char *>(data + 2), qsizetype(size - 2));
    const auto answer =
        dial::CallController::readCreateAnswer(twilio::answerFromHttp(status, body));
    if (const auto *placed = std::get_if<dial::CallController::PlacedCall>(&answer)) {
        if (!placed->sid.startsWith(QLatin1String("CA")))
            std::abort();
        (void)dial::callUpdateFrame(placed->sid, dial::statusText(placed->status));
    } else {
        const auto &error = std::get<dial::DialError>(answer);
        if (error.message.isEmpty() || error.reason != dial::DialError::Reason::Twilio)
            std::abort();
        (void)dial::errorFrame(error.message);
    }
    return 0;
}
