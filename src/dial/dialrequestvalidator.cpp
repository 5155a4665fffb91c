#include "dial/dialrequestvalidator.h"

#include <QRegularExpression>

namespace flex::dial {

using namespace Qt::StringLiterals;

namespace {

constexpr qsizetype MaxAddressLength = 256;

QString quoted(const QString &value)
{
    // Enough to recognise the value; the message must stay readable.
    return u'"' + (value.size() > 40 ? value.left(40) + u"…"_s : value) + u'"';
}

} // namespace

bool DialRequestValidator::isE164(const QString &address)
{
    static const QRegularExpression e164(
        QRegularExpression::anchoredPattern(u"\\+[1-9][0-9]{1,14}"_s));
    return e164.match(address).hasMatch();
}

bool DialRequestValidator::isClientOrSip(const QString &address)
{
    static const QRegularExpression client(
        QRegularExpression::anchoredPattern(u"client:[A-Za-z0-9_.@+\\-]+"_s));
    static const QRegularExpression sip(
        QRegularExpression::anchoredPattern(u"sips?:[A-Za-z0-9!#$%&()*+,\\-./:;=?@_~\\[\\]]+"_s));
    if (address.size() > MaxAddressLength)
        return false;
    return client.match(address).hasMatch() || sip.match(address).hasMatch();
}

std::optional<DialError> DialRequestValidator::check(const CallRequest &request,
                                                     const QString &identity) const
{
    if (!isDialable(request.to))
        return DialError{DialError::Reason::BadAddress,
                         u"\"to\" must be a phone number in E.164 format such as +15551234567 "
                         u"(or a client: or sip: address), not %1"_s.arg(quoted(request.to))};
    if (!isDialable(request.from))
        return DialError{DialError::Reason::BadAddress,
                         u"\"from\" must be a phone number in E.164 format such as +15557654321 "
                         u"(or a client: or sip: address), not %1"_s.arg(quoted(request.from))};
    // Toll fraud happens on the public phone network; client: and sip:
    // destinations are not priced by country and are not covered by prefixes.
    if (isE164(request.to) && !m_policy.allowedPrefixes.isEmpty()) {
        bool allowed = false;
        for (const QString &prefix : m_policy.allowedPrefixes)
            allowed = allowed || request.to.startsWith(prefix);
        if (!allowed)
            return DialError{DialError::Reason::PrefixRefused,
                             u"calls to %1 are not allowed here; allowed prefixes: %2"_s.arg(
                                 request.to, m_policy.allowedPrefixes.join(u", "_s))};
    }
    const QString ownContact = u"client:"_s + identity;
    if (!m_policy.allowAnyWorker && request.workerContactUri != ownContact)
        return DialError{DialError::Reason::WorkerMismatch,
                         u"\"workerContactUri\" must be %1, the worker of the signed-in agent "
                         u"(got %2)"_s.arg(quoted(ownContact), quoted(request.workerContactUri))};
    if (request.workerContactUri.isEmpty() || request.workerContactUri.size() > MaxAddressLength)
        return DialError{DialError::Reason::BadMessage,
                         u"\"workerContactUri\" must be a worker contact such as client:alice"_s};
    return std::nullopt;
}

} // namespace flex::dial
