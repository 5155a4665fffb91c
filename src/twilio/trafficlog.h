#pragma once

#include "twilio/twiliorequest.h"

#include <QByteArray>
#include <QString>

#include <chrono>

namespace flex::twilio {

// The flex.twilio.traffic debug dump of requests and answers. The only place
// that decides what of a request may be shown: fields whose name says
// password, secret or token are masked in form and JSON bodies, URLs lose any
// user info, and the Authorization header is never written. (Every log line
// also passes through ops::redact, which masks known secret values.)
namespace trafficlog {

void request(const TwilioRequest &request, int attempt);
void answer(const QString &endpoint, int status, std::chrono::milliseconds latency,
            const QByteArray &body);

// The body of a POST as the dump shows it (secret fields masked).
QByteArray redactedBody(const TwilioRequest &request);

} // namespace trafficlog
} // namespace flex::twilio
