#include "dial/webhookroutes.h"

#include "dial/callbook.h"
#include "dial/dialprotocol.h"
#include "ops/logcategories.h"
#include "ops/logging.h"
#include "ops/metrics.h"
#include "twilio/twiliorequest.h"
#include "twilio/twimlbuilder.h"

#include <QHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponse>
#include <QUrlQuery>

namespace flex::dial {

using namespace Qt::StringLiterals;

namespace {

ops::Counter &webhooks(const QByteArray &route, const QByteArray &result)
{
    return ops::metrics().counter("flex_webhooks_total", "Twilio webhooks received, by result",
                                  {{"route", route}, {"result", result}});
}

QString param(const twilio::SignatureParams &params, const QString &name)
{
    for (const auto &[key, value] : params) {
        if (key == name)
            return value;
    }
    return {};
}

WebhookAnswer plain(int status, const QByteArray &text)
{
    return {status, "text/plain; charset=utf-8", text};
}

QByteArray outcomeLabel(CallbackOutcome outcome)
{
    switch (outcome) {
    case CallbackOutcome::Relayed:
        return "relayed";
    case CallbackOutcome::Stale:
        return "stale";
    case CallbackOutcome::Held:
        return "held";
    case CallbackOutcome::Dropped:
        return "dropped";
    }
    return "other";
}

WebhookRequest fromHttp(const QHttpServerRequest &request)
{
    WebhookRequest r;
    const QUrl url = request.url();
    r.path = url.path(QUrl::FullyEncoded);
    r.query = url.query(QUrl::FullyEncoded);
    r.contentType = request.value("Content-Type");
    r.body = request.body();
    r.signature = request.value("X-Twilio-Signature");
    return r;
}

QHttpServerResponse toHttp(const WebhookAnswer &answer)
{
    return QHttpServerResponse(answer.contentType, answer.body,
                               QHttpServerResponse::StatusCode(answer.status));
}

} // namespace

WebhookRoutes::WebhookRoutes(CallBook &book, QObject *parent)
    : QObject(parent)
    , m_book(book)
{}

void WebhookRoutes::configure(const Settings &settings)
{
    m_settings = settings;
    m_base = settings.webhookBaseUrl.toString(QUrl::FullyEncoded);
    while (m_base.endsWith(u'/'))
        m_base.chop(1);
    m_validator.setAuthToken(settings.authToken);
}

void WebhookRoutes::registerRoutes(QHttpServer &http)
{
    http.route(statusCallbackPath(), QHttpServerRequest::Method::Post,
               [this](const QHttpServerRequest &request) {
                   return toHttp(statusCallback(fromHttp(request)));
               });
    http.route(
        twimlPath(), QHttpServerRequest::Method::Post,
        [this](const QHttpServerRequest &request) { return toHttp(twiml(fromHttp(request))); });
}

QString WebhookRoutes::signedUrl(const WebhookRequest &request) const
{
    QString url = m_base + request.path;
    if (!request.query.isEmpty())
        url += u'?' + request.query;
    return url;
}

bool WebhookRoutes::authentic(const WebhookRequest &request, const twilio::SignatureParams &params,
                              const QByteArray &route)
{
    if (m_validator.validate(signedUrl(request), params, request.signature))
        return true;
    webhooks(route, "bad_signature").inc();
    // Forged requests must not flood the log: one line a second at most.
    const auto now = std::chrono::steady_clock::now();
    if (now - m_lastRejectLog < std::chrono::seconds(1)) {
        ++m_rejectsNotLogged;
        return false;
    }
    m_lastRejectLog = now;
    qCWarning(lcAuth).noquote() << "webhook refused (403):"
                                << (request.signature.isEmpty() ? "no X-Twilio-Signature"
                                                                : "wrong X-Twilio-Signature")
                                << "on" << request.path
                                << (m_rejectsNotLogged > 0
                                        ? u"(%1 more since the last line)"_s.arg(m_rejectsNotLogged)
                                        : QString());
    m_rejectsNotLogged = 0;
    return false;
}

WebhookAnswer WebhookRoutes::statusCallback(const WebhookRequest &request)
{
    const twilio::SignatureParams params = twilio::decodeForm(request.body);
    if (!authentic(request, params, "callStatus"))
        return plain(403, "Forbidden\n");

    const QString sid = param(params, u"CallSid"_s);
    const QString statusField = param(params, u"CallStatus"_s);
    const std::optional<CallStatus> status = parseCallStatus(statusField);
    if (sid.isEmpty() || !status) {
        webhooks("callStatus", "bad_request").inc();
        ops::logWithFields(lcDial(), QtWarningMsg, u"status callback without a usable CallStatus"_s,
                           {{u"callSid"_s, sid}, {u"status"_s, statusField.left(32)}});
        return plain(400, "CallSid and a known CallStatus are required\n");
    }
    bool numbered = false;
    const int sequence = param(params, u"SequenceNumber"_s).toInt(&numbered);
    CallbackEvent event;
    event.sid = sid;
    event.owner = QUrlQuery(request.query).queryItemValue(u"owner"_s, QUrl::FullyDecoded);
    event.status = *status;
    event.sequence = numbered && sequence >= 0 ? sequence : -1;
    webhooks("callStatus", "ok").inc();
    m_book.applyCallback(event, [event, statusField](CallbackOutcome outcome) {
        ops::metrics()
            .counter("flex_call_callbacks_total", "Status callbacks by what became of them",
                     {{"outcome", outcomeLabel(outcome)}})
            .inc();
        if (lcDial().isDebugEnabled())
            ops::logWithFields(lcDial(), QtDebugMsg, u"status callback"_s,
                               {{u"callSid"_s, event.sid},
                                {u"status"_s, statusField},
                                {u"sequence"_s, event.sequence},
                                {u"outcome"_s, QString::fromLatin1(outcomeLabel(outcome))}});
    });
    return {200, twilio::twiml::contentType(), twilio::twiml::emptyResponse()};
}

WebhookAnswer WebhookRoutes::twiml(const WebhookRequest &request)
{
    const twilio::SignatureParams params = twilio::decodeForm(request.body);
    if (!authentic(request, params, "callHandlerTwiml"))
        return plain(403, "Forbidden\n");

    const QUrlQuery query(request.query);
    const QString worker = query.queryItemValue(u"workerContactUri"_s, QUrl::FullyDecoded);
    if (worker.isEmpty()) {
        webhooks("callHandlerTwiml", "bad_request").inc();
        return plain(400, "workerContactUri is required\n");
    }
    webhooks("callHandlerTwiml", "ok").inc();
    ops::logWithFields(lcDial(), QtDebugMsg, u"call answered: enqueueing to the worker"_s,
                       {{u"callSid"_s, param(params, u"CallSid"_s)}});
    return {200, twilio::twiml::contentType(),
            twilio::twiml::outboundEnqueue(m_settings.workflowSid, worker, param(params, u"To"_s))};
}

} // namespace flex::dial
