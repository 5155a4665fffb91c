#pragma once

#include "server/flexidentity.h"

#include <QObject>
#include <QString>

#include <chrono>
#include <functional>
#include <optional>

namespace flex::server {

// Says who a Flex token belongs to, or why it cannot. The front door
// depends on this, not on how tokens are checked (FlexTokenValidator asks
// Twilio and remembers the answers).
class Authenticator
{
public:
    enum class Outcome {
        Valid,       // `who` names the token's owner
        Invalid,     // a verdict: not a token of this account
        Unavailable, // no verdict now (Twilio unreachable, our credentials refused ...)
        OverBudget,  // a verdict would cost a request the client may not spend now
    };
    struct Answer
    {
        Outcome outcome = Outcome::Unavailable;
        FlexIdentity who;
        QString reason;                    // for logs; never contains the token
        std::chrono::seconds retryAfter{}; // OverBudget: when the client may try again
    };
    // Asked (at most once, before authenticate() returns) only when the
    // answer needs a new request to Twilio: nullopt spends one, else how
    // long until the next one may be spent.
    using Budget = std::function<std::optional<std::chrono::seconds>()>;
    using Handler = std::function<void(const Answer &)>;

    Authenticator() = default;
    virtual ~Authenticator() = default;
    Q_DISABLE_COPY_MOVE(Authenticator)

    // Calls handler once, possibly before returning; never after context
    // is destroyed.
    virtual void authenticate(const QString &token, const Budget &budget, QObject *context,
                              Handler handler) = 0;
};

} // namespace flex::server
