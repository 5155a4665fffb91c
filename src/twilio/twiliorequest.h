#pragma once

#include "twilio/twilioerror.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>
#include <QUrl>

#include <chrono>
#include <optional>

namespace flex::twilio {

using FormFields = QList<QPair<QString, QString>>; // repeated keys allowed, order kept

// Encodes application/x-www-form-urlencoded as Twilio expects: UTF-8, every
// reserved byte percent-encoded, space as %20, repeated keys repeated.
QByteArray encodeForm(const FormFields &fields);
// Reads application/x-www-form-urlencoded (a webhook's body): '+' and %20 are
// spaces, invalid %-escapes stay as they are, empty pairs are skipped, a name
// without '=' has an empty value, repeated names are kept in order.
FormFields decodeForm(const QByteArray &body);

struct TwilioRequest
{
    enum class Method { Get, Post };
    Method method = Method::Get;
    QUrl url;
    FormFields form;              // POST body (form-encoded) when jsonBody is empty
    QByteArray jsonBody;          // POST body as application/json when set
    QString endpoint;             // metric label, e.g. "CreateCall"; never contains SIDs
    bool createsResource = false; // POST that creates: not retried unless provably not received
    std::optional<std::chrono::milliseconds> timeout; // default: client's
};

struct TwilioResult
{
    int httpStatus = 0;
    QJsonObject body;                 // parsed JSON object on success
    std::optional<TwilioError> error; // set on any failure
    int attempts = 0;                 // HTTP exchanges this request took (retries included)
    bool ok() const { return !error.has_value(); }
};

struct RetryPolicy
{
    // Filled from config::Config (TWILIO_MAX_RETRIES, TWILIO_RETRY_*_DELAY_MS).
    int maxRetries{};
    std::chrono::milliseconds baseDelay{};
    std::chrono::milliseconds maxDelay{};
    // Delay before retry number `retry` (1-based): exponential backoff with
    // full jitter in [0, min(maxDelay, base * 2^(retry-1))], or Retry-After
    // when the server gave one (capped at maxDelay * 4). jitter01 in [0,1).
    std::chrono::milliseconds
    delayFor(int retry, std::optional<std::chrono::milliseconds> retryAfter, double jitter01) const;
};

// Parses a Retry-After header value (delta-seconds or HTTP-date, relative to now).
std::optional<std::chrono::milliseconds> parseRetryAfter(const QByteArray &value);

// What an HTTP answer of Twilio's means (pure; RequestJob adds the
// network-level failures): 2xx with a JSON object or an empty body is a
// success, 2xx with anything else BadAnswer, any other status
// TwilioError::fromHttp.
TwilioResult answerFromHttp(int httpStatus, const QByteArray &body, const QString &reason = {});

// A TwilioError of the given kind that did not come from an HTTP error body.
TwilioError localError(TwilioError::Kind kind, const QString &message, int httpStatus = 0);

} // namespace flex::twilio
