#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace flex::twilio {

// A failed Twilio request, whatever the cause. Rendered for people by
// toString(); never contains credentials.
struct TwilioError
{
    enum class Kind {
        Http,      // Twilio answered with an error status (code/message from its body)
        Network,   // connection refused, reset, DNS, TLS ...
        Timeout,   // no complete answer within the request timeout
        BadAnswer, // a success status with a body that is not the JSON we expect
        Canceled,  // the client was shut down before the request finished
    };

    Kind kind = Kind::Http;
    int httpStatus = 0; // 0 when no HTTP answer
    int code = 0;       // Twilio error code (e.g. 21211); the HTTP status when the body had none
    QString message;
    QString moreInfo;
    QJsonObject body; // the error answer's JSON object, when it had one

    // Whose problem a failure is, decided here once for every caller.
    enum class Blame {
        Request,     // Twilio refused what was asked (bad token, unknown SID, invalid To ...)
        Credentials, // Twilio refused the service's own credentials (20003, or 401)
        Twilio,      // Twilio could not answer now: 429, 5xx, network, timeout, bad answer
    };
    Blame blame() const;
    // Credentials or Twilio: try again later, the caller did nothing wrong.
    bool isServiceFault() const { return blame() != Blame::Request; }

    QString toString() const;

    // Parses both of Twilio's error body shapes: the legacy
    // {"code","message","more_info","status"} and RFC 9457 problem details
    // {"type","title","status","code","detail",...}. Falls back to the HTTP
    // status and reason when the body is neither.
    static TwilioError fromHttp(int httpStatus, const QByteArray &body, const QString &reason = {});
};

} // namespace flex::twilio
