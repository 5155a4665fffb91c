#include "check/workflowanalysis.h"

#include "check/expressions.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace flex::check {

using namespace Qt::StringLiterals;

namespace {

// A target's priority: a JSON number or a numeric string; absent means 0.
bool readPriority(const QJsonObject &target, int *priority)
{
    const QJsonValue value = target.value(u"priority"_s);
    bool ok = value.isDouble();
    *priority = ok ? value.toInt() : value.toString().toInt(&ok);
    if (!ok)
        *priority = 0;
    return ok;
}

QString filterName(const QJsonObject &filter, int index)
{
    const QString name = filter.value(u"filter_friendly_name"_s).toString();
    return name.isEmpty() ? u"#%1"_s.arg(index + 1) : u'"' + name + u'"';
}

// The highest priority among the targets of filters [0, end).
void highestBefore(const QJsonArray &filters, int end, WorkflowAnalysis *out)
{
    bool any = false;
    for (int i = 0; i < end; ++i) {
        const QJsonArray targets = filters.at(i).toObject().value(u"targets"_s).toArray();
        // A filter without targets routes to nothing; the task moves on.
        for (const QJsonValue &t : targets) {
            int priority = 0;
            readPriority(t.toObject(), &priority);
            if (!any || priority >= out->blockingPriority) {
                any = true;
                out->blockingPriority = priority;
                out->blockingFilter = filterName(filters.at(i).toObject(), i);
            }
        }
    }
}

QString targetExpressions(const QJsonArray &filters)
{
    QStringList seen;
    for (int i = 0; i < filters.size() && seen.size() < 4; ++i) {
        const QJsonObject filter = filters.at(i).toObject();
        const QJsonArray targets = filter.value(u"targets"_s).toArray();
        for (const QJsonValue &t : targets) {
            const QString expression = t.toObject().value(u"expression"_s).toString();
            seen << filterName(filter, i) + u": "_s +
                        (expression.isEmpty() ? u"(no expression)"_s : expression.left(80));
        }
    }
    return seen.isEmpty() ? u"no filter has targets"_s : seen.join(u"; "_s);
}

} // namespace

WorkflowAnalysis analyzeWorkflowConfiguration(const QString &configuration)
{
    WorkflowAnalysis out;
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(configuration.toUtf8(), &parseError);
    const QJsonValue routing = doc.object().value(u"task_routing"_s);
    if (parseError.error != QJsonParseError::NoError || !routing.isObject()) {
        out.detail = parseError.error != QJsonParseError::NoError
                         ? u"its configuration is not JSON ("_s + parseError.errorString() + u')'
                         : u"its configuration has no task_routing object"_s;
        return out;
    }
    const QJsonArray filters = routing.toObject().value(u"filters"_s).toArray();
    out.filterCount = int(filters.size());
    for (int i = 0; i < filters.size() && out.filterIndex < 0; ++i) {
        const QJsonArray targets = filters.at(i).toObject().value(u"targets"_s).toArray();
        for (const QJsonValue &t : targets) {
            const QJsonObject target = t.toObject();
            if (!isTargetWorkerExpression(target.value(u"expression"_s).toString()))
                continue;
            out.filterIndex = i;
            out.filterName = filterName(filters.at(i).toObject(), i);
            out.targetQueueSid = target.value(u"queue"_s).toString();
            out.priorityGiven = readPriority(target, &out.priority);
            break;
        }
    }
    if (out.filterIndex < 0) {
        out.verdict = WorkflowAnalysis::Verdict::NoTargetWorker;
        out.detail = filters.isEmpty()
                         ? u"it has no filters"_s
                         : u"no filter target uses task.targetWorker==worker.contact_uri ("_s +
                               targetExpressions(filters) + u')';
        return out;
    }
    highestBefore(filters, out.filterIndex, &out);
    if (out.filterIndex == 0 || out.blockingFilter.isEmpty() ||
        out.priority > out.blockingPriority) {
        out.verdict = WorkflowAnalysis::Verdict::Ok;
        out.detail = out.filterIndex == 0
                         ? u"filter %1 comes first"_s.arg(out.filterName)
                         : u"filter %1 (number %2) has the highest priority, %3"_s.arg(
                               out.filterName, QString::number(out.filterIndex + 1),
                               QString::number(out.priority));
        return out;
    }
    out.verdict = WorkflowAnalysis::Verdict::NotFirstOrHighest;
    out.detail = u"filter %1 is number %2 of %3 and its priority %4 is not above %5 of filter %6 "
                 u"before it, which takes the task first"_s.arg(out.filterName)
                     .arg(out.filterIndex + 1)
                     .arg(out.filterCount)
                     .arg(out.priority)
                     .arg(out.blockingPriority)
                     .arg(out.blockingFilter);
    return out;
}

} // namespace flex::check
