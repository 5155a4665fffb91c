#include "simulatedcall.h"

#include "twilioerror.h"

#include <QJsonValue>
#include <QLocale>
#include <QRegularExpression>
#include <QUrl>

namespace flex::emulator {

namespace {

const QString ApiVersion = QStringLiteral("2010-04-01");

QString rfc2822(const QDateTime &t)
{
    if (!t.isValid())
        return {};
    return QLocale::c().toString(t.toUTC(), QStringLiteral("ddd, dd MMM yyyy HH:mm:ss '+0000'"));
}

QJsonValue rfc2822OrNull(const QDateTime &t)
{
    return t.isValid() ? QJsonValue(rfc2822(t)) : QJsonValue(QJsonValue::Null);
}

bool hasParam(const FormParams &params, const QString &name)
{
    for (const auto &p : params) {
        if (p.first == name)
            return true;
    }
    return false;
}

bool isValidAddress(const QString &number)
{
    static const QRegularExpression e164(QStringLiteral("^\\+[1-9][0-9]{6,14}$"));
    static const QRegularExpression client(QStringLiteral("^(client|sip):[^\\s]+$"));
    return e164.match(number).hasMatch() || client.match(number).hasMatch();
}

// Refuses Create Call parameters as Twilio does, in Twilio's order.
std::optional<HttpResponse> createError(const FormParams &params)
{
    const QString to = formParam(params, QStringLiteral("To"));
    const QString from = formParam(params, QStringLiteral("From"));
    if (to.isEmpty())
        return twilioError(400, 21201, QStringLiteral("No 'To' number is specified"));
    if (from.isEmpty())
        return twilioError(400, 21603, QStringLiteral("A 'From' phone number is required."));
    if (!isValidAddress(to))
        return twilioError(400, 21211, QStringLiteral("Invalid 'To' Phone Number: %1").arg(to));
    if (!isValidAddress(from))
        return twilioError(400, 21212, QStringLiteral("Invalid 'From' Phone Number: %1").arg(from));
    const QString url = formParam(params, QStringLiteral("Url"));
    const QString twiml = formParam(params, QStringLiteral("Twiml"));
    if (url.isEmpty() && twiml.isEmpty() && !hasParam(params, QStringLiteral("ApplicationSid")))
        return twilioError(400, 21205, QStringLiteral("Url parameter is required."));
    if (!url.isEmpty() && !isHttpUrl(url))
        return twilioError(400, 21205, QStringLiteral("Url is not a valid URL: %1").arg(url));
    const QString statusCallback = formParam(params, QStringLiteral("StatusCallback"));
    if (!statusCallback.isEmpty() && !isHttpUrl(statusCallback))
        return twilioError(
            400, 21609,
            QStringLiteral("StatusCallback is not a valid URL: %1").arg(statusCallback));
    return std::nullopt;
}

QString getOrPost(const QString &method)
{
    return method.toUpper() == QLatin1String("GET") ? QStringLiteral("GET")
                                                    : QStringLiteral("POST");
}

} // namespace

bool isHttpUrl(const QString &text)
{
    const QUrl url(text, QUrl::StrictMode);
    return url.isValid() && !url.host().isEmpty() &&
           (url.scheme() == QLatin1String("http") || url.scheme() == QLatin1String("https"));
}

QString formParam(const FormParams &params, const QString &name)
{
    for (const auto &p : params) {
        if (p.first == name)
            return p.second;
    }
    return {};
}

std::optional<HttpResponse> SimulatedCall::fromCreateParams(const FormParams &params,
                                                            SimulatedCall *call)
{
    if (auto error = createError(params))
        return error;
    call->to = formParam(params, QStringLiteral("To"));
    call->from = formParam(params, QStringLiteral("From"));
    call->url = formParam(params, QStringLiteral("Url"));
    call->twiml = formParam(params, QStringLiteral("Twiml"));
    call->method = getOrPost(formParam(params, QStringLiteral("Method")));
    call->statusCallback = formParam(params, QStringLiteral("StatusCallback"));
    call->callbackMethod = getOrPost(formParam(params, QStringLiteral("StatusCallbackMethod")));
    for (const auto &p : params) {
        if (p.first == QLatin1String("StatusCallbackEvent")) {
            // Clients may also send one space-separated value.
            const QStringList parts = p.second.split(QLatin1Char(' '), Qt::SkipEmptyParts);
            for (const QString &e : parts)
                call->events.insert(e.toLower());
        }
    }
    if (call->events.isEmpty())
        call->events.insert(QStringLiteral("completed"));
    call->outcome = outcomeFor(call->to);
    return std::nullopt;
}

SimulatedCall::Outcome SimulatedCall::outcomeFor(const QString &to)
{
    if (to.endsWith(QLatin1String("0001")))
        return Outcome::Busy;
    if (to.endsWith(QLatin1String("0002")))
        return Outcome::NoAnswer;
    if (to.endsWith(QLatin1String("0003")))
        return Outcome::Failed;
    if (to.endsWith(QLatin1String("0004")))
        return Outcome::RingForever;
    return Outcome::Answer;
}

bool SimulatedCall::isTerminal(const QString &status)
{
    return status == QLatin1String("completed") || status == QLatin1String("busy") ||
           status == QLatin1String("failed") || status == QLatin1String("no-answer") ||
           status == QLatin1String("canceled");
}

FormParams SimulatedCall::twimlParams(const QString &accountSid) const
{
    return {
        {QStringLiteral("AccountSid"), accountSid},
        {QStringLiteral("ApiVersion"), ApiVersion},
        {QStringLiteral("CallSid"), sid},
        {QStringLiteral("CallStatus"), status},
        {QStringLiteral("Called"), to},
        {QStringLiteral("Caller"), from},
        {QStringLiteral("Direction"), QStringLiteral("outbound-api")},
        {QStringLiteral("From"), from},
        {QStringLiteral("To"), to},
    };
}

FormParams SimulatedCall::statusParams(const QString &accountSid, const QString &callStatus,
                                       int sequenceNumber) const
{
    FormParams params = {
        {QStringLiteral("AccountSid"), accountSid},
        {QStringLiteral("ApiVersion"), ApiVersion},
        {QStringLiteral("CallSid"), sid},
        {QStringLiteral("CallStatus"), callStatus},
        {QStringLiteral("CallbackSource"), QStringLiteral("call-progress-events")},
        {QStringLiteral("Called"), to},
        {QStringLiteral("Caller"), from},
        {QStringLiteral("Direction"), QStringLiteral("outbound-api")},
        {QStringLiteral("From"), from},
        {QStringLiteral("SequenceNumber"), QString::number(sequenceNumber)},
        {QStringLiteral("Timestamp"), rfc2822(QDateTime::currentDateTimeUtc())},
        {QStringLiteral("To"), to},
    };
    if (isTerminal(status)) {
        const qint64 duration = started.isValid() ? std::max<qint64>(0, started.secsTo(ended)) : 0;
        params.append({QStringLiteral("CallDuration"), QString::number(duration)});
        params.append({QStringLiteral("Duration"), QString::number((duration + 59) / 60)});
    }
    return params;
}

QJsonObject SimulatedCall::toJson(const QString &accountSid) const
{
    const QString uri = QStringLiteral("/2010-04-01/Accounts/%1/Calls/%2").arg(accountSid, sid);
    QJsonObject subresources;
    for (const char *name :
         {"notifications", "recordings", "payments", "events", "siprec", "streams",
          "transcriptions", "user_defined_message_subscriptions", "user_defined_messages"}) {
        const QString n = QString::fromLatin1(name);
        subresources.insert(n, QString(uri + QLatin1Char('/') + n + QStringLiteral(".json")));
    }
    const bool over = isTerminal(status);
    qint64 duration = 0;
    if (started.isValid() && over)
        duration = std::max<qint64>(0, started.secsTo(ended));
    return QJsonObject{
        {QStringLiteral("sid"), sid},
        {QStringLiteral("date_created"), rfc2822OrNull(created)},
        {QStringLiteral("date_updated"), rfc2822OrNull(updated)},
        {QStringLiteral("parent_call_sid"), QJsonValue::Null},
        {QStringLiteral("account_sid"), accountSid},
        {QStringLiteral("to"), to},
        {QStringLiteral("to_formatted"), to},
        {QStringLiteral("from"), from},
        {QStringLiteral("from_formatted"), from},
        {QStringLiteral("phone_number_sid"), QJsonValue::Null},
        {QStringLiteral("status"), status},
        {QStringLiteral("start_time"), rfc2822OrNull(started)},
        {QStringLiteral("end_time"), rfc2822OrNull(ended)},
        {QStringLiteral("duration"),
         over ? QJsonValue(QString::number(duration)) : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("price"), QJsonValue::Null},
        {QStringLiteral("price_unit"), QStringLiteral("USD")},
        {QStringLiteral("direction"), QStringLiteral("outbound-api")},
        {QStringLiteral("answered_by"), QJsonValue::Null},
        {QStringLiteral("api_version"), ApiVersion},
        {QStringLiteral("forwarded_from"), QJsonValue::Null},
        {QStringLiteral("group_sid"), QJsonValue::Null},
        {QStringLiteral("caller_name"), QJsonValue::Null},
        {QStringLiteral("queue_time"), QStringLiteral("0")},
        {QStringLiteral("trunk_sid"), QJsonValue::Null},
        {QStringLiteral("uri"), QString(uri + QStringLiteral(".json"))},
        {QStringLiteral("subresource_uris"), subresources},
    };
}

} // namespace flex::emulator
