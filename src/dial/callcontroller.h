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

class CallBook;

// Talks to Twilio's Calls API for the dial socket: create (with the TwiML
// and status callback URLs pointing back at this service) and hang-up.
// Successes reach the owner through the call book; failures through onError.
class CallController : public QObject
{
    Q_OBJECT
public:
    struct Settings
    {
        QUrl apiUrl; // https://api.twilio.com (or the emulator)
        QString accountSid;
        QUrl webhookBaseUrl; // https://EXTERNAL_HOST
        // Cluster mode: the status callback URL names the owner.
        bool ownerInCallbackUrl = false;
    };
    using ErrorHandler = std::function<void(const DialError &)>;

    CallController(twilio::TwilioClient &rest, CallBook &book, QObject *parent = nullptr);

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
    // ...?owner=<identity, percent-encoded>: any instance knows the owner.
    static QString statusCallbackUrl(const QUrl &base, const QString &owner);

private:
    QUrl callsUrl(const QString &callSid = {}) const;
    void sendHangUp(const QString &callSid, const QString &status, bool retryAsCompleted,
                    QObject *context, ErrorHandler onError);

    twilio::TwilioClient &m_rest;
    CallBook &m_book;
    Settings m_settings;
};

} // namespace flex::dial
