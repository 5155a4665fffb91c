#pragma once

#include "check/check.h"

#include <QJsonArray>
#include <QJsonObject>

namespace flex::check {

// "workspace": TWILIO_FLEX_WORKSPACE_SID is a workspace of the account; when
// not, the line names the workspaces the account has.
class WorkspaceCheck : public Check
{
    Q_OBJECT
public:
    using Check::Check;
    QStringList ids() const override;
    void start() override;

private:
    void reportMissing();
};

// "workflow", "workflow-filter", "target-queue": TWILIO_OUTBOUND_WORKFLOW_SID
// is a workflow of that workspace (when not, which workspace it is in); its
// configuration routes to task.targetWorker==worker.contact_uri first or at
// the highest priority (WorkflowAnalysis); that target's queue exists and
// takes every worker (1==1; a narrower expression is a warning).
class WorkflowCheck : public Check
{
    Q_OBJECT
public:
    using Check::Check;
    QStringList ids() const override;
    void start() override;

private:
    void onWorkflow(const QJsonObject &workflow);
    void lookElsewhere();
    void searchWorkspaces(const QJsonArray &workspaces, int index);
    void reportWorkflowMissing(const QString &foundIn);
    void checkQueue(const QString &queueSid);
    void skipAfter(const QString &id, const QString &reason);
};

} // namespace flex::check
