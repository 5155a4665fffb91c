#include "twilioerror.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace flex::emulator {

HttpResponse twilioError(int httpStatus, int code, const QString &message)
{
    QJsonObject body{
        {QStringLiteral("code"), code},
        {QStringLiteral("message"), message},
        {QStringLiteral("more_info"),
         QStringLiteral("https://www.twilio.com/docs/errors/%1").arg(code)},
        {QStringLiteral("status"), httpStatus},
    };
    return jsonResponse(httpStatus, body);
}

HttpResponse resourceNotFound(const QString &path)
{
    return twilioError(404, 20404,
                       QStringLiteral("The requested resource %1 was not found").arg(path));
}

HttpResponse badRequest(const QString &message)
{
    return twilioError(400, 20001, message);
}

HttpResponse jsonResponse(int httpStatus, const QJsonObject &object)
{
    HttpResponse response;
    response.status = httpStatus;
    response.body = QJsonDocument(object).toJson(QJsonDocument::Compact);
    return response;
}

} // namespace flex::emulator
