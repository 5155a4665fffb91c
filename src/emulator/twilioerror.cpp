#include "twilioerror.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace flex::emulator {

using namespace Qt::StringLiterals;

HttpResponse twilioError(int httpStatus, int code, const QString &message)
{
    QJsonObject body{
        {u"code"_s, code},
        {u"message"_s, message},
        {u"more_info"_s, u"https://www.twilio.com/docs/errors/%1"_s.arg(code)},
        {u"status"_s, httpStatus},
    };
    return jsonResponse(httpStatus, body);
}

HttpResponse resourceNotFound(const QString &path)
{
    return twilioError(404, 20404, u"The requested resource %1 was not found"_s.arg(path));
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
