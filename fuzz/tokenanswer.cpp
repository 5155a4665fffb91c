// Answers of Twilio's token validation endpoint (any status, any body) as
// the token validator reads them: the first two bytes pick the HTTP status.
#include "server/flextokenvalidator.h"
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
    const twilio::TwilioResult answer = twilio::answerFromHttp(status, body);
    const server::FlexTokenValidator::Result result =
        server::FlexTokenValidator::resultFromAnswer(answer);
    using Outcome = server::FlexTokenValidator::Outcome;
    if (result.outcome == Outcome::Valid && (result.who.identity.isEmpty() || !answer.ok()))
        std::abort(); // a valid verdict needs a success naming someone
    if (result.outcome != Outcome::Valid && result.reason.isEmpty())
        std::abort();
    return 0;
}
