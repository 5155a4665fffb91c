#include "twilio/twiliorequest.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QLocale>

#include <algorithm>
#include <cmath>

namespace flex::twilio {

using namespace Qt::StringLiterals;
using std::chrono::milliseconds;

QByteArray encodeForm(const FormFields &fields)
{
    QByteArray out;
    for (const auto &[name, value] : fields) {
        if (!out.isEmpty())
            out += '&';
        out += name.toUtf8().toPercentEncoding();
        out += '=';
        out += value.toUtf8().toPercentEncoding();
    }
    return out;
}

FormFields decodeForm(const QByteArray &body)
{
    FormFields fields;
    for (const QByteArray &pair : body.split('&')) {
        if (pair.isEmpty())
            continue;
        const qsizetype eq = pair.indexOf('=');
        QByteArray name = eq < 0 ? pair : pair.left(eq);
        QByteArray value = eq < 0 ? QByteArray() : pair.mid(eq + 1);
        name.replace('+', ' ');
        value.replace('+', ' ');
        fields.append({QString::fromUtf8(QByteArray::fromPercentEncoding(name)),
                       QString::fromUtf8(QByteArray::fromPercentEncoding(value))});
    }
    return fields;
}

milliseconds RetryPolicy::delayFor(int retry, std::optional<milliseconds> retryAfter,
                                   double jitter01) const
{
    if (retryAfter) {
        const milliseconds cap = maxDelay * 4;
        return std::clamp(*retryAfter, milliseconds{0}, cap);
    }
    const int exponent = std::clamp(retry, 1, 31) - 1;
    const double ceiling =
        std::min(double(maxDelay.count()), double(baseDelay.count()) * std::ldexp(1.0, exponent));
    const double jitter = std::clamp(jitter01, 0.0, 1.0);
    return milliseconds{qint64(std::floor(std::max(0.0, ceiling) * jitter))};
}

std::optional<milliseconds> parseRetryAfter(const QByteArray &value)
{
    const QByteArray trimmed = value.trimmed();
    if (trimmed.isEmpty())
        return std::nullopt;
    const bool allDigits =
        std::all_of(trimmed.begin(), trimmed.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (allDigits) {
        if (trimmed.size() > 9) // more than ~30 years: absurd, but still "wait long"
            return milliseconds{qint64(999999999) * 1000};
        return milliseconds{trimmed.toLongLong() * 1000};
    }
    // HTTP-date (RFC 9110 IMF-fixdate, plus the obsolete RFC 850 and asctime forms).
    const QString text = QString::fromLatin1(trimmed);
    const QLocale c = QLocale::c();
    QDateTime when;
    for (const auto *format : {"ddd, dd MMM yyyy HH:mm:ss 'GMT'", "dddd, dd-MMM-yy HH:mm:ss 'GMT'",
                               "ddd MMM d HH:mm:ss yyyy", "ddd MMM  d HH:mm:ss yyyy"}) {
        when = c.toDateTime(text, QLatin1String(format));
        if (when.isValid())
            break;
    }
    if (!when.isValid())
        return std::nullopt;
    when.setTimeSpec(Qt::UTC);
    const qint64 delta = QDateTime::currentDateTimeUtc().msecsTo(when);
    return milliseconds{std::max<qint64>(0, delta)};
}

TwilioError localError(TwilioError::Kind kind, const QString &message, int httpStatus)
{
    TwilioError e;
    e.kind = kind;
    e.httpStatus = httpStatus;
    e.message = message;
    return e;
}

TwilioResult answerFromHttp(int httpStatus, const QByteArray &body, const QString &reason)
{
    TwilioResult result;
    result.httpStatus = httpStatus;
    if (httpStatus < 200 || httpStatus >= 300) {
        result.error = TwilioError::fromHttp(httpStatus, body, reason);
        return result;
    }
    if (body.trimmed().isEmpty())
        return result;
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        TwilioError e =
            localError(TwilioError::Kind::BadAnswer, u"answer is not a JSON object"_s, httpStatus);
        e.code = httpStatus;
        result.error = e;
    } else {
        result.body = doc.object();
    }
    return result;
}

} // namespace flex::twilio
