#include "simulatedcall.h"

#include "twilioerror.h"

#include <QJsonValue>
#include <QLocale>
#include <QRegularExpression>
#include <QUrl>

#include <algorithm>

namespace flex::emulator {

using namespace Qt::StringLiterals;

namespace {

const QString ApiVersion = u"2010-04-01"_s;

QString rfc2822(const QDateTime &t)
{
    if (!t.isValid())
        return {};
    return QLocale::c().toString(t.toUTC(), u"ddd, dd MMM yyyy HH:mm:ss '+0000'"_s);
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
    static const QRegularExpression e164(u"^\\+[1-9][0-9]{6,14}$"_s);
    static const QRegularExpression client(u"^(client|sip):[^\\s]+$"_s);
    return e164.match(number).hasMatch() || client.match(number).hasMatch();
}

// Refuses Create Call parameters as Twilio does, in Twilio's order.
std::optional<HttpResponse> createError(const FormParams &params)
{
    const QString to = formParam(params, u"To"_s);
    const QString from = formParam(params, u"From"_s);
    if (to.isEmpty())
        return twilioError(400, 21201, u"No 'To' number is specified"_s);
    if (from.isEmpty())
        return twilioError(400, 21603, u"A 'From' phone number is required."_s);
    if (!isValidAddress(to))
        return twilioError(400, 21211, u"Invalid 'To' Phone Number: %1"_s.arg(to));
    if (!isValidAddress(from))
        return twilioError(400, 21212, u"Invalid 'From' Phone Number: %1"_s.arg(from));
    const QString url = formParam(params, u"Url"_s);
    const QString twiml = formParam(params, u"Twiml"_s);
    if (url.isEmpty() && twiml.isEmpty() && !hasParam(params, u"ApplicationSid"_s))
        return twilioError(400, 21205, u"Url parameter is required."_s);
    if (!url.isEmpty() && !isHttpUrl(url))
        return twilioError(400, 21205, u"Url is not a valid URL: %1"_s.arg(url));
    const QString statusCallback = formParam(params, u"StatusCallback"_s);
    if (!statusCallback.isEmpty() && !isHttpUrl(statusCallback))
        return twilioError(400, 21609,
                           u"StatusCallback is not a valid URL: %1"_s.arg(statusCallback));
    return std::nullopt;
}

QString getOrPost(const QString &method)
{
    return method.toUpper() == u"GET"_s ? u"GET"_s : u"POST"_s;
}

} // namespace

bool isHttpUrl(const QString &text)
{
    const QUrl url(text, QUrl::StrictMode);
    return url.isValid() && !url.host().isEmpty() &&
           (url.scheme() == u"http"_s || url.scheme() == u"https"_s);
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
    call->to = formParam(params, u"To"_s);
    call->from = formParam(params, u"From"_s);
    call->url = formParam(params, u"Url"_s);
    call->twiml = formParam(params, u"Twiml"_s);
    call->method = getOrPost(formParam(params, u"Method"_s));
    call->statusCallback = formParam(params, u"StatusCallback"_s);
    call->callbackMethod = getOrPost(formParam(params, u"StatusCallbackMethod"_s));
    for (const auto &p : params) {
        if (p.first == u"StatusCallbackEvent"_s) {
            // Clients may also send one space-separated value.
            const QStringList parts = p.second.split(u' ', Qt::SkipEmptyParts);
            for (const QString &e : parts)
                call->events.insert(e.toLower());
        }
    }
    if (call->events.isEmpty())
        call->events.insert(u"completed"_s);
    call->outcome = outcomeFor(call->to);
    return std::nullopt;
}

SimulatedCall::Outcome SimulatedCall::outcomeFor(const QString &to)
{
    if (to.endsWith(u"0001"_s))
        return Outcome::Busy;
    if (to.endsWith(u"0002"_s))
        return Outcome::NoAnswer;
    if (to.endsWith(u"0003"_s))
        return Outcome::Failed;
    if (to.endsWith(u"0004"_s))
        return Outcome::RingForever;
    return Outcome::Answer;
}

bool SimulatedCall::isTerminal(const QString &status)
{
    return status == u"completed"_s || status == u"busy"_s || status == u"failed"_s ||
           status == u"no-answer"_s || status == u"canceled"_s;
}

FormParams SimulatedCall::twimlParams(const QString &accountSid) const
{
    return commonParams(accountSid, status);
}

// What every request Twilio makes about a call carries, by name.
FormParams SimulatedCall::commonParams(const QString &accountSid, const QString &callStatus) const
{
    return {
        {u"AccountSid"_s, accountSid},
        {u"ApiVersion"_s, ApiVersion},
        {u"CallSid"_s, sid},
        {u"CallStatus"_s, callStatus},
        {u"Called"_s, to},
        {u"Caller"_s, from},
        {u"Direction"_s, u"outbound-api"_s},
        {u"From"_s, from},
        {u"To"_s, to},
    };
}

FormParams SimulatedCall::statusParams(const QString &accountSid, const QString &callStatus,
                                       int sequenceNumber) const
{
    FormParams params = commonParams(accountSid, callStatus);
    params.append({u"CallbackSource"_s, u"call-progress-events"_s});
    params.append({u"SequenceNumber"_s, QString::number(sequenceNumber)});
    params.append({u"Timestamp"_s, rfc2822(QDateTime::currentDateTimeUtc())});
    std::stable_sort(params.begin(), params.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });
    if (isTerminal(status)) {
        const qint64 duration = started.isValid() ? std::max<qint64>(0, started.secsTo(ended)) : 0;
        params.append({u"CallDuration"_s, QString::number(duration)});
        params.append({u"Duration"_s, QString::number((duration + 59) / 60)});
    }
    return params;
}

QJsonObject SimulatedCall::toJson(const QString &accountSid) const
{
    const QString uri = u"/2010-04-01/Accounts/%1/Calls/%2"_s.arg(accountSid, sid);
    QJsonObject subresources;
    for (const char *name :
         {"notifications", "recordings", "payments", "events", "siprec", "streams",
          "transcriptions", "user_defined_message_subscriptions", "user_defined_messages"}) {
        const QString n = QString::fromLatin1(name);
        subresources.insert(n, QString(uri + u'/' + n + u".json"_s));
    }
    const bool over = isTerminal(status);
    qint64 duration = 0;
    if (started.isValid() && over)
        duration = std::max<qint64>(0, started.secsTo(ended));
    return QJsonObject{
        {u"sid"_s, sid},
        {u"date_created"_s, rfc2822OrNull(created)},
        {u"date_updated"_s, rfc2822OrNull(updated)},
        {u"parent_call_sid"_s, QJsonValue::Null},
        {u"account_sid"_s, accountSid},
        {u"to"_s, to},
        {u"to_formatted"_s, to},
        {u"from"_s, from},
        {u"from_formatted"_s, from},
        {u"phone_number_sid"_s, QJsonValue::Null},
        {u"status"_s, status},
        {u"start_time"_s, rfc2822OrNull(started)},
        {u"end_time"_s, rfc2822OrNull(ended)},
        {u"duration"_s,
         over ? QJsonValue(QString::number(duration)) : QJsonValue(QJsonValue::Null)},
        {u"price"_s, QJsonValue::Null},
        {u"price_unit"_s, u"USD"_s},
        {u"direction"_s, u"outbound-api"_s},
        {u"answered_by"_s, QJsonValue::Null},
        {u"api_version"_s, ApiVersion},
        {u"forwarded_from"_s, QJsonValue::Null},
        {u"group_sid"_s, QJsonValue::Null},
        {u"caller_name"_s, QJsonValue::Null},
        {u"queue_time"_s, u"0"_s},
        {u"trunk_sid"_s, QJsonValue::Null},
        {u"uri"_s, QString(uri + u".json"_s)},
        {u"subresource_uris"_s, subresources},
    };
}

} // namespace flex::emulator
