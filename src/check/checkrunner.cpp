#include "check/checkrunner.h"

#include "check/accountchecks.h"
#include "check/checkcontext.h"
#include "check/externalhostcheck.h"
#include "check/redischeck.h"
#include "check/resourcechecks.h"
#include "check/workspacechecks.h"

#include <QTimer>

namespace flex::check {

using namespace Qt::StringLiterals;

int CheckReport::count(CheckResult::Status status) const
{
    int n = 0;
    for (const CheckResult &r : results)
        n += r.status == status ? 1 : 0;
    return n;
}

CheckRunner::CheckRunner(const config::Config &config, Scope scope, QObject *parent)
    : QObject(parent)
    , m_context(new CheckContext(config, this))
{
    CheckContext &c = *m_context;
    m_checks = {new CredentialsCheck(c, this), new WorkspaceCheck(c, this),
                new WorkflowCheck(c, this), new ActivitiesCheck(c, this),
                new ChannelsCheck(c, this)};
    if (scope == Scope::Full)
        m_checks.push_back(new SettingsCheck(c, this));
    m_checks.push_back(new WebhookSignatureCheck(c, this));
    m_checks.push_back(new TokenValidationCheck(c, this));
    if (scope == Scope::Full)
        m_checks.push_back(new ExternalHostCheck(c, this));
    if (scope == Scope::Full && config.redis.enabled)
        m_checks.push_back(new RedisCheck(c, this));
    for (Check *check : m_checks) {
        for (const QString &id : check->ids())
            m_owner.insert(id, check);
        connect(check, &Check::reported, this,
                [this, check](const CheckResult &result) { onReported(check, result); });
    }
    if (scope == Scope::Full && !config.redis.enabled)
        m_report.notes << u"redis: REDIS_URL is not set (one instance): nothing to check"_s;
}

QStringList CheckRunner::startupIds()
{
    return {u"credentials"_s,     u"workspace"_s,         u"workflow"_s,
            u"workflow-filter"_s, u"target-queue"_s,      u"activities"_s,
            u"channels"_s,        u"webhook-signature"_s, u"token-validation"_s};
}

CheckRunner::~CheckRunner() = default;

QStringList CheckRunner::ids() const
{
    QStringList out;
    for (const Check *check : m_checks)
        out << check->ids();
    return out;
}

void CheckRunner::start()
{
    m_clock.start();
    QTimer::singleShot(m_context->checkTimeout(), this, &CheckRunner::onTimeout);
    for (Check *check : m_checks)
        check->start();
    finishIfDone();
}

void CheckRunner::onReported(Check *check, const CheckResult &result)
{
    // Late answers (after the timeout) and ids a check does not own are ignored.
    if (m_done || m_owner.value(result.id) != check || m_results.contains(result.id))
        return;
    m_results.insert(result.id, result);
    finishIfDone();
}

void CheckRunner::onTimeout()
{
    if (m_done)
        return;
    for (const Check *check : m_checks) {
        for (const QString &id : check->ids()) {
            if (!m_results.contains(id))
                m_results.insert(id, check->timedOut(id));
        }
    }
    finishIfDone();
}

void CheckRunner::finishIfDone()
{
    if (m_done || m_results.size() < m_owner.size())
        return;
    m_done = true;
    for (const QString &id : ids())
        m_report.results << m_results.value(id);
    m_report.elapsedMs = m_clock.elapsed();
    // Queued: start() may finish synchronously, before anyone is connected.
    QMetaObject::invokeMethod(this, &CheckRunner::finished, Qt::QueuedConnection);
}

} // namespace flex::check
