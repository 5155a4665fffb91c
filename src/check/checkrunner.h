#pragma once

#include "check/checkresult.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QStringList>

#include <memory>
#include <vector>

namespace flex::config {
struct Config;
}

namespace flex::check {

class Check;
class CheckContext;

// What a run found: every check's result in a fixed order, plus notes for
// what was not checked at all (and why).
struct CheckReport
{
    CheckResults results;
    QStringList notes;
    qint64 elapsedMs = 0;

    int count(CheckResult::Status status) const;
    bool failed() const { return count(CheckResult::Status::Fail) > 0; }
    int exitCode() const { return failed() ? 1 : 0; }
};

// Runs every check at once on the event loop. Each check has
// CheckContext::kCheckTimeout to report; what is still open then is
// reported as timed out, so the run ends within that bound (well inside
// 30 s) even when Twilio never answers. finished() is emitted once.
class CheckRunner : public QObject
{
    Q_OBJECT
public:
    // Full: every check (`flex-backend check`). Startup: the cheap ones the
    // running service repeats in the background (startupIds()): a few Twilio
    // requests each, no call to EXTERNAL_HOST (the service itself).
    enum class Scope { Full, Startup };

    explicit CheckRunner(const config::Config &config, Scope scope = Scope::Full,
                         QObject *parent = nullptr);
    ~CheckRunner() override;

    void start();
    const CheckReport &report() const { return m_report; }

    // The ids in output order (for documentation and tests).
    QStringList ids() const;
    // The ids a Startup run reports.
    static QStringList startupIds();

Q_SIGNALS:
    void finished();

private:
    void onReported(Check *check, const CheckResult &result);
    void onTimeout();
    void finishIfDone();

    CheckContext *m_context;
    std::vector<Check *> m_checks;
    QHash<QString, CheckResult> m_results;
    QHash<QString, Check *> m_owner; // id -> check
    CheckReport m_report;
    QElapsedTimer m_clock;
    bool m_done = false;
};

} // namespace flex::check
