#include "dial/callcontroller.h"

#include "dial/callbook.h"
#include "ops/logcategories.h"
#include "ops/logging.h"
#include "ops/metrics.h"
#include "twilio/twilioclient.h"

#include <QPointer>

namespace flex::dial {

using namespace Qt::StringLiterals;

namespace {

QString baseOf(const QUrl &url)
{
    QString base = url.toString(QUrl::FullyEncoded);
    while (base.endsWith(u'/'))
        base.chop(1);
    return base;
}

DialError twilioFailure(const QString &what, const twilio::TwilioError &error)
{
    QString text;
    switch (error.kind) {
    case twilio::TwilioError::Kind::Http:
        text = u"Twilio could not %1: %2 (error %3)"_s.arg(what, error.message).arg(error.code);
        if (!error.moreInfo.isEmpty())
            text += u" "_s + error.moreInfo;
        break;
    case twilio::TwilioError::Kind::Timeout:
        text = u"Twilio did not answer in time, so it is unknown whether it could %1"_s.arg(what);
        break;
    case twilio::TwilioError::Kind::Canceled:
        text = u"the service is shutting down; could not %1"_s.arg(what);
        break;
    case twilio::TwilioError::Kind::Network:
    case twilio::TwilioError::Kind::BadAnswer:
        text = u"Twilio could not be reached to %1 (%2)"_s.arg(what, error.message);
        break;
    }
    return {DialError::Reason::Twilio, text};
}

ops::Counter &requests(const QByteArray &kind, const QByteArray &result)
{
    return ops::metrics().counter("flex_dial_twilio_requests_total",
                                  "Calls placed and hung up through Twilio, by result",
                                  {{"kind", kind}, {"result", result}});
}

} // namespace

CallController::CallController(twilio::TwilioClient &rest, CallBook &book, QObject *parent)
    : QObject(parent)
    , m_rest(rest)
    , m_book(book)
{}

QString CallController::twimlUrl(const QUrl &base, const QString &workerContactUri)
{
    // Percent-encode everything but unreserved characters: the URL Twilio
    // signs is then the one we receive, whatever normalisation sits between.
    return baseOf(base) + twimlPath() + u"?workerContactUri="_s +
           QString::fromLatin1(QUrl::toPercentEncoding(workerContactUri));
}

QString CallController::statusCallbackUrl(const QUrl &base)
{
    return baseOf(base) + statusCallbackPath();
}

QString CallController::statusCallbackUrl(const QUrl &base, const QString &owner)
{
    return statusCallbackUrl(base) + u"?owner="_s +
           QString::fromLatin1(QUrl::toPercentEncoding(owner));
}

QUrl CallController::callsUrl(const QString &callSid) const
{
    const QString path = u"/2010-04-01/Accounts/"_s + m_settings.accountSid +
                         (callSid.isEmpty() ? u"/Calls.json"_s : u"/Calls/%1.json"_s.arg(callSid));
    return QUrl(baseOf(m_settings.apiUrl) + path);
}

void CallController::placeCall(const CallRequest &request, const QString &identity,
                               QObject *context, ErrorHandler onError)
{
    twilio::TwilioRequest create;
    create.method = twilio::TwilioRequest::Method::Post;
    create.url = callsUrl();
    create.endpoint = u"CreateCall"_s;
    create.createsResource = true;
    create.form = {
        {u"To"_s, request.to},
        {u"From"_s, request.from},
        {u"Url"_s, twimlUrl(m_settings.webhookBaseUrl, request.workerContactUri)},
        {u"StatusCallback"_s, m_settings.ownerInCallbackUrl
                                  ? statusCallbackUrl(m_settings.webhookBaseUrl, identity)
                                  : statusCallbackUrl(m_settings.webhookBaseUrl)},
        {u"StatusCallbackEvent"_s, u"ringing"_s},
        {u"StatusCallbackEvent"_s, u"answered"_s},
        {u"StatusCallbackEvent"_s, u"completed"_s},
    };
    const QString to = request.to;
    // The registry outlives requests; the requesting socket may not.
    QPointer<QObject> requester(context);
    m_rest.send(
        create, this, [this, identity, to, requester, onError](const twilio::TwilioResult &r) {
            const auto answer = readCreateAnswer(r);
            if (const auto *error = std::get_if<DialError>(&answer)) {
                requests("create", "error").inc();
                ops::logWithFields(lcDial(), QtWarningMsg, u"call not placed: "_s + error->message,
                                   {{u"identity"_s, identity}});
                if (requester)
                    onError(*error);
                return;
            }
            const PlacedCall &placed = std::get<PlacedCall>(answer);
            requests("create", "ok").inc();
            ops::logWithFields(lcDial(), QtInfoMsg, u"call placed"_s,
                               {{u"callSid"_s, placed.sid}, {u"identity"_s, identity}});
            m_book.addCall(placed.sid, identity, placed.status, to);
        });
}

std::variant<CallController::PlacedCall, DialError>
CallController::readCreateAnswer(const twilio::TwilioResult &answer)
{
    if (!answer.ok())
        return twilioFailure(u"place the call"_s, *answer.error);
    const QString sid = answer.body.value("sid"_L1).toString();
    if (!sid.startsWith(u"CA"_s))
        return DialError{DialError::Reason::Twilio,
                         u"Twilio accepted the call but its answer named no call"_s};
    const std::optional<CallStatus> status =
        parseCallStatus(answer.body.value("status"_L1).toString());
    return PlacedCall{sid, status.value_or(CallStatus::Queued)};
}

void CallController::hangUp(const QString &callSid, const QString &identity, QObject *context,
                            ErrorHandler onError)
{
    QPointer<QObject> requester(context);
    m_book.findCall(callSid, [this, callSid, identity, requester,
                              onError = std::move(onError)](const CallLookup &lookup) {
        if (!requester)
            return;
        if (!lookup.error.isEmpty()) {
            onError({DialError::Reason::UnknownCall,
                     u"cannot hang up %1 now: %2"_s.arg(callSid.left(64), lookup.error)});
            return;
        }
        if (!lookup.call) {
            onError(
                {DialError::Reason::UnknownCall,
                 u"cannot hang up %1: no such call in progress (it may have ended already)"_s.arg(
                     callSid.left(64))});
            return;
        }
        if (lookup.call->owner != identity) {
            ops::logWithFields(lcDial(), QtWarningMsg, u"refused to hang up another agent's call"_s,
                               {{u"callSid"_s, callSid}, {u"identity"_s, identity}});
            onError({DialError::Reason::NotOwner,
                     u"cannot hang up %1: the call was placed by another agent"_s.arg(callSid)});
            return;
        }
        // Twilio ignores Status=canceled once the call is answered.
        const bool cancel = canBeCanceled(lookup.call->status);
        sendHangUp(callSid, cancel ? u"canceled"_s : u"completed"_s, cancel, requester, onError);
    });
}

void CallController::sendHangUp(const QString &callSid, const QString &status,
                                bool retryAsCompleted, QObject *context, ErrorHandler onError)
{
    twilio::TwilioRequest update;
    update.method = twilio::TwilioRequest::Method::Post;
    update.url = callsUrl(callSid);
    update.endpoint = u"UpdateCall"_s;
    update.form = {{u"Status"_s, status}};
    QPointer<QObject> requester(context);
    m_rest.send(update, this,
                [this, callSid, status, retryAsCompleted, requester,
                 onError](const twilio::TwilioResult &r) {
                    if (!r.ok()) {
                        requests("hangup", "error").inc();
                        if (requester)
                            onError(twilioFailure(u"hang up the call"_s, *r.error));
                        return;
                    }
                    requests("hangup", "ok").inc();
                    ops::logWithFields(lcDial(), QtInfoMsg, u"call hung up"_s,
                                       {{u"callSid"_s, callSid}, {u"status"_s, status}});
                    // The callee answered while the cancel was on its way:
                    // canceled did nothing, so end the call for real.
                    if (retryAsCompleted &&
                        r.body.value("status"_L1).toString() == "in-progress"_L1)
                        sendHangUp(callSid, u"completed"_s, false, requester, onError);
                });
}

} // namespace flex::dial
