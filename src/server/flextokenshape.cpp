#include "server/flextokenshape.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace flex::server {

using namespace Qt::StringLiterals;

namespace {

constexpr auto kBase64Url = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

bool isBase64UrlChar(QChar c)
{
    const char16_t u = c.unicode();
    return (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' ||
           u == '_';
}

} // namespace

bool FlexTokenShape::isPlausible(const QString &token)
{
    if (token.isEmpty() || token.size() > MaxLength)
        return false;
    int dots = 0;
    for (QChar c : token) {
        if (c == u'.')
            ++dots;
        else if (!isBase64UrlChar(c))
            return false;
    }
    const qsizetype firstDot = token.indexOf(u'.');
    if (dots != 2 || firstDot <= 0 || token.indexOf(u'.', firstDot + 1) == firstDot + 1)
        return false;
    const auto decoded = QByteArray::fromBase64Encoding(
        token.left(firstDot).toLatin1(), kBase64Url | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return false;
    QJsonParseError error;
    const QJsonDocument header = QJsonDocument::fromJson(*decoded, &error);
    return error.error == QJsonParseError::NoError && header.isObject() &&
           header.object().value(u"alg"_s).isString();
}

QString FlexTokenShape::unsignedExample(const QString &subject, const QByteArray &secret)
{
    const QByteArray header = QJsonDocument(QJsonObject{{u"alg"_s, u"HS256"_s},
                                                        {u"typ"_s, u"JWT"_s},
                                                        {u"cty"_s, u"twilio-fpa;v=1"_s}})
                                  .toJson(QJsonDocument::Compact);
    const QByteArray payload =
        QJsonDocument(QJsonObject{{u"sub"_s, subject}}).toJson(QJsonDocument::Compact);
    const QByteArray signature = "unsigned:" + subject.toUtf8() + ':' + secret;
    return QString::fromLatin1(header.toBase64(kBase64Url) + '.' + payload.toBase64(kBase64Url) +
                               '.' + signature.toBase64(kBase64Url));
}

} // namespace flex::server
