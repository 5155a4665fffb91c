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

} // namespace flex::emulator
