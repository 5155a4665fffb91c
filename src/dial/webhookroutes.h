#pragma once

#include "twilio/requestvalidator.h"

#include <QByteArray>
#include <QObject>
#include <QString>
#include <QUrl>

#include <chrono>

class QHttpServer;

namespace flex::dial {

class CallBook;

// What a webhook request carries, independent of the HTTP server (so the
// handlers can be tested without one).
struct WebhookRequest
{
    QString path;  // e.g. /twilio-webhook/callStatusCallbackHandler
    QString query; // percent-encoded as received, without '?'
    QByteArray contentType;
    QByteArray body;
    QByteArray signature; // X-Twilio-Signature
};

struct WebhookAnswer
{
    int status = 200;
    QByteArray contentType;
    QByteArray body;
};

// POST /twilio-webhook/callStatusCallbackHandler and
// POST /twilio-webhook/callHandlerTwiml: X-Twilio-Signature checked over
// webhookBaseUrl + path + query and every form parameter; 403 and nothing
// relayed when it is missing or wrong. Both answer at once from memory. A
// status callback URL may carry ?owner=<identity> (cluster mode): signed by
// Twilio, it tells any instance whose call it is.
class WebhookRoutes : public QObject
{
    Q_OBJECT
public:
    struct Settings
    {
        QUrl webhookBaseUrl;  // https://EXTERNAL_HOST
        QByteArray authToken; // signs the webhooks
        QString workflowSid;  // TWILIO_OUTBOUND_WORKFLOW_SID
    };

    explicit WebhookRoutes(CallBook &book, QObject *parent = nullptr);

    void configure(const Settings &settings);
    void registerRoutes(QHttpServer &http);

    WebhookAnswer statusCallback(const WebhookRequest &request);
    WebhookAnswer twiml(const WebhookRequest &request);

    // The URL Twilio requested, as it signed it.
    QString signedUrl(const WebhookRequest &request) const;

private:
    bool authentic(const WebhookRequest &request, const twilio::SignatureParams &params,
                   const QByteArray &route);

    CallBook &m_book;
    Settings m_settings;
    QString m_base;
    twilio::RequestValidator m_validator;
    std::chrono::steady_clock::time_point m_lastRejectLog{};
    int m_rejectsNotLogged = 0;
};

} // namespace flex::dial
