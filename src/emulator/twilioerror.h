#pragma once

#include "httpmessage.h"

#include <QJsonObject>
#include <QString>

namespace flex::emulator {

// Twilio's legacy REST error body {code, message, more_info, status}. Every
// error answer of the emulator is built here.
HttpResponse twilioError(int httpStatus, int code, const QString &message);

// 404 code 20404 "The requested resource {path} was not found".
HttpResponse resourceNotFound(const QString &path);
// 400 code 20001 with the message (a malformed or invalid parameter).
HttpResponse badRequest(const QString &message);

HttpResponse jsonResponse(int httpStatus, const QJsonObject &object);

} // namespace flex::emulator
