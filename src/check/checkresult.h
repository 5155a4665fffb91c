#pragma once

#include <QList>
#include <QString>

namespace flex::check {

// The verdict on one part of the set-up: one line of `flex-backend check`.
// message says what was found; fix, for Fail and Warn, says in one sentence
// what to change (the console page or the variable). Neither ever holds a
// secret.
struct CheckResult
{
    enum class Status { Ok, Warn, Fail };
    QString id; // stable, for --json: "credentials", "workflow-filter", ...
    Status status = Status::Ok;
    QString message;
    QString fix;

    static CheckResult ok(const QString &id, const QString &message)
    {
        return {id, Status::Ok, message, {}};
    }
    static CheckResult warn(const QString &id, const QString &message, const QString &fix)
    {
        return {id, Status::Warn, message, fix};
    }
    static CheckResult fail(const QString &id, const QString &message, const QString &fix)
    {
        return {id, Status::Fail, message, fix};
    }
};

using CheckResults = QList<CheckResult>;

} // namespace flex::check
