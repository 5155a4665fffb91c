#pragma once

#include <QString>

namespace flex::check {

// TaskRouter expressions as the set-up check compares them (not a full parser
// of the expression language). Equivalent spellings are accepted: spaces
// anywhere outside string constants, redundant parentheses, the whole
// expression quoted, operands swapped, and task['key'] / task["key"] for
// task.key.

// The expression with whitespace outside quoted constants removed, wrapping
// parentheses and a wrapping pair of quotes dropped. Quoted constants keep
// their text; their quote character is normalised to '.
QString normalizeExpression(const QString &expression);

// True when expression is task.targetWorker==worker.contact_uri in any
// equivalent spelling: the outbound workflow's filter target.
bool isTargetWorkerExpression(const QString &expression);

// True when a TaskQueue's target_workers selects every worker (1==1).
bool selectsEveryWorker(const QString &targetWorkers);

} // namespace flex::check
