#pragma once

#include "check/checkresult.h"
#include "config/config.h"

#include <QHash>
#include <QObject>
#include <QPointer>

namespace flex::check {

class CheckRunner;

// The running service's own look at its Twilio set-up: after it listens (and
// after a reload) it runs the cheap checks of `flex-backend check`
// (CheckRunner::Scope::Startup) in the background, on its own Twilio clients,
// so neither start-up nor readiness waits for it. Each failure or warning is
// logged once, with the words `check` prints, and again only when it changes;
// a check that passes again is logged once as well. The metric
// flex_setup_check_failed{check="id"} is 1 while that check fails, else 0.
class SetupSelfCheck : public QObject
{
    Q_OBJECT
public:
    explicit SetupSelfCheck(QObject *parent = nullptr);
    ~SetupSelfCheck() override;

    // Starts a run with config (a run still going is abandoned).
    void run(const config::Config &config);
    bool running() const { return !m_runner.isNull(); }
    int runsFinished() const { return m_runsFinished; }

Q_SIGNALS:
    void finished();

private:
    void onFinished();
    void publish(const CheckResult &result);

    QPointer<CheckRunner> m_runner;
    QHash<QString, QString> m_logged; // id -> the line logged last (failures, warnings)
    int m_runsFinished = 0;
};

} // namespace flex::check
