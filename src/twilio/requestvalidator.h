#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

namespace flex::twilio {

// Webhook parameters as received: repeated names allowed (same type as FormFields).
using SignatureParams = QList<QPair<QString, QString>>;

// Checks Twilio's X-Twilio-Signature the way the official helper libraries do:
// base64(HMAC-SHA1(authToken, url + name1 + value1 + ...)), names sorted,
// each name's values sorted and deduplicated. `url` is the full URL Twilio
// requested, query kept percent-encoded exactly as received. Because Twilio is
// inconsistent about ports, a signature over the URL without its port or over
// the URL with its port (the default one added when absent) is accepted.
class RequestValidator
{
public:
    explicit RequestValidator(const QByteArray &authToken = {});
    void setAuthToken(const QByteArray &authToken);
    bool hasAuthToken() const { return !m_authToken.isEmpty(); }

    // Form-encoded POST (pass every parameter received) or GET (params empty).
    // False when the token is unset or the signature is empty or wrong.
    bool validate(const QString &url, const SignatureParams &params,
                  const QByteArray &signature) const;

    // Non-form body (application/json): the URL carries bodySHA256=<hex>; the
    // signature covers the URL alone and the body must hash to that value.
    bool validateBody(const QString &url, const QByteArray &body,
                      const QByteArray &signature) const;

    // The X-Twilio-Signature value for url + params, as Twilio computes it.
    static QByteArray computeSignature(const QByteArray &authToken, const QString &url,
                                       const SignatureParams &params = {});
    // Lowercase hex SHA-256, the bodySHA256 query value.
    static QByteArray bodySha256(const QByteArray &body);

    // The port variants the validator tries (the URL unchanged when no change applies).
    static QString urlWithoutPort(const QString &url);
    static QString urlWithPort(const QString &url);

private:
    QByteArray m_authToken;
};

} // namespace flex::twilio
