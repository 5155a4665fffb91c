#include "twilio/requestvalidator.h"

#include "ops/secretcompare.h"

#include <QCryptographicHash>
#include <QMessageAuthenticationCode>
#include <QUrl>
#include <QUrlQuery>

#include <map>
#include <set>

namespace flex::twilio {

namespace {

struct Authority
{
    qsizetype portColon = -1; // index of ':' before the port, -1 when no port
    qsizetype end = -1;       // index just past the authority
    bool valid = false;
};

// Finds the port in "scheme://[userinfo@]host[:port]/..." without
// re-encoding anything else in the URL (QUrl would normalise it).
Authority findAuthority(const QString &url)
{
    Authority a;
    const qsizetype schemeEnd = url.indexOf(QLatin1String("://"));
    if (schemeEnd <= 0)
        return a;
    const qsizetype start = schemeEnd + 3;
    qsizetype end = start;
    while (end < url.size() && url[end] != QLatin1Char('/') && url[end] != QLatin1Char('?') &&
           url[end] != QLatin1Char('#'))
        ++end;
    a.end = end;
    a.valid = true;
    const qsizetype at = url.lastIndexOf(QLatin1Char('@'), end - 1);
    const qsizetype hostStart = (at >= start) ? at + 1 : start;
    qsizetype searchFrom = hostStart;
    if (hostStart < end && url[hostStart] == QLatin1Char('[')) { // IPv6 literal
        const qsizetype close = url.indexOf(QLatin1Char(']'), hostStart);
        if (close < 0 || close >= end)
            return a;
        searchFrom = close;
    }
    const qsizetype colon = url.indexOf(QLatin1Char(':'), searchFrom);
    if (colon >= 0 && colon < end && colon + 1 < end)
        a.portColon = colon;
    return a;
}

QString schemeOf(const QString &url)
{
    return url.left(url.indexOf(QLatin1Char(':'))).toLower();
}

} // namespace

RequestValidator::RequestValidator(const QByteArray &authToken)
    : m_authToken(authToken)
{}

void RequestValidator::setAuthToken(const QByteArray &authToken)
{
    m_authToken = authToken;
}

QString RequestValidator::urlWithoutPort(const QString &url)
{
    const Authority a = findAuthority(url);
    if (!a.valid || a.portColon < 0)
        return url;
    return url.left(a.portColon) + url.mid(a.end);
}

QString RequestValidator::urlWithPort(const QString &url)
{
    const Authority a = findAuthority(url);
    if (!a.valid || a.portColon >= 0)
        return url;
    const QString port =
        schemeOf(url) == QLatin1String("https") ? QStringLiteral(":443") : QStringLiteral(":80");
    return url.left(a.end) + port + url.mid(a.end);
}

QByteArray RequestValidator::computeSignature(const QByteArray &authToken, const QString &url,
                                              const SignatureParams &params)
{
    // Sorting UTF-8 bytes sorts by code point, as Python's sorted() does.
    std::map<QByteArray, std::set<QByteArray>> sorted;
    for (const auto &[name, value] : params)
        sorted[name.toUtf8()].insert(value.toUtf8());
    QByteArray data = url.toUtf8();
    for (const auto &[name, values] : sorted) {
        for (const QByteArray &value : values) {
            data += name;
            data += value;
        }
    }
    return QMessageAuthenticationCode::hash(data, authToken, QCryptographicHash::Sha1).toBase64();
}

QByteArray RequestValidator::bodySha256(const QByteArray &body)
{
    return QCryptographicHash::hash(body, QCryptographicHash::Sha256).toHex();
}

bool RequestValidator::validate(const QString &url, const SignatureParams &params,
                                const QByteArray &signature) const
{
    if (m_authToken.isEmpty() || signature.isEmpty())
        return false;
    // The second form is computed only when the first does not match: which
    // form matched is no secret, and each comparison is constant-time.
    if (ops::constantTimeEquals(computeSignature(m_authToken, urlWithoutPort(url), params),
                                signature))
        return true;
    return ops::constantTimeEquals(computeSignature(m_authToken, urlWithPort(url), params),
                                   signature);
}

bool RequestValidator::validateBody(const QString &url, const QByteArray &body,
                                    const QByteArray &signature) const
{
    const QUrlQuery query(QUrl(url).query(QUrl::FullyEncoded));
    const QByteArray expectedHash =
        query.queryItemValue(QStringLiteral("bodySHA256"), QUrl::FullyDecoded).toLatin1();
    if (expectedHash.isEmpty())
        return false;
    const bool hashOk = ops::constantTimeEquals(bodySha256(body), expectedHash.toLower());
    const bool signatureOk = validate(url, {}, signature);
    return hashOk && signatureOk;
}

} // namespace flex::twilio
