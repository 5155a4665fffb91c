#pragma once

#include <QByteArray>
#include <QString>

#include <variant>

namespace flex::dial {

// Why a dial request could not be carried out. The message is for a person
// (shown by the plugin as a notification); the reason labels metrics.
struct DialError
{
    enum class Reason {
        BadMessage,     // not a JSON object, unknown method, missing or mistyped field
        BadAddress,     // to/from not E.164, client: or sip:
        PrefixRefused,  // DIAL_ALLOWED_PREFIXES
        RateLimited,    // DIAL_MAX_CALLS_PER_MINUTE
        WorkerMismatch, // workerContactUri is not client:<identity>
        UnknownCall,    // hang-up of a call this service does not know (or that ended)
        NotOwner,       // hang-up of someone else's call
        Twilio,         // Twilio answered with an error or could not be reached
    };
    Reason reason = Reason::BadMessage;
    QString message;

    QByteArray reasonLabel() const;
};

// Client → server messages of /websocket/outboundDial (docs/protocol.md §3).
struct CallRequest
{
    QString to;
    QString from;
    QString workerContactUri;
};

struct HangupRequest
{
    QString callSid;
};

// Text that is not JSON at all: the reference backend echoes it.
struct EchoRequest
{
    QString text;
};

using ClientMessage = std::variant<CallRequest, HangupRequest, EchoRequest, DialError>;

// Text that starts like JSON ('{' or '[') but does not parse is malformed
// JSON (an error); any other non-JSON text is echoed.
ClientMessage parseClientMessage(const QString &text);

// Server → client frames.
QByteArray callUpdateFrame(const QString &callSid, const QString &callStatus);
QByteArray errorFrame(const QString &message);
QString echoText(const QString &text);

// The webhook paths Twilio is told to call (docs/protocol.md §4).
QString statusCallbackPath();
QString twimlPath();

} // namespace flex::dial
