// Text messages of /websocket/outboundDial as an agent's browser (or anyone
// holding a token) sends them: parsed, then checked as a call request would be.
#include "dial/dialprotocol.h"
#include "dial/dialrequestvalidator.h"

#include <cstdint>
#include <cstdlib>
#include <variant>

using namespace flex::dial;
using namespace Qt::StringLiterals;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    // QWebSocket hands over text frames as QString (invalid UTF-8 replaced).
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    const ClientMessage message = parseClientMessage(text);
    if (const auto *call = std::get_if<CallRequest>(&message)) {
        DialRequestValidator validator;
        validator.setPolicy({false, {u"+1"_s, u"+44"_s}});
        (void)validator.check(*call, u"alice"_s);
        (void)DialRequestValidator::isDialable(call->from);
    } else if (const auto *hangup = std::get_if<HangupRequest>(&message)) {
        (void)callUpdateFrame(hangup->callSid, u"canceled"_s);
    } else if (const auto *echo = std::get_if<EchoRequest>(&message)) {
        if (echo->text != text)
            std::abort(); // non-JSON text is echoed as it came
        (void)echoText(echo->text);
    } else {
        const auto &error = std::get<DialError>(message);
        if (error.message.isEmpty())
            std::abort(); // every refusal says why
        (void)errorFrame(error.message);
        (void)error.reasonLabel();
    }
    return 0;
}
