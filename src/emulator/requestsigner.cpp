#include "requestsigner.h"

#include <QCryptographicHash>
#include <QMap>
#include <QMessageAuthenticationCode>
#include <QSet>
#include <QUrl>

#include <algorithm>

namespace flex::emulator {

QByteArray twilioSignature(const QByteArray &authToken, const QString &url,
                           const FormParams &params)
{
    QMap<QString, QStringList> byName; // QMap iterates keys in sorted order
    for (const auto &p : params)
        byName[p.first].append(p.second);
    QByteArray data = url.toUtf8();
    for (auto it = byName.cbegin(); it != byName.cend(); ++it) {
        QStringList values = it.value();
        std::sort(values.begin(), values.end());
        values.erase(std::unique(values.begin(), values.end()), values.end());
        for (const QString &v : std::as_const(values))
            data += it.key().toUtf8() + v.toUtf8();
    }
    return QMessageAuthenticationCode::hash(data, authToken, QCryptographicHash::Sha1).toBase64();
}

QByteArray formEncode(const FormParams &params)
{
    QByteArray out;
    for (const auto &p : params) {
        if (!out.isEmpty())
            out += '&';
        out += QUrl::toPercentEncoding(p.first) + '=' + QUrl::toPercentEncoding(p.second);
    }
    return out;
}

FormParams formDecode(const QByteArray &body)
{
    FormParams out;
    const QList<QByteArray> parts = body.split('&');
    for (QByteArray part : parts) {
        if (part.isEmpty())
            continue;
        part.replace('+', ' ');
        const qsizetype eq = part.indexOf('=');
        const QByteArray name = eq < 0 ? part : part.left(eq);
        const QByteArray value = eq < 0 ? QByteArray() : part.mid(eq + 1);
        out.append({QUrl::fromPercentEncoding(name), QUrl::fromPercentEncoding(value)});
    }
    return out;
}

} // namespace flex::emulator
