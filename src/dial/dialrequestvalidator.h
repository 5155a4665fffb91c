#pragma once

#include "dial/dialprotocol.h"

#include <QStringList>

#include <optional>

namespace flex::dial {

// Decides whether a `call` request may be placed: address syntax, the
// toll-fraud prefix list and the worker the answered call is routed to.
class DialRequestValidator
{
public:
    struct Policy
    {
        bool allowAnyWorker = false;
        QStringList allowedPrefixes; // E.164 prefixes for `to`; empty allows any
    };

    void setPolicy(const Policy &policy) { m_policy = policy; }
    const Policy &policy() const { return m_policy; }

    // Empty when the request may go to Twilio.
    std::optional<DialError> check(const CallRequest &request, const QString &identity) const;

    static bool isE164(const QString &address);
    // client:<name> or sip:/sips:<uri>, characters limited to what those
    // addresses use (no quotes, angle brackets, spaces or control characters).
    static bool isClientOrSip(const QString &address);
    static bool isDialable(const QString &address)
    {
        return isE164(address) || isClientOrSip(address);
    }

private:
    Policy m_policy;
};

} // namespace flex::dial
