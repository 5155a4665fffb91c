#include "twilio/trafficlog.h"

#include "ops/logcategories.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace flex::twilio::trafficlog {

using namespace Qt::StringLiterals;

namespace {

constexpr int kDumpBytes = 4096;

// Field names whose values must never reach a log (SipAuthPassword, CallToken, ...).
bool isSecretName(const QString &name)
{
    return name.contains(u"password"_s, Qt::CaseInsensitive) ||
           name.contains(u"secret"_s, Qt::CaseInsensitive) ||
           name.contains(u"token"_s, Qt::CaseInsensitive);
}

QJsonValue redactJson(const QJsonValue &value)
{
    if (value.isObject()) {
        QJsonObject o = value.toObject();
        for (auto it = o.begin(); it != o.end(); ++it)
            it.value() = isSecretName(it.key()) ? QJsonValue(u"***"_s) : redactJson(it.value());
        return o;
    }
    if (value.isArray()) {
        QJsonArray a = value.toArray();
        for (auto it = a.begin(); it != a.end(); ++it)
            *it = redactJson(*it);
        return a;
    }
    return value;
}

} // namespace

QByteArray redactedBody(const TwilioRequest &request)
{
    if (!request.jsonBody.isEmpty()) {
        const QJsonDocument doc = QJsonDocument::fromJson(request.jsonBody);
        if (doc.isObject())
            return QJsonDocument(redactJson(doc.object()).toObject())
                .toJson(QJsonDocument::Compact);
        if (doc.isArray())
            return QJsonDocument(redactJson(doc.array()).toArray()).toJson(QJsonDocument::Compact);
        return QByteArrayLiteral("<unparsable JSON body>");
    }
    FormFields shown = request.form;
    for (auto &field : shown) {
        if (isSecretName(field.first))
            field.second = u"***"_s;
    }
    return encodeForm(shown);
}

void request(const TwilioRequest &request, int attempt)
{
    const bool post = request.method == TwilioRequest::Method::Post;
    // Our URLs never carry credentials, but strip user info anyway.
    qCDebug(lcTwilioTraffic).noquote()
        << (post ? "POST" : "GET") << request.url.toDisplayString(QUrl::RemoveUserInfo) << "attempt"
        << attempt << (post ? QString::fromUtf8(redactedBody(request)) : QString());
}

void answer(const QString &endpoint, int status, std::chrono::milliseconds latency,
            const QByteArray &body)
{
    qCDebug(lcTwilioTraffic).noquote() << "answer" << endpoint << status << latency.count() << "ms"
                                       << QString::fromUtf8(body.left(kDumpBytes));
}

} // namespace flex::twilio::trafficlog
