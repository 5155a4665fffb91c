#pragma once

#include "check/checkresult.h"

#include <QObject>
#include <QStringList>

namespace flex::check {

class CheckContext;

// One check of the set-up, or a few that depend on each other (the workflow,
// its filter and its queue). start() begins the work on the event loop and
// returns; every id() is reported once through reported(), in any order. The
// runner stops waiting after CheckContext::kCheckTimeout and reports the ids
// still open with timedOut().
class Check : public QObject
{
    Q_OBJECT
public:
    explicit Check(CheckContext &context, QObject *parent = nullptr);

    // The result ids this check reports, in output order.
    virtual QStringList ids() const = 0;
    virtual void start() = 0;
    // What an id not reported in time says.
    virtual CheckResult timedOut(const QString &id) const;

Q_SIGNALS:
    void reported(const flex::check::CheckResult &result);

protected:
    CheckContext &context() const { return m_context; }
    void report(const CheckResult &result) { Q_EMIT reported(result); }

private:
    CheckContext &m_context;
};

} // namespace flex::check
