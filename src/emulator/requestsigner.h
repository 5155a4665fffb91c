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

// application/x-www-form-urlencoded body ('+' for spaces like Twilio's clients).
QByteArray formEncode(const FormParams &params);
// Parses a form body; malformed parts are skipped, never fatal.
FormParams formDecode(const QByteArray &body);

} // namespace flex::emulator
