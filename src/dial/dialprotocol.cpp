#include "dial/dialprotocol.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>

#include <optional>
#include <utility>

namespace flex::dial {

using namespace Qt::StringLiterals;

namespace {

DialError badMessage(const QString &message)
{
    return {DialError::Reason::BadMessage, message};
}

// A required string member; empty optional with *error set when absent or not a string.
std::optional<QString> stringField(const QJsonObject &o, const QString &name, QString *error)
{
    const QJsonValue v = o.value(name);
    if (v.isUndefined() || v.isNull()) {
        *error = u"the \"%1\" field is missing"_s.arg(name);
        return std::nullopt;
    }
    if (!v.isString()) {
        *error = u"the \"%1\" field must be a string"_s.arg(name);
        return std::nullopt;
    }
    return v.toString();
}

} // namespace

QByteArray DialError::reasonLabel() const
{
    switch (reason) {
    case Reason::BadMessage:
        return "bad_message";
    case Reason::BadAddress:
        return "bad_address";
    case Reason::PrefixRefused:
        return "prefix_refused";
    case Reason::RateLimited:
        return "rate_limited";
    case Reason::WorkerMismatch:
        return "worker_mismatch";
    case Reason::UnknownCall:
        return "unknown_call";
    case Reason::NotOwner:
        return "not_owner";
    case Reason::Twilio:
        return "twilio";
    }
    return "other";
}

ClientMessage parseClientMessage(const QString &text)
{
    const QStringView trimmed = QStringView(text).trimmed();
    if (!trimmed.startsWith(u'{') && !trimmed.startsWith(u'['))
        return EchoRequest{text};

    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8(), &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return badMessage(
            u"malformed JSON (%1 at offset %2); expected e.g. "
            u"{\"method\":\"call\",\"to\":\"+15551234567\",...}"_s.arg(parseError.errorString())
                .arg(parseError.offset));
    if (!doc.isObject())
        return badMessage(u"a message must be a JSON object with a \"method\" field"_s);
    const QJsonObject o = doc.object();
    const QJsonValue method = o.value("method"_L1);
    if (!method.isString())
        return badMessage(u"the \"method\" field is missing; use \"call\" or \"hangup\""_s);

    QString error;
    if (method.toString() == "call"_L1) {
        CallRequest call;
        for (const auto &[name, field] :
             {std::pair{u"to"_s, &call.to}, std::pair{u"from"_s, &call.from},
              std::pair{u"workerContactUri"_s, &call.workerContactUri}}) {
            const std::optional<QString> value = stringField(o, name, &error);
            if (!value)
                return badMessage(u"cannot place the call: "_s + error);
            *field = value->trimmed();
        }
        return call;
    }
    if (method.toString() == "hangup"_L1) {
        const std::optional<QString> sid = stringField(o, u"callSid"_s, &error);
        if (!sid)
            return badMessage(u"cannot hang up: "_s + error);
        return HangupRequest{sid->trimmed()};
    }
    return badMessage(
        u"unknown method \"%1\"; use \"call\" or \"hangup\""_s.arg(method.toString().left(40)));
}

QByteArray callUpdateFrame(const QString &callSid, const QString &callStatus)
{
    return QJsonDocument(QJsonObject{{"messageType"_L1, u"callUpdate"_s},
                                     {"callSid"_L1, callSid},
                                     {"callStatus"_L1, callStatus}})
        .toJson(QJsonDocument::Compact);
}

QByteArray errorFrame(const QString &message)
{
    return QJsonDocument(QJsonObject{{"messageType"_L1, u"error"_s}, {"message"_L1, message}})
        .toJson(QJsonDocument::Compact);
}

QString echoText(const QString &text)
{
    return u"echo: "_s + text;
}

QString statusCallbackPath()
{
    return u"/twilio-webhook/callStatusCallbackHandler"_s;
}

QString twimlPath()
{
    return u"/twilio-webhook/callHandlerTwiml"_s;
}

} // namespace flex::dial
