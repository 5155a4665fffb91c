#pragma once

#include "check/checkrunner.h"

#include <QByteArray>
#include <QString>

namespace flex::check {

// `flex-backend check` output. Text: one line per check, "✓ id: message",
// "✗ id: message. Fix: fix" or "! id: ...", then notes ("- ...") and a
// summary line. JSON: {"checks":[{id,status,message,fix}],"notes":[...],
// "summary":{"ok","warn","fail"},"exitCode","elapsedMs"}; status is "ok",
// "warn" or "fail".
QString statusName(CheckResult::Status status);
// One result as its text line, e.g. "✗ workflow-filter: ... Fix: ..." (the
// service logs the start-up self-check's failures with the same words).
QString formatLine(const CheckResult &result);
QString formatText(const CheckReport &report, const QString &heading);
QByteArray formatJson(const CheckReport &report);

} // namespace flex::check
