#pragma once

#include <QByteArray>
#include <QString>

namespace flex::server {

// What a Flex token looks like before anyone asks Twilio about it: a JWT
// (three base64url segments; the first decodes to a JSON object naming its
// "alg") of bounded size. Anything else is refused at once, without spending
// the account's token-validation budget.
class FlexTokenShape
{
public:
    static constexpr int MaxLength = 8192;

    static bool isPlausible(const QString &token);

    // A token of that shape (unsigned, for the emulator and tests only:
    // real Twilio accepts none of them). subject and secret make it unique.
    static QString unsignedExample(const QString &subject, const QByteArray &secret = {});
};

} // namespace flex::server
