#include "twilio/twilioerror.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>

namespace flex::twilio {

namespace {

QString kindName(TwilioError::Kind kind)
{
    switch (kind) {
    case TwilioError::Kind::Http:
        return QStringLiteral("HTTP error");
    case TwilioError::Kind::Network:
        return QStringLiteral("network error");
    case TwilioError::Kind::Timeout:
        return QStringLiteral("timeout");
    case TwilioError::Kind::BadAnswer:
        return QStringLiteral("bad answer");
    case TwilioError::Kind::Canceled:
        return QStringLiteral("canceled");
    }
    return QStringLiteral("error");
}

// Twilio sends codes as numbers; tolerate numeric strings too.
int intField(const QJsonValue &value, int fallback)
{
    if (value.isDouble())
        return value.toInt(fallback);
    if (value.isString()) {
        bool ok = false;
        const int parsed = value.toString().toInt(&ok);
        return ok ? parsed : fallback;
    }
    return fallback;
}

} // namespace

TwilioError::Blame TwilioError::blame() const
{
    if (kind != Kind::Http)
        return Blame::Twilio;
    // 20003: "Authentication Error - invalid username/password combination".
    if (code == 20003 || httpStatus == 401)
        return Blame::Credentials;
    if (httpStatus == 429 || httpStatus >= 500)
        return Blame::Twilio;
    return Blame::Request;
}

QString TwilioError::toString() const
{
    QString text = QStringLiteral("Twilio ") + kindName(kind);
    if (code != 0 && code != httpStatus)
        text += QStringLiteral(" ") + QString::number(code);
    if (httpStatus != 0)
        text += QStringLiteral(" (HTTP ") + QString::number(httpStatus) + QStringLiteral(")");
    if (!message.isEmpty())
        text += QStringLiteral(": ") + message;
    if (!moreInfo.isEmpty())
        text += QStringLiteral(" [") + moreInfo + QStringLiteral("]");
    return text;
}

TwilioError TwilioError::fromHttp(int httpStatus, const QByteArray &body, const QString &reason)
{
    TwilioError error;
    error.kind = Kind::Http;
    error.httpStatus = httpStatus;
    error.code = httpStatus;

    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &parseError);
    if (parseError.error == QJsonParseError::NoError && doc.isObject()) {
        const QJsonObject o = doc.object();
        error.body = o;
        // RFC 9457 problem details; twilio-python requires all four members.
        const bool problem =
            o.contains(QLatin1String("type")) && o.contains(QLatin1String("title")) &&
            o.contains(QLatin1String("status")) && o.contains(QLatin1String("code"));
        if (problem) {
            error.code = intField(o.value(QLatin1String("code")), httpStatus);
            const QString title = o.value(QLatin1String("title")).toString();
            const QString detail = o.value(QLatin1String("detail")).toString();
            error.message = detail.isEmpty() ? title : detail;
            error.moreInfo = o.value(QLatin1String("type")).toString();
        } else if (o.contains(QLatin1String("message")) || o.contains(QLatin1String("code"))) {
            error.code = intField(o.value(QLatin1String("code")), httpStatus);
            error.message = o.value(QLatin1String("message")).toString();
            error.moreInfo = o.value(QLatin1String("more_info")).toString();
        }
    }
    if (error.message.isEmpty())
        error.message = reason.isEmpty()
                            ? QString(QStringLiteral("HTTP ") + QString::number(httpStatus))
                            : reason;
    return error;
}

} // namespace flex::twilio
