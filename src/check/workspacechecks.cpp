#include "check/workspacechecks.h"

#include "check/checkcontext.h"
#include "check/expressions.h"
#include "check/workflowanalysis.h"
#include "twilio/twilioclient.h"

#include <QUrlQuery>

namespace flex::check {

using namespace Qt::StringLiterals;

namespace {

const QString kWorkspace = u"workspace"_s;
const QString kWorkflow = u"workflow"_s;
const QString kFilter = u"workflow-filter"_s;
const QString kQueue = u"target-queue"_s;
constexpr int kMaxWorkspacesSearched = 20;

twilio::TwilioRequest get(const QUrl &url, const QString &endpoint)
{
    twilio::TwilioRequest request;
    request.url = url;
    request.endpoint = endpoint;
    return request;
}

QUrl firstPage(QUrl url)
{
    url.setQuery(QUrlQuery{{u"PageSize"_s, u"100"_s}});
    return url;
}

bool notFound(const twilio::TwilioError &error)
{
    return error.kind == twilio::TwilioError::Kind::Http && error.httpStatus == 404;
}

QString named(const QJsonObject &resource)
{
    return resource.value(u"sid"_s).toString() + u" \""_s +
           resource.value(u"friendly_name"_s).toString() + u'"';
}

QString workflowPage(const QString &workspace)
{
    return u"Console > TaskRouter > Workspaces > %1 > Workflows"_s.arg(workspace);
}

} // namespace

QStringList WorkspaceCheck::ids() const
{
    return {kWorkspace};
}

void WorkspaceCheck::start()
{
    const CheckContext &c = context();
    c.rest().send(
        get(c.workspaceUrl(), u"FetchWorkspace"_s), this,
        [this](const twilio::TwilioResult &result) {
            if (result.ok()) {
                report(
                    CheckResult::ok(kWorkspace, u"workspace %1 exists"_s.arg(named(result.body))));
            } else if (notFound(*result.error)) {
                reportMissing();
            } else {
                report(context().requestFailed(kWorkspace, u"the workspace"_s, *result.error));
            }
        });
}

void WorkspaceCheck::reportMissing()
{
    const CheckContext &c = context();
    c.rest().getAllPages(
        firstPage(c.taskrouterUrl(u"Workspaces"_s)), u"workspaces"_s, u"ListWorkspace"_s, this,
        [this](const twilio::PagesResult &pages) {
            const config::Config &config = context().config();
            QStringList names;
            for (const QJsonValue &w : pages.items)
                names << named(w.toObject());
            const QString has =
                names.isEmpty() ? u"it has none"_s : u"it has "_s + names.join(u", "_s);
            report(CheckResult::fail(
                kWorkspace,
                u"TWILIO_FLEX_WORKSPACE_SID %1 is not a workspace of account %2 (%3)"_s.arg(
                    config.workspaceSid, config.accountSid, has),
                u"Set TWILIO_FLEX_WORKSPACE_SID to the SID of the \"Flex Task Assignment\" "
                u"workspace (Console > TaskRouter > Workspaces)."_s));
        });
}

QStringList WorkflowCheck::ids() const
{
    return {kWorkflow, kFilter, kQueue};
}

void WorkflowCheck::start()
{
    const CheckContext &c = context();
    const QUrl url = c.workspaceUrl(u"Workflows/"_s + c.config().outboundWorkflowSid);
    c.rest().send(get(url, u"FetchWorkflow"_s), this, [this](const twilio::TwilioResult &result) {
        if (result.ok()) {
            onWorkflow(result.body);
            return;
        }
        if (notFound(*result.error)) {
            lookElsewhere();
            return;
        }
        report(context().requestFailed(kWorkflow, u"the outbound workflow"_s, *result.error));
        skipAfter(kFilter, u"the outbound workflow could not be read"_s);
        skipAfter(kQueue, u"the outbound workflow could not be read"_s);
    });
}

void WorkflowCheck::skipAfter(const QString &id, const QString &reason)
{
    report(CheckResult::fail(id, u"not checked: "_s + reason,
                             u"Fix the line above first, then run check again."_s));
}

void WorkflowCheck::lookElsewhere()
{
    // Which workspace is it in? A common mistake is a workflow of another workspace.
    const CheckContext &c = context();
    c.rest().getAllPages(firstPage(c.taskrouterUrl(u"Workspaces"_s)), u"workspaces"_s,
                         u"ListWorkspace"_s, this, [this](const twilio::PagesResult &pages) {
                             if (pages.error)
                                 reportWorkflowMissing({});
                             else
                                 searchWorkspaces(pages.items, 0);
                         });
}

void WorkflowCheck::searchWorkspaces(const QJsonArray &workspaces, int index)
{
    const CheckContext &c = context();
    const config::Config &config = c.config();
    while (index < workspaces.size() && index < kMaxWorkspacesSearched &&
           workspaces.at(index).toObject().value(u"sid"_s).toString() == config.workspaceSid)
        ++index;
    if (index >= workspaces.size() || index >= kMaxWorkspacesSearched) {
        reportWorkflowMissing({});
        return;
    }
    const QJsonObject workspace = workspaces.at(index).toObject();
    const QUrl url = c.taskrouterUrl(u"Workspaces/%1/Workflows/%2"_s.arg(
        workspace.value(u"sid"_s).toString(), config.outboundWorkflowSid));
    c.rest().send(get(url, u"FetchWorkflow"_s), this,
                  [this, workspaces, index, workspace](const twilio::TwilioResult &result) {
                      if (result.ok())
                          reportWorkflowMissing(named(workspace));
                      else
                          searchWorkspaces(workspaces, index + 1);
                  });
}

void WorkflowCheck::reportWorkflowMissing(const QString &foundIn)
{
    const config::Config &config = context().config();
    const QString where = foundIn.isEmpty() ? QString() : u"; it belongs to workspace "_s + foundIn;
    report(CheckResult::fail(
        kWorkflow,
        u"TWILIO_OUTBOUND_WORKFLOW_SID %1 is not a workflow of workspace %2%3"_s.arg(
            config.outboundWorkflowSid, config.workspaceSid, where),
        u"Set TWILIO_OUTBOUND_WORKFLOW_SID to a workflow of workspace %1 (%2)."_s.arg(
            config.workspaceSid, workflowPage(config.workspaceSid))));
    skipAfter(kFilter, u"the outbound workflow was not found"_s);
    skipAfter(kQueue, u"the outbound workflow was not found"_s);
}

void WorkflowCheck::onWorkflow(const QJsonObject &workflow)
{
    const QString name = named(workflow);
    report(CheckResult::ok(
        kWorkflow, u"workflow %1 is in workspace %2"_s.arg(name, context().config().workspaceSid)));
    const WorkflowAnalysis analysis =
        analyzeWorkflowConfiguration(workflow.value(u"configuration"_s).toString());
    const QString page = workflowPage(context().config().workspaceSid) + u" > "_s +
                         workflow.value(u"friendly_name"_s).toString();
    switch (analysis.verdict) {
    case WorkflowAnalysis::Verdict::Ok:
        report(CheckResult::ok(kFilter, u"targets task.targetWorker==worker.contact_uri: "_s +
                                            analysis.detail));
        break;
    case WorkflowAnalysis::Verdict::NotFirstOrHighest:
        report(CheckResult::fail(
            kFilter, u"workflow %1: "_s.arg(name) + analysis.detail,
            u"In %1, move filter %2 to the top, or give its target "
            u"priority 1000 (above every filter before it)."_s.arg(page, analysis.filterName)));
        break;
    case WorkflowAnalysis::Verdict::NotJson:
    case WorkflowAnalysis::Verdict::NoTargetWorker:
        report(CheckResult::fail(kFilter, u"workflow %1: "_s.arg(name) + analysis.detail,
                                 u"In %1, add a filter first in the list whose matching workers "
                                 u"expression is task.targetWorker==worker.contact_uri, priority "
                                 u"1000, targeting the Everyone queue."_s.arg(page)));
        skipAfter(kQueue, u"no filter targets task.targetWorker==worker.contact_uri"_s);
        return;
    }
    if (analysis.targetQueueSid.isEmpty()) {
        report(CheckResult::fail(
            kQueue, u"the target of filter %1 names no queue"_s.arg(analysis.filterName),
            u"In %1, choose the Everyone queue for that target."_s.arg(page)));
        return;
    }
    checkQueue(analysis.targetQueueSid);
}

void WorkflowCheck::checkQueue(const QString &queueSid)
{
    const CheckContext &c = context();
    c.rest().send(
        get(c.workspaceUrl(u"TaskQueues/"_s + queueSid), u"FetchTaskQueue"_s), this,
        [this, queueSid](const twilio::TwilioResult &result) {
            const QString queuesPage =
                u"Console > TaskRouter > Workspaces > %1 > Task Queues"_s.arg(
                    context().config().workspaceSid);
            if (!result.ok()) {
                if (notFound(*result.error))
                    report(CheckResult::fail(
                        kQueue,
                        u"the filter's target queue %1 does not exist in the workspace"_s.arg(
                            queueSid),
                        u"Pick an existing queue, e.g. Everyone, for the filter's target (%1)."_s
                            .arg(workflowPage(context().config().workspaceSid))));
                else
                    report(context().requestFailed(kQueue, u"the target queue"_s, *result.error));
                return;
            }
            const QString targetWorkers = result.body.value(u"target_workers"_s).toString();
            const QString name = named(result.body);
            if (selectsEveryWorker(targetWorkers)) {
                report(CheckResult::ok(
                    kQueue, u"queue %1 takes every worker (%2)"_s.arg(name, targetWorkers)));
                return;
            }
            report(CheckResult::warn(
                kQueue,
                u"queue %1 takes only workers matching %2: agents outside it cannot get "
                u"their outbound calls"_s.arg(name, targetWorkers),
                u"Set the queue expression of %1 to 1==1 (%2), or target the Everyone queue."_s.arg(
                    name, queuesPage)));
        });
}

} // namespace flex::check
