#pragma once

#include <QLoggingCategory>

namespace flex::twilio {

// flex.twilio: one line per failure/retry (info and up by default).
// flex.twilio.traffic: request/answer dumps, off by default; secrets redacted.
Q_DECLARE_LOGGING_CATEGORY(lcTwilio)
Q_DECLARE_LOGGING_CATEGORY(lcTwilioTraffic)

} // namespace flex::twilio
