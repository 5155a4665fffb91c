// Twilio's webhooks as anyone on the internet can send them: a form body,
// the X-Twilio-Signature header and the query, checked like WebhookRoutes
// does (form decoding, signature over URL + parameters, bodySHA256).
// Input: signature line, query line, then the body.
#include "dial/callstatus.h"
#include "dial/webhookroutes.h"
#include "twilio/requestvalidator.h"
#include "twilio/twiliorequest.h"

#include <cstdint>
#include <cstdlib>

using namespace flex;
using namespace Qt::StringLiterals;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    const qsizetype first = input.indexOf('\n');
    const qsizetype second = first < 0 ? -1 : input.indexOf('\n', first + 1);
    const QByteArray signature = first < 0 ? input : input.left(first);
    const QByteArray query = second < 0 ? QByteArray() : input.mid(first + 1, second - first - 1);
    const QByteArray body = second < 0 ? QByteArray() : input.mid(second + 1);

    const twilio::SignatureParams params = twilio::decodeForm(body);
    for (const auto &[name, value] : params) {
        if (name == u"CallStatus")
            (void)dial::parseCallStatus(value);
    }
    const twilio::RequestValidator validator("0123456789abcdef0123456789abcdef");
    QString url = u"https://flex.example.com:8443/twilio/status"_s;
    if (!query.isEmpty())
        url += u'?' + QString::fromUtf8(query);
    (void)validator.validate(url, params, signature);
    (void)validator.validateBody(url, body, signature);
    (void)twilio::RequestValidator::urlWithoutPort(url);
    (void)twilio::RequestValidator::urlWithPort(url);
    // A signature made for exactly these parameters must be accepted.
    const QByteArray good =
        twilio::RequestValidator::computeSignature("0123456789abcdef0123456789abcdef", url, params);
    if (!validator.validate(url, params, good))
        std::abort();
    return 0;
}
