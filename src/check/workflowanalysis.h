#pragma once

#include <QList>
#include <QString>

namespace flex::check {

// What the set-up check reads from a workflow's configuration (the JSON
// string in the Workflow resource): which filter routes outbound calls to
// the agent who placed them, and whether it gets the task first.
//
// TaskRouter tries the filters in order and a task goes to the first filter
// whose expression matches it; within a workflow, a target's priority ranks
// the task against others. The outbound filter is good when one of its
// targets uses task.targetWorker==worker.contact_uri and the filter comes
// first, or its target's priority is above every target of the filters
// before it.
struct WorkflowAnalysis
{
    enum class Verdict {
        Ok,
        NotJson,          // configuration is not a JSON object with task_routing
        NoTargetWorker,   // no filter target uses task.targetWorker==worker.contact_uri
        NotFirstOrHighest // found, but a filter before it can take the task first
    };
    Verdict verdict = Verdict::NotJson;
    QString detail; // what was found, for the operator (no fix)

    // Set when the filter was found (every verdict but NotJson/NoTargetWorker).
    int filterIndex = -1; // 0-based position among the filters
    int filterCount = 0;
    QString filterName;
    QString targetQueueSid; // empty when the target names no queue
    int priority = 0;       // of the matching target; 0 when not given
    bool priorityGiven = false;
    QString blockingFilter; // NotFirstOrHighest: the earlier filter that wins
    int blockingPriority = 0;

    bool ok() const { return verdict == Verdict::Ok; }
};

WorkflowAnalysis analyzeWorkflowConfiguration(const QString &configuration);

} // namespace flex::check
