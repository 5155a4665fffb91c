#pragma once

#include "dial/callstatus.h"
#include "dial/dialprotocol.h"

#include <QObject>
#include <QString>
#include <QUrl>

#include <functional>
#include <variant>

namespace flex::twilio {
class TwilioClient;
struct TwilioResult;
} // namespace flex::twilio

namespace flex::dial {

class CallRegistry;

// Talks to Twilio's Calls API for the dial socket: create (with the TwiML
// and status callback URLs pointing back at this service) and hang-up.
// Successes reach the owner through the registry; failures through onError.
class CallController : public QObject
{
    Q_OBJECT
public:
    struct Settings
    {
        QUrl apiUrl; // https://api.twilio.com (or the emulator)
        QString accountSid;
        QUrl webhookBaseUrl; // https://EXTERNAL_HOST
    };
    using ErrorHandler = std::function<void(const DialError &)>;

    CallController(twilio::TwilioClient &rest, CallRegistry &registry, QObject *parent = nullptr);

    void configure(const Settings &settings) { m_settings = settings; }

    // The request has been validated; identity owns the call.
    void placeCall(const CallRequest &request, const QString &identity, QObject *context,
                   ErrorHandler onError);
    void hangUp(const QString &callSid, const QString &identity, QObject *context,
                ErrorHandler onError);

    // What Twilio's answer to a create means (pure): the call it placed
    // (a CA… sid; status queued unless the answer names a known one) or why not.
    struct PlacedCall
    {
        QString sid;
        CallStatus status = CallStatus::Queued;
    };
    static std::variant<PlacedCall, DialError> readCreateAnswer(const twilio::TwilioResult &answer);

    // The URLs given to Twilio (also what Twilio signs).
    static QString twimlUrl(const QUrl &base, const QString &workerContactUri);
    static QString statusCallbackUrl(const QUrl &base);

private:
    QUrl callsUrl(const QString &callSid = {}) const;
    void sendHangUp(const QString &callSid, const QString &status, bool retryAsCompleted,
                    QObject *context, ErrorHandler onError);

    twilio::TwilioClient &m_rest;
    CallRegistry &m_registry;
    Settings m_settings;
};

} // namespace flex::dial
