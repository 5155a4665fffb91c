#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

namespace flex::emulator {

using FormParams = QList<QPair<QString, QString>>;

// X-Twilio-Signature as Twilio computes it: HMAC-SHA1 keyed with the auth
// token over the full URL followed by every POST parameter name+value, sorted
// by name (values of a repeated name sorted and de-duplicated), base64.
QByteArray twilioSignature(const QByteArray &authToken, const QString &url,
                           const FormParams &params);

// Form bodies are read and written by the service's own helpers
// (twilio::encodeForm, twilio::decodeForm in twilio/twiliorequest.h).

} // namespace flex::emulator
