#include "check/setupselfcheck.h"

#include "check/checkrunner.h"
#include "check/reportformat.h"
#include "ops/logcategories.h"
#include "ops/metrics.h"

namespace flex::check {

using namespace Qt::StringLiterals;

namespace {

ops::Gauge &failedGauge(const QString &id)
{
    return ops::metrics().gauge(
        "flex_setup_check_failed",
        "1 when this check of the Twilio set-up (as flex-backend check names it) failed at "
        "the last self-check after start-up or reload, 0 when it passed or only warned.",
        {{"check", id.toUtf8()}});
}

} // namespace

SetupSelfCheck::SetupSelfCheck(QObject *parent)
    : QObject(parent)
{}

SetupSelfCheck::~SetupSelfCheck() = default;

void SetupSelfCheck::run(const config::Config &config)
{
    if (m_runner)
        m_runner->deleteLater(); // its late answers go nowhere
    m_runner = new CheckRunner(config, CheckRunner::Scope::Startup, this);
    connect(m_runner, &CheckRunner::finished, this, &SetupSelfCheck::onFinished);
    qCInfo(lcCheck) << "set-up self-check started (the cheap checks of flex-backend check)";
    m_runner->start();
}

void SetupSelfCheck::onFinished()
{
    CheckRunner *runner = m_runner;
    if (!runner)
        return;
    const CheckReport &report = runner->report();
    for (const CheckResult &result : report.results)
        publish(result);
    qCInfo(lcCheck).noquote()
        << u"set-up self-check: %1 ok, %2 warnings, %3 failed (%4 ms); flex-backend check "
           u"checks everything"_s.arg(report.count(CheckResult::Status::Ok))
               .arg(report.count(CheckResult::Status::Warn))
               .arg(report.count(CheckResult::Status::Fail))
               .arg(report.elapsedMs);
    runner->deleteLater();
    m_runner.clear();
    ++m_runsFinished;
    Q_EMIT finished();
}

void SetupSelfCheck::publish(const CheckResult &result)
{
    failedGauge(result.id).set(result.status == CheckResult::Status::Fail ? 1 : 0);
    if (result.status == CheckResult::Status::Ok) {
        if (m_logged.remove(result.id) > 0)
            qCInfo(lcCheck).noquote() << formatLine(result);
        return;
    }
    const QString line = formatLine(result);
    if (m_logged.value(result.id) == line)
        return; // said already
    m_logged.insert(result.id, line);
    qCWarning(lcCheck).noquote() << line;
}

} // namespace flex::check
