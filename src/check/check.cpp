#include "check/check.h"

#include "check/checkcontext.h"

namespace flex::check {

using namespace Qt::StringLiterals;

Check::Check(CheckContext &context, QObject *parent)
    : QObject(parent)
    , m_context(context)
{}

CheckResult Check::timedOut(const QString &id) const
{
    return CheckResult::fail(
        id, u"Twilio did not answer within %1 s"_s.arg(m_context.checkTimeout().count()),
        u"Make sure this host reaches %1 (firewall, proxy), and that TWILIO_REGION and "
        u"TWILIO_EDGE name your account's region."_s.arg(m_context.taskrouterHost()));
}

} // namespace flex::check
